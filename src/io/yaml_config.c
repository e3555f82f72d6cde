/* Loading run configs (SPEC.md §10) with libyaml's event parser, and dotted overrides read the
 * same way. The ONLY file including yaml.h (STYLE.md §1). libyaml returns 1 for success and 0
 * for error: every call is translated here into a status and a "file:line:col: ..." message
 * (lines and columns 1-based) naming the full dotted key. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/error.h"
#include "io/config_internal.h"
#include "io/fileio.h"

#define CONFIG_MAX_BYTES (16u << 20)

typedef struct pctx {
    yaml_parser_t parser;
    bool parser_ready;
    const char *name; /* file name for messages */
    const char *text; /* the input, to place reader errors */
    size_t len;
    const char *assignment; /* set for an override: messages start "override '...'" */
    const char *base_dir;   /* absolute folder for relative paths */
    prle_config *cfg;
    char **seen; /* dotted paths given in the input (fallbacks of model.projection_*) */
    size_t n_seen;
    int depth; /* open mappings and lists */
} pctx;

/* Deeper nesting is refused: a config needs 4 levels, and libyaml's scanner slows down with
 * every open flow level (200,000 nested '[' took 4 minutes before this cap). */
#define MAX_DEPTH 64

static int vfail_at(pctx *c, yaml_mark_t m, const char *fmt, va_list ap)
{
    char msg[768], shown[80];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (c->assignment) {
        prle__cfg_show(shown, sizeof shown, c->assignment, strlen(c->assignment));
        return prle__error_set(PRLE_EINVAL, "override '%s': %s", shown, msg);
    }
    return prle__error_set(PRLE_EINVAL, "%s:%zu:%zu: %s", c->name, m.line + 1, m.column + 1, msg);
}

static int fail_at(pctx *c, yaml_mark_t m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail_at(pctx *c, yaml_mark_t m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = vfail_at(c, m, fmt, ap);
    va_end(ap);
    return err;
}

/* libyaml said 0: say why, where. */
static int syntax_error(pctx *c)
{
    yaml_parser_t *p = &c->parser;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_MEMORY_ERROR)
        return prle__error_nomem("YAML parser");
    if (p->error == YAML_READER_ERROR) {
        /* reader errors carry a byte offset, not a mark: count lines and characters */
        yaml_mark_t m = {0, 0, 0};
        for (size_t i = 0; i < p->problem_offset && i < c->len; i++) {
            unsigned char ch = (unsigned char)c->text[i];
            if (ch == '\n')
                m.line++, m.column = 0;
            else if ((ch & 0xc0) != 0x80)
                m.column++;
        }
        if (p->problem_value >= 0)
            return fail_at(c, m, "%s (#%X)", problem, (unsigned)p->problem_value);
        return fail_at(c, m, "%s", problem);
    }
    size_t at = p->problem_mark.index; /* a tab there: say what YAML wants instead */
    const char *tab = at < c->len && c->text[at] == '\t'
                          ? " (a tab: YAML indents with spaces, and a tab cannot start a token)"
                          : "";
    if (p->context)
        return fail_at(c, p->problem_mark, "%s %s (line %zu, column %zu)%s", problem, p->context,
                       p->context_mark.line + 1, p->context_mark.column + 1, tab);
    return fail_at(c, p->problem_mark, "%s%s", problem, tab);
}

static int next_event(pctx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->parser, ev)) {
        *ev = (yaml_event_t){.type = YAML_NO_EVENT};
        return syntax_error(c);
    }
    if (ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT) {
        if (++c->depth > MAX_DEPTH) {
            yaml_mark_t at = ev->start_mark;
            yaml_event_delete(ev);
            *ev = (yaml_event_t){.type = YAML_NO_EVENT};
            return fail_at(c, at, "mappings and lists nested deeper than %d levels", MAX_DEPTH);
        }
    } else if (ev->type == YAML_MAPPING_END_EVENT || ev->type == YAML_SEQUENCE_END_EVENT) {
        c->depth--;
    }
    return 0;
}

