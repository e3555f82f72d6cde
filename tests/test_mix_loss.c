/* LABELS: unit grad */
/* The stage-2 loss (src/prle/mix_loss.c): every term against a direct re-computation, and its
 * gradient w.r.t. W, E and (through the softmax router) tau against central differences, one
 * term at a time. The end-to-end values are checked against PyTorch in test_model.c. */
#include "prle_test.h"

#include "prle/mix_loss.h"

enum { N = 4, P = 3, D = 5 };

static const ptrdiff_t anchor[N] = {-1, 2, -1, 0};

static void fill(float *v, size_t n, uint64_t seed, double lo, double hi)
{
    prle_rng r;
    prle_rng_init(&r, seed, "test.mix", 0);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(lo + (hi - lo) * prle_rng_uniform(&r));
}

/* Rows of w positive and summing to 1. */
static void make_w(float *w, uint64_t seed)
{
    fill(w, N * P, seed, 0.05, 1.0);
    for (size_t b = 0; b < N; b++) {
        double s = 0;
        for (size_t p = 0; p < P; p++)
            s += w[b * P + p];
        for (size_t p = 0; p < P; p++)
            w[b * P + p] = (float)(w[b * P + p] / s);
    }
}

static double total(const float *w, const float *e, const float *y, const float *sq,
                    const prle__mix_coef *c)
{
    prle__mix_terms t = prle__mix_terms_nan();
    double work[P];
    prle__mix_loss_rows(&t, NULL, NULL, w, e, y, anchor, sq, work, N, P, c);
    return t.total;
}

static bool close_rel(double a, double b)
{
    return fabs(a - b) <= 1e-2 * fmax(fabs(a) + fabs(b), 1e-4);
}

/* dL/dW and dL/dE of the one term `c` weights, against central differences. */
static void check_term(const char *name, const prle__mix_coef *c, const float *sq)
{
    float w[N * P], e[N * P], y[N], dw[N * P], de[N * P];
    double work[P];
    make_w(w, 1);
    fill(e, N * P, 2, -1.5, 1.5);
    fill(y, N, 3, -1.0, 1.0);
    prle__mix_terms t = prle__mix_terms_nan();
    prle__mix_loss_rows(&t, dw, de, w, e, y, anchor, sq, work, N, P, c);
    for (int which = 0; which < 2; which++) {
        float *x = which ? e : w, *g = which ? de : dw;
        for (size_t i = 0; i < N * P; i++) {
            float keep = x[i];
            const float eps = 1e-3f;
            x[i] = keep + eps;
            double lp = total(w, e, y, sq, c);
            x[i] = keep - eps;
            double lm = total(w, e, y, sq, c);
            x[i] = keep;
            double num = (lp - lm) / ((double)(keep + eps) - (double)(keep - eps));
            if (!close_rel(num, g[i]))
                PT_FAIL_AT("%s: d/d%s[%zu] analytic %.8g numeric %.8g", name, which ? "E" : "W", i,
                           (double)g[i], num);
        }
    }
}

