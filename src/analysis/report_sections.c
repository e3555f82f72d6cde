/* Report sections from the small files: the configuration, the metrics beside the
 * baselines, the distance-label correlation and the oracle mixture of experts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report_int.h"
#include "core/error.h"
#include "io/json.h"
#include "prle/encoder.h"

static const char *or_dash(const char *s)
{
    return s && *s ? s : "\u2014";
}

static void kv_text(FILE *fp, const char *key, const char *value)
{
    fprintf(fp, "<tr><th>%s</th><td>", key);
    prle__html_text(fp, or_dash(value));
    fputs("</td></tr>\n", fp);
}

/* "at most N epochs", or "epochs from the data" for max_epochs 0 (docs/config.md). */
static void epochs(FILE *fp, int max_epochs)
{
    if (max_epochs > 0)
        fprintf(fp, "at most %d epoch%s", max_epochs, max_epochs == 1 ? "" : "s");
    else
        fputs("epochs from the data", fp);
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

/* data.name, else the data file(s) it was read from. */
static void dataset_name(FILE *fp, const prle_config *c)
{
    if (c->data.name && *c->data.name) {
        prle__html_text(fp, c->data.name);
        return;
    }
    const char *f = c->data.file ? c->data.file : c->data.files.train;
    if (!f) {
        fputs("\u2014", fp);
        return;
    }
    fputs("unnamed, from <code>", fp);
    prle__html_text(fp, base_name(f));
    fputs("</code>", fp);
    if (!c->data.file && (c->data.files.validation || c->data.files.test)) {
        const char *v = c->data.files.validation, *t = c->data.files.test;
        fputs(v ? ", <code>" : "", fp);
        prle__html_text(fp, base_name(v));
        fputs(v ? "</code>" : "", fp);
        fputs(t ? ", <code>" : "", fp);
        prle__html_text(fp, base_name(t));
        fputs(t ? "</code>" : "", fp);
    }
}

/* The encoder, the width of its embeddings (the kernel's input width, kernel_report.json;
 * model.hidden_dim is that width for hashing only) and how texts were made. */
static void encoder_line(FILE *fp, const prle__report_ctx *ctx, double n_texts)
{
    const prle_config *c = ctx->cfg;
    const char *enc = c->model.encoder_type ? c->model.encoder_type : "";
    prle__html_text(fp, or_dash(c->model.encoder_type));
    double in_dim =
        prle__report_num(cJSON_GetObjectItemCaseSensitive(ctx->kernel, "kernel"), "in_dim");
    if (isfinite(in_dim))
        fprintf(fp, ", embeddings %.0f wide", in_dim);
    else if (strcmp(enc, "hashing") == 0)
        fprintf(fp, ", embeddings %d wide%s", c->model.hidden_dim,
                c->data.combine_fields ? "" : " a side");
    const char *pooling = prle_encoder_pooling(c);
    if (pooling && strcmp(enc, "glove") == 0) {
        fputs(", ", fp);
        prle__html_text(fp, pooling);
        fputs(" pooling", fp);
    }
    if (n_texts == 2)
        fputs(c->data.combine_fields ? ", pairs joined into one text"
                                     : ", pair features [u, v, u+v, |u\u2212v|, u\u2299v]",
              fp);
}

int prle__report_config(FILE *fp, const prle__report_ctx *ctx, const char *yaml_text)
{
    const prle_config *c = ctx->cfg;
    char b[4][32];
    cJSON *ds = NULL; /* dataset.json: single texts or pairs */
    int err = prle__report_json(&ds, ctx, "dataset.json", "prle-run-dataset");
    if (err < 0)
        return err;
    double n_texts = prle__report_num(ds, "n_texts");
    cJSON_Delete(ds);
    fputs("<section id=\"config\">\n<h2>Configuration</h2>\n<table class=\"kv\">\n", fp);
    kv_text(fp, "run", c->logging.run_name);
    fputs("<tr><th>dataset</th><td>", fp);
    dataset_name(fp, c);
    fprintf(fp, ", labels %s to %s</td></tr>\n", prle__fmt_g3(b[0], ctx->label_min),
            prle__fmt_g3(b[1], ctx->label_max));
    fputs("<tr><th>encoder</th><td>", fp);
    encoder_line(fp, ctx, n_texts);
    fputs("</td></tr>\n<tr><th>kernel</th><td>", fp);
    prle__html_text(fp, or_dash(c->kernel.projection_type));
    fputs(", ", fp);
    epochs(fp, c->kernel.max_epochs);
    fprintf(fp, ", learning rate %s; &#955; pair %s, triplet %s, uniform %s; keep ",
            prle__fmt_g3(b[0], c->kernel.learning_rate), prle__fmt_g3(b[1], c->kernel.lambda_pair),
            prle__fmt_g3(b[2], c->kernel.lambda_triplet),
            prle__fmt_g3(b[3], c->kernel.lambda_uniform));
    prle__html_text(fp, or_dash(c->kernel.keep));
    const char *keep = c->kernel.keep ? c->kernel.keep : "";
    fputs(strcmp(keep, "best") == 0   ? " (the epoch of lowest validation pair loss)"
          : strcmp(keep, "last") == 0 ? " (the last epoch)"
                                      : "",
          fp);
    fprintf(fp, "</td></tr>\n<tr><th>prototypes</th><td>%zu, ", ctx->n_prototypes);
    if (ctx->n_prototypes < (size_t)c->model.num_prototypes)
        fprintf(fp, "of model.num_prototypes %d (at most one per two training rows), ",
                c->model.num_prototypes);
    prle__html_text(fp, or_dash(c->model.init_strategy));
    fputs(", ", fp);
    prle__html_text(fp, or_dash(c->model.distance));
    fprintf(fp, " distance%s%s</td></tr>\n<tr><th>router</th><td>",
            c->model.trainable_prototypes ? ", trainable" : "",
            c->model.use_value_space
                ? ", in value space"
                : ", in value space (model.use_value_space: false is not acted on)");
    bool rbf = c->model.type && strcmp(c->model.type, "proto_rbf") == 0;
    if (rbf) /* the model routes by its own bumps: the router keys are not read */
        fputs("rbf, proto_rbf's own (model.gating_strategy is not used)", fp);
    else
        prle__html_text(fp, or_dash(c->model.gating_strategy));
    const char *g = rbf ? "" : c->model.gating_strategy ? c->model.gating_strategy : "";
    if (strcmp(g, "softmax") == 0 && c->model.tau_init > 0)
        fprintf(fp, ", &#964;&#8320; %s in [%s, %s]", prle__fmt_g3(b[0], c->model.tau_init),
                prle__fmt_g3(b[1], c->model.tau_min), prle__fmt_g3(b[2], c->model.tau_max));
    else if (strcmp(g, "softmax") == 0)
        fprintf(fp, ", &#964;&#8320; from the data (mean top-1 weight %s on train), in [%s, %s]",
                prle__fmt_g3(b[0], c->model.tau_top1), prle__fmt_g3(b[1], c->model.tau_min),
                prle__fmt_g3(b[2], c->model.tau_max));
    else if (strcmp(g, "knn") == 0)
        fprintf(fp, ", k %d", c->model.knn_k);
    else if (strcmp(g, "radius") == 0)
        fprintf(fp, ", radius %s", prle__fmt_g3(b[0], c->model.radius_threshold));
    char threads[32] = "all cores";
    if (c->train.threads > 0)
        snprintf(threads, sizeof threads, "%d", c->train.threads);
    fputs("</td></tr>\n<tr><th>experts</th><td>", fp);
    prle__html_text(fp, or_dash(c->model.type));
    if (rbf) {
        fputs(", in closed form", fp);
    } else {
        fputs(", initialised ", fp);
        prle__html_text(fp, or_dash(c->model.expert_init_strategy));
    }
    fputs("</td></tr>\n<tr><th>training</th><td>", fp);
    epochs(fp, c->train.max_epochs);
    fprintf(fp,
            ", batch %d, learning rate %s, weight decay %s, patience %d, seed %llu, "
            "threads %s</td></tr>\n</table>\n",
            c->train.train_batch_size, prle__fmt_g3(b[0], c->train.learning_rate),
            prle__fmt_g3(b[1], c->train.weight_decay), c->train.early_stop_patience,
            (unsigned long long)c->train.seed, threads);
    fputs("<details><summary>config.yaml</summary>\n<pre>", fp);
    prle__html_text(fp, yaml_text);
    fputs("</pre></details>\n</section>\n", fp);
    return 0;
}

/* ---- metrics ------------------------------------------------------------------------- */

enum { NM = 6 };
static const char *const mkeys[NM] = {"mse", "rmse", "mae", "pearson", "spearman", "kendall"};
static const char *const mnames[NM] = {"MSE", "RMSE", "MAE", "Pearson", "Spearman", "Kendall"};

typedef struct mrow {
    char name[96];
    const char *space, *tuned;
    double m[NM];
} mrow;

static void read_metrics(double m[NM], const cJSON *obj, double scale)
{
    for (int k = 0; k < NM; k++) {
        double v = prle__report_num(obj, mkeys[k]);
        m[k] = k == 0 ? v * scale * scale : k < 3 ? v * scale : v; /* to the 0-1 scale */
    }
}

static void split_table(FILE *fp, const cJSON *splits)
{
    static const char *const keys[7] = {"mse",     "rmse",     "mae",    "r2",
                                        "pearson", "spearman", "kendall"};
    fputs("<table class=\"num\">\n<tr><th class=\"l\">split</th><th>n</th><th>MSE</th><th>RMSE</th>"
          "<th>MAE</th><th>R&#178;</th><th>Pearson</th><th>Spearman</th><th>Kendall</th></tr>\n",
          fp);
    bool one_row = false;
    for (const cJSON *s = splits->child; s; s = s->next) {
        const cJSON *raw = cJSON_GetObjectItemCaseSensitive(s, "raw");
        fputs("<tr><td class=\"l\">", fp);
        prle__html_text(fp, s->string);
        fputs("</td><td>", fp);
        prle__html_num(fp, prle__report_num(s, "n"), 0);
        for (int k = 0; k < 7; k++) {
            fputs("</td><td>", fp);
            prle__html_num(fp, prle__report_num(raw, keys[k]), 4);
        }
        fputs("</td></tr>\n", fp);
        one_row |= prle__report_num(s, "n") == 1;
    }
    fputs("</table>\n", fp);
    if (one_row) /* as prle eval says it */
        fputs("<p class=\"cap\">A split of 1 row has its MSE, RMSE and MAE; R&#178;, Pearson, "
              "Spearman and Kendall need 2 rows (\u2014).</p>\n",
              fp);
}

/* Rows of one baselines file, converted to the 0-1 scale. */
static int add_baselines(mrow **rows, size_t *n, const cJSON *root, const char *file,
                         const prle__report_ctx *ctx)
{
    const cJSON *models;
    size_t nm;
    int err = prle__json_get_array(&models, &nm, root, "models");
    if (err < 0)
        return prle__report_file_error(err, ctx, file);
    const char *scale_s = prle__report_str(root, "label_scale");
    double scale = 1;
    if (scale_s && strncmp(scale_s, "raw", 3) == 0)
        scale = 1 / (ctx->label_max - ctx->label_min);
    const char *space = prle__report_str(root, "space");
    mrow *r = realloc(*rows, (*n + nm) * sizeof *r);
    if (!r)
        return prle__error_nomem("report baselines");
    *rows = r;
    for (const cJSON *m = models->child; m; m = m->next) {
        mrow *o = &r[(*n)++];
        const char *name = prle__report_str(m, "name");
        snprintf(o->name, sizeof o->name, "%s", name ? name : "?");
        o->space = space ? space : "?";
        o->tuned = prle__report_str(m, "best");
        read_metrics(o->m, cJSON_GetObjectItemCaseSensitive(m, "test"), scale);
    }
    return 0;
}

/* A baselines file's 0-1 scores divide by its label range: one recorded and not this run's
 * (another data.label_min or data.label_max) is not comparable. Files from before 2026-12-07
 * record none. */
static bool same_range(const cJSON *root, const prle__report_ctx *ctx)
{
    double lo = prle__report_num(root, "label_min"), hi = prle__report_num(root, "label_max");
    return !isfinite(lo) || !isfinite(hi) || (lo == ctx->label_min && hi == ctx->label_max);
}

static void compare_table(FILE *fp, const mrow *rows, size_t n)
{
    bool best[64][NM] = {{false}};
    for (int k = 0; k < NM; k++) {
        double bv = NAN;
        for (size_t i = 0; i < n && i < 64; i++) {
            double v = rows[i].m[k];
            if (isfinite(v) && (!isfinite(bv) || (k < 3 ? v < bv : v > bv)))
                bv = v;
        }
        for (size_t i = 0; i < n && i < 64; i++)
            best[i][k] = rows[i].m[k] == bv;
    }
    fputs("<table class=\"num\">\n<tr><th class=\"l\">model</th><th class=\"l\">space</th>", fp);
    for (int k = 0; k < NM; k++)
        fprintf(fp, "<th>%s</th>", mnames[k]);
    fputs("</tr>\n", fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "<tr%s><td class=\"l\">", i == 0 ? " class=\"ours\"" : "");
        prle__html_text(fp, rows[i].name);
        if (rows[i].tuned) {
            fputs(" <span class=\"dim\">", fp);
            prle__html_text(fp, rows[i].tuned);
            fputs("</span>", fp);
        }
        fputs("</td><td class=\"l\">", fp);
        prle__html_text(fp, rows[i].space);
        fputs("</td>", fp);
        for (int k = 0; k < NM; k++) {
            fputs(i < 64 && best[i][k] ? "<td><b>" : "<td>", fp);
            prle__html_num(fp, rows[i].m[k], 4);
            fputs(i < 64 && best[i][k] ? "</b></td>" : "</td>", fp);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</table>\n", fp);
}

static void mse_bars(FILE *fp, const mrow *rows, size_t n)
{
    prle__svg_bar *bars = calloc(n, sizeof *bars);
    char(*labels)[160] = calloc(n, sizeof *labels);
    if (bars && labels) {
        double hi = 0;
        for (size_t i = 0; i < n; i++) {
            snprintf(labels[i], sizeof labels[i], "%s (%s)", rows[i].name, rows[i].space);
            bars[i] = (prle__svg_bar){labels[i], rows[i].m[0], i == 0 ? "#21918c" : "#9aa5b1"};
            if (isfinite(rows[i].m[0]))
                hi = fmax(hi, rows[i].m[0]);
        }
        fputs("<p class=\"cap\">Test MSE on the 0\u20131 scale (lower is better)</p>\n", fp);
        prle__svg_bars(fp, bars, n, 0, hi > 0 ? hi * 1.05 : 1, 4);
    }
    free(bars);
    free(labels);
}

/* A yardstick of metrics.json ("ridge", "knn"): the ridge as a row of the comparison (the
 * kNN's scores validation only), and for both a warning paragraph when PRLE's
 * validation MSE is above the yardstick's (issue 12, item 3). */
static int add_reference(mrow **rows, size_t *n, FILE *fp, const cJSON *metrics, const char *key)
{
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(metrics, key);
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(ref, "splits");
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(metrics, "splits");
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(rs, "test");
    char what[64];
    if (!rs)
        return 0;
    if (!strcmp(key, "knn"))
        snprintf(what, sizeof what, "a %g-nearest-neighbour regression",
                 prle__report_num(ref, "k"));
    else
        snprintf(what, sizeof what, "a ridge regression");
    if (rt && !strcmp(key, "ridge")) {
        mrow *r = realloc(*rows, (*n + 1) * sizeof *r);
        if (!r)
            return prle__error_nomem("report metrics");
        *rows = r;
        mrow *o = &r[(*n)++];
        snprintf(o->name, sizeof o->name, "ridge yardstick (alpha %g, fit on train)",
                 prle__report_num(ref, "alpha"));
        o->space = "retrieval";
        o->tuned = NULL;
        read_metrics(o->m, cJSON_GetObjectItemCaseSensitive(rt, "unit"), 1);
    }
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(ps, "validation"), "unit");
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rs, "validation"), "unit");
    double pm = prle__report_num(pv, "mse"), rm = prle__report_num(rv, "mse");
    if (isfinite(pm) && isfinite(rm) && pm > rm)
        fprintf(fp,
                "<p class=\"warn\">PRLE is worse than %s on the same features: "
                "validation MSE %.5f against %.5f, Pearson %.4f against %.4f (0\u20131 "
                "scale).</p>\n",
                what, pm, rm, prle__report_num(pv, "pearson"), prle__report_num(rv, "pearson"));
    return 0;
}

