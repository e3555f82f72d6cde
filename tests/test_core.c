/* LABELS: unit */
#include <pthread.h>
#include <string.h>

#include "prle_test.h"

#include "core/error.h"
#include "core/matrix_int.h"
#include "core/progress.h"
#include "core/str.h"
#include "core/threads.h"

static void test_core__rng_repeatable_and_keyed(void)
{
    prle_rng a, b, c, d;
    prle_rng_init(&a, 42, "kernel.init", 0);
    prle_rng_init(&b, 42, "kernel.init", 0);
    prle_rng_init(&c, 42, "kmedoids", 0);
    prle_rng_init(&d, 42, "kernel.init", 1);
    int same_ab = 1, same_ac = 0, same_ad = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = prle_rng_next(&a), y = prle_rng_next(&b);
        same_ab &= (x == y);
        same_ac += (x == prle_rng_next(&c));
        same_ad += (x == prle_rng_next(&d));
    }
    PT_CHECK(same_ab);
    PT_EQ_INT(same_ac, 0);
    PT_EQ_INT(same_ad, 0);
}

static void test_core__rng_known_first_draws(void)
{
    /* Pins the stream: a change to seeding would silently change every model. */
    prle_rng r;
    prle_rng_init(&r, 0, "test", 0);
    uint64_t first = prle_rng_next(&r);
    prle_rng_init(&r, 0, "test", 0);
    PT_CHECK(prle_rng_next(&r) == first);
    PT_CHECK(first != 0);
}

static void test_core__rng_uniform_moments(void)
{
    prle_rng r;
    prle_rng_init(&r, 7, "moments", 0);
    double s = 0, s2 = 0, ns = 0, ns2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = prle_rng_uniform(&r);
        PT_CHECK(u >= 0.0 && u < 1.0);
        s += u;
        s2 += u * u;
        double z = prle_rng_normal(&r);
        ns += z;
        ns2 += z * z;
    }
    PT_NEAR(s / n, 0.5, 0.005);
    PT_NEAR(s2 / n - (s / n) * (s / n), 1.0 / 12.0, 0.002);
    PT_NEAR(ns / n, 0.0, 0.01);
    PT_NEAR(ns2 / n, 1.0, 0.02);
}

static void test_core__rng_below_is_uniform(void)
{
    prle_rng r;
    prle_rng_init(&r, 1, "below", 0);
    int counts[7] = {0};
    const int n = 70000;
    for (int i = 0; i < n; i++) {
        uint64_t v = prle_rng_below(&r, 7);
        PT_CHECK(v < 7);
        counts[v]++;
    }
    /* chi-square with 6 dof: 99.9 % quantile is 22.46 */
    double chi = 0;
    for (int k = 0; k < 7; k++)
        chi += (counts[k] - n / 7.0) * (counts[k] - n / 7.0) / (n / 7.0);
    PT_CHECK(chi < 22.46);
    PT_EQ_INT(prle_rng_below(&r, 1), 0);
}

static void test_core__shuffle_is_permutation(void)
{
    size_t idx[50];
    int seen[50] = {0};
    prle_rng r;
    for (size_t i = 0; i < 50; i++)
        idx[i] = i;
    prle_rng_init(&r, 3, "shuffle", 0);
    prle_rng_shuffle(&r, idx, 50);
    int moved = 0;
    for (size_t i = 0; i < 50; i++) {
        seen[idx[i]]++;
        moved += idx[i] != i;
    }
    for (int i = 0; i < 50; i++)
        PT_EQ_INT(seen[i], 1);
    PT_CHECK(moved > 30);
}

static void test_core__sample_is_shuffle_prefix_sorted(void)
{
    /* the first `take` of the same stream's shuffle, ascending; take 0 and take n */
    size_t idx[50], got[50], want[50] = {0};
    for (size_t i = 0; i < 50; i++)
        idx[i] = i;
    prle_rng r;
    prle_rng_init(&r, 3, "sample", 0);
    prle_rng_shuffle(&r, idx, 50);
    bool in[50] = {false};
    for (size_t i = 0; i < 17; i++)
        in[idx[i]] = true;
    for (size_t i = 0, at = 0; i < 50; i++)
        if (in[i])
            want[at++] = i;
    prle_rng_init(&r, 3, "sample", 0);
    PT_OK(prle_rng_sample(&r, got, 50, 17));
    PT_CHECK(memcmp(got, want, 17 * sizeof *got) == 0);
    for (size_t i = 1; i < 17; i++)
        PT_CHECK(got[i - 1] < got[i]);
    prle_rng_init(&r, 3, "sample", 0);
    PT_OK(prle_rng_sample(&r, got, 50, 50));
    for (size_t i = 0; i < 50; i++)
        PT_EQ_INT(got[i], i);
    PT_OK(prle_rng_sample(&r, got, 50, 0));
}

