/* safetensors files (model weights): a reader handle and a writer of F32, F64 and I64 tensors. */
#ifndef PRLE_SAFETENSORS_H
#define PRLE_SAFETENSORS_H

#include "prle/common.h"
#include "prle/matrix.h"

PRLE_BEGIN_DECL

/** Element types. Files may hold others (F16, BF16, I32, U8, ...): those are PRLE_ST_OTHER. */
typedef enum prle_st_dtype {
    PRLE_ST_F32 = 0,
    PRLE_ST_F64 = 1,
    PRLE_ST_I64 = 2,
    PRLE_ST_OTHER = 3 /**< a dtype of the format we only list (see `dtype_name`) */
} prle_st_dtype;

/** Most dimensions a tensor may have; files with more are PRLE_EFORMAT. */
#define PRLE_ST_MAX_DIMS 8

/** What the reader knows of one tensor. `name` is borrowed from the handle. */
typedef struct prle_st_tensor_info {
    const char *name;       /**< valid until prle_st_free */
    prle_st_dtype dtype;    /**< PRLE_ST_OTHER for dtypes we don't convert */
    const char *dtype_name; /**< as in the file: "F32", "BF16", ... (static) */
    size_t ndim;            /**< 0 (a scalar) to PRLE_ST_MAX_DIMS */
    size_t shape[PRLE_ST_MAX_DIMS];
    size_t numel;  /**< product of the shape (1 for a scalar) */
    size_t nbytes; /**< bytes in the file */
} prle_st_tensor_info;

/* ---- reading ------------------------------------------------------------------------------ */

/** An open safetensors file: the header checked and parsed, the data held in memory. */
typedef struct prle_st_file prle_st_file;

/**
 * Reads and checks a safetensors file (huggingface/safetensors "Format"): u64 little-endian
 * header length (at most 100,000,000 and inside the file), a JSON object header mapping each
 * tensor name to {dtype, shape, data_offsets} plus an optional `__metadata__` string-to-string
 * map, then the data. Checked: valid UTF-8 JSON with nothing but spaces after it, every entry
 * complete, known dtype, at most PRLE_ST_MAX_DIMS dims, `bytes == element size * prod(shape)`
 * without overflow, unique names, and offsets that tile the data exactly (start at 0, no
 * holes, no overlaps, end at the end of the file).
 *
 * Returns 0 and a handle to free with prle_st_free; PRLE_ENOTFOUND or PRLE_EIO naming the
 * path; PRLE_EFORMAT with a message naming the path and the fault; PRLE_ENOMEM.
 */
PRLE_API int prle_st_open(prle_st_file **out, const char *path);

/**
 * As prle_st_open, from the `len` bytes of a whole file in memory (copied: `data` is borrowed
 * for the call). `name` labels error messages (NULL: "<memory>").
 */
PRLE_API int prle_st_open_memory(prle_st_file **out, const void *data, size_t len,
                                 const char *name);

/** Frees the handle and everything borrowed from it; NULL does nothing. */
PRLE_API void prle_st_free(prle_st_file *f);

/** Number of tensors (not counting `__metadata__`). */
PRLE_API size_t prle_st_n_tensors(const prle_st_file *f);

/** Info on tensor `i` in name order (strcmp), 0 <= i < prle_st_n_tensors. PRLE_EINVAL if not. */
PRLE_API int prle_st_tensor_at(prle_st_tensor_info *out, const prle_st_file *f, size_t i);

/** Info on the tensor called `name`; PRLE_ENOTFOUND naming it if there is none. */
PRLE_API int prle_st_find(prle_st_tensor_info *out, const prle_st_file *f, const char *name);

/**
 * Copies tensor `name` (F32, or F64 converted) into `out`, which holds `count` floats;
 * `count` must equal its element count (PRLE_ESHAPE otherwise). PRLE_ENOTFOUND if there is no
 * such tensor, PRLE_EFORMAT if its dtype is not F32 or F64.
 */
PRLE_API int prle_st_read_f32(float *out, size_t count, const prle_st_file *f, const char *name);