static const char *kind(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_MAPPING_START_EVENT:
        return "a mapping";
    case YAML_SEQUENCE_START_EVENT:
        return "a list";
    case YAML_ALIAS_EVENT:
        return "an alias";
    default:
        return "a scalar";
    }
}

static int remember(pctx *c, const char *path)
{
    char **grown = realloc(c->seen, (c->n_seen + 1) * sizeof *grown);
    if (!grown)
        return prle__error_nomem("config keys");
    c->seen = grown;
    size_t n = strlen(path) + 1;
    if (!(c->seen[c->n_seen] = malloc(n)))
        return prle__error_nomem("config keys");
    memcpy(c->seen[c->n_seen++], path, n);
    return 0;
}

static bool was_seen(const pctx *c, const char *path)
{
    for (size_t i = 0; i < c->n_seen; i++)
        if (strcmp(c->seen[i], path) == 0)
            return true;
    return false;
}

/* A scalar event as the table sees it; PRLE_EINVAL for tags we do not know. */
static int scalar_of(pctx *c, const yaml_event_t *ev, const char *key, prle__cfg_scalar *out)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (tag) {
        if (strcmp(tag, "!") == 0 || strcmp(tag, YAML_STR_TAG) == 0)
            plain = false;
        else if (strcmp(tag, YAML_NULL_TAG) == 0 || strcmp(tag, YAML_BOOL_TAG) == 0 ||
                 strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0)
            plain = true;
        else {
            char shown[80];
            prle__cfg_show(shown, sizeof shown, tag, strlen(tag));
            return fail_at(c, ev->start_mark, "unsupported tag '%s' for '%s'", shown, key);
        }
    }
    *out = (prle__cfg_scalar){(const char *)ev->data.scalar.value, ev->data.scalar.length, plain};
    return 0;
}

/* Consumes one whole node starting with `first` (already read), e.g. an ignored W&B value. */
static int skip_node(pctx *c, const yaml_event_t *first)
{
    int depth = first->type == YAML_MAPPING_START_EVENT || first->type == YAML_SEQUENCE_START_EVENT;
    while (depth > 0) {
        yaml_event_t ev;
        int err = next_event(c, &ev);
        if (err < 0)
            return err;
        if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT)
            depth++;
        else if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT)
            depth--;
        yaml_event_delete(&ev);
    }
    return 0;
}

static bool is_list(const prle__cfg_key *k)
{
    return k->type == PRLE__CFG_FIELDS || k->type == PRLE__CFG_ENUMS ||
           k->type == PRLE__CFG_FLOATS || k->type == PRLE__CFG_U64S;
}

