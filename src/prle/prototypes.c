/* Prototype selection (SPEC.md §5): params, k-means++ with snapping, farthest-first,
 * random_real, and the dispatch to k-medoids (kmedoids.c); distances in proto_dist.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/threads.h"
#include "math/blas.h"
#include "prle/prototypes_int.h"
#include "prle/rng.h"

prle_proto_params prle_proto_default_params(void)
{
    prle_proto_params p = {0};
    p.method = PRLE_PROTO_KMEDOIDS;
    p.n_prototypes = 25;
    p.algo = PRLE_KMEDOIDS_FASTERPAM;
    p.max_iter = 100;
    p.n_init = 4;
    p.kmeans_max_iter = 300;
    p.seed = 42;
    p.n_threads = 0;
    p.dense_max_rows = 8192;
    p.block_rows = 0;
    p.sample_rows = 16384;
    return p;
}

static const char *const method_names[] = {"k-medoids", "k-means++", "farthest-first",
                                           "random_real"};

size_t prle_proto_count(size_t asked, size_t n_train)
{
    size_t most = n_train / 2 ? n_train / 2 : 1;
    return asked < most ? asked : most;
}

const char *prle_proto_method_name(prle_proto_method m)
{
    return (unsigned)m < 4 ? method_names[m] : "?";
}

int prle_proto_params_from_config(prle_proto_params *out, const prle_config *cfg)
{
    prle_proto_params p = prle_proto_default_params();
    const char *s = cfg->model.init_strategy;
    if (s) {
        size_t m = 0;
        while (m < 4 && strcasecmp(s, method_names[m]) != 0)
            m++;
        if (m == 4)
            return prle__error_set(PRLE_EINVAL, "model.init_strategy: unknown value \"%s\"", s);
        p.method = (prle_proto_method)m;
    }
    if (cfg->model.num_prototypes < 1)
        return prle__error_set(PRLE_EINVAL, "model.num_prototypes must be >= 1, got %d",
                               cfg->model.num_prototypes);
    if (cfg->train.threads < 0)
        return prle__error_set(PRLE_EINVAL, "train.threads must be >= 0, got %d",
                               cfg->train.threads);
    p.n_prototypes = (size_t)cfg->model.num_prototypes;
    p.seed = cfg->train.seed;
    p.n_threads = cfg->train.threads;
    *out = p;
    return 0;
}

int prle_proto_params_check(const prle_proto_params *p)
{
    if ((unsigned)p->method > PRLE_PROTO_RANDOM_REAL)
        return prle__error_set(PRLE_EINVAL, "prototypes.method: unknown value %d", (int)p->method);
    if ((unsigned)p->algo > PRLE_KMEDOIDS_ALTERNATE)
        return prle__error_set(PRLE_EINVAL, "prototypes.algo: unknown value %d", (int)p->algo);
    if (p->n_prototypes < 1 || p->n_prototypes > UINT32_MAX)
        return prle__error_set(PRLE_EINVAL, "prototypes.n_prototypes must be in 1..2^32-1, got %zu",
                               p->n_prototypes);
    if (p->max_iter < 1)
        return prle__error_set(PRLE_EINVAL, "prototypes.max_iter must be >= 1, got %d",
                               p->max_iter);
    if (p->n_init < 1)
        return prle__error_set(PRLE_EINVAL, "prototypes.n_init must be >= 1, got %d", p->n_init);
    if (p->kmeans_max_iter < 1)
        return prle__error_set(PRLE_EINVAL, "prototypes.kmeans_max_iter must be >= 1, got %d",
                               p->kmeans_max_iter);
    if (p->n_threads < 0)
        return prle__error_set(PRLE_EINVAL, "prototypes.n_threads must be >= 0, got %d",
                               p->n_threads);
    return 0;
}

/* ---- k-means++ then Lloyd, snapped to unused rows --------------------------------------- */

