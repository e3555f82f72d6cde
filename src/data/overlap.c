/* How many validation and test rows repeat a training row's text exactly (every text field):
 * scores on such rows measure recall of the training set, not prediction, which a user should
 * know before reading them. One open-addressing table of the training rows' hashes; a hash
 * match is confirmed by comparing the texts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/dataset_internal.h"

/* FNV-1a over the row's texts, each followed by a 0 byte, so ("ab", "c") and ("a", "bc")
 * differ */
static uint64_t row_hash(const prle_dataset *ds, prle_split s, size_t row, size_t nt)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t f = 0; f < nt; f++) {
        const unsigned char *p = (const unsigned char *)prle_dataset_text(ds, s, row, f);
        for (; p && *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0u) * 1099511628211ull;
    }
    return h;
}

static int same_texts(const prle_dataset *ds, prle_split s, size_t row, size_t train_row, size_t nt)
{
    for (size_t f = 0; f < nt; f++) {
        const char *a = prle_dataset_text(ds, s, row, f);
        const char *b = prle_dataset_text(ds, PRLE_SPLIT_TRAIN, train_row, f);
        if (!a || !b || strcmp(a, b) != 0)
            return 0;
    }
    return 1;
}

int prle__dataset_overlap(size_t out[PRLE_N_SPLITS], const prle_dataset *ds)
{
    size_t ntr = prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN), nt = prle_dataset_n_texts(ds);
    memset(out, 0, PRLE_N_SPLITS * sizeof *out);
    if (!ntr)
        return 0;
    size_t cap = 16;
    while (cap < 2 * ntr) /* at most half full */
        cap *= 2;
    uint64_t *hash = malloc(cap * sizeof *hash);
    size_t *slot = malloc(cap * sizeof *slot); /* training row + 1; 0 = empty */
    if (!hash || !slot) {
        free(hash), free(slot);
        return prle__error_nomem("dataset overlap");
    }
    memset(slot, 0, cap * sizeof *slot);
    for (size_t i = 0; i < ntr; i++) {
        uint64_t h = row_hash(ds, PRLE_SPLIT_TRAIN, i, nt);
        size_t j = (size_t)h & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        hash[j] = h, slot[j] = i + 1;
    }
    for (int s = PRLE_SPLIT_VALIDATION; s < PRLE_N_SPLITS; s++)
        for (size_t r = 0; r < prle_dataset_n_rows(ds, (prle_split)s); r++) {
            uint64_t h = row_hash(ds, (prle_split)s, r, nt);
            for (size_t j = (size_t)h & (cap - 1); slot[j]; j = (j + 1) & (cap - 1))
                if (hash[j] == h && same_texts(ds, (prle_split)s, r, slot[j] - 1, nt)) {
                    out[s]++;
                    break;
                }
        }
    free(hash), free(slot);
    return 0;
}
