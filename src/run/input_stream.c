/* prle predict --input FILE a chunk at a time: the table's records are read in blocks and
 * parsed a chunk of rows at a time under the file's own line numbers, so memory follows the
 * chunk, not the file. A file in the run's dataset format (no text or sentence1 column) is
 * read whole, as prle_run_input_read does, and handed out in chunks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "io/csv_chunk.h"
#include "io/fileio.h"
#include "run/run_int.h"

#define BLOCK ((size_t)1 << 20) /* bytes read at a time */

struct prle_run_input_stream {
    char *path;
    FILE *f;
    prle_table_params tp;
    bool pairs, eof;
    bool start;      /* buf still starts the file (a byte-order mark may follow) */
    char *buf;       /* unparsed bytes of the file, from a record boundary */
    size_t len, cap; /* ... their count and room */
    size_t line;     /* the file's line number of buf[0] */
    size_t block;    /* bytes per read */
    char *header;    /* CSV/TSV: the header record's text (no BOM), put before every chunk */
    size_t header_len, header_lines;
    size_t rows_out;      /* rows handed out so far */
    prle_run_input whole; /* the dataset-format file, read whole */
    bool is_whole;
    bool lines;            /* plain text: columns by place */
    prle__input_names own; /* the run's column names (borrowed), or none */
};

void prle_run_input_close(prle_run_input_stream *s)
{
    if (!s)
        return;
    if (s->f)
        fclose(s->f);
    free(s->path);
    free(s->buf);
    free(s->header);
    prle_run_input_dispose(&s->whole);
    free(s);
}

/* One more block of the file into buf; sets eof at its end. */
static int fill(prle_run_input_stream *s)
{
    if (s->cap - s->len < s->block + 1) {
        size_t cap = s->len + s->block + 1;
        char *b = realloc(s->buf, cap);
        if (!b)
            return prle__error_nomem("input block");
        s->buf = b, s->cap = cap;
    }
    size_t got = fread(s->buf + s->len, 1, s->block, s->f);
    if (got < s->block) {
        if (ferror(s->f))
            return prle__error_set(PRLE_EIO, "%s: read failed: %s", s->path, strerror(errno));
        s->eof = true;
    }
    s->len += got;
    return 0;
}

/* The end of the next `max` records in buf (reading more blocks as they are needed), and
 * the records and lines before it. */
static int next_records(prle_run_input_stream *s, size_t max, size_t *end, size_t *records,
                        size_t *lines)
{
    for (;;) {
        *end =
            prle__table_scan_records(s->buf, s->len, &s->tp, max, s->eof, s->start, records, lines);
        if (*records == max || s->eof)
            return 0;
        int err = fill(s);
        if (err < 0)
            return err;
    }
}

/* buf[0..end) (after the header, for CSV/TSV) as a table with the file's line numbers; the
 * bytes and lines are consumed. */
static int take_table(prle_table **out, prle_run_input_stream *s, size_t end, size_t lines)
{
    size_t n = s->header_len + end;
    char *chunk = malloc(n + 1);
    if (!chunk)
        return prle__error_nomem("input chunk");
    if (s->header_len)
        memcpy(chunk, s->header, s->header_len);
    memcpy(chunk + s->header_len, s->buf, end);
    chunk[n] = '\0';
    size_t line0 = s->line - s->header_lines;
    bool file_start = s->start;
    memmove(s->buf, s->buf + end, s->len - end);
    s->len -= end;
    s->line += lines;
    s->start = false;
    return prle__table_read_chunk(out, chunk, n, s->path, &s->tp, line0, file_start);
}

/* The header (CSV/TSV) or the first record (JSON Lines): does it name a text column? Keeps
 * the CSV/TSV header's text for every chunk. */
static int read_head(prle_run_input_stream *s, bool *has_text)
{
    size_t end, records, lines;
    int err;
    if ((err = next_records(s, 1, &end, &records, &lines)) < 0)
        return err;
    if (records == 0) /* at the end already: blank, as the table reader words it */
        return prle__error_set(PRLE_EFORMAT, "%s: empty file", s->path);
    size_t bom = prle__table_bom(s->buf, s->len);
    char *copy = malloc(end + 1);
    if (!copy)
        return prle__error_nomem("input header");
    memcpy(copy, s->buf, end);
    prle_table *t = NULL;
    if ((err = prle__table_read_chunk(&t, copy, end, s->path, &s->tp, s->line, true)) < 0)
        return err;
    *has_text = prle__run_input_has_text(t, &s->own);
    prle_table_free(t);
    if (s->tp.format == PRLE_TABLE_JSONL)
        return 0; /* the record stays for the first chunk */
    s->header_len = end - bom;
    if (!(s->header = malloc(s->header_len + 1)))
        return prle__error_nomem("input header");
    memcpy(s->header, s->buf + bom, s->header_len);
    s->header_lines = lines;
    memmove(s->buf, s->buf + end, s->len - end);
    s->len -= end;
    s->line += lines;
    s->start = false;
    return 0;
}

