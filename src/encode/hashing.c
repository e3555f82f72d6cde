/* The hashing encoder (SPEC.md §3): weight-free, any language.
 *
 * text -> hashed features (hashing.h) -> per bucket tf -> sublinear TF-IDF
 *   w_b = (1 + ln tf_b) * idf_b,   idf_b = ln((1 + n) / (1 + df_b)) + 1   (n, df_b from train)
 * -> L2 normalised -> signed sparse projection to H dims: bucket b adds w_b * s / sqrt(k) at
 * k distinct dims, pattern from a seeded hash of b (Kane & Nelson 2014, sparse JL), so no
 * 2^20 x H matrix is ever stored. TF-IDF as scikit-learn's TfidfTransformer(sublinear_tf=True,
 * smooth_idf=True, norm='l2') on a hashed count matrix; checked against
 * tools/ref/hashing_ref.py.
 */
#include "encode/hashing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "encode/encoder_impl.h"
#include "prle/rng.h"

/* ---- code points --------------------------------------------------------------------- */

uint32_t prle__hashing_lower(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c <= 0x17F) {
        if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
            return c + 32;
        if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
            return (c & 1) ? c : c + 1;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return (c & 1) ? c + 1 : c;
        if (c == 0x178)
            return 0xFF;
        return c;
    }
    if (c >= 0x386 && c <= 0x3AB) {
        if (c == 0x386)
            return 0x3AC;
        if (c >= 0x388 && c <= 0x38A)
            return c + 37;
        if (c == 0x38C)
            return 0x3CC;
        if (c == 0x38E || c == 0x38F)
            return c + 63;
        if (c >= 0x391 && c != 0x3A2)
            return c + 32;
        return c;
    }
    if (c >= 0x400 && c <= 0x4FF) {
        if (c <= 0x40F)
            return c + 80;
        if (c <= 0x42F)
            return c + 32;
        if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0))
            return (c & 1) ? c : c + 1;
        if (c == 0x4C0)
            return 0x4CF;
        if (c >= 0x4C1 && c <= 0x4CE)
            return (c & 1) ? c + 1 : c;
        return c;
    }
    if (c >= 0x531 && c <= 0x556)
        return c + 48;
    if (c >= 0x1E00 && c <= 0x1EFF) {
        if (c == 0x1E9E)
            return 0xDF;
        if (c <= 0x1E95 || c >= 0x1EA0)
            return (c & 1) ? c : c + 1;
        return c;
    }
    if (c >= 0xFF21 && c <= 0xFF3A)
        return c + 32;
    return c;
}

bool prle__hashing_is_word_char(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c <= 0xBF) /* C1 controls, no-break space, Latin-1 punctuation and symbols */
        return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7)
        return false;
    if (c >= 0x2000 && c <= 0x2BFF) /* punctuation, currency, arrows, maths, shapes... */
        return false;
    if (c >= 0x3000 && c <= 0x303F) /* CJK symbols and punctuation */
        return false;
    if (c >= 0xFE00 && c <= 0xFE6F) /* variation selectors, vertical and small forms */
        return false;
    if ((c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
        (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65))
        return false;                                         /* full-width punctuation */
    if (c == 0xFEFF || c >= 0xFFF0)                           /* BOM, specials (U+FFFD)... */
        return c > 0xFFFF && !(c >= 0x1F000 && c <= 0x1FAFF); /* ...and emoji */
    return true;
}

/* Decodes one UTF-8 sequence at s (NUL-terminated); invalid bytes give U+FFFD, length 1. */
static uint32_t utf8_next(const unsigned char *s, size_t *len)
{
    unsigned char b = s[0];
    uint32_t c, min;
    size_t n;
    if (b < 0x80) {
        *len = 1;
        return b;
    } else if (b >= 0xC2 && b <= 0xDF) {
        n = 2, c = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3, c = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4, c = b & 0x07, min = 0x10000;
    } else {
        *len = 1;
        return 0xFFFD;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return 0xFFFD;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *len = 1;
        return 0xFFFD;
    }
    *len = n;
    return c;
}

/* ---- hashing ------------------------------------------------------------------------- */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static inline uint64_t fnv_byte(uint64_t h, unsigned char b)
{
    return (h ^ b) * FNV_PRIME;
}

