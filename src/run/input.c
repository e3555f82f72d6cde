/* Rows for prle predict --input FILE: a table with a header naming `text` or `sentence1`
 * (and `text2` / `sentence2`, `label`) or the run's own columns, or else a file in the run's
 * dataset format. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "data/fields.h"
#include "prle/table.h"
#include "run/run_int.h"

void prle_run_input_dispose(prle_run_input *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n; i++) {
        free(in->text[i]);
        if (in->text2)
            free(in->text2[i]);
    }
    free(in->text);
    free(in->text2);
    free(in->label);
    *in = (prle_run_input){0};
}

int prle__run_input_alloc(prle_run_input *in, size_t n, bool pairs)
{
    size_t m = n ? n : 1;
    *in = (prle_run_input){.n = 0};
    in->text = calloc(m, sizeof *in->text);
    in->text2 = pairs ? calloc(m, sizeof *in->text2) : NULL;
    in->label = malloc(m * sizeof *in->label);
    if (!in->text || (pairs && !in->text2) || !in->label) {
        prle_run_input_dispose(in);
        return prle__error_nomem("input rows");
    }
    return 0;
}

bool prle__run_input_params(prle_table_params *tp, const char *path, bool pairs)
{
    bool lines = prle__str_ends_with(path, ".txt");
    tp->format = prle__str_ends_with(path, ".tsv") || lines ? PRLE_TABLE_TSV
                 : prle__str_ends_with(path, ".jsonl") || prle__str_ends_with(path, ".json")
                     ? PRLE_TABLE_JSONL
                     : PRLE_TABLE_CSV;
    if (lines) {
        tp->quoting = PRLE_QUOTING_OFF;
        tp->header = false;
        tp->delimiter = pairs ? '\t' : '\x1f'; /* single texts: the whole line, tabs kept */
    } else {
        /* every row as wide as the header: an unquoted comma would cut a text short */
        tp->strict_fields = true;
    }
    return lines;
}

/* The first of `names` that is a column of `t`; SIZE_MAX if none. */
static size_t find_col(const prle_table *t, const char *const *names)
{
    for (; *names; names++)
        for (size_t j = 0; j < prle_table_n_cols(t); j++) {
            const char *c = prle_table_col_name(t, j);
            if (c && !strcmp(c, *names))
                return j;
        }
    return SIZE_MAX;
}

static int from_table(prle_run_input *out, const prle_table *t, size_t c1, size_t c2, size_t cl,
                      bool pairs)
{
    const char *path = prle_table_name(t);
    bool jsonl = prle__str_ends_with(path, ".jsonl") || prle__str_ends_with(path, ".json");
    size_t n = prle_table_n_rows(t);
    char desc[3][160], what[400];
    size_t cols[3] = {c1, c2, cl};
    for (int k = 0; k < 3; k++)
        if (cols[k] != SIZE_MAX && (k != 1 || pairs)) {
            if (prle_table_col_name(t, cols[k]))
                prle__field_desc(desc[k], sizeof desc[k], t, cols[k], jsonl);
            else /* plain text has no column names */
                snprintf(desc[k], sizeof desc[k], "%s",
                         k == 0   ? "text"
                         : k == 1 ? "text2 (after a tab)"
                                  : "label");
        }
    prle_run_input in;
    int err = prle__run_input_alloc(&in, n, pairs);
    if (err < 0)
        return err;
    in.has_labels = cl != SIZE_MAX;
    for (size_t i = 0; i < n; i++, in.n++) {
        const char *a = NULL, *b = NULL;
        double v = NAN;
        int bad = prle__field_text(&a, what, sizeof what, t, i, c1, desc[0], jsonl);
        if (!bad && pairs)
            bad = prle__field_text(&b, what, sizeof what, t, i, c2, desc[1], jsonl);
        const char *l = cl != SIZE_MAX ? prle_table_field(t, i, cl) : NULL;
        if (!bad && l && *l) /* an empty or absent label: an unlabelled row */
            bad = prle__field_label(&v, what, sizeof what, t, i, cl, desc[2], jsonl);
        if (bad) {
            err =
                prle__error_set(PRLE_EFORMAT, "%s:%zu: %s", path, prle_table_row_line(t, i), what);
            break;
        }
        in.label[i] = (float)v;
        if (!(in.text[i] = prle__strdup(a)) || (pairs && !(in.text2[i] = prle__strdup(b)))) {
            in.n++;
            err = prle__error_nomem("input rows");
            break;
        }
    }
    if (err < 0) {
        prle_run_input_dispose(&in);
        return err;
    }
    *out = in;
    return 0;
}

