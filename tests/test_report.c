/* LABELS: unit io */
/* prle_report_write on the fixture run folder tests/data/report_run (written exactly per
 * docs/run-folder.md by tools/ref/report_fixture.py): every section, escaped texts, formatted
 * metrics (the baselines converted to the 0-1 scale), one star per prototype in each t-SNE
 * scatter, balanced SVG, no outside references; the notes of absent optional files; the errors
 * of a missing or malformed required or optional file; a full-size t-SNE stays small. */
#include <sys/stat.h>

#include "analysis/report_int.h"
#include "prle_test.h"

static const char *const files[] = {"config.yaml",
                                    "metrics.json",
                                    "kernel_report.json",
                                    "train_log.csv",
                                    "prototypes.json",
                                    "analysis.json",
                                    "explanations_test.json",
                                    "baselines.json",
                                    "baselines_value.json",
                                    "rows_test.json",
                                    "dataset.json"};
#define N_FILES (sizeof files / sizeof *files)

/* A fresh run folder under the scratch dir holding the fixture files named in `keep`
 * (NULL-terminated); returns its path (static buffer). */
static const char *make_run(const char *name, const char *const *keep)
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s", pt_tmp(name));
    mkdir(dir, 0755);
    for (size_t i = 0; i < N_FILES; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        remove(p);
    }
    for (; keep && *keep; keep++) {
        char src[1200], dst[1200];
        snprintf(src, sizeof src, "%s", pt_data("report_run"));
        snprintf(src + strlen(src), sizeof src - strlen(src), "/%s", *keep);
        snprintf(dst, sizeof dst, "%s/%s", dir, *keep);
        size_t len = 0;
        unsigned char *b = pt_slurp(src, &len);
        if (!b || pt_write_file(dst, (const char *)b, len) < 0)
            PT_FAIL_AT("cannot copy %s", *keep);
        free(b);
    }
    return dir;
}

static void put(const char *dir, const char *name, const char *text)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (pt_write_file(p, text, strlen(text)) < 0)
        PT_FAIL_AT("cannot write %s", p);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

#define HAS(html, s)                                                                               \
    do {                                                                                           \
        if (!strstr((html), (s)))                                                                  \
            PT_FAIL_AT("report lacks \"%s\"", (s));                                                \
    } while (0)
#define LACKS(html, s)                                                                             \
    do {                                                                                           \
        if (strstr((html), (s)))                                                                   \
            PT_FAIL_AT("report has \"%s\"", (s));                                                  \
    } while (0)

/* Tags between `p` and `end` nest properly (elements of inline SVG are all closed or
 * self-closed); writes the first problem into `why`. */
static bool tags_balanced(const char *p, const char *end, char why[128])
{
    char stack[32][24];
    int depth = 0;
    for (; p < end; p++) {
        if (*p != '<')
            continue;
        bool closing = p[1] == '/';
        const char *s = p + 1 + closing;
        size_t n = strcspn(s, " />\n");
        const char *gt = memchr(s, '>', (size_t)(end - s));
        if (!gt || n == 0 || n >= sizeof stack[0]) {
            snprintf(why, 128, "bad tag at \"%.20s\"", p);
            return false;
        }
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != n || strncmp(stack[depth - 1], s, n)) {
                snprintf(why, 128, "</%.*s> closes <%s>", (int)n, s, depth ? stack[depth - 1] : "");
                return false;
            }
            depth--;
        } else if (gt[-1] != '/') {
            if (depth == 32) {
                snprintf(why, 128, "nesting too deep");
                return false;
            }
            memcpy(stack[depth], s, n);
            stack[depth++][n] = '\0';
        }
        p = gt;
    }
    if (depth) {
        snprintf(why, 128, "<%s> never closed", stack[depth - 1]);
        return false;
    }
    return true;
}

/* Checks every <svg> ... </svg> of the page; returns how many; `stars[i]` gets the stars of
 * the i-th t-SNE scatter. */
static size_t check_svgs(const char *html, size_t stars[4], size_t *n_tsne)
{
    size_t n = 0;
    *n_tsne = 0;
    for (const char *p = strstr(html, "<svg"); p; p = strstr(p + 4, "<svg")) {
        const char *e = strstr(p, "</svg>");
        if (!e) {
            PT_FAIL_AT("an <svg> is never closed");
            break;
        }
        e += strlen("</svg>");
        char why[128];
        if (!tags_balanced(p, e, why))
            PT_FAIL_AT("svg %zu: %s", n, why);
        if (strncmp(p, "<svg class=\"tsne\"", 17) == 0 && *n_tsne < 4) {
            size_t k = 0;
            for (const char *q = strstr(p, "class=\"star\""); q && q < e;
                 q = strstr(q + 1, "class=\"star\""))
                k++;
            stars[(*n_tsne)++] = k;
        }
        n++;
    }
    return n;
}