static inline uint64_t fnv_cp(uint64_t h, uint32_t c)
{
    if (c < 0x80)
        return fnv_byte(h, (unsigned char)c);
    if (c < 0x800) {
        h = fnv_byte(h, (unsigned char)(0xC0 | (c >> 6)));
    } else if (c < 0x10000) {
        h = fnv_byte(h, (unsigned char)(0xE0 | (c >> 12)));
        h = fnv_byte(h, (unsigned char)(0x80 | ((c >> 6) & 0x3F)));
    } else {
        h = fnv_byte(h, (unsigned char)(0xF0 | (c >> 18)));
        h = fnv_byte(h, (unsigned char)(0x80 | ((c >> 12) & 0x3F)));
        h = fnv_byte(h, (unsigned char)(0x80 | ((c >> 6) & 0x3F)));
    }
    return fnv_byte(h, (unsigned char)(0x80 | (c & 0x3F)));
}

/* splitmix64's finaliser (Steele, Lea & Flood 2014). */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint32_t bucket_of(uint64_t h)
{
    return (uint32_t)(mix64(h) >> (64 - PRLE__HASH_BITS));
}

static uint64_t hash_cps(uint64_t h, const uint32_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = fnv_cp(h, c[i]);
    return h;
}

int prle__hashing_features(uint32_t **out, size_t *n, size_t *cap, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t nbytes = strlen(text), ncp = 0, nwords = 0;
    /* code points with a space before and after every word: cps[start-1] and cps[end] are
     * the padding, so each word's char n-grams read in place */
    uint32_t *cps = malloc((2 * nbytes + 2) * sizeof *cps);
    size_t *ws = malloc((nbytes + 1) * sizeof *ws), *we = malloc((nbytes + 1) * sizeof *we);
    if (!cps || !ws || !we) {
        free(cps), free(ws), free(we);
        return prle__error_nomem("hashing features");
    }
    bool in_word = false;
    for (size_t i = 0; i < nbytes;) {
        size_t len;
        uint32_t c = prle__hashing_lower(utf8_next(s + i, &len));
        i += len;
        if (prle__hashing_is_word_char(c)) {
            if (!in_word) {
                cps[ncp++] = ' ';
                ws[nwords] = ncp;
                in_word = true;
            }
            cps[ncp++] = c;
        } else if (in_word) {
            we[nwords++] = ncp;
            cps[ncp++] = ' ';
            in_word = false;
        }
    }
    if (in_word) {
        we[nwords++] = ncp;
        cps[ncp++] = ' ';
    }

    /* occurrences: W words + (W-1) pairs + at most 3 (L-2) n-grams per word of L padded */
    size_t need = 2 * nwords + 3 * ncp + 1;
    if (need > *cap) {
        uint32_t *grown = realloc(*out, need * sizeof *grown);
        if (!grown) {
            free(cps), free(ws), free(we);
            return prle__error_nomem("hashing features");
        }
        *out = grown;
        *cap = need;
    }
    uint32_t *f = *out;
    size_t m = 0;
    for (size_t w = 0; w < nwords; w++)
        f[m++] = bucket_of(hash_cps(fnv_byte(FNV_OFFSET, 1), cps + ws[w], we[w] - ws[w]));
    for (size_t w = 0; w + 1 < nwords; w++) {
        uint64_t h = hash_cps(fnv_byte(FNV_OFFSET, 2), cps + ws[w], we[w] - ws[w]);
        h = fnv_byte(h, ' ');
        f[m++] = bucket_of(hash_cps(h, cps + ws[w + 1], we[w + 1] - ws[w + 1]));
    }
    for (size_t w = 0; w < nwords; w++) {
        const uint32_t *p = cps + ws[w] - 1; /* the padded word */
        size_t len = we[w] - ws[w] + 2;
        for (size_t g = 3; g <= 5; g++) {
            if (len <= g) {
                f[m++] = bucket_of(hash_cps(fnv_byte(FNV_OFFSET, 3), p, len));
                break;
            }
            for (size_t o = 0; o + g <= len; o++)
                f[m++] = bucket_of(hash_cps(fnv_byte(FNV_OFFSET, 3), p + o, g));
        }
    }
    PRLE_ASSERT(m <= need);
    *n = m;
    free(cps), free(ws), free(we);
    return 0;
}

static inline uint64_t splitmix_next(uint64_t *x)
{
    return mix64(*x += 0x9e3779b97f4a7c15ULL);
}

