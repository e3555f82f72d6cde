/* prle_report_write: the run folder as one self-contained HTML page (SPEC.md §9). Inline CSS
 * and SVG only; a Content-Security-Policy forbids the page any request, so anything that
 * would reach outside fails loudly in a browser instead of silently needing the network. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report_int.h"
#include "core/error.h"
#include "io/fileio.h"
#include "io/json.h"
#include "prle/report.h"
#include "run/run_marker.h"

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:#1f2328;background:#f6f8fa;margin:0}\n"
    "header{background:#fff;border-bottom:1px solid #d0d7de;padding:16px 28px 10px}\n"
    "h1{font-size:22px;margin:0 0 4px}h1 span{color:#21918c}\n"
    ".sub{color:#57606a;margin:0 0 8px}\n"
    "nav a{color:#0b6e69;margin-right:14px;text-decoration:none;font-size:13px}\n"
    "main{max-width:1120px;margin:0 auto;padding:4px 28px 24px}\n"
    "section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 20px 16px;"
    "margin:16px 0}\n"
    "h2{font-size:18px;margin:0 0 10px;border-bottom:1px solid #eaeef2;padding-bottom:6px}\n"
    "h3{font-size:15px;margin:14px 0 6px}\n"
    ".cap{color:#57606a;font-size:13px;margin:4px 0 10px}\n"
    ".missing{color:#7d4e00;background:#fff8c5;border:1px solid #eed888;border-radius:6px;"
    "padding:8px 12px}\n"
    "table{border-collapse:collapse;margin:6px 0 12px}\n"
    "th,td{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}\n"
    "table.num td,table.num th{text-align:right;font-variant-numeric:tabular-nums}\n"
    "table.num .l{text-align:left}.nw{white-space:nowrap}\n"
    "table.kv th{color:#57606a;font-weight:600;width:110px}\n"
    "tr.ours td{background:#e6f4f3}\n"
    ".dim{color:#8c959f;font-size:12px}\n"
    ".warn{background:#fff4e5;border-left:4px solid #e8590c;padding:6px 10px}\n"
    "pre{background:#f6f8fa;border:1px solid #eaeef2;padding:10px;overflow:auto;"
    "max-height:420px;font-size:12px}\n"
    "svg{max-width:100%;height:auto}\n"
    "svg text{font-family:inherit;fill:#1f2328}\n"
    "svg .ct{font-size:12px;font-weight:600}\n"
    "svg .tk{font-size:10px;fill:#57606a}\n"
    "svg .bl,svg .bv{font-size:12px}\n"
    "svg .frame{fill:none;stroke:#d0d7de}\n"
    "svg .grid{stroke:#eaeef2}\n"
    "svg .axis{stroke:#8c959f}\n"
    "svg .mark{stroke:#cf222e;stroke-dasharray:3 3}\n"
    "svg .ln{fill:none;stroke:#2c728e;stroke-width:1.6}\n"
    "svg .pt{fill:#2c728e}\n"
    "svg .dots path{fill:none;stroke-width:3.2;stroke-linecap:round;stroke-opacity:.8}\n"
    "svg .star{stroke:#111;stroke-width:1.1}\n"
    "svg .star-key{fill:#fff;stroke:#111;stroke-width:1.1}\n"
    "svg .slotn{font-size:9px;font-weight:700;paint-order:stroke;stroke:#fff;stroke-width:2.5px}\n"
    "svg .ax{font-size:11px;fill:#57606a}\n"
    "svg .diag{stroke:#cf222e;stroke-dasharray:4 3}\n"
    "svg .dot{fill:none;stroke:#2c728e;stroke-width:3.4;stroke-linecap:round;stroke-opacity:.45}\n"
    "svg .bar{fill:#21918c}\n"
    "svg .bar2{fill:#9aa5b1}\n"
    "svg .mae{fill:#e8590c}\n"
    "svg .ln2{fill:none;stroke:#e8590c;stroke-width:1.6;stroke-dasharray:4 2}\n"
    "svg .pt2{fill:#e8590c}\n"
    ".scroll{max-height:520px;overflow:auto;border:1px solid #eaeef2}\n"
    "table.rows{margin:0;font-size:12px}table.rows thead th{position:sticky;top:0;"
    "background:#fff}\n"
    ".curves{display:flex;flex-wrap:wrap;gap:8px}\n"
    ".curves svg{border:1px solid #eaeef2;border-radius:6px}\n"
    ".pair{display:flex;flex-wrap:wrap;gap:16px}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px;"
    "align-items:start}\n"
    ".card{border:1px solid #d0d7de;border-radius:8px;padding:10px 12px}\n"
    ".ch{font-size:13px;margin-bottom:6px}.slot{font-weight:700;margin-right:8px}\n"
    ".sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin:0 5px 0 2px;"
    "vertical-align:-1px;border:1px solid rgba(0,0,0,.25)}\n"
    ".tx{margin:4px 0;font-size:13px}.tx2{color:#57606a}\n"
    ".ub{height:6px;background:#eaeef2;border-radius:3px;margin:8px 0 4px}\n"
    ".ub span{display:block;height:6px;background:#21918c;border-radius:3px}\n"
    "table.mini{margin:4px 0 0;font-size:12px;width:100%}table.mini td{padding:2px 4px}\n"
    "table.mini td:last-child{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".expl{border-top:1px solid #eaeef2;padding:10px 0}.eh{font-weight:600}\n"
    ".wb{display:inline-block;height:8px;background:#21918c;margin-right:6px}\n"
    "tr.rest td{color:#57606a}tr.sum td{font-weight:600}\n"
    "footer{color:#8c959f;font-size:12px;text-align:center;padding:0 0 24px}\n";

static void page_head(FILE *fp, const prle__report_ctx *ctx)
{
    const char *name = ctx->cfg->logging.run_name ? ctx->cfg->logging.run_name : ctx->run_dir;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          fp);
    prle__html_text(fp, name);
    fprintf(fp,
            " \u2014 PRLE report</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n"
            "<h1>PRLE report <span>",
            css);
    prle__html_text(fp, name);
    fputs("</span></h1>\n<p class=\"sub\">", fp);
    prle__html_text(fp, ctx->cfg->data.name);
    fputs(" \u00b7 ", fp);
    prle__html_text(fp, ctx->cfg->model.encoder_type);
    fputs(" encoder \u00b7 ", fp);
    prle__html_text(fp, ctx->cfg->kernel.projection_type);
    fprintf(fp, " kernel \u00b7 %zu prototypes", ctx->n_prototypes);
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(ctx->metrics, "splits"), "test");
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(test, "raw");
    if (raw) {
        fputs(" \u00b7 test MSE ", fp);
        prle__html_num(fp, prle__report_num(raw, "mse"), 4);
        fputs(" (raw scale), Pearson ", fp);
        prle__html_num(fp, prle__report_num(raw, "pearson"), 4);
    }
    fputs("</p>\n<nav><a href=\"#config\">Configuration</a><a href=\"#metrics\">Metrics</a>"
          "<a href=\"#curves\">Training</a><a href=\"#correlation\">Correlation</a>"
          "<a href=\"#tsne\">t-SNE</a><a href=\"#errors\">Errors</a>"
          "<a href=\"#intervals\">Intervals</a><a href=\"#oracle\">Oracle MoE</a>"
          "<a href=\"#prototypes\">Prototypes</a><a href=\"#explanations\">Explanations</a></nav>"
          "\n</header>\n<main>\n",
          fp);
}

static void page_foot(FILE *fp, const prle__report_ctx *ctx)
{
    fprintf(fp, "</main>\n<footer>prle %s \u00b7 from the run folder <code>", prle_version());
    prle__html_text(fp, ctx->shown_dir);
    fputs("</code></footer>\n</body>\n</html>\n", fp);
}

/* metrics.json: the label range and the splits, which every later section relies on. */
static int check_metrics(prle__report_ctx *ctx)
{
    const cJSON *splits;
    int err;
    if ((err = prle__json_get_number(&ctx->label_min, ctx->metrics, "label_min")) < 0 ||
        (err = prle__json_get_number(&ctx->label_max, ctx->metrics, "label_max")) < 0 ||
        (err = prle__json_get_object(&splits, ctx->metrics, "splits")) < 0)
        return prle__report_file_error(err, ctx, "metrics.json");
    if (!(ctx->label_max > ctx->label_min) || !isfinite(ctx->label_min) ||
        !isfinite(ctx->label_max))
        return prle__error_set(PRLE_EFORMAT, "%s/metrics.json: label range %g to %g is empty",
                               ctx->run_dir, ctx->label_min, ctx->label_max);
    for (const cJSON *s = splits->child; s; s = s->next)
        if (!cJSON_IsObject(s))
            return prle__error_set(PRLE_EFORMAT, "%s/metrics.json: split \"%s\" is not an object",
                                   ctx->run_dir, s->string ? s->string : "?");
    return 0;
}

