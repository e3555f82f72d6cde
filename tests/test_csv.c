/* LABELS: unit io */

#include "prle_test.h"
#include "io/csv_chunk.h"

/* Reads `text` from a fixture file written here (so the file path is exercised too). */
static int read_text(prle_table **t, const char *name, const char *text, const prle_table_params *p)
{
    const char *path = pt_tmp(name);
    if (pt_write_file(path, text, strlen(text)) != 0)
        return -1;
    return prle_table_read(t, path, p);
}

static prle_table_params csv_params(bool header)
{
    prle_table_params p = prle_table_default_params();
    p.header = header;
    return p;
}

static void test_csv__defaults(void)
{
    prle_table_params p = prle_table_default_params();
    PT_EQ_INT(p.format, PRLE_TABLE_CSV);
    PT_EQ_INT(p.quoting, PRLE_QUOTING_AUTO);
    PT_EQ_INT(p.on_bad_row, PRLE_BAD_ROW_ERROR);
    PT_CHECK(p.header);
    PT_OK(prle_table_params_check(&p));
    p.delimiter = '\n';
    PT_FAILS(prle_table_params_check(&p), PRLE_EINVAL, "delimiter");
    p.delimiter = '"';
    PT_FAILS(prle_table_params_check(&p), PRLE_EINVAL, "delimiter");
    p.quoting = PRLE_QUOTING_OFF;
    PT_OK(prle_table_params_check(&p));
    p.format = (prle_table_format)7;
    PT_FAILS(prle_table_params_check(&p), PRLE_EINVAL, "format");
}

static void test_csv__quoted_fields(void)
{
    prle_table *t = NULL;
    prle_table_params p = csv_params(true);
    const char *text = "id,text,score\n"
                       "1,\"two\nlines, and a comma\",0.5\n"
                       "2,\"say \"\"hi\"\"\",1\n"
                       "3,plain,\"\"\n"
                       "4,\"x\"tail,2\n";
    PT_OK(read_text(&t, "quoted.csv", text, &p));
    if (!t)
        return;
    PT_EQ_INT(prle_table_n_rows(t), 4);
    PT_EQ_INT(prle_table_n_cols(t), 3);
    PT_EQ_STR(prle_table_col_name(t, 1), "text");
    PT_EQ_STR(prle_table_field(t, 0, 1), "two\nlines, and a comma");
    PT_EQ_STR(prle_table_field(t, 1, 1), "say \"hi\"");
    PT_EQ_STR(prle_table_field(t, 2, 2), "");
    PT_EQ_STR(prle_table_field(t, 3, 1), "xtail"); /* Python's csv does the same */
    PT_EQ_INT(prle_table_field_len(t, 1, 1), 8);
    /* physical lines: the record after a quoted newline starts two lines later */
    PT_EQ_INT(prle_table_row_line(t, 0), 2);
    PT_EQ_INT(prle_table_row_line(t, 1), 4);
    PT_EQ_INT(prle_table_row_line(t, 3), 6);
    PT_CHECK(prle_table_field(t, 0, 3) == NULL);
    PT_CHECK(prle_table_field(t, 9, 0) == NULL);
    size_t col = 99;
    PT_OK(prle_table_column(&col, t, "score"));
    PT_EQ_INT(col, 2);
    PT_OK(prle_table_column(&col, t, "1"));
    PT_EQ_INT(col, 1);
    PT_FAILS(prle_table_column(&col, t, "label"), PRLE_ENOTFOUND, "no column \"label\"");
    PT_FAILS(prle_table_column(&col, t, "label"), PRLE_ENOTFOUND, "\"id\", \"text\", \"score\"");
    PT_FAILS(prle_table_column(&col, t, "3"), PRLE_ENOTFOUND, "quoted.csv: no column 3");
    prle_table_free(t);
    /* a name the header gives twice is refused, not the first taken; the others still resolve */
    static const char twice[] = "text,y,text\na,1,b\n";
    PT_OK(prle_table_read_buffer(&t, twice, sizeof twice - 1, "twice.csv", &p));
    PT_FAILS(prle_table_column(&col, t, "text"), PRLE_EINVAL,
             "twice.csv: the header names column \"text\" twice (columns 0 and 2)");
    PT_OK(prle_table_column(&col, t, "y"));
    PT_EQ_INT(col, 1);
    PT_OK(prle_table_column(&col, t, "2"));
    PT_EQ_INT(col, 2);
    prle_table_free(t);
}