/* The plot <svg class="plot CLS"> is present once and holds `n` of `what`. */
static void check_plot(const char *html, const char *cls, const char *what, size_t n)
{
    char open[64];
    snprintf(open, sizeof open, "<svg class=\"plot %s\"", cls);
    const char *p = strstr(html, open), *e = p ? strstr(p, "</svg>") : NULL;
    if (!p || !e || strstr(p + 1, open)) {
        PT_FAIL_AT("plot %s: not there once", cls);
        return;
    }
    size_t k = 0, len = strlen(what);
    for (const char *q = strstr(p, what); q && q < e; q = strstr(q + len, what))
        k++;
    if (k != n)
        PT_FAIL_AT("plot %s: %zu of %s, expected %zu", cls, k, what, n);
}

static char *write_and_read(const char *run, const char *out)
{
    remove(out);
    PT_OK(prle_report_write(run, out));
    size_t len;
    return (char *)pt_slurp(out, &len);
}

static void test_report__fixture(void)
{
    const char *out = pt_tmp("report_fixture.html");
    char *html = write_and_read(pt_data("report_run"), out);
    if (!html)
        return;
    static const char *const headings[] = {"<h2>Configuration</h2>",
                                           "<h2>Test metrics</h2>",
                                           "<h2>Training curves</h2>",
                                           "<h2>Distance\u2013label correlation</h2>",
                                           "<h2>t-SNE of retrieval and value space</h2>",
                                           "<h2>Test predictions and errors</h2>",
                                           "<h2>Prediction intervals</h2>",
                                           "<h2>Oracle mixture of experts</h2>",
                                           "<h2>Prototypes</h2>",
                                           "<h2>Explained test predictions</h2>"};
    for (size_t i = 0; i < sizeof headings / sizeof *headings; i++)
        HAS(html, headings[i]);
    LACKS(html, "not computed");
    /* the t-SNE caption names the repulsion analysis.json says the maps used */
    HAS(html, "each step's repulsion by FFT interpolation (FIt-SNE) or Barnes\u2013Hut, "
              "whichever is cheaper (the FFT throughout from 1,067 rows), perplexity 30");
    LACKS(html, "<p class=\"cap\">Barnes\u2013Hut t-SNE");
    /* self-contained: no reference outside, and a policy that forbids any */
    LACKS(html, "http://");
    LACKS(html, "https://");
    LACKS(html, "<script");
    LACKS(html, "<img");
    HAS(html, "content=\"default-src 'none'; style-src 'unsafe-inline'\"");
    /* escaped prototype texts (and their raw forms nowhere) */
    HAS(html, "A man says &quot;hi&quot; &amp; &lt;waves&gt;.");
    HAS(html, "A man waves &lt;hello&gt;.");
    HAS(html, "It&#39;s a caf\u00e9 \u2014 na\u00efve art &amp; more");
    HAS(html, "See http:&#47;&#47;example.com/a?b=1&amp;c=2 for details");
    HAS(html, "Two dogs run &lt;fast&gt; through &#39;snow&#39;");
    HAS(html, "A woman says &lt;bye&gt; &amp; leaves.");
    LACKS(html, "<waves>");
    LACKS(html, "<fast>");
    LACKS(html, "\"hi\"");
    /* this run's metrics, raw scale: test, then validation rows */
    HAS(html, "<td class=\"l\">test</td><td>10</td><td>0.6123</td><td>0.7825</td><td>0.6012</td>"
              "<td>0.6543</td><td>0.8765</td><td>0.8554</td><td>0.6789</td>");
    HAS(html, "<td class=\"l\">validation</td><td>10</td><td>0.5432</td>");
    HAS(html, "test MSE 0.6123 (raw scale), Pearson 0.8765");
    HAS(html, "This run, raw label scale (labels 0 to 5)");
    HAS(html, "Recalibrated on validation (model.recalibrate): every prediction, and every "
              "prototype's local prediction, is 0.125 + 0.875 \u00d7 the trained model's");
    /* beside the baselines on the 0-1 scale: PRLE's unit metrics (best MSE, best Pearson),
     * svr and ridge as written, knn converted from raw (0.75 / 25, 0.70 / 5) */
    HAS(html, "PRLE (this run)</td><td class=\"l\">value</td><td><b>0.0245</b></td>");
    HAS(html, "<td><b>0.8765</b></td>");
    HAS(html, "svr <span class=\"dim\">C=1 epsilon=0.1 gamma=scale</span></td>"
              "<td class=\"l\">retrieval</td><td>0.0371</td>");
    HAS(html, "knn <span class=\"dim\">k=5 weights=distance</span></td><td class=\"l\">value</td>"
              "<td>0.0300</td><td>0.1732</td><td>0.1400</td><td>0.8123</td>");
    HAS(html, ">ridge (retrieval)</text>");
    /* curves: kernel loss, loss_pair with val_pair in one chart, loss_uniform; experts loss,
     * task, fit, anchor, balance, val_mse, tau; all-zero terms (loss_triplet, entropy) and
     * bookkeeping left out; an epoch axis on each */
    PT_EQ_INT(count(html, "<svg class=\"curve\""), 10);
    PT_EQ_INT(count(html, "class=\"ax\" text-anchor=\"middle\">epoch</text>"), 10);
    LACKS(html, "aria-label=\"val_pair\"");
    HAS(html, "aria-label=\"loss_pair\">\n<text x=\"6\" y=\"15\" class=\"ct\">pair loss</text>");
    PT_EQ_INT(count(html, "<polyline class=\"ln2\""), 1); /* validation, dashed */
    HAS(html, "class=\"tk\">validation</text>");
    HAS(html, ">validation MSE, raw scale, as trained</text>");
    HAS(html, "The experts' validation MSE is the model's as trained: before the recalibration");
    HAS(html, ">task: train MSE, standardised</text>");
    HAS(html, "The validation pair loss was lowest at epoch 3 of 3, the epoch kept "
              "(kernel.keep: best)");
    HAS(html, "aria-label=\"val_mse\"");
    LACKS(html, "aria-label=\"loss_triplet\"");
    LACKS(html, "aria-label=\"entropy\"");
    LACKS(html, "aria-label=\"seconds\"");
    /* the kept epoch in every curve, the level in the coverage chart */
    PT_EQ_INT(count(html, "class=\"mark\""), 3 + 7 + 1);
    HAS(html, "kernel resmlp, 64 \u2192 64 (hidden 64), 8320 parameters, weights of epoch 3");
    /* correlation from analysis.json (it wins over kernel_report.json) */
    HAS(html, "from <code>analysis.json</code>");
    HAS(html, ">0.661</text>");
    HAS(html, ">0.035</text>");
    HAS(html, "(50000 random pairs)");
    /* t-SNE: two scatters, one star per prototype each, all 60 points as dots */
    size_t stars[4] = {0}, n_tsne = 0;
    size_t n_svg = check_svgs(html, stars, &n_tsne);
    PT_EQ_INT(n_tsne, 2);
    PT_EQ_INT(stars[0], 4);
    PT_EQ_INT(stars[1], 4);
    PT_EQ_INT(count(html, "h0"), 120 + 10); /* and the 10 test rows predicted against true */
    /* curves, bars (MSE, correlation), scatters, legend, the four plots with axes */
    PT_EQ_INT(n_svg, 10 + 2 + 2 + 1 + 4);
    PT_EQ_INT(count(html, "class=\"slotn\""), 8); /* slot numbers beside the stars */
    HAS(html, "<text class=\"slotn\" x=\"");
    HAS(html, "value space (after the kernel), KL 1.8");
    HAS(html, "<title>prototype 0: training row 3, label 4.8</title>");
    HAS(html, "one map of all rows, the splits drawn alike: 40 train, 10 validation, 10 test");
    /* the test rows: each plot present and drawn from the rows */
    check_plot(html, "pvt", "h0", 10);
    check_plot(html, "ebin", "class=\"bar\"", 9); /* labels in 9 of the 10 bins */
    check_plot(html, "ebin", "class=\"mae\"", 9 + 1);
    check_plot(html, "whist", "class=\"bar\"", 9); /* top-1 weights in 9 of 20 bins */
    check_plot(html, "cbin", "class=\"bar\"", 9);
    HAS(html, "<title>labels 1 to 1.5: 2 rows, mean error +1.100, mean |error| 1.100</title>");
    HAS(html, "<title>top-1 weight 0.95 to 1.00: 2 rows</title>");
    HAS(html, "<title>labels 4.5 to 5: 0 of 1 rows covered</title>");
    HAS(html, "<title>labels 1 to 1.5: 1 of 2 rows covered</title>");
    HAS(html, "gold label (raw scale, 0 to 5)</text>");
    /* every test row, largest error first: row 3 (-2.00, outside its interval), then 6 */
    PT_EQ_INT(count(html, "<table class=\"num rows\">"), 1);
    const char *r3 = strstr(html, "<tr><td>3</td><td>4.80</td><td>2.80</td><td>-2.00</td>"
                                  "<td class=\"nw\"><b>1.30\u20134.30</b></td>"
                                  "<td class=\"nw\">#0 <span class=\"dim\">0.38</span></td>"
                                  "<td class=\"l\">Row 3 says &lt;aaa&gt; &amp; more");
    const char *r6 = strstr(html, "<tr><td>6</td><td>1.10</td><td>3.00</td><td>+1.90</td>");
    const char *r5 = strstr(html, "<tr><td>5</td><td>0.60</td><td>0.10</td><td>-0.50</td>"
                                  "<td class=\"nw\">0.00\u20131.60</td>");
    const char *r8 = strstr(html, "<tr><td>8</td>");
    PT_CHECK(r3 && r6 && r5 && r8 && r3 < r6 && r6 < r5 && r5 < r8); /* ties by index */
    /* intervals: both rules, the shortfall said with its numbers */
    HAS(html, "<td class=\"l\">plain</td><td>90.0&#160;%</td><td>1.500</td><td>90.0&#160;%</td>"
              "<td>2.65</td><td>80.0&#160;%</td><td>2.43</td>");
    HAS(html, "<td class=\"l\">adaptive (entropy)</td><td>90.0&#160;%</td><td>1.123</td>");
    HAS(html, "<p class=\"warn\">The test coverage falls short: the plain 90&#160;% intervals "
              "held the label for 80.0&#160;% of the 10 test rows (10.0 points short; the "
              "sampling error of a coverage of 90&#160;% on 10 rows is 9.5 points)");
    /* oracle MoE */
    HAS(html, "<td class=\"l\">svr</td><td>4</td><td>0.0371</td><td>0.0333</td><td>0.6111</td>"
              "<td>0.6544</td>");
    /* prototype cards, most used first; a null expert slope is a dash */
    PT_EQ_INT(count(html, "<div class=\"card\">"), 4);
    HAS(html, "<td>usage share</td><td>41.0%</td></tr><tr><td>local MSE, raw</td><td>0.3101</td>"
              "</tr><tr><td>local MSE, 0\u20131</td><td>0.0124</td></tr><tr><td>expert slope"
              "</td><td>0.5234</td>");
    HAS(html, "Expert slope: the length of a linear expert's weight vector");
    HAS(html, "<td>expert slope</td><td>\u2014</td>");
    const char *c0 = strstr(html, "<span class=\"slot\">#0</span>");
    const char *c3 = strstr(html, "<span class=\"slot\">#3</span>");
    PT_CHECK(c0 && c3 && c0 < c3);
    HAS(html, "experts linear, &#964; 2.750)");
    /* explanations: 0.5 * 4.1 + 0.3 * 3.0 + 0.31 = 3.26 */
    PT_EQ_INT(count(html, "<div class=\"expl\">"), 2);
    HAS(html, "prediction <span class=\"sw\" style=\"background:");
    HAS(html, "<b>3.26</b>");
    HAS(html, "width:40px\"></span>0.500</td><td>4.100</td><td>2.050</td>");
    HAS(html, "width:24px\"></span>0.300</td>"); /* bars relative to the largest weight */
    HAS(html, "the other 2 prototypes together</td><td>0.200</td><td></td><td>0.310</td>");
    HAS(html, "sum of contributions = prediction</td><td>3.260</td>");
    /* the configuration */
    HAS(html, "<tr><th>run</th><td>report-fixture</td></tr>");
    HAS(html, "<tr><th>dataset</th><td>fixture-pairs, labels 0 to 5</td></tr>");
    /* the width is the kernel's input (64), not model.hidden_dim; tau_init given */
    HAS(html, "<tr><th>encoder</th><td>hashing, embeddings 64 wide, pair");
    HAS(html, "softmax, &#964;&#8320; 2.5 in [");
    HAS(html, "resmlp, at most 3 epochs,");
    HAS(html, "<td>at most 4 epochs, batch");
    HAS(html, "<details><summary>config.yaml</summary>");
    /* page-level structure */
    PT_EQ_INT(count(html, "<section"), 10);
    PT_EQ_INT(count(html, "</section>"), 10);
    PT_EQ_INT(count(html, "<table"), count(html, "</table>"));
    PT_EQ_INT(count(html, "<div"), count(html, "</div>"));
    PT_EQ_INT(count(html, "<tr"), count(html, "</tr>"));
    /* the same folder gives the same bytes */
    const char *out2 = pt_tmp("report_fixture2.html");
    free(write_and_read(pt_data("report_run"), out2));
    PT_CHECK(pt_files_equal(out, out2));
    free(html);
}

