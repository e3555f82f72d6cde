/* Routers (SPEC.md §5): softmax with learnable, clipped, annealed tau; knn; radius; and the
 * entry points of mlp_sparse, whose gate lives in router_mlp.c.
 * Forward W = softmax over a selected set S of -s d (s = tau for softmax, 1 otherwise);
 * backward dL/dd_j = -s w_j (g_j - sum_l w_l g_l) with g = dL/dW, S held fixed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/threads.h"
#include "math/blas.h"
#include "prle/router_int.h"

static const char *const type_names[] = {"softmax", "knn", "radius", "mlp_sparse"};

prle_router_params prle_router_default_params(void)
{
    prle_router_params p = {0};
    p.type = PRLE_ROUTER_SOFTMAX;
    p.distance = PRLE_DIST_COSINE;
    p.tau_init = 0.0;
    p.tau_min = 0.5;
    p.tau_max = 1e4;
    p.tau_top1 = 0.7;
    p.tau_anneal = 1.0;
    p.knn_k = 3;
    p.radius_threshold = 0.5;
    p.gate_hidden = 64;
    p.gumbel_tau = 1.0;
    p.seed = 42;
    p.n_threads = 0;
    return p;
}

const char *prle_router_type_name(prle_router_type t)
{
    return (unsigned)t < 4 ? type_names[t] : "?";
}

int prle_router_params_from_config(prle_router_params *out, const prle_config *cfg)
{
    prle_router_params p = prle_router_default_params();
    const prle_model_config *m = &cfg->model;
    if (m->gating_strategy) {
        size_t t = 0;
        while (t < 4 && strcasecmp(m->gating_strategy, type_names[t]) != 0)
            t++;
        if (t == 4)
            return prle__error_set(PRLE_EINVAL, "model.gating_strategy: unknown value \"%s\"",
                                   m->gating_strategy);
        p.type = (prle_router_type)t;
    }
    if (m->distance) {
        if (strcasecmp(m->distance, "cosine") == 0)
            p.distance = PRLE_DIST_COSINE;
        else if (strcasecmp(m->distance, "euclidean") == 0)
            p.distance = PRLE_DIST_EUCLIDEAN;
        else
            return prle__error_set(PRLE_EINVAL, "model.distance: unknown value \"%s\"",
                                   m->distance);
    }
    if (m->knn_k < 1)
        return prle__error_set(PRLE_EINVAL, "model.knn_k must be >= 1, got %d", m->knn_k);
    if (m->activation_mlp_hidden_dim < 1)
        return prle__error_set(PRLE_EINVAL, "model.activation_mlp_hidden_dim must be >= 1, got %d",
                               m->activation_mlp_hidden_dim);
    if (cfg->train.threads < 0)
        return prle__error_set(PRLE_EINVAL, "train.threads must be >= 0, got %d",
                               cfg->train.threads);
    if (!(m->tau_max >= m->tau_min)) /* in the config's words; the rest below */
        return prle__error_set(PRLE_EINVAL, "model.tau_max (%g) must be >= model.tau_min (%g)",
                               m->tau_max, m->tau_min);
    p.tau_init = m->tau_init;
    p.tau_min = m->tau_min;
    p.tau_max = m->tau_max;
    p.tau_anneal = m->tau_anneal;
    p.tau_top1 = m->tau_top1;
    p.knn_k = (size_t)m->knn_k;
    p.radius_threshold = m->radius_threshold;
    p.gate_hidden = (size_t)m->activation_mlp_hidden_dim;
    p.seed = cfg->train.seed;
    p.n_threads = cfg->train.threads;
    *out = p;
    return 0;
}

