/* prle analyze RUN (SPEC.md §7): reads a run folder (docs/run-folder.md) and writes
 * analysis.json: the distance-label correlation of retrieval and value space on the training
 * rows (the computation of kernel_report.json), the oracle MoE in value space (SVR and linear,
 * k = model.num_prototypes), and t-SNE maps of train + validation + test in both spaces. */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze_int.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/threads.h"
#include "prle/config.h"
#include "prle/dataset.h"
#include "prle/embed.h"
#include "prle/npy.h"
#include "prle/prototypes.h"
#include "prle/safetensors.h"

#define N_SPLITS 3

prle_analyze_params prle_analyze_default_params(void)
{
    return (prle_analyze_params){.correlation = true,
                                 .oracle_moe = true,
                                 .tsne = true,
                                 .n_threads = 0,
                                 .progress = NULL,
                                 .progress_ud = NULL,
                                 .oracle_svr = prle_svr_default_params(),
                                 .oracle_ridge = prle_ridge_default_params()};
}

/* What the run folder gives. */
typedef struct run_data {
    prle_config cfg;
    prle_dataset *ds;
    prle_embed_report rep;
    prle_matrix xr[N_SPLITS]; /* retrieval */
    prle_matrix xv[N_SPLITS]; /* value */
    size_t n[N_SPLITS];
    size_t *protos;
    size_t n_protos;
    bool protos_are_medoids; /* the oracle's k-medoids would pick these rows (model_medoids) */
} run_data;