typedef struct {
    const float *x, *sq;
    size_t n, d, p;
    int nt;
    double kmeans_tol; /* Lloyd stops when the centres move less than this (sum of squares) */
} data_ref;

/* Label of each row (nearest centre, ties by centre index) and the inertia (sum of d^2). */
static double assign(uint32_t *lab, float *dist, const data_ref *r, const float *cen,
                     const float *csq)
{
    size_t n = r->n, p = r->p;
    prle__proto_dist(dist, p, r->x, r->sq, n, cen, csq, p, r->d, r->nt);
    double inertia = 0;
    for (size_t o = 0; o < n; o++) {
        const float *row = dist + o * p;
        uint32_t b = 0;
        for (size_t j = 1; j < p; j++)
            if (row[j] < row[b])
                b = (uint32_t)j;
        lab[o] = b;
        inertia += (double)row[b] * row[b];
    }
    return inertia;
}

/* One k-means run from k-means++ seeding; writes cen (p, d) and returns the inertia. */
static int kmeans_once(double *inertia_out, float *cen, float *csq, uint32_t *lab, float *dist,
                       double *acc, size_t *cnt, float *mind, const data_ref *r, int max_iter,
                       prle_rng *rng)
{
    size_t n = r->n, d = r->d, p = r->p;
    /* k-means++ (single draw per centre) on squared distances */
    size_t first = (size_t)prle_rng_below(rng, n);
    memcpy(cen, r->x + first * d, d * sizeof *cen);
    prle__proto_dist(mind, n, r->x + first * d, r->sq + first, 1, r->x, r->sq, n, d, r->nt);
    for (size_t j = 1; j < p; j++) {
        double pot = 0;
        for (size_t o = 0; o < n; o++)
            pot += (double)mind[o] * mind[o];
        size_t pick = 0;
        if (pot > 0) {
            double u = prle_rng_uniform(rng) * pot, cum = 0;
            for (pick = 0; pick < n - 1; pick++) {
                cum += (double)mind[pick] * mind[pick];
                if (cum > u && mind[pick] > 0)
                    break;
            }
        }
        memcpy(cen + j * d, r->x + pick * d, d * sizeof *cen);
        prle__proto_dist(dist, n, r->x + pick * d, r->sq + pick, 1, r->x, r->sq, n, d, r->nt);
        for (size_t o = 0; o < n; o++)
            if (dist[o] < mind[o])
                mind[o] = dist[o];
    }
    double inertia = 0;
    for (int it = 0; it < max_iter; it++) {
        prle__proto_sqnorms(csq, cen, p, d, r->nt);
        uint32_t *old = (uint32_t *)(void *)mind; /* mind is free now: n floats = n labels */
        if (it > 0)
            memcpy(old, lab, n * sizeof *lab);
        inertia = assign(lab, dist, r, cen, csq);
        if (it > 0 && memcmp(old, lab, n * sizeof *lab) == 0)
            break;
        memset(acc, 0, p * d * sizeof *acc);
        memset(cnt, 0, p * sizeof *cnt);
        double shift = 0;
        for (size_t o = 0; o < n; o++) {
            double *a = acc + (size_t)lab[o] * d;
            const float *xo = r->x + o * d;
            for (size_t t = 0; t < d; t++)
                a[t] += xo[t];
            cnt[lab[o]]++;
        }
        for (size_t j = 0; j < p; j++) {
            if (cnt[j] == 0) { /* empty: move to the row farthest from its centre */
                size_t far = 0;
                for (size_t o = 1; o < n; o++)
                    if (dist[o * p + lab[o]] > dist[far * p + lab[far]])
                        far = o;
                memcpy(cen + j * d, r->x + far * d, d * sizeof *cen);
                dist[far * p + lab[far]] = 0;
                shift = INFINITY;
                continue;
            }
            for (size_t t = 0; t < d; t++) {
                float v = (float)(acc[j * d + t] / (double)cnt[j]);
                double e = (double)v - cen[j * d + t];
                shift += e * e;
                cen[j * d + t] = v;
            }
        }
        if (shift <= r->kmeans_tol) /* sklearn's rule: tol 1e-4 of the mean variance */
            break;
    }
    *inertia_out = inertia;
    return 0;
}

