/* Stage-2 inference (SPEC.md §6): y_hat = sum_p W_p(z) E_p(z) in fixed blocks of rows spread
 * over threads, and the explanation of one row by its largest contributions W_p |E_p|. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "math/blas.h"
#include "prle/model_int.h"
#include "prle/proto_rbf.h"
#include "prle/router.h"

/* Rows per block: fixed, so the split (and every bit of the result) does not depend on the
 * thread count. */
#define PREDICT_BLOCK 256

int prle__model_forward(float *yhat, float *w, float *e, const prle_model *m, const float *params,
                        const float *z, size_t n, int nt)
{
    int err = 0;
    size_t np = m->np, d = m->d, bytes;
    float *wb = w, *eb = e, *act = NULL;
    if (n == 0)
        return 0;
    if (!prle__mul_ok(&bytes, n, np) || !prle__mul_ok(&bytes, bytes, sizeof(float)) ||
        (!wb && !(wb = malloc(bytes))) || (!eb && !(eb = malloc(bytes)))) {
        err = prle__error_nomem("model forward");
        goto done;
    }
    prle_matrix zm = {.data = (float *)z, .rows = n, .cols = d};
    if (m->params.type == PRLE_EXPERT_PROTO_RBF) {
        prle_matrix pm = {.data = m->protos, .rows = np, .cols = d};
        if ((err = prle__rbf_weights(wb, &pm, &zm, m->rbf_tau, nt)) < 0)
            goto done;
        for (size_t i = 0; i < n; i++)
            memcpy(eb + i * np, m->rbf_beta, np * sizeof(float));
    } else {
        size_t na = prle__experts_act_floats(&m->ex, n);
        if (!prle__mul_ok(&bytes, na, sizeof(float)) || !(act = malloc(bytes))) {
            err = prle__error_nomem("model forward");
            goto done;
        }
        if ((err = prle_router_forward(wb, NULL, m->router, &zm)) < 0)
            goto done;
        prle__experts_forward(eb, act, &m->ex, params ? params : m->ex_params, z, n, nt);
    }
    for (size_t i = 0; yhat && i < n; i++) {
        double s = 0;
        for (size_t p = 0; p < np; p++)
            s += (double)wb[i * np + p] * eb[i * np + p];
        yhat[i] = (float)s;
    }
done:
    if (wb != w)
        free(wb);
    if (eb != e)
        free(eb);
    free(act);
    return err;
}

/* The first row of z (n, d) holding a NaN or infinity, or n. */
static size_t first_bad_row(const float *z, size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < d; k++)
            if (!isfinite(z[i * d + k]))
                return i;
    return n;
}

/* Raw-scale local predictions and y_hat = sum_p w e_raw of one block. */
static void to_raw(float *yhat, float *e, const float *w, const prle_model *m, size_t n)
{
    size_t np = m->np;
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t p = 0; p < np; p++) {
            float er = (float)(e[i * np + p] * m->y_sd + m->y_mean);
            e[i * np + p] = er;
            s += (double)w[i * np + p] * er;
        }
        yhat[i] = (float)s;
    }
}

/* The neighbour term of one block (prle_model_set_neighbour_weight): each local prediction
 * e becomes (1 - lambda) e + lambda c, c = (col - mu) / sd the row's column on the scale of e,
 * col[i * ld]; y_hat = sum_p w e again. */
static void fold_neighbours(float *yhat, float *e, const float *w, const prle_model *m,
                            const float *col, size_t ld, double mu, double sd, size_t n)
{
    size_t np = m->np;
    double lam = m->nb_weight;
    for (size_t i = 0; i < n; i++) {
        double c = ((double)col[i * ld] - mu) / sd, s = 0;
        for (size_t p = 0; p < np; p++) {
            float f = (float)((1 - lam) * e[i * np + p] + lam * c);
            e[i * np + p] = f;
            s += (double)w[i * np + p] * f;
        }
        yhat[i] = (float)s;
    }
}

int prle__model_predict_blocks(float *yhat, float *w_out, float *e_out, const prle_model *m,
                               const float *params, const float *z, size_t n, bool raw, int nt)
{
    size_t np = m->np, d = m->d, ld = prle_model_in_dim(m);
    size_t nblk = (n + PREDICT_BLOCK - 1) / PREDICT_BLOCK;
    bool failed = false;
    /* one pin for every block: the pins of the small products inside only count (math/blas.h) */
    prle__blas_pin_serial();
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nblk > 1)
    for (size_t b = 0; b < nblk; b++) {
        size_t r0 = b * PREDICT_BLOCK, nb = n - r0 < PREDICT_BLOCK ? n - r0 : PREDICT_BLOCK;
        float *wb = w_out ? w_out + r0 * np : malloc(nb * np * sizeof(float));
        float *eb = e_out ? e_out + r0 * np : malloc(nb * np * sizeof(float));
        const float *zb = z + r0 * ld;
        float *zc = NULL; /* the block's value columns, without the neighbour column */
        if (ld != d && (zc = malloc(nb * d * sizeof(float))))
            for (size_t i = 0; i < nb; i++)
                memcpy(zc + i * d, zb + i * ld, d * sizeof(float));
        if (!wb || !eb || (ld != d && !zc) ||
            prle__model_forward(raw ? NULL : yhat + r0, wb, eb, m, params, zc ? zc : zb, nb, 1) <
                0) {
            failed = true; /* only ENOMEM: reported below, on the caller's thread */
        } else {
            if (raw)
                to_raw(yhat + r0, eb, wb, m, nb);
            if (ld != d)
                fold_neighbours(yhat + r0, eb, wb, m, zb + d, ld, raw ? 0.0 : m->y_mean,
                                raw ? 1.0 : m->y_sd, nb);
        }
        if (!w_out)
            free(wb);
        if (!e_out)
            free(eb);
        free(zc);
    }
    prle__blas_unpin();
    return failed ? prle__error_nomem("model predict") : 0;
}

