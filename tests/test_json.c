/* LABELS: unit io */
#include <sys/stat.h>
#include <unistd.h>

#include "prle_test.h"

#include "io/fileio.h"
#include "io/json.h"

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void test_json__fmt_double_round_trips(void)
{
    const double vals[] = {0.1,
                           1.0 / 3.0,
                           1e-300,
                           -0.0,
                           0.0,
                           0.1 + 0.2,
                           1e300,
                           -2.5e-8,
                           5e-324,
                           1.7976931348623157e308,
                           123456789012345678.0,
                           9007199254740992.0,
                           -9007199254740991.0,
                           2.0 / 3.0,
                           1e21,
                           100.0,
                           3.14159265358979311600};
    char buf[PRLE__JSON_NUMBUF];
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        size_t n = prle__json_fmt_double(buf, vals[i]);
        PT_EQ_INT(n, strlen(buf));
        double back = strtod(buf, NULL);
        if (!same_bits(back, vals[i]))
            PT_FAIL_AT("%.17g printed as %s reads back as %.17g", vals[i], buf, back);
    }
    prle__json_fmt_double(buf, 0.1);
    PT_EQ_STR(buf, "0.1"); /* shortest, not 0.10000000000000001 */
    prle__json_fmt_double(buf, 0.1 + 0.2);
    PT_EQ_STR(buf, "0.30000000000000004"); /* cJSON prints 0.3 here */
    prle__json_fmt_double(buf, -0.0);
    PT_EQ_STR(buf, "-0"); /* cJSON prints 0 */
    prle__json_fmt_double(buf, 9007199254740992.0);
    PT_EQ_STR(buf, "9007199254740992");
    prle__json_fmt_double(buf, NAN);
    PT_EQ_STR(buf, "null");
    prle__json_fmt_double(buf, -INFINITY);
    PT_EQ_STR(buf, "null");

    const float fv[] = {0.1f, 1.0f / 3.0f, 1e-38f, 1e-45f, -0.0f, 3.4028235e38f, 16777217.0f};
    for (size_t i = 0; i < sizeof fv / sizeof fv[0]; i++) {
        prle__json_fmt_float(buf, fv[i]);
        float back = strtof(buf, NULL);
        if (memcmp(&back, &fv[i], sizeof back) != 0)
            PT_FAIL_AT("float %.9g printed as %s reads back as %.9g", (double)fv[i], buf,
                       (double)back);
    }
    prle__json_fmt_float(buf, 0.1f);
    PT_EQ_STR(buf, "0.1");
    prle__json_fmt_float(buf, 1.0f / 3.0f);
    PT_EQ_STR(buf, "0.33333334");
}

