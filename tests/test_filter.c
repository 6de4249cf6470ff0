/*
** test_filter.c: the selection behind fxfilter: --where parsing (every
** syntax error with its column) and evaluation (types, numbers in strings,
** dates, null, absent fields, qualified fields), --pk lists, fx_filter
** (models + pks + where, unmatched labels, checks against a schema with
** suggestions), fx_tally and the redactor.  Records are built by hand.
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

/* ---------------------------------------------------------------- helpers */

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

/* A record of label with pk (NULL: none) and up to 8 fields "name", json. */
typedef struct {
    fx_record r;
    fx_field f[8];
    char pk[64];
} rec_t;

static void R(rec_t *t, const char *label, const char *pk, ...)
{
    va_list ap;
    memset(t, 0, sizeof *t);
    t->r.text = "{}";
    t->r.len = 2;
    t->r.file = "t.json";
    t->r.line = t->r.col = 1;
    t->r.model = label;
    t->r.label = label;
    t->r.fields = t->f;
    if (pk) {
        t->r.has_pk = 1;
        t->r.pk = V(pk);
        /* pk_key: the pk's text, a string's without its quotes (no escapes here) */
        snprintf(t->pk, sizeof t->pk, "%.*s", (int)strlen(pk) - 2 * (pk[0] == '"'),
                 pk + (pk[0] == '"'));
        t->r.pk_key = t->pk;
    }
    va_start(ap, pk);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        fx_field *f = &t->f[t->r.nfields++];
        f->name = name;
        f->name_len = strlen(name);
        f->value = V(va_arg(ap, const char *));
    }
    va_end(ap);
}

/* Does the expression hold for a commande record with the given field? */
static int holds(const char *expr, const char *field, const char *json)
{
    fx_where *w;
    fx_error err;
    rec_t t;
    if (fx_where_parse(&w, expr, &err) != 0) {
        fail_msg("'%s' did not parse: %s", expr, err.msg);
        return -1;
    }
    R(&t, "supermarket.commande", "7", field, json, NULL);
    int m = fx_where_match(w, &t.r);
    fx_where_free(w);
    return m;
}

/* The column and message of a parse error. */
static void bad(const char *expr, unsigned long col, const char *msg)
{
    fx_where *w = (fx_where *)1;
    fx_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fx_where_parse(&w, expr, &err), FX_EUSAGE);
    assert_null(w);
    if (err.col != col || !strstr(err.msg, msg))
        fail_msg("'%s': got column %lu '%s', want column %lu '%s'", expr, err.col, err.msg,
                 col, msg);
}

/* ---------------------------------------------------------------- where */

static void test_where_syntax_errors(void **state)
{
    (void)state;
    bad("", 1, "empty expression");
    bad("   ", 4, "empty expression");
    bad("=3", 1, "expected a field name before '='");
    bad("9x=3", 1, "expected a field name, not '9'");
    bad("agence", 7, "expected an operator");
    bad("agence 2", 8, "expected an operator (= != < <= > >=), not '2'");
    bad("agence=>2", 8, "a value cannot start with '>'");
    bad("agence==2", 7, "unknown operator '==': write '='");
    bad("agence<>2", 7, "unknown operator '<>': write '!='");
    bad("statut=", 8, "expected a value after '='");
    bad("statut != ", 11, "expected a value after '!='");
    bad("nom=\"abc", 5, "this quote (\") is not closed");
    bad("nom='abc", 5, "this quote (') is not closed");
    bad("nom=\"a\" b", 9, "unexpected text after the closing quote");
    bad("date>2025-13-01", 6, "the month must be 01 to 12");
    bad("date>2025-02-30", 6, "no such day in that month");
    bad("date>2023-02-29", 6, "no such day");
    bad("heure<25:00", 7, "the time must be");
    bad("client<null", 7, "'<' cannot compare with null, true or false");
    bad("actif>=true", 6, "'>=' cannot compare");
    bad("a.b=1", 1, "a field is NAME or app_label.model.NAME");
    bad("a.b.c.d=1", 1, "too many dots");
    bad("a.=1", 3, "expected a field name");
    /* the column counts characters, not bytes */
    bad("prénom=>x", 8, "a value cannot start with '>'");
    /* and the message quotes the expression */
    bad("x<", 3, "bad --where 'x<' at column 3");
}