int prle_router_params_check(const prle_router_params *p)
{
    if ((unsigned)p->type > PRLE_ROUTER_MLP_SPARSE)
        return prle__error_set(PRLE_EINVAL, "router.type: unknown value %d", (int)p->type);
    if ((unsigned)p->distance > PRLE_DIST_EUCLIDEAN)
        return prle__error_set(PRLE_EINVAL, "router.distance: unknown value %d", (int)p->distance);
    if (!(p->tau_min > 0) || !isfinite(p->tau_min))
        return prle__error_set(PRLE_EINVAL, "router.tau_min must be > 0, got %g", p->tau_min);
    if (!(p->tau_max >= p->tau_min) || !isfinite(p->tau_max))
        return prle__error_set(PRLE_EINVAL, "router.tau_max must be >= tau_min (%g), got %g",
                               p->tau_min, p->tau_max);
    if (!isfinite(p->tau_init) || p->tau_init < 0)
        return prle__error_set(
            PRLE_EINVAL, "router.tau_init must be >= 0 (0: from the data), got %g", p->tau_init);
    if (!(p->tau_top1 > 0 && p->tau_top1 < 1))
        return prle__error_set(PRLE_EINVAL, "router.tau_top1 must be in (0, 1), got %g",
                               p->tau_top1);
    if (!(p->tau_anneal > 0) || !isfinite(p->tau_anneal))
        return prle__error_set(PRLE_EINVAL, "router.tau_anneal must be > 0, got %g", p->tau_anneal);
    if (p->knn_k < 1)
        return prle__error_set(PRLE_EINVAL, "router.knn_k must be >= 1, got %zu", p->knn_k);
    if (!(p->radius_threshold >= 0) || !isfinite(p->radius_threshold))
        return prle__error_set(PRLE_EINVAL, "router.radius_threshold must be >= 0, got %g",
                               p->radius_threshold);
    if (p->type == PRLE_ROUTER_MLP_SPARSE && p->gate_hidden < 1)
        return prle__error_set(PRLE_EINVAL, "router.gate_hidden must be >= 1, got %zu",
                               p->gate_hidden);
    if (!(p->gumbel_tau > 0) || !isfinite(p->gumbel_tau))
        return prle__error_set(PRLE_EINVAL, "router.gumbel_tau must be > 0, got %g", p->gumbel_tau);
    if (p->n_threads < 0)
        return prle__error_set(PRLE_EINVAL, "router.n_threads must be >= 0, got %d", p->n_threads);
    return 0;
}

static double clip(const prle_router_params *p, double tau)
{
    return tau < p->tau_min ? p->tau_min : tau > p->tau_max ? p->tau_max : tau;
}

static float nearest(const float *d, size_t np)
{
    float lo = d[0];
    for (size_t j = 1; j < np; j++)
        lo = d[j] < lo ? d[j] : lo;
    return lo;
}

/* Mean of the largest weight of softmax(-tau d_i), 1 / sum_j exp(-tau (d_ij - min)), over the
 * rows whose nearest prototype lies farther than `eps`; 1 when there are none. */
static double mean_top1(const float *dist, size_t n, size_t np, double tau, double eps)
{
    double acc = 0.0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const float *d = dist + i * np;
        float lo = nearest(d, np);
        if (lo <= eps)
            continue;
        double s = 0.0;
        for (size_t j = 0; j < np; j++)
            s += exp(-tau * ((double)d[j] - lo));
        acc += 1.0 / s;
        used++;
    }
    return used ? acc / (double)used : 1.0;
}

/* Rows on a prototype (its own row, every row of the same text) are left out of the mean: the
 * gap to their second-nearest prototype is a whole distance between prototypes, so their
 * largest weight is near 1 at a tau that leaves the other rows' weights spread, and many of
 * them (a set where half the texts are one phrase) would hold tau low for all the others. */
#define ON_PROTOTYPE 1e-4 /* of the mean distance between a row and a prototype */

double prle_router_tau_for_top1(const float *dist, size_t n, size_t np, double top1)
{
    double lo = log(1e-3), hi = log(1e7), mean = 0.0;
    if (n == 0 || np < 2)
        return exp(lo);
    for (size_t e = 0; e < n * np; e++)
        mean += dist[e];
    double eps = ON_PROTOTYPE * mean / (double)(n * np);
    if (mean_top1(dist, n, np, exp(lo), eps) >= top1)
        return exp(lo);
    if (mean_top1(dist, n, np, exp(hi), eps) <= top1)
        return exp(hi);
    while (hi - lo > 1e-4) {
        double mid = 0.5 * (lo + hi);
        if (mean_top1(dist, n, np, exp(mid), eps) < top1)
            lo = mid;
        else
            hi = mid;
    }
    return exp(0.5 * (lo + hi));
}

