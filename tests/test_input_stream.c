/* LABELS: unit io */
/* prle predict --input a chunk at a time (run/input_stream.c): for every block size and
 * chunk size, the same rows and the same messages (with the file's line numbers) as reading
 * the whole table. */
#include <math.h>
#include <string.h>

#include "prle_test.h"

#include "core/error.h"
#include "io/csv_chunk.h"
#include "run/run_int.h"

/* Quoted commas and newlines, doubled quotes, a quote inside an unquoted field, a blank line,
 * CRLF, an empty label, a byte-order mark, no newline at the end. */
static const char CSV[] = "\xEF\xBB\xBF"
                          "label,sentence1,sentence2\n"
                          "1.5,\"a, b\",\"x\ny\"\n"
                          "2,\"He said \"\"hi\"\"\",plain\n"
                          ",5 \" tall,\"z\"\n"
                          "\n"
                          "3,\"multi\n\nline\",w\r\n"
                          "4,last,row";

static const char JSONL[] = "{\"text\": \"a\\nb\", \"label\": 1}\n"
                            "\n"
                            "{\"text\": \"c\"}\n"
                            "{\"label\": 2.5, \"text\": \"d \\\"q\\\"\"}";

/* A byte-order mark, then blank lines before the header. */
static const char BOM_BLANK[] = "\xEF\xBB\xBF\r\n\ntext,label\n\"a\nb\",1\n\nc,2\n";

/* Plain text: a byte-order mark, quotes and tabs as they are, CRLF, a blank line, no newline at
 * the end; for pairs a tab between the two texts. */
static const char TXT[] = "\xEF\xBB\xBF"
                          "a \"quoted\" word\r\n"
                          "tab\tinside\n"
                          "\n"
                          "last";

static const char TSV[] = "text\tlabel\n"
                          "one \"quoted\" word\t1\n"
                          "two\t2\n"
                          "three\t3";

static int read_whole(prle_run_input *out, const char *path, bool pairs)
{
    bool has_text = false;
    int err = prle__run_input_read_file(out, path, pairs, NULL, &has_text);
    return err < 0 || has_text ? err : prle__error_set(PRLE_EFORMAT, "%s: no text column", path);
}

