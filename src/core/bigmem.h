/* Large tables (hundreds of MB): memory the kernel backs with 2 MB pages where it can. */
#ifndef PRLE_CORE_BIGMEM_H
#define PRLE_CORE_BIGMEM_H

#include <stdbool.h>
#include <stddef.h>

typedef struct prle__bigmem {
    void *p;
    size_t bytes; /* what the mapping holds (whole 2 MB pages) */
    bool mapped;  /* an mmap, else calloc */
} prle__bigmem;

/**
 * `bytes` of zeroed memory for a table written once and read at random (the SVR's kernel
 * table) into m->p. On Linux, from 64 MB, an anonymous mapping advised MADV_HUGEPAGE and
 * populated up front: in these virtual machines a 4 KB page's first write and each TLB miss
 * cost far more than with 2 MB pages (840 MB: 1.9-2.0 s to fault in by 4 KB writes, 0.9-1.3 s
 * populated as 2 MB pages). Otherwise, or when the mapping fails, calloc. PRLE_ENOMEM.
 */
int prle__bigmem_alloc(prle__bigmem *m, size_t bytes);

/** The machine's physical memory in bytes (sysconf), 0 when it cannot tell. */
double prle__physical_memory(void);

/** Frees m's memory (a zeroed or freed m is fine) and zeroes m. */
void prle__bigmem_free(prle__bigmem *m);

#endif
