/* libFuzzer target: the predictor file (prle_predictor_save) on arbitrary bytes; what it
 * accepts must predict, explain and give intervals for a row of zeros without trouble (seeds:
 * fuzz/corpus/predictor, a file of the first format and one with held-out rows). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "prle/predictor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prle_predictor *p = NULL;
    if (prle_predictor_load_memory(&p, data, size, "fuzz") < 0)
        return 0;
    size_t d = prle_kernel_in_dim(prle_predictor_kernel(p));
    float *x = d <= 4096 ? calloc(d ? d : 1, sizeof *x) : NULL;
    if (x) {
        prle_explain_item items[4];
        float rest, yhat;
        prle_predictor_explain(items, &rest, &yhat, p, x, 4);
        prle_matrix row = {.data = x, .rows = 1, .cols = d};
        float lo, hi;
        prle_predictor_intervals(&yhat, &lo, &hi, p, &row, 0.9, true);
        free(x);
    }
    prle_predictor_free(p);
    return 0;
}
