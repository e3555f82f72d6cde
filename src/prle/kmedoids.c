/* k-medoids in value space: k-medoids++ seeding, FasterPAM and alternate, on the (n, n)
 * distance matrix when the caller formed it, else on distances computed in blocks: memory is
 * then O(n (p + block_rows)) floats, the medoids' distance rows and one block of candidates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/threads.h"
#include "math/blas.h"
#include "prle/matrix.h"
#include "prle/prototypes_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define BLK 256 /* alternate: member rows whose distance rows are computed at once */
#define BLOCK_BYTES ((size_t)32 << 20) /* FasterPAM's Gram block, when block_rows is 0 */
#define BLOCK_MIN 64
#define BLOCK_MAX 1024 /* bigger blocks gain little: sgemm runs near its peak from ~512 rows */
#define CHUNK_MIN 16   /* candidates evaluated together right after a swap */
/* Chunks this long are split over the threads; shorter ones (swaps come often) run on one, as
 * each parallel region costs a wake-up (and much more on a busy machine). */
#define CHUNK_PAR 64

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
    size_t trials = 2 + (size_t)floor(log((double)p)), d = c->d;
    if (trials > 64)
        trials = 64;
    float *mind = malloc(n * sizeof *mind);
    float *cand = malloc(trials * n * sizeof *cand);
    float *xt = c->full ? NULL : malloc(trials * d * sizeof *xt), sqt[64];
    bool *used = calloc(n, sizeof *used);
    if (!mind || !cand || (!c->full && !xt) || !used) {
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
            if (c->full) {
                memcpy(cand + t * n, c->full + r * n, n * sizeof *cand);
            } else {
                memcpy(xt + t * d, c->x + r * d, d * sizeof *xt);
                sqt[t] = c->sq[r];
            }
        }
        if (!c->full) /* the trials' distance rows from one product */
            prle__proto_dist(cand, n, xt, sqt, trials, c->x, c->sq, n, d, c->n_threads);
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
    free(xt);
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

/* The least float >= ds^2 (exactly): v >= it implies sqrtf(v) >= ds, as sqrtf rounds
 * monotonically and ds is a float. */
static inline float sq_bound(float ds)
{
    double e = (double)ds * ds; /* exact: 24-bit by 24-bit */
    float b = (float)e;
    return (double)b < e ? nextafterf(b, INFINITY) : b;
}

/* FasterPAM's per-row state: nearest and second-nearest medoid slot and distance, the removal
 * loss of each slot, and the squared-distance bound below which a row can gain from a swap. */
typedef struct fp_state {
    uint32_t *near, *sec;
    float *dn, *ds, *bnd; /* (n) each; bnd[o] = sq_bound(ds[o]), blocked path only (else NULL) */
    double *removal;      /* (p) what dropping slot j alone costs */
    double loss;
} fp_state;

/* Where a candidate's distances come from: a row of the (n, n) matrix, or a row of -2 X X^T
 * for the blocked path (distances then follow from the squared norms, see gram_dist). */
typedef struct fp_row {
    const float *dist; /* (n) distances, or NULL */
    const float *gram; /* (n) -2 x_c . x_o when dist is NULL */
    size_t c;          /* the candidate row */
} fp_row;

static inline float row_dist(const fp_row *r, const prle__kmed_ctx *c, size_t o)
{
    return r->dist ? r->dist[o]
                   : prle__gram_dist(r->gram[o], c->sq[r->c], c->sq[o], c->x + r->c * c->d,
                                     c->x + o * c->d, c->d);
}

/* The first row o' >= o with !(row[o'] >= ds[o']), or n: the rows a candidate at distances
 * `row` could gain on. Most rows cannot, so they are passed over eight at a time. */
static inline size_t next_closer(const float *row, const float *ds, size_t o, size_t n)
{
#if defined(__SSE2__)
    for (; o + 8 <= n; o += 8) {
        int m = _mm_movemask_ps(_mm_cmpnge_ps(_mm_loadu_ps(row + o), _mm_loadu_ps(ds + o))) |
                _mm_movemask_ps(_mm_cmpnge_ps(_mm_loadu_ps(row + o + 4), _mm_loadu_ps(ds + o + 4)))
                    << 4;
        if (m)
            return o + (size_t)__builtin_ctz((unsigned)m);
    }
#endif
    for (; o < n; o++)
        if (!(row[o] >= ds[o]))
            return o;
    return n;
}

/* Change of the loss if candidate r replaced the best slot (Schubert & Rousseeuw 2021, Alg. 3
 * lines 5-12); delta is (p) scratch. Rows no nearer than their second medoid change nothing,
 * so they are skipped on a squared-distance test before any square root; the sums visit the
 * other rows in row order, so the result equals the full loop's bit for bit. */
