/* PRLE: Stage 2 routers: the weights W (n, P) that share each row among the prototypes
 * (SPEC.md §5). */
#ifndef PRLE_ROUTER_H
#define PRLE_ROUTER_H

#include "prle/common.h"
#include "prle/config.h"
#include "prle/matrix.h"

PRLE_BEGIN_DECL

/** Router kinds (`model.gating_strategy`). */
typedef enum prle_router_type {
    PRLE_ROUTER_SOFTMAX = 0,   /**< W = softmax(-tau d) over all prototypes, tau learnable */
    PRLE_ROUTER_KNN = 1,       /**< softmax(-d) over the knn_k nearest, 0 elsewhere */
    PRLE_ROUTER_RADIUS = 2,    /**< softmax(-d) over d <= radius_threshold; the nearest if none */
    PRLE_ROUTER_MLP_SPARSE = 3 /**< logit = MLP([z; u_p; |z - u_p|; d]), Gumbel noise in training */
} prle_router_type;

/** Distance d between a row z and a prototype u (`model.distance`). */
typedef enum prle_distance {
    PRLE_DIST_COSINE = 0,   /**< d = 1 - z.u / (|z| |u|) (a zero vector has cos 0) */
    PRLE_DIST_EUCLIDEAN = 1 /**< d = |z - u| */
} prle_distance;

/** Router settings. Start from prle_router_default_params(). */
typedef struct prle_router_params {
    prle_router_type type;   /**< default PRLE_ROUTER_SOFTMAX */
    prle_distance distance;  /**< default PRLE_DIST_COSINE */
    double tau_init;         /**< initial tau, clipped to [tau_min, tau_max]; 0 (default) = from
                                  the data: the model's fit sets the tau at which the training
                                  rows' mean largest weight is tau_top1 */
    double tau_min;          /**< > 0; default 0.5 */
    double tau_max;          /**< >= tau_min; default 1e4 */
    double tau_anneal;       /**< factor applied to tau per epoch, > 0; 1 = off; default 1 */
    size_t knn_k;            /**< knn: prototypes kept, >= 1 (P if larger); default 3 */
    double radius_threshold; /**< radius: distance cut-off, >= 0; default 0.5 */
    size_t gate_hidden;      /**< mlp_sparse hidden width (`model.activation_mlp_hidden_dim`), 64 */
    double gumbel_tau;       /**< mlp_sparse training noise temperature, > 0; default 1 */
    uint64_t seed;           /**< mlp_sparse gate init (`train.seed`); default 42 */
    int n_threads;           /**< threads of our own loops; 0 = prle_init's count */
    double tau_top1;         /**< tau_init 0: the mean largest weight aimed at, in (0, 1);
                                  default 0.7 (`model.tau_top1`, new) */
} prle_router_params;

/** The defaults listed above (those of docs/config.md). */
PRLE_API prle_router_params prle_router_default_params(void);

/**
 * Reads `model.gating_strategy`, `model.distance`, `model.tau_*`, `model.knn_k`,
 * `model.radius_threshold`, `model.activation_mlp_hidden_dim` (gate_hidden), `train.seed`
 * and `train.threads`. PRLE_EINVAL naming the key for an unknown
 * value; the values themselves are checked by prle_router_params_check.
 */
PRLE_API int prle_router_params_from_config(prle_router_params *out, const prle_config *cfg);

/** PRLE_EINVAL naming the first bad field (e.g. "router.tau_min must be > 0, got 0"). */
PRLE_API int prle_router_params_check(const prle_router_params *p);

/** "softmax", "knn", "radius", "mlp_sparse" ("?" otherwise); static. */
PRLE_API const char *prle_router_type_name(prle_router_type t);

/** A router: its params, a copy of the prototypes (P, D) and the current tau. */
typedef struct prle_router prle_router;

/**
 * A router over the rows of `protos` (P, D), which are copied. PRLE_EINVAL (params, no rows,
 * non-finite prototype), PRLE_ENOMEM. Free with prle_router_free.
 */
PRLE_API int prle_router_new(prle_router **out, const prle_matrix *protos,
                             const prle_router_params *p);

/** Frees the router; NULL does nothing. */
PRLE_API void prle_router_free(prle_router *r);

/** Number of prototypes P. */
PRLE_API size_t prle_router_n_prototypes(const prle_router *r);

/** Width D of the prototypes and of the rows routed. */
PRLE_API size_t prle_router_dim(const prle_router *r);