/* Plain text (prle__run_input_params): no header; a byte-order mark is dropped. */
static int lines_head(prle_run_input_stream *s, bool *has_text)
{
    size_t end, records, lines;
    int err;
    if ((err = next_records(s, 1, &end, &records, &lines)) < 0)
        return err;
    if (records == 0)
        return prle__error_set(PRLE_EFORMAT, "%s: empty file", s->path);
    if ((err = prle__table_start_check(s->buf, s->len, s->path)) < 0)
        return err; /* the chunks after it are read as the file's middle */
    size_t bom = prle__table_bom(s->buf, s->len);
    memmove(s->buf, s->buf + bom, s->len - bom);
    s->len -= bom;
    s->start = false;
    *has_text = true;
    return 0;
}

int prle__run_input_open(prle_run_input_stream **out, const char *path, bool pairs,
                         const prle__input_names *own, size_t block, bool *has_text)
{
    *out = NULL;
    *has_text = false;
    prle_run_input_stream *s = calloc(1, sizeof *s);
    if (!s || !(s->path = prle__strdup(path))) {
        free(s);
        return prle__error_nomem("input stream");
    }
    s->tp = prle_table_default_params();
    bool lines = prle__run_input_params(&s->tp, path, pairs);
    s->pairs = pairs;
    s->lines = lines;
    if (own)
        s->own = *own;
    s->line = 1;
    s->start = true;
    s->block = block ? block : BLOCK;
    int err = 0;
    if (!(s->f = fopen(path, "rb")))
        err = prle__error_set(errno == ENOENT ? PRLE_ENOTFOUND : PRLE_EIO, "%s: %s", path,
                              strerror(errno));
    else if ((err = prle__not_folder(s->f, path)) == 0)
        err = lines ? lines_head(s, has_text) : read_head(s, has_text);
    if (err < 0) {
        prle_run_input_close(s);
        return err;
    }
    *out = s;
    return 0;
}

int prle_run_input_open(prle_run_input_stream **out, const prle_run_folder *rf, const char *path)
{
    bool pairs = prle_dataset_n_texts(prle_run_folder_dataset(rf)) > 1, has_text;
    prle__input_names own = prle__input_names_of(prle_run_folder_config(rf));
    /* a *.json file (one JSON array, or JSON Lines) is read whole: an array has no record
     * boundaries at line ends */
    bool json = prle__str_ends_with(path, ".json");
    int err = 0;
    if (json) {
        if (!(*out = calloc(1, sizeof **out)) || !((*out)->path = prle__strdup(path))) {
            free(*out);
            *out = NULL;
            return prle__error_nomem("input stream");
        }
    } else if ((err = prle__run_input_open(out, path, pairs, &own, 0, &has_text)) < 0 || has_text) {
        return err;
    }
    /* no text column: the run's dataset format; or *.json: read whole */
    prle_run_input_stream *s = *out;
    if (s->f)
        fclose(s->f);
    s->f = NULL;
    s->is_whole = true;
    if ((err = prle_run_input_read(&s->whole, rf, path)) < 0) {
        prle_run_input_close(s);
        *out = NULL;
    }
    return err;
}

int prle_run_input_next(prle_run_input *out, prle_run_input_stream *s, size_t max_rows)
{
    prle_run_input_dispose(out);
    if (max_rows == 0)
        return prle__error_set(PRLE_EINVAL, "input: max_rows must be >= 1");
    if (s->is_whole) {
        prle_run_input *w = &s->whole;
        if (w->n == 0)
            return prle__error_set(PRLE_EFORMAT, "%s: no data rows", s->path);
        size_t at = s->rows_out, n = w->n - at < max_rows ? w->n - at : max_rows;
        int err = prle__run_input_alloc(out, n, w->text2 != NULL);
        if (err < 0)
            return err;
        out->has_labels = w->has_labels;
        for (size_t i = 0; i < n; i++, out->n++) { /* moved, not copied */
            out->text[i] = w->text[at + i], w->text[at + i] = NULL;
            if (w->text2)
                out->text2[i] = w->text2[at + i], w->text2[at + i] = NULL;
            out->label[i] = w->label[at + i];
        }
        s->rows_out += n;
        return 0;
    }
    size_t end, records, lines;
    int err = next_records(s, max_rows, &end, &records, &lines);
    if (err < 0)
        return err;
    if (records == 0) { /* the end: what is left is blank */
        s->len = 0;
        if (s->rows_out == 0) /* a header alone, as the dataset loader words it */
            return prle__error_set(PRLE_EFORMAT, "%s: no data rows", s->path);
        return prle__run_input_alloc(out, 0, s->pairs);
    }
    prle_table *t = NULL;
    if ((err = take_table(&t, s, end, lines)) < 0)
        return err;
    err = s->lines ? prle__run_input_from_lines(out, t, s->pairs)
                   : prle__run_input_from_table(out, t, s->pairs, &s->own);
    prle_table_free(t);
    if (err == 0)
        s->rows_out += out->n;
    return err;
}
