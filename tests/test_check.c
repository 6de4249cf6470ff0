/*
** test_check.c: fx_kind_name(), fx_kind_from_name() and fx_check_value(),
** kind by kind, with the exact messages; fx_value_same(), kind by kind.  The schema is built by hand.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define S(lit) ((char *)(lit))

/* ---------------------------------------------------------------- helpers */

static fx_schema *schema;

/* A JSON value from its text; the type from its first byte. */
static fx_value V(const char *json)
{
    fx_value v = {FX_NUMBER, json, strlen(json)};
    switch (json[0]) {
    case '"': v.type = FX_STRING; break;
    case '[': v.type = FX_ARRAY; break;
    case '{': v.type = FX_OBJECT; break;
    case 't': v.type = FX_TRUE; break;
    case 'f': v.type = FX_FALSE; break;
    case 'n': v.type = FX_NULL; break;
    default: break;
    }
    return v;
}

static fx_field_schema F(fx_kind k)
{
    fx_field_schema f;
    memset(&f, 0, sizeof f);
    f.name = S("f");
    f.kind = k;
    f.max_length = -1;
    f.max_digits = -1;
    f.decimal_places = -1;
    return f;
}

static fx_field_schema REF(fx_kind k, const char *to)
{
    fx_field_schema f = F(k);
    f.to = S(to);
    return f;
}

static void ok_at(const fx_field_schema *f, const char *json, int line)
{
    char msg[512] = "junk";
    int r = fx_check_value(f, schema, V(json), msg, sizeof msg);
    if (r != 0)
        print_error("line %d: %s (%s) rejected: %s\n", line, json,
                    fx_kind_name(f->kind), msg);
    assert_int_equal(r, 0);
    assert_string_equal(msg, "");
}

static void bad_at(const fx_field_schema *f, const char *json, const char *want, int line)
{
    char msg[512] = "";
    int r = fx_check_value(f, schema, V(json), msg, sizeof msg);
    if (r != 1)
        print_error("line %d: %s (%s) accepted\n", line, json, fx_kind_name(f->kind));
    assert_int_equal(r, 1);
    if (want && strcmp(msg, want) != 0) {
        print_error("line %d: %s (%s)\n  got:  %s\n  want: %s\n", line, json,
                    fx_kind_name(f->kind), msg, want);
        fail();
    }
    assert_true(msg[0] != '\0');
}

#define OK(f, json) ok_at(&(f), json, __LINE__)
#define BAD(f, json, want) bad_at(&(f), json, want, __LINE__)

/* ---------------------------------------------------------------- schema */

static fx_name_list names(size_t n, ...)
{
    fx_name_list l = {calloc(n ? n : 1, sizeof(char *)), n};
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        l.names[i] = va_arg(ap, char *);
    va_end(ap);
    return l;
}

static fx_model_schema model(const char *label, fx_kind pk_kind, size_t nfields,
                             fx_field_schema *fields, fx_name_list nk)
{
    fx_model_schema m;
    memset(&m, 0, sizeof m);
    m.label = S(label);
    m.table = S(label);
    m.pk_name = S("id");
    m.pk_column = S("id");
    m.pk_kind = pk_kind;
    m.fields = fields;
    m.nfields = nfields;
    m.natural_key = nk;
    return m;
}

static fx_field_schema user_fields[1], perm_fields[2], ct_fields[2], special_fields[1];
static fx_model_schema models[8];

static int setup(void **state)
{
    (void)state;
    user_fields[0] = F(FX_K_CHAR);
    user_fields[0].name = S("username");
    user_fields[0].max_length = 150;
    ct_fields[0] = F(FX_K_CHAR);
    ct_fields[0].name = S("app_label");
    ct_fields[1] = F(FX_K_CHAR);
    ct_fields[1].name = S("model");
    perm_fields[0] = F(FX_K_CHAR);
    perm_fields[0].name = S("codename");
    perm_fields[1] = REF(FX_K_FK, "contenttypes.contenttype");
    perm_fields[1].name = S("content_type");
    special_fields[0] = REF(FX_K_O2O, "shop.product");
    special_fields[0].name = S("product");

    models[0] = model("shop.product", FX_K_INT, 0, NULL, names(0));
    models[1] = model("auth.user", FX_K_INT, 1, user_fields, names(1, "username"));
    models[2] = model("auth.permission", FX_K_INT, 2, perm_fields,
                      names(2, "codename", "content_type"));
    models[3] = model("contenttypes.contenttype", FX_K_INT, 2, ct_fields,
                      names(2, "app_label", "model"));
    models[4] = model("shop.item", FX_K_UUID, 0, NULL, names(0));
    models[5] = model("shop.special", FX_K_BIGINT, 1, special_fields, names(0));
    models[6] = model("shop.country", FX_K_CHAR, 0, NULL, names(0));
    models[6].pk_name = S("code");
    models[7] = model("shop.small", FX_K_SMALLINT, 0, NULL, names(0));

    static fx_schema s;
    s.models = models;
    s.nmodels = 8;
    s.source = S("test");
    schema = &s;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < 8; i++)
        free(models[i].natural_key.names);
    return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_kind_names(void **state)
{
    static const char *const all[] = {"char", "text", "int", "smallint", "bigint", "bool",
                                      "decimal", "float", "date", "datetime", "time",
                                      "duration", "uuid", "json", "fk", "o2o", "m2m"};
    (void)state;
    for (int k = FX_K_CHAR; k <= FX_K_M2M; k++) {
        assert_string_equal(fx_kind_name((fx_kind)k), all[k - 1]);
        assert_int_equal(fx_kind_from_name(all[k - 1]), k);
    }
    assert_int_equal(fx_kind_from_name("varchar"), FX_K_UNKNOWN);
    assert_int_equal(fx_kind_from_name("Char"), FX_K_UNKNOWN);
    assert_int_equal(fx_kind_from_name(""), FX_K_UNKNOWN);
    assert_int_equal(fx_kind_from_name("unknown"), FX_K_UNKNOWN);
    assert_int_equal(fx_kind_from_name(NULL), FX_K_UNKNOWN);
    assert_string_equal(fx_kind_name(FX_K_UNKNOWN), "unknown");
    assert_string_equal(fx_kind_name((fx_kind)99), "unknown");
}

