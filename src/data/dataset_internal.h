/* Internals of the dataset layer: the fully resolved description of what to read (presets.c
 * fills it from the config and a preset), and the seeded split (split.c). Internal. */
#ifndef PRLE_DATA_DATASET_INTERNAL_H
#define PRLE_DATA_DATASET_INTERNAL_H

#include "prle/dataset.h"
#include "prle/table.h"

/** A column: a name (borrowed: from the config or a static preset table) or a number. */
typedef struct prle__ds_field {
    const char *name; /* NULL: use index */
    int64_t index;    /* 0-based, -1 = unset */
} prle__ds_field;

/** Everything prle_dataset_load needs, config and preset merged. */
typedef struct prle__ds_spec {
    const char *name;           /* canonical preset name, or data.name (may be NULL) */
    bool preset;                /* a preset supplied defaults */
    char *files[PRLE_N_SPLITS]; /* owned; all NULL when `file` is used */
    char *file;                 /* owned; one file cut by the split */
    bool format_set;            /* else each file's extension decides */
    prle_table_format format;
    int header;     /* 1, 0 or PRLE_CONFIG_UNSET (then: true for csv/tsv) */
    int quoting;    /* 1, 0 or PRLE_CONFIG_UNSET (then: the format's) */
    char delimiter; /* 0 = the format's */
    prle__ds_field text_fields[2];
    size_t n_texts;
    prle__ds_field label_field;
    double label_min, label_max; /* NaN = unset */
    double ratios[PRLE_N_SPLITS];
    bool stratify;
    bool skip_bad_rows;
    bool drop_deleted; /* Ruddit: drop rows whose text is [deleted], [removed] or empty */
} prle__ds_spec;

/**
 * Fills `spec` from `data` and, when data.name is a preset, the preset's values for every
 * unset key; finds the presets' data folder and downloads STS-B when its folder is missing
 * (presets.c). `spec` is overwritten; free with prle__ds_spec_dispose (also on failure).
 */
int prle__ds_spec_resolve(prle__ds_spec *spec, const prle_data_config *data,
                          const prle_dataset_params *params);

/** out[s]: the rows of validation and test (s = 1, 2) whose texts, every field, equal a training
 *  row's exactly (out[0] is 0); overlap.c. PRLE_ENOMEM. */
int prle__dataset_overlap(size_t out[PRLE_N_SPLITS], const prle_dataset *ds);

/** Frees the paths `spec` owns and zeroes it. */
void prle__ds_spec_dispose(prle__ds_spec *spec);

/**
 * The seeded split of docs/config.md "Splitting one file": assigns each of `n` rows (in file
 * order, with labels `labels`) to a split, `which[i]` in {0, 1, 2}. `ratios` sum to 1.
 * Stratified: rows sorted by (label, file order), cut into consecutive blocks, the members of
 * each block dealt to splits after a shuffle; otherwise one block of all rows. The shuffles
 * draw from the stream (seed, "data.split", 0). PRLE_ENOMEM.
 */
int prle__split_assign(unsigned char *which, const double *labels, size_t n,
                       const double ratios[PRLE_N_SPLITS], bool stratify, uint64_t seed);

/** Rows per split of a block of `m` rows: largest remainder of m * ratios[i], ties to the
 *  lower split. `counts` sum to m. */
void prle__split_counts(size_t counts[PRLE_N_SPLITS], size_t m, const double ratios[PRLE_N_SPLITS]);

/** The block size of the stratified split for `ratios` (see split.c). */
size_t prle__split_block_size(const double ratios[PRLE_N_SPLITS]);

#endif
