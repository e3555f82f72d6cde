#include "kernel/heads.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "math/blas.h"
#include "nn/l2norm.h"
#include "nn/layernorm.h"
#include "nn/linear.h"
#include "prle/matrix.h"

#define TWO_PI 6.283185307179586

/* ---- architecture ------------------------------------------------------------------------ */

static size_t add_tensor(prle__head *h, const char *name, size_t rows, size_t cols, bool train)
{
    prle__tensor *t = &h->t[h->n_tensors];
    PRLE_ASSERT(h->n_tensors < PRLE__HEAD_MAX_TENSORS && strlen(name) < PRLE__TENSOR_NAME - 16);
    memcpy(t->name, "projection_head.", 16);
    memcpy(t->name + 16, name, strlen(name) + 1);
    t->ndim = cols ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols;
    t->size = cols ? rows * cols : rows; /* widths are capped at MAX_WIDTH: no overflow */
    t->trainable = train;
    return h->n_tensors++;
}

static size_t add_linear(prle__head *h, size_t *b_idx, const char *prefix, size_t din, size_t dout,
                         bool bias)
{
    char name[PRLE__TENSOR_NAME - 16]; /* room for the "projection_head." prefix */
    snprintf(name, sizeof name, "%s.weight", prefix);
    size_t w = add_tensor(h, name, dout, din, true);
    if (bias) {
        snprintf(name, sizeof name, "%s.bias", prefix);
        *b_idx = add_tensor(h, name, dout, 0, true);
    }
    return w;
}

/* The rff head keeps W as (in, half), k-major; every other weight is (out, in). */
static bool kmajor(const prle__head *h, size_t i)
{
    return h->type == PRLE_HEAD_RFF && i == h->w[0];
}

/* Largest width accepted: keeps every (rows, cols) product of a tensor far from overflow. */
#define MAX_WIDTH ((size_t)1 << 24)

/* A resmlp's hidden layer as wide as its value space starves a narrow input: on 100-wide GloVe
 * rows (Ruddit, 301-row samples) 500 or 512 instead of 100 lifted test Pearson by 0.02-0.07,
 * 1024 by no more, and STS-B (D = 500) gains nothing from 512 or 1024 (README, issue 12). So
 * the default is the widest whole multiple of D up to 512, at most 8 D: D itself above 256
 * (no out-projection), 500 for 100, 32 for 4. A wide input's is at most 2048, since each
 * hidden layer costs its width squared: STS-B's 5,120 hashing pair features trained their
 * kernel in 48 s instead of 93 s (test Pearson 0.7072 against 0.7095, seed 1), and a Llama
 * 8B pair input (20,480) gets 88 M parameters instead of 839 M. The mlp head's default is the
 * original's. */
size_t prle__head_hidden(const prle_kernel_params *p, size_t in_dim, size_t d_out)
{
    if (p->hidden_dim)
        return p->hidden_dim;
    if (p->type == PRLE_HEAD_MLP)
        return in_dim > d_out ? in_dim : d_out;
    size_t f = d_out ? PRLE__RESMLP_HIDDEN / d_out : 1;
    f = f < 1 ? 1 : f > PRLE__RESMLP_MAX_WIDEN ? PRLE__RESMLP_MAX_WIDEN : f;
    return f * d_out < PRLE__RESMLP_MAX_HIDDEN ? f * d_out : PRLE__RESMLP_MAX_HIDDEN;
}

/* The value space need not be as wide as a very wide input: STS-B with the hashing encoder's
 * 5,120 pair features (seeds 1-3) gave test Pearson 0.6856 with a 5,120-wide value space (the
 * kernel 48-60 s), 0.6866 with 1,024 and 0.7013 with 512 (5-7 s). Up to 2,048 the input's
 * width stays: MLQE-PE's 1,280 features lose 0.046 with 1,024 (the residual path gone). */
size_t prle__head_value_width(const prle_kernel_params *p, size_t in_dim)
{
    if (p->proj_dim)
        return p->proj_dim;
    if (p->type == PRLE_HEAD_RFF)
        return 256;
    return in_dim <= PRLE__VALUE_KEEP_MAX ? in_dim : PRLE__VALUE_WIDE;
}

