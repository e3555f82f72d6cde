/* From a dataset's rows to raw per-text embeddings (before normalisation and pair features),
 * for prle_embed (cache.c): the encoder fitted on the train texts, then every split's texts
 * encoded in chunks, by this process alone or shared over the ranks of a prle_embed_comm.
 *
 * Sharing: a split's n texts are cut into blocks of the encoder's granule (its batch; 1 for
 * glove and hashing) and rank r takes blocks [nb·r/size, nb·(r+1)/size) of the nb blocks; its
 * chunks start at its first row and are a multiple of the granule long, so every encoder call
 * starts at a multiple of the granule of the whole split, as in one process: each text is
 * encoded in the same batch and the gathered rows are the bits one process computes. Every
 * collective step first agrees on the ranks' status, so a failure on any rank stops all of
 * them at the same step instead of leaving the others waiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/progress.h"
#include "encode/embed_internal.h"
#include "encode/encoder_impl.h"

#define CHUNK 4096 /* texts per encode call, between progress reports */

typedef struct shard_ctx {
    const prle_embed_comm *comm; /* NULL: alone */
    prle_progress_fn fn;
    void *ud;
} shard_ctx;

static int ranks(const shard_ctx *c)
{
    return c->comm && c->comm->size > 1 ? c->comm->size : 1;
}

static bool is_root(const shard_ctx *c)
{
    return ranks(c) == 1 || c->comm->rank == 0;
}

/* The smallest status over the ranks; a rank that did not fail itself gets a message. */
static int agree(const shard_ctx *c, int err)
{
    if (ranks(c) == 1)
        return err;
    int all = err;
    int rc = c->comm->min_int(c->comm->ud, &all);
    if (rc < 0)
        return rc;
    if (all < 0 && err == 0)
        return prle__error_set(all, "embedding stopped: another rank failed (%s)",
                               prle_status_name(all));
    return all < 0 ? err : 0;
}

int prle__embed_agree(const prle_embed_comm *comm, int err)
{
    shard_ctx c = {comm, NULL, NULL};
    return agree(&c, err);
}

/* Rows [lo, hi) of `n` for rank `r` of `size`, in whole blocks of `g`. */
static void shard_range(size_t *lo, size_t *hi, size_t n, size_t g, int r, int size)
{
    size_t nb = (n + g - 1) / g;
    size_t b0 = nb * (size_t)r / (size_t)size, b1 = nb * (size_t)(r + 1) / (size_t)size;
    *lo = b0 * g < n ? b0 * g : n;
    *hi = b1 * g < n ? b1 * g : n;
}

/* Encodes texts [lo, hi) into `m` rows [0, hi-lo) in chunks, with progress (rank 0 only). */
static int encode_range(prle_matrix *m, size_t *n_empty, size_t *done, size_t total,
                        const prle_encoder *enc, const char *const *texts, size_t lo, size_t hi,
                        const char *stage, const shard_ctx *c, double t0, size_t g)
{
    size_t chunk = CHUNK / g * g;
    if (chunk == 0)
        chunk = g;
    int err = 0;
    for (size_t i = lo; err == 0 && i < hi; i += chunk) {
        size_t k = hi - i < chunk ? hi - i : chunk, e = 0;
        prle_matrix part = {0};
        if ((err = prle_encoder_encode(&part, enc, texts + i, k, &e)) < 0)
            break;
        if (part.rows != k || part.cols != m->cols) {
            prle_matrix_dispose(&part);
            err = prle__error_set(PRLE_ESHAPE, "encoder gave (%zu, %zu) for %zu texts of width %zu",
                                  part.rows, part.cols, k, m->cols);
            break;
        }
        if (k)
            memcpy(prle_matrix_row(m, i - lo), part.data, k * m->cols * sizeof(float));
        prle_matrix_dispose(&part);
        *n_empty += e;
        *done += k;
        if (is_root(c))
            err = prle__progress(c->fn, c->ud, stage, *done, total, t0, NULL);
    }
    return err;
}

