/* Cutting one file into train / validation / test, seeded and optionally label-stratified.
 *
 * The scheme (also in docs/config.md, "Splitting one file"; tools/ref/dataset_ref.py
 * re-implements it in Python and the tests compare):
 *
 * 1. Counts of a block of m rows: c_i = floor(m * r_i), then the rows still missing go one
 *    each to the splits with the largest fractional parts m * r_i - c_i (ties: train before
 *    validation before test).
 * 2. Block size B: the smallest B in 1..1000 for which every B * r_i is within 1e-6 of an
 *    integer (0.7/0.15/0.15 gives 20: 14 + 3 + 3), else 1000.
 * 3. Stratified: rows sorted by label ascending, ties by file order; consecutive blocks of B
 *    rows (the last block may be shorter). Not stratified: one block of all rows in file
 *    order.
 * 4. One stream prle_rng (seed, "data.split", 0). For each block in order: shuffle the block's
 *    rows (prle_rng_shuffle, Fisher-Yates), then the first c_train rows go to train, the next
 *    c_validation to validation, the rest to test, c from step 1 with m = the block's size.
 * 5. Each split keeps its rows in file order.
 *
 * Ruddit (5,658 usable rows, 70/15/15): 282 blocks of 20 and one of 18 (12 + 3 + 3), so
 * 3,960 / 849 / 849 rows. This generalises the authors' "sorted stratification" for 5-fold
 * cross-validation (blocks of 5, one member per fold; Ruddit README).
 */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "data/dataset_internal.h"
#include "prle/rng.h"

void prle__split_counts(size_t counts[PRLE_N_SPLITS], size_t m, const double ratios[PRLE_N_SPLITS])
{
    double frac[PRLE_N_SPLITS];
    size_t used = 0;
    for (int i = 0; i < PRLE_N_SPLITS; i++) {
        double want = (double)m * ratios[i];
        double fl = floor(want);
        counts[i] = (size_t)fl;
        frac[i] = want - fl;
        used += counts[i];
    }
    /* ratios summing to 1 within rounding can make the floors overshoot by one */
    while (used > m) {
        int k = -1;
        for (int i = 0; i < PRLE_N_SPLITS; i++)
            if (counts[i] > 0 && (k < 0 || frac[i] < frac[k]))
                k = i;
        counts[k]--, used--;
        frac[k] = 2.0; /* never chosen again */
    }
    while (used < m) {
        int k = 0;
        for (int i = 1; i < PRLE_N_SPLITS; i++)
            if (frac[i] > frac[k])
                k = i;
        counts[k]++, used++;
        frac[k] = -1.0;
    }
}

size_t prle__split_block_size(const double ratios[PRLE_N_SPLITS])
{
    for (size_t b = 1; b <= 1000; b++) {
        bool whole = true;
        for (int i = 0; i < PRLE_N_SPLITS && whole; i++) {
            double x = (double)b * ratios[i];
            whole = fabs(x - nearbyint(x)) <= 1e-6;
        }
        if (whole)
            return b;
    }
    return 1000;
}

typedef struct sort_item {
    double label;
    size_t index;
} sort_item;

static int by_label_then_index(const void *pa, const void *pb)
{
    const sort_item *a = pa, *b = pb;
    if (a->label < b->label)
        return -1;
    if (a->label > b->label)
        return 1;
    return (a->index > b->index) - (a->index < b->index);
}

int prle__split_assign(unsigned char *which, const double *labels, size_t n,
                       const double ratios[PRLE_N_SPLITS], bool stratify, uint64_t seed)
{
    if (n == 0)
        return 0;
    size_t bytes;
    if (!prle__mul_ok(&bytes, n, sizeof(sort_item)))
        return prle__error_nomem("split order");
    sort_item *items = malloc(bytes);
    size_t *block = malloc(n * sizeof *block);
    if (!items || !block) {
        free(items);
        free(block);
        return prle__error_nomem("split order");
    }
    for (size_t i = 0; i < n; i++)
        items[i] = (sort_item){labels[i], i};
    size_t bsize = n;
    if (stratify) {
        qsort(items, n, sizeof *items, by_label_then_index);
        bsize = prle__split_block_size(ratios);
    }
    prle_rng rng;
    prle_rng_init(&rng, seed, "data.split", 0);
    for (size_t start = 0; start < n; start += bsize) {
        size_t m = n - start < bsize ? n - start : bsize;
        for (size_t j = 0; j < m; j++)
            block[j] = items[start + j].index;
        prle_rng_shuffle(&rng, block, m);
        size_t counts[PRLE_N_SPLITS];
        prle__split_counts(counts, m, ratios);
        size_t j = 0;
        for (unsigned char s = 0; s < PRLE_N_SPLITS; s++)
            for (size_t c = 0; c < counts[s]; c++)
                which[block[j++]] = s;
    }
    free(items);
    free(block);
    return 0;
}
