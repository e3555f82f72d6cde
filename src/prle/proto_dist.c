/* Euclidean distances between rows for prototype selection (prototypes_int.h): squared norms,
 * one pair's squared distance in double, a block of distances from one sgemm, and the full
 * symmetric matrix k-medoids keeps. The sqrt and the mirror run four lanes at a time with SSE2;
 * the lanes give the bits of the scalar code (sqrtps rounds as sqrtss, the mirror is a copy). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "math/blas.h"
#include "prle/prototypes_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define BLK_FULL 1024 /* row blocks of the upper triangle (bigger products run faster) */
#define DIST_ROWS 16  /* rows of a whose close pairs are recomputed together */

void prle__proto_sqnorms(float *sq_out, const float *a, size_t n, size_t d, int n_threads)
{
    int nt = n_threads;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *r = a + i * d;
        double s = 0;
        for (size_t t = 0; t < d; t++)
            s += (double)r[t] * r[t];
        sq_out[i] = (float)s;
    }
}

/* prle__proto_sqdist: eight running sums (t mod 8) added in one fixed order, not one chain of
 * dependent additions. No fused multiply-add anywhere (this file is built without it, the AVX
 * lanes use none), so the AVX path, the SSE2 code the compiler makes of the plain loop and a
 * scalar build give the same bits. */
static inline double sqdist_tail(const double *s, const float *a, const float *b, size_t t,
                                 size_t d)
{
    double v = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; t < d; t++) {
        double e = (double)a[t] - b[t];
        v += e * e;
    }
    return v;
}

static double sqdist_plain(const float *a, const float *b, size_t d)
{
    double s[8] = {0};
    size_t t = 0;
    for (; t + 8 <= d; t += 8)
        for (int l = 0; l < 8; l++) {
            double e = (double)a[t + l] - b[t + l];
            s[l] += e * e;
        }
    return sqdist_tail(s, a, b, t, d);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx"))) static double sqdist_avx(const float *a, const float *b, size_t d)
{
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    size_t t = 0;
    for (; t + 8 <= d; t += 8) {
        __m256d e0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + t)),
                                   _mm256_cvtps_pd(_mm_loadu_ps(b + t)));
        __m256d e1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + t + 4)),
                                   _mm256_cvtps_pd(_mm_loadu_ps(b + t + 4)));
        s0 = _mm256_add_pd(s0, _mm256_mul_pd(e0, e0));
        s1 = _mm256_add_pd(s1, _mm256_mul_pd(e1, e1));
    }
    double s[8];
    _mm256_storeu_pd(s, s0);
    _mm256_storeu_pd(s + 4, s1);
    return sqdist_tail(s, a, b, t, d);
}
#endif

double prle__proto_sqdist(const float *a, const float *b, size_t d, bool avx)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (avx)
        return sqdist_avx(a, b, d);
#endif
    (void)avx;
    return sqdist_plain(a, b, d);
}

/* o[j] = sqrt(o[j] + si + sqb[j]) for j < nb, or -1 where that squared distance is below
 * 1e-2 (si + sqb[j]) (recomputed by the caller); true if any was. */
static bool sqrt_row(float *o, float si, const float *sqb, size_t nb)
{
    size_t j = 0;
    bool close = false;
#if defined(__SSE2__)
    const __m128 vsi = _mm_set1_ps(si), tiny = _mm_set1_ps(1e-2f), neg = _mm_set1_ps(-1.0f);
    __m128 any = _mm_setzero_ps();
    for (; j + 4 <= nb; j += 4) {
        __m128 base = _mm_add_ps(vsi, _mm_loadu_ps(sqb + j));
        __m128 v = _mm_add_ps(_mm_loadu_ps(o + j), base);
        __m128 m = _mm_cmplt_ps(v, _mm_mul_ps(tiny, base));
        _mm_storeu_ps(o + j, _mm_or_ps(_mm_and_ps(m, neg), _mm_andnot_ps(m, _mm_sqrt_ps(v))));
        any = _mm_or_ps(any, m);
    }
    close = _mm_movemask_ps(any) != 0;
#endif
    for (; j < nb; j++) {
        float base = si + sqb[j], v = o[j] + base;
        o[j] = v < 1e-2f * base ? -1.0f : sqrtf(v);
        close |= o[j] < 0;
    }
    return close;
}

