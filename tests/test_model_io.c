/* LABELS: unit io */
/* model.safetensors (src/prle/model_io.c): save -> load -> predict gives the same bytes for
 * every expert and router kind; two fits with the same params and seed give the same file; 1
 * and 2 threads agree; truncated, foreign, other-version and incomplete files are
 * PRLE_EFORMAT naming the path. */
#include "prle_test.h"

#include "model_fixture.h"

typedef struct problem {
    prle_matrix z, zv, zt;
    float *y, *yv, *yt;
} problem;

static void problem_make(problem *pb)
{
    memset(pb, 0, sizeof *pb);
    PT_OK(mfx_problem(&pb->z, &pb->y, 150, 6, 21, 0.1));
    PT_OK(mfx_problem(&pb->zv, &pb->yv, 50, 6, 22, 0.1));
    PT_OK(mfx_problem(&pb->zt, &pb->yt, 70, 6, 23, 0.1));
}

static void problem_dispose(problem *pb)
{
    prle_matrix_dispose(&pb->z), prle_matrix_dispose(&pb->zv), prle_matrix_dispose(&pb->zt);
    free(pb->y), free(pb->yv), free(pb->yt);
}

static void roundtrip(const char *name, prle_model_params p, const problem *pb)
{
    int before = pt_failed_checks;
    prle_model *m = NULL, *l = NULL;
    size_t n = pb->zt.rows;
    const char *path = pt_tmp("model_rt.safetensors");
    PT_OK(prle_model_fit(&m, &pb->z, pb->y, &pb->zv, pb->yv, &p));
    PT_OK(m ? prle_model_save(m, path) : -1);
    PT_OK(prle_model_load(&l, path));
    if (m && l) {
        size_t np = prle_model_n_prototypes(m);
        float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        float *wa = malloc(n * np * sizeof *wa), *wb = malloc(n * np * sizeof *wb);
        float *ea = malloc(n * np * sizeof *ea), *eb = malloc(n * np * sizeof *eb);
        PT_OK(prle_model_predict(a, wa, ea, m, &pb->zt));
        PT_OK(prle_model_predict(b, wb, eb, l, &pb->zt));
        PT_CHECK(memcmp(a, b, n * sizeof *a) == 0);
        PT_CHECK(memcmp(wa, wb, n * np * sizeof *wa) == 0);
        PT_CHECK(memcmp(ea, eb, n * np * sizeof *ea) == 0);
        PT_EQ_INT(prle_model_n_prototypes(l), np);
        PT_EQ_INT(prle_model_dim(l), 6);
        PT_CHECK(prle_model_expert_type(l) == p.type);
        PT_CHECK(memcmp(prle_model_prototype_rows(m), prle_model_prototype_rows(l),
                        np * sizeof(size_t)) == 0);
        PT_EQ_INT(prle_model_kept_epoch(l), prle_model_kept_epoch(m));
        double m1, s1, m2, s2;
        prle_model_label_stats(m, &m1, &s1);
        prle_model_label_stats(l, &m2, &s2);
        PT_CHECK(m1 == m2 && s1 == s2);
        PT_CHECK(prle_model_tau(m) == prle_model_tau(l) ||
                 (isnan(prle_model_tau(m)) && isnan(prle_model_tau(l))));
        const prle_model_params *q = prle_model_get_params(l);
        PT_CHECK(q->router.type == p.router.type && q->seed == p.seed &&
                 q->learning_rate == p.learning_rate && q->loss.balance == p.loss.balance);
        /* saving the loaded model gives the same file */
        const char *path2 = pt_tmp("model_rt2.safetensors");
        PT_OK(prle_model_save(l, path2));
        PT_CHECK(pt_files_equal(path, path2));
        free(a), free(b), free(wa), free(wb), free(ea), free(eb);
    }
    if (pt_failed_checks != before)
        fprintf(stderr, "  (case %s)\n", name);
    prle_model_free(m);
    prle_model_free(l);
}

static void test_model_io__roundtrip(void)
{
    problem pb;
    problem_make(&pb);
    prle_model_params p = mfx_params(5, 6);
    roundtrip("linear softmax", p, &pb);
    p.type = PRLE_EXPERT_MLP;
    p.router.distance = PRLE_DIST_EUCLIDEAN;
    roundtrip("mlp softmax euclidean", p, &pb);
    p.router.type = PRLE_ROUTER_KNN;
    roundtrip("mlp knn", p, &pb);
    p.router.type = PRLE_ROUTER_MLP_SPARSE;
    roundtrip("mlp mlp_sparse", p, &pb);
    p.type = PRLE_EXPERT_LINEAR;
    p.router.type = PRLE_ROUTER_RADIUS;
    p.loss.use_v2 = false;
    roundtrip("linear radius v1", p, &pb);
    p.type = PRLE_EXPERT_PROTO_RBF;
    roundtrip("proto_rbf", p, &pb);
    problem_dispose(&pb);
}

