/* The hashing encoder's pieces, exposed for tests and tools/ref/hashing_ref.py (SPEC.md §3).
 *
 * A text becomes features (all on code points of the lower-cased text, UTF-8 decoded):
 *   words      maximal runs of word characters (prle__hashing_is_word_char)
 *   word 1-grams "w" and 2-grams "w1 w2" of adjacent words
 *   char n-grams, n = 3..5, of each word padded with one space on each side; a padded word
 *              of length L <= n gives itself once and no longer n-grams (scikit-learn
 *              `analyzer='char_wb'`)
 * Each feature is hashed: FNV-1a 64 over a tag byte (1 word, 2 word pair, 3 char n-gram)
 * followed by its UTF-8 bytes, then the splitmix64 finaliser; the bucket is the top
 * PRLE__HASH_BITS bits. Invalid UTF-8 bytes decode to U+FFFD, a separator.
 */
#ifndef PRLE_ENCODE_HASHING_H
#define PRLE_ENCODE_HASHING_H

#include <stdint.h>

#include "prle/common.h"

#define PRLE__HASH_BITS 20
#define PRLE__HASH_BUCKETS ((size_t)1 << PRLE__HASH_BITS)
/** Non-zeros per bucket in the signed projection (fewer when hidden_dim is smaller). */
#define PRLE__HASH_PROJ_NNZ 8

/**
 * Simple lower-case mapping of one code point for ASCII, Latin-1, Latin Extended-A,
 * Latin Extended Additional, Greek, Cyrillic, Armenian and full-width Latin; identity
 * elsewhere (and where Python's str.lower gives more than one code point).
 */
uint32_t prle__hashing_lower(uint32_t cp);

/** True for code points that belong to words (letters, digits, CJK...); false for spaces,
 * ASCII punctuation and the punctuation and symbol blocks listed in hashing.c. */
bool prle__hashing_is_word_char(uint32_t cp);

/**
 * The bucket of every feature occurrence of `text`, in order (words, then pairs, then
 * char n-grams per word), into `*out` (malloc'd, grown as needed; `*cap` its capacity).
 * `*n` is the count. PRLE_ENOMEM.
 */
int prle__hashing_features(uint32_t **out, size_t *n, size_t *cap, const char *text);

/**
 * The projection pattern of bucket `b`: `k` distinct output dims in [0, dim) and signs ±1,
 * drawn from a splitmix64 stream started at mix(key ^ b) (rejection for the dims).
 */
void prle__hashing_pattern(uint32_t *dims, float *signs, uint64_t key, uint32_t b, size_t dim,
                           int k);

/** The projection key of a seed: the first draw of prle_rng (seed, "hashing.projection", 0). */
uint64_t prle__hashing_key(uint64_t seed);

#endif
