/* prle_run: dataset -> stage 0 -> stage 1 -> stage 2 -> evaluation -> the run folder
 * (SPEC.md §1, §2), built in a temporary folder and renamed over the old one on success. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run_files.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/threads.h"
#include "data/download.h"
#include "prle/analysis.h"
#include "prle/report.h"
#include "analysis/analyze_int.h"
#include "analysis/report_int.h"
#include "run/run_model.h"

/* Stage-2 epochs gathered for train_log.csv, passed on to the caller's callback. */
typedef struct epoch_log {
    prle_model_epoch *e;
    size_t n, cap;
    prle_model_epoch_fn user;
    void *user_ud;
    bool oom;
} epoch_log;

static bool collect_epoch(const prle_model_epoch *e, void *ud)
{
    epoch_log *log = ud;
    if (log->n == log->cap) {
        size_t cap = log->cap ? 2 * log->cap : 32;
        prle_model_epoch *ne = realloc(log->e, cap * sizeof *ne);
        if (!ne) {
            log->oom = true;
            return false;
        }
        log->e = ne;
        log->cap = cap;
    }
    log->e[log->n++] = *e;
    return log->user ? log->user(e, log->user_ud) : true;
}

static bool has_stage(const prle_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->pipeline.stages.n; i++)
        if (!strcmp(cfg->pipeline.stages.items[i], name))
            return true;
    return false;
}

/* Predictions of a split: yhat (n), and the weights and local predictions (n, P) when asked. */
static int predict_split(float **yhat, float **w, float **e, const prle_model *m,
                         const prle_matrix *z)
{
    size_t n = z->rows, P = prle_model_n_prototypes(m), nP;
    *yhat = NULL;
    if (w)
        *w = NULL;
    if (e)
        *e = NULL;
    if (!prle__mul_ok(&nP, n, P))
        return prle__error_nomem("predictions");
    if (!(*yhat = malloc((n ? n : 1) * sizeof **yhat)) ||
        (w && !(*w = malloc((nP ? nP : 1) * sizeof **w))) ||
        (e && !(*e = malloc((nP ? nP : 1) * sizeof **e))))
        return prle__error_nomem("predictions");
    return n ? prle_model_predict(*yhat, w ? *w : NULL, e ? *e : NULL, m, z) : 0;
}

/* "validation pearson 0.747 mse 1.09, test pearson 0.699 mse 1.24" ("test mse 1.24 (1 row:
 * pearson undefined)"), and the neighbour term when it was kept */
