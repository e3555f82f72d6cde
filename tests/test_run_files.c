/* LABELS: unit io */
/* The run folder's files written by src/run (docs/run-folder.md): metrics.json round trip and
 * its bytes, predictions CSV, train_log.csv (union header, empty columns, old headers read),
 * the temporary folder and its rename over the old one, the finiteness check, the explained
 * rows of a small fitted model (contributions + rest = prediction) and their JSON. */
#include "run/run_files.h"
#include "prle_test.h"

#include <math.h>
#include <sys/stat.h>

#include "core/matrix_int.h"
#include "data/download.h"
#include "io/json.h"
#include "knn_reference_ref.h"
#include "run/run_int.h"

static const float y6[6] = {0, 1, 2, 3, 4, 5};
static const float p6[6] = {0.5f, 1, 2.5f, 2, 4, 4.5f};

static void test_run_files__metrics_values(void)
{
    prle_split_metrics sm;
    PT_OK(prle_split_metrics_compute(&sm, y6, p6, 6, 0, 5));
    /* by hand: squared errors .25 0 .25 1 0 .25, absolute .5 0 .5 1 0 .5 */
    PT_NEAR(sm.raw.mse, 1.75 / 6, 1e-12);
    PT_NEAR(sm.raw.mae, 2.5 / 6, 1e-12);
    PT_NEAR(sm.unit.mse, 1.75 / 6 / 25, 1e-12);
    PT_NEAR(sm.unit.rmse, sqrt(1.75 / 6) / 5, 1e-12);
    PT_NEAR(sm.unit.pearson, sm.raw.pearson, 0);
    PT_EQ_INT(sm.raw.n, 6);
    PT_CHECK(sm.present);
    /* one row: its errors (y 0, prediction 0.5); r2 and the correlations need two */
    PT_OK(prle_split_metrics_compute(&sm, y6, p6, 1, 0, 5));
    PT_CHECK(sm.present);
    PT_EQ_INT(sm.raw.n, 1);
    PT_EQ_INT(sm.unit.n, 1);
    PT_NEAR(sm.raw.mse, 0.25, 0);
    PT_NEAR(sm.raw.rmse, 0.5, 0);
    PT_NEAR(sm.raw.mae, 0.5, 0);
    PT_NEAR(sm.unit.mse, 0.25 / 25, 1e-15);
    PT_NEAR(sm.unit.mae, 0.1, 1e-15);
    PT_CHECK(isnan(sm.raw.r2) && isnan(sm.raw.pearson) && isnan(sm.raw.spearman) &&
             isnan(sm.raw.kendall) && isnan(sm.unit.pearson));
    PT_EQ_INT(sm.raw.flags, 0);
    const float bad = NAN;
    PT_FAILS(prle_split_metrics_compute(&sm, &bad, p6, 1, 0, 5), PRLE_EINVAL, "y_true[0] is nan");
    PT_FAILS(prle_split_metrics_compute(&sm, y6, p6, 0, 0, 5), PRLE_EINVAL, NULL);
}

static void test_run_files__metrics_round_trip(void)
{
    prle_run_metrics m = {.label_min = -1, .label_max = 1.5}, back;
    PT_OK(prle_split_metrics_compute(&m.splits[PRLE_SPLIT_TEST], y6, p6, 6, -1, 1.5));
    PT_OK(prle_split_metrics_compute(&m.splits[PRLE_SPLIT_VALIDATION], p6, y6, 5, -1, 1.5));
    const char *path = pt_tmp("run_metrics.json");
    PT_OK(prle__run_metrics_write(path, &m));
    PT_OK(prle__run_metrics_read(&back, path));
    PT_CHECK(!back.splits[PRLE_SPLIT_TRAIN].present);
    PT_NEAR(back.label_min, -1, 0);
    PT_NEAR(back.label_max, 1.5, 0);
    for (int s = 1; s < PRLE_N_SPLITS; s++) {
        const prle_split_metrics *a = &m.splits[s], *b = &back.splits[s];
        PT_CHECK(b->present);
        PT_EQ_INT(b->raw.n, a->raw.n);
        PT_EQ_INT(b->unit.n, a->raw.n);
        /* doubles are written exactly */
        PT_CHECK(memcmp(&a->raw.mse, &b->raw.mse, 7 * sizeof(double)) == 0);
        PT_CHECK(memcmp(&a->unit.mse, &b->unit.mse, 7 * sizeof(double)) == 0);
    }
    /* the text of prle_run_metrics_json is the file */
    char *text = NULL;
    size_t len = 0;
    PT_OK(prle_run_metrics_json(&text, &m));
    unsigned char *file = pt_slurp(path, &len);
    PT_CHECK(text && file && strlen(text) == len && memcmp(text, file, len) == 0);
    PT_CHECK(text && strstr(text, "\"format\": \"prle-metrics\""));
    PT_CHECK(text && strstr(text, "\"validation\": {\n      \"n\": 5,"));
    /* validation comes before test, whatever the order they were computed in */
    PT_CHECK(text && strstr(text, "\"validation\"") < strstr(text, "\"test\""));
    free(text);
    free(file);

    /* a split of one row: its entry, null where a metric needs two rows, read back as NaN */
    prle_run_metrics one = {.label_min = 0, .label_max = 5};
    PT_OK(prle_split_metrics_compute(&one.splits[PRLE_SPLIT_TEST], y6 + 2, p6 + 2, 1, 0, 5));
    PT_OK(prle_run_metrics_json(&text, &one));
    PT_CHECK(text && strstr(text, "\"test\": {\n      \"n\": 1,\n      \"raw\": {\n        "
                                  "\"mse\": 0.25,\n        \"rmse\": 0.5,\n        \"mae\": "
                                  "0.5,\n        \"r2\": null,\n        \"pearson\": null,\n"
                                  "        \"spearman\": null,\n        \"kendall\": null\n"));
    free(text);
    PT_OK(prle__run_metrics_write(path, &one));
    PT_OK(prle__run_metrics_read(&back, path));
    PT_CHECK(back.splits[PRLE_SPLIT_TEST].present && !back.splits[PRLE_SPLIT_VALIDATION].present);
    PT_EQ_INT(back.splits[PRLE_SPLIT_TEST].raw.n, 1);
    PT_NEAR(back.splits[PRLE_SPLIT_TEST].unit.mse, 0.01, 1e-15);
    PT_CHECK(isnan(back.splits[PRLE_SPLIT_TEST].raw.pearson) &&
             isnan(back.splits[PRLE_SPLIT_TEST].unit.r2));
}