int prle_model_predict(float *yhat, float *w_out, float *e_out, const prle_model *m,
                       const prle_matrix *z)
{
    size_t n = z->rows, d = prle_model_in_dim(m);
    if (z->cols != d)
        return prle__error_set(PRLE_ESHAPE, "model: rows of width %zu, the model expects %zu%s",
                               z->cols, d,
                               d > m->d ? " (its value space and the neighbour column)" : "");
    size_t bad = first_bad_row(z->data, n, d);
    if (bad < n)
        return prle__error_set(PRLE_EINVAL, "model: row %zu has a non-finite value", bad);
    return prle__model_predict_blocks(yhat, w_out, e_out, m, NULL, z->data, n, true,
                                      prle__threads_resolve(m->params.n_threads));
}

typedef struct ranked {
    double score;
    size_t slot;
} ranked;

static int by_score(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* One row's explanation from its weights w and raw local predictions e (P each) and its
 * prediction y: the kk heaviest prototypes into items, the rest's contribution and weight. */
static void rank_row(prle_explain_item *items, float *rest, float *rest_weight, ranked *order,
                     const prle_model *m, const float *w, const float *e, float y, size_t kk)
{
    size_t np = m->np;
    double all = 0;
    for (size_t p = 0; p < np; p++) {
        order[p] = (ranked){(double)w[p], p}; /* the heaviest prototypes explain it */
        all += w[p];
    }
    if (kk > 8) {
        qsort(order, np, sizeof *order, by_score);
    } else { /* a few passes of "best of the rest" beat a sort */
        for (size_t i = 0; i < kk; i++) {
            size_t b = i;
            for (size_t j = i + 1; j < np; j++)
                if (by_score(&order[j], &order[b]) < 0)
                    b = j;
            ranked t = order[i];
            order[i] = order[b];
            order[b] = t;
        }
    }
    double shown = 0, listed = 0;
    for (size_t i = 0; i < kk; i++) {
        size_t p = order[i].slot;
        float c = (float)((double)w[p] * e[p]);
        items[i] = (prle_explain_item){p, m->proto_rows[p], w[p], e[p], c};
        shown += c;
        listed += w[p];
    }
    *rest = (float)((double)y - shown);
    if (rest_weight)
        *rest_weight = kk < np && all > listed ? (float)(all - listed) : 0.0f;
}

size_t prle_model_explain(prle_explain_item *items, float *rest, float *yhat, const prle_model *m,
                          const float *z, size_t k)
{
    size_t np = m->np, d = prle_model_in_dim(m), got = 0;
    float *w = malloc(np * sizeof *w), *e = malloc(np * sizeof *e), y;
    ranked *order = malloc(np * sizeof *order);
    *rest = NAN;
    *yhat = NAN;
    if (!w || !e || !order) {
        prle__error_nomem("model explain");
        goto done;
    }
    if (first_bad_row(z, 1, d) < 1) {
        prle__error_set(PRLE_EINVAL, "model explain: the row has a non-finite value");
        goto done;
    }
    prle__blas_pin_serial(); /* once for the row's small products (math/blas.h) */
    int ferr = prle__model_forward(NULL, w, e, m, NULL, z, 1, 1);
    prle__blas_unpin();
    if (ferr < 0)
        goto done;
    to_raw(&y, e, w, m, 1);
    if (d > m->d)
        fold_neighbours(&y, e, w, m, z + m->d, d, 0.0, 1.0, 1);
    got = k < np ? k : np;
    rank_row(items, rest, NULL, order, m, w, e, y, got);
    *yhat = y;
done:
    free(w);
    free(e);
    free(order);
    return got;
}

int prle_model_explain_rows(prle_explain_item *items, float *rest, float *rest_weight, float *yhat,
                            const prle_model *m, const prle_matrix *z, size_t k)
{
    size_t n = z->rows, np = m->np, kk = k < np ? k : np, nw;
    if (k == 0)
        return prle__error_set(PRLE_EINVAL, "model explain: k = 0 prototypes");
    if (!prle__mul_ok(&nw, n ? n : 1, np))
        return prle__error_nomem("model explain");
    float *w = malloc(nw * sizeof *w), *e = malloc(nw * sizeof *e);
    ranked *order = malloc(np * sizeof *order);
    int err = (!w || !e || !order) ? prle__error_nomem("model explain") : 0;
    if (err == 0 && n)
        err = prle_model_predict(yhat, w, e, m, z); /* one batched forward, the same bits */
    for (size_t i = 0; err == 0 && i < n; i++)
        rank_row(items + i * kk, rest + i, rest_weight ? rest_weight + i : NULL, order, m,
                 w + i * np, e + i * np, yhat[i], kk);
    free(w), free(e), free(order);
    return err;
}
