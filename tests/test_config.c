/* LABELS: unit io */
#include "prle_test.h"

#include "io/config_internal.h"

static bool str_is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *data_dir(void)
{
    static char buf[2048];
    snprintf(buf, sizeof buf, "%s", pt_data("config"));
    return buf;
}

/* ---- defaults ------------------------------------------------------------------------- */

static void test_config__defaults_match_spec(void)
{
    prle_config c;
    PT_OK(prle_config_default(&c));
    /* SPEC.md §4-§5, §10 */
    PT_NEAR(c.kernel.learning_rate, 1e-3, 0);
    PT_EQ_INT(c.kernel.max_epochs, 0); /* from the data (issue 12) */
    PT_EQ_INT(c.kernel.patience, -1);
    PT_EQ_STR(c.kernel.projection_type, "resmlp");
    PT_EQ_INT(c.kernel.projection_kwargs.num_layers, 2);
    PT_EQ_INT(c.kernel.proj_dim, 0);
    PT_CHECK(c.kernel.projection_kwargs.activation == NULL);
    PT_NEAR(c.kernel.projection_kwargs.dropout, 0.0, 0);
    PT_NEAR(c.kernel.projection_kwargs.sigma, 1.0, 0);
    PT_CHECK(!c.kernel.projection_kwargs.learnable_rff);
    PT_NEAR(c.kernel.lambda_pair, 1.0, 0);
    PT_NEAR(c.kernel.lambda_triplet, 0.0, 0);
    PT_NEAR(c.kernel.lambda_uniform, 0.01, 0);
    PT_EQ_STR(c.kernel.keep, "best");
    PT_EQ_INT(c.kernel.center_inputs, PRLE_CONFIG_UNSET); /* from the data */
    PT_EQ_INT(c.kernel.standardize_inputs, PRLE_CONFIG_UNSET);
    PT_NEAR(c.model.tau_min, 0.5, 0);
    PT_NEAR(c.model.tau_max, 1e4, 0);
    PT_NEAR(c.model.tau_init, 0, 0); /* from the data */
    PT_NEAR(c.model.tau_top1, 0.7, 0);
    PT_NEAR(c.model.tau_anneal, 1.0, 0);
    PT_EQ_INT(c.model.knn_k, 3);
    PT_NEAR(c.model.radius_threshold, 0.5, 0);
    PT_EQ_INT(c.model.activation_mlp_hidden_dim, 64);
    PT_EQ_INT(c.model.expert_mlp_hidden_dim, 32);
    PT_EQ_STR(c.model.gating_strategy, "softmax");
    PT_EQ_STR(c.model.init_strategy, "k-medoids");
    PT_EQ_STR(c.model.map_strategy, "none");
    PT_CHECK(!c.model.trainable_prototypes);
    PT_CHECK(c.model.use_v2_loss);
    PT_CHECK(c.model.use_value_space);
    PT_EQ_STR(c.model.expert_init_strategy, "ridge");
    PT_EQ_STR(c.model.type, "linear");
    PT_EQ_STR(c.model.distance, "cosine");
    PT_EQ_STR(c.model.monitor, "val_mse");
    PT_EQ_STR(c.model.mode, "min");
    PT_CHECK(c.model.pooling == NULL); /* the encoder's own: glove sif, gguf mean */
    PT_EQ_STR(prle_encoder_pooling(&c), "sif");
    PT_NEAR(c.model.sif_a, 1e-3, 0);
    PT_EQ_INT(c.model.remove_pc, 0);
    PT_CHECK(c.model.vectors == NULL);
    PT_CHECK(c.model.model_path == NULL);
    PT_EQ_STR(c.model.encoder_type, "glove");
    PT_EQ_INT(c.model.hidden_dim, 1024);
    PT_EQ_INT(c.model.num_prototypes, 25);
    PT_EQ_STR(c.model.projection_type, "linear"); /* the original's model.projection_type */
    PT_NEAR(c.loss.lambda_task_main, 1.0, 0);
    PT_NEAR(c.loss.lambda_expert_fit, 0.5, 0);
    PT_NEAR(c.loss.lambda_anchor_route, 0.5, 0);
    PT_NEAR(c.loss.lambda_balance, 0.1, 0);
    PT_NEAR(c.loss.lambda_entropy, 0.0, 0);
    PT_NEAR(c.loss.lambda_task_geom, 1.0, 0);
    PT_NEAR(c.loss.lambda_metric_geom, 1.0, 0);
    PT_NEAR(c.loss.lambda_proto_self_geom, 0.0, 0);
    PT_NEAR(c.loss.lambda_local_geom, 0.0, 0);
    PT_NEAR(c.loss.lambda_consistency_geom, 1.0, 0);
    PT_NEAR(c.loss.lambda_task_expert, 1.0, 0);
    PT_NEAR(c.loss.lambda_metric_expert, 0.0, 0);
    PT_NEAR(c.loss.lambda_proto_self_expert, 1.0, 0);
    PT_NEAR(c.loss.lambda_local_expert, 1.0, 0);
    PT_NEAR(c.loss.lambda_consistency_expert, 1.0, 0);
    PT_NEAR(c.train.weight_decay, 5e-7, 0);
    PT_EQ_INT(c.train.early_stop_patience, 10);
    PT_EQ_INT(c.train.max_epochs, 0);
    PT_EQ_INT(c.train.train_batch_size, 64);
    PT_NEAR(c.train.min_delta, 0.0, 0);
    PT_NEAR(c.train.learning_rate, 1e-3, 0);
    PT_CHECK(c.train.seed == 42);
    PT_CHECK(c.train.seeds.n == 1 && c.train.seeds.items[0] == 42);
    PT_EQ_INT(c.train.eval_batch_size, 0);
    PT_EQ_INT(c.train.threads, 0);
    PT_EQ_STR(c.train.output_dir, "runs");
    PT_CHECK(!c.train.em_alt_training);
    PT_CHECK(c.pipeline.stages.n == 2 && str_is(c.pipeline.stages.items[0], "kernel") &&
             str_is(c.pipeline.stages.items[1], "experts"));
    PT_CHECK(c.pipeline.reuse_kernel);
    PT_EQ_STR(c.data.combine_separator_token, "[SEP]");
    PT_CHECK(!c.data.combine_fields);
    PT_EQ_STR(c.data.embedding_cache_dir, "embed_cache");
    PT_EQ_STR(c.data.on_bad_row, "error");
    PT_EQ_INT(c.data.header, PRLE_CONFIG_UNSET);
    PT_EQ_INT(c.data.quoting, PRLE_CONFIG_UNSET);
    PT_CHECK(isnan(c.data.label_min) && isnan(c.data.label_max));
    PT_CHECK(c.data.label_field.name == NULL && c.data.label_field.index == -1);
    PT_CHECK(c.data.text_fields.n == 0);
    PT_CHECK(c.data.split.ratios.n == 3 && c.data.split.stratify);
    PT_CHECK(c.data.name == NULL && c.data.format == NULL && c.logging.run_name == NULL);
    PT_CHECK(c.data.data_dir == NULL);
    PT_CHECK(c.n_notices == 0);
    prle_config_dispose(&c);
    prle_config_dispose(&c); /* twice is harmless */
}

