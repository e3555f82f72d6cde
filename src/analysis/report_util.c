/* The report's small helpers: HTML escaping, numbers, the label colour scale, optional files
 * of the run folder. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report_int.h"
#include "core/error.h"
#include "io/json.h"

void prle__html_text(FILE *fp, const char *s)
{
    if (!s)
        return;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            fputs("&amp;", fp);
            break;
        case '<':
            fputs("&lt;", fp);
            break;
        case '>':
            fputs("&gt;", fp);
            break;
        case '"':
            fputs("&quot;", fp);
            break;
        case '\'':
            fputs("&#39;", fp);
            break;
        case ':':
            if (s[1] == '/' && s[2] == '/') {
                fputs(":&#47;&#47;", fp);
                s += 2;
            } else {
                fputc(':', fp);
            }
            break;
        default:
            if (c >= 0x20 || c == '\t' || c == '\n')
                fputc((int)c, fp);
            else if (c == '\r' && s[1] != '\n')
                fputc('\n', fp);
        }
    }
}

void prle__html_text_cut(FILE *fp, size_t max_chars, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t chars = 0, o = 0, cap = max_chars * 4 + 8;
    char stack[512], *buf = cap <= sizeof stack ? stack : malloc(cap);
    if (!buf) { /* no memory for the copy: the text whole */
        prle__html_text(fp, s);
        return;
    }
    while (*p && chars < max_chars) {
        size_t len = *p < 0x80         ? 1
                     : (*p >> 5) == 6  ? 2
                     : (*p >> 4) == 14 ? 3
                     : (*p >> 3) == 30 ? 4
                                       : 1;
        for (size_t k = 0; k < len && *p; k++)
            buf[o++] = (char)*p++;
        chars++;
    }
    if (*p)
        memcpy(buf + o, "\u2026", 3), o += 3;
    buf[o] = '\0';
    prle__html_text(fp, buf);
    if (buf != stack)
        free(buf);
}

void prle__html_num(FILE *fp, double v, int decimals)
{
    double a = fabs(v);
    if (!isfinite(v))
        fputs("\u2014", fp);
    else if (decimals > 0 && v != 0 && (a < pow(10.0, 1 - decimals) || a >= 1e6))
        fprintf(fp, "%.3g", v); /* labels on 0..1e-3 or 0..1e6: digits, not "0.0000" */
    else
        fprintf(fp, "%.*f", decimals, v == 0 ? 0.0 : v); /* no "-0.0000" */
}

const char *prle__fmt_g3(char buf[32], double v)
{
    if (isfinite(v))
        snprintf(buf, 32, "%.3g", v == 0 ? 0.0 : v);
    else
        snprintf(buf, 32, "\u2014");
    return buf;
}

/* Viridis (matplotlib) sampled at t = 0, 1/8, ..., 1; linear in between. */
static const unsigned char viridis[9][3] = {
    {68, 1, 84},    {71, 44, 122}, {59, 81, 139},  {44, 113, 142}, {33, 145, 140},
    {40, 174, 128}, {94, 201, 98}, {173, 220, 48}, {253, 231, 37},
};

void prle__report_colour(char out[8], double t)
{
    if (!isfinite(t)) {
        snprintf(out, 8, "#a0a0a0");
        return;
    }
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double u = t * 8;
    int i = (int)u;
    if (i > 7)
        i = 7;
    double f = u - i;
    int rgb[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)lround(viridis[i][c] + f * (viridis[i + 1][c] - viridis[i][c]));
    snprintf(out, 8, "#%02x%02x%02x", rgb[0] & 255, rgb[1] & 255, rgb[2] & 255);
}

char *prle__report_path(const prle__report_ctx *ctx, const char *name)
{
    size_t a = strlen(ctx->run_dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, ctx->run_dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

int prle__report_file_error(int err, const prle__report_ctx *ctx, const char *name)
{
    return prle__error_prefix(err, "%s/%s", ctx->run_dir, name);
}

int prle__report_json(cJSON **out, const prle__report_ctx *ctx, const char *name,
                      const char *format)
{
    *out = NULL;
    char *path = prle__report_path(ctx, name);
    if (!path)
        return prle__error_nomem("report path");
    cJSON *root = NULL;
    int err = prle__json_read_file(&root, path);
    free(path);
    if (err == PRLE_ENOTFOUND) {
        prle_error_clear();
        return 0;
    }
    if (err < 0)
        return err; /* the reader named the file */
    if (!cJSON_IsObject(root)) {
        err = prle__error_set(PRLE_EFORMAT, "%s/%s: expected a JSON object, got %s", ctx->run_dir,
                              name, prle__json_type_name(root));
        goto fail;
    }
    if (format) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "format");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
        if (f && (!cJSON_IsString(f) || strcmp(f->valuestring, format) != 0)) {
            err = prle__error_set(PRLE_EFORMAT, "%s/%s: format is not \"%s\"", ctx->run_dir, name,
                                  format);
            goto fail;
        }
        if (v && (!cJSON_IsNumber(v) || v->valuedouble != 1)) {
            err = prle__error_set(PRLE_EFORMAT, "%s/%s: unsupported version (expected 1)",
                                  ctx->run_dir, name);
            goto fail;
        }
    }
    *out = root;
    return 0;
fail:
    cJSON_Delete(root);
    return err;
}

void prle__report_absent(FILE *fp, const prle__report_ctx *ctx, const char *what, const char *flag)
{
    if (!ctx->analysis) {
        prle__report_missing(fp, ctx, "analysis.json", "prle analyze RUN");
        return;
    }
    fputs("<p class=\"missing\">not computed \u2014 <code>analysis.json</code> has no ", fp);
    prle__html_text(fp, what);
    fputs(" (<code>prle analyze ", fp);
    prle__html_text(fp, flag);
    fputs("</code> leaves it out, and so does a split too small for it); run <code>prle "
          "analyze ",
          fp);
    prle__html_text(fp, ctx->run_dir);
    fputs("</code> to make it</p>\n", fp);
}

void prle__report_missing(FILE *fp, const prle__report_ctx *ctx, const char *file, const char *cmd)
{
    fputs("<p class=\"missing\">not computed \u2014 <code>", fp);
    prle__html_text(fp, file);
    fputs("</code> is missing; run <code>", fp);
    const char *r = strstr(cmd, "RUN");
    if (r) {
        fwrite(cmd, 1, (size_t)(r - cmd), fp);
        prle__html_text(fp, ctx->run_dir);
        prle__html_text(fp, r + 3);
    } else {
        prle__html_text(fp, cmd);
    }
    fputs("</code></p>\n", fp);
}

double prle__report_num(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    double v;
    if (!it || prle__json_item_number(&v, it, key) < 0) {
        prle_error_clear();
        return NAN;
    }
    return v;
}

const char *prle__report_str(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}
