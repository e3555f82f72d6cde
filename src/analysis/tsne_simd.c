/* t-SNE's inner loops: the attraction over a row of P (tsne_grad.c), the near field's kernel
 * difference over a run of slots (tsne_fft.c) and the brute-force kNN's bound test
 * (tsne_knn.c). Four float lanes with SSE2, eight with AVX2 and FMA where the processor has
 * them (checked once); the lanes are summed in a fixed order, so one machine gives the same
 * bits for any thread count. */
#include <math.h>
#include <stdbool.h>

#include "analysis/tsne_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

static void attract_scalar(float s[2], const uint32_t *col, const float *val, size_t e, size_t e1,
                           const float *yf, float xi, float yi)
{
    for (; e < e1; e++) {
        const float *a = yf + 2 * (size_t)col[e];
        float dx = xi - a[0], dy = yi - a[1];
        float pq = val[e] * (1.0f / (1.0f + (dx * dx + dy * dy)));
        s[0] += pq * dx, s[1] += pq * dy;
    }
}

#if defined(__SSE2__)
/* the points a and b of yf (n, 2) as x_a y_a x_b y_b: one 8-byte load each */
static inline __m128 pair2(const float *yf, uint32_t a, uint32_t b)
{
    __m128d v = _mm_load_sd((const double *)(const void *)(yf + 2 * (size_t)a));
    return _mm_castpd_ps(_mm_loadh_pd(v, (const double *)(const void *)(yf + 2 * (size_t)b)));
}
#endif

static void attract_sse(double f[2], const uint32_t *col, const float *val, size_t e0, size_t e1,
                        const float *yf, size_t i)
{
    float xi = yf[2 * i], yi = yf[2 * i + 1], s[2] = {0.0f, 0.0f};
    size_t e = e0;
#if defined(__SSE2__)
    __m128 ax = _mm_setzero_ps(), ay = ax, one = _mm_set1_ps(1.0f);
    __m128 vx = _mm_set1_ps(xi), vy = _mm_set1_ps(yi);
    for (; e + 4 <= e1; e += 4) {
        __m128 p01 = pair2(yf, col[e], col[e + 1]), p23 = pair2(yf, col[e + 2], col[e + 3]);
        __m128 dx = _mm_sub_ps(vx, _mm_shuffle_ps(p01, p23, 0x88)); /* x0 x1 x2 x3 */
        __m128 dy = _mm_sub_ps(vy, _mm_shuffle_ps(p01, p23, 0xDD));
        __m128 q =
            _mm_div_ps(one, _mm_add_ps(one, _mm_add_ps(_mm_mul_ps(dx, dx), _mm_mul_ps(dy, dy))));
        __m128 pq = _mm_mul_ps(_mm_loadu_ps(val + e), q);
        ax = _mm_add_ps(ax, _mm_mul_ps(pq, dx));
        ay = _mm_add_ps(ay, _mm_mul_ps(pq, dy));
    }
    float bx[4], by[4];
    _mm_storeu_ps(bx, ax), _mm_storeu_ps(by, ay);
    s[0] = (bx[0] + bx[1]) + (bx[2] + bx[3]);
    s[1] = (by[0] + by[1]) + (by[2] + by[3]);
#endif
    attract_scalar(s, col, val, e, e1, yf, xi, yi);
    f[0] = s[0];
    f[1] = s[1];
}

