/* epsilon-SVR with an RBF kernel through libsvm (the solver scikit-learn's SVR wraps). This is
 * the only file that includes svm.h (STYLE.md §1). The RBF kernel matrix of the standardised
 * training rows is computed here (SGEMM for the dot products, exp in double) and given to
 * libsvm as a PRECOMPUTED kernel: a kernel column is then a table lookup, and one matrix serves
 * every C and epsilon of a grid. The svm_problem lives in a prle__svr_kernel; every svm_model is
 * freed before fit returns (the prle_svr keeps copies of its support vectors), so no libsvm model
 * outlives the problem it points into (STYLE.md §6.4).
 *
 * The table in half the memory. libsvm reads a precomputed kernel as x[i][s].value only (s = 0:
 * row i's serial, s = j + 1: K(i, j); its kernel_precomputed, svm.cpp 3.x), never a node's index
 * nor the {-1} terminator, which only its sparse kernels and file writers walk. A node is 16
 * bytes, {int index, 4 bytes of padding, double value}, so two rows share one block of n + 2
 * nodes: row 2p's values in the value halves, row 2p + 1's in the index halves (its pointer 8
 * bytes before the block). Fresh memory is what costs here: STS-B's oracle table is 420 MB
 * instead of 841, and on the 2-core VMs this was measured on, first touching a page costs ~16
 * times writing it again (0.8 s a GB). The SVR tests against scikit-learn check the layout. */
#include "baselines/svr.h"
#include "baselines/baselines_int.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <svm.h>

#include "core/bigmem.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/threads.h"
#include "math/blas.h"

enum { SVR_BLOCK = 256 };

static void svm_silent(const char *s)
{
    (void)s;
}

static void svm_silence(void)
{
    svm_set_print_string_function(svm_silent);
}

void prle__svr_global_init(void)
{
    svm_silence();
}

static pthread_once_t svr_once = PTHREAD_ONCE_INIT;

struct prle__svr_kernel {
    prle_matrix xs; /* (n, d) standardised training rows */
    double *y;      /* (n) */
    prle__scaler scaler;
    bool standardize;
    double gamma;
    prle__bigmem mem;       /* holds vals */
    double *vals;           /* 1 + blocks of 2 (n + 2): rows 2p + 1 and 2p interleaved, (header) */
    struct svm_node **rows; /* (n) into vals */
    size_t cap_rows;        /* y and rows hold this many */
    size_t cap_vals;        /* vals holds this many */
    struct svm_problem prob;
};

struct prle_svr {
    prle_matrix sv; /* (n_sv, d) standardised support vectors */
    double *coef;   /* (n_sv) dual coefficients */
    double *sv_sq;  /* (n_sv) |sv|^2 */
    double rho;
    double gamma;
    prle__scaler scaler;
    prle_svr_params params;
};

prle_svr_params prle_svr_default_params(void)
{
    return (prle_svr_params){.C = 1.0,
                             .epsilon = 0.1,
                             .gamma_mode = PRLE_SVR_GAMMA_SCALE,
                             .gamma = 0.0,
                             .tol = 1e-3,
                             .cache_mb = 0.0,
                             .standardize = true,
                             .shrinking = true};
}

