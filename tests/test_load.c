/*
** test_load.c: fx_loader_* as a program other than fxload uses it, on a
** copy of the migrated, empty reference database ($FX_TESTDATA, default
** "testdata", empty.sqlite3): a record the reader found wrong text in
** (invalid UTF-8, a lone surrogate) is refused by the loader itself, and
** nothing is written; a clean record loads.
*/
#include "coretest.h"

#include <sqlite3.h>

static const char *testdata(void)
{
    const char *d = getenv("FX_TESTDATA");
    return d && *d ? d : "testdata";
}

/* A fresh copy of empty.sqlite3 in the scratch directory. */
static const char *fresh_db(void)
{
    char src[1024];
    snprintf(src, sizeof src, "%s/empty.sqlite3", testdata());
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    const char *dst = ct_path("db.sqlite3");
    FILE *out = fopen(dst, "wb");
    assert_non_null(out);
    char b[65536];
    size_t n;
    while ((n = fread(b, 1, sizeof b, in)) > 0)
        assert_int_equal(fwrite(b, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
    return dst;
}

static long count_rows(const char *db, const char *table)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void ignore_diag(void *ctx, const fx_diag *d)
{
    (void)ctx;
    (void)d;
}

/* Load path's records into db through the library alone; the last
** fx_loader_add or fx_loader_finish result, and its error. */
static int load(const char *db, const char *path, fx_error *err)
{
    fx_reader_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.diag = ignore_diag;           /* a program that does not look */
    fx_reader *r = NULL;
    assert_int_equal(fx_reader_open(&r, path, &ro, err), 0);
    fx_loader *l = NULL;
    assert_int_equal(fx_loader_open(&l, db, NULL, err), 0);
    const fx_record *rec;
    int rc, got;
    while ((got = fx_reader_next(r, &rec, err)) != 0) {
        if (got < 0)
            continue;                 /* a skipped record: not this test */
        if ((rc = fx_loader_add(l, rec, err)) < 0)
            goto done;
    }
    rc = fx_loader_finish(l, err);
done:
    fx_loader_free(l);
    fx_reader_free(r);
    return rc;
}

static const char AGENCE[] =
    "[\n{\"model\": \"supermarket.agence\", \"pk\": 1, \"fields\": {\"code\": \"A\", "
    "\"nom\": \"%s\", \"ville\": \"\", \"active\": true}}\n]\n";

static void check_refused(const char *nom)
{
    const char *db = fresh_db();
    char text[512];
    snprintf(text, sizeof text, AGENCE, nom);
    char *path = ct_write_n(text, strlen(text));
    fx_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(load(db, path, &err), FX_EREJECT);
    assert_non_null(strstr(err.msg, "invalid UTF-8 or a lone surrogate"));
    assert_int_equal(err.line, 2);
    assert_int_equal(count_rows(db, "supermarket_agence"), 0);
    free(path);
}

static void test_invalid_utf8_refused(void **state)
{
    (void)state;
    check_refused("Bouak\xe9");          /* Windows-1252 */
    check_refused("\xc0\xaf");           /* overlong */
    check_refused("a\\ud800b");          /* an escaped lone surrogate */
}

static void test_clean_record_loads(void **state)
{
    (void)state;
    const char *db = fresh_db();
    char text[512];
    snprintf(text, sizeof text, AGENCE, "Bouak\xc3\xa9 \\ud83d\\ude00");
    char *path = ct_write_n(text, strlen(text));
    fx_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(load(db, path, &err), 0);
    assert_int_equal(count_rows(db, "supermarket_agence"), 1);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_utf8_refused),
        cmocka_unit_test(test_clean_record_loads),
    };
    return cmocka_run_group_tests(tests, ct_setup, ct_teardown);
}
