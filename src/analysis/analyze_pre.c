/* The value map's affinities ahead of the analysis. `prle run` computes them on one thread
 * beside its stage 2 (the experts' Adam steps and the evaluation keep one core of two busy, so
 * the other would wait), and the analysis that follows adopts them (analyze_jobs.c): on STS-B
 * the 0.7 s its affinities took on both threads before its oracle and optimisations. The map
 * is the same bits either way: its affinities do not depend on the thread count. */
#include <string.h>

#include "analysis/analyze_int.h"
#include "core/progress.h"

prle_tsne_params prle__analysis_tsne_params(size_t n_map, uint64_t seed)
{
    prle_tsne_params tp = prle_tsne_default_params();
    tp.perplexity = 30;
    if (3.0 * tp.perplexity > (double)n_map - 1.0)
        tp.perplexity = ((double)n_map - 1.0) / 3.0;
    tp.seed = seed;
    return tp;
}

int prle__analysis_pre_compute(prle__analysis_pre *pre, const prle_matrix *z, uint64_t seed,
                               const prle_analyze_params *p, int n_threads)
{
    *pre = (prle__analysis_pre){0};
    size_t n = 0, d = z[0].cols, at = 0;
    for (int s = 0; s < PRLE__N_SPLITS; s++) {
        if (z[s].cols != d)
            return 0; /* the analysis says what is wrong */
        n += z[s].rows;
    }
    if (!p->tsne || !prle_analyze_has_rows(z[0].rows, z[2].rows) ||
        (p->tsne_max_rows && n > p->tsne_max_rows))
        return 0;
    double t0 = prle__now();
    int err = prle_matrix_alloc(&pre->rows, n, d);
    for (int s = 0; err == 0 && s < PRLE__N_SPLITS; at += z[s++].rows)
        if (z[s].rows)
            memcpy(prle_matrix_row(&pre->rows, at), z[s].data, z[s].rows * d * sizeof(float));
    pre->tp = prle__analysis_tsne_params(n, seed);
    pre->tp.n_threads = n_threads;
    if (err == 0 && (err = prle__tsne_prepare(&pre->prep, &pre->rows, &pre->tp)) == 0) {
        pre->ready = true;
        pre->seconds = prle__now() - t0;
        return 0;
    }
    prle_matrix_dispose(&pre->rows);
    *pre = (prle__analysis_pre){0};
    return err;
}

void prle__analysis_pre_dispose(prle__analysis_pre *pre)
{
    prle__tsne_prep_dispose(&pre->prep);
    prle_matrix_dispose(&pre->rows);
    *pre = (prle__analysis_pre){0};
}
