/* The hashing encoder against tools/ref/hashing_ref.py (scikit-learn TF-IDF, SciPy projection).
 * LABELS: unit */
#include <stdint.h>

#include "encode/hashing.h"
#include "prle_test.h"

#define MAX_TEXTS 64

typedef struct fixture {
    char *buf; /* texts.txt, cut into lines in place */
    const char *all[MAX_TEXTS];
    const char *train[MAX_TEXTS];
    size_t n_all, n_train;
} fixture;

static int fixture_load(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    FILE *f = fopen(pt_data("hashing/texts.txt"), "rb");
    if (!f)
        return -1;
    fx->buf = calloc(1 << 16, 1);
    size_t len = fread(fx->buf, 1, (1 << 16) - 1, f);
    fclose(f);
    for (char *line = fx->buf; line < fx->buf + len && fx->n_all < MAX_TEXTS;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *tab = strchr(line, '\t');
        if (line[0] != '#' && tab) {
            *tab = 0;
            fx->all[fx->n_all++] = tab + 1;
            if (strcmp(line, "train") == 0)
                fx->train[fx->n_train++] = tab + 1;
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    return 0;
}

static FILE *open_ref(void)
{
    FILE *f = fopen(pt_data("hashing/ref.txt"), "rb");
    if (!f)
        PT_FAIL_AT("cannot open %s", pt_data("hashing/ref.txt"));
    return f;
}

static prle_encoder *make_encoder(int dim, uint64_t seed, int threads)
{
    prle_config cfg;
    char a[64], b[64], c[64];
    prle_encoder *enc = NULL;
    snprintf(a, sizeof a, "model.hidden_dim=%d", dim);
    snprintf(b, sizeof b, "train.seed=%llu", (unsigned long long)seed);
    snprintf(c, sizeof c, "train.threads=%d", threads);
    PT_OK(prle_config_default(&cfg));
    PT_OK(prle_config_override(&cfg, "model.encoder_type=hashing"));
    PT_OK(prle_config_override(&cfg, a));
    PT_OK(prle_config_override(&cfg, b));
    PT_OK(prle_config_override(&cfg, c));
    PT_OK(prle_encoder_new(&enc, &cfg));
    prle_config_dispose(&cfg);
    return enc;
}

/* Every code point of the covered ranges lower-cases as Python's str.lower does. */
static void test_hashing__lower_matches_python(void)
{
    static uint32_t want[0x10000];
    for (uint32_t c = 0; c < 0x10000; c++)
        want[c] = c;
    FILE *f = open_ref();
    if (!f)
        return;
    char line[1 << 14];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned a, b;
        if (sscanf(line, "lower %u %u", &a, &b) == 2 && a < 0x10000) {
            want[a] = b;
            n++;
        }
    }
    fclose(f);
    PT_CHECK(n > 400);
    size_t bad = 0;
    for (uint32_t c = 0; c < 0x10000; c++)
        if (prle__hashing_lower(c) != want[c] && bad++ < 5)
            PT_FAIL_AT("lower(U+%04X) = U+%04X, python U+%04X", c, prle__hashing_lower(c), want[c]);
    PT_EQ_INT(bad, 0);
}

/* Feature occurrences and their buckets equal the reference's, text by text. */
static void test_hashing__features_match_reference(void)
{
    fixture fx;
    PT_CHECK(fixture_load(&fx) == 0);
    FILE *f = open_ref();
    if (!f) {
        free(fx.buf);
        return;
    }
    static char line[1 << 16];
    uint32_t *feat = NULL, *sorted = NULL;
    size_t cap = 0, checked = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned idx;
        size_t want_n, n;
        int off;
        if (sscanf(line, "features %u %zu%n", &idx, &want_n, &off) != 2 || idx >= fx.n_all)
            continue;
        PT_OK(prle__hashing_features(&feat, &n, &cap, fx.all[idx]));
        PT_EQ_INT(n, want_n);
        sorted = realloc(sorted, (n + 1) * sizeof *sorted);
        memcpy(sorted, feat, n * sizeof *sorted);
        for (size_t i = 1; i < n; i++) /* insertion sort: a few dozen */
            for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
                uint32_t t = sorted[j];
                sorted[j] = sorted[j - 1];
                sorted[j - 1] = t;
            }
        const char *p = line + off;
        size_t i = 0;
        unsigned b, c;
        int used;
        while (sscanf(p, " %u:%u%n", &b, &c, &used) == 2) {
            p += used;
            size_t run = 0;
            while (i < n && sorted[i] == b)
                i++, run++;
            if (run != c)
                PT_FAIL_AT("text %u: bucket %u seen %zu times, reference %u", idx, b, run, c);
        }
        PT_EQ_INT(i, n);
        checked++;
    }
    fclose(f);
    PT_EQ_INT(checked, fx.n_all);
    free(feat), free(sorted), free(fx.buf);
}

