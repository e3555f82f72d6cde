/* LABELS: unit io */
/* The glove encoder: mean and SIF pooling (Zipf ranks and counts) and first-PC removal
 * against NumPy (tools/ref/glove_ref.py, numbers pasted below), empty texts, thread counts,
 * the manifest line and bad settings. */
#include "prle_test.h"

#include "encode/encoder_impl.h"
#include "prle/vectors.h"

/* tools/ref/glove_ref.py: the vocabulary (file order = rank) and its vectors */
static const char *const words[] = {"the", ",",   ".",   "cat",        "sat",  "on",
                                    "mat", "dog", "ran", "well-known", "park", "blue"};
static const char *const vecs[] = {"0.1 -0.2 0.3 0.05",  "0.0 0.5 -0.5 0.25",   "0.2 0.2 0.2 0.2",
                                   "1.0 0.5 -0.25 0.75", "-0.5 1.5 0.125 -1.0", "0.3 -0.3 0.6 0.0",
                                   "0.9 0.1 -0.7 0.4",   "1.1 0.4 -0.2 0.8",    "-0.4 1.2 0.3 -0.9",
                                   "0.6 0.6 0.6 -0.6",   "0.25 -1.25 0.5 1.5",  "-1.0 0.0 1.0 0.5"};
static const char *const counts[] = {"1000", "900", "800", "50", "40", "300",
                                     "20",   "60",  "30",  "5",  "25", "10"};
static const char *const sents[] = {"The cat sat on the mat.", "A dog ran, in the park!",
                                    "Well-known blue cats", "the blue-dog sat", "zzz qqq"};
static const char *const train[] = {"The cat sat on the mat.",
                                    "A dog ran, in the park!",
                                    "Well-known blue cats",
                                    "the blue-dog sat",
                                    "cat dog cat",
                                    "blue mat on the park",
                                    "ran sat ran",
                                    "zzz qqq"};

/* python3 tools/ref/glove_ref.py */
static const double ref_mean[][4] = {
    {0.299999999149, 0.228571426656, 0.0821428660836, 0.0642857157758},
    {0.210000003874, 0.130000010133, 0.0800000041723, 0.340000007302},
    {-0.199999988079, 0.300000011921, 0.800000011921, -0.0500000119209},
    {-0.074999993667, 0.425000000745, 0.306250002235, 0.0875000031665},
    {0, 0, 0, 0}};
static const double ref_sif[][4] = {
    {0.384334558716, 0.318803890105, -0.0166146534777, 0.0554608491273},
    {0.25986303014, 0.037305404723, 0.18850990951, 0.492598901817},
    {-0.270376789321, 0.2736087108, 0.81759421092, -0.00161596073962},
    {-0.21133132809, 0.407468994872, 0.4318373222, 0.282931825462},
    {0, 0, 0, 0}};
static const double ref_sif_counts[][4] = {
    {0.517993491993, 0.516484163115, -0.318115840438, 0.0931487651727},
    {0.171591432416, -0.0177799119216, 0.27950004643, 0.467766388408},
    {-0.0137802460118, 0.36983241693, 0.753445079873, -0.178026085459},
    {-0.602765745698, 0.353491227617, 0.654363052573, 0.236761617454},
    {0, 0, 0, 0}};
static const double ref_sif_pc[][4] = {
    {0.357005006705, 0.348747937208, -0.00631997685133, 0.015568977109},
    {0.0660311983218, 0.249680254478, 0.261523767464, 0.209670201599},
    {-0.0735292746203, 0.0579296813698, 0.743444385569, 0.285714613156},
    {-0.120236916338, 0.307659991221, 0.397523275958, 0.415898754953},
    {0, 0, 0, 0}};

#define N_SENTS 5
#define N_TRAIN 8

static char pvec_path[1024], pvec_counts_path[1024];

static void make_fixtures(void)
{
    char text[2048] = "", vocab[512] = "";
    for (size_t i = 0; i < 12; i++) {
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s %s\n", words[i], vecs[i]);
        snprintf(vocab + strlen(vocab), sizeof vocab - strlen(vocab), "%s %s\n", words[i],
                 counts[i]);
    }
    char src[1024], cnt[1024];
    snprintf(src, sizeof src, "%s", pt_tmp("glove_fixture.txt"));
    snprintf(cnt, sizeof cnt, "%s", pt_tmp("glove_fixture_vocab.txt"));
    snprintf(pvec_path, sizeof pvec_path, "%s", pt_tmp("glove_fixture.pvec"));
    snprintf(pvec_counts_path, sizeof pvec_counts_path, "%s", pt_tmp("glove_fixture_c.pvec"));
    PT_CHECK(pt_write_file(src, text, strlen(text)) == 0);
    PT_CHECK(pt_write_file(cnt, vocab, strlen(vocab)) == 0);
    PT_OK(prle_vectors_import(src, pvec_path, NULL, NULL));
    prle_vectors_import_params p = prle_vectors_import_default_params();
    p.counts = cnt;
    PT_OK(prle_vectors_import(src, pvec_counts_path, &p, NULL));
}

