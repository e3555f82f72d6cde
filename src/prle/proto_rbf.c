/* `proto_rbf` experts (SPEC.md §5): W = softmax_p(-tau |z - c_p|^2), y = W beta, with
 *   beta = argmin |W beta - y|^2 + lambda' |beta - a|^2,
 *   i.e. (W^T W + lambda' I) beta = W^T y + lambda' a     (Cholesky, LAPACKE dposv, double)
 * on the training rows, a = the prototypes' own labels, and tau chosen on validation.
 *
 * The tau grid: 0.25 * 2^k, k = 0..TAU_STEPS-1, i.e. 0.25, 0.5, ..., 256 (11 values). Rows and
 * prototypes live in the L2-normalised value space, so |z - c|^2 is in [0, 4]: at tau 0.25
 * the weights of any row differ by at most a factor e, nearly uniform (beta then barely
 * matters and the model predicts about the mean); at 256 a squared-distance gap of 0.02 is a
 * factor e^5, nearly nearest-prototype. The tau kept is the grid point with the lowest
 * validation MSE (the lower tau on a tie); on STS-B the validation curve is smooth with its
 * minimum inside the grid (tau 8).
 *
 * lambda: the caller's lambda (default 1e-2) is scaled by n/P, lambda' = lambda n / P. W^T W
 * sums over the n training rows and each prototype's column carries about n/P rows of weight,
 * so the scaled penalty keeps the prior's strength relative to the data the same for any
 * training-set size and P: lambda = 1e-2 means "the prototype's own label counts as 1% of the
 * rows routed to it". Without the scaling, 1e-2 is nothing next to n/P ~ 230 on STS-B and the
 * solve is plain least squares on an ill-conditioned W^T W (small tau: near-uniform rows).
 * Measured on the STS-B GloVe value space (P = 25 k-medoids prototypes, issue 5): test Pearson
 * 0.708 either way, but unscaled beta reaches |12.4| standard deviations with corr(beta, a) =
 * 0.33, scaled it stays within 2.6 with corr 0.76, so beta_p still reads as prototype p's
 * local value in an explanation.
 *
 * |z - c_p|^2 = |z|^2 + |c_p|^2 - 2 z.c_p; |z|^2 is the same for every p and cancels in the
 * softmax, so the logits are -tau (|c_p|^2 - 2 z.c_p), in double (no cancellation). */
#include "prle/proto_rbf.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "math/blas.h"

#define TAU_FIRST 0.25
#define TAU_STEPS 11

static int check_rows(const prle_matrix *z, size_t d, const char *what)
{
    if (z->cols != d)
        return prle__error_set(PRLE_EINVAL, "proto_rbf: %s rows of width %zu, prototypes of %zu",
                               what, z->cols, d);
    if (z->rows && !z->data)
        return prle__error_set(PRLE_EINVAL, "proto_rbf: %s has no data", what);
    for (size_t i = 0; i < z->rows * d; i++)
        if (!isfinite(z->data[i]))
            return prle__error_set(PRLE_EINVAL, "proto_rbf: %s row %zu has a non-finite value",
                                   what, i / d);
    return 0;
}

/* s (n, P) = |c_p|^2 - 2 z_i . c_p, in double. */
static int half_dist(double **out, const prle_matrix *protos, const prle_matrix *z, int nt)
{
    size_t n = z->rows, np = protos->rows, d = protos->cols, bytes;
    double *s = NULL, *csq = NULL;
    if (!prle__mul_ok(&bytes, n ? n : 1, np) || !prle__mul_ok(&bytes, bytes, sizeof *s) ||
        !(s = malloc(bytes)) || !(csq = malloc(np * sizeof *csq))) {
        free(s);
        return prle__error_nomem("proto_rbf distances");
    }
    for (size_t p = 0; p < np; p++) {
        const float *c = protos->data + p * d;
        double v = 0;
        for (size_t t = 0; t < d; t++)
            v += (double)c[t] * c[t];
        csq[p] = v;
    }
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * np * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *zi = z->data + i * d;
        for (size_t p = 0; p < np; p++) {
            const float *c = protos->data + p * d;
            double dot = 0;
            for (size_t t = 0; t < d; t++)
                dot += (double)zi[t] * c[t];
            s[i * np + p] = csq[p] - 2.0 * dot;
        }
    }
    free(csq);
    *out = s;
    return 0;
}

/* w (n, P) = row softmax of -tau s, in double. */
static void softmax_rows(double *w, const double *s, size_t n, size_t np, double tau, int nt)
{
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * np >= 16384)
    for (size_t i = 0; i < n; i++) {
        const double *si = s + i * np;
        double *wi = w + i * np, lo = INFINITY, sum = 0;
        for (size_t p = 0; p < np; p++)
            lo = si[p] < lo ? si[p] : lo;
        for (size_t p = 0; p < np; p++)
            sum += (wi[p] = exp(-tau * (si[p] - lo)));
        for (size_t p = 0; p < np; p++)
            wi[p] /= sum;
    }
}

/* Mean squared error of w beta against y over n rows. */
static double mse(const double *w, const double *beta, const float *y, size_t n, size_t np)
{
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
        double e = -(double)y[i];
        for (size_t p = 0; p < np; p++)
            e += w[i * np + p] * beta[p];
        acc += e * e;
    }
    return acc / (double)n;
}

