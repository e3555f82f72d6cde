/* LABELS: unit */
/* t-SNE: vantage-point kNN against brute force, the perplexity search and the gradient against
 * scikit-learn (tests/data/tsne_ref.txt, made by tools/ref/tsne_ref.py), Barnes-Hut at theta 0
 * and the FFT interpolation against the O(n^2) sums, the methods' KL, blobs, determinism and
 * errors. */
#include "prle_test.h"

#include "analysis/tsne_int.h"

/* ---- fixtures -------------------------------------------------------------------------- */

/* (n, d) N(0, 1) rows from stream (seed, "test.tsne", 0), plus `centres` blob offsets. */
static prle_matrix gaussian_rows(size_t n, size_t d, uint64_t seed, size_t blobs, double spread)
{
    prle_matrix m = {0};
    prle_rng r;
    if (prle_matrix_alloc(&m, n, d) < 0)
        return m;
    prle_rng_init(&r, seed, "test.tsne", 0);
    double *centre = calloc(blobs * d + 1, sizeof *centre);
    for (size_t b = 0; b < blobs * d; b++)
        centre[b] = spread * prle_rng_normal(&r);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            m.data[i * d + j] =
                (float)(prle_rng_normal(&r) + (blobs ? centre[(i % blobs) * d + j] : 0.0));
    free(centre);
    return m;
}

typedef struct {
    double d;
    size_t i;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static void check_knn(const prle_matrix *x, size_t k, uint64_t seed)
{
    size_t n = x->rows;
    size_t *idx = malloc(n * k * sizeof *idx);
    double *dist = malloc(n * k * sizeof *dist);
    cand *c = malloc(n * sizeof *c);
    size_t *idx2 = malloc(n * k * sizeof *idx2);
    double *dist2 = malloc(n * k * sizeof *dist2);
    PT_OK(prle__tsne_knn(idx, dist, x, k, seed, 2));
    PT_OK(prle__tsne_knn_brute(idx2, dist2, x, k, 2));
    PT_CHECK(memcmp(idx, idx2, n * k * sizeof *idx) == 0);
    PT_CHECK(memcmp(dist, dist2, n * k * sizeof *dist) == 0);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t m = 0;
        for (size_t j = 0; j < n; j++)
            if (j != i)
                c[m++] = (cand){
                    prle__tsne_dist(prle_matrix_row(x, i), prle_matrix_row(x, j), x->cols), j};
        qsort(c, m, sizeof *c, cand_cmp);
        for (size_t j = 0; j < k; j++)
            if (idx[i * k + j] != c[j].i || dist[i * k + j] != c[j].d)
                bad++;
    }
    PT_EQ_INT(bad, 0);
    free(idx), free(dist), free(c), free(idx2), free(dist2);
}

/* ---- reference file -------------------------------------------------------------------- */

typedef struct {
    size_t n, d, k_bs, nnz, k;
    double perp, kl;
    float *x, *sqd, *y;
    double *cond, *grad;
    tsne_csr p;
} tsne_ref;

static bool read_tok(FILE *f, const char *want)
{
    char tok[64];
    if (fscanf(f, "%63s", tok) != 1)
        return false;
    return strcmp(tok, want) == 0;
}

static bool read_d(FILE *f, double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fscanf(f, "%lf", &v[i]) != 1)
            return false;
    return true;
}

static bool read_f(FILE *f, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double t;
        if (fscanf(f, "%lf", &t) != 1)
            return false;
        v[i] = (float)t;
    }
    return true;
}