static bool same_label(float a, float b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* The stream's rows, chunk after chunk, are the whole read's rows. */
static void same_rows(const char *path, bool pairs, size_t block, size_t max_rows)
{
    prle_run_input whole = {0}, in = {0};
    prle_run_input_stream *s = NULL;
    bool has_text = false;
    PT_OK(read_whole(&whole, path, pairs));
    PT_OK(prle__run_input_open(&s, path, pairs, NULL, block, &has_text));
    PT_CHECK(has_text);
    size_t at = 0;
    for (int guard = 0; s && guard < 100; guard++) {
        PT_OK(prle_run_input_next(&in, s, max_rows));
        if (in.n == 0)
            break;
        PT_CHECK(in.n <= max_rows && at + in.n <= whole.n);
        for (size_t i = 0; i < in.n && at + i < whole.n; i++) {
            PT_EQ_STR(in.text[i], whole.text[at + i]);
            if (pairs)
                PT_EQ_STR(in.text2[i], whole.text2[at + i]);
            PT_CHECK(same_label(in.label[i], whole.label[at + i]));
        }
        at += in.n;
    }
    PT_EQ_INT(at, whole.n);
    prle_run_input_dispose(&in);
    prle_run_input_dispose(&whole);
    prle_run_input_close(s);
}

static void test_input_stream__same_rows_any_chunking(void)
{
    char txt[1024]; /* pt_tmp has four slots */
    snprintf(txt, sizeof txt, "%s", pt_tmp("stream.txt"));
    const char *csv = pt_tmp("stream.csv"), *jsonl = pt_tmp("stream.jsonl");
    const char *tsv = pt_tmp("stream.tsv"), *bom = pt_tmp("stream_bom.csv");
    PT_CHECK(pt_write_file(bom, BOM_BLANK, sizeof BOM_BLANK - 1) == 0);
    PT_CHECK(pt_write_file(csv, CSV, sizeof CSV - 1) == 0);
    PT_CHECK(pt_write_file(jsonl, JSONL, sizeof JSONL - 1) == 0);
    PT_CHECK(pt_write_file(tsv, TSV, sizeof TSV - 1) == 0);
    prle_run_input whole = {0};
    PT_OK(read_whole(&whole, csv, true)); /* what the fixture holds */
    PT_EQ_INT(whole.n, 5);
    if (whole.n == 5) {
        PT_EQ_STR(whole.text[0], "a, b");
        PT_EQ_STR(whole.text2[0], "x\ny");
        PT_EQ_STR(whole.text[1], "He said \"hi\"");
        PT_EQ_STR(whole.text[2], "5 \" tall");
        PT_CHECK(isnan(whole.label[2]));
        PT_EQ_STR(whole.text[3], "multi\n\nline");
        PT_EQ_STR(whole.text2[3], "w");
        PT_EQ_STR(whole.text2[4], "row");
    }
    prle_run_input_dispose(&whole);
    PT_CHECK(pt_write_file(txt, TXT, sizeof TXT - 1) == 0);
    PT_OK(read_whole(&whole, txt, false));
    PT_EQ_INT(whole.n, 3);
    if (whole.n == 3) {
        PT_EQ_STR(whole.text[0], "a \"quoted\" word");
        PT_EQ_STR(whole.text[1], "tab\tinside");
        PT_EQ_STR(whole.text[2], "last");
        PT_CHECK(!whole.has_labels && isnan(whole.label[0]));
    }
    prle_run_input_dispose(&whole);
    PT_FAILS(read_whole(&whole, txt, true), PRLE_EFORMAT,
             "stream.txt:1: missing text: no text2 (after a tab) in this row");
    static const size_t blocks[] = {1, 2, 3, 5, 7, 64, 0};
    static const size_t chunks[] = {1, 2, 3, 100};
    for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++)
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
            same_rows(csv, true, blocks[b], chunks[c]);
            same_rows(jsonl, false, blocks[b], chunks[c]);
            same_rows(tsv, false, blocks[b], chunks[c]);
            same_rows(bom, false, blocks[b], chunks[c]);
            same_rows(txt, false, blocks[b], chunks[c]);
        }
}

/* A bad row far into the file: the stream stops there with the whole read's message, line
 * included. */
static void same_error(const char *name, const char *text, size_t max_rows, bool pairs)
{
    const char *path = pt_tmp(name);
    PT_CHECK(pt_write_file(path, text, strlen(text)) == 0);
    prle_run_input whole = {0}, in = {0};
    PT_CHECK(read_whole(&whole, path, pairs) < 0);
    char want[512];
    snprintf(want, sizeof want, "%s", prle_last_error());
    prle_run_input_stream *s = NULL;
    bool has_text;
    int err = prle__run_input_open(&s, path, pairs, NULL, 4, &has_text);
    while (err == 0 && (err = prle_run_input_next(&in, s, max_rows)) == 0 && in.n)
        ;
    PT_CHECK(err < 0);
    PT_EQ_STR(prle_last_error(), want);
    prle_run_input_dispose(&in);
    prle_run_input_close(s);
}

