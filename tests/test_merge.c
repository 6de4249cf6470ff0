/*
** test_merge.c: fx_merge(), case by case, each alone and mixed, and each in
** both directions: swapping ours and theirs (and the side renumbered) must
** give the same records.  Inputs are small jsonl fixtures written to a
** scratch directory; outputs are compared byte for byte (jsonl is ours's
** layout, so records taken whole come out as written).
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
#include "internal.h"             /* fx__json_valid */

static char dir[64];
static fx_schema *schema, *dschema;

static const char schema_json[] =
    "{\"fx_schema\": 1, \"models\": {"
    " \"shop.tag\": {\"fields\": {\"code\": {\"kind\": \"char\", \"max_length\": 10,"
    "   \"unique\": true}}},"
    " \"shop.order\": {\"fields\": {\"n\": {\"kind\": \"char\", \"max_length\": 10},"
    "   \"s\": {\"kind\": \"char\", \"max_length\": 10}}},"
    " \"shop.line\": {\"fields\": {\"order\": {\"kind\": \"fk\", \"to\": \"shop.order\"},"
    "   \"q\": {\"kind\": \"int\"}}},"
    " \"shop.prod\": {\"fields\": {\"name\": {\"kind\": \"char\", \"max_length\": 20},"
    "   \"price\": {\"kind\": \"char\", \"max_length\": 20},"
    "   \"tags\": {\"kind\": \"m2m\", \"to\": \"shop.tag\"}}},"
    " \"shop.agency\": {\"fields\": {\"code\": {\"kind\": \"char\", \"max_length\": 10,"
    "   \"unique\": true}, \"city\": {\"kind\": \"char\", \"max_length\": 10}},"
    "   \"natural_key\": [\"code\"]}"
    "}}";

/* With on_delete, as a schema file gives it: a customer's orders go to
** null with it, an order's lines go with it, an item referred to by a line
** cannot go. */
static const char dschema_json[] =
    "{\"fx_schema\": 1, \"models\": {"
    " \"shop.cust\": {\"fields\": {\"name\": {\"kind\": \"char\"}}},"
    " \"shop.order\": {\"fields\": {\"n\": {\"kind\": \"char\"},"
    "   \"cust\": {\"kind\": \"fk\", \"to\": \"shop.cust\", \"null\": true,"
    "     \"on_delete\": \"SET_NULL\"}}},"
    " \"shop.tag\": {\"fields\": {\"code\": {\"kind\": \"char\"}}},"
    " \"shop.item\": {\"fields\": {\"name\": {\"kind\": \"char\"},"
    "   \"tags\": {\"kind\": \"m2m\", \"to\": \"shop.tag\"}}},"
    " \"shop.line\": {\"fields\": {\"order\": {\"kind\": \"fk\", \"to\": \"shop.order\","
    "     \"on_delete\": \"CASCADE\"},"
    "   \"item\": {\"kind\": \"fk\", \"to\": \"shop.item\", \"on_delete\": \"PROTECT\"},"
    "   \"q\": {\"kind\": \"int\"}}}"
    "}}";

