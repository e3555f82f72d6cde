/* What a run was made from, as its dataset.json records it (docs/run-folder.md): each split's
 * rows (rows_sha256) and, for encoder_type npy, each split's embeddings file (embeddings: path,
 * size, sha256). Written by the run; compared by everything that reads the run's inputs again
 * (prle eval, prle predict, prle analyze, prle baselines), so none of them pairs the run's model
 * with other data. Internal. */
#ifndef PRLE_ENCODE_INPUTS_RECORD_INT_H
#define PRLE_ENCODE_INPUTS_RECORD_INT_H

#include <stddef.h>

#include "io/json.h"
#include "prle/config.h"
#include "prle/dataset.h"

/** Adds "embeddings" to `root` for encoder_type npy: per split the input file's path, size and
 *  sha256; nothing for other encoders. PRLE_ENOTFOUND / PRLE_EIO naming the file, PRLE_ENOMEM. */
int prle__inputs_record_embeddings(cJSON *root, const prle_config *cfg);

/** 1 when `root` (a dataset.json) records other rows than `ds` has for a split of `split_mask`
 *  (bit 1 << split), with `why` naming the split and its file; 0 when they match or `root`
 *  records none (an older prle); negative (the message names `source`) on a bad record. */
int prle__inputs_rows_changed(char *why, size_t len, const cJSON *root, const char *source,
                              const prle_dataset *ds, unsigned split_mask);

/** 1 when `root` (a dataset.json) records embeddings files (encoder_type npy) and the file of a
 *  split under `cfg` now has other bytes, with `why` naming the file and split; 0 when they
 *  match or `root` records none (other encoders, an older prle); negative on a bad record
 *  (naming `source`) or an unreadable file (naming it). */
int prle__inputs_embeddings_changed(char *why, size_t len, const cJSON *root, const char *source,
                                    const prle_config *cfg);

#endif
