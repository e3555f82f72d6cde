/* The encoder vtable: each backend (glove.c, hashing.c) fills one. Internal. */
#ifndef PRLE_ENCODE_ENCODER_IMPL_H
#define PRLE_ENCODE_ENCODER_IMPL_H

#include "prle/encoder.h"
#include "prle/safetensors.h"

typedef struct prle__encoder_ops {
    const char *name;
    int (*fit)(prle_encoder *enc, const char *const *texts, size_t n);
    int (*encode)(const prle_encoder *enc, prle_matrix *out, const char *const *texts, size_t n,
                  size_t *n_empty);
    void (*free)(prle_encoder *enc); /* frees `state` only */
    /* what fit learned, as tensors and metadata (NULL: it learns nothing); `load` reads them
     * back in place of fit, naming `path` in messages */
    int (*save)(const prle_encoder *enc, prle_st_writer *w);
    int (*load)(prle_encoder *enc, const prle_st_file *f, const char *path);
    /* tokens encoded since the encoder was made (NULL: not counted) */
    size_t (*tokens)(const prle_encoder *enc);
} prle__encoder_ops;

struct prle_encoder {
    const prle__encoder_ops *ops;
    void *state;    /* the backend's own */
    size_t dim;     /* output width */
    char *describe; /* manifest line, heap */
    size_t granule; /* texts per batch (gguf); calls that start at its multiples batch alike */
};

/* Backends: each fills `enc` (ops, state, dim, describe) from the config. */
int prle__glove_encoder_init(prle_encoder *enc, const prle_config *cfg);
int prle__hashing_encoder_init(prle_encoder *enc, const prle_config *cfg);
#ifdef PRLE_HAVE_LLAMA
int prle__gguf_encoder_init(prle_encoder *enc, const prle_config *cfg);
#endif

/** model.pooling is one the config's encoder has (glove: mean, sif; gguf: mean, last, cls; the
 *  encoders that do not pool ignore it): PRLE_EINVAL naming the key otherwise. The encoders'
 *  inits and prle_run_config_check call it. */
int prle__encoder_pooling_check(const prle_config *cfg);

#endif
