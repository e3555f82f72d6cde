/* LABELS: unit io */
/* Datasets: every preset against tools/ref/dataset_ref.py and the READMEs of ../shared/data,
 * configs alone for files of one's own, the seeded split (bad input: test_dataset_errors.c). */
#include "data/dataset_internal.h"
#include "dataset_fixture.h"
#include "prle_test.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static double label_mean(const prle_dataset *ds, prle_split s)
{
    const float *y = prle_dataset_labels(ds, s);
    size_t n = prle_dataset_n_rows(ds, s);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += y[i];
    return n ? sum / (double)n : NAN;
}

/* ---- presets against the references ----------------------------------------------------- */

typedef struct ref_split {
    const char *name;
    int split;
    size_t n;
    double mean, min, max;
    size_t first_line, last_line;
    const char *rows_sha256;
} ref_split;

/* /usr/bin/python3 tools/ref/dataset_ref.py (seed 42), pasted as printed. */
static const ref_split refs[] = {
    {"stsb", 0, 5749, 2.7009990254, 0, 5, 1, 5749,
     "f81e43d147be31702ba218886aa66d824ce260840e6f7f97f7d531104bcaa355"},
    {"stsb", 1, 1500, 2.3639075556, 0, 5, 1, 1500,
     "39d724e6cbd2a83bde8a7def23b939b6a8f2c454d271e3c19cc41a91ec638adf"},
    {"stsb", 2, 1379, 2.6079166062, 0, 5, 1, 1379,
     "af1557b7a6977b189697eb9ce50cfd4f6b5aaefd2e3a5088a9f3755d96cd062b"},
    {"mlqe-en-de", 0, 7000, 85.9653333333, 1, 100, 2, 7001,
     "29a7b8ac3a7b103c4c36532ea92cde7283e077f55e128dbacd85ee1767f8c097"},
    {"mlqe-en-de", 1, 1000, 80.5606666667, 2.5, 100, 2, 1001,
     "83d707f990e3507fbe969ceea152f7ed16dec7dc10c46c06a234826e5c680e4d"},
    {"mlqe-en-de", 2, 1000, 83.4811666667, 8.666666667, 99.16666667, 2, 1001,
     "55a42874a40537ed1c0bdb50ca7eee51c25f5477e245f4c1f09a4f3aacd154a5"},
    {"mlqe-en-zh", 0, 7000, 68.6460952381, 1, 100, 2, 7001,
     "644575c817e41690431b6ffc6d2c00389fa54415a8cb7bacd0733cb84bd3ec6f"},
    {"mlqe-en-zh", 1, 1000, 64.6433333333, 26.5, 89.66666667, 2, 1001,
     "4b95f554927f40f48c0a8a51e630e6e98bf5d6e467d6a143c8b57c55141c0c79"},
    {"mlqe-en-zh", 2, 1000, 62.3120000000, 23.66666667, 86.16666667, 2, 1001,
     "ba1e737b26b13dc4bbef06629619ffba1367f070188828b49adc072ddb2d5a92"},
    {"mlqe-ro-en", 0, 7000, 68.8910476190, 1, 100, 2, 7001,
     "d27de9c29f17a111a363b40a00ccd280ee545401180214d71dfd204fb96de2be"},
    {"mlqe-ro-en", 1, 1000, 67.5955000000, 1, 100, 2, 1001,
     "b0f0b7e62756e8a70286db155008803f1a569cb4cf8030e2b6966a3e1fa2fd91"},
    {"mlqe-ro-en", 2, 1000, 68.9695000000, 1, 100, 2, 1001,
     "af9226db880c14a89a8628523ccab9c854c47dfb782c07b9050c296a5cce644c"},
    {"mlqe-ru-en", 0, 7000, 68.1954285714, 1, 100, 2, 7001,
     "79c760fc2167954ce664e88b49f64d5d68dd7e498a1aba7521329d9c7999b7c9"},
    {"mlqe-ru-en", 1, 1000, 68.0330000000, 4.666666667, 99, 2, 1001,
     "7fe9ecc430025b1b48cb9bd76040e907525cb5274f48d54694bbca907fec212a"},
    {"mlqe-ru-en", 2, 1000, 67.0270000000, 2.333333333, 99, 2, 1001,
     "3ce49e929034a7ff3c79d86fb91e832150e027c183bb7c82395682be9248466d"},
    {"mlqe-si-en", 0, 7000, 50.2616666667, 1, 100, 2, 7001,
     "1ddc2c3b381412acdcc6d0e8d26adbf518923de15bff14d1cdeb8e606a16430f"},
    {"mlqe-si-en", 1, 1000, 51.3030000000, 3, 99.33333333, 2, 1001,
     "eb532ed7ae5f78e50b9d06f3c81a2a0390067f0c54cd7783976d12176047b988"},
    {"mlqe-si-en", 2, 1000, 50.8836666667, 1.833333333, 97, 2, 1001,
     "9ce6a4cb1fbfe86dbc06c4a0b889a407767be00932552fd7cca40593ff5ee5e7"},
    {"ruddit", 0, 3960, -0.0302300505, -0.889, 0.979, 2, 11417,
     "cbe61061879f1ec7326ecebb2c4678247d9c21661511babd44b4546a0eba5c27"},
    {"ruddit", 1, 849, -0.0298327444, -0.812, 0.938, 5, 11404,
     "9101cdbfe37ba232166b7d72ad9f74924f181d69990a3de159cddb1a568e17dc"},
    {"ruddit", 2, 849, -0.0298362780, -0.812, 0.938, 8, 11403,
     "7978ed9f89f45a3986e9ac610894dd885b93a966f111948f9eb82e466e6bcf62"},
};