/* A glove encoder from `key=value` settings (NULL-terminated), or NULL with the error set. */
static prle_encoder *glove_new(const char *vectors, const char *const *settings)
{
    prle_config cfg;
    prle_encoder *enc = calloc(1, sizeof *enc);
    char kv[1200];
    if (!enc || prle_config_default(&cfg) < 0)
        return free(enc), NULL;
    snprintf(kv, sizeof kv, "model.vectors=%s", vectors);
    int err = prle_config_override(&cfg, kv);
    for (const char *const *s = settings; err == 0 && *s; s++)
        err = prle_config_override(&cfg, *s);
    if (err == 0)
        err = prle__glove_encoder_init(enc, &cfg);
    prle_config_dispose(&cfg);
    if (err < 0)
        return free(enc), NULL;
    return enc;
}

static void check_against(const prle_matrix *m, const double ref[][4], const char *what)
{
    PT_EQ_INT(m->rows, N_SENTS);
    PT_EQ_INT(m->cols, 4);
    for (size_t i = 0; i < N_SENTS && m->rows == N_SENTS && m->cols == 4; i++)
        for (size_t k = 0; k < 4; k++)
            if (fabs(m->data[i * 4 + k] - ref[i][k]) > 2e-7) {
                PT_FAIL_AT("%s: row %zu col %zu: %.9g, numpy %.9g", what, i, k, m->data[i * 4 + k],
                           ref[i][k]);
                return;
            }
}

static void encode_check(const char *vectors, const char *const *settings, bool fit,
                         const double ref[][4], const char *what)
{
    prle_encoder *enc = glove_new(vectors, settings);
    PT_CHECK(enc != NULL);
    if (!enc) {
        fprintf(stderr, "%s\n", prle_last_error());
        return;
    }
    PT_EQ_INT(prle_encoder_dim(enc), 4);
    if (fit)
        PT_OK(prle_encoder_fit(enc, train, N_TRAIN));
    prle_matrix m = {0};
    size_t empty = 99;
    PT_OK(prle_encoder_encode(&m, enc, sents, N_SENTS, &empty));
    PT_EQ_INT(empty, 1); /* "zzz qqq" */
    check_against(&m, ref, what);
    prle_matrix_dispose(&m);
    prle_encoder_free(enc);
}

static void test_glove__mean(void)
{
    encode_check(pvec_path, (const char *const[]){"model.pooling=mean", NULL}, false, ref_mean,
                 "mean");
}

static void test_glove__sif_zipf(void)
{
    encode_check(pvec_path, (const char *const[]){"model.pooling=sif", NULL}, true, ref_sif, "sif");
}

static void test_glove__sif_counts(void)
{
    encode_check(pvec_counts_path, (const char *const[]){"model.pooling=sif", NULL}, false,
                 ref_sif_counts, "sif counts");
}

static void test_glove__sif_remove_pc(void)
{
    encode_check(pvec_path, (const char *const[]){"model.pooling=sif", "model.remove_pc=1", NULL},
                 true, ref_sif_pc, "sif pc");
}

/* The fitted principal component saved and read back: the same bits without a fit; the
 * state of other settings is refused, and one with remove_pc 0 has nothing to read. */
static void test_glove__state_round_trip(void)
{
    const char *const pc[] = {"model.pooling=sif", "model.remove_pc=1", NULL};
    const char *const mean[] = {"model.pooling=mean", NULL};
    prle_encoder *a = glove_new(pvec_path, pc), *b = glove_new(pvec_path, pc);
    prle_encoder *c = glove_new(pvec_path, mean);
    PT_CHECK(a && b && c);
    if (!a || !b || !c)
        goto out;
    const char *path = pt_tmp("glove_state.safetensors");
    PT_FAILS(prle_encoder_save_state(a, path), PRLE_EINVAL, "fit it");
    PT_OK(prle_encoder_fit(a, train, N_TRAIN));
    PT_OK(prle_encoder_save_state(a, path));
    PT_OK(prle_encoder_load_state(b, path));
    prle_matrix ma = {0}, mb = {0};
    PT_OK(prle_encoder_encode(&ma, a, sents, N_SENTS, NULL));
    PT_OK(prle_encoder_encode(&mb, b, sents, N_SENTS, NULL));
    PT_CHECK(ma.data && mb.data && memcmp(ma.data, mb.data, N_SENTS * 4 * sizeof(float)) == 0);
    check_against(&mb, ref_sif_pc, "sif pc from the saved state");
    prle_matrix_dispose(&ma), prle_matrix_dispose(&mb);
    PT_FAILS(prle_encoder_load_state(c, path), PRLE_EFORMAT, "fitted by another encoder");
    PT_FAILS(prle_encoder_load_state(c, pt_tmp("none.safetensors")), PRLE_ENOTFOUND, "none");
out:
    prle_encoder_free(a), prle_encoder_free(b), prle_encoder_free(c);
}

