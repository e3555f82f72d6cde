/* The wrapper baselines of the run folder a new run replaces, kept when they still describe
 * the new run's data and features (prle baselines is too slow to rerun with every prle run). */
#include <math.h>
#include <stdbool.h>

#include "core/error.h"
#include "io/json.h"
#include "run/run_files.h"
#include "run/run_int.h"

/* Whether the baselines file at `path` scored this data set's splits on its label range (the
 * 0-1 scale divides by it; files from before 2026-12-07 record no range). */
static bool baselines_same_labels(const char *path, const prle_dataset *ds)
{
    cJSON *root = NULL;
    if (prle__json_read_file(&root, path) < 0) { /* unreadable: not carried over */
        prle_error_clear();
        return false;
    }
    double lo = NAN, hi = NAN;
    bool same = true;
    if (prle__json_has(root, "label_min") || prle__json_has(root, "label_max"))
        same = prle__json_get_number(&lo, root, "label_min") == 0 &&
               prle__json_get_number(&hi, root, "label_max") == 0 &&
               lo == prle_dataset_label_min(ds) && hi == prle_dataset_label_max(ds);
    static const char *const keys[PRLE_N_SPLITS] = {"n_train", "n_validation", "n_test"};
    for (int s = 0; s < PRLE_N_SPLITS && same; s++) {
        size_t n = 0;
        same = prle__json_get_size(&n, root, keys[s]) == 0 &&
               n == prle_dataset_n_rows(ds, (prle_split)s);
    }
    prle_error_clear();
    cJSON_Delete(root);
    return same;
}

/* The baselines of the folder being replaced stay while their inputs are unchanged: the
 * data's rows and labels, the label range, and the features, retrieval-space ones while the
 * embeddings were reused, value-space ones while the kernel was too (`prle baselines` is too
 * slow to rerun with every `prle run`). */
int prle__run_carry_baselines(const char *tmp, const char *old_dir, const prle_dataset *ds,
                              bool embed_reused, bool kernel_reused)
{
    static const char *const names[] = {"baselines.json", "baselines_value.json"};
    char src[4096], dst[4096], why[512];
    int err = 0, changed;
    if (!old_dir || !embed_reused)
        return 0;
    if ((changed = prle__run_data_changed(why, sizeof why, old_dir, ds, 7u)) != 0) {
        prle_error_clear(); /* other data, or an unreadable record of it: none carried over */
        return 0;
    }
    for (int i = 0; i < 2 && !err; i++) {
        if (i == 1 && !kernel_reused)
            break;
        if ((err = prle__path_join(src, sizeof src, old_dir, names[i])) < 0 ||
            !prle__path_exists(src) || !baselines_same_labels(src, ds))
            continue;
        if ((err = prle__path_join(dst, sizeof dst, tmp, names[i])) == 0)
            err = prle__copy_file(dst, src);
    }
    return err;
}