static void test_null(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_CHAR), n = F(FX_K_CHAR), j = F(FX_K_JSON), i = F(FX_K_INT);
    n.null = 1;
    BAD(f, "null", "null is not allowed: this field is NOT NULL");
    OK(n, "null");
    BAD(j, "null", "null is not allowed: this field is NOT NULL");
    BAD(i, "null", "null is not allowed: this field is NOT NULL");
    i.null = 1;
    OK(i, "null");
    fx_field_schema m = REF(FX_K_M2M, "shop.product");
    m.null = 1;
    BAD(m, "null", "null is not allowed: a many-to-many field takes a list");
}

static void test_smallint(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_SMALLINT);
    OK(f, "32767");
    OK(f, "-32768");
    OK(f, "0");
    OK(f, "-0");
    BAD(f, "32768", "'32768' is out of range for smallint: expected -32768 to 32767");
    BAD(f, "-32769", "'-32769' is out of range for smallint: expected -32768 to 32767");
    OK(f, "\"32767\"");
    BAD(f, "\"32768\"", "'32768' is out of range for smallint: expected -32768 to 32767");
    OK(f, "1e4");
    BAD(f, "1e5", "'1e5' is out of range for smallint: expected -32768 to 32767");
    f.positive = 1;
    OK(f, "0");
    OK(f, "\"-0\"");
    BAD(f, "-1", "'-1' is out of range for positive smallint: expected 0 to 32767");
    BAD(f, "-1.0", "'-1.0' is out of range for positive smallint: expected 0 to 32767");
}

static void test_int(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_INT);
    OK(f, "2147483647");
    OK(f, "-2147483648");
    BAD(f, "2147483648", "'2147483648' is out of range for int: expected -2147483648 to "
        "2147483647");
    BAD(f, "-2147483649", "'-2147483649' is out of range for int: expected -2147483648 to "
        "2147483647");
    /* int() of a string: whitespace, sign, underscores between digits */
    OK(f, "\"42\"");
    OK(f, "\" 42\\n\"");
    OK(f, "\"+1_000\"");
    OK(f, "\"007\"");
    OK(f, "\"\\u00a042\"");   /* NO-BREAK SPACE is whitespace to int() */
    BAD(f, "\"1__0\"", "'1__0' is not an integer");
    BAD(f, "\"_1\"", "'_1' is not an integer");
    BAD(f, "\"1_\"", "'1_' is not an integer");
    BAD(f, "\"1.0\"", "'1.0' is not an integer");
    BAD(f, "\"\"", "'' is not an integer");
    BAD(f, "\"abc\"", "'abc' is not an integer");
    BAD(f, "\"\\u001c5\"", "'\\x1c5' is not an integer");
    /* floats: int() takes integral ones; fractions are refused */
    OK(f, "1.0");
    OK(f, "1e3");
    OK(f, "-2.147483648e9");
    BAD(f, "1.5", "'1.5' is not an integer");
    BAD(f, "1e-1", "'1e-1' is not an integer");
    BAD(f, "NaN", "'NaN' is not an integer");
    BAD(f, "Infinity", "'Infinity' is not an integer");
    BAD(f, "true", "true is not an integer");
    BAD(f, "false", "false is not an integer");
    BAD(f, "[1]", "a list is not an integer");
    BAD(f, "{}", "an object is not an integer");
}

static void test_bigint(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_BIGINT);
    const char *range = "is out of range for bigint: expected -9223372036854775808 to "
                        "9223372036854775807";
    char want[256];
    OK(f, "9223372036854775807");
    OK(f, "-9223372036854775808");
    OK(f, "\"0009223372036854775807\"");
    snprintf(want, sizeof want, "'9223372036854775808' %s", range);
    BAD(f, "9223372036854775808", want);
    snprintf(want, sizeof want, "'-9223372036854775809' %s", range);
    BAD(f, "-9223372036854775809", want);
    snprintf(want, sizeof want, "'18446744073709551616' %s", range);
    BAD(f, "18446744073709551616", want);
    snprintf(want, sizeof want, "'18446744073709551616' %s", range);
    BAD(f, "\"18446744073709551616\"", want);
    BAD(f, "123456789012345678901234567890123456789012345678901234567890", NULL);
    OK(f, "9.2e18");
    OK(f, "-9.223372036854775808e18");
    snprintf(want, sizeof want, "'9.3e18' %s", range);
    BAD(f, "9.3e18", want);
    snprintf(want, sizeof want, "'9223372036854775807.0' %s", range);   /* 2**63 */
    BAD(f, "9223372036854775807.0", want);
}

