/* The predictor's params: the defaults, and from a config's keys (issue 14). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "prle/predictor.h"

prle_predictor_params prle_predictor_default_params(void)
{
    return (prle_predictor_params){.kernel = prle_kernel_default_params(),
                                   .model = prle_model_default_params(),
                                   .seed = 42,
                                   .label_min = NAN,
                                   .label_max = NAN,
                                   .val_fraction = 0.15,
                                   .linear_fallback = true,
                                   .refit = true};
}

size_t prle_predictor_params_size(void)
{
    return sizeof(prle_predictor_params);
}

int prle_predictor_params_from_config(prle_predictor_params *out, const prle_config *cfg)
{
    prle_predictor_params p = prle_predictor_default_params();
    int err;
    if (!out || !cfg)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    if ((err = prle_kernel_params_from_config(&p.kernel, cfg)) < 0 ||
        (err = prle_model_params_from_config(&p.model, cfg)) < 0)
        return err;
    p.seed = cfg->train.seed;
    p.n_threads = cfg->train.threads;
    if (!isnan(cfg->data.label_min) && !isnan(cfg->data.label_max))
        p.label_min = cfg->data.label_min, p.label_max = cfg->data.label_max;
    *out = p;
    return 0;
}

/* "val_fraction=X": the predictor's own key, X in [0, 1). */
static int val_fraction(double *out, const char *a)
{
    const char *v = a + strlen("val_fraction=");
    char *end;
    double f = strtod(v, &end);
    if (end == v || *end || !(f >= 0 && f < 1))
        return prle__error_set(PRLE_EINVAL, "override '%s': val_fraction must be in [0, 1)", a);
    *out = f;
    return 0;
}

/* "KEY=true|false" for the predictor's own boolean KEY, a "KEY=" prefix of a. */
static int bool_key(bool *out, const char *a, const char *key)
{
    const char *v = a + strlen(key) + 1;
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
        return prle__error_set(PRLE_EINVAL, "override '%s': %s must be true or false", a, key);
    *out = strcmp(v, "true") == 0;
    return 0;
}

int prle_predictor_params_from_overrides(prle_predictor_params *out, const char *const *assignments,
                                         size_t n)
{
    prle_config cfg;
    double vf = prle_predictor_default_params().val_fraction;
    bool lf = prle_predictor_default_params().linear_fallback;
    bool rf = prle_predictor_default_params().refit;
    if (!out || (n && !assignments))
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    for (size_t i = 0; i < n; i++)
        if (!assignments[i])
            return prle__error_set(PRLE_EINVAL, "predictor: override %zu is NULL", i);
    int err = prle_config_default(&cfg);
    for (size_t i = 0; err == 0 && i < n; i++)
        err = strncmp(assignments[i], "val_fraction=", 13) == 0 ? val_fraction(&vf, assignments[i])
              : strncmp(assignments[i], "linear_fallback=", 16) == 0
                  ? bool_key(&lf, assignments[i], "linear_fallback")
              : strncmp(assignments[i], "refit=", 6) == 0
                  ? bool_key(&rf, assignments[i], "refit")
                  : prle_config_override(&cfg, assignments[i]);
    if (err == 0 && (err = prle_predictor_params_from_config(out, &cfg)) == 0)
        out->val_fraction = vf, out->linear_fallback = lf, out->refit = rf;
    prle_config_dispose(&cfg);
    return err;
}
