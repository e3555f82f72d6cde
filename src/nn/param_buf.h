/* One flat float buffer per network: parameters, gradients and Adam's m and v share a layout
 * (STYLE.md §8; llm.c `fill_in_parameter_sizes` + `malloc_and_point_parameters`). */
#ifndef PRLE_NN_PARAM_BUF_H
#define PRLE_NN_PARAM_BUF_H

#include <stdbool.h>
#include <stddef.h>

/**
 * A network's parameters. Trainable tensors come first: [0, n_train) is what gradients and
 * Adam cover, [n_train, n) is frozen (e.g. fixed random Fourier features). `grads`, `m` and
 * `v` hold n_train floats each and exist only while training (NULL otherwise). All four are
 * 64-byte aligned. A zeroed value is an empty buffer.
 */
typedef struct prle__param_buf {
    float *params; /* (n) */
    float *grads;  /* (n_train) or NULL */
    float *m, *v;  /* (n_train) each, or NULL */
    size_t n, n_train;
} prle__param_buf;

/**
 * Offsets of `count` tensors of `sizes[i]` floats laid end to end: offsets[i] receives the
 * start of tensor i (each rounded up to a multiple of 16 floats, so every view is 64-byte
 * aligned). Returns the total, or 0 with *overflow set when the sum overflows.
 */
size_t prle__param_layout(size_t *offsets, const size_t *sizes, size_t count, bool *overflow);

/** Allocates `n` zeroed parameters, of which the first `n_train` train. PRLE_ENOMEM. */
int prle__param_buf_alloc(prle__param_buf *pb, size_t n, size_t n_train);

/** Allocates the zeroed gradients and Adam moments (for a fit). PRLE_ENOMEM. */
int prle__param_buf_alloc_train(prle__param_buf *pb);

/** Frees gradients and moments, keeps the parameters. */
void prle__param_buf_free_train(prle__param_buf *pb);

/** Frees everything and zeroes `pb`; a zeroed buffer is left as it is. */
void prle__param_buf_dispose(prle__param_buf *pb);

/** Zeroes the gradients: one memset. */
void prle__param_buf_zero_grad(prle__param_buf *pb);

/** The gradient view of the tensor at `offset`, or NULL if it is frozen or not training. */
static inline float *prle__param_grad(const prle__param_buf *pb, size_t offset)
{
    return (pb->grads && offset < pb->n_train) ? pb->grads + offset : NULL;
}

#endif
