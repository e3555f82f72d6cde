/* Progress reporting helpers for long-running library calls. */
#ifndef PRLE_CORE_PROGRESS_H
#define PRLE_CORE_PROGRESS_H

#include "prle/common.h"

/** Monotonic seconds (for durations and progress only, never for randomness). */
double prle__now(void);

/**
 * Calls `fn` (if any) with the stage, counts and seconds since `t0`. Returns 0, or
 * PRLE_EABORTED with a message when the callback asked to stop.
 */
int prle__progress(prle_progress_fn fn, void *ud, const char *stage, size_t done, size_t total,
                   double t0, const char *note);

/**
 * Progress of the items of an OpenMP loop (grid points, model fits). Each finished item counts
 * (prle__tasks_done, inside the loop); only the calling thread (thread 0) reports, so the
 * callback never runs concurrently; once it asks to stop, prle__tasks_stopped is true and the
 * items not started are skipped. prle__tasks_end, after the loop, reports the end when thread
 * 0 did not finish the last item, and returns PRLE_EABORTED "STAGE: stopped by the progress
 * callback" when the callback asked to stop.
 */
typedef struct prle__tasks {
    prle_progress_fn fn;
    void *ud;
    const char *stage, *note;
    size_t total, done, shown; /* shown: the last count reported */
    double t0;
    int stop;
} prle__tasks;

prle__tasks prle__tasks_begin(prle_progress_fn fn, void *ud, const char *stage, size_t total,
                              const char *note);
bool prle__tasks_stopped(prle__tasks *t);
void prle__tasks_done(prle__tasks *t);
int prle__tasks_end(prle__tasks *t);

#endif
