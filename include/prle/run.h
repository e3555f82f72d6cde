/* PRLE: the run folder and the pipeline behind prle run / train / kernel / eval / predict
 * (SPEC.md §1, §2, §6, §8; the file formats are docs/run-folder.md). */
#ifndef PRLE_RUN_H
#define PRLE_RUN_H

#include "prle/common.h"
#include "prle/config.h"
#include "prle/conformal.h"
#include "prle/dataset.h"
#include "prle/embed.h"
#include "prle/kernel.h"
#include "prle/matrix.h"
#include "prle/metrics.h"
#include "prle/model.h"

PRLE_BEGIN_DECL

/** The "version" of every JSON file of the run folder this library writes and reads. */
#define PRLE_RUN_FORMAT_VERSION 1

/**
 * The run folder of `cfg`: `{train.output_dir}/{logging.run_name}` (output_dir unset: "runs";
 * run_name unset: "run"). `*out` is malloc'd (free()). PRLE_EINVAL for a run_name that is
 * empty, "." or "..", or holds a '/'; PRLE_ENOMEM.
 */
PRLE_API int prle_run_dir(char **out, const prle_config *cfg);

/**
 * What prle_run and prle_run_kernel check of `cfg` before any work: every kernel, model,
 * prototype and router key converts and its values agree (prle_kernel_params_check,
 * prle_router_params_check, model.tau_max >= model.tau_min, rff's even kernel.proj_dim,
 * the stage-2 keys the library cannot honour), model.pooling is one glove or gguf has (the
 * encoders that do not pool ignore it), and the
 * embedding cache lies outside the run folder that every run replaces. PRLE_EINVAL with a
 * message that begins with the key.
 */
PRLE_API int prle_run_config_check(const prle_config *cfg);

/* ---- metrics.json --------------------------------------------------------------------- */

/** How concentrated a split's routing weights are (each row of W sums to 1): how few
 *  prototypes an explanation needs. Means over the split's rows. */
typedef struct prle_weight_stats {
    bool present;      /**< false: not computed (a reference model, an older metrics.json) */
    double top1;       /**< the largest weight */
    double top3;       /**< the sum of the three largest */
    double n80;        /**< prototypes, heaviest first, until their weights reach 0.8 */
    double perplexity; /**< exp(-sum_p W_p ln W_p): the effective number of prototypes */
} prle_weight_stats;

/** One split's metrics on the raw label scale and on the 0-1 scale. */
typedef struct prle_split_metrics {
    bool present;              /**< false: the split was not scored (no rows, no labels) */
    prle_metrics raw;          /**< labels and predictions as they are */
    prle_metrics unit;         /**< (y - label_min) / (label_max - label_min), predictions
                                    likewise */
    prle_weight_stats weights; /**< PRLE's routing weights on the split */
} prle_split_metrics;

/** A model on the same retrieval features as the run, fitted on train with its setting chosen
 *  on validation MSE: the cheap yardsticks `prle run` compares PRLE with. The ridge's alphas
 *  are 1e-2 ... 1e4; the kNN is cosine on standardised rows, k 5, 10, 20 or 50, uniform or
 *  1/distance weights. */
typedef struct prle_run_reference {
    bool present;
    double alpha;                /**< ridge: the alpha chosen */
    size_t k;                    /**< kNN: the neighbours chosen */
    bool distance_weights;       /**< kNN: weights 1/distance (else uniform) */
    size_t fit_rows, train_rows; /**< kNN: the training rows searched, of train_rows (evenly
                                      spaced beyond 10,000 or 16 M floats; the neighbour term's
                                    too); 0 when not recorded (metrics.json before 2026-12-07) */
    prle_split_metrics splits[PRLE_N_SPLITS]; /**< validation and test (kNN: validation
                                                   only); no weights */
} prle_run_reference;

