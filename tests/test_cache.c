/* The embedding cache and the text construction of prle_embed (SPEC.md §2-§3).
 * LABELS: unit io */
#include <sys/stat.h>
#include <unistd.h>

#include "encode/embed_internal.h"
#include "prle_test.h"

/* A small paraphrase-style TSV dataset with a header, written by the test. */
static const char *const train_rows[] = {
    "a man is playing a guitar\ta man plays the guitar\t4.5",
    "a woman slices an onion\tsomeone is cutting an onion\t3.8",
    "the cat sleeps\ta dog barks loudly\t0.2",
    "children play in the park\tkids are playing outside\t4.0",
    "...\t!!!\t1.0", /* no word at all on either side */
    "the stock market fell\tshares dropped sharply today\t3.1",
};
static const char *const valid_rows[] = {
    "a man plays a flute\ta man is playing the flute\t4.8",
    "birds fly south\tthe train is late\t0.1",
};
static const char *const test_rows[] = {
    "a girl rides a horse\ta horse is ridden by a girl\t4.9",
    "zebra quantum teapot\t???\t0.0",
    "the sun rises\tthe sun sets\t1.5",
};

static void write_tsv(const char *path, const char *const *rows, size_t n, const char *extra)
{
    FILE *f = fopen(path, "wb");
    PT_CHECK(f != NULL);
    if (!f)
        return;
    fputs("s1\ts2\tscore\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", rows[i]);
    if (extra)
        fputs(extra, f);
    fclose(f);
}

static void write_fixture(void)
{
    write_tsv(pt_tmp("cache_train.tsv"), train_rows, 6, NULL);
    write_tsv(pt_tmp("cache_valid.tsv"), valid_rows, 2, NULL);
    write_tsv(pt_tmp("cache_test.tsv"), test_rows, 3, NULL);
}

/* A config for the fixture with its cache in `dir` (under PRLE_TEST_TMP), plus overrides. */
static int load_config(prle_config *cfg, const char *dir, const char *const *over, size_t n)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "data:\n  name: fixture\n  format: tsv\n  header: true\n"
             "  files: {train: %s, validation: %s, test: %s}\n"
             "  text_fields: [s1, s2]\n  label_field: score\n  label_min: 0\n  label_max: 5\n"
             "  embedding_cache_dir: %s\n"
             "model:\n  encoder_type: hashing\n  hidden_dim: 16\ntrain:\n  seed: 3\n"
             "  threads: 2\n",
             pt_tmp("cache_train.tsv"), pt_tmp("cache_valid.tsv"), pt_tmp("cache_test.tsv"),
             pt_tmp(dir));
    int err = prle_config_load_string(cfg, yaml, strlen(yaml), "fixture.yaml", NULL);
    for (size_t i = 0; err == 0 && i < n; i++)
        err = prle_config_override(cfg, over[i]);
    return err;
}

static prle_dataset *load_dataset(const prle_config *cfg)
{
    prle_dataset *ds = NULL;
    PT_OK(prle_dataset_load(&ds, &cfg->data, cfg->train.seed, NULL));
    return ds;
}

static void rm_cache(const char *dir)
{
    const char *files[] = {"train_embeds.npy", "validation_embeds.npy", "test_embeds.npy",
                           PRLE_EMBED_MANIFEST};
    char p[1200];
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", pt_tmp(dir), files[i]);
        unlink(p);
    }
}

static bool exists_in(const char *dir, const char *name)
{
    char p[1200];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", pt_tmp(dir), name);
    return stat(p, &st) == 0;
}

/* [u, v, u+v, |u−v|, u⊙v] against values written out by hand. */
static void test_cache__pair_features(void)
{
    prle_matrix u = {0}, v = {0}, f = {0};
    PT_OK(prle_matrix_alloc(&u, 2, 2));
    PT_OK(prle_matrix_alloc(&v, 2, 2));
    const float a[] = {1, -2, 0.5f, 3}, b[] = {4, 1, -0.5f, 3};
    memcpy(u.data, a, sizeof a);
    memcpy(v.data, b, sizeof b);
    PT_OK(prle__pair_features(&f, &u, &v, 1));
    const float want[2][10] = {{1, -2, 4, 1, 5, -1, 3, 3, 4, -2},
                               {0.5f, 3, -0.5f, 3, 0, 6, 1, 0, -0.25f, 9}};
    PT_EQ_INT(f.cols, 10);
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 10; j++)
            PT_NEAR(prle_matrix_row(&f, i)[j], want[i][j], 0);
    prle_matrix_dispose(&f);
    prle_matrix w = {0};
    PT_OK(prle_matrix_alloc(&w, 2, 3));
    PT_FAILS(prle__pair_features(&f, &u, &w, 1), PRLE_ESHAPE, "(2, 3)");
    prle_matrix_dispose(&u), prle_matrix_dispose(&v), prle_matrix_dispose(&w);
}

