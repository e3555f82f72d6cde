/* The npm package's JSON ({"dimensions", "words": [...], "vectors": {word: [...]}}), read by
 * a hand-written streaming scanner: the file holds 34 M numbers on one 300 MB line, so it is
 * never a tree; only the words and the rows are kept. */
#include "encode/vectors_internal.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define MAX_DIM ((size_t)1 << 20)

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- the npm package's JSON --------------------------------------------------------- */

/* A position for messages: line and byte column, 1-based. */
typedef struct js_mark {
    size_t line;
    uint64_t col;
} js_mark;

static js_mark js_here(const prle__vreader *r)
{
    return (js_mark){r->line, r->base + r->pos - r->line_start + 1};
}

static int js_error_v(const prle__vreader *r, js_mark at, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return prle__error_set(PRLE_EFORMAT, "%s:%zu:%llu: %s", r->name, at.line,
                           (unsigned long long)at.col, msg);
}

/* "name:line:col: what" at the current position, or at `at`. */
static int js_error(const prle__vreader *r, const char *fmt, ...) PRLE__PRINTF(2, 3);
static int js_error_at(const prle__vreader *r, js_mark at, const char *fmt, ...) PRLE__PRINTF(3, 4);

static int js_error(const prle__vreader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = js_error_v(r, js_here(r), fmt, ap);
    va_end(ap);
    return err;
}

static int js_error_at(const prle__vreader *r, js_mark at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = js_error_v(r, at, fmt, ap);
    va_end(ap);
    return err;
}

/* Next byte without consuming it; -1 at the end, < -1 an error code. */
static inline int js_peek(prle__vreader *r)
{
    if (r->pos == r->len) {
        int n = prle__vreader_fill(r);
        if (n < 0)
            return n;
        if (r->pos == r->len)
            return -1;
    }
    return (unsigned char)r->buf[r->pos];
}

static inline void js_take(prle__vreader *r)
{
    if (r->buf[r->pos] == '\n') {
        r->line++;
        r->line_start = r->base + r->pos + 1;
    }
    r->pos++;
}

/* Skips white space; returns the next byte (not consumed) as js_peek. */
static int js_ws(prle__vreader *r)
{
    for (;;) {
        int c = js_peek(r);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return c;
        js_take(r);
    }
}

static int js_expect(prle__vreader *r, char want, const char *what)
{
    int c = js_ws(r);
    if (c < -1)
        return c;
    if (c != want)
        return c == -1 ? js_error(r, "unexpected end of file, expected %s", what)
                       : js_error(r, "expected %s, found '%c'", what, c);
    js_take(r);
    return 0;
}

typedef struct strbuf {
    char *s;
    size_t n, cap;
} strbuf;

