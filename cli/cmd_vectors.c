/* prle vectors import|fetch|info: word vectors to the binary cache (.pvec). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "prle/vectors.h"

static void usage(FILE *out)
{
    cli_usage(out, "vectors");
    if (out != stdout) /* cli_usage gives the details on stdout only */
        fprintf(out, "\n%s", cli_help_text("vectors"));
}

static bool show_progress(void)
{
    return !cli_opts.quiet && (cli_opts.verbose || isatty(STDERR_FILENO));
}

static bool on_progress(const prle_progress *p, void *ud)
{
    (void)ud;
    if (!show_progress())
        return !cli_interrupted; /* -q or a pipe: only the stop on a signal */
    if (p->total)
        fprintf(stderr, "\rprle: importing vectors %3.0f%% (%zu of %zu MB) %.1f s ",
                100.0 * (double)p->done / (double)p->total, p->done >> 20, p->total >> 20,
                p->seconds);
    else
        fprintf(stderr, "\rprle: importing vectors %zu MB %.1f s ", p->done >> 20, p->seconds);
    fflush(stderr);
    return !cli_interrupted;
}

static int parse_format(const char *s, prle_vectors_format *out)
{
    for (int f = PRLE_VECTORS_AUTO; f <= PRLE_VECTORS_NPM_JSON; f++)
        if (strcmp(s, prle_vectors_format_name((prle_vectors_format)f)) == 0) {
            *out = (prle_vectors_format)f;
            return 0;
        }
    return -1;
}

static int cmd_import(int argc, char **argv)
{
    prle_vectors_import_params p = prle_vectors_import_default_params();
    const char *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (parse_format(argv[++i], &p.format) < 0)
                return cli_error(CLI_USAGE,
                                 "vectors import: unknown format '%s' (auto, glove, "
                                 "word2vec, npm-json)",
                                 argv[i]);
        } else if (strcmp(argv[i], "--counts") == 0 && i + 1 < argc) {
            p.counts = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error(CLI_USAGE, "vectors import: unknown option '%s'", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            return cli_error(CLI_USAGE, "vectors import: too many arguments");
        }
    }
    if (npos != 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    p.progress = on_progress; /* always: it stops the import on a signal */
    prle_vectors_import_stats st;
    int err = prle_vectors_import(pos[0], pos[1], &p, &st);
    if (show_progress())
        fputc('\n', stderr);
    if (err < 0)
        return cli_fail(err);
    printf("imported %zu words x %zu dims (%s) from %s to %s in %.1f s", st.n_words, st.dim,
           prle_vectors_format_name(st.format), pos[0], pos[1], st.seconds);
    if (st.n_duplicates)
        printf("; %zu repeated words dropped (first at line %zu; the first vector is kept)",
               st.n_duplicates, st.first_duplicate_line);
    printf("\n");
    return CLI_OK;
}

static int cmd_fetch(void)
{
    char path[4096];
    prle_vectors_import_params p = prle_vectors_import_default_params();
    p.progress = on_progress; /* always: it stops the fetch on a signal */
    int err = prle_vectors_fetch_default(path, sizeof path, &p);
    if (err < 0)
        return cli_fail(err);
    printf("%s\n", path);
    return CLI_OK;
}

static int cmd_info(const char *path)
{
    prle_vectors *v = NULL;
    int err = prle_vectors_open(&v, path);
    if (err < 0)
        return cli_fail(err);
    size_t len;
    const char *first = prle_vectors_n_words(v) ? prle_vectors_word(v, 0, &len) : "";
    printf("%s: %zu words x %zu dims%s, first word \"%s\", content sha256 %s (recorded at "
           "import)\n",
           path, prle_vectors_n_words(v), prle_vectors_dim(v),
           prle_vectors_has_counts(v) ? " with counts" : "", first, prle_vectors_sha256(v));
    prle_vectors_free(v);
    return CLI_OK;
}

int cmd_vectors(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    for (int i = 2; i < argc; i++)
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        }
    if (strcmp(argv[1], "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (strcmp(argv[1], "fetch") == 0 && argc == 2)
        return cmd_fetch();
    if (strcmp(argv[1], "info") == 0 && argc == 3)
        return cmd_info(argv[2]);
    cli_error(CLI_USAGE, "vectors: unknown subcommand or wrong arguments '%s'", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
