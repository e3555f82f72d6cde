/* t-SNE input affinities from the k nearest neighbours (tsne_knn.c): the perplexity search of
 * each row's conditional P, the symmetrised sparse P, and the two put together. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "analysis/tsne_int.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/threads.h"

/* ---- perplexity ------------------------------------------------------------------------ */

void prle__tsne_binary_search(double *p_out, double *beta_out, const float *sqd, size_t n, size_t k,
                              double perplexity, int n_threads)
{
    int nt = prle__threads_resolve(n_threads);
    (void)nt;
    /* scikit-learn passes the perplexity as a C float */
    double desired_entropy = log((double)(float)perplexity);
#pragma omp parallel for schedule(static) num_threads(nt) if (n * k >= 16384)
    for (size_t i = 0; i < n; i++) {
        const float *d = sqd + i * k;
        double *p = p_out + i * k;
        double beta_min = -INFINITY, beta_max = INFINITY, beta = 1.0;
        for (int step = 0; step < 100; step++) {
            double sum_p = 0.0;
            for (size_t j = 0; j < k; j++) {
                p[j] = exp(-(double)d[j] * beta);
                sum_p += p[j];
            }
            if (sum_p == 0.0)
                sum_p = 1e-8;
            double sum_dp = 0.0;
            for (size_t j = 0; j < k; j++) {
                p[j] /= sum_p;
                sum_dp += (double)d[j] * p[j];
            }
            double diff = log(sum_p) + beta * sum_dp - desired_entropy;
            if (fabs(diff) <= 1e-5)
                break;
            if (diff > 0.0) {
                beta_min = beta;
                beta = beta_max == INFINITY ? beta * 2.0 : (beta + beta_max) / 2.0;
            } else {
                beta_max = beta;
                beta = beta_min == -INFINITY ? beta / 2.0 : (beta + beta_min) / 2.0;
            }
        }
        if (beta_out)
            beta_out[i] = beta;
    }
}

/* ---- symmetrisation -------------------------------------------------------------------- */

void prle__tsne_csr_dispose(tsne_csr *p)
{
    free(p->indptr);
    free(p->col);
    free(p->val);
    *p = (tsne_csr){0};
}

typedef struct {
    size_t col;
    double val;
} csr_entry;

static int entry_cmp(const void *a, const void *b)
{
    size_t x = ((const csr_entry *)a)->col, y = ((const csr_entry *)b)->col;
    return (x > y) - (x < y);
}

/* Row i of P + P^T by merging its own sorted row with its transposed entries; entries written
 * to col, val when they are not NULL. Returns the row's entry count. */
static size_t merge_row(size_t *col, double *val, const csr_entry *a, const csr_entry *ae,
                        const csr_entry *b, const csr_entry *be)
{
    size_t nnz = 0;
    while (a < ae || b < be) {
        size_t c;
        double v;
        if (b == be || (a < ae && a->col < b->col))
            c = a->col, v = (a++)->val;
        else if (a == ae || b->col < a->col)
            c = b->col, v = (b++)->val;
        else
            c = a->col, v = (a++)->val + (b++)->val;
        if (col)
            col[nnz] = c, val[nnz] = v;
        nnz++;
    }
    return nnz;
}

int prle__tsne_symmetrize(tsne_csr *out, const size_t *idx, const double *cond, size_t n, size_t k,
                          int n_threads)
{
    int err = 0, nt = prle__threads_resolve(n_threads);
    (void)nt;
    size_t nk = n * k;
    tsne_csr p = {.n = n};
    size_t *tptr = calloc(n + 1, sizeof *tptr), *fill = malloc(n * sizeof *fill);
    csr_entry *own = malloc(nk * sizeof *own), *tr = malloc(nk * sizeof *tr);
    p.indptr = calloc(n + 1, sizeof *p.indptr);
    if (!tptr || !fill || !own || !tr || !p.indptr) {
        err = prle__error_nomem("tsne affinities");
        goto done;
    }
    /* own rows sorted by column; the transpose by counting sort, rows ascending per column */
#pragma omp parallel for schedule(static) num_threads(nt) if (nk >= 65536)
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k; j++)
            own[i * k + j] = (csr_entry){idx[i * k + j], cond[i * k + j]};
        qsort(own + i * k, k, sizeof *own, entry_cmp);
    }
    for (size_t e = 0; e < nk; e++)
        tptr[idx[e] + 1]++;
    for (size_t i = 0; i < n; i++)
        tptr[i + 1] += tptr[i], fill[i] = tptr[i];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            size_t c = idx[i * k + j];
            tr[fill[c]++] = (csr_entry){i, cond[i * k + j]};
        }
        /* each row's count, then the rows filled */