static void test_bool(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_BOOL);
    const char *oks[] = {"true", "false", "1", "0", "1.0", "0.0", "-0", "\"t\"", "\"f\"",
                         "\"True\"", "\"False\"", "\"1\"", "\"0\""};
    for (size_t i = 0; i < sizeof oks / sizeof oks[0]; i++)
        OK(f, oks[i]);
    BAD(f, "2", "'2' is not a boolean: expected true or false");
    BAD(f, "\"true\"", "'true' is not a boolean: expected true or false");
    BAD(f, "\"yes\"", "'yes' is not a boolean: expected true or false");
    BAD(f, "\"T\"", "'T' is not a boolean: expected true or false");
    BAD(f, "\" 1\"", "' 1' is not a boolean: expected true or false");
    BAD(f, "\"\"", "'' is not a boolean: expected true or false");
    BAD(f, "[]", "a list is not a boolean: expected true or false");
    BAD(f, "null", "null is not allowed: this field is NOT NULL");
    f.null = 1;   /* null=True: empty values are None */
    OK(f, "null");
    OK(f, "\"\"");
    OK(f, "[]");
    OK(f, "{ }");
    BAD(f, "[0]", "a list is not a boolean: expected true or false");
}

static void test_decimal(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_DECIMAL);
    f.max_digits = 12;
    f.decimal_places = 2;
    OK(f, "\"9999999999.99\"");
    OK(f, "\"-9999999999.99\"");
    OK(f, "\"0.00\"");
    OK(f, "\"0.10\"");
    OK(f, "\"1E+3\"");
    OK(f, "\" 1_000.5 \"");
    OK(f, "\"+.5\"");
    OK(f, "\"5.\"");
    OK(f, "12.5");
    OK(f, "7");
    BAD(f, "\"99999999999.99\"", "ensure that there are no more than 12 digits in total");
    BAD(f, "\"12.345\"", "ensure that there are no more than 2 decimal places");
    BAD(f, "12.345", "ensure that there are no more than 2 decimal places");
    BAD(f, "\"0.001\"", "ensure that there are no more than 2 decimal places");
    BAD(f, "\"12345678901\"",
        "ensure that there are no more than 10 digits before the decimal point");
    BAD(f, "\"1e10\"", "ensure that there are no more than 10 digits before the decimal point");
    BAD(f, "\"1e12\"", "ensure that there are no more than 12 digits in total");
    BAD(f, "\"abc\"", "'abc' is not a decimal number");
    BAD(f, "\"1.2.3\"", "'1.2.3' is not a decimal number");
    BAD(f, "\".\"", "'.' is not a decimal number");
    BAD(f, "\"1e\"", "'1e' is not a decimal number");
    BAD(f, "\"\"", "'' is not a decimal number");
    BAD(f, "true", "true is not a decimal number");
    BAD(f, "[1]", "a list is not a decimal number");
    BAD(f, "\"NaN\"", "'NaN' is not allowed in a decimal column: expected a finite number");
    BAD(f, "\"-Infinity\"",
        "'-Infinity' is not allowed in a decimal column: expected a finite number");
    BAD(f, "\"sNaN12\"", "'sNaN12' is not allowed in a decimal column: expected a finite number");
    BAD(f, "NaN", "'NaN' is not allowed in a decimal column: expected a finite number");
    BAD(f, "Infinity", "'Infinity' is not allowed in a decimal column: expected a finite number");

    fx_field_schema one = F(FX_K_DECIMAL);   /* singular messages */
    one.max_digits = 1;
    one.decimal_places = 1;
    OK(one, "\"0.5\"");
    BAD(one, "\"12\"", "ensure that there are no more than 1 digit in total");
    BAD(one, "\"0.05\"", "ensure that there are no more than 1 digit in total");
    one.max_digits = 2;
    BAD(one, "\"0.05\"", "ensure that there are no more than 1 decimal place");
    BAD(one, "\"12\"", "ensure that there are no more than 1 digit before the decimal point");

    fx_field_schema any = F(FX_K_DECIMAL);   /* limits unknown: syntax only */
    OK(any, "\"12345678901234567890.123456789\"");
    OK(any, "\"1e999999999999999999\"");
    BAD(any, "\"1,5\"", "'1,5' is not a decimal number");
}

static void test_float(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_FLOAT);
    const char *oks[] = {"1.5", "1", "-0.0", "1e308", "1e400", "NaN", "Infinity", "-Infinity",
                         "\"1.5\"", "\" 1e5 \"", "\"1_0.5\"", "\"nan\"", "\"-inf\"",
                         "\"Infinity\"", "\".5\"", "\"5.\"", "\"1e999\""};
    for (size_t i = 0; i < sizeof oks / sizeof oks[0]; i++)
        OK(f, oks[i]);
    BAD(f, "\"abc\"", "'abc' is not a number");
    BAD(f, "\"1__0\"", "'1__0' is not a number");
    BAD(f, "\"1_.5\"", "'1_.5' is not a number");
    BAD(f, "\"infinit\"", "'infinit' is not a number");
    BAD(f, "\"nan1\"", "'nan1' is not a number");
    BAD(f, "\"\"", "'' is not a number");
    BAD(f, "true", "true is not a number");
    BAD(f, "{}", "an object is not a number");
    char big[400] = "1";
    memset(big + 1, '0', 330);   /* an int past DBL_MAX: float() raises */
    big[331] = '\0';
    char msg[256];
    assert_int_equal(fx_check_value(&f, schema, V(big), msg, sizeof msg), 1);
    assert_non_null(strstr(msg, "...' is too large for a float"));
}