/* ---- loading -------------------------------------------------------------------------- */

static void test_config__load_full(void)
{
    prle_config c, d;
    const char *dir = data_dir();
    PT_OK(prle_config_load(&c, pt_data("config/full.yaml")));
    PT_OK(prle_config_default(&d));
    /* every key was changed from its default, so every key was read */
    for (size_t i = 0; i < prle__cfg_nkeys; i++)
        if (prle__cfg_key_equal(&c, &d, &prle__cfg_keys[i]))
            PT_FAIL_AT("key %s kept its default", prle__cfg_keys[i].name);
    PT_EQ_STR(c.data.name, "my-pairs");
    PT_EQ_STR(c.data.format, "tsv");
    PT_EQ_INT(c.data.header, 1);
    PT_EQ_INT(c.data.quoting, 0);
    PT_EQ_STR(c.data.delimiter, "\t");
    PT_EQ_STR(c.data.files.train, pt_join(dir, "pairs-train.tsv"));
    PT_EQ_STR(c.data.files.validation, pt_join(dir, "pairs-dev.tsv"));
    PT_EQ_STR(c.data.files.test, pt_join(dir, "sub/pairs-test.tsv"));
    PT_EQ_STR(c.data.file, pt_join(dir, "all.csv"));
    PT_EQ_STR(c.data.data_dir, pt_data("datasets")); /* "../datasets" from config/ */
    PT_CHECK(c.data.split.ratios.n == 3 && c.data.split.ratios.items[0] == 0.8);
    PT_CHECK(!c.data.split.stratify);
    PT_EQ_INT(c.data.text_fields.n, 3);
    if (c.data.text_fields.n == 3) {
        PT_EQ_STR(c.data.text_fields.items[0].name, "first");
        PT_CHECK(c.data.text_fields.items[1].name == NULL);
        PT_EQ_INT(c.data.text_fields.items[1].index, 2);
        PT_EQ_STR(c.data.text_fields.items[2].name, "3"); /* quoted: a name */
    }
    PT_EQ_STR(c.data.label_field.name, "score");
    PT_NEAR(c.data.label_min, 0, 0);
    PT_NEAR(c.data.label_max, 10, 0);
    PT_EQ_STR(c.data.on_bad_row, "skip");
    PT_CHECK(c.data.combine_fields);
    PT_EQ_STR(c.data.embedding_cache_dir, pt_join(dir, "cache/pairs"));
    PT_EQ_STR(c.model.type, "mlp");
    PT_EQ_STR(c.model.vectors, "/opt/vectors/glove.bin");
    PT_EQ_STR(c.model.model_path, "/opt/models/llama.gguf");
    PT_NEAR(c.model.sif_a, 1e-4, 0);
    PT_CHECK(c.model.normalize && c.model.normalize_embeddings && c.model.skip_loading_encoder);
    PT_EQ_STR(c.model.init_strategy, "farthest-first");
    PT_EQ_STR(c.model.projection_type, "rff");
    PT_EQ_STR(c.model.gating_strategy, "knn");
    PT_EQ_INT(c.model.projection_kwargs.hidden_dim, 128);
    PT_EQ_STR(c.model.projection_kwargs.activation, "gelu");
    PT_NEAR(c.model.projection_kwargs.sigma, 2.0, 0);
    PT_NEAR(c.model.tau_anneal, 1.05, 0);
    PT_EQ_STR(c.model.cache_dir, pt_join(dir, "hf-cache"));
    PT_NEAR(c.train.learning_rate, 3e-4, 0);
    PT_NEAR(c.train.weight_decay, 0, 0);
    PT_CHECK(c.train.seed == 7 && c.train.seeds.n == 3 && c.train.seeds.items[2] == 3);
    PT_EQ_STR(c.train.output_dir, "/tmp/prle-runs");
    PT_EQ_STR(c.kernel.projection_type, "mlp"); /* its own value: no fallback */
    PT_EQ_INT(c.kernel.projection_kwargs.num_layers, 4);
    PT_CHECK(c.kernel.projection_kwargs.learnable_rff);
    PT_EQ_INT(c.kernel.center_inputs, 1);
    PT_EQ_INT(c.kernel.standardize_inputs, 0);
    PT_EQ_STR(c.kernel.checkpoint_dir, pt_join(dir, "ckpt"));
    PT_CHECK(c.pipeline.stages.n == 1 && str_is(c.pipeline.stages.items[0], "experts"));
    PT_NEAR(c.loss.lambda_entropy, -0.5, 0);
    PT_EQ_STR(c.logging.run_name, "full-run");
    PT_EQ_INT(c.n_notices, 0);
    prle_config_dispose(&c);
    prle_config_dispose(&d);
}