int prle_svr_params_check(const prle_svr_params *p)
{
    if (!p)
        return prle__error_set(PRLE_EINVAL, "svr: params is NULL");
    if (!(p->C > 0) || !isfinite(p->C))
        return prle__error_set(PRLE_EINVAL, "svr: C must be > 0, got %g", p->C);
    if (!(p->epsilon >= 0) || !isfinite(p->epsilon))
        return prle__error_set(PRLE_EINVAL, "svr: epsilon must be >= 0, got %g", p->epsilon);
    if (p->gamma_mode != PRLE_SVR_GAMMA_SCALE && p->gamma_mode != PRLE_SVR_GAMMA_AUTO &&
        p->gamma_mode != PRLE_SVR_GAMMA_VALUE)
        return prle__error_set(PRLE_EINVAL, "svr: gamma_mode %d unknown", (int)p->gamma_mode);
    if (p->gamma_mode == PRLE_SVR_GAMMA_VALUE && (!(p->gamma > 0) || !isfinite(p->gamma)))
        return prle__error_set(PRLE_EINVAL, "svr: gamma must be > 0, got %g", p->gamma);
    if (!(p->tol > 0))
        return prle__error_set(PRLE_EINVAL, "svr: tol must be > 0, got %g", p->tol);
    if (!(p->cache_mb >= 0))
        return prle__error_set(PRLE_EINVAL, "svr: cache_mb must be >= 0, got %g", p->cache_mb);
    return 0;
}

void prle__svr_kernel_free(prle__svr_kernel *k)
{
    if (!k)
        return;
    prle_matrix_dispose(&k->xs);
    free(k->y);
    prle__scaler_dispose(&k->scaler);
    prle__bigmem_free(&k->mem);
    free(k->rows);
    free(k);
}

/* Node s's value of row i (the node's second 8 bytes); the next node's is 2 doubles on. */
static inline double *val(const prle__svr_kernel *k, size_t i, size_t s)
{
    return (double *)(void *)k->rows[i] + 2 * s + 1;
}

static double row_sq(const float *r, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++)
        s += (double)r[j] * r[j];
    return s;
}

