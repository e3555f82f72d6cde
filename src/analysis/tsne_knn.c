/* t-SNE's exact k nearest neighbours: a vantage-point tree for narrow rows, blocked brute
 * force by SGEMM tiles for wide ones (tsne_affinity.c turns them into P). */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/tsne_int.h"
#include "core/cpu.h"
#include "core/error.h"
#include "core/matrix_int.h"
#include "core/threads.h"
#include "math/blas.h"
#include "prle/rng.h"

#define NONE ((size_t)-1)

double prle__tsne_dist(const float *a, const float *b, size_t d)
{
    float s[8] = {0};
    size_t j = 0;
    for (; j + 8 <= d; j += 8)
        for (int l = 0; l < 8; l++) {
            float t = a[j + l] - b[j + l];
            s[l] += t * t;
        }
    float tail = 0.0f;
    for (; j < d; j++) {
        float t = a[j] - b[j];
        tail += t * t;
    }
    double sum = (((double)s[0] + s[1]) + ((double)s[2] + s[3])) +
                 (((double)s[4] + s[5]) + ((double)s[6] + s[7])) + (double)tail;
    return sqrt(sum);
}

/* ---- vantage-point tree ---------------------------------------------------------------- */

typedef struct {
    double d; /* distance to the vantage point being split on */
    size_t i; /* row */
} vp_item;

typedef struct {
    size_t item;        /* the vantage point's row */
    double thr;         /* distance to the median: left holds d <= thr, right d >= thr */
    size_t left, right; /* node indices or NONE */
} vp_node;

typedef struct {
    const prle_matrix *x;
    vp_node *nodes;
    size_t n_nodes;
    vp_item *items;
    prle_rng rng;
    double slack; /* relative rounding bound of prle__tsne_dist, for safe pruning */
} vp_tree;

static bool item_less(const vp_item *a, const vp_item *b)
{
    return a->d < b->d || (a->d == b->d && a->i < b->i);
}

static void item_swap(vp_item *a, vp_item *b)
{
    vp_item t = *a;
    *a = *b;
    *b = t;
}

/* Places the m-th smallest (by distance, then index) of v[lo..hi) at m, smaller before it. */
static void select_nth(vp_item *v, size_t lo, size_t hi, size_t m)
{
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        item_swap(&v[mid], &v[hi - 1]);
        vp_item pivot = v[hi - 1];
        size_t store = lo;
        for (size_t j = lo; j + 1 < hi; j++)
            if (item_less(&v[j], &pivot))
                item_swap(&v[j], &v[store++]);
        item_swap(&v[store], &v[hi - 1]);
        if (store == m)
            return;
        if (m < store)
            hi = store;
        else
            lo = store + 1;
    }
}

static size_t vp_build(vp_tree *t, size_t lo, size_t hi)
{
    if (lo >= hi)
        return NONE;
    size_t id = t->n_nodes++;
    vp_node node = {t->items[lo].i, 0.0, NONE, NONE};
    if (hi - lo > 1) {
        size_t r = lo + (size_t)prle_rng_below(&t->rng, hi - lo);
        item_swap(&t->items[lo], &t->items[r]);
        node.item = t->items[lo].i;
        const float *vp = prle_matrix_row(t->x, node.item);
        for (size_t j = lo + 1; j < hi; j++)
            t->items[j].d = prle__tsne_dist(vp, prle_matrix_row(t->x, t->items[j].i), t->x->cols);
        size_t median = (lo + hi) / 2;
        select_nth(t->items, lo + 1, hi, median);
        node.thr = t->items[median].d;
        node.left = vp_build(t, lo + 1, median);
        node.right = vp_build(t, median, hi);
    }
    t->nodes[id] = node;
    return id;
}

/* A max-heap of the k best (distance, index) pairs found so far. */
typedef struct {
    vp_item *h;
    size_t len, k;
} knn_heap;

