/* The predictor handle (issue 14): fit on matrices with and without validation rows, predict,
 * explain (contributions add up; train_row is the caller's row, its value-space vector the
 * prototype), the same bits at 1 and 2 threads, label range from y, small sets, bad input;
 * and what bindings use: params from config keys, the file in memory (and one of the format
 * before the neighbour term and before intervals), many rows explained; the neighbour term's
 * rows and prediction against a search here; split-conformal intervals on the held-out rows
 * against the order statistic computed here; the caller's text kept in the file (and a file
 * of the format before it).
 * LABELS: unit */
#include "prle_test.h"

#include "data/download.h"
#include "io/endian.h"
#include "io/safetensors_int.h"
#include "prle/predictor.h"
#include "predictor_fixture.h"

static void test_predictor__fit_predict_explain(void)
{
    static float y[500], yv[100], yt[200], yhat[200], yhat2[200];
    prle_matrix x, xv, xt;
    problem(&x, y, 500, 1);
    problem(&xv, yv, 100, 2);
    problem(&xt, yt, 200, 3);
    prle_predictor_params pp = prle_predictor_default_params();
    pp.n_threads = 1;
    prle_predictor *p = NULL, *q = NULL;
    PT_OK(prle_predictor_fit(&p, &x, y, &xv, yv, &pp));
    PT_OK(prle_predictor_predict(yhat, p, &xt));
    /* nonlinear labels: PRLE beats the ridge, the kernel stays the default's */
    PT_EQ_INT(prle_kernel_type(prle_predictor_kernel(p)), PRLE_HEAD_RESMLP);
    double got = r2(yt, yhat, 200);
    if (!(got > 0.9))
        PT_FAIL_AT("R^2 %.3f with validation rows", got);
    /* label range from y */
    float lo = y[0];
    for (size_t i = 1; i < 500; i++)
        lo = y[i] < lo ? y[i] : lo;
    PT_NEAR(prle_model_get_params(prle_predictor_model(p))->label_min, lo, 1e-6);
    /* 2 threads: the same bits */
    pp.n_threads = 2;
    PT_OK(prle_predictor_fit(&q, &x, y, &xv, yv, &pp));
    PT_OK(prle_predictor_predict(yhat2, q, &xt));
    PT_CHECK(memcmp(yhat, yhat2, sizeof yhat) == 0);
    prle_predictor_free(q);
    prle_predictor_free(p);
    p = NULL;

    /* no validation rows: 15 % of x held out, rows of explanations still the caller's; without
     * the refit on every row (test_predictor_refit.c), so the file keeps a row map */
    pp.refit = false;
    PT_OK(prle_predictor_fit(&p, &x, y, NULL, NULL, &pp));
    PT_OK(prle_predictor_predict(yhat, p, &xt));
    got = r2(yt, yhat, 200);
    if (!(got > 0.85))
        PT_FAIL_AT("R^2 %.3f with the held-out share", got);
    prle_explain_item items[3];
    float rest, pred;
    size_t k = prle_predictor_explain(items, &rest, &pred, p, prle_matrix_row(&xt, 0), 3);
    PT_EQ_INT(k, 3);
    PT_NEAR(pred, yhat[0], 1e-5);
    double sum = rest;
    for (size_t i = 0; i < k; i++)
        sum += items[i].contribution;
    PT_NEAR(sum, pred, 1e-4);
    /* the heaviest prototype is the caller's row train_row, mapped by the kernel */
    const prle_model *m = prle_predictor_model(p);
    prle_matrix one = {.data = prle_matrix_row(&x, items[0].train_row), .rows = 1, .cols = D};
    prle_matrix z = {0};
    PT_CHECK(items[0].train_row < 500);
    PT_OK(prle_kernel_apply(&z, prle_predictor_kernel(p), &one, 1));
    const float *proto = prle_model_prototypes(m) + items[0].prototype * prle_model_dim(m);
    for (size_t j = 0; j < prle_model_dim(m) && z.data; j++)
        PT_NEAR(z.data[j], proto[j], 1e-6);
    prle_matrix_dispose(&z);

    /* one file: the same bits after a load, the same rows in explanations */
    const char *path = pt_tmp("p.prle");
    PT_OK(prle_predictor_save(p, path));
    prle_predictor *back = NULL;
    PT_OK(prle_predictor_load(&back, path));
    if (back) {
        PT_OK(prle_predictor_predict(yhat2, back, &xt));
        PT_CHECK(memcmp(yhat, yhat2, sizeof yhat) == 0);
        prle_explain_item items2[3];
        float rest2, pred2;
        PT_EQ_INT(prle_predictor_explain(items2, &rest2, &pred2, back, prle_matrix_row(&xt, 0), 3),
                  3);
        PT_EQ_INT(items2[0].train_row, items[0].train_row);
        PT_CHECK(pred2 == pred);
        prle_predictor_free(back);
        back = NULL;
    }
    size_t len = 0;
    char *bytes = (char *)pt_slurp(path, &len);
    PT_CHECK(bytes && len > 100);
    if (bytes) { /* one bit flipped in the kernel's weights: the checksum refuses the file */
        bytes[len / 3] ^= 4;
        pt_write_file(path, bytes, len);
        PT_FAILS(prle_predictor_load(&back, path), PRLE_EFORMAT, "checksum does not match");
        bytes[len / 3] ^= 4;
        /* the checks below read the structure: a file of the format before the checksum and
         * the caller's text (none here: its length, 8 zero bytes) */
        memcpy(bytes, "PRLEPRD3", 8);
        len -= 64 + 8;
    }
    if (bytes && len > 425 * 8 + 16) {
        /* a row map cut to one entry: the prototypes' rows point past it (found by the fuzzer) */
        size_t at = len - 425 * 8 - 8; /* 500 rows, 75 held out: 425 entries */
        char *cut = malloc(at + 16);
        memcpy(cut, bytes, at + 16);
        cut[at] = 1;
        for (int i = 1; i < 8; i++)
            cut[at + i] = 0;
        pt_write_file(path, cut, at + 16);
        PT_FAILS(prle_predictor_load(&back, path), PRLE_EFORMAT, "beyond the row map");
        free(cut);
    }
    if (bytes) {
        pt_write_file(path, bytes, len - 5); /* truncated */
        PT_FAILS(prle_predictor_load(&back, path), PRLE_EFORMAT, "p.prle");
        pt_write_file(path, "PRLEPRD9xxxxxxxxxxxxxxxx", 24);
        PT_FAILS(prle_predictor_load(&back, path), PRLE_EFORMAT, "not a PRLE predictor file");
        free(bytes);
    }
    PT_CHECK(back == NULL);

    /* bad input */
    prle_matrix narrow = {.data = x.data, .rows = 10, .cols = D - 1};
    PT_FAILS(prle_predictor_predict(yhat, p, &narrow), PRLE_ESHAPE, "wide");
    /* the accessors take a NULL predictor (prototype_rows crashed on it) */
    size_t none_rows[1] = {7};
    prle_predictor_prototype_rows(none_rows, NULL);
    prle_predictor_prototype_rows(NULL, p);
    PT_EQ_INT(none_rows[0], 7);
    PT_EQ_INT(prle_predictor_n_prototypes(NULL), 0);
    prle_predictor_free(p);
    p = NULL;
    PT_FAILS(prle_predictor_fit(&p, &x, y, &xv, NULL, &pp), PRLE_EINVAL, "together");
    /* validation rows given, but none: refused, not read as "nothing held out" */
    prle_matrix empty = xv;
    empty.rows = 0;
    PT_FAILS(prle_predictor_fit(&p, &x, y, &empty, yv, &pp), PRLE_EINVAL, "0 validation rows");
    /* a share to hold out outside [0, 1) is refused, as its override is, not read as none */
    const double bad_vf[] = {1.0, 1.5, -0.5, NAN};
    for (size_t i = 0; i < 4; i++) {
        prle_predictor_params bp = pp;
        bp.val_fraction = bad_vf[i];
        PT_FAILS(prle_predictor_fit(&p, &x, y, NULL, NULL, &bp), PRLE_EINVAL, "val_fraction");
    }
    y[7] = NAN;
    PT_FAILS(prle_predictor_fit(&p, &x, y, NULL, NULL, &pp), PRLE_EINVAL, "training label 7");
    y[7] = 0;
    /* a label outside a range the caller set is named by the caller's row and the predictor's
     * params, wherever the seeded split puts it (the kernel named a row of its shuffled
     * training share and its own params; a held-out one passed) */
    prle_predictor_params rp = pp;
    rp.label_min = -5, rp.label_max = 5;
    for (size_t i = 0; i < 500; i += 37) {
        float keep = y[i];
        y[i] = 9.0f;
        char want[64];
        snprintf(want, sizeof want, "training label %zu = 9 is outside", i);
        PT_FAILS(prle_predictor_fit(&p, &x, y, NULL, NULL, &rp), PRLE_EINVAL, want);
        PT_FAILS(prle_predictor_fit(&p, &x, y, NULL, NULL, &rp), PRLE_EINVAL, "label_max)");
        PT_CHECK(p == NULL);
        y[i] = keep;
    }
    /* small sets work: 12 rows (none held out below 20) get 6 prototypes; 1 row is refused */
    prle_matrix few = prle_matrix_view(x.data, 12, D);
    PT_OK(prle_predictor_fit(&p, &few, y, NULL, NULL, &pp));
    PT_EQ_INT(prle_predictor_n_prototypes(p), 6);
    PT_OK(prle_predictor_predict(yhat, p, &xt));
    PT_CHECK(isfinite(yhat[0]) && isfinite(yhat[199]));
    prle_predictor_free(p);
    p = NULL;
    few.rows = 1;
    PT_FAILS(prle_predictor_fit(&p, &few, y, NULL, NULL, &pp), PRLE_EINVAL, "need 2 or more");
    PT_CHECK(p == NULL);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xv), prle_matrix_dispose(&xt);
}