static bool ref_load(tsne_ref *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(pt_data("tsne_ref.txt"), "r");
    if (!f)
        return false;
    char line[512];
    bool ok =
        fgets(line, sizeof line, f) && read_tok(f, "X") && fscanf(f, "%zu %zu", &r->n, &r->d) == 2;
    size_t n = r->n;
    if (ok) {
        r->x = malloc(n * r->d * sizeof *r->x);
        ok = read_f(f, r->x, n * r->d) && read_tok(f, "bs") &&
             fscanf(f, "%zu %zu %lf", &n, &r->k_bs, &r->perp) == 3 && n == r->n;
    }
    if (ok) {
        r->sqd = malloc(n * r->k_bs * sizeof *r->sqd);
        r->cond = malloc(n * r->k_bs * sizeof *r->cond);
        ok = read_f(f, r->sqd, n * r->k_bs) && read_d(f, r->cond, n * r->k_bs) &&
             read_tok(f, "P") && fscanf(f, "%zu %zu", &r->nnz, &r->k) == 2;
    }
    if (ok) {
        r->p.n = n;
        r->p.indptr = calloc(n + 1, sizeof(size_t));
        r->p.col = malloc(r->nnz * sizeof(size_t));
        r->p.val = malloc(r->nnz * sizeof(double));
        for (size_t e = 0; ok && e < r->nnz; e++) {
            size_t row;
            ok = fscanf(f, "%zu %zu %lf", &row, &r->p.col[e], &r->p.val[e]) == 3 && row < n;
            if (ok)
                r->p.indptr[row + 1]++;
        }
        for (size_t i = 0; i < n; i++)
            r->p.indptr[i + 1] += r->p.indptr[i];
        ok = ok && read_tok(f, "Y") && fscanf(f, "%zu", &n) == 1 && n == r->n;
    }
    if (ok) {
        r->y = malloc(2 * n * sizeof *r->y);
        r->grad = malloc(2 * n * sizeof *r->grad);
        ok = read_f(f, r->y, 2 * n) && read_tok(f, "kl") && read_d(f, &r->kl, 1) &&
             read_d(f, r->grad, 2 * n);
    }
    fclose(f);
    return ok;
}

static void ref_free(tsne_ref *r)
{
    free(r->x), free(r->sqd), free(r->y), free(r->cond), free(r->grad);
    prle__tsne_csr_dispose(&r->p);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_tsne__knn_matches_brute_force(void)
{
    prle_matrix a = gaussian_rows(400, 13, 1, 3, 2.0); /* 13: the 8-lane tail too */
    check_knn(&a, 15, 42);
    check_knn(&a, 1, 7);
    /* ties: a small integer lattice with repeated rows, many equal distances */
    prle_matrix g = {0};
    PT_OK(prle_matrix_alloc(&g, 300, 3));
    for (size_t i = 0; i < 300; i++)
        for (size_t j = 0; j < 3; j++)
            g.data[i * 3 + j] = (float)((i * (j + 3) / (j + 1)) % 5);
    check_knn(&g, 20, 42);
    check_knn(&g, 40, 3);
    /* wide rows far from the origin: the brute-force bound after centring */
    prle_matrix w = gaussian_rows(300, 203, 2, 4, 0.5);
    for (size_t e = 0; e < 300 * 203; e++)
        w.data[e] += 100.0f;
    check_knn(&w, 31, 1);
    /* five blocks of 256 rows: tiles of the upper triangle met from both sides */
    prle_matrix m = gaussian_rows(1100, 24, 3, 8, 1.0);
    check_knn(&m, 30, 5);
    prle_matrix_dispose(&m);
    prle_matrix_dispose(&w);
    prle_matrix_dispose(&a);
    prle_matrix_dispose(&g);
}

static void test_tsne__perplexity_search_hits_entropy(void)
{
    size_t n = 50, k = 40;
    float *sqd = malloc(n * k * sizeof *sqd);
    double *p = malloc(n * k * sizeof *p), *beta = malloc(n * sizeof *beta);
    prle_rng r;
    prle_rng_init(&r, 5, "test.tsne.bs", 0);
    for (size_t e = 0; e < n * k; e++) /* squared distances over three decades */
        sqd[e] = (float)(pow(10.0, 3.0 * prle_rng_uniform(&r) - 1.0));
    double perps[3] = {5.0, 12.5, 30.0};
    for (int t = 0; t < 3; t++) {
        prle__tsne_binary_search(p, beta, sqd, n, k, perps[t], 2);
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double h = 0.0, s = 0.0;
            for (size_t j = 0; j < k; j++) {
                s += p[i * k + j];
                if (p[i * k + j] > 0)
                    h -= p[i * k + j] * log(p[i * k + j]);
            }
            PT_NEAR(s, 1.0, 1e-12);
            worst = fmax(worst, fabs(h - log(perps[t])));
            PT_CHECK(beta[i] > 0);
        }
        PT_CHECK(worst <= 5e-3); /* 1.3e-3: distances rounded at another scale, then the
                                  * perplexity search's tolerance */
    }
    free(sqd), free(p), free(beta);
}

