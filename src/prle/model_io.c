/* model.safetensors (include/prle/model.h): the tensors under PyTorch-style names, every param
 * as metadata text, and the exact doubles (label mean and sd, tau) in the metadata so that a
 * loaded model predicts the same bits as the saved one. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/json.h"
#include "prle/model_int.h"
#include "prle/router.h"
#include "prle/safetensors.h"

#define MODEL_FORMAT "prle-model"
#define MODEL_VERSION "1"

/* The params kept as numbers in the metadata, by key (doubles; integers written exactly). */
typedef struct num_field {
    const char *key;
    double *d;   /* or */
    size_t *z;   /* or */
    int *i;      /* or */
    uint64_t *u; /* or */
    bool *b;
    bool opt; /* may be missing (files written before it): the default stays */
} num_field;

static size_t num_fields(num_field *f, prle_model_params *p, int *kept, double *ymean, double *ysd,
                         double *tau, double *recal, double *nbw)
{
    prle_loss_weights *l = &p->loss;
    num_field t[] = {
        {"n_prototypes", .z = &p->protos.n_prototypes},
        {"mlp_hidden", .z = &p->mlp_hidden},
        {"use_v2_loss", .b = &l->use_v2},
        {"lambda_task_main", .d = &l->task_main},
        {"lambda_expert_fit", .d = &l->expert_fit},
        {"lambda_anchor_route", .d = &l->anchor_route},
        {"lambda_balance", .d = &l->balance},
        {"lambda_entropy", .d = &l->entropy},
        {"lambda_task_geom", .d = &l->task[0]},
        {"lambda_task_expert", .d = &l->task[1]},
        {"lambda_metric_geom", .d = &l->metric[0]},
        {"lambda_metric_expert", .d = &l->metric[1]},
        {"lambda_proto_self_geom", .d = &l->proto_self[0]},
        {"lambda_proto_self_expert", .d = &l->proto_self[1]},
        {"lambda_local_geom", .d = &l->local[0]},
        {"lambda_local_expert", .d = &l->local[1]},
        {"lambda_consistency_geom", .d = &l->consistency[0]},
        {"lambda_consistency_expert", .d = &l->consistency[1]},
        {"em_alt_training", .b = &l->em_alt_training},
        {"learning_rate", .d = &p->learning_rate},
        {"weight_decay", .d = &p->weight_decay},
        {"max_epochs", .i = &p->max_epochs},
        {"early_stop_patience", .i = &p->patience},
        {"min_delta", .d = &p->min_delta},
        {"batch_size", .z = &p->batch_size},
        {"label_min", .d = &p->label_min},
        {"label_max", .d = &p->label_max},
        {"seed", .u = &p->seed},
        {"tau_init", .d = &p->router.tau_init},
        {"tau_min", .d = &p->router.tau_min},
        {"tau_max", .d = &p->router.tau_max},
        {"tau_anneal", .d = &p->router.tau_anneal},
        {"knn_k", .z = &p->router.knn_k},
        {"radius_threshold", .d = &p->router.radius_threshold},
        {"gate_hidden", .z = &p->router.gate_hidden},
        {"gumbel_tau", .d = &p->router.gumbel_tau},
        {"kept_epoch", .i = kept},
        {"label_mean", .d = ymean},
        {"label_sd", .d = ysd},
        {"tau", .d = tau},
        {"recalibrate", .b = &p->recalibrate, .opt = true},
        {"recal_intercept", .d = &recal[0], .opt = true},
        {"recal_slope", .d = &recal[1], .opt = true},
        {"neighbour_weight", .d = nbw, .opt = true},
    };
    size_t n = sizeof t / sizeof *t;
    memcpy(f, t, sizeof t);
    return n;
}
#define MAX_FIELDS 48

/* ---- saving ------------------------------------------------------------------------------ */

