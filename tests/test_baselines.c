/* LABELS: unit */
/* Wrapper baselines against scikit-learn (tests/baselines_ref.h, made by
 * tools/ref/baselines_ref.py): ridge/OLS coefficients, kNN, SVR and tree predictions on a small
 * fixed problem; forest determinism and sanity; the grid search on a synthetic problem. */
#include "prle_test.h"

#include "baselines/baselines_int.h"
#include "baselines_ref.h"
#include "prle/rng.h"

static prle_matrix mat(const float *v, size_t rows, size_t cols)
{
    prle_matrix m = {0};
    if (prle_matrix_alloc(&m, rows, cols) == 0)
        memcpy(m.data, v, rows * cols * sizeof(float));
    return m;
}

static void check_pred(const float *got, const double *want, size_t n, double tol)
{
    for (size_t i = 0; i < n; i++)
        PT_NEAR(got[i], want[i], tol);
}

static void test_baselines__ridge_vs_sklearn(void)
{
    prle_matrix x = mat(ref_x, REF_N, REF_D);
    prle_ridge *r = NULL;
    prle_ridge_params p = prle_ridge_default_params();
    PT_OK(prle_ridge_fit(&r, &x, ref_y, &p));
    for (size_t j = 0; r && j < REF_D; j++)
        PT_NEAR(prle_ridge_coef(r)[j], ref_ridge_coef[j], 1e-9);
    PT_NEAR(prle_ridge_intercept(r), ref_ridge_icpt, 1e-9);
    float pred[REF_N];
    PT_OK(prle_ridge_predict(pred, r, &x));
    double want = ref_ridge_icpt;
    for (size_t j = 0; j < REF_D; j++)
        want += ref_ridge_coef[j] * ref_x[j];
    PT_NEAR(pred[0], want, 1e-5);
    prle_ridge_free(r);
    r = NULL;

    p.alpha = 0; /* OLS */
    PT_OK(prle_ridge_fit(&r, &x, ref_y, &p));
    for (size_t j = 0; r && j < REF_D; j++)
        PT_NEAR(prle_ridge_coef(r)[j], ref_ols_coef[j], 1e-9);
    PT_NEAR(prle_ridge_intercept(r), ref_ols_icpt, 1e-9);
    prle_ridge_free(r);
    r = NULL;

    prle_matrix xr = mat(ref_xr, REF_N, REF_D + 1); /* rank-deficient: the minimum-norm answer */
    PT_OK(prle_ridge_fit(&r, &xr, ref_y, &p));
    for (size_t j = 0; r && j < REF_D + 1; j++)
        PT_NEAR(prle_ridge_coef(r)[j], ref_olsr_coef[j], 1e-6);
    PT_NEAR(prle_ridge_intercept(r), ref_olsr_icpt, 1e-6);
    PT_FAILS(prle_ridge_predict(pred, r, &x), PRLE_ESHAPE, "columns");
    prle_ridge_free(r);

    p.alpha = -1;
    PT_FAILS(prle_ridge_fit(&r, &x, ref_y, &p), PRLE_EINVAL, "alpha");
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&xr);
}

/* Wide data (n <= d): the Cholesky of Xc Xc^T + alpha I gives the SVD's ridge, and the
 * answer solves the normal equations (Xc^T Xc + alpha I) coef = Xc^T yc. */
