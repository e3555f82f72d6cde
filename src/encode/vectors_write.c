/* Building a vocabulary in memory and writing it as a .pvec file (layout: vectors_internal.h). */
#include "encode/vectors_internal.h"

#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/error.h"
#include "io/fileio.h"

void prle__vbuild_init(prle__vbuild *b, size_t dim)
{
    *b = (prle__vbuild){0};
    b->dim = dim;
}

void prle__vbuild_dispose(prle__vbuild *b)
{
    if (!b)
        return;
    free(b->rows);
    free(b->blob);
    free(b->offs);
    free(b->slots);
    free(b->counts);
    *b = (prle__vbuild){0};
}

static const char *bword(const prle__vbuild *b, size_t i, size_t *len)
{
    *len = b->offs[i + 1] - b->offs[i] - 1;
    return b->blob + b->offs[i];
}

int64_t prle__vbuild_find(const prle__vbuild *b, const char *word, size_t len)
{
    if (!b->slots_cap)
        return -1;
    size_t mask = b->slots_cap - 1;
    for (size_t s = prle__vhash(word, len) & mask;; s = (s + 1) & mask) {
        uint32_t v = b->slots[s];
        if (!v)
            return -1;
        size_t wl;
        const char *w = bword(b, v - 1, &wl);
        if (wl == len && memcmp(w, word, len) == 0)
            return (int64_t)(v - 1);
    }
}