/* Weight concentration by hand: rows (0.5 0.3 0.2 0), (0.25 x 4), (1 0 0 0). */
static void test_run_files__weight_stats(void)
{
    const float w[12] = {0.5f, 0.3f, 0.2f, 0, 0.25f, 0.25f, 0.25f, 0.25f, 0, 1, 0, 0};
    prle_weight_stats st;
    prle_weight_stats_compute(&st, w, 3, 4);
    PT_CHECK(st.present);
    PT_NEAR(st.top1, (0.5 + 0.25 + 1.0) / 3, 1e-7);
    PT_NEAR(st.top3, (1.0 + 0.75 + 1.0) / 3, 1e-7);
    PT_NEAR(st.n80, (2 + 4 + 1) / 3.0, 1e-12); /* 0.5 + 0.3 reaches 0.8 exactly */
    double h0 = -(0.5 * log(0.5) + 0.3 * log(0.3) + 0.2 * log(0.2));
    PT_NEAR(st.perplexity, (exp(h0) + 4.0 + 1.0) / 3, 1e-6);
    prle_weight_stats_compute(&st, w, 0, 4);
    PT_CHECK(!st.present && st.top1 == 0);
}

/* metrics.json with weights and the ridge yardstick: both come back, and "worse than ridge"
 * follows the validation MSE; a file without them (an earlier run) still reads. */
