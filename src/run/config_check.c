/* The config's checks before any work (prle_run_config_check): what would otherwise stop a
 * run after its data loaded or its kernel trained. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "encode/encoder_impl.h"
#include "prle/predictor.h"
#include "prle/router.h"
#include "prle/run.h"

/* True when `path` is `dir` or lies below it (both absolute and normalised: the config's). */
static bool below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return path && strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int prle_run_config_check(const prle_config *cfg)
{
    prle_predictor_params pp;
    char *dir = NULL;
    int err;
    if ((err = prle_predictor_params_from_config(&pp, cfg)) < 0)
        return err;
    pp.kernel.label_min = 0, pp.kernel.label_max = 1; /* the data's, checked when it loads */
    if ((err = prle_kernel_params_check(&pp.kernel)) < 0 ||
        (err = prle_router_params_check(&pp.model.router)) < 0 ||
        (err = prle__encoder_pooling_check(cfg)) < 0 || (err = prle_run_dir(&dir, cfg)) < 0)
        return err;
    if (below(cfg->data.embedding_cache_dir, dir))
        err = prle__error_set(PRLE_EINVAL,
                              "data.embedding_cache_dir (%s) lies in the run folder %s, which "
                              "every run replaces: give a cache folder outside it",
                              cfg->data.embedding_cache_dir, dir);
    free(dir);
    return err;
}
