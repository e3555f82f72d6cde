/* The shared front of every command that takes a run config: CONFIG [key=value...]. */
#include <string.h>

#include "cli.h"

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
    if (err < 0) {
        prle_config_dispose(out);
        return cli_fail(err);
    }
    for (size_t i = 0; i < out->n_notices; i++)
        fprintf(stderr, "prle: notice: %s\n", out->notices[i]);
    return CLI_OK;
}
