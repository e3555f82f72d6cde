/* encoder_type npy (SPEC.md §3): embeddings computed elsewhere, `{dir}/{split}_embeds.npy` as the
 * Python system writes them. They are inputs, not a cache: no manifest, only checks of their shapes
 * and values. */
#include <stdlib.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "encode/embed_internal.h"
#include "prle/npy.h"

int prle__embed_check_inputs(prle_embed_report *rep, const prle_config *cfg, const prle_dataset *ds)
{
    int err = 0;
    char *path = NULL, *first = NULL;
    size_t width = 0;
    for (int s = 0; s < PRLE_N_SPLITS && err == 0; s++) {
        prle_matrix m = {0};
        size_t want = prle_dataset_n_rows(ds, (prle_split)s);
        free(path);
        path = NULL;
        if ((err = prle_embed_path(&path, cfg, (prle_split)s)) < 0 ||
            (err = prle_npy_load(&m, path)) < 0)
            break; /* prle_npy_load names the file */
        if (m.rows != want)
            err = prle__error_set(PRLE_ESHAPE, "%s: %zu rows, the %s split has %zu", path, m.rows,
                                  prle_split_name((prle_split)s), want);
        else if (m.cols == 0)
            err = prle__error_set(PRLE_ESHAPE, "%s: width 0", path);
        else if (s > 0 && m.cols != width)
            err = prle__error_set(PRLE_ESHAPE, "%s: width %zu, %s has %zu", path, m.cols, first,
                                  width);
        else /* what prle run refuses, refused here too, not "checked" */
            err = prle__check_finite(&m, path);
        if (s == 0) {
            width = m.cols;
            first = path;
            path = NULL;
        }
        rep->splits[s] = (prle_embed_split_report){m.rows, m.cols, 0, 0, 0.0, 0};
        prle_matrix_dispose(&m);
    }
    free(path);
    free(first);
    return err;
}