static void test_config__scalars(void)
{
    prle_config c;
    const char *y = "model:\n  use_v2_loss: no\n  trainable_prototypes: On\n  tau_init: 3\n"
                    "  sif_a: .5e-2\n  gating_strategy: MLP_Sparse\n  init_strategy: kmeans++\n"
                    "train:\n  seed: 18446744073709551615\n  learning_rate: +1.5\n"
                    "  eval_batch_size: ~\n  pretrain_smoke_test: YES\n"
                    "data:\n  label_min: -1\n  label_max: null\n  header: false\n  quoting: ~\n"
                    "  label_field: 4\n  text_fields: sentence\n  name: 123\n"
                    "  combine_separator_token: ''\n";
    PT_OK(prle_config_load_string(&c, y, strlen(y), "s.yaml", "/base"));
    PT_CHECK(!c.model.use_v2_loss && c.model.trainable_prototypes);
    PT_NEAR(c.model.tau_init, 3.0, 0);
    PT_NEAR(c.model.sif_a, 0.005, 1e-18);
    PT_EQ_STR(c.model.gating_strategy, "mlp_sparse");
    PT_EQ_STR(c.model.init_strategy, "k-means++");
    PT_CHECK(c.train.seed == UINT64_MAX);
    PT_NEAR(c.train.learning_rate, 1.5, 0);
    PT_EQ_INT(c.train.eval_batch_size, 0);
    PT_CHECK(c.train.pretrain_smoke_test);
    PT_NEAR(c.data.label_min, -1, 0);
    PT_CHECK(isnan(c.data.label_max));
    PT_EQ_INT(c.data.header, 0);
    PT_EQ_INT(c.data.quoting, PRLE_CONFIG_UNSET);
    PT_CHECK(c.data.label_field.name == NULL && c.data.label_field.index == 4);
    PT_CHECK(c.data.text_fields.n == 1 && str_is(c.data.text_fields.items[0].name, "sentence"));
    PT_EQ_STR(c.data.name, "123");
    PT_EQ_STR(c.data.combine_separator_token, "");
    PT_CHECK(c.logging.run_name == NULL); /* from a string: no file name to use */
    prle_config_dispose(&c);
}

