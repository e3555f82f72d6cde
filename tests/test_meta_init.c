/* Expert meta-init: ridge (META_LINEAR) and linear SVR through liblinear (META_SVR) against
 * scikit-learn's Ridge and LinearSVR on a fixed problem, a rank-deficient ridge, the warm start
 * (RIDGE: alpha chosen on validation rows), repeatability, bad input.
 * LABELS: unit */
#include "prle_test.h"

#include "prle/meta_init.h"

/* tools/ref/meta_init_ref.py (scikit-learn 1.2.1): coefficients (5) then intercept */
/* z[0][0..1] = -0.59398824 -0.598762512, y[0] = 0.482053518, y[59] = 1.85931468 */
static const double ref_ridge[6] = {1.2603229016983357,  -1.6526246556044828,
                                    0.40986314366095783, -0.03072505679310478,
                                    0.82908653343384908, -0.043344372553343724};
static const double ref_svr[6] = {1.1794195283774747,  -1.5258168477371075,
                                  0.39734424696732046, -0.025936775957889308,
                                  0.77283135748038312, -0.047165221194782746};
static const double ref_ridge4[6] = {1.0445804895657587,  -1.1124460859985554, 0.35372412029306083,
                                     0.34704501936218141, 0.57641849186950755, 0.06602183844402193};
/* validation MSE per alpha: 0.464324 0.429432 0.232414 0.328725 0.959572 1.16624 1.19152 1.1941;
 * chosen 0.1 */
static const double ref_warm[6] = {0.83014160086605404,  -2.1128597909658917, 0.5607791846304192,
                                   -0.40024465802225495, 1.0593306183093381,  -0.34985622338233957};
static const double ref_warm1[6] = {1.1572482832564297,  -1.5166836443705609,
                                    0.39500965209320693, -0.043891220125902533,
                                    0.75295513006190085, -0.040054099716905406};

enum { N = 60, D = 5 };

static double lcg(uint32_t *x)
{
    *x = 1664525u * *x + 1013904223u;
    return *x / 4294967296.0 - 0.5;
}

/* The problem of meta_init_ref.py, bit for bit up to libm rounding. */
static void problem(float *z, float *y)
{
    static const double w[D] = {1.5, -2.0, 0.5, 0.0, 1.0};
    uint32_t x = 12345;
    double zz[N * D], yy[N], mean = 0, var = 0;
    for (size_t i = 0; i < N; i++) {
        double s = 0;
        for (size_t j = 0; j < D; j++) {
            zz[i * D + j] = lcg(&x);
            s += zz[i * D + j] * zz[i * D + j];
        }
        for (size_t j = 0; j < D; j++)
            z[i * D + j] = (float)(zz[i * D + j] / sqrt(s));
    }
    for (size_t i = 0; i < N; i++) {
        double v = 0.6 * lcg(&x);
        for (size_t j = 0; j < D; j++)
            v += (double)z[i * D + j] * w[j];
        yy[i] = v;
        mean += v;
    }
    mean /= N;
    for (size_t i = 0; i < N; i++)
        var += (yy[i] - mean) * (yy[i] - mean);
    for (size_t i = 0; i < N; i++)
        y[i] = (float)((yy[i] - mean) / sqrt(var / N));
}

/* Every coefficient within `rel` of the reference, relative to the largest one. */
static void check_coef(const float *w, float c, const double *ref, size_t d, double rel)
{
    double scale = 0;
    for (size_t j = 0; j <= d; j++)
        scale = fmax(scale, fabs(ref[j]));
    for (size_t j = 0; j < d; j++)
        PT_NEAR(w[j], ref[j], rel * fmax(fabs(ref[j]), 0.1 * scale));
    PT_NEAR(c, ref[d], rel * fmax(fabs(ref[d]), 0.1 * scale));
}

static void test_meta_init__problem(void)
{
    float z[N * D], y[N];
    problem(z, y);
    PT_NEAR(z[0], -0.59398824, 1e-7);
    PT_NEAR(z[1], -0.598762512, 1e-7);
    PT_NEAR(y[0], 0.482053518, 1e-6);
    PT_NEAR(y[59], 1.85931468, 1e-6);
}

static void test_meta_init__ridge(void)
{
    float z[N * D], y[N], w[D], c = 0;
    problem(z, y);
    prle_matrix zm = {.data = z, .rows = N, .cols = D};
    PT_OK(prle__meta_init_linear(w, &c, &zm, y, PRLE_EXPERT_INIT_META_LINEAR, 42, 1));
    check_coef(w, c, ref_ridge, D, 1e-5);
    /* 4 rows, 5 columns: ridge is still unique */
    zm.rows = 4;
    PT_OK(prle__meta_init_linear(w, &c, &zm, y, PRLE_EXPERT_INIT_META_LINEAR, 42, 2));
    check_coef(w, c, ref_ridge4, D, 1e-4);
}