static void test_csv__crlf_bom_last_line(void)
{
    prle_table *t = NULL;
    prle_table_params p = csv_params(true);
    /* BOM, CRLF, a quoted CRLF kept as data, no newline at the end */
    const char *text = "\xEF\xBB\xBF"
                       "a,b\r\n1,\"x\r\ny\"\r\n\r\n2,last";
    PT_OK(read_text(&t, "crlf.csv", text, &p));
    if (!t)
        return;
    PT_EQ_STR(prle_table_col_name(t, 0), "a");
    PT_EQ_STR(prle_table_col_name(t, 1), "b");
    PT_EQ_INT(prle_table_n_rows(t), 2);
    PT_EQ_STR(prle_table_field(t, 0, 1), "x\r\ny");
    PT_EQ_STR(prle_table_field(t, 1, 0), "2");
    PT_EQ_STR(prle_table_field(t, 1, 1), "last");
    PT_EQ_INT(prle_table_row_line(t, 1), 5);
    prle_table_free(t);

    /* UTF-16, either byte order, is named as such (it read as one field of NUL-separated
     * bytes) */
    const char le[] = "\xFF\xFE"
                      "a\0,\0b\0\n\0",
               be[] = "\xFE\xFF"
                      "\0a\0,\0b\0\n";
    const char *path = pt_tmp("utf16.csv");
    for (int i = 0; i < 2; i++) {
        PT_CHECK(pt_write_file(path, i ? be : le, sizeof le - 1) == 0);
        PT_FAILS(prle_table_read(&t, path, &p), PRLE_EFORMAT,
                 i ? "utf16.csv: the file is UTF-16 (it starts with the byte-order mark FE FF)"
                   : "utf16.csv: the file is UTF-16 (it starts with the byte-order mark FF FE)");
    }
    /* a line of spaces (and tabs, in CSV) is blank as an empty one is; its line still counts */
    PT_OK(read_text(&t, "spaces.csv", "a,b\n1,2\n   \n \t \r\n3,4\n  ", &p));
    if (t) {
        PT_EQ_INT(prle_table_n_rows(t), 2);
        PT_EQ_STR(prle_table_field(t, 1, 1), "4");
        PT_EQ_INT(prle_table_row_line(t, 1), 5);
        prle_table_free(t);
        t = NULL;
    }
    size_t recs = 0, nls = 0;
    const char *sp = "a,b\n1,2\n   \n \t \r\n3,4\n  ";
    PT_EQ_INT(prle__table_scan_records(sp, strlen(sp), &p, 10, true, true, &recs, &nls),
              strlen(sp));
    PT_EQ_INT(recs, 3); /* the header and two rows, as parsed */
    PT_EQ_INT(nls, 5);
    /* a line of spaces cut by the buffer's end waits for more */
    PT_EQ_INT(prle__table_scan_records(sp, 11, &p, 10, false, true, &recs, &nls), 8);
    PT_EQ_INT(recs, 2);
    /* a blank trailing line and a trailing CRLF are ignored */
    PT_OK(read_text(&t, "trail.csv", "x,y\r\n1,2\r\n\r\n", &p));
    if (t) {
        PT_EQ_INT(prle_table_n_rows(t), 1);
        PT_EQ_STR(prle_table_field(t, 0, 1), "2");
        prle_table_free(t);
    }
}

static void test_csv__no_header(void)
{
    prle_table *t = NULL;
    prle_table_params p = csv_params(false);
    PT_OK(read_text(&t, "nohdr.csv", "1,2,3\n4,5\n", &p));
    if (!t)
        return;
    PT_EQ_INT(prle_table_n_rows(t), 2);
    PT_EQ_INT(prle_table_n_cols(t), 3);
    PT_EQ_INT(prle_table_row_n_fields(t, 1), 2);
    PT_CHECK(prle_table_col_name(t, 0) == NULL);
    PT_CHECK(prle_table_field(t, 1, 2) == NULL);
    size_t col = 0;
    PT_OK(prle_table_column(&col, t, "2"));
    PT_EQ_INT(col, 2);
    PT_FAILS(prle_table_column(&col, t, "score"), PRLE_ENOTFOUND, "no header");
    prle_table_free(t);
}