/* What bindings use (python/prle): params from config keys, the file's bytes in memory, the
 * explanations of many rows at once, the prototypes' rows. */
/* Labels set by which of 60 directions a row points in (more than 25 experts tell apart): the
 * fit keeps the neighbour term. Its rows are the cosine nearest of the standardised training
 * rows (the fit's x, with validation rows given) and c their labels' mean or 1/distance mean,
 * both computed here in double. */
static void test_predictor__neighbour_term(void)
{
    enum { NT = 800, NV = 200, NQ = 10 };
    static float y[NT], yv[NV], yq[NQ], dirs[60 * D], val[60];
    uint32_t s = 12;
    for (size_t i = 0; i < 60 * D; i++)
        dirs[i] = 2.0f * uni(&s);
    for (size_t i = 0; i < 60; i++)
        val[i] = 2.0f * uni(&s);
    prle_matrix x, xv, xq;
    float *ys[3] = {y, yv, yq};
    prle_matrix *xs[3] = {&x, &xv, &xq};
    size_t ns[3] = {NT, NV, NQ};
    for (int b = 0; b < 3; b++) {
        PT_OK(prle_matrix_alloc(xs[b], ns[b], D));
        for (size_t i = 0; i < ns[b]; i++) {
            size_t g = (size_t)((uni(&s) + 1.0f) * 30.0f) % 60;
            for (size_t j = 0; j < D; j++)
                xs[b]->data[i * D + j] = dirs[g * D + j] + 0.3f * uni(&s) + 3.0f;
            ys[b][i] = val[g] + 0.1f * uni(&s);
        }
    }
    prle_predictor_params pp = prle_predictor_default_params();
    prle_predictor *p = NULL;
    PT_OK(prle_predictor_fit(&p, &x, y, &xv, yv, &pp));
    size_t k = prle_predictor_neighbour_k(p);
    PT_CHECK(k >= 5 && prle_model_neighbour_weight(prle_predictor_model(p)) > 0);
    size_t rows[NQ * 50];
    float labels[NQ * 50], c[NQ];
    prle_matrix nodata = prle_matrix_view(NULL, NQ, D);
    PT_FAILS(prle_predictor_neighbours(rows, labels, p, &nodata), PRLE_EINVAL, "NULL data");
    PT_FAILS(prle_predictor_neighbour_predictions(c, p, &nodata), PRLE_EINVAL, "NULL data");
    PT_OK(prle_predictor_neighbours(rows, labels, p, &xq));
    PT_OK(prle_predictor_neighbour_predictions(c, p, &xq));
    /* the standardised rows (population sd) and each query's nearest by cosine */
    double mu[D] = {0}, sd[D] = {0}, d[NT];
    for (size_t i = 0; i < NT; i++)
        for (size_t j = 0; j < D; j++)
            mu[j] += x.data[i * D + j] / (double)NT;
    for (size_t i = 0; i < NT; i++)
        for (size_t j = 0; j < D; j++)
            sd[j] += (x.data[i * D + j] - mu[j]) * (x.data[i * D + j] - mu[j]) / (double)NT;
    int uniform_ok = 1, distance_ok = 1, differ = 0;
    for (size_t q = 0; q < NQ; q++) {
        double zq[D], nq = 0;
        for (size_t j = 0; j < D; j++)
            zq[j] = (xq.data[q * D + j] - mu[j]) / sqrt(sd[j]), nq += zq[j] * zq[j];
        for (size_t i = 0; i < NT; i++) {
            double dot = 0, ni = 0;
            for (size_t j = 0; j < D; j++) {
                double zi = (x.data[i * D + j] - mu[j]) / sqrt(sd[j]);
                dot += zi * zq[j], ni += zi * zi;
            }
            d[i] = 1.0 - dot / sqrt(ni * nq);
        }
        double mean = 0, wsum = 0, wl = 0;
        for (size_t r = 0; r < k; r++) {
            size_t row = rows[q * k + r];
            PT_CHECK(row < NT && labels[q * k + r] == y[row]);
            size_t closer = 0; /* rank of row among all: r */
            for (size_t i = 0; i < NT; i++)
                closer += d[i] < d[row];
            if (closer != r)
                PT_FAIL_AT("query %zu: neighbour %zu is row %zu, %zu rows nearer", q, r, row,
                           closer);
            mean += y[row] / (double)k;
            wsum += 1.0 / d[row], wl += y[row] / d[row];
        }
        uniform_ok &= fabs(c[q] - mean) < 1e-5;
        distance_ok &= fabs(c[q] - wl / wsum) < 1e-5;
        differ |= fabs(mean - wl / wsum) > 1e-3;
    }
    PT_CHECK(differ && (uniform_ok || distance_ok)); /* the two weightings told apart */
    /* errors: another width, and a fit without the term */
    prle_matrix narrow = {.data = xq.data, .rows = NQ, .cols = D - 1};
    PT_FAILS(prle_predictor_neighbour_predictions(c, p, &narrow), PRLE_ESHAPE, "wide");
    PT_FAILS(prle_predictor_neighbour_predictions(NULL, p, &xq), PRLE_EINVAL, "NULL");
    /* a load that succeeds leaves no message: the term's optional tensors absent (no test
     * split's column in a predictor file) are looked up without one */
    void *mem = NULL;
    size_t nmem = 0;
    prle_predictor *back = NULL;
    PT_OK(prle_predictor_save_memory(&mem, &nmem, p));
    prle_error_clear();
    PT_OK(prle_predictor_load_memory(&back, mem, nmem, NULL));
    PT_CHECK(prle_last_error_code() == PRLE_OK && prle_last_error()[0] == '\0');
    prle_predictor_free(back);
    prle_free(mem);
    prle_predictor_free(p);
    p = NULL;
    pp.model.neighbours = false;
    PT_OK(prle_predictor_fit(&p, &x, y, &xv, yv, &pp));
    PT_EQ_INT(prle_predictor_neighbour_k(p), 0);
    PT_FAILS(prle_predictor_neighbour_predictions(c, p, &xq), PRLE_EINVAL, "kept no neighbour");
    PT_FAILS(prle_predictor_neighbours(rows, labels, p, &xq), PRLE_EINVAL, "kept no neighbour");
    prle_predictor_free(p);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xv), prle_matrix_dispose(&xq);
}

