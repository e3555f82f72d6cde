/* The configuration's key table (SPEC.md §10, docs/config.md) and the operations driven by it:
 * defaults, dispose, copy, comparison, notices. The YAML side is yaml_config.c, values are
 * converted in config_value.c, written in config_write.c. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/config_internal.h"

/* ---- allowed values ------------------------------------------------------------------- */

static const char *const formats[] = {"csv", "tsv", "jsonl", NULL};
static const char *const bad_rows[] = {"error", "skip", NULL};
static const char *const encoders[] = {"glove", "hashing", "npy", "gguf", NULL};
static const char *const expert_types[] = {"linear", "mlp", "proto_rbf", NULL};
static const char *const distances[] = {"cosine", "euclidean", NULL};
static const char *const inits[] = {"k-medoids", "k-means++", "farthest-first", "random_real",
                                    NULL};
/* spellings the original's PrototypeManager accepted (model/prototypes/base.py) */
static const char *const init_aliases[] = {"kmedoids",
                                           "k-medoids",
                                           "k_medoids",
                                           "k-medoids",
                                           "kmeans++",
                                           "k-means++",
                                           "farthest_first",
                                           "farthest-first",
                                           "farthestfirst",
                                           "farthest-first",
                                           "random-real",
                                           "random_real",
                                           NULL};
static const char *const map_strategies[] = {"none", "projection", NULL};
static const char *const projections[] = {"linear", "mlp", "resmlp", "rff", NULL};
/* the original's projection_heads.py names the RFF head "rbf_rff" (or "rbf") */
static const char *const projection_aliases[] = {"rbf_rff", "rff", "rbf", "rff", NULL};
static const char *const activations[] = {"relu", "gelu", NULL};
static const char *const gatings[] = {"softmax", "knn", "radius", "mlp_sparse", NULL};
static const char *const expert_inits[] = {"random", "meta_linear_regression", "meta_svr", "ridge",
                                           NULL};
static const char *const monitors[] = {"val_mse",      "val_loss",    "val_rmse",
                                       "val_mae",      "val_r2",      "val_pearson",
                                       "val_spearman", "val_kendall", NULL};
static const char *const modes[] = {"min", "max", NULL};
static const char *const poolings[] = {"mean", "sif", "last", "cls", NULL};
static const char *const precisions[] = {"high", "medium", "highest", NULL};
static const char *const keeps[] = {"best", "last", NULL};
static const char *const stages[] = {"kernel", "experts", NULL};

/* ---- the table ------------------------------------------------------------------------ */

#define OFF(m) offsetof(prle_config, m)
#define NUL PRLE__CFG_NULLABLE
#define LO_OPEN PRLE__CFG_LO_OPEN
#define HI_OPEN PRLE__CFG_HI_OPEN
#define BIG 1073741824.0 /* 2^30: largest count or width we accept */

/* clang-format off */
#define STR(n, m, d, f)         {n, PRLE__CFG_STR, OFF(m), d, NULL, NULL, 0, 0, f, 0}
#define PATH(n, m, d)           {n, PRLE__CFG_PATH, OFF(m), d, NULL, NULL, 0, 0, NUL, 0}
#define ENUM(n, m, d, a, al, f) {n, PRLE__CFG_ENUM, OFF(m), d, a, al, 0, 0, f, 0}
#define BOOL(n, m, d)           {n, PRLE__CFG_BOOL, OFF(m), d, NULL, NULL, 0, 0, 0, 0}
#define TRI(n, m)               {n, PRLE__CFG_TRI, OFF(m), NULL, NULL, NULL, 0, 0, NUL, 0}
#define INT(n, m, d, lo, hi, f) {n, PRLE__CFG_INT, OFF(m), d, NULL, NULL, lo, hi, f, 0}
#define U64(n, m, d)            {n, PRLE__CFG_U64, OFF(m), d, NULL, NULL, 0, 0, 0, 0}
#define FLT(n, m, d, lo, hi, f) {n, PRLE__CFG_FLOAT, OFF(m), d, NULL, NULL, lo, hi, f, 0}
/* clang-format on */
#define LAMBDA(n, m, d) FLT(n, m, d, -DBL_MAX, DBL_MAX, 0)

