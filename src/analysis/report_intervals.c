/* The prediction-interval section: metrics.json "intervals" (coverage on validation, cross-fit,
 * and on test, beside the level promised) and the test coverage by label bin from
 * rows_test.json (docs/run-folder.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report_int.h"
#include "core/error.h"

static void pct(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, "%.1f&#160;%%", 100 * v);
    else
        fputs("\u2014", fp);
}

static void table(FILE *fp, const cJSON *arr)
{
    fputs("<table class=\"num\">\n<tr><th class=\"l\">method</th><th>level</th><th>q</th>"
          "<th>validation coverage</th><th>validation mean width</th><th>test coverage</th>"
          "<th>test mean width</th></tr>\n",
          fp);
    for (const cJSON *o = arr->child; o; o = o->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "validation");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "test");
        const char *m = prle__report_str(o, "method");
        fputs("<tr><td class=\"l\">", fp);
        prle__html_text(fp, m && !strcmp(m, "adaptive") ? "adaptive (entropy)" : m ? m : "?");
        fputs("</td><td>", fp);
        pct(fp, prle__report_num(o, "level"));
        fputs("</td><td>", fp);
        prle__html_num(fp, prle__report_num(o, "q"), 3);
        fputs("</td><td>", fp);
        pct(fp, prle__report_num(v, "coverage"));
        fputs("</td><td>", fp);
        prle__html_num(fp, prle__report_num(v, "mean_width"), 2);
        fputs("</td><td>", fp);
        pct(fp, prle__report_num(t, "coverage"));
        fputs("</td><td>", fp);
        prle__html_num(fp, prle__report_num(t, "mean_width"), 2);
        fputs("</td></tr>\n", fp);
    }
    fputs("</table>\n", fp);
}

/* The plain rule's test coverage against its level, said plainly when it falls short. */
static void verdict(FILE *fp, const cJSON *plain)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(plain, "test");
    double level = prle__report_num(plain, "level"), cov = prle__report_num(t, "coverage");
    double n = prle__report_num(t, "n");
    if (!isfinite(level) || !isfinite(cov) || !(n > 0))
        return;
    double se = sqrt(level * (1 - level) / n); /* binomial standard error at the level */
    if (cov >= level) {
        fprintf(fp,
                "<p class=\"cap\">On the test split the plain intervals held the label for "
                "%.1f&#160;%% of %.0f rows, at least the %.0f&#160;%% promised.</p>\n",
                100 * cov, n, 100 * level);
        return;
    }
    fprintf(fp,
            "<p class=\"warn\">The test coverage falls short: the plain %.0f&#160;%% intervals "
            "held the label for %.1f&#160;%% of the %.0f test rows (%.1f points short; the "
            "sampling error of a coverage of %.0f&#160;%% on %.0f rows is %.1f points). "
            "Split conformal promises its level only for rows drawn like the validation rows "
            "it was calibrated on; a test split from other sources than validation (as "
            "STS-B's) is not, and the promise does not hold there.</p>\n",
            100 * level, 100 * cov, n, 100 * (level - cov), 100 * level, n, 100 * se);
}

/* Test coverage of the rows' intervals per label bin, the level as a dashed line. */
static void coverage_by_bin(FILE *fp, const prle__report_ctx *ctx, const cJSON *rows, double level)
{
    enum { NB = PRLE__LABEL_BINS };
    size_t hit[NB] = {0}, cnt[NB] = {0};
    double w = (ctx->label_max - ctx->label_min) / NB;
    for (const cJSON *o = rows->child; o; o = o->next) {
        double y = prle__report_num(o, "label"), lo = prle__report_num(o, "lo"),
               hi = prle__report_num(o, "hi");
        if (!isfinite(y) || !isfinite(lo) || !isfinite(hi))
            continue;
        int b = prle__plot_bin(y, ctx->label_min, ctx->label_max, NB);
        cnt[b]++;
        hit[b] += y >= lo && y <= hi;
    }
    prle__plot p = {.x0 = ctx->label_min, .x1 = ctx->label_max, .y0 = 0, .y1 = 1.1};
    char xl[96];
    prle__plot_scale_label(xl, sizeof xl, "gold label, bins", ctx->label_min, ctx->label_max);
    prle__plot_open(fp, &p, "cbin", "Interval coverage by label bin, test split", xl,
                    "share of rows inside their interval", 520, 340);
    for (int b = 0; b < NB; b++) {
        if (!cnt[b])
            continue;
        double c = (double)hit[b] / (double)cnt[b], yt = prle__plot_y(&p, c), xa, xb;
        prle__plot_bin_px(&p, b, NB, &xa, &xb);
        fprintf(fp,
                "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                "<title>labels %.3g to %.3g: %zu of %zu rows covered</title></rect>"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"tk\" text-anchor=\"middle\">%.0f%%</text>\n",
                xa, yt, xb - xa, p.py1 - yt, ctx->label_min + b * w, ctx->label_min + (b + 1) * w,
                hit[b], cnt[b], (xa + xb) / 2, yt - 3, 100 * c);
    }
    double yl = prle__plot_y(&p, level);
    fprintf(fp,
            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"mark\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" class=\"tk\" text-anchor=\"end\">level %.0f%%</text>\n",
            p.px0, p.px1, yl, yl, p.px1 - 2, yl - 3, 100 * level);
    prle__plot_close(fp);
}

int prle__report_intervals(FILE *fp, const prle__report_ctx *ctx)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(ctx->metrics, "intervals");
    cJSON *rows = NULL;
    fputs("<section id=\"intervals\">\n<h2>Prediction intervals</h2>\n", fp);
    if (!cJSON_IsArray(arr) || !arr->child) {
        prle__report_missing(fp, ctx, "metrics.json \u201cintervals\u201d", "prle eval RUN");
        fputs("</section>\n", fp);
        return 0;
    }
    fputs("<p class=\"cap\">Split-conformal intervals [prediction \u2212 q\u00b7s, prediction + "
          "q\u00b7s], clipped to the label range, q calibrated on the validation split "
          "(<code>prle predict --interval</code>); s = 1 (plain), or 1 + the routing weights' "
          "entropy / ln P (adaptive, <code>--adaptive</code>). Validation coverage is "
          "cross-fit: each validation row's interval is calibrated on the other nine of ten "
          "folds, never on itself. Widths on the raw label scale.</p>\n",
          fp);
    table(fp, arr);
    verdict(fp, arr->child);
    int err = prle__report_json(&rows, ctx, "rows_test.json", "prle-test-rows");
    if (err < 0)
        return err;
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(rows, "rows");
    double level = prle__report_num(rows, "level");
    if (cJSON_IsArray(ra) && isfinite(level)) {
        fputs("<p class=\"cap\">Where the plain intervals miss: the share of test rows inside "
              "their interval in each label bin; the dashed line is the level promised. One "
              "width for every row covers the middle labels easily and the extremes "
              "less.</p>\n",
              fp);
        coverage_by_bin(fp, ctx, ra, level);
    }
    fputs("</section>\n", fp);
    cJSON_Delete(rows);
    return 0;
}
