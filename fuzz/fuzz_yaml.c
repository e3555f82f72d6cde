/* libFuzzer target: the YAML config loader and dotted overrides on arbitrary bytes. Every
 * config that loads must write out and load back equal (from another folder: its paths are
 * absolute), so the writer's quoting is fuzzed too. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* write(cfg) must succeed and load back to an equal config; anything else is a finding. */
static void round_trip(const prle_config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp)
        abort();
    int err = prle_config_write(cfg, fp);
    if (fclose(fp) != 0 || err < 0)
        abort();
    prle_config back;
    if (prle_config_load_string(&back, text, len, "saved.yaml", "/elsewhere") < 0) {
        fprintf(stderr, "reload failed: %s\n", prle_last_error());
        abort();
    }
    if (!prle__config_equal(cfg, &back)) {
        for (size_t i = 0; i < prle__cfg_nkeys; i++)
            if (!prle__cfg_key_equal(cfg, &back, &prle__cfg_keys[i]))
                fprintf(stderr, "differs after a round trip: %s\n", prle__cfg_keys[i].name);
        abort();
    }
    prle_config_dispose(&back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prle_config cfg;
    if (prle_config_load_string(&cfg, (const char *)data, size, "fuzz.yaml", "/fuzz") == 0) {
        round_trip(&cfg);
        prle_config_dispose(&cfg);
    }
    /* the same bytes as one override "KEY=VALUE" */
    char *assignment = malloc(size + 1);
    if (!assignment)
        return 0;
    memcpy(assignment, data, size);
    assignment[size] = '\0';
    if (prle_config_default(&cfg) == 0) {
        if (prle_config_override(&cfg, assignment) == 0)
            round_trip(&cfg);
        prle_config_dispose(&cfg);
    }
    free(assignment);
    return 0;
}