static void test_tsne__matches_sklearn(void)
{
    tsne_ref r;
    if (!ref_load(&r)) {
        PT_FAIL_AT("cannot read %s", pt_data("tsne_ref.txt"));
        ref_free(&r);
        return;
    }
    size_t n = r.n;
    /* _binary_search_perplexity: the same double arithmetic */
    double *cond = malloc(n * r.k_bs * sizeof *cond);
    prle__tsne_binary_search(cond, NULL, r.sqd, n, r.k_bs, r.perp, 1);
    double worst = 0.0;
    for (size_t e = 0; e < n * r.k_bs; e++)
        worst = fmax(worst, fabs(cond[e] - r.cond[e]));
    PT_CHECK(worst <= 1e-12);

    /* _joint_probabilities_nn: same pattern, values up to float32 distance rounding */
    prle_matrix x = {0};
    PT_OK(prle_matrix_alloc(&x, n, r.d));
    memcpy(x.data, r.x, n * r.d * sizeof *r.x);
    tsne_csr p = {0};
    PT_OK(prle__tsne_affinities(&p, &x, r.perp, PRLE_TSNE_KNN_AUTO, 42, 2, NULL, NULL));
    PT_EQ_INT(p.indptr[n], r.nnz);
    if (p.indptr && p.indptr[n] == r.nnz) {
        size_t bad = 0;
        for (size_t i = 0; i <= n; i++)
            bad += p.indptr[i] != r.p.indptr[i];
        for (size_t e = 0; e < r.nnz; e++) {
            bad += p.col[e] != r.p.col[e];
            bad += !(fabs(p.val[e] - r.p.val[e]) <= 1e-5 * r.p.val[e]);
        }
        PT_EQ_INT(bad, 0);
    }

    /* _kl_divergence_bh at angle 0 (float32 there): error and gradient */
    double *y = malloc(2 * n * sizeof *y), *g = malloc(2 * n * sizeof *g), kl = 0;
    for (size_t e = 0; e < 2 * n; e++)
        y[e] = r.y[e];
    PT_OK(prle__tsne_gradient(g, &kl, &r.p, 1.0, y, PRLE_TSNE_BH, 0.0, NULL, 2));
    PT_NEAR(kl, r.kl, 1e-5 * r.kl);
    double gmax = 0.0, gdiff = 0.0;
    for (size_t e = 0; e < 2 * n; e++) {
        gmax = fmax(gmax, fabs(r.grad[e]));
        gdiff = fmax(gdiff, fabs(g[e] - r.grad[e]));
    }
    PT_CHECK(gdiff <= 1e-5 * gmax);
    free(cond), free(y), free(g);
    prle__tsne_csr_dispose(&p);
    prle_matrix_dispose(&x);
    ref_free(&r);
}

static void test_tsne__barnes_hut_theta0_is_exact(void)
{
    size_t n = 600;
    double *y = malloc(2 * n * sizeof *y), *neg = malloc(2 * n * sizeof *neg);
    double *sq = malloc(n * sizeof *sq), *neg5 = malloc(2 * n * sizeof *neg5);
    double *sq5 = malloc(n * sizeof *sq5);
    prle_rng r;
    prle_rng_init(&r, 9, "test.tsne.bh", 0);
    for (size_t e = 0; e < 2 * n; e++)
        y[e] = 5.0 * prle_rng_normal(&r) + (e % 4 == 0 ? 20.0 : 0.0);
    for (size_t i = 0; i < 10; i++) /* exact duplicates share a deepest cell */
        y[2 * (100 + i)] = y[0], y[2 * (100 + i) + 1] = y[1];
    PT_OK(prle__tsne_repulsive(neg, sq, y, n, 0.0, 2));
    PT_OK(prle__tsne_repulsive(neg5, sq5, y, n, 0.5, 2));
    double worst = 0.0, worst5 = 0.0, zsum = 0.0, z5 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double fx = 0, fy = 0, s = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            double q = 1.0 / (1.0 + dx * dx + dy * dy);
            s += q, fx += q * q * dx, fy += q * q * dy;
        }
        double scale = fmax(fabs(fx) + fabs(fy), 1e-300);
        worst = fmax(worst, fabs(s - sq[i]) / s);
        worst = fmax(worst, (fabs(fx - neg[2 * i]) + fabs(fy - neg[2 * i + 1])) / scale);
        worst5 = fmax(worst5, fabs(s - sq5[i]) / s);
        zsum += s, z5 += sq5[i];
    }
    PT_CHECK(worst <= 1e-10);
    PT_CHECK(worst5 <= 0.05); /* theta 0.5: a few percent per point at most */
    PT_NEAR(z5, zsum, 0.01 * zsum);
    free(y), free(neg), free(sq), free(neg5), free(sq5);
}

/* The FFT interpolation against the O(n^2) sums, the same bits for 1 and 2 threads: a compact
 * embedding (its grid fine against the kernel; measured force error 1.5e-4, Z 2e-6), one too
 * wide for the plain grid (span ~22: side 160, near field within 0.85; measured 7.9e-3 and
 * 4.2e-4) and a spread one with clusters (span ~250; 2.4e-3 and 1.1e-4). The split ones are
 * held to Barnes-Hut at theta 0.5's accuracy (1-2 % of the force, 1 % of Z on STS-B). */
