/* libFuzzer target: the .npy reader on arbitrary bytes, as float matrix and as int64 ids.
 * Both share the header parser and size checks with the path reader (src/io/npy.c). */
#include <stddef.h>
#include <stdint.h>

#include "prle/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prle_matrix m = {0};
    if (prle_npy_load_memory(&m, data, size, "fuzz") == 0) {
        volatile float sink = 0; /* touch every element: sizes must match the buffer */
        for (size_t i = 0; i < m.rows * m.cols; i++)
            sink += m.data[i];
        (void)sink;
        prle_matrix_dispose(&m);
    }
    prle_i64_array a = {0};
    if (prle_npy_load_i64_memory(&a, data, size, "fuzz") == 0) {
        volatile int64_t sink = 0;
        for (size_t i = 0; i < a.rows * a.cols; i++)
            sink ^= a.data[i];
        (void)sink;
        prle_i64_array_dispose(&a);
    }
    return 0;
}
