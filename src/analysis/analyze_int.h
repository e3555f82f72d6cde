/* Internals of prle_analyze_run shared by analyze.c (reading the run folder, computing) and
 * analyze_json.c (writing analysis.json, docs/run-folder.md). */
#ifndef PRLE_ANALYSIS_ANALYZE_INT_H
#define PRLE_ANALYSIS_ANALYZE_INT_H

#include "prle/analysis.h"
#include "prle/config.h"
#include "prle/dataset.h"
#include "prle/embed.h"
#include "prle/kernel.h"
#include "prle/tsne.h"

/** One t-SNE map of the rows train, validation, test (or of their sample, tsne_rows). */
typedef struct prle__analysis_map {
    prle_matrix xy;      /* (mapped rows, 2); empty when not computed */
    prle_tsne_info info; /* kl_divergence, n_iter, ... */
    double seconds;      /* the whole fit (reading it when cached) */
    bool cached;         /* read from the embedding cache (tsne_cache.c), not computed */
} prle__analysis_map;

/** Everything analysis.json holds. Borrowed pointers; the writer only reads. */
typedef struct prle__analysis {
    const char *dataset;
    double label_min, label_max;
    size_t n[3]; /* rows of train, validation, test */

    bool has_corr;
    prle_kernel_corr corr[2]; /* retrieval, value; on the training rows */
    uint64_t seed;

    bool has_oracle;
    prle_oracle_result oracle[2]; /* svr, linear */
    char oracle_params[2][96];    /* e.g. "C=1 epsilon=0.1 gamma=scale" */
    const size_t *medoids;        /* k training rows */
    bool medoids_from_model;      /* the model's prototypes, which k-medoids would pick */
    size_t oracle_rows;           /* train + validation rows fitted on (a sample when fewer) */

    bool has_tsne;
    double perplexity;
    prle_tsne_method tsne_method; /* the repulsion the maps used */
    const float *labels;          /* (n_all) raw labels, train then validation then test */
    const size_t *protos; /* prototype rows of model.safetensors, indices into the train rows */
    size_t n_protos;      /* 0: no model (an empty list) */
    prle__analysis_map map[2]; /* retrieval, value */
    size_t *tsne_rows;         /* the mapped rows' places in train, validation, test, ascending
                                  (owned); NULL: every row */
    size_t tsne_n[3];          /* mapped rows of train, validation, test */
} prle__analysis;

#define PRLE__N_SPLITS 3

/** What the run folder gives (analyze.c reads it). */
typedef struct prle__run_data {
    prle_config cfg;
    prle_dataset *ds;
    prle_embed_report rep;
    prle_matrix xr[PRLE__N_SPLITS]; /* retrieval */
    prle_matrix xv[PRLE__N_SPLITS]; /* value */
    size_t n[PRLE__N_SPLITS];
    size_t *protos;
    size_t n_protos;
    size_t k; /* the oracle's clusters: as many as the run's prototypes (prle_proto_count) */
    bool protos_are_medoids; /* the oracle's k-medoids would pick these rows (model_medoids) */
} prle__run_data;

/**
 * The oracle MoE (p->oracle_moe: its medoids into `medoids`, k = the config's
 * model.num_prototypes, then the SVR and the linear model) and the two t-SNE maps (p->tsne)
 * into `a` (analyze_jobs.c). a->labels, label_min/max, seed and perplexity are set.
 */
int prle__analyze_jobs(prle__analysis *a, size_t *medoids, const prle__run_data *r,
                       const prle_analyze_params *p);

/** Writes `a` as analysis.json to `path` atomically. PRLE_EIO, PRLE_ENOMEM. */
int prle__analysis_write(const char *path, const prle__analysis *a);

#endif
