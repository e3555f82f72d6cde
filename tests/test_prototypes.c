/* Prototype selection: k-medoids against exhaustive search and single-swap optimality,
 * determinism, threads, k-means++ snapping, farthest-first, degenerate inputs.
 * LABELS: unit */
#include "prle_test.h"

#include "prle/prototypes_int.h"

/* n rows of width d, normal draws L2-normalised (as value space is), from (seed, "test"). */
static prle_matrix make_data(size_t n, size_t d, uint64_t seed)
{
    prle_matrix m = {0};
    if (prle_matrix_alloc(&m, n, d) < 0)
        return m;
    prle_rng r;
    prle_rng_init(&r, seed, "test.proto", 0);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t t = 0; t < d; t++) {
            double v = prle_rng_normal(&r);
            m.data[i * d + t] = (float)v;
            s += v * v;
        }
        for (size_t t = 0; t < d; t++)
            m.data[i * d + t] = (float)(m.data[i * d + t] / sqrt(s));
    }
    return m;
}

static double dist(const prle_matrix *x, size_t a, size_t b)
{
    double s = 0;
    for (size_t t = 0; t < x->cols; t++) {
        double e = (double)x->data[a * x->cols + t] - x->data[b * x->cols + t];
        s += e * e;
    }
    return sqrt(s);
}

/* Sum over rows of the distance to the nearest of med[0..p), in double. */
static double loss_of(const prle_matrix *x, const size_t *med, size_t p)
{
    double s = 0;
    for (size_t o = 0; o < x->rows; o++) {
        double m = INFINITY;
        for (size_t j = 0; j < p; j++) {
            double v = dist(x, o, med[j]);
            if (v < m)
                m = v;
        }
        s += m;
    }
    return s;
}

/* Exhaustive optimum over all p-subsets (p <= 3). */
static double exhaustive(const prle_matrix *x, size_t p)
{
    size_t n = x->rows, m[3];
    double best = INFINITY;
    for (m[0] = 0; m[0] < n; m[0]++)
        for (m[1] = p > 1 ? m[0] + 1 : 0; p < 2 || m[1] < n; m[1]++) {
            for (m[2] = p > 2 ? m[1] + 1 : 0; p < 3 || m[2] < n; m[2]++) {
                double l = loss_of(x, m, p);
                if (l < best)
                    best = l;
                if (p < 3)
                    break;
            }
            if (p < 2)
                break;
        }
    return best;
}

static bool distinct(const size_t *idx, size_t p, size_t n)
{
    for (size_t i = 0; i < p; i++) {
        if (idx[i] >= n)
            return false;
        for (size_t j = 0; j < i; j++)
            if (idx[i] == idx[j])
                return false;
    }
    return true;
}

/* No swap of one medoid for one non-medoid lowers the loss by more than rounding. */
static bool swap_optimal(const prle_matrix *x, const size_t *med, size_t p, double loss)
{
    size_t m[64];
    for (size_t j = 0; j < p; j++)
        for (size_t c = 0; c < x->rows; c++) {
            bool is_med = false;
            for (size_t i = 0; i < p; i++)
                is_med |= med[i] == c;
            if (is_med)
                continue;
            memcpy(m, med, p * sizeof *m);
            m[j] = c;
            if (loss_of(x, m, p) < loss - 1e-5 * (1 + loss))
                return false;
        }
    return true;
}

