/* New texts to retrieval embeddings exactly as prle_embed built the cache (SPEC.md §3):
 * the config's encoder fitted on the train texts, one text per row (single texts or joined
 * pairs) or pair features [u, v, u+v, |u-v|, u*v], optional L2 normalisation per text. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "encode/embed_internal.h"
#include "run/run_int.h"

int prle__run_encoder_new(prle_encoder **out, const prle_config *cfg, const prle_dataset *ds)
{
    const char *type = cfg->model.encoder_type ? cfg->model.encoder_type : "";
    if (!strcmp(type, "npy"))
        return prle__error_set(PRLE_EINVAL,
                               "model.encoder_type is npy: the embeddings were computed "
                               "elsewhere, so new texts cannot be encoded (predict a split "
                               "instead)");
    prle_encoder *enc = NULL;
    int err = prle_encoder_new(&enc, cfg);
    if (err < 0)
        return err;
    err = prle__embed_fit_encoder(enc, cfg, ds);
    if (err < 0) {
        prle_encoder_free(enc);
        return err;
    }
    *out = enc;
    return 0;
}

int prle__run_encoder_load(prle_encoder **out, const prle_config *cfg, const char *path)
{
    prle_encoder *enc = NULL;
    int err = prle_encoder_new(&enc, cfg);
    if (err == 0 && (err = prle_encoder_load_state(enc, path)) < 0)
        prle_encoder_free(enc), enc = NULL;
    *out = enc;
    return err;
}

static int encode_one(prle_matrix *out, size_t *n_empty, const prle_encoder *enc,
                      const prle_config *cfg, const char *const *texts, size_t n)
{
    size_t e = 0;
    int err = prle_encoder_encode(out, enc, texts, n, &e);
    if (err < 0)
        return err;
    *n_empty += e;
    if (out->rows != n || out->cols != prle_encoder_dim(enc)) {
        prle_matrix_dispose(out);
        return prle__error_set(PRLE_ESHAPE, "encoder gave (%zu, %zu) for %zu texts", out->rows,
                               out->cols, n);
    }
    if (prle__embed_normalizes(cfg))
        prle__embed_l2_normalize_rows(out);
    return 0;
}

int prle__run_encode(prle_matrix *out, size_t *n_texts, size_t *n_empty, const prle_encoder *enc,
                     const prle_config *cfg, const prle_dataset *ds, const char *const *text,
                     const char *const *text2, size_t n)
{
    prle__text_mode mode = prle__embed_text_mode(cfg, ds);
    prle_matrix u = {0}, v = {0};
    char **joined = NULL;
    size_t empty = 0, *e = n_empty ? n_empty : &empty;
    int err = 0;
    if (n_texts)
        *n_texts = mode == PRLE__TEXT_PAIR ? 2 * n : n;
    *e = 0;
    for (size_t i = 0; i < n; i++)
        if (!text[i] || (mode != PRLE__TEXT_SINGLE && (!text2 || !text2[i])))
            return prle__error_set(PRLE_EINVAL,
                                   "input %zu has no %s (this run's dataset has text %s)", i,
                                   text[i] ? "second text" : "text",
                                   mode == PRLE__TEXT_SINGLE ? "single texts" : "pairs");
    if (mode == PRLE__TEXT_JOINED) {
        const char *tok =
            cfg->data.combine_separator_token ? cfg->data.combine_separator_token : "";
        if (n && !(joined = calloc(n, sizeof *joined)))
            return prle__error_nomem("joined texts");
        for (size_t i = 0; i < n && err == 0; i++)
            if (!(joined[i] = prle__join_pair(text[i], tok, text2[i])))
                err = prle__error_nomem("joined texts");
        if (err == 0)
            err = encode_one(out, e, enc, cfg, (const char *const *)joined, n);
        prle_dataset_texts_free(joined, n);
        return err;
    }
    if ((err = encode_one(mode == PRLE__TEXT_PAIR ? &u : out, e, enc, cfg, text, n)) < 0)
        return err;
    if (mode == PRLE__TEXT_PAIR) {
        if ((err = encode_one(&v, e, enc, cfg, text2, n)) == 0)
            err = prle__pair_features(out, &u, &v, cfg->train.threads);
        prle_matrix_dispose(&u);
        prle_matrix_dispose(&v);
    }
    return err;
}