static void test_csv__tsv_literal_quotes(void)
{
    prle_table *t = NULL;
    prle_table_params p = prle_table_default_params();
    p.format = PRLE_TABLE_TSV;
    p.header = false;
    /* quoting auto = off for TSV: quotes are text, a lone one does not swallow the file */
    const char *text = "a\t\"Then the captain was gone.\tx\n"
                       "b\tsay \"hi\"\ty\r\n"
                       "c\t\"\"\tz\n";
    PT_OK(read_text(&t, "lit.tsv", text, &p));
    if (!t)
        return;
    PT_EQ_INT(prle_table_n_rows(t), 3);
    PT_EQ_STR(prle_table_field(t, 0, 1), "\"Then the captain was gone.");
    PT_EQ_STR(prle_table_field(t, 1, 1), "say \"hi\"");
    PT_EQ_STR(prle_table_field(t, 1, 2), "y");
    PT_EQ_STR(prle_table_field(t, 2, 1), "\"\"");
    prle_table_free(t);

    /* the same file with quoting forced on: an unterminated quote, named by line */
    p.quoting = PRLE_QUOTING_ON;
    PT_FAILS(read_text(&t, "lit.tsv", "a\tb\nc\t\"open\td\n", &p), PRLE_EFORMAT,
             "lit.tsv:2: unterminated quote");
    /* CSV with quoting off keeps quotes */
    p = csv_params(false);
    p.quoting = PRLE_QUOTING_OFF;
    PT_OK(read_text(&t, "off.csv", "\"a,b\"\n", &p));
    if (t) {
        PT_EQ_INT(prle_table_row_n_fields(t, 0), 2);
        PT_EQ_STR(prle_table_field(t, 0, 0), "\"a");
        prle_table_free(t);
    }
}

static void test_csv__unterminated_quote_line(void)
{
    prle_table *t = NULL;
    prle_table_params p = csv_params(true);
    PT_FAILS(read_text(&t, "unterm.csv", "a,b\n1,2\n3,\"four\n5,6\n7,8\n", &p), PRLE_EFORMAT,
             "unterm.csv:3: unterminated quote");
    /* the quote opens on the record's second physical line */
    PT_FAILS(read_text(&t, "unterm2.csv", "a,b\n1,\"x\ny\",\"z\nw\n", &p), PRLE_EFORMAT,
             "unterm2.csv:3: unterminated quote");
    PT_FAILS(read_text(&t, "unterm2.csv", "a,b\n1,\"x\ny\",\"z\nw\n", &p), PRLE_EFORMAT,
             "record from line 2");
    PT_CHECK(t == NULL);
    /* a stray quote opens a field that a later quote inside a text closes, lines later: not
     * rows merged into one text without a word, but the two lines named */
    PT_FAILS(
        read_text(&t, "stray.csv", "a,b\n\"Then he left,1\nok,2\nHe said \"hi then,3\n5,6\n", &p),
        PRLE_EFORMAT, "stray.csv:4: the quoted field opened on line 2 closes here");
    PT_CHECK(t == NULL);
    /* text after a quote that closes on its own line is appended, as Python's csv does (above),
     * and so is a closing quote before CRLF or the end */
    PT_OK(read_text(&t, "crlf.csv", "a,b\r\n\"x\r\ny\"\r\n\"z\nw\"", &p));
    if (t) {
        PT_EQ_STR(prle_table_field(t, 0, 0), "x\r\ny");
        PT_EQ_STR(prle_table_field(t, 1, 0), "z\nw");
    }
    prle_table_free(t);
}

