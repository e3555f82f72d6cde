/* PRLE: the run configuration (SPEC.md §10): defaults, YAML loading, dotted overrides, saving. */
#ifndef PRLE_CONFIG_H
#define PRLE_CONFIG_H

#include <stdio.h>

#include "prle/common.h"

PRLE_BEGIN_DECL

/*
 * Conventions of every section below (docs/config.md lists each key, its default and origin):
 *
 * - Strings are owned by the config (malloc'd); NULL is YAML `null` ("unset").
 * - Keys with a fixed set of values ("enums") are strings holding the canonical spelling,
 *   checked against the allowed values when loaded (case-insensitive; a few of the original's
 *   aliases, such as `kmeans++` or `farthest_first`, are mapped to the canonical name).
 * - Path-valued keys: after prle_config_load*() and prle_config_override() every path is
 *   absolute; relative paths in a file are taken from the file's folder, relative defaults
 *   and relative override values from the current directory. No `~` expansion.
 * - PRLE_CONFIG_UNSET (-1) marks an unset tri-state boolean (YAML `null`): the preset or the
 *   file format decides.
 */
#define PRLE_CONFIG_UNSET (-1)

/** A list of owned strings. */
typedef struct prle_string_list {
    char **items;
    size_t n;
} prle_string_list;

/** A list of doubles. */
typedef struct prle_double_list {
    double *items;
    size_t n;
} prle_double_list;

/** A list of 64-bit unsigned integers. */
typedef struct prle_u64_list {
    uint64_t *items;
    size_t n;
} prle_u64_list;

/**
 * A column of a data file: a name (files with a header) or a 0-based number. In YAML a plain
 * number (`3`) is a column number and a quoted one (`"3"`) a name. Unset: name NULL, index -1.
 */
typedef struct prle_field {
    char *name;    /**< column name, or NULL when `index` is used */
    int64_t index; /**< 0-based column number when name is NULL (-1 = unset); ignored otherwise */
} prle_field;

/** A list of columns. */
typedef struct prle_field_list {
    prle_field *items;
    size_t n;
} prle_field_list;

/** data.files: one file per split (NULL = none). */
typedef struct prle_data_files {
    char *train;
    char *validation;
    char *test;
} prle_data_files;

/** data.split: how one `data.file` is cut into train / validation / test. */
typedef struct prle_data_split {
    prle_double_list ratios; /**< 3 values in [0, 1] summing to 1 (train, validation, test) */
    bool stratify;           /**< keep the label distribution alike across splits */
} prle_data_split;

/** Stage 0: the dataset and how texts are built (`data.*`). */
typedef struct prle_data_config {
    char *name;                    /**< a preset (stsb, ruddit, mlqe-<pair>) or free text */
    char *data_dir;                /**< presets' data folder (path); NULL = PRLE_DATA_DIR, else
                                        the user cache (include/prle/dataset.h) */
    char *format;                  /**< csv | tsv | jsonl; NULL = preset or file extension */
    int header;                    /**< first row names the columns: 1, 0 or PRLE_CONFIG_UNSET */
    int quoting;                   /**< honour "..." quoting (RFC 4180): 1, 0 or unset */
    char *delimiter;               /**< one character; NULL = from the format */
    prle_data_files files;         /**< split files (paths) */
    char *file;                    /**< one file split by the program (path), or NULL */
    prle_data_split split;         /**< how `file` is split */
    prle_field_list text_fields;   /**< text column(s); empty = preset */
    prle_field label_field;        /**< label column; unset = preset */
    double label_min;              /**< lower end of the label range; NaN = preset */
    double label_max;              /**< upper end of the label range; NaN = preset */
    char *on_bad_row;              /**< error | skip */
    int max_seq_length;            /**< tokens kept per text (original key) */
    char *combine_separator_token; /**< joins a pair when combine_fields is true */
    char *embedding_cache_dir;     /**< {dir}/{split}_embeds.npy (path) */
    bool combine_fields;           /**< true: one text per pair; false: pair features */
} prle_data_config;

/** Arguments of a projection head (`kernel.projection_kwargs`, `model.projection_kwargs`). */
typedef struct prle_projection_kwargs {
    int hidden_dim;     /**< 0 = the head's default (mlp: max(in, out); resmlp: out) */
    int num_layers;     /**< Linear layers of mlp / resmlp */
    char *activation;   /**< relu | gelu; NULL = the head's default (mlp: gelu, resmlp: relu) */
    double dropout;     /**< resmlp dropout in [0, 1) */
    double sigma;       /**< rff length scale: W ~ N(0, 1/sigma^2) */
    bool learnable_rff; /**< rff: train W and b too */
} prle_projection_kwargs;

