/* LABELS: unit grad */
/* The stage-2 model (src/prle/fit.c, trainer.c, predict.c, model_params.c): training against a
 * PyTorch re-statement (tools/ref/model_ref.py -> model_ref.h), the whole step's gradient
 * against central differences, loss going down, early stopping keeping the best epoch,
 * predictions and explanations adding up, non-finite rows, params from a config. */
#include "prle_test.h"

#include "model_fixture.h"
#include "model_ref.h"
#include "nn/adam.h"
#include "prle/meta_init.h"
#include "prle/model_int.h"

/* ---- the PyTorch reference --------------------------------------------------------------- */

static bool keep_last(const prle_model_epoch *e, void *ud)
{
    *(prle_model_epoch *)ud = *e;
    return true;
}

typedef struct ref_case {
    const char *name;
    prle_expert_type type;
    size_t h;
    bool v2;
    double entropy, tau_init, anneal, lr, wd;
    prle_distance dist;
    int epochs;
    const float *init[4], *out[4];
    double tau;
    const double *log;
} ref_case;

static void run_ref(const ref_case *c)
{
    prle_matrix z = {.data = (float *)mref_z, .rows = MREF_N, .cols = MREF_D};
    prle_model_params p = prle_model_default_params();
    p.protos.n_prototypes = MREF_P;
    p.type = c->type;
    p.mlp_hidden = c->h ? c->h : 32;
    p.loss.use_v2 = c->v2;
    p.loss.entropy = c->entropy;
    p.router.distance = c->dist;
    p.router.tau_init = c->tau_init;
    p.router.tau_anneal = c->anneal;
    p.learning_rate = c->lr;
    p.weight_decay = c->wd;
    p.max_epochs = c->epochs;
    p.patience = 0;
    p.batch_size = MREF_B;
    p.n_threads = 1;
    prle_model_epoch last = {0};
    p.on_epoch = keep_last;
    p.on_epoch_ud = &last;
    prle__experts ex;
    PT_OK(prle__experts_init(&ex, c->type, MREF_P, MREF_D, c->h));
    float *init = calloc(ex.n_params, sizeof *init);
    size_t offs[4] = {ex.w1, ex.b1, ex.w2, ex.b2};
    size_t lens[4] = {MREF_P * (c->h ? c->h : 1) * MREF_D, MREF_P * (c->h ? c->h : 1),
                      MREF_P * c->h, MREF_P};
    int nt = c->type == PRLE_EXPERT_MLP ? 4 : 2;
    for (int t = 0; t < nt; t++)
        memcpy(init + offs[t], c->init[t], lens[t] * sizeof(float));
    prle__fit_opts o = {.proto_rows = mref_protos, .init_experts = init, .perm = mref_perm};
    prle_model *m = NULL;
    PT_OK(prle__model_fit(&m, &z, mref_y, NULL, NULL, &p, &o));
    if (m) {
        PT_NEAR(m->y_mean, mref_label_mean, 1e-12);
        PT_NEAR(m->y_sd, mref_label_sd, 1e-12);
        double worst = 0;
        for (int t = 0; t < nt; t++)
            for (size_t i = 0; i < lens[t]; i++)
                worst = fmax(worst, fabs(m->ex_params[offs[t] + i] - c->out[t][i]));
        if (worst > 1e-4)
            PT_FAIL_AT("%s: parameters differ from PyTorch by %g", c->name, worst);
        /* and training moved them: the check is not vacuous */
        double moved = 0;
        for (size_t i = 0; i < lens[0]; i++)
            moved = fmax(moved, fabs(c->out[0][i] - c->init[0][i]));
        PT_CHECK(moved > 1e-3);
        PT_NEAR(prle_model_tau(m), c->tau, 1e-4);
        PT_EQ_INT(last.epoch, c->epochs);
        PT_NEAR(last.loss, c->log[0], 1e-4);
        PT_NEAR(last.task, c->log[1], 1e-4);
        if (c->v2) {
            PT_NEAR(last.fit, c->log[2], 1e-4);
            PT_NEAR(last.anchor, c->log[3], 1e-4);
            PT_NEAR(last.balance, c->log[4], 1e-4);
            PT_NEAR(last.entropy, c->log[5], 1e-4);
            PT_CHECK(isnan(last.metric) && isnan(last.local));
        } else {
            PT_NEAR(last.local, c->log[2], 1e-4);
            PT_NEAR(last.consistency, c->log[3], 1e-4);
            PT_NEAR(last.proto_self, c->log[4], 1e-4);
            PT_NEAR(last.metric, c->log[5], 1e-4);
            PT_CHECK(isnan(last.fit) && isnan(last.anchor));
        }
        PT_CHECK(isnan(last.val_mse) && last.improved);
        PT_EQ_INT(prle_model_kept_epoch(m), c->epochs);
    }
    prle_model_free(m);
    free(init);
}

