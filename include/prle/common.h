/* PRLE: status codes, export macros, library initialisation and error messages. */
#ifndef PRLE_COMMON_H
#define PRLE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define PRLE_BEGIN_DECL extern "C" {
#define PRLE_END_DECL }
#else
#define PRLE_BEGIN_DECL
#define PRLE_END_DECL
#endif

#if defined(__GNUC__)
#define PRLE_API __attribute__((visibility("default")))
#else
#define PRLE_API
#endif

#define PRLE_VERSION_MAJOR 0
#define PRLE_VERSION_MINOR 1
#define PRLE_VERSION_PATCH 0
#define PRLE_VERSION_STRING "0.1.0"

PRLE_BEGIN_DECL

/** Status codes: 0 is success, every failure is negative. */
typedef enum prle_status {
    PRLE_OK = 0,
    PRLE_ERROR = -1,     /**< generic runtime failure */
    PRLE_ENOMEM = -2,    /**< allocation failed or a size overflowed */
    PRLE_EINVAL = -3,    /**< bad argument, parameter or config value */
    PRLE_EIO = -4,       /**< the operating system refused a read or write */
    PRLE_EFORMAT = -5,   /**< a file is malformed, truncated or of an unsupported kind */
    PRLE_ESHAPE = -6,    /**< shapes of inputs do not agree */
    PRLE_ENOTFOUND = -7, /**< a file, key, column or tensor does not exist */
    PRLE_EABORTED = -8   /**< a progress callback asked to stop */
} prle_status;

/** The library's version as "MAJOR.MINOR.PATCH"; a static string. */
PRLE_API const char *prle_version(void);

/**
 * Process-wide set-up: the default thread count of the library's own parallel loops
 * (`n_threads`, 0 = all cores), libsvm's printer silenced. OpenBLAS's own count is left as it
 * is: the library runs every BLAS call on one thread and splits large products itself, so its
 * results do not depend on any thread count. Call once at start, before other threads exist;
 * calling again changes the thread count. Returns 0.
 */
PRLE_API int prle_init(int n_threads);

/**
 * The message of this thread's last failure, one line, never NULL ("" if none).
 * Borrowed: valid until the next failing call on this thread.
 */
PRLE_API const char *prle_last_error(void);

/** The code of this thread's last failure (PRLE_OK if none). */
PRLE_API int prle_last_error_code(void);

/** Clears this thread's last error. */
PRLE_API void prle_error_clear(void);

/** A static name for a status code, e.g. "PRLE_EFORMAT". */
PRLE_API const char *prle_status_name(int status);

/** What a long-running call reports to its progress callback. */
typedef struct prle_progress {
    const char *stage; /**< e.g. "kernel", "embed:train" */
    size_t done;       /**< units finished */
    size_t total;      /**< units in all, 0 if unknown */
    double seconds;    /**< since the stage began */
    const char *note;  /**< optional detail (loss, ...), may be NULL */
} prle_progress;

/**
 * Progress callback: return false to stop; the call then fails with PRLE_EABORTED.
 * Called on the thread that made the call, never concurrently.
 */
typedef bool (*prle_progress_fn)(const prle_progress *info, void *user_data);

PRLE_END_DECL

#endif
