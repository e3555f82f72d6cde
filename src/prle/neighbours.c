/* The neighbour term (neighbours.h): one search of the query rows, the choice of (k, weights,
 * lambda) on validation, the column the model takes, and its file. */
#include "prle/neighbours.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/baselines_int.h"
#include "core/error.h"
#include "core/threads.h"
#include "io/safetensors_int.h"
#include "math/paired_gain.h"

const size_t prle__nb_ks[PRLE__NB_NK] = {5, 10, 20, 50};

#define NB_FORMAT "prle-neighbours"
#define NB_VERSION "1"

size_t prle__nb_max_rows(size_t d)
{
    size_t by_size = PRLE__NB_MAX_FLOATS / (d ? d : 1);
    return by_size > PRLE__NB_MIN_ROWS ? by_size : PRLE__NB_MIN_ROWS;
}

size_t prle__nb_train_row(size_t i, size_t n_kept, size_t n_train)
{
    return n_kept >= n_train ? i : (size_t)((double)i * (double)n_train / (double)n_kept);
}

void prle__nb_search_dispose(prle__nb_search *s)
{
    if (!s)
        return;
    prle_knn_free(s->knn);
    free(s->idx);
    free(s->dist);
    *s = (prle__nb_search){0};
}

int prle__nb_search_run(prle__nb_search *out, const prle_matrix *xtr, const float *ytr,
                        const prle_matrix *xq, int nt)
{
    prle__nb_search s = {0};
    prle_matrix xs = {0};
    float *ys = NULL;
    size_t ntr = xtr->rows, cap = prle__nb_max_rows(xtr->cols), nfit = ntr < cap ? ntr : cap;
    int err = 0;
    *out = s;
    nt = prle__threads_resolve(nt);
    const prle_matrix *xfit = xtr;
    const float *yfit = ytr;
    if (nfit < ntr) { /* rows floor(i ntr / nfit) */
        if ((err = prle_matrix_alloc(&xs, nfit, xtr->cols)) < 0)
            goto done;
        if (!(ys = malloc(nfit * sizeof *ys))) {
            err = prle__error_nomem("neighbours");
            goto done;
        }
        for (size_t i = 0; i < nfit; i++) {
            size_t r = prle__nb_train_row(i, nfit, ntr);
            memcpy(prle_matrix_row(&xs, i), prle_matrix_row(xtr, r), xtr->cols * sizeof(float));
            ys[i] = ytr[r];
        }
        xfit = &xs, yfit = ys;
    }
    s.kmax = prle__nb_ks[PRLE__NB_NK - 1] < nfit ? prle__nb_ks[PRLE__NB_NK - 1] : nfit;
    s.nq = xq->rows;
    s.nfit = nfit, s.ntrain = ntr;
    prle_knn_params kp = prle_knn_default_params();
    kp.metric = PRLE_KNN_COSINE;
    kp.k = s.kmax;
    kp.n_threads = nt;
    size_t cells = s.nq * s.kmax;
    if (!(s.idx = malloc((cells ? cells : 1) * sizeof *s.idx)) ||
        !(s.dist = malloc((cells ? cells : 1) * sizeof *s.dist))) {
        err = prle__error_nomem("neighbours");
        goto done;
    }
    if ((err = prle_knn_fit(&s.knn, xfit, yfit, &kp)) < 0 ||
        (s.nq && (err = prle__knn_neighbors(s.idx, s.dist, s.knn, xq, s.kmax, nt)) < 0))
        goto done;
    *out = s;
    s = (prle__nb_search){0};
done:
    prle__nb_search_dispose(&s);
    prle_matrix_dispose(&xs);
    free(ys);
    return err;
}

void prle__nb_search_predict(float *y, const prle__nb_search *s, size_t k, prle_knn_weights weights)
{
    prle__knn_combine(y, s->knn, s->idx, s->dist, s->nq, s->kmax, k < s->kmax ? k : s->kmax,
                      weights);
}