static void test_baselines__ridge_wide(void)
{
    enum { N = 30, D = 70 };
    prle_matrix x = {0};
    float y[N];
    uint32_t s = 12345;
    PT_OK(prle_matrix_alloc(&x, N, D));
    for (size_t i = 0; i < N * D; i++) {
        s = s * 1664525u + 1013904223u;
        x.data[i] = (float)(s >> 8) / 16777216.0f - 0.5f + (i % D == 3 ? 2.0f : 0.0f);
    }
    for (size_t i = 0; i < N; i++)
        y[i] = 3.0f * x.data[i * D] - x.data[i * D + 5] + 0.1f * (float)(i % 7) + 4.0f;
    prle_ridge_params p = prle_ridge_default_params();
    const double alphas[3] = {1e-3, 0.5, 0.0}; /* the 0 sends this path to the SVD */
    for (int a = 0; a < 2; a++) {
        prle_ridge *dual = NULL, *svd[3] = {NULL, NULL, NULL};
        p.alpha = alphas[a];
        PT_OK(prle_ridge_fit(&dual, &x, y, &p));
        PT_OK(prle__ridge_fit_path(svd, alphas, 3, &x, y, &p));
        if (!dual || !svd[a])
            continue;
        const double *c = prle_ridge_coef(dual);
        for (size_t j = 0; j < D; j++)
            PT_NEAR(c[j], prle_ridge_coef(svd[a])[j], 1e-9);
        PT_NEAR(prle_ridge_intercept(dual), prle_ridge_intercept(svd[a]), 1e-9);
        double xm[D] = {0}, ym = 0, r[N], worst = 0;
        for (size_t i = 0; i < N; i++) {
            ym += y[i] / (double)N;
            for (size_t j = 0; j < D; j++)
                xm[j] += x.data[i * D + j] / (double)N;
        }
        for (size_t i = 0; i < N; i++) { /* Xc coef - yc */
            r[i] = -(y[i] - ym);
            for (size_t j = 0; j < D; j++)
                r[i] += (x.data[i * D + j] - xm[j]) * c[j];
        }
        for (size_t j = 0; j < D; j++) {
            double g = alphas[a] * c[j];
            for (size_t i = 0; i < N; i++)
                g += (x.data[i * D + j] - xm[j]) * r[i];
            worst = fabs(g) > worst ? fabs(g) : worst;
        }
        PT_NEAR(worst, 0.0, 1e-9);
        prle_ridge_free(dual);
        for (int k = 0; k < 3; k++)
            prle_ridge_free(svd[k]);
    }
    prle_matrix_dispose(&x);
}

static void knn_case(const prle_matrix *x, const prle_matrix *q, size_t k, prle_knn_weights w,
                     prle_knn_metric metric, bool standardize, const double *want)
{
    prle_knn_params p = prle_knn_default_params();
    p.k = k, p.weights = w, p.metric = metric, p.standardize = standardize;
    prle_knn *m = NULL;
    float pred[REF_M];
    PT_OK(prle_knn_fit(&m, x, ref_y, &p));
    PT_OK(prle_knn_predict(pred, m, q));
    check_pred(pred, want, REF_M, 1e-5);
    prle_knn_free(m);
}

static void test_baselines__knn_vs_sklearn(void)
{
    prle_matrix x = mat(ref_x, REF_N, REF_D), q = mat(ref_q, REF_M, REF_D);
    knn_case(&x, &q, 3, PRLE_KNN_UNIFORM, PRLE_KNN_EUCLIDEAN, true, ref_knn3_uniform);
    knn_case(&x, &q, 3, PRLE_KNN_DISTANCE, PRLE_KNN_EUCLIDEAN, true, ref_knn3_distance);
    knn_case(&x, &q, 5, PRLE_KNN_UNIFORM, PRLE_KNN_EUCLIDEAN, true, ref_knn5_uniform);
    knn_case(&x, &q, 5, PRLE_KNN_DISTANCE, PRLE_KNN_EUCLIDEAN, true, ref_knn5_distance);
    knn_case(&x, &q, 4, PRLE_KNN_UNIFORM, PRLE_KNN_COSINE, false, ref_knn4_cosine);

    /* a query equal to a training row: distance weights give that row all the weight */
    prle_knn_params p = prle_knn_default_params();
    p.k = 5, p.weights = PRLE_KNN_DISTANCE;
    prle_knn *m = NULL;
    prle_matrix one = mat(ref_x + 7 * REF_D, 1, REF_D);
    float pred[1];
    PT_OK(prle_knn_fit(&m, &x, ref_y, &p));
    PT_OK(prle_knn_predict(pred, m, &one));
    PT_NEAR(pred[0], ref_y[7], 1e-6);
    prle_knn_free(m);
    m = NULL;
    p.k = REF_N + 1;
    PT_FAILS(prle_knn_fit(&m, &x, ref_y, &p), PRLE_EINVAL, "k = 41");
    prle_matrix_dispose(&one);
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&q);
}

