/* Shared helpers for bench/bench_<thing>.c: medians, CPU time, and the SGEMM rate that later
 * benches compare a training step against ("the GEMM rate make bench measures").
 *
 *   bench_gemm_result g = bench_sgemm_rate(false, true, 5749, 500, 500, 2, 20);
 *   printf("%.1f GFLOP/s\n", g.gflops);
 */
#ifndef PRLE_BENCH_UTIL_H
#define PRLE_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prle/prle.h"

#include "core/error.h"
#include "core/progress.h"
#include "math/blas.h"

/** Median of v[0..n) (sorts v in place); 0 if n is 0. */
static inline double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    for (size_t i = 1; i < n; i++) /* insertion sort: n is a few dozen */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/** CPU seconds used by the whole process (all threads). */
static inline double bench_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/** Repetitions from $PRLE_BENCH_REPS if set (>= 1), else `dflt`. */
static inline int bench_reps(int dflt)
{
    const char *s = getenv("PRLE_BENCH_REPS");
    int v = s ? atoi(s) : 0;
    return v >= 1 ? v : dflt;
}

/** Deterministic fill in [-1, 1). */
static inline void bench_fill(float *x, size_t n, uint64_t seed)
{
    prle_rng r;
    prle_rng_init(&r, seed, "bench.fill", 0);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(2.0 * prle_rng_uniform(&r) - 1.0);
}

typedef struct bench_gemm_result {
    double median_ms; /**< median wall time of one call */
    double gflops;    /**< 2 m n k / median seconds / 1e9 */
    double cpu_ratio; /**< process CPU time / wall time over the timed reps (~threads used) */
    int threads;      /**< threads: OpenBLAS's count in force, or prle__gemm's */
    int reps;         /**< timed calls */
} bench_gemm_result;

/** Timed calls: at least `min_reps`, and enough for about BENCH_MIN_SECONDS, at most 2000. */
#define BENCH_MIN_SECONDS 0.3

/**
 * Times C (m, n) = op(A) op(B), op(A) (m, k), op(B) (k, n), row-major: `blocked` false, OpenBLAS's
 * own threaded sgemm at `threads` threads (the reference rate); true, the library's prle__gemm
 * on `threads` of its threads. A 50 ms pause, 2 warm-up calls, then the median of at least
 * `min_reps` calls spread over at least BENCH_MIN_SECONDS (a median over a longer span rides
 * out short slow spells of a shared machine). Restores the previous OpenBLAS thread count.
 * gflops is 0 if memory ran out.
 */
static inline bench_gemm_result bench_sgemm_rate(bool ta, bool tb, size_t m, size_t n, size_t k,
                                                 int threads, int min_reps, bool blocked)
{
    bench_gemm_result res = {0};
    float *a = malloc(m * k * sizeof *a), *b = malloc(k * n * sizeof *b);
    float *c = malloc(m * n * sizeof *c);
    double *ms = NULL;
    if (!a || !b || !c || min_reps < 1)
        goto done;
    bench_fill(a, m * k, 1);
    bench_fill(b, k * n, 2);
    memset(c, 0, m * n * sizeof *c);

    int before = prle__blas_threads();
    prle__blas_set_threads(threads);
    res.threads = prle__blas_threads();
    /* idle OpenMP workers spin for some ms after a parallel region (libgomp's GOMP_SPINCOUNT);
     * let them settle so cpu_ratio counts this case's threads only */
    nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000}, NULL);
    size_t lda = ta ? m : k, ldb = tb ? k : n;
    double once = 0;
    for (int w = 0; w < 2; w++) {
        double t0 = prle__now();
        if (blocked)
            prle__gemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n, threads);
        else
            prle__sgemm_blas_threaded(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
        once = prle__now() - t0;
    }
    int reps = min_reps;
    if (once > 0 && BENCH_MIN_SECONDS / once > reps)
        reps = BENCH_MIN_SECONDS / once > 2000 ? 2000 : (int)(BENCH_MIN_SECONDS / once) + 1;
    if (!(ms = malloc((size_t)reps * sizeof *ms))) {
        prle__blas_set_threads(before);
        goto done;
    }
    double wall0 = prle__now(), cpu0 = bench_cpu_seconds();
    for (int r = 0; r < reps; r++) {
        double t0 = prle__now();
        if (blocked)
            prle__gemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n, threads);
        else
            prle__sgemm_blas_threaded(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
        ms[r] = 1e3 * (prle__now() - t0);
    }
    double wall = prle__now() - wall0, cpu = bench_cpu_seconds() - cpu0;
    prle__blas_set_threads(before);

    res.reps = reps;
    res.median_ms = bench_median(ms, (size_t)reps);
    res.gflops = 2.0 * (double)m * (double)n * (double)k / (res.median_ms * 1e-3) / 1e9;
    res.cpu_ratio = wall > 0 ? cpu / wall : 0.0;