/* `n` texts into `out` (n, d) on rank 0 (left zeroed elsewhere), shared over the ranks. */
static int encode_texts(prle_matrix *out, size_t *n_empty, size_t *done, size_t total,
                        const prle_encoder *enc, const char *const *texts, size_t n,
                        const char *stage, const shard_ctx *c, double t0)
{
    int size = ranks(c), rank = size > 1 ? c->comm->rank : 0;
    size_t g = enc->granule ? enc->granule : 1, lo, hi, e = 0;
    size_t d = prle_encoder_dim(enc);
    shard_range(&lo, &hi, n, g, rank, size);
    prle_matrix mine = {0}, all = {0};
    size_t *rows = NULL;
    int err = prle_matrix_alloc(&mine, hi - lo, d);
    if (err == 0)
        err = encode_range(&mine, &e, done, total, enc, texts, lo, hi, stage, c, t0, g);
    if (size == 1) {
        if ((err = agree(c, err)) == 0) {
            *out = mine;
            mine = (prle_matrix){0};
            *n_empty += e;
        }
        goto done;
    }
    if (err == 0 && !(rows = malloc((size_t)size * sizeof *rows)))
        err = prle__error_nomem("shard rows");
    if (err == 0 && rank == 0)
        err = prle_matrix_alloc(&all, n, d);
    if ((err = agree(c, err)) < 0)
        goto done;
    for (int r = 0; r < size; r++) {
        size_t a, b;
        shard_range(&a, &b, n, g, r, size);
        rows[r] = b - a;
    }
    if ((err = c->comm->gather_rows(c->comm->ud, rank == 0 ? all.data : NULL, mine.data, rows, d)) <
            0 ||
        (err = c->comm->sum_size(c->comm->ud, &e)) < 0)
        goto done;
    *n_empty += e;
    *done += n - (hi - lo); /* the other ranks' rows */
    if (rank == 0) {
        err = prle__progress(c->fn, c->ud, stage, *done, total, t0, NULL);
        *out = all;
        all = (prle_matrix){0};
    }
done:
    free(rows);
    prle_matrix_dispose(&mine);
    prle_matrix_dispose(&all);
    return err;
}

/* Fits the encoder on the train texts (prle__embed_fit_encoder), with progress around it;
 * every rank fits, on the same texts. */
static int fit_encoder(prle_encoder *enc, const prle_dataset *ds, const prle_config *cfg,
                       const shard_ctx *c)
{
    size_t n = prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN);
    size_t nt = prle__embed_text_mode(cfg, ds) == PRLE__TEXT_PAIR ? 2 * n : n;
    double t0 = prle__now();
    int err = 0;
    if (is_root(c))
        err = prle__progress(c->fn, c->ud, "embed:fit", 0, nt, t0, NULL);
    if (err == 0)
        err = prle__embed_fit_encoder(enc, cfg, ds);
    if (err == 0 && is_root(c))
        err = prle__progress(c->fn, c->ud, "embed:fit", nt, nt, t0, NULL);
    return err;
}

void prle__embed_raw_dispose(prle__embed_raw *raw)
{
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        for (int f = 0; f < 2; f++)
            prle_matrix_dispose(&raw->side[s][f]);
    *raw = (prle__embed_raw){0};
}

int prle__embed_encode_all(prle__embed_raw *out, prle_encoder *enc, const prle_config *cfg,
                           const prle_dataset *ds, const prle_embed_comm *comm, prle_progress_fn fn,
                           void *ud, int err_in)
{
    shard_ctx c = {comm, fn, ud};
    prle__embed_raw raw = {0};
    prle__text_mode mode = prle__embed_text_mode(cfg, ds);
    int err = agree(&c, err_in);
    if (err == 0)
        err = agree(&c, fit_encoder(enc, ds, cfg, &c));
    for (int s = 0; s < PRLE_N_SPLITS && err == 0; s++) {
        size_t n = prle_dataset_n_rows(ds, (prle_split)s), done = 0;
        size_t total = mode == PRLE__TEXT_PAIR ? 2 * n : n;
        char stage[32];
        char **joined = NULL;
        double t0 = prle__now();
        size_t tok0 = enc->ops->tokens ? enc->ops->tokens(enc) : 0;
        snprintf(stage, sizeof stage, "embed:%s", prle_split_name((prle_split)s));
        const char *const *first = prle_dataset_texts(ds, (prle_split)s, 0);
        if (mode == PRLE__TEXT_JOINED) {
            err = prle_dataset_join_texts(&joined, ds, (prle_split)s,
                                          cfg->data.combine_separator_token);
            first = (const char *const *)joined;
        }
        if ((err = agree(&c, err)) == 0)
            err = encode_texts(&raw.side[s][0], &raw.n_empty[s], &done, total, enc, first, n, stage,
                               &c, t0);
        if (err == 0 && mode == PRLE__TEXT_PAIR)
            err = encode_texts(&raw.side[s][1], &raw.n_empty[s], &done, total, enc,
                               prle_dataset_texts(ds, (prle_split)s, 1), n, stage, &c, t0);
        raw.n_tokens[s] = enc->ops->tokens ? enc->ops->tokens(enc) - tok0 : 0;
        if (err == 0 && ranks(&c) > 1)
            err = agree(&c, c.comm->sum_size(c.comm->ud, &raw.n_tokens[s]));
        raw.n_texts[s] = total;
        raw.seconds[s] = prle__now() - t0;
        if (joined)
            prle_dataset_texts_free(joined, n);
    }
    if (err < 0) {
        prle__embed_raw_dispose(&raw);
        return err;
    }
    *out = raw;
    return 0;
}