/* The warm start: alpha chosen on validation rows (0.1 of the grid here, not the no-validation
 * default 1), then alpha 1 without validation rows. */
static void test_meta_init__ridge_warm_start(void)
{
    float z[N * D], y[N], y8[8], w[D], c = 0;
    double alpha = 0;
    problem(z, y);
    static const float shift[3] = {0.8f, -0.8f, 0.0f};
    for (size_t i = 0; i < 8; i++)
        y8[i] = y[i] + shift[i % 3];
    prle_matrix zt = {.data = z, .rows = 8, .cols = D};
    prle_matrix zv = {.data = z + 8 * D, .rows = N - 8, .cols = D};
    PT_OK(prle__meta_init_ridge(w, &c, &alpha, 0, &zt, y8, &zv, y + 8, 2));
    PT_NEAR(alpha, 0.1, 0);
    check_coef(w, c, ref_warm, D, 1e-4);
    prle_matrix all = {.data = z, .rows = N, .cols = D};
    PT_OK(prle__meta_init_ridge(w, &c, &alpha, 0, &all, y, NULL, NULL, 1));
    PT_NEAR(alpha, 1.0, 0);
    check_coef(w, c, ref_warm1, D, 1e-5);
    /* a given alpha (a refit's frozen choice) is the fit validation chose, validation unused */
    alpha = 0;
    PT_OK(prle__meta_init_ridge(w, &c, &alpha, 0.1, &zt, y8, NULL, NULL, 1));
    PT_NEAR(alpha, 0.1, 0);
    check_coef(w, c, ref_warm, D, 1e-4);
    zv.cols = D - 1;
    PT_OK(prle__meta_init_ridge(w, &c, &alpha, 0.1, &zt, y8, &zv, y + 8, 1));
    PT_FAILS(prle__meta_init_ridge(w, &c, &alpha, 0, &zt, y8, &zv, y + 8, 1), PRLE_ESHAPE, "wide");
}

static void test_meta_init__svr(void)
{
    float z[N * D], y[N], w[D], c = 0, w2[D], c2 = 0;
    problem(z, y);
    prle_matrix zm = {.data = z, .rows = N, .cols = D};
    PT_OK(prle__meta_init_linear(w, &c, &zm, y, PRLE_EXPERT_INIT_META_SVR, 42, 1));
    check_coef(w, c, ref_svr, D, 1e-3);
    PT_OK(prle__meta_init_linear(w2, &c2, &zm, y, PRLE_EXPERT_INIT_META_SVR, 42, 2));
    PT_CHECK(memcmp(w, w2, sizeof w) == 0 && c == c2); /* same seed: same bits */
    /* the SVR is not the ridge: epsilon-insensitivity and C = 1 shrink it */
    PT_CHECK(fabs(w[1] - ref_ridge[1]) > 0.05);
}

static void test_meta_init__bad_input(void)
{
    float z[N * D], y[N], w[D], c;
    problem(z, y);
    prle_matrix zm = {.data = z, .rows = N, .cols = D};
    PT_FAILS(prle__meta_init_linear(w, &c, &zm, y, PRLE_EXPERT_INIT_RANDOM, 1, 1), PRLE_EINVAL,
             "meta-init");
    prle_matrix empty = {.data = z, .rows = 0, .cols = D};
    PT_FAILS(prle__meta_init_linear(w, &c, &empty, y, PRLE_EXPERT_INIT_META_LINEAR, 1, 1),
             PRLE_EINVAL, "no training rows");
    z[7 * D + 2] = NAN;
    PT_FAILS(prle__meta_init_linear(w, &c, &zm, y, PRLE_EXPERT_INIT_META_SVR, 1, 1), PRLE_EINVAL,
             "row 7");
    z[7 * D + 2] = 0;
    y[3] = INFINITY;
    PT_FAILS(prle__meta_init_linear(w, &c, &zm, y, PRLE_EXPERT_INIT_META_LINEAR, 1, 1), PRLE_EINVAL,
             "row 3");
}

int main(void)
{
    PT_RUN(test_meta_init__problem);
    PT_RUN(test_meta_init__ridge);
    PT_RUN(test_meta_init__ridge_warm_start);
    PT_RUN(test_meta_init__svr);
    PT_RUN(test_meta_init__bad_input);
    return pt_report();
}
