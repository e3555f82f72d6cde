/* Internal to the safetensors reader and writer: the dtype table, the tensor and metadata
 * records both use, and helpers they share. */
#ifndef PRLE_IO_SAFETENSORS_INT_H
#define PRLE_IO_SAFETENSORS_INT_H

#include "prle/safetensors.h"

#define PRLE__ST_HEADER_MAX 100000000u         /* the reference's MAX_HEADER_SIZE */
#define PRLE__ST_EXACT_MAX ((uint64_t)1 << 53) /* larger JSON numbers are not exact doubles */

typedef struct prle__st_dtype_def {
    const char *name; /* as in the file: "F32" */
    size_t size;      /* bytes per element */
    prle_st_dtype dtype;
} prle__st_dtype_def;

/* Every whole-byte dtype of the format (the sub-byte F4, F6_* are not supported); the first
 * three are the ones we convert. */
extern const prle__st_dtype_def prle__st_dtypes[];
#define PRLE__ST_F32 (&prle__st_dtypes[0])
#define PRLE__ST_F64 (&prle__st_dtypes[1])
#define PRLE__ST_I64 (&prle__st_dtypes[2])

typedef struct prle__st_tensor {
    char *name;
    const prle__st_dtype_def *dt;
    size_t ndim, shape[PRLE_ST_MAX_DIMS], numel, nbytes;
    size_t begin, end;    /* data_offsets (reader), relative to the data section */
    unsigned char *bytes; /* writer: little-endian copy of the values */
} prle__st_tensor;

typedef struct prle__st_meta {
    char *key, *value;
} prle__st_meta;

/** The bytes prle_st_writer_save would write, in memory (free() them). PRLE_ENOMEM. */
int prle__st_writer_bytes(char **out, size_t *len, const prle_st_writer *w);

/** Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
bool prle__st_utf8_valid(const unsigned char *s, size_t n);

/** Whether `f` has a tensor called `name`, setting no error: for the optional ones, whose
 *  absence is no failure (a successful load leaves no message behind). */
bool prle__st_has(const prle_st_file *f, const char *name);

#endif