/** Stage 0 encoders and stage 2 prototypes, router and experts (`model.*`). */
typedef struct prle_model_config {
    char *type;            /**< experts: linear | mlp | proto_rbf */
    char *encoder_type;    /**< glove | hashing | npy | gguf */
    char *encoder_name;    /**< the encoder's name (free text, recorded in manifests) */
    int hidden_dim;        /**< retrieval width H (hashing: output width) */
    int num_prototypes;    /**< P */
    char *distance;        /**< cosine | euclidean */
    char *init_strategy;   /**< k-medoids | k-means++ | farthest-first | random_real */
    char *map_strategy;    /**< none | projection */
    int proj_dim;          /**< original's model projection width; 0 = H */
    char *projection_type; /**< original's model projection: linear | mlp | resmlp | rff */
    prle_projection_kwargs projection_kwargs; /**< its arguments */
    char *gating_strategy;                    /**< softmax | knn | radius | mlp_sparse */
    int knn_k;                                /**< knn router: prototypes kept */
    double radius_threshold;                  /**< radius router: distance cut-off */
    int activation_mlp_hidden_dim;            /**< mlp_sparse router: hidden width */
    char *expert_init_strategy;               /**< random | meta_linear_regression | meta_svr */
    int expert_mlp_hidden_dim;                /**< mlp experts: hidden width */
    char *monitor;                            /**< early-stopping metric: val_mse, val_loss, ... */
    char *mode;                               /**< min | max for `monitor` */
    char *output_dir;          /**< the original's output folder (path; unused by prle) */
    char *cache_dir;           /**< the original's encoder download cache (path) */
    char *vectors;             /**< word vectors (path); NULL = the default GloVe cache */
    char *pooling;             /**< glove: mean | sif; gguf: mean | last | cls */
    double sif_a;              /**< SIF weight a/(a + p(w)) */
    int remove_pc;             /**< SIF: principal components removed (0 or 1) */
    double tau_min;            /**< softmax router: lower clip of tau */
    double tau_max;            /**< softmax router: upper clip of tau */
    double tau_init;           /**< softmax router: initial tau */
    double tau_anneal;         /**< factor applied to tau each epoch; 1 = off, > 1 sharpens */
    double tau_top1;           /**< tau_init 0: the training rows' mean largest weight (new) */
    char *model_path;          /**< gguf: the model file (path) */
    bool trainable_prototypes; /**< prototypes move during training */
    bool use_value_space;      /**< experts and router work in value space */
    bool recalibrate;          /**< a + b y fitted on validation, folded into the model (new) */
    bool neighbours;           /**< the neighbour term, kept where validation gains (new) */
    bool use_v2_loss;          /**< v2 loss (loss.lambda_task_main ...) instead of v1 */
    bool normalize_embeddings; /**< L2-normalise encoder outputs (original: sentence enc.) */
    bool normalize;            /**< L2-normalise encoder outputs (original: mean-pool enc.) */
    bool skip_loading_encoder; /**< embeddings must already be cached */
} prle_model_config;

/** Stage 2 training and run-wide settings (`train.*`). */
typedef struct prle_train_config {
    int train_batch_size;           /**< B for kernel and experts */
    int eval_batch_size;            /**< 0 = train_batch_size */
    double learning_rate;           /**< stage-2 Adam learning rate */
    double weight_decay;            /**< stage-2 Adam weight decay */
    int max_epochs;                 /**< stage-2 epochs at most; 0 = from the data */
    int early_stop_patience;        /**< epochs without improvement before stopping */
    double min_delta;               /**< smallest change of `monitor` that counts */
    uint64_t seed;                  /**< seeds everything */
    prle_u64_list seeds;            /**< original's list of seeds (kept, not looped over) */
    char *float32_matmul_precision; /**< original GPU setting: high | medium | highest */
    char *output_dir;               /**< runs go to {output_dir}/{logging.run_name} (path) */
    int threads;                    /**< worker threads; 0 = all cores */
    bool em_alt_training;           /**< v1: alternate geometry / expert epochs */
    bool pretrain_smoke_test;       /**< evaluate once before training */
    bool refit;                     /**< fit again on train + validation with validation's
                                         choices frozen (new) */
} prle_train_config;

/** Stage 1: the metric-learning kernel (`kernel.*`). */
typedef struct prle_kernel_config {
    char *projection_type;                    /**< linear | mlp | resmlp | rff */
    int proj_dim;                             /**< value-space width D; 0 = H (rff: 256) */
    prle_projection_kwargs projection_kwargs; /**< the head's arguments */
    double learning_rate;                     /**< Adam learning rate */
    int max_epochs;                           /**< epochs at most; 0 = from the data */
    int patience;                             /**< early stopping on val pair loss (new) */
    double lambda_pair;                       /**< weight of the pair loss */
    double lambda_triplet;                    /**< weight of the triplet loss */
    double lambda_uniform;                    /**< weight of the uniformity loss */
    char *checkpoint_dir;                     /**< the original's kernel checkpoints (path) */
    char *keep;                               /**< best | last epoch kept */
    int center_inputs; /**< subtract the train mean before g (new): 1, 0 or unset (from the data) */
    int standardize_inputs; /**< standardise the columns before g (new): 1, 0 or unset (data) */
} prle_kernel_config;

