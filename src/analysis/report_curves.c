/* The training-curves section: train_log.csv (docs/run-folder.md), one row per epoch and
 * stage, drawn as small multiples, one chart per logged quantity and stage. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report_int.h"
#include "core/error.h"
#include "prle/table.h"

#define LOG_FILE "train_log.csv"
#define MAX_STAGES 8

/* Columns that are not curves. */
static bool is_bookkeeping(const char *name)
{
    static const char *const skip[] = {"stage", "epoch", "kept", "seconds", "rows_per_s", "steps"};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (strcmp(name, skip[i]) == 0)
            return true;
    return false;
}

/* What each logged column is, and on which scale (docs/run-folder.md, train_log.csv). */
static const char *title_of(const char *name)
{
    static const char *const t[][2] = {
        {"loss", "loss (train)"},
        {"loss_pair", "pair loss"},
        {"loss_triplet", "triplet loss (train)"},
        {"loss_uniform", "uniformity loss (train)"},
        {"val_pair", "pair loss (validation)"},
        {"task", "task: train MSE, standardised"},
        {"fit", "fit (train, standardised)"},
        {"anchor", "anchor (train)"},
        {"balance", "balance (train)"},
        {"entropy", "entropy (train)"},
        {"val_mse", "validation MSE, raw scale, as trained"}, /* the caption says before what */
        {"tau", "router \u03c4"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(name, t[i][0]) == 0)
            return t[i][1];
    return name;
}

static size_t column_or_none(const prle_table *t, const char *name)
{
    for (size_t c = 0; c < prle_table_n_cols(t); c++) {
        const char *s = prle_table_col_name(t, c);
        if (s && strcmp(s, name) == 0)
            return c;
    }
    return SIZE_MAX;
}

/* The kernel's validation pair loss against the epoch kept: where it was lowest, and a
 * warning when a later epoch was kept while it rose (kernel.keep: last). */
static void kernel_val_note(FILE *fp, const prle__report_ctx *ctx, const double *x, const double *v,
                            size_t n, double kept)
{
    size_t best = SIZE_MAX, k = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i]) && (best == SIZE_MAX || v[i] < v[best]))
            best = i;
        if (x[i] == kept)
            k = i;
    }
    if (best == SIZE_MAX || k == SIZE_MAX)
        return;
    const char *keep = ctx->cfg->kernel.keep ? ctx->cfg->kernel.keep : "?";
    if (x[best] == kept) {
        fprintf(fp,
                "<p class=\"cap\">The validation pair loss was lowest at epoch %.0f of %zu, "
                "the epoch kept (kernel.keep: %s); the epochs after it fit train better and "
                "validation worse.</p>\n",
                kept, n, keep);
        return;
    }
    fprintf(fp,
            "<p class=\"warn\">The validation pair loss was lowest at epoch %.0f (%.4f), but "
            "epoch %.0f (%.4f) was kept (kernel.keep: %s): the kernel kept is not the one that "
            "generalised best; kernel.keep: best keeps epoch %.0f.</p>\n",
            x[best], v[best], kept, v[k], keep, x[best]);
}

/* Field (row, col) as a number: empty or absent is NaN, anything unreadable PRLE_EFORMAT. */
static int field_num(double *out, const prle_table *t, size_t row, size_t col)
{
    const char *s = prle_table_field(t, row, col);
    *out = NAN;
    if (!s || !*s)
        return 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return prle__error_set(PRLE_EFORMAT, "%s:%zu: %s \"%s\" is not a number",
                               prle_table_name(t), prle_table_row_line(t, row),
                               prle_table_col_name(t, col), s);
    *out = v;
    return 0;
}

static void kernel_line(FILE *fp, const prle__report_ctx *ctx)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(ctx->kernel, "kernel");
    if (!cJSON_IsObject(k))
        return;
    fputs("<p class=\"cap\">kernel ", fp);
    prle__html_text(fp, prle__report_str(k, "type"));
    fputs(", ", fp);
    prle__html_num(fp, prle__report_num(k, "in_dim"), 0);
    fputs(" \u2192 ", fp);
    prle__html_num(fp, prle__report_num(k, "out_dim"), 0);
    fputs(" (hidden ", fp);
    prle__html_num(fp, prle__report_num(k, "hidden_dim"), 0);
    fputs("), ", fp);
    prle__html_num(fp, prle__report_num(k, "n_params"), 0);
    fputs(" parameters, weights of epoch ", fp);
    prle__html_num(fp, prle__report_num(k, "kept_epoch"), 0);
    fputs(" kept</p>\n", fp);
}

