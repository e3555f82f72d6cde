/* Fully connected layer y = x W^T + b, row-major, W (dout, din) (PyTorch's nn.Linear). */
#ifndef PRLE_NN_LINEAR_H
#define PRLE_NN_LINEAR_H

#include <stddef.h>

/**
 * y (n, dout) = x (n, din) W^T + b; W (dout, din), b (dout) or NULL (no bias). Overwrites y.
 * The product goes through prle__gemm (thread-count independent); `nt` threads.
 */
void prle__linear_fwd(float *y, const float *x, const float *w, const float *b, size_t n,
                      size_t din, size_t dout, int nt);

/**
 * Backward of prle__linear_fwd, accumulating: dx (n, din) += dy W, dw (dout, din) += dy^T x,
 * db (dout) += column sums of dy. Any of dx, dw, db may be NULL (not wanted).
 */
void prle__linear_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                      const float *w, size_t n, size_t din, size_t dout, int nt);

/** Adds the column sums of a (n, d) to out (d), rows in order; columns split over `nt`. */
void prle__colsum_add(float *out, const float *a, size_t n, size_t d, int nt);

#endif
