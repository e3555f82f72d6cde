/* t-SNE internals shared by tsne.c, tsne_knn.c, tsne_affinity.c, tsne_bh.c, tsne_fft.c, tsne_grad.c
 * and tests/test_tsne.c. */
#ifndef PRLE_ANALYSIS_TSNE_INT_H
#define PRLE_ANALYSIS_TSNE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "prle/tsne.h"

/** f = sum over P's row entries [e0, e1) of p_ij q_ij (y_i - y_j), q_ij = 1 / (1 + |y_i -
 *  y_j|^2), in float from yf (n, 2); `wide` (prle__cpu_avx2_fma, and n < 2^30) for eight
 *  lanes. */
void prle__tsne_attract(double f[2], const uint32_t *col, const float *val, size_t e0, size_t e1,
                        const float *yf, size_t i, bool wide);

/** The near field's K - S over slots [e0, e1) of xs, ys for the point (xi, yi): a[0..2] +=
 *  force x, force y, Z terms, where the squared distance t < T (S = s0 + (t - T) s1). Reads up
 *  to 7 slots past e1 (they must be readable; their lanes are masked). */
void prle__tsne_near_run(float a[3], float xi, float yi, float T, float s0, float s1,
                         const float *xs, const float *ys, size_t e0, size_t e1, bool wide);

/** The t of [0, cnt) with (ni + nrm[t]) - 2 g[t] - gamma (ni + nrm[t]) <= top (in that order of
 *  double operations, unfused) into hits, ascending; returns how many. */
size_t prle__tsne_bound_scan(uint32_t *hits, const float *g, const double *nrm, size_t cnt,
                             double ni, double gamma, double top, bool wide);

/** Euclidean distance of two rows of width d (float differences, 8 float partial sums). */
double prle__tsne_dist(const float *a, const float *b, size_t d);

/** prle__tsne_dist(a, b[l], d) into out[l] for the four rows b[0..3], the same bits; `wide`
 *  (prle__cpu_avx2_fma) for the four sums side by side in eight AVX2 lanes each. */
void prle__tsne_dist4(double out[4], const float *a, const float *const b[4], size_t d, bool wide);

/**
 * Exact k nearest neighbours of every row of `x` (n, d) among the others, by
 * prle__tsne_dist, ascending, ties by index: a vantage-point tree (Yianilos 1993) whose
 * vantage points come from stream (seed, "tsne.vptree", 0). idx_out, dist_out (n, k);
 * k < n. Only PRLE_ENOMEM.
 */
int prle__tsne_knn(size_t *idx_out, double *dist_out, const prle_matrix *x, size_t k, uint64_t seed,
                   int n_threads);

/**
 * The same neighbours as prle__tsne_knn (same distances, same order) by blocked brute force:
 * SGEMM products of the centred rows bound every squared distance within a rounding margin,
 * rows that can still make the k nearest are measured with prle__tsne_dist. Only PRLE_ENOMEM.
 */
int prle__tsne_knn_brute(size_t *idx_out, double *dist_out, const prle_matrix *x, size_t k,
                         int n_threads);

/**
 * scikit-learn's `_binary_search_perplexity`: per row of `sqd` (n, k) squared distances, the
 * precision beta with entropy log(perplexity) within 1e-5 (at most 100 bisection steps, from
 * beta = 1), and p_out (n, k) = exp(-sqd beta) / sum. beta_out (n) may be NULL.
 */
void prle__tsne_binary_search(double *p_out, double *beta_out, const float *sqd, size_t n, size_t k,
                              double perplexity, int n_threads);

/** Sparse symmetric joint probabilities, CSR with sorted columns, no diagonal, sum 1. */
typedef struct tsne_csr {
    size_t n;
    size_t *indptr; /* (n + 1) */
    size_t *col;    /* (nnz) */
    double *val;    /* (nnz) */
} tsne_csr;

/** prle_tsne_fit in two halves (the analysis runs them as separate pieces): the affinities of
 *  x, then the optimisation from them. */
typedef struct prle__tsne_prep {
    tsne_csr P;
    double t0; /* when the fit began (progress reports the time since) */
    double seconds_knn, seconds_affinity;
} prle__tsne_prep;

/** Checks p and x, computes P. On failure `out` holds nothing to dispose of. */
int prle__tsne_prepare(prle__tsne_prep *out, const prle_matrix *x, const prle_tsne_params *p);

/** The optimisation from prep (of the same x and p): prle_tsne_fit's result. */
int prle__tsne_finish(prle_tsne **out, const prle__tsne_prep *prep, const prle_matrix *x,
                      const prle_tsne_params *p);

void prle__tsne_prep_dispose(prle__tsne_prep *prep);

/**
 * A map computed before for the same rows `x` and params (tsne_cache.c): 1 and the map in
 * xy (n, 2) and its figures in info when `path` holds it, 0 when it does not (no file,
 * another key, unreadable), PRLE_ENOMEM.
 */
int prle__tsne_cache_load(prle_matrix *xy, prle_tsne_info *info, const char *path,
                          const prle_matrix *x, const prle_tsne_params *p);

