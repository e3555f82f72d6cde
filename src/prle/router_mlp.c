/* The mlp_sparse router's gate (SPEC.md §5; the original's SparseMLPRouter):
 *   f_ip = [z_i; u_p; |z_i - u_p|; d(z_i, u_p)]           (3D + 1)
 *   a_ip = W0 f_ip + b0,  logit_ip = w2 . relu(a_ip) + b2 (h hidden units)
 *   W_i  = softmax_p(logit_i)                              evaluation (deterministic)
 *   W_i  = softmax_p((logit_i + g_i) / gumbel_tau)         training, g = -ln(-ln U)
 * d is the router's distance (model.distance); the original used |z - u_p| (Euclidean), which
 * is what distance: euclidean gives. W0 splits by feature block into W0z, W0u, W0a, w0d, so
 * a_ip = (W0z z_i + b0) + W0u u_p + W0a |z_i - u_p| + w0d d_ip: the first two terms are one
 * product per row and per prototype; only W0a |z_i - u_p| is per pair, computed for blocks of
 * CHUNK_PAIRS pairs by one matrix product. Backward recomputes a_ip the same way.
 * The forward's two products per row (W0z z_i and W0a |z_i - u_p|) go through prle__gemm_rows,
 * W0's two blocks packed once per call, so a row's weights do not depend on the batch it comes
 * in (README, Reproducibility); the rest through prle__gemm; every sum runs in a fixed order, so
 * results do not depend on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "math/blas.h"
#include "prle/rng.h"
#include "prle/router_int.h"

/* Pairs per block: a few MB of |z - u| at D = 500; fixed, so sums do not depend on threads. */
#define CHUNK_PAIRS 2048

/* Views into the packed gate: w0 (h, in), b0 (h), w2 (h), b2 (1); in = 3D + 1. */
typedef struct {
    const float *w0, *b0, *w2, *b2;
    size_t d, h, in;
} gate_views;

static gate_views gate_point(const prle_router *r, const float *base)
{
    gate_views g;
    g.d = r->d;
    g.h = r->p.gate_hidden;
    g.in = 3 * g.d + 1;
    g.w0 = base;
    g.b0 = g.w0 + g.h * g.in;
    g.w2 = g.b0 + g.h;
    g.b2 = g.w2 + g.h;
    return g;
}

size_t prle__router_gate_size(size_t d, size_t h)
{
    size_t in, n;
    if (!prle__mul_ok(&in, d, 3) || !prle__add_ok(&in, in, 1) || !prle__mul_ok(&n, h, in) ||
        !prle__add_ok(&n, n, 2 * h + 1) || n > SIZE_MAX / sizeof(float))
        return 0;
    return n;
}

int prle__router_gate_init(prle_router *r)
{
    size_t n = prle__router_gate_size(r->d, r->p.gate_hidden);
    if (n == 0 || !(r->gate = malloc(n * sizeof *r->gate)))
        return prle__error_nomem("router gate");
    r->n_gate = n;
    gate_views g = gate_point(r, r->gate);
    prle_rng rng;
    prle_rng_init(&rng, r->p.seed, "router.gate", 0);
    /* nn.Linear: weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), in the order w0 b0 w2 b2 */
    double b_in = 1.0 / sqrt((double)g.in), b_h = 1.0 / sqrt((double)g.h);
    for (size_t k = 0; k < n; k++) {
        double bound = k < g.h * g.in + g.h ? b_in : b_h;
        r->gate[k] = (float)((2.0 * prle_rng_uniform(&rng) - 1.0) * bound);
    }
    return 0;
}

/* Work space of one forward or backward. */
typedef struct {
    float *za;   /* (n, h) W0z z_i + b0 */
    float *ua;   /* (P, h) W0u u_p */
    float *absd; /* (CHUNK_PAIRS, D) |z_i - u_p| of a block */
    float *pre;  /* (CHUNK_PAIRS, h) a_ip of a block */
    float *da;   /* backward: (CHUNK_PAIRS, h) dL/da_ip */
    float *grad; /* backward: (CHUNK_PAIRS, D) dL/d|z_i - u_p| */
    double *dl;  /* (CHUNK_PAIRS) forward: logits; backward: dL/dlogit_ip */
    double *gd;  /* backward: (CHUNK_PAIRS) dL/dd_ip */
    float *pz;   /* W0z packed for prle__gemm_rows_packed */
    float *pa;   /* W0a packed */
    size_t rows; /* rows per block */
} work;

