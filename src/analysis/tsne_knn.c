/* t-SNE input affinities: vantage-point tree kNN, perplexity search, symmetrised sparse P. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/tsne_int.h"
#include "core/error.h"
#include "core/matrix_int.h"
#include "core/progress.h"
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

/* Rows per SGEMM block of the brute-force search. */
#define BRUTE_BLOCK 256

/* Offers v to the max-heap h of the `k` smallest values seen (len of them so far). */
static inline void bound_offer(double *h, size_t *len, size_t k, double v)
{
    size_t c;
    if (*len < k) {
        for (c = (*len)++; c > 0 && h[(c - 1) / 2] < v; c = (c - 1) / 2)
            h[c] = h[(c - 1) / 2];
        h[c] = v;
        return;
    }
    if (!(v < h[0]))
        return;
    c = 0;
    for (;;) {
        size_t l = 2 * c + 1, r = l + 1, big = c;
        double bv = v;
        if (l < k && bv < h[l])
            big = l, bv = h[l];
        if (r < k && bv < h[r])
            big = r;
        if (big == c)
            break;
        h[c] = h[big];
        c = big;
    }
    h[c] = v;
}

static int cand_cmp(const void *a, const void *b)
{
    const vp_item *x = a, *y = b;
    return item_less(x, y) ? -1 : item_less(y, x) ? 1 : 0;
}

/* Row i's neighbours from its SGEMM products g (n): |a|^2 + |b|^2 - 2 a.b is within
 * gamma (|a|^2 + |b|^2) of the squared distance (float dot products of d terms, and the
 * rounding of prle__tsne_dist), so every row whose lower bound is at most the k-th smallest
 * upper bound is a candidate, and prle__tsne_dist orders the candidates. */
static void brute_row(size_t *idx, double *dist, const prle_matrix *x, const double *nrm,
                      const float *g, size_t i, size_t k, double gamma, double *ub, vp_item *cand)
{
    size_t n = x->rows, m = 0;
    /* the k-th smallest upper bound: a heap of the k smallest, mostly a compare per row */
    for (size_t j = 0; j < n; j++)
        if (j != i) {
            double s = nrm[i] + nrm[j];
            bound_offer(ub, &m, k, s - 2.0 * (double)g[j] + gamma * s);
        }
    double u = ub[0];
    size_t nc = 0;
    for (size_t j = 0; j < n; j++) {
        if (j == i)
            continue;
        double s = nrm[i] + nrm[j];
        if (s - 2.0 * (double)g[j] - gamma * s <= u)
            cand[nc++] = (vp_item){
                prle__tsne_dist(prle_matrix_row(x, i), prle_matrix_row(x, j), x->cols), j};
    }
    qsort(cand, nc, sizeof *cand, cand_cmp);
    for (size_t j = 0; j < k; j++)
        idx[j] = cand[j].i, dist[j] = cand[j].d;
}

int prle__tsne_knn_brute(size_t *idx_out, double *dist_out, const prle_matrix *x, size_t k,
                         int n_threads)
{
    size_t n = x->rows, d = x->cols, nd, gb;
    int err = 0, nt = prle__threads_resolve(n_threads);
    PRLE_ASSERT(k >= 1 && k < n);
    if (!prle__mul_ok(&nd, n, d) || !prle__mul_ok(&gb, n, BRUTE_BLOCK) ||
        gb > SIZE_MAX / sizeof(double) / (size_t)(nt + 1))
        return prle__error_nomem("tsne brute-force neighbours");
    float *xc = malloc(nd * sizeof *xc), *g = malloc(gb * sizeof *g);
    double *nrm = malloc(n * sizeof *nrm), *mean = calloc(d, sizeof *mean);
    double *ub = malloc((size_t)nt * n * sizeof *ub);
    vp_item *cand = malloc((size_t)nt * n * sizeof *cand);
    if (!xc || !g || !nrm || !mean || !ub || !cand) {
        err = prle__error_nomem("tsne brute-force neighbours");
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
    }
    /* float rounding of centring (2 ulp per term), the dot product (d ulp) and the distance */
    double gamma = ((double)d + 16.0) * 4.0 * 5.960464477539063e-08;
    for (size_t b0 = 0; b0 < n; b0 += BRUTE_BLOCK) {
        size_t nb = n - b0 < BRUTE_BLOCK ? n - b0 : BRUTE_BLOCK;
        prle__gemm(false, true, nb, n, d, 1.0f, xc + b0 * d, d, xc, d, 0.0f, g, n, nt);
#pragma omp parallel for schedule(dynamic, 4) num_threads(nt) if (nb * n >= 65536)
        for (size_t r = 0; r < nb; r++) {
            size_t tid = (size_t)prle__thread_num(), i = b0 + r;
            brute_row(idx_out + i * k, dist_out + i * k, x, nrm, g + r * n, i, k, gamma,
                      ub + tid * n, cand + tid * n);
        }
    }
done:
    free(xc);
    free(g);
    free(nrm);
    free(mean);
    free(ub);
    free(cand);
    return err;
}