static void test_model__reference_linear_v2(void)
{
    ref_case c = {"lin",
                  PRLE_EXPERT_LINEAR,
                  0,
                  true,
                  0.0,
                  1.0,
                  1.0,
                  0.01,
                  5e-7,
                  PRLE_DIST_COSINE,
                  1,
                  {mref_lin_init_w, mref_lin_init_b},
                  {mref_lin_out_w, mref_lin_out_b},
                  mref_lin_tau,
                  mref_lin_log};
    run_ref(&c);
}

static void test_model__reference_mlp_v2(void)
{
    ref_case c = {"mlp",
                  PRLE_EXPERT_MLP,
                  3,
                  true,
                  0.05,
                  2.0,
                  1.2,
                  0.02,
                  1e-3,
                  PRLE_DIST_EUCLIDEAN,
                  2,
                  {mref_mlp_init_w1, mref_mlp_init_b1, mref_mlp_init_w2, mref_mlp_init_b2},
                  {mref_mlp_out_w1, mref_mlp_out_b1, mref_mlp_out_w2, mref_mlp_out_b2},
                  mref_mlp_tau,
                  mref_mlp_log};
    run_ref(&c);
}

static void test_model__reference_linear_v1(void)
{
    ref_case c = {"v1",
                  PRLE_EXPERT_LINEAR,
                  0,
                  false,
                  0.0,
                  1.5,
                  1.0,
                  0.01,
                  5e-7,
                  PRLE_DIST_COSINE,
                  2,
                  {mref_v1_init_w, mref_v1_init_b},
                  {mref_v1_out_w, mref_v1_out_b},
                  mref_v1_tau,
                  mref_v1_log};
    run_ref(&c);
}

/* ---- the whole step's gradient ----------------------------------------------------------- */

static void check_step(const char *name, prle_model_params p)
{
    enum { N = 24, D = 5, NB = 10 };
    prle_matrix z = {0};
    float *y = NULL;
    PT_OK(mfx_problem(&z, &y, N, D, 3, 0.1));
    p.max_epochs = 1;
    p.n_threads = 1;
    prle_model *m = NULL;
    PT_OK(prle_model_fit(&m, &z, y, NULL, NULL, &p));
    if (!m)
        goto done;
    size_t np = m->np;
    float *ys = malloc(N * sizeof *ys), *a = malloc(np * sizeof *a);
    ptrdiff_t anchor[N];
    for (size_t i = 0; i < N; i++) {
        ys[i] = (float)((y[i] - m->y_mean) / m->y_sd);
        anchor[i] = -1;
    }
    for (size_t q = 0; q < np; q++) {
        anchor[m->proto_rows[q]] = (ptrdiff_t)q;
        a[q] = ys[m->proto_rows[q]];
    }
    size_t rows[NB];
    for (size_t i = 0; i < NB; i++)
        rows[i] = i < np ? m->proto_rows[i] : (i * 5) % N; /* holds anchor rows */
    prle__trainer t;
    PT_OK(prle__trainer_init(&t, m, &z, ys, anchor, a, NB, 1));
    prle__mix_coef c = prle__mix_coef_of(&p.loss, PRLE__PHASE_BOTH);
    if (p.loss.use_v2)
        c.entropy = 0.05; /* every term in play */
    prle__mix_terms terms;
    PT_OK(prle__trainer_step(&t, &terms, rows, NB, &c, 99, true));
    float *g = malloc(t.pb.n * sizeof *g);
    memcpy(g, t.pb.grads, t.pb.n * sizeof *g);
    int bad = 0;
    double gmax = 0;
    for (size_t i = 0; i < t.pb.n; i++) {
        /* eps 1e-3, and where float rounding of W blurs a tiny gradient, eps 1e-2 */
        double num = 0;
        bool ok = false;
        for (int k = 0; k < 2 && !ok; k++) {
            float keep = t.pb.params[i], eps = k ? 1e-2f : 1e-3f;
            prle__mix_terms tp, tm;
            t.pb.params[i] = keep + eps;
            PT_OK(prle__trainer_step(&t, &tp, rows, NB, &c, 99, false));
            t.pb.params[i] = keep - eps;
            PT_OK(prle__trainer_step(&t, &tm, rows, NB, &c, 99, false));
            t.pb.params[i] = keep;
            num = (tp.total - tm.total) / ((double)(keep + eps) - (double)(keep - eps));
            ok = fabs(num - g[i]) <= 1e-2 * fmax(fabs(num) + fabs(g[i]), 1e-3);
        }
        gmax = fmax(gmax, fabs(num));
        if (!ok && bad++ < 5)
            PT_FAIL_AT("%s: param %zu of %zu (tau at %zu, gate at %zu): analytic %.7g numeric %.7g",
                       name, i, t.pb.n, t.off_tau, t.off_gate, (double)g[i], num);
    }
    /* one random direction over the whole buffer */
    prle_rng r;
    prle_rng_init(&r, 5, "test.direction", 0);
    float *v = malloc(t.pb.n * sizeof *v), *keep = malloc(t.pb.n * sizeof *keep);
    double gv = 0;
    memcpy(keep, t.pb.params, t.pb.n * sizeof *keep);
    for (size_t i = 0; i < t.pb.n; i++) {
        v[i] = (float)prle_rng_normal(&r);
        gv += (double)g[i] * v[i];
    }
    prle__mix_terms tp, tm;
    for (size_t i = 0; i < t.pb.n; i++)
        t.pb.params[i] = keep[i] + 1e-3f * v[i];
    PT_OK(prle__trainer_step(&t, &tp, rows, NB, &c, 99, false));
    for (size_t i = 0; i < t.pb.n; i++)
        t.pb.params[i] = keep[i] - 1e-3f * v[i];
    PT_OK(prle__trainer_step(&t, &tm, rows, NB, &c, 99, false));
    memcpy(t.pb.params, keep, t.pb.n * sizeof *keep);
    double dir = (tp.total - tm.total) / 2e-3;
    if (fabs(dir - gv) > 1e-2 * (fabs(dir) + fabs(gv)))
        PT_FAIL_AT("%s: random direction: analytic %.7g numeric %.7g", name, gv, dir);
    free(v), free(keep);
    PT_CHECK(gmax > 1e-3);
    if (t.off_tau != SIZE_MAX)
        PT_CHECK(g[t.off_tau] != 0);
    free(g);
    prle__trainer_dispose(&t);
    free(ys);
    free(a);
done:
    prle_model_free(m);
    prle_matrix_dispose(&z);
    free(y);
}