static void near_sse(float a[3], float xi, float yi, float T, float s0, float s1, const float *xs,
                     const float *ys, size_t e0, size_t e1)
{
#if defined(__SSE2__)
    __m128 ax = _mm_setzero_ps(), ay = ax, az = ax, one = _mm_set1_ps(1.0f);
    __m128 vx = _mm_set1_ps(xi), vy = _mm_set1_ps(yi), vT = _mm_set1_ps(T);
    __m128 v0 = _mm_set1_ps(s0), v1 = _mm_set1_ps(s1), lane = _mm_set_ps(3, 2, 1, 0);
    for (size_t s = e0; s < e1; s += 4) {
        __m128 dx = _mm_sub_ps(vx, _mm_loadu_ps(xs + s)), dy = _mm_sub_ps(vy, _mm_loadu_ps(ys + s));
        __m128 t = _mm_add_ps(_mm_mul_ps(dx, dx), _mm_mul_ps(dy, dy)), u = _mm_add_ps(one, t);
        __m128 q = _mm_div_ps(one, u);
        __m128 l = _mm_sub_ps(_mm_mul_ps(q, q), _mm_add_ps(v0, _mm_mul_ps(_mm_sub_ps(t, vT), v1)));
        __m128 in =
            _mm_and_ps(_mm_cmplt_ps(t, vT), _mm_cmplt_ps(lane, _mm_set1_ps((float)(e1 - s))));
        l = _mm_and_ps(l, in);
        ax = _mm_add_ps(ax, _mm_mul_ps(l, dx));
        ay = _mm_add_ps(ay, _mm_mul_ps(l, dy));
        az = _mm_add_ps(az, _mm_mul_ps(l, u));
    }
    float bx[4], by[4], bz[4];
    _mm_storeu_ps(bx, ax), _mm_storeu_ps(by, ay), _mm_storeu_ps(bz, az);
    a[0] += (bx[0] + bx[1]) + (bx[2] + bx[3]);
    a[1] += (by[0] + by[1]) + (by[2] + by[3]);
    a[2] += (bz[0] + bz[1]) + (bz[2] + bz[3]);
#else
    for (size_t s = e0; s < e1; s++) {
        float dx = xi - xs[s], dy = yi - ys[s], t = dx * dx + dy * dy, u = 1.0f + t;
        float q = 1.0f / u, l = t < T ? q * q - (s0 + (t - T) * s1) : 0.0f;
        a[0] += l * dx, a[1] += l * dy, a[2] += l * u;
    }
#endif
}

#if HAVE_AVX2_PATH
/* eight lanes summed as ((0 + 1) + (2 + 3)) + ((4 + 5) + (6 + 7)) */
__attribute__((target("avx2,fma"))) static float sum8(__m256 v)
{
    float b[8];
    _mm256_storeu_ps(b, v);
    return ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
}

__attribute__((target("avx2,fma"))) static void attract_avx2(double f[2], const uint32_t *col,
                                                             const float *val, size_t e0, size_t e1,
                                                             const float *yf, size_t i)
{
    float xi = yf[2 * i], yi = yf[2 * i + 1], s[2];
    __m256 ax = _mm256_setzero_ps(), ay = ax, one = _mm256_set1_ps(1.0f);
    __m256 vx = _mm256_set1_ps(xi), vy = _mm256_set1_ps(yi);
    size_t e = e0;
    for (; e + 8 <= e1; e += 8) {
        /* pairs 0 1 | 4 5 and 2 3 | 6 7; no gather (slow under the Downfall mitigation) */
        __m256 a =
            _mm256_set_m128(pair2(yf, col[e + 4], col[e + 5]), pair2(yf, col[e], col[e + 1]));
        __m256 b =
            _mm256_set_m128(pair2(yf, col[e + 6], col[e + 7]), pair2(yf, col[e + 2], col[e + 3]));
        __m256 dx = _mm256_sub_ps(vx, _mm256_shuffle_ps(a, b, 0x88)); /* x0 .. x7 */
        __m256 dy = _mm256_sub_ps(vy, _mm256_shuffle_ps(a, b, 0xDD));
        __m256 q = _mm256_div_ps(one, _mm256_fmadd_ps(dx, dx, _mm256_fmadd_ps(dy, dy, one)));
        __m256 pq = _mm256_mul_ps(_mm256_loadu_ps(val + e), q);
        ax = _mm256_fmadd_ps(pq, dx, ax);
        ay = _mm256_fmadd_ps(pq, dy, ay);
    }
    s[0] = sum8(ax);
    s[1] = sum8(ay);
    _mm256_zeroupper(); /* before SSE code: no transition penalty */
    attract_scalar(s, col, val, e, e1, yf, xi, yi);
    f[0] = s[0];
    f[1] = s[1];
}

