/* The test rows (rows_test.json, docs/run-folder.md): predicted against true, the error by
 * label bin, how concentrated the routing weights are, and every row in a table, worst first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report_int.h"
#include "core/error.h"

#define FILE_ROWS "rows_test.json"
#define N_WEIGHT_BINS 20
#define TEXT_CHARS 70

/* One test row as the charts need it. */
typedef struct trow {
    double label, pred, top_weight, top_slot, index;
    const cJSON *obj;
} trow;

static int rows_read(trow **out, size_t *n, const cJSON *root, const prle__report_ctx *ctx)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "rows");
    if (!cJSON_IsArray(arr))
        return prle__error_set(PRLE_EFORMAT, "%s/" FILE_ROWS ": \"rows\" must be an array",
                               ctx->run_dir);
    size_t m = (size_t)cJSON_GetArraySize(arr), i = 0;
    trow *r = malloc((m ? m : 1) * sizeof *r);
    if (!r)
        return prle__error_nomem("report rows");
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        r[i] = (trow){prle__report_num(o, "label"),      prle__report_num(o, "prediction"),
                      prle__report_num(o, "top_weight"), prle__report_num(o, "top_slot"),
                      prle__report_num(o, "index"),      o};
        if (!cJSON_IsObject(o) || !isfinite(r[i].label) || !isfinite(r[i].pred)) {
            free(r);
            return prle__error_set(PRLE_EFORMAT,
                                   "%s/" FILE_ROWS ": row %zu needs a label and a prediction",
                                   ctx->run_dir, i);
        }
    }
    *out = r, *n = m;
    return 0;
}

static void predicted_vs_true(FILE *fp, const prle__report_ctx *ctx, const trow *r, size_t n)
{
    double lo = ctx->label_min, hi = ctx->label_max;
    for (size_t i = 0; i < n; i++) /* predictions may leave the label range */
        lo = fmin(lo, r[i].pred), hi = fmax(hi, r[i].pred);
    double pad = (hi - lo) * 0.02;
    prle__plot p = {.x0 = lo - pad, .x1 = hi + pad, .y0 = lo - pad, .y1 = hi + pad};
    char xl[96], yl[96];
    prle__plot_scale_label(xl, sizeof xl, "gold label", ctx->label_min, ctx->label_max);
    prle__plot_scale_label(yl, sizeof yl, "prediction", ctx->label_min, ctx->label_max);
    prle__plot_open(fp, &p, "pvt", "Predicted against true, test split", xl, yl, 340, 340);
    fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"diag\"/>\n",
            prle__plot_x(&p, p.x0), prle__plot_y(&p, p.y0), prle__plot_x(&p, p.x1),
            prle__plot_y(&p, p.y1));
    fputs("<path class=\"dot\" d=\"", fp);
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "M%.1f %.1fh0", prle__plot_x(&p, r[i].label), prle__plot_y(&p, r[i].pred));
    fputs("\"/>\n", fp);
    prle__plot_close(fp);
}

