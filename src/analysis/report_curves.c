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
    double mark = NAN;
    int err = 0;
    if (!rows || !x || !y) {
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
    fputs("<div class=\"curves\">\n", fp);
    for (size_t c = 0; c < nc; c++) {
        const char *name = prle_table_col_name(t, c);
        if (!name || is_bookkeeping(name))
            continue;
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if ((err = field_num(&y[i], t, rows[i], c)) < 0)
                goto done;
            any = any || (isfinite(y[i]) && y[i] != 0);
        }
        if (any) /* a column the stage does not log, or a term switched off, is left out */
            prle__svg_curve(fp, name, x, y, n, mark);
    }
    fputs("</div>\n", fp);
done:
    free(rows), free(x), free(y);
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
    fputs("</section>\n", fp);
done:
    prle_table_free(t);
    free(path);
    return err;
}