/* Loads the predictor image u (n bytes, before the checksum format) with its calibration part
 * (at cal_at, cal_len bytes) replaced by one of 60 rows holding labels 0 and predictions 1, and:
 * kind 0 nothing else; 1 scales 1; 2 those and ridge predictions 2; 3 those and ridge_alpha 10.
 * Returns the load's status. */
static int with_cal_part(prle_predictor **back, const unsigned char *u, size_t n, size_t cal_at,
                         size_t cal_len, int kind)
{
    prle_st_writer *w = NULL;
    char *part = NULL;
    size_t plen = 0, shape[1] = {60}, one[1] = {1};
    static float zero[60], ones[60], twos[60];
    static double scales[60];
    double alpha = 10;
    for (int i = 0; i < 60; i++)
        ones[i] = 1, twos[i] = 2, scales[i] = 1;
    int err;
    if ((err = prle_st_writer_new(&w)) < 0 ||
        (err = prle_st_writer_add_f32(w, "labels", zero, 1, shape)) < 0 ||
        (err = prle_st_writer_add_f32(w, "predictions", ones, 1, shape)) < 0 ||
        (kind >= 1 && (err = prle_st_writer_add_f64(w, "scales", scales, 1, shape)) < 0) ||
        (kind >= 2 && (err = prle_st_writer_add_f32(w, "ridge_predictions", twos, 1, shape)) < 0) ||
        (kind >= 3 && (err = prle_st_writer_add_f64(w, "ridge_alpha", &alpha, 1, one)) < 0) ||
        (err = prle__st_writer_bytes(&part, &plen, w)) < 0) {
        prle_st_writer_free(w);
        return err;
    }
    prle_st_writer_free(w);
    size_t nbad = n - cal_len + plen;
    unsigned char *img = malloc(nbad);
    if (!img) {
        free(part);
        return PRLE_ENOMEM;
    }
    memcpy(img, u, cal_at);
    prle__le_put(img + cal_at, plen, 8);
    memcpy(img + cal_at + 8, part, plen);
    memcpy(img + cal_at + 8 + plen, u + cal_at + 8 + cal_len, n - cal_at - 8 - cal_len);
    err = prle_predictor_load_memory(back, img, nbad, "bad.prle");
    free(img);
    free(part);
    return err;
}

