/* LABELS: unit */
/* Regression metrics against scikit-learn / SciPy numbers (tests/data/metrics_ref.txt, made by
 * tools/ref/metrics_ref.py), plus naive O(n^2) Kendall τ-b and Spearman on random data. */
#include "prle_test.h"

/* Relative 1e-9 (plus 1e-15 absolute for values that are exactly 0): every metric is computed
 * in double from the same float32 inputs as the reference; observed differences are a few ulp. */
#define REL_TOL 1e-9
#define PT_NEAR_REL(a, b) PT_NEAR(a, b, REL_TOL *fabs((double)(b)) + 1e-15)

static const char *const metric_names[7] = {"mse",     "rmse",     "mae",    "r2",
                                            "pearson", "spearman", "kendall"};

static void metrics_array(double v[7], const prle_metrics *m)
{
    v[0] = m->mse, v[1] = m->rmse, v[2] = m->mae, v[3] = m->r2;
    v[4] = m->pearson, v[5] = m->spearman, v[6] = m->kendall;
}

static bool same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* ---- reference file ------------------------------------------------------------------- */

typedef struct {
    char name[64];
    size_t n;
    double lo, hi;
    float *t, *p;
    double raw[7], unit[7];
} ref_case;

static bool read_doubles(FILE *f, double *out, size_t n)
{
    char tok[64];
    for (size_t i = 0; i < n; i++) {
        char *end;
        if (fscanf(f, "%63s", tok) != 1)
            return false;
        out[i] = strtod(tok, &end);
        if (*end)
            return false;
    }
    return true;
}

static bool read_floats(FILE *f, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v;
        if (!read_doubles(f, &v, 1) || (double)(float)v != v) /* the file holds float32s */
            return false;
        out[i] = (float)v;
    }
    return true;
}

static void check_ref_case(const ref_case *c)
{
    prle_metrics m, m64, u;
    double got[7], got_unit[7];
    PT_OK(prle_metrics_compute(&m, c->t, c->p, c->n));
    PT_EQ_INT(m.n, c->n);
    metrics_array(got, &m);
    for (int k = 0; k < 7; k++) {
        if (!(fabs(got[k] - c->raw[k]) <= REL_TOL * fabs(c->raw[k]) + 1e-15) &&
            !(isnan(got[k]) && isnan(c->raw[k])))
            fprintf(stderr, "case %s, raw %s:\n", c->name, metric_names[k]);
        PT_NEAR_REL(got[k], c->raw[k]);
    }
    /* the constant-input warning exactly when SciPy says the correlations are undefined */
    PT_EQ_INT(m.flags != 0, isnan(c->raw[4]));

    PT_OK(prle_metrics_rescale(&u, &m, c->lo, c->hi));
    metrics_array(got_unit, &u);
    for (int k = 0; k < 7; k++) {
        if (!(fabs(got_unit[k] - c->unit[k]) <= REL_TOL * fabs(c->unit[k]) + 1e-15) &&
            !(isnan(got_unit[k]) && isnan(c->unit[k])))
            fprintf(stderr, "case %s, 0-1 scale %s:\n", c->name, metric_names[k]);
        PT_NEAR_REL(got_unit[k], c->unit[k]);
    }
    PT_EQ_INT(u.flags, m.flags);

    /* the double API is the same implementation: bit-identical */
    double *t64 = malloc(c->n * sizeof *t64), *p64 = malloc(c->n * sizeof *p64);
    PT_CHECK(t64 && p64);
    for (size_t i = 0; i < c->n; i++)
        t64[i] = c->t[i], p64[i] = c->p[i];
    PT_OK(prle_metrics_compute_f64(&m64, t64, p64, c->n));
    metrics_array(got_unit, &m64);
    for (int k = 0; k < 7; k++)
        PT_CHECK(same_double(got[k], got_unit[k]));
    free(t64);
    free(p64);
}

