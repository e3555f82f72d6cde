/* Router internals shared by router.c (distances, softmax/knn/radius) and router_mlp.c (the
 * mlp_sparse gate). */
#ifndef PRLE_PRLE_ROUTER_INT_H
#define PRLE_PRLE_ROUTER_INT_H

#include "prle/router.h"

struct prle_router {
    prle_router_params p;
    size_t np, d;
    float *protos; /* (P, D) */
    float *unit;   /* (P, D) prototypes scaled to unit length (zero rows stay zero) */
    float *packed; /* unit (cosine) or protos, packed for prle__gemm_rows_packed */
    float *usq;    /* (P) squared norms of protos */
    double tau;
    float *gate;   /* mlp_sparse: (n_gate) packed w0 (h, 3D+1), b0 (h), w2 (1, h), b2 (1) */
    size_t n_gate; /* 0 for the other routers */
};

/** Parameters of the mlp_sparse gate for width D and hidden width h, or 0 on overflow. */
size_t prle__router_gate_size(size_t d, size_t h);

/** Allocates r->gate and fills it like PyTorch's nn.Linear (U(+-1/sqrt(fan_in)) for weight and
 *  bias) from the stream (p.seed, "router.gate", 0). PRLE_ENOMEM. */
int prle__router_gate_init(prle_router *r);

/**
 * mlp_sparse weights w_out (n, P) of the rows of z (n, D) given their distances dist (n, P).
 * `noise_seed` NULL: softmax(logit) (evaluation); otherwise softmax((logit + g) / gumbel_tau)
 * with Gumbel g from the streams (*noise_seed, "router.gumbel", row). PRLE_ENOMEM.
 */
int prle__router_mlp_forward(float *w_out, const float *dist, const prle_router *r,
                             const prle_matrix *z, const uint64_t *noise_seed);

/**
 * Backward of the training forward given dL/dW dw, its w and dist: adds dL/dz into dz (n, D)
 * and dL/dparams into dparams (n_gate); either may be NULL. PRLE_ENOMEM.
 */
int prle__router_mlp_backward(float *dz, float *dparams, const prle_router *r, const prle_matrix *z,
                              const float *dw, const float *w, const float *dist);

/**
 * Adds sum_j gd[j] * dd(z, u_j)/dz into dzi (D) for one row zi (D) whose distances are di (P).
 * A zero z (cosine) or a zero Euclidean distance contributes nothing.
 */
void prle__router_dist_grad(float *dzi, const float *zi, const double *gd, const float *di,
                            const prle_router *r);

#endif
