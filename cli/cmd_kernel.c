/* prle kernel CONFIG [key=value...]: stage 1, train the kernel and write the value space
 * (SPEC.md §4). Reads the stage 0 cache (built or reused through prle_embed) and writes into
 * the run folder {train.output_dir}/{logging.run_name}/:
 *   kernel.safetensors          the kernel (PyTorch names)
 *   value/{split}_embeds.npy    z = n(g(e)) of every split
 *   kernel_report.json          distance-label correlation on train, retrieval vs value space,
 *                               and the epoch records
 *   train_log.csv               one row per epoch: stage, losses by term, val pair loss, seconds
 *   config.yaml                 the resolved configuration
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data/download.h"
#include "io/fileio.h"

static int path_join(char *out, size_t len, const char *a, const char *b)
{
    int n = snprintf(out, len, "%s/%s", a, b);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static bool print_epoch(const prle_kernel_epoch *e, void *ud)
{
    (void)ud;
    printf("%5d %10.6f %10.6f %10.6f %10.5f %10.6f %8.2f %9.0f\n", e->epoch, e->loss, e->loss_pair,
           e->loss_triplet, e->loss_uniform, e->val_pair, e->seconds, e->rows_per_s);
    fflush(stdout);
    return true;
}

static int write_train_log(const char *path, const prle_kernel *k)
{
    prle__afile f = {0};
    int err = prle__afile_open(&f, path);
    if (err < 0)
        return err;
    size_t n;
    const prle_kernel_epoch *e = prle_kernel_history(k, &n);
    fprintf(f.fp, "stage,epoch,loss,loss_pair,loss_triplet,loss_uniform,val_pair,seconds,"
                  "rows_per_s,kept\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f.fp, "kernel,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.6f,%.1f,%d\n", e[i].epoch, e[i].loss,
                e[i].loss_pair, e[i].loss_triplet, e[i].loss_uniform, e[i].val_pair, e[i].seconds,
                e[i].rows_per_s, e[i].epoch == prle_kernel_kept_epoch(k));
    return prle__afile_commit(&f);
}

/* Value-space embeddings of one split, written to value/{split}_embeds.npy. `z` is kept for
 * the train split (the report needs it). */
static int write_value(prle_matrix *z, const prle_kernel *k, const prle_matrix *x,
                       const char *value_dir, prle_split split, int threads)
{
    char path[4200], name[64];
    int err = prle_kernel_apply(z, k, x, threads);
    if (err < 0)
        return err;
    snprintf(name, sizeof name, "%s_embeds.npy", prle_split_name(split));
    if (path_join(path, sizeof path, value_dir, name) < 0)
        return PRLE_EINVAL;
    return prle_npy_save(path, z);
}

