/* NumPy .npy reader (format 1.0-3.0; <f4, <f8, <i4, <i8; 1-D and 2-D; C order) and <f4
 * writer. Format: numpy/lib/format.py ("Format Version 1.0" ... "3.0"): the magic
 * "\x93NUMPY", major and minor version bytes, a little-endian u16 (1.0) or u32 (2.0, 3.0)
 * header length, the header (a Python dict literal padded with spaces and '\n' so the data
 * starts on a 64-byte boundary), then the raw data. */
#include "prle/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/error.h"
#include "io/endian.h"
#include "io/fileio.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64            /* numpy ARRAY_ALIGN */
#define NPY_GROWTH_DIGITS 21    /* numpy GROWTH_AXIS_MAX_DIGITS: spare room after the shape */
#define NPY_DICT_MAX (1u << 20) /* numpy reads at most 10000 bytes by default; be generous */
#define NPY_MAX_DIMS 32         /* beyond this a header is garbage, not a big array */

typedef enum npy_dtype { NPY_F4, NPY_F8, NPY_I4, NPY_I8 } npy_dtype;

typedef struct npy_header {
    npy_dtype dtype;
    size_t itemsize;
    char descr[16]; /* as written, for messages */
    size_t ndim;
    size_t rows, cols; /* a 1-D (n,) is (n, 1) */
    size_t data_off;   /* bytes before the data */
    size_t data_bytes; /* rows * cols * itemsize */
} npy_header;

static const char *label(const char *name)
{
    return name ? name : "<memory>";
}

static bool host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* ---- header ------------------------------------------------------------------------------ */

/*
 * `p` holds the first min(file_len, 12) bytes of the file. Finds the header dict: it starts at
 * `*dict_off` and is `*dict_len` bytes long; the data follows it.
 */
