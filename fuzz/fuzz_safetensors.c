/* libFuzzer target: the safetensors reader on arbitrary bytes, then every accessor on what
 * it accepted (each tensor read in every kind it allows, metadata walked). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "prle/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prle_st_file *f = NULL;
    if (prle_st_open_memory(&f, data, size, "fuzz") < 0)
        return 0;
    for (size_t i = 0; i < prle_st_n_tensors(f); i++) {
        prle_st_tensor_info info, again;
        if (prle_st_tensor_at(&info, f, i) < 0 || prle_st_find(&again, f, info.name) < 0)
            abort(); /* every listed tensor must be found by its name */
        size_t n = info.numel ? info.numel : 1;
        void *buf = malloc(n * sizeof(double)); /* numel <= nbytes <= size: small */
        if (buf) {
            prle_st_read_f32(buf, info.numel, f, info.name);
            prle_st_read_f64(buf, info.numel, f, info.name);
            prle_st_read_i64(buf, info.numel, f, info.name);
            free(buf);
        }
        prle_matrix m = {0};
        if (prle_st_load_matrix(&m, f, info.name) == 0)
            prle_matrix_dispose(&m);
    }
    const char *k, *v;
    for (size_t i = 0; i < prle_st_n_metadata(f); i++)
        if (prle_st_metadata_at(&k, &v, f, i) < 0 || prle_st_metadata_get(f, k) != v)
            abort(); /* keys are unique, so lookup finds this very entry */
    prle_st_free(f);
    return 0;
}
