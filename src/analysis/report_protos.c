/* The prototype cards (prototypes.json) and the explained test predictions
 * (explanations_test.json), docs/run-folder.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report_int.h"
#include "core/error.h"
#include "io/json.h"

/* Explained rows shown at most. */
#define MAX_EXPLAINED 8
/* A prototype's or a neighbour's text is cut there: one long row stretched a card to 31,000 px */
#define CARD_CHARS 400

static int need_array(const cJSON **out, const cJSON *root, const char *key,
                      const prle__report_ctx *ctx, const char *file)
{
    size_t n;
    int err = prle__json_get_array(out, &n, root, key);
    return err < 0 ? prle__report_file_error(err, ctx, file) : 0;
}

static void label_swatch(FILE *fp, const prle__report_ctx *ctx, double label)
{
    char col[8];
    prle__report_colour(col, (label - ctx->label_min) / (ctx->label_max - ctx->label_min));
    fprintf(fp, "<span class=\"sw\" style=\"background:%s\"></span>", col);
}

static void texts(FILE *fp, const cJSON *obj)
{
    const char *t1 = prle__report_str(obj, "text"), *t2 = prle__report_str(obj, "text2");
    fputs("<p class=\"tx\">", fp);
    prle__html_text_cut(fp, CARD_CHARS, t1 ? t1 : "\u2014");
    fputs("</p>\n", fp);
    if (t2) {
        fputs("<p class=\"tx tx2\">", fp);
        prle__html_text_cut(fp, CARD_CHARS, t2);
        fputs("</p>\n", fp);
    }
}

typedef struct card_order {
    const cJSON *p;
    double usage, slot;
} card_order;

static int by_usage(const void *a, const void *b)
{
    const card_order *x = a, *y = b;
    double ux = isfinite(x->usage) ? x->usage : -1, uy = isfinite(y->usage) ? y->usage : -1;
    if (ux != uy)
        return ux > uy ? -1 : 1;
    return (x->slot > y->slot) - (x->slot < y->slot);
}

static void card(FILE *fp, const prle__report_ctx *ctx, const cJSON *p, double max_usage)
{
    double label = prle__report_num(p, "label"), usage = prle__report_num(p, "usage");
    fputs("<div class=\"card\"><div class=\"ch\"><span class=\"slot\">#", fp);
    prle__html_num(fp, prle__report_num(p, "slot"), 0);
    fputs("</span>", fp);
    label_swatch(fp, ctx, label);
    fputs("label <b>", fp);
    prle__html_num(fp, label, 2);
    fputs("</b></div>\n", fp);
    texts(fp, p);
    double w = isfinite(usage) && max_usage > 0 ? 100 * usage / max_usage : 0;
    fprintf(fp, "<div class=\"ub\"><span style=\"width:%.1f%%\"></span></div>\n", w);
    fputs("<table class=\"mini\"><tr><td>usage share</td><td>", fp);
    prle__html_num(fp, 100 * usage, 1);
    double lm = prle__report_num(p, "local_mse"), range = ctx->label_max - ctx->label_min;
    fputs("%</td></tr><tr><td>local MSE, raw</td><td>", fp);
    prle__html_num(fp, lm, 4);
    fputs("</td></tr><tr><td>local MSE, 0\u20131</td><td>", fp);
    prle__html_num(fp, lm / (range * range), 4);
    fputs("</td></tr><tr><td>expert slope</td><td>", fp);
    prle__html_num(fp, prle__report_num(p, "expert_slope"), 4);
    fputs("</td></tr><tr><td>training row</td><td>", fp);
    prle__html_num(fp, prle__report_num(p, "index"), 0);
    fputs("</td></tr></table></div>\n", fp);
}

/* Opens section `id` headed `title` over `root`, the run folder's `file` (written by prle
 * train). A missing file (root NULL) gets the "not computed" note and a closed section: false. */