/* The tensor names and shapes of model.h. */
static void test_model_io__tensor_names(void)
{
    problem pb;
    problem_make(&pb);
    prle_model_params p = mfx_params(4, 2);
    p.type = PRLE_EXPERT_MLP;
    p.router.type = PRLE_ROUTER_MLP_SPARSE;
    prle_model *m = NULL;
    const char *path = pt_tmp("model_names.safetensors");
    PT_OK(prle_model_fit(&m, &pb.z, pb.y, NULL, NULL, &p));
    PT_OK(m ? prle_model_save(m, path) : -1);
    prle_st_file *f = NULL;
    PT_OK(prle_st_open(&f, path));
    struct {
        const char *name;
        size_t ndim, shape[3];
    } want[] = {{"prototypes", 2, {4, 6}},      {"prototype_rows", 1, {4}},
                {"label_mean", 1, {1}},         {"label_sd", 1, {1}},
                {"router.tau", 1, {1}},         {"router.gate.0.weight", 2, {6, 19}},
                {"router.gate.0.bias", 1, {6}}, {"router.gate.2.weight", 2, {1, 6}},
                {"router.gate.2.bias", 1, {1}}, {"experts.0.weight", 3, {4, 4, 6}},
                {"experts.0.bias", 2, {4, 4}},  {"experts.2.weight", 3, {4, 1, 4}},
                {"experts.2.bias", 2, {4, 1}}};
    PT_EQ_INT(f ? prle_st_n_tensors(f) : 0, sizeof want / sizeof *want);
    for (size_t i = 0; f && i < sizeof want / sizeof *want; i++) {
        prle_st_tensor_info t;
        PT_OK(prle_st_find(&t, f, want[i].name));
        PT_EQ_INT(t.ndim, want[i].ndim);
        for (size_t k = 0; k < want[i].ndim; k++)
            PT_EQ_INT(t.shape[k], want[i].shape[k]);
    }
    if (f) {
        PT_EQ_STR(prle_st_metadata_get(f, "format"), "prle-model");
        PT_EQ_STR(prle_st_metadata_get(f, "version"), "1");
        PT_EQ_STR(prle_st_metadata_get(f, "expert"), "mlp");
        PT_EQ_STR(prle_st_metadata_get(f, "router"), "mlp_sparse");
        PT_EQ_STR(prle_st_metadata_get(f, "distance"), "cosine");
        PT_EQ_STR(prle_st_metadata_get(f, "seed"), "7");
        int64_t rows[4];
        PT_OK(prle_st_read_i64(rows, 4, f, "prototype_rows"));
        for (size_t q = 0; q < 4; q++)
            PT_EQ_INT(rows[q], prle_model_prototype_rows(m)[q]);
    }
    prle_st_free(f);
    prle_model_free(m);
    problem_dispose(&pb);
}

static void test_model_io__deterministic(void)
{
    problem pb;
    problem_make(&pb);
    prle_model_params p = mfx_params(5, 8);
    p.type = PRLE_EXPERT_MLP;
    prle_model *a = NULL, *b = NULL, *c = NULL;
    p.n_threads = p.protos.n_threads = p.router.n_threads = 2;
    PT_OK(prle_model_fit(&a, &pb.z, pb.y, &pb.zv, pb.yv, &p));
    PT_OK(prle_model_fit(&b, &pb.z, pb.y, &pb.zv, pb.yv, &p));
    PT_OK(a ? prle_model_save(a, pt_tmp("model_det_a.safetensors")) : -1);
    PT_OK(b ? prle_model_save(b, pt_tmp("model_det_b.safetensors")) : -1);
    PT_CHECK(pt_files_equal(pt_tmp("model_det_a.safetensors"), pt_tmp("model_det_b.safetensors")));
    /* 1 thread against 2 */
    p.n_threads = p.protos.n_threads = p.router.n_threads = 1;
    PT_OK(prle_model_fit(&c, &pb.z, pb.y, &pb.zv, pb.yv, &p));
    if (a && c) {
        size_t n = pb.zt.rows;
        float *ya = malloc(n * sizeof *ya), *yc = malloc(n * sizeof *yc);
        PT_OK(prle_model_predict(ya, NULL, NULL, a, &pb.zt));
        PT_OK(prle_model_predict(yc, NULL, NULL, c, &pb.zt));
        for (size_t i = 0; i < n; i++)
            PT_NEAR(ya[i], yc[i], 1e-5 * fmax(1, fabs(ya[i])));
        free(ya), free(yc);
    }
    /* another seed gives another model */
    prle_model *d = NULL;
    p.seed = 8;
    PT_OK(prle_model_fit(&d, &pb.z, pb.y, &pb.zv, pb.yv, &p));
    PT_OK(d ? prle_model_save(d, pt_tmp("model_det_d.safetensors")) : -1);
    PT_CHECK(!pt_files_equal(pt_tmp("model_det_a.safetensors"), pt_tmp("model_det_d.safetensors")));
    prle_model_free(a), prle_model_free(b), prle_model_free(c), prle_model_free(d);
    problem_dispose(&pb);
}

