/* safetensors reader. Format (huggingface/safetensors README, "Format"): a u64 little-endian
 * header length N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets}, "__metadata__":
 * {string: string}}, then the tensors' little-endian C-order data; offsets are relative to the
 * data and must tile it exactly. The checks follow the reference's `SafeTensors::read_metadata`
 * and `Metadata::validate` (N <= 100,000,000, contiguous offsets, sizes agreeing with dtype and
 * shape). The writer is safetensors_write.c. */
#include "prle/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/str.h"
#include "io/endian.h"
#include "io/fileio.h"
#include "io/safetensors_int.h"

/* Every whole-byte dtype of the format; the first three are the ones we convert. */
const prle__st_dtype_def prle__st_dtypes[] = {
    {"F32", 4, PRLE_ST_F32},           {"F64", 8, PRLE_ST_F64},
    {"I64", 8, PRLE_ST_I64},           {"BOOL", 1, PRLE_ST_OTHER},
    {"U8", 1, PRLE_ST_OTHER},          {"I8", 1, PRLE_ST_OTHER},
    {"F8_E5M2", 1, PRLE_ST_OTHER},     {"F8_E4M3", 1, PRLE_ST_OTHER},
    {"I16", 2, PRLE_ST_OTHER},         {"U16", 2, PRLE_ST_OTHER},
    {"F16", 2, PRLE_ST_OTHER},         {"BF16", 2, PRLE_ST_OTHER},
    {"I32", 4, PRLE_ST_OTHER},         {"U32", 4, PRLE_ST_OTHER},
    {"U64", 8, PRLE_ST_OTHER},         {"C64", 8, PRLE_ST_OTHER},
    {"F8_E8M0", 1, PRLE_ST_OTHER},     {"F8_E4M3FNUZ", 1, PRLE_ST_OTHER},
    {"F8_E5M2FNUZ", 1, PRLE_ST_OTHER},
};

struct prle_st_file {
    char *name;         /* path or label, for messages */
    unsigned char *buf; /* the whole file */
    size_t len;
    const unsigned char *data; /* the data section, after the header */
    size_t data_len;
    prle__st_tensor *t; /* sorted by name */
    size_t nt;
    prle__st_meta *meta; /* sorted by key */
    size_t nmeta;
};

bool prle__st_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i - 1 < k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

static const prle__st_dtype_def *dtype_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof prle__st_dtypes / sizeof prle__st_dtypes[0]; i++)
        if (strcmp(prle__st_dtypes[i].name, name) == 0)
            return &prle__st_dtypes[i];
    return NULL;
}

/* A JSON number that is an exact non-negative integer. */
static bool json_size(size_t *out, const cJSON *v)
{
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= (double)PRLE__ST_EXACT_MAX))
        return false;
    uint64_t u = (uint64_t)d;
    if ((double)u != d || u > SIZE_MAX)
        return false;
    *out = (size_t)u;
    return true;
}