static void test_csv__field_counts(void)
{
    prle_table *t = NULL;
    prle_table_params p = csv_params(false);
    p.format = PRLE_TABLE_TSV;
    p.min_fields = 3;
    const char *text = "a\tb\tc\n"
                       "d\te\n"       /* line 2: too few */
                       "f\tg\th\ti\n" /* extra columns are fine */
                       "j\n";         /* line 4: too few */
    PT_FAILS(read_text(&t, "counts.tsv", text, &p), PRLE_EFORMAT,
             "counts.tsv:2: expected at least 3 fields, found 2");

    p.on_bad_row = PRLE_BAD_ROW_SKIP;
    PT_OK(read_text(&t, "counts.tsv", text, &p));
    if (t) {
        PT_EQ_INT(prle_table_n_rows(t), 2);
        PT_EQ_INT(prle_table_n_skipped(t), 2);
        size_t n = 0;
        const size_t *lines = prle_table_skipped_lines(t, &n);
        PT_EQ_INT(n, 2);
        PT_EQ_INT(lines[0], 2);
        PT_EQ_INT(lines[1], 4);
        PT_CHECK(strstr(prle_table_skip_reason(t), "counts.tsv:2: expected at least 3") != NULL);
        PT_EQ_STR(prle_table_field(t, 1, 3), "i");
        PT_EQ_INT(prle_table_row_line(t, 1), 3);
        prle_table_free(t);
    }

    /* strict: same count as the header */
    p = csv_params(true);
    p.strict_fields = true;
    PT_FAILS(read_text(&t, "strict.csv", "a,b\n1,2\n\"x\ny\",2,3\n", &p), PRLE_EFORMAT,
             "strict.csv:3: expected 2 fields like the header, found 3");
    p.header = false;
    PT_FAILS(read_text(&t, "strict.csv", "1,2\n3\n", &p), PRLE_EFORMAT,
             "strict.csv:2: expected 2 fields like line 1, found 1");
    /* a header shorter than min_fields is always an error */
    p = csv_params(true);
    p.min_fields = 3;
    p.on_bad_row = PRLE_BAD_ROW_SKIP;
    PT_FAILS(read_text(&t, "shorthdr.csv", "a,b\n1,2,3\n", &p), PRLE_EFORMAT,
             "shorthdr.csv:1: the header has 2 fields");

    /* more skipped rows than are kept */
    p = csv_params(false);
    p.min_fields = 2;
    p.on_bad_row = PRLE_BAD_ROW_SKIP;
    char many[256] = "";
    for (int i = 0; i < 12; i++)
        strcat(many, i % 2 ? "x,y\n" : "bad\n");
    PT_OK(read_text(&t, "many.csv", many, &p));
    if (t) {
        size_t n = 0;
        const size_t *lines = prle_table_skipped_lines(t, &n);
        PT_EQ_INT(prle_table_n_skipped(t), 6);
        PT_EQ_INT(prle_table_n_rows(t), 6);
        PT_EQ_INT(n, 6);
        PT_EQ_INT(lines[5], 11);
        prle_table_free(t);
    }
}

static void test_csv__empty_files(void)
{
    prle_table *t = NULL;
    prle_table_params p = csv_params(true);
    PT_FAILS(read_text(&t, "empty.csv", "", &p), PRLE_EFORMAT, "empty.csv: empty file");
    PT_FAILS(read_text(&t, "blank.csv", "\xEF\xBB\xBF\n\r\n", &p), PRLE_EFORMAT, "empty file");
    p.format = PRLE_TABLE_JSONL;
    PT_FAILS(read_text(&t, "empty.jsonl", "\n  \n", &p), PRLE_EFORMAT, "empty.jsonl: empty file");
    /* a header alone is a table with no rows */
    p = csv_params(true);
    PT_OK(read_text(&t, "hdr.csv", "a,b\n", &p));
    if (t) {
        PT_EQ_INT(prle_table_n_rows(t), 0);
        PT_EQ_INT(prle_table_n_cols(t), 2);
        prle_table_free(t);
    }
    PT_FAILS(prle_table_read(&t, pt_tmp("no_such_table.csv"), &p), PRLE_ENOTFOUND,
             "no_such_table.csv");
}

