/* LABELS: unit io */
/* .npy: NumPy-made fixtures (tools/make_npy_fixtures.py) load with the right values, our
 * writer is byte-identical to np.save, round trips, the memory-mapped path, bad input. */
#include "prle_test.h"

#include "io/fileio.h"

/* Reads a whole file; NULL (and a failed check) if it cannot. free() the result. */
/* A .npy image with the given version and header text (unpadded) followed by `data`. */
static size_t make_npy(unsigned char *buf, size_t cap, int major, const char *dict,
                       const void *data, size_t data_len)
{
    size_t dl = strlen(dict), ls = major == 1 ? 2 : 4, off = 8 + ls;
    if (off + dl + data_len > cap) {
        PT_FAIL_AT("make_npy: buffer too small");
        return 0;
    }
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < ls; i++)
        buf[8 + i] = (unsigned char)(dl >> (8 * i));
    memcpy(buf + off, dict, dl);
    if (data_len)
        memcpy(buf + off + dl, data, data_len);
    return off + dl + data_len;
}

static void check_f4_2d(const prle_matrix *m)
{
    PT_EQ_INT(m->rows, 3);
    PT_EQ_INT(m->cols, 4);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 4; j++)
            PT_CHECK(prle_matrix_row(m, i)[j] == (float)(i * 4 + j) - 5.5f);
}

static void test_npy__f4_2d(void)
{
    prle_matrix m = {0};
    PT_OK(prle_npy_load(&m, pt_data("npy/f4_2d.npy")));
    check_f4_2d(&m);
    PT_CHECK(!prle_matrix_is_mapped(&m)); /* small files are read */
    prle_matrix_dispose(&m);
}

static void test_npy__versions_2_and_3(void)
{
    const char *names[] = {"npy/v2_f4.npy", "npy/v3_f4.npy"};
    for (int i = 0; i < 2; i++) {
        prle_matrix m = {0};
        PT_OK(prle_npy_load(&m, pt_data(names[i])));
        check_f4_2d(&m);
        prle_matrix_dispose(&m);
    }
}

static void test_npy__f8_converted(void)
{
    prle_matrix m = {0};
    PT_OK(prle_npy_load(&m, pt_data("npy/f8_2d.npy")));
    PT_EQ_INT(m.rows, 2);
    PT_EQ_INT(m.cols, 3);
    for (size_t k = 0; k < 6; k++)
        PT_CHECK(m.data[k] == (float)k * 0.5f - 1.0f);
    prle_matrix_dispose(&m);
}

static void test_npy__1d_is_a_column(void)
{
    prle_matrix m = {0};
    PT_OK(prle_npy_load(&m, pt_data("npy/f4_1d.npy")));
    PT_EQ_INT(m.rows, 5);
    PT_EQ_INT(m.cols, 1);
    for (size_t k = 0; k < 5; k++)
        PT_CHECK(m.data[k] == 0.25f * (float)k);
    prle_matrix_dispose(&m);
}

static void test_npy__int_ids(void)
{
    prle_i64_array a = {0};
    PT_OK(prle_npy_load_i64(&a, pt_data("npy/i8_1d.npy")));
    PT_EQ_INT(a.rows, 4);
    PT_EQ_INT(a.cols, 1);
    if (a.data) {
        PT_EQ_INT(a.data[0], 0);
        PT_EQ_INT(a.data[1], 7);
        PT_EQ_INT(a.data[2], -3);
        PT_EQ_INT(a.data[3], 5000000000LL);
    }
    prle_i64_array_dispose(&a);
    PT_OK(prle_npy_load_i64(&a, pt_data("npy/i4_2d.npy")));
    PT_EQ_INT(a.rows, 2);
    PT_EQ_INT(a.cols, 2);
    if (a.data) {
        PT_EQ_INT(a.data[0], 1);
        PT_EQ_INT(a.data[1], -2);
        PT_EQ_INT(a.data[2], 2147483647LL);
        PT_EQ_INT(a.data[3], -2147483648LL);
    }
    prle_i64_array_dispose(&a);
    prle_i64_array_dispose(&a); /* twice: a zeroed array is left alone */
    prle_i64_array_dispose(NULL);
}