/* Order is the order of saved files and of docs/config.md; the keys of one section stay
 * together (the writer opens each section once). */
const prle__cfg_key prle__cfg_keys[] = {
    /* data: stage 0 */
    STR("data.name", data.name, NULL, NUL),
    PATH("data.data_dir", data.data_dir, NULL),
    ENUM("data.format", data.format, NULL, formats, NULL, NUL),
    TRI("data.header", data.header),
    TRI("data.quoting", data.quoting),
    STR("data.delimiter", data.delimiter, NULL, NUL | PRLE__CFG_ONECHAR),
    PATH("data.files.train", data.files.train, NULL),
    PATH("data.files.validation", data.files.validation, NULL),
    PATH("data.files.test", data.files.test, NULL),
    PATH("data.file", data.file, NULL),
    {"data.split.ratios", PRLE__CFG_FLOATS, OFF(data.split.ratios), "0.7,0.15,0.15", NULL, NULL, 0,
     1, PRLE__CFG_SUM1, 3},
    BOOL("data.split.stratify", data.split.stratify, "true"),
    {"data.text_fields", PRLE__CFG_FIELDS, OFF(data.text_fields), NULL, NULL, NULL, 0, 0, NUL, 0},
    {"data.label_field", PRLE__CFG_FIELD, OFF(data.label_field), NULL, NULL, NULL, 0, 0, NUL, 0},
    FLT("data.label_min", data.label_min, NULL, -DBL_MAX, DBL_MAX, NUL),
    FLT("data.label_max", data.label_max, NULL, -DBL_MAX, DBL_MAX, NUL),
    ENUM("data.on_bad_row", data.on_bad_row, "error", bad_rows, NULL, 0),
    INT("data.max_seq_length", data.max_seq_length, "128", 1, BIG, 0),
    BOOL("data.combine_fields", data.combine_fields, "false"),
    STR("data.combine_separator_token", data.combine_separator_token, "[SEP]", 0),
    PATH("data.embedding_cache_dir", data.embedding_cache_dir, "embed_cache"),

    /* model: encoders (stage 0), prototypes, router, experts (stage 2) */
    ENUM("model.type", model.type, "linear", expert_types, NULL, 0),
    ENUM("model.encoder_type", model.encoder_type, "glove", encoders, NULL, 0),
    STR("model.encoder_name", model.encoder_name, NULL, NUL),
    PATH("model.vectors", model.vectors, NULL),
    PATH("model.model_path", model.model_path, NULL),
    ENUM("model.pooling", model.pooling, NULL, poolings, NULL, NUL),
    FLT("model.sif_a", model.sif_a, "1e-3", 0, DBL_MAX, LO_OPEN),
    INT("model.remove_pc", model.remove_pc, "0", 0, 1, 0),
    BOOL("model.normalize_embeddings", model.normalize_embeddings, "false"),
    BOOL("model.normalize", model.normalize, "false"),
    BOOL("model.skip_loading_encoder", model.skip_loading_encoder, "false"),
    PATH("model.cache_dir", model.cache_dir, NULL),
    INT("model.hidden_dim", model.hidden_dim, "1024", 1, BIG, 0),
    INT("model.num_prototypes", model.num_prototypes, "25", 1, BIG, 0),
    ENUM("model.distance", model.distance, "cosine", distances, NULL, 0),
    ENUM("model.init_strategy", model.init_strategy, "k-medoids", inits, init_aliases, 0),
    ENUM("model.map_strategy", model.map_strategy, "none", map_strategies, NULL, 0),
    BOOL("model.trainable_prototypes", model.trainable_prototypes, "false"),
    BOOL("model.use_value_space", model.use_value_space, "true"),
    BOOL("model.recalibrate", model.recalibrate, "true"),
    BOOL("model.neighbours", model.neighbours, "true"),
    INT("model.proj_dim", model.proj_dim, "0", 0, BIG, NUL),
    ENUM("model.projection_type", model.projection_type, "linear", projections, projection_aliases,
         0),
    INT("model.projection_kwargs.hidden_dim", model.projection_kwargs.hidden_dim, "0", 0, BIG, NUL),
    INT("model.projection_kwargs.num_layers", model.projection_kwargs.num_layers, "2", 1, 64, 0),
    ENUM("model.projection_kwargs.activation", model.projection_kwargs.activation, NULL,
         activations, NULL, NUL),
    FLT("model.projection_kwargs.dropout", model.projection_kwargs.dropout, "0.0", 0, 1, HI_OPEN),
    FLT("model.projection_kwargs.sigma", model.projection_kwargs.sigma, "1.0", 0, DBL_MAX, LO_OPEN),
    BOOL("model.projection_kwargs.learnable_rff", model.projection_kwargs.learnable_rff, "false"),
    ENUM("model.gating_strategy", model.gating_strategy, "softmax", gatings, NULL, 0),
    FLT("model.tau_min", model.tau_min, "0.5", 0, DBL_MAX, LO_OPEN),
    FLT("model.tau_max", model.tau_max, "1e4", 0, DBL_MAX, LO_OPEN),
    FLT("model.tau_init", model.tau_init, "0", 0, DBL_MAX, 0),
    FLT("model.tau_top1", model.tau_top1, "0.7", 0, 1, LO_OPEN | HI_OPEN),
    FLT("model.tau_anneal", model.tau_anneal, "1.0", 0, DBL_MAX, LO_OPEN),
    INT("model.knn_k", model.knn_k, "3", 1, BIG, 0),
    FLT("model.radius_threshold", model.radius_threshold, "0.5", 0, DBL_MAX, 0),
    INT("model.activation_mlp_hidden_dim", model.activation_mlp_hidden_dim, "64", 1, BIG, 0),
    ENUM("model.expert_init_strategy", model.expert_init_strategy, "ridge", expert_inits, NULL, 0),
    INT("model.expert_mlp_hidden_dim", model.expert_mlp_hidden_dim, "32", 1, BIG, 0),
    BOOL("model.use_v2_loss", model.use_v2_loss, "true"),
    ENUM("model.monitor", model.monitor, "val_mse", monitors, NULL, 0),
    ENUM("model.mode", model.mode, "min", modes, NULL, 0),
    PATH("model.output_dir", model.output_dir, "outputs"),

    /* train: stage 2 and the run */
    INT("train.train_batch_size", train.train_batch_size, "64", 1, BIG, 0),
    INT("train.eval_batch_size", train.eval_batch_size, "0", 0, BIG, NUL),
    FLT("train.learning_rate", train.learning_rate, "1e-3", 0, DBL_MAX, LO_OPEN),
    FLT("train.weight_decay", train.weight_decay, "5e-7", 0, DBL_MAX, 0),
    INT("train.max_epochs", train.max_epochs, "0", 0, BIG, 0),
    INT("train.early_stop_patience", train.early_stop_patience, "10", 0, BIG, 0),
    FLT("train.min_delta", train.min_delta, "0.0", 0, DBL_MAX, 0),
    U64("train.seed", train.seed, "42"),
    {"train.seeds", PRLE__CFG_U64S, OFF(train.seeds), "42", NULL, NULL, 0, 0, NUL, 0},
    BOOL("train.em_alt_training", train.em_alt_training, "false"),
    BOOL("train.pretrain_smoke_test", train.pretrain_smoke_test, "false"),
    BOOL("train.refit", train.refit, "false"),
    ENUM("train.float32_matmul_precision", train.float32_matmul_precision, NULL, precisions, NULL,
         NUL),
    PATH("train.output_dir", train.output_dir, "runs"),
    INT("train.threads", train.threads, "0", 0, 4096, 0),

    /* kernel: stage 1 */
    ENUM("kernel.projection_type", kernel.projection_type, "resmlp", projections,
         projection_aliases, 0),
    INT("kernel.proj_dim", kernel.proj_dim, "0", 0, BIG, NUL),
    INT("kernel.projection_kwargs.hidden_dim", kernel.projection_kwargs.hidden_dim, "0", 0, BIG,
        NUL),
    INT("kernel.projection_kwargs.num_layers", kernel.projection_kwargs.num_layers, "2", 1, 64, 0),
    ENUM("kernel.projection_kwargs.activation", kernel.projection_kwargs.activation, NULL,
         activations, NULL, NUL),
    FLT("kernel.projection_kwargs.dropout", kernel.projection_kwargs.dropout, "0.0", 0, 1, HI_OPEN),
    FLT("kernel.projection_kwargs.sigma", kernel.projection_kwargs.sigma, "1.0", 0, DBL_MAX,
        LO_OPEN),
    BOOL("kernel.projection_kwargs.learnable_rff", kernel.projection_kwargs.learnable_rff, "false"),
    FLT("kernel.learning_rate", kernel.learning_rate, "1e-3", 0, DBL_MAX, LO_OPEN),
    INT("kernel.max_epochs", kernel.max_epochs, "0", 0, BIG, 0),
    INT("kernel.patience", kernel.patience, "-1", -1, BIG, 0),
    LAMBDA("kernel.lambda_pair", kernel.lambda_pair, "1.0"),
    LAMBDA("kernel.lambda_triplet", kernel.lambda_triplet, "0.0"),
    LAMBDA("kernel.lambda_uniform", kernel.lambda_uniform, "0.01"),
    ENUM("kernel.keep", kernel.keep, "best", keeps, NULL, 0),
    TRI("kernel.center_inputs", kernel.center_inputs),
    TRI("kernel.standardize_inputs", kernel.standardize_inputs),
    PATH("kernel.checkpoint_dir", kernel.checkpoint_dir, "checkpoints/kernel"),

    /* pipeline */
    {"pipeline.stages", PRLE__CFG_ENUMS, OFF(pipeline.stages), "kernel,experts", stages, NULL, 0, 0,
     PRLE__CFG_NONEMPTY, 0},
    BOOL("pipeline.reuse_kernel", pipeline.reuse_kernel, "true"),

    /* loss: v1 per phase, then v2 */
    LAMBDA("loss.lambda_task_geom", loss.lambda_task_geom, "1.0"),
    LAMBDA("loss.lambda_metric_geom", loss.lambda_metric_geom, "1.0"),
    LAMBDA("loss.lambda_proto_self_geom", loss.lambda_proto_self_geom, "0.0"),
    LAMBDA("loss.lambda_local_geom", loss.lambda_local_geom, "0.0"),
    LAMBDA("loss.lambda_consistency_geom", loss.lambda_consistency_geom, "1.0"),
    LAMBDA("loss.lambda_task_expert", loss.lambda_task_expert, "1.0"),
    LAMBDA("loss.lambda_metric_expert", loss.lambda_metric_expert, "0.0"),
    LAMBDA("loss.lambda_proto_self_expert", loss.lambda_proto_self_expert, "1.0"),
    LAMBDA("loss.lambda_local_expert", loss.lambda_local_expert, "1.0"),
    LAMBDA("loss.lambda_consistency_expert", loss.lambda_consistency_expert, "1.0"),
    LAMBDA("loss.lambda_task_main", loss.lambda_task_main, "1.0"),
    LAMBDA("loss.lambda_expert_fit", loss.lambda_expert_fit, "0.5"),
    LAMBDA("loss.lambda_anchor_route", loss.lambda_anchor_route, "0.5"),
    LAMBDA("loss.lambda_balance", loss.lambda_balance, "0.1"),
    LAMBDA("loss.lambda_entropy", loss.lambda_entropy, "0.0"),

    /* logging */
    STR("logging.run_name", logging.run_name, NULL, NUL),
};
const size_t prle__cfg_nkeys = sizeof prle__cfg_keys / sizeof prle__cfg_keys[0];

