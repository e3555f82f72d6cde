/* Files of the run folder that need no model: metrics.json, predictions_{split}.csv and
 * train_log.csv (docs/run-folder.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run_files.h"
#include "core/error.h"
#include "io/fileio.h"
#include "io/json.h"
#include "io/metrics_json.h"
#include "prle/table.h"
#include "run/run_int.h"

/* ---- metrics.json --------------------------------------------------------------------- */

static cJSON *weights_json(const prle_weight_stats *w)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || prle__json_add_number(o, "top1", w->top1) < 0 ||
        prle__json_add_number(o, "top3", w->top3) < 0 ||
        prle__json_add_number(o, "n80", w->n80) < 0 ||
        prle__json_add_number(o, "perplexity", w->perplexity) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* {"validation": {n, raw, unit[, weights]}, "test": ...}: the present splits, in order. */
static cJSON *splits_json(const prle_split_metrics sp[PRLE_N_SPLITS])
{
    cJSON *splits = cJSON_CreateObject();
    if (!splits)
        return NULL;
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const prle_split_metrics *sm = &sp[s];
        if (!sm->present)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o || prle__json_add(splits, prle_split_name((prle_split)s), o) < 0 ||
            prle__json_add_int(o, "n", (int64_t)sm->raw.n) < 0 ||
            prle__json_add(o, "raw", prle__metrics_json(&sm->raw, false)) < 0 ||
            prle__json_add(o, "unit", prle__metrics_json(&sm->unit, false)) < 0 ||
            (sm->weights.present && prle__json_add(o, "weights", weights_json(&sm->weights)) < 0)) {
            cJSON_Delete(splits);
            return NULL;
        }
    }
    return splits;
}

static cJSON *coverage_json(const prle_interval_coverage *c, bool cross_fit)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || prle__json_add_int(o, "n", (int64_t)c->n) < 0 ||
        (cross_fit && prle__json_add_int(o, "folds", PRLE_INTERVAL_FOLDS) < 0) ||
        prle__json_add_number(o, "coverage", c->coverage) < 0 ||
        prle__json_add_number(o, "mean_width", c->mean_width) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* [{"method": "plain" | "adaptive", level, q, n_calib, validation {n, folds, coverage,
 * mean_width}, test {n, coverage, mean_width}}], the present rules in order. */
static cJSON *intervals_json(const prle_interval_stats st[2])
{
    cJSON *arr = cJSON_CreateArray();
    for (int k = 0; arr && k < 2; k++) {
        const prle_interval_stats *s = &st[k];
        if (!s->present)
            continue;
        cJSON *o;
        if (prle__json_push_object(&o, arr, "metrics.json") < 0 ||
            prle__json_add_string(o, "method", s->adaptive ? "adaptive" : "plain") < 0 ||
            prle__json_add_number(o, "level", s->level) < 0 ||
            prle__json_add_number(o, "q", s->q) < 0 ||
            prle__json_add_int(o, "n_calib", (int64_t)s->n_calib) < 0 ||
            prle__json_add(o, "validation", coverage_json(&s->validation, true)) < 0 ||
            (s->test.n && prle__json_add(o, "test", coverage_json(&s->test, false)) < 0)) {
            cJSON_Delete(arr); /* o, when made, is in arr */
            return NULL;
        }
    }
    return arr;
}

