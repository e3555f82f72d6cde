#include "core/threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static int default_threads; /* 0 until prle_init; then the count in force */

int prle__threads_available(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

int prle__threads_set(int n)
{
    int avail = prle__threads_available();
    default_threads = (n <= 0) ? avail : n;
    return default_threads;
}

int prle__threads_resolve(int requested)
{
    if (requested > 0)
        return requested;
    return default_threads > 0 ? default_threads : prle__threads_available();
}

bool prle__threads_in_parallel(void)
{
#ifdef _OPENMP
    return omp_in_parallel() != 0;
#else
    return false;
#endif
}

int prle__thread_num(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}
