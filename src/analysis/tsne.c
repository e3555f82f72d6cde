/* Barnes-Hut t-SNE: parameters, the PCA start and scikit-learn's two-phase gradient descent
 * (sklearn/manifold/_t_sne.py `_tsne`, `_gradient_descent`, version 1.2). */
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/tsne_int.h"
#include "core/error.h"
#include "core/matrix_int.h"
#include "core/progress.h"
#include "core/threads.h"
#include "math/blas.h"
#include "prle/rng.h"

/* Steps between convergence checks (scikit-learn's _N_ITER_CHECK). */
#define N_ITER_CHECK 50

struct prle_tsne {
    prle_matrix embedding; /* (n, 2) */
    prle_tsne_info info;
};

const char *prle_tsne_method_name(prle_tsne_method m)
{
    switch (m) {
    case PRLE_TSNE_AUTO:
        return "auto";
    case PRLE_TSNE_BH:
        return "bh";
    case PRLE_TSNE_FFT:
        return "fft";
    }
    return "?";
}

prle_tsne_params prle_tsne_default_params(void)
{
    prle_tsne_params p = {0};
    p.perplexity = 30.0;
    p.theta = 0.5;
    p.n_iter = 750;
    p.exaggeration_iter = 250;
    p.early_exaggeration = 12.0;
    p.learning_rate = 0.0;
    p.momentum_early = 0.5;
    p.momentum = 0.8;
    p.min_gain = 0.01;
    p.min_grad_norm = 1e-7;
    p.n_iter_without_progress = 300;
    p.init = PRLE_TSNE_INIT_PCA;
    p.seed = 42;
    return p;
}

int prle_tsne_params_check(const prle_tsne_params *p)
{
    if (!(p->perplexity > 0.0) || !isfinite(p->perplexity))
        return prle__error_set(PRLE_EINVAL, "tsne.perplexity must be > 0, got %g", p->perplexity);
    if (!(p->theta >= 0.0 && p->theta <= 1.0))
        return prle__error_set(PRLE_EINVAL, "tsne.theta must be in [0, 1], got %g", p->theta);
    if (p->method != PRLE_TSNE_AUTO && p->method != PRLE_TSNE_BH && p->method != PRLE_TSNE_FFT)
        return prle__error_set(PRLE_EINVAL, "tsne.method must be auto, bh or fft, got %d",
                               (int)p->method);
    if (p->n_iter < 1)
        return prle__error_set(PRLE_EINVAL, "tsne.n_iter must be >= 1, got %d", p->n_iter);
    if (p->exaggeration_iter < 0 || p->exaggeration_iter > p->n_iter)
        return prle__error_set(PRLE_EINVAL,
                               "tsne.exaggeration_iter must be in [0, n_iter = %d], got %d",
                               p->n_iter, p->exaggeration_iter);
    if (!(p->early_exaggeration >= 1.0) || !isfinite(p->early_exaggeration))
        return prle__error_set(PRLE_EINVAL, "tsne.early_exaggeration must be >= 1, got %g",
                               p->early_exaggeration);
    if (!(p->learning_rate >= 0.0) || !isfinite(p->learning_rate))
        return prle__error_set(PRLE_EINVAL, "tsne.learning_rate must be > 0 or 0 (auto), got %g",
                               p->learning_rate);
    if (!(p->momentum_early >= 0.0 && p->momentum_early < 1.0))
        return prle__error_set(PRLE_EINVAL, "tsne.momentum_early must be in [0, 1), got %g",
                               p->momentum_early);
    if (!(p->momentum >= 0.0 && p->momentum < 1.0))
        return prle__error_set(PRLE_EINVAL, "tsne.momentum must be in [0, 1), got %g", p->momentum);
    if (!(p->min_gain >= 0.0) || !isfinite(p->min_gain))
        return prle__error_set(PRLE_EINVAL, "tsne.min_gain must be >= 0, got %g", p->min_gain);
    if (!(p->min_grad_norm >= 0.0))
        return prle__error_set(PRLE_EINVAL, "tsne.min_grad_norm must be >= 0, got %g",
                               p->min_grad_norm);
    if (p->n_iter_without_progress < 1)
        return prle__error_set(PRLE_EINVAL, "tsne.n_iter_without_progress must be >= 1, got %d",
                               p->n_iter_without_progress);
    if (p->knn != PRLE_TSNE_KNN_AUTO && p->knn != PRLE_TSNE_KNN_VPTREE &&
        p->knn != PRLE_TSNE_KNN_BRUTE)
        return prle__error_set(PRLE_EINVAL, "tsne.knn must be auto, vptree or brute, got %d",
                               (int)p->knn);
    if (p->init != PRLE_TSNE_INIT_PCA && p->init != PRLE_TSNE_INIT_RANDOM)
        return prle__error_set(PRLE_EINVAL, "tsne.init must be pca or random, got %d",
                               (int)p->init);
    return 0;
}

