/* English tokenisation that matches GloVe 6B (Wikipedia + Gigaword tokenised by the Stanford
 * PTB tokenizer, then lower-cased). Internal.
 *
 *   "Don't stop, it's 3.5 well-known U.S. firms' A-B."  ->
 *   do n't stop , it 's 3.5 well-known u.s. firms ' a-b .
 *
 * Two steps: prle__tok_normalize lower-cases into a buffer no longer than the text, then
 * prle__tokenize emits tokens as spans of that buffer through a callback (no allocation per
 * token). Compounds (hyphenated words, dotted abbreviations, apostrophe words such as o'neill)
 * are kept whole, as PTB keeps them, when the vocabulary knows them; otherwise their parts
 * are emitted (see tokenize.c for the rules and why). */
#ifndef PRLE_ENCODE_TOKENIZE_H
#define PRLE_ENCODE_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>

/** Names the rules in cache manifests; change it whenever the output of the rules changes. */
#define PRLE__TOK_VERSION "ptb-1"

/**
 * Normalises `len` bytes of UTF-8 `text` into `out`, which has room for len + 1 bytes: lower
 * case for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (same byte length); ’ and ‘
 * (and their MacRoman mojibake "‚Äô") become '; no-break and other Unicode spaces become ' ';
 * zero-width characters are dropped. Returns the length written (<= len); `out` ends with a
 * NUL. Invalid UTF-8 bytes are copied as they are; valid sequences are never split.
 */
size_t prle__tok_normalize(char *out, const char *text, size_t len);

/** Does the vocabulary know `s` (`n` bytes)? */
typedef bool (*prle__tok_known_fn)(void *ud, const char *s, size_t n);

/** Receives one token (`n` bytes, not NUL-terminated; valid during the call only). */
typedef void (*prle__tok_emit_fn)(void *ud, const char *s, size_t n);

/**
 * Splits normalised text (`n` bytes) into tokens, in order. `known` (may be NULL: compounds
 * are then always kept whole) decides whether a compound is kept or split; both callbacks get
 * `ud`. Never allocates.
 */
void prle__tokenize(const char *norm, size_t n, prle__tok_known_fn known, prle__tok_emit_fn emit,
                    void *ud);

#endif
