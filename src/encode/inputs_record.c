/* The record of a run's stage-0 inputs in its dataset.json (inputs_record_int.h). The npy
 * inputs are files made elsewhere, with no cache manifest to check them against (npy_encoder.c),
 * so the run keeps their sha256 itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/download.h"
#include "encode/inputs_record_int.h"
#include "prle/embed.h"

static bool is_npy(const prle_config *cfg)
{
    return cfg->model.encoder_type && !strcmp(cfg->model.encoder_type, "npy");
}

int prle__inputs_record_embeddings(cJSON *root, const prle_config *cfg)
{
    if (!is_npy(cfg))
        return 0;
    cJSON *arr = cJSON_CreateArray(), *o = NULL;
    char *path = NULL, sha[65];
    uint64_t size = 0;
    int err = arr ? 0 : prle__error_nomem("embeddings record");
    for (int s = 0; s < PRLE_N_SPLITS && err == 0; s++) {
        free(path);
        path = NULL;
        if ((err = prle_embed_path(&path, cfg, (prle_split)s)) < 0 ||
            (err = prle__sha256_file(sha, &size, path)) < 0 ||
            (err = prle__json_push_object(&o, arr, "embeddings record")) < 0)
            break;
        if ((err = prle__json_add_string(o, "path", path)) < 0 ||
            (err = prle__json_add_int(o, "size", (int64_t)size)) < 0)
            break;
        err = prle__json_add_string(o, "sha256", sha);
    }
    free(path);
    if (err < 0) {
        cJSON_Delete(arr);
        return err;
    }
    return prle__json_add(root, "embeddings", arr);
}

int prle__inputs_rows_changed(char *why, size_t len, const cJSON *root, const char *source,
                              const prle_dataset *ds, unsigned split_mask)
{
    const cJSON *sha;
    size_t n = 0;
    int err;
    if (!prle__json_has(root, "rows_sha256")) /* written before 2026-12-07 */
        return 0;
    if ((err = prle__json_get_array(&sha, &n, root, "rows_sha256")) < 0 || n != PRLE_N_SPLITS)
        return err < 0 ? prle__error_prefix(err, "%s", source)
                       : prle__error_set(PRLE_EFORMAT, "%s: rows_sha256 needs 3 entries", source);
    const cJSON *it = sha->child;
    for (int s = 0; s < PRLE_N_SPLITS; s++, it = it->next) {
        const prle_dataset_split_info *in = prle_dataset_info(ds, (prle_split)s);
        if ((split_mask & (1u << s)) && cJSON_IsString(it) && in &&
            strcmp(it->valuestring, in->rows_sha256) != 0) {
            snprintf(why, len, "the rows of its %s split are not those it was trained on (%s)",
                     prle_split_name((prle_split)s), in->path ? in->path : "?");
            return 1;
        }
    }
    return 0;
}

int prle__inputs_embeddings_changed(char *why, size_t len, const cJSON *root, const char *source,
                                    const prle_config *cfg)
{
    const cJSON *arr;
    size_t n = 0;
    int err, changed = 0;
    if (!is_npy(cfg) || !prle__json_has(root, "embeddings")) /* another encoder, or before it */
        return 0;
    if ((err = prle__json_get_array(&arr, &n, root, "embeddings")) < 0 || n != PRLE_N_SPLITS)
        return err < 0 ? prle__error_prefix(err, "%s", source)
                       : prle__error_set(PRLE_EFORMAT, "%s: embeddings needs 3 entries", source);
    char *path = NULL, sha[65];
    const cJSON *o = arr->child;
    for (int s = 0; s < PRLE_N_SPLITS && !changed; s++, o = o->next) {
        const char *want = NULL;
        int64_t want_size = 0;
        uint64_t size = 0;
        if ((err = prle__json_get_string(&want, o, "sha256")) < 0 ||
            (err = prle__json_get_int(&want_size, o, "size")) < 0) {
            err = prle__error_prefix(err, "%s: embeddings[%d]", source, s);
            break;
        }
        free(path);
        path = NULL;
        if ((err = prle_embed_path(&path, cfg, (prle_split)s)) < 0 ||
            (err = prle__sha256_file(sha, &size, path)) < 0) /* names the file */
            break;
        if ((int64_t)size != want_size || strcmp(sha, want) != 0) {
            snprintf(why, len,
                     "%s is not the file of %s embeddings it was made from (it changed since)",
                     path, prle_split_name((prle_split)s));
            changed = 1;
        }
    }
    free(path);
    return err < 0 ? err : changed;
}
