/* prle predict RUN [--text A [--text2 B] | --input FILE | --embeddings NPY | --split NAME]
 * [--explain K]
 *                  [--interval LEVEL [--adaptive]] [--format table|json|csv]: predictions of a
 * saved run, each optionally explained by its K largest prototype shares and given a
 * split-conformal interval (SPEC.md §6). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/threads.h"
#include "io/json.h"
#include "run_print.h"

typedef enum { FMT_TABLE, FMT_JSON, FMT_CSV } out_format;

typedef struct rows {
    size_t n;
    size_t first; /* the global index of row 0 (inputs are predicted in chunks) */
    const char *const *text, *const *text2;
    const float *label; /* NULL: none */
    bool from_split;    /* index = row of the split */
    prle_split split;
    const float *yhat;    /* n predictions */
    const float *lo, *hi; /* n interval ends, or NULL */
} rows;

/* Bytes a plain CSV line takes at most: the index, four floats and their separators */
#define CSV_PLAIN_MAX (24 + 4 * (PRLE__JSON_NUMBUF + 1))

/* `sep` then the shortest text that reads back to `v` (as predictions_{split}.csv; empty for
 * NaN) at `at`; returns the bytes written. */
static size_t csv_float(char *at, char sep, float v)
{
    *at = sep;
    return 1 + (isnan(v) ? 0 : prle__json_fmt_float(at + 1, v));
}

/* Row i's plain CSV line (index,label,prediction[,lo,hi]) into buf (CSV_PLAIN_MAX bytes);
 * returns its length. */
static size_t csv_plain(char *buf, const rows *r, size_t i)
{
    int w = snprintf(buf, CSV_PLAIN_MAX, "%zu", r->first + i);
    size_t at = w > 0 ? (size_t)w : 0;
    at += csv_float(buf + at, ',', r->label ? r->label[i] : NAN);
    at += csv_float(buf + at, ',', r->yhat[i]);
    if (r->lo) {
        at += csv_float(buf + at, ',', r->lo[i]);
        at += csv_float(buf + at, ',', r->hi[i]);
    }
    buf[at++] = '\n';
    return at;
}

typedef size_t (*csv_line_fn)(char *buf, const rows *r, size_t i, const void *ud);

/* A chunk's CSV, row i's lines (at most `per` bytes) made by line(buf, r, i, ud): formatted
 * side by side on the library's threads (the float printing is most of it), then written in
 * row order, the same bytes as one by one. */
static int csv_lines(const rows *r, size_t per, csv_line_fn line, const void *ud)
{
    size_t n = r->n;
    char *buf = malloc((n ? n : 1) * per);
    size_t *len = malloc((n ? n : 1) * sizeof *len);
    if (!buf || !len) {
        free(buf), free(len);
        return PRLE_ENOMEM;
    }
#pragma omp parallel for schedule(static) num_threads(prle__threads_resolve(0)) if (n >= 256)
    for (size_t i = 0; i < n; i++)
        len[i] = line(buf + i * per, r, i, ud);
    for (size_t i = 0; i < n; i++)
        fwrite(buf + i * per, 1, len[i], stdout);
    free(buf), free(len);
    return 0;
}

static size_t csv_plain_line(char *buf, const rows *r, size_t i, const void *ud)
{
    (void)ud;
    return csv_plain(buf, r, i);
}

/* A chunk's explanations: row i's kk items at items[i * kk], its rest's contribution and
 * weight (prle_model_explain_rows; its predictions are the rows' yhat). */
typedef struct explained_rows {
    prle_explain_item *items;
    float *rest, *rest_weight;
    size_t kk;
    size_t *nb_rows;  /* (n, k) the neighbour term's training rows, or NULL */
    float *nb_labels; /* (n, k) their labels */
} explained_rows;

/* Bytes a CSV line of an explained row takes at most: its integers and seven %.9g floats */
#define CSV_LINE_MAX 256

