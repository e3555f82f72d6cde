/* Shared pieces of the prle command: the command table and error reporting. */
#ifndef PRLE_CLI_H
#define PRLE_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "prle/prle.h"

/** Exit codes (SPEC.md §8). */
enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_USAGE = 2 };

/** A command: a main-like function given argv[0] = the command's name. */
typedef int (*cli_cmd_fn)(int argc, char **argv);

typedef struct cli_cmd {
    const char *name;
    cli_cmd_fn fn;       /* NULL: not built yet */
    const char *args;    /* usage after the name */
    const char *summary; /* one line for `prle --help` */
    int issue;           /* for commands not built yet: the issue that builds them */
} cli_cmd;

/** Options every command understands, set by main before dispatch. */
typedef struct cli_globals {
    int verbose;        /* -v */
    int quiet;          /* -q */
    const char *config; /* the command's CONFIG once cli_config_load read it: cli_fail names it
                           before an error about one of its keys */
    const char *const *overrides; /* its key=value arguments (the first 256): an error about
                                     a key one of them set names the override instead */
    int n_overrides;
} cli_globals;
extern cli_globals cli_opts;

/** The signal (SIGINT, SIGTERM) that asked the command to stop, 0 if none. The progress and
 *  event callbacks return false once it is set: the library stops at its next report and
 *  removes its temporary files; main then exits 128 + the signal (130, 143). */
extern volatile sig_atomic_t cli_interrupted;

/** Prints "prle: <prle_last_error()>" to stderr; returns the exit code for `status`. */
int cli_fail(int status);

/** Prints "prle: <message>" to stderr and returns `exit_code`. */
int cli_error(int exit_code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Usage of one command on `out` ("usage: prle NAME ARGS" + summary). */
void cli_usage(FILE *out, const char *name);

/** True when argv[i] is -h or --help. */
int cli_is_help(const char *arg);

/** More lines of help for `prle help NAME` / `NAME --help` (commands.c), or NULL. */
const char *cli_help_text(const char *name);

/** The table, ended by a zeroed entry (commands.c). */
extern const cli_cmd cli_commands[];

/** The command named `name`, or NULL. */
const cli_cmd *cli_find(const char *name);

/**
 * The front of every config-taking command (config_args.c): argv[0] is CONFIG, the rest are
 * key=value overrides (a command strips its own options first). Loads the file over the
 * defaults, applies the overrides in order and prints the notices to stderr as
 * "prle: notice: ...". Returns CLI_OK with `out` filled (dispose it), or the exit code after
 * printing the error ("prle: <message>"; 2 for a bad config or usage) with `out` zeroed.
 */
int cli_config_load(prle_config *out, int argc, char **argv);

/**
 * cli_config_load for a command with on/off options: argv[0] is the command's name; each of
 * argv[1..] found in `flags` (NULL-ended, may be NULL) sets the matching `seen[i]` (left
 * alone otherwise), any other "--option" is a usage error (message and usage printed,
 * CLI_USAGE), the rest are CONFIG [key=value...].
 */
int cli_config_load_flags(prle_config *out, bool *seen, const char *const *flags, int argc,
                          char **argv);

/**
 * Checks `--out FILE` of command `cmd` before any work (out_path.c): its folder exists, it is
 * not a folder, nor one of `inputs` (NULL-ended, may be NULL: files the command reads), nor
 * in the run folder `run_dir` (may be NULL) unless it is that folder's `own` (the file the
 * command writes there without --out; may be NULL), nor in `cache_dir` (may be NULL).
 * CLI_OK, or CLI_USAGE after the message.
 */
int cli_out_check(const char *cmd, const char *out, const char *const *inputs, const char *run_dir,
                  const char *own, const char *cache_dir);

/* Commands, one file each (cmd_<name>.c), except help and version in main.c. */
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_baselines(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_kernel(int argc, char **argv);
int cmd_vectors(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);

/** stdout held in an unlinked file of ${TMPDIR:-/tmp} (cli/held_stdout.c): prle predict
 *  --input prints nothing unless every row of its input was good. */
typedef struct cli_held_stdout {
    int saved, fd; /* the real stdout's duplicate, the file's descriptor; -1 when not held */
} cli_held_stdout;

/** Points stdout at the file. CLI_OK, or CLI_RUNTIME after the message. */
int cli_stdout_hold(cli_held_stdout *h);

/** Points stdout back and, with `keep`, copies the file's bytes to it. CLI_OK, or CLI_RUNTIME
 *  after the message when a write fails. Nothing to do when not held. */
int cli_stdout_release(cli_held_stdout *h, bool keep);

#endif
