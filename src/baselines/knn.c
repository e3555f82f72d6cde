/* k nearest neighbours regression, brute force (scikit-learn's KNeighborsRegressor with
 * algorithm="brute"): distances of a block of queries to every training row through SGEMM
 * (|q|^2 + |t|^2 - 2 q.t), the best k + KNN_SLACK candidates re-measured exactly in double and
 * sorted by (distance, index). */
#include "baselines/baselines_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "math/blas.h"

enum { KNN_BLOCK = 128, KNN_SLACK = 16 };

struct prle_knn {
    prle_matrix x; /* (n, d) training rows, standardised when params.standardize */
    float *y;      /* (n) */
    double *sq;    /* (n) |x_i|^2 in double */
    double *inv;   /* (n) 1 / |x_i| (0 for a zero row): the cosine's candidate screen */
    prle__scaler scaler;
    prle_knn_params params;
};

prle_knn_params prle_knn_default_params(void)
{
    return (prle_knn_params){.k = 5,
                             .weights = PRLE_KNN_UNIFORM,
                             .metric = PRLE_KNN_EUCLIDEAN,
                             .n_threads = 0,
                             .standardize = true};
}

int prle_knn_params_check(const prle_knn_params *p)
{
    if (!p)
        return prle__error_set(PRLE_EINVAL, "knn: params is NULL");
    if (p->k < 1)
        return prle__error_set(PRLE_EINVAL, "knn: k must be >= 1, got %zu", p->k);
    if (p->weights != PRLE_KNN_UNIFORM && p->weights != PRLE_KNN_DISTANCE)
        return prle__error_set(PRLE_EINVAL, "knn: weights %d is not uniform or distance",
                               (int)p->weights);
    if (p->metric != PRLE_KNN_EUCLIDEAN && p->metric != PRLE_KNN_COSINE)
        return prle__error_set(PRLE_EINVAL, "knn: metric %d is not euclidean or cosine",
                               (int)p->metric);
    if (p->n_threads < 0)
        return prle__error_set(PRLE_EINVAL, "knn: n_threads must be >= 0, got %d", p->n_threads);
    return 0;
}

void prle_knn_free(prle_knn *m)
{
    if (!m)
        return;
    prle_matrix_dispose(&m->x);
    free(m->y);
    free(m->sq);
    free(m->inv);
    prle__scaler_dispose(&m->scaler);
    free(m);
}

/* The labels and row norms of m, whose rows m->x are set. */
static int finish(prle_knn *m, const float *y)
{
    size_t n = m->x.rows;
    m->y = malloc(n * sizeof(float));
    m->sq = malloc(n * sizeof(double));
    m->inv = malloc(n * sizeof(double));
    if (!m->y || !m->sq || !m->inv)
        return prle__error_nomem("knn");
    memcpy(m->y, y, n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        const float *r = prle_matrix_row(&m->x, i);
        double s = 0;
        for (size_t j = 0; j < m->x.cols; j++)
            s += (double)r[j] * r[j];
        m->sq[i] = s;
        m->inv[i] = s > 0 ? 1.0 / sqrt(s) : 0.0;
    }
    return 0;
}

int prle_knn_fit(prle_knn **out, const prle_matrix *x, const float *y,
                 const prle_knn_params *params)
{
    int err;
    prle_knn *m = NULL;
    if (!out)
        return prle__error_set(PRLE_EINVAL, "knn: out is NULL");
    if ((err = prle_knn_params_check(params)) < 0 || (err = prle__check_xy(x, y, 1, "knn")) < 0)
        return err;
    if (params->k > x->rows)
        return prle__error_set(PRLE_EINVAL, "knn: k = %zu exceeds the %zu training rows", params->k,
                               x->rows);
    if (!(m = calloc(1, sizeof *m)))
        return prle__error_nomem("knn");
    m->params = *params;
    if (params->standardize) {
        if ((err = prle__scaler_fit(&m->scaler, x)) < 0 ||
            (err = prle__scaler_apply(&m->x, &m->scaler, x)) < 0)
            goto done;
    } else if ((err = prle_matrix_copy(&m->x, x)) < 0)
        goto done;
    if ((err = finish(m, y)) < 0)
        goto done;
    *out = m;
    m = NULL;
done:
    prle_knn_free(m);
    return err;
}