/* Builds a tree, writes it atomically, reads it back and checks every value bit for bit. */
static void test_json__file_round_trip(void)
{
    const double vals[] = {0.1, 1.0 / 3.0, 1e-300, -0.0, 0.1 + 0.2, 1e300, 4503599627370497.0};
    const char *path = pt_tmp("round.json");
    cJSON *root = cJSON_CreateObject();
    PT_OK(prle__json_add_string(root, "name", "tab\there \"q\" \\ caf\xC3\xA9"));
    PT_OK(prle__json_add(root, "doubles",
                         prle__json_double_array(vals, sizeof vals / sizeof vals[0])));
    PT_OK(prle__json_add_number(root, "nan", NAN));
    PT_OK(prle__json_add_number(root, "inf", INFINITY));
    PT_OK(prle__json_add_float(root, "f", 0.1f));
    PT_OK(prle__json_add_float(root, "fnan", NAN));
    PT_OK(prle__json_add_int(root, "big", INT64_MAX));
    PT_OK(prle__json_add_int(root, "neg", -12345));
    PT_OK(prle__json_add_bool(root, "yes", true));
    cJSON *nested = cJSON_CreateObject();
    PT_OK(prle__json_add(root, "nested", nested));
    PT_OK(prle__json_add_number(nested, "z", 2.5));
    PT_OK(prle__json_add(root, "empty", cJSON_CreateArray()));
    PT_OK(prle__json_write_file(path, root));
    cJSON_Delete(root);

    char *text = NULL;
    size_t len = 0;
    PT_OK(prle__read_file(&text, &len, path, 0));
    if (text) {
        /* keys in insertion order, NaN/Inf as null, floats short, no trailing spaces */
        const char *order[] = {"\"name\"",
                               "\"doubles\"",
                               "\"nan\": null",
                               "\"inf\": null",
                               "\"f\": 0.1,",
                               "\"fnan\": null",
                               "\"big\": 9223372036854775807",
                               "\"neg\": -12345",
                               "\"yes\": true",
                               "\"nested\": {",
                               "\"empty\": []"};
        const char *at = text;
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
            const char *hit = strstr(at, order[i]);
            if (!hit)
                PT_FAIL_AT("\"%s\" missing or out of order in:\n%s", order[i], text);
            else
                at = hit;
        }
        PT_CHECK(strstr(text, "[0.1, 0.3333333333333333, 1e-300, -0,") != NULL);
        PT_CHECK(len > 0 && text[len - 1] == '\n');
        PT_CHECK(strstr(text, "tab\\there \\\"q\\\" \\\\ caf\xC3\xA9") != NULL);
        free(text);
    }

    cJSON *back = NULL;
    PT_OK(prle__json_read_file(&back, path));
    if (!back)
        return;
    const cJSON *arr = NULL;
    size_t n = 0;
    PT_OK(prle__json_get_array(&arr, &n, back, "doubles"));
    PT_EQ_INT(n, sizeof vals / sizeof vals[0]);
    size_t i = 0;
    for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next, i++) {
        double v = 0;
        PT_OK(prle__json_item_number(&v, c, "doubles[i]"));
        if (!same_bits(v, vals[i]))
            PT_FAIL_AT("doubles[%zu] = %.17g, wrote %.17g", i, v, vals[i]);
    }
    double d = 0;
    PT_OK(prle__json_get_number(&d, back, "nan"));
    PT_CHECK(isnan(d));
    PT_OK(prle__json_get_number(&d, back, "f"));
    PT_CHECK((float)d == 0.1f);
    int64_t big = 0;
    PT_OK(prle__json_get_int(&big, back, "neg"));
    PT_EQ_INT(big, -12345);
    const char *s = NULL;
    PT_OK(prle__json_get_string(&s, back, "name"));
    PT_EQ_STR(s, "tab\there \"q\" \\ caf\xC3\xA9");
    bool yes = false;
    PT_OK(prle__json_get_bool(&yes, back, "yes"));
    PT_CHECK(yes);
    const cJSON *obj = NULL;
    PT_OK(prle__json_get_object(&obj, back, "nested"));
    PT_OK(prle__json_get_number(&d, obj, "z"));
    PT_NEAR(d, 2.5, 0);
    cJSON_Delete(back);
}

static void test_json__raw_nodes_in_tree(void)
{
    /* raw float / int nodes read back as numbers through the getters, before any file */
    cJSON *root = cJSON_CreateObject();
    PT_OK(prle__json_add_float(root, "f", 0.25f));
    PT_OK(prle__json_add_int(root, "big", INT64_MIN));
    double d = 0;
    int64_t i = 0;
    PT_OK(prle__json_get_number(&d, root, "f"));
    PT_NEAR(d, 0.25, 0);
    PT_OK(prle__json_get_int(&i, root, "big"));
    PT_CHECK(i == INT64_MIN);
    char *text = NULL;
    PT_OK(prle__json_print(&text, NULL, root, false));
    PT_EQ_STR(text, "{\"f\":0.25,\"big\":-9223372036854775808}");
    free(text);
    cJSON_Delete(root);

    /* invalid UTF-8 and control bytes never reach the file raw */
    cJSON *str = cJSON_CreateString("a\xFF\x01\xED\xA0\x80z\xF0\x9F\x98\x80");
    PT_OK(prle__json_print(&text, NULL, str, true));
    PT_EQ_STR(text,
              "\"a\xEF\xBF\xBD\\u0001\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz\xF0\x9F\x98\x80\"");
    free(text);
    cJSON_Delete(str);
}

