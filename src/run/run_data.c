/* What a run folder keeps so it works without its data files (issue 14): dataset.json (the
 * validation labels, the label range, the splits' sizes; the prototypes' training rows, texts
 * and labels are those of prototypes.json) and encoder.safetensors (what the encoder learned
 * from the train texts). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/detached.h"
#include "encode/inputs_record_int.h"
#include "io/json.h"
#include "run/run_int.h"

int prle__run_data_write(const char *dir, const prle_config *cfg, const prle_dataset *ds)
{
    char path[PRLE__RUN_PATH];
    int err = prle__path_join(path, sizeof path, dir, PRLE__RUN_DATA);
    if (err < 0)
        return err;
    cJSON *root = cJSON_CreateObject(), *n = cJSON_CreateArray(), *sha = cJSON_CreateArray();
    size_t nv = prle_dataset_n_rows(ds, PRLE_SPLIT_VALIDATION);
    if (!root || !n || !sha) {
        cJSON_Delete(n), cJSON_Delete(sha);
        err = prle__error_nomem(PRLE__RUN_DATA);
        goto done;
    }
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const prle_dataset_split_info *in = prle_dataset_info(ds, (prle_split)s);
        cJSON_AddItemToArray(n, prle__json_int((int64_t)prle_dataset_n_rows(ds, (prle_split)s)));
        cJSON_AddItemToArray(sha, cJSON_CreateString(in ? in->rows_sha256 : ""));
    }
    if ((err = prle__json_add_string(root, "format", "prle-run-dataset")) < 0 ||
        (err = prle__json_add_int(root, "version", 1)) < 0 ||
        (err = prle__json_add_string(root, "name", prle_dataset_name(ds))) < 0 ||
        (err = prle__json_add_int(root, "n_texts", (int64_t)prle_dataset_n_texts(ds))) < 0 ||
        (err = prle__json_add_int(root, "n_skipped", (int64_t)prle_dataset_n_skipped(ds))) < 0 ||
        (err = prle__json_add_number(root, "label_min", prle_dataset_label_min(ds))) < 0 ||
        (err = prle__json_add_number(root, "label_max", prle_dataset_label_max(ds))) < 0) {
        cJSON_Delete(n), cJSON_Delete(sha);
        goto done;
    }
    if ((err = prle__json_add(root, "n_rows", n)) < 0) { /* it takes n, even on failure */
        cJSON_Delete(sha);
        goto done;
    }
    if ((err = prle__json_add(root, "rows_sha256", sha)) < 0 ||
        (err = prle__inputs_record_embeddings(root, cfg)) < 0 ||
        (err = prle__json_add(
             root, "validation_labels",
             prle__json_float_array(prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION), nv))) < 0)
        goto done;
    err = prle__json_write_file(path, root);
done:
    cJSON_Delete(root);
    return err;
}

/* dir/dataset.json into *root, or NULL (no error) when there is none: a folder of an older prle */
static int read_record(cJSON **root, char *path, size_t len, const char *dir)
{
    int err = prle__path_join(path, len, dir, PRLE__RUN_DATA);
    *root = NULL;
    if (err < 0 || !prle__path_exists(path))
        return err;
    return prle__json_read_file(root, path);
}

int prle__run_data_changed(char *why, size_t len, const char *dir, const prle_dataset *ds,
                           unsigned split_mask)
{
    char path[PRLE__RUN_PATH];
    cJSON *root = NULL;
    int err = read_record(&root, path, sizeof path, dir);
    if (err == 0 && root)
        err = prle__inputs_rows_changed(why, len, root, path, ds, split_mask);
    cJSON_Delete(root);
    return err;
}

int prle__run_embeddings_changed(char *why, size_t len, const char *dir, const prle_config *cfg)
{
    char path[PRLE__RUN_PATH];
    cJSON *root = NULL;
    int err = read_record(&root, path, sizeof path, dir);
    if (err == 0 && root)
        err = prle__inputs_embeddings_changed(why, len, root, path, cfg);
    cJSON_Delete(root);
    return err;
}

/* The prototypes' training rows (index, text, text2, label) of prototypes.json. */
static int read_rows(prle__kept_row **kept, size_t *n, const cJSON *root, size_t nt)
{
    static const char *const keys[2] = {"text", "text2"};
    const cJSON *rows;
    size_t m;
    int err = prle__json_get_array(&rows, &m, root, "prototypes");
    if (err < 0 || !(*kept = calloc(m ? m : 1, sizeof **kept)))
        return err < 0 ? err : prle__error_nomem("prototypes.json");
    *n = m;
    const cJSON *o = rows->child;
    for (size_t i = 0; i < m && err == 0; i++, o = o->next) {
        double label;
        if ((err = prle__json_get_size(&(*kept)[i].row, o, "index")) < 0 ||
            (err = prle__json_get_number(&label, o, "label")) < 0)
            break;
        (*kept)[i].label = (float)label;
        for (size_t f = 0; f < nt && err == 0; f++)
            err = prle__json_get_string(&(*kept)[i].text[f], o, keys[f]);
    }
    return err;
}

