/* The prle_kernel handle, shared by train.c, kernel_io.c and report.c. */
#ifndef PRLE_KERNEL_KERNEL_INT_H
#define PRLE_KERNEL_KERNEL_INT_H

#include "kernel/heads.h"
#include "nn/param_buf.h"
#include "prle/kernel.h"

struct prle_kernel {
    prle__head head;
    prle__param_buf pb;        /* params only, outside a fit */
    prle_kernel_params params; /* callbacks cleared */
    prle_kernel_epoch *history;
    size_t n_history;
    int kept_epoch;
};

/** A kernel with the architecture of `p` for width `in_dim`, weights zeroed (not initialised). */
int prle__kernel_alloc(prle_kernel **out, size_t in_dim, const prle_kernel_params *p);

#endif
