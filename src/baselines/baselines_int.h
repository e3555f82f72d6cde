/* Internals shared by the baselines (src/baselines/): the scaler, and the fits that let a grid
 * share work between its points (one SVD for every alpha, one neighbour search for every k, one
 * kernel matrix for every C and epsilon). */
#ifndef PRLE_BASELINES_INT_H
#define PRLE_BASELINES_INT_H

#include "prle/baselines.h"

/** StandardScaler: mean and population standard deviation per column (1 where it is 0). */
typedef struct prle__scaler {
    double *mean;  /* (d) */
    double *scale; /* (d) */
    size_t d;
} prle__scaler;

int prle__scaler_fit(prle__scaler *out, const prle_matrix *x);
/** out (n, d) newly allocated = (x - mean) / scale, in float (scikit-learn keeps float32). */
int prle__scaler_apply(prle_matrix *out, const prle__scaler *s, const prle_matrix *x);
int prle__scaler_copy(prle__scaler *out, const prle__scaler *src);
void prle__scaler_dispose(prle__scaler *s);

/** Checks x (n, d) with n >= min_rows, y non-NULL; `what` names the caller. */
int prle__check_xy(const prle_matrix *x, const float *y, size_t min_rows, const char *what);

/** Ridge for each of alphas[0..n_alpha) from one SVD; outs[i] are the caller's. */
int prle__ridge_fit_path(prle_ridge **outs, const double *alphas, size_t n_alpha,
                         const prle_matrix *x, const float *y, const prle_ridge_params *base);

/** The k_max nearest training rows of each row of x: idx (m, k_max), dist (m, k_max) ascending,
 *  ties by index. Runs on `n_threads` (0 = default). The best k_max + 16 candidates of the
 *  SGEMM distances are measured again in double (scikit-learn's order, near ties too, and the
 *  same neighbours whatever rows share a block). */
int prle__knn_neighbors(size_t *idx, double *dist, const prle_knn *model, const prle_matrix *x,
                        size_t k_max, int n_threads);
/** A kNN from its parts (the neighbour term's file, src/prle/neighbours.c): `xs` the rows as
 *  the model keeps them (standardised when params->standardize, then by `sc`), taken over
 *  (zeroed on success); y and sc copied. PRLE_EINVAL, PRLE_ENOMEM. */
int prle__knn_adopt(prle_knn **out, prle_matrix *xs, const float *y, const prle__scaler *sc,
                    const prle_knn_params *params);
/** The parts of a fitted kNN, borrowed: its rows (standardised when it standardises), labels,
 *  scaler (d = 0 when it does not standardise) and params. */
void prle__knn_parts(const prle_matrix **xs, const float **y, const prle__scaler **sc,
                     const prle_knn_params **params, const prle_knn *m);
/** The width and the number of the rows the kNN was fitted on. */
size_t prle__knn_in_dim(const prle_knn *m);
size_t prle__knn_in_rows(const prle_knn *m);
/** Sets the k (1 .. rows) and weights predict uses. */
void prle__knn_set(prle_knn *m, size_t k, prle_knn_weights weights);
/** Predictions from neighbour lists (m, k_max) using the first k and `weights`. */
void prle__knn_combine(float *y_out, const prle_knn *model, const size_t *idx, const double *dist,
                       size_t m, size_t k_max, size_t k, prle_knn_weights weights);
/** The MSE against y (m) of every grid point of one neighbour search (idx, dist (m, k_max)):
 *  mse_out[2 i + w] for k = min(ks[i], k_max) and weights w (uniform, distance), i < nk.
 *  yhat (m) is scratch. */
void prle__knn_grid_mse(double *mse_out, const prle_knn *model, const size_t *idx,
                        const double *dist, size_t m, size_t k_max, const size_t *ks, size_t nk,
                        const float *y, float *yhat);

/** Mean squared error of p against y (n > 0), in double. */
double prle__mse(const float *p, const float *y, size_t n);
/** The index of the smallest of v[0 .. n) (ties: the lower index). */
size_t prle__argmin(const double *v, size_t n);

/** A precomputed RBF kernel problem of standardised training rows for one gamma; its node
 *  table has room for max(rows, reserve) rows (prle__svr_kernel_set). Progress: `stage`,
 *  row blocks done (fn may be NULL; asking to stop fails with PRLE_EABORTED). */
typedef struct prle__svr_kernel prle__svr_kernel;
int prle__svr_kernel_new(prle__svr_kernel **out, const prle_matrix *x, const float *y,
                         prle_svr_gamma mode, double gamma, bool standardize, size_t reserve,
                         prle_progress_fn fn, void *ud, const char *stage);
/** Makes `kern` the kernel of (x, y) for another gamma or other rows, in place: its node table
 *  is kept when it holds the new rows and is allocated for max(rows, reserve) otherwise, so a
 *  grid's kernels and the refit on more rows fill one table (in these virtual machines the
 *  first touch of fresh memory costs about 3 s a GB). On failure the kernel is unusable until
 *  set again. */
int prle__svr_kernel_set(prle__svr_kernel *kern, const prle_matrix *x, const float *y,
                         prle_svr_gamma mode, double gamma, bool standardize, size_t reserve,
                         prle_progress_fn fn, void *ud, const char *stage);
/** Fits on the kernel's rows with C, epsilon, tol, cache_mb, shrinking from params (gamma and
 *  standardize come from the kernel). Safe to call concurrently on one kernel. */
int prle__svr_fit_kernel(prle_svr **out, const prle__svr_kernel *kern,
                         const prle_svr_params *params);
void prle__svr_kernel_free(prle__svr_kernel *kern);

/** Every column of x sorted once, shared by the trees of a forest: order (d, n) row indices
 *  ascending by (value, index), vals (d, n) the values in that order. */
typedef struct prle__presort {
    uint32_t *order;
    float *vals;
    size_t n, d;
} prle__presort;
int prle__presort_build(prle__presort *out, const prle_matrix *x, int n_threads);
void prle__presort_dispose(prle__presort *ps);

/** A tree on rows with integer weights `count` (n; NULL = all 1; rows with 0 left out), features
 *  drawn from stream (seed, "tree.features", tree_index); `ps` from prle__presort_build of x. */
int prle__tree_fit_weighted(prle_tree **out, const prle_matrix *x, const float *y,
                            const uint32_t *count, const prle__presort *ps,
                            const prle_tree_params *params, uint64_t tree_index);

/** Prediction of one row (d). */
double prle__tree_predict_row(const prle_tree *t, const float *row);

#endif
