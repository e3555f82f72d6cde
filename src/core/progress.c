#include "core/progress.h"

#include <time.h>

#include "core/error.h"

double prle__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int prle__progress(prle_progress_fn fn, void *ud, const char *stage, size_t done, size_t total,
                   double t0, const char *note)
{
    if (!fn)
        return 0;
    prle_progress info = {stage, done, total, prle__now() - t0, note};
    if (!fn(&info, ud))
        return prle__error_set(PRLE_EABORTED, "%s: stopped by the progress callback", stage);
    return 0;
}