static void test_npy__kind_mismatch(void)
{
    prle_matrix m = {0};
    prle_i64_array a = {0};
    PT_FAILS(prle_npy_load(&m, pt_data("npy/i8_1d.npy")), PRLE_EFORMAT,
             "not a float type (<f4 or <f8 here)");
    PT_FAILS(prle_npy_load_i64(&a, pt_data("npy/f4_2d.npy")), PRLE_EFORMAT, "not an integer type");
    PT_CHECK(m.data == NULL && a.data == NULL);
}

static void test_npy__rejects_fortran_and_big_endian(void)
{
    prle_matrix m = {0};
    PT_FAILS(prle_npy_load(&m, pt_data("npy/fortran_f4.npy")), PRLE_EFORMAT, "fortran_f4.npy");
    PT_FAILS(prle_npy_load(&m, pt_data("npy/fortran_f4.npy")), PRLE_EFORMAT, "fortran-order");
    PT_FAILS(prle_npy_load(&m, pt_data("npy/bigendian_f4.npy")), PRLE_EFORMAT,
             "bigendian_f4.npy: big-endian dtype '>f4'");
    PT_CHECK(m.data == NULL);
}

/* np.save of the same float32 arrays, byte for byte: NumPy reads what we write. */
static void test_npy__save_matches_numpy(void)
{
    prle_matrix m = {0}, back = {0};
    PT_OK(prle_matrix_alloc(&m, 5, 3));
    for (size_t k = 0; k < 15; k++)
        m.data[k] = ((float)k - 5.0f) * 0.25f;
    PT_OK(prle_npy_load(&back, pt_data("npy/np_save_2d.npy")));
    PT_EQ_INT(back.rows, 5);
    PT_EQ_INT(back.cols, 3);
    PT_CHECK(back.data && memcmp(back.data, m.data, 15 * sizeof(float)) == 0);
    PT_OK(prle_npy_save(pt_tmp("ours_2d.npy"), &m));
    PT_CHECK(pt_files_equal(pt_tmp("ours_2d.npy"), pt_data("npy/np_save_2d.npy")));

    float v[7];
    for (size_t k = 0; k < 7; k++)
        v[k] = (float)k * 0.125f - 1.0f;
    PT_OK(prle_npy_save_vector(pt_tmp("ours_1d.npy"), v, 7));
    PT_CHECK(pt_files_equal(pt_tmp("ours_1d.npy"), pt_data("npy/np_save_1d.npy")));
    prle_matrix_dispose(&m);
    prle_matrix_dispose(&back);
}

static void test_npy__round_trip(void)
{
    const char *path = pt_tmp("round.npy");
    prle_matrix m = {0}, back = {0}, mem = {0};
    prle_rng rng;
    prle_rng_init(&rng, 7, "test_npy", 0);
    PT_OK(prle_matrix_alloc(&m, 7, 13));
    for (size_t k = 0; k < 7 * 13; k++)
        m.data[k] = (float)prle_rng_normal(&rng);
    PT_OK(prle_npy_save(path, &m));
    PT_OK(prle_npy_load(&back, path));
    PT_EQ_INT(back.rows, 7);
    PT_EQ_INT(back.cols, 13);
    PT_CHECK(back.data && memcmp(back.data, m.data, 7 * 13 * sizeof(float)) == 0);

    size_t len = 0;
    unsigned char *bytes = pt_slurp(path, &len);
    PT_EQ_INT(len % 4, 0);
    PT_CHECK(bytes && (bytes[8] | bytes[9] << 8) % 64 == 54); /* 10 + header = 64k */
    PT_OK(prle_npy_load_memory(&mem, bytes, len, "round"));
    PT_CHECK(mem.data && memcmp(mem.data, m.data, 7 * 13 * sizeof(float)) == 0);
    free(bytes);
    prle_matrix_dispose(&m);
    prle_matrix_dispose(&back);
    prle_matrix_dispose(&mem);

    /* empty arrays keep their shape */
    PT_OK(prle_matrix_alloc(&m, 0, 5));
    PT_OK(prle_npy_save(path, &m));
    PT_OK(prle_npy_load(&back, path));
    PT_EQ_INT(back.rows, 0);
    PT_EQ_INT(back.cols, 5);
    prle_matrix_dispose(&m);
    prle_matrix_dispose(&back);
    PT_OK(prle_npy_save_vector(path, NULL, 0));
    PT_OK(prle_npy_load(&back, path));
    PT_EQ_INT(back.rows, 0);
    PT_EQ_INT(back.cols, 1);
    prle_matrix_dispose(&back);
    remove(path);
}

