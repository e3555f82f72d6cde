/* PRLE: datasets (SPEC.md §3, stage 0): rows of one or two texts and a label, in three splits. */
#ifndef PRLE_DATASET_H
#define PRLE_DATASET_H

#include "prle/common.h"
#include "prle/config.h"

PRLE_BEGIN_DECL

/** The three splits, in this order everywhere (files, caches, reports). */
typedef enum prle_split {
    PRLE_SPLIT_TRAIN = 0,
    PRLE_SPLIT_VALIDATION = 1,
    PRLE_SPLIT_TEST = 2
} prle_split;

/** Number of splits. */
#define PRLE_N_SPLITS 3

/** "train", "validation" or "test" (the `{split}` of cache file names); "?" otherwise. Static. */
PRLE_API const char *prle_split_name(prle_split split);

/** A loaded dataset: three splits of rows (texts, label, source file and line). Opaque. */
typedef struct prle_dataset prle_dataset;

/**
 * Options of prle_dataset_load that are not part of the config; start from
 * prle_dataset_default_params(). Every field has a working default.
 */
typedef struct prle_dataset_params {
    /** Where the `stsb` preset is downloaded to when its folder is missing, as
     *  `{download_dir}/stsb/`; NULL (default) = `${XDG_CACHE_HOME:-$HOME/.cache}/prle/data`.
     *  The same folder is the data folder of presets when neither `data.data_dir` nor the
     *  environment variable PRLE_DATA_DIR is set. Borrowed for the call. */
    const char *download_dir;
    /** URL of the STS benchmark archive (`Stsbenchmark.tar.gz`); NULL (default) = the
     *  environment variable PRLE_STSB_URL, else
     *  http://ixa2.si.ehu.eus/stswiki/images/4/48/Stsbenchmark.tar.gz. */
    const char *stsb_url;
    /** Download progress (stage "download:stsb", bytes); may be NULL. Returning false
     *  stops the load with PRLE_EABORTED (nothing is left behind). */
    prle_progress_fn progress;
    void *progress_ud;
    /** false: a missing `stsb` folder is PRLE_ENOTFOUND instead of a download. Default true. */
    bool allow_download;
} prle_dataset_params;

/** The defaults described above. */
PRLE_API prle_dataset_params prle_dataset_default_params(void);

/**
 * Loads a dataset as `data` describes it (SPEC.md §3, docs/config.md "Datasets"):
 *
 * - A preset (`data.name` = `stsb`, `ruddit`, `mlqe-en-de`, `mlqe-en-zh`, `mlqe-ro-en`,
 *   `mlqe-ru-en`, `mlqe-si-en`) fills in every data key that is unset (files, format, header,
 *   quoting, text fields, label field, label range); keys set in the config win. Presets find
 *   their folder (`stsb/`, `ruddit/`, `mlqe-pe/`) under the data folder: `data.data_dir`,
 *   else the environment variable PRLE_DATA_DIR, else `params->download_dir`'s default. The
 *   `stsb` preset downloads the benchmark (sha256-checked) when its folder does not exist.
 * - Otherwise `data.files.{train,validation,test}` (all three), or `data.file` cut into
 *   three by `data.split` with the seeded scheme of docs/config.md (stream
 *   (`seed`, "data.split", 0)); pass `train.seed` as `seed`.
 * - Fields by name (files with a header, JSONL keys) or 0-based column number; one or two
 *   text fields; labels parsed as decimal numbers and kept on their raw scale. Labels outside
 *   [label_min, label_max] are kept as they are. Unset label_min / label_max: the train
 *   split's smallest / largest label.
 *
 * Errors, one line each naming the file, line and field where there is one:
 * PRLE_ENOTFOUND (missing file or preset folder, unknown column), PRLE_EFORMAT (empty
 * file, no data rows, wrong field count, missing or non-numeric label, missing text,
 * unterminated quote), PRLE_EINVAL (keys that contradict each other or are missing, e.g.
 * `data.file` and `data.files` both set, no label field, no files and a `data.name` that is
 * no preset; an empty label range; a split with a ratio above 0 left with no rows),
 * PRLE_EIO, PRLE_ENOMEM, PRLE_EABORTED, and download failures (PRLE_EIO naming the URL,
 * PRLE_EFORMAT for a bad archive or a sha256 mismatch). With `data.on_bad_row: skip` the
 * rows that would give a PRLE_EFORMAT row error are dropped and counted instead
 * (prle_dataset_info), except a file with no data rows left.
 *
 * `data` is read as prle_config_default / prle_config_load leave it (unset = NULL, NaN,
 * PRLE_CONFIG_UNSET, index -1); a zeroed struct is not "all unset". `params` may be NULL
 * (the defaults). On success `*out` belongs to the caller
 * (prle_dataset_free); on failure it is left untouched and no partial download remains.
 * Thread-safe for different datasets; the result is only read by the accessors below, so
 * one dataset may be read from several threads.
 */
PRLE_API int prle_dataset_load(prle_dataset **out, const prle_data_config *data, uint64_t seed,
                               const prle_dataset_params *params);

/** Frees the dataset and everything it handed out; NULL does nothing. */
PRLE_API void prle_dataset_free(prle_dataset *ds);