static void heap_offer(knn_heap *hp, double d, size_t i)
{
    vp_item it = {d, i};
    vp_item *h = hp->h;
    if (hp->len < hp->k) {
        size_t c = hp->len++;
        while (c > 0) {
            size_t p = (c - 1) / 2;
            if (!item_less(&h[p], &it))
                break;
            h[c] = h[p];
            c = p;
        }
        h[c] = it;
        return;
    }
    if (!item_less(&it, &h[0]))
        return;
    size_t c = 0;
    for (;;) {
        size_t l = 2 * c + 1, r = l + 1, big = c;
        vp_item *bv = &it;
        if (l < hp->len && item_less(bv, &h[l]))
            big = l, bv = &h[l];
        if (r < hp->len && item_less(bv, &h[r]))
            big = r;
        if (big == c)
            break;
        h[c] = h[big];
        c = big;
    }
    h[c] = it;
}

static void vp_search(const vp_tree *t, size_t id, const float *q, size_t self, knn_heap *hp)
{
    while (id != NONE) {
        const vp_node *nd = &t->nodes[id];
        double dist = prle__tsne_dist(q, prle_matrix_row(t->x, nd->item), t->x->cols);
        if (nd->item != self)
            heap_offer(hp, dist, nd->item);
        double tau = hp->len < hp->k ? INFINITY : hp->h[0].d;
        /* a subtree is skipped only when the triangle bound beats tau by more than rounding,
         * so ties at tau (broken by index) are never lost */
        double eps = t->slack * (dist + nd->thr + (isinf(tau) ? 0.0 : tau)) + 1e-300;
        bool go_left = nd->left != NONE && dist - nd->thr <= tau + eps;
        bool go_right = nd->right != NONE && nd->thr - dist <= tau + eps;
        if (dist < nd->thr) {
            if (go_left && go_right)
                vp_search(t, nd->left, q, self, hp);
            else if (go_left) {
                id = nd->left;
                continue;
            }
            if (!go_right)
                return;
            /* tau may have shrunk inside the left subtree */
            tau = hp->len < hp->k ? INFINITY : hp->h[0].d;
            eps = t->slack * (dist + nd->thr + (isinf(tau) ? 0.0 : tau)) + 1e-300;
            if (nd->thr - dist > tau + eps)
                return;
            id = nd->right;
        } else {
            if (go_left && go_right)
                vp_search(t, nd->right, q, self, hp);
            else if (go_right) {
                id = nd->right;
                continue;
            }
            if (!go_left)
                return;
            tau = hp->len < hp->k ? INFINITY : hp->h[0].d;
            eps = t->slack * (dist + nd->thr + (isinf(tau) ? 0.0 : tau)) + 1e-300;
            if (dist - nd->thr > tau + eps)
                return;
            id = nd->left;
        }
    }
}

/* Sorts the heap ascending into idx/dist. */
static void heap_drain(knn_heap *hp, size_t *idx, double *dist)
{
    vp_item *h = hp->h;
    size_t len = hp->len;
    for (size_t j = 1; j < len; j++) /* insertion sort: k is about 90 */
        for (size_t m = j; m > 0 && item_less(&h[m], &h[m - 1]); m--)
            item_swap(&h[m], &h[m - 1]);
    for (size_t j = 0; j < len; j++)
        idx[j] = h[j].i, dist[j] = h[j].d;
}

