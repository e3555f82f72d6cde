/* PRLE: Stage 2, the model: prototypes + router + one expert per prototype, trained on the
 * value space, predicting y = sum_p W_p(z) E_p(z) with an explanation (SPEC.md §5, §6, §12). */
#ifndef PRLE_MODEL_H
#define PRLE_MODEL_H

#include "prle/common.h"
#include "prle/config.h"
#include "prle/matrix.h"
#include "prle/prototypes.h"
#include "prle/router.h"

PRLE_BEGIN_DECL

/** Expert kinds (`model.type`). */
typedef enum prle_expert_type {
    PRLE_EXPERT_LINEAR = 0,   /**< e_p(z) = w_p.z + c_p */
    PRLE_EXPERT_MLP = 1,      /**< Linear(D, h) -> ReLU -> Linear(h, 1), h = mlp_hidden */
    PRLE_EXPERT_PROTO_RBF = 2 /**< W = softmax(-tau |z - c_p|^2), y = W beta, beta closed form */
} prle_expert_type;

/** Expert initialisation (`model.expert_init_strategy`), run after the kernel (§12.2). The
 *  meta strategies apply to linear experts; mlp experts always start random (meta init is
 *  not defined for them). */
typedef enum prle_expert_init {
    PRLE_EXPERT_INIT_RANDOM = 0,      /**< PyTorch nn.Linear default init */
    PRLE_EXPERT_INIT_META_LINEAR = 1, /**< one ridge fit on value-space train, copied to all */
    PRLE_EXPERT_INIT_META_SVR = 2,    /**< one linear SVR on value-space train, copied to all */
    /** One ridge on value-space train whose alpha the validation rows choose (1 without
     *  them), copied to all: the closed-form warm start that training then specialises. */
    PRLE_EXPERT_INIT_RIDGE = 3
} prle_expert_init;

/** The stage-2 loss weights (`loss.*`); v1 uses the mean of geom and expert phases unless
 *  em_alt_training alternates them: odd epochs are expert phases, even ones geometry phases
 *  (the original flips before its first epoch). As in the original, a geometry phase freezes
 *  experts and router; with the kernel frozen and the prototypes fixed nothing trains in it.
 *  The v1 metric term has no gradient here (it acts on the frozen kernel): it is computed on
 *  the batch's value rows and raw labels for the log only. */
typedef struct prle_loss_weights {
    bool use_v2;         /**< `model.use_v2_loss`, default true */
    double task_main;    /**< v2 L_task, default 1 */
    double expert_fit;   /**< v2 L_fit, default 0.5 */
    double anchor_route; /**< v2 L_anchor, default 0.5 */
    double balance;      /**< v2 L_bal, default 0.1 */
    double entropy;      /**< v2 L_ent, default 0 */
    /* v1, [0] geometry phase, [1] expert phase */
    double task[2], metric[2], proto_self[2], local[2], consistency[2];
    bool em_alt_training; /**< `train.em_alt_training`: alternate the two phases by epoch */
} prle_loss_weights;

/** What one stage-2 epoch did. Loss terms are means over the epoch's batches (unweighted),
 *  on the standardised label scale; `task` is set under v1 and v2. proto_rbf reports one
 *  record (epoch 1) with NaN losses and its validation MSE and tau. */
typedef struct prle_model_epoch {
    int epoch;                                     /**< 1-based */
    double loss;                                   /**< lambda-weighted total */
    double task, fit, anchor, balance, entropy;    /**< v2 terms (NaN under v1) */
    double metric, proto_self, local, consistency; /**< v1 terms (NaN under v2) */
    double val_mse;     /**< validation MSE on the standardised scale (NaN without validation) */
    double val_mse_raw; /**< validation MSE on the raw label scale */
    double tau;         /**< the router's tau after the epoch (NaN when it has none) */
    double seconds;
    bool improved; /**< this epoch became the best one kept (val_mse < best - min_delta;
                        every epoch without validation rows) */
} prle_model_epoch;

/** Called after every epoch; return false to stop (PRLE_EABORTED). */
typedef bool (*prle_model_epoch_fn)(const prle_model_epoch *epoch, void *user_data);