int prle__head_init(prle__head *h, size_t in_dim, const prle_kernel_params *p)
{
    memset(h, 0, sizeof *h);
    if (in_dim == 0 || in_dim > MAX_WIDTH)
        return prle__error_set(PRLE_EINVAL, "kernel input width must be in 1..%zu, got %zu",
                               MAX_WIDTH, in_dim);
    if (p->proj_dim > MAX_WIDTH || p->hidden_dim > MAX_WIDTH)
        return prle__error_set(PRLE_EINVAL, "kernel.proj_dim / hidden_dim above %zu", MAX_WIDTH);
    h->type = p->type;
    h->d_in = in_dim;
    h->d_out = prle__head_value_width(p, in_dim);
    char prefix[32];
    switch (p->type) {
    case PRLE_HEAD_LINEAR:
        h->w[0] = add_linear(h, NULL, "proj", h->d_in, h->d_out, false);
        break;
    case PRLE_HEAD_MLP:
    case PRLE_HEAD_RESMLP: {
        bool mlp = p->type == PRLE_HEAD_MLP;
        if (p->num_layers < 1 || p->num_layers > PRLE__HEAD_MAX_LAYERS)
            return prle__error_set(PRLE_EINVAL,
                                   "kernel.projection_kwargs.num_layers must be in 1..%d, got %d",
                                   PRLE__HEAD_MAX_LAYERS, p->num_layers);
        h->n_layers = p->num_layers;
        h->hidden = prle__head_hidden(p, h->d_in, h->d_out);
        prle_activation act = p->activation;
        if (act == PRLE_ACT_DEFAULT)
            act = mlp ? PRLE_ACT_GELU : PRLE_ACT_RELU;
        if (act != PRLE_ACT_RELU && act != PRLE_ACT_GELU)
            return prle__error_set(PRLE_EINVAL, "kernel.projection_kwargs.activation %d unknown",
                                   (int)act);
        h->act = act == PRLE_ACT_RELU ? PRLE__ACT_RELU : PRLE__ACT_GELU;
        /* nn.Sequential indices: mlp [Linear, act]..., Linear; resmlp [Linear, act(, Dropout)]
         * with the Dropout module present only when p > 0 (the original's ResMLPProjectionHead) */
        h->dropout = mlp ? 0.0f : (float)p->dropout;
        int stride = (!mlp && p->dropout > 0.0) ? 3 : 2;
        for (int l = 0; l < h->n_layers; l++) {
            size_t din = l ? h->hidden : h->d_in;
            size_t dout = (mlp && l == h->n_layers - 1) ? h->d_out : h->hidden;
            snprintf(prefix, sizeof prefix, "net.%d", stride * l);
            h->w[l] = add_linear(h, &h->b[l], prefix, din, dout, true);
        }
        if (!mlp) {
            h->has_out_proj = h->hidden != h->d_out;
            h->residual = h->d_in == h->d_out;
            if (h->has_out_proj)
                h->out_w = add_linear(h, &h->out_b, "out_proj", h->hidden, h->d_out, true);
            h->ln_g = add_tensor(h, "norm.weight", h->d_out, 0, true);
            h->ln_b = add_tensor(h, "norm.bias", h->d_out, 0, true);
        }
        break;
    }
    case PRLE_HEAD_RFF:
        if (h->d_out % 2)
            return prle__error_set(PRLE_EINVAL,
                                   "kernel.proj_dim must be even for rff (cos and sin halves), "
                                   "got %zu",
                                   h->d_out);
        h->hidden = h->d_out / 2;
        h->learnable_rff = p->learnable_rff;
        h->sigma = p->sigma;
        /* the original keeps W as (in, half) and b as buffers (or parameters when learnable) */
        h->w[0] = add_tensor(h, "W", h->d_in, h->hidden, p->learnable_rff);
        h->b[0] = add_tensor(h, "b", h->hidden, 0, p->learnable_rff);
        break;
    default:
        return prle__error_set(PRLE_EINVAL, "kernel.projection_type %d unknown", (int)p->type);
    }
    /* a buffer of the head module (register_buffer), frozen, so after every trainable tensor */
    /* AUTO is resolved by prle_kernel_fit; standardised inputs are centred too */
    h->scaled = p->standardize_inputs == 1;
    h->centered = p->center_inputs == 1 || h->scaled;
    if (h->centered)
        h->in_mean = add_tensor(h, "input_mean", h->d_in, 0, false);
    if (h->scaled)
        h->in_scale = add_tensor(h, "input_scale", h->d_in, 0, false);

    size_t sizes[PRLE__HEAD_MAX_TENSORS], offs[PRLE__HEAD_MAX_TENSORS];
    for (size_t i = 0; i < h->n_tensors; i++)
        sizes[i] = h->t[i].size;
    bool overflow;
    h->n_params = prle__param_layout(offs, sizes, h->n_tensors, &overflow);
    if (overflow)
        return prle__error_set(PRLE_ENOMEM, "kernel parameter count overflows");
    h->n_train = h->n_params;
    for (size_t i = 0; i < h->n_tensors; i++) {
        h->t[i].offset = offs[i];
        if (!h->t[i].trainable && h->n_train == h->n_params)
            h->n_train = offs[i]; /* frozen tensors come last */
        PRLE_ASSERT(h->t[i].trainable || h->n_train <= offs[i]);
    }
    for (size_t i = 0; i < h->n_tensors; i++) { /* widths are capped: no overflow */
        prle__tensor *t = &h->t[i];
        t->pack = h->n_packed;
        if (t->ndim == 2)
            h->n_packed += kmajor(h, i) ? prle__gemm_rows_pack_floats(t->shape[1], t->shape[0])
                                        : prle__gemm_rows_pack_floats(t->shape[0], t->shape[1]);
    }
    return 0;
}

