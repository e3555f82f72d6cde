/* LABELS: unit io */
/* safetensors: the fixture of tools/make_safetensors_fixture.py (json + struct, independent of
 * our writer) reads with the right values, our writer reproduces it and the reference's own
 * test vectors byte for byte, round trips, lookup errors, and every reader check with its
 * status code. */
#include "prle_test.h"

#include "io/fileio.h"

static void check_info(const prle_st_file *f, const char *name, prle_st_dtype dt, size_t ndim,
                       size_t d0, size_t d1)
{
    prle_st_tensor_info info;
    PT_OK(prle_st_find(&info, f, name));
    PT_EQ_STR(info.name, name);
    PT_EQ_INT(info.dtype, dt);
    PT_EQ_INT(info.ndim, ndim);
    if (ndim > 0)
        PT_EQ_INT(info.shape[0], d0);
    if (ndim > 1)
        PT_EQ_INT(info.shape[1], d1);
}

static void test_safetensors__read_reference(void)
{
    prle_st_file *f = NULL;
    PT_OK(prle_st_open(&f, pt_data("safetensors/reference.safetensors")));
    if (!f)
        return;
    PT_EQ_INT(prle_st_n_tensors(f), 6);
    prle_st_tensor_info info;
    PT_OK(prle_st_tensor_at(&info, f, 0));
    PT_EQ_STR(info.name, "a.bias");
    PT_OK(prle_st_tensor_at(&info, f, 5));
    PT_EQ_STR(info.name, "scale");
    PT_EQ_STR(info.dtype_name, "F64");
    PT_EQ_INT(info.numel, 4);
    PT_EQ_INT(info.nbytes, 32);
    check_info(f, "a.weight", PRLE_ST_F32, 2, 2, 3);
    check_info(f, "a.bias", PRLE_ST_F32, 1, 3, 0);
    check_info(f, "ids", PRLE_ST_I64, 1, 4, 0);
    check_info(f, "empty", PRLE_ST_F32, 2, 0, 3);
    check_info(f, "scalar", PRLE_ST_F32, 0, 0, 0);

    float w[6], b[3], s;
    PT_OK(prle_st_read_f32(w, 6, f, "a.weight"));
    for (int k = 0; k < 6; k++)
        PT_CHECK(w[k] == (float)(k - 2) * 0.5f);
    PT_OK(prle_st_read_f32(b, 3, f, "a.bias"));
    PT_CHECK(b[0] == 0.25f && b[1] == -1.0f && b[2] == 3.0f);
    PT_OK(prle_st_read_f32(&s, 1, f, "scalar"));
    PT_CHECK(s == 7.5f);
    PT_OK(prle_st_read_f32(NULL, 0, f, "empty"));
    int64_t ids[4];
    PT_OK(prle_st_read_i64(ids, 4, f, "ids"));
    PT_CHECK(ids[0] == 0 && ids[1] == -1 && ids[2] == 5000000000LL && ids[3] == 42);
    double sc[4];
    PT_OK(prle_st_read_f64(sc, 4, f, "scale"));
    PT_CHECK(sc[0] == 0.1 && sc[1] == 1e-3 && sc[2] == -2.5 && sc[3] == 12345.678);

    prle_matrix m = {0};
    PT_OK(prle_st_load_matrix(&m, f, "scale")); /* F64 converted */
    PT_EQ_INT(m.rows, 2);
    PT_EQ_INT(m.cols, 2);
    PT_CHECK(m.data && m.data[0] == (float)0.1 && m.data[3] == (float)12345.678);
    prle_matrix_dispose(&m);
    PT_OK(prle_st_load_matrix(&m, f, "a.bias")); /* (3) is (3, 1) */
    PT_EQ_INT(m.rows, 3);
    PT_EQ_INT(m.cols, 1);
    prle_matrix_dispose(&m);
    PT_OK(prle_st_load_matrix(&m, f, "scalar")); /* () is (1, 1) */
    PT_CHECK(m.rows == 1 && m.cols == 1 && m.data && m.data[0] == 7.5f);
    prle_matrix_dispose(&m);
    PT_OK(prle_st_load_matrix(&m, f, "empty"));
    PT_CHECK(m.rows == 0 && m.cols == 3);
    prle_matrix_dispose(&m);

    PT_EQ_INT(prle_st_n_metadata(f), 4);
    PT_EQ_STR(prle_st_metadata_get(f, "format"), "prle");
    PT_EQ_STR(prle_st_metadata_get(f, "note"), "h\xc3\xa9llo \"q\"\n");
    PT_CHECK(prle_st_metadata_get(f, "missing") == NULL);
    const char *k = NULL, *v = NULL;
    PT_OK(prle_st_metadata_at(&k, &v, f, 3));
    PT_EQ_STR(k, "version");
    PT_EQ_STR(v, "1");
    prle_st_free(f);
    prle_st_free(NULL);
}