static int add(prle_st_writer *w, const char *name, const float *v, size_t ndim, size_t a, size_t b,
               size_t c)
{
    size_t shape[3] = {a, b, c};
    return prle_st_writer_add_f32(w, name, v, ndim, shape);
}

static int put_fields(prle_st_writer *w, const prle_model *m)
{
    int err = 0;
    prle_model_params p = m->params;
    int kept = m->kept_epoch;
    double ymean = m->y_mean, ysd = m->y_sd;
    double tau = m->router ? prle_router_tau(m->router) : m->rbf_tau;
    double recal[2] = {m->recal_a, m->recal_b}, nbw = m->nb_weight;
    num_field f[MAX_FIELDS];
    size_t nf = num_fields(f, &p, &kept, &ymean, &ysd, &tau, recal, &nbw);
    for (size_t i = 0; i < nf && err >= 0; i++) {
        char buf[PRLE__JSON_NUMBUF];
        if (f[i].d)
            prle__json_fmt_double(buf, *f[i].d);
        else if (f[i].b)
            snprintf(buf, sizeof buf, "%s", *f[i].b ? "true" : "false");
        else
            snprintf(buf, sizeof buf, "%llu",
                     (unsigned long long)(f[i].z   ? (uint64_t)*f[i].z
                                          : f[i].i ? (uint64_t)(*f[i].i < 0 ? 0 : *f[i].i)
                                                   : *f[i].u));
        err = prle_st_writer_set_metadata(w, f[i].key, buf);
    }
    const char *strs[][2] = {
        {"format", MODEL_FORMAT},
        {"version", MODEL_VERSION},
        {"expert", prle_expert_type_name(p.type)},
        {"expert_init", prle_expert_init_name(p.init)},
        {"router", p.type == PRLE_EXPERT_PROTO_RBF ? "rbf" : prle_router_type_name(p.router.type)},
        {"distance", p.type == PRLE_EXPERT_PROTO_RBF         ? "sqeuclidean"
                     : p.router.distance == PRLE_DIST_COSINE ? "cosine"
                                                             : "euclidean"},
        {"init_strategy", prle_proto_method_name(p.protos.method)},
        {"gating_strategy", prle_router_type_name(p.router.type)},
        {"router_distance", p.router.distance == PRLE_DIST_COSINE ? "cosine" : "euclidean"},
    };
    for (size_t i = 0; i < sizeof strs / sizeof *strs && err >= 0; i++)
        err = prle_st_writer_set_metadata(w, strs[i][0], strs[i][1]);
    return err;
}

static int gate_layout(size_t *in, size_t *h, const prle_model *m)
{
    *h = m->params.router.gate_hidden;
    *in = 3 * m->d + 1;
    if (prle_router_n_params(m->router) != *h * *in + 2 * *h + 1)
        return prle__error_set(PRLE_EINVAL, "model: the gate has %zu parameters, expected %zu",
                               prle_router_n_params(m->router), *h * *in + 2 * *h + 1);
    return 0;
}

int prle_model_save(const prle_model *m, const char *path)
{
    prle_st_writer *w = NULL;
    int err = prle__model_writer(&w, m);
    if (err == 0)
        err = prle_st_writer_save(w, path);
    prle_st_writer_free(w);
    return err;
}