static int setup(void **state)
{
    fx_error err;
    (void)state;
    strcpy(dir, "/tmp/fxmerge-test-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    if (fx_schema_parse(&schema, schema_json, strlen(schema_json), "test", &err) < 0 ||
        fx_schema_parse(&dschema, dschema_json, strlen(dschema_json), "dtest", &err) < 0) {
        fprintf(stderr, "schema: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    fx_schema_free(schema);
    fx_schema_free(dschema);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *path(const char *name)
{
    static char p[4][128];
    static int k;
    char *s = p[k++ % 4];
    snprintf(s, 128, "%s/%s", dir, name);
    return s;
}

static void put(const char *name, const char *text)
{
    FILE *f = fopen(path(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *p)
{
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char *s = calloc(1, 1 << 16);
    size_t n = fread(s, 1, (1 << 16) - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* A conflict reported: its kind, the line of its block, and for each
** field the line of its block and its values. */
typedef struct conf_ev {
    char what[16], key[16];
    unsigned long line, flines[8];
    char fields[8][16];
    char values[8][3][64];    /* base, ours, theirs; "-": absent */
    size_t nf;
} conf_ev;

typedef struct run {
    int rc;
    fx_merge_stats st;
    char *out;
    char events[4096];        /* "conflict field shop.prod 1 [price]; ..." */
    conf_ev conf[16];
    size_t nconf;
} run;

static void on_event(void *ctx, const fx_merge_event *e)
{
    run *r = ctx;
    static const char *const kinds[] = {"", "conflict", "resolved", "auto", "renumber",
                                        "follow"};
    size_t n = strlen(r->events);
    n += (size_t)snprintf(r->events + n, sizeof r->events - n, "%s %s %s %s", kinds[e->kind],
                          e->what ? e->what : "-", e->label, e->key);
    if (e->new_key)
        n += (size_t)snprintf(r->events + n, sizeof r->events - n, "->%s", e->new_key);
    for (size_t i = 0; i < e->nfields; i++)
        n += (size_t)snprintf(r->events + n, sizeof r->events - n, "%s%s",
                              i ? "," : " [", e->fields[i]);
    snprintf(r->events + n, sizeof r->events - n, "%s; ", e->nfields ? "]" : "");
    if (e->kind != FX_MERGE_CONFLICT || r->nconf == 16)
        return;
    assert_true(e->line > 0);
    assert_true((e->base != NULL) == (e->field_lines != NULL));
    assert_true(e->base == NULL || (e->ours != NULL && e->theirs != NULL));
    assert_true(e->nfields <= 8);
    conf_ev *c = &r->conf[r->nconf++];
    snprintf(c->what, sizeof c->what, "%s", e->what);
    snprintf(c->key, sizeof c->key, "%s", e->key);
    c->line = e->line;
    c->nf = e->nfields;
    for (size_t i = 0; i < e->nfields && i < 8; i++) {
        snprintf(c->fields[i], sizeof c->fields[i], "%s", e->fields[i]);
        c->flines[i] = e->field_lines ? e->field_lines[i] : 0;
        const fx_value *v[3] = {e->base, e->ours, e->theirs};
        for (int s = 0; s < 3; s++)
            snprintf(c->values[i][s], sizeof c->values[i][s], "%.*s",
                     v[s] && v[s][i].text ? (int)v[s][i].len : 1,
                     v[s] && v[s][i].text ? v[s][i].text : "-");
    }
}

/* fx_merge_opts.keep_bom of the next merges. */
static int keep_bom;

/* Merge base, ours, theirs (jsonl texts) with the given options. */
static run merge(const char *b, const char *o, const char *t, const fx_schema *s,
                 fx_renumber ren, fx_strategy strat)
{
    run r;
    fx_error err;
    fx_output *out;
    memset(&r, 0, sizeof r);
    put("b.jsonl", b);
    put("o.jsonl", o);
    put("t.jsonl", t);
    fx_merge_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.schema = s;
    mo.renumber = ren;
    mo.strategy = strat;
    mo.event = on_event;
    mo.event_ctx = &r;
    mo.keep_bom = keep_bom;
    assert_int_equal(fx_output_open(&out, path("m.jsonl"), &err), 0);
    r.rc = fx_merge(path("b.jsonl"), path("o.jsonl"), path("t.jsonl"), out, &mo, &r.st, &err);
    if (r.rc < 0)
        fprintf(stderr, "fx_merge: %s\n", err.msg);
    assert_true(r.rc >= 0);
    assert_int_equal(fx_output_commit(out, &err), 0);
    fx_output_free(out);
    r.out = slurp(path("m.jsonl"));
    return r;
}

/* The record hashes of a clean output, sorted, one a line. */
static char *hashes(const char *text)
{
    fx_reader *rd;
    fx_error err;
    const fx_record *rec;
    uint64_t h[256];
    size_t n = 0;
    put("h.jsonl", text);
    assert_int_equal(fx_reader_open(&rd, path("h.jsonl"), NULL, &err), 0);
    while (fx_reader_next(rd, &rec, &err) > 0 && n < 256)
        h[n++] = fx_record_hash(rec);
    fx_reader_free(rd);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (h[j] < h[i]) {
                uint64_t x = h[i];
                h[i] = h[j];
                h[j] = x;
            }
    char *s = calloc(n + 1, 17);
    for (size_t i = 0; i < n; i++)
        sprintf(s + 17 * i, "%016llx\n", (unsigned long long)h[i]);
    return s;
}

/* Merge both ways; the clean result must be the same records, the
** conflicts as many.  Returns the first run (ours, theirs). */
static run both_ways(const char *b, const char *o, const char *t, const fx_schema *s,
                     fx_strategy strat)
{
    run r1 = merge(b, o, t, s, FX_RENUMBER_THEIRS, strat);
    fx_strategy mirror = strat == FX_STRATEGY_OURS ? FX_STRATEGY_THEIRS
                         : strat == FX_STRATEGY_THEIRS ? FX_STRATEGY_OURS : strat;
    run r2 = merge(b, t, o, s, FX_RENUMBER_OURS, mirror);
    assert_int_equal(r1.rc, r2.rc);
    assert_int_equal(r1.st.conflicts, r2.st.conflicts);
    assert_int_equal(r1.st.renumbered, r2.st.renumbered);
    if (r1.rc == 0) {
        char *h1 = hashes(r1.out), *h2 = hashes(r2.out);
        assert_string_equal(h1, h2);
        free(h1);
        free(h2);
    }
    free(r2.out);
    return r1;
}

#define REC(m, pk, f) "{\"model\": \"" m "\",\"pk\": " #pk ",\"fields\": {" f "}}\n"
#define PR(pk, f) REC("shop.prod", pk, f)
#define P(pk, name, price) REC("shop.prod", pk, "\"name\": \"" name "\",\"price\": \"" price "\",\"tags\": []")
#define O(pk, n) REC("shop.order", pk, "\"n\": \"" n "\",\"s\": \"open\"")
#define L(pk, order, q) REC("shop.line", pk, "\"order\": " #order ",\"q\": " #q)
#define TAG(pk, code) REC("shop.tag", pk, "\"code\": \"" code "\"")

static void expect(run r, int rc, const char *out)
{
    assert_int_equal(r.rc, rc);
    assert_string_equal(r.out, out);
    free(r.out);
}

/* ---------------------------------------------------------------- cases */

static void test_unchanged(void **state)
{
    (void)state;
    const char *b = P(1, "a", "1.00") P(2, "b", "2.00");
    expect(both_ways(b, b, b, NULL, 0), 0, b);
}

static void test_one_side_changes(void **state)
{
    (void)state;
    const char *b = P(1, "a", "1.00") P(2, "b", "2.00");
    const char *t = P(1, "a", "1.00") P(2, "b", "9.00");
    run r = both_ways(b, b, t, NULL, 0);
    assert_int_equal(r.st.theirs, 1);
    expect(r, 0, t);
    expect(both_ways(b, t, b, NULL, 0), 0, t);
}

static void test_different_fields(void **state)
{
    (void)state;
    const char *b = P(1, "a", "1.00");
    const char *o = P(1, "A", "1.00");
    const char *t = P(1, "a", "5.00");
    run r = both_ways(b, o, t, NULL, 0);
    assert_int_equal(r.st.merged, 1);
    assert_string_equal(r.events, "auto - shop.prod 1 [price]; ");
    expect(r, 0, P(1, "A", "5.00"));
}

static void test_same_change(void **state)
{
    (void)state;
    const char *b = P(1, "a", "1.00");
    const char *o = P(1, "a", "7.00");
    expect(both_ways(b, o, o, NULL, 0), 0, o);
}

/* A jsonl record is one line: a field conflict holds the record three
** times, each side's values in it. */
static const char field_conflict[] =
    "<<<<<<< ours field shop.prod 1 price\n"
    "{\"model\": \"shop.prod\",\"pk\": 1,\"fields\": {\"name\": \"a\",\"price\": \"7.00\",\"tags\": []}}\n"
    "||||||| base\n"
    "{\"model\": \"shop.prod\",\"pk\": 1,\"fields\": {\"name\": \"a\",\"price\": \"1.00\",\"tags\": []}}\n"
    "=======\n"
    "{\"model\": \"shop.prod\",\"pk\": 1,\"fields\": {\"name\": \"a\",\"price\": \"8.00\",\"tags\": []}}\n"
    ">>>>>>> theirs\n";

static void test_field_conflict(void **state)
{
    (void)state;
    const char *b = P(1, "a", "1.00");
    const char *o = P(1, "a", "7.00");
    const char *t = P(1, "a", "8.00");
    run r = both_ways(b, o, t, NULL, 0);
    assert_string_equal(r.events, "conflict field shop.prod 1 [price]; ");
    expect(r, 1, field_conflict);
    expect(both_ways(b, o, t, NULL, FX_STRATEGY_OURS), 0, o);
    expect(both_ways(b, o, t, NULL, FX_STRATEGY_THEIRS), 0, t);
}

static void test_conflict_in_indented_layout(void **state)
{
    fx_error err;
    fx_output *out;
    fx_merge_opts mo;
    (void)state;
    memset(&mo, 0, sizeof mo);
    put("b.json", "[\n{\n  \"model\": \"shop.prod\",\n  \"pk\": 1,\n  \"fields\": {\n"
                  "    \"price\": \"1.00\"\n  }\n},\n{\n  \"model\": \"shop.prod\",\n"
                  "  \"pk\": 2,\n  \"fields\": {\n    \"price\": \"2.00\"\n  }\n}\n]\n");
    put("o.json", "[\n{\n  \"model\": \"shop.prod\",\n  \"pk\": 1,\n  \"fields\": {\n"
                  "    \"price\": \"7.00\"\n  }\n},\n{\n  \"model\": \"shop.prod\",\n"
                  "  \"pk\": 2,\n  \"fields\": {\n    \"price\": \"2.00\"\n  }\n}\n]\n");
    put("t.jsonl", REC("shop.prod", 1, "\"price\": \"8.00\"") REC("shop.prod", 2, "\"price\": \"2.00\""));
    assert_int_equal(fx_output_open(&out, path("m.json"), &err), 0);
    assert_int_equal(fx_merge(path("b.json"), path("o.json"), path("t.jsonl"), out, &mo,
                              NULL, &err), 1);
    assert_int_equal(fx_output_commit(out, &err), 0);
    fx_output_free(out);
    char *s = slurp(path("m.json"));
    /* The record is written once, the field's line in each section. */
    assert_string_equal(s, "[\n{\n  \"model\": \"shop.prod\",\n  \"pk\": 1,\n  \"fields\": {\n"
                           "<<<<<<< ours field shop.prod 1 price\n"
                           "    \"price\": \"7.00\"\n"
                           "||||||| base\n"
                           "    \"price\": \"1.00\"\n"
                           "=======\n"
                           "    \"price\": \"8.00\"\n"
                           ">>>>>>> theirs\n"
                           "  }\n},\n{\n  \"model\": \"shop.prod\",\n  \"pk\": 2,\n"
                           "  \"fields\": {\n    \"price\": \"2.00\"\n  }\n}\n]\n");
    free(s);
}

static void test_delete(void **state)
{
    (void)state;
    const char *b = P(1, "a", "1.00") P(2, "b", "2.00");
    const char *t = P(1, "a", "1.00");
    run r = both_ways(b, b, t, NULL, 0);
    assert_int_equal(r.st.deleted, 1);
    expect(r, 0, t);
}

static void test_delete_modify(void **state)
{
    (void)state;
    const char *b = P(1, "a", "1.00") P(2, "b", "2.00");
    const char *o = P(1, "a", "1.00") P(2, "b", "3.00");
    const char *t = P(1, "a", "1.00");
    run r = both_ways(b, o, t, NULL, 0);
    assert_string_equal(r.events, "conflict modify/delete shop.prod 2; ");
    expect(r, 1, P(1, "a", "1.00") "<<<<<<< ours modify/delete shop.prod 2\n" P(2, "b", "3.00") "||||||| base\n"
                 P(2, "b", "2.00") "=======\n>>>>>>> theirs\n");
    r = both_ways(b, t, o, NULL, 0);
    assert_string_equal(r.events, "conflict delete/modify shop.prod 2; ");
    free(r.out);
    expect(both_ways(b, o, t, NULL, FX_STRATEGY_OURS), 0, o);
    expect(both_ways(b, o, t, NULL, FX_STRATEGY_THEIRS), 0, t);
}

static void test_m2m_sets(void **state)
{
    (void)state;
    const char *tags = TAG(1, "x") TAG(2, "y") TAG(3, "z") TAG(4, "w");
    char b[1024], o[1024], t[1024];
    snprintf(b, sizeof b, "%s%s", tags, REC("shop.prod", 1, "\"tags\": [1,2]"));
    snprintf(o, sizeof o, "%s%s", tags, REC("shop.prod", 1, "\"tags\": [2,3]"));
    snprintf(t, sizeof t, "%s%s", tags, REC("shop.prod", 1, "\"tags\": [1,2,4]"));
    char want[1024];
    snprintf(want, sizeof want, "%s%s", tags, REC("shop.prod", 1, "\"tags\": [2,3,4]"));
    /* With the schema and without (a list of plain values). */
    run r = both_ways(b, o, t, schema, 0);
    assert_string_equal(r.events, "auto - shop.prod 1 [tags]; ");
    expect(r, 0, want);
    expect(both_ways(b, o, t, NULL, 0), 0, want);
    /* The same members in another order are no change. */
    snprintf(o, sizeof o, "%s%s", tags, REC("shop.prod", 1, "\"tags\": [2,1]"));
    snprintf(want, sizeof want, "%s%s", tags, REC("shop.prod", 1, "\"tags\": [1,2,4]"));
    expect(both_ways(b, o, t, schema, 0), 0, want);
}

static void test_added_one_side(void **state)
{
    (void)state;
    const char *b = P(1, "a", "1.00") O(1, "A");
    const char *t = P(1, "a", "1.00") P(2, "new", "2.00") O(1, "A") O(2, "B");
    expect(both_ways(b, b, t, NULL, 0), 0, t);
}

static void test_added_same_both(void **state)
{
    (void)state;
    const char *b = P(1, "a", "1.00");
    const char *o = P(1, "a", "1.00") P(2, "n", "2.00");
    run r = both_ways(b, o, o, schema, 0);
    assert_int_equal(r.st.renumbered, 0);
    expect(r, 0, o);
}

static void test_collision_renumbered(void **state)
{
    (void)state;
    const char *b = O(1, "A") L(1, 1, 5);
    const char *o = O(1, "A") O(2, "ours") L(1, 1, 5) L(2, 2, 1);
    const char *t = O(1, "A") O(2, "theirs") L(1, 1, 5) L(2, 2, 3) L(3, 1, 9);
    run r = both_ways(b, o, t, schema, 0);
    assert_string_equal(r.events, "renumber theirs shop.order 2->3; "
                                  "renumber theirs shop.line 2->4; ");
    /* theirs's line 3 refers to order 1, which is not renumbered. */
    expect(r, 0, O(1, "A") O(2, "ours") O(3, "theirs") L(1, 1, 5) L(2, 2, 1)
                 "{\"model\": \"shop.line\",\"pk\": 4,\"fields\": {\"order\": 3,\"q\": 3}}\n"
                 L(3, 1, 9));
}

static void test_collision_identical_lines(void **state)
{
    (void)state;
    /* The lines are byte-identical on both sides, but point at different
    ** orders once theirs's order 2 is renumbered: both are kept. */
    const char *b = O(1, "A");
    const char *o = O(1, "A") O(2, "ours") L(7, 2, 1);
    const char *t = O(1, "A") O(2, "theirs") L(7, 2, 1);
    run r = both_ways(b, o, t, schema, 0);
    assert_int_equal(r.st.renumbered, 2);
    expect(r, 0, O(1, "A") O(2, "ours") O(3, "theirs") L(7, 2, 1)
                 "{\"model\": \"shop.line\",\"pk\": 8,\"fields\": {\"order\": 3,\"q\": 1}}\n");
    /* Same order on both sides: the same line, kept once. */
    o = O(1, "A") L(7, 1, 1);
    expect(both_ways(b, o, o, schema, 0), 0, o);
}

static void test_collision_unrenumbered(void **state)
{
    (void)state;
    const char *b = O(1, "A");
    const char *o = O(1, "A") O(2, "ours");
    const char *t = O(1, "A") O(2, "theirs");
    const char *want = O(1, "A") "<<<<<<< ours add/add shop.order 2\n" O(2, "ours") "||||||| base\n=======\n"
                       O(2, "theirs") ">>>>>>> theirs\n";
    /* No schema, --renumber none: a conflict whatever the strategy. */
    run r = both_ways(b, o, t, NULL, FX_STRATEGY_THEIRS);
    assert_non_null(strstr(r.events, "conflict add/add shop.order 2"));
    expect(r, 1, want);
    r = merge(b, o, t, schema, FX_RENUMBER_NONE, FX_STRATEGY_OURS);
    expect(r, 1, want);
}

static void test_unique_clash(void **state)
{
    (void)state;
    const char *b = TAG(1, "x");
    const char *o = TAG(1, "x") TAG(2, "new");
    const char *t = TAG(1, "x") TAG(3, "new");
    run r = both_ways(b, o, t, schema, FX_STRATEGY_OURS);
    assert_string_equal(r.events, "conflict unique shop.tag 2; ");
    expect(r, 1, TAG(1, "x") "<<<<<<< ours unique shop.tag 2\n" TAG(2, "new") "||||||| base\n=======\n"
                 TAG(3, "new") ">>>>>>> theirs\n");
    /* Different values: both kept. */
    t = TAG(1, "x") TAG(3, "other");
    expect(both_ways(b, o, t, schema, 0), 0, TAG(1, "x") TAG(2, "new") TAG(3, "other"));
}

#define AGP(pk, code, city) REC("shop.agency", pk, "\"code\": \"" code "\",\"city\": \"" city "\"")

static void test_unique_clash_renumbered(void **state)
{
    (void)state;
    /* The same pk and the same unique value: theirs's record is renumbered,
    ** then clashes; the block holds it under its new pk, and the
    ** renumbering is reported like any other. */
    const char *b = AGP(1, "A", "a");
    const char *o = AGP(1, "A", "a") AGP(2, "N", "ours");
    const char *t = AGP(1, "A", "a") AGP(2, "N", "theirs");
    run r = both_ways(b, o, t, schema, 0);
    assert_string_equal(r.events, "renumber theirs shop.agency 2->3; conflict unique shop.agency 2; ");
    assert_int_equal(r.st.renumbered, 1);
    expect(r, 1, AGP(1, "A", "a") "<<<<<<< ours unique shop.agency 2\n" AGP(2, "N", "ours") "||||||| base\n=======\n"
                 "{\"model\": \"shop.agency\",\"pk\": 3,\"fields\": {\"code\": \"N\",\"city\": \"theirs\"}}\n"
                 ">>>>>>> theirs\n");
}

static void test_natural_keys(void **state)
{
    (void)state;
#define AG(code, city, extra) "{\"model\": \"shop.agency\",\"fields\": {\"code\": \"" code \
    "\",\"city\": \"" city "\"" extra "}}\n"
    const char *b = AG("P", "Abidjan", "");
    const char *o = AG("P", "Bouake", "");
    const char *t = AG("P", "Abidjan", ",\"x\": 1");
    run r = both_ways(b, o, t, schema, 0);
    expect(r, 0, AG("P", "Bouake", ",\"x\": 1"));
    /* Added on both sides with the same natural key: merged field by field. */
    r = both_ways(b, AG("P", "Abidjan", "") AG("Q", "Man", ""),
                  AG("P", "Abidjan", "") AG("Q", "Man", ",\"x\": 2"), schema, 0);
    expect(r, 0, AG("P", "Abidjan", "") AG("Q", "Man", ",\"x\": 2"));
}

static void test_keyspec(void **state)
{
    fx_error err;
    fx_keyspec *k;
    fx_output *out;
    fx_merge_opts mo;
    (void)state;
    assert_int_equal(fx_keyspec_new(&k), 0);
    assert_int_equal(fx_keyspec_add(k, "shop", &err), FX_EUSAGE);
    assert_int_equal(fx_keyspec_add(k, "shop.order=", &err), FX_EUSAGE);
    assert_int_equal(fx_keyspec_add(k, "Shop.Order=n", &err), 0);
    memset(&mo, 0, sizeof mo);
    mo.keys = k;
    /* ids diverged: theirs knows order "A" as 5; ours changed s, theirs nothing. */
    put("b.jsonl", O(1, "A"));
    put("o.jsonl", REC("shop.order", 1, "\"n\": \"A\",\"s\": \"paid\""));
    put("t.jsonl", O(5, "A"));
    assert_int_equal(fx_output_open(&out, path("m.jsonl"), &err), 0);
    assert_int_equal(fx_merge(path("b.jsonl"), path("o.jsonl"), path("t.jsonl"), out, &mo,
                              NULL, &err), 0);
    assert_int_equal(fx_output_commit(out, &err), 0);
    fx_output_free(out);
    char *s = slurp(path("m.jsonl"));
    assert_string_equal(s, REC("shop.order", 1, "\"n\": \"A\",\"s\": \"paid\""));
    free(s);
    /* Only theirs changed: its change, under ours's pk. */
    put("o.jsonl", O(1, "A"));
    put("t.jsonl", REC("shop.order", 5, "\"n\": \"A\",\"s\": \"paid\""));
    assert_int_equal(fx_output_open(&out, path("m.jsonl"), &err), 0);
    assert_int_equal(fx_merge(path("b.jsonl"), path("o.jsonl"), path("t.jsonl"), out, &mo,
                              NULL, &err), 0);
    assert_int_equal(fx_output_commit(out, &err), 0);
    fx_output_free(out);
    s = slurp(path("m.jsonl"));
    assert_string_equal(s, REC("shop.order", 1, "\"n\": \"A\",\"s\": \"paid\""));
    free(s);
    fx_keyspec_free(k);
}

static void test_order(void **state)
{
    (void)state;
    /* Ours's records in ours's order; theirs's new records after ours's
    ** last of their model. */
    const char *b = O(1, "A") P(1, "a", "1.00");
    const char *o = P(1, "a", "1.00") P(5, "o", "1.00") O(1, "A") TAG(1, "t");
    const char *t = P(6, "t", "1.00") O(1, "A") O(4, "D") P(1, "a", "1.00");
    expect(merge(b, o, t, NULL, 0, 0), 0,
           P(1, "a", "1.00") P(5, "o", "1.00") P(6, "t", "1.00") O(1, "A") O(4, "D")
           TAG(1, "t"));
}

static void test_model_order(void **state)
{
    (void)state;
    /* A model only theirs has goes where theirs has it among the others:
    ** here after shop.order; with a schema, where the schema puts it (its
    ** first model: before shop.order). */
    const char *b = O(1, "A") P(1, "a", "1.00");
    const char *t = O(1, "A") TAG(1, "t") P(1, "a", "1.00");
    expect(merge(b, b, t, NULL, 0, 0), 0, O(1, "A") TAG(1, "t") P(1, "a", "1.00"));
    expect(merge(b, b, t, schema, 0, 0), 0, TAG(1, "t") O(1, "A") P(1, "a", "1.00"));
    /* Theirs's first model: before the one that follows it in theirs. */
    t = TAG(1, "t") O(1, "A") P(1, "a", "1.00");
    expect(merge(b, b, t, NULL, 0, 0), 0, TAG(1, "t") O(1, "A") P(1, "a", "1.00"));
    /* A record ours deleted and the merge keeps: where base had it. */
    b = O(1, "A") O(2, "B") O(3, "C") P(1, "a", "1.00");
    const char *o = O(1, "A") O(3, "C") P(1, "a", "1.00");
    t = O(1, "A") REC("shop.order", 2, "\"n\": \"B\",\"s\": \"paid\"") O(3, "C")
        P(1, "a", "1.00");
    expect(merge(b, o, t, NULL, 0, FX_STRATEGY_THEIRS), 0,
           O(1, "A") REC("shop.order", 2, "\"n\": \"B\",\"s\": \"paid\"") O(3, "C")
           P(1, "a", "1.00"));
}

static char *relayout(const char *jsonl, fx_layout l);
static run merge_texts(const char *b, const char *o, const char *t);

static void test_ours_bytes(void **state)
{
    (void)state;
    /* Ours as json.dump(indent=4) writes it, unchanged since base; theirs
    ** (jsonl) changed a price, removed a field, added one, added a record:
    ** ours's bytes but those, the new ones in ours's style. */
    fx_layout py = {.format = FX_FORMAT_JSON, .indent = 4, .depth = 1};
    char *b = relayout(PR(1, "\"name\": \"a\",\"price\": \"1.00\",\"note\": \"n\"")
                       PR(2, "\"name\": \"b\",\"price\": \"2.00\""), py);
    const char *t = PR(1, "\"name\": \"a\",\"price\": \"1.50\"")
                    PR(2, "\"name\": \"b\",\"price\": \"2.00\",\"x\": [1, 2]")
                    PR(3, "\"name\": \"c\"");
    run r = merge_texts(b, b, t);
    assert_int_equal(r.st.theirs, 3);
    assert_string_equal(r.out, "[\n"
                               "    {\n"
                               "        \"model\": \"shop.prod\",\n"
                               "        \"pk\": 1,\n"
                               "        \"fields\": {\n"
                               "            \"name\": \"a\",\n"
                               "            \"price\": \"1.50\"\n"
                               "        }\n"
                               "    },\n"
                               "    {\n"
                               "        \"model\": \"shop.prod\",\n"
                               "        \"pk\": 2,\n"
                               "        \"fields\": {\n"
                               "            \"name\": \"b\",\n"
                               "            \"price\": \"2.00\",\n"
                               "            \"x\": [\n"
                               "                1,\n"
                               "                2\n"
                               "            ]\n"
                               "        }\n"
                               "    },\n"
                               "    {\n"
                               "        \"model\": \"shop.prod\",\n"
                               "        \"pk\": 3,\n"
                               "        \"fields\": {\n"
                               "            \"name\": \"c\"\n"
                               "        }\n"
                               "    }\n"
                               "]\n");
    free(r.out);
    /* Theirs bringing nothing: ours, byte for byte, but its BOM, which
    ** loaddata refuses, unless keep_bom. */
    char *o = malloc(strlen(b) + 4);
    sprintf(o, "\xEF\xBB\xBF%s", b);
    r = merge_texts(b, o, b);
    assert_string_equal(r.out, b);
    free(r.out);
    keep_bom = 1;
    r = merge_texts(b, o, b);
    keep_bom = 0;
    assert_string_equal(r.out, o);
    free(r.out);
    free(o);
    free(b);
}

static void test_mixed(void **state)
{
    (void)state;
    const char *b = TAG(1, "x") TAG(2, "y") O(1, "A") O(2, "B") L(1, 1, 1) L(2, 2, 2)
        REC("shop.prod", 1, "\"name\": \"a\",\"price\": \"1.00\",\"tags\": [1]")
        REC("shop.prod", 2, "\"name\": \"b\",\"price\": \"2.00\",\"tags\": []")
        REC("shop.prod", 3, "\"name\": \"c\",\"price\": \"3.00\",\"tags\": []");
    const char *o = TAG(1, "x") TAG(2, "y") O(1, "A") O(2, "B") O(3, "C-ours")
        L(1, 1, 1) L(2, 2, 5) L(3, 3, 1)
        REC("shop.prod", 1, "\"name\": \"a\",\"price\": \"1.50\",\"tags\": [1,2]")
        REC("shop.prod", 2, "\"name\": \"b\",\"price\": \"2.00\",\"tags\": []");
    const char *t = TAG(1, "x") TAG(2, "y") O(1, "A") REC("shop.order", 2, "\"n\": \"B\",\"s\": \"paid\"")
        O(3, "C-theirs") L(1, 1, 1) L(2, 2, 2) L(3, 3, 1) L(4, 3, 2)
        REC("shop.prod", 1, "\"name\": \"A\",\"price\": \"1.00\",\"tags\": []")
        REC("shop.prod", 2, "\"name\": \"b\",\"price\": \"2.00\",\"tags\": []")
        REC("shop.prod", 3, "\"name\": \"c\",\"price\": \"3.00\",\"tags\": []");
    run r = both_ways(b, o, t, schema, 0);
    expect(r, 0, TAG(1, "x") TAG(2, "y") O(1, "A")
                 REC("shop.order", 2, "\"n\": \"B\",\"s\": \"paid\"") O(3, "C-ours")
                 REC("shop.order", 4, "\"n\": \"C-theirs\",\"s\": \"open\"")
                 L(1, 1, 1) L(2, 2, 5) L(3, 3, 1)
                 REC("shop.line", 5, "\"order\": 4,\"q\": 1")
                 REC("shop.line", 4, "\"order\": 4,\"q\": 2")
                 REC("shop.prod", 1, "\"name\": \"A\",\"price\": \"1.50\",\"tags\": [2]")
                 REC("shop.prod", 2, "\"name\": \"b\",\"price\": \"2.00\",\"tags\": []"));
}


/* ---------------------------------------------------------------- blocks */

/* text with one section of each conflict block kept, choice[i] (0 base, 1
** ours, 2 theirs) for the i-th block, and the marker lines deleted, as a
** person resolving would; *nblocks counts the blocks.  malloc'd. */
static char *resolve(const char *text, const int *choice, int *nblocks)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    int state = 0, k = -1;            /* 0 outside, else the side kept: 1 2 3 */
    static const int side[4] = {-1, 1, 0, 2};
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        e = e ? e + 1 : p + strlen(p);
        if (strncmp(p, "<<<<<<< ", 8) == 0) {
            state = 1;
            k++;
        } else if (strncmp(p, "||||||| ", 8) == 0) {
            state = 2;
        } else if (strncmp(p, "=======", 7) == 0 && (p[7] == '\n' || p[7] == '\r')) {
            state = 3;
        } else if (strncmp(p, ">>>>>>> ", 8) == 0) {
            state = 0;
        } else if (state == 0 || side[state] == choice[k]) {
            memcpy(o, p, (size_t)(e - p));
            o += e - p;
        }
        p = e;
    }
    *o = '\0';
    *nblocks = k + 1;
    return out;
}

/* Is text well-formed: one JSON array, or one JSON object a line? */
static int well_formed(const char *text, int jsonl)
{
    fx_type t;
    if (!jsonl)
        return fx__json_valid(text, strlen(text), &t) && t == FX_ARRAY;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && !(n == 1 && *p == '\r') && !(fx__json_valid(p, n, &t) && t == FX_OBJECT))
            return 0;
        p += n + (e != NULL);
    }
    return 1;
}

/* jsonl text written in layout l (the writer's frame: dumpdata's). */
static char *relayout(const char *jsonl, fx_layout l)
{
    fx_reader *rd;
    fx_writer *w;
    fx_output *out;
    fx_error err;
    const fx_record *rec;
    put("rl.jsonl", jsonl);
    assert_int_equal(fx_reader_open(&rd, path("rl.jsonl"), NULL, &err), 0);
    assert_int_equal(fx_output_open(&out, path("rl.out"), &err), 0);
    assert_int_equal(fx_writer_new(&w, out, l), 0);
    while (fx_reader_next(rd, &rec, &err) > 0)
        assert_int_equal(fx_writer_write(w, rec, &err), 0);
    assert_int_equal(fx_writer_finish(w, &err), 0);
    assert_int_equal(fx_output_commit(out, &err), 0);
    fx_writer_free(w);
    fx_output_free(out);
    fx_reader_free(rd);
    return slurp(path("rl.out"));
}

/* Merge files given as texts (any layout). */
static run merge_texts(const char *b, const char *o, const char *t)
{
    run r;
    fx_error err;
    fx_output *out;
    fx_merge_opts mo;
    memset(&r, 0, sizeof r);
    memset(&mo, 0, sizeof mo);
    put("b.x", b);
    put("o.x", o);
    put("t.x", t);
    mo.event = on_event;
    mo.event_ctx = &r;
    mo.keep_bom = keep_bom;
    assert_int_equal(fx_output_open(&out, path("m.x"), &err), 0);
    r.rc = fx_merge(path("b.x"), path("o.x"), path("t.x"), out, &mo, &r.st, &err);
    if (r.rc < 0)
        fprintf(stderr, "fx_merge: %s\n", err.msg);
    assert_true(r.rc >= 0);
    assert_int_equal(fx_output_commit(out, &err), 0);
    fx_output_free(out);
    r.out = slurp(path("m.x"));
    return r;
}

/* Line n (1-based) of text, up to its line end, in buf. */
static const char *line_of(const char *text, unsigned long n, char *buf, size_t size)
{
    const char *p = text;
    for (; n > 1 && p; n--)
        if ((p = strchr(p, '\n')) != NULL)
            p++;
    assert_non_null(p);
    size_t k = strcspn(p, "\r\n");
    snprintf(buf, size, "%.*s", (int)(k < size ? k : size - 1), p);
    return buf;
}

/* Every kind of block at once: field conflicts at a record's first and last
** field (a nested object), on a field ours removed (theirs changed it: ours's
** section empty, after the record's last field) and on the last field, which
** theirs removed; a record whose only field is in conflict (a block of whole
** records); a delete/modify in the middle, and after the last record every
** resolution keeps, a modify/delete and an add/add. */
static const char bk_base[] =
    PR(1, "\"name\": \"a\",\"price\": \"1.00\",\"attrs\": {\"k\": 1}")
    PR(2, "\"name\": \"b\",\"price\": \"2.00\",\"note\": \"n\"")
    PR(3, "\"name\": \"c\",\"price\": \"3.00\",\"x\": 1")
    PR(7, "\"name\": \"g\"")
    PR(6, "\"v\": 1")
    PR(4, "\"name\": \"d\"")
    O(1, "A");
static const char bk_ours[] =
    PR(1, "\"name\": \"a-o\",\"price\": \"1.00\",\"attrs\": {\"k\": 2,\"z\": [1]}")
    PR(2, "\"name\": \"b\",\"price\": \"2.50\"")
    PR(3, "\"name\": \"c\",\"price\": \"3.00\",\"x\": 2")
    PR(7, "\"name\": \"g-o\"")
    PR(6, "\"v\": 2")
    PR(4, "\"name\": \"d\"")
    O(1, "A-o") O(2, "ours");
static const char bk_theirs[] =
    PR(1, "\"name\": \"a-t\",\"price\": \"1.50\",\"attrs\": {\"k\": 3}")
    PR(2, "\"name\": \"b\",\"price\": \"2.00\",\"note\": \"t\"")
    PR(3, "\"name\": \"c\",\"price\": \"3.00\"")
    PR(6, "")
    PR(4, "\"name\": \"d\"")
    O(2, "theirs");

/* What keeping ours, base or theirs in every block gives. */
static const char *const bk_kept[3] = {
    PR(1, "\"name\": \"a\",\"price\": \"1.50\",\"attrs\": {\"k\": 1}")
    PR(2, "\"name\": \"b\",\"price\": \"2.50\",\"note\": \"n\"")
    PR(3, "\"name\": \"c\",\"price\": \"3.00\",\"x\": 1")
    PR(7, "\"name\": \"g\"") PR(6, "\"v\": 1") PR(4, "\"name\": \"d\"") O(1, "A"),
    PR(1, "\"name\": \"a-o\",\"price\": \"1.50\",\"attrs\": {\"k\": 2,\"z\": [1]}")
    PR(2, "\"name\": \"b\",\"price\": \"2.50\"")
    PR(3, "\"name\": \"c\",\"price\": \"3.00\",\"x\": 2")
    PR(7, "\"name\": \"g-o\"") PR(6, "\"v\": 2") PR(4, "\"name\": \"d\"") O(1, "A-o")
    O(2, "ours"),
    PR(1, "\"name\": \"a-t\",\"price\": \"1.50\",\"attrs\": {\"k\": 3}")
    PR(2, "\"name\": \"b\",\"price\": \"2.50\",\"note\": \"t\"")
    PR(3, "\"name\": \"c\",\"price\": \"3.00\"") PR(6, "") PR(4, "\"name\": \"d\"")
    O(2, "theirs")};

static void test_blocks_resolve(void **state)
{
    (void)state;
    static const fx_layout layouts[] = {
        {.format = FX_FORMAT_JSON, .indent = 2},
        {.format = FX_FORMAT_JSON, .indent = 4, .depth = 1},
        {.format = FX_FORMAT_JSON, .indent = 1, .tabs = 1, .crlf = 1},
        {.format = FX_FORMAT_JSON, .indent = 2, .order = "pmf"},
        {.format = FX_FORMAT_JSON, .indent = -1},
        {.format = FX_FORMAT_JSON, .indent = -1, .comma = ",", .colon = ":"},
        {.format = FX_FORMAT_JSONL, .indent = -1},
    };
    for (size_t li = 0; li < sizeof layouts / sizeof *layouts; li++) {
        int jsonl = layouts[li].format == FX_FORMAT_JSONL;
        char *b = relayout(bk_base, layouts[li]), *o = relayout(bk_ours, layouts[li]);
        char *t = relayout(bk_theirs, (fx_layout){.format = FX_FORMAT_JSONL, .indent = -1});
        run r = merge_texts(b, o, t);
        assert_int_equal(r.rc, 7);
        assert_string_equal(r.events, "conflict field shop.prod 1 [name,attrs]; "
                                      "conflict field shop.prod 2 [note]; "
                                      "conflict field shop.prod 3 [x]; "
                                      "conflict modify/delete shop.prod 7; "
                                      "conflict field shop.prod 6 [v]; "
                                      "conflict modify/delete shop.order 1; "
                                      "conflict add/add shop.order 2; ");
        /* Each conflict says where its block is, and each field's. */
        char line[128], want[128];
        for (size_t k = 0; k < r.nconf; k++) {
            const conf_ev *c = &r.conf[k];
            snprintf(want, sizeof want, "<<<<<<< ours %s shop.%s %s", c->what,
                     k >= 5 ? "order" : "prod", c->key);
            assert_memory_equal(line_of(r.out, c->line, line, sizeof line), want, strlen(want));
            for (size_t i = 0; i < c->nf; i++) {
                line_of(r.out, c->flines[i], line, sizeof line);
                assert_memory_equal(line, want, strlen(want));
                assert_non_null(strstr(line, c->fields[i]));
            }
        }
        assert_string_equal(r.conf[0].values[0][0], "\"a\"");
        assert_string_equal(r.conf[0].values[0][1], "\"a-o\"");
        assert_string_equal(r.conf[0].values[0][2], "\"a-t\"");
        assert_non_null(strstr(r.conf[0].values[1][0], "\"k\":"));   /* as base has it */
        assert_string_equal(r.conf[1].values[0][1], "-");       /* ours removed note */
        assert_string_equal(r.conf[2].values[0][2], "-");       /* theirs removed x */
        assert_true(r.conf[0].line == r.conf[0].flines[0]);
        assert_true(jsonl ? r.conf[0].flines[1] == r.conf[0].flines[0]
                          : r.conf[0].flines[1] > r.conf[0].flines[0]);
        /* Every way of keeping one section of each block is well-formed. */
        int nblocks = 0, choice[16] = {0}, combos = 1;
        free(resolve(r.out, choice, &nblocks));
        assert_int_equal(nblocks, jsonl ? 7 : 8);
        for (int i = 0; i < nblocks; i++)
            combos *= 3;
        for (int c = 0; c < combos; c++) {
            for (int i = 0, x = c; i < nblocks; i++, x /= 3)
                choice[i] = x % 3;
            char *text = resolve(r.out, choice, &nblocks);
            if (!well_formed(text, jsonl))
                fail_msg("layout %zu, choice %d: not well-formed:\n%s", li, c, text);
            free(text);
        }
        /* One side everywhere: the records merged, that side's values. */
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < nblocks; i++)
                choice[i] = s;
            char *text = resolve(r.out, choice, &nblocks);
            char *h1 = hashes(text), *h2 = hashes(bk_kept[s]);
            assert_string_equal(h1, h2);
            free(h1);
            free(h2);
            free(text);
        }
        free(r.out);
        free(b);
        free(o);
        free(t);
    }
}

/* ---------------------------------------------------------------- deletes */

#define CU(pk, name) REC("shop.cust", pk, "\"name\": \"" name "\"")
#define OR(pk, n, cust) REC("shop.order", pk, "\"n\": \"" n "\",\"cust\": " #cust)
#define LI(pk, order, item, q) REC("shop.line", pk, "\"order\": " #order ",\"item\": " #item ",\"q\": " #q)
#define IT(pk, name, tags) REC("shop.item", pk, "\"name\": \"" name "\",\"tags\": " tags)
#define TG(pk, code) REC("shop.tag", pk, "\"code\": \"" code "\"")

static const char dbase[] = CU(1, "Kone") CU(2, "Bamba") OR(1, "A", 1) OR(2, "B", 1)
    OR(3, "C", 2) IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 2) LI(3, 2, 5, 3);