/* The recalibration on validation (metrics.json "recalibration"), when one was applied. */
static void recalibration_note(FILE *fp, const cJSON *metrics)
{
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(metrics, "recalibration");
    double a = prle__report_num(rc, "intercept"), b = prle__report_num(rc, "slope");
    if (!rc || !isfinite(a) || !isfinite(b) || (a == 0.0 && b == 1.0))
        return;
    if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(metrics, "neighbours"))) {
        /* fitted on the experts' mixture, before the term below is blended in */
        fprintf(fp,
                "<p class=\"cap\">Recalibrated on validation (model.recalibrate): every "
                "prototype's expert predicts %.4g + %.4g \u00d7 the trained expert's, the "
                "least-squares line of the validation labels on the experts' mixture, before the "
                "neighbour term below is blended in.</p>\n",
                a, b);
        return;
    }
    fprintf(fp,
            "<p class=\"cap\">Recalibrated on validation (model.recalibrate): every prediction, "
            "and every prototype's local prediction, is %.4g + %.4g \u00d7 the trained "
            "model's, the least-squares line of the validation labels on its predictions. "
            "Pearson is unchanged by it.</p>\n",
            a, b);
}

/* The neighbour term (metrics.json "neighbours"), when the run kept one. */
static void neighbours_note(FILE *fp, const cJSON *metrics)
{
    const cJSON *nb = cJSON_GetObjectItemCaseSensitive(metrics, "neighbours");
    double k = prle__report_num(nb, "k"), lam = prle__report_num(nb, "weight");
    double gain = prle__report_num(nb, "validation_mse_gain");
    const cJSON *wt = cJSON_GetObjectItemCaseSensitive(nb, "weights");
    if (!nb || !isfinite(k) || !isfinite(lam) || !isfinite(gain) || !cJSON_IsString(wt))
        return;
    fprintf(fp,
            "<p class=\"cap\">Neighbour term (model.neighbours): every prototype's local "
            "prediction is %.2f \u00d7 its expert's + %.2f \u00d7 the prediction of the "
            "input's %.0f nearest training rows (cosine on the standardised retrieval rows, "
            "%s weights), which lowered the validation MSE by %.1f %%. The routing weights "
            "are unchanged.</p>\n",
            1 - lam, lam, k, strcmp(wt->valuestring, "distance") ? "uniform" : "1/distance",
            100 * gain);
}