static void test_char(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_CHAR);
    f.max_length = 5;
    OK(f, "\"\"");
    OK(f, "\"abcde\"");
    BAD(f, "\"abcdef\"", "ensure this value has at most 5 characters (it has 6)");
    OK(f, "\"h\xc3\xa9llo\"");                /* é: 2 bytes, 1 character */
    OK(f, "\"h\\u00e9llo\"");
    OK(f, "\"a\\\"b\\\\c\"");                 /* a"b\c */
    OK(f, "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"");
    BAD(f, "\"\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00"
        "\\ud83d\\ude00\"", "ensure this value has at most 5 characters (it has 6)");
    BAD(f, "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"",
        "ensure this value has at most 5 characters (it has 6)");
    /* str(value) for other scalars */
    OK(f, "12345");
    BAD(f, "123456", "ensure this value has at most 5 characters (it has 6)");
    OK(f, "-1234");
    OK(f, "1.5");
    OK(f, "1e16");   /* '1e+16' */
    BAD(f, "1e15", "ensure this value has at most 5 characters (it has 18)");
    OK(f, "0.00001");   /* '1e-05' */
    OK(f, "1E-5");
    BAD(f, "0.1234", "ensure this value has at most 5 characters (it has 6)");
    OK(f, "NaN");
    OK(f, "true");
    OK(f, "false");
    f.max_length = 4;
    BAD(f, "false", "ensure this value has at most 4 characters (it has 5)");
    OK(f, "-0");        /* '0' */
    OK(f, "-0.0");      /* '-0.0' */
    BAD(f, "-0.00001", "ensure this value has at most 4 characters (it has 6)");
    f.max_length = 1;
    BAD(f, "\"ab\"", "ensure this value has at most 1 character (it has 2)");
    BAD(f, "[\"a\"]", "expected a string, got a list");
    BAD(f, "{\"a\": 1}", "expected a string, got an object");

    fx_field_schema t = F(FX_K_TEXT);
    OK(t, "\"a long text with \\n newlines and \\u00e9\"");
    OK(t, "42");
    BAD(t, "[]", "expected a string, got a list");
}

static void test_date(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_DATE);
    OK(f, "\"2024-02-29\"");
    OK(f, "\"2000-02-29\"");
    OK(f, "\"0001-01-01\"");
    OK(f, "\"9999-12-31\"");
    OK(f, "\"2024-1-5\"");
    OK(f, "\"2024-01-05\\n\"");   /* re's $ takes a final newline */
    BAD(f, "\"2023-02-29\"", "'2023-02-29' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"1900-02-29\"", "'1900-02-29' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"2024-13-01\"", "'2024-13-01' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"2024-04-31\"", "'2024-04-31' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"2024-00-10\"", "'2024-00-10' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"0000-01-01\"", "'0000-01-01' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"24-01-01\"", "'24-01-01' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"2024-001-01\"", "'2024-001-01' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"2024-01-01T00:00\"",
        "'2024-01-01T00:00' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"2024-01-01 \"", "'2024-01-01 ' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "\"2024/01/01\"", "'2024/01/01' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "20240101", "'20240101' is not a valid date: expected YYYY-MM-DD");
    BAD(f, "true", "true is not a valid date: expected YYYY-MM-DD");
}

static void test_datetime(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_DATETIME);
    const char *oks[] = {"\"2024-03-29T20:36:30.680Z\"", "\"2024-03-29T20:36:30.680\"",
                         "\"2024-03-29T20:36:30\"", "\"2024-03-29 20:36\"",
                         "\"2024-03-29T20:36:30+02:00\"", "\"2024-03-29T20:36:30-0530\"",
                         "\"2024-03-29T20:36:30+02\"", "\"2024-03-29T20:36:30,5Z\"",
                         "\"2024-03-29T20:36:30.123456789012\"", "\"2024-3-9T1:2:3\"",
                         "\"2024-03-29T20:36:30+23:59\"", "\"2024-03-29T20:36:30+05:99\"",
                         "\"2024-03-29\"", "\"2024-03-29T20:36Z\\n\""};
    for (size_t i = 0; i < sizeof oks / sizeof oks[0]; i++)
        OK(f, oks[i]);
    const char *exp = "is not a valid datetime: expected YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]";
    const char *bads[] = {"2024-03-29T24:00:00", "2024-03-29T20:60", "2024-03-29T20:36:60",
                          "2024-02-30T00:00", "2024-03-29T20:36:30+24:00",
                          "2024-03-29T20:36:30+23:99", "2024-03-29T20:36:30+",
                          "2024-03-29T20:36:30-05:", "2024-03-29T20:36:30.1234567890123",
                          "2024-03-29t20:36", "2024-03-29T20", "2024-03-29T20:36:",
                          "2024-03-29T20:36:30.", "2024-03-29T20:36:30 Z",
                          "2024-03-29T20:36:30+2:00", "2024-03-29 ", ""};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        char json[128], want[256];
        snprintf(json, sizeof json, "\"%s\"", bads[i]);
        snprintf(want, sizeof want, "'%s' %s", bads[i], exp);
        BAD(f, json, want);
    }
    BAD(f, "\"2024-02-30\"", "'2024-02-30' is not a valid date: expected YYYY-MM-DD");
    char want[256];
    snprintf(want, sizeof want, "'1711744590' %s", exp);
    BAD(f, "1711744590", want);
}