/* ---- the start ------------------------------------------------------------------------- */

/* Columns k0 <= k < r of v (m, r) made orthonormal to each other (Gram-Schmidt, twice). */
/* Top-2 eigenpairs of the symmetric (m, m) matrix a (row-major; overwritten): LAPACK's
 * relatively robust representations (dsyevr) for the two largest only, on one thread (math/
 * blas.h: threaded level-2 BLAS calls would each be a barrier). vec (m, 2) columns, val (2),
 * descending. (Subspace iteration to 1e-10 took 1.9 s at m = 500 on STS-B's flat spectrum;
 * this takes milliseconds.) */
static int top2_eigen(double *vec, double *val, double *a, size_t m)
{
    lapack_int found = 0, k = m < 2 ? (lapack_int)m : 2;
    double z[4] = {0, 0, 0, 0};
    double *zz = m > 2 ? malloc(m * 2 * sizeof *zz) : z;
    /* W holds N values whatever the range: LAPACK may fill it all (a zero matrix, or ties at
     * the boundary, from constant or collinear rows) */
    double *w = calloc(m ? m : 1, sizeof *w);
    lapack_int *isuppz = malloc(2 * 2 * sizeof *isuppz);
    if (!zz || !w || !isuppz) {
        if (zz != z)
            free(zz);
        free(w);
        free(isuppz);
        return prle__error_nomem("tsne pca");
    }
    prle__blas_pin_serial();
    lapack_int info =
        LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)m, a, (lapack_int)m, 0.0, 0.0,
                       (lapack_int)m - k + 1, (lapack_int)m, 0.0, &found, w, zz, 2, isuppz);
    prle__blas_unpin();
    int err = 0;
    if (info != 0 || found != k)
        err = prle__error_set(PRLE_ERROR, "tsne pca: dsyevr returned %d (%d found)", (int)info,
                              (int)found);
    for (size_t i = 0; err == 0 && i < m; i++) /* ascending from LAPACK: largest first here */
        for (lapack_int c = 0; c < 2; c++)
            vec[i * 2 + (size_t)c] = c < k ? zz[i * 2 + (size_t)(k - 1 - c)] : 0.0;
    for (lapack_int c = 0; c < 2; c++)
        val[c] = c < k ? w[k - 1 - c] : 0.0;
    if (zz != z)
        free(zz);
    free(w);
    free(isuppz);
    return err;
}

/* Covariance (d, d) or Gram (n, n), whichever is smaller, through one product; its top
 * eigenvectors by top2_eigen. */