static void test_prototypes__kmedoids_exhaustive(void)
{
    int optimal = 0, cases = 0;
    for (uint64_t seed = 1; seed <= 30; seed++)
        for (size_t p = 1; p <= 3; p++) {
            size_t n = 5 + seed % 8; /* 5..12 */
            prle_matrix x = make_data(n, 3, seed);
            double opt = exhaustive(&x, p);
            prle_proto_params pp = prle_proto_default_params();
            pp.n_prototypes = p;
            pp.seed = seed;
            size_t med[3];
            double loss = -1;
            PT_OK(prle_prototypes_select(med, &loss, &x, &pp));
            PT_CHECK(distinct(med, p, n));
            double ref = loss_of(&x, med, p);
            PT_NEAR(loss, ref, 1e-5 * (1 + ref));
            PT_CHECK(ref >= opt - 1e-9);
            PT_CHECK(swap_optimal(&x, med, p, ref));
            optimal += ref <= opt + 1e-6 * (1 + opt);
            cases++;

            /* distances computed in blocks each pass instead of kept: same guarantees */
            pp.dense_max_rows = 0;
            PT_OK(prle_prototypes_select(med, &loss, &x, &pp));
            PT_CHECK(distinct(med, p, n));
            ref = loss_of(&x, med, p);
            PT_CHECK(ref >= opt - 1e-9);
            PT_CHECK(swap_optimal(&x, med, p, ref));
            pp.dense_max_rows = prle_proto_default_params().dense_max_rows;

            /* alternate: never below the optimum; each medoid is its cluster's medoid */
            pp.algo = PRLE_KMEDOIDS_ALTERNATE;
            PT_OK(prle_prototypes_select(med, &loss, &x, &pp));
            PT_CHECK(distinct(med, p, n));
            PT_CHECK(loss >= opt - 1e-5);
            prle_matrix_dispose(&x);
        }
    /* FasterPAM from k-medoids++ finds the optimum almost always at this size */
    PT_CHECK(optimal >= cases * 9 / 10);
}

static void test_prototypes__kmedoids_swap_optimal_blocks(void)
{
    /* the (n, n) matrix kept, or distances recomputed each pass in blocks of 300 (one), 64 or
       37 candidate rows: blocks end mid-chunk and chunks restart after swaps, yet the swaps
       are those of the sequential loop, so every variant picks the same medoids, and no single
       swap improves on them */
    prle_matrix x = make_data(300, 6, 7);
    prle_proto_params pp = prle_proto_default_params();
    pp.n_prototypes = 5;
    static const size_t dense[4] = {8192, 0, 0, 0}, rows[4] = {0, 0, 64, 37};
    size_t med[4][5];
    double loss, ref = 0;
    for (int v = 0; v < 4; v++) {
        pp.dense_max_rows = dense[v];
        pp.block_rows = rows[v];
        PT_OK(prle_prototypes_select(med[v], &loss, &x, &pp));
        PT_CHECK(distinct(med[v], 5, 300));
        ref = loss_of(&x, med[v], 5);
        PT_NEAR(loss, ref, 1e-5 * ref);
        if (v == 0 || v == 3)
            PT_CHECK(swap_optimal(&x, med[v], 5, ref));
        else
            PT_CHECK(memcmp(med[v], med[0], sizeof med[0]) == 0);
    }
    PT_CHECK(memcmp(med[3], med[0], sizeof med[0]) == 0);
    /* alternate is never better than a swap-optimal FasterPAM by much, and is a valid set */
    pp.algo = PRLE_KMEDOIDS_ALTERNATE;
    double alt;
    PT_OK(prle_prototypes_select(med[0], &alt, &x, &pp));
    PT_CHECK(distinct(med[0], 5, 300));
    PT_CHECK(alt >= ref * 0.98);
    prle_matrix_dispose(&x);
}

static void test_prototypes__kmedoids_blocked_equals_dense(void)
{
    /* 700 rows, P = 12, several seeds: the blocked search (blocks of 64 and 1 / 2 threads, and
       the default block) makes the same swaps as the one over the kept matrix */
    prle_matrix x = make_data(700, 24, 12);
    for (uint64_t seed = 1; seed <= 4; seed++) {
        prle_proto_params pp = prle_proto_default_params();
        pp.n_prototypes = 12;
        pp.seed = seed;
        pp.dense_max_rows = 8192;
        size_t want[12], got[12];
        double lw, lg;
        PT_OK(prle_prototypes_select(want, &lw, &x, &pp));
        pp.dense_max_rows = 0;
        for (int v = 0; v < 3; v++) {
            pp.block_rows = v == 2 ? 0 : 64;
            pp.n_threads = v == 1 ? 1 : 2;
            PT_OK(prle_prototypes_select(got, &lg, &x, &pp));
            PT_CHECK(memcmp(got, want, sizeof want) == 0);
            PT_NEAR(lg, lw, 1e-6 * lw);
        }
    }
    prle_matrix_dispose(&x);
}