static int sb_put(strbuf *b, const char *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 64;
        while (c < b->n + n + 1)
            c *= 2;
        char *q = realloc(b->s, c);
        if (!q)
            return prle__error_nomem("string");
        b->s = q;
        b->cap = c;
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int js_hex4(prle__vreader *r, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = js_peek(r), h;
        if (c < -1)
            return c;
        if ((h = hexval(c)) < 0)
            return js_error(r, "bad \\u escape");
        js_take(r);
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return 0;
}

static int put_utf8(strbuf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    return sb_put(b, u, n);
}

/* A JSON string (the opening quote next) into `b`, escapes decoded. */
static int js_string(prle__vreader *r, strbuf *b)
{
    int err;
    if ((err = js_expect(r, '"', "a string")) < 0)
        return err;
    b->n = 0;
    for (;;) {
        /* copy a run of plain bytes at once */
        size_t i = r->pos;
        while (i < r->len && r->buf[i] != '"' && r->buf[i] != '\\' &&
               (unsigned char)r->buf[i] >= 0x20)
            i++;
        if (i > r->pos && (err = sb_put(b, r->buf + r->pos, i - r->pos)) < 0)
            return err;
        r->pos = i;
        int c = js_peek(r);
        if (c < -1)
            return c;
        if (c == -1)
            return js_error(r, "unexpected end of file inside a string");
        if (c >= 0x20 && c != '"' && c != '\\')
            continue; /* the buffer was refilled: go on copying */
        if (c < 0x20)
            return js_error(r, "control character in a string");
        js_take(r);
        if (c == '"')
            return 0;
        int x = js_peek(r);
        if (x < -1)
            return x;
        if (x == -1)
            return js_error(r, "unexpected end of file inside a string");
        js_take(r);
        char one;
        switch (x) {
        case '"':
            one = '"';
            break;
        case '\\':
            one = '\\';
            break;
        case '/':
            one = '/';
            break;
        case 'b':
            one = '\b';
            break;
        case 'f':
            one = '\f';
            break;
        case 'n':
            one = '\n';
            break;
        case 'r':
            one = '\r';
            break;
        case 't':
            one = '\t';
            break;
        case 'u': {
            unsigned cp, lo;
            if ((err = js_hex4(r, &cp)) < 0)
                return err;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (js_peek(r) != '\\')
                    return js_error(r, "unpaired surrogate in \\u escape");
                js_take(r);
                if (js_peek(r) != 'u')
                    return js_error(r, "unpaired surrogate in \\u escape");
                js_take(r);
                if ((err = js_hex4(r, &lo)) < 0)
                    return err;
                if (lo < 0xDC00 || lo >= 0xE000)
                    return js_error(r, "unpaired surrogate in \\u escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                return js_error(r, "unpaired surrogate in \\u escape");
            }
            if ((err = put_utf8(b, cp)) < 0)
                return err;
            continue;
        }
        default:
            return js_error(r, "bad escape '\\%c'", x);
        }
        if ((err = sb_put(b, &one, 1)) < 0)
            return err;
    }
}

static bool num_char(int c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* A JSON number as a double. */
static int js_number(prle__vreader *r, double *out)
{
    char tok[128];
    size_t n = 0;
    int c = js_ws(r);
    if (c < -1)
        return c;
    js_mark at = js_here(r);
    while ((c = js_peek(r)) >= 0 && num_char(c)) {
        if (n + 1 >= sizeof tok)
            return js_error(r, "number too long");
        tok[n++] = (char)c;
        js_take(r);
    }
    if (c < -1)
        return c;
    if (n == 0) {
        if (c == -1)
            return js_error(r, "unexpected end of file, expected a number");
        return js_error(r, "expected a number, found '%c'", c);
    }
    if (!prle__parse_double(tok, tok + n, out))
        return js_error_at(r, at, "'%.*s' is not a finite number", (int)n, tok);
    return 0;
}

/* Skips any JSON value (for keys we do not use). */
static int js_skip(prle__vreader *r, strbuf *tmp, int depth)
{
    int c = js_ws(r), err;
    if (c < -1)
        return c;
    if (depth > 64)
        return js_error(r, "nested too deeply");
    if (c == '"')
        return js_string(r, tmp);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        js_take(r);
        if (js_ws(r) == close) {
            js_take(r);
            return 0;
        }
        for (;;) {
            if (c == '{' && ((err = js_string(r, tmp)) < 0 || (err = js_expect(r, ':', "':'")) < 0))
                return err;
            if ((err = js_skip(r, tmp, depth + 1)) < 0)
                return err;
            int d = js_ws(r);
            if (d == ',') {
                js_take(r);
                continue;
            }
            return js_expect(r, close, close == '}' ? "',' or '}'" : "',' or ']'");
        }
    }
    if (c == '-' || is_digit((char)c)) {
        double x;
        return js_number(r, &x);
    }
    static const char *const lits[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++)
        if (c == lits[k][0]) {
            for (const char *q = lits[k]; *q; q++) {
                if (js_peek(r) != *q)
                    return js_error(r, "bad literal");
                js_take(r);
            }
            return 0;
        }
    return c == -1 ? js_error(r, "unexpected end of file, expected a value")
                   : js_error(r, "unexpected '%c'", c);
}

/* Is the next value of an array (after '[' or ',') there, or does ']' end it? */
static int js_more(prle__vreader *r, bool first, char close, const char *what)
{
    int c = js_ws(r);
    if (c < -1)
        return c;
    if (c == close) {
        js_take(r);
        return 0;
    }
    if (!first) {
        if (c != ',')
            return c == -1 ? js_error(r, "unexpected end of file in %s", what)
                           : js_error(r, "expected ',' or '%c' in %s, found '%c'", close, what, c);
        js_take(r);
    }
    return 1;
}

typedef struct json_state {
    prle__vbuild *words; /* the "words" array */
    prle__vbuild *vecs;  /* the "vectors" object, in its order */
    bool have_words, have_vectors;
    double dimensions, size; /* -1 when absent */
    size_t first_len;        /* values per vector (all must agree) */
    float *tmp;
    size_t tmp_cap;
} json_state;

static int js_words(prle__vreader *r, json_state *j, strbuf *sb, prle_vectors_import_stats *st)
{
    int err, more;
    if ((err = js_expect(r, '[', "'[' starting \"words\"")) < 0)
        return err;
    j->have_words = true;
    for (bool first = true; (more = js_more(r, first, ']', "\"words\"")) > 0; first = false) {
        if ((err = js_string(r, sb)) < 0)
            return err;
        if (sb->n == 0 || memchr(sb->s, '\0', sb->n))
            return js_error(r, "empty word or word with a NUL byte in \"words\"");
        float *row;
        if ((err = prle__vbuild_add(j->words, sb->s, sb->n, &row)) < 0)
            return err;
        if (err == 0 && st->n_duplicates++ == 0)
            st->first_duplicate_line = r->line;
    }
    return more;
}

/* The vector of `key` (whose string started at `at`, where its errors point). */
static int js_vector(prle__vreader *r, json_state *j, const strbuf *key, js_mark at,
                     prle_vectors_import_stats *st)
{
    int err, more;
    size_t n = 0;
    if ((err = js_expect(r, '[', "'[' starting a vector")) < 0)
        return err;
    for (bool first = true; (more = js_more(r, first, ']', "a vector")) > 0; first = false) {
        double x;
        if ((err = js_number(r, &x)) < 0)
            return err;
        if (n == j->tmp_cap) {
            size_t c = j->tmp_cap ? 2 * j->tmp_cap : 128;
            float *t = realloc(j->tmp, c * sizeof *t);
            if (!t)
                return prle__error_nomem("vector");
            j->tmp = t, j->tmp_cap = c;
        }
        if (n >= MAX_DIM + 2)
            return js_error_at(r, at, "vector of \"%.40s\" is too long", key->s);
        /* out of float range: infinity (an error for kept values; the extra entries, a norm
         * and an index, are dropped anyway) */
        j->tmp[n++] = fabs(x) <= FLT_MAX ? (float)x : (float)INFINITY;
    }
    if (more < 0)
        return more;
    size_t d = j->dimensions > 0 ? (size_t)j->dimensions : 0;
    if (!j->have_vectors) {
        j->have_vectors = true;
        j->first_len = n;
        if (n == 0)
            return js_error_at(r, at, "vector of \"%.40s\" is empty", key->s);
        j->vecs->dim = d ? d : n; /* "dimensions" unknown yet: keep all, narrow later */
    } else if (n != j->first_len) {
        return js_error_at(r, at, "vector of \"%.40s\" has %zu values, the first had %zu", key->s,
                           n, j->first_len);
    }
    if (n < j->vecs->dim)
        return js_error_at(r, at,
                           "vector of \"%.40s\" has %zu values, fewer than \"dimensions\" %zu",
                           key->s, n, j->vecs->dim);
    for (size_t k = 0; k < j->vecs->dim; k++)
        if (!isfinite(j->tmp[k]))
            return js_error_at(r, at, "value %zu of \"%.40s\" is out of float range", k + 1,
                               key->s);
    float *row;
    if ((err = prle__vbuild_add(j->vecs, key->s, key->n, &row)) < 0)
        return err;
    if (row)
        memcpy(row, j->tmp, j->vecs->dim * sizeof *row);
    else if (st->n_duplicates++ == 0)
        st->first_duplicate_line = r->line;
    return 0;
}

static int js_vectors(prle__vreader *r, json_state *j, strbuf *sb, prle_vectors_import_stats *st)
{
    int err, more;
    if (j->have_vectors)
        return js_error(r, "second \"vectors\" object");
    if ((err = js_expect(r, '{', "'{' starting \"vectors\"")) < 0)
        return err;
    for (bool first = true; (more = js_more(r, first, '}', "\"vectors\"")) > 0; first = false) {
        int c = js_ws(r);
        if (c < -1)
            return c;
        js_mark at = js_here(r);
        if ((err = js_string(r, sb)) < 0 || (err = js_expect(r, ':', "':'")) < 0)
            return err;
        if (sb->n == 0 || memchr(sb->s, '\0', sb->n))
            return js_error_at(r, at, "empty word or word with a NUL byte in \"vectors\"");
        if ((err = js_vector(r, j, sb, at, st)) < 0)
            return err;
    }
    if (more == 0 && !j->have_vectors)
        j->have_vectors = true; /* an empty object: caught below as "no vectors" */
    return more;
}

/* Orders the rows as "words" and writes the file. */
static int json_finish(prle__vreader *r, json_state *j, prle_vectors_import_stats *st,
                       prle__vbuild **wout)
{
    if (!j->have_vectors || j->vecs->n == 0)
        return prle__error_set(PRLE_EFORMAT, "%s: no \"vectors\" in the JSON", r->name);
    size_t d = j->dimensions > 0 ? (size_t)j->dimensions : j->first_len;
    if (d > j->first_len)
        return prle__error_set(PRLE_EFORMAT,
                               "%s: \"dimensions\" is %zu but vectors have %zu values", r->name, d,
                               j->first_len);
    prle__vbuild_narrow(j->vecs, d);
    *wout = j->vecs;
    if (j->have_words) {
        for (size_t i = 0; i < j->words->n; i++) {
            size_t wl = j->words->offs[i + 1] - j->words->offs[i] - 1;
            const char *w = j->words->blob + j->words->offs[i];
            if (prle__vbuild_find(j->vecs, w, wl) < 0)
                return prle__error_set(PRLE_EFORMAT,
                                       "%s: word %zu \"%.40s\" of \"words\" has no "
                                       "vector",
                                       r->name, i + 1, w);
        }
        if (j->words->n != j->vecs->n) {
            for (size_t i = 0; i < j->vecs->n; i++) {
                size_t wl = j->vecs->offs[i + 1] - j->vecs->offs[i] - 1;
                const char *w = j->vecs->blob + j->vecs->offs[i];
                if (prle__vbuild_find(j->words, w, wl) < 0)
                    return prle__error_set(PRLE_EFORMAT,
                                           "%s: the vector of \"%.40s\" is not in \"words\"",
                                           r->name, w);
            }
        }
        *wout = j->words;
    }
    if (j->size >= 0 && (size_t)j->size != (*wout)->n)
        return prle__error_set(PRLE_EFORMAT, "%s: \"size\" is %.0f but there are %zu words",
                               r->name, j->size, (*wout)->n);
    st->format = PRLE_VECTORS_NPM_JSON;
    return 0;
}

static int import_json(prle__vreader *r, json_state *j, prle_vectors_import_stats *st)
{
    int err = 0, more;
    strbuf key = {0}, sb = {0};
    if ((err = js_expect(r, '{', "'{'")) < 0)
        goto done;
    for (bool first = true; (more = js_more(r, first, '}', "the top-level object")) > 0;
         first = false) {
        if ((err = js_string(r, &key)) < 0 || (err = js_expect(r, ':', "':'")) < 0)
            goto done;
        double *num = strcmp(key.s, "dimensions") == 0 ? &j->dimensions
                      : strcmp(key.s, "size") == 0     ? &j->size
                                                       : NULL;
        if (num) {
            if ((err = js_number(r, num)) < 0)
                goto done;
            if (*num < 1 || *num != floor(*num) || (num == &j->dimensions && *num > MAX_DIM)) {
                err = js_error(r, "\"%s\" must be a positive integer", key.s);
                goto done;
            }
            if (num == &j->dimensions && j->have_vectors && *num > j->first_len) {
                err = js_error(r, "\"dimensions\" %.0f exceeds the %zu values of each vector", *num,
                               j->first_len);
                goto done;
            }
        } else if (strcmp(key.s, "words") == 0) {
            err = js_words(r, j, &sb, st);
        } else if (strcmp(key.s, "vectors") == 0) {
            err = js_vectors(r, j, &sb, st);
        } else {
            err = js_skip(r, &sb, 0);
        }
        if (err < 0)
            goto done;
    }
    if ((err = more) < 0)
        goto done;
    int c = js_ws(r);
    if (c < -1)
        err = c;
    else if (c != -1)
        err = js_error(r, "trailing data after the JSON object");
done:
    free(key.s);
    free(sb.s);
    return err;
}

int prle__vjson_import(prle__vreader *r, prle__vbuild *words, prle__vbuild *vecs,
                       prle__vbuild **out, prle_vectors_import_stats *st)
{
    int err;
    json_state j = {.words = words, .vecs = vecs, .dimensions = -1, .size = -1};
    if ((err = import_json(r, &j, st)) >= 0)
        err = json_finish(r, &j, st, out);
    free(j.tmp);
    return err;
}
