/* make bench: stage 2 prototype selection (issue 5: k-medoids P = 25 on 5,749 rows, D = 500,
 * well under 1 s on 2 cores).
 *
 *   proto_run     the value space `prle kernel configs/stsb-glove.yaml` wrote: first one
 *                 k-medoids run alone for its peak extra memory (growth of the max RSS), then
 *                 every method
 *   proto_random  (5749, 500) normal rows, L2-normalised: every method, median seconds and loss
 *   proto_sif     STS-B train SIF features, L2-normalised (retrieval space)
 *   proto_value   STS-B value space z = n(g(x)) after a kernel fit (resmlp 500, 5 epochs)
 *   proto_close   (3000, 4096) rows near one direction (normal noise of sd 0.002 a column),
 *                 L2-normalised: every distance is recomputed from the rows' differences (the
 *                 product alone would cancel), as in a collapsed wide value space; k-medoids
 *                 only
 *
 * k-medoids/fasterpam runs with the default params (blocked distances beyond 8,192 rows),
 * fp-blocked always blocked, fp-dense with the (n, n) matrix kept. Data: $PRLE_BENCH_VALUE (default
 * runs/stsb-glove/value/train_embeds.npy, from the repository root as `make bench` runs) and
 * $PRLE_BENCH_STSB (default /tmp/stsb-sif, see bench/bench_kernel.c); a case is skipped when
 * its data is missing; `bench_prototypes --run-only` stops after proto_run. Before timing, the
 * blocked distances are checked against direct double loops. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_util.h"
#include "prle/prototypes_int.h"

static void normalise(prle_matrix *m)
{
    for (size_t i = 0; i < m->rows; i++) {
        float *r = prle_matrix_row(m, i);
        double s = 0;
        for (size_t t = 0; t < m->cols; t++)
            s += (double)r[t] * r[t];
        double inv = s > 0 ? 1.0 / sqrt(s) : 0.0;
        for (size_t t = 0; t < m->cols; t++)
            r[t] = (float)(r[t] * inv);
    }
}

static int check_dist(const prle_matrix *x)
{
    size_t n = x->rows, d = x->cols, m = 40;
    float *sq = malloc(n * sizeof *sq), *out = malloc(m * n * sizeof *out);
    int bad = !sq || !out;
    if (!bad) {
        prle__proto_sqnorms(sq, x->data, n, d, 2);
        prle__proto_dist(out, n, x->data, sq, m, x->data, sq, n, d, 2);
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j += 7) {
                double s = 0;
                for (size_t t = 0; t < d; t++) {
                    double e = (double)x->data[i * d + t] - x->data[j * d + t];
                    s += e * e;
                }
                bad |= !(fabs(sqrt(s) - out[i * n + j]) < 1e-4);
            }
    }
    free(sq), free(out);
    if (bad)
        fprintf(stderr, "bench_prototypes: blocked distances differ from the direct loops\n");
    return bad;
}

static int run_case(const char *name, const char *label, const prle_matrix *x, prle_proto_method m,
                    prle_kmedoids_algo a, size_t dense_max_rows, int reps)
{
    prle_proto_params p = prle_proto_default_params();
    p.method = m;
    p.algo = a;
    p.dense_max_rows = dense_max_rows;
    p.n_prototypes = 25;
    p.n_threads = 2;
    size_t idx[25];
    double loss = 0, *sec = malloc((size_t)reps * sizeof *sec), cpu = 0;
    if (!sec)
        return 1;
    for (int r = 0; r < reps; r++) {
        double t0 = prle__now(), c0 = bench_cpu_seconds();
        if (prle_prototypes_select(idx, &loss, x, &p) < 0) {
            fprintf(stderr, "bench_prototypes: %s\n", prle_last_error());
            free(sec);
            return 1;
        }
        sec[r] = prle__now() - t0;
        cpu += bench_cpu_seconds() - c0;
    }
    if (!label)
        label = prle_proto_method_name(m);
    printf("%-13s %-20s n=%zu d=%zu P=25 threads=2  %.3f s (cpu %.3f s)  loss %.4f  (mean %.5f)\n",
           name, label, x->rows, x->cols, bench_median(sec, (size_t)reps), cpu / reps, loss,
           loss / (double)x->rows);
    free(sec);
    return 0;
}

static int run_all(const char *name, const prle_matrix *x)
{
    int reps = bench_reps(3), bad = 0;
    size_t dense = prle_proto_default_params().dense_max_rows;
    const prle_kmedoids_algo fp = PRLE_KMEDOIDS_FASTERPAM;
    bad |= run_case(name, "k-medoids/fasterpam", x, PRLE_PROTO_KMEDOIDS, fp, dense, reps);
    bad |= run_case(name, "k-medoids/fp-blocked", x, PRLE_PROTO_KMEDOIDS, fp, 0, reps);
    bad |= run_case(name, "k-medoids/fp-dense", x, PRLE_PROTO_KMEDOIDS, fp, x->rows, reps);
    bad |= run_case(name, "k-medoids/alternate", x, PRLE_PROTO_KMEDOIDS, PRLE_KMEDOIDS_ALTERNATE,
                    dense, reps);
    bad |= run_case(name, NULL, x, PRLE_PROTO_KMEANSPP, fp, dense, reps);
    bad |= run_case(name, NULL, x, PRLE_PROTO_FARTHEST_FIRST, fp, dense, reps);
    bad |= run_case(name, NULL, x, PRLE_PROTO_RANDOM_REAL, fp, dense, reps);
    return bad;
}

static double max_rss_mb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0; /* KiB on Linux */
}