/* The checksum of an image of n bytes written again over its last 64 bytes (after a change
 * the test made on purpose). */
static int reseal(unsigned char *img, size_t n)
{
    char hex[65];
    int err = prle__sha256_hex(hex, img, n - 64);
    if (err == 0)
        memcpy(img + n - 64, hex, 64);
    return err;
}

/* A copy of the predictor image u (n bytes, with its checksum) whose text part (its last len
 * bytes before the checksum) has byte `i` set to `c` and its length field set to `len_field`,
 * checksummed again, loaded: the load's status. */
static int with_text_changed(const unsigned char *u, size_t n, size_t len, size_t i, char c,
                             uint64_t len_field)
{
    unsigned char *img = malloc(n);
    if (!img)
        return PRLE_ENOMEM;
    memcpy(img, u, n);
    size_t at = n - 64 - len; /* the text; its length field 8 bytes before */
    img[at + i] = (unsigned char)c;
    prle__le_put(img + at - 8, len_field, 8);
    int err = reseal(img, n);
    if (err == 0) {
        prle_predictor *back = NULL;
        err = prle_predictor_load_memory(&back, img, n, "text.prle");
        prle_predictor_free(back);
    }
    free(img);
    return err;
}

/* The caller's text: none in the image mem (n bytes) of p (its length 0 before the
 * checksum); set, it goes into the file and comes back byte for byte, predictions unchanged;
 * "" and NULL clear it; a NUL inside it or bytes after it are refused. */
