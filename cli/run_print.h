/* Printing shared by prle run, train, kernel, eval and predict: progress on a terminal, stage
 * lines, metrics and explained predictions as plain tables. */
#ifndef PRLE_CLI_RUN_PRINT_H
#define PRLE_CLI_RUN_PRINT_H

#include <stdio.h>

#include "cli.h"

/** Progress on stderr: a rewritten line on a terminal, plain lines with -v in a pipe (a step's
 *  first report, then at most one a second, and its last). */
typedef struct cli_progress {
    bool tty;
    bool show;
    bool open;      /* a \r line is showing */
    char stage[64]; /* the stage of the last plain line */
    double at;      /* when it was printed (monotonic seconds) */
} cli_progress;

/** show = not -q and (stderr is a terminal or -v). */
void cli_progress_init(cli_progress *ps);

/** One progress line: "stage: [####......] done/total (seconds, rate/s, ETA t) note"; the
 *  bar only with `bar` and a known total, the ETA only before the end. */
void cli_progress_line(char *buf, size_t len, const prle_progress *p, bool bar);

/** A prle_progress_fn; `ud` is a cli_progress. */
bool cli_progress_fn(const prle_progress *p, void *ud);

/** Ends a \r line that is showing. */
void cli_progress_close(cli_progress *ps);

/** "name    12.34 s  note" for a finished stage, on stdout. */
void cli_print_stage(const prle_run_event *e, cli_progress *ps);

/** At most `width` characters of `s` (UTF-8 kept whole, "..." when cut), newlines as spaces. */
void cli_put_text(FILE *out, const char *s, size_t width);

/** `a`, or "a | b" with each side at most width/2 characters. */
void cli_put_pair(FILE *out, const char *a, const char *b, size_t width);

/** A header line, then one line per present split and scale (raw and 0-1). */
void cli_print_metrics(FILE *out, const prle_run_metrics *m, unsigned split_mask);

/** On stderr: a warning with both numbers for each yardstick (ridge, kNN) whose validation MSE
 *  is below PRLE's (prle_run_metrics_worse_than); nothing otherwise. */
void cli_warn_if_worse(const prle_run_metrics *m);

/** A warning on stderr when the validation split has fewer than PRLE__RECAL_MIN_ROWS (20) rows:
 *  every choice made on validation rests on them (a 2-row validation file cost 0.13 of test
 *  Pearson), and without any the fits run their whole step budgets. Returns whether it
 *  warned. prle run warns as the kernel begins to train, else at the end. */
bool cli_warn_few_validation(size_t n_val);

/**
 * One explained prediction as a table: the input (title, texts, label, prediction), then
 * the prototypes (rank, slot, training row, label, weight, local prediction, contribution,
 * text) and the rest in one line, then the sum of the contributions.
 */
void cli_print_explained(FILE *out, const char *title, const prle_explained *e,
                         const prle_explain_input *in, const prle_dataset *ds);

#endif
