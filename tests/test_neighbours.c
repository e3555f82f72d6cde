/* LABELS: unit io */
/* The neighbour term (src/prle/neighbours.c, prle_model_set_neighbour_weight): the choice of
 * k, weights and lambda on validation and the term's predictions against scikit-learn
 * (tools/ref/neighbours_ref.py), the file's round trip and its bad files, and the model with
 * the neighbour column: each local prediction (1 - lambda) E_p + lambda c, the same weights,
 * explanations that still sum, the weight saved and loaded, the width checked. */
#include "prle/neighbours.h"
#include "prle_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors_int.h"
#include "model_fixture.h"
#include "neighbours_ref.h"

static prle_matrix view(const float *x, size_t n)
{
    return prle_matrix_view(x, n, NB_D);
}

/* The search of the fixture's validation rows, and the choice against its p. */
static void search_and_choose(prle__nb_search *s, prle__nb_choice *c)
{
    prle_matrix xtr = view(nb_x_train, NB_N_TR), xva = view(nb_x_validation, NB_N_VA);
    PT_OK(prle__nb_search_run(s, &xtr, nb_y_train, &xva, 2));
    PT_OK(prle__nb_choose(c, s, nb_y_validation, nb_p_validation));
}

static void test_neighbours__choice_matches_sklearn(void)
{
    prle__nb_search s;
    prle__nb_choice c;
    search_and_choose(&s, &c);
    PT_EQ_INT(c.k, NB_K);
    PT_EQ_INT(c.weights == PRLE_KNN_DISTANCE, NB_DISTANCE);
    PT_NEAR(c.lambda, NB_LAMBDA, 1e-6);
    PT_NEAR(c.mse, NB_MSE, 1e-6 * NB_MSE);
    PT_NEAR(c.mse_prle, NB_MSE_PRLE, 1e-6 * NB_MSE_PRLE);
    PT_NEAR(c.gain_se, NB_GAIN_SE, 1e-5 * NB_GAIN_SE);
    PT_EQ_INT(c.on, NB_ON);
    PT_EQ_INT(s.nfit, NB_N_TR); /* all rows searched */
    PT_EQ_INT(s.ntrain, NB_N_TR);
    /* predictions equal to the labels: nothing to gain, the term stays off */
    prle__nb_choice off;
    PT_OK(prle__nb_choose(&off, &s, nb_y_validation, nb_y_validation));
    PT_CHECK(!off.on && off.lambda == 0);
    prle__nb_search_dispose(&s);
}

/* Beyond prle__nb_max_rows training rows the search keeps rows floor(i n / max), and says so:
 * the query, a copy of a training row left out, is found at the distance to its kept
 * neighbour, not 0. The cap: 10,000 rows, or 16 M floats of narrower rows. */
static void test_neighbours__sample_counted(void)
{
    PT_EQ_INT(prle__nb_max_rows(100), 167772);
    PT_EQ_INT(prle__nb_max_rows(1280), 13107);
    PT_EQ_INT(prle__nb_max_rows(2048), 10000);
    PT_EQ_INT(prle__nb_max_rows(20480), 10000);
    size_t d = 2048, cap = prle__nb_max_rows(d), n = cap + 50;
    prle_matrix xtr = {0}, xq = {0};
    float *y = malloc(n * sizeof *y);
    PT_CHECK(y != NULL);
    PT_OK(prle_matrix_alloc(&xtr, n, d));
    PT_OK(prle_matrix_alloc(&xq, 1, d));
    memset(xtr.data, 0, n * d * sizeof(float));
    for (size_t i = 0; i < n; i++) { /* points around a circle in the first two columns */
        double a = 6.283185307179586 * (double)i / (double)n;
        prle_matrix_row(&xtr, i)[0] = (float)cos(a), prle_matrix_row(&xtr, i)[1] = (float)sin(a);
        y[i] = (float)i;
    }
    /* the first training row the sample leaves out */
    size_t left_out = 0;
    for (size_t i = 0, j = 0; i < n && !left_out; i++) {
        if (j < cap && prle__nb_train_row(j, cap, n) == i)
            j++;
        else
            left_out = i;
    }
    PT_CHECK(left_out > 0);
    memcpy(prle_matrix_row(&xq, 0), prle_matrix_row(&xtr, left_out), d * sizeof(float));
    prle__nb_search s;
    PT_OK(prle__nb_search_run(&s, &xtr, y, &xq, 2));
    PT_EQ_INT(s.nfit, cap);
    PT_EQ_INT(s.ntrain, n);
    PT_CHECK(s.dist[0] > 0); /* its own copy was not searched */
    prle__nb_search_dispose(&s);
    prle_matrix_dispose(&xtr);
    prle_matrix_dispose(&xq);
    free(y);
}