/* ---- perplexity ------------------------------------------------------------------------ */

void prle__tsne_binary_search(double *p_out, double *beta_out, const float *sqd, size_t n, size_t k,
                              double perplexity, int n_threads)
{
    int nt = prle__threads_resolve(n_threads);
    (void)nt;
    /* scikit-learn passes the perplexity as a C float */
    double desired_entropy = log((double)(float)perplexity);
#pragma omp parallel for schedule(static) num_threads(nt) if (n * k >= 16384)
    for (size_t i = 0; i < n; i++) {
        const float *d = sqd + i * k;
        double *p = p_out + i * k;
        double beta_min = -INFINITY, beta_max = INFINITY, beta = 1.0;
        for (int step = 0; step < 100; step++) {
            double sum_p = 0.0;
            for (size_t j = 0; j < k; j++) {
                p[j] = exp(-(double)d[j] * beta);
                sum_p += p[j];
            }
            if (sum_p == 0.0)
                sum_p = 1e-8;
            double sum_dp = 0.0;
            for (size_t j = 0; j < k; j++) {
                p[j] /= sum_p;
                sum_dp += (double)d[j] * p[j];
            }
            double diff = log(sum_p) + beta * sum_dp - desired_entropy;
            if (fabs(diff) <= 1e-5)
                break;
            if (diff > 0.0) {
                beta_min = beta;
                beta = beta_max == INFINITY ? beta * 2.0 : (beta + beta_max) / 2.0;
            } else {
                beta_max = beta;
                beta = beta_min == -INFINITY ? beta / 2.0 : (beta + beta_min) / 2.0;
            }
        }
        if (beta_out)
            beta_out[i] = beta;
    }
}

/* ---- symmetrisation -------------------------------------------------------------------- */

void prle__tsne_csr_dispose(tsne_csr *p)
{
    free(p->indptr);
    free(p->col);
    free(p->val);
    *p = (tsne_csr){0};
}

typedef struct {
    size_t col;
    double val;
} csr_entry;

static int entry_cmp(const void *a, const void *b)
{
    size_t x = ((const csr_entry *)a)->col, y = ((const csr_entry *)b)->col;
    return (x > y) - (x < y);
}

