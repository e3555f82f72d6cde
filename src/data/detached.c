/* Detached datasets (detached.h): the train split's kept rows and the validation labels of a
 * run folder whose data files are gone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "data/dataset_struct.h"
#include "data/detached.h"

static const char EMPTY[] = "";

static int split_alloc(ds_split *sp, size_t n, size_t n_texts)
{
    size_t m = n ? n : 1;
    sp->rows.n = n;
    for (size_t f = 0; f < n_texts; f++)
        if (!(sp->rows.texts[f] = malloc(m * sizeof(char *))))
            return prle__error_nomem("detached dataset");
    sp->rows.labels = malloc(m * sizeof(double));
    sp->rows.lines = calloc(m, sizeof(size_t));
    sp->labels = malloc(m * sizeof(float));
    if (!sp->rows.labels || !sp->rows.lines || !sp->labels)
        return prle__error_nomem("detached dataset");
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < n_texts; f++)
            sp->rows.texts[f][i] = EMPTY;
        sp->rows.labels[i] = NAN;
        sp->labels[i] = NAN;
    }
    return 0;
}

int prle__dataset_detached(prle_dataset **out, const prle__detached_spec *spec)
{
    size_t bytes = 0, nt = spec->n_texts;
    int err = 0;
    *out = NULL;
    if (nt < 1 || nt > 2)
        return prle__error_set(PRLE_EINVAL, "%s: a dataset has 1 or 2 texts, not %zu", spec->source,
                               nt);
    for (size_t k = 0; k < spec->n_kept; k++) {
        if (spec->kept[k].row >= spec->n_rows[PRLE_SPLIT_TRAIN])
            return prle__error_set(PRLE_EINVAL, "%s: kept row %zu is beyond the %zu training rows",
                                   spec->source, spec->kept[k].row, spec->n_rows[PRLE_SPLIT_TRAIN]);
        for (size_t f = 0; f < nt; f++)
            bytes += strlen(spec->kept[k].text[f] ? spec->kept[k].text[f] : "") + 1;
    }
    prle_dataset *ds = calloc(1, sizeof *ds);
    if (!ds || !(ds->name = prle__strdup(spec->name ? spec->name : "")) ||
        !(ds->files[0].path = prle__strdup(spec->source)) || !(ds->arena = malloc(bytes + 1))) {
        prle_dataset_free(ds);
        return prle__error_nomem("detached dataset");
    }
    ds->n_texts = nt;
    ds->n_files = 1;
    ds->label_min = spec->label_min, ds->label_max = spec->label_max;
    for (int s = 0; s < PRLE_N_SPLITS && err == 0; s++) {
        ds_split *sp = &ds->splits[s];
        size_t n = s == PRLE_SPLIT_TEST ? 0 : spec->n_rows[s];
        err = split_alloc(sp, n, nt);
        sp->info =
            (prle_dataset_split_info){.path = ds->files[0].path, .n_rows = n, .skip_reason = EMPTY};
    }
    ds_split *tr = &ds->splits[PRLE_SPLIT_TRAIN], *va = &ds->splits[PRLE_SPLIT_VALIDATION];
    char *at = ds->arena;
    for (size_t k = 0; err == 0 && k < spec->n_kept; k++) {
        const prle__kept_row *r = &spec->kept[k];
        for (size_t f = 0; f < nt; f++) {
            const char *t = r->text[f] ? r->text[f] : "";
            size_t len = strlen(t) + 1;
            memcpy(at, t, len);
            tr->rows.texts[f][r->row] = at;
            at += len;
        }
        tr->rows.labels[r->row] = r->label;
        tr->labels[r->row] = r->label;
    }
    for (size_t i = 0; err == 0 && i < va->rows.n; i++)
        va->labels[i] = spec->val_labels[i], va->rows.labels[i] = spec->val_labels[i];
    if (err < 0) {
        prle_dataset_free(ds);
        return err;
    }
    *out = ds;
    return 0;
}
