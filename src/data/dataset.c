/* Loading a dataset: read each file once (its bytes give the sha256 of the fingerprint), parse
 * it with the table reader, pick the text and label columns, check every row, and cut one
 * file into splits when needed (split.c). Presets and folders: presets.c. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/str.h"
#include "data/dataset_internal.h"
#include "data/dataset_struct.h"
#include "data/download.h"
#include "data/fields.h"
#include "io/fileio.h"

/* ---- small helpers ---------------------------------------------------------------------- */

static void rows_dispose(ds_rows *r)
{
    free(r->texts[0]);
    free(r->texts[1]);
    free(r->labels);
    free(r->lines);
    *r = (ds_rows){0};
}

static int rows_alloc(ds_rows *r, size_t n, size_t n_texts)
{
    size_t m = n ? n : 1;
    *r = (ds_rows){0};
    r->texts[0] = calloc(m, sizeof(char *));
    r->texts[1] = n_texts > 1 ? calloc(m, sizeof(char *)) : NULL;
    r->labels = calloc(m, sizeof(double));
    r->lines = calloc(m, sizeof(size_t));
    if (!r->texts[0] || (n_texts > 1 && !r->texts[1]) || !r->labels || !r->lines) {
        rows_dispose(r);
        return prle__error_nomem("dataset rows");
    }
    return 0;
}

static int format_from_ext(prle_table_format *out, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    char ext[16] = "";
    if (dot && strlen(dot + 1) < sizeof ext)
        for (size_t i = 0; dot[1 + i]; i++)
            ext[i] = (char)tolower((unsigned char)dot[1 + i]), ext[i + 1] = '\0';
    if (strcmp(ext, "csv") == 0)
        *out = PRLE_TABLE_CSV;
    else if (strcmp(ext, "tsv") == 0 || strcmp(ext, "tab") == 0)
        *out = PRLE_TABLE_TSV;
    else if (strcmp(ext, "jsonl") == 0 || strcmp(ext, "ndjson") == 0 || strcmp(ext, "json") == 0)
        *out = PRLE_TABLE_JSONL; /* *.json: an array of objects, or JSON Lines */
    else
        return prle__error_set(PRLE_EINVAL,
                               "%s: cannot tell the format from the file name; set data.format "
                               "(csv, tsv or jsonl: JSON Lines or a JSON array of objects)",
                               path);
    return 0;
}

/* "field 'score' (column 4)", "column 4", or for JSONL "field 'score'". */
static int find_column(size_t *col, const prle_table *t, const prle__ds_field *f, const char *key)
{
    if (f->name)
        return prle_table_column(col, t, f->name);
    size_t ncols = prle_table_n_cols(t);
    if (f->index < 0 || (uint64_t)f->index >= ncols)
        return prle__error_set(PRLE_ENOTFOUND, "%s: no column %lld for %s (the file has %zu)",
                               prle_table_name(t), (long long)f->index, key, ncols);
    *col = (size_t)f->index;
    return 0;
}

/* ---- reading one file ------------------------------------------------------------------- */

