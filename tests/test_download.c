/* LABELS: unit io */
/* Downloads against a real HTTP server started on 127.0.0.1 inside the test (one thread,
 * HTTP/1.0), serving a Stsbenchmark.tar.gz built here with libarchive from the shared STS-B
 * files: the generic URL-to-file path and the stsb preset's fetch, with 404, 403, 503,
 * truncated, corrupt and wrong-sha256 answers, none of which may leave a file behind or name
 * a temporary file in its message. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "prle_test.h"

#include "data/download.h"

/* ---- the server ------------------------------------------------------------------------- */

typedef enum route_kind { ROUTE_OK, ROUTE_STATUS, ROUTE_TRUNCATED } route_kind;

typedef struct route {
    const char *path;
    route_kind kind;
    const char *body;
    size_t len;
    int status; /* ROUTE_STATUS: the HTTP error it answers */
} route;

static struct server {
    int fd, port;
    pthread_t thread;
    atomic_int stop, hits;
    route routes[8];
    size_t n_routes;
} srv;

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the client went away (e.g. an aborted download) */
        p += w, n -= (size_t)w;
    }
}

static void serve_one(int c)
{
    char req[8192];
    size_t used = 0;
    while (used < sizeof req - 1) {
        ssize_t r = recv(c, req + used, sizeof req - 1 - used, 0);
        if (r <= 0)
            break;
        used += (size_t)r;
        req[used] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[used] = '\0';
    char path[512] = "";
    if (sscanf(req, "GET %511s HTTP/1.", path) != 1)
        return;
    atomic_fetch_add(&srv.hits, 1);
    const route *rt = NULL;
    for (size_t i = 0; i < srv.n_routes; i++)
        if (strcmp(srv.routes[i].path, path) == 0)
            rt = &srv.routes[i];
    char head[256];
    if (!rt || rt->kind == ROUTE_STATUS) {
        const char *msg = "an error page\n";
        int n = snprintf(head, sizeof head,
                         "HTTP/1.0 %d Error\r\nContent-Type: text/plain\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         rt ? rt->status : 404, strlen(msg));
        send_all(c, head, (size_t)n);
        send_all(c, msg, strlen(msg));
        return;
    }
    int n = snprintf(head, sizeof head,
                     "HTTP/1.0 200 OK\r\nContent-Type: application/gzip\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     rt->len);
    send_all(c, head, (size_t)n);
    send_all(c, rt->body, rt->kind == ROUTE_TRUNCATED ? rt->len / 2 : rt->len);
}

static void *server_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&srv.stop)) {
        struct pollfd pfd = {srv.fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_one(c);
        close(c);
    }
    return NULL;
}

static int server_start(void)
{
    struct sockaddr_in addr = {0};
    socklen_t alen = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0; /* any free port */
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(srv.fd, 8) != 0 || getsockname(srv.fd, (struct sockaddr *)&addr, &alen) != 0)
        return -1;
    srv.port = ntohs(addr.sin_port);
    atomic_store(&srv.stop, 0);
    return pthread_create(&srv.thread, NULL, server_main, NULL) == 0 ? 0 : -1;
}

static void server_stop(void)
{
    atomic_store(&srv.stop, 1);
    pthread_join(srv.thread, NULL);
    close(srv.fd);
}

static const char *url(const char *path)
{
    static char buf[4][256];
    static int slot;
    char *b = buf[slot++ & 3];
    snprintf(b, 256, "http://127.0.0.1:%d%s", srv.port, path);
    return b;
}

/* ---- fixtures --------------------------------------------------------------------------- */

static const char *const names[3] = {"sts-train.csv", "sts-dev.csv", "sts-test.csv"};
static const char *const file_sha[3] = {
    "0f71910b59aa1ad973c5897f0791f3b0965a92b8f82b1a95f3eea9f4162fda82",
    "5d7e944d8b02734b07bfdb5df67db3420c64bed153fcaa1ba47ad03480cf4234",
    "affe45928a66ee5a708531233c95b7dacbbdc57f974f002a3d32ea0180cf816a"};
/* rows_sha256 of the three splits (tools/ref/dataset_ref.py) */
static const char *const rows_sha[3] = {
    "f81e43d147be31702ba218886aa66d824ce260840e6f7f97f7d531104bcaa355",
    "39d724e6cbd2a83bde8a7def23b939b6a8f2c454d271e3c19cc41a91ec638adf",
    "af1557b7a6977b189697eb9ce50cfd4f6b5aaefd2e3a5088a9f3755d96cd062b"};