static const char *eval_note(char *buf, size_t len, const prle_run_metrics *m)
{
    const prle_run_neighbours *nb = &m->neighbours;
    size_t used = 0;
    buf[0] = '\0';
    for (int s = PRLE_SPLIT_VALIDATION; s < PRLE_N_SPLITS && used < len; s++) {
        const prle_split_metrics *sm = &m->splits[s];
        int n = 0;
        if (sm->present && sm->raw.n == 1) /* said, not printed as "pearson nan" */
            n = snprintf(buf + used, len - used, "%s%s mse %.5g (1 row: pearson undefined)",
                         used ? ", " : "", prle_split_name((prle_split)s), sm->raw.mse);
        else if (sm->present)
            n = snprintf(buf + used, len - used, "%s%s pearson %.4f mse %.5g", used ? ", " : "",
                         prle_split_name((prle_split)s), sm->raw.pearson, sm->raw.mse);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    char of[96] = ""; /* the rows searched, when a sample */
    if (m->knn.fit_rows && m->knn.fit_rows < m->knn.train_rows)
        snprintf(of, sizeof of, " of %zu evenly spaced", m->knn.fit_rows);
    if (nb->present && used < len)
        snprintf(buf + used, len - used,
                 "; the %zu nearest training rows%s (%s) weigh %.2f in each prediction "
                 "(validation MSE %.1f %% lower)",
                 nb->k, of, nb->distance_weights ? "1/distance" : "uniform", nb->weight,
                 100.0 * nb->validation_gain);
    return buf;
}

/* eval_note, and with the refit the rows it learnt from */
static const char *refit_note(char *buf, size_t len, const prle_run_metrics *m, bool refit,
                              size_t n)
{
    eval_note(buf, len, m);
    size_t used = strlen(buf);
    if (refit && used < len)
        snprintf(buf + used, len - used, "; test by the refit on train + validation (%zu rows)", n);
    return buf;
}

/* Stage 2 and everything written from it. */
typedef struct stage2 {
    const prle_config *cfg;
    const prle_dataset *ds;
    const prle_run_params *p;
    const char *dir;
    prle__kernel_stage *ks;
    prle_run_result *res;
    epoch_log log;
} stage2;

/* train.refit: the refit model (prle__run_refit) saved as model.safetensors and loaded back
 * into *m, as the first fit was, and the training rows' predictions and weights by it. */
static int refit_model(prle_model **m, float **yhat_train, float **w_train, stage2 *s2,
                       const prle_model *first, const prle_model_params *mp, const char *model_path)
{
    prle_model *r = NULL;
    int err = prle__run_refit(&r, s2->ks, first, mp, s2->ds, s2->dir);
    if (err == 0)
        err = prle_model_save(r, model_path);
    prle_model_free(r);
    prle_model_free(*m);
    *m = NULL;
    free(*yhat_train), free(*w_train);
    *yhat_train = *w_train = NULL;
    if (err == 0)
        err = prle_model_load(m, model_path);
    if (err == 0)
        err = predict_split(yhat_train, w_train, NULL, *m, &s2->ks->z[PRLE_SPLIT_TRAIN]);
    return err;
}

static int run_stage2(stage2 *s2)
{
    const prle_config *cfg = s2->cfg;
    const prle_dataset *ds = s2->ds;
    const prle_run_params *p = s2->p;
    prle_run_result *res = s2->res;
    prle__kernel_stage *ks = s2->ks;
    prle_model *fit = NULL, *m = NULL;
    float *yhat[PRLE_N_SPLITS] = {0}, *w_train = NULL, *w_val = NULL, *w_test = NULL;
    float *e_test = NULL;
    prle__nb_stage nbs = {0};
    char path[PRLE__RUN_PATH], name[64], note[256];
    int err;

    prle_model_params mp;
    if ((err = prle_model_params_from_config(&mp, cfg)) < 0)
        return err;
    mp.label_min = prle_dataset_label_min(ds);
    mp.label_max = prle_dataset_label_max(ds);
    mp.progress = mp.protos.progress = p->progress;
    mp.progress_ud = mp.protos.progress_ud = p->progress_ud;
    s2->log.user = p->on_model_epoch;
    s2->log.user_ud = p->on_model_epoch_ud;
    mp.on_epoch = collect_epoch;
    mp.on_epoch_ud = &s2->log;

    double t0 = prle__now();
    if ((err = prle__run_event(p, PRLE_STAGE_EXPERTS, false, 0, NULL)) < 0)
        return err;
    const prle_matrix *zt = &ks->z[PRLE_SPLIT_TRAIN], *zv = &ks->z[PRLE_SPLIT_VALIDATION];
    size_t asked = mp.protos.n_prototypes;
    mp.protos.n_prototypes = prle_proto_count(asked, zt->rows);
    err = prle_model_fit(&fit, zt, prle_dataset_labels(ds, PRLE_SPLIT_TRAIN), zv,
                         zv->rows ? prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION) : NULL, &mp);
    if (err < 0) {
        if (s2->log.oom)
            err = prle__error_nomem("epoch records");
        goto done;
    }
    res->model_kept_epoch = prle_model_kept_epoch(fit);
    res->model_epochs = s2->log.n ? s2->log.e[s2->log.n - 1].epoch : 0;
    res->n_prototypes = prle_model_n_prototypes(fit);
    /* what predict and explain need when the data files are gone (issue 14) */
    if ((err = prle__run_data_write(s2->dir, cfg, ds)) < 0 ||
        (err = prle__run_encoder_write(s2->dir, cfg, ds)) < 0)
        goto done;
    snprintf(note, sizeof note, "%zu prototype%s (%s), %s router, %s experts, %d epoch%s, kept %d",
             res->n_prototypes, res->n_prototypes == 1 ? "" : "s",
             prle_proto_method_name(mp.protos.method),
             mp.type == PRLE_EXPERT_PROTO_RBF ? "rbf" : prle_router_type_name(mp.router.type),
             prle_expert_type_name(mp.type), res->model_epochs, res->model_epochs == 1 ? "" : "s",
             res->model_kept_epoch);
    if (mp.protos.n_prototypes < asked) {
        size_t used = strlen(note);
        snprintf(note + used, sizeof note - used,
                 " (model.num_prototypes %zu: at most one per two of the %zu training rows)", asked,
                 zt->rows);
    }
    double ra, rb;
    prle_model_recalibration(&ra, &rb, fit);
    if (ra != 0.0 || rb != 1.0) {
        size_t used = strlen(note);
        snprintf(note + used, sizeof note - used, ", recalibrated on validation %.4g + %.4g y", ra,
                 rb);
    }
    if ((err = prle__run_stage_end(res, p, PRLE_STAGE_EXPERTS, t0, note)) < 0)
        goto done;

    /* evaluation: validation and test */
    t0 = prle__now();
    if ((err = prle__run_event(p, PRLE_STAGE_EVALUATE, false, 0, NULL)) < 0)
        goto done;
    prle_run_metrics *met = &res->metrics;
    met->label_min = mp.label_min;
    met->label_max = mp.label_max;
    /* the training rows' weights, which the neighbour column does not change; then the term,
     * which sets its weight in `fit`; evaluation uses the model as saved after that, so prle
     * eval gives the same numbers (a loaded model predicts the same bits as the fit) */
    char model_path[PRLE__RUN_PATH];
    if ((err = predict_split(&yhat[PRLE_SPLIT_TRAIN], &w_train, NULL, fit, zt)) < 0 ||
        (err = prle__nb_stage_run(&nbs, &met->knn, fit, ks, ds, mp.neighbours, s2->dir,
                                  mp.label_min, mp.label_max, cfg->train.threads)) < 0 ||
        (err = prle__path_join(model_path, sizeof model_path, s2->dir, "model.safetensors")) < 0 ||
        (err = prle_model_save(fit, model_path)) < 0 || (err = prle_model_load(&m, model_path)) < 0)
        goto done;
    prle_model_recalibration(&met->recal_intercept, &met->recal_slope, m);
    bool refit = prle__run_refits(cfg, ks, &nbs, &mp);
    if (nbs.choice.on)
        met->neighbours = (prle_run_neighbours){
            .present = true,
            .k = nbs.choice.k,
            .distance_weights = nbs.choice.weights == PRLE_KNN_DISTANCE,
            .weight = nbs.choice.lambda,
            .validation_gain = 1.0 - nbs.choice.mse / nbs.choice.mse_prle,
        };
    for (int s = PRLE_SPLIT_VALIDATION; s < PRLE_N_SPLITS; s++) {
        bool test = s == PRLE_SPLIT_TEST;
        /* validation is scored by the first fit, which did not train on it; the test rows
         * and every file after it by the refit */
        if (test && refit) {
            if ((err = prle__run_heldout_write(s2->dir, yhat[PRLE_SPLIT_VALIDATION], w_val,
                                               nbs.in[PRLE_SPLIT_VALIDATION]->rows,
                                               res->n_prototypes)) < 0 ||
                (err = refit_model(&m, &yhat[PRLE_SPLIT_TRAIN], &w_train, s2, fit, &mp,
                                   model_path)) < 0)
                goto done;
            /* the line the saved model applies: the first fit's slope about the refit's mean */
            prle_model_recalibration(&met->recal_intercept, &met->recal_slope, m);
        }
        const prle_matrix *z = nbs.in[s];
        if ((err = predict_split(&yhat[s], test ? &w_test : &w_val, test ? &e_test : NULL, m, z)) <
            0)
            goto done;
        const float *y = prle_dataset_labels(ds, (prle_split)s);
        snprintf(name, sizeof name, "predictions_%s.csv", prle_split_name((prle_split)s));
        if ((err = prle__path_join(path, sizeof path, s2->dir, name)) < 0 ||
            (err = prle__run_predictions_write(path, y, yhat[s], NULL, NULL, z->rows)) < 0)
            goto done;
        if (z->rows && y &&
            (err = prle_split_metrics_compute(&met->splits[s], y, yhat[s], z->rows, mp.label_min,
                                              mp.label_max)) < 0)
            goto done;
        prle_weight_stats_compute(&met->splits[s].weights, test ? w_test : w_val, z->rows,
                                  res->n_prototypes);
        met->splits[s].weights.present &= met->splits[s].present;
    }
    if ((err = prle__run_ridge_reference(&met->ridge, ks->x, ds, mp.label_min, mp.label_max,
                                         cfg->train.threads, &ks->ridge)) < 0 ||
        (err = prle__run_intervals(met->intervals, ds, yhat, w_val, w_test, res->n_prototypes)) < 0)
        goto done;
    if ((err = prle__path_join(path, sizeof path, s2->dir, "metrics.json")) < 0 ||
        (err = prle__run_metrics_write(path, met)) < 0 ||
        (err = prle__run_stage_end(res, p, PRLE_STAGE_EVALUATE, t0,
                                   refit_note(note, sizeof note, met, refit,
                                              zt->rows + ks->z[PRLE_SPLIT_VALIDATION].rows))) < 0)
        goto done;

    /* prototypes.json and explanations_test.json */
    t0 = prle__now();
    prle__stage2_view v = {
        .model = m,
        .params = &mp,
        .ds = ds,
        .z_train = zt,
        .w_train = w_train,
        .z_test = nbs.in[PRLE_SPLIT_TEST],
        .y_test = prle_dataset_labels(ds, PRLE_SPLIT_TEST),
        .w_test = w_test,
        .e_test = e_test,
        .n_test = ks->z[PRLE_SPLIT_TEST].rows,
        .nb_rows_test = nbs.test_rows,
        .nb_labels_test = nbs.test_labels,
        .nb_k = nbs.k,
    };
    if ((err = prle__path_join(path, sizeof path, s2->dir, "prototypes.json")) < 0 ||
        (err = prle__write_prototypes_json(path, &v)) < 0)
        goto done;
    if (v.n_test && v.y_test &&
        ((err = prle__path_join(path, sizeof path, s2->dir, "explanations_test.json")) < 0 ||
         (err = prle__write_explanations_json(path, &v, p->n_explain, p->explain_k)) < 0 ||
         (err = prle__path_join(path, sizeof path, s2->dir, "rows_test.json")) < 0 ||
         (err = prle__write_test_rows_json(path, &v, yhat[PRLE_SPLIT_TEST], &met->intervals[0],
                                           mp.label_min, mp.label_max)) < 0))
        goto done;
    res->seconds[PRLE_STAGE_FILES] += prle__now() - t0;
done:
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        free(yhat[s]);
    free(w_train);
    free(w_val);
    free(w_test);
    free(e_test);
    prle__nb_stage_dispose(&nbs);
    prle_model_free(fit);
    prle_model_free(m);
    return err;
}