/* The cached pair features equal the encoder's output on each side, byte for byte. */
static void check_values(const prle_config *cfg, const prle_dataset *ds, bool combine)
{
    prle_encoder *enc = NULL;
    PT_OK(prle_encoder_new(&enc, cfg));
    if (!enc)
        return;
    size_t n = prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN);
    const char **fit = malloc(2 * n * sizeof *fit);
    char **joined = NULL;
    for (size_t f = 0; f < 2; f++)
        memcpy(fit + f * n, prle_dataset_texts(ds, PRLE_SPLIT_TRAIN, f), n * sizeof *fit);
    if (combine) {
        PT_OK(prle_dataset_join_texts(&joined, ds, PRLE_SPLIT_TRAIN, "[SEP]"));
        PT_EQ_STR(joined[0], "a man is playing a guitar [SEP] a man plays the guitar");
        PT_OK(prle_encoder_fit(enc, (const char *const *)joined, n));
    } else {
        PT_OK(prle_encoder_fit(enc, fit, 2 * n));
    }
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        prle_matrix want = {0}, got = {0}, u = {0}, v = {0};
        size_t rows = prle_dataset_n_rows(ds, (prle_split)s);
        if (combine) {
            char **js = NULL;
            PT_OK(prle_dataset_join_texts(&js, ds, (prle_split)s, "[SEP]"));
            PT_OK(prle_encoder_encode(&want, enc, (const char *const *)js, rows, NULL));
            prle_dataset_texts_free(js, rows);
        } else {
            PT_OK(
                prle_encoder_encode(&u, enc, prle_dataset_texts(ds, (prle_split)s, 0), rows, NULL));
            PT_OK(
                prle_encoder_encode(&v, enc, prle_dataset_texts(ds, (prle_split)s, 1), rows, NULL));
            PT_OK(prle__pair_features(&want, &u, &v, 1));
        }
        PT_OK(prle_embed_load(&got, cfg, ds, (prle_split)s));
        PT_EQ_INT(got.rows, want.rows);
        PT_EQ_INT(got.cols, want.cols);
        if (got.rows == want.rows && got.cols == want.cols)
            PT_CHECK(memcmp(got.data, want.data, got.rows * got.cols * sizeof(float)) == 0);
        prle_matrix_dispose(&want), prle_matrix_dispose(&got);
        prle_matrix_dispose(&u), prle_matrix_dispose(&v);
    }
    prle_dataset_texts_free(joined, n);
    free(fit);
    prle_encoder_free(enc);
}

/* Built once, reused the second time, values equal to a direct encoding. */
static void test_cache__build_then_reuse(void)
{
    prle_config cfg;
    prle_embed_report r1 = {0}, r2 = {0};
    write_fixture();
    rm_cache("cache_a");
    PT_OK(load_config(&cfg, "cache_a", NULL, 0));
    prle_dataset *ds = load_dataset(&cfg);
    if (!ds)
        return;
    PT_OK(prle_embed(&r1, &cfg, ds, NULL));
    PT_CHECK(!r1.reused && !r1.stale && !r1.is_input);
    PT_EQ_STR(r1.reason, "no cache yet");
    const size_t rows[] = {6, 2, 3}, empty[] = {2, 0, 1};
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        PT_EQ_INT(r1.splits[s].rows, rows[s]);
        PT_EQ_INT(r1.splits[s].cols, 5 * 16);
        PT_EQ_INT(r1.splits[s].n_texts, 2 * rows[s]);
        PT_EQ_INT(r1.splits[s].n_empty, empty[s]);
    }
    PT_CHECK(exists_in("cache_a", PRLE_EMBED_MANIFEST));
    check_values(&cfg, ds, false);

    char *train = NULL;
    PT_OK(prle_embed_path(&train, &cfg, PRLE_SPLIT_TRAIN));
    size_t len0 = 0;
    char *before = (char *)pt_slurp(train, &len0);
    PT_OK(prle_embed(&r2, &cfg, ds, NULL));
    PT_CHECK(r2.reused && !r2.stale);
    PT_CHECK(r2.reason == NULL);
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        PT_EQ_INT(r2.splits[s].rows, r1.splits[s].rows);
        PT_EQ_INT(r2.splits[s].cols, r1.splits[s].cols);
        PT_EQ_INT(r2.splits[s].n_empty, r1.splits[s].n_empty);
        PT_NEAR(r2.splits[s].seconds, 0, 0);
    }
    size_t len1 = 0;
    char *after = (char *)pt_slurp(train, &len1);
    PT_CHECK(before && after && len0 == len1 && memcmp(before, after, len0) == 0);
    free(before), free(after), free(train);
    prle_embed_report_dispose(&r1);
    prle_embed_report_dispose(&r2);
    prle_embed_report_dispose(&r2); /* a zeroed report is left as it is */
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
}