/** The neighbour term a run kept (docs/config.md, model.neighbours). */
typedef struct prle_run_neighbours {
    bool present;           /**< false: the model has none */
    size_t k;               /**< the nearest training rows it averages */
    bool distance_weights;  /**< weights 1/distance (else uniform) */
    double weight;          /**< lambda, in every local prediction */
    double validation_gain; /**< the share of PRLE's validation MSE it saved */
} prle_run_neighbours;

/** The level at which metrics.json and the report measure intervals. */
#define PRLE_INTERVAL_LEVEL 0.9

/** Folds of the cross-fit estimate of the validation coverage (rows i mod 10). */
#define PRLE_INTERVAL_FOLDS 10

/** How often intervals held the label, and how wide they were, on one split. */
typedef struct prle_interval_coverage {
    size_t n;          /**< rows scored */
    double coverage;   /**< share of rows with lo <= label <= hi */
    double mean_width; /**< mean of hi - lo, raw label scale, after clipping to the range */
} prle_interval_coverage;

/** The measured coverage of one split-conformal rule (prle_conformal_fit) at one level. */
typedef struct prle_interval_stats {
    bool present;  /**< false: not computed (fewer than 2 validation rows, an older file) */
    bool adaptive; /**< widths scaled by the router's entropy (prle_conformal) */
    double level;  /**< the coverage promised, e.g. 0.9 */
    double q;      /**< the quantile calibrated on all validation rows */
    size_t n_calib;
    /** Cross-fit: row i's interval is calibrated on the validation rows of the other
     *  PRLE_INTERVAL_FOLDS - 1 folds (fold = i mod PRLE_INTERVAL_FOLDS), so a row never
     *  calibrates its own interval; this estimates the coverage on new rows from the
     *  validation distribution. */
    prle_interval_coverage validation;
    prle_interval_coverage test; /**< calibrated on all validation rows; n 0 without test
                                      labels */
} prle_interval_stats;

/** What metrics.json holds. */
typedef struct prle_run_metrics {
    double label_min, label_max;
    prle_split_metrics splits[PRLE_N_SPLITS]; /**< indexed by prle_split */
    prle_run_reference ridge;                 /**< absent when validation has < 2 rows */
    prle_run_reference knn;                   /**< absent likewise, and in older files */
    double recal_intercept, recal_slope;      /**< the model's recalibration on validation
                                                   (prle_model_recalibration): the prediction
                                                   is a + b times the trained model's; 0 and
                                                   1 when none was applied */
    prle_interval_stats intervals[2];         /**< plain, then adaptive, at
                                                   PRLE_INTERVAL_LEVEL */
    prle_run_neighbours neighbours;           /**< absent without the term */
} prle_run_metrics;

/**
 * Measures split-conformal intervals at `level` (plain, or `adaptive`: see prle_conformal):
 * the validation coverage cross-fit over PRLE_INTERVAL_FOLDS folds, the test coverage of the
 * rule calibrated on all validation rows; every interval clipped to [label_min, label_max].
 * y, yhat (n) and routing weights w (n, np) of each split; the test split may have n_te 0.
 * `out->present` is false (no error) with fewer than PRLE_INTERVAL_FOLDS validation rows.
 * PRLE_EINVAL for a level outside (0, 1), PRLE_ENOMEM.
 */
PRLE_API int prle_interval_stats_compute(prle_interval_stats *out, double level, bool adaptive,
                                         const float *y_va, const float *yhat_va, const float *w_va,
                                         size_t n_va, const float *y_te, const float *yhat_te,
                                         const float *w_te, size_t n_te, size_t np,
                                         double label_min, double label_max);

/**
 * The concentration of weights `w` (n, np), row-major, rows summing to 1, into `out`
 * (present, means over the n rows; zeroed with present false when n or np is 0).
 */
PRLE_API void prle_weight_stats_compute(prle_weight_stats *out, const float *w, size_t n,
                                        size_t np);

/** True when PRLE's validation MSE is above the reference's `ref` (both present) by more than
 *  a millionth of it (float rounding). */
PRLE_API bool prle_run_metrics_worse_than(const prle_run_metrics *m, const prle_run_reference *ref);

