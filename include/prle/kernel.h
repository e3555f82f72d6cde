/* PRLE: Stage 1, the metric-learning kernel g: R^H -> R^D and its value space z = n(g(e))
 * (SPEC.md §4). */
#ifndef PRLE_KERNEL_H
#define PRLE_KERNEL_H

#include "prle/common.h"
#include "prle/config.h"
#include "prle/matrix.h"

PRLE_BEGIN_DECL

/** Projection heads (`kernel.projection_type`). */
typedef enum prle_head_type {
    PRLE_HEAD_LINEAR = 0, /**< z = n(W x), W (D, H), no bias */
    PRLE_HEAD_MLP = 1,    /**< (num_layers - 1) x [Linear + act], then Linear to D */
    PRLE_HEAD_RESMLP =
        2,            /**< num_layers x [Linear, act, dropout], out-projection, + x, LayerNorm */
    PRLE_HEAD_RFF = 3 /**< sqrt(2/D) [cos(xW + b), sin(xW + b)], W (H, D/2), b (D/2) */
} prle_head_type;

/** Activations of mlp / resmlp. */
typedef enum prle_activation {
    PRLE_ACT_DEFAULT = 0, /**< the head's own: mlp GELU, resmlp ReLU */
    PRLE_ACT_RELU = 1,
    PRLE_ACT_GELU = 2 /**< exact form x * Phi(x) with erf (PyTorch nn.GELU default) */
} prle_activation;

/** Which epoch's weights a fit keeps (`kernel.keep`). */
typedef enum prle_kernel_keep {
    PRLE_KEEP_BEST =
        0, /**< lowest validation pair loss (earliest on ties); last without val rows */
    PRLE_KEEP_LAST = 1
} prle_kernel_keep;

/** What one training epoch did. Loss terms are means over the epoch's batches. */
typedef struct prle_kernel_epoch {
    int epoch;           /**< 1-based */
    double loss;         /**< lambda-weighted total */
    double loss_pair;    /**< mean_{i != j} (s_ij - t_ij)^2 */
    double loss_triplet; /**< triplet hinge (computed and logged even when its lambda is 0) */
    double loss_uniform; /**< ln(mean_{i<j} exp(-2 |z_i - z_j|^2) + 1e-8) */
    double val_pair;     /**< pair loss over validation blocks; NaN without validation rows */
    double seconds;      /**< wall time of the epoch, validation included */
    double rows_per_s;   /**< training rows / seconds */
    size_t steps;        /**< optimiser steps (batches of at least 2 rows) */
} prle_kernel_epoch;

/** Called after every epoch with its record; return false to stop (PRLE_EABORTED). */
typedef bool (*prle_kernel_epoch_fn)(const prle_kernel_epoch *epoch, void *user_data);

/**
 * Everything a kernel fit needs. Start from prle_kernel_default_params() or
 * prle_kernel_params_from_config().
 */