/* The same tensors added in another order give the fixture's exact bytes. */
static void test_safetensors__writer_matches_reference(void)
{
    prle_st_writer *w = NULL;
    PT_OK(prle_st_writer_new(&w));
    if (!w)
        return;
    double scale[4] = {0.1, 1e-3, -2.5, 12345.678};
    int64_t ids[4] = {0, -1, 5000000000LL, 42};
    float wt[6], bias[3] = {0.25f, -1.0f, 3.0f}, scalar = 7.5f;
    for (int k = 0; k < 6; k++)
        wt[k] = (float)(k - 2) * 0.5f;
    size_t s22[2] = {2, 2}, s4[1] = {4}, s23[2] = {2, 3}, s03[2] = {0, 3}, s3[1] = {3};
    PT_OK(prle_st_writer_set_metadata(w, "version", "1"));
    PT_OK(prle_st_writer_set_metadata(w, "seed", "0"));
    PT_OK(prle_st_writer_add_f64(w, "scale", scale, 2, s22));
    PT_OK(prle_st_writer_add_i64(w, "ids", ids, 1, s4));
    PT_OK(prle_st_writer_add_f32(w, "scalar", &scalar, 0, NULL));
    PT_OK(prle_st_writer_add_f32(w, "a.weight", wt, 2, s23));
    PT_OK(prle_st_writer_add_f32(w, "empty", NULL, 2, s03));
    PT_OK(prle_st_writer_add_f32(w, "a.bias", bias, 1, s3));
    PT_OK(prle_st_writer_set_metadata(w, "note", "h\xc3\xa9llo \"q\"\n"));
    PT_OK(prle_st_writer_set_metadata(w, "seed", "42")); /* replaces "0" */
    PT_OK(prle_st_writer_set_metadata(w, "format", "prle"));
    const char *path = pt_tmp("ours.safetensors");
    PT_OK(prle_st_writer_save(w, path));
    PT_CHECK(pt_files_equal(path, pt_data("safetensors/reference.safetensors")));
    PT_OK(prle_st_writer_save(w, path)); /* saving again gives the same file */
    PT_CHECK(pt_files_equal(path, pt_data("safetensors/reference.safetensors")));
    prle_st_writer_free(w);
    prle_st_writer_free(NULL);
    remove(path);
}

/* Writes `w` and compares with u64 `hlen`, `header` padded with spaces to hlen, then `data`. */
static void expect_file(const prle_st_writer *w, uint64_t hlen, const char *header,
                        const void *data, size_t data_len)
{
    const char *path = pt_tmp("vector.safetensors");
    unsigned char want[256];
    size_t n = 8 + (size_t)hlen + data_len, len = 0;
    PT_CHECK(n <= sizeof want && strlen(header) <= hlen);
    for (int i = 0; i < 8; i++)
        want[i] = (unsigned char)(hlen >> (8 * i));
    memset(want + 8, ' ', (size_t)hlen);
    memcpy(want + 8, header, strlen(header));
    if (data_len)
        memcpy(want + 8 + hlen, data, data_len);
    PT_OK(prle_st_writer_save(w, path));
    unsigned char *got = pt_slurp(path, &len);
    PT_EQ_INT(len, n);
    PT_CHECK(got && len == n && memcmp(got, want, n) == 0);
    free(got);
    remove(path);
}