static void test_csv__jsonl(void)
{
    prle_table *t = NULL;
    prle_table_params p = prle_table_default_params();
    p.format = PRLE_TABLE_JSONL;
    const char *text = "{\"text\": \"caf\\u00e9 \\\"x\\\"\", \"label\": 0.1, \"n\": 3}\r\n"
                       "\n"
                       "{\"label\": 1e300, \"text\": \"b\", \"ok\": true, \"v\": [1, \"a\"]}\n"
                       "{\"text\": null, \"label\": -0.0}";
    PT_OK(read_text(&t, "rows.jsonl", text, &p));
    if (!t)
        return;
    PT_EQ_INT(prle_table_n_rows(t), 3);
    PT_EQ_INT(prle_table_n_cols(t), 5);
    PT_EQ_STR(prle_table_col_name(t, 3), "ok");
    size_t text_col = 9, label_col = 9;
    PT_OK(prle_table_column(&text_col, t, "text"));
    PT_OK(prle_table_column(&label_col, t, "label"));
    PT_EQ_STR(prle_table_field(t, 0, text_col), "caf\xC3\xA9 \"x\"");
    PT_EQ_STR(prle_table_field(t, 0, label_col), "0.1");
    PT_EQ_STR(prle_table_field(t, 0, 2), "3");
    PT_CHECK(prle_table_field(t, 0, 3) == NULL); /* key not in row 0 */
    PT_EQ_STR(prle_table_field(t, 1, label_col), "1e+300");
    PT_EQ_STR(prle_table_field(t, 1, text_col), "b");
    PT_EQ_STR(prle_table_field(t, 1, 3), "true");
    PT_EQ_STR(prle_table_field(t, 1, 4), "[1,\"a\"]");
    PT_CHECK(prle_table_field(t, 2, text_col) == NULL); /* null: absent */
    PT_EQ_STR(prle_table_field(t, 2, label_col), "-0");
    PT_EQ_INT(prle_table_row_line(t, 1), 3);
    PT_EQ_INT(prle_table_row_line(t, 2), 4);
    prle_table_free(t);

    const char *bad = "{\"a\": 1}\n{\"a\": 2,}\n[1, 2]\n{\"a\": 3} x\n{\"a\": 4}\n";
    PT_FAILS(read_text(&t, "bad.jsonl", bad, &p), PRLE_EFORMAT, "bad.jsonl:2: invalid JSON");
    p.on_bad_row = PRLE_BAD_ROW_SKIP;
    PT_OK(read_text(&t, "bad.jsonl", bad, &p));
    if (t) {
        size_t n = 0;
        const size_t *lines = prle_table_skipped_lines(t, &n);
        PT_EQ_INT(prle_table_n_rows(t), 2);
        PT_EQ_INT(n, 3);
        PT_EQ_INT(lines[0], 2);
        PT_EQ_INT(lines[1], 3);
        PT_EQ_INT(lines[2], 4);
        PT_EQ_STR(prle_table_field(t, 1, 0), "4");
        PT_EQ_INT(prle_table_row_line(t, 1), 5);
        prle_table_free(t);
    }
    p.on_bad_row = PRLE_BAD_ROW_ERROR;
    /* without json_array a line holding an array is a bad row (test_csv__json_array) */
    PT_FAILS(read_text(&t, "arr.jsonl", "[1]\n", &p), PRLE_EFORMAT,
             "arr.jsonl:1: expected a JSON object, found an array");
    PT_FAILS(read_text(&t, "trail.jsonl", "{}\n{\"a\":1} x\n", &p), PRLE_EFORMAT,
             "trail.jsonl:2: invalid JSON: trailing characters at column 9");
    /* \u0000 would end the text there (cJSON's strings end at a NUL): a bad row, as a raw NUL
     * in a CSV field is; an escaped backslash before "u0000" is the text itself */
    PT_FAILS(read_text(&t, "nul.jsonl", "{\"a\":\"x\"}\n{\"a\":\"go\\u0000od\"}\n", &p),
             PRLE_EFORMAT, "nul.jsonl:2: a string holds \\u0000, a NUL character");
    PT_OK(read_text(&t, "lit.jsonl", "{\"a\":\"go\\\\u0000od\"}\n", &p));
    if (t) {
        PT_EQ_STR(prle_table_field(t, 0, 0), "go\\u0000od");
        prle_table_free(t);
        t = NULL;
    }
}