/** Which stages run (`pipeline.*`). */
typedef struct prle_pipeline_config {
    prle_string_list stages; /**< kernel and/or experts, in order */
    bool reuse_kernel;       /**< reuse a finished kernel instead of retraining it */
} prle_pipeline_config;

/** Loss weights (`loss.*`): v1 terms per phase, then the v2 terms. */
typedef struct prle_loss_config {
    double lambda_task_geom;
    double lambda_metric_geom;
    double lambda_proto_self_geom;
    double lambda_local_geom;
    double lambda_consistency_geom;
    double lambda_task_expert;
    double lambda_metric_expert;
    double lambda_proto_self_expert;
    double lambda_local_expert;
    double lambda_consistency_expert;
    double lambda_task_main;    /**< v2: MSE of the mixture */
    double lambda_expert_fit;   /**< v2: responsibility-weighted expert MSE */
    double lambda_anchor_route; /**< v2: prototype rows routed to their own prototype */
    double lambda_balance;      /**< v2: load balance */
    double lambda_entropy;      /**< v2: routing entropy (negative smooths) */
} prle_loss_config;

/** Run naming (`logging.*`); the original's W&B keys are accepted and ignored. */
typedef struct prle_logging_config {
    char *run_name; /**< run folder name; NULL = the config file's name without .yaml */
} prle_logging_config;

/** A whole configuration. Zeroed or from prle_config_default(); free with prle_config_dispose. */
typedef struct prle_config {
    prle_data_config data;
    prle_model_config model;
    prle_train_config train;
    prle_kernel_config kernel;
    prle_pipeline_config pipeline;
    prle_loss_config loss;
    prle_logging_config logging;
    /** Notices for the user gathered while loading (e.g. "ignoring W&B key logging.X"),
     *  one line each; the library never prints them. Not part of the configuration. */
    char **notices;
    size_t n_notices;
} prle_config;

/**
 * Fills `out` with the defaults (SPEC.md §10, docs/config.md). `out` is overwritten, not
 * disposed. Relative default paths are relative to the current directory.
 * Returns 0 or PRLE_ENOMEM (then `out` is zeroed).
 */
PRLE_API int prle_config_default(prle_config *out);

/** Frees everything `cfg` owns and zeroes it; a zeroed config is left as it is. */
PRLE_API void prle_config_dispose(prle_config *cfg);

/**
 * Loads a YAML config file over the defaults. logging.run_name, when not given, becomes the
 * file's name without .yaml/.yml. An unknown key, a wrong type, a bad value, a duplicate key,
 * a scalar where a mapping belongs or a YAML syntax error is PRLE_EINVAL with the message
 * "PATH:LINE:COL: ..." naming the full dotted key; a missing file PRLE_ENOTFOUND, an
 * unreadable one PRLE_EIO. On failure `out` is zeroed. `out` is overwritten, not disposed.
 */
PRLE_API int prle_config_load(prle_config *out, const char *path);

/**
 * As prle_config_load, from `len` bytes of YAML text. `name` is used in messages (NULL:
 * "<string>"); relative paths are resolved against `base_dir` (NULL: the current directory).
 * logging.run_name is left as the text sets it.
 */
PRLE_API int prle_config_load_string(prle_config *out, const char *text, size_t len,
                                     const char *name, const char *base_dir);

/**
 * Applies one dotted override "KEY=VALUE" (Hydra / OmegaConf style), e.g. "train.seed=7",
 * "pipeline.stages=[kernel,experts]", "data.files={train: a.csv}". VALUE is read as a YAML
 * flow node (quote it for strings holding ": " or " #"); empty VALUE is null. Relative paths
 * are taken from the current directory. Overriding model.projection_* does not touch
 * kernel.projection_* (the fallback applies inside one file only). An unknown key or a bad
 * value is PRLE_EINVAL "override 'KEY=VALUE': ..."; `cfg` is then unchanged. A W&B key adds
 * a notice and changes nothing.
 */
PRLE_API int prle_config_override(prle_config *cfg, const char *assignment);

/**
 * Writes `cfg` as YAML to `fp`: every key, in a fixed order; relative paths are written as
 * absolute ones (from the current directory) so the text means the same anywhere. Loading
 * the text gives back an equal configuration. `fp` is not closed. PRLE_EINVAL if a string
 * is not valid UTF-8, PRLE_EIO if writing fails.
 */
PRLE_API int prle_config_write(const prle_config *cfg, FILE *fp);

/** prle_config_write to `path`, atomically (temporary file + rename). */
PRLE_API int prle_config_save(const prle_config *cfg, const char *path);

PRLE_END_DECL

#endif
