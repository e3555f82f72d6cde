/* Fully connected layer y = x W^T + b, row-major, W (dout, din) (PyTorch's nn.Linear). */
#ifndef PRLE_NN_LINEAR_H
#define PRLE_NN_LINEAR_H

#include <stddef.h>

#include "nn/adam.h"

/**
 * y (n, dout) = x (n, din) W^T + b; W (dout, din), b (dout) or NULL (no bias). Overwrites y.
 * The product goes through prle__gemm (thread-count independent); `nt` threads.
 */
void prle__linear_fwd(float *y, const float *x, const float *w, const float *b, size_t n,
                      size_t din, size_t dout, int nt);

/** prle__linear_fwd with prle__gemm_rows: each row of y depends on its row of x only (the same
 * bits alone or in any batch); `pack` holds prle__gemm_rows_pack_floats(dout, din) floats. */
void prle__linear_fwd_rows(float *y, const float *x, const float *w, const float *b, size_t n,
                           size_t din, size_t dout, float *pack, int nt);

/** prle__linear_fwd_rows with W packed beforehand (prle__gemm_rows_pack of W, (dout, din)). */
void prle__linear_fwd_packed(float *y, const float *x, const float *packed, const float *b,
                             size_t n, size_t din, size_t dout, int nt);

/**
 * Backward of prle__linear_fwd, accumulating: dx (n, din) += dy W, dw (dout, din) += dy^T x,
 * db (dout) += column sums of dy. Any of dx, dw, db may be NULL (not wanted). dw is formed in
 * blocks of PRLE__LINEAR_ADAM_ROWS rows, as prle__linear_bwd_adam forms it.
 */
void prle__linear_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                      const float *w, size_t n, size_t din, size_t dout, int nt);

/** Rows of W whose gradient prle__linear_bwd_adam forms at once. */
#define PRLE__LINEAR_ADAM_ROWS 64

/**
 * prle__linear_bwd with the Adam step of W fused in (the weight gradient never leaves the
 * cache: at 1280 x 1280 a separate gradient pass and Adam pass over memory cost more than
 * the products): dx (n, din) += dy W with W before the step; db (dout) += column sums of dy
 * (NULL: none); then W, its moments mw and vw (dout, din) take the Adam step `c` with
 * gradient dy^T x, formed PRLE__LINEAR_ADAM_ROWS rows of W at a time into `scratch`
 * (nt * PRLE__LINEAR_ADAM_ROWS * din floats). W, mw and vw end with the bits
 * prle__linear_bwd into zeroed gradients then prle__adam_step would give: the blocks are fixed
 * by the shape, each gradient element one dot product.
 */
void prle__linear_bwd_adam(float *dx, float *db, const float *dy, const float *x, float *w,
                           float *mw, float *vw, size_t n, size_t din, size_t dout,
                           const prle__adam_coef *c, float *scratch, int nt);

/** Adds the column sums of a (n, d) to out (d), rows in order; columns split over `nt`. */
void prle__colsum_add(float *out, const float *a, size_t n, size_t d, int nt);

#endif
