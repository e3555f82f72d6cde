/* The run folder's file formats that only the library writes and reads: metrics.json,
 * predictions_{split}.csv, train_log.csv (docs/run-folder.md). Internal: the public headers
 * hold the API, not file writers (issue 14). */
#ifndef PRLE_RUN_RUN_FILES_H
#define PRLE_RUN_RUN_FILES_H

#include "prle/run.h"

/** The union header of train_log.csv (docs/run-folder.md), without the newline. */
#define PRLE__TRAIN_LOG_HEADER                                                                     \
    "stage,epoch,loss,loss_pair,loss_triplet,loss_uniform,val_pair,task,fit,anchor,balance,"       \
    "entropy,metric,proto_self,local,consistency,val_mse,tau,seconds,rows_per_s,kept"

/** Writes prle_run_metrics_json's text to `path` atomically. PRLE_EIO, PRLE_ENOMEM. */
int prle__run_metrics_write(const char *path, const prle_run_metrics *m);

/**
 * Reads metrics.json. Splits absent from the file are left not present; `n` and `flags`
 * of the unit metrics are copied from the raw ones. PRLE_EFORMAT naming the file for
 * another format or version, a missing key or a wrong type; PRLE_ENOTFOUND, PRLE_EIO.
 */
int prle__run_metrics_read(prle_run_metrics *out, const char *path);

/* ---- predictions_{split}.csv and train_log.csv ------------------------------------------ */

/**
 * Writes `index,label,prediction` (plus `lo,hi` when both are non-NULL) for n rows
 * atomically; numbers are the shortest text that reads back to the same float (at most
 * %.9g's digits). `y` may be NULL (the label column is then empty). PRLE_EIO.
 */
int prle__run_predictions_write(const char *path, const float *y, const float *yhat,
                                const float *lo, const float *hi, size_t n);

/** One stage's epoch records for train_log.csv. */
typedef struct prle__train_log {
    const prle_kernel_epoch *kernel; /**< may be NULL (n_kernel 0) */
    size_t n_kernel;
    int kernel_kept;               /**< 1-based epoch marked kept (0: none) */
    const prle_model_epoch *model; /**< may be NULL (n_model 0) */
    size_t n_model;
    int model_kept;    /**< 1-based epoch marked kept (0: none) */
    size_t model_rows; /**< training rows of stage 2, for rows_per_s */
} prle__train_log;

/**
 * Writes train_log.csv atomically: PRLE__TRAIN_LOG_HEADER, then the kernel rows and the
 * experts rows. A stage leaves the other's columns empty, and NaN values are empty; the
 * experts' val_mse is on the raw label scale. PRLE_EIO.
 */
int prle__run_train_log_write(const char *path, const prle__train_log *log);

/**
 * Reads the kernel rows of a train_log.csv (this header, or any header naming the kernel
 * columns, such as the one prle kernel wrote before the union header) into `*out`
 * (malloc'd, free(); NULL when there are none) and the kept epoch into `*kept`. Fields a
 * row leaves empty read as NaN. PRLE_EFORMAT naming file and line, PRLE_ENOTFOUND, PRLE_EIO.
 */
int prle__run_train_log_read_kernel(prle_kernel_epoch **out, size_t *n, int *kept,
                                    const char *path);

#endif
