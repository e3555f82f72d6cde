/* Text tables: CSV / TSV (RFC 4180 quoting optional) and JSON Lines (parsed in table_json.c)
 * into rows of strings; the entry points, the chunk scanner and the accessors.
 *
 * Memory: CSV/TSV fields are unquoted in place inside the file buffer (unquoting never makes
 * text longer, and each field gives up at least its terminator byte for the NUL), so a table
 * is one text buffer plus a field array (offset, length) and a row array. JSONL values are
 * appended to a fresh arena instead, as a number's text can be longer than its source. */
#include "prle/table.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/csv_chunk.h"
#include "io/fileio.h"
#include "io/table_int.h"

/* ---- params ------------------------------------------------------------------------- */

prle_table_params prle_table_default_params(void)
{
    prle_table_params p = {0};
    p.format = PRLE_TABLE_CSV;
    p.delimiter = 0;
    p.quoting = PRLE_QUOTING_AUTO;
    p.min_fields = 0;
    p.on_bad_row = PRLE_BAD_ROW_ERROR;
    p.header = true;
    p.strict_fields = false;
    return p;
}

static char eff_delim(const prle_table_params *p)
{
    return p->delimiter ? p->delimiter : (p->format == PRLE_TABLE_TSV ? '\t' : ',');
}

static bool eff_quoting(const prle_table_params *p)
{
    return p->quoting == PRLE_QUOTING_ON ||
           (p->quoting == PRLE_QUOTING_AUTO && p->format == PRLE_TABLE_CSV);
}

int prle_table_params_check(const prle_table_params *p)
{
    if (!p)
        return prle__error_set(PRLE_EINVAL, "table params: NULL");
    if ((unsigned)p->format > PRLE_TABLE_JSONL)
        return prle__error_set(PRLE_EINVAL, "table params: format %d is not csv, tsv or jsonl",
                               (int)p->format);
    if ((unsigned)p->quoting > PRLE_QUOTING_OFF)
        return prle__error_set(PRLE_EINVAL, "table params: quoting %d is not auto, on or off",
                               (int)p->quoting);
    if ((unsigned)p->on_bad_row > PRLE_BAD_ROW_SKIP)
        return prle__error_set(PRLE_EINVAL, "table params: on_bad_row %d is not error or skip",
                               (int)p->on_bad_row);
    char d = eff_delim(p);
    if (d == '\n' || d == '\r')
        return prle__error_set(PRLE_EINVAL, "table params: delimiter cannot be a line break");
    if (d == '"' && eff_quoting(p))
        return prle__error_set(PRLE_EINVAL,
                               "table params: delimiter '\"' needs quoting off (it is the quote)");
    return 0;
}

/* ---- growing arrays ----------------------------------------------------------------- */

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 64, bytes;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return false;
        c *= 2;
    }
    if (!prle__mul_ok(&bytes, c, elem))
        return false;
    void *np = realloc(*p, bytes);
    if (!np)
        return false;
    *p = np;
    *cap = c;
    return true;
}

int prle__table_push_field(prle_table *t, size_t off, size_t len)
{
    if (t->n_fields == t->cap_fields &&
        !grow((void **)&t->fields, &t->cap_fields, t->n_fields + 1, sizeof *t->fields))
        return prle__error_nomem("table fields");
    t->fields[t->n_fields++] = (tfield){off, len};
    return 0;
}

int prle__table_push_row(prle_table *t, size_t first, size_t n, size_t line)
{
    if (t->n_rows == t->cap_rows &&
        !grow((void **)&t->rows, &t->cap_rows, t->n_rows + 1, sizeof *t->rows))
        return prle__error_nomem("table rows");
    t->rows[t->n_rows++] = (trow){first, n, line};
    if (n > t->width)
        t->width = n;
    return 0;
}

int prle__table_push_col(prle_table *t, tfield f)
{
    if (t->n_cols == t->cap_cols &&
        !grow((void **)&t->cols, &t->cap_cols, t->n_cols + 1, sizeof *t->cols))
        return prle__error_nomem("table columns");
    t->cols[t->n_cols++] = f;
    return 0;
}

/* Appends `len` bytes and a NUL to the text arena (JSONL); the offset goes to *off. */
int prle__table_arena_add(prle_table *t, const char *s, size_t len, size_t *off)
{
    size_t need;
    if (!prle__add_ok(&need, t->text_len, len) || !prle__add_ok(&need, need, 1) ||
        !grow((void **)&t->text, &t->text_cap, need, 1))
        return prle__error_nomem("table text");
    memcpy(t->text + t->text_len, s, len);
    t->text[t->text_len + len] = '\0';
    *off = t->text_len;
    t->text_len = need;
    return 0;
}

