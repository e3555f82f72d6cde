/* The dataset's structure, shared by its loader (dataset.c) and the detached datasets of
 * moved run folders (detached.c). Internal. */
#ifndef PRLE_DATA_DATASET_STRUCT_H
#define PRLE_DATA_DATASET_STRUCT_H

#include "prle/dataset.h"
#include "prle/table.h"

#define MAX_FILES PRLE_N_SPLITS
#define KEEP PRLE_TABLE_SKIPPED_KEEP

typedef struct ds_file {
    char *path;
    prle_table *table; /* owns every text the splits point at */
    uint64_t size;
    char sha256[65];
    size_t n_rows, n_skipped, n_dropped;
    char skip_reason[512];
    size_t skipped[KEEP];
    size_t n_skipped_lines;
} ds_file;

/* Rows in file order: texts point into a table. */
typedef struct ds_rows {
    size_t n;
    const char **texts[2];
    double *labels;
    size_t *lines;
} ds_rows;

typedef struct ds_split {
    ds_rows rows;
    float *labels;
    int file;
    prle_dataset_split_info info;
} ds_split;

struct prle_dataset {
    char *name;
    bool preset;
    size_t n_texts;
    double label_min, label_max;
    ds_file files[MAX_FILES];
    size_t n_files;
    ds_split splits[PRLE_N_SPLITS];
    char *arena; /* a detached dataset's texts (detached.c), else NULL */
};

#endif
