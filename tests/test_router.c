/* Routers: rows of W sum to 1, knn/radius selection and ties, tau clipping and annealing,
 * finite-difference gradients of the softmax router (tau and z), threads.
 * LABELS: unit grad */
#include "prle_test.h"

static prle_router *make_router(prle_router_type t, prle_distance dist, size_t np, size_t d,
                                uint64_t seed)
{
    prle_matrix u = {0};
    prle_router *r = NULL;
    if (prle_matrix_alloc(&u, np, d) < 0)
        return NULL;
    pt_fill_normal(u.data, np * d, seed, "test.router.protos");
    prle_router_params p = prle_router_default_params();
    p.type = t;
    p.distance = dist;
    p.tau_init = 3.0;
    p.knn_k = 3;
    p.radius_threshold = dist == PRLE_DIST_COSINE ? 0.9 : 2.5;
    if (prle_router_new(&r, &u, &p) < 0)
        r = NULL;
    prle_matrix_dispose(&u);
    return r;
}

static void test_router__rows_sum_to_one(void)
{
    const size_t n = 50, np = 7, d = 6;
    prle_matrix z = {0};
    PT_OK(prle_matrix_alloc(&z, n, d));
    pt_fill_normal(z.data, n * d, 1, "test.router.z");
    float w[50 * 7], dist[50 * 7];
    for (int t = 0; t < 3; t++)
        for (int m = 0; m < 2; m++) {
            prle_router *r = make_router((prle_router_type)t, (prle_distance)m, np, d, 2);
            PT_CHECK(r != NULL);
            if (!r)
                continue;
            PT_OK(prle_router_forward(w, dist, r, &z));
            for (size_t i = 0; i < n; i++) {
                double s = 0;
                size_t nz = 0, near = 0;
                for (size_t j = 0; j < np; j++) {
                    PT_CHECK(w[i * np + j] >= 0);
                    s += w[i * np + j];
                    nz += w[i * np + j] > 0;
                    if (dist[i * np + j] < dist[i * np + near])
                        near = j;
                }
                PT_NEAR(s, 1.0, 1e-5);
                if (t == PRLE_ROUTER_KNN)
                    PT_EQ_INT(nz, 3);
                if (t == PRLE_ROUTER_RADIUS) {
                    size_t inside = 0;
                    for (size_t j = 0; j < np; j++) {
                        bool in = dist[i * np + j] <= (m == 0 ? 0.9 : 2.5);
                        inside += in;
                        if (!in)
                            PT_CHECK(w[i * np + j] == 0 || j == near);
                    }
                    if (inside == 0)
                        PT_CHECK(w[i * np + near] == 1.0f);
                }
                if (t == PRLE_ROUTER_SOFTMAX) /* nearest prototype gets the largest weight */
                    for (size_t j = 0; j < np; j++)
                        PT_CHECK(w[i * np + j] <= w[i * np + near]);
            }
            prle_router_free(r);
        }
    prle_matrix_dispose(&z);
}

static void test_router__distances(void)
{
    float up[] = {1, 0, 0, 0, 2, 0};
    prle_matrix u = {.data = up, .rows = 2, .cols = 3};
    float zp[] = {3, 4, 0};
    prle_matrix z = {.data = zp, .rows = 1, .cols = 3};
    prle_router_params p = prle_router_default_params();
    p.tau_init = 1;
    prle_router *r = NULL;
    float w[2], dist[2];
    PT_OK(prle_router_new(&r, &u, &p));
    PT_OK(prle_router_forward(w, dist, r, &z));
    PT_NEAR(dist[0], 1 - 0.6, 1e-6);
    PT_NEAR(dist[1], 1 - 0.8, 1e-6);
    prle_router_free(r);
    p.distance = PRLE_DIST_EUCLIDEAN;
    PT_OK(prle_router_new(&r, &u, &p));
    PT_OK(prle_router_forward(w, dist, r, &z));
    PT_NEAR(dist[0], sqrt(4 + 16), 1e-5);
    PT_NEAR(dist[1], sqrt(9 + 4), 1e-5);
    PT_NEAR(w[1] / w[0], exp(-(dist[1] - dist[0])), 1e-5);
    prle_router_free(r);
}

