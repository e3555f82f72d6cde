/* A finished t-SNE map kept beside the rows it maps: the retrieval space's map lives in the
 * embedding cache folder, as the embeddings do. The same rows (their sha256), parameters,
 * library version and SIMD width give the same map, bit for bit, so prle analyze reads it
 * instead of computing it again; anything else is a miss and the map is computed and stored
 * over it. One safetensors file: tensor "xy" (n, 2) and metadata "key" plus the figures of the
 * run that made it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/tsne_int.h"
#include "core/cpu.h"
#include "core/error.h"
#include "data/download.h"
#include "prle/common.h"
#include "prle/safetensors.h"

/* The arithmetic's revision: raised when a change moves a map's bits (2: the FFT's charges
 * spread and read back four lanes at a time; 3: a cell's near list), so a map from an older build
 * is computed again. */
#define MAP_REVISION 3

/* Everything the map depends on, as one line. */
static int cache_key(char *out, size_t len, const prle_matrix *x, const prle_tsne_params *p)
{
    char sha[65];
    int err = prle__sha256_hex(sha, x->data, x->rows * x->cols * sizeof(float));
    if (err < 0)
        return err;
    snprintf(out, len,
             "prle %s map %d simd %d rows %zu cols %zu sha256 %s perplexity %.17g theta %.17g "
             "method %d n_iter %d exaggeration_iter %d early_exaggeration %.17g "
             "learning_rate %.17g momentum_early %.17g momentum %.17g min_gain %.17g "
             "min_grad_norm %.17g n_iter_without_progress %d init %d knn %d seed %" PRIu64,
             prle_version(), MAP_REVISION, prle__cpu_avx2_fma() ? 8 : 4, x->rows, x->cols, sha,
             p->perplexity, p->theta, (int)p->method, p->n_iter, p->exaggeration_iter,
             p->early_exaggeration, p->learning_rate, p->momentum_early, p->momentum, p->min_gain,
             p->min_grad_norm, p->n_iter_without_progress, (int)p->init, (int)p->knn, p->seed);
    return 0;
}

static double meta_number(const prle_st_file *f, const char *key, bool *ok)
{
    const char *v = prle_st_metadata_get(f, key);
    char *end = NULL;
    double d = v ? strtod(v, &end) : 0.0;
    if (!v || end == v || *end)
        *ok = false;
    return d;
}

int prle__tsne_cache_load(prle_matrix *xy, prle_tsne_info *info, const char *path,
                          const prle_matrix *x, const prle_tsne_params *p)
{
    char key[512];
    prle_st_file *f = NULL;
    int err = cache_key(key, sizeof key, x, p), hit = 0;
    if (err < 0)
        return err;
    if (prle_st_open(&f, path) < 0) {
        prle_error_clear(); /* no file, or not one we can read: a miss */
        return 0;
    }
    const char *have = prle_st_metadata_get(f, "key");
    if (have && strcmp(have, key) == 0) {
        prle_tsne_info in = {0};
        bool ok = true;
        in.kl_divergence = meta_number(f, "kl_divergence", &ok);
        in.n_iter = (int)meta_number(f, "n_iter", &ok);
        in.learning_rate = meta_number(f, "learning_rate", &ok);
        in.learning_rate_early = meta_number(f, "learning_rate_early", &ok);
        in.n_neighbors = (size_t)meta_number(f, "n_neighbors", &ok);
        in.seconds_knn = meta_number(f, "seconds_knn", &ok);
        in.seconds_affinity = meta_number(f, "seconds_affinity", &ok);
        in.seconds_init = meta_number(f, "seconds_init", &ok);
        in.seconds_optimize = meta_number(f, "seconds_optimize", &ok);
        if (ok && (err = prle_st_load_matrix(xy, f, "xy")) == 0 && xy->rows == x->rows &&
            xy->cols == 2) {
            *info = in;
            hit = 1;
        } else if (err != PRLE_ENOMEM) {
            prle_matrix_dispose(xy);
            prle_error_clear();
            err = 0;
        }
    }
    prle_st_free(f);
    return err < 0 ? err : hit;
}

void prle__tsne_cache_store(const char *path, const prle_matrix *x, const prle_tsne_params *p,
                            const prle_matrix *xy, const prle_tsne_info *info)
{
    char key[512], v[64];
    prle_st_writer *w = NULL;
    struct {
        const char *name;
        double value;
    } const figures[] = {{"kl_divergence", info->kl_divergence},
                         {"n_iter", info->n_iter},
                         {"learning_rate", info->learning_rate},
                         {"learning_rate_early", info->learning_rate_early},
                         {"n_neighbors", (double)info->n_neighbors},
                         {"seconds_knn", info->seconds_knn},
                         {"seconds_affinity", info->seconds_affinity},
                         {"seconds_init", info->seconds_init},
                         {"seconds_optimize", info->seconds_optimize}};
    int err = cache_key(key, sizeof key, x, p);
    if (err == 0 && (err = prle_st_writer_new(&w)) == 0 &&
        (err = prle_st_writer_set_metadata(w, "key", key)) == 0)
        for (size_t i = 0; err == 0 && i < sizeof figures / sizeof figures[0]; i++) {
            snprintf(v, sizeof v, "%.17g", figures[i].value);
            err = prle_st_writer_set_metadata(w, figures[i].name, v);
        }
    if (err == 0 && (err = prle_st_writer_add_matrix(w, "xy", xy)) == 0)
        err = prle_st_writer_save(w, path);
    if (err < 0)
        prle_error_clear(); /* a cache: a folder we cannot write only costs the next run */
    prle_st_writer_free(w);
}