static void test_delete_takes_lines(void **state)
{
    (void)state;
    /* Ours deleted order 1, and Django its lines; theirs changed it. */
    const char *o = CU(1, "Kone") CU(2, "Bamba") OR(2, "B", 1) OR(3, "C", 2) IT(5, "rice", "[]")
        LI(3, 2, 5, 3);
    const char *t = CU(1, "Kone") CU(2, "Bamba") OR(1, "A-paid", 1) OR(2, "B", 1) OR(3, "C", 2)
        IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 2) LI(3, 2, 5, 3);
    run r = both_ways(dbase, o, t, dschema, 0);
    assert_int_equal(r.rc, 3);
    assert_string_equal(r.events, "conflict delete/modify shop.order 1; "
                                  "conflict cascade shop.line 1; conflict cascade shop.line 2; ");
    /* Each block: ours's side empty, theirs's the record; keeping one side
    ** of every block keeps the order and its lines, or none of them. */
    assert_non_null(strstr(r.out, "<<<<<<< ours cascade shop.line 1\n||||||| base\n" LI(1, 1, 5, 1) "=======\n"
                                  LI(1, 1, 5, 1) ">>>>>>> theirs\n"));
    free(r.out);
    /* Theirs wins: the order is kept with its lines. */
    r = both_ways(dbase, o, t, dschema, FX_STRATEGY_THEIRS);
    assert_int_equal(r.st.restored, 2);
    assert_int_equal(r.st.resolved, 1);
    assert_non_null(strstr(r.events, "follow restored shop.line 1; follow restored shop.line 2; "));
    expect(r, 0, t);
    /* Ours wins: the three go. */
    r = both_ways(dbase, o, t, dschema, FX_STRATEGY_OURS);
    assert_int_equal(r.st.deleted, 3);
    expect(r, 0, o);
    /* Theirs changed a line only: the order and both lines are kept. */
    t = CU(1, "Kone") CU(2, "Bamba") OR(1, "A", 1) OR(2, "B", 1) OR(3, "C", 2)
        IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 7) LI(3, 2, 5, 3);
    r = both_ways(dbase, o, t, dschema, FX_STRATEGY_THEIRS);
    assert_int_equal(r.st.restored, 2);
    expect(r, 0, t);
    /* Unchanged on theirs: a plain delete, nothing to decide. */
    r = both_ways(dbase, o, dbase, dschema, 0);
    assert_string_equal(r.events, "");
    expect(r, 0, o);
}