static void test_mix_loss__term_gradients(void)
{
    float sq[N * P];
    fill(sq, N * P, 9, 0.0, 4.0);
    struct {
        const char *name;
        prle__mix_coef c;
    } cases[] = {
        {"v2 task", {.v2 = true, .task = 1}},
        {"v2 fit", {.v2 = true, .fit = 1}},
        {"v2 anchor", {.v2 = true, .anchor = 1}},
        {"v2 balance", {.v2 = true, .balance = 1}},
        {"v2 entropy", {.v2 = true, .entropy = 1}},
        {"v2 all",
         {.v2 = true, .task = 1, .fit = 0.5, .anchor = 0.5, .balance = 0.1, .entropy = -0.3}},
        {"v1 task", {.v2 = false, .task = 1}},
        {"v1 local", {.v2 = false, .local = 1}},
        {"v1 consistency", {.v2 = false, .consistency = 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_term(cases[i].name, &cases[i].c, sq);
}

/* The values of every term against direct loops written from SPEC.md §5. */
static void test_mix_loss__values(void)
{
    float w[N * P], e[N * P], y[N], sq[N * P];
    double work[P];
    make_w(w, 4);
    fill(e, N * P, 5, -2, 2);
    fill(y, N, 6, -1, 1);
    fill(sq, N * P, 7, 0, 4);
    double task = 0, fit = 0, anc = 0, ent = 0, bal = 0, cons = 0, u[P] = {0};
    for (size_t b = 0; b < N; b++) {
        double yh = 0;
        for (size_t p = 0; p < P; p++) {
            double wv = w[b * P + p], r = e[b * P + p] - (double)y[b];
            yh += wv * e[b * P + p];
            fit += wv * r * r / (N * P);
            ent -= wv * log(wv) / N;
            cons += wv * sq[b * P + p] / (N * P);
            u[p] += wv / N;
        }
        task += (yh - y[b]) * (yh - y[b]) / N;
        if (anchor[b] >= 0)
            anc -= log(w[b * P + anchor[b]] + 1e-8) / 2; /* two anchor rows */
    }
    for (size_t p = 0; p < P; p++)
        bal += P * u[p] * u[p];
    prle_loss_weights lw = prle_model_default_params().loss;
    prle__mix_coef c2 = prle__mix_coef_of(&lw, PRLE__PHASE_BOTH);
    PT_NEAR(c2.fit, 0.5, 0);
    PT_NEAR(c2.balance, 0.1, 0);
    prle__mix_terms t = prle__mix_terms_nan();
    prle__mix_loss_rows(&t, NULL, NULL, w, e, y, anchor, NULL, work, N, P, &c2);
    PT_NEAR(t.task, task, 1e-12);
    PT_NEAR(t.fit, fit, 1e-12);
    PT_NEAR(t.anchor, anc, 1e-12);
    PT_NEAR(t.balance, bal, 1e-12);
    PT_NEAR(t.entropy, ent, 1e-12);
    PT_NEAR(t.total, task + 0.5 * fit + 0.5 * anc + 0.1 * bal, 1e-12);
    PT_CHECK(isnan(t.local) && isnan(t.consistency) && isnan(t.metric));

    lw.use_v2 = false;
    prle__mix_coef c1 = prle__mix_coef_of(&lw, PRLE__PHASE_BOTH);
    PT_NEAR(c1.metric, 0.5, 0); /* (geom 1 + expert 0) / 2 */
    PT_NEAR(c1.consistency, 1.0, 0);
    prle__mix_coef ce = prle__mix_coef_of(&lw, PRLE__PHASE_EXPERTS);
    PT_NEAR(ce.proto_self, 1.0, 0);
    PT_NEAR(ce.metric, 0.0, 0);
    prle__mix_coef cg = prle__mix_coef_of(&lw, PRLE__PHASE_GEOMETRY);
    PT_NEAR(cg.local, 0.0, 0);
    t = prle__mix_terms_nan();
    prle__mix_loss_rows(&t, NULL, NULL, w, e, y, anchor, sq, work, N, P, &c1);
    PT_NEAR(t.task, task, 1e-12);
    PT_NEAR(t.local, fit, 1e-12);
    PT_NEAR(t.consistency, cons, 1e-12);
    PT_NEAR(t.total, task + 0.5 * fit + cons, 1e-12);
    PT_CHECK(isnan(t.fit) && isnan(t.anchor));

    /* a row without anchors: the anchor term is 0 and has no gradient */
    static const ptrdiff_t none[N] = {-1, -1, -1, -1};
    float dw[N * P], de[N * P];
    prle__mix_coef ca = {.v2 = true, .anchor = 1};
    t = prle__mix_terms_nan();
    prle__mix_loss_rows(&t, dw, de, w, e, y, none, NULL, work, N, P, &ca);
    PT_NEAR(t.anchor, 0, 0);
    for (size_t i = 0; i < N * P; i++)
        PT_CHECK(dw[i] == 0 && de[i] == 0);
}

static void test_mix_loss__proto_self_and_metric(void)
{
    float epp[P * P], a[P], de[P * P];
    fill(epp, P * P, 11, -1, 1);
    fill(a, P, 12, -1, 1);
    prle__mix_terms t = prle__mix_terms_nan();
    prle__mix_proto_self(&t, de, epp, a, P, 0.5);
    double ref = 0;
    for (size_t p = 0; p < P; p++)
        ref += (epp[p * P + p] - (double)a[p]) * (epp[p * P + p] - (double)a[p]) / P;
    PT_NEAR(t.proto_self, ref, 1e-12);
    PT_NEAR(t.total, 0.5 * ref, 1e-12);
    for (size_t i = 0; i < P * P; i++) {
        float keep = epp[i];
        prle__mix_terms tp = prle__mix_terms_nan(), tm = prle__mix_terms_nan();
        epp[i] = keep + 1e-3f;
        prle__mix_proto_self(&tp, NULL, epp, a, P, 0.5);
        epp[i] = keep - 1e-3f;
        prle__mix_proto_self(&tm, NULL, epp, a, P, 0.5);
        epp[i] = keep;
        double num = (tp.total - tm.total) / ((double)(keep + 1e-3f) - (double)(keep - 1e-3f));
        PT_CHECK(close_rel(num, de[i]));
    }
    /* metric: two rows at distance |z1 - z2| with |dy| = 0.05 (pair), two at dy = 0.5 */
    float z[4 * 2] = {1, 0, 0, 1, 0.6f, 0.8f, -1, 0};
    float yr[4] = {1.0f, 1.05f, 3.0f, 3.5f};
    t = prle__mix_terms_nan();
    prle__mix_metric(&t, z, yr, 4, 2, 2.0);
    /* positives: (0,1), (1,0): d^2 = 2; (2,3),(3,2) dy 0.5: negatives; rows 0,1 vs 2,3 too */
    double pos = 2.0, neg = 0;
    int nn = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            if (i == j || fabs((double)yr[i] - yr[j]) < 0.3)
                continue;
            double dx = z[2 * i] - z[2 * j], dy = z[2 * i + 1] - z[2 * j + 1];
            double m = 1 - sqrt(dx * dx + dy * dy);
            neg += m > 0 ? m * m : 0;
            nn++;
        }
    PT_EQ_INT(nn, 10);
    PT_NEAR(t.metric, pos + neg / nn, 1e-6);
    PT_NEAR(t.total, 2.0 * t.metric, 1e-12);
}

/* dL/dtau through prle_router_backward, for each v2 and v1 term, against central differences
 * of L(W(tau)). */
static void test_mix_loss__tau_gradients(void)
{
    float z[N * D], u[P * D], e[N * P], y[N], sq[N * P], w[N * P], dist[N * P], dw[N * P];
    double work[P];
    fill(z, N * D, 21, -1, 1);
    fill(u, P * D, 22, -1, 1);
    fill(e, N * P, 23, -2, 2);
    fill(y, N, 24, -1, 1);
    fill(sq, N * P, 25, 0, 4);
    prle_matrix um = {.data = u, .rows = P, .cols = D}, zm = {.data = z, .rows = N, .cols = D};
    prle__mix_coef cases[] = {{.v2 = true, .task = 1},    {.v2 = true, .fit = 1},
                              {.v2 = true, .anchor = 1},  {.v2 = true, .balance = 1},
                              {.v2 = true, .entropy = 1}, {.v2 = false, .task = 1},
                              {.v2 = false, .local = 1},  {.v2 = false, .consistency = 1}};
    for (int dk = 0; dk < 2; dk++) {
        prle_router_params rp = prle_router_default_params();
        rp.tau_init = 2.0;
        rp.distance = dk ? PRLE_DIST_EUCLIDEAN : PRLE_DIST_COSINE;
        prle_router *r = NULL;
        PT_OK(prle_router_new(&r, &um, &rp));
        for (size_t k = 0; r && k < sizeof cases / sizeof *cases; k++) {
            prle__mix_terms t = prle__mix_terms_nan();
            PT_OK(prle_router_forward(w, dist, r, &zm));
            prle__mix_loss_rows(&t, dw, NULL, w, e, y, anchor, sq, work, N, P, &cases[k]);
            double dtau = 0, lp, lm;
            PT_OK(prle_router_backward(NULL, &dtau, r, &zm, dw, w, dist));
            const double eps = 1e-3;
            prle_router_set_tau(r, 2.0 + eps);
            PT_OK(prle_router_forward(w, NULL, r, &zm));
            lp = total(w, e, y, sq, &cases[k]);
            prle_router_set_tau(r, 2.0 - eps);
            PT_OK(prle_router_forward(w, NULL, r, &zm));
            lm = total(w, e, y, sq, &cases[k]);
            prle_router_set_tau(r, 2.0);
            double num = (lp - lm) / (2 * eps);
            if (!close_rel(num, dtau))
                PT_FAIL_AT("case %zu (%s): dtau analytic %.8g numeric %.8g", k,
                           dk ? "euclidean" : "cosine", dtau, num);
        }
        prle_router_free(r);
    }
}

int main(void)
{
    prle_init(1);
    PT_RUN(test_mix_loss__term_gradients);
    PT_RUN(test_mix_loss__values);
    PT_RUN(test_mix_loss__proto_self_and_metric);
    PT_RUN(test_mix_loss__tau_gradients);
    return pt_report();
}