/* Means as the READMEs print them (MLQE-PE: verify_datasets.py's 4 decimals, its README
 * rounds to 2), and each preset's label range. */
typedef struct readme_ref {
    const char *name;
    double mean[3];
    double lo, hi;
    size_t n_texts;
} readme_ref;

static const readme_ref readme[] = {
    {"stsb", {2.7010, 2.3639, 2.6079}, 0, 5, 2},
    {"mlqe-en-de", {85.9653, 80.5607, 83.4812}, 0, 100, 2},
    {"mlqe-en-zh", {68.6461, 64.6433, 62.3120}, 0, 100, 2},
    {"mlqe-ro-en", {68.8910, 67.5955, 68.9695}, 0, 100, 2},
    {"mlqe-ru-en", {68.1954, 68.0330, 67.0270}, 0, 100, 2},
    {"mlqe-si-en", {50.2617, 51.3030, 50.8837}, 0, 100, 2},
    {"ruddit", {NAN, NAN, NAN}, -1, 1, 1},
};

static void test_dataset__presets_match_references(void)
{
    if (!pt_shared(""))
        return;
    for (size_t p = 0; p < sizeof readme / sizeof readme[0]; p++) {
        const readme_ref *rm = &readme[p];
        prle_dataset *ds = NULL;
        PT_OK(load_preset(&ds, rm->name, NULL));
        if (!ds)
            continue;
        PT_EQ_STR(prle_dataset_name(ds), rm->name);
        PT_CHECK(prle_dataset_is_preset(ds));
        PT_EQ_INT(prle_dataset_n_texts(ds), rm->n_texts);
        PT_NEAR(prle_dataset_label_min(ds), rm->lo, 0);
        PT_NEAR(prle_dataset_label_max(ds), rm->hi, 0);
        PT_EQ_INT(prle_dataset_n_skipped(ds), 0);
        PT_EQ_STR(prle_dataset_skip_reason(ds), "");
        for (int s = 0; s < PRLE_N_SPLITS; s++) {
            if (!isnan(rm->mean[s])) /* to the README's last decimal */
                PT_NEAR(label_mean(ds, (prle_split)s), rm->mean[s], 5e-5);
            const ref_split *r = NULL;
            for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++)
                if (strcmp(refs[k].name, rm->name) == 0 && refs[k].split == s)
                    r = &refs[k];
            PT_CHECK(r != NULL);
            if (!r)
                continue;
            size_t n = prle_dataset_n_rows(ds, (prle_split)s);
            PT_EQ_INT(n, r->n);
            /* float32 labels summed in double: within 1e-6 of Python's double mean */
            PT_NEAR(label_mean(ds, (prle_split)s), r->mean, 1e-6 * (1 + fabs(r->mean)));
            const float *y = prle_dataset_labels(ds, (prle_split)s);
            float lo = INFINITY, hi = -INFINITY;
            for (size_t i = 0; i < n; i++)
                lo = fminf(lo, y[i]), hi = fmaxf(hi, y[i]);
            PT_NEAR(lo, r->min, 1e-5 * (1 + fabs(r->min)));
            PT_NEAR(hi, r->max, 1e-5 * (1 + fabs(r->max)));
            PT_EQ_INT(prle_dataset_source_line(ds, (prle_split)s, 0), r->first_line);
            PT_EQ_INT(prle_dataset_source_line(ds, (prle_split)s, n - 1), r->last_line);
            const prle_dataset_split_info *in = prle_dataset_info(ds, (prle_split)s);
            /* every text byte and every float32 label, in order */
            PT_EQ_STR(in->rows_sha256, r->rows_sha256);
            PT_EQ_INT(in->n_rows, n);
            PT_EQ_STR(prle_dataset_source_file(ds, (prle_split)s, 0), in->path);
        }
        prle_dataset_free(ds);
    }
}