/** prle_run_metrics_worse_than(m, &m->ridge). */
PRLE_API bool prle_run_metrics_worse_than_ridge(const prle_run_metrics *m);

/**
 * Scores `yhat` (n) against `y` (n) on both scales. One row (n = 1) has its MSE, RMSE and MAE;
 * r2, pearson, spearman and kendall are NaN (null in metrics.json), as they need two.
 * PRLE_EINVAL (n = 0, a non-finite value naming its index, an empty label range), PRLE_ENOMEM.
 */
PRLE_API int prle_split_metrics_compute(prle_split_metrics *out, const float *y, const float *yhat,
                                        size_t n, double label_min, double label_max);

/**
 * metrics.json as text (docs/run-folder.md: format "prle-metrics", version, label range,
 * the present splits in split order, keys in a fixed order, doubles exact), pretty-printed
 * with a final newline; `*out` is malloc'd (free()). metrics.json of a run folder
 * has exactly these bytes. PRLE_ENOMEM.
 */
PRLE_API int prle_run_metrics_json(char **out, const prle_run_metrics *m);

/* ---- the pipeline ----------------------------------------------------------------------- */

/** The stages of prle_run, in order; the names are "data", "embed", "kernel", "experts",
 *  "evaluate", "files", "analysis", "report". */
typedef enum prle_run_stage {
    PRLE_STAGE_DATA = 0,     /**< load the dataset */
    PRLE_STAGE_EMBED = 1,    /**< stage 0: the embedding cache, built or reused */
    PRLE_STAGE_KERNEL = 2,   /**< stage 1: kernel reused or trained, value space written */
    PRLE_STAGE_EXPERTS = 3,  /**< stage 2: prototypes, router and experts (prle_model_fit) */
    PRLE_STAGE_EVALUATE = 4, /**< predictions and metrics on validation and test */
    PRLE_STAGE_FILES = 5,    /**< model, prototypes, explanations, log and config written */
    PRLE_STAGE_ANALYSIS = 6, /**< prle_analyze_run */
    PRLE_STAGE_REPORT = 7    /**< prle_report_write */
} prle_run_stage;

/** Number of stages. */
#define PRLE_RUN_N_STAGES 8

/** The stage's name (above); "?" otherwise. Static. */
PRLE_API const char *prle_run_stage_name(prle_run_stage s);

/** What a stage event reports. */
typedef struct prle_run_event {
    prle_run_stage stage;
    bool done;        /**< false: the stage begins; true: it finished */
    double seconds;   /**< done: the stage's wall time */
    const char *note; /**< done: one line on what happened (e.g. "reused PATH"); may be NULL */
    /* Set when the kernel stage begins to train (NULL otherwise): */
    const prle_kernel_params *kernel; /**< the params of the fit */
    size_t in_dim;                    /**< H */
    size_t n_train;                   /**< training rows */
    size_t n_val;                     /**< validation rows (early stopping's) */
} prle_run_event;

/** Called when a stage begins and ends; return false to stop (PRLE_EABORTED). */
typedef bool (*prle_run_event_fn)(const prle_run_event *event, void *user_data);

/** Options of the pipeline that are not part of the config. Start from the defaults. */
typedef struct prle_run_params {
    size_t n_explain;          /**< explained test rows in explanations_test.json; default 3 */
    size_t explain_k;          /**< prototypes listed per explained row; default 3 */
    prle_progress_fn progress; /**< dataset download, embed, kernel, prototypes, experts,
                                    analysis; may be NULL */
    void *progress_ud;
    prle_run_event_fn on_event; /**< stage begin / end; may be NULL */
    void *on_event_ud;
    prle_kernel_epoch_fn on_kernel_epoch; /**< each kernel epoch; may be NULL */
    void *on_kernel_epoch_ud;
    prle_model_epoch_fn on_model_epoch; /**< each stage-2 epoch; may be NULL */
    void *on_model_epoch_ud;
    bool embed;   /**< true (default): stage 0 through prle_embed, building the cache when it
                       does not match; false (prle train): the cache must exist and match */
    bool analyze; /**< run prle_analyze_run on the new folder; default true */
    bool report;  /**< run prle_report_write on the new folder; default true */
} prle_run_params;

