/* Internals of the configuration: one table of keys shared by defaults, the YAML loader,
 * overrides, the writer, copy and comparison (include/prle/config.h is the public side). */
#ifndef PRLE_IO_CONFIG_INTERNAL_H
#define PRLE_IO_CONFIG_INTERNAL_H

#include "core/str.h" /* prle__path_join_norm: how relative paths are resolved */
#include "prle/config.h"

/** How a key's value is stored and read. */
typedef enum prle__cfg_type {
    PRLE__CFG_STR,    /* char *, any scalar text */
    PRLE__CFG_PATH,   /* char *, resolved against a base folder */
    PRLE__CFG_ENUM,   /* char *, one of `allowed` (canonical spelling) */
    PRLE__CFG_BOOL,   /* bool */
    PRLE__CFG_TRI,    /* int: 1, 0, PRLE_CONFIG_UNSET */
    PRLE__CFG_INT,    /* int within [lo, hi] */
    PRLE__CFG_U64,    /* uint64_t */
    PRLE__CFG_FLOAT,  /* double within [lo, hi]; NaN = null where nullable */
    PRLE__CFG_FIELD,  /* prle_field */
    PRLE__CFG_FIELDS, /* prle_field_list */
    PRLE__CFG_ENUMS,  /* prle_string_list of `allowed` values, no repeats */
    PRLE__CFG_FLOATS, /* prle_double_list within [lo, hi] */
    PRLE__CFG_U64S    /* prle_u64_list */
} prle__cfg_type;

enum {
    PRLE__CFG_NULLABLE = 1, /* null allowed (NULL, NaN, 0 for ints, unset, empty list) */
    PRLE__CFG_LO_OPEN = 2,  /* value > lo rather than >= lo */
    PRLE__CFG_HI_OPEN = 4,  /* value < hi rather than <= hi */
    PRLE__CFG_NONEMPTY = 8, /* a list needs at least one item */
    PRLE__CFG_ONECHAR = 16, /* a string of exactly one ASCII character */
    PRLE__CFG_SUM1 = 32     /* a list of numbers summing to 1 */
};

/** One key: its full dotted name, type, place in prle_config and default. */
typedef struct prle__cfg_key {
    const char *name;
    prle__cfg_type type;
    size_t offset;
    const char *def;            /* default as text (lists: comma-separated); NULL = null */
    const char *const *allowed; /* enums: canonical values, NULL-terminated */
    const char *const *aliases; /* enums: pairs {alias, canonical}, NULL-terminated */
    double lo, hi;              /* numeric range */
    unsigned flags;             /* PRLE__CFG_* */
    size_t count;               /* lists: exact number of items, 0 = any */
} prle__cfg_key;

extern const prle__cfg_key prle__cfg_keys[];
extern const size_t prle__cfg_nkeys;

/** The key named `dotted`, or NULL. */
const prle__cfg_key *prle__cfg_find(const char *dotted);

/** True when `dotted` is a section (a mapping holding keys), e.g. "data" or "data.files". */
bool prle__cfg_is_section(const char *dotted);

/** For an unknown key: " (did you mean 'data.files.validation'?)" into buf when a known key or
 *  section beside it is one or two typos away (a third of the name at most) or a common other
 *  name for it ("dev", "val"), else "". */
void prle__cfg_suggest(char *buf, size_t len, const char *dotted);

/** True when `dotted` is, or lies under, one of the original's W&B keys (ignored). */
bool prle__cfg_is_ignored(const char *dotted);

/** A scalar as the YAML reader saw it: text, and whether it was plain (unquoted, untagged). */
typedef struct prle__cfg_scalar {
    const char *text;
    size_t len;
    bool plain;
} prle__cfg_scalar;

/**
 * Converts `n` scalars (1 for a scalar value, the items of a sequence otherwise; `is_seq`
 * tells which) and stores the result in key `k` of `cfg`, freeing the old value. Relative
 * paths are joined to `base_dir` (absolute). On a bad value nothing changes and `why` gets
 * a one-line reason naming the key; returns PRLE_EINVAL (or PRLE_ENOMEM, `why` set too).
 * `bad_item` receives the index of the offending item (0 for a scalar).
 */
int prle__cfg_assign(prle_config *cfg, const prle__cfg_key *k, const prle__cfg_scalar *items,
                     size_t n, bool is_seq, const char *base_dir, char *why, size_t why_len,
                     size_t *bad_item);

/** The current directory (malloc'd) or NULL with the error set. */
char *prle__cfg_getcwd(void);

/** logging.run_name := the name of the config file at `path` without .yaml/.yml (what a file
 *  that leaves it unset, or an override that sets it to null, gets). PRLE_ENOMEM. */
int prle__cfg_default_run_name(prle_config *cfg, const char *path);

/** Makes every relative path of `cfg` absolute against `base`. PRLE_ENOMEM on failure. */
int prle__cfg_absolutize(prle_config *cfg, const char *base);

/** Copies key `k` from `src` to `dst`, freeing what `dst` held. PRLE_ENOMEM on failure. */
int prle__cfg_copy_key(prle_config *dst, const prle_config *src, const prle__cfg_key *k);

/** Frees the value of key `k` in `cfg` and zeroes it. */
void prle__cfg_free_key(prle_config *cfg, const prle__cfg_key *k);

/** True when key `k` holds equal values in `a` and `b` (NaN equals NaN). */
bool prle__cfg_key_equal(const prle_config *a, const prle_config *b, const prle__cfg_key *k);

/** Deep copy of every key (notices too). `out` is overwritten; zeroed on failure. */
int prle__config_copy(prle_config *out, const prle_config *src);

/** True when every key is equal (notices are not compared). */
bool prle__config_equal(const prle_config *a, const prle_config *b);

/** Appends a notice (formatted, one line). PRLE_ENOMEM on failure. */
int prle__cfg_add_notice(prle_config *cfg, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Copies `s` for a message: at most `max` bytes, control characters as '?'. */
void prle__cfg_show(char *out, size_t out_len, const char *s, size_t len);

#endif