/* File fingerprints equal the sha256 sums and sizes the READMEs list. */
static void test_dataset__fingerprints_match_readmes(void)
{
    if (!pt_shared(""))
        return;
    prle_dataset *ds = NULL;
    PT_OK(load_preset(&ds, "stsb", NULL));
    if (ds) {
        static const char *sha[3] = {
            "0f71910b59aa1ad973c5897f0791f3b0965a92b8f82b1a95f3eea9f4162fda82",
            "5d7e944d8b02734b07bfdb5df67db3420c64bed153fcaa1ba47ad03480cf4234",
            "affe45928a66ee5a708531233c95b7dacbbdc57f974f002a3d32ea0180cf816a"};
        static const uint64_t size[3] = {901177, 255680, 282419};
        static const char *file[3] = {"/stsb/sts-train.csv", "/stsb/sts-dev.csv",
                                      "/stsb/sts-test.csv"};
        for (int s = 0; s < 3; s++) {
            const prle_dataset_split_info *in = prle_dataset_info(ds, (prle_split)s);
            PT_EQ_STR(in->sha256, sha[s]);
            PT_EQ_INT(in->size, size[s]);
            PT_CHECK(strstr(in->path, file[s]) != NULL);
            PT_EQ_INT(in->n_file_rows, in->n_rows);
            PT_EQ_INT(in->n_dropped, 0);
        }
        prle_dataset_free(ds);
    }
    PT_OK(load_preset(&ds, "ruddit", NULL));
    if (ds) {
        size_t total = 0;
        for (int s = 0; s < 3; s++) {
            const prle_dataset_split_info *in = prle_dataset_info(ds, (prle_split)s);
            PT_EQ_STR(in->sha256,
                      "149509f279363cebb3cd8e30755b45893126c6e8c1ef17c8cdeae94f057af113");
            PT_EQ_INT(in->size, 1816277);
            PT_EQ_INT(in->n_file_rows, 5658);   /* usable bodies */
            PT_EQ_INT(in->n_dropped, 313 + 29); /* [deleted] + [removed] */
            PT_EQ_INT(in->n_skipped, 0);
            total += in->n_rows;
        }
        PT_EQ_INT(total, 5658);
        double sum = 0;
        for (int s = 0; s < 3; s++)
            sum += label_mean(ds, (prle_split)s) * (double)prle_dataset_n_rows(ds, (prle_split)s);
        PT_NEAR(sum / 5658.0, -0.0301, 5e-5); /* README: usable rows mean -0.0301 */
        prle_dataset_free(ds);
    }
}

/* Ruddit's split: 70/15/15 in blocks of 20, the same for a seed, different for another,
 * every usable row in exactly one split. */
