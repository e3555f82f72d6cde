/* Internals of prle_analyze_run shared by analyze.c (reading the run folder, computing) and
 * analyze_json.c (writing analysis.json, docs/run-folder.md). */
#ifndef PRLE_ANALYSIS_ANALYZE_INT_H
#define PRLE_ANALYSIS_ANALYZE_INT_H

#include "analysis/tsne_int.h"
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
 * The value map's affinities computed ahead of the analysis: `prle run` computes them on one
 * thread beside its stage 2, whose work is mostly one thread's (analyze_pre.c). The analysis
 * adopts them when its own map is of these rows with these parameters, and otherwise computes
 * its own; the map is the same either way.
 */
typedef struct prle__analysis_pre {
    prle_matrix rows;     /* train, validation, test stacked */
    prle_tsne_params tp;  /* the map's parameters (prle__analysis_tsne_params) */
    prle__tsne_prep prep; /* P of `rows` */
    double seconds;       /* of the computation */
    bool ready;           /* prep holds P; false once the analysis took it */
} prle__analysis_pre;

/** The maps' parameters: scikit-learn's defaults as prle_tsne_default_params gives them, the
 *  run's seed, and perplexity 30, lowered to (rows - 1) / 3 for a map of fewer than 91 rows (3
 *  perplexity neighbours a row, as openTSNE lowers it). */
prle_tsne_params prle__analysis_tsne_params(size_t n_map, uint64_t seed);

/**
 * P of the value rows z[0..2] (train, validation, test) as the analysis with `p` would compute
 * it, on `n_threads` threads, into `pre`; `pre` left not ready (and 0 returned) where the
 * analysis would map a sample (more than p->tsne_max_rows rows) or make no map. On failure
 * `pre` holds nothing to dispose of and the analysis computes P itself.
 */
int prle__analysis_pre_compute(prle__analysis_pre *pre, const prle_matrix *z, uint64_t seed,
                               const prle_analyze_params *p, int n_threads);

/** Frees what `pre` holds and zeroes it (a zeroed pre is fine). */
void prle__analysis_pre_dispose(prle__analysis_pre *pre);

/** prle_analyze_run_summary with the value map's affinities from `pre` where they fit (NULL:
 *  none); what it adopts leaves `pre`. */
int prle__analyze_run_pre(prle_analysis_summary *out, const char *run_dir,
                          const prle_analyze_params *p, prle__analysis_pre *pre);

/**
 * The oracle MoE (p->oracle_moe: its medoids into `medoids`, k = the config's
 * model.num_prototypes, then the SVR and the linear model) and the two t-SNE maps (p->tsne)
 * into `a` (analyze_jobs.c), the value map's affinities taken from `pre` where they fit (may
 * be NULL). a->labels, label_min/max and seed are set; it sets a->perplexity.
 */
int prle__analyze_jobs(prle__analysis *a, size_t *medoids, const prle__run_data *r,
                       const prle_analyze_params *p, prle__analysis_pre *pre);

/** Writes `a` as analysis.json to `path` atomically. PRLE_EIO, PRLE_ENOMEM. */
int prle__analysis_write(const char *path, const prle__analysis *a);

#endif
