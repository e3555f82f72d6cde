/* The command table (STYLE.md §13): one line per command of SPEC.md §8. */
#include "cli.h"

#include <string.h>

const cli_cmd cli_commands[] = {
    {"run", NULL, "CONFIG [key=value...]", "all stages, evaluation and report (the main job)", 5},
    {"embed", cmd_embed, "CONFIG [key=value...] [--force]", "stage 0: texts to embeddings (cached)",
     0},
    {"kernel", cmd_kernel, "CONFIG [key=value...]", "stage 1: train the kernel, write value space",
     0},
    {"train", NULL, "CONFIG [key=value...]", "stages 1-2 on cached embeddings", 5},
    {"eval", NULL, "RUN [--split test]", "re-score a saved run", 5},
    {"predict", NULL, "RUN [--input FILE | --text A [--text2 B]] [--explain K]",
     "predict with explanations", 5},
    {"baselines", cmd_baselines,
     "CONFIG [key=value...] [--space retrieval|value] [--models LIST] [--out FILE] [--knn-cosine]",
     "grid-searched wrapper baselines (writes baselines.json)", 0},
    {"analyze", NULL, "RUN", "distance-label correlation, oracle MoE, t-SNE", 6},
    {"report", NULL, "RUN", "write report.html for a run", 6},
    {"vectors", cmd_vectors, "import SRC DST | fetch | info FILE",
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