/* Records a bad row when skipping (returns 1) or fails with its message. */
static int row_bad(ds_file *f, const prle__ds_spec *spec, size_t line, const char *what)
{
    if (!spec->skip_bad_rows)
        return prle__error_set(PRLE_EFORMAT, "%s:%zu: %s", f->path, line, what);
    if (f->n_skipped == 0 || !f->skip_reason[0])
        snprintf(f->skip_reason, sizeof f->skip_reason, "%s:%zu: %s", f->path, line, what);
    f->n_skipped++;
    if (f->n_skipped_lines < KEEP)
        f->skipped[f->n_skipped_lines++] = line;
    return 1;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The table's own skipped rows (field counts) and ours (labels, texts) in one list. */
static void merge_skips(ds_file *f, const prle_table *t, size_t own_first_line)
{
    size_t nt, all[2 * KEEP], n = 0;
    const size_t *tl = prle_table_skipped_lines(t, &nt);
    for (size_t i = 0; i < nt; i++)
        all[n++] = tl[i];
    for (size_t i = 0; i < f->n_skipped_lines; i++)
        all[n++] = f->skipped[i];
    qsort(all, n, sizeof all[0], cmp_size);
    f->n_skipped_lines = n < KEEP ? n : KEEP;
    memcpy(f->skipped, all, f->n_skipped_lines * sizeof all[0]);
    size_t tn = prle_table_n_skipped(t);
    if (tn && (!f->n_skipped || (nt && tl[0] < own_first_line)))
        snprintf(f->skip_reason, sizeof f->skip_reason, "%s", prle_table_skip_reason(t));
    f->n_skipped += tn;
}

static bool deleted_body(const char *s)
{
    return s[0] == '\0' || strcmp(s, "[deleted]") == 0 || strcmp(s, "[removed]") == 0;
}

static int read_rows(ds_file *f, ds_rows *out, const prle__ds_spec *spec)
{
    int err;
    char *bytes = NULL;
    size_t len = 0;
    prle_table *t = NULL;
    ds_rows r = {0};

    struct stat st;
    if (stat(f->path, &st) == 0 && S_ISDIR(st.st_mode))
        return prle__error_set(PRLE_EINVAL, "%s: is a folder, not a data file", f->path);
    if ((err = prle__read_file(&bytes, &len, f->path, 0)) < 0)
        return err;
    f->size = len;
    if ((err = prle__sha256_hex(f->sha256, bytes, len)) < 0)
        goto done;

    prle_table_params tp = prle_table_default_params();
    if (spec->format_set)
        tp.format = spec->format;
    else if ((err = format_from_ext(&tp.format, f->path)) < 0)
        goto done;
    bool jsonl = tp.format == PRLE_TABLE_JSONL;
    tp.json_array = jsonl; /* the file is read whole: an array of objects may be it */
    tp.header = jsonl || spec->header != 0; /* unset: a header row */
    tp.quoting = spec->quoting == PRLE_CONFIG_UNSET ? PRLE_QUOTING_AUTO
                 : spec->quoting                    ? PRLE_QUOTING_ON
                                                    : PRLE_QUOTING_OFF;
    tp.delimiter = spec->delimiter;
    tp.on_bad_row = spec->skip_bad_rows ? PRLE_BAD_ROW_SKIP : PRLE_BAD_ROW_ERROR;
    if (!jsonl && tp.header) {
        tp.strict_fields = true; /* every row as wide as the header */
    } else if (!jsonl) {
        /* without a header: wide enough for every column used (STS-B: 7; 9 is fine) */
        int64_t widest = spec->label_field.index;
        for (size_t i = 0; i < spec->n_texts; i++)
            if (!spec->text_fields[i].name && spec->text_fields[i].index > widest)
                widest = spec->text_fields[i].index;
        tp.min_fields = widest >= 0 ? (size_t)widest + 1 : 0;
    }
    err = prle_table_read_buffer(&t, bytes, len, f->path, &tp);
    free(bytes);
    bytes = NULL;
    if (err < 0)
        goto done;

    size_t tcol[2] = {0, 0}, lcol = 0;
    char cols[256];
    if (spec->n_texts == 0 || (!spec->label_field.name && spec->label_field.index < 0)) {
        err = prle__error_set(PRLE_EINVAL, "data.%s is not set (%s; %s has columns %s)",
                              spec->n_texts ? "label_field" : "text_fields",
                              spec->n_texts ? "the label column"
                                            : "one text column, or two for a pair",
                              f->path, prle_table_columns_desc(t, cols, sizeof cols));
        goto done;
    }
    for (size_t i = 0; i < spec->n_texts; i++)
        if ((err = find_column(&tcol[i], t, &spec->text_fields[i], "data.text_fields")) < 0)
            goto done;
    if ((err = find_column(&lcol, t, &spec->label_field, "data.label_field")) < 0)
        goto done;
    char tdesc[2][160], ldesc[160];
    for (size_t i = 0; i < spec->n_texts; i++)
        prle__field_desc(tdesc[i], sizeof tdesc[i], t, tcol[i], jsonl);
    prle__field_desc(ldesc, sizeof ldesc, t, lcol, jsonl);
    for (size_t i = 0; i < spec->n_texts; i++)
        if (tcol[i] == lcol) { /* a model that reads its label: every score a lie */
            err = prle__error_set(PRLE_EINVAL,
                                  "%s: data.text_fields and data.label_field both name %s: the "
                                  "model would read each row's label as its text",
                                  f->path, ldesc);
            goto done;
        }

    size_t nt = prle_table_n_rows(t), first_own = 0;
    if ((err = rows_alloc(&r, nt, spec->n_texts)) < 0)
        goto done;
    for (size_t row = 0; row < nt; row++) {
        size_t line = prle_table_row_line(t, row);
        char what[400];
        const char *text[2] = {NULL, NULL};
        int rc = 0;
        for (size_t i = 0; i < spec->n_texts && rc == 0; i++)
            rc = prle__field_text(&text[i], what, sizeof what, t, row, tcol[i], tdesc[i], jsonl);
        double v = 0;
        if (rc == 0)
            rc = prle__field_label(&v, what, sizeof what, t, row, lcol, ldesc, jsonl);
        if (rc) {
            if (f->n_skipped == 0)
                first_own = line;
            if ((err = row_bad(f, spec, line, what)) < 0)
                goto done;
            continue;
        }
        if (spec->drop_deleted && deleted_body(text[0])) {
            f->n_dropped++;
            continue;
        }
        for (size_t i = 0; i < spec->n_texts; i++)
            r.texts[i][r.n] = text[i];
        r.labels[r.n] = v;
        r.lines[r.n] = line;
        r.n++;
    }
    merge_skips(f, t, first_own);
    f->n_rows = r.n;
    if (r.n == 0) {
        if (f->n_skipped)
            err = prle__error_set(PRLE_EFORMAT,
                                  "%s: no data rows left: %zu bad rows skipped "
                                  "(first: %s)",
                                  f->path, f->n_skipped, f->skip_reason);
        else
            err = prle__error_set(PRLE_EFORMAT, "%s: no data rows", f->path);
        goto done;
    }
    f->table = t;
    t = NULL;
    *out = r;
    r = (ds_rows){0};
done:
    free(bytes);
    prle_table_free(t);
    rows_dispose(&r);
    return err;
}

/* ---- building the splits ---------------------------------------------------------------- */

static int rows_sha256(char out[65], const ds_rows *r, const float *labels, size_t n_texts)
{
    size_t total = 0;
    for (size_t i = 0; i < r->n; i++) {
        for (size_t k = 0; k < n_texts; k++)
            total += strlen(r->texts[k][i]) + 1;
        total += 4;
    }
    char *buf = malloc(total ? total : 1), *p = buf;
    if (!buf)
        return prle__error_nomem("row hash");
    for (size_t i = 0; i < r->n; i++) {
        for (size_t k = 0; k < n_texts; k++) {
            size_t m = strlen(r->texts[k][i]) + 1; /* with its NUL */
            memcpy(p, r->texts[k][i], m);
            p += m;
        }
        uint32_t bits;
        memcpy(&bits, &labels[i], 4);
        for (int b = 0; b < 4; b++) /* little-endian float32 */
            *p++ = (char)(bits >> (8 * b) & 0xff);
    }
    int err = prle__sha256_hex(out, buf, total);
    free(buf);
    return err;
}

static int finish_split(prle_dataset *ds, prle_split s, ds_rows *rows, int file)
{
    ds_split *sp = &ds->splits[s];
    sp->rows = *rows;
    *rows = (ds_rows){0};
    sp->file = file;
    sp->labels = malloc((sp->rows.n ? sp->rows.n : 1) * sizeof(float));
    if (!sp->labels)
        return prle__error_nomem("labels");
    for (size_t i = 0; i < sp->rows.n; i++)
        sp->labels[i] = (float)sp->rows.labels[i];
    const ds_file *f = &ds->files[file];
    prle_dataset_split_info *in = &sp->info;
    in->path = f->path;
    in->size = f->size;
    memcpy(in->sha256, f->sha256, 65);
    in->n_rows = sp->rows.n;
    in->n_file_rows = f->n_rows;
    in->n_skipped = f->n_skipped;
    in->n_dropped = f->n_dropped;
    in->skip_reason = f->skip_reason;
    in->skipped_lines = f->skipped;
    in->n_skipped_lines = f->n_skipped_lines;
    return rows_sha256(in->rows_sha256, &sp->rows, sp->labels, ds->n_texts);
}

/* The rows of file 0 cut into the splits by `ratios` (split.c): all three splits (data.file),
 * or, `only_cut`, just those whose share is above 0 (the others have files of their own). */
static int cut_rows(prle_dataset *ds, ds_rows *all, const double ratios[PRLE_N_SPLITS],
                    bool stratify, uint64_t seed, bool only_cut)
{
    int err;
    unsigned char *which = malloc(all->n ? all->n : 1);
    ds_rows part[PRLE_N_SPLITS] = {{0}};
    if (!which)
        return prle__error_nomem("split");
    if ((err = prle__split_assign(which, all->labels, all->n, ratios, stratify, seed)) < 0)
        goto done;
    size_t count[PRLE_N_SPLITS] = {0};
    for (size_t i = 0; i < all->n; i++)
        count[which[i]]++;
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        if (count[s] == 0 && ratios[s] > 0) {
            err = prle__error_set(PRLE_EINVAL,
                                  "%s: %zu rows are too few for data.split.ratios: the %s split "
                                  "would be empty",
                                  ds->files[0].path, all->n, prle_split_name((prle_split)s));
            goto done;
        }
        if ((err = rows_alloc(&part[s], count[s], ds->n_texts)) < 0)
            goto done;
    }
    for (size_t i = 0; i < all->n; i++) { /* file order within each split */
        ds_rows *p = &part[which[i]];
        for (size_t k = 0; k < ds->n_texts; k++)
            p->texts[k][p->n] = all->texts[k][i];
        p->labels[p->n] = all->labels[i];
        p->lines[p->n] = all->lines[i];
        p->n++;
    }
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        if ((!only_cut || ratios[s] > 0) &&
            (err = finish_split(ds, (prle_split)s, &part[s], 0)) < 0)
            goto done;
done:
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        rows_dispose(&part[s]);
    free(which);
    return err;
}

