/* t-SNE repulsion by FFT-accelerated interpolation (Linderman, Rachh, Hoskins, Steinerberger,
 * Kluger: "Fast interpolation-based t-SNE for improved visualization of single-cell RNA-seq
 * data", Nature Methods 16, 2019; the method of FIt-SNE and openTSNE). The embedding's square
 * is cut into boxes with N_INTERP equispaced interpolation nodes per side, so all nodes form one
 * equispaced grid: each point's charges go to the nodes of its box by Lagrange weights, the
 * kernel 1/(1 + d^2)^2 is applied between all nodes by one zero-padded FFT convolution per
 * charge, and the potentials come back to the points by the same weights. Charges 1, x, y and
 * x^2 + y^2 give both the repulsive force and the normalisation Z. */
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/tsne_int.h"
#include "core/cpu.h"
#include "core/error.h"
#include "core/threads.h"

#define N_INTERP 3    /* nodes per box side */
#define MIN_BOXES 20  /* boxes per side at least */
#define BOX_WIDTH 0.5 /* boxes per side at least span / BOX_WIDTH, up to MAX_SIDE */
/* FFT side at most: wider embeddings split the kernel (shape). On STS-B's 8,628 rows sides
 * 120-256 cost about the same (2.2 ms a step on one thread); 160 is the most accurate */
#define MAX_SIDE 160
#define SUB 2       /* cells per box side: the near field reads the cells within one box width */
#define N_CHARGES 4 /* 1, x, y, x^2 + y^2 */

/* a node's four charges: one 4-lane multiply-add where the processor has lanes (GCC's and
 * clang's vector extension; plain code elsewhere) */
typedef float v4f __attribute__((vector_size(16), may_alias));

/* FFTW's planner is not thread-safe; executing a plan on new arrays is. */
static pthread_mutex_t planner = PTHREAD_MUTEX_INITIALIZER;

struct prle__tsne_fft {
    int M;                         /* FFT side, 2 m (m = N_INTERP boxes) */
    double kh;                     /* node spacing of the kernel's transform in khat */
    fftwf_plan fwd, inv;           /* r2c and c2r of (M, M), in float */
    float *grid[N_CHARGES];        /* (M, M) real: charges, then potentials */
    fftwf_complex *hat[N_CHARGES]; /* (M, M/2 + 1) */
    float *quad;                   /* (M, M, 4) the four charges' grids interleaved */
    float *kgrid;                  /* (M, M) the kernel between node offsets */
    fftwf_complex *khat;           /* (M, M/2 + 1) its transform, scaled by 1 / M^2 */
    size_t cap;                    /* points the arrays below hold */
    uint32_t *order;               /* (n) points by box, ascending index within one (slots) */
    uint32_t *cid;                 /* (n) each point's cell */
    size_t *start;                 /* (boxes + 1) each box's first slot */
    double *zrow;                  /* (n) each point's part of Z */
    double *ys;                    /* (n, 2) the points in slot order */
    float *xf, *yf;                /* (n + 7) the same about the grid's centre, in float */
    float *near_x;                 /* per thread 2 (n + 8): a cell's near list (x, then y) */
    int near_threads;              /* threads near_x holds */
    size_t start_cap;
};

static void free_grids(prle__tsne_fft *f)
{
    pthread_mutex_lock(&planner);
    if (f->fwd)
        fftwf_destroy_plan(f->fwd);
    if (f->inv)
        fftwf_destroy_plan(f->inv);
    f->fwd = f->inv = NULL;
    pthread_mutex_unlock(&planner);
    for (int c = 0; c < N_CHARGES; c++) {
        fftwf_free(f->grid[c]), fftwf_free(f->hat[c]);
        f->grid[c] = NULL, f->hat[c] = NULL;
    }
    fftwf_free(f->kgrid), fftwf_free(f->khat), fftwf_free(f->quad);
    f->kgrid = NULL, f->khat = NULL, f->quad = NULL;
    f->M = 0;
}

void prle__tsne_fft_free(prle__tsne_fft *f)
{
    if (!f)
        return;
    free_grids(f);
    free(f->order);
    free(f->cid);
    free(f->start);
    free(f->zrow);
    free(f->ys);
    free(f->xf);
    free(f->yf);
    free(f->near_x);
    free(f);
}

int prle__tsne_fft_new(prle__tsne_fft **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : prle__error_nomem("tsne fft");
}