/* Stage 2, and with `analyze` on two threads the analysis' value-map affinities beside it
 * (analyze_pre.c): the experts' Adam steps and the evaluation keep about one core busy (STS-B:
 * 1.0-1.2 s on two threads, 1.3 s on one), the affinities took 0.7 s of both before the
 * analysis' other pieces could start. Each side then runs on one thread (nested loops run
 * alone) and gives the bits it gives on any thread count. An error of the affinities only
 * leaves the analysis to compute them. */
static int stage2_beside_analysis(stage2 *s2, prle__analysis_pre *pre, bool analyze)
{
    const prle_config *cfg = s2->cfg;
    /* (a refit replaces the value rows the affinities would come from) */
    if (!analyze || prle__threads_resolve(cfg->train.threads) != 2 || cfg->train.refit)
        return run_stage2(s2);
    prle_analyze_params ap = prle_analyze_default_params();
    int err = 0;
    char msg[1024] = "";
#pragma omp parallel sections num_threads(2)
    {
#pragma omp section
        {
            /* the error message is the thread's own: kept for the caller's */
            if ((err = run_stage2(s2)) < 0)
                snprintf(msg, sizeof msg, "%s", prle_last_error());
        }
#pragma omp section
        (void)prle__analysis_pre_compute(pre, s2->ks->z, cfg->train.seed, &ap, 1);
    }
    return err < 0 ? prle__error_set(err, "%s", msg) : 0;
}