prle_dataset_params prle_dataset_default_params(void)
{
    prle_dataset_params p = {0};
    p.allow_download = true;
    return p;
}

int prle_dataset_load(prle_dataset **out, const prle_data_config *data, uint64_t seed,
                      const prle_dataset_params *params)
{
    int err;
    prle__ds_spec spec = {0};
    prle_dataset *ds = NULL;
    ds_rows rows = {0};
    prle_dataset_params defaults = prle_dataset_default_params();
    if (!out || !data)
        return prle__error_set(PRLE_EINVAL, "prle_dataset_load: NULL argument");
    if (!params)
        params = &defaults;
    if ((err = prle__ds_spec_resolve(&spec, data, params)) < 0)
        goto done;
    if (!(ds = calloc(1, sizeof *ds)) || !(ds->name = prle__strdup(spec.name ? spec.name : ""))) {
        err = prle__error_nomem("dataset");
        goto done;
    }
    ds->preset = spec.preset;
    ds->n_texts = spec.n_texts;
    if (spec.file) {
        ds->n_files = 1;
        if (!(ds->files[0].path = prle__strdup(spec.file))) {
            err = prle__error_nomem("dataset");
            goto done;
        }
        if ((err = read_rows(&ds->files[0], &rows, &spec)) < 0 ||
            (err = cut_rows(ds, &rows, spec.ratios, spec.stratify, seed, false)) < 0)
            goto done;
    } else {
        /* a validation or test file not given: its data.split.ratios share of the training
         * file, cut as data.file is */
        double cut[PRLE_N_SPLITS] = {1.0, 0.0, 0.0};
        for (int s = 1; s < PRLE_N_SPLITS; s++)
            if (!spec.files[s])
                cut[s] = spec.ratios[s], cut[0] -= spec.ratios[s];
        ds->n_files = PRLE_N_SPLITS;
        for (int s = 0; s < PRLE_N_SPLITS; s++) {
            if (!spec.files[s])
                continue; /* cut from the training file with it */
            if (!(ds->files[s].path = prle__strdup(spec.files[s]))) {
                err = prle__error_nomem("dataset");
                goto done;
            }
            if ((err = read_rows(&ds->files[s], &rows, &spec)) < 0)
                goto done;
            if (s == PRLE_SPLIT_TRAIN && cut[0] < 1.0) {
                err = cut_rows(ds, &rows, cut, spec.stratify, seed, true);
                rows_dispose(&rows); /* the splits hold copies; the next file reuses it */
            } else {
                err = finish_split(ds, (prle_split)s, &rows, s);
            }
            if (err < 0)
                goto done;
        }
    }
    /* the label range: config, preset, else the train split's */
    const ds_split *tr = &ds->splits[PRLE_SPLIT_TRAIN];
    if (!tr->rows.n && (isnan(spec.label_min) || isnan(spec.label_max))) {
        const char *f = tr->info.path ? tr->info.path : "no training file";
        if (spec.file && !(spec.ratios[0] > 0))
            err = prle__error_set(PRLE_EINVAL,
                                  "the train split has no rows: data.split.ratios gives it no "
                                  "share of %s",
                                  f);
        else
            err = prle__error_set(PRLE_EINVAL, "the train split has no rows (%s)", f);
        goto done;
    }
    /* the model computes in single precision: labels it keeps only to within more than 1 %
     * of their spread (1e9 plus a few units) would fit nothing and say nothing */
    double lo = INFINITY, hi = -INFINITY, lost = 0.0;
    for (size_t i = 0; i < tr->rows.n; i++) {
        double v = tr->rows.labels[i];
        lo = fmin(lo, v);
        hi = fmax(hi, v);
        lost = fmax(lost, fabs(v - (double)(float)v));
    }
    if (hi > lo && lost > 0.01 * (hi - lo)) {
        err = prle__error_set(PRLE_EINVAL,
                              "%s: the training labels lie around %.6g and span only %.6g: single "
                              "precision keeps them only to within %.3g, more than 1 %% of that; "
                              "subtract an offset from the labels",
                              tr->info.path, 0.5 * (lo + hi), hi - lo, lost);
        goto done;
    }
    ds->label_min = isnan(spec.label_min) ? lo : spec.label_min;
    ds->label_max = isnan(spec.label_max) ? hi : spec.label_max;
    if (lo == hi && (isnan(spec.label_min) || isnan(spec.label_max))) { /* no range to take */
        err = prle__error_set(PRLE_EINVAL,
                              "%s: all %zu training labels are %.9g: there is nothing to learn "
                              "(a regression needs labels that differ)",
                              tr->info.path, tr->rows.n, lo);
        goto done;
    }
    if (!(ds->label_min < ds->label_max)) {
        err = prle__error_set(PRLE_EINVAL,
                              "label range [%g, %g] is empty: set data.label_min and "
                              "data.label_max (the train labels of %s span only that)",
                              ds->label_min, ds->label_max, tr->info.path);
        goto done;
    }
    *out = ds;
    ds = NULL;
done:
    rows_dispose(&rows);
    prle_dataset_free(ds);
    prle__ds_spec_dispose(&spec);
    return err;
}