/* Bars: mean of prediction - label per label bin; dots: mean |error|; bin counts on top. */
static void error_by_bin(FILE *fp, const prle__report_ctx *ctx, const trow *r, size_t n)
{
    enum { NB = PRLE__LABEL_BINS };
    double sum[NB] = {0}, abs_sum[NB] = {0};
    size_t cnt[NB] = {0};
    double w = (ctx->label_max - ctx->label_min) / NB, m = 0;
    for (size_t i = 0; i < n; i++) {
        int b = prle__plot_bin(r[i].label, ctx->label_min, ctx->label_max, NB);
        sum[b] += r[i].pred - r[i].label;
        abs_sum[b] += fabs(r[i].pred - r[i].label);
        cnt[b]++;
    }
    for (int b = 0; b < NB; b++)
        if (cnt[b])
            m = fmax(m, abs_sum[b] / (double)cnt[b]);
    m = m > 0 ? m * 1.15 : 1;
    prle__plot p = {.x0 = ctx->label_min, .x1 = ctx->label_max, .y0 = -m, .y1 = m};
    char xl[96], yl[96];
    prle__plot_scale_label(xl, sizeof xl, "gold label, bins", ctx->label_min, ctx->label_max);
    snprintf(yl, sizeof yl, "prediction \u2212 label (raw scale)");
    prle__plot_open(fp, &p, "ebin", "Error by label bin, test split", xl, yl, 340, 340);
    double y0 = prle__plot_y(&p, 0);
    fprintf(fp, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n", p.px0,
            p.px1, y0, y0);
    for (int b = 0; b < NB; b++) {
        if (!cnt[b])
            continue;
        double mean = sum[b] / (double)cnt[b], mae = abs_sum[b] / (double)cnt[b], xa, xb;
        double ym = prle__plot_y(&p, mean);
        prle__plot_bin_px(&p, b, NB, &xa, &xb);
        fprintf(fp,
                "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                "<title>labels %.3g to %.3g: %zu rows, mean error %+.3f, mean |error| %.3f"
                "</title></rect>\n",
                xa, fmin(ym, y0), xb - xa, fabs(ym - y0), ctx->label_min + b * w,
                ctx->label_min + (b + 1) * w, cnt[b], mean, mae);
        fprintf(fp, "<circle class=\"mae\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"/>", (xa + xb) / 2,
                prle__plot_y(&p, mae));
        fprintf(fp, "<text x=\"%.1f\" y=\"%.0f\" class=\"tk\" text-anchor=\"middle\">%zu</text>\n",
                (xa + xb) / 2, p.py0 + 11, cnt[b]);
    }
    fprintf(fp,
            "<circle class=\"mae\" cx=\"%.0f\" cy=\"%.0f\" r=\"3.5\"/><text x=\"%.0f\" y=\"%.0f\" "
            "class=\"tk\">mean |error|</text>\n",
            p.px1 - 80, p.py1 - 10, p.px1 - 74, p.py1 - 6.5);
    prle__plot_close(fp);
}

static void weight_histogram(FILE *fp, const trow *r, size_t n)
{
    size_t cnt[N_WEIGHT_BINS] = {0}, top = 1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(r[i].top_weight))
            continue;
        int b = (int)floor(r[i].top_weight * N_WEIGHT_BINS);
        b = b < 0 ? 0 : b >= N_WEIGHT_BINS ? N_WEIGHT_BINS - 1 : b;
        cnt[b]++;
    }
    for (int b = 0; b < N_WEIGHT_BINS; b++)
        top = cnt[b] > top ? cnt[b] : top;
    prle__plot p = {.x0 = 0, .x1 = 1, .y0 = 0, .y1 = (double)top * 1.08};
    prle__plot_open(fp, &p, "whist", "Top-1 routing weight, test split",
                    "weight of the heaviest prototype (0 to 1)", "test rows", 340, 340);
    for (int b = 0; b < N_WEIGHT_BINS; b++) {
        if (!cnt[b])
            continue;
        double xa = prle__plot_x(&p, (double)b / N_WEIGHT_BINS) + 1;
        double xb = prle__plot_x(&p, (double)(b + 1) / N_WEIGHT_BINS) - 1;
        double yt = prle__plot_y(&p, (double)cnt[b]);
        fprintf(fp,
                "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                "<title>top-1 weight %.2f to %.2f: %zu rows</title></rect>\n",
                xa, yt, xb - xa, p.py1 - yt, (double)b / N_WEIGHT_BINS,
                (double)(b + 1) / N_WEIGHT_BINS, cnt[b]);
    }
    prle__plot_close(fp);
}

