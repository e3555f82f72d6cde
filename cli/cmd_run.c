/* prle run CONFIG [key=value...] [--no-analyze] [--no-report]: the main job (SPEC.md §1, §8):
 * dataset, stage 0 (cached), kernel (reused when it matches), prototypes and experts,
 * evaluation, the run folder of docs/run-folder.md, analysis and report.
 * prle train CONFIG [key=value...]: the same on the cached embeddings, without the embed step,
 * analysis and report. Prints one line per stage, the test metrics, the run folder and three
 * explained test predictions. */
#include <math.h>

#include "cli.h"
#include "run_print.h"

static bool warned_validation; /* the few-validation warning is out: once a run */

static bool on_event(const prle_run_event *e, void *ud)
{
    if (e->done)
        cli_print_stage(e, ud);
    else if (e->stage == PRLE_STAGE_KERNEL && e->kernel && !warned_validation) {
        /* before the kernel trains: without validation rows its budget runs to the end */
        cli_progress_close(ud);
        warned_validation = cli_warn_few_validation(e->n_val);
    }
    return !cli_interrupted;
}

static bool on_model_epoch(const prle_model_epoch *e, void *ud)
{
    cli_progress *ps = ud;
    cli_progress_close(ps);
    fprintf(stderr, "prle: experts epoch %d: loss %.6f val_mse %.6f tau %.4g%s (%.2f s)\n",
            e->epoch, e->loss, e->val_mse_raw, e->tau, e->improved ? " *" : "", e->seconds);
    return !cli_interrupted;
}

/* The three explained test predictions of the saved run, as prle predict --explain shows. */
static int print_explanations(const char *dir, size_t n_rows, size_t k)
{
    prle_run_folder *rf = NULL;
    prle_matrix z = {0};
    prle_explained e = {0};
    size_t pick[16];
    int err;
    if ((err = prle_run_folder_open(&rf, dir)) < 0 ||
        (err = prle_run_folder_value(&z, rf, PRLE_SPLIT_TEST)) < 0)
        goto done;
    const prle_dataset *ds = prle_run_folder_dataset(rf);
    const float *y = prle_dataset_labels(ds, PRLE_SPLIT_TEST);
    if (n_rows > 16)
        n_rows = 16;
    size_t np = y ? prle_explain_pick(pick, y, z.rows, n_rows) : 0;
    bool pairs = prle_dataset_n_texts(ds) > 1;
    size_t n_protos = prle_model_n_prototypes(prle_run_folder_model(rf));
    k = k < n_protos ? k : n_protos;
    if (np && k < n_protos)
        printf("\nexplained test predictions (%zu of %zu prototypes each, the rest in one line):\n",
               k, n_protos);
    else if (np)
        printf("\nexplained test predictions (all %zu prototype%s):\n", n_protos,
               n_protos == 1 ? "" : "s");
    for (size_t i = 0; i < np; i++) {
        size_t r = pick[i];
        char title[64];
        if ((err = prle_explain_row(&e, prle_run_folder_model(rf), prle_matrix_row(&z, r), k)) < 0)
            goto done;
        prle_explain_input in = {.index = r,
                                 .text = prle_dataset_text(ds, PRLE_SPLIT_TEST, r, 0),
                                 .text2 =
                                     pairs ? prle_dataset_text(ds, PRLE_SPLIT_TEST, r, 1) : NULL,
                                 .label = y[r]};
        snprintf(title, sizeof title, "\ntest row %zu", r);
        cli_print_explained(stdout, title, &e, &in, ds);
        prle_explained_dispose(&e);
    }
done:
    prle_explained_dispose(&e);
    prle_matrix_dispose(&z);
    prle_run_folder_free(rf);
    return err;
}

static int run_or_train(int argc, char **argv, bool train)
{
    prle_config cfg = {0};
    prle_run_result res = {0};
    prle_run_params rp = prle_run_default_params();
    cli_progress ps;
    int rc, err;
    static const char *const run_flags[] = {"--no-analyze", "--no-report", NULL};
    bool off[2] = {false, false};
    if ((rc = cli_config_load_flags(&cfg, off, train ? NULL : run_flags, argc, argv)) != CLI_OK)
        return rc;
    rp.embed = !train;
    rp.analyze = !train && !off[0];
    rp.report = !train && !off[1];
    prle_init(cfg.train.threads);
    cli_progress_init(&ps);
    rp.progress = cli_progress_fn;
    rp.progress_ud = &ps;
    rp.on_event = on_event;
    rp.on_event_ud = &ps;
    if (cli_opts.verbose) {
        rp.on_model_epoch = on_model_epoch;
        rp.on_model_epoch_ud = &ps;
    }
    err = prle_run(&res, &cfg, &rp);
    cli_progress_close(&ps);
    if (err < 0) {
        rc = cli_fail(err);
        goto done;
    }
    printf("total     %8.2f s\n\n", res.seconds_total);
    if (res.n_prototypes) {
        cli_print_metrics(stdout, &res.metrics, 1u << PRLE_SPLIT_TEST);
        printf("\nkernel: distance-label correlation on train: retrieval pearson %.4f, value "
               "pearson %.4f\n",
               res.kernel_report.retrieval.pearson, res.kernel_report.value.pearson);
    }
    printf("run folder: %s\n", res.dir);
    fflush(stdout);
    if (res.n_prototypes && (err = print_explanations(res.dir, rp.n_explain, rp.explain_k)) < 0) {
        rc = cli_fail(err);
        goto done;
    }
    fflush(stdout);
    cli_warn_if_worse(&res.metrics);
    if (res.n_prototypes && !warned_validation)
        cli_warn_few_validation(res.embed.splits[PRLE_SPLIT_VALIDATION].rows);
    rc = CLI_OK;
done:
    prle_run_result_dispose(&res);
    prle_config_dispose(&cfg);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    return run_or_train(argc, argv, false);
}

int cmd_train(int argc, char **argv)
{
    return run_or_train(argc, argv, true);
}