int prle__svr_kernel_set(prle__svr_kernel *k, const prle_matrix *x, const float *y,
                         prle_svr_gamma mode, double gamma, bool standardize, size_t reserve,
                         prle_progress_fn fn, void *ud, const char *stage)
{
    int err;
    double *sq = NULL;
    size_t n, d, cap_rows, nv, bytes;

    if ((err = prle__check_xy(x, y, 2, "svr")) < 0)
        return err;
    n = x->rows, d = x->cols;
    cap_rows = reserve > n ? reserve : n;
    /* 1 double before the first block: row 1's node 0 begins there */
    if (cap_rows >= (size_t)INT32_MAX - 2 || !prle__mul_ok(&nv, cap_rows + 1, cap_rows + 2) ||
        !prle__mul_ok(&bytes, ++nv, sizeof(double)))
        return prle__error_nomem("svr: kernel matrix");
    /* the table is all in memory: past 3/4 of the machine's, say so rather than swap or be
     * killed (sklearn's SVR caches columns instead, and takes hours at such sizes anyway) */
    double phys = prle__physical_memory();
    if (phys > 0 && (double)bytes > 0.75 * phys)
        return prle__error_set(PRLE_ENOMEM,
                               "svr: the kernel table of %zu rows needs %.1f GB, more than 3/4 of "
                               "this machine's %.1f GB; fit it on fewer rows (prle baselines "
                               "--svr-rows, prle analyze --oracle-rows)",
                               cap_rows, (double)bytes / 1e9, phys / 1e9);
    k->prob = (struct svm_problem){0};
    prle_matrix_dispose(&k->xs);
    prle__scaler_dispose(&k->scaler);
    k->standardize = standardize;
    if (standardize) {
        if ((err = prle__scaler_fit(&k->scaler, x)) < 0 ||
            (err = prle__scaler_apply(&k->xs, &k->scaler, x)) < 0)
            return err;
    } else if ((err = prle_matrix_copy(&k->xs, x)) < 0)
        return err;

    if (mode == PRLE_SVR_GAMMA_SCALE) { /* 1 / (d * X.var()), X after standardisation */
        double s = 0, s2 = 0, cnt = (double)n * (double)d;
        for (size_t i = 0; i < n * d; i++)
            s += k->xs.data[i];
        double mean = s / cnt;
        for (size_t i = 0; i < n * d; i++) {
            double t = k->xs.data[i] - mean;
            s2 += t * t;
        }
        double var = s2 / cnt;
        k->gamma = var > 0 ? 1.0 / ((double)d * var) : 1.0;
    } else if (mode == PRLE_SVR_GAMMA_AUTO)
        k->gamma = 1.0 / (double)d;
    else
        k->gamma = gamma;

    if (n > k->cap_rows) {
        free(k->y), free(k->rows);
        k->y = malloc(cap_rows * sizeof(double));
        k->rows = malloc(cap_rows * sizeof(struct svm_node *));
        k->cap_rows = k->y && k->rows ? cap_rows : 0;
        if (!k->cap_rows)
            return prle__error_nomem("svr: kernel matrix");
    }
    /* the table stays while it holds n rows: a grid's kernels and its refit share it */
    size_t stride = 2 * (n + 2); /* doubles a block of two rows */
    if ((n + 1) / 2 * stride + 1 > k->cap_vals) {
        prle__bigmem_free(&k->mem);
        k->vals = NULL, k->cap_vals = 0;
        if ((err = prle__bigmem_alloc(&k->mem, bytes)) < 0)
            return prle__error_nomem("svr: kernel matrix");
        k->vals = k->mem.p, k->cap_vals = nv;
    }
    if (!(sq = malloc(n * sizeof(double))))
        return prle__error_nomem("svr: kernel matrix");
    for (size_t i = 0; i < n; i++) {
        k->y[i] = y[i];
        sq[i] = row_sq(prle_matrix_row(&k->xs, i), d);
        /* rows 2p and 2p + 1 start 1 and 0 doubles into block p; node s's value is the
         * row's double 2 s + 1 (val) */
        k->rows[i] = (struct svm_node *)(k->vals + (i / 2) * stride + (i % 2 ? 0 : 1));
    }
    /* K by tiles (a, b), a <= b, of SVR_BLOCK rows, in parallel, each tile's SGEMM
     * single-threaded inside the region (no nesting with OpenBLAS's threads; the same tiles
     * whatever the thread count): half the products and exponentials, and K(j, i) is K(i, j)'s
     * bits, written as rows of the tile's transpose */
    size_t nbk = (n + SVR_BLOCK - 1) / SVR_BLOCK, n_tiles = nbk * (nbk + 1) / 2;
    int nt = prle__threads_resolve(0), failed = 0;
    (void)nt;
    prle__tasks tasks = prle__tasks_begin(fn, ud, stage, n_tiles, "tiles");
#pragma omp parallel num_threads(nt)
    {
        float *g = prle__tasks_stopped(&tasks) ? NULL : malloc(SVR_BLOCK * SVR_BLOCK * sizeof *g);
        double *v = g ? malloc(SVR_BLOCK * SVR_BLOCK * sizeof *v) : NULL;
        if (!v) { /* none once the progress callback asked to stop */
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static) nowait
        for (size_t i = 0; i < n; i++) /* the serial, then the values */
            val(k, i, 0)[0] = (double)(i + 1);
#pragma omp for schedule(dynamic, 1)
        for (size_t t = 0; t < n_tiles; t++) {
            size_t off = 0, a = t; /* the diagonal first, then by distance from it */
            while (a >= nbk - off)
                a -= nbk - off, off++;
            size_t b = a + off, a0 = a * SVR_BLOCK, b0 = b * SVR_BLOCK;
            size_t na = n - a0 < SVR_BLOCK ? n - a0 : SVR_BLOCK;
            size_t nb = n - b0 < SVR_BLOCK ? n - b0 : SVR_BLOCK;
            if (!v || prle__tasks_stopped(&tasks))
                continue;
            prle__sgemm(false, true, na, nb, d, 1.0f, prle_matrix_row(&k->xs, a0), d,
                        prle_matrix_row(&k->xs, b0), d, 0.0f, g, nb);
            for (size_t r = 0; r < na; r++) {
                size_t i = a0 + r;
                double *row = val(k, i, 1);
                for (size_t c = 0; c < nb; c++) {
                    size_t j = b0 + c;
                    double dd = sq[i] + sq[j] - 2.0 * (double)g[r * nb + c];
                    double e = i == j ? 1.0 : exp(-k->gamma * (dd > 0 ? dd : 0.0));
                    v[r * nb + c] = e;
                    row[2 * j] = e;
                }
            }
            for (size_t c = 0; b != a && c < nb; c++) {
                double *row = val(k, b0 + c, 1);
                for (size_t r = 0; r < na; r++)
                    row[2 * (a0 + r)] = v[r * nb + c];
            }
            prle__tasks_done(&tasks);
        }
        free(g);
        free(v);
    }
    free(sq);
    int end = prle__tasks_end(&tasks);
    if (end < 0)
        return end;
    if (failed)
        return prle__error_nomem("svr: kernel tile");
    k->prob.l = (int)n;
    k->prob.y = k->y;
    k->prob.x = k->rows;
    return 0;
}