static void test_report__default_path(void)
{
    static const char *const keep[] = {"config.yaml", "metrics.json", NULL};
    const char *run = make_run("report_default", keep);
    char path[1200];
    snprintf(path, sizeof path, "%s/report.html", run);
    remove(path);
    PT_OK(prle_report_write(run, NULL));
    struct stat st;
    PT_CHECK(stat(path, &st) == 0 && st.st_size > 1000);
}

static void test_report__missing_optional(void)
{
    static const char *const keep[] = {"config.yaml", "metrics.json", NULL};
    const char *run = make_run("report_min", keep);
    char *html = write_and_read(run, pt_tmp("report_min.html"));
    if (!html)
        return;
    PT_EQ_INT(count(html, "<section"), 10);
    /* baselines x2, train log, correlation, t-SNE, test rows, oracle, prototypes,
     * explanations; the intervals table comes from metrics.json, without its chart */
    PT_EQ_INT(count(html, "<p class=\"missing\">not computed"), 9);
    HAS(html, "<code>rows_test.json</code> is missing; run <code>prle run CONFIG</code>");
    HAS(html, "<h2>Prediction intervals</h2>\n<p class=\"cap\">Split-conformal");
    LACKS(html, "class=\"plot");
    char want[1400];
    snprintf(want, sizeof want,
             "<code>analysis.json</code> is missing; run <code>prle analyze %s"
             "</code>",
             run);
    PT_EQ_INT(count(html, want), 2);
    HAS(html, "<code>baselines.json</code> is missing; run <code>prle baselines CONFIG</code>");
    HAS(html, "run <code>prle baselines CONFIG --space value</code>");
    HAS(html, "<code>train_log.csv</code> is missing");
    HAS(html, "<code>kernel_report.json</code> is missing; run <code>prle kernel CONFIG</code>");
    HAS(html, "<code>prototypes.json</code> is missing; run <code>prle train CONFIG</code>");
    HAS(html, "<code>explanations_test.json</code> is missing");
    PT_EQ_INT(count(html, "class=\"star\""), 0);
    HAS(html, "<td>0.6123</td>"); /* the metrics are still there */
    LACKS(html, "<h3>Beside the baselines</h3>\n<table");
    free(html);
    /* kernel_report.json alone feeds the correlation section */
    static const char *const keep2[] = {"config.yaml", "metrics.json", "kernel_report.json", NULL};
    run = make_run("report_min", keep2);
    html = write_and_read(run, pt_tmp("report_min.html"));
    if (!html)
        return;
    HAS(html, "from <code>kernel_report.json</code>");
    HAS(html, ">0.650</text>");
    HAS(html, ">0.031</text>");
    PT_EQ_INT(count(html, "<p class=\"missing\">not computed"), 8);
    free(html);
}