void prle_dataset_free(prle_dataset *ds)
{
    if (!ds)
        return;
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        rows_dispose(&ds->splits[s].rows);
        free(ds->splits[s].labels);
    }
    for (size_t i = 0; i < MAX_FILES; i++) {
        free(ds->files[i].path);
        prle_table_free(ds->files[i].table);
    }
    free(ds->name);
    free(ds->arena);
    free(ds);
}

/* ---- accessors -------------------------------------------------------------------------- */

const char *prle_split_name(prle_split split)
{
    switch (split) {
    case PRLE_SPLIT_TRAIN:
        return "train";
    case PRLE_SPLIT_VALIDATION:
        return "validation";
    case PRLE_SPLIT_TEST:
        return "test";
    }
    return "?";
}

static const ds_split *get_split(const prle_dataset *ds, prle_split s)
{
    return (ds && (unsigned)s < PRLE_N_SPLITS) ? &ds->splits[s] : NULL;
}

const char *prle_dataset_name(const prle_dataset *ds)
{
    return ds ? ds->name : "";
}

const char *prle_dataset_title(const prle_dataset *ds, char *buf, size_t size)
{
    const prle_dataset_split_info *in = prle_dataset_info(ds, PRLE_SPLIT_TRAIN);
    const char *from = in ? in->path : NULL, *slash = from ? strrchr(from, '/') : NULL;
    if (*prle_dataset_name(ds) || !from)
        snprintf(buf, size, "%s", prle_dataset_name(ds));
    else
        snprintf(buf, size, "unnamed, from %s", slash ? slash + 1 : from);
    return buf;
}