/* Runs prle_embed on cache_a with `over` and checks it rebuilt, saying `why`. */
static void expect_rebuild(const char *const *over, size_t n, const char *why, bool stale)
{
    prle_config cfg;
    prle_embed_report r = {0};
    PT_OK(load_config(&cfg, "cache_a", over, n));
    prle_dataset *ds = load_dataset(&cfg);
    if (!ds) {
        prle_config_dispose(&cfg);
        return;
    }
    PT_OK(prle_embed(&r, &cfg, ds, NULL));
    PT_CHECK(!r.reused);
    PT_CHECK(r.stale == stale);
    if (!r.reason || !strstr(r.reason, why))
        PT_FAIL_AT("reason \"%s\" lacks \"%s\"", r.reason ? r.reason : "(null)", why);
    prle_embed_report_dispose(&r);
    /* and the rebuilt cache is then reused */
    PT_OK(prle_embed(&r, &cfg, ds, NULL));
    PT_CHECK(r.reused);
    prle_embed_report_dispose(&r);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
}

static void corrupt_byte(const char *dir, const char *name, long off)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", pt_tmp(dir), name);
    FILE *f = fopen(p, "r+b");
    PT_CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, off, SEEK_END);
    int c = fgetc(f);
    fseek(f, off, SEEK_END);
    fputc(c ^ 0x01, f);
    fclose(f);
}

/* Every change to what the cache depends on rebuilds it, with a reason. */
static void test_cache__rebuilds(void)
{
    const char *dim[] = {"model.hidden_dim=24"};
    const char *seed[] = {"train.seed=4"};
    const char *comb[] = {"data.combine_fields=true"};
    const char *tok[] = {"data.combine_fields=true", "data.combine_separator_token=<s>"};
    const char *tok_unused[] = {"data.combine_separator_token=<s>"};
    write_fixture();
    rm_cache("cache_a");
    expect_rebuild(NULL, 0, "no cache yet", false);
    expect_rebuild(dim, 1, "encoder settings changed", true);
    expect_rebuild(NULL, 0, "dim=16", true);
    expect_rebuild(seed, 1, "seed=4", true);
    expect_rebuild(NULL, 0, "seed=3", true);
    expect_rebuild(comb, 1, "text construction changed", true);
    expect_rebuild(tok, 2, "text construction changed", true);
    expect_rebuild(tok_unused, 1, "text construction changed", true); /* back to pairs */
    { /* the separator does not matter for pair features: reused */
        prle_config cfg;
        prle_embed_report r = {0};
        PT_OK(load_config(&cfg, "cache_a", NULL, 0));
        prle_dataset *ds = load_dataset(&cfg);
        PT_OK(prle_embed(&r, &cfg, ds, NULL));
        PT_CHECK(r.reused);
        prle_embed_report_dispose(&r);
        prle_dataset_free(ds);
        prle_config_dispose(&cfg);
    }

    /* a changed data file */
    write_tsv(pt_tmp("cache_valid.tsv"), valid_rows, 2, "one more\tpair of texts\t2.0\n");
    expect_rebuild(NULL, 0, "validation data file", true);
    write_fixture();
    expect_rebuild(NULL, 0, "validation data file", true);

    /* a damaged .npy, a missing one, a missing or broken manifest */
    corrupt_byte("cache_a", "test_embeds.npy", -3);
    expect_rebuild(NULL, 0, "test_embeds.npy does not match the manifest", true);
    char p[1200];
    snprintf(p, sizeof p, "%s/validation_embeds.npy", pt_tmp("cache_a"));
    unlink(p);
    expect_rebuild(NULL, 0, "validation_embeds.npy is missing", true);
    snprintf(p, sizeof p, "%s/%s", pt_tmp("cache_a"), PRLE_EMBED_MANIFEST);
    unlink(p);
    expect_rebuild(NULL, 0, "missing beside existing .npy files", true);
    pt_write_file(p, "{\"format\": ", 11);
    expect_rebuild(NULL, 0, "manifest is unreadable", true);
    pt_write_file(p, "{\"format\": \"other\"}", 19);
    expect_rebuild(NULL, 0, "not a version 1", true);

    /* the combined texts encode the joined strings */
    prle_config cfg;
    PT_OK(load_config(&cfg, "cache_a", comb, 1));
    prle_dataset *ds = load_dataset(&cfg);
    prle_embed_report r = {0};
    PT_OK(prle_embed(&r, &cfg, ds, NULL));
    PT_EQ_INT(r.splits[0].cols, 16);
    PT_EQ_INT(r.splits[0].n_texts, 6);
    PT_EQ_INT(r.splits[0].n_empty, 0); /* "... [SEP] !!!" has the word "sep" */
    check_values(&cfg, ds, true);
    prle_embed_report_dispose(&r);
    prle_embed_params ep = prle_embed_default_params();
    ep.force = true;
    PT_OK(prle_embed(&r, &cfg, ds, &ep));
    PT_CHECK(!r.reused && r.stale);
    PT_EQ_STR(r.reason, "a rebuild was asked for");
    prle_embed_report_dispose(&r);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
}