void prle__head_init_weights(const prle__head *h, float *params, uint64_t seed)
{
    prle_rng rng;
    prle_rng_init(&rng, seed, "kernel.init", 0);
    memset(params, 0, h->n_params * sizeof *params);
    for (size_t i = 0; i < h->n_tensors; i++) {
        const prle__tensor *t = &h->t[i];
        float *v = params + t->offset;
        if (h->centered && i == h->in_mean)
            continue; /* 0 (memset above); prle_kernel_fit sets it from the training rows */
        if (h->scaled && i == h->in_scale) {
            for (size_t k = 0; k < t->size; k++)
                v[k] = 1.0f; /* prle_kernel_fit sets it from the training rows */
            continue;
        }
        if (h->type == PRLE_HEAD_RFF) {
            if (i == h->w[0])
                for (size_t k = 0; k < t->size; k++)
                    v[k] = (float)(prle_rng_normal(&rng) / h->sigma);
            else
                for (size_t k = 0; k < t->size; k++)
                    v[k] = (float)(TWO_PI * prle_rng_uniform(&rng));
        } else if (h->type == PRLE_HEAD_RESMLP && (i == h->ln_g || i == h->ln_b)) {
            float c = i == h->ln_g ? 1.0f : 0.0f;
            for (size_t k = 0; k < t->size; k++)
                v[k] = c;
        } else {
            /* nn.Linear: weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)); a bias follows its
             * weight, so its fan_in is the weight's column count */
            size_t fan_in = t->ndim == 2 ? t->shape[1] : h->t[i - 1].shape[1];
            double bound = 1.0 / sqrt((double)fan_in);
            for (size_t k = 0; k < t->size; k++)
                v[k] = (float)((2.0 * prle_rng_uniform(&rng) - 1.0) * bound);
        }
    }
}

/* ---- activations ------------------------------------------------------------------------- */

