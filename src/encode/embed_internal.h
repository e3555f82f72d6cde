/* Pieces of prle_embed (cache.c) kept in their own files. Internal. */
#ifndef PRLE_ENCODE_EMBED_INTERNAL_H
#define PRLE_ENCODE_EMBED_INTERNAL_H

#include <stdbool.h>

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
