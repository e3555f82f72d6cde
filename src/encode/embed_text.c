/* From dataset rows to encoder input (SPEC.md §3): single texts, joined texts or pairs, and
 * the optional L2 normalisation per text. prle_embed (cache.c) and the encoding of new texts
 * for prle predict (src/run/encode.c) both go through here, so they cannot drift apart. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "encode/embed_internal.h"

prle__text_mode prle__embed_text_mode(const prle_config *cfg, const prle_dataset *ds)
{
    if (prle_dataset_n_texts(ds) < 2)
        return PRLE__TEXT_SINGLE;
    return cfg->data.combine_fields ? PRLE__TEXT_JOINED : PRLE__TEXT_PAIR;
}

bool prle__embed_normalizes(const prle_config *cfg)
{
    return cfg->model.normalize_embeddings || cfg->model.normalize;
}

void prle__embed_l2_normalize_rows(prle_matrix *m)
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

int prle__embed_fit_encoder(prle_encoder *enc, const prle_config *cfg, const prle_dataset *ds)
{
    size_t n = prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN);
    const char **both = NULL;
    char **joined = NULL;
    int err;
    switch (prle__embed_text_mode(cfg, ds)) {
    case PRLE__TEXT_JOINED:
        if ((err = prle_dataset_join_texts(&joined, ds, PRLE_SPLIT_TRAIN,
                                           cfg->data.combine_separator_token)) < 0)
            return err;
        err = prle_encoder_fit(enc, (const char *const *)joined, n);
        prle_dataset_texts_free(joined, n);
        return err;
    case PRLE__TEXT_PAIR:
        if (!(both = malloc((n ? 2 * n : 1) * sizeof *both)))
            return prle__error_nomem("train texts");
        for (size_t f = 0; f < 2; f++)
            if (n)
                memcpy(both + f * n, prle_dataset_texts(ds, PRLE_SPLIT_TRAIN, f), n * sizeof *both);
        err = prle_encoder_fit(enc, both, 2 * n);
        free(both);
        return err;
    case PRLE__TEXT_SINGLE:
    default:
        return prle_encoder_fit(enc, prle_dataset_texts(ds, PRLE_SPLIT_TRAIN, 0), n);
    }
}