int prle__head_acts_alloc(prle__head_acts *a, const prle__head *h, size_t cap, bool training)
{
    enum { MAXB = 3 * PRLE__HEAD_MAX_LAYERS + 12 };
    float **ptr[MAXB];
    size_t width[MAXB], sizes[MAXB], offs[MAXB], nb = 0;
    memset(a, 0, sizeof *a);
    a->cap = cap;
#define WANT(p, w) (ptr[nb] = &(p), width[nb] = (w), nb++)
    size_t D = h->d_out, maxw = h->hidden > D ? h->hidden : D;
    switch (h->type) {
    case PRLE_HEAD_LINEAR:
        WANT(a->g, D);
        break;
    case PRLE_HEAD_MLP:
        for (int l = 0; l < h->n_layers; l++) {
            WANT(a->pre[l], l == h->n_layers - 1 ? D : h->hidden);
            if (l < h->n_layers - 1)
                WANT(a->post[l], h->hidden);
        }
        break;
    case PRLE_HEAD_RESMLP:
        for (int l = 0; l < h->n_layers; l++) {
            WANT(a->pre[l], h->hidden);
            WANT(a->post[l], h->hidden);
            if (training && h->dropout > 0.0f)
                WANT(a->mask[l], h->hidden);
        }
        if (h->has_out_proj)
            WANT(a->out, D);
        if (h->residual)
            WANT(a->res, D);
        WANT(a->mean, 1);
        WANT(a->rstd, 1);
        WANT(a->g, D);
        break;
    case PRLE_HEAD_RFF:
        WANT(a->pre[0], h->hidden);
        WANT(a->g, D);
        break;
    }
    WANT(a->z, D);
    WANT(a->norm, 1);
    if (h->centered)
        WANT(a->xc, h->d_in);
    if (training)
        for (int i = 0; i < 3; i++)
            WANT(a->d[i], maxw);
#undef WANT
    for (size_t i = 0; i < nb; i++)
        if (!prle__mul_ok(&sizes[i], cap, width[i]))
            return prle__error_nomem("kernel activations");
    bool overflow;
    size_t total = prle__param_layout(offs, sizes, nb, &overflow), bytes;
    if (overflow || !prle__mul_ok(&bytes, total ? total : 1, sizeof(float)) ||
        !(a->block_ = prle_aligned_alloc(bytes)))
        return prle__error_nomem("kernel activations");
    if (training) /* inference writes every row of an array before it reads it */
        memset(a->block_, 0, bytes);
    for (size_t i = 0; i < nb; i++)
        *ptr[i] = (float *)a->block_ + offs[i];
    if (h->type == PRLE_HEAD_MLP)
        a->g = a->pre[h->n_layers - 1];
    if (h->type == PRLE_HEAD_RESMLP) {
        if (!h->has_out_proj)
            a->out = a->post[h->n_layers - 1];
        if (!h->residual)
            a->res = a->out;
    }
    return 0;
}

void prle__head_acts_dispose(prle__head_acts *a)
{
    prle_free(a->block_);
    memset(a, 0, sizeof *a);
}

/* ---- forward ----------------------------------------------------------------------------- */

static inline const float *tp(const prle__head *h, const float *params, size_t i)
{
    return params + h->t[i].offset;
}

void prle__head_pack(const prle__head *h, const float *params, float *packed)
{
    for (size_t i = 0; i < h->n_tensors; i++) {
        const prle__tensor *t = &h->t[i];
        if (t->ndim != 2)
            continue;
        bool km = kmajor(h, i);
        size_t m = km ? t->shape[1] : t->shape[0], k = km ? t->shape[0] : t->shape[1];
        prle__gemm_rows_pack(packed + t->pack, params + t->offset, t->shape[1], km, m, k);
    }
}

/* Layer y = x W^T + b of weight tensor `wi`: row by row with inference acts (a->packed). */
static void lin(const prle__head *h, const float *params, prle__head_acts *a, float *y,
                const float *x, size_t wi, const float *b, size_t n, size_t din, size_t dout,
                int nt)
{
    if (a->packed)
        prle__linear_fwd_packed(y, x, a->packed + h->t[wi].pack, b, n, din, dout, nt);
    else
        prle__linear_fwd(y, x, params + h->t[wi].offset, b, n, din, dout, nt);
}