static void test_prototypes__close_pairs(void)
{
    /* rows near one direction, so every distance is recomputed from the differences (the
       Gram entry alone would cancel); d = 1003 leaves a tail past the eight running sums; rows
       5 and 6 equal. Against sums in long double; whole block, one row at a time and
       prle__gram_dist (the blocked k-medoids' path) give the same bits; the blocked k-medoids
       makes the dense one's swaps on such rows; the AVX sums the same bits as the plain ones. */
    enum { N = 300, D = 1003 };
    prle_matrix x = {0};
    PT_OK(prle_matrix_alloc(&x, N, D));
    prle_rng r;
    prle_rng_init(&r, 9, "test.proto.close", 0);
    for (size_t i = 0; i < N; i++) {
        double s = 0;
        for (size_t t = 0; t < D; t++) {
            double v = 1.0 + 0.003 * prle_rng_normal(&r);
            x.data[i * D + t] = (float)v;
            s += v * v;
        }
        for (size_t t = 0; t < D; t++)
            x.data[i * D + t] = (float)(x.data[i * D + t] / sqrt(s));
    }
    memcpy(x.data + 6 * D, x.data + 5 * D, D * sizeof(float));
    float *sq = malloc(N * sizeof *sq), *all = malloc((size_t)N * N * sizeof *all);
    float *one = malloc(N * sizeof *one);
    PT_CHECK(sq && all && one);
    prle__proto_sqnorms(sq, x.data, N, D, 2);
    prle__proto_dist(all, N, x.data, sq, N, x.data, sq, N, D, 2);
    double worst = 0;
    bool same_rows = true, same_gram = true, same_avx = true;
    for (size_t i = 0; i < N; i += 7) {
        prle__proto_dist(one, N, x.data + i * D, sq + i, 1, x.data, sq, N, D, 1);
        same_rows &= memcmp(one, all + i * N, N * sizeof *one) == 0;
        for (size_t j = 0; j < N; j++) {
            const float *a = x.data + i * D, *b = x.data + j * D;
            long double ref = 0;
            for (size_t t = 0; t < D; t++) {
                long double e = (long double)a[t] - b[t];
                ref += e * e;
            }
            double want = (double)sqrtl(ref);
            if (want > 0)
                worst = fmax(worst, fabs(all[i * N + j] - want) / want);
            else
                PT_CHECK(all[i * N + j] == 0.0f);
            float g = -(sq[i] + sq[j]); /* a Gram entry that cancels to 0 */
            same_gram &= prle__gram_dist(g, sq[i], sq[j], a, b, D) == all[i * N + j];
        }
    }
    PT_CHECK(worst < 2e-7); /* float's rounding of the distance */
    PT_CHECK(worst > 0);
    PT_CHECK(all[5 * N + 6] == 0.0f && all[6 * N + 5] == 0.0f);
    PT_CHECK(same_rows);
    PT_CHECK(same_gram);
    /* such close rows' squared differences are exact in double, and so are their sums; entries
       over 41 binary orders of magnitude are not, so the order of the running sums shows */
    float *a = x.data, *b = x.data + D;
    for (int k = 0; k < 50; k++) {
        for (size_t t = 0; t < D; t++) {
            a[t] = ldexpf((float)prle_rng_uniform(&r), (int)(t % 41) - 20);
            b[t] = ldexpf((float)prle_rng_uniform(&r), (int)((t * 7) % 41) - 20);
        }
        long double ref = 0;
        for (size_t t = 0; t < D; t++) {
            long double e = (long double)a[t] - b[t];
            ref += e * e;
        }
        double got = prle__proto_sqdist(a, b, D, false);
        PT_NEAR(got, (double)ref, 1e-14 * (double)ref);
        if (prle__cpu_avx())
            same_avx &= prle__proto_sqdist(a, b, D, true) == got;
    }
    PT_CHECK(same_avx);

    prle_proto_params pp = prle_proto_default_params();
    pp.n_prototypes = 12;
    size_t want[12], got[12];
    double lw, lg;
    PT_OK(prle_prototypes_select(want, &lw, &x, &pp));
    pp.dense_max_rows = 0;
    pp.block_rows = 64;
    PT_OK(prle_prototypes_select(got, &lg, &x, &pp));
    PT_CHECK(memcmp(got, want, sizeof want) == 0);
    PT_CHECK(lg == lw);
    free(sq), free(all), free(one);
    prle_matrix_dispose(&x);
}