/** Everything a stage-2 fit needs. Start from prle_model_default_params(). */
typedef struct prle_model_params {
    prle_proto_params protos;  /**< prototype selection (value space, train rows) */
    prle_router_params router; /**< the router */
    prle_expert_type type;     /**< default PRLE_EXPERT_LINEAR */
    prle_expert_init init;     /**< default PRLE_EXPERT_INIT_RIDGE */
    size_t mlp_hidden;         /**< `model.expert_mlp_hidden_dim`, default 32 */
    prle_loss_weights loss;
    double learning_rate;        /**< `train.learning_rate`, default 1e-3 (labels are
                                      standardised and z unit-length, so one rate fits every
                                      data set); tau and the mlp_sparse gate train with the
                                      experts in one Adam */
    double weight_decay;         /**< `train.weight_decay` (Adam L2, as torch.optim.Adam), 5e-7 */
    int max_epochs;              /**< epochs at most; 0 (default) = from the data: enough for
                                      20,000 steps, within [20, 1000]; early stopping on
                                      validation usually ends the fit first */
    int patience;                /**< `train.early_stop_patience`, default 10; 0 = never stop */
    double min_delta;            /**< an improvement must exceed this, default 0 (it decides the
                                      epoch kept too) */
    size_t batch_size;           /**< `train.train_batch_size`, default 64 */
    bool recalibrate;            /**< `model.recalibrate`, default true: after training, the
                                      least-squares line of the validation labels on the
                                      validation predictions, y' = a + b y, is folded into the
                                      output scale when b > 0 and there are 20 validation rows
                                      or more (every local prediction becomes a + b f_p, so
                                      explanations still sum to the prediction) */
    bool neighbours;             /**< `model.neighbours`, default true: the callers that hold
                                      the retrieval rows (prle_run, prle_predictor_fit) add
                                      the neighbour term where it lowers the validation MSE
                                      by 1 % or more (prle_model_set_neighbour_weight);
                                      prle_model_fit itself does not read it */
    double label_min, label_max; /**< the dataset's range (for the 0-1 scale; recorded in the
                                      model file); NaN = unknown, the default */
    uint64_t seed;               /**< `train.seed` */
    int n_threads;               /**< 0 = prle_init's count */
    prle_progress_fn progress;   /**< stage "experts", done = epochs; may be NULL */
    void *progress_ud;
    prle_model_epoch_fn on_epoch; /**< may be NULL */
    void *on_epoch_ud;
} prle_model_params;

/** The defaults listed above. */
PRLE_API prle_model_params prle_model_default_params(void);

/**
 * Reads model.type, model.expert_init_strategy, model.expert_mlp_hidden_dim,
 * model.use_v2_loss, loss.*, train.learning_rate, train.weight_decay, train.max_epochs,
 * train.early_stop_patience, train.min_delta, train.train_batch_size, train.seed,
 * train.threads, train.em_alt_training, data.label_min/label_max (NaN for a preset: set them
 * from the dataset), and the prototype and router keys (prle_proto_params_from_config,
 * prle_router_params_from_config). PRLE_EINVAL naming the key, also for what stage 2 does
 * not do: model.monitor other than val_mse, model.mode other than min,
 * model.trainable_prototypes true.
 */
PRLE_API int prle_model_params_from_config(prle_model_params *out, const prle_config *cfg);

/** PRLE_EINVAL naming the first bad field. */
PRLE_API int prle_model_params_check(const prle_model_params *p);

/** "linear", "mlp", "proto_rbf" ("?" otherwise); static. */
PRLE_API const char *prle_expert_type_name(prle_expert_type t);

/** "random", "meta_linear_regression", "meta_svr" ("?" otherwise); static. */
PRLE_API const char *prle_expert_init_name(prle_expert_init i);

/** A trained model. */
typedef struct prle_model prle_model;

