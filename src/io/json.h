/* Internal JSON helpers over cJSON: exact numbers, atomic writes, located parse errors and
 * typed getters. Every JSON file the library writes goes through prle__json_write_file. */
#ifndef PRLE_IO_JSON_H
#define PRLE_IO_JSON_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "prle/common.h"

/** Room for any number prle__json_fmt_double / _fmt_float writes, NUL included. */
#define PRLE__JSON_NUMBUF 32

/**
 * Writes the shortest of "%.15g", "%.16g", "%.17g" that reads back (strtod) to exactly `v`,
 * sign of zero included; "null" for NaN and ±Inf (STYLE §11). Returns the length.
 * cJSON's own printer is not exact: it keeps "%1.15g" whenever the value read back is within
 * a relative DBL_EPSILON (0.1 + 0.2 comes out as 0.3) and prints -0.0 as 0.
 */
size_t prle__json_fmt_double(char buf[PRLE__JSON_NUMBUF], double v);

/** The same for a float: the shortest of "%.6g" .. "%.9g" that strtof reads back exactly. */
size_t prle__json_fmt_float(char buf[PRLE__JSON_NUMBUF], float v);

/* ---- building trees (all return NULL or PRLE_ENOMEM only when memory runs out) ---------- */

/** A number node; NaN and ±Inf give a null node. Printed exactly by prle__json_print. */
cJSON *prle__json_number(double v);

/**
 * A float as a raw node holding its shortest float text ("0.1", not 0.100000001490116),
 * or null when not finite. Raw nodes stay exact even under cJSON_Print; the getters below
 * read them as numbers.
 */
cJSON *prle__json_float(float v);

/** An integer node, exact for any int64 (a raw node beyond ±2^53). */
cJSON *prle__json_int(int64_t v);

/** An array of numbers / floats; NULL on out of memory (n may be 0). */
cJSON *prle__json_double_array(const double *v, size_t n);
cJSON *prle__json_float_array(const float *v, size_t n);

/* Add a member to `obj` (keys keep insertion order); PRLE_ENOMEM naming the key. */
int prle__json_add(cJSON *obj, const char *key, cJSON *item); /* takes `item`, even on failure */
int prle__json_add_number(cJSON *obj, const char *key, double v);
int prle__json_add_float(cJSON *obj, const char *key, float v);
int prle__json_add_int(cJSON *obj, const char *key, int64_t v);
int prle__json_add_string(cJSON *obj, const char *key, const char *s);
int prle__json_add_bool(cJSON *obj, const char *key, bool v);

/** Appends `item` (NULL: an allocation that failed) to the array `arr`; on failure frees it
 *  and returns PRLE_ENOMEM naming `what` (the file being built). */
int prle__json_push(cJSON *arr, cJSON *item, const char *what);

/** A new empty object appended to the array `arr` in *out; PRLE_ENOMEM naming `what` (the
 *  file being built), nothing appended. */
int prle__json_push_object(cJSON **out, cJSON *arr, const char *what);

/* ---- printing and files ------------------------------------------------------------- */

/**
 * Prints `root` into a new NUL-terminated heap string (`free()` it; `*len` may be NULL).
 * Keys in insertion order; numbers via prle__json_fmt_double; raw nodes verbatim; strings
 * escaped with invalid UTF-8 bytes replaced by U+FFFD. `pretty`: two-space indent, arrays
 * of scalars on one line, no trailing newline. PRLE_ENOMEM.
 */
int prle__json_print(char **out, size_t *len, const cJSON *root, bool pretty);

/**
 * Writes `root` pretty-printed plus a final newline to `path` atomically (temporary file,
 * then rename). PRLE_EIO / PRLE_ENOTFOUND / PRLE_ENOMEM naming the path.
 */
int prle__json_write_file(const char *path, const cJSON *root);

/**
 * Parses `len` bytes of JSON (a single value, whitespace around it allowed). `name` stands
 * for the file in messages. PRLE_EFORMAT as "name:line:col: invalid JSON at byte N near
 * '...'" (or "unexpected end of input", "trailing characters"). `*out` is the caller's
 * (cJSON_Delete).
 */
int prle__json_parse(cJSON **out, const char *text, size_t len, const char *name);

/** Reads and parses a whole file (at most 1 GiB); errors as prle__json_parse, or I/O ones. */
int prle__json_read_file(cJSON **out, const char *path);

/* ---- typed getters ------------------------------------------------------------------
 * Each looks `key` up in object `obj` (case-sensitive, first match) and fails with
 * PRLE_EFORMAT "missing key \"k\"" or "key \"k\" is a string, expected a number" (callers add
 * the file with prle__error_prefix at the I/O edge). `obj` not an object is PRLE_EFORMAT too.
 */

/** A number (or a numeric raw node); null reads as NaN, the writer's spelling of it. */
int prle__json_get_number(double *out, const cJSON *obj, const char *key);
/** An integral number within ±2^53 (or an integer raw node within int64). */
int prle__json_get_int(int64_t *out, const cJSON *obj, const char *key);
/** A non-negative integral number. */
int prle__json_get_size(size_t *out, const cJSON *obj, const char *key);
int prle__json_get_bool(bool *out, const cJSON *obj, const char *key);
/** A string; `*out` is borrowed from the tree. */
int prle__json_get_string(const char **out, const cJSON *obj, const char *key);
int prle__json_get_object(const cJSON **out, const cJSON *obj, const char *key);
/** An array and its length. */
int prle__json_get_array(const cJSON **out, size_t *n, const cJSON *obj, const char *key);
/** `key` is present (any type, null included). */
bool prle__json_has(const cJSON *obj, const char *key);

/**
 * Reads one node as a number (null as NaN, numeric raw nodes too); `what` names it in the
 * message, e.g. "shape[1]".
 */
int prle__json_item_number(double *out, const cJSON *item, const char *what);

/** A short static name of a node's type ("number", "string", "object", ...). */
const char *prle__json_type_name(const cJSON *item);

#endif
