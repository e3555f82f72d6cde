/* Training the kernel (SPEC.md §4): Adam on shuffled batches, validation pair loss per epoch,
 * the best or last epoch kept; applying it to whole matrices in blocks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "core/progress.h"
#include "core/threads.h"
#include "kernel/kernel_int.h"
#include "kernel/loss.h"
#include "nn/adam.h"

/* ---- the handle -------------------------------------------------------------------------- */

int prle__kernel_alloc(prle_kernel **out, size_t in_dim, const prle_kernel_params *p)
{
    int err;
    prle_kernel *k = calloc(1, sizeof *k);
    if (!k)
        return prle__error_nomem("kernel");
    if ((err = prle__head_init(&k->head, in_dim, p)) < 0 ||
        (err = prle__param_buf_alloc(&k->pb, k->head.n_params, k->head.n_train)) < 0) {
        prle_kernel_free(k);
        return err;
    }
    k->params = *p;
    k->params.center_inputs = k->head.centered; /* AUTO without rows: not centred */
    k->params.standardize_inputs = k->head.scaled;
    k->params.progress = NULL;
    k->params.progress_ud = NULL;
    k->params.on_epoch = NULL;
    k->params.on_epoch_ud = NULL;
    *out = k;
    return 0;
}

int prle_kernel_new(prle_kernel **out, size_t in_dim, const prle_kernel_params *p)
{
    int err;
    prle_kernel *k = NULL;
    if ((err = prle_kernel_params_check(p)) < 0 || (err = prle__kernel_alloc(&k, in_dim, p)) < 0)
        return err;
    prle__head_init_weights(&k->head, k->pb.params, p->seed);
    if ((err = prle__kernel_pack(k)) < 0) {
        prle_kernel_free(k);
        return err;
    }
    *out = k;
    return 0;
}

int prle__kernel_pack(prle_kernel *k)
{
    size_t bytes;
    if (!prle__mul_ok(&bytes, k->head.n_packed ? k->head.n_packed : 1, sizeof(float)))
        return prle__error_nomem("kernel packed weights");
    prle_free(k->packed);
    if (!(k->packed = prle_aligned_alloc(bytes)))
        return prle__error_nomem("kernel packed weights");
    prle__head_pack(&k->head, k->pb.params, k->packed);
    return 0;
}

void prle_kernel_free(prle_kernel *k)
{
    if (!k)
        return;
    prle__param_buf_dispose(&k->pb);
    prle_free(k->packed);
    free(k->history);
    free(k);
}

size_t prle_kernel_in_dim(const prle_kernel *k)
{
    return k->head.d_in;
}

size_t prle_kernel_out_dim(const prle_kernel *k)
{
    return k->head.d_out;
}

prle_head_type prle_kernel_type(const prle_kernel *k)
{
    return k->head.type;
}

size_t prle_kernel_n_params(const prle_kernel *k)
{
    size_t n = 0;
    for (size_t i = 0; i < k->head.n_tensors; i++)
        n += k->head.t[i].size;
    return n;
}

const prle_kernel_params *prle_kernel_get_params(const prle_kernel *k)
{
    return &k->params;
}

const prle_kernel_epoch *prle_kernel_history(const prle_kernel *k, size_t *n)
{
    *n = k->n_history;
    return k->history;
}

int prle_kernel_kept_epoch(const prle_kernel *k)
{
    return k->kept_epoch;
}

/* ---- fitting ----------------------------------------------------------------------------- */

typedef struct fit_state {
    prle_kernel *k;
    prle__head_acts acts;
    float *xb, *yb, *dz, *work, *best, *adam_scratch;
    float *zval, *wval; /* (VAL_BLOCK, D) value-space rows, (VAL_BLOCK, VAL_BLOCK) Gram */
    size_t *perm;
} fit_state;

static void fit_state_dispose(fit_state *s)
{
    prle__head_acts_dispose(&s->acts);
    prle_free(s->xb);
    prle_free(s->dz);
    prle_free(s->work);
    prle_free(s->adam_scratch);
    prle_free(s->best);
    prle_free(s->zval);
    prle_free(s->wval);
    free(s->yb);
    free(s->perm);
    prle_kernel_free(s->k);
    memset(s, 0, sizeof *s);
}

