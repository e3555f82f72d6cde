/* PRLE: text tables (CSV, TSV, JSON Lines) read into rows of string fields. */
#ifndef PRLE_TABLE_H
#define PRLE_TABLE_H

#include "prle/common.h"

PRLE_BEGIN_DECL

/** File format of a table. */
typedef enum prle_table_format {
    PRLE_TABLE_CSV = 0,  /**< delimiter ',' unless set; quoting on unless set */
    PRLE_TABLE_TSV = 1,  /**< delimiter '\t' unless set; quoting off unless set */
    PRLE_TABLE_JSONL = 2 /**< one JSON object per line; columns are its keys */
} prle_table_format;

/** Whether `"` starts a quoted field (RFC 4180, `""` for a literal quote). */
typedef enum prle_table_quoting {
    PRLE_QUOTING_AUTO = 0, /**< on for CSV, off for TSV */
    PRLE_QUOTING_ON = 1,
    PRLE_QUOTING_OFF = 2 /**< `"` is an ordinary character (STS-B, MLQE-PE) */
} prle_table_quoting;

/** What to do with a row that breaks the field-count rules or is not valid JSON. */
typedef enum prle_table_bad_row {
    PRLE_BAD_ROW_ERROR = 0, /**< fail with PRLE_EFORMAT naming file and line */
    PRLE_BAD_ROW_SKIP = 1   /**< drop the row, count it, keep the first line numbers */
} prle_table_bad_row;

/** How many line numbers of skipped rows a table keeps. */
#define PRLE_TABLE_SKIPPED_KEEP 8

/** Options of prle_table_read; start from prle_table_default_params(). */
typedef struct prle_table_params {
    prle_table_format format;   /**< default PRLE_TABLE_CSV */
    char delimiter;             /**< 0 = from the format (',' or '\t'); default 0 */
    prle_table_quoting quoting; /**< default PRLE_QUOTING_AUTO */
    size_t min_fields; /**< CSV/TSV rows with fewer fields are bad; 0 = no minimum (default) */
    prle_table_bad_row on_bad_row; /**< default PRLE_BAD_ROW_ERROR */
    bool header; /**< CSV/TSV: the first record names the columns (JSONL: keys do); default true */
    bool strict_fields; /**< CSV/TSV: every row has as many fields as the header (or, without
                             one, the first row); default false */
    bool json_array;    /**< JSONL: a file that starts with `[` is one JSON array of objects,
                             each row on the line its object starts on (several may share one);
                             default false (whole-file reads only, not chunks) */
} prle_table_params;

/** A table read into memory: rows of NUL-terminated string fields. Opaque. */
typedef struct prle_table prle_table;

/** The defaults: CSV, header on, quoting auto, no field-count rule, bad rows are errors. */
PRLE_API prle_table_params prle_table_default_params(void);

/** PRLE_EINVAL naming the field for a bad format, quoting, on_bad_row or delimiter. */
PRLE_API int prle_table_params_check(const prle_table_params *params);

/**
 * Reads a whole table file. CSV/TSV: LF or CRLF line endings, a UTF-8 BOM is skipped, the
 * last line may lack its newline, empty lines are ignored. With quoting, a field that starts
 * with `"` runs to the next lone `"` and may hold delimiters and newlines (kept as they are);
 * `""` inside it is one `"`; text after the closing quote is appended (like Python's csv). A
 * `\r` just before a line's `\n` outside quotes is dropped; any other `\r` is data.
 * JSONL: each non-blank line is one JSON object (with params->json_array, a file starting with
 * `[` is one array of them); strings become their text, numbers the
 * shortest text that reads back to the same double, booleans "true"/"false", nested values
 * compact JSON, null an absent field. Columns are the keys in order of first appearance.
 *
 * Errors (`path:line: what`): PRLE_EFORMAT for an unterminated quote (the line it opened
 * on), a wrong field count under `min_fields` or `strict_fields`, invalid JSON or a non-object
 * on a JSONL line (the last three become skips with PRLE_BAD_ROW_SKIP), or a file with no
 * records at all ("empty file"); PRLE_ENOTFOUND / PRLE_EIO when the file cannot be read;
 * PRLE_EINVAL for bad params; PRLE_ENOMEM. On success `*out` belongs to the caller
 * (prle_table_free); on failure it is left untouched.
 */
PRLE_API int prle_table_read(prle_table **out, const char *path, const prle_table_params *params);

/**
 * As prle_table_read on `len` bytes in memory (copied; `data` is only borrowed). `name`
 * stands for the path in messages and prle_table_name (NULL: "<buffer>").
 */
PRLE_API int prle_table_read_buffer(prle_table **out, const void *data, size_t len,
                                    const char *name, const prle_table_params *params);

/** Frees the table and every string it handed out; NULL is a no-op. */
PRLE_API void prle_table_free(prle_table *table);

/** The path (or buffer name) the table was read from; borrowed. */
PRLE_API const char *prle_table_name(const prle_table *table);

/** Number of data rows (the header and skipped rows not included). */
PRLE_API size_t prle_table_n_rows(const prle_table *table);

/**
 * Number of columns: the header's fields, else the most fields of any row (CSV/TSV), or the
 * distinct keys seen (JSONL).
 */
PRLE_API size_t prle_table_n_cols(const prle_table *table);

/** Number of fields row `row` has (JSONL: up to its last key's column). */
PRLE_API size_t prle_table_row_n_fields(const prle_table *table, size_t row);

/**
 * The 1-based physical line of the file where row `row` starts (with quoted newlines this
 * is not `row + 2`; rows of a JSON array may share one). Used in every later message about
 * the row.
 */
PRLE_API size_t prle_table_row_line(const prle_table *table, size_t row);

/**
 * The text of field `col` of row `row`, NUL-terminated; NULL when the row has no such field
 * (a short row, a missing JSONL key or a JSON null) or `row` is out of range. Borrowed: valid
 * until prle_table_free.
 */
PRLE_API const char *prle_table_field(const prle_table *table, size_t row, size_t col);

/** Length in bytes of that field (it may hold NUL bytes); 0 when absent. */
PRLE_API size_t prle_table_field_len(const prle_table *table, size_t row, size_t col);

/** The name of column `col` (header or JSON key); NULL without a header. Borrowed. */
PRLE_API const char *prle_table_col_name(const prle_table *table, size_t col);

/**
 * Finds a column by name, or by 0-based number written in decimal ("4"); a name matching a
 * header wins over a number. PRLE_ENOTFOUND naming the file and the column (with the
 * available names) when there is no such column; PRLE_EINVAL when the header gives the name
 * to two columns.
 */
PRLE_API int prle_table_column(size_t *out, const prle_table *table, const char *name_or_number);

/** The table's columns for a message, into buf (cap bytes, cut with "..."): `"id", "text"`, or
 *  `3, no header`. Returns buf. */
PRLE_API const char *prle_table_columns_desc(const prle_table *table, char *buf, size_t cap);

/** Number of rows dropped under PRLE_BAD_ROW_SKIP. */
PRLE_API size_t prle_table_n_skipped(const prle_table *table);

/**
 * The lines of the first skipped rows, ascending, each line once (two rows of a JSON array on
 * one line: one entry), at most PRLE_TABLE_SKIPPED_KEEP; `*n` receives how many. Borrowed.
 */
PRLE_API const size_t *prle_table_skipped_lines(const prle_table *table, size_t *n);

/** Why the first skipped row was bad ("path:line: what"); "" if none. Borrowed. */
PRLE_API const char *prle_table_skip_reason(const prle_table *table);

PRLE_END_DECL

#endif
