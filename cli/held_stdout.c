/* prle predict --input: stdout held in an unlinked file while the rows are read and predicted a
 * chunk at a time, then copied out whole, so that a bad row anywhere in the input (a file or a
 * pipe) stops the command with nothing on stdout: all the rows' predictions or none. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_stdout_hold(cli_held_stdout *h)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    h->saved = h->fd = -1;
    snprintf(path, sizeof path, "%s/prle-predict-XXXXXX", dir && *dir == '/' ? dir : "/tmp");
    if (fflush(stdout) != 0 || (h->fd = mkstemp(path)) < 0)
        return cli_error(CLI_RUNTIME, "predict: cannot hold the output in %s: %s", path,
                         strerror(errno));
    unlink(path); /* gone when closed, whatever happens */
    if ((h->saved = dup(STDOUT_FILENO)) < 0 || dup2(h->fd, STDOUT_FILENO) < 0) {
        int e = errno;
        if (h->saved >= 0)
            close(h->saved);
        close(h->fd);
        h->saved = h->fd = -1;
        return cli_error(CLI_RUNTIME, "predict: cannot hold the output: %s", strerror(e));
    }
    return CLI_OK;
}

int cli_stdout_release(cli_held_stdout *h, bool keep)
{
    if (h->saved < 0)
        return CLI_OK;
    int rc = CLI_OK;
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = cli_error(CLI_RUNTIME, "predict: writing the held output failed: %s", strerror(errno));
    dup2(h->saved, STDOUT_FILENO);
    close(h->saved);
    if (rc == CLI_OK && keep && lseek(h->fd, 0, SEEK_SET) == 0) {
        static char buf[1 << 16];
        ssize_t got;
        while (rc == CLI_OK && (got = read(h->fd, buf, sizeof buf)) > 0)
            for (ssize_t at = 0; rc == CLI_OK && at < got;) {
                ssize_t put = write(STDOUT_FILENO, buf + at, (size_t)(got - at));
                if (put < 0 && errno != EINTR)
                    rc = cli_error(CLI_RUNTIME, "predict: writing stdout failed: %s",
                                   strerror(errno));
                at += put > 0 ? put : 0;
            }
    }
    close(h->fd);
    h->saved = h->fd = -1;
    return rc;
}