/* Buffers and plans for side M (kept while M stays). */
static int resize(prle__tsne_fft *f, int M)
{
    if (f->M == M)
        return 0;
    free_grids(f);
    size_t nr = (size_t)M * (size_t)M, nc = (size_t)M * (size_t)(M / 2 + 1);
    for (int c = 0; c < N_CHARGES; c++) {
        f->grid[c] = fftwf_malloc(nr * sizeof(float));
        f->hat[c] = fftwf_malloc(nc * sizeof(fftwf_complex));
        if (!f->grid[c] || !f->hat[c]) {
            free_grids(f);
            return prle__error_nomem("tsne fft grids");
        }
    }
    f->kgrid = fftwf_malloc(nr * sizeof(float));
    f->khat = fftwf_malloc(nc * sizeof(fftwf_complex));
    f->quad = fftwf_malloc(nr * N_CHARGES * sizeof(float));
    if (!f->kgrid || !f->khat || !f->quad) {
        free_grids(f);
        return prle__error_nomem("tsne fft grids");
    }
    /* FFTW_ESTIMATE: the plan, and so the bits, depend on the size only */
    pthread_mutex_lock(&planner);
    f->fwd = fftwf_plan_dft_r2c_2d(M, M, f->grid[0], f->hat[0], FFTW_ESTIMATE);
    f->inv = fftwf_plan_dft_c2r_2d(M, M, f->hat[0], f->grid[0], FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner);
    if (!f->fwd || !f->inv) {
        free_grids(f);
        return prle__error_set(PRLE_ERROR, "tsne fft: no FFTW plan for %d x %d", M, M);
    }
    f->M = M;
    f->kh = 0.0;
    return 0;
}

/* Room for n points, nb cells and nt threads' near lists. */
static int reserve(prle__tsne_fft *f, size_t n, size_t nb, int nt)
{
    if (n > f->cap || nt > f->near_threads) {
        free(f->near_x);
        f->near_x = malloc((size_t)nt * 2 * (n + 8) * sizeof *f->near_x);
        f->near_threads = f->near_x ? nt : 0;
        f->cap = 0; /* the arrays below follow */
    }
    if (n > f->cap) {
        free(f->order), free(f->cid), free(f->zrow), free(f->ys), free(f->xf), free(f->yf);
        f->order = malloc(n * sizeof *f->order);
        f->cid = malloc(n * sizeof *f->cid);
        f->zrow = malloc(n * sizeof *f->zrow);
        f->ys = malloc(2 * n * sizeof *f->ys);
        f->xf = malloc((n + 7) * sizeof *f->xf);
        f->yf = malloc((n + 7) * sizeof *f->yf);
        f->cap = f->order && f->cid && f->zrow && f->ys && f->xf && f->yf && f->near_x ? n : 0;
        if (!f->cap)
            return prle__error_nomem("tsne fft points");
    }
    if (nb + 1 > f->start_cap) {
        free(f->start);
        f->start = malloc((nb + 1) * sizeof *f->start);
        f->start_cap = f->start ? nb + 1 : 0;
        if (!f->start)
            return prle__error_nomem("tsne fft points");
    }
    return 0;
}

/* The smallest n >= want whose prime factors are 2, 3, 5 and 7 (fast FFT sizes). */
static int smooth(int want)
{
    for (int n = want;; n++) {
        int r = n;
        for (int p = 2; p <= 7; p++)
            while (r % p == 0)
                r /= p;
        if (r == 1)
            return n;
    }
}

/* Lagrange weights of the nodes at 0.5, 1.5, ... N_INTERP - 0.5 for a position t in
 * [0, N_INTERP]. */
static inline void lagrange(double w[N_INTERP], double t)
{
#if N_INTERP == 3
    double a = t - 0.5, b = t - 1.5, c = t - 2.5;
    w[0] = 0.5 * b * c;
    w[1] = -a * c;
    w[2] = 0.5 * a * b;
#else
    for (int k = 0; k < N_INTERP; k++) {
        double num = 1.0, den = 1.0;
        for (int l = 0; l < N_INTERP; l++)
            if (l != k)
                num *= t - (l + 0.5), den *= (double)(k - l);
        w[k] = num / den;
    }
#endif
}

/* The grid for the embedding: lo, box count nb and width w, node spacing h, FFT side M; the
 * near field's squared radius t (0: none) and the smooth kernel's coefficients inside it. */
typedef struct {
    double lo, w, h;
    int nb, m, M;
    double t, s0, s1;
} grid_shape;

