/* LABELS: unit */
/* The GloVe 6B tokenizer: PTB rules written out token by token, the vocabulary fallback,
 * normalisation (case, quotes, spaces, mojibake) and UTF-8 safety. */
#include "prle_test.h"

#include "encode/tokenize.h"

/* Tokens joined by single spaces into `out`. */
typedef struct collect {
    char buf[4096];
    size_t n;
    const char *const *vocab; /* NULL-terminated, or NULL: no vocabulary */
    size_t tokens;
} collect;

static void on_token(void *ud, const char *s, size_t n)
{
    collect *c = ud;
    if (c->n && c->n + 1 < sizeof c->buf)
        c->buf[c->n++] = ' ';
    if (c->n + n < sizeof c->buf) {
        memcpy(c->buf + c->n, s, n);
        c->n += n;
    }
    c->buf[c->n] = '\0';
    c->tokens++;
}

static bool in_vocab(void *ud, const char *s, size_t n)
{
    const collect *c = ud;
    for (const char *const *w = c->vocab; *w; w++)
        if (strlen(*w) == n && memcmp(*w, s, n) == 0)
            return true;
    return false;
}

static const char *tokenize(const char *text, const char *const *vocab)
{
    static collect c;
    static char norm[4096];
    memset(&c, 0, sizeof c);
    c.vocab = vocab;
    size_t n = prle__tok_normalize(norm, text, strlen(text));
    prle__tokenize(norm, n, vocab ? in_vocab : NULL, on_token, &c);
    return c.buf;
}

#define PT_TOKENS(text, vocab, expected) PT_EQ_STR(tokenize(text, vocab), expected)

static void test_tokenize__ptb_clitics(void)
{
    PT_TOKENS("Don't stop, it's 3.5 well-known U.S. firms' A-B.", NULL,
              "do n't stop , it 's 3.5 well-known u.s. firms ' a-b .");
    PT_TOKENS("I can't, won't and CANNOT go; they're here.", NULL,
              "i ca n't , wo n't and cannot go ; they 're here .");
    PT_TOKENS("isn't ain't I'm we'd you'll they've y'all 'em", NULL,
              "is n't ai n't i 'm we 'd you 'll they 've y'all ' em");
    PT_TOKENS("do n't it 's 'S", NULL, "do n't it 's 's");
    PT_TOKENS("O'Neill's rock'n'roll students' 'quotes'", NULL,
              "o'neill 's rock'n'roll students ' ' quotes '");
    PT_TOKENS("n't", NULL, "n't");
}

static void test_tokenize__ptb_numbers_and_punct(void)
{
    PT_TOKENS("\"1,000,000\" (or 12:30 and 1/2)...", NULL,
              "\" 1,000,000 \" ( or 12:30 and 1/2 ) ...");
    PT_TOKENS("3,45 and 1,2345 cost $5 or 5% #1", NULL, "3 , 45 and 1 , 2345 cost $ 5 or 5 % # 1");
    PT_TOKENS("e-mail 10-year-old x--y -5 well- known", NULL,
              "e-mail 10-year-old x -- y - 5 well - known");
    PT_TOKENS("www.Google.com sentence.Next 3.5.", NULL, "www.google.com sentence.next 3.5 .");
    PT_TOKENS("wait!! really?!", NULL, "wait ! ! really ? !");
    PT_TOKENS("", NULL, "");
    PT_TOKENS(" \t\n ", NULL, "");
}

static void test_tokenize__ptb_abbreviations(void)
{
    PT_TOKENS("Mr. Smith met Dr. Who at AT&T on Jan. 5, e.g. at 5 p.m.", NULL,
              "mr. smith met dr. who at at&t on jan. 5 , e.g. at 5 p.m.");
    PT_TOKENS("He works at Acme Inc.", NULL, "he works at acme inc .");
    PT_TOKENS("The U.S. and the U.N.", NULL, "the u.s. and the u.n.");
    PT_TOKENS("gonna wanna gotta", NULL, "gon na wan na got ta");
}

static void test_tokenize__vocabulary_fallback(void)
{
    static const char *const vocab[] = {
        "well", "known", "us",   "mr",  "neill", "o", "at", "t", "state-of-the-art",
        "led",  "gonna", "year", "old", NULL};
    PT_TOKENS("well-known state-of-the-art", vocab, "well known state-of-the-art");
    PT_TOKENS("The U.S. and Mr. Smith", vocab, "the us and mr smith");
    PT_TOKENS("O'Neill at AT&T", vocab, "o neill at at & t");
    PT_TOKENS("U.S.-led", vocab, "us - led");
    PT_TOKENS("gonna wanna", vocab, "gonna wan na");
    PT_TOKENS("3.5 and 1,000 stay", vocab, "3.5 and 1,000 stay");
    PT_TOKENS("sentence.Next 10-year-old", vocab, "sentence next 10 year old");
    PT_TOKENS("u.k.", vocab, "u.k."); /* "uk" unknown too: kept whole */
}

