/* kernel.safetensors: PyTorch state_dict names, metadata with every param (SPEC.md §4, §12.3). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/json.h"
#include "kernel/kernel_int.h"
#include "prle/safetensors.h"

#define KERNEL_FORMAT_VERSION "1"

static const char *act_name(const prle__head *h)
{
    if (h->type != PRLE_HEAD_MLP && h->type != PRLE_HEAD_RESMLP)
        return "none";
    return h->act == PRLE__ACT_RELU ? "relu" : "gelu";
}

static int put_num(prle_st_writer *w, const char *key, double v)
{
    char buf[PRLE__JSON_NUMBUF];
    prle__json_fmt_double(buf, v);
    return prle_st_writer_set_metadata(w, key, buf);
}

static int put_u64(prle_st_writer *w, const char *key, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return prle_st_writer_set_metadata(w, key, buf);
}

int prle_kernel_save(const prle_kernel *k, const char *path)
{
    prle_st_writer *w = NULL;
    int err = prle__kernel_writer(&w, k);
    if (err == 0)
        err = prle_st_writer_save(w, path);
    prle_st_writer_free(w);
    return err;
}

int prle__kernel_writer(prle_st_writer **out, const prle_kernel *k)
{
    int err = 0;
    prle_st_writer *w = NULL;
    const prle__head *h = &k->head;
    const prle_kernel_params *p = &k->params;
    if ((err = prle_st_writer_new(&w)) < 0)
        return err;
    for (size_t i = 0; i < h->n_tensors && err >= 0; i++) {
        const prle__tensor *t = &h->t[i];
        err = prle_st_writer_add_f32(w, t->name, k->pb.params + t->offset, t->ndim, t->shape);
    }
    struct {
        const char *key, *val;
    } strs[] = {{"format", "prle"},
                {"kind", "kernel"},
                {"version", KERNEL_FORMAT_VERSION},
                {"projection_type", prle_head_type_name(h->type)},
                {"activation", act_name(h)},
                {"learnable_rff", h->learnable_rff ? "true" : "false"},
                {"center_inputs", h->centered ? "true" : "false"},
                {"standardize_inputs", h->scaled ? "true" : "false"},
                {"keep", p->keep == PRLE_KEEP_LAST ? "last" : "best"}};
    for (size_t i = 0; i < sizeof strs / sizeof *strs && err >= 0; i++)
        err = prle_st_writer_set_metadata(w, strs[i].key, strs[i].val);
    struct {
        const char *key;
        uint64_t v;
    } ints[] = {{"in_dim", h->d_in},
                {"proj_dim", h->d_out},
                {"hidden_dim", h->hidden},
                {"num_layers", (uint64_t)(h->n_layers > 0 ? h->n_layers : 0)},
                {"max_epochs", (uint64_t)p->max_epochs},
                {"batch_size", p->batch_size},
                {"seed", p->seed},
                {"kept_epoch", (uint64_t)k->kept_epoch}};
    for (size_t i = 0; i < sizeof ints / sizeof *ints && err >= 0; i++)
        err = put_u64(w, ints[i].key, ints[i].v);
    if (err >= 0) /* -1 (from the data) is written "auto" */
        err = p->patience < 0 ? prle_st_writer_set_metadata(w, "patience", "auto")
                              : put_u64(w, "patience", (uint64_t)p->patience);
    struct {
        const char *key;
        double v;
    } nums[] = {{"dropout", p->dropout},
                {"sigma", p->sigma},
                {"learning_rate", p->learning_rate},
                {"lambda_pair", p->lambda_pair},
                {"lambda_triplet", p->lambda_triplet},
                {"lambda_uniform", p->lambda_uniform},
                {"label_min", p->label_min},
                {"label_max", p->label_max}};
    for (size_t i = 0; i < sizeof nums / sizeof *nums && err >= 0; i++)
        err = put_num(w, nums[i].key, nums[i].v);
    if (err < 0) {
        prle_st_writer_free(w);
        return err;
    }
    *out = w;
    return 0;
}