/**
 * Chooses the prototypes among the rows of `ztr` (n, D; value space, L2-normalised), then
 * trains the router and experts on standardised labels (mean and population sd of `ytr`, sd
 * 1 if they are constant, §12.11) with early stopping on the validation rows `zva`/`yva`
 * (`zva` NULL or without rows: no early stopping, the last epoch is kept).
 *
 * Training: experts start as PyTorch's nn.Linear default (stream (seed, "experts.init")) or
 * from the meta-init; every epoch tau is annealed first (prle_router_anneal), then
 * the rows are shuffled (stream (seed, "model.shuffle", epoch - 1)) into batches of
 * batch_size (the last one smaller), each one Adam step (L2 weight decay, as
 * torch.optim.Adam) on [experts | tau (softmax) | gate (mlp_sparse)], tau clipped to
 * [tau_min, tau_max] after each step; then the validation MSE. mlp_sparse's training noise
 * comes from (seed, "model.gumbel", step). proto_rbf trains nothing: its closed form picks
 * tau on the validation rows.
 *
 * Same data, params and seed give byte-identical models for any thread count.
 * PRLE_EINVAL (params, shapes, a non-finite value naming its split and row), PRLE_ESHAPE
 * (validation width), PRLE_ENOMEM, PRLE_EABORTED (callbacks). Other errors of the prototype
 * selection and meta-init pass through.
 */
PRLE_API int prle_model_fit(prle_model **out, const prle_matrix *ztr, const float *ytr,
                            const prle_matrix *zva, const float *yva, const prle_model_params *p);

/** Frees the model; NULL does nothing. */
PRLE_API void prle_model_free(prle_model *m);

/** P, D, the expert type and the router (NULL for proto_rbf, whose weights come from the RBF:
 *  see prle_model_tau). */
PRLE_API size_t prle_model_n_prototypes(const prle_model *m);
PRLE_API size_t prle_model_dim(const prle_model *m);
PRLE_API prle_expert_type prle_model_expert_type(const prle_model *m);
PRLE_API const prle_router *prle_model_router(const prle_model *m);

/** The training-row index of each prototype (P entries, owned by the model). */
PRLE_API const size_t *prle_model_prototype_rows(const prle_model *m);

/** The prototypes' value-space rows (P, D), owned by the model. */
PRLE_API const float *prle_model_prototypes(const prle_model *m);

/** The routing temperature: the softmax router's tau, proto_rbf's tau (of
 *  W = softmax(-tau |z - c_p|^2)), NaN for the other routers. */
PRLE_API double prle_model_tau(const prle_model *m);

/**
 * Linear experts on the raw label scale, e_p(z) = w_p.z + c_p: `w_out` (P, D) and `c_out` (P),
 * either may be NULL. PRLE_EINVAL for other expert types.
 */
PRLE_API int prle_model_linear_weights(float *w_out, float *c_out, const prle_model *m);

/** The epoch whose weights were kept (1-based; 1 for proto_rbf). */
PRLE_API int prle_model_kept_epoch(const prle_model *m);

/** The recalibration folded into the model (prle_model_params.recalibrate): the prediction
 *  is a + b times the trained model's; 0 and 1 when none was applied. */
PRLE_API void prle_model_recalibration(double *a, double *b, const prle_model *m);

/**
 * The neighbour term (docs/run-folder.md, "The prediction"): with a weight lambda > 0 the
 * model's input rows are D + 1 wide, the last column the mean label (raw scale) of the row's
 * nearest training rows, which the router and experts do not see; each local prediction
 * becomes (1 - lambda) E_p + lambda times that column, so the prediction is
 * (1 - lambda) sum_p W_p E_p + lambda times the column. prle_run and prle_predictor_fit choose
 * lambda on validation and supply the column (src/prle/neighbours.c). lambda 0 (the default)
 * leaves the rows D wide. PRLE_EINVAL for lambda outside [0, 1].
 */
PRLE_API int prle_model_set_neighbour_weight(prle_model *m, double lambda);
PRLE_API double prle_model_neighbour_weight(const prle_model *m);

/** The width of the rows prle_model_predict and prle_model_explain take: D, or D + 1 with a
 *  neighbour term. */
PRLE_API size_t prle_model_in_dim(const prle_model *m);

/** The params the model was trained with (callbacks NULL); for a loaded model those of its
 *  metadata (n_threads 0). Borrowed. */
PRLE_API const prle_model_params *prle_model_get_params(const prle_model *m);

/** Label mean and sd of the training rows (the standardisation of §12.11). */
PRLE_API void prle_model_label_stats(const prle_model *m, double *mean, double *sd);