/* Row i's CSV lines (its kk items, then the rest) into buf (kk + 1 lines of CSV_LINE_MAX);
 * returns their length. */
static size_t csv_explained(char *buf, const rows *r, size_t i, const explained_rows *x,
                            const float *ytr)
{
    size_t g = r->first + i, at = 0, kk = x->kk, cap = (kk + 1) * CSV_LINE_MAX;
    char ivs[64] = "";
    if (r->lo)
        snprintf(ivs, sizeof ivs, "%.9g,%.9g,", r->lo[i], r->hi[i]);
    for (size_t j = 0; j < kk; j++) {
        const prle_explain_item *it = &x->items[i * kk + j];
        int w = snprintf(buf + at, cap - at, "%zu,%.9g,%s%zu,%zu,%zu,%.9g,%.9g,%.9g,%.9g\n", g,
                         r->yhat[i], ivs, j + 1, it->prototype, it->train_row, ytr[it->train_row],
                         it->weight, it->local, it->contribution);
        at += w > 0 ? (size_t)w : 0;
        at = at < cap ? at : cap - 1; /* a line is at most ~210 bytes: never, but in bounds */
    }
    int w = snprintf(buf + at, cap - at, "%zu,%.9g,%srest,,,,%.9g,,%.9g\n", g, r->yhat[i], ivs,
                     x->rest_weight[i], x->rest[i]);
    at += w > 0 ? (size_t)w : 0;
    return at < cap ? at : cap - 1;
}

/* What csv_explained reads besides the rows: the explanations and the training labels. */
typedef struct explained_csv {
    const explained_rows *x;
    const float *ytr;
} explained_csv;

static size_t csv_explained_line(char *buf, const rows *r, size_t i, const void *ud)
{
    const explained_csv *e = ud;
    return csv_explained(buf, r, i, e->x, e->ytr);
}

static int explain_rows(prle_run_folder *rf, const prle_matrix *z, const rows *r,
                        const explained_rows *x, out_format fmt)
{
    size_t kn = prle_run_folder_neighbour_k(rf);
    const prle_dataset *ds = prle_run_folder_dataset(rf);
    size_t P = prle_model_n_prototypes(prle_run_folder_model(rf)), kk = x->kk;
    prle_explained e = {0};
    char *json = NULL;
    int err = 0;
    bool iv = r->lo != NULL;
    if (fmt == FMT_CSV && r->first == 0)
        printf("row,prediction,%sitem,slot,index,label,weight,local_prediction,contribution\n",
               iv ? "lo,hi," : "");
    if (fmt == FMT_CSV)
        return csv_lines(r, (kk + 1) * CSV_LINE_MAX, csv_explained_line,
                         &(explained_csv){x, prle_dataset_labels(ds, PRLE_SPLIT_TRAIN)});
    for (size_t i = 0; i < r->n && err == 0; i++) {
        size_t g = r->first + i;
        e = (prle_explained){.prediction = r->yhat[i],
                             .items = x->items + i * kk,
                             .n_items = kk,
                             .rest_count = P - kk,
                             .rest_weight = x->rest_weight[i],
                             .rest_contribution = x->rest[i]};
        prle_explained_neighbours(&e, prle_run_folder_model(rf), prle_matrix_row(z, i));
        if (x->nb_rows) {
            e.neighbour_rows = x->nb_rows + i * kn;
            e.neighbour_labels = x->nb_labels + i * kn;
            e.n_neighbour_rows = kn;
        }
        prle_explain_input in = {.index = r->from_split ? g : SIZE_MAX,
                                 .text = r->text[i],
                                 .text2 = r->text2 ? r->text2[i] : NULL,
                                 .label = r->label ? r->label[i] : NAN,
                                 .has_interval = iv,
                                 .lo = iv ? r->lo[i] : NAN,
                                 .hi = iv ? r->hi[i] : NAN};
        char ivs[64] = "";
        if (iv)
            snprintf(ivs, sizeof ivs, "  interval [%.4f, %.4f]", r->lo[i], r->hi[i]);
        if (fmt == FMT_JSON) {
            if ((err = prle_explain_json(&json, &e, &in, ds, false)) == 0)
                printf("%s\n", json);
            free(json);
            json = NULL;
        } else {
            char title[96];
            if (r->from_split)
                snprintf(title, sizeof title, "%s%s row %zu%s", g ? "\n" : "",
                         prle_split_name(r->split), g, ivs);
            else
                snprintf(title, sizeof title, "%sinput %zu%s", g ? "\n" : "", g, ivs);
            cli_print_explained(stdout, title, &e, &in, ds);
        }
    }
    return err;
}