static void test_config__empty_inputs_give_defaults(void)
{
    const char *texts[] = {"", "# only a comment\n", "---\n", "---\n...\n", "~\n", "{}\n"};
    prle_config d;
    PT_OK(prle_config_load_string(&d, "", 0, NULL, NULL));
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        prle_config c;
        PT_OK(prle_config_load_string(&c, texts[i], strlen(texts[i]), NULL, NULL));
        PT_CHECK(prle__config_equal(&c, &d));
        prle_config_dispose(&c);
    }
    prle_config c;
    PT_OK(prle_config_load_string(&c, NULL, 0, NULL, NULL)); /* no bytes at all */
    PT_CHECK(prle__config_equal(&c, &d));
    PT_FAILS(prle_config_override(&c, NULL), PRLE_EINVAL, "override");
    prle_config_dispose(&c);
    PT_FAILS(prle_config_load(&c, ""), PRLE_EINVAL, "no config file");
    /* the defaults, with relative paths taken from the current directory */
    PT_EQ_STR(d.train.output_dir, pt_join(pt_cwd(), "runs"));
    PT_EQ_STR(d.kernel.checkpoint_dir, pt_join(pt_cwd(), "checkpoints/kernel"));
    prle_config_dispose(&d);
}

/* ---- errors: exact "file:line:col: message" ------------------------------------------- */

static void expect_error(const char *yaml, const char *where_what)
{
    const char *path = pt_tmp("config_err.yaml");
    char want[2048];
    snprintf(want, sizeof want, "%s:%s", path, where_what);
    PT_CHECK(pt_write_file(path, yaml, strlen(yaml)) == 0);
    prle_config c;
    memset(&c, 0x5a, sizeof c);
    prle_error_clear();
    int rc = prle_config_load(&c, path);
    if (rc != PRLE_EINVAL)
        PT_FAIL_AT("load of %s returned %s, expected PRLE_EINVAL (%s)", where_what,
                   prle_status_name(rc), prle_last_error());
    else if (strcmp(prle_last_error(), want) != 0)
        PT_FAIL_AT("message \"%s\", expected \"%s\"", prle_last_error(), want);
    PT_CHECK(c.data.name == NULL && c.notices == NULL); /* zeroed on failure */
    prle_config_dispose(&c);
}

