/* The analysis' pieces after the correlation (SPEC.md §7): the oracle MoE's two models and
 * the two t-SNE maps, each map in two halves (affinities, then the optimisation). With two
 * threads the pieces run side by side, one thread each, in the order of `order` below: the SVR
 * (its kernel table, then libsvm's single-threaded fit), the two maps' affinities, their
 * optimisations (each waits for its own affinities), the linear model. A piece alone on one
 * thread waits at no barrier, and a free thread takes the next piece, so the two stay busy to
 * the end (STS-B: 4.2 s, against 7.3 s one piece after the other on both threads). When the
 * retrieval map comes from the embedding cache, the value map's affinities run first on both
 * threads and its optimisation then runs beside the oracle. Otherwise the pieces run one after
 * the other, each on every thread. The results do not depend on the thread count. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze_int.h"
#include "analysis/tsne_int.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/str.h"
#include "core/threads.h"
#include "prle/rng.h"
#include "prle/prototypes.h"

#define N_SPLITS PRLE__N_SPLITS

/* The rows of `count` splits one after the other, or only rows[0 .. n_rows) of them (places in
 * that order, ascending; rows NULL: all), into a new matrix. */
static int stack(prle_matrix *out, const prle_matrix *x, int count, const size_t *rows,
                 size_t n_rows)
{
    size_t all = 0, d = x[0].cols, at = 0, first = 0;
    for (int s = 0; s < count; s++) {
        if (x[s].cols != d)
            return prle__error_set(PRLE_ESHAPE, "analyze: widths differ: %zu and %zu", d,
                                   x[s].cols);
        all += x[s].rows;
    }
    int err = prle_matrix_alloc(out, rows ? n_rows : all, d);
    if (err < 0)
        return err;
    for (int s = 0; s < count; first += x[s++].rows) {
        if (!rows) {
            if (x[s].rows)
                memcpy(prle_matrix_row(out, at), x[s].data, x[s].rows * d * sizeof(float));
            at += x[s].rows;
            continue;
        }
        for (; at < n_rows && rows[at] < first + x[s].rows; at++)
            memcpy(prle_matrix_row(out, at), prle_matrix_row(&x[s], rows[at] - first),
                   d * sizeof(float));
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

/* The oracle's data: value-space rows of train then validation (all, or a seeded sample of at
 * most oracle_max_rows), labels on the 0-1 scale, and the medoids (the model's prototypes when
 * k-medoids would pick them, else k-medoids on the training rows fitted on). */
typedef struct oracle_in {
    prle_matrix fit;
    float *yfit, *ytest;
    size_t *rows;    /* the fit rows' places in train then validation; NULL: all of them */
    size_t *med_fit; /* the medoids as rows of `fit` */
    double seconds_medoids;
    size_t models_done; /* for the progress lines */
} oracle_in;

static void oracle_in_dispose(oracle_in *o)
{
    prle_matrix_dispose(&o->fit);
    free(o->yfit);
    free(o->ytest);
    free(o->rows);
    free(o->med_fit);
}

/* `take` of the `n` rows from `first` on, drawn from stream (seed, `stream`, split), in
 * ascending order, into out. */
static int sample_rows(size_t *out, size_t first, size_t n, size_t take, uint64_t seed,
                       const char *stream, uint64_t split)
{
    prle_rng rng;
    prle_rng_init(&rng, seed, stream, split);
    int err = prle_rng_sample(&rng, out, n, take);
    for (size_t i = 0; err == 0 && i < take; i++)
        out[i] += first;
    return err;
}

/* The rows of `count` splits (n[s] each) a sample of `cap` takes: each split's share rounded,
 * the first at least `least`, the last what is left of cap; none more than its split has. */
static void split_shares(size_t *take, const size_t *n, int count, size_t cap, size_t least)
{
    size_t all = 0, total = 0;
    for (int s = 0; s < count; s++)
        all += n[s];
    for (int s = 0; s < count; s++) {
        size_t want = (size_t)((double)cap * (double)n[s] / (double)all + 0.5);
        size_t left = cap > total ? cap - total : 0;
        want = s == 0 && want < least ? least : want; /* even beyond cap */
        want = s > 0 && (want > left || s == count - 1) ? left : want;
        take[s] = want > n[s] ? n[s] : want;
        total += take[s];
    }
}

/* The rows the oracle fits on: all of train then validation (*n_train = n[0], *n_use = n[0] +
 * n[1]), or when they are more than p->oracle_max_rows a sample of each split in proportion
 * (at least k training rows) in o->rows. */
static int oracle_sample(oracle_in *o, size_t *n_train, size_t *n_use, const prle__run_data *r,
                         const prle_analyze_params *p)
{
    size_t n0 = r->n[0], n1 = r->n[1], nfit = n0 + n1, cap = p->oracle_max_rows, take[2];
    *n_train = n0, *n_use = nfit;
    if (!cap || nfit <= cap)
        return 0;
    split_shares(take, r->n, 2, cap, r->k);
    size_t take0 = take[0], take1 = take[1];
    if (!(o->rows = malloc((take0 + take1 ? take0 + take1 : 1) * sizeof *o->rows)))
        return prle__error_nomem("analyze: oracle rows");
    const char *stream = "analyze.oracle.rows";
    int err = sample_rows(o->rows, 0, n0, take0, r->cfg.train.seed, stream, 0);
    if (err == 0)
        err = sample_rows(o->rows + take0, n0, n1, take1, r->cfg.train.seed, stream, 1);
    *n_train = take0, *n_use = take0 + take1;
    return err;
}

static int oracle_prepare(oracle_in *o, size_t *medoids, const prle__analysis *a,
                          const prle__run_data *r, const prle_analyze_params *p)
{
    int err;
    size_t nfit = r->n[0] + r->n[1], k = r->k, n_train, nuse;
    double lo = a->label_min, span = a->label_max - a->label_min, t0 = prle__now();
    if (k < 1 || k > r->n[0])
        return prle__error_set(PRLE_EINVAL,
                               "analyze: model.num_prototypes is %zu, needs 1..%zu (training rows)",
                               k, r->n[0]);
    if (!(span > 0))
        return prle__error_set(PRLE_EINVAL, "analyze: label range [%g, %g] is empty", a->label_min,
                               a->label_max);
    if ((err = oracle_sample(o, &n_train, &nuse, r, p)) < 0)
        return err;
    o->yfit = malloc(nuse * sizeof(float));
    o->ytest = malloc((r->n[2] ? r->n[2] : 1) * sizeof(float));
    o->med_fit = malloc(k * sizeof *o->med_fit);
    if (!o->yfit || !o->ytest || !o->med_fit)
        return prle__error_nomem("analyze: labels");
    for (size_t i = 0; i < nuse; i++) /* train then validation */
        o->yfit[i] = (float)((a->labels[o->rows ? o->rows[i] : i] - lo) / span);
    for (size_t i = 0; i < r->n[2]; i++)
        o->ytest[i] = (float)((a->labels[nfit + i] - lo) / span);
    if ((err = stack(&o->fit, r->xv, 2, o->rows, nuse)) < 0)
        return err;
    if (!o->rows && r->protos_are_medoids) {
        memcpy(medoids, r->protos, k * sizeof *medoids);
        memcpy(o->med_fit, medoids, k * sizeof *medoids);
        return 0;
    }
    prle_proto_params pp = prle_proto_default_params();
    pp.method = PRLE_PROTO_KMEDOIDS;
    pp.n_prototypes = k;
    pp.seed = r->cfg.train.seed;
    pp.n_threads = p->n_threads;
    prle_matrix head = {o->fit.data, n_train, o->fit.cols, NULL, 0}; /* the training rows */
    err = prle_prototypes_select(o->med_fit, NULL, &head, &pp);
    for (size_t s = 0; err == 0 && s < k; s++) /* as training rows */
        medoids[s] = o->rows ? o->rows[o->med_fit[s]] : o->med_fit[s];
    o->seconds_medoids = prle__now() - t0;
    return err;
}

/* The rows the maps show (a->tsne_rows, a->tsne_n): all, or when there are more than
 * p->tsne_max_rows a sample of each split in proportion, the training rows' sample made of the
 * prototype rows and a draw from the others. */
static int tsne_sample(prle__analysis *a, const prle__run_data *r, const prle_analyze_params *p)
{
    size_t n0 = r->n[0], all = n0 + r->n[1] + r->n[2], cap = p->tsne_max_rows;
    size_t take[N_SPLITS], total = 0, np = 0, no = 0;
    memcpy(a->tsne_n, r->n, sizeof a->tsne_n);
    if (!cap || all <= cap)
        return 0;
    bool *keep = calloc(n0 ? n0 : 1, sizeof *keep); /* the training rows taken */
    size_t *others = malloc((n0 ? n0 : 1) * sizeof *others);
    int err = keep && others ? 0 : prle__error_nomem("analyze: t-SNE rows");
    for (size_t i = 0; err == 0 && i < r->n_protos; i++)
        if (r->protos[i] < n0 && !keep[r->protos[i]])
            keep[r->protos[i]] = true, np++;
    for (size_t i = 0; err == 0 && i < n0; i++)
        if (!keep[i])
            others[no++] = i;
    split_shares(take, r->n, N_SPLITS, cap, np); /* every prototype, even beyond cap */
    for (int s = 0; s < N_SPLITS; s++)
        total += take[s];
    if (err == 0 && !(a->tsne_rows = malloc((total ? total : 1) * sizeof *a->tsne_rows)))
        err = prle__error_nomem("analyze: t-SNE rows");
    const char *stream = "analyze.tsne.rows";
    uint64_t seed = r->cfg.train.seed;
    size_t *t = a->tsne_rows, first = n0, at = 0;
    /* training rows: a draw from the others (places in `others`), then all taken in order */
    if (err == 0 && (err = sample_rows(t, 0, no, take[0] - np, seed, stream, 0)) == 0) {
        for (size_t i = 0; i < take[0] - np; i++)
            keep[others[t[i]]] = true;
        for (size_t i = 0; i < n0; i++)
            if (keep[i])
                t[at++] = i;
    }
    for (int s = 1; err == 0 && s < N_SPLITS; first += r->n[s], at += take[s], s++)
        err = sample_rows(t + at, first, r->n[s], take[s], seed, stream, (uint64_t)s);
    if (err == 0)
        memcpy(a->tsne_n, take, sizeof take);
    free(keep);
    free(others);
    return err;
}

/* Oracle model m (0 SVR, 1 linear) on `nt` threads; experts on train + validation. */
static int oracle_fit(prle__analysis *a, oracle_in *o, const prle__run_data *r,
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
    int err = prle_oracle_moe_eval(&a->oracle[m], NULL, NULL, &o->fit, o->yfit, o->med_fit, r->k,
                                   &r->xv[2], o->ytest, &op);
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

static const char *const spaces[2] = {"retrieval", "value"};

/* One map's state between its halves. */
typedef struct map_work {
    prle_matrix all; /* train + validation + test rows of the space */
    prle_tsne_params tp;
    prle__tsne_prep prep;
    double seconds; /* of the affinities */
    bool ready;     /* the affinities are done (err says how) */
    int err;
    char *cache;  /* the map's file in the embedding cache (retrieval space only), or NULL */
    bool loaded;  /* map_load ran */
    bool cached;  /* the map came from the cache */
    bool adopted; /* its affinities came from jobs.pre */
} map_work;

typedef struct jobs {
    prle__analysis *a;
    oracle_in o;
    const size_t *medoids;
    const prle__run_data *r;
    const prle_analyze_params *p;
    map_work map[2];
    prle__analysis_pre *pre; /* the value map's affinities computed ahead, or NULL */
    bool side;               /* two threads, one piece each */
    pthread_mutex_t lock;    /* progress callbacks, and `ready` */
    pthread_cond_t cond;
} jobs;

/* Whether `pre` holds the affinities of m's rows with m's parameters. */
static bool adoptable(const prle__analysis_pre *pre, const map_work *m)
{
    if (!pre || !pre->ready || pre->rows.rows != m->all.rows || pre->rows.cols != m->all.cols ||
        pre->tp.perplexity != m->tp.perplexity || pre->tp.seed != m->tp.seed ||
        pre->tp.knn != m->tp.knn)
        return false;
    return m->all.rows == 0 ||
           memcmp(pre->rows.data, m->all.data, m->all.rows * m->all.cols * sizeof(float)) == 0;
}

/* Map s's rows and parameters, the map itself when the cache holds it, and (the value map) its
 * affinities when jobs.pre holds them. */
static int map_load(jobs *j, int s)
{
    map_work *m = &j->map[s];
    double t0 = prle__now();
    const size_t *n = j->a->tsne_n;
    int err =
        stack(&m->all, s ? j->r->xv : j->r->xr, N_SPLITS, j->a->tsne_rows, n[0] + n[1] + n[2]);
    m->loaded = true;
    m->tp = prle__analysis_tsne_params(n[0] + n[1] + n[2], j->a->seed); /* a->perplexity's */
    if (err == 0 && m->cache) {
        prle__analysis_map *out = &j->a->map[s];
        int hit = prle__tsne_cache_load(&out->xy, &out->info, m->cache, &m->all, &m->tp);
        err = hit < 0 ? hit : 0;
        if (hit > 0) {
            out->seconds = prle__now() - t0;
            out->cached = m->cached = true;
        }
    }
    if (err == 0 && s == 1 && adoptable(j->pre, m)) {
        m->prep = j->pre->prep;
        m->prep.t0 = prle__now() - j->pre->seconds; /* the map's progress counts their time */
        j->pre->prep = (prle__tsne_prep){0};
        j->pre->ready = false;
        m->adopted = true;
        t0 -= j->pre->seconds;
    }
    m->seconds = prle__now() - t0;
    return err;
}

/* The affinities of map s: prle__tsne_prepare on the stacked rows. */
static int map_prepare(jobs *j, int s, int nt)
{
    map_work *m = &j->map[s];
    int err = m->loaded ? 0 : map_load(j, s);
    double t0 = prle__now();
    m->tp.n_threads = nt;
    if (err == 0 && !m->cached && !m->adopted)
        err = prle__tsne_prepare(&m->prep, &m->all, &m->tp);
    m->seconds += prle__now() - t0;
    pthread_mutex_lock(&j->lock);
    m->ready = true;
    m->err = err;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    return err;
}

/* The optimisation of map s once its affinities are done (0 when they failed: that piece
 * reports it). */
static int map_finish(jobs *j, int s, int nt, relay_to *rl)
{
    map_work *m = &j->map[s];
    prle_tsne *t = NULL;
    pthread_mutex_lock(&j->lock);
    while (!m->ready)
        pthread_cond_wait(&j->cond, &j->lock);
    pthread_mutex_unlock(&j->lock);
    if (m->err < 0 || m->cached)
        return 0;
    m->tp.n_threads = nt;
    if (rl->fn) {
        rl->space = spaces[s];
        m->tp.progress = relay;
        m->tp.progress_ud = rl;
    }
    double t0 = prle__now();
    prle__analysis_map *out = &j->a->map[s];
    int err = prle__tsne_finish(&t, &m->prep, &m->all, &m->tp);
    if (err == 0 && (err = prle_matrix_copy(&out->xy, prle_tsne_embedding(t))) == 0) {
        out->info = prle_tsne_get_info(t);
        out->seconds = m->seconds + (prle__now() - t0);
        if (m->cache)
            prle__tsne_cache_store(m->cache, &m->all, &m->tp, &out->xy, &out->info);
    }
    prle_tsne_free(t);
    return err;
}

enum {
    JOB_ORACLE_SVR,
    JOB_PREP_RETRIEVAL,
    JOB_PREP_VALUE,
    JOB_MAP_RETRIEVAL,
    JOB_MAP_VALUE,
    JOB_ORACLE_LINEAR,
    JOB_LOAD_RETRIEVAL
};

static int run_job(jobs *j, int job, int nt)
{
    relay_to rl = {j->p->progress, j->p->progress_ud, NULL, j->side ? &j->lock : NULL};
    int err;
    switch (job) {
    case JOB_ORACLE_SVR:
    case JOB_ORACLE_LINEAR:
        return oracle_fit(j->a, &j->o, j->r, j->p, job == JOB_ORACLE_LINEAR, nt, &rl);
    case JOB_PREP_RETRIEVAL:
    case JOB_PREP_VALUE:
        err = map_prepare(j, job == JOB_PREP_VALUE, nt);
        break;
    case JOB_LOAD_RETRIEVAL:
        err = map_load(j, 0);
        break;
    default:
        err = map_finish(j, job == JOB_MAP_VALUE, nt, &rl);
        break;
    }
    int s = job == JOB_PREP_VALUE || job == JOB_MAP_VALUE;
    if (err < 0 && err != PRLE_ENOMEM && err != PRLE_EABORTED)
        prle__error_prefix(err, "t-SNE of the %s space", spaces[s]);
    return err;
}

int prle__analyze_jobs(prle__analysis *a, size_t *medoids, const prle__run_data *r,
                       const prle_analyze_params *p, prle__analysis_pre *pre)
{
    static const int order[] = {JOB_ORACLE_SVR,    JOB_PREP_RETRIEVAL, JOB_PREP_VALUE,
                                JOB_MAP_RETRIEVAL, JOB_MAP_VALUE,      JOB_ORACLE_LINEAR};
    int todo[6], nj = 0, nt = prle__threads_resolve(p->n_threads), err = 0;
    jobs j = {.a = a, .medoids = medoids, .r = r, .p = p, .pre = pre, .side = nt == 2 && p->tsne};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        bool oracle = order[i] == JOB_ORACLE_SVR || order[i] == JOB_ORACLE_LINEAR;
        if (oracle ? p->oracle_moe : p->tsne)
            todo[nj++] = order[i];
    }
    int codes[6] = {0};
    char msgs[6][1024];
    pthread_mutex_init(&j.lock, NULL);
    pthread_cond_init(&j.cond, NULL);
    a->tsne_method = prle_tsne_default_params().method;
    /* the retrieval space's rows are the embedding cache's: its map is kept there too (not
     * beside the user's own .npy inputs) */
    if (p->tsne && r->rep.dir && !r->rep.is_input &&
        !(j.map[0].cache = prle__path_join_norm(r->rep.dir, "tsne-retrieval.safetensors"))) {
        err = prle__error_nomem("analyze: path");
        goto done;
    }
    if (p->tsne && (err = tsne_sample(a, r, p)) < 0)
        goto done;
    if (p->tsne) /* lower for a map of few rows */
        a->perplexity =
            prle__analysis_tsne_params(a->tsne_n[0] + a->tsne_n[1] + a->tsne_n[2], a->seed)
                .perplexity;
    if (p->oracle_moe) {
        if ((err = oracle_prepare(&j.o, medoids, a, r, p)) < 0)
            goto done;
        a->medoids = medoids;
        a->medoids_from_model = r->protos_are_medoids && !j.o.rows;
        a->oracle_rows = j.o.fit.rows;
    }
    /* One map to compute (the other from the cache): its affinities first, on every thread,
     * then its optimisation beside the oracle (STS-B: 3.5 s against 4.1 s with the affinities
     * beside the oracle's SVR). Two maps: the pieces as they come, which balances better. */
    if (j.side && p->tsne && j.map[0].cache) {
        if ((err = run_job(&j, JOB_LOAD_RETRIEVAL, 1)) < 0)
            goto done;
        if (j.map[0].cached) {
            int k = 0;
            for (int i = 0; i < nj; i++)
                if (todo[i] != JOB_PREP_RETRIEVAL && todo[i] != JOB_PREP_VALUE)
                    todo[k++] = todo[i];
            nj = k;
            if ((err = run_job(&j, JOB_PREP_RETRIEVAL, nt)) < 0 ||
                (err = run_job(&j, JOB_PREP_VALUE, nt)) < 0)
                goto done;
        }
    }
    if (!j.side) { /* outside any parallel region: each piece's own loops get every thread */
        for (int i = 0; i < nj && err == 0; i++)
            err = run_job(&j, todo[i], nt);
    } else {
#pragma omp parallel for schedule(dynamic, 1) num_threads(2)
        for (int i = 0; i < nj; i++)
            if ((codes[i] = run_job(&j, todo[i], 1)) < 0)
                snprintf(msgs[i], sizeof msgs[i], "%s", prle_last_error());
        for (int i = 0; i < nj && err == 0; i++)
            if (codes[i] < 0)
                err = prle__error_set(codes[i], "%s", msgs[i]);
    }
    a->has_oracle = p->oracle_moe && err == 0;
    a->has_tsne = p->tsne && err == 0;
done:
    for (int s = 0; s < 2; s++) {
        prle__tsne_prep_dispose(&j.map[s].prep);
        prle_matrix_dispose(&j.map[s].all);
        free(j.map[s].cache);
    }
    oracle_in_dispose(&j.o);
    pthread_cond_destroy(&j.cond);
    pthread_mutex_destroy(&j.lock);
    return err;
}