static bool stop_at_test(const prle_progress *p, void *ud)
{
    (void)ud;
    return strcmp(p->stage, "embed:test") != 0;
}

/* A build stopped half-way leaves no cache and no .npy it wrote; nothing looks complete. */
static void test_cache__abort_leaves_nothing(void)
{
    prle_config cfg;
    prle_embed_report r = {0};
    write_fixture();
    rm_cache("cache_b");
    PT_OK(load_config(&cfg, "cache_b", NULL, 0));
    prle_dataset *ds = load_dataset(&cfg);
    prle_embed_params ep = prle_embed_default_params();
    ep.progress = stop_at_test;
    PT_FAILS(prle_embed(&r, &cfg, ds, &ep), PRLE_EABORTED, "embed:test");
    PT_CHECK(r.encoder == NULL);
    PT_CHECK(!exists_in("cache_b", PRLE_EMBED_MANIFEST));
    PT_CHECK(!exists_in("cache_b", "train_embeds.npy"));
    PT_CHECK(!exists_in("cache_b", "validation_embeds.npy"));
    PT_CHECK(!exists_in("cache_b", "test_embeds.npy"));
    /* over an existing cache: its manifest goes first */
    PT_OK(prle_embed(&r, &cfg, ds, NULL));
    prle_embed_report_dispose(&r);
    ep.force = true;
    PT_FAILS(prle_embed(&r, &cfg, ds, &ep), PRLE_EABORTED, NULL);
    PT_CHECK(!exists_in("cache_b", PRLE_EMBED_MANIFEST));
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
}

/* Same config: byte-identical .npy files and manifests in two folders and at 1 or 2 threads. */
static void test_cache__deterministic(void)
{
    const char *one[] = {"train.threads=1"};
    const char *dirs[] = {"cache_c", "cache_d"};
    write_fixture();
    for (int i = 0; i < 2; i++) {
        prle_config cfg;
        prle_embed_report r = {0};
        rm_cache(dirs[i]);
        PT_OK(load_config(&cfg, dirs[i], one, i == 0 ? 1 : 0));
        prle_dataset *ds = load_dataset(&cfg);
        PT_OK(prle_embed(&r, &cfg, ds, NULL));
        prle_embed_report_dispose(&r);
        prle_dataset_free(ds);
        prle_config_dispose(&cfg);
    }
    const char *files[] = {"train_embeds.npy", "validation_embeds.npy", "test_embeds.npy",
                           PRLE_EMBED_MANIFEST};
    for (size_t i = 0; i < 4; i++) {
        char a[1200], b[1200];
        snprintf(a, sizeof a, "%s/%s", pt_tmp("cache_c"), files[i]);
        snprintf(b, sizeof b, "%s/%s", pt_tmp("cache_d"), files[i]);
        if (!pt_files_equal(a, b))
            PT_FAIL_AT("%s differs between runs", files[i]);
    }
}

