/* t-SNE repulsion by a Barnes-Hut quadtree (van der Maaten 2014, JMLR 15, Alg. 1 of
 * "Accelerating t-SNE using tree-based algorithms"), as scikit-learn's
 * `_barnes_hut_tsne.gradient` with one degree of freedom. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/tsne_int.h"
#include "core/error.h"
#include "core/threads.h"

/* Cells stop splitting at this depth (width / 2^48 of the root): closer points share a leaf,
 * whose points are still summed one by one. */
#define MAX_DEPTH 48

typedef struct {
    double cx, cy;  /* centre of mass */
    double w2;      /* squared largest side of the cell */
    uint32_t count; /* points in the cell */
    uint32_t next;  /* the node after this cell's subtree (nodes are in preorder) */
    uint32_t first; /* leaf: its points are perm[first, first + count); inner: LEAF_NONE */
    uint32_t pad_;
} bh_node;

#define LEAF_NONE UINT32_MAX

typedef struct {
    bh_node *nodes;
    size_t n_nodes, cap;
    uint32_t *perm; /* (n) points in tree order */
    uint32_t *tmp;  /* (n) scratch of the partition */
    double *py;     /* (n, 2) positions in tree order */
} bh_tree;

static int tree_grow(bh_tree *t)
{
    if (t->n_nodes < t->cap)
        return 0;
    size_t cap = 2 * t->cap + 16;
    if (cap > UINT32_MAX)
        return prle__error_nomem("tsne quadtree");
    bh_node *nn = realloc(t->nodes, cap * sizeof *nn);
    if (!nn)
        return prle__error_nomem("tsne quadtree");
    t->nodes = nn;
    t->cap = cap;
    return 0;
}

static void tree_dispose(bh_tree *t)
{
    free(t->nodes);
    free(t->perm);
    free(t->tmp);
    free(t->py);
}

/* The cell of perm[lo, hi) with box [x0, x1) x [y0, y1), in preorder; children split at the
 * centre, x >= c going to the upper half (scikit-learn's _QuadTree._select_child). */
static int build_cell(bh_tree *t, const double *y, uint32_t lo, uint32_t hi, int depth, double x0,
                      double x1, double y0, double y1)
{
    int err;
    if ((err = tree_grow(t)) < 0)
        return err;
    uint32_t id = (uint32_t)t->n_nodes++;
    bh_node nd = {0};
    double wx = x1 - x0, wy = y1 - y0;
    nd.w2 = fmax(wx * wx, wy * wy);
    nd.count = hi - lo;
    if (hi - lo <= 1 || depth >= MAX_DEPTH) {
        double sx = 0.0, sy = 0.0;
        for (uint32_t s = lo; s < hi; s++)
            sx += y[2 * (size_t)t->perm[s]], sy += y[2 * (size_t)t->perm[s] + 1];
        nd.cx = sx / nd.count;
        nd.cy = sy / nd.count;
        nd.first = lo;
        nd.next = id + 1;
        t->nodes[id] = nd;
        return 0;
    }
    double cx = 0.5 * (x0 + x1), cy = 0.5 * (y0 + y1);
    uint32_t cnt[4] = {0}, off[4], pos[4];
    for (uint32_t s = lo; s < hi; s++) {
        const double *p = y + 2 * (size_t)t->perm[s];
        cnt[((p[0] >= cx) << 1) | (p[1] >= cy)]++;
    }
    off[0] = lo;
    for (int q = 1; q < 4; q++)
        off[q] = off[q - 1] + cnt[q - 1];
    memcpy(pos, off, sizeof pos);
    for (uint32_t s = lo; s < hi; s++) {
        const double *p = y + 2 * (size_t)t->perm[s];
        t->tmp[pos[((p[0] >= cx) << 1) | (p[1] >= cy)]++] = t->perm[s];
    }
    memcpy(t->perm + lo, t->tmp + lo, (hi - lo) * sizeof *t->tmp);
    double sx = 0.0, sy = 0.0;
    for (int q = 0; q < 4; q++) {
        if (!cnt[q])
            continue;
        bool up_x = q >> 1, up_y = q & 1;
        uint32_t child = (uint32_t)t->n_nodes;
        if ((err = build_cell(t, y, off[q], off[q] + cnt[q], depth + 1, up_x ? cx : x0,
                              up_x ? x1 : cx, up_y ? cy : y0, up_y ? y1 : cy)) < 0)
            return err;
        sx += cnt[q] * t->nodes[child].cx;
        sy += cnt[q] * t->nodes[child].cy;
    }
    nd.cx = sx / nd.count;
    nd.cy = sy / nd.count;
    nd.first = LEAF_NONE;
    nd.next = (uint32_t)t->n_nodes;
    t->nodes[id] = nd;
    return 0;
}