/* Rewrites `src` into `dst` with metadata `key` set to `val` (NULL: unchanged) and tensor
 * `drop` left out (NULL: none). */
static int rewrite(const char *src, const char *dst, const char *key, const char *val,
                   const char *drop)
{
    prle_st_file *f = NULL;
    prle_st_writer *w = NULL;
    int err = prle_st_open(&f, src);
    if (err < 0 || (err = prle_st_writer_new(&w)) < 0)
        goto done;
    for (size_t i = 0; i < prle_st_n_metadata(f) && err >= 0; i++) {
        const char *k, *v;
        prle_st_metadata_at(&k, &v, f, i);
        err = prle_st_writer_set_metadata(w, k, key && !strcmp(k, key) ? val : v);
    }
    for (size_t i = 0; i < prle_st_n_tensors(f) && err >= 0; i++) {
        prle_st_tensor_info t;
        prle_st_tensor_at(&t, f, i);
        if (drop && !strcmp(t.name, drop))
            continue;
        if (t.dtype == PRLE_ST_I64) {
            int64_t *v = malloc(t.numel * sizeof *v);
            if ((err = prle_st_read_i64(v, t.numel, f, t.name)) >= 0)
                err = prle_st_writer_add_i64(w, t.name, v, t.ndim, t.shape);
            free(v);
        } else {
            float *v = malloc(t.numel * sizeof *v);
            if ((err = prle_st_read_f32(v, t.numel, f, t.name)) >= 0)
                err = prle_st_writer_add_f32(w, t.name, v, t.ndim, t.shape);
            free(v);
        }
    }
    if (err >= 0)
        err = prle_st_writer_save(w, dst);
done:
    prle_st_writer_free(w);
    prle_st_free(f);
    return err;
}

static void test_model_io__bad_files(void)
{
    problem pb;
    problem_make(&pb);
    prle_model_params p = mfx_params(4, 2);
    prle_model *m = NULL, *l = NULL;
    const char *good = pt_tmp("model_good.safetensors"), *bad = pt_tmp("model_bad.safetensors");
    PT_OK(prle_model_fit(&m, &pb.z, pb.y, NULL, NULL, &p));
    PT_OK(m ? prle_model_save(m, good) : -1);
    /* the rewrite itself keeps a loadable model */
    PT_OK(rewrite(good, bad, NULL, NULL, NULL));
    PT_OK(prle_model_load(&l, bad));
    prle_model_free(l);
    l = NULL;
    PT_OK(rewrite(good, bad, "version", "2", NULL));
    PT_FAILS(prle_model_load(&l, bad), PRLE_EFORMAT, "model_bad.safetensors");
    PT_FAILS(prle_model_load(&l, bad), PRLE_EFORMAT, "version 2");
    PT_OK(rewrite(good, bad, NULL, NULL, "experts.weight"));
    PT_FAILS(prle_model_load(&l, bad), PRLE_EFORMAT, "experts.weight");
    PT_OK(rewrite(good, bad, "format", "prle", NULL));
    PT_FAILS(prle_model_load(&l, bad), PRLE_EFORMAT, "not a prle model");
    PT_OK(rewrite(good, bad, "label_sd", "0.5", NULL));
    PT_FAILS(prle_model_load(&l, bad), PRLE_EFORMAT, "label_sd");
    PT_OK(rewrite(good, bad, "n_prototypes", "5", NULL));
    PT_FAILS(prle_model_load(&l, bad), PRLE_EFORMAT, "model_bad.safetensors");
    /* a kernel file is foreign */
    prle_kernel_params kp = prle_kernel_default_params();
    kp.type = PRLE_HEAD_LINEAR;
    kp.proj_dim = 3;
    prle_kernel *k = NULL;
    PT_OK(prle_kernel_new(&k, 6, &kp));
    PT_OK(k ? prle_kernel_save(k, bad) : -1);
    prle_kernel_free(k);
    PT_FAILS(prle_model_load(&l, bad), PRLE_EFORMAT, "not a prle model");
    /* truncated files, at a few lengths */
    size_t len = 0;
    unsigned char *bytes = pt_slurp(good, &len);
    size_t cuts[] = {0, 4, 9, 100, len / 2, len - 1};
    for (size_t i = 0; bytes && i < sizeof cuts / sizeof *cuts; i++) {
        PT_OK(pt_write_file(bad, (const char *)bytes, cuts[i]));
        PT_FAILS(prle_model_load(&l, bad), PRLE_EFORMAT, "model_bad.safetensors");
    }
    free(bytes);
    PT_FAILS(prle_model_load(&l, pt_tmp("no_such_model.safetensors")), PRLE_ENOTFOUND, NULL);
    PT_CHECK(l == NULL);
    prle_model_free(m);
    problem_dispose(&pb);
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_model_io__roundtrip);
    PT_RUN(test_model_io__tensor_names);
    PT_RUN(test_model_io__deterministic);
    PT_RUN(test_model_io__bad_files);
    return pt_report();
}