/* One split object of metrics.json with MSE `mse` and Pearson `r` on both scales. */
static void split_json(char *out, size_t cap, const char *name, double mse, double r)
{
    char m[256];
    snprintf(m, sizeof m,
             "{\"mse\": %g, \"rmse\": %g, \"mae\": 0.1, \"r2\": 0.5, \"pearson\": %g, "
             "\"spearman\": %g, \"kendall\": 0.5}",
             mse, sqrt(mse), r, r);
    snprintf(out, cap, "\"%s\": {\"n\": 10, \"raw\": %s, \"unit\": %s}", name, m, m);
}

/* The ridge and kNN yardsticks of metrics.json: the ridge a row of the test comparison (the
 * kNN scores validation only), and a warning for the one whose validation MSE is below
 * PRLE's (here the kNN's, not the ridge's). */
static void test_report__yardsticks(void)
{
    static const char *const keep[] = {"config.yaml", NULL};
    const char *run = make_run("report_yard", keep);
    char v[3][640], t[2][640], json[4800];
    const double val[3] = {0.02, 0.03, 0.01}, te[2] = {0.025, 0.035};
    for (int i = 0; i < 3; i++)
        split_json(v[i], sizeof v[i], "validation", val[i], 0.8 - 0.1 * i);
    for (int i = 0; i < 2; i++)
        split_json(t[i], sizeof t[i], "test", te[i], 0.75 - 0.1 * i);
    snprintf(json, sizeof json,
             "{\"format\": \"prle-metrics\", \"version\": 1, \"label_min\": 0, "
             "\"label_max\": 1, \"splits\": {%s, %s}, \"ridge\": {\"features\": "
             "\"retrieval\", \"alpha\": 10, \"splits\": {%s, %s}}, \"knn\": {\"features\": "
             "\"retrieval\", \"metric\": \"cosine\", \"k\": 10, \"weights\": \"distance\", "
             "\"splits\": {%s}}, \"recalibration\": {\"intercept\": 0.125, \"slope\": 0.875}, "
             "\"neighbours\": {\"features\": \"retrieval\", \"metric\": \"cosine\", \"k\": 5, "
             "\"weights\": \"distance\", \"weight\": 0.4, \"validation_mse_gain\": 0.05}}\n",
             v[0], t[0], v[1], t[1], v[2]); /* the kNN scores validation only */
    put(run, "metrics.json", json);
    char *html = write_and_read(run, pt_tmp("report_yard.html"));
    if (!html)
        return;
    HAS(html, "ridge yardstick (alpha 10, fit on train)");
    LACKS(html, "kNN yardstick"); /* validation only: no row in the test comparison */
    HAS(html, "<p class=\"warn\">PRLE is worse than a 10-nearest-neighbour regression on the "
              "same features: validation MSE 0.02000 against 0.01000, Pearson 0.8000 against "
              "0.6000");
    LACKS(html, "PRLE is worse than a ridge regression");
    /* with the neighbour term the recalibration is the experts', before the term: no line of
     * the prediction, and Pearson not kept */
    HAS(html, "every prototype's expert predicts 0.125 + 0.875 \u00d7 the trained expert's");
    HAS(html, "before the neighbour term below is blended in.");
    LACKS(html, "Pearson is unchanged by it");
    HAS(html, "every prototype's local prediction is 0.60 \u00d7 its expert's + 0.40 \u00d7");
    free(html);
}

