/* prle report RUN [--out FILE]: write the run folder's report.html (SPEC.md §9), one
 * self-contained page built from the files of the folder (docs/run-folder.md). */
#include <string.h>

#include "cli.h"

int cmd_report(int argc, char **argv)
{
    const char *run = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_error(CLI_USAGE, "report: unknown option or missing value: '%s'", a);
            cli_usage(stderr, "report");
            return CLI_USAGE;
        } else if (!run) {
            run = a;
        } else {
            cli_error(CLI_USAGE, "report: one run folder expected, got '%s' too", a);
            cli_usage(stderr, "report");
            return CLI_USAGE;
        }
    }
    if (!run) {
        cli_error(CLI_USAGE, "report: missing the run folder");
        cli_usage(stderr, "report");
        return CLI_USAGE;
    }
    int rc = out ? cli_out_check("report", out, NULL, run, "report.html", NULL) : CLI_OK;
    if (rc != CLI_OK)
        return rc;
    int err = prle_report_write(run, out);
    if (err < 0)
        return cli_fail(err);
    if (!cli_opts.quiet)
        printf("wrote %s%s\n", out ? out : run, out ? "" : "/report.html");
    return CLI_OK;
}
