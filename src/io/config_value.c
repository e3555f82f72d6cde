/* Converting YAML scalars into configuration values, checked against the key table: YAML 1.1
 * booleans, integers, numbers (ints and 1e-3 accepted where a float belongs), null where a key
 * is optional, enums, columns, lists, and paths resolved against a base folder. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/error.h"
#include "io/config_internal.h"

/* ---- small helpers -------------------------------------------------------------------- */

void prle__cfg_show(char *out, size_t out_len, const char *s, size_t len)
{
    size_t max = out_len - 1, j = 0;
    bool cut = len > 60;
    if (cut)
        len = 57;
    for (size_t i = 0; i < len && j < max; i++)
        out[j++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    for (int d = 0; cut && d < 3 && j < max; d++)
        out[j++] = '.';
    out[j] = '\0';
}

/* Formats the reason into `why`; returns PRLE_EINVAL. */
static int fail(char *why, size_t why_len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return PRLE_EINVAL;
}

static int nomem(char *why, size_t why_len)
{
    snprintf(why, why_len, "out of memory");
    return prle__error_nomem("config value");
}

static bool is_null(const prle__cfg_scalar *s)
{
    if (!s->plain)
        return false;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (s->len == strlen(nulls[i]) && memcmp(s->text, nulls[i], s->len) == 0)
            return true;
    return false;
}

static bool text_is(const prle__cfg_scalar *s, const char *word)
{
    return s->len == strlen(word) && memcmp(s->text, word, s->len) == 0;
}

static char *dup_len(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* Formats the value for a message into `buf`. */
static const char *shown(char *buf, size_t n, const prle__cfg_scalar *s)
{
    prle__cfg_show(buf, n, s->text, s->len);
    return buf;
}

/* ---- scalars -------------------------------------------------------------------------- */

/* YAML 1.1 booleans (true/false, yes/no, on/off), plain only. 1, 0, or -1 if not one. */
static int read_bool(const prle__cfg_scalar *s)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF"};
    if (!s->plain)
        return -1;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (text_is(s, yes[i]))
            return 1;
        if (text_is(s, no[i]))
            return 0;
    }
    return -1;
}

/* [+-]?[0-9]+ as a long long; false if not an integer or out of range. */
static bool read_ll(const prle__cfg_scalar *s, long long *out)
{
    char buf[32];
    if (!s->plain || s->len == 0 || s->len >= sizeof buf)
        return false;
    memcpy(buf, s->text, s->len);
    buf[s->len] = '\0';
    size_t i = (buf[0] == '+' || buf[0] == '-') ? 1 : 0;
    if (!buf[i])
        return false;
    for (size_t j = i; buf[j]; j++)
        if (buf[j] < '0' || buf[j] > '9')
            return false;
    errno = 0;
    *out = strtoll(buf, NULL, 10);
    return errno == 0;
}

/* A decimal number: [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?; finite. No
 * .inf/.nan, hex or locale surprises. */