static int parse_tensor(prle__st_tensor *t, const cJSON *e, const char *fname)
{
    const char *tn = t->name;
    const cJSON *dtype = NULL, *shape = NULL, *offs = NULL, *c;
    if (!cJSON_IsObject(e))
        return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s' is not a JSON object", fname, tn);
    cJSON_ArrayForEach(c, e)
    {
        const cJSON **slot = !c->string                               ? NULL
                             : strcmp(c->string, "dtype") == 0        ? &dtype
                             : strcmp(c->string, "shape") == 0        ? &shape
                             : strcmp(c->string, "data_offsets") == 0 ? &offs
                                                                      : NULL;
        if (slot && *slot)
            return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s' repeats '%s'", fname, tn,
                                   c->string);
        if (slot)
            *slot = c; /* other keys are ignored, as the reference does */
    }
    if (!dtype || !shape || !offs)
        return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s' lacks '%s'", fname, tn,
                               !dtype   ? "dtype"
                               : !shape ? "shape"
                                        : "data_offsets");
    if (!cJSON_IsString(dtype))
        return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s': dtype is not a string", fname, tn);
    if (!(t->dt = dtype_lookup(dtype->valuestring)))
        return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s' has unsupported dtype '%s'", fname,
                               tn, dtype->valuestring);
    if (!cJSON_IsArray(shape))
        return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s': shape is not an array", fname, tn);
    t->numel = 1;
    cJSON_ArrayForEach(c, shape)
    {
        if (t->ndim == PRLE_ST_MAX_DIMS)
            return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s' has more than %d dimensions",
                                   fname, tn, PRLE_ST_MAX_DIMS);
        size_t d;
        if (!json_size(&d, c))
            return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s': shape holds a non-size value",
                                   fname, tn);
        if (!prle__mul_ok(&t->numel, t->numel, d))
            return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s': shape overflows", fname, tn);
        t->shape[t->ndim++] = d;
    }
    if (!prle__mul_ok(&t->nbytes, t->numel, t->dt->size))
        return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s': byte size overflows", fname, tn);
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        !json_size(&t->begin, offs->child) || !json_size(&t->end, offs->child->next))
        return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s': data_offsets is not [begin, end]",
                               fname, tn);
    if (t->end < t->begin || t->end - t->begin != t->nbytes)
        return prle__error_set(PRLE_EFORMAT,
                               "%s: tensor '%s': data_offsets [%zu, %zu] disagree with its %zu "
                               "bytes (%s, %zu elements)",
                               fname, tn, t->begin, t->end, t->nbytes, t->dt->name, t->numel);
    return 0;
}

static int parse_meta(prle_st_file *f, const cJSON *m)
{
    const cJSON *c;
    if (f->meta)
        return prle__error_set(PRLE_EFORMAT, "%s: header repeats '__metadata__'", f->name);
    if (!cJSON_IsObject(m))
        return prle__error_set(PRLE_EFORMAT, "%s: __metadata__ is not a JSON object", f->name);
    size_t n = (size_t)cJSON_GetArraySize(m);
    if (!(f->meta = calloc(n ? n : 1, sizeof *f->meta)))
        return prle__error_nomem("safetensors metadata");
    cJSON_ArrayForEach(c, m)
    {
        if (!cJSON_IsString(c) || !c->string)
            return prle__error_set(PRLE_EFORMAT, "%s: metadata '%s' is not a string", f->name,
                                   c->string ? c->string : "?");
        prle__st_meta *e = &f->meta[f->nmeta++];
        if (!(e->key = prle__strdup(c->string)) || !(e->value = prle__strdup(c->valuestring)))
            return prle__error_nomem("safetensors metadata");
    }
    return 0;
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp(((const prle__st_tensor *)a)->name, ((const prle__st_tensor *)b)->name);
}

static int cmp_meta_key(const void *a, const void *b)
{
    return strcmp(((const prle__st_meta *)a)->key, ((const prle__st_meta *)b)->key);
}