static void test_run_files__metrics_weights_ridge(void)
{
    prle_run_metrics m = {.label_min = 0, .label_max = 5}, back;
    PT_OK(prle_split_metrics_compute(&m.splits[PRLE_SPLIT_VALIDATION], y6, p6, 6, 0, 5));
    m.splits[PRLE_SPLIT_VALIDATION].weights = (prle_weight_stats){true, 0.625, 0.875, 2.5, 3.25};
    PT_CHECK(!prle_run_metrics_worse_than_ridge(&m)); /* no ridge: never worse */
    m.ridge.present = true;
    m.ridge.alpha = 100;
    m.recal_intercept = -0.25, m.recal_slope = 0.8125;
    PT_OK(prle_split_metrics_compute(&m.ridge.splits[PRLE_SPLIT_VALIDATION], y6, y6, 6, 0, 5));
    PT_CHECK(prle_run_metrics_worse_than_ridge(&m)); /* ridge is exact here */
    m.knn.present = true;
    m.knn.k = 20;
    m.knn.distance_weights = true;
    m.knn.fit_rows = 10000, m.knn.train_rows = 17313;
    PT_OK(prle_split_metrics_compute(&m.knn.splits[PRLE_SPLIT_TEST], y6, p6, 6, 0, 5));
    m.neighbours = (prle_run_neighbours){true, 10, false, 0.5625, 0.09375};
    const char *path = pt_tmp("run_metrics_w.json");
    PT_OK(prle__run_metrics_write(path, &m));
    PT_OK(prle__run_metrics_read(&back, path));
    const prle_weight_stats *w = &back.splits[PRLE_SPLIT_VALIDATION].weights;
    PT_CHECK(w->present && w->top1 == 0.625 && w->top3 == 0.875 && w->n80 == 2.5 &&
             w->perplexity == 3.25);
    PT_CHECK(back.ridge.present && back.ridge.alpha == 100);
    PT_CHECK(back.recal_intercept == -0.25 && back.recal_slope == 0.8125);
    PT_CHECK(back.ridge.splits[PRLE_SPLIT_VALIDATION].present &&
             !back.ridge.splits[PRLE_SPLIT_TEST].present);
    PT_NEAR(back.ridge.splits[PRLE_SPLIT_VALIDATION].unit.mse, 0, 0);
    PT_CHECK(!back.ridge.splits[PRLE_SPLIT_VALIDATION].weights.present);
    PT_CHECK(prle_run_metrics_worse_than_ridge(&back));
    PT_CHECK(back.knn.present && back.knn.k == 20 && back.knn.distance_weights);
    PT_CHECK(back.knn.fit_rows == 10000 && back.knn.train_rows == 17313);
    PT_CHECK(!back.knn.splits[PRLE_SPLIT_VALIDATION].present &&
             back.knn.splits[PRLE_SPLIT_TEST].present);
    PT_NEAR(back.knn.splits[PRLE_SPLIT_TEST].raw.mse, m.knn.splits[PRLE_SPLIT_TEST].raw.mse, 1e-15);
    PT_CHECK(!prle_run_metrics_worse_than(&back, &back.knn)); /* no validation score */
    PT_CHECK(back.neighbours.present && back.neighbours.k == 10 &&
             !back.neighbours.distance_weights && back.neighbours.weight == 0.5625 &&
             back.neighbours.validation_gain == 0.09375);
    m.knn.present = false;
    m.neighbours.present = false;
    m.ridge.splits[PRLE_SPLIT_VALIDATION] = m.splits[PRLE_SPLIT_VALIDATION]; /* equal: not worse */
    PT_CHECK(!prle_run_metrics_worse_than_ridge(&m));
    /* without both keys */
    m.ridge.present = false;
    m.splits[PRLE_SPLIT_VALIDATION].weights.present = false;
    PT_OK(prle__run_metrics_write(path, &m));
    PT_OK(prle__run_metrics_read(&back, path));
    PT_CHECK(!back.ridge.present && !back.splits[PRLE_SPLIT_VALIDATION].weights.present);
    PT_CHECK(!back.neighbours.present);
    /* a file of a run before the recalibration: none applied */
    char old[256];
    snprintf(old, sizeof old,
             "{\"format\": \"prle-metrics\", \"version\": %d, \"label_min\": 0, "
             "\"label_max\": 5, \"splits\": {}}\n",
             PRLE_RUN_FORMAT_VERSION);
    PT_CHECK(pt_write_file(path, old, strlen(old)) == 0);
    PT_OK(prle__run_metrics_read(&back, path));
    PT_CHECK(back.recal_intercept == 0.0 && back.recal_slope == 1.0);
}

/* The dataset of config text `yaml` (files in the scratch dir): the yardsticks take their
 * labels from it. */
static prle_dataset *load_labels(prle_config *cfg, const char *yaml)
{
    prle_dataset *ds = NULL;
    PT_OK(prle_config_load_string(cfg, yaml, strlen(yaml), "t.yaml", pt_tmp("")));
    prle_dataset_params dp = prle_dataset_default_params();
    dp.allow_download = false;
    PT_OK(prle_dataset_load(&ds, &cfg->data, 1, &dp));
    return ds;
}

/* The ridge yardstick picks the alpha of the lowest validation MSE and scores validation and
 * test with that fit: y = 2 x0 - x1 + noise, 40 / 20 / 20 rows. */
