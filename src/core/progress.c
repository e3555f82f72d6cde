#include "core/progress.h"

#include <time.h>

#include "core/error.h"
#include "core/threads.h"

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

prle__tasks prle__tasks_begin(prle_progress_fn fn, void *ud, const char *stage, size_t total,
                              const char *note)
{
    return (prle__tasks){
        .fn = fn, .ud = ud, .stage = stage, .note = note, .total = total, .t0 = prle__now()};
}

bool prle__tasks_stopped(prle__tasks *t)
{
    int stop;
#pragma omp atomic read
    stop = t->stop;
    return stop != 0;
}

void prle__tasks_done(prle__tasks *t)
{
    size_t now;
#pragma omp atomic capture
    now = ++t->done;
    if (!t->fn || prle__thread_num() != 0)
        return;
    t->shown = now;
    prle_progress info = {t->stage, now, t->total, prle__now() - t->t0, t->note};
    if (!t->fn(&info, t->ud)) {
#pragma omp atomic write
        t->stop = 1;
    }
}

int prle__tasks_end(prle__tasks *t)
{
    if (t->stop)
        return prle__error_set(PRLE_EABORTED, "%s: stopped by the progress callback", t->stage);
    if (t->shown == t->total)
        return 0;
    return prle__progress(t->fn, t->ud, t->stage, t->total, t->total, t->t0, t->note);
}
