/* The checks of a table row's text and label fields (fields.h). */
#include "data/fields.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prle__field_show(char *out, size_t cap, const char *s)
{
    size_t n = 0, len = strlen(s);
    for (; n < len && n < 40 && n + 4 < cap; n++)
        out[n] = ((unsigned char)s[n] < 0x20 || s[n] == 0x7f) ? '?' : s[n];
    if (n < len && n + 4 < cap)
        out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n] = '\0';
}

void prle__field_desc(char *out, size_t cap, const prle_table *t, size_t col, bool jsonl)
{
    const char *name = prle_table_col_name(t, col);
    char shown[64];
    if (name) {
        prle__field_show(shown, sizeof shown, name);
        if (jsonl)
            snprintf(out, cap, "field '%s'", shown);
        else
            snprintf(out, cap, "field '%s' (column %zu)", shown, col);
    } else {
        snprintf(out, cap, "column %zu", col);
    }
}

int prle__field_text(const char **text, char *what, size_t cap, const prle_table *t, size_t row,
                     size_t col, const char *desc, bool jsonl)
{
    *text = prle_table_field(t, row, col);
    if (!*text) {
        if (jsonl) /* a key absent, or null */
            snprintf(what, cap, "missing text: %s is absent or null in this row", desc);
        else
            snprintf(what, cap, "missing text: no %s in this row", desc);
        return 1;
    }
    if (strlen(*text) != prle_table_field_len(t, row, col)) {
        snprintf(what, cap, "text in %s holds a NUL character", desc);
        return 1;
    }
    return 0;
}

/* The decimal number s, spaces around it allowed: 1 and *out; 0 when s is not one; -1 when
 * it is one beyond double range. No hex, inf or nan (strtod would take them). */
static int parse_decimal(double *out, const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    if (len == 0 || len > 64)
        return 0;
    char buf[72];
    memcpy(buf, s, len);
    buf[len] = '\0';
    size_t i = 0, digits = 0;
    if (buf[i] == '+' || buf[i] == '-')
        i++;
    for (; isdigit((unsigned char)buf[i]); i++)
        digits++;
    if (buf[i] == '.')
        for (i++; isdigit((unsigned char)buf[i]); i++)
            digits++;
    if (!digits)
        return 0;
    if (buf[i] == 'e' || buf[i] == 'E') {
        i++;
        if (buf[i] == '+' || buf[i] == '-')
            i++;
        if (!isdigit((unsigned char)buf[i]))
            return 0;
        while (isdigit((unsigned char)buf[i]))
            i++;
    }
    if (buf[i] != '\0')
        return 0;
    char *end;
    double v = strtod(buf, &end);
    if (*end != '\0')
        return 0;
    *out = v;
    return isfinite(v) ? 1 : -1;
}

int prle__field_label(double *out, char *what, size_t cap, const prle_table *t, size_t row,
                      size_t col, const char *desc, bool jsonl)
{
    const char *lab = prle_table_field(t, row, col);
    char shown[64];
    double v = 0;
    if (!lab || !*lab) {
        snprintf(what, cap, "missing label: %s is %s", desc,
                 lab     ? "empty"
                 : jsonl ? "absent or null"
                         : "absent");
        return 1;
    }
    if (strlen(lab) != prle_table_field_len(t, row, col)) {
        snprintf(what, cap, "label in %s holds a NUL character", desc);
        return 1;
    }
    int rc = parse_decimal(&v, lab);
    prle__field_show(shown, sizeof shown, lab);
    if (rc == 0) {
        snprintf(what, cap, "label '%s' in %s is not a number", shown, desc);
        return 1;
    }
    if (rc < 0 || !isfinite((float)v)) { /* labels are stored as float */
        snprintf(what, cap, "label '%s' in %s is beyond float range (|x| < 3.4e38)", shown, desc);
        return 1;
    }
    *out = v;
    return 0;
}