static void test_where_valid(void **state)
{
    (void)state;
    const char *ok[] = {"a=1", " a = 1 ", "a!=x", "a<1", "a<=1", "a>1", "a>=1",
                        "a=null", "a!=null", "a=true", "a=false", "a=\"\"", "a=''",
                        "a=\"x \\\" y\"", "supermarket.commande.agence=2", "pk<=10",
                        "a=2024-02-29", "a=12:30", "a=2025-01-05T14:30:22.123Z",
                        "a=2025-01-05 14:30", "a=2025-01-05T14:30:22+01:00", "a=-1.5e3",
                        "a=hello world", "_x9=1", NULL};
    for (int i = 0; ok[i]; i++) {
        fx_where *w;
        fx_error err;
        if (fx_where_parse(&w, ok[i], &err) != 0)
            fail_msg("'%s': %s", ok[i], err.msg);
        fx_where_free(w);
    }
}

static void test_where_strings(void **state)
{
    (void)state;
    assert_int_equal(holds("statut=payée", "statut", "\"payée\""), 1);
    assert_int_equal(holds("statut=payée", "statut", "\"pay\\u00e9e\""), 1); /* escapes */
    assert_int_equal(holds("statut!=annulée", "statut", "\"payée\""), 1);
    assert_int_equal(holds("statut!=annulée", "statut", "\"annulée\""), 0);
    assert_int_equal(holds("statut = payée ", "statut", "\"payée\""), 1);  /* trimmed */
    assert_int_equal(holds("nom=Kouassi Aya", "nom", "\"Kouassi Aya\""), 1);
    assert_int_equal(holds("nom<B", "nom", "\"Aya\""), 1);
    assert_int_equal(holds("nom<B", "nom", "\"Éric\""), 0);       /* code point order */
    assert_int_equal(holds("nom=\"\"", "nom", "\"\""), 1);
    assert_int_equal(holds("nom=''", "nom", "\"x\""), 0);
    assert_int_equal(holds("nom='a \"b\"'", "nom", "\"a \\\"b\\\"\""), 1);
    assert_int_equal(holds("nom=\"it\\\"s\"", "nom", "\"it\\\"s\""), 1);
    /* a string literal against a number compares with its text */
    assert_int_equal(holds("code=\"7\"", "code", "7"), 1);
    /* quoting makes a number a string: "10" < "9" as strings */
    assert_int_equal(holds("code<\"9\"", "code", "\"10\""), 1);
    assert_int_equal(holds("code<9", "code", "\"10\""), 0);
    /* quoting makes null a string */
    assert_int_equal(holds("nom=\"null\"", "nom", "null"), 0);
    assert_int_equal(holds("nom=\"null\"", "nom", "\"null\""), 1);
}

