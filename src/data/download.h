/* Fetching public data: URL to file (libcurl) with a sha256 check, archive members to files
 * (libarchive), sha256 helpers (OpenSSL EVP). Every output is written to a temporary name and
 * renamed, so a failed or interrupted fetch leaves nothing behind. Internal. */
#ifndef PRLE_DATA_DOWNLOAD_H
#define PRLE_DATA_DOWNLOAD_H

#include "prle/common.h"

/** Lower-case hex sha256 of `n` bytes. PRLE_ENOMEM / PRLE_ERROR if OpenSSL fails. */
int prle__sha256_hex(char out[65], const void *data, size_t n);

/** Hex sha256 and size of a file's bytes. PRLE_ENOTFOUND / PRLE_EIO naming the path. */
int prle__sha256_file(char out[65], uint64_t *size, const char *path);

/** prle__sha256_file of the bytes from `offset` on (a file past its header); *size is still
 *  the file's size. */
int prle__sha256_file_from(char out[65], uint64_t *size, const char *path, uint64_t offset);

/** Creates `path` and its missing parents (mode 0777 before umask). PRLE_EIO naming it;
 *  PRLE_EINVAL where a file stands in the way. */
int prle__mkdir_p(const char *path);

/** prle__mkdir_p, and *first the length of the shallowest folder of `path` it created (0:
 *  none), for prle__rmdir_new. */
int prle__mkdir_new(const char *path, size_t *first);

/** Removes the folders prle__mkdir_new(path, &first) created, deepest first, as long as they
 *  are empty (a failed run leaves no empty output folder behind). */
void prle__rmdir_new(const char *path, size_t first);

/** How a download reports progress. */
typedef struct prle__download_opts {
    const char *stage;         /* progress stage, e.g. "download:stsb" (NULL: "download") */
    prle_progress_fn progress; /* bytes done / total (0 if unknown); may be NULL */
    void *progress_ud;
    long connect_timeout_s; /* 0: 30 s */
    long stall_timeout_s;   /* give up after this long below 1 byte/s; 0: 60 s */
    const char *name;       /* what messages call the output (NULL: `path`), for a caller whose
                             * `path` is a temporary of its own, gone when the message is read */
} prle__download_opts;

/**
 * Downloads `url` (http, https; redirects followed) to `path` through "path.tmp.PID". When
 * `sha256` (64 hex digits) is given, the body must hash to it. Errors name the URL, and the
 * output as `path` or opts->name (never the temporary): PRLE_ENOTFOUND for HTTP 404 or 410
 * and PRLE_EINVAL for another 4xx status ("HTTP 403": the URL is wrong, a user's to fix);
 * PRLE_EIO for network failures, a 5xx status, a body shorter than announced or a write
 * error; PRLE_EFORMAT for a sha256 mismatch; PRLE_EABORTED when the progress callback says
 * stop. On any failure no file is left at `path` or its temporary name. `opts` may be NULL.
 */
int prle__download(const char *url, const char *path, const char *sha256,
                   const prle__download_opts *opts);

/** One member to take out of an archive. */
typedef struct prle__archive_member {
    const char *name;   /* path inside the archive, e.g. "stsbenchmark/sts-train.csv" */
    const char *dest;   /* output file */
    const char *sha256; /* required hex sha256 of its bytes; NULL = a member not checked */
    bool optional;      /* a missing member is not an error */
} prle__archive_member;

/**
 * Extracts `n` members of the archive at `archive_path` (any format and filter libarchive
 * reads: .tar.gz, .zip, ...). All-or-nothing as far as checks go: every required member must
 * be present and match its sha256 before any file is written; each file is then written
 * atomically. Errors name the archive (as `label`, or `archive_path` when NULL: a caller's
 * temporary archive is named as the user knows it) and member, or the member's output file:
 * PRLE_EFORMAT for a corrupt or truncated archive, a missing member or a sha256 mismatch;
 * PRLE_EIO when writing fails; PRLE_EFORMAT for a member over `max_member_bytes` (0: 1 GiB).
 */
int prle__archive_extract(const char *archive_path, const char *label,
                          const prle__archive_member *members, size_t n, size_t max_member_bytes);

#endif
