/* prle analyze RUN (SPEC.md §7): reads a run folder (docs/run-folder.md) and writes
 * analysis.json: the distance-label correlation of retrieval and value space on the training
 * rows (the computation of kernel_report.json), the oracle MoE in value space (SVR and linear,
 * k = the run's prototypes, prle_proto_count), and t-SNE maps of train + validation + test in both
 * spaces. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze_int.h"
#include "core/error.h"
#include "core/progress.h"
#include "encode/inputs_record_int.h"
#include "io/fileio.h"
#include "prle/config.h"
#include "prle/dataset.h"
#include "prle/embed.h"
#include "prle/npy.h"
#include "prle/prototypes.h"
#include "prle/safetensors.h"
#include "run/run_marker.h"

#define N_SPLITS PRLE__N_SPLITS

bool prle_analyze_has_rows(size_t n_train, size_t n_test)
{
    return n_train >= 2 && n_test >= 2;
}

prle_analyze_params prle_analyze_default_params(void)
{
    return (prle_analyze_params){.correlation = true,
                                 .oracle_moe = true,
                                 .tsne = true,
                                 .n_threads = 0,
                                 .progress = NULL,
                                 .progress_ud = NULL,
                                 .oracle_svr = prle_svr_default_params(),
                                 .oracle_ridge = prle_ridge_default_params(),
                                 .oracle_max_rows = 10000,
                                 .tsne_max_rows = 10000};
}

static void prle__run_data_dispose(prle__run_data *r)
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

static int load_value(prle__run_data *r, const char *run_dir)
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

/* The run's inputs as its dataset.json records them (encode/inputs_record_int.h): the data's
 * rows and, for encoder_type npy, the input files, which no cache manifest checks. PRLE_EINVAL
 * naming the file that changed since the run; nothing to compare in a folder of an older prle. */
static int same_inputs(const prle__run_data *r, const char *run_dir)
{
    char why[4300];
    cJSON *root = NULL;
    char *path = join(run_dir, "dataset.json");
    int err = path ? 0 : prle__error_nomem("analyze: path");
    if (err == 0 && prle__path_exists(path) && (err = prle__json_read_file(&root, path)) == 0) {
        const char *kind = "dataset";
        if ((err = prle__inputs_rows_changed(why, sizeof why, root, path, r->ds, 7u)) == 0) {
            kind = "embeddings";
            err = prle__inputs_embeddings_changed(why, sizeof why, root, path, &r->cfg);
        }
        if (err > 0)
            err = prle__error_set(PRLE_EINVAL,
                                  "%s: analyze needs the run's %s, and %s: the run was made from "
                                  "other data (prle run again to use the new data)",
                                  run_dir, kind, why);
    }
    cJSON_Delete(root);
    free(path);
    return err;
}

/* The stage 0 cache the run's config names, checked against its manifest; built again as
 * prle run builds it when it holds other embeddings (another config of the same folder shares
 * the default embed_cache) or none, unless the config says model.skip_loading_encoder. */
static int load_retrieval(prle__run_data *r, const prle_analyze_params *p)
{
    int err;
    prle_embed_params ep = prle_embed_default_params();
    ep.progress = p->progress;
    ep.progress_ud = p->progress_ud;
    if ((err = prle_embed(&r->rep, &r->cfg, r->ds, &ep)) < 0)
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
static bool model_medoids(const prle__run_data *r, const prle_st_file *f)
{
    const char *init = prle_st_metadata_get(f, "init_strategy");
    const char *seed = prle_st_metadata_get(f, "seed");
    char want[32];
    prle_matrix pv = {0};
    size_t k = r->k, d = r->xv[0].cols;
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
static int load_protos(prle__run_data *r, const char *run_dir)
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

int prle__analyze_run_pre(prle_analysis_summary *out, const char *run_dir,
                          const prle_analyze_params *p, prle__analysis_pre *pre)
{
    int err;
    double t0 = prle__now();
    prle_analyze_params dflt = prle_analyze_default_params();
    prle__run_data r = {0};
    prle__analysis a = {0};
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
    if (!prle_analyze_has_rows(r.n[0], r.n[2])) {
        err = prle__error_set(PRLE_EINVAL, "analyze: needs >= 2 train and test rows, got %zu, %zu",
                              r.n[0], r.n[2]);
        goto done;
    }
    r.k = prle_proto_count((size_t)r.cfg.model.num_prototypes, r.n[0]);
    if ((err = same_inputs(&r, run_dir)) < 0 || (err = load_value(&r, run_dir)) < 0 ||
        ((p->correlation || p->tsne) && (err = load_retrieval(&r, p)) < 0) ||
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
    if (!(labels = malloc(n_all * sizeof(float))) || !(medoids = malloc(r.k * sizeof(size_t)))) {
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
    if ((p->oracle_moe || p->tsne) && (err = prle__analyze_jobs(&a, medoids, &r, p, pre)) < 0)
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
            sm.tsne_cached[s] = a.has_tsne && a.map[s].cached;
            sm.oracle[s] = a.oracle[s];
        }
        sm.n_oracle = a.has_oracle ? 2 : 0;
        sm.oracle_rows = a.oracle_rows;
        sm.tsne_rows = a.tsne_n[0] + a.tsne_n[1] + a.tsne_n[2];
        sm.tsne_perplexity = a.perplexity;
        if (r.rep.dir && !r.rep.reused && !r.rep.is_input) {
            sm.embed_built = true;
            snprintf(sm.embed_reason, sizeof sm.embed_reason, "%s",
                     r.rep.reason ? r.rep.reason : "-");
        }
        sm.seconds = prle__now() - t0;
        *out = sm;
    }
done:
    prle_matrix_dispose(&a.map[0].xy);
    prle_matrix_dispose(&a.map[1].xy);
    free(a.tsne_rows);
    free(labels);
    free(medoids);
    free(path);
    prle__run_data_dispose(&r);
    return err;
}

int prle_analyze_run_summary(prle_analysis_summary *out, const char *run_dir,
                             const prle_analyze_params *p)
{
    /* the folder's files as its run wrote them, as prle eval checks them (prle run analyses
     * the folder it is building through prle__analyze_run_pre) */
    int err = run_dir ? prle__run_verify(run_dir) : 0;
    return err < 0 ? err : prle__analyze_run_pre(out, run_dir, p, NULL);
}

int prle_analyze_run(const char *run_dir, const prle_analyze_params *p)
{
    return prle_analyze_run_summary(NULL, run_dir, p);
}
