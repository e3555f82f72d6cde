/* Row-major float matrices with 64-byte aligned storage. */
#ifndef PRLE_MATRIX_H
#define PRLE_MATRIX_H

#include "prle/common.h"

PRLE_BEGIN_DECL

/**
 * A dense (rows, cols) row-major float matrix that owns its storage. The storage is either
 * allocated here (64-byte aligned) or a read-only memory map of a file (prle_npy_load of a
 * large `<f4` file); prle_matrix_dispose releases either. A zeroed value is an empty matrix.
 * Do not write through `data` of a mapped matrix (check prle_matrix_is_mapped).
 */
typedef struct prle_matrix {
    float *data;
    size_t rows, cols;
    void *map_base_; /* internal: mmap base, or NULL when allocated */
    size_t map_len_; /* internal: mmap length */
} prle_matrix;

/**
 * A borrowed view of the caller's row-major buffer (rows, cols): nothing is copied, and the
 * view must not be disposed. The library's functions take it wherever they read a matrix.
 */
static inline prle_matrix prle_matrix_view(const float *data, size_t rows, size_t cols)
{
    prle_matrix m; /* every field by name: valid C and C++ alike, warning-free in both */
    m.data = (float *)data;
    m.rows = rows;
    m.cols = cols;
    m.map_base_ = NULL;
    m.map_len_ = 0;
    return m;
}

/** Allocates (rows, cols) zero-filled. Returns PRLE_ENOMEM on overflow or failure. */
PRLE_API int prle_matrix_alloc(prle_matrix *out, size_t rows, size_t cols);

/** Allocates a copy of `src` (mapped or not) that owns heap storage. */
PRLE_API int prle_matrix_copy(prle_matrix *out, const prle_matrix *src);

/** Releases the storage and zeroes `m`; a zeroed matrix is left as it is. */
PRLE_API void prle_matrix_dispose(prle_matrix *m);

/** True when `m` is a read-only file mapping. */
PRLE_API bool prle_matrix_is_mapped(const prle_matrix *m);

/** Pointer to row `i` (no bounds check). */
static inline float *prle_matrix_row(const prle_matrix *m, size_t i)
{
    return m->data + i * m->cols;
}

/** 64-byte aligned allocation of `n` bytes (NULL on failure); free with prle_free. */
PRLE_API void *prle_aligned_alloc(size_t n);

/** Frees memory from prle_aligned_alloc; NULL does nothing. */
PRLE_API void prle_free(void *p);

PRLE_END_DECL

#endif