static void test_run_files__ridge_reference(void)
{
    const char *yaml = "data:\n  name: r\n  format: tsv\n  header: true\n"
                       "  files: {train: rr.tsv, validation: rr.tsv, test: rr.tsv}\n"
                       "  text_fields: [t]\n  label_field: y\n  label_min: -10\n"
                       "  label_max: 10\n";
    /* the dataset only supplies labels here: write them in a TSV and load it */
    prle_matrix x[PRLE_N_SPLITS] = {{0}};
    FILE *f = fopen(pt_tmp("rr.tsv"), "w");
    prle_rng r;
    prle_rng_init(&r, 5, "test.ridge_ref", 0);
    PT_OK(prle_matrix_alloc(&x[0], 40, 3));
    float yv[40];
    fputs("t\ty\n", f);
    for (size_t i = 0; i < 40; i++) {
        for (int j = 0; j < 3; j++)
            x[0].data[i * 3 + j] = (float)prle_rng_normal(&r);
        yv[i] = 2 * x[0].data[i * 3] - x[0].data[i * 3 + 1] + 0.3f * (float)prle_rng_normal(&r);
        fprintf(f, "row%zu\t%.9g\n", i, yv[i]);
    }
    fclose(f);
    for (int s = 1; s < PRLE_N_SPLITS; s++) {
        PT_OK(prle_matrix_alloc(&x[s], 40, 3));
        memcpy(x[s].data, x[0].data, 40 * 3 * sizeof(float));
    }
    prle_config cfg;
    prle_dataset *ds = load_labels(&cfg, yaml);
    prle_run_reference ref;
    PT_OK(prle__run_ridge_reference(&ref, x, ds, -10, 10, 2, NULL));
    PT_CHECK(ref.present && ref.alpha == 1e-2); /* train = validation: the least penalty */
    /* the same numbers as prle_ridge_fit at that alpha */
    prle_ridge_params rp = prle_ridge_default_params();
    rp.alpha = ref.alpha;
    prle_ridge *rm = NULL;
    float yh[40];
    PT_OK(prle_ridge_fit(&rm, &x[0], yv, &rp));
    PT_OK(prle_ridge_predict(yh, rm, &x[PRLE_SPLIT_TEST]));
    prle_split_metrics want;
    PT_OK(prle_split_metrics_compute(&want, yv, yh, 40, -10, 10));
    PT_NEAR(ref.splits[PRLE_SPLIT_TEST].raw.mse, want.raw.mse, 1e-9);
    PT_NEAR(ref.splits[PRLE_SPLIT_TEST].unit.pearson, want.unit.pearson, 1e-9);
    PT_CHECK(ref.splits[PRLE_SPLIT_TEST].raw.pearson > 0.95);
    prle_ridge_free(rm);
    /* fewer than two validation rows: no reference, no error */
    x[PRLE_SPLIT_VALIDATION].rows = 1;
    PT_OK(prle__run_ridge_reference(&ref, x, ds, -10, 10, 2, NULL));
    PT_CHECK(!ref.present);
    x[PRLE_SPLIT_VALIDATION].rows = 40;
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        prle_matrix_dispose(&x[s]);
}

/* The kNN yardstick against scikit-learn (tools/ref/knn_reference_ref.py): the k and weights
 * the validation rows choose, and their validation scores (it scores no other split). */
static void write_split(const char *name, const float *y, size_t n)
{
    FILE *f = fopen(pt_tmp(name), "w");
    PT_CHECK(f != NULL);
    fputs("t\ty\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "row%zu\t%.9g\n", i, y[i]);
    fclose(f);
}

static void test_run_files__knn_reference(void)
{
    const char *yaml = "data:\n  name: kr\n  format: tsv\n  header: true\n"
                       "  files: {train: kr_tr.tsv, validation: kr_va.tsv, test: kr_te.tsv}\n"
                       "  text_fields: [t]\n  label_field: y\n  label_min: -50\n"
                       "  label_max: 50\n";
    const float *xs[PRLE_N_SPLITS] = {kr_x_train, kr_x_validation, kr_x_test};
    const size_t ns[PRLE_N_SPLITS] = {KR_N_TR, KR_N_VA, KR_N_TE};
    write_split("kr_tr.tsv", kr_y_train, KR_N_TR);
    write_split("kr_va.tsv", kr_y_validation, KR_N_VA);
    write_split("kr_te.tsv", kr_y_test, KR_N_TE);
    prle_matrix x[PRLE_N_SPLITS] = {{0}};
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        PT_OK(prle_matrix_alloc(&x[s], ns[s], KR_D));
        memcpy(x[s].data, xs[s], ns[s] * KR_D * sizeof(float));
    }
    prle_config cfg;
    prle_dataset *ds = load_labels(&cfg, yaml);
    prle_run_reference ref;
    PT_OK(prle__run_knn_reference(&ref, NULL, x, ds, -50, 50, 2));
    PT_CHECK(ref.present && ref.k == KR_K && ref.distance_weights == KR_DISTANCE);
    PT_NEAR(ref.splits[PRLE_SPLIT_VALIDATION].raw.mse, KR_MSE_VALIDATION, 1e-5);
    PT_NEAR(ref.splits[PRLE_SPLIT_VALIDATION].raw.pearson, KR_PEARSON_VALIDATION, 1e-5);
    PT_NEAR(ref.splits[PRLE_SPLIT_VALIDATION].unit.mse, KR_MSE_VALIDATION / 1e4, 1e-9);
    PT_CHECK(!ref.splits[PRLE_SPLIT_TRAIN].present && !ref.splits[PRLE_SPLIT_TEST].present);
    /* PRLE worse than it on validation: the warning's test */
    prle_run_metrics m = {.label_min = -50, .label_max = 50, .knn = ref};
    m.splits[PRLE_SPLIT_VALIDATION] = ref.splits[PRLE_SPLIT_VALIDATION];
    PT_CHECK(!prle_run_metrics_worse_than(&m, &m.knn)); /* equal: not worse */
    m.splits[PRLE_SPLIT_VALIDATION].unit.mse *= 1.01;
    PT_CHECK(prle_run_metrics_worse_than(&m, &m.knn) && !prle_run_metrics_worse_than_ridge(&m));
    /* fewer than two validation rows: no reference, no error */
    x[PRLE_SPLIT_VALIDATION].rows = 1;
    prle__nb_search none;
    PT_OK(prle__run_knn_reference(&ref, &none, x, ds, -50, 50, 2));
    PT_CHECK(!ref.present && none.knn == NULL); /* nothing searched: no neighbour term either */
    x[PRLE_SPLIT_VALIDATION].rows = KR_N_VA;
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        prle_matrix_dispose(&x[s]);
}