int prle__model_writer(prle_st_writer **out, const prle_model *m)
{
    int err;
    prle_st_writer *w = NULL;
    int64_t *rows = malloc(m->np * sizeof *rows);
    size_t np = m->np, d = m->d, h = m->ex.h;
    float one[1];
    if (!rows)
        return prle__error_nomem("model save");
    for (size_t q = 0; q < np; q++)
        rows[q] = (int64_t)m->proto_rows[q];
    if ((err = prle_st_writer_new(&w)) < 0 || (err = put_fields(w, m)) < 0 ||
        (err = add(w, "prototypes", m->protos, 2, np, d, 0)) < 0 ||
        (err = prle_st_writer_add_i64(w, "prototype_rows", rows, 1, &np)) < 0)
        goto done;
    one[0] = (float)m->y_mean;
    if ((err = add(w, "label_mean", one, 1, 1, 0, 0)) < 0)
        goto done;
    one[0] = (float)m->y_sd;
    if ((err = add(w, "label_sd", one, 1, 1, 0, 0)) < 0)
        goto done;
    const float *x = m->ex_params;
    const prle__experts *ex = &m->ex;
    switch (m->params.type) {
    case PRLE_EXPERT_LINEAR:
        if ((err = add(w, "experts.weight", x + ex->w1, 2, np, d, 0)) < 0 ||
            (err = add(w, "experts.bias", x + ex->b1, 1, np, 0, 0)) < 0)
            goto done;
        break;
    case PRLE_EXPERT_MLP:
        if ((err = add(w, "experts.0.weight", x + ex->w1, 3, np, h, d)) < 0 ||
            (err = add(w, "experts.0.bias", x + ex->b1, 2, np, h, 0)) < 0 ||
            (err = add(w, "experts.2.weight", x + ex->w2, 3, np, 1, h)) < 0 ||
            (err = add(w, "experts.2.bias", x + ex->b2, 2, np, 1, 0)) < 0)
            goto done;
        break;
    case PRLE_EXPERT_PROTO_RBF:
        one[0] = (float)m->rbf_tau;
        if ((err = add(w, "rbf.beta", m->rbf_beta, 1, np, 0, 0)) < 0 ||
            (err = add(w, "rbf.tau", one, 1, 1, 0, 0)) < 0)
            goto done;
        break;
    }
    if (m->router) {
        one[0] = (float)prle_router_tau(m->router);
        if ((err = add(w, "router.tau", one, 1, 1, 0, 0)) < 0)
            goto done;
    }
    if (m->router && prle_router_n_params(m->router)) {
        size_t in, gh;
        const float *g = prle_router_param_data(m->router);
        if ((err = gate_layout(&in, &gh, m)) < 0 ||
            (err = add(w, "router.gate.0.weight", g, 2, gh, in, 0)) < 0 ||
            (err = add(w, "router.gate.0.bias", g + gh * in, 1, gh, 0, 0)) < 0 ||
            (err = add(w, "router.gate.2.weight", g + gh * in + gh, 2, 1, gh, 0)) < 0 ||
            (err = add(w, "router.gate.2.bias", g + gh * in + 2 * gh, 1, 1, 0, 0)) < 0)
            goto done;
    }
    *out = w;
    w = NULL;
done:
    free(rows);
    prle_st_writer_free(w);
    return err;
}

/* ---- loading ----------------------------------------------------------------------------- */

static int meta_fields(prle_model_params *p, int *kept, double *ymean, double *ysd, double *tau,
                       double *recal, double *nbw, const prle_st_file *f, const char *path)
{
    num_field fl[MAX_FIELDS];
    size_t nf = num_fields(fl, p, kept, ymean, ysd, tau, recal, nbw);
    for (size_t i = 0; i < nf; i++) {
        const char *s = prle_st_metadata_get(f, fl[i].key);
        if (!s && fl[i].opt)
            continue;
        if (!s)
            return prle__error_set(PRLE_EFORMAT, "%s: metadata key \"%s\" missing", path,
                                   fl[i].key);
        char *end;
        errno = 0;
        if (fl[i].d) {
            *fl[i].d = strcmp(s, "null") == 0 ? NAN : strtod(s, &end);
            if (strcmp(s, "null") != 0 && (!*s || *end))
                goto bad;
        } else if (fl[i].b) {
            if (strcmp(s, "true") && strcmp(s, "false"))
                goto bad;
            *fl[i].b = strcmp(s, "true") == 0;
        } else {
            unsigned long long v = strtoull(s, &end, 10);
            if (!*s || *s == '-' || *end || errno || (!fl[i].u && v > (1ull << 31)))
                goto bad;
            if (fl[i].z)
                *fl[i].z = (size_t)v;
            else if (fl[i].i)
                *fl[i].i = (int)v;
            else
                *fl[i].u = v;
        }
        continue;
    bad:
        return prle__error_set(PRLE_EFORMAT, "%s: metadata %s = \"%s\" is not valid", path,
                               fl[i].key, s);
    }
    return 0;
}

