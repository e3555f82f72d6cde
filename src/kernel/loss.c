#include "kernel/loss.h"

#include <math.h>
#include <string.h>

#include "math/blas.h"

#define UNIF_EPS 1e-8
#define TRIP_POS 0.1    /* positive: |dy| <= 0.1 M */
#define TRIP_NEG 0.3    /* negative: |dy| >= 0.3 M */
#define TRIP_MARGIN 0.1 /* max(0, margin - s_ij + s_ik) */

static inline double gap(const float *y, size_t i, size_t j)
{
    return fabs((double)y[i] - (double)y[j]);
}

/* The k-th (0-based) row r != i of the batch whose label gap to i satisfies the test. */
static size_t nth_match(const float *y, size_t n, size_t i, double lo, double hi, uint64_t k)
{
    for (size_t r = 0; r < n; r++) {
        double g = gap(y, i, r);
        if (r != i && g <= lo && g >= hi && k-- == 0)
            return r;
    }
    return n; /* unreachable: k < count */
}

static size_t count_match(const float *y, size_t n, size_t i, double lo, double hi)
{
    size_t c = 0;
    for (size_t r = 0; r < n; r++) {
        double g = gap(y, i, r);
        c += r != i && g <= lo && g >= hi;
    }
    return c;
}

/* Triplet hinge: mean over anchors with both; adds its gradient to A (n, n) when A != NULL. */
static double triplet(size_t *n_anchors, float *A, const float *S, const float *y, size_t n,
                      double M, double lambda, prle_rng *rng)
{
    double pos = TRIP_POS * M, neg = TRIP_NEG * M;
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        na += count_match(y, n, i, pos, 0.0) > 0 && count_match(y, n, i, INFINITY, neg) > 0;
    *n_anchors = na;
    if (na == 0)
        return 0.0;
    double sum = 0, c = lambda / (double)na;
    for (size_t i = 0; i < n; i++) {
        size_t cp = count_match(y, n, i, pos, 0.0), cn = count_match(y, n, i, INFINITY, neg);
        if (!cp || !cn)
            continue;
        size_t j = nth_match(y, n, i, pos, 0.0, prle_rng_below(rng, cp));
        size_t k = nth_match(y, n, i, INFINITY, neg, prle_rng_below(rng, cn));
        double hinge = TRIP_MARGIN - (double)S[i * n + j] + (double)S[i * n + k];
        if (hinge <= 0.0)
            continue;
        sum += hinge;
        if (A && c != 0.0) {
            A[i * n + j] -= (float)c;
            A[j * n + i] -= (float)c;
            A[i * n + k] += (float)c;
            A[k * n + i] += (float)c;
        }
    }
    return sum / (double)na;
}

void prle__kernel_loss(prle__loss_terms *out, float *dz, float *work, const float *z,
                       const float *y, size_t n, size_t d, const prle__loss_params *lp,
                       prle_rng *rng, int nt)
{
    float *S = work, *A = dz ? work + n * n : NULL;
    double M = lp->label_range;
    memset(out, 0, sizeof *out);
    prle__gemm(false, true, n, n, d, 1.0f, z, d, z, d, 0.0f, S, n, nt);
    if (A)
        memset(A, 0, n * n * sizeof *A);

    /* pair: mean over ordered pairs i != j; A_ij gets 2 lambda (r_ij + r_ji) / (n (n - 1)) */
    double npair = (double)n * (double)(n - 1), sp = 0;
    double cpair = 2.0 * lp->lambda_pair / npair;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (i == j)
                continue;
            double r = (double)S[i * n + j] - (1.0 - gap(y, i, j) / M);
            sp += r * r;
            if (A)
                A[i * n + j] += (float)(cpair * r), A[j * n + i] += (float)(cpair * r);
        }
    out->pair = sp / npair;

    /* uniformity over i < j, |z_i - z_j|^2 = s_ii + s_jj - 2 s_ij */
    double P = npair / 2.0, se = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double d2 = (double)S[i * n + i] + (double)S[j * n + j] - 2.0 * (double)S[i * n + j];
            se += exp(-2.0 * d2);
        }
    double E = se / P;
    out->uniform = log(E + UNIF_EPS);
    if (A && lp->lambda_uniform != 0.0) {
        double cu = lp->lambda_uniform * -2.0 / (P * (E + UNIF_EPS)); /* w_ij = cu e_ij */
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                double d2 =
                    (double)S[i * n + i] + (double)S[j * n + j] - 2.0 * (double)S[i * n + j];
                double w = cu * exp(-2.0 * d2);
                A[i * n + j] += (float)(-2.0 * w);
                A[j * n + i] += (float)(-2.0 * w);
                A[i * n + i] += (float)(2.0 * w);
                A[j * n + j] += (float)(2.0 * w);
            }
    }

    if (rng)
        out->triplet = triplet(&out->n_anchors, A, S, y, n, M, lp->lambda_triplet, rng);
    out->total = lp->lambda_pair * out->pair + lp->lambda_triplet * out->triplet +
                 lp->lambda_uniform * out->uniform;
    if (dz)
        prle__gemm(false, false, n, d, n, 1.0f, A, n, z, d, 0.0f, dz, d, nt);
}