typedef struct prle_kernel_params {
    prle_head_type type;        /**< default PRLE_HEAD_RESMLP */
    size_t proj_dim;            /**< value-space width D; 0 = H (rff: 256). rff needs D even */
    size_t hidden_dim;          /**< 0 = the head's default (mlp: max(H, D); resmlp: D) */
    int num_layers;             /**< Linear layers of mlp / resmlp, 1..64; default 2 */
    prle_activation activation; /**< default PRLE_ACT_DEFAULT */
    double dropout;             /**< resmlp dropout in [0, 1); default 0 */
    double sigma;               /**< rff length scale, W ~ N(0, 1/sigma^2); default 1 */
    double learning_rate;       /**< Adam learning rate; default 1e-3 (the original: 2e-4) */
    int max_epochs;             /**< epochs at most; 0 (default) = from the data: enough for
                                     20,000 steps, within [20, 1000] */
    size_t batch_size;          /**< B, >= 2; default 32 (`train.train_batch_size`) */
    double lambda_pair;         /**< default 1 */
    double lambda_triplet;      /**< default 0 */
    double lambda_uniform;      /**< default 0.01 */
    double label_min;           /**< label range, M = label_max - label_min > 0; default 0 */
    double label_max;           /**< default 1 */
    uint64_t seed;              /**< seeds init, shuffles, dropout, triplets; default 42 */
    int n_threads;              /**< threads of our own loops; 0 = prle_init's count */
    prle_kernel_keep keep;      /**< default PRLE_KEEP_BEST */
    prle_progress_fn progress;  /**< stage "kernel", done = epochs finished; may be NULL */
    void *progress_ud;
    prle_kernel_epoch_fn on_epoch; /**< the record of each epoch; may be NULL */
    void *on_epoch_ud;
    /** With validation rows: stop after this many epochs without a lower validation pair
     *  loss (`kernel.patience`, new); 0 = never stop early; -1 (the default) = from the data,
     *  the epochs of 300 Adam steps within [3, 50] (STS-B 4, Ruddit 5, MLQE-PE ru-en 3). */
    int patience;
    bool learnable_rff; /**< rff: train W and b (otherwise frozen); default false */
    /** Subtract the training rows' column mean from every input before the head, g(x - mu)
     * (`kernel.center_inputs`, new): 1, 0, or PRLE_KERNEL_CENTER_AUTO (the default), which
     * prle_kernel_fit resolves from the training rows: centred when their offset ratio
     * (prle_kernel_offset_ratio) is above 1, i.e. their mean is farther from the origin than
     * the rows are, on average, from their mean. mu is a frozen tensor of the kernel,
     * `projection_head.input_mean` (H), set by prle_kernel_fit; 0 in prle_kernel_new, where
     * AUTO (no rows to decide from) is not centred. A fitted or loaded kernel's params hold
     * 1 or 0. */
    int center_inputs;
    /** Standardise every input column, g((x - mu) s) with s_j = 1 / the training rows'
     * standard deviation of column j (1 where it is 0), as scikit-learn's StandardScaler
     * (`kernel.standardize_inputs`, new): 1, 0, or PRLE_KERNEL_STANDARDIZE_AUTO (the default),
     * which prle_kernel_fit resolves with prle_kernel_standardize_test on the training and
     * validation rows (not standardised without validation rows). The head's layer norm
     * works on rows: columns on a much smaller scale than the rest (the u * v block of pair
     * features from a sparse encoder) reach its first layer only faintly, whatever they
     * carry. Standardised inputs are centred too. s is a frozen tensor of the kernel,
     * `projection_head.input_scale` (H), after input_mean. A fitted or loaded kernel's
     * params hold 1 or 0. */
    int standardize_inputs;
} prle_kernel_params;

/** prle_kernel_params.center_inputs: decided from the training rows (the default). */
#define PRLE_KERNEL_CENTER_AUTO (-1)
/** prle_kernel_params.standardize_inputs: decided from the data (the default). */
#define PRLE_KERNEL_STANDARDIZE_AUTO (-1)

/** What prle_kernel_standardize_test measured. */
typedef struct prle_standardize_test {
    double mse_raw;   /**< validation MSE of the ridge on the raw columns (its best alpha) */
    double mse_std;   /**< the same on the standardised columns */
    double gain_se;   /**< (mse_raw - mse_std) / the standard error of the paired differences of
                           squared errors (0 when they are all equal) */
    double col_sd;    /**< the training columns' root-mean-square standard deviation */
    bool standardize; /**< the rule's answer */
} prle_standardize_test;

/**
 * Whether the kernel's inputs are standardised (standardize_inputs AUTO): two ridges of y on
 * x, on the raw and on the standardised columns of the training rows, each with its alpha
 * (1e-2 ... 1e4) chosen on the validation rows, and the standardised ones kept when their
 * validation MSE is at least 1 % lower and the gain at least 2 standard errors of the paired
 * differences of squared errors (the neighbour term's rule). Both ridges share one Gram
 * matrix. A ridge sees what the columns carry whatever their scale; when standardising
 * helps it that much, the scales hide signal. Standardised too whenever the columns' RMS
 * standard deviation (col_sd) is above 1: the head is initialised for inputs of unit scale at
 * most, and far above it its biases lose their say (a head of ReLU layers then sees only each
 * row's direction). `n_threads` 0 = prle_init's count; the answer
 * does not depend on it. PRLE_EINVAL for fewer than 2 rows of either, PRLE_ESHAPE, PRLE_ENOMEM.
 */
PRLE_API int prle_kernel_standardize_test(prle_standardize_test *out, const prle_matrix *x_train,
                                          const float *y_train, const prle_matrix *x_val,
                                          const float *y_val, int n_threads);

/** The defaults listed above (those of docs/config.md). */
PRLE_API prle_kernel_params prle_kernel_default_params(void);

/**
 * The offset ratio of the rows of `x`: |mu|^2 / mean_i |x_i - mu|^2, mu their column mean (in
 * double). Above 1 the rows share an offset larger than their spread (averaged word vectors,
 * pair features built from them), and center_inputs = PRLE_KERNEL_CENTER_AUTO centres them.
 * NaN for fewer than 2 rows or rows all equal at the origin; +inf for equal rows elsewhere.
 */
