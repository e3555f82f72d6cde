/* URL to file with libcurl, archive members to files with libarchive, sha256 with OpenSSL EVP.
 * Nothing is written under a final name until it has been checked (download.h). */
#include "data/download.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "core/progress.h"
#include "io/fileio.h"

/* ---- sha256 ---------------------------------------------------------------------------- */

static void hex(char out[65], const unsigned char *md)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

static int sha_new(EVP_MD_CTX **ctx)
{
    if (!(*ctx = EVP_MD_CTX_new()))
        return prle__error_nomem("sha256 context");
    if (EVP_DigestInit_ex(*ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(*ctx);
        *ctx = NULL;
        return prle__error_set(PRLE_ERROR, "sha256: OpenSSL could not start a digest");
    }
    return 0;
}

static int sha_end(char out[65], EVP_MD_CTX *ctx)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32)
        return prle__error_set(PRLE_ERROR, "sha256: OpenSSL could not finish a digest");
    hex(out, md);
    return 0;
}

int prle__sha256_hex(char out[65], const void *data, size_t n)
{
    EVP_MD_CTX *ctx = NULL;
    int err = sha_new(&ctx);
    if (err < 0)
        return err;
    if (EVP_DigestUpdate(ctx, data, n) != 1)
        err = prle__error_set(PRLE_ERROR, "sha256: OpenSSL digest update failed");
    else
        err = sha_end(out, ctx);
    EVP_MD_CTX_free(ctx);
    return err;
}

int prle__sha256_file(char out[65], uint64_t *size, const char *path)
{
    return prle__sha256_file_from(out, size, path, 0);
}

int prle__sha256_file_from(char out[65], uint64_t *size, const char *path, uint64_t offset)
{
    int err;
    EVP_MD_CTX *ctx = NULL;
    unsigned char buf[1 << 16];
    uint64_t total = offset;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return prle__error_errno(path);
    if (offset && fseeko(fp, (off_t)offset, SEEK_SET) != 0) {
        err = prle__error_errno(path);
        goto done;
    }
    if ((err = sha_new(&ctx)) < 0)
        goto done;
    for (;;) {
        size_t got = fread(buf, 1, sizeof buf, fp);
        if (got && EVP_DigestUpdate(ctx, buf, got) != 1) {
            err = prle__error_set(PRLE_ERROR, "sha256: OpenSSL digest update failed");
            goto done;
        }
        total += got;
        if (got < sizeof buf)
            break;
    }
    if (ferror(fp)) {
        err = prle__error_set(PRLE_EIO, "%s: read error", path);
        goto done;
    }
    if ((err = sha_end(out, ctx)) < 0)
        goto done;
    if (size)
        *size = total;
done:
    EVP_MD_CTX_free(ctx);
    fclose(fp);
    return err;
}

int prle__mkdir_new(const char *path, size_t *first)
{
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p)
        return prle__error_nomem("folder path");
    memcpy(p, path, n + 1);
    int err = 0;
    if (first)
        *first = 0;
    for (size_t i = 1; i <= n && err == 0; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        struct stat st;
        int made = mkdir(p, 0777);
        /* a file where the path needs a folder is the caller's to fix (exit 2 in the CLI) */
        if (made != 0 && errno != EEXIST)
            err = prle__error_set(errno == ENOTDIR ? PRLE_EINVAL : PRLE_EIO,
                                  "%s: cannot create folder: %s", p, strerror(errno));
        else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
            err = prle__error_set(PRLE_EINVAL, "%s: exists and is not a folder", p);
        else if (made == 0 && first && !*first)
            *first = i;
        p[i] = c;
    }
    free(p);
    return err;
}

int prle__mkdir_p(const char *path)
{
    return prle__mkdir_new(path, NULL);
}

void prle__rmdir_new(const char *path, size_t first)
{
    if (!first)
        return;
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p)
        return;
    memcpy(p, path, n + 1);
    for (size_t end = n; end >= first; end--) { /* deepest first; an rmdir that fails stops */
        if (end < n && p[end] != '/')
            continue;
        p[end] = '\0';
        if (rmdir(p) != 0)
            break;
    }
    free(p);
}

/* ---- download -------------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct dl_state {
    FILE *fp;
    EVP_MD_CTX *sha;
    uint64_t got;
    bool write_failed, sha_failed, aborted;
    int write_errno;
    const prle__download_opts *opts;
    const char *stage;
    double t0;
} dl_state;

static size_t dl_write(char *data, size_t size, size_t nmemb, void *ud)
{
    dl_state *s = ud;
    size_t n = size * nmemb;
    if (fwrite(data, 1, n, s->fp) != n) {
        s->write_failed = true;
        s->write_errno = errno; /* libcurl may change errno before perform returns */
        return 0;
    }
    if (s->sha && EVP_DigestUpdate(s->sha, data, n) != 1) {
        s->sha_failed = true;
        return 0;
    }
    s->got += n;
    return n;
}