static void test_time(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_TIME);
    const char *oks[] = {"\"20:36:30\"", "\"20:36\"", "\"00:00:00.000000\"",
                         "\"20:36:30.123456\"", "\"20:36:30,5\"", "\"1:2:3\"",
                         "\"23:59:59.999999999\"",
                         "\"12:30abc\"", "\"12:30:45+02:00\""};   /* time_re has no $ */
    for (size_t i = 0; i < sizeof oks / sizeof oks[0]; i++)
        OK(f, oks[i]);
    BAD(f, "\"24:00\"", "'24:00' is not a valid time: expected HH:MM[:ss[.uuuuuu]]");
    BAD(f, "\"12:60\"", "'12:60' is not a valid time: expected HH:MM[:ss[.uuuuuu]]");
    BAD(f, "\"12:30:60\"", "'12:30:60' is not a valid time: expected HH:MM[:ss[.uuuuuu]]");
    BAD(f, "\"12\"", "'12' is not a valid time: expected HH:MM[:ss[.uuuuuu]]");
    BAD(f, "\"123:45\"", "'123:45' is not a valid time: expected HH:MM[:ss[.uuuuuu]]");
    BAD(f, "\" 12:30\"", "' 12:30' is not a valid time: expected HH:MM[:ss[.uuuuuu]]");
    BAD(f, "1230", "'1230' is not a valid time: expected HH:MM[:ss[.uuuuuu]]");
}

static void test_duration(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_DURATION);
    const char *oks[] = {
        /* Django's duration_string() */
        "06:27:08.867920", "1 02:03:04", "-1 23:59:59.999999", "00:00:00",
        /* standard_duration_re */
        "15", "15:30", "-15:30", "1 -02:03:04", "1 day, 02:03:04", "3 days, 04:05:06",
        "04:05:06,123", "04:05:06.123456789012", "999999999 00:00:00", "1 2",
        /* iso8601_duration_re */
        "P4DT1H15M20S", "PT0.5S", "-P1DT2H", "+P1D", "P", "PT", "PT1,5S", "P1_5D", "P1e5D",
        /* postgres_interval_re */
        "3 days 04:05:06", "3 days -04:05:06", "1 day", "1 days ", "+04:05:06.123456",
        /* the postgres pattern matches the empty string too */
        ""};
    for (size_t i = 0; i < sizeof oks / sizeof oks[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "\"%s\"", oks[i]);
        OK(f, json);
    }
    const char *fmt = "is not a valid duration: expected [DD] [[HH:]MM:]ss[.uuuuuu]";
    const char *bads[] = {"1:2:3:4", "12:", "abc", "P1.5.5D", "P1e-1D", "1 days 4:5",
                          "04:05:06.1234567890123", "3 days 04:05:06.1234567", "1 day,",
                          "PT1D", "P1H", " 15"};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        char json[128], want[256];
        snprintf(json, sizeof json, "\"%s\"", bads[i]);
        snprintf(want, sizeof want, "'%s' %s", bads[i], fmt);
        BAD(f, json, want);
    }
    const char *range = "is not a valid duration: a number is malformed or out of range "
                        "(at most 999999999 days)";
    const char *ranges[] = {"1000000000 00:00", "P1x5D", "P1e999D", "99999999999999999999",
                            "-1000000000 00:00:00"};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        char json[128], want[256];
        snprintf(json, sizeof json, "\"%s\"", ranges[i]);
        snprintf(want, sizeof want, "'%s' %s", ranges[i], range);
        BAD(f, json, want);
    }
    char want[256];
    snprintf(want, sizeof want, "'3600' %s", fmt);
    BAD(f, "3600", want);   /* parse_duration(3600) raises TypeError */
    /* SQLite stores a duration as a bigint of microseconds */
    f.alt_kind = FX_K_BIGINT;
    OK(f, "3600000000");
    OK(f, "\"06:27:08.867920\"");
    snprintf(want, sizeof want, "'abc' %s", fmt);
    BAD(f, "\"abc\"", want);
}

static void test_uuid(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_UUID);
    const char *oks[] = {"\"550e8400-e29b-41d4-a716-446655440000\"",
                         "\"550e8400e29b41d4a716446655440000\"",
                         "\"550E8400-E29B-41D4-A716-446655440000\"",
                         "\"{550e8400-e29b-41d4-a716-446655440000}\"",
                         "\"urn:uuid:550e8400-e29b-41d4-a716-446655440000\"",
                         "\"5-5-0e8400e29b41d4a716446655440000\"",
                         "\"0x0e8400e29b41d4a716446655440000\"",
                         "0", "12345", "340282366920938463463374607431768211455"};
    for (size_t i = 0; i < sizeof oks / sizeof oks[0]; i++)
        OK(f, oks[i]);
    const char *exp = "is not a valid uuid: expected 32 hex digits, with or without dashes";
    const char *bads[] = {"\"550e8400-e29b-41d4-a716-44665544000\"",
                          "\"550e8400-e29b-41d4-a716-44665544000g\"",
                          "\"550e8400-e29b-41d4-a716-4466554400000\"", "\"\"",
                          "340282366920938463463374607431768211456", "-1", "1.5", "true"};
    const char *shown[] = {"'550e8400-e29b-41d4-a716-44665544000'",
                           "'550e8400-e29b-41d4-a716-44665544000g'",
                           "'550e8400-e29b-41d4-a716-4466554400000'", "''",
                           "'340282366920938463463374607431768211456'", "'-1'", "'1.5'",
                           "true"};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        char want[256];
        snprintf(want, sizeof want, "%s %s", shown[i], exp);
        BAD(f, bads[i], want);
    }
}