int prle__nb_choose(prle__nb_choice *out, const prle__nb_search *s, const float *y,
                    const float *pva)
{
    size_t n = s->nq;
    float *c = malloc((n ? n : 1) * sizeof *c);
    if (!c)
        return prle__error_nomem("neighbours");
    prle__nb_choice best = {.mse = INFINITY};
    double e0 = 0;
    for (size_t i = 0; i < n; i++)
        e0 += ((double)pva[i] - y[i]) * ((double)pva[i] - y[i]);
    best.mse_prle = n ? e0 / (double)n : NAN;
    for (size_t g = 0; g < PRLE__NB_NK; g++)
        for (int w = PRLE_KNN_UNIFORM; w <= PRLE_KNN_DISTANCE; w++) {
            size_t k = prle__nb_ks[g] < s->kmax ? prle__nb_ks[g] : s->kmax;
            prle__nb_search_predict(c, s, k, (prle_knn_weights)w);
            double dd = 0, dr = 0, e = 0;
            for (size_t i = 0; i < n; i++) { /* d = c - p, r = y - p */
                double d = (double)c[i] - pva[i], r = (double)y[i] - pva[i];
                dd += d * d;
                dr += d * r;
            }
            double lam = dd > 0 ? dr / dd : 0.0;
            lam = lam < 0 ? 0.0 : lam > 1 ? 1.0 : lam;
            for (size_t i = 0; i < n; i++) {
                double r = (1 - lam) * pva[i] + lam * c[i] - y[i];
                e += r * r;
            }
            e = n ? e / (double)n : NAN;
            if (e < best.mse)
                best = (prle__nb_choice){.k = k,
                                         .weights = (prle_knn_weights)w,
                                         .lambda = lam,
                                         .mse = e,
                                         .mse_prle = best.mse_prle};
        }
    /* the gain's standard error: the paired differences of the squared errors */
    double lam = best.lambda;
    prle__paired_diff pd = {0};
    if (isfinite(best.mse) && lam > 0) {
        prle__nb_search_predict(c, s, best.k, best.weights);
        for (size_t i = 0; i < n; i++) {
            double a = (double)pva[i] - y[i], b = (1 - lam) * pva[i] + lam * c[i] - y[i];
            prle__paired_diff_add(&pd, a * a - b * b);
        }
    }
    best.gain_se = prle__paired_diff_se(&pd);
    free(c);
    best.on =
        isfinite(best.mse) && lam > 0 && prle__gain_kept(best.mse_prle, best.mse, best.gain_se);
    *out = best;
    return 0;
}

prle_knn *prle__nb_take(prle__nb_search *s, const prle__nb_choice *c)
{
    prle_knn *k = s->knn;
    s->knn = NULL;
    prle__knn_set(k, c->k, c->weights);
    return k;
}

/* The kNN's parts, borrowed. */
typedef struct parts {
    const prle_matrix *xs; /* the kept rows, standardised */
    const float *y;
    const prle__scaler *sc;
    const prle_knn_params *kp;
} parts;

static parts parts_of(const prle_knn *knn)
{
    parts p;
    prle__knn_parts(&p.xs, &p.y, &p.sc, &p.kp, knn);
    return p;
}

size_t prle__nb_k(const prle_knn *knn)
{
    return parts_of(knn).kp->k;
}

/* The k nearest kept rows of each row of x: idx, dist (n, k) malloc'd. */
static int search(size_t **idx, double **dist, const prle_knn *knn, const prle_matrix *x, int nt)
{
    size_t n = x->rows, k = prle__nb_k(knn);
    *idx = malloc((n ? n : 1) * k * sizeof **idx);
    *dist = malloc((n ? n : 1) * k * sizeof **dist);
    if (!*idx || !*dist)
        return prle__error_nomem("neighbours");
    return n ? prle__knn_neighbors(*idx, *dist, knn, x, k, nt) : 0;
}

int prle__nb_column(float *col, size_t *kept, const prle_knn *knn, const prle_matrix *x, int nt)
{
    size_t *idx = NULL, k = prle__nb_k(knn);
    double *dist = NULL;
    int err = search(&idx, &dist, knn, x, nt);
    if (err == 0 && x->rows && col)
        prle__knn_combine(col, knn, idx, dist, x->rows, k, k, parts_of(knn).kp->weights);
    if (err == 0 && kept)
        memcpy(kept, idx, x->rows * k * sizeof *kept);
    free(idx);
    free(dist);
    return err;
}