bool prle_dataset_is_preset(const prle_dataset *ds)
{
    return ds && ds->preset;
}

size_t prle_dataset_n_texts(const prle_dataset *ds)
{
    return ds ? ds->n_texts : 0;
}

size_t prle_dataset_n_rows(const prle_dataset *ds, prle_split split)
{
    const ds_split *sp = get_split(ds, split);
    return sp ? sp->rows.n : 0;
}

const char *prle_dataset_text(const prle_dataset *ds, prle_split split, size_t row, size_t field)
{
    const ds_split *sp = get_split(ds, split);
    if (!sp || row >= sp->rows.n || field >= ds->n_texts)
        return NULL;
    return sp->rows.texts[field][row];
}

const char *const *prle_dataset_texts(const prle_dataset *ds, prle_split split, size_t field)
{
    const ds_split *sp = get_split(ds, split);
    if (!sp || !sp->rows.n || field >= ds->n_texts)
        return NULL;
    return (const char *const *)sp->rows.texts[field];
}

int prle_dataset_join_texts(char ***out, const prle_dataset *ds, prle_split split,
                            const char *token)
{
    const ds_split *sp = get_split(ds, split);
    if (!out || !sp || !token)
        return prle__error_set(PRLE_EINVAL, "prle_dataset_join_texts: bad split or NULL argument");
    *out = NULL;
    size_t n = sp->rows.n;
    if (n == 0)
        return 0;
    char **v = calloc(n, sizeof *v);
    if (!v)
        return prle__error_nomem("joined texts");
    for (size_t i = 0; i < n; i++) {
        const char *a = sp->rows.texts[0][i];
        v[i] = ds->n_texts == 1 ? prle__strdup(a) : prle__join_pair(a, token, sp->rows.texts[1][i]);
        if (!v[i]) {
            prle_dataset_texts_free(v, i);
            return prle__error_nomem("joined texts");
        }
    }
    *out = v;
    return 0;
}