static void test_delete_nulls(void **state)
{
    (void)state;
    /* Ours deleted customer 1, and Django set its orders' cust to null;
    ** theirs changed the customer. */
    const char *o = CU(2, "Bamba") OR(1, "A", null) OR(2, "B", null) OR(3, "C", 2)
        IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 2) LI(3, 2, 5, 3);
    const char *t = CU(1, "Kone Ali") CU(2, "Bamba") OR(1, "A", 1) OR(2, "B", 1) OR(3, "C", 2)
        IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 2) LI(3, 2, 5, 3);
    run r = both_ways(dbase, o, t, dschema, FX_STRATEGY_THEIRS);
    assert_int_equal(r.st.reverted, 2);
    assert_non_null(strstr(r.events, "follow reverted shop.order 1 [cust]; "
                                     "follow reverted shop.order 2 [cust]; "));
    char *h1 = hashes(r.out), *h2 = hashes(t);
    assert_string_equal(h1, h2);
    free(h1);
    free(h2);
    free(r.out);
    r = both_ways(dbase, o, t, dschema, FX_STRATEGY_OURS);
    expect(r, 0, o);
    /* No strategy: the delete and the two nulls are conflicts. */
    r = both_ways(dbase, o, t, dschema, 0);
    assert_string_equal(r.events, "conflict delete/modify shop.cust 1; "
                                  "conflict reference shop.order 1 [cust]; "
                                  "conflict reference shop.order 2 [cust]; ");
    expect(r, 3, "<<<<<<< ours delete/modify shop.cust 1\n||||||| base\n" CU(1, "Kone")
                 "=======\n" CU(1, "Kone Ali") ">>>>>>> theirs\n" CU(2, "Bamba")
                 "<<<<<<< ours reference shop.order 1 cust\n" OR(1, "A", null) "||||||| base\n"
                 OR(1, "A", 1) "=======\n" OR(1, "A", 1) ">>>>>>> theirs\n"
                 "<<<<<<< ours reference shop.order 2 cust\n" OR(2, "B", null) "||||||| base\n"
                 OR(2, "B", 1) "=======\n" OR(2, "B", 1) ">>>>>>> theirs\n"
                 OR(3, "C", 2) IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 2) LI(3, 2, 5, 3));
}

