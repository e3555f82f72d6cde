/* Projection heads g: R^H -> R^D over one flat parameter buffer, with hand-written backward
 * (SPEC.md §4, STYLE.md §8). z = n(g(x)) is computed here too. */
#ifndef PRLE_KERNEL_HEADS_H
#define PRLE_KERNEL_HEADS_H

#include <stdbool.h>
#include <stddef.h>

#include "nn/act.h"
#include "nn/param_buf.h"
#include "nn/adam.h"
#include "prle/kernel.h"
#include "prle/rng.h"

#define PRLE__HEAD_MAX_LAYERS 64
#define PRLE__HEAD_MAX_TENSORS (2 * PRLE__HEAD_MAX_LAYERS + 5)
#define PRLE__TENSOR_NAME 64

/** One named tensor of the flat buffer. */
typedef struct prle__tensor {
    char name[PRLE__TENSOR_NAME]; /* PyTorch state_dict name, "projection_head." included */
    size_t ndim;                  /* 1 or 2 */
    size_t shape[2];
    size_t size;   /* floats */
    size_t offset; /* into prle__param_buf.params (and grads when trainable) */
    size_t pack;   /* a weight's place in the packed weights (prle__head_pack) */
    bool trainable;
} prle__tensor;

/** The resolved architecture and where each tensor lives. Plain value, no pointers. */
typedef struct prle__head {
    prle_head_type type;
    size_t d_in, d_out; /* H, D */
    size_t hidden;      /* mlp/resmlp hidden width; rff D/2; linear 0 */
    int n_layers;       /* Linear layers in `net` (mlp, resmlp) */
    prle__act act;      /* mlp, resmlp */
    float dropout;      /* resmlp */
    bool has_out_proj;  /* resmlp: hidden != D */
    bool residual;      /* resmlp: H == D */
    bool learnable_rff; /* rff */
    double sigma;       /* rff init */
    bool centered;      /* inputs are x - mu, mu the frozen tensor `in_mean` */
    bool scaled;        /* inputs are (x - mu) s, s the frozen tensor `in_scale` (the last one;
                           implies centered) */
    size_t w[PRLE__HEAD_MAX_LAYERS], b[PRLE__HEAD_MAX_LAYERS]; /* tensor indices of net layers */
    size_t out_w, out_b, ln_g, ln_b;                           /* tensor indices (resmlp) */
    size_t in_mean, in_scale; /* tensor indices (centered, scaled) */
    size_t n_tensors;
    prle__tensor t[PRLE__HEAD_MAX_TENSORS];
    size_t n_params, n_train; /* floats in the buffer; trainable prefix */
    size_t n_packed;          /* floats of the packed weights (prle__head_pack) */
} prle__head;

/**
 * Resolves `p` for inputs of width `in_dim` (defaults of proj_dim, hidden_dim, activation)
 * and lays out the tensors, trainable first. PRLE_EINVAL naming the bad field, PRLE_ENOMEM
 * if the sizes overflow.
 */
int prle__head_init(prle__head *h, size_t in_dim, const prle_kernel_params *p);

/** A resmlp head's default hidden width (hidden_dim 0): the widest whole multiple of D up to
 * PRLE__RESMLP_HIDDEN, at most PRLE__RESMLP_MAX_WIDEN D: D itself above half of it, and at
 * most PRLE__RESMLP_MAX_HIDDEN (the out-projection then restores D). */
#define PRLE__RESMLP_HIDDEN 512
#define PRLE__RESMLP_MAX_WIDEN 8
#define PRLE__RESMLP_MAX_HIDDEN 2048

/** A head's default value width (proj_dim 0) for inputs up to PRLE__VALUE_KEEP_MAX wide: the
 * input's own, so resmlp keeps its residual path; wider inputs (which the resmlp's hidden layer
 * narrows to PRLE__RESMLP_MAX_HIDDEN anyway) get PRLE__VALUE_WIDE. */
#define PRLE__VALUE_KEEP_MAX PRLE__RESMLP_MAX_HIDDEN
#define PRLE__VALUE_WIDE 512

/** The value width prle__head_init gives a head for inputs of width `in_dim`: p->proj_dim, or
 * the default (rff 256; else PRLE__VALUE_KEEP_MAX and PRLE__VALUE_WIDE above). */
size_t prle__head_value_width(const prle_kernel_params *p, size_t in_dim);