PRLE_API double prle_kernel_offset_ratio(const prle_matrix *x);

/**
 * Reads `kernel.*`, `train.train_batch_size`, `train.seed`, `train.threads` and
 * `data.label_min/max` from `cfg` (label bounds may still be NaN there: the dataset's preset
 * fills them; set them before fitting). PRLE_EINVAL naming the key for an unknown projection
 * type, activation or keep value, or a negative width. Callbacks are left NULL.
 */
PRLE_API int prle_kernel_params_from_config(prle_kernel_params *out, const prle_config *cfg);

/** PRLE_EINVAL naming the first bad field (e.g. "kernel.learning_rate must be > 0, got 0"). */
PRLE_API int prle_kernel_params_check(const prle_kernel_params *p);

/** "linear", "mlp", "resmlp", "rff" ("?" otherwise); static. */
PRLE_API const char *prle_head_type_name(prle_head_type type);

/** The trained kernel: the head's architecture, its weights and the fit's epoch records. */
typedef struct prle_kernel prle_kernel;

/**
 * A new kernel for inputs of width `in_dim` with freshly initialised weights (Linear weights
 * and biases U(+-1/sqrt(fan_in)), LayerNorm gamma 1 beta 0, rff W and b as above; stream
 * (seed, "kernel.init", 0)). PRLE_EINVAL (params), PRLE_ENOMEM.
 */
PRLE_API int prle_kernel_new(prle_kernel **out, size_t in_dim, const prle_kernel_params *p);

/**
 * Trains a kernel (SPEC.md §4): Adam (0.9, 0.999, 1e-8, bias-corrected) on shuffled batches
 * of `x_train` (n, H) with labels `y_train` (n); loss lambda_pair L_pair + lambda_triplet L_trip
 * + lambda_uniform L_unif on z = n(g(x)); batches of fewer than 2 rows are skipped. After each
 * epoch the validation pair loss of `x_val` is recorded: the mean of (s_ij - t_ij)^2 over all
 * pairs i != j within consecutive blocks of up to 1024 validation rows (all pairs when there
 * are fewer; B-row batches proved too noisy to choose an epoch by). `keep` picks the weights
 * returned. `x_val`/`y_val` may be NULL (no validation).
 *
 * Same data, params and seed give byte-identical weights whatever the thread count: products
 * run in blocks fixed by their shapes, each single-threaded, spread over n_threads (OpenBLAS
 * is held at one thread during each product, which other BLAS users of the process then
 * share; its own threading changes the bits with the thread count). Returns 0 and a kernel to free
 * with prle_kernel_free; PRLE_EINVAL (params, NaN labels), PRLE_ESHAPE (widths disagree),
 * PRLE_ENOMEM, PRLE_EABORTED (a callback said stop).
 * Memory: 4 copies of the trainable parameters plus one of all, and O(B * width)
 * activations. Inputs are borrowed for the call.
 */
PRLE_API int prle_kernel_fit(prle_kernel **out, const prle_matrix *x_train, const float *y_train,
                             const prle_matrix *x_val, const float *y_val,
                             const prle_kernel_params *p);

/** Frees the kernel; NULL does nothing. */
PRLE_API void prle_kernel_free(prle_kernel *k);

/**
 * Value-space embeddings z = n(g(x)) of every row of `x` (n, H) into a new (n, D) matrix
 * `out` (the caller's: prle_matrix_dispose), computed in blocks of rows, dropout off.
 * `n_threads` 0 = prle_init's count; the bits do not depend on it (as prle_kernel_fit).
 * PRLE_ESHAPE if x's width is not H, PRLE_ENOMEM. Only reads `k`: concurrent calls on one
 * kernel are safe.
 */
PRLE_API int prle_kernel_apply(prle_matrix *out, const prle_kernel *k, const prle_matrix *x,
                               int n_threads);

/**
 * Writes `k` as safetensors (F32, PyTorch's state_dict names under `projection_head.`):
 * linear `proj.weight` (D, H); mlp `net.{2i}.weight|bias`; resmlp `net.{s i}.weight|bias`
 * with s = 2, or 3 when dropout > 0 (nn.Sequential of [Linear, act(, Dropout)]),
 * `out_proj.weight|bias` when hidden != D, `norm.weight|bias`; rff `W` (H, D/2), `b` (D/2)
 * (buffers or parameters alike); `input_mean` (H) when center_inputs, then `input_scale` (H) when
 * standardize_inputs. Metadata: format "prle", kind "kernel", version "1", every params field as
 * text (not the thread count, so the bytes do not depend on it), the input width and the resolved
 * widths, the kept epoch. Atomic. PRLE_EIO, PRLE_ENOMEM.
 */
