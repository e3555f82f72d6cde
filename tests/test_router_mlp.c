/* The mlp_sparse router: PyTorch reference of the evaluation forward, rows sum to 1, Gumbel
 * training noise (deterministic per seed, argmax frequencies = evaluation weights), nn.Linear
 * init, finite-difference gradients of the gate parameters and of z, threads, a row alone
 * against its batch, and the parameter API of the other routers.
 * LABELS: unit grad */
#include "prle_test.h"

/* tools/ref/router_mlp_ref.py (torch 1.13.0a0): z (3, 3), u (4, 3), gate h = 5 */
static const float ref_z[9] = {1.54025257f,  -0.161428332f, -0.0807098299f,
                               -1.38851106f, -0.723462164f, 0.518119395f,
                               0.919073701f, -2.35624647f,  0.428624868f};
static const float ref_u[12] = {-1.01241767f, -0.426156819f, 0.47784853f,  -0.444523782f,
                                0.370792061f, 0.175067261f,  0.698577344f, 2.09010172f,
                                0.967787743f, -0.308688879f, 0.696227908f, 0.989362299f};
static const float ref_gate[61] = {
    0.71330744f,   0.296223402f,    0.376026273f,   0.0816110224f,   0.655835271f,  0.515911937f,
    -0.567603886f, 0.693513751f,    -0.618102133f,  -0.662505627f,   -0.708831787f, 0.302364141f,
    0.355147541f,  -0.00551012345f, -0.0877125263f, -0.249117985f,   0.649730802f,  -0.302628905f,
    0.654131889f,  -0.576736152f,   0.642476499f,   -0.320543528f,   -0.789829552f, -0.620733023f,
    -0.777443051f, 0.402757883f,    -0.784034252f,  -0.00732096611f, -0.646280706f, 0.576574683f,
    0.440521747f,  -0.657660782f,   0.231732741f,   0.352889538f,    0.704828739f,  0.0545482598f,
    -0.494774669f, -0.311601967f,   0.442317069f,   -0.345538169f,   0.0542365313f, 0.230202749f,
    -0.188505992f, -0.100443788f,   -0.250840068f,  0.459219575f,    -0.112443209f, -0.101954207f,
    -0.375787199f, -0.562503159f,   0.0262860153f,  0.0996237844f,   0.196170419f,  -0.0827320293f,
    0.227923974f,  -1.08718479f,    1.28670478f,    -0.58859396f,    -1.23736131f,  -0.600451231f,
    0.176753178f};
static const double ref_w_cosine[12] = {0.233462541, 0.306647355, 0.0031052562,  0.456784848,
                                        0.304205065, 0.352583138, 0.100504994,   0.242706802,
                                        0.487483115, 0.420231592, 0.00191199132, 0.0903733019};
static const double ref_w_euclidean[12] = {0.217510061, 0.343325471, 0.0299730192, 0.409191449,
                                           0.367526087, 0.305286092, 0.136536321,  0.190651499,
                                           0.258199588, 0.366974277, 0.0198706201, 0.354955515};

static prle_router *make_mlp(prle_distance dist, size_t np, size_t d, size_t h, double gtau,
                             uint64_t seed)
{
    prle_matrix u = {0};
    prle_router *r = NULL;
    if (prle_matrix_alloc(&u, np, d) < 0)
        return NULL;
    pt_fill_normal(u.data, np * d, seed, "test.mlp.protos");
    prle_router_params p = prle_router_default_params();
    p.type = PRLE_ROUTER_MLP_SPARSE;
    p.distance = dist;
    p.gate_hidden = h;
    p.gumbel_tau = gtau;
    p.seed = seed;
    if (prle_router_new(&r, &u, &p) < 0)
        r = NULL;
    prle_matrix_dispose(&u);
    return r;
}

static void test_router_mlp__torch_reference(void)
{
    prle_matrix u = {.data = (float *)ref_u, .rows = 4, .cols = 3};
    prle_matrix z = {.data = (float *)ref_z, .rows = 3, .cols = 3};
    for (int m = 0; m < 2; m++) {
        prle_router_params p = prle_router_default_params();
        p.type = PRLE_ROUTER_MLP_SPARSE;
        p.distance = (prle_distance)m;
        p.gate_hidden = 5;
        prle_router *r = NULL;
        PT_OK(prle_router_new(&r, &u, &p));
        if (!r)
            continue;
        PT_EQ_INT(prle_router_n_params(r), 61);
        memcpy(prle_router_param_data(r), ref_gate, sizeof ref_gate);
        float w[12], dist[12];
        PT_OK(prle_router_forward(w, dist, r, &z));
        const double *ref = m == 0 ? ref_w_cosine : ref_w_euclidean;
        for (size_t k = 0; k < 12; k++)
            PT_NEAR(w[k], ref[k], 1e-5);
        prle_router_free(r);
    }
}

