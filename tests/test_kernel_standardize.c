/* LABELS: unit */
/* kernel.standardize_inputs: g((x - mu) s) with mu the training rows' column mean and s one
 * over their standard deviation, frozen tensors `projection_head.input_mean` and
 * `projection_head.input_scale`. A standardised kernel on x equals the same weights plain on
 * (x - mu) s, a standardised fit equals a plain fit on the standardised rows bit for bit, mu
 * and s are the columns' mean and scale, the tensors survive a safetensors round trip while a
 * file of the other kind is refused; the rule of the default (prle_kernel_standardize_test)
 * gives scikit-learn's ridges (tools/ref/standardize_ref.py) and decides the fit. The
 * gradients of standardised heads are in test_kernel.c (check_head). */
#include <math.h>
#include <string.h>

#include "prle_test.h"

#include "kernel/kernel_int.h"
#include "kernel_heads.h"
#include "prle/safetensors.h"
#include "standardize_ref.h"

enum { N = 40, NV = 12, H = 6 };

/* Columns on scales 1 ... 1e-3 about an offset, labels 0-1 from the smallest column. */
static void data(prle_matrix *x, float *y, size_t n, uint64_t seed)
{
    PT_OK(prle_matrix_alloc(x, n, H));
    pt_fill_normal(x->data, n * H, seed, "test.standardize.x");
    for (size_t i = 0; i < n; i++) {
        float scale = 1.0f;
        for (size_t j = 0; j < H; j++, scale *= 0.25f)
            x->data[i * H + j] = 1.0f + scale * x->data[i * H + j];
        y[i] = 0.5f + 0.5f * tanhf((x->data[i * H + H - 1] - 1.0f) * 1024.0f);
    }
}

static float *tensor(prle_kernel *k, size_t i)
{
    return k->pb.params + k->head.t[i].offset;
}

/* (x - mu) s in float, as the head computes it. */
static void standardized_copy(prle_matrix *out, const prle_matrix *x, const float *mu,
                              const float *s)
{
    PT_OK(prle_matrix_alloc(out, x->rows, x->cols));
    for (size_t i = 0; i < x->rows; i++)
        for (size_t j = 0; j < x->cols; j++)
            out->data[i * x->cols + j] = (x->data[i * x->cols + j] - mu[j]) * s[j];
}

static void check_apply(const char *what, prle_kernel_params p)
{
    prle_kernel *ks = NULL, *kp = NULL;
    prle_matrix x = {0}, xs = {0}, zs = {0}, zp = {0};
    float y[N];
    p.standardize_inputs = true;
    PT_OK(prle_kernel_new(&ks, H, &p));
    p.standardize_inputs = false;
    PT_OK(prle_kernel_new(&kp, H, &p));
    PT_CHECK(ks->head.scaled && ks->head.centered && !kp->head.scaled && !kp->head.centered);
    /* mean and scale come last and do not move the other tensors or their initial values */
    PT_EQ_INT(ks->head.n_tensors, kp->head.n_tensors + 2);
    PT_EQ_INT(ks->head.n_train, kp->head.n_train);
    PT_EQ_INT(ks->head.in_scale, ks->head.n_tensors - 1);
    PT_CHECK(memcmp(ks->pb.params, kp->pb.params, kp->head.n_params * sizeof(float)) == 0);
    const prle__tensor *t = &ks->head.t[ks->head.in_scale];
    PT_EQ_STR(t->name, "projection_head.input_scale");
    PT_CHECK(!t->trainable && t->ndim == 1 && t->shape[0] == H);
    for (size_t j = 0; j < H; j++)
        PT_NEAR(tensor(ks, ks->head.in_scale)[j], 1.0, 0); /* until a fit sets it */
    data(&x, y, N, 3);
    for (size_t j = 0; j < H; j++) {
        tensor(ks, ks->head.in_mean)[j] = 0.75f + 0.125f * (float)j;
        tensor(ks, ks->head.in_scale)[j] = 0.5f + 3.0f * (float)j;
    }
    standardized_copy(&xs, &x, tensor(ks, ks->head.in_mean), tensor(ks, ks->head.in_scale));
    PT_OK(prle_kernel_apply(&zs, ks, &x, 2));
    PT_OK(prle_kernel_apply(&zp, kp, &xs, 2));
    if (memcmp(zs.data, zp.data, N * zs.cols * sizeof(float)))
        PT_FAIL_AT("%s: standardised kernel on x differs from the plain one on (x - mu) s", what);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xs);
    prle_matrix_dispose(&zs), prle_matrix_dispose(&zp);
    prle_kernel_free(ks), prle_kernel_free(kp);
}