static void test_delete_keeps_bytes(void **state)
{
    (void)state;
    /* Indented, as dumpdata writes: the references a delete set to null,
    ** put back (theirs wins) or nulled, change where they stand and only
    ** there, and the kept customer goes where base had it. */
    fx_layout ind = {.format = FX_FORMAT_JSON, .indent = 2};
    const char *o = CU(2, "Bamba") OR(1, "A", null) OR(2, "B", null) OR(3, "C", 2)
        IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 2) LI(3, 2, 5, 3);
    const char *t = CU(1, "Kone Ali") CU(2, "Bamba") OR(1, "A", 1) OR(2, "B", 1) OR(3, "C", 2)
        IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 2) LI(3, 2, 5, 3);
    char *bi = relayout(dbase, ind), *oi = relayout(o, ind), *ti = relayout(t, ind);
    fx_error err;
    fx_output *out;
    fx_merge_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.schema = dschema;
    mo.strategy = FX_STRATEGY_THEIRS;
    put("b.json", bi);
    put("o.json", oi);
    put("t.jsonl", t);
    assert_int_equal(fx_output_open(&out, path("m.json"), &err), 0);
    assert_int_equal(fx_merge(path("b.json"), path("o.json"), path("t.jsonl"), out, &mo, NULL,
                              &err), 0);
    assert_int_equal(fx_output_commit(out, &err), 0);
    fx_output_free(out);
    char *s = slurp(path("m.json"));
    assert_string_equal(s, ti);
    free(s);
    /* Ours wins, theirs (indented) brings nothing else: ours, as it is. */
    put("t.json", ti);
    mo.strategy = FX_STRATEGY_OURS;
    assert_int_equal(fx_output_open(&out, path("m.json"), &err), 0);
    assert_int_equal(fx_merge(path("b.json"), path("o.json"), path("t.json"), out, &mo, NULL,
                              &err), 0);
    assert_int_equal(fx_output_commit(out, &err), 0);
    fx_output_free(out);
    s = slurp(path("m.json"));
    assert_string_equal(s, oi);
    free(s);
    free(bi);
    free(oi);
    free(ti);
}