static void test_where_numbers(void **state)
{
    (void)state;
    assert_int_equal(holds("agence=2", "agence", "2"), 1);
    assert_int_equal(holds("agence=2", "agence", "3"), 0);
    assert_int_equal(holds("agence=2.0", "agence", "2"), 1);
    assert_int_equal(holds("agence>=2", "agence", "10"), 1);      /* not lexical */
    assert_int_equal(holds("total>100", "total", "\"12.50\""), 0); /* decimals as strings */
    assert_int_equal(holds("total<100", "total", "\"12.50\""), 1);
    assert_int_equal(holds("total=12.5", "total", "\"12.50\""), 1);
    assert_int_equal(holds("total>=12.50", "total", "\"12.5\""), 1);
    assert_int_equal(holds("total>-1", "total", "\"-0.50\""), 1);
    assert_int_equal(holds("total<-0.4", "total", "\"-0.50\""), 1);
    assert_int_equal(holds("total=0", "total", "\"-0.00\""), 1);
    assert_int_equal(holds("total=0", "total", "\"000.000\""), 1);
    /* beyond 2^64, exactly */
    assert_int_equal(holds("n>123456789012345678901234567890", "n",
                           "123456789012345678901234567891"), 1);
    assert_int_equal(holds("n=123456789012345678901234567890", "n",
                           "123456789012345678901234567891"), 0);
    /* exponents */
    assert_int_equal(holds("tva<0.001", "tva", "1e-07"), 1);
    assert_int_equal(holds("tva=1e-07", "tva", "1e-07"), 1);
    assert_int_equal(holds("tva>1e3", "tva", "1500"), 1);
    /* NaN is unordered: only != holds; Infinity is a number */
    assert_int_equal(holds("tva=0", "tva", "NaN"), 0);
    assert_int_equal(holds("tva!=0", "tva", "NaN"), 1);
    assert_int_equal(holds("tva<0", "tva", "NaN"), 0);
    assert_int_equal(holds("tva>1e300", "tva", "Infinity"), 1);
    /* a string that is no number is unequal */
    assert_int_equal(holds("code=12", "code", "\"AB12\""), 0);
    assert_int_equal(holds("code!=12", "code", "\"AB12\""), 1);
    assert_int_equal(holds("code<12", "code", "\"AB12\""), 0);
    assert_int_equal(holds("code>12", "code", "\"AB12\""), 0);
    assert_int_equal(holds("code=12", "code", "true"), 0);
}

static void test_where_dates(void **state)
{
    (void)state;
    const char *dt = "\"2025-01-05T14:30:22.123Z\"";
    assert_int_equal(holds("date>=2025-01-01", "date", dt), 1);
    assert_int_equal(holds("date<2025-01-01", "date", dt), 0);
    assert_int_equal(holds("date=2025-01-05", "date", dt), 1);   /* the whole day */
    assert_int_equal(holds("date>2025-01-05", "date", dt), 0);
    assert_int_equal(holds("date<=2025-01-05", "date", dt), 1);
    assert_int_equal(holds("date>2025-01-05T14:30", "date", dt), 1);
    assert_int_equal(holds("date<2025-01-05T14:30:22.124", "date", dt), 1);
    assert_int_equal(holds("date=2025-01-05T14:30:22.123000Z", "date", dt), 1);
    assert_int_equal(holds("date=2025-01-05 14:30:22.123", "date", dt), 1);
    /* offsets are normalised to UTC */
    assert_int_equal(holds("date=2025-01-05T15:30:22.123+01:00", "date", dt), 1);
    assert_int_equal(holds("date=2025-01-06", "date", "\"2025-01-05T23:30:00-02:00\""), 1);
    assert_int_equal(holds("date=2025-01-05", "date", "\"2025-01-05T23:30:00-0200\""), 0);
    /* dates against dates, datetimes against a date field */
    assert_int_equal(holds("naissance<1990-01-01", "naissance", "\"1962-09-14\""), 1);
    assert_int_equal(holds("naissance=1962-09-14T00:00", "naissance", "\"1962-09-14\""), 1);
    /* times */
    assert_int_equal(holds("heure<06:00", "heure", "\"05:59:59.999999\""), 1);
    assert_int_equal(holds("heure>=06:00", "heure", "\"06:00:00\""), 1);
    assert_int_equal(holds("heure=06:00", "heure", dt), 0);     /* a time is no date */
    /* not a date at all */
    assert_int_equal(holds("date>2025-01-01", "date", "\"hier\""), 0);
    assert_int_equal(holds("date!=2025-01-01", "date", "\"hier\""), 1);
    assert_int_equal(holds("date>2025-01-01", "date", "20250101"), 0);
}