/* A dataset without a name is named by its files; glove's width is unknown without
 * kernel_report.json (model.hidden_dim is not it); a kept kernel epoch that is not the
 * validation minimum is called out. */
static void test_report__unnamed_and_kept(void)
{
    static const char *const keep[] = {"metrics.json", NULL};
    const char *run = make_run("report_unnamed", keep);
    put(run, "config.yaml",
        "data:\n  format: tsv\n  files: {train: sub/pairs-train.tsv, validation: pairs-dev.tsv, "
        "test: pairs-test.tsv}\n  text_fields: [a, b]\n  label_field: score\n  label_min: 0\n"
        "  label_max: 5\nmodel:\n  encoder_type: glove\n  hidden_dim: 1024\n  type: proto_rbf\n"
        "  gating_strategy: knn\nkernel:\n  keep: last\n");
    put(run, "train_log.csv",
        "stage,epoch,loss_pair,val_pair,kept\nkernel,1,0.06,0.05,0\nkernel,2,0.04,0.045,0\n"
        "kernel,3,0.03,0.047,1\n");
    char *html = write_and_read(run, pt_tmp("report_unnamed.html"));
    if (!html)
        return;
    HAS(html, "<tr><th>dataset</th><td>unnamed, from <code>pairs-train.tsv</code>, "
              "<code>pairs-dev.tsv</code>, <code>pairs-test.tsv</code>, labels 0 to 5</td></tr>");
    HAS(html, "<tr><th>encoder</th><td>glove");
    HAS(html, "<tr><th>encoder</th><td>glove, sif pooling</td></tr>"); /* the default; no width */
    HAS(html, "keep last (the last epoch)");
    /* proto_rbf routes by its own bumps, in closed form: not the config's router */
    HAS(html, "<tr><th>router</th><td>rbf, proto_rbf's own (model.gating_strategy is not used)");
    HAS(html, "<tr><th>experts</th><td>proto_rbf, in closed form</td></tr>");
    /* analysis.json absent: the t-SNE and oracle notes name the command */
    HAS(html, "<code>analysis.json</code> is missing; run <code>prle analyze");
    HAS(html, "<p class=\"warn\">The validation pair loss was lowest at epoch 2 (0.0450), but "
              "epoch 3 (0.0470) was kept (kernel.keep: last)");
    free(html);
    /* analysis.json without maps or oracle (prle analyze --no-tsne --no-oracle): not "missing" */
    put(run, "analysis.json", "{\"format\": \"prle-analysis\", \"version\": 1}");
    if (!(html = write_and_read(run, pt_tmp("report_unnamed.html"))))
        return;
    HAS(html, "<code>analysis.json</code> has no t-SNE maps (<code>prle analyze --no-tsne</code>");
    HAS(html, "<code>analysis.json</code> has no oracle (<code>prle analyze --no-oracle</code>");
    LACKS(html, "<code>analysis.json</code> is missing");
    free(html);
}

