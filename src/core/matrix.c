#include "prle/matrix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/error.h"
#include "core/matrix_int.h"

/* Buffers this large are aligned to it and asked to live on transparent huge pages: first
 * touches fault 2 MiB at a time instead of 4 KiB (a 196 MB distance matrix: 100 faults, not
 * 50,000, each costly in a virtual machine) and streaming passes (Adam over 13 MB moments)
 * miss the TLB less. Linux leaves THP to madvise by default. */
#define HUGE_BYTES ((size_t)2 << 20)

void *prle_aligned_alloc(size_t n)
{
    void *p = NULL;
    if (n == 0)
        n = 64;
#ifdef MADV_HUGEPAGE
    if (n >= HUGE_BYTES) {
        size_t r = (n + HUGE_BYTES - 1) / HUGE_BYTES * HUGE_BYTES;
        if (r >= n && posix_memalign(&p, HUGE_BYTES, r) == 0) {
            (void)madvise(p, r, MADV_HUGEPAGE); /* advice only: failure is harmless */
            return p;
        }
        p = NULL;
    }
#endif
    if (posix_memalign(&p, 64, n) != 0)
        return NULL;
    return p;
}

void prle_free(void *p)
{
    free(p);
}

int prle_matrix_alloc(prle_matrix *out, size_t rows, size_t cols)
{
    size_t n, bytes;
    if (!prle__mul_ok(&n, rows, cols) || !prle__mul_ok(&bytes, n, sizeof(float)))
        return prle__error_set(PRLE_ENOMEM, "matrix (%zu, %zu) is too large", rows, cols);
    float *d = prle_aligned_alloc(bytes);
    if (!d)
        return prle__error_set(PRLE_ENOMEM, "out of memory for a (%zu, %zu) matrix", rows, cols);
    memset(d, 0, bytes);
    *out = (prle_matrix){.data = d, .rows = rows, .cols = cols};
    return 0;
}

int prle_matrix_copy(prle_matrix *out, const prle_matrix *src)
{
    prle_matrix m = {0};
    int err = prle_matrix_alloc(&m, src->rows, src->cols);
    if (err < 0)
        return err;
    if (src->rows && src->cols)
        memcpy(m.data, src->data, src->rows * src->cols * sizeof(float));
    *out = m;
    return 0;
}

void prle_matrix_dispose(prle_matrix *m)
{
    if (!m)
        return;
    if (m->map_base_)
        munmap(m->map_base_, m->map_len_);
    else
        prle_free(m->data);
    *m = (prle_matrix){0};
}

bool prle_matrix_is_mapped(const prle_matrix *m)
{
    return m->map_base_ != NULL;
}

void prle__matrix_col_mean(double *mean, const prle_matrix *x)
{
    size_t n = x->rows, d = x->cols;
    memset(mean, 0, d * sizeof *mean);
    for (size_t i = 0; i < n; i++) {
        const float *r = prle_matrix_row(x, i);
        for (size_t j = 0; j < d; j++)
            mean[j] += r[j];
    }
    for (size_t j = 0; j < d; j++)
        mean[j] /= (double)n;
}

void prle__matrix_col_scale(double *scale, const double *mean, const prle_matrix *x)
{
    size_t n = x->rows, d = x->cols;
    memset(scale, 0, d * sizeof *scale);
    for (size_t i = 0; i < n; i++) {
        const float *r = prle_matrix_row(x, i);
        for (size_t j = 0; j < d; j++) {
            double t = r[j] - mean[j];
            scale[j] += t * t;
        }
    }
    /* scikit-learn's StandardScaler (_is_constant_feature, 1.x): a column is constant, and
     * left unscaled, when var <= n eps var + (n mean eps)^2, the rounding of the sums that
     * made var; a column of any scale that varies is scaled (the absolute floor of 2.2e-15
     * before read features of scale 1e-15 as constant) */
    const double eps = 2.220446049250313e-16, dn = (double)n;
    for (size_t j = 0; j < d; j++) {
        double var = scale[j] / dn,
               bound = dn * eps * var + (dn * mean[j] * eps) * (dn * mean[j] * eps);
        scale[j] = var <= bound ? 1.0 : sqrt(var);
    }
}

int prle__check_finite(const prle_matrix *m, const char *what)
{
    for (size_t i = 0; i < m->rows; i++) {
        const float *r = prle_matrix_row(m, i);
        for (size_t j = 0; j < m->cols; j++)
            if (!isfinite(r[j]))
                return prle__error_set(PRLE_EINVAL, "%s: row %zu (0-based), column %zu is %s", what,
                                       i, j, isnan(r[j]) ? "nan" : "infinite");
    }
    return 0;
}

int prle__matrix_stack(prle_matrix *out, float **y, const prle_matrix *a, const float *ya,
                       const prle_matrix *b, const float *yb, const char *what)
{
    size_t na = a->rows, nb = b->rows, d = a->cols;
    int err = prle_matrix_alloc(out, na + nb, d);
    if (err < 0)
        return err;
    if (na)
        memcpy(out->data, a->data, na * d * sizeof(float));
    if (nb)
        memcpy(out->data + na * d, b->data, nb * d * sizeof(float));
    if (!y)
        return 0;
    if (!(*y = malloc((na + nb ? na + nb : 1) * sizeof **y)))
        return prle__error_nomem(what);
    if (na)
        memcpy(*y, ya, na * sizeof **y);
    if (nb)
        memcpy(*y + na, yb, nb * sizeof **y);
    return 0;
}
