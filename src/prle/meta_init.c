/* Expert meta-initialisation (SPEC.md §5, §12.2): one linear model y ~ w.z + c fitted on the
 * value-space training rows, which the model copies into every linear expert.
 *
 * META_LINEAR: ridge with a tiny alpha (ALPHA) on w and c unpenalised, i.e. scikit-learn's
 * Ridge(alpha, fit_intercept=True): centre z and y, solve min |y_c - Z_c w|^2 + alpha |w|^2 as
 * the least-squares problem [Z_c; sqrt(alpha) I] w = [y_c; 0] by QR (LAPACKE dgels, double),
 * then c = mean(y) - mean(z).w. With alpha this small it is OLS wherever OLS is well posed, and
 * still defined when Z_c is rank-deficient (fewer rows than D, constant columns).
 *
 * META_SVR: linear epsilon-SVR, L2-regularised squared-epsilon-insensitive loss, solved in the
 * dual by liblinear (solver L2R_L2LOSS_SVR_DUAL; scikit-learn's
 * LinearSVR(loss='squared_epsilon_insensitive', dual=True) wraps the same solver), C = 1,
 * epsilon = 0.1, stopping tolerance SVR_EPS. As in LinearSVR, the intercept is a constant
 * feature of value 1 whose weight is regularised too. This is the only file that includes
 * linear.h (its bare `train`/`predict` names would clash elsewhere, STYLE.md §3). liblinear
 * visits the dual variables in an order drawn from rand(): srand(seed) before each fit makes
 * that order, and so the model's bits, a function of the seed (the optimum itself is unique).
 * liblinear's progress output is silenced. */
#include "prle/meta_init.h"

#include <lapacke.h>
#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "math/blas.h"
#include "math/ridge_path.h"

#define ALPHA 1e-3
#define SVR_C 1.0
#define SVR_EPSILON 0.1
#define SVR_EPS 1e-4

static int check_inputs(const prle_matrix *z, const float *y)
{
    size_t n = z->rows, d = z->cols;
    if (n == 0 || d == 0 || !z->data || !y)
        return prle__error_set(PRLE_EINVAL, "meta-init: no training rows (%zu, %zu)", n, d);
    if (n > (size_t)INT32_MAX - 1 || d > (size_t)INT32_MAX - 2)
        return prle__error_set(PRLE_EINVAL, "meta-init: too many rows or columns (%zu, %zu)", n, d);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            return prle__error_set(PRLE_EINVAL, "meta-init: label of row %zu is not finite", i);
        for (size_t j = 0; j < d; j++)
            if (!isfinite(z->data[i * d + j]))
                return prle__error_set(PRLE_EINVAL, "meta-init: row %zu has a non-finite value", i);
    }
    return 0;
}

static int fit_ridge(float *w, float *c, const prle_matrix *z, const float *y, int nt)
{
    int err = 0;
    size_t n = z->rows, d = z->cols, m = n + d, bytes;
    double *a = NULL, *b = NULL, *zm = NULL, ym = 0;
    if (!prle__mul_ok(&bytes, m, d) || !prle__mul_ok(&bytes, bytes, sizeof(double)) ||
        !(a = calloc(1, bytes)) || !(b = calloc(m, sizeof *b)) || !(zm = calloc(d, sizeof *zm))) {
        err = prle__error_nomem("meta-init ridge");
        goto done;
    }
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
    for (size_t j = 0; j < d; j++) { /* column means, rows in order */
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += z->data[i * d + j];
        zm[j] = s / (double)n;
    }
    for (size_t i = 0; i < n; i++)
        ym += y[i];
    ym /= (double)n;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++)
            a[i * d + j] = z->data[i * d + j] - zm[j];
        b[i] = y[i] - ym;
    }
    for (size_t j = 0; j < d; j++)
        a[(n + j) * d + j] = sqrt(ALPHA);
    prle__blas_pin_serial(); /* LAPACK's BLAS on one thread (math/blas.h) */
    lapack_int info = LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (lapack_int)m, (lapack_int)d, 1, a,
                                    (lapack_int)d, b, 1);
    prle__blas_unpin();
    if (info != 0) {
        err = prle__error_set(info < 0 ? PRLE_EINVAL : PRLE_ERROR,
                              "meta-init ridge: LAPACKE_dgels returned %d", (int)info);
        goto done;
    }
    double ic = ym;
    for (size_t j = 0; j < d; j++) {
        w[j] = (float)b[j];
        ic -= zm[j] * b[j];
    }
    *c = (float)ic;
done:
    free(a), free(b), free(zm);
    return err;
}

static void liblinear_silent(const char *s)
{
    (void)s;
}