/* The original's Weights & Biases keys (train.py: WandbLogger, wandb.sweep, wandb.agent):
 * accepted anywhere under these names and ignored with a notice. */
static const char *const ignored[] = {"logging.project_name", "logging.sweep_config",
                                      "logging.sweep_trials", "logging.entity",
                                      "train.use_sweep",      NULL};

const prle__cfg_key *prle__cfg_find(const char *dotted)
{
    for (size_t i = 0; i < prle__cfg_nkeys; i++)
        if (strcmp(prle__cfg_keys[i].name, dotted) == 0)
            return &prle__cfg_keys[i];
    return NULL;
}

static bool has_prefix(const char *s, const char *prefix, size_t n)
{
    return strncmp(s, prefix, n) == 0 && s[n] == '.';
}

bool prle__cfg_is_section(const char *dotted)
{
    size_t n = strlen(dotted);
    for (size_t i = 0; i < prle__cfg_nkeys; i++)
        if (has_prefix(prle__cfg_keys[i].name, dotted, n))
            return true;
    return false;
}

/* Edit distance (insertions, deletions, substitutions, adjacent swaps) of a and b, both
 * shorter than 64 bytes; 64 for longer ones. */
static size_t edits(const char *a, size_t na, const char *b, size_t nb)
{
    enum { W = 64 };
    if (na >= W || nb >= W)
        return W;
    size_t d[W][W];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            best = d[i - 1][j] + 1 < best ? d[i - 1][j] + 1 : best;
            best = d[i][j - 1] + 1 < best ? d[i][j - 1] + 1 : best;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[na][nb];
}

