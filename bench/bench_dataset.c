/* make bench: reading the shared data sets (issue 2's target: a table in <= 100 ms).
 *
 *   table_stsb_train   prle_table_read of stsb/sts-train.csv (TSV, no quoting, 5,749 rows)
 *   table_ruddit       prle_table_read of Ruddit's ruddit_with_text.csv (CSV, quoted, 6,000 rows)
 *   preset_<name>      prle_dataset_load of the stsb, ruddit and mlqe-si-en presets (3 splits)
 *
 * Each case checks its row count against the data's README before timing, then prints one
 * line: name, rows, median ms over $PRLE_BENCH_REPS runs (default 20). These timings were
 * asserted in tests/test_csv.c until a busy machine made them fail; a bench prints them.
 * Data: $PRLE_DATA_DIR, else ../shared/data (from the repo root); skipped when missing.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "bench_util.h"

typedef struct table_case {
    const char *name, *rel;
    prle_table_format format;
    bool header;
    prle_table_quoting quoting;
    size_t min_fields, rows;
} table_case;

static int bench_table(const char *dir, const table_case *c, int reps)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, c->rel);
    prle_table_params p = prle_table_default_params();
    p.format = c->format;
    p.header = c->header;
    p.quoting = c->quoting;
    p.min_fields = c->min_fields;
    double *ms = malloc((size_t)reps * sizeof *ms);
    if (!ms)
        return PRLE_ENOMEM;
    for (int r = 0; r < reps; r++) {
        prle_table *t = NULL;
        double t0 = prle__now();
        int err = prle_table_read(&t, path, &p);
        ms[r] = 1e3 * (prle__now() - t0);
        if (err < 0) {
            free(ms);
            return err;
        }
        size_t rows = prle_table_n_rows(t);
        prle_table_free(t);
        if (rows != c->rows) {
            free(ms);
            return prle__error_set(PRLE_ERROR, "%s: %zu rows, its README says %zu", path, rows,
                                   c->rows);
        }
    }
    printf("%-18s rows=%-6zu threads=1  median %8.2f ms  (target <= 100 ms)\n", c->name, c->rows,
           bench_median(ms, (size_t)reps));
    free(ms);
    return 0;
}

static int bench_preset(const char *dir, const char *name, size_t train_rows, int reps)
{
    prle_config cfg;
    char buf[1200];
    int err = prle_config_default(&cfg);
    snprintf(buf, sizeof buf, "data.name=%s", name);
    if (err == 0)
        err = prle_config_override(&cfg, buf);
    snprintf(buf, sizeof buf, "data.data_dir=%s", dir);
    if (err == 0)
        err = prle_config_override(&cfg, buf);
    double *ms = malloc((size_t)reps * sizeof *ms);
    if (!ms)
        err = prle__error_nomem("bench_dataset");
    prle_dataset_params dp = prle_dataset_default_params();
    dp.allow_download = false;
    size_t rows[PRLE_N_SPLITS] = {0};
    for (int r = 0; err == 0 && r < reps; r++) {
        prle_dataset *ds = NULL;
        double t0 = prle__now();
        err = prle_dataset_load(&ds, &cfg.data, cfg.train.seed, &dp);
        ms[r] = 1e3 * (prle__now() - t0);
        for (int s = 0; err == 0 && s < PRLE_N_SPLITS; s++)
            rows[s] = prle_dataset_n_rows(ds, (prle_split)s);
        prle_dataset_free(ds);
        if (err == 0 && rows[PRLE_SPLIT_TRAIN] != train_rows)
            err = prle__error_set(PRLE_ERROR, "%s: %zu training rows, expected %zu", name,
                                  rows[PRLE_SPLIT_TRAIN], train_rows);
    }
    if (err == 0)
        printf("preset_%-11s rows=%zu+%zu+%zu threads=1  median %8.2f ms\n", name,
               rows[PRLE_SPLIT_TRAIN], rows[PRLE_SPLIT_VALIDATION], rows[PRLE_SPLIT_TEST],
               bench_median(ms, (size_t)reps));
    free(ms);
    prle_config_dispose(&cfg);
    return err;
}

int main(void)
{
    prle_init(0);
    const char *dir = getenv("PRLE_DATA_DIR");
    if (!dir || !*dir)
        dir = "../shared/data";
    struct stat st;
    if (stat(dir, &st) != 0) {
        printf("bench_dataset: skipped (no %s; set PRLE_DATA_DIR)\n", dir);
        return 0;
    }
    int reps = bench_reps(20);
    /* row counts: stsb/README.md and tools/ref/csv_counts.py */
    const table_case tables[] = {
        {"table_stsb_train", "stsb/sts-train.csv", PRLE_TABLE_TSV, false, PRLE_QUOTING_OFF, 7,
         5749},
        {"table_ruddit", "ruddit/text-freddiehorn-2023/ruddit_with_text.csv", PRLE_TABLE_CSV, true,
         PRLE_QUOTING_AUTO, 0, 6000},
    };
    int err = 0;
    for (size_t i = 0; err == 0 && i < sizeof tables / sizeof *tables; i++)
        err = bench_table(dir, &tables[i], reps);
    const char *presets[] = {"stsb", "ruddit", "mlqe-si-en"};
    const size_t train_rows[] = {5749, 3960, 7000}; /* tests/test_dataset.c */
    for (size_t i = 0; err == 0 && i < 3; i++)
        err = bench_preset(dir, presets[i], train_rows[i], reps);
    if (err < 0) {
        fprintf(stderr, "bench_dataset: %s\n", prle_last_error());
        return 1;
    }
    return 0;
}
