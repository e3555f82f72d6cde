/* proto_rbf experts: beta and the chosen tau against numpy's solve of the same normal
 * equations on every grid tau (validation argmin, and training argmin without validation),
 * weights rows sum to 1, threads, bad input.
 * LABELS: unit */
#include "prle_test.h"

#include "prle/proto_rbf.h"

/* tools/ref/proto_rbf_ref.py (numpy 1.24.2) */
/* z[0] = 0.0874880031 0.600700319 0.794672847, y[0] = 0.012941652, y[79] = -0.235388339 */
#define REF_TAU_VAL 8 /* validation argmin, k = 5 */
static const double ref_beta_val[8] = {
    -0.069940570680801006, -1.4991347352746982, -1.1849158665749351, 0.5795654168914971,
    -0.97000209977853913,  0.60260969023123301, 0.8420484082022891,  1.0026485638620493};
#define REF_MSE_VAL 0.16833081025568966
#define REF_TAU_TRAIN 128 /* training argmin, k = 9 */
static const double ref_beta_train[8] = {
    0.054330729714745195, -1.5133842824455992, -1.2241322741442981, 0.53222518211487957,
    -0.91211659727946515, 0.59538533197736854, 0.71567036538941375, 1.0141792185534708};
/* validation MSE per tau: 0.2561 0.2402 0.2538 0.2342 0.1954 0.1683 0.184 0.2353 0.257 0.2638
 * 0.2674 */
/* training MSE per tau: 0.3793 0.3141 0.2783 0.2536 0.2243 0.2077 0.1988 0.1939 0.19 0.1881 0.1882
 */

enum { N = 80, NTR = 60, NVA = 20, D = 3, P = 8 };

static double lcg(uint32_t *x)
{
    *x = 1664525u * *x + 1013904223u;
    return *x / 4294967296.0 - 0.5;
}

typedef struct {
    float z[N * D], y[N], protos[P * D], a[P];
    prle_matrix ztr, zva, c;
} problem;

/* The problem of proto_rbf_ref.py. */
static void problem_make(problem *pb)
{
    uint32_t x = 777;
    double yy[N], mean = 0, var = 0;
    for (size_t i = 0; i < N; i++) {
        double r[D], s = 0;
        for (size_t j = 0; j < D; j++) {
            r[j] = lcg(&x);
            s += r[j] * r[j];
        }
        for (size_t j = 0; j < D; j++)
            pb->z[i * D + j] = (float)(r[j] / sqrt(s));
    }
    for (size_t i = 0; i < N; i++)
        yy[i] = sin(3.0 * pb->z[i * D]) + cos(2.0 * pb->z[i * D + 1]) + 0.2 * lcg(&x);
    for (size_t i = 0; i < NTR; i++)
        mean += yy[i];
    mean /= NTR;
    for (size_t i = 0; i < NTR; i++)
        var += (yy[i] - mean) * (yy[i] - mean);
    for (size_t i = 0; i < N; i++)
        pb->y[i] = (float)((yy[i] - mean) / sqrt(var / NTR));
    for (size_t p = 0; p < P; p++) {
        memcpy(pb->protos + p * D, pb->z + 6 * p * D, D * sizeof(float));
        pb->a[p] = pb->y[6 * p];
    }
    pb->ztr = (prle_matrix){.data = pb->z, .rows = NTR, .cols = D};
    pb->zva = (prle_matrix){.data = pb->z + NTR * D, .rows = NVA, .cols = D};
    pb->c = (prle_matrix){.data = pb->protos, .rows = P, .cols = D};
}

static void test_proto_rbf__problem(void)
{
    problem pb;
    problem_make(&pb);
    PT_NEAR(pb.z[0], 0.0874880031, 1e-8);
    PT_NEAR(pb.z[2], 0.794672847, 1e-7);
    PT_NEAR(pb.y[0], 0.012941652, 1e-6);
    PT_NEAR(pb.y[79], -0.235388339, 1e-6);
}

static void test_proto_rbf__validation_argmin(void)
{
    problem pb;
    problem_make(&pb);
    float beta[P], w[NVA * P];
    double tau = 0;
    PT_OK(prle__rbf_fit(beta, &tau, &pb.c, &pb.ztr, pb.y, pb.a, &pb.zva, pb.y + NTR, 1e-2, 1));
    PT_NEAR(tau, REF_TAU_VAL, 0);
    for (size_t p = 0; p < P; p++)
        PT_NEAR(beta[p], ref_beta_val[p], 1e-5);
    /* the kept beta at the kept tau gives numpy's minimum validation MSE */
    PT_OK(prle__rbf_weights(w, &pb.c, &pb.zva, tau, 1));
    double mse = 0;
    for (size_t i = 0; i < NVA; i++) {
        double e = -(double)pb.y[NTR + i];
        for (size_t p = 0; p < P; p++)
            e += (double)w[i * P + p] * beta[p];
        mse += e * e / NVA;
    }
    PT_NEAR(mse, REF_MSE_VAL, 1e-5);
}