/* A value for leaf key `k`, whose first event `ev` has been read. */
static int parse_leaf(pctx *c, const prle__cfg_key *k, const yaml_event_t *ev)
{
    char why[512];
    size_t bad = 0;
    int err = 0;
    if (ev->type == YAML_ALIAS_EVENT)
        return fail_at(c, ev->start_mark, "aliases are not supported ('%s')", k->name);
    if (ev->type == YAML_MAPPING_START_EVENT)
        return fail_at(c, ev->start_mark, "expected a %s for '%s', found a mapping",
                       is_list(k) ? "list" : "single value", k->name);
    if (ev->type == YAML_SCALAR_EVENT) {
        prle__cfg_scalar s;
        if ((err = scalar_of(c, ev, k->name, &s)) < 0)
            return err;
        err = prle__cfg_assign(c->cfg, k, &s, 1, false, c->base_dir, why, sizeof why, &bad);
        if (err < 0)
            return err == PRLE_EINVAL ? fail_at(c, ev->start_mark, "%s", why) : err;
        return remember(c, k->name);
    }
    /* a sequence: gather its scalar items, keeping their events alive until assigned */
    yaml_event_t *items = NULL;
    prle__cfg_scalar *scalars = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            yaml_event_t *gi = realloc(items, ncap * sizeof *gi);
            if (gi)
                items = gi;
            prle__cfg_scalar *gs = gi ? realloc(scalars, ncap * sizeof *gs) : NULL;
            if (gs)
                scalars = gs;
            if (!gi || !gs) {
                err = prle__error_nomem("config list");
                goto done;
            }
            cap = ncap;
        }
        if ((err = next_event(c, &items[n])) < 0)
            goto done;
        yaml_event_t *it = &items[n];
        if (it->type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(it);
            break;
        }
        n++;
        if (it->type != YAML_SCALAR_EVENT) {
            err = fail_at(c, it->start_mark, "expected a plain value in list '%s', found %s",
                          k->name, kind(it));
            goto done;
        }
        if ((err = scalar_of(c, it, k->name, &scalars[n - 1])) < 0)
            goto done;
    }
    err = prle__cfg_assign(c->cfg, k, scalars, n, true, c->base_dir, why, sizeof why, &bad);
    if (err == PRLE_EINVAL)
        err = fail_at(c, n && is_list(k) ? items[bad].start_mark : ev->start_mark, "%s", why);
    if (err == 0)
        err = remember(c, k->name);
done:
    for (size_t i = 0; i < n; i++)
        yaml_event_delete(&items[i]);
    free(items);
    free(scalars);
    return err;
}

static int parse_section(pctx *c, const char *path, const yaml_event_t *ev);

/* One "key: value" pair of the mapping at `path`; the key event has been read. */
static int parse_pair(pctx *c, const char *path, const yaml_event_t *key, char ***keys,
                      size_t *n_keys)
{
    if (key->type != YAML_SCALAR_EVENT)
        return fail_at(c, key->start_mark, "expected a key name in '%s', found %s",
                       *path ? path : "the top level", kind(key));
    const char *name = (const char *)key->data.scalar.value;
    size_t len = key->data.scalar.length;
    char shown[80];
    prle__cfg_show(shown, sizeof shown, name, len);
    if (len == 0 || memchr(name, '\0', len))
        return fail_at(c, key->start_mark, "invalid key '%s' in '%s'", shown,
                       *path ? path : "the top level");
    if (memchr(name, '.', len))
        return fail_at(c, key->start_mark, "dotted key '%s' is not allowed: nest it as a mapping",
                       shown);
    size_t np = strlen(path);
    char *child = malloc(np + len + 2);
    if (!child)
        return prle__error_nomem("config key");
    if (np)
        memcpy(child, path, np), child[np] = '.';
    memcpy(child + (np ? np + 1 : 0), name, len + 1);

    int err = 0;
    yaml_event_t value = {.type = YAML_NO_EVENT};
    for (size_t i = 0; i < *n_keys; i++)
        if (strcmp((*keys)[i], child) == 0) {
            err = fail_at(c, key->start_mark, "duplicate key '%s'", child);
            goto done;
        }
    char **grown = realloc(*keys, (*n_keys + 1) * sizeof *grown);
    if (!grown) {
        err = prle__error_nomem("config keys");
        goto done;
    }
    *keys = grown;
    (*keys)[(*n_keys)++] = child;
    const prle__cfg_key *k = prle__cfg_find(child);
    bool ignored = !k && prle__cfg_is_ignored(child);
    bool section = !k && !ignored && prle__cfg_is_section(child);
    if (!k && !ignored && !section) {
        char hint[160];
        prle__cfg_suggest(hint, sizeof hint, child);
        err = fail_at(c, key->start_mark, "unknown key '%s'%s", child, hint);
        goto done;
    }
    if ((err = next_event(c, &value)) < 0)
        goto done;
    if (ignored) {
        if ((err = skip_node(c, &value)) < 0)
            goto done;
        err = prle__cfg_add_notice(c->cfg, "%s:%zu:%zu: ignoring W&B key %s", c->name,
                                   key->start_mark.line + 1, key->start_mark.column + 1, child);
    } else if (k) {
        err = parse_leaf(c, k, &value);
    } else {
        err = parse_section(c, child, &value);
    }
done:
    yaml_event_delete(&value);
    if (!*n_keys || (*keys)[*n_keys - 1] != child)
        free(child);
    return err;
}