/* The charts of one stage: rows whose stage column equals `stage`. */
static int stage_charts(FILE *fp, const prle__report_ctx *ctx, const prle_table *t, size_t c_stage,
                        size_t c_epoch, size_t c_kept, bool has_kept, const char *stage)
{
    size_t nr = prle_table_n_rows(t), nc = prle_table_n_cols(t), n = 0;
    size_t *rows = malloc((nr ? nr : 1) * sizeof *rows);
    double *x = malloc((nr ? nr : 1) * sizeof *x), *y = malloc((nr ? nr : 1) * sizeof *y);
    double *y2 = malloc((nr ? nr : 1) * sizeof *y2);
    double mark = NAN;
    int err = 0;
    if (!rows || !x || !y || !y2) {
        err = prle__error_nomem("report curves");
        goto done;
    }
    for (size_t r = 0; r < nr; r++) {
        const char *s = prle_table_field(t, r, c_stage);
        if (!s || strcmp(s, stage) != 0)
            continue;
        rows[n] = r;
        if ((err = field_num(&x[n], t, r, c_epoch)) < 0)
            goto done;
        const char *kept = has_kept ? prle_table_field(t, r, c_kept) : NULL;
        if (kept && strcmp(kept, "1") == 0)
            mark = x[n];
        n++;
    }
    fputs("<h3>", fp);
    prle__html_text(fp, stage);
    fputs(" stage</h3>\n", fp);
    if (strcmp(stage, "kernel") == 0)
        kernel_line(fp, ctx);
    /* the pair loss on train and validation share a chart */
    size_t c_val = column_or_none(t, "val_pair"), c_pair = column_or_none(t, "loss_pair");
    bool merge = false;
    if (c_val != SIZE_MAX && c_pair != SIZE_MAX) {
        for (size_t i = 0; i < n; i++) {
            if ((err = field_num(&y2[i], t, rows[i], c_val)) < 0)
                goto done;
            merge = merge || isfinite(y2[i]);
        }
        if (merge && strcmp(stage, "kernel") == 0)
            kernel_val_note(fp, ctx, x, y2, n, mark);
    }
    fputs("<div class=\"curves\">\n", fp);
    for (size_t c = 0; c < nc; c++) {
        const char *name = prle_table_col_name(t, c);
        if (!name || is_bookkeeping(name) || (merge && c == c_val))
            continue;
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if ((err = field_num(&y[i], t, rows[i], c)) < 0)
                goto done;
            any = any || (isfinite(y[i]) && y[i] != 0);
        }
        if (any) /* a column the stage does not log, or a term switched off, is left out */
            prle__svg_curve(fp, name, title_of(name), x, y, merge && c == c_pair ? y2 : NULL, n,
                            mark);
    }
    fputs("</div>\n", fp);
done:
    free(rows), free(x), free(y), free(y2);
    return err;
}

int prle__report_curves(FILE *fp, const prle__report_ctx *ctx)
{
    char *path = prle__report_path(ctx, LOG_FILE);
    prle_table *t = NULL;
    prle_table_params tp = prle_table_default_params();
    size_t c_stage, c_epoch, c_kept = 0;
    const char *stages[MAX_STAGES];
    size_t n_stages = 0;
    int err;
    if (!path)
        return prle__error_nomem("report path");
    fputs("<section id=\"curves\">\n<h2>Training curves</h2>\n", fp);
    err = prle_table_read(&t, path, &tp);
    if (err == PRLE_ENOTFOUND) {
        prle_error_clear();
        err = 0;
        kernel_line(fp, ctx);
        prle__report_missing(fp, ctx, LOG_FILE, "prle run CONFIG");
        fputs("</section>\n", fp);
        goto done;
    }
    if (err < 0)
        goto done;
    if ((err = prle_table_column(&c_stage, t, "stage")) < 0 ||
        (err = prle_table_column(&c_epoch, t, "epoch")) < 0) {
        err = prle__error_set(PRLE_EFORMAT, "%s: needs the columns stage and epoch", path);
        goto done;
    }
    bool has_kept = prle_table_column(&c_kept, t, "kept") == 0;
    prle_error_clear();
    for (size_t r = 0; r < prle_table_n_rows(t); r++) {
        const char *s = prle_table_field(t, r, c_stage);
        size_t i = 0;
        while (s && i < n_stages && strcmp(stages[i], s) != 0)
            i++;
        if (s && *s && i == n_stages && n_stages < MAX_STAGES)
            stages[n_stages++] = s;
    }
    for (size_t i = 0; i < n_stages; i++)
        if ((err = stage_charts(fp, ctx, t, c_stage, c_epoch, c_kept, has_kept, stages[i])) < 0)
            goto done;
    if (n_stages == 0)
        fputs("<p class=\"missing\">train_log.csv has no rows</p>\n", fp);
    for (size_t i = 0; i < n_stages; i++)
        if (strcmp(stages[i], "experts") == 0)
            fputs("<p class=\"cap\">The experts' validation MSE is the model's as trained: "
                  "before the recalibration on validation and the neighbour term.</p>\n",
                  fp);
    fputs("</section>\n", fp);
done:
    prle_table_free(t);
    free(path);
    return err;
}
