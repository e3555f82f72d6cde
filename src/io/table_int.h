/* The table's layout and the helpers its two parsers share: CSV / TSV (csv.c) and JSON Lines
 * or a JSON array (table_json.c). Internal to src/io. */
#ifndef PRLE_IO_TABLE_INT_H
#define PRLE_IO_TABLE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "prle/table.h"

#define ABSENT SIZE_MAX /* tfield.off of a field a row does not have (JSONL) */
#define MSG_MAX 512

typedef struct tfield {
    size_t off, len; /* into prle_table.text */
} tfield;

typedef struct trow {
    size_t first, n, line; /* fields[first .. first + n), 1-based start line */
} trow;

struct prle_table {
    char *text; /* NUL-terminated field texts */
    size_t text_len, text_cap;
    tfield *fields;
    size_t n_fields, cap_fields;
    trow *rows;
    size_t n_rows, cap_rows;
    tfield *cols; /* column names (header or JSON keys) */
    size_t n_cols, cap_cols;
    bool named;
    size_t width; /* most fields in a row */
    char *name;
    size_t n_skipped;
    size_t skipped[PRLE_TABLE_SKIPPED_KEEP];
    size_t n_skipped_lines; /* of skipped: distinct lines (a JSON array's line may hold two) */
    char skip_reason[MSG_MAX];
    size_t line0; /* the line number of the text's first line (a chunk of a longer file) */
    bool mid;     /* the text starts inside the file: no byte-order mark to skip */
};

/** Appends a field (offset, length into t->text) to the row being built. 0 or PRLE_ENOMEM. */
int prle__table_push_field(prle_table *t, size_t off, size_t len);

/** Closes a row of fields [first, first + n) that starts on `line`. 0 or PRLE_ENOMEM. */
int prle__table_push_row(prle_table *t, size_t first, size_t n, size_t line);

/** Appends a column name. 0 or PRLE_ENOMEM. */
int prle__table_push_col(prle_table *t, tfield f);

/** Appends `len` bytes and a NUL to the text arena (JSONL); the offset goes to *off. */
int prle__table_arena_add(prle_table *t, const char *s, size_t len, size_t *off);

/** A bad row at `line`: an error (returned, < 0) or, when skipping, counted (returns 1); each
 *  line is listed once in t->skipped. */
int prle__table_bad_row(prle_table *t, const prle_table_params *p, size_t line, const char *fmt,
                        ...) PRLE__PRINTF(4, 5);

static inline bool prle__table_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/** JSON Lines, or with p->json_array a file that starts with '[', from buf (len bytes,
 *  buf[len] writable) into t; values go to the arena. */
int prle__table_parse_jsonl(prle_table *t, const prle_table_params *p, char *buf, size_t len);

#endif
