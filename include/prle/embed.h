/* Stage 0 output: the embedding cache {data.embedding_cache_dir}/{split}_embeds.npy (SPEC.md §3).
 */
#ifndef PRLE_EMBED_H
#define PRLE_EMBED_H

#include "prle/common.h"
#include "prle/config.h"
#include "prle/dataset.h"
#include "prle/matrix.h"

PRLE_BEGIN_DECL

/** The manifest beside the cached .npy files: `{embedding_cache_dir}/PRLE_EMBED_MANIFEST`. */
#define PRLE_EMBED_MANIFEST "embeds_manifest.json"

/**
 * Processes sharing one prle_embed call (ranks of `mpirun`; the tool's cli/mpi.c fills it from
 * MPI). Every rank calls prle_embed with the same config and dataset; each encodes its share of
 * the rows, rank 0 gathers them and alone checks, locks and writes the cache, so the files are
 * those one process writes. Each function is collective (every rank calls it, in the same
 * order) and returns 0 or a negative prle_status.
 */
typedef struct prle_embed_comm {
    int rank; /**< this process, 0 .. size-1 */
    int size; /**< processes */
    void *ud; /**< passed to the functions */
    /** `*value` becomes rank 0's value on every rank. */
    int (*bcast_int)(void *ud, int *value);
    /** `*value` becomes the smallest value over the ranks. */
    int (*min_int)(void *ud, int *value);
    /** Rank r holds rows[r] rows of `cols` floats in `mine`; rank 0 receives them all, in rank
     *  order, into `all` (sum of rows[] rows; NULL on other ranks). */
    int (*gather_rows)(void *ud, float *all, const float *mine, const size_t *rows, size_t cols);
    /** `*value` becomes the sum over the ranks. */
    int (*sum_size)(void *ud, size_t *value);
} prle_embed_comm;

/** Options of prle_embed that are not part of the config; start from the defaults. */
typedef struct prle_embed_params {
    /** Progress per split: stage "embed:train" (then validation, test), units = texts
     *  encoded; also "embed:fit" while the encoder learns from the train texts. May be
     *  NULL. Returning false stops with PRLE_EABORTED and leaves no cache behind. */
    prle_progress_fn progress;
    void *progress_ud;
    /** Several processes share the work (see prle_embed_comm); NULL (the default) or a
     *  size of 1: this process alone. Borrowed for the call. */
    const prle_embed_comm *comm;
    /** Rebuild even when the cache matches. Default false. */
    bool force;
} prle_embed_params;

/** The defaults: no progress, no forced rebuild. */
PRLE_API prle_embed_params prle_embed_default_params(void);

/** One split's embeddings. */
typedef struct prle_embed_split_report {
    size_t rows;     /**< N: the split's rows */
    size_t cols;     /**< H: the width (5·d for pair features) */
    size_t n_texts;  /**< texts encoded: 2 per row for pair features, else 1 */
    size_t n_empty;  /**< of those, texts with no known word or feature (zero vectors) */
    double seconds;  /**< encoding and writing this split; 0 when reused */
    size_t n_tokens; /**< tokens the model read (gguf, after truncation); 0 for other encoders
                          and when reused */
} prle_embed_split_report;

/** What prle_embed did. Dispose with prle_embed_report_dispose. */
typedef struct prle_embed_report {
    prle_embed_split_report splits[PRLE_N_SPLITS]; /**< train, validation, test */
    char *dir;                                     /**< the cache folder */
    char *manifest_path;                           /**< the manifest (NULL for encoder_type npy) */
    char *encoder;        /**< the encoder's describe() line ("npy" for precomputed inputs) */
    char *reason;         /**< why the cache was built, one line ("no cache yet", "encoder
                               settings changed: ...", "forced"); NULL when reused */
    double seconds_setup; /**< creating the encoder and checking the cache */
    double seconds;       /**< the whole call */
    bool reused;          /**< a matching cache was found; nothing was encoded or written */
    bool stale;           /**< a cache (or stray .npy files) existed but did not match: it
                               was rebuilt, `reason` says why */
    bool is_input;        /**< encoder_type npy: the files are inputs, checked, not built */
    /** glove / hashing: a shared flock on the cache folder, held until the report is disposed,
     *  so no other process rebuilds the .npy files while the caller reads them */
    bool locked;
    int lock_fd;
} prle_embed_report;

