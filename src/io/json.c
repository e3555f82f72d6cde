/* JSON over cJSON: our own printer (exact numbers, clean layout), located parse errors,
 * typed getters. cJSON builds and parses the trees; it never prints our files. */
#include "io/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/fileio.h"

#define JSON_MAX_FILE ((size_t)1 << 30)
#define EXACT_INT_MAX 9007199254740992.0 /* 2^53: every integer up to here is a double */

/* ---- numbers ------------------------------------------------------------------------ */

size_t prle__json_fmt_double(char buf[PRLE__JSON_NUMBUF], double v)
{
    if (!isfinite(v)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    if (v == floor(v) && fabs(v) < EXACT_INT_MAX) /* integers without an exponent; keeps -0 */
        return (size_t)snprintf(buf, PRLE__JSON_NUMBUF, "%.0f", v);
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, PRLE__JSON_NUMBUF, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &v, sizeof v) == 0)
            break;
    }
    return (size_t)n;
}

size_t prle__json_fmt_float(char buf[PRLE__JSON_NUMBUF], float v)
{
    if (!isfinite(v)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    int n = 0;
    for (int prec = 6; prec <= 9; prec++) {
        n = snprintf(buf, PRLE__JSON_NUMBUF, "%.*g", prec, (double)v);
        float back = strtof(buf, NULL);
        if (memcmp(&back, &v, sizeof v) == 0)
            break;
    }
    return (size_t)n;
}

/* ---- building ----------------------------------------------------------------------- */

cJSON *prle__json_number(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

cJSON *prle__json_float(float v)
{
    char buf[PRLE__JSON_NUMBUF];
    if (!isfinite(v))
        return cJSON_CreateNull();
    prle__json_fmt_float(buf, v);
    return cJSON_CreateRaw(buf);
}

cJSON *prle__json_int(int64_t v)
{
    if (v >= -(int64_t)EXACT_INT_MAX && v <= (int64_t)EXACT_INT_MAX)
        return cJSON_CreateNumber((double)v);
    char buf[PRLE__JSON_NUMBUF];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return cJSON_CreateRaw(buf);
}

cJSON *prle__json_double_array(const double *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *it = prle__json_number(v[i]);
        if (!it || !cJSON_AddItemToArray(arr, it)) {
            cJSON_Delete(it);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

cJSON *prle__json_float_array(const float *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *it = prle__json_float(v[i]);
        if (!it || !cJSON_AddItemToArray(arr, it)) {
            cJSON_Delete(it);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

int prle__json_add(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return prle__error_set(PRLE_ENOMEM, "out of memory (json key \"%s\")", key);
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return prle__error_set(PRLE_ENOMEM, "out of memory (json key \"%s\")", key);
    }
    return 0;
}

int prle__json_push(cJSON *arr, cJSON *item, const char *what)
{
    if (!item || !cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return prle__error_nomem(what);
    }
    return 0;
}

int prle__json_push_object(cJSON **out, cJSON *arr, const char *what)
{
    cJSON *o = cJSON_CreateObject();
    int err = prle__json_push(arr, o, what);
    *out = err < 0 ? NULL : o;
    return err;
}

int prle__json_add_number(cJSON *obj, const char *key, double v)
{
    return prle__json_add(obj, key, prle__json_number(v));
}

int prle__json_add_float(cJSON *obj, const char *key, float v)
{
    return prle__json_add(obj, key, prle__json_float(v));
}

int prle__json_add_int(cJSON *obj, const char *key, int64_t v)
{
    return prle__json_add(obj, key, prle__json_int(v));
}

int prle__json_add_string(cJSON *obj, const char *key, const char *s)
{
    return prle__json_add(obj, key, cJSON_CreateString(s ? s : ""));
}

int prle__json_add_bool(cJSON *obj, const char *key, bool v)
{
    return prle__json_add(obj, key, cJSON_CreateBool(v));
}

/* ---- printing ----------------------------------------------------------------------- */

typedef struct jbuf {
    char *p;
    size_t len, cap;
    bool oom;
} jbuf;

static void jb_put(jbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (n >= b->cap - b->len) {
        size_t need, cap = b->cap ? b->cap : 256;
        if (!prle__add_ok(&need, b->len, n + 1)) {
            b->oom = true;
            return;
        }
        while (cap < need && cap <= SIZE_MAX / 2)
            cap *= 2;
        char *np = cap >= need ? realloc(b->p, cap) : NULL;
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void jb_puts(jbuf *b, const char *s)
{
    jb_put(b, s, strlen(s));
}

/* Length of a valid UTF-8 sequence at s (RFC 3629: no overlongs, surrogates or > U+10FFFF),
 * 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0; /* also stops at the terminating NUL */
    return n;
}

static void jb_string(jbuf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    jb_put(b, "\"", 1);
    while (*s) {
        const unsigned char *run = s;
        while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
            s++;
        jb_put(b, (const char *)run, (size_t)(s - run));
        if (!*s)
            break;
        unsigned c = *s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            jb_put(b, esc, 2);
            s++;
        } else if (c < 0x20) {
            const char *named = c == '\n'   ? "\\n"
                                : c == '\t' ? "\\t"
                                : c == '\r' ? "\\r"
                                : c == '\b' ? "\\b"
                                : c == '\f' ? "\\f"
                                            : NULL;
            if (named)
                jb_puts(b, named);
            else {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                jb_puts(b, esc);
            }
            s++;
        } else {
            size_t n = utf8_len(s);
            if (n) {
                jb_put(b, (const char *)s, n);
                s += n;
            } else {
                jb_puts(b, "\xEF\xBF\xBD"); /* U+FFFD for each invalid byte */
                s++;
            }
        }
    }
    jb_put(b, "\"", 1);
}

static void jb_indent(jbuf *b, int depth)
{
    static const char spaces[] = "                                ";
    jb_put(b, "\n", 1);
    for (size_t n = 2 * (size_t)depth; n > 0;) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        jb_put(b, spaces, k);
        n -= k;
    }
}

static bool is_container(const cJSON *it)
{
    int t = it->type & 0xFF;
    return t == cJSON_Array || t == cJSON_Object;
}

static void jb_value(jbuf *b, const cJSON *it, int depth, bool pretty)
{
    char num[PRLE__JSON_NUMBUF];
    switch (it->type & 0xFF) {
    case cJSON_False:
        jb_puts(b, "false");
        break;
    case cJSON_True:
        jb_puts(b, "true");
        break;
    case cJSON_Number:
        jb_put(b, num, prle__json_fmt_double(num, it->valuedouble));
        break;
    case cJSON_String:
        jb_string(b, it->valuestring);
        break;
    case cJSON_Raw:
        jb_puts(b, it->valuestring ? it->valuestring : "null");
        break;
    case cJSON_Array: {
        if (!it->child) {
            jb_puts(b, "[]");
            break;
        }
        bool flat = !pretty;
        if (pretty) {
            flat = true;
            for (const cJSON *c = it->child; c && flat; c = c->next)
                flat = !is_container(c);
        }
        jb_put(b, "[", 1);
        for (const cJSON *c = it->child; c; c = c->next) {
            if (c != it->child)
                jb_puts(b, pretty && flat ? ", " : ",");
            if (!flat)
                jb_indent(b, depth + 1);
            jb_value(b, c, depth + 1, pretty);
        }
        if (!flat)
            jb_indent(b, depth);
        jb_put(b, "]", 1);
        break;
    }
    case cJSON_Object: {
        if (!it->child) {
            jb_puts(b, "{}");
            break;
        }
        jb_put(b, "{", 1);
        for (const cJSON *c = it->child; c; c = c->next) {
            if (c != it->child)
                jb_put(b, ",", 1);
            if (pretty)
                jb_indent(b, depth + 1);
            jb_string(b, c->string);
            jb_puts(b, pretty ? ": " : ":");
            jb_value(b, c, depth + 1, pretty);
        }
        if (pretty)
            jb_indent(b, depth);
        jb_put(b, "}", 1);
        break;
    }
    default:
        jb_puts(b, "null");
        break; /* cJSON_NULL and invalid nodes */
    }
}

int prle__json_print(char **out, size_t *len, const cJSON *root, bool pretty)
{
    jbuf b = {0};
    if (root)
        jb_value(&b, root, 0, pretty);
    else
        jb_puts(&b, "null");
    if (b.oom) {
        free(b.p);
        return prle__error_nomem("json text");
    }
    *out = b.p;
    if (len)
        *len = b.len;
    return 0;
}

int prle__json_write_file(const char *path, const cJSON *root)
{
    int err;
    char *text = NULL;
    size_t len = 0;
    prle__afile f = {0};
    if ((err = prle__json_print(&text, &len, root, true)) < 0) {
        prle__error_prefix(err, "%s", path);
        goto done;
    }
    if ((err = prle__afile_open(&f, path)) < 0)
        goto done;
    fwrite(text, 1, len, f.fp);
    fputc('\n', f.fp);
    err = prle__afile_commit(&f); /* checks ferror and fclose, names the path */
done:
    prle__afile_abort(&f);
    free(text);
    return err;
}

/* ---- parsing ------------------------------------------------------------------------ */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int parse_error(const char *name, const char *text, size_t len, size_t off, const char *what)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n')
            line++, col = 1;
        else
            col++;
    }
    if (off >= len)
        return prle__error_set(PRLE_EFORMAT, "%s:%zu:%zu: invalid JSON: %s", name, line, col,
                               what ? what : "unexpected end of input");
    char near[24];
    size_t k = 0;
    for (size_t i = off; i < len && k < 16 && text[i] != '\n'; i++)
        near[k++] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
    near[k] = '\0';
    return prle__error_set(PRLE_EFORMAT, "%s:%zu:%zu: invalid JSON%s%s at byte %zu near '%s'", name,
                           line, col, what ? ": " : "", what ? what : "", off, near);
}

int prle__json_parse(cJSON **out, const char *text, size_t len, const char *name)
{
    const char *end = NULL;
    if (!name)
        name = "<json>";
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t off = (end && end >= text && end <= text + len) ? (size_t)(end - text) : 0;
        return parse_error(name, text, len, off, NULL);
    }
    size_t off = (end && end >= text && end <= text + len) ? (size_t)(end - text) : len;
    while (off < len && is_ws(text[off]))
        off++;
    if (off < len) {
        cJSON_Delete(root);
        return parse_error(name, text, len, off, "trailing characters after the value");
    }
    *out = root;
    return 0;
}

int prle__json_read_file(cJSON **out, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    int err = prle__read_file(&text, &len, path, JSON_MAX_FILE);
    if (err == 0)
        err = prle__json_parse(out, text, len, path);
    free(text);
    return err;
}

/* ---- getters ------------------------------------------------------------------------ */

const char *prle__json_type_name(const cJSON *item)
{
    if (!item)
        return "nothing";
    switch (item->type & 0xFF) {
    case cJSON_False:
    case cJSON_True:
        return "a boolean";
    case cJSON_NULL:
        return "null";
    case cJSON_Number:
        return "a number";
    case cJSON_String:
        return "a string";
    case cJSON_Array:
        return "an array";
    case cJSON_Object:
        return "an object";
    case cJSON_Raw:
        return "raw text";
    default:
        return "an invalid node";
    }
}

static int lookup(const cJSON **item, const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return prle__error_set(PRLE_EFORMAT, "expected an object holding \"%s\", found %s", key,
                               prle__json_type_name(obj));
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return prle__error_set(PRLE_EFORMAT, "missing key \"%s\"", key);
    *item = it;
    return 0;
}

static int wrong_type(const char *key, const cJSON *it, const char *want)
{
    return prle__error_set(PRLE_EFORMAT, "key \"%s\" is %s, expected %s", key,
                           prle__json_type_name(it), want);
}

/* A numeric raw node (as written by prle__json_float / _int): true with its value. */
static bool raw_number(double *out, const cJSON *it)
{
    if (!cJSON_IsRaw(it) || !it->valuestring || !*it->valuestring)
        return false;
    if (strcmp(it->valuestring, "null") == 0) {
        *out = NAN;
        return true;
    }
    char *end = NULL;
    double v = strtod(it->valuestring, &end);
    if (*end != '\0' || is_ws(it->valuestring[0]))
        return false;
    *out = v;
    return true;
}

int prle__json_item_number(double *out, const cJSON *item, const char *what)
{
    if (cJSON_IsNumber(item))
        *out = item->valuedouble;
    else if (cJSON_IsNull(item))
        *out = NAN;
    else if (!raw_number(out, item))
        return prle__error_set(PRLE_EFORMAT, "%s is %s, expected a number", what,
                               prle__json_type_name(item));
    return 0;
}

int prle__json_get_number(double *out, const cJSON *obj, const char *key)
{
    const cJSON *it = NULL;
    int err = lookup(&it, obj, key);
    if (err < 0)
        return err;
    if (cJSON_IsNumber(it))
        *out = it->valuedouble;
    else if (cJSON_IsNull(it))
        *out = NAN;
    else if (!raw_number(out, it))
        return wrong_type(key, it, "a number");
    return 0;
}

int prle__json_get_int(int64_t *out, const cJSON *obj, const char *key)
{
    const cJSON *it = NULL;
    int err = lookup(&it, obj, key);
    if (err < 0)
        return err;
    if (cJSON_IsRaw(it) && it->valuestring && *it->valuestring) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(it->valuestring, &end, 10);
        if (*end == '\0' && errno == 0 && !is_ws(it->valuestring[0])) {
            *out = (int64_t)v;
            return 0;
        }
    }
    double v;
    if (cJSON_IsNumber(it))
        v = it->valuedouble;
    else if (!raw_number(&v, it) || isnan(v))
        return wrong_type(key, it, "an integer");
    if (!(v == floor(v) && fabs(v) <= EXACT_INT_MAX)) {
        char num[PRLE__JSON_NUMBUF];
        prle__json_fmt_double(num, v);
        return prle__error_set(PRLE_EFORMAT, "key \"%s\" is %s, expected an integer", key, num);
    }
    *out = (int64_t)v;
    return 0;
}

