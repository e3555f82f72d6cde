/* The predictor handle (issue 14): kernel fit, value space, experts fit, as prle run does it
 * on matrices instead of a dataset, with one seed and one thread count for every layer. */
#include "prle/predictor.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/baselines_int.h"
#include "core/error.h"
#include "core/matrix_int.h"
#include "io/endian.h"
#include "io/fileio.h"
#include "io/safetensors_int.h"
#include "kernel/kernel_int.h"
#include "prle/model_int.h"
#include "prle/neighbours.h"
#include "prle/predictor_int.h"
#include "data/download.h"
#include "prle/rng.h"

/* One file: MAGIC, then six length-prefixed parts (u64 little-endian byte counts): the
 * kernel's safetensors, the model's safetensors, the neighbour term's safetensors (empty
 * without one; files of MAGIC_V1 lack this part), the held-out rows for intervals as
 * safetensors (labels, predictions, scales; empty without them; files of MAGIC_V1 and
 * MAGIC_V2 lack this part), the u64 map from training-subset rows to the caller's rows (a
 * count of rows, then the rows; empty when there is none) and the caller's text (UTF-8
 * bytes without a NUL; empty when none; files of MAGIC_V4 and before lack it); last, the
 * sha256 of every byte before it as 64 hex digits (files of MAGIC_V3 and before lack it), so
 * a damaged file is refused instead of predicting other numbers. */
#define SHA_HEX 64
static const char MAGIC[8] = {'P', 'R', 'L', 'E', 'P', 'R', 'D', '5'};
static const char MAGIC_V4[8] = {'P', 'R', 'L', 'E', 'P', 'R', 'D', '4'};
static const char MAGIC_V3[8] = {'P', 'R', 'L', 'E', 'P', 'R', 'D', '3'};
static const char MAGIC_V2[8] = {'P', 'R', 'L', 'E', 'P', 'R', 'D', '2'};
static const char MAGIC_V1[8] = {'P', 'R', 'L', 'E', 'P', 'R', 'D', '1'};

void prle_predictor_free(prle_predictor *p)
{
    if (!p)
        return;
    prle_kernel_free(p->kernel);
    prle_model_free(p->model);
    prle_knn_free(p->nb);
    free(p->rows);
    free(p->cal_y), free(p->cal_yhat), free(p->cal_s), free(p->cal_ridge);
    free(p->user_text);
    free(p);
}

size_t prle_predictor_in_dim(const prle_predictor *p)
{
    return p ? prle_kernel_in_dim(p->kernel) : 0;
}

size_t prle_predictor_neighbour_k(const prle_predictor *p)
{
    return p && p->nb ? prle__nb_k(p->nb) : 0;
}

/* Rows the predictor can read: of the fit's width, with data when there are any. */
static int rows_check(const prle_predictor *p, const prle_matrix *x)
{
    size_t d = prle_kernel_in_dim(p->kernel);
    if (x->cols != d)
        return prle__error_set(PRLE_ESHAPE, "predictor: rows are %zu wide, the fit's were %zu",
                               x->cols, d);
    if (x->rows && !x->data)
        return prle__error_set(PRLE_EINVAL, "predictor: %zu rows with a NULL data pointer",
                               x->rows);
    return 0;
}

/* The checks of the neighbour term's queries: a term, rows_check, finite. */
static int nb_query_check(const prle_predictor *p, const prle_matrix *x, const void *out)
{
    if (!p || !x || !out)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    if (!p->nb)
        return prle__error_set(PRLE_EINVAL, "predictor: the fit kept no neighbour term");
    int err = rows_check(p, x);
    return err < 0 ? err : prle__check_finite(x, "predictor: rows");
}

int prle_predictor_neighbour_predictions(float *c, const prle_predictor *p, const prle_matrix *x)
{
    int err = nb_query_check(p, x, c);
    return err ? err
               : prle__nb_column(c, NULL, p->nb, x, prle_model_get_params(p->model)->n_threads);
}

