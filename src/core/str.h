/* Heap strings: plain copies, lexically normalised paths and the user cache's folder. Internal. */
#ifndef PRLE_CORE_STR_H
#define PRLE_CORE_STR_H

#include <stdbool.h>

/** A malloc'd copy of `s` (free() it); NULL when memory runs out. */
char *prle__strdup(const char *s);

/** Whether `s` ends with `suffix` (case-sensitive). */
bool prle__str_ends_with(const char *s, const char *suffix);

/** "a token b", the one text of a pair with `data.combine_fields` (the original's
 * f"{a} {token} {b}"); malloc'd (free() it); NULL when memory runs out. */
char *prle__join_pair(const char *a, const char *token, const char *b);

/**
 * `rel` joined to the folder `base` unless `rel` is absolute or `base` is NULL or empty, then
 * normalised lexically: repeated slashes and "." segments dropped, "x/.." removed ("a/b/../c"
 * is "a/c"), ".." at the root of an absolute path dropped and kept at the front of a relative
 * one ("../x"); no trailing slash; an empty result is ".". Symlinks are not resolved, so the
 * result names the same file as the input only when no folder before a ".." is a symlink.
 * malloc'd (free() it); NULL when memory runs out.
 */
char *prle__path_join_norm(const char *base, const char *rel);

/**
 * The user cache's folder for `sub` (NULL: the cache's root): ${XDG_CACHE_HOME}/prle/sub, else
 * ${HOME}/.cache/prle/sub. A variable that is unset, empty or not absolute is skipped (the XDG
 * base directory spec: relative paths are invalid), so a cache never lands beside the current
 * folder. Into *out, malloc'd (free() it); the folder is not created. PRLE_ENOTFOUND (error set,
 * naming both variables) when neither gives an absolute path, PRLE_ENOMEM.
 */
int prle__user_cache_dir(char **out, const char *sub);

#endif