static void test_dataset__ruddit_split(void)
{
    if (!pt_shared(""))
        return;
    prle_dataset *a = NULL, *b = NULL, *c = NULL;
    PT_OK(load_preset(&a, "ruddit", NULL));
    PT_OK(load_preset(&b, "ruddit", NULL));
    PT_OK(load_preset(&c, "ruddit", "train: {seed: 7}\n"));
    if (!a || !b || !c)
        goto done;
    static unsigned char seen[20000];
    memset(seen, 0, sizeof seen);
    size_t want[3] = {3960, 849, 849};
    for (int s = 0; s < 3; s++) {
        PT_EQ_INT(prle_dataset_n_rows(a, (prle_split)s), want[s]);
        PT_EQ_INT(prle_dataset_n_rows(c, (prle_split)s), want[s]);
        PT_EQ_STR(prle_dataset_info(a, (prle_split)s)->rows_sha256,
                  prle_dataset_info(b, (prle_split)s)->rows_sha256);
        PT_CHECK(strcmp(prle_dataset_info(a, (prle_split)s)->rows_sha256,
                        prle_dataset_info(c, (prle_split)s)->rows_sha256) != 0);
        size_t prev = 0;
        for (size_t i = 0; i < want[s]; i++) {
            size_t line = prle_dataset_source_line(a, (prle_split)s, i);
            PT_CHECK(line > prev && line < sizeof seen); /* file order */
            prev = line;
            if (line < sizeof seen)
                seen[line]++;
        }
        /* stratified: each split's mean near the whole's */
        PT_NEAR(label_mean(c, (prle_split)s), -0.0301, 0.01);
    }
    size_t distinct = 0;
    for (size_t i = 0; i < sizeof seen; i++) {
        PT_CHECK(seen[i] <= 1);
        distinct += seen[i] ? 1 : 0;
    }
    PT_EQ_INT(distinct, 5658);
done:
    prle_dataset_free(a);
    prle_dataset_free(b);
    prle_dataset_free(c);
}

/* Block counts and block sizes of the split scheme (docs/config.md). */
static void test_dataset__split_scheme(void)
{
    /* a one-file CSV of 45 rows, labels 0..44 in a shuffled order, 70/15/15 stratified */
    char text[4096];
    size_t used = (size_t)snprintf(text, sizeof text, "id,text,y\n");
    for (int i = 0; i < 45; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%d,row %d,%d\n", i, i,
                                 (i * 17) % 45);
    write_fixture("split45.csv", text);
    prle_dataset *ds = NULL;
    PT_OK(load_yaml(&ds, "data: {file: split45.csv, text_fields: [text], label_field: y}\n"));
    if (!ds)
        return;
    /* blocks of 20, 20, 5: 14+3+3 twice, then 5 * (.7, .15, .15) = 3.5, .75, .75 -> 3 + 1 + 1 */
    PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN), 31);
    PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_VALIDATION), 7);
    PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TEST), 7);
    /* each block of 20 labels (0-19, 20-39) gives 3 validation and 3 test rows */
    for (int s = 1; s < 3; s++) {
        int lowblock = 0, midblock = 0;
        const float *y = prle_dataset_labels(ds, (prle_split)s);
        for (size_t i = 0; i < 7; i++)
            lowblock += y[i] < 20, midblock += y[i] >= 20 && y[i] < 40;
        PT_EQ_INT(lowblock, 3);
        PT_EQ_INT(midblock, 3);
    }
    /* label range unset: the train split's */
    const float *yt = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < 31; i++)
        lo = fminf(lo, yt[i]), hi = fmaxf(hi, yt[i]);
    PT_NEAR(prle_dataset_label_min(ds), lo, 0);
    PT_NEAR(prle_dataset_label_max(ds), hi, 0);
    prle_dataset_free(ds);

    /* not stratified, 80/10/10: one block, counts 36/4.5/4.5 -> 36 + 5 + 4 (ties to lower) */
    PT_OK(load_yaml(&ds, "data: {file: split45.csv, text_fields: [1], label_field: 2,\n"
                         "  split: {ratios: [0.8, 0.1, 0.1], stratify: false}}\n"));
    if (ds) {
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN), 36);
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_VALIDATION), 5);
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TEST), 4);
        prle_dataset_free(ds);
    }
    /* a ratio of 0 leaves its split empty; too few rows for a positive ratio is an error */
    PT_OK(load_yaml(&ds, "data: {file: split45.csv, text_fields: [text], label_field: y,\n"
                         "  split: {ratios: [0.9, 0.1, 0]}}\n"));
    if (ds) {
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TEST), 0);
        PT_CHECK(prle_dataset_labels(ds, PRLE_SPLIT_TEST) == NULL);
        PT_CHECK(prle_dataset_texts(ds, PRLE_SPLIT_TEST, 0) == NULL);
        prle_dataset_free(ds);
    }
    /* labels single precision cannot hold to 1 % of their spread: refused, naming the file */
    write_fixture("offset.csv", "text,y\na,1000000000\nb,1000000003\nc,1000000001\nd,1000000005\n"
                                "e,1000000002\nf,1000000004\ng,1000000000\nh,1000000003\n");
    PT_FAILS(load_yaml(&ds, "data: {file: offset.csv, text_fields: [text], label_field: y}\n"),
             PRLE_EINVAL, "offset.csv: the training labels lie around 1e+09 and span only");
    /* a train share of 0 is named as such, not as an empty label range [inf, -inf] */
    PT_FAILS(load_yaml(&ds, "data: {file: split45.csv, text_fields: [text], label_field: y,\n"
                            "  split: {ratios: [0, 0.5, 0.5]}}\n"),
             PRLE_EINVAL, "the train split has no rows: data.split.ratios gives it no share of");
    write_fixture("split2.csv", "text,y\na,1\nb,2\n");
    PT_FAILS(load_yaml(&ds, "data: {file: split2.csv, text_fields: [text], label_field: y}\n"),
             PRLE_EINVAL, "split2.csv: 2 rows are too few for data.split.ratios");
}