static void test_run_files__metrics_bad(void)
{
    const char *path = pt_tmp("run_metrics_v2.json");
    const char *v2 = "{\"format\": \"prle-metrics\", \"version\": 2, \"label_min\": 0, "
                     "\"label_max\": 1, \"splits\": {}}\n";
    PT_CHECK(pt_write_file(path, v2, strlen(v2)) == 0);
    prle_run_metrics m;
    PT_FAILS(prle__run_metrics_read(&m, path), PRLE_EFORMAT, "version 2");
    const char *miss = "{\"format\": \"prle-metrics\", \"version\": 1, \"label_min\": 0, "
                       "\"label_max\": 1, \"splits\": {\"test\": {\"n\": 3, \"raw\": {}}}}\n";
    PT_CHECK(pt_write_file(path, miss, strlen(miss)) == 0);
    PT_FAILS(prle__run_metrics_read(&m, path), PRLE_EFORMAT, "run_metrics_v2.json");
    PT_FAILS(prle__run_metrics_read(&m, pt_tmp("no_such_metrics.json")), PRLE_ENOTFOUND, NULL);
}

static void test_run_files__predictions_csv(void)
{
    const char *path = pt_tmp("run_pred.csv");
    float y[3] = {0.1f, NAN, 5}, yh[3] = {1.0f / 3, -2.5f, 1e-8f};
    PT_OK(prle__run_predictions_write(path, y, yh, NULL, NULL, 3));
    size_t len;
    unsigned char *t = pt_slurp(path, &len);
    PT_EQ_STR((char *)t, "index,label,prediction\n0,0.1,0.33333334\n1,,-2.5\n2,5,1e-08\n");
    free(t);
    /* every number reads back to the same float */
    prle_table *tab = NULL;
    prle_table_params tp = prle_table_default_params();
    PT_OK(prle_table_read(&tab, path, &tp));
    PT_EQ_INT(prle_table_n_rows(tab), 3);
    for (size_t i = 0; tab && i < 3; i++)
        PT_CHECK(strtof(prle_table_field(tab, i, 2), NULL) == yh[i]);
    prle_table_free(tab);
    float lo[1] = {0}, hi[1] = {2};
    PT_OK(prle__run_predictions_write(path, NULL, yh, lo, hi, 1));
    t = pt_slurp(path, &len);
    PT_EQ_STR((char *)t, "index,label,prediction,lo,hi\n0,,0.33333334,0,2\n");
    free(t);
}

static void test_run_files__train_log(void)
{
    const char *path = pt_tmp("run_train_log.csv");
    prle_kernel_epoch k[2] = {{.epoch = 1,
                               .loss = 0.5,
                               .loss_pair = 0.25,
                               .loss_triplet = 0.125,
                               .loss_uniform = -1,
                               .val_pair = NAN,
                               .seconds = 1.5,
                               .rows_per_s = 100},
                              {.epoch = 2,
                               .loss = 0.4,
                               .loss_pair = 0.2,
                               .loss_triplet = 0.1,
                               .loss_uniform = -1.25,
                               .val_pair = 0.3,
                               .seconds = 2,
                               .rows_per_s = 75}};
    prle_model_epoch m[1] = {{.epoch = 1,
                              .loss = 2,
                              .task = 1,
                              .fit = 0.5,
                              .anchor = 0.25,
                              .balance = 1.125,
                              .entropy = 3,
                              .metric = NAN,
                              .proto_self = NAN,
                              .local = NAN,
                              .consistency = NAN,
                              .val_mse = 0.5,
                              .val_mse_raw = 0.75,
                              .tau = 2.5,
                              .seconds = 0.5}};
    prle__train_log log = {.kernel = k,
                           .n_kernel = 2,
                           .kernel_kept = 2,
                           .model = m,
                           .n_model = 1,
                           .model_kept = 1,
                           .model_rows = 10};
    PT_OK(prle__run_train_log_write(path, &log));
    size_t len;
    unsigned char *t = pt_slurp(path, &len);
    const char *want =
        "stage,epoch,loss,loss_pair,loss_triplet,loss_uniform,val_pair,task,fit,anchor,balance,"
        "entropy,metric,proto_self,local,consistency,val_mse,tau,seconds,rows_per_s,kept\n"
        "kernel,1,0.5,0.25,0.125,-1,,,,,,,,,,,,,1.500000,100.0,0\n"
        "kernel,2,0.4,0.2,0.1,-1.25,0.3,,,,,,,,,,,,2.000000,75.0,1\n"
        "experts,1,2,,,,,1,0.5,0.25,1.125,3,,,,,0.75,2.5,0.500000,20.0,1\n";
    PT_EQ_STR((char *)t, want);
    free(t);
    /* the kernel rows read back */
    prle_kernel_epoch *r = NULL;
    size_t n = 0;
    int kept = 0;
    PT_OK(prle__run_train_log_read_kernel(&r, &n, &kept, path));
    PT_EQ_INT(n, 2);
    PT_EQ_INT(kept, 2);
    if (n == 2) {
        PT_EQ_INT(r[1].epoch, 2);
        PT_NEAR(r[1].loss_uniform, -1.25, 0);
        PT_CHECK(isnan(r[0].val_pair));
        PT_NEAR(r[1].val_pair, 0.3, 0);
        PT_NEAR(r[0].rows_per_s, 100, 0);
    }
    free(r);
    /* the header prle kernel wrote before the union header */
    const char *old = "stage,epoch,loss,loss_pair,loss_triplet,loss_uniform,val_pair,seconds,"
                      "rows_per_s,kept\nkernel,1,0.04,0.05,0.08,-1.2,0.051,0.18,30493.2,0\n"
                      "kernel,2,0.03,0.04,0.06,-1.3,0.049,0.19,31422.8,1\n";
    PT_CHECK(pt_write_file(path, old, strlen(old)) == 0);
    PT_OK(prle__run_train_log_read_kernel(&r, &n, &kept, path));
    PT_EQ_INT(n, 2);
    PT_EQ_INT(kept, 2);
    if (n == 2)
        PT_NEAR(r[0].seconds, 0.18, 0);
    free(r);
    const char *bad = "stage,epoch,loss\nkernel,x,1\n";
    PT_CHECK(pt_write_file(path, bad, strlen(bad)) == 0);
    PT_FAILS(prle__run_train_log_read_kernel(&r, &n, &kept, path), PRLE_EFORMAT, ":2: epoch");
}