int prle__tsne_knn(size_t *idx_out, double *dist_out, const prle_matrix *x, size_t k, uint64_t seed,
                   int n_threads)
{
    size_t n = x->rows;
    vp_tree t = {.x = x};
    int err = 0, nt = prle__threads_resolve(n_threads);
    (void)nt;
    PRLE_ASSERT(k >= 1 && k < n);
    t.nodes = malloc(n * sizeof *t.nodes);
    t.items = malloc(n * sizeof *t.items);
    if (!t.nodes || !t.items) {
        err = prle__error_nomem("tsne vantage-point tree");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        t.items[i] = (vp_item){0.0, i};
    prle_rng_init(&t.rng, seed, "tsne.vptree", 0);
    /* float rounding of a squared distance over d terms in 8 lanes stays below (d/8 + 8) ulp */
    t.slack = ((double)x->cols / 8.0 + 16.0) * 1.2e-7;
    vp_build(&t, 0, n);

    bool nomem = false;
#pragma omp parallel num_threads(nt) if (n >= 256)
    {
        knn_heap hp = {malloc(k * sizeof(vp_item)), 0, k};
        if (!hp.h) {
#pragma omp atomic write
            nomem = true;
        } else {
#pragma omp for schedule(dynamic, 16)
            for (size_t i = 0; i < n; i++) {
                hp.len = 0;
                vp_search(&t, 0, prle_matrix_row(x, i), i, &hp);
                heap_drain(&hp, idx_out + i * k, dist_out + i * k);
            }
        }
        free(hp.h);
    }
    if (nomem)
        err = prle__error_nomem("tsne neighbour heaps");
done:
    free(t.nodes);
    free(t.items);
    return err;
}

/* ---- blocked brute force --------------------------------------------------------------- */

/* Rows per block: the SGEMM tiles are (BRUTE_BLOCK, BRUTE_BLOCK), the upper triangle only. */
#define BRUTE_BLOCK 256

/* v[0..m) ascending by item_less (a strict order: the indices differ), tmp holds m */
static void item_sort(vp_item *v, vp_item *tmp, size_t m)
{
    if (m <= 16) {
        for (size_t j = 1; j < m; j++) {
            vp_item t = v[j];
            size_t at = j;
            for (; at > 0 && item_less(&t, &v[at - 1]); at--)
                v[at] = v[at - 1];
            v[at] = t;
        }
        return;
    }
    size_t h = m / 2;
    item_sort(v, tmp, h);
    item_sort(v + h, tmp, m - h);
    memcpy(tmp, v, h * sizeof *v);
    size_t a = 0, b = h, o = 0;
    while (a < h && b < m)
        v[o++] = item_less(&v[b], &tmp[a]) ? v[b++] : tmp[a++];
    while (a < h)
        v[o++] = tmp[a++];
}

/* A row that may be among a row's k nearest: bounds of the squared distance from the SGEMM
 * product, lb rounded down and ub up to float. */
typedef struct {
    uint32_t j;
    float lb, ub;
} brute_cand;

/* One row's search so far: the rows whose lower bound was at most `top` when they came, top
 * the k-th smallest upper bound among them (infinite until k came). Every row holds its
 * candidates in a buffer; a full buffer sets top and drops the rows whose lb passed it. top
 * only falls, the k smallest upper bounds are never dropped, and a row with lb <= the final
 * k-th smallest ub u was never dropped: the rows kept with lb <= u are the same set whatever
 * order the tiles came in, and the k nearest are among them. */
typedef struct {
    brute_cand *c; /* in the shared arena, or its own once grown */
    size_t nc, cap;
    float top;
    bool own;
} brute_row;

typedef struct {
    const double *nrm;
    double gamma;
    size_t k;
    brute_row *rows;
    bool wide; /* prle__cpu_avx2_fma */
} brute_state;

/* A thread's buffers: the bound scan's hits (BRUTE_BLOCK) and tighten's upper bounds. */
typedef struct {
    uint32_t *hits;
    float *ub;
    size_t ub_cap;
} brute_scratch;

/* nextafterf(f, -INFINITY) and nextafterf(f, INFINITY) of a float f that is not NaN, inline
 * and without branches (the rounding direction is a coin toss: a branch mispredicts) */
static inline float float_step(float f, bool up)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    bool neg = (u >> 31) != 0, zero = (u & 0x7fffffffu) == 0;
    /* away from zero when the step goes the sign's way, else towards it; from zero the
     * smallest subnormal of the step's sign; infinities towards the finite range */
    uint32_t mag = (u & 0x7fffffffu), away = (up != neg);
    uint32_t inf = mag == 0x7f800000u;
    mag = zero ? 1u : (away && !inf) ? mag + 1u : (away ? mag : mag - 1u);
    u = (zero ? (up ? 0u : 0x80000000u) : (u & 0x80000000u)) | mag;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline float float_down(double v)
{
    float f = (float)v, g = float_step(f, false);
    return (double)f > v ? g : f;
}

static inline float float_up(double v)
{
    float f = (float)v, g = float_step(f, true);
    return (double)f < v ? g : f;
}

/* The k-th smallest (1-based) of v[0..m), 1 <= k <= m; reorders v. */
static float kth_smallest(float *v, size_t m, size_t k)
{
    size_t lo = 0, hi = m, want = k - 1;
    while (hi - lo > 1) {
        /* three parts: [lo, lt) below the pivot, [lt, gt) equal, [gt, hi) above */
        float p = v[lo + (hi - lo) / 2], t;
        size_t lt = lo, e = lo, gt = hi;
        while (e < gt) {
            if (v[e] < p)
                t = v[lt], v[lt++] = v[e], v[e++] = t;
            else if (v[e] > p)
                t = v[--gt], v[gt] = v[e], v[e] = t;
            else
                e++;
        }
        if (want < lt)
            hi = lt;
        else if (want >= gt)
            lo = gt;
        else
            return p;
    }
    return v[want];
}

/* A full buffer: top from the upper bounds (scratch holds cap floats), the passed rows out. */
static int brute_tighten(brute_row *r, size_t k, float *scratch)
{
    if (r->nc >= k) {
        for (size_t e = 0; e < r->nc; e++)
            scratch[e] = r->c[e].ub;
        float t = kth_smallest(scratch, r->nc, k);
        r->top = t < r->top ? t : r->top;
    }
    size_t m = 0;
    float top = r->top;
    for (size_t e = 0; e < r->nc; e++) { /* without a branch: kept or not is a coin toss */
        r->c[m] = r->c[e];
        m += r->c[e].lb <= top;
    }
    r->nc = m;
    if (m > r->cap / 2) { /* many rows within the bounds' slack: grow */
        size_t cap = 2 * r->cap;
        brute_cand *c = r->own ? realloc(r->c, cap * sizeof *c) : malloc(cap * sizeof *c);
        if (!c)
            return -1;
        if (!r->own)
            memcpy(c, r->c, m * sizeof *c);
        r->c = c, r->cap = cap, r->own = true;
    }
    return 0;
}

/* brute_tighten with a scratch buffer of the row's capacity at least */
static int tighten(brute_row *r, size_t k, float **scratch, size_t *scratch_cap)
{
    if (*scratch_cap < r->cap) {
        free(*scratch);
        *scratch_cap = 0;
        if (!(*scratch = malloc(2 * r->cap * sizeof **scratch)))
            return -1;
        *scratch_cap = 2 * r->cap;
    }
    return brute_tighten(r, k, *scratch);
}

/* Row i meets rows j0 .. j0 + cnt - 1, their SGEMM products with it in g. */
static int brute_feed(brute_state *st, size_t i, const float *g, size_t j0, size_t cnt,
                      brute_scratch *w)
{
    brute_row *r = &st->rows[i];
    double ni = st->nrm[i], gamma = st->gamma, top = r->top;
    /* the rows that pass at the current top (mostly none), each checked again below as top
     * falls */
    size_t nh = prle__tsne_bound_scan(w->hits, g, st->nrm + j0, cnt, ni, gamma, top, st->wide);
    for (size_t h = 0; h < nh; h++) {
        size_t t = w->hits[h];
        double s = ni + st->nrm[j0 + t], base = s - 2.0 * (double)g[t], lb = base - gamma * s;
        if (!(lb <= top) || j0 + t == i)
            continue;
        if (r->nc == r->cap) {
            if (tighten(r, st->k, &w->ub, &w->ub_cap) < 0)
                return -1;
            top = r->top;
            if (!(lb <= top))
                continue;
        }
        r->c[r->nc++] =
            (brute_cand){(uint32_t)(j0 + t), float_down(lb), float_up(base + gamma * s)};
    }
    return 0;
}

/* Row i's k nearest from what it kept: exact distances by prle__tsne_dist (four rows at a
 * time, prle__tsne_dist4), by (distance, index); buf holds 2 nc entries, ub nc. */
static void brute_finish(size_t *idx, double *dist, const prle_matrix *x, const brute_row *r,
                         size_t i, size_t k, vp_item *buf, float *ub, bool wide)
{
    size_t m = 0, d = x->cols;
    for (size_t e = 0; e < r->nc; e++)
        ub[e] = r->c[e].ub;
    float u = kth_smallest(ub, r->nc, k);
    for (size_t e = 0; e < r->nc; e++) {
        buf[m].i = r->c[e].j;
        m += r->c[e].lb <= u;
    }
    const float *a = prle_matrix_row(x, i);
    size_t e = 0;
    for (; e + 4 <= m; e += 4) {
        const float *b[4] = {prle_matrix_row(x, buf[e].i), prle_matrix_row(x, buf[e + 1].i),
                             prle_matrix_row(x, buf[e + 2].i), prle_matrix_row(x, buf[e + 3].i)};
        double o[4];
        prle__tsne_dist4(o, a, b, d, wide);
        for (int l = 0; l < 4; l++)
            buf[e + (size_t)l].d = o[l];
    }
    for (; e < m; e++)
        buf[e].d = prle__tsne_dist(a, prle_matrix_row(x, buf[e].i), d);
    item_sort(buf, buf + m, m);
    for (size_t j = 0; j < k; j++)
        idx[j] = buf[j].i, dist[j] = buf[j].d;
}

int prle__tsne_knn_brute(size_t *idx_out, double *dist_out, const prle_matrix *x, size_t k,
                         int n_threads)
{
    size_t n = x->rows, d = x->cols, nd, nb = (n + BRUTE_BLOCK - 1) / BRUTE_BLOCK;
    size_t per = 2 * k + 64, n_arena; /* candidates a row holds before it tightens */
    int err = 0, nt = prle__threads_resolve(n_threads), failed = 0;
    (void)nt;
    PRLE_ASSERT(k >= 1 && k < n);
    if (n > UINT32_MAX || !prle__mul_ok(&nd, n, d) || !prle__mul_ok(&n_arena, n, per) ||
        n_arena > SIZE_MAX / sizeof(brute_cand))
        return prle__error_nomem("tsne brute-force neighbours");
    float *xc = malloc(nd * sizeof *xc);
    double *nrm = malloc(n * sizeof *nrm), *mean = calloc(d, sizeof *mean);
    brute_cand *arena = malloc(n_arena * sizeof *arena);
    brute_row *rows = calloc(n, sizeof *rows);
    pthread_mutex_t *locks = malloc(nb * sizeof *locks);
    size_t n_locks = 0, n_tiles = nb * (nb + 1) / 2;
    if (!xc || !nrm || !mean || !arena || !rows || !locks) {
        err = prle__error_nomem("tsne brute-force neighbours");
        goto done;
    }
    for (; n_locks < nb; n_locks++)
        if (pthread_mutex_init(&locks[n_locks], NULL) != 0) {
            err = prle__error_set(PRLE_ERROR, "tsne brute-force neighbours: no mutex");
            goto done;
        }
    /* centred rows keep |a|^2 (and so the bound) small; distances do not change */
    prle__matrix_col_mean(mean, x);
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++) {
            float v = (float)((double)x->data[i * d + j] - mean[j]);
            xc[i * d + j] = v;
            s += (double)v * v;
        }
        nrm[i] = s;
        rows[i] = (brute_row){arena + i * per, 0, per, INFINITY, false};
    }
    /* float rounding of centring (2 ulp per term), the dot product (d ulp) and the distance */
    brute_state st = {nrm, ((double)d + 16.0) * 4.0 * 5.960464477539063e-08, k, rows,
                      prle__cpu_avx2_fma()};
    /* the tiles (a, b), a <= b, of X X^T (half the products of all rows against all): the
     * rows of block a meet block b, then (b > a) the rows of block b meet block a, each under
     * its block's lock */
