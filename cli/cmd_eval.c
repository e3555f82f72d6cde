/* prle eval RUN [--split NAME]... [--json] [--no-write]: re-scores a saved run from its model
 * and value embeddings; rewrites predictions_{split}.csv and those splits of metrics.json
 * (unless --no-write) and prints the metrics (--json: the metrics.json text). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_print.h"

static int split_of(const char *s)
{
    for (int i = 0; i < PRLE_N_SPLITS; i++)
        if (!strcmp(s, prle_split_name((prle_split)i)))
            return i;
    return -1;
}

int cmd_eval(int argc, char **argv)
{
    const char *dir = NULL;
    unsigned mask = 0;
    bool json = false, write = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--split") && i + 1 < argc) {
            int s = split_of(argv[++i]);
            if (s < 0)
                return cli_error(CLI_USAGE, "eval: --split %s: expected train, validation or test",
                                 argv[i]);
            mask |= 1u << s;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--no-write")) {
            write = false;
        } else if (argv[i][0] == '-' || dir) {
            cli_error(CLI_USAGE, "eval: unexpected argument '%s'", argv[i]);
            cli_usage(stderr, "eval");
            return CLI_USAGE;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        cli_error(CLI_USAGE, "eval: missing RUN (a run folder)");
        cli_usage(stderr, "eval");
        return CLI_USAGE;
    }
    if (!mask)
        mask = 1u << PRLE_SPLIT_VALIDATION | 1u << PRLE_SPLIT_TEST;
    prle_run_folder *rf = NULL;
    prle_run_metrics m;
    char *text = NULL;
    int err, rc = CLI_OK;
    if ((err = prle_run_folder_open(&rf, dir)) < 0 ||
        (err = prle_run_eval(&m, rf, mask, write)) < 0 ||
        (json && (err = prle_run_metrics_json(&text, &m)) < 0)) {
        rc = cli_fail(err);
        goto done;
    }
    if (json)
        fputs(text, stdout);
    else /* a 1-row split: its MSE, RMSE, MAE, and why no more */
        cli_print_metrics(stdout, &m, mask);
done:
    free(text);
    prle_run_folder_free(rf);
    return rc;
}
