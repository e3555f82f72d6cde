/* CART regression tree (Breiman et al. 1984), as scikit-learn's DecisionTreeRegressor builds it
 * (criterion "squared_error", best splitter, depth first): a split maximises the proxy
 * S_l^2 / W_l + S_r^2 / W_r (S sums of w y, W sums of w), thresholds are midpoints between
 * neighbouring values more than 1e-7 apart, min_samples_leaf counts distinct rows, a node whose
 * impurity is <= DBL_EPSILON is a leaf. Columns are sorted once (prle__presort, shared by a
 * forest's trees) and each node is a range [s, e) of every column's sorted order, partitioned
 * stably after a split, so a level costs O(n d) rather than O(n d log n). */
#include "baselines/baselines_int.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "prle/rng.h"

#define FEATURE_THRESHOLD 1e-7

typedef struct tnode {
    int32_t feature; /* -1: leaf */
    int32_t left, right;
    double threshold;
    double value;
} tnode;

struct prle_tree {
    tnode *nodes;
    size_t n_nodes, cap, depth, d;
    prle_tree_params params;
};

prle_tree_params prle_tree_default_params(void)
{
    return (prle_tree_params){.max_depth = 0,
                              .min_samples_split = 2,
                              .min_samples_leaf = 1,
                              .max_features = 1.0,
                              .seed = 42};
}

int prle_tree_params_check(const prle_tree_params *p)
{
    if (!p)
        return prle__error_set(PRLE_EINVAL, "tree: params is NULL");
    if (p->min_samples_split < 2)
        return prle__error_set(PRLE_EINVAL, "tree: min_samples_split must be >= 2, got %zu",
                               p->min_samples_split);
    if (p->min_samples_leaf < 1)
        return prle__error_set(PRLE_EINVAL, "tree: min_samples_leaf must be >= 1, got %zu",
                               p->min_samples_leaf);
    if (!(p->max_features > 0 && p->max_features <= 1))
        return prle__error_set(PRLE_EINVAL, "tree: max_features must be in (0, 1], got %g",
                               p->max_features);
    return 0;
}

typedef struct pair {
    float v;
    uint32_t i;
} pair;