void prle__hashing_pattern(uint32_t *dims, float *signs, uint64_t key, uint32_t b, size_t dim,
                           int k)
{
    /* Lemire's multiply-shift with rejection (2019) on the top 32 bits of each draw: an
     * unbiased dim in [0, dim) without a division per draw; bit 31 gives the sign */
    uint64_t x = mix64(key ^ b);
    uint32_t d32 = (uint32_t)dim, reject = (uint32_t)(0u - d32) % d32;
    for (int t = 0; t < k; t++) {
        uint64_t r;
        uint32_t d;
        for (;;) {
            r = splitmix_next(&x);
            uint64_t m = (r >> 32) * d32;
            if ((uint32_t)m < reject)
                continue;
            d = (uint32_t)(m >> 32);
            int dup = 0;
            for (int u = 0; u < t; u++)
                dup |= dims[u] == d;
            if (!dup)
                break;
        }
        dims[t] = d;
        signs[t] = ((r >> 31) & 1) ? -1.0f : 1.0f;
    }
}

uint64_t prle__hashing_key(uint64_t seed)
{
    prle_rng r;
    prle_rng_init(&r, seed, "hashing.projection", 0);
    return prle_rng_next(&r);
}

/* ---- the encoder --------------------------------------------------------------------- */

/* In describe() and so in cache manifests: bump it whenever any output value changes (the
 * features, hashing, weights or projection), so that older caches are rebuilt. */
#define HASHING_VERSION 1

typedef struct hashing_state {
    size_t dim;   /* H */
    int k;        /* non-zeros per bucket */
    uint64_t key; /* projection key from the seed */
    double *idf;  /* (PRLE__HASH_BUCKETS), NULL until fitted */
    uint32_t *df; /* (PRLE__HASH_BUCKETS) document frequencies idf came from, for save */
    size_t n_fit; /* texts fitted on */
    int threads;
} hashing_state;

/* Folds the occurrences f[0..n) into (bucket, count) runs in place, in order of first
 * occurrence (deterministic; no sort needed), with `tab` (tcap slots, a power of two
 * >= 2n) as an open-addressing index. Buckets are already uniform bits, so `b & mask`
 * spreads them. Returns the number of runs. */
static size_t fold_counts(uint32_t *f, uint32_t *cnt, size_t n, uint32_t *tab, size_t tcap)
{
    size_t r = 0, mask = tcap - 1;
    memset(tab, 0xff, tcap * sizeof *tab);
    for (size_t i = 0; i < n; i++) {
        uint32_t b = f[i];
        for (size_t h = b & mask;; h = (h + 1) & mask) {
            uint32_t j = tab[h];
            if (j == UINT32_MAX) {
                tab[h] = (uint32_t)r;
                f[r] = b;
                cnt[r++] = 1;
                break;
            }
            if (f[j] == b) {
                cnt[j]++;
                break;
            }
        }
    }
    return r;
}

/* Per-thread scratch for one text at a time, grown as needed. */
typedef struct scratch {
    uint32_t *f;   /* feature occurrences, then runs (cap) */
    uint32_t *cnt; /* run counts (cnt_cap) */
    uint32_t *tab; /* fold_counts index (tab_cap) */
    double *acc;   /* the accumulator (dim), then run weights (acc_cap) */
    size_t cap, cnt_cap, tab_cap, acc_cap;
} scratch;

static void scratch_free(scratch *sc)
{
    free(sc->f), free(sc->cnt), free(sc->tab), free(sc->acc);
}

/* Features of `text` folded into runs (sc->f, sc->cnt); `*runs` their count. */
static int text_runs(scratch *sc, size_t *runs, const char *text)
{
    size_t m;
    int err = prle__hashing_features(&sc->f, &m, &sc->cap, text);
    if (err < 0)
        return err;
    if (sc->cap > sc->cnt_cap) {
        uint32_t *g = realloc(sc->cnt, sc->cap * sizeof *g);
        if (!g)
            return prle__error_nomem("hashing features");
        sc->cnt = g, sc->cnt_cap = sc->cap;
    }
    size_t tcap = 16;
    while (tcap < 2 * m)
        tcap *= 2;
    if (tcap > sc->tab_cap) {
        uint32_t *g = realloc(sc->tab, tcap * sizeof *g);
        if (!g)
            return prle__error_nomem("hashing features");
        sc->tab = g, sc->tab_cap = tcap;
    }
    *runs = fold_counts(sc->f, sc->cnt, m, sc->tab, tcap);
    return 0;
}