static int write_page(FILE *fp, const prle__report_ctx *ctx, const char *yaml)
{
    int err;
    page_head(fp, ctx);
    if ((err = prle__report_config(fp, ctx, yaml)) < 0 ||
        (err = prle__report_metrics(fp, ctx)) < 0 || (err = prle__report_curves(fp, ctx)) < 0 ||
        (err = prle__report_correlation(fp, ctx)) < 0 || (err = prle__report_tsne(fp, ctx)) < 0 ||
        (err = prle__report_errors(fp, ctx)) < 0 || (err = prle__report_intervals(fp, ctx)) < 0 ||
        (err = prle__report_oracle(fp, ctx)) < 0 || (err = prle__report_prototypes(fp, ctx)) < 0 ||
        (err = prle__report_explanations(fp, ctx)) < 0)
        return err;
    page_foot(fp, ctx);
    return 0;
}

int prle_report_write(const char *run_dir, const char *out_path)
{
    /* the folder's files as its run wrote them, as prle eval checks them (prle run reports on
     * the folder it is building through prle__report_write_shown) */
    int err = run_dir && *run_dir ? prle__run_verify(run_dir) : 0;
    return err < 0 ? err : prle__report_write_shown(run_dir, run_dir, out_path);
}

int prle__report_write_shown(const char *run_dir, const char *shown_dir, const char *out_path)
{
    prle__report_ctx ctx = {0};
    prle_config cfg = {0};
    cJSON *metrics = NULL, *kernel = NULL, *analysis = NULL, *protos = NULL;
    char *cfg_path = NULL, *yaml = NULL, *html_path = NULL;
    prle__afile f = {0};
    size_t len;
    int err;
    if (!run_dir || !*run_dir)
        return prle__error_set(PRLE_EINVAL, "report: no run folder given");
    ctx.run_dir = run_dir;
    ctx.shown_dir = shown_dir ? shown_dir : run_dir;
    ctx.cfg = &cfg;
    if (!(cfg_path = prle__report_path(&ctx, "config.yaml")) ||
        !(html_path = out_path ? strdup(out_path) : prle__report_path(&ctx, "report.html"))) {
        err = prle__error_nomem("report paths");
        goto done;
    }
    if ((err = prle__read_file(&yaml, &len, cfg_path, (size_t)64 << 20)) < 0)
        goto done; /* names the file: ENOTFOUND when missing */
    if ((err = prle_config_load(&cfg, cfg_path)) < 0) {
        if (err != PRLE_ENOMEM && err != PRLE_EIO) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", prle_last_error());
            err = prle__error_set(PRLE_EFORMAT, "%s", msg);
        }
        goto done;
    }
    if ((err = prle__report_json(&metrics, &ctx, "metrics.json", "prle-metrics")) < 0)
        goto done;
    if (!metrics) {
        err = prle__error_set(PRLE_ENOTFOUND,
                              "%s/metrics.json: no such file (the run has no trained model yet: "
                              "prle train or prle run writes it)",
                              run_dir);
        goto done;
    }
    ctx.metrics = metrics;
    if ((err = check_metrics(&ctx)) < 0 ||
        (err = prle__report_json(&kernel, &ctx, "kernel_report.json", NULL)) < 0 ||
        (err = prle__report_json(&analysis, &ctx, "analysis.json", "prle-analysis")) < 0)
        goto done;
    ctx.kernel = kernel;
    ctx.analysis = analysis;
    /* a small training set caps the count (prle_proto_count): the model's, not the config's */
    ctx.n_prototypes = (size_t)cfg.model.num_prototypes;
    if ((err = prle__report_json(&protos, &ctx, "prototypes.json", "prle-prototypes")) < 0)
        goto done;
    ctx.prototypes = protos;
    const cJSON *parr = cJSON_GetObjectItemCaseSensitive(protos, "prototypes");
    if (cJSON_IsArray(parr))
        ctx.n_prototypes = (size_t)cJSON_GetArraySize(parr);
    if ((err = prle__afile_open(&f, html_path)) < 0)
        goto done;
    if ((err = write_page(f.fp, &ctx, yaml)) < 0) {
        prle__afile_abort(&f);
        goto done;
    }
    err = prle__afile_commit(&f);
done:
    cJSON_Delete(metrics);
    cJSON_Delete(kernel);
    cJSON_Delete(analysis);
    cJSON_Delete(protos);
    prle_config_dispose(&cfg);
    free(cfg_path), free(yaml), free(html_path);
    return err;
}
