/*
** test_hash.c: fx_record_hash and fx_record_key_hash: equal across the
** corpus' layouts, blind to key order, white space and escape spelling,
** and changed by any change of model, pk or field value.
*/
#include "coretest.h"

/* The hash of the one record in a JSON text (a jsonl line or an array). */
static uint64_t h(const char *json)
{
    ct_run t;
    ct_read(&t, json);
    if (t.nrec != 1 || t.nerr)
        fail_msg("%s: %zu records, %zu errors", json, t.nrec, t.nerr);
    uint64_t x = fx_record_hash(ct_rec(&t, 0));
    ct_run_free(&t);
    return x;
}

static uint64_t kh(const char *json)
{
    ct_run t;
    ct_read(&t, json);
    assert_int_equal(t.nrec, 1);
    uint64_t x = fx_record_key_hash(ct_rec(&t, 0));
    ct_run_free(&t);
    return x;
}

#define assert_same_hash(a, b) do { \
        if (h(a) != h(b)) \
            fail_msg("hashes differ:\n  %s\n  %s", a, b); \
    } while (0)
#define assert_other_hash(a, b) do { \
        if (h(a) == h(b)) \
            fail_msg("hashes equal:\n  %s\n  %s", a, b); \
    } while (0)

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_corpus_layouts(void **state)
{
    (void)state;
    ct_run a, b, c;
    ct_read_path(&a, ct_corpus("base.json"));
    ct_read_path(&b, ct_corpus("base.compact.json"));
    ct_read_path(&c, ct_corpus("base.jsonl"));
    assert_int_equal(a.nrec, 10852);
    assert_int_equal(b.nrec, 10852);
    assert_int_equal(c.nrec, 10852);
    uint64_t *all = malloc(a.nrec * sizeof *all);
    for (size_t i = 0; i < a.nrec; i++) {
        const fx_record *x = ct_rec(&a, i), *y = ct_rec(&b, i), *z = ct_rec(&c, i);
        uint64_t hx = fx_record_hash(x);
        if (hx != fx_record_hash(y) || hx != fx_record_hash(z))
            fail_msg("record %zu (%s pk %s) hashes differ across layouts", i, x->label,
                     x->pk_key);
        assert_true(fx_record_key_hash(x) == fx_record_key_hash(y));
        assert_true(fx_record_key_hash(x) == fx_record_key_hash(z));
        all[i] = hx;
    }
    /* Every record is different, and so is every hash. */
    qsort(all, a.nrec, sizeof *all, cmp_u64);
    for (size_t i = 1; i < a.nrec; i++)
        assert_true(all[i] != all[i - 1]);
    /* A record re-laid out by the writer hashes the same. */
    fx_record *cp;
    assert_int_equal(fx_record_copy(&cp, ct_rec(&a, 5)), 0);
    assert_true(fx_record_hash(cp) == fx_record_hash(ct_rec(&a, 5)));
    fx_record_free(cp);
    free(all);
    ct_run_free(&a);
    ct_run_free(&b);
    ct_run_free(&c);
}

static const char BASE[] =
    "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
    "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
    "\"n\": null}}\n";

static void test_invariants(void **state)
{
    (void)state;
    /* Field order, white space, layout and escape spelling do not count. */
    assert_same_hash(BASE,
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"n\": null,\"meta\": {\"b\": "
        "[true, null], \"a\": 1},\"tags\": [1, 2],\"price\": \"1.50\",\"name\": \"caf\xc3\xa9\"}}\n");
    assert_same_hash(BASE,
        "[\n{\n  \"model\": \"shop.item\",\n  \"pk\": 7,\n  \"fields\": {\n    \"name\": "
        "\"caf\\u00e9\",\n    \"price\": \"1.50\",\n    \"tags\": [\n      1,\n      2\n    ],\n"
        "    \"meta\": {\n      \"a\": 1,\n      \"b\": [\n        true,\n        null\n"
        "      ]\n    },\n    \"n\": null\n  }\n}\n]\n");
    assert_same_hash(BASE,
        "[{\"fields\": {\"name\": \"caf\\u00E9\", \"price\": \"1\\u002e50\", \"tags\": [1,2], "
        "\"meta\": {\"b\": [true,null], \"a\": 1}, \"n\": null}, \"pk\": 7, "
        "\"model\": \"shop.item\"}]");
    /* Field names spelled with escapes. */
    assert_same_hash(BASE,
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"\\u006eame\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n");
    /* The label is lower-cased: the model's case does not count. */
    assert_same_hash(BASE,
        "{\"model\": \"Shop.Item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n");
    /* pk 7 and "7" are one identity (pk_key "7"). */
    assert_same_hash(BASE,
        "{\"model\": \"shop.item\",\"pk\": \"7\",\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n");
}

