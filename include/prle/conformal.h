/* PRLE: split-conformal prediction intervals on a fitted model (SPEC.md §6; Lei et al. 2018,
 * with the normalised scores of Papadopoulos et al. 2008 and the router's entropy as the
 * difficulty): calibrated on held-out rows, clipped to the label range. A run folder
 * calibrates on its validation split (prle_conformal_fit, prle/run.h), a predictor on the
 * rows its fit held out (prle_predictor_intervals, prle/predictor.h). */
#ifndef PRLE_CONFORMAL_H
#define PRLE_CONFORMAL_H

#include "prle/common.h"
#include "prle/matrix.h"
#include "prle/model.h"

PRLE_BEGIN_DECL

/** A calibrated interval rule. */
typedef struct prle_conformal {
    double level;     /**< the coverage asked for, in (0, 1) */
    double q;         /**< the calibrated quantile of the (scaled) absolute residuals */
    size_t n_calib;   /**< held-out rows it was calibrated on */
    bool adaptive;    /**< widths scale with the router's entropy */
    double label_min; /**< intervals are clipped to [label_min, label_max], the dataset's */
    double label_max; /*   label range (both 0: no clipping) */
} prle_conformal;

/**
 * Calibrates on n held-out rows from their labels y, the model's predictions yhat of them and
 * their scales s (NULL: all 1, the plain rule): scores r_i = |y_i - yhat_i| / s_i, q the
 * ceil((n + 1) level)-th smallest, or +infinity when that exceeds n (fewer than
 * level / (1 - level) rows: the interval is then the whole label range, the only one that keeps
 * the guarantee). The guarantee (coverage >= level) holds for rows exchangeable with the
 * calibration rows. PRLE_EINVAL for a level outside (0, 1) or fewer than 2 rows.
 */
PRLE_API int prle_conformal_calibrate(prle_conformal *out, const float *y, const float *yhat,
                                      const double *s, size_t n, double level, bool adaptive,
                                      double label_min, double label_max);

/**
 * The scale of each row of z (n, D) under model m: s_i = 1 + H_i / ln P, H_i the entropy of the
 * row's routing weights (1 when P = 1), into s (n); the adaptive rule's difficulty. With yhat
 * non-NULL the predictions too (prle_model_predict's).
 */
PRLE_API int prle_conformal_scales(double *s, float *yhat, const prle_model *m,
                                   const prle_matrix *z);

/**
 * Predictions of the rows of `z` (n, D) into yhat (n) and their intervals under rule c into lo,
 * hi (n): prle_model_predict and prle_conformal_apply in one forward pass (the adaptive rule's
 * scales come from the same routing weights). PRLE_EINVAL for a NULL argument.
 */
PRLE_API int prle_conformal_predict(float *yhat, float *lo, float *hi, const prle_conformal *c,
                                    const prle_model *m, const prle_matrix *z);
/** Intervals [yhat - q s_i, yhat + q s_i] for the rows of `z` (n, D) into lo, hi (n) given
 *  their predictions `yhat` (s_i = 1 for the plain rule), each end clipped to [label_min,
 *  label_max] (a label lies there, so clipping never loses coverage). */
PRLE_API int prle_conformal_apply(float *lo, float *hi, const prle_conformal *c,
                                  const prle_model *m, const prle_matrix *z, const float *yhat);

PRLE_END_DECL

#endif