/** The defaults listed above. */
PRLE_API prle_run_params prle_run_default_params(void);

/** What a run did. Dispose with prle_run_result_dispose. */
typedef struct prle_run_result {
    char *dir;                         /**< the run folder */
    double seconds[PRLE_RUN_N_STAGES]; /**< wall time per stage */
    bool ran[PRLE_RUN_N_STAGES];       /**< which stages ran */
    double seconds_total;
    prle_embed_report embed;          /**< stage 0 (zeroed when it did not run) */
    bool kernel_reused;               /**< a saved kernel matched the config */
    char *kernel_note;                /**< one line: where the kernel came from, or why it
                                           was trained */
    int kernel_kept_epoch;            /**< 0 when unknown (reused without a log) */
    prle_kernel_report kernel_report; /**< distance-label correlation on train */
    size_t n_prototypes;              /**< P (0 when stage 2 did not run) */
    int model_epochs;                 /**< stage-2 epochs run */
    int model_kept_epoch;             /**< the epoch whose weights were kept */
    prle_run_metrics metrics;         /**< validation and test (stage 2 only) */
} prle_run_result;

/** Frees what the result owns and zeroes it; a zeroed result is left as it is. */
PRLE_API void prle_run_result_dispose(prle_run_result *r);

/**
 * The main job (prle run, prle train): dataset, stage 0 (params->embed), the stages of
 * `pipeline.stages`, evaluation on validation and test, and every file of
 * docs/run-folder.md that these stages own, then analysis.json and report.html as asked.
 *
 * The folder is built as `.{run_name}.tmp-{pid}` beside the final one and renamed over it
 * only when everything up to the analysis succeeded; on failure the old folder is untouched
 * and the temporary one removed. report.html, which names the folder it was made from, is
 * written into the final folder after the rename (if it fails, the call fails but the new
 * folder stays).
 *
 * Kernel: with `kernel` in pipeline.stages and pipeline.reuse_kernel true, the
 * kernel.safetensors of the old run folder (else `{kernel.checkpoint_dir}/kernel.safetensors`)
 * is reused when it matches the config: the same architecture (else PRLE_EINVAL or
 * PRLE_ESHAPE naming the file and what differs), the same training settings and, when that
 * folder holds value/train_embeds.npy, the same value embeddings of the current training
 * rows; when the settings or embeddings differ it is trained again and kernel_note says why.
 * Without `kernel` in the stages a saved kernel must exist and have the config's
 * architecture. With reuse_kernel false the kernel is always trained.
 *
 * Embeddings with a non-finite value are PRLE_EINVAL naming the file and the row. Other
 * errors come from the stages (PRLE_EINVAL for the config, PRLE_ENOTFOUND, PRLE_EFORMAT,
 * PRLE_EIO, PRLE_ENOMEM, PRLE_EABORTED). Same config and seed give byte-identical
 * model.safetensors and predictions for any thread count on one machine. `params` may be NULL.
 */
PRLE_API int prle_run(prle_run_result *out, const prle_config *cfg, const prle_run_params *params);

/**
 * Stage 1 alone (prle kernel): stage 0, then the kernel trained (never reused), written in
 * place into the run folder (created when missing): kernel.safetensors, value/,
 * kernel_report.json, train_log.csv (kernel rows) and config.yaml. Other files of the folder
 * are left as they are. `params` may be NULL.
 */
PRLE_API int prle_run_kernel(prle_run_result *out, const prle_config *cfg,
                             const prle_run_params *params);

/* ---- a saved run ------------------------------------------------------------------------ */

/** A run folder opened for eval and predict: its config, dataset, kernel and model. */
typedef struct prle_run_folder prle_run_folder;