static int pair_cmp(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

int prle__presort_build(prle__presort *out, const prle_matrix *x, int n_threads)
{
    size_t n = x->rows, d = x->cols, nd;
    if (n >= UINT32_MAX || !prle__mul_ok(&nd, n, d) || nd > SIZE_MAX / sizeof(float))
        return prle__error_nomem("tree: presort");
    prle__presort ps = {malloc(nd * sizeof(uint32_t)), malloc(nd * sizeof(float)), n, d};
    int failed = !ps.order || !ps.vals, nt = prle__threads_resolve(n_threads);
    (void)nt;
    if (!failed) {
#pragma omp parallel for schedule(dynamic, 8) num_threads(nt)
        for (size_t f = 0; f < d; f++) {
            pair *pr = malloc(n * sizeof(pair));
            if (!pr) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            for (size_t i = 0; i < n; i++)
                pr[i] = (pair){x->data[i * d + f], (uint32_t)i};
            qsort(pr, n, sizeof(pair), pair_cmp);
            for (size_t i = 0; i < n; i++) {
                ps.order[f * n + i] = pr[i].i;
                ps.vals[f * n + i] = pr[i].v;
            }
            free(pr);
        }
    }
    if (failed) {
        prle__presort_dispose(&ps);
        return prle__error_nomem("tree: presort");
    }
    *out = ps;
    return 0;
}

void prle__presort_dispose(prle__presort *ps)
{
    free(ps->order);
    free(ps->vals);
    *ps = (prle__presort){0};
}

typedef struct builder {
    const float *y;
    const uint32_t *count;
    uint32_t *idx; /* (d, m) rows of each column in sorted order, partitioned by node */
    float *val;    /* (d, m) their values */
    uint32_t *tmp_i;
    float *tmp_v;
    uint8_t *left; /* (n) by row */
    size_t *feats; /* (d) */
    size_t m, d, n_try;
    prle_rng rng;
    prle_tree *t;
} builder;

typedef struct frame {
    size_t s, e, depth;
    int32_t parent; /* -1 for the root */
    int side;       /* 0 left, 1 right */
} frame;

static int push_node(prle_tree *t, tnode nd, int32_t *id)
{
    if (t->n_nodes == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        tnode *nn = realloc(t->nodes, cap * sizeof(tnode));
        if (!nn)
            return prle__error_nomem("tree: nodes");
        t->nodes = nn, t->cap = cap;
    }
    *id = (int32_t)t->n_nodes;
    t->nodes[t->n_nodes++] = nd;
    return 0;
}

static double wt(const builder *b, uint32_t r)
{
    return b->count ? (double)b->count[r] : 1.0;
}

/* best split of [s, e): feature, threshold and left count; false if none */
static bool find_split(builder *b, size_t s, size_t e, double W, double S, size_t *f_out,
                       double *thr_out, size_t *nl_out)
{
    const prle_tree_params *p = &b->t->params;
    size_t cnt = e - s, m = b->m, found = 0;
    double best = -INFINITY;
    bool ok = false;
    for (size_t j = 0; j < b->d; j++)
        b->feats[j] = j;
    for (size_t j = 0; j < b->d && found < b->n_try; j++) {
        if (b->n_try < b->d) { /* random visiting order; constant features do not count */
            size_t r = j + (size_t)prle_rng_below(&b->rng, b->d - j), t = b->feats[j];
            b->feats[j] = b->feats[r], b->feats[r] = t;
        }
        size_t f = b->feats[j];
        const uint32_t *ix = b->idx + f * m;
        const float *v = b->val + f * m;
        if ((double)v[e - 1] <= (double)v[s] + FEATURE_THRESHOLD)
            continue;
        found++;
        double wl = 0, sl = 0;
        for (size_t q = s; q + 1 < e; q++) {
            uint32_t r = ix[q];
            double w = wt(b, r);
            wl += w, sl += w * b->y[r];
            size_t nl = q + 1 - s;
            if ((double)v[q + 1] <= (double)v[q] + FEATURE_THRESHOLD)
                continue;
            if (nl < p->min_samples_leaf || cnt - nl < p->min_samples_leaf)
                continue;
            double wr = W - wl, sr = S - sl;
            double proxy = sl * sl / wl + sr * sr / wr;
            if (proxy > best) {
                best = proxy;
                double thr = (double)v[q] / 2.0 + (double)v[q + 1] / 2.0;
                if (thr == (double)v[q + 1] || isinf(thr))
                    thr = v[q];
                *f_out = f, *thr_out = thr, *nl_out = nl;
                ok = true;
            }
        }
    }
    return ok;
}

static void partition(builder *b, size_t s, size_t e, size_t f, size_t nl)
{
    size_t m = b->m;
    const uint32_t *bi = b->idx + f * m;
    for (size_t q = s; q < e; q++)
        b->left[bi[q]] = q - s < nl;
    for (size_t g = 0; g < b->d; g++) {
        if (g == f)
            continue;
        uint32_t *ix = b->idx + g * m;
        float *v = b->val + g * m;
        size_t l = s, r = 0;
        for (size_t q = s; q < e; q++) {
            if (b->left[ix[q]]) {
                ix[l] = ix[q], v[l] = v[q];
                l++;
            } else {
                b->tmp_i[r] = ix[q], b->tmp_v[r] = v[q];
                r++;
            }
        }
        memcpy(ix + l, b->tmp_i, r * sizeof(uint32_t));
        memcpy(v + l, b->tmp_v, r * sizeof(float));
    }
}

static int build(builder *b)
{
    int err = 0;
    prle_tree *t = b->t;
    const prle_tree_params *p = &t->params;
    size_t cap = 64, top = 0;
    frame *st = malloc(cap * sizeof(frame));
    if (!st)
        return prle__error_nomem("tree: stack");
    st[top++] = (frame){0, b->m, 0, -1, 0};
    while (top > 0) {
        frame fr = st[--top];
        double W = 0, S = 0, S2 = 0;
        for (size_t q = fr.s; q < fr.e; q++) { /* column 0's order: any column holds the rows */
            uint32_t r = b->idx[q];
            double w = wt(b, r), yv = b->y[r];
            W += w, S += w * yv, S2 += w * yv * yv;
        }
        double mean = S / W, imp = S2 / W - mean * mean;
        size_t cnt = fr.e - fr.s, f = 0, nl = 0;
        double thr = 0;
        bool leaf = (p->max_depth && fr.depth >= p->max_depth) || cnt < p->min_samples_split ||
                    cnt < 2 * p->min_samples_leaf || imp <= DBL_EPSILON;
        if (!leaf)
            leaf = !find_split(b, fr.s, fr.e, W, S, &f, &thr, &nl);
        int32_t id = -1;
        tnode nd = {leaf ? -1 : (int32_t)f, -1, -1, leaf ? 0.0 : thr, mean};
        if ((err = push_node(t, nd, &id)) < 0)
            break;
        if (fr.parent >= 0) {
            if (fr.side)
                t->nodes[fr.parent].right = id;
            else
                t->nodes[fr.parent].left = id;
        }
        if (fr.depth > t->depth)
            t->depth = fr.depth;
        if (leaf)
            continue;
        partition(b, fr.s, fr.e, f, nl);
        if (top + 2 > cap) {
            frame *ns = realloc(st, 2 * cap * sizeof(frame));
            if (!ns) {
                err = prle__error_nomem("tree: stack");
                break;
            }
            st = ns, cap *= 2;
        }
        st[top++] = (frame){fr.s + nl, fr.e, fr.depth + 1, id, 1}; /* right, popped second */
        st[top++] = (frame){fr.s, fr.s + nl, fr.depth + 1, id, 0};
    }
    free(st);
    return err;
}

void prle_tree_free(prle_tree *t)
{
    if (!t)
        return;
    free(t->nodes);
    free(t);
}

int prle__tree_fit_weighted(prle_tree **out, const prle_matrix *x, const float *y,
                            const uint32_t *count, const prle__presort *ps,
                            const prle_tree_params *params, uint64_t tree_index)
{
    int err;
    size_t n = x->rows, d = x->cols, m = 0;
    builder b = {0};
    prle__presort own = {0};
    if (!ps) {
        if ((err = prle__presort_build(&own, x, 1)) < 0)
            return err;
        ps = &own;
    }
    for (size_t i = 0; i < n; i++)
        m += !count || count[i] > 0;
    b.y = y, b.count = count, b.m = m, b.d = d;
    b.n_try = (size_t)(params->max_features * (double)d); /* scikit-learn: int(), at least 1 */
    if (b.n_try < 1)
        b.n_try = 1;
    if (b.n_try > d)
        b.n_try = d;
    prle_rng_init(&b.rng, params->seed, "tree.features", tree_index);
    b.idx = malloc(d * (m ? m : 1) * sizeof(uint32_t));
    b.val = malloc(d * (m ? m : 1) * sizeof(float));
    b.tmp_i = malloc((m ? m : 1) * sizeof(uint32_t));
    b.tmp_v = malloc((m ? m : 1) * sizeof(float));
    b.left = malloc(n);
    b.feats = malloc(d * sizeof(size_t));
    b.t = calloc(1, sizeof(prle_tree));
    if (!b.idx || !b.val || !b.tmp_i || !b.tmp_v || !b.left || !b.feats || !b.t) {
        err = prle__error_nomem("tree");
        goto done;
    }
    if (m == 0) {
        err = prle__error_set(PRLE_EINVAL, "tree: every row has weight 0");
        goto done;
    }
    b.t->params = *params, b.t->d = d;
    for (size_t f = 0; f < d; f++) { /* keep the rows drawn, in sorted order */
        size_t k = 0;
        for (size_t q = 0; q < n; q++) {
            uint32_t r = ps->order[f * n + q];
            if (!count || count[r] > 0) {
                b.idx[f * m + k] = r;
                b.val[f * m + k] = ps->vals[f * n + q];
                k++;
            }
        }
    }
    if ((err = build(&b)) < 0)
        goto done;
    *out = b.t;
    b.t = NULL;
done:
    prle_tree_free(b.t);
    free(b.idx), free(b.val), free(b.tmp_i), free(b.tmp_v), free(b.left), free(b.feats);
    prle__presort_dispose(&own);
    return err;
}

int prle_tree_fit(prle_tree **out, const prle_matrix *x, const float *y,
                  const prle_tree_params *params)
{
    int err;
    if (!out)
        return prle__error_set(PRLE_EINVAL, "tree: out is NULL");
    if ((err = prle_tree_params_check(params)) < 0 || (err = prle__check_xy(x, y, 1, "tree")) < 0)
        return err;
    return prle__tree_fit_weighted(out, x, y, NULL, NULL, params, 0);
}

double prle__tree_predict_row(const prle_tree *t, const float *row)
{
    const tnode *nd = t->nodes;
    while (nd->feature >= 0)
        nd = (double)row[nd->feature] <= nd->threshold ? &t->nodes[nd->left] : &t->nodes[nd->right];
    return nd->value;
}

int prle_tree_predict(float *y_out, const prle_tree *t, const prle_matrix *x)
{
    if (!t || !x || !y_out || (x->rows && !x->data))
        return prle__error_set(PRLE_EINVAL, "tree: NULL argument to predict");
    if (x->cols != t->d)
        return prle__error_set(PRLE_ESHAPE, "tree: x has %zu columns, fitted on %zu", x->cols,
                               t->d);
    for (size_t i = 0; i < x->rows; i++)
        y_out[i] = (float)prle__tree_predict_row(t, prle_matrix_row(x, i));
    return 0;
}

size_t prle_tree_n_nodes(const prle_tree *t)
{
    return t ? t->n_nodes : 0;
}

size_t prle_tree_depth(const prle_tree *t)
{
    return t ? t->depth : 0;
}