/**
 * Predictions on the raw label scale for the rows of `z` (n, prle_model_in_dim) into `yhat` (n).
 * `w_out` (n, P) gets the routing weights and `e_out` (n, P) the local predictions on the raw scale
 * (either may be NULL), so that yhat_i = sum_p w_ip e_ip. PRLE_ESHAPE on a width mismatch,
 * PRLE_EINVAL naming the first row with a non-finite value. Rows go in fixed blocks of 256 over the
 * model's n_threads (results do not depend on the thread count). Concurrent calls are safe.
 */
PRLE_API int prle_model_predict(float *yhat, float *w_out, float *e_out, const prle_model *m,
                                const prle_matrix *z);

/** One prototype's share of one prediction. */
typedef struct prle_explain_item {
    size_t prototype;   /**< slot 0..P-1 */
    size_t train_row;   /**< its training-row index */
    float weight;       /**< W_p */
    float local;        /**< E_p on the raw scale */
    float contribution; /**< W_p E_p */
} prle_explain_item;

/**
 * Explains row `z` (prle_model_in_dim floats): the k prototypes with the largest weight W_p (ties
 * to the lower slot), in that order, into `items` (min(k, P) entries); `*rest` gets the sum of the
 * other contributions and `*yhat` the prediction, so sum(contribution) + rest = yhat (to float
 * rounding). Returns the number of items written; 0 with
 * `*rest` and `*yhat` NaN and the error set (PRLE_EINVAL for a non-finite value in `z`,
 * PRLE_ENOMEM) when it fails. Single-threaded; concurrent calls are safe.
 */
PRLE_API size_t prle_model_explain(prle_explain_item *items, float *rest, float *yhat,
                                   const prle_model *m, const float *z, size_t k);

/**
 * prle_model_explain for the n rows of z (n, prle_model_in_dim) at once, from one batched forward
 * (as prle_model_predict, whose predictions `yhat` (n) are): row i's min(k, P) items at items[i *
 * min(k, P)], its rest's contribution at rest[i] and, when `rest_weight` is not NULL, the rest's
 * summed weight (0 when every prototype is listed). PRLE_EINVAL for k = 0 or a non-finite value,
 * PRLE_ESHAPE, PRLE_ENOMEM.
 */
PRLE_API int prle_model_explain_rows(prle_explain_item *items, float *rest, float *rest_weight,
                                     float *yhat, const prle_model *m, const prle_matrix *z,
                                     size_t k);

/**
 * Writes the model as safetensors (atomically: temporary name, then rename). Tensor names:
 * "prototypes" (P, D) f32, "prototype_rows" (P) i64, "router.tau" (1) f32 and for mlp_sparse
 * "router.gate.{0,2}.{weight,bias}", experts "experts.weight" (P, D) / "experts.bias" (P)
 * (linear), "experts.{0,2}.{weight,bias}" per prototype stacked (mlp), "rbf.beta" (P) and
 * "rbf.tau" (proto_rbf); "label_mean", "label_sd" (1) f32. The metadata holds
 * "format": "prle-model", "version": "1", the expert, router ("rbf" for proto_rbf) and
 * distance names, every param as text, "kept_epoch", "recal_intercept" and "recal_slope"
 * (the recalibration, already folded into the label scale; files without them load as 0 and
 * 1), and the exact doubles "label_mean", "label_sd" and "tau" (the f32 tensors are their
 * copies), so a loaded model predicts the same bits. Tensors and metadata depend on nothing but the
 * model: the same fit gives the same bytes. PRLE_EIO / PRLE_ENOTFOUND naming the path, PRLE_ENOMEM.
 */
PRLE_API int prle_model_save(const prle_model *m, const char *path);

/**
 * Reads a model written by prle_model_save. PRLE_EFORMAT (with the path) for a truncated or
 * foreign file, another format version, missing or bad metadata, missing, misshapen or extra
 * tensors, non-finite values; PRLE_ENOTFOUND / PRLE_EIO when the file cannot be read.
 */
PRLE_API int prle_model_load(prle_model **out, const char *path);

PRLE_END_DECL

#endif