static void test_metrics__match_sklearn_scipy(void)
{
    FILE *f = fopen(pt_data("metrics_ref.txt"), "r");
    PT_CHECK(f != NULL);
    if (!f)
        return;
    char tok[64];
    int cases = 0;
    ref_case c = {0};
    while (fscanf(f, "%63s", tok) == 1) {
        if (tok[0] == '#') {
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
        } else if (strcmp(tok, "case") == 0) {
            PT_CHECK(fscanf(f, "%63s %zu %lf %lf", c.name, &c.n, &c.lo, &c.hi) == 4);
            PT_CHECK(c.n > 0 && c.n < 100000);
            free(c.t);
            free(c.p);
            c.t = malloc(c.n * sizeof *c.t);
            c.p = malloc(c.n * sizeof *c.p);
        } else if (strcmp(tok, "y_true") == 0) {
            PT_CHECK(c.t && read_floats(f, c.t, c.n));
        } else if (strcmp(tok, "y_pred") == 0) {
            PT_CHECK(c.p && read_floats(f, c.p, c.n));
        } else if (strcmp(tok, "raw") == 0) {
            PT_CHECK(read_doubles(f, c.raw, 7));
        } else if (strcmp(tok, "unit") == 0) {
            PT_CHECK(read_doubles(f, c.unit, 7));
        } else if (strcmp(tok, "end") == 0) {
            if (c.t && c.p)
                check_ref_case(&c);
            cases++;
        } else {
            PT_FAIL_AT("metrics_ref.txt: unexpected token \"%s\"", tok);
            break;
        }
    }
    fclose(f);
    free(c.t);
    free(c.p);
    PT_EQ_INT(cases, 11);
}

/* ---- constant input, errors ----------------------------------------------------------- */

static void test_metrics__constant_input_gives_nan_and_flag(void)
{
    const float c[4] = {2.5f, 2.5f, 2.5f, 2.5f}, v[4] = {1, 2, 3, 5};
    prle_metrics m;

    PT_OK(prle_metrics_compute(&m, c, v, 4));
    PT_EQ_INT(m.flags, PRLE_METRICS_CONSTANT_TRUE);
    PT_CHECK(isnan(m.pearson) && isnan(m.spearman) && isnan(m.kendall));
    PT_CHECK(isfinite(m.mse) && isfinite(m.mae));
    PT_NEAR(m.r2, 0.0, 0.0); /* sklearn force_finite: constant y_true, imperfect prediction */
    PT_CHECK(strstr(prle_metrics_flags_message(m.flags), "y_true is constant") != NULL);

    PT_OK(prle_metrics_compute(&m, v, c, 4));
    PT_EQ_INT(m.flags, PRLE_METRICS_CONSTANT_PRED);
    PT_CHECK(isnan(m.pearson) && isnan(m.spearman) && isnan(m.kendall));
    PT_CHECK(m.r2 < 0);
    PT_CHECK(strstr(prle_metrics_flags_message(m.flags), "y_pred is constant") != NULL);

    PT_OK(prle_metrics_compute(&m, c, c, 4));
    PT_EQ_INT(m.flags, PRLE_METRICS_CONSTANT_TRUE | PRLE_METRICS_CONSTANT_PRED);
    PT_NEAR(m.r2, 1.0, 0.0);
    PT_NEAR(m.mse, 0.0, 0.0);
    PT_CHECK(isnan(m.pearson));
    PT_CHECK(strstr(prle_metrics_flags_message(m.flags), "y_true and y_pred") != NULL);

    PT_OK(prle_metrics_compute(&m, v, v, 4));
    PT_EQ_INT(m.flags, 0);
    PT_EQ_STR(prle_metrics_flags_message(m.flags), "");

    /* a mean that is not exact in binary: SS_tot is still 0, not an ulp-sized residue */
    const float tenth[3] = {0.1f, 0.1f, 0.1f}, w[3] = {0.1f, 0.2f, 0.1f};
    PT_OK(prle_metrics_compute(&m, tenth, w, 3));
    PT_NEAR(m.r2, 0.0, 0.0);
}

static void test_metrics__errors(void)
{
    const float a[4] = {1, 2, 3, 4};
    float b[4] = {1, 2, 3, 4};
    prle_metrics m = {.mse = 42.0}, before = m;

    PT_FAILS(prle_metrics_compute(&m, a, b, 0), PRLE_EINVAL, "at least 2");
    PT_FAILS(prle_metrics_compute(&m, a, b, 1), PRLE_EINVAL, "n = 1");
    PT_FAILS(prle_metrics_compute(NULL, a, b, 4), PRLE_EINVAL, "NULL");
    PT_FAILS(prle_metrics_compute(&m, NULL, b, 4), PRLE_EINVAL, "NULL");
    PT_FAILS(prle_metrics_compute(&m, a, NULL, 4), PRLE_EINVAL, "NULL");
    b[3] = NAN;
    PT_FAILS(prle_metrics_compute(&m, a, b, 4), PRLE_EINVAL, "y_pred[3] is nan");
    b[3] = 4;
    b[0] = INFINITY;
    PT_FAILS(prle_metrics_compute(&m, b, a, 4), PRLE_EINVAL, "y_true[0] is infinite");
    PT_CHECK(memcmp(&m, &before, sizeof m) == 0); /* out untouched on failure */

    const double nan64[2] = {0.0, NAN}, ok64[2] = {0.0, 1.0};
    PT_FAILS(prle_metrics_compute_f64(&m, nan64, ok64, 2), PRLE_EINVAL, "y_true[1] is nan");
    PT_FAILS(prle_metrics_compute_f64(&m, ok64, ok64, 1), PRLE_EINVAL, "at least 2");

    prle_metrics raw = {.mse = 1.0, .rmse = 1.0, .mae = 1.0};
    PT_FAILS(prle_metrics_rescale(&m, &raw, 5.0, 5.0), PRLE_EINVAL, "label range");
    PT_FAILS(prle_metrics_rescale(&m, &raw, 5.0, 0.0), PRLE_EINVAL, "label range");
    PT_FAILS(prle_metrics_rescale(&m, &raw, NAN, 1.0), PRLE_EINVAL, "label range");
    PT_FAILS(prle_metrics_rescale(&m, &raw, 0.0, INFINITY), PRLE_EINVAL, "label range");
    PT_FAILS(prle_metrics_rescale(NULL, &raw, 0.0, 1.0), PRLE_EINVAL, NULL);
    PT_CHECK(memcmp(&m, &before, sizeof m) == 0);
}