static const char *const first_names[] = {"text", "sentence1", NULL};
static const char *const second_names[] = {"text2", "sentence2", NULL};
static const char *const label_names[] = {"label", NULL};

prle__input_names prle__input_names_of(const prle_config *cfg)
{
    const prle_data_config *d = &cfg->data;
    prle__input_names n = {{NULL, NULL}, d->label_field.name};
    for (size_t k = 0; k < d->text_fields.n && k < 2; k++)
        n.text[k] = d->text_fields.items[k].name;
    return n;
}

/* The common name of a column (names), else the run's own (NULL: none); SIZE_MAX if neither. */
static size_t find_either(const prle_table *t, const char *const *names, const char *own)
{
    size_t c = find_col(t, names);
    const char *const mine[] = {own, NULL};
    return c == SIZE_MAX && own ? find_col(t, mine) : c;
}

bool prle__run_input_has_text(const prle_table *t, const prle__input_names *own)
{
    return find_either(t, first_names, own ? own->text[0] : NULL) != SIZE_MAX;
}

int prle__run_input_from_table(prle_run_input *out, const prle_table *t, bool pairs,
                               const prle__input_names *own)
{
    const char *path = prle_table_name(t);
    size_t c1 = find_either(t, first_names, own ? own->text[0] : NULL);
    size_t c2 = find_either(t, second_names, own ? own->text[1] : NULL);
    if (c1 == SIZE_MAX) /* a chunk of JSON Lines whose rows all lack it */
        return prle__error_set(PRLE_EFORMAT, "%s:%zu: text missing", path,
                               prle_table_n_rows(t) ? prle_table_row_line(t, 0) : 0);
    const char *mine = own ? own->text[1] : NULL;
    if (pairs && c2 == SIZE_MAX)
        return prle__error_set(PRLE_EINVAL,
                               "%s: this run's dataset has text pairs: the file needs a "
                               "sentence2 (or text2%s%s) column beside %s",
                               path, mine ? ", " : "", mine ? mine : "",
                               prle_table_col_name(t, c1));
    if (!pairs && c2 != SIZE_MAX) /* it would be dropped without a word, as --text2 would */
        return prle__error_set(PRLE_EINVAL,
                               "%s: this run's dataset has single texts: the file's second text "
                               "column %s has no place (give one text column, %s)",
                               path, prle_table_col_name(t, c2), prle_table_col_name(t, c1));
    size_t cl = find_either(t, label_names, own ? own->label : NULL);
    size_t used[3] = {c1, pairs ? c2 : SIZE_MAX, cl}, k;
    for (int u = 0; u < 3; u++) { /* a name the header gives twice: refused, as in datasets */
        int err =
            used[u] == SIZE_MAX ? 0 : prle_table_column(&k, t, prle_table_col_name(t, used[u]));
        if (err < 0)
            return err;
    }
    return from_table(out, t, c1, c2, cl, pairs);
}

