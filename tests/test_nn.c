/* LABELS: unit grad */
/* src/nn: every layer's backward against central differences (STYLE.md §12: d <= 5, h <= 4,
 * n <= 3, eps 1e-3, loss in double, relative error < 1e-2 per element), forward values
 * against direct double computations, Adam against a hand-computed two-step example. */
#include <math.h>
#include <string.h>

#include "prle_test.h"

#include "nn/act.h"
#include "nn/adam.h"
#include "nn/l2norm.h"
#include "nn/layernorm.h"
#include "nn/linear.h"
#include "nn/param_buf.h"
#include "math/blas.h"
#include "math/ref_ops.h"

#define EPS 1e-3f
#define REL_TOL 1e-2

static void fill(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    prle_rng r;
    prle_rng_init(&r, seed, "test.nn", 0);
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (float)prle_rng_uniform(&r);
}

/* Away from 0 (ReLU's kink): magnitudes in [0.2, 1], random signs. */
static void fill_signed(float *x, size_t n, uint64_t seed)
{
    prle_rng r;
    prle_rng_init(&r, seed, "test.nn.signed", 0);
    for (size_t i = 0; i < n; i++) {
        float m = 0.2f + 0.8f * (float)prle_rng_uniform(&r);
        x[i] = prle_rng_uniform(&r) < 0.5 ? -m : m;
    }
}

static double dot_c(const float *y, const float *c, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)y[i] * (double)c[i];
    return s;
}

static int grad_ok(double analytic, double numeric)
{
    double rel = fabs(analytic - numeric) / fmax(fabs(analytic) + fabs(numeric), 1e-6);
    return rel < REL_TOL;
}

/* The scalar test loss L = sum_k c_k y_k(v) of some layer, as a function of the array v. */
typedef double (*loss_fn)(void *ctx);

static void check_grad(const char *what, float *v, size_t n, const float *analytic, loss_fn f,
                       void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        float keep = v[i];
        v[i] = keep + EPS;
        double lp = f(ctx);
        v[i] = keep - EPS;
        double lm = f(ctx);
        v[i] = keep;
        double num = (lp - lm) / (2.0 * (double)EPS);
        if (!grad_ok(analytic[i], num))
            PT_FAIL_AT("%s[%zu]: analytic %.8g, numeric %.8g", what, i, (double)analytic[i], num);
    }
}

/* ---- linear ------------------------------------------------------------------------------ */

enum { N = 3, DIN = 5, DOUT = 4 };

typedef struct lin_ctx {
    float x[N * DIN], w[DOUT * DIN], b[DOUT], y[N * DOUT], c[N * DOUT];
} lin_ctx;

static double lin_loss(void *p)
{
    lin_ctx *c = p;
    prle__linear_fwd(c->y, c->x, c->w, c->b, N, DIN, DOUT, 1);
    return dot_c(c->y, c->c, N * DOUT);
}

static void test_nn__linear_forward_and_grad(void)
{
    lin_ctx c;
    fill(c.x, N * DIN, 1, -1, 1);
    fill(c.w, DOUT * DIN, 2, -1, 1);
    fill(c.b, DOUT, 3, -1, 1);
    fill(c.c, N * DOUT, 4, -1, 1);
    lin_loss(&c);
    for (size_t i = 0; i < N; i++)
        for (size_t o = 0; o < DOUT; o++) {
            double s = c.b[o];
            for (size_t k = 0; k < DIN; k++)
                s += (double)c.x[i * DIN + k] * c.w[o * DIN + k];
            PT_NEAR(c.y[i * DOUT + o], s, 1e-6);
        }
    float dx[N * DIN], dw[DOUT * DIN], db[DOUT];
    /* accumulation: start from 1 and subtract it afterwards */
    for (size_t i = 0; i < N * DIN; i++)
        dx[i] = 1.0f;
    memset(dw, 0, sizeof dw);
    memset(db, 0, sizeof db);
    prle__linear_bwd(dx, dw, db, c.c, c.x, c.w, N, DIN, DOUT, 1);
    for (size_t i = 0; i < N * DIN; i++)
        dx[i] -= 1.0f;
    check_grad("linear dx", c.x, N * DIN, dx, lin_loss, &c);
    check_grad("linear dw", c.w, DOUT * DIN, dw, lin_loss, &c);
    check_grad("linear db", c.b, DOUT, db, lin_loss, &c);
    /* no bias: y = x W^T */
    prle__linear_fwd(c.y, c.x, c.w, NULL, N, DIN, DOUT, 1);
    double s = 0;
    for (size_t k = 0; k < DIN; k++)
        s += (double)c.x[k] * c.w[k];
    PT_NEAR(c.y[0], s, 1e-6);
}