static void test_prototypes__dist_full(void)
{
    /* the kept (n, n) matrix: n = 1101 crosses the 1024-row product blocks and ends off the
       4 x 4 and 64 x 64 tiles of the mirror; on 1 and 2 threads every entry is written, the
       matrix is exactly symmetric, and each row is that row computed alone to float rounding
       (the blocked product may round an entry differently) */
    enum { N = 1101, D = 13 };
    prle_matrix x = make_data(N, D, 21);
    float *sq = malloc(N * sizeof *sq), *full = malloc((size_t)N * N * sizeof *full);
    float *one = malloc(N * sizeof *one);
    PT_CHECK(x.data && sq && full && one);
    prle__proto_sqnorms(sq, x.data, N, D, 1);
    for (int nt = 1; nt <= 2; nt++) {
        memset(full, 0xff, (size_t)N * N * sizeof *full); /* NaN where nothing was written */
        prle__proto_dist_full(full, x.data, sq, N, D, nt);
        size_t asym = 0;
        double worst = 0;
        for (size_t i = 0; i < N; i++) {
            prle__proto_dist(one, N, x.data + i * D, sq + i, 1, x.data, sq, N, D, 1);
            for (size_t j = 0; j < N; j++) {
                asym += !(full[i * N + j] == full[j * N + i]);
                worst = fmax(worst, fabs(full[i * N + j] - one[j]));
            }
        }
        PT_EQ_INT(asym, 0);
        PT_CHECK(worst < 1e-6);
        PT_CHECK(full[0] == 0.0f && full[(size_t)N * N - 1] == 0.0f);
        PT_NEAR(full[1000 * N + 3], dist(&x, 1000, 3), 1e-6);
    }
    free(sq), free(full), free(one);
    prle_matrix_dispose(&x);
}

/* Textbook sequential FasterPAM on double distances D (n, n): candidates in row order, the
 * best slot's swap taken at once when it gains more than 1e-9 of the loss, stop on coming
 * back to the last swap (Schubert & Rousseeuw 2021, Alg. 3, with each gain from the loss). */
static void naive_fasterpam(size_t *med, const double *D, size_t n, size_t p)
{
    size_t xlast = SIZE_MAX, m[16];
    double cur = 0;
    for (size_t o = 0; o < n; o++) {
        double b = INFINITY;
        for (size_t j = 0; j < p; j++)
            b = fmin(b, D[o * n + med[j]]);
        cur += b;
    }
    for (int it = 0; it < 100; it++) {
        bool swapped = false;
        for (size_t xc = 0; xc < n; xc++) {
            if (xc == xlast)
                return;
            bool is_med = false;
            for (size_t j = 0; j < p; j++)
                is_med |= med[j] == xc;
            if (is_med)
                continue;
            size_t best = 0;
            double best_loss = INFINITY;
            for (size_t j = 0; j < p; j++) {
                memcpy(m, med, p * sizeof *m);
                m[j] = xc;
                double l = 0;
                for (size_t o = 0; o < n; o++) {
                    double b = INFINITY;
                    for (size_t i = 0; i < p; i++)
                        b = fmin(b, D[o * n + m[i]]);
                    l += b;
                }
                if (l < best_loss)
                    best_loss = l, best = j;
            }
            if (best_loss - cur < -1e-9 * cur) {
                med[best] = xc;
                cur = best_loss;
                xlast = xc;
                swapped = true;
            }
        }
        if (!swapped)
            return;
    }
}

/* What the searches report as progress: the calls, the last (done, total), and whether every
 * call before the last had total max_iter. */
typedef struct passes_seen {
    size_t calls, done, total;
    bool before_at_max;
} passes_seen;

static bool record_pass(const prle_progress *info, void *ud)
{
    passes_seen *s = ud;
    if (s->calls++ && s->total != 100)
        s->before_at_max = false;
    s->done = info->done, s->total = info->total;
    return true;
}

