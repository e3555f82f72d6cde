/* JSON records into a table (prle/table.h): JSON Lines, one object a line, or, with
 * params->json_array, one JSON array of objects. Each object is a row, its keys the columns in
 * order of first appearance, its values their text in the table's arena. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv_chunk.h"
#include "io/json.h"
#include "io/table_int.h"

static int find_or_add_col(prle_table *t, const char *key, size_t *col)
{
    int err;
    for (size_t k = 0; k < t->n_cols; k++)
        if (strcmp(t->text + t->cols[k].off, key) == 0) {
            *col = k;
            return 0;
        }
    tfield f = {0, strlen(key)};
    if ((err = prle__table_arena_add(t, key, f.len, &f.off)) < 0 ||
        (err = prle__table_push_col(t, f)) < 0)
        return err;
    *col = t->n_cols - 1;
    return 0;
}

/* The text a JSON value stands for; *absent for null. *heap is set when *s must be freed. */
static int json_value_text(const cJSON *v, const char **s, size_t *len, char *num, char **heap,
                           bool *absent)
{
    *heap = NULL;
    *absent = false;
    switch (v->type & 0xFF) {
    case cJSON_String:
        *s = v->valuestring ? v->valuestring : "";
        *len = strlen(*s);
        return 0;
    case cJSON_Number:
        if (isfinite(v->valuedouble)) {
            *len = prle__json_fmt_double(num, v->valuedouble);
        } else {
            const char *name = isnan(v->valuedouble) ? "nan" : v->valuedouble > 0 ? "inf" : "-inf";
            *len = strlen(name);
            memcpy(num, name, *len + 1);
        }
        *s = num;
        return 0;
    case cJSON_True:
        *s = "true", *len = 4;
        return 0;
    case cJSON_False:
        *s = "false", *len = 5;
        return 0;
    case cJSON_Array:
    case cJSON_Object: {
        int err = prle__json_print(heap, len, v, false);
        *s = *heap;
        return err;
    }
    default:
        *absent = true;
        return 0; /* null */
    }
}

static int add_json_row(prle_table *t, const cJSON *obj, size_t line)
{
    int err;
    size_t first = t->n_fields, nf = 0;
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t col;
        if ((err = find_or_add_col(t, c->string ? c->string : "", &col)) < 0)
            return err;
        for (; nf <= col; nf++)
            if ((err = prle__table_push_field(t, ABSENT, 0)) < 0)
                return err;
        char num[PRLE__JSON_NUMBUF], *heap = NULL;
        const char *s = NULL;
        size_t len = 0, off = 0;
        bool absent;
        if ((err = json_value_text(c, &s, &len, num, &heap, &absent)) < 0)
            return err;
        if (!absent) {
            err = prle__table_arena_add(t, s, len, &off);
            if (err == 0)
                t->fields[first + col] = (tfield){off, len};
        }
        free(heap);
        if (err < 0)
            return err;
    }
    return prle__table_push_row(t, first, nf, line);
}

/* Whether buf[s, e) holds the escape \u0000 (an odd run of backslashes before the u): cJSON
 * ends its string there, so the text would be cut short without a word. */
static bool has_nul_escape(const char *buf, size_t s, size_t e)
{
    for (size_t i = s; i + 6 <= e; i++) {
        if (buf[i] != '\\' || memcmp(buf + i + 1, "u0000", 5) != 0)
            continue;
        size_t back = 0;
        while (i - back > s && buf[i - back - 1] == '\\')
            back++;
        if (back % 2 == 0)
            return true;
    }
    return false;
}

/* The first key that `obj` has twice, or NULL: JSON parsers differ on which value counts
 * (cJSON the first, Python's json the last). */
static const char *repeated_key(const cJSON *obj)
{
    for (const cJSON *c = obj->child; c; c = c->next)
        for (const cJSON *d = c->next; d; d = d->next)
            if (c->string && d->string && strcmp(c->string, d->string) == 0)
                return c->string;
    return NULL;
}

/* The first key of `obj` whose value is a number beyond double range (cJSON reads 1e400 as
 * infinity, which a label column would report as "inf"), or NULL. */
static const char *overflowed_key(const cJSON *obj)
{
    for (const cJSON *c = obj->child; c; c = c->next)
        if (cJSON_IsNumber(c) && !isfinite(c->valuedouble))
            return c->string ? c->string : "";
    return NULL;
}

/* One record buf[s, e) that starts on `line`: a row when it is one JSON object, else a bad row
 * named by its column (a line of JSON Lines) or as the array's element. */
