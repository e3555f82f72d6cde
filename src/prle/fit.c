/* Fitting the stage-2 model (SPEC.md §5, §12.11): prototypes among the training rows, then
 * Adam on shuffled mini-batches of standardised labels with early stopping on validation MSE
 * (the best epoch kept), or the closed form of proto_rbf. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/threads.h"
#include "nn/adam.h"
#include "prle/meta_init.h"
#include "prle/model_int.h"
#include "prle/proto_rbf.h"
#include "prle/rng.h"
#include "prle/router.h"

prle__fit_opts prle__refit_opts(const prle_model *first, size_t n_first, size_t n_held)
{
    return (prle__fit_opts){.expert_alpha = first->expert_alpha,
                            .recal_slope = n_first >= n_held ? first->recal_b : 0.0};
}

int prle_model_fit(prle_model **out, const prle_matrix *ztr, const float *ytr,
                   const prle_matrix *zva, const float *yva, const prle_model_params *p)
{
    return prle__model_fit(out, ztr, ytr, zva, yva, p, NULL);
}

static int check_finite(const prle_matrix *z, const float *y, size_t n, const char *split)
{
    for (size_t i = 0; i < n; i++) {
        const float *r = prle_matrix_row(z, i);
        for (size_t k = 0; k < z->cols; k++)
            if (!isfinite(r[k]))
                return prle__error_set(PRLE_EINVAL, "model: %s row %zu has a non-finite value",
                                       split, i);
        if (!isfinite(y[i]))
            return prle__error_set(PRLE_EINVAL, "model: %s label %zu is %g", split, i,
                                   (double)y[i]);
    }
    return 0;
}

/* Population mean and sd (ddof 0, as StandardScaler) in double; sd 1 for constant labels. */
static void label_stats(double *mean, double *sd, const float *y, size_t n)
{
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++)
        s += y[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++)
        q += (y[i] - *mean) * (y[i] - *mean);
    *sd = sqrt(q / (double)n);
    if (!(*sd > 0))
        *sd = 1.0;
}

/* MSE of the model (current expert parameters `params`) on standardised labels. */
static int val_mse(double *out, const prle_model *m, const float *params, const prle_matrix *zva,
                   const float *yvs, float *yh, int nt)
{
    int err =
        prle__model_predict_blocks(yh, NULL, NULL, m, params, zva->data, zva->rows, false, nt);
    if (err < 0)
        return err;
    double s = 0;
    for (size_t i = 0; i < zva->rows; i++)
        s += ((double)yh[i] - yvs[i]) * ((double)yh[i] - yvs[i]);
    *out = s / (double)zva->rows;
    return 0;
}

static int report(const prle_model_params *p, const prle_model_epoch *e, int epochs, double t0)
{
    if (p->on_epoch && !p->on_epoch(e, p->on_epoch_ud))
        return prle__error_set(PRLE_EABORTED, "model: stopped by the epoch callback");
    char note[160];
    snprintf(note, sizeof note, "loss %.6f val_mse %.6f tau %.4g", e->loss, e->val_mse, e->tau);
    return prle__progress(p->progress, p->progress_ud, "experts", (size_t)e->epoch,
                          (size_t)(p->type == PRLE_EXPERT_PROTO_RBF ? 1 : epochs), t0, note);
}

static prle_model_epoch epoch_nan(int ep)
{
    prle_model_epoch e = {.epoch = ep};
    e.loss = e.task = e.fit = e.anchor = e.balance = e.entropy = NAN;
    e.metric = e.proto_self = e.local = e.consistency = NAN;
    e.val_mse = e.val_mse_raw = e.tau = NAN;
    return e;
}