static float *falloc(size_t a, size_t b)
{
    size_t n, bytes;
    if (!prle__mul_ok(&n, a, b) || !prle__mul_ok(&bytes, n ? n : 1, sizeof(float)))
        return NULL;
    return prle_aligned_alloc(bytes);
}

/* Finite labels; the training labels within the range the pair loss scales by (a 0-5 label
 * under the default 0-1 range would silently weigh every pair 25 times too much; float
 * rounding allowed). Validation labels may fall outside a range taken from the train split. */
size_t prle__kernel_label_outside(const float *y, size_t n, double label_min, double label_max)
{
    double slack = 1e-6 * (label_max - label_min);
    double lo = (double)(float)label_min - slack, hi = (double)(float)label_max + slack;
    for (size_t i = 0; i < n; i++)
        if ((double)y[i] < lo || (double)y[i] > hi)
            return i;
    return n;
}

static int check_labels(const float *y, size_t n, const char *what, const prle_kernel_params *p)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i]))
            return prle__error_set(PRLE_EINVAL, "%s[%zu] is %g", what, i, (double)y[i]);
    size_t i = p ? prle__kernel_label_outside(y, n, p->label_min, p->label_max) : n;
    if (i < n)
        return prle__error_set(PRLE_EINVAL,
                               "%s[%zu] = %g is outside the label range [%g, %g]: set "
                               "label_min and label_max of the kernel's params",
                               what, i, (double)y[i], p->label_min, p->label_max);
    return 0;
}

/* Validation pairs: all pairs within consecutive blocks of this many rows (row order). With
 * batches of B the estimate is noisy enough to pick the wrong epoch (at B = 64 on STS-B two
 * epochs tie to 1e-5); blocks of 1024 use ~16x more pairs at a few ms per epoch. */
#define VAL_BLOCK 1024

/* Mean pair loss over the validation blocks, weighted by their pair counts. */
static double val_pair_loss(fit_state *s, const prle_matrix *xv, const float *yv,
                            const prle__loss_params *lp, size_t B, int nt)
{
    const prle__head *h = &s->k->head;
    size_t D = h->d_out;
    double sum = 0, pairs = 0;
    for (size_t v0 = 0; v0 + 1 < xv->rows; v0 += VAL_BLOCK) {
        size_t nv = xv->rows - v0 < VAL_BLOCK ? xv->rows - v0 : VAL_BLOCK;
        if (nv < 2)
            break;
        for (size_t r0 = 0; r0 < nv; r0 += B) {
            size_t nb = nv - r0 < B ? nv - r0 : B;
            prle__head_forward(h, s->k->pb.params, &s->acts, prle_matrix_row(xv, v0 + r0), nb, NULL,
                               nt);
            memcpy(s->zval + r0 * D, s->acts.z, nb * D * sizeof(float));
        }
        prle__loss_terms t;
        prle__kernel_loss(&t, NULL, s->wval, s->zval, yv + v0, nv, D, lp, NULL, nt);
        double np = (double)nv * (double)(nv - 1);
        sum += t.pair * np;
        pairs += np;
    }
    return pairs > 0 ? sum / pairs : NAN;
}

/* mu = the column mean of the training rows (summed in double), for a centered head; s = 1 /
 * their standard deviation, for a scaled one. */
static int set_input_mean(prle_kernel *k, const prle_matrix *x)
{
    size_t H = x->cols;
    double *mean = malloc(H * sizeof *mean), *sd = malloc(H * sizeof *sd);
    if (!mean || !sd) {
        free(mean), free(sd);
        return prle__error_nomem("kernel input mean");
    }
    prle__matrix_col_mean(mean, x);
    float *mu = k->pb.params + k->head.t[k->head.in_mean].offset;
    for (size_t j = 0; j < H; j++)
        mu[j] = (float)mean[j];
    if (k->head.scaled) {
        prle__matrix_col_scale(sd, mean, x);
        float *sc = k->pb.params + k->head.t[k->head.in_scale].offset;
        for (size_t j = 0; j < H; j++)
            sc[j] = (float)(1.0 / sd[j]);
    }
    free(mean), free(sd);
    return 0;
}