static void test_report__required_files(void)
{
    static const char *const cfg_only[] = {"config.yaml", NULL};
    static const char *const metrics_only[] = {"metrics.json", NULL};
    const char *out = pt_tmp("report_fail.html");
    remove(out);
    const char *run = make_run("report_req", cfg_only);
    PT_FAILS(prle_report_write(run, out), PRLE_ENOTFOUND, "metrics.json");
    run = make_run("report_req", metrics_only);
    PT_FAILS(prle_report_write(run, out), PRLE_ENOTFOUND, "config.yaml");
    PT_FAILS(prle_report_write(pt_tmp("no_such_run"), out), PRLE_ENOTFOUND, "config.yaml");
    PT_FAILS(prle_report_write(NULL, out), PRLE_EINVAL, NULL);
    struct stat st;
    PT_CHECK(stat(out, &st) != 0); /* nothing written */
}

static void test_report__malformed(void)
{
    static const char *const keep[] = {"config.yaml", "metrics.json", NULL};
    const char *out = pt_tmp("report_bad.html");
    remove(out);
    const char *run = make_run("report_bad", keep);
    put(run, "metrics.json", "{\"format\": \"prle-metrics\", \"version\": 1, \"splits\": {");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "metrics.json");
    put(run, "metrics.json", "{\"label_min\": 0, \"label_max\": 5}");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "missing key \"splits\"");
    put(run, "metrics.json", "{\"label_min\": 5, \"label_max\": 5, \"splits\": {}}");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "label range");
    put(run, "metrics.json",
        "{\"format\": \"prle-other\", \"label_min\": 0, \"label_max\": 5, "
        "\"splits\": {}}");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "format");
    put(run, "metrics.json", "{\"label_min\": 0, \"label_max\": 5, \"splits\": {}}");
    PT_OK(prle_report_write(run, out)); /* the smallest valid metrics.json */
    remove(out);
    put(run, "config.yaml", "model:\n  num_prototypes: [1, 2]\n");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "config.yaml");
    run = make_run("report_bad", keep);
    put(run, "analysis.json",
        "{\"format\": \"prle-analysis\", \"version\": 1, \"tsne\": "
        "{\"labels\": [1, 2], \"prototype_points\": [2], "
        "\"value\": {\"xy\": [[0, 0], [1, 1]]}}}");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "prototype point");
    put(run, "analysis.json",
        "{\"tsne\": {\"labels\": [1, 2], \"prototype_points\": [1], "
        "\"value\": {\"xy\": [[0, 0]]}}}");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "xy");
    put(run, "analysis.json", "[1, 2]");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "analysis.json");
    remove(pt_tmp("report_bad/analysis.json"));
    put(run, "prototypes.json", "{\"format\": \"prle-prototypes\", \"version\": 2}");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "prototypes.json");
    put(run, "prototypes.json", "{\"format\": \"prle-prototypes\", \"version\": 1}");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "prototypes.json");
    remove(pt_tmp("report_bad/prototypes.json"));
    put(run, "train_log.csv", "stage,epoch,loss\nkernel,1,0.5\nkernel,two,0.4\n");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "train_log.csv:3");
    put(run, "train_log.csv", "epoch,loss\n1,0.5\n");
    PT_FAILS(prle_report_write(run, out), PRLE_EFORMAT, "stage and epoch");
    struct stat st;
    PT_CHECK(stat(out, &st) != 0); /* a failed report leaves no file behind */
}