static bool file_has(const char *path, const char *text)
{
    size_t len;
    char *t = (char *)pt_slurp(path, &len);
    bool ok = t && strcmp(t, text) == 0;
    free(t);
    return ok;
}

static void test_run_files__folder_commit(void)
{
    char *tmp = NULL, *old_tmp = NULL, *parent = NULL;
    size_t made = 0;
    char final_dir[512]; /* pt_tmp's buffers are reused */
    snprintf(final_dir, sizeof final_dir, "%s", pt_tmp("runs_commit/r1"));
    PT_OK(prle__remove_tree(pt_tmp("runs_commit")));
    /* a run that fails removes the output folders it created, and only those */
    PT_OK(prle__remove_tree(pt_tmp("made")));
    PT_CHECK(mkdir(pt_tmp("made"), 0777) == 0);
    char deep[1024];
    snprintf(deep, sizeof deep, "%s/a/b/r1", pt_tmp("made"));
    PT_OK(prle__run_tmp_dir(&tmp, &parent, &made, deep));
    PT_CHECK(parent && made == strlen(pt_tmp("made")) + 2 && !strcmp(parent + made, "/b"));
    if (tmp && parent) {
        PT_OK(prle__remove_tree(tmp));
        prle__rmdir_new(parent, made);
        PT_CHECK(!prle__path_exists(pt_tmp("made/a")) && prle__path_exists(pt_tmp("made")));
    }
    free(tmp), free(parent);
    tmp = parent = NULL;
    PT_OK(prle__remove_tree(pt_tmp("made")));
    /* first run: no old folder */
    PT_OK(prle__run_tmp_dir(&tmp, &parent, &made, final_dir));
    PT_CHECK(tmp && strstr(tmp, "runs_commit/.r1.tmp-"));
    free(parent);
    char path[1024];
    snprintf(path, sizeof path, "%s/a.txt", tmp);
    PT_CHECK(pt_write_file(path, "one", 3) == 0);
    PT_OK(prle__run_commit_dir(tmp, final_dir));
    PT_CHECK(!prle__path_exists(tmp));
    snprintf(path, sizeof path, "%s/a.txt", final_dir);
    PT_CHECK(file_has(path, "one"));
    /* second run replaces the whole folder: a.txt of the old one is gone */
    old_tmp = tmp;
    PT_OK(prle__run_tmp_dir(&tmp, &parent, &made, final_dir));
    PT_EQ_STR(tmp, old_tmp);
    PT_CHECK(made == 0); /* the folder was there */
    free(parent);
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/value", tmp);
    PT_CHECK(mkdir(sub, 0777) == 0);
    snprintf(path, sizeof path, "%s/value/b.txt", tmp);
    PT_CHECK(pt_write_file(path, "two", 3) == 0);
    PT_OK(prle__run_commit_dir(tmp, final_dir));
    snprintf(path, sizeof path, "%s/a.txt", final_dir);
    PT_CHECK(!prle__path_exists(path));
    snprintf(path, sizeof path, "%s/value/b.txt", final_dir);
    PT_CHECK(file_has(path, "two"));
    /* nothing is left beside it */
    PT_CHECK(!prle__path_exists(tmp));
    snprintf(path, sizeof path, "%s", tmp);
    char *dot = strstr(path, ".tmp-");
    if (dot) {
        memcpy(dot, ".old-", 5);
        PT_CHECK(!prle__path_exists(path));
    }
    /* copy */
    snprintf(path, sizeof path, "%s/value/b.txt", final_dir);
    PT_OK(prle__copy_file(pt_tmp("runs_commit/copy.txt"), path));
    PT_CHECK(file_has(pt_tmp("runs_commit/copy.txt"), "two"));
    PT_FAILS(prle__copy_file(pt_tmp("runs_commit/x"), pt_tmp("runs_commit/none")), PRLE_ENOTFOUND,
             "none");
    PT_OK(prle__remove_tree(pt_tmp("runs_commit")));
    PT_CHECK(!prle__path_exists(pt_tmp("runs_commit")));
    free(tmp);
    free(old_tmp);
}

