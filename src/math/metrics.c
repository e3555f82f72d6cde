/* Regression metrics; the references are scikit-learn 1.2 (mse, mae, r2_score) and SciPy 1.10
 * (pearsonr, spearmanr, kendalltau), checked by tests/test_metrics.c against numbers made by
 * tools/ref/metrics_ref.py. */
#include "prle/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* Scratch for one call: n each. */
typedef struct {
    double *rank_t, *rank_p; /* average ranks (1-based) */
    double *ys, *ytmp;       /* Kendall: y in (x, y) order, merge buffer */
    size_t *idx, *itmp;      /* sort permutation, merge buffer */
} scratch;

static bool idx_less(size_t a, size_t b, const double *k1, const double *k2)
{
    if (k1[a] != k1[b])
        return k1[a] < k1[b];
    if (k2 && k2[a] != k2[b])
        return k2[a] < k2[b];
    return false; /* equal keys keep their order (the sort is stable) */
}

/* Sorts idx[0..n) = 0..n-1 by (k1, k2), ties by index: a stable bottom-up merge sort, so the
 * order is fully determined (qsort is not stable and has no context pointer). */
static void sort_idx(size_t *idx, size_t *tmp, size_t n, const double *k1, const double *k2)
{
    size_t *src = idx, *dst = tmp;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t l = lo, r = mid, o = lo;
            while (l < mid && r < hi)
                dst[o++] = idx_less(src[r], src[l], k1, k2) ? src[r++] : src[l++];
            while (l < mid)
                dst[o++] = src[l++];
            while (r < hi)
                dst[o++] = src[r++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx)
        memcpy(idx, src, n * sizeof *idx);
}

/* Sorts v[0..n) ascending and returns the number of pairs i < j with v[i] > v[j] (strictly):
 * the discordant pairs once v holds y in (x, y) order. Merge sort, O(n log n). */
static uint64_t sort_count_inversions(double *v, double *tmp, size_t n)
{
    uint64_t inv = 0;
    double *src = v, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t l = lo, r = mid, o = lo;
            while (l < mid && r < hi) {
                if (src[r] < src[l]) {
                    inv += (uint64_t)(mid - l); /* src[r] is below every left value remaining */
                    dst[o++] = src[r++];
                } else {
                    dst[o++] = src[l++];
                }
            }
            while (l < mid)
                dst[o++] = src[l++];
            while (r < hi)
                dst[o++] = src[r++];
        }
        double *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    return inv;
}

/* Sum of c (c - 1) / 2 over runs of equal values of key[order[i]] (order NULL: identity). */
static uint64_t tied_pairs(const double *key, const size_t *order, size_t n)
{
    uint64_t pairs = 0, run = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && key[order ? order[i] : i] == key[order ? order[i - 1] : i - 1]) {
            run++;
        } else {
            pairs += run * (run - 1) / 2;
            run = 1;
        }
    }
    return pairs;
}

/* Average ranks, 1-based; a run of ties at sorted positions i..j-1 all get (i + 1 + j) / 2
 * (scipy.stats.rankdata, method 'average'). */
static void average_ranks(double *rank, const double *x, size_t *idx, size_t *tmp, size_t n)
{
    sort_idx(idx, tmp, n, x, NULL);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && x[idx[j]] == x[idx[i]])
            j++;
        double r = 0.5 * (double)(i + 1 + j);
        for (size_t t = i; t < j; t++)
            rank[idx[t]] = r;
        i = j;
    }
}

/* Pearson's r of two non-constant vectors, two-pass in double, clipped to [-1, 1]. */
static double pearson(const double *x, const double *y, size_t n)
{
    double sx = 0, sy = 0;
    for (size_t i = 0; i < n; i++) {
        sx += x[i];
        sy += y[i];
    }
    double mx = sx / (double)n, my = sy / (double)n;
    double sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    double r = sxy / (sqrt(sxx) * sqrt(syy));
    return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}

/* Kendall τ-b by Knight's method (J. Am. Stat. Assoc. 61, 1966), as scipy.stats.kendalltau:
 * sort by (x, y); the discordant pairs are the strict inversions of y in that order;
 * τ-b = (tot - xtie - ytie + ntie - 2 dis) / sqrt(tot - xtie) / sqrt(tot - ytie), where ntie
 * counts pairs tied in both. Both vectors are non-constant, so neither root is zero. */
static double kendall_tau_b(const double *x, const double *y, size_t n, scratch *s)
{
    sort_idx(s->idx, s->itmp, n, x, y);
    uint64_t xtie = tied_pairs(x, s->idx, n);
    uint64_t ntie = 0, run = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && x[s->idx[i]] == x[s->idx[i - 1]] && y[s->idx[i]] == y[s->idx[i - 1]]) {
            run++;
        } else {
            ntie += run * (run - 1) / 2;
            run = 1;
        }
    }
    for (size_t i = 0; i < n; i++)
        s->ys[i] = y[s->idx[i]];
    uint64_t dis = sort_count_inversions(s->ys, s->ytmp, n);
    uint64_t ytie = tied_pairs(s->ys, NULL, n); /* ys is sorted now */
    uint64_t tot = (uint64_t)n * (uint64_t)(n - 1) / 2;

    int64_t con_minus_dis = (int64_t)(tot + ntie) - (int64_t)(xtie + ytie) - 2 * (int64_t)dis;
    double tau = (double)con_minus_dis / sqrt((double)(tot - xtie)) / sqrt((double)(tot - ytie));
    return tau > 1.0 ? 1.0 : tau < -1.0 ? -1.0 : tau;
}

static int check_values(const double *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return prle__error_set(PRLE_EINVAL, "%s[%zu] is %s", name, i,
                                   isnan(v[i]) ? "nan" : "infinite");
    return 0;
}