/* Encoded rows equal the reference's to 1e-5 at each (dim, seed), empties counted. */
static void test_hashing__encode_matches_reference(void)
{
    fixture fx;
    PT_CHECK(fixture_load(&fx) == 0);
    FILE *f = open_ref();
    if (!f) {
        free(fx.buf);
        return;
    }
    static char line[1 << 16];
    prle_encoder *enc = NULL;
    prle_matrix y = {0};
    size_t n_empty = 0, cases = 0, rows = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        int dim, k;
        unsigned long long seed;
        unsigned idx, want_empty;
        int off;
        if (sscanf(line, "case %d %llu %d", &dim, &seed, &k) == 3) {
            prle_encoder_free(enc);
            prle_matrix_dispose(&y);
            enc = make_encoder(dim, seed, 2);
            if (!enc)
                break;
            PT_EQ_INT(prle_encoder_dim(enc), dim);
            char want[64];
            snprintf(want, sizeof want, "(k=%d) dim=%d seed=%llu", k, dim, seed);
            PT_CHECK(strstr(prle_encoder_describe(enc), want) != NULL);
            PT_OK(prle_encoder_fit(enc, fx.train, fx.n_train));
            PT_OK(prle_encoder_encode(&y, enc, fx.all, fx.n_all, &n_empty));
            PT_EQ_INT(y.rows, fx.n_all);
            PT_EQ_INT(y.cols, dim);
            cases++;
        } else if (sscanf(line, "row %u%n", &idx, &off) == 1 && y.data && idx < y.rows) {
            const char *p = line + off;
            for (size_t j = 0; j < y.cols; j++) {
                char *end;
                double v = strtod(p, &end);
                PT_CHECK(end != p);
                p = end;
                double d = fabs(v - prle_matrix_row(&y, idx)[j]);
                worst = d > worst ? d : worst;
                PT_NEAR(prle_matrix_row(&y, idx)[j], v, 1e-5);
            }
            rows++;
        } else if (sscanf(line, "empty %u", &want_empty) == 1) {
            PT_EQ_INT(n_empty, want_empty);
        }
    }
    fclose(f);
    PT_EQ_INT(cases, 3);
    PT_EQ_INT(rows, 3 * fx.n_all);
    PT_CHECK(worst < 1e-6);
    prle_encoder_free(enc);
    prle_matrix_dispose(&y);
    free(fx.buf);
}