static void test_prototypes__fasterpam_sequential_swaps(void)
{
    /* from a poor start, the P rows nearest row 0: swaps come in runs, so candidate chunks
       restart often; the search over blocks of 37 rows (and over the kept matrix, and on one
       thread) ends on the medoids, slot by slot, of the plain sequential loop */
    enum { N = 300, D = 6, P = 8 };
    prle_matrix x = make_data(N, D, 8);
    static double dd[N * N];
    static float full[N * N], dm[P * N];
    float sq[N];
    for (size_t a = 0; a < N; a++)
        for (size_t b = 0; b < N; b++)
            dd[a * N + b] = dist(&x, a, b);
    size_t start[P], want[P];
    for (size_t j = 0; j < P; j++) { /* the (j+1)-th nearest row to row 0 (distinct distances) */
        size_t best = SIZE_MAX;
        for (size_t o = 0; o < N; o++) {
            bool used = false;
            for (size_t i = 0; i < j; i++)
                used |= start[i] == o;
            if (!used && (best == SIZE_MAX || dd[o] < dd[best]))
                best = o;
        }
        start[j] = best;
    }
    memcpy(want, start, sizeof want);
    naive_fasterpam(want, dd, N, P);
    prle__proto_sqnorms(sq, x.data, N, D, 1);
    prle__proto_dist_full(full, x.data, sq, N, D, 1);
    for (int v = 0; v < 3; v++) {
        size_t med[P];
        memcpy(med, start, sizeof med);
        prle__kmed_ctx c = {.x = x.data,
                            .sq = sq,
                            .full = v == 0 ? full : NULL,
                            .n = N,
                            .d = D,
                            .p = P,
                            .block_rows = 37,
                            .max_iter = 100,
                            .n_threads = v == 2 ? 1 : 2};
        for (size_t j = 0; j < P; j++)
            prle__proto_dist(dm + j * N, N, x.data + med[j] * D, sq + med[j], 1, x.data, sq, N, D,
                             1);
        passes_seen seen = {.before_at_max = true};
        c.progress = record_pass, c.progress_ud = &seen;
        PT_OK(prle__kmedoids_fasterpam(med, dm, &c));
        PT_CHECK(memcmp(med, want, sizeof med) == 0);
        /* a pass per call, of max_iter until the last: the pass that finds no gain ends the
           step, its count the total (a line shows the step done, not an ETA for 100 passes) */
        PT_CHECK(seen.calls >= 2 && seen.calls < 100 && seen.before_at_max);
        PT_EQ_INT(seen.done, seen.calls);
        PT_EQ_INT(seen.total, seen.calls);
        if (v == 0) { /* the alternate method from the same start reports the same way */
            seen = (passes_seen){.before_at_max = true};
            memcpy(med, start, sizeof med);
            for (size_t j = 0; j < P; j++)
                prle__proto_dist(dm + j * N, N, x.data + med[j] * D, sq + med[j], 1, x.data, sq, N,
                                 D, 1);
            PT_OK(prle__kmedoids_alternate(med, dm, &c));
            PT_CHECK(seen.calls >= 2 && seen.calls < 100 && seen.before_at_max);
            PT_EQ_INT(seen.done, seen.calls);
            PT_EQ_INT(seen.total, seen.calls);
        }
    }
    prle_matrix_dispose(&x);
}

static void run_all(size_t out[4][2][12], double loss[4][2], const prle_matrix *x, int threads,
                    uint64_t seed, size_t dense_max_rows)
{
    for (int m = 0; m < 4; m++)
        for (int a = 0; a < 2; a++) {
            prle_proto_params pp = prle_proto_default_params();
            pp.method = (prle_proto_method)m;
            pp.algo = (prle_kmedoids_algo)a;
            pp.n_prototypes = 12;
            pp.n_threads = threads;
            pp.seed = seed;
            pp.dense_max_rows = dense_max_rows;
            PT_OK(prle_prototypes_select(out[m][a], &loss[m][a], x, &pp));
            PT_CHECK(distinct(out[m][a], 12, x->rows));
        }
}