int cmd_kernel(int argc, char **argv)
{
    prle_config cfg = {0};
    prle_dataset *ds = NULL;
    prle_embed_report rep = {0};
    prle_kernel *k = NULL;
    prle_matrix x[PRLE_N_SPLITS] = {{0}}, z = {0};
    int rc = CLI_OK, err;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            cli_error(CLI_USAGE, "kernel: unknown option '%s'", argv[i]);
            cli_usage(stderr, "kernel");
            return CLI_USAGE;
        }
    if ((rc = cli_config_load(&cfg, argc - 1, argv + 1)) != CLI_OK)
        return rc;
    prle_init(cfg.train.threads);
    bool show = !cli_opts.quiet;

    /* stage 0's cache: built, or reused when its manifest matches */
    if ((err = prle_dataset_load(&ds, &cfg.data, cfg.train.seed, NULL)) < 0 ||
        (err = prle_embed(&rep, &cfg, ds, NULL)) < 0)
        goto fail;
    if (show)
        fprintf(stderr, "prle: embeddings %s: %s\n", rep.dir,
                rep.reused ? "reused" : (rep.is_input ? "inputs" : "built"));
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        if (prle_dataset_n_rows(ds, (prle_split)s) > 0 &&
            (err = prle_embed_load(&x[s], &cfg, ds, (prle_split)s)) < 0)
            goto fail;

    prle_kernel_params kp;
    if ((err = prle_kernel_params_from_config(&kp, &cfg)) < 0)
        goto fail;
    kp.label_min = prle_dataset_label_min(ds);
    kp.label_max = prle_dataset_label_max(ds);
    if (show) {
        kp.on_epoch = print_epoch;
        printf("kernel %s: H %zu, %zu train rows, batch %zu, lr %g, %d epochs, %s threads\n",
               prle_head_type_name(kp.type), x[PRLE_SPLIT_TRAIN].cols, x[PRLE_SPLIT_TRAIN].rows,
               kp.batch_size, kp.learning_rate, kp.max_epochs,
               cfg.train.threads ? "train.threads" : "all");
        printf("%5s %10s %10s %10s %10s %10s %8s %9s\n", "epoch", "loss", "pair", "triplet",
               "uniform", "val_pair", "seconds", "rows/s");
    }
    const prle_matrix *xv = x[PRLE_SPLIT_VALIDATION].rows ? &x[PRLE_SPLIT_VALIDATION] : NULL;
    if ((err = prle_kernel_fit(&k, &x[PRLE_SPLIT_TRAIN], prle_dataset_labels(ds, PRLE_SPLIT_TRAIN),
                               xv, xv ? prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION) : NULL,
                               &kp)) < 0)
        goto fail;

    /* the run folder */
    char dir[4096], value_dir[4200], path[4300];
    if (snprintf(dir, sizeof dir, "%s/%s", cfg.train.output_dir ? cfg.train.output_dir : "runs",
                 cfg.logging.run_name ? cfg.logging.run_name : "run") >= (int)sizeof dir ||
        path_join(value_dir, sizeof value_dir, dir, "value") < 0) {
        rc = cli_error(CLI_USAGE, "run folder path too long");
        goto done;
    }
    if ((err = prle__mkdir_p(value_dir)) < 0)
        goto fail;
    path_join(path, sizeof path, dir, "kernel.safetensors");
    if ((err = prle_kernel_save(k, path)) < 0)
        goto fail;
    for (int s = PRLE_N_SPLITS - 1; s >= 0; s--) { /* train last: its z stays for the report */
        prle_matrix_dispose(&z);
        if (x[s].rows &&
            (err = write_value(&z, k, &x[s], value_dir, (prle_split)s, cfg.train.threads)) < 0)
            goto fail;
    }
    prle_kernel_report r = {.seed = cfg.train.seed};
    const float *yt = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    if ((err = prle_kernel_distance_corr(&r.retrieval, &x[PRLE_SPLIT_TRAIN], yt,
                                         PRLE_KERNEL_REPORT_PAIRS, cfg.train.seed,
                                         cfg.train.threads)) < 0 ||
        (err = prle_kernel_distance_corr(&r.value, &z, yt, PRLE_KERNEL_REPORT_PAIRS, cfg.train.seed,
                                         cfg.train.threads)) < 0)
        goto fail;
    path_join(path, sizeof path, dir, "kernel_report.json");
    if ((err = prle_kernel_report_write(path, &r, k)) < 0)
        goto fail;
    path_join(path, sizeof path, dir, "train_log.csv");
    if ((err = write_train_log(path, k)) < 0)
        goto fail;
    path_join(path, sizeof path, dir, "config.yaml");
    if ((err = prle_config_save(&cfg, path)) < 0)
        goto fail;

    printf("kept epoch %d (kernel.keep: %s)\n", prle_kernel_kept_epoch(k),
           kp.keep == PRLE_KEEP_LAST ? "last" : "best");
    printf("distance-label correlation on train (%d pairs): retrieval pearson %.4f spearman "
           "%.4f; value pearson %.4f spearman %.4f\n",
           PRLE_KERNEL_REPORT_PAIRS, r.retrieval.pearson, r.retrieval.spearman, r.value.pearson,
           r.value.spearman);
    printf("wrote %s/{kernel.safetensors, value/*_embeds.npy, kernel_report.json, "
           "train_log.csv, config.yaml}\n",
           dir);
    rc = CLI_OK;
    goto done;
fail:
    rc = cli_fail(err);
done:
    prle_matrix_dispose(&z);
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        prle_matrix_dispose(&x[s]);
    prle_kernel_free(k);
    prle_embed_report_dispose(&rep);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
    return rc;
}