static void test_kernel_standardize__apply_every_head(void)
{
    each_head(check_apply);
}

static void test_kernel_standardize__fit_equals_fit_on_standardized_rows(void)
{
    prle_matrix x = {0}, xv = {0}, xs = {0}, xvs = {0};
    float y[N], yv[NV];
    data(&x, y, N, 7);
    data(&xv, yv, NV, 8);
    prle_kernel_params p = prle_kernel_default_params();
    p.hidden_dim = 5, p.batch_size = 16, p.max_epochs = 3, p.learning_rate = 1e-2, p.seed = 9;
    p.standardize_inputs = true;
    prle_kernel *ks = NULL, *kp = NULL;
    PT_OK(prle_kernel_fit(&ks, &x, y, &xv, yv, &p));
    PT_CHECK(prle_kernel_get_params(ks)->standardize_inputs == 1 &&
             prle_kernel_get_params(ks)->center_inputs == 1);
    /* mu and 1 / s are the training rows' column mean and population standard deviation */
    for (size_t j = 0; j < H; j++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < N; i++)
            m += x.data[i * H + j];
        m /= N;
        for (size_t i = 0; i < N; i++)
            v += (x.data[i * H + j] - m) * (x.data[i * H + j] - m);
        PT_NEAR(tensor(ks, ks->head.in_mean)[j], m, 1e-6);
        PT_NEAR(tensor(ks, ks->head.in_scale)[j] * sqrt(v / N), 1.0, 1e-6);
    }
    standardized_copy(&xs, &x, tensor(ks, ks->head.in_mean), tensor(ks, ks->head.in_scale));
    standardized_copy(&xvs, &xv, tensor(ks, ks->head.in_mean), tensor(ks, ks->head.in_scale));
    p.standardize_inputs = false, p.center_inputs = false;
    PT_OK(prle_kernel_fit(&kp, &xs, y, &xvs, yv, &p));
    PT_CHECK(memcmp(ks->pb.params, kp->pb.params, kp->head.n_params * sizeof(float)) == 0);
    size_t ns, np;
    const prle_kernel_epoch *es = prle_kernel_history(ks, &ns), *ep = prle_kernel_history(kp, &np);
    PT_EQ_INT(ns, 3);
    PT_EQ_INT(np, 3);
    for (size_t e = 0; e < 3; e++)
        PT_NEAR(es[e].val_pair, ep[e].val_pair, 0);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xv);
    prle_matrix_dispose(&xs), prle_matrix_dispose(&xvs);
    prle_kernel_free(ks), prle_kernel_free(kp);
}

static void test_kernel_standardize__save_load(void)
{
    const char *path = pt_tmp("kernel_std.safetensors");
    const char *plain = pt_tmp("kernel_std_plain.safetensors");
    prle_kernel_params p = prle_kernel_default_params();
    p.standardize_inputs = true;
    prle_kernel *k = NULL, *back = NULL;
    PT_OK(prle_kernel_new(&k, H, &p));
    for (size_t j = 0; j < H; j++)
        tensor(k, k->head.in_scale)[j] = 0.25f + (float)j;
    PT_OK(prle_kernel_save(k, path));

    prle_st_file *f = NULL;
    prle_st_tensor_info info;
    PT_OK(prle_st_open(&f, path));
    PT_OK(prle_st_find(&info, f, "projection_head.input_scale"));
    PT_CHECK(info.ndim == 1 && info.shape[0] == H);
    PT_EQ_STR(prle_st_metadata_get(f, "standardize_inputs"), "true");
    PT_EQ_STR(prle_st_metadata_get(f, "center_inputs"), "true");
    prle_st_free(f);

    PT_OK(prle_kernel_load(&back, path, NULL, 0)); /* by its metadata */
    PT_CHECK(back->head.scaled && prle_kernel_get_params(back)->standardize_inputs == 1);
    PT_CHECK(memcmp(back->pb.params, k->pb.params, k->head.n_params * sizeof(float)) == 0);
    prle_kernel_free(back);
    PT_OK(prle_kernel_load(&back, path, &p, H)); /* against the config */
    PT_NEAR(tensor(back, back->head.in_scale)[H - 1], 0.25 + (H - 1), 0);
    prle_kernel_free(back);

    prle_kernel_params q = p;
    q.standardize_inputs = false, q.center_inputs = true; /* centred only */
    PT_FAILS(prle_kernel_load(&back, path, &q, H), PRLE_EINVAL,
             "standardize_inputs is true, the config says false");
    prle_kernel_free(k);
    k = NULL;
    PT_OK(prle_kernel_new(&k, H, &q));
    PT_OK(prle_kernel_save(k, plain));
    PT_FAILS(prle_kernel_load(&back, plain, &p, H), PRLE_EINVAL,
             "standardize_inputs is false, the config says true");
    PT_OK(prle_kernel_load(&back, plain, NULL, 0)); /* a file without the key: not scaled */
    PT_CHECK(!back->head.scaled && back->head.centered);
    prle_kernel_free(back);
    prle_kernel_free(k);
}