int prle__json_get_size(size_t *out, const cJSON *obj, const char *key)
{
    int64_t v = 0;
    int err = prle__json_get_int(&v, obj, key);
    if (err < 0)
        return err;
    if (v < 0 || (uint64_t)v > (uint64_t)SIZE_MAX)
        return prle__error_set(PRLE_EFORMAT, "key \"%s\" is %lld, expected a non-negative integer",
                               key, (long long)v);
    *out = (size_t)v;
    return 0;
}

int prle__json_get_bool(bool *out, const cJSON *obj, const char *key)
{
    const cJSON *it = NULL;
    int err = lookup(&it, obj, key);
    if (err < 0)
        return err;
    if (!cJSON_IsBool(it))
        return wrong_type(key, it, "a boolean");
    *out = cJSON_IsTrue(it);
    return 0;
}

int prle__json_get_string(const char **out, const cJSON *obj, const char *key)
{
    const cJSON *it = NULL;
    int err = lookup(&it, obj, key);
    if (err < 0)
        return err;
    if (!cJSON_IsString(it) || !it->valuestring)
        return wrong_type(key, it, "a string");
    *out = it->valuestring;
    return 0;
}

int prle__json_get_object(const cJSON **out, const cJSON *obj, const char *key)
{
    const cJSON *it = NULL;
    int err = lookup(&it, obj, key);
    if (err < 0)
        return err;
    if (!cJSON_IsObject(it))
        return wrong_type(key, it, "an object");
    *out = it;
    return 0;
}

int prle__json_get_array(const cJSON **out, size_t *n, const cJSON *obj, const char *key)
{
    const cJSON *it = NULL;
    int err = lookup(&it, obj, key);
    if (err < 0)
        return err;
    if (!cJSON_IsArray(it))
        return wrong_type(key, it, "an array");
    size_t count = 0;
    for (const cJSON *c = it->child; c; c = c->next)
        count++;
    *out = it;
    *n = count;
    return 0;
}

bool prle__json_has(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) && cJSON_GetObjectItemCaseSensitive(obj, key) != NULL;
}
