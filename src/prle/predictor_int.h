/* The predictor handle's fields, shared by its fit, files and explanations (predictor.c) and
 * its intervals (predictor_conformal.c). */
#ifndef PRLE_PREDICTOR_INT_H
#define PRLE_PREDICTOR_INT_H

#include "io/safetensors_int.h"
#include "math/ridge_path.h"
#include "prle/neighbours.h"
#include "prle/predictor.h"

struct prle_predictor {
    prle_kernel *kernel;
    prle_model *model;
    prle_knn *nb;      /* the neighbour term's kNN (neighbours.h), when the model has one */
    size_t nb_n_train; /* the training rows its kept rows come from */
    size_t *rows;      /* training-subset row -> the caller's row (NULL: the identity) */
    size_t n_rows;
    /* the rows the fit held out, for intervals: labels, the fitted model's predictions and
     * their entropy scales (prle_conformal_scales); n_cal 0 when none were held out */
    float *cal_y, *cal_yhat;
    double *cal_s;
    size_t n_cal;
    /* the ridge yardstick's predictions of those rows (n_cal; NULL in a file written before
     * it) and its alpha (predictor_yardstick.c) */
    float *cal_ridge;
    double ridge_alpha;
    /* the caller's own text (prle_predictor_set_user_text), NULL when none */
    char *user_text;
};

/* The model's input rows z of the rows x (n, H): the kernel's value rows, and the neighbour
 * term's column when the fit kept one. PRLE_ESHAPE when x is not H wide. */
int prle__predictor_rows(prle_matrix *z, const prle_predictor *p, const prle_matrix *x);

/* Keeps the held-out rows' labels, predictions and scales (x_val (n, H), y_val) once the fit
 * is final. n < 2 keeps none. */
int prle__predictor_calibrate(prle_predictor *p, const prle_matrix *x_val, const float *y_val);

/* The ridge yardstick on the held-out rows once they are kept (p->n_cal): a ridge of yt on
 * xt, its alpha (1e-2 ... 1e4) chosen on (xv, yv), as metrics.json's; `given` (its coef may
 * be NULL: none) is that ridge already chosen, by the kernel's standardise test. Its
 * predictions of xv go to p->cal_ridge. Nothing when no alpha factorises. PRLE_ENOMEM. */
int prle__predictor_ridge(prle_predictor *p, const prle_matrix *xt, const float *yt,
                          const prle_matrix *xv, const float *yv, const prle__ridge_choice *given,
                          int nt);

/* The calibration part of the predictor file: a safetensors writer holding it (NULL, and 0
 * returned, when there is none), and its reading from an open part (n_cal set). */
int prle__predictor_cal_writer(prle_st_writer **out, const prle_predictor *p);
int prle__predictor_cal_load(prle_predictor *p, const prle_st_file *f, const char *path);

#endif
