/* LABELS: unit */
/* kernel.center_inputs: g(x - mu) with mu the training rows' column mean, a frozen tensor
 * `projection_head.input_mean` of the kernel. A centered kernel on x equals the same weights
 * uncentered on x - mu (every head type), a centered fit equals an uncentered fit on the
 * centered rows bit for bit, mu is the column mean, and the tensor survives a safetensors round
 * trip while a file of the other kind is refused; by default the offset ratio of the training
 * rows decides. The gradients of centered heads are in
 * test_kernel.c (check_head). */
#include <math.h>
#include <string.h>

#include "prle_test.h"

#include "kernel/kernel_int.h"
#include "kernel_heads.h"
#include "prle/safetensors.h"

enum { N = 40, NV = 12, H = 6 };

/* Rows with a large common offset per column (what centering is for), labels 0-1. */
static void data(prle_matrix *x, float *y, size_t n, uint64_t seed)
{
    PT_OK(prle_matrix_alloc(x, n, H));
    pt_fill_normal(x->data, n * H, seed, "test.center.x");
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < H; j++)
            x->data[i * H + j] += 3.0f + 0.5f * (float)j;
        y[i] = 0.5f + 0.5f * tanhf(x->data[i * H] - 3.0f);
    }
}

static float *mu_of(prle_kernel *k)
{
    return k->pb.params + k->head.t[k->head.in_mean].offset;
}

/* x - mu in float, as the head computes it. */
static void centered_copy(prle_matrix *out, const prle_matrix *x, const float *mu)
{
    PT_OK(prle_matrix_alloc(out, x->rows, x->cols));
    for (size_t i = 0; i < x->rows; i++)
        for (size_t j = 0; j < x->cols; j++)
            out->data[i * x->cols + j] = x->data[i * x->cols + j] - mu[j];
}

static void check_apply(const char *what, prle_kernel_params p)
{
    prle_kernel *kc = NULL, *kp = NULL;
    prle_matrix x = {0}, xc = {0}, zc = {0}, zp = {0};
    float y[N];
    p.center_inputs = true;
    PT_OK(prle_kernel_new(&kc, H, &p));
    p.center_inputs = false;
    PT_OK(prle_kernel_new(&kp, H, &p));
    PT_CHECK(kc->head.centered && !kp->head.centered);
    /* the input mean comes last and does not move the other tensors or their initial values */
    PT_EQ_INT(kc->head.n_tensors, kp->head.n_tensors + 1);
    PT_EQ_INT(kc->head.n_train, kp->head.n_train);
    PT_CHECK(memcmp(kc->pb.params, kp->pb.params, kp->head.n_params * sizeof(float)) == 0);
    const prle__tensor *t = &kc->head.t[kc->head.in_mean];
    PT_EQ_STR(t->name, "projection_head.input_mean");
    PT_CHECK(!t->trainable && t->ndim == 1 && t->shape[0] == H);
    for (size_t j = 0; j < H; j++)
        PT_NEAR(mu_of(kc)[j], 0.0, 0);
    data(&x, y, N, 3);
    for (size_t j = 0; j < H; j++)
        mu_of(kc)[j] = 2.5f + 0.25f * (float)j;
    centered_copy(&xc, &x, mu_of(kc));
    PT_OK(prle_kernel_apply(&zc, kc, &x, 2));
    PT_OK(prle_kernel_apply(&zp, kp, &xc, 2));
    if (memcmp(zc.data, zp.data, N * zc.cols * sizeof(float)))
        PT_FAIL_AT("%s: centered kernel on x differs from the plain one on x - mu", what);
    prle_matrix_dispose(&zp);
    PT_OK(prle_kernel_apply(&zp, kp, &x, 2)); /* and the centering does something */
    double diff = 0;
    for (size_t i = 0; i < N * zc.cols; i++)
        diff = fmax(diff, fabs((double)zc.data[i] - zp.data[i]));
    if (!(diff > 1e-3))
        PT_FAIL_AT("%s: centering changed z by only %g", what, diff);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xc);
    prle_matrix_dispose(&zc), prle_matrix_dispose(&zp);
    prle_kernel_free(kc), prle_kernel_free(kp);
}

static void test_kernel_center__apply_every_head(void)
{
    each_head(check_apply);
}