static void test_neighbours__column_matches_sklearn(void)
{
    prle__nb_search s;
    prle__nb_choice c;
    search_and_choose(&s, &c);
    prle_knn *knn = prle__nb_take(&s, &c);
    prle_matrix xte = view(nb_x_test, NB_N_TE);
    float col[NB_N_TE], lab[NB_N_TE * NB_K];
    size_t kept[NB_N_TE * NB_K], rows[NB_N_TE * NB_K];
    PT_OK(prle__nb_column(col, kept, knn, &xte, 1));
    for (size_t i = 0; i < NB_N_TE; i++)
        PT_NEAR(col[i], nb_c_test[i], 1e-5 * fmax(1.0, fabs(nb_c_test[i])));
    /* the rows averaged: scikit-learn's kneighbors, as training rows with their labels */
    for (size_t i = 0; i < NB_N_TE * NB_K; i++)
        PT_EQ_INT(kept[i], nb_kept_test[i]);
    PT_OK(prle__nb_rows(rows, lab, knn, &xte, NB_N_TR, 2));
    for (size_t i = 0; i < NB_N_TE * NB_K; i++)
        PT_CHECK(rows[i] == kept[i] && lab[i] == nb_y_train[kept[i]]);
    prle__nb_train_rows(rows, NULL, knn, kept, NB_N_TE * NB_K, 3 * NB_N_TR); /* evenly spaced */
    PT_CHECK(rows[0] == 3 * kept[0] && rows[7] == 3 * kept[7]);
    /* [z | col]: z's rows then the column */
    prle_matrix z = view(nb_x_test, NB_N_TE), out = {0};
    PT_OK(prle__nb_extend(&out, knn, &z, &xte, 2));
    PT_EQ_INT(out.cols, NB_D + 1);
    for (size_t i = 0; i < NB_N_TE && out.data; i++) {
        PT_CHECK(memcmp(prle_matrix_row(&out, i), prle_matrix_row(&z, i), NB_D * 4) == 0);
        PT_CHECK(out.data[i * (NB_D + 1) + NB_D] == col[i]);
    }
    prle_matrix_dispose(&out);
    prle_knn_free(knn);
    prle__nb_search_dispose(&s);
}

/* The file's bytes, its validation part (cva, kva), after `tamper` (0: none, 1: another
 * format, 2: an extra tensor). */
static int file_bytes(char **b, size_t *n, const prle_knn *knn, float *cva, size_t *kva, int tamper)
{
    prle_st_writer *w = NULL;
    prle__nb_split sp[PRLE_N_SPLITS] = {{0}, {cva, kva, NB_N_VA}, {0}};
    float one = 1;
    size_t sh = 1;
    int err = prle__nb_writer(&w, knn, sp, 3 * NB_N_TR);
    if (err == 0 && tamper == 1)
        err = prle_st_writer_set_metadata(w, "format", "prle-model");
    if (err == 0 && tamper == 2)
        err = prle_st_writer_add_f32(w, "extra", &one, 1, &sh);
    if (err == 0)
        err = prle__st_writer_bytes(b, n, w);
    prle_st_writer_free(w);
    return err;
}

static void test_neighbours__file_round_trip(void)
{
    prle__nb_search s;
    prle__nb_choice c;
    search_and_choose(&s, &c);
    float cva[NB_N_VA], a[NB_N_TE], b[NB_N_TE];
    size_t kva[NB_N_VA * NB_K];
    prle__nb_search_predict(cva, &s, c.k, c.weights);
    prle_knn *knn = prle__nb_take(&s, &c), *back = NULL;
    prle_matrix xva = view(nb_x_validation, NB_N_VA);
    PT_OK(prle__nb_column(NULL, kva, knn, &xva, 2));
    char *bytes = NULL;
    size_t len = 0;
    prle_st_file *f = NULL;
    prle__nb_split sp[PRLE_N_SPLITS];
    PT_OK(file_bytes(&bytes, &len, knn, cva, kva, 0));
    PT_OK(prle_st_open_memory(&f, bytes, len, "nb.safetensors"));
    size_t n_train = 0;
    PT_OK(f ? prle__nb_load_st(&back, sp, &n_train, f, "nb.safetensors") : -1);
    PT_EQ_INT(n_train, 3 * NB_N_TR);
    prle_matrix xte = view(nb_x_test, NB_N_TE);
    if (back) {
        PT_OK(prle__nb_column(a, NULL, knn, &xte, 2));
        PT_OK(prle__nb_column(b, NULL, back, &xte, 2));
        PT_CHECK(memcmp(a, b, sizeof a) == 0); /* the same bits */
        PT_CHECK(sp[PRLE_SPLIT_TRAIN].col == NULL && sp[PRLE_SPLIT_TEST].col == NULL);
        PT_EQ_INT(sp[PRLE_SPLIT_VALIDATION].n, NB_N_VA);
        PT_CHECK(sp[1].col && memcmp(sp[1].col, cva, sizeof cva) == 0);
        PT_CHECK(sp[1].kept && memcmp(sp[1].kept, kva, sizeof kva) == 0);
        prle__nb_splits_dispose(sp);
    }
    prle_st_free(f);
    free(bytes);
    /* another file's format, or a tensor too many: PRLE_EFORMAT naming the file */
    for (int t = 1; t <= 2; t++) {
        prle_knn *bad = NULL;
        bytes = NULL, f = NULL;
        PT_OK(file_bytes(&bytes, &len, knn, cva, kva, t));
        PT_OK(prle_st_open_memory(&f, bytes, len, "bad.safetensors"));
        if (f)
            PT_FAILS(prle__nb_load_st(&bad, sp, &n_train, f, "bad.safetensors"), PRLE_EFORMAT,
                     "bad.safetensors");
        PT_CHECK(bad == NULL);
        prle_st_free(f);
        free(bytes);
    }
    prle_knn_free(back);
    prle_knn_free(knn);
    prle__nb_search_dispose(&s);
}