/* The quadtree of y (n, 2), root box as scikit-learn's _QuadTree.build_tree. */
static int tree_build(bh_tree *t, const double *y, size_t n)
{
    memset(t, 0, sizeof *t);
    if (n > UINT32_MAX / 8)
        return prle__error_set(PRLE_ENOMEM, "tsne quadtree: %zu points is too many", n);
    t->cap = 2 * n + 16;
    t->nodes = malloc(t->cap * sizeof *t->nodes);
    t->perm = malloc(n * sizeof *t->perm);
    t->tmp = malloc(n * sizeof *t->tmp);
    t->py = malloc(2 * n * sizeof *t->py);
    if (!t->nodes || !t->perm || !t->tmp || !t->py)
        return prle__error_nomem("tsne quadtree");
    double mn[2] = {INFINITY, INFINITY}, mx[2] = {-INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        t->perm[i] = (uint32_t)i;
        for (int a = 0; a < 2; a++) {
            mn[a] = fmin(mn[a], y[2 * i + a]);
            mx[a] = fmax(mx[a], y[2 * i + a]);
        }
    }
    for (int a = 0; a < 2; a++) { /* every point strictly inside the box */
        double sgn = (mx[a] > 0) - (mx[a] < 0);
        mx[a] = fmax(mx[a] * (1.0 + 1e-3 * sgn), mx[a] + 1e-3);
    }
    int err = build_cell(t, y, 0, (uint32_t)n, 0, mn[0], mx[0], mn[1], mx[1]);
    if (err < 0)
        return err;
    for (size_t s = 0; s < n; s++)
        t->py[2 * s] = y[2 * (size_t)t->perm[s]], t->py[2 * s + 1] = y[2 * (size_t)t->perm[s] + 1];
    return 0;
}

/* Repulsion on the point in slot `self` of the tree: a preorder walk that jumps over every
 * cell it takes whole. */
static void bh_point(const bh_tree *t, uint32_t self, double theta2, double *f, double *sumq)
{
    const bh_node *nodes = t->nodes;
    uint32_t end = (uint32_t)t->n_nodes, id = 0;
    double xi = t->py[2 * (size_t)self], yi = t->py[2 * (size_t)self + 1];
    double fx = 0.0, fy = 0.0, sq = 0.0;
    while (id < end) {
        const bh_node *nd = &nodes[id];
        if (nd->first != LEAF_NONE) {
            for (uint32_t s = nd->first; s < nd->first + nd->count; s++) {
                if (s == self)
                    continue;
                double dx = xi - t->py[2 * (size_t)s], dy = yi - t->py[2 * (size_t)s + 1];
                double q = 1.0 / (1.0 + dx * dx + dy * dy);
                sq += q;
                fx += q * q * dx;
                fy += q * q * dy;
            }
            id = nd->next;
            continue;
        }
        double dx = xi - nd->cx, dy = yi - nd->cy, d2 = dx * dx + dy * dy;
        if (nd->w2 < theta2 * d2) {
            double q = 1.0 / (1.0 + d2), m = nd->count * q * q;
            sq += nd->count * q;
            fx += m * dx;
            fy += m * dy;
            id = nd->next;
        } else {
            id++;
        }
    }
    f[0] = fx;
    f[1] = fy;
    *sumq = sq;
}

int prle__tsne_repulsive(double *neg_out, double *sumq_out, const double *y, size_t n, double theta,
                         int n_threads)
{
    bh_tree t;
    int err, nt = prle__threads_resolve(n_threads);
    (void)nt;
    if ((err = tree_build(&t, y, n)) < 0)
        goto done;
    double theta2 = theta * theta;
    /* in tree order, so neighbouring walks share cache lines; outputs go to each point's row */
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt) if (n >= 512)
    for (size_t s = 0; s < n; s++) {
        size_t i = t.perm[s];
        bh_point(&t, (uint32_t)s, theta2, neg_out + 2 * i, sumq_out + i);
    }
done:
    tree_dispose(&t);
    return err;
}