/** The hidden width prle__head_init gives an mlp or resmlp head of value width `d_out` for
 * inputs of width `in_dim` (p->hidden_dim, or the head's default when it is 0). */
size_t prle__head_hidden(const prle_kernel_params *p, size_t in_dim, size_t d_out);

/** Packs every weight matrix of `params` for prle__gemm_rows_packed into `packed`
 * (h->n_packed floats), each at its tensor's `pack`. */
void prle__head_pack(const prle__head *h, const float *params, float *packed);

/** Fills `params` (h->n_params floats) with the initial weights from stream (seed,
 * "kernel.init", 0), tensors in order; the input mean (centered heads) is 0. */
void prle__head_init_weights(const prle__head *h, float *params, uint64_t seed);

/** Activations and backward scratch for batches of up to `cap` rows, allocated once. */
typedef struct prle__head_acts {
    size_t cap;
    float *pre[PRLE__HEAD_MAX_LAYERS];  /* (cap, width_l) Linear outputs */
    float *post[PRLE__HEAD_MAX_LAYERS]; /* (cap, width_l) after act (and dropout) */
    float *mask[PRLE__HEAD_MAX_LAYERS]; /* (cap, hidden) dropout masks (resmlp, p > 0) */
    float *out;                         /* (cap, D) resmlp out-projection output */
    float *res;                         /* (cap, D) LayerNorm input */
    float *mean, *rstd;                 /* (cap) LayerNorm statistics */
    float *g;                           /* (cap, D) head output */
    float *z, *norm;                    /* (cap, D) n(g), (cap) max(|g|, 1e-12) */
    float *d[3];                        /* (cap, max width) backward scratch */
    float *xc;                          /* (cap, H) (x - mu) s of the last forward (centered) */
    const float *packed;                /* inference: the weights packed (prle__head_pack) */
    bool dropped;                       /* the last forward applied dropout masks */
    void *block_;                       /* the one allocation */
} prle__head_acts;

/** Allocates acts for `cap` rows (training = with dropout masks and backward scratch). */
int prle__head_acts_alloc(prle__head_acts *a, const prle__head *h, size_t cap, bool training);

/** Frees and zeroes; a zeroed value is left as it is. */
void prle__head_acts_dispose(prle__head_acts *a);

/**
 * Forward of n <= a->cap rows of x (n, H): a->g = g(x), a->z = n(g(x)) (x - mu in place of x
 * for a centered head, (x - mu) s for a scaled one). With a->packed (inference: the weights
 * `params` packed by prle__head_pack) the products are prle__gemm_rows': row i of z depends on row
 * i of x only, the same bits alone or among any other rows; without (training), OpenBLAS's. `drop`
 * non-NULL means training: dropout masks are drawn from it (resmlp, p > 0). BLAS as configured by
 * prle_init, our loops on `nt` threads.
 */
void prle__head_forward(const prle__head *h, const float *params, prle__head_acts *a,
                        const float *x, size_t n, prle_rng *drop, int nt);

/**
 * Backward from dz (n, D) = dL/dz of the last forward: accumulates the trainable tensors'
 * gradients into `grads` (h->n_train floats, same layout as params). Overwrites a->d[*]. A
 * centered head reads the forward's x - mu (or (x - mu) s) from a->xc instead of `x`.
 */
void prle__head_backward(const prle__head *h, const float *params, float *grads, prle__head_acts *a,
                         const float *x, const float *dz, size_t n, int nt);

/** Floats of scratch prle__head_step needs on `nt` threads. */
size_t prle__head_step_scratch(const prle__head *h, int nt);

/**
 * Backward from dz and one Adam step `c` of every trainable tensor of pb (params, grads, m,
 * v): the bits of prle__param_buf_zero_grad, prle__head_backward and prle__adam_step over the
 * trainable prefix. The weight matrices of linear, mlp and resmlp heads take their step inside
 * the backward (prle__linear_bwd_adam: their gradients never go through memory, which at
 * 1280 x 1280 costs more than the products), the rest (biases, layer norm, rff) from their
 * gradients in pb->grads.
 */
void prle__head_step(const prle__head *h, prle__param_buf *pb, prle__head_acts *a, const float *x,
                     const float *dz, size_t n, const prle__adam_coef *c, float *scratch, int nt);

#endif