static void test_tsne__fft_repulsion(void)
{
    size_t n = 1500;
    double *y = malloc(2 * n * sizeof *y), *neg = malloc(2 * n * sizeof *neg);
    double *neg2 = malloc(2 * n * sizeof *neg2), *ex = malloc(2 * n * sizeof *ex);
    double *sq = malloc(n * sizeof *sq);
    static const double scale[3] = {0.0, 2.5, 30.0}, noise[3] = {0.5, 1.0, 3.0};
    static const double max_force[3] = {1e-3, 2e-2, 1e-2}, max_z[3] = {1e-4, 1e-3, 1e-3};
    prle__tsne_fft *f = NULL;
    PT_OK(prle__tsne_fft_new(&f));
    for (int c = 0; c < 3 && f; c++) {
        prle_rng r;
        prle_rng_init(&r, 11, "test.tsne.fft", (uint64_t)c);
        for (size_t e = 0; e < 2 * n; e++) /* 8 clusters along a line */
            y[e] = scale[c] * ((double)((e / 2) % 8) - 4.0) * (e % 2 ? 0.7 : 1.0) +
                   noise[c] * prle_rng_normal(&r);
        double z = 0, zf = 0, z2 = 0, num = 0, den = 0;
        PT_OK(prle__tsne_repulsive(ex, sq, y, n, 0.0, 2));
        for (size_t i = 0; i < n; i++)
            z += sq[i];
        PT_OK(prle__tsne_repulsive_fft(neg, &zf, f, y, n, 2));
        PT_OK(prle__tsne_repulsive_fft(neg2, &z2, f, y, n, 1));
        PT_CHECK(zf == z2 && memcmp(neg, neg2, 2 * n * sizeof *neg) == 0);
        PT_EQ_INT(prle__tsne_fft_side(y, n), c == 0 ? 120 : 160);
        for (size_t e = 0; e < 2 * n; e++)
            num += (neg[e] - ex[e]) * (neg[e] - ex[e]), den += ex[e] * ex[e];
        double force = sqrt(num / den), zrel = fabs(zf - z) / z;
        if (!(force <= max_force[c] && zrel <= max_z[c]))
            PT_FAIL_AT("case %d: force error %.2e, Z error %.2e", c, force, zrel);
    }
    prle__tsne_fft_free(f);
    free(y), free(neg), free(neg2), free(ex), free(sq);
}

/* Each score column s_c = Xc v_c with v_c a unit eigenvector of Xc^T Xc (residual 1e-6
 * lambda_1: the covariance is summed in float), eigenvalues descending and the largest of the
 * spectrum (power iteration check). */
static void check_pca_eigen(const prle_matrix *x, const double *s)
{
    size_t n = x->rows, d = x->cols;
    double *mean = calloc(d, sizeof *mean), *c = calloc(d * d, sizeof *c);
    double *v = malloc(d * sizeof *v), *cv = malloc(d * sizeof *cv), lam[2];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            mean[j] += x->data[i * d + j] / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            for (size_t k = 0; k < d; k++)
                c[j * d + k] += (x->data[i * d + j] - mean[j]) * (x->data[i * d + k] - mean[k]);
    for (int col = 0; col < 2; col++) {
        double nv = 0.0, res = 0.0;
        for (size_t j = 0; j < d; j++) {
            v[j] = 0.0;
            for (size_t i = 0; i < n; i++)
                v[j] += (x->data[i * d + j] - mean[j]) * s[2 * i + (size_t)col];
            nv += v[j] * v[j];
        }
        for (size_t j = 0; j < d; j++)
            v[j] /= sqrt(nv);
        lam[col] = 0.0;
        for (size_t j = 0; j < d; j++) {
            cv[j] = 0.0;
            for (size_t k = 0; k < d; k++)
                cv[j] += c[j * d + k] * v[k];
            lam[col] += v[j] * cv[j];
        }
        for (size_t j = 0; j < d; j++)
            res += (cv[j] - lam[col] * v[j]) * (cv[j] - lam[col] * v[j]);
        if (col == 0)
            PT_CHECK(sqrt(res) <= 1e-6 * lam[0]);
        else
            PT_CHECK(sqrt(res) <= 1e-6 * (lam[0] + lam[1]));
    }
    PT_CHECK(lam[0] >= lam[1]);
    /* the largest eigenvalue by 500 power steps from a fixed start */
    for (size_t j = 0; j < d; j++)
        v[j] = 1.0 + 0.01 * (double)j;
    double top = 0.0;
    for (int it = 0; it < 500; it++) {
        double nv = 0.0;
        for (size_t j = 0; j < d; j++) {
            cv[j] = 0.0;
            for (size_t k = 0; k < d; k++)
                cv[j] += c[j * d + k] * v[k];
            nv += cv[j] * cv[j];
        }
        top = sqrt(nv);
        for (size_t j = 0; j < d; j++)
            v[j] = cv[j] / top;
    }
    PT_NEAR(lam[0], top, 1e-6 * top);
    free(mean), free(c), free(v), free(cv);
}