/* The mapping (or null) for section `path` ("" is the top level); `ev` has been read. */
static int parse_section(pctx *c, const char *path, const yaml_event_t *ev)
{
    bool root = !*path;
    if (ev->type == YAML_SCALAR_EVENT) {
        prle__cfg_scalar s;
        int err = scalar_of(c, ev, root ? "the top level" : path, &s);
        if (err < 0)
            return err;
        if (s.plain &&
            (s.len == 0 || (s.len == 1 && s.text[0] == '~') ||
             (s.len == 4 && (memcmp(s.text, "null", 4) == 0 || memcmp(s.text, "Null", 4) == 0 ||
                             memcmp(s.text, "NULL", 4) == 0))))
            return root ? 0 : remember(c, path); /* an empty section sets nothing */
    }
    if (ev->type != YAML_MAPPING_START_EVENT) {
        if (root)
            return fail_at(c, ev->start_mark, "expected a mapping at the top level, found %s",
                           kind(ev));
        return fail_at(c, ev->start_mark, "expected a mapping for '%s', found %s", path, kind(ev));
    }
    int err = root ? 0 : remember(c, path);
    char **keys = NULL;
    size_t n_keys = 0;
    while (err == 0) {
        yaml_event_t key;
        if ((err = next_event(c, &key)) < 0)
            break;
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            break;
        }
        err = parse_pair(c, path, &key, &keys, &n_keys);
        yaml_event_delete(&key);
    }
    for (size_t i = 0; i < n_keys; i++)
        free(keys[i]);
    free(keys);
    return err;
}

/* ---- the original's fallbacks: kernel.X from model.X -------------------------------------- */

static size_t value_size(prle__cfg_type t)
{
    switch (t) {
    case PRLE__CFG_STR:
    case PRLE__CFG_PATH:
    case PRLE__CFG_ENUM:
        return sizeof(char *);
    case PRLE__CFG_BOOL:
        return sizeof(bool);
    case PRLE__CFG_TRI:
    case PRLE__CFG_INT:
        return sizeof(int);
    case PRLE__CFG_U64:
        return sizeof(uint64_t);
    case PRLE__CFG_FLOAT:
        return sizeof(double);
    case PRLE__CFG_FIELD:
        return sizeof(prle_field);
    case PRLE__CFG_FIELDS:
        return sizeof(prle_field_list);
    case PRLE__CFG_ENUMS:
        return sizeof(prle_string_list);
    case PRLE__CFG_FLOATS:
        return sizeof(prle_double_list);
    case PRLE__CFG_U64S:
        return sizeof(prle_u64_list);
    }
    return 0;
}

/* train.py reads kernel.projection_type / proj_dim / projection_kwargs and falls back to the
 * model.* key of the same name when the kernel section lacks it. */
static int apply_fallbacks(pctx *c)
{
    static const char *const pairs[] = {"projection_type", "proj_dim", "projection_kwargs"};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        char from[64], to[64];
        snprintf(from, sizeof from, "model.%s", pairs[p]);
        snprintf(to, sizeof to, "kernel.%s", pairs[p]);
        if (!was_seen(c, from) || was_seen(c, to))
            continue;
        size_t nf = strlen(from);
        for (size_t i = 0; i < prle__cfg_nkeys; i++) {
            const prle__cfg_key *src = &prle__cfg_keys[i];
            if (strncmp(src->name, from, nf) != 0 || (src->name[nf] && src->name[nf] != '.'))
                continue;
            char dst_name[128];
            snprintf(dst_name, sizeof dst_name, "kernel.%s", src->name + 6);
            const prle__cfg_key *dst = prle__cfg_find(dst_name);
            PRLE_ASSERT(dst && dst->type == src->type);
            prle_config tmp = {0};
            int err = prle__cfg_copy_key(&tmp, c->cfg, src);
            if (err < 0)
                return err;
            prle__cfg_free_key(c->cfg, dst);
            memcpy((char *)c->cfg + dst->offset, (char *)&tmp + src->offset, value_size(src->type));
        }
    }
    return 0;
}