static void test_baselines__knn_ties_by_index(void)
{
    /* four training rows at the same distance from the query: the lower indices win */
    const float xv[] = {1, 0, -1, 0, 0, 1, 0, -1, 5, 5};
    const float yv[] = {1, 2, 3, 4, 100};
    prle_matrix x = mat(xv, 5, 2), q = {0};
    PT_OK(prle_matrix_alloc(&q, 1, 2));
    prle_knn_params p = prle_knn_default_params();
    p.k = 2, p.standardize = false;
    prle_knn *m = NULL;
    float pred[1];
    PT_OK(prle_knn_fit(&m, &x, yv, &p));
    PT_OK(prle_knn_predict(pred, m, &q));
    PT_NEAR(pred[0], 1.5, 1e-6);
    prle_knn_free(m);
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&q);
}

static void test_baselines__svr_vs_sklearn(void)
{
    prle_matrix x = mat(ref_x, REF_N, REF_D), q = mat(ref_q, REF_M, REF_D);
    prle_svr_params p = prle_svr_default_params();
    prle_svr *m = NULL;
    float pred[REF_M];
    PT_OK(prle_svr_fit(&m, &x, ref_y, &p));
    PT_OK(prle_svr_predict(pred, m, &q));
    check_pred(pred, ref_svr1, REF_M, 1e-4);
    PT_EQ_INT(prle_svr_n_sv(m), REF_SVR1_NSV);
    prle_svr_free(m);
    m = NULL;

    p.C = 10, p.epsilon = 0.05, p.gamma_mode = PRLE_SVR_GAMMA_AUTO;
    PT_OK(prle_svr_fit(&m, &x, ref_y, &p));
    PT_OK(prle_svr_predict(pred, m, &q));
    check_pred(pred, ref_svr2, REF_M, 1e-4);
    PT_EQ_INT(prle_svr_n_sv(m), REF_SVR2_NSV);
    PT_NEAR(prle_svr_gamma_used(m), 1.0 / REF_D, 1e-15);
    prle_svr_free(m);
    m = NULL;

    p.C = 0;
    PT_FAILS(prle_svr_fit(&m, &x, ref_y, &p), PRLE_EINVAL, "C must be > 0");
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&q);
}

/* One kernel table refilled in place (the grid's gammas, then its refit on more rows) fits
 * what a kernel of its own fits: first half the rows with room for all, then all rows for
 * another gamma (scikit-learn's numbers), then the half again (the same bits as a new fit). */
/* A kernel table larger than 3/4 of the machine's memory is refused with the sizes, before
 * anything is allocated (room for 400,000 rows: 1.3 TB). */
static void test_baselines__svr_table_too_big(void)
{
    prle_matrix x = mat(ref_x, REF_N, REF_D);
    prle__svr_kernel *k = NULL;
    PT_FAILS(prle__svr_kernel_new(&k, &x, ref_y, PRLE_SVR_GAMMA_SCALE, 0, true, 400000, NULL, NULL,
                                  NULL),
             PRLE_ENOMEM, "kernel table of 400000 rows needs 1280.0 GB, more than 3/4 of");
    PT_CHECK(k == NULL);
    prle_matrix_dispose(&x);
}

static void test_baselines__svr_kernel_refilled(void)
{
    size_t half = REF_N / 2;
    prle_matrix x = mat(ref_x, REF_N, REF_D), q = mat(ref_q, REF_M, REF_D);
    prle_matrix xh = mat(ref_x, half, REF_D);
    prle_svr_params p = prle_svr_default_params(), p2 = p;
    p2.C = 10, p2.epsilon = 0.05, p2.gamma_mode = PRLE_SVR_GAMMA_AUTO;
    prle__svr_kernel *k = NULL;
    prle_svr *m = NULL, *own = NULL;
    float pred[REF_M], want[REF_M];
    PT_OK(prle__svr_kernel_new(&k, &xh, ref_y, p.gamma_mode, 0, true, REF_N, NULL, NULL, NULL));
    PT_OK(prle__svr_kernel_set(k, &x, ref_y, p2.gamma_mode, 0, true, 0, NULL, NULL, NULL));
    PT_OK(prle__svr_fit_kernel(&m, k, &p2));
    PT_OK(prle_svr_predict(pred, m, &q));
    check_pred(pred, ref_svr2, REF_M, 1e-4);
    PT_EQ_INT(prle_svr_n_sv(m), REF_SVR2_NSV);
    prle_svr_free(m);
    m = NULL;
    PT_OK(prle__svr_kernel_set(k, &xh, ref_y, p.gamma_mode, 0, true, 0, NULL, NULL, NULL));
    PT_OK(prle__svr_fit_kernel(&m, k, &p));
    PT_OK(prle_svr_predict(pred, m, &q));
    PT_OK(prle_svr_fit(&own, &xh, ref_y, &p));
    PT_OK(prle_svr_predict(want, own, &q));
    PT_EQ_INT(prle_svr_n_sv(m), prle_svr_n_sv(own));
    PT_CHECK(memcmp(pred, want, sizeof pred) == 0);
    prle_svr_free(m);
    prle_svr_free(own);
    prle__svr_kernel_free(k);
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&xh);
    prle_matrix_dispose(&q);
}