static void work_dispose(work *wk)
{
    free(wk->za), free(wk->ua), free(wk->absd), free(wk->pre);
    free(wk->da), free(wk->grad), free(wk->dl), free(wk->gd);
    free(wk->pz), free(wk->pa);
}

static int work_alloc(work *wk, const prle_router *r, size_t n, bool backward)
{
    size_t h = r->p.gate_hidden, np = r->np, d = r->d, nh;
    size_t npk = prle__gemm_rows_pack_floats(h, d);
    memset(wk, 0, sizeof *wk);
    wk->rows = CHUNK_PAIRS / np ? CHUNK_PAIRS / np : 1;
    size_t pairs = wk->rows * np;
    if (!prle__mul_ok(&nh, n, h) || nh > SIZE_MAX / sizeof(float) ||
        !(wk->pz = malloc(npk * sizeof(float))) || !(wk->pa = malloc(npk * sizeof(float))) ||
        !(wk->za = malloc(nh * sizeof(float))) || !(wk->ua = malloc(np * h * sizeof(float))) ||
        !(wk->absd = malloc(pairs * d * sizeof(float))) ||
        !(wk->pre = malloc(pairs * h * sizeof(float))) ||
        !(wk->dl = malloc(pairs * sizeof(double))) ||
        (backward && (!(wk->da = malloc(pairs * h * sizeof(float))) ||
                      !(wk->grad = malloc(pairs * d * sizeof(float))) ||
                      !(wk->gd = malloc(pairs * sizeof(double)))))) {
        work_dispose(wk);
        return prle__error_nomem("router gate work space");
    }
    gate_views g = gate_point(r, r->gate);
    prle__gemm_rows_pack(wk->pz, g.w0, g.in, false, h, d);
    prle__gemm_rows_pack(wk->pa, g.w0 + 2 * d, g.in, false, h, d);
    return 0;
}

/* za and ua for all rows and prototypes (ua from the prototypes alone: the same call, so the
 * same bits, whatever the rows). */
static void gate_rows(work *wk, const gate_views *g, const prle_router *r, const prle_matrix *z,
                      int nt)
{
    size_t n = z->rows, h = g->h, d = g->d;
    prle__gemm_rows_packed(n, h, d, z->data, d, wk->pz, wk->za, h, nt);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < h; k++)
            wk->za[i * h + k] += g->b0[k];
    prle__gemm(false, true, r->np, h, d, 1.0f, r->protos, d, g->w0 + d, g->in, 0.0f, wk->ua, h, nt);
}

/* absd and pre of the pairs of rows [i0, i1). */
static void gate_block(work *wk, const gate_views *g, const prle_router *r, const prle_matrix *z,
                       const float *dist, size_t i0, size_t i1, int nt)
{
    size_t np = r->np, d = g->d, h = g->h, m = (i1 - i0) * np;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (m * d >= 65536)
    for (size_t q = 0; q < m; q++) {
        const float *zi = z->data + (i0 + q / np) * d, *u = r->protos + (q % np) * d;
        float *a = wk->absd + q * d;
        for (size_t t = 0; t < d; t++)
            a[t] = fabsf(zi[t] - u[t]);
    }
    prle__gemm_rows_packed(m, h, d, wk->absd, d, wk->pa, wk->pre, h, nt);
    const float *w0d = g->w0 + 3 * d; /* column 3D of W0, stride in */
#pragma omp parallel for schedule(static) num_threads(nt) if (m * h >= 65536)
    for (size_t q = 0; q < m; q++) {
        size_t i = i0 + q / np, p = q % np;
        float *a = wk->pre + q * h, dd = dist[i * np + p];
        const float *za = wk->za + i * h, *ua = wk->ua + p * h;
        for (size_t k = 0; k < h; k++)
            a[k] += za[k] + ua[k] + w0d[k * g->in] * dd;
    }
}

