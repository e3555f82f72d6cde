/* Writing a configuration as YAML: every key of the table, in its order, strings double-quoted
 * with YAML escapes, numbers in the shortest form that reads back exactly. Loading the output
 * gives an equal configuration (tests/test_config.c, fuzz/fuzz_yaml.c check it). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/config_internal.h"
#include "io/fileio.h"

/* Decodes one UTF-8 sequence at s; returns its length (0 if invalid) and the code point. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = (s[0] & 0xe0) == 0xc0   ? 2
               : (s[0] & 0xf0) == 0xe0 ? 3
               : (s[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
    if (!n)
        return 0;
    uint32_t v = s[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    while (*p) {
        size_t n = utf8_next(p, &cp);
        if (!n)
            return false;
        p += n;
    }
    return true;
}

/* A double-quoted YAML scalar on one line: everything YAML would fold, drop or refuse is
 * escaped (controls, DEL, C1 controls with NEL, the line/paragraph separators, BOM,
 * non-characters U+FFFE/U+FFFF). */
static void write_quoted(FILE *fp, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', fp);
    while (*p) {
        uint32_t cp = 0;
        size_t n = utf8_next(p, &cp); /* the caller checked the string is valid */
        if (cp == '"' || cp == '\\')
            fprintf(fp, "\\%c", (char)cp);
        else if (cp == '\t')
            fputs("\\t", fp);
        else if (cp == '\n')
            fputs("\\n", fp);
        else if (cp == '\r')
            fputs("\\r", fp);
        else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            fprintf(fp, "\\x%02X", (unsigned)cp);
        else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
            fprintf(fp, "\\u%04X", (unsigned)cp);
        else
            fwrite(p, 1, n, fp);
        p += n;
    }
    fputc('"', fp);
}

/* The shortest %g form that reads back to exactly `v`, with ".0" added to integral values. */
static void write_double(FILE *fp, double v)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* %g turns 50 into "5e+01": integral values below 1e17 read better in full */
    const char *e = strchr(buf, 'e');
    if (e && e[1] == '+' && atoi(e + 2) < 17)
        snprintf(buf, sizeof buf, "%.0f", v);
    if (!strpbrk(buf, ".e"))
        strcat(buf, ".0");
    fputs(buf, fp);
}

typedef struct wctx {
    FILE *fp;
    char *cwd; /* for relative paths, read once when first needed */
} wctx;

static int write_path(wctx *w, const char *path)
{
    if (path[0] == '/') {
        write_quoted(w->fp, path);
        return 0;
    }
    if (!w->cwd && !(w->cwd = prle__cfg_getcwd()))
        return prle_last_error_code();
    char *abs = prle__path_join_norm(w->cwd, path);
    if (!abs)
        return prle__error_nomem("config path");
    write_quoted(w->fp, abs);
    free(abs);
    return 0;
}

static bool enum_allowed(const prle__cfg_key *k, const char *v)
{
    for (size_t i = 0; k->allowed[i]; i++)
        if (strcmp(k->allowed[i], v) == 0)
            return true;
    return false;
}

static void write_field(FILE *fp, const prle_field *f)
{
    if (f->name)
        write_quoted(fp, f->name);
    else if (f->index >= 0)
        fprintf(fp, "%" PRId64, f->index);
    else
        fputs("null", fp);
}

/* Every string a key holds is valid UTF-8 (YAML text is). */
static int check_strings(const prle_config *cfg, const prle__cfg_key *k)
{
    const void *p = (const char *)cfg + k->offset;
    bool ok = true;
    switch (k->type) {
    case PRLE__CFG_STR:
    case PRLE__CFG_PATH:
    case PRLE__CFG_ENUM:
        ok = !*(char *const *)p || utf8_valid(*(char *const *)p);
        break;
    case PRLE__CFG_FIELD:
        ok = !((const prle_field *)p)->name || utf8_valid(((const prle_field *)p)->name);
        break;
    case PRLE__CFG_FIELDS:
        for (size_t i = 0; ok && i < ((const prle_field_list *)p)->n; i++) {
            const char *name = ((const prle_field_list *)p)->items[i].name;
            ok = !name || utf8_valid(name);
        }
        break;
    case PRLE__CFG_ENUMS:
        for (size_t i = 0; ok && i < ((const prle_string_list *)p)->n; i++)
            ok = utf8_valid(((const prle_string_list *)p)->items[i]);
        break;
    default:
        break;
    }
    return ok ? 0
              : prle__error_set(PRLE_EINVAL, "'%s' holds text that is not valid UTF-8", k->name);
}