/* STS-B size: 8,628 points in each scatter stay well under 2 MB, one dot per point. */
static void test_report__large_tsne(void)
{
    static const char *const keep[] = {"config.yaml", "metrics.json", NULL};
    const char *run = make_run("report_large", keep);
    const size_t n = 8628;
    char path[1200];
    snprintf(path, sizeof path, "%s/analysis.json", run);
    FILE *f = fopen(path, "w");
    PT_CHECK(f != NULL);
    if (!f)
        return;
    prle_rng r;
    prle_rng_init(&r, 5, "test.report", 0);
    fputs("{\"format\": \"prle-analysis\", \"version\": 1, \"tsne\": {\"labels\": [", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%.3f", i ? ", " : "", 5 * prle_rng_uniform(&r));
    fputs("], \"prototype_points\": [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, "
          "140, 150, 160, 170, 180, 190, 200, 210, 220, 230, 240]",
          f);
    for (int s = 0; s < 2; s++) {
        fprintf(f, ", \"%s\": {\"kl\": 2.5, \"xy\": [", s ? "value" : "retrieval");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s[%.6f, %.6f]", i ? ", " : "", 80 * prle_rng_uniform(&r) - 40,
                    80 * prle_rng_uniform(&r) - 40);
        fputs("]}", f);
    }
    fputs("}}\n", f);
    fclose(f);
    const char *out = pt_tmp("report_large.html");
    char *html = write_and_read(run, out);
    if (!html)
        return;
    size_t len = strlen(html);
    PT_CHECK(len < (size_t)1 << 20);
    PT_EQ_INT(count(html, "h0"), 2 * n);
    size_t stars[4] = {0}, n_tsne = 0;
    check_svgs(html, stars, &n_tsne);
    PT_EQ_INT(n_tsne, 2);
    PT_EQ_INT(stars[0], 25);
    PT_EQ_INT(stars[1], 25);
    printf("report with 2 x %zu t-SNE points: %zu bytes\n", n, len);
    free(html);
}

/* What `emit` writes for `arg`, as a malloc'd string; NULL (and a failed check) without a
 * stream. */
static char *capture(void (*emit)(FILE *fp, const void *arg), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    PT_CHECK(fp != NULL);
    if (!fp)
        return NULL;
    emit(fp, arg);
    fclose(fp);
    return buf;
}

/* `emit` writes exactly `want` for `arg`. */
static void expect_emit(void (*emit)(FILE *fp, const void *arg), const void *arg, const char *want)
{
    char *buf = capture(emit, arg);
    if (buf)
        PT_EQ_STR(buf, want);
    free(buf);
}

typedef struct num_case {
    double v;
    int d;
    const char *want;
} num_case;

static void emit_num(FILE *fp, const void *arg)
{
    const num_case *c = arg;
    prle__html_num(fp, c->v, c->d);
}

/* Numbers keep two significant digits on any label scale: 0..1e-3 and 0..1e6 runs read */
static void test_report__numbers_on_any_scale(void)
{
    const num_case c[] = {
        {3.35e-8, 4, "3.35e-08"}, {2.85e-4, 3, "0.000285"},  {0.0123, 4, "0.0123"},
        {0.5, 2, "0.50"},         {-0.5, 2, "-0.50"},        {0.05, 2, "0.05"},
        {0.0, 4, "0.0000"},       {-0.0, 2, "0.00"},         {3.24027237e10, 4, "3.24e+10"},
        {999999.0, 0, "999999"},  {1234.5678, 2, "1234.57"}, {NAN, 2, "\u2014"}};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        expect_emit(emit_num, &c[i], c[i].want);
}

static void emit_plot(FILE *fp, const void *arg)
{
    prle__plot p = *(const prle__plot *)arg;
    prle__plot_open(fp, &p, "t", "title", "x", "y", 340, 340);
    prle__plot_close(fp);
}

/* The y tick labels clear the y title (x 13, its right edge ~19 px): ticks of seven
 * characters move the frame right of its usual 56 px, those of a 0-5 scale leave it there */
