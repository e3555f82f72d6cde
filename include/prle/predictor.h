/* PRLE: the predictor, one handle over the kernel and the experts (issue 14), in the manner of
 * libsvm's svm.h: fit on the caller's row-major float matrices, predict, explain, free.
 * Kernel and model stay the layers beneath it (prle/kernel.h, prle/model.h). */
#ifndef PRLE_PREDICTOR_H
#define PRLE_PREDICTOR_H

#include "prle/common.h"
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
    double val_fraction; /**< without validation rows: the share of the rows held out for
                              early stopping (seeded), default 0.15; none below 20 rows */
} prle_predictor_params;

/** The library's defaults (those of docs/config.md), label range from the data. */
PRLE_API prle_predictor_params prle_predictor_default_params(void);

/**
 * Fits kernel and experts on x (n, H) and y (n), borrowed (not copied). x_val / y_val are
 * the validation rows for early stopping and the experts' warm start; both NULL: a seeded
 * `val_fraction` of the rows is held out instead. PRLE_EINVAL for fewer rows than prototypes
 * plus one, a non-finite label or value, or bad params; PRLE_ESHAPE for widths that differ;
 * the layers' own errors. The same params and data give the same bits for any n_threads.
 */
PRLE_API int prle_predictor_fit(prle_predictor **out, const prle_matrix *x, const float *y,
                                const prle_matrix *x_val, const float *y_val,
                                const prle_predictor_params *params);

/** Predictions for the rows of x (n, H) into yhat (n). PRLE_ESHAPE on a width mismatch. */
PRLE_API int prle_predictor_predict(float *yhat, const prle_predictor *p, const prle_matrix *x);

/**
 * Explains one row x (H floats): the k heaviest prototypes (prle_model_explain), `*rest` the
 * other contributions, `*yhat` the prediction; items' train_row indexes the fit's x. Returns
 * the number of items, 0 with the error set on failure.
 */
PRLE_API size_t prle_predictor_explain(prle_explain_item *items, float *rest, float *yhat,
                                       const prle_predictor *p, const float *x, size_t k);

/** The layers, owned by the predictor. */
PRLE_API const prle_kernel *prle_predictor_kernel(const prle_predictor *p);
PRLE_API const prle_model *prle_predictor_model(const prle_predictor *p);

/**
 * Writes the predictor to one file, atomically: kernel and experts (each a safetensors image,
 * as prle_kernel_save and prle_model_save write them) and the row map of explanations. A loaded
 * predictor predicts the same bits. PRLE_EIO naming the path.
 */
PRLE_API int prle_predictor_save(const prle_predictor *p, const char *path);

/** Reads a file of prle_predictor_save. PRLE_EFORMAT naming the path and the fault. */
PRLE_API int prle_predictor_load(prle_predictor **out, const char *path);

PRLE_API void prle_predictor_free(prle_predictor *p);

PRLE_END_DECL

#endif