static int json_record(prle_table *t, const prle_table_params *p, const char *buf, size_t s,
                       size_t e, size_t line, bool element)
{
    if (memchr(buf + s, '\0', e - s)) /* cJSON would end a string there */
        return element ? prle__table_bad_row(t, p, line, "the array's element holds a NUL byte")
                       : prle__table_bad_row(t, p, line, "the line holds a NUL byte");
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithLengthOpts(buf + s, e - s, &end, 0);
    const char *twice = NULL;
    size_t at = (end && end >= buf + s && end <= buf + e) ? (size_t)(end - (buf + s)) : 0;
    int err;
    if (obj)
        while (s + at < e && prle__table_is_space(buf[s + at]))
            at++;
    if (!obj)
        err = element ? prle__table_bad_row(t, p, line, "invalid JSON in the array's element")
                      : prle__table_bad_row(t, p, line, "invalid JSON at column %zu", at + 1);
    else if (s + at < e)
        err = element ? prle__table_bad_row(t, p, line,
                                            "invalid JSON: trailing characters in the array's "
                                            "element")
                      : prle__table_bad_row(
                            t, p, line, "invalid JSON: trailing characters at column %zu", at + 1);
    else if (!cJSON_IsObject(obj))
        err = prle__table_bad_row(t, p, line, "expected a JSON object, found %s",
                                  prle__json_type_name(obj));
    else if (has_nul_escape(buf, s, e)) /* as a raw NUL in a CSV field is */
        err = prle__table_bad_row(t, p, line, "a string holds \\u0000, a NUL character");
    else if ((twice = repeated_key(obj)) != NULL)
        err =
            prle__table_bad_row(t, p, line, "the key \"%.64s\" appears twice in the object", twice);
    else if ((twice = overflowed_key(obj)) != NULL)
        err = prle__table_bad_row(t, p, line,
                                  "the value of \"%.64s\" is a number beyond double range", twice);
    else
        err = add_json_row(t, obj, line);
    cJSON_Delete(obj);
    return err;
}

/* A JSON array of objects (pandas' to_json(orient="records")) from buf[i] = '[', on `line`:
 * each element a row, its line the one it starts on. Elements are found by their brackets and
 * strings, then parsed one at a time. */
static int parse_json_array(prle_table *t, const prle_table_params *p, const char *buf, size_t len,
                            size_t i, size_t line)
{
    size_t rows = 0;
    int err = 0;
    for (i++;;) {
        while (i < len && prle__table_is_space(buf[i]))
            line += buf[i++] == '\n';
        if (i < len && buf[i] == ']' && rows == 0) {
            i++;
            break;
        }
        size_t s = i, start = line, depth = 0;
        bool in_str = false;
        for (; i < len; i++) {
            char c = buf[i];
            if (c == '\n')
                line++;
            if (in_str) {
                if (c == '\\')
                    i++;
                else if (c == '"')
                    in_str = false;
            } else if (c == '"') {
                in_str = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && depth) {
                depth--;
            } else if ((c == ',' || c == ']') && !depth) {
                break;
            }
        }
        if (i >= len)
            return prle__error_set(PRLE_EFORMAT, "%s:%zu: the JSON array is not closed", t->name,
                                   start);
        rows++;
        if ((err = json_record(t, p, buf, s, i, start, true)) < 0)
            return err;
        if (buf[i++] == ']')
            break;
    }
    while (i < len && prle__table_is_space(buf[i]))
        line += buf[i++] == '\n';
    if (i < len)
        return prle__error_set(PRLE_EFORMAT, "%s:%zu: characters after the JSON array", t->name,
                               line);
    if (rows == 0)
        return prle__error_set(PRLE_EFORMAT, "%s: the JSON array is empty", t->name);
    t->named = true;
    return 0;
}

/* Parses buf (len bytes, buf[len] writable) line by line, or, when the file starts with '[', as
 * one JSON array of objects; values go to the arena. */
int prle__table_parse_jsonl(prle_table *t, const prle_table_params *p, char *buf, size_t len)
{
    size_t i = t->mid ? 0 : prle__table_bom(buf, len), line = t->line0 - 1;
    bool any = false;
    int err = 0;
    if (!t->mid && p->json_array) {
        size_t a = i, l = t->line0;
        while (a < len && prle__table_is_space(buf[a]))
            l += buf[a++] == '\n';
        if (a < len && buf[a] == '[')
            return parse_json_array(t, p, buf, len, a, l);
    }
    while (i < len && err >= 0) {
        line++;
        size_t ls = i;
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - buf) : len;
        i = nl ? e + 1 : len;
        size_t a = ls;
        while (a < e && prle__table_is_space(buf[a]))
            a++;
        if (a == e)
            continue; /* blank line */
        any = true;
        buf[e] = '\0';
        err = json_record(t, p, buf, ls, e, line, false);
    }
    if (err < 0)
        return err;
    if (!any)
        return prle__error_set(PRLE_EFORMAT, "%s: empty file", t->name);
    t->named = true;
    return 0;
}
