/* What the processor can do, checked once per process. */
#ifndef PRLE_CORE_CPU_H
#define PRLE_CORE_CPU_H

#include <stdbool.h>

/** Whether the processor has AVX2 and FMA (false where the compiler cannot ask, off x86-64):
 *  the loops with an eight-lane path (t-SNE, prle__gemm_rows) then take it. */
bool prle__cpu_avx2_fma(void);

/** Whether the processor has AVX (false where the compiler cannot ask): loops with a four-lane
 *  double or eight-lane float path without fused multiply-adds (the same bits as without). */
bool prle__cpu_avx(void);

#endif
