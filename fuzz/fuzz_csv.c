/* libFuzzer target for the table reader (and the JSON printer it shares).
 * The first byte picks the mode: low two bits csv-with-quotes | tsv-no-quotes | jsonl |
 * json print round trip; the next bits header, on_bad_row skip, strict_fields, min_fields. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv_chunk.h"
#include "io/json.h"
#include "prle/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/* `array`: a JSON array's rows, several of which may start on one line */
static void walk(const prle_table *t, bool array)
{
    size_t rows = prle_table_n_rows(t), cols = prle_table_n_cols(t), k;
    volatile size_t sink = 0;
    for (size_t r = 0; r < rows; r++) {
        size_t nf = prle_table_row_n_fields(t, r);
        CHECK(nf <= cols || prle_table_col_name(t, 0) != NULL);
        CHECK(prle_table_row_line(t, r) >= 1);
        if (r > 0)
            CHECK(prle_table_row_line(t, r) > prle_table_row_line(t, r - 1) ||
                  (array && prle_table_row_line(t, r) == prle_table_row_line(t, r - 1)));
        for (size_t c = 0; c <= nf; c++) {
            const char *f = prle_table_field(t, r, c);
            size_t len = prle_table_field_len(t, r, c);
            if (!f) {
                CHECK(len == 0);
                continue;
            }
            CHECK(f[len] == '\0');
            CHECK(memchr(f, '\0', len) || strlen(f) == len);
            sink += len;
        }
    }
    for (size_t c = 0; c < cols; c++) {
        const char *name = prle_table_col_name(t, c);
        if (name) {
            if (prle_table_column(&k, t, name) == 0) {
                CHECK(k <= c);
            } else { /* refused only for a name the header gives twice */
                bool twice = false;
                for (size_t o = 0; o < cols && !twice; o++) {
                    const char *other = prle_table_col_name(t, o);
                    twice = o != c && other && strcmp(other, name) == 0;
                }
                CHECK(twice);
            }
            sink += strlen(name);
        }
    }
    if (prle_table_column(&k, t, "0") == 0)
        CHECK(k < cols || prle_table_col_name(t, k) != NULL);
    (void)prle_table_column(&k, t, "no such column");
    size_t n = 0;
    const size_t *lines = prle_table_skipped_lines(t, &n);
    CHECK(n <= PRLE_TABLE_SKIPPED_KEEP && n <= prle_table_n_skipped(t));
    for (size_t i = 1; i < n; i++)
        CHECK(lines[i] > lines[i - 1]);
    CHECK(prle_table_n_skipped(t) == 0 || prle_table_skip_reason(t)[0] != '\0');
    (void)sink;
}

/* The record scanner of the chunked reader (prle predict --input) agrees with the parser: the
 * whole text is as many records as the table has rows, skipped rows and header; a prefix
 * ends at a record boundary that the whole text's scan reaches with the same count. */
static void chunks(const uint8_t *data, size_t size, const prle_table_params *p,
                   const prle_table *t, bool array)
{
    const char *s = (const char *)data;
    size_t recs, lines, r2, l2;
    CHECK(prle__table_scan_records(s, size, p, SIZE_MAX, true, true, &recs, &lines) == size);
    if (t && p->on_bad_row == PRLE_BAD_ROW_ERROR && !(p->format == PRLE_TABLE_JSONL))
        CHECK(recs == prle_table_n_rows(t) + (p->header ? 1 : 0));
    /* (a JSON array's rows are its elements, not its lines) */
    if (t && p->format == PRLE_TABLE_JSONL && !array)
        CHECK(recs == prle_table_n_rows(t) + prle_table_n_skipped(t));
    size_t cuts[3] = {size / 3, size / 2, size ? data[0] % size : 0};
    for (int c = 0; c < 3; c++) {
        size_t e = prle__table_scan_records(s, cuts[c], p, SIZE_MAX, false, true, &r2, &l2);
        CHECK(e <= cuts[c] && r2 <= recs && l2 <= lines);
        if (r2 == 0)
            continue;
        /* r2 records end where the prefix's scan ended, but for blank lines after them */
        size_t rz, lz, again = prle__table_scan_records(s, size, p, r2, true, true, &rz, &lz);
        CHECK(again <= e && rz == r2);
        prle__table_scan_records(s + again, e - again, p, SIZE_MAX, false, false, &rz, &lz);
        CHECK(rz == 0);
    }
}

/* parse -> print -> parse -> print must give the same text twice (exact numbers). */
static void json_round_trip(const uint8_t *data, size_t size)
{
    cJSON *a = NULL, *b = NULL;
    char *p1 = NULL, *p2 = NULL, *pretty = NULL;
    size_t n1 = 0, n2 = 0, np = 0;
    if (prle__json_parse(&a, (const char *)data, size, "fuzz") < 0) {
        CHECK(prle_last_error()[0] != '\0');
        return;
    }
    CHECK(prle__json_print(&p1, &n1, a, false) == 0);
    CHECK(prle__json_print(&pretty, &np, a, true) == 0);
    CHECK(prle__json_parse(&b, p1, n1, "p1") == 0);
    CHECK(prle__json_print(&p2, &n2, b, false) == 0);
    CHECK(n1 == n2 && memcmp(p1, p2, n1) == 0);
    cJSON_Delete(b);
    b = NULL;
    CHECK(prle__json_parse(&b, pretty, np, "pretty") == 0);
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(p1);
    free(p2);
    free(pretty);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = data[0];
    data++, size--;
    prle_table_params p = prle_table_default_params();
    switch (mode & 3) {
    case 0:
        p.format = PRLE_TABLE_CSV, p.quoting = PRLE_QUOTING_ON;
        break;
    case 1:
        p.format = PRLE_TABLE_TSV, p.quoting = PRLE_QUOTING_OFF;
        break;
    case 2:
        p.format = PRLE_TABLE_JSONL;
        p.json_array = (mode >> 7) & 1;
        break;
    default:
        json_round_trip(data, size);
        return 0;
    }
    p.header = (mode >> 2) & 1;
    p.on_bad_row = ((mode >> 3) & 1) ? PRLE_BAD_ROW_SKIP : PRLE_BAD_ROW_ERROR;
    p.strict_fields = (mode >> 4) & 1;
    p.min_fields = (mode >> 5) & 3;
    bool array = false; /* a file read as one JSON array */
    if (p.json_array) {
        const char *s = (const char *)data;
        size_t a = prle__table_bom(s, size);
        while (a < size && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n'))
            a++;
        array = a < size && s[a] == '[';
    }
    prle_table *t = NULL;
    if (prle_table_read_buffer(&t, data, size, "fuzz", &p) == 0) {
        walk(t, array);
        chunks(data, size, &p, t, array);
        prle_table_free(t);
    } else {
        CHECK(t == NULL && prle_last_error()[0] != '\0');
        chunks(data, size, &p, NULL, array);
    }
    return 0;
}