void prle__cfg_suggest(char *buf, size_t len, const char *dotted)
{
    /* other names users give a split */
    static const char *const alias[][2] = {{"dev", "validation"},   {"val", "validation"},
                                           {"valid", "validation"}, {"eval", "validation"},
                                           {"training", "train"},   {"testing", "test"}};
    const char *dot = strrchr(dotted, '.'), *name = dot ? dot + 1 : dotted;
    size_t np = dot ? (size_t)(dot - dotted) : 0, nn = strlen(name);
    const char *best = NULL;
    size_t best_n = 0, best_d = nn / 3 > 2 ? 2 : (nn / 3 ? nn / 3 : 1);
    buf[0] = '\0';
    for (size_t i = 0; i < prle__cfg_nkeys; i++) {
        const char *k = prle__cfg_keys[i].name;
        if (np && strncmp(k, dotted, np + 1) != 0)
            continue; /* another parent */
        const char *c = k + (np ? np + 1 : 0), *end = strchr(c, '.');
        size_t nc = end ? (size_t)(end - c) : strlen(c);
        size_t d = edits(name, nn, c, nc);
        for (size_t a = 0; a < sizeof alias / sizeof alias[0]; a++)
            if (!strcmp(name, alias[a][0]) && strlen(alias[a][1]) == nc &&
                !strncmp(c, alias[a][1], nc))
                d = 0;
        if (d <= best_d && (!best || d < best_d))
            best = c, best_n = nc, best_d = d;
    }
    if (best) {
        snprintf(buf, len, " (did you mean '%.*s%s%.*s'?)", (int)np, dotted, np ? "." : "",
                 (int)best_n, best);
        return;
    }
    for (size_t i = 0; i < prle__cfg_nkeys; i++) { /* the right name under another section */
        const char *k = prle__cfg_keys[i].name, *last = strrchr(k, '.');
        if (last && strcmp(last + 1, name) == 0) {
            snprintf(buf, len, " (did you mean '%s'? it belongs under '%.*s')", k, (int)(last - k),
                     k);
            return;
        }
    }
}