static void user_text_check(prle_predictor *p, const unsigned char *mem, size_t n,
                            const prle_matrix *xt, const float *yhat)
{
    static const char text[] =
        "{\"params\": {\"num_prototypes\": 7}, \"names\": [\"caf\xc3\xa9\"]}";
    size_t tl = sizeof text - 1;
    PT_CHECK(prle_predictor_user_text(p) == NULL);
    PT_CHECK(prle__le_get(mem + n - 64 - 8, 8) == 0);
    PT_OK(prle_predictor_set_user_text(p, text));
    PT_CHECK(prle_predictor_user_text(p) && strcmp(prle_predictor_user_text(p), text) == 0);
    void *m2 = NULL;
    size_t n2 = 0;
    prle_predictor *back = NULL;
    PT_OK(prle_predictor_save_memory(&m2, &n2, p));
    PT_EQ_INT(n2, n + tl);
    if (m2) {
        const unsigned char *u2 = m2;
        PT_CHECK(prle__le_get(u2 + n2 - 64 - tl - 8, 8) == tl);
        PT_CHECK(memcmp(u2 + n2 - 64 - tl, text, tl) == 0);
        PT_OK(prle_predictor_load_memory(&back, m2, n2, "text.prle"));
        if (back) {
            float again[40];
            PT_CHECK(strcmp(prle_predictor_user_text(back), text) == 0);
            PT_OK(prle_predictor_predict(again, back, xt));
            PT_CHECK(memcmp(again, yhat, sizeof again) == 0);
            prle_predictor_free(back);
            back = NULL;
        }
        PT_EQ_INT(with_text_changed(u2, n2, tl, 0, '{', tl), 0); /* unchanged: loads */
        PT_EQ_INT(with_text_changed(u2, n2, tl, 5, '\0', tl), PRLE_EFORMAT);
        PT_CHECK(strstr(prle_last_error(), "text.prle: the caller's text holds a NUL byte"));
        PT_EQ_INT(with_text_changed(u2, n2, tl, 0, '{', tl - 2), PRLE_EFORMAT);
        PT_CHECK(strstr(prle_last_error(), "2 bytes after the caller's text"));
        PT_EQ_INT(with_text_changed(u2, n2, tl, 0, '{', tl + 1), PRLE_EFORMAT);
        PT_CHECK(strstr(prle_last_error(), "runs past the end"));
        prle_free(m2);
    }
    PT_OK(prle_predictor_set_user_text(p, ""));
    PT_CHECK(prle_predictor_user_text(p) == NULL);
    PT_OK(prle_predictor_set_user_text(p, "x"));
    PT_OK(prle_predictor_set_user_text(p, NULL));
    PT_CHECK(prle_predictor_user_text(p) == NULL);
    PT_FAILS(prle_predictor_set_user_text(NULL, "x"), PRLE_EINVAL, "NULL argument");
    PT_CHECK(prle_predictor_user_text(NULL) == NULL);
}