static void test_run_files__run_dir_and_finite(void)
{
    prle_config cfg;
    PT_OK(prle_config_default(&cfg));
    free(cfg.train.output_dir);
    cfg.train.output_dir = strdup("/x/runs");
    cfg.logging.run_name = strdup("stsb-glove");
    char *dir = NULL;
    PT_OK(prle_run_dir(&dir, &cfg));
    PT_EQ_STR(dir, "/x/runs/stsb-glove");
    free(dir);
    free(cfg.logging.run_name);
    cfg.logging.run_name = strdup("a/b");
    PT_FAILS(prle_run_dir(&dir, &cfg), PRLE_EINVAL, "a/b");
    /* a legal file name too long for the temporary one beside it */
    free(cfg.logging.run_name);
    cfg.logging.run_name = malloc(202);
    if (cfg.logging.run_name) {
        memset(cfg.logging.run_name, 'a', 201);
        cfg.logging.run_name[201] = '\0';
        PT_FAILS(prle_run_dir(&dir, &cfg), PRLE_EINVAL, "logging.run_name is 201 bytes");
        cfg.logging.run_name[200] = '\0';
        PT_OK(prle_run_dir(&dir, &cfg));
        free(dir);
    }
    prle_config_dispose(&cfg);

    prle_matrix m = {0};
    PT_OK(prle_matrix_alloc(&m, 4, 3));
    PT_OK(prle__check_finite(&m, "e.npy"));
    m.data[2 * 3 + 1] = NAN;
    PT_FAILS(prle__check_finite(&m, "e.npy"), PRLE_EINVAL,
             "e.npy: row 2 (0-based), column 1 is nan");
    m.data[1 * 3 + 0] = INFINITY;
    PT_FAILS(prle__check_finite(&m, "e.npy"), PRLE_EINVAL, "row 1 (0-based), column 0 is infinite");
    prle_matrix_dispose(&m);
}

static void test_run_files__explain_pick(void)
{
    /* sorted by (label, index): 0:r5 1:r1 2:r2 2:r6 3:r0 4:r4 5:r3; positions (2i+1)7/6 = 1, 3, 5
     */
    const float y[7] = {3, 1, 2, 5, 4, 0, 2};
    size_t rows[3];
    PT_EQ_INT(prle_explain_pick(rows, y, 7, 3), 3);
    PT_EQ_INT(rows[0], 1);
    PT_EQ_INT(rows[1], 6);
    PT_EQ_INT(rows[2], 4);
    PT_EQ_INT(prle_explain_pick(rows, y, 2, 3), 2); /* y[0..1] = 3, 1: positions 0, 1 */
    PT_EQ_INT(rows[0], 1);
    PT_EQ_INT(rows[1], 0);
    PT_EQ_INT(prle_explain_pick(rows, y, 0, 3), 0);
}

/* A small model on random unit rows whose labels depend on the first coordinate. */
static prle_model *small_model(prle_matrix *z)
{
    size_t n = 60, d = 4;
    float y[60];
    prle_rng r;
    prle_rng_init(&r, 5, "test.run", 0);
    if (prle_matrix_alloc(z, n, d) < 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        float *row = prle_matrix_row(z, i);
        double ss = 0;
        for (size_t j = 0; j < d; j++) {
            row[j] = (float)(2 * prle_rng_uniform(&r) - 1);
            ss += row[j] * row[j];
        }
        for (size_t j = 0; j < d; j++)
            row[j] = (float)(row[j] / sqrt(ss));
        y[i] = 2.5f + 2 * row[0];
    }
    prle_model_params p = prle_model_default_params();
    p.protos.n_prototypes = 5;
    p.max_epochs = 3;
    p.batch_size = 16;
    p.label_min = 0;
    p.label_max = 5;
    prle_model *m = NULL;
    PT_OK(prle_model_fit(&m, z, y, NULL, NULL, &p));
    return m;
}