/* How many prototypes the explanations need, per split (metrics.json "weights"). */
static void weights_table(FILE *fp, const cJSON *splits)
{
    bool any = false;
    for (const cJSON *s = splits ? splits->child : NULL; s; s = s->next) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(s, "weights");
        if (!w)
            continue;
        if (!any)
            fputs("<p class=\"cap\">How concentrated the routing weights are (means over the "
                  "split's rows): the largest weight, the three largest, how many prototypes "
                  "reach 80 % of the weight, and the effective number exp(entropy). An "
                  "explanation is short when top-1 is high and the counts are small.</p>\n"
                  "<table class=\"num\">\n<tr><th class=\"l\">split</th><th>top-1 share</th>"
                  "<th>top-3 share</th><th>prototypes to 80 %</th><th>effective number</th>"
                  "</tr>\n",
                  fp);
        any = true;
        fputs("<tr><td class=\"l\">", fp);
        prle__html_text(fp, s->string);
        static const char *const keys[4] = {"top1", "top3", "n80", "perplexity"};
        for (int k = 0; k < 4; k++) {
            fputs("</td><td>", fp);
            prle__html_num(fp, prle__report_num(w, keys[k]), k < 2 ? 3 : 1);
        }
        fputs("</td></tr>\n", fp);
    }
    if (any)
        fputs("</table>\n", fp);
}