/* ---- rescaling ------------------------------------------------------------------------- */

static void test_metrics__rescale_equals_metrics_of_scaled_vectors(void)
{
    enum { N = 500 };
    double t[N], p[N], ts[N], ps[N];
    const double lo = -1.0, hi = 4.0;
    prle_rng r;
    prle_rng_init(&r, 11, "test.metrics.rescale", 0);
    for (size_t i = 0; i < N; i++) {
        t[i] = floor(prle_rng_uniform(&r) * 11) / 2 - 1; /* -1 .. 4 in 0.5 steps */
        p[i] = t[i] + 0.7 * prle_rng_normal(&r);
        ts[i] = (t[i] - lo) / (hi - lo);
        ps[i] = (p[i] - lo) / (hi - lo);
    }
    prle_metrics raw, unit, direct;
    PT_OK(prle_metrics_compute_f64(&raw, t, p, N));
    PT_OK(prle_metrics_compute_f64(&direct, ts, ps, N));
    PT_OK(prle_metrics_rescale(&unit, &raw, lo, hi));
    double a[7], b[7];
    metrics_array(a, &unit);
    metrics_array(b, &direct);
    for (int k = 0; k < 7; k++)
        PT_NEAR(a[k], b[k], 1e-12 * fabs(b[k]) + 1e-15);
    PT_NEAR(unit.mse, raw.mse / 25.0, 1e-15);
    PT_NEAR(unit.rmse, raw.rmse / 5.0, 1e-15);
    PT_NEAR(unit.mae, raw.mae / 5.0, 1e-15);
    PT_CHECK(same_double(unit.r2, raw.r2) && same_double(unit.kendall, raw.kendall));

    prle_metrics alias = raw; /* out may equal raw */
    PT_OK(prle_metrics_rescale(&alias, &alias, lo, hi));
    PT_CHECK(memcmp(&alias, &unit, sizeof alias) == 0);
}

/* ---- naive references on random data with ties ---------------------------------------- */

static int sgn(double v)
{
    return (v > 0) - (v < 0);
}

/* τ-b = (C - D) / sqrt((n0 - n1)(n0 - n2)), all pairs visited. */
static double naive_kendall_tau_b(const double *x, const double *y, size_t n)
{
    long long s = 0, n0 = 0, n1 = 0, n2 = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            int dx = sgn(x[i] - x[j]), dy = sgn(y[i] - y[j]);
            s += dx * dy;
            n0++;
            n1 += dx == 0;
            n2 += dy == 0;
        }
    if (n1 == n0 || n2 == n0)
        return NAN;
    return (double)s / sqrt((double)(n0 - n1) * (double)(n0 - n2));
}

/* rank = 1 + #smaller + (#equal - 1) / 2, i.e. rankdata 'average' */
static void naive_ranks(double *rank, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t less = 0, eq = 0;
        for (size_t j = 0; j < n; j++) {
            less += x[j] < x[i];
            eq += x[j] == x[i];
        }
        rank[i] = 1.0 + (double)less + 0.5 * (double)(eq - 1);
    }
}

