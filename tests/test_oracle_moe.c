/* LABELS: unit */
/* Oracle MoE against a scikit-learn re-statement (tests/oracle_ref.h, made by
 * tools/ref/oracle_ref.py): fixed medoids on a small problem, per-cluster Ridge and SVR with
 * hard routing, global vs oracle predictions and metrics; the k-medoids front end, thread
 * independence and argument errors. */
#include "prle_test.h"

#include "oracle_ref.h"

static prle_matrix mat(const float *v, size_t rows, size_t cols)
{
    prle_matrix m = {0};
    if (prle_matrix_alloc(&m, rows, cols) == 0)
        memcpy(m.data, v, rows * cols * sizeof(float));
    return m;
}

static void check_metrics(const prle_metrics *m, const double *want)
{
    PT_NEAR(m->mse, want[0], 1e-4);
    PT_NEAR(m->rmse, want[1], 1e-4);
    PT_NEAR(m->mae, want[2], 1e-4);
    PT_NEAR(m->r2, want[3], 1e-4);
    PT_NEAR(m->pearson, want[4], 1e-4);
    PT_NEAR(m->spearman, want[5], 1e-4);
    PT_NEAR(m->kendall, want[6], 1e-4);
    PT_EQ_INT(m->n, ORC_M);
}

static void vs_sklearn(prle_oracle_model model, const double *gp, const double *op,
                       const double *gm, const double *om)
{
    prle_matrix x = mat(orc_x, ORC_N, ORC_D), q = mat(orc_q, ORC_M, ORC_D);
    prle_oracle_params p = prle_oracle_default_params();
    prle_oracle_result r;
    float pg[ORC_M], po[ORC_M];
    p.model = model;
    p.svr.tol = 1e-6; /* as the reference: both solvers near the exact optimum */
    PT_OK(prle_oracle_moe_eval(&r, pg, po, &x, orc_y, orc_medoids, ORC_K, &q, orc_yq, &p));
    for (size_t i = 0; i < ORC_M; i++) {
        PT_NEAR(pg[i], gp[i], 1e-4);
        PT_NEAR(po[i], op[i], 1e-4);
    }
    check_metrics(&r.global, gm);
    check_metrics(&r.oracle, om);
    PT_EQ_INT(r.model, model);
    PT_EQ_INT(r.k, ORC_K);
    PT_EQ_INT(r.min_cluster, ORC_MIN_CLUSTER);
    PT_EQ_INT(r.max_cluster, ORC_MAX_CLUSTER);
    PT_EQ_INT(r.n_constant, ORC_N_CONSTANT);
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&q);
}

static void test_oracle_moe__linear_vs_sklearn(void)
{
    vs_sklearn(PRLE_ORACLE_LINEAR, orc_linear_global_pred, orc_linear_oracle_pred,
               orc_linear_global_metrics, orc_linear_oracle_metrics);
    /* each blob has its own linear target: local experts must beat the global line here */
    PT_CHECK(orc_linear_oracle_metrics[0] < 0.6 * orc_linear_global_metrics[0]);
}

static void test_oracle_moe__svr_vs_sklearn(void)
{
    vs_sklearn(PRLE_ORACLE_SVR, orc_svr_global_pred, orc_svr_oracle_pred, orc_svr_global_metrics,
               orc_svr_oracle_metrics);
}

static void test_oracle_moe__singleton_cluster(void)
{
    /* test row 21 sits next to the outlier (fit row 54, a cluster of its own): it gets that
     * row's label whatever the model */
    prle_matrix x = mat(orc_x, ORC_N, ORC_D), q = mat(orc_q, ORC_M, ORC_D);
    prle_oracle_params p = prle_oracle_default_params();
    prle_oracle_result r;
    float po[ORC_M];
    PT_OK(prle_oracle_moe_eval(&r, NULL, po, &x, orc_y, orc_medoids, ORC_K, &q, orc_yq, &p));
    PT_NEAR(po[21], orc_y[54], 0);
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&q);
}