static void test_router_mlp__rows_sum_to_one(void)
{
    const size_t n = 50, np = 7, d = 6;
    prle_matrix z = {0};
    PT_OK(prle_matrix_alloc(&z, n, d));
    pt_fill_normal(z.data, n * d, 1, "test.mlp.z");
    float w[50 * 7], dist[50 * 7];
    for (int m = 0; m < 2; m++)
        for (int train = 0; train < 2; train++) {
            prle_router *r = make_mlp((prle_distance)m, np, d, 16, 1.0, 3);
            PT_CHECK(r != NULL);
            if (!r)
                continue;
            if (train)
                PT_OK(prle_router_forward_train(w, dist, r, &z, 11));
            else
                PT_OK(prle_router_forward(w, dist, r, &z));
            for (size_t i = 0; i < n; i++) {
                double s = 0;
                for (size_t j = 0; j < np; j++) {
                    PT_CHECK(w[i * np + j] >= 0 && w[i * np + j] <= 1);
                    s += w[i * np + j];
                }
                PT_NEAR(s, 1.0, 1e-5);
            }
            prle_router_free(r);
        }
    prle_matrix_dispose(&z);
}

static void test_router_mlp__gumbel_noise(void)
{
    const size_t np = 5, d = 4, n = 4000;
    prle_router *r = make_mlp(PRLE_DIST_COSINE, np, d, 8, 1.0, 21);
    PT_CHECK(r != NULL);
    if (!r)
        return;
    prle_matrix z = {0};
    PT_OK(prle_matrix_alloc(&z, n, d));
    float z0[4];
    pt_fill_normal(z0, d, 22, "test.mlp.z0");
    for (size_t i = 0; i < n; i++) /* one row, repeated: each copy draws its own noise */
        memcpy(z.data + i * d, z0, sizeof z0);
    float *we = malloc(n * np * sizeof(float)), *w1 = malloc(n * np * sizeof(float));
    float *w2 = malloc(n * np * sizeof(float)), *w3 = malloc(n * np * sizeof(float));
    PT_OK(prle_router_forward(we, NULL, r, &z));
    PT_OK(prle_router_forward_train(w1, NULL, r, &z, 7));
    PT_OK(prle_router_forward_train(w2, NULL, r, &z, 7));
    PT_OK(prle_router_forward_train(w3, NULL, r, &z, 8));
    PT_CHECK(memcmp(w1, w2, n * np * sizeof(float)) == 0); /* same noise seed: same bits */
    PT_CHECK(memcmp(w1, w3, n * np * sizeof(float)) != 0);
    PT_CHECK(memcmp(we, we + np, np * sizeof(float)) == 0); /* evaluation: no noise */
    double diff = 0;
    for (size_t k = 0; k < np; k++)
        diff += fabs((double)w1[k] - we[k]);
    PT_CHECK(diff > 1e-3);
    /* Gumbel-max: argmax_p (logit_p + g_p) falls on p with probability softmax(logit)_p, the
     * evaluation weight; 4000 draws give a standard error below 0.008 */
    size_t count[5] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t b = 0;
        for (size_t k = 1; k < np; k++)
            if (w1[i * np + k] > w1[i * np + b])
                b = k;
        count[b]++;
    }
    double spread = 0;
    for (size_t k = 0; k < np; k++) {
        double f = (double)count[k] / n, pk = we[k];
        PT_NEAR(f, pk, 4 * sqrt(pk * (1 - pk) / n) + 1e-3);
        spread += pk * pk;
    }
    PT_CHECK(spread < 0.9); /* not a one-hot router: the check above has power */
    free(we), free(w1), free(w2), free(w3);
    prle_matrix_dispose(&z);
    prle_router_free(r);
}

