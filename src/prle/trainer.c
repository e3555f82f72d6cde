/* One stage-2 training step: router (training forward), experts, loss, and the hand-written
 * backward into one flat buffer [experts | tau | gate]. The kernel is frozen and the
 * prototypes fixed, so nothing flows back into z. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "prle/model_int.h"
#include "prle/router.h"

static float *falloc(size_t a, size_t b)
{
    size_t n, bytes;
    if (!prle__mul_ok(&n, a, b) || !prle__mul_ok(&bytes, n ? n : 1, sizeof(float)))
        return NULL;
    float *p = prle_aligned_alloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void prle__trainer_dispose(prle__trainer *t)
{
    prle__param_buf_dispose(&t->pb);
    float **bufs[] = {&t->zb,     &t->yb,   &t->yraw,  &t->w,      &t->dist,
                      &t->e,      &t->dw,   &t->de,    &t->act,    &t->work,
                      &t->sqdist, &t->e_pp, &t->de_pp, &t->act_pp, &t->work_pp};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        prle_free(*bufs[i]);
    free(t->ab);
    free(t->uwork);
    memset(t, 0, sizeof *t);
}

int prle__trainer_init(prle__trainer *t, prle_model *m, const prle_matrix *z, const float *y,
                       const ptrdiff_t *anchor, const float *a, size_t cap, int nt)
{
    int err;
    memset(t, 0, sizeof *t);
    t->m = m;
    t->z = z;
    t->y = y;
    t->anchor = anchor;
    t->a = a;
    t->cap = cap;
    t->nt = nt;
    prle_router *r = m->router;
    size_t np = m->np, d = m->d, nex = m->ex.n_params;
    bool soft = m->params.router.type == PRLE_ROUTER_SOFTMAX;
    t->n_gate = prle_router_n_params(r);
    size_t sizes[3] = {nex, soft ? 1 : 0, t->n_gate}, offs[3];
    bool overflow;
    size_t total = prle__param_layout(offs, sizes, 3, &overflow);
    if (overflow)
        return prle__error_nomem("stage-2 parameters");
    t->off_tau = soft ? offs[1] : SIZE_MAX;
    t->off_gate = offs[2];
    if ((err = prle__param_buf_alloc(&t->pb, total, total)) < 0 ||
        (err = prle__param_buf_alloc_train(&t->pb)) < 0)
        goto fail;
    memcpy(t->pb.params, m->ex_params, nex * sizeof(float));
    if (soft)
        t->pb.params[t->off_tau] = (float)prle_router_tau(r);
    if (t->n_gate)
        memcpy(t->pb.params + t->off_gate, prle_router_param_data(r), t->n_gate * sizeof(float));

    size_t ppp = np * np;
    t->zb = falloc(cap, d);
    t->yb = falloc(cap, 1);
    t->yraw = falloc(cap, 1);
    t->w = falloc(cap, np);
    t->dist = falloc(cap, np);
    t->e = falloc(cap, np);
    t->dw = falloc(cap, np);
    t->de = falloc(cap, np);
    t->sqdist = falloc(cap, np);
    t->act = falloc(prle__experts_act_floats(&m->ex, cap), 1);
    t->work = falloc(prle__experts_work_floats(&m->ex, cap), 1);
    t->e_pp = falloc(ppp, 1);
    t->de_pp = falloc(ppp, 1);
    t->act_pp = falloc(prle__experts_act_floats(&m->ex, np), 1);
    t->work_pp = falloc(prle__experts_work_floats(&m->ex, np), 1);
    t->ab = malloc((cap ? cap : 1) * sizeof *t->ab);
    t->uwork = malloc(np * sizeof *t->uwork);
    if (!t->zb || !t->yb || !t->yraw || !t->w || !t->dist || !t->e || !t->dw || !t->de ||
        !t->sqdist || !t->act || !t->work || !t->e_pp || !t->de_pp || !t->act_pp || !t->work_pp ||
        !t->ab || !t->uwork) {
        err = prle__error_nomem("stage-2 training buffers");
        goto fail;
    }
    return 0;
fail:
    prle__trainer_dispose(t);
    return err;
}

void prle__trainer_sync(prle__trainer *t)
{
    prle_router *r = t->m->router;
    if (t->off_tau != SIZE_MAX)
        t->pb.params[t->off_tau] = (float)prle_router_set_tau(r, t->pb.params[t->off_tau]);
    if (t->n_gate)
        memcpy(prle_router_param_data(r), t->pb.params + t->off_gate, t->n_gate * sizeof(float));
    memcpy(t->m->ex_params, t->pb.params, t->m->ex.n_params * sizeof(float));
}

/* |z_b - u_p|^2 (nb, P), from the differences (exact for near rows). */
static void sq_dists(float *out, const float *zb, const float *protos, size_t nb, size_t np,
                     size_t d)
{
    for (size_t b = 0; b < nb; b++)
        for (size_t p = 0; p < np; p++) {
            double s = 0;
            for (size_t k = 0; k < d; k++) {
                double v = (double)zb[b * d + k] - protos[p * d + k];
                s += v * v;
            }
            out[b * np + p] = (float)s;
        }
}

