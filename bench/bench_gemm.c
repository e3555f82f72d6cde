/* SGEMM rate of OpenBLAS's own threaded sgemm: 512^3 at 1 and 2 threads against the best rate
 * over square sizes 256..2048; and the library's prle__gemm (fixed blocks, each one serial
 * OpenBLAS call, so the bits do not depend on the thread count) beside it at 512^3 and the
 * kernel training shapes (batch x hidden x hidden, H = 500 and H = 4096). One line per case:
 * name, sizes, threads, median ms, GFLOP/s, CPU/wall.
 * Each case: 2 warm-up calls, then the median of at least 20 calls (PRLE_BENCH_REPS overrides)
 * spanning at least BENCH_MIN_SECONDS. */
#include <math.h>

#include "bench_util.h"

#include "math/ref_ops.h"

/* The fast path against the naive loops before any timing (STYLE.md §12), at both counts. */
static int check_against_reference(void)
{
    const size_t m = 97, n = 83, k = 131;
    float *a = malloc(m * k * sizeof *a), *b = malloc(k * n * sizeof *b);
    float *c = malloc(m * n * sizeof *c), *r = malloc(m * n * sizeof *r);
    int bad = 1;
    if (!a || !b || !c || !r)
        goto done;
    bench_fill(a, m * k, 3);
    bench_fill(b, k * n, 4);
    bad = 0;
    for (int tb = 0; tb < 2; tb++)
        for (int threads = 1; threads <= 2; threads++) {
            prle__blas_set_threads(threads);
            size_t ldb = tb ? k : n;
            prle__sgemm_blas_threaded(false, tb, m, n, k, 1.0f, a, k, b, ldb, 0.0f, c, n);
            prle__ref_sgemm(false, tb, m, n, k, 1.0f, a, k, b, ldb, 0.0f, r, n);
            double worst = 0;
            for (size_t i = 0; i < m * n; i++)
                worst = fmax(worst, fabs((double)c[i] - (double)r[i]));
            if (!(worst < 1e-5 * (double)k)) {
                fprintf(stderr, "bench_gemm: sgemm differs from reference by %g (threads %d)\n",
                        worst, threads);
                bad = 1;
            }
        }
done:
    free(a), free(b), free(c), free(r);
    return bad;
}

static int n_starved; /* cases that got less CPU than their thread count */

static bench_gemm_result run_case(const char *name, bool ta, bool tb, size_t m, size_t n, size_t k,
                                  int threads, int reps, bool blocked)
{
    bench_gemm_result g = bench_sgemm_rate(ta, tb, m, n, k, threads, reps, blocked);
    if (g.reps == 0) {
        fprintf(stderr, "bench_gemm: out of memory at %zux%zux%zu\n", m, n, k);
        exit(1);
    }
    printf("%-12s m=%-5zu n=%-5zu k=%-5zu threads=%d  median %9.3f ms  %7.1f GFLOP/s  "
           "cpu/wall %.2f  reps %d\n",
           name, m, n, k, g.threads, g.median_ms, g.gflops, g.cpu_ratio, g.reps);
    fflush(stdout);
    if (g.cpu_ratio < 0.9 * g.threads)
        n_starved++;
    return g;
}

int main(void)
{
    prle_init(0);
    int reps = bench_reps(20);
    printf("bench_gemm: config \"%s\"; OpenBLAS at %d threads; median of >= %d reps\n",
           prle__blas_config(), prle__blas_threads(), reps);
    if (check_against_reference())
        return 1;
    printf("check: OpenBLAS threaded sgemm matches prle__ref_sgemm (97x83x131, NN and NT, 1 and 2 "
           "threads)\n");

    bench_gemm_result at512[3] = {{0}};
    for (int t = 1; t <= 2; t++)
        at512[t] = run_case("sgemm_nn", false, false, 512, 512, 512, t, reps, false);

    /* peak: the best over square sizes 256..2048 (512 measured above) and both thread counts */
    const size_t sq[] = {256, 512, 1024, 1536, 2048};
    double peak = 0, big[3] = {0};
    size_t peak_size = 0;
    int peak_threads = 0;
    for (size_t i = 0; i < sizeof sq / sizeof *sq; i++)
        for (int t = 1; t <= 2; t++) {
            bench_gemm_result g = sq[i] == 512 ? at512[t]
                                               : run_case("peak_nn", false, false, sq[i], sq[i],
                                                          sq[i], t, reps, false);
            if (g.gflops > peak)
                peak = g.gflops, peak_size = sq[i], peak_threads = t;
            if (sq[i] == 2048)
                big[t] = g.gflops;
        }

    /* the library's blocked products: 512^3, and the kernel training shapes, y = x W^T:
       forward (NT), weight gradient dy^T x (TN), dx (NN) */
    bench_gemm_result blk512[3] = {{0}};
    for (int t = 1; t <= 2; t++)
        blk512[t] = run_case("gemm_nn", false, false, 512, 512, 512, t, reps, true);
    const size_t shapes[3][2] = {{64, 500}, {5749, 500}, {256, 4096}}; /* {batch, hidden} */
    for (int s = 0; s < 3; s++) {
        size_t bt = shapes[s][0], h = shapes[s][1];
        for (int t = 1; t <= 2; t++) {
            run_case("train_fwd_nt", false, true, bt, h, h, t, reps, true);
            run_case("train_dw_tn", true, false, h, h, bt, t, reps, true);
            run_case("train_dx_nn", false, false, bt, h, h, t, reps, true);
        }
    }

    printf("peak %.1f GFLOP/s (%zu^3, %d threads); 512^3 reaches %.0f%% of it with 1 thread, "
           "%.0f%% with 2\n",
           peak, peak_size, peak_threads, 100.0 * at512[1].gflops / peak,
           100.0 * at512[2].gflops / peak);
    printf("2-thread speedup: %.2fx at 512^3, %.2fx at 2048^3\n", at512[2].gflops / at512[1].gflops,
           big[2] / big[1]);
    printf("prle__gemm at 512^3: %.1f GFLOP/s with 2 threads = %.0f%% of OpenBLAS's own 2-thread "
           "rate\n",
           blk512[2].gflops, 100.0 * blk512[2].gflops / at512[2].gflops);
    if (n_starved)
        printf("warning: %d cases got less CPU than their threads (cpu/wall < 0.9 x threads): "
               "other processes were running, so those rates are low; rerun on a quiet "
               "machine\n",
               n_starved);
    return 0;
}
