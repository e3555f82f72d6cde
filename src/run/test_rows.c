/* rows_test.json: every test row with its label, prediction, interval and heaviest prototype,
 * the table and error plots of the report (docs/run-folder.md). */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "io/json.h"
#include "prle/conformal_int.h"
#include "run/run_int.h"
#include "run/run_model.h"

static int add_row(cJSON *arr, const prle__stage2_view *v, const float *yhat, size_t i, size_t P,
                   const prle_interval_stats *iv, double mn, double mx)
{
    const prle_dataset *ds = v->ds;
    const float *w = v->w_test + i * P;
    size_t top = 0;
    for (size_t p = 1; p < P; p++)
        if (w[p] > w[top]) /* ties: the lower slot */
            top = p;
    cJSON *o;
    int err = prle__json_push_object(&o, arr, "rows_test.json");
    if (err < 0)
        return err;
    const char *const *t1 = prle_dataset_texts(ds, PRLE_SPLIT_TEST, 0);
    const char *const *t2 =
        prle_dataset_n_texts(ds) > 1 ? prle_dataset_texts(ds, PRLE_SPLIT_TEST, 1) : NULL;
    float lo = NAN, hi = NAN;
    if (iv->present)
        prle__conformal_interval(&lo, &hi, yhat[i], iv->q, mn, mx);
    if ((err = prle__json_add_int(o, "index", (int64_t)i)) < 0 ||
        (err = prle__json_add_float(o, "label", v->y_test[i])) < 0 ||
        (err = prle__json_add_float(o, "prediction", yhat[i])) < 0 ||
        (err = prle__json_add_float(o, "lo", lo)) < 0 ||
        (err = prle__json_add_float(o, "hi", hi)) < 0 ||
        (err = prle__json_add_int(o, "top_slot", (int64_t)top)) < 0 ||
        (err = prle__json_add_float(o, "top_weight", w[top])) < 0 ||
        (err = prle__json_add_string(o, "text", t1 ? t1[i] : "")) < 0 ||
        (t2 && (err = prle__json_add_string(o, "text2", t2[i])) < 0))
        return err;
    return 0;
}

int prle__write_test_rows_json(const char *path, const prle__stage2_view *v, const float *yhat,
                               const prle_interval_stats *iv, double label_min, double label_max)
{
    size_t P = prle_model_n_prototypes(v->model);
    cJSON *root = cJSON_CreateObject(), *arr = NULL;
    int err = 0;
    if (!root) {
        err = prle__error_nomem("rows_test.json");
        goto done;
    }
    if ((err = prle__json_add_string(root, "format", "prle-test-rows")) < 0 ||
        (err = prle__json_add_int(root, "version", PRLE_RUN_FORMAT_VERSION)) < 0 ||
        (err = prle__json_add_string(root, "split", "test")) < 0 ||
        (err = prle__json_add_string(root, "interval", iv->present ? "plain" : "none")) < 0 ||
        (err = prle__json_add_number(root, "level", iv->present ? iv->level : NAN)) < 0 ||
        (err = prle__json_add_number(root, "q", iv->present ? iv->q : NAN)) < 0 ||
        (err = prle__json_add(root, "rows", arr = cJSON_CreateArray())) < 0)
        goto done;
    for (size_t i = 0; i < v->n_test && err == 0; i++)
        err = add_row(arr, v, yhat, i, P, iv, label_min, label_max);
    if (err == 0)
        err = prle__json_write_file(path, root);
done:
    cJSON_Delete(root);
    return err;
}
