/* prle_embed shared over ranks (prle_embed_comm) without MPI: two threads play two ranks
 * through a comm made of a barrier and shared slots. The shared build writes the bytes one
 * process writes, for uneven shares; a failure on one rank stops both with an error instead of
 * leaving the other waiting, and nothing is written.
 * LABELS: unit io */
#include <pthread.h>
#include <sys/stat.h>

#include "prle_test.h"

#define RANKS 2

/* ---- a comm of threads: every collective is "write your slot, barrier, read, barrier" ---- */

typedef struct shared {
    pthread_barrier_t bar;
    long long slot[RANKS];
    const float *rows_of[RANKS];
} shared;

typedef struct rank_ud {
    shared *sh;
    int rank;
} rank_ud;

static int t_bcast(void *ud, int *value)
{
    rank_ud *u = ud;
    if (u->rank == 0)
        u->sh->slot[0] = *value;
    pthread_barrier_wait(&u->sh->bar);
    *value = (int)u->sh->slot[0];
    pthread_barrier_wait(&u->sh->bar);
    return 0;
}

static int t_min(void *ud, int *value)
{
    rank_ud *u = ud;
    u->sh->slot[u->rank] = *value;
    pthread_barrier_wait(&u->sh->bar);
    for (int r = 0; r < RANKS; r++)
        *value = u->sh->slot[r] < *value ? (int)u->sh->slot[r] : *value;
    pthread_barrier_wait(&u->sh->bar);
    return 0;
}

static int t_sum(void *ud, size_t *value)
{
    rank_ud *u = ud;
    u->sh->slot[u->rank] = (long long)*value;
    pthread_barrier_wait(&u->sh->bar);
    size_t s = 0;
    for (int r = 0; r < RANKS; r++)
        s += (size_t)u->sh->slot[r];
    *value = s;
    pthread_barrier_wait(&u->sh->bar);
    return 0;
}

static int t_gather(void *ud, float *all, const float *mine, const size_t *rows, size_t cols)
{
    rank_ud *u = ud;
    u->sh->rows_of[u->rank] = mine;
    pthread_barrier_wait(&u->sh->bar);
    if (u->rank == 0)
        for (int r = 0; r < RANKS; r++) {
            if (rows[r])
                memcpy(all, u->sh->rows_of[r], rows[r] * cols * sizeof *all);
            all += rows[r] * cols;
        }
    pthread_barrier_wait(&u->sh->bar);
    return 0;
}

typedef struct job {
    prle_embed_comm comm;
    rank_ud ud;
    prle_config cfg;
    prle_dataset *ds;
    int err;
    char msg[512];
} job;

static void *run_rank(void *arg)
{
    job *j = arg;
    prle_embed_params p = prle_embed_default_params();
    prle_embed_report rep = {0};
    p.comm = &j->comm;
    j->err = prle_embed(&rep, &j->cfg, j->ds, &p);
    snprintf(j->msg, sizeof j->msg, "%s", j->err < 0 ? prle_last_error() : "");
    prle_embed_report_dispose(&rep);
    return NULL;
}

/* ---- the fixture ---------------------------------------------------------------------------- */

static void write_rows(const char *name, size_t n, size_t from)
{
    static const char *const w[] = {"cat", "dog", "bird", "fish", "horse", "cow", "goat", "lion"};
    FILE *f = fopen(pt_tmp(name), "wb");
    PT_CHECK(f != NULL);
    if (!f)
        return;
    fputs("s1\ts2\tscore\n", f);
    for (size_t i = from; i < from + n; i++)
        fprintf(f, "the %s and the %s\ta %s runs far\t%zu\n", w[i % 8], w[(i * 3) % 8],
                w[(i * 5) % 8], i % 6);
    fclose(f);
}

static int load_config(prle_config *cfg, const char *dir, const char *extra)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "data:\n  name: comm\n  format: tsv\n  header: true\n"
             "  files: {train: %s, validation: %s, test: %s}\n"
             "  text_fields: [s1, s2]\n  label_field: score\n  label_min: 0\n  label_max: 5\n"
             "  embedding_cache_dir: %s\n"
             "model:\n%s"
             "train:\n  seed: 5\n  threads: 1\n",
             pt_tmp("comm_train.tsv"), pt_tmp("comm_valid.tsv"), pt_tmp("comm_test.tsv"),
             pt_tmp(dir), extra ? extra : "  encoder_type: hashing\n  hidden_dim: 12\n");
    return prle_config_load_string(cfg, yaml, strlen(yaml), "comm.yaml", NULL);
}

