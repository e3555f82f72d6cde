/* PRLE: the predictor, one handle over the kernel and the experts (issue 14), in the manner of
 * libsvm's svm.h: fit on the caller's row-major float matrices, predict, explain, free.
 * Kernel and model stay the layers beneath it (prle/kernel.h, prle/model.h). */
#ifndef PRLE_PREDICTOR_H
#define PRLE_PREDICTOR_H

#include "prle/common.h"
#include "prle/config.h"
#include "prle/conformal.h"
#include "prle/kernel.h"
#include "prle/matrix.h"
#include "prle/model.h"

PRLE_BEGIN_DECL

/** A fitted predictor. */
typedef struct prle_predictor prle_predictor;

/** Everything a fit needs. Start from prle_predictor_default_params(). */
typedef struct prle_predictor_params {
    prle_kernel_params kernel; /**< the kernel layer; its seed, threads and label range are
                                    set from the fields below */
    prle_model_params model;   /**< the experts; likewise */
    uint64_t seed;             /**< every random choice of the fit; default 42 */
    int n_threads;             /**< 0 = prle_init's count */
    double label_min;          /**< the label range; NaN (default) = min and max of y */
    double label_max;
    double val_fraction;  /**< without validation rows: the share of the rows held out for
                               early stopping (seeded), default 0.15; none below 20 rows */
    bool linear_fallback; /**< when the ridge yardstick (prle_predictor_yardstick) scores below
                               the fit on the held-out rows and the kernel is not linear: the
                               fit again with kernel.type PRLE_HEAD_LINEAR, kept if its
                               held-out MSE is lower; default true (prle_kernel_type of
                               prle_predictor_kernel says which was kept) */
    bool refit;           /**< when the fit held out its own val_fraction share (no x_val):
                               once the held-out rows have chosen, the layers are fitted again
                               on every row, those choices frozen (each layer's kept epoch
                               count, the experts' ridge alpha, the recalibration slope), as
                               scikit-learn's searches refit on all the data; intervals and the
                               yardstick stay the first fit's, scored on rows it did not see.
                               Not with the neighbour term kept or proto_rbf experts, whose
                               choices are fitted on the held-out rows. The layers' progress
                               and on_epoch callbacks run for both fits. Default true */
} prle_predictor_params;

/** The library's defaults (those of docs/config.md), label range from the data. */
PRLE_API prle_predictor_params prle_predictor_default_params(void);

/**
 * The params a config's keys give, as `prle run` uses them: kernel.*, model.*, loss.*, the
 * train.* of stage 2, train.seed and train.threads; the label range from data.label_min and
 * data.label_max where set (else from y). Errors of prle_kernel_params_from_config and
 * prle_model_params_from_config.
 */
PRLE_API int prle_predictor_params_from_config(prle_predictor_params *out, const prle_config *cfg);

/**
 * For bindings that do not mirror the structs (Python's ctypes): the defaults with `n`
 * config overrides "KEY=VALUE" applied (prle_config_override: "model.num_prototypes=10",
 * "train.seed=7"; and the predictor's own "val_fraction=0.2", "linear_fallback=false" and
 * "refit=false"), then prle_predictor_params_from_config, into `out`, a buffer of
 * prle_predictor_params_size() bytes. PRLE_EINVAL "override 'KEY=VALUE': ..." for an unknown key or
 * a bad value.
 */
PRLE_API int prle_predictor_params_from_overrides(prle_predictor_params *out,
                                                  const char *const *assignments, size_t n);

/** sizeof(prle_predictor_params), for bindings that allocate it. */
PRLE_API size_t prle_predictor_params_size(void);

/**
 * Fits kernel and experts on x (n, H) and y (n), borrowed (not copied). x_val / y_val are
 * the validation rows for early stopping and the experts' warm start; both NULL: a seeded
 * `val_fraction` of the rows is held out instead, and with `refit` (the default) the layers
 * are then fitted again on every row with the choices those rows made. Small sets work: there are
 * at most half as many prototypes as training rows (model.protos.n_prototypes is lowered to that),
 * and the budgets of the layers then run without early stopping where no rows are held out. With
 * model.neighbours (the default) and validation rows, the neighbour term is chosen on them as
 * `prle run` chooses it (prle_model_set_neighbour_weight) and its training rows are kept.
 * PRLE_EINVAL for fewer than 2 training rows, 0 validation rows, a non-finite label or value,
 * a label outside a label range the params set, or bad params; PRLE_ESHAPE for widths that differ;
 * the layers' own errors. `params` NULL: prle_predictor_default_params(). The same params and data
 * give the same bits for any n_threads.
 */