/* The byte vectors of the reference's own tests (safetensors/src/tensor.rs: test_serialization,
 * test_empty, test_serialization_forced_alignement). */
static void test_safetensors__reference_vectors(void)
{
    float v[6] = {0, 1, 2, 3, 4, 5};
    size_t s123[3] = {1, 2, 3}, s1123[4] = {1, 1, 2, 3};
    prle_st_writer *w = NULL;
    PT_OK(prle_st_writer_new(&w));
    if (!w)
        return;
    expect_file(w, 8, "{}", NULL, 0);
    PT_OK(prle_st_writer_set_metadata(w, "framework", "pt"));
    expect_file(w, 40, "{\"__metadata__\":{\"framework\":\"pt\"}}", NULL, 0);
    prle_st_writer_free(w);

    PT_OK(prle_st_writer_new(&w));
    PT_OK(prle_st_writer_add_f32(w, "attn.0", v, 3, s123));
    expect_file(w, 64, "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}",
                v, sizeof v);
    prle_st_writer_free(w);

    PT_OK(prle_st_writer_new(&w));
    PT_OK(prle_st_writer_add_f32(w, "attn0", v, 4, s1123));
    expect_file(w, 72,
                "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}", v,
                sizeof v);
    prle_st_writer_free(w);
}

static void test_safetensors__other_dtypes(void)
{
    prle_st_file *f = NULL;
    PT_OK(prle_st_open(&f, pt_data("safetensors/other_dtypes.safetensors")));
    if (!f)
        return;
    prle_st_tensor_info info;
    PT_OK(prle_st_find(&info, f, "half"));
    PT_EQ_INT(info.dtype, PRLE_ST_OTHER);
    PT_EQ_STR(info.dtype_name, "F16");
    PT_EQ_INT(info.nbytes, 4);
    float x[2];
    prle_matrix m = {0};
    PT_FAILS(prle_st_read_f32(x, 2, f, "half"), PRLE_EFORMAT, "'half' is F16, not F32 or F64");
    PT_FAILS(prle_st_load_matrix(&m, f, "half"), PRLE_EFORMAT, "is F16");
    int64_t ids[3];
    PT_OK(prle_st_read_i64(ids, 3, f, "small_ids")); /* I32 widened */
    PT_CHECK(ids[0] == 1 && ids[1] == -7 && ids[2] == 2147483647);
    PT_EQ_INT(prle_st_n_metadata(f), 0);
    prle_st_free(f);
}