static int write_value(wctx *w, const prle_config *cfg, const prle__cfg_key *k)
{
    FILE *fp = w->fp;
    const void *p = (const char *)cfg + k->offset;
    switch (k->type) {
    case PRLE__CFG_STR:
    case PRLE__CFG_PATH:
    case PRLE__CFG_ENUM: {
        const char *s = *(char *const *)p;
        if (!s)
            fputs("null", fp);
        else if (k->type == PRLE__CFG_PATH && *s)
            return write_path(w, s);
        else if (k->type == PRLE__CFG_ENUM && enum_allowed(k, s))
            fputs(s, fp); /* canonical values are plain YAML */
        else
            write_quoted(fp, s);
        return 0;
    }
    case PRLE__CFG_BOOL:
        fputs(*(const bool *)p ? "true" : "false", fp);
        return 0;
    case PRLE__CFG_TRI: {
        int v = *(const int *)p;
        fputs(v == PRLE_CONFIG_UNSET ? "null" : v ? "true" : "false", fp);
        return 0;
    }
    case PRLE__CFG_INT:
        fprintf(fp, "%d", *(const int *)p);
        return 0;
    case PRLE__CFG_U64:
        fprintf(fp, "%" PRIu64, *(const uint64_t *)p);
        return 0;
    case PRLE__CFG_FLOAT: {
        double v = *(const double *)p;
        if (isnan(v) && (k->flags & PRLE__CFG_NULLABLE))
            fputs("null", fp);
        else if (!isfinite(v))
            return prle__error_set(PRLE_EINVAL, "'%s' is not a finite number", k->name);
        else
            write_double(fp, v);
        return 0;
    }
    case PRLE__CFG_FIELD:
        write_field(fp, p);
        return 0;
    case PRLE__CFG_FIELDS: {
        const prle_field_list *l = p;
        fputc('[', fp);
        for (size_t i = 0; i < l->n; i++) {
            fputs(i ? ", " : "", fp);
            write_field(fp, &l->items[i]);
        }
        fputc(']', fp);
        return 0;
    }
    case PRLE__CFG_ENUMS: {
        const prle_string_list *l = p;
        fputc('[', fp);
        for (size_t i = 0; i < l->n; i++) {
            fputs(i ? ", " : "", fp);
            if (enum_allowed(k, l->items[i]))
                fputs(l->items[i], fp);
            else
                write_quoted(fp, l->items[i]);
        }
        fputc(']', fp);
        return 0;
    }
    case PRLE__CFG_FLOATS: {
        const prle_double_list *l = p;
        fputc('[', fp);
        for (size_t i = 0; i < l->n; i++) {
            if (!isfinite(l->items[i]))
                return prle__error_set(PRLE_EINVAL, "'%s' holds a number that is not finite",
                                       k->name);
            fputs(i ? ", " : "", fp);
            write_double(fp, l->items[i]);
        }
        fputc(']', fp);
        return 0;
    }
    case PRLE__CFG_U64S: {
        const prle_u64_list *l = p;
        fputc('[', fp);
        for (size_t i = 0; i < l->n; i++)
            fprintf(fp, "%s%" PRIu64, i ? ", " : "", l->items[i]);
        fputc(']', fp);
        return 0;
    }
    }
    return 0;
}

/* Number of leading dotted components `a` and `b` share (whole components only). */
static size_t common_components(const char *a, size_t na, const char *b, size_t nb)
{
    size_t shared = 0, i = 0;
    for (;; i++) {
        bool end_a = i == na || a[i] == '.', end_b = i == nb || b[i] == '.';
        if (end_a || end_b) {
            if (!(end_a && end_b))
                return shared;
            shared++;
            if (i == na || i == nb)
                return shared;
            continue;
        }
        if (a[i] != b[i])
            return shared;
    }
}

int prle_config_write(const prle_config *cfg, FILE *fp)
{
    int err = 0;
    wctx w = {fp, NULL};
    const char *prev = "";
    size_t nprev = 0;
    for (size_t i = 0; i < prle__cfg_nkeys && err == 0; i++)
        err = check_strings(cfg, &prle__cfg_keys[i]);
    if (err < 0)
        return err;
    fprintf(fp, "# PRLE configuration, every key resolved (prle %s; keys in docs/config.md)\n",
            prle_version());
    for (size_t i = 0; i < prle__cfg_nkeys && err == 0; i++) {
        const char *name = prle__cfg_keys[i].name;
        const char *leaf = strrchr(name, '.') + 1;
        size_t nsec = (size_t)(leaf - 1 - name);
        size_t shared = i ? common_components(prev, nprev, name, nsec) : 0;
        /* open the sections this key enters: components after the shared ones */
        size_t depth = 0;
        for (const char *s = name; s < name + nsec;) {
            const char *dot = memchr(s, '.', (size_t)(name + nsec - s));
            size_t len = dot ? (size_t)(dot - s) : (size_t)(name + nsec - s);
            if (depth >= shared) {
                if (depth == 0)
                    fputc('\n', fp);
                fprintf(fp, "%*s%.*s:\n", (int)(2 * depth), "", (int)len, s);
            }
            depth++;
            s += len + (dot ? 1 : 0);
        }
        fprintf(fp, "%*s%s: ", (int)(2 * depth), "", leaf);
        err = write_value(&w, cfg, &prle__cfg_keys[i]);
        fputc('\n', fp);
        prev = name;
        nprev = nsec;
    }
    free(w.cwd);
    if (err == 0 && ferror(fp))
        err = prle__error_set(PRLE_EIO, "writing the configuration failed");
    return err;
}

int prle_config_save(const prle_config *cfg, const char *path)
{
    prle__afile f;
    int err = prle__afile_open(&f, path);
    if (err < 0)
        return err;
    if ((err = prle_config_write(cfg, f.fp)) < 0) {
        prle__afile_abort(&f);
        return err;
    }
    return prle__afile_commit(&f);
}