/* Runs prle_embed on RANKS threads, rank r with `extra[r]` config lines; returns the errors. */
static void run_shared(job jobs[RANKS], const char *dir, const char *const extra[RANKS])
{
    shared sh;
    pthread_t th[RANKS];
    pthread_barrier_init(&sh.bar, NULL, RANKS);
    for (int r = 0; r < RANKS; r++) {
        job *j = &jobs[r];
        *j = (job){0};
        j->ud = (rank_ud){&sh, r};
        j->comm = (prle_embed_comm){r, RANKS, &j->ud, t_bcast, t_min, t_gather, t_sum};
        PT_OK(load_config(&j->cfg, dir, extra ? extra[r] : NULL));
        PT_OK(prle_dataset_load(&j->ds, &j->cfg.data, j->cfg.train.seed, NULL));
    }
    for (int r = 0; r < RANKS; r++)
        pthread_create(&th[r], NULL, run_rank, &jobs[r]);
    for (int r = 0; r < RANKS; r++)
        pthread_join(th[r], NULL);
    pthread_barrier_destroy(&sh.bar);
}

static void jobs_dispose(job jobs[RANKS])
{
    for (int r = 0; r < RANKS; r++) {
        prle_dataset_free(jobs[r].ds);
        prle_config_dispose(&jobs[r].cfg);
    }
}

static const char *in(const char *dir, const char *file)
{
    static char b[2][1200];
    static int k;
    char *p = b[k++ & 1];
    snprintf(p, 1200, "%s/%s", pt_tmp(dir), file);
    return p;
}

/* 13 / 5 / 3 rows over 2 ranks (7 + 6, 3 + 2, 2 + 1): the files one process writes. */
static void test_embed_comm__same_bytes(void)
{
    static const char *const files[] = {"train_embeds.npy", "validation_embeds.npy",
                                        "test_embeds.npy", PRLE_EMBED_MANIFEST};
    write_rows("comm_train.tsv", 13, 0);
    write_rows("comm_valid.tsv", 5, 13);
    write_rows("comm_test.tsv", 3, 18);
    prle_config cfg;
    prle_dataset *ds = NULL;
    prle_embed_report rep = {0};
    PT_OK(load_config(&cfg, "comm_one", NULL));
    PT_OK(prle_dataset_load(&ds, &cfg.data, cfg.train.seed, NULL));
    PT_OK(prle_embed(&rep, &cfg, ds, NULL));
    prle_embed_report_dispose(&rep);
    prle_dataset_free(ds);
    prle_config_dispose(&cfg);

    job jobs[RANKS];
    run_shared(jobs, "comm_two", NULL);
    for (int r = 0; r < RANKS; r++)
        PT_EQ_INT(jobs[r].err, 0);
    for (size_t i = 0; i < 4; i++)
        PT_CHECK(pt_files_equal(in("comm_one", files[i]), in("comm_two", files[i])));
    jobs_dispose(jobs);

    /* again: rank 0 finds the cache and tells rank 1 there is nothing to do */
    run_shared(jobs, "comm_two", NULL);
    for (int r = 0; r < RANKS; r++)
        PT_EQ_INT(jobs[r].err, 0);
    jobs_dispose(jobs);
}

/* Rank 1 cannot make its encoder (GloVe vectors that do not exist): both ranks fail, rank 0
 * saying another rank failed; no cache is written. */
static void test_embed_comm__one_rank_fails(void)
{
    static const char *const extra[RANKS] = {
        NULL, "  encoder_type: glove\n  vectors: /nonexistent/vectors.txt\n"};
    write_rows("comm_train.tsv", 13, 0);
    write_rows("comm_valid.tsv", 5, 13);
    write_rows("comm_test.tsv", 3, 18);
    job jobs[RANKS];
    run_shared(jobs, "comm_fail", extra);
    PT_CHECK(jobs[0].err < 0);
    PT_CHECK(jobs[1].err < 0);
    PT_CHECK(strstr(jobs[0].msg, "another rank failed") != NULL);
    PT_CHECK(strstr(jobs[1].msg, "/nonexistent/vectors.txt") != NULL);
    struct stat st;
    PT_CHECK(stat(in("comm_fail", "train_embeds.npy"), &st) != 0);
    jobs_dispose(jobs);
}

int main(void)
{
    PT_RUN(test_embed_comm__same_bytes);
    PT_RUN(test_embed_comm__one_rank_fails);
    return pt_report();
}