static void test_run_files__explain_rows(void)
{
    prle_matrix z = {0};
    prle_model *m = small_model(&z);
    PT_CHECK(m != NULL);
    if (!m) {
        prle_matrix_dispose(&z);
        return;
    }
    for (size_t i = 0; i < 4; i++) {
        const float *row = prle_matrix_row(&z, i * 7);
        float yhat;
        prle_matrix one = {.data = (float *)row, .rows = 1, .cols = z.cols};
        PT_OK(prle_model_predict(&yhat, NULL, NULL, m, &one));
        for (size_t k = 1; k <= 7; k += 3) { /* 1, 4 and 7 >= P = 5 */
            prle_explained e = {0};
            PT_OK(prle_explain_row(&e, m, row, k));
            PT_EQ_INT(e.n_items, k < 5 ? k : 5);
            PT_EQ_INT(e.rest_count, 5 - e.n_items);
            double c = e.rest_contribution, w = e.rest_weight;
            for (size_t j = 0; j < e.n_items; j++) {
                c += e.items[j].contribution;
                w += e.items[j].weight;
                PT_NEAR(e.items[j].contribution, e.items[j].weight * e.items[j].local, 1e-6);
            }
            PT_NEAR(c, e.prediction, 1e-5);
            PT_NEAR(w, 1, 1e-5);
            PT_NEAR(e.prediction, yhat, 1e-6);
            if (!e.rest_count) /* the float rounding of sum(items) vs yhat, nothing more */
                PT_NEAR(e.rest_contribution, 0, 1e-6);
            prle_explained_dispose(&e);
        }
    }
    prle_model_free(m);
    prle_matrix_dispose(&z);
}

static void test_run_files__explain_json(void)
{
    prle_explain_item items[1] = {
        {.prototype = 2, .train_row = 0, .weight = 0.25f, .local = 4, .contribution = 1}};
    prle_explained e = {.prediction = 3.5f,
                        .items = items,
                        .n_items = 1,
                        .rest_count = 3,
                        .rest_weight = 0.75,
                        .rest_contribution = 2.5f};
    prle_explain_input in = {.index = SIZE_MAX, .text = "a \"quoted\" text", .label = NAN};
    /* a dataset with one train row to take the prototype's text and label from */
    const char *csv = "text,score\nthe prototype,4.5\n";
    PT_CHECK(pt_write_file(pt_tmp("run_ex_train.csv"), csv, strlen(csv)) == 0);
    prle_config cfg;
    PT_OK(prle_config_default(&cfg));
    cfg.data.format = strdup("csv");
    cfg.data.files.train = strdup(pt_tmp("run_ex_train.csv"));
    cfg.data.files.validation = strdup(pt_tmp("run_ex_train.csv"));
    cfg.data.files.test = strdup(pt_tmp("run_ex_train.csv"));
    cfg.data.text_fields.items = calloc(1, sizeof(prle_field));
    cfg.data.text_fields.items[0] = (prle_field){strdup("text"), -1};
    cfg.data.text_fields.n = 1;
    cfg.data.label_field = (prle_field){strdup("score"), -1};
    cfg.data.label_min = 0;
    cfg.data.label_max = 5;
    prle_dataset *ds = NULL;
    PT_OK(prle_dataset_load(&ds, &cfg.data, 1, NULL));
    char *json = NULL;
    if (ds)
        PT_OK(prle_explain_json(&json, &e, &in, ds, false));
    PT_EQ_STR(json, "{\"text\":\"a \\\"quoted\\\" text\",\"prediction\":3.5,\"prototypes\":[{"
                    "\"index\":0,\"slot\":2,\"text\":\"the prototype\",\"label\":4.5,"
                    "\"weight\":0.25,\"local_prediction\":4,\"contribution\":1}],"
                    "\"rest\":{\"count\":3,\"weight\":0.75,\"contribution\":2.5}}");
    free(json);
    json = NULL;
    in = (prle_explain_input){.index = 7, .text = "t", .label = 1.5f, .prediction = 2};
    if (ds)
        PT_OK(prle_explain_json(&json, NULL, &in, ds, false));
    PT_EQ_STR(json, "{\"index\":7,\"text\":\"t\",\"label\":1.5,\"prediction\":2}");
    free(json);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
}

int main(void)
{
    PT_RUN(test_run_files__metrics_values);
    PT_RUN(test_run_files__metrics_round_trip);
    PT_RUN(test_run_files__weight_stats);
    PT_RUN(test_run_files__metrics_weights_ridge);
    PT_RUN(test_run_files__knn_reference);
    PT_RUN(test_run_files__ridge_reference);
    PT_RUN(test_run_files__metrics_bad);
    PT_RUN(test_run_files__predictions_csv);
    PT_RUN(test_run_files__train_log);
    PT_RUN(test_run_files__folder_commit);
    PT_RUN(test_run_files__run_dir_and_finite);
    PT_RUN(test_run_files__explain_pick);
    PT_RUN(test_run_files__explain_rows);
    PT_RUN(test_run_files__explain_json);
    return pt_report();
}