int prle__router_mlp_forward(float *w_out, const float *dist, const prle_router *r,
                             const prle_matrix *z, const uint64_t *noise_seed)
{
    int err;
    size_t n = z->rows, np = r->np, h = r->p.gate_hidden;
    work wk;
    if ((err = work_alloc(&wk, r, n, false)) < 0)
        return err;
    gate_views g = gate_point(r, r->gate);
    int nt = prle__threads_resolve(r->p.n_threads);
    gate_rows(&wk, &g, r, z, nt);
    double inv_t = noise_seed ? 1.0 / r->p.gumbel_tau : 1.0;
    for (size_t i0 = 0; i0 < n; i0 += wk.rows) {
        size_t i1 = i0 + wk.rows < n ? i0 + wk.rows : n;
        gate_block(&wk, &g, r, z, dist, i0, i1, nt);
#pragma omp parallel for schedule(static) num_threads(nt) if ((i1 - i0) * np * h >= 65536)
        for (size_t i = i0; i < i1; i++) {
            float *wi = w_out + i * np;
            double *lg = wk.dl + (i - i0) * np;
            prle_rng rng;
            if (noise_seed)
                prle_rng_init(&rng, *noise_seed, "router.gumbel", i);
            double hi = -INFINITY;
            for (size_t p = 0; p < np; p++) {
                const float *a = wk.pre + ((i - i0) * np + p) * h;
                double logit = g.b2[0];
                for (size_t k = 0; k < h; k++)
                    logit += a[k] > 0 ? (double)g.w2[k] * a[k] : 0.0;
                if (noise_seed) {
                    double u;
                    do /* U in (0, 1): -ln(-ln U) is finite */
                        u = prle_rng_uniform(&rng);
                    while (u == 0);
                    logit += -log(-log(u));
                }
                lg[p] = logit * inv_t;
                if (lg[p] > hi)
                    hi = lg[p];
            }
            double sum = 0;
            for (size_t p = 0; p < np; p++)
                sum += (lg[p] = exp(lg[p] - hi));
            for (size_t p = 0; p < np; p++)
                wi[p] = (float)(lg[p] / sum);
        }
    }
    work_dispose(&wk);
    return 0;
}