static void test_model__step_gradient(void)
{
    prle_model_params p = mfx_params(4, 1);
    p.router.tau_init = 3.0;
    check_step("linear softmax v2", p);
    p.type = PRLE_EXPERT_MLP;
    p.router.distance = PRLE_DIST_EUCLIDEAN;
    check_step("mlp softmax v2", p);
    p.loss.use_v2 = false;
    check_step("mlp softmax v1", p);
    p.type = PRLE_EXPERT_LINEAR;
    check_step("linear softmax v1", p);
    p.loss.use_v2 = true;
    p.router.type = PRLE_ROUTER_MLP_SPARSE;
    p.router.distance = PRLE_DIST_COSINE;
    check_step("linear mlp_sparse v2", p);
    p.router.type = PRLE_ROUTER_KNN;
    check_step("linear knn v2", p);
}

/* ---- training behaviour ------------------------------------------------------------------ */

typedef struct history {
    prle_model_epoch e[400];
    int n;
} history;

static bool record(const prle_model_epoch *e, void *ud)
{
    history *h = ud;
    if (h->n < 400)
        h->e[h->n++] = *e;
    return true;
}

static double mse_of(const prle_model *m, const prle_matrix *z, const float *y)
{
    float *yh = malloc(z->rows * sizeof *yh);
    double s = 0;
    if (prle_model_predict(yh, NULL, NULL, m, z) < 0)
        s = NAN;
    for (size_t i = 0; i < z->rows; i++)
        s += ((double)yh[i] - y[i]) * ((double)yh[i] - y[i]);
    free(yh);
    return s / (double)z->rows;
}

static void test_model__loss_decreases(void)
{
    prle_matrix z = {0}, zv = {0};
    float *y = NULL, *yv = NULL;
    PT_OK(mfx_problem(&z, &y, 300, 6, 1, 0.1));
    PT_OK(mfx_problem(&zv, &yv, 100, 6, 2, 0.1));
    prle_model_params p = mfx_params(6, 25);
    p.patience = 0;
    history h = {.n = 0};
    p.on_epoch = record;
    p.on_epoch_ud = &h;
    prle_model *m = NULL;
    PT_OK(prle_model_fit(&m, &z, y, &zv, yv, &p));
    PT_EQ_INT(h.n, 25);
    if (h.n == 25) {
        PT_CHECK(h.e[24].loss < 0.8 * h.e[0].loss);
        PT_CHECK(h.e[24].task < h.e[0].task);
        PT_CHECK(h.e[24].val_mse < 0.9 * h.e[0].val_mse);
        double sd = m->y_sd / m->recal_b; /* the training labels' sd (y_sd has the slope) */
        PT_NEAR(h.e[3].val_mse_raw, h.e[3].val_mse * sd * sd, 1e-12);
        PT_CHECK(h.e[0].tau >= 0.5 && h.e[0].tau <= 50);
    }
    /* the model beats the mean predictor on validation */
    double mean = 0, var = 0;
    for (size_t i = 0; i < 100; i++)
        mean += yv[i] / 100.0;
    for (size_t i = 0; i < 100; i++)
        var += (yv[i] - mean) * (yv[i] - mean) / 100.0;
    PT_CHECK(m && mse_of(m, &zv, yv) < 0.7 * var);
    prle_model_free(m);
    prle_matrix_dispose(&z), prle_matrix_dispose(&zv);
    free(y), free(yv);
}

