#include "nn/param_buf.h"

#include <string.h>

#include "core/error.h"
#include "prle/matrix.h"

size_t prle__param_layout(size_t *offsets, const size_t *sizes, size_t count, bool *overflow)
{
    size_t total = 0;
    *overflow = false;
    for (size_t i = 0; i < count; i++) {
        size_t padded;
        if (!prle__add_ok(&padded, sizes[i], 15)) {
            *overflow = true;
            return 0;
        }
        padded &= ~(size_t)15;
        offsets[i] = total;
        if (!prle__add_ok(&total, total, padded)) {
            *overflow = true;
            return 0;
        }
    }
    return total;
}

static float *alloc_floats(size_t n)
{
    size_t bytes;
    if (!prle__mul_ok(&bytes, n ? n : 1, sizeof(float)))
        return NULL;
    float *p = prle_aligned_alloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

int prle__param_buf_alloc(prle__param_buf *pb, size_t n, size_t n_train)
{
    PRLE_ASSERT(n_train <= n);
    memset(pb, 0, sizeof *pb);
    if (!(pb->params = alloc_floats(n)))
        return prle__error_nomem("network parameters");
    pb->n = n;
    pb->n_train = n_train;
    return 0;
}

int prle__param_buf_alloc_train(prle__param_buf *pb)
{
    prle__param_buf_free_train(pb);
    pb->grads = alloc_floats(pb->n_train);
    pb->m = alloc_floats(pb->n_train);
    pb->v = alloc_floats(pb->n_train);
    if (!pb->grads || !pb->m || !pb->v) {
        prle__param_buf_free_train(pb);
        return prle__error_nomem("gradients and Adam moments");
    }
    return 0;
}

void prle__param_buf_free_train(prle__param_buf *pb)
{
    prle_free(pb->grads);
    prle_free(pb->m);
    prle_free(pb->v);
    pb->grads = pb->m = pb->v = NULL;
}

void prle__param_buf_dispose(prle__param_buf *pb)
{
    prle__param_buf_free_train(pb);
    prle_free(pb->params);
    memset(pb, 0, sizeof *pb);
}

void prle__param_buf_zero_grad(prle__param_buf *pb)
{
    if (pb->grads)
        memset(pb->grads, 0, pb->n_train * sizeof(float));
}