/* A JSON array of objects (pandas' to_json(orient="records"), indented or not): one row an
 * element, its line the one it starts on; brackets and commas inside strings and nested values
 * do not end an element; an element that is not an object is a bad row (skipped under
 * on_bad_row: skip); an array that is empty, not closed, or followed by more is an error. */
static void test_csv__json_array(void)
{
    prle_table *t = NULL;
    prle_table_params p = prle_table_default_params();
    p.format = PRLE_TABLE_JSONL;
    p.json_array = true;
    const char *text = "\xEF\xBB\xBF\n  [\n  {\"text\": \"a ] b, \\\"c\\\" {\", \"label\": 1,\n"
                       "   \"v\": [1, {\"w\": \"]\"}]},\n  {\"label\": 2.5, \"text\": \"d\"}, "
                       "{\"text\": \"e\", \"label\": -1}\n]\n\n";
    PT_OK(read_text(&t, "rows.json", text, &p));
    if (t) {
        PT_EQ_INT(prle_table_n_rows(t), 3);
        size_t tc = 9, lc = 9;
        PT_OK(prle_table_column(&tc, t, "text"));
        PT_OK(prle_table_column(&lc, t, "label"));
        PT_EQ_STR(prle_table_field(t, 0, tc), "a ] b, \"c\" {");
        PT_EQ_STR(prle_table_field(t, 0, 2), "[1,{\"w\":\"]\"}]");
        PT_EQ_STR(prle_table_field(t, 1, lc), "2.5");
        PT_EQ_STR(prle_table_field(t, 2, tc), "e");
        PT_EQ_INT(prle_table_row_line(t, 0), 3);
        PT_EQ_INT(prle_table_row_line(t, 1), 5);
        PT_EQ_INT(prle_table_row_line(t, 2), 5);
        prle_table_free(t);
    }
    const char *bad = "[{\"a\": 1},\n 7,\n {\"a\": 2},\n {\"a\": }\n]";
    PT_FAILS(read_text(&t, "bad.json", bad, &p), PRLE_EFORMAT,
             "bad.json:2: expected a JSON object, found a number");
    p.on_bad_row = PRLE_BAD_ROW_SKIP;
    PT_OK(read_text(&t, "bad.json", bad, &p));
    if (t) {
        size_t n = 0;
        const size_t *lines = prle_table_skipped_lines(t, &n);
        PT_EQ_INT(prle_table_n_rows(t), 2);
        PT_EQ_INT(n, 2);
        PT_CHECK(n == 2 && lines[0] == 2 && lines[1] == 4);
        PT_EQ_INT(prle_table_row_line(t, 1), 3);
        prle_table_free(t);
    }
    /* two bad elements on one line: both counted, the line listed once */
    PT_OK(read_text(&t, "two.json", "[1, 2, {\"a\": 1}]", &p));
    if (t) {
        size_t n = 0;
        const size_t *lines = prle_table_skipped_lines(t, &n);
        PT_EQ_INT(prle_table_n_skipped(t), 2);
        PT_CHECK(n == 1 && lines[0] == 1);
        PT_EQ_INT(prle_table_n_rows(t), 1);
        prle_table_free(t);
    }
    p.on_bad_row = PRLE_BAD_ROW_ERROR;
    PT_FAILS(read_text(&t, "open.json", "[{\"a\": 1},\n{\"a\": \"]\"}\n", &p), PRLE_EFORMAT,
             "open.json:2: the JSON array is not closed");
    PT_FAILS(read_text(&t, "more.json", "[{\"a\": 1}]\n{\"a\": 2}\n", &p), PRLE_EFORMAT,
             "more.json:2: characters after the JSON array");
    PT_FAILS(read_text(&t, "empty.json", " [ \n ] ", &p), PRLE_EFORMAT,
             "empty.json: the JSON array is empty");
    PT_FAILS(read_text(&t, "comma.json", "[{\"a\": 1},\n]", &p), PRLE_EFORMAT,
             "comma.json:2: invalid JSON in the array's element");
}

