/* PRLE: t-SNE into 2-D for the analysis report (SPEC.md §7, §9): FFT-interpolated or Barnes-Hut
 * repulsion. */
#ifndef PRLE_TSNE_H
#define PRLE_TSNE_H

#include "prle/common.h"
#include "prle/matrix.h"

PRLE_BEGIN_DECL

/** How the embedding starts. */
typedef enum prle_tsne_init {
    PRLE_TSNE_INIT_PCA = 0,   /**< top-2 principal components, scaled so std(PC1) = 1e-4;
                                   signs as scikit-learn's svd_flip; rows with no spread
                                   (all alike) start as PRLE_TSNE_INIT_RANDOM */
    PRLE_TSNE_INIT_RANDOM = 1 /**< N(0, 1e-4^2) draws from stream (seed, "tsne.init", 0) */
} prle_tsne_init;

/** Widest input the automatic choice gives to the vantage-point tree. */
#define PRLE_TSNE_VPTREE_MAX_DIM 16

/**
 * How the k nearest neighbours are found; every method gives the same neighbours (exact
 * Euclidean, ties by index). A vantage-point tree prunes well in few dimensions only: on the
 * STS-B rows at H = 500 it measures 98 % of all pairs, so wide inputs go to brute force.
 */
typedef enum prle_tsne_knn {
    PRLE_TSNE_KNN_AUTO = 0,   /**< vantage-point tree up to PRLE_TSNE_VPTREE_MAX_DIM columns */
    PRLE_TSNE_KNN_VPTREE = 1, /**< vantage-point tree (Yianilos 1993), as van der Maaten's bhtsne */
    PRLE_TSNE_KNN_BRUTE = 2   /**< blocked SGEMM bounds, exact distances for the candidates */
} prle_tsne_knn;

/**
 * How the repulsive forces are computed each step. Both are approximations of about the same
 * accuracy (relative force error 1-2 % against the exact sums); their cost differs: the FFT
 * grid's side is at most 160 (a wider embedding sums its near field exactly), so its cost is
 * about fixed, while the quadtree's grows with the points.
 */
typedef enum prle_tsne_method {
    PRLE_TSNE_AUTO = 0, /**< each step the cheaper one: FFT while its grid has at most
                             PRLE_TSNE_FFT_NODES_PER_ROW nodes per row, else Barnes-Hut */
    PRLE_TSNE_BH = 1,   /**< Barnes-Hut quadtree at angle `theta` (van der Maaten 2014) */
    PRLE_TSNE_FFT = 2   /**< FFT-accelerated interpolation (Linderman et al. 2019, FIt-SNE) */
} prle_tsne_method;

/** "auto", "bh" or "fft" (analysis.json's tsne "method"); "?" for another value. */
PRLE_API const char *prle_tsne_method_name(prle_tsne_method m);

/** AUTO uses the FFT while its zero-padded grid (side^2 nodes, side at most 160) has at most
 *  this many nodes per row of the embedding: the FFT's cost grows with the grid, the
 *  quadtree's with the rows. From 1,067 rows on AUTO is the FFT throughout (on STS-B's 8,628
 *  rows a late step's repulsion takes 2.2 ms on one thread, Barnes-Hut's 12 ms). */
#define PRLE_TSNE_FFT_NODES_PER_ROW 24

/**
 * Everything a t-SNE fit needs; start from prle_tsne_default_params(). The defaults are those
 * of scikit-learn >= 1.2 `TSNE(n_components=2, init="pca", learning_rate="auto")` but for
 * openTSNE's schedule: 750 steps, and after the exaggeration a rate of n / 4 (scikit-learn's
 * auto rate times early_exaggeration). On STS-B's 8,628 rows that ends at a KL 0.2 % above
 * scikit-learn's 1,000 steps (1.928 against 1.924). learning_rate = max(n / 48, 50) and
 * n_iter = 1000 give scikit-learn's own schedule.
 */