/* proto_rbf: no gradient training, one record. */
static int fit_rbf(prle_model *m, const prle_matrix *ztr, const float *ys, const prle_matrix *zva,
                   const float *yvs, const float *a, const prle_model_params *p, int nt, double t0)
{
    int err;
    prle_matrix pm = {.data = m->protos, .rows = m->np, .cols = m->d}, none = {0};
    const prle_matrix *zv = zva ? zva : &none;
    double tic = prle__now();
    float *yh = NULL;
    if ((err = prle__rbf_fit(m->rbf_beta, &m->rbf_tau, &pm, ztr, ys, a, zv, yvs, PRLE__RBF_LAMBDA,
                             nt)) < 0)
        return err;
    prle_model_epoch e = epoch_nan(1);
    if (zv->rows) {
        if (!(yh = malloc(zv->rows * sizeof *yh)))
            return prle__error_nomem("model validation");
        err = val_mse(&e.val_mse, m, NULL, zv, yvs, yh, nt);
        free(yh);
        if (err < 0)
            return err;
        e.val_mse_raw = e.val_mse * m->y_sd * m->y_sd;
    }
    e.tau = m->rbf_tau;
    e.seconds = prle__now() - tic;
    e.improved = true;
    m->kept_epoch = 1;
    return report(p, &e, 1, t0);
}

static void add_terms(prle_model_epoch *e, const prle__mix_terms *t)
{
    e->loss += t->total;
    e->task += t->task, e->fit += t->fit, e->anchor += t->anchor, e->balance += t->balance;
    e->entropy += t->entropy, e->metric += t->metric, e->proto_self += t->proto_self;
    e->local += t->local, e->consistency += t->consistency;
}

static void scale_terms(prle_model_epoch *e, double s)
{
    e->loss *= s;
    e->task *= s, e->fit *= s, e->anchor *= s, e->balance *= s, e->entropy *= s;
    e->metric *= s, e->proto_self *= s, e->local *= s, e->consistency *= s;
}

typedef struct fit_buffers {
    float *ys, *yvs, *a, *best, *yh, *meta_w;
    size_t *perm;
    ptrdiff_t *anchor;
    prle__trainer tr;
} fit_buffers;

static void fit_buffers_dispose(fit_buffers *b)
{
    free(b->ys), free(b->yvs), free(b->a), free(b->best), free(b->yh), free(b->meta_w);
    free(b->perm), free(b->anchor);
    prle__trainer_dispose(&b->tr);
}

/* Random init (or the caller's), then meta-init of linear experts (mlp: random, §model.h). */
static int init_experts(prle_model *m, const prle_matrix *ztr, const float *ys,
                        const prle_matrix *zv, const float *yvs, const prle__fit_opts *o,
                        fit_buffers *b, int nt)
{
    int err;
    const prle_model_params *p = &m->params;
    prle__experts_init_weights(&m->ex, m->ex_params, p->seed);
    if (o && o->init_experts) {
        memcpy(m->ex_params, o->init_experts, m->ex.n_params * sizeof(float));
        return 0;
    }
    if (p->init == PRLE_EXPERT_INIT_RANDOM || p->type != PRLE_EXPERT_LINEAR)
        return 0;
    float c = 0;
    if (!(b->meta_w = malloc(m->d * sizeof *b->meta_w)))
        return prle__error_nomem("expert meta-init");
    if ((err = p->init == PRLE_EXPERT_INIT_RIDGE
                   ? prle__meta_init_ridge(b->meta_w, &c, &m->expert_alpha, o ? o->expert_alpha : 0,
                                           ztr, ys, zv, yvs, nt)
                   : prle__meta_init_linear(b->meta_w, &c, ztr, ys, p->init, p->seed, nt)) < 0)
        return err;
    for (size_t q = 0; q < m->np; q++) {
        memcpy(m->ex_params + m->ex.w1 + q * m->d, b->meta_w, m->d * sizeof(float));
        m->ex_params[m->ex.b1 + q] = c;
    }
    return 0;
}

/* tau_init 0 (the default) with the softmax router: the tau at which the training rows'
 * mean largest weight is router.tau_top1 (prle_router_tau_for_top1), so the weights start
 * neither uniform nor one-hot whatever the spread of the value space. */
