/* prle_init: the process-wide settings, made once (STYLE.md §10). */
#include "prle/common.h"

#include "baselines/svr.h"
#include "core/threads.h"

int prle_init(int n_threads)
{
    prle__threads_set(n_threads);
    prle__svr_global_init();
    return 0;
}
