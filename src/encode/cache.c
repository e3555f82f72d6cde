/* The embedding cache (SPEC.md §2-§3): {dir}/{split}_embeds.npy + embeds_manifest.json.
 *
 * The manifest records everything the .npy files depend on (encoder describe() line, text
 * construction, per split the data file's path/size/sha256 and the sha256 of the rows as
 * loaded) and what was written (rows, width, size and sha256 of each .npy). A cache is
 * reused only when all of it matches; otherwise it is rebuilt and `reason` says why. The old
 * manifest goes first and the new one is written last, so an interrupted build never leaves
 * a cache that looks complete.
 *
 * Whose files (issue 13): a build first writes MARKER into the folder; .npy files with neither
 * a manifest nor the marker were made elsewhere and are never overwritten (an error names the
 * folder). Who reads: prle_embed holds a flock on the folder, shared while it checks and while
 * the report lives (the caller reads the .npy files under it), exclusive while it builds; after
 * a build it re-checks under the shared lock, so a run never reads another run's build.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/str.h"
#include "data/download.h"
#include "encode/embed_internal.h"
#include "io/fileio.h"
#include "io/json.h"
#include "prle/encoder.h"
#include "prle/npy.h"

#define FORMAT_NAME "prle-embed-cache"
#define FORMAT_VERSION 1
#define MARKER ".prle-cache" /* written before a build's first .npy: the folder is ours */
#define LOCK_TRIES 4         /* check, build, check again: more means builds keep racing */

static const char *const mode_names[] = {[PRLE__TEXT_SINGLE] = "single",
                                         [PRLE__TEXT_JOINED] = "joined",
                                         [PRLE__TEXT_PAIR] = "pair [u, v, u+v, |u-v|, u*v]"};

static char *xprintf(const char *fmt, ...) PRLE__PRINTF(1, 2);
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

prle_embed_params prle_embed_default_params(void)
{
    return (prle_embed_params){NULL, NULL, NULL, false};
}

void prle_embed_report_dispose(prle_embed_report *r)
{
    if (!r)
        return;
    free(r->dir), free(r->manifest_path), free(r->encoder), free(r->reason);
    if (r->locked)
        close(r->lock_fd); /* releases the shared lock */
    *r = (prle_embed_report){0};
}

int prle_embed_path(char **out, const prle_config *cfg, prle_split split)
{
    const char *dir = cfg->data.embedding_cache_dir;
    if (!dir || !*dir)
        return prle__error_set(PRLE_EINVAL, "data.embedding_cache_dir is not set");
    if ((int)split < 0 || (int)split >= PRLE_N_SPLITS)
        return prle__error_set(PRLE_EINVAL, "embeddings: bad split %d", (int)split);
    if (!(*out = xprintf("%s/%s_embeds.npy", dir, prle_split_name(split))))
        return prle__error_nomem("embeddings path");
    return 0;
}

int prle_embed_load(prle_matrix *out, const prle_config *cfg, const prle_dataset *ds,
                    prle_split split)
{
    char *path = NULL;
    prle_matrix m = {0};
    int err = prle_embed_path(&path, cfg, split);
    if (err < 0 || (err = prle_npy_load(&m, path)) < 0)
        goto done;
    if (ds && m.rows != prle_dataset_n_rows(ds, split)) {
        err = prle__error_set(PRLE_ESHAPE, "%s: %zu rows, the %s split has %zu", path, m.rows,
                              prle_split_name(split), prle_dataset_n_rows(ds, split));
        goto done;
    }
    *out = m;
    m = (prle_matrix){0};
done:
    prle_matrix_dispose(&m);
    free(path);
    return err;
}

/* ---- what this call would build -------------------------------------------------------- */