done:
    free(a), free(b), free(c), free(ms);
    return res;
}

/** The raw labels of split `s` of `ds` as an (n, 1) matrix; -1 when memory runs out. */
static inline int bench_dataset_labels(prle_matrix *y, const prle_dataset *ds, prle_split s)
{
    size_t n = prle_dataset_n_rows(ds, s);
    if (prle_matrix_alloc(y, n, 1) < 0)
        return -1;
    if (n)
        memcpy(y->data, prle_dataset_labels(ds, s), n * sizeof(float));
    return 0;
}

/**
 * {dir}/{split}_embeds.npy and {dir}/{split}_labels.npy (one label per row), the folder
 * layout of ../shared/peers/wrapperbox.py. -1 with prle_last_error() saying why, nothing left
 * allocated.
 */
static inline int bench_load_split(prle_matrix *x, prle_matrix *y, const char *dir,
                                   const char *split)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s_embeds.npy", dir, split);
    if (prle_npy_load(x, path) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s_labels.npy", dir, split);
    if (prle_npy_load(y, path) < 0) {
        prle_matrix_dispose(x);
        return -1;
    }
    if (y->rows * y->cols != x->rows) {
        prle__error_set(PRLE_ESHAPE, "%s: %zu labels for %zu rows", split, y->rows * y->cols,
                        x->rows);
        prle_matrix_dispose(x), prle_matrix_dispose(y);
        return -1;
    }
    return 0;
}

/**
 * The config of the STS-B benches ($PRLE_BENCH_CONFIG, default configs/stsb-glove.yaml), its
 * dataset and its warm embedding cache (nothing encoded, nothing downloaded). 0; or 1 after
 * printing "TAG  skipped: why", with everything disposed. The caller disposes of cfg, ds, rep.
 */
static inline int bench_open_config(prle_config *cfg, prle_dataset **ds, prle_embed_report *rep,
                                    const char *tag)
{
    const char *path = getenv("PRLE_BENCH_CONFIG");
    if (!path || !*path)
        path = "configs/stsb-glove.yaml";
    *ds = NULL;
    memset(rep, 0, sizeof *rep);
    if (prle_config_load(cfg, path) < 0) {
        printf("%s  skipped: cannot read %s (%s)\n", tag, path, prle_last_error());
        return 1;
    }
    prle_dataset_params dp = prle_dataset_default_params();
    dp.allow_download = false;
    prle_config view = *cfg;
    view.model.skip_loading_encoder = true; /* a warm cache: its manifest matches */
    if (prle_dataset_load(ds, &cfg->data, cfg->train.seed, &dp) < 0 ||
        prle_embed(rep, &view, *ds, NULL) < 0) {
        printf("%s  skipped: data or warm embedding cache missing (prle embed %s): %s\n", tag, path,
               prle_last_error());
        prle_embed_report_dispose(rep);
        prle_dataset_free(*ds);
        *ds = NULL;
        prle_config_dispose(cfg);
        return 1;
    }
    printf("%s  %s, features %s\n", tag, path, rep->dir);
    return 0;
}

#endif