/* Split files not given are cut from the training file by their data.split.ratios shares, as
 * data.file is cut: a test file alone beside it gives the validation rows that the training
 * file as data.file with ratios [0.85, 0.15, 0] gives (the same seeded assignment); a training
 * file alone is data.file; a missing split without a share is an error. */
static void test_dataset__split_cut_from_train(void)
{
    char text[4096];
    size_t used = (size_t)snprintf(text, sizeof text, "text,y\n");
    for (int i = 0; i < 45; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "row %d,%d\n", i, (i * 17) % 45);
    write_fixture("cut45.csv", text);
    write_fixture("cut-test.csv", "text,y\nt1,1\nt2,2\nt3,3\n");
    prle_dataset *a = NULL, *b = NULL;
    PT_OK(load_yaml(&a, "data: {files: {train: cut45.csv, test: cut-test.csv}, text_fields: "
                        "[text], label_field: y}\n"));
    PT_OK(load_yaml(&b, "data: {file: cut45.csv, text_fields: [text], label_field: y,\n"
                        "  split: {ratios: [0.85, 0.15, 0]}}\n"));
    if (a && b) {
        /* blocks of 20: 17 + 3 twice, then 5 * (.85, .15) = 4.25, .75 -> 4 + 1 */
        PT_EQ_INT(prle_dataset_n_rows(a, PRLE_SPLIT_TRAIN), 38);
        PT_EQ_INT(prle_dataset_n_rows(a, PRLE_SPLIT_VALIDATION), 7);
        PT_EQ_INT(prle_dataset_n_rows(a, PRLE_SPLIT_TEST), 3);
        for (int s = 0; s < 2; s++) {
            size_t n = prle_dataset_n_rows(a, (prle_split)s);
            PT_EQ_INT(prle_dataset_n_rows(b, (prle_split)s), n);
            for (size_t i = 0; i < n && i < prle_dataset_n_rows(b, (prle_split)s); i++) {
                PT_EQ_STR(prle_dataset_text(a, (prle_split)s, i, 0),
                          prle_dataset_text(b, (prle_split)s, i, 0));
                PT_CHECK(prle_dataset_source_line(a, (prle_split)s, i) ==
                         prle_dataset_source_line(b, (prle_split)s, i));
            }
        }
        PT_EQ_STR(prle_dataset_text(a, PRLE_SPLIT_TEST, 2, 0), "t3");
        const prle_dataset_split_info *tr = prle_dataset_info(a, PRLE_SPLIT_TRAIN);
        const prle_dataset_split_info *va = prle_dataset_info(a, PRLE_SPLIT_VALIDATION);
        const prle_dataset_split_info *te = prle_dataset_info(a, PRLE_SPLIT_TEST);
        PT_EQ_STR(va->path, tr->path);
        PT_CHECK(strcmp(te->path, tr->path) != 0 && va->n_file_rows == 45);
        PT_CHECK(strcmp(va->rows_sha256, tr->rows_sha256) != 0);
    }
    prle_dataset_free(a), prle_dataset_free(b);
    /* the training file alone: the three splits data.file gives */
    PT_OK(
        load_yaml(&a, "data: {files: {train: cut45.csv}, text_fields: [text], label_field: y}\n"));
    PT_OK(load_yaml(&b, "data: {file: cut45.csv, text_fields: [text], label_field: y}\n"));
    for (int s = 0; a && b && s < 3; s++) {
        size_t n = prle_dataset_n_rows(a, (prle_split)s);
        PT_EQ_INT(prle_dataset_n_rows(b, (prle_split)s), n);
        PT_CHECK(n == 0 || !memcmp(prle_dataset_labels(a, (prle_split)s),
                                   prle_dataset_labels(b, (prle_split)s), n * sizeof(float)));
    }
    prle_dataset_free(a), prle_dataset_free(b);
    PT_FAILS(load_yaml(&a,
                       "data: {files: {train: cut45.csv, validation: cut-test.csv}, "
                       "text_fields: [text], label_field: y, split: {ratios: [0.9, 0.1, 0]}}\n"),
             PRLE_EINVAL, "data.files.test is not set and data.split.ratios gives it no share");
}