static bool open_section(FILE *fp, const prle__report_ctx *ctx, const char *id, const char *title,
                         const cJSON *root, const char *file)
{
    fprintf(fp, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
    if (root)
        return true;
    prle__report_missing(fp, ctx, file, "prle train CONFIG");
    fputs("</section>\n", fp);
    return false;
}

int prle__report_prototypes(FILE *fp, const prle__report_ctx *ctx)
{
    static const char *const file = "prototypes.json";
    const cJSON *root = ctx->prototypes, *arr;
    card_order *ord = NULL;
    int err;
    if (!open_section(fp, ctx, "prototypes", "Prototypes", root, file))
        return 0;
    if ((err = need_array(&arr, root, "prototypes", ctx, file)) < 0)
        goto done;
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    if (!(ord = malloc((n ? n : 1) * sizeof *ord))) {
        err = prle__error_nomem("report prototypes");
        goto done;
    }
    double max_usage = 0;
    for (const cJSON *p = arr->child; p; p = p->next, i++) {
        if (!cJSON_IsObject(p)) {
            err = prle__error_set(PRLE_EFORMAT, "%s/%s: prototype %zu is not an object",
                                  ctx->run_dir, file, i);
            goto done;
        }
        ord[i] = (card_order){p, prle__report_num(p, "usage"), prle__report_num(p, "slot")};
        if (isfinite(ord[i].usage))
            max_usage = fmax(max_usage, ord[i].usage);
    }
    qsort(ord, n, sizeof *ord, by_usage);
    fprintf(fp, "<p class=\"cap\">%zu prototypes (", n);
    const char *keys[3] = {"method", "router", "expert"};
    const char *what[3] = {"chosen by ", "router ", "experts "};
    for (int k = 0; k < 3; k++) {
        fputs(k ? ", " : "", fp);
        fputs(what[k], fp);
        const char *s = prle__report_str(root, keys[k]);
        prle__html_text(fp, s ? s : "\u2014");
    }
    double tau = prle__report_num(root, "tau");
    if (isfinite(tau)) {
        fputs(", &#964; ", fp);
        prle__html_num(fp, tau, 3);
    }
    fputs("), most used first. Usage share: the mean routing weight over the training rows. "
          "Local MSE: the routing-weighted squared error of the prototype's local prediction (its "
          "expert's, blended with the neighbour term where the run kept one) on the test "
          "rows, on the raw label scale and on the 0\u20131 scale of the metrics table. Expert "
          "slope: the length of a linear expert's weight vector, in raw label units per unit "
          "of value-space distance (value vectors have length 1): near 0 the expert predicts "
          "one value wherever the row lies, a large slope means its prediction changes fast "
          "around the prototype.</p>\n"
          "<div class=\"cards\">\n",
          fp);
    for (i = 0; i < n; i++)
        card(fp, ctx, ord[i].p, max_usage);
    fputs("</div>\n</section>\n", fp);
done:
    free(ord);
    return err;
}

/* A training row's text, and its second text for pairs, escaped. */
static void pair_text(FILE *fp, const cJSON *o)
{
    const char *t2 = prle__report_str(o, "text2");
    prle__html_text_cut(fp, CARD_CHARS, prle__report_str(o, "text"));
    if (t2) {
        fputs(" <span class=\"dim\">/</span> ", fp);
        prle__html_text_cut(fp, CARD_CHARS, t2);
    }
}

/* The neighbour term of an explained row (docs/run-folder.md): its weight and prediction, and
 * the training rows it averages when the file lists them. */
static void neighbour_rows(FILE *fp, const cJSON *nb)
{
    double lam = prle__report_num(nb, "weight"), c = prle__report_num(nb, "prediction");
    if (!cJSON_IsObject(nb) || !isfinite(lam) || !isfinite(c))
        return;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(nb, "rows");
    fprintf(fp,
            "<p class=\"cap\">Neighbour term: every local prediction above is %.2f \u00d7 its "
            "expert's + %.2f \u00d7 ",
            1 - lam, lam);
    prle__html_num(fp, c, 3);
    fprintf(fp, ", the prediction of the input's %d nearest training rows%s</p>\n",
            cJSON_IsArray(rows) ? cJSON_GetArraySize(rows) : 0, cJSON_IsArray(rows) ? ":" : ".");
    if (!cJSON_IsArray(rows))
        return;
    fputs("<table class=\"num ex\"><tr><th class=\"l\">training row</th><th class=\"l\">text"
          "</th><th>label</th></tr>\n",
          fp);
    for (const cJSON *r = rows->child; r; r = r->next) {
        fputs("<tr><td class=\"l nw\">", fp);
        prle__html_num(fp, prle__report_num(r, "index"), 0);
        fputs("</td><td class=\"l tx\">", fp);
        pair_text(fp, r);
        fputs("</td><td>", fp);
        prle__html_num(fp, prle__report_num(r, "label"), 2);
        fputs("</td></tr>\n", fp);
    }
    fputs("</table>\n", fp);
}

static void explained_row(FILE *fp, const prle__report_ctx *ctx, const cJSON *row)
{
    double label = prle__report_num(row, "label"), pred = prle__report_num(row, "prediction");
    fputs("<div class=\"expl\"><div class=\"eh\">test row ", fp);
    prle__html_num(fp, prle__report_num(row, "index"), 0);
    fputs(" \u2014 label ", fp);
    label_swatch(fp, ctx, label);
    fputs("<b>", fp);
    prle__html_num(fp, label, 2);
    fputs("</b>, prediction ", fp);
    label_swatch(fp, ctx, pred);
    fputs("<b>", fp);
    prle__html_num(fp, pred, 2);
    fputs("</b></div>\n", fp);
    texts(fp, row);
    fputs("<table class=\"num ex\"><tr><th class=\"l\">prototype</th><th class=\"l\">text</th>"
          "<th>label</th><th>weight</th><th>local prediction</th><th>contribution</th></tr>\n",
          fp);
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(row, "prototypes");
    double max_w = 0; /* weight bars are relative to the largest weight shown */
    for (const cJSON *p = cJSON_IsArray(ps) ? ps->child : NULL; p; p = p->next) {
        double w = prle__report_num(p, "weight");
        if (isfinite(w))
            max_w = fmax(max_w, w);
    }
    for (const cJSON *p = cJSON_IsArray(ps) ? ps->child : NULL; p; p = p->next) {
        double w = prle__report_num(p, "weight");
        fputs("<tr><td class=\"l nw\">#", fp);
        prle__html_num(fp, prle__report_num(p, "slot"), 0);
        fputs(" <span class=\"dim\">row ", fp);
        prle__html_num(fp, prle__report_num(p, "index"), 0);
        fputs("</span></td><td class=\"l tx\">", fp);
        pair_text(fp, p);
        fputs("</td><td>", fp);
        prle__html_num(fp, prle__report_num(p, "label"), 2);
        fprintf(fp, "</td><td class=\"nw\"><span class=\"wb\" style=\"width:%.0fpx\"></span>",
                isfinite(w) && max_w > 0 ? 40 * fmax(w, 0) / max_w : 0);
        prle__html_num(fp, w, 3);
        fputs("</td><td>", fp);
        prle__html_num(fp, prle__report_num(p, "local_prediction"), 3);
        fputs("</td><td>", fp);
        prle__html_num(fp, prle__report_num(p, "contribution"), 3);
        fputs("</td></tr>\n", fp);
    }
    const cJSON *rest = cJSON_GetObjectItemCaseSensitive(row, "rest");
    if (cJSON_IsObject(rest)) {
        fputs("<tr class=\"rest\"><td class=\"l\" colspan=\"3\">the other ", fp);
        prle__html_num(fp, prle__report_num(rest, "count"), 0);
        fputs(" prototypes together</td><td>", fp);
        prle__html_num(fp, prle__report_num(rest, "weight"), 3);
        fputs("</td><td></td><td>", fp);
        prle__html_num(fp, prle__report_num(rest, "contribution"), 3);
        fputs("</td></tr>\n", fp);
    }
    fputs("<tr class=\"sum\"><td class=\"l\" colspan=\"5\">sum of contributions = prediction"
          "</td><td>",
          fp);
    prle__html_num(fp, pred, 3);
    fputs("</td></tr>\n</table>\n", fp);
    neighbour_rows(fp, cJSON_GetObjectItemCaseSensitive(row, "neighbours"));
    fputs("</div>\n", fp);
}

int prle__report_explanations(FILE *fp, const prle__report_ctx *ctx)
{
    static const char *const file = "explanations_test.json";
    cJSON *root = NULL;
    const cJSON *rows;
    int err;
    if ((err = prle__report_json(&root, ctx, file, "prle-explanations")) < 0 ||
        !open_section(fp, ctx, "explanations", "Explained test predictions", root, file))
        return err;
    if ((err = need_array(&rows, root, "rows", ctx, file)) < 0)
        goto done;
    fputs("<p class=\"cap\">Each prediction is the routing-weighted sum of the local experts' "
          "predictions; the prototypes with the largest weights are listed, the rest summed "
          "in one line. Labels, local predictions and contributions on the raw label scale; "
          "every test row is in the table of the errors section.</p>\n",
          fp);
    int shown = 0;
    for (const cJSON *r = rows->child; r && shown < MAX_EXPLAINED; r = r->next, shown++) {
        if (!cJSON_IsObject(r)) {
            err = prle__error_set(PRLE_EFORMAT, "%s/%s: row %d is not an object", ctx->run_dir,
                                  file, shown);
            goto done;
        }
        explained_row(fp, ctx, r);
    }
    fputs("</section>\n", fp);
done:
    cJSON_Delete(root);
    return err;
}
