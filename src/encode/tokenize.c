/* English tokenisation matching GloVe 6B (tokenize.h).
 *
 * GloVe 6B was tokenised by the Stanford PTB tokenizer and lower-cased, so its vocabulary has
 * "n't", "'s", "ca" (from "can't"), "wo" (from "won't"), "3.5", "1,000", "u.s.", "mr." and many
 * hyphenated words ("well-known", "e-mail"), but also single punctuation marks. The rules:
 *
 * - Space separates; each punctuation mark is a token, except runs of '.' ("...") and '-'
 *   ("--"), which PTB keeps as one token.
 * - A word is a run of letters and digits (any non-ASCII code point outside the punctuation
 *   and symbol blocks counts as a letter) joined by: '-' or '.' between letters/digits
 *   ("well-known", "3.5", "u.s"), ',' before exactly three digits ("1,000"), ':' or '/'
 *   between digits ("12:30", "1/2"), '&' between letters ("at&t"), and an apostrophe that is
 *   not a clitic ("o'neill").
 * - Clitics are split off as PTB does: "don't" -> do n't, "can't" -> ca n't, "it's" -> it 's,
 *   and 're 'll 've 'd 'm likewise; a lone clitic ("it 's") is one token.
 * - A period stays on dotted abbreviations ("u.s.", "e.g.") and on common title/month/company
 *   abbreviations ("mr.", "inc.", "jan.") unless it ends the text (PTB's sentence-final rule).
 * - Vocabulary fallback (our design, because GloVe files differ: the npm package drops every
 *   token with a digit or an apostrophe and all one-letter words): a compound the vocabulary
 *   does not know is split. Hyphen groups first ("u.s.-led" -> u.s. led), then a dotted
 *   abbreviation falls back to its letters ("u.s." -> "us"), "mr." to "mr", numbers stay whole,
 *   and anything else to its parts ("o'neill" -> o neill, "at&t" -> at & t). The hyphen itself
 *   is dropped: it is an artefact of the split, not a token of the text, and PTB would not
 *   have produced it. "gonna"/"wanna"/"gotta" split as PTB does (gon na) when unknown.
 */
#include "encode/tokenize.h"

#include <stdint.h>
#include <string.h>

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* Decodes the sequence at s (n > 0 bytes left): returns its length and the code point; an
 * invalid or truncated sequence is one byte of U+FFFD. */
static size_t utf8_dec(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t k;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        k = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (n < k) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return k;
}

/* Two-byte code points only (U+0080..U+07FF), so lower-casing keeps the byte length. */
static uint32_t lower_cp(uint32_t c)
{
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 0x20;            /* Latin-1 */
    if (c >= 0x100 && c <= 0x17F) { /* Latin Extended-A: upper/lower pairs */
        if ((c <= 0x12F || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && !(c & 1))
            return c + 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && (c & 1))
            return c + 1;
        if (c == 0x178)
            return 0xFF;
        return c;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 0x20; /* Greek */
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 0x25;
    if (c == 0x38C)
        return 0x3CC;
    if (c == 0x38E || c == 0x38F)
        return c + 0x3F;
    if (c >= 0x410 && c <= 0x42F)
        return c + 0x20; /* Cyrillic */
    if (c >= 0x400 && c <= 0x40F)
        return c + 0x50;
    return c;
}

static size_t put2(char *out, uint32_t c)
{
    out[0] = (char)(0xC0 | c >> 6);
    out[1] = (char)(0x80 | (c & 0x3F));
    return 2;
}

/* "‚Äô" and friends: UTF-8 quotes and dashes read as MacRoman and saved again as UTF-8
 * (STS-B's news headlines have them). At `s`, just after U+201A: returns the bytes consumed
 * (0 if no match) and the replacement. */
static size_t mojibake(const unsigned char *s, size_t n, const char **rep)
{
    uint32_t a, b;
    if (n == 0)
        return 0;
    size_t k1 = utf8_dec(s, n, &a);
    if ((a != 0xC4 && a != 0xE4) || k1 >= n)
        return 0;
    size_t k2 = utf8_dec(s + k1, n - k1, &b);
    switch (b) {
    case 0xF4: /* ’ */
    case 0xF2: /* ‘ */
    case 0x117:
        *rep = "'";
        break;
    case 0xFA: /* “ */
    case 0xF9: /* ” */
        *rep = "\"";
        break;
    case 0xEC: /* – */
        *rep = "-";
        break;
    case 0xEE: /* — */
        *rep = "--";
        break;
    case 0xB6: /* … */
        *rep = "...";
        break;
    default:
        return 0;
    }
    return k1 + k2;
}

size_t prle__tok_normalize(char *out, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, o = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = utf8_dec(s + i, len - i, &cp);
        const char *rep = NULL;
        size_t skip = k;
        if (cp == 0x201A) {
            size_t m = mojibake(s + i + k, len - i - k, &rep);
            skip = k + m; /* the replacement is never longer than what it replaces */
        } else if (cp == 0x2018 || cp == 0x2019) {
            rep = "'";
        } else if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
                   cp == 0x3000) {
            rep = " ";
        } else if ((cp >= 0x200B && cp <= 0x200D) || cp == 0xFEFF) {
            rep = "";
        }
        if (rep) {
            size_t rl = strlen(rep);
            memcpy(out + o, rep, rl);
            o += rl;
        } else if (k == 2 && lower_cp(cp) != cp) {
            o += put2(out + o, lower_cp(cp));
        } else {
            memcpy(out + o, s + i, k);
            o += k;
        }
        i += skip;
    }
    out[o] = '\0';
    return o;
}

