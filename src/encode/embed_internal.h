/* Pieces of prle_embed (cache.c) kept in their own files. Internal. */
#ifndef PRLE_ENCODE_EMBED_INTERNAL_H
#define PRLE_ENCODE_EMBED_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "prle/embed.h"
#include "prle/encoder.h"

/**
 * Pair features (SPEC.md §3): `out` (n, 5d) = [u, v, u+v, |u−v|, u⊙v] from u, v (n, d),
 * allocated here. PRLE_ESHAPE when u and v differ in shape, PRLE_ENOMEM.
 */
int prle__pair_features(prle_matrix *out, const prle_matrix *u, const prle_matrix *v, int threads);

/**
 * encoder_type npy: checks `{dir}/{split}_embeds.npy` of every split against `ds` (rows,
 * equal widths) and fills the report's splits. PRLE_ENOTFOUND / PRLE_ESHAPE / PRLE_EFORMAT
 * naming the file.
 */
int prle__embed_check_inputs(prle_embed_report *rep, const prle_config *cfg,
                             const prle_dataset *ds);

/* ---- from rows to raw embeddings (embed_rows.c), shared over ranks ---------------------- */

/** Every split's per-text embeddings before normalisation and pair features. */
typedef struct prle__embed_raw {
    prle_matrix side[PRLE_N_SPLITS][2]; /* (n, d): first texts (or joined, or single), second */
    size_t n_texts[PRLE_N_SPLITS];      /* texts encoded */
    size_t n_empty[PRLE_N_SPLITS];      /* of those, empty (zero vectors), over all ranks */
    double seconds[PRLE_N_SPLITS];      /* encoding each split */
    size_t n_tokens[PRLE_N_SPLITS];     /* tokens read (gguf), over all ranks */
} prle__embed_raw;

/**
 * Fits `enc` on the train texts (every rank), then encodes every split's texts as
 * prle__embed_text_mode builds them, shared over `comm`'s ranks (NULL: alone); see embed_rows.c.
 * Collective under `comm`: every rank calls it, `err_in` being its status so far (a negative
 * one on any rank stops all of them, nothing encoded). The matrices are filled on rank 0 only.
 * Progress (rank 0 only) as prle_embed documents it.
 */
int prle__embed_encode_all(prle__embed_raw *out, prle_encoder *enc, const prle_config *cfg,
                           const prle_dataset *ds, const prle_embed_comm *comm, prle_progress_fn fn,
                           void *ud, int err_in);

/** Under `comm` (collective): the smallest of the ranks' `err`, a message on ranks that did
 *  not fail themselves; without one (or one rank): `err`. */
int prle__embed_agree(const prle_embed_comm *comm, int err);

/** Frees the matrices and zeroes `raw`. */
void prle__embed_raw_dispose(prle__embed_raw *raw);

/**
 * prle__sha256_file (hex digest and size of `path`), remembered in the user cache per file
 * identity (size, modification time, device, inode, path; sha_memo.c), so that a model of
 * gigabytes is hashed once, not on every run. The same errors as prle__sha256_file.
 */
int prle__sha256_file_memo(char out[65], uint64_t *size, const char *path);

/** prle__sha256_file_memo of the bytes from `offset` on (prle__sha256_file_from). */
int prle__sha256_file_memo_from(char out[65], uint64_t *size, const char *path, uint64_t offset);

/* ---- from rows to encoder input (embed_text.c), shared by the cache and prle predict ---- */

/** How a row becomes encoder input (SPEC.md §3). */
typedef enum {
    PRLE__TEXT_SINGLE, /* rows hold one text */
    PRLE__TEXT_JOINED, /* "s1 TOKEN s2", one text per row (data.combine_fields) */
    PRLE__TEXT_PAIR    /* both texts encoded, then [u, v, u+v, |u-v|, u*v] */
} prle__text_mode;

/** The construction for `ds` under `cfg`. */
prle__text_mode prle__embed_text_mode(const prle_config *cfg, const prle_dataset *ds);

/** model.normalize_embeddings (or the mean-pool encoder's model.normalize): each text's
 *  vector is L2-normalised before pair features are built. */
bool prle__embed_normalizes(const prle_config *cfg);

/** Scales each row of `m` to unit L2 norm (sum of squares in double, scale applied in
 *  float); all-zero rows are left as they are. */
void prle__embed_l2_normalize_rows(prle_matrix *m);

/**
 * Fits `enc` on the train texts of `ds` as prle__embed_text_mode builds them: both sides of
 * each pair (2n texts, all first sides then all second sides), the joined texts, or the
 * texts. Returns the encoder's code, or PRLE_ENOMEM.
 */
int prle__embed_fit_encoder(prle_encoder *enc, const prle_config *cfg, const prle_dataset *ds);

#endif