static cJSON *metrics_tree(const prle_run_metrics *m)
{
    cJSON *root = cJSON_CreateObject(), *ref = NULL;
    if (!root || prle__json_add_string(root, "format", "prle-metrics") < 0 ||
        prle__json_add_int(root, "version", PRLE_RUN_FORMAT_VERSION) < 0 ||
        prle__json_add_number(root, "label_min", m->label_min) < 0 ||
        prle__json_add_number(root, "label_max", m->label_max) < 0 ||
        prle__json_add(root, "splits", splits_json(m->splits)) < 0)
        goto fail;
    if (m->ridge.present &&
        (!(ref = cJSON_CreateObject()) || prle__json_add(root, "ridge", ref) < 0 ||
         prle__json_add_string(ref, "features", "retrieval") < 0 ||
         prle__json_add_number(ref, "alpha", m->ridge.alpha) < 0 ||
         prle__json_add(ref, "splits", splits_json(m->ridge.splits)) < 0))
        goto fail;
    if (m->knn.present &&
        (!(ref = cJSON_CreateObject()) || prle__json_add(root, "knn", ref) < 0 ||
         prle__json_add_string(ref, "features", "retrieval") < 0 ||
         prle__json_add_string(ref, "metric", "cosine") < 0 ||
         prle__json_add_int(ref, "k", (int64_t)m->knn.k) < 0 ||
         prle__json_add_string(ref, "weights", m->knn.distance_weights ? "distance" : "uniform") <
             0 ||
         (m->knn.fit_rows &&
          (prle__json_add_int(ref, "fit_rows", (int64_t)m->knn.fit_rows) < 0 ||
           prle__json_add_int(ref, "train_rows", (int64_t)m->knn.train_rows) < 0)) ||
         prle__json_add(ref, "splits", splits_json(m->knn.splits)) < 0))
        goto fail;
    if (!(ref = cJSON_CreateObject()) || prle__json_add(root, "recalibration", ref) < 0 ||
        prle__json_add_number(ref, "intercept", m->recal_intercept) < 0 ||
        prle__json_add_number(ref, "slope", m->recal_slope) < 0)
        goto fail;
    if ((m->intervals[0].present || m->intervals[1].present) &&
        prle__json_add(root, "intervals", intervals_json(m->intervals)) < 0)
        goto fail;
    const prle_run_neighbours *nb = &m->neighbours;
    if (nb->present &&
        (!(ref = cJSON_CreateObject()) || prle__json_add(root, "neighbours", ref) < 0 ||
         prle__json_add_string(ref, "features", "retrieval") < 0 ||
         prle__json_add_string(ref, "metric", "cosine") < 0 ||
         prle__json_add_int(ref, "k", (int64_t)nb->k) < 0 ||
         prle__json_add_string(ref, "weights", nb->distance_weights ? "distance" : "uniform") < 0 ||
         prle__json_add_number(ref, "weight", nb->weight) < 0 ||
         prle__json_add_number(ref, "validation_mse_gain", nb->validation_gain) < 0))
        goto fail;
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

int prle_run_metrics_json(char **out, const prle_run_metrics *m)
{
    cJSON *root = metrics_tree(m);
    if (!root)
        return prle__error_nomem("metrics.json");
    char *text = NULL;
    size_t len = 0;
    int err = prle__json_print(&text, &len, root, true);
    cJSON_Delete(root);
    if (err < 0)
        return err;
    char *t = realloc(text, len + 2);
    if (!t) {
        free(text);
        return prle__error_nomem("metrics.json");
    }
    t[len] = '\n';
    t[len + 1] = '\0';
    *out = t;
    return 0;
}

int prle__run_metrics_write(const char *path, const prle_run_metrics *m)
{
    cJSON *root = metrics_tree(m);
    if (!root)
        return prle__error_nomem("metrics.json");
    int err = prle__json_write_file(path, root);
    cJSON_Delete(root);
    return err;
}

static int read_metrics_obj(prle_metrics *out, const cJSON *parent, const char *key)
{
    const cJSON *o;
    int err = prle__json_get_object(&o, parent, key);
    return err < 0 ? err : prle__metrics_from_json(out, o);
}

static int read_weights(prle_weight_stats *out, const cJSON *parent)
{
    const cJSON *o;
    int err;
    if ((err = prle__json_get_object(&o, parent, "weights")) < 0 ||
        (err = prle__json_get_number(&out->top1, o, "top1")) < 0 ||
        (err = prle__json_get_number(&out->top3, o, "top3")) < 0 ||
        (err = prle__json_get_number(&out->n80, o, "n80")) < 0 ||
        (err = prle__json_get_number(&out->perplexity, o, "perplexity")) < 0)
        return err;
    out->present = true;
    return 0;
}

static int read_coverage(prle_interval_coverage *out, const cJSON *parent, const char *key)
{
    const cJSON *o;
    int err;
    if ((err = prle__json_get_object(&o, parent, key)) < 0 ||
        (err = prle__json_get_size(&out->n, o, "n")) < 0 ||
        (err = prle__json_get_number(&out->coverage, o, "coverage")) < 0 ||
        (err = prle__json_get_number(&out->mean_width, o, "mean_width")) < 0)
        prle__error_prefix(err, "%s", key);
    return err;
}

/* metrics.json "intervals" (optional: files before issue 17 lack it). */
static int read_intervals(prle_interval_stats st[2], const cJSON *root)
{
    const cJSON *arr;
    size_t n;
    int err = prle__json_get_array(&arr, &n, root, "intervals");
    if (err < 0)
        return err;
    size_t i = 0;
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        const char *method;
        prle_interval_stats s = {.present = true};
        if ((err = prle__json_get_string(&method, o, "method")) < 0 ||
            (err = prle__json_get_number(&s.level, o, "level")) < 0 ||
            (err = prle__json_get_number(&s.q, o, "q")) < 0 ||
            (err = prle__json_get_size(&s.n_calib, o, "n_calib")) < 0 ||
            (err = read_coverage(&s.validation, o, "validation")) < 0 ||
            (prle__json_has(o, "test") && (err = read_coverage(&s.test, o, "test")) < 0))
            goto bad;
        s.adaptive = strcmp(method, "adaptive") == 0;
        if (!s.adaptive && strcmp(method, "plain") != 0) {
            err =
                prle__error_set(PRLE_EFORMAT, "method \"%s\": expected plain or adaptive", method);
            goto bad;
        }
        st[s.adaptive] = s;
    }
    return 0;
bad:
    prle__error_prefix(err, "intervals[%zu]", i);
    return err;
}

