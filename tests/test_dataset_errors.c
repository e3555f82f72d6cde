/* LABELS: unit io */
/* Datasets: bad input and bad configs, each an error naming the file, line and field (or the
 * key), or with data.on_bad_row: skip the rows counted. */
#include "data/dataset_internal.h"
#include "dataset_fixture.h"
#include "prle_test.h"

static void write_split_set(const char *train_text)
{
    write_fixture("bad-train.tsv", train_text);
    write_fixture("ok-dev.tsv", "a\tb\tscore\nx\ty\t1\n");
}

#define SET3 "  files: {train: bad-train.tsv, validation: ok-dev.tsv, test: ok-dev.tsv}\n"
/* the bad training file read with text a and label score, the case most checks use */
#define SET3_A "data:\n" SET3 "  text_fields: [a]\n  label_field: score\n"

static void test_dataset__bad_input(void)
{
    prle_dataset *ds = NULL;
    char path[1100];
    snprintf(path, sizeof path, "%s", pt_tmp("bad-train.tsv"));
    char want[2400];

    write_split_set("");
    snprintf(want, sizeof want, "%s: empty file", path);
    PT_FAILS(load_yaml(&ds, SET3_A), PRLE_EFORMAT, want);

    write_split_set("a\tb\tscore\n");
    snprintf(want, sizeof want, "%s: no data rows", path);
    PT_FAILS(load_yaml(&ds, SET3_A), PRLE_EFORMAT, want);

    write_split_set("a\tb\tscore\nx\ty\t1\n");
    snprintf(want, sizeof want, "%s: no column \"sentence\"", path);
    PT_FAILS(load_yaml(&ds, "data:\n" SET3 "  text_fields: [sentence]\n  label_field: score\n"),
             PRLE_ENOTFOUND, want);
    snprintf(want, sizeof want, "%s: no column 7 for data.label_field (the file has 3)", path);
    PT_FAILS(load_yaml(&ds, "data:\n" SET3 "  text_fields: [a]\n  label_field: 7\n"),
             PRLE_ENOTFOUND, want);

    write_split_set("a\tb\tscore\nx\ty\t1\nx\ty\tabc\n");
    snprintf(want, sizeof want, "%s:3: label 'abc' in field 'score' (column 2) is not a number",
             path);
    PT_FAILS(load_yaml(&ds, "data:\n" SET3 "  text_fields: [a, b]\n  label_field: score\n"),
             PRLE_EFORMAT, want);
    PT_CHECK(strchr(prle_last_error(), '\n') == NULL);

    write_split_set("a\tb\tscore\nx\ty\t1\nx\ty\t\n");
    snprintf(want, sizeof want, "%s:3: missing label: field 'score' (column 2) is empty", path);
    PT_FAILS(load_yaml(&ds, "data:\n" SET3 "  text_fields: [a, b]\n  label_field: score\n"),
             PRLE_EFORMAT, want);

    const char *not_numbers[] = {"nan", "inf", "0x10", "1,5", "1e", "--1", ".", "2 3"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++) {
        char text[200];
        snprintf(text, sizeof text, "a\tb\tscore\nx\ty\t%s\n", not_numbers[i]);
        write_split_set(text);
        PT_FAILS(load_yaml(&ds, SET3_A), PRLE_EFORMAT, "is not a number");
    }

    /* a double that float cannot hold: refused here, not later as "y_train[0] is inf" */
    write_split_set("a\tb\tscore\nx\ty\t1\nx\ty\t1e39\n");
    snprintf(want, sizeof want,
             "%s:3: label '1e39' in field 'score' (column 2) is beyond float range", path);
    PT_FAILS(load_yaml(&ds, SET3_A), PRLE_EFORMAT, want);
    write_split_set("a\tb\tscore\nx\ty\t1\nx\ty\t-3.3e38\n"); /* still a float */
    PT_OK(load_yaml(&ds, SET3_A));
    prle_dataset_free(ds);
    ds = NULL;

    write_split_set("a\tb\tscore\nx\ty\t1\nx\t2\n");
    snprintf(want, sizeof want, "%s:3: expected 3 fields like the header, found 2", path);
    PT_FAILS(load_yaml(&ds, SET3_A), PRLE_EFORMAT, want);

    /* without a header: every row wide enough for the columns used (STS-B: 7, 9 is fine) */
    write_split_set("g\tf\t2012\t1\t5.0\ts1\ts2\n"
                    "g\tf\t2012\t2\t4.0\ts1\ts2\tlicence\tsource\n"
                    "g\tf\t2012\t3\t3.0\ts1\n");
    write_fixture("ok-dev.tsv", "g\tf\t2012\t1\t5.0\ts1\ts2\n");
    snprintf(want, sizeof want, "%s:3: expected at least 7 fields, found 6", path);
    PT_FAILS(load_yaml(&ds, "data:\n" SET3 "  header: false\n  text_fields: [5, 6]\n"
                            "  label_field: 4\n"),
             PRLE_EFORMAT, want);

    /* on_bad_row: skip counts both kinds (field count, label) and keeps the first reason */
    write_fixture("bad-train.tsv", "g\tf\t2012\t1\t5.0\ts1\ts2\n"
                                   "g\tf\t2012\t2\tx\ts1\ts2\n"
                                   "g\tf\t2012\t3\t3.0\ts1\n"
                                   "g\tf\t2012\t4\t4.0\ts1\ts2\tl\ts\n"
                                   "g\tf\t2012\t5\t\ts1\ts2\n");
    PT_OK(load_yaml(&ds, "data:\n" SET3 "  header: false\n  text_fields: [5, 6]\n"
                         "  label_field: 4\n  on_bad_row: skip\n"));
    if (ds) {
        const prle_dataset_split_info *in = prle_dataset_info(ds, PRLE_SPLIT_TRAIN);
        PT_EQ_INT(in->n_rows, 2);
        PT_EQ_INT(in->n_skipped, 3);
        PT_EQ_INT(in->n_skipped_lines, 3);
        PT_EQ_INT(in->skipped_lines[0], 2);
        PT_EQ_INT(in->skipped_lines[1], 3);
        PT_EQ_INT(in->skipped_lines[2], 5);
        snprintf(want, sizeof want, "%s:2: label 'x' in column 4 is not a number", path);
        PT_EQ_STR(in->skip_reason, want);
        PT_EQ_INT(prle_dataset_n_skipped(ds), 3);
        PT_EQ_STR(prle_dataset_skip_reason(ds), want);
        PT_EQ_INT(prle_dataset_info(ds, PRLE_SPLIT_TEST)->n_skipped, 0);
        PT_EQ_INT(prle_dataset_source_line(ds, PRLE_SPLIT_TRAIN, 1), 4);
        prle_dataset_free(ds);
    }
    write_fixture("bad-train.tsv", "g\tf\t2012\t3\t3.0\ts1\ng\tf\t2012\t2\tx\ts1\ts2\n");
    PT_OK(load_yaml(&ds, "data:\n" SET3 "  header: false\n  text_fields: [5, 6]\n"
                         "  label_field: 4\n  on_bad_row: skip\n") == PRLE_EFORMAT
              ? 0
              : -1);
    snprintf(want, sizeof want, "%s: no data rows left: 2 bad rows skipped (first: %s:1: expected",
             path, path);
    PT_CHECK(strstr(prle_last_error(), want) != NULL);

    /* training labels that are all equal and no range set: nothing to learn (prle run refuses
     * them with a range too; prle embed needs no labels) */
    write_fixture("const.csv", "t,y\na,2.5\nb,2.5\nc,2.5\n");
    snprintf(path, sizeof path, "%s", pt_tmp("const.csv"));
    snprintf(want, sizeof want, "%s: all 3 training labels are 2.5: there is nothing to learn",
             path);
    PT_FAILS(load_yaml(&ds, "data: {files: {train: const.csv, validation: const.csv, test: "
                            "const.csv}, text_fields: [t], label_field: y}\n"),
             PRLE_EINVAL, want);

    /* JSONL: a missing key is a missing field */
    write_fixture("bad.jsonl", "{\"t\": \"a\", \"y\": 1}\n{\"y\": 2}\n");
    snprintf(path, sizeof path, "%s", pt_tmp("bad.jsonl"));
    snprintf(want, sizeof want, "%s:2: missing text: field 't' is absent or null in this row",
             path);
    PT_FAILS(load_yaml(&ds, "data:\n  file: bad.jsonl\n  text_fields: [t]\n  label_field: y\n"),
             PRLE_EFORMAT, want);
    /* and so is a null one */
    write_fixture("bad.jsonl", "{\"t\": \"a\", \"y\": 1}\n{\"t\": null, \"y\": 2}\n");
    PT_FAILS(load_yaml(&ds, "data:\n  file: bad.jsonl\n  text_fields: [t]\n  label_field: y\n"),
             PRLE_EFORMAT, want);
#define JSONL_FAILS(body, line_msg)                                                                \
    do {                                                                                           \
        write_fixture("bad.jsonl", body);                                                          \
        snprintf(want, sizeof want, "%s:%s", path, line_msg);                                      \
        PT_FAILS(load_yaml(&ds, "data:\n  file: bad.jsonl\n  text_fields: [t]\n  label_field: "    \
                                "y\n"),                                                            \
                 PRLE_EFORMAT, want);                                                              \
    } while (0)
    /* a null label; a key twice (JSON readers differ on which value counts) */
    JSONL_FAILS("{\"t\": \"a\", \"y\": null}\n", "1: missing label: field 'y' is absent or null");
    JSONL_FAILS("{\"t\": \"a\", \"t\": \"b\", \"y\": 1}\n",
                "1: the key \"t\" appears twice in the object");
    /* a number JSON parsers read as infinity: said so, not reported as the label 'inf' */
    JSONL_FAILS("{\"t\": \"a\", \"y\": 1e400}\n",
                "1: the value of \"y\" is a number beyond double range");
    /* a raw NUL byte inside a string: a bad row, not a text cut short there */
    static const char raw_nul[] = "{\"t\": \"a\", \"y\": 1}\n{\"t\": \"a\0b\", \"y\": 1}\n";
    PT_CHECK(pt_write_file(pt_tmp("bad.jsonl"), raw_nul, sizeof raw_nul - 1) == 0);
    snprintf(want, sizeof want, "%s:2: the line holds a NUL byte", path);
    PT_FAILS(load_yaml(&ds, "data:\n  file: bad.jsonl\n  text_fields: [t]\n  label_field: y\n"),
             PRLE_EFORMAT, want);
#undef JSONL_FAILS

    /* a NUL in a label: refused, not read as the number before it */
    snprintf(path, sizeof path, "%s", pt_tmp("bad-train.tsv"));
    static const char nul_label[] = "a\tb\tscore\nx\ty\t1\0junk\n";
    PT_CHECK(pt_write_file(path, nul_label, sizeof nul_label - 1) == 0);
    snprintf(want, sizeof want, "%s:2: label in field 'score' (column 2) holds a NUL character",
             path);
    PT_FAILS(load_yaml(&ds, SET3_A), PRLE_EFORMAT, want);
    /* beyond double range: beyond float range too, not "not a number" */
    write_split_set("a\tb\tscore\nx\ty\t1e309\n");
    snprintf(want, sizeof want,
             "%s:2: label '1e309' in field 'score' (column 2) is beyond float range", path);
    PT_FAILS(load_yaml(&ds, SET3_A), PRLE_EFORMAT, want);
    /* the label's column as a text: the model would read its answer */
    write_split_set("a\tb\tscore\nx\ty\t1\n");
    snprintf(want, sizeof want,
             "%s: data.text_fields and data.label_field both name field 'score' (column 2)", path);
    PT_FAILS(load_yaml(&ds, "data:\n" SET3 "  text_fields: [a, score]\n  label_field: score\n"),
             PRLE_EINVAL, want);
    /* lines that end in CR alone read as one line: refused, saying so */
    write_split_set("a\tb\tscore\rx\ty\t1\rz\tw\t2\r");
    snprintf(want, sizeof want, "%s: its lines end in CR alone", path);
    PT_FAILS(load_yaml(&ds, SET3_A), PRLE_EFORMAT, want);
}