static void test_csv__buffer_entry(void)
{
    prle_table *t = NULL;
    prle_table_params p = csv_params(false);
    const char data[] = {'a', ',', 'b', '\0', 'c', '\n', 'd'}; /* an embedded NUL, no final \n */
    PT_OK(prle_table_read_buffer(&t, data, sizeof data, "mem", &p));
    if (t) {
        PT_EQ_STR(prle_table_name(t), "mem");
        PT_EQ_INT(prle_table_n_rows(t), 2);
        PT_EQ_INT(prle_table_field_len(t, 0, 1), 3);
        PT_EQ_STR(prle_table_field(t, 1, 0), "d");
        prle_table_free(t);
    }
    PT_FAILS(prle_table_read_buffer(&t, "\"x", 2, NULL, &p), PRLE_EFORMAT,
             "<buffer>:1: unterminated quote");
    prle_table_free(NULL);
}

static void test_csv__stsb_train(void)
{
    const char *path = pt_shared("stsb/sts-train.csv");
    if (!path)
        return;
    prle_table *t = NULL;
    prle_table_params p = prle_table_default_params();
    p.format = PRLE_TABLE_TSV;
    p.header = false;
    p.quoting = PRLE_QUOTING_OFF;
    p.min_fields = 7;
    PT_OK(prle_table_read(&t, path, &p));
    if (!t)
        return;
    /* numbers from tools/ref/csv_counts.py and stsb/README.md */
    PT_EQ_INT(prle_table_n_rows(t), 5749);
    PT_EQ_INT(prle_table_n_cols(t), 9);
    PT_EQ_STR(prle_table_field(t, 0, 4), "5.000");
    PT_EQ_STR(prle_table_field(t, 0, 5), "A plane is taking off.");
    PT_EQ_STR(prle_table_field(t, 0, 6), "An air plane is taking off.");
    PT_EQ_STR(prle_table_field(t, 2001, 3), "0001");
    PT_EQ_STR(prle_table_field(t, 2001, 4), "0.8");
    PT_EQ_STR(prle_table_field(t, 2001, 5), "\"Then the captain was gone.");
    PT_EQ_INT(prle_table_row_line(t, 2001), 2002);
    PT_EQ_INT(prle_table_row_n_fields(t, 5552), 9);
    PT_EQ_STR(prle_table_field(t, 5552, 3), "0012");
    size_t nine = 0;
    for (size_t r = 0; r < prle_table_n_rows(t); r++)
        nine += prle_table_row_n_fields(t, r) == 9;
    PT_EQ_INT(nine, 197);
    prle_table_free(t);
}

static void test_csv__ruddit_text(void)
{
    const char *path = pt_shared("ruddit/text-freddiehorn-2023/ruddit_with_text.csv");
    if (!path)
        return;
    prle_table *t = NULL;
    prle_table_params p = prle_table_default_params(); /* CSV, header, quoting on */
    p.strict_fields = true;
    PT_OK(prle_table_read(&t, path, &p));
    if (!t)
        return;
    /* numbers from tools/ref/csv_counts.py (Python's csv module) */
    PT_EQ_INT(prle_table_n_rows(t), 6000);
    size_t body = 0, id = 0;
    PT_OK(prle_table_column(&body, t, "comment_body"));
    PT_OK(prle_table_column(&id, t, "comment_id"));
    PT_EQ_INT(body, 4);
    size_t with_nl = 0, bytes = 0;
    for (size_t r = 0; r < prle_table_n_rows(t); r++) {
        with_nl += strchr(prle_table_field(t, r, body), '\n') != NULL;
        bytes += prle_table_field_len(t, r, body);
    }
    PT_EQ_INT(with_nl, 1629);
    PT_EQ_INT(bytes, 1125445);
    struct {
        size_t row, line, body_bytes, newlines, title_bytes;
        const char *id, *score;
    } want[] = {{0, 2, 176, 2, 40, "cza1q49", "-0.083"},
                {2467, 5252, 105, 2, 52, "elh3hze", "0.167"},
                {5999, 11417, 89, 0, 53, "fakgh1h", "-0.625"}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        size_t r = want[k].row, nl = 0;
        const char *b = prle_table_field(t, r, body);
        for (const char *c = b; c && *c; c++)
            nl += *c == '\n';
        PT_EQ_STR(prle_table_field(t, r, id), want[k].id);
        PT_EQ_STR(prle_table_field(t, r, 2), want[k].score);
        PT_EQ_INT(prle_table_row_line(t, r), want[k].line);
        PT_EQ_INT(prle_table_field_len(t, r, body), want[k].body_bytes);
        PT_EQ_INT(prle_table_field_len(t, r, 3), want[k].title_bytes);
        PT_EQ_INT(nl, want[k].newlines);
    }
    PT_EQ_STR(prle_table_field(t, 0, 3), "CMV: The so called \"Wage Gap\" is a myth.");
    prle_table_free(t);
}

