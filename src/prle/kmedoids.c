/* k-medoids in value space: blocked distances, k-medoids++ seeding, FasterPAM and alternate.
 * Memory is O(n (p + BLK)) floats: the medoids' distance rows and one block of candidate rows;
 * no (n, n) matrix is ever formed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/progress.h"
#include "math/blas.h"
#include "prle/matrix.h"
#include "prle/prototypes_int.h"

#define BLK 256       /* candidate rows whose distance rows are computed at once */
#define BLK_FULL 1024 /* row blocks of the upper triangle (bigger products run faster) */

void prle__proto_sqnorms(float *sq_out, const float *a, size_t n, size_t d, int n_threads)
{
    int nt = n_threads;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *r = a + i * d;
        double s = 0;
        for (size_t t = 0; t < d; t++)
            s += (double)r[t] * r[t];
        sq_out[i] = (float)s;
    }
}

void prle__proto_dist(float *out, size_t ldo, const float *a, const float *sqa, size_t m,
                      const float *b, const float *sqb, size_t nb, size_t d, int n_threads)
{
    /* one product for the whole block: OpenBLAS splits the output, not the inner sum, so the
       values do not depend on its thread count; our loop below only post-processes rows */
    prle__sgemm(false, true, m, nb, d, -2.0f, a, d, b, d, 0.0f, out, ldo);
    int nt = n_threads;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (m * nb >= 16384)
    for (size_t i = 0; i < m; i++) {
        float *oi = out + i * ldo, si = sqa[i];
        for (size_t j = 0; j < nb; j++) {
            float base = si + sqb[j], v = oi[j] + base;
            oi[j] = v < 1e-2f * base ? -1.0f : sqrtf(v);
        }
        for (size_t j = 0; j < nb; j++) {
            if (oi[j] >= 0)
                continue;
            /* cancellation: recompute from the difference (identical rows give 0) */
            const float *ai = a + i * d, *bj = b + j * d;
            double v = 0;
            for (size_t t = 0; t < d; t++) {
                double e = (double)ai[t] - bj[t];
                v += e * e;
            }
            oi[j] = (float)sqrt(v);
        }
    }
}

void prle__proto_dist_full(float *full, const float *x, const float *sq, size_t n, size_t d,
                           int n_threads)
{
    for (size_t c0 = 0; c0 < n; c0 += BLK_FULL) {
        size_t b = n - c0 < BLK_FULL ? n - c0 : BLK_FULL;
        prle__proto_dist(full + c0 * n + c0, n, x + c0 * d, sq + c0, b, x + c0 * d, sq + c0, n - c0,
                         d, n_threads);
    }
    /* lower triangle from the upper one, in 64 x 64 tiles */
    size_t nt_ = (n + 63) / 64;
    int nt = n_threads;
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (n >= 256)
    for (size_t ti = 0; ti < nt_; ti++)
        for (size_t tj = 0; tj <= ti; tj++)
            for (size_t i = ti * 64; i < n && i < ti * 64 + 64; i++)
                for (size_t j = tj * 64; j < i && j < tj * 64 + 64; j++)
                    full[i * n + j] = full[j * n + i];
}

/* Distance row of data row r against all n rows into out (n). */
static void dist_row(float *out, const prle__kmed_ctx *c, size_t r)
{
    if (c->full)
        memcpy(out, c->full + r * c->n, c->n * sizeof *out);
    else
        prle__proto_dist(out, c->n, c->x + r * c->d, c->sq + r, 1, c->x, c->sq, c->n, c->d,
                         c->n_threads);
}

/* (d1, r1) before (d2, r2): smaller distance, then lower row index. */
static inline bool before(float d1, size_t r1, float d2, size_t r2)
{
    return d1 < d2 || (d1 == d2 && r1 < r2);
}