static void test_predictor__bindings(void)
{
    static float y[300], yt[40], yhat[40];
    prle_matrix x, xt;
    problem(&x, y, 300, 4);
    problem(&xt, yt, 40, 5);
    prle_predictor_params pp;
    const char *ov[] = {"model.num_prototypes=9", "train.seed=11",     "train.threads=1",
                        "val_fraction=0.2",       "data.label_min=-5", "data.label_max=5"};
    PT_CHECK(prle_predictor_params_size() == sizeof pp);
    PT_OK(prle_predictor_params_from_overrides(&pp, ov, 6));
    PT_EQ_INT(pp.model.protos.n_prototypes, 9);
    PT_EQ_INT(pp.seed, 11);
    PT_NEAR(pp.val_fraction, 0.2, 0);
    PT_NEAR(pp.label_min, -5, 0);
    PT_NEAR(pp.label_max, 5, 0);
    prle_predictor_params d = prle_predictor_default_params(), none;
    PT_OK(prle_predictor_params_from_overrides(&none, NULL, 0));
    PT_CHECK(isnan(none.label_min) && none.seed == d.seed && none.val_fraction == d.val_fraction);
    PT_CHECK(none.kernel.learning_rate == d.kernel.learning_rate);
    const char *bad[] = {"model.gating_strategy=nearest"};
    PT_FAILS(prle_predictor_params_from_overrides(&none, bad, 1), PRLE_EINVAL,
             "model.gating_strategy");
    const char *badf[] = {"val_fraction=1"};
    PT_FAILS(prle_predictor_params_from_overrides(&none, badf, 1), PRLE_EINVAL, "[0, 1)");
    const char *null_one[] = {"train.seed=3", NULL};
    PT_FAILS(prle_predictor_params_from_overrides(&none, null_one, 2), PRLE_EINVAL,
             "override 1 is NULL");

    prle_predictor *p = NULL, *back = NULL;
    PT_OK(prle_predictor_fit(&p, &x, y, NULL, NULL, &pp));
    if (!p)
        goto out;
    PT_EQ_INT(prle_predictor_n_prototypes(p), 9);
    PT_EQ_INT(prle_predictor_in_dim(p), D);
    /* rows without their data: refused, not read */
    prle_matrix nodata = prle_matrix_view(NULL, 5, D);
    float lo5[5], hi5[5];
    prle_explain_item it5[5];
    PT_FAILS(prle_predictor_predict(yhat, p, &nodata), PRLE_EINVAL, "NULL data pointer");
    PT_FAILS(prle_predictor_intervals(yhat, lo5, hi5, p, &nodata, 0.9, false), PRLE_EINVAL,
             "NULL data pointer");
    PT_FAILS(prle_predictor_explain_rows(it5, lo5, hi5, p, &nodata, 1), PRLE_EINVAL,
             "NULL data pointer");

    PT_NEAR(prle_model_get_params(prle_predictor_model(p))->label_max, 5, 0);
    size_t rows[9];
    prle_predictor_prototype_rows(rows, p);
    PT_OK(prle_predictor_predict(yhat, p, &xt));
    /* explain_rows: per row what prle_predictor_explain gives, k capped at P */
    prle_explain_item items[40 * 9], one[9];
    float rest[40], pred[40], r1, p1;
    PT_OK(prle_predictor_explain_rows(items, rest, pred, p, &xt, 20));
    for (size_t i = 0; i < 40; i += 13) {
        PT_EQ_INT(prle_predictor_explain(one, &r1, &p1, p, prle_matrix_row(&xt, i), 20), 9);
        for (size_t j = 0; j < 9; j++) {
            const prle_explain_item *a = &one[j], *b = &items[9 * i + j];
            PT_CHECK(a->prototype == b->prototype && a->train_row == b->train_row &&
                     a->weight == b->weight && a->local == b->local &&
                     a->contribution == b->contribution);
        }
        PT_CHECK(r1 == rest[i] && p1 == pred[i]);
        PT_NEAR(pred[i], yhat[i], 1e-5);
    }
    for (size_t q = 0; q < 9; q++) /* every prototype listed in row 0, each its caller's row */
        PT_CHECK(items[q].train_row == rows[items[q].prototype] && rows[q] < 300);
    PT_FAILS(prle_predictor_explain_rows(items, rest, pred, p, &xt, 0), PRLE_EINVAL, "k = 0");
    prle_error_clear();
    PT_EQ_INT(prle_predictor_explain(one, &r1, &p1, p, prle_matrix_row(&xt, 0), 0), 0);
    PT_CHECK(strstr(prle_last_error(), "k = 0") != NULL);
    PT_EQ_INT(prle_predictor_explain(one, NULL, &p1, p, prle_matrix_row(&xt, 0), 3), 0);
    PT_CHECK(strstr(prle_last_error(), "NULL argument") != NULL);
    /* the file's bytes in memory */
    void *mem = NULL;
    size_t n = 0, flen = 0;
    const char *path = pt_tmp("b.prle");
    PT_OK(prle_predictor_save_memory(&mem, &n, p));
    PT_OK(prle_predictor_save(p, path));
    char *file = (char *)pt_slurp(path, &flen);
    PT_CHECK(file && flen == n && memcmp(file, mem, n) == 0);
    free(file);
    PT_OK(prle_predictor_load_memory(&back, mem, n, NULL));
    if (back) {
        float again[40];
        PT_OK(prle_predictor_predict(again, back, &xt));
        PT_CHECK(memcmp(again, yhat, sizeof again) == 0);
        prle_predictor_free(back);
        back = NULL;
    }
    PT_FAILS(prle_predictor_load_memory(&back, mem, n - 1, NULL), PRLE_EFORMAT, "<memory>");
    user_text_check(p, mem, n, &xt, yhat);
    /* a file of the format before the caller's text (PRLEPRD4): the same bytes without its
     * length (no text here), a checksum of its own */
    unsigned char *v4 = malloc(n - 8);
    if (v4) {
        memcpy(v4, mem, n - 64 - 8);
        memcpy(v4, "PRLEPRD4", 8);
        PT_OK(reseal(v4, n - 8));
        PT_OK(prle_predictor_load_memory(&back, v4, n - 8, "v4.prle"));
        if (back) {
            float again[40];
            PT_OK(prle_predictor_predict(again, back, &xt));
            PT_CHECK(memcmp(again, yhat, sizeof again) == 0);
            PT_CHECK(prle_predictor_user_text(back) == NULL);
            PT_EQ_INT(prle_predictor_n_calibration(back), 60);
            prle_predictor_free(back);
            back = NULL;
        }
        free(v4);
    }
    n -= 64 + 8; /* below: images of the formats before the checksum and the caller's text */
    memcpy(mem, "PRLEPRD3", 8);
    PT_OK(prle_predictor_load_memory(&back, mem, n, "v3.prle")); /* it still loads */
    prle_predictor_free(back);
    back = NULL;
    /* files of the formats before intervals (PRLEPRD2: no calibration part) and before the
     * neighbour term (PRLEPRD1: neither part) still load and predict; they have no held-out
     * rows to calibrate on */
    PT_CHECK(prle_model_neighbour_weight(prle_predictor_model(p)) == 0);
    PT_EQ_INT(prle_predictor_n_calibration(p), 60); /* val_fraction 0.2 of 300 */
    const unsigned char *u = mem;
    size_t at = 8, len, nb_at, cal_at, cal_len;
    len = (size_t)prle__le_get(u + at, 8), at += 8 + len; /* the kernel */
    len = (size_t)prle__le_get(u + at, 8), at += 8 + len; /* the model */
    nb_at = at, len = (size_t)prle__le_get(u + at, 8);    /* the neighbour term: none */
    PT_CHECK(len == 0);
    cal_at = at + 8, cal_len = (size_t)prle__le_get(u + cal_at, 8);
    PT_CHECK(cal_len > 0 && cal_at + 8 + cal_len < n);
    size_t n2 = n - 8 - cal_len, n1 = n2 - 8;
    unsigned char *v1 = malloc(n);
    for (int ver = 2; v1 && ver >= 1; ver--) {
        /* version 2: all but the calibration part; version 1: without the neighbour part too */
        size_t cut = ver == 2 ? cal_at : nb_at, skip = ver == 2 ? 8 + cal_len : 16 + cal_len;
        size_t nv = ver == 2 ? n2 : n1;
        memcpy(v1, ver == 2 ? "PRLEPRD2" : "PRLEPRD1", 8);
        memcpy(v1 + 8, u + 8, cut - 8);
        memcpy(v1 + cut, u + cut + skip, n - cut - skip);
        PT_OK(prle_predictor_load_memory(&back, v1, nv, "old.prle"));
        float again[40], lo[40], hi[40];
        if (back) {
            PT_OK(prle_predictor_predict(again, back, &xt));
            PT_CHECK(memcmp(again, yhat, sizeof again) == 0);
            PT_EQ_INT(prle_predictor_n_calibration(back), 0);
            PT_FAILS(prle_predictor_intervals(again, lo, hi, back, &xt, 0.9, false), PRLE_EINVAL,
                     "written before intervals");
            prle_predictor_free(back);
            back = NULL;
        }
        memcpy(v1, "PRLEPRD3", 8); /* the newer magic without those parts: the lengths break */
        PT_FAILS(prle_predictor_load_memory(&back, v1, nv, "old.prle"), PRLE_EFORMAT, "old.prle");
    }
    free(v1);
    /* calibration parts of other contents in the place of this one: without scales refused,
     * naming the part; without the ridge yardstick (written before it) loaded, with none; its
     * predictions without their alpha refused; with both, the yardstick's MSE theirs */
    for (int kind = 0; kind < 4; kind++) {
        int err = with_cal_part(&back, u, n, cal_at, cal_len, kind);
        prle_predictor_yardstick ys = {0};
        if (kind == 0 || kind == 2)
            PT_CHECK(err == PRLE_EFORMAT &&
                     strstr(prle_last_error(), kind ? "ridge yardstick" : "calibration part"));
        else if (err < 0)
            PT_FAIL_AT("calibration part %d: %s", kind, prle_last_error());
        else {
            PT_OK(prle_predictor_yardstick_get(&ys, back));
            PT_EQ_INT(ys.n, 60);
            PT_NEAR(ys.mse, 1.0, 1e-12); /* predictions 1 against labels 0 */
            PT_CHECK(kind == 1 ? isnan(ys.ridge_mse) && isnan(ys.ridge_alpha)
                               : ys.ridge_mse == 4.0 && ys.ridge_alpha == 10.0);
        }
        prle_predictor_free(back);
        back = NULL;
    }
    prle_free(mem);
out:
    prle_predictor_free(p);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xt);
}