static prle_matrix view(const float *data, size_t rows, size_t cols)
{
    return (prle_matrix){.data = (float *)data, .rows = rows, .cols = cols};
}

static void test_kernel_standardize__rule_against_sklearn(void)
{
    prle_matrix xt = view(hidden_x_train, HIDDEN_N, HIDDEN_D);
    prle_matrix xv = view(hidden_x_val, HIDDEN_NV, HIDDEN_D);
    prle_standardize_test t;
    prle__ridge_choice raw = {0};
    for (int nt = 1; nt <= 2; nt++) {
        PT_OK(prle__kernel_standardize_test(&t, &xt, hidden_y_train, &xv, hidden_y_val, nt, &raw));
        PT_NEAR(t.mse_raw, HIDDEN_MSE_RAW, 1e-6 * HIDDEN_MSE_RAW);
        PT_NEAR(t.mse_std, HIDDEN_MSE_STD, 1e-6 * HIDDEN_MSE_STD);
        PT_NEAR(t.gain_se, HIDDEN_GAIN_SE, 1e-5);
        PT_EQ_INT(t.standardize, HIDDEN_STANDARDIZE);
        /* the raw ridge handed to the yardstick */
        PT_CHECK(raw.coef && raw.d == HIDDEN_D);
        PT_NEAR(raw.alpha, HIDDEN_RAW_ALPHA, 0);
        PT_NEAR(raw.intercept, HIDDEN_RAW_INTERCEPT, 1e-8);
        for (size_t j = 0; j < HIDDEN_D; j++)
            PT_NEAR(raw.coef[j], hidden_raw_coef[j], 1e-7 * (1 + fabs(hidden_raw_coef[j])));
        prle__ridge_choice_dispose(&raw);
    }
    /* (the predictions are floats: the MSEs agree to about 1e-7) fewer rows than columns: the
     * dual form, rescaled by a new Gram matrix */
    xt = view(dual_x_train, DUAL_N, DUAL_D);
    xv = view(dual_x_val, DUAL_NV, DUAL_D);
    PT_OK(prle_kernel_standardize_test(&t, &xt, dual_y_train, &xv, dual_y_val, 2));
    PT_NEAR(t.mse_raw, DUAL_MSE_RAW, 1e-6 * DUAL_MSE_RAW);
    PT_NEAR(t.mse_std, DUAL_MSE_STD, 1e-6 * DUAL_MSE_STD);
    PT_NEAR(t.gain_se, DUAL_GAIN_SE, 1e-5);
    PT_EQ_INT(t.standardize, DUAL_STANDARDIZE);
    /* col_sd: the columns' standard deviations (StandardScaler's), their root mean square */
    double ss = 0.0;
    for (size_t j = 0; j < DUAL_D; j++) {
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < DUAL_N; i++)
            m += dual_x_train[i * DUAL_D + j] / (double)DUAL_N;
        for (size_t i = 0; i < DUAL_N; i++)
            v += pow(dual_x_train[i * DUAL_D + j] - m, 2) / (double)DUAL_N;
        ss += v / (double)DUAL_D;
    }
    PT_NEAR(t.col_sd, sqrt(ss), 1e-6 * sqrt(ss));
    /* the same rows scaled to a column deviation of 1,000 (a user's raw units): standardised
     * whatever the ridges say (they say no here), since far above unit scale the head's biases
     * lose their say */
    PT_CHECK(!DUAL_STANDARDIZE && sqrt(ss) < 1.0);
    float f = (float)(1000.0 / sqrt(ss));
    prle_matrix big = {0}, bigv = {0};
    PT_OK(prle_matrix_alloc(&big, DUAL_N, DUAL_D));
    PT_OK(prle_matrix_alloc(&bigv, DUAL_NV, DUAL_D));
    for (size_t e = 0; e < DUAL_N * DUAL_D; e++)
        big.data[e] = f * dual_x_train[e];
    for (size_t e = 0; e < DUAL_NV * DUAL_D; e++)
        bigv.data[e] = f * dual_x_val[e];
    PT_OK(prle_kernel_standardize_test(&t, &big, dual_y_train, &bigv, dual_y_val, 2));
    PT_NEAR(t.col_sd, 1000.0, 1e-2);
    PT_CHECK(t.col_sd > 1.0 && t.standardize);
    prle_matrix_dispose(&big), prle_matrix_dispose(&bigv);
    /* too few rows, other widths */
    xv.rows = 1;
    PT_FAILS(prle_kernel_standardize_test(&t, &xt, dual_y_train, &xv, dual_y_val, 1), PRLE_EINVAL,
             "2 training and 2 validation rows");
    xv = view(hidden_x_val, HIDDEN_NV, HIDDEN_D);
    PT_FAILS(prle_kernel_standardize_test(&t, &xt, dual_y_train, &xv, hidden_y_val, 1), PRLE_ESHAPE,
             "6 wide, training rows 20");
}