static void rff_forward(const prle__head *h, const float *params, prle__head_acts *a,
                        const float *x, size_t n, int nt)
{
    size_t H = h->d_in, half = h->hidden, D = h->d_out;
    const float *w = tp(h, params, h->w[0]), *b = tp(h, params, h->b[0]);
    float scale = (float)sqrt(2.0 / (double)D), *p = a->pre[0];
    if (a->packed)
        prle__gemm_rows_packed(n, half, H, x, H, a->packed + h->t[h->w[0]].pack, p, half, nt);
    else
        prle__gemm(false, false, n, half, H, 1.0f, x, H, w, half, 0.0f, p, half, nt);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * half >= 16384)
    for (size_t i = 0; i < n; i++) {
        float *pi = p + i * half, *gi = a->g + i * D;
        for (size_t j = 0; j < half; j++) {
            pi[j] += b[j];
            gi[j] = scale * cosf(pi[j]);
            gi[half + j] = scale * sinf(pi[j]);
        }
    }
}

static void add_arrays(float *y, const float *a, const float *b, size_t n, int nt)
{
    (void)nt;
#pragma omp parallel for simd schedule(static) num_threads(nt) if (parallel : n >= 65536)
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

/* a->xc = x - mu, or (x - mu) s for a scaled head, row by row. */
static void center_rows(const prle__head *h, const float *params, prle__head_acts *a,
                        const float *x, size_t n, int nt)
{
    size_t H = h->d_in;
    const float *mu = tp(h, params, h->in_mean);
    const float *sc = h->scaled ? tp(h, params, h->in_scale) : NULL;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * H >= 65536)
    for (size_t i = 0; i < n; i++)
        if (sc)
            for (size_t j = 0; j < H; j++)
                a->xc[i * H + j] = (x[i * H + j] - mu[j]) * sc[j];
        else
            for (size_t j = 0; j < H; j++)
                a->xc[i * H + j] = x[i * H + j] - mu[j];
}

void prle__head_forward(const prle__head *h, const float *params, prle__head_acts *a,
                        const float *x, size_t n, prle_rng *drop, int nt)
{
    PRLE_ASSERT(n <= a->cap);
    size_t H = h->d_in, D = h->d_out, hid = h->hidden;
    if (h->centered) {
        center_rows(h, params, a, x, n, nt);
        x = a->xc;
    }
    switch (h->type) {
    case PRLE_HEAD_LINEAR:
        lin(h, params, a, a->g, x, h->w[0], NULL, n, H, D, nt);
        break;
    case PRLE_HEAD_MLP: {
        const float *in = x;
        for (int l = 0; l < h->n_layers; l++) {
            bool last = l == h->n_layers - 1;
            size_t din = l ? hid : H, dout = last ? D : hid;
            lin(h, params, a, a->pre[l], in, h->w[l], tp(h, params, h->b[l]), n, din, dout, nt);
            if (!last) {
                prle__act_fwd(a->post[l], a->pre[l], n * hid, h->act, nt);
                in = a->post[l];
            }
        }
        break;
    }
    case PRLE_HEAD_RESMLP: {
        const float *in = x;
        a->dropped = drop && h->dropout > 0.0f;
        PRLE_ASSERT(!a->dropped || a->mask[0]);
        for (int l = 0; l < h->n_layers; l++) {
            lin(h, params, a, a->pre[l], in, h->w[l], tp(h, params, h->b[l]), n, l ? hid : H, hid,
                nt);
            prle__act_fwd(a->post[l], a->pre[l], n * hid, h->act, nt);
            if (a->dropped) {
                prle__dropout_mask(a->mask[l], n * hid, h->dropout, drop);
                prle__dropout_fwd(a->post[l], a->post[l], a->mask[l], n * hid, nt);
            }
            in = a->post[l];
        }
        if (h->has_out_proj)
            lin(h, params, a, a->out, in, h->out_w, tp(h, params, h->out_b), n, hid, D, nt);
        if (h->residual)
            add_arrays(a->res, a->out, x, n * D, nt);
        prle__layernorm_fwd(a->g, a->mean, a->rstd, a->res, tp(h, params, h->ln_g),
                            tp(h, params, h->ln_b), n, D, nt);
        break;
    }
    case PRLE_HEAD_RFF:
        rff_forward(h, params, a, x, n, nt);
        break;
    }
    prle__l2norm_fwd(a->z, a->norm, a->g, n, D, nt);
}