int prle__knn_adopt(prle_knn **out, prle_matrix *xs, const float *y, const prle__scaler *sc,
                    const prle_knn_params *params)
{
    int err;
    prle_knn *m = NULL;
    if ((err = prle_knn_params_check(params)) < 0 || (err = prle__check_xy(xs, y, 1, "knn")) < 0)
        return err;
    if (params->k > xs->rows || (params->standardize && sc->d != xs->cols))
        return prle__error_set(PRLE_EINVAL,
                               "knn: k = %zu for %zu rows, a scaler of %zu columns "
                               "for rows of %zu",
                               params->k, xs->rows, sc->d, xs->cols);
    if (!(m = calloc(1, sizeof *m)))
        return prle__error_nomem("knn");
    m->params = *params;
    m->x = *xs;
    if ((params->standardize && (err = prle__scaler_copy(&m->scaler, sc)) < 0) ||
        (err = finish(m, y)) < 0) {
        m->x = (prle_matrix){0}; /* still the caller's */
        prle_knn_free(m);
        return err;
    }
    *xs = (prle_matrix){0};
    *out = m;
    return 0;
}

size_t prle__knn_in_dim(const prle_knn *m)
{
    return m->x.cols;
}

size_t prle__knn_in_rows(const prle_knn *m)
{
    return m->x.rows;
}

void prle__knn_set(prle_knn *m, size_t k, prle_knn_weights weights)
{
    m->params.k = k;
    m->params.weights = weights;
}

void prle__knn_parts(const prle_matrix **xs, const float **y, const prle__scaler **sc,
                     const prle_knn_params **params, const prle_knn *m)
{
    *xs = &m->x;
    *y = m->y;
    *sc = &m->scaler;
    *params = &m->params;
}

typedef struct cand {
    double d;
    size_t i;
} cand;

static int cand_less(const cand *a, const cand *b)
{
    return a->d < b->d || (a->d == b->d && a->i < b->i);
}

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    return cand_less(a, b) ? -1 : cand_less(b, a) ? 1 : 0;
}

/* max-heap on (d, i) of at most cap entries: keeps the cap smallest */
static void heap_push(cand *h, size_t *len, size_t cap, cand c)
{
    size_t k;
    if (*len < cap) {
        k = (*len)++;
        while (k > 0 && cand_less(&h[(k - 1) / 2], &c)) {
            h[k] = h[(k - 1) / 2];
            k = (k - 1) / 2;
        }
        h[k] = c;
        return;
    }
    if (!cand_less(&c, &h[0]))
        return;
    k = 0;
    for (;;) {
        size_t l = 2 * k + 1, r = l + 1, big = k;
        const cand *bv = &c;
        if (l < cap && cand_less(bv, &h[l]))
            big = l, bv = &h[l];
        if (r < cap && cand_less(bv, &h[r]))
            big = r, bv = &h[r];
        if (big == k)
            break;
        h[k] = h[big];
        k = big;
    }
    h[k] = c;
}

/* exact distance in double between a (standardised) query and training row i */
static double exact_dist(const prle_knn *m, const float *q, double qsq, size_t i)
{
    const float *t = prle_matrix_row(&m->x, i);
    size_t d = m->x.cols;
    if (m->params.metric == PRLE_KNN_EUCLIDEAN) {
        double s = 0;
        for (size_t j = 0; j < d; j++) {
            double e = (double)q[j] - t[j];
            s += e * e;
        }
        return sqrt(s);
    }
    double dot = 0;
    for (size_t j = 0; j < d; j++)
        dot += (double)q[j] * t[j];
    double den = sqrt(qsq) * sqrt(m->sq[i]);
    return den > 0 ? 1.0 - dot / den : 1.0;
}

