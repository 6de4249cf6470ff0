/*
** test_value.c: fx_value_str, fx_value_str_eq, fx_iter, fx_value_equal and
** fx_value_canon on literal JSON texts.
*/
#include "coretest.h"

/* Decode a JSON string literal; returns the buffer (caller frees). */
static fx_buf dec(const char *json)
{
    fx_buf b = FX_BUF_INIT;
    assert_int_equal(fx_value_str(&b, ct_v(json)), 0);
    assert_non_null(b.data);
    assert_int_equal(b.data[b.len], '\0');
    return b;
}

#define assert_dec(json, bytes) do { \
        fx_buf b_ = dec(json); \
        size_t n_ = sizeof(bytes) - 1; \
        if (b_.len != n_ || memcmp(b_.data, bytes, n_) != 0) \
            fail_msg("%s decoded to %zu bytes '%s'", json, b_.len, b_.data); \
        fx_buf_free(&b_); \
    } while (0)

static void test_str_plain_and_escapes(void **state)
{
    (void)state;
    assert_dec("\"\"", "");
    assert_dec("\"abc\"", "abc");
    assert_dec("\"caf\xc3\xa9\"", "caf\xc3\xa9");           /* raw UTF-8 kept */
    assert_dec("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
    assert_dec("\"a\\nb\"", "a\nb");
    assert_dec("\"O\\\"Brien\"", "O\"Brien");
    assert_dec("\"\\\\u00e9\"", "\\u00e9");                  /* an escaped backslash */
    assert_dec("\"end\\\\\"", "end\\");
}

static void test_str_unicode(void **state)
{
    (void)state;
    assert_dec("\"\\u00e9\"", "\xc3\xa9");
    assert_dec("\"\\u00E9\"", "\xc3\xa9");
    assert_dec("\"\\u0041\\u0062\"", "Ab");
    assert_dec("\"\\u0001\"", "\x01");
    assert_dec("\"\\u07ff\"", "\xdf\xbf");
    assert_dec("\"\\u0800\"", "\xe0\xa0\x80");
    assert_dec("\"\\u20ac\"", "\xe2\x82\xac");
    assert_dec("\"\\uffff\"", "\xef\xbf\xbf");
    /* A surrogate pair: one 4-byte character. */
    assert_dec("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
    assert_dec("\"x\\uD83D\\uDE00y\"", "x\xf0\x9f\x98\x80y");
    assert_dec("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf");
    /* Lone surrogates: WTF-8, three bytes each. */
    assert_dec("\"\\ud800\"", "\xed\xa0\x80");
    assert_dec("\"\\udc00\"", "\xed\xb0\x80");
    assert_dec("\"\\ud800\\u0041\"", "\xed\xa0\x80" "A");
    assert_dec("\"\\ud800x\"", "\xed\xa0\x80" "x");
    assert_dec("\"\\ude00\\ud83d\"", "\xed\xb8\x80\xed\xa0\xbd");   /* wrong order */
    /* U+0000 is kept as a byte. */
    fx_buf b = dec("\"a\\u0000b\"");
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 3);
    fx_buf_free(&b);
}

static void test_str_appends(void **state)
{
    (void)state;
    fx_buf b = FX_BUF_INIT;
    fx_buf_adds(&b, "x=");
    assert_int_equal(fx_value_str(&b, ct_v("\"\\u00e9\"")), 0);
    assert_int_equal(fx_value_str(&b, ct_v("\"!\"")), 0);
    assert_string_equal(b.data, "x=\xc3\xa9!");
    assert_int_equal(b.len, 5);
    fx_buf_free(&b);
}

static void test_str_eq(void **state)
{
    (void)state;
    assert_true(fx_value_str_eq(ct_v("\"model\""), "model", 5));
    assert_false(fx_value_str_eq(ct_v("\"model\""), "mode", 4));
    assert_false(fx_value_str_eq(ct_v("\"model\""), "models", 6));
    assert_false(fx_value_str_eq(ct_v("\"mode\""), "model", 5));
    assert_true(fx_value_str_eq(ct_v("\"\""), "", 0));
    assert_true(fx_value_str_eq(ct_v("\"\\u006dodel\""), "model", 5));
    assert_true(fx_value_str_eq(ct_v("\"caf\\u00e9\""), "caf\xc3\xa9", 5));
    assert_true(fx_value_str_eq(ct_v("\"caf\xc3\xa9\""), "caf\xc3\xa9", 5));
    assert_false(fx_value_str_eq(ct_v("\"caf\\u00e9\""), "cafe", 4));
    assert_true(fx_value_str_eq(ct_v("\"a\\\"b\""), "a\"b", 3));
    assert_true(fx_value_str_eq(ct_v("\"a\\u0000b\""), "a\0b", 3));
    assert_false(fx_value_str_eq(ct_v("\"a\\u0000b\""), "a", 1));
    /* Only strings are strings. */
    assert_false(fx_value_str_eq(ct_v("1"), "1", 1));
    assert_false(fx_value_str_eq(ct_v("null"), "null", 4));
    assert_false(fx_value_str_eq(ct_v("[\"a\"]"), "a", 1));
}

/* ------------------------------------------------------------ iteration */

struct item {
    const char *key;     /* key text as written, NULL for arrays */
    fx_type type;
    const char *text;    /* value text as written */
};

static void check_iter(const char *json, const struct item *want, size_t n)
{
    fx_value v = ct_v(json);
    fx_iter it;
    fx_iter_init(&it, v);
    fx_value k, e;
    size_t i = 0;
    while (fx_iter_next(&it, &k, &e)) {
        if (i >= n)
            fail_msg("%s: more than %zu items", json, n);
        if (want[i].key) {
            assert_int_equal(k.type, FX_STRING);
            if (k.len != strlen(want[i].key) || memcmp(k.text, want[i].key, k.len))
                fail_msg("%s: key %zu is '%.*s'", json, i, (int)k.len, k.text);
        } else {
            assert_int_equal(k.type, FX_NULL);
        }
        assert_int_equal(e.type, want[i].type);
        if (e.len != strlen(want[i].text) || memcmp(e.text, want[i].text, e.len))
            fail_msg("%s: item %zu is '%.*s', want '%s'", json, i, (int)e.len, e.text,
                     want[i].text);
        i++;
    }
    assert_int_equal(i, n);
    assert_int_equal(fx_iter_next(&it, &k, &e), 0);    /* stays at the end */
}

static void test_iter_array(void **state)
{
    (void)state;
    static const struct item a[] = {
        {NULL, FX_NUMBER, "1"},
        {NULL, FX_STRING, "\"a,]\\\"}\""},
        {NULL, FX_ARRAY, "[2, [3]]"},
        {NULL, FX_OBJECT, "{\"k\": \"]\"}"},
        {NULL, FX_NULL, "null"},
        {NULL, FX_TRUE, "true"},
        {NULL, FX_FALSE, "false"},
        {NULL, FX_NUMBER, "-1.5e+3"},
        {NULL, FX_NUMBER, "NaN"},
        {NULL, FX_NUMBER, "-Infinity"},
    };
    check_iter("[1, \"a,]\\\"}\", [2, [3]], {\"k\": \"]\"}, null, true, false, -1.5e+3, "
               "NaN, -Infinity]", a, 10);
    check_iter("[1,\"a,]\\\"}\",[2, [3]],{\"k\": \"]\"},null,true,false,-1.5e+3,NaN,"
               "-Infinity]", a, 10);
    check_iter("[\n  1,\n  \"a,]\\\"}\",\n  [2, [3]],\n  {\"k\": \"]\"},\n  null,\n  true,\n"
               "  false,\n  -1.5e+3,\n  NaN,\n  -Infinity\n]", a, 10);
    check_iter("[]", NULL, 0);
    check_iter("[ ]", NULL, 0);
    check_iter("[\n    ]", NULL, 0);
    static const struct item one[] = {{NULL, FX_STRING, "\"\""}};
    check_iter("[\"\"]", one, 1);
    static const struct item nested[] = {{NULL, FX_ARRAY, "[]"}, {NULL, FX_OBJECT, "{}"}};
    check_iter("[[], {}]", nested, 2);
}

static void test_iter_object(void **state)
{
    (void)state;
    static const struct item o[] = {
        {"\"a\"", FX_NUMBER, "1"},
        {"\"b\\\"c\"", FX_ARRAY, "[1, {\"x\": []}]"},
        {"\"caf\\u00e9\"", FX_OBJECT, "{\"d\": {}}"},
        {"\"a\"", FX_STRING, "\"}\""},
    };
    check_iter("{\"a\": 1, \"b\\\"c\": [1, {\"x\": []}], \"caf\\u00e9\": {\"d\": {}}, "
               "\"a\": \"}\"}", o, 4);
    check_iter("{\n    \"a\" : 1 ,\n    \"b\\\"c\":[1, {\"x\": []}],\"caf\\u00e9\":\t{\"d\": {}},"
               "\n\"a\": \"}\"\n}", o, 4);
    check_iter("{}", NULL, 0);
    check_iter("{ \n }", NULL, 0);
}

static void test_iter_nested_and_scalars(void **state)
{
    (void)state;
    /* Walk a nested value fully, counting scalars. */
    const char *json = "{\"a\": [1, [2, {\"b\": [3, 4]}], {}], \"c\": {\"d\": [[5]]}}";
    size_t scalars = 0, containers = 0;
    fx_value stack[32];
    size_t sp = 0;
    stack[sp++] = ct_v(json);
    while (sp) {
        fx_value v = stack[--sp];
        containers++;
        fx_iter it;
        fx_iter_init(&it, v);
        fx_value k, e;
        while (fx_iter_next(&it, &k, &e)) {
            if (e.type == FX_ARRAY || e.type == FX_OBJECT)
                stack[sp++] = e;
            else
                scalars++;
        }
    }
    assert_int_equal(scalars, 5);
    assert_int_equal(containers, 9);
    /* A scalar has no items; NULL out-pointers are allowed. */
    fx_iter it;
    fx_iter_init(&it, ct_v("42"));
    assert_int_equal(fx_iter_next(&it, NULL, NULL), 0);
    fx_iter_init(&it, ct_v("\"[1, 2]\""));
    assert_int_equal(fx_iter_next(&it, NULL, NULL), 0);
    fx_iter_init(&it, ct_v("[1, 2]"));
    assert_int_equal(fx_iter_next(&it, NULL, NULL), 1);
    assert_int_equal(fx_iter_next(&it, NULL, NULL), 1);
    assert_int_equal(fx_iter_next(&it, NULL, NULL), 0);
}

/* ------------------------------------------------------------ equality */

static void test_equal(void **state)
{
    (void)state;
    static const char *const same[][2] = {
        {"1", "1"},
        {"null", "null"},
        {"\"a\"", "\"a\""},
        {"{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"a\": 1}"},
        {"{\"a\":1,\"b\":2}", "{\n  \"b\": 2,\n  \"a\": 1\n}"},
        {"\"\\u00e9\"", "\"\xc3\xa9\""},
        {"\"\\/\"", "\"/\""},
        {"\"\\u0041\"", "\"A\""},
        {"\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""},
        {"\"\\n\"", "\"\\u000a\""},
        {"[1, [2, 3]]", "[1,[2,3]]"},
        {"{\"x\": {\"a\": [1, {\"p\": 1, \"q\": 2}], \"b\": null}}",
         "{\"x\": {\"b\": null, \"a\": [1, {\"q\": 2, \"p\": 1}]}}"},
        {"{\"a\": 1, \"a\": 2}", "{\"a\": 2}"},          /* the last key wins */
        {"{\"\\u0061\": 1}", "{\"a\": 1}"},              /* keys decoded too */
        {"[]", "[ ]"},
        {"{}", "{\n}"},
        {"\"\"", "\"\""},
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        if (!fx_value_equal(ct_v(same[i][0]), ct_v(same[i][1])))
            fail_msg("%s and %s should be equal", same[i][0], same[i][1]);
        if (!fx_value_equal(ct_v(same[i][1]), ct_v(same[i][0])))
            fail_msg("%s and %s should be equal (swapped)", same[i][1], same[i][0]);
    }
    static const char *const diff[][2] = {
        {"1", "1.0"},
        {"1", "\"1\""},
        {"0", "-0"},
        {"1e2", "100"},
        {"null", "false"},
        {"true", "false"},
        {"\"a\"", "\"a \""},
        {"\"a\"", "\"A\""},
        {"\"\\u00e9\"", "\"e\""},
        {"[1, 2]", "[2, 1]"},
        {"[1, 2]", "[1, 2, 3]"},
        {"[1]", "1"},
        {"[]", "{}"},
        {"[]", "null"},
        {"{\"a\": 1}", "{\"a\": 1, \"b\": 1}"},
        {"{\"a\": 1, \"a\": 2}", "{\"a\": 1}"},
        {"{\"a\": 1}", "{\"A\": 1}"},
        {"[\"a\", \"b\"]", "[\"ab\"]"},
        {"{\"a\": \"b\"}", "{\"ab\": \"\"}"},
        {"\"\"", "null"},
        {"NaN", "null"},
    };
    for (size_t i = 0; i < sizeof diff / sizeof *diff; i++) {
        if (fx_value_equal(ct_v(diff[i][0]), ct_v(diff[i][1])))
            fail_msg("%s and %s should differ", diff[i][0], diff[i][1]);
        if (fx_value_equal(ct_v(diff[i][1]), ct_v(diff[i][0])))
            fail_msg("%s and %s should differ (swapped)", diff[i][1], diff[i][0]);
    }
}

static void test_canon(void **state)
{
    (void)state;
    /* Pairwise different values: pairwise different canonical forms. */
    static const char *const vals[] = {
        "null", "false", "true", "0", "-0", "1", "1.0", "\"0\"", "\"1\"", "\"\"",
        "\"null\"", "[]", "{}", "[[]]", "[{}]", "{\"\": null}", "{\"a\": []}",
        "{\"a\": {}}", "[\"a\"]", "[\"a\", \"b\"]", "[\"ab\"]", "\"ab\"",
        "{\"a\": \"b\"}", "{\"ab\": \"\"}", "[1, [2]]", "[[1], 2]", "[null]",
        "[null, null]", "{\"a\": 1, \"b\": 2}", "{\"a\": 2, \"b\": 1}", "\"\\u0000\"",
        "\"s\"", "\"d\"", "[\"\"]", "[\"\", \"\"]", "NaN", "Infinity", "-Infinity",
        "\"\xc3\xa9\"", "\"e\"",
    };
    size_t n = sizeof vals / sizeof *vals;
    fx_buf *c = calloc(n, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(fx_value_canon(&c[i], ct_v(vals[i])), 0);
        assert_true(c[i].len > 0);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (c[i].len == c[j].len && memcmp(c[i].data, c[j].data, c[i].len) == 0)
                fail_msg("%s and %s have the same canonical form", vals[i], vals[j]);
    for (size_t i = 0; i < n; i++)
        fx_buf_free(&c[i]);
    free(c);

    /* Equal values: the same form. */
    static const char *const eq[][2] = {
        {"{\"b\": [1, {\"y\": 2, \"x\": 1}], \"a\": \"\\u00e9\"}",
         "{\"a\": \"\xc3\xa9\", \"b\": [1, {\"x\": 1, \"y\": 2}]}"},
        {"{\"a\": 1, \"a\": 2, \"a\": 3}", "{\"a\": 3}"},
        {"[ 1 , 2 ]", "[1,2]"},
    };
    for (size_t i = 0; i < sizeof eq / sizeof *eq; i++) {
        fx_buf a = FX_BUF_INIT, b = FX_BUF_INIT;
        assert_int_equal(fx_value_canon(&a, ct_v(eq[i][0])), 0);
        assert_int_equal(fx_value_canon(&b, ct_v(eq[i][1])), 0);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        fx_buf_free(&a);
        fx_buf_free(&b);
    }
    /* The documented tags. */
    fx_buf b = FX_BUF_INIT;
    assert_int_equal(fx_value_canon(&b, ct_v("null")), 0);
    assert_int_equal(fx_value_canon(&b, ct_v("true")), 0);
    assert_int_equal(fx_value_canon(&b, ct_v("false")), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "ntf", 3);
    fx_buf_reset(&b);
    assert_int_equal(fx_value_canon(&b, ct_v("12")), 0);
    assert_int_equal(b.len, 1 + 8 + 2);
    assert_memory_equal(b.data, "d\x02\0\0\0\0\0\0\0" "12", 11);
    fx_buf_free(&b);
}

static void test_canon_many_keys(void **state)
{
    (void)state;
    /* An object with many keys in reverse order and duplicates: equal to
    ** the sorted one holding the last values. */
    fx_buf a = FX_BUF_INIT, b = FX_BUF_INIT;
    fx_buf_addc(&a, '{');
    for (int i = 199; i >= 0; i--)
        fx_buf_printf(&a, "%s\"k%03d\": %d", i == 199 ? "" : ", ", i, i);
    for (int i = 0; i < 200; i += 2)
        fx_buf_printf(&a, ", \"k%03d\": %d", i, -i);
    fx_buf_addc(&a, '}');
    fx_buf_addc(&b, '{');
    for (int i = 0; i < 200; i++)
        fx_buf_printf(&b, "%s\"k%03d\": %d", i ? ", " : "", i, i % 2 ? i : -i);
    fx_buf_addc(&b, '}');
    fx_value va = {FX_OBJECT, a.data, a.len}, vb = {FX_OBJECT, b.data, b.len};
    assert_true(fx_value_equal(va, vb));
    b.data[b.len - 2] = '7';          /* k199: 199 -> 197 */
    assert_false(fx_value_equal(va, vb));
    fx_buf_free(&a);
    fx_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_plain_and_escapes),
        cmocka_unit_test(test_str_unicode),
        cmocka_unit_test(test_str_appends),
        cmocka_unit_test(test_str_eq),
        cmocka_unit_test(test_iter_array),
        cmocka_unit_test(test_iter_object),
        cmocka_unit_test(test_iter_nested_and_scalars),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_canon),
        cmocka_unit_test(test_canon_many_keys),
    };
    return cmocka_run_group_tests_name("value", tests, NULL, NULL);
}
