/* The glove encoder: tokens (tokenize.c) looked up in word vectors (vectors.c), pooled by mean
 * or SIF (Arora, Liang & Ma 2017, "A simple but tough-to-beat baseline for sentence
 * embeddings", Alg. 1), optionally minus the first principal component fitted on train.
 *
 * SIF weight of word w: a / (a + p(w)). p(w) is count(w) / sum of counts when the vectors
 * carry counts, else Zipf's law on the frequency rank r (0-based; GloVe files are in
 * frequency order): p(w) = 1 / ((r + 1) ln(1.78 V)), as the measuring harness computes it.
 * A text's vector is sum_w weight(w) v(w) / sum_w weight(w) (the harness normalises by the
 * weights; Arora et al. divide by the count), summed in double. PC removal is uncentred, as
 * in Arora et al.: x - (x . u) u with u the first right singular vector of the (n, d) matrix
 * of pooled train texts. Texts without a known token give a zero row, counted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "encode/embed_internal.h"
#include "encode/encoder_impl.h"
#include "encode/tokenize.h"
#include "encode/vectors_internal.h"
#include "prle/vectors.h"

typedef struct glove_state {
    prle_vectors *vec;
    size_t d, V;
    bool sif;
    double a;
    double zipf_log;    /* ln(1.78 V) */
    double count_total; /* sum of counts, 0 = use ranks */
    int remove_pc;
    bool fitted;
    double *pc; /* (d) unit vector, NULL until fit */
    int threads;
} glove_state;

/* ---- one text --------------------------------------------------------------------------- */

typedef struct pool_ctx {
    const glove_state *st;
    double *acc; /* (d) */
    double wsum;
    size_t n_known;
} pool_ctx;

static bool tok_known(void *ud, const char *s, size_t n)
{
    const pool_ctx *c = ud;
    return prle_vectors_lookup(c->st->vec, s, n) >= 0;
}

static void tok_emit(void *ud, const char *s, size_t n)
{
    pool_ctx *c = ud;
    const glove_state *st = c->st;
    int64_t i = prle_vectors_lookup(st->vec, s, n);
    if (i < 0)
        return;
    double w = 1.0;
    if (st->sif) {
        double p = st->count_total > 0
                       ? (double)prle_vectors_count(st->vec, (size_t)i) / st->count_total
                       : 1.0 / ((double)(i + 1) * st->zipf_log);
        w = st->a / (st->a + p);
    }
    const float *row = prle_vectors_row(st->vec, (size_t)i);
    for (size_t k = 0; k < st->d; k++)
        c->acc[k] += w * (double)row[k];
    c->wsum += w;
    c->n_known++;
}

typedef struct scratch {
    char *norm;
    size_t cap;
} scratch;

/* Pools one text into `out` (d doubles); false when no token is known (out is zero). PC
 * removal is left to the caller. -1 when the scratch cannot grow. */
static int pool_text(const glove_state *st, scratch *sc, const char *text, double *out)
{
    size_t len = strlen(text);
    if (len + 1 > sc->cap) {
        size_t cap = 2 * (len + 1);
        char *p = realloc(sc->norm, cap);
        if (!p)
            return -1;
        sc->norm = p;
        sc->cap = cap;
    }
    size_t n = prle__tok_normalize(sc->norm, text, len);
    pool_ctx c = {st, out, 0.0, 0};
    memset(out, 0, st->d * sizeof *out);
    prle__tokenize(sc->norm, n, tok_known, tok_emit, &c);
    if (c.wsum <= 0.0)
        return 0;
    for (size_t k = 0; k < st->d; k++)
        out[k] /= c.wsum;
    return 1;
}

static void remove_pc(const glove_state *st, double *x)
{
    double dot = 0.0;
    for (size_t k = 0; k < st->d; k++)
        dot += x[k] * st->pc[k];
    for (size_t k = 0; k < st->d; k++)
        x[k] -= dot * st->pc[k];
}

/* Pools texts [0, n) into `out` (n, d), in parallel over texts; each row depends on its text
 * only, so the result does not depend on the thread count. Zero rows are counted. */
static int pool_all(const glove_state *st, double *out, const char *const *texts, size_t n,
                    size_t *n_empty, bool apply_pc)
{
    int failed = 0;
    size_t empty = 0;
    const size_t d = st->d;
#pragma omp parallel num_threads(st->threads) reduction(+ : empty, failed)
    {
        scratch sc = {NULL, 0};
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < n; i++) {
            if (failed)
                continue;
            int r = pool_text(st, &sc, texts[i] ? texts[i] : "", out + i * d);
            if (r < 0)
                failed++;
            else if (r == 0)
                empty++;
            else if (apply_pc)
                remove_pc(st, out + i * d);
        }
        free(sc.norm);
    }
    if (failed)
        return prle__error_nomem("glove: text buffer");
    *n_empty = empty;
    return 0;
}

/* ---- the first principal component ------------------------------------------------------ */

