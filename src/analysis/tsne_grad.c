/* The t-SNE gradient of scikit-learn's `_kl_divergence_bh` (one degree of freedom): sparse
 * attraction over P, repulsion by Barnes-Hut (tsne_bh.c) or FFT interpolation (tsne_fft.c),
 * and the KL divergence. P is kept packed (32-bit columns, float values, as scikit-learn's
 * float32 P) and the attraction runs four or eight entries at a time in float (tsne_simd.c). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/tsne_int.h"
#include "core/cpu.h"
#include "core/error.h"
#include "core/threads.h"

struct prle__tsne_grad {
    const tsne_csr *p;   /* borrowed: n and indptr */
    uint32_t *col;       /* (nnz) P's columns */
    float *val;          /* (nnz) P's values */
    float *lp;           /* (nnz) log P, in float */
    double sum_p;        /* sum of val */
    float *yf;           /* (n, 2) the embedding in float */
    double *neg, *sumq;  /* (n, 2), (n) the repulsion */
    double *klrow;       /* (n) each row's part of KL */
    prle__tsne_fft *fft; /* the FFT repulsion's plans and grids (owned when own_fft) */
    bool own_fft;
};

void prle__tsne_grad_free(prle__tsne_grad *g)
{
    if (!g)
        return;
    free(g->col);
    free(g->val);
    free(g->lp);
    free(g->yf);
    free(g->neg);
    free(g->sumq);
    free(g->klrow);
    if (g->own_fft)
        prle__tsne_fft_free(g->fft);
    free(g);
}

int prle__tsne_grad_new(prle__tsne_grad **out, const tsne_csr *p, prle__tsne_fft *fft)
{
    size_t n = p->n, nnz = p->indptr[n];
    prle__tsne_grad *g = calloc(1, sizeof *g);
    *out = NULL;
    if (!g)
        return prle__error_nomem("tsne gradient");
    g->p = p;
    g->fft = fft;
    g->col = malloc((nnz ? nnz : 1) * sizeof *g->col);
    g->val = malloc((nnz ? nnz : 1) * sizeof *g->val);
    g->lp = malloc((nnz ? nnz : 1) * sizeof *g->lp);
    g->yf = malloc(2 * n * sizeof *g->yf);
    g->neg = malloc(2 * n * sizeof *g->neg);
    g->sumq = malloc(n * sizeof *g->sumq);
    g->klrow = malloc(n * sizeof *g->klrow);
    if (n > UINT32_MAX || !g->col || !g->val || !g->lp || !g->yf || !g->neg || !g->sumq ||
        !g->klrow) {
        prle__tsne_grad_free(g);
        return prle__error_nomem("tsne gradient");
    }
    if (!fft) {
        int err = prle__tsne_fft_new(&g->fft);
        if (err < 0) {
            prle__tsne_grad_free(g);
            return err;
        }
        g->own_fft = true;
    }
    for (size_t e = 0; e < nnz; e++) {
        g->col[e] = (uint32_t)p->col[e];
        g->val[e] = (float)p->val[e];
        g->lp[e] = g->val[e] > 0.0f ? (float)log((double)g->val[e]) : 0.0f;
        g->sum_p += (double)g->val[e];
    }
    *out = g;
    return 0;
}

/* Row i's part of KL(P || Q) / p_scale less its constant part: sum_j p (log p - log(q / z))
 * with log p from lp and log q = -log(1 + d^2) in float, log(q / z) floored at log(tiny) as
 * scikit-learn's compute_gradient_positive floors q / z; p log p of tiny p is taken as 0
 * (float P holds no positive value below FLT_MIN). */
static double kl_row(const prle__tsne_grad *g, const double *y, size_t i, double log_z)
{
    const double log_tiny = log(FLT_MIN);
    const size_t *indptr = g->p->indptr;
    double c = 0.0, xi = y[2 * i], yi = y[2 * i + 1];
    for (size_t e = indptr[i]; e < indptr[i + 1]; e++) {
        size_t j = g->col[e];
        double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
        double lq = -(double)logf((float)(1.0 + dx * dx + dy * dy)) - log_z;
        c += (double)g->val[e] * ((double)g->lp[e] - (lq > log_tiny ? lq : log_tiny));
    }
    return c;
}

int prle__tsne_grad_step(prle__tsne_grad *g, double *grad_out, double *kl_out, double p_scale,
                         const double *y, prle_tsne_method method, double theta, int n_threads)
{
    size_t n = g->p->n;
    const size_t *indptr = g->p->indptr;
    int err = 0, nt = prle__threads_resolve(n_threads);
    (void)nt;
    double side = method == PRLE_TSNE_AUTO ? (double)prle__tsne_fft_side(y, n) : 0.0;
    bool use_fft =
        method == PRLE_TSNE_FFT ||
        (method == PRLE_TSNE_AUTO && side * side <= PRLE_TSNE_FFT_NODES_PER_ROW * (double)n);
    double z = 0.0;
    /* the repulsion, then the attraction of each point into its own rows */
    if (use_fft)
        err = prle__tsne_repulsive_fft(g->neg, &z, g->fft, y, n, nt);
    else if ((err = prle__tsne_repulsive(g->neg, g->sumq, y, n, theta, nt)) == 0)
        for (size_t i = 0; i < n; i++) /* in index order: the same sum for any thread count */
            z += g->sumq[i];
    if (err < 0)
        return err;
    z = fmax(z, DBL_EPSILON);
    double *neg = g->neg, log_z = log(z);
    bool wide = prle__cpu_avx2_fma() && n < ((size_t)1 << 30);
    float *yf = g->yf;
    for (size_t e = 0; e < 2 * n; e++) /* serial: cheaper than a barrier */
        yf[e] = (float)y[e];
#pragma omp parallel for schedule(dynamic, 256) num_threads(nt) if (n >= 512)
    for (size_t i = 0; i < n; i++) {
        double pos[2];
        prle__tsne_attract(pos, g->col, g->val, indptr[i], indptr[i + 1], yf, i, wide);
        grad_out[2 * i] = 4.0 * (p_scale * pos[0] - neg[2 * i] / z);
        grad_out[2 * i + 1] = 4.0 * (p_scale * pos[1] - neg[2 * i + 1] / z);
        if (kl_out)
            g->klrow[i] = kl_row(g, y, i, log_z);
    }
    if (kl_out) {
        /* sum p_s log(p_s / qz) = s (sum p (log p - log qz) + log s sum p), p_s = s p */
        double kl = 0.0;
        for (size_t i = 0; i < n; i++)
            kl += g->klrow[i];
        *kl_out = p_scale * (kl + log(p_scale) * g->sum_p);
    }
    return 0;
}

int prle__tsne_gradient(double *grad_out, double *kl_out, const tsne_csr *p, double p_scale,
                        const double *y, prle_tsne_method method, double theta, prle__tsne_fft *fft,
                        int n_threads)
{
    prle__tsne_grad *g = NULL;
    int err = prle__tsne_grad_new(&g, p, fft);
    if (err == 0)
        err = prle__tsne_grad_step(g, grad_out, kl_out, p_scale, y, method, theta, n_threads);
    prle__tsne_grad_free(g);
    return err;
}