static void test_baselines__tree_vs_sklearn(void)
{
    prle_matrix x = mat(ref_x, REF_N, REF_D), q = mat(ref_q, REF_M, REF_D);
    prle_tree_params p = prle_tree_default_params();
    prle_tree *t = NULL;
    float pred[REF_N];
    PT_OK(prle_tree_fit(&t, &x, ref_y, &p));
    PT_EQ_INT(prle_tree_n_nodes(t), REF_TREE_FULL_NODES);
    PT_OK(prle_tree_predict(pred, t, &x)); /* a full tree reproduces its training labels */
    check_pred(pred, ref_tree_full_train, REF_N, 1e-6);
    prle_tree_free(t);
    t = NULL;

    p.max_depth = 3, p.min_samples_leaf = 2;
    PT_OK(prle_tree_fit(&t, &x, ref_y, &p));
    PT_EQ_INT(prle_tree_n_nodes(t), REF_TREE_D3_NODES);
    PT_CHECK(prle_tree_depth(t) <= 3);
    PT_OK(prle_tree_predict(pred, t, &q));
    check_pred(pred, ref_tree_d3, REF_M, 1e-6);
    prle_tree_free(t);
    t = NULL;

    p.max_depth = 0, p.min_samples_leaf = 4;
    PT_OK(prle_tree_fit(&t, &x, ref_y, &p));
    PT_EQ_INT(prle_tree_n_nodes(t), REF_TREE_LEAF4_NODES);
    PT_OK(prle_tree_predict(pred, t, &q));
    check_pred(pred, ref_tree_leaf4, REF_M, 1e-6);
    prle_tree_free(t);
    t = NULL;

    p.min_samples_leaf = 0;
    PT_FAILS(prle_tree_fit(&t, &x, ref_y, &p), PRLE_EINVAL, "min_samples_leaf");
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&q);
}

/* a smooth target on (n, d) seeded data */
static void synth(prle_matrix *x, float *y, size_t n, size_t d, uint64_t index)
{
    prle_rng r;
    prle_rng_init(&r, 7, "test.baselines", index);
    PT_OK(prle_matrix_alloc(x, n, d));
    for (size_t i = 0; i < n; i++) {
        float *row = prle_matrix_row(x, i);
        for (size_t j = 0; j < d; j++)
            row[j] = (float)prle_rng_normal(&r);
        y[i] = (float)(sin(row[0]) + 0.5 * row[1] * row[1] - 0.3 * row[2] +
                       0.05 * prle_rng_normal(&r));
    }
}