/* Index of `s` among the names `fn` gives for 0..n-1, or -1. */
static int name_index(const char *s, const char *(*fn)(int), int n)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, fn(i)) == 0)
            return i;
    return -1;
}
static const char *expert_n(int i)
{
    return prle_expert_type_name((prle_expert_type)i);
}
static const char *init_n(int i)
{
    return prle_expert_init_name((prle_expert_init)i);
}
static const char *router_n(int i)
{
    return prle_router_type_name((prle_router_type)i);
}
static const char *method_n(int i)
{
    return prle_proto_method_name((prle_proto_method)i);
}

static int meta_names(prle_model_params *p, const prle_st_file *f, const char *path)
{
    const char *fmt = prle_st_metadata_get(f, "format"), *ver = prle_st_metadata_get(f, "version");
    if (!fmt || strcmp(fmt, MODEL_FORMAT))
        return prle__error_set(PRLE_EFORMAT, "%s: not a prle model (format %s)", path,
                               fmt ? fmt : "missing");
    if (!ver || strcmp(ver, MODEL_VERSION))
        return prle__error_set(PRLE_EFORMAT, "%s: model format version %s unsupported", path,
                               ver ? ver : "missing");
    const char *ex = prle_st_metadata_get(f, "expert"),
               *in = prle_st_metadata_get(f, "expert_init");
    const char *ro = prle_st_metadata_get(f, "router"), *di = prle_st_metadata_get(f, "distance");
    const char *me = prle_st_metadata_get(f, "init_strategy");
    const char *gs = prle_st_metadata_get(f, "gating_strategy");
    const char *rd = prle_st_metadata_get(f, "router_distance");
    int t = name_index(ex, expert_n, 3), i = name_index(in, init_n, 4);
    int r = name_index(gs, router_n, 4), mi = name_index(me, method_n, 4);
    bool rbf = t == PRLE_EXPERT_PROTO_RBF;
    if (t < 0 || i < 0 || mi < 0 || r < 0 || !rd ||
        (strcmp(rd, "cosine") && strcmp(rd, "euclidean")))
        return prle__error_set(PRLE_EFORMAT, "%s: metadata expert/router/distance/init unknown",
                               path);
    if (!ro || !di || strcmp(ro, rbf ? "rbf" : gs) || strcmp(di, rbf ? "sqeuclidean" : rd))
        return prle__error_set(PRLE_EFORMAT, "%s: metadata router/distance inconsistent", path);
    p->type = (prle_expert_type)t;
    p->init = (prle_expert_init)i;
    p->protos.method = (prle_proto_method)mi;
    p->router.type = (prle_router_type)r;
    p->router.distance = strcmp(rd, "cosine") ? PRLE_DIST_EUCLIDEAN : PRLE_DIST_COSINE;
    return 0;
}

/* Reads tensor `name` of exactly the given shape into `out` (floats, or i64 when `rows`). */
static int read_tensor(float *out, int64_t *rows, const prle_st_file *f, const char *path,
                       const char *name, size_t ndim, size_t a, size_t b, size_t c)
{
    prle_st_tensor_info info;
    size_t want[3] = {a, b, c}, numel = 1;
    if (prle_st_find(&info, f, name) < 0)
        return prle__error_set(PRLE_EFORMAT, "%s: tensor %s missing", path, name);
    bool ok = info.ndim == ndim;
    for (size_t k = 0; ok && k < ndim; k++) {
        ok = info.shape[k] == want[k];
        numel *= want[k];
    }
    if (!ok)
        return prle__error_set(PRLE_EFORMAT, "%s: tensor %s has the wrong shape", path, name);
    int err = rows ? prle_st_read_i64(rows, numel, f, name) : prle_st_read_f32(out, numel, f, name);
    if (err < 0)
        return prle__error_set(PRLE_EFORMAT, "%s: tensor %s: %s", path, name, prle_last_error());
    for (size_t k = 0; out && k < numel; k++)
        if (!isfinite(out[k]))
            return prle__error_set(PRLE_EFORMAT, "%s: tensor %s holds a non-finite value", path,
                                   name);
    return 0;
}

