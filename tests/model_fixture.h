/* Synthetic stage-2 problems for tests/test_model*.c: L2-normalised Gaussian rows and a smooth
 * non-linear label with noise, all from seeded prle_rng streams. */
#ifndef PRLE_TEST_MODEL_FIXTURE_H
#define PRLE_TEST_MODEL_FIXTURE_H

#include <math.h>
#include <stdlib.h>

#include "prle/prle.h"

/** z (n, d) unit rows, y (n) = 2.5 + 1.5 sin(3 z0) + z1 - 2 z2^2 + noise N(0, noise^2). */
static inline int mfx_problem(prle_matrix *z, float **y, size_t n, size_t d, uint64_t seed,
                              double noise)
{
    prle_rng r;
    prle_rng_init(&r, seed, "test.model.problem", 0);
    if (prle_matrix_alloc(z, n, d) < 0 || !(*y = malloc(n * sizeof **y)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        float *zi = prle_matrix_row(z, i);
        double s = 0;
        for (size_t k = 0; k < d; k++) {
            zi[k] = (float)prle_rng_normal(&r);
            s += (double)zi[k] * zi[k];
        }
        for (size_t k = 0; k < d; k++)
            zi[k] = (float)(zi[k] / sqrt(s));
        (*y)[i] = (float)(2.5 + 1.5 * sin(3.0 * zi[0]) + zi[1] - 2.0 * zi[2] * zi[2] +
                          noise * prle_rng_normal(&r));
    }
    return 0;
}

/** Params for a quick fit: P prototypes, lr 1e-2, batch 16, `epochs`, patience 3, seed 7. */
static inline prle_model_params mfx_params(size_t np, int epochs)
{
    prle_model_params p = prle_model_default_params();
    p.protos.n_prototypes = np;
    p.learning_rate = 1e-2;
    p.batch_size = 16;
    p.max_epochs = epochs;
    p.patience = 3;
    p.seed = p.protos.seed = p.router.seed = 7;
    p.mlp_hidden = 4;
    p.router.gate_hidden = 6;
    p.label_min = -1;
    p.label_max = 6;
    return p;
}

#endif