static void test_changes(void **state)
{
    (void)state;
    static const char *const other[] = {
        /* model */
        "{\"model\": \"shop.items\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shops.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        /* pk */
        "{\"model\": \"shop.item\",\"pk\": 8,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 70,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": null,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        /* each field value */
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"cafe\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.5\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": 1.50,\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [2, 1],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2, 3],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1.0, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [false, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": false}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": \"\"}}\n",
        /* a field name, a field more, a field less */
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"Name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]},"
        "\"n\": null,\"o\": null}}\n",
        "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"caf\xc3\xa9\","
        "\"price\": \"1.50\",\"tags\": [1, 2],\"meta\": {\"a\": 1, \"b\": [true, null]}}}\n",
    };
    size_t n = sizeof other / sizeof *other;
    uint64_t *hs = malloc(n * sizeof *hs);
    uint64_t base = h(BASE);
    for (size_t i = 0; i < n; i++) {
        hs[i] = h(other[i]);
        if (hs[i] == base)
            fail_msg("change %zu did not change the hash: %s", i, other[i]);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (hs[i] == hs[j])
                fail_msg("changes %zu and %zu hash the same", i, j);
    free(hs);
    /* Values shifted between names. */
    assert_other_hash("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"a\": \"b\"}}\n",
                      "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"ab\": \"\"}}\n");
    assert_other_hash("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"a\": 1,\"b\": 2}}\n",
                      "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"a\": 2,\"b\": 1}}\n");
    assert_other_hash("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {}}\n",
                      "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"\": null}}\n");
}

static void test_duplicates_last_wins(void **state)
{
    (void)state;
    assert_same_hash("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"x\": 1,\"y\": 0,\"x\": 2}}\n",
                     "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"y\": 0,\"x\": 2}}\n");
    assert_other_hash("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"x\": 1,\"y\": 0,\"x\": 2}}\n",
                      "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"y\": 0,\"x\": 1}}\n");
    /* Inside a value too. */
    assert_same_hash("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"j\": {\"k\": 1,\"k\": 3}}}\n",
                     "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"j\": {\"k\": 3}}}\n");
}

/* A record with n fields f000.. in the given order (dup: f000 first as 0). */
static char *many(int n, int reverse, int dup, int bump)
{
    fx_buf b = FX_BUF_INIT;
    fx_buf_adds(&b, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {");
    if (dup)
        fx_buf_adds(&b, "\"f000\": \"old\",");
    for (int i = 0; i < n; i++) {
        int k = reverse ? n - 1 - i : i;
        fx_buf_printf(&b, "%s\"f%03d\": %d", i ? "," : "", k, k == n - 1 ? k + bump : k);
    }
    fx_buf_adds(&b, "}}\n");
    return b.data;
}

static void test_many_fields(void **state)
{
    (void)state;
    /* Past 64 fields the sort is another path: same rules. */
    for (int n = 60; n <= 140; n += 80) {
        char *a = many(n, 0, 0, 0), *b = many(n, 1, 0, 0), *c = many(n, 1, 1, 0),
             *d = many(n, 0, 0, 1);
        assert_same_hash(a, b);
        assert_same_hash(a, c);
        assert_other_hash(a, d);
        free(a);
        free(b);
        free(c);
        free(d);
    }
}

static void test_key_hash(void **state)
{
    (void)state;
    uint64_t k7 = kh("{\"model\": \"a.b\",\"pk\": 7,\"fields\": {\"x\": 1}}\n");
    assert_true(k7 == kh("{\"model\": \"a.b\",\"pk\": \"7\",\"fields\": {}}\n"));
    assert_true(k7 == kh("{\"model\": \"A.B\",\"pk\": \"\\u0037\",\"fields\": {\"y\": 2}}\n"));
    assert_true(k7 == kh("[\n{\n  \"model\": \"a.b\",\n  \"pk\": 7,\n  \"fields\": {}\n}\n]\n"));
    assert_true(k7 != kh("{\"model\": \"a.b\",\"pk\": 8,\"fields\": {}}\n"));
    assert_true(k7 != kh("{\"model\": \"a.b\",\"pk\": \"07\",\"fields\": {}}\n"));
    assert_true(k7 != kh("{\"model\": \"a.c\",\"pk\": 7,\"fields\": {}}\n"));
    /* (label, pk) are kept apart: "a.b" + "17" is not "a.b1" + "7". */
    assert_true(kh("{\"model\": \"a.b\",\"pk\": 17,\"fields\": {}}\n") !=
                kh("{\"model\": \"a.b1\",\"pk\": 7,\"fields\": {}}\n"));
    /* The key hash is not the record hash. */
    assert_true(k7 != h("{\"model\": \"a.b\",\"pk\": 7,\"fields\": {\"x\": 1}}\n"));
}

static void test_hash_after_changes(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, BASE);
    fx_record *c;
    assert_int_equal(fx_record_copy(&c, ct_rec(&t, 0)), 0);
    uint64_t h0 = fx_record_hash(c);
    assert_true(h0 == fx_record_hash(ct_rec(&t, 0)));
    assert_int_equal(fx_record_set(c, 0, "price", "\"1.51\"", 6), 0);
    uint64_t h1 = fx_record_hash(c);
    assert_true(h1 != h0);
    assert_int_equal(fx_record_set(c, 0, "price", "\"1.50\"", 6), 0);
    assert_true(fx_record_hash(c) == h0);
    assert_int_equal(fx_record_set(c, 1, NULL, "\"7\"", 3), 0);
    assert_true(fx_record_hash(c) == h0);              /* pk_key still "7" */
    assert_true(fx_record_key_hash(c) == fx_record_key_hash(ct_rec(&t, 0)));
    assert_int_equal(fx_record_set(c, 1, NULL, "9", 1), 0);
    assert_true(fx_record_hash(c) != h0);
    assert_true(fx_record_key_hash(c) != fx_record_key_hash(ct_rec(&t, 0)));
    assert_int_equal(fx_record_set(c, 1, NULL, "7", 1), 0);
    assert_int_equal(fx_record_drop(c, "n"), 1);
    assert_true(fx_record_hash(c) != h0);
    assert_int_equal(fx_record_set(c, 0, "n", "null", 4), 0);   /* back, appended */
    assert_true(fx_record_hash(c) == h0);
    fx_record_free(c);
    ct_run_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_layouts),
        cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_changes),
        cmocka_unit_test(test_duplicates_last_wins),
        cmocka_unit_test(test_many_fields),
        cmocka_unit_test(test_key_hash),
        cmocka_unit_test(test_hash_after_changes),
    };
    return cmocka_run_group_tests_name("hash", tests, ct_setup, ct_teardown);
}