static void test_tsne__pca_start(void)
{
    /* rows a e1 + b e2 + noise, var(a) = 100 > var(b) = 9 >> noise: components near e1, e2 */
    size_t n = 300, d = 20;
    prle_matrix x = gaussian_rows(n, d, 8, 0, 0.0);
    prle_rng r;
    prle_rng_init(&r, 8, "test.tsne.pca", 0);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++)
            x.data[i * d + j] *= 0.1f;
        x.data[i * d + 3] += (float)(10.0 * prle_rng_normal(&r));
        x.data[i * d + 11] += (float)(3.0 * prle_rng_normal(&r));
    }
    double *s = malloc(2 * n * sizeof *s);
    PT_OK(prle__tsne_pca(s, &x, 42, 0));
    for (int c = 0; c < 2; c++) {
        size_t axis = c == 0 ? 3 : 11, arg = 0;
        double mean = 0.0, dot = 0.0, ns = 0.0, nx = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += x.data[i * d + axis] / (double)n;
        for (size_t i = 0; i < n; i++) {
            double xc = x.data[i * d + axis] - mean;
            dot += s[2 * i + c] * xc, ns += s[2 * i + c] * s[2 * i + c], nx += xc * xc;
            if (fabs(s[2 * i + c]) > fabs(s[2 * arg + c]))
                arg = i;
        }
        /* the score follows its axis (sample correlations of a, b and the noise tilt it) */
        if (!(fabs(dot) / sqrt(ns * nx) > 0.95))
            PT_FAIL_AT("component %d: correlation with its axis %.6f", c, dot / sqrt(ns * nx));
        PT_CHECK(s[2 * arg + c] > 0.0); /* svd_flip's sign */
    }
    double cross = 0.0, n0 = 0.0, n1 = 0.0;
    for (size_t i = 0; i < n; i++)
        cross += s[2 * i] * s[2 * i + 1], n0 += s[2 * i] * s[2 * i],
            n1 += s[2 * i + 1] * s[2 * i + 1];
    if (!(fabs(cross) <= 1e-6 * sqrt(n0 * n1))) /* scores of orthogonal eigenvectors */
        PT_FAIL_AT("score columns not orthogonal: %.3g", cross / sqrt(n0 * n1));
    PT_CHECK(n0 > n1);
    check_pca_eigen(&x, s);
    /* wide rows (d > n) go through the Gram matrix */
    prle_matrix w = gaussian_rows(30, 50, 9, 3, 3.0);
    double *sw = malloc(2 * 30 * sizeof *sw);
    PT_OK(prle__tsne_pca(sw, &w, 42, 0));
    check_pca_eigen(&w, sw);
    prle_matrix_dispose(&w);
    free(sw);
    free(s);
    prle_matrix_dispose(&x);
}

