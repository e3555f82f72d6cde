/* encoder_type gguf (SPEC.md §3): a language model in a GGUF file run through llama.cpp, its
 * last hidden states pooled per text (mean, the original's; last; cls = the first token).
 * The only file including llama.h and gguf.h.
 *
 * Texts go through llama.cpp's own tokenizer with the special tokens the model's metadata asks
 * for (BOS...) and special-token text parsed, as llama.cpp's llama-embedding does; then they
 * are cut to data.max_seq_length tokens. Rows are decoded `batch` at a time (one sequence id
 * per text, one llama_decode per batch; train.eval_batch_size, else train.train_batch_size),
 * in batches that start at multiples of `batch` counted from the call's first text: the cache
 * (cache.c) starts every call at such a multiple of the whole split, so a row lands in the
 * same batch whether one process or several MPI ranks embed the split. A batch of more tokens
 * than the context holds is decoded in greedy runs of texts that fit.
 *
 * The file is checked before llama.cpp sees it: missing, not GGUF (magic), a header ggml's
 * reader rejects, no tensors (a vocabulary-only file: nothing to embed with), or shorter than
 * its tensors need (a truncated download) each give an error naming the file. llama.cpp's log
 * is kept off stderr; its first error line is added to a failed load's message. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gguf.h>
#include <llama.h>

#include "core/error.h"
#include "core/str.h"
#include "core/threads.h"
#include "encode/embed_internal.h"
#include "encode/encoder_impl.h"

#define GGUF_ENCODER_VERSION 1
#define MAX_BATCH_TOKENS 4096 /* tokens per llama_decode, unless one text needs more */

typedef struct gguf_state {
    struct llama_model *model;
    struct llama_context *ctx;
    const struct llama_vocab *vocab;
    struct llama_batch batch;
    size_t dim;        /* n_embd_out */
    size_t rows;       /* texts per batch */
    int max_tokens;    /* data.max_seq_length */
    int batch_tokens;  /* the context: tokens per llama_decode */
    llama_token *toks; /* (rows, max_tokens) of the batch being built */
    int *n_toks;       /* (rows) */
    size_t tokens;     /* decoded so far */
} gguf_state;

/* ---- llama.cpp's process-wide log: kept, not printed -------------------------------------- */

static pthread_once_t backend_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static char last_log_error[256];

static void on_llama_log(enum ggml_log_level level, const char *text, void *ud)
{
    (void)ud;
    if (level != GGML_LOG_LEVEL_ERROR || !text)
        return;
    pthread_mutex_lock(&log_mutex);
    if (last_log_error[0]) { /* the first since reset_log: the cause, not the consequences */
        pthread_mutex_unlock(&log_mutex);
        return;
    }
    snprintf(last_log_error, sizeof last_log_error, "%s", text);
    size_t n = strlen(last_log_error);
    while (n > 0 && (last_log_error[n - 1] == '\n' || last_log_error[n - 1] == ' '))
        last_log_error[--n] = '\0';
    pthread_mutex_unlock(&log_mutex);
}

static void backend_start(void)
{
    llama_log_set(on_llama_log, NULL);
    llama_backend_init();
}

static void reset_log(void)
{
    pthread_mutex_lock(&log_mutex);
    last_log_error[0] = '\0';
    pthread_mutex_unlock(&log_mutex);
}

static void last_error(char *out, size_t cap)
{
    pthread_mutex_lock(&log_mutex);
    snprintf(out, cap, "%s", last_log_error[0] ? last_log_error : "no reason given");
    pthread_mutex_unlock(&log_mutex);
}

/* ---- the file ---------------------------------------------------------------------------- */