static void test_report__long_y_ticks(void)
{
    const prle__plot narrow = {.x0 = 0, .x1 = 1, .y0 = -0.00025, .y1 = 0.00025};
    const prle__plot usual = {.x0 = 0, .x1 = 5, .y0 = 0, .y1 = 5};
    char *buf = capture(emit_plot, &narrow);
    if (!buf)
        return;
    const char *tick = strstr(buf, ">-0.0002<"), *frame = strstr(buf, "class=\"frame\"");
    PT_CHECK(tick != NULL && frame != NULL);
    double fx = -1;
    const char *r = strstr(buf, "<rect x=\"");
    PT_CHECK(r && sscanf(r, "<rect x=\"%lf\"", &fx) == 1);
    /* the label ends 4 px left of the frame; 7 characters of the 10 px font take ~39 px */
    PT_CHECK(fx - 4 - 7 * 5.6 >= 20);
    free(buf);
    buf = capture(emit_plot, &usual);
    if (!buf)
        return;
    r = strstr(buf, "<rect x=\"");
    PT_CHECK(r && sscanf(r, "<rect x=\"%lf\"", &fx) == 1);
    PT_NEAR(fx, 56, 0);
    free(buf);
}

typedef struct cut_case {
    size_t n;
    const char *in, *want;
} cut_case;

static void emit_cut(FILE *fp, const void *arg)
{
    const cut_case *c = arg;
    prle__html_text_cut(fp, c->n, c->in);
}

/* Long texts are cut on a character, never inside a UTF-8 sequence, and escaped */
static void test_report__text_cut(void)
{
    const cut_case c[] = {{3,
                           "a\xc3\xa9"
                           "bc",
                           "a\xc3\xa9"
                           "b\u2026"},
                          {3, "ab", "ab"},
                          {2,
                           "<\xe2\x82\xac"
                           "z",
                           "&lt;\xe2\x82\xac\u2026"},
                          {1, NULL, ""}};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        expect_emit(emit_cut, &c[i], c[i].want);
}

typedef struct curve_case {
    const double *y;
    size_t n;
} curve_case;

static void emit_curve(FILE *fp, const void *arg)
{
    static const double x[3] = {1, 2, 3};
    const curve_case *c = arg;
    prle__svg_curve(fp, "mse", "validation MSE", x, c->y, NULL, c->n, NAN);
}

/* Close values need long y tick labels ("0.000100001"): the chart widens to the left so they
 * start inside it; a 0-1 curve keeps its 260 px */
static void test_report__curve_long_ticks(void)
{
    static const double close[3] = {1.00001e-4, 1.00002e-4, 1.00003e-4}, wide[3] = {0, 0.5, 1};
    const curve_case c[2] = {{close, 3}, {wide, 3}};
    for (int i = 0; i < 2; i++) {
        char *buf = capture(emit_curve, &c[i]);
        if (!buf)
            return;
        int x0 = 1, w = 0, width = 0;
        const char *v = strstr(buf, "viewBox=\"");
        PT_CHECK(v && sscanf(v, "viewBox=\"%d 0 %d 164\" width=\"%d\"", &x0, &w, &width) == 3);
        size_t longest = 0; /* the y tick labels: text-anchor end, 4 px left of x 48 */
        for (const char *t = buf; (t = strstr(t, "text-anchor=\"end\">")) != NULL; t++) {
            size_t n = strcspn(t + 18, "<");
            longest = n > longest && strncmp(t + 18, "kept", 4) != 0 ? n : longest;
        }
        PT_CHECK(longest >= (i == 0 ? 9u : 1u));
        PT_CHECK(48 - 4 - 5.6 * (double)longest >= x0); /* the label starts in the chart */
        PT_EQ_INT(w, width);
        PT_EQ_INT(width - x0, 260 - 2 * x0); /* widened by as much as it starts left of 0 */
        if (i == 1)
            PT_EQ_INT(x0, 0);
        free(buf);
    }
}

/* A curve of one value, or of small positive ones, never gets a negative axis (an MSE of
 * 2.84e-8 once had ticks from -9.7e-7 to 1.03e-6) */
static void test_report__curve_axis_of_one_value(void)
{
    static const double one[1] = {2.84e-8}, small[3] = {1e-3, 0.5, 1.0};
    const curve_case c[2] = {{one, 1}, {small, 3}};
    for (int i = 0; i < 2; i++) {
        char *buf = capture(emit_curve, &c[i]);
        if (!buf)
            return;
        PT_CHECK(strstr(buf, "<svg") != NULL);
        PT_CHECK(strstr(buf, ">-") == NULL); /* no tick label below zero */
        PT_CHECK(strstr(buf, ">\u2212") == NULL);
        free(buf);
    }
}

int main(void)
{
    PT_RUN(test_report__fixture);
    PT_RUN(test_report__default_path);
    PT_RUN(test_report__missing_optional);
    PT_RUN(test_report__yardsticks);
    PT_RUN(test_report__unnamed_and_kept);
    PT_RUN(test_report__required_files);
    PT_RUN(test_report__malformed);
    PT_RUN(test_report__large_tsne);
    PT_RUN(test_report__numbers_on_any_scale);
    PT_RUN(test_report__text_cut);
    PT_RUN(test_report__long_y_ticks);
    PT_RUN(test_report__curve_long_ticks);
    PT_RUN(test_report__curve_axis_of_one_value);
    return pt_report();
}