static int plain_rows(prle_run_folder *rf, const rows *r, out_format fmt)
{
    const prle_dataset *ds = prle_run_folder_dataset(rf);
    bool iv = r->lo != NULL;
    char *json = NULL;
    int err = 0;
    if (fmt == FMT_CSV && r->first == 0)
        printf("index,label,prediction%s\n", iv ? ",lo,hi" : "");
    else if (fmt == FMT_TABLE && r->first == 0)
        printf("%6s %8s %10s%s  %s\n", "row", "label", "prediction",
               iv ? "         lo         hi" : "", "text");
    if (fmt == FMT_CSV)
        return csv_lines(r, CSV_PLAIN_MAX, csv_plain_line, NULL);
    for (size_t i = 0; i < r->n && err == 0; i++) {
        size_t g = r->first + i;
        float y = r->label ? r->label[i] : NAN;
        if (fmt == FMT_JSON) {
            prle_explain_input in = {.index = r->from_split ? g : SIZE_MAX,
                                     .text = r->text[i],
                                     .text2 = r->text2 ? r->text2[i] : NULL,
                                     .label = y,
                                     .prediction = r->yhat[i],
                                     .has_interval = iv,
                                     .lo = iv ? r->lo[i] : NAN,
                                     .hi = iv ? r->hi[i] : NAN};
            if ((err = prle_explain_json(&json, NULL, &in, ds, false)) == 0)
                printf("%s\n", json);
            free(json);
            json = NULL;
        } else {
            printf("%6zu %8.4g %10.4f", g, y, r->yhat[i]);
            if (iv)
                printf(" %10.4f %10.4f", r->lo[i], r->hi[i]);
            fputs("  ", stdout);
            cli_put_pair(stdout, r->text[i], r->text2 ? r->text2[i] : NULL, 90);
            putchar('\n');
        }
    }
    return err;
}

/* The labelled rows seen so far (one pass over the chunks: means and co-moments as Welford's
 * update keeps them), for a line at the end. */
typedef struct label_score {
    size_t n, rows, covered;
    double mx, my, cxy, m2x, m2y, se, ae;
    double lo, hi;  /* the run's label range */
    size_t outside; /* labels beyond it: the run learned nothing like them */
} label_score;

static void score_rows(label_score *s, const rows *r)
{
    s->rows += r->n;
    for (size_t i = 0; r->label && i < r->n; i++) {
        double y = r->label[i], p = r->yhat[i];
        if (!isfinite(y))
            continue;
        s->n++;
        double dx = p - s->mx, dy = y - s->my;
        s->mx += dx / (double)s->n;
        s->my += dy / (double)s->n;
        s->m2x += dx * (p - s->mx);
        s->m2y += dy * (y - s->my);
        s->cxy += dx * (y - s->my);
        s->se += (p - y) * (p - y);
        s->ae += fabs(p - y);
        s->covered += r->lo && y >= r->lo[i] && y <= r->hi[i];
        s->outside += (float)y < (float)s->lo || (float)y > (float)s->hi;
    }
}

