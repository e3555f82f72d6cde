#include "core/str.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

bool prle__str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *prle__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *prle__join_pair(const char *a, const char *token, const char *b)
{
    size_t la = strlen(a), lt = strlen(token), lb = strlen(b);
    char *v = malloc(la + lt + lb + 3);
    if (v) {
        char *p = v;
        memcpy(p, a, la), p += la, *p++ = ' ';
        memcpy(p, token, lt), p += lt, *p++ = ' ';
        memcpy(p, b, lb + 1);
    }
    return v;
}

/* Appends the segments of `p` to `out` (length *o, ending in a segment or empty, or "/" for
 * an absolute path at its root), resolving "." and ".." as prle__path_join_norm says. `root` is
 * the length of the part no ".." may remove: 1 for "/", else 0. */
static void push_segments(char *out, size_t *o, size_t root, const char *p)
{
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        bool dot = n == 1 && p[0] == '.', dotdot = n == 2 && p[0] == '.' && p[1] == '.';
        if (dotdot && *o > root) {
            size_t start = *o; /* the last segment: after the last '/' past the root */
            while (start > root && out[start - 1] != '/')
                start--;
            bool last_is_dotdot = *o - start == 2 && out[start] == '.' && out[start + 1] == '.';
            if (!last_is_dotdot) { /* "x/.." cancels; a leading "../.." stays */
                *o = start > root ? start - 1 : root;
                p += n;
                continue;
            }
        }
        if (!dot && !(dotdot && root == 1)) { /* "/.." is "/" */
            if (*o > root)
                out[(*o)++] = '/';
            memcpy(out + *o, p, n);
            *o += n;
        }
        p += n;
    }
}

char *prle__path_join_norm(const char *base, const char *rel)
{
    bool use_base = base && base[0] && rel[0] != '/';
    const char *first = use_base ? base : rel;
    size_t cap = strlen(rel) + (use_base ? strlen(base) + 1 : 0) + 2;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0, root = first[0] == '/' ? 1 : 0;
    if (root)
        out[o++] = '/';
    if (use_base)
        push_segments(out, &o, root, base);
    push_segments(out, &o, root, rel);
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    return out;
}

int prle__user_cache_dir(char **out, const char *sub)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME"), *base, *mid;
    *out = NULL;
    if (xdg && xdg[0] == '/')
        base = xdg, mid = "/prle";
    else if (home && home[0] == '/')
        base = home, mid = "/.cache/prle";
    else
        return prle__error_set(PRLE_ENOTFOUND, "no user cache folder: XDG_CACHE_HOME and HOME "
                                               "are unset or not absolute paths");
    const char *sep = sub ? "/" : "", *tail = sub ? sub : "";
    size_t n = strlen(base) + strlen(mid) + strlen(sep) + strlen(tail) + 1;
    char *p = malloc(n);
    if (!p)
        return prle__error_nomem("user cache folder");
    snprintf(p, n, "%s%s%s%s", base, mid, sep, tail);
    *out = p;
    return 0;
}