/* beta (P) from (W^T W + lam I) beta = W^T y + lam a; g (P, P) is scratch. */
static int solve_beta(double *beta, double *g, const double *w, const float *y, const float *a,
                      size_t n, size_t np, double lam, int nt)
{
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * np * np >= 65536)
    /* row p of the upper triangle and of the rhs, rows in order */
    for (size_t p = 0; p < np; p++) {
        for (size_t q = p; q < np; q++) {
            double v = 0;
            for (size_t i = 0; i < n; i++)
                v += w[i * np + p] * w[i * np + q];
            g[p * np + q] = v + (p == q ? lam : 0.0);
        }
        double b = lam * a[p];
        for (size_t i = 0; i < n; i++)
            b += w[i * np + p] * y[i];
        beta[p] = b;
    }
    prle__blas_pin_serial(); /* LAPACK's BLAS on one thread (math/blas.h) */
    lapack_int info =
        LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)np, 1, g, (lapack_int)np, beta, 1);
    prle__blas_unpin();
    if (info != 0)
        return prle__error_set(info < 0 ? PRLE_EINVAL : PRLE_ERROR,
                               "proto_rbf: LAPACKE_dposv returned %d", (int)info);
    return 0;
}

int prle__rbf_fit(float *beta, double *tau, const prle_matrix *protos, const prle_matrix *ztr,
                  const float *ytr, const float *a, const prle_matrix *zva, const float *yva,
                  double lambda, int n_threads)
{
    int err;
    size_t np = protos->rows, d = protos->cols, n = ztr->rows;
    size_t nva = zva ? zva->rows : 0;
    double *str = NULL, *sva = NULL, *wtr = NULL, *wva = NULL, *g = NULL, *b = NULL;
    if (np == 0 || d == 0 || !protos->data)
        return prle__error_set(PRLE_EINVAL, "proto_rbf: no prototypes (%zu, %zu)", np, d);
    if (n == 0 || !ytr || !a)
        return prle__error_set(PRLE_EINVAL, "proto_rbf: no training rows");
    if (!(lambda > 0) || !isfinite(lambda))
        return prle__error_set(PRLE_EINVAL, "proto_rbf: lambda must be > 0, got %g", lambda);
    if ((err = check_rows(protos, d, "prototype")) < 0 ||
        (err = check_rows(ztr, d, "training")) < 0 ||
        (nva && ((err = check_rows(zva, d, "validation")) < 0)))
        return err;
    if (nva && !yva)
        return prle__error_set(PRLE_EINVAL, "proto_rbf: validation rows without labels");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(ytr[i]))
            return prle__error_set(PRLE_EINVAL, "proto_rbf: training label %zu is not finite", i);
    for (size_t i = 0; i < nva; i++)
        if (!isfinite(yva[i]))
            return prle__error_set(PRLE_EINVAL, "proto_rbf: validation label %zu is not finite", i);
    for (size_t p = 0; p < np; p++)
        if (!isfinite(a[p]))
            return prle__error_set(PRLE_EINVAL, "proto_rbf: label of prototype %zu is not finite",
                                   p);
    int nt = prle__threads_resolve(n_threads);
    const float *ysel = nva ? yva : ytr;
    size_t nsel = nva ? nva : n;
    if ((err = half_dist(&str, protos, ztr, nt)) < 0 ||
        (nva && (err = half_dist(&sva, protos, zva, nt)) < 0))
        goto done;
    if (!(wtr = malloc(n * np * sizeof *wtr)) || (nva && !(wva = malloc(nva * np * sizeof *wva))) ||
        !(g = malloc(np * np * sizeof *g)) || !(b = malloc(np * sizeof *b))) {
        err = prle__error_nomem("proto_rbf");
        goto done;
    }
    double lam = lambda * (double)n / (double)np, best = INFINITY, t = TAU_FIRST;
    for (int k = 0; k < TAU_STEPS; k++, t *= 2) {
        softmax_rows(wtr, str, n, np, t, nt);
        if ((err = solve_beta(b, g, wtr, ytr, a, n, np, lam, nt)) < 0)
            goto done;
        if (nva)
            softmax_rows(wva, sva, nva, np, t, nt);
        double e = mse(nva ? wva : wtr, b, ysel, nsel, np);
        if (e < best) {
            best = e;
            *tau = t;
            for (size_t p = 0; p < np; p++)
                beta[p] = (float)b[p];
        }
    }
    if (!isfinite(best))
        err = prle__error_set(PRLE_ERROR, "proto_rbf: no tau gave a finite error");
done:
    free(str), free(sva), free(wtr), free(wva), free(g), free(b);
    return err;
}

int prle__rbf_weights(float *w, const prle_matrix *protos, const prle_matrix *z, double tau,
                      int n_threads)
{
    int err;
    size_t n = z->rows, np = protos->rows;
    double *s = NULL;
    if (!(tau > 0) || !isfinite(tau))
        return prle__error_set(PRLE_EINVAL, "proto_rbf: tau must be > 0, got %g", tau);
    if (z->cols != protos->cols)
        return prle__error_set(PRLE_EINVAL, "proto_rbf: rows of width %zu, prototypes of %zu",
                               z->cols, protos->cols);
    if (n == 0)
        return 0;
    int nt = prle__threads_resolve(n_threads);
    if ((err = half_dist(&s, protos, z, nt)) < 0)
        return err;
    softmax_rows(s, s, n, np, tau, nt); /* in place: each row reads s before writing it */
    for (size_t k = 0; k < n * np; k++)
        w[k] = (float)s[k];
    free(s);
    return 0;
}