static void test_json(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_JSON), u = F(FX_K_UNKNOWN);
    const char *oks[] = {"{\"a\": [1, 2, {\"b\": null}]}", "[]", "\"x\"", "1.5", "true",
                         "false"};
    for (size_t i = 0; i < sizeof oks / sizeof oks[0]; i++) {
        OK(f, oks[i]);
        OK(u, oks[i]);
    }
    f.null = 1;
    OK(f, "null");
}

static void test_fk(void **state)
{
    (void)state;
    fx_field_schema f = REF(FX_K_FK, "shop.product");
    OK(f, "5");
    OK(f, "\"5\"");
    OK(f, "5.0");
    BAD(f, "\"abc\"", "'abc' is not an integer (the pk of 'shop.product')");
    BAD(f, "1.5", "'1.5' is not an integer (the pk of 'shop.product')");
    BAD(f, "true", "true is not an integer (the pk of 'shop.product')");
    BAD(f, "2147483648", "'2147483648' is out of range for int: expected -2147483648 to "
        "2147483647 (the pk of 'shop.product')");
    BAD(f, "[\"x\"]", "natural key given but 'shop.product' has no natural key in the schema");
    BAD(f, "{\"id\": 5}", "an object is not a reference to 'shop.product': expected its pk "
        "or a natural key list");
    BAD(f, "null", "null is not allowed: this field is NOT NULL");
    f.null = 1;
    OK(f, "null");

    fx_field_schema sm = REF(FX_K_FK, "shop.small");
    BAD(sm, "32768", "'32768' is out of range for smallint: expected -32768 to 32767 "
        "(the pk of 'shop.small')");

    fx_field_schema u = REF(FX_K_FK, "auth.user");   /* natural key (username) */
    OK(u, "7");
    OK(u, "[\"alice\"]");
    OK(u, "[ \"al\\u00efce\" ]");
    BAD(u, "[\"alice\", \"x\"]", "natural key of 'auth.user' has 1 value, got 2");
    BAD(u, "[]", "natural key of 'auth.user' has 1 value, got 0");
    BAD(u, "[[\"alice\"]]",
        "natural key of 'auth.user': item 1 is a list, expected a string or number");

    fx_field_schema p = REF(FX_K_FK, "auth.permission");
    OK(p, "[\"add_user\", \"auth\", \"user\"]");   /* content type's key flattened in */
    OK(p, "[\"add_user\", 4]");
    BAD(p, "[\"add_user\"]", "natural key of 'auth.permission' has 2 values, got 1");
    BAD(p, "[\"add_user\", \"auth\", \"user\", \"x\"]",
        "natural key of 'auth.permission' has 2 values, got 4");

    fx_field_schema tf = REF(FX_K_FK, "auth.user");   /* to_field */
    tf.to_field = S("username");
    OK(tf, "\"alice\"");
    OK(tf, "123");
    char json[200] = "\"", want[256];
    memset(json + 1, 'x', 151);
    strcpy(json + 152, "\"");
    snprintf(want, sizeof want, "ensure this value has at most 150 characters (it has 151) "
             "(field 'username' of 'auth.user')");
    BAD(tf, json, want);
    tf.to_field = S("id");   /* the pk named */
    BAD(tf, "\"x\"", "'x' is not an integer (field 'id' of 'auth.user')");

    fx_field_schema ch = REF(FX_K_FK, "shop.special");   /* to_field that is an o2o */
    ch.to_field = S("product");
    OK(ch, "3");
    BAD(ch, "\"abc\"", "'abc' is not an integer (the pk of 'shop.product')");

    fx_field_schema it = REF(FX_K_O2O, "shop.item");   /* uuid pk */
    OK(it, "\"550e8400-e29b-41d4-a716-446655440000\"");
    BAD(it, "\"zzz\"", "'zzz' is not a valid uuid: expected 32 hex digits, with or without "
        "dashes (the pk of 'shop.item')");

    fx_field_schema c = REF(FX_K_FK, "shop.country");   /* char pk */
    OK(c, "\"FR\"");
    OK(c, "33");

    fx_field_schema x = REF(FX_K_FK, "other.thing");   /* not in the schema */
    OK(x, "1");
    OK(x, "\"anything\"");
    OK(x, "[\"a\", 2]");
    BAD(x, "{}", "an object is not a reference to 'other.thing': expected its pk or a "
        "natural key list");
    char msg[256];   /* no schema at all */
    assert_int_equal(fx_check_value(&x, NULL, V("\"k\""), msg, sizeof msg), 0);
    assert_int_equal(fx_check_value(&f, NULL, V("\"abc\""), msg, sizeof msg), 0);
}