/* ---- layernorm --------------------------------------------------------------------------- */

enum { LD = 5 };

typedef struct ln_ctx {
    float x[N * LD], g[LD], b[LD], y[N * LD], mean[N], rstd[N], c[N * LD];
} ln_ctx;

static double ln_loss(void *p)
{
    ln_ctx *c = p;
    prle__layernorm_fwd(c->y, c->mean, c->rstd, c->x, c->g, c->b, N, LD, 1);
    return dot_c(c->y, c->c, N * LD);
}

static void test_nn__layernorm_forward_and_grad(void)
{
    ln_ctx c;
    fill(c.x, N * LD, 5, -2, 2);
    fill(c.g, LD, 6, 0.5f, 1.5f);
    fill(c.b, LD, 7, -0.5f, 0.5f);
    fill(c.c, N * LD, 8, -1, 1);
    ln_loss(&c);
    for (size_t i = 0; i < N; i++) {
        double mu = 0, var = 0;
        for (size_t j = 0; j < LD; j++)
            mu += c.x[i * LD + j] / (double)LD;
        for (size_t j = 0; j < LD; j++)
            var += pow(c.x[i * LD + j] - mu, 2) / (double)LD;
        for (size_t j = 0; j < LD; j++) {
            double want = (c.x[i * LD + j] - mu) / sqrt(var + 1e-5) * c.g[j] + c.b[j];
            PT_NEAR(c.y[i * LD + j], want, 1e-5);
        }
    }
    float dx[N * LD] = {0}, dg[LD] = {0}, db[LD] = {0};
    prle__layernorm_bwd(dx, dg, db, c.c, c.x, c.mean, c.rstd, c.g, N, LD, 1);
    check_grad("layernorm dx", c.x, N * LD, dx, ln_loss, &c);
    check_grad("layernorm dgamma", c.g, LD, dg, ln_loss, &c);
    check_grad("layernorm dbeta", c.b, LD, db, ln_loss, &c);
}

/* ---- activations, dropout ---------------------------------------------------------------- */

typedef struct act_ctx {
    float x[N * LD], y[N * LD], c[N * LD];
    prle__act act;
} act_ctx;

static double act_loss(void *p)
{
    act_ctx *c = p;
    prle__act_fwd(c->y, c->x, N * LD, c->act, 1);
    return dot_c(c->y, c->c, N * LD);
}

static void test_nn__activations(void)
{
    act_ctx c;
    float xs[] = {-3.0f, -1.0f, 0.0f, 0.5f, 1.0f, 2.0f}, ys[6];
    /* x Phi(x) in double (Phi via erfc, accurate in the tails) */
    prle__act_fwd(ys, xs, 6, PRLE__ACT_GELU, 1);
    for (int i = 0; i < 6; i++)
        PT_NEAR(ys[i], xs[i] * 0.5 * erfc(-xs[i] / sqrt(2.0)), 1e-6);
    PT_NEAR(ys[4], 0.8413447460685429, 1e-6);
    prle__act_fwd(ys, xs, 6, PRLE__ACT_RELU, 1);
    PT_CHECK(ys[0] == 0.0f && ys[2] == 0.0f && ys[5] == 2.0f);
    for (int a = 0; a < 2; a++) {
        c.act = a ? PRLE__ACT_GELU : PRLE__ACT_RELU;
        fill_signed(c.x, N * LD, 9 + (uint64_t)a);
        fill(c.c, N * LD, 11, -1, 1);
        float dx[N * LD] = {0};
        prle__act_bwd(dx, c.c, c.x, N * LD, c.act, 1);
        check_grad(a ? "gelu dx" : "relu dx", c.x, N * LD, dx, act_loss, &c);
    }
}

