/* Internal error helpers: set this thread's message and return the code. */
#ifndef PRLE_CORE_ERROR_H
#define PRLE_CORE_ERROR_H

#include "prle/common.h"

#if defined(__GNUC__)
#define PRLE__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PRLE__PRINTF(a, b)
#endif

/** Formats this thread's message and returns `code` (always negative). */
int prle__error_set(int code, const char *fmt, ...) PRLE__PRINTF(2, 3);

/** Prefixes the current message with "prefix: " (context added at the I/O edge); returns code. */
int prle__error_prefix(int code, const char *fmt, ...) PRLE__PRINTF(2, 3);

/** Sets PRLE_ENOMEM "out of memory (what)" and returns it. */
int prle__error_nomem(const char *what);

/** Programmer errors only, never bad input. */
#define PRLE_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond))                                                                               \
            prle__assert_fail(#cond, __FILE__, __LINE__);                                          \
    } while (0)
void prle__assert_fail(const char *cond, const char *file, int line);

/* Overflow-checked size arithmetic: return false on overflow. */
static inline bool prle__mul_ok(size_t *out, size_t a, size_t b)
{
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *out = a * b;
    return true;
}
static inline bool prle__add_ok(size_t *out, size_t a, size_t b)
{
    if (b > SIZE_MAX - a)
        return false;
    *out = a + b;
    return true;
}

#endif