/* ---- character classes ------------------------------------------------------------------ */

enum { C_SPACE, C_ALNUM, C_PUNCT };

static bool is_punct_cp(uint32_t c)
{
    return (c >= 0x80 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x2BFF) ||
           (c >= 0x3000 && c <= 0x303F) || (c >= 0xFE30 && c <= 0xFE4F) ||
           (c >= 0xFF01 && c <= 0xFF0F) || (c >= 0x1F000 && c <= 0x1FAFF);
}

typedef struct tk {
    const unsigned char *s;
    size_t n;
    prle__tok_known_fn known;
    prle__tok_emit_fn emit;
    void *ud;
} tk;

/* Class of the character at i, its byte length to *len. */
static int cls(const tk *t, size_t i, size_t *len)
{
    unsigned char c = t->s[i];
    if (c < 0x80) {
        *len = 1;
        if (c <= ' ' || c == 0x7F)
            return C_SPACE;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))
            return C_ALNUM;
        return C_PUNCT;
    }
    uint32_t cp;
    *len = utf8_dec(t->s + i, t->n - i, &cp);
    return is_punct_cp(cp) ? C_PUNCT : C_ALNUM;
}

static bool alnum_at(const tk *t, size_t i)
{
    size_t l;
    return i < t->n && cls(t, i, &l) == C_ALNUM;
}

static bool digit_at(const tk *t, size_t i)
{
    return i < t->n && t->s[i] >= '0' && t->s[i] <= '9';
}

static bool alpha_at(const tk *t, size_t i)
{
    return i < t->n && t->s[i] >= 'a' && t->s[i] <= 'z';
}

static size_t alnum_run(const tk *t, size_t i)
{
    size_t l;
    while (i < t->n && cls(t, i, &l) == C_ALNUM)
        i += l;
    return i;
}

static void emit(tk *t, size_t b, size_t e)
{
    if (e > b)
        t->emit(t->ud, (const char *)t->s + b, e - b);
}

static bool known(const tk *t, const char *s, size_t n)
{
    return !t->known || t->known(t->ud, s, n);
}

/* Length of a clitic ('s 're 'll 've 'd 'm) at i (an apostrophe) followed by a non-letter, or
 * 0. */
static size_t clitic_at(const tk *t, size_t i)
{
    static const char *const cl[] = {"'s", "'re", "'ll", "'ve", "'d", "'m"};
    for (size_t k = 0; k < sizeof cl / sizeof *cl; k++) {
        size_t m = strlen(cl[k]);
        if (i + m <= t->n && memcmp(t->s + i, cl[k], m) == 0 && !alnum_at(t, i + m))
            return m;
    }
    return 0;
}