static int report_epoch(const prle_kernel_params *p, const prle_kernel_epoch *e, int epochs,
                        double t0)
{
    if (p->on_epoch && !p->on_epoch(e, p->on_epoch_ud))
        return prle__error_set(PRLE_EABORTED, "kernel: stopped by the epoch callback");
    char note[160];
    snprintf(note, sizeof note, "loss %.6f pair %.6f triplet %.6f uniform %.6f val_pair %.6f",
             e->loss, e->loss_pair, e->loss_triplet, e->loss_uniform, e->val_pair);
    return prle__progress(p->progress, p->progress_ud, "kernel", (size_t)e->epoch, (size_t)epochs,
                          t0, note);
}

double prle_kernel_offset_ratio(const prle_matrix *x)
{
    if (!x || x->rows < 2 || !x->cols)
        return NAN;
    size_t n = x->rows, d = x->cols;
    double *mu = malloc(d * sizeof *mu), off = 0.0, spread = 0.0;
    if (!mu)
        return NAN;
    prle__matrix_col_mean(mu, x);
    for (size_t j = 0; j < d; j++)
        off += mu[j] * mu[j];
    for (size_t i = 0; i < n; i++) {
        const float *r = prle_matrix_row(x, i);
        for (size_t j = 0; j < d; j++)
            spread += ((double)r[j] - mu[j]) * ((double)r[j] - mu[j]);
    }
    free(mu);
    spread /= (double)n;
    if (spread > 0.0)
        return off / spread;
    return off > 0.0 ? INFINITY : NAN;
}

bool prle__kernel_centers(const prle_matrix *x, double *ratio)
{
    double r = prle_kernel_offset_ratio(x);
    if (ratio)
        *ratio = r;
    return r > 1.0;
}