/* The splits object of metrics.json or of its ridge: splits absent from it stay absent;
 * "weights" is optional (metrics.json of earlier versions lacks it). */
static int read_splits(prle_split_metrics sp[PRLE_N_SPLITS], const cJSON *splits, const char *where)
{
    int err = 0;
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const char *name = prle_split_name((prle_split)s);
        if (!prle__json_has(splits, name))
            continue;
        const cJSON *o;
        size_t n;
        prle_split_metrics *sm = &sp[s];
        if ((err = prle__json_get_object(&o, splits, name)) < 0 ||
            (err = prle__json_get_size(&n, o, "n")) < 0 ||
            (err = read_metrics_obj(&sm->raw, o, "raw")) < 0 ||
            (err = read_metrics_obj(&sm->unit, o, "unit")) < 0 ||
            (prle__json_has(o, "weights") && (err = read_weights(&sm->weights, o)) < 0)) {
            prle__error_prefix(err, "%s.%s", where, name);
            return err;
        }
        sm->present = true;
        sm->raw.n = sm->unit.n = n;
    }
    return 0;
}

/* metrics.json "neighbours" (runs before the term have none). */
static int read_neighbours(prle_run_neighbours *out, const cJSON *root, const char *path)
{
    const cJSON *nb;
    int64_t k;
    const char *wt;
    int err;
    if ((err = prle__json_get_object(&nb, root, "neighbours")) < 0 ||
        (err = prle__json_get_int(&k, nb, "k")) < 0 ||
        (err = prle__json_get_string(&wt, nb, "weights")) < 0 ||
        (err = prle__json_get_number(&out->weight, nb, "weight")) < 0 ||
        (err = prle__json_get_number(&out->validation_gain, nb, "validation_mse_gain")) < 0)
        return prle__error_prefix(err, "%s", path);
    if (k < 1 || (strcmp(wt, "uniform") && strcmp(wt, "distance")) ||
        !(out->weight > 0 && out->weight <= 1))
        return prle__error_set(PRLE_EFORMAT,
                               "%s: neighbours: k %lld, weights \"%s\" or weight %g "
                               "invalid",
                               path, (long long)k, wt, out->weight);
    out->k = (size_t)k;
    out->distance_weights = !strcmp(wt, "distance");
    out->present = true;
    return 0;
}