/* ---- entry points ------------------------------------------------------------------------ */

static void ctx_dispose(pctx *c)
{
    if (c->parser_ready)
        yaml_parser_delete(&c->parser);
    for (size_t i = 0; i < c->n_seen; i++)
        free(c->seen[i]);
    free(c->seen);
}

/* Stream → at most one document → its node, handed to `target` (section or key). */
static int parse_stream(pctx *c, const char *target)
{
    yaml_event_t ev = {.type = YAML_NO_EVENT};
    int err;
    const prle__cfg_key *k = *target ? prle__cfg_find(target) : NULL;
    if ((err = next_event(c, &ev)) < 0) /* stream start */
        return err;
    yaml_event_delete(&ev);
    if ((err = next_event(c, &ev)) < 0)
        return err;
    if (ev.type == YAML_STREAM_END_EVENT) { /* no document: an empty file, or "key=" */
        yaml_event_delete(&ev);
        if (!k)
            return 0;
        ev = (yaml_event_t){.type = YAML_SCALAR_EVENT};
        ev.data.scalar.value = (yaml_char_t *)"";
        ev.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
        return parse_leaf(c, k, &ev);
    }
    yaml_event_delete(&ev); /* document start */
    if ((err = next_event(c, &ev)) < 0)
        return err;
    err = k ? parse_leaf(c, k, &ev) : parse_section(c, target, &ev);
    yaml_event_delete(&ev);
    if (err < 0)
        return err;
    if ((err = next_event(c, &ev)) < 0) /* document end */
        return err;
    yaml_event_delete(&ev);
    if ((err = next_event(c, &ev)) < 0)
        return err;
    if (ev.type != YAML_STREAM_END_EVENT)
        err = fail_at(c, ev.start_mark, "only one YAML document is allowed");
    yaml_event_delete(&ev);
    return err;
}

static int ctx_init(pctx *c, prle_config *cfg, const char *text, size_t len)
{
    c->cfg = cfg;
    c->text = text;
    c->len = len;
    if (!yaml_parser_initialize(&c->parser))
        return prle__error_nomem("YAML parser");
    c->parser_ready = true;
    yaml_parser_set_input_string(&c->parser, (const unsigned char *)text, len);
    return 0;
}

int prle_config_load_string(prle_config *out, const char *text, size_t len, const char *name,
                            const char *base_dir)
{
    int err;
    prle_config cfg;
    pctx c = {0};
    char *cwd = NULL, *base = NULL;
    *out = (prle_config){0};
    if (!text && len)
        return prle__error_set(PRLE_EINVAL, "config text is NULL");
    if (!text)
        text = ""; /* libyaml wants a pointer even for no bytes */
    if ((err = prle_config_default(&cfg)) < 0)
        return err;
    if (!(cwd = prle__cfg_getcwd())) {
        err = prle_last_error_code();
        goto done;
    }
    base = base_dir ? prle__path_join_norm(cwd, base_dir) : prle__path_join_norm(NULL, cwd);
    if (!base) {
        err = prle__error_nomem("config folder");
        goto done;
    }
    c.name = name ? name : "<string>";
    c.base_dir = base;
    if ((err = prle__cfg_absolutize(&cfg, cwd)) < 0 || (err = ctx_init(&c, &cfg, text, len)) < 0 ||
        (err = parse_stream(&c, "")) < 0 || (err = apply_fallbacks(&c)) < 0)
        goto done;
    *out = cfg;
    cfg = (prle_config){0};
done:
    ctx_dispose(&c);
    prle_config_dispose(&cfg);
    free(cwd);
    free(base);
    return err;
}

