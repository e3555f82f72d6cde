/* The sha256 of a large file (a GGUF model: gigabytes, 10-30 s to hash), remembered in the user
 * cache, ${XDG_CACHE_HOME:-$HOME/.cache}/prle/sha256-memo.txt, one line per file:
 *   <sha256> <size> <mtime s> <mtime ns> <device> <inode> [+<offset> ]<path>
 * (+<offset>: the digest of the bytes from there on, a .pvec past its header)
 * A line is used only while the file's size, modification time, device and inode are those it
 * records (what make and rsync trust); anything else is hashed again and a line appended. The
 * memo is a speed-up only: without a home, or when it cannot be read or written, files are
 * hashed every time. Appends of one short line are atomic, so processes may share it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/str.h"
#include "data/download.h"
#include "encode/embed_internal.h"

#define MEMO "sha256-memo.txt"

static char *memo_path(void)
{
    char *dir = NULL, *path = NULL;
    if (prle__user_cache_dir(&dir, NULL) < 0) {
        prle_error_clear(); /* no memo: files are hashed every time */
        return NULL;
    }
    (void)prle__mkdir_p(dir);
    size_t n = strlen(dir) + sizeof MEMO + 1;
    if ((path = malloc(n)) != NULL)
        snprintf(path, n, "%s/" MEMO, dir);
    free(dir);
    return path;
}

/* The last line for `path` with this identity, into `sha`; false when there is none. */
static bool memo_find(char sha[65], const char *memo, const char *key)
{
    FILE *f = fopen(memo, "r");
    char line[4200];
    bool found = false;
    if (!f)
        return false;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 65 + klen && line[64] == ' ' && memcmp(line + 65, key, klen) == 0) {
            memcpy(sha, line, 64);
            sha[64] = '\0';
            found = true;
        }
    }
    fclose(f);
    return found;
}

int prle__sha256_file_memo(char out[65], uint64_t *size, const char *path)
{
    return prle__sha256_file_memo_from(out, size, path, 0);
}

int prle__sha256_file_memo_from(char out[65], uint64_t *size, const char *path, uint64_t offset)
{
    struct stat st;
    char key[4096], from[32] = "";
    if (stat(path, &st) != 0)
        return prle__sha256_file_from(out, size, path, offset); /* its error names the file */
    char *memo = memo_path();
    if (offset) /* the lines of whole files keep their old form */
        snprintf(from, sizeof from, "+%" PRIu64 " ", offset);
    int n = snprintf(key, sizeof key, "%" PRIu64 " %lld %ld %llu %llu %s%s", (uint64_t)st.st_size,
                     (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
                     (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, from, path);
    bool usable = memo && n > 0 && (size_t)n < sizeof key && !strchr(path, '\n');
    if (usable && memo_find(out, memo, key)) {
        *size = (uint64_t)st.st_size;
        free(memo);
        return 0;
    }
    int err = prle__sha256_file_from(out, size, path, offset);
    struct stat after;
    if (err == 0 && usable && stat(path, &after) == 0 && after.st_size == st.st_size &&
        after.st_mtim.tv_sec == st.st_mtim.tv_sec && after.st_mtim.tv_nsec == st.st_mtim.tv_nsec &&
        *size == (uint64_t)st.st_size) { /* not changed while it was read */
        FILE *f = fopen(memo, "a");
        if (f) {
            fprintf(f, "%s %s\n", out, key);
            fclose(f);
        }
    }
    free(memo);
    return err;
}
