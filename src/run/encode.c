/* New texts to retrieval embeddings exactly as prle_embed built the cache (SPEC.md §3):
 * the config's encoder fitted on the train texts, one text per row (single texts or joined
 * pairs) or pair features [u, v, u+v, |u-v|, u*v], optional L2 normalisation per text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "encode/embed_internal.h"
#include "run/run_int.h"

typedef enum { MODE_SINGLE, MODE_JOINED, MODE_PAIR } text_mode;

static text_mode mode_of(const prle_config *cfg, const prle_dataset *ds)
{
    if (prle_dataset_n_texts(ds) < 2)
        return MODE_SINGLE;
    return cfg->data.combine_fields ? MODE_JOINED : MODE_PAIR;
}

/* As the cache does: double sum of squares, float scale, zero rows left as they are. */
static void l2_normalize_rows(prle_matrix *m)
{
    for (size_t i = 0; i < m->rows; i++) {
        float *r = prle_matrix_row(m, i);
        double ss = 0;
        for (size_t j = 0; j < m->cols; j++)
            ss += (double)r[j] * r[j];
        if (ss > 0) {
            double inv = 1.0 / sqrt(ss);
            for (size_t j = 0; j < m->cols; j++)
                r[j] = (float)(r[j] * inv);
        }
    }
}

int prle__run_encoder_new(prle_encoder **out, const prle_config *cfg, const prle_dataset *ds)
{
    const char *type = cfg->model.encoder_type ? cfg->model.encoder_type : "";
    if (!strcmp(type, "npy"))
        return prle__error_set(PRLE_EINVAL,
                               "model.encoder_type is npy: the embeddings were computed "
                               "elsewhere, so new texts cannot be encoded (predict a split "
                               "instead)");
    prle_encoder *enc = NULL;
    char **joined = NULL;
    const char **both = NULL;
    size_t n = prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN);
    text_mode mode = mode_of(cfg, ds);
    int err = prle_encoder_new(&enc, cfg);
    if (err < 0)
        return err;
    if (mode == MODE_JOINED) {
        if ((err = prle_dataset_join_texts(&joined, ds, PRLE_SPLIT_TRAIN,
                                           cfg->data.combine_separator_token)) == 0)
            err = prle_encoder_fit(enc, (const char *const *)joined, n);
    } else if (mode == MODE_PAIR) {
        if (!(both = malloc((n ? 2 * n : 1) * sizeof *both))) {
            err = prle__error_nomem("train texts");
        } else {
            for (size_t f = 0; f < 2; f++)
                if (n)
                    memcpy(both + f * n, prle_dataset_texts(ds, PRLE_SPLIT_TRAIN, f),
                           n * sizeof *both);
            err = prle_encoder_fit(enc, both, 2 * n);
        }
    } else {
        err = prle_encoder_fit(enc, prle_dataset_texts(ds, PRLE_SPLIT_TRAIN, 0), n);
    }
    free(both);
    prle_dataset_texts_free(joined, n);
    if (err < 0) {
        prle_encoder_free(enc);
        return err;
    }
    *out = enc;
    return 0;
}

static int encode_one(prle_matrix *out, const prle_encoder *enc, const prle_config *cfg,
                      const char *const *texts, size_t n)
{
    int err = prle_encoder_encode(enc, out, texts, n, NULL);
    if (err < 0)
        return err;
    if (out->rows != n || out->cols != prle_encoder_dim(enc)) {
        prle_matrix_dispose(out);
        return prle__error_set(PRLE_ESHAPE, "encoder gave (%zu, %zu) for %zu texts", out->rows,
                               out->cols, n);
    }
    if (cfg->model.normalize_embeddings || cfg->model.normalize)
        l2_normalize_rows(out);
    return 0;
}

int prle__run_encode(prle_matrix *out, const prle_encoder *enc, const prle_config *cfg,
                     const prle_dataset *ds, const char *const *text, const char *const *text2,
                     size_t n)
{
    text_mode mode = mode_of(cfg, ds);
    prle_matrix u = {0}, v = {0};
    char **joined = NULL;
    int err = 0;
    for (size_t i = 0; i < n; i++)
        if (!text[i] || (mode != MODE_SINGLE && (!text2 || !text2[i])))
            return prle__error_set(
                PRLE_EINVAL, "input %zu has no %s (this run's dataset has text %s)", i,
                text[i] ? "second text" : "text", mode == MODE_SINGLE ? "single texts" : "pairs");
    if (mode == MODE_JOINED) {
        const char *tok =
            cfg->data.combine_separator_token ? cfg->data.combine_separator_token : "";
        if (n && !(joined = calloc(n, sizeof *joined)))
            return prle__error_nomem("joined texts");
        for (size_t i = 0; i < n && err == 0; i++) {
            size_t len = strlen(text[i]) + strlen(tok) + strlen(text2[i]) + 3;
            if (!(joined[i] = malloc(len)))
                err = prle__error_nomem("joined texts");
            else
                snprintf(joined[i], len, "%s %s %s", text[i], tok, text2[i]);
        }
        if (err == 0)
            err = encode_one(out, enc, cfg, (const char *const *)joined, n);
        prle_dataset_texts_free(joined, n);
        return err;
    }
    if ((err = encode_one(mode == MODE_PAIR ? &u : out, enc, cfg, text, n)) < 0)
        return err;
    if (mode == MODE_PAIR) {
        if ((err = encode_one(&v, enc, cfg, text2, n)) == 0)
            err = prle__pair_features(out, &u, &v, cfg->train.threads);
        prle_matrix_dispose(&u);
        prle_matrix_dispose(&v);
    }
    return err;
}