int prle_run(prle_run_result *out, const prle_config *cfg, const prle_run_params *params)
{
    prle_run_params p = params ? *params : prle_run_default_params();
    prle_run_result res = {0};
    prle_dataset *ds = NULL;
    prle__kernel_stage ks = {0};
    stage2 s2 = {0};
    prle__analysis_pre pre = {0};
    char *tmp = NULL, *parent = NULL;
    size_t made = 0; /* parent's folders this run created (prle__mkdir_new) */
    double t_all = prle__now();
    int err;
    *out = (prle_run_result){0};
    bool has_kernel = has_stage(cfg, "kernel"), has_experts = has_stage(cfg, "experts");
    /* a folder that is not a run's is refused before any work, and again at the commit; so
     * is a pipeline without a kernel stage and without a saved kernel to use */
    if ((err = prle_run_config_check(cfg)) < 0 || (err = prle_run_dir(&res.dir, cfg)) < 0 ||
        (err = prle__run_folder_check(res.dir)) < 0 ||
        (!has_kernel && (err = prle__kernel_saved_check(res.dir, cfg)) < 0) ||
        (err = prle__run_tmp_dir(&tmp, &parent, &made, res.dir)) < 0 ||
        (err = prle__run_front(&ds, &res, cfg, &p)) < 0)
        goto done;

    double t0 = prle__now();
    ks = (prle__kernel_stage){
        .cfg = cfg,
        .ds = ds,
        .params = &p,
        .out_dir = tmp,
        .old_dir = prle__path_exists(res.dir) ? res.dir : NULL,
        .allow_reuse = has_kernel && cfg->pipeline.reuse_kernel,
        .must_reuse = !has_kernel,
    };
    if ((err = prle__kernel_stage_run(&ks)) < 0 ||
        (err = prle__run_stage_end(&res, &p, PRLE_STAGE_KERNEL, t0, ks.note)) < 0)
        goto done;
    prle__run_kernel_result(&res, &ks);

    s2 = (stage2){.cfg = cfg, .ds = ds, .p = &p, .dir = tmp, .ks = &ks, .res = &res};
    if (has_experts && (err = stage2_beside_analysis(&s2, &pre, p.analyze)) < 0)
        goto done;
    t0 = prle__now();
    if ((err = prle__run_write_log_config(tmp, cfg, &ks, s2.log.e, s2.log.n, &res)) < 0)
        goto done;
    res.seconds[PRLE_STAGE_FILES] += prle__now() - t0;
    res.ran[PRLE_STAGE_FILES] = true;
    if ((err = prle__run_event(&p, PRLE_STAGE_FILES, true, res.seconds[PRLE_STAGE_FILES], NULL)) <
        0)
        goto done;

    size_t n_train = prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN);
    size_t n_test = prle_dataset_n_rows(ds, PRLE_SPLIT_TEST);
    if (p.analyze && has_experts && !prle_analyze_has_rows(n_train, n_test)) {
        /* too few rows for the analysis (prle analyze says so as an error): the run goes on */
        char note[128];
        snprintf(note, sizeof note, "skipped: %zu training and %zu test rows (it needs 2 of each)",
                 n_train, n_test);
        t0 = prle__now();
        if ((err = prle__run_event(&p, PRLE_STAGE_ANALYSIS, false, 0, NULL)) < 0 ||
            (err = prle__run_stage_end(&res, &p, PRLE_STAGE_ANALYSIS, t0, note)) < 0)
            goto done;
    } else if (p.analyze && has_experts) {
        t0 = prle__now();
        prle_analyze_params ap = prle_analyze_default_params();
        ap.n_threads = cfg->train.threads;
        ap.progress = p.progress;
        ap.progress_ud = p.progress_ud;
        char note[96] = "";
        if ((err = prle__run_event(&p, PRLE_STAGE_ANALYSIS, false, 0, NULL)) < 0 ||
            (err = prle__analyze_run_pre(NULL, tmp, &ap, &pre)) < 0)
            goto done;
        if (pre.seconds > 0 && !pre.ready) /* adopted */
            snprintf(note, sizeof note,
                     "the value map's affinities came from beside the experts "
                     "(%.2f s)",
                     pre.seconds);
        if ((err = prle__run_stage_end(&res, &p, PRLE_STAGE_ANALYSIS, t0, note[0] ? note : NULL)) <
            0)
            goto done;
    }
    /* (value-space baselines describe the first kernel's space, which a refit replaces) */
    if ((err = prle__run_carry_baselines(tmp, ks.old_dir, ds, res.embed.reused,
                                         ks.reused && !cfg->train.refit)) < 0)
        goto done;
    /* the report too is made in the temporary folder; its footer names the final one */
    if (p.report && has_experts) {
        t0 = prle__now();
        if ((err = prle__run_event(&p, PRLE_STAGE_REPORT, false, 0, NULL)) < 0 ||
            (err = prle__report_write_shown(tmp, res.dir, NULL)) < 0 ||
            (err = prle__run_stage_end(&res, &p, PRLE_STAGE_REPORT, t0, NULL)) < 0)
            goto done;
    }
    if ((err = prle__run_record(tmp)) < 0 || (err = prle__run_commit_dir(tmp, res.dir)) < 0)
        goto done;
    free(tmp);
    tmp = NULL;
    res.seconds_total = prle__now() - t_all;
    *out = res;
    res = (prle_run_result){0};
done:
    if (err < 0 && tmp)
        (void)prle__remove_tree(tmp); /* the error message stays the first failure's */
    if (err < 0 && parent)            /* nor an empty output folder it created */
        prle__rmdir_new(parent, made);
    free(tmp);
    free(parent);
    free(s2.log.e);
    prle__analysis_pre_dispose(&pre);
    prle__kernel_stage_dispose(&ks);
    prle_dataset_free(ds);
    prle_run_result_dispose(&res);
    return err;
}