static bool count_model_epochs(const prle_model_epoch *e, void *ud)
{
    (void)e;
    (*(int *)ud)++;
    return true;
}

/* tau_init 0: the fit sets the tau at which the training rows' mean largest weight is
 * router.tau_top1, the prototypes' own rows left out (a learning rate of 1e-9 leaves it there
 * for one epoch). Without a budget
 * (max_epochs 0) and without validation the fit runs prle__epoch_budget's epochs. */
static void test_model__tau_from_data(void)
{
    prle_matrix z = {0};
    float *y = NULL;
    PT_OK(mfx_problem(&z, &y, 200, 6, 7, 0.3));
    for (int t = 0; t < 2; t++) {
        double target = t ? 0.9 : 0.6;
        prle_model_params p = mfx_params(5, 1);
        p.router.tau_init = 0;
        p.router.tau_top1 = target;
        p.router.tau_max = 1e6;
        p.learning_rate = 1e-9;
        prle_model *m = NULL;
        PT_OK(prle_model_fit(&m, &z, y, NULL, NULL, &p));
        if (!m)
            continue;
        float *w = malloc(200 * 5 * sizeof *w), *yh = malloc(200 * sizeof *yh);
        PT_OK(prle_model_predict(yh, w, NULL, m, &z));
        /* the mean over the rows that are not prototypes (the rule leaves those out) */
        const size_t *rows = prle_model_prototype_rows(m);
        double top = 0;
        size_t used = 0;
        for (size_t i = 0; i < 200; i++) {
            bool proto = false;
            for (size_t q = 0; q < 5; q++)
                proto |= rows[q] == i;
            float b = 0;
            for (size_t q = 0; q < 5; q++)
                b = w[i * 5 + q] > b ? w[i * 5 + q] : b;
            if (!proto)
                top += b, used++;
        }
        PT_CHECK(used == 195);
        PT_NEAR(top / (double)used, target, 2e-3);
        PT_CHECK(prle_model_tau(m) > 0.5);
        free(w);
        free(yh);
        prle_model_free(m);
    }
    /* max_epochs 0, no validation: the step budget's epochs (200 rows, batch 64: 5000 -> 1000) */
    prle_model_params p = mfx_params(5, 0);
    p.batch_size = 64;
    int epochs = 0;
    p.on_epoch = count_model_epochs;
    p.on_epoch_ud = &epochs;
    prle_model *m = NULL;
    PT_OK(prle_model_fit(&m, &z, y, NULL, NULL, &p));
    PT_EQ_INT(epochs, prle__epoch_budget(200, 64));
    prle_model_free(m);
    prle_matrix_dispose(&z);
    free(y);
}

/* The ridge warm start (the default init): every expert starts as the ridge on value-space
 * train whose alpha the validation rows chose, so after one epoch at a negligible learning
 * rate the model predicts what that ridge predicts. */
static void test_model__warm_start(void)
{
    prle_matrix z = {0}, zv = {0};
    float *y = NULL, *yv = NULL;
    PT_OK(mfx_problem(&z, &y, 60, 6, 3, 0.5));
    PT_OK(mfx_problem(&zv, &yv, 40, 6, 4, 0.5));
    prle_model_params p = mfx_params(5, 1);
    PT_EQ_INT(p.init, PRLE_EXPERT_INIT_RIDGE);
    p.learning_rate = 1e-12;
    p.recalibrate = false; /* the trained model itself (tests/test_model_recalibrate.c) */
    prle_model *m = NULL;
    PT_OK(prle_model_fit(&m, &z, y, &zv, yv, &p));
    /* the ridge on standardised labels (population sd), as the fit makes them */
    double mean = 0, sd = 0;
    for (size_t i = 0; i < 60; i++)
        mean += y[i] / 60.0;
    for (size_t i = 0; i < 60; i++)
        sd += (y[i] - mean) * (y[i] - mean) / 60.0;
    sd = sqrt(sd);
    float ys[60], yvs[40], w[6], c, yhat[40];
    double alpha = 0;
    for (size_t i = 0; i < 60; i++)
        ys[i] = (float)((y[i] - mean) / sd);
    for (size_t i = 0; i < 40; i++)
        yvs[i] = (float)((yv[i] - mean) / sd);
    PT_OK(prle__meta_init_ridge(w, &c, &alpha, 0, &z, ys, &zv, yvs, 1));
    PT_CHECK(alpha > 0);
    if (m) {
        PT_OK(prle_model_predict(yhat, NULL, NULL, m, &zv));
        for (size_t i = 0; i < 40; i++) {
            double r = c;
            for (size_t k = 0; k < 6; k++)
                r += (double)w[k] * prle_matrix_row(&zv, i)[k];
            PT_NEAR(yhat[i], mean + sd * r, 1e-4);
        }
    }
    prle_model_free(m);
    prle_matrix_dispose(&z), prle_matrix_dispose(&zv);
    free(y), free(yv);
}