static grid_shape shape(const double *y, size_t n)
{
    grid_shape g;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t e = 0; e < 2 * n; e++) {
        lo = y[e] < lo ? y[e] : lo;
        hi = y[e] > hi ? y[e] : hi;
    }
    double span = fmax(hi - lo, 1e-12);
    int nb = (int)ceil(span / BOX_WIDTH);
    nb = nb < MIN_BOXES ? MIN_BOXES : nb;
    g.M = smooth(2 * N_INTERP * nb);
    g.t = g.s0 = g.s1 = 0.0;
    if (g.M > MAX_SIDE)
        g.M = MAX_SIDE;
    g.nb = (g.M / 2) / N_INTERP; /* as many boxes as the FFT side holds */
    g.m = N_INTERP * g.nb;
    g.lo = lo;
    g.w = span / g.nb;
    g.h = g.w / N_INTERP;
    if (g.M == MAX_SIDE && (double)g.nb * BOX_WIDTH < span) {
        /* boxes too wide for the kernel: the grid takes a smooth kernel S, equal to K beyond
         * one box width r and inside it K's first-order Taylor expansion in t = d^2 about r^2;
         * the rest, K - S, is summed over the neighbouring boxes (near). A first-order S
         * interpolates best: on STS-B's late embeddings (span 82 and 172, side 160) the force's
         * relative RMS error is 1.9e-2 and 6.9e-3 (second order: 3.5e-2, 1.5e-2; Barnes-Hut at
         * theta 0.5: 1.5e-2, 1.1e-2), Z's 8e-4 (Barnes-Hut: 9e-3) */
        double t = g.w * g.w, a = 1.0 / (1.0 + t);
        g.t = t;
        g.s0 = a * a;
        g.s1 = -2.0 * a * a * a;
    }
    return g;
}

int prle__tsne_fft_side(const double *y, size_t n)
{
    return shape(y, n).M;
}

/* The grid's kernel at squared distance t: K = 1 / (1 + t)^2, or its smooth part S. */
static inline double smooth_kernel(const grid_shape *g, double t)
{
    if (t < g->t) {
        return g->s0 + (t - g->t) * g->s1;
    }
    return 1.0 / ((1.0 + t) * (1.0 + t));
}

/* A coordinate's cell along one axis, cells of width 1 / iq from lo, clamped to [0, nq). Cells
 * are boxes cut SUB x SUB: the box is cell / SUB. Monotone in v, so the cells of [v - r, v + r]
 * hold every point within r of v. */
static inline int cell_of(double v, double lo, double iq, int nq)
{
    double u = (v - lo) * iq;
    int c = u > 0.0 ? (int)u : 0;
    return c >= nq ? nq - 1 : c;
}

static inline size_t cell_id(const double *p, double lo, double iq, int nq)
{
    return (size_t)cell_of(p[0], lo, iq, nq) * (size_t)nq + (size_t)cell_of(p[1], lo, iq, nq);
}
/* The kernel between node offsets (da, db), |da|, |db| < m, wrapped circularly, transformed
 * (kept while M and h stay). */
static void kernel(prle__tsne_fft *f, const grid_shape *g)
{
    if (f->kh == g->h)
        return;
    int M = g->M, m = g->m;
    size_t row = (size_t)M;
    double h = g->h, scale = 1.0 / ((double)M * (double)M);
    /* the quadrant 0 <= da, db <= M/2, mirrored */
    for (int a = 0; a <= M / 2; a++)
        for (int b = 0; b <= M / 2; b++) {
            double d2 = h * h * ((double)a * a + (double)b * b);
            double k = (a < m && b < m) ? scale * smooth_kernel(g, d2) : 0.0;
            size_t ra = (size_t)a * row, rm = (size_t)((M - a) % M) * row;
            size_t cb = (size_t)b, cm = (size_t)((M - b) % M);
            f->kgrid[ra + cb] = f->kgrid[ra + cm] = f->kgrid[rm + cb] = f->kgrid[rm + cm] =
                (float)k;
        }
    fftwf_execute_dft_r2c(f->fwd, f->kgrid, f->khat);
    f->kh = h;
}

/* The points (in slot order) of the cells within SUB cells of `cell` (nq per side), i.e.
 * within one box width r of any point of it: their coordinates copied into xs, ys (then 7
 * zeros for the last lanes); returns their count. The points of one cell share the list. */
static size_t near_list(float *xs, float *ys, const float *xf, const float *yf, const size_t *start,
                        size_t cell, int nq)
{
    int q = (int)(cell / (size_t)nq), c = (int)(cell % (size_t)nq);
    int q0 = q - SUB > 0 ? q - SUB : 0, q1 = q + SUB < nq ? q + SUB : nq - 1;
    size_t c0 = (size_t)(c - SUB > 0 ? c - SUB : 0), c1 = (size_t)(c + SUB < nq ? c + SUB : nq - 1);
    size_t m = 0;
    for (int r = q0; r <= q1; r++) {
        size_t at = (size_t)r * (size_t)nq, a0 = start[at + c0], a1 = start[at + c1 + 1];
        memcpy(xs + m, xf + a0, (a1 - a0) * sizeof *xs);
        memcpy(ys + m, yf + a0, (a1 - a0) * sizeof *ys);
        m += a1 - a0;
    }
    for (size_t e = m; e < m + 7; e++)
        xs[e] = ys[e] = 0.0f;
    return m;
}