/* Stsbenchmark.tar.gz as upstream lays it out (stsbenchmark/...), built from the shared
 * files; `corrupt` flips one byte of sts-dev.csv. NULL when the shared files are absent. */
static char *make_archive(size_t *len, bool corrupt)
{
    const char *dir = getenv("PRLE_SHARED_DATA");
    size_t cap = 8u << 20, used = 0;
    char *buf = malloc(cap);
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    if (archive_write_open_memory(a, buf, cap, &used) != ARCHIVE_OK)
        goto fail;
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "stsbenchmark/");
    archive_entry_set_filetype(e, AE_IFDIR);
    archive_entry_set_perm(e, 0755);
    archive_write_header(a, e);
    archive_entry_free(e);
    const char *files[5] = {"sts-train.csv", "sts-dev.csv", "sts-test.csv", "readme.txt",
                            "LICENSE.txt"};
    for (int i = 0; i < 5; i++) {
        char path[1024], name[64];
        snprintf(path, sizeof path, "%s/stsb/%s", dir && *dir ? dir : "../shared/data", files[i]);
        FILE *fp = fopen(path, "rb");
        if (!fp)
            goto fail;
        static char data[1 << 21];
        size_t n = fread(data, 1, sizeof data, fp);
        fclose(fp);
        if (corrupt && i == 1)
            data[100] ^= 1;
        snprintf(name, sizeof name, "stsbenchmark/%s", files[i]);
        e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)n);
        archive_write_header(a, e);
        archive_write_data(a, data, n);
        archive_entry_free(e);
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        goto fail;
    archive_write_free(a);
    *len = used;
    return buf;
fail:
    archive_write_free(a);
    free(buf);
    return NULL;
}

/* Removes a folder tree of plain files (two levels are enough here). */
static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        remove(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char sub[2048];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(sub);
        else
            remove(sub);
    }
    closedir(d);
    rmdir(path);
}

/* Files in `path` (0 if it does not exist). */
static int n_entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

static char *archive_ok, *archive_bad;
static size_t archive_ok_len, archive_bad_len;

/* ---- the generic download --------------------------------------------------------------- */

static bool stop_at_once(const prle_progress *p, void *ud)
{
    (void)p;
    (*(int *)ud)++;
    return false;
}