int prle__tsne_pca(double *s, const prle_matrix *x, uint64_t seed, int n_threads)
{
    int nt = prle__threads_resolve(n_threads);
    int err = 0;
    size_t n = x->rows, d = x->cols, m = n < d ? n : d, nd, mm;
    float *xc = NULL, *g = NULL;
    double *gd = NULL, *mean = NULL, *vec = NULL, val[2];
    if (!prle__mul_ok(&nd, n, d) || !prle__mul_ok(&mm, m, m) || mm > SIZE_MAX / sizeof(double))
        return prle__error_nomem("tsne pca");
    xc = malloc(nd * sizeof *xc);
    g = malloc(mm * sizeof *g);
    gd = malloc(mm * sizeof *gd);
    mean = calloc(d, sizeof *mean);
    vec = malloc(2 * m * sizeof *vec);
    if (!xc || !g || !gd || !mean || !vec) {
        err = prle__error_nomem("tsne pca");
        goto done;
    }
    prle__matrix_col_mean(mean, x);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            xc[i * d + j] = (float)((double)x->data[i * d + j] - mean[j]);
    if (m == d) /* C = Xc^T Xc (d, d) */
        prle__gemm(true, false, d, d, n, 1.0f, xc, d, xc, d, 0.0f, g, d, nt);
    else /* G = Xc Xc^T (n, n) */
        prle__gemm(false, true, n, n, d, 1.0f, xc, d, xc, d, 0.0f, g, n, nt);
    for (size_t e = 0; e < mm; e++)
        gd[e] = g[e];
    (void)seed; /* the eigensolver is deterministic: no random start */
    if ((err = top2_eigen(vec, val, gd, m)) < 0)
        goto done;
    for (size_t c = 0; c < 2; c++) {
        if (m == d) {
            for (size_t i = 0; i < n; i++) {
                double acc = 0.0;
                for (size_t j = 0; j < d; j++)
                    acc += (double)xc[i * d + j] * vec[j * 2 + c];
                s[2 * i + c] = acc;
            }
        } else {
            double sv = sqrt(fmax(val[c], 0.0));
            for (size_t i = 0; i < n; i++)
                s[2 * i + c] = vec[i * 2 + c] * sv;
        }
        size_t arg = 0;
        for (size_t i = 1; i < n; i++)
            if (fabs(s[2 * i + c]) > fabs(s[2 * arg + c]))
                arg = i;
        if (s[2 * arg + c] < 0.0)
            for (size_t i = 0; i < n; i++)
                s[2 * i + c] = -s[2 * i + c];
    }
done:
    free(xc);
    free(g);
    free(gd);
    free(mean);
    free(vec);
    return err;
}

/* Rows whose float products would overflow (|x| above 1e15: squared distances and the PCA's
 * covariance past FLT_MAX) are used scaled by 1 / max |x|, a copy in `tmp`: neither the
 * neighbours, the affinities (the perplexity search absorbs a common scale) nor the PCA start
 * (scaled to std 1e-4) depend on it. *use is x otherwise. */
static int tame(const prle_matrix **use, prle_matrix *tmp, const prle_matrix *x)
{
    size_t nd = x->rows * x->cols;
    float big = 0.0f;
    for (size_t e = 0; e < nd; e++)
        big = fabsf(x->data[e]) > big ? fabsf(x->data[e]) : big;
    *use = x;
    if (!(big > 1e15f))
        return 0;
    int err = prle_matrix_alloc(tmp, x->rows, x->cols);
    if (err < 0)
        return err;
    for (size_t e = 0; e < nd; e++)
        tmp->data[e] = x->data[e] / big;
    *use = tmp;
    return 0;
}

static void random_start(double *y, size_t n, uint64_t seed)
{
    prle_rng r;
    prle_rng_init(&r, seed, "tsne.init", 0);
    for (size_t i = 0; i < 2 * n; i++)
        y[i] = 1e-4 * prle_rng_normal(&r);
}

static int tsne_start(double *y, const prle_matrix *x, const prle_tsne_params *p)
{
    size_t n = x->rows;
    if (p->init == PRLE_TSNE_INIT_RANDOM) {
        random_start(y, n, p->seed);
        return 0;
    }
    if (x->cols < 2)
        return prle__error_set(PRLE_EINVAL, "tsne: pca init needs at least 2 columns, got %zu",
                               x->cols);
    const prle_matrix *use;
    prle_matrix tmp = {0};
    int err = tame(&use, &tmp, x);
    if (err == 0)
        err = prle__tsne_pca(y, use, p->seed, p->n_threads);
    prle_matrix_dispose(&tmp);
    if (err < 0)
        return err;
    /* scikit-learn: pca / std(pca[:, 0]) * 1e-4 (population std) */
    double mu = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++)
        mu += y[2 * i];
    mu /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (y[2 * i] - mu) * (y[2 * i] - mu);
    double sd = sqrt(var / (double)n);
    if (!(sd > 0.0)) { /* constant rows: no direction to start along */
        random_start(y, n, p->seed);
        return 0;
    }
    for (size_t i = 0; i < 2 * n; i++)
        y[i] = y[i] / sd * 1e-4;
    return 0;
}

/* ---- the optimisation ------------------------------------------------------------------ */

typedef struct {
    const tsne_csr *p;
    const prle_tsne_params *prm;
    double lr, t0;
    int nt, total;
    double *y, *grad, *update, *gains; /* (n, 2) each */
    prle__tsne_grad *grad_state;       /* packed P, buffers, the FFT repulsion's plans */
} opt_state;