static void test_delete_other_sides_records(void **state)
{
    (void)state;
    /* Ours deleted order 1 with its lines; theirs added a line to it. */
    const char *o = CU(1, "Kone") CU(2, "Bamba") OR(2, "B", 1) OR(3, "C", 2) IT(5, "rice", "[]")
        LI(3, 2, 5, 3);
    char t[2048];
    snprintf(t, sizeof t, "%s%s", dbase, LI(9, 1, 5, 9));
    run r = both_ways(dbase, o, t, dschema, 0);
    assert_int_equal(r.rc, 3);
    assert_non_null(strstr(r.events, "follow depends shop.line 9 [order]; "));
    assert_non_null(strstr(r.events, "conflict cascade shop.order 1; "));
    free(r.out);
    /* Ours wins: the line theirs added goes with the order (CASCADE). */
    r = both_ways(dbase, o, t, dschema, FX_STRATEGY_OURS);
    assert_int_equal(r.st.cascaded, 1);
    assert_int_equal(r.st.deleted, 4);
    assert_non_null(strstr(r.events, "follow deleted shop.line 9 [order]; "));
    expect(r, 0, o);
    r = both_ways(dbase, o, t, dschema, FX_STRATEGY_THEIRS);
    assert_int_equal(r.st.restored, 3);
    expect(r, 0, t);

    /* Ours deleted customer 2, and Django set order 3's cust to null;
    ** theirs added an order for it: no conflict, its cust goes to null. */
    const char *o2 = CU(1, "Kone") OR(1, "A", 1) OR(2, "B", 1) OR(3, "C", null)
        IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 2) LI(3, 2, 5, 3);
    snprintf(t, sizeof t, "%s%s", dbase, OR(9, "N", 2));
    r = both_ways(dbase, o2, t, dschema, 0);
    assert_int_equal(r.st.nulled, 1);
    assert_string_equal(r.events, "follow nulled shop.order 9 [cust]; ");
    expect(r, 0, CU(1, "Kone") OR(1, "A", 1) OR(2, "B", 1) OR(3, "C", null)
                 "{\"model\": \"shop.order\",\"pk\": 9,\"fields\": {\"n\": \"N\",\"cust\": null}}\n"
                 IT(5, "rice", "[]") LI(1, 1, 5, 1) LI(2, 1, 5, 2) LI(3, 2, 5, 3));

    /* Ours deleted item 6, which nothing used; theirs added a line with
    ** it (PROTECT): whatever the strategy, the item stays. */
    char b3[2048], o3[2048];
    snprintf(b3, sizeof b3, "%s%s", dbase, IT(6, "oil", "[]"));
    snprintf(o3, sizeof o3, "%s", dbase);
    snprintf(t, sizeof t, "%s%s%s", dbase, IT(6, "oil", "[]"), LI(9, 3, 6, 1));
    r = both_ways(b3, o3, t, dschema, FX_STRATEGY_OURS);
    assert_non_null(strstr(r.events, "follow protected shop.item 6; "));
    char *h1 = hashes(r.out), *h2 = hashes(t);
    assert_string_equal(h1, h2);
    free(h1);
    free(h2);
    free(r.out);
    r = both_ways(b3, o3, t, dschema, 0);
    assert_int_equal(r.rc, 1);
    free(r.out);
}