/* 1e-4 times the mean over columns of the variance of x (sklearn KMeans `tol`). */
static double kmeans_tol(const float *x, size_t n, size_t d)
{
    double v = 0;
    for (size_t t = 0; t < d; t++) {
        double s = 0, ss = 0;
        for (size_t o = 0; o < n; o++) {
            double a = x[o * d + t];
            s += a, ss += a * a;
        }
        double mean = s / (double)n;
        v += ss / (double)n - mean * mean;
    }
    return 1e-4 * v / (double)d;
}

static int select_kmeans(size_t *idx, const data_ref *r0, const prle_proto_params *pp)
{
    int err = 0;
    data_ref rr = *r0, *r = &rr;
    rr.kmeans_tol = kmeans_tol(r->x, r->n, r->d);
    size_t n = r->n, d = r->d, p = r->p;
    float *cen = malloc(p * d * sizeof *cen), *best = malloc(p * d * sizeof *best);
    float *csq = malloc(p * sizeof *csq), *mind = malloc(n * sizeof *mind);
    float *dist = malloc(n * p * sizeof *dist);
    uint32_t *lab = malloc(n * sizeof *lab);
    double *acc = malloc(p * d * sizeof *acc);
    size_t *cnt = malloc(p * sizeof *cnt);
    bool *used = calloc(n, sizeof *used);
    if (!cen || !best || !csq || !mind || !dist || !lab || !acc || !cnt || !used) {
        err = prle__error_nomem("k-means++");
        goto done;
    }
    double best_inertia = INFINITY;
    for (int s = 0; s < pp->n_init; s++) {
        prle_rng rng;
        prle_rng_init(&rng, pp->seed, "prototypes.kmeans", (uint64_t)s);
        double inertia;
        if ((err = kmeans_once(&inertia, cen, csq, lab, dist, acc, cnt, mind, r,
                               pp->kmeans_max_iter, &rng)) < 0)
            goto done;
        if (inertia < best_inertia) {
            best_inertia = inertia;
            memcpy(best, cen, p * d * sizeof *best);
        }
    }
    /* snap each centre in turn to its nearest row not taken yet (ties by row index) */
    prle__proto_sqnorms(csq, best, p, d, r->nt);
    prle__proto_dist(dist, p, r->x, r->sq, n, best, csq, p, d, r->nt);
    for (size_t j = 0; j < p; j++) {
        size_t b = SIZE_MAX;
        for (size_t o = 0; o < n; o++)
            if (!used[o] && (b == SIZE_MAX || dist[o * p + j] < dist[b * p + j]))
                b = o;
        idx[j] = b;
        used[b] = true;
    }
done:
    free(cen), free(best), free(csq), free(mind), free(dist), free(lab), free(acc), free(cnt);
    free(used);
    return err;
}

/* ---- farthest-first on cosine distance ---------------------------------------------------- */