static void test_proto_rbf__training_argmin(void)
{
    problem pb;
    problem_make(&pb);
    float beta[P], beta2[P];
    double tau = 0, tau2 = 0;
    PT_OK(prle__rbf_fit(beta, &tau, &pb.c, &pb.ztr, pb.y, pb.a, NULL, NULL, 1e-2, 2));
    PT_NEAR(tau, REF_TAU_TRAIN, 0);
    for (size_t p = 0; p < P; p++)
        PT_NEAR(beta[p], ref_beta_train[p], 1e-5);
    prle_matrix none = {.data = NULL, .rows = 0, .cols = D}; /* nva = 0: the same */
    PT_OK(prle__rbf_fit(beta2, &tau2, &pb.c, &pb.ztr, pb.y, pb.a, &none, NULL, 1e-2, 1));
    PT_CHECK(tau2 == tau && memcmp(beta, beta2, sizeof beta) == 0);
}

static void test_proto_rbf__weights(void)
{
    problem pb;
    problem_make(&pb);
    prle_matrix all = {.data = pb.z, .rows = N, .cols = D};
    float w[N * P], w2[N * P];
    for (double tau = 0.25; tau <= 256; tau *= 4) {
        PT_OK(prle__rbf_weights(w, &pb.c, &all, tau, 1));
        PT_OK(prle__rbf_weights(w2, &pb.c, &all, tau, 2));
        PT_CHECK(memcmp(w, w2, sizeof w) == 0);
        for (size_t i = 0; i < N; i++) {
            double s = 0;
            size_t near = 0;
            double dn = INFINITY;
            for (size_t p = 0; p < P; p++) {
                PT_CHECK(w[i * P + p] >= 0);
                s += w[i * P + p];
                double d2 = 0;
                for (size_t t = 0; t < D; t++) {
                    double e = (double)pb.z[i * D + t] - pb.protos[p * D + t];
                    d2 += e * e;
                }
                if (d2 < dn)
                    dn = d2, near = p;
            }
            PT_NEAR(s, 1.0, 1e-6);
            for (size_t p = 0; p < P; p++) /* the nearest prototype weighs most */
                PT_CHECK(w[i * P + p] <= w[i * P + near]);
        }
    }
    /* a prototype's own row at large tau routes (almost) entirely to itself */
    prle_matrix row6 = {.data = pb.z + 6 * D, .rows = 1, .cols = D};
    PT_OK(prle__rbf_weights(w, &pb.c, &row6, 256, 1));
    PT_CHECK(w[1] > 0.9f);
    /* the direct formula softmax(-tau |z - c|^2), in double */
    PT_OK(prle__rbf_weights(w, &pb.c, &all, 3.0, 1));
    for (size_t i = 0; i < N; i++) {
        double e[P], sum = 0;
        for (size_t p = 0; p < P; p++) {
            double d2 = 0;
            for (size_t t = 0; t < D; t++) {
                double v = (double)pb.z[i * D + t] - pb.protos[p * D + t];
                d2 += v * v;
            }
            sum += e[p] = exp(-3.0 * d2);
        }
        for (size_t p = 0; p < P; p++)
            PT_NEAR(w[i * P + p], e[p] / sum, 1e-6);
    }
}

static void test_proto_rbf__bad_input(void)
{
    problem pb;
    problem_make(&pb);
    float beta[P], w[P];
    double tau;
    PT_FAILS(prle__rbf_fit(beta, &tau, &pb.c, &pb.ztr, pb.y, pb.a, &pb.zva, pb.y + NTR, 0, 1),
             PRLE_EINVAL, "lambda");
    prle_matrix narrow = {.data = pb.z, .rows = NTR, .cols = 2};
    PT_FAILS(prle__rbf_fit(beta, &tau, &pb.c, &narrow, pb.y, pb.a, NULL, NULL, 1e-2, 1),
             PRLE_EINVAL, "width 2");
    pb.z[(NTR + 3) * D] = NAN;
    PT_FAILS(prle__rbf_fit(beta, &tau, &pb.c, &pb.ztr, pb.y, pb.a, &pb.zva, pb.y + NTR, 1e-2, 1),
             PRLE_EINVAL, "validation row 3");
    PT_FAILS(prle__rbf_weights(w, &pb.c, &pb.ztr, 0, 1), PRLE_EINVAL, "tau");
}

int main(void)
{
    PT_RUN(test_proto_rbf__problem);
    PT_RUN(test_proto_rbf__validation_argmin);
    PT_RUN(test_proto_rbf__training_argmin);
    PT_RUN(test_proto_rbf__weights);
    PT_RUN(test_proto_rbf__bad_input);
    return pt_report();
}