static void test_input_stream__errors_name_the_file_line(void)
{
    same_error("stream_label.csv", "text,label\na,1\n\"b\nc\",2\nd,3\ne,x\nf,4\n", 1, false);
    same_error("stream_quote.csv", "text,label\na,1\nb,2\nc,3\n\"never\nclosed,4\n", 2, false);
    same_error("stream_json.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n\n{\"text\": \"c\",\n",
               1, false);
    /* a name the header gives twice */
    same_error("stream_dup.csv", "text,text,label\na,b,1\n", 1, false);
    PT_CHECK(strstr(prle_last_error(), "names column \"text\" twice (columns 0 and 1)") != NULL);
    /* a second text column for a run of single texts: refused, not dropped */
    same_error("stream_single.csv", CSV, 2, false);
    PT_CHECK(strstr(prle_last_error(),
                    "stream_single.csv: this run's dataset has single texts: "
                    "the file's second text column sentence2 has no place") != NULL);
    /* a pair's line without its tab */
    same_error("stream_pairs.txt", "a\tb\nc\td\n\ne only\nf\tg\n", 1, true);
    PT_CHECK(strstr(prle_last_error(),
                    "stream_pairs.txt:4: missing text: no text2 (after a tab) in this row") !=
             NULL);
    const char *p = pt_tmp("stream_empty.csv");
    PT_CHECK(pt_write_file(p, "\n\n", 2) == 0);
    prle_run_input_stream *s = NULL;
    bool has_text;
    PT_FAILS(prle__run_input_open(&s, p, false, NULL, 1, &has_text), PRLE_EFORMAT, "empty file");
    /* a header alone: no rows */
    PT_CHECK(pt_write_file(p, "text,label\n", 11) == 0);
    prle_run_input in = {0};
    PT_OK(prle__run_input_open(&s, p, false, NULL, 3, &has_text));
    PT_CHECK(has_text);
    if (s)
        PT_FAILS(prle_run_input_next(&in, s, 5), PRLE_EFORMAT, "stream_empty.csv: no data rows");
    prle_run_input_dispose(&in);
    prle_run_input_close(s);
    PT_FAILS(read_whole(&in, p, false), PRLE_EFORMAT, "stream_empty.csv: no data rows");
    /* no text column: not for the stream (prle_run_input_open reads the dataset format) */
    PT_CHECK(pt_write_file(p, "a,b\n1,2\n", 8) == 0);
    PT_OK(prle__run_input_open(&s, p, false, NULL, 0, &has_text));
    PT_CHECK(!has_text);
    prle_run_input_close(s);
}

/* Labels from a column `label`, else from the run's own label field when the table has it
 * (a file in the run's format whose text column is `text`); the stream reads them alike. */
static void test_input_stream__label_column(void)
{
    const char *p = pt_tmp("labels.jsonl");
    static const char own[] =
        "{\"text\": \"a\", \"rating\": 4}\n{\"text\": \"b\", \"rating\": 2.5}\n";
    PT_CHECK(pt_write_file(p, own, sizeof own - 1) == 0);
    prle_run_input in = {0};
    bool has_text = false;
    const prle__input_names rating = {{NULL, NULL}, "rating"};
    PT_OK(prle__run_input_read_file(&in, p, false, &rating, &has_text));
    PT_CHECK(has_text && in.has_labels && in.n == 2);
    if (in.n == 2)
        PT_CHECK(in.label[0] == 4.0f && in.label[1] == 2.5f);
    prle_run_input_dispose(&in);
    PT_OK(prle__run_input_read_file(&in, p, false, NULL, &has_text));
    PT_CHECK(!in.has_labels && in.n == 2 && isnan(in.label[0]));
    prle_run_input_dispose(&in);
    prle_run_input_stream *s = NULL;
    PT_OK(prle__run_input_open(&s, p, false, &rating, 0, &has_text));
    if (s) {
        PT_OK(prle_run_input_next(&in, s, 10));
        PT_CHECK(in.has_labels && in.n == 2 && in.label[1] == 2.5f);
    }
    prle_run_input_dispose(&in);
    prle_run_input_close(s);
    /* `label` wins */
    static const char both[] = "text,rating,label\na,4,1\n";
    p = pt_tmp("labels.csv");
    PT_CHECK(pt_write_file(p, both, sizeof both - 1) == 0);
    PT_OK(prle__run_input_read_file(&in, p, false, &rating, &has_text));
    PT_CHECK(in.n == 1 && in.label[0] == 1.0f);
    prle_run_input_dispose(&in);
}

