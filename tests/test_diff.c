/*
** test_diff.c: fx_diff(): identity (pk, natural key, --key), layouts and
** orders that do not matter, field changes, many-to-many members, ignored
** fields, model selection, and the order of the changes.  Each change is
** printed to one line, as fxdiff's text output does, and compared.
*/
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static char dir[64];
static fx_schema *schema;

static const char schema_json[] =
    "{\"fx_schema\": 1, \"models\": {"
    " \"shop.prod\": {\"fields\": {\"name\": {\"kind\": \"char\", \"max_length\": 20},"
    "   \"price\": {\"kind\": \"char\", \"max_length\": 20},"
    "   \"tags\": {\"kind\": \"m2m\", \"to\": \"shop.tag\"}}},"
    " \"shop.tag\": {\"fields\": {\"code\": {\"kind\": \"char\", \"max_length\": 10,"
    "   \"unique\": true}}, \"natural_key\": [\"code\"]}"
    "}}";

static int setup(void **state)
{
    fx_error err;
    (void)state;
    strcpy(dir, "/tmp/fxdiff-test-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return fx_schema_parse(&schema, schema_json, strlen(schema_json), "test", &err) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    fx_schema_free(schema);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *put(const char *name, const char *text)
{
    static char p[2][128];
    static int k;
    char *s = p[k++ % 2];
    snprintf(s, 128, "%s/%s", dir, name);
    FILE *f = fopen(s, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return s;
}

static void add_value(char *out, size_t n, fx_value v)
{
    size_t len = strlen(out);
    snprintf(out + len, n - len, "%.*s", v.text ? (int)v.len : 1, v.text ? v.text : "-");
}

static int on_change(void *ctx, const fx_change *c)
{
    char *out = ctx;
    size_t n = 4096;
    snprintf(out + strlen(out), n - strlen(out), "%c %s %s", " +-~"[c->op], c->label, c->key);
    for (size_t i = 0; i < c->nfields; i++) {
        const fx_field_change *f = &c->fields[i];
        snprintf(out + strlen(out), n - strlen(out), " %s:", f->name);
        if (f->m2m) {
            for (size_t k = 0; k < f->nadded; k++) {
                strcat(out, "+");
                add_value(out, n, f->added[k]);
            }
            for (size_t k = 0; k < f->nremoved; k++) {
                strcat(out, "-");
                add_value(out, n, f->removed[k]);
            }
        } else {
            add_value(out, n, f->old);
            strcat(out, "->");
            add_value(out, n, f->new_);
        }
    }
    strcat(out, "\n");
    return 0;
}

static char out[4096];

static int diff(const char *a, const char *b, const fx_diff_opts *o)
{
    fx_error err;
    out[0] = '\0';
    const char *pa = put("a", a), *pb = put("b", b);
    int rc = fx_diff(pa, pb, o, on_change, out, &err);
    if (rc < 0)
        fprintf(stderr, "fx_diff: %s\n", err.msg);
    return rc;
}

#define REC(m, pk, f) "{\"model\": \"" m "\",\"pk\": " #pk ",\"fields\": {" f "}}\n"

static void test_layouts_and_order(void **state)
{
    (void)state;
    const char *jsonl = REC("shop.prod", 1, "\"name\": \"\\u00e9\",\"price\": \"1.00\"")
                        REC("shop.prod", 2, "\"name\": \"b\",\"price\": \"2.00\"");
    const char *indented = "[\n{\n  \"model\": \"shop.prod\",\n  \"pk\": 2,\n  \"fields\": {\n"
                           "    \"price\": \"2.00\",\n    \"name\": \"b\"\n  }\n},\n"
                           "{\n  \"model\": \"shop.prod\",\n  \"pk\": 1,\n  \"fields\": {\n"
                           "    \"name\": \"\xc3\xa9\",\n    \"price\": \"1.00\"\n  }\n}\n]\n";
    const char *compact = "[{\"model\": \"shop.prod\", \"pk\": \"1\", \"fields\": {\"name\": "
                          "\"\xc3\xa9\", \"price\": \"1.00\"}}, {\"model\": \"Shop.Prod\", "
                          "\"pk\": 2, \"fields\": {\"name\": \"b\", \"price\": \"2.00\"}}]";
    assert_int_equal(diff(jsonl, indented, NULL), 0);
    assert_int_equal(diff(indented, compact, NULL), 0);
    assert_string_equal(out, "");
}

static void test_changes(void **state)
{
    (void)state;
    const char *a = REC("shop.prod", 1, "\"name\": \"a\",\"price\": \"5355.64\"")
                    REC("shop.prod", 2, "\"name\": \"b\",\"price\": \"2.00\"")
                    REC("shop.tag", 1, "\"code\": \"x\"");
    const char *b = REC("shop.tag", 1, "\"code\": \"x\"")
                    REC("shop.prod", 3, "\"name\": \"c\",\"price\": \"3.00\"")
                    REC("shop.prod", 1, "\"name\": \"a\",\"price\": \"100.00\",\"new\": 1");
    assert_int_equal(diff(a, b, NULL), 3);
    assert_string_equal(out, "~ shop.prod 1 price:\"5355.64\"->\"100.00\" new:-->1\n"
                             "- shop.prod 2\n"
                             "+ shop.prod 3\n");
}

static void test_m2m(void **state)
{
    fx_diff_opts o;
    (void)state;
    memset(&o, 0, sizeof o);
    o.schema = schema;
    const char *a = REC("shop.prod", 1, "\"tags\": [1,2,3]");
    const char *b = REC("shop.prod", 1, "\"tags\": [3,4,1]");
    assert_int_equal(diff(a, b, &o), 1);
    assert_string_equal(out, "~ shop.prod 1 tags:+4-2\n");
    assert_int_equal(diff(a, REC("shop.prod", 1, "\"tags\": [3,2,1]"), &o), 0);
}

static void test_ignore_and_models(void **state)
{
    fx_diff_opts o;
    fx_models *m;
    fx_error err;
    const char *globs[] = {"*.price"};
    (void)state;
    memset(&o, 0, sizeof o);
    const char *a = REC("shop.prod", 1, "\"name\": \"a\",\"price\": \"1\"") REC("shop.tag", 1, "\"code\": \"x\"");
    const char *b = REC("shop.prod", 1, "\"name\": \"a\",\"price\": \"2\"") REC("shop.tag", 1, "\"code\": \"y\"");
    o.ignore = globs;
    o.nignore = 1;
    assert_int_equal(diff(a, b, &o), 1);
    assert_string_equal(out, "~ shop.tag 1 code:\"x\"->\"y\"\n");
    assert_int_equal(fx_models_new(&m), 0);
    assert_int_equal(fx_models_add(m, "shop.tag", 1, &err), 0);
    o.models = m;
    assert_int_equal(diff(a, b, &o), 0);
    fx_models_free(m);
}

static void test_natural_and_keyspec(void **state)
{
    fx_diff_opts o;
    fx_keyspec *k;
    fx_error err;
    (void)state;
    memset(&o, 0, sizeof o);
    o.schema = schema;
    const char *a = "{\"model\": \"shop.tag\",\"fields\": {\"code\": \"x\",\"n\": 1}}\n";
    const char *b = "{\"model\": \"shop.tag\",\"fields\": {\"code\": \"x\",\"n\": 2}}\n";
    assert_int_equal(diff(a, b, &o), 1);
    assert_string_equal(out, "~ shop.tag [\"x\"] n:1->2\n");
    /* Different pks, same business key: matched, pk not compared. */
    assert_int_equal(fx_keyspec_new(&k), 0);
    assert_int_equal(fx_keyspec_add(k, "shop.prod=name", &err), 0);
    o.keys = k;
    assert_int_equal(diff(REC("shop.prod", 1, "\"name\": \"a\",\"price\": \"1\""),
                          REC("shop.prod", 7, "\"name\": \"a\",\"price\": \"2\""), &o), 1);
    assert_string_equal(out, "~ shop.prod [\"a\"] price:\"1\"->\"2\"\n");
    fx_keyspec_free(k);
}

static void test_duplicates_last_wins(void **state)
{
    (void)state;
    const char *a = REC("shop.prod", 1, "\"name\": \"old\"") REC("shop.prod", 1, "\"name\": \"a\"");
    assert_int_equal(diff(a, REC("shop.prod", 1, "\"name\": \"a\""), NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts_and_order),
        cmocka_unit_test(test_changes),
        cmocka_unit_test(test_m2m),
        cmocka_unit_test(test_ignore_and_models),
        cmocka_unit_test(test_natural_and_keyspec),
        cmocka_unit_test(test_duplicates_last_wins),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
