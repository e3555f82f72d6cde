/* PRLE: analysis of a run folder (SPEC.md §7): distance-label correlation, oracle MoE, t-SNE
 * of retrieval and value space, written to {run}/analysis.json (docs/run-folder.md). */
#ifndef PRLE_ANALYSIS_H
#define PRLE_ANALYSIS_H

#include "prle/baselines.h"
#include "prle/common.h"
#include "prle/matrix.h"
#include "prle/metrics.h"

PRLE_BEGIN_DECL

/* ---- oracle MoE ------------------------------------------------------------------------- */

/** The regressor of an oracle MoE: the same kind serves as global model and per cluster. */
typedef enum prle_oracle_model {
    PRLE_ORACLE_SVR = 0,   /**< epsilon-SVR, RBF kernel, StandardScaler first (prle_svr_fit) */
    PRLE_ORACLE_LINEAR = 1 /**< ridge with an intercept (prle_ridge_fit) */
} prle_oracle_model;

/** "svr", "linear" ("?" otherwise); static. */
PRLE_API const char *prle_oracle_model_name(prle_oracle_model m);

/** What an oracle MoE fits. Start from prle_oracle_default_params(). */
typedef struct prle_oracle_params {
    prle_oracle_model model;   /**< default PRLE_ORACLE_SVR */
    prle_svr_params svr;       /**< default prle_svr_default_params(): C 1, epsilon 0.1, gamma
                                    scale, StandardScaler (fitted per cluster) */
    prle_ridge_params ridge;   /**< default prle_ridge_default_params(): alpha 1, intercept */
    int n_threads;             /**< clusters fitted in parallel; 0 = prle_init's count */
    prle_progress_fn progress; /**< stage "oracle:svr" / "oracle:linear": fits done of k + 1
                                    (the global model and each cluster), from the calling
                                    thread only; NULL: none */
    void *progress_ud;
} prle_oracle_params;

/** The defaults listed above. */
PRLE_API prle_oracle_params prle_oracle_default_params(void);

/** Global model vs oracle MoE on the test rows. */
typedef struct prle_oracle_result {
    prle_oracle_model model;
    size_t k;            /**< clusters */
    prle_metrics global; /**< one model fitted on every fit row */
    prle_metrics oracle; /**< each test row predicted by the model of its nearest medoid */
    size_t min_cluster;  /**< fit rows of the smallest cluster */
    size_t max_cluster;  /**< fit rows of the largest cluster */
    size_t n_constant;   /**< clusters with fewer than 2 fit rows (see prle_oracle_moe_eval) */
    double seconds;      /**< wall time of the call */
} prle_oracle_result;

/**
 * Oracle MoE on fixed clusters (the original's oracle_moe_value_space.py, SPEC.md §7): the
 * medoids are the fit rows `medoid_rows` (k indices into x_fit, distinct); every fit row and
 * every test row goes to its nearest medoid (Euclidean, in double; ties to the lower slot).
 * One model of p->model is fitted per cluster on its fit rows and predicts that cluster's test
 * rows (hard routing); a cluster with one fit row predicts that row's label, one with none
 * (a duplicate medoid) uses the global model. The global model is fitted on all fit rows.
 * Metrics (prle_metrics_compute) are on the scale of the labels given.
 *
 * x_fit (n, d) with y_fit (n): the rows the experts learn from (train + validation in the
 * analysis); x_test (m, d), y_test (m). pred_global and pred_oracle (m each) may be NULL.
 * Clusters are fitted in parallel, each single-threaded; results do not depend on n_threads.
 * Returns 0, PRLE_EINVAL (params, a medoid index out of range, k = 0, m < 2, n < 2), PRLE_ESHAPE
 * (widths differ), PRLE_ENOMEM, or the first failing fit's code.
 */
PRLE_API int prle_oracle_moe_eval(prle_oracle_result *out, float *pred_global, float *pred_oracle,
                                  const prle_matrix *x_fit, const float *y_fit,
                                  const size_t *medoid_rows, size_t k, const prle_matrix *x_test,
                                  const float *y_test, const prle_oracle_params *p);

/**
 * As prle_oracle_moe_eval, with k clusters found first: k-medoids (prle_prototypes_select,
 * k-medoids++ seeding then FasterPAM, stream seed `seed`) on the first `n_cluster_rows` fit
 * rows (the training split in the analysis; 0 = all fit rows). The medoid rows go to
 * `medoids_out` (k entries) when it is not NULL.
 */
PRLE_API int prle_oracle_moe(prle_oracle_result *out, size_t *medoids_out, const prle_matrix *x_fit,
                             const float *y_fit, size_t n_cluster_rows, const prle_matrix *x_test,
                             const float *y_test, size_t k, uint64_t seed,
                             const prle_oracle_params *p);