static double fp_gain(uint32_t *best_out, double *delta, const fp_row *r, const fp_state *s,
                      const prle__kmed_ctx *c)
{
    size_t n = c->n, p = c->p;
    double acc = 0;
    if (p == 1) {
        for (size_t o = 0; o < n; o++)
            acc += (double)row_dist(r, c, o) - s->dn[o];
        *best_out = 0;
        return acc;
    }
    memcpy(delta, s->removal, p * sizeof *delta);
    const uint32_t *near = s->near;
    const float *dn = s->dn, *ds = s->ds;
    if (r->dist) {
        const float *row = r->dist;
        for (size_t o = next_closer(row, ds, 0, n); o < n; o = next_closer(row, ds, o + 1, n)) {
            float doj = row[o];
            if (doj < dn[o]) {
                acc += (double)doj - dn[o];
                delta[near[o]] += (double)dn[o] - ds[o];
            } else {
                delta[near[o]] += (double)doj - ds[o];
            }
        }
    } else {
        const float *g = r->gram, *sq = c->sq, *bnd = s->bnd;
        float sqc = sq[r->c];
        for (size_t o = 0; o < n; o++) {
            float base = sqc + sq[o], v = g[o] + base;
            if (v >= bnd[o] && !(v < 1e-2f * base))
                continue; /* sqrtf(v) >= ds[o] */
            float doj =
                prle__gram_dist(g[o], sqc, sq[o], c->x + r->c * c->d, c->x + o * c->d, c->d);
            if (doj < dn[o]) {
                acc += (double)doj - dn[o];
                delta[near[o]] += (double)dn[o] - ds[o];
            } else if (doj < ds[o]) {
                delta[near[o]] += (double)doj - ds[o];
            }
        }
    }
    uint32_t best = 0;
    for (uint32_t j = 1; j < p; j++)
        if (delta[j] < delta[best])
            best = j;
    *best_out = best;
    return acc + delta[best];
}

/* Loss, removal losses and bounds (if kept) from near/dn/sec/ds, in row order. */
static void fp_refresh(fp_state *s, size_t n, size_t p)
{
    double loss = 0;
    for (size_t o = 0; o < n; o++)
        loss += s->dn[o];
    s->loss = loss;
    for (size_t j = 0; j < p; j++)
        s->removal[j] = 0;
    if (p > 1)
        for (size_t o = 0; o < n; o++)
            s->removal[s->near[o]] += (double)s->ds[o] - s->dn[o];
    if (s->bnd)
        for (size_t o = 0; o < n; o++)
            s->bnd[o] = sq_bound(s->ds[o]);
}

/* Candidates [i, e) of the block starting at c0, each against the current state, in parallel:
 * gain and slot per candidate (block-relative), scratch (n_threads, p). */
static void fp_eval_chunk(double *gain, uint32_t *slot, double *scratch, size_t i, size_t e,
                          size_t c0, const float *gram, const bool *is_med, const fp_state *s,
                          const prle__kmed_ctx *c)
{
    size_t n = c->n, p = c->p;
    int nt = c->n_threads;
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (e - i >= CHUNK_PAR)
    for (size_t xc = i; xc < e; xc++) {
        if (is_med[xc])
            continue;
        size_t k = xc - c0;
        fp_row r = {c->full ? c->full + xc * n : NULL, c->full ? NULL : gram + k * n, xc};
        gain[k] = fp_gain(&slot[k], scratch + (size_t)prle__thread_num() * p, &r, s, c);
    }
}

/* Candidate rows per block: the (rows, n) Gram block stays within BLOCK_BYTES. */
static size_t fp_block_rows(const prle__kmed_ctx *c)
{
    size_t r = c->block_rows;
    if (!r) {
        r = BLOCK_BYTES / (c->n * sizeof(float));
        r = r < BLOCK_MIN ? BLOCK_MIN : r > BLOCK_MAX ? BLOCK_MAX : r;
    }
    return r < c->n ? r : c->n;
}