int prle__tsne_symmetrize(tsne_csr *out, const size_t *idx, const double *cond, size_t n, size_t k)
{
    int err = 0;
    size_t nk = n * k;
    tsne_csr p = {.n = n};
    size_t *tptr = calloc(n + 1, sizeof *tptr), *fill = malloc(n * sizeof *fill);
    csr_entry *own = malloc(nk * sizeof *own), *tr = malloc(nk * sizeof *tr);
    p.indptr = calloc(n + 1, sizeof *p.indptr);
    if (!tptr || !fill || !own || !tr || !p.indptr) {
        err = prle__error_nomem("tsne affinities");
        goto done;
    }
    /* own rows sorted by column; the transpose by counting sort, rows ascending per column */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k; j++)
            own[i * k + j] = (csr_entry){idx[i * k + j], cond[i * k + j]};
        qsort(own + i * k, k, sizeof *own, entry_cmp);
    }
    for (size_t e = 0; e < nk; e++)
        tptr[idx[e] + 1]++;
    for (size_t i = 0; i < n; i++)
        tptr[i + 1] += tptr[i], fill[i] = tptr[i];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            size_t c = idx[i * k + j];
            tr[fill[c]++] = (csr_entry){i, cond[i * k + j]};
        }
    /* two merge passes: count, then fill */
    for (int pass = 0; pass < 2; pass++) {
        size_t nnz = 0;
        for (size_t i = 0; i < n; i++) {
            const csr_entry *a = own + i * k, *ae = a + k;
            const csr_entry *b = tr + tptr[i], *be = tr + tptr[i + 1];
            while (a < ae || b < be) {
                size_t c;
                double v;
                if (b == be || (a < ae && a->col < b->col))
                    c = a->col, v = (a++)->val;
                else if (a == ae || b->col < a->col)
                    c = b->col, v = (b++)->val;
                else
                    c = a->col, v = (a++)->val + (b++)->val;
                if (pass == 1)
                    p.col[nnz] = c, p.val[nnz] = v;
                nnz++;
            }
            if (pass == 0)
                p.indptr[i + 1] = nnz;
        }
        if (pass == 0) {
            p.col = malloc((nnz ? nnz : 1) * sizeof *p.col);
            p.val = malloc((nnz ? nnz : 1) * sizeof *p.val);
            if (!p.col || !p.val) {
                err = prle__error_nomem("tsne affinities");
                goto done;
            }
        }
    }
    double sum = 0.0;
    size_t nnz = p.indptr[n];
    for (size_t e = 0; e < nnz; e++)
        sum += p.val[e];
    if (sum < 2.220446049250313e-16)
        sum = 2.220446049250313e-16;
    for (size_t e = 0; e < nnz; e++)
        p.val[e] /= sum;
    *out = p;
    p = (tsne_csr){0};
done:
    prle__tsne_csr_dispose(&p);
    free(tptr);
    free(fill);
    free(own);
    free(tr);
    return err;
}

int prle__tsne_affinities(tsne_csr *out, const prle_matrix *x, double perplexity,
                          prle_tsne_knn method, uint64_t seed, int n_threads, double *t_knn,
                          double *t_aff)
{
    int err = 0;
    size_t n = x->rows, k = (size_t)floor(3.0 * perplexity + 1.0);
    if (k > n - 1)
        k = n - 1;
    size_t nk;
    if (!prle__mul_ok(&nk, n, k) || nk > SIZE_MAX / sizeof(double))
        return prle__error_nomem("tsne neighbours");
    size_t *idx = malloc(nk * sizeof *idx);
    double *dist = malloc(nk * sizeof *dist), *cond = malloc(nk * sizeof *cond);
    float *sqd = malloc(nk * sizeof *sqd);
    if (!idx || !dist || !cond || !sqd) {
        err = prle__error_nomem("tsne neighbours");
        goto done;
    }
    double t0 = prle__now();
    if (method == PRLE_TSNE_KNN_AUTO)
        method = x->cols <= PRLE_TSNE_VPTREE_MAX_DIM ? PRLE_TSNE_KNN_VPTREE : PRLE_TSNE_KNN_BRUTE;
    err = method == PRLE_TSNE_KNN_VPTREE ? prle__tsne_knn(idx, dist, x, k, seed, n_threads)
                                         : prle__tsne_knn_brute(idx, dist, x, k, n_threads);
    if (err < 0)
        goto done;
    double t1 = prle__now();
    for (size_t e = 0; e < nk; e++)
        sqd[e] = (float)(dist[e] * dist[e]);
    prle__tsne_binary_search(cond, NULL, sqd, n, k, perplexity, n_threads);
    err = prle__tsne_symmetrize(out, idx, cond, n, k);
    if (t_knn)
        *t_knn = t1 - t0;
    if (t_aff)
        *t_aff = prle__now() - t1;
done:
    free(idx);
    free(dist);
    free(cond);
    free(sqd);
    return err;
}