void prle__proto_dist(float *out, size_t ldo, const float *a, const float *sqa, size_t m,
                      const float *b, const float *sqb, size_t nb, size_t d, int n_threads)
{
    /* one product for the whole block, its bits independent of the thread count (math/blas.h);
       our loop below only post-processes rows */
    int nt = n_threads;
    prle__gemm(false, true, m, nb, d, -2.0f, a, d, b, d, 0.0f, out, ldo, nt);
    size_t n_blk = (m + DIST_ROWS - 1) / DIST_ROWS;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (m * nb >= 16384)
    for (size_t blk = 0; blk < n_blk; blk++) {
        size_t i0 = blk * DIST_ROWS, i1 = i0 + DIST_ROWS < m ? i0 + DIST_ROWS : m;
        bool close = false;
        for (size_t i = i0; i < i1; i++)
            close |= sqrt_row(out + i * ldo, sqa[i], sqb, nb);
        if (!close)
            continue;
        bool avx = prle__cpu_avx();
        /* cancellation: recompute from the difference (identical rows give 0), row b_j read
         * once for the block's rows, which stay in cache */
        for (size_t j = 0; j < nb; j++)
            for (size_t i = i0; i < i1; i++)
                if (out[i * ldo + j] < 0)
                    out[i * ldo + j] =
                        (float)sqrt(prle__proto_sqdist(a + i * d, b + j * d, d, avx));
    }
}

/* full[i][j] = full[j][i] for i in [i0, i1) and j in [j0, j1), j < i; i0 and j0 multiples of
 * 4: 4 x 4 blocks wholly below the diagonal are transposed in registers. */
static void mirror_tile(float *full, size_t n, size_t i0, size_t i1, size_t j0, size_t j1)
{
    for (size_t i = i0; i < i1; i += 4)
        for (size_t j = j0; j < j1 && j <= i; j += 4) {
#if defined(__SSE2__)
            if (i + 4 <= i1 && j + 4 <= j1 && j + 4 <= i) {
                __m128 r0 = _mm_loadu_ps(full + j * n + i),
                       r1 = _mm_loadu_ps(full + (j + 1) * n + i);
                __m128 r2 = _mm_loadu_ps(full + (j + 2) * n + i);
                __m128 r3 = _mm_loadu_ps(full + (j + 3) * n + i);
                _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
                _mm_storeu_ps(full + i * n + j, r0), _mm_storeu_ps(full + (i + 1) * n + j, r1);
                _mm_storeu_ps(full + (i + 2) * n + j, r2),
                    _mm_storeu_ps(full + (i + 3) * n + j, r3);
                continue;
            }
#endif
            for (size_t a = i; a < i + 4 && a < i1; a++)
                for (size_t b = j; b < j + 4 && b < j1 && b < a; b++)
                    full[a * n + b] = full[b * n + a];
        }
}

void prle__proto_dist_full(float *full, const float *x, const float *sq, size_t n, size_t d,
                           int n_threads)
{
    for (size_t c0 = 0; c0 < n; c0 += BLK_FULL) {
        size_t b = n - c0 < BLK_FULL ? n - c0 : BLK_FULL;
        prle__proto_dist(full + c0 * n + c0, n, x + c0 * d, sq + c0, b, x + c0 * d, sq + c0, n - c0,
                         d, n_threads);
    }
    /* lower triangle from the upper one, in 64 x 64 tiles */
    size_t nt_ = (n + 63) / 64;
    int nt = n_threads;
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (n >= 256)
    for (size_t ti = 0; ti < nt_; ti++)
        for (size_t tj = 0; tj <= ti; tj++)
            mirror_tile(full, n, ti * 64, ti * 64 + 64 < n ? ti * 64 + 64 : n, tj * 64,
                        tj * 64 + 64 < n ? tj * 64 + 64 : n);
}