int prle__kmedoids_fasterpam(size_t *med, float *dm, const prle__kmed_ctx *c)
{
    int err = 0;
    size_t n = c->n, p = c->p, d = c->d, brows = fp_block_rows(c);
    int nt = c->n_threads;
    fp_state s = {0};
    s.near = malloc(n * sizeof *s.near), s.sec = malloc(n * sizeof *s.sec);
    s.dn = malloc(n * sizeof *s.dn), s.ds = malloc(n * sizeof *s.ds);
    s.bnd = c->full ? NULL : malloc(n * sizeof *s.bnd), s.removal = malloc(p * sizeof *s.removal);
    float *gram = NULL;
    double *gain = malloc(brows * sizeof *gain), *scratch = NULL;
    uint32_t *slot = malloc(brows * sizeof *slot);
    bool *is_med = calloc(n, sizeof *is_med);
    double t0 = c->t0 > 0 ? c->t0 : prle__now();
    size_t bytes;
    if (!s.near || !s.sec || !s.dn || !s.ds || (!c->full && !s.bnd) || !s.removal || !gain ||
        !slot || !is_med || !prle__mul_ok(&bytes, (size_t)(nt > 0 ? nt : 1), p) ||
        !prle__mul_ok(&bytes, bytes, sizeof *scratch) || !(scratch = malloc(bytes)) ||
        (!c->full && (!prle__mul_ok(&bytes, brows, n) ||
                      !prle__mul_ok(&bytes, bytes, sizeof *gram) || !(gram = malloc(bytes))))) {
        err = prle__error_nomem("fasterpam");
        goto done;
    }
    for (size_t j = 0; j < p; j++)
        is_med[med[j]] = true;
    nearest2(s.near, s.dn, s.sec, s.ds, dm, med, n, p, nt);
    fp_refresh(&s, n, p);

    /* Eager swaps in row order; a chunk of candidates is evaluated in parallel against the
       current medoids, then scanned in order: the first improving one is swapped in and the
       rest of the chunk evaluated again, so the swaps are those of the sequential loop. After
       a swap chunks restart small (CHUNK_MIN) and double while no swap is found. */
    size_t xlast = SIZE_MAX, swaps = 0;
    for (int it = 0; it < c->max_iter && n > p; it++) {
        size_t swaps_before = swaps;
        double lastloss = s.loss;
        bool stop = false;
        for (size_t c0 = 0; c0 < n && !stop; c0 += brows) {
            size_t b = n - c0 < brows ? n - c0 : brows, chunk = CHUNK_MIN, have = b;
            if (!c->full) {
                /* gram rows [0, have) = -2 X[c0 ..) X^T, in prle__gemm's blocks; up to xlast
                   only if the pass is to end in this block (the rest if a swap comes) */
                if (xlast >= c0 && xlast < c0 + b)
                    have = xlast + 1 - c0;
                prle__gemm(false, true, have, n, d, -2.0f, c->x + c0 * d, d, c->x, d, 0.0f, gram, n,
                           nt);
            }
            for (size_t i = c0; i < c0 + b && !stop;) {
                size_t e = c0 + b - i < chunk ? c0 + b : i + chunk;
                if (xlast >= i && xlast < e)
                    e = xlast + 1; /* the pass ends there unless a swap comes first */
                if (e > c0 + have) {
                    prle__gemm(false, true, b - have, n, d, -2.0f, c->x + (c0 + have) * d, d, c->x,
                               d, 0.0f, gram + have * n, n, nt);
                    have = b;
                }
                fp_eval_chunk(gain, slot, scratch, i, e, c0, gram, is_med, &s, c);
                size_t next = e;
                bool swapped = false;
                for (size_t xc = i; xc < e; xc++) {
                    if (xc == xlast) {
                        stop = true;
                        break;
                    }
                    /* a swap must gain more than rounding, or equal-cost swaps could cycle */
                    if (is_med[xc] || !(gain[xc - c0] < -1e-9 * s.loss))
                        continue;
                    uint32_t j = slot[xc - c0];
                    float *row = dm + j * n;
                    is_med[med[j]] = false;
                    med[j] = xc;
                    is_med[xc] = true;
                    if (c->full) {
                        memcpy(row, c->full + xc * n, n * sizeof *row);
                    } else {
                        const float *g = gram + (xc - c0) * n;
                        for (size_t o = 0; o < n; o++)
                            row[o] = prle__gram_dist(g[o], c->sq[xc], c->sq[o], c->x + xc * d,
                                                     c->x + o * d, d);
                    }
                    swap_update(s.near, s.dn, s.sec, s.ds, dm, med, n, p, j, row);
                    fp_refresh(&s, n, p);
                    xlast = xc;
                    swaps++;
                    next = xc + 1;
                    swapped = true;
                    break;
                }
                i = next;
                chunk = swapped ? CHUNK_MIN : 2 * chunk;
            }
        }
        /* a pass without a gain ends the step: its count is then the total (the line shows
           the step done, not an ETA for max_iter passes that will not run) */
        bool last = swaps == swaps_before || !(s.loss < lastloss);
        if ((err = prle__progress(c->progress, c->progress_ud, "prototypes", (size_t)it + 1,
                                  last ? (size_t)it + 1 : (size_t)c->max_iter, t0, "fasterpam")) <
            0)
            goto done;
        if (last)
            break;
    }
done:
    free(s.near), free(s.sec), free(s.dn), free(s.ds), free(s.bnd), free(s.removal);
    free(gram), free(gain), free(scratch), free(slot), free(is_med);
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
    double t0 = c->t0 > 0 ? c->t0 : prle__now();
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
                                  changed ? (size_t)c->max_iter : (size_t)it + 1, t0,
                                  "alternate")) < 0)
            goto done;
        if (!changed)
            break;
    }
done:
    free(near), free(sec), free(dn), free(ds), free(members), free(xm), free(sqm), free(blk);
    free(cost);
    return err;
}