/* One call of scikit-learn's _gradient_descent: steps [it, n_iter) at `momentum` with P
 * scaled by `p_scale`; update and gains restart at 0 and 1. Sets *last and *error. */
static int descend(opt_state *s, int it, int n_iter, double momentum, double p_scale,
                   int without_progress, int *last, double *error)
{
    size_t n = s->p->n, n2 = 2 * n;
    double err = INFINITY, best = INFINITY;
    int best_iter = it, i = it;
    int rc = 0;
    for (size_t e = 0; e < n2; e++)
        s->update[e] = 0.0, s->gains[e] = 1.0;
    for (i = it; i < n_iter; i++) {
        bool check = (i + 1) % N_ITER_CHECK == 0;
        bool want_error = check || i == n_iter - 1;
        if ((rc = prle__tsne_grad_step(s->grad_state, s->grad, want_error ? &err : NULL, p_scale,
                                       s->y, s->prm->method, s->prm->theta, s->nt)) < 0)
            return rc;
        for (size_t e = 0; e < n2; e++) {
            double gn = s->gains[e];
            gn = s->update[e] * s->grad[e] < 0.0 ? gn + 0.2 : gn * 0.8;
            if (gn < s->prm->min_gain)
                gn = s->prm->min_gain;
            s->gains[e] = gn;
            s->grad[e] *= gn;
            s->update[e] = momentum * s->update[e] - s->lr * s->grad[e];
            s->y[e] += s->update[e];
        }
        if (check) {
            double norm = 0.0;
            for (size_t e = 0; e < n2; e++)
                norm += s->grad[e] * s->grad[e];
            norm = sqrt(norm);
            char note[64];
            snprintf(note, sizeof note, "kl %.4f", err);
            if ((rc = prle__progress(s->prm->progress, s->prm->progress_ud, "tsne", (size_t)i + 1,
                                     (size_t)s->total, s->t0, note)) < 0)
                return rc;
            if (err < best) {
                best = err;
                best_iter = i;
            } else if (i - best_iter > without_progress) {
                break;
            }
            if (norm <= s->prm->min_grad_norm)
                break;
        }
    }
    *last = i < n_iter ? i : n_iter - 1;
    *error = err;
    return 0;
}

static int check_input(const prle_matrix *x, const prle_tsne_params *p)
{
    if (!x || !x->data || x->rows < 2 || x->cols < 1)
        return prle__error_set(PRLE_EINVAL,
                               "tsne needs at least 2 rows and 1 column, got (%zu, %zu)",
                               x ? x->rows : 0, x ? x->cols : 0);
    if (p->perplexity >= (double)x->rows)
        return prle__error_set(PRLE_EINVAL,
                               "tsne.perplexity must be less than the number of rows (%zu), got %g",
                               x->rows, p->perplexity);
    for (size_t i = 0; i < x->rows; i++) {
        const float *r = prle_matrix_row(x, i);
        for (size_t j = 0; j < x->cols; j++)
            if (!isfinite(r[j]))
                return prle__error_set(PRLE_EINVAL, "tsne input row %zu, column %zu is %g", i, j,
                                       (double)r[j]);
    }
    return 0;
}

int prle__tsne_prepare(prle__tsne_prep *out, const prle_matrix *x, const prle_tsne_params *p)
{
    int err;
    *out = (prle__tsne_prep){0};
    if ((err = prle_tsne_params_check(p)) < 0 || (err = check_input(x, p)) < 0)
        return err;
    out->t0 = prle__now();
    const prle_matrix *use;
    prle_matrix tmp = {0};
    if ((err = tame(&use, &tmp, x)) == 0)
        err = prle__tsne_affinities(&out->P, use, p->perplexity, p->knn, p->seed,
                                    prle__threads_resolve(p->n_threads), &out->seconds_knn,
                                    &out->seconds_affinity);
    prle_matrix_dispose(&tmp);
    return err;
}

void prle__tsne_prep_dispose(prle__tsne_prep *prep)
{
    prle__tsne_csr_dispose(&prep->P);
    *prep = (prle__tsne_prep){0};
}

