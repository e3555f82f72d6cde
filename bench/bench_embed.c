/* make bench: stage 0 on all of STS-B (8,628 pairs, both sides = 17,256 texts).
 *
 *   embed_glove_sif   encode every text with the cached GloVe vectors + pair features
 *                     (target: <= 1 s); skipped when the default vector cache is missing
 *   embed_hashing     the same with the hashing encoder (fit on train + encode)
 *   embed_cache_*     prle_embed end to end into a scratch folder: build, then reuse
 *
 * Each case checks its result against a second path first (1 thread vs all threads byte for
 * byte, and the cache's .npy against the in-memory result), then prints one line: name,
 * sizes, threads, median ms. Data: $PRLE_DATA_DIR, else ../shared/data (from the repo root).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "core/threads.h"
#include "encode/embed_internal.h"
#include "prle/vectors.h"

#define NSPLIT PRLE_N_SPLITS

/* Encodes both sides of every split and builds the pair features: out[s] (n_s, 5d). */
static int embed_all(prle_matrix out[NSPLIT], prle_encoder *enc, const prle_dataset *ds, bool fit,
                     int threads)
{
    int err = 0;
    if (fit) {
        size_t n = prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN);
        const char **t = malloc(2 * n * sizeof *t);
        if (!t)
            return PRLE_ENOMEM;
        memcpy(t, prle_dataset_texts(ds, PRLE_SPLIT_TRAIN, 0), n * sizeof *t);
        memcpy(t + n, prle_dataset_texts(ds, PRLE_SPLIT_TRAIN, 1), n * sizeof *t);
        err = prle_encoder_fit(enc, t, 2 * n);
        free(t);
    }
    for (int s = 0; s < NSPLIT && err == 0; s++) {
        prle_matrix u = {0}, v = {0};
        size_t n = prle_dataset_n_rows(ds, (prle_split)s);
        if ((err = prle_encoder_encode(&u, enc, prle_dataset_texts(ds, (prle_split)s, 0), n,
                                       NULL)) == 0 &&
            (err = prle_encoder_encode(&v, enc, prle_dataset_texts(ds, (prle_split)s, 1), n,
                                       NULL)) == 0)
            err = prle__pair_features(&out[s], &u, &v, threads);
        prle_matrix_dispose(&u);
        prle_matrix_dispose(&v);
    }
    return err;
}

static void dispose_all(prle_matrix m[NSPLIT])
{
    for (int s = 0; s < NSPLIT; s++)
        prle_matrix_dispose(&m[s]);
}

static bool equal_all(const prle_matrix a[NSPLIT], const prle_matrix b[NSPLIT])
{
    for (int s = 0; s < NSPLIT; s++)
        if (a[s].rows != b[s].rows || a[s].cols != b[s].cols ||
            memcmp(a[s].data, b[s].data, a[s].rows * a[s].cols * sizeof(float)) != 0)
            return false;
    return true;
}

static int config_for(prle_config *cfg, const char *data_dir, const char *const *over, size_t n)
{
    char buf[1200];
    int err = prle_config_default(cfg);
    const char *base[] = {"data.name=stsb", "data.combine_fields=false"};
    for (size_t i = 0; err == 0 && i < 2; i++)
        err = prle_config_override(cfg, base[i]);
    snprintf(buf, sizeof buf, "data.data_dir=%s", data_dir);
    if (err == 0)
        err = prle_config_override(cfg, buf);
    for (size_t i = 0; err == 0 && i < n; i++)
        err = prle_config_override(cfg, over[i]);
    return err;
}

/* Times the encoder a config names on all of STS-B; `fit` times the fit too. */
static int bench_encoder(const char *name, const prle_config *cfg, const prle_dataset *ds,
                         bool fit_each_rep)
{
    int threads = prle__threads_resolve(0), err;
    prle_encoder *enc = NULL;
    prle_matrix ref[NSPLIT] = {{0}}, got[NSPLIT] = {{0}};
    size_t texts = 0;
    for (int s = 0; s < NSPLIT; s++)
        texts += 2 * prle_dataset_n_rows(ds, (prle_split)s);

    /* reference: one thread */
    prle_config one = *cfg;
    one.train.threads = 1;
    if ((err = prle_encoder_new(&enc, &one)) < 0)
        return err;
    err = embed_all(ref, enc, ds, true, 1);
    prle_encoder_free(enc);
    enc = NULL;
    if (err < 0)
        return err;
    if ((err = prle_encoder_new(&enc, cfg)) < 0)
        goto done;
    if ((err = embed_all(got, enc, ds, true, threads)) < 0)
        goto done;
    if (!equal_all(ref, got)) {
        fprintf(stderr, "%s: %d threads differ from 1 thread\n", name, threads);
        err = PRLE_ERROR;
        goto done;
    }
    int reps = bench_reps(7);
    double *ms = malloc((size_t)reps * sizeof *ms);
    for (int r = 0; r < reps && err == 0; r++) {
        dispose_all(got);
        double t0 = prle__now();
        err = embed_all(got, enc, ds, fit_each_rep, threads);
        ms[r] = 1e3 * (prle__now() - t0);
    }
    if (err == 0)
        printf("%-18s stsb %zu texts -> (%zu, %zu)+(%zu)+(%zu) threads=%d median %.1f ms%s\n", name,
               texts, got[0].rows, got[0].cols, got[1].rows, got[2].rows, threads,
               bench_median(ms, (size_t)reps), fit_each_rep ? " (fit included)" : "");
    free(ms);
done:
    prle_encoder_free(enc);
    dispose_all(ref);
    dispose_all(got);
    return err;
}