/* A file of PRLE_NPY_MAP_MIN_BYTES of <f4 data is mapped, not copied. */
static void test_npy__large_file_is_mapped(void)
{
    const char *path = pt_tmp("large.npy");
    const size_t rows = 2048, cols = PRLE_NPY_MAP_MIN_BYTES / (2048 * sizeof(float));
    prle_matrix m = {0}, back = {0}, copy = {0};
    PT_OK(prle_matrix_alloc(&m, rows, cols));
    for (size_t k = 0; k < rows * cols; k++)
        m.data[k] = (float)(k % 10007) * 0.5f - (float)(k % 3);
    PT_OK(prle_npy_save(path, &m));
    PT_OK(prle_npy_load(&back, path));
    PT_CHECK(prle_matrix_is_mapped(&back));
    PT_EQ_INT(back.rows, rows);
    PT_EQ_INT(back.cols, cols);
    PT_EQ_INT((uintptr_t)back.data % sizeof(float), 0);
    PT_CHECK(back.data && memcmp(back.data, m.data, rows * cols * sizeof(float)) == 0);
    PT_OK(prle_matrix_copy(&copy, &back));
    PT_CHECK(!prle_matrix_is_mapped(&copy));
    PT_CHECK(copy.data && copy.data[rows * cols - 1] == m.data[rows * cols - 1]);
    prle_matrix_dispose(&back);
    PT_CHECK(back.data == NULL && back.map_base_ == NULL);

    /* one row fewer: below the threshold, read into memory */
    prle_matrix small = {.data = m.data, .rows = rows - 1, .cols = cols};
    PT_OK(prle_npy_save(path, &small));
    PT_OK(prle_npy_load(&back, path));
    PT_CHECK(!prle_matrix_is_mapped(&back));
    PT_CHECK(back.data && memcmp(back.data, m.data, (rows - 1) * cols * sizeof(float)) == 0);
    prle_matrix_dispose(&back);
    prle_matrix_dispose(&copy);
    prle_matrix_dispose(&m);
    remove(path);
}

static void expect_bad(const char *dict, int major, size_t data_len, const char *substr)
{
    unsigned char buf[512], zeros[64] = {0};
    prle_matrix m = {0};
    size_t n = make_npy(buf, sizeof buf, major, dict, zeros, data_len);
    PT_FAILS(prle_npy_load_memory(&m, buf, n, "bad.npy"), PRLE_EFORMAT, substr);
    PT_CHECK(m.data == NULL);
}

