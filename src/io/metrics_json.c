#include "io/metrics_json.h"

#include "io/json.h"

#define N_METRICS 7

static const char *const keys[N_METRICS] = {"mse",     "rmse",     "mae",    "r2",
                                            "pearson", "spearman", "kendall"};

static double *field(prle_metrics *m, int i)
{
    double *f[N_METRICS] = {&m->mse,     &m->rmse,     &m->mae,    &m->r2,
                            &m->pearson, &m->spearman, &m->kendall};
    return f[i];
}

cJSON *prle__metrics_json(const prle_metrics *m, bool with_n)
{
    cJSON *o = cJSON_CreateObject();
    if (o && with_n && prle__json_add_int(o, "n", (int64_t)m->n) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    for (int i = 0; o && i < N_METRICS; i++)
        if (prle__json_add_number(o, keys[i], *field((prle_metrics *)m, i)) < 0) {
            cJSON_Delete(o);
            return NULL;
        }
    return o;
}

int prle__metrics_from_json(prle_metrics *out, const cJSON *o)
{
    int err = 0;
    for (int i = 0; err == 0 && i < N_METRICS; i++)
        err = prle__json_get_number(field(out, i), o, keys[i]);
    return err;
}