static void test_glove__threads_agree(void)
{
    /* many texts so that both threads get work; the result must not depend on the count */
    enum { N = 3000 };
    const char **texts = malloc(N * sizeof *texts);
    char(*buf)[64] = malloc(N * sizeof *buf);
    if (!texts || !buf)
        return;
    for (size_t i = 0; i < N; i++) {
        snprintf(buf[i], sizeof buf[i], "%s %s, %s the %s", words[i % 12], words[(i / 12) % 12],
                 words[(i * 7) % 12], i % 5 ? "park" : "zzz");
        texts[i] = buf[i];
    }
    prle_matrix m[2] = {{0}, {0}};
    const char *th[2] = {"train.threads=1", "train.threads=2"};
    for (int t = 0; t < 2; t++) {
        prle_encoder *enc =
            glove_new(pvec_path,
                      (const char *const[]){"model.pooling=sif", "model.remove_pc=1", th[t], NULL});
        PT_CHECK(enc != NULL);
        if (!enc)
            continue;
        PT_OK(prle_encoder_fit(enc, texts, N));
        PT_OK(prle_encoder_encode(&m[t], enc, texts, N, NULL));
        prle_encoder_free(enc);
    }
    PT_CHECK(m[0].data && m[1].data && m[0].rows == N &&
             memcmp(m[0].data, m[1].data, N * 4 * sizeof(float)) == 0);
    prle_matrix_dispose(&m[0]);
    prle_matrix_dispose(&m[1]);
    free(texts);
    free(buf);
}

static void test_glove__describe_and_settings(void)
{
    prle_encoder *enc = glove_new(pvec_path, (const char *const[]){"model.pooling=sif", NULL});
    PT_CHECK(enc != NULL);
    if (enc) {
        prle_vectors *v = NULL;
        PT_OK(prle_vectors_open(&v, pvec_path));
        char want[1400];
        snprintf(want, sizeof want,
                 "glove vectors=%s sha256=%s words=12 dim=4 tok=ptb-1 pooling=sif a=0.001 p=zipf "
                 "pc=0",
                 pvec_path, v ? prle_vectors_sha256(v) : "?");
        PT_EQ_STR(prle_encoder_describe(enc), want);
        prle_vectors_free(v);
        /* no texts: a (0, d) matrix */
        prle_matrix m = {0};
        size_t empty = 5;
        PT_OK(prle_encoder_encode(&m, enc, NULL, 0, &empty));
        PT_EQ_INT(m.rows, 0);
        PT_EQ_INT(empty, 0);
        prle_matrix_dispose(&m);
        prle_encoder_free(enc);
    }
    enc = glove_new(pvec_path, (const char *const[]){"model.pooling=mean", NULL});
    if (enc)
        PT_CHECK(strstr(prle_encoder_describe(enc), "pooling=mean pc=0") != NULL);
    prle_encoder_free(enc);

    /* remove_pc without fit */
    enc = glove_new(pvec_path, (const char *const[]){"model.remove_pc=1", NULL});
    PT_CHECK(enc != NULL);
    if (enc) {
        prle_matrix m = {0};
        PT_FAILS(prle_encoder_encode(&m, enc, sents, N_SENTS, NULL), PRLE_EINVAL, "fit");
        prle_encoder_free(enc);
    }
    prle_error_clear();
    PT_CHECK(glove_new(pt_tmp("glove_missing.pvec"), (const char *const[]){NULL}) == NULL);
    PT_EQ_INT(prle_last_error_code(), PRLE_ENOTFOUND);
    PT_CHECK(strstr(prle_last_error(), "glove_missing.pvec") != NULL);
}

int main(void)
{
    make_fixtures();
    PT_RUN(test_glove__mean);
    PT_RUN(test_glove__sif_zipf);
    PT_RUN(test_glove__sif_counts);
    PT_RUN(test_glove__sif_remove_pc);
    PT_RUN(test_glove__state_round_trip);
    PT_RUN(test_glove__threads_agree);
    PT_RUN(test_glove__describe_and_settings);
    return pt_report();
}