/** The current tau (always inside [tau_min, tau_max]). */
PRLE_API double prle_router_tau(const prle_router *r);

/** Sets tau, clipped to [tau_min, tau_max]; returns the value kept. */
PRLE_API double prle_router_set_tau(prle_router *r, double tau);

/** One epoch of annealing: tau = clip(tau * tau_anneal); returns the new tau. */
PRLE_API double prle_router_anneal(prle_router *r);

/** tau after `epochs` epochs of annealing from tau_init: clipped at each step. */
PRLE_API double prle_router_tau_schedule(const prle_router_params *p, int epochs);

/**
 * The softmax sharpness at which the mean over `n` rows of the largest weight of
 * softmax(-tau dist_i) is `top1` (in (1/P, 1)): `dist` (n, P) row-major, as
 * prle_router_forward returns it. Rows on a prototype (nearest distance at most 1e-4 of the
 * mean of `dist`: the prototype's own row, duplicates of it) are left out: their
 * largest weight nears 1 at a tau that leaves the others' spread. The mean largest weight grows
 * with tau from 1/P, so a bisection on log tau over [1e-3, 1e7] finds it (to 1e-4 relative); the
 * ends of that range when the target lies outside what it reaches. Deterministic, single-threaded.
 */
PRLE_API double prle_router_tau_for_top1(const float *dist, size_t n, size_t np, double top1);

/**
 * Routing weights of the rows of `z` (n, D) into `w_out` (n, P), each row summing to 1, and
 * the distances into `dist_out` (n, P; may be NULL), which prle_router_backward needs.
 * Ties in knn and radius go to the lower prototype index. PRLE_ESHAPE if z's width is not D.
 * Only reads `r`: concurrent calls are safe.
 */
PRLE_API int prle_router_forward(float *w_out, float *dist_out, const prle_router *r,
                                 const prle_matrix *z);

/**
 * Backward of prle_router_forward: given dL/dW `dw` (n, P) and the forward's `w` and `dist`,
 * adds dL/dz into `dz` (n, D; may be NULL) and dL/dtau into `*dtau` (may be NULL; softmax
 * only, otherwise 0 is added). knn and radius are differentiated with their selection held
 * fixed. A Euclidean distance of 0 contributes no gradient. PRLE_ESHAPE on a width mismatch.
 */
PRLE_API int prle_router_backward(float *dz, double *dtau, const prle_router *r,
                                  const prle_matrix *z, const float *dw, const float *w,
                                  const float *dist);

/** Number of learnable parameters besides tau (the mlp_sparse gate; 0 for the others). */
PRLE_API size_t prle_router_n_params(const prle_router *r);

/** The learnable parameters (prle_router_n_params floats, one flat buffer), or NULL. The
 *  tensor layout is the one prle_model_save names "router.gate.*", packed in this order:
 *  "router.gate.0.weight" (h, 3D+1), "router.gate.0.bias" (h), "router.gate.2.weight" (1, h),
 *  "router.gate.2.bias" (1), h = gate_hidden; the 3D+1 inputs are [z; u_p; |z - u_p|; d]
 *  (PyTorch's nn.Sequential(Linear, ReLU, Linear) names and shapes). Initialised like
 *  nn.Linear from `seed`. Writable: the caller's optimiser updates it in place. */
PRLE_API float *prle_router_param_data(prle_router *r);

/**
 * The training forward: as prle_router_forward, but mlp_sparse adds Gumbel noise (temperature
 * gumbel_tau) drawn from a generator seeded with `noise_seed`. Equal to prle_router_forward
 * for the other routers. Row i of `z` draws from the stream (noise_seed, "router.gumbel", i),
 * so the same seed and rows give the same bits for any thread count; pass a different
 * noise_seed for every training step.
 */
PRLE_API int prle_router_forward_train(float *w_out, float *dist_out, const prle_router *r,
                                       const prle_matrix *z, uint64_t noise_seed);

/**
 * Adds dL/d(params) into `dparams` (prle_router_n_params floats) given dL/dW `dw` and the
 * (training) forward's `w` and `dist`; does nothing for routers without parameters.
 * For mlp_sparse this and prle_router_backward differentiate the training forward
 * softmax((logit + g) / gumbel_tau) at its `w` (with gumbel_tau = 1, also the evaluation
 * forward at its `w`); both recompute the gate's hidden layer from `z`.
 */
PRLE_API int prle_router_backward_params(float *dparams, const prle_router *r, const prle_matrix *z,
                                         const float *dw, const float *w, const float *dist);

PRLE_END_DECL

#endif
