/* Importing word vectors into a .pvec file: GloVe and word2vec/fastText text read line by
 * line, the npm package's JSON read by a hand-written streaming scanner (never a tree: the
 * file holds 34 M numbers), both in one pass over a stream from vectors_source.c. */
#include "encode/vectors_internal.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/progress.h"

#define RD_CHUNK ((size_t)1 << 20)
#define RD_MAX_LINE ((size_t)1 << 28) /* 256 MB: no sane line of vectors is longer */
#define MAX_DIM ((size_t)1 << 20)

/* ---- numbers ------------------------------------------------------------------------ */

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Decimal grammar [+-]digits[.digits][(e|E)[+-]digits]. Exact in the common case (Clinger's
 * fast path: a mantissa below 2^53 and a power of ten up to 22 are both exact doubles, so one
 * multiply or divide rounds once, as strtod does); anything else goes to strtod. */
bool prle__parse_double(const char *s, const char *e, double *out)
{
    const char *p = s;
    bool neg = false, any = false, inexact = false;
    uint64_t mant = 0;
    int nd = 0;
    long exp10 = 0;
    if (p < e && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    while (p < e && *p == '0')
        p++, any = true;
    for (; p < e && is_digit(*p); p++, any = true) {
        if (nd < 19)
            mant = mant * 10 + (uint64_t)(*p - '0'), nd++;
        else
            exp10++, inexact |= *p != '0';
    }
    if (p < e && *p == '.') {
        p++;
        for (; p < e && is_digit(*p); p++, any = true) {
            if (nd == 0 && *p == '0')
                exp10--;
            else if (nd < 19)
                mant = mant * 10 + (uint64_t)(*p - '0'), nd++, exp10--;
            else
                inexact |= *p != '0';
        }
    }
    if (!any)
        return false;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        long ev = 0;
        if (p < e && (*p == '-' || *p == '+'))
            eneg = *p++ == '-';
        if (p >= e || !is_digit(*p))
            return false;
        for (; p < e && is_digit(*p); p++)
            if (ev < 100000)
                ev = ev * 10 + (*p - '0');
        exp10 += eneg ? -ev : ev;
    }
    if (p != e)
        return false;
    double v;
    if (mant == 0) {
        v = 0.0;
    } else if (!inexact && mant <= ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
        v = (double)mant;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
    } else {
        char small[128], *buf = small;
        size_t n = (size_t)(e - s);
        if (n >= sizeof small && !(buf = malloc(n + 1)))
            return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        char *end;
        v = strtod(buf, &end);
        bool ok = end == buf + n;
        if (buf != small)
            free(buf);
        if (!ok)
            return false;
        v = fabs(v);
    }
    if (!isfinite(v))
        return false;
    *out = neg ? -v : v;
    return true;
}

/* A double that fits a float, rounded once (as NumPy's astype(float32)). */
static bool to_float(double x, float *out)
{
    if (!(fabs(x) <= FLT_MAX)) /* checked first: the cast of an out-of-range double is UB */
        return false;
    *out = (float)x;
    return true;
}

/* ---- the buffered reader ------------------------------------------------------------ */

static int rd_error(const prle__vreader *r, int code, const char *fmt, ...) PRLE__PRINTF(3, 4);

/* "name:line: what" */
static int rd_error(const prle__vreader *r, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return prle__error_set(code, "%s:%zu: %s", r->name, r->line, msg);
}

static int rd_progress(prle__vreader *r)
{
    double now = prle__now();
    if (!r->params->progress || now - r->last < 0.5)
        return 0;
    r->last = now;
    return prle__progress(r->params->progress, r->params->progress_ud, "vectors:import",
                          (size_t)(r->base + r->pos), (size_t)r->total, r->t0, NULL);
}

/* Moves unread bytes to the front and reads more; grows the buffer when it is full. */
int prle__vreader_fill(prle__vreader *r)
{
    if (r->eof)
        return 0;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->base += r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len == r->cap) {
        if (r->cap >= RD_MAX_LINE)
            return rd_error(r, PRLE_EFORMAT, "line longer than %zu bytes", RD_MAX_LINE);
        char *b = realloc(r->buf, 2 * r->cap + 1);
        if (!b)
            return prle__error_nomem("read buffer");
        r->buf = b;
        r->cap *= 2;
    }
    long n = prle__vsource_read(r->src, r->buf + r->len, r->cap - r->len);
    if (n < 0)
        return (int)n;
    if (n == 0)
        r->eof = true;
    r->len += (size_t)n;
    int err = rd_progress(r);
    return err < 0 ? err : (int)n;
}