/* ---- configs alone ---------------------------------------------------------------------- */

static void test_dataset__tsv_with_header_from_config(void)
{
    /* raw quotes with quoting off, a CRLF line, a blank line, non-ASCII, an empty text */
    write_fixture("pairs-train.tsv", "id\tfirst\tsecond\tscore\n"
                                     "1\t\"Then the captain was gone.\tHe left.\t4.5\n"
                                     "2\tnaïve café\t日本語\t0\r\n"
                                     "\n"
                                     "3\ta \"quoted\" word\t\t 10 \n");
    write_fixture("pairs-dev.tsv", "id\tfirst\tsecond\tscore\n7\tx\ty\t11.5\n");
    write_fixture("pairs-test.tsv", "id\tfirst\tsecond\tscore\n8\tu\tv\t-1e-1\n");
    prle_dataset *ds = NULL;
    PT_OK(load_yaml(&ds, "data:\n"
                         "  name: paraphrase-pairs\n"
                         "  format: tsv\n"
                         "  header: true\n"
                         "  quoting: false\n"
                         "  files: {train: pairs-train.tsv, validation: pairs-dev.tsv,\n"
                         "          test: pairs-test.tsv}\n"
                         "  text_fields: [first, 2]\n"
                         "  label_field: score\n"
                         "  label_min: 0\n"
                         "  label_max: 10\n"));
    if (!ds)
        return;
    PT_EQ_STR(prle_dataset_name(ds), "paraphrase-pairs");
    char title[32];
    PT_EQ_STR(prle_dataset_title(ds, title, sizeof title), "paraphrase-pairs");
    PT_CHECK(!prle_dataset_is_preset(ds));
    PT_EQ_INT(prle_dataset_n_texts(ds), 2);
    PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN), 3);
    PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 0, 0), "\"Then the captain was gone.");
    PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 0, 1), "He left.");
    PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 1, 0), "naïve café");
    PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 1, 1), "日本語");
    PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 2, 0), "a \"quoted\" word");
    PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 2, 1), "");
    PT_CHECK(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 3, 0) == NULL);
    PT_CHECK(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 0, 2) == NULL);
    const float *y = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    PT_NEAR(y[0], 4.5, 0);
    PT_NEAR(y[1], 0, 0);
    PT_NEAR(y[2], 10, 0);
    PT_NEAR(prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION)[0], 11.5, 0); /* above max: kept */
    PT_NEAR(prle_dataset_labels(ds, PRLE_SPLIT_TEST)[0], -0.1f, 0);      /* below min: kept */
    PT_NEAR(prle_dataset_label_min(ds), 0, 0);
    PT_NEAR(prle_dataset_label_max(ds), 10, 0);
    PT_EQ_INT(prle_dataset_source_line(ds, PRLE_SPLIT_TRAIN, 0), 2);
    PT_EQ_INT(prle_dataset_source_line(ds, PRLE_SPLIT_TRAIN, 2), 5); /* after the blank line */
    PT_CHECK(strstr(prle_dataset_source_file(ds, PRLE_SPLIT_TEST, 0), "/pairs-test.tsv"));
    const char *const *second = prle_dataset_texts(ds, PRLE_SPLIT_TRAIN, 1);
    PT_CHECK(second && strcmp(second[1], "日本語") == 0);
    char **joined = NULL;
    PT_OK(prle_dataset_join_texts(&joined, ds, PRLE_SPLIT_TRAIN, "[SEP]"));
    if (joined) {
        PT_EQ_STR(joined[0], "\"Then the captain was gone. [SEP] He left.");
        PT_EQ_STR(joined[2], "a \"quoted\" word [SEP] ");
    }
    prle_dataset_texts_free(joined, 3);
    PT_EQ_STR(prle_split_name(PRLE_SPLIT_VALIDATION), "validation");
    PT_EQ_STR(prle_split_name((prle_split)9), "?");
    PT_CHECK(prle_dataset_info(ds, (prle_split)3) == NULL);
    prle_dataset_free(ds);

    /* the format from the extension, header and quoting from the format's defaults */
    PT_OK(load_yaml(&ds, "data:\n  files: {train: pairs-train.tsv, validation: pairs-dev.tsv, "
                         "test: pairs-test.tsv}\n  text_fields: [second]\n  label_field: 3\n"));
    if (ds) {
        PT_EQ_INT(prle_dataset_n_texts(ds), 1);
        PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 0, 0), "He left.");
        PT_NEAR(prle_dataset_label_max(ds), 10, 0); /* unset: the train labels' range */
        PT_NEAR(prle_dataset_label_min(ds), 0, 0);
        prle_dataset_free(ds);
    }
}

