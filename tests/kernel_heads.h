/* The head types a kernel input transform (kernel.center_inputs, kernel.standardize_inputs) is
 * checked on, each from the defaults for 6-wide inputs: resmlp residual (H = D), resmlp with
 * an out-projection and dropout, mlp, linear, and rff (its frozen W and b come before the
 * transform's tensors). */
#ifndef PRLE_TEST_KERNEL_HEADS_H
#define PRLE_TEST_KERNEL_HEADS_H

#include "prle/kernel.h"

static void each_head(void (*check)(const char *what, prle_kernel_params p))
{
    prle_kernel_params p = prle_kernel_default_params();
    check("resmlp residual", p);
    p.hidden_dim = 4, p.dropout = 0.1;
    check("resmlp out_proj residual", p);
    p = prle_kernel_default_params();
    p.type = PRLE_HEAD_MLP, p.proj_dim = 3;
    check("mlp", p);
    p.type = PRLE_HEAD_LINEAR;
    check("linear", p);
    p = prle_kernel_default_params();
    p.type = PRLE_HEAD_RFF, p.proj_dim = 8;
    check("rff", p);
}

#endif
