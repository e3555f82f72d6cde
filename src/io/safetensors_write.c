/* safetensors writer: named tensors and metadata collected, then written as the reference
 * writer lays them out (see prle_st_writer_save). The reader is safetensors.c. */
#include "prle/safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/str.h"
#include "io/endian.h"
#include "io/fileio.h"
#include "io/safetensors_int.h"

struct prle_st_writer {
    prle__st_tensor *t; /* in insertion order */
    size_t nt, tcap;
    prle__st_meta *meta;
    size_t nmeta, mcap;
};

int prle_st_writer_new(prle_st_writer **out)
{
    prle_st_writer *w = calloc(1, sizeof *w);
    if (!w)
        return prle__error_nomem("safetensors writer");
    *out = w;
    return 0;
}

void prle_st_writer_free(prle_st_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nt; i++) {
        free(w->t[i].name);
        free(w->t[i].bytes);
    }
    for (size_t i = 0; i < w->nmeta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->t);
    free(w->meta);
    free(w);
}

/* Grows `*arr` (of `*cap` items of `size` bytes) to hold one more than `n`. */
static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = c <= SIZE_MAX / size ? realloc(*arr, c * size) : NULL;
    if (!p)
        return false;
    *arr = p;
    *cap = c;
    return true;
}

int prle_st_writer_set_metadata(prle_st_writer *w, const char *key, const char *value)
{
    PRLE_ASSERT(w && key && value);
    if (!prle__st_utf8_valid((const unsigned char *)key, strlen(key)) ||
        !prle__st_utf8_valid((const unsigned char *)value, strlen(value)))
        return prle__error_set(PRLE_EINVAL, "metadata '%s' is not valid UTF-8", key);
    char *v = prle__strdup(value);
    if (!v)
        return prle__error_nomem("safetensors metadata");
    for (size_t i = 0; i < w->nmeta; i++) {
        if (strcmp(w->meta[i].key, key) == 0) {
            free(w->meta[i].value);
            w->meta[i].value = v;
            return 0;
        }
    }
    char *k = prle__strdup(key);
    if (!k || !grow((void **)&w->meta, &w->mcap, w->nmeta, sizeof *w->meta)) {
        free(k);
        free(v);
        return prle__error_nomem("safetensors metadata");
    }
    w->meta[w->nmeta++] = (prle__st_meta){.key = k, .value = v};
    return 0;
}