static int cmp_tensor_ptr_offset(const void *a, const void *b)
{
    const prle__st_tensor *x = *(const prle__st_tensor *const *)a,
                          *y = *(const prle__st_tensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The offsets, in order, tile [0, data_len) exactly. */
static int check_tiling(const prle_st_file *f)
{
    int err = 0;
    size_t at = 0;
    const prle__st_tensor **by_off = malloc((f->nt ? f->nt : 1) * sizeof *by_off);
    if (!by_off)
        return prle__error_nomem("safetensors offsets");
    for (size_t i = 0; i < f->nt; i++)
        by_off[i] = &f->t[i];
    qsort(by_off, f->nt, sizeof *by_off, cmp_tensor_ptr_offset);
    for (size_t i = 0; i < f->nt && !err; i++) {
        const prle__st_tensor *t = by_off[i];
        if (t->begin > at)
            err = prle__error_set(PRLE_EFORMAT, "%s: hole of %zu bytes before tensor '%s'", f->name,
                                  t->begin - at, t->name);
        else if (t->begin < at)
            err = prle__error_set(PRLE_EFORMAT, "%s: tensor '%s' overlaps the one before it",
                                  f->name, t->name);
        at = t->end;
    }
    if (!err && at != f->data_len)
        err = prle__error_set(PRLE_EFORMAT, "%s: tensors cover %zu bytes, the data has %zu",
                              f->name, at, f->data_len);
    free(by_off);
    return err;
}

/* Parses and checks f->buf (f->len bytes) into the tables of `f`. */
static int st_parse(prle_st_file *f)
{
    int err = 0;
    cJSON *root = NULL;
    const cJSON *c;

    if (f->len < 8)
        return prle__error_set(PRLE_EFORMAT, "%s: %zu bytes is too short for a safetensors file",
                               f->name, f->len);
    uint64_t n = prle__le_get(f->buf, 8);
    if (n > PRLE__ST_HEADER_MAX)
        return prle__error_set(PRLE_EFORMAT, "%s: header length %llu is over the %u-byte limit",
                               f->name, (unsigned long long)n, PRLE__ST_HEADER_MAX);
    if (n > f->len - 8)
        return prle__error_set(PRLE_EFORMAT,
                               "%s: header length %llu runs past the end of the file (%zu bytes)",
                               f->name, (unsigned long long)n, f->len);
    const char *hdr = (const char *)f->buf + 8;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)hdr[i];
        if (b < 0x20 && b != '\t' && b != '\n' && b != '\r')
            return prle__error_set(PRLE_EFORMAT, "%s: header holds control byte 0x%02x", f->name,
                                   b);
    }
    if (!prle__st_utf8_valid((const unsigned char *)hdr, (size_t)n))
        return prle__error_set(PRLE_EFORMAT, "%s: header is not valid UTF-8", f->name);
    const char *end = NULL;
    if (!(root = cJSON_ParseWithLengthOpts(hdr, (size_t)n, &end, 0))) {
        size_t at = end && end >= hdr && end <= hdr + n ? (size_t)(end - hdr) : 0;
        return prle__error_set(PRLE_EFORMAT, "%s: header is not valid JSON (near byte %zu)",
                               f->name, at);
    }
    for (const char *p = end; p < hdr + n; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            err = prle__error_set(PRLE_EFORMAT, "%s: unexpected bytes after the JSON header",
                                  f->name);
            goto done;
        }
    }
    if (!cJSON_IsObject(root)) {
        err = prle__error_set(PRLE_EFORMAT, "%s: header is not a JSON object", f->name);
        goto done;
    }
    size_t count = (size_t)cJSON_GetArraySize(root);
    if (!(f->t = calloc(count ? count : 1, sizeof *f->t))) {
        err = prle__error_nomem("safetensors header");
        goto done;
    }
    cJSON_ArrayForEach(c, root)
    {
        if (c->string && strcmp(c->string, "__metadata__") == 0) {
            if ((err = parse_meta(f, c)) < 0)
                goto done;
            continue;
        }
        prle__st_tensor *t = &f->t[f->nt++];
        if (!(t->name = prle__strdup(c->string ? c->string : ""))) {
            err = prle__error_nomem("safetensors header");
            goto done;
        }
        if ((err = parse_tensor(t, c, f->name)) < 0)
            goto done;
    }
    qsort(f->t, f->nt, sizeof *f->t, cmp_tensor_name);
    for (size_t i = 1; i < f->nt; i++) {
        if (strcmp(f->t[i - 1].name, f->t[i].name) == 0) {
            err = prle__error_set(PRLE_EFORMAT, "%s: duplicate tensor name '%s'", f->name,
                                  f->t[i].name);
            goto done;
        }
    }
    if (f->nmeta)
        qsort(f->meta, f->nmeta, sizeof *f->meta, cmp_meta_key);
    for (size_t i = 1; i < f->nmeta; i++) {
        if (strcmp(f->meta[i - 1].key, f->meta[i].key) == 0) {
            err = prle__error_set(PRLE_EFORMAT, "%s: duplicate metadata key '%s'", f->name,
                                  f->meta[i].key);
            goto done;
        }
    }
    f->data = f->buf + 8 + n;
    f->data_len = f->len - 8 - (size_t)n;
    err = check_tiling(f);
