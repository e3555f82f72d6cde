/* The shared front of every command that takes a run config: CONFIG [key=value...]. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/config_internal.h"

int cli_config_load(prle_config *out, int argc, char **argv)
{
    *out = (prle_config){0};
    if (argc < 1 || !argv[0][0])
        return cli_error(CLI_USAGE, "missing CONFIG (a YAML file)");
    int err = prle_config_load(out, argv[0]);
    for (int i = 1; err == 0 && i < argc; i++) {
        if (!strchr(argv[i], '=') || argv[i][0] == '=') {
            prle_config_dispose(out);
            return cli_error(CLI_USAGE, "expected key=value after CONFIG, got '%s'", argv[i]);
        }
        err = prle_config_override(out, argv[i]);
    }
    if (err == 0 && !out->logging.run_name) /* set to null by an override: the file's name */
        err = prle__cfg_default_run_name(out, argv[0]);
    if (err < 0) {
        prle_config_dispose(out);
        return cli_fail(err);
    }
    cli_opts.config = argv[0];
    static const char *seen[256]; /* the strings are argv's; the callers' arrays are freed */
    cli_opts.n_overrides = 0;
    for (int i = 1; i < argc && cli_opts.n_overrides < 256; i++)
        seen[cli_opts.n_overrides++] = argv[i];
    cli_opts.overrides = seen;
    for (size_t i = 0; i < out->n_notices; i++)
        fprintf(stderr, "prle: notice: %s\n", out->notices[i]);
    if (!out->model.use_value_space) /* accepted for the original's configs (docs/config.md) */
        fprintf(stderr, "prle: notice: model.use_value_space: false is not acted on: the router "
                        "and the experts work in value space\n");
    if (strcmp(out->model.type, "proto_rbf") == 0 &&
        strcmp(out->model.gating_strategy, "softmax") != 0) /* docs/config.md, model.type */
        fprintf(stderr,
                "prle: notice: model.gating_strategy: %s is not used by model.type: proto_rbf, "
                "which weighs the prototypes by its own RBF of the squared distance, its tau "
                "chosen on validation\n",
                out->model.gating_strategy);
    return CLI_OK;
}

int cli_config_load_flags(prle_config *out, bool *seen, const char *const *flags, int argc,
                          char **argv)
{
    *out = (prle_config){0};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest)
        return cli_error(CLI_RUNTIME, "out of memory");
    for (int i = 1; i < argc; i++) {
        size_t f = 0;
        while (flags && flags[f] && strcmp(flags[f], argv[i]) != 0)
            f++;
        if (flags && flags[f]) {
            seen[f] = true;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            free(rest);
            cli_error(CLI_USAGE, "%s: unknown option '%s'", argv[0], argv[i]);
            cli_usage(stderr, argv[0]);
            return CLI_USAGE;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    int rc = cli_config_load(out, nrest, rest);
    free(rest);
    return rc;
}
