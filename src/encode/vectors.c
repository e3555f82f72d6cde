/* Reading .pvec files: mmap, checks of every section, word lookup through the stored table. */
#include "encode/vectors_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "io/fileio.h"

struct prle_vectors {
    void *map;
    size_t map_len;
    size_t n, dim;
    const float *matrix;
    const uint64_t *offs;
    const char *blob;
    const uint32_t *table;
    size_t table_cap;
    const uint64_t *counts;
    char sha_hex[65];
    char *path;
};

static int bad(const char *path, const char *what)
{
    return prle__error_set(PRLE_EFORMAT, "%s: not a valid .pvec file (%s)", path, what);
}

/* [off, off + n * elem) lies inside [128, len) and off is aligned to `align`. */
static bool section_ok(uint64_t off, uint64_t n, uint64_t elem, uint64_t align, uint64_t len)
{
    if (off < 128 || off > len || off % align)
        return false;
    if (elem && n > (len - off) / elem)
        return false;
    return true;
}

static int check_layout(prle_vectors *v, const prle__pvec_header *h, const char *path)
{
    const uint64_t len = v->map_len;
    if (h->file_len != len)
        return bad(path, h->file_len > len ? "truncated" : "trailing bytes");
    if (h->n_words >= UINT32_MAX || h->dim == 0 || h->dim > (1u << 20))
        return bad(path, "word count or width out of range");
    uint64_t row_bytes = h->dim * sizeof(float);
    if (!section_ok(h->matrix_off, h->n_words, row_bytes, 64, len))
        return bad(path, "matrix out of bounds");
    if (!section_ok(h->offsets_off, h->n_words + 1, 8, 8, len))
        return bad(path, "word offsets out of bounds");
    if (!section_ok(h->blob_off, h->blob_len, 1, 1, len))
        return bad(path, "words out of bounds");
    if (h->table_cap < 2 * h->n_words || (h->table_cap & (h->table_cap - 1)) ||
        !section_ok(h->table_off, h->table_cap, 4, 4, len))
        return bad(path, "hash table out of bounds");
    bool has_counts = h->flags & PRLE__PVEC_COUNTS;
    if (has_counts ? !section_ok(h->counts_off, h->n_words, 8, 8, len) : h->counts_off != 0)
        return bad(path, "counts out of bounds");
    if (h->flags & ~(uint32_t)PRLE__PVEC_COUNTS)
        return bad(path, "unknown flags");

    const char *base = v->map;
    v->n = (size_t)h->n_words;
    v->dim = (size_t)h->dim;
    v->matrix = (const float *)(const void *)(base + h->matrix_off);
    v->offs = (const uint64_t *)(const void *)(base + h->offsets_off);
    v->blob = base + h->blob_off;
    v->table = (const uint32_t *)(const void *)(base + h->table_off);
    v->table_cap = (size_t)h->table_cap;
    v->counts = has_counts ? (const uint64_t *)(const void *)(base + h->counts_off) : NULL;

    /* offsets increase, each word ends with its NUL, the last ends the blob */
    if (v->offs[0] != 0 || v->offs[v->n] != h->blob_len)
        return bad(path, "word offsets do not span the words");
    for (size_t i = 0; i < v->n; i++) {
        uint64_t a = v->offs[i], b = v->offs[i + 1];
        if (b <= a || b > h->blob_len || v->blob[b - 1] != '\0')
            return bad(path, "word offsets are inconsistent");
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        v->sha_hex[2 * i] = hex[h->sha256[i] >> 4];
        v->sha_hex[2 * i + 1] = hex[h->sha256[i] & 15];
    }
    v->sha_hex[64] = '\0';
    return 0;
}