PRLE_API int prle_predictor_fit(prle_predictor **out, const prle_matrix *x, const float *y,
                                const prle_matrix *x_val, const float *y_val,
                                const prle_predictor_params *params);

/** Predictions for the rows of x (n, H) into yhat (n). PRLE_ESHAPE on a width mismatch,
 *  PRLE_EINVAL for a NULL argument or a non-finite value in x (yhat then undefined). */
PRLE_API int prle_predictor_predict(float *yhat, const prle_predictor *p, const prle_matrix *x);

/**
 * Explains one row x (H floats): the k heaviest prototypes (prle_model_explain), `*rest` the
 * other contributions, `*yhat` the prediction; items' train_row indexes the fit's x. Returns
 * the number of items, 0 with the error set on failure.
 */
PRLE_API size_t prle_predictor_explain(prle_explain_item *items, float *rest, float *yhat,
                                       const prle_predictor *p, const float *x, size_t k);

/**
 * Explains the n rows of x at once: row i's min(k, P) items at items[i * min(k, P)], its
 * `rest` and prediction at rest[i] and yhat[i] (as prle_predictor_explain, whose bits they
 * are). PRLE_ESHAPE on a width mismatch, PRLE_EINVAL for k = 0.
 */
PRLE_API int prle_predictor_explain_rows(prle_explain_item *items, float *rest, float *yhat,
                                         const prle_predictor *p, const prle_matrix *x, size_t k);

/** The width of the rows the predictor was fitted on. */
PRLE_API size_t prle_predictor_in_dim(const prle_predictor *p);

/** How many training rows the neighbour term averages (0: the fit kept none). */
PRLE_API size_t prle_predictor_neighbour_k(const prle_predictor *p);

/**
 * rows (n, k) = for each row of x (n, H), the rows of the fit's x whose labels the neighbour
 * term averages, nearest first, and `labels` (n, k; may be NULL) those labels. PRLE_EINVAL
 * when the fit kept no term, PRLE_ESHAPE, PRLE_ENOMEM.
 */
PRLE_API int prle_predictor_neighbours(size_t *rows, float *labels, const prle_predictor *p,
                                       const prle_matrix *x);

/**
 * c (n) = for each row of x (n, H), the neighbour term's prediction: its k rows' labels
 * averaged with the fit's weights (uniform or 1 / distance), the c of every local prediction
 * (1 - w) e_p + w c, w = the model's neighbour weight. PRLE_EINVAL when the fit kept no term,
 * PRLE_ESHAPE, PRLE_ENOMEM.
 */
PRLE_API int prle_predictor_neighbour_predictions(float *c, const prle_predictor *p,
                                                  const prle_matrix *x);

/** The number of prototypes P (experts) of the fit. */
PRLE_API size_t prle_predictor_n_prototypes(const prle_predictor *p);

/**
 * The split-conformal rule (prle/conformal.h) at `level`, plain or `adaptive`, calibrated on
 * the rows the fit held out (its x_val, or its val_fraction share): their labels and the fitted
 * predictor's predictions of them (after a refit, the first fit's: params.refit), kept by the
 * fit and in its file; clipped to the fit's label range. Coverage `level` holds for rows
 * exchangeable with those. PRLE_EINVAL for a level outside (0, 1), or a predictor without such
 * rows (a fit on fewer than 20 rows without x_val, or a file written before intervals).
 */
PRLE_API int prle_predictor_conformal(prle_conformal *out, const prle_predictor *p, double level,
                                      bool adaptive);

/** Predictions yhat (n) of the rows of x (n, H) and their intervals [lo, hi] under
 *  prle_predictor_conformal(level, adaptive). Its errors, and PRLE_ESHAPE on a width
 *  mismatch. */