static void test_npy__bad_headers(void)
{
    const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    unsigned char buf[512], zeros[64] = {0};
    prle_matrix m = {0};
    size_t n = make_npy(buf, sizeof buf, 1, ok, zeros, 24);
    PT_OK(prle_npy_load_memory(&m, buf, n, NULL)); /* the control: key order, no padding */
    prle_matrix_dispose(&m);
    /* keys in any order, no trailing comma, version 2.0 */
    n = make_npy(buf, sizeof buf, 2, "{'shape': (2, 3), 'descr': '<f4', 'fortran_order': False}",
                 zeros, 24);
    PT_OK(prle_npy_load_memory(&m, buf, n, NULL));
    PT_EQ_INT(m.rows, 2);
    PT_EQ_INT(m.cols, 3);
    prle_matrix_dispose(&m);

    expect_bad(ok, 1, 20, "bad.npy: truncated .npy data");
    expect_bad(ok, 1, 28, "4 unexpected bytes");
    expect_bad("{'descr': '<f4', 'shape': (2, 3)}", 1, 24, "lacks 'fortran_order'");
    expect_bad("{'descr': '<f4', 'fortran_order': False}", 1, 24, "lacks 'shape'");
    expect_bad("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", 1, 24,
               "unexpected key 'x'");
    expect_bad("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", 1, 24,
               "repeats 'descr'");
    expect_bad("['descr', '<f4']", 1, 0, "not a dict");
    expect_bad("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } x", 1, 24,
               "unexpected text");
    expect_bad("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 1, 8,
               "structured");
    expect_bad("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 1, 16, "object dtype");
    expect_bad("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 1, 16,
               "dtype '<c8' is not supported (float arrays: <f4 or <f8; integer arrays");
    expect_bad("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 1, 8, "not a bool");
    expect_bad("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", 1, 24, "not a tuple");
    expect_bad("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", 1, 24,
               "3 dimensions");
    expect_bad("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 1, 4, "0 dimensions");
    expect_bad("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", 1, 24,
               "non-integer");
    expect_bad("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, "
               "4611686018427387904), }",
               1, 24, "too large");
    expect_bad("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", 3,
               24, "dimension is too large");
    expect_bad("{'descr': '<f\\4', 'fortran_order': False, 'shape': (6,), }", 1, 24,
               "not a plain dtype string");
}

static void test_npy__bad_prefix(void)
{
    unsigned char buf[512], zeros[24] = {0};
    prle_matrix m = {0};
    const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    size_t n = make_npy(buf, sizeof buf, 1, ok, zeros, sizeof zeros);

    PT_FAILS(prle_npy_load_memory(&m, NULL, 0, NULL), PRLE_EFORMAT, "<memory>: not a .npy");
    PT_FAILS(prle_npy_load_memory(&m, buf, 7, "x"), PRLE_EFORMAT, "truncated");
    PT_FAILS(prle_npy_load_memory(&m, buf, 9, "x"), PRLE_EFORMAT, "truncated");
    PT_FAILS(prle_npy_load_memory(&m, buf, 40, "x"), PRLE_EFORMAT, "header of 59 bytes");
    buf[5] = 'X';
    PT_FAILS(prle_npy_load_memory(&m, buf, n, "x"), PRLE_EFORMAT, "x: not a .npy file");
    buf[5] = 'Y';
    buf[6] = 4;
    PT_FAILS(prle_npy_load_memory(&m, buf, n, "x"), PRLE_EFORMAT, "version 4.0");
    buf[6] = 1;
    buf[7] = 1;
    PT_FAILS(prle_npy_load_memory(&m, buf, n, "x"), PRLE_EFORMAT, "version 1.1");
    buf[7] = 0;
    PT_OK(prle_npy_load_memory(&m, buf, n, "x"));
    prle_matrix_dispose(&m);

    /* version 2.0 with a 4 GiB header length */
    size_t n2 = make_npy(buf, sizeof buf, 2, ok, zeros, sizeof zeros);
    buf[11] = 0xff;
    PT_FAILS(prle_npy_load_memory(&m, buf, n2, "x"), PRLE_EFORMAT, "too large");
}

static void test_npy__bad_files(void)
{
    const char *path = pt_tmp("truncated.npy");
    prle_matrix m = {0};
    prle_i64_array a = {0};
    size_t len = 0;
    unsigned char *bytes = pt_slurp(pt_data("npy/f4_2d.npy"), &len);
    PT_CHECK(bytes && pt_write_file(path, (const char *)bytes, len - 1) == 0);
    PT_FAILS(prle_npy_load(&m, path), PRLE_EFORMAT, "truncated.npy: truncated .npy data");
    PT_CHECK(bytes && pt_write_file(path, (const char *)bytes, 70) == 0);
    PT_FAILS(prle_npy_load(&m, path), PRLE_EFORMAT, "truncated.npy: truncated .npy file");
    PT_CHECK(pt_write_file(path, "", 0) == 0);
    PT_FAILS(prle_npy_load(&m, path), PRLE_EFORMAT, "bad magic");
    PT_FAILS(prle_npy_load_i64(&a, path), PRLE_EFORMAT, "bad magic");
    PT_FAILS(prle_npy_load(&m, pt_tmp("no/such.npy")), PRLE_ENOTFOUND, "no/such.npy");
    PT_FAILS(prle_npy_load(&m, pt_tmp("")), PRLE_EINVAL, "is a folder, not a file");
    PT_FAILS(prle_npy_save(pt_tmp("no/such/dir/out.npy"), &m), PRLE_ENOTFOUND, "no/such/dir");
    PT_CHECK(m.data == NULL && a.data == NULL);
    free(bytes);
    remove(path);
}

int main(void)
{
    PT_RUN(test_npy__f4_2d);
    PT_RUN(test_npy__versions_2_and_3);
    PT_RUN(test_npy__f8_converted);
    PT_RUN(test_npy__1d_is_a_column);
    PT_RUN(test_npy__int_ids);
    PT_RUN(test_npy__kind_mismatch);
    PT_RUN(test_npy__rejects_fortran_and_big_endian);
    PT_RUN(test_npy__save_matches_numpy);
    PT_RUN(test_npy__round_trip);
    PT_RUN(test_npy__large_file_is_mapped);
    PT_RUN(test_npy__bad_headers);
    PT_RUN(test_npy__bad_prefix);
    PT_RUN(test_npy__bad_files);
    return pt_report();
}