typedef struct prle_tsne_params {
    double perplexity;           /**< > 0 and < n; default 30; neighbours k = min(n-1, 3p+1) */
    double theta;                /**< Barnes-Hut angle in [0, 1]; 0 = exact forces; default 0.5 */
    prle_tsne_method method;     /**< the repulsion; default PRLE_TSNE_AUTO */
    int n_iter;                  /**< gradient steps in all, >= 1; default 750 */
    int exaggeration_iter;       /**< first steps with P exaggerated, <= n_iter; default 250 */
    double early_exaggeration;   /**< >= 1; default 12 */
    double learning_rate;        /**< > 0 for both phases, or 0 = auto: max(n / e / 4, 50), e the
                                      phase's exaggeration (early_exaggeration, then 1) */
    double momentum_early;       /**< momentum while exaggerating; default 0.5 */
    double momentum;             /**< momentum afterwards; default 0.8 */
    double min_gain;             /**< floor of the per-coordinate gains; default 0.01 */
    double min_grad_norm;        /**< stop when |gains * grad| <= this at a check; default 1e-7 */
    int n_iter_without_progress; /**< stop after this many steps without a better KL; 300 */
    prle_tsne_init init;         /**< default PRLE_TSNE_INIT_PCA */
    prle_tsne_knn knn;           /**< default PRLE_TSNE_KNN_AUTO */
    uint64_t seed;               /**< vantage points, PCA start vectors, random init; 42 */
    int n_threads;               /**< threads of our own loops; 0 = prle_init's count */
    prle_progress_fn progress;   /**< stage "tsne", done = steps finished, every 50 steps */
    void *progress_ud;
} prle_tsne_params;

/** The defaults listed above. */
PRLE_API prle_tsne_params prle_tsne_default_params(void);

/** PRLE_EINVAL naming the first bad field (e.g. "tsne.theta must be in [0, 1], got 2"). */
PRLE_API int prle_tsne_params_check(const prle_tsne_params *p);

/** A finished t-SNE run: the (n, 2) embedding and what the optimisation reported. */
typedef struct prle_tsne prle_tsne;

/** Figures of a finished run. */
typedef struct prle_tsne_info {
    double kl_divergence; /**< KL(P || Q) at the last step, as scikit-learn's kl_divergence_ */
    int n_iter;           /**< index of the last step taken (scikit-learn's n_iter_) */
    double learning_rate; /**< the rate after the exaggeration (after "auto") */
    double learning_rate_early; /**< the rate while exaggerating (after "auto") */
    size_t n_neighbors;         /**< k of the affinities */
    double seconds_knn;         /**< vantage-point tree build and search */
    double seconds_affinity;    /**< sigma search and symmetrised P */
    double seconds_init;        /**< PCA or random start */
    double seconds_optimize;    /**< the gradient steps */
} prle_tsne_info;

/**
 * t-SNE (van der Maaten 2014, scikit-learn's `_barnes_hut_tsne` schedule) of the rows of
 * `x` (n, d) into 2-D: exact Euclidean k nearest neighbours (`knn`: vantage-point tree or
 * blocked brute force; k = min(n - 1, floor(3 perplexity + 1)), ties by index), a per-row binary
 * search of the Gaussian precision matching the perplexity, P symmetrised and normalised (sparse),
 * then gradient descent with momentum and gains, repulsion by `method` (FFT interpolation, or
 * a quadtree with angle `theta`).
 *
 * Same data, params and seed give byte-identical output for any `n_threads` (every parallel
 * loop writes per-point outputs; all sums across points run in index order; the PCA start's
 * product runs in blocks fixed by its shape). Returns 0 and a run to free with
 * prle_tsne_free; PRLE_EINVAL (params, n < 2, perplexity >= n, a non-finite value: the
 * message names its row and column, PCA start with d < 2), PRLE_ENOMEM, PRLE_EABORTED.
 * Memory: O(n k) for P plus O(n d) for the PCA start. `x` is borrowed for the call.
 */
PRLE_API int prle_tsne_fit(prle_tsne **out, const prle_matrix *x, const prle_tsne_params *p);

/** Frees the run; NULL does nothing. */
PRLE_API void prle_tsne_free(prle_tsne *t);

/** The (n, 2) embedding. Borrowed, valid while `t` lives. */
PRLE_API const prle_matrix *prle_tsne_embedding(const prle_tsne *t);

/** The run's figures. */
PRLE_API prle_tsne_info prle_tsne_get_info(const prle_tsne *t);

PRLE_END_DECL

#endif