/* The next line [*s, *e) without its '\n' (NUL-terminated in place); 0 at the end. */
static int rd_line(prle__vreader *r, char **s, char **e)
{
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl || (r->eof && r->pos < r->len)) {
            char *start = r->buf + r->pos;
            char *end = nl ? nl : r->buf + r->len;
            *end = '\0'; /* the buffer has one spare byte past cap */
            r->pos = (size_t)(end - r->buf) + (nl ? 1 : 0);
            *s = start;
            *e = end;
            return 1;
        }
        if (r->eof)
            return 0;
        int n = prle__vreader_fill(r);
        if (n < 0)
            return n;
    }
}

/* ---- GloVe / word2vec text ---------------------------------------------------------- */

static bool is_sep(char c)
{
    return c == ' ' || c == '\t';
}

static size_t count_fields(const char *s, const char *e)
{
    size_t n = 0;
    while (s < e) {
        while (s < e && is_sep(*s))
            s++;
        if (s == e)
            break;
        n++;
        while (s < e && !is_sep(*s))
            s++;
    }
    return n;
}

static bool parse_uint(const char *s, const char *e, uint64_t *out)
{
    uint64_t v = 0;
    if (s == e)
        return false;
    for (; s < e; s++) {
        if (!is_digit(*s) || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* Parses `word v1 ... vd` from the right: the last d fields are the values, the rest (which
 * may hold spaces, as in GloVe 840B) is the word. */
static int text_row(prle__vreader *r, char *s, char *e, size_t d, float *vals, char **ws, char **we)
{
    char *p = e;
    for (size_t k = 0; k < d; k++) {
        while (p > s && is_sep(p[-1]))
            p--;
        char *fe = p;
        while (p > s && !is_sep(p[-1]))
            p--;
        if (p == fe || p == s) { /* no field left for the word */
            size_t nf = count_fields(s, e);
            return rd_error(r, PRLE_EFORMAT, "expected %zu values after the word, found %zu", d,
                            nf ? nf - 1 : 0);
        }
        double x;
        if (!prle__parse_double(p, fe, &x) || !to_float(x, &vals[d - 1 - k])) {
            size_t nf = count_fields(s, e);
            if (nf < d + 1)
                return rd_error(r, PRLE_EFORMAT, "expected %zu values after the word, found %zu", d,
                                nf - 1);
            return rd_error(r, PRLE_EFORMAT, "value %zu '%.*s' is not a finite float", d - k,
                            (int)(fe - p > 40 ? 40 : fe - p), p);
        }
    }
    while (p > s && is_sep(p[-1]))
        p--;
    /* a word ending in a number field means one value too many, not a word with spaces */
    char *lf = p;
    while (lf > s && !is_sep(lf[-1]))
        lf--;
    double x;
    if (lf > s && prle__parse_double(lf, p, &x))
        return rd_error(r, PRLE_EFORMAT, "expected %zu values after the word, found %zu", d,
                        count_fields(s, e) - 1);
    *ws = s;
    *we = p;
    return 0;
}

static int import_text(prle__vreader *r, prle__vbuild *vb, prle_vectors_import_stats *st)
{
    int err = 0;
    char *s, *e;
    float *vals = NULL;
    size_t d = 0;
    uint64_t header_n = 0;
    bool header = false, first = true;
    size_t rows = 0;

    for (;;) {
        int got = rd_line(r, &s, &e);
        if (got < 0) {
            err = got;
            goto done;
        }
        if (got == 0)
            break;
        r->line++;
        if (r->line == 1 && e - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3;
        while (e > s && (is_sep(e[-1]) || e[-1] == '\r'))
            e--;
        if (s == e)
            continue; /* blank */
        if (memchr(s, '\0', (size_t)(e - s))) {
            err = rd_error(r, PRLE_EFORMAT,
                           "binary data (a NUL byte): only text formats are "
                           "supported");
            goto done;
        }
        if (first) {
            first = false;
            size_t nf = count_fields(s, e);
            char *a = s;
            while (a < e && !is_sep(*a))
                a++;
            char *b = a;
            while (b < e && is_sep(*b))
                b++;
            uint64_t hd;
            if (nf == 2 && parse_uint(s, a, &header_n) && parse_uint(b, e, &hd) &&
                r->params->format != PRLE_VECTORS_GLOVE) {
                header = true;
                d = (size_t)hd;
                if (d == 0 || d > MAX_DIM) {
                    err = rd_error(r, PRLE_EFORMAT, "width %zu out of range", d);
                    goto done;
                }
                st->format = PRLE_VECTORS_WORD2VEC;
            } else {
                if (r->params->format == PRLE_VECTORS_WORD2VEC) {
                    err = rd_error(r, PRLE_EFORMAT, "expected a word2vec header 'V d'");
                    goto done;
                }
                if (nf < 2 || nf - 1 > MAX_DIM) {
                    err = rd_error(r, PRLE_EFORMAT,
                                   "expected a word and its values, found %zu "
                                   "field%s",
                                   nf, nf == 1 ? "" : "s");
                    goto done;
                }
                d = nf - 1;
                st->format = PRLE_VECTORS_GLOVE;
            }
            vb->dim = d;
            if (!(vals = malloc(d * sizeof *vals))) {
                err = prle__error_nomem("row");
                goto done;
            }
            if (header)
                continue;
        }
        char *ws = NULL, *we = NULL;
        if ((err = text_row(r, s, e, d, vals, &ws, &we)) < 0)
            goto done;
        if (ws == we) {
            err = rd_error(r, PRLE_EFORMAT, "empty word");
            goto done;
        }
        rows++;
        if (header && rows > header_n) {
            err = rd_error(r, PRLE_EFORMAT, "more rows than the header's %llu",
                           (unsigned long long)header_n);
            goto done;
        }
        float *row;
        if ((err = prle__vbuild_add(vb, ws, (size_t)(we - ws), &row)) < 0)
            goto done;
        if (row) {
            memcpy(row, vals, d * sizeof *vals);
        } else if (st->n_duplicates++ == 0) {
            st->first_duplicate_line = r->line;
        }
    }
    if (first) {
        err = prle__error_set(PRLE_EFORMAT, "%s: empty file", r->name);
    } else if (header && rows != header_n) {
        err = prle__error_set(PRLE_EFORMAT,
                              "%s:%zu: the header says %llu words, the file has %zu (truncated?)",
                              r->name, r->line, (unsigned long long)header_n, rows);
    }
done:
    free(vals);
    return err;
}

/* ---- counts ------------------------------------------------------------------------- */

static int read_counts(prle__vbuild *w, const char *path)
{
    int err = 0;
    prle__vsource *src = NULL;
    uint64_t total;
    prle_vectors_import_params none = prle_vectors_import_default_params();
    prle__vreader r = {0};
    if (!(w->counts = calloc(w->n ? w->n : 1, sizeof *w->counts)))
        return prle__error_nomem("counts");
    if ((err = prle__vsource_open(&src, path, &total)) < 0)
        return err;
    r = (prle__vreader){
        .src = src, .name = prle__vsource_name(src), .cap = RD_CHUNK, .params = &none};
    if (!(r.buf = malloc(r.cap + 1))) {
        err = prle__error_nomem("read buffer");
        goto done;
    }
    char *s, *e;
    int got;
    while ((got = rd_line(&r, &s, &e)) > 0) {
        r.line++;
        while (e > s && (is_sep(e[-1]) || e[-1] == '\r'))
            e--;
        if (s == e)
            continue;
        char *p = e;
        while (p > s && !is_sep(p[-1]))
            p--;
        char *we = p;
        while (we > s && is_sep(we[-1]))
            we--;
        uint64_t c;
        if (we == s || !parse_uint(p, e, &c)) {
            err = rd_error(&r, PRLE_EFORMAT, "expected 'word count'");
            goto done;
        }
        int64_t i = prle__vbuild_find(w, s, (size_t)(we - s));
        if (i >= 0)
            w->counts[i] = c;
    }
    err = got < 0 ? got : 0;
done:
    free(r.buf);
    prle__vsource_close(src);
    return err;
}

/* The first byte that is not white space, left unread (the parsers count the lines); -1 for
 * a blank source. */
static int first_byte(prle__vreader *r)
{
    size_t i = r->pos;
    for (;;) {
        while (i < r->len &&
               (r->buf[i] == ' ' || r->buf[i] == '\t' || r->buf[i] == '\n' || r->buf[i] == '\r'))
            i++;
        if (i < r->len)
            return (unsigned char)r->buf[i];
        if (r->eof)
            return -1;
        size_t before = r->pos;
        int n = prle__vreader_fill(r);
        if (n < 0)
            return n;
        i -= before - r->pos; /* the fill moved the unread bytes to the front */
    }
}

/* ---- entry points ------------------------------------------------------------------- */

prle_vectors_import_params prle_vectors_import_default_params(void)
{
    prle_vectors_import_params p = {0};
    p.format = PRLE_VECTORS_AUTO;
    return p;
}

int prle__vectors_import_source(prle__vsource *src, uint64_t total, const char *dst,
                                const prle_vectors_import_params *params,
                                prle_vectors_import_stats *stats)
{
    int err = 0;
    prle_vectors_import_stats st = {0};
    prle__vbuild text, words, vecs;
    prle__vbuild *out = &text;
    prle__vbuild_init(&text, 0);
    prle__vbuild_init(&words, 0);
    prle__vbuild_init(&vecs, 0);
    double t0 = prle__now();
    prle__vreader r = {.src = src,
                       .name = prle__vsource_name(src),
                       .cap = RD_CHUNK,
                       .total = total,
                       .params = params,
                       .t0 = t0,
                       .last = t0 - 1.0, /* the first fill reports at once */
                       .line = 1};
    if (!(r.buf = malloc(r.cap + 1))) {
        err = prle__error_nomem("read buffer");
        goto done;
    }
    int c = first_byte(&r);
    if (c < -1) {
        err = c;
        goto done;
    }
    if (c == -1) {
        err = prle__error_set(PRLE_EFORMAT, "%s: empty file", r.name);
        goto done;
    }
    if (params->format == PRLE_VECTORS_NPM_JSON ||
        (params->format == PRLE_VECTORS_AUTO && c == '{')) {
        if ((err = prle__vjson_import(&r, &words, &vecs, &out, &st)) < 0)
            goto done;
    } else {
        r.line = 0; /* import_text counts lines as it reads them */
        if ((err = import_text(&r, &text, &st)) < 0)
            goto done;
    }
    if (params->counts && (err = read_counts(out, params->counts)) < 0)
        goto done;
    err = prle__vbuild_write(out, out == &words ? &vecs : NULL, dst);
    st.n_words = out->n;
    st.dim = out == &words ? vecs.dim : out->dim;
    st.seconds = prle__now() - t0;
done:
    if (err >= 0 && stats)
        *stats = st;
    free(r.buf);
    prle__vbuild_dispose(&text);
    prle__vbuild_dispose(&words);
    prle__vbuild_dispose(&vecs);
    return err;
}

int prle_vectors_import(const char *src, const char *dst, const prle_vectors_import_params *params,
                        prle_vectors_import_stats *stats)
{
    prle_vectors_import_params dflt = prle_vectors_import_default_params();
    if (!params)
        params = &dflt;
    if (params->format < PRLE_VECTORS_AUTO || params->format > PRLE_VECTORS_NPM_JSON)
        return prle__error_set(PRLE_EINVAL, "vectors import: unknown format %d",
                               (int)params->format);
    if (!src || !dst)
        return prle__error_set(PRLE_EINVAL, "vectors import: source and destination are needed");
    struct stat a, b; /* writing over the source would lose it */
    if (stat(src, &a) == 0 && stat(dst, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return prle__error_set(PRLE_EINVAL,
                               "vectors import: %s is the source itself; give another "
                               "destination (.pvec)",
                               dst);
    prle__vsource *s = NULL;
    uint64_t total = 0;
    int err = prle__vsource_open(&s, src, &total);
    if (err < 0)
        return err;
    err = prle__vectors_import_source(s, total, dst, params, stats);
    prle__vsource_close(s);
    return err;
}
