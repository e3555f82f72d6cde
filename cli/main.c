/* prle: the command-line tool, a thin layer over libprle. Only cli/ prints or exits. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "io/config_internal.h"

cli_globals cli_opts;
volatile sig_atomic_t cli_interrupted;

/* The first SIGINT or SIGTERM asks for a clean stop; a second one kills (default action). */
static void on_signal(int sig)
{
    cli_interrupted = sig;
    signal(sig, SIG_DFL);
}

int cli_error(int exit_code, const char *fmt, ...)
{
    va_list ap;
    fputs("prle: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return exit_code;
}

/* Whether `msg` starts with a config key ("data.file and data.files are both set"), which
 * the library says without the file it came from; not a file name ("train.csv:3: ..."). */
static bool about_a_key(char key[96], const char *msg)
{
    size_t n = 0;
    while (n + 1 < 96 && ((msg[n] >= 'a' && msg[n] <= 'z') || msg[n] == '_' || msg[n] == '.' ||
                          (msg[n] >= '0' && msg[n] <= '9')))
        key[n] = msg[n], n++;
    key[n] = '\0';
    while (n && key[n - 1] == '.') /* "... data.label_max." */
        key[--n] = '\0';
    return n && prle__cfg_find(key) != NULL;
}

/* The last override on the command line that set `key` ("key=value"), or NULL: the key's
 * value came from there, not from the file. */
static const char *override_of(const char *key)
{
    const char *found = NULL;
    size_t n = strlen(key);
    for (int i = 0; i < cli_opts.n_overrides; i++)
        if (strncmp(cli_opts.overrides[i], key, n) == 0 && cli_opts.overrides[i][n] == '=')
            found = cli_opts.overrides[i];
    return found;
}

int cli_fail(int status)
{
    const char *msg = prle_last_error();
    if (status == PRLE_EABORTED && cli_interrupted)
        return CLI_RUNTIME; /* stopped by a signal: main says so, in the user's words */
    char key[96];
    bool keyed = cli_opts.config && about_a_key(key, msg);
    const char *ov = keyed ? override_of(key) : NULL;
    if (ov)
        fprintf(stderr, "prle: override '%s': %s\n", ov, msg);
    else if (keyed)
        fprintf(stderr, "prle: %s: %s\n", cli_opts.config, msg);
    else
        fprintf(stderr, "prle: %s\n", *msg ? msg : prle_status_name(status));
    switch (status) {
    case PRLE_EINVAL:
    case PRLE_EFORMAT:
    case PRLE_ESHAPE:
    case PRLE_ENOTFOUND:
        return CLI_USAGE; /* bad input: the user can fix it */
    default:
        return CLI_RUNTIME;
    }
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static void main_usage(FILE *out)
{
    fprintf(out, "usage: prle [-v | -q] <command> [options] [args]\n\n"
                 "Prototypical Regression with Local Experts: interpretable regression on text.\n\n"
                 "commands:\n");
    for (const cli_cmd *c = cli_commands; c->name; c++) {
        fprintf(out, "  %-10s %s", c->name, c->summary);
        if (!c->fn)
            fprintf(out, " (not built yet, issue #%d)", c->issue);
        fputc('\n', out);
    }
    fprintf(out, "\noptions:\n"
                 "  -h, --help     show this help ('prle help COMMAND' for a command)\n"
                 "  --version      print the version\n"
                 "  -v, --verbose  show progress even when not on a terminal\n"
                 "  -q, --quiet    no progress output\n"
                 "\nexit codes: 0 ok, 1 runtime failure, 2 usage or input error, 130 / 143\n"
                 "stopped by SIGINT / SIGTERM (temporary files removed)\n");
}

void cli_usage(FILE *out, const char *name)
{
    const cli_cmd *c = cli_find(name);
    if (!c)
        return;
    fprintf(out, "usage: prle %s %s\n\n%s\n", c->name, c->args, c->summary);
    const char *more = cli_help_text(c->name);
    if (more && out == stdout) /* the long help for --help, not after usage errors */
        fprintf(out, "\n%s", more);
}

int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        main_usage(stdout);
        return CLI_OK;
    }
    if (!cli_find(argv[1])) {
        cli_error(CLI_USAGE, "unknown command '%s'", argv[1]);
        main_usage(stderr);
        return CLI_USAGE;
    }
    cli_usage(stdout, argv[1]);
    return CLI_OK;
}

int cmd_version(int argc, char **argv)
{
    if (argc > 1)
        return cli_error(CLI_USAGE, "version takes no arguments, got '%s'", argv[1]);
    const char *wp = getenv("OMP_WAIT_POLICY"), *sc = getenv("GOMP_SPINCOUNT");
    const char *gt = getenv("GLIBC_TUNABLES");
    printf("prle %s\n", prle_version());
    if (cli_opts.verbose) /* what the program started itself with (main.c, start_settled) */
        printf("OMP_WAIT_POLICY=%s GOMP_SPINCOUNT=%s GLIBC_TUNABLES=%s\n", wp ? wp : "(unset)",
               sc ? sc : "(unset)", gt ? gt : "(unset)");
    return CLI_OK;
}

