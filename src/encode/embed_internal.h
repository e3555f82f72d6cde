/* Pieces of prle_embed (cache.c) kept in their own files. Internal. */
#ifndef PRLE_ENCODE_EMBED_INTERNAL_H
#define PRLE_ENCODE_EMBED_INTERNAL_H

#include "prle/embed.h"

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

#endif