static void test_where_null_bool_absent(void **state)
{
    (void)state;
    assert_int_equal(holds("client=null", "client", "null"), 1);
    assert_int_equal(holds("client=null", "client", "5"), 0);
    assert_int_equal(holds("client!=null", "client", "5"), 1);
    assert_int_equal(holds("client!=null", "client", "null"), 0);
    assert_int_equal(holds("client=5", "client", "null"), 0);
    assert_int_equal(holds("client!=5", "client", "null"), 1);   /* != negates = */
    assert_int_equal(holds("client<5", "client", "null"), 0);
    assert_int_equal(holds("actif=true", "actif", "true"), 1);
    assert_int_equal(holds("actif=true", "actif", "false"), 0);
    assert_int_equal(holds("actif!=true", "actif", "false"), 1);
    assert_int_equal(holds("actif=false", "actif", "\"false\""), 0);
    /* arrays and objects are unequal to everything */
    assert_int_equal(holds("tags=x", "tags", "[\"x\"]"), 0);
    assert_int_equal(holds("tags!=x", "tags", "[\"x\"]"), 1);
    assert_int_equal(holds("tags=null", "tags", "{}"), 0);
    /* a field the record lacks: false whatever the operator */
    assert_int_equal(holds("absent=1", "other", "1"), 0);
    assert_int_equal(holds("absent!=1", "other", "1"), 0);
    assert_int_equal(holds("absent=null", "other", "1"), 0);
    assert_int_equal(holds("absent!=null", "other", "1"), 0);
}

static void test_where_pk_and_qualified(void **state)
{
    (void)state;
    fx_where *w;
    fx_error err;
    rec_t t;
    assert_int_equal(fx_where_parse(&w, "pk<=10", &err), 0);
    R(&t, "a.b", "7", NULL);
    assert_int_equal(fx_where_match(w, &t.r), 1);
    R(&t, "a.b", "11", NULL);
    assert_int_equal(fx_where_match(w, &t.r), 0);
    R(&t, "a.b", NULL, NULL);                    /* natural-primary: no pk */
    assert_int_equal(fx_where_match(w, &t.r), 0);
    fx_where_free(w);

    assert_int_equal(fx_where_parse(&w, "Supermarket.Commande.statut=payée", &err), 0);
    R(&t, "supermarket.commande", "1", "statut", "\"payée\"", NULL);
    assert_int_equal(fx_where_match(w, &t.r), 1);
    R(&t, "supermarket.commande", "1", "statut", "\"annulée\"", NULL);
    assert_int_equal(fx_where_match(w, &t.r), 0);
    R(&t, "supermarket.client", "1", "nom", "\"x\"", NULL);   /* another model: true */
    assert_int_equal(fx_where_match(w, &t.r), 1);
    fx_where_free(w);

    /* duplicate fields: the last one counts, as in Python */
    assert_int_equal(fx_where_parse(&w, "a=2", &err), 0);
    R(&t, "x.y", "1", "a", "1", "a", "2", NULL);
    assert_int_equal(fx_where_match(w, &t.r), 1);
    fx_where_free(w);
}

/* ---------------------------------------------------------------- pks */

static int pk_in(const char *list, const char *pk)
{
    fx_pks *p;
    fx_error err;
    rec_t t;
    if (fx_pks_parse(&p, list, &err) != 0) {
        fail_msg("'%s': %s", list, err.msg);
        return -1;
    }
    R(&t, "a.b", pk, NULL);
    int m = fx_pks_match(p, &t.r);
    fx_pks_free(p);
    return m;
}