/**
 * Opens `dir`: config.yaml, the dataset it names (for labels and prototype texts), or, when
 * its files are gone, what the folder keeps of it (dataset.json; prle_run_folder_has_data),
 * kernel.safetensors and model.safetensors. PRLE_ENOTFOUND naming a missing file, PRLE_EFORMAT
 * for a file of another format version or a truncated one (the message names the file),
 * PRLE_ESHAPE when kernel and model disagree. Free with prle_run_folder_free.
 */
PRLE_API int prle_run_folder_open(prle_run_folder **out, const char *dir);

/** Frees the handle; NULL does nothing. */
PRLE_API void prle_run_folder_free(prle_run_folder *rf);

/**
 * False for a folder opened without its data files (moved, copied, the data deleted): its
 * dataset is then what dataset.json keeps, the prototypes' training rows (texts and labels;
 * the other training rows have empty texts and NaN labels) and the validation labels, no test
 * rows. It predicts, explains and gives intervals for new inputs; prle_run_eval and the
 * splits' embeddings say PRLE_ENOTFOUND, naming the data.
 */
PRLE_API bool prle_run_folder_has_data(const prle_run_folder *rf);

/** Borrowed views, valid while the handle lives. */
PRLE_API const char *prle_run_folder_dir(const prle_run_folder *rf);
PRLE_API const prle_config *prle_run_folder_config(const prle_run_folder *rf);
PRLE_API const prle_dataset *prle_run_folder_dataset(const prle_run_folder *rf);
PRLE_API const prle_kernel *prle_run_folder_kernel(const prle_run_folder *rf);
PRLE_API const prle_model *prle_run_folder_model(const prle_run_folder *rf);

/**
 * The value-space rows of a split (n, D): `value/{split}_embeds.npy` of the folder, or, when
 * it is missing, the cached embeddings through the kernel. PRLE_ESHAPE when the row count
 * differs from the dataset's.
 */
PRLE_API int prle_run_folder_value(prle_matrix *out, const prle_run_folder *rf, prle_split split);

/**
 * Maps retrieval embeddings of new rows, made elsewhere (the seed's LLM caches, an
 * `encoder_type: npy` run's own encoder), through the run's kernel into `out`, the model's
 * input rows (n, prle_model_in_dim: D, and the neighbour term's column when the run kept one,
 * docs/run-folder.md). `what` names them in messages (e.g. the .npy path). PRLE_ESHAPE when their
 * width is not the kernel's input width, PRLE_EINVAL naming the first non-finite value's row and
 * column.
 */
PRLE_API int prle_run_folder_map(prle_matrix *out, const prle_run_folder *rf, const prle_matrix *x,
                                 const char *what);

/**
 * Encodes `n` new inputs as training did (the config's encoder with the state fitted on the
 * run's train texts, encoder.safetensors, or fitted again on them where a folder of an older
 * prle lacks it; joined texts or pair features, normalisation) and maps them as
 * prle_run_folder_map does into `out` (n, prle_model_in_dim). `text2` is required for datasets
 * of pairs and ignored otherwise. PRLE_EINVAL for encoder_type npy (no texts to encode) or a
 * missing second text. Not thread-safe (the encoder is built on first use).
 */
PRLE_API int prle_run_folder_encode(prle_matrix *out, prle_run_folder *rf, const char *const *text,
                                    const char *const *text2, size_t n);

/** The retrieval rows (n, H) of prle_run_folder_encode, before the kernel: what
 *  prle_run_folder_map and prle_run_folder_neighbours take. Errors as it. */
PRLE_API int prle_run_folder_embed(prle_matrix *out, prle_run_folder *rf, const char *const *text,
                                   const char *const *text2, size_t n);

/** As prle_run_folder_embed, and counts into *n_texts the texts encoded (2 a row for pair
 *  features, else 1) and into *n_empty those the encoder found no known token in (zero
 *  vectors, as prle embed reports them); either may be NULL. */
PRLE_API int prle_run_folder_embed_counted(prle_matrix *out, size_t *n_texts, size_t *n_empty,
                                           prle_run_folder *rf, const char *const *text,
                                           const char *const *text2, size_t n);

