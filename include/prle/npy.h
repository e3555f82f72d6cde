/* NumPy .npy files: float matrices and int64 ids in, float32 matrices and vectors out. */
#ifndef PRLE_NPY_H
#define PRLE_NPY_H

#include "prle/common.h"
#include "prle/matrix.h"

PRLE_BEGIN_DECL

/**
 * A dense (rows, cols) row-major int64 array that owns its storage (ids, labels read from
 * .npy). Release with prle_i64_array_dispose; a zeroed value is an empty array.
 */
typedef struct prle_i64_array {
    int64_t *data;
    size_t rows, cols;
} prle_i64_array;

/** Releases the storage and zeroes `a`; NULL or a zeroed array does nothing. */
PRLE_API void prle_i64_array_dispose(prle_i64_array *a);

/** `<f4` files whose data is at least this many bytes are memory-mapped by prle_npy_load. */
#define PRLE_NPY_MAP_MIN_BYTES ((size_t)8 << 20)

/**
 * Loads a .npy file (format 1.0, 2.0 or 3.0) of dtype `<f4` or `<f8` (converted to float),
 * C order, as a matrix. Shape (n, d) gives (n, d); a 1-D shape (n,) gives (n, 1).
 *
 * A `<f4` file with at least PRLE_NPY_MAP_MIN_BYTES of data is memory-mapped read-only
 * (prle_matrix_is_mapped is then true: don't write through `data`); smaller files are read.
 * prle_matrix_dispose releases either. Trailing bytes after the data are an error.
 *
 * Returns 0, PRLE_ENOTFOUND or PRLE_EIO (messages name the path), PRLE_EFORMAT for a bad
 * magic, unknown version, malformed header, unsupported dtype (big-endian, integer, object,
 * structured), Fortran order, a shape that is not 1-D or 2-D or overflows, or a data length
 * that disagrees with the file size; PRLE_ENOMEM. On failure `*out` is untouched.
 */
PRLE_API int prle_npy_load(prle_matrix *out, const char *path);

/**
 * As prle_npy_load, from the `len` bytes of a whole .npy file in memory (copied, never
 * mapped; `data` is borrowed for the call). `name` labels error messages (NULL: "<memory>").
 */
PRLE_API int prle_npy_load_memory(prle_matrix *out, const void *data, size_t len, const char *name);

/**
 * Loads a .npy file of dtype `<i4` or `<i8` (ids) as int64: shape (n, d) gives (n, d), (n,)
 * gives (n, 1). Errors as prle_npy_load; a float dtype is PRLE_EFORMAT. Never mapped.
 */
PRLE_API int prle_npy_load_i64(prle_i64_array *out, const char *path);

/** As prle_npy_load_i64, from a whole .npy file in memory; `name` as prle_npy_load_memory. */
PRLE_API int prle_npy_load_i64_memory(prle_i64_array *out, const void *data, size_t len,
                                      const char *name);

/**
 * Writes `m` as a format 1.0 `<f4` file of shape (rows, cols), byte for byte what NumPy's
 * np.save writes for the same float32 array. The file is written under a temporary name and
 * renamed (SPEC.md §2). Returns 0, PRLE_EIO or PRLE_ENOTFOUND naming the path.
 */
PRLE_API int prle_npy_save(const char *path, const prle_matrix *m);

/** As prle_npy_save for a 1-D `<f4` array of shape (n,); `x` may be NULL when n is 0. */
PRLE_API int prle_npy_save_vector(const char *path, const float *x, size_t n);

PRLE_END_DECL

#endif
