/* prle config CONFIG [key=value...]: print the resolved configuration as YAML. */
#include "cli.h"

int cmd_config(int argc, char **argv)
{
    prle_config cfg;
    int rc = cli_config_load(&cfg, argc - 1, argv + 1);
    if (rc != CLI_OK)
        return rc;
    int err = prle_run_config_check(&cfg); /* what prle run would refuse, refused here too */
    if (err < 0) {
        prle_config_dispose(&cfg);
        return cli_fail(err);
    }
    err = prle_config_write(&cfg, stdout);
    prle_config_dispose(&cfg);
    return err < 0 ? cli_fail(err) : CLI_OK; /* main checks stdout */
}
