/* make bench: the library pipeline of prle run (issue 5 target).
 *
 *   run_stsb   configs/stsb-glove.yaml ($PRLE_BENCH_CONFIG) with the embedding cache warm:
 *              prle_run without analysis and report, the kernel always trained
 *              (pipeline.reuse_kernel=false), into a scratch folder. Prints the median
 *              seconds of each stage over $PRLE_BENCH_REPS runs (default 3), of k-medoids
 *              inside the experts stage (its distance matrix and its passes: the last
 *              "prototypes" progress report, whose clock starts before the matrix since
 *              2026-12-07; before, it counted the passes only), and of kernel + experts +
 *              evaluation (target
 *              <= 3 s), then the test Pearson and MSE.
 *
 * Skipped with a message when the config, the data or a warm cache is missing (prle embed
 * CONFIG warms it). Before timing, the saved run is re-scored (prle_run_eval) and must give
 * the metrics the run reported. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "run/run_int.h"

typedef struct proto_clock {
    double seconds; /* the last "prototypes" progress report */
} proto_clock;

static bool on_progress(const prle_progress *p, void *ud)
{
    proto_clock *c = ud;
    if (!strcmp(p->stage, "prototypes"))
        c->seconds = p->seconds;
    return true;
}

/* The saved folder re-scored must give the run's test metrics, bit for bit. */
static int check_eval(const prle_run_result *res)
{
    prle_run_folder *rf = NULL;
    prle_run_metrics m;
    int err = prle_run_folder_open(&rf, res->dir);
    if (err == 0)
        err = prle_run_eval(&m, rf, 1u << PRLE_SPLIT_TEST, false);
    prle_run_folder_free(rf);
    if (err < 0) {
        fprintf(stderr, "bench_run: %s\n", prle_last_error());
        return 1;
    }
    const prle_metrics *a = &res->metrics.splits[PRLE_SPLIT_TEST].raw;
    const prle_metrics *b = &m.splits[PRLE_SPLIT_TEST].raw;
    if (memcmp(&a->mse, &b->mse, 7 * sizeof(double))) {
        fprintf(stderr, "bench_run: prle_run_eval gives mse %.17g, the run %.17g\n", b->mse,
                a->mse);
        return 1;
    }
    return 0;
}

int main(void)
{
    prle_config cfg = {0};
    prle_dataset *ds = NULL;
    prle_embed_report rep = {0};
    char scratch[] = "/tmp/prle-bench-run-XXXXXX", over[256];
    int rc = 0;
    prle_init(0);
    if (bench_open_config(&cfg, &ds, &rep, "run_stsb"))
        return 0;
    if (!mkdtemp(scratch)) {
        perror("bench_run: mkdtemp");
        rc = 1;
        goto done;
    }
    snprintf(over, sizeof over, "train.output_dir=%s", scratch);
    if (prle_config_override(&cfg, over) < 0 ||
        prle_config_override(&cfg, "pipeline.reuse_kernel=false") < 0) {
        fprintf(stderr, "bench_run: %s\n", prle_last_error());
        rc = 1;
        goto done;
    }
    int reps = bench_reps(3);
    double *st = calloc((size_t)reps * (PRLE_RUN_N_STAGES + 2), sizeof *st);
    if (!st) {
        rc = 1;
        goto done;
    }
    prle_run_result res = {0};
    for (int r = 0; r < reps && rc == 0; r++) {
        proto_clock pc = {0};
        prle_run_params rp = prle_run_default_params();
        rp.analyze = rp.report = false;
        rp.progress = on_progress;
        rp.progress_ud = &pc;
        prle_run_result_dispose(&res);
        if (prle_run(&res, &cfg, &rp) < 0) {
            fprintf(stderr, "bench_run: %s\n", prle_last_error());
            rc = 1;
            break;
        }
        if (r == 0 && (rc = check_eval(&res)) != 0)
            break;
        for (int s = 0; s < PRLE_RUN_N_STAGES; s++)
            st[s * reps + r] = res.seconds[s];
        st[PRLE_RUN_N_STAGES * reps + r] = pc.seconds;
        st[(PRLE_RUN_N_STAGES + 1) * reps + r] = res.seconds[PRLE_STAGE_KERNEL] +
                                                 res.seconds[PRLE_STAGE_EXPERTS] +
                                                 res.seconds[PRLE_STAGE_EVALUATE];
    }
    if (rc == 0) {
        int threads = cfg.train.threads;
        for (int s = 0; s < PRLE_STAGE_ANALYSIS; s++)
            printf("run_stsb  %-22s threads %d  median %8.3f s\n", prle_run_stage_name(s), threads,
                   bench_median(st + (size_t)s * reps, (size_t)reps));
        printf("run_stsb  %-22s threads %d  median %8.3f s\n", "(k-medoids in experts)", threads,
               bench_median(st + (size_t)PRLE_RUN_N_STAGES * reps, (size_t)reps));
        printf("run_stsb  %-22s threads %d  median %8.3f s  (target <= 3 s, %d reps)\n",
               "kernel+experts+eval", threads,
               bench_median(st + (size_t)(PRLE_RUN_N_STAGES + 1) * reps, (size_t)reps), reps);
        const prle_metrics *t = &res.metrics.splits[PRLE_SPLIT_TEST].raw;
        printf("run_stsb  test (%zu rows, P %zu): pearson %.4f  mse %.4f  (raw 0-5 scale)\n", t->n,
               res.n_prototypes, t->pearson, t->mse);
    }
    prle_run_result_dispose(&res);
    free(st);
done:
    if (scratch[sizeof scratch - 2] != 'X')
        prle__remove_tree(scratch);
    prle_embed_report_dispose(&rep);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
    return rc;
}