int prle__kmedoids_seed(size_t *med, float *dm, const prle__kmed_ctx *c, prle_rng *rng)
{
    int err = 0;
    size_t n = c->n, p = c->p;
    size_t trials = 2 + (size_t)floor(log((double)p));
    float *mind = malloc(n * sizeof *mind);
    float *cand = malloc(trials * n * sizeof *cand);
    bool *used = calloc(n, sizeof *used);
    if (!mind || !cand || !used) {
        err = prle__error_nomem("k-medoids++ seeding");
        goto done;
    }
    med[0] = (size_t)prle_rng_below(rng, n);
    used[med[0]] = true;
    dist_row(dm, c, med[0]);
    memcpy(mind, dm, n * sizeof *mind);
    for (size_t j = 1; j < p; j++) {
        double pot = 0;
        for (size_t o = 0; o < n; o++)
            pot += (double)mind[o] * mind[o];
        size_t pick[64];
        if (trials > 64)
            trials = 64;
        for (size_t t = 0; t < trials; t++) {
            size_t r = SIZE_MAX;
            if (pot > 0) {
                double u = prle_rng_uniform(rng) * pot, cum = 0;
                for (size_t o = 0; o < n; o++) {
                    if (used[o])
                        continue;
                    cum += (double)mind[o] * mind[o];
                    r = o;
                    if (cum > u)
                        break;
                }
            }
            if (r == SIZE_MAX || used[r]) /* all left are duplicates: lowest unused row */
                for (r = 0; used[r]; r++)
                    ;
            pick[t] = r;
            dist_row(cand + t * n, c, r);
        }
        size_t best = 0;
        double best_pot = INFINITY;
        for (size_t t = 0; t < trials; t++) {
            const float *ct = cand + t * n;
            double s = 0;
            for (size_t o = 0; o < n; o++) {
                double v = ct[o] < mind[o] ? ct[o] : mind[o];
                s += v * v;
            }
            if (s < best_pot) {
                best_pot = s;
                best = t;
            }
        }
        med[j] = pick[best];
        used[med[j]] = true;
        memcpy(dm + j * n, cand + best * n, n * sizeof *dm);
        for (size_t o = 0; o < n; o++)
            if (dm[j * n + o] < mind[o])
                mind[o] = dm[j * n + o];
    }
done:
    free(mind);
    free(cand);
    free(used);
    return err;
}

/* Nearest and second-nearest medoid slot of every row from dm (p, n); ties by row index. */
static void nearest2(uint32_t *near, float *dn, uint32_t *sec, float *ds, const float *dm,
                     const size_t *med, size_t n, size_t p, int n_threads)
{
    int nt = n_threads;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * p >= 65536)
    for (size_t o = 0; o < n; o++) {
        uint32_t a = 0, b = UINT32_MAX;
        float da = dm[o], db = INFINITY;
        for (size_t j = 1; j < p; j++) {
            float v = dm[j * n + o];
            if (before(v, med[j], da, med[a])) {
                b = a, db = da;
                a = (uint32_t)j, da = v;
            } else if (b == UINT32_MAX || before(v, med[j], db, med[b])) {
                b = (uint32_t)j, db = v;
            }
        }
        near[o] = a, dn[o] = da, sec[o] = b, ds[o] = db;
    }
}

/* Best slot of row o among all but `excl` (UINT32_MAX if p == 1). */
static uint32_t scan_second(float *d_out, const float *dm, const size_t *med, size_t n, size_t p,
                            size_t o, uint32_t excl)
{
    uint32_t b = UINT32_MAX;
    float db = INFINITY;
    for (size_t j = 0; j < p; j++) {
        float v = dm[j * n + o];
        if (j != excl && (b == UINT32_MAX || before(v, med[j], db, med[b])))
            b = (uint32_t)j, db = v;
    }
    *d_out = db;
    return b;
}

/* After slot i became row med[i] with distance row `row`: the nearest and second-nearest of
 * every row, as nearest2 would compute them, touching dm only where slot i was one of them
 * (Schubert & Rousseeuw 2021, Alg. 4 "doSwap"). */
