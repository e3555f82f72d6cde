/* LABELS: unit io */
/* The config written back: load(save(cfg)) == cfg for the defaults, a full file and overrides,
 * the documented full example, every key in docs/config.md, the written file's layout. */
#include "prle_test.h"

#include "io/config_internal.h"

static void round_trip(const prle_config *c, const char *name)
{
    const char *path = pt_tmp(name);
    prle_config back;
    PT_OK(prle_config_save(c, path));
    PT_OK(prle_config_load(&back, path));
    if (!prle__config_equal(c, &back)) {
        for (size_t i = 0; i < prle__cfg_nkeys; i++)
            if (!prle__cfg_key_equal(c, &back, &prle__cfg_keys[i]))
                PT_FAIL_AT("%s: key %s differs after a round trip", name, prle__cfg_keys[i].name);
    }
    PT_EQ_INT(back.n_notices, 0);
    prle_config_dispose(&back);
}

static char *sdup(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    strcpy(d, s);
    return d;
}

static void test_config__round_trip(void)
{
    prle_config c, d;
    /* the defaults: saved relative paths become absolute, as loading would make them */
    PT_OK(prle_config_default(&d));
    free(d.logging.run_name);
    d.logging.run_name = sdup("rt_defaults");
    const char *path = pt_tmp("rt_defaults.yaml");
    PT_OK(prle_config_save(&d, path));
    PT_OK(prle_config_load(&c, path));
    prle_config e;
    PT_OK(prle_config_load_string(&e, "logging: {run_name: rt_defaults}", 32, NULL, NULL));
    PT_CHECK(prle__config_equal(&c, &e));
    round_trip(&c, "rt_defaults2.yaml");
    prle_config_dispose(&c);
    prle_config_dispose(&d);
    prle_config_dispose(&e);

    /* every key changed, and strings YAML must quote */
    PT_OK(prle_config_load(&c, pt_data("config/full.yaml")));
    round_trip(&c, "rt_full.yaml");
    const char *tricky[] = {"a: b",
                            "# not a comment",
                            "  leading and trailing spaces  ",
                            "",
                            "naïve — 日本語 😀",
                            "tab\there\nnew line\r",
                            "quote \" backslash \\ end",
                            "\xc2\x85 NEL, \xe2\x80\xa8 LS, \xef\xbb\xbf BOM, \x7f DEL",
                            "- [x] {y} & * ! | > ' % @ `",
                            "null",
                            "true",
                            "3",
                            "~"};
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
        free(c.data.name);
        c.data.name = sdup(tricky[i]);
        free(c.model.encoder_name);
        c.model.encoder_name = sdup(tricky[i]);
        free(c.data.label_field.name);
        c.data.label_field =
            tricky[i][0] ? (prle_field){sdup(tricky[i]), -1} : (prle_field){NULL, 0};
        free(c.data.text_fields.items[0].name);
        c.data.text_fields.items[0].name = tricky[i][0] ? sdup(tricky[i]) : sdup("x");
        free(c.logging.run_name);
        c.logging.run_name = sdup(tricky[i]);
        if (tricky[i][0]) {
            free(c.data.file);
            c.data.file = sdup(pt_join("/data", tricky[i]));
        }
        round_trip(&c, "rt_tricky.yaml");
    }
    /* numbers that need every digit */
    c.model.tau_init = 0.1 + 0.2;
    c.train.learning_rate = 1.0 / 3.0;
    c.model.tau_max = 1e300;
    c.loss.lambda_entropy = -5e-324;
    c.train.seed = UINT64_MAX;
    c.data.label_min = NAN;
    c.data.header = PRLE_CONFIG_UNSET;
    round_trip(&c, "rt_numbers.yaml");

    /* text that is not UTF-8 cannot be written as YAML */
    free(c.data.name);
    c.data.name = sdup("bad \xff byte");
    PT_FAILS(prle_config_save(&c, pt_tmp("rt_bad.yaml")), PRLE_EINVAL, "'data.name'");
    prle_config_dispose(&c);
}

/* fuzz_yaml findings: an override on prle_config_default()'s relative paths left them relative,
 * so the config changed meaning when saved and loaded elsewhere. Every override (a W&B one
 * too) now leaves every path absolute. */
static void test_config__override_makes_paths_absolute(void)
{
    const char *assignments[] = {"model.tau_init=2.5", "logging.sweep_config={method: bayes}"};
    for (size_t i = 0; i < 2; i++) {
        prle_config c;
        PT_OK(prle_config_default(&c));
        PT_OK(prle_config_override(&c, assignments[i]));
        PT_EQ_STR(c.train.output_dir, pt_join(pt_cwd(), "runs"));
        PT_EQ_STR(c.data.embedding_cache_dir, pt_join(pt_cwd(), "embed_cache"));
        free(c.logging.run_name);
        c.logging.run_name = sdup("rt_override");
        round_trip(&c, "rt_override.yaml");
        prle_config_dispose(&c);
    }
}