static int auto_tau(prle_model *m, const prle_matrix *ztr)
{
    const prle_router_params *rp = &m->params.router;
    if (rp->type != PRLE_ROUTER_SOFTMAX || rp->tau_init != 0)
        return 0;
    size_t n = ztr->rows, np = m->np, bytes;
    float *w = NULL, *dist = NULL;
    int err;
    if (!prle__mul_ok(&bytes, n, np) || !prle__mul_ok(&bytes, bytes, sizeof(float)) ||
        !(w = malloc(bytes)) || !(dist = malloc(bytes))) {
        err = prle__error_nomem("model tau");
        goto done;
    }
    if ((err = prle_router_forward(w, dist, m->router, ztr)) < 0)
        goto done;
    prle_router_set_tau(m->router, prle_router_tau_for_top1(dist, n, np, rp->tau_top1));
done:
    free(w);
    free(dist);
    return err;
}

/* After an Adam step: tau clipped (written back), gate copied into the router. */
static void after_step(prle__trainer *t)
{
    prle_router *r = t->m->router;
    if (t->off_tau != SIZE_MAX)
        t->pb.params[t->off_tau] = (float)prle_router_set_tau(r, t->pb.params[t->off_tau]);
    if (t->n_gate)
        memcpy(prle_router_param_data(r), t->pb.params + t->off_gate, t->n_gate * sizeof(float));
}

static uint64_t noise_seed(uint64_t seed, uint64_t step)
{
    prle_rng g;
    prle_rng_init(&g, seed, "model.gumbel", step);
    return prle_rng_next(&g);
}

/* `p` is the caller's params: the model's copy has no callbacks. */
static int train_epochs(prle_model *m, const prle_matrix *zva, const prle_model_params *p,
                        const prle__fit_opts *o, fit_buffers *b, int nt, double t0)
{
    int err;
    prle__trainer *t = &b->tr;
    size_t n = t->z->rows, bs = p->batch_size < n ? p->batch_size : n;
    bool has_val = zva && zva->rows > 0;
    prle__adam_params ap = prle__adam_default_params();
    ap.lr = p->learning_rate;
    ap.weight_decay = p->weight_decay;
    double best = INFINITY;
    int bad = 0, epochs = p->max_epochs > 0 ? p->max_epochs : prle__epoch_budget(n, bs);
    uint64_t step = 0;
    for (int ep = 1; ep <= epochs; ep++) {
        double tic = prle__now();
        prle__phase phase = !p->loss.em_alt_training ? PRLE__PHASE_BOTH
                            : ep % 2                 ? PRLE__PHASE_EXPERTS
                                                     : PRLE__PHASE_GEOMETRY;
        /* the original freezes experts and router in its geometry phase: nothing trains */
        bool learn = p->loss.use_v2 || phase != PRLE__PHASE_GEOMETRY;
        prle__mix_coef c = prle__mix_coef_of(&p->loss, phase);
        if (t->off_tau != SIZE_MAX) /* annealing at the start of an epoch, as the original */
            t->pb.params[t->off_tau] = (float)prle_router_anneal(m->router);
        if (o && o->perm) {
            memcpy(b->perm, o->perm, n * sizeof *b->perm);
        } else {
            prle_rng shuf;
            prle_rng_init(&shuf, p->seed, "model.shuffle", (uint64_t)ep - 1);
            for (size_t i = 0; i < n; i++)
                b->perm[i] = i;
            prle_rng_shuffle(&shuf, b->perm, n);
        }
        prle_model_epoch e = {.epoch = ep};
        size_t nbatch = 0;
        for (size_t r0 = 0; r0 < n; r0 += bs, nbatch++) {
            size_t nb = n - r0 < bs ? n - r0 : bs;
            prle__mix_terms terms;
            if ((err = prle__trainer_step(t, &terms, b->perm + r0, nb, &c,
                                          noise_seed(p->seed, step), learn)) < 0)
                return err;
            if (learn) {
                step++;
                prle__adam_step(t->pb.params, t->pb.grads, t->pb.m, t->pb.v, t->pb.n, &ap, step, 1);
                after_step(t);
            }
            add_terms(&e, &terms);
        }
        scale_terms(&e, 1.0 / (double)nbatch);
        prle__trainer_sync(t);
        e.val_mse = e.val_mse_raw = NAN;
        if (has_val) {
            if ((err = val_mse(&e.val_mse, m, NULL, zva, b->yvs, b->yh, nt)) < 0)
                return err;
            e.val_mse_raw = e.val_mse * m->y_sd * m->y_sd;
        }
        if (!isfinite(e.loss) || (has_val && !isfinite(e.val_mse)))
            return prle__error_set(PRLE_EINVAL,
                                   "experts: training diverged at epoch %d (loss %g, validation "
                                   "MSE %g): lower train.learning_rate (now %g)",
                                   ep, e.loss, e.val_mse, p->learning_rate);
        e.tau = p->router.type == PRLE_ROUTER_SOFTMAX ? prle_router_tau(m->router) : NAN;
        e.improved = !has_val || e.val_mse < best - p->min_delta;
        if (e.improved) {
            best = has_val ? e.val_mse : best;
            bad = 0;
            m->kept_epoch = ep;
            if (has_val)
                memcpy(b->best, t->pb.params, t->pb.n * sizeof(float));
        } else {
            bad++;
        }
        e.seconds = prle__now() - tic;
        if ((err = report(p, &e, epochs, t0)) < 0)
            return err;
        if (has_val && p->patience > 0 && bad >= p->patience)
            break;
    }
    if (has_val) {
        memcpy(t->pb.params, b->best, t->pb.n * sizeof(float));
        prle__trainer_sync(t);
    }
    return 0;
}

