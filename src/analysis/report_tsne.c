/* The t-SNE section: analysis.json "tsne" (docs/run-folder.md), retrieval and value space
 * side by side, points coloured by label, prototypes starred. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report_int.h"
#include "core/error.h"
#include "io/json.h"

static int bad(const prle__report_ctx *ctx, const char *what)
{
    return prle__error_set(PRLE_EFORMAT, "%s/analysis.json: tsne: %s", ctx->run_dir, what);
}

/* A JSON array of numbers into a new array of n doubles (null as NaN). */
static int read_numbers(double **out, size_t *n, const cJSON *arr, const prle__report_ctx *ctx,
                        const char *what)
{
    if (!cJSON_IsArray(arr))
        return bad(ctx, what);
    size_t m = (size_t)cJSON_GetArraySize(arr), i = 0;
    double *v = malloc((m ? m : 1) * sizeof *v);
    if (!v)
        return prle__error_nomem("report t-SNE");
    for (const cJSON *it = arr->child; it; it = it->next, i++)
        if (prle__json_item_number(&v[i], it, what) < 0) {
            free(v);
            return bad(ctx, what);
        }
    *out = v, *n = m;
    return 0;
}

/* "xy": n pairs into (n, 2) doubles. */
static int read_xy(double **out, const cJSON *space, size_t n, const prle__report_ctx *ctx)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(space, "xy");
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != n)
        return bad(ctx, "\"xy\" must hold one [x, y] per label");
    double *v = malloc((n ? n : 1) * 2 * sizeof *v);
    if (!v)
        return prle__error_nomem("report t-SNE");
    size_t i = 0;
    for (const cJSON *p = arr->child; p; p = p->next, i++) {
        if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 ||
            prle__json_item_number(&v[2 * i], p->child, "x") < 0 ||
            prle__json_item_number(&v[2 * i + 1], p->child->next, "y") < 0) {
            free(v);
            return bad(ctx, "\"xy\" rows must be [x, y]");
        }
    }
    *out = v;
    return 0;
}

static void caption(FILE *fp, const cJSON *tsne)
{
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(tsne, "splits");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(tsne, "counts");
    /* maps made before the FFT (no "method") were Barnes-Hut */
    const cJSON *me = cJSON_GetObjectItemCaseSensitive(tsne, "method");
    const char *m = cJSON_IsString(me) ? me->valuestring : "bh";
    fputs(!strcmp(m, "fft") ? "<p class=\"cap\">t-SNE with FFT-interpolated repulsion (FIt-SNE)"
          : !strcmp(m, "auto")
              ? "<p class=\"cap\">t-SNE, each step's repulsion by FFT interpolation (FIt-SNE) "
                "or Barnes\u2013Hut, whichever is cheaper (the FFT throughout from 1,067 rows)"
              : "<p class=\"cap\">Barnes\u2013Hut t-SNE",
          fp);
    fputs(", perplexity ", fp);
    prle__html_num(fp, prle__report_num(tsne, "perplexity"), 0);
    fputs(", seed ", fp);
    prle__html_num(fp, prle__report_num(tsne, "seed"), 0);
    if (cJSON_IsArray(sp) && cJSON_IsArray(ct) &&
        cJSON_GetArraySize(sp) == cJSON_GetArraySize(ct)) {
        /* a sample when the rows were many (analysis.json counts_all) */
        const cJSON *ca = cJSON_GetObjectItemCaseSensitive(tsne, "counts_all");
        double n_map = 0, n_all = 0, x;
        for (const cJSON *c = ct->child; c; c = c->next)
            n_map += prle__json_item_number(&x, c, "count") < 0 ? NAN : x;
        for (const cJSON *c = cJSON_IsArray(ca) ? ca->child : NULL; c; c = c->next)
            n_all += prle__json_item_number(&x, c, "count") < 0 ? NAN : x;
        if (n_all > n_map) {
            fputs("; one map of a seeded sample of ", fp);
            prle__html_num(fp, n_map, 0);
            fputs(" of the ", fp);
            prle__html_num(fp, n_all, 0);
            fputs(" rows (each split in proportion, the prototypes among them)", fp);
        } else
            fputs("; one map of all rows", fp);
        fputs(", the splits drawn alike: ", fp);
        const cJSON *c = ct->child;
        for (const cJSON *s = sp->child; s && c; s = s->next, c = c->next) {
            double v;
            prle__html_num(fp, prle__json_item_number(&v, c, "count") < 0 ? NAN : v, 0);
            fputc(' ', fp);
            prle__html_text(fp, cJSON_IsString(s) ? s->valuestring : "?");
            fputs(s->next ? ", " : "", fp);
        }
    }
    prle_error_clear();
    fputs(". Colour: the gold label (raw scale); stars: the prototypes, numbered by slot as in "
          "the cards below. Each map is fitted alone, so positions and axes do not compare "
          "between the two; what compares is whether rows of like label sit together.</p>\n",
          fp);
}