static void test_config__errors_name_place_and_key(void)
{
    /* with the known key beside it that is a typo or two away, or another name for it */
    expect_error("data:\n  name: stsb\nmodel:\n  gatting_strategy: knn\n",
                 "4:3: unknown key 'model.gatting_strategy' (did you mean "
                 "'model.gating_strategy'?)");
    expect_error("modle:\n  knn_k: 3\n", "1:1: unknown key 'modle' (did you mean 'model'?)");
    expect_error("data:\n  files:\n    training: a.csv\n",
                 "3:5: unknown key 'data.files.training' (did you mean 'data.files.train'?)");
    expect_error("data:\n  files:\n    dev: a.csv\n",
                 "3:5: unknown key 'data.files.dev' (did you mean 'data.files.validation'?)");
    expect_error("kernel:\n  projection_kwargs:\n    hiden_dim: 8\n",
                 "3:5: unknown key 'kernel.projection_kwargs.hiden_dim' (did you mean "
                 "'kernel.projection_kwargs.hidden_dim'?)");
    expect_error("model:\n  zzz: 1\n", "2:3: unknown key 'model.zzz'"); /* nothing close */
    expect_error("train:\n  seed: abc\n",
                 "2:9: expected a non-negative integer for 'train.seed', got 'abc'");
    expect_error("model:\n  knn_k: 2.5\n",
                 "2:10: expected an integer for 'model.knn_k', got '2.5'");
    expect_error("kernel:\n  learning_rate: fast\n",
                 "2:18: expected a number for 'kernel.learning_rate', got 'fast'");
    expect_error("kernel:\n  learning_rate: .inf\n",
                 "2:18: expected a number for 'kernel.learning_rate', got '.inf'");
    expect_error("kernel:\n  learning_rate: \"1e-3\"\n",
                 "2:18: expected a number for 'kernel.learning_rate', got '1e-3'");
    expect_error("model:\n  use_v2_loss: maybe\n",
                 "2:16: expected true or false for 'model.use_v2_loss', got 'maybe'");
    expect_error("model:\n  gating_strategy: sofmax\n",
                 "2:20: invalid value 'sofmax' for 'model.gating_strategy' (expected one of: "
                 "softmax, knn, radius, mlp_sparse)");
    expect_error("pipeline:\n  stages: [kernel, expert]\n",
                 "2:20: invalid value 'expert' for 'pipeline.stages' (expected one of: kernel, "
                 "experts)");
    expect_error("pipeline:\n  stages: [kernel, kernel]\n",
                 "2:20: 'kernel' appears twice in 'pipeline.stages'");
    expect_error("pipeline:\n  stages: []\n", "2:11: 'pipeline.stages' may not be empty");
    expect_error("train:\n  seed: 1\n  seed: 2\n", "3:3: duplicate key 'train.seed'");
    expect_error("data:\n  name: a\ndata:\n  name: b\n", "3:1: duplicate key 'data'");
    expect_error("data: stsb\n", "1:7: expected a mapping for 'data', found a scalar");
    expect_error("data:\n  files: [a.csv, b.csv]\n",
                 "2:10: expected a mapping for 'data.files', found a list");
    expect_error("- data\n", "1:1: expected a mapping at the top level, found a list");
    expect_error("model:\n  knn_k: [1, 2]\n",
                 "2:10: expected an integer for 'model.knn_k', found a list");
    expect_error("data:\n  name: {a: 1}\n",
                 "2:9: expected a single value for 'data.name', found a mapping");
    expect_error("data:\n  text_fields: [a, [b]]\n",
                 "2:20: expected a plain value in list 'data.text_fields', found a list");
    expect_error("data:\n  text_fields: [a, null]\n", "2:20: null item in list 'data.text_fields'");
    expect_error("data:\n  label_field: -2\n",
                 "2:16: column number -2 for 'data.label_field' out of range (0-based; quote a "
                 "name)");
    expect_error("model:\n  knn_k: 0\n",
                 "2:10: value 0 for 'model.knn_k' out of range (must be >= 1)");
    /* too large: the upper end is said, not only the lower (issue 13, finding 9) */
    expect_error("train:\n  max_epochs: 2000000000\n",
                 "2:15: value 2000000000 for 'train.max_epochs' out of range (must be >= 0 and <= "
                 "1073741824)");
    expect_error("model:\n  tau_min: 0\n",
                 "2:12: value 0 for 'model.tau_min' out of range (must be > 0)");
    expect_error("kernel:\n  projection_kwargs: {dropout: 1}\n",
                 "2:32: value 1 for 'kernel.projection_kwargs.dropout' out of range (must be "
                 ">= 0 and < 1)");
    expect_error("model:\n  knn_k: null\n",
                 "2:10: 'model.knn_k' may not be null (expected an integer)");
    expect_error("model:\n  knn_k:\n", "2:9: 'model.knn_k' may not be null (expected an integer)");
    expect_error("data:\n  split: {ratios: [0.5, 0.5]}\n",
                 "2:20: expected 3 items in 'data.split.ratios', got 2");
    expect_error("data:\n  split: {ratios: [0.5, 0.5, 0.5]}\n",
                 "2:20: items of 'data.split.ratios' must sum to 1, got 1.5");
    expect_error("data:\n  split: {ratios: [0.5, 1.5, -1]}\n",
                 "2:25: value 1.5 for 'data.split.ratios' out of range (must be >= 0 and <= 1)");
    expect_error("data:\n  delimiter: ab\n",
                 "2:14: 'data.delimiter' must be one character, got 'ab'");
    expect_error("data:\n  file: ''\n", "2:9: empty path for 'data.file'");
    expect_error("data:\n  name: \"a\\0b\"\n", "2:9: NUL character in the value of 'data.name'");
    expect_error("data.name: x\n",
                 "1:1: dotted key 'data.name' is not allowed: nest it as a mapping");
    expect_error("model:\n  knn_k: &k 3\n  expert_mlp_hidden_dim: *k\n",
                 "3:26: aliases are not supported ('model.expert_mlp_hidden_dim')");
    expect_error("data:\n  name: !custom x\n", "2:9: unsupported tag '!custom' for 'data.name'");
    expect_error("model: {knn_k: 3}\n---\nmodel: {knn_k: 4}\n",
                 "2:1: only one YAML document is allowed");
    /* YAML syntax errors: libyaml's problem, at its mark */
    expect_error("model:\n\tknn_k: 3\n",
                 "2:1: found character that cannot start any token while scanning for the next "
                 "token (line 2, column 1) (a tab: YAML indents with spaces, and a tab cannot "
                 "start a token)");
    expect_error("model:\n  knn_k: [1, 2\n",
                 "3:1: did not find expected ',' or ']' while parsing a flow sequence (line 2, "
                 "column 10)");
    expect_error("data:\n  name: a\n bad: b\n",
                 "3:2: did not find expected key while parsing a block mapping (line 1, column 1)");
    expect_error("data:\n  name: \xff\n", "2:9: invalid leading UTF-8 octet (#FF)");
    /* an unreadable file is not EINVAL */
    prle_config c;
    PT_FAILS(prle_config_load(&c, pt_tmp("no/such/config.yaml")), PRLE_ENOTFOUND,
             "no/such/config.yaml");
}

static void test_config__wandb_keys_are_notices(void)
{
    prle_config c;
    const char *path = pt_data("config/wandb.yaml");
    PT_OK(prle_config_load(&c, path));
    PT_EQ_INT(c.n_notices, 4);
    char want[2048];
    const char *expected[] = {
        "3:3: ignoring W&B key train.use_sweep", "6:3: ignoring W&B key logging.project_name",
        "8:3: ignoring W&B key logging.sweep_trials", "9:3: ignoring W&B key logging.sweep_config"};
    for (size_t i = 0; i < 4 && i < c.n_notices; i++) {
        snprintf(want, sizeof want, "%s:%s", path, expected[i]);
        PT_EQ_STR(c.notices[i], want);
    }
    PT_CHECK(c.train.seed == 3); /* keys around them still count */
    PT_EQ_STR(c.logging.run_name, "wandb-run");
    PT_OK(prle_config_override(&c, "logging.project_name=other"));
    PT_EQ_INT(c.n_notices, 5);
    if (c.n_notices == 5)
        PT_EQ_STR(c.notices[4],
                  "override 'logging.project_name=other': ignoring W&B key logging.project_name");
    prle_config_dispose(&c);
}

