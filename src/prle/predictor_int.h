/* The predictor file from memory, for the fuzzer (fuzz/fuzz_predictor.c). */
#ifndef PRLE_PRLE_PREDICTOR_INT_H
#define PRLE_PRLE_PREDICTOR_INT_H

#include <stddef.h>

#include "prle/predictor.h"

/** prle_predictor_load from the `size` bytes of a whole file; `path` names it in messages. */
int prle__predictor_load_memory(prle_predictor **out, const void *data, size_t size,
                                const char *path);

#endif