int prle__run_data_read(prle_dataset **out, const char *dir)
{
    char path[PRLE__RUN_PATH], ppath[PRLE__RUN_PATH];
    cJSON *root = NULL, *protos = NULL;
    prle__kept_row *kept = NULL;
    float *val = NULL;
    prle__detached_spec spec = {.source = path};
    const cJSON *n, *vl;
    size_t nn = 0, nv = 0;
    int err = prle__path_join(path, sizeof path, dir, PRLE__RUN_DATA);
    if (err < 0 || (err = prle__path_join(ppath, sizeof ppath, dir, "prototypes.json")) < 0 ||
        (err = prle__json_read_file(&root, path)) < 0)
        return err;
    if ((err = prle__json_get_string(&spec.name, root, "name")) < 0 ||
        (err = prle__json_get_size(&spec.n_texts, root, "n_texts")) < 0 ||
        (err = prle__json_get_number(&spec.label_min, root, "label_min")) < 0 ||
        (err = prle__json_get_number(&spec.label_max, root, "label_max")) < 0 ||
        (err = prle__json_get_array(&n, &nn, root, "n_rows")) < 0 ||
        (err = prle__json_get_array(&vl, &nv, root, "validation_labels")) < 0)
        goto done;
    if (nn != PRLE_N_SPLITS || spec.n_texts < 1 || spec.n_texts > 2) {
        err = prle__error_set(PRLE_EFORMAT, "n_rows needs 3 counts and n_texts 1 or 2");
        goto done;
    }
    const cJSON *it = n->child;
    for (int s = 0; s < PRLE_N_SPLITS && err == 0; s++, it = it->next) {
        double v;
        if ((err = prle__json_item_number(&v, it, "n_rows[]")) == 0 &&
            !(v >= 0 && v == floor(v) && v < 1e15))
            err = prle__error_set(PRLE_EFORMAT, "n_rows[%d] is %g", s, v);
        spec.n_rows[s] = (size_t)v;
    }
    if (err == 0 && nv != spec.n_rows[PRLE_SPLIT_VALIDATION])
        err = prle__error_set(PRLE_EFORMAT, "%zu validation labels for %zu validation rows", nv,
                              spec.n_rows[PRLE_SPLIT_VALIDATION]);
    if (err == 0 && !(val = malloc((nv ? nv : 1) * sizeof *val)))
        err = prle__error_nomem(PRLE__RUN_DATA);
    it = vl->child;
    for (size_t i = 0; i < nv && err == 0; i++, it = it->next) {
        double v;
        if ((err = prle__json_item_number(&v, it, "validation_labels[]")) == 0)
            val[i] = (float)v;
    }
    if (err < 0)
        goto done;
    spec.source = ppath; /* the rows' texts and labels */
    if ((err = prle__json_read_file(&protos, ppath)) < 0)
        goto out; /* names the file */
    if ((err = read_rows(&kept, &spec.n_kept, protos, spec.n_texts)) < 0)
        goto done;
    spec.kept = kept, spec.val_labels = val;
    err = prle__dataset_detached(out, &spec); /* names spec.source */
    goto out;
done: /* the JSON getters' messages do not name the file */
    if (err != PRLE_ENOMEM)
        err = prle__error_prefix(err, "%s", spec.source);
out:
    cJSON_Delete(root), cJSON_Delete(protos);
    free(kept), free(val);
    return err;
}

int prle__run_encoder_write(const char *dir, const prle_config *cfg, const prle_dataset *ds)
{
    char path[PRLE__RUN_PATH];
    const char *type = cfg->model.encoder_type ? cfg->model.encoder_type : "";
    if (!strcmp(type, "npy"))
        return 0; /* embeddings made elsewhere: no encoder to keep */
    prle_encoder *enc = NULL;
    int err = prle__path_join(path, sizeof path, dir, PRLE__RUN_ENCODER);
    if (err == 0 && (err = prle__run_encoder_new(&enc, cfg, ds)) == 0)
        err = prle_encoder_save_state(enc, path);
    prle_encoder_free(enc);
    return err;
}
