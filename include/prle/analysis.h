/* PRLE: analysis of a run folder (SPEC.md §7): distance-label correlation, oracle MoE, t-SNE
 * of retrieval and value space, written to {run}/analysis.json (docs/run-folder.md). */
#ifndef PRLE_ANALYSIS_H
#define PRLE_ANALYSIS_H

#include "prle/common.h"

PRLE_BEGIN_DECL

/** What prle_analyze_run computes. Start from prle_analyze_default_params(). */
typedef struct prle_analyze_params {
    bool correlation;          /**< distance-label correlation, both spaces; default true */
    bool oracle_moe;           /**< k-medoids clusters + per-cluster SVR and linear; default true */
    bool tsne;                 /**< t-SNE of train+validation+test, both spaces; default true */
    int n_threads;             /**< 0 = prle_init's count */
    prle_progress_fn progress; /**< stages "oracle", "tsne"; may be NULL */
    void *progress_ud;
} prle_analyze_params;

/** The defaults listed above. */
PRLE_API prle_analyze_params prle_analyze_default_params(void);

/**
 * Reads the run folder `run_dir` (config.yaml, value/{split}_embeds.npy, the retrieval
 * embeddings its config names, the labels, model.safetensors for the prototype rows when
 * present) and writes {run_dir}/analysis.json atomically. Seeds come from the config's
 * train.seed. PRLE_ENOTFOUND naming a missing file, PRLE_EFORMAT, PRLE_ENOMEM.
 */
PRLE_API int prle_analyze_run(const char *run_dir, const prle_analyze_params *p);

PRLE_END_DECL

#endif