static int fit_svr(float *w, float *c, const prle_matrix *z, const float *y, uint64_t seed)
{
    int err = 0;
    size_t n = z->rows, d = z->cols, per = d + 2, bytes; /* d features, bias, terminator */
    struct feature_node *nodes = NULL, **rows = NULL;
    double *yy = NULL;
    struct model *mod = NULL;
    if (!prle__mul_ok(&bytes, n, per) || !prle__mul_ok(&bytes, bytes, sizeof *nodes) ||
        !(nodes = malloc(bytes)) || !(rows = malloc(n * sizeof *rows)) ||
        !(yy = malloc(n * sizeof *yy))) {
        err = prle__error_nomem("meta-init svr");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        struct feature_node *row = nodes + i * per;
        size_t k = 0;
        for (size_t j = 0; j < d; j++) /* sparse: zeros are left out */
            if (z->data[i * d + j] != 0)
                row[k++] = (struct feature_node){(int)j + 1, z->data[i * d + j]};
        row[k++] = (struct feature_node){(int)d + 1, 1.0}; /* the bias feature */
        row[k] = (struct feature_node){-1, 0.0};
        rows[i] = row;
        yy[i] = y[i];
    }
    struct problem prob = {.l = (int)n, .n = (int)d + 1, .y = yy, .x = rows, .bias = 1.0};
    struct parameter par = {.solver_type = L2R_L2LOSS_SVR_DUAL,
                            .eps = SVR_EPS,
                            .C = SVR_C,
                            .nr_weight = 0,
                            .weight_label = NULL,
                            .weight = NULL,
                            .p = SVR_EPSILON,
                            .init_sol = NULL};
    const char *msg = check_parameter(&prob, &par);
    if (msg) {
        err = prle__error_set(PRLE_EINVAL, "meta-init svr: %s", msg);
        goto done;
    }
    set_print_string_function(liblinear_silent);
    srand((unsigned)(seed ^ (seed >> 32)));
    if (!(mod = train(&prob, &par))) {
        err = prle__error_nomem("meta-init svr model");
        goto done;
    }
    /* prob.n counts the bias column: w has d + 1 entries, the last times bias 1 is c */
    for (size_t j = 0; j < d; j++)
        w[j] = (float)mod->w[j];
    *c = (float)mod->w[d];
done:
    if (mod)
        free_and_destroy_model(&mod);
    free(nodes), free(rows), free(yy);
    return err;
}

static const double RIDGE_ALPHAS[] = {1e-3, 1e-2, 1e-1, 1, 10, 100, 1e3, 1e4};
#define N_RIDGE_ALPHAS (sizeof RIDGE_ALPHAS / sizeof *RIDGE_ALPHAS)

int prle__meta_init_ridge(float *w, float *c, double *alpha, double given, const prle_matrix *z,
                          const float *y, const prle_matrix *zv, const float *yv, int n_threads)
{
    int err;
    if (!w || !c)
        return prle__error_set(PRLE_EINVAL, "meta-init: NULL output");
    if ((err = check_inputs(z, y)) < 0)
        return err;
    bool has_val = !(given > 0) && zv && yv && zv->rows >= 2;
    if (has_val && zv->cols != z->cols)
        return prle__error_set(PRLE_ESHAPE, "meta-init: validation rows are %zu wide, not %zu",
                               zv->cols, z->cols);
    size_t d = z->cols, n_alpha = has_val ? N_RIDGE_ALPHAS : 1;
    const double *alphas = has_val ? RIDGE_ALPHAS : (const double[]){given > 0 ? given : 1.0};
    double *coef = malloc((d ? d : 1) * sizeof *coef), icpt;
    if (!coef)
        return prle__error_nomem("meta-init ridge");
    int best = prle__ridge_path_best(coef, &icpt, z, y, has_val ? zv : NULL, yv, alphas, n_alpha,
                                     prle__threads_resolve(n_threads));
    if (best >= 0 && (size_t)best == n_alpha)
        best = prle__error_set(PRLE_ERROR, "meta-init ridge: no alpha gave a positive definite "
                                           "system (the value-space rows are not finite?)");
    if (best >= 0) {
        *c = (float)icpt;
        for (size_t j = 0; j < d; j++)
            w[j] = (float)coef[j];
        if (alpha)
            *alpha = alphas[best];
    }
    free(coef);
    return best < 0 ? best : 0;
}

int prle__meta_init_linear(float *w, float *c, const prle_matrix *z, const float *y,
                           prle_expert_init how, uint64_t seed, int n_threads)
{
    int err;
    if (how != PRLE_EXPERT_INIT_META_LINEAR && how != PRLE_EXPERT_INIT_META_SVR)
        return prle__error_set(PRLE_EINVAL, "meta-init: unknown or random strategy %d", (int)how);
    if (!w || !c)
        return prle__error_set(PRLE_EINVAL, "meta-init: NULL output");
    if ((err = check_inputs(z, y)) < 0)
        return err;
    if (how == PRLE_EXPERT_INIT_META_LINEAR)
        return fit_ridge(w, c, z, y, prle__threads_resolve(n_threads));
    return fit_svr(w, c, z, y, seed);
}