PRLE_API int prle_predictor_intervals(float *yhat, float *lo, float *hi, const prle_predictor *p,
                                      const prle_matrix *x, double level, bool adaptive);

/** How many held-out rows intervals are calibrated on (0: none; a fit keeps them when it held
 *  out 2 or more: its x_val, or its val_fraction share of 20 or more rows). */
PRLE_API size_t prle_predictor_n_calibration(const prle_predictor *p);

/** How the rows the fit held out score PRLE against a ridge on the same inputs (the yardstick
 *  `prle run` keeps in metrics.json): a ridge of the training labels on the training rows,
 *  its alpha (1e-2 ... 1e4) chosen on the held-out rows. When ridge_mse is below mse, a linear
 *  model suits these inputs better than the fitted PRLE. */
typedef struct prle_predictor_yardstick {
    size_t n;           /**< held-out rows (0: none, and the rest NaN) */
    double mse;         /**< the fitted predictor's mean squared error on them (after a
                             refit, params.refit, the first fit's: the one that did not see
                             them) */
    double ridge_mse;   /**< the ridge's; NaN when none factorised, or in a file written before
                             2026-12-07 (eighth session) */
    double ridge_alpha; /**< the ridge's alpha (NaN likewise) */
} prle_predictor_yardstick;

/** The yardstick of a fitted or loaded predictor. PRLE_EINVAL on NULL. */
PRLE_API int prle_predictor_yardstick_get(prle_predictor_yardstick *out, const prle_predictor *p);

/**
 * Keeps `text` with the predictor (a copy; NULL or "" clears it): the caller's own settings,
 * e.g. a binding's constructor arguments and feature names as JSON, which
 * prle_predictor_save writes into the file and prle_predictor_load gives back. The library
 * never reads it. PRLE_EINVAL on a NULL predictor, PRLE_ENOMEM.
 */
PRLE_API int prle_predictor_set_user_text(prle_predictor *p, const char *text);

/** The text of prle_predictor_set_user_text or of the loaded file, owned by the predictor;
 *  NULL when none (and in files written before 2026-12-07, ninth session). */
PRLE_API const char *prle_predictor_user_text(const prle_predictor *p);

/** The prototypes' rows of the fit's x (P entries, slot order) into `rows`; nothing when
 *  `rows` or `p` is NULL. */
PRLE_API void prle_predictor_prototype_rows(size_t *rows, const prle_predictor *p);

/** The layers, owned by the predictor. */
PRLE_API const prle_kernel *prle_predictor_kernel(const prle_predictor *p);
PRLE_API const prle_model *prle_predictor_model(const prle_predictor *p);

/**
 * Writes the predictor to one file, atomically: kernel and experts (each a safetensors image,
 * as prle_kernel_save and prle_model_save write them), the neighbour term's training rows when
 * the fit kept one (model.neighbours), the held-out rows for intervals and the row map of
 * explanations, then the sha256 of those bytes. A loaded predictor predicts the same bits.
 * Files of the formats before the checksum, the intervals and the neighbour term still load.
 * Errors name the path: PRLE_ENOTFOUND when its folder does not exist, PRLE_EINVAL when it is
 * a folder, PRLE_EIO when writing fails.
 */
PRLE_API int prle_predictor_save(const prle_predictor *p, const char *path);

/** Reads a file of prle_predictor_save. PRLE_EFORMAT naming the path and the fault (a checksum
 *  that does not match the bytes: a damaged file); PRLE_ENOTFOUND when the path does not exist,
 *  PRLE_EINVAL when it is a folder, PRLE_EIO when reading fails. */
PRLE_API int prle_predictor_load(prle_predictor **out, const char *path);

/** The bytes prle_predictor_save writes, in memory: `*out` (free with prle_free), `*size`. */
PRLE_API int prle_predictor_save_memory(void **out, size_t *size, const prle_predictor *p);

/** As prle_predictor_load, from `size` bytes; `name` is used in messages (NULL: "<memory>"). */
PRLE_API int prle_predictor_load_memory(prle_predictor **out, const void *data, size_t size,
                                        const char *name);

PRLE_API void prle_predictor_free(prle_predictor *p);

PRLE_END_DECL

#endif