/* One text per row: width d, one text per row. */
static void test_cache__single_text(void)
{
    const char *over[] = {"data.text_fields=[s2]"};
    prle_config cfg;
    prle_embed_report r = {0};
    write_fixture();
    rm_cache("cache_e");
    PT_OK(load_config(&cfg, "cache_e", over, 1));
    prle_dataset *ds = load_dataset(&cfg);
    PT_OK(prle_embed(&r, &cfg, ds, NULL));
    PT_EQ_INT(r.splits[0].cols, 16);
    PT_EQ_INT(r.splits[0].n_texts, 6);
    PT_EQ_INT(r.splits[0].n_empty, 1);
    PT_EQ_INT(r.splits[1].n_empty, 0);
    PT_EQ_INT(r.splits[2].n_empty, 1);
    prle_embed_report_dispose(&r);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
}

static void save_rows(const char *dir, const char *name, size_t rows, size_t cols)
{
    prle_matrix m = {0};
    char p[1200];
    PT_OK(prle_matrix_alloc(&m, rows, cols));
    for (size_t i = 0; i < rows * cols; i++)
        m.data[i] = (float)i;
    snprintf(p, sizeof p, "%s/%s", pt_tmp(dir), name);
    PT_OK(prle_npy_save(p, &m));
    prle_matrix_dispose(&m);
}

/* encoder_type npy: inputs checked against the splits, never written. */
static void test_cache__npy_inputs(void)
{
    const char *over[] = {"model.encoder_type=npy"};
    prle_config cfg;
    prle_embed_report r = {0};
    write_fixture();
    rm_cache("cache_f");
    mkdir(pt_tmp("cache_f"), 0777);
    PT_OK(load_config(&cfg, "cache_f", over, 1));
    prle_dataset *ds = load_dataset(&cfg);
    PT_FAILS(prle_embed(&r, &cfg, ds, NULL), PRLE_ENOTFOUND, "train_embeds.npy");
    save_rows("cache_f", "train_embeds.npy", 6, 7);
    save_rows("cache_f", "validation_embeds.npy", 2, 7);
    save_rows("cache_f", "test_embeds.npy", 4, 7);
    PT_FAILS(prle_embed(&r, &cfg, ds, NULL), PRLE_ESHAPE, "test_embeds.npy: 4 rows, the test");
    save_rows("cache_f", "test_embeds.npy", 3, 5);
    PT_FAILS(prle_embed(&r, &cfg, ds, NULL), PRLE_ESHAPE, "test_embeds.npy: width 5");
    save_rows("cache_f", "test_embeds.npy", 3, 7);
    PT_OK(prle_embed(&r, &cfg, ds, NULL));
    PT_CHECK(r.is_input && !r.reused && r.manifest_path == NULL);
    PT_EQ_INT(r.splits[2].rows, 3);
    PT_EQ_INT(r.splits[2].cols, 7);
    PT_CHECK(!exists_in("cache_f", PRLE_EMBED_MANIFEST));
    prle_matrix m = {0};
    PT_OK(prle_embed_load(&m, &cfg, ds, PRLE_SPLIT_VALIDATION));
    PT_NEAR(prle_matrix_row(&m, 1)[0], 7.0, 0);
    prle_matrix_dispose(&m);
    prle_embed_report_dispose(&r);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
}

/* Unset cache folder and unknown encoders are refused before anything is written. */
static void test_cache__bad_config(void)
{
    prle_config cfg;
    prle_embed_report r = {0};
    write_fixture();
    PT_OK(load_config(&cfg, "cache_g", NULL, 0));
    prle_dataset *ds = load_dataset(&cfg);
    char *dir = cfg.data.embedding_cache_dir;
    cfg.data.embedding_cache_dir = NULL;
    PT_FAILS(prle_embed(&r, &cfg, ds, NULL), PRLE_EINVAL, "data.embedding_cache_dir");
    char *path = NULL;
    PT_FAILS(prle_embed_path(&path, &cfg, PRLE_SPLIT_TEST), PRLE_EINVAL, NULL);
    cfg.data.embedding_cache_dir = dir;
    PT_FAILS(prle_embed_path(&path, &cfg, (prle_split)7), PRLE_EINVAL, "split");
    cfg.model.hidden_dim = 0;
    PT_FAILS(prle_embed(&r, &cfg, ds, NULL), PRLE_EINVAL, "hidden_dim");
    struct stat st;
    PT_CHECK(stat(pt_tmp("cache_g"), &st) != 0);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
}

int main(void)
{
    PT_RUN(test_cache__pair_features);
    PT_RUN(test_cache__build_then_reuse);
    PT_RUN(test_cache__rebuilds);
    PT_RUN(test_cache__abort_leaves_nothing);
    PT_RUN(test_cache__deterministic);
    PT_RUN(test_cache__single_text);
    PT_RUN(test_cache__npy_inputs);
    PT_RUN(test_cache__bad_config);
    return pt_report();
}
