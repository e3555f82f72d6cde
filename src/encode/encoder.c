/* The encoder dispatch: model.encoder_type to a backend's vtable (encoder_impl.h). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "encode/encoder_impl.h"

#ifdef PRLE_HAVE_LLAMA
#define PRLE__GGUF_NAME " or gguf"
#else
#define PRLE__GGUF_NAME "; gguf needs a build with PRLE_LLAMA=ON"
#endif

const char *prle_encoder_pooling(const prle_config *cfg)
{
    const char *type = cfg->model.encoder_type ? cfg->model.encoder_type : "";
    bool glove = strcmp(type, "glove") == 0;
    if (!glove && strcmp(type, "gguf") != 0)
        return NULL;
    if (cfg->model.pooling)
        return cfg->model.pooling;
    return glove ? "sif" : "mean";
}

int prle__encoder_pooling_check(const prle_config *cfg)
{
    const char *pool = prle_encoder_pooling(cfg), *type = cfg->model.encoder_type;
    if (!pool || !type)
        return 0;
    bool glove = strcmp(type, "glove") == 0;
    const char *const ok[] = {"mean", glove ? "sif" : "last", glove ? NULL : "cls"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (ok[i] && strcmp(pool, ok[i]) == 0)
            return 0;
    return prle__error_set(PRLE_EINVAL, "model.pooling: %s is not for %s (%s)", pool, type,
                           glove ? "mean or sif" : "mean, last or cls");
}

int prle_encoder_new(prle_encoder **out, const prle_config *cfg)
{
    const char *type = cfg->model.encoder_type ? cfg->model.encoder_type : "(null)";
    int (*init)(prle_encoder *, const prle_config *) = NULL;
    if (strcmp(type, "hashing") == 0)
        init = prle__hashing_encoder_init;
    else if (strcmp(type, "glove") == 0)
        init = prle__glove_encoder_init;
#ifdef PRLE_HAVE_LLAMA
    else if (strcmp(type, "gguf") == 0)
        init = prle__gguf_encoder_init;
#endif
    else if (strcmp(type, "npy") == 0)
        return prle__error_set(PRLE_EINVAL, "model.encoder_type: npy reads precomputed "
                                            "embeddings and has no text encoder");
    else
        return prle__error_set(PRLE_EINVAL,
                               "model.encoder_type: %s is not built in (glove, "
                               "hashing, npy" PRLE__GGUF_NAME ")",
                               type);

    prle_encoder *enc = calloc(1, sizeof *enc);
    if (!enc)
        return prle__error_nomem("encoder");
    int err = init(enc, cfg);
    if (err < 0) {
        free(enc); /* a backend that fails leaves nothing allocated in `enc` */
        return err;
    }
    *out = enc;
    return 0;
}

void prle_encoder_free(prle_encoder *enc)
{
    if (!enc)
        return;
    if (enc->ops && enc->ops->free)
        enc->ops->free(enc);
    free(enc->describe);
    free(enc);
}

int prle_encoder_fit(prle_encoder *enc, const char *const *texts, size_t n)
{
    return enc->ops->fit ? enc->ops->fit(enc, texts, n) : 0;
}

int prle_encoder_encode(prle_matrix *out, const prle_encoder *enc, const char *const *texts,
                        size_t n, size_t *n_empty)
{
    size_t dummy;
    int err = enc->ops->encode(enc, out, texts, n, n_empty ? n_empty : &dummy);
    if (err < 0)
        return err;
    /* a damaged model or vectors file gives NaN rows, which a cache must not keep */
    for (size_t i = 0; i < out->rows; i++) {
        const float *r = prle_matrix_row(out, i);
        for (size_t j = 0; j < out->cols; j++)
            if (!isfinite(r[j])) {
                const char *t = texts && i < n && texts[i] ? texts[i] : "";
                err = prle__error_set(PRLE_EFORMAT,
                                      "the encoder gave %s for the text \"%.40s%s\" (column %zu): "
                                      "its model or vectors file is damaged (%s)",
                                      isnan(r[j]) ? "nan" : "infinity", t,
                                      strlen(t) > 40 ? "..." : "", j, prle_encoder_describe(enc));
                prle_matrix_dispose(out);
                return err;
            }
    }
    return 0;
}

size_t prle_encoder_dim(const prle_encoder *enc)
{
    return enc->dim;
}

const char *prle_encoder_describe(const prle_encoder *enc)
{
    return enc->describe ? enc->describe : "";
}
