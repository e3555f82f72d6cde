/* PRLE: Stage 2 prototype selection: P real training rows chosen in value space (SPEC.md §5). */
#ifndef PRLE_PROTOTYPES_H
#define PRLE_PROTOTYPES_H

#include "prle/common.h"
#include "prle/config.h"
#include "prle/matrix.h"

PRLE_BEGIN_DECL

/** How prototypes are chosen (`model.init_strategy`). */
typedef enum prle_proto_method {
    PRLE_PROTO_KMEDOIDS = 0,       /**< k-medoids++ seeding, then FasterPAM or alternate */
    PRLE_PROTO_KMEANSPP = 1,       /**< Lloyd k-means (n_init restarts), snapped to unused rows */
    PRLE_PROTO_FARTHEST_FIRST = 2, /**< greedy k-centre on cosine distance from a random row */
    PRLE_PROTO_RANDOM_REAL = 3     /**< P distinct random rows */
} prle_proto_method;

/** The k-medoids search after seeding. */
typedef enum prle_kmedoids_algo {
    PRLE_KMEDOIDS_FASTERPAM = 0, /**< eager swaps (Schubert & Rousseeuw 2021, FasterPAM) */
    PRLE_KMEDOIDS_ALTERNATE = 1  /**< Voronoi iteration: assign, then each cluster's medoid */
} prle_kmedoids_algo;

/** Everything prototype selection needs. Start from prle_proto_default_params(). */
typedef struct prle_proto_params {
    prle_proto_method method;  /**< default PRLE_PROTO_KMEDOIDS */
    size_t n_prototypes;       /**< P, 1..n; default 25 */
    prle_kmedoids_algo algo;   /**< default PRLE_KMEDOIDS_FASTERPAM */
    int max_iter;              /**< k-medoids passes / alternate rounds, >= 1; default 100 */
    int n_init;                /**< k-means++ restarts, >= 1; default 4 */
    int kmeans_max_iter;       /**< Lloyd iterations per restart, >= 1; default 300 */
    uint64_t seed;             /**< default 42 */
    int n_threads;             /**< threads of our own loops; 0 = prle_init's count */
    size_t dense_max_rows;     /**< k-medoids keeps all (n, n) distances (4 n^2 bytes) when
                                    n <= this, else computes them in blocks each pass;
                                    0 = always blocked; default 8192 (<= 256 MiB) */
    prle_progress_fn progress; /**< stage "prototypes", done = passes; may be NULL */
    void *progress_ud;
    size_t block_rows;  /**< blocked FasterPAM: candidate rows whose distances are
                             computed by one sgemm (block_rows * n floats);
                             0 = as many as fit in 32 MiB, 64..1024; default 0 */
    size_t sample_rows; /**< k-medoids on more rows than this chooses among a sample of them
                             (stream (seed, "prototypes.sample", 0); CLARA, Kaufman and
                             Rousseeuw 1990), since each FasterPAM pass costs n^2: the
                             medoids are rows of the sample, the loss over all rows;
                             0 = all rows; default 16384 */
} prle_proto_params;

/** The defaults listed above. */
PRLE_API prle_proto_params prle_proto_default_params(void);

/**
 * Reads `model.init_strategy`, `model.num_prototypes`, `train.seed` and `train.threads`.
 * PRLE_EINVAL naming the key for an unknown strategy or a negative count.
 */
PRLE_API int prle_proto_params_from_config(prle_proto_params *out, const prle_config *cfg);

/** PRLE_EINVAL naming the first bad field (e.g. "prototypes.max_iter must be >= 1, got 0"). */
PRLE_API int prle_proto_params_check(const prle_proto_params *p);

/** "k-medoids", "k-means++", "farthest-first", "random_real" ("?" otherwise); static. */
PRLE_API const char *prle_proto_method_name(prle_proto_method m);

/**
 * The number of prototypes a model fitted on `n_train` rows uses when `asked` for: at most
 * one per two training rows, at least one, so a small data set still gets prototypes that
 * stand for several rows (and a config's 25 works on 30 rows). `prle run`,
 * prle_predictor_fit and the analysis' oracle all count this way.
 */
PRLE_API size_t prle_proto_count(size_t asked, size_t n_train);

/**
 * Chooses P = p->n_prototypes distinct rows of `x` (n, d) (L2-normalised in practice) and
 * writes their indices to `idx_out` (P entries, the caller's), in slot order: k-medoids and
 * k-means++ by centre, farthest-first and random_real in the order picked. `loss_out` (may
 * be NULL) gets the sum over rows of the Euclidean distance to the nearest chosen row, for
 * every method. Distances are computed in blocks (|a|^2 + |b|^2 - 2 a.b through sgemm, clamped
 * at 0, recomputed directly when small). Memory is O(n (P + block_rows)) floats (block_rows
 * 0: the most rows within 32 MiB, 64..1024, so 24 MB at n = 5,749), plus the (n, n)
 * distance matrix for k-medoids when n <= dense_max_rows (one sgemm pass over the upper
 * triangle, after which FasterPAM passes cost O(n^2) reads instead of O(n^2 d) flops); both
 * paths make the same swaps unless sgemm rounds a near-tie differently.
 * Deterministic for a seed and independent of n_threads; ties go to the lower index.
 * PRLE_EINVAL (params, P > n, non-finite value naming the row), PRLE_ENOMEM, PRLE_EABORTED.
 */
PRLE_API int prle_prototypes_select(size_t *idx_out, double *loss_out, const prle_matrix *x,
                                    const prle_proto_params *p);

PRLE_END_DECL

#endif