int prle__tsne_finish(prle_tsne **out, const prle__tsne_prep *prep, const prle_matrix *x,
                      const prle_tsne_params *p)
{
    int err;
    prle_tsne *t = NULL;
    opt_state s = {0};
    size_t n = x->rows;
    *out = NULL;
    if (prep->P.n != n)
        return prle__error_set(PRLE_ESHAPE, "tsne: affinities of %zu rows for %zu rows", prep->P.n,
                               n);
    if (!(t = calloc(1, sizeof *t)) || (err = prle_matrix_alloc(&t->embedding, n, 2)) < 0) {
        err = t ? err : prle__error_nomem("tsne");
        goto done;
    }
    s.y = malloc(2 * n * sizeof *s.y);
    s.grad = malloc(2 * n * sizeof *s.grad);
    s.update = malloc(2 * n * sizeof *s.update);
    s.gains = malloc(2 * n * sizeof *s.gains);
    if (!s.y || !s.grad || !s.update || !s.gains) {
        err = prle__error_nomem("tsne");
        goto done;
    }
    prle_tsne_info *info = &t->info;
    s.nt = prle__threads_resolve(p->n_threads);
    s.t0 = prep->t0;
    s.p = &prep->P;
    s.prm = p;
    s.total = p->n_iter;
    /* auto: openTSNE's n / exaggeration per phase, in scikit-learn's units (its gradient is
     * 4 times openTSNE's): the first phase scikit-learn's "auto", the second 12 times it */
    double lr_early = p->learning_rate > 0.0 ? p->learning_rate
                                             : fmax((double)n / p->early_exaggeration / 4.0, 50.0);
    double lr_late = p->learning_rate > 0.0 ? p->learning_rate : fmax((double)n / 4.0, 50.0);
    info->learning_rate_early = lr_early;
    info->learning_rate = lr_late;
    s.lr = lr_early;
    info->n_neighbors = (size_t)fmin(floor(3.0 * p->perplexity + 1.0), (double)(n - 1));
    info->seconds_knn = prep->seconds_knn;
    info->seconds_affinity = prep->seconds_affinity;
    if ((err = prle__tsne_grad_new(&s.grad_state, &prep->P, NULL)) < 0)
        goto done;
    double t1 = prle__now();
    if ((err = tsne_start(s.y, x, p)) < 0)
        goto done;
    double t2 = prle__now();
    info->seconds_init = t2 - t1;

    /* phase 1: exaggerated P, low momentum; phase 2 restarts update and gains */
    int last = 0, n_ex = p->exaggeration_iter;
    double kl = NAN;
    if (n_ex > 0 && (err = descend(&s, 0, n_ex, p->momentum_early, p->early_exaggeration, n_ex,
                                   &last, &kl)) < 0)
        goto done;
    if (n_ex == 0 || last < n_ex - 1 || p->n_iter > n_ex) {
        int start = n_ex > 0 ? last + 1 : 0;
        s.lr = lr_late;
        if (start < p->n_iter && (err = descend(&s, start, p->n_iter, p->momentum, 1.0,
                                                p->n_iter_without_progress, &last, &kl)) < 0)
            goto done;
    }
    info->n_iter = last;
    info->kl_divergence = kl;
    info->seconds_optimize = prle__now() - t2;
    for (size_t e = 0; e < 2 * n; e++)
        t->embedding.data[e] = (float)s.y[e];
    *out = t;
    t = NULL;
done:
    free(s.y);
    free(s.grad);
    free(s.update);
    free(s.gains);
    prle__tsne_grad_free(s.grad_state);
    prle_tsne_free(t);
    return err;
}

int prle_tsne_fit(prle_tsne **out, const prle_matrix *x, const prle_tsne_params *p)
{
    prle__tsne_prep prep;
    *out = NULL;
    int err = prle__tsne_prepare(&prep, x, p);
    if (err == 0)
        err = prle__tsne_finish(out, &prep, x, p);
    prle__tsne_prep_dispose(&prep);
    return err;
}

void prle_tsne_free(prle_tsne *t)
{
    if (!t)
        return;
    prle_matrix_dispose(&t->embedding);
    free(t);
}

const prle_matrix *prle_tsne_embedding(const prle_tsne *t)
{
    return &t->embedding;
}

prle_tsne_info prle_tsne_get_info(const prle_tsne *t)
{
    return t->info;
}