/* Eigenvector of the largest eigenvalue of the symmetric (d, d) matrix `a` (destroyed), by
 * cyclic Jacobi rotations (Golub & Van Loan, Alg. 8.5.3): exact to rounding whatever the gap
 * between eigenvalues, deterministic, and cheap at d of a few hundred. Sign: its largest
 * entry is positive. */
static int top_eigenvector(double *a, size_t d, double *u)
{
    double *v = calloc(d * d, sizeof *v);
    if (!v)
        return prle__error_nomem("glove: eigenvectors");
    for (size_t i = 0; i < d; i++)
        v[i * d + i] = 1.0;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0, diag = 0.0;
        for (size_t p = 0; p < d; p++) {
            diag += a[p * d + p] * a[p * d + p];
            for (size_t q = p + 1; q < d; q++)
                off += a[p * d + q] * a[p * d + q];
        }
        if (off <= 1e-30 * diag || off == 0.0)
            break;
        for (size_t p = 0; p < d; p++)
            for (size_t q = p + 1; q < d; q++) {
                double apq = a[p * d + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                double t = fabs(theta) > 1e150 ? 0.5 / theta
                                               : (theta >= 0 ? 1.0 : -1.0) /
                                                     (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (size_t k = 0; k < d; k++) { /* columns p, q */
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < d; k++) { /* rows p, q */
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for (size_t k = 0; k < d; k++) {
                    double vkp = v[k * d + p], vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
    size_t best = 0;
    for (size_t i = 1; i < d; i++)
        if (a[i * d + i] > a[best * d + best])
            best = i;
    size_t big = 0;
    for (size_t k = 0; k < d; k++) {
        u[k] = v[k * d + best];
        if (fabs(u[k]) > fabs(u[big]))
            big = k;
    }
    double sign = u[big] < 0 ? -1.0 : 1.0, norm = 0.0;
    for (size_t k = 0; k < d; k++)
        norm += u[k] * u[k];
    norm = sqrt(norm);
    for (size_t k = 0; k < d; k++)
        u[k] = norm > 0 ? sign * u[k] / norm : 0.0;
    free(v);
    return 0;
}

static int glove_fit(prle_encoder *enc, const char *const *texts, size_t n)
{
    glove_state *st = enc->state;
    const size_t d = st->d;
    int err = 0;
    double *x = NULL, *cov = NULL, *u = NULL;
    size_t bytes, n_empty = 0;
    st->fitted = true;
    if (!st->remove_pc)
        return 0;
    if (!prle__mul_ok(&bytes, n, d) || !prle__mul_ok(&bytes, bytes, sizeof(double)) ||
        !(x = malloc(bytes ? bytes : 1)) || !(cov = calloc(d * d, sizeof *cov)) ||
        !(u = malloc(d * sizeof *u))) {
        err = prle__error_nomem("glove: principal component");
        goto done;
    }
    if ((err = pool_all(st, x, texts, n, &n_empty, false)) < 0)
        goto done;
        /* cov = X^T X (uncentred), one row of cov per iteration: disjoint outputs, fixed order */
#pragma omp parallel for num_threads(st->threads) schedule(dynamic, 4)
    for (size_t i = 0; i < d; i++) {
        double *ci = cov + i * d;
        for (size_t r = 0; r < n; r++) {
            const double *xr = x + r * d;
            double xi = xr[i];
            for (size_t j = 0; j < d; j++)
                ci[j] += xi * xr[j];
        }
    }
    if ((err = top_eigenvector(cov, d, u)) < 0)
        goto done;
    free(st->pc);
    st->pc = u;
    u = NULL;
done:
    if (err < 0)
        st->fitted = false;
    free(x);
    free(cov);
    free(u);
    return err;
}

static int glove_encode(const prle_encoder *enc, prle_matrix *out, const char *const *texts,
                        size_t n, size_t *n_empty)
{
    const glove_state *st = enc->state;
    const size_t d = st->d;
    int err;
    size_t bytes;
    if (st->remove_pc && !st->pc)
        return prle__error_set(PRLE_EINVAL, "glove: model.remove_pc = 1 needs fit on the train "
                                            "texts before encode");
    if (!prle__mul_ok(&bytes, n, d) || !prle__mul_ok(&bytes, bytes, sizeof(double)))
        return prle__error_nomem("glove: output");
    double *x = malloc(bytes ? bytes : 1);
    prle_matrix m = {0};
    if (!x)
        return prle__error_nomem("glove: output");
    if ((err = pool_all(st, x, texts, n, n_empty, st->pc != NULL)) < 0 ||
        (err = prle_matrix_alloc(&m, n, d)) < 0) {
        free(x);
        return err;
    }
    for (size_t i = 0; i < n * d; i++)
        m.data[i] = (float)x[i];
    free(x);
    *out = m;
    return 0;
}

static void glove_free(prle_encoder *enc)
{
    glove_state *st = enc->state;
    if (!st)
        return;
    prle_vectors_free(st->vec);
    free(st->pc);
    free(st);
    enc->state = NULL;
}

/* The state: the principal component "pc" (d) f64 when it is removed; nothing else is fitted. */
static int glove_save(const prle_encoder *enc, prle_st_writer *w)
{
    const glove_state *st = enc->state;
    if (!st->fitted)
        return prle__error_set(PRLE_EINVAL, "glove: fit it before saving its state");
    size_t shape[1] = {st->d};
    return st->pc ? prle_st_writer_add_f64(w, "pc", st->pc, 1, shape) : 0;
}

static int glove_load(prle_encoder *enc, const prle_st_file *f, const char *path)
{
    glove_state *st = enc->state;
    if (st->remove_pc) {
        prle_st_tensor_info t;
        int err = prle_st_find(&t, f, "pc");
        if (err < 0)
            return err;
        if (t.ndim != 1 || t.shape[0] != st->d)
            return prle__error_set(PRLE_EFORMAT, "%s: pc is not a vector of %zu", path, st->d);
        double *pc = malloc(st->d * sizeof *pc);
        if (!pc)
            return prle__error_nomem("glove state");
        if ((err = prle_st_read_f64(pc, st->d, f, "pc")) < 0) {
            free(pc);
            return err;
        }
        free(st->pc);
        st->pc = pc;
    }
    st->fitted = true;
    return 0;
}

static const prle__encoder_ops glove_ops = {"glove",    glove_fit,  glove_encode, glove_free,
                                            glove_save, glove_load, NULL};

/* The content's sha256, which the header records at import and the encoder's description
 * (so the embedding cache and encoder.safetensors) trusts: hashed once per file identity
 * (the memo), so a file changed in place under the same header is refused, not read as the
 * one it was. */
static int verify(const prle_vectors *vec)
{
    char sha[65];
    uint64_t size = 0;
    const char *path = prle_vectors_path(vec);
    int err = prle__sha256_file_memo_from(sha, &size, path, sizeof(prle__pvec_header));
    if (err < 0)
        return err;
    if (strcmp(sha, prle_vectors_sha256(vec)) != 0)
        return prle__error_set(PRLE_EFORMAT,
                               "%s: its content's sha256 is %.12s..., not the %.12s... its "
                               "header recorded at import: the file changed since; import it "
                               "again (prle vectors import)",
                               path, sha, prle_vectors_sha256(vec));
    return 0;
}

int prle__glove_encoder_init(prle_encoder *enc, const prle_config *cfg)
{
    const prle_model_config *mc = &cfg->model;
    const char *pooling = prle_encoder_pooling(cfg);
    int err;
    if ((err = prle__encoder_pooling_check(cfg)) < 0)
        return err;
    if (!(mc->sif_a > 0) || !isfinite(mc->sif_a))
        return prle__error_set(PRLE_EINVAL, "model.sif_a: %g must be positive", mc->sif_a);
    if (mc->remove_pc != 0 && mc->remove_pc != 1)
        return prle__error_set(PRLE_EINVAL, "model.remove_pc: %d must be 0 or 1", mc->remove_pc);
    glove_state *st = calloc(1, sizeof *st);
    if (!st)
        return prle__error_nomem("glove encoder");
    if ((err = prle_vectors_load(&st->vec, mc->vectors)) < 0 || (err = verify(st->vec)) < 0) {
        prle_vectors_free(st->vec);
        free(st);
        return err;
    }
    st->d = prle_vectors_dim(st->vec);
    st->V = prle_vectors_n_words(st->vec);
    st->sif = strcmp(pooling, "sif") == 0;
    st->a = mc->sif_a;
    st->zipf_log = log(1.78 * (double)st->V);
    st->remove_pc = mc->remove_pc;
    st->threads = prle__threads_resolve(cfg->train.threads);
    if (prle_vectors_has_counts(st->vec))
        for (size_t i = 0; i < st->V; i++)
            st->count_total += (double)prle_vectors_count(st->vec, i);

    /* the vectors by content (sha256 stored at import: no 0.3 s re-hash per run) */
    char a_txt[64] = "";
    if (st->sif)
        snprintf(a_txt, sizeof a_txt, " a=%.9g p=%s", st->a,
                 st->count_total > 0 ? "counts" : "zipf");
    const char *path = prle_vectors_path(st->vec);
    size_t cap = strlen(path) + 256;
    char *desc = malloc(cap);
    if (!desc) {
        prle_vectors_free(st->vec);
        free(st);
        return prle__error_nomem("glove encoder");
    }
    snprintf(desc, cap, "glove vectors=%s sha256=%s words=%zu dim=%zu tok=%s pooling=%s%s pc=%d",
             path, prle_vectors_sha256(st->vec), st->V, st->d, PRLE__TOK_VERSION, pooling, a_txt,
             st->remove_pc);
    enc->ops = &glove_ops;
    enc->state = st;
    enc->dim = st->d;
    enc->describe = desc;
    return 0;
}