/* ---- bad rows ----------------------------------------------------------------------- */

int prle__table_bad_row(prle_table *t, const prle_table_params *p, size_t line, const char *fmt,
                        ...)
{
    char what[MSG_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (p->on_bad_row != PRLE_BAD_ROW_SKIP)
        return prle__error_set(PRLE_EFORMAT, "%s:%zu: %s", t->name, line, what);
    if (t->n_skipped == 0)
        snprintf(t->skip_reason, sizeof t->skip_reason, "%s:%zu: %s", t->name, line, what);
    size_t k = t->n_skipped_lines;
    if (k < PRLE_TABLE_SKIPPED_KEEP && (k == 0 || line > t->skipped[k - 1]))
        t->skipped[t->n_skipped_lines++] = line;
    t->n_skipped++;
    return 1;
}

size_t prle__table_bom(const char *s, size_t n)
{
    return (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
}

/* ---- CSV / TSV ---------------------------------------------------------------------- */

typedef struct count_rule {
    size_t expect, expect_line; /* strict: fields every row must have, and where that came from */
    bool set;
} count_rule;

/* 0 good, 1 skipped, < 0 error. */
static int check_count(prle_table *t, const prle_table_params *p, count_rule *r, size_t nf,
                       size_t line)
{
    if (p->min_fields && nf < p->min_fields)
        return prle__table_bad_row(t, p, line, "expected at least %zu fields, found %zu",
                                   p->min_fields, nf);
    if (p->strict_fields) {
        if (!r->set) {
            *r = (count_rule){nf, line, true};
        } else if (nf != r->expect) {
            if (t->named)
                return prle__table_bad_row(
                    t, p, line, "expected %zu fields like the header, found %zu", r->expect, nf);
            return prle__table_bad_row(t, p, line, "expected %zu fields like line %zu, found %zu",
                                       r->expect, r->expect_line, nf);
        }
    }
    return 0;
}

/* Unquotes one record starting at s[*ip] into s[*wp...] (in place, *wp <= *ip), pushing its
 * fields. *line advances over every newline consumed. */
static int parse_record(prle_table *t, size_t *ip, size_t *wp, size_t *line, size_t rec_line,
                        char delim, bool quoting)
{
    char *s = t->text;
    size_t n = t->text_len, i = *ip, w = *wp;
    int err;
    for (;;) {
        size_t start = w;
        if (quoting && i < n && s[i] == '"') {
            size_t qline = *line;
            i++;
            for (;;) {
                if (i >= n) {
                    if (qline == rec_line)
                        return prle__error_set(PRLE_EFORMAT,
                                               "%s:%zu: unterminated quote: the quoted field "
                                               "opened on this line never closes",
                                               t->name, qline);
                    return prle__error_set(PRLE_EFORMAT,
                                           "%s:%zu: unterminated quote: the quoted field "
                                           "opened on this line (record from line %zu) never "
                                           "closes",
                                           t->name, qline, rec_line);
                }
                char c = s[i];
                if (c == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        s[w++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (c == '\n')
                    (*line)++;
                s[w++] = c;
                i++;
            }
            /* text after a closing quote is appended, as Python's csv does; but a quoted field
             * over several lines that ends so is a stray quote that swallowed whole rows */
            bool ends = i >= n || s[i] == delim || s[i] == '\n' ||
                        (s[i] == '\r' && (i + 1 >= n || s[i + 1] == '\n'));
            if (*line > qline && !ends)
                return prle__error_set(
                    PRLE_EFORMAT,
                    "%s:%zu: the quoted field opened on line %zu closes here "
                    "with text after its quote: a stray '\"' swallowed the "
                    "lines between (inside a quoted field write \"\" for \"; "
                    "or read it without quoting: data.quoting: false, or a *.tsv "
                    "file for prle predict --input)",
                    t->name, *line, qline);
        }
        size_t tail = w; /* unquoted text (after a closing quote: appended, like Python) */
        if (w == i) {
            while (i < n && s[i] != delim && s[i] != '\n')
                i++;
            w = i;
        } else {
            while (i < n && s[i] != delim && s[i] != '\n')
                s[w++] = s[i++];
        }
        bool eol = i >= n || s[i] == '\n';
        if (eol && w > tail && s[w - 1] == '\r')
            w--; /* CRLF */
        if (i < n) {
            if (s[i] == '\n')
                (*line)++;
            i++; /* past the delimiter or newline, read before the NUL below may cover it */
        }
        s[w] = '\0';
        if ((err = prle__table_push_field(t, start, w - start)) < 0)
            return err;
        w++;
        if (eol)
            break;
    }
    *ip = i;
    *wp = w;
    return 0;
}

/* The end of a line of spaces (and tabs, unless they delimit) from s[i], which is blank as an
 * empty line is: past its newline (*nl 1), or n at the end of the file (*nl 0); 0 when the line
 * holds anything else; SIZE_MAX when the buffer ends first and more may come. */
static size_t space_line_end(const char *s, size_t n, size_t i, char delim, bool at_eof, size_t *nl)
{
    size_t j = i;
    *nl = 0;
    if (delim == ' ')
        return 0; /* spaces delimit: a row of empty fields */
    while (j < n && (s[j] == ' ' || (s[j] == '\t' && delim != '\t')))
        j++;
    if (j == i)
        return 0;
    if (j + 1 < n && s[j] == '\r' && s[j + 1] == '\n')
        return *nl = 1, j + 2;
    if (j < n && s[j] == '\n')
        return *nl = 1, j + 1;
    if (j == n || (j + 1 == n && s[j] == '\r'))
        return at_eof ? n : SIZE_MAX;
    return 0;
}

static int parse_delimited(prle_table *t, const prle_table_params *p)
{
    const char delim = eff_delim(p);
    const bool quoting = eff_quoting(p);
    char *s = t->text;
    size_t n = t->text_len, i = t->mid ? 0 : prle__table_bom(s, n), w = i, line = t->line0;
    bool need_header = p->header, any = false;
    count_rule rule = {0};
    int err;

    while (i < n) {
        if (s[i] == '\n') { /* empty line */
            i++, line++;
            continue;
        }
        if (s[i] == '\r' && (i + 1 == n || s[i + 1] == '\n')) {
            if (i + 1 < n)
                line++;
            i += (i + 1 < n) ? 2 : 1;
            continue;
        }
        size_t nl, end = space_line_end(s, n, i, delim, true, &nl);
        if (end) { /* spaces only: blank too */
            i = end, line += nl;
            continue;
        }
        size_t rec_line = line, first = t->n_fields;
        if ((err = parse_record(t, &i, &w, &line, rec_line, delim, quoting)) < 0)
            return err;
        size_t nf = t->n_fields - first;
        any = true;
        if (need_header) {
            if (p->min_fields && nf < p->min_fields)
                return prle__error_set(PRLE_EFORMAT,
                                       "%s:%zu: the header has %zu fields, at least %zu needed",
                                       t->name, rec_line, nf, p->min_fields);
            for (size_t k = first; k < t->n_fields; k++)
                if ((err = prle__table_push_col(t, t->fields[k])) < 0)
                    return err;
            t->n_fields = first;
            t->named = true;
            need_header = false;
            if (p->strict_fields)
                rule = (count_rule){nf, rec_line, true};
            continue;
        }
        int rc = check_count(t, p, &rule, nf, rec_line);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            t->n_fields = first;
            continue;
        }
        if ((err = prle__table_push_row(t, first, nf, rec_line)) < 0)
            return err;
    }
    if (!any)
        return prle__error_set(PRLE_EFORMAT, "%s: empty file", t->name);
    return 0;
}

/* ---- chunks ------------------------------------------------------------------------- */

/* One CSV/TSV record from s[i] (not a blank line), as parse_record reads it: past its
 * newline, or SIZE_MAX when its end is not in s[0..n) (at_eof: n). Counts newlines. */
static size_t scan_record(const char *s, size_t n, size_t i, char delim, bool quoting, bool at_eof,
                          size_t *lines)
{
    for (;;) {
        if (quoting && i < n && s[i] == '"') {
            for (i++;; i++) {
                if (i >= n)
                    return at_eof ? n : SIZE_MAX;
                if (s[i] == '"') {
                    if (i + 1 >= n && !at_eof)
                        return SIZE_MAX; /* "" or the closing quote: the next byte decides */
                    if (i + 1 < n && s[i + 1] == '"') {
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                if (s[i] == '\n')
                    (*lines)++;
            }
        }
        while (i < n && s[i] != delim && s[i] != '\n')
            i++;
        if (i >= n)
            return at_eof ? n : SIZE_MAX;
        if (s[i] == '\n') {
            (*lines)++;
            return i + 1;
        }
        i++; /* past the delimiter: the next field */
    }
}

size_t prle__table_scan_records(const char *s, size_t n, const prle_table_params *p,
                                size_t max_records, bool at_eof, bool file_start, size_t *records,
                                size_t *lines)
{
    size_t i = file_start ? prle__table_bom(s, n) : 0, nrec = 0, nl = 0;
    bool jsonl = p->format == PRLE_TABLE_JSONL;
    const char delim = eff_delim(p);
    const bool quoting = !jsonl && eff_quoting(p);
    while (i < n && nrec < max_records) {
        if (jsonl) {
            const char *e = memchr(s + i, '\n', n - i);
            if (!e && !at_eof)
                break;
            size_t end = e ? (size_t)(e - s) + 1 : n, a = i;
            while (a < end && prle__table_is_space(s[a]))
                a++;
            nrec += a < end, nl += e != NULL, i = end;
            continue;
        }
        if (s[i] == '\n') { /* blank lines, as parse_delimited passes them */
            i++, nl++;
            continue;
        }
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
            i += 2, nl++;
            continue;
        }
        if (s[i] == '\r' && i + 1 == n) {
            if (!at_eof)
                break;
            i++;
            continue;
        }
        size_t l = 0, end = space_line_end(s, n, i, delim, at_eof, &l);
        if (end == SIZE_MAX)
            break;
        if (end) { /* spaces only: blank, as parse_delimited passes it */
            i = end, nl += l;
            continue;
        }
        end = scan_record(s, n, i, delim, quoting, at_eof, &l);
        if (end == SIZE_MAX)
            break;
        i = end, nl += l, nrec++;
    }
    *records = nrec;
    *lines = nl;
    return i;
}

/* ---- entry points ------------------------------------------------------------------- */

int prle__table_start_check(const char *s, size_t n, const char *name)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
        /* its fields would read as one text of NUL-separated bytes */
        return prle__error_set(PRLE_EFORMAT,
                               "%s: the file is UTF-16 (it starts with the byte-order mark %s); "
                               "save it as UTF-8",
                               name, u[0] == 0xFF ? "FF FE" : "FE FF");
    const char *cr = n > 1 ? memchr(s, '\r', n - 1) : NULL;
    if (cr && !memchr(s, '\n', n))
        return prle__error_set(PRLE_EFORMAT,
                               "%s: its lines end in CR alone (classic Mac OS), which reads as "
                               "one line; save it with LF or CRLF line ends",
                               name);
    return 0;
}

/* Takes ownership of `buf` (len bytes plus one writable byte at buf[len]); its first line is
 * line `line0` of the file `name`, and it starts the file unless `mid`. */
static int table_build(prle_table **out, char *buf, size_t len, const char *name,
                       const prle_table_params *p, size_t line0, bool mid)
{
    int err;
    prle_table *t = calloc(1, sizeof *t);
    size_t nlen = strlen(name) + 1;
    if (!t || !(t->name = malloc(nlen))) {
        free(buf);
        prle_table_free(t);
        return prle__error_nomem("table");
    }
    memcpy(t->name, name, nlen);
    t->line0 = line0;
    t->mid = mid;
    if (!mid && (err = prle__table_start_check(buf, len, name)) < 0) {
        free(buf);
        prle_table_free(t);
        return err;
    }
    if (p->format == PRLE_TABLE_JSONL) {
        err = prle__table_parse_jsonl(t, p, buf, len);
        free(buf);
    } else {
        t->text = buf;
        t->text_len = len;
        t->text_cap = len + 1;
        err = parse_delimited(t, p);
    }
    if (err < 0) {
        prle_table_free(t);
        return err;
    }
    *out = t;
    return 0;
}

int prle_table_read(prle_table **out, const char *path, const prle_table_params *params)
{
    char *buf = NULL;
    size_t len = 0;
    int err = prle_table_params_check(params);
    if (err < 0)
        return err;
    if ((err = prle__read_file(&buf, &len, path, 0)) < 0)
        return err;
    return table_build(out, buf, len, path, params, 1, false);
}

int prle__table_read_chunk(prle_table **out, char *buf, size_t len, const char *name,
                           const prle_table_params *params, size_t line0, bool file_start)
{
    int err = prle_table_params_check(params);
    if (err < 0) {
        free(buf);
        return err;
    }
    return table_build(out, buf, len, name, params, line0 ? line0 : 1, !file_start);
}

int prle_table_read_buffer(prle_table **out, const void *data, size_t len, const char *name,
                           const prle_table_params *params)
{
    int err = prle_table_params_check(params);
    if (err < 0)
        return err;
    if (len == SIZE_MAX)
        return prle__error_nomem("table buffer");
    char *buf = malloc(len + 1);
    if (!buf)
        return prle__error_nomem("table buffer");
    if (len)
        memcpy(buf, data, len);
    buf[len] = '\0';
    return table_build(out, buf, len, name ? name : "<buffer>", params, 1, false);
}

void prle_table_free(prle_table *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->fields);
    free(t->rows);
    free(t->cols);
    free(t->name);
    free(t);
}

/* ---- accessors ---------------------------------------------------------------------- */

const char *prle_table_name(const prle_table *t)
{
    return t->name;
}

size_t prle_table_n_rows(const prle_table *t)
{
    return t->n_rows;
}

size_t prle_table_n_cols(const prle_table *t)
{
    return t->named ? t->n_cols : t->width;
}

size_t prle_table_row_n_fields(const prle_table *t, size_t row)
{
    return row < t->n_rows ? t->rows[row].n : 0;
}

size_t prle_table_row_line(const prle_table *t, size_t row)
{
    return row < t->n_rows ? t->rows[row].line : 0;
}

static const tfield *field_at(const prle_table *t, size_t row, size_t col)
{
    if (row >= t->n_rows || col >= t->rows[row].n)
        return NULL;
    const tfield *f = &t->fields[t->rows[row].first + col];
    return f->off == ABSENT ? NULL : f;
}

const char *prle_table_field(const prle_table *t, size_t row, size_t col)
{
    const tfield *f = field_at(t, row, col);
    return f ? t->text + f->off : NULL;
}

size_t prle_table_field_len(const prle_table *t, size_t row, size_t col)
{
    const tfield *f = field_at(t, row, col);
    return f ? f->len : 0;
}

const char *prle_table_col_name(const prle_table *t, size_t col)
{
    return (t->named && col < t->n_cols) ? t->text + t->cols[col].off : NULL;
}

int prle_table_column(size_t *out, const prle_table *t, const char *spec)
{
    if (!spec)
        return prle__error_set(PRLE_EINVAL, "%s: column name is NULL", t->name);
    if (t->named)
        for (size_t k = 0; k < t->n_cols; k++)
            if (strcmp(t->text + t->cols[k].off, spec) == 0) {
                for (size_t j = k + 1; j < t->n_cols; j++) /* a name given twice: which one? */
                    if (strcmp(t->text + t->cols[j].off, spec) == 0)
                        return prle__error_set(PRLE_EINVAL,
                                               "%s: the header names column \"%s\" twice "
                                               "(columns %zu and %zu); rename one, or give it "
                                               "by number",
                                               t->name, spec, k, j);
                *out = k;
                return 0;
            }
    size_t nd = strspn(spec, "0123456789");
    size_t ncols = prle_table_n_cols(t);
    if (nd > 0 && spec[nd] == '\0') {
        size_t v = 0;
        bool big = nd > 18;
        for (size_t k = 0; k < nd && !big; k++)
            v = v * 10 + (size_t)(spec[k] - '0');
        if (!big && v < ncols) {
            *out = v;
            return 0;
        }
        return prle__error_set(PRLE_ENOTFOUND, "%s: no column %s (the table has %zu columns)",
                               t->name, spec, ncols);
    }
    if (!t->named)
        return prle__error_set(PRLE_ENOTFOUND,
                               "%s: no column \"%s\": the table has no header, give a 0-based "
                               "column number",
                               t->name, spec);
    char list[256];
    return prle__error_set(PRLE_ENOTFOUND, "%s: no column \"%s\" (columns: %s)", t->name, spec,
                           prle_table_columns_desc(t, list, sizeof list));
}

const char *prle_table_columns_desc(const prle_table *t, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (cap < 8) /* no room for a name */
        return buf;
    if (!t->named) {
        snprintf(buf, cap, "%zu, no header", prle_table_n_cols(t));
        return buf;
    }
    for (size_t k = 0; k < t->n_cols && used < cap - 1; k++) {
        int m =
            snprintf(buf + used, cap - used, "%s\"%s\"", k ? ", " : "", t->text + t->cols[k].off);
        if (m < 0)
            break;
        used += (size_t)m;
    }
    if (used >= cap - 1)
        memcpy(buf + cap - 4, "...", 4);
    return buf;
}

size_t prle_table_n_skipped(const prle_table *t)
{
    return t->n_skipped;
}

const size_t *prle_table_skipped_lines(const prle_table *t, size_t *n)
{
    *n = t->n_skipped_lines;
    return t->skipped;
}

const char *prle_table_skip_reason(const prle_table *t)
{
    return t->skip_reason;
}