int prle__report_tsne(FILE *fp, const prle__report_ctx *ctx)
{
    static const char *const spaces[2] = {"retrieval", "value"};
    static const char *const titles[2] = {"retrieval space (before the kernel)",
                                          "value space (after the kernel)"};
    const cJSON *tsne = cJSON_GetObjectItemCaseSensitive(ctx->analysis, "tsne");
    double *labels = NULL, *t = NULL, *xy = NULL, *pp = NULL;
    size_t n = 0, np = 0, *stars = NULL;
    char **star_titles = NULL;
    int err = 0;
    fputs("<section id=\"tsne\">\n<h2>t-SNE of retrieval and value space</h2>\n", fp);
    if (!tsne) {
        prle__report_absent(fp, ctx, "t-SNE maps", "--no-tsne");
        fputs("</section>\n", fp);
        return 0;
    }
    if ((err = read_numbers(&labels, &n, cJSON_GetObjectItemCaseSensitive(tsne, "labels"), ctx,
                            "\"labels\" must be an array of numbers")) < 0 ||
        (err = read_numbers(&pp, &np, cJSON_GetObjectItemCaseSensitive(tsne, "prototype_points"),
                            ctx, "\"prototype_points\" must be an array of row numbers")) < 0)
        goto done;
    t = malloc((n ? n : 1) * sizeof *t);
    stars = malloc((np ? np : 1) * sizeof *stars);
    star_titles = calloc(np ? np : 1, sizeof *star_titles);
    if (!t || !stars || !star_titles) {
        err = prle__error_nomem("report t-SNE");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        t[i] = (labels[i] - ctx->label_min) / (ctx->label_max - ctx->label_min);
    for (size_t s = 0; s < np; s++) {
        if (!(pp[s] >= 0 && pp[s] < (double)n && pp[s] == floor(pp[s]))) {
            err = bad(ctx, "a prototype point is not a row of the scatter");
            goto done;
        }
        stars[s] = (size_t)pp[s];
        char buf[160];
        snprintf(buf, sizeof buf, "prototype %zu: training row %zu, label %.3g", s, stars[s],
                 labels[stars[s]]);
        if (!(star_titles[s] = strdup(buf))) {
            err = prle__error_nomem("report t-SNE");
            goto done;
        }
    }
    caption(fp, tsne);
    fputs("<div class=\"pair\">\n", fp);
    for (int k = 0; k < 2; k++) {
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(tsne, spaces[k]);
        if (!sp) {
            fprintf(fp, "<p class=\"missing\">no t-SNE of the %s space in analysis.json</p>\n",
                    spaces[k]);
            continue;
        }
        if ((err = read_xy(&xy, sp, n, ctx)) < 0)
            goto done;
        char title[160], kl[32];
        snprintf(title, sizeof title, "%s, KL %s", titles[k],
                 prle__fmt_g3(kl, prle__report_num(sp, "kl")));
        prle__svg_scatter(fp, title, xy, t, n, stars, np, (const char *const *)star_titles);
        free(xy);
        xy = NULL;
    }
    fputs("</div>\n", fp);
    prle__svg_legend(fp, ctx->label_min, ctx->label_max);
    fputs("</section>\n", fp);
done:
    for (size_t s = 0; star_titles && s < np; s++)
        free(star_titles[s]);
    free(star_titles), free(stars), free(labels), free(t), free(xy), free(pp);
    return err;
}