static void test_router__knn_ties(void)
{
    /* prototypes 0..3: 1 and 2 equal; k = 2 keeps the nearest (0) and the lower tie (1) */
    float up[] = {1, 0, 0.6f, 0.8f, 0.6f, 0.8f, -1, 0};
    prle_matrix u = {.data = up, .rows = 4, .cols = 2};
    float zp[] = {1, 0.1f};
    prle_matrix z = {.data = zp, .rows = 1, .cols = 2};
    prle_router_params p = prle_router_default_params();
    p.type = PRLE_ROUTER_KNN;
    p.knn_k = 2;
    prle_router *r = NULL;
    float w[4];
    PT_OK(prle_router_new(&r, &u, &p));
    PT_OK(prle_router_forward(w, NULL, r, &z));
    PT_CHECK(w[0] > 0 && w[1] > 0 && w[2] == 0 && w[3] == 0);
    prle_router_free(r);
    p.knn_k = 10; /* k >= P: every prototype */
    PT_OK(prle_router_new(&r, &u, &p));
    PT_OK(prle_router_forward(w, NULL, r, &z));
    PT_CHECK(w[0] > 0 && w[1] > 0 && w[2] > 0 && w[3] > 0);
    PT_NEAR(w[1], w[2], 1e-7);
    prle_router_free(r);
    p.type = PRLE_ROUTER_RADIUS; /* nothing within 0: the nearest alone */
    p.radius_threshold = 0;
    PT_OK(prle_router_new(&r, &u, &p));
    PT_OK(prle_router_forward(w, NULL, r, &z));
    PT_CHECK(w[0] == 1 && w[1] == 0 && w[2] == 0 && w[3] == 0);
    prle_router_free(r);
}

/* tau from the data: two rows with distance gaps 0.1 and 0.3 to a second prototype; the mean
 * largest weight of softmax(-tau d) is (1/(1+e^{-0.1 tau}) + 1/(1+e^{-0.3 tau})) / 2, solved
 * for 0.7 by scipy.optimize.brentq: tau = 4.4348 (tools/ref/router_tau_ref.py). A third
 * prototype far away changes nothing measurable. */
static void test_router__tau_for_top1(void)
{
    const float d2[4] = {0.2f, 0.3f, 0.5f, 0.8f};
    double tau = prle_router_tau_for_top1(d2, 2, 2, 0.7);
    PT_NEAR(tau, 4.4348, 5e-3);
    double top = (1 / (1 + exp(-0.1 * tau)) + 1 / (1 + exp(-0.3 * tau))) / 2;
    PT_NEAR(top, 0.7, 1e-4);
    const float d3[6] = {0.2f, 0.3f, 40, 0.5f, 0.8f, 40};
    PT_NEAR(prle_router_tau_for_top1(d3, 2, 3, 0.7), tau, 1e-3);
    /* more concentration needs a larger tau */
    PT_CHECK(prle_router_tau_for_top1(d2, 2, 2, 0.9) > tau);
    /* unreachable targets give the ends of the range; ties cannot exceed 1/2 */
    const float tie[2] = {0.4f, 0.4f};
    PT_NEAR(prle_router_tau_for_top1(tie, 1, 2, 0.7), 1e7, 1);
    PT_NEAR(prle_router_tau_for_top1(d2, 2, 2, 0.4), 1e-3, 1e-9);
    PT_NEAR(prle_router_tau_for_top1(d2, 0, 2, 0.7), 1e-3, 1e-9);
    /* rows on a prototype (distance 0, or float rounding's 1e-9) are left out: six of them
     * beside the two rows give the two rows' tau */
    float dup[16] = {0.2f, 0.3f, 0.5f, 0.8f};
    for (int i = 2; i < 8; i++)
        dup[2 * i] = i % 2 ? 1e-9f : 0.0f, dup[2 * i + 1] = 0.6f;
    PT_NEAR(prle_router_tau_for_top1(dup, 8, 2, 0.7), tau, 1e-3);
    /* 0.01 away they count, and their gap of 0.6 lets a lower tau reach 0.7 */
    float near[16];
    memcpy(near, dup, sizeof near);
    for (int i = 2; i < 8; i++)
        near[2 * i] = 0.01f, near[2 * i + 1] = 0.61f;
    PT_CHECK(prle_router_tau_for_top1(near, 8, 2, 0.7) < 0.8 * tau);
    /* every row on a prototype: nothing to aim at, the lower end */
    PT_NEAR(prle_router_tau_for_top1(dup + 4, 6, 2, 0.7), 1e-3, 1e-9);
}

