/* baselines.json: the grid-searched baselines of one run, written atomically. */
#include "prle/baselines.h"

#include <math.h>

#include "core/error.h"
#include "io/json.h"
#include "io/metrics_json.h"

static int add_result(cJSON *arr, const prle_baseline_result *r)
{
    cJSON *o;
    int err = prle__json_push_object(&o, arr, "baselines.json");
    if (err < 0)
        return err;
    if ((err = prle__json_add_string(o, "name", prle_baseline_name(r->kind))) < 0 ||
        (err = prle__json_add_string(o, "best", r->best)) < 0 ||
        (err = prle__json_add_int(o, "n_points", (int64_t)r->n_points)) < 0 ||
        (err = prle__json_add_number(o, "val_mse", r->val_mse)) < 0 ||
        (err = prle__json_add_number(o, "seconds", r->seconds)) < 0 ||
        (err = prle__json_add_int(o, "fit_rows", (int64_t)r->fit_rows)) < 0)
        return err;
    return prle__json_add(o, "test", prle__metrics_json(&r->test, true));
}

int prle_baselines_save_json(const char *path, const prle_baselines_info *info,
                             const prle_baseline_result *results, size_t n)
{
    int err;
    cJSON *root = NULL, *arr = NULL;
    if (!path || !info || (n && !results))
        return prle__error_set(PRLE_EINVAL, "baselines.json: NULL argument");
    if (!(root = cJSON_CreateObject()))
        return prle__error_nomem("baselines.json");
    if ((err = prle__json_add_string(root, "format", "prle-baselines")) < 0 ||
        (err = prle__json_add_int(root, "version", 1)) < 0 ||
        (err = prle__json_add_string(root, "dataset", info->dataset ? info->dataset : "")) < 0 ||
        (err = prle__json_add_string(root, "space", info->space ? info->space : "")) < 0 ||
        (err = prle__json_add_string(root, "label_scale",
                                     info->label_scale ? info->label_scale : "")) < 0 ||
        (err = prle__json_add_int(root, "n_train", (int64_t)info->n_train)) < 0 ||
        (err = prle__json_add_int(root, "n_validation", (int64_t)info->n_validation)) < 0 ||
        (err = prle__json_add_int(root, "n_test", (int64_t)info->n_test)) < 0 ||
        (err = prle__json_add_int(root, "width", (int64_t)info->width)) < 0 ||
        (err = prle__json_add_int(root, "seed", (int64_t)info->seed)) < 0 ||
        (isfinite(info->label_min) && isfinite(info->label_max) &&
         ((err = prle__json_add_number(root, "label_min", info->label_min)) < 0 ||
          (err = prle__json_add_number(root, "label_max", info->label_max)) < 0)))
        goto done;
    if (!(arr = cJSON_CreateArray())) {
        err = prle__error_nomem("baselines.json");
        goto done;
    }
    if ((err = prle__json_add(root, "models", arr)) < 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        if ((err = add_result(arr, &results[i])) < 0)
            goto done;
    err = prle__json_write_file(path, root);
done:
    cJSON_Delete(root);
    return err;
}
