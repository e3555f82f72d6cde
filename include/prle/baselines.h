/* Wrapper baselines (SPEC.md §7, issue 6): OLS/ridge, kNN, SVR-RBF (libsvm), CART tree, random
 * forest, and the grid search that picks each one's parameters on validation. */
#ifndef PRLE_BASELINES_H
#define PRLE_BASELINES_H

#include "prle/common.h"
#include "prle/matrix.h"
#include "prle/metrics.h"

PRLE_BEGIN_DECL

/* ---- OLS and ridge ------------------------------------------------------------------------ */

/** A fitted linear model y = x . coef + intercept. Opaque; read-only after fit. */
typedef struct prle_ridge prle_ridge;

typedef struct prle_ridge_params {
    /** L2 penalty (>= 0); 0 = ordinary least squares, minimum-norm (LAPACK gelsd's answer). */
    double alpha;
    /** OLS only: singular values below rcond * the largest count as zero. The default is
     *  FLT_EPSILON, what scikit-learn's LinearRegression (scipy lstsq) uses on float32 input. */
    double rcond;
    /** Centre x and y first and fit an intercept (scikit-learn's fit_intercept). */
    bool fit_intercept;
} prle_ridge_params;

/** alpha 1, rcond FLT_EPSILON, fit_intercept true (scikit-learn's Ridge()). */
PRLE_API prle_ridge_params prle_ridge_default_params(void);

/** PRLE_EINVAL naming the field if alpha < 0 or rcond is outside [0, 1). */
PRLE_API int prle_ridge_params_check(const prle_ridge_params *params);

/**
 * Fits on x (n, d), y (n), in double: coef = V diag(s / (s^2 + alpha)) U^T y from the SVD of
 * the centred x (LAPACKE dgesdd), or the same ridge from an eigendecomposition of x^T x (n > d)
 * or a Cholesky of x x^T + alpha I (n <= d) when alpha > 0 with an intercept. Returns 0,
 * PRLE_EINVAL, PRLE_ESHAPE (n < 2), PRLE_ENOMEM or PRLE_ERROR (LAPACK did not converge). `*out` is
 * the caller's (prle_ridge_free).
 */
PRLE_API int prle_ridge_fit(prle_ridge **out, const prle_matrix *x, const float *y,
                            const prle_ridge_params *params);

/** y_out (n) for x (n, d). PRLE_ESHAPE if d differs from the fit. Thread-safe (reads only). */
PRLE_API int prle_ridge_predict(float *y_out, const prle_ridge *model, const prle_matrix *x);

/** Coefficients (d), borrowed until prle_ridge_free. */
PRLE_API const double *prle_ridge_coef(const prle_ridge *model);
PRLE_API double prle_ridge_intercept(const prle_ridge *model);
PRLE_API size_t prle_ridge_n_features(const prle_ridge *model);
/** NULL does nothing. */
PRLE_API void prle_ridge_free(prle_ridge *model);

/* ---- k nearest neighbours ----------------------------------------------------------------- */

typedef struct prle_knn prle_knn;

typedef enum prle_knn_weights {
    PRLE_KNN_UNIFORM = 0, /**< mean of the k labels */
    PRLE_KNN_DISTANCE = 1 /**< weights 1 / distance; rows at distance 0 take all the weight */
} prle_knn_weights;

typedef enum prle_knn_metric {
    PRLE_KNN_EUCLIDEAN = 0,
    PRLE_KNN_COSINE = 1 /**< 1 - cosine similarity (a zero row has similarity 0) */
} prle_knn_metric;

typedef struct prle_knn_params {
    size_t k; /**< neighbours (>= 1; at most the training rows) */
    prle_knn_weights weights;
    prle_knn_metric metric;
    int n_threads;    /**< for predict; 0 = the library's default */
    bool standardize; /**< StandardScaler fitted on the training rows first */
} prle_knn_params;

/** k 5, uniform, Euclidean, standardize true (the wrapper's pipeline). */
PRLE_API prle_knn_params prle_knn_default_params(void);
PRLE_API int prle_knn_params_check(const prle_knn_params *params);

/** Keeps a (standardised) copy of x (n, d) and y. Returns 0, PRLE_EINVAL, PRLE_ENOMEM. */
PRLE_API int prle_knn_fit(prle_knn **out, const prle_matrix *x, const float *y,
                          const prle_knn_params *params);

/**
 * y_out (m) for x (m, d): brute-force neighbours, distances by blocks through SGEMM, the
 * best candidates re-measured in double; ties broken by the lower training index.
 */
PRLE_API int prle_knn_predict(float *y_out, const prle_knn *model, const prle_matrix *x);
PRLE_API void prle_knn_free(prle_knn *model);

/* ---- epsilon-SVR with an RBF kernel (libsvm) ---------------------------------------------- */

typedef struct prle_svr prle_svr;