static int dl_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ultotal, (void)ulnow;
    dl_state *s = ud;
    if (!s->opts || !s->opts->progress)
        return 0;
    prle_progress info = {s->stage, (size_t)(dlnow > 0 ? dlnow : 0),
                          (size_t)(dltotal > 0 ? dltotal : 0), prle__now() - s->t0, NULL};
    if (!s->opts->progress(&info, s->opts->progress_ud)) {
        s->aborted = true;
        return 1;
    }
    return 0;
}

static bool is_sha256_hex(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* err, with the current message's leading `path` (io/fileio.c names the file it was given
 * first) replaced by `name`: a caller's temporary is gone by the time the message is read. */
static int named_as(int err, const char *path, const char *name)
{
    const char *msg = prle_last_error();
    size_t n = strlen(path);
    if (err >= 0 || !strcmp(path, name) || strncmp(msg, path, n) != 0)
        return err;
    char rest[1024];
    snprintf(rest, sizeof rest, "%s", msg + n);
    return prle__error_set(err, "%s%s", name, rest);
}

/* The code of an HTTP error status: a URL that is wrong is the user's to fix (404 and 410:
 * nothing there; another 4xx: refused); a server's failure (5xx) is the network's, as a
 * timeout is. */
static int http_status_code(long status)
{
    if (status == 404 || status == 410)
        return PRLE_ENOTFOUND;
    if (status >= 400 && status < 500)
        return PRLE_EINVAL;
    return PRLE_EIO;
}

int prle__download(const char *url, const char *path, const char *sha256,
                   const prle__download_opts *opts)
{
    int err = 0;
    CURL *curl = NULL;
    prle__afile out = {0};
    dl_state st = {0};
    char errbuf[CURL_ERROR_SIZE] = "";

    if (!url || !*url || !path)
        return prle__error_set(PRLE_EINVAL, "download: empty URL or output path");
    if (sha256 && !is_sha256_hex(sha256))
        return prle__error_set(PRLE_EINVAL, "download %s: '%s' is not a lower-case sha256", url,
                               sha256);
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return prle__error_set(PRLE_ERROR, "download %s: libcurl: %s", url,
                               curl_easy_strerror(curl_init_rc));
    if (!(curl = curl_easy_init()))
        return prle__error_set(PRLE_ERROR, "download %s: libcurl could not start", url);
    const char *name = (opts && opts->name) ? opts->name : path;
    if ((err = prle__afile_open(&out, path)) < 0) {
        err = named_as(err, path, name);
        goto done;
    }
    if (sha256 && (err = sha_new(&st.sha)) < 0)
        goto done;
    st.fp = out.fp;
    st.opts = opts;
    st.stage = (opts && opts->stage) ? opts->stage : "download";
    st.t0 = prle__now();
    long connect_s = (opts && opts->connect_timeout_s > 0) ? opts->connect_timeout_s : 30;
    long stall_s = (opts && opts->stall_timeout_s > 0) ? opts->stall_timeout_s : 60;

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connect_s);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, stall_s);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "prle/" PRLE_VERSION_STRING);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, dl_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, dl_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &st);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (st.aborted)
            err = prle__error_set(PRLE_EABORTED, "download %s: stopped by the progress callback",
                                  url);
        else if (st.write_failed)
            err = prle__error_set(PRLE_EIO, "download %s: %s: write failed: %s", url, name,
                                  strerror(st.write_errno));
        else if (st.sha_failed)
            err = prle__error_set(PRLE_ERROR, "download %s: sha256 update failed", url);
        else if (rc == CURLE_HTTP_RETURNED_ERROR)
            err = prle__error_set(http_status_code(status), "download %s: HTTP %ld", url, status);
        else if (rc == CURLE_PARTIAL_FILE)
            err =
                prle__error_set(PRLE_EIO, "download %s: the body ended early after %llu bytes (%s)",
                                url, (unsigned long long)st.got, errbuf[0] ? errbuf : "truncated");
        else
            err = prle__error_set(PRLE_EIO, "download %s: %s", url,
                                  errbuf[0] ? errbuf : curl_easy_strerror(rc));
        goto done;
    }
    if (sha256) {
        char got[65];
        if ((err = sha_end(got, st.sha)) < 0)
            goto done;
        if (strcmp(got, sha256) != 0) {
            err = prle__error_set(PRLE_EFORMAT,
                                  "download %s: sha256 %s does not match the expected %s", url, got,
                                  sha256);
            goto done;
        }
    }
    err = named_as(prle__afile_commit(&out), path, name); /* disposes `out` either way */