int prle_predictor_neighbours(size_t *rows, float *labels, const prle_predictor *p,
                              const prle_matrix *x)
{
    int err = nb_query_check(p, x, rows);
    if (err == 0)
        err = prle__nb_rows(rows, labels, p->nb, x, p->nb_n_train,
                            prle_model_get_params(p->model)->n_threads);
    for (size_t i = 0; err == 0 && p->rows && i < x->rows * prle__nb_k(p->nb); i++)
        rows[i] = p->rows[rows[i]]; /* the caller's rows */
    return err;
}

size_t prle_predictor_n_prototypes(const prle_predictor *p)
{
    return p ? prle_model_n_prototypes(p->model) : 0;
}

void prle_predictor_prototype_rows(size_t *rows, const prle_predictor *p)
{
    if (!rows || !p) /* as the other accessors: nothing for a NULL predictor */
        return;
    const size_t *r = prle_model_prototype_rows(p->model);
    for (size_t q = 0; q < prle_model_n_prototypes(p->model); q++)
        rows[q] = p->rows ? p->rows[r[q]] : r[q];
}

const prle_kernel *prle_predictor_kernel(const prle_predictor *p)
{
    return p ? p->kernel : NULL;
}

const prle_model *prle_predictor_model(const prle_predictor *p)
{
    return p ? p->model : NULL;
}

static int check_xy(const prle_matrix *x, const float *y, const char *what)
{
    char rows[48];
    if (!x || !y || !x->data)
        return prle__error_set(PRLE_EINVAL, "predictor: no %s rows", what);
    for (size_t i = 0; i < x->rows; i++)
        if (!isfinite(y[i]))
            return prle__error_set(PRLE_EINVAL, "predictor: %s label %zu is %g", what, i,
                                   (double)y[i]);
    snprintf(rows, sizeof rows, "predictor: %s rows", what);
    return prle__check_finite(x, rows);
}

/* Rows idx[0 .. n) of x and y into fresh copies. */
static int take(prle_matrix *xo, float **yo, const prle_matrix *x, const float *y,
                const size_t *idx, size_t n)
{
    int err = prle_matrix_alloc(xo, n, x->cols);
    if (err < 0)
        return err;
    if (!(*yo = malloc((n ? n : 1) * sizeof **yo)))
        return prle__error_nomem("predictor rows");
    for (size_t i = 0; i < n; i++) {
        memcpy(prle_matrix_row(xo, i), prle_matrix_row(x, idx[i]), x->cols * sizeof(float));
        (*yo)[i] = y[idx[i]];
    }
    return 0;
}

/* The neighbour term, as prle_run chooses it (src/run/nb_stage.c): kept where prle__nb_choose
 * says it lowers the validation MSE by more than noise. */
static int add_neighbours(prle_predictor *p, const prle_matrix *xt, const float *yt,
                          const prle_matrix *xv, const float *yv, const prle_matrix *zv, int nt)
{
    prle__nb_search s = {0};
    prle__nb_choice c;
    float *pva = NULL;
    int err = 0;
    if (xv->rows < 2 || xt->rows < 2)
        return 0;
    if (!(pva = malloc(xv->rows * sizeof *pva))) {
        err = prle__error_nomem("neighbours");
        goto done;
    }
    if ((err = prle_model_predict(pva, NULL, NULL, p->model, zv)) < 0 ||
        (err = prle__nb_search_run(&s, xt, yt, xv, nt)) < 0 ||
        (err = prle__nb_choose(&c, &s, yv, pva)) < 0 || !c.on)
        goto done;
    if ((err = prle_model_set_neighbour_weight(p->model, c.lambda)) == 0) {
        p->nb = prle__nb_take(&s, &c);
        p->nb_n_train = xt->rows;
    }
done:
    prle__nb_search_dispose(&s);
    free(pva);
    return err;
}

/* Kernel, experts, the neighbour term, the held-out rows and the ridge yardstick of one fit
 * into p (rows and n_rows left to the caller); `raw` is the standardise test's ridge, if any. */