typedef enum prle_svr_gamma {
    PRLE_SVR_GAMMA_SCALE = 0, /**< 1 / (d * var(x)), var over all entries (scikit-learn) */
    PRLE_SVR_GAMMA_AUTO = 1,  /**< 1 / d */
    PRLE_SVR_GAMMA_VALUE = 2  /**< the `gamma` field */
} prle_svr_gamma;

typedef struct prle_svr_params {
    double C;       /**< > 0 */
    double epsilon; /**< >= 0, the insensitive tube */
    prle_svr_gamma gamma_mode;
    double gamma;     /**< used when gamma_mode is PRLE_SVR_GAMMA_VALUE; > 0 */
    double tol;       /**< libsvm's stopping tolerance (scikit-learn: 1e-3) */
    double cache_mb;  /**< libsvm's kernel cache; 0 = enough for every column (capped at 2 GB) */
    bool standardize; /**< StandardScaler fitted on the training rows first (gamma after it) */
    bool shrinking;   /**< libsvm's shrinking heuristics */
} prle_svr_params;

/** C 1, epsilon 0.1, gamma scale, tol 1e-3, cache 0, standardize, shrinking (scikit-learn SVR
 *  behind a StandardScaler). */
PRLE_API prle_svr_params prle_svr_default_params(void);
PRLE_API int prle_svr_params_check(const prle_svr_params *params);

/**
 * Fits on x (n, d), y (n) with libsvm (epsilon-SVR, `probability` off, nothing random). The
 * kernel matrix is computed here (SGEMM, double exp) and handed to libsvm as a precomputed
 * kernel; the model keeps copies of its support vectors, so nothing of libsvm outlives the call.
 * Memory: about 16 n^2 bytes during the fit. Returns 0, PRLE_EINVAL, PRLE_ENOMEM, PRLE_ERROR.
 */
PRLE_API int prle_svr_fit(prle_svr **out, const prle_matrix *x, const float *y,
                          const prle_svr_params *params);

/** y_out (m) for x (m, d); sums in a fixed order (deterministic). Thread-safe (reads only). */
PRLE_API int prle_svr_predict(float *y_out, const prle_svr *model, const prle_matrix *x);
PRLE_API size_t prle_svr_n_sv(const prle_svr *model);
/** The gamma actually used (after scale/auto). */
PRLE_API double prle_svr_gamma_used(const prle_svr *model);
PRLE_API void prle_svr_free(prle_svr *model);

/* ---- CART regression tree and random forest ----------------------------------------------- */

typedef struct prle_tree prle_tree;

typedef struct prle_tree_params {
    size_t max_depth;         /**< 0 = unlimited (scikit-learn's None) */
    size_t min_samples_split; /**< >= 2 */
    size_t min_samples_leaf;  /**< >= 1, rows on each side of a split */
    /** Features tried at each split: floor(max_features * d), at least 1; in (0, 1], 1 = all.
     *  A subset is drawn per node from the stream (seed, "tree.features", tree index). */
    double max_features;
    uint64_t seed; /**< default 42 */
} prle_tree_params;

/** max_depth 0, min_samples_split 2, min_samples_leaf 1, max_features 1, seed 42. */
PRLE_API prle_tree_params prle_tree_default_params(void);
PRLE_API int prle_tree_params_check(const prle_tree_params *params);

/**
 * CART on x (n, d), y (n): splits maximise the reduction of the squared error; thresholds are
 * midpoints between neighbouring values, rows with x <= threshold go left; among equal gains the
 * lower feature index, then the lower threshold, wins. Returns 0, PRLE_EINVAL, PRLE_ENOMEM.
 */
PRLE_API int prle_tree_fit(prle_tree **out, const prle_matrix *x, const float *y,
                           const prle_tree_params *params);
PRLE_API int prle_tree_predict(float *y_out, const prle_tree *model, const prle_matrix *x);
PRLE_API size_t prle_tree_n_nodes(const prle_tree *model);
PRLE_API size_t prle_tree_depth(const prle_tree *model);
PRLE_API void prle_tree_free(prle_tree *model);

typedef struct prle_forest prle_forest;

typedef struct prle_forest_params {
    size_t n_trees;           /**< >= 1 */
    size_t max_depth;         /**< 0 = unlimited */
    size_t min_samples_split; /**< >= 2 */
    size_t min_samples_leaf;  /**< >= 1, distinct rows (as scikit-learn counts them) */
    double max_features;      /**< fraction of d tried per split, (0, 1]; 1 = all (scikit-learn's
                                   RandomForestRegressor default) */
    uint64_t seed;            /**< tree t draws from (seed, "forest.bootstrap", t) and
                                   (seed, "tree.features", t): results do not depend on threads */
    int n_threads;            /**< trees in parallel; 0 = the library's default */
    bool bootstrap;           /**< n rows drawn with replacement per tree (as weights) */
} prle_forest_params;

/** 100 trees, unlimited depth, split 2, leaf 1, max_features 1, seed 42, bootstrap. */
PRLE_API prle_forest_params prle_forest_default_params(void);
PRLE_API int prle_forest_params_check(const prle_forest_params *params);
PRLE_API int prle_forest_fit(prle_forest **out, const prle_matrix *x, const float *y,
                             const prle_forest_params *params);