done:
    prle__afile_abort(&out);
    EVP_MD_CTX_free(st.sha);
    curl_easy_cleanup(curl);
    return err;
}

/* ---- archives -------------------------------------------------------------------------- */

typedef struct member_buf {
    char *data;
    size_t len;
    bool found;
} member_buf;

static int read_member(member_buf *b, struct archive *a, const char *apath, const char *name,
                       size_t max_bytes)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return prle__error_nomem("archive member");
    for (;;) {
        if (len == cap) {
            if (cap >= max_bytes) {
                free(buf);
                return prle__error_set(PRLE_EFORMAT, "%s: member %s is larger than %zu bytes",
                                       apath, name, max_bytes);
            }
            size_t ncap = cap * 2 > max_bytes ? max_bytes : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return prle__error_nomem("archive member");
            }
            buf = nb, cap = ncap;
        }
        la_ssize_t got = archive_read_data(a, buf + len, cap - len);
        if (got < 0) {
            int e =
                prle__error_set(PRLE_EFORMAT, "%s: member %s: %s", apath, name,
                                archive_error_string(a) ? archive_error_string(a) : "read error");
            free(buf);
            return e;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    b->data = buf;
    b->len = len;
    b->found = true;
    return 0;
}

static int write_atomic(const char *path, const char *data, size_t len)
{
    prle__afile f;
    int err = prle__afile_open(&f, path);
    if (err < 0)
        return err;
    if (len && fwrite(data, 1, len, f.fp) != len) {
        err = prle__error_set(PRLE_EIO, "%s: write failed: %s", f.path, strerror(errno));
        prle__afile_abort(&f);
        return err;
    }
    return prle__afile_commit(&f);
}

int prle__archive_extract(const char *archive_path, const char *label,
                          const prle__archive_member *members, size_t n, size_t max_member_bytes)
{
    int err = 0;
    const char *apath = label ? label : archive_path; /* as messages name it */
    struct archive *a = NULL;
    member_buf *bufs = calloc(n ? n : 1, sizeof *bufs);
    if (!bufs)
        return prle__error_nomem("archive members");
    if (!max_member_bytes)
        max_member_bytes = (size_t)1 << 30;
    if (!(a = archive_read_new())) {
        err = prle__error_nomem("archive reader");
        goto done;
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    if (archive_read_open_filename(a, archive_path, 1 << 16) != ARCHIVE_OK) {
        err = prle__error_set(PRLE_EFORMAT, "%s: %s", apath,
                              archive_error_string(a) ? archive_error_string(a)
                                                      : "not a readable archive");
        goto done;
    }
    for (;;) {
        struct archive_entry *e;
        int rc = archive_read_next_header(a, &e);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc < ARCHIVE_WARN) {
            err = prle__error_set(PRLE_EFORMAT, "%s: %s", apath,
                                  archive_error_string(a) ? archive_error_string(a)
                                                          : "corrupt archive");
            goto done;
        }
        const char *name = archive_entry_pathname(e);
        if (!name)
            continue;
        if (name[0] == '.' && name[1] == '/')
            name += 2;
        for (size_t i = 0; i < n; i++) {
            if (bufs[i].found || strcmp(name, members[i].name) != 0)
                continue;
            if ((err = read_member(&bufs[i], a, apath, members[i].name, max_member_bytes)) < 0)
                goto done;
            break;
        }
    }
    /* check everything before writing anything */
    for (size_t i = 0; i < n; i++) {
        if (!bufs[i].found) {
            if (members[i].optional)
                continue;
            err = prle__error_set(PRLE_EFORMAT, "%s: member %s is missing", apath, members[i].name);
            goto done;
        }
        if (members[i].sha256) {
            char got[65];
            if ((err = prle__sha256_hex(got, bufs[i].data, bufs[i].len)) < 0)
                goto done;
            if (strcmp(got, members[i].sha256) != 0) {
                err = prle__error_set(PRLE_EFORMAT,
                                      "%s: member %s has sha256 %s, expected %s (a changed or "
                                      "corrupt download)",
                                      apath, members[i].name, got, members[i].sha256);
                goto done;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (bufs[i].found && (err = write_atomic(members[i].dest, bufs[i].data, bufs[i].len)) < 0)
            goto done;
done:
    if (a)
        archive_read_free(a);
    for (size_t i = 0; i < n; i++)
        free(bufs[i].data);
    free(bufs);
    return err;
}
