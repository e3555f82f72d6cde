/* The checks of one table row's text and label fields, shared by the dataset loader
 * (dataset.c) and `prle predict --input` (src/run/input.c), so a file reads the same in both:
 * the same numbers are labels, and the same texts are refused with the same words. */
#ifndef PRLE_DATA_FIELDS_H
#define PRLE_DATA_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "prle/table.h"

/** A value for a message: at most 40 bytes, control characters as '?'. */
void prle__field_show(char *out, size_t cap, const char *s);

/** "field 'name' (column j)" (JSON: "field 'name'"), or "column j" without a header. */
void prle__field_desc(char *out, size_t cap, const prle_table *t, size_t col, bool jsonl);

/** The text of `row` in column `col` (`desc` its prle__field_desc) into *text: 0, or 1 with
 *  the reason in `what` when it is absent (or JSON null) or holds a NUL character. */
int prle__field_text(const char **text, char *what, size_t cap, const prle_table *t, size_t row,
                     size_t col, const char *desc, bool jsonl);

/**
 * The label of `row` in column `col` into *out: 0; or 1 with the reason in `what` when it is
 * absent, empty, holds a NUL character, is not a decimal number ([+-]digits[.digits]
 * [(e|E)[+-]digits] with optional spaces around it: no hex, inf or nan), or lies beyond float
 * range (labels are stored as float).
 */
int prle__field_label(double *out, char *what, size_t cap, const prle_table *t, size_t row,
                      size_t col, const char *desc, bool jsonl);

#endif
