/* A table read a chunk at a time (prle predict --input): where its records end, and a chunk
 * parsed under the file's own line numbers. Internal; io/csv.c. */
#ifndef PRLE_IO_CSV_CHUNK_H
#define PRLE_IO_CSV_CHUNK_H

#include <stdbool.h>
#include <stddef.h>

#include "prle/table.h"

/** 3 when s[0..n) starts with the UTF-8 byte-order mark (which the reader passes at a file's
 *  start), else 0. */
size_t prle__table_bom(const char *s, size_t n);

/** The checks of a file's first bytes s[0..n) (`name` in the message): PRLE_EFORMAT for a
 *  UTF-16 file (its byte-order mark), and for one whose lines end in CR alone (classic Mac
 *  OS: a CR before the last byte and no LF at all), which would read as one line; else 0. */
int prle__table_start_check(const char *s, size_t n, const char *name);

/**
 * Scans s[0..n), which starts at a record boundary, as the parser of `p`'s format reads it
 * (CSV/TSV: a newline inside a quoted field belongs to the field; JSON Lines: one line a
 * record). Returns the offset just past the last complete record before `max_records` of them
 * (blank lines are passed, not counted); *records and *lines get the records and newlines in
 * [0, offset). A record whose end is not in s yet is left out, unless `at_eof`: then the end
 * of s closes it. With `file_start`, s is the file's beginning: a byte-order mark is passed.
 */
size_t prle__table_scan_records(const char *s, size_t n, const prle_table_params *p,
                                size_t max_records, bool at_eof, bool file_start, size_t *records,
                                size_t *lines);

/**
 * prle_table_read_buffer of `buf` (len bytes and one writable byte at buf[len]; taken over and
 * freed), whose first line is line `line0` (>= 1) of the file `name`: rows and messages carry
 * the file's line numbers. A byte-order mark is skipped only with `file_start`.
 */
int prle__table_read_chunk(prle_table **out, char *buf, size_t len, const char *name,
                           const prle_table_params *p, size_t line0, bool file_start);

#endif