static bool read_double(const prle__cfg_scalar *s, double *out)
{
    char buf[64];
    if (!s->plain || s->len == 0 || s->len >= sizeof buf)
        return false;
    memcpy(buf, s->text, s->len);
    buf[s->len] = '\0';
    const char *p = buf;
    if (*p == '+' || *p == '-')
        p++;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    if (digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return false;
    double v = strtod(buf, NULL);
    if (!isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool in_range(const prle__cfg_key *k, double v)
{
    if (k->flags & PRLE__CFG_LO_OPEN ? !(v > k->lo) : !(v >= k->lo))
        return false;
    if (k->flags & PRLE__CFG_HI_OPEN ? !(v < k->hi) : !(v <= k->hi))
        return false;
    return true;
}

static int range_fail(const prle__cfg_key *k, const char *value, char *why, size_t why_len)
{
    char lo[32] = "", hi[32] = "";
    if (k->lo > -1e300)
        snprintf(lo, sizeof lo, "%s %g", k->flags & PRLE__CFG_LO_OPEN ? ">" : ">=", k->lo);
    /* widths and counts stop at 2^30: said only when that is what was broken */
    if (k->hi < 1073741824.0 || strtod(value, NULL) > k->hi)
        snprintf(hi, sizeof hi, "%s %.10g", k->flags & PRLE__CFG_HI_OPEN ? "<" : "<=", k->hi);
    return fail(why, why_len, "value %s for '%s' out of range (must be %s%s%s)", value, k->name, lo,
                (*lo && *hi) ? " and " : "", hi);
}

static int read_float_key(const prle__cfg_key *k, const prle__cfg_scalar *s, double *out, char *why,
                          size_t why_len)
{
    char b[80];
    if (!read_double(s, out))
        return fail(why, why_len, "expected a number for '%s', got '%s'", k->name,
                    shown(b, sizeof b, s));
    if (!in_range(k, *out))
        return range_fail(k, shown(b, sizeof b, s), why, why_len);
    return 0;
}

static int read_field(const prle__cfg_key *k, const prle__cfg_scalar *s, prle_field *out, char *why,
                      size_t why_len)
{
    long long v;
    if (read_ll(s, &v)) {
        if (v < 0 || v > INT_MAX)
            return fail(why, why_len,
                        "column number %lld for '%s' out of range (0-based; quote a name)", v,
                        k->name);
        *out = (prle_field){NULL, v};
        return 0;
    }
    if (s->len == 0)
        return fail(why, why_len, "empty column name for '%s'", k->name);
    char *name = dup_len(s->text, s->len);
    if (!name)
        return nomem(why, why_len);
    *out = (prle_field){name, -1};
    return 0;
}

/* The canonical spelling of an enum value, or NULL (case-insensitive, aliases mapped). */
static const char *enum_match(const prle__cfg_key *k, const prle__cfg_scalar *s)
{
    for (size_t i = 0; k->allowed[i]; i++)
        if (strlen(k->allowed[i]) == s->len && strncasecmp(k->allowed[i], s->text, s->len) == 0)
            return k->allowed[i];
    for (size_t i = 0; k->aliases && k->aliases[i]; i += 2)
        if (strlen(k->aliases[i]) == s->len && strncasecmp(k->aliases[i], s->text, s->len) == 0)
            return k->aliases[i + 1];
    return NULL;
}

static int enum_fail(const prle__cfg_key *k, const prle__cfg_scalar *s, char *why, size_t why_len)
{
    char list[256] = "", b[80];
    size_t used = 0;
    for (size_t i = 0; k->allowed[i] && used < sizeof list; i++)
        used +=
            (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", k->allowed[i]);
    return fail(why, why_len, "invalid value '%s' for '%s' (expected one of: %s)",
                shown(b, sizeof b, s), k->name, list);
}

/* ---- paths ---------------------------------------------------------------------------- */

char *prle__cfg_getcwd(void)
{
    for (size_t size = 256; size <= (1u << 20); size *= 2) {
        char *buf = malloc(size);
        if (!buf) {
            prle__error_nomem("current directory");
            return NULL;
        }
        if (getcwd(buf, size))
            return buf;
        int e = errno;
        free(buf);
        if (e != ERANGE) {
            prle__error_set(PRLE_EIO, "cannot read the current directory: %s", strerror(e));
            return NULL;
        }
    }
    prle__error_set(PRLE_EIO, "the current directory's name is too long");
    return NULL;
}

/* ---- assignment ----------------------------------------------------------------------- */

static bool is_list_type(prle__cfg_type t)
{
    return t == PRLE__CFG_FIELDS || t == PRLE__CFG_ENUMS || t == PRLE__CFG_FLOATS ||
           t == PRLE__CFG_U64S;
}

static const char *type_word(prle__cfg_type t)
{
    switch (t) {
    case PRLE__CFG_BOOL:
    case PRLE__CFG_TRI:
        return "true or false";
    case PRLE__CFG_INT:
        return "an integer";
    case PRLE__CFG_U64:
        return "a non-negative integer";
    case PRLE__CFG_FLOAT:
        return "a number";
    default:
        return "a value";
    }
}

/* One scalar into a scalar-typed key. */
static int assign_scalar(prle_config *cfg, const prle__cfg_key *k, const prle__cfg_scalar *s,
                         const char *base_dir, char *why, size_t why_len)
{
    void *p = (char *)cfg + k->offset;
    char b[80];
    bool null = is_null(s);
    if (null && !(k->flags & PRLE__CFG_NULLABLE))
        return fail(why, why_len, "'%s' may not be null (expected %s)", k->name,
                    k->type == PRLE__CFG_ENUM || k->type == PRLE__CFG_STR ? "a string"
                                                                          : type_word(k->type));
    switch (k->type) {
    case PRLE__CFG_STR:
    case PRLE__CFG_PATH:
    case PRLE__CFG_ENUM: {
        char *v = NULL;
        if (!null) {
            if (k->type == PRLE__CFG_ENUM) {
                const char *canon = enum_match(k, s);
                if (!canon)
                    return enum_fail(k, s, why, why_len);
                v = dup_len(canon, strlen(canon));
            } else if (k->type == PRLE__CFG_PATH) {
                if (s->len == 0)
                    return fail(why, why_len, "empty path for '%s'", k->name);
                char *raw = dup_len(s->text, s->len);
                v = raw && base_dir ? prle__path_join_norm(base_dir, raw) : raw;
                if (v != raw)
                    free(raw);
            } else {
                if ((k->flags & PRLE__CFG_ONECHAR) &&
                    (s->len != 1 || (unsigned char)s->text[0] >= 0x80))
                    return fail(why, why_len, "'%s' must be one character, got '%s'", k->name,
                                shown(b, sizeof b, s));
                v = dup_len(s->text, s->len);
            }
            if (!v)
                return nomem(why, why_len);
        }
        free(*(char **)p);
        *(char **)p = v;
        return 0;
    }
    case PRLE__CFG_BOOL:
    case PRLE__CFG_TRI: {
        int v = null ? PRLE_CONFIG_UNSET : read_bool(s);
        if (!null && v < 0)
            return fail(why, why_len, "expected true or false for '%s', got '%s'", k->name,
                        shown(b, sizeof b, s));
        if (k->type == PRLE__CFG_BOOL)
            *(bool *)p = v == 1;
        else
            *(int *)p = v;
        return 0;
    }
    case PRLE__CFG_INT: {
        long long v = 0;
        if (!null && !read_ll(s, &v))
            return fail(why, why_len, "expected an integer for '%s', got '%s'", k->name,
                        shown(b, sizeof b, s));
        if (!null && !in_range(k, (double)v))
            return range_fail(k, shown(b, sizeof b, s), why, why_len);
        *(int *)p = (int)v;
        return 0;
    }
    case PRLE__CFG_U64: {
        char buf[32];
        size_t sign = s->plain && s->len > 1 && s->text[0] == '+'; /* "+7", as for int keys */
        bool ok = s->plain && s->len > sign && s->len < sizeof buf;
        for (size_t i = sign; ok && i < s->len; i++)
            ok = s->text[i] >= '0' && s->text[i] <= '9';
        unsigned long long v = 0;
        if (ok) {
            memcpy(buf, s->text + sign, s->len - sign);
            buf[s->len - sign] = '\0';
            errno = 0;
            v = strtoull(buf, NULL, 10);
            ok = errno == 0;
        }
        if (!ok)
            return fail(why, why_len, "expected a non-negative integer for '%s', got '%s'", k->name,
                        shown(b, sizeof b, s));
        *(uint64_t *)p = (uint64_t)v;
        return 0;
    }
    case PRLE__CFG_FLOAT: {
        double v = NAN;
        int err = null ? 0 : read_float_key(k, s, &v, why, why_len);
        if (err < 0)
            return err;
        *(double *)p = v;
        return 0;
    }
    case PRLE__CFG_FIELD: {
        prle_field f = {NULL, -1};
        int err = null ? 0 : read_field(k, s, &f, why, why_len);
        if (err < 0)
            return err;
        prle__cfg_free_key(cfg, k);
        *(prle_field *)p = f;
        return 0;
    }
    default:
        PRLE_ASSERT(!"not a scalar type");
        return PRLE_ERROR;
    }
}

/* n scalars into a list-typed key. */
static int assign_list(prle_config *cfg, const prle__cfg_key *k, const prle__cfg_scalar *items,
                       size_t n, char *why, size_t why_len, size_t *bad_item)
{
    int err = 0;
    char b[80];
    void *p = (char *)cfg + k->offset;
    size_t elem = k->type == PRLE__CFG_FIELDS   ? sizeof(prle_field)
                  : k->type == PRLE__CFG_ENUMS  ? sizeof(char *)
                  : k->type == PRLE__CFG_FLOATS ? sizeof(double)
                                                : sizeof(uint64_t);
    void *arr = n ? calloc(n, elem) : NULL;
    size_t done = 0;
    if (n && !arr)
        return nomem(why, why_len);
    for (; done < n; done++) {
        const prle__cfg_scalar *s = &items[done];
        *bad_item = done;
        if (is_null(s)) {
            err = fail(why, why_len, "null item in list '%s'", k->name);
            break;
        }
        if (k->type == PRLE__CFG_FIELDS) {
            if ((err = read_field(k, s, (prle_field *)arr + done, why, why_len)) < 0)
                break;
        } else if (k->type == PRLE__CFG_ENUMS) {
            const char *canon = enum_match(k, s);
            if (!canon) {
                err = enum_fail(k, s, why, why_len);
                break;
            }
            for (size_t j = 0; j < done && !err; j++)
                if (strcmp(((char **)arr)[j], canon) == 0)
                    err = fail(why, why_len, "'%s' appears twice in '%s'", canon, k->name);
            if (err < 0)
                break;
            if (!(((char **)arr)[done] = dup_len(canon, strlen(canon)))) {
                err = nomem(why, why_len);
                break;
            }
        } else if (k->type == PRLE__CFG_FLOATS) {
            if ((err = read_float_key(k, s, (double *)arr + done, why, why_len)) < 0)
                break;
        } else {
            prle_config tmp = {0};
            const prle__cfg_key one = {.name = k->name,
                                       .type = PRLE__CFG_U64,
                                       .offset = offsetof(prle_config, train.seed)};
            if ((err = assign_scalar(&tmp, &one, s, NULL, why, why_len)) < 0)
                break;
            ((uint64_t *)arr)[done] = tmp.train.seed;
        }
    }
    if (!err && k->count && n != k->count) {
        *bad_item = 0;
        err = fail(why, why_len, "expected %zu items in '%s', got %zu", k->count, k->name, n);
    }
    if (!err && n == 0 && (k->flags & PRLE__CFG_NONEMPTY)) {
        *bad_item = 0;
        err = fail(why, why_len, "'%s' may not be empty", k->name);
    }
    if (!err && (k->flags & PRLE__CFG_SUM1)) {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += ((double *)arr)[i];
        *bad_item = 0;
        if (fabs(sum - 1.0) > 1e-6) {
            snprintf(b, sizeof b, "%.6g", sum);
            err = fail(why, why_len, "items of '%s' must sum to 1, got %s", k->name, b);
        }
    }
    if (err < 0) {
        for (size_t i = 0; i < n; i++) { /* calloc'd: items not reached are NULL */
            if (k->type == PRLE__CFG_FIELDS)
                free(((prle_field *)arr)[i].name);
            else if (k->type == PRLE__CFG_ENUMS)
                free(((char **)arr)[i]);
        }
        free(arr);
        return err;
    }
    prle__cfg_free_key(cfg, k);
    switch (k->type) {
    case PRLE__CFG_FIELDS:
        *(prle_field_list *)p = (prle_field_list){arr, n};
        break;
    case PRLE__CFG_ENUMS:
        *(prle_string_list *)p = (prle_string_list){arr, n};
        break;
    case PRLE__CFG_FLOATS:
        *(prle_double_list *)p = (prle_double_list){arr, n};
        break;
    default:
        *(prle_u64_list *)p = (prle_u64_list){arr, n};
        break;
    }
    return 0;
}

int prle__cfg_assign(prle_config *cfg, const prle__cfg_key *k, const prle__cfg_scalar *items,
                     size_t n, bool is_seq, const char *base_dir, char *why, size_t why_len,
                     size_t *bad_item)
{
    *bad_item = 0;
    for (size_t i = 0; i < n; i++)
        if (memchr(items[i].text, '\0', items[i].len)) {
            *bad_item = i;
            return fail(why, why_len, "NUL character in the value of '%s'", k->name);
        }
    if (!is_list_type(k->type)) {
        if (is_seq)
            return fail(why, why_len, "expected %s for '%s', found a list",
                        k->type == PRLE__CFG_STR || k->type == PRLE__CFG_PATH ||
                                k->type == PRLE__CFG_ENUM || k->type == PRLE__CFG_FIELD
                            ? "a single value"
                            : type_word(k->type),
                        k->name);
        PRLE_ASSERT(n == 1);
        return assign_scalar(cfg, k, items, base_dir, why, why_len);
    }
    /* a scalar where a list belongs: null is the empty list, anything else a list of one */
    if (!is_seq && n == 1 && is_null(&items[0])) {
        if (!(k->flags & PRLE__CFG_NULLABLE))
            return fail(why, why_len, "'%s' may not be null (expected a list)", k->name);
        n = 0;
    }
    return assign_list(cfg, k, items, n, why, why_len, bad_item);
}
