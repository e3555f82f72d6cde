#include "math/ref_ops.h"

void prle__ref_sgemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                     const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                     size_t ldc)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t l = 0; l < k; l++) {
                float av = trans_a ? a[l * lda + i] : a[i * lda + l];
                float bv = trans_b ? b[j * ldb + l] : b[l * ldb + j];
                s += (double)av * (double)bv;
            }
            float prev = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
            c[i * ldc + j] = (float)(alpha * s) + prev;
        }
}
