/* Kernel params: defaults, the config mapping and the check (STYLE.md §5). */
#include <math.h>
#include <strings.h>

#include "core/error.h"
#include "prle/kernel.h"

prle_kernel_params prle_kernel_default_params(void)
{
    prle_kernel_params p = {0};
    p.type = PRLE_HEAD_RESMLP;
    p.num_layers = 2;
    p.activation = PRLE_ACT_DEFAULT;
    p.sigma = 1.0;
    p.learning_rate = 1e-3;
    p.max_epochs = 0;
    p.patience = -1;
    p.batch_size = 32;
    p.lambda_pair = 1.0;
    p.lambda_triplet = 0.0;
    p.lambda_uniform = 0.01;
    p.label_min = 0.0;
    p.label_max = 1.0;
    p.seed = 42;
    p.keep = PRLE_KEEP_BEST;
    p.center_inputs = PRLE_KERNEL_CENTER_AUTO;
    p.standardize_inputs = PRLE_KERNEL_STANDARDIZE_AUTO;
    return p;
}

const char *prle_head_type_name(prle_head_type type)
{
    switch (type) {
    case PRLE_HEAD_LINEAR:
        return "linear";
    case PRLE_HEAD_MLP:
        return "mlp";
    case PRLE_HEAD_RESMLP:
        return "resmlp";
    case PRLE_HEAD_RFF:
        return "rff";
    }
    return "?";
}

int prle_kernel_params_from_config(prle_kernel_params *out, const prle_config *cfg)
{
    prle_kernel_params p = prle_kernel_default_params();
    const prle_kernel_config *k = &cfg->kernel;
    const char *t = k->projection_type ? k->projection_type : "resmlp";
    if (!strcasecmp(t, "linear"))
        p.type = PRLE_HEAD_LINEAR;
    else if (!strcasecmp(t, "mlp"))
        p.type = PRLE_HEAD_MLP;
    else if (!strcasecmp(t, "resmlp"))
        p.type = PRLE_HEAD_RESMLP;
    else if (!strcasecmp(t, "rff") || !strcasecmp(t, "rbf_rff") || !strcasecmp(t, "rbf"))
        p.type = PRLE_HEAD_RFF;
    else
        return prle__error_set(PRLE_EINVAL, "kernel.projection_type '%s' unknown", t);
    const char *a = k->projection_kwargs.activation;
    if (!a)
        p.activation = PRLE_ACT_DEFAULT;
    else if (!strcasecmp(a, "relu"))
        p.activation = PRLE_ACT_RELU;
    else if (!strcasecmp(a, "gelu"))
        p.activation = PRLE_ACT_GELU;
    else
        return prle__error_set(PRLE_EINVAL, "kernel.projection_kwargs.activation '%s' unknown", a);
    if (!k->keep || !strcasecmp(k->keep, "best"))
        p.keep = PRLE_KEEP_BEST;
    else if (!strcasecmp(k->keep, "last"))
        p.keep = PRLE_KEEP_LAST;
    else
        return prle__error_set(PRLE_EINVAL, "kernel.keep '%s' unknown (best or last)", k->keep);
    if (k->proj_dim < 0)
        return prle__error_set(PRLE_EINVAL, "kernel.proj_dim must be >= 0, got %d", k->proj_dim);
    if (k->projection_kwargs.hidden_dim < 0)
        return prle__error_set(PRLE_EINVAL,
                               "kernel.projection_kwargs.hidden_dim must be >= 0, got %d",
                               k->projection_kwargs.hidden_dim);
    if (cfg->train.train_batch_size < 0)
        return prle__error_set(PRLE_EINVAL, "train.train_batch_size must be >= 2, got %d",
                               cfg->train.train_batch_size);
    p.proj_dim = (size_t)k->proj_dim;
    p.hidden_dim = (size_t)k->projection_kwargs.hidden_dim;
    p.num_layers = k->projection_kwargs.num_layers;
    p.dropout = k->projection_kwargs.dropout;
    p.sigma = k->projection_kwargs.sigma;
    p.learnable_rff = k->projection_kwargs.learnable_rff;
    p.center_inputs = k->center_inputs == PRLE_CONFIG_UNSET ? PRLE_KERNEL_CENTER_AUTO
                      : k->center_inputs                    ? 1
                                                            : 0;
    p.standardize_inputs = k->standardize_inputs == PRLE_CONFIG_UNSET ? PRLE_KERNEL_STANDARDIZE_AUTO
                           : k->standardize_inputs                    ? 1
                                                                      : 0;
    p.learning_rate = k->learning_rate;
    p.max_epochs = k->max_epochs;
    p.patience = k->patience;
    p.lambda_pair = k->lambda_pair;
    p.lambda_triplet = k->lambda_triplet;
    p.lambda_uniform = k->lambda_uniform;
    p.batch_size = (size_t)cfg->train.train_batch_size;
    p.seed = cfg->train.seed;
    p.n_threads = cfg->train.threads;
    p.label_min = cfg->data.label_min;
    p.label_max = cfg->data.label_max;
    *out = p;
    return 0;
}