static int parse_prefix(size_t *dict_off, size_t *dict_len, const unsigned char *p, size_t file_len,
                        const char *name)
{
    if (file_len < NPY_MAGIC_LEN || memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return prle__error_set(PRLE_EFORMAT, "%s: not a .npy file (bad magic)", name);
    if (file_len < NPY_MAGIC_LEN + 2)
        return prle__error_set(PRLE_EFORMAT, "%s: truncated .npy file (%zu bytes)", name, file_len);
    unsigned major = p[6], minor = p[7];
    if (major < 1 || major > 3 || minor != 0)
        return prle__error_set(PRLE_EFORMAT, "%s: unsupported .npy format version %u.%u", name,
                               major, minor);
    size_t len_size = major == 1 ? 2 : 4;
    size_t off = NPY_MAGIC_LEN + 2 + len_size;
    if (file_len < off)
        return prle__error_set(PRLE_EFORMAT, "%s: truncated .npy file (%zu bytes)", name, file_len);
    size_t len = (size_t)prle__le_get(p + 8, major == 1 ? 2 : 4);
    if (len > NPY_DICT_MAX)
        return prle__error_set(PRLE_EFORMAT, "%s: .npy header of %zu bytes is too large", name,
                               len);
    if (len > file_len - off)
        return prle__error_set(PRLE_EFORMAT,
                               "%s: truncated .npy file: header of %zu bytes, file of %zu", name,
                               len, file_len);
    *dict_off = off;
    *dict_len = len;
    return 0;
}

/* A cursor over the header text, a Python dict literal such as
 * {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } */
typedef struct cursor {
    const char *s, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\n' || *c->s == '\r'))
        c->s++;
}

static bool eat(cursor *c, char ch)
{
    skip_ws(c);
    if (c->s < c->end && *c->s == ch) {
        c->s++;
        return true;
    }
    return false;
}

static bool eat_word(cursor *c, const char *w)
{
    size_t n = strlen(w);
    skip_ws(c);
    if ((size_t)(c->end - c->s) >= n && memcmp(c->s, w, n) == 0) {
        c->s += n;
        return true;
    }
    return false;
}

/* A string in single or double quotes, without escapes; `*str` points into the text. */
static bool quoted(cursor *c, const char **str, size_t *len)
{
    skip_ws(c);
    if (c->s >= c->end || (*c->s != '\'' && *c->s != '"'))
        return false;
    char q = *c->s++;
    const char *b = c->s;
    while (c->s < c->end && *c->s != q) {
        if (*c->s == '\\')
            return false;
        c->s++;
    }
    if (c->s >= c->end)
        return false;
    *str = b;
    *len = (size_t)(c->s - b);
    c->s++;
    return true;
}

static bool same(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* A tuple of non-negative ints: "()", "(5,)", "(3, 4)"; Python 2 files may write "3L". */
static int parse_shape(size_t *dims, size_t *ndim, cursor *c, const char *name)
{
    size_t n = 0;
    bool trailing_comma = false;
    if (!eat(c, '('))
        return prle__error_set(PRLE_EFORMAT, "%s: .npy shape is not a tuple", name);
    while (!eat(c, ')')) {
        skip_ws(c);
        if (c->s >= c->end || *c->s < '0' || *c->s > '9')
            return prle__error_set(PRLE_EFORMAT, "%s: .npy shape holds a non-integer", name);
        size_t v = 0;
        while (c->s < c->end && *c->s >= '0' && *c->s <= '9') {
            if (!prle__mul_ok(&v, v, 10) || !prle__add_ok(&v, v, (size_t)(*c->s - '0')))
                return prle__error_set(PRLE_EFORMAT, "%s: .npy shape dimension is too large", name);
            c->s++;
        }
        if (c->s < c->end && *c->s == 'L')
            c->s++;
        if (n == NPY_MAX_DIMS)
            return prle__error_set(PRLE_EFORMAT, "%s: .npy shape has too many dimensions", name);
        dims[n++] = v;
        trailing_comma = eat(c, ',');
        if (!trailing_comma && !eat(c, ')'))
            return prle__error_set(PRLE_EFORMAT, "%s: malformed .npy shape tuple", name);
        if (!trailing_comma)
            break;
    }
    if (n == 1 && !trailing_comma)
        return prle__error_set(PRLE_EFORMAT, "%s: .npy shape is not a tuple", name);
    *ndim = n;
    return 0;
}

static int set_dtype(npy_header *h, const char *d, size_t len, const char *name)
{
    static const struct {
        const char *descr;
        npy_dtype dtype;
        size_t itemsize;
    } known[] = {{"<f4", NPY_F4, 4}, {"<f8", NPY_F8, 8}, {"<i4", NPY_I4, 4}, {"<i8", NPY_I8, 8}};
    int shown = len > 12 ? 12 : (int)len;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (same(d, len, known[i].descr)) {
            h->dtype = known[i].dtype;
            h->itemsize = known[i].itemsize;
            memcpy(h->descr, known[i].descr, 4);
            return 0;
        }
    }
    if (len > 0 && d[0] == '>')
        return prle__error_set(PRLE_EFORMAT, "%s: big-endian dtype '%.*s' is not supported", name,
                               shown, d);
    if (memchr(d, 'O', len))
        return prle__error_set(PRLE_EFORMAT, "%s: object dtype '%.*s' is not supported", name,
                               shown, d);
    return prle__error_set(PRLE_EFORMAT,
                           "%s: dtype '%.*s' is not supported (float arrays: <f4 or <f8; integer "
                           "arrays: <i4 or <i8)",
                           name, shown, d);
}

/* Parses the header dict; keys are found by name, in any order, each exactly once. */
static int parse_dict(npy_header *h, const char *text, size_t len, const char *name)
{
    int err;
    cursor c = {text, text + len};
    const char *descr = NULL;
    size_t descr_len = 0, dims[NPY_MAX_DIMS], ndim = 0;
    bool have_shape = false, have_fortran = false, fortran = false;

    *h = (npy_header){0};
    if (!eat(&c, '{'))
        return prle__error_set(PRLE_EFORMAT, "%s: .npy header is not a dict", name);
    while (!eat(&c, '}')) {
        const char *key;
        size_t klen;
        if (!quoted(&c, &key, &klen) || !eat(&c, ':'))
            return prle__error_set(PRLE_EFORMAT, "%s: malformed .npy header dict", name);
        if (same(key, klen, "descr")) {
            if (descr)
                return prle__error_set(PRLE_EFORMAT, "%s: .npy header repeats 'descr'", name);
            if (!quoted(&c, &descr, &descr_len))
                return prle__error_set(PRLE_EFORMAT,
                                       "%s: .npy descr is not a plain dtype string "
                                       "(structured dtypes are not supported)",
                                       name);
        } else if (same(key, klen, "fortran_order")) {
            if (have_fortran)
                return prle__error_set(PRLE_EFORMAT, "%s: .npy header repeats 'fortran_order'",
                                       name);
            have_fortran = true;
            if (eat_word(&c, "True"))
                fortran = true;
            else if (!eat_word(&c, "False"))
                return prle__error_set(PRLE_EFORMAT, "%s: .npy fortran_order is not a bool", name);
        } else if (same(key, klen, "shape")) {
            if (have_shape)
                return prle__error_set(PRLE_EFORMAT, "%s: .npy header repeats 'shape'", name);
            have_shape = true;
            if ((err = parse_shape(dims, &ndim, &c, name)) < 0)
                return err;
        } else {
            return prle__error_set(PRLE_EFORMAT, "%s: unexpected key '%.*s' in .npy header", name,
                                   klen > 32 ? 32 : (int)klen, key);
        }
        if (!eat(&c, ',')) {
            if (eat(&c, '}'))
                break;
            return prle__error_set(PRLE_EFORMAT, "%s: malformed .npy header dict", name);
        }
    }
    skip_ws(&c);
    if (c.s != c.end)
        return prle__error_set(PRLE_EFORMAT, "%s: unexpected text after the .npy header dict",
                               name);
    if (!descr || !have_fortran || !have_shape)
        return prle__error_set(PRLE_EFORMAT, "%s: .npy header lacks '%s'", name,
                               !descr          ? "descr"
                               : !have_fortran ? "fortran_order"
                                               : "shape");
    if ((err = set_dtype(h, descr, descr_len, name)) < 0)
        return err;
    if (fortran)
        return prle__error_set(PRLE_EFORMAT, "%s: fortran-order arrays are not supported", name);
    if (ndim != 1 && ndim != 2)
        return prle__error_set(PRLE_EFORMAT,
                               "%s: array has %zu dimensions; only 1-D and 2-D are supported", name,
                               ndim);
    h->ndim = ndim;
    h->rows = dims[0];
    h->cols = ndim == 2 ? dims[1] : 1;
    return 0;
}

/* Checks the data length against the file size (after parse_dict set the shape). */
static int check_sizes(npy_header *h, size_t data_off, size_t file_len, bool want_int,
                       const char *name)
{
    size_t n, bytes;
    bool is_int = h->dtype == NPY_I4 || h->dtype == NPY_I8;
    if (is_int != want_int)
        return prle__error_set(PRLE_EFORMAT, "%s: dtype '%s' is not %s type (%s here)", name,
                               h->descr, want_int ? "an integer" : "a float",
                               want_int ? "<i4 or <i8" : "<f4 or <f8");
    if (!prle__mul_ok(&n, h->rows, h->cols) || !prle__mul_ok(&bytes, n, h->itemsize))
        return prle__error_set(PRLE_EFORMAT, "%s: .npy shape (%zu, %zu) is too large", name,
                               h->rows, h->cols);
    size_t have = file_len - data_off;
    if (have < bytes)
        return prle__error_set(PRLE_EFORMAT,
                               "%s: truncated .npy data: shape needs %zu bytes, file has %zu", name,
                               bytes, have);
    if (have > bytes)
        return prle__error_set(PRLE_EFORMAT, "%s: %zu unexpected bytes after the .npy data", name,
                               have - bytes);
    h->data_off = data_off;
    h->data_bytes = bytes;
    return 0;
}

/* ---- data -------------------------------------------------------------------------------- */

/* Where loaded values go: a float matrix or an int64 array. */
typedef struct npy_out {
    bool is_int;
    prle_matrix m;
    prle_i64_array a;
} npy_out;

static int out_alloc(npy_out *o, const npy_header *h)
{
    if (!o->is_int)
        return prle_matrix_alloc(&o->m, h->rows, h->cols);
    size_t bytes = h->rows * h->cols * sizeof(int64_t); /* bounded by check_sizes */
    int64_t *d = prle_aligned_alloc(bytes);
    if (!d)
        return prle__error_set(PRLE_ENOMEM, "out of memory for a (%zu, %zu) int64 array", h->rows,
                               h->cols);
    o->a = (prle_i64_array){.data = d, .rows = h->rows, .cols = h->cols};
    return 0;
}

static void out_dispose(npy_out *o)
{
    prle_matrix_dispose(&o->m);
    prle_i64_array_dispose(&o->a);
}

/* Converts `n` little-endian elements at `src` into elements `at`.. of the output. */
static void convert(npy_out *o, size_t at, const unsigned char *src, size_t n, npy_dtype t)
{
    /* only the pointer of the output in use is formed: the other is NULL */
    float *f = o->is_int ? NULL : o->m.data + at;
    int64_t *q = o->is_int ? o->a.data + at : NULL;
    switch (t) {
    case NPY_F4:
        if (host_is_le()) {
            memcpy(f, src, n * sizeof(float));
            break;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)prle__le_get(src + 4 * i, 4);
            memcpy(&f[i], &u, sizeof u);
        }
        break;
    case NPY_F8:
        for (size_t i = 0; i < n; i++) {
            uint64_t u = prle__le_get(src + 8 * i, 8);
            double d;
            memcpy(&d, &u, sizeof d);
            f[i] = (float)d;
        }
        break;
    case NPY_I4:
        for (size_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)prle__le_get(src + 4 * i, 4);
            int32_t v;
            memcpy(&v, &u, sizeof v);
            q[i] = v;
        }
        break;
    case NPY_I8:
        for (size_t i = 0; i < n; i++) {
            uint64_t u = prle__le_get(src + 8 * i, 8);
            memcpy(&q[i], &u, sizeof u);
        }
        break;
    }
}

