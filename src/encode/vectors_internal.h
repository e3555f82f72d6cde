/* The .pvec layout and the pieces the importer, the writer and the reader share. Internal.
 *
 * A .pvec file (version 1, little-endian, every section at an offset the header gives):
 *
 *   [0, 128)        header (pvec_header below)
 *   matrix_off      (V, d) float32, row-major, 64-byte aligned
 *   offsets_off     (V + 1) uint64: word i is blob[offsets[i], offsets[i+1] - 1), then a NUL
 *   blob_off        the words, UTF-8, each followed by a NUL, in file order
 *   table_off       table_cap uint32 slots (a power of two >= 2 V): open addressing with
 *                   linear probing from prle__vhash(word) & (table_cap - 1); 0 is empty,
 *                   otherwise word index + 1
 *   counts_off      V uint64 corpus counts (flag PRLE__PVEC_COUNTS), else 0
 *
 * sha256 covers bytes [128, file_len): everything but the header. */
#ifndef PRLE_ENCODE_VECTORS_INTERNAL_H
#define PRLE_ENCODE_VECTORS_INTERNAL_H

#include <stdio.h>

#include "prle/vectors.h"

#define PRLE__PVEC_MAGIC "PRLEVEC\0"
#define PRLE__PVEC_VERSION 1u
#define PRLE__PVEC_COUNTS 1u /* flags: counts section present */

typedef struct prle__pvec_header {
    char magic[8];
    uint32_t version;
    uint32_t flags;
    uint64_t n_words, dim;
    uint64_t matrix_off;
    uint64_t offsets_off;
    uint64_t blob_off, blob_len;
    uint64_t table_off, table_cap;
    uint64_t counts_off;
    uint64_t file_len;
    uint8_t sha256[32];
} prle__pvec_header;

_Static_assert(sizeof(prle__pvec_header) == 128, "the .pvec header is 128 bytes");

/** FNV-1a, 64 bits: the hash of the stored table (part of the file format). */
static inline uint64_t prle__vhash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- building a vocabulary in memory (vectors_write.c) ------------------------------- */

/**
 * Words with rows of `dim` floats, in insertion order, plus a hash table that finds
 * repeats. `dim` may be 0 (a word list only).
 */
typedef struct prle__vbuild {
    size_t dim;
    size_t n;    /* words */
    float *rows; /* (n, dim), capacity rows_cap rows */
    size_t rows_cap;
    char *blob; /* words, NUL-terminated */
    size_t blob_len, blob_cap;
    size_t *offs; /* n + 1 offsets into blob */
    size_t offs_cap;
    uint32_t *slots; /* index + 1, 0 = empty */
    size_t slots_cap;
    uint64_t *counts; /* n, or NULL */
} prle__vbuild;

void prle__vbuild_init(prle__vbuild *b, size_t dim);
void prle__vbuild_dispose(prle__vbuild *b);

/** Index of `word`, or -1. */
int64_t prle__vbuild_find(const prle__vbuild *b, const char *word, size_t len);

/**
 * Appends `word` (its row to `*row`, dim floats, uninitialised) and returns 1, or returns 0
 * with `*row` NULL when the word is already there. PRLE_ENOMEM.
 */
int prle__vbuild_add(prle__vbuild *b, const char *word, size_t len, float **row);

/** Drops columns [keep, dim) of every row (the npm JSON's extra entries). */
void prle__vbuild_narrow(prle__vbuild *b, size_t keep);

/**
 * Writes a .pvec of `words` (their order) with the rows of `rows` (NULL: of `words`): row i
 * of the file is rows' row of words' word i. Every word must be in `rows`. `counts` (NULL
 * for none) is per word of `words`. Atomic; the error names `dst`.
 */
int prle__vbuild_write(const prle__vbuild *words, const prle__vbuild *rows, const char *dst);

/* ---- reading a source in a stream (vectors_source.c) --------------------------------- */

typedef struct prle__vsource prle__vsource;

/**
 * Opens `path`: a plain file, or a compressed file / archive read through libarchive (the
 * first member named *.json other than package.json, *.txt or *.vec). `*total` gets the
 * uncompressed size when known, else 0. The name in messages is `path` or `path:member`.
 */
int prle__vsource_open(prle__vsource **out, const char *path, uint64_t *total);

/** Reads up to `cap` bytes; 0 at the end. Negative on error (message names the source). */
long prle__vsource_read(prle__vsource *src, void *buf, size_t cap);

/** The name used in messages. */
const char *prle__vsource_name(const prle__vsource *src);

void prle__vsource_close(prle__vsource *src);

/* ---- the buffered reader the parsers share (vectors_import.c) -------------------------- */

/** A window on a source: bytes [pos, len) of buf are unread; buf has cap + 1 bytes. */
typedef struct prle__vreader {
    prle__vsource *src;
    const char *name;
    char *buf;
    size_t cap, pos, len;
    bool eof;
    uint64_t base;                            /* stream offset of buf[0] */
    uint64_t line_start;                      /* stream offset where the current line starts */
    size_t line;                              /* 1-based */
    uint64_t total;                           /* source bytes, 0 if unknown */
    const prle_vectors_import_params *params; /* progress */
    double t0, last;
} prle__vreader;

/** Moves unread bytes to the front and reads more (growing a full buffer); returns the bytes
 * read (0 at the end) or a negative code. Reports progress. */
int prle__vreader_fill(prle__vreader *r);

/* ---- the npm JSON (vectors_json.c) ------------------------------------------------------ */

/**
 * Reads the npm package's JSON from `r` (at its first byte): the "words" array into `words`,
 * the "vectors" object into `vecs` (both initialised empty by the caller, who disposes them).
 * `*out` is the builder to write: `words` when the JSON has a "words" array (rows then come
 * from `vecs`), else `vecs`. Errors are `name:line:col: what`.
 */
int prle__vjson_import(prle__vreader *r, prle__vbuild *words, prle__vbuild *vecs,
                       prle__vbuild **out, prle_vectors_import_stats *st);

/** Imports from an open source (vectors_import.c); prle_vectors_import wraps it. */
int prle__vectors_import_source(prle__vsource *src, uint64_t total, const char *dst,
                                const prle_vectors_import_params *params,
                                prle_vectors_import_stats *stats);

/** Parses a decimal number [s, e) exactly as strtod would, rounded once to double; false
 * when the text is not entirely a finite number. */
bool prle__parse_double(const char *s, const char *e, double *out);

#endif