static void test_nn__dropout(void)
{
    enum { M = 20000 };
    static float mask[M], x[M], y[M], dx[M];
    prle_rng r;
    prle_rng_init(&r, 1, "test.dropout", 0);
    prle__dropout_mask(mask, M, 0.25f, &r);
    size_t zeros = 0;
    for (size_t i = 0; i < M; i++) {
        PT_CHECK(mask[i] == 0.0f || fabsf(mask[i] - 1.0f / 0.75f) < 1e-7f);
        zeros += mask[i] == 0.0f;
    }
    PT_CHECK(zeros > 0.23 * M && zeros < 0.27 * M);
    /* same stream, same mask */
    float again[16];
    prle_rng_init(&r, 1, "test.dropout", 0);
    prle__dropout_mask(again, 16, 0.25f, &r);
    PT_CHECK(memcmp(again, mask, sizeof again) == 0);
    fill(x, M, 12, -1, 1);
    prle__dropout_fwd(y, x, mask, M, 2);
    memset(dx, 0, sizeof dx);
    prle__dropout_bwd(dx, x, mask, M, 2);
    for (size_t i = 0; i < M; i++)
        PT_CHECK(y[i] == x[i] * mask[i] && dx[i] == y[i]);
}

/* ---- L2 normalisation -------------------------------------------------------------------- */

typedef struct l2_ctx {
    float x[N * LD], y[N * LD], norm[N], c[N * LD];
} l2_ctx;

static double l2_loss(void *p)
{
    l2_ctx *c = p;
    prle__l2norm_fwd(c->y, c->norm, c->x, N, LD, 1);
    return dot_c(c->y, c->c, N * LD);
}

static void test_nn__l2norm(void)
{
    l2_ctx c;
    fill(c.x, N * LD, 13, -1, 1);
    fill(c.c, N * LD, 14, -1, 1);
    l2_loss(&c);
    for (size_t i = 0; i < N; i++) {
        double s = 0;
        for (size_t j = 0; j < LD; j++)
            s += (double)c.x[i * LD + j] * c.x[i * LD + j];
        for (size_t j = 0; j < LD; j++)
            PT_NEAR(c.y[i * LD + j], c.x[i * LD + j] / sqrt(s), 1e-6);
    }
    float dx[N * LD] = {0};
    prle__l2norm_bwd(dx, c.c, c.y, c.norm, N, LD, 1);
    check_grad("l2norm dx", c.x, N * LD, dx, l2_loss, &c);

    /* a zero row stays zero (norm floored at 1e-12) and its map is x / 1e-12 */
    float z[4] = {0}, zy[4], zn, dz[4] = {0}, dy[4] = {1, 2, 3, 4};
    prle__l2norm_fwd(zy, &zn, z, 1, 4, 1);
    PT_CHECK(zy[0] == 0.0f && zy[3] == 0.0f);
    PT_NEAR(zn, 1e-12, 1e-20);
    prle__l2norm_bwd(dz, dy, zy, &zn, 1, 4, 1);
    PT_NEAR(dz[1] / 2e12, 1.0, 1e-6);
}

/* ---- Adam -------------------------------------------------------------------------------- */

static void test_nn__adam_two_steps(void)
{
    /* element 0: p 1, lr 0.1, g 0.5 then -0.25, no decay; element 1 of a second run: p -2,
     * lr 0.01, decay 0.05, g 0.3 then 0.2. Expected values: torch.optim.Adam in float64
     * (tools/ref has none: a 6-line script, printed here), equal to the hand computation
     * m1 = 0.05, v1 = 2.5e-4, p1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.900000002;
     * m2 = 0.02, v2 = 3.1225e-4, p2 = 0.9 - 0.1 (0.02/0.19) / (sqrt(v2/0.001999) + 1e-8). */
    prle__adam_params ap = prle__adam_default_params();
    float p = 1.0f, m = 0.0f, v = 0.0f, g;
    ap.lr = 0.1;
    g = 0.5f;
    prle__adam_step(&p, &g, &m, &v, 1, &ap, 1, 1);
    PT_NEAR(p, 0.900000002, 1e-7);
    PT_NEAR(m, 0.05, 1e-9);
    PT_NEAR(v, 0.00025, 1e-10);
    g = -0.25f;
    prle__adam_step(&p, &g, &m, &v, 1, &ap, 2, 1);
    PT_NEAR(p, 0.8733662987078463, 1e-7);
    PT_NEAR(m, 0.02, 1e-8);
    PT_NEAR(v, 0.00031225, 1e-10);

    ap.lr = 0.01;
    ap.weight_decay = 0.05;
    p = -2.0f, m = 0.0f, v = 0.0f;
    g = 0.3f;
    prle__adam_step(&p, &g, &m, &v, 1, &ap, 1, 1);
    PT_NEAR(p, -2.0099999995, 1e-6);
    g = 0.2f;
    prle__adam_step(&p, &g, &m, &v, 1, &ap, 2, 1);
    PT_NEAR(p, -2.0193144524860878, 1e-6);
    PT_NEAR(m, 0.027950000002499992, 1e-8);
    PT_NEAR(v, 4.9860250004975035e-05, 1e-10);
}

