/* File helpers shared by every reader and writer: whole-file reads and atomic writes. */
#ifndef PRLE_IO_FILEIO_H
#define PRLE_IO_FILEIO_H

#include <stdbool.h>
#include <stdio.h>

#include "prle/common.h"

/**
 * An output file written under a temporary name in the same folder ("PATH.tmp.PID") and
 * renamed over PATH by prle__afile_commit, so a crash never leaves a half-written file
 * (SPEC.md §2). Write with stdio on `fp`.
 */
typedef struct prle__afile {
    FILE *fp;
    char *path;
    char *tmp; /* NULL when writing `path` itself */
} prle__afile;

/** Opens the temporary file for `path`. PRLE_EIO / PRLE_ENOTFOUND naming the path;
 *  PRLE_EINVAL for a folder. A path that is a symbolic link names its target (the link
 *  stays); one that is not a regular file (a device such as /dev/stdout, a FIFO) is written
 *  in place, as a shell redirection would, since renaming over it would replace it. */
int prle__afile_open(prle__afile *f, const char *path);

/**
 * Flushes, checks for write errors, closes and renames onto the final path. On failure the
 * temporary file is removed and the error names the path. Always leaves `f` disposed.
 */
int prle__afile_commit(prle__afile *f);

/** Closes and removes the temporary file; a zeroed or committed `f` is left as it is. */
void prle__afile_abort(prle__afile *f);

/** PRLE_EINVAL naming `path` when the opened file `fp` is a folder (fopen opens one for
 *  reading, and its first read fails with EISDIR, or its size reads as LONG_MAX); else 0. */
int prle__not_folder(FILE *fp, const char *path);

/**
 * Reads a whole file into a NUL-terminated heap buffer (`*len` excludes the NUL); free()
 * it. Refuses files over `max_bytes` (0 = no limit) with PRLE_EFORMAT. A missing file is
 * PRLE_ENOTFOUND, a folder PRLE_EINVAL, any other failure PRLE_EIO; messages name the path.
 */
int prle__read_file(char **out, size_t *len, const char *path, size_t max_bytes);

/** A malloc'd "%s/%s", or NULL (out of memory). */
char *prle__path_dup(const char *dir, const char *name);

/** True when `path` exists (any kind of file). */
bool prle__path_exists(const char *path);

/** Removes `path` and, for a folder, everything below it (symbolic links are not followed).
 *  A missing path is fine. PRLE_EIO naming what could not be removed. */
int prle__remove_tree(const char *path);

/** Removes the entries of `dir` whose names start with `prefix` and end in a temporary tag
 *  of a process that is gone (".tmp-PID", ".old-PID", ".tmp.PID"): what a killed run left;
 *  a "{prefix}old-PID" folder is renamed to `restore_to` instead when that is absent (a swap
 *  killed half-way). A missing folder is fine. PRLE_EIO naming what could not be removed. */
int prle__sweep_stale(const char *dir, const char *prefix, const char *restore_to);

/** True when `name` ends in a temporary tag (".tmp-PID", ".old-PID" or ".tmp.PID", as the
 *  run folder and prle__afile make them) of a process that no longer exists. */
bool prle__temp_of_dead_process(const char *name);

/** Sets the error for a failed fopen/open of `path` from errno and returns the code. */
int prle__error_errno(const char *path);

#endif