int prle__router_mlp_backward(float *dz, float *dparams, const prle_router *r, const prle_matrix *z,
                              const float *dw, const float *w, const float *dist)
{
    int err;
    size_t n = z->rows, np = r->np, d = r->d, h = r->p.gate_hidden;
    work wk;
    float *srow = NULL, *tproto = NULL; /* (n, h) sum_p da_ip; (P, h) sum_i da_ip */
    double *acc = NULL; /* (P h + 3 h + 1): sum_i da_ip, then b0, w0d, w2, b2 sums */
    if ((err = work_alloc(&wk, r, n, true)) < 0)
        return err;
    if (!(srow = calloc(n * h, sizeof *srow)) || !(tproto = malloc(np * h * sizeof *tproto)) ||
        !(acc = calloc(np * h + 3 * h + 1, sizeof *acc))) {
        err = prle__error_nomem("router gate backward");
        goto done;
    }
    gate_views g = gate_point(r, r->gate);
    const float *w0d = g.w0 + 3 * d;
    double *acc_t = acc, *acc_b0 = acc_t + np * h, *acc_w0d = acc_b0 + h, *acc_w2 = acc_w0d + h,
           *acc_b2 = acc_w2 + h;
    double inv_t = 1.0 / r->p.gumbel_tau;
    int nt = prle__threads_resolve(r->p.n_threads);
    gate_rows(&wk, &g, r, z, nt);
    for (size_t i0 = 0; i0 < n; i0 += wk.rows) {
        size_t i1 = i0 + wk.rows < n ? i0 + wk.rows : n, m = (i1 - i0) * np;
        gate_block(&wk, &g, r, z, dist, i0, i1, nt);
        /* dlogit_ip = w_ip (g_ip - gbar_i) / gumbel_tau; da = dlogit w2 [a > 0] */
#pragma omp parallel for schedule(static) num_threads(nt) if (m * h >= 65536)
        for (size_t i = i0; i < i1; i++) {
            const float *gi = dw + i * np, *wi = w + i * np;
            double gbar = 0;
            for (size_t p = 0; p < np; p++)
                gbar += (double)wi[p] * gi[p];
            float *si = srow + i * h;
            for (size_t p = 0; p < np; p++) {
                size_t q = (i - i0) * np + p;
                double dl = inv_t * wi[p] * (gi[p] - gbar), gdq = 0;
                const float *a = wk.pre + q * h;
                float *da = wk.da + q * h;
                for (size_t k = 0; k < h; k++) {
                    da[k] = a[k] > 0 ? (float)(dl * g.w2[k]) : 0.0f;
                    si[k] += da[k];
                    gdq += (double)w0d[k * g.in] * da[k];
                }
                wk.dl[q] = dl;
                wk.gd[q] = gdq;
            }
        }
        if (dparams) {
            /* small sums in pair order; dW0a += da^T |z - u| */
            for (size_t q = 0; q < m; q++) {
                const float *a = wk.pre + q * h, *da = wk.da + q * h;
                double dl = wk.dl[q], dd = dist[(i0 + q / np) * np + q % np];
                double *tp = acc_t + (q % np) * h;
                for (size_t k = 0; k < h; k++) {
                    tp[k] += da[k];
                    acc_b0[k] += da[k];
                    acc_w0d[k] += da[k] * dd;
                    if (a[k] > 0)
                        acc_w2[k] += dl * a[k];
                }
                *acc_b2 += dl;
            }
            prle__gemm(true, false, h, d, m, 1.0f, wk.da, h, wk.absd, d, 1.0f, dparams + 2 * d,
                       g.in, nt);
        }
        if (dz) {
            /* dL/d|z - u| = da W0a, through sign(z - u) (0 at 0, as torch.abs); then d */
            prle__gemm(false, false, m, d, h, 1.0f, wk.da, h, g.w0 + 2 * d, g.in, 0.0f, wk.grad, d,
                       nt);
#pragma omp parallel for schedule(static) num_threads(nt) if (m * d >= 65536)
            for (size_t i = i0; i < i1; i++) {
                const float *zi = z->data + i * d;
                float *dzi = dz + i * d;
                for (size_t p = 0; p < np; p++) {
                    const float *u = r->protos + p * d, *gr = wk.grad + ((i - i0) * np + p) * d;
                    for (size_t t = 0; t < d; t++) {
                        float e = zi[t] - u[t];
                        dzi[t] += e > 0 ? gr[t] : e < 0 ? -gr[t] : 0.0f;
                    }
                }
                prle__router_dist_grad(dzi, zi, wk.gd + (i - i0) * np, dist + i * np, r);
            }
        }
    }
    if (dz) /* the z block of every pair: dz += (sum_p da_ip) W0z */
        prle__gemm(false, false, n, d, h, 1.0f, srow, h, g.w0, g.in, 1.0f, dz, d, nt);
    if (dparams) {
        prle__gemm(true, false, h, d, n, 1.0f, srow, h, z->data, d, 1.0f, dparams, g.in, nt);
        for (size_t k = 0; k < np * h; k++)
            tproto[k] = (float)acc_t[k];
        prle__gemm(true, false, h, d, np, 1.0f, tproto, h, r->protos, d, 1.0f, dparams + d, g.in,
                   nt);
        float *db0 = dparams + h * g.in, *dw2 = db0 + h, *db2 = dw2 + h;
        for (size_t k = 0; k < h; k++) {
            db0[k] += (float)acc_b0[k];
            dparams[k * g.in + 3 * d] += (float)acc_w0d[k];
            dw2[k] += (float)acc_w2[k];
        }
        db2[0] += (float)*acc_b2;
    }
done:
    work_dispose(&wk);
    free(srow), free(tproto), free(acc);
    return err;
}
