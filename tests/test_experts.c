/* LABELS: unit grad */
/* Stage-2 experts (src/prle/experts.c): forward against direct loops, backward against central
 * differences of a scalar loss sum_ip g_ip e_ip in double, nn.Linear init bounds, thread
 * independence. */
#include "prle_test.h"

#include "prle/experts.h"

static void fill(float *v, size_t n, uint64_t seed, double scale)
{
    prle_rng r;
    prle_rng_init(&r, seed, "test.experts", 0);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(scale * (2.0 * prle_rng_uniform(&r) - 1.0));
}

/* e_p(z) by direct loops in double. */
static double ref_expert(const prle__experts *ex, const float *prm, const float *z, size_t p)
{
    size_t d = ex->d, h = ex->h;
    if (ex->type == PRLE_EXPERT_LINEAR) {
        double s = prm[ex->b1 + p];
        for (size_t k = 0; k < d; k++)
            s += (double)prm[ex->w1 + p * d + k] * z[k];
        return s;
    }
    double s = prm[ex->b2 + p];
    for (size_t j = 0; j < h; j++) {
        double a = prm[ex->b1 + p * h + j];
        for (size_t k = 0; k < d; k++)
            a += (double)prm[ex->w1 + (p * h + j) * d + k] * z[k];
        s += (a > 0 ? a : 0) * prm[ex->w2 + p * h + j];
    }
    return s;
}

static double loss_of(const prle__experts *ex, const float *prm, const float *z, const float *g,
                      size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < ex->np; p++)
            s += g[i * ex->np + p] * ref_expert(ex, prm, z + i * ex->d, p);
    return s;
}

static void check_backward(prle_expert_type type)
{
    enum { N = 3, D = 5, P = 3, H = 4 };
    prle__experts ex;
    PT_OK(prle__experts_init(&ex, type, P, D, H));
    float *prm = calloc(ex.n_params, sizeof *prm), *grad = calloc(ex.n_params, sizeof *grad);
    float z[N * D], g[N * P], e[N * P];
    float *act = calloc(prle__experts_act_floats(&ex, N) + 1, sizeof *act);
    float *work = calloc(prle__experts_work_floats(&ex, N) + 1, sizeof *work);
    fill(prm, ex.n_params, 1, 0.8);
    fill(z, N * D, 2, 1.0);
    fill(g, N * P, 3, 1.0);
    prle__experts_forward(e, act, &ex, prm, z, N, 1);
    for (size_t i = 0; i < N; i++)
        for (size_t p = 0; p < P; p++)
            PT_NEAR(e[i * P + p], ref_expert(&ex, prm, z + i * D, p), 1e-5);
    prle__experts_backward(grad, work, &ex, prm, g, act, z, N, 1);
    int bad = 0;
    size_t checked = 0;
    for (size_t i = 0; i < ex.n_params; i++) {
        float keep = prm[i];
        const float eps = 1e-3f;
        prm[i] = keep + eps;
        double lp = loss_of(&ex, prm, z, g, N);
        prm[i] = keep - eps;
        double lm = loss_of(&ex, prm, z, g, N);
        prm[i] = keep;
        double num = (lp - lm) / ((double)(keep + eps) - (double)(keep - eps));
        double err = fabs(num - grad[i]) / fmax(fabs(num) + fabs(grad[i]), 1e-6);
        if (err > 1e-2 && fabs(num - grad[i]) > 1e-5) {
            if (bad++ < 5)
                PT_FAIL_AT("%s param %zu: analytic %.7g, numeric %.7g", prle_expert_type_name(type),
                           i, (double)grad[i], num);
        }
        checked++;
    }
    PT_CHECK(checked == ex.n_params);
    /* the backward accumulates: a second call doubles every gradient */
    float *twice = malloc(ex.n_params * sizeof *twice);
    memcpy(twice, grad, ex.n_params * sizeof *twice);
    prle__experts_backward(twice, work, &ex, prm, g, act, z, N, 1);
    for (size_t i = 0; i < ex.n_params; i += 7)
        PT_NEAR(twice[i], 2.0f * grad[i], 1e-6);
    free(prm), free(grad), free(act), free(work), free(twice);
}