int prle_kernel_params_check(const prle_kernel_params *p)
{
    if (!p)
        return prle__error_set(PRLE_EINVAL, "kernel params are NULL");
    if ((unsigned)p->type > PRLE_HEAD_RFF)
        return prle__error_set(PRLE_EINVAL, "kernel.projection_type %d unknown", (int)p->type);
    if ((unsigned)p->activation > PRLE_ACT_GELU)
        return prle__error_set(PRLE_EINVAL, "kernel.projection_kwargs.activation %d unknown",
                               (int)p->activation);
    if ((p->type == PRLE_HEAD_MLP || p->type == PRLE_HEAD_RESMLP) &&
        (p->num_layers < 1 || p->num_layers > 64))
        return prle__error_set(PRLE_EINVAL,
                               "kernel.projection_kwargs.num_layers must be in 1..64, got %d",
                               p->num_layers);
    if (!(p->dropout >= 0.0 && p->dropout < 1.0))
        return prle__error_set(
            PRLE_EINVAL, "kernel.projection_kwargs.dropout must be in [0, 1), got %g", p->dropout);
    if (!(p->sigma > 0.0) || !isfinite(p->sigma))
        return prle__error_set(PRLE_EINVAL, "kernel.projection_kwargs.sigma must be > 0, got %g",
                               p->sigma);
    if (p->type == PRLE_HEAD_RFF && p->proj_dim % 2)
        return prle__error_set(PRLE_EINVAL,
                               "kernel.proj_dim must be even for rff (cos and sin halves), got %zu",
                               p->proj_dim);
    if (!(p->learning_rate > 0.0) || !isfinite(p->learning_rate))
        return prle__error_set(PRLE_EINVAL, "kernel.learning_rate must be > 0, got %g",
                               p->learning_rate);
    if (p->max_epochs < 0)
        return prle__error_set(PRLE_EINVAL, "kernel.max_epochs must be >= 0, got %d",
                               p->max_epochs);
    if (p->patience < -1)
        return prle__error_set(
            PRLE_EINVAL, "kernel.patience must be >= -1 (-1 = from the data), got %d", p->patience);
    if (p->batch_size < 2)
        return prle__error_set(PRLE_EINVAL,
                               "train.train_batch_size must be >= 2 for pair losses, got %zu",
                               p->batch_size);
    if (!isfinite(p->lambda_pair) || !isfinite(p->lambda_triplet) || !isfinite(p->lambda_uniform))
        return prle__error_set(PRLE_EINVAL, "kernel.lambda_* must be finite");
    if (!isfinite(p->label_min) || !isfinite(p->label_max) || !(p->label_max > p->label_min))
        return prle__error_set(PRLE_EINVAL,
                               "label range must be finite with label_max > label_min, got "
                               "[%g, %g]",
                               p->label_min, p->label_max);
    if ((unsigned)p->keep > PRLE_KEEP_LAST)
        return prle__error_set(PRLE_EINVAL, "kernel.keep %d unknown", (int)p->keep);
    if (p->center_inputs != 0 && p->center_inputs != 1 &&
        p->center_inputs != PRLE_KERNEL_CENTER_AUTO)
        return prle__error_set(
            PRLE_EINVAL, "kernel center_inputs must be 1, 0 or PRLE_KERNEL_CENTER_AUTO, got %d",
            p->center_inputs);
    if (p->standardize_inputs != 0 && p->standardize_inputs != 1 &&
        p->standardize_inputs != PRLE_KERNEL_STANDARDIZE_AUTO)
        return prle__error_set(PRLE_EINVAL,
                               "kernel standardize_inputs must be 1, 0 or "
                               "PRLE_KERNEL_STANDARDIZE_AUTO, got %d",
                               p->standardize_inputs);
    if (p->n_threads < 0)
        return prle__error_set(PRLE_EINVAL, "train.threads must be >= 0, got %d", p->n_threads);
    return 0;
}