int prle_router_new(prle_router **out, const prle_matrix *protos, const prle_router_params *p)
{
    int err;
    prle_router *r = NULL;
    if ((err = prle_router_params_check(p)) < 0)
        return err;
    size_t np = protos->rows, d = protos->cols, bytes;
    if (np == 0 || d == 0)
        return prle__error_set(PRLE_EINVAL, "router: no prototypes (%zu, %zu)", np, d);
    if (!prle__mul_ok(&bytes, np, d) || !prle__mul_ok(&bytes, bytes, sizeof(float)))
        return prle__error_nomem("router prototypes");
    for (size_t i = 0; i < np * d; i++)
        if (!isfinite(protos->data[i]))
            return prle__error_set(PRLE_EINVAL, "router: prototype %zu has a non-finite value",
                                   i / d);
    if (!(r = calloc(1, sizeof *r)) || !(r->protos = malloc(bytes)) || !(r->unit = malloc(bytes)) ||
        !(r->usq = malloc(np * sizeof *r->usq)) ||
        !(r->packed = malloc(prle__gemm_rows_pack_floats(np, d) * sizeof *r->packed))) {
        err = prle__error_nomem("router");
        goto done;
    }
    r->p = *p;
    r->np = np;
    r->d = d;
    r->tau = clip(p, p->tau_init);
    memcpy(r->protos, protos->data, bytes);
    for (size_t j = 0; j < np; j++) {
        const float *u = r->protos + j * d;
        double s = 0;
        for (size_t t = 0; t < d; t++)
            s += (double)u[t] * u[t];
        r->usq[j] = (float)s;
        double inv = s > 0 ? 1.0 / sqrt(s) : 0.0;
        for (size_t t = 0; t < d; t++)
            r->unit[j * d + t] = (float)(u[t] * inv);
    }
    prle__gemm_rows_pack(r->packed, p->distance == PRLE_DIST_COSINE ? r->unit : r->protos, d, false,
                         np, d);
    if (p->type == PRLE_ROUTER_MLP_SPARSE && (err = prle__router_gate_init(r)) < 0)
        goto done;
    *out = r;
    r = NULL;
done:
    prle_router_free(r);
    return err;
}

void prle_router_free(prle_router *r)
{
    if (!r)
        return;
    free(r->protos);
    free(r->unit);
    free(r->packed);
    free(r->usq);
    free(r->gate);
    free(r);
}

size_t prle_router_n_prototypes(const prle_router *r)
{
    return r->np;
}

size_t prle_router_dim(const prle_router *r)
{
    return r->d;
}

double prle_router_tau(const prle_router *r)
{
    return r->tau;
}

double prle_router_set_tau(prle_router *r, double tau)
{
    if (isfinite(tau))
        r->tau = clip(&r->p, tau);
    return r->tau;
}

double prle_router_anneal(prle_router *r)
{
    r->tau = clip(&r->p, r->tau * r->p.tau_anneal);
    return r->tau;
}

double prle_router_tau_schedule(const prle_router_params *p, int epochs)
{
    double tau = clip(p, p->tau_init);
    for (int e = 0; e < epochs; e++)
        tau = clip(p, tau * p->tau_anneal);
    return tau;
}

/* Distances of one row z (D) to every prototype, from dot (P) = z . unit_j (cosine) or
 * z . u_j (Euclidean), in place. */
static void row_dist(float *dist, const float *z, const prle_router *r)
{
    size_t d = r->d;
    double zz = 0;
    for (size_t t = 0; t < d; t++)
        zz += (double)z[t] * z[t];
    for (size_t j = 0; j < r->np; j++) {
        if (r->p.distance == PRLE_DIST_COSINE) {
            dist[j] = zz > 0 ? (float)(1.0 - dist[j] / sqrt(zz)) : 1.0f;
        } else {
            double base = zz + r->usq[j], v = base - 2.0 * dist[j];
            if (v < 1e-2 * base) { /* cancellation: recompute from the difference */
                const float *u = r->protos + j * d;
                v = 0;
                for (size_t t = 0; t < d; t++) {
                    double e = (double)z[t] - u[t];
                    v += e * e;
                }
            }
            dist[j] = (float)sqrt(v > 0 ? v : 0);
        }
    }
}