static uint64_t checksum(const prle_matrix *m)
{
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *p = (const unsigned char *)m->data;
    for (size_t i = 0; i < m->rows * m->cols * sizeof(float); i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Same seed: byte-identical at 1 and 2 threads; another seed: another projection. */
static void test_hashing__deterministic(void)
{
    fixture fx;
    PT_CHECK(fixture_load(&fx) == 0);
    /* enough texts for the parallel loop to split them */
    const char **many = malloc(2000 * sizeof *many);
    for (size_t i = 0; i < 2000; i++)
        many[i] = fx.all[(i * 7) % fx.n_all];
    uint64_t sums[3];
    for (int r = 0; r < 3; r++) {
        prle_encoder *enc = make_encoder(64, r == 2 ? 43 : 42, r == 0 ? 1 : 2);
        prle_matrix y = {0};
        PT_OK(prle_encoder_fit(enc, fx.train, fx.n_train));
        PT_OK(prle_encoder_encode(&y, enc, many, 2000, NULL));
        sums[r] = checksum(&y);
        prle_matrix_dispose(&y);
        prle_encoder_free(enc);
    }
    PT_CHECK(sums[0] == sums[1]);
    PT_CHECK(sums[0] != sums[2]);
    free(many);
    free(fx.buf);
}

/* Projection patterns: k distinct dims in range, signs ±1, balanced, dims uniform. */
static void test_hashing__pattern(void)
{
    uint32_t dims[8];
    float signs[8];
    size_t plus = 0, total = 0;
    uint64_t key = prle__hashing_key(42);
    PT_CHECK(key != prle__hashing_key(43));
    for (uint32_t b = 0; b < 5000; b++) {
        size_t dim = 3 + b % 200;
        int k = dim < 8 ? (int)dim : 8;
        prle__hashing_pattern(dims, signs, key, b, dim, k);
        for (int t = 0; t < k; t++) {
            PT_CHECK(dims[t] < dim);
            PT_CHECK(signs[t] == 1.0f || signs[t] == -1.0f);
            for (int u = 0; u < t; u++)
                PT_CHECK(dims[u] != dims[t]);
            plus += signs[t] > 0;
            total++;
        }
    }
    PT_NEAR((double)plus / (double)total, 0.5, 0.02);
    /* every dim equally likely: 10 dims, 40,000 draws of 8, each count within 3% */
    size_t hits[10] = {0};
    for (uint32_t b = 0; b < 40000; b++) {
        prle__hashing_pattern(dims, signs, key, b * 2654435761u >> 12, 10, 8);
        for (int t = 0; t < 8; t++)
            hits[dims[t]]++;
    }
    for (int d = 0; d < 10; d++)
        PT_NEAR(hits[d] / 32000.0, 1.0, 0.03);
}

/* Invalid UTF-8 is a separator, never a crash; empty and punctuation-only texts are empty. */
static void test_hashing__odd_texts(void)
{
    uint32_t *f = NULL;
    size_t n = 99, cap = 0, n_ref;
    PT_OK(prle__hashing_features(&f, &n_ref, &cap, "abc"));
    PT_OK(prle__hashing_features(&f, &n, &cap,
                                 "\xff\xfe"
                                 "abc\xc3"));
    PT_EQ_INT(n, n_ref);
    PT_OK(prle__hashing_features(&f, &n, &cap, "\xe0\x80\x80 \xed\xa0\x80 \xf4\x90\x80\x80"));
    PT_EQ_INT(n, 0);
    PT_OK(prle__hashing_features(&f, &n, &cap, ""));
    PT_EQ_INT(n, 0);
    PT_OK(prle__hashing_features(&f, &n, &cap, "a"));
    PT_EQ_INT(n, 2); /* "a" and the padded " a " */
    free(f);

    const char *train[] = {"", "...", "word"};
    const char *texts[] = {"", "...", "word", "unseen"};
    prle_encoder *enc = make_encoder(16, 1, 1);
    prle_matrix y = {0};
    size_t n_empty = 0;
    PT_FAILS(prle_encoder_encode(&y, enc, texts, 4, &n_empty), PRLE_EINVAL, "fit");
    PT_OK(prle_encoder_fit(enc, train, 3));
    PT_OK(prle_encoder_encode(&y, enc, texts, 4, &n_empty));
    PT_EQ_INT(n_empty, 2);
    double nz = 0;
    for (size_t j = 0; j < 16; j++)
        nz += fabs(prle_matrix_row(&y, 0)[j]) + fabs(prle_matrix_row(&y, 1)[j]);
    PT_NEAR(nz, 0.0, 0.0);
    prle_matrix_dispose(&y);
    PT_OK(prle_encoder_encode(&y, enc, texts, 0, &n_empty));
    PT_EQ_INT(y.rows, 0);
    PT_EQ_INT(n_empty, 0);
    prle_matrix_dispose(&y);
    prle_encoder_free(enc);
}

/* The dispatch: unknown and text-less encoder types are refused. */
/* The fitted document frequencies saved and read back: the same bits without a fit; a state
 * of another seed is refused, and a corrupt df row too. */
static void test_hashing__state_round_trip(void)
{
    static const char *const train[] = {"the cat sat on the mat", "a dog ran in the park",
                                        "the dog sat", "une phrase en français"};
    static const char *const texts[] = {"the cat ran", "unseen words here", ""};
    prle_encoder *a = make_encoder(32, 7, 1), *b = make_encoder(32, 7, 2);
    prle_encoder *c = make_encoder(32, 8, 1);
    const char *path = pt_tmp("hashing_state.safetensors");
    PT_FAILS(prle_encoder_save_state(a, path), PRLE_EINVAL, "fit it");
    PT_OK(prle_encoder_fit(a, train, 4));
    PT_OK(prle_encoder_save_state(a, path));
    PT_OK(prle_encoder_load_state(b, path));
    prle_matrix ma = {0}, mb = {0};
    PT_OK(prle_encoder_encode(&ma, a, texts, 3, NULL));
    PT_OK(prle_encoder_encode(&mb, b, texts, 3, NULL));
    PT_CHECK(ma.data && mb.data && memcmp(ma.data, mb.data, 3 * 32 * sizeof(float)) == 0);
    prle_matrix_dispose(&ma), prle_matrix_dispose(&mb);
    PT_FAILS(prle_encoder_load_state(c, path), PRLE_EFORMAT, "seed=7");
    /* a document frequency above the number of texts */
    prle_st_writer *w = NULL;
    int64_t bad[2] = {5, 9};
    size_t shape[2] = {1, 2};
    PT_OK(prle_st_writer_new(&w));
    PT_OK(prle_st_writer_set_metadata(w, "format", "prle-encoder"));
    PT_OK(prle_st_writer_set_metadata(w, "identity", prle_encoder_describe(c)));
    PT_OK(prle_st_writer_set_metadata(w, "n_texts", "4"));
    PT_OK(prle_st_writer_add_i64(w, "df", bad, 2, shape));
    PT_OK(prle_st_writer_save(w, path));
    prle_st_writer_free(w);
    PT_FAILS(prle_encoder_load_state(c, path), PRLE_EFORMAT, "df row 0 (5, 9) is out of range");
    prle_encoder_free(a), prle_encoder_free(b), prle_encoder_free(c);
}

static void test_hashing__dispatch(void)
{
    prle_config cfg;
    prle_encoder *enc = NULL;
    PT_OK(prle_config_default(&cfg));
    PT_OK(prle_config_override(&cfg, "model.encoder_type=npy"));
    PT_FAILS(prle_encoder_new(&enc, &cfg), PRLE_EINVAL, "npy");
    PT_CHECK(enc == NULL);
    cfg.model.hidden_dim = 0;
    PT_OK(prle_config_override(&cfg, "model.encoder_type=hashing"));
    PT_FAILS(prle_encoder_new(&enc, &cfg), PRLE_EINVAL, "model.hidden_dim");
    PT_CHECK(enc == NULL);
    prle_encoder_free(NULL);
    prle_config_dispose(&cfg);
}

int main(void)
{
    PT_RUN(test_hashing__lower_matches_python);
    PT_RUN(test_hashing__features_match_reference);
    PT_RUN(test_hashing__encode_matches_reference);
    PT_RUN(test_hashing__deterministic);
    PT_RUN(test_hashing__pattern);
    PT_RUN(test_hashing__odd_texts);
    PT_RUN(test_hashing__state_round_trip);
    PT_RUN(test_hashing__dispatch);
    return pt_report();
}