static int fit_layers(prle_predictor *p, const prle_matrix *xt, const float *yt,
                      const prle_matrix *xv, const float *yv, const prle_kernel_params *kp,
                      const prle_model_params *mp, const prle__ridge_choice *raw)
{
    prle_matrix z_tr = {0}, z_va = {0};
    int nt = mp->n_threads;
    int err = prle_kernel_fit(&p->kernel, xt, yt, xv, yv, kp);
    if (err == 0)
        err = prle_kernel_apply(&z_tr, p->kernel, xt, nt);
    if (err == 0 && xv)
        err = prle_kernel_apply(&z_va, p->kernel, xv, nt);
    if (err == 0)
        err = prle_model_fit(&p->model, &z_tr, yt, xv ? &z_va : NULL, xv ? yv : NULL, mp);
    if (err == 0 && mp->neighbours && xv)
        err = add_neighbours(p, xt, yt, xv, yv, &z_va, nt);
    if (err == 0 && xv)
        err = prle__predictor_calibrate(p, xv, yv);
    if (err == 0 && p->n_cal)
        err = prle__predictor_ridge(p, xt, yt, xv, yv, raw, nt);
    prle_matrix_dispose(&z_tr), prle_matrix_dispose(&z_va);
    return err;
}

/* The refit (prle_predictor_params.refit): the kernel and experts fitted again on every row of
 * x, with the choices the held-out rows made for p frozen: each layer's kept epoch count (run
 * without early stopping), the kernel's kind and scaling, the experts' ridge alpha, the
 * recalibration's slope. p keeps what was scored on the held-out rows (intervals, yardstick);
 * its layers become the refit's and its rows all of x. */
static int refit_all(prle_predictor *p, const prle_matrix *x, const float *y, prle_kernel_params kp,
                     prle_model_params mp)
{
    prle_kernel *k = NULL;
    prle_model *m = NULL;
    prle_matrix z = {0};
    prle__fit_opts o = prle__refit_opts(p->model, p->n_rows, x->rows - p->n_rows);
    kp.type = prle_kernel_type(p->kernel);
    kp.max_epochs = prle_kernel_kept_epoch(p->kernel);
    mp.max_epochs = prle_model_kept_epoch(p->model);
    int err = prle_kernel_fit(&k, x, y, NULL, NULL, &kp);
    if (err == 0)
        err = prle_kernel_apply(&z, k, x, mp.n_threads);
    if (err == 0)
        err = prle__model_fit(&m, &z, y, NULL, NULL, &mp, &o);
    if (err == 0) {
        prle_kernel_free(p->kernel), prle_model_free(p->model), free(p->rows);
        p->kernel = k, p->model = m, p->rows = NULL, p->n_rows = 0;
        k = NULL, m = NULL;
    }
    prle_kernel_free(k), prle_model_free(m);
    prle_matrix_dispose(&z);
    return err;
}

/* Whether p, fitted on a share of x with the rest held out, refits (refit_all): not where a
 * choice was fitted on the held-out rows themselves (the neighbour term's search, proto_rbf's
 * tau) nor where a layer kept no epoch. */
static bool refits(const prle_predictor *p, const prle_model_params *mp)
{
    return !p->nb && mp->type != PRLE_EXPERT_PROTO_RBF && prle_kernel_kept_epoch(p->kernel) > 0 &&
           prle_model_kept_epoch(p->model) > 0;
}

/* The fit's scores on the held-out rows (NaN without them). */
static prle_predictor_yardstick yardstick_of(const prle_predictor *p)
{
    prle_predictor_yardstick y;
    prle_predictor_yardstick_get(&y, p);
    return y;
}