/** How many training rows the run's neighbour term averages (0: the run kept none). */
PRLE_API size_t prle_run_folder_neighbour_k(const prle_run_folder *rf);

/**
 * rows (n, k) = the run's training rows whose labels the neighbour term averages for each
 * retrieval row of x (n, H), nearest first, and `labels` (n, k; may be NULL) those labels
 * (from neighbours.safetensors: a folder without its data has them too). PRLE_EINVAL when the
 * run kept no term, PRLE_ESHAPE, PRLE_ENOMEM.
 */
PRLE_API int prle_run_folder_neighbours(size_t *rows, float *labels, const prle_run_folder *rf,
                                        const prle_matrix *x);

/** The same for every row of a split, as the run found them (neighbours.safetensors keeps
 *  those of validation and test): rows and labels (n_split, k). PRLE_ENOTFOUND for another
 *  split or without the term. */
PRLE_API int prle_run_folder_split_neighbours(size_t *rows, float *labels,
                                              const prle_run_folder *rf, prle_split split);

/** Rows read for prediction (prle predict --input). Dispose with prle_run_input_dispose. */
typedef struct prle_run_input {
    size_t n;
    char **text;     /**< n texts */
    char **text2;    /**< n second texts (datasets of pairs), else NULL */
    float *label;    /**< n labels, NaN where unknown */
    bool has_labels; /**< the file has a label column */
} prle_run_input;

/**
 * Reads `path` for prediction with the run `rf`. First as a table with a header (CSV; TSV
 * for *.tsv, JSON Lines for *.jsonl): a column `text` or `sentence1`, for datasets of pairs
 * also `text2` or `sentence2`, and optionally `label` (empty cells: unknown). A file without
 * such a column is read as a file of the run's own dataset format (data.format, its text and
 * label fields; labels required). Texts and labels are checked as the dataset loader checks
 * them (a NUL character, a label that is not a decimal number or is beyond float range).
 * PRLE_ENOTFOUND, PRLE_EFORMAT naming file and line (and "no data rows" for a header alone),
 * PRLE_EINVAL (pairs needed), PRLE_ENOMEM.
 */
PRLE_API int prle_run_input_read(prle_run_input *out, const prle_run_folder *rf, const char *path);

/** Frees what `in` owns and zeroes it. */
PRLE_API void prle_run_input_dispose(prle_run_input *in);

/** The rows of an input file a chunk at a time (prle predict --input): memory follows the
 *  chunk, not the file. */
typedef struct prle_run_input_stream prle_run_input_stream;

/**
 * Opens `path` for prle_run_input_next: the files and rules of prle_run_input_read, and the
 * same rows and messages (lines of the file). A table with a text column is read in blocks
 * (JSON Lines: the keys of its first record decide whether it has one); a file in the run's
 * dataset format is read whole here and handed out in chunks.
 * PRLE_ENOTFOUND, PRLE_EIO, PRLE_EFORMAT naming file and line, PRLE_EINVAL, PRLE_ENOMEM.
 */
PRLE_API int prle_run_input_open(prle_run_input_stream **out, const prle_run_folder *rf,
                                 const char *path);

/** The next rows, at most `max_rows` (>= 1), into `out` (disposed first); out->n is 0 at the
 *  end. Errors of prle_run_input_read, found when their chunk is read; PRLE_EFORMAT "no data
 *  rows" for a file that has none (a header alone). */
PRLE_API int prle_run_input_next(prle_run_input *out, prle_run_input_stream *s, size_t max_rows);

/** Closes the file and frees the stream (NULL is fine). */
PRLE_API void prle_run_input_close(prle_run_input_stream *s);

/**
 * Re-scores the splits whose bit (1 << split) is set in `split_mask` that have labels and
 * at least 2 rows, from the saved model and value embeddings, into `out` (the label range
 * from the dataset). With `write`, predictions_{split}.csv are rewritten and the splits are
 * replaced in metrics.json (others kept). Gives the numbers the run wrote.
 */
PRLE_API int prle_run_eval(prle_run_metrics *out, const prle_run_folder *rf, unsigned split_mask,
                           bool write);

