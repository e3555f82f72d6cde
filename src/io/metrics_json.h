/* The metrics object of metrics.json ("raw", "unit"), baselines.json ("test") and
 * analysis.json ("global", "oracle"): {["n",] "mse", "rmse", "mae", "r2", "pearson",
 * "spearman", "kendall"}, in that order (docs/run-folder.md). */
#ifndef PRLE_IO_METRICS_JSON_H
#define PRLE_IO_METRICS_JSON_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "prle/metrics.h"

/** A new object of `m`'s metrics, "n" first when `with_n`; NULL when out of memory. */
cJSON *prle__metrics_json(const prle_metrics *m, bool with_n);

/** Reads the seven metrics of `o` into `out` (not "n"); a missing or non-number key is an
 * error naming it (prle__json_get_number). */
int prle__metrics_from_json(prle_metrics *out, const cJSON *o);

#endif
