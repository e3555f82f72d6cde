/* The prle_kernel handle, shared by train.c, kernel_io.c and report.c. */
#ifndef PRLE_KERNEL_KERNEL_INT_H
#define PRLE_KERNEL_KERNEL_INT_H

#include "kernel/heads.h"
#include "math/ridge_path.h"
#include "nn/param_buf.h"
#include "prle/kernel.h"
#include "prle/safetensors.h"

struct prle_kernel {
    prle__head head;
    prle__param_buf pb;        /* params only, outside a fit */
    float *packed;             /* the weights packed for inference (prle__kernel_pack) */
    prle_kernel_params params; /* callbacks cleared */
    prle_kernel_epoch *history;
    size_t n_history;
    int kept_epoch;
};

/** The rule of center_inputs = PRLE_KERNEL_CENTER_AUTO: whether rows `x` are centred (their
 *  offset ratio above 1); the ratio in *ratio when non-NULL. */
bool prle__kernel_centers(const prle_matrix *x, double *ratio);

/** prle_kernel_standardize_test, and the ridge on the raw columns it chose into *raw when
 *  non-NULL (coef NULL when none factorised): the same as the ridge yardstick's. */
int prle__kernel_standardize_test(prle_standardize_test *out, const prle_matrix *x_train,
                                  const float *y_train, const prle_matrix *x_val,
                                  const float *y_val, int n_threads, prle__ridge_choice *raw);

/** Packs the kernel's weights for prle_kernel_apply (k->packed): once its params are final. */
int prle__kernel_pack(prle_kernel *k);

/** The safetensors writer prle_kernel_save saves (tensors and metadata); free it. */
int prle__kernel_writer(prle_st_writer **out, const prle_kernel *k);

/** prle_kernel_load from an open safetensors file (`path` names it in messages). */
int prle__kernel_load_st(prle_kernel **out, const prle_st_file *f, const char *path,
                         const prle_kernel_params *expect, size_t in_dim);

/** The columns' RMS standard deviation above which the standardise test standardises whatever
 *  its ridges say (prle_kernel_standardize_test): the head is made for inputs of unit scale. */
#define PRLE__KERNEL_UNIT_SCALE 1.0

/** The params and input width an open kernel file's metadata records, its tensors not read:
 *  1; 0 when it has no metadata (as PyTorch would write it); PRLE_EFORMAT naming `path` for
 *  the metadata of something else or of another format version. */
int prle__kernel_st_params(prle_kernel_params *p, size_t *in_dim, const prle_st_file *f,
                           const char *path);

/** A kernel with the architecture of `p` for width `in_dim`, weights zeroed (not initialised). */
int prle__kernel_alloc(prle_kernel **out, size_t in_dim, const prle_kernel_params *p);

/** The first of the n labels y outside [label_min, label_max], or n: the ends taken as float,
 *  as the labels are (rounding keeps order), with a slack of 1e-6 of the range for labels
 *  computed in float. The kernel's fit refuses such a training label (the pair loss scales by
 *  the range). */
size_t prle__kernel_label_outside(const float *y, size_t n, double label_min, double label_max);

#endif
