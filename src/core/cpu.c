#include "core/cpu.h"

#include <pthread.h>

static bool avx2_fma, avx;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void check(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    avx = __builtin_cpu_supports("avx");
#endif
}

bool prle__cpu_avx2_fma(void)
{
    pthread_once(&once, check);
    return avx2_fma;
}

bool prle__cpu_avx(void)
{
    pthread_once(&once, check);
    return avx;
}