static void test_core__matrix_alloc_aligned_zeroed(void)
{
    prle_matrix m = {0};
    PT_OK(prle_matrix_alloc(&m, 3, 5));
    PT_CHECK(((uintptr_t)m.data & 63) == 0);
    for (size_t i = 0; i < 15; i++)
        PT_CHECK(m.data[i] == 0.0f);
    prle_matrix_row(&m, 2)[4] = 7.0f;
    prle_matrix c = {0};
    PT_OK(prle_matrix_copy(&c, &m));
    PT_CHECK(c.data[14] == 7.0f && c.rows == 3 && c.cols == 5);
    PT_CHECK(!prle_matrix_is_mapped(&c));
    prle_matrix_dispose(&m);
    prle_matrix_dispose(&c);
    PT_CHECK(m.data == NULL && m.rows == 0);
    prle_matrix_dispose(&m); /* disposing a zeroed matrix is a no-op */
}

static void test_core__matrix_overflow_is_enomem(void)
{
    prle_matrix m = {0};
    PT_FAILS(prle_matrix_alloc(&m, SIZE_MAX / 2, 3), PRLE_ENOMEM, "too large");
    PT_CHECK(m.data == NULL);
}

static void *other_thread(void *arg)
{
    (void)arg;
    prle__error_set(PRLE_EIO, "thread message");
    return NULL;
}

static void test_core__errors_thread_local_one_line(void)
{
    prle__error_set(PRLE_EINVAL, "bad value %d\nsecond line", 3);
    pthread_t t;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    PT_EQ_STR(prle_last_error(), "bad value 3 second line");
    PT_EQ_INT(prle_last_error_code(), PRLE_EINVAL);
    prle__error_prefix(PRLE_EFORMAT, "data.csv:%d", 4);
    PT_EQ_STR(prle_last_error(), "data.csv:4: bad value 3 second line");
    prle_error_clear();
    PT_EQ_STR(prle_last_error(), "");
    PT_EQ_STR(prle_status_name(PRLE_ESHAPE), "PRLE_ESHAPE");
}

static bool stop_at_three(const prle_progress *p, void *ud)
{
    (*(int *)ud)++;
    return p->done < 3;
}

static void test_core__progress_abort(void)
{
    int calls = 0;
    double t0 = prle__now();
    PT_OK(prle__progress(stop_at_three, &calls, "epoch", 1, 5, t0, NULL));
    PT_FAILS(prle__progress(stop_at_three, &calls, "epoch", 3, 5, t0, NULL), PRLE_EABORTED,
             "epoch");
    PT_EQ_INT(calls, 2);
    PT_OK(prle__progress(NULL, NULL, "epoch", 3, 5, t0, NULL));
}

typedef struct task_calls {
    size_t n, last, not_caller; /* calls, the last count seen, calls off the calling thread */
    size_t stop_at;             /* ask to stop at this count (0: never) */
} task_calls;

static bool count_task(const prle_progress *p, void *ud)
{
    task_calls *c = ud;
    c->n++, c->last = p->done;
    c->not_caller += prle__thread_num() != 0;
    return !c->stop_at || p->done < c->stop_at;
}

/* Items of an OpenMP loop: reports only from the calling thread, the end reported once, a stop
 * request skips the items not started and ends in PRLE_EABORTED naming the stage. */
static void test_core__tasks_progress(void)
{
    task_calls c = {0};
    prle__tasks t = prle__tasks_begin(count_task, &c, "grid", 40, "points");
    size_t ran = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(2) reduction(+ : ran)
    for (int i = 0; i < 40; i++)
        if (!prle__tasks_stopped(&t)) {
            ran++;
            prle__tasks_done(&t);
        }
    PT_EQ_INT(ran, 40);
    PT_OK(prle__tasks_end(&t));
    PT_EQ_INT(c.last, 40); /* the end, by the calling thread if a worker finished last */
    PT_EQ_INT(c.not_caller, 0);
    PT_CHECK(c.n >= 1 && c.n <= 40);

    c = (task_calls){.stop_at = 3};
    t = prle__tasks_begin(count_task, &c, "grid", 10, NULL);
    ran = 0;
    for (int i = 0; i < 10; i++) /* on the calling thread: every item reports */
        if (!prle__tasks_stopped(&t)) {
            ran++;
            prle__tasks_done(&t);
        }
    PT_EQ_INT(ran, 3);
    PT_FAILS(prle__tasks_end(&t), PRLE_EABORTED, "grid: stopped by the progress callback");
    PT_EQ_INT(c.n, 3);

    t = prle__tasks_begin(NULL, NULL, "grid", 2, NULL); /* no callback: counts only */
    prle__tasks_done(&t), prle__tasks_done(&t);
    PT_OK(prle__tasks_end(&t));
}