int prle_kernel_fit(prle_kernel **out, const prle_matrix *x_train, const float *y_train,
                    const prle_matrix *x_val, const float *y_val, const prle_kernel_params *given)
{
    int err;
    fit_state s = {0};
    if ((err = prle_kernel_params_check(given)) < 0)
        return err;
    if (!x_train || !y_train || x_train->rows < 2)
        return prle__error_set(PRLE_EINVAL, "kernel fit needs at least 2 training rows");
    prle_kernel_params resolved = *given, *p = &resolved;
    if (p->center_inputs == PRLE_KERNEL_CENTER_AUTO)
        p->center_inputs = prle__kernel_centers(x_train, NULL);
    size_t N = x_train->rows, H = x_train->cols, B = p->batch_size < N ? p->batch_size : N;
    bool has_val = x_val && y_val && x_val->rows >= 2;
    if (x_val && x_val->rows && x_val->cols != H)
        return prle__error_set(PRLE_ESHAPE, "validation embeddings are %zu wide, training ones %zu",
                               x_val->cols, H);
    if ((err = check_labels(y_train, N, "y_train", p)) < 0 ||
        (has_val && (err = check_labels(y_val, x_val->rows, "y_val", NULL)) < 0))
        return err;
    int nt = prle__threads_resolve(p->n_threads);
    if (p->standardize_inputs == PRLE_KERNEL_STANDARDIZE_AUTO) {
        prle_standardize_test t = {0};
        if (has_val &&
            (err = prle_kernel_standardize_test(&t, x_train, y_train, x_val, y_val, nt)) < 0)
            return err;
        p->standardize_inputs = t.standardize;
    }
    int epochs = p->max_epochs > 0 ? p->max_epochs : prle__epoch_budget(N, B);
    int patience = p->patience >= 0 ? p->patience : prle__patience_epochs(N, B);

    if ((err = prle__kernel_alloc(&s.k, H, p)) < 0)
        goto done;
    prle_kernel *k = s.k;
    const prle__head *h = &k->head;
    prle__head_init_weights(h, k->pb.params, p->seed);
    if (h->centered && (err = set_input_mean(k, x_train)) < 0)
        goto done;
    if ((err = prle__param_buf_alloc_train(&k->pb)) < 0 ||
        (err = prle__head_acts_alloc(&s.acts, h, B, true)) < 0)
        goto done;
    s.xb = falloc(B, H);
    s.dz = falloc(B, h->d_out);
    s.work = falloc(prle__loss_work_floats(B), 1);
    s.adam_scratch = falloc(prle__head_step_scratch(h, nt), 1);
    s.best = has_val && p->keep == PRLE_KEEP_BEST ? falloc(h->n_params, 1) : NULL;
    size_t vb = has_val ? (x_val->rows < VAL_BLOCK ? x_val->rows : VAL_BLOCK) : 1;
    s.zval = falloc(vb, h->d_out);
    s.wval = falloc(vb, vb); /* the Gram matrix only: no gradient */
    s.yb = malloc(B * sizeof *s.yb);
    s.perm = malloc(N * sizeof *s.perm);
    k->history = calloc((size_t)epochs, sizeof *k->history);
    if (!s.xb || !s.dz || !s.work || !s.adam_scratch || !s.yb || !s.perm || !k->history ||
        !s.zval || !s.wval || (has_val && p->keep == PRLE_KEEP_BEST && !s.best)) {
        err = prle__error_nomem("kernel training buffers");
        goto done;
    }

    prle__loss_params lp = {p->lambda_pair, p->lambda_triplet, p->lambda_uniform,
                            p->label_max - p->label_min};
    prle__adam_params ap = prle__adam_default_params();
    ap.lr = p->learning_rate;
    double t_start = prle__now(), best_val = INFINITY;
    uint64_t step = 0;
    int since_best = 0; /* epochs since the lowest validation pair loss (early stopping) */
    for (int ep = 1; ep <= epochs; ep++) {
        double t0 = prle__now();
        prle_kernel_epoch rec = {.epoch = ep};
        prle_rng shuf;
        prle_rng_init(&shuf, p->seed, "kernel.shuffle", (uint64_t)ep - 1);
        for (size_t i = 0; i < N; i++)
            s.perm[i] = i;
        prle_rng_shuffle(&shuf, s.perm, N);
        for (size_t r0 = 0; r0 < N; r0 += B) {
            size_t nb = N - r0 < B ? N - r0 : B;
            if (nb < 2)
                continue;
            for (size_t i = 0; i < nb; i++) {
                memcpy(s.xb + i * H, prle_matrix_row(x_train, s.perm[r0 + i]), H * sizeof(float));
                s.yb[i] = y_train[s.perm[r0 + i]];
            }
            prle_rng drop, trip;
            prle_rng_init(&drop, p->seed, "kernel.dropout", step);
            prle_rng_init(&trip, p->seed, "kernel.triplet", step);
            prle__head_forward(h, k->pb.params, &s.acts, s.xb, nb, &drop, nt);
            prle__loss_terms t;
            prle__kernel_loss(&t, s.dz, s.work, s.acts.z, s.yb, nb, h->d_out, &lp, &trip, nt);
            step++;
            if (h->n_train) {
                prle__adam_coef c = prle__adam_coef_at(&ap, step);
                prle__head_step(h, &k->pb, &s.acts, s.xb, s.dz, nb, &c, s.adam_scratch, nt);
            }
            rec.loss += t.total;
            rec.loss_pair += t.pair;
            rec.loss_triplet += t.triplet;
            rec.loss_uniform += t.uniform;
            rec.steps++;
        }
        if (rec.steps) {
            double ns = (double)rec.steps;
            rec.loss /= ns, rec.loss_pair /= ns, rec.loss_triplet /= ns, rec.loss_uniform /= ns;
        }
        rec.val_pair = has_val ? val_pair_loss(&s, x_val, y_val, &lp, B, nt) : NAN;
        if (!isfinite(rec.loss) || (has_val && !isfinite(rec.val_pair))) {
            err = prle__error_set(PRLE_EINVAL,
                                  "kernel: training diverged at epoch %d (loss %g, validation pair "
                                  "loss %g): lower kernel.learning_rate (now %g)",
                                  ep, rec.loss, rec.val_pair, p->learning_rate);
            goto done;
        }
        rec.seconds = prle__now() - t0;
        rec.rows_per_s = rec.seconds > 0 ? (double)N / rec.seconds : 0.0;
        k->history[k->n_history++] = rec;
        if (isfinite(rec.val_pair) && rec.val_pair < best_val) {
            best_val = rec.val_pair;
            since_best = 0;
            if (s.best) {
                k->kept_epoch = ep;
                memcpy(s.best, k->pb.params, h->n_params * sizeof(float));
            }
        } else {
            since_best++;
        }
        if ((err = report_epoch(p, &rec, epochs, t_start)) < 0)
            goto done;
        if (has_val && patience > 0 && since_best >= patience)
            break;
    }
    if (s.best && k->kept_epoch > 0)
        memcpy(k->pb.params, s.best, h->n_params * sizeof(float));
    else
        k->kept_epoch = (int)k->n_history;
    prle__param_buf_free_train(&k->pb);
    if ((err = prle__kernel_pack(k)) < 0)
        goto done;
    *out = k;
    s.k = NULL;
done:
    fit_state_dispose(&s);
    return err;
}