static void out_move(void *dst, npy_out *o)
{
    if (o->is_int) {
        *(prle_i64_array *)dst = o->a;
        o->a = (prle_i64_array){0};
    } else {
        *(prle_matrix *)dst = o->m;
        o->m = (prle_matrix){0};
    }
}

static int load_memory(void *dst, bool is_int, const void *data, size_t len, const char *name)
{
    int err;
    const unsigned char *p = data;
    size_t dict_off, dict_len;
    npy_header h;
    npy_out o = {.is_int = is_int};

    name = label(name);
    PRLE_ASSERT(dst && (data || len == 0));
    if ((err = parse_prefix(&dict_off, &dict_len, p, len, name)) < 0 ||
        (err = parse_dict(&h, (const char *)p + dict_off, dict_len, name)) < 0 ||
        (err = check_sizes(&h, dict_off + dict_len, len, is_int, name)) < 0 ||
        (err = out_alloc(&o, &h)) < 0)
        goto done;
    convert(&o, 0, p + h.data_off, h.rows * h.cols, h.dtype);
    out_move(dst, &o);
done:
    out_dispose(&o);
    return err;
}

/* Reads the data of an open file in chunks, converting as it goes. */
static int read_body(npy_out *o, const npy_header *h, FILE *fp, const char *path)
{
    unsigned char buf[1 << 14];
    size_t total = h->rows * h->cols, done = 0, per = sizeof buf / h->itemsize;
    if (fseek(fp, (long)h->data_off, SEEK_SET) != 0)
        return prle__error_errno(path);
    if (!o->is_int && h->dtype == NPY_F4 && host_is_le()) {
        if (fread(o->m.data, sizeof(float), total, fp) != total)
            return prle__error_set(PRLE_EIO, "%s: short read", path);
        return 0;
    }
    while (done < total) {
        size_t n = total - done < per ? total - done : per;
        if (fread(buf, h->itemsize, n, fp) != n)
            return prle__error_set(PRLE_EIO, "%s: short read", path);
        convert(o, done, buf, n, h->dtype);
        done += n;
    }
    return 0;
}

