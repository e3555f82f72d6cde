/* prle kernel CONFIG [key=value...]: stage 1, train the kernel and write the value space
 * (SPEC.md §4). Reads the stage 0 cache (built or reused through prle_embed) and writes into
 * the run folder {train.output_dir}/{logging.run_name}/ (prle_run_kernel, include/prle/run.h):
 *   kernel.safetensors          the kernel (PyTorch names)
 *   value/{split}_embeds.npy    z = n(g(e)) of every split
 *   kernel_report.json          distance-label correlation on train, retrieval vs value space,
 *                               and the epoch records
 *   train_log.csv               one row per epoch (docs/run-folder.md columns)
 *   config.yaml                 the resolved configuration
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_print.h"

typedef struct view {
    bool show;
    const prle_config *cfg;
} view;

static bool print_epoch(const prle_kernel_epoch *e, void *ud)
{
    const view *v = ud;
    if (!v->show)
        return !cli_interrupted; /* -q: only the stop on a signal */
    printf("%5d %10.6f %10.6f %10.6f %10.5f %10.6f %8.2f %9.0f\n", e->epoch, e->loss, e->loss_pair,
           e->loss_triplet, e->loss_uniform, e->val_pair, e->seconds, e->rows_per_s);
    fflush(stdout);
    return !cli_interrupted;
}

static bool on_event(const prle_run_event *e, void *ud)
{
    const view *v = ud;
    if (v->show && e->stage == PRLE_STAGE_EMBED && e->done)
        fprintf(stderr, "prle: embeddings %s\n", e->note ? e->note : "");
    if (v->show && e->stage == PRLE_STAGE_KERNEL && !e->done && e->kernel) {
        const prle_kernel_params *kp = e->kernel;
        char epochs[64] = "epochs from the data, early stopping on validation";
        if (kp->max_epochs > 0)
            snprintf(epochs, sizeof epochs, "at most %d epochs", kp->max_epochs);
        printf("kernel %s: H %zu, %zu train rows, batch %zu, lr %g, %s, %s threads\n",
               prle_head_type_name(kp->type), e->in_dim, e->n_train, kp->batch_size,
               kp->learning_rate, epochs, v->cfg->train.threads ? "train.threads" : "all");
        printf("%5s %10s %10s %10s %10s %10s %8s %9s\n", "epoch", "loss", "pair", "triplet",
               "uniform", "val_pair", "seconds", "rows/s");
        fflush(stdout);
    }
    return !cli_interrupted;
}

int cmd_kernel(int argc, char **argv)
{
    prle_config cfg = {0};
    prle_run_result res = {0};
    int rc, err;
    if ((rc = cli_config_load_flags(&cfg, NULL, NULL, argc, argv)) != CLI_OK)
        return rc;
    prle_init(cfg.train.threads);
    view v = {.show = !cli_opts.quiet, .cfg = &cfg};
    cli_progress ps;
    cli_progress_init(&ps);
    prle_run_params rp = prle_run_default_params();
    rp.on_event = on_event;
    rp.on_event_ud = &v;
    rp.on_kernel_epoch = print_epoch; /* always: they stop the library on a signal */
    rp.on_kernel_epoch_ud = &v;
    rp.progress = cli_progress_fn;
    rp.progress_ud = &ps;
    err = prle_run_kernel(&res, &cfg, &rp);
    cli_progress_close(&ps);
    if (err < 0) {
        rc = cli_fail(err);
        goto done;
    }
    printf("kept epoch %d (kernel.keep: %s)\n", res.kernel_kept_epoch,
           cfg.kernel.keep && !strcmp(cfg.kernel.keep, "last") ? "last" : "best");
    printf("distance-label correlation on train (%d pairs): retrieval pearson %.4f spearman "
           "%.4f; value pearson %.4f spearman %.4f\n",
           PRLE_KERNEL_REPORT_PAIRS, res.kernel_report.retrieval.pearson,
           res.kernel_report.retrieval.spearman, res.kernel_report.value.pearson,
           res.kernel_report.value.spearman);
    printf("wrote %s/{kernel.safetensors, value/*_embeds.npy, kernel_report.json, "
           "train_log.csv, config.yaml}\n",
           res.dir);
    rc = CLI_OK;
done:
    prle_run_result_dispose(&res);
    prle_config_dispose(&cfg);
    return rc;
}