/* The least-squares line of the validation labels on the model's validation predictions (both
 * standardised), folded into the output scale when its slope is positive: the raw prediction
 * mu + sd y becomes (mu + sd alpha) + sd beta y, i.e. a + b times the old one. Fixes the
 * experts' over- or under-dispersion and a shift between the training and validation labels;
 * a slope <= 0 (no signal on validation) leaves the model as trained, and so do fewer than
 * PRLE__RECAL_MIN_ROWS validation rows: the slope's standard error is about the residuals'
 * spread over the predictions', divided by sqrt(n), too loose below that to trust. */
static int recalibrate(prle_model *m, const prle_matrix *zv, const float *yvs, float *yh, int nt)
{
    size_t n = zv ? zv->rows : 0;
    if (n < PRLE__RECAL_MIN_ROWS)
        return 0;
    int err = prle__model_predict_blocks(yh, NULL, NULL, m, NULL, zv->data, n, false, nt);
    if (err < 0)
        return err;
    double mx = 0.0, my = 0.0, sxx = 0.0, sxy = 0.0;
    for (size_t i = 0; i < n; i++)
        mx += yh[i], my += yvs[i];
    mx /= (double)n, my /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double dx = yh[i] - mx;
        sxx += dx * dx, sxy += dx * ((double)yvs[i] - my);
    }
    double beta = sxx > 0.0 ? sxy / sxx : 0.0, alpha = my - beta * mx;
    if (!(beta > 0.0) || !isfinite(beta) || !isfinite(alpha))
        return 0;
    double mu = m->y_mean, sd = m->y_sd;
    m->y_mean = mu + sd * alpha;
    m->y_sd = sd * beta;
    m->recal_b = beta;
    m->recal_a = m->y_mean - beta * mu;
    return 0;
}