/* ---- loading ----------------------------------------------------------------------------- */

static int meta_str(const char **out, const prle_st_file *f, const char *path, const char *key)
{
    if (!(*out = prle_st_metadata_get(f, key)))
        return prle__error_set(PRLE_EFORMAT, "%s: metadata key \"%s\" missing", path, key);
    return 0;
}

static int meta_u64(uint64_t *out, const prle_st_file *f, const char *path, const char *key)
{
    const char *s;
    int err = meta_str(&s, f, path, key);
    if (err < 0)
        return err;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *end || errno)
        return prle__error_set(PRLE_EFORMAT, "%s: metadata %s = \"%s\" is not an integer", path,
                               key, s);
    *out = v;
    return 0;
}

static int meta_double(double *out, const prle_st_file *f, const char *path, const char *key)
{
    const char *s;
    int err = meta_str(&s, f, path, key);
    if (err < 0)
        return err;
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end)
        return prle__error_set(PRLE_EFORMAT, "%s: metadata %s = \"%s\" is not a number", path, key,
                               s);
    *out = v;
    return 0;
}

/* Params and input width from a prle-written file's metadata. */
static int params_from_meta(prle_kernel_params *p, size_t *in_dim, const prle_st_file *f,
                            const char *path)
{
    int err;
    const char *type, *act, *lrff, *keep;
    uint64_t u[7];
    *p = prle_kernel_default_params();
    if ((err = meta_str(&type, f, path, "projection_type")) < 0 ||
        (err = meta_str(&act, f, path, "activation")) < 0 ||
        (err = meta_str(&lrff, f, path, "learnable_rff")) < 0 ||
        (err = meta_str(&keep, f, path, "keep")) < 0 ||
        (err = meta_u64(&u[0], f, path, "in_dim")) < 0 ||
        (err = meta_u64(&u[1], f, path, "proj_dim")) < 0 ||
        (err = meta_u64(&u[2], f, path, "hidden_dim")) < 0 ||
        (err = meta_u64(&u[3], f, path, "num_layers")) < 0 ||
        (err = meta_u64(&u[4], f, path, "max_epochs")) < 0 ||
        (err = meta_u64(&u[5], f, path, "batch_size")) < 0 ||
        (err = meta_u64(&u[6], f, path, "seed")) < 0 ||
        (err = meta_double(&p->dropout, f, path, "dropout")) < 0 ||
        (err = meta_double(&p->sigma, f, path, "sigma")) < 0 ||
        (err = meta_double(&p->learning_rate, f, path, "learning_rate")) < 0 ||
        (err = meta_double(&p->lambda_pair, f, path, "lambda_pair")) < 0 ||
        (err = meta_double(&p->lambda_triplet, f, path, "lambda_triplet")) < 0 ||
        (err = meta_double(&p->lambda_uniform, f, path, "lambda_uniform")) < 0 ||
        (err = meta_double(&p->label_min, f, path, "label_min")) < 0 ||
        (err = meta_double(&p->label_max, f, path, "label_max")) < 0)
        return err;
    prle_head_type types[] = {PRLE_HEAD_LINEAR, PRLE_HEAD_MLP, PRLE_HEAD_RESMLP, PRLE_HEAD_RFF};
    size_t ti = 0;
    while (ti < 4 && strcmp(type, prle_head_type_name(types[ti])))
        ti++;
    if (ti == 4)
        return prle__error_set(PRLE_EFORMAT, "%s: projection_type \"%s\" unknown", path, type);
    p->type = types[ti];
    p->activation = !strcmp(act, "relu")   ? PRLE_ACT_RELU
                    : !strcmp(act, "gelu") ? PRLE_ACT_GELU
                                           : PRLE_ACT_DEFAULT;
    p->learnable_rff = !strcmp(lrff, "true");
    const char *centered = prle_st_metadata_get(f, "center_inputs"); /* absent before 2026-11 */
    p->center_inputs = centered && !strcmp(centered, "true");
    const char *scaled = prle_st_metadata_get(f, "standardize_inputs"); /* absent before 2026-12 */
    p->standardize_inputs = scaled && !strcmp(scaled, "true");
    p->keep = !strcmp(keep, "last") ? PRLE_KEEP_LAST : PRLE_KEEP_BEST;
    uint64_t patience = 0; /* absent before 2026-12: no early stopping */
    const char *pat = prle_st_metadata_get(f, "patience");
    if (pat && !strcmp(pat, "auto"))
        p->patience = -1;
    else if (pat && ((err = meta_u64(&patience, f, path, "patience")) < 0 || patience > 1000000000))
        return err < 0 ? err
                       : prle__error_set(PRLE_EFORMAT, "%s: metadata patience out of range", path);
    else
        p->patience = (int)patience;
    if (u[3] > 64 || u[4] > 1000000000)
        return prle__error_set(PRLE_EFORMAT, "%s: metadata values out of range", path);
    *in_dim = (size_t)u[0];
    p->proj_dim = (size_t)u[1];
    p->hidden_dim = (size_t)u[2];
    p->num_layers = (int)u[3] ? (int)u[3] : 2;
    p->max_epochs = (int)u[4];
    p->batch_size = (size_t)u[5];
    p->seed = u[6];
    return 0;
}