bool prle__cfg_is_ignored(const char *dotted)
{
    for (size_t i = 0; ignored[i]; i++) {
        size_t n = strlen(ignored[i]);
        if (strncmp(dotted, ignored[i], n) == 0 && (dotted[n] == '\0' || dotted[n] == '.'))
            return true;
    }
    /* any logging.wandb_* key (W&B settings by another name) */
    return strncmp(dotted, "logging.wandb", 13) == 0;
}

/* ---- per-key operations --------------------------------------------------------------- */

static void *at(prle_config *cfg, const prle__cfg_key *k)
{
    return (char *)cfg + k->offset;
}

static const void *cat(const prle_config *cfg, const prle__cfg_key *k)
{
    return (const char *)cfg + k->offset;
}

/* A heap copy of n elements of `size` bytes (NULL when n is 0 or on failure). */
static void *pod_copy(const void *src, size_t n, size_t size)
{
    size_t bytes;
    void *d;
    if (!n || !prle__mul_ok(&bytes, n, size) || !(d = malloc(bytes)))
        return NULL;
    memcpy(d, src, bytes);
    return d;
}

static char *dup_or_null(const char *s, bool *fail)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        *fail = true;
    else
        memcpy(d, s, n);
    return d;
}

void prle__cfg_free_key(prle_config *cfg, const prle__cfg_key *k)
{
    void *p = at(cfg, k);
    switch (k->type) {
    case PRLE__CFG_STR:
    case PRLE__CFG_PATH:
    case PRLE__CFG_ENUM:
        free(*(char **)p);
        *(char **)p = NULL;
        break;
    case PRLE__CFG_FIELD: {
        prle_field *f = p;
        free(f->name);
        *f = (prle_field){NULL, -1};
        break;
    }
    case PRLE__CFG_FIELDS: {
        prle_field_list *l = p;
        for (size_t i = 0; i < l->n; i++)
            free(l->items[i].name);
        free(l->items);
        *l = (prle_field_list){0};
        break;
    }
    case PRLE__CFG_ENUMS: {
        prle_string_list *l = p;
        for (size_t i = 0; i < l->n; i++)
            free(l->items[i]);
        free(l->items);
        *l = (prle_string_list){0};
        break;
    }
    case PRLE__CFG_FLOATS: {
        prle_double_list *l = p;
        free(l->items);
        *l = (prle_double_list){0};
        break;
    }
    case PRLE__CFG_U64S: {
        prle_u64_list *l = p;
        free(l->items);
        *l = (prle_u64_list){0};
        break;
    }
    default:
        break; /* plain values own nothing */
    }
}

