/* A header-only test harness: PT_CHECK, PT_NEAR, PT_OK, PT_FAILS, PT_SKIP and a runner.
 *
 *   static void test_rng__repeatable(void) { PT_CHECK(a == b); }
 *   int main(void) { PT_RUN(test_rng__repeatable); return pt_report(); }
 *
 * Exit status: 1 if a case failed; else PT_SKIP_CODE (77, ctest's SKIP_RETURN_CODE) if a case
 * was skipped, so that a missing input shows as a skipped test, never as a passed one; else 0.
 */
#ifndef PRLE_TEST_H
#define PRLE_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "prle/prle.h"

#include "io/fileio.h"

#define PT_SKIP_CODE 77

static int pt_failed_checks;
static int pt_passed, pt_failed, pt_skipped;
static const char *pt_current;
static bool pt_current_skipped;

#define PT_FAIL_AT(...)                                                                            \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, pt_current);                            \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        pt_failed_checks++;                                                                        \
    } while (0)

#define PT_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            PT_FAIL_AT("check failed: %s", #cond);                                                 \
    } while (0)

/** |a - b| <= tol; NaN only equals NaN. */
#define PT_NEAR(a, b, tol)                                                                         \
    do {                                                                                           \
        double pt_a_ = (double)(a), pt_b_ = (double)(b);                                           \
        bool pt_ok_ = (isnan(pt_a_) && isnan(pt_b_)) || fabs(pt_a_ - pt_b_) <= (double)(tol);      \
        if (!pt_ok_)                                                                               \
            PT_FAIL_AT("%s = %.10g, %s = %.10g, differ by more than %g", #a, pt_a_, #b, pt_b_,     \
                       (double)(tol));                                                             \
    } while (0)

#define PT_EQ_INT(a, b)                                                                            \
    do {                                                                                           \
        long long pt_a_ = (long long)(a), pt_b_ = (long long)(b);                                  \
        if (pt_a_ != pt_b_)                                                                        \
            PT_FAIL_AT("%s = %lld, expected %s = %lld", #a, pt_a_, #b, pt_b_);                     \
    } while (0)

#define PT_EQ_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *pt_a_ = (a), *pt_b_ = (b);                                                     \
        if (!pt_a_ || !pt_b_ || strcmp(pt_a_, pt_b_) != 0)                                         \
            PT_FAIL_AT("%s = \"%s\", expected \"%s\"", #a, pt_a_ ? pt_a_ : "(null)",               \
                       pt_b_ ? pt_b_ : "(null)");                                                  \
    } while (0)

