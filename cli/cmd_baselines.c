/* prle baselines CONFIG [key=value...] [options]: the wrapper baselines of the original system
 * (SPEC.md §7, issue 6) on the cached embeddings, each grid-searched on validation, refitted on
 * train + validation and scored on test. Labels are put on the 0-1 scale first,
 * (y - label_min) / (label_max - label_min), as the original (and peers/wrapperbox.py) does, so
 * SVR's epsilon grid means the same thing; the metrics are on that scale.
 *
 * --space retrieval (default) reads the stage 0 cache (built or reused through prle_embed);
 * --space value reads the stage 1 value space of CONFIG's run folder,
 * {train.output_dir}/{logging.run_name}/value/{split}_embeds.npy (written by prle kernel).
 * --svr-rows N: the SVR on at most N train + validation rows (prle_baselines_params.svr_max_rows,
 * default 10,000; 0: all).
 * Writes the JSON (atomically) into that run folder, baselines.json for retrieval (the folder is
 * created when missing) and baselines_value.json for value (docs/run-folder.md), or to --out,
 * and prints a table. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_print.h"
#include "data/download.h"
#include "kernel/kernel_int.h"
#include "run/run_int.h"

/* A grid's points as a progress bar (cli_progress), then one line per finished model. */
static bool on_progress(const prle_progress *p, void *ud)
{
    cli_progress *ps = ud;
    if (cli_opts.quiet)
        return !cli_interrupted; /* -q: only the stop on a signal */
    if (!strncmp(p->stage, "baselines:", 10))
        return cli_progress_fn(p, ps);
    cli_progress_close(ps);
    fprintf(stderr, "prle: baselines: %s: %zu grid points, %.1f s (best %s)\n", p->stage, p->total,
            p->seconds, p->note ? p->note : "-");
    fflush(stderr);
    return !cli_interrupted;
}

static int usage_error(const char *fmt, const char *arg)
{
    cli_error(CLI_USAGE, fmt, arg);
    cli_usage(stderr, "baselines");
    return CLI_USAGE;
}

/* models from a comma list into kinds[]; returns the count or -1 */
static int parse_models(prle_baseline_kind *kinds, const char *list)
{
    char buf[256];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", list);
    size_t len = strlen(buf);
    if (!len || buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,"))
        return -1; /* an empty name */
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        prle_baseline_kind k;
        if (prle_baseline_from_name(&k, tok) < 0 || n >= PRLE_BASELINE_COUNT)
            return -1;
        for (int j = 0; j < n; j++)
            if (kinds[j] == k)
                return -1; /* twice */
        kinds[n++] = k;
    }
    return n;
}