static void test_baselines__forest(void)
{
    enum { N = 300, M = 200, D = 6 };
    prle_matrix x = {0}, q = {0};
    float y[N], yq[M], p1[M], p2[M], p3[M];
    synth(&x, y, N, D, 0);
    synth(&q, yq, M, D, 1);
    prle_forest_params fp = prle_forest_default_params();
    fp.n_trees = 30, fp.max_features = 0.5, fp.n_threads = 1;
    prle_forest *f = NULL;
    PT_OK(prle_forest_fit(&f, &x, y, &fp));
    PT_EQ_INT(prle_forest_n_trees(f), 30);
    PT_OK(prle_forest_predict(p1, f, &q));
    prle_forest_free(f);
    f = NULL;
    fp.n_threads = 2; /* same seed, other thread count: the same forest */
    PT_OK(prle_forest_fit(&f, &x, y, &fp));
    PT_OK(prle_forest_predict(p2, f, &q));
    PT_CHECK(memcmp(p1, p2, sizeof p1) == 0);
    prle_forest_free(f);
    f = NULL;
    fp.seed = 43; /* another seed: other draws */
    PT_OK(prle_forest_fit(&f, &x, y, &fp));
    PT_OK(prle_forest_predict(p3, f, &q));
    PT_CHECK(memcmp(p1, p3, sizeof p1) != 0);
    prle_forest_free(f);
    f = NULL;

    prle_metrics mt;
    PT_OK(prle_metrics_compute(&mt, yq, p1, M));
    PT_CHECK(mt.r2 > 0.6);
    PT_CHECK(mt.pearson > 0.8);

    /* no bootstrap and every feature: each tree is the single CART tree */
    fp.bootstrap = false, fp.max_features = 1.0, fp.n_trees = 3;
    prle_tree *t = NULL;
    prle_tree_params tp = prle_tree_default_params();
    PT_OK(prle_forest_fit(&f, &x, y, &fp));
    PT_OK(prle_tree_fit(&t, &x, y, &tp));
    PT_OK(prle_forest_predict(p1, f, &q));
    PT_OK(prle_tree_predict(p2, t, &q));
    for (size_t i = 0; i < M; i++)
        PT_NEAR(p1[i], p2[i], 1e-6);
    prle_tree_free(t);
    prle_forest_free(f);
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&q);
}

static void test_baselines__grid(void)
{
    enum { NTR = 200, NVA = 80, NTE = 100, D = 5 };
    prle_matrix xtr = {0}, xva = {0}, xte = {0};
    float ytr[NTR], yva[NVA], yte[NTE], p1[NTE], p2[NTE];
    synth(&xtr, ytr, NTR, D, 2);
    synth(&xva, yva, NVA, D, 3);
    synth(&xte, yte, NTE, D, 4);
    prle_baselines_params bp = prle_baselines_default_params();
    bp.forest_trees = 10;
    bp.knn_cosine = true;
    const size_t points[PRLE_BASELINE_COUNT] = {1, 4, 28, 24, 16, 4};
    for (int k = 0; k < PRLE_BASELINE_COUNT; k++) {
        prle_baseline_result r1, r2;
        bp.n_threads = 1;
        PT_OK(prle_baselines_run(&r1, p1, (prle_baseline_kind)k, &xtr, ytr, &xva, yva, &xte, yte,
                                 &bp));
        bp.n_threads = 2;
        PT_OK(prle_baselines_run(&r2, p2, (prle_baseline_kind)k, &xtr, ytr, &xva, yva, &xte, yte,
                                 &bp));
        PT_EQ_INT(r1.n_points, points[k]);
        PT_EQ_STR(r1.best, r2.best);
        for (size_t i = 0; i < NTE; i++)
            PT_NEAR(p1[i], p2[i], 1e-5 * fabs(p1[i]) + 1e-6);
        PT_CHECK(r1.test.pearson > (k <= PRLE_BASELINE_RIDGE ? 0.3 : 0.6));
        prle_baseline_kind back;
        PT_OK(prle_baseline_from_name(&back, prle_baseline_name((prle_baseline_kind)k)));
        PT_EQ_INT(back, k);
    }
    prle_baseline_kind bad;
    PT_FAILS(prle_baseline_from_name(&bad, "lasso"), PRLE_EINVAL, "lasso");
    prle_baseline_result r;
    PT_FAILS(
        prle_baselines_run(&r, NULL, PRLE_BASELINE_RIDGE, &xtr, ytr, &xva, yva, &xtr, NULL, &bp),
        PRLE_EINVAL, "test");
    prle_matrix_dispose(&xtr);
    prle_matrix_dispose(&xva);
    prle_matrix_dispose(&xte);
}

/* `take` rows of (x, y) as prle_baselines_run draws its SVR sample: prle_rng_sample of stream
 * (seed, "baselines.svr.rows", split), in order. */