static void test_delete_unknown_on_delete(void **state)
{
    (void)state;
    /* The schema gives no on_delete: the export shows the cascade (the
    ** lines went with the order), so a kept order keeps its lines; a line
    ** theirs added cannot be carried over by --strategy ours. */
    const char *b = O(1, "A") O(2, "B") L(1, 1, 1) L(2, 1, 2) L(3, 2, 3);
    const char *o = O(2, "B") L(3, 2, 3);
    const char *t = REC("shop.order", 1, "\"n\": \"A\",\"s\": \"paid\"") O(2, "B") L(1, 1, 1)
        L(2, 1, 2) L(3, 2, 3);
    run r = both_ways(b, o, t, schema, FX_STRATEGY_THEIRS);
    assert_int_equal(r.st.restored, 2);
    expect(r, 0, t);
    t = O(1, "A") O(2, "B") L(1, 1, 1) L(2, 1, 2) L(3, 2, 3) L(9, 1, 9);
    r = both_ways(b, o, t, schema, FX_STRATEGY_OURS);
    assert_int_equal(r.rc, 3);
    assert_non_null(strstr(r.events, "conflict cascade shop.order 1; "));
    free(r.out);
    r = both_ways(b, o, t, schema, FX_STRATEGY_THEIRS);
    expect(r, 0, t);
}