static void test_m2m(void **state)
{
    (void)state;
    fx_field_schema f = REF(FX_K_M2M, "shop.product");
    OK(f, "[]");
    OK(f, "[1, 2, \"3\"]");
    BAD(f, "[1, \"x\"]", "item 2: 'x' is not an integer (the pk of 'shop.product')");
    BAD(f, "[[\"a\"]]",
        "item 1: natural key given but 'shop.product' has no natural key in the schema");
    BAD(f, "[null]", "item 1: null is not a reference to 'shop.product'");
    BAD(f, "[{}]", "item 1: an object is not a reference to 'shop.product': expected its "
        "pk or a natural key list");
    BAD(f, "\"1,2\"", "expected a list of references to 'shop.product', got a string");
    BAD(f, "3", "expected a list of references to 'shop.product', got a number");
    BAD(f, "{}", "expected a list of references to 'shop.product', got an object");

    fx_field_schema u = REF(FX_K_M2M, "auth.user");
    OK(u, "[[\"alice\"], [\"bob\"], 3]");
    BAD(u, "[[\"alice\"], [\"bob\", 1]]", "item 2: natural key of 'auth.user' has 1 value, "
        "got 2");
    BAD(u, "[1, \"\\u00e9\"]", "item 2: '\xc3\xa9' is not an integer (the pk of 'auth.user')");

    fx_field_schema x = REF(FX_K_M2M, "other.thing");
    OK(x, "[1, \"a\", [\"b\"]]");
}

static void test_alt_kind(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_BIGINT);
    f.alt_kind = FX_K_DURATION;
    OK(f, "5");
    OK(f, "\"1 02:03:04\"");
    BAD(f, "\"abc\"", "'abc' is not an integer");
}

static void test_messages(void **state)
{
    (void)state;
    fx_field_schema f = F(FX_K_CHAR);
    f.max_length = 2;
    char small[10];
    assert_int_equal(fx_check_value(&f, schema, V("\"abc\""), small, sizeof small), 1);
    assert_string_equal(small, "ensure th");
    assert_int_equal(fx_check_value(&f, schema, V("\"abc\""), NULL, 0), 1);
    assert_int_equal(fx_check_value(NULL, schema, V("\"abc\""), small, sizeof small), 0);
    /* long and odd values are cut and escaped in messages */
    fx_field_schema i = F(FX_K_INT);
    char msg[256];
    assert_int_equal(fx_check_value(&i, schema, V("\"a\\tb\\nc\\u0001 "
                                                  "0123456789012345678901234567890123456789"
                                                  "0123456789\""), msg, sizeof msg), 1);
    assert_string_equal(msg, "'a\\tb\\nc\\x01 012345678901234567890123456789012345...' "
                        "is not an integer");
}

/* ---------------------------------------------------------------- sameness */

static void same_at(const fx_field_schema *f, const char *a, const char *b, int want,
                    int line)
{
    int r = fx_value_same(f, schema, V(a), V(b)), r2 = fx_value_same(f, schema, V(b), V(a));
    if (r != want || r2 != want)
        print_error("line %d: %s and %s (%s): %s, expected %s\n", line, a, b,
                    f ? fx_kind_name(f->kind) : "no field", r ? "same" : "different",
                    want ? "same" : "different");
    assert_int_equal(r, want);
    assert_int_equal(r2, want);
}
#define SAME(f, a, b) same_at(&(f), (a), (b), 1, __LINE__)
#define DIFF(f, a, b) same_at(&(f), (a), (b), 0, __LINE__)