static void draw(prle_matrix *xs, float *ys, const prle_matrix *x, const float *y, size_t take,
                 uint64_t seed, uint64_t split)
{
    size_t rows[256];
    prle_rng rng;
    prle_rng_init(&rng, seed, "baselines.svr.rows", split);
    PT_OK(prle_rng_sample(&rng, rows, x->rows, take));
    PT_OK(prle_matrix_alloc(xs, take, x->cols));
    for (size_t i = 0; i < take; i++) {
        memcpy(prle_matrix_row(xs, i), prle_matrix_row(x, rows[i]), x->cols * sizeof(float));
        ys[i] = y[rows[i]];
    }
}

/* Beyond svr_max_rows the SVR sees a sample of each split in proportion: the same grid choice,
 * predictions and metrics as the SVR given only those rows (here 100 of 280: 71 of 200 training
 * rows, the 29 left of 80 validation rows); 0 = all rows; other kinds take every row. */
static void test_baselines__svr_sample(void)
{
    enum { NTR = 200, NVA = 80, NTE = 60, D = 5, CAP = 100, TTR = 71, TVA = 29 };
    prle_matrix xtr = {0}, xva = {0}, xte = {0}, str = {0}, sva = {0};
    float ytr[NTR], yva[NVA], yte[NTE], p1[NTE], p2[NTE], s_ytr[TTR], s_yva[TVA];
    synth(&xtr, ytr, NTR, D, 2);
    synth(&xva, yva, NVA, D, 3);
    synth(&xte, yte, NTE, D, 4);
    prle_baselines_params bp = prle_baselines_default_params();
    PT_EQ_INT(bp.svr_max_rows, 10000);
    bp.svr_max_rows = CAP;
    bp.seed = 7;
    prle_baseline_result r1, r2;
    PT_OK(prle_baselines_run(&r1, p1, PRLE_BASELINE_SVR, &xtr, ytr, &xva, yva, &xte, yte, &bp));
    PT_EQ_INT(r1.fit_rows, CAP);
    draw(&str, s_ytr, &xtr, ytr, TTR, 7, 0);
    draw(&sva, s_yva, &xva, yva, TVA, 7, 1);
    bp.svr_max_rows = 0;
    PT_OK(prle_baselines_run(&r2, p2, PRLE_BASELINE_SVR, &str, s_ytr, &sva, s_yva, &xte, yte, &bp));
    PT_EQ_INT(r2.fit_rows, CAP);
    PT_EQ_STR(r1.best, r2.best);
    PT_CHECK(r1.val_mse == r2.val_mse);
    PT_CHECK(memcmp(p1, p2, sizeof p1) == 0);
    PT_CHECK(r1.test.pearson == r2.test.pearson && r1.test.pearson > 0.5);
    /* every row: another fit */
    PT_OK(prle_baselines_run(&r2, p2, PRLE_BASELINE_SVR, &xtr, ytr, &xva, yva, &xte, yte, &bp));
    PT_EQ_INT(r2.fit_rows, NTR + NVA);
    PT_CHECK(memcmp(p1, p2, sizeof p1) != 0);
    bp.svr_max_rows = CAP;
    PT_OK(prle_baselines_run(&r2, p2, PRLE_BASELINE_KNN, &xtr, ytr, &xva, yva, &xte, yte, &bp));
    PT_EQ_INT(r2.fit_rows, NTR + NVA);
    prle_matrix_dispose(&xtr), prle_matrix_dispose(&xva), prle_matrix_dispose(&xte);
    prle_matrix_dispose(&str), prle_matrix_dispose(&sva);
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_baselines__ridge_vs_sklearn);
    PT_RUN(test_baselines__ridge_wide);
    PT_RUN(test_baselines__knn_vs_sklearn);
    PT_RUN(test_baselines__knn_ties_by_index);
    PT_RUN(test_baselines__svr_vs_sklearn);
    PT_RUN(test_baselines__svr_table_too_big);
    PT_RUN(test_baselines__svr_kernel_refilled);
    PT_RUN(test_baselines__tree_vs_sklearn);
    PT_RUN(test_baselines__forest);
    PT_RUN(test_baselines__grid);
    PT_RUN(test_baselines__svr_sample);
    return pt_report();
}