static void test_neighbours__model_column(void)
{
    enum { N = 120, NV = 40, NT = 30, D = 6, P = 5 };
    prle_matrix z = {0}, zv = {0}, zt = {0}, za = {0};
    float *y = NULL, *yv = NULL, *yt = NULL;
    PT_OK(mfx_problem(&z, &y, N, D, 31, 0.1));
    PT_OK(mfx_problem(&zv, &yv, NV, D, 32, 0.1));
    PT_OK(mfx_problem(&zt, &yt, NT, D, 33, 0.1));
    prle_model_params mp = mfx_params(P, 3);
    prle_model *m = NULL, *l = NULL;
    PT_OK(prle_model_fit(&m, &z, y, &zv, yv, &mp));
    float y0[NT], w0[NT * P], e0[NT * P], y1[NT], w1[NT * P], e1[NT * P], col[NT];
    if (!m)
        goto done;
    PT_EQ_INT(prle_model_in_dim(m), D);
    PT_OK(prle_model_predict(y0, w0, e0, m, &zt));
    for (size_t i = 0; i < NT; i++)
        col[i] = (float)(1.0 + 0.1 * (double)i);
    PT_OK(prle__nb_append(&za, &zt, col));
    PT_FAILS(prle_model_set_neighbour_weight(m, 1.5), PRLE_EINVAL, "outside [0, 1]");
    const double lam = 0.3;
    PT_OK(prle_model_set_neighbour_weight(m, lam));
    PT_EQ_INT(prle_model_in_dim(m), D + 1);
    PT_NEAR(prle_model_neighbour_weight(m), lam, 0);
    PT_FAILS(prle_model_predict(y1, NULL, NULL, m, &zt), PRLE_ESHAPE, "neighbour column");
    PT_OK(prle_model_predict(y1, w1, e1, m, &za));
    PT_CHECK(memcmp(w0, w1, sizeof w0) == 0); /* the router does not see the column */
    for (size_t i = 0; i < NT; i++) {
        double s = 0;
        for (size_t p = 0; p < P; p++) {
            PT_NEAR(e1[i * P + p], (1 - lam) * e0[i * P + p] + lam * col[i], 1e-5);
            s += (double)w1[i * P + p] * e1[i * P + p];
        }
        PT_NEAR(y1[i], s, 1e-5);
        PT_NEAR(y1[i], (1 - lam) * y0[i] + lam * col[i], 1e-4);
    }
    /* explanations sum to the prediction; one row alone gives the batch's bits */
    prle_explain_item items[NT * 2], one[2];
    float rest[NT], yh[NT], r1, yh1;
    PT_OK(prle_model_explain_rows(items, rest, NULL, yh, m, &za, 2));
    for (size_t i = 0; i < NT; i++) {
        PT_CHECK(yh[i] == y1[i]);
        PT_NEAR(items[2 * i].contribution + items[2 * i + 1].contribution + rest[i], yh[i], 1e-4);
    }
    PT_EQ_INT(prle_model_explain(one, &r1, &yh1, m, prle_matrix_row(&za, 4), 2), 2);
    PT_CHECK(yh1 == y1[4] && one[0].local == items[8].local);
    /* saved and loaded: the weight and the same bits */
    const char *path = pt_tmp("nb_model.safetensors");
    PT_OK(prle_model_save(m, path));
    PT_OK(prle_model_load(&l, path));
    if (l) {
        PT_NEAR(prle_model_neighbour_weight(l), lam, 0);
        PT_OK(prle_model_predict(yh, NULL, NULL, l, &za));
        PT_CHECK(memcmp(yh, y1, sizeof yh) == 0);
    }
    PT_OK(prle_model_set_neighbour_weight(m, 0));
    PT_EQ_INT(prle_model_in_dim(m), D);
done:
    prle_model_free(m);
    prle_model_free(l);
    prle_matrix_dispose(&z), prle_matrix_dispose(&zv), prle_matrix_dispose(&zt);
    prle_matrix_dispose(&za);
    free(y), free(yv), free(yt);
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_neighbours__choice_matches_sklearn);
    PT_RUN(test_neighbours__sample_counted);
    PT_RUN(test_neighbours__column_matches_sklearn);
    PT_RUN(test_neighbours__file_round_trip);
    PT_RUN(test_neighbours__model_column);
    return pt_report();
}