static void test_model__early_stopping_keeps_best(void)
{
    prle_matrix z = {0}, zv = {0};
    float *y = NULL, *yv = NULL;
    PT_OK(mfx_problem(&z, &y, 40, 6, 3, 0.5));
    PT_OK(mfx_problem(&zv, &yv, 60, 6, 4, 0.5));
    prle_model_params p = mfx_params(5, 300);
    p.type = PRLE_EXPERT_MLP;
    p.mlp_hidden = 16;
    p.learning_rate = 0.03;
    p.patience = 4;
    p.recalibrate = false; /* the kept epoch's own predictions */
    history h = {.n = 0};
    p.on_epoch = record;
    p.on_epoch_ud = &h;
    prle_model *m = NULL;
    PT_OK(prle_model_fit(&m, &z, y, &zv, yv, &p));
    PT_CHECK(h.n > 4 && h.n < 300); /* it stopped */
    int best = 0;
    for (int i = 1; i < h.n; i++)
        if (h.e[i].val_mse < h.e[best].val_mse)
            best = i;
    double run = INFINITY; /* improved = a new best (min_delta 0), as the epochs went */
    for (int i = 0; i < h.n; i++) {
        PT_CHECK(h.e[i].improved == (h.e[i].val_mse < run));
        run = fmin(run, h.e[i].val_mse);
    }
    PT_EQ_INT(prle_model_kept_epoch(m), best + 1);
    PT_EQ_INT(h.n, best + 1 + 4);
    PT_CHECK(h.e[best].improved);
    PT_CHECK(!h.e[h.n - 1].improved);
    if (m)
        PT_NEAR(mse_of(m, &zv, yv), h.e[best].val_mse_raw, 1e-5 * h.e[best].val_mse_raw);
    prle_model_free(m);
    /* min_delta larger than any gain: only the first epoch counts, stop after patience */
    h.n = 0;
    p.min_delta = 1e3;
    m = NULL;
    PT_OK(prle_model_fit(&m, &z, y, &zv, yv, &p));
    PT_EQ_INT(h.n, 5);
    PT_EQ_INT(prle_model_kept_epoch(m), 1);
    prle_model_free(m);
    prle_matrix_dispose(&z), prle_matrix_dispose(&zv);
    free(y), free(yv);
}

static bool stop_at_2(const prle_model_epoch *e, void *ud)
{
    (void)ud;
    return e->epoch < 2;
}

static void test_model__callbacks_and_errors(void)
{
    prle_matrix z = {0};
    float *y = NULL;
    PT_OK(mfx_problem(&z, &y, 50, 4, 5, 0.1));
    prle_model_params p = mfx_params(3, 5);
    p.on_epoch = stop_at_2;
    prle_model *m = NULL;
    PT_FAILS(prle_model_fit(&m, &z, y, NULL, NULL, &p), PRLE_EABORTED, "callback");
    PT_CHECK(m == NULL);
    p.on_epoch = NULL;
    z.data[3 * 4 + 2] = NAN;
    PT_FAILS(prle_model_fit(&m, &z, y, NULL, NULL, &p), PRLE_EINVAL, "training row 3");
    z.data[3 * 4 + 2] = 0.5f;
    y[7] = INFINITY;
    PT_FAILS(prle_model_fit(&m, &z, y, NULL, NULL, &p), PRLE_EINVAL, "training label 7");
    y[7] = 1.0f;
    p.protos.n_prototypes = 51;
    PT_FAILS(prle_model_fit(&m, &z, y, NULL, NULL, &p), PRLE_EINVAL, "51 prototypes");
    p.protos.n_prototypes = 3;
    p.learning_rate = 0;
    PT_FAILS(prle_model_fit(&m, &z, y, NULL, NULL, &p), PRLE_EINVAL, "learning_rate");
    p.learning_rate = 1e-2;
    prle_matrix zv = {0};
    float *yv = NULL;
    PT_OK(mfx_problem(&zv, &yv, 10, 5, 6, 0.1));
    PT_FAILS(prle_model_fit(&m, &z, y, &zv, yv, &p), PRLE_ESHAPE, "5 wide");
    prle_matrix_dispose(&z), prle_matrix_dispose(&zv);
    free(y), free(yv);
}