/* Marks the selected set of one row into sel (P) and returns the logit scale. */
static double select_row(bool *sel, const float *dist, const prle_router *r)
{
    size_t np = r->np;
    if (r->p.type == PRLE_ROUTER_SOFTMAX) {
        for (size_t j = 0; j < np; j++)
            sel[j] = true;
        return r->tau;
    }
    for (size_t j = 0; j < np; j++)
        sel[j] = false;
    if (r->p.type == PRLE_ROUTER_KNN) {
        size_t k = r->p.knn_k < np ? r->p.knn_k : np;
        for (size_t c = 0; c < k; c++) { /* k passes of "nearest not yet taken", ties by index */
            size_t b = SIZE_MAX;
            for (size_t j = 0; j < np; j++)
                if (!sel[j] && (b == SIZE_MAX || dist[j] < dist[b]))
                    b = j;
            sel[b] = true;
        }
    } else {
        bool any = false;
        size_t b = 0;
        for (size_t j = 0; j < np; j++) {
            sel[j] = dist[j] <= r->p.radius_threshold;
            any |= sel[j];
            if (dist[j] < dist[b])
                b = j;
        }
        if (!any)
            sel[b] = true;
    }
    return 1.0;
}

/* The forward of every router; noise_seed (mlp_sparse only) NULL means evaluation. */
static int forward(float *w_out, float *dist_out, const prle_router *r, const prle_matrix *z,
                   const uint64_t *noise_seed)
{
    int err = 0;
    size_t n = z->rows, np = r->np, d = r->d, bytes;
    float *dist = dist_out;
    bool *sel = NULL;
    if (z->cols != d)
        return prle__error_set(PRLE_ESHAPE, "router: rows of width %zu, prototypes of width %zu",
                               z->cols, d);
    if (n == 0)
        return 0;
    if (!prle__mul_ok(&bytes, n, np) || !prle__mul_ok(&bytes, bytes, sizeof(float)) ||
        (!dist && !(dist = malloc(bytes))) ||
        (r->p.type != PRLE_ROUTER_MLP_SPARSE && !(sel = malloc(n * np * sizeof *sel)))) {
        err = prle__error_nomem("router forward");
        goto done;
    }
    int nt = prle__threads_resolve(r->p.n_threads);
    /* row by row: a row's weights are the same bits alone or in any batch */
    prle__gemm_rows_packed(n, np, d, z->data, d, r->packed, dist, np, nt);
    (void)nt;
    if (r->p.type == PRLE_ROUTER_MLP_SPARSE) {
#pragma omp parallel for schedule(static) num_threads(nt) if (n * np * d >= 65536)
        for (size_t i = 0; i < n; i++)
            row_dist(dist + i * np, z->data + i * d, r);
        err = prle__router_mlp_forward(w_out, dist, r, z, noise_seed);
        goto done;
    }
#pragma omp parallel for schedule(static) num_threads(nt) if (n * np * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        float *di = dist + i * np, *wi = w_out + i * np;
        bool *si = sel + i * np;
        row_dist(di, z->data + i * d, r);
        double s = select_row(si, di, r), lo = INFINITY;
        for (size_t j = 0; j < np; j++)
            if (si[j] && di[j] < lo)
                lo = di[j];
        double sum = 0;
        for (size_t j = 0; j < np; j++) {
            double e = si[j] ? exp(-s * ((double)di[j] - lo)) : 0.0;
            wi[j] = (float)e;
            sum += e;
        }
        for (size_t j = 0; j < np; j++)
            wi[j] = (float)(wi[j] / sum);
    }
done:
    if (dist != dist_out)
        free(dist);
    free(sel);
    return err;
}

int prle_router_forward(float *w_out, float *dist_out, const prle_router *r, const prle_matrix *z)
{
    return forward(w_out, dist_out, r, z, NULL);
}

int prle_router_forward_train(float *w_out, float *dist_out, const prle_router *r,
                              const prle_matrix *z, uint64_t noise_seed)
{
    return forward(w_out, dist_out, r, z, &noise_seed);
}