static void swap_update(uint32_t *near, float *dn, uint32_t *sec, float *ds, const float *dm,
                        const size_t *med, size_t n, size_t p, uint32_t i, const float *row)
{
    size_t c = med[i];
    for (size_t o = 0; o < n; o++) {
        float djo = row[o];
        if (near[o] == i) {
            if (sec[o] == UINT32_MAX || before(djo, c, ds[o], med[sec[o]])) {
                dn[o] = djo;
            } else {
                near[o] = sec[o], dn[o] = ds[o];
                sec[o] = scan_second(&ds[o], dm, med, n, p, o, near[o]);
            }
        } else if (sec[o] == i) {
            if (before(djo, c, dn[o], med[near[o]])) {
                sec[o] = near[o], ds[o] = dn[o];
                near[o] = i, dn[o] = djo;
            } else {
                sec[o] = scan_second(&ds[o], dm, med, n, p, o, near[o]);
            }
        } else if (before(djo, c, dn[o], med[near[o]])) {
            sec[o] = near[o], ds[o] = dn[o];
            near[o] = i, dn[o] = djo;
        } else if (sec[o] == UINT32_MAX || before(djo, c, ds[o], med[sec[o]])) {
            sec[o] = i, ds[o] = djo;
        }
    }
}

int prle__kmedoids_fasterpam(size_t *med, float *dm, const prle__kmed_ctx *c)
{
    int err = 0;
    size_t n = c->n, p = c->p, d = c->d;
    uint32_t *near = malloc(n * sizeof *near), *sec = malloc(n * sizeof *sec);
    float *dn = malloc(n * sizeof *dn), *ds = malloc(n * sizeof *ds);
    float *blk = c->full ? NULL : malloc((size_t)BLK * n * sizeof *blk);
    double *removal = malloc(p * sizeof *removal), *delta = malloc(p * sizeof *delta);
    bool *is_med = calloc(n, sizeof *is_med);
    double t0 = prle__now();
    if (!near || !sec || !dn || !ds || (!blk && !c->full) || !removal || !delta || !is_med) {
        err = prle__error_nomem("fasterpam");
        goto done;
    }
    for (size_t j = 0; j < p; j++)
        is_med[med[j]] = true;
    nearest2(near, dn, sec, ds, dm, med, n, p, c->n_threads);
    double loss = 0;
    for (size_t o = 0; o < n; o++)
        loss += dn[o];
    for (size_t j = 0; j < p; j++) /* removal loss: what dropping slot j alone costs */
        removal[j] = 0;
    if (p > 1)
        for (size_t o = 0; o < n; o++)
            removal[near[o]] += (double)ds[o] - dn[o];

    size_t xlast = SIZE_MAX, swaps = 0;
    for (int it = 0; it < c->max_iter && n > p; it++) {
        size_t swaps_before = swaps;
        double lastloss = loss;
        bool stop = false;
        for (size_t c0 = 0; c0 < n && !stop; c0 += BLK) {
            size_t b = n - c0 < BLK ? n - c0 : BLK;
            if (!c->full)
                prle__proto_dist(blk, n, c->x + c0 * d, c->sq + c0, b, c->x, c->sq, n, d,
                                 c->n_threads);
            for (size_t xc = c0; xc < c0 + b; xc++) {
                if (xc == xlast) {
                    stop = true;
                    break;
                }
                if (is_med[xc])
                    continue;
                const float *row = c->full ? c->full + xc * n : blk + (xc - c0) * n;
                double acc = 0;
                size_t best = 0;
                if (p == 1) {
                    for (size_t o = 0; o < n; o++)
                        acc += (double)row[o] - dn[o];
                } else {
                    memcpy(delta, removal, p * sizeof *delta);
                    for (size_t o = 0; o < n; o++) {
                        float doj = row[o];
                        if (doj < dn[o]) {
                            acc += (double)doj - dn[o];
                            delta[near[o]] += (double)dn[o] - ds[o];
                        } else if (doj < ds[o]) {
                            delta[near[o]] += (double)doj - ds[o];
                        }
                    }
                    for (size_t j = 1; j < p; j++)
                        if (delta[j] < delta[best])
                            best = j;
                    acc += delta[best];
                }
                /* a swap must gain more than rounding, or equal-cost swaps could cycle */
                if (!(acc < -1e-9 * loss))
                    continue;
                is_med[med[best]] = false;
                med[best] = xc;
                is_med[xc] = true;
                memcpy(dm + best * n, row, n * sizeof *dm);
                swap_update(near, dn, sec, ds, dm, med, n, p, (uint32_t)best, row);
                loss = 0;
                for (size_t o = 0; o < n; o++)
                    loss += dn[o];
                if (p > 1) {
                    for (size_t j = 0; j < p; j++)
                        removal[j] = 0;
                    for (size_t o = 0; o < n; o++)
                        removal[near[o]] += (double)ds[o] - dn[o];
                }
                xlast = xc;
                swaps++;
            }
        }
        if ((err = prle__progress(c->progress, c->progress_ud, "prototypes", (size_t)it + 1,
                                  (size_t)c->max_iter, t0, "fasterpam")) < 0)
            goto done;
        if (swaps == swaps_before || !(loss < lastloss))
            break;
    }
done:
    free(near), free(sec), free(dn), free(ds), free(blk), free(removal), free(delta);
    free(is_med);
    return err;
}