/* prle_embed into a scratch folder: a forced build, then reuse; the .npy equals memory. */
static int bench_cache(const char *name, prle_config *cfg, const prle_dataset *ds)
{
    char dir[] = "/tmp/prle-bench-embed-XXXXXX", buf[1200];
    if (!mkdtemp(dir))
        return PRLE_EIO;
    snprintf(buf, sizeof buf, "data.embedding_cache_dir=%s", dir);
    int err = prle_config_override(cfg, buf);
    prle_embed_report rep = {0};
    prle_embed_params ep = prle_embed_default_params();
    prle_matrix ref[NSPLIT] = {{0}};
    prle_encoder *enc = NULL;
    int reps = bench_reps(5);
    double *build = malloc((size_t)reps * sizeof *build), *reuse = malloc(reps * sizeof *reuse);
    ep.force = true;
    for (int r = 0; r < reps && err == 0; r++) {
        double t0 = prle__now();
        err = prle_embed(&rep, cfg, ds, &ep);
        build[r] = 1e3 * (prle__now() - t0);
        prle_embed_report_dispose(&rep);
    }
    for (int r = 0; r < reps && err == 0; r++) {
        double t0 = prle__now();
        err = prle_embed(&rep, cfg, ds, NULL);
        reuse[r] = 1e3 * (prle__now() - t0);
        if (err == 0 && !rep.reused) {
            fprintf(stderr, "%s: the cache was not reused: %s\n", name, rep.reason);
            err = PRLE_ERROR;
        }
        prle_embed_report_dispose(&rep);
    }
    if (err == 0 && (err = prle_encoder_new(&enc, cfg)) == 0 &&
        (err = embed_all(ref, enc, ds, true, cfg->train.threads)) == 0) {
        for (int s = 0; s < NSPLIT && err == 0; s++) {
            prle_matrix m = {0};
            if ((err = prle_embed_load(&m, cfg, ds, (prle_split)s)) == 0 &&
                (m.rows != ref[s].rows || m.cols != ref[s].cols ||
                 memcmp(m.data, ref[s].data, m.rows * m.cols * sizeof(float)) != 0)) {
                fprintf(stderr, "%s: the cached %s split differs from memory\n", name,
                        prle_split_name((prle_split)s));
                err = PRLE_ERROR;
            }
            prle_matrix_dispose(&m);
        }
    }
    if (err == 0) {
        printf("%-18s stsb build (fit, encode, write 3 .npy + manifest) threads=%d median "
               "%.1f ms\n",
               name, prle__threads_resolve(0), bench_median(build, (size_t)reps));
        printf("%-18s stsb reuse (manifest + sha256 of the .npy files) median %.1f ms\n", name,
               bench_median(reuse, (size_t)reps));
    }
    prle_encoder_free(enc);
    dispose_all(ref);
    free(build), free(reuse);
    for (int s = 0; s < NSPLIT; s++) {
        char *p = NULL;
        if (prle_embed_path(&p, cfg, (prle_split)s) == 0)
            unlink(p);
        free(p);
    }
    snprintf(buf, sizeof buf, "%s/%s", dir, PRLE_EMBED_MANIFEST);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s/.prle-cache", dir); /* the cache's marker (src/encode/cache.c) */
    unlink(buf);
    if (rmdir(dir) != 0)
        fprintf(stderr, "%s: %s left behind: %s\n", name, dir, strerror(errno));
    return err;
}

int main(void)
{
    prle_init(0);
    const char *data_dir = getenv("PRLE_DATA_DIR");
    if (!data_dir || !*data_dir)
        data_dir = "../shared/data"; /* overrides take relative paths from the cwd */
    const char *abs = data_dir;
    prle_config cfg;
    prle_dataset *ds = NULL;
    int err = config_for(&cfg, abs, NULL, 0);
    prle_dataset_params dp = prle_dataset_default_params();
    dp.allow_download = false;
    if (err == 0)
        err = prle_dataset_load(&ds, &cfg.data, cfg.train.seed, &dp);
    prle_config_dispose(&cfg);
    if (err < 0) {
        fprintf(stderr, "bench_embed: %s\n", prle_last_error());
        return 1;
    }

    /* GloVe SIF with the cached default vectors, when present (no download in a bench) */
    char vpath[1024];
    struct stat st;
    const char *glove[] = {"model.encoder_type=glove", "model.pooling=sif"};
    if (prle_vectors_default_path(vpath, sizeof vpath) == 0 && stat(vpath, &st) == 0) {
        if ((err = config_for(&cfg, abs, glove, 2)) == 0)
            err = bench_encoder("embed_glove_sif", &cfg, ds, false);
        if (err == 0)
            err = bench_cache("embed_cache_glove", &cfg, ds);
        prle_config_dispose(&cfg);
    } else {
        printf("%-18s skipped: no vector cache at %s (prle embed configs/stsb-glove.yaml "
               "makes it)\n",
               "embed_glove_sif", vpath);
    }
    const char *hashing[] = {"model.encoder_type=hashing", "model.hidden_dim=256"};
    if (err == 0 && (err = config_for(&cfg, abs, hashing, 2)) == 0) {
        err = bench_encoder("embed_hashing", &cfg, ds, true);
        if (err == 0)
            err = bench_cache("embed_cache_hashing", &cfg, ds);
        prle_config_dispose(&cfg);
    }
    prle_dataset_free(ds);
    if (err < 0) {
        fprintf(stderr, "bench_embed: %s\n", prle_last_error());
        return 1;
    }
    return 0;
}