/** Mean of the trees' predictions, summed in tree order. */
PRLE_API int prle_forest_predict(float *y_out, const prle_forest *model, const prle_matrix *x);
PRLE_API size_t prle_forest_n_trees(const prle_forest *model);
PRLE_API void prle_forest_free(prle_forest *model);

/* ---- grid search -------------------------------------------------------------------------- */

typedef enum prle_baseline_kind {
    PRLE_BASELINE_OLS = 0,
    PRLE_BASELINE_RIDGE,
    PRLE_BASELINE_KNN,
    PRLE_BASELINE_SVR,
    PRLE_BASELINE_TREE,
    PRLE_BASELINE_FOREST,
    PRLE_BASELINE_COUNT
} prle_baseline_kind;

/** "linear", "ridge", "knn", "svr", "dt", "rf" (the wrapper's names); "?" otherwise. Static. */
PRLE_API const char *prle_baseline_name(prle_baseline_kind kind);

/** The kind named `name` (as prle_baseline_name), or PRLE_EINVAL. */
PRLE_API int prle_baseline_from_name(prle_baseline_kind *out, const char *name);

typedef struct prle_baselines_params {
    int n_threads;              /**< grid points in parallel; 0 = the library's default */
    uint64_t seed;              /**< trees and forests; default 42 */
    size_t forest_trees;        /**< default 100 */
    double forest_max_features; /**< default 1 (all features, as scikit-learn's regressor) */
    prle_progress_fn progress;  /**< during a grid ("baselines:svr", "baselines:tree",
                                     "baselines:forest": points done of all), then once per
                                     model (stage = the kind's name, note = the best point) */
    void *progress_ud;
    bool knn_cosine;     /**< also try the cosine metric in the kNN grid (default false: the
                              wrapper's grid is Euclidean only) */
    size_t svr_max_rows; /**< the SVR sees at most this many train + validation rows: beyond,
                              a sample of each split in proportion, drawn with `seed` (its
                              grid fits on the sampled training rows and scores on the sampled
                              validation rows, the refit takes both), as if the data held only
                              those rows. Its kernel table grows with their square (0.8 GB at
                              10,000) and libsvm's time faster. 0 = all; default 10,000 */
} prle_baselines_params;

PRLE_API prle_baselines_params prle_baselines_default_params(void);

/** One grid-searched baseline. */
typedef struct prle_baseline_result {
    prle_baseline_kind kind;
    prle_metrics test; /**< of the refit model on the test rows */
    double val_mse;    /**< the best grid point's validation MSE */
    char best[160];    /**< the best point, e.g. "C=0.1 epsilon=0.05 gamma=scale" */
    size_t n_points;   /**< grid points tried */
    double seconds;    /**< wall time of grid + refit + test prediction */
    size_t fit_rows;   /**< train + validation rows the refit took: all of them, or the SVR's
                            sample (prle_baselines_params.svr_max_rows) */
} prle_baseline_result;

/**
 * The wrapper's grid for `kind` (the grids of the original system, as peers/wrapperbox.py):
 * every point fitted on train and scored by MSE on validation (ties: the earlier point), the best
 * refitted on train + validation and scored on test. Points run in parallel, each single-threaded
 * inside; the result does not depend on the thread count. `pred_out` (test rows) may be NULL.
 * Inputs: x_* (n_*, d), y_* (n_*). Returns 0 or the first failing fit's code.
 */
PRLE_API int prle_baselines_run(prle_baseline_result *out, float *pred_out, prle_baseline_kind kind,
                                const prle_matrix *x_train, const float *y_train,
                                const prle_matrix *x_val, const float *y_val,
                                const prle_matrix *x_test, const float *y_test,
                                const prle_baselines_params *params);

/** What prle_baselines_save_json records besides the results. */
typedef struct prle_baselines_info {
    const char *dataset;     /**< e.g. "stsb" */
    const char *space;       /**< "retrieval" or "value" */
    const char *label_scale; /**< "unit" ((y - min) / (max - min)) or "raw" */
    size_t n_train, n_validation, n_test, width;
    uint64_t seed;
    double label_min, label_max; /**< the range a "unit" scale divides by (NaN: not recorded) */
} prle_baselines_info;

/**
 * Writes `results` (n) as JSON to `path` atomically (a temporary file, then rename): format
 * "prle-baselines", version 1, the info fields (label_min and label_max when finite), then per
 * model name, best, n_points, val_mse,
 * seconds and test {mse, rmse, mae, r2, pearson, spearman, kendall} (NaN as null).
 * Returns 0, PRLE_EINVAL, PRLE_EIO or PRLE_ENOMEM.
 */
PRLE_API int prle_baselines_save_json(const char *path, const prle_baselines_info *info,
                                      const prle_baseline_result *results, size_t n);

PRLE_END_DECL

#endif