/* idf from the document frequencies of n texts (smooth: ln((1 + n) / (1 + df)) + 1). */
static int set_idf(hashing_state *st, uint32_t *df, size_t n)
{
    double *idf = malloc(PRLE__HASH_BUCKETS * sizeof *idf);
    if (!idf)
        return prle__error_nomem("hashing idf");
    for (size_t b = 0; b < PRLE__HASH_BUCKETS; b++)
        idf[b] = log((1.0 + (double)n) / (1.0 + (double)df[b])) + 1.0;
    free(st->idf), free(st->df);
    st->idf = idf, st->df = df, st->n_fit = n;
    return 0;
}

static int hashing_fit(prle_encoder *enc, const char *const *texts, size_t n)
{
    hashing_state *st = enc->state;
    uint32_t *df = calloc(PRLE__HASH_BUCKETS, sizeof *df);
    scratch sc = {0};
    int err = 0;
    if (!df) {
        err = prle__error_nomem("hashing idf");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        size_t r;
        if ((err = text_runs(&sc, &r, texts[i])) < 0)
            goto done;
        for (size_t j = 0; j < r; j++)
            df[sc.f[j]]++;
    }
    if ((err = set_idf(st, df, n)) == 0)
        df = NULL;
done:
    free(df);
    scratch_free(&sc);
    return err;
}

/* The state: "df" (m, 2) i64, the buckets seen and their document frequencies, and n_texts. */
static int hashing_save(const prle_encoder *enc, prle_st_writer *w)
{
    const hashing_state *st = enc->state;
    char n[32];
    if (!st->df)
        return prle__error_set(PRLE_EINVAL, "hashing encoder: fit it before saving its state");
    size_t m = 0;
    for (size_t b = 0; b < PRLE__HASH_BUCKETS; b++)
        m += st->df[b] != 0;
    int64_t *pairs = malloc((m ? m : 1) * 2 * sizeof *pairs);
    if (!pairs)
        return prle__error_nomem("hashing state");
    for (size_t b = 0, i = 0; b < PRLE__HASH_BUCKETS; b++)
        if (st->df[b])
            pairs[2 * i] = (int64_t)b, pairs[2 * i + 1] = st->df[b], i++;
    snprintf(n, sizeof n, "%zu", st->n_fit);
    size_t shape[2] = {m, 2};
    int err = prle_st_writer_set_metadata(w, "n_texts", n);
    if (err == 0)
        err = prle_st_writer_add_i64(w, "df", pairs, 2, shape);
    free(pairs);
    return err;
}

static int hashing_load(prle_encoder *enc, const prle_st_file *f, const char *path)
{
    prle_st_tensor_info t;
    const char *nt = prle_st_metadata_get(f, "n_texts");
    char *end = NULL;
    unsigned long long n = nt ? strtoull(nt, &end, 10) : 0;
    int err = prle_st_find(&t, f, "df");
    if (err < 0)
        return err;
    if (!nt || *end || t.dtype != PRLE_ST_I64 || t.ndim != 2 || t.shape[1] != 2)
        return prle__error_set(PRLE_EFORMAT, "%s: df is not an (m, 2) i64 tensor with n_texts",
                               path);
    size_t m = t.shape[0];
    int64_t *pairs = malloc((m ? m : 1) * 2 * sizeof *pairs);
    uint32_t *df = calloc(PRLE__HASH_BUCKETS, sizeof *df);
    if (!pairs || !df)
        err = prle__error_nomem("hashing state");
    else
        err = prle_st_read_i64(pairs, 2 * m, f, "df");
    for (size_t i = 0; err == 0 && i < m; i++) {
        int64_t b = pairs[2 * i], c = pairs[2 * i + 1];
        if (b < 0 || (uint64_t)b >= PRLE__HASH_BUCKETS || c < 1 || (uint64_t)c > n)
            err = prle__error_set(PRLE_EFORMAT, "%s: df row %zu (%lld, %lld) is out of range", path,
                                  i, (long long)b, (long long)c);
        else
            df[b] = (uint32_t)c;
    }
    if (err == 0 && (err = set_idf(enc->state, df, (size_t)n)) == 0)
        df = NULL;
    free(pairs), free(df);
    return err;
}

/* One text into `row` (dim floats). Returns 1 if it had no features (row zero), 0, or
 * PRLE_ENOMEM (message set on this thread). */
