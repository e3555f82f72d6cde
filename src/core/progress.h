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

#endif