static void test_router_mlp__init(void)
{
    const size_t np = 6, d = 10, h = 64, in = 3 * d + 1;
    prle_router *a = make_mlp(PRLE_DIST_COSINE, np, d, h, 1.0, 42);
    prle_router *b = make_mlp(PRLE_DIST_COSINE, np, d, h, 1.0, 42);
    prle_router *c = make_mlp(PRLE_DIST_COSINE, np, d, h, 1.0, 43);
    PT_CHECK(a && b && c);
    if (a && b && c) {
        size_t n = prle_router_n_params(a);
        PT_EQ_INT(n, h * in + h + h + 1);
        const float *pa = prle_router_param_data(a);
        PT_CHECK(memcmp(pa, prle_router_param_data(b), n * sizeof(float)) == 0);
        PT_CHECK(memcmp(pa, prle_router_param_data(c), n * sizeof(float)) != 0);
        /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)): layer 0 fan_in 3D+1, layer 2 fan_in h */
        double b0 = 1 / sqrt((double)in), b2 = 1 / sqrt((double)h), m0 = 0, m2 = 0, s0 = 0;
        for (size_t k = 0; k < n; k++) {
            bool first = k < h * in + h;
            double v = fabs(pa[k]);
            PT_CHECK(v <= (first ? b0 : b2));
            if (first) {
                m0 = fmax(m0, v);
                s0 += v * v;
            } else {
                m2 = fmax(m2, v);
            }
        }
        PT_CHECK(m0 > 0.95 * b0 && m2 > 0.8 * b2);
        /* uniform variance bound^2 / 3 */
        PT_NEAR(s0 / (h * in + h), b0 * b0 / 3, 0.1 * b0 * b0 / 3);
    }
    prle_router_free(a), prle_router_free(b), prle_router_free(c);
}

/* L = sum c W + 0.5 sum W^2 (double); dL/dW into dw when non-NULL. */
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

static double loss_at(const prle_router *r, const prle_matrix *z, const float *c)
{
    float w[3 * 4];
    if (prle_router_forward_train(w, NULL, r, z, 99) < 0)
        return NAN;
    return loss_w(NULL, w, c, 3 * 4);
}

/* The forward runs in float32: a central difference of a loss near 1 carries rounding noise of
 * a few 2^-24 / eps, measured here up to 1.5e-6. Elements whose gradients are that small pass
 * within ABS_FLOOR; gradcheck still demands that most elements meet the relative test and that
 * a random-direction derivative, dominated by the large gradients, does too. */
#define ABS_FLOOR 1e-5

static bool rel_ok(double a, double b)
{
    double rel = fabs(a - b) / fmax(fabs(a) + fabs(b), 1e-6);
    if (getenv("PRLE_TEST_VERBOSE") || !(rel < 1e-2 || fabs(a - b) < ABS_FLOOR))
        fprintf(stderr, "  analytic %.8g numeric %.8g rel %.3g\n", a, b, rel);
    return rel < 1e-2;
}

static bool grad_ok(double a, double b, size_t *strict)
{
    bool ok = rel_ok(a, b);
    *strict += ok;
    return ok || fabs(a - b) < ABS_FLOOR;
}