static void test_tsne__blobs_separate(void)
{
    size_t n = 240, d = 10;
    prle_matrix x = gaussian_rows(n, d, 3, 3, 6.0); /* row i is in blob i % 3 */
    prle_tsne_params p = prle_tsne_default_params();
    p.perplexity = 20;
    p.n_threads = 2;
    prle_tsne *t = NULL;
    PT_OK(prle_tsne_fit(&t, &x, &p));
    if (!t) {
        prle_matrix_dispose(&x);
        return;
    }
    const prle_matrix *e = prle_tsne_embedding(t);
    PT_EQ_INT(e->rows, n);
    PT_EQ_INT(e->cols, 2);
    double cx[3] = {0}, cy[3] = {0}, rad[3] = {0};
    for (size_t i = 0; i < n; i++)
        cx[i % 3] += e->data[2 * i] / (n / 3.0), cy[i % 3] += e->data[2 * i + 1] / (n / 3.0);
    for (size_t i = 0; i < n; i++) {
        double dx = e->data[2 * i] - cx[i % 3], dy = e->data[2 * i + 1] - cy[i % 3];
        rad[i % 3] = fmax(rad[i % 3], sqrt(dx * dx + dy * dy));
    }
    /* every blob fits in a disc that no other blob's disc touches */
    for (int a = 0; a < 3; a++)
        for (int b = a + 1; b < 3; b++) {
            double gap = hypot(cx[a] - cx[b], cy[a] - cy[b]);
            if (!(gap > rad[a] + rad[b]))
                PT_FAIL_AT("blobs %d and %d overlap: centres %.3g apart, radii %.3g + %.3g", a, b,
                           gap, rad[a], rad[b]);
        }
    prle_tsne_info info = prle_tsne_get_info(t);
    PT_CHECK(info.kl_divergence > 0.0 && info.kl_divergence < 2.0);
    PT_EQ_INT(info.n_neighbors, 61);
    PT_NEAR(info.learning_rate_early, 50.0, 0.0); /* max(240 / 48, 50) */
    PT_NEAR(info.learning_rate, 60.0, 0.0);       /* 240 / 4 */
    PT_EQ_INT(info.n_iter, 749);
    prle_tsne_free(t);
    prle_matrix_dispose(&x);
}

static prle_tsne *fit_or_null(const prle_matrix *x, const prle_tsne_params *p)
{
    prle_tsne *t = NULL;
    PT_OK(prle_tsne_fit(&t, x, p));
    return t;
}

/* The three repulsions end at KL within 2 % of each other (issue 15: FFT within 2 % of
 * scikit-learn's Barnes-Hut), FFT and AUTO with the same bits for 1 and 2 threads. */
static void test_tsne__methods_agree(void)
{
    prle_matrix x = gaussian_rows(3000, 8, 5, 4, 3.0);
    prle_tsne_params p = prle_tsne_default_params();
    p.n_iter = 300;
    p.exaggeration_iter = 100;
    double kl[3] = {0};
    prle_tsne_method m[3] = {PRLE_TSNE_BH, PRLE_TSNE_FFT, PRLE_TSNE_AUTO};
    for (int i = 0; i < 3; i++) {
        p.method = m[i];
        p.n_threads = 2;
        prle_tsne *a = fit_or_null(&x, &p);
        p.n_threads = 1;
        prle_tsne *b = i == 2 ? fit_or_null(&x, &p) : NULL; /* AUTO switches between both */
        if (a)
            kl[i] = prle_tsne_get_info(a).kl_divergence;
        if (a && b)
            PT_CHECK(memcmp(prle_tsne_embedding(a)->data, prle_tsne_embedding(b)->data,
                            2 * x.rows * sizeof(float)) == 0);
        prle_tsne_free(a), prle_tsne_free(b);
    }
    PT_NEAR(kl[1], kl[0], 0.02 * kl[0]);
    PT_NEAR(kl[2], kl[0], 0.02 * kl[0]);
    p.method = (prle_tsne_method)7;
    prle_tsne *t = NULL;
    PT_FAILS(prle_tsne_fit(&t, &x, &p), PRLE_EINVAL, "tsne.method");
    prle_matrix_dispose(&x);
}

static void test_tsne__deterministic(void)
{
    prle_matrix x = gaussian_rows(600, 20, 4, 5, 1.5);
    prle_tsne_params p = prle_tsne_default_params();
    p.n_iter = 150;
    p.exaggeration_iter = 50;
    p.n_threads = 1;
    prle_tsne *a = fit_or_null(&x, &p), *b = fit_or_null(&x, &p);
    p.n_threads = 2;
    prle_tsne *c = fit_or_null(&x, &p);
    p.init = PRLE_TSNE_INIT_RANDOM;
    prle_tsne *r1 = fit_or_null(&x, &p);
    p.seed = 43;
    prle_tsne *r2 = fit_or_null(&x, &p);
    if (a && b && c && r1 && r2) {
        size_t bytes = 2 * x.rows * sizeof(float);
        PT_CHECK(memcmp(prle_tsne_embedding(a)->data, prle_tsne_embedding(b)->data, bytes) == 0);
        PT_CHECK(memcmp(prle_tsne_embedding(a)->data, prle_tsne_embedding(c)->data, bytes) == 0);
        PT_CHECK(prle_tsne_get_info(a).kl_divergence == prle_tsne_get_info(c).kl_divergence);
        PT_CHECK(memcmp(prle_tsne_embedding(r1)->data, prle_tsne_embedding(r2)->data, bytes) != 0);
    }
    prle_tsne_free(a), prle_tsne_free(b), prle_tsne_free(c);
    prle_tsne_free(r1), prle_tsne_free(r2);
    prle_matrix_dispose(&x);
}

