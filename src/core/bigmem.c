/* MADV_HUGEPAGE is a Linux extension: visible with _DEFAULT_SOURCE (the build sets only POSIX) */
#define _DEFAULT_SOURCE
#include "core/bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/error.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)
#define MIN_BYTES ((size_t)64 << 20)      /* smaller tables: calloc */
#define POPULATE_SLICE ((size_t)16 << 20) /* whole 2 MB pages */

#if defined(__linux__) && defined(MADV_HUGEPAGE)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels answer EINVAL and fault on use */
#endif

/* A mapping of whole 2 MB pages, one more than needed so that its start can be aligned; the
 * unaligned head and the spare tail go back. NULL when mmap fails. */
static void *map_huge(size_t used)
{
    size_t len = used + HUGE_PAGE;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    char *p = (char *)(((uintptr_t)m + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE);
    if (p != m)
        munmap(m, (size_t)(p - m));
    munmap(p + used, (size_t)(m + len - (p + used)));
    (void)madvise(p, used, MADV_HUGEPAGE);
    /* in slices: the kernel holds the mapping lock for a call, and another thread's mmap
     * (a large malloc) waited out the whole table (0.4 s of the t-SNE beside the oracle) */
    for (size_t at = 0; at < used; at += POPULATE_SLICE)
        (void)madvise(p + at, used - at < POPULATE_SLICE ? used - at : POPULATE_SLICE,
                      MADV_POPULATE_WRITE);
    return p;
}
#endif

int prle__bigmem_alloc(prle__bigmem *m, size_t bytes)
{
    *m = (prle__bigmem){0};
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= MIN_BYTES && bytes <= SIZE_MAX - 2 * HUGE_PAGE) {
        size_t used = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        if ((m->p = map_huge(used))) {
            m->bytes = used;
            m->mapped = true;
            return 0;
        }
    }
#endif
    if (!(m->p = calloc(1, bytes ? bytes : 1)))
        return prle__error_nomem("table");
    m->bytes = bytes;
    return 0;
}

void prle__bigmem_free(prle__bigmem *m)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (m->p && m->mapped)
        munmap(m->p, m->bytes);
    else
#endif
        free(m->p);
    *m = (prle__bigmem){0};
}

double prle__physical_memory(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0)
        return (double)pages * (double)size;
#endif
    return 0.0;
}