/* ---- words ------------------------------------------------------------------------------ */

#define MAX_SEGS 32

typedef struct seg {
    size_t b, e; /* [b, e) of the text */
    char join;   /* the joiner after it; 0 for the last */
} seg;

static bool is_abbrev(const tk *t, size_t b, size_t e)
{
    static const char *const ab[] = {
        "mr",   "mrs",  "ms",  "dr",   "prof", "sr",  "jr",  "st",  "mt",  "ft",   "gen",
        "gov",  "sen",  "rep", "rev",  "capt", "col", "lt",  "sgt", "maj", "adm",  "inc",
        "corp", "co",   "ltd", "bros", "jan",  "feb", "mar", "apr", "jun", "jul",  "aug",
        "sep",  "sept", "oct", "nov",  "dec",  "vs",  "etc", "vol", "fig", "dept", "ave"};
    for (size_t k = 0; k < sizeof ab / sizeof *ab; k++)
        if (strlen(ab[k]) == e - b && memcmp(t->s + b, ab[k], e - b) == 0)
            return true;
    return false;
}

/* No letter or digit after i: a period at i ends the text. */
static bool final_period(const tk *t, size_t i)
{
    for (size_t j = i + 1; j < t->n; j++) {
        size_t l;
        if (cls(t, j, &l) == C_ALNUM)
            return false;
    }
    return true;
}

/* One segment, maybe with an abbreviation's period. */
static void emit_single(tk *t, size_t b, size_t e)
{
    const char *s = (const char *)t->s + b;
    size_t n = e - b;
    if (n > 1 && s[n - 1] == '.' && !known(t, s, n)) {
        emit(t, b, e - 1); /* "mr." unknown: "mr" */
        return;
    }
    static const char *const pairs[][3] = {
        {"gonna", "gon", "na"}, {"wanna", "wan", "na"}, {"gotta", "got", "ta"}};
    for (size_t k = 0; k < 3; k++)
        if (n == 5 && memcmp(s, pairs[k][0], 5) == 0 && (!t->known || !known(t, s, n))) {
            t->emit(t->ud, pairs[k][1], 3);
            t->emit(t->ud, pairs[k][2], 2);
            return;
        }
    emit(t, b, e);
}

/* Segments [a, b) ending at `end` (the last one's end, or past its period). */
static void emit_group(tk *t, const seg *sg, int a, int b, size_t end, bool try_whole)
{
    size_t gb = sg[a].b;
    if (b - a == 1) {
        emit_single(t, gb, end);
        return;
    }
    if (try_whole && known(t, (const char *)t->s + gb, end - gb)) {
        emit(t, gb, end);
        return;
    }
    bool dotted = true, digits = true;
    for (int k = a; k < b; k++) {
        if ((k < b - 1 && sg[k].join != '.') || sg[k].e - sg[k].b != 1 || !alpha_at(t, sg[k].b))
            dotted = false;
        for (size_t i = sg[k].b; i < sg[k].e; i++)
            digits &= t->s[i] >= '0' && t->s[i] <= '9';
    }
    if (dotted && b - a <= 16) { /* "u.s." unknown: "us" */
        char tmp[16];
        for (int k = a; k < b; k++)
            tmp[k - a] = (char)t->s[sg[k].b];
        if (known(t, tmp, (size_t)(b - a)))
            t->emit(t->ud, tmp, (size_t)(b - a));
        else
            emit(t, gb, end);
        return;
    }
    if (digits) {
        emit(t, gb, end);
        return;
    }
    for (int k = a; k < b; k++) {
        emit(t, sg[k].b, sg[k].e);
        if (k < b - 1 && sg[k].join == '&')
            t->emit(t->ud, "&", 1);
    }
}

/* A word starting at i (a letter or digit): emits it (and a clitic after it); returns where
 * scanning goes on. */