/* The other real files: every split of STS-B (TSV and the CRLF CSV re-export) and MLQE-PE,
 * row counts from their READMEs (Python's quoting csv reader gets these wrong). */
static void test_csv__all_real_splits(void)
{
    static const struct {
        const char *rel;
        size_t rows;
    } stsb[] = {{"stsb/sts-dev.csv", 1500}, {"stsb/sts-test.csv", 1379}};
    static const char *pairs[] = {"en-de", "en-zh", "ro-en", "ru-en", "si-en"};
    static const struct {
        const char *split;
        size_t rows;
    } mlqe[] = {{"train", 7000}, {"dev", 1000}, {"test20", 1000}};
    prle_table *t = NULL;
    prle_table_params p = prle_table_default_params();
    p.format = PRLE_TABLE_TSV;
    p.header = false;
    p.min_fields = 7;
    for (size_t i = 0; i < 2; i++) {
        const char *path = pt_shared(stsb[i].rel);
        if (!path)
            return;
        PT_OK(prle_table_read(&t, path, &p));
        if (t)
            PT_EQ_INT(prle_table_n_rows(t), stsb[i].rows);
        prle_table_free(t);
        t = NULL;
    }
    p = prle_table_default_params(); /* CSV, quoting on, CRLF, no header, exactly 3 fields */
    p.header = false;
    p.strict_fields = true;
    const char *path = pt_shared("stsb/stsb-multi-mt-en/stsb-en-train.csv");
    if (!path)
        return;
    PT_OK(prle_table_read(&t, path, &p));
    if (t) {
        PT_EQ_INT(prle_table_n_rows(t), 5749);
        PT_EQ_STR(prle_table_field(t, 0, 0), "A plane is taking off.");
        PT_EQ_STR(prle_table_field(t, 0, 2), "5.0");
    }
    prle_table_free(t);
    t = NULL;

    p = prle_table_default_params();
    p.format = PRLE_TABLE_TSV;
    p.strict_fields = true;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        for (size_t k = 0; k < 3; k++) {
            char rel[128], code[8] = {pairs[i][0], pairs[i][1], pairs[i][3], pairs[i][4], 0};
            snprintf(rel, sizeof rel, "mlqe-pe/%s/%s.%s.df.short.tsv", pairs[i], mlqe[k].split,
                     code);
            if (!(path = pt_shared(rel)))
                return;
            PT_OK(prle_table_read(&t, path, &p));
            if (!t)
                continue;
            size_t col = 0;
            PT_EQ_INT(prle_table_n_rows(t), mlqe[k].rows);
            PT_EQ_INT(prle_table_n_cols(t), 8);
            PT_OK(prle_table_column(&col, t, "z_mean"));
            PT_EQ_INT(col, 6);
            prle_table_free(t);
            t = NULL;
        }
}

int main(void)
{
    PT_RUN(test_csv__defaults);
    PT_RUN(test_csv__quoted_fields);
    PT_RUN(test_csv__crlf_bom_last_line);
    PT_RUN(test_csv__no_header);
    PT_RUN(test_csv__tsv_literal_quotes);
    PT_RUN(test_csv__unterminated_quote_line);
    PT_RUN(test_csv__field_counts);
    PT_RUN(test_csv__empty_files);
    PT_RUN(test_csv__jsonl);
    PT_RUN(test_csv__json_array);
    PT_RUN(test_csv__buffer_entry);
    PT_RUN(test_csv__stsb_train);
    PT_RUN(test_csv__ruddit_text);
    PT_RUN(test_csv__all_real_splits);
    return pt_report();
}