static void run_data_dispose(run_data *r)
{
    for (int s = 0; s < N_SPLITS; s++) {
        prle_matrix_dispose(&r->xr[s]);
        prle_matrix_dispose(&r->xv[s]);
    }
    free(r->protos);
    prle_embed_report_dispose(&r->rep);
    prle_dataset_free(r->ds);
    prle_config_dispose(&r->cfg);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int load_value(run_data *r, const char *run_dir)
{
    int err = 0;
    for (int s = 0; s < N_SPLITS && err == 0; s++) {
        char name[64];
        snprintf(name, sizeof name, "value/%s_embeds.npy", prle_split_name((prle_split)s));
        char *path = join(run_dir, name);
        if (!path)
            return prle__error_nomem("analyze: path");
        if ((err = prle_npy_load(&r->xv[s], path)) == PRLE_ENOTFOUND)
            err = prle__error_set(PRLE_ENOTFOUND,
                                  "%s not found: run prle kernel on the run's "
                                  "config first",
                                  path);
        else if (err == 0 && r->xv[s].rows != r->n[s])
            err = prle__error_set(PRLE_EFORMAT, "%s has %zu rows, the %s split %zu", path,
                                  r->xv[s].rows, prle_split_name((prle_split)s), r->n[s]);
        else if (err == 0 && r->xv[s].cols != r->xv[0].cols)
            err = prle__error_set(PRLE_EFORMAT, "%s is %zu wide, the train rows %zu", path,
                                  r->xv[s].cols, r->xv[0].cols);
        free(path);
    }
    return err;
}

/* The stage 0 cache the run's config names, checked against its manifest, never rebuilt. */
static int load_retrieval(run_data *r)
{
    int err;
    bool skip = r->cfg.model.skip_loading_encoder;
    r->cfg.model.skip_loading_encoder = true;
    err = prle_embed(&r->rep, &r->cfg, r->ds, NULL);
    r->cfg.model.skip_loading_encoder = skip;
    if (err < 0)
        return err;
    for (int s = 0; s < N_SPLITS; s++)
        if ((err = prle_embed_load(&r->xr[s], &r->cfg, r->ds, (prle_split)s)) < 0)
            return err;
    return 0;
}

/* Whether the model's prototypes are what the oracle's k-medoids would choose, so they can be
 * taken instead of choosing again (0.8 s at STS-B): picked by k-medoids with the run's seed and
 * k, and their vectors the value space's training rows bit for bit (the model was fitted on
 * this value space; the selection is deterministic for any thread count). */
static bool model_medoids(const run_data *r, const prle_st_file *f)
{
    const char *init = prle_st_metadata_get(f, "init_strategy");
    const char *seed = prle_st_metadata_get(f, "seed");
    char want[32];
    prle_matrix pv = {0};
    size_t k = r->cfg.model.num_prototypes, d = r->xv[0].cols;
    bool same = false;
    snprintf(want, sizeof want, "%" PRIu64, r->cfg.train.seed);
    if (!init || strcmp(init, prle_proto_method_name(PRLE_PROTO_KMEDOIDS)) != 0 || !seed ||
        strcmp(seed, want) != 0 || r->n_protos != k ||
        prle_st_load_matrix(&pv, f, "prototypes") < 0) {
        prle_error_clear();
        return false;
    }
    if (pv.rows == k && pv.cols == d) {
        same = true;
        for (size_t s = 0; s < k && same; s++)
            same = memcmp(prle_matrix_row(&pv, s), prle_matrix_row(&r->xv[0], r->protos[s]),
                          d * sizeof(float)) == 0;
    }
    prle_matrix_dispose(&pv);
    return same;
}

/* prototype_rows of model.safetensors (i64, or integral floats); none when there is no model */
static int load_protos(run_data *r, const char *run_dir)
{
    int err;
    prle_st_file *f = NULL;
    prle_st_tensor_info ti;
    int64_t *v = NULL;
    char *path = join(run_dir, "model.safetensors");
    if (!path)
        return prle__error_nomem("analyze: path");
    if ((err = prle_st_open(&f, path)) == PRLE_ENOTFOUND) {
        prle_error_clear();
        err = 0; /* no stage 2 model: no prototypes to mark */
        goto done;
    }
    if (err < 0)
        goto done; /* the message names the file */
    if ((err = prle_st_find(&ti, f, "prototype_rows")) < 0)
        goto fail;
    if (ti.numel == 0 || !(v = malloc(ti.numel * sizeof *v)) ||
        !(r->protos = malloc(ti.numel * sizeof(size_t)))) {
        err = ti.numel ? prle__error_nomem("analyze: prototypes")
                       : prle__error_set(PRLE_EFORMAT, "prototype_rows is empty");
        goto fail;
    }
    if ((err = prle_st_read_i64(v, ti.numel, f, "prototype_rows")) == PRLE_EFORMAT) {
        double *dv = (double *)malloc(ti.numel * sizeof(double));
        if (!dv) {
            err = prle__error_nomem("analyze: prototypes");
            goto fail;
        }
        if ((err = prle_st_read_f64(dv, ti.numel, f, "prototype_rows")) == 0)
            for (size_t i = 0; i < ti.numel; i++)
                v[i] = dv[i] == floor(dv[i]) && fabs(dv[i]) < 9e15 ? (int64_t)dv[i] : -1;
        free(dv);
    }
    if (err < 0)
        goto fail;
    for (size_t i = 0; i < ti.numel; i++) {
        if (v[i] < 0 || (uint64_t)v[i] >= r->n[0]) {
            err = prle__error_set(PRLE_EFORMAT,
                                  "prototype_rows[%zu] = %lld is not a training row "
                                  "(%zu rows)",
                                  i, (long long)v[i], r->n[0]);
            goto fail;
        }
        r->protos[i] = (size_t)v[i];
    }
    r->n_protos = ti.numel;
    r->protos_are_medoids = model_medoids(r, f);
    goto done;
fail:
    if (err != PRLE_ENOMEM)
        prle__error_prefix(err, "%s", path);
done:
    free(v);
    free(path);
    prle_st_free(f);
    return err;
}

/* rows of three splits one after the other into a new (sum, d) matrix */
static int stack(prle_matrix *out, const prle_matrix *x, int count)
{
    size_t rows = 0, d = x[0].cols, at = 0;
    for (int s = 0; s < count; s++) {
        if (x[s].cols != d)
            return prle__error_set(PRLE_ESHAPE, "analyze: widths differ: %zu and %zu", d,
                                   x[s].cols);
        rows += x[s].rows;
    }
    int err = prle_matrix_alloc(out, rows, d);
    if (err < 0)
        return err;
    for (int s = 0; s < count; s++) {
        if (x[s].rows)
            memcpy(prle_matrix_row(out, at), x[s].data, x[s].rows * d * sizeof(float));
        at += x[s].rows;
    }
    return 0;
}

/* Progress of one piece of the analysis: the t-SNE maps name their space in the note, and
 * pieces that run side by side reach the caller's callback one at a time. */
typedef struct relay_to {
    prle_progress_fn fn;
    void *ud;
    const char *space; /* NULL: the note as it is */
    pthread_mutex_t *lock;
} relay_to;

static bool relay(const prle_progress *info, void *ud)
{
    const relay_to *t = ud;
    char note[96];
    prle_progress q = *info;
    if (t->space) {
        snprintf(note, sizeof note, "%s %s", t->space, info->note ? info->note : "");
        q.note = note;
    }
    if (t->lock)
        pthread_mutex_lock(t->lock);
    bool go = t->fn(&q, t->ud);
    if (t->lock)
        pthread_mutex_unlock(t->lock);
    return go;
}

/* The oracle's data: value-space rows of train then validation, labels on the 0-1 scale, and
 * the medoids (the model's prototypes when k-medoids would pick them, else k-medoids on the
 * training rows). */
typedef struct oracle_in {
    prle_matrix fit;
    float *yfit, *ytest;
    double seconds_medoids;
    size_t models_done; /* for the progress lines */
} oracle_in;

static void oracle_in_dispose(oracle_in *o)
{
    prle_matrix_dispose(&o->fit);
    free(o->yfit);
    free(o->ytest);
}

static int oracle_prepare(oracle_in *o, size_t *medoids, const prle__analysis *a, const run_data *r,
                          const prle_analyze_params *p)
{
    int err;
    size_t nfit = r->n[0] + r->n[1], k = r->cfg.model.num_prototypes;
    double lo = a->label_min, span = a->label_max - a->label_min, t0 = prle__now();
    if (k < 1 || k > r->n[0])
        return prle__error_set(PRLE_EINVAL,
                               "analyze: model.num_prototypes is %zu, needs 1..%zu (training rows)",
                               k, r->n[0]);
    if (!(span > 0))
        return prle__error_set(PRLE_EINVAL, "analyze: label range [%g, %g] is empty", a->label_min,
                               a->label_max);
    o->yfit = malloc(nfit * sizeof(float));
    o->ytest = malloc((r->n[2] ? r->n[2] : 1) * sizeof(float));
    if (!o->yfit || !o->ytest)
        return prle__error_nomem("analyze: labels");
    for (size_t i = 0; i < nfit; i++) /* train then validation */
        o->yfit[i] = (float)((a->labels[i] - lo) / span);
    for (size_t i = 0; i < r->n[2]; i++)
        o->ytest[i] = (float)((a->labels[nfit + i] - lo) / span);
    if ((err = stack(&o->fit, r->xv, 2)) < 0)
        return err;
    if (r->protos_are_medoids) {
        memcpy(medoids, r->protos, k * sizeof *medoids);
        return 0;
    }
    prle_proto_params pp = prle_proto_default_params();
    pp.method = PRLE_PROTO_KMEDOIDS;
    pp.n_prototypes = k;
    pp.seed = r->cfg.train.seed;
    pp.n_threads = p->n_threads;
    prle_matrix head = {o->fit.data, r->n[0], o->fit.cols, NULL, 0}; /* the training rows */
    err = prle_prototypes_select(medoids, NULL, &head, &pp);
    o->seconds_medoids = prle__now() - t0;
    return err;
}

/* Oracle model m (0 SVR, 1 linear) on `nt` threads; experts on train + validation. */
static int oracle_fit(prle__analysis *a, oracle_in *o, const size_t *medoids, const run_data *r,
                      const prle_analyze_params *p, int m, int nt, relay_to *rl)
{
    double t0 = prle__now();
    prle_oracle_params op = prle_oracle_default_params();
    op.model = m ? PRLE_ORACLE_LINEAR : PRLE_ORACLE_SVR;
    op.svr = p->oracle_svr;
    op.ridge = p->oracle_ridge;
    op.n_threads = nt;
    op.progress = rl->fn ? relay : NULL; /* the fits one by one: "oracle:svr", "oracle:linear" */
    op.progress_ud = rl;
    int err = prle_oracle_moe_eval(&a->oracle[m], NULL, NULL, &o->fit, o->yfit, medoids,
                                   r->cfg.model.num_prototypes, &r->xv[2], o->ytest, &op);
    if (err < 0)
        return err;
    if (m)
        snprintf(a->oracle_params[m], sizeof a->oracle_params[m], "alpha=%g", op.ridge.alpha);
    else {
        a->oracle[m].seconds += o->seconds_medoids;
        snprintf(a->oracle_params[m], sizeof a->oracle_params[m], "C=%g epsilon=%g gamma=%s",
                 op.svr.C, op.svr.epsilon,
                 op.svr.gamma_mode == PRLE_SVR_GAMMA_SCALE  ? "scale"
                 : op.svr.gamma_mode == PRLE_SVR_GAMMA_AUTO ? "auto"
                                                            : "value");
    }
    size_t done; /* a line as each model ends: "oracle 1/2 (svr)" */
#pragma omp atomic capture
    done = ++o->models_done;
    return rl->fn
               ? prle__progress(relay, rl, "oracle", done, 2, t0, prle_oracle_model_name(op.model))
               : 0;
}

/* The t-SNE map of space s (0 retrieval, 1 value) of train + validation + test. */
static int map_fit(prle__analysis *a, const run_data *r, int s, int nt, relay_to *rl)
{
    static const char *const spaces[2] = {"retrieval", "value"};
    prle_matrix all = {0};
    prle_tsne *t = NULL;
    prle_tsne_params tp = prle_tsne_default_params();
    tp.perplexity = a->perplexity;
    tp.seed = a->seed;
    tp.n_threads = nt;
    if (rl->fn) {
        rl->space = spaces[s];
        tp.progress = relay;
        tp.progress_ud = rl;
    }
    double t0 = prle__now();
    int err;
    if ((err = stack(&all, s ? r->xv : r->xr, N_SPLITS)) == 0 &&
        (err = prle_tsne_fit(&t, &all, &tp)) == 0 &&
        (err = prle_matrix_copy(&a->map[s].xy, prle_tsne_embedding(t))) == 0) {
        a->map[s].info = prle_tsne_get_info(t);
        a->map[s].seconds = prle__now() - t0;
    }
    if (err < 0 && err != PRLE_ENOMEM && err != PRLE_EABORTED)
        prle__error_prefix(err, "t-SNE of the %s space", spaces[s]);
    prle_tsne_free(t);
    prle_matrix_dispose(&all);
    return err;
}

enum { JOB_ORACLE_SVR, JOB_MAP_RETRIEVAL, JOB_MAP_VALUE, JOB_ORACLE_LINEAR };

static int run_job(prle__analysis *a, oracle_in *o, const size_t *medoids, const run_data *r,
                   const prle_analyze_params *p, int job, int nt, pthread_mutex_t *lock)
{
    relay_to rl = {p->progress, p->progress_ud, NULL, lock};
    if (job == JOB_ORACLE_SVR || job == JOB_ORACLE_LINEAR)
        return oracle_fit(a, o, medoids, r, p, job == JOB_ORACLE_LINEAR, nt, &rl);
    return map_fit(a, r, job == JOB_MAP_VALUE, nt, &rl);
}

/* The oracle's two models and the two maps. With two threads and the maps to make, the pieces
 * run side by side, one thread each, the longest first (the SVR: its kernel table, then
 * libsvm's single-threaded fit; the maps; the linear model to whichever thread is free): a
 * piece alone on one thread waits at no barrier. Otherwise one piece after the other, each on
 * every thread. The results do not depend on the thread count. */
static int run_jobs(prle__analysis *a, oracle_in *o, const size_t *medoids, const run_data *r,
                    const prle_analyze_params *p)
{
    int jobs[4], nj = 0, nt = prle__threads_resolve(p->n_threads), err = 0;
    if (p->oracle_moe)
        jobs[nj++] = JOB_ORACLE_SVR;
    if (p->tsne)
        jobs[nj++] = JOB_MAP_RETRIEVAL, jobs[nj++] = JOB_MAP_VALUE;
    if (p->oracle_moe)
        jobs[nj++] = JOB_ORACLE_LINEAR;
    bool side = nt == 2 && p->tsne;
    int codes[4] = {0};
    char msgs[4][1024];
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    a->tsne_method = prle_tsne_default_params().method;
    if (!side) { /* outside any parallel region: each piece's own loops get every thread */
        for (int j = 0; j < nj && err == 0; j++)
            err = run_job(a, o, medoids, r, p, jobs[j], nt, NULL);
        a->has_oracle = p->oracle_moe && err == 0;
        a->has_tsne = p->tsne && err == 0;
        return err;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(2)
    for (int j = 0; j < nj; j++)
        if ((codes[j] = run_job(a, o, medoids, r, p, jobs[j], 1, &lock)) < 0)
            snprintf(msgs[j], sizeof msgs[j], "%s", prle_last_error());
    for (int j = 0; j < nj && err == 0; j++)
        if (codes[j] < 0)
            err = prle__error_set(codes[j], "%s", msgs[j]);
    a->has_oracle = p->oracle_moe && err == 0;
    a->has_tsne = p->tsne && err == 0;
    return err;
}

int prle_analyze_run_summary(prle_analysis_summary *out, const char *run_dir,
                             const prle_analyze_params *p)
{
    int err;
    double t0 = prle__now();
    prle_analyze_params dflt = prle_analyze_default_params();
    run_data r = {0};
    prle__analysis a = {0};
    oracle_in oin = {0};
    float *labels = NULL;
    size_t *medoids = NULL;
    char *path = NULL;
    if (!p)
        p = &dflt;
    if (!run_dir)
        return prle__error_set(PRLE_EINVAL, "analyze: run_dir is NULL");
    if (p->n_threads < 0)
        return prle__error_set(PRLE_EINVAL, "analyze: n_threads must be >= 0, got %d",
                               p->n_threads);

    if (!(path = join(run_dir, "config.yaml"))) {
        err = prle__error_nomem("analyze: path");
        goto done;
    }
    if ((err = prle_config_load(&r.cfg, path)) < 0 ||
        (err = prle_dataset_load(&r.ds, &r.cfg.data, r.cfg.train.seed, NULL)) < 0)
        goto done;
    size_t n_all = 0;
    for (int s = 0; s < N_SPLITS; s++)
        n_all += r.n[s] = prle_dataset_n_rows(r.ds, (prle_split)s);
    if (r.n[0] < 2 || r.n[2] < 2) {
        err = prle__error_set(PRLE_EINVAL, "analyze: needs >= 2 train and test rows, got %zu, %zu",
                              r.n[0], r.n[2]);
        goto done;
    }
    if ((err = load_value(&r, run_dir)) < 0 ||
        ((p->correlation || p->tsne) && (err = load_retrieval(&r)) < 0) ||
        (err = load_protos(&r, run_dir)) < 0)
        goto done;

    a.dataset = prle_dataset_name(r.ds);
    a.label_min = prle_dataset_label_min(r.ds);
    a.label_max = prle_dataset_label_max(r.ds);
    memcpy(a.n, r.n, sizeof a.n);
    a.seed = r.cfg.train.seed;
    a.perplexity = 30;
    a.protos = r.protos;
    a.n_protos = r.n_protos;
    if (!(labels = malloc(n_all * sizeof(float))) ||
        !(medoids = malloc((r.cfg.model.num_prototypes ? r.cfg.model.num_prototypes : 1) *
                           sizeof(size_t)))) {
        err = prle__error_nomem("analyze");
        goto done;
    }
    for (size_t s = 0, at = 0; s < N_SPLITS; at += r.n[s++])
        if (r.n[s])
            memcpy(labels + at, prle_dataset_labels(r.ds, (prle_split)s), r.n[s] * sizeof(float));
    a.labels = labels;

    if (p->correlation) {
        const float *yt = prle_dataset_labels(r.ds, PRLE_SPLIT_TRAIN);
        if ((err = prle_kernel_distance_corr(&a.corr[0], &r.xr[0], yt, PRLE_KERNEL_REPORT_PAIRS,
                                             a.seed, p->n_threads)) < 0 ||
            (err = prle_kernel_distance_corr(&a.corr[1], &r.xv[0], yt, PRLE_KERNEL_REPORT_PAIRS,
                                             a.seed, p->n_threads)) < 0)
            goto done;
        a.has_corr = true;
    }
    if (p->oracle_moe) {
        if ((err = oracle_prepare(&oin, medoids, &a, &r, p)) < 0)
            goto done;
        a.medoids = medoids;
        a.medoids_from_model = r.protos_are_medoids;
    }
    if ((p->oracle_moe || p->tsne) && (err = run_jobs(&a, &oin, medoids, &r, p)) < 0)
        goto done;

    free(path);
    if (!(path = join(run_dir, "analysis.json"))) {
        err = prle__error_nomem("analyze: path");
        goto done;
    }
    if ((err = prle__analysis_write(path, &a)) < 0)
        goto done;
    if (out) {
        prle_analysis_summary sm = {0};
        memcpy(sm.n_rows, r.n, sizeof sm.n_rows);
        sm.n_prototypes = r.n_protos;
        for (int s = 0; s < 2; s++) {
            sm.corr_pearson[s] = a.has_corr ? a.corr[s].pearson : NAN;
            sm.corr_spearman[s] = a.has_corr ? a.corr[s].spearman : NAN;
            sm.tsne_kl[s] = a.has_tsne ? a.map[s].info.kl_divergence : NAN;
            sm.tsne_seconds[s] = a.has_tsne ? a.map[s].seconds : NAN;
            sm.oracle[s] = a.oracle[s];
        }
        sm.n_oracle = a.has_oracle ? 2 : 0;
        sm.seconds = prle__now() - t0;
        *out = sm;
    }
done:
    oracle_in_dispose(&oin);
    prle_matrix_dispose(&a.map[0].xy);
    prle_matrix_dispose(&a.map[1].xy);
    free(labels);
    free(medoids);
    free(path);
    run_data_dispose(&r);
    return err;
}

int prle_analyze_run(const char *run_dir, const prle_analyze_params *p)
{
    return prle_analyze_run_summary(NULL, run_dir, p);
}