static void test_same(void **state)
{
    (void)state;
    fx_field_schema dt = F(FX_K_DATETIME);
    SAME(dt, "\"2025-01-09T10:00:09.000Z\"", "\"2025-01-09T10:00:09Z\"");
    SAME(dt, "\"2025-01-09T10:00:09Z\"", "\"2025-01-09T11:00:09+01:00\"");
    SAME(dt, "\"2025-01-09T10:00:09Z\"", "\"2025-01-09 09:30:09-0030\"");
    SAME(dt, "\"2025-01-09T10:00:09.5Z\"", "\"2025-01-09T10:00:09.500000Z\"");
    SAME(dt, "\"2025-01-09T10:00:09.1234567Z\"", "\"2025-01-09T10:00:09.123456Z\"");
    SAME(dt, "\"2025-01-01T00:30:00+01:00\"", "\"2024-12-31T23:30:00Z\"");
    SAME(dt, "\"2025-1-9 10:00\"", "\"2025-01-09T10:00:00\"");      /* both local */
    SAME(dt, "\"2025-01-09\"", "\"2025-01-09T00:00:00\"");
    DIFF(dt, "\"2025-01-09T10:00:09Z\"", "\"2025-01-09T10:00:09\"");  /* zone unknown */
    DIFF(dt, "\"2025-01-09T10:00:09Z\"", "\"2025-01-09T10:00:10Z\"");
    DIFF(dt, "\"2025-01-09T10:00:09.000001Z\"", "\"2025-01-09T10:00:09Z\"");
    DIFF(dt, "\"garbage\"", "\"2025-01-09T10:00:09Z\"");
    SAME(dt, "\"garbage\"", "\"garbage\"");                 /* does not fit: as written */

    fx_field_schema d = F(FX_K_DECIMAL);
    SAME(d, "\"1.5\"", "\"1.50\"");
    SAME(d, "\"1.5\"", "1.50");
    SAME(d, "\"001.50\"", "\"15e-1\"");
    SAME(d, "\"0\"", "\"-0.00\"");
    SAME(d, "\"100\"", "\"1E2\"");
    SAME(d, "\" 1_000.0 \"", "\"1000\"");
    DIFF(d, "\"1.5\"", "\"1.51\"");
    DIFF(d, "\"-1.5\"", "\"1.5\"");
    DIFF(d, "\"10\"", "\"1\"");

    fx_field_schema fl = F(FX_K_FLOAT);
    SAME(fl, "1.5", "1.50");
    SAME(fl, "\"1.5\"", "15e-1");
    SAME(fl, "0.0", "-0.0");
    SAME(fl, "NaN", "NaN");
    SAME(fl, "Infinity", "\"inf\"");
    DIFF(fl, "0.1", "0.10000000000000002");

    fx_field_schema i = F(FX_K_INT);
    SAME(i, "5", "\"5\"");
    SAME(i, "5", "5.0");
    SAME(i, "\" +007 \"", "7");
    SAME(i, "0", "\"-0\"");
    DIFF(i, "5", "6");
    DIFF(i, "5", "-5");

    fx_field_schema b = F(FX_K_BOOL);
    SAME(b, "true", "\"t\"");
    SAME(b, "true", "1");
    SAME(b, "false", "\"False\"");
    SAME(b, "false", "0.0");
    DIFF(b, "true", "false");

    fx_field_schema dat = F(FX_K_DATE);
    SAME(dat, "\"2025-01-09\"", "\"2025-1-9\"");
    DIFF(dat, "\"2025-01-09\"", "\"2025-01-10\"");

    fx_field_schema t = F(FX_K_TIME);
    SAME(t, "\"10:00\"", "\"10:00:00.000000\"");
    SAME(t, "\"9:05:01.5\"", "\"09:05:01.500\"");
    DIFF(t, "\"10:00\"", "\"10:00:01\"");

    fx_field_schema du = F(FX_K_DURATION);
    SAME(du, "\"P0DT01H00M00S\"", "\"1:00:00\"");
    SAME(du, "\"1 day, 0:00:00\"", "\"24:00:00\"");
    SAME(du, "\"P1DT00H00M00.500000S\"", "\"1 00:00:00.5\"");
    DIFF(du, "\"1:00:00\"", "\"1:00:01\"");

    fx_field_schema u = F(FX_K_UUID);
    SAME(u, "\"550E8400-E29B-41D4-A716-446655440000\"", "\"550e8400e29b41d4a716446655440000\"");
    SAME(u, "\"{urn:uuid:550e8400-e29b-41d4-a716-446655440000}\"",
         "\"550e8400-e29b-41d4-a716-446655440000\"");
    SAME(u, "\"00000000-0000-0000-0000-0000000000ff\"", "255");
    DIFF(u, "\"550e8400-e29b-41d4-a716-446655440000\"", "\"550e8400-e29b-41d4-a716-446655440001\"");

    fx_field_schema j = F(FX_K_JSON);
    SAME(j, "{\"a\": 1, \"b\": [1, 2]}", "{\"b\":[1,2],\"a\":1}");
    DIFF(j, "{\"a\": [1, 2]}", "{\"a\": [2, 1]}");

    fx_field_schema c = F(FX_K_CHAR);
    SAME(c, "\"caf\\u00e9\"", "\"caf\xc3\xa9\"");
    SAME(c, "\"5\"", "5");
    DIFF(c, "\"a\"", "\"A\"");
    DIFF(c, "\"a\"", "\"a \"");

    fx_field_schema fk = REF(FX_K_FK, "shop.product");       /* int pk */
    SAME(fk, "5", "\"5\"");
    DIFF(fk, "5", "6");
    fx_field_schema it = REF(FX_K_O2O, "shop.item");         /* uuid pk */
    SAME(it, "\"550E8400-E29B-41D4-A716-446655440000\"", "\"550e8400e29b41d4a716446655440000\"");
    fx_field_schema un = REF(FX_K_FK, "auth.user");          /* natural key */
    SAME(un, "[\"alice\"]", "[ \"al\\u0069ce\" ]");
    DIFF(un, "[\"alice\"]", "[\"bob\"]");

    fx_field_schema nul = F(FX_K_DECIMAL);
    nul.null = 1;
    SAME(nul, "null", "null");
    DIFF(nul, "null", "\"0\"");

    fx_field_schema alt = F(FX_K_BIGINT);              /* SQLite: duration or bigint */
    alt.alt_kind = FX_K_DURATION;
    SAME(alt, "5", "\"5\"");
    SAME(alt, "\"1:00:00\"", "\"P0DT01H00M00S\"");

    /* Without a field: as written, but for layout and escapes. */
    assert_int_equal(fx_value_same(NULL, schema, V("\"1.5\""), V("\"1.50\"")), 0);
    assert_int_equal(fx_value_same(NULL, schema, V("\"\\u0041\""), V("\"A\"")), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_null),
        cmocka_unit_test(test_smallint),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_bigint),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_float),
        cmocka_unit_test(test_char),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_fk),
        cmocka_unit_test(test_m2m),
        cmocka_unit_test(test_alt_kind),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_same),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