__attribute__((target("avx2,fma"))) static void near_avx2(float a[3], float xi, float yi, float T,
                                                          float s0, float s1, const float *xs,
                                                          const float *ys, size_t e0, size_t e1)
{
    __m256 ax = _mm256_setzero_ps(), ay = ax, az = ax, one = _mm256_set1_ps(1.0f);
    __m256 vx = _mm256_set1_ps(xi), vy = _mm256_set1_ps(yi), vT = _mm256_set1_ps(T);
    __m256 v0 = _mm256_set1_ps(s0), v1 = _mm256_set1_ps(s1);
    __m256 lane = _mm256_set_ps(7, 6, 5, 4, 3, 2, 1, 0);
    for (size_t s = e0; s < e1; s += 8) {
        __m256 dx = _mm256_sub_ps(vx, _mm256_loadu_ps(xs + s));
        __m256 dy = _mm256_sub_ps(vy, _mm256_loadu_ps(ys + s));
        __m256 t = _mm256_fmadd_ps(dx, dx, _mm256_mul_ps(dy, dy)), u = _mm256_add_ps(one, t);
        __m256 q = _mm256_div_ps(one, u);
        __m256 l = _mm256_fmsub_ps(q, q, _mm256_fmadd_ps(_mm256_sub_ps(t, vT), v1, v0));
        __m256 in = _mm256_and_ps(_mm256_cmp_ps(t, vT, _CMP_LT_OQ),
                                  _mm256_cmp_ps(lane, _mm256_set1_ps((float)(e1 - s)), _CMP_LT_OQ));
        l = _mm256_and_ps(l, in);
        ax = _mm256_fmadd_ps(l, dx, ax);
        ay = _mm256_fmadd_ps(l, dy, ay);
        az = _mm256_fmadd_ps(l, u, az);
    }
    a[0] += sum8(ax);
    a[1] += sum8(ay);
    a[2] += sum8(az);
    _mm256_zeroupper();
}
#endif

/* the bound test of prle__tsne_bound_scan, one row at a time */
static size_t scan_scalar(uint32_t *hits, size_t nh, const float *g, const double *nrm, size_t t,
                          size_t cnt, double ni, double gamma, double top)
{
    for (; t < cnt; t++) {
        double s = ni + nrm[t], base = s - 2.0 * (double)g[t], lb = base - gamma * s;
        if (lb <= top)
            hits[nh++] = (uint32_t)t;
    }
    return nh;
}

#if HAVE_AVX2_PATH
__attribute__((target("avx2,fma"))) static size_t scan_avx2(uint32_t *hits, const float *g,
                                                            const double *nrm, size_t cnt,
                                                            double ni, double gamma, double top)
{
    /* the scalar test's operations, unfused: the same decisions */
    __m256d vni = _mm256_set1_pd(ni), vg = _mm256_set1_pd(gamma), vt = _mm256_set1_pd(top);
    __m256d two = _mm256_set1_pd(2.0);
    size_t t = 0, nh = 0;
    for (; t + 4 <= cnt; t += 4) {
        __m256d s = _mm256_add_pd(vni, _mm256_loadu_pd(nrm + t));
        __m256d base = _mm256_sub_pd(s, _mm256_mul_pd(two, _mm256_cvtps_pd(_mm_loadu_ps(g + t))));
        __m256d lb = _mm256_sub_pd(base, _mm256_mul_pd(vg, s));
        unsigned m = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(lb, vt, _CMP_LE_OQ));
        for (; m; m &= m - 1)
            hits[nh++] = (uint32_t)(t + (size_t)__builtin_ctz(m));
    }
    _mm256_zeroupper();
    return scan_scalar(hits, nh, g, nrm, t, cnt, ni, gamma, top);
}
#endif