static int select_farthest(size_t *idx, const data_ref *r, uint64_t seed)
{
    size_t n = r->n, d = r->d, p = r->p;
    float *mind = malloc(n * sizeof *mind), *dot = malloc(n * sizeof *dot);
    bool *used = calloc(n, sizeof *used);
    int err = 0;
    if (!mind || !dot || !used) {
        err = prle__error_nomem("farthest-first");
        goto done;
    }
    prle_rng rng;
    prle_rng_init(&rng, seed, "prototypes.farthest", 0);
    size_t c = (size_t)prle_rng_below(&rng, n);
    for (size_t o = 0; o < n; o++)
        mind[o] = INFINITY;
    for (size_t j = 0; j < p; j++) {
        idx[j] = c;
        used[c] = true;
        prle__sgemv(false, n, d, 1.0f, r->x, d, r->x + c * d, 0.0f, dot);
        double nc = sqrt((double)r->sq[c]);
        for (size_t o = 0; o < n; o++) {
            double den = nc * sqrt((double)r->sq[o]);
            double cosv = den > 0 ? dot[o] / den : 0.0;
            float dist = (float)(1.0 - cosv);
            if (dist < mind[o])
                mind[o] = dist;
        }
        c = SIZE_MAX;
        for (size_t o = 0; o < n; o++)
            if (!used[o] && (c == SIZE_MAX || mind[o] > mind[c]))
                c = o;
    }
done:
    free(mind), free(dot), free(used);
    return err;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static int select_kmedoids(size_t *idx, const data_ref *r, const prle_proto_params *pp)
{
    int err = 0;
    size_t bytes;
    float *dm = NULL, *full = NULL;
    double t0 = prle__now(); /* the distance matrix counts in the progress' seconds */
    if (!prle__mul_ok(&bytes, r->p, r->n) || !prle__mul_ok(&bytes, bytes, sizeof(float)) ||
        !(dm = malloc(bytes)))
        return prle__error_nomem("k-medoids distance rows");
    if (r->n <= pp->dense_max_rows) {
        if (!prle__mul_ok(&bytes, r->n, r->n) || !prle__mul_ok(&bytes, bytes, sizeof(float)) ||
            !(full = prle_aligned_alloc(bytes))) { /* huge pages: one fault per 2 MiB */
            err = prle__error_nomem("k-medoids distance matrix");
            goto done;
        }
        prle__proto_dist_full(full, r->x, r->sq, r->n, r->d, r->nt);
    }
    prle__kmed_ctx c = {.x = r->x,
                        .sq = r->sq,
                        .full = full,
                        .n = r->n,
                        .d = r->d,
                        .p = r->p,
                        .block_rows = pp->block_rows,
                        .max_iter = pp->max_iter,
                        .n_threads = r->nt,
                        .progress = pp->progress,
                        .progress_ud = pp->progress_ud,
                        .t0 = t0};
    prle_rng rng;
    prle_rng_init(&rng, pp->seed, "prototypes.kmedoids", 0);
    if ((err = prle__kmedoids_seed(idx, dm, &c, &rng)) < 0)
        goto done;
    if (pp->algo == PRLE_KMEDOIDS_FASTERPAM)
        err = prle__kmedoids_fasterpam(idx, dm, &c);
    else
        err = prle__kmedoids_alternate(idx, dm, &c);
done:
    free(dm);
    prle_free(full);
    return err;
}

/* Sum over rows of the Euclidean distance to the nearest chosen row. */
static int proto_loss(double *loss, const data_ref *r, const size_t *idx)
{
    size_t n = r->n, d = r->d, p = r->p;
    float *cen = malloc(p * d * sizeof *cen), *csq = malloc(p * sizeof *csq);
    float *dist = malloc(n * p * sizeof *dist);
    int err = 0;
    if (!cen || !csq || !dist) {
        err = prle__error_nomem("prototype loss");
        goto done;
    }
    for (size_t j = 0; j < p; j++) {
        memcpy(cen + j * d, r->x + idx[j] * d, d * sizeof *cen);
        csq[j] = r->sq[idx[j]];
    }
    prle__proto_dist(dist, p, r->x, r->sq, n, cen, csq, p, d, r->nt);
    double s = 0;
    for (size_t o = 0; o < n; o++) {
        float m = dist[o * p];
        for (size_t j = 1; j < p; j++)
            if (dist[o * p + j] < m)
                m = dist[o * p + j];
        s += m;
    }
    *loss = s;
done:
    free(cen), free(csq), free(dist);
    return err;
}

/* k-medoids among pp->sample_rows of r's rows drawn at random (kept in row order), the medoids
 * given as rows of r. */
static int select_kmedoids_sample(size_t *idx, const data_ref *r, const prle_proto_params *pp)
{
    size_t n = r->n, d = r->d, m = pp->sample_rows;
    size_t *rows = malloc(m * sizeof *rows);
    float *xs = malloc(m * d * sizeof *xs), *sqs = malloc(m * sizeof *sqs);
    int err = 0;
    if (!rows || !xs || !sqs) {
        err = prle__error_nomem("prototypes: sample");
        goto done;
    }
    prle_rng rng;
    prle_rng_init(&rng, pp->seed, "prototypes.sample", 0);
    if ((err = prle_rng_sample(&rng, rows, n, m)) < 0)
        goto done;
    for (size_t i = 0; i < m; i++) {
        memcpy(xs + i * d, r->x + rows[i] * d, d * sizeof *xs);
        sqs[i] = r->sq[rows[i]];
    }
    data_ref rs = *r;
    rs.x = xs, rs.sq = sqs, rs.n = m;
    if ((err = select_kmedoids(idx, &rs, pp)) < 0)
        goto done;
    for (size_t s = 0; s < r->p; s++)
        idx[s] = rows[idx[s]];
done:
    free(rows);
    free(xs);
    free(sqs);
    return err;
}

int prle_prototypes_select(size_t *idx_out, double *loss_out, const prle_matrix *x,
                           const prle_proto_params *pp)
{
    int err;
    float *sq = NULL;
    size_t *tmp = NULL;
    if ((err = prle_proto_params_check(pp)) < 0)
        return err;
    size_t n = x->rows, d = x->cols, p = pp->n_prototypes;
    if (n == 0 || d == 0)
        return prle__error_set(PRLE_EINVAL, "prototypes: empty matrix (%zu, %zu)", n, d);
    if (p > n)
        return prle__error_set(
            PRLE_EINVAL, "prototypes.n_prototypes (%zu) exceeds the number of rows (%zu)", p, n);
    size_t bytes;
    if (!prle__mul_ok(&bytes, n, p) || !prle__mul_ok(&bytes, bytes, sizeof(double)) ||
        !prle__mul_ok(&bytes, n, 1024 * sizeof(float)))
        return prle__error_nomem("prototypes: sizes overflow");
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++)
            if (!isfinite(x->data[i * d + t]))
                return prle__error_set(PRLE_EINVAL, "prototypes: row %zu has a non-finite value",
                                       i);
    if (!(sq = malloc(n * sizeof *sq)) || !(tmp = malloc(p * sizeof *tmp))) {
        err = prle__error_nomem("prototypes");
        goto done;
    }
    data_ref r = {
        .x = x->data, .sq = sq, .n = n, .d = d, .p = p, .nt = prle__threads_resolve(pp->n_threads)};
    prle__proto_sqnorms(sq, x->data, n, d, r.nt);
    switch (pp->method) {
    case PRLE_PROTO_KMEDOIDS:
        err = pp->sample_rows && n > pp->sample_rows && pp->sample_rows >= p
                  ? select_kmedoids_sample(tmp, &r, pp)
                  : select_kmedoids(tmp, &r, pp);
        break;
    case PRLE_PROTO_KMEANSPP:
        err = select_kmeans(tmp, &r, pp);
        break;
    case PRLE_PROTO_FARTHEST_FIRST:
        err = select_farthest(tmp, &r, pp->seed);
        break;
    case PRLE_PROTO_RANDOM_REAL: {
        size_t *all = malloc(n * sizeof *all);
        if (!all) {
            err = prle__error_nomem("random_real");
            break;
        }
        for (size_t i = 0; i < n; i++)
            all[i] = i;
        prle_rng rng;
        prle_rng_init(&rng, pp->seed, "prototypes.random", 0);
        prle_rng_shuffle(&rng, all, n);
        memcpy(tmp, all, p * sizeof *tmp);
        free(all);
        break;
    }
    }
    if (err < 0)
        goto done;
    if (loss_out && (err = proto_loss(loss_out, &r, tmp)) < 0)
        goto done;
    memcpy(idx_out, tmp, p * sizeof *idx_out);
done:
    free(sq);
    free(tmp);
    return err;
}