void prle_dataset_texts_free(char **texts, size_t n)
{
    if (!texts)
        return;
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
}

const float *prle_dataset_labels(const prle_dataset *ds, prle_split split)
{
    const ds_split *sp = get_split(ds, split);
    return (sp && sp->rows.n) ? sp->labels : NULL;
}

double prle_dataset_label_min(const prle_dataset *ds)
{
    return ds ? ds->label_min : NAN;
}

double prle_dataset_label_max(const prle_dataset *ds)
{
    return ds ? ds->label_max : NAN;
}

const char *prle_dataset_source_file(const prle_dataset *ds, prle_split split, size_t row)
{
    const ds_split *sp = get_split(ds, split);
    return (sp && row < sp->rows.n) ? ds->files[sp->file].path : NULL;
}

size_t prle_dataset_source_line(const prle_dataset *ds, prle_split split, size_t row)
{
    const ds_split *sp = get_split(ds, split);
    return (sp && row < sp->rows.n) ? sp->rows.lines[row] : 0;
}

const prle_dataset_split_info *prle_dataset_info(const prle_dataset *ds, prle_split split)
{
    const ds_split *sp = get_split(ds, split);
    return sp ? &sp->info : NULL;
}

size_t prle_dataset_n_skipped(const prle_dataset *ds)
{
    size_t n = 0;
    if (ds)
        for (size_t i = 0; i < ds->n_files; i++)
            n += ds->files[i].n_skipped;
    return n;
}

const char *prle_dataset_skip_reason(const prle_dataset *ds)
{
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const prle_dataset_split_info *in = prle_dataset_info(ds, (prle_split)s);
        if (in && in->skip_reason && in->skip_reason[0])
            return in->skip_reason;
    }
    return "";
}