static void test_safetensors__round_trip(void)
{
    const char *path = pt_tmp("round.safetensors");
    prle_st_writer *w = NULL;
    prle_st_file *f = NULL;
    prle_matrix m = {0}, back = {0};
    prle_rng rng;
    prle_rng_init(&rng, 11, "test_safetensors", 0);
    PT_OK(prle_matrix_alloc(&m, 5, 7));
    for (size_t k = 0; k < 35; k++)
        m.data[k] = (float)prle_rng_normal(&rng);
    double d[3] = {1e300, -0.0, 1.0 / 3.0};
    float cube[8];
    for (int k = 0; k < 8; k++)
        cube[k] = (float)k;
    size_t s3[1] = {3}, s222[3] = {2, 2, 2};

    PT_OK(prle_st_writer_new(&w));
    PT_OK(prle_st_writer_add_matrix(w, "projection_head.net.0.weight", &m));
    PT_OK(prle_st_writer_add_f64(w, "d", d, 1, s3));
    PT_OK(prle_st_writer_add_f32(w, "cube", cube, 3, s222));
    PT_OK(prle_st_writer_save(w, path));
    prle_st_writer_free(w);

    PT_OK(prle_st_open(&f, path));
    if (!f)
        return;
    PT_OK(prle_st_load_matrix(&back, f, "projection_head.net.0.weight"));
    PT_CHECK(back.rows == 5 && back.cols == 7 && back.data &&
             memcmp(back.data, m.data, 35 * sizeof(float)) == 0);
    double dd[3];
    PT_OK(prle_st_read_f64(dd, 3, f, "d"));
    PT_CHECK(memcmp(dd, d, sizeof d) == 0);
    float c[8];
    PT_OK(prle_st_read_f32(c, 8, f, "cube"));
    PT_CHECK(memcmp(c, cube, sizeof c) == 0);
    prle_matrix bad = {0};
    PT_FAILS(prle_st_load_matrix(&bad, f, "cube"), PRLE_ESHAPE, "3 dimensions");
    PT_CHECK(bad.data == NULL);
    prle_st_free(f);
    prle_matrix_dispose(&m);
    prle_matrix_dispose(&back);

    /* an empty writer: "{}" padded to 8, no data */
    PT_OK(prle_st_writer_new(&w));
    PT_OK(prle_st_writer_save(w, path));
    prle_st_writer_free(w);
    size_t len = 0;
    unsigned char *bytes = pt_slurp(path, &len);
    PT_CHECK(bytes && len == 16 && bytes[0] == 8 && memcmp(bytes + 8, "{}      ", 8) == 0);
    free(bytes);
    PT_OK(prle_st_open(&f, path));
    PT_CHECK(f && prle_st_n_tensors(f) == 0);
    prle_st_free(f);
    remove(path);
}

static void test_safetensors__lookup_errors(void)
{
    prle_st_file *f = NULL;
    PT_OK(prle_st_open(&f, pt_data("safetensors/reference.safetensors")));
    if (!f)
        return;
    prle_st_tensor_info info;
    float x[8];
    int64_t q[8];
    const char *k, *v;
    PT_FAILS(prle_st_find(&info, f, "nope"), PRLE_ENOTFOUND,
             "reference.safetensors: no tensor named 'nope'");
    PT_FAILS(prle_st_read_f32(x, 5, f, "a.weight"), PRLE_ESHAPE, "has 6 elements, not 5");
    PT_FAILS(prle_st_read_i64(q, 6, f, "a.weight"), PRLE_EFORMAT, "is F32, not I64 or I32");
    PT_FAILS(prle_st_read_f32(x, 4, f, "ids"), PRLE_EFORMAT, "is I64");
    PT_FAILS(prle_st_tensor_at(&info, f, 6), PRLE_EINVAL, "out of range");
    PT_FAILS(prle_st_metadata_at(&k, &v, f, 4), PRLE_EINVAL, "out of range");
    prle_st_free(f);
}

static void test_safetensors__writer_errors(void)
{
    prle_st_writer *w = NULL;
    PT_OK(prle_st_writer_new(&w));
    if (!w)
        return;
    float x[2] = {1, 2};
    size_t s2[1] = {2}, big[2] = {(size_t)1 << 40, (size_t)1 << 40},
           huge[1] = {((size_t)1 << 53) + 1}, nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    PT_OK(prle_st_writer_add_f32(w, "x", x, 1, s2));
    PT_FAILS(prle_st_writer_add_f32(w, "x", x, 1, s2), PRLE_EINVAL, "'x' is already used");
    PT_FAILS(prle_st_writer_add_f32(w, "__metadata__", x, 1, s2), PRLE_EINVAL, "__metadata__");
    PT_FAILS(prle_st_writer_add_f32(w, "bad\xff", x, 1, s2), PRLE_EINVAL, "UTF-8");
    PT_FAILS(prle_st_writer_add_f32(w, "nine", x, 9, nine), PRLE_EINVAL, "9 dimensions");
    PT_FAILS(prle_st_writer_add_f32(w, "big", x, 2, big), PRLE_ENOMEM, "too large");
    PT_FAILS(prle_st_writer_add_f32(w, "huge", x, 1, huge), PRLE_EINVAL, "over 2^53");
    PT_FAILS(prle_st_writer_set_metadata(w, "k", "\xc0\x80"), PRLE_EINVAL, "UTF-8");
    PT_FAILS(prle_st_writer_save(w, pt_tmp("no/such/dir/x.safetensors")), PRLE_ENOTFOUND,
             "no/such/dir");
    prle_st_writer_free(w);
}