void prle__nb_train_rows(size_t *rows, float *labels, const prle_knn *knn, const size_t *kept,
                         size_t n_cells, size_t n_train)
{
    size_t n_kept = prle__knn_in_rows(knn);
    const float *y = parts_of(knn).y;
    for (size_t i = 0; i < n_cells; i++) {
        rows[i] = prle__nb_train_row(kept[i], n_kept, n_train);
        if (labels)
            labels[i] = y[kept[i]];
    }
}

int prle__nb_rows(size_t *rows, float *labels, const prle_knn *knn, const prle_matrix *x,
                  size_t n_train, int nt)
{
    size_t cells = x->rows * prle__nb_k(knn);
    size_t *kept = malloc((cells ? cells : 1) * sizeof *kept);
    int err = kept ? prle__nb_column(NULL, kept, knn, x, nt) : prle__error_nomem("neighbours");
    if (err == 0)
        prle__nb_train_rows(rows, labels, knn, kept, cells, n_train);
    free(kept);
    return err;
}

int prle__nb_append(prle_matrix *out, const prle_matrix *z, const float *col)
{
    size_t n = z->rows, d = z->cols;
    int err = prle_matrix_alloc(out, n, d + 1);
    if (err < 0)
        return err;
    for (size_t i = 0; i < n; i++) {
        memcpy(prle_matrix_row(out, i), prle_matrix_row(z, i), d * sizeof(float));
        out->data[i * (d + 1) + d] = col[i];
    }
    return 0;
}

int prle__nb_extend(prle_matrix *out, const prle_knn *knn, const prle_matrix *z,
                    const prle_matrix *x, int nt)
{
    if (x->rows != z->rows)
        return prle__error_set(PRLE_ESHAPE, "neighbours: %zu input rows for %zu value rows",
                               x->rows, z->rows);
    float *col = malloc((x->rows ? x->rows : 1) * sizeof *col);
    int err = col ? prle__nb_column(col, NULL, knn, x, nt) : prle__error_nomem("neighbours");
    if (err == 0)
        err = prle__nb_append(out, z, col);
    free(col);
    return err;
}

int prle__nb_model_rows(prle_matrix *out, const prle_kernel *kernel, const prle_knn *knn,
                        const prle_matrix *x, int nt)
{
    prle_matrix z = {0};
    int err = prle_kernel_apply(knn ? &z : out, kernel, x, nt);
    if (err == 0 && knn)
        err = prle__nb_extend(out, knn, &z, x, nt);
    prle_matrix_dispose(&z);
    return err;
}

/* ---- the file ---------------------------------------------------------------------------- */

void prle__nb_splits_dispose(prle__nb_split s[PRLE_N_SPLITS])
{
    for (int i = 0; i < PRLE_N_SPLITS; i++) {
        free(s[i].col);
        free(s[i].kept);
        s[i] = (prle__nb_split){0};
    }
}

/* "{split}_neighbours" */
static void kept_name(char *buf, size_t len, int split)
{
    snprintf(buf, len, "%s_neighbours", prle_split_name((prle_split)split));
}

int prle__nb_writer(prle_st_writer **out, const prle_knn *knn,
                    const prle__nb_split s[PRLE_N_SPLITS], size_t n_train)
{
    parts pa = parts_of(knn);
    prle_st_writer *w = NULL;
    char kbuf[32], nbuf[32], name[64];
    size_t n = pa.xs->rows, h = pa.xs->cols, k = pa.kp->k;
    snprintf(kbuf, sizeof kbuf, "%zu", k);
    snprintf(nbuf, sizeof nbuf, "%zu", n_train);
    int err = prle_st_writer_new(&w);
    if (err == 0)
        err = prle_st_writer_add_matrix(w, "rows", pa.xs);
    if (err == 0)
        err = prle_st_writer_add_f32(w, "labels", pa.y, 1, &n);
    if (err == 0)
        err = prle_st_writer_add_f64(w, "scaler.mean", pa.sc->mean, 1, &h);
    if (err == 0)
        err = prle_st_writer_add_f64(w, "scaler.scale", pa.sc->scale, 1, &h);
    for (int i = 0; err == 0 && i < PRLE_N_SPLITS; i++) {
        if (!s[i].col)
            continue;
        err = prle_st_writer_add_f32(w, prle_split_name((prle_split)i), s[i].col, 1, &s[i].n);
        if (err == 0 && s[i].kept) {
            size_t cells = s[i].n * k, shape[2] = {s[i].n, k};
            int64_t *v = malloc((cells ? cells : 1) * sizeof *v);
            if (!v) {
                err = prle__error_nomem("neighbours");
                break;
            }
            for (size_t c = 0; c < cells; c++)
                v[c] = (int64_t)s[i].kept[c];
            kept_name(name, sizeof name, i);
            err = prle_st_writer_add_i64(w, name, v, 2, shape);
            free(v);
        }
    }
    const char *meta[][2] = {
        {"format", NB_FORMAT},
        {"version", NB_VERSION},
        {"k", kbuf},
        {"weights", pa.kp->weights == PRLE_KNN_DISTANCE ? "distance" : "uniform"},
        {"metric", "cosine"},
        {"n_train", nbuf},
    };
    for (size_t i = 0; err == 0 && i < sizeof meta / sizeof *meta; i++)
        err = prle_st_writer_set_metadata(w, meta[i][0], meta[i][1]);
    if (err < 0) {
        prle_st_writer_free(w);
        return err;
    }
    *out = w;
    return 0;
}