static void test_dataset__bad_config(void)
{
    prle_dataset *ds = NULL;
    write_fixture("c.csv", "t,y\na,1\n");
    PT_FAILS(load_yaml(&ds, "data: {text_fields: [t], label_field: y}\n"), PRLE_EINVAL,
             "data.file and data.files are unset: set one");
    PT_FAILS(load_yaml(&ds, "data: {name: mlqe-xx-yy, text_fields: [t], label_field: y}\n"),
             PRLE_EINVAL, "'mlqe-xx-yy' is not a preset");
    PT_FAILS(load_yaml(&ds, "data: {file: c.csv, files: {train: c.csv}, text_fields: [t],"
                            " label_field: y}\n"),
             PRLE_EINVAL, "data.file and data.files are both set");
    PT_FAILS(load_yaml(&ds, "data: {files: {train: c.csv, test: c.csv}, text_fields: [t],"
                            " label_field: y}\n"),
             PRLE_EINVAL, "c.csv: 1 rows are too few for data.split.ratios: the validation split");
    PT_FAILS(load_yaml(&ds, "data: {files: {validation: c.csv, test: c.csv}, text_fields: [t],"
                            " label_field: y}\n"),
             PRLE_EINVAL, "data.files.train is not set");
    /* unset fields: the file's columns named */
    PT_FAILS(load_yaml(&ds, "data: {file: c.csv, label_field: y}\n"), PRLE_EINVAL,
             "data.text_fields is not set (one text column, or two for a pair; ");
    PT_FAILS(load_yaml(&ds, "data: {file: c.csv, label_field: y}\n"), PRLE_EINVAL,
             "c.csv has columns \"t\", \"y\")");
    PT_FAILS(load_yaml(&ds, "data: {file: c.csv, text_fields: [t]}\n"), PRLE_EINVAL,
             "data.label_field is not set (the label column; ");
    PT_FAILS(load_yaml(&ds, "data: {file: c.csv, header: false, text_fields: [0]}\n"), PRLE_EINVAL,
             "c.csv has columns 2, no header)");
    PT_FAILS(load_yaml(&ds, "data: {file: c.csv, text_fields: [t, t, t], label_field: y}\n"),
             PRLE_EINVAL, "data.text_fields has 3 fields");
    PT_FAILS(load_yaml(&ds, "data: {file: c.csv, text_fields: [t], label_field: y,"
                            " label_min: 2, label_max: 1}\n"),
             PRLE_EINVAL, "data.label_min (2) must be below data.label_max (1)");
    write_fixture("c.txt", "t,y\na,1\n");
    PT_FAILS(load_yaml(&ds, "data: {file: c.txt, text_fields: [t], label_field: y}\n"), PRLE_EINVAL,
             "c.txt: cannot tell the format from the file name; set data.format");
    mkdir(pt_tmp("folder.csv"), 0777);
    PT_FAILS(load_yaml(&ds, "data: {file: folder.csv, text_fields: [t], label_field: y}\n"),
             PRLE_EINVAL, "folder.csv: is a folder, not a data file");
    PT_FAILS(load_yaml(&ds, "data: {file: nowhere.csv, text_fields: [t], label_field: y}\n"),
             PRLE_ENOTFOUND, "nowhere.csv: No such file or directory");
    /* a missing stsb folder without download permission */
    /* a file where the data folder belongs: no download into the cache instead */
    PT_FAILS(load_yaml(&ds, "data: {name: stsb, data_dir: c.txt}\n"), PRLE_EINVAL,
             "c.txt is a file, not a folder");
    PT_FAILS(load_yaml(&ds, "data: {name: stsb, data_dir: /nonexistent/prle-data}\n"),
             PRLE_ENOTFOUND, "stsb preset: /nonexistent/prle-data/stsb does not exist");
    PT_FAILS(load_yaml(&ds, "data: {name: ruddit, data_dir: /nonexistent/prle-data}\n"),
             PRLE_ENOTFOUND,
             "ruddit preset: no folder /nonexistent/prle-data/ruddit (the data "
             "folder is data.data_dir, else $PRLE_DATA_DIR");
    PT_FAILS(load_yaml(&ds, "data: {name: mlqe-si-en, data_dir: /nonexistent/prle-data}\n"),
             PRLE_ENOTFOUND, "mlqe-si-en preset: no folder /nonexistent/prle-data/mlqe-pe");
    PT_FAILS(prle_dataset_load(&ds, NULL, 0, NULL), PRLE_EINVAL, NULL);
    prle_dataset_free(NULL);
    PT_EQ_INT(prle_dataset_n_rows(NULL, PRLE_SPLIT_TRAIN), 0);
}

int main(void)
{
    unsetenv("PRLE_DATA_DIR");
    unsetenv("PRLE_STSB_URL");
    PT_RUN(test_dataset__bad_input);
    PT_RUN(test_dataset__bad_config);
    return pt_report();
}
