/* The check of an --out FILE before any work (cli.h): a file the command reads, a file of a
 * run folder or an embedding cache, or a missing folder is refused with exit 2. */
#define _DEFAULT_SOURCE /* realpath */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* The folder part of `path` ("." for a bare name) into buf. */
static void folder_of(char *buf, size_t size, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(buf, size, ".");
        return;
    }
    size_t len = slash == path ? 1 : (size_t)(slash - path); /* "/x": "/" */
    snprintf(buf, size, "%.*s", (int)len, path);
}

/* True when the folder `dir` is `inside` or lies below it (both resolved). */
static bool within(const char *dir, const char *inside)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(dir, a) || !realpath(inside, b))
        return false;
    size_t n = strlen(b);
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
}

int cli_out_check(const char *cmd, const char *out, const char *const *inputs, const char *run_dir,
                  const char *own, const char *cache_dir)
{
    char dir[PATH_MAX];
    struct stat so, sd;
    if (!out || !*out)
        return cli_error(CLI_USAGE, "%s: --out needs a file name", cmd);
    folder_of(dir, sizeof dir, out);
    bool missing = stat(dir, &sd) != 0;
    if (missing || !S_ISDIR(sd.st_mode))
        return cli_error(CLI_USAGE, "%s: --out %s: its folder %s %s", cmd, out, dir,
                         missing ? "does not exist" : "is not a folder");
    bool exists = stat(out, &so) == 0;
    if (exists && S_ISDIR(so.st_mode))
        return cli_error(CLI_USAGE, "%s: --out %s: is a folder, not a file", cmd, out);
    for (size_t i = 0; exists && inputs && inputs[i]; i++) {
        struct stat si;
        if (stat(inputs[i], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
            return cli_error(CLI_USAGE,
                             "%s: --out %s is %s, which this command reads; give another file", cmd,
                             out, inputs[i]);
    }
    const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
    if (run_dir && within(dir, run_dir) && !(own && strcmp(base, own) == 0 && within(run_dir, dir)))
        return cli_error(CLI_USAGE,
                         "%s: --out %s lies in the run folder %s, whose files the run wrote; "
                         "give a file outside it%s%s%s",
                         cmd, out, run_dir, own ? " (without --out the command writes " : "",
                         own ? own : "", own ? " there)" : "");
    if (cache_dir && within(dir, cache_dir))
        return cli_error(CLI_USAGE,
                         "%s: --out %s lies in the embedding cache %s; give a file outside it", cmd,
                         out, cache_dir);
    return CLI_OK;
}