int prle_vectors_open(prle_vectors **out, const char *path)
{
    int err = 0, fd = -1;
    prle_vectors *v = calloc(1, sizeof *v);
    if (!v || !(v->path = malloc(strlen(path) + 1))) {
        err = prle__error_nomem("vectors");
        goto done;
    }
    strcpy(v->path, path);
    if ((fd = open(path, O_RDONLY)) < 0) {
        err = prle__error_errno(path);
        goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        err = prle__error_errno(path);
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        err = prle__error_set(PRLE_EINVAL, "%s: not a regular file", path);
        goto done;
    }
    if ((uint64_t)st.st_size < sizeof(prle__pvec_header)) {
        char magic[8] = {0};
        bool ours = pread(fd, magic, 8, 0) == 8 && memcmp(magic, PRLE__PVEC_MAGIC, 8) == 0;
        err = bad(path, ours ? "shorter than its header" : "bad magic");
        goto done;
    }
    v->map_len = (size_t)st.st_size;
    v->map = mmap(NULL, v->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (v->map == MAP_FAILED) {
        v->map = NULL;
        err = prle__error_set(PRLE_EIO, "%s: mmap: %s", path, strerror(errno));
        goto done;
    }
    prle__pvec_header h;
    memcpy(&h, v->map, sizeof h);
    if (memcmp(h.magic, PRLE__PVEC_MAGIC, 8) != 0) {
        err = bad(path, "bad magic");
        goto done;
    }
    if (h.version != PRLE__PVEC_VERSION) {
        err = prle__error_set(PRLE_EFORMAT,
                              "%s: .pvec version %u is not supported (this build "
                              "reads version %u)",
                              path, h.version, PRLE__PVEC_VERSION);
        goto done;
    }
    if ((err = check_layout(v, &h, path)) < 0)
        goto done;
    *out = v;
    v = NULL;
done:
    if (fd >= 0)
        close(fd);
    prle_vectors_free(v);
    return err;
}

void prle_vectors_free(prle_vectors *vec)
{
    if (!vec)
        return;
    if (vec->map)
        munmap(vec->map, vec->map_len);
    free(vec->path);
    free(vec);
}

size_t prle_vectors_n_words(const prle_vectors *vec)
{
    return vec->n;
}

size_t prle_vectors_dim(const prle_vectors *vec)
{
    return vec->dim;
}

const float *prle_vectors_data(const prle_vectors *vec)
{
    return vec->matrix;
}

const float *prle_vectors_row(const prle_vectors *vec, size_t i)
{
    return vec->matrix + i * vec->dim;
}

const char *prle_vectors_word(const prle_vectors *vec, size_t i, size_t *len)
{
    if (len)
        *len = (size_t)(vec->offs[i + 1] - vec->offs[i] - 1);
    return vec->blob + vec->offs[i];
}

int64_t prle_vectors_lookup(const prle_vectors *vec, const char *word, size_t len)
{
    const size_t mask = vec->table_cap - 1;
    size_t s = prle__vhash(word, len) & mask;
    /* at most table_cap probes, so a corrupt table full of entries cannot loop forever */
    for (size_t probes = 0; probes < vec->table_cap; probes++, s = (s + 1) & mask) {
        uint32_t e = vec->table[s];
        if (!e)
            return -1;
        size_t i = e - 1;
        if (i >= vec->n)
            return -1;
        size_t wl = (size_t)(vec->offs[i + 1] - vec->offs[i] - 1);
        if (wl == len && memcmp(vec->blob + vec->offs[i], word, len) == 0)
            return (int64_t)i;
    }
    return -1;
}

bool prle_vectors_has_counts(const prle_vectors *vec)
{
    return vec->counts != NULL;
}

uint64_t prle_vectors_count(const prle_vectors *vec, size_t i)
{
    return vec->counts ? vec->counts[i] : 0;
}

const char *prle_vectors_sha256(const prle_vectors *vec)
{
    return vec->sha_hex;
}

const char *prle_vectors_path(const prle_vectors *vec)
{
    return vec->path;
}

const char *prle_vectors_format_name(prle_vectors_format format)
{
    switch (format) {
    case PRLE_VECTORS_AUTO:
        return "auto";
    case PRLE_VECTORS_GLOVE:
        return "glove";
    case PRLE_VECTORS_WORD2VEC:
        return "word2vec";
    case PRLE_VECTORS_NPM_JSON:
        return "npm-json";
    }
    return "unknown";
}