/** Writes the map of `x` under `path` (atomically); a failure is ignored (it is a cache). */
void prle__tsne_cache_store(const char *path, const prle_matrix *x, const prle_tsne_params *p,
                            const prle_matrix *xy, const prle_tsne_info *info);

/** P = (C + C^T) / sum(C + C^T) of the conditional C given by rows `idx` (n, k), `cond`. */
int prle__tsne_symmetrize(tsne_csr *out, const size_t *idx, const double *cond, size_t n, size_t k,
                          int n_threads);

/** Frees the arrays and zeroes `p`. */
void prle__tsne_csr_dispose(tsne_csr *p);

/**
 * kNN (perplexity p, k = min(n-1, floor(3p+1))), binary search and symmetrisation of the rows
 * of `x`: the P of scikit-learn's `_joint_probabilities_nn`. `t_knn`, `t_aff` receive seconds
 * (may be NULL).
 */
int prle__tsne_affinities(tsne_csr *out, const prle_matrix *x, double perplexity,
                          prle_tsne_knn method, uint64_t seed, int n_threads, double *t_knn,
                          double *t_aff);

/**
 * Barnes-Hut repulsion at `y` (n, 2): neg_out (n, 2) = sum_j q_ij^2 (y_i - y_j) and
 * sumq_out (n) = sum_{j != i} q_ij, q_ij = 1 / (1 + |y_i - y_j|^2), cells of squared width w^2
 * with w^2 < theta^2 |y_i - c|^2 taken whole. theta = 0 gives the exact sums. Only PRLE_ENOMEM.
 */
int prle__tsne_repulsive(double *neg_out, double *sumq_out, const double *y, size_t n, double theta,
                         int n_threads);

/** The FFT-interpolation repulsion's plans and grids, kept from step to step (tsne_fft.c). */
typedef struct prle__tsne_fft prle__tsne_fft;
int prle__tsne_fft_new(prle__tsne_fft **out);
void prle__tsne_fft_free(prle__tsne_fft *f);

/**
 * The repulsion of prle__tsne_repulsive by FFT-accelerated interpolation (Linderman et al.
 * 2019): neg_out (n, 2) = sum_j q_ij^2 (y_i - y_j), *z_out = sum_{i != j} q_ij, interpolated
 * on an equispaced grid (3 nodes per box side, boxes of width <= 0.5, at least 20 per side, the
 * FFT side at most 160). A wider embedding's boxes are wider: the grid then carries a smoothed
 * kernel and the rest is summed exactly over the points within one box width (in float). The
 * same bits for any n_threads. PRLE_ENOMEM, PRLE_ERROR (no FFTW plan).
 */
int prle__tsne_repulsive_fft(double *neg_out, double *z_out, prle__tsne_fft *f, const double *y,
                             size_t n, int n_threads);

/**
 * The KL gradient of scikit-learn's `_kl_divergence_bh` (dof 1): grad_out (n, 2) =
 * 4 (sum_j p_ij q_ij (y_i - y_j) - neg_i / Z) with P scaled by `p_scale` (exaggeration) and
 * Z = sum_{i != j} q_ij, the repulsion neg by `method` (Barnes-Hut at `theta`, or the FFT
 * interpolation with the plans of `fft`, which AUTO and FFT need). With kl_out non-NULL,
 * *kl_out = sum p log(max(p, tiny) / max(q / Z, tiny)) over P's entries (its `error`).
 * PRLE_ENOMEM, PRLE_ERROR.
 */
int prle__tsne_gradient(double *grad_out, double *kl_out, const tsne_csr *p, double p_scale,
                        const double *y, prle_tsne_method method, double theta, prle__tsne_fft *fft,
                        int n_threads);

/** P packed for the steps (32-bit columns, float values), buffers and the FFT plans. */
typedef struct prle__tsne_grad prle__tsne_grad;

/**
 * The gradient's state for P (borrowed while it lives) and the FFT plans of `fft` (borrowed;
 * NULL: its own). PRLE_ENOMEM.
 */
int prle__tsne_grad_new(prle__tsne_grad **out, const tsne_csr *p, prle__tsne_fft *fft);
void prle__tsne_grad_free(prle__tsne_grad *g);

/**
 * prle__tsne_gradient with the state of `g`: the attraction in float from float P (relative
 * error about 1e-6), the KL in double. The same bits for any n_threads.
 */
int prle__tsne_grad_step(prle__tsne_grad *g, double *grad_out, double *kl_out, double p_scale,
                         const double *y, prle_tsne_method method, double theta, int n_threads);

/** The FFT grid's side for the embedding y (n, 2): what AUTO compares with the maximum. */
int prle__tsne_fft_side(const double *y, size_t n);

/**
 * Top-2 principal component scores of x (n, d) into s (n, 2) (centred, unscaled), signs as
 * scikit-learn's svd_flip: the largest |score| of each component is positive (`seed` is unused:
 * the eigensolver is deterministic). The product runs
 * on `n_threads` threads (0: the count in force), its bits independent of it. PRLE_ENOMEM.
 */
int prle__tsne_pca(double *s, const prle_matrix *x, uint64_t seed, int n_threads);

#endif