/* em_alt_training: odd epochs train the experts, even (geometry) epochs freeze experts and
 * router, as the original did; with a frozen kernel they change nothing. */
static void test_model__em_alternation(void)
{
    prle_matrix z = {0};
    float *y = NULL;
    PT_OK(mfx_problem(&z, &y, 60, 5, 12, 0.1));
    prle_model_params p = mfx_params(3, 1);
    p.loss.use_v2 = false;
    p.loss.em_alt_training = true;
    prle_model *m[3] = {NULL, NULL, NULL};
    history h = {.n = 0};
    for (int e = 0; e < 3; e++) {
        p.max_epochs = e + 1;
        p.on_epoch = e == 2 ? record : NULL;
        p.on_epoch_ud = &h;
        PT_OK(prle_model_fit(&m[e], &z, y, NULL, NULL, &p));
    }
    if (m[0] && m[1] && m[2]) {
        size_t n = m[0]->ex.n_params;
        PT_CHECK(memcmp(m[0]->ex_params, m[1]->ex_params, n * sizeof(float)) == 0);
        PT_CHECK(memcmp(m[1]->ex_params, m[2]->ex_params, n * sizeof(float)) != 0);
        PT_CHECK(prle_model_tau(m[0]) == prle_model_tau(m[1]));
        PT_EQ_INT(h.n, 3);
        /* the geometry phase weights: task 1, metric 1, proto_self 0, local 0, consistency 1 */
        PT_NEAR(h.e[1].loss, h.e[1].task + h.e[1].metric + h.e[1].consistency, 1e-9);
        PT_NEAR(h.e[0].loss, h.e[0].task + h.e[0].proto_self + h.e[0].local + h.e[0].consistency,
                1e-9);
    }
    for (int e = 0; e < 3; e++)
        prle_model_free(m[e]);
    prle_matrix_dispose(&z);
    free(y);
}

/* ---- predictions and explanations -------------------------------------------------------- */

static void check_predictions(const char *name, prle_model_params p)
{
    int failed_before = pt_failed_checks;
    prle_matrix z = {0}, zt = {0};
    float *y = NULL, *yt = NULL;
    PT_OK(mfx_problem(&z, &y, 120, 6, 8, 0.1));
    PT_OK(mfx_problem(&zt, &yt, 40, 6, 9, 0.1));
    prle_model *m = NULL;
    PT_OK(prle_model_fit(&m, &z, y, NULL, NULL, &p));
    if (!m)
        goto done;
    size_t n = zt.rows, np = prle_model_n_prototypes(m);
    float *yh = malloc(n * sizeof *yh), *w = malloc(n * np * sizeof *w);
    float *e = malloc(n * np * sizeof *e), *y2 = malloc(n * sizeof *y2);
    prle_explain_item *it = malloc((np + 2) * sizeof *it);
    PT_OK(prle_model_predict(yh, w, e, m, &zt));
    PT_OK(prle_model_predict(y2, NULL, NULL, m, &zt));
    PT_CHECK(memcmp(yh, y2, n * sizeof *yh) == 0);
    for (size_t i = 0; i < n; i++) {
        double sw = 0, s = 0;
        for (size_t q = 0; q < np; q++) {
            PT_CHECK(w[i * np + q] >= 0);
            sw += w[i * np + q];
            s += (double)w[i * np + q] * e[i * np + q];
        }
        PT_NEAR(sw, 1.0, 1e-5);
        PT_NEAR(s, yh[i], 1e-5);
        for (size_t k = 1; k <= np + 2; k += np + 1) { /* k = 1 and k = np + 2 */
            float rest = 0, ye = 0;
            size_t got = prle_model_explain(it, &rest, &ye, m, prle_matrix_row(&zt, i), k);
            PT_EQ_INT(got, k < np ? k : np);
            double c = rest;
            for (size_t j = 0; j < got; j++) {
                size_t q = it[j].prototype;
                c += it[j].contribution;
                PT_EQ_INT(it[j].train_row, prle_model_prototype_rows(m)[q]);
                PT_NEAR(it[j].weight, w[i * np + q], 1e-6);
                PT_NEAR(it[j].local, e[i * np + q], 1e-5 * fmax(1, fabs(e[i * np + q])));
                PT_NEAR(it[j].contribution, it[j].weight * it[j].local, 1e-6);
                if (j) /* heaviest first, ties to the lower slot */
                    PT_CHECK(it[j - 1].weight > it[j].weight ||
                             (it[j - 1].weight == it[j].weight &&
                              it[j - 1].prototype < it[j].prototype));
            }
            PT_NEAR(c, ye, 1e-5);
            PT_NEAR(ye, yh[i], 1e-5 * fmax(1, fabs(yh[i])));
            if (got == np) { /* every prototype exactly once, nothing left */
                unsigned long seen = 0;
                for (size_t j = 0; j < got; j++)
                    seen |= 1ul << it[j].prototype;
                PT_EQ_INT(seen, (1ul << np) - 1);
                PT_NEAR(rest, 0, 1e-5);
            }
        }
    }
    /* the heaviest prototype comes first in a k = 1 explanation, whatever its local value */
    float rest, ye;
    prle_model_explain(it, &rest, &ye, m, prle_matrix_row(&zt, 0), 1);
    for (size_t q = 0; q < np; q++)
        PT_CHECK(w[q] <= it[0].weight);
    /* a non-finite input row is named */
    zt.data[17 * 6 + 4] = NAN;
    PT_FAILS(prle_model_predict(yh, NULL, NULL, m, &zt), PRLE_EINVAL, "row 17");
    PT_CHECK(prle_model_explain(it, &rest, &ye, m, prle_matrix_row(&zt, 17), 3) == 0);
    PT_CHECK(isnan(ye) && prle_last_error_code() == PRLE_EINVAL);
    prle_matrix narrow = {.data = zt.data, .rows = 2, .cols = 5};
    PT_FAILS(prle_model_predict(yh, NULL, NULL, m, &narrow), PRLE_ESHAPE, "width 5");
    free(yh), free(w), free(e), free(y2), free(it);
done:
    if (pt_failed_checks != failed_before)
        fprintf(stderr, "  (case %s)\n", name);
    prle_model_free(m);
    prle_matrix_dispose(&z), prle_matrix_dispose(&zt);
    free(y), free(yt);
}