static double naive_pearson(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++)
        mx += x[i] / (double)n, my += y[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

static void test_metrics__kendall_and_spearman_match_naive(void)
{
    const size_t sizes[] = {2, 3, 5, 17, 100, 1001, 3000};
    const double levels[] = {2, 3, 5, 11, 50, 1e9}; /* few levels = heavy ties */
    size_t maxn = 3000;
    double *x = malloc(maxn * sizeof *x), *y = malloc(maxn * sizeof *y);
    double *rx = malloc(maxn * sizeof *rx), *ry = malloc(maxn * sizeof *ry);
    PT_CHECK(x && y && rx && ry);
    int checked = 0, constant = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (size_t li = 0; li < sizeof levels / sizeof *levels; li++)
            for (uint64_t rep = 0; rep < 3; rep++) {
                size_t n = sizes[si];
                prle_rng r;
                prle_rng_init(&r, 5, "test.metrics.naive", si * 100 + li * 10 + rep);
                for (size_t i = 0; i < n; i++) {
                    x[i] = floor(prle_rng_uniform(&r) * levels[li]);
                    /* correlated with x in rep 0, anti in rep 1, independent in rep 2 */
                    double noise = floor(prle_rng_uniform(&r) * levels[li]);
                    y[i] = rep == 0 ? x[i] + noise : rep == 1 ? noise - x[i] : noise;
                }
                prle_metrics m;
                PT_OK(prle_metrics_compute_f64(&m, x, y, n));
                double want = naive_kendall_tau_b(x, y, n);
                if (isnan(want)) {
                    PT_CHECK(isnan(m.kendall) && m.flags != 0);
                    constant++;
                    continue;
                }
                PT_NEAR(m.kendall, want, 1e-12);
                naive_ranks(rx, x, n);
                naive_ranks(ry, y, n);
                PT_NEAR(m.spearman, naive_pearson(rx, ry, n), 1e-12);
                PT_NEAR(m.pearson, naive_pearson(x, y, n), 1e-12);
                checked++;
            }
    PT_CHECK(checked > 100);
    PT_CHECK(constant > 0); /* n = 2 with 2 levels hits a constant vector */
    free(x), free(y), free(rx), free(ry);
}

/* tens of thousands of rows with heavy ties: exact ±1 for y = ±x, pair counts past 2^31 */
static void test_metrics__large_n_identity(void)
{
    size_t n = 80000;
    float *t = malloc(n * sizeof *t), *neg = malloc(n * sizeof *neg);
    PT_CHECK(t && neg);
    prle_rng r;
    prle_rng_init(&r, 3, "test.metrics.large", 0);
    for (size_t i = 0; i < n; i++) {
        t[i] = (float)(floor(prle_rng_uniform(&r) * 11) / 2);
        neg[i] = -t[i];
    }
    prle_metrics m;
    PT_OK(prle_metrics_compute(&m, t, t, n));
    PT_NEAR(m.kendall, 1.0, 1e-15);
    PT_NEAR(m.spearman, 1.0, 1e-12);
    PT_NEAR(m.pearson, 1.0, 1e-12);
    PT_NEAR(m.r2, 1.0, 0.0);
    PT_OK(prle_metrics_compute(&m, t, neg, n));
    PT_NEAR(m.kendall, -1.0, 1e-15);
    PT_NEAR(m.spearman, -1.0, 1e-12);
    free(t), free(neg);
}

/* same input twice: identical bits; rows permuted: identical Kendall (integer pair counts) */
static void test_metrics__deterministic(void)
{
    enum { N = 2000 };
    static float t[N], p[N], tp[N], pp[N];
    size_t perm[N];
    prle_rng r;
    prle_rng_init(&r, 9, "test.metrics.det", 0);
    for (size_t i = 0; i < N; i++) {
        t[i] = (float)(floor(prle_rng_uniform(&r) * 6));
        p[i] = t[i] + (float)floor(prle_rng_uniform(&r) * 4);
        perm[i] = i;
    }
    prle_rng_shuffle(&r, perm, N);
    for (size_t i = 0; i < N; i++)
        tp[i] = t[perm[i]], pp[i] = p[perm[i]];
    prle_metrics a, b, c;
    PT_OK(prle_metrics_compute(&a, t, p, N));
    PT_OK(prle_metrics_compute(&b, t, p, N));
    PT_OK(prle_metrics_compute(&c, tp, pp, N));
    PT_CHECK(memcmp(&a, &b, sizeof a) == 0);
    PT_CHECK(same_double(a.kendall, c.kendall));
    PT_NEAR(a.spearman, c.spearman, 1e-13);
    PT_NEAR(a.pearson, c.pearson, 1e-13);
}

int main(void)
{
    prle_init(0);
    PT_RUN(test_metrics__match_sklearn_scipy);
    PT_RUN(test_metrics__constant_input_gives_nan_and_flag);
    PT_RUN(test_metrics__errors);
    PT_RUN(test_metrics__rescale_equals_metrics_of_scaled_vectors);
    PT_RUN(test_metrics__kendall_and_spearman_match_naive);
    PT_RUN(test_metrics__large_n_identity);
    PT_RUN(test_metrics__deterministic);
    return pt_report();
}