static void test_tokenize__unicode(void)
{
    PT_TOKENS("Café naïve ÉCOLE Straße ΑΘΗΝΑ Москва ŁÓDŹ 東京", NULL,
              "café naïve école straße αθηνα москва łódź 東京");
    PT_TOKENS("It’s “quoted” — ok… ‘yes’", NULL, "it 's “ quoted ” — ok … ' yes '");
    PT_TOKENS("BBC‚Äôs Doctor Who ‚Äėpariah‚Äô", NULL, "bbc 's doctor who ' pariah '");
    PT_TOKENS("a\xC2\xA0"
              "b\xE2\x80\x8B"
              "c",
              NULL, "a bc"); /* no-break space, zero width */
    PT_TOKENS("¿Qué? «non» 5°C ±3 ×2", NULL, "¿ qué ? « non » 5 ° c ± 3 × 2");
}

static void test_tokenize__normalize(void)
{
    char out[256];
    const char *in = "ÀÉÎÕÜ ÇÑ Ÿ Ā Ł Ğ ABC";
    size_t n = prle__tok_normalize(out, in, strlen(in));
    PT_EQ_STR(out, "àéîõü çñ ÿ ā ł ğ abc");
    PT_EQ_INT(n, strlen(in)); /* case mapping keeps the byte length */
    /* invalid and truncated UTF-8 is copied byte for byte */
    const char bad[] = "a\xFF\xC3";
    n = prle__tok_normalize(out, bad, 3);
    PT_EQ_INT(n, 3);
    PT_CHECK(memcmp(out, bad, 3) == 0);
    /* curly apostrophe shrinks to one byte */
    n = prle__tok_normalize(out, "it\xE2\x80\x99s", 6);
    PT_EQ_STR(out, "it's");
    PT_EQ_INT(n, 4);
}

/* Valid UTF-8 in: every token is valid UTF-8 (no sequence is split); any bytes in: no
 * crash and no token outside the buffer (ASan). */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (!k || i + k > n)
            return false;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
        i += k;
    }
    return true;
}

typedef struct utf8_check {
    size_t bad, oob, total;
    const char *lo, *hi;
} utf8_check;

static void check_token(void *ud, const char *s, size_t n)
{
    utf8_check *c = ud;
    c->total++;
    if (!valid_utf8((const unsigned char *)s, n) || n == 0)
        c->bad++;
    if (s < c->lo || s + n > c->hi)
        c->oob++;
}

static void test_tokenize__utf8_safety(void)
{
    const char *text = "Zoë’s “naïve” café—東京 déjà-vu 🙂 Ωmega's Ĳssel n’t";
    size_t len = strlen(text);
    char norm[256];
    /* every prefix cut at a character boundary */
    for (size_t cut = 0; cut <= len; cut++) {
        if (cut < len && ((unsigned char)text[cut] & 0xC0) == 0x80)
            continue;
        size_t n = prle__tok_normalize(norm, text, cut);
        utf8_check c = {0, 0, 0, norm, norm + n};
        prle__tokenize(norm, n, NULL, check_token, &c);
        PT_EQ_INT(c.bad, 0);
        PT_EQ_INT(c.oob, 0);
    }
    /* random bytes: stays inside the buffer */
    prle_rng rng;
    prle_rng_init(&rng, 7, "test.tokenize", 0);
    for (int trial = 0; trial < 2000; trial++) {
        char in[64];
        size_t n = (size_t)(prle_rng_uniform(&rng) * 64);
        for (size_t i = 0; i < n; i++) {
            double u = prle_rng_uniform(&rng);
            in[i] = u < 0.5 ? "aZ9'.-,&:/ \xC3\xE2\x80\x99"[(int)(u * 30)]
                            : (char)(int)(256 * prle_rng_uniform(&rng));
        }
        size_t m = prle__tok_normalize(norm, in, n);
        PT_CHECK(m <= n);
        utf8_check c = {0, 0, 0, norm, norm + m};
        prle__tokenize(norm, m, NULL, check_token, &c);
        PT_CHECK(c.total <= m);
        PT_EQ_INT(c.oob, 0);
    }
}

int main(void)
{
    PT_RUN(test_tokenize__ptb_clitics);
    PT_RUN(test_tokenize__ptb_numbers_and_punct);
    PT_RUN(test_tokenize__ptb_abbreviations);
    PT_RUN(test_tokenize__vocabulary_fallback);
    PT_RUN(test_tokenize__unicode);
    PT_RUN(test_tokenize__normalize);
    PT_RUN(test_tokenize__utf8_safety);
    return pt_report();
}