/* "prle: predict: N labelled rows ...: pearson, MSE, MAE" on the labels' scale, on stderr. */
static void print_score(const label_score *s, const prle_conformal *c)
{
    if (!s->n)
        return;
    double pearson = s->m2x > 0 && s->m2y > 0 ? s->cxy / sqrt(s->m2x * s->m2y) : NAN;
    fprintf(stderr, "prle: predict: %zu labelled rows", s->n);
    if (s->n < s->rows)
        fprintf(stderr, " (of %zu)", s->rows);
    if (isnan(pearson)) /* one row, or labels or predictions all equal */
        fprintf(stderr, ": pearson undefined (%s)",
                s->n < 2     ? "one row"
                : s->m2y > 0 ? "equal predictions"
                             : "equal labels");
    else
        fprintf(stderr, ": pearson %.4f", pearson);
    fprintf(stderr, ", mse %.5g, mae %.5g (the labels' scale)", s->se / (double)s->n,
            s->ae / (double)s->n);
    if (c)
        fprintf(stderr, "; %.1f%% inside their %g interval",
                100.0 * (double)s->covered / (double)s->n, c->level);
    if (s->outside) /* another scale, or data unlike the training rows */
        fprintf(stderr, "; %zu of the labels lie outside the run's label range [%g, %g]",
                s->outside, s->lo, s->hi);
    fputc('\n', stderr);
}

/* Predictions of the rows of z (with k > 0 their explanations, from the same batched forward,
 * and the neighbour term's rows when the retrieval rows x are given), intervals with `c`,
 * then the rows printed; labelled rows scored into `sc`. */
static int emit(prle_run_folder *rf, const prle_matrix *z, const prle_matrix *xr, rows *r,
                const prle_conformal *c, long k, out_format fmt, label_score *sc)
{
    size_t kn = prle_run_folder_neighbour_k(rf);
    const prle_model *m = prle_run_folder_model(rf);
    size_t n1 = r->n ? r->n : 1, P = prle_model_n_prototypes(m);
    explained_rows x = {.kk = k > 0 && (size_t)k < P ? (size_t)k : P};
    float *yhat = malloc(n1 * sizeof *yhat), *lo = NULL, *hi = NULL;
    int err = 0;
    if (!yhat || (c && (!(lo = malloc(n1 * sizeof *lo)) || !(hi = malloc(n1 * sizeof *hi)))) ||
        (k > 0 && (!(x.items = calloc(n1 * (x.kk ? x.kk : 1), sizeof *x.items)) ||
                   !(x.rest = malloc(n1 * sizeof *x.rest)) ||
                   !(x.rest_weight = malloc(n1 * sizeof *x.rest_weight))))) {
        err = PRLE_ENOMEM;
        goto done;
    }
    /* the neighbour term's rows: searched for new inputs, as the run kept them for a split */
    bool kept = r->from_split && r->split != PRLE_SPLIT_TRAIN;
    if (k > 0 && kn && (xr || kept) && r->n) {
        if (!(x.nb_rows = malloc(r->n * kn * sizeof *x.nb_rows)) ||
            !(x.nb_labels = malloc(r->n * kn * sizeof *x.nb_labels))) {
            err = PRLE_ENOMEM;
            goto done;
        }
        err = xr ? prle_run_folder_neighbours(x.nb_rows, x.nb_labels, rf, xr)
                 : prle_run_folder_split_neighbours(x.nb_rows, x.nb_labels, rf, r->split);
        if (err == PRLE_ENOTFOUND && !xr) { /* a folder from before they were kept */
            prle_error_clear();
            free(x.nb_rows), free(x.nb_labels);
            x.nb_rows = NULL, x.nb_labels = NULL;
            err = 0;
        }
        if (err < 0)
            goto done;
    }
    /* without explanations one forward pass gives the predictions and the intervals (the
     * adaptive rule's scales too); explained rows' intervals take a second for those scales */
    if (r->n && k <= 0)
        err = c ? prle_conformal_predict(yhat, lo, hi, c, m, z)
                : prle_model_predict(yhat, NULL, NULL, m, z);
    else if (r->n) {
        err = prle_model_explain_rows(x.items, x.rest, x.rest_weight, yhat, m, z, x.kk);
        if (err == 0 && c)
            err = prle_conformal_apply(lo, hi, c, m, z, yhat);
    }
    if (err < 0)
        goto done;
    r->yhat = yhat;
    r->lo = lo, r->hi = hi;
    score_rows(sc, r);
    err = k > 0 ? explain_rows(rf, z, r, &x, fmt) : plain_rows(rf, r, fmt);
done:
    free(yhat), free(lo), free(hi);
    free(x.items), free(x.rest), free(x.rest_weight), free(x.nb_rows), free(x.nb_labels);
    r->yhat = r->lo = r->hi = NULL;
    return err;
}