int prle__run_metrics_read(prle_run_metrics *out, const char *path)
{
    cJSON *root = NULL;
    prle_run_metrics m = {0};
    const char *fmt;
    int64_t version;
    const cJSON *splits;
    int err = prle__json_read_file(&root, path);
    if (err < 0)
        return err;
    if ((err = prle__json_get_string(&fmt, root, "format")) < 0 ||
        (err = prle__json_get_int(&version, root, "version")) < 0)
        goto bad;
    if (strcmp(fmt, "prle-metrics") || version != PRLE_RUN_FORMAT_VERSION) {
        err = prle__error_set(PRLE_EFORMAT,
                              "%s: format \"%s\" version %lld, expected \"prle-metrics\" "
                              "version %d (a run folder of another prle version?)",
                              path, fmt, (long long)version, PRLE_RUN_FORMAT_VERSION);
        goto done;
    }
    if ((err = prle__json_get_number(&m.label_min, root, "label_min")) < 0 ||
        (err = prle__json_get_number(&m.label_max, root, "label_max")) < 0 ||
        (err = prle__json_get_object(&splits, root, "splits")) < 0 ||
        (err = read_splits(m.splits, splits, "splits")) < 0)
        goto bad;
    if (prle__json_has(root, "ridge")) {
        const cJSON *ref, *rsplits;
        if ((err = prle__json_get_object(&ref, root, "ridge")) < 0 ||
            (err = prle__json_get_number(&m.ridge.alpha, ref, "alpha")) < 0 ||
            (err = prle__json_get_object(&rsplits, ref, "splits")) < 0 ||
            (err = read_splits(m.ridge.splits, rsplits, "ridge.splits")) < 0)
            goto bad;
        m.ridge.present = true;
    }
    if (prle__json_has(root, "knn")) { /* older run folders have none */
        const cJSON *ref, *rsplits;
        int64_t k;
        const char *wt;
        if ((err = prle__json_get_object(&ref, root, "knn")) < 0 ||
            (err = prle__json_get_int(&k, ref, "k")) < 0 ||
            (err = prle__json_get_string(&wt, ref, "weights")) < 0 ||
            (err = prle__json_get_object(&rsplits, ref, "splits")) < 0 ||
            (err = read_splits(m.knn.splits, rsplits, "knn.splits")) < 0)
            goto bad;
        if (k < 1 || (strcmp(wt, "uniform") && strcmp(wt, "distance"))) {
            err = prle__error_set(PRLE_EFORMAT, "%s: knn: k %lld or weights \"%s\" invalid", path,
                                  (long long)k, wt);
            goto done;
        }
        m.knn.k = (size_t)k;
        m.knn.distance_weights = !strcmp(wt, "distance");
        if (prle__json_has(ref, "fit_rows") && /* since 2026-12-07 */
            ((err = prle__json_get_size(&m.knn.fit_rows, ref, "fit_rows")) < 0 ||
             (err = prle__json_get_size(&m.knn.train_rows, ref, "train_rows")) < 0))
            goto bad;
        m.knn.present = true;
    }
    m.recal_slope = 1.0; /* folders written before the recalibration */
    if (prle__json_has(root, "recalibration")) {
        const cJSON *rc;
        if ((err = prle__json_get_object(&rc, root, "recalibration")) < 0 ||
            (err = prle__json_get_number(&m.recal_intercept, rc, "intercept")) < 0 ||
            (err = prle__json_get_number(&m.recal_slope, rc, "slope")) < 0)
            goto bad;
    }
    if (prle__json_has(root, "intervals") && (err = read_intervals(m.intervals, root)) < 0)
        goto bad;
    if (prle__json_has(root, "neighbours") &&
        (err = read_neighbours(&m.neighbours, root, path)) < 0)
        goto done;
    *out = m;
    goto done;
bad:
    prle__error_prefix(err, "%s", path);
done:
    cJSON_Delete(root);
    return err;
}

/* ---- predictions_{split}.csv ----------------------------------------------------------- */

/* The shortest float text, empty for NaN (an unknown label). */
static void put_float(FILE *fp, float v)
{
    if (isnan(v))
        return;
    char buf[PRLE__JSON_NUMBUF];
    prle__json_fmt_float(buf, v);
    fputs(buf, fp);
}

