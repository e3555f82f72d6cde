/* Regression metrics: MSE, RMSE, MAE, R², Pearson, Spearman, Kendall τ-b (SPEC.md §2, §12.7). */
#ifndef PRLE_METRICS_H
#define PRLE_METRICS_H

#include "prle/common.h"

PRLE_BEGIN_DECL

/** Warning bits of prle_metrics.flags; the library never prints them, the CLI may. */
enum {
    /** y_true is constant: Pearson, Spearman and Kendall are NaN (as SciPy returns). */
    PRLE_METRICS_CONSTANT_TRUE = 1 << 0,
    /** y_pred is constant: Pearson, Spearman and Kendall are NaN (as SciPy returns). */
    PRLE_METRICS_CONSTANT_PRED = 1 << 1
};

/**
 * Metrics of one prediction vector against its labels, all computed in double.
 *
 * - mse, rmse, mae: mean squared error, its square root, mean absolute error.
 * - r2: 1 - SS_res / SS_tot with SS_tot about the mean of y_true (scikit-learn `r2_score`,
 *   force_finite): 1 when SS_res = 0; 0 when y_true is constant and SS_res > 0.
 * - pearson: linear correlation (scipy.stats.pearsonr), clipped to [-1, 1].
 * - spearman: Pearson of the average ranks, ties sharing their mean rank (scipy.stats.spearmanr,
 *   rankdata 'average').
 * - kendall: Kendall τ-b (scipy.stats.kendalltau, variant 'b'), O(n log n) (Knight 1966).
 *
 * The three correlations are NaN when either vector is constant (all values equal); `flags`
 * then holds PRLE_METRICS_CONSTANT_TRUE and/or PRLE_METRICS_CONSTANT_PRED.
 */
typedef struct prle_metrics {
    double mse;
    double rmse;
    double mae;
    double r2;
    double pearson;
    double spearman;
    double kendall;
    size_t n;       /**< number of pairs */
    unsigned flags; /**< PRLE_METRICS_* warning bits, 0 if none */
} prle_metrics;

/**
 * Computes every metric of `y_pred` (n) against `y_true` (n).
 *
 * Returns 0, PRLE_EINVAL (a NULL pointer, n < 2, or a NaN or infinite value; the message names
 * the vector and index, e.g. "y_pred[17] is nan") or PRLE_ENOMEM. Allocates O(n) scratch and
 * frees it before returning. Deterministic; reentrant; `*out` is written only on success.
 */
PRLE_API int prle_metrics_compute(prle_metrics *out, const float *y_true, const float *y_pred,
                                  size_t n);

/** prle_metrics_compute for double vectors (the float variant converts and calls this one). */
PRLE_API int prle_metrics_compute_f64(prle_metrics *out, const double *y_true, const double *y_pred,
                                      size_t n);

/**
 * The metrics on the 0-1 scale, i.e. of (y - label_min) / (label_max - label_min) for both
 * vectors, derived from the raw-scale `raw`: with M = label_max - label_min, MSE / M², RMSE / M,
 * MAE / M; R² and the correlations are unchanged (an increasing affine map keeps them).
 * Values are not clipped to [0, 1]. `out` may equal `raw`.
 *
 * Returns 0 or PRLE_EINVAL (a NULL pointer, a bound not finite, or label_max <= label_min).
 */
PRLE_API int prle_metrics_rescale(prle_metrics *out, const prle_metrics *raw, double label_min,
                                  double label_max);

/**
 * A one-line description of the warning bits in `flags`, e.g. "y_true is constant: pearson,
 * spearman and kendall are undefined (nan)"; "" when flags is 0. A static string.
 */
PRLE_API const char *prle_metrics_flags_message(unsigned flags);

PRLE_END_DECL

#endif
