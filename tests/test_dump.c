/*
** test_dump.c: unit tests of fxdump's value rendering (db_value.c) and
** Python's JSON layout (pyjson.c): each expected text is what Python and
** Django 3.2 write for the same stored value (checked with Debian's
** python3-django; the commands are in the comments), including values a
** Django project rarely stores, which the CLI conformance tests cannot
** reach; and fx_dump_sqlite(), the dump through a connection and inside a
** transaction the caller holds (what fxsync calls), on a copy of
** testdata/empty.sqlite3.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <sqlite3.h>

#include "db_int.h"

/* Render one cell and compare with want. */
static void render_is(const fx__bind *c, fx_kind kind, int places, int pg, int mode,
                      const char *want)
{
    fx_buf b = FX_BUF_INIT;
    fx__emit e;
    char msg[200] = "";
    fx__emit_init(&e, &b, -1, ", ", 0);
    int rc = fx__render(&e, c, kind, places, pg, mode, msg, sizeof msg);
    if (rc || strcmp(b.data ? b.data : "", want) != 0)
        print_error("kind %s pg %d: got \"%s\" (rc %d %s), want \"%s\"\n", fx_kind_name(kind),
                    pg, b.data ? b.data : "", rc, msg, want);
    assert_int_equal(rc, 0);
    assert_string_equal(b.data ? b.data : "", want);
    fx_buf_free(&b);
}

static fx__bind real(double d)
{
    fx__bind c = {FX__B_REAL, 0, d, NULL, 0};
    return c;
}

static fx__bind integer(int64_t i)
{
    fx__bind c = {FX__B_INT, i, 0, NULL, 0};
    return c;
}

static fx__bind text(const char *s)
{
    fx__bind c = {FX__B_TEXT, 0, 0, s, strlen(s)};
    return c;
}

/* SQLite: Context(prec=15).create_decimal_from_float(v).quantize(
** Decimal(1).scaleb(-places)), then str(); PostgreSQL: str(Decimal(text)). */
static void test_decimals(void **state)
{
    (void)state;
    fx__bind c;
    c = real(2262.4);                render_is(&c, FX_K_DECIMAL, 2, 0, 0, "\"2262.40\"");
    c = integer(100);                render_is(&c, FX_K_DECIMAL, 3, 0, 0, "\"100.000\"");
    c = real(0.1 + 0.2);             render_is(&c, FX_K_DECIMAL, 2, 0, 0, "\"0.30\"");
    c = real(1e20);                  render_is(&c, FX_K_DECIMAL, 2, 0, 0,
                                               "\"100000000000000000000.00\"");
    c = real(-0.0);                  render_is(&c, FX_K_DECIMAL, 2, 0, 0, "\"-0.00\"");
    c = real(0.125);                 render_is(&c, FX_K_DECIMAL, 2, 0, 0, "\"0.12\"");  /* half even */
    c = real(2.675);                 render_is(&c, FX_K_DECIMAL, 2, 0, 0, "\"2.68\"");
    c = real(123456789.123456789);   render_is(&c, FX_K_DECIMAL, 6, 0, 0, "\"123456789.123457\"");
    c = real(1e-9);                  render_is(&c, FX_K_DECIMAL, 8, 0, 0, "\"0E-8\"");
    c = real(-1e-9);                 render_is(&c, FX_K_DECIMAL, 8, 0, 0, "\"-0E-8\"");
    c = real(99.995);                render_is(&c, FX_K_DECIMAL, 2, 0, 0, "\"100.00\"");
    c = real(999999999999999.9);     render_is(&c, FX_K_DECIMAL, 1, 0, 0, "\"1000000000000000.0\"");
    c = real(-12345678901234.123456); render_is(&c, FX_K_DECIMAL, 6, 0, 0,
                                                "\"-12345678901234.100000\"");
    c = integer(12345);              render_is(&c, FX_K_DECIMAL, 0, 0, 0, "\"12345\"");
    c = real(2262.4);                render_is(&c, FX_K_DECIMAL, -1, 0, 0, "\"2262.4\"");
    c = text("0.00000000");          render_is(&c, FX_K_DECIMAL, 8, 1, 0, "\"0E-8\"");
    c = text("0.00000001");          render_is(&c, FX_K_DECIMAL, 8, 1, 0, "\"1E-8\"");
    c = text("0.0000001");           render_is(&c, FX_K_DECIMAL, 7, 1, 0, "\"1E-7\"");
    c = text("0.000001");            render_is(&c, FX_K_DECIMAL, 6, 1, 0, "\"0.000001\"");
    c = text("-0.01");               render_is(&c, FX_K_DECIMAL, 2, 1, 0, "\"-0.01\"");
    c = text("12345.600");           render_is(&c, FX_K_DECIMAL, 3, 1, 0, "\"12345.600\"");
    c = text("NaN");                 render_is(&c, FX_K_DECIMAL, 2, 1, 0, "\"NaN\"");
    c = text("99999999999999.999999"); render_is(&c, FX_K_DECIMAL, 6, 1, 0,
                                                 "\"99999999999999.999999\"");
}