static void test_pks(void **state)
{
    (void)state;
    assert_int_equal(pk_in("1,5,10-20", "1"), 1);
    assert_int_equal(pk_in("1,5,10-20", "5"), 1);
    assert_int_equal(pk_in("1,5,10-20", "10"), 1);
    assert_int_equal(pk_in("1,5,10-20", "15"), 1);
    assert_int_equal(pk_in("1,5,10-20", "20"), 1);
    assert_int_equal(pk_in("1,5,10-20", "21"), 0);
    assert_int_equal(pk_in("1,5,10-20", "2"), 0);
    assert_int_equal(pk_in("10-20,15-30, 40", "25"), 1);   /* overlapping, merged */
    assert_int_equal(pk_in("10-20,15-30, 40", "40"), 1);
    assert_int_equal(pk_in("10-20,15-30, 40", "35"), 0);
    assert_int_equal(pk_in("18446744073709551615", "18446744073709551615"), 1);
    /* other items are exact texts: uuids, codes */
    assert_int_equal(pk_in("550e8400-e29b-41d4-a716-446655440000,AB",
                           "\"550e8400-e29b-41d4-a716-446655440000\""), 1);
    assert_int_equal(pk_in("AB", "\"AB\""), 1);
    assert_int_equal(pk_in("AB", "\"ab\""), 0);
    assert_int_equal(pk_in("1-5", NULL), 0);

    fx_pks *p = (fx_pks *)1;
    fx_error err;
    assert_int_equal(fx_pks_parse(&p, "1,,2", &err), FX_EUSAGE);
    assert_null(p);
    assert_int_equal(err.col, 3);
    assert_non_null(strstr(err.msg, "an empty item"));
    assert_int_equal(fx_pks_parse(&p, "1,20-10", &err), FX_EUSAGE);
    assert_int_equal(err.col, 3);
    assert_non_null(strstr(err.msg, "the range 20-10 runs backwards"));
    assert_int_equal(fx_pks_parse(&p, "", &err), FX_EUSAGE);
}

/* ---------------------------------------------------------------- filter */

static const char schema_json[] =
    "{\"fx_schema\": 1, \"models\": {"
    " \"auth.user\": {\"fields\": {\"password\": {\"kind\": \"char\", \"max_length\": 128},"
    "   \"last_login\": {\"kind\": \"datetime\", \"null\": true}}},"
    " \"supermarket.commande\": {\"fields\": {"
    "   \"numero\": {\"kind\": \"char\", \"max_length\": 30},"
    "   \"date\": {\"kind\": \"datetime\"},"
    "   \"client\": {\"kind\": \"fk\", \"to\": \"supermarket.client\", \"null\": true},"
    "   \"total\": {\"kind\": \"decimal\", \"max_digits\": 14, \"decimal_places\": 2},"
    "   \"remise\": {\"kind\": \"smallint\"}, \"ok\": {\"kind\": \"bool\"},"
    "   \"meta\": {\"kind\": \"json\"}}},"
    " \"supermarket.client\": {\"fields\": {\"nom\": {\"kind\": \"char\", \"max_length\": 9}}},"
    " \"supermarket.lignecommande\": {\"fields\": {}}}}";

static fx_schema *load_schema(void)
{
    fx_schema *s;
    fx_error err;
    if (fx_schema_parse(&s, schema_json, sizeof schema_json - 1, "erp.json", &err) != 0)
        fail_msg("schema: %s", err.msg);
    return s;
}