/* Nesting is capped at 64 levels (issue 13: 200,000 nested '[' under an ignored W&B key took
 * libyaml minutes); 60 levels are still skipped. */
static void test_config__nesting_capped(void)
{
    enum { N = 200000 };
    const char *head = "data:\n  name: stsb\nlogging:\n  sweep_config: ";
    size_t h = strlen(head);
    char *y = malloc(h + 2 * N + 2);
    PT_CHECK(y != NULL);
    if (!y)
        return;
    memcpy(y, head, h);
    memset(y + h, '[', N);
    memset(y + h + N, ']', N);
    y[h + 2 * N] = '\n';
    y[h + 2 * N + 1] = '\0';
    prle_config c;
    PT_FAILS(prle_config_load_string(&c, y, h + 2 * N + 1, "deep.yaml", NULL), PRLE_EINVAL,
             "deep.yaml:4:79: mappings and lists nested deeper than 64 levels");
    memset(y + h, '[', 60);
    memset(y + h + 60, ']', 60);
    y[h + 120] = '\n';
    PT_OK(prle_config_load_string(&c, y, h + 121, "ok.yaml", NULL));
    PT_EQ_INT(c.n_notices, 1);
    prle_config_dispose(&c);
    free(y);
}

static void test_config__model_projection_fallback(void)
{
    prle_config c;
    PT_OK(prle_config_load(&c, pt_data("config/fallback.yaml")));
    PT_EQ_STR(c.kernel.projection_type, "mlp");
    PT_EQ_INT(c.kernel.proj_dim, 48);
    PT_EQ_INT(c.kernel.projection_kwargs.hidden_dim, 96);
    PT_EQ_STR(c.kernel.projection_kwargs.activation, "gelu");
    PT_EQ_INT(c.kernel.projection_kwargs.num_layers, 2);
    PT_EQ_INT(c.kernel.max_epochs, 2);
    PT_EQ_STR(c.logging.run_name, "fallback"); /* the file's name */
    prle_config_dispose(&c);
    const char *y = "model: {projection_type: mlp}\nkernel: {projection_type: linear}\n";
    PT_OK(prle_config_load_string(&c, y, strlen(y), NULL, NULL));
    PT_EQ_STR(c.kernel.projection_type, "linear");
    prle_config_dispose(&c);
}