/* Maps a large <f4 file read-only; false (and nothing set) if it should or could not be. */
static bool try_map(prle_matrix *out, const npy_header *h, FILE *fp, size_t file_len)
{
    if (h->dtype != NPY_F4 || !host_is_le() || h->data_bytes < PRLE_NPY_MAP_MIN_BYTES ||
        h->data_off % sizeof(float) != 0)
        return false;
    void *base = mmap(NULL, file_len, PROT_READ, MAP_PRIVATE, fileno(fp), 0);
    if (base == MAP_FAILED)
        return false; /* e.g. a file system without mmap: read it instead */
    *out = (prle_matrix){.data = (float *)((unsigned char *)base + h->data_off),
                         .rows = h->rows,
                         .cols = h->cols,
                         .map_base_ = base,
                         .map_len_ = file_len};
    return true;
}

static int load_file(void *dst, bool is_int, const char *path)
{
    int err = 0;
    FILE *fp = NULL;
    char *dict = NULL;
    unsigned char pre[12];
    struct stat st;
    size_t dict_off, dict_len, file_len;
    npy_header h;
    npy_out o = {.is_int = is_int};

    PRLE_ASSERT(dst && path);
    if (!(fp = fopen(path, "rb")))
        return prle__error_errno(path);
    if (fstat(fileno(fp), &st) != 0) {
        err = prle__error_errno(path);
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uintmax_t)st.st_size > SIZE_MAX / 2) {
        err =
            prle__error_set(PRLE_EINVAL, "%s: %s", path,
                            S_ISDIR(st.st_mode) ? "is a folder, not a file" : "not a regular file");
        goto done;
    }
    file_len = (size_t)st.st_size;
    size_t npre = file_len < sizeof pre ? file_len : sizeof pre;
    if (fread(pre, 1, npre, fp) != npre) {
        err = prle__error_set(PRLE_EIO, "%s: short read", path);
        goto done;
    }
    if ((err = parse_prefix(&dict_off, &dict_len, pre, file_len, path)) < 0)
        goto done;
    if (!(dict = malloc(dict_len + 1))) {
        err = prle__error_nomem(path);
        goto done;
    }
    if (fseek(fp, (long)dict_off, SEEK_SET) != 0 || fread(dict, 1, dict_len, fp) != dict_len) {
        err = prle__error_set(PRLE_EIO, "%s: short read", path);
        goto done;
    }
    if ((err = parse_dict(&h, dict, dict_len, path)) < 0 ||
        (err = check_sizes(&h, dict_off + dict_len, file_len, is_int, path)) < 0)
        goto done;
    if (!is_int && try_map(&o.m, &h, fp, file_len)) {
        out_move(dst, &o);
        goto done;
    }
    if ((err = out_alloc(&o, &h)) < 0 || (err = read_body(&o, &h, fp, path)) < 0)
        goto done;
    out_move(dst, &o);