static void test_filter_combined(void **state)
{
    (void)state;
    fx_filter *f;
    fx_error err;
    rec_t t;
    assert_int_equal(fx_filter_new(&f), 0);
    assert_int_equal(fx_filter_empty(f), 1);
    R(&t, "x.y", "1", NULL);
    assert_int_equal(fx_filter_match(f, &t.r), 1);             /* keeps everything */
    assert_int_equal(fx_filter_model(f, "supermarket.Commande", 0, &err), 0);
    assert_int_equal(fx_filter_model(f, "auth", 0, &err), 0);
    assert_int_equal(fx_filter_model(f, "auth.permission", 1, &err), 0);
    assert_int_equal(fx_filter_where(f, "statut!=annulée", &err), 0);
    assert_int_equal(fx_filter_empty(f), 0);
    R(&t, "supermarket.commande", "1", "statut", "\"payée\"", NULL);
    assert_int_equal(fx_filter_match(f, &t.r), 1);
    R(&t, "supermarket.commande", "2", "statut", "\"annulée\"", NULL);
    assert_int_equal(fx_filter_match(f, &t.r), 0);
    R(&t, "supermarket.client", "1", "statut", "\"payée\"", NULL);
    assert_int_equal(fx_filter_match(f, &t.r), 0);
    R(&t, "auth.permission", "1", "statut", "\"payée\"", NULL);
    assert_int_equal(fx_filter_match(f, &t.r), 0);
    /* auth kept nothing yet */
    assert_string_equal(fx_filter_unmatched(f, 0), "auth");
    assert_null(fx_filter_unmatched(f, 1));
    R(&t, "auth.user", "1", "statut", "\"x\"", NULL);
    assert_int_equal(fx_filter_match(f, &t.r), 1);
    assert_null(fx_filter_unmatched(f, 0));
    /* --pk needs one model */
    assert_int_equal(fx_filter_pks(f, "1-3", &err), 0);
    assert_int_equal(fx_filter_pks(f, "4", &err), FX_EUSAGE);
    assert_int_equal(fx_filter_check(f, NULL, &err), FX_EUSAGE);
    assert_non_null(strstr(err.msg, "--pk needs exactly one --model"));
    fx_filter_free(f);

    assert_int_equal(fx_filter_new(&f), 0);
    assert_int_equal(fx_filter_model(f, "supermarket.commande", 0, &err), 0);
    assert_int_equal(fx_filter_pks(f, "1-3", &err), 0);
    assert_int_equal(fx_filter_check(f, NULL, &err), 0);
    R(&t, "supermarket.commande", "3", NULL);
    assert_int_equal(fx_filter_match(f, &t.r), 1);
    R(&t, "supermarket.commande", "4", NULL);
    assert_int_equal(fx_filter_match(f, &t.r), 0);
    assert_int_equal(fx_filter_model(f, "bad label", 0, &err), FX_EUSAGE);
    fx_filter_free(f);
}

static void check_err(const char *label, int exclude, const char *msg)
{
    fx_schema *s = load_schema();
    fx_filter *f;
    fx_error err;
    assert_int_equal(fx_filter_new(&f), 0);
    assert_int_equal(fx_filter_model(f, label, exclude, &err), 0);
    int rc = fx_filter_check(f, s, &err);
    if (msg == NULL) {
        assert_int_equal(rc, 0);
    } else {
        assert_int_equal(rc, FX_EUSAGE);
        if (!strstr(err.msg, msg))
            fail_msg("'%s': got '%s', want '%s'", label, err.msg, msg);
    }
    fx_filter_free(f);
    fx_schema_free(s);
}

static void test_filter_check_schema(void **state)
{
    (void)state;
    check_err("supermarket.commande", 0, NULL);
    check_err("Supermarket.Commande", 0, NULL);
    check_err("supermarket", 0, NULL);
    check_err("auth", 1, NULL);
    check_err("supermarket.comande", 0,
              "unknown model 'supermarket.comande' in erp.json: did you mean "
              "'supermarket.commande'?");
    check_err("supermarket.clients", 1, "did you mean 'supermarket.client'?");
    check_err("supermarkt", 0, "unknown app 'supermarkt' in erp.json: did you mean "
              "'supermarket'?");
    check_err("commande", 0, "did you mean 'supermarket.commande'?");
    check_err("zzzzzzzzzzzz.qqqqqqqq", 0, "--print-schema lists its models");
}