/* The run folder's value space: one k-medoids run first, its peak memory over the data's. */
static int run_value_file(void)
{
    const char *path = getenv("PRLE_BENCH_VALUE");
    prle_matrix v = {0};
    if (prle_npy_load(&v, path ? path : "runs/stsb-glove/value/train_embeds.npy") < 0) {
        printf("proto_run     skipped: %s\n", prle_last_error());
        return 0;
    }
    if (check_dist(&v)) {
        prle_matrix_dispose(&v);
        return 1;
    }
    prle_proto_params p = prle_proto_default_params();
    p.n_prototypes = 25;
    p.n_threads = 2;
    size_t idx[25];
    double loss, rss0 = max_rss_mb(), t0 = prle__now();
    int bad = prle_prototypes_select(idx, &loss, &v, &p) < 0;
    if (bad)
        fprintf(stderr, "bench_prototypes: %s\n", prle_last_error());
    else
        printf("proto_run     k-medoids/fasterpam  n=%zu d=%zu P=25 threads=2  first run %.3f s, "
               "peak extra memory %.1f MB (max RSS growth)\n",
               v.rows, v.cols, prle__now() - t0, max_rss_mb() - rss0);
    bad = bad || run_all("proto_run", &v);
    prle_matrix_dispose(&v);
    return bad;
}

/* A collapsed wide space: the recomputation of close pairs is the whole cost. */
static int run_close(void)
{
    prle_matrix c = {0};
    if (prle_matrix_alloc(&c, 3000, 4096) < 0)
        return 1;
    prle_rng r;
    prle_rng_init(&r, 2, "bench.proto.close", 0);
    for (size_t i = 0; i < c.rows; i++)
        for (size_t t = 0; t < c.cols; t++)
            c.data[i * c.cols + t] = (float)(1.0 + 0.002 * prle_rng_normal(&r));
    normalise(&c);
    int bad = check_dist(&c) || run_case("proto_close", "k-medoids/fasterpam", &c,
                                         PRLE_PROTO_KMEDOIDS, PRLE_KMEDOIDS_FASTERPAM,
                                         prle_proto_default_params().dense_max_rows, bench_reps(3));
    prle_matrix_dispose(&c);
    return bad;
}

int main(int argc, char **argv)
{
    prle_init(2);
    int bad = run_value_file();
    if (argc > 1 && !strcmp(argv[1], "--run-only")) /* just the run folder's value space */
        return bad;
    prle_matrix x = {0}, xt = {0}, yt = {0}, z = {0};
    if (prle_matrix_alloc(&x, 5749, 500) < 0)
        return 1;
    prle_rng r;
    prle_rng_init(&r, 1, "bench.proto", 0);
    for (size_t i = 0; i < x.rows * x.cols; i++)
        x.data[i] = (float)prle_rng_normal(&r);
    normalise(&x);
    if (check_dist(&x))
        return 1;
    bad |= run_all("proto_random", &x);

    const char *dir = getenv("PRLE_BENCH_STSB");
    char path[1024];
    snprintf(path, sizeof path, "%s/train_embeds.npy", dir ? dir : "/tmp/stsb-sif");
    if (prle_npy_load(&xt, path) < 0) {
        printf("proto_sif     skipped: %s\n", prle_last_error());
        goto done;
    }
    prle_matrix xs = {0};
    if (prle_matrix_copy(&xs, &xt) < 0)
        goto done;
    normalise(&xs);
    bad |= run_all("proto_sif", &xs);
    prle_matrix_dispose(&xs);

    snprintf(path, sizeof path, "%s/train_labels.npy", dir ? dir : "/tmp/stsb-sif");
    prle_kernel_params kp = prle_kernel_default_params();
    kp.hidden_dim = 500, kp.learning_rate = 1e-3, kp.batch_size = 64, kp.max_epochs = 5;
    kp.n_threads = 2, kp.seed = 42;
    prle_kernel *k = NULL;
    if (prle_npy_load(&yt, path) < 0 || prle_kernel_fit(&k, &xt, yt.data, NULL, NULL, &kp) < 0 ||
        prle_kernel_apply(&z, k, &xt, 2) < 0) {
        printf("proto_value   skipped: %s\n", prle_last_error());
        prle_kernel_free(k);
        goto done;
    }
    prle_kernel_free(k);
    bad |= run_all("proto_value", &z);
done:
    bad |= run_close();
    prle_matrix_dispose(&x);
    prle_matrix_dispose(&xt);
    prle_matrix_dispose(&yt);
    prle_matrix_dispose(&z);
    return bad;
}