static void test_kernel_center__fit_equals_fit_on_centered_rows(void)
{
    prle_matrix x = {0}, xv = {0}, xc = {0}, xvc = {0};
    float y[N], yv[NV];
    data(&x, y, N, 7);
    data(&xv, yv, NV, 8);
    prle_kernel_params p = prle_kernel_default_params();
    p.hidden_dim = 5, p.batch_size = 16, p.max_epochs = 3, p.learning_rate = 1e-2, p.seed = 9;
    p.center_inputs = true;
    prle_kernel *kc = NULL, *kp = NULL;
    PT_OK(prle_kernel_fit(&kc, &x, y, &xv, yv, &p));
    /* mu is the column mean of the training rows (not of the validation rows) */
    for (size_t j = 0; j < H; j++) {
        double m = 0;
        for (size_t i = 0; i < N; i++)
            m += x.data[i * H + j];
        PT_NEAR(mu_of(kc)[j], m / N, 1e-6);
    }
    centered_copy(&xc, &x, mu_of(kc));
    centered_copy(&xvc, &xv, mu_of(kc));
    p.center_inputs = false;
    PT_OK(prle_kernel_fit(&kp, &xc, y, &xvc, yv, &p));
    PT_CHECK(memcmp(kc->pb.params, kp->pb.params, kp->head.n_params * sizeof(float)) == 0);
    PT_EQ_INT(prle_kernel_kept_epoch(kc), prle_kernel_kept_epoch(kp));
    size_t nc, np;
    const prle_kernel_epoch *ec = prle_kernel_history(kc, &nc), *ep = prle_kernel_history(kp, &np);
    PT_EQ_INT(nc, 3);
    PT_EQ_INT(np, 3);
    for (size_t e = 0; e < 3; e++) {
        PT_NEAR(ec[e].loss, ep[e].loss, 0);
        PT_NEAR(ec[e].val_pair, ep[e].val_pair, 0);
    }
    PT_CHECK(ec[2].loss < ec[0].loss);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xv);
    prle_matrix_dispose(&xc), prle_matrix_dispose(&xvc);
    prle_kernel_free(kc), prle_kernel_free(kp);
}

static void test_kernel_center__save_load(void)
{
    const char *path = pt_tmp("kernel_center.safetensors");
    const char *plain = pt_tmp("kernel_center_plain.safetensors");
    prle_kernel_params p = prle_kernel_default_params();
    p.center_inputs = true;
    prle_kernel *k = NULL, *back = NULL;
    PT_OK(prle_kernel_new(&k, H, &p));
    for (size_t j = 0; j < H; j++)
        mu_of(k)[j] = -1.5f + (float)j;
    PT_OK(prle_kernel_save(k, path));

    prle_st_file *f = NULL;
    prle_st_tensor_info info;
    PT_OK(prle_st_open(&f, path));
    PT_OK(prle_st_find(&info, f, "projection_head.input_mean"));
    PT_CHECK(info.ndim == 1 && info.shape[0] == H);
    PT_EQ_STR(prle_st_metadata_get(f, "center_inputs"), "true");
    prle_st_free(f);

    PT_OK(prle_kernel_load(&back, path, NULL, 0)); /* by its metadata */
    PT_CHECK(back->head.centered && prle_kernel_get_params(back)->center_inputs);
    PT_CHECK(memcmp(back->pb.params, k->pb.params, k->head.n_params * sizeof(float)) == 0);
    prle_kernel_free(back);
    PT_OK(prle_kernel_load(&back, path, &p, H)); /* against the config */
    PT_NEAR(mu_of(back)[H - 1], -1.5 + (H - 1), 0);
    prle_kernel_free(back);

    prle_kernel_params q = p;
    q.center_inputs = false; /* the config does not centre, the file does */
    PT_FAILS(prle_kernel_load(&back, path, &q, H), PRLE_EINVAL,
             "center_inputs is true, the config says false");
    prle_kernel_free(k);
    k = NULL;
    PT_OK(prle_kernel_new(&k, H, &q));
    PT_OK(prle_kernel_save(k, plain));
    PT_FAILS(prle_kernel_load(&back, plain, &p, H), PRLE_EINVAL,
             "center_inputs is false, the config says true");
    PT_OK(prle_kernel_load(&back, plain, NULL, 0));
    PT_CHECK(!back->head.centered);
    prle_kernel_free(back);
    prle_kernel_free(k);
}