/* Texts the encoder found nothing in (no known word: zero vectors), of those encoded. */
typedef struct unknown {
    size_t zero, texts;
} unknown;

/* The model's input rows z of r's texts; with keep_x the retrieval rows too, in *x (else x is
 * left empty); the texts with no known word counted into u. */
static int encode(prle_matrix *z, prle_matrix *x, prle_run_folder *rf, const rows *r, bool keep_x,
                  const char *what, unknown *u)
{
    size_t texts = 0, zero = 0;
    int err = prle_run_folder_embed_counted(x, &texts, &zero, rf, r->text, r->text2, r->n);
    if (err < 0)
        return err;
    u->texts += texts, u->zero += zero;
    err = prle_run_folder_map(z, rf, x, what);
    if (!keep_x)
        prle_matrix_dispose(x);
    return err;
}

/* Inputs are encoded, predicted and printed this many rows at a time: memory follows the
 * chunk, not the file, and its buffers stay in cache. */
#define CHUNK 2048

static int usage_error(const char *fmt, const char *arg)
{
    cli_error(CLI_USAGE, fmt, arg);
    cli_usage(stderr, "predict");
    return CLI_USAGE;
}

/* Sets *slot to v unless an earlier option set it: false for an option given twice (the
 * first would be dropped without a word). */
static bool set_once(const char **slot, const char *v)
{
    if (*slot)
        return false;
    *slot = v;
    return true;
}