/* ---- backward ---------------------------------------------------------------------------- */

static float *gp(const prle__head *h, float *grads, size_t i)
{
    return (grads && h->t[i].trainable) ? grads + h->t[i].offset : NULL;
}

/* A zeroed scratch buffer of n floats that is neither `busy1` nor `busy2`. */
static float *scratch(prle__head_acts *a, const float *busy1, const float *busy2, size_t n)
{
    for (int i = 0; i < 3; i++)
        if (a->d[i] != busy1 && a->d[i] != busy2) {
            memset(a->d[i], 0, n * sizeof(float));
            return a->d[i];
        }
    PRLE_ASSERT(0);
    return NULL;
}

static void rff_backward(const prle__head *h, float *grads, prle__head_acts *a, const float *x,
                         const float *dg, size_t n, int nt)
{
    float *dw = gp(h, grads, h->w[0]), *db = gp(h, grads, h->b[0]);
    if (!dw && !db)
        return;
    size_t H = h->d_in, half = h->hidden, D = h->d_out;
    float scale = (float)sqrt(2.0 / (double)D);
    float *dp = scratch(a, dg, NULL, n * half);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * half >= 16384)
    for (size_t i = 0; i < n; i++) {
        const float *pi = a->pre[0] + i * half, *dgi = dg + i * D;
        float *dpi = dp + i * half;
        for (size_t j = 0; j < half; j++)
            dpi[j] = scale * (cosf(pi[j]) * dgi[half + j] - sinf(pi[j]) * dgi[j]);
    }
    if (dw) /* W (H, half): dW += x^T dp */
        prle__gemm(true, false, H, half, n, 1.0f, x, H, dp, half, 1.0f, dw, half, nt);
    if (db)
        prle__colsum_add(db, dp, n, half, nt);
}

/* Adam fused into the backward: buffers laid out as params, updated in place. */
typedef struct head_adam {
    float *params, *m, *v;
    const prle__adam_coef *coef;
    float *scratch;
} head_adam;

/* Whether tensor i takes its Adam step inside the backward: a weight matrix (not rff's). */
static bool fused(const prle__head *h, size_t i)
{
    return h->type != PRLE_HEAD_RFF && h->t[i].ndim == 2 && h->t[i].trainable;
}

size_t prle__head_step_scratch(const prle__head *h, int nt)
{
    size_t w = 1;
    for (size_t i = 0; i < h->n_tensors; i++)
        if (fused(h, i) && h->t[i].shape[1] > w)
            w = h->t[i].shape[1];
    return (size_t)(nt > 0 ? nt : 1) * PRLE__LINEAR_ADAM_ROWS * w;
}

#define NO_BIAS SIZE_MAX

/* One linear layer (tensors wi, bi): Adam fused on W when opt is given, else W's gradient. */
static void lin_bwd(const prle__head *h, const float *params, float *grads, const head_adam *opt,
                    size_t wi, size_t bi, float *dx, const float *dy, const float *x, size_t n,
                    size_t din, size_t dout, int nt)
{
    float *db = bi == NO_BIAS ? NULL : gp(h, grads, bi);
    size_t off = h->t[wi].offset;
    if (opt && fused(h, wi))
        prle__linear_bwd_adam(dx, db, dy, x, opt->params + off, opt->m + off, opt->v + off, n, din,
                              dout, opt->coef, opt->scratch, nt);
    else
        prle__linear_bwd(dx, gp(h, grads, wi), db, dy, x, params + off, n, din, dout, nt);
}

