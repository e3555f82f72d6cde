/* Stage 0 encoders: texts to retrieval embeddings (SPEC.md §3). */
#ifndef PRLE_ENCODER_H
#define PRLE_ENCODER_H

#include "prle/config.h"
#include "prle/matrix.h"

PRLE_BEGIN_DECL

/** An encoder chosen by `model.encoder_type` (glove | hashing | npy). Opaque. */
typedef struct prle_encoder prle_encoder;

/**
 * Creates the encoder the config names, with its settings (vectors path, pooling, sif_a,
 * remove_pc, hidden_dim, seed...). Loads what it needs (word vectors, fetched and imported
 * into the user cache when the default vectors are missing). PRLE_EINVAL for an unknown or
 * unbuilt encoder type. Free with prle_encoder_free.
 */
PRLE_API int prle_encoder_new(prle_encoder **out, const prle_config *cfg);

/** Frees the encoder; NULL does nothing. */
PRLE_API void prle_encoder_free(prle_encoder *enc);

/**
 * Fits what an encoder learns from training texts (SIF principal component, TF-IDF document
 * frequencies). `texts` are all texts of the train split (both sides of pairs). Encoders that
 * learn nothing return 0. Must be called once before encode for encoders that need it.
 */
PRLE_API int prle_encoder_fit(prle_encoder *enc, const char *const *texts, size_t n);

/**
 * Encodes `n` texts into `out` (n, dim), allocated here. Rows of texts with no known token
 * are zero; their count goes to `*n_empty` (may be NULL). Thread-safe for concurrent calls
 * after fit (it only reads the encoder).
 */
PRLE_API int prle_encoder_encode(prle_matrix *out, const prle_encoder *enc,
                                 const char *const *texts, size_t n, size_t *n_empty);

/**
 * Writes what prle_encoder_fit learned to `path` (safetensors, atomically), with the
 * encoder's description in the metadata: glove the principal component ("pc", f64), hashing
 * the document frequencies ("df", i64 (m, 2) bucket and count, metadata "n_texts"). A run
 * folder keeps it as encoder.safetensors, so it encodes new texts without its training data.
 * Also for encoders that learn nothing (no tensors). PRLE_EIO naming the path.
 */
PRLE_API int prle_encoder_save_state(const prle_encoder *enc, const char *path);

/**
 * Reads a file of prle_encoder_save_state into `enc`, made from the same config, instead of
 * prle_encoder_fit: it then encodes the same bits. PRLE_EFORMAT naming the path when the
 * file is not one, or was written by an encoder with other settings or other word vectors
 * (their location may differ); PRLE_ENOTFOUND.
 */
PRLE_API int prle_encoder_load_state(prle_encoder *enc, const char *path);

/**
 * The pooling the config's encoder uses: `model.pooling` when set, else the encoder's default
 * (glove "sif": frequency-weighted word vectors, which measured better than the plain mean
 * on every data set tried; gguf "mean", the original's); NULL for encoders that do not pool
 * (hashing, npy). Borrowed from `cfg` or static.
 */
PRLE_API const char *prle_encoder_pooling(const prle_config *cfg);

/** Output width of one text. */
PRLE_API size_t prle_encoder_dim(const prle_encoder *enc);

/** The encoder's name and every setting that changes its output, as a one-line string for
 * cache manifests, e.g. "glove vectors=/x/glove.pvec(sha256=...) pooling=sif a=0.001 pc=1".
 * Borrowed; valid while the encoder lives. */
PRLE_API const char *prle_encoder_describe(const prle_encoder *enc);

PRLE_END_DECL

#endif