int prle__knn_neighbors(size_t *idx, double *dist, const prle_knn *m, const prle_matrix *xq,
                        size_t k_max, int n_threads)
{
    int err = 0;
    prle_matrix q = {0};
    size_t n = m->x.rows, d = m->x.cols, nq = xq->rows;
    size_t cap = k_max + KNN_SLACK < n ? k_max + KNN_SLACK : n;
    if (xq->cols != d)
        return prle__error_set(PRLE_ESHAPE, "knn: x has %zu columns, fitted on %zu", xq->cols, d);
    if (k_max < 1 || k_max > n)
        return prle__error_set(PRLE_EINVAL, "knn: k = %zu outside [1, %zu]", k_max, n);
    if (m->params.standardize) {
        if ((err = prle__scaler_apply(&q, &m->scaler, xq)) < 0)
            return err;
    } else if ((err = prle_matrix_copy(&q, xq)) < 0)
        return err;

    size_t n_blocks = (nq + KNN_BLOCK - 1) / KNN_BLOCK;
    int nt = prle__threads_resolve(n_threads), failed = 0;
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t b = 0; b < n_blocks; b++) {
        size_t r0 = b * KNN_BLOCK, rows = nq - r0 < KNN_BLOCK ? nq - r0 : KNN_BLOCK;
        float *g = malloc(rows * n * sizeof(float)); /* (rows, n) = Q T^T */
        cand *h = malloc(cap * sizeof(cand));
        if (!g || !h) {
#pragma omp atomic write
            failed = 1;
            free(g), free(h);
            continue;
        }
        prle__sgemm(false, true, rows, n, d, 1.0f, prle_matrix_row(&q, r0), d, m->x.data, d, 0.0f,
                    g, n);
        for (size_t r = 0; r < rows; r++) {
            const float *qr = prle_matrix_row(&q, r0 + r);
            double qsq = 0;
            for (size_t j = 0; j < d; j++)
                qsq += (double)qr[j] * qr[j];
            double qinv = qsq > 0 ? 1.0 / sqrt(qsq) : 0.0;
            bool euclid = m->params.metric == PRLE_KNN_EUCLIDEAN;
            size_t len = 0;
            for (size_t i = 0; i < n; i++) {
                double gi = g[r * n + i];
                double approx = euclid ? qsq + m->sq[i] - 2.0 * gi : 1.0 - gi * qinv * m->inv[i];
                heap_push(h, &len, cap, (cand){approx, i});
            }
            for (size_t c = 0; c < len; c++)
                h[c].d = exact_dist(m, qr, qsq, h[c].i);
            qsort(h, len, sizeof(cand), cand_cmp);
            for (size_t c = 0; c < k_max; c++) {
                idx[(r0 + r) * k_max + c] = h[c].i;
                dist[(r0 + r) * k_max + c] = h[c].d;
            }
        }
        free(g), free(h);
    }
    prle_matrix_dispose(&q);
    if (failed)
        return prle__error_nomem("knn: distance block");
    return 0;
}

void prle__knn_combine(float *y_out, const prle_knn *m, const size_t *idx, const double *dist,
                       size_t nq, size_t k_max, size_t k, prle_knn_weights weights)
{
    for (size_t r = 0; r < nq; r++) {
        const size_t *ir = idx + r * k_max;
        const double *dr = dist + r * k_max;
        double num = 0, den = 0;
        bool zero = false;
        if (weights == PRLE_KNN_DISTANCE)
            for (size_t c = 0; c < k; c++)
                zero |= dr[c] == 0;
        for (size_t c = 0; c < k; c++) {
            double w = 1.0;
            if (weights == PRLE_KNN_DISTANCE)
                w = zero ? (dr[c] == 0 ? 1.0 : 0.0) : 1.0 / dr[c];
            num += w * m->y[ir[c]];
            den += w;
        }
        y_out[r] = (float)(num / den);
    }
}

void prle__knn_grid_mse(double *mse_out, const prle_knn *m, const size_t *idx, const double *dist,
                        size_t nq, size_t k_max, const size_t *ks, size_t nk, const float *y,
                        float *yhat)
{
    for (size_t i = 0; i < nk; i++)
        for (int w = PRLE_KNN_UNIFORM; w <= PRLE_KNN_DISTANCE; w++) {
            size_t k = ks[i] < k_max ? ks[i] : k_max;
            prle__knn_combine(yhat, m, idx, dist, nq, k_max, k, (prle_knn_weights)w);
            mse_out[2 * i + (size_t)w] = prle__mse(yhat, y, nq);
        }
}

int prle_knn_predict(float *y_out, const prle_knn *m, const prle_matrix *x)
{
    int err;
    size_t k = m ? m->params.k : 0;
    if (!m || !x || !y_out || (x->rows && !x->data))
        return prle__error_set(PRLE_EINVAL, "knn: NULL argument to predict");
    if (x->rows == 0)
        return 0;
    size_t *idx = malloc(x->rows * k * sizeof(size_t));
    double *dist = malloc(x->rows * k * sizeof(double));
    if (!idx || !dist) {
        free(idx), free(dist);
        return prle__error_nomem("knn: neighbours");
    }
    if ((err = prle__knn_neighbors(idx, dist, m, x, k, m->params.n_threads)) == 0)
        prle__knn_combine(y_out, m, idx, dist, x->rows, k, k, m->params.weights);
    free(idx), free(dist);
    return err;
}
