/* Pair features [u, v, u+v, |u−v|, u⊙v] (SPEC.md §3; the original's SentenceEncoder pair mode,
 * after Conneau et al. 2017, InferSent). */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "encode/embed_internal.h"

int prle__pair_features(prle_matrix *out, const prle_matrix *u, const prle_matrix *v, int threads)
{
    if (u->rows != v->rows || u->cols != v->cols)
        return prle__error_set(PRLE_ESHAPE,
                               "pair features: sides of shape (%zu, %zu) and "
                               "(%zu, %zu)",
                               u->rows, u->cols, v->rows, v->cols);
    size_t n = u->rows, d = u->cols, w;
    if (!prle__mul_ok(&w, d, 5))
        return prle__error_nomem("pair features");
    prle_matrix m = {0};
    int err = prle_matrix_alloc(&m, n, w);
    if (err < 0)
        return err;
    int nt = prle__threads_resolve(threads);
    (void)nt; /* unused without OpenMP */
#pragma omp parallel for num_threads(nt) schedule(static) if (n * w > 100000)
    for (size_t i = 0; i < n; i++) {
        const float *a = prle_matrix_row(u, i), *b = prle_matrix_row(v, i);
        float *o = prle_matrix_row(&m, i);
        memcpy(o, a, d * sizeof *o);
        memcpy(o + d, b, d * sizeof *o);
        for (size_t j = 0; j < d; j++) {
            o[2 * d + j] = a[j] + b[j];
            o[3 * d + j] = fabsf(a[j] - b[j]);
            o[4 * d + j] = a[j] * b[j];
        }
    }
    *out = m;
    return 0;
}