int prle__report_metrics(FILE *fp, const prle__report_ctx *ctx)
{
    static const char *const files[2] = {"baselines.json", "baselines_value.json"};
    const cJSON *splits = cJSON_GetObjectItemCaseSensitive(ctx->metrics, "splits");
    cJSON *bl[2] = {NULL, NULL};
    mrow *rows = calloc(1, sizeof *rows);
    size_t n = 1;
    int err = 0;
    if (!rows)
        return prle__error_nomem("report metrics");
    fputs("<section id=\"metrics\">\n<h2>Test metrics</h2>\n", fp);
    char lo[32], hi[32];
    fprintf(fp, "<p class=\"cap\">This run, raw label scale (labels %s to %s)</p>\n",
            prle__fmt_g3(lo, ctx->label_min), prle__fmt_g3(hi, ctx->label_max));
    split_table(fp, splits);
    snprintf(rows[0].name, sizeof rows[0].name, "PRLE (this run)");
    rows[0].space = "value"; /* model.use_value_space: false is not acted on (docs/config.md) */
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(splits, "test");
    read_metrics(rows[0].m, cJSON_GetObjectItemCaseSensitive(test, "unit"), 1);
    weights_table(fp, splits);
    recalibration_note(fp, ctx->metrics);
    neighbours_note(fp, ctx->metrics);
    if ((err = add_reference(&rows, &n, fp, ctx->metrics, "ridge")) < 0 ||
        (err = add_reference(&rows, &n, fp, ctx->metrics, "knn")) < 0)
        goto done;
    bool other_range[2] = {false, false};
    for (int f = 0; f < 2; f++) {
        if ((err = prle__report_json(&bl[f], ctx, files[f], "prle-baselines")) < 0)
            goto done;
        if (bl[f] && (other_range[f] = !same_range(bl[f], ctx)))
            continue; /* said below, not set beside this run's scores */
        if (bl[f] && (err = add_baselines(&rows, &n, bl[f], files[f], ctx)) < 0)
            goto done;
    }
    fputs("<h3>Beside the baselines</h3>\n", fp);
    if (n > 1) {
        fputs("<p class=\"cap\">Test split, 0\u20131 label scale; best value of each column in "
              "bold</p>\n",
              fp);
        compare_table(fp, rows, n);
        mse_bars(fp, rows, n);
    }
    for (int f = 0; f < 2; f++)
        if (other_range[f]) {
            char a[32], b[32];
            fputs("<p class=\"missing\">not shown \u2014 <code>", fp);
            prle__html_text(fp, files[f]);
            fprintf(fp,
                    "</code> scored labels %s to %s on the 0\u20131 scale, not this run's range; "
                    "run <code>prle baselines CONFIG%s</code> again</p>\n",
                    prle__fmt_g3(a, prle__report_num(bl[f], "label_min")),
                    prle__fmt_g3(b, prle__report_num(bl[f], "label_max")),
                    f ? " --space value" : "");
        }
    if (!bl[0])
        prle__report_missing(fp, ctx, files[0], "prle baselines CONFIG");
    if (!bl[1])
        prle__report_missing(fp, ctx, files[1], "prle baselines CONFIG --space value");
    fputs("</section>\n", fp);
done:
    cJSON_Delete(bl[0]);
    cJSON_Delete(bl[1]);
    free(rows);
    return err;
}