int prle__kmedoids_alternate(size_t *med, float *dm, const prle__kmed_ctx *c)
{
    int err = 0;
    size_t n = c->n, p = c->p, d = c->d;
    uint32_t *near = malloc(n * sizeof *near), *sec = malloc(n * sizeof *sec);
    float *dn = malloc(n * sizeof *dn), *ds = malloc(n * sizeof *ds);
    size_t *members = malloc(n * sizeof *members);
    float *xm = NULL, *sqm = malloc(n * sizeof *sqm), *blk = NULL;
    double *cost = malloc(n * sizeof *cost);
    double t0 = prle__now();
    size_t bytes;
    if (!prle__mul_ok(&bytes, n, d) || !prle__mul_ok(&bytes, bytes, sizeof(float)) ||
        !(xm = malloc(bytes)) || !prle__mul_ok(&bytes, (size_t)BLK * sizeof(float), n) ||
        !(blk = malloc(bytes)) || !near || !sec || !dn || !ds || !members || !sqm || !cost) {
        err = prle__error_nomem("k-medoids alternate");
        goto done;
    }
    for (int it = 0; it < c->max_iter; it++) {
        nearest2(near, dn, sec, ds, dm, med, n, p, c->n_threads);
        bool changed = false;
        for (size_t j = 0; j < p; j++) {
            size_t m = 0, self = SIZE_MAX;
            for (size_t o = 0; o < n; o++)
                if (near[o] == j) {
                    if (o == med[j])
                        self = m;
                    members[m] = o;
                    memcpy(xm + m * d, c->x + o * d, d * sizeof *xm);
                    sqm[m++] = c->sq[o];
                }
            if (self == SIZE_MAX) /* a duplicate of a lower medoid: no members of its own */
                continue;
            /* cost of each member as the cluster's medoid: sum of distances to the others */
            for (size_t r0 = 0; r0 < m; r0 += BLK) {
                size_t b = m - r0 < BLK ? m - r0 : BLK;
                if (c->full) {
                    for (size_t i = 0; i < b; i++) {
                        const float *row = c->full + members[r0 + i] * n;
                        double s = 0;
                        for (size_t t = 0; t < m; t++)
                            s += row[members[t]];
                        cost[r0 + i] = s;
                    }
                    continue;
                }
                prle__proto_dist(blk, m, xm + r0 * d, sqm + r0, b, xm, sqm, m, d, c->n_threads);
                for (size_t i = 0; i < b; i++) {
                    double s = 0;
                    for (size_t t = 0; t < m; t++)
                        s += blk[i * m + t];
                    cost[r0 + i] = s;
                }
            }
            /* members are in row order, so the first minimum has the lowest index; the
               current medoid stays unless beaten by more than rounding */
            size_t best = 0;
            for (size_t i = 1; i < m; i++)
                if (cost[i] < cost[best])
                    best = i;
            if (!(cost[best] < cost[self] - 1e-9 * cost[self]))
                best = self;
            if (best != self) {
                med[j] = members[best];
                dist_row(dm + j * n, c, med[j]);
                changed = true;
            }
        }
        if ((err = prle__progress(c->progress, c->progress_ud, "prototypes", (size_t)it + 1,
                                  (size_t)c->max_iter, t0, "alternate")) < 0)
            goto done;
        if (!changed)
            break;
    }
done:
    free(near), free(sec), free(dn), free(ds), free(members), free(xm), free(sqm), free(blk);
    free(cost);
    return err;
}