/* The f32 tensor copy of an exact metadata double must agree with it. */
static int check_copy(const prle_st_file *f, const char *path, const char *name, double exact)
{
    float v;
    int err = read_tensor(&v, NULL, f, path, name, 1, 1, 0, 0);
    if (err < 0)
        return err;
    if (v != (float)exact)
        return prle__error_set(PRLE_EFORMAT, "%s: tensor %s disagrees with the metadata", path,
                               name);
    return 0;
}

static int read_tensors(prle_model *m, const prle_st_file *f, const char *path, double tau)
{
    int err;
    size_t np = m->np, d = m->d, h = m->ex.h;
    int64_t *rows = malloc(np * sizeof *rows);
    if (!rows)
        return prle__error_nomem("model load");
    if ((err = read_tensor(m->protos, NULL, f, path, "prototypes", 2, np, d, 0)) < 0 ||
        (err = read_tensor(NULL, rows, f, path, "prototype_rows", 1, np, 0, 0)) < 0 ||
        (err = check_copy(f, path, "label_mean", m->y_mean)) < 0 ||
        (err = check_copy(f, path, "label_sd", m->y_sd)) < 0)
        goto done;
    for (size_t q = 0; q < np; q++) {
        if (rows[q] < 0)
            goto bad_rows;
        m->proto_rows[q] = (size_t)rows[q];
        for (size_t r = 0; r < q; r++)
            if (m->proto_rows[r] == m->proto_rows[q])
                goto bad_rows;
    }
    float *x = m->ex_params;
    const prle__experts *ex = &m->ex;
    if (m->params.type == PRLE_EXPERT_LINEAR) {
        if ((err = read_tensor(x + ex->w1, NULL, f, path, "experts.weight", 2, np, d, 0)) < 0 ||
            (err = read_tensor(x + ex->b1, NULL, f, path, "experts.bias", 1, np, 0, 0)) < 0)
            goto done;
    } else if (m->params.type == PRLE_EXPERT_MLP) {
        if ((err = read_tensor(x + ex->w1, NULL, f, path, "experts.0.weight", 3, np, h, d)) < 0 ||
            (err = read_tensor(x + ex->b1, NULL, f, path, "experts.0.bias", 2, np, h, 0)) < 0 ||
            (err = read_tensor(x + ex->w2, NULL, f, path, "experts.2.weight", 3, np, 1, h)) < 0 ||
            (err = read_tensor(x + ex->b2, NULL, f, path, "experts.2.bias", 2, np, 1, 0)) < 0)
            goto done;
    } else {
        m->rbf_tau = tau;
        if ((err = read_tensor(m->rbf_beta, NULL, f, path, "rbf.beta", 1, np, 0, 0)) < 0 ||
            (err = check_copy(f, path, "rbf.tau", tau)) < 0)
            goto done;
    }
    if (m->params.type != PRLE_EXPERT_PROTO_RBF)
        err = check_copy(f, path, "router.tau", tau);
    goto done;
bad_rows:
    err = prle__error_set(PRLE_EFORMAT, "%s: prototype_rows are negative or repeated", path);
done:
    free(rows);
    return err;
}

