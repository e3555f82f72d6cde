/* Products whose rows do not depend on the batch (math/blas.h, prle__gemm_rows).
 *
 * OpenBLAS computes a row of C differently by where it sits in A and how many rows A has (its
 * kernels for the edges of a tile sum in another order), so a text predicted alone and the same
 * text in a file differed in the last bits. Here every element is one chain of fused
 * multiply-adds over k in order, from 0: 8 lanes with AVX2 and FMA where the processor has them,
 * fmaf elsewhere, which rounds the same way. B is packed into panels of 16 columns, k-major,
 * so a panel's slice of B stays in L1 while rows stream past it: once per call, or once for a
 * B used many times (prle__gemm_rows_pack). */
#include <math.h>
#include <string.h>

#include "core/cpu.h"
#include "math/blas.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#define PANEL 16 /* columns of C per packed panel */
#define GROUP 6  /* rows of C per pass over a panel (AVX2) */

/* bp = panel `p` of op(B): bp[kk * PANEL + c] = op(B)[kk][p * PANEL + c], zero past m. */
static void pack_panel(float *bp, const float *b, size_t ldb, bool b_kmajor, size_t k, size_t m,
                       size_t p)
{
    size_t j0 = p * PANEL, w = m - j0 < PANEL ? m - j0 : PANEL;
    for (size_t kk = 0; kk < k; kk++) {
        float *dst = bp + kk * PANEL;
        for (size_t c = 0; c < w; c++)
            dst[c] = b_kmajor ? b[kk * ldb + j0 + c] : b[(j0 + c) * ldb + kk];
        for (size_t c = w; c < PANEL; c++)
            dst[c] = 0.0f;
    }
}

/* Rows [i0, i1) of C against one packed panel; `w` of its columns are stored. */
static void panel_scalar(float *c, size_t ldc, const float *a, size_t lda, const float *bp,
                         size_t k, size_t i0, size_t i1, size_t j0, size_t w)
{
    for (size_t i = i0; i < i1; i++) {
        float acc[PANEL] = {0};
        const float *ai = a + i * lda;
        for (size_t kk = 0; kk < k; kk++)
            for (size_t l = 0; l < PANEL; l++)
                acc[l] = fmaf(ai[kk], bp[kk * PANEL + l], acc[l]);
        memcpy(c + i * ldc + j0, acc, w * sizeof(float));
    }
}

#ifdef HAVE_AVX2_PATH
/* One row's 16 lanes: acc0, acc1 += a[kk] * panel row kk. */
#define ROW_FMA(acc0, acc1, ap)                                                                    \
    do {                                                                                           \
        __m256 av_ = _mm256_broadcast_ss(ap);                                                      \
        acc0 = _mm256_fmadd_ps(av_, b0, acc0);                                                     \
        acc1 = _mm256_fmadd_ps(av_, b1, acc1);                                                     \
    } while (0)

__attribute__((target("avx2,fma"))) static inline void store_row(float *c, __m256 acc0, __m256 acc1,
                                                                 size_t w)
{
    if (w == PANEL) {
        _mm256_storeu_ps(c, acc0);
        _mm256_storeu_ps(c + 8, acc1);
        return;
    }
    float out[PANEL];
    _mm256_storeu_ps(out, acc0);
    _mm256_storeu_ps(out + 8, acc1);
    memcpy(c, out, w * sizeof(float));
}

/* GROUP rows at a time in 12 accumulators (enough to cover the FMA latency), then the rest
 * one at a time: every lane is the same chain either way. */
