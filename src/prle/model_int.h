/* The prle_model handle and the stage-2 trainer, shared by fit.c, trainer.c, predict.c,
 * model_io.c and model_params.c. */
#ifndef PRLE_PRLE_MODEL_INT_H
#define PRLE_PRLE_MODEL_INT_H

#include "nn/param_buf.h"
#include "prle/experts.h"
#include "prle/mix_loss.h"
#include "prle/model.h"
#include "prle/safetensors.h"

/* Validation rows the recalibration needs (fit.c). */
#define PRLE__RECAL_MIN_ROWS 20

/* Ridge lambda of the proto_rbf closed form (prle__rbf_fit), standardised labels. */
#define PRLE__RBF_LAMBDA 1e-2

struct prle_model {
    prle_model_params params; /* callbacks cleared */
    size_t np, d;
    float *protos;           /* (P, D) value-space rows of the prototypes */
    size_t *proto_rows;      /* (P) their training-row indices */
    prle_router *router;     /* NULL for proto_rbf */
    prle__experts ex;        /* linear and mlp */
    float *ex_params;        /* (ex.n_params) on the standardised label scale */
    float *rbf_beta;         /* proto_rbf: (P) on the standardised scale */
    double rbf_tau;          /* proto_rbf */
    double y_mean, y_sd;     /* the output scale: label standardisation (SPEC.md §12.11), with the
                                recalibration folded in */
    double recal_a, recal_b; /* the recalibration y' = a + b y applied (0, 1: none) */
    int kept_epoch;          /* 1-based; 0 if unknown */
    double expert_alpha;     /* the linear experts' ridge warm start's alpha (0: none, or a
                                loaded model: not in the file) */
    double nb_weight;        /* lambda of the neighbour column (prle_model_set_neighbour_weight);
                                0: the rows are D wide */
};

/** A model for `p` with P prototypes of width D: the prototypes, rows and expert buffers
 *  allocated (zeroed), no router. PRLE_EINVAL, PRLE_ENOMEM. */
int prle__model_alloc(prle_model **out, const prle_model_params *p, size_t np, size_t d);

/** The safetensors writer prle_model_save saves (tensors and metadata); free it. */
int prle__model_writer(prle_st_writer **out, const prle_model *m);

/** prle_model_load from an open safetensors file (`path` names it in messages). */
int prle__model_load_st(prle_model **out, const prle_st_file *f, const char *path);

/** m->router from m->protos and m->params.router, single-threaded (its callers split the
 *  rows). Errors of prle_router_new. */
int prle__model_make_router(prle_model *m);

/**
 * Rows of z (n, D) to standardised predictions `yhat` (n), weights `w` (n, P) and standardised
 * local predictions `e` (n, P) (any of the three may be NULL), `params` the expert parameters
 * to use (NULL: the model's). PRLE_ENOMEM.
 */
int prle__model_forward(float *yhat, float *w, float *e, const prle_model *m, const float *params,
                        const float *z, size_t n, int nt);

/**
 * The rows of z (n, prle_model_in_dim: with a neighbour term each row's last column is the
 * neighbours' prediction, folded into e and yhat) in fixed blocks of 256 spread over `nt`
 * threads (each block one single-threaded prle__model_forward, OpenBLAS held at one thread):
 * `raw` gives raw-scale yhat and e (prle_model_predict), otherwise standardised ones. w, e may
 * be NULL. PRLE_ENOMEM.
 */
int prle__model_predict_blocks(float *yhat, float *w, float *e, const prle_model *m,
                               const float *params, const float *z, size_t n, bool raw, int nt);

/** Test hooks for prle__model_fit (NULL fields: the normal behaviour). */
typedef struct prle__fit_opts {
    const size_t *proto_rows;  /* (P) prototypes instead of prle_prototypes_select */
    const float *init_experts; /* (ex.n_params) initial expert parameters */
    const size_t *perm;        /* (n) the row order of every epoch instead of a shuffle */
    /* a refit's choices, frozen from a fit that had validation rows (0: none) */
    double expert_alpha; /* the ridge warm start's alpha, validation unused */
    double recal_slope;  /* b > 0: the output spread times b about the training labels' mean,
                            in place of the recalibration on validation */
} prle__fit_opts;

/** The choices a refit takes from `first`, fitted on n_first rows with n_held held out: the
 *  experts' warm-start alpha, and the recalibration's slope where n_first >= n_held (one
 *  fitted on fewer rows says how to stretch that model, not one fitted on all: val_fraction
 *  0.9 on 30 rows gave b 6.1 and took the refit's test R^2 from 0.18 to -21). */
prle__fit_opts prle__refit_opts(const prle_model *first, size_t n_first, size_t n_held);

/** prle_model_fit with test hooks; `o` may be NULL. */
int prle__model_fit(prle_model **out, const prle_matrix *ztr, const float *ytr,
                    const prle_matrix *zva, const float *yva, const prle_model_params *p,
                    const prle__fit_opts *o);

/**
 * The trainer: one flat buffer [experts | tau (softmax) | gate (mlp_sparse)], all trainable,
 * and the scratch of one batch of at most `cap` rows.
 */
typedef struct prle__trainer {
    prle_model *m;           /* borrowed; its router is updated by prle__trainer_sync */
    prle__param_buf pb;      /* params, grads, Adam moments */
    size_t off_tau;          /* SIZE_MAX when tau is not learnable */
    size_t off_gate, n_gate; /* n_gate = 0 without gate parameters */
    const prle_matrix *z;    /* training rows (N, D), borrowed */
    const float *y;          /* (N) standardised labels, borrowed */
    const ptrdiff_t *anchor; /* (N) prototype slot of each row or -1, borrowed */
    const float *a;          /* (P) the prototypes' standardised labels, borrowed */
    size_t cap;
    int nt;
    float *zb, *yb, *yraw, *w, *dist, *e, *dw, *de, *act, *work, *sqdist;
    float *e_pp, *de_pp, *act_pp, *work_pp; /* v1 proto_self: experts on the prototypes */
    ptrdiff_t *ab;
    double *uwork;
} prle__trainer;

/**
 * Sets up `t` for model `m` (router and expert layout in place, expert parameters in
 * m->ex_params copied into the buffer, tau and gate taken from the router). PRLE_ENOMEM.
 */
int prle__trainer_init(prle__trainer *t, prle_model *m, const prle_matrix *z, const float *y,
                       const ptrdiff_t *anchor, const float *a, size_t cap, int nt);

/** Frees what prle__trainer_init allocated; a zeroed trainer is left as it is. */
void prle__trainer_dispose(prle__trainer *t);

/** Buffer to model: tau clipped into the router (and written back), gate copied, experts
 *  copied to m->ex_params. */
void prle__trainer_sync(prle__trainer *t);

/**
 * One batch (rows `rows[0..nb)` of the training set, nb <= cap): syncs the router from the
 * buffer, runs the training forward (mlp_sparse noise from `noise_seed`), the loss with the
 * weights `c` into `terms`, and when `backward`, zeroes and fills pb.grads. Labels of the
 * v1 metric term are mapped back to the raw scale with m->y_mean, m->y_sd.
 */
int prle__trainer_step(prle__trainer *t, prle__mix_terms *terms, const size_t *rows, size_t nb,
                       const prle__mix_coef *c, uint64_t noise_seed, bool backward);

#endif