int prle__svr_kernel_new(prle__svr_kernel **out, const prle_matrix *x, const float *y,
                         prle_svr_gamma mode, double gamma, bool standardize, size_t reserve,
                         prle_progress_fn fn, void *ud, const char *stage)
{
    prle__svr_kernel *k = calloc(1, sizeof *k);
    if (!k)
        return prle__error_nomem("svr");
    int err = prle__svr_kernel_set(k, x, y, mode, gamma, standardize, reserve, fn, ud, stage);
    if (err < 0) {
        prle__svr_kernel_free(k);
        return err;
    }
    *out = k;
    return 0;
}

void prle_svr_free(prle_svr *m)
{
    if (!m)
        return;
    prle_matrix_dispose(&m->sv);
    free(m->coef);
    free(m->sv_sq);
    prle__scaler_dispose(&m->scaler);
    free(m);
}

int prle__svr_fit_kernel(prle_svr **out, const prle__svr_kernel *k, const prle_svr_params *params)
{
    int err;
    struct svm_model *model = NULL;
    prle_svr *m = NULL;
    int *svi = NULL;
    size_t n = (size_t)k->prob.l, d = k->xs.cols;

    if ((err = prle_svr_params_check(params)) < 0)
        return err;
    pthread_once(&svr_once, svm_silence);
    struct svm_parameter sp = {0};
    sp.svm_type = EPSILON_SVR;
    sp.kernel_type = PRECOMPUTED;
    sp.gamma = k->gamma;
    sp.C = params->C;
    sp.p = params->epsilon;
    sp.eps = params->tol;
    double full = (double)n * (double)n * sizeof(float) / (1024.0 * 1024.0) + 1.0;
    sp.cache_size = params->cache_mb > 0 ? params->cache_mb : (full < 2048 ? full : 2048);
    sp.shrinking = params->shrinking ? 1 : 0;
    sp.probability = 0;
    const char *msg = svm_check_parameter(&k->prob, &sp);
    if (msg)
        return prle__error_set(PRLE_EINVAL, "svr: libsvm: %s", msg);
    if (!(model = svm_train(&k->prob, &sp)))
        return prle__error_set(PRLE_ERROR, "svr: libsvm returned no model");

    size_t nsv = (size_t)svm_get_nr_sv(model);
    if (!(m = calloc(1, sizeof *m)) || !(svi = malloc((nsv ? nsv : 1) * sizeof(int)))) {
        err = prle__error_nomem("svr");
        goto done;
    }
    m->params = *params;
    m->params.standardize = k->standardize;
    m->gamma = k->gamma;
    m->rho = model->rho[0];
    if ((err = prle_matrix_alloc(&m->sv, nsv ? nsv : 1, d)) < 0)
        goto done;
    m->sv.rows = nsv;
    m->coef = malloc((nsv ? nsv : 1) * sizeof(double));
    m->sv_sq = malloc((nsv ? nsv : 1) * sizeof(double));
    if (!m->coef || !m->sv_sq) {
        err = prle__error_nomem("svr");
        goto done;
    }
    if (k->standardize && (err = prle__scaler_copy(&m->scaler, &k->scaler)) < 0)
        goto done;
    svm_get_sv_indices(model, svi);
    for (size_t s = 0; s < nsv; s++) {
        size_t i = (size_t)svi[s] - 1; /* 1-based row of the problem */
        PRLE_ASSERT(i < n);
        memcpy(prle_matrix_row(&m->sv, s), prle_matrix_row(&k->xs, i), d * sizeof(float));
        m->coef[s] = model->sv_coef[0][s];
        m->sv_sq[s] = row_sq(prle_matrix_row(&m->sv, s), d);
    }
    *out = m;
    m = NULL;
    err = 0;
done:
    svm_free_and_destroy_model(&model);
    free(svi);
    prle_svr_free(m);
    return err;
}

