/* realpath is XSI: visible with _DEFAULT_SOURCE (the build sets only POSIX) */
#define _DEFAULT_SOURCE
#include "io/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/str.h"

int prle__error_errno(const char *path)
{
    int e = errno;
    int code = (e == ENOENT || e == ENOTDIR) ? PRLE_ENOTFOUND : PRLE_EIO;
    return prle__error_set(code, "%s: %s", path, strerror(e));
}

int prle__afile_open(prle__afile *f, const char *path)
{
    *f = (prle__afile){0};
    struct stat st;
    bool exists = stat(path, &st) == 0; /* of the link's target */
    if (exists && S_ISDIR(st.st_mode))
        return prle__error_set(PRLE_EINVAL, "%s: is a folder, not a file", path);
    char *target = exists ? realpath(path, NULL) : NULL;
    f->path = prle__strdup(target ? target : path);
    free(target);
    if (!f->path)
        return prle__error_nomem("output path");
    if (exists && !S_ISREG(st.st_mode)) { /* a device or FIFO: renaming would replace it */
        if (!(f->fp = fopen(f->path, "wb"))) {
            int err = prle__error_errno(path);
            prle__afile_abort(f);
            return err;
        }
        return 0;
    }
    size_t n = strlen(f->path) + 32;
    if (!(f->tmp = malloc(n))) {
        prle__afile_abort(f);
        return prle__error_nomem("output path");
    }
    snprintf(f->tmp, n, "%s.tmp.%ld", f->path, (long)getpid());
    if (!(f->fp = fopen(f->tmp, "wb"))) { /* named as the user wrote it, not the temporary */
        int err = prle__error_errno(path);
        prle__afile_abort(f);
        return err;
    }
    return 0;
}

static void afile_dispose(prle__afile *f)
{
    free(f->path);
    free(f->tmp);
    *f = (prle__afile){0};
}

int prle__afile_commit(prle__afile *f)
{
    int err = 0;
    if (!f->fp)
        return prle__error_set(PRLE_EIO, "%s: output file is not open", f->path ? f->path : "?");
    bool bad = fflush(f->fp) != 0 || ferror(f->fp);
    if (!bad && fsync(fileno(f->fp)) != 0 && errno != EINVAL)
        bad = true;
    int saved = errno;
    if (fclose(f->fp) != 0)
        bad = true, saved = errno;
    f->fp = NULL;
    if (bad) {
        errno = saved;
        err = prle__error_set(PRLE_EIO, "%s: write failed: %s", f->path, strerror(saved));
    } else if (f->tmp && rename(f->tmp, f->path) != 0) {
        err = prle__error_errno(f->path);
    }
    if (err < 0 && f->tmp)
        remove(f->tmp);
    afile_dispose(f);
    return err;
}

void prle__afile_abort(prle__afile *f)
{
    if (!f)
        return;
    if (f->fp) {
        fclose(f->fp);
        if (f->tmp)
            remove(f->tmp);
    }
    afile_dispose(f);
}

int prle__not_folder(FILE *fp, const char *path)
{
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode))
        return prle__error_set(PRLE_EINVAL, "%s: is a folder, not a file", path);
    return 0;
}

int prle__read_file(char **out, size_t *len, const char *path, size_t max_bytes)
{
    int err = 0;
    char *buf = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return prle__error_errno(path);
    if ((err = prle__not_folder(fp, path)) < 0)
        goto done;
    if (fseek(fp, 0, SEEK_END) != 0) {
        err = prle__error_errno(path);
        goto done;
    }
    long size = ftell(fp);
    if (size < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        err = prle__error_errno(path);
        goto done;
    }
    if (max_bytes && (size_t)size > max_bytes) {
        err = prle__error_set(PRLE_EFORMAT, "%s: file is %ld bytes, more than the %zu allowed",
                              path, size, max_bytes);
        goto done;
    }
    if (!(buf = malloc((size_t)size + 1))) {
        err = prle__error_nomem(path);
        goto done;
    }
    if (fread(buf, 1, (size_t)size, fp) != (size_t)size) {
        err = prle__error_set(PRLE_EIO, "%s: short read", path);
        goto done;
    }
    buf[size] = '\0';
    *out = buf;
    *len = (size_t)size;
    buf = NULL;
done:
    free(buf);
    fclose(fp);
    return err;
}

bool prle__temp_of_dead_process(const char *name)
{
    static const char *const tags[] = {".tmp-", ".old-", ".tmp."};
    for (size_t t = 0; t < sizeof tags / sizeof *tags; t++) {
        const char *at = strstr(name, tags[t]), *next;
        while (at && (next = strstr(at + 1, tags[t]))) /* the last one */
            at = next;
        if (!at)
            continue;
        const char *num = at + strlen(tags[t]);
        char *end;
        errno = 0;
        long pid = strtol(num, &end, 10);
        if (*num >= '0' && *num <= '9' && !*end && !errno && pid > 0 && pid != (long)getpid() &&
            kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            return true;
    }
    return false;
}

char *prle__path_dup(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

bool prle__path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int prle__remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : prle__error_errno(path);
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return prle__error_errno(path);
        struct dirent *e;
        int err = 0;
        while (err == 0 && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *child = prle__path_dup(path, e->d_name);
            err = child ? prle__remove_tree(child) : prle__error_nomem("path");
            free(child);
        }
        closedir(d);
        if (err < 0)
            return err;
        if (rmdir(path) != 0)
            return prle__error_set(PRLE_EIO, "%s: cannot remove folder: %s", path, strerror(errno));
        return 0;
    }
    if (unlink(path) != 0)
        return prle__error_set(PRLE_EIO, "%s: cannot remove: %s", path, strerror(errno));
    return 0;
}

int prle__sweep_stale(const char *dir, const char *prefix, const char *restore_to)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* nothing to sweep */
    struct dirent *e;
    int err = 0;
    size_t np = strlen(prefix);
    while (err == 0 && (e = readdir(d))) {
        if (strncmp(e->d_name, prefix, np) != 0 || !prle__temp_of_dead_process(e->d_name))
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        /* an old run folder moved aside by a swap that was killed before the new one came in
           (file systems without RENAME_EXCHANGE): put back, not removed */
        if (restore_to && !strncmp(e->d_name + np, "old-", 4) && !prle__path_exists(restore_to) &&
            rename(path, restore_to) == 0)
            continue;
        err = prle__remove_tree(path);
    }
    closedir(d);
    return err;
}
