/* make bench: the wrapper baselines (issue 6 targets), each grid-searched on validation,
 * refitted on train + validation, scored on test, as ../shared/peers/wrapperbox.py does:
 *
 *   baselines_<kind>  rows, width, threads, seconds of the whole grid, test Pearson / MSE, best
 *                     point, and the process CPU / wall ratio (about the cores used)
 *   oracle_linear     the oracle MoE's wall time (k = 25 k-medoids clusters of train, one ridge
 *                     per cluster, test rows routed to their medoid) and its test Pearson, beside
 *                     the global ridge's (the seconds tests/test_oracle_moe.c used to check)
 *
 * Targets: SVR within 0.003 Pearson of scikit-learn on the same features and >= 1.5x faster than
 * its 93 s grid; kNN and ridge within 0.002; random forest within 0.01.
 *
 * usage: bench_baselines [DIR] [kinds]   DIR holds {train,validation,test}_{embeds,labels}.npy
 * (wrapperbox.py's layout; default $PRLE_BENCH_STSB, else /tmp/stsb-sif); kinds is a comma list
 * of linear,ridge,knn,svr,dt,rf (default linear,ridge,knn,svr,dt; rf takes minutes).
 * Before timing, kNN's blocked SGEMM neighbours are checked against a naive double loop. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/baselines_int.h"
#include "bench_util.h"
#include "core/threads.h"

/* neighbours of the first rows of q through the fast path vs every distance in double */
static int check_knn(const prle_matrix *x, const float *y, const prle_matrix *q)
{
    enum { ROWS = 16, K = 20 };
    prle_knn_params kp = prle_knn_default_params();
    kp.k = K, kp.standardize = false;
    prle_knn *m = NULL;
    prle_matrix q16 = {.data = q->data, .rows = ROWS, .cols = q->cols};
    size_t idx[ROWS * K];
    double dist[ROWS * K];
    int bad = prle_knn_fit(&m, x, y, &kp) < 0 || prle__knn_neighbors(idx, dist, m, &q16, K, 2) < 0;
    double *all = malloc(x->rows * sizeof(double));
    for (size_t r = 0; !bad && r < ROWS; r++) {
        const float *qr = prle_matrix_row(q, r);
        for (size_t i = 0; i < x->rows; i++) {
            double s = 0;
            for (size_t j = 0; j < x->cols; j++) {
                double e = (double)qr[j] - prle_matrix_row(x, i)[j];
                s += e * e;
            }
            all[i] = sqrt(s);
        }
        for (size_t c = 0; c < K; c++) { /* the c-th must have exactly c closer rows */
            size_t closer = 0, me = idx[r * K + c];
            for (size_t i = 0; i < x->rows; i++)
                closer += all[i] < all[me] || (all[i] == all[me] && i < me);
            bad |= closer != c || fabs(all[me] - dist[r * K + c]) > 1e-9;
        }
    }
    free(all);
    prle_knn_free(m);
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *env = getenv("PRLE_BENCH_STSB");
    const char *dir = argc > 1 ? argv[1] : env ? env : "/tmp/stsb-sif";
    char kinds[256];
    snprintf(kinds, sizeof kinds, "%s", argc > 2 ? argv[2] : "linear,ridge,knn,svr,dt");
    prle_matrix x[3] = {{0}}, y[3] = {{0}};
    const char *splits[3] = {"train", "validation", "test"};
    int rc = 0;

    prle_init(0);
    for (int s = 0; s < 3; s++)
        if (bench_load_split(&x[s], &y[s], dir, splits[s]) < 0) {
            fprintf(stderr, "bench_baselines: %s: %s (skipped)\n", dir, prle_last_error());
            rc = 0;
            goto done;
        }
    if (check_knn(&x[0], y[0].data, &x[1]) < 0) {
        fprintf(stderr, "bench_baselines: kNN neighbours differ from the naive loop\n");
        rc = 1;
        goto done;
    }
    prle_baselines_params bp = prle_baselines_default_params();
    int threads = prle__threads_resolve(0);
    for (char *tok = strtok(kinds, ","); tok; tok = strtok(NULL, ",")) {
        prle_baseline_kind kind;
        prle_baseline_result r;
        if (prle_baseline_from_name(&kind, tok) < 0) {
            fprintf(stderr, "bench_baselines: %s\n", prle_last_error());
            rc = 1;
            break;
        }
        double cpu0 = bench_cpu_seconds();
        if (prle_baselines_run(&r, NULL, kind, &x[0], y[0].data, &x[1], y[1].data, &x[2], y[2].data,
                               &bp) < 0) {
            fprintf(stderr, "bench_baselines: %s: %s\n", tok, prle_last_error());
            rc = 1;
            break;
        }
        double cpu = bench_cpu_seconds() - cpu0;
        printf("baselines_%-6s n=%zu+%zu+%zu d=%zu threads=%d points=%zu seconds=%.2f "
               "pearson=%.4f spearman=%.4f mse=%.4f cpu/wall=%.2f best={%s}\n",
               tok, x[0].rows, x[1].rows, x[2].rows, x[0].cols, threads, r.n_points, r.seconds,
               r.test.pearson, r.test.spearman, r.test.mse, cpu / r.seconds, r.best);
        fflush(stdout);
    }
    if (rc == 0) {
        prle_oracle_params op = prle_oracle_default_params();
        op.model = PRLE_ORACLE_LINEAR;
        prle_oracle_result o;
        if (prle_oracle_moe(&o, NULL, &x[0], y[0].data, 0, &x[2], y[2].data, 25, 42, &op) < 0) {
            fprintf(stderr, "bench_baselines: oracle: %s\n", prle_last_error());
            rc = 1;
            goto done;
        }
        printf("oracle_linear  n=%zu+%zu d=%zu k=%zu threads=%d seconds=%.2f pearson=%.4f "
               "(global %.4f) clusters %zu..%zu rows\n",
               x[0].rows, x[2].rows, x[0].cols, o.k, threads, o.seconds, o.oracle.pearson,
               o.global.pearson, o.min_cluster, o.max_cluster);
    }
done:
    for (int s = 0; s < 3; s++) {
        prle_matrix_dispose(&x[s]);
        prle_matrix_dispose(&y[s]);
    }
    return rc;
}