/* Central differences of the training forward (fixed noise, gumbel_tau 0.7) on a tiny gate. */
static void gradcheck(prle_distance dist)
{
    const size_t n = 3, np = 4, d = 3, h = 4;
    prle_router *r = make_mlp(dist, np, d, h, 0.7, 7);
    PT_CHECK(r != NULL);
    if (!r)
        return;
    prle_matrix z = {0};
    PT_OK(prle_matrix_alloc(&z, n, d));
    pt_fill_normal(z.data, n * d, 8, "test.mlp.gz");
    size_t npar = prle_router_n_params(r);
    float *par = prle_router_param_data(r);
    for (size_t k = 0; k < npar; k++) /* larger weights than the init: a sharper router */
        par[k] *= 3.0f;
    float c[3 * 4], w[3 * 4], di[3 * 4], dw[3 * 4], dz[3 * 3] = {0};
    float *dpar = calloc(npar, sizeof(float));
    pt_fill_normal(c, n * np, 9, "test.mlp.c");
    PT_OK(prle_router_forward_train(w, di, r, &z, 99));
    loss_w(dw, w, c, n * np);
    double dtau = 0;
    PT_OK(prle_router_backward(dz, &dtau, r, &z, dw, w, di));
    PT_OK(prle_router_backward_params(dpar, r, &z, dw, w, di));
    PT_NEAR(dtau, 0, 0);
    const double eps = 3e-3;
    size_t strict = 0, total = 0;
    for (size_t i = 0; i < n * d; i++) {
        float keep = z.data[i];
        z.data[i] = (float)(keep + eps);
        double lp = loss_at(r, &z, c);
        z.data[i] = (float)(keep - eps);
        double lm = loss_at(r, &z, c);
        z.data[i] = keep;
        PT_CHECK(grad_ok(dz[i], (lp - lm) / (2 * eps), &strict));
        total++;
    }
    for (size_t k = 0; k < npar; k++) {
        float keep = par[k];
        par[k] = (float)(keep + eps);
        double lp = loss_at(r, &z, c);
        par[k] = (float)(keep - eps);
        double lm = loss_at(r, &z, c);
        par[k] = keep;
        double num = (lp - lm) / (2 * eps);
        if (k == npar - 1) { /* b2 shifts every logit alike: softmax ignores it */
            PT_NEAR(dpar[k], 0, 1e-6);
            PT_NEAR(num, 0, ABS_FLOOR);
        } else {
            PT_CHECK(grad_ok(dpar[k], num, &strict));
            total++;
        }
    }
    PT_CHECK(strict >= total * 3 / 4);
    /* one random direction v over all parameters and z together */
    float *v = malloc((npar + n * d) * sizeof(float));
    float *p0 = malloc(npar * sizeof(float)), z0[3 * 3];
    pt_fill_normal(v, npar + n * d, 10, "test.mlp.dir");
    memcpy(p0, par, npar * sizeof(float));
    memcpy(z0, z.data, sizeof z0);
    double analytic = 0, l[2];
    for (size_t k = 0; k < npar; k++)
        analytic += (double)dpar[k] * v[k];
    for (size_t i = 0; i < n * d; i++)
        analytic += (double)dz[i] * v[npar + i];
    for (int sgn = 0; sgn < 2; sgn++) {
        double e = sgn ? -eps : eps;
        for (size_t k = 0; k < npar; k++)
            par[k] = (float)(p0[k] + e * v[k]);
        for (size_t i = 0; i < n * d; i++)
            z.data[i] = (float)(z0[i] + e * v[npar + i]);
        l[sgn] = loss_at(r, &z, c);
    }
    PT_CHECK(rel_ok(analytic, (l[0] - l[1]) / (2 * eps)));
    PT_CHECK(fabs(analytic) > 1e-3);
    free(v), free(p0);
    free(dpar);
    prle_matrix_dispose(&z);
    prle_router_free(r);
}

static void test_router_mlp__grad_cosine(void)
{
    gradcheck(PRLE_DIST_COSINE);
}

static void test_router_mlp__grad_euclidean(void)
{
    gradcheck(PRLE_DIST_EUCLIDEAN);
}

static void test_router_mlp__threads(void)
{
    const size_t n = 300, np = 25, d = 40, h = 64; /* 7500 pairs: several blocks */
    prle_matrix u = {0}, z = {0};
    PT_OK(prle_matrix_alloc(&u, np, d));
    PT_OK(prle_matrix_alloc(&z, n, d));
    pt_fill_normal(u.data, np * d, 1, "u");
    pt_fill_normal(z.data, n * d, 2, "z");
    size_t nw = n * np, npar = h * (3 * d + 1) + 2 * h + 1;
    float *w[2], *dz[2], *dp[2];
    float *di = malloc(nw * sizeof(float)), *dw = malloc(nw * sizeof(float));
    pt_fill_normal(dw, nw, 3, "dw");
    for (int t = 0; t < 2; t++) {
        w[t] = malloc(nw * sizeof(float));
        dz[t] = calloc(n * d, sizeof(float));
        dp[t] = calloc(npar, sizeof(float));
        prle_router_params p = prle_router_default_params();
        p.type = PRLE_ROUTER_MLP_SPARSE;
        p.gate_hidden = h;
        p.n_threads = t + 1;
        prle_router *r = NULL;
        PT_OK(prle_router_new(&r, &u, &p));
        if (!r)
            continue;
        PT_OK(prle_router_forward_train(w[t], di, r, &z, 5));
        PT_OK(prle_router_backward(dz[t], NULL, r, &z, dw, w[t], di));
        PT_OK(prle_router_backward_params(dp[t], r, &z, dw, w[t], di));
        prle_router_free(r);
    }
    PT_CHECK(memcmp(w[0], w[1], nw * sizeof(float)) == 0);
    PT_CHECK(memcmp(dz[0], dz[1], n * d * sizeof(float)) == 0);
    PT_CHECK(memcmp(dp[0], dp[1], npar * sizeof(float)) == 0);
    double norm = 0;
    for (size_t k = 0; k < npar; k++)
        norm += fabs(dp[0][k]);
    PT_CHECK(norm > 0);
    for (int t = 0; t < 2; t++)
        free(w[t]), free(dz[t]), free(dp[t]);
    free(di), free(dw);
    prle_matrix_dispose(&u);
    prle_matrix_dispose(&z);
}