static size_t word(tk *t, size_t i)
{
    seg sg[MAX_SEGS];
    int ns = 0;
    size_t e = alnum_run(t, i), cl_b = 0, cl_e = 0;
    sg[ns++] = (seg){i, e, 0};
    while (e < t->n && ns < MAX_SEGS) {
        char c = (char)t->s[e], j = 0;
        if ((c == '-' || c == '.') && alnum_at(t, e + 1)) {
            j = c;
        } else if (c == ',' && digit_at(t, e - 1) && digit_at(t, e + 1) && digit_at(t, e + 2) &&
                   digit_at(t, e + 3) && !digit_at(t, e + 4)) {
            j = c;
        } else if ((c == ':' || c == '/') && digit_at(t, e - 1) && digit_at(t, e + 1)) {
            j = c;
        } else if (c == '&' && alpha_at(t, e - 1) && alpha_at(t, e + 1)) {
            j = c;
        } else if (c == '\'') {
            if (t->s[e - 1] == 'n' && e + 1 < t->n && t->s[e + 1] == 't' && !alnum_at(t, e + 2)) {
                cl_b = e - 1, cl_e = e + 2; /* "don't": do n't */
                sg[ns - 1].e = --e;
                if (sg[ns - 1].e == sg[ns - 1].b && ns > 1) /* "x-n't": drop the empty part */
                    e = sg[--ns - 1].e, sg[ns - 1].join = 0;
                break;
            }
            size_t m = clitic_at(t, e);
            if (m) {
                cl_b = e, cl_e = e + m;
                break;
            }
            if (alnum_at(t, e + 1))
                j = c; /* o'neill */
        }
        if (!j)
            break;
        sg[ns - 1].join = j;
        size_t b = e + 1;
        e = alnum_run(t, b);
        sg[ns++] = (seg){b, e, 0};
    }

    /* a period that belongs to the word */
    size_t end = e;
    if (!cl_e && e < t->n && t->s[e] == '.') {
        bool dotted = ns >= 2;
        for (int k = 0; k < ns && dotted; k++)
            dotted = (k == ns - 1 || sg[k].join == '.') && sg[k].e - sg[k].b == 1 &&
                     alpha_at(t, sg[k].b);
        if (dotted || (ns == 1 && is_abbrev(t, sg[0].b, sg[0].e) && !final_period(t, e)))
            end = e + 1;
    }

    if (end > i) {
        const char *w = (const char *)t->s + i;
        bool hyphen = false;
        for (int k = 0; k < ns - 1; k++)
            hyphen |= sg[k].join == '-';
        if (ns == 1 || known(t, w, end - i)) {
            ns == 1 ? emit_single(t, i, end) : emit(t, i, end);
        } else if (hyphen) {
            int a = 0;
            for (int k = 0; k < ns; k++)
                if (k == ns - 1 || sg[k].join == '-') {
                    emit_group(t, sg, a, k + 1, k == ns - 1 ? end : sg[k].e, true);
                    a = k + 1;
                }
        } else {
            emit_group(t, sg, 0, ns, end, false);
        }
    }
    if (cl_e) {
        emit(t, cl_b, cl_e);
        return cl_e;
    }
    return end;
}

void prle__tokenize(const char *norm, size_t n, prle__tok_known_fn known_fn,
                    prle__tok_emit_fn emit_fn, void *ud)
{
    tk t = {(const unsigned char *)norm, n, known_fn, emit_fn, ud};
    size_t i = 0;
    while (i < n) {
        size_t l;
        int c = cls(&t, i, &l);
        if (c == C_SPACE) {
            i += l;
        } else if (c == C_ALNUM) {
            i = word(&t, i);
        } else if (t.s[i] == '.' || t.s[i] == '-') {
            size_t j = i; /* "...", "--" */
            while (j < n && t.s[j] == t.s[i])
                j++;
            emit(&t, i, j);
            i = j;
        } else if (t.s[i] == '\'' && clitic_at(&t, i)) {
            size_t m = clitic_at(&t, i); /* "it 's" */
            emit(&t, i, i + m);
            i += m;
        } else {
            emit(&t, i, i + l);
            i += l;
        }
    }
}