static void shape_str(char *buf, size_t len, size_t ndim, const size_t *shape)
{
    if (ndim == 1)
        snprintf(buf, len, "[%zu]", shape[0]);
    else if (ndim == 2)
        snprintf(buf, len, "[%zu, %zu]", shape[0], shape[1]);
    else
        snprintf(buf, len, "(%zu dims)", ndim);
}

/* The file's architecture (from metadata) must equal the expected one. */
static int compare_heads(const prle__head *want, const prle__head *got, const char *path)
{
    if (want->type != got->type)
        return prle__error_set(PRLE_EINVAL, "%s: projection type is %s, the config says %s", path,
                               prle_head_type_name(got->type), prle_head_type_name(want->type));
    if (want->d_in != got->d_in)
        return prle__error_set(PRLE_ESHAPE, "%s: input width is %zu, the embeddings have %zu", path,
                               got->d_in, want->d_in);
    if (want->d_out != got->d_out)
        return prle__error_set(PRLE_ESHAPE, "%s: proj_dim is %zu, the config gives %zu", path,
                               got->d_out, want->d_out);
    if (want->hidden != got->hidden)
        return prle__error_set(PRLE_ESHAPE, "%s: hidden_dim is %zu, the config gives %zu", path,
                               got->hidden, want->hidden);
    if (want->n_layers != got->n_layers)
        return prle__error_set(PRLE_EINVAL, "%s: num_layers is %d, the config says %d", path,
                               got->n_layers, want->n_layers);
    if ((want->type == PRLE_HEAD_MLP || want->type == PRLE_HEAD_RESMLP) && want->act != got->act)
        return prle__error_set(PRLE_EINVAL, "%s: activation is %s, the config says %s", path,
                               act_name(got), act_name(want));
    if (want->centered != got->centered)
        return prle__error_set(PRLE_EINVAL, "%s: center_inputs is %s, the config says %s", path,
                               got->centered ? "true" : "false", want->centered ? "true" : "false");
    if (want->scaled != got->scaled)
        return prle__error_set(PRLE_EINVAL, "%s: standardize_inputs is %s, the config says %s",
                               path, got->scaled ? "true" : "false",
                               want->scaled ? "true" : "false");
    return 0;
}

int prle_kernel_load(prle_kernel **out, const char *path, const prle_kernel_params *expect,
                     size_t in_dim)
{
    prle_st_file *f = NULL;
    int err = prle_st_open(&f, path);
    if (err == 0)
        err = prle__kernel_load_st(out, f, path, expect, in_dim);
    prle_st_free(f);
    return err;
}