static void test_download__url_to_file(void)
{
    const char *dir = pt_tmp("dl-generic");
    rm_tree(dir);
    PT_OK(prle__mkdir_p(dir));
    char path[1100], sha[65];
    snprintf(path, sizeof path, "%s/a.tar.gz", dir);
    PT_OK(prle__sha256_hex(sha, archive_ok, archive_ok_len));

    PT_OK(prle__download(url("/Stsbenchmark.tar.gz"), path, sha, NULL));
    char got[65];
    uint64_t size = 0;
    PT_OK(prle__sha256_file(got, &size, path));
    PT_EQ_STR(got, sha);
    PT_EQ_INT(size, archive_ok_len);
    remove(path);

    /* HTTP errors: a wrong URL (4xx) is the user's to fix, a server's failure (5xx) is not */
    char want[1200];
    struct {
        const char *path;
        int code;
    } http[] = {{"/missing.tar.gz", PRLE_ENOTFOUND},
                {"/forbidden.tar.gz", PRLE_EINVAL},
                {"/busy.tar.gz", PRLE_EIO}};
    for (size_t i = 0; i < sizeof http / sizeof http[0]; i++) {
        const char *u = url(http[i].path);
        snprintf(want, sizeof want, "download %s: HTTP %d", u,
                 http[i].code == PRLE_ENOTFOUND ? 404
                 : http[i].code == PRLE_EINVAL  ? 403
                                                : 503);
        PT_FAILS(prle__download(u, path, NULL, NULL), http[i].code, want);
        PT_EQ_STR(prle_last_error(), want);
        PT_EQ_INT(n_entries(dir), 0);
    }

    PT_FAILS(prle__download(url("/truncated.tar.gz"), path, NULL, NULL), PRLE_EIO,
             "the body ended early");
    PT_EQ_INT(n_entries(dir), 0);

    char zero[65];
    memset(zero, '0', 64);
    zero[64] = '\0';
    snprintf(want, sizeof want, "download %s: sha256 %s does not match the expected %s",
             url("/Stsbenchmark.tar.gz"), sha, zero);
    PT_FAILS(prle__download(url("/Stsbenchmark.tar.gz"), path, zero, NULL), PRLE_EFORMAT, want);
    PT_EQ_INT(n_entries(dir), 0);

    int calls = 0;
    prle__download_opts opts = {"download:test", stop_at_once, &calls, 0, 0, NULL};
    PT_FAILS(prle__download(url("/Stsbenchmark.tar.gz"), path, NULL, &opts), PRLE_EABORTED,
             "stopped by the progress callback");
    PT_CHECK(calls >= 1);
    PT_EQ_INT(n_entries(dir), 0);

    /* nothing listening: port 1 on loopback refuses */
    PT_FAILS(prle__download("http://127.0.0.1:1/x", path, NULL, NULL), PRLE_EIO,
             "download http://127.0.0.1:1/x: ");
    PT_FAILS(prle__download("file:///etc/passwd", path, NULL, NULL), PRLE_EIO, NULL);
    PT_FAILS(prle__download(url("/x"), path, "ABC", NULL), PRLE_EINVAL, "is not a lower-case");
    PT_EQ_INT(n_entries(dir), 0);

    /* a failed write names the output (opts.name for a caller's temporary), not "(null)" or
     * a temporary name gone by now: /dev/full is written in place and always full */
    snprintf(want, sizeof want, "download %s: /dev/full: write failed: %s",
             url("/Stsbenchmark.tar.gz"), strerror(ENOSPC));
    PT_FAILS(prle__download(url("/Stsbenchmark.tar.gz"), "/dev/full", NULL, NULL), PRLE_EIO, want);
    PT_EQ_STR(prle_last_error(), want);
    prle__download_opts named = {NULL, NULL, NULL, 0, 0, "the-data-folder"};
    snprintf(want, sizeof want,
             "download %s: the-data-folder: write failed: ", url("/Stsbenchmark.tar.gz"));
    PT_FAILS(prle__download(url("/Stsbenchmark.tar.gz"), "/dev/full", NULL, &named), PRLE_EIO,
             want);
    char nodir[1200];
    snprintf(nodir, sizeof nodir, "%s/no-such-folder/a.part.1", dir);
    snprintf(want, sizeof want, "the-data-folder: %s", strerror(ENOENT));
    PT_FAILS(prle__download(url("/Stsbenchmark.tar.gz"), nodir, NULL, &named), PRLE_ENOTFOUND,
             want);
    PT_EQ_STR(prle_last_error(), want);
    PT_EQ_INT(n_entries(dir), 0);

    /* archives: a missing member, a body that is not an archive */
    PT_OK(prle__download(url("/Stsbenchmark.tar.gz"), path, NULL, NULL));
    char dest[1100];
    snprintf(dest, sizeof dest, "%s/out.csv", dir);
    prle__archive_member m = {"stsbenchmark/nothere.csv", dest, NULL, false};
    PT_FAILS(prle__archive_extract(path, NULL, &m, 1, 0), PRLE_EFORMAT,
             "member stsbenchmark/nothere.csv is missing");
    snprintf(want, sizeof want, "the download: member stsbenchmark/nothere.csv is missing");
    PT_FAILS(prle__archive_extract(path, "the download", &m, 1, 0), PRLE_EFORMAT, want);
    PT_EQ_STR(prle_last_error(), want);
    m.optional = true;
    PT_OK(prle__archive_extract(path, NULL, &m, 1, 0));
    m = (prle__archive_member){"stsbenchmark/sts-dev.csv", dest, file_sha[1], false};
    PT_FAILS(prle__archive_extract(path, NULL, &m, 1, 1000), PRLE_EFORMAT,
             "larger than 1000 bytes");
    PT_OK(prle__archive_extract(path, NULL, &m, 1, 0));
    PT_OK(prle__sha256_file(got, NULL, dest));
    PT_EQ_STR(got, file_sha[1]);
    PT_OK(prle__download(url("/garbage.tar.gz"), path, NULL, NULL));
    PT_FAILS(prle__archive_extract(path, NULL, &m, 1, 0), PRLE_EFORMAT, "a.tar.gz: ");
    rm_tree(dir);
}

/* ---- the stsb preset -------------------------------------------------------------------- */

typedef struct progress_log {
    int calls;
    size_t last_total, last_done;
} progress_log;

static bool log_progress(const prle_progress *p, void *ud)
{
    progress_log *l = ud;
    l->calls++;
    if (strcmp(p->stage, "download:stsb") == 0 && p->total)
        l->last_total = p->total, l->last_done = p->done;
    return true;
}