PRLE_API int prle_kernel_save(const prle_kernel *k, const char *path);

/**
 * Reads a kernel written by prle_kernel_save (or by PyTorch with the same names).
 * With `expect` non-NULL, the architecture is that of `expect` for inputs of width `in_dim`
 * and the file must match it exactly: a different projection type, activation, layer count or
 * center_inputs or standardize_inputs recorded in the metadata is PRLE_EINVAL (a file without
 * the key is not centered, or not standardised), a missing tensor PRLE_ENOTFOUND, a tensor of
 * another shape or an extra tensor PRLE_ESHAPE, each naming the file and what differs; a file
 * without metadata is read by `expect` alone. With `expect` NULL the metadata decides
 * (missing metadata: PRLE_EFORMAT). Returns 0 and a kernel for prle_kernel_free.
 */
PRLE_API int prle_kernel_load(prle_kernel **out, const char *path, const prle_kernel_params *expect,
                              size_t in_dim);

/** Input width H. */
PRLE_API size_t prle_kernel_in_dim(const prle_kernel *k);

/** Value-space width D. */
PRLE_API size_t prle_kernel_out_dim(const prle_kernel *k);

/** The projection type. */
PRLE_API prle_head_type prle_kernel_type(const prle_kernel *k);

/** Number of weights (all tensors, frozen ones included). */
PRLE_API size_t prle_kernel_n_params(const prle_kernel *k);

/** The params the kernel was built with (callbacks NULL). Borrowed, valid while `k` lives. */
PRLE_API const prle_kernel_params *prle_kernel_get_params(const prle_kernel *k);

/**
 * The fit's epoch records (`*n` of them; NULL and 0 for a kernel that was not fitted).
 * Borrowed, valid while `k` lives.
 */
PRLE_API const prle_kernel_epoch *prle_kernel_history(const prle_kernel *k, size_t *n);

/** The 1-based epoch whose weights the kernel holds (0: not fitted or unknown). */
PRLE_API int prle_kernel_kept_epoch(const prle_kernel *k);

/* ---- distance-label report (SPEC.md §4 "Report") -------------------------------------- */

/** Pearson and Spearman correlation of (|y_i - y_j|, ||n(e_i) - n(e_j)||) over random pairs. */
typedef struct prle_kernel_corr {
    double pearson;
    double spearman;
    size_t n_pairs;
} prle_kernel_corr;

/** Default pair count of the report. */
#define PRLE_KERNEL_REPORT_PAIRS 50000

/**
 * Draws `n_pairs` pairs (i, j), i != j, uniformly from the rows of `emb` (n, w) with stream
 * (seed, "kernel.report", 0) (i = below(n), j = below(n - 1), j += j >= i), and correlates the
 * label gap |y_i - y_j| with the Euclidean distance of the L2-normalised rows (double). The
 * same seed and n give the same pairs for any matrix, so retrieval and value space are
 * compared on one set. NaN correlations when either side is constant. PRLE_EINVAL (n < 2,
 * n_pairs < 2, NaN label), PRLE_ENOMEM.
 */
PRLE_API int prle_kernel_distance_corr(prle_kernel_corr *out, const prle_matrix *emb,
                                       const float *y, size_t n_pairs, uint64_t seed,
                                       int n_threads);

/** What `kernel_report.json` holds. */
typedef struct prle_kernel_report {
    prle_kernel_corr retrieval;        /**< on the encoder's embeddings */
    prle_kernel_corr value;            /**< on z = n(g(e)) */
    uint64_t seed;                     /**< of the pairs */
    bool standardize_tested;           /**< the kernel's standardize_inputs was left to the data */
    prle_standardize_test standardize; /**< what decided it (when standardize_tested) */
} prle_kernel_report;

/**
 * Writes the report as JSON (atomic): {"split": "train", "pairs", "seed", "retrieval":
 * {"pearson", "spearman"}, "value": {...}, and when `k` is non-NULL "kernel": {type, in_dim,
 * out_dim, n_params, kept_epoch}, "epochs": [records]}. PRLE_EIO, PRLE_ENOMEM.
 */
PRLE_API int prle_kernel_report_write(const char *path, const prle_kernel_report *r,
                                      const prle_kernel *k);

PRLE_END_DECL

#endif