int prle__kernel_st_params(prle_kernel_params *p, size_t *in_dim, const prle_st_file *f,
                           const char *path)
{
    const char *fmt = prle_st_metadata_get(f, "format");
    if (!fmt)
        return 0;
    const char *kind = prle_st_metadata_get(f, "kind");
    const char *ver = prle_st_metadata_get(f, "version");
    if (strcmp(fmt, "prle") || !kind || strcmp(kind, "kernel"))
        return prle__error_set(PRLE_EFORMAT, "%s: not a prle kernel (format %s, kind %s)", path,
                               fmt, kind ? kind : "missing");
    if (!ver || strcmp(ver, KERNEL_FORMAT_VERSION))
        return prle__error_set(PRLE_EFORMAT, "%s: kernel format version %s unsupported", path,
                               ver ? ver : "missing");
    int err = params_from_meta(p, in_dim, f, path);
    return err < 0 ? err : 1;
}

int prle__kernel_load_st(prle_kernel **out, const prle_st_file *f, const char *path,
                         const prle_kernel_params *expect, size_t in_dim)
{
    prle_kernel *k = NULL;
    prle_kernel_params meta_p;
    size_t meta_in = 0;
    int err = prle__kernel_st_params(&meta_p, &meta_in, f, path);
    bool has_meta = err == 1;
    if (err < 0)
        goto done;
    if (!has_meta && !expect) {
        err = prle__error_set(PRLE_EFORMAT,
                              "%s: no prle metadata; the kernel's params must be given", path);
        goto done;
    }
    if (expect && (err = prle_kernel_params_check(expect)) < 0)
        goto done;
    const prle_kernel_params *use = expect ? expect : &meta_p;
    if ((err = prle__kernel_alloc(&k, expect ? in_dim : meta_in, use)) < 0) {
        if (!expect)
            prle__error_prefix(err, "%s", path);
        goto done;
    }
    if (expect && has_meta) {
        prle__head got;
        if ((err = prle__head_init(&got, meta_in, &meta_p)) < 0) {
            prle__error_prefix(err, "%s", path);
            goto done;
        }
        if ((err = compare_heads(&k->head, &got, path)) < 0)
            goto done;
    }
    const prle__head *h = &k->head;
    char a[64], b[64];
    for (size_t i = 0; i < h->n_tensors; i++) {
        const prle__tensor *t = &h->t[i];
        prle_st_tensor_info info;
        if (prle_st_find(&info, f, t->name) < 0) {
            err = prle__error_set(PRLE_ENOTFOUND, "%s: tensor %s missing (a %s head needs it)",
                                  path, t->name, prle_head_type_name(h->type));
            goto done;
        }
        if (info.ndim != t->ndim || info.shape[0] != t->shape[0] ||
            (t->ndim == 2 && info.shape[1] != t->shape[1])) {
            shape_str(a, sizeof a, info.ndim, info.shape);
            shape_str(b, sizeof b, t->ndim, t->shape);
            err = prle__error_set(PRLE_ESHAPE, "%s: tensor %s is %s, the config needs %s", path,
                                  t->name, a, b);
            goto done;
        }
        if ((err = prle_st_read_f32(k->pb.params + t->offset, t->size, f, t->name)) < 0) {
            prle__error_prefix(err, "%s", path);
            goto done;
        }
    }
    for (size_t i = 0; i < prle_st_n_tensors(f); i++) {
        prle_st_tensor_info info;
        prle_st_tensor_at(&info, f, i);
        size_t j = 0;
        while (j < h->n_tensors && strcmp(h->t[j].name, info.name))
            j++;
        if (j == h->n_tensors) {
            err = prle__error_set(PRLE_ESHAPE,
                                  "%s: tensor %s is not part of a %s head like this "
                                  "one",
                                  path, info.name, prle_head_type_name(h->type));
            goto done;
        }
    }
    const char *kept = prle_st_metadata_get(f, "kept_epoch");
    k->kept_epoch = kept ? atoi(kept) : 0;
    if ((err = prle__kernel_pack(k)) < 0)
        goto done;
    *out = k;
    k = NULL;
done:
    prle_kernel_free(k);
    return err;
}