/* The stsb preset with data.data_dir `data_dir` (NULL: a folder that does not exist). */
static int load_stsb_in(prle_dataset **ds, const char *data_dir, const char *dl_dir, const char *u,
                        progress_log *log)
{
    prle_config cfg;
    char yaml[1200];
    snprintf(yaml, sizeof yaml, "data: {name: stsb, data_dir: \"%s\"}\n",
             data_dir ? data_dir : "/nonexistent/prle-data");
    int err = prle_config_load_string(&cfg, yaml, strlen(yaml), "t.yaml", "/");
    if (err < 0)
        return err;
    prle_dataset_params p = prle_dataset_default_params();
    p.download_dir = dl_dir;
    p.stsb_url = u;
    p.progress = log ? log_progress : NULL;
    p.progress_ud = log;
    err = prle_dataset_load(ds, &cfg.data, cfg.train.seed, &p);
    prle_config_dispose(&cfg);
    return err;
}

static int load_stsb(prle_dataset **ds, const char *dl_dir, const char *u, progress_log *log)
{
    return load_stsb_in(ds, NULL, dl_dir, u, log);
}

static void check_stsb(const prle_dataset *ds)
{
    static const size_t n[3] = {5749, 1500, 1379};
    for (int s = 0; s < 3; s++) {
        const prle_dataset_split_info *in = prle_dataset_info(ds, (prle_split)s);
        PT_EQ_INT(prle_dataset_n_rows(ds, (prle_split)s), n[s]);
        PT_EQ_STR(in->sha256, file_sha[s]);
        PT_EQ_STR(in->rows_sha256, rows_sha[s]);
    }
}

/* pt_tmp(name), made empty: a download folder, its stsb/ into `sub`. */
static const char *fresh_download_dir(char sub[1100], const char *name)
{
    const char *dl = pt_tmp(name);
    snprintf(sub, 1100, "%s/stsb", dl);
    rm_tree(sub);
    rm_tree(dl);
    return dl;
}

static void test_download__stsb_preset_fetches_once(void)
{
    char sub[1100], path[1200];
    const char *dl = fresh_download_dir(sub, "dl-stsb");
    prle_dataset *ds = NULL;
    progress_log log = {0};
    int before = atomic_load(&srv.hits);
    PT_OK(load_stsb(&ds, dl, url("/Stsbenchmark.tar.gz"), &log));
    PT_EQ_INT(atomic_load(&srv.hits) - before, 1);
    PT_CHECK(log.calls > 0);
    PT_EQ_INT(log.last_total, archive_ok_len);
    PT_EQ_INT(log.last_done, archive_ok_len);
    if (ds) {
        check_stsb(ds);
        PT_CHECK(strncmp(prle_dataset_info(ds, PRLE_SPLIT_TRAIN)->path, sub, strlen(sub)) == 0);
        prle_dataset_free(ds);
        ds = NULL;
    }
    /* the three CSVs, the readme and the licence; no archive left */
    PT_EQ_INT(n_entries(sub), 5);
    for (int s = 0; s < 3; s++) {
        char got[65];
        snprintf(path, sizeof path, "%s/%s", sub, names[s]);
        PT_OK(prle__sha256_file(got, NULL, path));
        PT_EQ_STR(got, file_sha[s]);
    }

    /* a second load uses the checked files: no request */
    before = atomic_load(&srv.hits);
    PT_OK(load_stsb(&ds, dl, url("/Stsbenchmark.tar.gz"), NULL));
    PT_EQ_INT(atomic_load(&srv.hits) - before, 0);
    prle_dataset_free(ds);
    ds = NULL;

    /* a damaged cached file is fetched again, here through PRLE_STSB_URL */
    snprintf(path, sizeof path, "%s/%s", sub, names[2]);
    pt_write_file(path, "damaged\n", 8);
    setenv("PRLE_STSB_URL", url("/Stsbenchmark.tar.gz"), 1);
    before = atomic_load(&srv.hits);
    PT_OK(load_stsb(&ds, dl, NULL, NULL));
    unsetenv("PRLE_STSB_URL");
    PT_EQ_INT(atomic_load(&srv.hits) - before, 1);
    if (ds)
        check_stsb(ds);
    prle_dataset_free(ds);
    rm_tree(sub);
    rm_tree(dl);
}

/* With no data.data_dir the data folder is the download folder itself: its files are still
 * checked, and a deleted one is fetched again instead of an error (or an edited one read) */
static void test_download__stsb_in_the_download_folder(void)
{
    char sub[1100], path[1200];
    const char *dl = fresh_download_dir(sub, "dl-stsb-same");
    prle_dataset *ds = NULL;
    PT_OK(load_stsb_in(&ds, dl, dl, url("/Stsbenchmark.tar.gz"), NULL));
    prle_dataset_free(ds);
    ds = NULL;
    snprintf(path, sizeof path, "%s/%s", sub, names[1]);
    PT_CHECK(remove(path) == 0);
    int before = atomic_load(&srv.hits);
    PT_OK(load_stsb_in(&ds, dl, dl, url("/Stsbenchmark.tar.gz"), NULL));
    PT_EQ_INT(atomic_load(&srv.hits) - before, 1);
    if (ds)
        check_stsb(ds);
    prle_dataset_free(ds);
    rm_tree(sub);
    rm_tree(dl);
}