/* |mu|^2 / mean |x_i - mu|^2 by hand: rows (1, 2), (3, 4): mu (2, 3), |mu|^2 13, each row 2
 * from mu, so 6.5; rows about the origin 0; equal rows +inf (at the origin NaN); one row NaN. */
static void test_kernel_center__offset_ratio(void)
{
    float a[] = {1, 2, 3, 4}, b[] = {-1, 0, 1, 0}, c[] = {1, 1, 1, 1}, z[] = {0, 0, 0, 0};
    prle_matrix m = {.data = a, .rows = 2, .cols = 2};
    PT_NEAR(prle_kernel_offset_ratio(&m), 6.5, 1e-15);
    m.data = b;
    PT_NEAR(prle_kernel_offset_ratio(&m), 0.0, 0);
    m.data = c;
    PT_CHECK(isinf(prle_kernel_offset_ratio(&m)));
    m.data = z;
    PT_CHECK(isnan(prle_kernel_offset_ratio(&m)));
    m.rows = 1;
    PT_CHECK(isnan(prle_kernel_offset_ratio(&m)));
    PT_CHECK(isnan(prle_kernel_offset_ratio(NULL)));
}

/* The default (PRLE_KERNEL_CENTER_AUTO) centres rows with a large common offset and leaves
 * rows about the origin alone: the same bits as the explicit choice, the params of the fitted
 * kernel say which; prle_kernel_new has no rows to decide from and does not centre. */
static void test_kernel_center__auto(void)
{
    prle_matrix x = {0}, xv = {0};
    float y[N], yv[NV];
    data(&x, y, N, 7); /* column offsets 3 ... 5.5 over unit noise: ratio about 19 */
    data(&xv, yv, NV, 8);
    prle_kernel_params p = prle_kernel_default_params();
    PT_EQ_INT(p.center_inputs, PRLE_KERNEL_CENTER_AUTO);
    p.hidden_dim = 5, p.batch_size = 16, p.max_epochs = 2, p.learning_rate = 1e-2, p.seed = 9;
    PT_CHECK(prle_kernel_offset_ratio(&x) > 10.0);
    for (int pass = 0; pass < 2; pass++) {
        prle_kernel *ka = NULL, *ke = NULL;
        prle_kernel_params e = p;
        e.center_inputs = pass == 0;
        PT_OK(prle_kernel_fit(&ka, &x, y, &xv, yv, &p));
        PT_OK(prle_kernel_fit(&ke, &x, y, &xv, yv, &e));
        PT_EQ_INT(ka->head.centered, pass == 0);
        PT_EQ_INT(prle_kernel_get_params(ka)->center_inputs, pass == 0);
        PT_EQ_INT(ka->head.n_params, ke->head.n_params);
        PT_CHECK(memcmp(ka->pb.params, ke->pb.params, ke->head.n_params * sizeof(float)) == 0);
        prle_kernel_free(ka), prle_kernel_free(ke);
        /* then the same rows moved to the origin: ratio near 0 */
        for (prle_matrix *m = &x; m; m = m == &x ? &xv : NULL)
            for (size_t i = 0; i < m->rows; i++)
                for (size_t j = 0; j < H; j++)
                    m->data[i * H + j] -= 3.0f + 0.5f * (float)j;
        if (pass == 0)
            PT_CHECK(prle_kernel_offset_ratio(&x) < 0.1);
    }
    prle_kernel *k = NULL;
    PT_OK(prle_kernel_new(&k, H, &p));
    PT_CHECK(!k->head.centered && prle_kernel_get_params(k)->center_inputs == 0);
    prle_kernel_free(k);
    p.center_inputs = 2;
    PT_FAILS(prle_kernel_new(&k, H, &p), PRLE_EINVAL, "center_inputs must be 1, 0 or");
    prle_matrix_dispose(&x), prle_matrix_dispose(&xv);
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_kernel_center__apply_every_head);
    PT_RUN(test_kernel_center__fit_equals_fit_on_centered_rows);
    PT_RUN(test_kernel_center__save_load);
    PT_RUN(test_kernel_center__offset_ratio);
    PT_RUN(test_kernel_center__auto);
    return pt_report();
}