/* repr(float): python3 -c 'print(repr(x))' */
static void test_floats(void **state)
{
    (void)state;
    static const struct { double d; const char *want; } cases[] = {
        {1e-07, "1e-07"}, {0.30000000000000004, "0.30000000000000004"}, {5e-324, "5e-324"},
        {9007199254740994.0, "9007199254740994.0"}, {1e16, "1e+16"},
        {1000000000000000.0, "1000000000000000.0"}, {0.0, "0.0"}, {-0.0, "-0.0"},
        {0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.5e300, "1.5e+300"},
        {1.7976931348623157e308, "1.7976931348623157e+308"}, {-2.5, "-2.5"}, {100.0, "100.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fx__bind c = real(cases[i].d);
        render_is(&c, FX_K_FLOAT, -1, 0, 0, cases[i].want);
    }
    fx__bind c = text("NaN");
    render_is(&c, FX_K_FLOAT, -1, 1, 0, "NaN");
    c = text("-Infinity");
    render_is(&c, FX_K_FLOAT, -1, 1, 0, "-Infinity");
    c = text("1e-07");
    render_is(&c, FX_K_FLOAT, -1, 1, 0, "1e-07");
    c = real(INFINITY);
    render_is(&c, FX_K_FLOAT, -1, 0, 0, "Infinity");
}

/* DjangoJSONEncoder: isoformat, milliseconds by truncation, +00:00 as Z;
** SQLite's naive text is made aware in UTC; a time keeps no offset. */
static void test_dates(void **state)
{
    (void)state;
    fx__bind c;
    c = text("2024-03-29 20:36:30.680984"); render_is(&c, FX_K_DATETIME, -1, 0, 0,
                                                      "\"2024-03-29T20:36:30.680Z\"");
    c = text("2024-01-01 00:00:00.000500"); render_is(&c, FX_K_DATETIME, -1, 0, 0,
                                                      "\"2024-01-01T00:00:00.000Z\"");
    c = text("2024-01-01 08:00:00");        render_is(&c, FX_K_DATETIME, -1, 0, 0,
                                                      "\"2024-01-01T08:00:00Z\"");
    c = text("2024-1-2 3:04");              render_is(&c, FX_K_DATETIME, -1, 0, 0,
                                                      "\"2024-01-02T03:04:00Z\"");
    c = text("2024-01-02T03:04:05.5+05:30"); render_is(&c, FX_K_DATETIME, -1, 0, 0,
                                                       "\"2024-01-02T03:04:05.500+05:30\"");
    c = text("not a date");                 render_is(&c, FX_K_DATETIME, -1, 0, 0, "null");
    c = text("0001-01-01 00:00:00+00");     render_is(&c, FX_K_DATETIME, -1, 1, 0,
                                                      "\"0001-01-01T00:00:00Z\"");
    c = text("2024-06-01 04:30:00.999999+00"); render_is(&c, FX_K_DATETIME, -1, 1, 0,
                                                         "\"2024-06-01T04:30:00.999Z\"");
    c = text("2024-02-29");                 render_is(&c, FX_K_DATE, -1, 0, 0, "\"2024-02-29\"");
    c = text("17:53:08");                   render_is(&c, FX_K_TIME, -1, 0, 0, "\"17:53:08\"");
    c = text("12:00:00.000500");            render_is(&c, FX_K_TIME, -1, 1, 0, "\"12:00:00.000\"");
    c = text("23:59:59.999999");            render_is(&c, FX_K_TIME, -1, 0, 0, "\"23:59:59.999\"");
}

/* duration_string() of a field; duration_iso_string() in a natural key;
** PostgreSQL's interval text read as psycopg2 does. */
static void test_durations(void **state)
{
    (void)state;
    fx__bind c;
    c = integer(-1);                 render_is(&c, FX_K_DURATION, -1, 0, 0, "\"-1 23:59:59.999999\"");
    c = integer(176523000006);       render_is(&c, FX_K_DURATION, -1, 0, 0, "\"2 01:02:03.000006\"");
    c = integer(-259200000000);      render_is(&c, FX_K_DURATION, -1, 0, 0, "\"-3 00:00:00\"");
    c = integer(0);                  render_is(&c, FX_K_DURATION, -1, 0, 0, "\"00:00:00\"");
    c = integer(23228867920);        render_is(&c, FX_K_DURATION, -1, 0, 0, "\"06:27:08.867920\"");
    c = integer(-1);                 render_is(&c, FX_K_DURATION, -1, 0, 1, "\"-P0DT00H00M00.000001S\"");
    c = integer(176523000006);       render_is(&c, FX_K_DURATION, -1, 0, 1, "\"P2DT01H02M03.000006S\"");
    c = text("-1 days +23:59:59.999999"); render_is(&c, FX_K_DURATION, -1, 1, 0,
                                                    "\"-1 23:59:59.999999\"");
    c = text("2 days 01:02:03.000006"); render_is(&c, FX_K_DURATION, -1, 1, 0,
                                                  "\"2 01:02:03.000006\"");
    c = text("-3 days");             render_is(&c, FX_K_DURATION, -1, 1, 0, "\"-3 00:00:00\"");
    c = text("1 mon 1 day");         render_is(&c, FX_K_DURATION, -1, 1, 0, "\"31 00:00:00\"");
    c = text("-00:00:01");           render_is(&c, FX_K_DURATION, -1, 1, 0, "\"-1 23:59:59\"");
}

static void test_other_kinds(void **state)
{
    (void)state;
    fx__bind c;
    c = text("52DEAC43B0B340938A33A1AC9C0AAB8C");
    render_is(&c, FX_K_UUID, -1, 0, 0, "\"52deac43-b0b3-4093-8a33-a1ac9c0aab8c\"");
    c = (fx__bind){FX__B_BLOB, 0, 0, "\0\xffhi", 4};
    render_is(&c, FX_K_BINARY, -1, 0, 0, "\"AP9oaQ==\"");
    c = text("\\x00ff6869");
    render_is(&c, FX_K_BINARY, -1, 1, 0, "\"AP9oaQ==\"");
    c = text("\\x");
    render_is(&c, FX_K_BINARY, -1, 1, 0, "\"\"");
    c = integer(1);
    render_is(&c, FX_K_BOOL, -1, 0, 0, "true");
    c = real(1.0);                   /* the sqlite3 module's "bool" converter: b"1.0" != b"1" */
    render_is(&c, FX_K_BOOL, -1, 0, 0, "false");
    c = text("t");
    render_is(&c, FX_K_BOOL, -1, 1, 0, "true");
    c = text("12");                  /* a number in a text column stays a string */
    render_is(&c, FX_K_CHAR, -1, 0, 0, "\"12\"");
    c = integer(7);                  /* ... and a number in a char column a number */
    render_is(&c, FX_K_CHAR, -1, 0, 0, "7");
    c = text("{\"a\": 1, \"b\": 2, \"a\": 3}");
    render_is(&c, FX_K_JSON, -1, 0, 0, "{\"a\": 3, \"b\": 2}");
    c = text("not json");            /* from_db_value keeps text it cannot read */
    render_is(&c, FX_K_JSON, -1, 0, 0, "\"not json\"");
    c = text("[1E400, -0, 1.10, 10, \"\\u00e9\\ud83d\\ude00\"]");
    render_is(&c, FX_K_JSON, -1, 0, 0, "[Infinity, 0, 1.1, 10, \"\xc3\xa9\xf0\x9f\x98\x80\"]");

    /* a value Django could not read either is refused, saying so */
    fx_buf b = FX_BUF_INIT;
    fx__emit e;
    char msg[200];
    fx__emit_init(&e, &b, -1, ", ", 0);
    c = text("2024-13-01");
    assert_int_equal(fx__render(&e, &c, FX_K_DATE, -1, 0, 0, msg, sizeof msg), 1);
    assert_string_equal(msg, "'2024-13-01' is not a date");
    c = (fx__bind){FX__B_BLOB, 0, 0, "x", 1};
    assert_int_equal(fx__render(&e, &c, FX_K_BINARY, -1, 0, FX__R_ENCODER, msg, sizeof msg), 1);
    fx_buf_free(&b);
}

/* json.dumps(v, indent=..., separators=..., ensure_ascii=...) */
static void layout_is(int indent, const char *sep, int ascii, const char *json, const char *want)
{
    fx_buf b = FX_BUF_INIT;
    fx__emit e;
    fx__emit_init(&e, &b, indent, sep, ascii);
    assert_int_equal(fx__emit_json(&e, json, strlen(json)), 0);
    assert_string_equal(b.data, want);
    fx_buf_free(&b);
}

static void test_layouts(void **state)
{
    (void)state;
    const char *v = "{\"k\": [1, {}, [], {\"x\": \"\\u0001\\u2028\\\"/\"}], \"e\": \"\xc3\xa9\"}";
    layout_is(-1, ", ", 0, v, "{\"k\": [1, {}, [], {\"x\": \"\\u0001\xe2\x80\xa8\\\"/\"}], "
              "\"e\": \"\xc3\xa9\"}");
    layout_is(-1, ",", 0, v, "{\"k\": [1,{},[],{\"x\": \"\\u0001\xe2\x80\xa8\\\"/\"}],"
              "\"e\": \"\xc3\xa9\"}");
    layout_is(2, ",", 0, v, "{\n  \"k\": [\n    1,\n    {},\n    [],\n    {\n      \"x\": "
              "\"\\u0001\xe2\x80\xa8\\\"/\"\n    }\n  ],\n  \"e\": \"\xc3\xa9\"\n}");
    layout_is(0, ",", 0, "[1, [2]]", "[\n1,\n[\n2\n]\n]");
    layout_is(-1, ", ", 1, v, "{\"k\": [1, {}, [], {\"x\": \"\\u0001\\u2028\\\"/\"}], "
              "\"e\": \"\\u00e9\"}");
    layout_is(-1, ", ", 1, "\"\xf0\x9f\x98\x80\"", "\"\\ud83d\\ude00\"");
}

/* fx__convert: into the database as Django's backends store it. */
static void convert_is(fx_kind kind, int pg, const char *json, fx__bind_type type,
                       const char *want, size_t wantn)
{
    fx_buf arena = FX_BUF_INIT;
    fx__bind out;
    char msg[200] = "";
    fx_value v = {json[0] == '"' ? FX_STRING : FX_NUMBER, json, strlen(json)};
    int rc = fx__convert(&out, kind, FX_K_UNKNOWN, v, pg, &arena, msg, sizeof msg);
    if (rc)
        print_error("%s: %s\n", json, msg);
    assert_int_equal(rc, 0);
    fx__bind_fix(&out, 1, &arena);
    assert_int_equal(out.type, type);
    assert_int_equal(out.n, wantn);
    assert_memory_equal(out.s, want, wantn);
    fx_buf_free(&arena);
}

static void test_convert(void **state)
{
    (void)state;
    /* BinaryField: the bytes base64 stands for (SQLite BLOB, bytea hex) */
    convert_is(FX_K_BINARY, 0, "\"AP9oaQ==\"", FX__B_BLOB, "\0\xffhi", 4);
    convert_is(FX_K_BINARY, 1, "\"AP9oaQ==\"", FX__B_TEXT, "\\x00ff6869", 10);
    convert_is(FX_K_BINARY, 0, "\"\"", FX__B_BLOB, "", 0);
    convert_is(FX_K_BINARY, 0, "\"AP9o\\naQ\"", FX__B_BLOB, "\0\xffhi", 4);  /* b64decode skips */
    /* dates as Django's date_re reads them, stored as isoformat() */
    convert_is(FX_K_DATE, 0, "\"2024-1-2\"", FX__B_TEXT, "2024-01-02", 10);
    convert_is(FX_K_TIME, 0, "\"3:04\"", FX__B_TEXT, "03:04:00", 8);
    convert_is(FX_K_UUID, 0, "\"{52DEAC43-B0B3-4093-8A33-A1AC9C0AAB8C}\"", FX__B_TEXT,
               "52deac43b0b340938a33a1ac9c0aab8c", 32);

    fx_buf arena = FX_BUF_INIT;
    fx__bind out;
    char msg[200];
    fx_value v = {FX_STRING, "\"AP9oa\"", 7};
    assert_int_equal(fx__convert(&out, FX_K_BINARY, 0, v, 0, &arena, msg, sizeof msg), 1);
    assert_string_equal(msg, "the value is not base64 (a length base64 does not have)");
    fx_buf_free(&arena);

    /* json.dumps with ensure_ascii: DEL and non-ASCII escaped */
    fx_buf b = FX_BUF_INIT;
    const char *o = "{\"k\": \"\x7f\xc3\xa9\", \"k\": 1.50}";
    fx_value j = {FX_OBJECT, o, strlen(o)};
    assert_int_equal(fx__json_dumps(&b, j), 0);
    assert_string_equal(b.data, "{\"k\": 1.5}");
    fx_buf_reset(&b);
    fx_value t = {FX_STRING, "\"\x7f\xc3\xa9\xf0\x9f\x98\x80\"", 9};
    assert_int_equal(fx__json_dumps(&b, t), 0);
    assert_string_equal(b.data, "\"\\u007f\\u00e9\\ud83d\\ude00\"");
    fx_buf_free(&b);
}

/* ---------------------------------------------------------------- the caller's connection */

static char scratch[64];

static const char *in_scratch(const char *name)
{
    static char b[2][128];
    static int w;
    snprintf(b[w ^= 1], sizeof b[0], "%s/%s", scratch, name);
    return b[w];
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char b[65536];
    size_t n;
    while ((n = fread(b, 1, sizeof b, in)) > 0)
        assert_int_equal(fwrite(b, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *b = calloc(1, 1 << 16);
    assert_non_null(b);
    size_t n = fread(b, 1, (1 << 16) - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

/* Dump supermarket.agence to out.json, by target (db NULL) or through db. */
static int dump_agence(sqlite3 *db, const char *path, fx_error *err)
{
    static const char *const labels[] = {"supermarket.agence"};
    fx_dump_opts o = {0};
    o.format = FX_FORMAT_JSON;
    o.labels = labels;
    o.nlabels = 1;
    fx_output *out;
    assert_int_equal(fx_output_open(&out, in_scratch("out.json"), err), 0);
    int rc = db ? fx_dump_sqlite(db, path, out, &o, err) : fx_dump(path, out, &o, err);
    if (rc == 0)
        assert_int_equal(fx_output_commit(out, err), 0);
    fx_output_free(out);
    return rc;
}

/* fx_dump_sqlite() dumps what the caller's transaction sees, its own
** uncommitted rows included, leaves that transaction open and the
** connection the caller's; a connection outside a transaction is refused. */
static void test_dump_in_callers_transaction(void **state)
{
    (void)state;
    const char *td = getenv("FX_TESTDATA");
    char src[1024];
    snprintf(src, sizeof src, "%s/empty.sqlite3", td && *td ? td : "testdata");
    strcpy(scratch, "/tmp/fx-test-dump.XXXXXX");
    assert_non_null(mkdtemp(scratch));
    char path[128];
    snprintf(path, sizeof path, "%s", in_scratch("db.sqlite3"));
    copy_file(src, path);

    sqlite3 *db = NULL;
    fx_error err;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(dump_agence(db, path, &err), FX_EUSAGE);
    assert_non_null(strstr(err.msg, "is not in a transaction: BEGIN one first"));

    assert_int_equal(sqlite3_exec(db, "BEGIN; INSERT INTO supermarket_agence "
                                  "(id, code, nom, ville, active) VALUES "
                                  "(7, 'A7', 'Nord \"1\"', 'Lille', 1)", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(dump_agence(db, path, &err), 0);
    char *got = slurp(in_scratch("out.json"));
    assert_string_equal(got, "[{\"model\": \"supermarket.agence\", \"pk\": 7, \"fields\": "
                        "{\"code\": \"A7\", \"nom\": \"Nord \\\"1\\\"\", \"ville\": "
                        "\"Lille\", \"active\": true}}]");
    free(got);
    /* still the caller's: in its transaction, which it rolls back */
    assert_int_equal(sqlite3_get_autocommit(db), 0);
    assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);

    /* nothing was committed */
    assert_int_equal(dump_agence(NULL, path, &err), 0);
    got = slurp(in_scratch("out.json"));
    assert_string_equal(got, "[]");
    free(got);
    unlink(in_scratch("out.json"));
    unlink(path);
    rmdir(scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_other_kinds),
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_convert),
        cmocka_unit_test(test_dump_in_callers_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