static void test_download__stsb_failures_leave_nothing(void)
{
    const char *dl = pt_tmp("dl-stsb-bad");
    char sub[1100], want[1200];
    snprintf(sub, sizeof sub, "%s/stsb", dl);
    struct {
        const char *path;
        int code;
        const char *fmt; /* %s = the URL, then %%s = the stsb folder */
    } cases[] = {
        {"/missing.tar.gz", PRLE_ENOTFOUND,
         "download %s: HTTP 404 (no STS-B archive there: set PRLE_STSB_URL to a copy of it, or "
         "data.data_dir to a folder holding stsb/)"},
        {"/forbidden.tar.gz", PRLE_EINVAL, "download %s: HTTP 403 (no STS-B archive there: "},
        {"/busy.tar.gz", PRLE_EIO, "download %s: HTTP 503"},
        {"/truncated.tar.gz", PRLE_EIO, "download %s: the body ended early"},
        {"/bad-sha.tar.gz", PRLE_EFORMAT,
         "stsb download into %%s: %s: member stsbenchmark/sts-dev.csv has sha256 "},
        {"/garbage.tar.gz", PRLE_EFORMAT, "stsb download into %%s: %s: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rm_tree(sub);
        rm_tree(dl);
        char fmt2[800];
        snprintf(fmt2, sizeof fmt2, cases[i].fmt, url(cases[i].path));
        snprintf(want, sizeof want, fmt2, sub);
        prle_dataset *ds = NULL;
        PT_FAILS(load_stsb(&ds, dl, url(cases[i].path), NULL), cases[i].code, want);
        PT_CHECK(strncmp(prle_last_error(), want, strlen(want)) == 0);
        PT_CHECK(ds == NULL);
        PT_CHECK(strchr(prle_last_error(), '\n') == NULL);
        /* the archive's temporary name is gone: no message names it */
        PT_CHECK(strstr(prle_last_error(), ".part.") == NULL);
        PT_CHECK(strstr(prle_last_error(), ".tmp.") == NULL);
        PT_EQ_INT(n_entries(sub), 0);
    }
    rm_tree(sub);
    rm_tree(dl);
}

int main(void)
{
    unsetenv("PRLE_DATA_DIR");
    unsetenv("PRLE_STSB_URL");
    setenv("no_proxy", "127.0.0.1", 1); /* a proxy in the environment must not see these */
    setenv("NO_PROXY", "127.0.0.1", 1);
    pt_current = "main";
    if (!pt_shared("stsb/sts-train.csv")) /* the archive is built from the shared files */
        return PT_SKIP_CODE;
    archive_ok = make_archive(&archive_ok_len, false);
    archive_bad = make_archive(&archive_bad_len, true);
    if (!archive_ok || !archive_bad) {
        PT_FAIL_AT("cannot build the STS-B archive from the shared files");
        return 1;
    }
    static const char garbage[] = "this is not an archive, just some text\n";
    srv.routes[0] = (route){"/Stsbenchmark.tar.gz", ROUTE_OK, archive_ok, archive_ok_len, 0};
    srv.routes[1] = (route){"/missing.tar.gz", ROUTE_STATUS, NULL, 0, 404};
    srv.routes[2] = (route){"/truncated.tar.gz", ROUTE_TRUNCATED, archive_ok, archive_ok_len, 0};
    srv.routes[3] = (route){"/bad-sha.tar.gz", ROUTE_OK, archive_bad, archive_bad_len, 0};
    srv.routes[4] = (route){"/garbage.tar.gz", ROUTE_OK, garbage, sizeof garbage - 1, 0};
    srv.routes[5] = (route){"/forbidden.tar.gz", ROUTE_STATUS, NULL, 0, 403};
    srv.routes[6] = (route){"/busy.tar.gz", ROUTE_STATUS, NULL, 0, 503};
    srv.n_routes = 7;
    if (server_start() != 0) {
        printf("cannot start the test server: %s\n", strerror(errno));
        return 1;
    }
    PT_RUN(test_download__url_to_file);
    PT_RUN(test_download__stsb_preset_fetches_once);
    PT_RUN(test_download__stsb_in_the_download_folder);
    PT_RUN(test_download__stsb_failures_leave_nothing);
    server_stop();
    free(archive_ok);
    free(archive_bad);
    return pt_report();
}
