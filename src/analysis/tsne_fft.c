/* t-SNE repulsion by FFT-accelerated interpolation (Linderman, Rachh, Hoskins, Steinerberger,
 * Kluger: "Fast interpolation-based t-SNE for improved visualization of single-cell RNA-seq
 * data", Nature Methods 16, 2019; the method of FIt-SNE and openTSNE). The embedding's square
 * is cut into boxes with 3 equispaced interpolation nodes per side, so all nodes form one
 * equispaced grid: each point's charges go to the 9 nodes of its box by Lagrange weights, the
 * kernel 1/(1 + d^2)^2 is applied between all nodes by one zero-padded FFT convolution per
 * charge, and the potentials come back to the points by the same weights. Charges 1, x, y and
 * x^2 + y^2 give both the repulsive force and the normalisation Z. */
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/tsne_int.h"
#include "core/error.h"
#include "core/threads.h"

#define N_INTERP 3    /* nodes per box side */
#define N_CHARGES 4   /* 1, x, y, x^2 + y^2 */
#define MIN_BOXES 20  /* boxes per side at least */
#define BOX_WIDTH 0.5 /* boxes per side at least span / BOX_WIDTH */

/* FFTW's planner is not thread-safe; executing a plan on new arrays is. */
static pthread_mutex_t planner = PTHREAD_MUTEX_INITIALIZER;

struct prle__tsne_fft {
    int M;                            /* FFT side, 2 m (m = N_INTERP boxes) */
    fftw_plan fwd, inv;               /* r2c and c2r of (M, M) */
    double *grid[N_CHARGES + 1];      /* (M, M) real: charges, then the kernel */
    fftw_complex *hat[N_CHARGES + 1]; /* (M, M/2 + 1) */
};

void prle__tsne_fft_free(prle__tsne_fft *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&planner);
    if (f->fwd)
        fftw_destroy_plan(f->fwd);
    if (f->inv)
        fftw_destroy_plan(f->inv);
    pthread_mutex_unlock(&planner);
    for (int c = 0; c <= N_CHARGES; c++)
        fftw_free(f->grid[c]), fftw_free(f->hat[c]);
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
    pthread_mutex_lock(&planner);
    if (f->fwd)
        fftw_destroy_plan(f->fwd);
    if (f->inv)
        fftw_destroy_plan(f->inv);
    f->fwd = f->inv = NULL;
    pthread_mutex_unlock(&planner);
    size_t nr = (size_t)M * (size_t)M, nc = (size_t)M * (size_t)(M / 2 + 1);
    for (int c = 0; c <= N_CHARGES; c++) {
        fftw_free(f->grid[c]), fftw_free(f->hat[c]);
        f->grid[c] = fftw_malloc(nr * sizeof(double));
        f->hat[c] = fftw_malloc(nc * sizeof(fftw_complex));
        if (!f->grid[c] || !f->hat[c]) {
            f->M = 0;
            return prle__error_nomem("tsne fft grids");
        }
    }
    pthread_mutex_lock(&planner);
    f->fwd = fftw_plan_dft_r2c_2d(M, M, f->grid[0], f->hat[0], FFTW_ESTIMATE);
    f->inv = fftw_plan_dft_c2r_2d(M, M, f->hat[0], f->grid[0], FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner);
    if (!f->fwd || !f->inv) {
        f->M = 0;
        return prle__error_set(PRLE_ERROR, "tsne fft: no FFTW plan for %d x %d", M, M);
    }
    f->M = M;
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

/* Lagrange weights of the nodes at 0.5, 1.5, 2.5 for a position t in [0, 3]. */
static inline void lagrange(double w[N_INTERP], double t)
{
    double a = t - 0.5, b = t - 1.5, c = t - 2.5;
    w[0] = 0.5 * b * c;
    w[1] = -a * c;
    w[2] = 0.5 * a * b;
}

/* The box of point (x, y) and the Lagrange weights of its nodes along each axis; the offset
 * of its lower-left node in the grid (rows of `row` nodes). */
static inline size_t locate(double wx[N_INTERP], double wy[N_INTERP], double x, double y, double lo,
                            double w, int nb, size_t row)
{
    double fx = (x - lo) / w, fy = (y - lo) / w;
    int bx = (int)fx, by = (int)fy;
    bx = bx >= nb ? nb - 1 : bx, by = by >= nb ? nb - 1 : by;
    lagrange(wx, (fx - bx) * N_INTERP), lagrange(wy, (fy - by) * N_INTERP);
    return (size_t)(bx * N_INTERP) * row + (size_t)(by * N_INTERP);
}

/* The grid for the embedding: lo, box count nb and width w, FFT side M. */
typedef struct {
    double lo, w, h;
    int nb, m, M;
} grid_shape;