/* The k-th smallest (1-based) of r[0..n); sorts r. */
static double kth(double *r, size_t n, size_t k)
{
    for (size_t i = 1; i < n; i++) /* insertion sort */
        for (size_t j = i; j > 0 && r[j] < r[j - 1]; j--) {
            double t = r[j];
            r[j] = r[j - 1], r[j - 1] = t;
        }
    return r[k - 1];
}

/* 1 + H / ln P for a row's P explained items (every prototype listed): the adaptive scale. */
static double entropy_scale(const prle_explain_item *it, size_t P)
{
    double h = 0;
    for (size_t k = 0; k < P; k++)
        h -= it[k].weight > 0 ? it[k].weight * log(it[k].weight) : 0;
    return 1.0 + h / log((double)P);
}

/* Intervals on the rows the fit held out: the plain rule's q is the ceil((n + 1) level)-th
 * smallest absolute residual of the validation rows (their predictions by
 * prle_predictor_predict, the order statistic here); the adaptive rule's scales 1 + H / ln P
 * from the routing weights explain_rows lists (all P); ends clipped to the label range; a level
 * the rows cannot reach gives the whole range; the file keeps the rows; a fit that held none
 * out has no intervals. */
static void test_predictor__intervals(void)
{
    static float y[300], yv[99], yt[50], yhv[99], yht[50], lo[50], hi[50], y2[50], l2[50], h2[50];
    prle_matrix x, xv, xt;
    problem(&x, y, 300, 21);
    problem(&xv, yv, 99, 22);
    problem(&xt, yt, 50, 23);
    prle_predictor_params pp = prle_predictor_default_params();
    pp.n_threads = 1;
    pp.model.protos.n_prototypes = 6;
    prle_predictor *p = NULL, *back = NULL;
    PT_OK(prle_predictor_fit(&p, &x, y, &xv, yv, &pp));
    if (!p)
        goto out;
    PT_EQ_INT(prle_predictor_n_calibration(p), 99);
    /* the label range: min and max of y, which the ends near them reach */
    const double mn = prle_model_get_params(prle_predictor_model(p))->label_min;
    const double mx = prle_model_get_params(prle_predictor_model(p))->label_max;
    PT_OK(prle_predictor_predict(yhv, p, &xv));
    double r[99];
    for (size_t i = 0; i < 99; i++)
        r[i] = fabs((double)yv[i] - yhv[i]);
    double q = kth(r, 99, 90); /* ceil(100 * 0.9) = 90 */
    prle_conformal c;
    PT_OK(prle_predictor_conformal(&c, p, 0.9, false));
    PT_NEAR(c.q, q, 0);
    PT_EQ_INT(c.n_calib, 99);
    PT_OK(prle_predictor_intervals(yht, lo, hi, p, &xt, 0.9, false));
    PT_OK(prle_predictor_predict(y2, p, &xt));
    PT_CHECK(memcmp(y2, yht, sizeof yht) == 0);
    size_t clipped = 0;
    for (size_t i = 0; i < 50; i++) {
        double a = fmax(mn, fmin(mx, yht[i] - q)), b = fmax(mn, fmin(mx, yht[i] + q));
        clipped += a != yht[i] - q || b != yht[i] + q;
        PT_NEAR(lo[i], a, 1e-6);
        PT_NEAR(hi[i], b, 1e-6);
    }
    PT_CHECK(clipped > 0);
    /* adaptive: the scales from the routing weights */
    prle_explain_item it[99 * 6];
    float rest[99], pred[99];
    double rs[99];
    PT_OK(prle_predictor_explain_rows(it, rest, pred, p, &xv, 6));
    for (size_t i = 0; i < 99; i++)
        rs[i] = fabs((double)yv[i] - yhv[i]) / entropy_scale(it + 6 * i, 6);
    q = kth(rs, 99, 90);
    PT_OK(prle_predictor_conformal(&c, p, 0.9, true));
    PT_NEAR(c.q, q, 1e-6 * q);
    PT_OK(prle_predictor_intervals(yht, lo, hi, p, &xt, 0.9, true));
    PT_OK(prle_predictor_explain_rows(it, rest, pred, p, &xt, 6));
    for (size_t i = 0; i < 50; i++) {
        double half = c.q * entropy_scale(it + 6 * i, 6);
        PT_NEAR(lo[i], fmax(mn, fmin(mx, yht[i] - half)), 1e-5);
        PT_NEAR(hi[i], fmax(mn, fmin(mx, yht[i] + half)), 1e-5);
    }
    PT_FAILS(prle_conformal_predict(NULL, lo, hi, &c, prle_predictor_model(p), &xt), PRLE_EINVAL,
             "NULL argument");
    /* 99 rows cannot back a 0.995 guarantee (ceil(100 * 0.995) = 100 > 99): the whole range */
    PT_OK(prle_predictor_intervals(yht, lo, hi, p, &xt, 0.995, false));
    PT_CHECK(lo[0] == (float)mn && hi[0] == (float)mx && lo[49] == (float)mn &&
             hi[49] == (float)mx);
    PT_FAILS(prle_predictor_intervals(yht, lo, hi, p, &xt, 1.0, false), PRLE_EINVAL, "(0, 1)");
    /* the file keeps the rows: the same bits after a round trip */
    void *mem = NULL;
    size_t n = 0;
    PT_OK(prle_predictor_save_memory(&mem, &n, p));
    PT_OK(prle_predictor_load_memory(&back, mem, n, NULL));
    prle_free(mem);
    prle_predictor_yardstick ys, ys2;
    PT_OK(prle_predictor_yardstick_get(&ys, p));
    double se = 0;
    for (size_t i = 0; i < 99; i++)
        se += ((double)yhv[i] - yv[i]) * ((double)yhv[i] - yv[i]);
    PT_EQ_INT(ys.n, 99);
    PT_NEAR(ys.mse, se / 99, 1e-9 * ys.mse);
    PT_CHECK(ys.ridge_mse > 0 && ys.ridge_alpha >= 1e-2 && ys.ridge_alpha <= 1e4);
    if (back) {
        PT_OK(prle_predictor_yardstick_get(&ys2, back));
        PT_CHECK(memcmp(&ys, &ys2, sizeof ys) == 0);
        PT_EQ_INT(prle_predictor_n_calibration(back), 99);
        PT_OK(prle_predictor_intervals(y2, l2, h2, back, &xt, 0.8, true));
        PT_OK(prle_predictor_intervals(yht, lo, hi, p, &xt, 0.8, true));
        PT_CHECK(memcmp(y2, yht, sizeof y2) == 0 && memcmp(l2, lo, sizeof lo) == 0 &&
                 memcmp(h2, hi, sizeof hi) == 0);
    }
    prle_predictor_free(p);
    p = NULL;
    /* no x_val and val_fraction 0: nothing held out, no intervals */
    pp.val_fraction = 0;
    PT_OK(prle_predictor_fit(&p, &xt, yt, NULL, NULL, &pp));
    if (p) {
        PT_EQ_INT(prle_predictor_n_calibration(p), 0);
        PT_FAILS(prle_predictor_intervals(yht, lo, hi, p, &xt, 0.9, false), PRLE_EINVAL,
                 "no held-out rows");
        PT_OK(prle_predictor_yardstick_get(&ys, p));
        PT_CHECK(ys.n == 0 && isnan(ys.mse) && isnan(ys.ridge_mse));
    }
out:
    prle_predictor_free(p);
    prle_predictor_free(back);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xv), prle_matrix_dispose(&xt);
}

int main(void)
{
    prle_init(0);
    PT_RUN(test_predictor__fit_predict_explain);
    PT_RUN(test_predictor__neighbour_term);
    PT_RUN(test_predictor__bindings);
    PT_RUN(test_predictor__intervals);
    return pt_report();
}