static cJSON *text_json(const prle_config *cfg, const prle_dataset *ds)
{
    prle__text_mode mode = prle__embed_text_mode(cfg, ds);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    const char *tok = cfg->data.combine_separator_token ? cfg->data.combine_separator_token : "";
    bool joined = mode == PRLE__TEXT_JOINED;
    if (prle__json_add_int(o, "texts_per_row", (int64_t)prle_dataset_n_texts(ds)) < 0 ||
        prle__json_add_string(o, "construction", mode_names[mode]) < 0 ||
        prle__json_add(o, "separator_token",
                       joined ? cJSON_CreateString(tok) : cJSON_CreateNull()) < 0 ||
        prle__json_add_bool(o, "l2_normalize", prle__embed_normalizes(cfg)) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *data_json(const prle_dataset *ds, prle_split s)
{
    const prle_dataset_split_info *in = prle_dataset_info(ds, s);
    cJSON *o = cJSON_CreateObject();
    if (!o || !in || prle__json_add_string(o, "path", in->path ? in->path : "") < 0 ||
        prle__json_add_int(o, "size", (int64_t)in->size) < 0 ||
        prle__json_add_string(o, "sha256", in->sha256) < 0 ||
        prle__json_add_string(o, "rows_sha256", in->rows_sha256) < 0 ||
        prle__json_add_int(o, "rows", (int64_t)in->n_rows) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* ---- checking a cache ------------------------------------------------------------------ */

static bool str_eq(const cJSON *obj, const char *key, const char *want)
{
    const char *s;
    return prle__json_get_string(&s, obj, key) == 0 && strcmp(s, want) == 0;
}

/* Paths compare after lexical normalisation: manifests written before config paths were
 * normalised hold "/a/configs/../data/x.csv" where the dataset now says "/a/data/x.csv". */
static bool path_eq(const cJSON *obj, const char *key, const char *want)
{
    const char *s;
    if (prle__json_get_string(&s, obj, key) < 0)
        return false;
    char *a = prle__path_join_norm(NULL, s), *b = prle__path_join_norm(NULL, want);
    bool eq = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    return eq;
}

static bool size_eq(const cJSON *obj, const char *key, size_t want)
{
    size_t v;
    return prle__json_get_size(&v, obj, key) == 0 && v == want;
}

static char *compact(const cJSON *o)
{
    char *s = NULL;
    if (!o)
        return xprintf("(none)");
    return prle__json_print(&s, NULL, o, false) < 0 ? NULL : s;
}

/* Sets `*r` (heap; NULL if memory ran out) to why the stored split `sp` does not match and
 * returns true, or returns false on a match. */
static bool split_mismatch(char **r, const cJSON *sp, const prle_dataset *ds, prle_split s,
                           const char *dir)
{
    const char *name = prle_split_name(s);
    const prle_dataset_split_info *in = prle_dataset_info(ds, s);
    const cJSON *data = NULL, *npy = NULL;
    const char *file, *sha;
    size_t size;
    if (!sp || prle__json_get_object(&data, sp, "data") < 0 ||
        prle__json_get_object(&npy, sp, "npy") < 0 ||
        prle__json_get_string(&file, npy, "file") < 0 ||
        prle__json_get_string(&sha, npy, "sha256") < 0 ||
        prle__json_get_size(&size, npy, "size") < 0)
        *r = xprintf("the manifest has no complete entry for the %s split", name);
    else if (!path_eq(data, "path", in->path ? in->path : ""))
        *r = xprintf("the %s data file is now %s", name, in->path);
    else if (!size_eq(data, "size", (size_t)in->size) || !str_eq(data, "sha256", in->sha256))
        *r = xprintf("the %s data file %s changed (size or sha256)", name, in->path);
    else if (!str_eq(data, "rows_sha256", in->rows_sha256) || !size_eq(data, "rows", in->n_rows))
        *r = xprintf("the %s rows as loaded changed (fields, filters, split or seed)", name);
    else {
        char got[65], *path = xprintf("%s/%s", dir, file);
        uint64_t got_size = 0;
        if (!path) {
            *r = NULL;
            return true;
        }
        int rc = prle__sha256_file(got, &got_size, path);
        if (rc == 0 && got_size == size && strcmp(got, sha) == 0) {
            free(path);
            return false;
        }
        if (rc == PRLE_ENOTFOUND)
            *r = xprintf("%s is missing", path);
        else if (rc < 0)
            *r = xprintf("%s is unreadable: %s", path, prle_last_error());
        else
            *r = xprintf("%s does not match the manifest (changed or truncated)", path);
        free(path);
    }
    return true;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Sets `*r` (heap; NULL if memory ran out) to why the cache does not match and returns
 * true, or returns false on a match (then `*stored` holds the parsed manifest); `*stale`
 * when something was there. */
static bool cache_mismatch(char **r, bool *stale, bool *foreign, cJSON **stored, const char *path,
                           const char *dir, const char *encoder, const cJSON *text,
                           const prle_dataset *ds, const prle_config *cfg)
{
    cJSON *m = NULL;
    char *a = NULL, *b = NULL;
    bool mismatch = true;
    *r = NULL;
    *stale = true;
    int rc = prle__json_read_file(&m, path);
    if (rc == PRLE_ENOTFOUND) {
        bool any = false;
        for (int s = 0; s < PRLE_N_SPLITS; s++) {
            char *p = NULL;
            if (prle_embed_path(&p, cfg, (prle_split)s) == 0)
                any |= file_exists(p);
            free(p);
        }
        *stale = any;
        char *marker = xprintf("%s/%s", dir, MARKER);
        *foreign = any && marker && !file_exists(marker);
        free(marker);
        *r = *foreign ? xprintf("%s holds *_embeds.npy files that PRLE did not write (no %s, no "
                                "%s): they are not overwritten; point data.embedding_cache_dir "
                                "at another folder, or read them with model.encoder_type: npy",
                                dir, PRLE_EMBED_MANIFEST, MARKER)
             : any
                 ? xprintf("%s is missing beside existing .npy files (an interrupted build)", path)
                 : xprintf("no cache yet");
        goto done;
    }
    if (rc < 0) {
        *r = xprintf("the manifest is unreadable: %s", prle_last_error());
        goto done;
    }
    int64_t version = 0;
    const char *enc_was = "";
    const cJSON *splits = NULL, *stored_text = NULL;
    if (!str_eq(m, "format", FORMAT_NAME) || prle__json_get_int(&version, m, "version") < 0 ||
        version != FORMAT_VERSION) {
        *r = xprintf("%s is not a version %d %s manifest", path, FORMAT_VERSION, FORMAT_NAME);
        goto done;
    }
    if (prle__json_get_string(&enc_was, m, "encoder") < 0 || strcmp(enc_was, encoder) != 0) {
        *r = xprintf("the encoder settings changed (were \"%s\", now \"%s\")", enc_was, encoder);
        goto done;
    }
    (void)prle__json_get_object(&stored_text, m, "text");
    a = compact(stored_text), b = compact(text);
    if (!a || !b)
        goto done;
    if (strcmp(a, b) != 0) {
        *r = xprintf("the text construction changed (was %s, now %s)", a, b);
        goto done;
    }
    if (prle__json_get_object(&splits, m, "splits") < 0) {
        *r = xprintf("the manifest has no splits");
        goto done;
    }
    mismatch = false;
    for (int s = 0; s < PRLE_N_SPLITS && !mismatch; s++) {
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(splits, prle_split_name((prle_split)s));
        mismatch = split_mismatch(r, sp, ds, (prle_split)s, dir);
    }
done:
    free(a), free(b);
    if (mismatch)
        cJSON_Delete(m);
    else
        *stored = m;
    return mismatch;
}

/* Fills the report's splits from a matching manifest. */
static void report_from_manifest(prle_embed_report *rep, const cJSON *m)
{
    const cJSON *splits = cJSON_GetObjectItemCaseSensitive(m, "splits");
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(splits, prle_split_name((prle_split)s));
        const cJSON *npy = cJSON_GetObjectItemCaseSensitive(sp, "npy");
        prle_embed_split_report *r = &rep->splits[s];
        (void)prle__json_get_size(&r->rows, npy, "rows");
        (void)prle__json_get_size(&r->cols, npy, "cols");
        (void)prle__json_get_size(&r->n_texts, sp, "texts");
        (void)prle__json_get_size(&r->n_empty, sp, "empty_texts");
    }
}

/* ---- building -------------------------------------------------------------------------- */

typedef struct progress_ctx {
    prle_progress_fn fn;
    void *ud;
} progress_ctx;

/* One split's embeddings into `out` from its raw per-text ones (moved or combined) per `mode`:
 * normalised per text, then pair features. */
static int finish_split(prle_matrix *out, prle__embed_raw *raw, prle_split s, prle__text_mode mode,
                        const prle_config *cfg)
{
    prle_matrix *u = &raw->side[s][0], *v = &raw->side[s][1];
    if (prle__embed_normalizes(cfg)) {
        prle__embed_l2_normalize_rows(u);
        prle__embed_l2_normalize_rows(v);
    }
    if (mode == PRLE__TEXT_PAIR)
        return prle__pair_features(out, u, v, cfg->train.threads);
    *out = *u;
    *u = (prle_matrix){0};
    return 0;
}

static cJSON *npy_json(const char *file, const prle_matrix *m, uint64_t size, const char *sha)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || prle__json_add_string(o, "file", file) < 0 ||
        prle__json_add_int(o, "rows", (int64_t)m->rows) < 0 ||
        prle__json_add_int(o, "cols", (int64_t)m->cols) < 0 ||
        prle__json_add_int(o, "size", (int64_t)size) < 0 ||
        prle__json_add_string(o, "sha256", sha) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int write_marker(const char *dir)
{
    char *path = xprintf("%s/%s", dir, MARKER);
    if (!path)
        return prle__error_nomem("cache marker");
    int err = 0;
    if (!file_exists(path)) {
        FILE *f = fopen(path, "w");
        if (!f || fputs("PRLE embedding cache: prle embed rebuilds the .npy files here.\n", f) < 0)
            err = prle__error_errno(path);
        if (f && fclose(f) != 0 && err == 0)
            err = prle__error_errno(path);
    }
    free(path);
    return err;
}

/* flock on the cache folder; waits for other processes. A file system without locks (some
 * network and FUSE mounts) is used unlocked, as before issue 13. */
static int lock_dir(int fd, int op, const char *dir)
{
    while (flock(fd, op) != 0)
        if (errno == ENOLCK || errno == EOPNOTSUPP) /* ENOTSUP too, on Linux */
            return 0;
        else if (errno != EINTR)
            return prle__error_set(PRLE_EIO, "%s: cannot lock the cache folder: %s", dir,
                                   strerror(errno));
    return 0;
}

/* Fits, encodes and writes every split, then the manifest. */
static int cache_build(prle_embed_report *rep, prle_encoder *enc, const prle_config *cfg,
                       const prle_dataset *ds, cJSON *text, const progress_ctx *pc,
                       const prle_embed_comm *comm)
{
    prle__embed_raw raw = {0};
    prle__text_mode mode = prle__embed_text_mode(cfg, ds);
    char *paths[PRLE_N_SPLITS] = {0};
    bool written[PRLE_N_SPLITS] = {0};
    cJSON *root = cJSON_CreateObject(), *splits = cJSON_CreateObject();
    int err = 0;
    if (!root || !splits) {
        cJSON_Delete(splits);
        splits = NULL;
        err = prle__error_nomem("manifest");
    }
    /* no early exit before prle__embed_encode_all: under a comm the other ranks wait there */
    if (err < 0 || (err = prle__json_add_string(root, "format", FORMAT_NAME)) < 0 ||
        (err = prle__json_add_int(root, "version", FORMAT_VERSION)) < 0 ||
        (err = prle__json_add_string(root, "prle_version", prle_version())) < 0 ||
        (err = prle__json_add_string(root, "encoder_type", cfg->model.encoder_type)) < 0 ||
        (err = prle__json_add_string(root, "encoder", prle_encoder_describe(enc))) < 0 ||
        (err = prle__json_add(root, "encoder_name", /* free text, not compared */
                              cfg->model.encoder_name ? cJSON_CreateString(cfg->model.encoder_name)
                                                      : cJSON_CreateNull())) < 0 ||
        (err = prle__json_add(root, "text", cJSON_Duplicate(text, true))) < 0 ||
        (err = prle__json_add_string(root, "dataset", prle_dataset_name(ds))) < 0 ||
        (err = prle__json_add(root, "splits", splits)) < 0)
        ;
    else if ((err = prle__mkdir_p(cfg->data.embedding_cache_dir)) == 0 &&
             (err = write_marker(rep->dir)) == 0 && unlink(rep->manifest_path) != 0 &&
             errno != ENOENT)
        err =
            prle__error_set(PRLE_EIO, "%s: cannot remove: %s", rep->manifest_path, strerror(errno));
    /* collective under a comm: the other ranks are in follow_builds */
    if ((err = prle__embed_encode_all(&raw, enc, cfg, ds, comm, pc->fn, pc->ud, err)) < 0)
        goto done;
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        prle_embed_split_report *r = &rep->splits[s];
        prle_matrix m = {0};
        char sha[65];
        uint64_t size = 0;
        double t0 = prle__now();
        cJSON *sp = cJSON_CreateObject();
        if (!sp || (err = prle__json_add(splits, prle_split_name((prle_split)s), sp)) < 0) {
            err = prle__error_nomem("manifest");
            goto done;
        }
        r->rows = prle_dataset_n_rows(ds, (prle_split)s);
        r->n_texts = raw.n_texts[s];
        r->n_empty = raw.n_empty[s];
        r->n_tokens = raw.n_tokens[s];
        if ((err = prle_embed_path(&paths[s], cfg, (prle_split)s)) < 0 ||
            (err = finish_split(&m, &raw, (prle_split)s, mode, cfg)) < 0)
            goto done;
        r->cols = m.cols;
        written[s] = true; /* from here on a failure removes it */
        err = prle_npy_save(paths[s], &m);
        if (err == 0)
            err = prle__sha256_file(sha, &size, paths[s]);
        const char *file = strrchr(paths[s], '/') ? strrchr(paths[s], '/') + 1 : paths[s];
        if (err == 0 && ((err = prle__json_add(sp, "data", data_json(ds, (prle_split)s))) < 0 ||
                         (err = prle__json_add(sp, "npy", npy_json(file, &m, size, sha))) < 0 ||
                         (err = prle__json_add_int(sp, "texts", (int64_t)r->n_texts)) < 0 ||
                         (err = prle__json_add_int(sp, "empty_texts", (int64_t)r->n_empty)) < 0))
            err = prle__error_nomem("manifest");
        prle_matrix_dispose(&m);
        r->seconds = raw.seconds[s] + prle__now() - t0;
        if (err < 0)
            goto done;
    }
    err = prle__json_write_file(rep->manifest_path, root);
done:
    prle__embed_raw_dispose(&raw);
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        if (err < 0 && written[s])
            unlink(paths[s]);
        free(paths[s]);
    }
    cJSON_Delete(root);
    return err;
}

/* ---- the stage ------------------------------------------------------------------------- */

/* A rank other than 0: builds with rank 0 each time it says 1 (cache_build's collective
 * part), until it sends its final status. */
static int follow_builds(prle_encoder *enc, const prle_config *cfg, const prle_dataset *ds,
                         const prle_embed_comm *comm)
{
    for (;;) {
        int v = 0, rc = comm->bcast_int(comm->ud, &v);
        if (rc < 0)
            return rc;
        if (v < 0)
            return prle__error_set(v, "rank 0 stopped (%s)", prle_status_name(v));
        if (v != 1)
            return 0;
        prle__embed_raw raw = {0};
        (void)prle__embed_encode_all(&raw, enc, cfg, ds, comm, NULL, NULL, 0);
        prle__embed_raw_dispose(&raw); /* rank 0 reports a failure in its final status */
    }
}

int prle_embed(prle_embed_report *out, const prle_config *cfg, const prle_dataset *ds,
               const prle_embed_params *params)
{
    prle_embed_params p = params ? *params : prle_embed_default_params();
    progress_ctx pc = {p.progress, p.progress_ud};
    prle_embed_report rep = {0};
    prle_encoder *enc = NULL;
    cJSON *text = NULL, *stored = NULL;
    double t0 = prle__now();
    const char *dir = cfg->data.embedding_cache_dir;
    const char *type = cfg->model.encoder_type ? cfg->model.encoder_type : "";
    int err = 0;
    *out = (prle_embed_report){0};
    bool shared = p.comm && p.comm->size > 1, waiting = false;
    if (!dir || !*dir)
        return prle__error_set(PRLE_EINVAL, "data.embedding_cache_dir is not set");
    if (shared && p.comm->rank != 0 && strcmp(type, "npy") == 0)
        return 0; /* inputs: rank 0 checks them */
    if (shared && strcmp(type, "npy") != 0) {
        /* the encoder first, on every rank, so that all of them agree it loaded */
        err = prle__embed_agree(p.comm, prle_encoder_new(&enc, cfg));
        if (err == 0 && p.comm->rank != 0)
            err = follow_builds(enc, cfg, ds, p.comm);
        if (err < 0 || p.comm->rank != 0) {
            prle_encoder_free(enc);
            return err;
        }
        waiting = true; /* the other ranks wait in follow_builds until `done` */
    }
    if (!(rep.dir = xprintf("%s", dir))) {
        err = prle__error_nomem("embed report");
        goto done;
    }
    if (strcmp(type, "npy") == 0) {
        rep.is_input = true;
        if (!(rep.encoder = xprintf("npy"))) {
            err = prle__error_nomem("embed report");
            goto done;
        }
        err = prle__embed_check_inputs(&rep, cfg, ds);
        rep.seconds_setup = prle__now() - t0;
        goto done;
    }
    if (!enc && (err = prle_encoder_new(&enc, cfg)) < 0)
        goto done;
    if (!(rep.encoder = xprintf("%s", prle_encoder_describe(enc))) ||
        !(rep.manifest_path = xprintf("%s/%s", dir, PRLE_EMBED_MANIFEST)) ||
        !(text = text_json(cfg, ds))) {
        err = prle__error_nomem("embed report");
        goto done;
    }
    if ((err = prle__mkdir_p(dir)) < 0)
        goto done;
    if ((rep.lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        err = prle__error_errno(dir);
        goto done;
    }
    rep.locked = true;
    if ((err = lock_dir(rep.lock_fd, LOCK_SH, dir)) < 0)
        goto done;
    for (int tries = 0;; tries++) {
        char *why = NULL;
        bool stale = false, foreign = false;
        cJSON_Delete(stored);
        stored = NULL;
        if (p.force && !rep.reason) {
            stale = file_exists(rep.manifest_path);
            if (!(why = xprintf("a rebuild was asked for")))
                err = prle__error_nomem("embed report");
        } else if (cache_mismatch(&why, &stale, &foreign, &stored, rep.manifest_path, dir,
                                  rep.encoder, text, ds, cfg) &&
                   !why) {
            err = prle__error_nomem("cache check");
        }
        if (tries == 0)
            rep.seconds_setup = prle__now() - t0;
        if (err == 0 && !why) { /* a match: reused, or our build still in place */
            if (!rep.reason) {
                rep.reused = true;
                report_from_manifest(&rep, stored);
            }
            break;
        }
        if (err == 0 && foreign)
            err = prle__error_set(PRLE_EINVAL, "%s", why);
        else if (err == 0 && cfg->model.skip_loading_encoder)
            err = prle__error_set(PRLE_EINVAL,
                                  "model.skip_loading_encoder is true but the cache in %s cannot "
                                  "be used: %s",
                                  dir, why);
        else if (err == 0 && tries >= LOCK_TRIES)
            err = prle__error_set(PRLE_EIO,
                                  "%s: the cache keeps changing under this run (%s): other runs "
                                  "build it with other settings at the same time",
                                  dir, why);
        if (err < 0) {
            free(why);
            goto done;
        }
        if (!rep.reason) { /* why this call builds: the first mismatch */
            rep.reason = why;
            rep.stale = stale;
        } else {
            free(why);
        }
        /* exclusive while building (another process may build in between: built again) */
        if ((err = lock_dir(rep.lock_fd, LOCK_EX, dir)) < 0 ||
            (err = prle__sweep_stale(dir, "", NULL)) < 0 || /* killed builds' temporaries */
            (waiting && (err = p.comm->bcast_int(p.comm->ud, &(int){1})) < 0) ||
            (err = cache_build(&rep, enc, cfg, ds, text, &pc, waiting ? p.comm : NULL)) < 0 ||
            (err = lock_dir(rep.lock_fd, LOCK_SH, dir)) < 0)
            goto done;
    }
done:
    if (waiting) { /* the last word to the other ranks: done, or failed */
        int last = err < 0 ? err : 0;
        int rc = p.comm->bcast_int(p.comm->ud, &last);
        err = err < 0 ? err : rc;
    }
    rep.seconds = prle__now() - t0;
    cJSON_Delete(text);
    cJSON_Delete(stored);
    prle_encoder_free(enc);
    if (err < 0) {
        prle_embed_report_dispose(&rep);
        return err;
    }
    *out = rep;
    return 0;
}