static bool stop_at_100(const prle_progress *info, void *ud)
{
    (void)ud;
    return info->done < 100;
}

/* Degenerate rows: all alike (no spread: the random start instead, as the same seed gives it),
 * on one line (a rank-1 covariance; LAPACK's eigensolver then fills its whole eigenvalue array,
 * which once overran a two-slot one on the stack), duplicates, and rows of 1e20: finite maps. */
static void test_tsne__degenerate_rows(void)
{
    size_t n = 120, d = 40;
    prle_matrix x = {0};
    PT_OK(prle_matrix_alloc(&x, n, d));
    prle_tsne_params p = prle_tsne_default_params(), pr = p;
    pr.init = PRLE_TSNE_INIT_RANDOM;
    for (int kind = 0; kind < 3; kind++) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++)
                x.data[i * d + j] = (float)(0.01 * (double)j) +
                                    (kind == 1 && j == 0 ? 1e-3f * (float)i : 0.0f) +
                                    (kind == 2 ? (float)(i % 3) * (j % 2 ? 1.0f : -1.0f) : 0.0f);
        prle_tsne *t = NULL, *tr = NULL;
        PT_OK(prle_tsne_fit(&t, &x, &p));
        if (!t)
            continue;
        const prle_matrix *y = prle_tsne_embedding(t);
        bool finite = true;
        for (size_t e = 0; e < 2 * n; e++)
            finite &= isfinite(y->data[e]) != 0;
        PT_CHECK(finite && isfinite(prle_tsne_get_info(t).kl_divergence));
        if (kind == 0) { /* the PCA start had no direction: the random start's map */
            PT_OK(prle_tsne_fit(&tr, &x, &pr));
            if (tr)
                PT_CHECK(memcmp(y->data, prle_tsne_embedding(tr)->data, 2 * n * sizeof *y->data) ==
                         0);
            prle_tsne_free(tr);
        }
        prle_tsne_free(t);
    }
    /* rows of 1e20 (npy embeddings of any scale): float products would overflow (the PCA's
     * LAPACK call refused them); the affinities are those of the rows at unit scale, to
     * rounding (the same neighbours, values within 0.5 %), and so is the map: its KL within 3 %,
     * since 750 steps carry a last-bit difference far (the unit-scale map's KL is 0.1384-0.1403
     * across OpenBLAS core types) */
    prle_matrix g = gaussian_rows(n, d, 4, 3, 3.0), h = {0};
    PT_OK(prle_matrix_alloc(&h, n, d));
    for (size_t e = 0; e < n * d; e++)
        h.data[e] = g.data[e] * 1e20f;
    prle__tsne_prep pg = {0}, ph = {0};
    PT_OK(prle__tsne_prepare(&pg, &g, &p));
    PT_OK(prle__tsne_prepare(&ph, &h, &p));
    size_t nnz = pg.P.indptr ? pg.P.indptr[n] : 0, bad = 0;
    PT_CHECK(nnz > 0 && ph.P.indptr && ph.P.indptr[n] == nnz);
    double worst = 0;
    for (size_t e = 0; ph.P.indptr && ph.P.indptr[n] == nnz && e < nnz; e++) {
        bad += ph.P.col[e] != pg.P.col[e];
        worst = fmax(worst, fabs(ph.P.val[e] - pg.P.val[e]) / pg.P.val[e]);
    }
    PT_EQ_INT(bad, 0);
    PT_CHECK(worst <= 5e-3); /* 1.3e-3: distances rounded at another scale, then the
                              * perplexity search's tolerance */
    prle_tsne *tg = NULL, *th = NULL;
    PT_OK(prle__tsne_finish(&tg, &pg, &g, &p));
    PT_OK(prle__tsne_finish(&th, &ph, &h, &p));
    if (tg && th) {
        double kg = prle_tsne_get_info(tg).kl_divergence, kh = prle_tsne_get_info(th).kl_divergence;
        if (!(fabs(kh - kg) <= 3e-2 * kg))
            PT_FAIL_AT("KL at scale 1e20 %.6f, at scale 1 %.6f", kh, kg);
    }
    prle_tsne_free(tg), prle_tsne_free(th);
    prle__tsne_prep_dispose(&pg), prle__tsne_prep_dispose(&ph);
    prle_matrix_dispose(&g), prle_matrix_dispose(&h);
    prle_matrix_dispose(&x);
}