/** The preset's canonical name ("stsb", "mlqe-en-de", ...) or `data.name` (NULL: ""). Borrowed. */
PRLE_API const char *prle_dataset_name(const prle_dataset *ds);

/**
 * The dataset as messages name it: prle_dataset_name, or for a dataset without a name
 * "unnamed, from FILE" (the training rows' file, without its folder). Written into buf (size
 * bytes, cut to fit); returns buf.
 */
PRLE_API const char *prle_dataset_title(const prle_dataset *ds, char *buf, size_t size);

/** True when a preset supplied defaults. */
PRLE_API bool prle_dataset_is_preset(const prle_dataset *ds);

/** Texts per row: 1 (single text, e.g. Ruddit) or 2 (a pair, e.g. STS-B, MLQE-PE). */
PRLE_API size_t prle_dataset_n_texts(const prle_dataset *ds);

/** Rows of a split (0 for a bad split). */
PRLE_API size_t prle_dataset_n_rows(const prle_dataset *ds, prle_split split);

/**
 * Text `field` (0 or 1, < n_texts) of row `row` of `split`, NUL-terminated UTF-8 exactly as
 * in the file (no trimming); NULL when out of range. Borrowed: valid until prle_dataset_free.
 */
PRLE_API const char *prle_dataset_text(const prle_dataset *ds, prle_split split, size_t row,
                                       size_t field);

/**
 * All texts of `field` in `split`: an array of n_rows pointers, row order (e.g. for
 * prle_encoder_encode). NULL when out of range or the split is empty. Borrowed: valid until
 * prle_dataset_free.
 */
PRLE_API const char *const *prle_dataset_texts(const prle_dataset *ds, prle_split split,
                                               size_t field);

/**
 * The `data.combine_fields: true` texts of `split` (SPEC.md §3): for a pair
 * `s1 + " " + token + " " + s2`, for one text a copy of it. `*out` receives n_rows strings
 * (NULL when the split is empty), owned by the caller: free with prle_dataset_texts_free(*out,
 * n_rows). PRLE_EINVAL for a bad split or NULL token, PRLE_ENOMEM.
 */
PRLE_API int prle_dataset_join_texts(char ***out, const prle_dataset *ds, prle_split split,
                                     const char *token);

/** Frees an array from prle_dataset_join_texts; NULL does nothing. */
PRLE_API void prle_dataset_texts_free(char **texts, size_t n);

/**
 * Labels of `split` on the raw scale (n_rows floats, row order); NULL when the split is
 * empty or `split` is bad. Borrowed: valid until prle_dataset_free.
 */
PRLE_API const float *prle_dataset_labels(const prle_dataset *ds, prle_split split);

/** Lower end of the label range (config, else preset, else the train split's minimum). */
PRLE_API double prle_dataset_label_min(const prle_dataset *ds);

/** Upper end of the label range (config, else preset, else the train split's maximum). */
PRLE_API double prle_dataset_label_max(const prle_dataset *ds);

/** The file row `row` of `split` was read from (as in the split info); NULL when out of range.
 *  Borrowed. */
PRLE_API const char *prle_dataset_source_file(const prle_dataset *ds, prle_split split, size_t row);

/** The 1-based line of that file where the row starts (0 when out of range). */
PRLE_API size_t prle_dataset_source_line(const prle_dataset *ds, prle_split split, size_t row);

/**
 * Where a split came from and what was left out, for cache manifests and reports. The
 * three splits of a one-file dataset (`data.file`, Ruddit) share one file, so they show the
 * same file fields and counts.
 */
typedef struct prle_dataset_split_info {
    const char *path;            /**< the source file (absolute when the config's path was) */
    uint64_t size;               /**< its size in bytes */
    char sha256[65];             /**< lower-case hex sha256 of its bytes */
    char rows_sha256[65];        /**< sha256 of this split's rows as loaded (texts and labels, in
                                      order): changes with the file, fields, filters, split and seed */
    size_t n_rows;               /**< rows in this split */
    size_t n_file_rows;          /**< data rows of the file that were read (header, skipped and
                                      dropped rows not counted) */
    size_t n_skipped;            /**< bad rows of the file skipped under `on_bad_row: skip` */
    size_t n_dropped;            /**< rows a preset leaves out by design (Ruddit: bodies that are
                                      `[deleted]`, `[removed]` or empty) */
    const char *skip_reason;     /**< "path:line: what" of the first skipped row; "" if none */
    const size_t *skipped_lines; /**< lines of the first n_skipped_lines skipped rows */
    size_t n_skipped_lines;      /**< min(n_skipped, 8) */
} prle_dataset_split_info;

/** The info of `split`; NULL for a bad split. Borrowed: valid until prle_dataset_free. */
PRLE_API const prle_dataset_split_info *prle_dataset_info(const prle_dataset *ds, prle_split split);

/**
 * Bad rows skipped over all files (each file counted once); 0 unless `on_bad_row: skip`.
 */
PRLE_API size_t prle_dataset_n_skipped(const prle_dataset *ds);

/** "path:line: what" of the first skipped row, train's before validation's and test's; "" when
 *  none was skipped. Borrowed: valid until prle_dataset_free. */
PRLE_API const char *prle_dataset_skip_reason(const prle_dataset *ds);

PRLE_END_DECL

#endif