static void test_prototypes__deterministic_and_threads(void)
{
    prle_matrix x = make_data(700, 24, 3);
    size_t a[4][2][12], b[4][2][12], c[4][2][12];
    double la[4][2], lb[4][2], lc[4][2];
    run_all(a, la, &x, 1, 5, 8192);
    run_all(b, lb, &x, 2, 5, 8192);
    run_all(c, lc, &x, 2, 5, 8192);
    PT_CHECK(memcmp(a, b, sizeof a) == 0);
    PT_CHECK(memcmp(b, c, sizeof b) == 0);
    PT_CHECK(memcmp(la, lb, sizeof la) == 0);
    PT_CHECK(memcmp(lb, lc, sizeof lb) == 0);
    /* another seed changes the random start */
    run_all(c, lc, &x, 2, 6, 8192);
    PT_CHECK(memcmp(a[PRLE_PROTO_RANDOM_REAL], c[PRLE_PROTO_RANDOM_REAL], sizeof a[0]) != 0);
    /* k-medoids beats random rows */
    PT_CHECK(la[PRLE_PROTO_KMEDOIDS][0] < la[PRLE_PROTO_RANDOM_REAL][0]);
    /* blocked distances: 1 and 2 threads agree too */
    run_all(b, lb, &x, 1, 5, 0);
    run_all(c, lc, &x, 2, 5, 0);
    PT_CHECK(memcmp(b, c, sizeof b) == 0);
    PT_CHECK(memcmp(lb, lc, sizeof lb) == 0);
    prle_matrix_dispose(&x);
}

static void test_prototypes__kmeans_snapped_distinct(void)
{
    /* 4 tight clusters of 5 duplicates each: every centre snaps to a different row */
    prle_matrix base = make_data(4, 5, 11), x = {0};
    PT_OK(prle_matrix_alloc(&x, 20, 5));
    for (size_t i = 0; i < 20; i++)
        memcpy(x.data + i * 5, base.data + (i % 4) * 5, 5 * sizeof(float));
    prle_proto_params pp = prle_proto_default_params();
    pp.method = PRLE_PROTO_KMEANSPP;
    pp.n_prototypes = 8; /* more centres than distinct points: snapping must still differ */
    size_t idx[8];
    double loss;
    PT_OK(prle_prototypes_select(idx, &loss, &x, &pp));
    PT_CHECK(distinct(idx, 8, 20));
    PT_NEAR(loss, 0.0, 1e-6);
    prle_matrix_dispose(&base);
    prle_matrix_dispose(&x);
}

static double cosd(const prle_matrix *x, size_t a, size_t b)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t t = 0; t < x->cols; t++) {
        double u = x->data[a * x->cols + t], v = x->data[b * x->cols + t];
        ab += u * v, aa += u * u, bb += v * v;
    }
    return 1.0 - ab / sqrt(aa * bb);
}

static void test_prototypes__farthest_first(void)
{
    prle_matrix x = make_data(200, 8, 4);
    prle_proto_params pp = prle_proto_default_params();
    pp.method = PRLE_PROTO_FARTHEST_FIRST;
    pp.n_prototypes = 10;
    size_t idx[10];
    PT_OK(prle_prototypes_select(idx, NULL, &x, &pp));
    PT_CHECK(distinct(idx, 10, 200));
    for (size_t j = 1; j < 10; j++) { /* pick j maximises the min distance to picks < j */
        double mine = INFINITY;
        for (size_t i = 0; i < j; i++)
            mine = fmin(mine, cosd(&x, idx[j], idx[i]));
        for (size_t o = 0; o < 200; o++) {
            double m = INFINITY;
            for (size_t i = 0; i < j; i++)
                m = fmin(m, cosd(&x, o, idx[i]));
            PT_CHECK(m <= mine + 1e-5);
        }
    }
    prle_matrix_dispose(&x);
}

