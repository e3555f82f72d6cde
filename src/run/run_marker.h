/* The run folder's marker and the checksums it keeps (src/run/folder.c, docs/run-folder.md).
 * Its own header so that what reads a run folder outside src/run (prle analyze and prle report,
 * src/analysis) checks the folder with the code prle eval and prle predict use. Internal. */
#ifndef PRLE_RUN_RUN_MARKER_H
#define PRLE_RUN_RUN_MARKER_H

/** The file that marks a folder as a PRLE run folder (issue 13): runs replace or write into
 *  a folder only when it holds this file, or is empty, or holds a run from before the marker
 *  (config.yaml and train_log.csv, or baselines.json). */
#define PRLE__RUN_MARKER ".prle-run"

/** Rewrites the marker of `dir` with the size and sha256 of the files that make its model
 *  (config.yaml, kernel.safetensors, model.safetensors, prototypes.json, dataset.json,
 *  encoder.safetensors, neighbours.safetensors, those present). */
int prle__run_record(const char *dir);

/** Checks the files the marker records; a folder without a marker, or with the text one of
 *  the runs before the checksums, passes. PRLE_EFORMAT naming a file whose bytes changed (or a
 *  marker that is not the one prle run writes), PRLE_ENOTFOUND / PRLE_EIO from reading one.
 *  Everything that opens a run folder calls it first: prle_run_folder_open (prle eval,
 *  prle predict), prle_analyze_run, prle_report_write, prle baselines reading the folder. */
int prle__run_verify(const char *dir);

#endif