static grid_shape shape(const double *y, size_t n)
{
    grid_shape g;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t e = 0; e < 2 * n; e++)
        lo = fmin(lo, y[e]), hi = fmax(hi, y[e]);
    double span = fmax(hi - lo, 1e-12);
    int nb = (int)ceil(span / BOX_WIDTH);
    nb = nb < MIN_BOXES ? MIN_BOXES : nb;
    g.M = smooth(2 * N_INTERP * nb);
    g.nb = (g.M / 2) / N_INTERP; /* as many boxes as the FFT side holds */
    g.m = N_INTERP * g.nb;
    g.lo = lo;
    g.w = span / g.nb;
    g.h = g.w / N_INTERP;
    return g;
}

int prle__tsne_fft_side(const double *y, size_t n)
{
    return shape(y, n).M;
}

int prle__tsne_repulsive_fft(double *neg_out, double *z_out, prle__tsne_fft *f, const double *y,
                             size_t n, int n_threads)
{
    int nt = prle__threads_resolve(n_threads);
    (void)nt;
    grid_shape g = shape(y, n);
    double lo = g.lo, w = g.w, h = g.h;
    /* charges in coordinates about the grid's centre: the force (x phi1 - phi_x) and Z cancel
     * less than about an origin far away */
    double c0 = lo + 0.5 * w * g.nb;
    int nb = g.nb, m = g.m, M = g.M;
    int err = resize(f, M);
    if (err < 0)
        return err;
    size_t row = (size_t)M, nr = (size_t)M * (size_t)M, nc = (size_t)M * (size_t)(M / 2 + 1);
    for (int c = 0; c < N_CHARGES; c++)
        memset(f->grid[c], 0, nr * sizeof(double));
    /* kernel between node offsets (da, db), |da|, |db| < m, wrapped circularly */
    double *k = f->grid[N_CHARGES];
    for (int a = 0; a < M; a++) {
        int da = a < M - a ? a : M - a;
        for (int b = 0; b < M; b++) {
            int db = b < M - b ? b : M - b;
            double d2 = h * h * ((double)da * da + (double)db * db);
            k[(size_t)a * row + (size_t)b] = (da < m && db < m) ? 1.0 / ((1 + d2) * (1 + d2)) : 0.0;
        }
    }
    /* spread the charges */
    for (size_t i = 0; i < n; i++) {
        double x = y[2 * i], yy = y[2 * i + 1], wx[N_INTERP], wy[N_INTERP];
        size_t at0 = locate(wx, wy, x, yy, lo, w, nb, row);
        double u = x - c0, v = yy - c0;
        double q[N_CHARGES] = {1.0, u, v, u * u + v * v};
        for (int a = 0; a < N_INTERP; a++)
            for (int b = 0; b < N_INTERP; b++) {
                size_t at = at0 + (size_t)a * row + (size_t)b;
                double wab = wx[a] * wy[b];
                for (int c = 0; c < N_CHARGES; c++)
                    f->grid[c][at] += wab * q[c];
            }
    }
    /* convolve: forward transforms, product with the kernel's, inverse */
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int c = 0; c <= N_CHARGES; c++)
        fftw_execute_dft_r2c(f->fwd, f->grid[c], f->hat[c]);
    fftw_complex *kh = f->hat[N_CHARGES];
    double scale = 1.0 / (double)nr;
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int c = 0; c < N_CHARGES; c++) {
        fftw_complex *gh = f->hat[c];
        for (size_t e = 0; e < nc; e++) {
            double re = gh[e][0] * kh[e][0] - gh[e][1] * kh[e][1];
            double im = gh[e][0] * kh[e][1] + gh[e][1] * kh[e][0];
            gh[e][0] = re * scale, gh[e][1] = im * scale;
        }
        fftw_execute_dft_c2r(f->inv, gh, f->grid[c]);
    }
    /* interpolate the potentials back; force and Z */
    double z = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = y[2 * i], yy = y[2 * i + 1], wx[N_INTERP], wy[N_INTERP];
        size_t at0 = locate(wx, wy, x, yy, lo, w, nb, row);
        double phi[N_CHARGES] = {0, 0, 0, 0};
        for (int a = 0; a < N_INTERP; a++)
            for (int b = 0; b < N_INTERP; b++) {
                size_t at = at0 + (size_t)a * row + (size_t)b;
                double wab = wx[a] * wy[b];
                for (int c = 0; c < N_CHARGES; c++)
                    phi[c] += wab * f->grid[c][at];
            }
        double u = x - c0, v = yy - c0;
        neg_out[2 * i] = u * phi[0] - phi[1];
        neg_out[2 * i + 1] = v * phi[0] - phi[2];
        /* sum_j K2 (1 + |yi - yj|^2) = sum_j K1, the self term (1) removed */
        z += (1.0 + u * u + v * v) * phi[0] - 2.0 * (u * phi[1] + v * phi[2]) + phi[3] - 1.0;
    }
    *z_out = z;
    return 0;
}