/* The default decides by the rule: the same bits as the explicit choice; without validation
 * rows there is nothing to decide on and the inputs stay as they are. */
static void test_kernel_standardize__auto(void)
{
    prle_matrix xt = view(hidden_x_train, HIDDEN_N, HIDDEN_D);
    prle_matrix xv = view(hidden_x_val, HIDDEN_NV, HIDDEN_D);
    prle_matrix dt = view(dual_x_train, DUAL_N, DUAL_D), dv = view(dual_x_val, DUAL_NV, DUAL_D);
    prle_kernel_params p = prle_kernel_default_params();
    PT_EQ_INT(p.standardize_inputs, PRLE_KERNEL_STANDARDIZE_AUTO);
    p.hidden_dim = 5, p.batch_size = 16, p.max_epochs = 2, p.learning_rate = 1e-2, p.seed = 9;
    p.label_min = -20, p.label_max = 20;
    struct {
        prle_matrix *x, *xv;
        const float *y, *yv;
        int want;
    } cases[] = {{&xt, &xv, hidden_y_train, hidden_y_val, 1},
                 {&dt, &dv, dual_y_train, dual_y_val, 0}};
    for (size_t c = 0; c < 2; c++) {
        prle_kernel *ka = NULL, *ke = NULL;
        prle_kernel_params e = p;
        e.standardize_inputs = cases[c].want;
        PT_OK(prle_kernel_fit(&ka, cases[c].x, cases[c].y, cases[c].xv, cases[c].yv, &p));
        PT_OK(prle_kernel_fit(&ke, cases[c].x, cases[c].y, cases[c].xv, cases[c].yv, &e));
        PT_EQ_INT(ka->head.scaled, cases[c].want);
        PT_EQ_INT(prle_kernel_get_params(ka)->standardize_inputs, cases[c].want);
        PT_EQ_INT(ka->head.n_params, ke->head.n_params);
        PT_CHECK(memcmp(ka->pb.params, ke->pb.params, ke->head.n_params * sizeof(float)) == 0);
        prle_kernel_free(ka), prle_kernel_free(ke);
    }
    prle_kernel *k = NULL;
    PT_OK(prle_kernel_fit(&k, &xt, hidden_y_train, NULL, NULL, &p));
    PT_CHECK(!k->head.scaled);
    prle_kernel_free(k);
    PT_OK(prle_kernel_new(&k, H, &p));
    PT_CHECK(!k->head.scaled && prle_kernel_get_params(k)->standardize_inputs == 0);
    prle_kernel_free(k);
    p.standardize_inputs = 2;
    PT_FAILS(prle_kernel_new(&k, H, &p), PRLE_EINVAL, "standardize_inputs must be 1, 0 or");
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_kernel_standardize__apply_every_head);
    PT_RUN(test_kernel_standardize__fit_equals_fit_on_standardized_rows);
    PT_RUN(test_kernel_standardize__save_load);
    PT_RUN(test_kernel_standardize__rule_against_sklearn);
    PT_RUN(test_kernel_standardize__auto);
    return pt_report();
}
