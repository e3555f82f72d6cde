/* PRLE: the HTML report of a run folder (SPEC.md §9): one self-contained file, inline SVG. */
#ifndef PRLE_REPORT_H
#define PRLE_REPORT_H

#include "prle/common.h"

PRLE_BEGIN_DECL

/**
 * Writes `out_path` (NULL: {run_dir}/report.html) atomically from the files of the run folder
 * (docs/run-folder.md). Every section whose input file is absent says so and how to produce it
 * (e.g. "run prle analyze RUN"); only config.yaml and metrics.json are required.
 * PRLE_ENOTFOUND naming a missing required file, PRLE_EFORMAT naming a malformed one. First
 * the files the folder's .prle-run marker records are checked against their sha256, as
 * prle_run_folder_open checks them: PRLE_EFORMAT naming one that changed since its run wrote it.
 */
PRLE_API int prle_report_write(const char *run_dir, const char *out_path);

PRLE_END_DECL

#endif