static void test_dataset__csv_and_jsonl(void)
{
    write_fixture("one.csv", "text,label\n\"multi\nline, with comma\",1\nplain,2\n\"x\",3\n");
    write_fixture("one.jsonl", "{\"t\": \"a\", \"y\": 1.5}\n{\"y\": 2, \"t\": \"b\\nc\"}\n"
                               "{\"t\": \"d\", \"y\": \"3\"}\n");
    prle_dataset *ds = NULL;
    PT_OK(load_yaml(&ds, "data:\n  files: {train: one.csv, validation: one.jsonl, test: one.csv}\n"
                         "  text_fields: [0]\n  label_field: 1\n"));
    /* jsonl columns by number follow the keys' first appearance: t, y */
    if (ds) {
        PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, 0, 0), "multi\nline, with comma");
        PT_EQ_INT(prle_dataset_source_line(ds, PRLE_SPLIT_TRAIN, 1), 4);
        PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_VALIDATION, 1, 0), "b\nc");
        PT_NEAR(prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION)[2], 3, 0);
        /* no data.name: messages name the training file, cut to the buffer */
        char title[32], cut[12];
        PT_EQ_STR(prle_dataset_name(ds), "");
        PT_EQ_STR(prle_dataset_title(ds, title, sizeof title), "unnamed, from one.csv");
        PT_EQ_STR(prle_dataset_title(ds, cut, sizeof cut), "unnamed, fr");
        prle_dataset_free(ds);
    }
    PT_OK(load_yaml(&ds,
                    "data:\n  file: one.jsonl\n  text_fields: [t]\n  label_field: y\n"
                    "  split: {ratios: [0.34, 0.33, 0.33]}\n  label_min: 0\n  label_max: 5\n"));
    if (ds) {
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN), 1);
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_VALIDATION), 1);
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TEST), 1);
        prle_dataset_free(ds);
    }
    /* *.json: the same rows as one JSON array of objects, each row's line where it starts */
    write_fixture("one.json", "[\n  {\"t\": \"a\", \"y\": 1.5},\n  {\"y\": 2, \"t\": \"b\\nc\"},\n"
                              "  {\"t\": \"d\", \"y\": \"3\"}\n]\n");
    PT_OK(load_yaml(&ds,
                    "data:\n  files: {train: one.json, validation: one.jsonl, test: one.json}\n"
                    "  text_fields: [t]\n  label_field: y\n"));
    if (ds) {
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN), 3);
        for (size_t i = 0; i < 3; i++)
            PT_EQ_STR(prle_dataset_text(ds, PRLE_SPLIT_TRAIN, i, 0),
                      prle_dataset_text(ds, PRLE_SPLIT_VALIDATION, i, 0));
        PT_EQ_INT(prle_dataset_source_line(ds, PRLE_SPLIT_TRAIN, 2), 4);
        PT_NEAR(prle_dataset_labels(ds, PRLE_SPLIT_TEST)[2], 3, 0);
        prle_dataset_free(ds);
    }
}