int prle__trainer_step(prle__trainer *t, prle__mix_terms *terms, const size_t *rows, size_t nb,
                       const prle__mix_coef *c, uint64_t noise_seed, bool backward)
{
    int err;
    prle_model *m = t->m;
    prle_router *r = m->router;
    const prle__experts *ex = &m->ex;
    size_t np = m->np, d = m->d;
    float *params = t->pb.params;
    PRLE_ASSERT(nb <= t->cap);
    if (t->off_tau != SIZE_MAX)
        params[t->off_tau] = (float)prle_router_set_tau(r, params[t->off_tau]);
    if (t->n_gate)
        memcpy(prle_router_param_data(r), params + t->off_gate, t->n_gate * sizeof(float));
    for (size_t i = 0; i < nb; i++) {
        size_t row = rows[i];
        memcpy(t->zb + i * d, prle_matrix_row(t->z, row), d * sizeof(float));
        t->yb[i] = t->y[row];
        t->yraw[i] = (float)(t->y[row] * m->y_sd + m->y_mean);
        t->ab[i] = t->anchor ? t->anchor[row] : -1;
    }
    prle_matrix zm = {.data = t->zb, .rows = nb, .cols = d};
    if ((err = prle_router_forward_train(t->w, t->dist, r, &zm, noise_seed)) < 0)
        return err;
    prle__experts_forward(t->e, t->act, ex, params, t->zb, nb, t->nt);

    *terms = prle__mix_terms_nan();
    if (!c->v2)
        sq_dists(t->sqdist, t->zb, m->protos, nb, np, d);
    prle__mix_loss_rows(terms, backward ? t->dw : NULL, backward ? t->de : NULL, t->w, t->e, t->yb,
                        t->ab, c->v2 ? NULL : t->sqdist, t->uwork, nb, np, c);
    if (!c->v2) {
        prle__experts_forward(t->e_pp, t->act_pp, ex, params, m->protos, np, t->nt);
        prle__mix_proto_self(terms, backward ? t->de_pp : NULL, t->e_pp, t->a, np, c->proto_self);
        prle__mix_metric(terms, t->zb, t->yraw, nb, d, c->metric);
    }
    if (!backward)
        return 0;

    prle__param_buf_zero_grad(&t->pb);
    float *grads = t->pb.grads;
    prle__experts_backward(grads, t->work, ex, params, t->de, t->act, t->zb, nb, t->nt);
    if (!c->v2 && c->proto_self != 0)
        prle__experts_backward(grads, t->work_pp, ex, params, t->de_pp, t->act_pp, m->protos, np,
                               t->nt);
    if (t->off_tau != SIZE_MAX) {
        double dtau = 0;
        if ((err = prle_router_backward(NULL, &dtau, r, &zm, t->dw, t->w, t->dist)) < 0)
            return err;
        grads[t->off_tau] = (float)dtau;
    }
    if (t->n_gate &&
        (err = prle_router_backward_params(grads + t->off_gate, r, &zm, t->dw, t->w, t->dist)) < 0)
        return err;
    return 0;
}