/* Rejects what llama.cpp would fail on with a less helpful message (or not at all). */
static int check_file(const char *path)
{
    struct stat st;
    unsigned char magic[4] = {0};
    if (stat(path, &st) != 0)
        return prle__error_set(PRLE_ENOTFOUND, "model.model_path: %s: no such file", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return prle__error_set(PRLE_EIO, "model.model_path: %s: cannot open", path);
    size_t got = fread(magic, 1, 4, f);
    fclose(f);
    if (got < 4 || memcmp(magic, "GGUF", 4) != 0)
        return prle__error_set(PRLE_EFORMAT,
                               "model.model_path: %s: not a GGUF file (it does not start with "
                               "\"GGUF\")",
                               path);
    pthread_once(&backend_once, backend_start); /* ggml's complaints to our log, not stderr */
    struct gguf_context *g = gguf_init_from_file(path, (struct gguf_init_params){true, NULL});
    if (!g)
        return prle__error_set(PRLE_EFORMAT,
                               "model.model_path: %s: a damaged or truncated GGUF header", path);
    int64_t n = gguf_get_n_tensors(g);
    uint64_t need = gguf_get_data_offset(g);
    for (int64_t i = 0; i < n; i++) {
        uint64_t end =
            gguf_get_data_offset(g) + gguf_get_tensor_offset(g, i) + gguf_get_tensor_size(g, i);
        need = end > need ? end : need;
    }
    gguf_free(g);
    if (n == 0)
        return prle__error_set(PRLE_EFORMAT,
                               "model.model_path: %s: a GGUF file with no tensors (a vocabulary "
                               "or metadata file?): no embedding output",
                               path);
    if ((uint64_t)st.st_size < need)
        return prle__error_set(PRLE_EFORMAT,
                               "model.model_path: %s: truncated: %llu bytes, its tensors need "
                               "%llu",
                               path, (unsigned long long)st.st_size, (unsigned long long)need);
    return 0;
}

/* ---- encoding ------------------------------------------------------------------------------ */

/* Tokenizes `text` into `out` (cap `max_tokens`): all tokens up to the cut. `*n_content` is
 * the count without the special tokens the model adds (0: an empty text). */
static int tokenize(gguf_state *st, llama_token *out, int *n_out, int *n_content, const char *text)
{
    size_t len = strlen(text);
    if (len > (size_t)INT32_MAX / 2)
        return prle__error_set(PRLE_EINVAL, "gguf: a text of %zu bytes", len);
    int cap = (int)len + 8;
    llama_token *all = malloc((size_t)cap * sizeof *all);
    if (!all)
        return prle__error_nomem("gguf tokens");
    int n = llama_tokenize(st->vocab, text, (int32_t)len, all, cap, true, true);
    if (n < 0) { /* cannot happen with len + 8, but llama.h allows it */
        free(all);
        return prle__error_set(PRLE_EINVAL, "gguf: the tokenizer needs %d tokens", -n);
    }
    *n_content = n;
    if (n <= 2) /* only special tokens? */
        *n_content = llama_tokenize(st->vocab, text, (int32_t)len, all + n, cap - n, false, true);
    *n_out = n < st->max_tokens ? n : st->max_tokens;
    memcpy(out, all, (size_t)*n_out * sizeof *out);
    free(all);
    return 0;
}

/* Decodes texts [a, b) of the batch being built (their tokens in st->toks) into out rows. */
static int decode_run(gguf_state *st, float *out, size_t a, size_t b)
{
    struct llama_batch *bt = &st->batch;
    bt->n_tokens = 0;
    for (size_t i = a; i < b; i++)
        for (int t = 0; t < st->n_toks[i]; t++) {
            int k = bt->n_tokens++;
            bt->token[k] = st->toks[i * (size_t)st->max_tokens + (size_t)t];
            bt->pos[k] = t;
            bt->n_seq_id[k] = 1;
            bt->seq_id[k][0] = (llama_seq_id)(i - a);
            bt->logits[k] = 1;
        }
    if (bt->n_tokens == 0)
        return 0;
    st->tokens += (size_t)bt->n_tokens;
    llama_memory_clear(llama_get_memory(st->ctx), true);
    reset_log();
    int rc = llama_decode(st->ctx, *bt);
    if (rc != 0) {
        char why[256];
        last_error(why, sizeof why);
        return prle__error_set(PRLE_ERROR, "gguf: llama_decode returned %d (%s)", rc, why);
    }
    for (size_t i = a; i < b; i++) {
        if (st->n_toks[i] == 0)
            continue;
        const float *e = llama_get_embeddings_seq(st->ctx, (llama_seq_id)(i - a));
        if (!e)
            return prle__error_set(PRLE_ERROR, "gguf: llama.cpp gave no pooled embedding");
        memcpy(out + (i - a) * st->dim, e, st->dim * sizeof *out);
    }
    return 0;
}

/* One batch of `n` texts into `out` (n, dim): greedy runs of texts that fit the context. */
static int encode_batch(gguf_state *st, float *out, const char *const *texts, size_t n,
                        size_t *n_empty)
{
    int err = 0;
    for (size_t i = 0; i < n && err == 0; i++) {
        int content = 0;
        err = tokenize(st, st->toks + i * (size_t)st->max_tokens, &st->n_toks[i], &content,
                       texts[i] ? texts[i] : "");
        *n_empty += content == 0;
    }
    size_t a = 0;
    while (err == 0 && a < n) {
        size_t b = a;
        int used = 0;
        while (b < n && used + st->n_toks[b] <= st->batch_tokens)
            used += st->n_toks[b++];
        err = decode_run(st, out + a * st->dim, a, b);
        a = b;
    }
    return err;
}

static int gguf_encode(const prle_encoder *enc, prle_matrix *out, const char *const *texts,
                       size_t n, size_t *n_empty)
{
    gguf_state *st = enc->state;
    prle_matrix m = {0};
    int err = prle_matrix_alloc(&m, n, st->dim);
    *n_empty = 0;
    for (size_t i = 0; err == 0 && i < n; i += st->rows) {
        size_t c = n - i < st->rows ? n - i : st->rows;
        memset(prle_matrix_row(&m, i), 0, c * st->dim * sizeof(float));
        err = encode_batch(st, prle_matrix_row(&m, i), texts + i, c, n_empty);
    }
    if (err < 0) {
        prle_matrix_dispose(&m);
        return err;
    }
    *out = m;
    return 0;
}

static void gguf_free_state(prle_encoder *enc)
{
    gguf_state *st = enc->state;
    if (!st)
        return;
    if (st->batch.token)
        llama_batch_free(st->batch);
    if (st->ctx)
        llama_free(st->ctx);
    if (st->model)
        llama_model_free(st->model);
    free(st->toks);
    free(st->n_toks);
    free(st);
    enc->state = NULL;
}

static size_t gguf_tokens(const prle_encoder *enc)
{
    return ((const gguf_state *)enc->state)->tokens;
}

static const prle__encoder_ops gguf_ops = {"gguf", NULL, gguf_encode, gguf_free_state,
                                           NULL,   NULL, gguf_tokens};

static enum llama_pooling_type pooling_of(const char *name)
{
    if (strcmp(name, "last") == 0)
        return LLAMA_POOLING_TYPE_LAST;
    if (strcmp(name, "cls") == 0)
        return LLAMA_POOLING_TYPE_CLS;
    return LLAMA_POOLING_TYPE_MEAN;
}

/* Loads the model and makes the context; `path` names the file in messages. */
static int load(gguf_state *st, const char *path, const char *pooling, int threads)
{
    char why[256];
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    reset_log();
    if (!(st->model = llama_model_load_from_file(path, mp))) {
        last_error(why, sizeof why);
        return prle__error_set(PRLE_EFORMAT, "model.model_path: %s: llama.cpp cannot load it (%s)",
                               path, why);
    }
    st->vocab = llama_model_get_vocab(st->model);
    int d = llama_model_n_embd_out(st->model);
    if (d <= 0 || (llama_model_has_encoder(st->model) && llama_model_has_decoder(st->model)) ||
        llama_vocab_n_tokens(st->vocab) <= 0)
        return prle__error_set(
            PRLE_EFORMAT, "model.model_path: %s: no usable embedding output (width %d%s)", path, d,
            llama_model_has_encoder(st->model) ? ", an encoder-decoder model" : "");
    st->dim = (size_t)d;
    int trained = llama_model_n_ctx_train(st->model); /* beyond it: memory without bound */
    if (trained > 0 && st->max_tokens > trained)
        return prle__error_set(PRLE_EINVAL,
                               "data.max_seq_length %d is longer than %s's trained context of %d "
                               "tokens: set it to %d or less",
                               st->max_tokens, path, trained, trained);
    size_t most = llama_max_parallel_sequences();
    if (st->rows > most)
        st->rows = most;
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = cp.n_batch = cp.n_ubatch = (uint32_t)st->batch_tokens;
    cp.n_seq_max = (uint32_t)st->rows;
    cp.n_threads = cp.n_threads_batch = prle__threads_resolve(threads);
    cp.pooling_type = pooling_of(pooling);
    cp.embeddings = true;
    cp.kv_unified = true;
    cp.no_perf = true;
    reset_log();
    if (!(st->ctx = llama_init_from_model(st->model, cp))) {
        last_error(why, sizeof why);
        return prle__error_set(PRLE_EFORMAT,
                               "model.model_path: %s: llama.cpp cannot make an embedding context "
                               "(%s)",
                               path, why);
    }
    st->batch = llama_batch_init(st->batch_tokens, 0, 1);
    st->toks = malloc(st->rows * (size_t)st->max_tokens * sizeof *st->toks);
    st->n_toks = calloc(st->rows, sizeof *st->n_toks);
    if (!st->batch.token || !st->toks || !st->n_toks)
        return prle__error_nomem("gguf encoder");
    return 0;
}

int prle__gguf_encoder_init(prle_encoder *enc, const prle_config *cfg)
{
    const char *path = cfg->model.model_path;
    const char *pooling = prle_encoder_pooling(cfg);
    if (!path || !*path)
        return prle__error_set(PRLE_EINVAL, "model.model_path: not set (encoder_type gguf needs "
                                            "a .gguf file)");
    int err = prle__encoder_pooling_check(cfg);
    if (err < 0 || (err = check_file(path)) < 0)
        return err;
    char sha[65];
    uint64_t size = 0;
    if ((err = prle__sha256_file_memo(sha, &size, path)) < 0)
        return err;
    pthread_once(&backend_once, backend_start);
    gguf_state *st = calloc(1, sizeof *st);
    if (!st)
        return prle__error_nomem("gguf encoder");
    int b =
        cfg->train.eval_batch_size > 0 ? cfg->train.eval_batch_size : cfg->train.train_batch_size;
    st->rows = b > 0 ? (size_t)b : 1;
    st->max_tokens = cfg->data.max_seq_length > 0 ? cfg->data.max_seq_length : 1;
    size_t want = st->rows * (size_t)st->max_tokens;
    st->batch_tokens = want < MAX_BATCH_TOKENS ? (int)want : MAX_BATCH_TOKENS;
    if (st->batch_tokens < st->max_tokens) { /* one text needs more: one text a decode (a */
        st->batch_tokens = st->max_tokens;   /* context of 4,097 tokens over several sequences */
        st->rows = 1;                        /* failed a GGML_ASSERT in llama.cpp) */
    }
    enc->state = st;
    if ((err = load(st, path, pooling, cfg->train.threads)) < 0) {
        gguf_free_state(enc);
        return err;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char buf[512];
    snprintf(buf, sizeof buf,
             "gguf v%d model=%s sha256=%s size=%llu pooling=%s max_seq_length=%d batch=%zu "
             "dim=%zu",
             GGUF_ENCODER_VERSION, base, sha, (unsigned long long)size, pooling, st->max_tokens,
             st->rows, st->dim);
    if (!(enc->describe = prle__strdup(buf))) {
        gguf_free_state(enc);
        return prle__error_nomem("gguf encoder");
    }
    enc->ops = &gguf_ops;
    enc->dim = st->dim;
    enc->granule = st->rows;
    return 0;
}