#pragma omp parallel num_threads(nt) if (n_tiles > 1)
    {
        float *g = malloc(2 * BRUTE_BLOCK * BRUTE_BLOCK * sizeof *g), *gt = g;
        brute_scratch w = {malloc(BRUTE_BLOCK * sizeof(uint32_t)), NULL, 0};
        if (!g || !w.hits) {
#pragma omp atomic write
            failed = 1;
        } else
            gt = g + BRUTE_BLOCK * BRUTE_BLOCK;
#pragma omp for schedule(dynamic, 1)
        for (size_t t = 0; t < n_tiles; t++) {
            size_t off = 0, a = t; /* the diagonal first, then by distance from it */
            while (a >= nb - off)  /* diagonal off holds nb - off tiles */
                a -= nb - off, off++;
            size_t b = a + off, a0 = a * BRUTE_BLOCK, b0 = b * BRUTE_BLOCK;
            size_t na = n - a0 < BRUTE_BLOCK ? n - a0 : BRUTE_BLOCK;
            size_t nbb = n - b0 < BRUTE_BLOCK ? n - b0 : BRUTE_BLOCK;
            int bad = 0;
            if (!g || !w.hits || failed)
                continue;
            prle__sgemm(false, true, na, nbb, d, 1.0f, xc + a0 * d, d, xc + b0 * d, d, 0.0f, g,
                        nbb);
            pthread_mutex_lock(&locks[a]);
            for (size_t r = 0; r < na && !bad; r++)
                bad = brute_feed(&st, a0 + r, g + r * nbb, b0, nbb, &w);
            pthread_mutex_unlock(&locks[a]);
            if (b != a && !bad) {
                for (size_t r0 = 0; r0 < na; r0 += 32) /* transposed in 32 x 32 squares */
                    for (size_t c0 = 0; c0 < nbb; c0 += 32)
                        for (size_t c = c0; c < c0 + 32 && c < nbb; c++)
                            for (size_t r = r0; r < r0 + 32 && r < na; r++)
                                gt[c * na + r] = g[r * nbb + c];
                pthread_mutex_lock(&locks[b]);
                for (size_t c = 0; c < nbb && !bad; c++)
                    bad = brute_feed(&st, b0 + c, gt + c * na, a0, na, &w);
                pthread_mutex_unlock(&locks[b]);
            }
            if (bad) {
#pragma omp atomic write
                failed = 1;
            }
        }
        free(g);
        free(w.hits);
        free(w.ub);
    }
    if (!failed) {
#pragma omp parallel num_threads(nt) if (n >= 256)
        {
            vp_item *buf = NULL;
            float *ub = NULL;
            size_t cap = 0;
#pragma omp for schedule(dynamic, 16)
            for (size_t i = 0; i < n; i++) {
                if (rows[i].nc > cap) {
                    free(buf), free(ub);
                    cap = rows[i].nc;
                    buf = malloc(2 * cap * sizeof *buf);
                    ub = malloc(cap * sizeof *ub);
                    if (!buf || !ub) {
#pragma omp atomic write
                        failed = 1;
                        cap = 0;
                        continue;
                    }
                }
                brute_finish(idx_out + i * k, dist_out + i * k, x, &rows[i], i, k, buf, ub,
                             st.wide);
            }
            free(buf), free(ub);
        }
    }
    if (failed)
        err = prle__error_nomem("tsne brute-force neighbours");
done:
    for (size_t b = 0; b < n_locks; b++)
        pthread_mutex_destroy(&locks[b]);
    if (rows)
        for (size_t i = 0; i < n; i++)
            if (rows[i].own)
                free(rows[i].c);
    free(locks);
    free(rows);
    free(xc);
    free(nrm);
    free(mean);
    free(arena);
    return err;
}