/* {train.output_dir}/{logging.run_name}, as prle kernel names it; -1 when too long */
static int run_dir_of(char *out, size_t len, const prle_config *cfg)
{
    int n = snprintf(out, len, "%s/%s", cfg->train.output_dir ? cfg->train.output_dir : "runs",
                     cfg->logging.run_name ? cfg->logging.run_name : "run");
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* CLI_OK when the run folder `dir` (if there is one) was made from these rows and, for `width`
 * above 0, from embeddings this wide (and, for encoder_type npy, these input files): baselines
 * written beside another config's run (the same logging.run_name) would be shown beside a model
 * they were not fitted like. */
static int same_run(const char *dir, const prle_config *cfg, const prle_dataset *ds, size_t width)
{
    char why[PRLE__RUN_PATH + 128], path[PRLE__RUN_PATH];
    int err = prle__run_data_changed(why, sizeof why, dir, ds, 7u);
    if (err == 0 && width) /* retrieval features: the npy inputs the run was made from */
        err = prle__run_embeddings_changed(why, sizeof why, dir, cfg);
    if (err < 0)
        return cli_fail(err);
    if (err > 0)
        return cli_error(CLI_USAGE,
                         "baselines: %s is a run of other data: %s (give --out FILE, or another "
                         "logging.run_name)",
                         dir, why);
    prle_st_file *f = NULL;
    prle_kernel_params kp;
    size_t in = 0; /* the width its metadata records, its tensors not read */
    bool known = width && prle__path_join(path, sizeof path, dir, "kernel.safetensors") == 0 &&
                 prle__path_exists(path) && prle_st_open(&f, path) == 0 &&
                 prle__kernel_st_params(&kp, &in, f, path) == 1;
    prle_st_free(f);
    prle_error_clear(); /* no kernel to compare with: nothing to say */
    if (known && in != width)
        return cli_error(CLI_USAGE,
                         "baselines: %s is a run of other embeddings: its kernel takes %zu "
                         "columns, these have %zu (another config with the same "
                         "logging.run_name? give --out FILE, or another one)",
                         dir, in, width);
    return CLI_OK;
}

/* The value space of one split from the run folder, rows checked against the dataset. Returns a
 * CLI exit code after printing the error. */
static int load_value(prle_matrix *out, const char *run_dir, const prle_dataset *ds,
                      prle_split split, const char *config_path)
{
    char path[4300];
    int err;
    snprintf(path, sizeof path, "%s/value/%s_embeds.npy", run_dir, prle_split_name(split));
    if ((err = prle_npy_load(out, path)) == PRLE_ENOTFOUND)
        return cli_error(CLI_USAGE,
                         "baselines: %s not found: --space value reads the kernel's value space; "
                         "run prle kernel %s first",
                         path, config_path);
    if (err < 0)
        return cli_fail(err);
    if (out->rows != prle_dataset_n_rows(ds, split))
        return cli_error(CLI_USAGE,
                         "baselines: %s has %zu rows, the %s split %zu: the run folder is from "
                         "other data; run prle kernel %s again",
                         path, out->rows, prle_split_name(split), prle_dataset_n_rows(ds, split),
                         config_path);
    return CLI_OK;
}

static void print_table(const prle_baseline_result *res, int n, size_t n_fit)
{
    printf("%-7s %8s %8s %8s %8s %8s %8s  %-44s\n", "model", "mse", "rmse", "pearson", "spearman",
           "kendall", "seconds", "best");
    for (int i = 0; i < n; i++) {
        const prle_metrics *m = &res[i].test;
        printf("%-7s %8.4f %8.4f %8.4f %8.4f %8.4f %8.2f  %s\n", prle_baseline_name(res[i].kind),
               m->mse, m->rmse, m->pearson, m->spearman, m->kendall, res[i].seconds, res[i].best);
    }
    for (int i = 0; i < n; i++)
        if (res[i].fit_rows < n_fit)
            printf("%s: fitted on a seeded sample of %zu of the %zu train + validation rows "
                   "(--svr-rows)\n",
                   prle_baseline_name(res[i].kind), res[i].fit_rows, n_fit);
}

int cmd_baselines(int argc, char **argv)
{
    prle_config cfg = {0};
    prle_dataset *ds = NULL;
    prle_embed_report rep = {0};
    prle_matrix x[PRLE_N_SPLITS] = {{0}};
    float *y[PRLE_N_SPLITS] = {0};
    prle_baseline_result res[PRLE_BASELINE_COUNT];
    prle_baseline_kind kinds[PRLE_BASELINE_COUNT] = {PRLE_BASELINE_OLS,  PRLE_BASELINE_RIDGE,
                                                     PRLE_BASELINE_KNN,  PRLE_BASELINE_SVR,
                                                     PRLE_BASELINE_TREE, PRLE_BASELINE_FOREST};
    int n_kinds = PRLE_BASELINE_COUNT, rc, err, nrest = 0;
    const char *out_path = NULL, *space = "retrieval";
    char run_dir[4096], def_path[4200];
    prle_baselines_params bp = prle_baselines_default_params();
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return cli_error(CLI_RUNTIME, "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--space") == 0 && has_val) {
            space = argv[++i];
        } else if (strcmp(a, "--models") == 0 && has_val) {
            if ((n_kinds = parse_models(kinds, argv[++i])) <= 0) {
                rc = usage_error("baselines: --models takes a comma list of linear, ridge, knn, "
                                 "svr, dt, rf, each once; got '%s'",
                                 argv[i]);
                goto done;
            }
        } else if (strcmp(a, "--out") == 0 && has_val) {
            out_path = argv[++i];
        } else if (strcmp(a, "--knn-cosine") == 0) {
            bp.knn_cosine = true;
        } else if (strcmp(a, "--svr-rows") == 0 && has_val) { /* 0: all rows */
            char *end = NULL;
            const char *v = argv[++i];
            unsigned long long n = strtoull(v, &end, 10);
            if (!*v || *end || v[0] == '-') {
                rc = usage_error("baselines: --svr-rows needs a whole number, got '%s'", v);
                goto done;
            }
            bp.svr_max_rows = (size_t)n;
        } else if (a[0] == '-' && a[1] == '-') {
            rc = usage_error("baselines: unknown option or missing value: '%s'", a);
            goto done;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    bool value = strcmp(space, "value") == 0;
    if (!value && strcmp(space, "retrieval") != 0) {
        rc = usage_error("baselines: --space is retrieval or value, got '%s'", space);
        goto done;
    }
    if ((rc = cli_config_load(&cfg, nrest, rest)) != CLI_OK)
        goto done;
    if (run_dir_of(run_dir, sizeof run_dir, &cfg) < 0) {
        rc = cli_error(CLI_USAGE, "baselines: run folder path too long");
        goto done;
    }
    /* a run folder it reads (its dataset.json and kernel; --space value its value space) holds
     * the files its run wrote, as prle eval checks them */
    if ((!out_path || value) && (err = prle__run_verify(run_dir)) < 0) {
        rc = cli_fail(err);
        goto done;
    }
    prle_init(cfg.train.threads);
    bp.n_threads = cfg.train.threads;
    bp.seed = cfg.train.seed;
    cli_progress ps;
    cli_progress_init(&ps);
    bp.progress = on_progress; /* always: it stops the library on a signal */
    bp.progress_ud = &ps;

    prle_dataset_params dp = prle_dataset_default_params();
    prle_embed_params ep = prle_embed_default_params();
    if ((err = prle_dataset_load(&ds, &cfg.data, cfg.train.seed, &dp)) < 0) {
        rc = cli_fail(err);
        goto done;
    }
    if (out_path) { /* before the embedding and the grids: nothing read is overwritten */
        const char *inputs[PRLE_N_SPLITS + 2] = {rest[0]};
        for (int s = 0, n = 1; s < PRLE_N_SPLITS; s++) {
            const prle_dataset_split_info *in = prle_dataset_info(ds, (prle_split)s);
            if (in && in->path)
                inputs[n++] = in->path;
        }
        if ((rc = cli_out_check("baselines", out_path, inputs, run_dir,
                                value ? "baselines_value.json" : "baselines.json",
                                cfg.data.embedding_cache_dir)) != CLI_OK)
            goto done;
    }
    if (!value && (err = prle_embed(&rep, &cfg, ds, &ep)) < 0) { /* reuses a matching cache */
        rc = cli_fail(err);
        goto done;
    }
    double lo = prle_dataset_label_min(ds), hi = prle_dataset_label_max(ds);
    if (!(hi > lo)) {
        rc = cli_error(CLI_RUNTIME, "baselines: label range [%g, %g] is empty", lo, hi);
        goto done;
    }
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        if (value) {
            if ((rc = load_value(&x[s], run_dir, ds, (prle_split)s, rest[0])) != CLI_OK)
                goto done;
        } else if ((err = prle_embed_load(&x[s], &cfg, ds, (prle_split)s)) < 0) {
            rc = cli_fail(err);
            goto done;
        }
        const float *raw = prle_dataset_labels(ds, (prle_split)s);
        if (!raw || !(y[s] = malloc((x[s].rows ? x[s].rows : 1) * sizeof(float)))) {
            rc = cli_error(CLI_RUNTIME, "baselines: no labels for the %s split",
                           prle_split_name((prle_split)s));
            goto done;
        }
        for (size_t i = 0; i < x[s].rows; i++)
            y[s][i] = (float)((raw[i] - lo) / (hi - lo));
        if (x[s].rows < 2) { /* a grid needs two to fit and two to score */
            const prle_dataset_split_info *in = prle_dataset_info(ds, (prle_split)s);
            rc = cli_error(CLI_USAGE,
                           "baselines: the %s split has %zu row%s (%s): too few to fit or score "
                           "the baselines on; give it 2 or more",
                           prle_split_name((prle_split)s), x[s].rows, x[s].rows == 1 ? "" : "s",
                           in && in->path ? in->path : "no file");
            goto done;
        }
    }
    if ((!out_path || value) && (rc = same_run(run_dir, &cfg, ds, value ? 0 : x[0].cols)) != CLI_OK)
        goto done;
    for (int k = 0; k < n_kinds; k++) {
        if ((err = prle_baselines_run(&res[k], NULL, kinds[k], &x[0], y[0], &x[1], y[1], &x[2],
                                      y[2], &bp)) < 0) {
            rc = cli_fail(err);
            goto done;
        }
    }
    if (!out_path) { /* the run folder; retrieval baselines may come before prle kernel */
        snprintf(def_path, sizeof def_path, "%s/%s", run_dir,
                 value ? "baselines_value.json" : "baselines.json");
        out_path = def_path;
        if ((err = value ? prle__run_folder_check(run_dir) : prle__run_folder_claim(run_dir)) < 0) {
            rc = cli_fail(err);
            goto done;
        }
    }
    prle_baselines_info info = {prle_dataset_name(ds),
                                space,
                                "unit", /* (y - label_min) / (label_max - label_min) */
                                x[0].rows,
                                x[1].rows,
                                x[2].rows,
                                x[0].cols,
                                bp.seed,
                                lo,
                                hi};
    if ((err = prle_baselines_save_json(out_path, &info, res, (size_t)n_kinds)) < 0) {
        rc = cli_fail(err);
        goto done;
    }
    char title[256]; /* "unnamed, from FILE" when data.name is unset */
    printf("dataset %s, %s space, %zu / %zu / %zu rows, width %zu; labels on the 0-1 scale\n",
           prle_dataset_title(ds, title, sizeof title), space, info.n_train, info.n_validation,
           info.n_test, info.width);
    print_table(res, n_kinds, info.n_train + info.n_validation);
    printf("wrote %s\n", out_path);
    rc = CLI_OK; /* main checks stdout */
done:
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        prle_matrix_dispose(&x[s]);
        free(y[s]);
    }
    prle_embed_report_dispose(&rep);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);
    free(rest);
    return rc;
}