int cmd_predict(int argc, char **argv)
{
    const char *dir = NULL, *text = NULL, *text2 = NULL, *input = NULL, *split = NULL;
    const char *npy = NULL;
    out_format fmt = FMT_TABLE;
    long k = -1;
    double level = 0;
    bool adaptive = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--text") && has) {
            if (!set_once(&text, argv[++i]))
                return usage_error("predict: %s is given twice", a);
        } else if (!strcmp(a, "--text2") && has) {
            if (!set_once(&text2, argv[++i]))
                return usage_error("predict: %s is given twice", a);
        } else if (!strcmp(a, "--input") && has) {
            if (!set_once(&input, argv[++i]))
                return usage_error("predict: %s is given twice", a);
        } else if (!strcmp(a, "--split") && has) {
            if (!set_once(&split, argv[++i]))
                return usage_error("predict: %s is given twice", a);
        } else if (!strcmp(a, "--embeddings") && has) {
            if (!set_once(&npy, argv[++i]))
                return usage_error("predict: %s is given twice", a);
        } else if (!strcmp(a, "--explain") && has) {
            char *end;
            errno = 0;
            k = strtol(argv[++i], &end, 10);
            if (*end || !*argv[i] || (errno && errno != ERANGE) || (!errno && k < 1))
                return usage_error("predict: --explain %s: expected a count >= 1", argv[i]);
            if (errno == ERANGE) /* more than there are prototypes: all of them */
                return usage_error("predict: --explain %s: too large (a count of at least the "
                                   "number of prototypes lists them all)",
                                   argv[i]);
        } else if (!strcmp(a, "--interval") && has) {
            char *end;
            level = strtod(argv[++i], &end);
            if (*end || !(level > 0 && level < 1))
                return usage_error("predict: --interval %s: expected a level in (0, 1), e.g. 0.9",
                                   argv[i]);
        } else if (!strcmp(a, "--adaptive")) {
            adaptive = true;
        } else if (!strcmp(a, "--format") && has) {
            const char *f = argv[++i];
            if (!strcmp(f, "table"))
                fmt = FMT_TABLE;
            else if (!strcmp(f, "json"))
                fmt = FMT_JSON;
            else if (!strcmp(f, "csv"))
                fmt = FMT_CSV;
            else
                return usage_error("predict: --format %s: expected table, json or csv", f);
        } else if (a[0] == '-' || dir) {
            return usage_error("predict: unexpected argument '%s'", a);
        } else {
            dir = a;
        }
    }
    if (!dir)
        return usage_error("predict: missing RUN (a run folder)%s", "");
    if ((text != NULL) + (input != NULL) + (split != NULL) + (npy != NULL) != 1)
        return usage_error("predict: give one of --text, --input, --embeddings or --split%s", "");
    if (text2 && !text)
        return usage_error("predict: --text2 needs --text%s", "");
    if (adaptive && !level)
        return usage_error("predict: --adaptive needs --interval%s", "");
    prle_split sp = PRLE_SPLIT_TEST;
    if (split) {
        int s = 0;
        while (s < PRLE_N_SPLITS && strcmp(split, prle_split_name((prle_split)s)))
            s++;
        if (s == PRLE_N_SPLITS)
            return usage_error("predict: --split %s: expected train, validation or test", split);
        sp = (prle_split)s;
    }

    prle_run_folder *rf = NULL;
    prle_run_input in = {0};
    prle_run_input_stream *stream = NULL;
    cli_held_stdout held = {-1, -1};
    prle_matrix z = {0}, xr = {0}; /* the model's input rows; the retrieval rows, when kept */
    rows r = {0};
    unknown unk = {0};
    prle_conformal conf, *c = NULL;
    label_score score = {0};
    const char **blank = NULL;
    int err, rc = CLI_OK;
    if ((err = prle_run_folder_open(&rf, dir)) < 0)
        goto fail;
    const char *encoder = prle_run_folder_config(rf)->model.encoder_type;
    if ((text || input) && encoder && !strcmp(encoder, "npy")) { /* before reading the input */
        rc = cli_error(CLI_USAGE,
                       "predict: %s has no text encoder (model.encoder_type npy: its embeddings "
                       "were made elsewhere): give the inputs' embeddings with --embeddings "
                       "FILE.npy instead of %s, or --split NAME",
                       dir, text ? "--text" : "--input");
        goto done;
    }
    /* the retrieval rows name the neighbour term's training rows in explanations */
    bool keep_x = k > 0 && prle_run_folder_neighbour_k(rf) > 0;
    const prle_dataset *ds = prle_run_folder_dataset(rf);
    bool pairs = prle_dataset_n_texts(ds) > 1;
    score.lo = prle_dataset_label_min(ds), score.hi = prle_dataset_label_max(ds);
    if (level) {
        if ((err = prle_conformal_fit(&conf, rf, level, adaptive)) < 0)
            goto fail;
        c = &conf;
        if (isinf(conf.q)) {
            size_t need = conf.n_calib; /* the fewest rows with ceil((n + 1) level) <= n */
            while (ceil((double)(need + 1) * level) > (double)need)
                need++;
            fprintf(stderr,
                    "prle: notice: --interval %g: the run's %zu validation rows are too few "
                    "for a narrower interval at this level (it needs %zu); the intervals are "
                    "the label range\n",
                    level, conf.n_calib, need);
        }
    }
    if (text) {
        if (pairs && !text2) {
            rc = cli_error(CLI_USAGE,
                           "predict: this run's dataset has text pairs: give --text2 too");
            goto done;
        }
        if (!pairs && text2) { /* it would be dropped without a word */
            rc = cli_error(CLI_USAGE, "predict: this run's dataset has single texts: --text2 "
                                      "has no place (give one --text)");
            goto done;
        }
        r = (rows){.n = 1, .text = &text, .text2 = pairs ? &text2 : NULL};
        if ((err = encode(&z, &xr, rf, &r, keep_x, "--text", &unk)) < 0)
            goto fail;
    } else if (input) {
        /* a chunk of rows at a time, read as it is needed: memory follows the chunk */
        if ((err = prle_run_input_open(&stream, rf, input)) < 0)
            goto fail;
        if ((rc = cli_stdout_hold(&held)) != CLI_OK)
            goto done;
        for (size_t i0 = 0;; i0 += in.n) {
            if ((err = prle_run_input_next(&in, stream, CHUNK)) < 0)
                goto fail;
            if (!in.n && i0)
                break;
            r = (rows){.n = in.n,
                       .first = i0,
                       .text = (const char *const *)in.text,
                       .text2 = (const char *const *)in.text2,
                       .label = in.has_labels ? in.label : NULL};
            if ((in.n && (err = encode(&z, &xr, rf, &r, keep_x, input, &unk)) < 0) ||
                (err = emit(rf, &z, xr.data ? &xr : NULL, &r, c, k, fmt, &score)) < 0)
                goto fail;
            prle_matrix_dispose(&z);
            prle_matrix_dispose(&xr);
            if (!in.n)
                break;
        }
        goto done;
    } else if (npy) {
        if ((err = prle_npy_load(&xr, npy)) < 0)
            goto fail;
        if (!xr.rows) { /* as --input refuses a header alone: not an empty table and exit 0 */
            rc = cli_error(CLI_USAGE, "%s: no data rows (shape (0, %zu))", npy, xr.cols);
            goto done;
        }
        if ((err = prle_run_folder_map(&z, rf, &xr, npy)) < 0)
            goto fail;
        if (!(blank = calloc(z.rows ? z.rows : 1, sizeof *blank))) {
            err = PRLE_ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < z.rows; i++)
            blank[i] = ""; /* no texts: rows are named by their index */
        r = (rows){.n = z.rows, .text = blank};
    } else {
        if ((err = prle_run_folder_value(&z, rf, sp)) < 0)
            goto fail;
        r = (rows){.n = z.rows,
                   .text = prle_dataset_texts(ds, sp, 0),
                   .text2 = pairs ? prle_dataset_texts(ds, sp, 1) : NULL,
                   .label = prle_dataset_labels(ds, sp),
                   .from_split = true,
                   .split = sp};
    }
    if ((err = emit(rf, &z, xr.data ? &xr : NULL, &r, c, k, fmt, &score)) < 0)
        goto fail;
    goto done;
fail:
    rc = cli_fail(err);
done:
    if (held.saved >= 0) { /* the rows' output, whole, or none of it */
        int rel = cli_stdout_release(&held, rc == CLI_OK && !cli_interrupted);
        if (rc == CLI_OK)
            rc = rel;
    }
    fflush(stdout);
    if (rc == CLI_OK && !cli_opts.quiet)
        print_score(&score, c);
    if (rc == CLI_OK && !cli_opts.quiet && unk.zero && unk.texts == 1)
        fputs("prle: notice: the text has no known word: it is read as an empty text (a zero "
              "vector)\n",
              stderr);
    else if (rc == CLI_OK && !cli_opts.quiet && unk.zero)
        fprintf(stderr,
                "prle: notice: %zu of the %zu texts %s no known word: each is read as an empty "
                "text (a zero vector)\n",
                unk.zero, unk.texts, unk.zero == 1 ? "has" : "have");
    free(blank);
    prle_matrix_dispose(&z);
    prle_matrix_dispose(&xr);
    prle_run_input_dispose(&in);
    prle_run_input_close(stream);
    prle_run_folder_free(rf);
    return rc;
}