#pragma omp parallel for schedule(static) num_threads(nt) if (nk >= 65536)
    for (size_t i = 0; i < n; i++)
        p.indptr[i + 1] =
            merge_row(NULL, NULL, own + i * k, own + (i + 1) * k, tr + tptr[i], tr + tptr[i + 1]);
    for (size_t i = 0; i < n; i++)
        p.indptr[i + 1] += p.indptr[i];
    size_t nnz = p.indptr[n];
    p.col = malloc((nnz ? nnz : 1) * sizeof *p.col);
    p.val = malloc((nnz ? nnz : 1) * sizeof *p.val);
    if (!p.col || !p.val) {
        err = prle__error_nomem("tsne affinities");
        goto done;
    }
#pragma omp parallel for schedule(static) num_threads(nt) if (nk >= 65536)
    for (size_t i = 0; i < n; i++)
        merge_row(p.col + p.indptr[i], p.val + p.indptr[i], own + i * k, own + (i + 1) * k,
                  tr + tptr[i], tr + tptr[i + 1]);
    double sum = 0.0;
    for (size_t e = 0; e < nnz; e++) /* in order: the same sum for any thread count */
        sum += p.val[e];
    if (sum < 2.220446049250313e-16)
        sum = 2.220446049250313e-16;
    for (size_t e = 0; e < nnz; e++)
        p.val[e] /= sum;
    *out = p;
    p = (tsne_csr){0};
done:
    prle__tsne_csr_dispose(&p);
    free(tptr);
    free(fill);
    free(own);
    free(tr);
    return err;
}

int prle__tsne_affinities(tsne_csr *out, const prle_matrix *x, double perplexity,
                          prle_tsne_knn method, uint64_t seed, int n_threads, double *t_knn,
                          double *t_aff)
{
    int err = 0;
    size_t n = x->rows, k = (size_t)floor(3.0 * perplexity + 1.0);
    if (k > n - 1)
        k = n - 1;
    size_t nk;
    if (!prle__mul_ok(&nk, n, k) || nk > SIZE_MAX / sizeof(double))
        return prle__error_nomem("tsne neighbours");
    size_t *idx = malloc(nk * sizeof *idx);
    double *dist = malloc(nk * sizeof *dist), *cond = malloc(nk * sizeof *cond);
    float *sqd = malloc(nk * sizeof *sqd);
    if (!idx || !dist || !cond || !sqd) {
        err = prle__error_nomem("tsne neighbours");
        goto done;
    }
    double t0 = prle__now();
    if (method == PRLE_TSNE_KNN_AUTO)
        method = x->cols <= PRLE_TSNE_VPTREE_MAX_DIM ? PRLE_TSNE_KNN_VPTREE : PRLE_TSNE_KNN_BRUTE;
    err = method == PRLE_TSNE_KNN_VPTREE ? prle__tsne_knn(idx, dist, x, k, seed, n_threads)
                                         : prle__tsne_knn_brute(idx, dist, x, k, n_threads);
    if (err < 0)
        goto done;
    double t1 = prle__now();
    for (size_t e = 0; e < nk; e++)
        sqd[e] = (float)(dist[e] * dist[e]);
    prle__tsne_binary_search(cond, NULL, sqd, n, k, perplexity, n_threads);
    err = prle__tsne_symmetrize(out, idx, cond, n, k, n_threads);
    if (t_knn)
        *t_knn = t1 - t0;
    if (t_aff)
        *t_aff = prle__now() - t1;
done:
    free(idx);
    free(dist);
    free(cond);
    free(sqd);
    return err;
}
