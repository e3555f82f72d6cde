/* Stage-2 model params: defaults (docs/config.md), the config keys, the checks. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "prle/model.h"

static const char *const expert_names[] = {"linear", "mlp", "proto_rbf"};
static const char *const init_names[] = {"random", "meta_linear_regression", "meta_svr", "ridge"};

const char *prle_expert_type_name(prle_expert_type t)
{
    return (unsigned)t < 3 ? expert_names[t] : "?";
}

const char *prle_expert_init_name(prle_expert_init i)
{
    return (unsigned)i < 4 ? init_names[i] : "?";
}

prle_model_params prle_model_default_params(void)
{
    prle_model_params p = {0};
    p.protos = prle_proto_default_params();
    p.router = prle_router_default_params();
    p.type = PRLE_EXPERT_LINEAR;
    p.init = PRLE_EXPERT_INIT_RIDGE;
    p.mlp_hidden = 32;
    prle_loss_weights *l = &p.loss;
    l->use_v2 = true;
    l->task_main = 1.0;
    l->expert_fit = 0.5;
    l->anchor_route = 0.5;
    l->balance = 0.1;
    l->entropy = 0.0;
    l->task[0] = 1.0, l->task[1] = 1.0;
    l->metric[0] = 1.0, l->metric[1] = 0.0;
    l->proto_self[0] = 0.0, l->proto_self[1] = 1.0;
    l->local[0] = 0.0, l->local[1] = 1.0;
    l->consistency[0] = 1.0, l->consistency[1] = 1.0;
    l->em_alt_training = false;
    p.learning_rate = 1e-3;
    p.weight_decay = 5e-7;
    p.max_epochs = 0;
    p.patience = 10;
    p.min_delta = 0.0;
    p.batch_size = 64;
    p.recalibrate = true;
    p.neighbours = true;
    p.label_min = NAN;
    p.label_max = NAN;
    p.seed = 42;
    p.n_threads = 0;
    return p;
}

/* Index of `s` in names[0..n) (case-insensitive), or -1. */
static int lookup(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* What stage 2 cannot do is an error naming the key, not a silent default. */
static int unsupported_keys(const prle_model_config *mc)
{
    if (mc->monitor && strcmp(mc->monitor, "val_mse") != 0)
        return prle__error_set(PRLE_EINVAL,
                               "model.monitor: stage 2 stops early on val_mse only, got \"%s\"",
                               mc->monitor);
    if (mc->mode && strcmp(mc->mode, "min") != 0)
        return prle__error_set(PRLE_EINVAL, "model.mode: val_mse is minimised, got \"%s\"",
                               mc->mode);
    if (mc->trainable_prototypes)
        return prle__error_set(PRLE_EINVAL, "model.trainable_prototypes: stage 2 keeps the "
                                            "prototypes fixed (the kernel is frozen)");
    return 0;
}

int prle_model_params_from_config(prle_model_params *out, const prle_config *cfg)
{
    int err;
    prle_model_params p = prle_model_default_params();
    const prle_model_config *mc = &cfg->model;
    const prle_train_config *tc = &cfg->train;
    const prle_loss_config *lc = &cfg->loss;
    if ((err = prle_proto_params_from_config(&p.protos, cfg)) < 0 ||
        (err = prle_router_params_from_config(&p.router, cfg)) < 0 ||
        (err = unsupported_keys(mc)) < 0)
        return err;
    if (mc->type) {
        int t = lookup(mc->type, expert_names, 3);
        if (t < 0)
            return prle__error_set(PRLE_EINVAL, "model.type: unknown value \"%s\"", mc->type);
        p.type = (prle_expert_type)t;
    }
    if (mc->expert_init_strategy) {
        int i = lookup(mc->expert_init_strategy, init_names, 4);
        if (i < 0)
            return prle__error_set(PRLE_EINVAL, "model.expert_init_strategy: unknown value \"%s\"",
                                   mc->expert_init_strategy);
        p.init = (prle_expert_init)i;
    }
    struct {
        const char *key;
        int v, min;
    } ints[] = {{"model.expert_mlp_hidden_dim", mc->expert_mlp_hidden_dim, 1},
                {"train.train_batch_size", tc->train_batch_size, 1},
                {"train.max_epochs", tc->max_epochs, 0},
                {"train.early_stop_patience", tc->early_stop_patience, 0},
                {"train.threads", tc->threads, 0}};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        if (ints[i].v < ints[i].min)
            return prle__error_set(PRLE_EINVAL, "%s must be >= %d, got %d", ints[i].key,
                                   ints[i].min, ints[i].v);
    p.mlp_hidden = (size_t)mc->expert_mlp_hidden_dim;
    prle_loss_weights *l = &p.loss;
    l->use_v2 = mc->use_v2_loss;
    l->task_main = lc->lambda_task_main;
    l->expert_fit = lc->lambda_expert_fit;
    l->anchor_route = lc->lambda_anchor_route;
    l->balance = lc->lambda_balance;
    l->entropy = lc->lambda_entropy;
    l->task[0] = lc->lambda_task_geom, l->task[1] = lc->lambda_task_expert;
    l->metric[0] = lc->lambda_metric_geom, l->metric[1] = lc->lambda_metric_expert;
    l->proto_self[0] = lc->lambda_proto_self_geom, l->proto_self[1] = lc->lambda_proto_self_expert;
    l->local[0] = lc->lambda_local_geom, l->local[1] = lc->lambda_local_expert;
    l->consistency[0] = lc->lambda_consistency_geom;
    l->consistency[1] = lc->lambda_consistency_expert;
    l->em_alt_training = tc->em_alt_training;
    p.learning_rate = tc->learning_rate;
    p.weight_decay = tc->weight_decay;
    p.max_epochs = tc->max_epochs;
    p.patience = tc->early_stop_patience;
    p.min_delta = tc->min_delta;
    p.batch_size = (size_t)tc->train_batch_size;
    p.recalibrate = mc->recalibrate;
    p.neighbours = mc->neighbours;
    p.label_min = cfg->data.label_min;
    p.label_max = cfg->data.label_max;
    p.seed = tc->seed;
    p.n_threads = tc->threads;
    *out = p;
    return 0;
}

static bool finite_all(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

static int check_loss(const prle_loss_weights *l)
{
    double v2[] = {l->task_main, l->expert_fit, l->anchor_route, l->balance, l->entropy};
    if (!finite_all(v2, 5) || !finite_all(l->task, 2) || !finite_all(l->metric, 2) ||
        !finite_all(l->proto_self, 2) || !finite_all(l->local, 2) || !finite_all(l->consistency, 2))
        return prle__error_set(PRLE_EINVAL, "model.loss: every lambda must be finite");
    return 0;
}

int prle_model_params_check(const prle_model_params *p)
{
    int err;
    if ((err = prle_proto_params_check(&p->protos)) < 0)
        return err;
    if (p->type != PRLE_EXPERT_PROTO_RBF && (err = prle_router_params_check(&p->router)) < 0)
        return err;
    if ((unsigned)p->type > PRLE_EXPERT_PROTO_RBF)
        return prle__error_set(PRLE_EINVAL, "model.type: unknown value %d", (int)p->type);
    if ((unsigned)p->init > PRLE_EXPERT_INIT_RIDGE)
        return prle__error_set(PRLE_EINVAL, "model.init: unknown value %d", (int)p->init);
    if (p->type == PRLE_EXPERT_MLP && p->mlp_hidden < 1)
        return prle__error_set(PRLE_EINVAL, "model.mlp_hidden must be >= 1, got %zu",
                               p->mlp_hidden);
    if ((err = check_loss(&p->loss)) < 0)
        return err;
    if (!(p->learning_rate > 0) || !isfinite(p->learning_rate))
        return prle__error_set(PRLE_EINVAL, "model.learning_rate must be > 0, got %g",
                               p->learning_rate);
    if (!(p->weight_decay >= 0) || !isfinite(p->weight_decay))
        return prle__error_set(PRLE_EINVAL, "model.weight_decay must be >= 0, got %g",
                               p->weight_decay);
    if (p->max_epochs < 0)
        return prle__error_set(PRLE_EINVAL, "model.max_epochs must be >= 0, got %d", p->max_epochs);
    if (p->patience < 0)
        return prle__error_set(PRLE_EINVAL, "model.patience must be >= 0, got %d", p->patience);
    if (!(p->min_delta >= 0) || !isfinite(p->min_delta))
        return prle__error_set(PRLE_EINVAL, "model.min_delta must be >= 0, got %g", p->min_delta);
    if (p->batch_size < 1)
        return prle__error_set(PRLE_EINVAL, "model.batch_size must be >= 1, got %zu",
                               p->batch_size);
    if (p->n_threads < 0)
        return prle__error_set(PRLE_EINVAL, "model.n_threads must be >= 0, got %d", p->n_threads);
    if ((!isnan(p->label_min) || !isnan(p->label_max)) &&
        (!isfinite(p->label_min) || !isfinite(p->label_max) || !(p->label_max > p->label_min)))
        return prle__error_set(PRLE_EINVAL,
                               "model.label_min/label_max must be finite with min < max (or "
                               "both NaN), got %g, %g",
                               p->label_min, p->label_max);
    return 0;
}