static void test_delete_m2m(void **state)
{
    (void)state;
    /* Ours deleted tag 3, and Django its links; theirs renamed it. */
    const char *b = TG(2, "x") TG(3, "y") IT(5, "rice", "[2, 3]") IT(6, "oil", "[3]");
    const char *o = TG(2, "x") IT(5, "rice", "[2]") IT(6, "oil", "[]");
    const char *t = TG(2, "x") TG(3, "yy") IT(5, "rice", "[2, 3]") IT(6, "oil", "[3]");
    run r = both_ways(b, o, t, dschema, FX_STRATEGY_THEIRS);
    assert_int_equal(r.st.reverted, 2);
    /* Ours's records with the links put back: only the lists change, laid
    ** out as the records are (no space after a comma). */
    expect(r, 0, TG(2, "x") TG(3, "yy") IT(5, "rice", "[2,3]") IT(6, "oil", "[3]"));
    r = both_ways(b, o, t, dschema, FX_STRATEGY_OURS);
    expect(r, 0, o);
    /* Theirs added a link to it: the link goes with the tag. */
    t = TG(2, "x") TG(3, "y") IT(5, "rice", "[2, 3]") IT(6, "oil", "[3]") IT(7, "salt", "[2, 3]");
    r = both_ways(b, o, t, dschema, 0);
    assert_string_equal(r.events, "follow unlinked shop.item 7 [tags]; ");
    expect(r, 0, TG(2, "x") IT(5, "rice", "[2]") IT(6, "oil", "[]")
                 "{\"model\": \"shop.item\",\"pk\": 7,\"fields\": {\"name\": \"salt\",\"tags\": [2]}}\n");
}

/* ---------------------------------------------------------------- guards */

static int merge_fails(const char *b, const char *o, const char *t, int allow, char *msg)
{
    fx_error err;
    fx_output *out;
    fx_merge_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.schema = dschema;
    mo.allow_mass_delete = allow;
    put("b.jsonl", b);
    put("o.jsonl", o);
    put("t.jsonl", t);
    assert_int_equal(fx_output_open(&out, path("m.jsonl"), &err), 0);
    int rc = fx_merge(path("b.jsonl"), path("o.jsonl"), path("t.jsonl"), out, &mo, NULL, &err);
    fx_output_free(out);
    strcpy(msg, rc < 0 ? err.msg : "");
    return rc;
}

static void test_guard_mass_delete(void **state)
{
    char msg[1024];
    (void)state;
    /* A side without any record of a model base has. */
    const char *o = CU(1, "Kone") CU(2, "Bamba") OR(1, "A", 1) OR(2, "B", 1) OR(3, "C", 2)
        IT(5, "rice", "[]");
    assert_int_equal(merge_fails(dbase, o, dbase, 0, msg), FX_EUSAGE);
    assert_string_equal(msg, "OURS has no record of shop.line (3 in BASE): was it exported "
                             "with other --exclude options than BASE? A merge would delete "
                             "them all; export again with the same options as BASE (dumpdata "
                             "--exclude, app labels), or pass --allow-mass-delete if they "
                             "were really deleted");
    assert_int_equal(merge_fails(dbase, dbase, o, 0, msg), FX_EUSAGE);
    assert_non_null(strstr(msg, "THEIRS has no record of shop.line (3 in BASE)"));
    assert_int_equal(merge_fails(dbase, o, dbase, 1, msg), 0);
    /* Empty. */
    assert_int_equal(merge_fails(dbase, "[]", dbase, 0, msg), FX_EUSAGE);
    assert_non_null(strstr(msg, "OURS holds no record and BASE has 9: an export that failed "
                                "or was cut short?"));
    /* Most of the file. */
    char b[8192], t[8192];
    size_t n = 0, k = 0;
    for (int i = 1; i <= 20; i++)
        n += (size_t)snprintf(b + n, sizeof b - n, REC("shop.tag", %d, "\"code\": \"t%d\""),
                              i, i);
    for (int i = 1; i <= 9; i++)
        k += (size_t)snprintf(t + k, sizeof t - k, REC("shop.tag", %d, "\"code\": \"t%d\""),
                              i, i);
    assert_int_equal(merge_fails(b, b, t, 0, msg), FX_EUSAGE);
    assert_non_null(strstr(msg, "THEIRS lacks 11 of BASE's 20 records: an export of part of "
                                "the database?"));
    /* Half is not most. */
    k += (size_t)snprintf(t + k, sizeof t - k, REC("shop.tag", 20, "\"code\": \"t20\""));
    assert_int_equal(merge_fails(b, b, t, 0, msg), 0);
}

static void test_guard_order(void **state)
{
    char msg[1024];
    (void)state;
    /* The local export given as BASE: its new orders (3, 4) are newer than
    ** anything in OURS, OURS adds nothing, THEIRS never saw them. */
    const char *realbase = CU(1, "Kone") OR(1, "A", 1) OR(2, "B", 1);
    const char *local = CU(1, "Kone") OR(1, "A", 1) OR(2, "B", 1) OR(3, "L1", 1) OR(4, "L2", 1);
    const char *online = CU(1, "Kone") OR(1, "A", 1) OR(2, "B-paid", 1) OR(3, "O1", 1);
    assert_int_equal(merge_fails(local, realbase, online, 0, msg), FX_EUSAGE);
    assert_string_equal(msg, "BASE and OURS look swapped: BASE has 2 records OURS lacks, all "
                             "newer than anything OURS has (by their ids, above OURS's "
                             "largest of their model: shop.order 3, shop.order 4), and OURS "
                             "adds none: give the last common export first (fxmerge BASE OURS "
                             "THEIRS); a merge would delete them, so pass --allow-mass-delete "
                             "if OURS really deleted them");
    assert_int_equal(merge_fails(realbase, local, online, 0, msg), 0);   /* the right order */
    /* Ours deleted its two newest orders and made none: THEIRS still has
    ** them as they were, so no mistake. */
    assert_int_equal(merge_fails(local, realbase, local, 0, msg), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unchanged),
        cmocka_unit_test(test_one_side_changes),
        cmocka_unit_test(test_different_fields),
        cmocka_unit_test(test_same_change),
        cmocka_unit_test(test_field_conflict),
        cmocka_unit_test(test_conflict_in_indented_layout),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_delete_modify),
        cmocka_unit_test(test_m2m_sets),
        cmocka_unit_test(test_added_one_side),
        cmocka_unit_test(test_added_same_both),
        cmocka_unit_test(test_collision_renumbered),
        cmocka_unit_test(test_collision_identical_lines),
        cmocka_unit_test(test_collision_unrenumbered),
        cmocka_unit_test(test_unique_clash),
        cmocka_unit_test(test_unique_clash_renumbered),
        cmocka_unit_test(test_natural_keys),
        cmocka_unit_test(test_keyspec),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_model_order),
        cmocka_unit_test(test_ours_bytes),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_blocks_resolve),
        cmocka_unit_test(test_delete_takes_lines),
        cmocka_unit_test(test_delete_nulls),
        cmocka_unit_test(test_delete_keeps_bytes),
        cmocka_unit_test(test_delete_other_sides_records),
        cmocka_unit_test(test_delete_unknown_on_delete),
        cmocka_unit_test(test_delete_m2m),
        cmocka_unit_test(test_guard_mass_delete),
        cmocka_unit_test(test_guard_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