int prle__cfg_default_run_name(prle_config *cfg, const char *path)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
        n -= 5;
    else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
        n -= 4;
    char *name = malloc(n + 1);
    if (!name)
        return prle__error_nomem("run name");
    memcpy(name, base, n);
    name[n] = '\0';
    free(cfg->logging.run_name);
    cfg->logging.run_name = name;
    return 0;
}

int prle_config_load(prle_config *out, const char *path)
{
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    *out = (prle_config){0};
    if (!path || !*path)
        return prle__error_set(PRLE_EINVAL, "no config file named");
    int err = prle__read_file(&text, &len, path, CONFIG_MAX_BYTES);
    if (err < 0)
        return err;
    const char *slash = strrchr(path, '/');
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir) {
        err = prle__error_nomem("config folder");
        goto done;
    }
    if ((err = prle_config_load_string(out, text, len, path, dir)) < 0)
        goto done;
    if (!out->logging.run_name && (err = prle__cfg_default_run_name(out, path)) < 0)
        prle_config_dispose(out);
done:
    free(text);
    free(dir);
    return err;
}

int prle_config_override(prle_config *cfg, const char *assignment)
{
    char shown[80];
    if (!assignment)
        return prle__error_set(PRLE_EINVAL, "override is NULL");
    prle__cfg_show(shown, sizeof shown, assignment, strlen(assignment));
    const char *eq = strchr(assignment, '=');
    const char *k0 = assignment, *k1 = eq ? eq : assignment;
    while (k0 < k1 && (*k0 == ' ' || *k0 == '\t'))
        k0++;
    while (k1 > k0 && (k1[-1] == ' ' || k1[-1] == '\t'))
        k1--;
    if (!eq || k1 == k0)
        return prle__error_set(PRLE_EINVAL, "override '%s': expected KEY=VALUE", shown);
    size_t nk = (size_t)(k1 - k0);
    char *key = malloc(nk + 1);
    if (!key)
        return prle__error_nomem("override");
    memcpy(key, k0, nk);
    key[nk] = '\0';

    int err = 0;
    char *cwd = NULL;
    prle_config tmp = {0};
    pctx c = {0};
    bool known = prle__cfg_find(key) || prle__cfg_is_section(key);
    bool ignored = !known && prle__cfg_is_ignored(key);
    if (!known && !ignored) {
        char kshown[80], hint[160];
        prle__cfg_show(kshown, sizeof kshown, key, nk);
        prle__cfg_suggest(hint, sizeof hint, key);
        err =
            prle__error_set(PRLE_EINVAL, "override '%s': unknown key '%s'%s", shown, kshown, hint);
        goto done;
    }
    if (!(cwd = prle__cfg_getcwd())) {
        err = prle_last_error_code();
        goto done;
    }
    if (ignored) { /* paths made absolute all the same: the result of every override is */
        if ((err = prle__cfg_absolutize(cfg, cwd)) == 0)
            err = prle__cfg_add_notice(cfg, "override '%s': ignoring W&B key %s", shown, key);
        goto done;
    }
    const char *value = eq + 1;
    c.name = "override";
    c.assignment = assignment;
    c.base_dir = cwd;
    if ((err = prle__config_copy(&tmp, cfg)) < 0 ||
        (err = ctx_init(&c, &tmp, value, strlen(value))) < 0 || (err = parse_stream(&c, key)) < 0 ||
        (err = prle__cfg_absolutize(&tmp, cwd)) < 0)
        goto done;
    prle_config_dispose(cfg);
    *cfg = tmp;
    tmp = (prle_config){0};
done:
    ctx_dispose(&c);
    prle_config_dispose(&tmp);
    free(cwd);
    free(key);
    return err;
}