static void test_model__predict_and_explain(void)
{
    prle_model_params p = mfx_params(5, 4);
    check_predictions("linear softmax", p);
    p.type = PRLE_EXPERT_MLP;
    p.router.type = PRLE_ROUTER_KNN;
    check_predictions("mlp knn", p);
    p.router.type = PRLE_ROUTER_MLP_SPARSE;
    check_predictions("mlp mlp_sparse", p);
    p.type = PRLE_EXPERT_LINEAR;
    p.init = PRLE_EXPERT_INIT_META_LINEAR;
    p.router.type = PRLE_ROUTER_RADIUS;
    check_predictions("meta-linear radius", p);
    p.type = PRLE_EXPERT_PROTO_RBF;
    check_predictions("proto_rbf", p);
}

/* Meta-init copies one linear fit into every expert (before training moves them). */
static void test_model__meta_init_copies(void)
{
    prle_matrix z = {0};
    float *y = NULL;
    PT_OK(mfx_problem(&z, &y, 80, 5, 10, 0.05));
    prle_model_params p = mfx_params(4, 1);
    p.init = PRLE_EXPERT_INIT_META_LINEAR;
    p.learning_rate = 1e-9; /* one step that changes nothing visible */
    prle_model *m = NULL;
    PT_OK(prle_model_fit(&m, &z, y, NULL, NULL, &p));
    float w[4 * 5], c[4];
    PT_OK(m ? prle_model_linear_weights(w, c, m) : -1);
    for (size_t q = 1; q < 4; q++) {
        for (size_t k = 0; k < 5; k++)
            PT_NEAR(w[q * 5 + k], w[k], 1e-5);
        PT_NEAR(c[q], c[0], 1e-5);
    }
    /* the copied fit is a least-squares line: its residuals are orthogonal to the rows */
    double r0 = 0;
    for (size_t i = 0; i < 80; i++) {
        double f = c[0];
        for (size_t k = 0; k < 5; k++)
            f += (double)w[k] * z.data[i * 5 + k];
        r0 += f - y[i];
    }
    PT_NEAR(r0 / 80, 0, 1e-3);
    prle_model_free(m);
    prle_matrix_dispose(&z);
    free(y);
}

/* ---- params ------------------------------------------------------------------------------ */

