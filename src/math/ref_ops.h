/* Naive reference loops that tests and benches compare the fast paths against. */
#ifndef PRLE_MATH_REF_OPS_H
#define PRLE_MATH_REF_OPS_H

#include <stdbool.h>
#include <stddef.h>

/** Same contract as prle__sgemm, computed with plain loops and double accumulation. */
void prle__ref_sgemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                     const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                     size_t ldc);

#endif
