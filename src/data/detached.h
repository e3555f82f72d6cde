/* A detached dataset: what a run folder keeps of its dataset (dataset.json, issue 14), enough to
 * explain predictions and calibrate intervals when the data files are gone. Internal. */
#ifndef PRLE_DATA_DETACHED_H
#define PRLE_DATA_DETACHED_H

#include "prle/dataset.h"

/** One kept training row: its index in the train split, label and texts (n_texts of them). */
typedef struct prle__kept_row {
    size_t row;
    float label;
    const char *text[2];
} prle__kept_row;

/** Everything a detached dataset holds. Borrowed by prle__dataset_detached (it copies). */
typedef struct prle__detached_spec {
    const char *name;
    const char *source; /* the file it came from, for messages (dataset.json) */
    size_t n_texts;     /* 1 or 2 */
    double label_min, label_max;
    size_t n_rows[PRLE_N_SPLITS]; /* the original splits' sizes */
    const prle__kept_row *kept;   /* training rows with texts and labels (the prototypes) */
    size_t n_kept;
    const float *val_labels; /* n_rows[validation] labels */
} prle__detached_spec;

/**
 * A dataset with the train split's n_rows[train] rows, where only the kept rows have texts
 * and labels (the others: empty texts, NaN labels), the validation split's labels (empty
 * texts) and no test rows. PRLE_EINVAL for a kept row out of range, PRLE_ENOMEM.
 */
int prle__dataset_detached(prle_dataset **out, const prle__detached_spec *spec);

#endif