/* The near field of the point in slot si: K - S over the `m` points of its cell's list closer
 * than the box width. */
static void near(double *fx, double *fy, double *zi, const grid_shape *g, const float *xf,
                 const float *yf, size_t si, const float *xs, const float *ys, size_t m, bool wide)
{
    float T = (float)g->t, s0 = (float)g->s0, s1 = (float)g->s1, a[3] = {0, 0, 0};
    prle__tsne_near_run(a, xf[si], yf[si], T, s0, s1, xs, ys, 0, m, wide);
    /* the point itself was in its list: (K - S)(0) */
    float self = 1.0f - (s0 + (0.0f - T) * s1);
    *fx += a[0];
    *fy += a[1];
    *zi += (double)a[2] - (double)self;
}

int prle__tsne_repulsive_fft(double *neg_out, double *z_out, prle__tsne_fft *f, const double *y,
                             size_t n, int n_threads)
{
    int nt = prle__threads_resolve(n_threads);
    (void)nt;
    grid_shape g = shape(y, n);
    double lo = g.lo, w = g.w;
    /* charges in coordinates about the grid's centre: the force (x phi1 - phi_x) and Z cancel
     * less than about an origin far away */
    double c0 = lo + 0.5 * w * g.nb;
    int nb = g.nb, M = g.M;
    int err;
    if ((err = resize(f, M)) < 0 ||
        (err = reserve(f, n, (size_t)nb * (size_t)nb * SUB * SUB, nt)) < 0)
        return err;
    size_t row = (size_t)M, nc = (size_t)M * (size_t)(M / 2 + 1);
    /* points by cell (counting sort, index order kept within one): box rows (SUB rows of
     * cells) own disjoint node rows; the near field reads runs of cells around a point */
    int nq = nb * SUB;
    double iq = SUB / w;
    size_t ncell = (size_t)nq * (size_t)nq, *start = f->start;
    uint32_t *order = f->order;
    double *ys = f->ys;
    memset(start, 0, (ncell + 1) * sizeof *start);
    uint32_t *cid = f->cid;
    for (size_t i = 0; i < n; i++) {
        cid[i] = (uint32_t)cell_id(y + 2 * i, lo, iq, nq);
        start[cid[i] + 1]++;
    }
    for (size_t b = 0; b < ncell; b++)
        start[b + 1] += start[b];
    for (size_t i = 0; i < n; i++) {
        size_t at = start[cid[i]]++;
        order[at] = (uint32_t)i;
        ys[2 * at] = y[2 * i], ys[2 * at + 1] = y[2 * i + 1];
        f->xf[at] = (float)(y[2 * i] - c0), f->yf[at] = (float)(y[2 * i + 1] - c0);
    }
    for (size_t e = n; e < n + 7; e++) /* what a run's last lanes may read */
        f->xf[e] = f->yf[e] = 0.0f;
    for (size_t b = ncell; b > 0; b--)
        start[b] = start[b - 1];
    start[0] = 0;
    double s_self = smooth_kernel(&g, 0.0);
    bool wide = prle__cpu_avx2_fma();
    float *quad = f->quad;
    size_t nfill = (size_t)nb * N_INTERP * row; /* the node rows the points reach */
    fftwf_complex *kh = f->khat;
#pragma omp parallel num_threads(nt)
    {
        /* the kernel's transform (the node spacing moves with the embedding's span) on one
         * thread while the others start spreading */
#pragma omp single nowait
        kernel(f, &g);
        /* spread the charges, one box row (N_INTERP node rows) at a time; the zero padding
         * rows in the same loop (one barrier less) */
#pragma omp for schedule(dynamic, 1)
        for (int bx = 0; bx < nb + 1; bx++) {
            if (bx == nb) {
                for (size_t c = 0; c < N_CHARGES; c++)
                    memset(f->grid[c] + (size_t)nb * N_INTERP * row, 0,
                           ((size_t)M - (size_t)nb * N_INTERP) * row * sizeof(float));
                continue;
            }
            size_t r0 = (size_t)(bx * N_INTERP) * row;
            memset(quad + r0 * N_CHARGES, 0, N_INTERP * row * N_CHARGES * sizeof(float));
            size_t e0 = start[(size_t)bx * SUB * nq], e1 = start[(size_t)(bx + 1) * SUB * nq];
            for (size_t s = e0; s < e1; s++) {
                double x = ys[2 * s], yy = ys[2 * s + 1], wx[N_INTERP], wy[N_INTERP];
                int by = (int)(cid[order[s]] % (size_t)nq) / SUB;
                lagrange(wx, ((x - lo) / w - bx) * N_INTERP);
                lagrange(wy, ((yy - lo) / w - by) * N_INTERP);
                double u = x - c0, v = yy - c0;
                v4f ch = {1.0f, (float)u, (float)v, (float)(u * u + v * v)};
                for (int a = 0; a < N_INTERP; a++) {
                    v4f *q =
                        (v4f *)(void *)(quad + (r0 + (size_t)a * row + (size_t)(by * N_INTERP)) *
                                                   N_CHARGES);
                    for (int b = 0; b < N_INTERP; b++)
                        q[b] += (float)(wx[a] * wy[b]) * ch;
                }
            }
        }
        /* convolve: forward transform, product with the kernel's, inverse; one charge each
         */
#pragma omp for schedule(static, 1)
        for (int c = 0; c < N_CHARGES; c++) {
            fftwf_complex *gh = f->hat[c];
            float *gc = f->grid[c];
            for (size_t e = 0; e < nfill; e++) /* its charge out of the interleaved grid */
                gc[e] = quad[e * N_CHARGES + (size_t)c];
            fftwf_execute_dft_r2c(f->fwd, gc, gh);
            for (size_t e = 0; e < nc; e++) {
                float re = gh[e][0] * kh[e][0] - gh[e][1] * kh[e][1];
                float im = gh[e][0] * kh[e][1] + gh[e][1] * kh[e][0];
                gh[e][0] = re, gh[e][1] = im;
            }
            fftwf_execute_dft_c2r(f->inv, gh, gc);
        }
        /* the potentials interleaved again, for the interpolation (the rows it reads) */
#pragma omp for schedule(static)
        for (size_t e = 0; e < nfill; e++)
            for (int c = 0; c < N_CHARGES; c++)
                quad[e * N_CHARGES + (size_t)c] = f->grid[c][e];
        /* interpolate the potentials back, add the near field; force and each point's part
         * of Z, in slot order */
        float *lx = f->near_x + (size_t)prle__thread_num() * 2 * (n + 8), *ly = lx + n + 8;
        size_t lcell = (size_t)-1, lm = 0; /* the cell whose list lx, ly hold */
#pragma omp for schedule(dynamic, 256)
        for (size_t si = 0; si < n; si++) {
            double x = ys[2 * si], yy = ys[2 * si + 1], wx[N_INTERP], wy[N_INTERP];
            size_t cell = cid[order[si]];
            int bx = (int)(cell / (size_t)nq) / SUB, by = (int)(cell % (size_t)nq) / SUB;
            lagrange(wx, ((x - lo) / w - bx) * N_INTERP);
            lagrange(wy, ((yy - lo) / w - by) * N_INTERP);
            v4f pc = {0, 0, 0, 0};
            for (int a = 0; a < N_INTERP; a++) {
                const v4f *q =
                    (const v4f *)(const void *)(quad + ((size_t)(bx * N_INTERP + a) * row +
                                                        (size_t)(by * N_INTERP)) *
                                                           N_CHARGES);
                for (int b = 0; b < N_INTERP; b++)
                    pc += (float)(wx[a] * wy[b]) * q[b];
            }
            double p0 = pc[0], p1 = pc[1], p2 = pc[2], p3 = pc[3];
            double u = x - c0, v = yy - c0, fx = u * p0 - p1, fy = v * p0 - p2;
            /* sum_j K2 (1 + |yi - yj|^2) = sum_j K1, the self term (S(0)) removed */
            double zi = (1.0 + u * u + v * v) * p0 - 2.0 * (u * p1 + v * p2) + p3 - s_self;
            if (g.t > 0.0) {
                if (cell != lcell)
                    lm = near_list(lx, ly, f->xf, f->yf, start, cell, nq), lcell = cell;
                near(&fx, &fy, &zi, &g, f->xf, f->yf, si, lx, ly, lm, wide);
            }
            size_t i = order[si];
            neg_out[2 * i] = fx;
            neg_out[2 * i + 1] = fy;
            f->zrow[i] = zi;
        }
    }
    double z = 0.0;
    for (size_t i = 0; i < n; i++) /* in index order: the same sum for any thread count */
        z += f->zrow[i];
    *z_out = z;
    return 0;
}