static void test_tally(void **state)
{
    (void)state;
    fx_tally *t;
    rec_t a, b, c;
    const fx_tally_row *rows;
    assert_int_equal(fx_tally_new(&t), 0);
    R(&a, "x.a", "1", NULL);
    a.r.len = 10;
    R(&b, "x.b", "1", NULL);
    b.r.len = 25;
    R(&c, "x.c", "1", NULL);
    c.r.len = 25;
    assert_int_equal(fx_tally_add(t, &a.r), 0);
    assert_int_equal(fx_tally_add(t, &a.r), 0);
    assert_int_equal(fx_tally_add(t, &a.r), 0);
    assert_int_equal(fx_tally_add(t, &c.r), 0);
    assert_int_equal(fx_tally_add(t, &b.r), 0);
    assert_int_equal(fx_tally_add(t, &a.r), 0);
    assert_int_equal(fx_tally_rows(t, &rows), 3);
    assert_string_equal(rows[0].label, "x.a");    /* 40 bytes */
    assert_int_equal(rows[0].records, 4);
    assert_int_equal(rows[0].bytes, 40);
    assert_string_equal(rows[1].label, "x.b");    /* ties by label */
    assert_string_equal(rows[2].label, "x.c");
    fx_tally_free(t);
}

/* ---------------------------------------------------------------- redact */

/* Apply rules (NULL-terminated "spec" / "-spec" for --drop-field) to rec
** and return field name's value text in the copy ("<absent>"/"<same>"). */
static char got[1100];
static const char *redact(fx_schema *s, const rec_t *t, const char *field, ...)
{
    fx_redactor *r;
    fx_error err;
    fx_record *c;
    va_list ap;
    assert_int_equal(fx_redactor_new(&r, s), 0);
    va_start(ap, field);
    const char *spec;
    while ((spec = va_arg(ap, const char *)) != NULL)
        assert_int_equal(fx_redactor_add(r, spec + (spec[0] == '-'), spec[0] == '-', &err), 0);
    va_end(ap);
    int rc = fx_redactor_apply(r, &t->r, &c, &err);
    if (rc < 0)
        snprintf(got, sizeof got, "<error %s>", err.msg);
    else if (rc == 0)
        snprintf(got, sizeof got, "<same>");
    else {
        assert_int_equal(c->changed, 1);
        const fx_field *f = fx_record_field(c, field);
        snprintf(got, sizeof got, "%.*s", f ? (int)f->value.len : 8,
                 f ? f->value.text : "<absent>");
        fx_record_free(c);
    }
    fx_redactor_free(r);
    return got;
}