static void test_router__tau(void)
{
    prle_router_params p = prle_router_default_params();
    float up[] = {1, 0};
    prle_matrix u = {.data = up, .rows = 1, .cols = 2};
    prle_router *r = NULL;
    p.tau_init = 100;
    p.tau_max = 50;
    p.tau_anneal = 1.5;
    PT_OK(prle_router_new(&r, &u, &p));
    PT_NEAR(prle_router_tau(r), 50, 0);
    PT_NEAR(prle_router_set_tau(r, 0.1), 0.5, 0);
    PT_NEAR(prle_router_set_tau(r, 2), 2, 0);
    PT_NEAR(prle_router_anneal(r), 3, 1e-12);
    PT_NEAR(prle_router_anneal(r), 4.5, 1e-12);
    for (int e = 0; e < 20; e++)
        prle_router_anneal(r);
    PT_NEAR(prle_router_tau(r), 50, 0); /* sharpening stops at tau_max */
    prle_router_free(r);
    p.tau_init = 1;
    PT_NEAR(prle_router_tau_schedule(&p, 0), 1, 0);
    PT_NEAR(prle_router_tau_schedule(&p, 2), 2.25, 1e-12);
    p.tau_anneal = 0.5; /* < 1 smooths, down to tau_min */
    PT_NEAR(prle_router_tau_schedule(&p, 5), 0.5, 0);

    p = prle_router_default_params();
    p.tau_min = 0;
    PT_FAILS(prle_router_params_check(&p), PRLE_EINVAL, "tau_min");
    p = prle_router_default_params();
    p.tau_max = 0.1;
    PT_FAILS(prle_router_params_check(&p), PRLE_EINVAL, "tau_max");
    p = prle_router_default_params();
    p.type = PRLE_ROUTER_MLP_SPARSE;
    p.gate_hidden = 0;
    PT_FAILS(prle_router_new(&r, &u, &p), PRLE_EINVAL, "gate_hidden");
    p = prle_router_default_params();
    p.gumbel_tau = 0;
    PT_FAILS(prle_router_params_check(&p), PRLE_EINVAL, "gumbel_tau");
    p = prle_router_default_params();
    PT_OK(prle_router_new(&r, &u, &p));
    float zp[3] = {1, 2, 3}, w[1];
    prle_matrix z = {.data = zp, .rows = 1, .cols = 3};
    PT_FAILS(prle_router_forward(w, NULL, r, &z), PRLE_ESHAPE, "width 3");
    prle_router_free(r);

    prle_config cfg;
    PT_OK(prle_config_default(&cfg));
    PT_OK(prle_router_params_from_config(&p, &cfg));
    PT_EQ_INT(p.type, PRLE_ROUTER_SOFTMAX);
    PT_NEAR(p.tau_min, cfg.model.tau_min, 0);
    PT_NEAR(p.tau_max, cfg.model.tau_max, 0);
    PT_EQ_INT(p.gate_hidden, 64);
    PT_EQ_INT(p.seed, cfg.train.seed);
    PT_OK(prle_router_params_check(&p));
    cfg.model.activation_mlp_hidden_dim = 0;
    PT_FAILS(prle_router_params_from_config(&p, &cfg), PRLE_EINVAL,
             "model.activation_mlp_hidden_dim");
    prle_config_dispose(&cfg);
}

/* L = sum_ij c_ij W_ij + 0.5 sum_ij W_ij^2, in double; dL/dW into dw when non-NULL. */
static double loss_w(float *dw, const float *w, const float *c, size_t m)
{
    double l = 0;
    for (size_t i = 0; i < m; i++) {
        l += (double)c[i] * w[i] + 0.5 * (double)w[i] * w[i];
        if (dw)
            dw[i] = (float)(c[i] + w[i]);
    }
    return l;
}

static double loss_at(prle_router *r, const prle_matrix *z, const float *c)
{
    float w[3 * 4];
    if (prle_router_forward(w, NULL, r, z) < 0)
        return NAN;
    return loss_w(NULL, w, c, 3 * 4);
}

static bool rel_ok(double a, double b)
{
    double rel = fabs(a - b) / fmax(fabs(a) + fabs(b), 1e-6);
    if (getenv("PRLE_TEST_VERBOSE") || !(rel < 1e-2))
        fprintf(stderr, "  analytic %.8g numeric %.8g rel %.3g\n", a, b, rel);
    return rel < 1e-2;
}