/* ---- split-conformal intervals (SPEC.md §6) ------------------------------------------------ */

/**
 * Calibrates split-conformal intervals (prle/conformal.h) on the validation split of the run:
 * scores r_i = |y_i - yhat_i| / s_i, with s_i = 1 (plain) or the row's entropy scale
 * (adaptive, prle_conformal_scales); the label range is the dataset's.
 * The guarantee (coverage >= level) holds for rows exchangeable with the validation rows; a
 * test split from other sources may fall short (prle_interval_stats_compute measures it).
 * PRLE_EINVAL for a level outside (0, 1) or fewer than 2 labelled validation rows.
 */
PRLE_API int prle_conformal_fit(prle_conformal *out, const prle_run_folder *rf, double level,
                                bool adaptive);

/* ---- explanations ----------------------------------------------------------------------- */

/** One explained prediction (SPEC.md §6). Dispose with prle_explained_dispose. */
typedef struct prle_explained {
    float prediction;         /**< yhat, raw scale */
    prle_explain_item *items; /**< the k prototypes with the largest weight W_p */
    size_t n_items;
    size_t rest_count;             /**< the other P - n_items prototypes */
    double rest_weight;            /**< their summed weight */
    float rest_contribution;       /**< their summed contribution: sum(items) + rest = prediction */
    double neighbour_weight;       /**< lambda of the neighbour term, 0 without one: every local
                                        prediction is (1 - lambda) E_p + lambda times ... */
    float neighbour_prediction;    /**< ... the nearest training rows' prediction (the row's last
                                        column; NaN without the term) */
    const size_t *neighbour_rows;  /**< those training rows, nearest first (borrowed; NULL when
                                        not looked up: prle_run_folder_neighbours) */
    const float *neighbour_labels; /**< their labels (borrowed, with neighbour_rows) */
    size_t n_neighbour_rows;
} prle_explained;

/** Fills e's neighbour fields for row `z` (prle_model_in_dim floats) of model m. */
PRLE_API void prle_explained_neighbours(prle_explained *e, const prle_model *m, const float *z);

/** Explains row `z` (prle_model_in_dim floats) with `k` prototypes (all of them when
 *  k >= P). */
PRLE_API int prle_explain_row(prle_explained *out, const prle_model *m, const float *z, size_t k);

/** Frees the items and zeroes `e`. */
PRLE_API void prle_explained_dispose(prle_explained *e);

/** The input an explanation is about, for its JSON object. */
typedef struct prle_explain_input {
    size_t index;      /**< row of its split; SIZE_MAX: not from a split (no "index" key) */
    const char *text;  /**< may be NULL */
    const char *text2; /**< may be NULL (single-text datasets) */
    float label;       /**< NaN: unknown (no "label" key) */
    float prediction;  /**< written when there is no explanation (`e` NULL) */
    bool has_interval; /**< write "lo" and "hi" after the prediction */
    float lo, hi;
} prle_explain_input;

/**
 * One row object of explanations_test.json / prle predict --format json: index, text,
 * text2, label, prediction, prototypes [{index, slot, text, text2, label, weight,
 * local_prediction, contribution}], rest {count, weight, contribution}; prototype texts and
 * labels come from the train split of `ds`. `e` NULL gives the row with `in->prediction`
 * and without prototypes and rest. One line (JSON Lines) unless `pretty`; no final newline. `*out`
 * malloc'd (free()).
 */
PRLE_API int prle_explain_json(char **out, const prle_explained *e, const prle_explain_input *in,
                               const prle_dataset *ds, bool pretty);

/**
 * Chooses `k` rows of `y` (n labels) spread evenly over the sorted labels: sorting by
 * (label, index), the rows at positions floor((2i + 1) n / 2k), i = 0..k-1, into `rows` in
 * that order. Returns the number chosen (min(k, n)).
 */
PRLE_API size_t prle_explain_pick(size_t *rows, const float *y, size_t n, size_t k);

PRLE_END_DECL

#endif
