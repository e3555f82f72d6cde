/* Datasets from YAML text in a test's scratch folder, for tests/test_dataset*.c: the config
 * read as prle_run reads it, downloads off. */
#ifndef PRLE_TEST_DATASET_FIXTURE_H
#define PRLE_TEST_DATASET_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "prle/prle.h"
#include "prle_test.h"

/* Loads a dataset from YAML text alone (paths relative to the test's scratch folder). */
static inline int load_yaml(prle_dataset **ds, const char *yaml)
{
    prle_config cfg;
    char base[1024];
    *ds = NULL; /* the library leaves it untouched on failure */
    snprintf(base, sizeof base, "%s", pt_tmp(""));
    int err = prle_config_load_string(&cfg, yaml, strlen(yaml), "test.yaml", base);
    if (err < 0)
        return err;
    prle_dataset_params p = prle_dataset_default_params();
    p.allow_download = false;
    p.download_dir = pt_tmp("no-downloads"); /* never the user's cache */
    err = prle_dataset_load(ds, &cfg.data, cfg.train.seed, &p);
    prle_config_dispose(&cfg);
    return err;
}

/* A preset from the shared folder. */
static inline int load_preset(prle_dataset **ds, const char *name, const char *extra_yaml)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "data:\n  name: %s\n  data_dir: %s\n%s", name, pt_shared(""),
             extra_yaml ? extra_yaml : "");
    return load_yaml(ds, yaml);
}

static inline void write_fixture(const char *name, const char *text)
{
    if (pt_write_file(pt_tmp(name), text, strlen(text)) != 0)
        PT_FAIL_AT("cannot write %s", pt_tmp(name));
}

#endif