static void test_router_mlp__row_alone(void)
{
    /* a row's weights do not depend on the batch it is in (prediction reads rows in chunks):
       rows alone and a slice of rows, against all 300 at once (7,500 pairs: several blocks) */
    const size_t n = 300, np = 25, d = 40, h = 64;
    prle_router *r = make_mlp(PRLE_DIST_COSINE, np, d, h, 1.0, 4);
    prle_matrix z = {0};
    PT_OK(prle_matrix_alloc(&z, n, d));
    pt_fill_normal(z.data, n * d, 6, "test.mlp.alone");
    float *w = malloc(n * np * sizeof *w), *dist = malloc(n * np * sizeof *dist);
    float *w1 = malloc(n * np * sizeof *w1), *d1 = malloc(n * np * sizeof *d1);
    PT_CHECK(r && w && dist && w1 && d1);
    if (r && w && dist && w1 && d1) {
        PT_OK(prle_router_forward(w, dist, r, &z));
        size_t rows[] = {0, 137, 299}, bad = 0;
        for (size_t q = 0; q < 3; q++) {
            prle_matrix one = {.data = prle_matrix_row(&z, rows[q]), .rows = 1, .cols = d};
            PT_OK(prle_router_forward(w1, d1, r, &one));
            bad += memcmp(w1, w + rows[q] * np, np * sizeof *w1) != 0;
        }
        prle_matrix part = {.data = prle_matrix_row(&z, 101), .rows = 83, .cols = d};
        PT_OK(prle_router_forward(w1, d1, r, &part));
        bad += memcmp(w1, w + 101 * np, 83 * np * sizeof *w1) != 0;
        PT_EQ_INT(bad, 0);
    }
    free(w), free(dist), free(w1), free(d1);
    prle_router_free(r);
    prle_matrix_dispose(&z);
}

static void test_router_mlp__other_routers(void)
{
    const size_t n = 5, np = 4, d = 3;
    prle_matrix u = {0}, z = {0};
    PT_OK(prle_matrix_alloc(&u, np, d));
    PT_OK(prle_matrix_alloc(&z, n, d));
    pt_fill_normal(u.data, np * d, 4, "u");
    pt_fill_normal(z.data, n * d, 5, "z");
    float w1[20], w2[20], di[20], dw[20], dp[1] = {0};
    pt_fill_normal(dw, n * np, 6, "dw");
    for (int t = 0; t < 3; t++) {
        prle_router_params p = prle_router_default_params();
        p.type = (prle_router_type)t;
        prle_router *r = NULL;
        PT_OK(prle_router_new(&r, &u, &p));
        if (!r)
            continue;
        PT_EQ_INT(prle_router_n_params(r), 0);
        PT_CHECK(prle_router_param_data(r) == NULL);
        PT_OK(prle_router_forward(w1, di, r, &z));
        PT_OK(prle_router_forward_train(w2, di, r, &z, 3));
        PT_CHECK(memcmp(w1, w2, sizeof w1) == 0);
        PT_OK(prle_router_backward_params(dp, r, &z, dw, w1, di));
        PT_CHECK(dp[0] == 0);
        prle_router_free(r);
    }
    prle_router *r = make_mlp(PRLE_DIST_COSINE, np, d, 4, 1.0, 1);
    float zp[4] = {1, 2, 3, 4}, w[4];
    prle_matrix bad = {.data = zp, .rows = 1, .cols = 4};
    PT_FAILS(prle_router_forward_train(w, NULL, r, &bad, 1), PRLE_ESHAPE, "width 4");
    PT_FAILS(prle_router_backward_params(dp, r, &bad, w, w, w), PRLE_ESHAPE, "width 4");
    prle_router_free(r);
    prle_matrix_dispose(&u);
    prle_matrix_dispose(&z);
}

int main(void)
{
    PT_RUN(test_router_mlp__torch_reference);
    PT_RUN(test_router_mlp__rows_sum_to_one);
    PT_RUN(test_router_mlp__gumbel_noise);
    PT_RUN(test_router_mlp__init);
    PT_RUN(test_router_mlp__grad_cosine);
    PT_RUN(test_router_mlp__grad_euclidean);
    PT_RUN(test_router_mlp__threads);
    PT_RUN(test_router_mlp__row_alone);
    PT_RUN(test_router_mlp__other_routers);
    return pt_report();
}