/* ---- the analysis of a run folder --------------------------------------------------------- */

/** What prle_analyze_run computes. Start from prle_analyze_default_params(). */
typedef struct prle_analyze_params {
    bool correlation;          /**< distance-label correlation, both spaces; default true */
    bool oracle_moe;           /**< k-medoids clusters + per-cluster SVR and linear; default true */
    bool tsne;                 /**< t-SNE of train+validation+test, both spaces; default true */
    int n_threads;             /**< 0 = prle_init's count */
    prle_progress_fn progress; /**< stages "oracle" (note: the model), its fits one by one
                                    ("oracle:svr", "oracle:linear") and "tsne" (note: the
                                    space); may be NULL */
    void *progress_ud;
    prle_svr_params oracle_svr;     /**< the oracle's SVR, global and per cluster; default
                                         C 1, epsilon 0.1, gamma scale (labels on the 0-1 scale) */
    prle_ridge_params oracle_ridge; /**< the oracle's linear model; default alpha 1 */
    size_t oracle_max_rows; /**< the oracle fits on at most this many train + validation rows,
                                 a seeded sample of each split in proportion when there are
                                 more (its SVR's kernel table grows with their square: 0.8 GB
                                 at 10,000); 0 = all; default 10,000 */
    size_t tsne_max_rows;   /**< the t-SNE maps show at most this many of the train +
                                 validation + test rows, a seeded sample of each split in
                                 proportion with the prototypes among the training rows, when
                                 there are more (the neighbour search grows with their square,
                                 the report with their number); 0 = all; default 10,000 */
} prle_analyze_params;

/** The defaults listed above. */
PRLE_API prle_analyze_params prle_analyze_default_params(void);

/** The headline figures of prle_analyze_run_summary (everything is in analysis.json too). */
typedef struct prle_analysis_summary {
    size_t n_rows[3];       /**< train, validation, test */
    size_t n_prototypes;    /**< prototype rows read from model.safetensors; 0 = no model */
    double corr_pearson[2]; /**< [0] retrieval, [1] value space; NaN when not computed */
    double corr_spearman[2];
    prle_oracle_result oracle[2]; /**< [0] svr, [1] linear; labels on the 0-1 scale */
    size_t n_oracle;              /**< 2, or 0 when not computed */
    size_t oracle_rows;     /**< train + validation rows the oracle fitted on: all, or a seeded
                                 sample of prle_analyze_params.oracle_max_rows */
    size_t tsne_rows;       /**< rows the t-SNE maps show: all, or a seeded sample of
                                 prle_analyze_params.tsne_max_rows */
    double tsne_perplexity; /**< the maps' perplexity: 30, or (rows - 1) / 3 for fewer than
                                 91 rows */
    double tsne_kl[2];      /**< [0] retrieval, [1] value; NaN when not computed */
    double tsne_seconds[2];
    bool tsne_cached[2];    /**< the map was read from the embedding cache (the retrieval one) */
    bool embed_built;       /**< the retrieval embeddings were encoded again: the cache the run's
                                 config names held other ones (or none) */
    char embed_reason[256]; /**< then why, one line (prle_embed_report.reason, cut) */
    double seconds;         /**< the whole call */
} prle_analysis_summary;

/**
 * Reads the run folder `run_dir` (config.yaml, value/{split}_embeds.npy, the retrieval
 * embeddings its config names, the labels, model.safetensors for the prototype rows when
 * present) and writes {run_dir}/analysis.json atomically. Seeds come from the config's
 * train.seed. First the files the folder's .prle-run marker records are checked against their
 * sha256, as prle_run_folder_open checks them (docs/run-folder.md): PRLE_EFORMAT naming one
 * that changed since its run wrote it. PRLE_ENOTFOUND naming a missing file, PRLE_EFORMAT,
 * PRLE_ENOMEM.
 */
PRLE_API int prle_analyze_run(const char *run_dir, const prle_analyze_params *p);

/** Whether a run of these row counts can be analysed (2 or more training and test rows);
 *  prle_analyze_run refuses the others, `prle run` skips its analysis for them. */
PRLE_API bool prle_analyze_has_rows(size_t n_train, size_t n_test);

/**
 * prle_analyze_run that also fills `out` (may be NULL). The retrieval embeddings are the stage 0
 * cache of the run's config, checked against its manifest and never rebuilt (PRLE_EINVAL saying
 * why when it does not match). The oracle MoE uses k = model.num_prototypes medoids chosen by
 * k-medoids on the training rows of the value space, fits on train + validation, scores on test,
 * with labels on the 0-1 scale (as prle baselines). `*out` is written only on success.
 */
PRLE_API int prle_analyze_run_summary(prle_analysis_summary *out, const char *run_dir,
                                      const prle_analyze_params *p);

PRLE_END_DECL

#endif