static void test_nn__adam_vector_equals_scalar(void)
{
    /* the SSE path and the scalar tail give the same bits, and 1 or 2 threads too */
    enum { M = 40003 };
    static float p1[M], g[M], m1[M], v1[M], p2[M], m2[M], v2[M], p3[M], m3[M], v3[M];
    fill(p1, M, 20, -1, 1);
    fill(g, M, 21, -1, 1);
    memcpy(p2, p1, sizeof p1);
    memcpy(p3, p1, sizeof p1);
    memset(m1, 0, sizeof m1), memset(v1, 0, sizeof v1);
    memset(m2, 0, sizeof m2), memset(v2, 0, sizeof v2);
    memset(m3, 0, sizeof m3), memset(v3, 0, sizeof v3);
    prle__adam_params ap = prle__adam_default_params();
    for (uint64_t t = 1; t <= 3; t++) {
        prle__adam_step(p1, g, m1, v1, M, &ap, t, 1);
        prle__adam_step(p2, g, m2, v2, M, &ap, t, 2);
        for (size_t i = 0; i < M; i++) /* one element at a time: scalar code only */
            prle__adam_step(p3 + i, g + i, m3 + i, v3 + i, 1, &ap, t, 1);
    }
    PT_CHECK(memcmp(p1, p2, sizeof p1) == 0 && memcmp(v1, v2, sizeof v1) == 0);
    PT_CHECK(memcmp(p1, p3, sizeof p1) == 0 && memcmp(m1, m3, sizeof m1) == 0);
}

/* ---- parameter buffer -------------------------------------------------------------------- */

static void test_nn__param_buf(void)
{
    size_t sizes[3] = {20, 5, 33}, offs[3];
    bool of;
    size_t total = prle__param_layout(offs, sizes, 3, &of);
    PT_CHECK(!of);
    PT_EQ_INT(offs[0], 0);
    PT_EQ_INT(offs[1], 32);
    PT_EQ_INT(offs[2], 48);
    PT_EQ_INT(total, 96);
    size_t huge[2] = {SIZE_MAX - 4, 10};
    prle__param_layout(offs, huge, 2, &of);
    PT_CHECK(of);

    prle__param_buf pb = {0};
    PT_OK(prle__param_buf_alloc(&pb, total, 48));
    PT_CHECK(pb.grads == NULL && prle__param_grad(&pb, 0) == NULL);
    PT_OK(prle__param_buf_alloc_train(&pb));
    PT_CHECK(((uintptr_t)pb.params % 64) == 0 && ((uintptr_t)(pb.grads + offs[1]) % 64) == 0);
    PT_CHECK(prle__param_grad(&pb, offs[1]) == pb.grads + 32);
    PT_CHECK(prle__param_grad(&pb, offs[2]) == NULL); /* frozen */
    for (size_t i = 0; i < pb.n_train; i++)
        pb.grads[i] = 1.0f;
    prle__param_buf_zero_grad(&pb);
    PT_CHECK(pb.grads[0] == 0.0f && pb.grads[47] == 0.0f);
    prle__param_buf_dispose(&pb);
    prle__param_buf_dispose(&pb); /* a zeroed buffer: nothing */
}

static void test_nn__colsum_threads(void)
{
    enum { R = 300, C = 700 };
    static float a[R * C], s1[C], s2[C];
    fill(a, R * C, 30, -1, 1);
    memset(s1, 0, sizeof s1), memset(s2, 0, sizeof s2);
    prle__colsum_add(s1, a, R, C, 1);
    prle__colsum_add(s2, a, R, C, 2);
    PT_CHECK(memcmp(s1, s2, sizeof s1) == 0);
    double want = 0;
    for (size_t i = 0; i < R; i++)
        want += a[i * C + 5];
    PT_NEAR(s1[5], want, 1e-4);
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_nn__linear_forward_and_grad);
    PT_RUN(test_nn__layernorm_forward_and_grad);
    PT_RUN(test_nn__activations);
    PT_RUN(test_nn__dropout);
    PT_RUN(test_nn__l2norm);
    PT_RUN(test_nn__adam_two_steps);
    PT_RUN(test_nn__adam_vector_equals_scalar);
    PT_RUN(test_nn__param_buf);
    PT_RUN(test_nn__colsum_threads);
    return pt_report();
}