__attribute__((target("avx2,fma"))) static void panel_avx2(float *c, size_t ldc, const float *a,
                                                           size_t lda, const float *bp, size_t k,
                                                           size_t i0, size_t i1, size_t j0,
                                                           size_t w)
{
    size_t i = i0;
    for (; i + GROUP <= i1; i += GROUP) {
        const float *a0 = a + i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda,
                    *a4 = a3 + lda, *a5 = a4 + lda;
        __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
               c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (size_t kk = 0; kk < k; kk++) {
            __m256 b0 = _mm256_loadu_ps(bp + kk * PANEL), b1 = _mm256_loadu_ps(bp + kk * PANEL + 8);
            ROW_FMA(c00, c01, a0 + kk);
            ROW_FMA(c10, c11, a1 + kk);
            ROW_FMA(c20, c21, a2 + kk);
            ROW_FMA(c30, c31, a3 + kk);
            ROW_FMA(c40, c41, a4 + kk);
            ROW_FMA(c50, c51, a5 + kk);
        }
        float *ci = c + i * ldc + j0;
        store_row(ci, c00, c01, w);
        store_row(ci + ldc, c10, c11, w);
        store_row(ci + 2 * ldc, c20, c21, w);
        store_row(ci + 3 * ldc, c30, c31, w);
        store_row(ci + 4 * ldc, c40, c41, w);
        store_row(ci + 5 * ldc, c50, c51, w);
    }
    for (; i < i1; i++) {
        const float *ai = a + i * lda;
        __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
        for (size_t kk = 0; kk < k; kk++) {
            __m256 b0 = _mm256_loadu_ps(bp + kk * PANEL), b1 = _mm256_loadu_ps(bp + kk * PANEL + 8);
            ROW_FMA(acc0, acc1, ai + kk);
        }
        store_row(c + i * ldc + j0, acc0, acc1, w);
    }
}
#undef ROW_FMA
#endif

/* Rows per task: a few groups, so both threads share small batches too. */
#define ROWS_PER_TASK 60

size_t prle__gemm_rows_pack_floats(size_t m, size_t k)
{
    return (m + PANEL - 1) / PANEL * PANEL * (k ? k : 1);
}

void prle__gemm_rows_pack(float *packed, const float *b, size_t ldb, bool b_kmajor, size_t m,
                          size_t k)
{
    for (size_t p = 0; p < (m + PANEL - 1) / PANEL; p++)
        pack_panel(packed + p * PANEL * k, b, ldb, b_kmajor, k, m, p);
}

/* Row tasks x panels over the threads, against `packed`; `b` non-NULL is packed first, into
 * `pack_into` (== packed). */
static void run(size_t n, size_t m, size_t k, const float *a, size_t lda, const float *b,
                size_t ldb, bool b_kmajor, float *c, size_t ldc, float *pack_into,
                const float *packed, int nt)
{
    if (n == 0 || m == 0)
        return;
    size_t np = (m + PANEL - 1) / PANEL;
    bool fast = prle__cpu_avx2_fma();
    size_t nr = (n + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    (void)nt;
#pragma omp parallel num_threads(nt) if (nt > 1 && (double)n * m * k > 262144.0)
    {
        if (b) {
#pragma omp for schedule(static)
            for (size_t p = 0; p < np; p++)
                pack_panel(pack_into + p * PANEL * k, b, ldb, b_kmajor, k, m, p);
        }
#pragma omp for collapse(2) schedule(static)
        for (size_t r = 0; r < nr; r++)
            for (size_t p = 0; p < np; p++) {
                size_t i0 = r * ROWS_PER_TASK, i1 = i0 + ROWS_PER_TASK < n ? i0 + ROWS_PER_TASK : n;
                size_t j0 = p * PANEL, w = m - j0 < PANEL ? m - j0 : PANEL;
                const float *bp = packed + p * PANEL * k;
#ifdef HAVE_AVX2_PATH
                if (fast) {
                    panel_avx2(c, ldc, a, lda, bp, k, i0, i1, j0, w);
                    continue;
                }
#endif
                panel_scalar(c, ldc, a, lda, bp, k, i0, i1, j0, w);
            }
    }
    (void)fast;
}

void prle__gemm_rows(size_t n, size_t m, size_t k, const float *a, size_t lda, const float *b,
                     size_t ldb, bool b_kmajor, float *c, size_t ldc, float *packed, int nt)
{
    run(n, m, k, a, lda, b, ldb, b_kmajor, c, ldc, packed, packed, nt);
}

void prle__gemm_rows_packed(size_t n, size_t m, size_t k, const float *a, size_t lda,
                            const float *packed, float *c, size_t ldc, int nt)
{
    run(n, m, k, a, lda, NULL, 0, false, c, ldc, NULL, packed, nt);
}