void prle__router_dist_grad(float *dzi, const float *zi, const double *gd, const float *di,
                            const prle_router *r)
{
    size_t d = r->d;
    double zz = 0;
    for (size_t t = 0; t < d; t++)
        zz += (double)zi[t] * zi[t];
    double zn = sqrt(zz), coef_z = 0;
    for (size_t j = 0; j < r->np; j++) {
        if (gd[j] == 0)
            continue;
        if (r->p.distance == PRLE_DIST_COSINE) {
            /* d = 1 - cos: dd/dz = -(u_hat - cos z/|z|) / |z| */
            if (zn == 0)
                continue;
            double cosv = 1.0 - di[j], a = -gd[j] / zn;
            const float *u = r->unit + j * d;
            for (size_t t = 0; t < d; t++)
                dzi[t] += (float)(a * u[t]);
            coef_z += gd[j] * cosv / zz;
        } else {
            /* d = |z - u|: dd/dz = (z - u) / d */
            if (di[j] == 0)
                continue;
            double a = gd[j] / di[j];
            const float *u = r->protos + j * d;
            for (size_t t = 0; t < d; t++)
                dzi[t] -= (float)(a * u[t]);
            coef_z += a;
        }
    }
    for (size_t t = 0; t < d; t++)
        dzi[t] += (float)(coef_z * zi[t]);
}

static int check_width(const prle_router *r, const prle_matrix *z)
{
    if (z->cols != r->d)
        return prle__error_set(PRLE_ESHAPE, "router: rows of width %zu, prototypes of width %zu",
                               z->cols, r->d);
    return 0;
}

int prle_router_backward(float *dz, double *dtau, const prle_router *r, const prle_matrix *z,
                         const float *dw, const float *w, const float *dist)
{
    int err;
    size_t n = z->rows, np = r->np, d = r->d, bytes;
    double *rowtau = NULL, *gd = NULL;
    if ((err = check_width(r, z)) < 0)
        return err;
    if (n == 0)
        return 0;
    if (r->p.type == PRLE_ROUTER_MLP_SPARSE) /* no tau: dtau gets 0 added */
        return dz ? prle__router_mlp_backward(dz, NULL, r, z, dw, w, dist) : 0;
    bool soft = r->p.type == PRLE_ROUTER_SOFTMAX;
    double s = soft ? r->tau : 1.0;
    if ((dtau && soft && !(rowtau = malloc(n * sizeof *rowtau))) ||
        (dz && (!prle__mul_ok(&bytes, n, np) || !prle__mul_ok(&bytes, bytes, sizeof *gd) ||
                !(gd = malloc(bytes))))) {
        err = prle__error_nomem("router backward");
        goto done;
    }
    int nt = prle__threads_resolve(r->p.n_threads);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * np * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *gi = dw + i * np, *wi = w + i * np, *di = dist + i * np;
        double gbar = 0, gt = 0;
        for (size_t j = 0; j < np; j++)
            gbar += (double)wi[j] * gi[j];
        for (size_t j = 0; j < np; j++)
            gt -= (double)di[j] * wi[j] * (gi[j] - gbar);
        if (rowtau)
            rowtau[i] = gt;
        if (!dz)
            continue;
        double *gdi = gd + i * np;
        for (size_t j = 0; j < np; j++)
            gdi[j] = -s * wi[j] * (gi[j] - gbar); /* dL/dd_j */
        prle__router_dist_grad(dz + i * d, z->data + i * d, gdi, di, r);
    }
    if (dtau) {
        double acc = 0;
        for (size_t i = 0; rowtau && i < n; i++) /* in row order: independent of threads */
            acc += rowtau[i];
        *dtau += acc;
    }
done:
    free(rowtau);
    free(gd);
    return err;
}

size_t prle_router_n_params(const prle_router *r)
{
    return r->n_gate;
}

float *prle_router_param_data(prle_router *r)
{
    return r->n_gate ? r->gate : NULL;
}

int prle_router_backward_params(float *dparams, const prle_router *r, const prle_matrix *z,
                                const float *dw, const float *w, const float *dist)
{
    int err;
    if ((err = check_width(r, z)) < 0)
        return err;
    if (r->p.type != PRLE_ROUTER_MLP_SPARSE || z->rows == 0 || !dparams)
        return 0;
    return prle__router_mlp_backward(NULL, dparams, r, z, dw, w, dist);
}