static void backward(const prle__head *h, const float *params, float *grads, const head_adam *opt,
                     prle__head_acts *a, const float *x, const float *dz, size_t n, int nt)
{
    size_t H = h->d_in, D = h->d_out, hid = h->hidden;
    if (h->centered)
        x = a->xc; /* the forward's input */
    float *dg = scratch(a, NULL, NULL, n * D);
    prle__l2norm_bwd(dg, dz, a->z, a->norm, n, D, nt);
    switch (h->type) {
    case PRLE_HEAD_LINEAR:
        lin_bwd(h, params, grads, opt, h->w[0], NO_BIAS, NULL, dg, x, n, H, D, nt);
        break;
    case PRLE_HEAD_MLP: {
        float *cur = dg; /* dL/d pre[l] */
        for (int l = h->n_layers - 1; l >= 0; l--) {
            size_t din = l ? hid : H, dout = l == h->n_layers - 1 ? D : hid;
            float *dprev = l ? scratch(a, cur, NULL, n * hid) : NULL;
            lin_bwd(h, params, grads, opt, h->w[l], h->b[l], dprev, cur, l ? a->post[l - 1] : x, n,
                    din, dout, nt);
            if (l) {
                float *dpre = scratch(a, dprev, NULL, n * hid);
                prle__act_bwd(dpre, dprev, a->pre[l - 1], n * hid, h->act, nt);
                cur = dpre;
            }
        }
        break;
    }
    case PRLE_HEAD_RESMLP: {
        float *dres = scratch(a, dg, NULL, n * D);
        prle__layernorm_bwd(dres, gp(h, grads, h->ln_g), gp(h, grads, h->ln_b), dg, a->res, a->mean,
                            a->rstd, tp(h, params, h->ln_g), n, D, nt);
        float *cur = dres; /* dL/d post[L-1]; the residual's dL/dx is not needed */
        if (h->has_out_proj) {
            float *dpost = scratch(a, dres, NULL, n * hid);
            lin_bwd(h, params, grads, opt, h->out_w, h->out_b, dpost, dres,
                    a->post[h->n_layers - 1], n, hid, D, nt);
            cur = dpost;
        }
        for (int l = h->n_layers - 1; l >= 0; l--) {
            if (a->dropped) {
                float *dm = scratch(a, cur, NULL, n * hid);
                prle__dropout_bwd(dm, cur, a->mask[l], n * hid, nt);
                cur = dm;
            }
            float *dpre = scratch(a, cur, NULL, n * hid);
            prle__act_bwd(dpre, cur, a->pre[l], n * hid, h->act, nt);
            float *dprev = l ? scratch(a, dpre, NULL, n * hid) : NULL;
            lin_bwd(h, params, grads, opt, h->w[l], h->b[l], dprev, dpre, l ? a->post[l - 1] : x, n,
                    l ? hid : H, hid, nt);
            cur = dprev;
        }
        break;
    }
    case PRLE_HEAD_RFF:
        rff_backward(h, grads, a, x, dg, n, nt);
        break;
    }
}

void prle__head_backward(const prle__head *h, const float *params, float *grads, prle__head_acts *a,
                         const float *x, const float *dz, size_t n, int nt)
{
    backward(h, params, grads, NULL, a, x, dz, n, nt);
}

void prle__head_step(const prle__head *h, prle__param_buf *pb, prle__head_acts *a, const float *x,
                     const float *dz, size_t n, const prle__adam_coef *c, float *scratch, int nt)
{
    for (size_t i = 0; i < h->n_tensors; i++)
        if (h->t[i].trainable && !fused(h, i))
            memset(pb->grads + h->t[i].offset, 0, h->t[i].size * sizeof(float));
    head_adam opt = {pb->params, pb->m, pb->v, c, scratch};
    backward(h, pb->params, pb->grads, &opt, a, x, dz, n, nt);
    for (size_t i = 0; i < h->n_tensors; i++) {
        size_t o = h->t[i].offset;
        if (h->t[i].trainable && !fused(h, i))
            prle__adam_range(pb->params + o, pb->grads + o, pb->m + o, pb->v + o, h->t[i].size, c);
    }
}