/* Read whole or streamed, path holding `body` gives `want` (PRLE_EFORMAT) naming `msg`. */
static void both_fail(const char *path, const char *body, size_t len, bool pairs, const char *msg)
{
    prle_run_input in = {0};
    prle_run_input_stream *s = NULL;
    bool has_text;
    PT_CHECK(pt_write_file(path, body, len) == 0);
    PT_FAILS(read_whole(&in, path, pairs), PRLE_EFORMAT, msg);
    int err = prle__run_input_open(&s, path, pairs, NULL, 0, &has_text);
    if (err == 0 && s)
        err = prle_run_input_next(&in, s, 100);
    PT_CHECK(err == PRLE_EFORMAT && strstr(prle_last_error(), msg));
    prle_run_input_dispose(&in);
    prle_run_input_close(s);
}

#define BOTH_FAIL(path, lit, pairs, msg) both_fail(path, lit, sizeof lit - 1, pairs, msg)

/* Texts and labels are checked as the dataset loader checks them (data/fields.c): a NUL in a
 * text or label, a label that is hex or beyond float range, are refused naming line and
 * field, and spaces around a label are fine; a UTF-16 or CR-only file is refused in every
 * format, plain text too. */
static void test_input_stream__fields_as_datasets(void)
{
    char csv[1024], txt[1024];
    snprintf(csv, sizeof csv, "%s", pt_tmp("fields.csv"));
    snprintf(txt, sizeof txt, "%s", pt_tmp("fields.txt"));
    BOTH_FAIL(csv, "text,label\na,1\nb\0c,2\n", false,
              "fields.csv:3: text in field 'text' (column 0) holds a NUL character");
    BOTH_FAIL(csv, "text,label\na,1\0x\n", false,
              "fields.csv:2: label in field 'label' (column 1) holds a NUL character");
    BOTH_FAIL(csv, "text,label\na,0x10\n", false,
              "fields.csv:2: label '0x10' in field 'label' (column 1) is not a number");
    BOTH_FAIL(csv, "text,label\na,1e309\n", false,
              "fields.csv:2: label '1e309' in field 'label' (column 1) is beyond float range");
    BOTH_FAIL(csv, "text,label\ra,1\rb,2\r", false, "fields.csv: its lines end in CR alone");
    BOTH_FAIL(txt, "one\rtwo\rthree\r", false, "fields.txt: its lines end in CR alone");
    BOTH_FAIL(txt, "\xFF\xFEo\0n\0e\0\n\0", false, "fields.txt: the file is UTF-16");
    static const char spaced[] = "text,label\na, 3 \nb,\t4\t\nc,\n";
    prle_run_input in = {0};
    bool has_text;
    PT_CHECK(pt_write_file(csv, spaced, sizeof spaced - 1) == 0);
    PT_OK(prle__run_input_read_file(&in, csv, false, NULL, &has_text));
    PT_CHECK(in.n == 3 && in.label[0] == 3.0f && in.label[1] == 4.0f && isnan(in.label[2]));
    prle_run_input_dispose(&in);
}

/* A table in the run's own columns (data.text_fields by name), without its label column: the
 * texts by those names, `text` / `sentence1` first when both are there; read whole and
 * streamed alike. Without the names it has no text column. */