static void test_prototypes__degenerate(void)
{
    prle_matrix x = make_data(6, 4, 9);
    prle_proto_params pp = prle_proto_default_params();
    size_t idx[7];
    double loss;
    for (int m = 0; m < 4; m++) {
        pp.method = (prle_proto_method)m;
        pp.n_prototypes = 7;
        PT_FAILS(prle_prototypes_select(idx, &loss, &x, &pp), PRLE_EINVAL, "exceeds");
        pp.n_prototypes = 6; /* P = n: every row, loss 0 */
        PT_OK(prle_prototypes_select(idx, &loss, &x, &pp));
        PT_CHECK(distinct(idx, 6, 6));
        PT_NEAR(loss, 0.0, 1e-6);
        pp.n_prototypes = 1; /* P = 1 */
        PT_OK(prle_prototypes_select(idx, &loss, &x, &pp));
        PT_NEAR(loss, loss_of(&x, idx, 1), 1e-5);
        if (m == PRLE_PROTO_KMEDOIDS)
            PT_NEAR(loss, exhaustive(&x, 1), 1e-5);
    }
    pp = prle_proto_default_params();
    pp.n_prototypes = 0;
    PT_FAILS(prle_prototypes_select(idx, &loss, &x, &pp), PRLE_EINVAL, "n_prototypes");
    pp = prle_proto_default_params();
    pp.max_iter = 0;
    PT_FAILS(prle_proto_params_check(&pp), PRLE_EINVAL, "max_iter");
    pp = prle_proto_default_params();
    pp.n_prototypes = 2;
    x.data[3 * 4 + 1] = NAN;
    PT_FAILS(prle_prototypes_select(idx, &loss, &x, &pp), PRLE_EINVAL, "row 3");
    prle_matrix_dispose(&x);

    /* all rows identical: any P distinct rows, loss 0, every method and algorithm */
    prle_matrix same = {0};
    PT_OK(prle_matrix_alloc(&same, 10, 3));
    for (size_t i = 0; i < 30; i++)
        same.data[i] = (float)(i % 3 + 1);
    for (int m = 0; m < 4; m++)
        for (int a = 0; a < 2; a++) {
            pp = prle_proto_default_params();
            pp.method = (prle_proto_method)m;
            pp.algo = (prle_kmedoids_algo)a;
            pp.n_prototypes = 4;
            PT_OK(prle_prototypes_select(idx, &loss, &same, &pp));
            PT_CHECK(distinct(idx, 4, 10));
            PT_NEAR(loss, 0.0, 1e-6);
        }
    prle_matrix_dispose(&same);
}