static int writer_add(prle_st_writer *w, const char *name, const prle__st_dtype_def *dt,
                      const void *data, size_t ndim, const size_t *shape)
{
    prle__st_tensor t = {.dt = dt, .ndim = ndim, .numel = 1};
    PRLE_ASSERT(w && name && (shape || ndim == 0));
    if (!prle__st_utf8_valid((const unsigned char *)name, strlen(name)))
        return prle__error_set(PRLE_EINVAL, "tensor name '%s' is not valid UTF-8", name);
    if (strcmp(name, "__metadata__") == 0)
        return prle__error_set(PRLE_EINVAL, "'__metadata__' cannot name a tensor");
    if (ndim > PRLE_ST_MAX_DIMS)
        return prle__error_set(PRLE_EINVAL, "tensor '%s' has %zu dimensions, more than %d", name,
                               ndim, PRLE_ST_MAX_DIMS);
    for (size_t i = 0; i < w->nt; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return prle__error_set(PRLE_EINVAL, "tensor name '%s' is already used", name);
    for (size_t i = 0; i < ndim; i++) {
        if ((uint64_t)shape[i] > PRLE__ST_EXACT_MAX) /* readers parse JSON numbers as doubles */
            return prle__error_set(PRLE_EINVAL, "tensor '%s': dimension %zu is over 2^53", name,
                                   shape[i]);
        t.shape[i] = shape[i];
        if (!prle__mul_ok(&t.numel, t.numel, shape[i]))
            return prle__error_set(PRLE_ENOMEM, "tensor '%s' is too large", name);
    }
    if (!prle__mul_ok(&t.nbytes, t.numel, dt->size))
        return prle__error_set(PRLE_ENOMEM, "tensor '%s' is too large", name);
    PRLE_ASSERT(data || t.numel == 0);
    t.name = prle__strdup(name);
    t.bytes = malloc(t.nbytes ? t.nbytes : 1);
    if (!t.name || !t.bytes || !grow((void **)&w->t, &w->tcap, w->nt, sizeof *w->t)) {
        free(t.name);
        free(t.bytes);
        return prle__error_nomem("safetensors tensor");
    }
    for (size_t i = 0; i < t.numel; i++) {
        uint64_t u = 0;
        if (dt == PRLE__ST_F32) {
            uint32_t u32;
            memcpy(&u32, (const float *)data + i, sizeof u32);
            u = u32;
        } else {
            memcpy(&u, (const unsigned char *)data + i * 8, sizeof u);
        }
        prle__le_put(t.bytes + i * dt->size, u, dt->size);
    }
    w->t[w->nt++] = t;
    return 0;
}

int prle_st_writer_add_f32(prle_st_writer *w, const char *name, const float *data, size_t ndim,
                           const size_t *shape)
{
    return writer_add(w, name, PRLE__ST_F32, data, ndim, shape);
}

int prle_st_writer_add_f64(prle_st_writer *w, const char *name, const double *data, size_t ndim,
                           const size_t *shape)
{
    return writer_add(w, name, PRLE__ST_F64, data, ndim, shape);
}

int prle_st_writer_add_i64(prle_st_writer *w, const char *name, const int64_t *data, size_t ndim,
                           const size_t *shape)
{
    return writer_add(w, name, PRLE__ST_I64, data, ndim, shape);
}

int prle_st_writer_add_matrix(prle_st_writer *w, const char *name, const prle_matrix *m)
{
    PRLE_ASSERT(m);
    size_t shape[2] = {m->rows, m->cols};
    return writer_add(w, name, PRLE__ST_F32, m->data, 2, shape);
}

/* The reference writer's rank of a dtype (its `Dtype` enum order, which is increasing
 * alignment), for the dtypes we write. */
static int dtype_rank(const prle__st_dtype_def *dt)
{
    return dt == PRLE__ST_I64 ? 2 : dt == PRLE__ST_F64 ? 1 : 0;
}

/* Data order of the reference writer (`prepare` in safetensors/src/tensor.rs): descending dtype
 * rank, so every tensor stays aligned to its element size, then name. */
static int cmp_tensor_ptr_order(const void *a, const void *b)
{
    const prle__st_tensor *x = *(const prle__st_tensor *const *)a,
                          *y = *(const prle__st_tensor *const *)b;
    int rx = dtype_rank(x->dt), ry = dtype_rank(y->dt);
    if (rx != ry)
        return rx > ry ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_meta_ptr_key(const void *a, const void *b)
{
    return strcmp((*(const prle__st_meta *const *)a)->key, (*(const prle__st_meta *const *)b)->key);
}

/* Appends a JSON integer printed exactly (cJSON would print through a double). */
static bool add_size(cJSON *arr, size_t v)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", v);
    cJSON *item = cJSON_CreateRaw(num);
    if (item && cJSON_AddItemToArray(arr, item))
        return true;
    cJSON_Delete(item);
    return false;
}

/* The header JSON of the tensors in `ts` (data order) and metadata in `ms` (key order). */
static char *header_json(const prle__st_tensor **ts, size_t nt, const prle__st_meta **ms, size_t nm)
{
    bool ok = true;
    char *text = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    if (nm) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        ok = meta != NULL;
        for (size_t i = 0; ok && i < nm; i++)
            ok = cJSON_AddStringToObject(meta, ms[i]->key, ms[i]->value) != NULL;
    }
    size_t at = 0;
    for (size_t i = 0; ok && i < nt; i++) {
        const prle__st_tensor *t = ts[i];
        cJSON *e = cJSON_AddObjectToObject(root, t->name), *shape = NULL, *offs = NULL;
        ok = e && cJSON_AddStringToObject(e, "dtype", t->dt->name) &&
             (shape = cJSON_AddArrayToObject(e, "shape")) &&
             (offs = cJSON_AddArrayToObject(e, "data_offsets"));
        for (size_t d = 0; ok && d < t->ndim; d++)
            ok = add_size(shape, t->shape[d]);
        ok = ok && add_size(offs, at) && add_size(offs, at + t->nbytes);
        at += t->nbytes;
    }
    if (ok)
        text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* The whole file onto `fp`; `name` (the path) names it in messages. */
static int write_to(FILE *fp, const prle_st_writer *w, const char *name)
{
    int err = 0;
    char *text = NULL;
    const prle__st_tensor **ts = malloc((w->nt ? w->nt : 1) * sizeof *ts);
    const prle__st_meta **ms = malloc((w->nmeta ? w->nmeta : 1) * sizeof *ms);

    if (!ts || !ms) {
        err = prle__error_nomem("safetensors writer");
        goto done;
    }
    for (size_t i = 0; i < w->nt; i++)
        ts[i] = &w->t[i];
    for (size_t i = 0; i < w->nmeta; i++)
        ms[i] = &w->meta[i];
    qsort(ts, w->nt, sizeof *ts, cmp_tensor_ptr_order);
    qsort(ms, w->nmeta, sizeof *ms, cmp_meta_ptr_key);
    if (!(text = header_json(ts, w->nt, ms, w->nmeta))) {
        err = prle__error_nomem("safetensors header");
        goto done;
    }
    size_t n = strlen(text), pad = (8 - n % 8) % 8;
    if (n + pad > PRLE__ST_HEADER_MAX) { /* readers would refuse it */
        err = prle__error_set(PRLE_EINVAL, "%s: header of %zu bytes is over the %u-byte limit",
                              name, n + pad, PRLE__ST_HEADER_MAX);
        goto done;
    }
    unsigned char len8[8];
    prle__le_put(len8, (uint64_t)(n + pad), 8);
    bool ok = fwrite(len8, 1, 8, fp) == 8 && fwrite(text, 1, n, fp) == n;
    for (size_t i = 0; ok && i < pad; i++)
        ok = fputc(' ', fp) != EOF;
    for (size_t i = 0; ok && i < w->nt; i++)
        ok = ts[i]->nbytes == 0 || fwrite(ts[i]->bytes, 1, ts[i]->nbytes, fp) == ts[i]->nbytes;
    if (!ok)
        err = prle__error_set(PRLE_EIO, "%s: write failed: %s", name, strerror(errno));
done:
    if (text)
        cJSON_free(text);
    free(ts);
    free(ms);
    return err;
}

int prle_st_writer_save(const prle_st_writer *w, const char *path)
{
    prle__afile af = {0};
    PRLE_ASSERT(w && path);
    int err = prle__afile_open(&af, path);
    if (err < 0)
        return err;
    if ((err = write_to(af.fp, w, path)) < 0) {
        prle__afile_abort(&af);
        return err;
    }
    return prle__afile_commit(&af);
}

int prle__st_writer_bytes(char **out, size_t *len, const prle_st_writer *w)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    if (!fp)
        return prle__error_nomem("safetensors image");
    int err = write_to(fp, w, "<memory>");
    if (fclose(fp) != 0 && err == 0)
        err = prle__error_nomem("safetensors image");
    if (err < 0) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = n;
    return 0;
}