static void test_input_stream__own_columns(void)
{
    const char *p = pt_tmp("own.csv");
    static const char pairs[] = "id,first,second\n1,a b,c\n2,d,e f\n";
    PT_CHECK(pt_write_file(p, pairs, sizeof pairs - 1) == 0);
    const prle__input_names own = {{"first", "second"}, "score"};
    prle_run_input in = {0};
    bool has_text = true;
    PT_OK(prle__run_input_read_file(&in, p, true, NULL, &has_text));
    PT_CHECK(!has_text && in.n == 0);
    PT_OK(prle__run_input_read_file(&in, p, true, &own, &has_text));
    PT_CHECK(has_text && !in.has_labels && in.n == 2);
    if (in.n == 2)
        PT_CHECK(!strcmp(in.text[0], "a b") && !strcmp(in.text2[0], "c") &&
                 !strcmp(in.text[1], "d") && !strcmp(in.text2[1], "e f"));
    prle_run_input_dispose(&in);
    prle_run_input_stream *s = NULL;
    PT_OK(prle__run_input_open(&s, p, true, &own, 5, &has_text));
    PT_CHECK(has_text);
    if (s) {
        PT_OK(prle_run_input_next(&in, s, 10));
        PT_CHECK(in.n == 2 && !strcmp(in.text2[1], "e f"));
    }
    prle_run_input_dispose(&in);
    prle_run_input_close(s);
    /* a pair run's file with only its first column: the second is asked for */
    static const char half[] = "first\na\n";
    p = pt_tmp("own-half.csv");
    PT_CHECK(pt_write_file(p, half, sizeof half - 1) == 0);
    PT_FAILS(prle__run_input_read_file(&in, p, true, &own, &has_text), PRLE_EINVAL,
             "needs a sentence2 (or text2, second) column beside first");
    /* `text` wins over the run's own name */
    static const char both[] = "first,text\na,b\n";
    p = pt_tmp("own-both.csv");
    PT_CHECK(pt_write_file(p, both, sizeof both - 1) == 0);
    PT_OK(prle__run_input_read_file(&in, p, false, &own, &has_text));
    PT_CHECK(in.n == 1 && !strcmp(in.text[0], "b"));
    prle_run_input_dispose(&in);
}

/* Where records end: quoted newlines, "" and a closing quote at a block's edge. */
static void test_input_stream__scan_records(void)
{
    prle_table_params p = prle_table_default_params();
    size_t rec, lines;
    const char *s = "a,\"x\ny\"\nb,c\n";
    PT_EQ_INT(prle__table_scan_records(s, strlen(s), &p, 10, false, false, &rec, &lines),
              strlen(s));
    PT_EQ_INT(rec, 2);
    PT_EQ_INT(lines, 3);
    PT_EQ_INT(prle__table_scan_records(s, 5, &p, 10, false, false, &rec, &lines),
              0); /* in quotes */
    PT_EQ_INT(prle__table_scan_records(s, strlen(s), &p, 1, false, false, &rec, &lines), 8);
    PT_EQ_INT(rec, 1);
    const char *q = "\"a\"\"\n"; /* "a"" then a newline: the quote is still open */
    PT_EQ_INT(prle__table_scan_records(q, 4, &p, 10, false, false, &rec, &lines), 0);
    PT_EQ_INT(prle__table_scan_records(q, 5, &p, 10, false, false, &rec, &lines), 0);
    PT_EQ_INT(prle__table_scan_records(q, 5, &p, 10, true, false, &rec, &lines),
              5); /* at the end */
    PT_EQ_INT(rec, 1);
    const char *t = "x,\"b\""; /* closing quote */
    PT_EQ_INT(prle__table_scan_records(t, 5, &p, 10, false, false, &rec, &lines),
              0); /* next byte? */
    PT_EQ_INT(prle__table_scan_records(t, 5, &p, 10, true, false, &rec, &lines), 5);
}

int main(void)
{
    prle_init(0);
    PT_RUN(test_input_stream__scan_records);
    PT_RUN(test_input_stream__same_rows_any_chunking);
    PT_RUN(test_input_stream__errors_name_the_file_line);
    PT_RUN(test_input_stream__label_column);
    PT_RUN(test_input_stream__own_columns);
    PT_RUN(test_input_stream__fields_as_datasets);
    return pt_report();
}