static void test_config__example_full_is_the_defaults(void)
{
    char path[4200], dir[2048];
    snprintf(dir, sizeof dir, "%s/../../configs", pt_data(""));
    snprintf(path, sizeof path, "%s/example-full.yaml", dir);
    prle_config c, d;
    PT_OK(prle_config_load(&c, path));
    PT_OK(prle_config_default(&d));
    for (size_t i = 0; i < prle__cfg_nkeys; i++) {
        const prle__cfg_key *k = &prle__cfg_keys[i];
        if (k->type == PRLE__CFG_PATH) {
            const char *v = *(char **)((char *)&c + k->offset);
            const char *def = *(char **)((char *)&d + k->offset);
            if (def) {
                char *want = prle__path_join_norm(dir, def);
                PT_EQ_STR(v, want);
                free(want);
            } else {
                PT_CHECK(v == NULL);
            }
        } else if (strcmp(k->name, "logging.run_name") == 0) {
            PT_EQ_STR(c.logging.run_name, "example-full");
        } else if (!prle__cfg_key_equal(&c, &d, k)) {
            PT_FAIL_AT("configs/example-full.yaml: %s is not the default", k->name);
        }
    }
    PT_EQ_INT(c.n_notices, 0);
    prle_config_dispose(&c);
    prle_config_dispose(&d);
    /* and it lists every key (a missing one would load as its default too): "  name:" at
     * the key's depth */
    FILE *fp = fopen(path, "rb");
    static char text[1 << 16];
    size_t n = fp ? fread(text, 1, sizeof text - 1, fp) : 0;
    text[n] = '\0';
    if (fp)
        fclose(fp);
    for (size_t i = 0; i < prle__cfg_nkeys; i++) {
        const char *name = prle__cfg_keys[i].name, *last = strrchr(name, '.');
        int depth = 0;
        for (const char *q = name; *q; q++)
            depth += *q == '.';
        char want[160];
        snprintf(want, sizeof want, "\n%*s%s:", 2 * depth, "", last ? last + 1 : name);
        if (!strstr(text, want))
            PT_FAIL_AT("configs/example-full.yaml does not list %s", name);
    }
}

/* docs/config.md names every key (a section's `prefix.*` row covers the keys under it). */
static void test_config__every_key_documented(void)
{
    char path[2100];
    snprintf(path, sizeof path, "%s/../../docs/config.md", pt_data(""));
    FILE *fp = fopen(path, "rb");
    PT_CHECK(fp != NULL);
    if (!fp)
        return;
    static char doc[1 << 18];
    size_t n = fread(doc, 1, sizeof doc - 1, fp);
    doc[n] = '\0';
    fclose(fp);
    for (size_t i = 0; i < prle__cfg_nkeys; i++) {
        const char *name = prle__cfg_keys[i].name;
        char exact[160], star[160];
        snprintf(exact, sizeof exact, "`%s`", name);
        const char *dot = strrchr(name, '.');
        snprintf(star, sizeof star, "`%.*s.*`", (int)(dot - name), name);
        if (!strstr(doc, exact) && !strstr(doc, star))
            PT_FAIL_AT("docs/config.md does not describe %s", name);
    }
}

static void test_config__write_layout(void)
{
    prle_config c;
    PT_OK(prle_config_load_string(&c, "", 0, NULL, "/b"));
    c.model.tau_max = 50;
    c.train.weight_decay = 5e-7;
    FILE *fp = tmpfile();
    PT_CHECK(fp != NULL);
    PT_OK(prle_config_write(&c, fp));
    rewind(fp);
    char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    text[n] = '\0';
    fclose(fp);
    PT_CHECK(strstr(text, "\nmodel:\n  type: linear\n") != NULL);
    PT_CHECK(strstr(text, "\n  tau_max: 50.0\n") != NULL);
    PT_CHECK(strstr(text, "\n  weight_decay: 5e-07\n") != NULL);
    PT_CHECK(strstr(text, "\n  files:\n    train: null\n") != NULL);
    PT_CHECK(strstr(text, "\n  stages: [kernel, experts]\n") != NULL);
    PT_CHECK(strstr(text, "\n    ratios: [0.7, 0.15, 0.15]\n") != NULL);
    /* each section opens once */
    PT_CHECK(strstr(text, "\ndata:\n") && !strstr(strstr(text, "\ndata:\n") + 1, "\ndata:\n"));
    PT_CHECK(strstr(text, "projection_kwargs:") &&
             strstr(strstr(text, "projection_kwargs:") + 1, "projection_kwargs:") &&
             !strstr(strstr(strstr(text, "projection_kwargs:") + 1, "projection_kwargs:") + 1,
                     "projection_kwargs:"));
    prle_config_dispose(&c);
}

int main(void)
{
    PT_RUN(test_config__round_trip);
    PT_RUN(test_config__override_makes_paths_absolute);
    PT_RUN(test_config__example_full_is_the_defaults);
    PT_RUN(test_config__every_key_documented);
    PT_RUN(test_config__write_layout);
    return pt_report();
}
