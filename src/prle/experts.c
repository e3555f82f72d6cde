/* Stage 2 experts: linear maps or one-hidden-layer MLPs, one per prototype, over a flat
 * parameter buffer. All P MLPs share one (n, D) x (D, P*h) product: their first layers are
 * stacked as the rows of W1. */
#include "prle/experts.h"

#include <math.h>
#include <string.h>

#include "core/error.h"
#include "math/blas.h"
#include "nn/act.h"
#include "nn/linear.h"
#include "nn/param_buf.h"
#include "prle/rng.h"

/* Largest width or count accepted: keeps P*h*D far from overflow. */
#define MAX_SIZE ((size_t)1 << 24)

int prle__experts_init(prle__experts *ex, prle_expert_type type, size_t np, size_t d, size_t h)
{
    memset(ex, 0, sizeof *ex);
    if (type != PRLE_EXPERT_LINEAR && type != PRLE_EXPERT_MLP)
        return prle__error_set(PRLE_EINVAL, "experts: type %s has no gradient-trained experts",
                               prle_expert_type_name(type));
    if (np == 0 || d == 0 || np > MAX_SIZE || d > MAX_SIZE ||
        (type == PRLE_EXPERT_MLP && (h == 0 || h > MAX_SIZE)))
        return prle__error_set(PRLE_EINVAL, "experts: sizes P %zu, D %zu, h %zu out of range", np,
                               d, h);
    ex->type = type;
    ex->np = np;
    ex->d = d;
    size_t sizes[4], offs[4], count, ph = np;
    bool overflow = false;
    if (type == PRLE_EXPERT_LINEAR) {
        count = 2;
        sizes[1] = np;
    } else {
        ex->h = h;
        count = 4;
        if (!prle__mul_ok(&ph, np, h))
            return prle__error_nomem("expert parameters");
        sizes[1] = ph;
        sizes[2] = ph;
        sizes[3] = np;
    }
    if (!prle__mul_ok(&sizes[0], ph, d))
        return prle__error_nomem("expert parameters");
    ex->n_params = prle__param_layout(offs, sizes, count, &overflow);
    if (overflow)
        return prle__error_nomem("expert parameters");
    ex->w1 = offs[0];
    ex->b1 = offs[1];
    if (type == PRLE_EXPERT_MLP) {
        ex->w2 = offs[2];
        ex->b2 = offs[3];
    }
    return 0;
}

static void fill_uniform(float *v, size_t n, double bound, prle_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)((2.0 * prle_rng_uniform(rng) - 1.0) * bound);
}

void prle__experts_init_weights(const prle__experts *ex, float *params, uint64_t seed)
{
    prle_rng rng;
    prle_rng_init(&rng, seed, "experts.init", 0);
    memset(params, 0, ex->n_params * sizeof *params);
    size_t ph = ex->type == PRLE_EXPERT_MLP ? ex->np * ex->h : ex->np;
    double b1 = 1.0 / sqrt((double)ex->d);
    fill_uniform(params + ex->w1, ph * ex->d, b1, &rng);
    fill_uniform(params + ex->b1, ph, b1, &rng);
    if (ex->type == PRLE_EXPERT_MLP) {
        double b2 = 1.0 / sqrt((double)ex->h);
        fill_uniform(params + ex->w2, ph, b2, &rng);
        fill_uniform(params + ex->b2, ex->np, b2, &rng);
    }
}

/* The first layer's outputs: P (linear) or P h (mlp). */
static size_t first_width(const prle__experts *ex)
{
    return ex->type == PRLE_EXPERT_MLP ? ex->np * ex->h : ex->np;
}

size_t prle__experts_act_floats(const prle__experts *ex, size_t n)
{
    size_t pack = prle__gemm_rows_pack_floats(first_width(ex), ex->d);
    return (ex->type == PRLE_EXPERT_MLP ? 2 * n * ex->np * ex->h : 0) + pack;
}

size_t prle__experts_work_floats(const prle__experts *ex, size_t n)
{
    return ex->type == PRLE_EXPERT_MLP ? n * ex->np * ex->h : 0;
}

void prle__experts_forward(float *e, float *act, const prle__experts *ex, const float *params,
                           const float *z, size_t n, int nt)
{
    size_t np = ex->np, d = ex->d;
    if (ex->type == PRLE_EXPERT_LINEAR) { /* row by row: the same bits in any batch */
        prle__linear_fwd_rows(e, z, params + ex->w1, params + ex->b1, n, d, np, act, nt);
        return;
    }
    size_t h = ex->h, ph = np * h;
    float *pre = act, *post = act + n * ph;
    const float *w2 = params + ex->w2, *b2 = params + ex->b2;
    prle__linear_fwd_rows(pre, z, params + ex->w1, params + ex->b1, n, d, ph, act + 2 * n * ph, nt);
    prle__act_fwd(post, pre, n * ph, PRLE__ACT_RELU, nt);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * ph >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *pi = post + i * ph;
        for (size_t p = 0; p < np; p++) {
            double s = b2[p];
            for (size_t k = 0; k < h; k++)
                s += (double)pi[p * h + k] * w2[p * h + k];
            e[i * np + p] = (float)s;
        }
    }
}

/* dw2[j] += sum_i de[i, j / h] post[i, j], column blocks split over threads, rows in order. */
static void w2_grad(float *dw2, const float *de, const float *post, size_t n, size_t np, size_t h,
                    int nt)
{
    enum { BLK = 256 };
    size_t ph = np * h, nblk = (ph + BLK - 1) / BLK;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * ph >= 65536)
    for (size_t b = 0; b < nblk; b++) {
        size_t j0 = b * BLK, j1 = j0 + BLK < ph ? j0 + BLK : ph;
        double acc[BLK] = {0};
        for (size_t i = 0; i < n; i++) {
            const float *pi = post + i * ph, *gi = de + i * np;
            for (size_t j = j0; j < j1; j++)
                acc[j - j0] += (double)gi[j / h] * pi[j];
        }
        for (size_t j = j0; j < j1; j++)
            dw2[j] += (float)acc[j - j0];
    }
}

void prle__experts_backward(float *grads, float *work, const prle__experts *ex, const float *params,
                            const float *de, const float *act, const float *z, size_t n, int nt)
{
    size_t np = ex->np, d = ex->d;
    if (ex->type == PRLE_EXPERT_LINEAR) {
        prle__linear_bwd(NULL, grads + ex->w1, grads + ex->b1, de, z, params + ex->w1, n, d, np,
                         nt);
        return;
    }
    size_t h = ex->h, ph = np * h;
    const float *pre = act, *post = act + n * ph, *w2 = params + ex->w2;
    prle__colsum_add(grads + ex->b2, de, n, np, nt);
    w2_grad(grads + ex->w2, de, post, n, np, h, nt);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * ph >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *gi = de + i * np, *qi = pre + i * ph;
        float *wi = work + i * ph;
        for (size_t j = 0; j < ph; j++)
            wi[j] = qi[j] > 0.0f ? gi[j / h] * w2[j] : 0.0f; /* ReLU'(0) = 0, as PyTorch */
    }
    prle__linear_bwd(NULL, grads + ex->w1, grads + ex->b1, work, z, params + ex->w1, n, d, ph, nt);
}