int prle_svr_fit(prle_svr **out, const prle_matrix *x, const float *y,
                 const prle_svr_params *params)
{
    int err;
    prle__svr_kernel *k = NULL;
    if (!out)
        return prle__error_set(PRLE_EINVAL, "svr: out is NULL");
    if ((err = prle_svr_params_check(params)) < 0 ||
        (err = prle__svr_kernel_new(&k, x, y, params->gamma_mode, params->gamma,
                                    params->standardize, 0, NULL, NULL, NULL)) < 0)
        return err;
    err = prle__svr_fit_kernel(out, k, params);
    prle__svr_kernel_free(k);
    return err;
}

int prle_svr_predict(float *y_out, const prle_svr *m, const prle_matrix *x)
{
    int err;
    prle_matrix q = {0};
    if (!m || !x || !y_out || (x->rows && !x->data))
        return prle__error_set(PRLE_EINVAL, "svr: NULL argument to predict");
    size_t d = m->sv.cols, nsv = m->sv.rows, nq = x->rows;
    if (x->cols != d)
        return prle__error_set(PRLE_ESHAPE, "svr: x has %zu columns, fitted on %zu", x->cols, d);
    if (nq == 0)
        return 0;
    if (m->params.standardize) {
        if ((err = prle__scaler_apply(&q, &m->scaler, x)) < 0)
            return err;
    } else if ((err = prle_matrix_copy(&q, x)) < 0)
        return err;
    size_t n_blocks = (nq + SVR_BLOCK - 1) / SVR_BLOCK;
    int nt = prle__threads_resolve(0), failed = 0;
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t b = 0; b < n_blocks; b++) {
        size_t r0 = b * SVR_BLOCK, rows = nq - r0 < SVR_BLOCK ? nq - r0 : SVR_BLOCK;
        float *g = malloc((nsv ? rows * nsv : 1) * sizeof(float)); /* (rows, n_sv) */
        if (!g) {
#pragma omp atomic write
            failed = 1;
            continue;
        }
        if (nsv)
            prle__sgemm(false, true, rows, nsv, d, 1.0f, prle_matrix_row(&q, r0), d, m->sv.data, d,
                        0.0f, g, nsv);
        for (size_t r = 0; r < rows; r++) {
            double qsq = row_sq(prle_matrix_row(&q, r0 + r), d), f = 0;
            for (size_t s = 0; s < nsv; s++) {
                double dd = qsq + m->sv_sq[s] - 2.0 * g[r * nsv + s];
                f += m->coef[s] * exp(-m->gamma * (dd > 0 ? dd : 0.0));
            }
            y_out[r0 + r] = (float)(f - m->rho);
        }
        free(g);
    }
    prle_matrix_dispose(&q);
    return failed ? prle__error_nomem("svr: predict block") : 0;
}

size_t prle_svr_n_sv(const prle_svr *m)
{
    return m ? m->sv.rows : 0;
}

double prle_svr_gamma_used(const prle_svr *m)
{
    return m ? m->gamma : 0.0;
}