/* ---- applying ---------------------------------------------------------------------------- */

/* Rows per forward when applying: each array of the block at most APPLY_BYTES, 256 to 512
 * rows. The row-by-row products (prle__gemm_rows) run at 84 GFLOP/s on 256 rows of STS-B's
 * 500-wide head, 122 on 512 and 123-129 on 1,024 (2 threads, AMD EPYC without AVX-512);
 * 1,024 rows raised `prle predict`'s peak memory by 30-65 MB against 10-20 for 512, for no
 * time measurable beside the host's swings. A row's bits do not depend on the block. */
#define APPLY_BYTES ((size_t)4 << 20)
#define APPLY_ROWS_MIN 256
#define APPLY_ROWS_MAX 512

static size_t apply_rows(const prle__head *h)
{
    size_t w = h->d_in > h->d_out ? h->d_in : h->d_out;
    w = h->hidden > w ? h->hidden : w;
    size_t r = APPLY_BYTES / (w * sizeof(float));
    return r < APPLY_ROWS_MIN ? APPLY_ROWS_MIN : r > APPLY_ROWS_MAX ? APPLY_ROWS_MAX : r;
}

int prle_kernel_apply(prle_matrix *out, const prle_kernel *k, const prle_matrix *x, int n_threads)
{
    int err;
    const prle__head *h = &k->head;
    prle_matrix z = {0};
    prle__head_acts acts = {0};
    if (x->cols != h->d_in)
        return prle__error_set(PRLE_ESHAPE, "embeddings are %zu wide, the kernel expects %zu",
                               x->cols, h->d_in);
    int nt = prle__threads_resolve(n_threads);
    size_t block = apply_rows(h), cap = x->rows < block ? (x->rows ? x->rows : 1) : block;
    if ((err = prle_matrix_alloc(&z, x->rows, h->d_out)) < 0 ||
        (err = prle__head_acts_alloc(&acts, h, cap, false)) < 0)
        goto done;
    PRLE_ASSERT(k->packed);
    acts.packed = k->packed; /* row by row: a row's z is the same bits in any batch */
    for (size_t r0 = 0; r0 < x->rows; r0 += cap) {
        size_t nb = x->rows - r0 < cap ? x->rows - r0 : cap;
        prle__head_forward(h, k->pb.params, &acts, prle_matrix_row(x, r0), nb, NULL, nt);
        memcpy(prle_matrix_row(&z, r0), acts.z, nb * h->d_out * sizeof(float));
    }
    *out = z;
    z = (prle_matrix){0};
done:
    prle__head_acts_dispose(&acts);
    prle_matrix_dispose(&z);
    return err;
}