static void test_experts__linear_backward(void)
{
    check_backward(PRLE_EXPERT_LINEAR);
}

static void test_experts__mlp_backward(void)
{
    check_backward(PRLE_EXPERT_MLP);
}

static void test_experts__layout_and_init(void)
{
    prle__experts ex;
    PT_OK(prle__experts_init(&ex, PRLE_EXPERT_MLP, 25, 500, 32));
    PT_EQ_INT(ex.w1, 0);
    PT_EQ_INT(ex.b1, 25 * 32 * 500);
    PT_EQ_INT(ex.w2, 25 * 32 * 500 + 800);
    PT_EQ_INT(ex.b2, 25 * 32 * 500 + 1600);
    PT_EQ_INT(ex.n_params, 25 * 32 * 500 + 1600 + 32);
    float *prm = malloc(ex.n_params * sizeof *prm);
    prle__experts_init_weights(&ex, prm, 42);
    double b1 = 1 / sqrt(500.0), b2 = 1 / sqrt(32.0), mx1 = 0, mx2 = 0;
    for (size_t i = 0; i < ex.w2; i++)
        mx1 = fmax(mx1, fabs(prm[i]));
    for (size_t i = ex.w2; i < ex.w2 + 800; i++)
        mx2 = fmax(mx2, fabs(prm[i]));
    PT_CHECK(mx1 <= b1 && mx1 > 0.95 * b1); /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    PT_CHECK(mx2 <= b2 && mx2 > 0.9 * b2);
    PT_EQ_INT(prm[ex.b2 + 25], 0); /* padding zeroed */
    free(prm);
    PT_FAILS(prle__experts_init(&ex, PRLE_EXPERT_PROTO_RBF, 3, 4, 0), PRLE_EINVAL, "proto_rbf");
    PT_FAILS(prle__experts_init(&ex, PRLE_EXPERT_MLP, 3, 4, 0), PRLE_EINVAL, "h 0");
}

/* Gradients and outputs on 300 rows, 1 vs 2 threads: equal bits. */
static void test_experts__threads(void)
{
    enum { N = 300, D = 40, P = 6, H = 8 };
    prle__experts ex;
    PT_OK(prle__experts_init(&ex, PRLE_EXPERT_MLP, P, D, H));
    float *prm = malloc(ex.n_params * sizeof *prm), *z = malloc(N * D * sizeof *z);
    float *g = malloc(N * P * sizeof *g), *e1 = malloc(N * P * sizeof *e1);
    float *e2 = malloc(N * P * sizeof *e2);
    float *act = malloc(prle__experts_act_floats(&ex, N) * sizeof *act);
    float *work = malloc(prle__experts_work_floats(&ex, N) * sizeof *work);
    float *g1 = calloc(ex.n_params, sizeof *g1), *g2 = calloc(ex.n_params, sizeof *g2);
    prle__experts_init_weights(&ex, prm, 3);
    fill(z, N * D, 4, 1.0);
    fill(g, N * P, 5, 1.0);
    prle__experts_forward(e1, act, &ex, prm, z, N, 1);
    prle__experts_backward(g1, work, &ex, prm, g, act, z, N, 1);
    prle__experts_forward(e2, act, &ex, prm, z, N, 2);
    prle__experts_backward(g2, work, &ex, prm, g, act, z, N, 2);
    PT_CHECK(memcmp(e1, e2, N * P * sizeof *e1) == 0);
    PT_CHECK(memcmp(g1, g2, ex.n_params * sizeof *g1) == 0);
    free(prm), free(z), free(g), free(e1), free(e2), free(act), free(work), free(g1), free(g2);
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_experts__linear_backward);
    PT_RUN(test_experts__mlp_backward);
    PT_RUN(test_experts__layout_and_init);
    PT_RUN(test_experts__threads);
    return pt_report();
}
