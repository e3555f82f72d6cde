/* prle embed CONFIG [key=value...]: stage 0, texts to cached embeddings (SPEC.md §3). */

#include <strings.h>

#include "cli.h"
#include "cli_mpi.h"
#include "run_print.h"

static void print_report(const prle_dataset *ds, const prle_embed_report *r, bool gguf)
{
    size_t empty = 0;
    char name[256];
    printf("dataset   %s (%s; %zu / %zu / %zu rows)\n", prle_dataset_title(ds, name, sizeof name),
           prle_dataset_n_texts(ds) == 2 ? "pairs" : "single texts",
           prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN),
           prle_dataset_n_rows(ds, PRLE_SPLIT_VALIDATION),
           prle_dataset_n_rows(ds, PRLE_SPLIT_TEST));
    printf("encoder   %s\n", r->encoder);
    if (r->is_input)
        printf("inputs    %s: checked (precomputed .npy files, no manifest)\n", r->dir);
    else if (r->reused)
        printf("cache     %s: reused (manifest matches; checked in %.2f s)\n", r->dir,
               r->seconds_setup);
    else
        printf("cache     %s: %s (%s)\n", r->dir, r->stale ? "rebuilt" : "built", r->reason);
    printf("%-12s %8s %7s %8s %12s\n", "split", "rows", "width", "seconds", "empty texts");
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const prle_embed_split_report *sp = &r->splits[s];
        printf("%-12s %8zu %7zu %8.3f %12zu\n", prle_split_name((prle_split)s), sp->rows, sp->cols,
               sp->seconds, sp->n_empty);
        empty += sp->n_empty;
    }
    if (empty > 0 && gguf) /* the model's special tokens alone (BOS) still give a vector */
        printf("texts with no token of their own (embedded from the special tokens alone): %zu\n",
               empty);
    else if (empty > 0)
        printf("texts with no known word (zero vectors): %zu\n", empty);
    size_t tokens = 0, rows = 0;
    double secs = 0;
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        tokens += r->splits[s].n_tokens, rows += r->splits[s].rows, secs += r->splits[s].seconds;
    if (tokens > 0)
        printf("tokens    %zu (%.0f tokens/s, %.1f rows/s)\n", tokens, secs > 0 ? tokens / secs : 0,
               secs > 0 ? (double)rows / secs : 0);
    printf("total     %.2f s\n", r->seconds);
}

int cmd_embed(int argc, char **argv)
{
    prle_config cfg = {0};
    prle_dataset *ds = NULL;
    prle_embed_report rep = {0};
    prle_embed_params ep = prle_embed_default_params();
    prle_dataset_params dp = prle_dataset_default_params();
    cli_progress ps;
    cli_progress_init(&ps);
    int rc, err;
    static const char *const flags[] = {"--force", NULL};
    prle_embed_comm comm;
    bool mpi = cli_mpi_start(&comm); /* under mpirun: rank 0 prints, the others only errors */
    if ((rc = cli_config_load_flags(&cfg, &ep.force, flags, argc, argv)) != CLI_OK) {
        cli_mpi_finish();
        return rc;
    }
    prle_init(cfg.train.threads);
    if (mpi)
        ep.comm = &comm;
    if (mpi && comm.rank != 0)
        ps.show = false;
    /* always: it prints only when ps.show, and it is what stops the library on a signal */
    dp.progress = ep.progress = cli_progress_fn;
    dp.progress_ud = ep.progress_ud = &ps;
    err = prle_dataset_load(&ds, &cfg.data, cfg.train.seed, &dp);
    int all = err; /* every rank loaded its rows, or none goes on */
    if (mpi && comm.min_int(comm.ud, &all) == 0 && all < 0 && err == 0) {
        cli_progress_close(&ps);
        rc = cli_error(CLI_USAGE, "rank %d: another rank could not load the dataset", comm.rank);
        goto done;
    }
    if (err < 0) {
        cli_progress_close(&ps);
        rc = cli_fail(err);
        goto done;
    }
    if (prle_dataset_n_skipped(ds) > 0 && (!mpi || comm.rank == 0)) {
        const char *first = prle_dataset_skip_reason(ds);
        fprintf(stderr, "prle: notice: skipped %zu bad rows (data.on_bad_row: skip)%s%s\n",
                prle_dataset_n_skipped(ds), first[0] ? "; first: " : "", first);
    }
    err = prle_embed(&rep, &cfg, ds, &ep);
    cli_progress_close(&ps);
    if (err < 0) {
        rc = cli_fail(err);
        goto done;
    }
    rc = CLI_OK;
    if (mpi && comm.rank != 0)
        goto done;
    if (rep.stale)
        fprintf(stderr, "prle: notice: rebuilding the cache in %s: %s\n", rep.dir, rep.reason);
    print_report(ds, &rep, cfg.model.encoder_type && !strcasecmp(cfg.model.encoder_type, "gguf"));
    if (mpi)
        printf("ranks     %d (mpirun: rows shared, rank 0 wrote the cache)\n", comm.size);
done:
    cli_mpi_finish();
    prle_embed_report_dispose(&rep);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
    return rc;
}