int prle_predictor_fit(prle_predictor **out, const prle_matrix *x, const float *y,
                       const prle_matrix *x_val, const float *y_val,
                       const prle_predictor_params *params)
{
    prle_predictor_params pp = params ? *params : prle_predictor_default_params();
    prle_predictor *p = NULL;
    prle_matrix xs_tr = {0}, xs_va = {0};
    prle__ridge_choice raw = {0};
    float *ys_tr = NULL, *ys_va = NULL;
    size_t *perm = NULL;
    int err;
    if (!out)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL output");
    *out = NULL;
    if ((err = check_xy(x, y, "training")) < 0)
        return err;
    if ((x_val == NULL) != (y_val == NULL))
        return prle__error_set(PRLE_EINVAL, "predictor: give x_val and y_val together");
    if (!(pp.val_fraction >= 0 && pp.val_fraction < 1)) /* NaN too */
        return prle__error_set(PRLE_EINVAL, "predictor: val_fraction must be in [0, 1), got %g",
                               pp.val_fraction);
    if (x_val && ((err = check_xy(x_val, y_val, "validation")) < 0))
        return err;
    if (x_val && x_val->rows == 0) /* else nothing is held out, and intervals fail later */
        return prle__error_set(PRLE_EINVAL, "predictor: 0 validation rows (give NULL x_val and "
                                            "y_val to hold out a share of x instead)");
    if (x_val && x_val->cols != x->cols)
        return prle__error_set(PRLE_ESHAPE, "predictor: validation rows are %zu wide, not %zu",
                               x_val->cols, x->cols);
    if (!(p = calloc(1, sizeof *p)))
        return prle__error_nomem("predictor");

    /* validation rows: the caller's, or a seeded share of x */
    const prle_matrix *xt = x, *xv = x_val;
    const float *yt = y, *yv = y_val;
    size_t n = x->rows, nv = 0;
    if (!x_val && n >= 20 && pp.val_fraction > 0 && pp.val_fraction < 1)
        nv = (size_t)floor(pp.val_fraction * (double)n + 0.5);
    if (nv) {
        if (!(perm = malloc(n * sizeof *perm)) || !(p->rows = malloc(n * sizeof *p->rows))) {
            err = prle__error_nomem("predictor split");
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        prle_rng r;
        prle_rng_init(&r, pp.seed, "predictor.split", 0);
        prle_rng_shuffle(&r, perm, n);
        memcpy(p->rows, perm + nv, (n - nv) * sizeof *perm);
        p->n_rows = n - nv;
        if ((err = take(&xs_va, &ys_va, x, y, perm, nv)) < 0 ||
            (err = take(&xs_tr, &ys_tr, x, y, perm + nv, n - nv)) < 0)
            goto done;
        xt = &xs_tr, yt = ys_tr, xv = &xs_va, yv = ys_va;
    }

    /* one label range, seed and thread count for both layers */
    double lo = pp.label_min, hi = pp.label_max;
    if (isnan(lo) || isnan(hi)) {
        double a = INFINITY, b = -INFINITY;
        for (size_t i = 0; i < n; i++)
            a = fmin(a, y[i]), b = fmax(b, y[i]);
        if (isnan(lo))
            lo = a;
        if (isnan(hi))
            hi = b > a ? b : a + 1.0;
    }
    /* the caller's labels against the range, by the caller's row (the kernel would name a row
     * of the shuffled training share and its own params, which the fit overwrites), by the
     * kernel's own test; a held-out label outside it is refused too, so that the seeded split
     * does not decide whether a fit fails */
    size_t bad =
        lo < hi && isfinite(lo) && isfinite(hi) ? prle__kernel_label_outside(y, n, lo, hi) : n;
    if (bad < n) {
        err = prle__error_set(PRLE_EINVAL,
                              "predictor: training label %zu = %g is outside the label range "
                              "[%g, %g] (params label_min and label_max)",
                              bad, (double)y[bad], lo, hi);
        goto done;
    }
    prle_kernel_params kp = pp.kernel;
    kp.seed = pp.seed, kp.n_threads = pp.n_threads, kp.label_min = lo, kp.label_max = hi;
    prle_model_params mp = pp.model;
    mp.seed = mp.protos.seed = mp.router.seed = pp.seed;
    mp.n_threads = mp.protos.n_threads = mp.router.n_threads = pp.n_threads;
    mp.label_min = lo, mp.label_max = hi;
    if (xt->rows < 2) {
        err = prle__error_set(PRLE_EINVAL, "predictor: %zu training row%s (need 2 or more)",
                              xt->rows, xt->rows == 1 ? "" : "s");
        goto done;
    }
    mp.protos.n_prototypes = prle_proto_count(mp.protos.n_prototypes, xt->rows);
    /* the kernel's standardise test (prle_kernel_fit's rule), run here so that its ridge on the
     * raw columns serves as the yardstick too, as in prle_run: a second Gram matrix of wide
     * rows costs seconds */
    if (kp.standardize_inputs == PRLE_KERNEL_STANDARDIZE_AUTO && xv && xv->rows >= 2) {
        prle_standardize_test st;
        if ((err = prle__kernel_standardize_test(&st, xt, yt, xv, yv, pp.n_threads, &raw)) < 0)
            goto done;
        kp.standardize_inputs = st.standardize;
    }
    if ((err = fit_layers(p, xt, yt, xv, yv, &kp, &mp, &raw)) < 0)
        goto done;
    prle_predictor_yardstick first = yardstick_of(p);
    if (pp.linear_fallback && kp.type != PRLE_HEAD_LINEAR && first.ridge_mse < first.mse) {
        /* a linear model suits these rows better: the same fit with a linear kernel, kept if
           it scores better on the held-out rows (the row map is the first fit's) */
        prle_predictor *q = calloc(1, sizeof *q);
        prle_kernel_params kl = kp;
        kl.type = PRLE_HEAD_LINEAR;
        if (!q) {
            err = prle__error_nomem("predictor");
            goto done;
        }
        if ((err = fit_layers(q, xt, yt, xv, yv, &kl, &mp, &raw)) == 0 &&
            yardstick_of(q).mse < first.mse) {
            q->rows = p->rows, q->n_rows = p->n_rows, p->rows = NULL;
            prle_predictor *t = p;
            p = q, q = t;
        }
        prle_predictor_free(q);
        if (err < 0)
            goto done;
    }
    if (pp.refit && nv && refits(p, &mp) && (err = refit_all(p, x, y, kp, mp)) < 0)
        goto done;
    *out = p;
    p = NULL;
done:
    prle_matrix_dispose(&xs_tr), prle_matrix_dispose(&xs_va);
    free(ys_tr), free(ys_va), free(perm);
    prle__ridge_choice_dispose(&raw);
    prle_predictor_free(p);
    return err;
}

int prle__predictor_rows(prle_matrix *z, const prle_predictor *p, const prle_matrix *x)
{
    int err = rows_check(p, x);
    return err < 0 ? err
                   : prle__nb_model_rows(z, p->kernel, p->nb, x,
                                         prle_model_get_params(p->model)->n_threads);
}

int prle_predictor_predict(float *yhat, const prle_predictor *p, const prle_matrix *x)
{
    if (!p || !x || !yhat)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    prle_matrix z = {0};
    int err = prle__predictor_rows(&z, p, x);
    if (err == 0)
        err = prle_model_predict(yhat, NULL, NULL, p->model, &z);
    prle_matrix_dispose(&z);
    return err;
}

size_t prle_predictor_explain(prle_explain_item *items, float *rest, float *yhat,
                              const prle_predictor *p, const float *x, size_t k)
{
    if (!p || !x || !items || !rest || !yhat) {
        prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
        return 0;
    }
    *rest = *yhat = NAN;
    if (k == 0) {
        prle__error_set(PRLE_EINVAL, "predictor: explain with k = 0 prototypes");
        return 0;
    }
    prle_matrix row = {.data = (float *)x, .rows = 1, .cols = prle_kernel_in_dim(p->kernel)};
    prle_matrix z = {0};
    if (prle__nb_model_rows(&z, p->kernel, p->nb, &row, 1) < 0)
        return 0;
    size_t n = prle_model_explain(items, rest, yhat, p->model, z.data, k);
    prle_matrix_dispose(&z);
    for (size_t i = 0; i < n && p->rows; i++)
        items[i].train_row = p->rows[items[i].train_row]; /* the caller's row */
    return n;
}

int prle_predictor_explain_rows(prle_explain_item *items, float *rest, float *yhat,
                                const prle_predictor *p, const prle_matrix *x, size_t k)
{
    if (!p || !x || !items || !rest || !yhat)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    if (k == 0)
        return prle__error_set(PRLE_EINVAL, "predictor: explain with k = 0 prototypes");
    size_t P = prle_model_n_prototypes(p->model), kk = k < P ? k : P;
    prle_matrix z = {0};
    int err = prle__predictor_rows(&z, p, x);
    if (err == 0 && x->rows)
        err = prle_model_explain_rows(items, rest, NULL, yhat, p->model, &z, k);
    for (size_t i = 0; err == 0 && p->rows && i < x->rows * kk; i++)
        items[i].train_row = p->rows[items[i].train_row]; /* the caller's rows */
    prle_matrix_dispose(&z);
    return err;
}

/* One layer's safetensors image (0: kernel, 1: model, 2: the neighbour term, 3: the held-out
 * rows; the last two empty without them), as its own saver would write the file. */
static int layer_bytes(char **out, size_t *len, const prle_predictor *p, int layer)
{
    prle_st_writer *w = NULL;
    const prle__nb_split none[PRLE_N_SPLITS] = {{0}};
    *out = NULL, *len = 0;
    if ((layer == 2 && !p->nb) || (layer == 3 && !p->n_cal))
        return 0;
    int err = layer == 0   ? prle__kernel_writer(&w, p->kernel)
              : layer == 1 ? prle__model_writer(&w, p->model)
              : layer == 2 ? prle__nb_writer(&w, p->nb, none, p->nb_n_train)
                           : prle__predictor_cal_writer(&w, p);
    if (err == 0)
        err = prle__st_writer_bytes(out, len, w);
    prle_st_writer_free(w);
    return err;
}

int prle_predictor_save_memory(void **out, size_t *size, const prle_predictor *p)
{
    if (!out || !size || !p)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    *out = NULL, *size = 0;
    char *kb = NULL, *mb = NULL, *nbb = NULL, *cb = NULL;
    size_t kl = 0, ml = 0, nl = 0, cl = 0, nmap = p->rows ? p->n_rows : 0;
    int err;
    if ((err = layer_bytes(&kb, &kl, p, 0)) < 0 || (err = layer_bytes(&mb, &ml, p, 1)) < 0 ||
        (err = layer_bytes(&nbb, &nl, p, 2)) < 0 || (err = layer_bytes(&cb, &cl, p, 3)) < 0)
        goto done;
    size_t ul = p->user_text ? strlen(p->user_text) : 0;
    size_t n = 8 + 8 + kl + 8 + ml + 8 + nl + 8 + cl + 8 + 8 * nmap + 8 + ul + SHA_HEX;
    unsigned char *b = malloc(n), *at = b;
    if (!b) {
        err = prle__error_nomem("predictor image");
        goto done;
    }
    memcpy(at, MAGIC, 8), at += 8;
    prle__le_put(at, kl, 8), memcpy(at + 8, kb, kl), at += 8 + kl;
    prle__le_put(at, ml, 8), memcpy(at + 8, mb, ml), at += 8 + ml;
    prle__le_put(at, nl, 8), at += 8;
    if (nl)
        memcpy(at, nbb, nl), at += nl;
    prle__le_put(at, cl, 8), at += 8;
    if (cl)
        memcpy(at, cb, cl), at += cl;
    prle__le_put(at, nmap, 8), at += 8;
    for (size_t i = 0; i < nmap; i++, at += 8)
        prle__le_put(at, p->rows[i], 8);
    prle__le_put(at, ul, 8), at += 8;
    if (ul)
        memcpy(at, p->user_text, ul), at += ul;
    char hex[SHA_HEX + 1];
    if ((err = prle__sha256_hex(hex, b, n - SHA_HEX)) < 0) {
        free(b);
        goto done;
    }
    memcpy(at, hex, SHA_HEX);
    *out = b, *size = n;
done:
    free(kb), free(mb), free(nbb), free(cb);
    return err;
}

int prle_predictor_save(const prle_predictor *p, const char *path)
{
    if (!p || !path)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    void *b = NULL;
    size_t n = 0;
    prle__afile f = {0};
    int err;
    if ((err = prle_predictor_save_memory(&b, &n, p)) < 0 || (err = prle__afile_open(&f, path)) < 0)
        goto done;
    if (fwrite(b, 1, n, f.fp) != n) {
        int saved = errno;
        prle__afile_abort(&f);
        err = prle__error_set(PRLE_EIO, "%s: write failed: %s", path, strerror(saved));
        goto done;
    }
    err = prle__afile_commit(&f);
done:
    free(b);
    return err;
}

/* The caller's text: no NUL byte in its `len` bytes, and nothing after it but the checksum
 * (`rest` bytes left). */
static int user_text_check(const unsigned char *d, uint64_t len, size_t rest, const char *path)
{
    if (memchr(d, '\0', (size_t)len))
        return prle__error_set(PRLE_EFORMAT, "%s: the caller's text holds a NUL byte", path);
    if (rest)
        return prle__error_set(PRLE_EFORMAT, "%s: %zu bytes after the caller's text", path, rest);
    return 0;
}

/* The next length-prefixed part of the file: `*at` moves past it. */
static int part(const unsigned char **data, uint64_t *len, const unsigned char *buf, size_t size,
                size_t *at, const char *path, const char *what)
{
    if (size - *at < 8)
        return prle__error_set(PRLE_EFORMAT, "%s: truncated before the %s", path, what);
    *len = prle__le_get(buf + *at, 8);
    *at += 8;
    if (*len > size - *at)
        return prle__error_set(PRLE_EFORMAT, "%s: the %s runs past the end of the file", path,
                               what);
    *data = buf + *at;
    *at += (size_t)*len;
    return 0;
}

int prle_predictor_load(prle_predictor **out, const char *path)
{
    char *buf = NULL;
    size_t size = 0;
    if (!out || !path)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    *out = NULL;
    int err = prle__read_file(&buf, &size, path, 0);
    if (err == 0)
        err = prle_predictor_load_memory(out, buf, size, path);
    free(buf);
    return err;
}

int prle_predictor_load_memory(prle_predictor **out, const void *data, size_t size,
                               const char *path)
{
    if (!out || !data)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    if (!path)
        path = "<memory>";
    size_t at = 8;
    prle_st_file *kf = NULL, *mf = NULL, *nf = NULL, *cf = NULL;
    prle_predictor *p = NULL;
    const unsigned char *kd = NULL, *md = NULL, *nd = NULL, *cd = NULL, *ud = NULL, *rd;
    uint64_t kl = 0, ml = 0, nl = 0, cl = 0, ul = 0, nmap;
    int err;
    *out = NULL;
    const unsigned char *b = data;
    /* the format's version: 1 without the neighbour part, 2 without the calibration part, 3
     * without the checksum, 4 without the caller's text */
    int v = size < 8                      ? 0
            : memcmp(b, MAGIC, 8) == 0    ? 5
            : memcmp(b, MAGIC_V4, 8) == 0 ? 4
            : memcmp(b, MAGIC_V3, 8) == 0 ? 3
            : memcmp(b, MAGIC_V2, 8) == 0 ? 2
            : memcmp(b, MAGIC_V1, 8) == 0 ? 1
                                          : 0;
    if (!v) {
        err = prle__error_set(PRLE_EFORMAT, "%s: not a PRLE predictor file", path);
        goto done;
    }
    if (v >= 4) {
        char hex[SHA_HEX + 1];
        if (size < 8 + SHA_HEX) {
            err = prle__error_set(PRLE_EFORMAT, "%s: truncated before its checksum", path);
            goto done;
        }
        size -= SHA_HEX;
        if ((err = prle__sha256_hex(hex, b, size)) < 0)
            goto done;
        if (memcmp(hex, b + size, SHA_HEX) != 0) {
            err = prle__error_set(PRLE_EFORMAT,
                                  "%s: its checksum does not match its contents: the file was "
                                  "damaged or changed after it was written",
                                  path);
            goto done;
        }
    }
    if ((err = part(&kd, &kl, b, size, &at, path, "kernel")) < 0 ||
        (err = part(&md, &ml, b, size, &at, path, "model")) < 0 ||
        (v >= 2 && (err = part(&nd, &nl, b, size, &at, path, "neighbour term")) < 0) ||
        (v >= 3 && (err = part(&cd, &cl, b, size, &at, path, "calibration rows")) < 0))
        goto done;
    if (size - at < 8 || (nmap = prle__le_get(b + at, 8)) > (size - at - 8) / 8 ||
        (v < 5 && size - at - 8 != nmap * 8)) {
        err = prle__error_set(PRLE_EFORMAT, "%s: the row map is truncated or too long", path);
        goto done;
    }
    rd = b + at + 8;
    at += 8 + 8 * (size_t)nmap;
    if (v >= 5 && ((err = part(&ud, &ul, b, size, &at, path, "caller's text")) < 0 ||
                   (err = user_text_check(ud, ul, size - at, path)) < 0))
        goto done;
    if (!(p = calloc(1, sizeof *p))) {
        err = prle__error_nomem("predictor");
        goto done;
    }
    if ((err = prle_st_open_memory(&kf, kd, (size_t)kl, path)) < 0 ||
        (err = prle__kernel_load_st(&p->kernel, kf, path, NULL, 0)) < 0 ||
        (err = prle_st_open_memory(&mf, md, (size_t)ml, path)) < 0 ||
        (err = prle__model_load_st(&p->model, mf, path)) < 0)
        goto done;
    bool has_nb = prle_model_in_dim(p->model) > prle_model_dim(p->model);
    if (has_nb != (nl > 0)) {
        err = prle__error_set(PRLE_EFORMAT, "%s: the model %s neighbour term, the file %s", path,
                              has_nb ? "has a" : "has no", nl ? "has its rows" : "has none");
        goto done;
    }
    if (nl) {
        prle__nb_split splits[PRLE_N_SPLITS];
        if ((err = prle_st_open_memory(&nf, nd, (size_t)nl, path)) < 0 ||
            (err = prle__nb_load_st(&p->nb, splits, &p->nb_n_train, nf, path)) < 0)
            goto done;
        prle__nb_splits_dispose(splits); /* a predictor keeps no split parts */
        if (prle__knn_in_dim(p->nb) != prle_kernel_in_dim(p->kernel)) {
            err = prle__error_set(PRLE_EFORMAT,
                                  "%s: the neighbour rows are %zu wide, the kernel takes %zu", path,
                                  prle__knn_in_dim(p->nb), prle_kernel_in_dim(p->kernel));
            goto done;
        }
    }
    if (cl && ((err = prle_st_open_memory(&cf, cd, (size_t)cl, path)) < 0 ||
               (err = prle__predictor_cal_load(p, cf, path)) < 0))
        goto done;
    if (prle_kernel_out_dim(p->kernel) != prle_model_dim(p->model)) {
        err = prle__error_set(PRLE_EFORMAT, "%s: the kernel's width %zu is not the model's %zu",
                              path, prle_kernel_out_dim(p->kernel), prle_model_dim(p->model));
        goto done;
    }
    if (nmap) {
        if (!(p->rows = malloc(nmap * sizeof *p->rows))) {
            err = prle__error_nomem("predictor rows");
            goto done;
        }
        p->n_rows = (size_t)nmap;
        for (size_t i = 0; i < nmap; i++)
            p->rows[i] = (size_t)prle__le_get(rd + 8 * i, 8);
        const size_t *proto = prle_model_prototype_rows(p->model);
        for (size_t q = 0; q < prle_model_n_prototypes(p->model); q++)
            if (proto[q] >= p->n_rows) {
                err = prle__error_set(PRLE_EFORMAT,
                                      "%s: prototype %zu is training row %zu, beyond the row "
                                      "map's %zu",
                                      path, q, proto[q], p->n_rows);
                goto done;
            }
    }
    if (ul) {
        if (!(p->user_text = malloc((size_t)ul + 1))) {
            err = prle__error_nomem("predictor text");
            goto done;
        }
        memcpy(p->user_text, ud, (size_t)ul), p->user_text[ul] = '\0';
    }
    *out = p;
    p = NULL;
done:
    prle_st_free(kf), prle_st_free(mf), prle_st_free(nf), prle_st_free(cf);
    prle_predictor_free(p);
    return err;
}
