/* Dataset presets (stsb, ruddit, mlqe-<pair>) for the folders of ../shared/data, the data
 * folder they are found in, and the STS-B download for users without that folder.
 * Formats and numbers come from each folder's README.md. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/str.h"
#include "data/dataset_internal.h"
#include "data/download.h"

/* ---- the presets ------------------------------------------------------------------------ */

#define STSB_URL "http://ixa2.si.ehu.eus/stswiki/images/4/48/Stsbenchmark.tar.gz"

/* sha256 of the original files (../shared/data/stsb/README.md): the integrity check of a
 * download, since the archive's own hash is not recorded anywhere we trust. */
static const char *const stsb_files[PRLE_N_SPLITS] = {"sts-train.csv", "sts-dev.csv",
                                                      "sts-test.csv"};
static const char *const stsb_sha256[PRLE_N_SPLITS] = {
    "0f71910b59aa1ad973c5897f0791f3b0965a92b8f82b1a95f3eea9f4162fda82",
    "5d7e944d8b02734b07bfdb5df67db3420c64bed153fcaa1ba47ad03480cf4234",
    "affe45928a66ee5a708531233c95b7dacbbdc57f974f002a3d32ea0180cf816a"};

static const char *const mlqe_pairs[] = {"en-de", "en-zh", "ro-en", "ru-en", "si-en"};
static const char *const mlqe_names[] = {"mlqe-en-de", "mlqe-en-zh", "mlqe-ro-en", "mlqe-ru-en",
                                         "mlqe-si-en"};

typedef enum preset_kind { PRESET_NONE, PRESET_STSB, PRESET_RUDDIT, PRESET_MLQE } preset_kind;

/* What a preset fills in. Column names and numbers per README. */
typedef struct preset {
    preset_kind kind;
    const char *name; /* canonical */
    prle_table_format format;
    int header, quoting;
    prle__ds_field text_fields[2];
    size_t n_texts;
    prle__ds_field label_field;
    double label_min, label_max;
    const char *mlqe_pair; /* "en-de" ... */
} preset;

static bool find_preset(preset *out, const char *name)
{
    *out = (preset){0};
    if (!name)
        return false;
    if (strcasecmp(name, "stsb") == 0) {
        /* TAB-separated, no quoting, no header, 7 or 9 fields: score col 4, sentences 5, 6 */
        *out = (preset){
            PRESET_STSB, "stsb", PRLE_TABLE_TSV, 0, 0, {{NULL, 5}, {NULL, 6}}, 2, {NULL, 4}, 0.0,
            5.0,         NULL};
        return true;
    }
    if (strcasecmp(name, "ruddit") == 0) {
        /* RFC-4180 CSV with a header and multi-line quoted bodies */
        *out = (preset){PRESET_RUDDIT,
                        "ruddit",
                        PRLE_TABLE_CSV,
                        1,
                        1,
                        {{"comment_body", -1}, {NULL, -1}},
                        1,
                        {"offensiveness_score", -1},
                        -1.0,
                        1.0,
                        NULL};
        return true;
    }
    if (strncasecmp(name, "mlqe-", 5) == 0) {
        for (size_t i = 0; i < sizeof mlqe_pairs / sizeof mlqe_pairs[0]; i++) {
            if (strcasecmp(name + 5, mlqe_pairs[i]) != 0)
                continue;
            /* TAB-separated, header, no quoting; label: the DA mean on 0-100 (SPEC.md) */
            *out = (preset){PRESET_MLQE,
                            mlqe_names[i],
                            PRLE_TABLE_TSV,
                            1,
                            0,
                            {{"original", -1}, {"translation", -1}},
                            2,
                            {"mean", -1},
                            0.0,
                            100.0,
                            mlqe_pairs[i]};
            return true;
        }
    }
    return false;
}

/* ---- folders ---------------------------------------------------------------------------- */

static char *fmt_alloc(const char *fmt, ...) PRLE__PRINTF(1, 2);