static void gradcheck(prle_router_type t, prle_distance dist)
{
    const size_t n = 3, np = 4, d = 5;
    prle_router *r = make_router(t, dist, np, d, 7);
    PT_CHECK(r != NULL);
    if (!r)
        return;
    prle_matrix z = {0};
    PT_OK(prle_matrix_alloc(&z, n, d));
    pt_fill_normal(z.data, n * d, 8, "test.router.gz");
    float c[3 * 4], w[3 * 4], di[3 * 4], dw[3 * 4], dz[3 * 5] = {0};
    pt_fill_normal(c, n * np, 9, "test.router.c");
    PT_OK(prle_router_forward(w, di, r, &z));
    loss_w(dw, w, c, n * np);
    double dtau = 0;
    PT_OK(prle_router_backward(dz, &dtau, r, &z, dw, w, di));
    const double eps = 3e-3; /* float forward: rounding of W ~1e-7 limits smaller steps */
    for (size_t i = 0; i < n * d; i++) {
        float keep = z.data[i];
        z.data[i] = (float)(keep + eps);
        double lp = loss_at(r, &z, c);
        z.data[i] = (float)(keep - eps);
        double lm = loss_at(r, &z, c);
        z.data[i] = keep;
        PT_CHECK(rel_ok(dz[i], (lp - lm) / (2 * eps)));
    }
    if (t == PRLE_ROUTER_SOFTMAX) {
        double tau = prle_router_tau(r);
        prle_router_set_tau(r, tau + eps);
        double lp = loss_at(r, &z, c);
        prle_router_set_tau(r, tau - eps);
        double lm = loss_at(r, &z, c);
        prle_router_set_tau(r, tau);
        PT_CHECK(rel_ok(dtau, (lp - lm) / (2 * eps)));
    } else {
        PT_NEAR(dtau, 0, 0);
    }
    prle_matrix_dispose(&z);
    prle_router_free(r);
}

static void test_router__grad_softmax_cosine(void)
{
    gradcheck(PRLE_ROUTER_SOFTMAX, PRLE_DIST_COSINE);
}

static void test_router__grad_softmax_euclidean(void)
{
    gradcheck(PRLE_ROUTER_SOFTMAX, PRLE_DIST_EUCLIDEAN);
}

static void test_router__grad_knn(void)
{
    gradcheck(PRLE_ROUTER_KNN, PRLE_DIST_COSINE);
    gradcheck(PRLE_ROUTER_KNN, PRLE_DIST_EUCLIDEAN);
}

static void test_router__threads(void)
{
    const size_t n = 600, np = 25, d = 16;
    prle_matrix u = {0}, z = {0};
    PT_OK(prle_matrix_alloc(&u, np, d));
    PT_OK(prle_matrix_alloc(&z, n, d));
    pt_fill_normal(u.data, np * d, 1, "u");
    pt_fill_normal(z.data, n * d, 2, "z");
    float *w1 = malloc(n * np * sizeof(float)), *w2 = malloc(n * np * sizeof(float));
    float *di = malloc(n * np * sizeof(float)), *dw = malloc(n * np * sizeof(float));
    float *z1 = calloc(n * d, sizeof(float)), *z2 = calloc(n * d, sizeof(float));
    pt_fill_normal(dw, n * np, 3, "dw");
    double t1 = 0, t2 = 0;
    for (int nt = 1; nt <= 2; nt++) {
        prle_router_params p = prle_router_default_params();
        p.n_threads = nt;
        prle_router *r = NULL;
        PT_OK(prle_router_new(&r, &u, &p));
        PT_OK(prle_router_forward(nt == 1 ? w1 : w2, di, r, &z));
        PT_OK(prle_router_backward(nt == 1 ? z1 : z2, nt == 1 ? &t1 : &t2, r, &z, dw,
                                   nt == 1 ? w1 : w2, di));
        prle_router_free(r);
    }
    PT_CHECK(memcmp(w1, w2, n * np * sizeof(float)) == 0);
    PT_CHECK(memcmp(z1, z2, n * d * sizeof(float)) == 0);
    PT_CHECK(t1 == t2);
    free(w1), free(w2), free(di), free(dw), free(z1), free(z2);
    prle_matrix_dispose(&u);
    prle_matrix_dispose(&z);
}

int main(void)
{
    PT_RUN(test_router__rows_sum_to_one);
    PT_RUN(test_router__distances);
    PT_RUN(test_router__tau_for_top1);
    PT_RUN(test_router__knn_ties);
    PT_RUN(test_router__tau);
    PT_RUN(test_router__grad_softmax_cosine);
    PT_RUN(test_router__grad_softmax_euclidean);
    PT_RUN(test_router__grad_knn);
    PT_RUN(test_router__threads);
    return pt_report();
}