/* The file as the test split of the run's dataset (its format, fields and label). */
static int from_dataset(prle_run_input *out, const prle_run_folder *rf, const char *path)
{
    char cfg_path[PRLE__RUN_PATH];
    prle_config c = {0};
    prle_dataset *ds = NULL;
    int err;
    if ((err = prle__path_join(cfg_path, sizeof cfg_path, prle_run_folder_dir(rf), "config.yaml")) <
            0 ||
        (err = prle_config_load(&c, cfg_path)) < 0)
        return err;
    prle_data_config *d = &c.data;
    char **slots[3] = {&d->files.train, &d->files.validation, &d->files.test};
    free(d->file);
    d->file = NULL;
    for (int s = 0; s < 3; s++) {
        free(*slots[s]);
        if (!(*slots[s] = prle__strdup(path))) {
            err = prle__error_nomem("input path");
            goto done;
        }
    }
    if ((err = prle_dataset_load(&ds, d, c.train.seed, NULL)) < 0) {
        const char *mine = prle__input_names_of(&c).text[0];
        if (mine && (!strcmp(mine, "text") || !strcmp(mine, "sentence1")))
            mine = NULL; /* named already */
        prle__error_prefix(err,
                           "--input %s, read in the run's dataset format (it is not a table "
                           "with a text%s%s or sentence1 column)",
                           path, mine ? ", " : "", mine ? mine : "");
        goto done;
    }
    size_t n = prle_dataset_n_rows(ds, PRLE_SPLIT_TEST);
    bool pairs = prle_dataset_n_texts(ds) > 1;
    prle_run_input in;
    if ((err = prle__run_input_alloc(&in, n, pairs)) < 0)
        goto done;
    in.has_labels = true;
    const float *y = prle_dataset_labels(ds, PRLE_SPLIT_TEST);
    for (size_t i = 0; i < n; i++, in.n++) {
        in.label[i] = y[i];
        if (!(in.text[i] = prle__strdup(prle_dataset_text(ds, PRLE_SPLIT_TEST, i, 0))) ||
            (pairs &&
             !(in.text2[i] = prle__strdup(prle_dataset_text(ds, PRLE_SPLIT_TEST, i, 1))))) {
            in.n++;
            prle_run_input_dispose(&in);
            err = prle__error_nomem("input rows");
            goto done;
        }
    }
    *out = in;
done:
    prle_dataset_free(ds);
    prle_config_dispose(&c);
    return err;
}

int prle__run_input_from_lines(prle_run_input *out, const prle_table *t, bool pairs)
{
    return from_table(out, t, 0, 1, SIZE_MAX, pairs);
}

int prle__run_input_read_file(prle_run_input *out, const char *path, bool pairs,
                              const prle__input_names *own, bool *has_text)
{
    prle_table_params tp = prle_table_default_params();
    prle_table *t = NULL;
    bool lines = prle__run_input_params(&tp, path, pairs);
    tp.json_array = tp.format == PRLE_TABLE_JSONL; /* read whole: an array may be the file */
    int err = prle_table_read(&t, path, &tp);
    *has_text = lines || (err == 0 && prle__run_input_has_text(t, own));
    if (err == 0 && *has_text)
        err = lines ? prle__run_input_from_lines(out, t, pairs)
                    : prle__run_input_from_table(out, t, pairs, own);
    prle_table_free(t);
    if (err == 0 && *has_text && out->n == 0) { /* a header alone */
        prle_run_input_dispose(out);
        err = prle__error_set(PRLE_EFORMAT, "%s: no data rows", path);
    }
    return err;
}

int prle_run_input_read(prle_run_input *out, const prle_run_folder *rf, const char *path)
{
    bool pairs = prle_dataset_n_texts(prle_run_folder_dataset(rf)) > 1, has_text;
    prle__input_names own = prle__input_names_of(prle_run_folder_config(rf));
    int err = prle__run_input_read_file(out, path, pairs, &own, &has_text);
    if (err == PRLE_ENOTFOUND || err == PRLE_EIO || has_text)
        return err;
    prle_table_params tp = prle_table_default_params();
    prle__run_input_params(&tp, path, pairs);
    if (err < 0 && tp.format == PRLE_TABLE_JSONL)
        return err;     /* JSON that does not parse: the run's format would not parse it either */
    prle_error_clear(); /* not a table of texts: the run's dataset format */
    return from_dataset(out, rf, path);
}