int prle__run_predictions_write(const char *path, const float *y, const float *yhat,
                                const float *lo, const float *hi, size_t n)
{
    prle__afile f = {0};
    int err = prle__afile_open(&f, path);
    if (err < 0)
        return err;
    bool iv = lo && hi;
    fputs(iv ? "index,label,prediction,lo,hi\n" : "index,label,prediction\n", f.fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(f.fp, "%zu,", i);
        if (y)
            put_float(f.fp, y[i]);
        fputc(',', f.fp);
        put_float(f.fp, yhat[i]);
        if (iv) {
            fputc(',', f.fp);
            put_float(f.fp, lo[i]);
            fputc(',', f.fp);
            put_float(f.fp, hi[i]);
        }
        fputc('\n', f.fp);
    }
    return prle__afile_commit(&f);
}

/* ---- train_log.csv -------------------------------------------------------------------- */

enum {
    COL_STAGE,
    COL_EPOCH,
    COL_LOSS,
    COL_PAIR,
    COL_TRIPLET,
    COL_UNIFORM,
    COL_VAL_PAIR,
    COL_TASK,
    COL_FIT,
    COL_ANCHOR,
    COL_BALANCE,
    COL_ENTROPY,
    COL_METRIC,
    COL_PROTO_SELF,
    COL_LOCAL,
    COL_CONSISTENCY,
    COL_VAL_MSE,
    COL_TAU,
    COL_SECONDS,
    COL_ROWS_PER_S,
    COL_KEPT,
    N_COLS
};

static const char *const log_cols[N_COLS] = {
    "stage", "epoch",       "loss",    "loss_pair", "loss_triplet", "loss_uniform", "val_pair",
    "task",  "fit",         "anchor",  "balance",   "entropy",      "metric",       "proto_self",
    "local", "consistency", "val_mse", "tau",       "seconds",      "rows_per_s",   "kept"};

/* One row: v[c] printed with `fmt` unless NaN (empty); stage and epoch first. */
static void log_row(FILE *fp, const char *stage, int epoch, const double v[N_COLS], bool kept)
{
    fprintf(fp, "%s,%d", stage, epoch);
    for (int c = COL_LOSS; c < COL_KEPT; c++) {
        fputc(',', fp);
        if (isnan(v[c]))
            continue;
        const char *fmt = c == COL_SECONDS ? "%.6f" : c == COL_ROWS_PER_S ? "%.1f" : "%.9g";
        fprintf(fp, fmt, v[c]);
    }
    fprintf(fp, ",%d\n", kept ? 1 : 0);
}

int prle__run_train_log_write(const char *path, const prle__train_log *log)
{
    prle__afile f = {0};
    int err = prle__afile_open(&f, path);
    if (err < 0)
        return err;
    fputs(PRLE__TRAIN_LOG_HEADER "\n", f.fp);
    double v[N_COLS];
    for (size_t i = 0; i < log->n_kernel; i++) {
        const prle_kernel_epoch *e = &log->kernel[i];
        for (int c = 0; c < N_COLS; c++)
            v[c] = NAN;
        v[COL_LOSS] = e->loss;
        v[COL_PAIR] = e->loss_pair;
        v[COL_TRIPLET] = e->loss_triplet;
        v[COL_UNIFORM] = e->loss_uniform;
        v[COL_VAL_PAIR] = e->val_pair;
        v[COL_SECONDS] = e->seconds;
        v[COL_ROWS_PER_S] = e->rows_per_s;
        log_row(f.fp, "kernel", e->epoch, v, e->epoch == log->kernel_kept);
    }
    for (size_t i = 0; i < log->n_model; i++) {
        const prle_model_epoch *e = &log->model[i];
        for (int c = 0; c < N_COLS; c++)
            v[c] = NAN;
        v[COL_LOSS] = e->loss;
        v[COL_TASK] = e->task;
        v[COL_FIT] = e->fit;
        v[COL_ANCHOR] = e->anchor;
        v[COL_BALANCE] = e->balance;
        v[COL_ENTROPY] = e->entropy;
        v[COL_METRIC] = e->metric;
        v[COL_PROTO_SELF] = e->proto_self;
        v[COL_LOCAL] = e->local;
        v[COL_CONSISTENCY] = e->consistency;
        v[COL_VAL_MSE] = e->val_mse_raw;
        v[COL_TAU] = e->tau;
        v[COL_SECONDS] = e->seconds;
        v[COL_ROWS_PER_S] = e->seconds > 0 ? (double)log->model_rows / e->seconds : NAN;
        log_row(f.fp, "experts", e->epoch, v, e->epoch == log->model_kept);
    }
    return prle__afile_commit(&f);
}