static int read_router(prle_model *m, const prle_st_file *f, const char *path, double tau)
{
    int err;
    if ((err = prle__model_make_router(m)) < 0)
        return prle__error_prefix(PRLE_EFORMAT, "%s", path);
    prle_router_set_tau(m->router, tau);
    size_t in, h;
    if (!prle_router_n_params(m->router))
        return 0;
    float *g = prle_router_param_data(m->router);
    if ((err = gate_layout(&in, &h, m)) < 0)
        return prle__error_prefix(PRLE_EFORMAT, "%s", path);
    if ((err = read_tensor(g, NULL, f, path, "router.gate.0.weight", 2, h, in, 0)) < 0 ||
        (err = read_tensor(g + h * in, NULL, f, path, "router.gate.0.bias", 1, h, 0, 0)) < 0 ||
        (err = read_tensor(g + h * in + h, NULL, f, path, "router.gate.2.weight", 2, 1, h, 0)) < 0)
        return err;
    return read_tensor(g + h * in + 2 * h, NULL, f, path, "router.gate.2.bias", 1, 1, 0, 0);
}

/* Tensors a model of this kind has: anything else in the file is foreign. */
static size_t n_tensors_expected(const prle_model *m)
{
    size_t n = 4; /* prototypes, prototype_rows, label_mean, label_sd */
    n += m->params.type == PRLE_EXPERT_MLP ? 4 : 2;
    if (m->router)
        n += 1 + (prle_router_n_params(m->router) ? 4 : 0);
    return n;
}

int prle_model_load(prle_model **out, const char *path)
{
    prle_st_file *f = NULL;
    int err = prle_st_open(&f, path);
    if (err == 0)
        err = prle__model_load_st(out, f, path);
    prle_st_free(f);
    return err;
}

int prle__model_load_st(prle_model **out, const prle_st_file *f, const char *path)
{
    int err;
    prle_model *m = NULL;
    prle_model_params p = prle_model_default_params();
    int kept = 0;
    double ymean, ysd, tau, recal[2] = {0.0, 1.0}, nbw = 0.0;
    p.recalibrate = false; /* files before it were not recalibrated */
    if ((err = meta_names(&p, f, path)) < 0 ||
        (err = meta_fields(&p, &kept, &ymean, &ysd, &tau, recal, &nbw, f, path)) < 0)
        goto done;
    if (!(nbw >= 0 && nbw <= 1)) {
        err = prle__error_set(PRLE_EFORMAT, "%s: metadata neighbour_weight %g outside [0, 1]", path,
                              nbw);
        goto done;
    }
    prle_st_tensor_info info;
    if (prle_st_find(&info, f, "prototypes") < 0 || info.ndim != 2) {
        err = prle__error_set(PRLE_EFORMAT, "%s: tensor prototypes missing or not 2-D", path);
        goto done;
    }
    if (info.shape[0] != p.protos.n_prototypes || !(ysd > 0) || !isfinite(ymean) ||
        !isfinite(ysd) || prle_model_params_check(&p) < 0) {
        err = prle__error_set(PRLE_EFORMAT, "%s: metadata inconsistent (%s)", path,
                              prle_last_error());
        goto done;
    }
    if ((err = prle__model_alloc(&m, &p, info.shape[0], info.shape[1])) < 0)
        goto done;
    m->kept_epoch = kept;
    m->y_mean = ymean;
    m->y_sd = ysd;
    m->recal_a = recal[0];
    m->recal_b = recal[1];
    m->nb_weight = nbw;
    if ((err = read_tensors(m, f, path, tau)) < 0)
        goto done;
    if (p.type != PRLE_EXPERT_PROTO_RBF && (err = read_router(m, f, path, tau)) < 0)
        goto done;
    if (prle_st_n_tensors(f) != n_tensors_expected(m)) {
        err = prle__error_set(PRLE_EFORMAT, "%s: %zu tensors, a model of this kind has %zu", path,
                              prle_st_n_tensors(f), n_tensors_expected(m));
        goto done;
    }
    *out = m;
    m = NULL;
done:
    prle_model_free(m);
    return err;
}