void prle__tsne_attract(double f[2], const uint32_t *col, const float *val, size_t e0, size_t e1,
                        const float *yf, size_t i, bool wide)
{
#if HAVE_AVX2_PATH
    if (wide) {
        attract_avx2(f, col, val, e0, e1, yf, i);
        return;
    }
#endif
    (void)wide;
    attract_sse(f, col, val, e0, e1, yf, i);
}

void prle__tsne_near_run(float a[3], float xi, float yi, float T, float s0, float s1,
                         const float *xs, const float *ys, size_t e0, size_t e1, bool wide)
{
#if HAVE_AVX2_PATH
    if (wide) {
        near_avx2(a, xi, yi, T, s0, s1, xs, ys, e0, e1);
        return;
    }
#endif
    (void)wide;
    near_sse(a, xi, yi, T, s0, s1, xs, ys, e0, e1);
}

size_t prle__tsne_bound_scan(uint32_t *hits, const float *g, const double *nrm, size_t cnt,
                             double ni, double gamma, double top, bool wide)
{
#if HAVE_AVX2_PATH
    if (wide)
        return scan_avx2(hits, g, nrm, cnt, ni, gamma, top);
#endif
    (void)wide;
    return scan_scalar(hits, 0, g, nrm, 0, cnt, ni, gamma, top);
}

#if HAVE_AVX2_PATH
/* prle__tsne_dist's eight float lanes (unfused: subtract, square, add) for four rows at once,
 * its tail and its double sum after */
__attribute__((target("avx2,fma"))) static void dist4_avx2(double out[4], const float *a,
                                                           const float *const b[4], size_t d)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    const float *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
    size_t j = 0;
    for (; j + 8 <= d; j += 8) {
        __m256 va = _mm256_loadu_ps(a + j);
        __m256 t0 = _mm256_sub_ps(va, _mm256_loadu_ps(b0 + j));
        __m256 t1 = _mm256_sub_ps(va, _mm256_loadu_ps(b1 + j));
        __m256 t2 = _mm256_sub_ps(va, _mm256_loadu_ps(b2 + j));
        __m256 t3 = _mm256_sub_ps(va, _mm256_loadu_ps(b3 + j));
        s0 = _mm256_add_ps(s0, _mm256_mul_ps(t0, t0));
        s1 = _mm256_add_ps(s1, _mm256_mul_ps(t1, t1));
        s2 = _mm256_add_ps(s2, _mm256_mul_ps(t2, t2));
        s3 = _mm256_add_ps(s3, _mm256_mul_ps(t3, t3));
    }
    float l[4][8];
    _mm256_storeu_ps(l[0], s0), _mm256_storeu_ps(l[1], s1);
    _mm256_storeu_ps(l[2], s2), _mm256_storeu_ps(l[3], s3);
    _mm256_zeroupper();
    for (int c = 0; c < 4; c++) {
        const float *s = l[c], *bc = b[c];
        float tail = 0.0f;
        for (size_t t = j; t < d; t++) {
            float v = a[t] - bc[t];
            tail += v * v;
        }
        double sum = (((double)s[0] + s[1]) + ((double)s[2] + s[3])) +
                     (((double)s[4] + s[5]) + ((double)s[6] + s[7])) + (double)tail;
        out[c] = sqrt(sum);
    }
}
#endif

void prle__tsne_dist4(double out[4], const float *a, const float *const b[4], size_t d, bool wide)
{
#if HAVE_AVX2_PATH
    if (wide) {
        dist4_avx2(out, a, b, d);
        return;
    }
#endif
    (void)wide;
    for (int c = 0; c < 4; c++)
        out[c] = prle__tsne_dist(a, b[c], d);
}