/* ---- correlation and oracle MoE ------------------------------------------------------- */

int prle__report_correlation(FILE *fp, const prle__report_ctx *ctx)
{
    const cJSON *src = NULL;
    const char *file = NULL;
    const cJSON *ac = cJSON_GetObjectItemCaseSensitive(ctx->analysis, "correlation");
    if (cJSON_IsObject(ac))
        src = ac, file = "analysis.json";
    else if (ctx->kernel)
        src = ctx->kernel, file = "kernel_report.json";
    fputs("<section id=\"correlation\">\n<h2>Distance\u2013label correlation</h2>\n", fp);
    if (!src) {
        prle__report_missing(fp, ctx, "kernel_report.json", "prle kernel CONFIG");
        fputs("</section>\n", fp);
        return 0;
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(src, "retrieval");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, "value");
    double vals[4] = {prle__report_num(r, "pearson"), prle__report_num(v, "pearson"),
                      prle__report_num(r, "spearman"), prle__report_num(v, "spearman")};
    double pairs = prle__report_num(ctx->kernel, "pairs");
    fputs("<p class=\"cap\">Correlation between the distance of two training rows and the gap "
          "between their labels",
          fp);
    if (isfinite(pairs))
        fprintf(fp, " (%.0f random pairs)", pairs);
    fprintf(fp,
            ", before the kernel (retrieval space) and after it (value space); from "
            "<code>%s</code></p>\n",
            file);
    prle__svg_bar bars[4] = {{"Pearson, retrieval (before)", vals[0], "#9aa5b1"},
                             {"Pearson, value (after)", vals[1], "#21918c"},
                             {"Spearman, retrieval (before)", vals[2], "#9aa5b1"},
                             {"Spearman, value (after)", vals[3], "#21918c"}};
    double lo = 0;
    for (int k = 0; k < 4; k++)
        if (vals[k] < 0)
            lo = -1;
    prle__svg_bars(fp, bars, 4, lo, 1, 3);
    fputs("</section>\n", fp);
    return 0;
}

