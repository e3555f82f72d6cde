/* The prle_model handle: allocation, freeing and accessors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "prle/model_int.h"
#include "prle/router.h"

int prle__model_alloc(prle_model **out, const prle_model_params *p, size_t np, size_t d)
{
    int err = 0;
    size_t bytes;
    prle_model *m = calloc(1, sizeof *m);
    if (!m)
        return prle__error_nomem("model");
    m->params = *p;
    m->params.progress = NULL;
    m->params.progress_ud = NULL;
    m->params.on_epoch = NULL;
    m->params.on_epoch_ud = NULL;
    m->params.protos.progress = NULL;
    m->params.protos.progress_ud = NULL;
    m->params.protos.n_prototypes = np;
    m->np = np;
    m->d = d;
    m->y_sd = 1.0;
    m->recal_b = 1.0;
    m->rbf_tau = NAN;
    if (p->type == PRLE_EXPERT_LINEAR || p->type == PRLE_EXPERT_MLP) {
        if ((err = prle__experts_init(&m->ex, p->type, np, d, p->mlp_hidden)) < 0)
            goto fail;
        if (!prle__mul_ok(&bytes, m->ex.n_params, sizeof(float)) ||
            !(m->ex_params = prle_aligned_alloc(bytes))) {
            err = prle__error_nomem("expert parameters");
            goto fail;
        }
        memset(m->ex_params, 0, bytes);
    } else if (p->type == PRLE_EXPERT_PROTO_RBF) {
        if (!(m->rbf_beta = calloc(np ? np : 1, sizeof *m->rbf_beta))) {
            err = prle__error_nomem("rbf coefficients");
            goto fail;
        }
    } else {
        err = prle__error_set(PRLE_EINVAL, "model: expert type %d unknown", (int)p->type);
        goto fail;
    }
    if (!prle__mul_ok(&bytes, np, d) || !prle__mul_ok(&bytes, bytes, sizeof(float)) ||
        !(m->protos = prle_aligned_alloc(bytes ? bytes : 1)) ||
        !(m->proto_rows = calloc(np ? np : 1, sizeof *m->proto_rows))) {
        err = prle__error_nomem("model prototypes");
        goto fail;
    }
    memset(m->protos, 0, bytes);
    *out = m;
    return 0;
fail:
    prle_model_free(m);
    return err;
}

int prle__model_make_router(prle_model *m)
{
    prle_router_params rp = m->params.router;
    rp.n_threads = 1; /* called per batch or per block of rows: the parallelism is outside */
    prle_matrix pm = {.data = m->protos, .rows = m->np, .cols = m->d};
    return prle_router_new(&m->router, &pm, &rp);
}

void prle_model_free(prle_model *m)
{
    if (!m)
        return;
    prle_router_free(m->router);
    prle_free(m->protos);
    prle_free(m->ex_params);
    free(m->proto_rows);
    free(m->rbf_beta);
    free(m);
}

size_t prle_model_n_prototypes(const prle_model *m)
{
    return m->np;
}

size_t prle_model_dim(const prle_model *m)
{
    return m->d;
}

size_t prle_model_in_dim(const prle_model *m)
{
    return m->d + (m->nb_weight > 0);
}

int prle_model_set_neighbour_weight(prle_model *m, double lambda)
{
    if (!(lambda >= 0 && lambda <= 1))
        return prle__error_set(PRLE_EINVAL, "model: neighbour weight %g outside [0, 1]", lambda);
    m->nb_weight = lambda;
    return 0;
}

double prle_model_neighbour_weight(const prle_model *m)
{
    return m->nb_weight;
}

prle_expert_type prle_model_expert_type(const prle_model *m)
{
    return m->params.type;
}

const prle_router *prle_model_router(const prle_model *m)
{
    return m->router;
}

const size_t *prle_model_prototype_rows(const prle_model *m)
{
    return m->proto_rows;
}

void prle_model_label_stats(const prle_model *m, double *mean, double *sd)
{
    *mean = m->y_mean;
    *sd = m->y_sd;
}

const float *prle_model_prototypes(const prle_model *m)
{
    return m->protos;
}

double prle_model_tau(const prle_model *m)
{
    if (m->params.type == PRLE_EXPERT_PROTO_RBF)
        return m->rbf_tau;
    return m->params.router.type == PRLE_ROUTER_SOFTMAX ? prle_router_tau(m->router) : NAN;
}

int prle_model_linear_weights(float *w_out, float *c_out, const prle_model *m)
{
    if (m->params.type != PRLE_EXPERT_LINEAR)
        return prle__error_set(PRLE_EINVAL, "model: %s experts have no linear weights",
                               prle_expert_type_name(m->params.type));
    size_t np = m->np, d = m->d;
    for (size_t p = 0; p < np; p++) {
        const float *w = m->ex_params + m->ex.w1 + p * d;
        float c = m->ex_params[m->ex.b1 + p];
        for (size_t k = 0; w_out && k < d; k++)
            w_out[p * d + k] = (float)(w[k] * m->y_sd);
        if (c_out)
            c_out[p] = (float)(c * m->y_sd + m->y_mean);
    }
    return 0;
}

int prle_model_kept_epoch(const prle_model *m)
{
    return m->kept_epoch;
}

void prle_model_recalibration(double *a, double *b, const prle_model *m)
{
    *a = m->recal_a;
    *b = m->recal_b;
}

const prle_model_params *prle_model_get_params(const prle_model *m)
{
    return &m->params;
}