/* Tensor `name` as a vector of *n (0: any length, returned in *n) or an error naming path. */
static int vec_len(size_t *n, const prle_st_file *f, const char *name, const char *path)
{
    prle_st_tensor_info info;
    if (prle_st_find(&info, f, name) < 0 || info.ndim != 1 || (*n && info.shape[0] != *n))
        return prle__error_set(PRLE_EFORMAT, "%s: tensor %s missing or not of length %zu", path,
                               name, *n);
    *n = info.shape[0];
    return 0;
}

static bool all_finite_f(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

/* The splits' parts of the file into s; *n_found counts their tensors. The kept rows must be
 * below n_kept. */
static int read_splits(prle__nb_split s[PRLE_N_SPLITS], size_t *n_found, size_t k, size_t n_kept,
                       const prle_st_file *f, const char *path)
{
    int err = 0;
    char name[64];
    *n_found = 0;
    for (int i = 0; i < PRLE_N_SPLITS && err == 0; i++) {
        const char *sname = prle_split_name((prle_split)i);
        prle_st_tensor_info info;
        if (!prle__st_has(f, sname))
            continue;
        size_t n = 0;
        if ((err = vec_len(&n, f, sname, path)) < 0)
            break;
        if (!(s[i].col = malloc((n ? n : 1) * sizeof *s[i].col))) {
            err = prle__error_nomem("neighbours");
            break;
        }
        s[i].n = n;
        ++*n_found;
        if ((err = prle_st_read_f32(s[i].col, n, f, sname)) == 0 && !all_finite_f(s[i].col, n))
            err = prle__error_set(PRLE_EFORMAT, "%s: tensor %s: a non-finite value", path, sname);
        kept_name(name, sizeof name, i);
        if (err < 0 || !prle__st_has(f, name) || (err = prle_st_find(&info, f, name)) < 0)
            continue;
        if (info.ndim != 2 || info.shape[0] != n || info.shape[1] != k) {
            err =
                prle__error_set(PRLE_EFORMAT, "%s: tensor %s is not (%zu, %zu)", path, name, n, k);
            break;
        }
        size_t cells = n * k;
        int64_t *v = malloc((cells ? cells : 1) * sizeof *v);
        if (!v || !(s[i].kept = malloc((cells ? cells : 1) * sizeof *s[i].kept))) {
            free(v);
            err = prle__error_nomem("neighbours");
            break;
        }
        ++*n_found;
        if ((err = prle_st_read_i64(v, cells, f, name)) == 0)
            for (size_t c = 0; c < cells && err == 0; c++) {
                if (v[c] < 0 || (uint64_t)v[c] >= n_kept)
                    err = prle__error_set(PRLE_EFORMAT, "%s: tensor %s: row %lld of %zu", path,
                                          name, (long long)v[c], n_kept);
                else
                    s[i].kept[c] = (size_t)v[c];
            }
        free(v);
    }
    return err;
}

int prle__nb_load_st(prle_knn **out, prle__nb_split s[PRLE_N_SPLITS], size_t *n_train,
                     const prle_st_file *f, const char *path)
{
    prle_matrix xs = {0};
    prle__scaler sc = {0};
    float *y = NULL;
    size_t n_cols = 0;
    const char *fmt = prle_st_metadata_get(f, "format"), *ver = prle_st_metadata_get(f, "version");
    const char *ks = prle_st_metadata_get(f, "k"), *ws = prle_st_metadata_get(f, "weights");
    const char *ms = prle_st_metadata_get(f, "metric"), *ns = prle_st_metadata_get(f, "n_train");
    int err = 0;
    *out = NULL;
    for (int i = 0; i < PRLE_N_SPLITS; i++)
        s[i] = (prle__nb_split){0};
    char *end = NULL;
    unsigned long long k = ks ? strtoull(ks, &end, 10) : 0;
    if (!fmt || strcmp(fmt, NB_FORMAT) || !ver || strcmp(ver, NB_VERSION) || !ks || !*ks || *end ||
        !ws || (strcmp(ws, "uniform") && strcmp(ws, "distance")) || !ms || strcmp(ms, "cosine"))
        return prle__error_set(PRLE_EFORMAT,
                               "%s: not a neighbour file of format %s version %s (metadata "
                               "format, version, k, weights, metric)",
                               path, NB_FORMAT, NB_VERSION);
    if ((err = prle_st_load_matrix(&xs, f, "rows")) < 0) {
        err = prle__error_set(PRLE_EFORMAT, "%s: tensor rows: %s", path, prle_last_error());
        goto done;
    }
    size_t n = xs.rows, h = xs.cols;
    if ((err = vec_len(&n, f, "labels", path)) < 0 ||
        (err = vec_len(&h, f, "scaler.mean", path)) < 0 ||
        (err = vec_len(&h, f, "scaler.scale", path)) < 0 ||
        (k >= 1 && k <= n && (err = read_splits(s, &n_cols, (size_t)k, n, f, path)) < 0))
        goto done;
    if (prle_st_n_tensors(f) != 4 + n_cols) {
        err = prle__error_set(PRLE_EFORMAT,
                              "%s: %zu tensors; a neighbour file has rows, labels, scaler.mean, "
                              "scaler.scale and a column and neighbours per split",
                              path, prle_st_n_tensors(f));
        goto done;
    }
    sc.d = h;
    if (!(y = malloc((n ? n : 1) * sizeof *y)) || !(sc.mean = malloc(h * sizeof *sc.mean)) ||
        !(sc.scale = malloc(h * sizeof *sc.scale))) {
        err = prle__error_nomem("neighbours");
        goto done;
    }
    if ((err = prle_st_read_f32(y, n, f, "labels")) < 0 ||
        (err = prle_st_read_f64(sc.mean, h, f, "scaler.mean")) < 0 ||
        (err = prle_st_read_f64(sc.scale, h, f, "scaler.scale")) < 0)
        goto done;
    bool finite = all_finite_f(xs.data, n * h) && all_finite_f(y, n);
    for (size_t i = 0; i < h && finite; i++)
        finite = isfinite(sc.mean[i]) && isfinite(sc.scale[i]) && sc.scale[i] > 0;
    if (!finite || n == 0 || k < 1 || k > n) {
        err = prle__error_set(PRLE_EFORMAT, "%s: %s", path,
                              !finite ? "a non-finite value or scale" : "k outside 1 .. rows");
        goto done;
    }
    char *nend = NULL;
    unsigned long long ntr = ns ? strtoull(ns, &nend, 10) : n;
    if (ns && (!*ns || *nend || *ns == '-' || ntr < n)) {
        err = prle__error_set(PRLE_EFORMAT,
                              "%s: metadata n_train \"%s\" is not a count of at "
                              "least the %zu rows kept",
                              path, ns, n);
        goto done;
    }
    *n_train = (size_t)ntr;
    prle_knn_params kp = prle_knn_default_params();
    kp.metric = PRLE_KNN_COSINE;
    kp.k = (size_t)k;
    kp.weights = strcmp(ws, "distance") ? PRLE_KNN_UNIFORM : PRLE_KNN_DISTANCE;
    err = prle__knn_adopt(out, &xs, y, &sc, &kp);
done:
    if (err < 0)
        prle__nb_splits_dispose(s);
    prle_matrix_dispose(&xs);
    prle__scaler_dispose(&sc);
    free(y);
    return err;
}
