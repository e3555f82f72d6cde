/* LABELS: unit io */
#include <sys/stat.h>

#include "prle_test.h"

#include "io/fileio.h"

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void test_fileio__commit_renames(void)
{
    const char *path = pt_tmp("afile_ok.txt");
    remove(path);
    prle__afile f;
    PT_OK(prle__afile_open(&f, path));
    PT_CHECK(!exists(path)); /* nothing at the final name until commit */
    fputs("hello\n", f.fp);
    PT_OK(prle__afile_commit(&f));
    char *text = NULL;
    size_t len = 0;
    PT_OK(prle__read_file(&text, &len, path, 0));
    PT_EQ_STR(text, "hello\n");
    PT_EQ_INT(len, 6);
    free(text);
}

static void test_fileio__abort_leaves_old_file(void)
{
    const char *path = pt_tmp("afile_keep.txt");
    PT_CHECK(pt_write_file(path, "old", 3) == 0);
    prle__afile f;
    PT_OK(prle__afile_open(&f, path));
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", f.tmp);
    fputs("new but unfinished", f.fp);
    prle__afile_abort(&f);
    PT_CHECK(!exists(tmp));
    char *text = NULL;
    size_t len = 0;
    PT_OK(prle__read_file(&text, &len, path, 0));
    PT_EQ_STR(text, "old");
    free(text);
}

static void test_fileio__errors_name_path(void)
{
    char *text = NULL;
    size_t len = 0;
    PT_FAILS(prle__read_file(&text, &len, pt_tmp("no/such/file"), 0), PRLE_ENOTFOUND,
             "no/such/file");
    const char *path = pt_tmp("afile_big.txt");
    PT_CHECK(pt_write_file(path, "0123456789", 10) == 0);
    PT_FAILS(prle__read_file(&text, &len, path, 5), PRLE_EFORMAT, "afile_big.txt");
    prle__afile f;
    PT_FAILS(prle__afile_open(&f, pt_tmp("no/such/dir/out.txt")), PRLE_ENOTFOUND, "no/such/dir");
}

int main(void)
{
    PT_RUN(test_fileio__commit_renames);
    PT_RUN(test_fileio__abort_leaves_old_file);
    PT_RUN(test_fileio__errors_name_path);
    return pt_report();
}