static void test_config__encoder_pooling(void)
{
    /* model.pooling null: the encoder's own (glove sif, gguf mean); set: itself; none for the
       encoders that do not pool */
    static const char *const cases[][3] = {
        {"model: {encoder_type: glove}\n", "sif", NULL},
        {"model: {encoder_type: glove, pooling: mean}\n", "mean", NULL},
        {"model: {encoder_type: glove, pooling: null}\n", "sif", NULL},
        {"model: {encoder_type: gguf}\n", "mean", NULL},
        {"model: {encoder_type: gguf, pooling: last}\n", "last", NULL},
        {"model: {encoder_type: hashing}\n", NULL, NULL},
        {"model: {encoder_type: npy, pooling: sif}\n", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        prle_config c;
        PT_OK(prle_config_load_string(&c, cases[i][0], strlen(cases[i][0]), NULL, NULL));
        const char *got = prle_encoder_pooling(&c);
        if (cases[i][1])
            PT_EQ_STR(got, cases[i][1]);
        else
            PT_CHECK(got == NULL);
        prle_config_dispose(&c);
    }
}

/* ---- paths ---------------------------------------------------------------------------- */

static void test_config__relative_paths(void)
{
    prle_config c;
    const char *dir = data_dir();
    PT_OK(prle_config_load(&c, pt_data("config/paths.yaml")));
    PT_EQ_STR(c.data.file, pt_join(dir, "data/all.csv"));
    PT_EQ_STR(c.data.files.train, "/abs/train.tsv");
    PT_EQ_STR(c.data.embedding_cache_dir, pt_join(dir, "cache/x")); /* ./cache/../cache//x */
    PT_EQ_STR(c.model.vectors, pt_data("vectors/glove.bin"));       /* ../vectors/glove.bin */
    PT_EQ_STR(c.train.output_dir, pt_join(pt_cwd(), "runs"));       /* a default: from the cwd */
    PT_EQ_STR(c.logging.run_name, "paths");
    prle_config_dispose(&c);

    /* a config named by a relative path: its folder is relative to the current directory */
    char old[4096];
    PT_CHECK(getcwd(old, sizeof old) != NULL);
    PT_CHECK(chdir(pt_data("")) == 0);
    PT_OK(prle_config_load(&c, "config/paths.yaml"));
    PT_EQ_STR(c.data.file, pt_join(pt_cwd(), "config/data/all.csv"));
    prle_config_dispose(&c);
    PT_CHECK(chdir("config") == 0);
    PT_OK(prle_config_load(&c, "paths.yaml"));
    PT_EQ_STR(c.data.file, pt_join(pt_cwd(), "data/all.csv"));
    prle_config_dispose(&c);
    PT_CHECK(chdir(old) == 0);

    /* load_string: base_dir, relative or absent */
    const char *y = "data: {file: x.csv}\n";
    PT_OK(prle_config_load_string(&c, y, strlen(y), NULL, "/some/where/"));
    PT_EQ_STR(c.data.file, "/some/where/x.csv");
    prle_config_dispose(&c);
    PT_OK(prle_config_load_string(&c, y, strlen(y), NULL, "rel/dir"));
    PT_EQ_STR(c.data.file, pt_join(pt_cwd(), "rel/dir/x.csv"));
    prle_config_dispose(&c);
    PT_OK(prle_config_load_string(&c, y, strlen(y), NULL, NULL));
    PT_EQ_STR(c.data.file, pt_join(pt_cwd(), "x.csv"));
    prle_config_dispose(&c);
}

/* Paths are normalised lexically ("configs/../runs" is "runs"), not through the file system.
 * Expected values: tools/ref/path_norm_ref.py (Python's posixpath.normpath of the join). */
static void test_config__path_join_norm(void)
{
    static const struct {
        const char *base, *rel, *want;
    } cases[] = {
        {"/work/main/configs", "../runs", "/work/main/runs"},
        {"/work/main/configs", "../cache/stsb-glove", "/work/main/cache/stsb-glove"},
        {"/work/main/configs", "../../shared/data", "/work/shared/data"},
        {"/work/main/configs", "/abs/x.csv", "/abs/x.csv"},
        {"/work/main/configs", "./a/./b/", "/work/main/configs/a/b"},
        {"/work/main/configs", "a//b///c", "/work/main/configs/a/b/c"},
        {"/work/main/configs", "a/b/../c", "/work/main/configs/a/c"},
        {"/work/main/configs", "a/../../../../../../x", "/x"},
        {"/work/main/configs", "..", "/work/main"},
        {"/work/main/configs", ".", "/work/main/configs"},
        {"/", "..", "/"},
        {"/a/b/", "../..", "/"},
        {"/a/./b/../c/", "d/..", "/a/c"},
        {"configs", "../runs", "runs"},
        {"configs", "../../x", "../x"},
        {"a/b", "../../..", ".."},
        {"../a", "../b", "../b"},
        {"..", "x/../..", "../.."},
        {".", ".", "."},
        {"x", "..", "."},
        {NULL, "a/b/../c", "a/c"},
        {NULL, "./", "."},
        {NULL, "../../a/./b/..", "../../a"},
        {NULL, "/..", "/"},
        {NULL, "/../a/..", "/"},
        {"", "a/./b", "a/b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = prle__path_join_norm(cases[i].base, cases[i].rel);
        if (!str_is(got, cases[i].want))
            PT_FAIL_AT("join(%s, %s) = %s, expected %s", cases[i].base ? cases[i].base : "NULL",
                       cases[i].rel, got ? got : "NULL", cases[i].want);
        free(got);
    }

    /* through the loader: a file's relative paths, an override, a relative default */
    const char *y = "data: {data_dir: ../../shared/data, embedding_cache_dir: ../cache/stsb}\n"
                    "train: {output_dir: ./../runs/}\n";
    prle_config c;
    PT_OK(prle_config_load_string(&c, y, strlen(y), NULL, "/work/main/configs"));
    PT_EQ_STR(c.data.data_dir, "/work/shared/data");
    PT_EQ_STR(c.data.embedding_cache_dir, "/work/main/cache/stsb");
    PT_EQ_STR(c.train.output_dir, "/work/main/runs");
    PT_OK(prle_config_override(&c, "model.vectors=a/../b/./v.txt"));
    PT_EQ_STR(c.model.vectors, pt_join(pt_cwd(), "b/v.txt"));
    prle_config_dispose(&c);

    /* a config named "config/../config/paths.yaml" from tests/data: its folder is config/ */
    char old[4096];
    PT_CHECK(getcwd(old, sizeof old) != NULL);
    PT_CHECK(chdir(pt_data("")) == 0);
    PT_OK(prle_config_load(&c, "config/../config/paths.yaml"));
    PT_EQ_STR(c.data.file, pt_join(pt_cwd(), "config/data/all.csv"));
    prle_config_dispose(&c);
    PT_CHECK(chdir(old) == 0);
}

/* ---- overrides ------------------------------------------------------------------------ */

static void test_config__overrides(void)
{
    prle_config c;
    PT_OK(prle_config_load(&c, pt_data("config/good.yaml")));
    PT_OK(prle_config_override(&c, "train.seed=7"));
    PT_CHECK(c.train.seed == 7);
    PT_OK(prle_config_override(&c, "data.embedding_cache_dir=cache/stsb"));
    PT_EQ_STR(c.data.embedding_cache_dir, pt_join(pt_cwd(), "cache/stsb"));
    PT_OK(prle_config_override(&c, "data.file=/abs/all.csv"));
    PT_EQ_STR(c.data.file, "/abs/all.csv");
    PT_OK(prle_config_override(&c, "pipeline.stages=[experts]"));
    PT_CHECK(c.pipeline.stages.n == 1 && str_is(c.pipeline.stages.items[0], "experts"));
    PT_OK(prle_config_override(&c, "pipeline.stages=[kernel,experts]"));
    PT_CHECK(c.pipeline.stages.n == 2 && str_is(c.pipeline.stages.items[1], "experts"));
    PT_OK(prle_config_override(&c, "model.tau_init=2.5"));
    PT_NEAR(c.model.tau_init, 2.5, 0);
    PT_OK(prle_config_override(&c, " model.knn_k = 9"));
    PT_EQ_INT(c.model.knn_k, 9);
    PT_OK(prle_config_override(&c, "data.label_min="));
    PT_CHECK(isnan(c.data.label_min));
    PT_OK(prle_config_override(&c, "data.name=\"a: b\""));
    PT_EQ_STR(c.data.name, "a: b");
    PT_OK(prle_config_override(&c, "data.text_fields=[s1, 'x y', 2]"));
    PT_CHECK(c.data.text_fields.n == 3 && str_is(c.data.text_fields.items[1].name, "x y") &&
             c.data.text_fields.items[2].index == 2);
    PT_OK(prle_config_override(&c, "data.files={train: t.csv, test: /x/t.csv}"));
    PT_EQ_STR(c.data.files.train, pt_join(pt_cwd(), "t.csv"));
    PT_EQ_STR(c.data.files.test, "/x/t.csv");
    PT_OK(prle_config_override(&c, "kernel.projection_kwargs.activation=GELU"));
    PT_EQ_STR(c.kernel.projection_kwargs.activation, "gelu");
    PT_OK(prle_config_override(&c, "model.gating_strategy=softmax"));

    /* failures name the key and leave the config as it was */
    prle_config before;
    PT_OK(prle__config_copy(&before, &c));
    PT_FAILS(prle_config_override(&c, "model.foo=1"), PRLE_EINVAL,
             "override 'model.foo=1': unknown key 'model.foo'");
    PT_FAILS(prle_config_override(&c, "model.tau_init=abc"), PRLE_EINVAL,
             "override 'model.tau_init=abc': expected a number for 'model.tau_init', got 'abc'");
    PT_FAILS(prle_config_override(&c, "model.knn_k="), PRLE_EINVAL,
             "override 'model.knn_k=': 'model.knn_k' may not be null");
    PT_FAILS(prle_config_override(&c, "train.seed"), PRLE_EINVAL,
             "override 'train.seed': expected KEY=VALUE");
    PT_FAILS(prle_config_override(&c, "=3"), PRLE_EINVAL, "expected KEY=VALUE");
    PT_FAILS(prle_config_override(&c, "data.name=a: b"), PRLE_EINVAL,
             "expected a single value for 'data.name', found a mapping");
    PT_FAILS(prle_config_override(&c, "pipeline.stages=[kernel,"), PRLE_EINVAL,
             "override 'pipeline.stages=[kernel,': did not find expected node content");
    PT_FAILS(prle_config_override(&c, "data.files={train: a.csv, bogus: b}"), PRLE_EINVAL,
             "unknown key 'data.files.bogus'");
    PT_FAILS(prle_config_override(&c, "data={name: x, name: y}"), PRLE_EINVAL,
             "duplicate key 'data.name'");
    PT_FAILS(prle_config_override(&c, "data=x"), PRLE_EINVAL,
             "expected a mapping for 'data', found a scalar");
    PT_CHECK(prle__config_equal(&c, &before));
    prle_config_dispose(&before);
    prle_config_dispose(&c);
}

int main(void)
{
    PT_RUN(test_config__defaults_match_spec);
    PT_RUN(test_config__load_full);
    PT_RUN(test_config__scalars);
    PT_RUN(test_config__empty_inputs_give_defaults);
    PT_RUN(test_config__errors_name_place_and_key);
    PT_RUN(test_config__wandb_keys_are_notices);
    PT_RUN(test_config__nesting_capped);
    PT_RUN(test_config__model_projection_fallback);
    PT_RUN(test_config__encoder_pooling);
    PT_RUN(test_config__relative_paths);
    PT_RUN(test_config__path_join_norm);
    PT_RUN(test_config__overrides);
    return pt_report();
}