static int field_double(double *out, const prle_table *t, size_t row, const size_t *col,
                        const char *path)
{
    if (*col == SIZE_MAX) {
        *out = NAN;
        return 0;
    }
    const char *s = prle_table_field(t, row, *col);
    if (!s || !*s) {
        *out = NAN;
        return 0;
    }
    char *end;
    *out = strtod(s, &end);
    if (*end)
        return prle__error_set(PRLE_EFORMAT, "%s:%zu: %s \"%s\" is not a number", path,
                               prle_table_row_line(t, row), prle_table_col_name(t, *col), s);
    return 0;
}

int prle__run_train_log_read_kernel(prle_kernel_epoch **out, size_t *n, int *kept, const char *path)
{
    prle_table *t = NULL;
    prle_kernel_epoch *e = NULL;
    size_t col[N_COLS], k = 0;
    *out = NULL;
    *n = 0;
    *kept = 0;
    prle_table_params tp = prle_table_default_params();
    int err = prle_table_read(&t, path, &tp);
    if (err < 0)
        return err;
    for (int c = 0; c < N_COLS; c++) {
        col[c] = SIZE_MAX;
        for (size_t j = 0; j < prle_table_n_cols(t); j++) {
            const char *name = prle_table_col_name(t, j);
            if (name && !strcmp(name, log_cols[c])) {
                col[c] = j;
                break;
            }
        }
    }
    if (col[COL_STAGE] == SIZE_MAX || col[COL_EPOCH] == SIZE_MAX) {
        err = prle__error_set(PRLE_EFORMAT, "%s: no stage and epoch columns", path);
        goto done;
    }
    size_t rows = prle_table_n_rows(t);
    if (rows && !(e = calloc(rows, sizeof *e))) {
        err = prle__error_nomem("train log");
        goto done;
    }
    for (size_t r = 0; r < rows; r++) {
        const char *stage = prle_table_field(t, r, col[COL_STAGE]);
        if (!stage || strcmp(stage, "kernel"))
            continue;
        prle_kernel_epoch *x = &e[k];
        double epoch, kp;
        if ((err = field_double(&epoch, t, r, &col[COL_EPOCH], path)) < 0 ||
            (err = field_double(&x->loss, t, r, &col[COL_LOSS], path)) < 0 ||
            (err = field_double(&x->loss_pair, t, r, &col[COL_PAIR], path)) < 0 ||
            (err = field_double(&x->loss_triplet, t, r, &col[COL_TRIPLET], path)) < 0 ||
            (err = field_double(&x->loss_uniform, t, r, &col[COL_UNIFORM], path)) < 0 ||
            (err = field_double(&x->val_pair, t, r, &col[COL_VAL_PAIR], path)) < 0 ||
            (err = field_double(&x->seconds, t, r, &col[COL_SECONDS], path)) < 0 ||
            (err = field_double(&x->rows_per_s, t, r, &col[COL_ROWS_PER_S], path)) < 0 ||
            (err = field_double(&kp, t, r, &col[COL_KEPT], path)) < 0)
            goto done;
        if (!(epoch >= 1 && epoch <= 1e9 && epoch == floor(epoch))) {
            err =
                prle__error_set(PRLE_EFORMAT, "%s:%zu: bad epoch", path, prle_table_row_line(t, r));
            goto done;
        }
        x->epoch = (int)epoch;
        if (kp == 1)
            *kept = x->epoch;
        k++;
    }
    if (k) {
        *out = e;
        e = NULL;
        *n = k;
    }
done:
    free(e);
    prle_table_free(t);
    return err;
}