/* The user cache: XDG_CACHE_HOME when absolute, else HOME/.cache when absolute, else no cache
 * (a relative one would put a cache beside whatever folder the program runs in). */
static void cache_dir_is(const char *xdg, const char *home, const char *sub, const char *want)
{
    xdg ? setenv("XDG_CACHE_HOME", xdg, 1) : unsetenv("XDG_CACHE_HOME");
    home ? setenv("HOME", home, 1) : unsetenv("HOME");
    char *dir = (char *)"unset";
    if (want) {
        PT_OK(prle__user_cache_dir(&dir, sub));
        PT_EQ_STR(dir, want);
        free(dir);
    } else {
        PT_FAILS(prle__user_cache_dir(&dir, sub), PRLE_ENOTFOUND,
                 "no user cache folder: XDG_CACHE_HOME and HOME are unset or not absolute paths");
        PT_CHECK(dir == NULL);
    }
}

static void test_core__user_cache_dir_rule(void)
{
    char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    xdg = xdg ? prle__strdup(xdg) : NULL, home = home ? prle__strdup(home) : NULL;
    cache_dir_is("/x/cache", "/h", "vectors", "/x/cache/prle/vectors");
    cache_dir_is("/x/cache", "/h", NULL, "/x/cache/prle");
    cache_dir_is("rel/cache", "/h", "data", "/h/.cache/prle/data");
    cache_dir_is("", "/h", "data", "/h/.cache/prle/data");
    cache_dir_is(NULL, "/h", "llama", "/h/.cache/prle/llama");
    cache_dir_is(NULL, "rel", "data", NULL);
    cache_dir_is("", "", NULL, NULL);
    cache_dir_is(NULL, NULL, "vectors", NULL);
    xdg ? setenv("XDG_CACHE_HOME", xdg, 1) : unsetenv("XDG_CACHE_HOME");
    home ? setenv("HOME", home, 1) : unsetenv("HOME");
    free(xdg);
    free(home);
}

/* scikit-learn 1.2's StandardScaler().fit(X).scale_ of these float32 columns (as float64):
 * a column of scale 1e-20 is scaled, not taken for constant; a constant one is left at 1; one
 * near 1e6 that varies by float32 steps is scaled by its own spread */
static void test_core__col_scale_as_standard_scaler(void)
{
    const float x[16] = {1e-20f, 3.7f, 1, 1e6f, 3e-20f, 3.7f, 2, 1e6f + 0.0625f,
                         2e-20f, 3.7f, 3, 1e6f, 5e-20f, 3.7f, 4, 1e6f + 0.125f};
    const double want[4] = {1.4790198988389788e-20, 1, 1.1180339887498949, 0.051822262349303122};
    prle_matrix m = {0};
    PT_OK(prle_matrix_alloc(&m, 4, 4));
    memcpy(m.data, x, sizeof x);
    double mean[4], scale[4];
    prle__matrix_col_mean(mean, &m);
    prle__matrix_col_scale(scale, mean, &m);
    for (int j = 0; j < 4; j++)
        PT_NEAR(scale[j], want[j], 1e-12 * want[j]);
    prle_matrix_dispose(&m);
}

int main(void)
{
    prle_init(0);
    PT_RUN(test_core__rng_repeatable_and_keyed);
    PT_RUN(test_core__rng_known_first_draws);
    PT_RUN(test_core__rng_uniform_moments);
    PT_RUN(test_core__rng_below_is_uniform);
    PT_RUN(test_core__shuffle_is_permutation);
    PT_RUN(test_core__sample_is_shuffle_prefix_sorted);
    PT_RUN(test_core__matrix_alloc_aligned_zeroed);
    PT_RUN(test_core__matrix_overflow_is_enomem);
    PT_RUN(test_core__errors_thread_local_one_line);
    PT_RUN(test_core__progress_abort);
    PT_RUN(test_core__tasks_progress);
    PT_RUN(test_core__user_cache_dir_rule);
    PT_RUN(test_core__col_scale_as_standard_scaler);
    return pt_report();
}