/** The call returns >= 0; otherwise prints the library's message. */
#define PT_OK(call)                                                                                \
    do {                                                                                           \
        int pt_rc_ = (call);                                                                       \
        if (pt_rc_ < 0)                                                                            \
            PT_FAIL_AT("%s returned %s: %s", #call, prle_status_name(pt_rc_), prle_last_error());  \
    } while (0)

/** The call fails with exactly `code` and its message contains `substr` (NULL: any). */
#define PT_FAILS(call, code, substr)                                                               \
    do {                                                                                           \
        prle_error_clear();                                                                        \
        int pt_rc_ = (call);                                                                       \
        const char *pt_sub_ = (substr);                                                            \
        if (pt_rc_ != (code))                                                                      \
            PT_FAIL_AT("%s returned %s, expected %s (message: %s)", #call,                         \
                       prle_status_name(pt_rc_), prle_status_name(code), prle_last_error());       \
        else if (pt_sub_ && !strstr(prle_last_error(), pt_sub_))                                   \
            PT_FAIL_AT("%s: message \"%s\" lacks \"%s\"", #call, prle_last_error(), pt_sub_);      \
    } while (0)

/** Marks the current case skipped (its checks so far still count) and says why. */
#define PT_SKIP(...)                                                                               \
    do {                                                                                           \
        printf("SKIP %s: ", pt_current);                                                           \
        printf(__VA_ARGS__);                                                                       \
        putchar('\n');                                                                             \
        pt_current_skipped = true;                                                                 \
    } while (0)

#define PT_RUN(fn)                                                                                 \
    do {                                                                                           \
        int pt_before_ = pt_failed_checks;                                                         \
        pt_current = #fn;                                                                          \
        pt_current_skipped = false;                                                                \
        fn();                                                                                      \
        if (pt_failed_checks != pt_before_)                                                        \
            pt_failed++;                                                                           \
        else if (pt_current_skipped)                                                               \
            pt_skipped++;                                                                          \
        else                                                                                       \
            pt_passed++;                                                                           \
    } while (0)

/** Fills x[0..n) with standard normal draws from the stream (seed, purpose). */
static inline void pt_fill_normal(float *x, size_t n, uint64_t seed, const char *purpose)
{
    prle_rng r;
    prle_rng_init(&r, seed, purpose, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)prle_rng_normal(&r);
}

static inline int pt_report(void)
{
    printf("%d passed, %d failed, %d skipped\n", pt_passed, pt_failed, pt_skipped);
    return pt_failed ? 1 : pt_skipped ? PT_SKIP_CODE : 0;
}

/**
 * A path under the shared data folder (PRLE_SHARED_DATA, else ../shared/data); static buffer.
 * NULL, and the current case marked skipped, when it does not exist.
 */
static inline const char *pt_shared(const char *rel)
{
    static char buf[4][1024];
    static int slot;
    const char *dir = getenv("PRLE_SHARED_DATA");
    char *b = buf[slot++ & 3];
    snprintf(b, 1024, "%s%s%s", dir && *dir ? dir : "../shared/data", *rel ? "/" : "", rel);
    struct stat st;
    if (stat(b, &st) != 0) {
        PT_SKIP("no %s", b);
        return NULL;
    }
    return b;
}

/** A path under the test's scratch folder (PRLE_TEST_TMP, else /tmp); static buffer. */
static inline const char *pt_tmp(const char *name)
{
    static char buf[4][1024];
    static int slot;
    const char *dir = getenv("PRLE_TEST_TMP");
    char *b = buf[slot++ & 3];
    snprintf(b, 1024, "%s/%s", dir && *dir ? dir : "/tmp", name);
    return b;
}

/** The current folder ("" if unknown); static buffer. */
static inline const char *pt_cwd(void)
{
    static char buf[4096];
    return getcwd(buf, sizeof buf) ? buf : "";
}

/** "<dir>/<rel>" in a static buffer (four in turn). */
static inline const char *pt_join(const char *dir, const char *rel)
{
    static char buf[4][8192];
    static int slot;
    char *b = buf[slot++ & 3];
    snprintf(b, sizeof buf[0], "%.4095s/%.4000s", dir, rel);
    return b;
}

/** A path under tests/data (PRLE_TEST_DATA); static buffer. */
static inline const char *pt_data(const char *name)
{
    static char buf[4][1024];
    static int slot;
    const char *dir = getenv("PRLE_TEST_DATA");
    char *b = buf[slot++ & 3];
    snprintf(b, 1024, "%s/%s", dir && *dir ? dir : "tests/data", name);
    return b;
}

/** Writes `text` to `path` (a fixture made by the test itself); returns 0 or -1. */
static inline int pt_write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(text, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

/** The bytes of `path` (NUL-terminated; free() them), or NULL with a failed check. */
static inline unsigned char *pt_slurp(const char *path, size_t *len)
{
    char *buf = NULL;
    if (prle__read_file(&buf, len, path, 0) < 0) {
        PT_FAIL_AT("cannot read %s: %s", path, prle_last_error());
        return NULL;
    }
    return (unsigned char *)buf;
}

/** True when the two files hold the same bytes. */
static inline bool pt_files_equal(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    unsigned char *x = pt_slurp(a, &la), *y = pt_slurp(b, &lb);
    bool same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

#endif
