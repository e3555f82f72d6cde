/* Thread counts: the only file that calls omp_* is threads.c (STYLE.md §10). */
#ifndef PRLE_CORE_THREADS_H
#define PRLE_CORE_THREADS_H

#include <stdbool.h>

/** Sets the library's default thread count (0 = all cores); returns the count in force. */
int prle__threads_set(int n);

/** The thread count for a call that asked for `requested` (0 = the library's default). */
int prle__threads_resolve(int requested);

/** Cores the OpenMP runtime reports (1 without OpenMP). */
int prle__threads_available(void);

/** True inside an OpenMP parallel region. */
bool prle__threads_in_parallel(void);

/** This thread's number inside a parallel region (0 outside). */
int prle__thread_num(void);

#endif