static void test_tsne__errors(void)
{
    prle_matrix x = gaussian_rows(40, 4, 6, 0, 0.0);
    prle_tsne_params p = prle_tsne_default_params();
    prle_tsne *t = NULL;
    p.perplexity = 40;
    PT_FAILS(prle_tsne_fit(&t, &x, &p), PRLE_EINVAL, "perplexity must be less");
    p.perplexity = 5;
    x.data[7 * 4 + 2] = NAN;
    PT_FAILS(prle_tsne_fit(&t, &x, &p), PRLE_EINVAL, "row 7, column 2");
    x.data[7 * 4 + 2] = 0.5f;
    p.theta = 2;
    PT_FAILS(prle_tsne_fit(&t, &x, &p), PRLE_EINVAL, "tsne.theta");
    p.theta = 0.5;
    p.exaggeration_iter = 2000;
    PT_FAILS(prle_tsne_params_check(&p), PRLE_EINVAL, "tsne.exaggeration_iter");
    p.exaggeration_iter = 250;
    p.progress = stop_at_100;
    PT_FAILS(prle_tsne_fit(&t, &x, &p), PRLE_EABORTED, "tsne");
    PT_CHECK(t == NULL);
    p.progress = NULL;
    prle_matrix one = {0};
    PT_OK(prle_matrix_alloc(&one, 1, 4));
    PT_FAILS(prle_tsne_fit(&t, &one, &p), PRLE_EINVAL, "at least 2 rows");
    prle_tsne_free(NULL);
    prle_matrix_dispose(&one);
    prle_matrix_dispose(&x);
}

/* A stored map is read back bit for bit for the same rows and params, and missed for other
 * params, other rows or a damaged file; a folder that cannot be written is no error. */
static void test_tsne__cache(void)
{
    prle_matrix x = gaussian_rows(300, 6, 3, 9, 2.0), xy = {0};
    prle_tsne_params p = prle_tsne_default_params();
    p.n_iter = 100;
    p.exaggeration_iter = 50;
    prle_tsne *t = fit_or_null(&x, &p);
    prle_tsne_info info = {0};
    const char *path = pt_tmp("prle-test-tsne-cache.safetensors");
    remove(path);
    if (!t) {
        prle_matrix_dispose(&x);
        return;
    }
    prle_tsne_info made = prle_tsne_get_info(t);
    PT_EQ_INT(prle__tsne_cache_load(&xy, &info, path, &x, &p), 0); /* no file */
    prle__tsne_cache_store(path, &x, &p, prle_tsne_embedding(t), &made);
    PT_EQ_INT(prle__tsne_cache_load(&xy, &info, path, &x, &p), 1);
    PT_CHECK(xy.rows == x.rows && xy.cols == 2 &&
             memcmp(xy.data, prle_tsne_embedding(t)->data, 2 * x.rows * sizeof(float)) == 0);
    PT_CHECK(info.kl_divergence == made.kl_divergence && info.n_iter == made.n_iter &&
             info.n_neighbors == made.n_neighbors);
    prle_matrix_dispose(&xy);
    p.seed = 43; /* other params */
    PT_EQ_INT(prle__tsne_cache_load(&xy, &info, path, &x, &p), 0);
    p.seed = 42;
    x.data[17] += 1.0f; /* other rows */
    PT_EQ_INT(prle__tsne_cache_load(&xy, &info, path, &x, &p), 0);
    x.data[17] -= 1.0f;
    PT_EQ_INT(prle__tsne_cache_load(&xy, &info, path, &x, &p), 1);
    prle_matrix_dispose(&xy);
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs("damaged", f);
        fclose(f);
    }
    PT_EQ_INT(prle__tsne_cache_load(&xy, &info, path, &x, &p), 0);
    prle__tsne_cache_store("/nonexistent-folder/map.safetensors", &x, &p, prle_tsne_embedding(t),
                           &made);
    PT_CHECK(prle_last_error()[0] == 0);
    remove(path);
    prle_tsne_free(t);
    prle_matrix_dispose(&x);
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_tsne__knn_matches_brute_force);
    PT_RUN(test_tsne__perplexity_search_hits_entropy);
    PT_RUN(test_tsne__matches_sklearn);
    PT_RUN(test_tsne__barnes_hut_theta0_is_exact);
    PT_RUN(test_tsne__pca_start);
    PT_RUN(test_tsne__blobs_separate);
    PT_RUN(test_tsne__fft_repulsion);
    PT_RUN(test_tsne__methods_agree);
    PT_RUN(test_tsne__deterministic);
    PT_RUN(test_tsne__degenerate_rows);
    PT_RUN(test_tsne__errors);
    PT_RUN(test_tsne__cache);
    return pt_report();
}