done:
    out_dispose(&o);
    free(dict);
    if (fp)
        fclose(fp);
    return err;
}

void prle_i64_array_dispose(prle_i64_array *a)
{
    if (!a)
        return;
    prle_free(a->data);
    *a = (prle_i64_array){0};
}

int prle_npy_load(prle_matrix *out, const char *path)
{
    return load_file(out, false, path);
}

int prle_npy_load_memory(prle_matrix *out, const void *data, size_t len, const char *name)
{
    return load_memory(out, false, data, len, name);
}

int prle_npy_load_i64(prle_i64_array *out, const char *path)
{
    return load_file(out, true, path);
}

int prle_npy_load_i64_memory(prle_i64_array *out, const void *data, size_t len, const char *name)
{
    return load_memory(out, true, data, len, name);
}

/* ---- writer ------------------------------------------------------------------------------ */

/* Writes a 1.0 <f4 file exactly as numpy's _write_array_header + _wrap_header do. */
static int save_f4(const char *path, const float *x, size_t rows, size_t cols, bool vector)
{
    int err;
    char hdr[256], digits[32];
    size_t n;
    prle__afile f = {0};

    PRLE_ASSERT(path && (x || rows == 0 || cols == 0));
    if (!prle__mul_ok(&n, rows, cols) || !prle__mul_ok(&(size_t){0}, n, sizeof(float)))
        return prle__error_set(PRLE_EINVAL, "%s: array (%zu, %zu) is too large", path, rows, cols);
    int len = vector ? snprintf(hdr, sizeof hdr,
                                "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu,), }", rows)
                     : snprintf(hdr, sizeof hdr,
                                "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }",
                                rows, cols);
    int nd = snprintf(digits, sizeof digits, "%zu", rows);
    size_t used = (size_t)len;
    /* spare room for growing axis 0 in place, then pad so magic + length + header is a
     * multiple of 64; the header always ends in '\n' (pad is 1..64 spaces, as numpy's) */
    size_t growth = nd < NPY_GROWTH_DIGITS ? (size_t)(NPY_GROWTH_DIGITS - nd) : 0;
    memset(hdr + used, ' ', growth);
    used += growth;
    size_t pad = NPY_ALIGN - (NPY_MAGIC_LEN + 2 + 2 + used + 1) % NPY_ALIGN;
    memset(hdr + used, ' ', pad);
    used += pad;
    hdr[used++] = '\n';
    PRLE_ASSERT(used < sizeof hdr && (NPY_MAGIC_LEN + 4 + used) % NPY_ALIGN == 0);

    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(used & 0xff),
                             (unsigned char)(used >> 8)};
    if ((err = prle__afile_open(&f, path)) < 0)
        return err;
    bool ok = fwrite(pre, 1, sizeof pre, f.fp) == sizeof pre && fwrite(hdr, 1, used, f.fp) == used;
    if (ok && n > 0 && host_is_le()) {
        ok = fwrite(x, sizeof(float), n, f.fp) == n;
    } else {
        for (size_t i = 0; ok && i < n; i++) {
            uint32_t u;
            memcpy(&u, &x[i], sizeof u);
            unsigned char b[4];
            prle__le_put(b, u, 4);
            ok = fwrite(b, 1, 4, f.fp) == 4;
        }
    }
    if (!ok) {
        int saved = errno; /* before the abort's own calls */
        prle__afile_abort(&f);
        return prle__error_set(PRLE_EIO, "%s: write failed: %s", path, strerror(saved));
    }
    return prle__afile_commit(&f);
}

int prle_npy_save(const char *path, const prle_matrix *m)
{
    PRLE_ASSERT(m);
    return save_f4(path, m->data, m->rows, m->cols, false);
}

int prle_npy_save_vector(const char *path, const float *x, size_t n)
{
    return save_f4(path, x, n, 1, true);
}