int prle__cfg_copy_key(prle_config *dst, const prle_config *src, const prle__cfg_key *k)
{
    void *d = at(dst, k);
    const void *s = cat(src, k);
    bool fail = false;
    switch (k->type) {
    case PRLE__CFG_STR:
    case PRLE__CFG_PATH:
    case PRLE__CFG_ENUM: {
        char *c = dup_or_null(*(char *const *)s, &fail);
        if (fail)
            return prle__error_nomem("config string");
        prle__cfg_free_key(dst, k);
        *(char **)d = c;
        return 0;
    }
    case PRLE__CFG_BOOL:
        *(bool *)d = *(const bool *)s;
        return 0;
    case PRLE__CFG_TRI:
    case PRLE__CFG_INT:
        *(int *)d = *(const int *)s;
        return 0;
    case PRLE__CFG_U64:
        *(uint64_t *)d = *(const uint64_t *)s;
        return 0;
    case PRLE__CFG_FLOAT:
        *(double *)d = *(const double *)s;
        return 0;
    case PRLE__CFG_FIELD: {
        const prle_field *f = s;
        prle_field c = {dup_or_null(f->name, &fail), f->index};
        if (fail)
            return prle__error_nomem("config field");
        prle__cfg_free_key(dst, k);
        *(prle_field *)d = c;
        return 0;
    }
    case PRLE__CFG_FIELDS: {
        const prle_field_list *l = s;
        prle_field_list c = {0};
        if (l->n && !(c.items = calloc(l->n, sizeof *c.items)))
            return prle__error_nomem("config list");
        for (; c.n < l->n && !fail; c.n++)
            c.items[c.n] =
                (prle_field){dup_or_null(l->items[c.n].name, &fail), l->items[c.n].index};
        if (fail) {
            for (size_t i = 0; i < c.n; i++)
                free(c.items[i].name);
            free(c.items);
            return prle__error_nomem("config list");
        }
        prle__cfg_free_key(dst, k);
        *(prle_field_list *)d = c;
        return 0;
    }
    case PRLE__CFG_ENUMS: {
        const prle_string_list *l = s;
        prle_string_list c = {0};
        if (l->n && !(c.items = calloc(l->n, sizeof *c.items)))
            return prle__error_nomem("config list");
        for (; c.n < l->n && !fail; c.n++)
            c.items[c.n] = dup_or_null(l->items[c.n], &fail);
        if (fail) {
            for (size_t i = 0; i < c.n; i++)
                free(c.items[i]);
            free(c.items);
            return prle__error_nomem("config list");
        }
        prle__cfg_free_key(dst, k);
        *(prle_string_list *)d = c;
        return 0;
    }
    case PRLE__CFG_FLOATS: {
        const prle_double_list *l = s;
        prle_double_list c = {NULL, l->n};
        if (!(c.items = pod_copy(l->items, l->n, sizeof *c.items)) && l->n)
            return prle__error_nomem("config list");
        prle__cfg_free_key(dst, k);
        *(prle_double_list *)d = c;
        return 0;
    }
    case PRLE__CFG_U64S: {
        const prle_u64_list *l = s;
        prle_u64_list c = {NULL, l->n};
        if (!(c.items = pod_copy(l->items, l->n, sizeof *c.items)) && l->n)
            return prle__error_nomem("config list");
        prle__cfg_free_key(dst, k);
        *(prle_u64_list *)d = c;
        return 0;
    }
    }
    return 0;
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool dbl_eq(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* A named column's `index` is not part of its value (only the name is written). */
static bool field_eq(const prle_field *x, const prle_field *y)
{
    return str_eq(x->name, y->name) && (x->name || x->index == y->index);
}

bool prle__cfg_key_equal(const prle_config *a, const prle_config *b, const prle__cfg_key *k)
{
    const void *pa = cat(a, k), *pb = cat(b, k);
    switch (k->type) {
    case PRLE__CFG_STR:
    case PRLE__CFG_PATH:
    case PRLE__CFG_ENUM:
        return str_eq(*(char *const *)pa, *(char *const *)pb);
    case PRLE__CFG_BOOL:
        return *(const bool *)pa == *(const bool *)pb;
    case PRLE__CFG_TRI:
    case PRLE__CFG_INT:
        return *(const int *)pa == *(const int *)pb;
    case PRLE__CFG_U64:
        return *(const uint64_t *)pa == *(const uint64_t *)pb;
    case PRLE__CFG_FLOAT:
        return dbl_eq(*(const double *)pa, *(const double *)pb);
    case PRLE__CFG_FIELD:
        return field_eq(pa, pb);
    case PRLE__CFG_FIELDS: {
        const prle_field_list *x = pa, *y = pb;
        if (x->n != y->n)
            return false;
        for (size_t i = 0; i < x->n; i++)
            if (!field_eq(&x->items[i], &y->items[i]))
                return false;
        return true;
    }
    case PRLE__CFG_ENUMS: {
        const prle_string_list *x = pa, *y = pb;
        if (x->n != y->n)
            return false;
        for (size_t i = 0; i < x->n; i++)
            if (!str_eq(x->items[i], y->items[i]))
                return false;
        return true;
    }
    case PRLE__CFG_FLOATS: {
        const prle_double_list *x = pa, *y = pb;
        if (x->n != y->n)
            return false;
        for (size_t i = 0; i < x->n; i++)
            if (!dbl_eq(x->items[i], y->items[i]))
                return false;
        return true;
    }
    case PRLE__CFG_U64S: {
        const prle_u64_list *x = pa, *y = pb;
        return x->n == y->n &&
               (x->n == 0 || memcmp(x->items, y->items, x->n * sizeof *x->items) == 0);
    }
    }
    return false;
}

/* ---- whole configs -------------------------------------------------------------------- */

/* A config with no values yet: nothing owned, unset markers where zero would mean something. */
static void config_blank(prle_config *cfg)
{
    *cfg = (prle_config){0};
    for (size_t i = 0; i < prle__cfg_nkeys; i++)
        if (prle__cfg_keys[i].type == PRLE__CFG_FIELD)
            ((prle_field *)at(cfg, &prle__cfg_keys[i]))->index = -1;
}

/* Splits a default "a,b,c" into plain scalars and assigns it. */
static int assign_default(prle_config *cfg, const prle__cfg_key *k)
{
    char why[256];
    size_t bad = 0;
    prle__cfg_scalar items[8];
    size_t n = 0;
    if (!k->def) {
        items[n++] = (prle__cfg_scalar){"null", 4, true};
        return prle__cfg_assign(cfg, k, items, n, false, NULL, why, sizeof why, &bad);
    }
    bool is_list = k->type == PRLE__CFG_FIELDS || k->type == PRLE__CFG_ENUMS ||
                   k->type == PRLE__CFG_FLOATS || k->type == PRLE__CFG_U64S;
    const char *s = k->def;
    while (s && n < sizeof items / sizeof items[0]) {
        const char *comma = is_list ? strchr(s, ',') : NULL;
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        items[n++] = (prle__cfg_scalar){s, len, true};
        s = comma ? comma + 1 : NULL;
    }
    int err = prle__cfg_assign(cfg, k, items, n, is_list, NULL, why, sizeof why, &bad);
    /* a default the table cannot read is a bug in the table, not bad input */
    PRLE_ASSERT(err != PRLE_EINVAL);
    return err;
}

int prle_config_default(prle_config *out)
{
    config_blank(out);
    for (size_t i = 0; i < prle__cfg_nkeys; i++) {
        int err = assign_default(out, &prle__cfg_keys[i]);
        if (err < 0) {
            prle_config_dispose(out);
            return err;
        }
    }
    return 0;
}

void prle_config_dispose(prle_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < prle__cfg_nkeys; i++)
        prle__cfg_free_key(cfg, &prle__cfg_keys[i]);
    for (size_t i = 0; i < cfg->n_notices; i++)
        free(cfg->notices[i]);
    free(cfg->notices);
    config_blank(cfg);
}

int prle__config_copy(prle_config *out, const prle_config *src)
{
    config_blank(out);
    for (size_t i = 0; i < prle__cfg_nkeys; i++) {
        int err = prle__cfg_copy_key(out, src, &prle__cfg_keys[i]);
        if (err < 0) {
            prle_config_dispose(out);
            return err;
        }
    }
    for (size_t i = 0; i < src->n_notices; i++) {
        if (prle__cfg_add_notice(out, "%s", src->notices[i]) < 0) {
            prle_config_dispose(out);
            return PRLE_ENOMEM;
        }
    }
    return 0;
}

bool prle__config_equal(const prle_config *a, const prle_config *b)
{
    for (size_t i = 0; i < prle__cfg_nkeys; i++)
        if (!prle__cfg_key_equal(a, b, &prle__cfg_keys[i]))
            return false;
    return true;
}

int prle__cfg_add_notice(prle_config *cfg, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *c = buf; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    bool fail = false;
    char *copy = dup_or_null(buf, &fail);
    char **grown = fail ? NULL : realloc(cfg->notices, (cfg->n_notices + 1) * sizeof *grown);
    if (!grown) {
        free(copy);
        return prle__error_nomem("config notice");
    }
    grown[cfg->n_notices++] = copy;
    cfg->notices = grown;
    return 0;
}

int prle__cfg_absolutize(prle_config *cfg, const char *base)
{
    for (size_t i = 0; i < prle__cfg_nkeys; i++) {
        const prle__cfg_key *k = &prle__cfg_keys[i];
        char **p = at(cfg, k);
        if (k->type != PRLE__CFG_PATH || !*p || (*p)[0] == '/')
            continue;
        char *joined = prle__path_join_norm(base, *p);
        if (!joined)
            return prle__error_nomem("config path");
        free(*p);
        *p = joined;
    }
    return 0;
}