static void test_model__params(void)
{
    prle_model_params d = prle_model_default_params();
    PT_CHECK(d.type == PRLE_EXPERT_LINEAR && d.init == PRLE_EXPERT_INIT_RIDGE);
    PT_EQ_INT(d.mlp_hidden, 32);
    PT_NEAR(d.learning_rate, 1e-3, 0);
    PT_NEAR(d.weight_decay, 5e-7, 0);
    PT_EQ_INT(d.max_epochs, 0);
    PT_EQ_INT(d.patience, 10);
    PT_EQ_INT(d.batch_size, 64);
    PT_CHECK(d.loss.use_v2);
    PT_NEAR(d.loss.expert_fit + d.loss.anchor_route + d.loss.balance, 1.1, 1e-12);
    PT_OK(prle_model_params_check(&d));
    PT_EQ_STR(prle_expert_type_name(PRLE_EXPERT_PROTO_RBF), "proto_rbf");
    PT_EQ_STR(prle_expert_init_name(PRLE_EXPERT_INIT_META_SVR), "meta_svr");

    prle_config cfg;
    PT_OK(prle_config_default(&cfg));
    prle_model_params p;
    PT_OK(prle_model_params_from_config(&p, &cfg));
    PT_CHECK(p.type == d.type && p.max_epochs == d.max_epochs && p.loss.use_v2);
    PT_NEAR(p.loss.consistency[0], 1.0, 0);
    PT_NEAR(p.loss.metric[1], 0.0, 0);
    const char *ov[] = {"model.type=mlp",
                        "model.expert_mlp_hidden_dim=7",
                        "model.use_v2_loss=false",
                        "loss.lambda_balance=0.25",
                        "loss.lambda_local_geom=0.3",
                        "train.learning_rate=0.003",
                        "train.weight_decay=0",
                        "train.max_epochs=9",
                        "train.early_stop_patience=2",
                        "train.min_delta=0.01",
                        "train.train_batch_size=48",
                        "train.seed=11",
                        "train.threads=1",
                        "train.em_alt_training=true",
                        "model.expert_init_strategy=meta_svr",
                        "model.num_prototypes=12",
                        "model.gating_strategy=knn"};
    for (size_t i = 0; i < sizeof ov / sizeof *ov; i++)
        PT_OK(prle_config_override(&cfg, ov[i]));
    PT_OK(prle_model_params_from_config(&p, &cfg));
    PT_CHECK(p.type == PRLE_EXPERT_MLP && p.init == PRLE_EXPERT_INIT_META_SVR);
    PT_EQ_INT(p.mlp_hidden, 7);
    PT_CHECK(!p.loss.use_v2 && p.loss.em_alt_training);
    PT_NEAR(p.loss.balance, 0.25, 0);
    PT_NEAR(p.loss.local[0], 0.3, 0);
    PT_NEAR(p.learning_rate, 0.003, 0);
    PT_NEAR(p.weight_decay, 0, 0);
    PT_EQ_INT(p.max_epochs, 9);
    PT_EQ_INT(p.patience, 2);
    PT_NEAR(p.min_delta, 0.01, 0);
    PT_EQ_INT(p.batch_size, 48);
    PT_CHECK(p.seed == 11 && p.protos.seed == 11);
    PT_EQ_INT(p.n_threads, 1);
    PT_EQ_INT(p.protos.n_prototypes, 12);
    PT_CHECK(p.router.type == PRLE_ROUTER_KNN);
    PT_OK(prle_model_params_check(&p));
    PT_OK(prle_config_override(&cfg, "model.monitor=val_pearson"));
    PT_FAILS(prle_model_params_from_config(&p, &cfg), PRLE_EINVAL, "model.monitor");
    prle_config_dispose(&cfg);

    prle_model_params b = d;
    b.batch_size = 0;
    PT_FAILS(prle_model_params_check(&b), PRLE_EINVAL, "batch_size");
    b = d;
    b.loss.task[1] = NAN;
    PT_FAILS(prle_model_params_check(&b), PRLE_EINVAL, "lambda");
    b = d;
    b.label_min = 2;
    b.label_max = 1;
    PT_FAILS(prle_model_params_check(&b), PRLE_EINVAL, "label_min");
    b = d;
    b.router.tau_min = 0;
    PT_FAILS(prle_model_params_check(&b), PRLE_EINVAL, "tau_min");
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_model__reference_linear_v2);
    PT_RUN(test_model__reference_mlp_v2);
    PT_RUN(test_model__reference_linear_v1);
    PT_RUN(test_model__step_gradient);
    PT_RUN(test_model__loss_decreases);
    PT_RUN(test_model__tau_from_data);
    PT_RUN(test_model__warm_start);
    PT_RUN(test_model__early_stopping_keeps_best);
    PT_RUN(test_model__callbacks_and_errors);
    PT_RUN(test_model__em_alternation);
    PT_RUN(test_model__predict_and_explain);
    PT_RUN(test_model__meta_init_copies);
    PT_RUN(test_model__params);
    return pt_report();
}