/* Settings read before main, so the program starts itself again once with them (a setting
 * the user gave is kept):
 * - Idle OpenMP threads sleep instead of spinning (issue 15): libgomp spins at every barrier
 *   and region end by default, which on a machine other processes keep busy burns the share
 *   of the cores the other thread needs (prle run beside two busy processes: 3.3x its quiet
 *   time, 2.05x with waiting threads asleep; quiet times unchanged, bench/busy.sh):
 *   OMP_WAIT_POLICY=passive unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set.
 * - malloc asks for 2 MB pages (glibc >= 2.35, GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which
 *   advises MADV_HUGEPAGE on its large blocks) unless GLIBC_TUNABLES is set: in these virtual
 *   machines each 4 KB page's first touch and TLB miss is dear (prle run on STS-B: experts
 *   0.79 -> 0.56 s, the whole run 5.6 -> 5.0 s). Older glibc ignores the tunable. */
static void start_settled(char **argv)
{
    bool again = false;
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT"))
        again |= setenv("OMP_WAIT_POLICY", "passive", 1) == 0;
    if (!getenv("GLIBC_TUNABLES"))
        again |= setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1) == 0;
    if (again)
        execv("/proc/self/exe", argv); /* returns only on failure: then run as we are */
}

/* Memory freed by one fit is kept for the next instead of going back to the kernel: in these
 * virtual machines the first touch of a fresh page costs about 13 us (3 s a GB), and a grid
 * of SVR fits frees and takes back libsvm's kernel caches 24 times (`prle baselines` on
 * STS-B: 742,000 page faults, 499,000 with the grid's one kernel table, 283,000 with this
 * too; system time 5.8 s -> 2.3 s). Blocks of 32 MB and more still come from mmap and go back
 * when freed. The library leaves malloc alone: this is the program's choice. */
static void keep_freed_memory(void)
{
    (void)mallopt(M_TRIM_THRESHOLD, INT_MAX);
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

int main(int argc, char **argv)
{
    start_settled(argv);
    keep_freed_memory();
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            main_usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--version") == 0) {
            return cmd_version(0, NULL);
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            cli_opts.verbose = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            cli_opts.quiet = 1;
        } else {
            cli_error(CLI_USAGE, "unknown option '%s'", a);
            main_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (cli_opts.verbose && cli_opts.quiet)
        return cli_error(CLI_USAGE, "-q and -v ask for opposite things: give one");
    if (i >= argc) {
        main_usage(stderr);
        return CLI_USAGE;
    }
    const cli_cmd *cmd = cli_find(argv[i]);
    if (!cmd) {
        cli_error(CLI_USAGE, "unknown command '%s'", argv[i]);
        main_usage(stderr);
        return CLI_USAGE;
    }
    if (!cmd->fn)
        return cli_error(CLI_RUNTIME, "'%s' is not built yet (issue #%d)", cmd->name, cmd->issue);
    /* A command's --help is answered here, so every command has it. */
    for (int j = i + 1; j < argc; j++)
        if (cli_is_help(argv[j])) {
            cli_usage(stdout, cmd->name);
            return CLI_OK;
        }
    /* several copies of any other command would write the same files side by side */
    const char *ranks = getenv("OMPI_COMM_WORLD_SIZE");
    if (ranks && strcmp(ranks, "1") != 0 && strcmp(cmd->name, "embed") != 0)
        return cli_error(CLI_USAGE, "only prle embed runs under mpirun (%s ranks here)", ranks);
    prle_init(0);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* a reader that goes away (prle run | head -1) does not kill a run half-way through its
     * files: the writes fail instead, the work completes, and the exit says so below */
    signal(SIGPIPE, SIG_IGN);
    int rc = cmd->fn(argc - i, argv + i);
    if (cli_interrupted) {
        fprintf(stderr, "prle: stopped by %s; temporary files removed\n",
                cli_interrupted == SIGINT ? "SIGINT" : "SIGTERM");
        return 128 + (int)cli_interrupted;
    }
    /* what a command printed may not have reached its file (a full disk): not a success */
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == CLI_OK) {
        /* errno: the flush's failure, else an earlier write's; a write to a pipe fails when its
         * reader went away */
        int e = errno;
        struct stat st;
        bool pipe_out = e == EPIPE || (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode));
        e = pipe_out ? EPIPE : e;
        return cli_error(CLI_RUNTIME, "writing to standard output failed%s%s%s", e ? ": " : "",
                         e ? strerror(e) : "",
                         pipe_out ? " (its reader closed the pipe; the command's files are written)"
                                  : "");
    }
    return rc;
}