static char *fmt_alloc(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

static char *dup_str(const char *s)
{
    return fmt_alloc("%s", s);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The user's download folder: params->download_dir, else the user cache's prle/data
 * (core/str.h). */
static int user_data_dir(char **out, const prle_dataset_params *p)
{
    if (p->download_dir && *p->download_dir) {
        *out = dup_str(p->download_dir);
        return *out ? 0 : prle__error_nomem("data folder");
    }
    int err = prle__user_cache_dir(out, "data");
    if (err == PRLE_ENOTFOUND)
        return prle__error_set(PRLE_EINVAL,
                               "no data folder: set data.data_dir or PRLE_DATA_DIR (HOME and "
                               "XDG_CACHE_HOME are unset or not absolute paths)");
    return err;
}

/* data.data_dir, else $PRLE_DATA_DIR, else the user's download folder. */
static int presets_dir(char **out, const prle_data_config *d, const prle_dataset_params *p)
{
    const char *env = getenv("PRLE_DATA_DIR"), *named = NULL;
    if (d->data_dir && *d->data_dir)
        named = d->data_dir;
    else if (env && *env)
        named = env;
    else
        return user_data_dir(out, p);
    struct stat st; /* a file there is a mistake, not a reason to download */
    if (stat(named, &st) == 0 && !S_ISDIR(st.st_mode))
        return prle__error_set(PRLE_EINVAL, "%s %s is a file, not a folder",
                               named == env ? "PRLE_DATA_DIR" : "data.data_dir", named);
    *out = dup_str(named);
    return *out ? 0 : prle__error_nomem("data folder");
}

/* ---- STS-B download --------------------------------------------------------------------- */

/* True when `dir` holds the three STS-B files with their README sha256 sums. */
static bool stsb_complete(const char *dir)
{
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        char *path = fmt_alloc("%s/%s", dir, stsb_files[s]);
        char sha[65];
        bool ok =
            path && prle__sha256_file(sha, NULL, path) == 0 && strcmp(sha, stsb_sha256[s]) == 0;
        free(path);
        if (!ok) {
            prle_error_clear();
            return false;
        }
    }
    return true;
}

/* The outermost folder of the path `dir` that does not exist yet (a copy), or NULL when `dir`
 * exists (or on no memory: nothing will be removed). */
static char *first_missing(const char *dir)
{
    char *p = strdup(dir), *top = NULL;
    while (p && !is_dir(p)) {
        free(top);
        top = strdup(p);
        char *slash = strrchr(p, '/');
        if (!slash || slash == p)
            break;
        *slash = '\0';
    }
    free(p);
    return top;
}

/* Removes `dir` and its parents up to `top` (first_missing's), each only while empty. */
static void remove_made(const char *dir, const char *top)
{
    char *p = top ? strdup(dir) : NULL;
    while (p && rmdir(p) == 0 && strcmp(p, top) != 0) {
        char *slash = strrchr(p, '/');
        if (!slash || slash == p)
            break;
        *slash = '\0';
    }
    free(p);
}

/* Fetches the STS benchmark archive into `dir` ({download folder}/stsb) and extracts the
 * three CSVs (sha256-checked) plus its readme and licence. The archive is removed after, so
 * messages name the URL and `dir`, never the archive's temporary name. */
static int stsb_download(const char *dir, const prle_dataset_params *p)
{
    int err;
    char *archive = NULL, *dest[PRLE_N_SPLITS + 2] = {0};
    const char *url = p->stsb_url;
    if (!url || !*url)
        url = getenv("PRLE_STSB_URL");
    if (!url || !*url)
        url = STSB_URL;
    char *made = first_missing(dir); /* the folders a failed first fetch takes away again */
    if ((err = prle__mkdir_p(dir)) < 0) {
        free(made);
        return err;
    }
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    if (!(archive = fmt_alloc("%s/Stsbenchmark.tar.gz.part.%s", dir, pid))) {
        err = prle__error_nomem("download path");
        goto done;
    }
    prle__download_opts opts = {"download:stsb", p->progress, p->progress_ud, 0, 0, dir};
    if ((err = prle__download(url, archive, NULL, &opts)) < 0) {
        if (err == PRLE_ENOTFOUND || err == PRLE_EINVAL) { /* an HTTP 4xx: the URL is wrong */
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", prle_last_error());
            err = prle__error_set(err,
                                  "%s (no STS-B archive there: set PRLE_STSB_URL to a copy of "
                                  "it, or data.data_dir to a folder holding stsb/)",
                                  msg);
        }
        goto done;
    }
    prle__archive_member m[PRLE_N_SPLITS + 2];
    for (int s = 0; s < PRLE_N_SPLITS + 2; s++) {
        const char *base = s < PRLE_N_SPLITS    ? stsb_files[s]
                           : s == PRLE_N_SPLITS ? "readme.txt"
                                                : "LICENSE.txt";
        char *name = fmt_alloc("stsbenchmark/%s", base);
        dest[s] = fmt_alloc("%s/%s", dir, base);
        if (!name || !dest[s]) {
            free(name);
            err = prle__error_nomem("download path");
            goto done;
        }
        m[s] = (prle__archive_member){name, dest[s], s < PRLE_N_SPLITS ? stsb_sha256[s] : NULL,
                                      s >= PRLE_N_SPLITS};
    }
    err = prle__archive_extract(archive, url, m, PRLE_N_SPLITS + 2, 64u << 20);
    for (int s = 0; s < PRLE_N_SPLITS + 2; s++)
        free((char *)m[s].name);
    if (err < 0)
        err = prle__error_prefix(err, "stsb download into %s", dir);
done:
    if (archive)
        remove(archive);
    if (err < 0) /* only while empty: a failed first fetch leaves no folder behind */
        remove_made(dir, made);
    free(made);
    free(archive);
    for (int s = 0; s < PRLE_N_SPLITS + 2; s++)
        free(dest[s]);
    return err;
}

/* The folder the stsb preset reads: {data folder}/stsb if it exists, else the download
 * folder's stsb/, fetched there first unless it already holds the checked files. The download
 * folder is checked even when it is the data folder (the default): a deleted or edited file
 * there is fetched again, not read. */
static int stsb_folder(char **out, const char *data_dir, const prle_dataset_params *p)
{
    int err;
    char *dir = fmt_alloc("%s/stsb", data_dir), *user = NULL, *udir = NULL;
    if (!dir)
        return prle__error_nomem("data folder");
    int uerr = user_data_dir(&user, p); /* an error matters only when it is needed */
    if (uerr == 0 && !(udir = fmt_alloc("%s/stsb", user))) {
        err = prle__error_nomem("data folder");
        goto done;
    }
    if (!(udir && strcmp(dir, udir) == 0) && is_dir(dir)) { /* the user's own copy */
        if (uerr < 0)
            prle_error_clear(); /* no download folder, and none needed */
        *out = dir;
        dir = NULL;
        err = 0;
        goto done;
    }
    if ((err = uerr) < 0)
        goto done;
    if (!stsb_complete(udir)) {
        if (!p->allow_download) {
            err = prle__error_set(PRLE_ENOTFOUND,
                                  "stsb preset: %s does not exist (set data.data_dir or "
                                  "PRLE_DATA_DIR, or allow the download)",
                                  dir);
            goto done;
        }
        if ((err = stsb_download(udir, p)) < 0)
            goto done;
    }
    *out = udir;
    udir = NULL;
done:
    free(dir);
    free(user);
    free(udir);
    return err;
}

/* ---- resolving a config ----------------------------------------------------------------- */

void prle__ds_spec_dispose(prle__ds_spec *spec)
{
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        free(spec->files[s]);
    free(spec->file);
    *spec = (prle__ds_spec){0};
}

static prle__ds_field field_of(const prle_field *f)
{
    return (prle__ds_field){f->name, f->name ? -1 : f->index};
}

static bool field_set(const prle_field *f)
{
    return f->name || f->index >= 0;
}

static int format_of(prle_table_format *out, const char *s)
{
    if (strcmp(s, "csv") == 0)
        *out = PRLE_TABLE_CSV;
    else if (strcmp(s, "tsv") == 0)
        *out = PRLE_TABLE_TSV;
    else if (strcmp(s, "jsonl") == 0)
        *out = PRLE_TABLE_JSONL;
    else
        return prle__error_set(PRLE_EINVAL, "data.format: '%s' is not csv, tsv or jsonl", s);
    return 0;
}

/* The preset's files, for the split keys the config leaves unset. */
static int preset_files(prle__ds_spec *spec, const preset *ps, const prle_data_config *d,
                        const prle_dataset_params *p)
{
    int err = 0;
    char *root = NULL, *dir = NULL;
    bool any_split_file = d->files.train || d->files.validation || d->files.test;
    if (d->file || (ps->kind == PRESET_RUDDIT && any_split_file))
        return 0; /* the config chose its own files */
    if (ps->kind != PRESET_RUDDIT && d->files.train && d->files.validation && d->files.test)
        return 0;
    if ((err = presets_dir(&root, d, p)) < 0)
        return err;
    if (ps->kind == PRESET_STSB) {
        if ((err = stsb_folder(&dir, root, p)) < 0)
            goto done;
        for (int s = 0; s < PRLE_N_SPLITS; s++)
            if (!spec->files[s] && !(spec->files[s] = fmt_alloc("%s/%s", dir, stsb_files[s])))
                goto nomem;
    } else if (ps->kind == PRESET_RUDDIT || ps->kind == PRESET_MLQE) {
        /* a missing folder says where the data folder came from, not just "no such file" */
        const char *sub = ps->kind == PRESET_RUDDIT ? "ruddit" : "mlqe-pe";
        if (!(dir = fmt_alloc("%s/%s", root, sub)))
            goto nomem;
        if (!is_dir(dir)) {
            err = prle__error_set(PRLE_ENOTFOUND,
                                  "%s preset: no folder %s (the data folder is data.data_dir, "
                                  "else $PRLE_DATA_DIR, else the user cache; point it at a copy "
                                  "of ../shared/data)",
                                  ps->name, dir);
            goto done;
        }
    }
    if (ps->kind == PRESET_RUDDIT) {
        if (!(spec->file = fmt_alloc("%s/ruddit/text-freddiehorn-2023/ruddit_with_text.csv", root)))
            goto nomem;
    } else if (ps->kind == PRESET_MLQE) {
        /* mlqe-pe/en-de/{train,dev,test20}.ende.df.short.tsv */
        static const char *const stem[PRLE_N_SPLITS] = {"train", "dev", "test20"};
        const char *pr = ps->mlqe_pair;
        for (int s = 0; s < PRLE_N_SPLITS; s++)
            if (!spec->files[s] &&
                !(spec->files[s] = fmt_alloc("%s/mlqe-pe/%s/%s.%.2s%.2s.df.short.tsv", root, pr,
                                             stem[s], pr, pr + 3)))
                goto nomem;
    }
    goto done;
nomem:
    err = prle__error_nomem("data paths");
done:
    free(root);
    free(dir);
    return err;
}

static char *dup_or_null(const char *s, bool *nomem)
{
    if (!s)
        return NULL;
    char *d = dup_str(s);
    if (!d)
        *nomem = true;
    return d;
}

int prle__ds_spec_resolve(prle__ds_spec *spec, const prle_data_config *d,
                          const prle_dataset_params *p)
{
    int err;
    preset ps;
    *spec = (prle__ds_spec){0};
    bool is_preset = find_preset(&ps, d->name);

    spec->name = d->name;
    spec->preset = is_preset;
    spec->header = d->header;
    spec->quoting = d->quoting;
    spec->label_min = d->label_min;
    spec->label_max = d->label_max;
    spec->skip_bad_rows = d->on_bad_row && strcmp(d->on_bad_row, "skip") == 0;
    if (d->on_bad_row && !spec->skip_bad_rows && strcmp(d->on_bad_row, "error") != 0)
        return prle__error_set(PRLE_EINVAL, "data.on_bad_row: '%s' is not error or skip",
                               d->on_bad_row);
    if (d->delimiter) {
        if (strlen(d->delimiter) != 1)
            return prle__error_set(PRLE_EINVAL, "data.delimiter must be one character, got '%s'",
                                   d->delimiter);
        spec->delimiter = d->delimiter[0];
    }
    if (d->format) {
        if ((err = format_of(&spec->format, d->format)) < 0)
            return err;
        spec->format_set = true;
    }
    if (d->file && (d->files.train || d->files.validation || d->files.test))
        return prle__error_set(PRLE_EINVAL, "data.file and data.files are both set; give one "
                                            "file to split or one file per split");
    bool nomem = false;
    spec->file = dup_or_null(d->file, &nomem);
    spec->files[0] = dup_or_null(d->files.train, &nomem);
    spec->files[1] = dup_or_null(d->files.validation, &nomem);
    spec->files[2] = dup_or_null(d->files.test, &nomem);
    if (nomem)
        return prle__error_nomem("data paths");
    if (d->text_fields.n > 2)
        return prle__error_set(PRLE_EINVAL,
                               "data.text_fields has %zu fields; a row has one text or a pair",
                               d->text_fields.n);
    for (size_t i = 0; i < d->text_fields.n; i++)
        spec->text_fields[i] = field_of(&d->text_fields.items[i]);
    spec->n_texts = d->text_fields.n;
    if (field_set(&d->label_field))
        spec->label_field = field_of(&d->label_field);
    else
        spec->label_field = (prle__ds_field){NULL, -1};
    if (d->split.ratios.n == PRLE_N_SPLITS) {
        for (int s = 0; s < PRLE_N_SPLITS; s++)
            spec->ratios[s] = d->split.ratios.items[s];
    } else if (d->split.ratios.n == 0) {
        spec->ratios[0] = 0.7, spec->ratios[1] = 0.15, spec->ratios[2] = 0.15;
    } else {
        return prle__error_set(PRLE_EINVAL, "data.split.ratios has %zu values, expected 3",
                               d->split.ratios.n);
    }
    spec->stratify = d->split.stratify;

    if (is_preset) {
        spec->name = ps.name;
        if (!spec->format_set)
            spec->format = ps.format, spec->format_set = true;
        if (spec->header == PRLE_CONFIG_UNSET)
            spec->header = ps.header;
        if (spec->quoting == PRLE_CONFIG_UNSET)
            spec->quoting = ps.quoting;
        if (spec->n_texts == 0) {
            spec->text_fields[0] = ps.text_fields[0];
            spec->text_fields[1] = ps.text_fields[1];
            spec->n_texts = ps.n_texts;
        }
        if (spec->label_field.name == NULL && spec->label_field.index < 0)
            spec->label_field = ps.label_field;
        if (isnan(spec->label_min))
            spec->label_min = ps.label_min;
        if (isnan(spec->label_max))
            spec->label_max = ps.label_max;
        spec->drop_deleted = ps.kind == PRESET_RUDDIT;
        if ((err = preset_files(spec, &ps, d, p)) < 0)
            return err;
    }

    /* what every dataset needs: a validation or test file may be missing (cut from the
     * training file, dataset.c), the training file may not */
    if (!spec->file && !spec->files[0]) {
        if (!spec->files[1] && !spec->files[2])
            return prle__error_set(PRLE_EINVAL,
                                   "data.file and data.files are unset: set one (data.files: "
                                   "train, validation, test), or a preset as data.name (stsb, "
                                   "ruddit, mlqe-<pair>)%s%s%s",
                                   d->name ? "; '" : "", d->name ? d->name : "",
                                   d->name ? "' is not a preset" : "");
        return prle__error_set(PRLE_EINVAL,
                               "data.files.train is not set (give the split files, or one "
                               "data.file to split)");
    }
    /* data.text_fields and data.label_field unset: an error once the file's columns are
     * known (dataset.c), to name them */
    if (!isnan(spec->label_min) && !isnan(spec->label_max) && !(spec->label_min < spec->label_max))
        return prle__error_set(PRLE_EINVAL, "data.label_min (%g) must be below data.label_max (%g)",
                               spec->label_min, spec->label_max);
    bool cut = !spec->file && (!spec->files[1] || !spec->files[2]);
    if (spec->file || cut) {
        double sum = 0;
        for (int s = 0; s < PRLE_N_SPLITS; s++) {
            if (!(spec->ratios[s] >= 0 && spec->ratios[s] <= 1))
                return prle__error_set(PRLE_EINVAL, "data.split.ratios: %g is not in [0, 1]",
                                       spec->ratios[s]);
            sum += spec->ratios[s];
        }
        if (fabs(sum - 1) > 1e-6)
            return prle__error_set(PRLE_EINVAL, "data.split.ratios must sum to 1, got %g", sum);
    }
    for (int s = 1; cut && s < PRLE_N_SPLITS; s++)
        if (!spec->files[s] && !(spec->ratios[s] > 0))
            return prle__error_set(PRLE_EINVAL,
                                   "data.files.%s is not set and data.split.ratios gives it no "
                                   "share of the training file",
                                   prle_split_name((prle_split)s));
    return 0;
}