static bool is_constant(const double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[0])
            return false;
    return true;
}

/* Largest n: tot = n (n - 1) / 2 and the pair counts must fit in int64. */
#define METRICS_MAX_N ((size_t)1 << 31)

int prle_metrics_compute_f64(prle_metrics *out, const double *y_true, const double *y_pred,
                             size_t n)
{
    int err;
    void *mem = NULL;
    prle_metrics m = {0};

    if (!out || !y_true || !y_pred)
        return prle__error_set(PRLE_EINVAL, "metrics: NULL argument");
    if (n < 2)
        return prle__error_set(PRLE_EINVAL, "metrics need at least 2 pairs, got n = %zu", n);
    if (n > METRICS_MAX_N)
        return prle__error_set(PRLE_EINVAL, "metrics: n = %zu exceeds %zu", n, METRICS_MAX_N);
    if ((err = check_values(y_true, n, "y_true")) < 0 ||
        (err = check_values(y_pred, n, "y_pred")) < 0)
        return err;

    m.n = n;
    double se = 0, ae = 0, st = 0;
    for (size_t i = 0; i < n; i++) {
        double e = y_true[i] - y_pred[i];
        se += e * e;
        ae += fabs(e);
        st += y_true[i];
    }
    m.mse = se / (double)n;
    m.rmse = sqrt(m.mse);
    m.mae = ae / (double)n;

    bool const_t = is_constant(y_true, n), const_p = is_constant(y_pred, n);
    m.flags =
        (const_t ? PRLE_METRICS_CONSTANT_TRUE : 0u) | (const_p ? PRLE_METRICS_CONSTANT_PRED : 0u);

    /* r2_score (force_finite): SS_tot of an exactly constant y_true is 0 by definition (its
     * computed mean may be off by an ulp). */
    double ss_tot = 0;
    if (!const_t) {
        double mt = st / (double)n;
        for (size_t i = 0; i < n; i++)
            ss_tot += (y_true[i] - mt) * (y_true[i] - mt);
    }
    if (se == 0)
        m.r2 = 1.0;
    else if (ss_tot == 0)
        m.r2 = 0.0;
    else
        m.r2 = 1.0 - se / ss_tot;

    if (const_t || const_p) {
        m.pearson = m.spearman = m.kendall = NAN;
        *out = m;
        return 0;
    }

    /* 4 double and 2 size_t arrays of n; n <= 2^31 so this cannot overflow on 64-bit, but
     * check anyway for 32-bit size_t. */
    size_t dbytes, ibytes, total;
    if (!prle__mul_ok(&dbytes, n, 4 * sizeof(double)) ||
        !prle__mul_ok(&ibytes, n, 2 * sizeof(size_t)) || !prle__add_ok(&total, dbytes, ibytes))
        return prle__error_nomem("metrics scratch");
    if (!(mem = malloc(total)))
        return prle__error_nomem("metrics scratch");
    scratch s;
    s.rank_t = mem;
    s.rank_p = s.rank_t + n;
    s.ys = s.rank_p + n;
    s.ytmp = s.ys + n;
    s.idx = (size_t *)(void *)(s.ytmp + n);
    s.itmp = s.idx + n;

    m.pearson = pearson(y_true, y_pred, n);
    average_ranks(s.rank_t, y_true, s.idx, s.itmp, n);
    average_ranks(s.rank_p, y_pred, s.idx, s.itmp, n);
    m.spearman = pearson(s.rank_t, s.rank_p, n);
    m.kendall = kendall_tau_b(y_true, y_pred, n, &s);

    free(mem);
    *out = m;
    return 0;
}

int prle_metrics_compute(prle_metrics *out, const float *y_true, const float *y_pred, size_t n)
{
    if (!out || !y_true || !y_pred)
        return prle__error_set(PRLE_EINVAL, "metrics: NULL argument");
    if (n < 2)
        return prle__error_set(PRLE_EINVAL, "metrics need at least 2 pairs, got n = %zu", n);
    size_t bytes;
    if (!prle__mul_ok(&bytes, n, 2 * sizeof(double)))
        return prle__error_nomem("metrics input copy");
    double *t = malloc(bytes);
    if (!t)
        return prle__error_nomem("metrics input copy");
    double *p = t + n;
    for (size_t i = 0; i < n; i++) {
        t[i] = (double)y_true[i];
        p[i] = (double)y_pred[i];
    }
    int err = prle_metrics_compute_f64(out, t, p, n);
    free(t);
    return err;
}

int prle_metrics_rescale(prle_metrics *out, const prle_metrics *raw, double label_min,
                         double label_max)
{
    if (!out || !raw)
        return prle__error_set(PRLE_EINVAL, "metrics rescale: NULL argument");
    if (!isfinite(label_min) || !isfinite(label_max) || !(label_max > label_min))
        return prle__error_set(PRLE_EINVAL, "label range [%g, %g] is not finite and increasing",
                               label_min, label_max);
    double scale = label_max - label_min;
    prle_metrics m = *raw;
    m.mse = raw->mse / (scale * scale);
    m.rmse = raw->rmse / scale;
    m.mae = raw->mae / scale;
    *out = m;
    return 0;
}

const char *prle_metrics_flags_message(unsigned flags)
{
    bool t = flags & PRLE_METRICS_CONSTANT_TRUE, p = flags & PRLE_METRICS_CONSTANT_PRED;
    if (t && p)
        return "y_true and y_pred are constant: pearson, spearman and kendall are undefined (nan)";
    if (t)
        return "y_true is constant: pearson, spearman and kendall are undefined (nan)";
    if (p)
        return "y_pred is constant: pearson, spearman and kendall are undefined (nan)";
    return "";
}