done:
    cJSON_Delete(root);
    return err;
}

void prle_st_free(prle_st_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nt; i++)
        free(f->t[i].name);
    for (size_t i = 0; i < f->nmeta; i++) {
        free(f->meta[i].key);
        free(f->meta[i].value);
    }
    free(f->t);
    free(f->meta);
    free(f->buf);
    free(f->name);
    free(f);
}

/* Takes `buf` (malloc'd, `len` bytes) whether it succeeds or not. */
static int st_open_buf(prle_st_file **out, unsigned char *buf, size_t len, const char *name)
{
    int err;
    prle_st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->name = prle__strdup(name))) {
        free(buf);
        prle_st_free(f);
        return prle__error_nomem("safetensors file");
    }
    f->buf = buf;
    f->len = len;
    if ((err = st_parse(f)) < 0) {
        prle_st_free(f);
        return err;
    }
    *out = f;
    return 0;
}

int prle_st_open(prle_st_file **out, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    int err;
    PRLE_ASSERT(out && path);
    if ((err = prle__read_file(&buf, &len, path, 0)) < 0)
        return err;
    return st_open_buf(out, (unsigned char *)buf, len, path);
}

int prle_st_open_memory(prle_st_file **out, const void *data, size_t len, const char *name)
{
    PRLE_ASSERT(out && (data || len == 0));
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf)
        return prle__error_nomem("safetensors file");
    if (len)
        memcpy(buf, data, len);
    return st_open_buf(out, buf, len, name ? name : "<memory>");
}

size_t prle_st_n_tensors(const prle_st_file *f)
{
    return f->nt;
}

static void info_of(prle_st_tensor_info *o, const prle__st_tensor *t)
{
    *o = (prle_st_tensor_info){.name = t->name,
                               .dtype = t->dt->dtype,
                               .dtype_name = t->dt->name,
                               .ndim = t->ndim,
                               .numel = t->numel,
                               .nbytes = t->nbytes};
    memcpy(o->shape, t->shape, sizeof o->shape);
}

int prle_st_tensor_at(prle_st_tensor_info *out, const prle_st_file *f, size_t i)
{
    if (i >= f->nt)
        return prle__error_set(PRLE_EINVAL, "%s: tensor index %zu is out of range (%zu tensors)",
                               f->name, i, f->nt);
    info_of(out, &f->t[i]);
    return 0;
}

static int lookup(const prle__st_tensor **out, const prle_st_file *f, const char *name)
{
    prle__st_tensor key = {.name = (char *)name};
    PRLE_ASSERT(name);
    const prle__st_tensor *t =
        f->nt ? bsearch(&key, f->t, f->nt, sizeof *f->t, cmp_tensor_name) : NULL;
    if (!t)
        return prle__error_set(PRLE_ENOTFOUND, "%s: no tensor named '%s'", f->name, name);
    *out = t;
    return 0;
}

bool prle__st_has(const prle_st_file *f, const char *name)
{
    prle__st_tensor key = {.name = (char *)name};
    return f && name && f->nt && bsearch(&key, f->t, f->nt, sizeof *f->t, cmp_tensor_name);
}

int prle_st_find(prle_st_tensor_info *out, const prle_st_file *f, const char *name)
{
    const prle__st_tensor *t;
    int err = lookup(&t, f, name);
    if (err < 0)
        return err;
    info_of(out, t);
    return 0;
}

enum { AS_F32, AS_F64, AS_I64 };

