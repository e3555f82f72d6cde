/* prle analyze RUN [--no-tsne] [--no-oracle] [--oracle-rows N] [--tsne-rows N]: the analysis of a
 * run folder (SPEC.md §7): distance-label correlation of retrieval and value space, the oracle MoE
 * (k-medoids clusters in value space, one SVR or linear model per cluster vs one global model) and
 * t-SNE maps of both spaces. Writes RUN/analysis.json (docs/run-folder.md) and prints a small
 * table. The thread count is the run's train.threads. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_print.h"

/* The oracle's models as lines, and t-SNE's steps in a pipe or log; the oracle's fits one by
 * one, t-SNE's steps on a terminal, and the embeddings when the cache must be built again, as a
 * progress bar with rate and ETA (cli_progress: lines with -v). */
static bool on_progress(const prle_progress *p, void *ud)
{
    cli_progress *ps = ud;
    if (cli_opts.quiet)
        return !cli_interrupted; /* -q: only the stop on a signal */
    if (strncmp(p->stage, "oracle:", 7) == 0 || strncmp(p->stage, "embed", 5) == 0 ||
        (ps->tty && strcmp(p->stage, "tsne") == 0))
        return cli_progress_fn(p, ps);
    cli_progress_close(ps);
    if (strcmp(p->stage, "tsne") == 0 && p->done % 250 != 0 && p->done != p->total)
        return true; /* t-SNE reports every 50 steps: show every 250 */
    fprintf(stderr, "prle: analyze: %s %zu/%zu, %.1f s (%s)\n", p->stage, p->done, p->total,
            p->seconds, p->note ? p->note : "-");
    fflush(stderr);
    return !cli_interrupted;
}

static int usage_error(const char *fmt, const char *arg)
{
    cli_error(CLI_USAGE, fmt, arg);
    cli_usage(stderr, "analyze");
    return CLI_USAGE;
}

static void print_summary(const prle_analysis_summary *s, const char *run_dir)
{
    printf("run %s: %zu / %zu / %zu rows; prototypes: %s\n", run_dir, s->n_rows[0], s->n_rows[1],
           s->n_rows[2], s->n_prototypes ? "from model.safetensors" : "none (no model yet)");
    if (s->embed_built)
        printf("retrieval embeddings encoded again (the cache did not hold the run's: %s)\n",
               s->embed_reason);
    if (!isnan(s->corr_pearson[0]))
        printf("distance-label correlation (train): retrieval pearson %.4f spearman %.4f; value "
               "pearson %.4f spearman %.4f\n",
               s->corr_pearson[0], s->corr_spearman[0], s->corr_pearson[1], s->corr_spearman[1]);
    if (s->n_oracle) {
        size_t all = s->n_rows[0] + s->n_rows[1];
        if (s->oracle_rows < all)
            printf("oracle MoE, value space, k = %zu, fit on a sample of %zu of the %zu train + "
                   "validation rows, test metrics on the 0-1 scale:\n",
                   s->oracle[0].k, s->oracle_rows, all);
        else
            printf("oracle MoE, value space, k = %zu, fit on train + validation, test metrics on "
                   "the 0-1 scale:\n",
                   s->oracle[0].k);
        printf("%-7s %-7s %8s %8s %8s %8s   %s\n", "model", "", "mse", "pearson", "spearman",
               "kendall", "clusters (rows)");
        for (size_t i = 0; i < s->n_oracle; i++) {
            const prle_oracle_result *r = &s->oracle[i];
            const prle_metrics *m[2] = {&r->global, &r->oracle};
            for (int j = 0; j < 2; j++) {
                printf("%-7s %-7s %8.4f %8.4f %8.4f %8.4f",
                       j ? "" : prle_oracle_model_name(r->model), j ? "oracle" : "global",
                       m[j]->mse, m[j]->pearson, m[j]->spearman, m[j]->kendall);
                if (j)
                    printf("   %zu..%zu, %.1f s", r->min_cluster, r->max_cluster, r->seconds);
                putchar('\n');
            }
        }
    }
    size_t n_all = s->n_rows[0] + s->n_rows[1] + s->n_rows[2];
    if (!isnan(s->tsne_kl[0]) && s->tsne_rows < n_all)
        printf("t-SNE of a sample of %zu of the %zu rows:\n", s->tsne_rows, n_all);
    if (!isnan(s->tsne_kl[0]))
        printf("t-SNE (perplexity %.3g): retrieval KL %.4f %s %.1f s; value KL %.4f in %.1f s\n",
               s->tsne_perplexity, s->tsne_kl[0],
               s->tsne_cached[0] ? "read from the embedding cache in" : "in", s->tsne_seconds[0],
               s->tsne_kl[1], s->tsne_seconds[1]);
    printf("wrote %s/analysis.json (%.1f s)\n", run_dir, s->seconds);
}

int cmd_analyze(int argc, char **argv)
{
    const char *run_dir = NULL;
    prle_analyze_params ap = prle_analyze_default_params();
    prle_config cfg = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--no-tsne") == 0)
            ap.tsne = false;
        else if (strcmp(a, "--no-oracle") == 0)
            ap.oracle_moe = false;
        else if (strcmp(a, "--oracle-rows") == 0 || strcmp(a, "--tsne-rows") == 0) {
            /* 0: all rows */
            char *end = NULL;
            const char *v = i + 1 < argc ? argv[++i] : "";
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (!*v || *end || v[0] == '-' || errno == ERANGE || n > SIZE_MAX) {
                cli_error(CLI_USAGE, "analyze: %s needs a whole number, got '%s'", a, v);
                cli_usage(stderr, "analyze");
                return CLI_USAGE;
            }
            if (strcmp(a, "--oracle-rows") == 0)
                ap.oracle_max_rows = (size_t)n;
            else
                ap.tsne_max_rows = (size_t)n;
        } else if (a[0] == '-' && a[1] == '-')
            return usage_error("analyze: unknown option '%s'", a);
        else if (run_dir)
            return usage_error("analyze: one run folder only, got also '%s'", a);
        else
            run_dir = a;
    }
    if (!run_dir)
        return usage_error("analyze: missing the run folder%s", "");

    /* the run's thread count; the library reads the config again itself, after checking the
     * folder's files against its marker, and says why a config that does not load fails (a
     * changed one as prle eval does: its sha256) */
    char path[4200];
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    if (prle_config_load(&cfg, path) == 0) {
        prle_init(cfg.train.threads);
        ap.n_threads = cfg.train.threads;
    }
    prle_error_clear();
    prle_config_dispose(&cfg);
    cli_progress ps;
    cli_progress_init(&ps);
    ap.progress = on_progress; /* always: it stops the library on a signal */
    ap.progress_ud = &ps;

    prle_analysis_summary s;
    int err = prle_analyze_run_summary(&s, run_dir, &ap);
    cli_progress_close(&ps);
    if (err < 0)
        return cli_fail(err);
    print_summary(&s, run_dir);
    return CLI_OK; /* main checks stdout */
}