/* Keeps the table at most half full. */
static int rehash(prle__vbuild *b, size_t cap)
{
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return prle__error_nomem("vocabulary hash table");
    for (size_t i = 0; i < b->n; i++) {
        size_t wl;
        const char *w = bword(b, i, &wl);
        size_t s = prle__vhash(w, wl) & (cap - 1);
        while (slots[s])
            s = (s + 1) & (cap - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    free(b->slots);
    b->slots = slots;
    b->slots_cap = cap;
    return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem, const char *what)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 1024, bytes;
    while (c < need)
        c *= 2;
    if (!prle__mul_ok(&bytes, c, elem))
        return prle__error_nomem(what);
    void *q = realloc(*p, bytes);
    if (!q)
        return prle__error_nomem(what);
    *p = q;
    *cap = c;
    return 0;
}

int prle__vbuild_add(prle__vbuild *b, const char *word, size_t len, float **row)
{
    int err;
    *row = NULL;
    if (prle__vbuild_find(b, word, len) >= 0)
        return 0;
    if (b->n >= UINT32_MAX - 1)
        return prle__error_set(PRLE_ENOMEM, "more than %u words", (unsigned)(UINT32_MAX - 1));
    size_t need_blob;
    if (!prle__add_ok(&need_blob, b->blob_len, len + 1))
        return prle__error_nomem("words");
    if ((err = grow((void **)&b->blob, &b->blob_cap, need_blob, 1, "words")) < 0 ||
        (err = grow((void **)&b->offs, &b->offs_cap, b->n + 2, sizeof *b->offs, "words")) < 0)
        return err;
    if (b->dim) {
        size_t cap_floats = b->rows_cap * b->dim;
        if ((err = grow((void **)&b->rows, &cap_floats, (b->n + 1) * b->dim, sizeof(float),
                        "word vectors")) < 0)
            return err;
        b->rows_cap = cap_floats / b->dim;
    }
    if (b->n == 0)
        b->offs[0] = 0;
    memcpy(b->blob + b->blob_len, word, len);
    b->blob[b->blob_len + len] = '\0';
    b->blob_len = need_blob;
    b->offs[b->n + 1] = need_blob;
    b->n++;
    if (2 * b->n > b->slots_cap) {
        if ((err = rehash(b, b->slots_cap ? 2 * b->slots_cap : 1024)) < 0) {
            b->n--;
            b->blob_len = b->offs[b->n];
            return err;
        }
    } else {
        size_t s = prle__vhash(word, len) & (b->slots_cap - 1);
        while (b->slots[s])
            s = (s + 1) & (b->slots_cap - 1);
        b->slots[s] = (uint32_t)b->n;
    }
    if (b->dim)
        *row = b->rows + (b->n - 1) * b->dim;
    return 1;
}

void prle__vbuild_narrow(prle__vbuild *b, size_t keep)
{
    if (keep >= b->dim)
        return;
    for (size_t i = 0; i < b->n; i++)
        memmove(b->rows + i * keep, b->rows + i * b->dim, keep * sizeof(float));
    b->rows_cap = b->rows_cap * b->dim / (keep ? keep : 1);
    b->dim = keep;
}

/* ---- the writer --------------------------------------------------------------------- */

typedef struct hwriter {
    FILE *fp;
    EVP_MD_CTX *md;
    uint64_t pos; /* bytes written after the header */
} hwriter;

static int hw_put(hwriter *w, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (fwrite(p, 1, n, w->fp) != n || EVP_DigestUpdate(w->md, p, n) != 1)
        return -1;
    w->pos += n;
    return 0;
}

static int hw_pad(hwriter *w, size_t align)
{
    static const char zeros[64];
    size_t at = (size_t)((128 + w->pos) % align);
    return at ? hw_put(w, zeros, align - at) : 0;
}

static size_t table_cap_for(size_t n)
{
    size_t c = 16;
    while (c < 2 * n)
        c *= 2;
    return c;
}

int prle__vbuild_write(const prle__vbuild *words, const prle__vbuild *rows, const char *dst)
{
    int err = 0;
    prle__afile f = {0};
    hwriter w = {0};
    uint32_t *table = NULL;
    uint64_t *offs64 = NULL;
    const prle__vbuild *rb = rows ? rows : words;
    const size_t V = words->n, d = rb->dim;
    prle__pvec_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, PRLE__PVEC_MAGIC, 8);
    h.version = PRLE__PVEC_VERSION;
    h.flags = words->counts ? PRLE__PVEC_COUNTS : 0;
    h.n_words = V;
    h.dim = d;

    size_t cap = table_cap_for(V);
    if (!(table = calloc(cap, sizeof *table)) || !(offs64 = malloc((V + 1) * sizeof *offs64))) {
        err = prle__error_nomem("vectors table");
        goto done;
    }
    for (size_t i = 0; i < V; i++) {
        size_t wl;
        const char *wd = bword(words, i, &wl);
        size_t s = prle__vhash(wd, wl) & (cap - 1);
        while (table[s])
            s = (s + 1) & (cap - 1);
        table[s] = (uint32_t)(i + 1);
    }
    for (size_t i = 0; i <= V; i++)
        offs64[i] = V ? words->offs[i] : 0;

    if ((err = prle__afile_open(&f, dst)) < 0)
        goto done;
    w.fp = f.fp;
    if (!(w.md = EVP_MD_CTX_new()) || EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) {
        err = prle__error_set(PRLE_ERROR, "%s: sha256 is not available", dst);
        goto done;
    }
    if (fwrite(&h, sizeof h, 1, f.fp) != 1)
        goto write_failed;

    h.matrix_off = 128; /* already 64-aligned */
    for (size_t i = 0; i < V; i++) {
        const float *r;
        if (rows) {
            size_t wl;
            const char *wd = bword(words, i, &wl);
            int64_t j = prle__vbuild_find(rows, wd, wl);
            PRLE_ASSERT(j >= 0);
            r = rows->rows + (size_t)j * d;
        } else {
            r = words->rows + i * d;
        }
        if (hw_put(&w, r, d * sizeof(float)) < 0)
            goto write_failed;
    }
    if (hw_pad(&w, 64) < 0)
        goto write_failed;
    h.offsets_off = 128 + w.pos;
    if (hw_put(&w, offs64, (V + 1) * sizeof *offs64) < 0)
        goto write_failed;
    h.blob_off = 128 + w.pos;
    h.blob_len = V ? words->blob_len : 0;
    if (hw_put(&w, words->blob, (size_t)h.blob_len) < 0 || hw_pad(&w, 64) < 0)
        goto write_failed;
    h.table_off = 128 + w.pos;
    h.table_cap = cap;
    if (hw_put(&w, table, cap * sizeof *table) < 0 || hw_pad(&w, 64) < 0)
        goto write_failed;
    if (words->counts) {
        h.counts_off = 128 + w.pos;
        if (hw_put(&w, words->counts, V * sizeof *words->counts) < 0)
            goto write_failed;
    }
    h.file_len = 128 + w.pos;
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(w.md, h.sha256, &mdlen) != 1 || mdlen != 32) {
        err = prle__error_set(PRLE_ERROR, "%s: sha256 failed", dst);
        goto done;
    }
    if (fseek(f.fp, 0, SEEK_SET) != 0 || fwrite(&h, sizeof h, 1, f.fp) != 1)
        goto write_failed;
    err = prle__afile_commit(&f);
    goto done;

write_failed:
    err = prle__error_set(PRLE_EIO, "%s: write failed: %s", dst, strerror(errno));
done:
    if (err < 0)
        prle__afile_abort(&f);
    EVP_MD_CTX_free(w.md);
    free(table);
    free(offs64);
    return err;
}