/* Copies tensor `name` into `out` (`count` elements of kind `as`), converting. */
static int read_as(void *out, int as, size_t count, const prle_st_file *f, const char *name)
{
    const prle__st_tensor *t;
    int err = lookup(&t, f, name);
    if (err < 0)
        return err;
    const char *dn = t->dt->name;
    bool is_f32 = t->dt == PRLE__ST_F32, is_f64 = t->dt == PRLE__ST_F64;
    bool is_i32 = strcmp(dn, "I32") == 0, is_i64 = t->dt == PRLE__ST_I64;
    if (as == AS_I64 ? !(is_i64 || is_i32) : !(is_f32 || is_f64))
        return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s' is %s, not %s", f->name, name, dn,
                               as == AS_I64 ? "I64 or I32" : "F32 or F64");
    if (count != t->numel)
        return prle__error_set(PRLE_ESHAPE, "%s: tensor '%s' has %zu elements, not %zu", f->name,
                               name, t->numel, count);
    const unsigned char *src = f->data + t->begin;
    for (size_t i = 0; i < count; i++) {
        uint64_t u = 0;
        for (size_t b = t->dt->size; b-- > 0;)
            u = u << 8 | src[i * t->dt->size + b];
        double d = 0;
        if (is_f32) {
            uint32_t u32 = (uint32_t)u;
            float x;
            memcpy(&x, &u32, sizeof x);
            d = x;
        } else if (is_f64) {
            memcpy(&d, &u, sizeof d);
        }
        if (as == AS_F32) {
            ((float *)out)[i] = (float)d;
        } else if (as == AS_F64) {
            ((double *)out)[i] = d;
        } else {
            int64_t v;
            if (is_i32) {
                int32_t v32;
                uint32_t u32 = (uint32_t)u;
                memcpy(&v32, &u32, sizeof v32);
                v = v32;
            } else {
                memcpy(&v, &u, sizeof v);
            }
            ((int64_t *)out)[i] = v;
        }
    }
    return 0;
}

int prle_st_read_f32(float *out, size_t count, const prle_st_file *f, const char *name)
{
    PRLE_ASSERT(out || count == 0);
    return read_as(out, AS_F32, count, f, name);
}

int prle_st_read_f64(double *out, size_t count, const prle_st_file *f, const char *name)
{
    PRLE_ASSERT(out || count == 0);
    return read_as(out, AS_F64, count, f, name);
}

int prle_st_read_i64(int64_t *out, size_t count, const prle_st_file *f, const char *name)
{
    PRLE_ASSERT(out || count == 0);
    return read_as(out, AS_I64, count, f, name);
}

int prle_st_load_matrix(prle_matrix *out, const prle_st_file *f, const char *name)
{
    const prle__st_tensor *t;
    prle_matrix m = {0};
    int err = lookup(&t, f, name);
    if (err < 0)
        return err;
    if (t->dt != PRLE__ST_F32 && t->dt != PRLE__ST_F64)
        return prle__error_set(PRLE_EFORMAT, "%s: tensor '%s' is %s, not F32 or F64", f->name, name,
                               t->dt->name);
    if (t->ndim > 2)
        return prle__error_set(PRLE_ESHAPE, "%s: tensor '%s' has %zu dimensions, a matrix 2",
                               f->name, name, t->ndim);
    size_t rows = t->ndim >= 1 ? t->shape[0] : 1, cols = t->ndim == 2 ? t->shape[1] : 1;
    if ((err = prle_matrix_alloc(&m, rows, cols)) < 0 ||
        (err = read_as(m.data, AS_F32, t->numel, f, name)) < 0) {
        prle_matrix_dispose(&m);
        return err;
    }
    *out = m;
    return 0;
}

size_t prle_st_n_metadata(const prle_st_file *f)
{
    return f->nmeta;
}

const char *prle_st_metadata_get(const prle_st_file *f, const char *key)
{
    prle__st_meta k = {.key = (char *)key};
    const prle__st_meta *m =
        f->nmeta ? bsearch(&k, f->meta, f->nmeta, sizeof *f->meta, cmp_meta_key) : NULL;
    return m ? m->value : NULL;
}

int prle_st_metadata_at(const char **key, const char **value, const prle_st_file *f, size_t i)
{
    if (i >= f->nmeta)
        return prle__error_set(PRLE_EINVAL, "%s: metadata index %zu is out of range (%zu)", f->name,
                               i, f->nmeta);
    *key = f->meta[i].key;
    *value = f->meta[i].value;
    return 0;
}
