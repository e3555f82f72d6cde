/* Split-conformal pieces shared by the run folder's intervals and their coverage
 * (src/run/conformal.c) and the predictor's (src/prle/predictor.c). */
#ifndef PRLE_CONFORMAL_INT_H
#define PRLE_CONFORMAL_INT_H

#include <stdbool.h>
#include <stddef.h>

/* s (n) from the routing weights w (n, P): 1, or 1 + H_i / ln P with `adaptive` (P >= 2). */
void prle__conformal_entropy_scales(double *s, const float *w, size_t n, size_t P, bool adaptive);

/* The ceil((n + 1) level)-th smallest of r[0..n); +infinity when that exceeds n; sorts r. */
double prle__conformal_quantile(double *r, size_t n, double level);

/* [yhat - half, yhat + half] clipped to [mn, mx] (no clipping when mx <= mn): the intervals of
 * prle_conformal_apply. */
void prle__conformal_interval(float *lo, float *hi, double yhat, double half, double mn, double mx);

/* Predictions of z's rows into yhat and, with `adaptive`, their scales into s (NULL
 * otherwise): one forward pass (prle_conformal_scales or prle_model_predict); 0 rows: nothing. */
struct prle_model;
struct prle_matrix;
int prle__conformal_predict_scales(float *yhat, double *s, const struct prle_model *m,
                                   const struct prle_matrix *z, bool adaptive);
/* The n intervals of rule c around yhat with scales s (NULL: all 1) into lo, hi. */
struct prle_conformal;
void prle__conformal_ends(float *lo, float *hi, const struct prle_conformal *c, const float *yhat,
                          const double *s, size_t n);

#endif