/* A file image: u64 length of `json` (or `hlen` if not 0), `json`, `data_len` zero bytes. */
static size_t image(unsigned char *buf, size_t cap, const char *json, uint64_t hlen,
                    size_t data_len)
{
    size_t n = strlen(json);
    if (8 + n + data_len > cap) {
        PT_FAIL_AT("image: buffer too small");
        return 0;
    }
    uint64_t h = hlen ? hlen : n;
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(h >> (8 * i));
    memcpy(buf + 8, json, n);
    memset(buf + 8 + n, 0, data_len);
    return 8 + n + data_len;
}

static void expect_bad(const char *json, size_t data_len, const char *substr)
{
    unsigned char buf[1024];
    prle_st_file *f = NULL;
    size_t n = image(buf, sizeof buf, json, 0, data_len);
    PT_FAILS(prle_st_open_memory(&f, buf, n, "bad.st"), PRLE_EFORMAT, substr);
    PT_CHECK(f == NULL);
}

#define T(dt, shape, b, e)                                                                         \
    "{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":[" b "," e "]}"

static void test_safetensors__bad_inputs(void)
{
    unsigned char buf[256];
    prle_st_file *f = NULL;
    /* the control: minimal valid file, keys in another order, whitespace after the JSON */
    size_t n =
        image(buf, sizeof buf,
              "{\"a\":{\"data_offsets\":[0,8],\"shape\":[2],\"dtype\":\"F32\",\"x\":1}}  ", 0, 8);
    PT_OK(prle_st_open_memory(&f, buf, n, NULL));
    prle_st_free(f);
    f = NULL;

    PT_FAILS(prle_st_open_memory(&f, buf, 0, NULL), PRLE_EFORMAT, "<memory>: 0 bytes");
    PT_FAILS(prle_st_open_memory(&f, buf, 7, "x"), PRLE_EFORMAT, "too short");
    n = image(buf, sizeof buf, "{}", 100000001, 0);
    PT_FAILS(prle_st_open_memory(&f, buf, n, "x"), PRLE_EFORMAT, "over the 100000000-byte");
    n = image(buf, sizeof buf, "{}", 3, 0);
    PT_FAILS(prle_st_open_memory(&f, buf, n, "x"), PRLE_EFORMAT, "runs past the end");
    n = image(buf, sizeof buf, "{}", UINT64_MAX, 0);
    PT_FAILS(prle_st_open_memory(&f, buf, n, "x"), PRLE_EFORMAT, "over the");
    PT_CHECK(f == NULL);

    expect_bad("{\"a\":", 0, "bad.st: header is not valid JSON");
    expect_bad("[]", 0, "not a JSON object");
    expect_bad("{} x", 0, "unexpected bytes after the JSON");
    expect_bad("{\"a\":\"\xff\"}", 0, "not valid UTF-8");
    expect_bad("{\"a\":\"\x01\"}", 0, "control byte 0x01");
    expect_bad("{\"a\":1}", 0, "'a' is not a JSON object");
    expect_bad("{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", 4, "'a' lacks 'dtype'");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "lacks 'shape'");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", 4, "lacks 'data_offsets'");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
               4, "repeats 'dtype'");
    expect_bad("{\"a\":" T("F99", "[1]", "0", "4") "}", 4, "unsupported dtype 'F99'");
    expect_bad("{\"a\":{\"dtype\":7,\"shape\":[],\"data_offsets\":[0,4]}}", 4, "not a string");
    expect_bad("{\"a\":" T("F32", "{}", "0", "4") "}", 4, "shape is not an array");
    expect_bad("{\"a\":" T("F32", "[-1]", "0", "4") "}", 4, "non-size");
    expect_bad("{\"a\":" T("F32", "[1.5]", "0", "4") "}", 4, "non-size");
    expect_bad("{\"a\":" T("F32", "[\"2\"]", "0", "8") "}", 8, "non-size");
    expect_bad("{\"a\":" T("F32", "[1,1,1,1,1,1,1,1,1]", "0", "4") "}", 4, "more than 8");
    expect_bad("{\"a\":" T("F32", "[4503599627370496,4096]", "0", "4") "}", 4, "shape overflows");
    expect_bad("{\"a\":" T("F32", "[4503599627370496,1024]", "0", "4") "}", 4,
               "byte size overflows");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
               "not [begin, end]");
    expect_bad("{\"a\":" T("F32", "[1]", "8", "4") "}", 8, "disagree");
    expect_bad("{\"a\":" T("F32", "[2]", "0", "4") "}", 4, "[0, 4] disagree with its 8 bytes");
    expect_bad("{\"a\":" T("F32", "[1]", "0", "4") ",\"b\":" T("F32", "[1]", "8", "12") "}", 12,
               "hole of 4 bytes before tensor 'b'");
    expect_bad("{\"a\":" T("F32", "[1]", "4", "8") "}", 8, "hole of 4 bytes before tensor 'a'");
    expect_bad("{\"a\":" T("F32", "[2]", "0", "8") ",\"b\":" T("F32", "[1]", "4", "8") "}", 8,
               "'b' overlaps");
    expect_bad("{\"a\":" T("F32", "[1]", "0", "4") "}", 8, "cover 4 bytes, the data has 8");
    expect_bad("{\"a\":" T("F32", "[2]", "0", "8") "}", 4, "cover 8 bytes, the data has 4");
    expect_bad("{\"a\":" T("F32", "[1]", "0", "4") ",\"a\":" T("F32", "[1]", "4", "8") "}", 8,
               "duplicate tensor name 'a'");
    expect_bad("{\"__metadata__\":[]}", 0, "__metadata__ is not a JSON object");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, "metadata 'k' is not a string");
    expect_bad("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "duplicate metadata key 'k'");
    expect_bad("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "repeats '__metadata__'");
}

static void test_safetensors__bad_files(void)
{
    const char *path = pt_tmp("truncated.safetensors");
    prle_st_file *f = NULL;
    size_t len = 0;
    unsigned char *bytes = pt_slurp(pt_data("safetensors/reference.safetensors"), &len);
    PT_CHECK(bytes && pt_write_file(path, (const char *)bytes, len - 1) == 0);
    PT_FAILS(prle_st_open(&f, path), PRLE_EFORMAT, "truncated.safetensors: tensors cover");
    PT_CHECK(bytes && pt_write_file(path, (const char *)bytes, 100) == 0);
    PT_FAILS(prle_st_open(&f, path), PRLE_EFORMAT, "truncated.safetensors: header length");
    PT_FAILS(prle_st_open(&f, pt_tmp("no/such.safetensors")), PRLE_ENOTFOUND, "no/such");
    PT_CHECK(f == NULL);
    free(bytes);
    remove(path);
}

int main(void)
{
    PT_RUN(test_safetensors__read_reference);
    PT_RUN(test_safetensors__writer_matches_reference);
    PT_RUN(test_safetensors__reference_vectors);
    PT_RUN(test_safetensors__other_dtypes);
    PT_RUN(test_safetensors__round_trip);
    PT_RUN(test_safetensors__lookup_errors);
    PT_RUN(test_safetensors__writer_errors);
    PT_RUN(test_safetensors__bad_inputs);
    PT_RUN(test_safetensors__bad_files);
    return pt_report();
}