/* Keys set in the config win over the preset's. */
static void test_dataset__config_overrides_preset(void)
{
    if (!pt_shared(""))
        return;
    prle_dataset *ds = NULL;
    PT_OK(
        load_preset(&ds, "mlqe-en-de", "  label_field: z_mean\n  label_min: -8\n  label_max: 3\n"));
    if (ds) {
        PT_NEAR(label_mean(ds, PRLE_SPLIT_TRAIN), -0.0076, 5e-5); /* README z_mean */
        PT_NEAR(label_mean(ds, PRLE_SPLIT_VALIDATION), -0.0493, 5e-5);
        PT_NEAR(prle_dataset_label_min(ds), -8, 0);
        PT_NEAR(prle_dataset_label_max(ds), 3, 0);
        prle_dataset_free(ds);
    }
    /* a split file set in the config replaces only that split's preset file */
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "  label_max: 6\n  files: {test: %s/stsb/sts-test.csv}\n",
             pt_shared(""));
    PT_OK(load_preset(&ds, "STSB", yaml));
    if (ds) {
        PT_EQ_STR(prle_dataset_name(ds), "stsb");
        PT_NEAR(prle_dataset_label_max(ds), 6, 0);
        PT_NEAR(prle_dataset_label_min(ds), 0, 0);
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TEST), 1379);
        prle_dataset_free(ds);
    }
    /* the data folder from PRLE_DATA_DIR when data.data_dir is unset */
    setenv("PRLE_DATA_DIR", pt_shared(""), 1);
    PT_OK(load_yaml(&ds, "data: {name: mlqe-ro-en}\n"));
    unsetenv("PRLE_DATA_DIR");
    if (ds) {
        PT_EQ_INT(prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN), 7000);
        PT_EQ_STR(prle_dataset_name(ds), "mlqe-ro-en");
        prle_dataset_free(ds);
    }
}

/* ---- bad input: one line naming file, line and field ------------------------------------ */

/* validation and test rows that repeat a training row's texts, every field, exactly */
static void test_dataset__overlap(void)
{
    prle_dataset *ds = NULL;
    write_fixture("ov-train.tsv", "s1\ts2\ty\nab\tc\t1\nx\ty\t2\nx\ty\t3\n");
    write_fixture("ov-dev.tsv", "s1\ts2\ty\na\tbc\t1\nx\ty\t2\nx\ty \t2\n");
    write_fixture("ov-test.tsv", "s1\ts2\ty\nab\tc\t1\nab\tc\t2\nc\tab\t3\nx\ty\t4\n");
    PT_OK(load_yaml(&ds, "data:\n  files: {train: ov-train.tsv, validation: ov-dev.tsv, "
                         "test: ov-test.tsv}\n  text_fields: [s1, s2]\n  label_field: y\n"));
    size_t same[PRLE_N_SPLITS] = {9, 9, 9};
    PT_OK(prle__dataset_overlap(same, ds));
    PT_EQ_INT(same[PRLE_SPLIT_TRAIN], 0);
    PT_EQ_INT(same[PRLE_SPLIT_VALIDATION], 1); /* ("a", "bc") is not ("ab", "c"); "y " not "y" */
    PT_EQ_INT(same[PRLE_SPLIT_TEST], 3);       /* the pair in the other order is another pair */
    prle_dataset_free(ds);
}

int main(void)
{
    unsetenv("PRLE_DATA_DIR");
    unsetenv("PRLE_STSB_URL");
    PT_RUN(test_dataset__presets_match_references);
    PT_RUN(test_dataset__fingerprints_match_readmes);
    PT_RUN(test_dataset__ruddit_split);
    PT_RUN(test_dataset__split_scheme);
    PT_RUN(test_dataset__split_cut_from_train);
    PT_RUN(test_dataset__tsv_with_header_from_config);
    PT_RUN(test_dataset__csv_and_jsonl);
    PT_RUN(test_dataset__config_overrides_preset);
    PT_RUN(test_dataset__overlap);
    return pt_report();
}