/** Frees what the report owns and zeroes it; a zeroed report is left as it is. */
PRLE_API void prle_embed_report_dispose(prle_embed_report *report);

/**
 * Makes sure `{data.embedding_cache_dir}/{split}_embeds.npy` exist for the three splits of
 * `ds` as `cfg` describes (model.encoder_type, its settings, data.combine_fields,
 * data.combine_separator_token) and reports what it did.
 *
 * - glove / hashing: the manifest (PRLE_EMBED_MANIFEST: format version, the encoder's
 *   describe() line, the text construction, per split the data file's path, size and sha256,
 *   the sha256 of its rows as loaded, rows, width, empty texts, and the size and sha256 of
 *   each .npy) is compared with what this call would build; when every field matches and
 *   the .npy files are intact the cache is reused. Otherwise it is rebuilt: the old manifest
 *   is removed first, the encoder is fitted on the train texts (both sides of pairs, or the
 *   joined texts), each split is encoded and written atomically, the manifest last. A crash
 *   or failure therefore never leaves a cache that looks complete; on failure the .npy files
 *   this call wrote are removed.
 * - Text construction (SPEC.md §3): one text per row, or `s1 + " " + token + " " + s2` with
 *   combine_fields true, are encoded as they are (width d); pairs with combine_fields false
 *   give `[u, v, u+v, |u−v|, u⊙v]` (width 5·d).
 * - model.normalize_embeddings (or model.normalize): each text's vector is L2-normalised
 *   before pair features are built (zero vectors stay zero); recorded in the manifest.
 * - model.skip_loading_encoder: a cache that cannot be reused is PRLE_EINVAL saying why,
 *   instead of a rebuild.
 * - Whose files: a build writes `.prle-cache` into the folder first; *_embeds.npy files with
 *   neither a manifest nor that marker were made elsewhere and are never overwritten
 *   (PRLE_EINVAL naming the folder).
 * - Concurrent processes: the folder is flock'ed, shared while checking and for as long as
 *   the report lives (read the .npy files before disposing it), exclusive while building;
 *   after a build the cache is checked again under the shared lock. Two runs with different
 *   settings on one folder therefore take turns instead of reading each other's files.
 * - npy: the files are inputs made elsewhere; each must exist and have as many rows as its
 *   split (PRLE_ENOTFOUND / PRLE_ESHAPE naming the file), widths must agree (PRLE_ESHAPE).
 *   Nothing is written.
 *
 * Errors: PRLE_EINVAL for a missing cache folder key or an encoder that cannot be built,
 * the encoder's own errors (vectors file unreadable...), PRLE_EIO naming the path when
 * writing fails, PRLE_EABORTED, PRLE_ENOMEM. `params` may be NULL. On failure `*out` is
 * zeroed. Uses train.threads threads.
 */
PRLE_API int prle_embed(prle_embed_report *out, const prle_config *cfg, const prle_dataset *ds,
                        const prle_embed_params *params);

/**
 * The path `{data.embedding_cache_dir}/{split}_embeds.npy` into `*out` (malloc'd; free()).
 * PRLE_EINVAL when the folder key is unset or `split` is bad; PRLE_ENOMEM.
 */
PRLE_API int prle_embed_path(char **out, const prle_config *cfg, prle_split split);

/**
 * Loads one split's embeddings (as prle_npy_load: large files are memory-mapped) and checks
 * their row count against `ds` (PRLE_ESHAPE naming the file). Call prle_embed first: this
 * does not check the manifest. `ds` may be NULL to skip the row check.
 */
PRLE_API int prle_embed_load(prle_matrix *out, const prle_config *cfg, const prle_dataset *ds,
                             prle_split split);

PRLE_END_DECL

#endif