int prle__model_fit(prle_model **out, const prle_matrix *ztr, const float *ytr,
                    const prle_matrix *zva, const float *yva, const prle_model_params *p,
                    const prle__fit_opts *o)
{
    int err;
    prle_model *m = NULL;
    fit_buffers b = {0};
    if ((err = prle_model_params_check(p)) < 0)
        return err;
    if (!ztr || !ytr || ztr->rows == 0 || ztr->cols == 0)
        return prle__error_set(PRLE_EINVAL, "model: no training rows");
    size_t n = ztr->rows, d = ztr->cols, np = p->protos.n_prototypes;
    size_t nva = zva && yva ? zva->rows : 0;
    if (nva && zva->cols != d)
        return prle__error_set(
            PRLE_ESHAPE, "model: validation rows are %zu wide, training rows %zu", zva->cols, d);
    if (np > n)
        return prle__error_set(PRLE_EINVAL, "model: %zu prototypes but %zu training rows", np, n);
    if ((err = check_finite(ztr, ytr, n, "training")) < 0 ||
        (nva && (err = check_finite(zva, yva, nva, "validation")) < 0))
        return err;
    const prle_matrix *zv = nva ? zva : NULL;
    int nt = prle__threads_resolve(p->n_threads);
    double t0 = prle__now();
    if ((err = prle__model_alloc(&m, p, np, d)) < 0)
        goto done;
    label_stats(&m->y_mean, &m->y_sd, ytr, n);
    b.ys = malloc(n * sizeof *b.ys);
    b.yvs = malloc((nva ? nva : 1) * sizeof *b.yvs);
    b.yh = malloc((nva ? nva : 1) * sizeof *b.yh);
    b.a = malloc(np * sizeof *b.a);
    b.perm = malloc(n * sizeof *b.perm);
    b.anchor = malloc(n * sizeof *b.anchor);
    if (!b.ys || !b.yvs || !b.yh || !b.a || !b.perm || !b.anchor) {
        err = prle__error_nomem("model training");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        b.ys[i] = (float)((ytr[i] - m->y_mean) / m->y_sd);
        b.anchor[i] = -1;
    }
    for (size_t i = 0; i < nva; i++)
        b.yvs[i] = (float)((yva[i] - m->y_mean) / m->y_sd);

    if (o && o->proto_rows)
        memcpy(m->proto_rows, o->proto_rows, np * sizeof *m->proto_rows);
    else if ((err = prle_prototypes_select(m->proto_rows, NULL, ztr, &p->protos)) < 0)
        goto done;
    for (size_t q = 0; q < np; q++) {
        size_t row = m->proto_rows[q];
        if (row >= n || b.anchor[row] >= 0) {
            err = prle__error_set(PRLE_EINVAL, "model: prototype row %zu repeated or out of range",
                                  row);
            goto done;
        }
        memcpy(m->protos + q * d, prle_matrix_row(ztr, row), d * sizeof(float));
        b.anchor[row] = (ptrdiff_t)q;
        b.a[q] = b.ys[row];
    }
    if (p->type == PRLE_EXPERT_PROTO_RBF) {
        if ((err = fit_rbf(m, ztr, b.ys, zv, b.yvs, b.a, p, nt, t0)) < 0)
            goto done;
    } else {
        size_t bs = p->batch_size < n ? p->batch_size : n;
        /* a batch is too small to share: steps run on one thread, validation in parallel */
        if ((err = prle__model_make_router(m)) < 0 || (err = auto_tau(m, ztr)) < 0 ||
            (err = init_experts(m, ztr, b.ys, zv, b.yvs, o, &b, nt)) < 0 ||
            (err = prle__trainer_init(&b.tr, m, ztr, b.ys, b.anchor, b.a, bs, 1)) < 0)
            goto done;
        if (nva && !(b.best = malloc(b.tr.pb.n * sizeof *b.best))) {
            err = prle__error_nomem("model best epoch");
            goto done;
        }
        if ((err = train_epochs(m, zv, p, o, &b, nt, t0)) < 0)
            goto done;
    }
    if (o && o->recal_slope > 0) { /* a + b y about the mean: mu + sd f -> mu + b sd f */
        m->y_sd *= o->recal_slope;
        m->recal_b = o->recal_slope;
        m->recal_a = m->y_mean * (1.0 - o->recal_slope);
    } else if (p->recalibrate && (err = recalibrate(m, zv, b.yvs, b.yh, nt)) < 0)
        goto done;
    *out = m;
    m = NULL;
done:
    fit_buffers_dispose(&b);
    prle_model_free(m);
    return err;
}
