/* What an encoder learned from the training texts, saved and read back (encoder.safetensors of
 * a run folder, issue 14): the backend's tensors plus the description it was fitted under. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "encode/encoder_impl.h"

/* The description without its "vectors=PATH" word: the same vectors may live elsewhere on
 * another machine (their sha256 stays in the description). */
static char *identity(const char *describe)
{
    char *out = malloc(strlen(describe) + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = describe; *p;) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (strncmp(p, "vectors=", 8) != 0) {
            if (o != out)
                *o++ = ' ';
            memcpy(o, p, n), o += n;
        }
        p += n + (end != NULL);
    }
    *o = 0;
    return out;
}

int prle_encoder_save_state(const prle_encoder *enc, const char *path)
{
    prle_st_writer *w = NULL;
    char *id = identity(prle_encoder_describe(enc));
    int err = id ? prle_st_writer_new(&w) : prle__error_nomem("encoder state");
    if (err == 0 && (err = prle_st_writer_set_metadata(w, "format", "prle-encoder")) == 0 &&
        (err = prle_st_writer_set_metadata(w, "version", "1")) == 0 &&
        (err = prle_st_writer_set_metadata(w, "encoder", prle_encoder_describe(enc))) == 0 &&
        (err = prle_st_writer_set_metadata(w, "identity", id)) == 0 && enc->ops->save)
        err = enc->ops->save(enc, w);
    if (err == 0)
        err = prle_st_writer_save(w, path);
    prle_st_writer_free(w);
    free(id);
    return err;
}

int prle_encoder_load_state(prle_encoder *enc, const char *path)
{
    prle_st_file *f = NULL;
    char *id = identity(prle_encoder_describe(enc));
    int err = id ? prle_st_open(&f, path) : prle__error_nomem("encoder state");
    if (err < 0)
        goto done;
    const char *fmt = prle_st_metadata_get(f, "format"), *got = prle_st_metadata_get(f, "identity");
    if (!fmt || strcmp(fmt, "prle-encoder") != 0) {
        err = prle__error_set(PRLE_EFORMAT, "%s: not an encoder state (no format prle-encoder)",
                              path);
        goto done;
    }
    if (!got || strcmp(got, id) != 0) {
        err = prle__error_set(PRLE_EFORMAT,
                              "%s: fitted by another encoder (\"%s\"), not this one (\"%s\")", path,
                              got ? got : "?", id);
        goto done;
    }
    if (enc->ops->load)
        err = enc->ops->load(enc, f, path);
done:
    prle_st_free(f);
    free(id);
    return err;
}