static int by_abs_error(const void *a, const void *b)
{
    const trow *x = a, *y = b;
    double ex = fabs(x->pred - x->label), ey = fabs(y->pred - y->label);
    if (ex != ey)
        return ex > ey ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static void rows_table(FILE *fp, trow *r, size_t n)
{
    qsort(r, n, sizeof *r, by_abs_error);
    fputs("<div class=\"scroll\"><table class=\"num rows\">\n<thead><tr><th>test row</th>"
          "<th>label</th><th>prediction</th><th>error</th><th>interval</th>"
          "<th>top prototype</th><th class=\"l\">text</th></tr></thead>\n<tbody>\n",
          fp);
    for (size_t i = 0; i < n; i++) {
        const cJSON *o = r[i].obj;
        double lo = prle__report_num(o, "lo"), hi = prle__report_num(o, "hi");
        fputs("<tr><td>", fp);
        prle__html_num(fp, r[i].index, 0);
        fputs("</td><td>", fp);
        prle__html_num(fp, r[i].label, 2);
        fputs("</td><td>", fp);
        prle__html_num(fp, r[i].pred, 2);
        double e = r[i].pred - r[i].label;
        fputs("</td><td>", fp);
        if (e > 0)
            fputc('+', fp);
        prle__html_num(fp, e, 2);
        fputs("</td><td class=\"nw\">", fp);
        if (isfinite(lo) && isfinite(hi)) { /* "a–b", or "[a, b]" when an end is negative */
            bool in = r[i].label >= lo && r[i].label <= hi, neg = lo < 0 || hi < 0;
            fputs(in ? (neg ? "[" : "") : (neg ? "<b>[" : "<b>"), fp);
            prle__html_num(fp, lo, 2);
            fputs(neg ? ", " : "\u2013", fp);
            prle__html_num(fp, hi, 2);
            fputs(in ? (neg ? "]" : "") : (neg ? "]</b>" : "</b>"), fp);
        } else {
            fputs("\u2014", fp);
        }
        fputs("</td><td class=\"nw\">#", fp);
        prle__html_num(fp, r[i].top_slot, 0);
        fputs(" <span class=\"dim\">", fp);
        prle__html_num(fp, r[i].top_weight, 2);
        fputs("</span></td><td class=\"l\">", fp);
        prle__html_text_cut(fp, TEXT_CHARS, prle__report_str(o, "text"));
        const char *t2 = prle__report_str(o, "text2");
        if (t2) {
            fputs(" <span class=\"dim\">/</span> ", fp);
            prle__html_text_cut(fp, TEXT_CHARS, t2);
        }
        fputs("</td></tr>\n", fp);
    }
    fputs("</tbody></table></div>\n", fp);
}

int prle__report_errors(FILE *fp, const prle__report_ctx *ctx)
{
    cJSON *root = NULL;
    trow *r = NULL;
    size_t n = 0;
    fputs("<section id=\"errors\">\n<h2>Test predictions and errors</h2>\n", fp);
    int err = prle__report_json(&root, ctx, FILE_ROWS, "prle-test-rows");
    if (err < 0)
        return err;
    if (!root) {
        prle__report_missing(fp, ctx, FILE_ROWS, "prle run CONFIG");
        fputs("</section>\n", fp);
        return 0;
    }
    if ((err = rows_read(&r, &n, root, ctx)) < 0)
        goto done;
    fprintf(fp,
            "<p class=\"cap\">All %zu test rows. Left: each dot is a row; on the dashed line "
            "the prediction equals the label, and a cloud flatter than the line means "
            "predictions shrink toward the mean. Middle: bars are the mean of prediction "
            "\u2212 label in each label bin (above zero: over-predicted), dots the mean "
            "absolute error, the number on top the rows in the bin. Right: the weight of the "
            "heaviest prototype, the share of the prediction its local prediction gives; near "
            "1 the explanation is one training example.</p>\n<div class=\"pair\">\n",
            n);
    predicted_vs_true(fp, ctx, r, n);
    error_by_bin(fp, ctx, r, n);
    weight_histogram(fp, r, n);
    double level = prle__report_num(root, "level");
    fputs("</div>\n<h3>Every test row, largest error first</h3>\n<p class=\"cap\">Raw label "
          "scale. ",
          fp);
    if (isfinite(level))
        fprintf(fp,
                "Interval: the plain %.0f&#160;%% split-conformal interval, clipped to the label "
                "range (bold when it misses the label). ",
                100 * level);
    fputs("Top prototype: the slot of the heaviest prototype and its routing weight.</p>\n", fp);
    rows_table(fp, r, n);
    fputs("</section>\n", fp);
done:
    free(r);
    cJSON_Delete(root);
    return err;
}