static void test_redact(void **state)
{
    (void)state;
    fx_schema *s = load_schema();
    rec_t u, cmd;
    R(&u, "auth.user", "1", "password", "\"pbkdf2$x\"", "email", "\"a@b.ci\"",
      "last_login", "\"2024-01-01T00:00:00Z\"", "n", "5", "ok", "true", "tags", "[1]", NULL);
    R(&cmd, "supermarket.commande", "1", "numero", "\"C1\"", "date", "\"2025-01-01\"",
      "client", "5", "total", "\"12.50\"", "remise", "3", "ok", "true", "meta", "{\"a\":1}",
      NULL);

    /* defaults: the unusable password, then by JSON type without schema */
    assert_string_equal(redact(NULL, &u, "password", "auth.user.password", NULL), "\"!\"");
    assert_string_equal(redact(NULL, &u, "password", "password", NULL), "\"!\"");
    assert_string_equal(redact(NULL, &u, "email", "*.email", NULL), "\"\"");
    assert_string_equal(redact(NULL, &u, "n", "auth.user.n", NULL), "0");
    assert_string_equal(redact(NULL, &u, "ok", "auth.*.ok", NULL), "false");
    assert_string_equal(redact(NULL, &u, "tags", "tags", NULL), "[]");
    /* with a schema: by kind and null-ability */
    assert_string_equal(redact(s, &u, "last_login", "last_login", NULL), "null");
    assert_string_equal(redact(s, &cmd, "numero", "numero", NULL), "\"\"");
    assert_string_equal(redact(s, &cmd, "client", "client", NULL), "null");
    assert_string_equal(redact(s, &cmd, "total", "total", NULL), "\"0.00\"");
    assert_string_equal(redact(s, &cmd, "remise", "remise", NULL), "0");
    assert_string_equal(redact(s, &cmd, "ok", "ok", NULL), "false");
    assert_string_equal(redact(s, &cmd, "meta", "meta", NULL), "{}");
    assert_non_null(strstr(redact(s, &cmd, "date", "date", NULL),
                           "<error no default replacement for supermarket.commande.date "
                           "(datetime, not null)"));
    /* values: JSON when it parses, else a string */
    assert_string_equal(redact(s, &cmd, "date", "date=2000-01-01", NULL), "\"2000-01-01\"");
    assert_string_equal(redact(s, &cmd, "remise", "remise=7", NULL), "7");
    assert_string_equal(redact(s, &cmd, "remise", "remise=0007", NULL), "\"0007\"");
    assert_string_equal(redact(s, &cmd, "numero", "numero=", NULL), "\"\"");
    assert_string_equal(redact(s, &cmd, "numero", "numero=null", NULL), "null");
    assert_string_equal(redact(s, &cmd, "numero", "numero=a \"b\"\n", NULL),
                        "\"a \\\"b\\\"\\n\"");
    assert_string_equal(redact(s, &cmd, "meta", "meta=[1, {\"x\": 2}]", NULL),
                        "[1, {\"x\": 2}]");
    /* the last rule that matches wins */
    assert_string_equal(redact(s, &cmd, "numero", "*.numero=A", "numero=B", NULL), "\"B\"");
    assert_string_equal(redact(s, &cmd, "numero", "numero=B", "-numero", NULL), "<absent>");
    /* drop; rules that touch nothing leave the record as it is */
    assert_string_equal(redact(s, &cmd, "numero", "-supermarket.commande.numero", NULL),
                        "<absent>");
    assert_string_equal(redact(s, &cmd, "numero", "nope", "-supermarket.client.*", NULL),
                        "<same>");
    assert_string_equal(redact(s, &cmd, "numero", "auth.user.numero", NULL), "<same>");
    /* fields are never added */
    assert_string_equal(redact(s, &cmd, "absent", "absent=1", "numero=x", NULL), "<absent>");

    /* bad specs */
    fx_redactor *r;
    fx_error err;
    assert_int_equal(fx_redactor_new(&r, NULL), 0);
    assert_int_equal(fx_redactor_empty(r), 1);
    assert_int_equal(fx_redactor_add(r, "=x", 0, &err), FX_EUSAGE);
    assert_non_null(strstr(err.msg, "no field"));
    assert_int_equal(fx_redactor_add(r, "a.b.c=1", 1, &err), FX_EUSAGE);
    assert_non_null(strstr(err.msg, "takes no value"));
    assert_int_equal(fx_redactor_add(r, "a.b.c", 0, &err), 0);
    assert_int_equal(fx_redactor_empty(r), 0);
    assert_string_equal(fx_redactor_unmatched(r, 0), "a.b.c");
    assert_null(fx_redactor_unmatched(r, 1));
    fx_redactor_free(r);
    fx_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_where_syntax_errors),
        cmocka_unit_test(test_where_valid),
        cmocka_unit_test(test_where_strings),
        cmocka_unit_test(test_where_numbers),
        cmocka_unit_test(test_where_dates),
        cmocka_unit_test(test_where_null_bool_absent),
        cmocka_unit_test(test_where_pk_and_qualified),
        cmocka_unit_test(test_pks),
        cmocka_unit_test(test_filter_combined),
        cmocka_unit_test(test_filter_check_schema),
        cmocka_unit_test(test_tally),
        cmocka_unit_test(test_redact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