static int encode_one(const hashing_state *st, scratch *sc, float *row, const char *text)
{
    size_t r;
    int err = text_runs(sc, &r, text);
    if (err < 0)
        return err;
    memset(row, 0, st->dim * sizeof *row);
    if (r == 0)
        return 1;
    if (st->dim + r > sc->acc_cap) {
        double *g = realloc(sc->acc, (st->dim + r) * sizeof *g);
        if (!g)
            return prle__error_nomem("hashing encode");
        sc->acc = g, sc->acc_cap = st->dim + r;
    }
    double ss = 0;
    double *w = sc->acc + st->dim;
    for (size_t j = 0; j < r; j++) {
        w[j] = (1.0 + log((double)sc->cnt[j])) * st->idf[sc->f[j]];
        ss += w[j] * w[j];
    }
    double scale = 1.0 / (sqrt(ss) * sqrt((double)st->k));
    memset(sc->acc, 0, st->dim * sizeof *sc->acc);
    uint32_t dims[PRLE__HASH_PROJ_NNZ];
    float signs[PRLE__HASH_PROJ_NNZ];
    for (size_t j = 0; j < r; j++) {
        prle__hashing_pattern(dims, signs, st->key, sc->f[j], st->dim, st->k);
        double v = w[j] * scale;
        for (int t = 0; t < st->k; t++)
            sc->acc[dims[t]] += signs[t] * v;
    }
    for (size_t d = 0; d < st->dim; d++)
        row[d] = (float)sc->acc[d];
    return 0;
}

static int hashing_encode(const prle_encoder *enc, prle_matrix *out, const char *const *texts,
                          size_t n, size_t *n_empty)
{
    const hashing_state *st = enc->state;
    if (!st->idf)
        return prle__error_set(PRLE_EINVAL, "hashing encoder: fit it on the train texts first");
    prle_matrix m = {0};
    unsigned char *empty = calloc(n ? n : 1, 1);
    int err = 0, fail = 0;
    if (!empty)
        return prle__error_nomem("hashing encode");
    if ((err = prle_matrix_alloc(&m, n, st->dim)) < 0)
        goto done;
    int nt = prle__threads_resolve(st->threads);
    (void)nt; /* unused without OpenMP */
#pragma omp parallel num_threads(nt)
    {
        scratch sc = {0};
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < n; i++) {
            int f;
#pragma omp atomic read
            f = fail;
            if (f)
                continue;
            int rc = encode_one(st, &sc, prle_matrix_row(&m, i), texts[i]);
            if (rc < 0) {
#pragma omp atomic write
                fail = 1;
            } else {
                empty[i] = (unsigned char)rc;
            }
        }
        scratch_free(&sc);
    }
    if (fail) {
        err = prle__error_nomem("hashing encode");
        goto done;
    }
    if (n_empty) {
        size_t e = 0;
        for (size_t i = 0; i < n; i++)
            e += empty[i];
        *n_empty = e;
    }
    *out = m;
    m = (prle_matrix){0};
done:
    prle_matrix_dispose(&m);
    free(empty);
    return err;
}

static void hashing_free(prle_encoder *enc)
{
    hashing_state *st = enc->state;
    if (st)
        free(st->idf), free(st->df);
    free(st);
}

static const prle__encoder_ops hashing_ops = {
    "hashing", hashing_fit, hashing_encode, hashing_free, hashing_save, hashing_load, NULL};

int prle__hashing_encoder_init(prle_encoder *enc, const prle_config *cfg)
{
    if (cfg->model.hidden_dim < 1)
        return prle__error_set(PRLE_EINVAL, "model.hidden_dim: %d, expected >= 1 for hashing",
                               cfg->model.hidden_dim);
    hashing_state *st = calloc(1, sizeof *st);
    char buf[256];
    if (!st)
        return prle__error_nomem("hashing encoder");
    st->dim = (size_t)cfg->model.hidden_dim;
    st->k = st->dim < PRLE__HASH_PROJ_NNZ ? (int)st->dim : PRLE__HASH_PROJ_NNZ;
    st->key = prle__hashing_key(cfg->train.seed);
    st->threads = cfg->train.threads;
    snprintf(buf, sizeof buf,
             "hashing v%d features=word1-2,char_wb3-5 buckets=2^%d tf=sublinear idf=smooth "
             "norm=l2 projection=sparse-sign(k=%d) dim=%zu seed=%llu",
             HASHING_VERSION, PRLE__HASH_BITS, st->k, st->dim, (unsigned long long)cfg->train.seed);
    char *desc = malloc(strlen(buf) + 1);
    if (!desc) {
        free(st);
        return prle__error_nomem("hashing encoder");
    }
    memcpy(desc, buf, strlen(buf) + 1);
    enc->ops = &hashing_ops;
    enc->state = st;
    enc->dim = st->dim;
    enc->describe = desc;
    return 0;
}