static void test_oracle_moe__kmedoids_front(void)
{
    /* prle_oracle_moe = k-medoids on the first rows, then prle_oracle_moe_eval on them; the
     * same numbers on 1 and 2 threads */
    prle_matrix x = mat(orc_x, ORC_N, ORC_D), q = mat(orc_q, ORC_M, ORC_D);
    prle_matrix head = mat(orc_x, 54, ORC_D);
    prle_oracle_params p = prle_oracle_default_params();
    prle_oracle_result r1, r2, re;
    size_t med[3], med2[3], want[3];
    p.model = PRLE_ORACLE_LINEAR;
    p.n_threads = 1;
    PT_OK(prle_oracle_moe(&r1, med, &x, orc_y, 54, &q, orc_yq, 3, 7, &p));
    p.n_threads = 2;
    PT_OK(prle_oracle_moe(&r2, med2, &x, orc_y, 54, &q, orc_yq, 3, 7, &p));

    prle_proto_params pp = prle_proto_default_params();
    pp.n_prototypes = 3;
    pp.seed = 7;
    PT_OK(prle_prototypes_select(want, NULL, &head, &pp));
    for (int s = 0; s < 3; s++) {
        PT_EQ_INT(med[s], want[s]);
        PT_EQ_INT(med2[s], want[s]);
        PT_CHECK(med[s] < 54);
    }
    /* one medoid per blob: rows 0-17, 18-35, 36-53 */
    PT_CHECK(med[0] / 18 != med[1] / 18 && med[1] / 18 != med[2] / 18 &&
             med[0] / 18 != med[2] / 18);
    PT_OK(prle_oracle_moe_eval(&re, NULL, NULL, &x, orc_y, want, 3, &q, orc_yq, &p));
    PT_NEAR(r1.oracle.mse, re.oracle.mse, 0);
    PT_NEAR(r2.oracle.mse, re.oracle.mse, 0);
    PT_NEAR(r1.global.pearson, re.global.pearson, 0);
    PT_NEAR(r2.oracle.kendall, re.oracle.kendall, 0);

    p.model = PRLE_ORACLE_SVR;
    p.n_threads = 1;
    PT_OK(prle_oracle_moe_eval(&r1, NULL, NULL, &x, orc_y, want, 3, &q, orc_yq, &p));
    p.n_threads = 2;
    PT_OK(prle_oracle_moe_eval(&r2, NULL, NULL, &x, orc_y, want, 3, &q, orc_yq, &p));
    PT_NEAR(r1.oracle.mse, r2.oracle.mse, 0);
    PT_NEAR(r1.global.mse, r2.global.mse, 0);
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&q);
    prle_matrix_dispose(&head);
}

static void test_oracle_moe__errors(void)
{
    prle_matrix x = mat(orc_x, ORC_N, ORC_D), q = mat(orc_q, ORC_M, ORC_D);
    prle_matrix q3 = mat(orc_q, ORC_M / 2, ORC_D - 1);
    prle_oracle_params p = prle_oracle_default_params();
    prle_oracle_result r;
    size_t bad[2] = {3, ORC_N};
    PT_FAILS(prle_oracle_moe_eval(&r, NULL, NULL, &x, orc_y, bad, 2, &q, orc_yq, &p), PRLE_EINVAL,
             "medoid 1 is row 57");
    PT_FAILS(prle_oracle_moe_eval(&r, NULL, NULL, &x, orc_y, orc_medoids, 0, &q, orc_yq, &p),
             PRLE_EINVAL, "k 0");
    PT_FAILS(prle_oracle_moe_eval(&r, NULL, NULL, &x, orc_y, orc_medoids, ORC_K, &q3, orc_yq, &p),
             PRLE_ESHAPE, "widths differ");
    p.svr.C = -1;
    PT_FAILS(prle_oracle_moe_eval(&r, NULL, NULL, &x, orc_y, orc_medoids, ORC_K, &q, orc_yq, &p),
             PRLE_EINVAL, "C must be > 0");
    p = prle_oracle_default_params();
    p.model = PRLE_ORACLE_LINEAR;
    p.ridge.alpha = -2;
    PT_FAILS(prle_oracle_moe_eval(&r, NULL, NULL, &x, orc_y, orc_medoids, ORC_K, &q, orc_yq, &p),
             PRLE_EINVAL, "alpha");
    p.ridge.alpha = 1;
    PT_FAILS(prle_oracle_moe(&r, NULL, &x, orc_y, 10, &q, orc_yq, 11, 7, &p), PRLE_EINVAL, NULL);
    PT_EQ_STR(prle_oracle_model_name(PRLE_ORACLE_SVR), "svr");
    PT_EQ_STR(prle_oracle_model_name(PRLE_ORACLE_LINEAR), "linear");
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&q);
    prle_matrix_dispose(&q3);
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_oracle_moe__linear_vs_sklearn);
    PT_RUN(test_oracle_moe__svr_vs_sklearn);
    PT_RUN(test_oracle_moe__singleton_cluster);
    PT_RUN(test_oracle_moe__kmedoids_front);
    PT_RUN(test_oracle_moe__errors);
    return pt_report();
}