static void test_json__getter_errors(void)
{
    cJSON *root = NULL;
    const char *src = "{\"n\": \"3\", \"x\": 2.5, \"neg\": -1, \"a\": [1], \"o\": {}}";
    PT_OK(prle__json_parse(&root, src, strlen(src), "g.json"));
    if (!root)
        return;
    double d;
    int64_t i;
    size_t z;
    bool b;
    const char *s;
    const cJSON *o;
    size_t n;
    PT_FAILS(prle__json_get_number(&d, root, "missing"), PRLE_EFORMAT, "missing key \"missing\"");
    PT_FAILS(prle__json_get_number(&d, root, "n"), PRLE_EFORMAT,
             "key \"n\" is a string, expected a number");
    PT_FAILS(prle__json_get_int(&i, root, "x"), PRLE_EFORMAT,
             "key \"x\" is 2.5, expected an integer");
    PT_FAILS(prle__json_get_size(&z, root, "neg"), PRLE_EFORMAT, "non-negative");
    PT_FAILS(prle__json_get_bool(&b, root, "x"), PRLE_EFORMAT, "expected a boolean");
    PT_FAILS(prle__json_get_string(&s, root, "a"), PRLE_EFORMAT, "key \"a\" is an array");
    PT_FAILS(prle__json_get_object(&o, root, "a"), PRLE_EFORMAT, "expected an object");
    PT_FAILS(prle__json_get_array(&o, &n, root, "o"), PRLE_EFORMAT, "key \"o\" is an object");
    PT_FAILS(prle__json_get_number(&d, cJSON_GetObjectItem(root, "a"), "k"), PRLE_EFORMAT,
             "found an array");
    PT_CHECK(prle__json_has(root, "o"));
    PT_CHECK(!prle__json_has(root, "O"));
    cJSON_Delete(root);
}

static void test_json__parse_errors(void)
{
    cJSON *root = NULL;
    const char *bad = "{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}\n";
    PT_FAILS(prle__json_parse(&root, bad, strlen(bad), "bad.json"), PRLE_EFORMAT, "bad.json:3:");
    PT_FAILS(prle__json_parse(&root, bad, strlen(bad), "bad.json"), PRLE_EFORMAT, "at byte");
    const char *cut = "{\"a\": [1, 2";
    PT_FAILS(prle__json_parse(&root, cut, strlen(cut), "cut.json"), PRLE_EFORMAT,
             "cut.json:1:11: invalid JSON at byte 10 near '2'"); /* cJSON's position */
    const char *trail = "{}\n\n x";
    PT_FAILS(prle__json_parse(&root, trail, strlen(trail), "t.json"), PRLE_EFORMAT,
             "t.json:3:2: invalid JSON: trailing characters");
    PT_FAILS(prle__json_parse(&root, "", 0, "e.json"), PRLE_EFORMAT, "e.json:1:1");
    PT_CHECK(root == NULL);

    /* the same through a file, and a missing file */
    const char *path = pt_tmp("bad.json");
    PT_CHECK(pt_write_file(path, bad, strlen(bad)) == 0);
    PT_FAILS(prle__json_read_file(&root, path), PRLE_EFORMAT, "bad.json:3:");
    PT_FAILS(prle__json_read_file(&root, pt_tmp("nope.json")), PRLE_ENOTFOUND, "nope.json");
}

static void test_json__atomic_write(void)
{
    const char *path = pt_tmp("atomic.json");
    PT_CHECK(pt_write_file(path, "{\"old\": 1}\n", 11) == 0);
    cJSON *root = cJSON_CreateObject();
    PT_OK(prle__json_add_number(root, "new", 2));
    /* a folder that does not exist: error names it, the old file is untouched */
    PT_FAILS(prle__json_write_file(pt_tmp("no/dir/atomic.json"), root), PRLE_ENOTFOUND, "no/dir");
    /* as the caller wrote it, not its temporary name */
    PT_CHECK(!strstr(prle_last_error(), ".tmp.") && strstr(prle_last_error(), "atomic.json: "));
    PT_OK(prle__json_write_file(path, root));
    cJSON_Delete(root);
    char *text = NULL;
    size_t len = 0;
    PT_OK(prle__read_file(&text, &len, path, 0));
    PT_EQ_STR(text, "{\n  \"new\": 2\n}\n");
    free(text);
    /* no temporary file is left behind */
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    struct stat st;
    PT_CHECK(stat(tmp, &st) != 0);
}

int main(void)
{
    PT_RUN(test_json__fmt_double_round_trips);
    PT_RUN(test_json__file_round_trip);
    PT_RUN(test_json__raw_nodes_in_tree);
    PT_RUN(test_json__getter_errors);
    PT_RUN(test_json__parse_errors);
    PT_RUN(test_json__atomic_write);
    return pt_report();
}
