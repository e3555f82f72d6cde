/* The run folder on disk: its path, the temporary folder it is built in, the rename over the
 * old one (SPEC.md §2), and small file helpers. */
#define _GNU_SOURCE /* renameat2 and RENAME_EXCHANGE (glibc >= 2.28) */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "data/download.h"
#include "io/fileio.h"
#include "io/json.h"
#include "run/run_int.h"

int prle__path_join(char *out, size_t len, const char *dir, const char *name)
{
    int n = snprintf(out, len, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= len)
        return prle__error_set(PRLE_EINVAL, "%s/%s: path too long", dir, name);
    return 0;
}

int prle__copy_file(const char *dst, const char *src)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return prle__error_errno(src);
    prle__afile f = {0};
    int err = prle__afile_open(&f, dst);
    char buf[1 << 16];
    size_t n;
    while (err == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, f.fp) != n)
            err = prle__error_set(PRLE_EIO, "%s: write failed: %s", dst, strerror(errno));
    if (err == 0 && ferror(in))
        err = prle__error_set(PRLE_EIO, "%s: read failed: %s", src, strerror(errno));
    fclose(in);
    if (err < 0) {
        prle__afile_abort(&f);
        return err;
    }
    return prle__afile_commit(&f);
}

/* `final_dir` split into its parent folder and its last component. */
static int split_dir(char **parent, const char **name, const char *final_dir)
{
    size_t n = strlen(final_dir);
    while (n > 1 && final_dir[n - 1] == '/')
        n--;
    char *p = malloc(n + 1);
    if (!p)
        return prle__error_nomem("path");
    memcpy(p, final_dir, n);
    p[n] = '\0';
    char *slash = strrchr(p, '/');
    if (!slash) {
        *name = final_dir;
        memcpy(p, ".", 2);
    } else {
        *name = final_dir + (slash - p) + 1;
        if (slash == p)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    *parent = p;
    return 0;
}

static char *sibling(const char *final_dir, const char *kind)
{
    char *parent = NULL;
    const char *name;
    if (split_dir(&parent, &name, final_dir) < 0)
        return NULL;
    size_t n = strlen(parent) + strlen(name) + strlen(kind) + 40;
    char *out = malloc(n);
    if (out) {
        int len = snprintf(out, n, "%s/.%s.%s-%ld", parent, name, kind, (long)getpid());
        /* a trailing '/' of final_dir would end up inside the name */
        while (len > 0 && out[len - 1] == '/')
            out[--len] = '\0';
    }
    free(parent);
    return out;
}

static bool has_file(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    return snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path &&
           lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

int prle__run_folder_check(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT ? 0 : prle__error_errno(dir);
    const char *what = S_ISLNK(st.st_mode)    ? "a symbolic link"
                       : !S_ISDIR(st.st_mode) ? "a file"
                                              : NULL;
    if (!what && (has_file(dir, PRLE__RUN_MARKER) || dir_is_empty(dir) ||
                  (has_file(dir, "config.yaml") && has_file(dir, "train_log.csv")) ||
                  has_file(dir, "baselines.json")))
        return 0;
    return prle__error_set(PRLE_EINVAL,
                           "%s: exists and is not a PRLE run folder (%s, no %s file): a run "
                           "replaces only its own folders; choose another train.output_dir or "
                           "logging.run_name, or move it away",
                           dir, what ? what : "a folder", PRLE__RUN_MARKER);
}

/* The files that make the model: their sha256 go into the marker (finding 10). */
static const char *const RECORDED[] = {
    "config.yaml",  "kernel.safetensors", "model.safetensors",  "prototypes.json",
    PRLE__RUN_DATA, PRLE__RUN_ENCODER,    PRLE__RUN_NEIGHBOURS, PRLE__RUN_HELDOUT};
#define N_RECORDED (sizeof RECORDED / sizeof *RECORDED)

int prle__run_record(const char *dir)
{
    char path[PRLE__RUN_PATH];
    int err = prle__path_join(path, sizeof path, dir, PRLE__RUN_MARKER);
    if (err < 0)
        return err;
    cJSON *root = cJSON_CreateObject(), *files = cJSON_CreateObject();
    if (!root || !files) {
        cJSON_Delete(root);
        cJSON_Delete(files);
        return prle__error_nomem("run marker");
    }
    if ((err = prle__json_add_string(root, "format", "prle-run")) < 0 ||
        (err = prle__json_add_int(root, "version", 1)) < 0 ||
        (err = prle__json_add_string(
             root, "note",
             "prle run replaces this folder only because this file is here; prle eval, "
             "predict, analyze, report and baselines check the files below")) < 0 ||
        (err = prle__json_add(root, "files", files)) < 0)
        goto done;
    for (size_t i = 0; i < N_RECORDED && err == 0; i++) {
        char fp[PRLE__RUN_PATH], sha[65];
        uint64_t size = 0;
        if (!has_file(dir, RECORDED[i]))
            continue;
        if ((err = prle__path_join(fp, sizeof fp, dir, RECORDED[i])) < 0)
            break;
        cJSON *o = cJSON_CreateObject();
        if ((err = prle__json_add(files, RECORDED[i], o)) < 0 ||
            (err = prle__sha256_file(sha, &size, fp)) < 0 ||
            (err = prle__json_add_int(o, "size", (int64_t)size)) < 0 ||
            (err = prle__json_add_string(o, "sha256", sha)) < 0)
            break;
    }
    if (err == 0)
        err = prle__json_write_file(path, root);
done:
    cJSON_Delete(root);
    return err;
}

/* 1 when the marker at `path` is the text one of the runs before its checksums (its first
 * line "PRLE run folder. ..."), 0 when not, < 0 on a read error. */
static int old_marker(const char *path)
{
    static const char head[] = "PRLE run folder.";
    char buf[sizeof head] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return prle__error_errno(path);
    size_t n = fread(buf, 1, sizeof head - 1, f);
    fclose(f);
    return n == sizeof head - 1 && memcmp(buf, head, n) == 0;
}

int prle__run_verify(const char *dir)
{
    char path[PRLE__RUN_PATH];
    int err = prle__path_join(path, sizeof path, dir, PRLE__RUN_MARKER);
    if (err < 0)
        return err;
    if (!has_file(dir, PRLE__RUN_MARKER))
        return 0; /* a run from before the marker: nothing recorded */
    cJSON *root = NULL;
    const cJSON *files = NULL;
    if ((err = old_marker(path)) != 0)
        return err < 0 ? err : 0; /* the text marker of the runs before the checksums */
    err = prle__json_read_file(&root, path);
    if (err == 0 && prle__json_get_object(&files, root, "files") < 0)
        err = PRLE_EFORMAT;
    if (err == PRLE_EFORMAT) { /* what prle run writes is neither: the checks would be off */
        cJSON_Delete(root);
        return prle__error_set(PRLE_EFORMAT,
                               "%s: not the marker prle run writes (JSON with the files' "
                               "sha256): the folder's files cannot be checked (run it again)",
                               path);
    }
    if (err < 0)
        return err;
    for (size_t i = 0; i < N_RECORDED && err == 0; i++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(files, RECORDED[i]);
        const char *want;
        int64_t want_size = 0;
        char fp[PRLE__RUN_PATH], sha[65];
        uint64_t size = 0;
        if (!o)
            continue;
        if (prle__json_get_string(&want, o, "sha256") < 0 ||
            prle__json_get_int(&want_size, o, "size") < 0) {
            err = prle__error_set(PRLE_EFORMAT, "%s: the entry for %s is incomplete", path,
                                  RECORDED[i]);
            break;
        }
        if ((err = prle__path_join(fp, sizeof fp, dir, RECORDED[i])) < 0 ||
            (err = prle__sha256_file(sha, &size, fp)) < 0)
            break;
        if ((int64_t)size != want_size || strcmp(sha, want) != 0)
            err = prle__error_set(PRLE_EFORMAT,
                                  "%s: its sha256 is not the one %s records: the file changed "
                                  "after the run wrote it (run it again)",
                                  fp, PRLE__RUN_MARKER);
    }
    cJSON_Delete(root);
    return err;
}

int prle__run_folder_claim(const char *dir)
{
    int err;
    if ((err = prle__run_folder_check(dir)) < 0 || (err = prle__mkdir_p(dir)) < 0)
        return err;
    return has_file(dir, PRLE__RUN_MARKER) ? 0 : prle__run_record(dir);
}

int prle__run_tmp_dir(char **out, char **parent_out, size_t *made, const char *final_dir)
{
    char *parent = NULL;
    const char *name;
    int err = split_dir(&parent, &name, final_dir);
    if (err < 0)
        return err;
    err = prle__mkdir_new(parent, made);
    char *prefix = err < 0 ? NULL : malloc(strlen(name) + 3);
    if (prefix) { /* leftovers of killed runs of this folder: ".NAME.tmp-PID", ".NAME.old-PID" */
        snprintf(prefix, strlen(name) + 3, ".%s.", name);
        err = prle__sweep_stale(parent, prefix, final_dir);
    }
    free(prefix);
    if (err < 0) {
        free(parent);
        return err;
    }
    char *tmp = sibling(final_dir, "tmp");
    if (!tmp) {
        free(parent);
        return prle__error_nomem("path");
    }
    if ((err = prle__remove_tree(tmp)) < 0 || (err = prle__mkdir_p(tmp)) < 0 ||
        (err = prle__run_record(tmp)) < 0) {
        free(tmp);
        free(parent);
        return err;
    }
    *out = tmp;
    *parent_out = parent;
    return 0;
}

int prle__run_commit_dir(const char *tmp_dir, const char *final_dir)
{
    char *old = NULL;
    int err = prle__run_folder_check(final_dir);
    if (err < 0)
        return err;
    if (prle__path_exists(final_dir)) {
        /* one atomic step: the new folder in place, the old one under the temporary name */
        if (renameat2(AT_FDCWD, tmp_dir, AT_FDCWD, final_dir, RENAME_EXCHANGE) == 0)
            return prle__remove_tree(tmp_dir);
        if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
            return prle__error_set(PRLE_EIO, "%s: cannot exchange it with %s: %s", final_dir,
                                   tmp_dir, strerror(errno));
        if (!(old = sibling(final_dir, "old")))
            return prle__error_nomem("path");
        if ((err = prle__remove_tree(old)) < 0)
            goto done;
        if (rename(final_dir, old) != 0) {
            err = prle__error_set(PRLE_EIO, "%s: cannot move the old run folder aside: %s",
                                  final_dir, strerror(errno));
            goto done;
        }
    }
    if (rename(tmp_dir, final_dir) != 0) {
        err = prle__error_set(PRLE_EIO, "%s: cannot rename %s to it: %s", final_dir, tmp_dir,
                              strerror(errno));
        if (old)
            (void)rename(old, final_dir);
        goto done;
    }
    if (old)
        err = prle__remove_tree(old);
done:
    free(old);
    return err;
}

int prle_run_dir(char **out, const prle_config *cfg)
{
    const char *base =
        cfg->train.output_dir && *cfg->train.output_dir ? cfg->train.output_dir : "runs";
    const char *name = cfg->logging.run_name ? cfg->logging.run_name : "run";
    if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
        return prle__error_set(PRLE_EINVAL,
                               "logging.run_name \"%s\" cannot name a folder (empty, '.', '..' "
                               "or a '/')",
                               name);
    /* the run is built beside it as ".NAME.tmp-PID": a name near the file system's 255 bytes
     * would fail there, late and with exit 1 */
    if (strlen(name) > 200)
        return prle__error_set(PRLE_EINVAL,
                               "logging.run_name is %zu bytes; at most 200 (the run is built "
                               "under a longer temporary name beside it)",
                               strlen(name));
    if (!(*out = prle__path_dup(base, name)))
        return prle__error_nomem("run folder path");
    return 0;
}

static const char *const stage_names[PRLE_RUN_N_STAGES] = {
    "data", "embed", "kernel", "experts", "evaluate", "files", "analysis", "report"};

const char *prle_run_stage_name(prle_run_stage s)
{
    return (unsigned)s < PRLE_RUN_N_STAGES ? stage_names[s] : "?";
}

int prle__run_event(const prle_run_params *p, prle_run_stage stage, bool done, double seconds,
                    const char *note)
{
    if (!p->on_event)
        return 0;
    prle_run_event e = {.stage = stage, .done = done, .seconds = seconds, .note = note};
    if (!p->on_event(&e, p->on_event_ud))
        return prle__error_set(PRLE_EABORTED, "%s: stopped by the event callback",
                               prle_run_stage_name(stage));
    return 0;
}

prle_run_params prle_run_default_params(void)
{
    return (prle_run_params){
        .n_explain = 3, .explain_k = 3, .embed = true, .analyze = true, .report = true};
}

void prle_run_result_dispose(prle_run_result *r)
{
    if (!r)
        return;
    free(r->dir);
    free(r->kernel_note);
    prle_embed_report_dispose(&r->embed);
    *r = (prle_run_result){0};
}