/** As prle_st_read_f32 into doubles (F64, or F32 widened). */
PRLE_API int prle_st_read_f64(double *out, size_t count, const prle_st_file *f, const char *name);

/** As prle_st_read_f32 into int64 (I64, or I32 widened); other dtypes are PRLE_EFORMAT. */
PRLE_API int prle_st_read_i64(int64_t *out, size_t count, const prle_st_file *f, const char *name);

/**
 * Loads tensor `name` (F32, or F64 converted) as a new matrix: shape (r, c) gives (r, c), (n)
 * gives (n, 1), a scalar (1, 1); more than 2 dims is PRLE_ESHAPE. Other errors as
 * prle_st_read_f32. The matrix belongs to the caller (prle_matrix_dispose).
 */
PRLE_API int prle_st_load_matrix(prle_matrix *out, const prle_st_file *f, const char *name);

/** Number of `__metadata__` entries. */
PRLE_API size_t prle_st_n_metadata(const prle_st_file *f);

/** The metadata value for `key`, or NULL if absent. Borrowed: valid until prle_st_free. */
PRLE_API const char *prle_st_metadata_get(const prle_st_file *f, const char *key);

/** Metadata entry `i` in key order (strcmp); PRLE_EINVAL if out of range. Both borrowed. */
PRLE_API int prle_st_metadata_at(const char **key, const char **value, const prle_st_file *f,
                                 size_t i);

/* ---- writing ------------------------------------------------------------------------------ */

/** Collects named tensors and metadata, then writes one file. */
typedef struct prle_st_writer prle_st_writer;

/** A new empty writer. PRLE_ENOMEM. */
PRLE_API int prle_st_writer_new(prle_st_writer **out);

/** Frees the writer and its copies of the data; NULL does nothing. */
PRLE_API void prle_st_writer_free(prle_st_writer *w);

/**
 * Sets metadata `key` to `value` (both copied, valid UTF-8), replacing an earlier value.
 * PRLE_EINVAL for invalid UTF-8, PRLE_ENOMEM.
 */
PRLE_API int prle_st_writer_set_metadata(prle_st_writer *w, const char *key, const char *value);

/**
 * Adds tensor `name` of dtype F32 with `ndim` dims `shape` (ndim 0 is a scalar), copying its
 * prod(shape) values from `data` (which may be NULL when that is 0). PRLE_EINVAL if the name
 * is already used, is "__metadata__" or not valid UTF-8, or ndim > PRLE_ST_MAX_DIMS;
 * PRLE_ENOMEM if the size overflows or memory runs out.
 */
PRLE_API int prle_st_writer_add_f32(prle_st_writer *w, const char *name, const float *data,
                                    size_t ndim, const size_t *shape);

/** As prle_st_writer_add_f32 for F64 data. */
PRLE_API int prle_st_writer_add_f64(prle_st_writer *w, const char *name, const double *data,
                                    size_t ndim, const size_t *shape);

/** As prle_st_writer_add_f32 for I64 data. */
PRLE_API int prle_st_writer_add_i64(prle_st_writer *w, const char *name, const int64_t *data,
                                    size_t ndim, const size_t *shape);

/** Adds `m` as an F32 tensor of shape (rows, cols); errors as prle_st_writer_add_f32. */
PRLE_API int prle_st_writer_add_matrix(prle_st_writer *w, const char *name, const prle_matrix *m);

/**
 * Writes the file: u64 little-endian header length, then compact JSON with `__metadata__`
 * first (keys sorted; left out when empty), then the tensors in the reference writer's order
 * (widest dtype first: I64, F64, F32; then by name, strcmp), padded with spaces to a multiple
 * of 8 bytes; then the tensors' little-endian data, packed, in the same order. For the same
 * tensors and metadata the bytes equal what huggingface/safetensors writes (its metadata map
 * has no fixed order; ours is sorted).
 * Written under a temporary name and renamed (SPEC.md §2). PRLE_EIO / PRLE_ENOTFOUND naming
 * the path, PRLE_ENOMEM. The writer is unchanged and may be saved again.
 */
PRLE_API int prle_st_writer_save(const prle_st_writer *w, const char *path);

PRLE_END_DECL

#endif