int prle__report_oracle(FILE *fp, const prle__report_ctx *ctx)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(ctx->analysis, "oracle_moe");
    fputs("<section id=\"oracle\">\n<h2>Oracle mixture of experts</h2>\n", fp);
    if (!cJSON_IsArray(arr)) {
        if (ctx->analysis && cJSON_GetObjectItemCaseSensitive(ctx->analysis, "oracle_moe"))
            return prle__error_set(PRLE_EFORMAT,
                                   "%s/analysis.json: \"oracle_moe\" is not an "
                                   "array",
                                   ctx->run_dir);
        prle__report_absent(fp, ctx, "oracle", "--no-oracle");
        fputs("</section>\n", fp);
        return 0;
    }
    fputs("<p class=\"cap\">k-medoids clusters in value space, one regressor per cluster, each "
          "row routed to its nearest medoid, against one global regressor (test split, MSE on the "
          "0\u20131 label scale)",
          fp);
    /* a sample of the train + validation rows when they were many (analysis.json fit_rows) */
    double fit_rows = prle__report_num(arr->child, "fit_rows");
    double all = prle__report_num(arr->child, "fit_rows_all");
    if (isfinite(fit_rows) && isfinite(all) && fit_rows < all)
        fprintf(fp, "; fitted on a sample of %.0f of the %.0f train and validation rows", fit_rows,
                all);
    fputs("</p>\n"
          "<table class=\"num\">\n<tr><th class=\"l\">model</th><th>k</th><th>global MSE</th>"
          "<th>oracle MSE</th><th>global Pearson</th><th>oracle Pearson</th></tr>\n",
          fp);
    for (const cJSON *m = arr->child; m; m = m->next) {
        const cJSON *gl = cJSON_GetObjectItemCaseSensitive(m, "global");
        const cJSON *orc = cJSON_GetObjectItemCaseSensitive(m, "oracle");
        fputs("<tr><td class=\"l\">", fp);
        prle__html_text(fp, or_dash(prle__report_str(m, "model")));
        fputs("</td><td>", fp);
        prle__html_num(fp, prle__report_num(m, "k"), 0);
        double v[4] = {prle__report_num(gl, "mse"), prle__report_num(orc, "mse"),
                       prle__report_num(gl, "pearson"), prle__report_num(orc, "pearson")};
        for (int k = 0; k < 4; k++) {
            fputs("</td><td>", fp);
            prle__html_num(fp, v[k], 4);
        }
        fputs("</td></tr>\n", fp);
    }
    fputs("</table>\n</section>\n", fp);
    return 0;
}