static void test_prototypes__duplicates(void)
{
    /* 3 distinct points, each repeated 4 times: P = 3 covers them exactly */
    prle_matrix base = make_data(3, 5, 21), x = {0};
    PT_OK(prle_matrix_alloc(&x, 12, 5));
    for (size_t i = 0; i < 12; i++)
        memcpy(x.data + i * 5, base.data + (i % 3) * 5, 5 * sizeof(float));
    for (int a = 0; a < 2; a++) {
        prle_proto_params pp = prle_proto_default_params();
        pp.algo = (prle_kmedoids_algo)a;
        pp.n_prototypes = 3;
        size_t idx[3];
        double loss;
        PT_OK(prle_prototypes_select(idx, &loss, &x, &pp));
        PT_CHECK(distinct(idx, 3, 12));
        PT_NEAR(loss, 0.0, 1e-6);
    }
    prle_matrix_dispose(&base);
    prle_matrix_dispose(&x);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static void test_prototypes__reference(void)
{
    /* optima from tools/ref/kmedoids_ref.py (exhaustive search and textbook PAM agree) */
    static const double opt[3] = {11.516922132, 5.752226242, 2.872545329};
    static const size_t opt_med[3][3] = {{5}, {2, 10}, {2, 5, 9}};
    prle_matrix x = {0};
    PT_OK(prle_npy_load(&x, pt_data("proto_small.npy")));
    PT_EQ_INT(x.rows, 12);
    for (size_t p = 1; p <= 3 && x.rows == 12; p++)
        for (int a = 0; a < 2; a++) {
            prle_proto_params pp = prle_proto_default_params();
            pp.n_prototypes = p;
            pp.algo = (prle_kmedoids_algo)a;
            size_t med[3];
            double loss;
            PT_OK(prle_prototypes_select(med, &loss, &x, &pp));
            PT_NEAR(loss, opt[p - 1], 1e-5);
            qsort(med, p, sizeof *med, cmp_size);
            for (size_t j = 0; j < p; j++)
                PT_EQ_INT(med[j], opt_med[p - 1][j]);
        }
    prle_matrix_dispose(&x);
}

static void test_prototypes__kmedoids_sample(void)
{
    /* more rows than sample_rows: k-medoids among a seeded sample, real rows, the loss over
       all rows; the same for 1 and 2 threads and dense or blocked; at or above n: the full
       search's bits */
    prle_matrix x = make_data(700, 16, 21);
    prle_proto_params pp = prle_proto_default_params();
    pp.n_prototypes = 10;
    size_t full[10], s1[10], s2[10], s3[10];
    double lf, l1, l2, l3;
    pp.sample_rows = 0;
    PT_OK(prle_prototypes_select(full, &lf, &x, &pp));
    pp.sample_rows = 700;
    PT_OK(prle_prototypes_select(s1, &l1, &x, &pp));
    PT_CHECK(memcmp(full, s1, sizeof full) == 0 && lf == l1);
    pp.sample_rows = 250;
    pp.n_threads = 1;
    PT_OK(prle_prototypes_select(s1, &l1, &x, &pp));
    pp.n_threads = 2;
    PT_OK(prle_prototypes_select(s2, &l2, &x, &pp));
    pp.dense_max_rows = 0;
    PT_OK(prle_prototypes_select(s3, &l3, &x, &pp));
    PT_CHECK(memcmp(s1, s2, sizeof s1) == 0 && l1 == l2);
    PT_CHECK(memcmp(s1, s3, sizeof s1) == 0);
    PT_CHECK(memcmp(s1, full, sizeof s1) != 0); /* the sample changed the choice */
    PT_CHECK(distinct(s1, 10, 700));
    double loss = 0; /* over all 700 rows, in double here */
    for (size_t i = 0; i < 700; i++) {
        double best = INFINITY;
        for (size_t s = 0; s < 10; s++)
            best = fmin(best, dist(&x, i, s1[s]));
        loss += best;
    }
    PT_NEAR(l1, loss, 1e-5 * loss);
    PT_CHECK(l1 >= lf * (1 - 1e-9)); /* no better than the search over all rows */
    pp.seed = 43;                    /* another seed, another sample */
    PT_OK(prle_prototypes_select(s2, &l2, &x, &pp));
    PT_CHECK(memcmp(s1, s2, sizeof s1) != 0);
    prle_matrix_dispose(&x);
}

static void test_prototypes__count_for_rows(void)
{
    /* at most one prototype per two training rows, at least one */
    PT_EQ_INT(prle_proto_count(25, 301), 25);
    PT_EQ_INT(prle_proto_count(25, 50), 25);
    PT_EQ_INT(prle_proto_count(25, 49), 24);
    PT_EQ_INT(prle_proto_count(25, 36), 18);
    PT_EQ_INT(prle_proto_count(25, 3), 1);
    PT_EQ_INT(prle_proto_count(25, 1), 1);
    PT_EQ_INT(prle_proto_count(1, 1000), 1);
}

static void test_prototypes__from_config(void)
{
    prle_config cfg;
    PT_OK(prle_config_default(&cfg));
    prle_proto_params pp;
    PT_OK(prle_proto_params_from_config(&pp, &cfg));
    PT_EQ_INT(pp.method, PRLE_PROTO_KMEDOIDS);
    PT_EQ_INT(pp.n_prototypes, cfg.model.num_prototypes);
    PT_EQ_STR(prle_proto_method_name(PRLE_PROTO_FARTHEST_FIRST), "farthest-first");
    /* the (n, n) matrix only up to 2,048 rows (16 MB); blocks sized automatically */
    PT_EQ_INT(pp.dense_max_rows, 8192);
    PT_EQ_INT(pp.block_rows, 0);
    prle_config_dispose(&cfg);
}

int main(void)
{
    PT_RUN(test_prototypes__kmedoids_exhaustive);
    PT_RUN(test_prototypes__kmedoids_swap_optimal_blocks);
    PT_RUN(test_prototypes__kmedoids_blocked_equals_dense);
    PT_RUN(test_prototypes__close_pairs);
    PT_RUN(test_prototypes__fasterpam_sequential_swaps);
    PT_RUN(test_prototypes__dist_full);
    PT_RUN(test_prototypes__deterministic_and_threads);
    PT_RUN(test_prototypes__kmeans_snapped_distinct);
    PT_RUN(test_prototypes__farthest_first);
    PT_RUN(test_prototypes__degenerate);
    PT_RUN(test_prototypes__duplicates);
    PT_RUN(test_prototypes__reference);
    PT_RUN(test_prototypes__kmedoids_sample);
    PT_RUN(test_prototypes__count_for_rows);
    PT_RUN(test_prototypes__from_config);
    return pt_report();
}
