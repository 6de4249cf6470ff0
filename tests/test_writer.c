/*
** test_writer.c: fx_writer_* and fx_record_format: the corpus written
** back byte for byte in its own layout (as read, and laid out anew from
** the values), across layouts, empty outputs, CRLF, changed records
** (fx_record_set / fx_record_drop), verbatim text between records, and
** layout names.
*/
#include "coretest.h"

/* Write every record of path (copied and marked changed when force) to
** out in layout l; 0 or the first error. */
static int rewrite(const char *path, const char *out, const fx_layout *l, int force,
                   size_t *count)
{
    fx_reader *r;
    fx_error e;
    int rc = fx_reader_open(&r, path, NULL, &e);
    if (rc)
        fail_msg("%s: %s", path, e.msg);
    fx_output *o;
    assert_int_equal(fx_output_open(&o, out, &e), 0);
    fx_writer *w = NULL;
    const fx_record *rec;
    size_t n = 0;
    while ((rc = fx_reader_next(r, &rec, &e)) == 1) {
        if (!w)
            assert_int_equal(fx_writer_new(&w, o, l ? *l : fx_reader_layout(r)), 0);
        if (force) {
            fx_record *c;
            assert_int_equal(fx_record_copy(&c, rec), 0);
            c->changed = 1;
            assert_int_equal(fx_writer_write(w, c, &e), 0);
            fx_record_free(c);
        } else {
            assert_int_equal(fx_writer_write(w, rec, &e), 0);
        }
        n++;
    }
    if (rc)
        fail_msg("%s:%lu:%lu: %s", e.file, e.line, e.col, e.msg);
    assert_non_null(w);
    assert_int_equal(fx_writer_finish(w, &e), 0);
    assert_int_equal(fx_writer_finish(w, &e), 0);     /* once only */
    assert_int_equal(fx_output_commit(o, &e), 0);
    fx_output_free(o);
    fx_writer_free(w);
    fx_reader_free(r);
    if (count)
        *count = n;
    return 0;
}

/* Compare two files byte for byte, saying where they first differ. */
static void assert_same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = ct_slurp(a, &na), *y = ct_slurp(b, &nb);
    assert_non_null(x);
    assert_non_null(y);
    size_t i = 0;
    while (i < na && i < nb && x[i] == y[i])
        i++;
    if (i < na || i < nb)
        fail_msg("%s (%zu bytes) and %s (%zu bytes) differ at byte %zu: '%.40s' vs '%.40s'",
                 a, na, b, nb, i, x + (i > 10 ? i - 10 : 0), y + (i > 10 ? i - 10 : 0));
    free(x);
    free(y);
}

/* ------------------------------------------------------------ corpus */

static const char *const corpus[] = {
    "base.json", "base.compact.json", "base.jsonl", "base.natural.json"
};

static void test_corpus_same_layout(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        const char *out = ct_path("out.json");
        size_t n;
        rewrite(ct_corpus(corpus[i]), out, NULL, 0, &n);
        assert_int_equal(n, 10852);
        assert_same_file(out, ct_corpus(corpus[i]));
    }
}

static void test_corpus_relaid_out(void **state)
{
    (void)state;
    /* Every record laid out anew from its values gives the same bytes. */
    for (size_t i = 0; i < 4; i++) {
        const char *out = ct_path("out.json");
        rewrite(ct_corpus(corpus[i]), out, NULL, 1, NULL);
        assert_same_file(out, ct_corpus(corpus[i]));
    }
}

static void test_corpus_cross_layout(void **state)
{
    (void)state;
    static const struct {
        const char *from, *layout, *want;
    } c[] = {
        {"base.json", "compact", "base.compact.json"},
        {"base.json", "jsonl", "base.jsonl"},
        {"base.compact.json", "json", "base.json"},
        {"base.compact.json", "jsonl", "base.jsonl"},
        {"base.jsonl", "indent=2", "base.json"},
        {"base.jsonl", "compact", "base.compact.json"},
        {"base.json.gz", "compact", "base.compact.json"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        fx_layout l;
        assert_int_equal(fx_layout_parse(&l, c[i].layout), 0);
        for (int force = 0; force < 2; force++) {
            const char *out = ct_path("cross.json");
            rewrite(ct_corpus(c[i].from), out, &l, force, NULL);
            assert_same_file(out, ct_corpus(c[i].want));
        }
    }
}

static void test_corpus_natural_to_indent2(void **state)
{
    (void)state;
    /* Natural-primary records (no pk) at indent 2: re-read, same records. */
    fx_layout l = {.format = FX_FORMAT_JSON, .indent = 2, };
    const char *out = ct_path("nat2.json");
    rewrite(ct_corpus("base.natural.json"), out, &l, 0, NULL);
    ct_run a, b;
    ct_read_path(&a, ct_corpus("base.natural.json"));
    ct_read_path(&b, out);
    assert_int_equal(a.nrec, 10852);
    assert_int_equal(b.nrec, 10852);
    assert_int_equal(b.layout.indent, 2);
    for (size_t i = 0; i < a.nrec; i++) {
        const fx_record *x = ct_rec(&a, i), *y = ct_rec(&b, i);
        assert_int_equal(x->has_pk, y->has_pk);
        assert_true(fx_record_hash(x) == fx_record_hash(y));
    }
    /* ... and written back at indent 4, the original bytes. */
    fx_layout l4 = {.format = FX_FORMAT_JSON, .indent = 4, };
    const char *back = ct_path("nat4.json");
    rewrite(out, back, &l4, 0, NULL);
    assert_same_file(back, ct_corpus("base.natural.json"));
    ct_run_free(&a);
    ct_run_free(&b);
}

/* ------------------------------------------------------------ small */

/* Write the records to a file in layout l (text: lines to put before
** record i when texts[i] is not NULL); return the bytes (malloc). */
static char *write_all(fx_layout l, fx_record *const *recs, size_t n,
                       const char *const *texts, const char *tail)
{
    const char *out = ct_path("small.out");
    fx_output *o;
    fx_writer *w;
    fx_error e;
    assert_int_equal(fx_output_open(&o, out, &e), 0);
    assert_int_equal(fx_writer_new(&w, o, l), 0);
    for (size_t i = 0; i < n; i++) {
        if (texts && texts[i])
            assert_int_equal(fx_writer_write_text(w, texts[i], strlen(texts[i]), &e), 0);
        assert_int_equal(fx_writer_write(w, recs[i], &e), 0);
    }
    if (tail)
        assert_int_equal(fx_writer_write_text(w, tail, strlen(tail), &e), 0);
    assert_int_equal(fx_writer_finish(w, &e), 0);
    assert_int_equal(fx_output_commit(o, &e), 0);
    fx_output_free(o);
    fx_writer_free(w);
    char *s = ct_slurp(out, NULL);
    assert_non_null(s);
    return s;
}

/* The records of a JSON text, as owned copies. */
static size_t load(const char *json, fx_record **recs, size_t max)
{
    ct_run t;
    ct_read(&t, json);
    assert_int_equal(t.nerr, 0);
    assert_true(t.nrec <= max);
    size_t n = 0;
    for (size_t i = 0; i < t.nev; i++) {
        recs[n++] = t.ev[i].rec;
        t.ev[i].rec = NULL;
    }
    ct_run_free(&t);
    return n;
}

static void free_all(fx_record **recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fx_record_free(recs[i]);
}

static const char SRC[] =
    "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"caf\\u00e9 \\\"q\\\"\", "
    "\"n\": 1.50, \"l\": [1, [], {}, {\"k\": [2, 3]}], \"e\": {}, \"z\": null}}, "
    "{\"model\": \"A.C\", \"fields\": {}}]";

static const char WANT_COMPACT[] =
    "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"caf\\u00e9 \\\"q\\\"\", "
    "\"n\": 1.50, \"l\": [1, [], {}, {\"k\": [2, 3]}], \"e\": {}, \"z\": null}}, "
    "{\"model\": \"A.C\", \"fields\": {}}]";

static const char WANT_INDENT2[] =
    "[\n"
    "{\n"
    "  \"model\": \"a.b\",\n"
    "  \"pk\": 1,\n"
    "  \"fields\": {\n"
    "    \"s\": \"caf\\u00e9 \\\"q\\\"\",\n"
    "    \"n\": 1.50,\n"
    "    \"l\": [\n"
    "      1,\n"
    "      [],\n"
    "      {},\n"
    "      {\n"
    "        \"k\": [\n"
    "          2,\n"
    "          3\n"
    "        ]\n"
    "      }\n"
    "    ],\n"
    "    \"e\": {},\n"
    "    \"z\": null\n"
    "  }\n"
    "},\n"
    "{\n"
    "  \"model\": \"A.C\",\n"
    "  \"fields\": {}\n"
    "}\n"
    "]\n";

static const char WANT_JSONL[] =
    "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"s\": \"caf\\u00e9 \\\"q\\\"\","
    "\"n\": 1.50,\"l\": [1,[],{},{\"k\": [2,3]}],\"e\": {},\"z\": null}}\n"
    "{\"model\": \"A.C\",\"fields\": {}}\n";

static const char WANT_INDENT0[] =
    "[{\n"
    "\"model\": \"a.b\",\n"
    "\"pk\": 1,\n"
    "\"fields\": {\n"
    "\"s\": \"caf\\u00e9 \\\"q\\\"\",\n"
    "\"n\": 1.50,\n"
    "\"l\": [\n"
    "1,\n"
    "[],\n"
    "{},\n"
    "{\n"
    "\"k\": [\n"
    "2,\n"
    "3\n"
    "]\n"
    "}\n"
    "],\n"
    "\"e\": {},\n"
    "\"z\": null\n"
    "}\n"
    "}, {\n"
    "\"model\": \"A.C\",\n"
    "\"fields\": {}\n"
    "}]";

static char *crlf_of(const char *s)
{
    char *o = malloc(strlen(s) * 2 + 1), *q = o;
    for (; *s; s++) {
        if (*s == '\n')
            *q++ = '\r';
        *q++ = *s;
    }
    *q = '\0';
    return o;
}

static void test_layouts_exact(void **state)
{
    (void)state;
    fx_record *recs[4];
    size_t n = load(SRC, recs, 4);
    assert_int_equal(n, 2);
    static const struct {
        fx_layout l;
        const char *want;
    } c[] = {
        {{.format = FX_FORMAT_JSON, .indent = -1, }, WANT_COMPACT},
        {{.format = FX_FORMAT_JSON, .indent = 2, }, WANT_INDENT2},
        {{.format = FX_FORMAT_JSONL, .indent = -1, }, WANT_JSONL},
        {{.format = FX_FORMAT_JSON, .indent = 0, }, WANT_INDENT0},
    };
    for (int force = 0; force < 2; force++) {
        for (size_t i = 0; i < n; i++)
            recs[i]->changed = force;
        for (size_t i = 0; i < 4; i++) {
            char *s = write_all(c[i].l, recs, n, NULL, NULL);
            assert_string_equal(s, c[i].want);
            free(s);
        }
        fx_layout crlf = {.format = FX_FORMAT_JSON, .indent = 2, .crlf = 1};
        char *s = write_all(crlf, recs, n, NULL, NULL);
        char *want = crlf_of(WANT_INDENT2);
        assert_string_equal(s, want);
        free(s);
        free(want);
        fx_layout jcrlf = {.format = FX_FORMAT_JSONL, .indent = -1, .crlf = 1};
        s = write_all(jcrlf, recs, n, NULL, NULL);
        want = crlf_of(WANT_JSONL);
        assert_string_equal(s, want);
        free(s);
        free(want);
    }
    free_all(recs, n);
}

static void test_record_format(void **state)
{
    (void)state;
    fx_record *recs[4];
    size_t n = load(SRC, recs, 4);
    fx_buf b = FX_BUF_INIT;
    fx_layout l4 = {.format = FX_FORMAT_JSON, .indent = 4, };
    assert_int_equal(fx_record_format(&b, recs[1], l4), 0);
    assert_string_equal(b.data, "{\n    \"model\": \"A.C\",\n    \"fields\": {}\n}");
    fx_buf_reset(&b);
    fx_layout compact = {.format = FX_FORMAT_JSON, .indent = -1, };
    assert_int_equal(fx_record_format(&b, recs[1], compact), 0);
    assert_string_equal(b.data, "{\"model\": \"A.C\", \"fields\": {}}");
    /* Appends. */
    assert_int_equal(fx_record_format(&b, recs[1], compact), 0);
    assert_int_equal(b.len, 2 * strlen("{\"model\": \"A.C\", \"fields\": {}}"));
    fx_buf_reset(&b);
    /* Bad layouts are refused. */
    fx_layout bad = {.format = FX_FORMAT_JSON, .indent = 65, };
    assert_int_equal(fx_record_format(&b, recs[1], bad), FX_EUSAGE);
    fx_layout bad2 = {.format = (fx_format)7, .indent = 2, };
    assert_int_equal(fx_record_format(&b, recs[1], bad2), FX_EUSAGE);
    fx_writer *w = (fx_writer *)1;
    assert_int_equal(fx_writer_new(&w, NULL, bad), FX_EUSAGE);
    assert_null(w);
    fx_buf_free(&b);
    free_all(recs, n);
}

static void test_verbatim_copy(void **state)
{
    (void)state;
    /* A record not changed, written in its file's layout, keeps its bytes
    ** even where they are not Django's; changed, it is laid out anew. */
    fx_record *recs[2];
    size_t n = load("[{\"model\":\"a.b\",\"pk\":1,\"fields\":{\"x\":[1,2]}}]", recs, 2);
    assert_int_equal(n, 1);
    assert_int_equal(recs[0]->layout.format, FX_FORMAT_JSON);
    assert_int_equal(recs[0]->layout.indent, -1);
    assert_string_equal(recs[0]->layout.colon, ":");
    assert_string_equal(recs[0]->layout.comma, ",");
    char *s = write_all(recs[0]->layout, recs, n, NULL, NULL);
    assert_string_equal(s, "[{\"model\":\"a.b\",\"pk\":1,\"fields\":{\"x\":[1,2]}}]");
    free(s);
    recs[0]->changed = 1;            /* laid out anew in its own layout */
    s = write_all(recs[0]->layout, recs, n, NULL, NULL);
    assert_string_equal(s, "[{\"model\":\"a.b\",\"pk\":1,\"fields\":{\"x\":[1,2]}}]");
    free(s);
    /* Dumpdata's compact layout is another: laid out anew in it. */
    recs[0]->changed = 0;
    fx_layout compact = {.format = FX_FORMAT_JSON, .indent = -1, };
    s = write_all(compact, recs, n, NULL, NULL);
    assert_string_equal(s, "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": [1, 2]}}]");
    free(s);
    free_all(recs, n);

    /* An indent-2 record is not copied into an indent-0 or indent-4 file. */
    n = load("[\n{\n  \"model\": \"a.b\",\n  \"pk\": 1,\n  \"fields\": {}\n}\n]\n", recs, 2);
    assert_int_equal(recs[0]->layout.indent, 2);
    fx_layout i0 = {.format = FX_FORMAT_JSON, .indent = 0, };
    s = write_all(i0, recs, n, NULL, NULL);
    assert_string_equal(s, "[{\n\"model\": \"a.b\",\n\"pk\": 1,\n\"fields\": {}\n}]");
    free(s);
    fx_layout i4 = {.format = FX_FORMAT_JSON, .indent = 4, };
    s = write_all(i4, recs, n, NULL, NULL);
    assert_string_equal(s, "[\n{\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {}\n}\n]\n");
    free(s);
    /* Nor a LF record into a CRLF file. */
    fx_layout crlf = {.format = FX_FORMAT_JSON, .indent = 2, .crlf = 1};
    s = write_all(crlf, recs, n, NULL, NULL);
    assert_string_equal(s, "[\r\n{\r\n  \"model\": \"a.b\",\r\n  \"pk\": 1,\r\n  \"fields\": {}\r\n}\r\n]\r\n");
    free(s);
    free_all(recs, n);
}

static void test_crlf_roundtrip(void **state)
{
    (void)state;
    char *src = crlf_of(WANT_INDENT2);
    ct_run t;
    ct_read(&t, src);
    assert_int_equal(t.nrec, 2);
    assert_int_equal(t.layout.crlf, 1);
    fx_record *recs[2] = {t.ev[0].rec, t.ev[1].rec};
    for (int force = 0; force < 2; force++) {
        recs[0]->changed = recs[1]->changed = force;
        char *s = write_all(t.layout, recs, 2, NULL, NULL);
        assert_string_equal(s, src);
        free(s);
    }
    ct_run_free(&t);
    free(src);
}

static void test_empty_outputs(void **state)
{
    (void)state;
    static const struct {
        fx_layout l;
        const char *want;
    } c[] = {
        {{.format = FX_FORMAT_JSON, .indent = -1, }, "[]"},
        {{.format = FX_FORMAT_JSON, .indent = 2, }, "[\n]\n"},
        {{.format = FX_FORMAT_JSON, .indent = 4, }, "[\n]\n"},
        {{.format = FX_FORMAT_JSON, .indent = 0, }, "[]"},
        {{.format = FX_FORMAT_JSON, .indent = 2, .crlf = 1}, "[\r\n]\r\n"},
        {{.format = FX_FORMAT_JSONL, .indent = -1, }, ""},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        char *s = write_all(c[i].l, NULL, 0, NULL, NULL);
        assert_string_equal(s, c[i].want);
        free(s);
    }
    /* And each reads back as no records, without an error (jsonl's empty
    ** file aside: that is an empty file). */
    ct_run t;
    ct_read(&t, "[\n]\n");
    assert_int_equal(t.nev, 0);
    assert_int_equal(t.end_rc, 0);
    ct_run_free(&t);
}

/* ------------------------------------------------------------ changes */

static void test_set_and_drop(void **state)
{
    (void)state;
    fx_record *recs[4];
    size_t n = load("[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": 1, \"a\": \"s\", "
                    "\"x\": 2, \"z\": null}}]", recs, 4);
    assert_int_equal(n, 1);
    fx_record *r = recs[0];
    assert_int_equal(r->changed, 0);
    /* Replace the last "x", in place: in the text too, the list laid out
    ** as the record's layout lays lists. */
    assert_int_equal(fx_record_set(r, 0, "x", "[ 3,4 ]", 7), 0);
    assert_int_equal(r->changed, 0);
    assert_int_equal(r->nfields, 4);
    assert_string_equal(ct_val(r, "x"), "[3, 4]");
    assert_memory_equal(r->text, "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": 1, "
                        "\"a\": \"s\", \"x\": [3, 4], \"z\": null}}", r->len);
    assert_int_equal(fx_record_field(r, "x")->value.type, FX_ARRAY);
    assert_string_equal(r->fields[0].name, "x");   /* the first stays */
    assert_memory_equal(r->fields[0].value.text, "1", 1);
    /* Append a new field. */
    assert_int_equal(fx_record_set(r, 0, "new", "\"caf\xc3\xa9\"", 7), 0);
    assert_int_equal(r->nfields, 5);
    assert_string_equal(r->fields[4].name, "new");
    assert_int_equal(r->fields[4].name_len, 3);
    assert_int_equal(r->fields[4].value.type, FX_STRING);
    assert_memory_equal(r->text, "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": 1, "
                        "\"a\": \"s\", \"x\": [3, 4], \"z\": null, \"new\": \"caf\xc3\xa9\"}}",
                        r->len);
    /* Drop: with its separator. */
    assert_int_equal(fx_record_drop(r, "z"), 1);
    assert_int_equal(fx_record_drop(r, "z"), 0);
    assert_int_equal(fx_record_drop(r, "nope"), 0);
    assert_int_equal(r->nfields, 4);
    /* The pk. */
    assert_int_equal(fx_record_set(r, 1, NULL, "\"k\\u0031\"", 9), 0);
    assert_string_equal(r->pk_key, "k1");
    assert_int_equal(r->pk.type, FX_STRING);
    assert_memory_equal(r->text, "{\"model\": \"a.b\", \"pk\": \"k\\u0031\", \"fields\": {"
                        "\"x\": 1, \"a\": \"s\", \"x\": [3, 4], \"new\": \"caf\xc3\xa9\"}}",
                        r->len);
    assert_int_equal(r->changed, 0);

    fx_layout compact = {.format = FX_FORMAT_JSON, .indent = -1, };
    char *s = write_all(compact, recs, 1, NULL, NULL);
    assert_string_equal(s, "[{\"model\": \"a.b\", \"pk\": \"k\\u0031\", \"fields\": {\"x\": 1, "
                           "\"a\": \"s\", \"x\": [3, 4], \"new\": \"caf\xc3\xa9\"}}]");
    free(s);
    fx_layout ind = {.format = FX_FORMAT_JSON, .indent = 2, };
    s = write_all(ind, recs, 1, NULL, NULL);
    assert_string_equal(s, "[\n{\n  \"model\": \"a.b\",\n  \"pk\": \"k\\u0031\",\n  \"fields\": {\n"
                           "    \"x\": 1,\n    \"a\": \"s\",\n    \"x\": [\n      3,\n      4\n"
                           "    ],\n    \"new\": \"caf\xc3\xa9\"\n  }\n}\n]\n");
    free(s);

    /* Dropping a duplicated name drops every one of them. */
    assert_int_equal(fx_record_drop(r, "x"), 1);
    assert_null(fx_record_field(r, "x"));
    fx_layout jl = {.format = FX_FORMAT_JSONL, .indent = -1, };
    s = write_all(jl, recs, 1, NULL, NULL);
    assert_string_equal(s, "{\"model\": \"a.b\",\"pk\": \"k\\u0031\",\"fields\": {\"a\": \"s\","
                           "\"new\": \"caf\xc3\xa9\"}}\n");
    free(s);

    /* A copy of the changed record owns its values: the original can go. */
    fx_record *c;
    assert_int_equal(fx_record_copy(&c, r), 0);
    free_all(recs, n);
    assert_int_equal(c->changed, 0);
    s = write_all(jl, &c, 1, NULL, NULL);
    assert_string_equal(s, "{\"model\": \"a.b\",\"pk\": \"k\\u0031\",\"fields\": {\"a\": \"s\","
                           "\"new\": \"caf\xc3\xa9\"}}\n");
    free(s);

    /* Drop everything; null and number pks. */
    assert_int_equal(fx_record_drop(c, "a"), 1);
    assert_int_equal(fx_record_drop(c, "new"), 1);
    assert_int_equal(fx_record_set(c, 1, NULL, "null", 4), 0);
    assert_int_equal(c->has_pk, 1);
    assert_null(c->pk_key);
    s = write_all(compact, &c, 1, NULL, NULL);
    assert_string_equal(s, "[{\"model\": \"a.b\", \"pk\": null, \"fields\": {}}]");
    free(s);
    assert_int_equal(fx_record_set(c, 1, NULL, " 42 ", 4), 0);
    assert_string_equal(c->pk_key, "42");
    fx_record_free(c);
}

static void test_set_errors(void **state)
{
    (void)state;
    fx_record *recs[2];
    size_t n = load("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"x\": 1}}\n", recs, 2);
    fx_record *r = recs[0];
    static const char *const bad[] = {"", "   ", "[1,", "1 2", "{\"a\"}", "tru", "'x'",
                                      "01", "\"a", "[1]]", "NaN NaN"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (fx_record_set(r, 0, "x", bad[i], strlen(bad[i])) != FX_ESYNTAX)
            fail_msg("fx_record_set accepted '%s'", bad[i]);
    }
    assert_string_equal(ct_val(r, "x"), "1");          /* unchanged */
    assert_int_equal(r->nfields, 1);
    /* A pk must be a number, a string or null. */
    assert_int_equal(fx_record_set(r, 1, NULL, "[1]", 3), FX_ESYNTAX);
    assert_int_equal(fx_record_set(r, 1, NULL, "{}", 2), FX_ESYNTAX);
    assert_int_equal(fx_record_set(r, 1, NULL, "true", 4), FX_ESYNTAX);
    assert_string_equal(r->pk_key, "1");
    /* Values that are fine, spaces around included. */
    static const char *const good[] = {"NaN", "-Infinity", " {\"a\": [1, {}]} ", "\"\\u00e9\"",
                                       "1e-07", "false"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_int_equal(fx_record_set(r, 0, "y", good[i], strlen(good[i])), 0);
    free_all(recs, n);

    /* A record that is not a copy cannot change. */
    char *p = ct_write("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {}}\n");
    fx_reader *rd;
    fx_error e;
    assert_int_equal(fx_reader_open(&rd, p, NULL, &e), 0);
    const fx_record *rec;
    assert_int_equal(fx_reader_next(rd, &rec, &e), 1);
    assert_int_equal(fx_record_set((fx_record *)rec, 0, "x", "1", 1), FX_ERROR);
    fx_reader_free(rd);
    ct_unlink(p);
}

/* ------------------------------------------------------------ text */

static void test_write_text(void **state)
{
    (void)state;
    fx_record *recs[4];
    size_t n = load("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {}}\n"
                    "{\"model\": \"a.b\",\"pk\": 2,\"fields\": {}}\n"
                    "{\"model\": \"a.b\",\"pk\": 3,\"fields\": {}}\n", recs, 4);
    assert_int_equal(n, 3);
    const char *texts[3] = {NULL, "<<<<<<< ours\n", "=======\n"};
    static const struct {
        fx_layout l;
        const char *want;
    } c[] = {
        {{.format = FX_FORMAT_JSONL, .indent = -1, },
         "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {}}\n"
         "<<<<<<< ours\n"
         "{\"model\": \"a.b\",\"pk\": 2,\"fields\": {}}\n"
         "=======\n"
         "{\"model\": \"a.b\",\"pk\": 3,\"fields\": {}}\n"
         ">>>>>>> theirs\n"},
        {{.format = FX_FORMAT_JSON, .indent = 2, },
         "[\n"
         "{\n  \"model\": \"a.b\",\n  \"pk\": 1,\n  \"fields\": {}\n},\n"
         "<<<<<<< ours\n"
         "{\n  \"model\": \"a.b\",\n  \"pk\": 2,\n  \"fields\": {}\n},\n"
         "=======\n"
         "{\n  \"model\": \"a.b\",\n  \"pk\": 3,\n  \"fields\": {}\n},\n"
         ">>>>>>> theirs\n"
         "]\n"},
        {{.format = FX_FORMAT_JSON, .indent = -1, },
         "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n"
         "<<<<<<< ours\n"
         "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}},\n"
         "=======\n"
         "{\"model\": \"a.b\", \"pk\": 3, \"fields\": {}},\n"
         ">>>>>>> theirs\n"
         "]"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        char *s = write_all(c[i].l, recs, n, texts, ">>>>>>> theirs");
        assert_string_equal(s, c[i].want);
        /* The markers read back as markers, at the start of their lines,
        ** and the records around them are all there. */
        ct_run t;
        ct_read(&t, s);
        assert_string_equal(ct_shape(&t), "RSRSRS");
        for (size_t k = 0; k < 3; k++) {
            assert_has(ct_err(&t, k)->msg, "conflict marker");
            assert_int_equal(ct_err(&t, k)->col, 1);
        }
        ct_run_free(&t);
        free(s);
    }
    /* Text first, before any record. */
    const char *first[2] = {"<<<<<<< ours\n", NULL};
    fx_layout ind = {.format = FX_FORMAT_JSON, .indent = 2, };
    char *s = write_all(ind, recs, 1, first, NULL);
    assert_string_equal(s, "[\n<<<<<<< ours\n{\n  \"model\": \"a.b\",\n  \"pk\": 1,\n"
                           "  \"fields\": {}\n}\n]\n");
    free(s);
    fx_layout compact = {.format = FX_FORMAT_JSON, .indent = -1, };
    s = write_all(compact, recs, 2, first, NULL);
    assert_string_equal(s, "[\n<<<<<<< ours\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}, "
                           "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}]");
    free(s);
    free_all(recs, n);
}

/* ------------------------------------------------------------ frames */

/* Read text, write the records whose pk keep() accepts with the text's
** frame (the frame given at the first record and again at the end, as
** fxfilter does; bom kept), texts[i] before the i-th record written when
** given; the output, malloc'd. */
static char *framed(const char *text, const char *keep, const char *const *texts)
{
    char *in = ct_write(text);
    const char *out = ct_path("framed.out");
    fx_reader *r;
    fx_output *o;
    fx_writer *w = NULL;
    fx_error e;
    fx_frame f;
    const fx_record *rec;
    size_t k = 0;
    int rc;
    assert_int_equal(fx_reader_open(&r, in, NULL, &e), 0);
    assert_int_equal(fx_output_open(&o, out, &e), 0);
    while ((rc = fx_reader_next(r, &rec, &e)) == 1) {
        if (!w) {
            assert_int_equal(fx_writer_new(&w, o, fx_reader_layout(r)), 0);
            fx_reader_frame(r, &f);
            assert_int_equal(fx_writer_frame(w, &f), 0);
        }
        if (!strchr(keep, rec->pk_key[0]))
            continue;
        if (texts && texts[k])
            assert_int_equal(fx_writer_write_text(w, texts[k], strlen(texts[k]), &e), 0);
        k++;
        assert_int_equal(fx_writer_write(w, rec, &e), 0);
    }
    assert_int_equal(rc, 0);
    if (!w)
        assert_int_equal(fx_writer_new(&w, o, fx_reader_layout(r)), 0);
    fx_reader_frame(r, &f);
    assert_int_equal(fx_writer_frame(w, &f), 0);
    if (texts && texts[k])
        assert_int_equal(fx_writer_write_text(w, texts[k], strlen(texts[k]), &e), 0);
    assert_int_equal(fx_writer_finish(w, &e), 0);
    assert_int_equal(fx_output_commit(o, &e), 0);
    fx_output_free(o);
    fx_writer_free(w);
    fx_reader_free(r);
    ct_unlink(in);
    char *s = ct_slurp(out, NULL);
    assert_non_null(s);
    return s;
}

/* Line ends are counted once asked (fxmerge's report), every one written
** from then on, records and texts alike; not before. */
static void test_count_lines(void **state)
{
    (void)state;
    fx_record *recs[2];
    size_t n = load("{\"model\": \"a.b\",\"pk\": 1,\"fields\": {}}\n"
                    "{\"model\": \"a.b\",\"pk\": 2,\"fields\": {}}\n", recs, 2);
    assert_int_equal(n, 2);
    const char *out = ct_path("lines.out");
    fx_layout l = {.format = FX_FORMAT_JSON, .indent = 2, };
    fx_error e;
    for (int count = 0; count < 2; count++) {
        fx_output *o;
        fx_writer *w;
        assert_int_equal(fx_output_open(&o, out, &e), 0);
        assert_int_equal(fx_writer_new(&w, o, l), 0);
        if (count)
            fx_writer_count_lines(w);
        assert_int_equal(fx_writer_write(w, recs[0], &e), 0);
        assert_int_equal(fx_writer_write_text(w, "<<<<<<< ours\n", 13, &e), 0);
        assert_int_equal(fx_writer_write(w, recs[1], &e), 0);
        assert_int_equal(fx_writer_finish(w, &e), 0);
        /* "[", 5 lines a record, the marker, "]" */
        assert_int_equal(fx_writer_lines(w), count ? 13 : 0);
        assert_int_equal(fx_output_commit(o, &e), 0);
        fx_output_free(o);
        fx_writer_free(w);
    }
    char *s = ct_slurp(out, NULL);
    assert_non_null(s);
    size_t nl = 0;
    for (const char *p = s; *p; p++)
        nl += *p == '\n';
    assert_int_equal(nl, 13);
    free(s);
    free_all(recs, n);
}

static void test_frames(void **state)
{
    (void)state;
    static const struct {
        const char *text, *keep, *want;
    } c[] = {
        /* every record: the file itself */
        {"\xEF\xBB\xBF [\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n\n  {\"model\": "
         "\"a.b\", \"pk\": 2, \"fields\": {}} ,\r\n{\"model\": \"a.b\", \"pk\": 3, \"fields\": "
         "{}}\n] \n", "123",
         "\xEF\xBB\xBF [\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n\n  {\"model\": "
         "\"a.b\", \"pk\": 2, \"fields\": {}} ,\r\n{\"model\": \"a.b\", \"pk\": 3, \"fields\": "
         "{}}\n] \n"},
        /* the first left out with the separator after it, the last with the
        ** one before it, a middle one with the one before it */
        {"[\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n  {\"model\": \"a.b\", \"pk\": 2, "
         "\"fields\": {}},\n\n  {\"model\": \"a.b\", \"pk\": 3, \"fields\": {}}\n]", "2",
         "[\n  {\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}\n]"},
        {"[\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n  {\"model\": \"a.b\", \"pk\": 2, "
         "\"fields\": {}},\n\n  {\"model\": \"a.b\", \"pk\": 3, \"fields\": {}}\n]", "13",
         "[\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n\n  {\"model\": \"a.b\", \"pk\": 3, "
         "\"fields\": {}}\n]"},
        /* none: the frame alone */
        {"[\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n]", "", "[\n]"},
        {"\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n", "", ""},
        /* jsonl: line ends, blank lines, no final newline */
        {"\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n\n{\"model\": \"a.b\", \"pk\": 2, "
         "\"fields\": {}}\r\n{\"model\": \"a.b\", \"pk\": 3, \"fields\": {}}", "23",
         "\n{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}\r\n{\"model\": \"a.b\", \"pk\": 3, "
         "\"fields\": {}}"},
        {"\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n\n{\"model\": \"a.b\", \"pk\": 2, "
         "\"fields\": {}}\r\n{\"model\": \"a.b\", \"pk\": 3, \"fields\": {}}", "1",
         "\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        char *s = framed(c[i].text, c[i].keep, NULL);
        if (strcmp(s, c[i].want))
            fail_msg("case %zu: got '%s'", i, s);
        free(s);
    }
}

/* Text between records with a frame: on its own lines, commas right, the
** next record indented as its lead says, no blank line. */
static void test_frame_text(void **state)
{
    (void)state;
    const char *text = "[\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n  "
                       "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}\n]\n";
    const char *const mid[] = {NULL, "<<<<<<< ours\n>>>>>>> theirs\n", NULL};
    char *s = framed(text, "12", mid);
    assert_string_equal(s, "[\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n<<<<<<< ours\n"
                           ">>>>>>> theirs\n  {\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}\n]\n");
    free(s);
    const char *const ends[] = {"<<<<<<< ours\n", "=======\n", ">>>>>>> theirs"};
    s = framed(text, "12", ends);
    assert_string_equal(s, "[\n<<<<<<< ours\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n"
                           "=======\n  {\"model\": \"a.b\", \"pk\": 2, \"fields\": {}},\n"
                           ">>>>>>> theirs\n]\n");      /* as without a frame: the comma */
    free(s);
    const char *jl = "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n"
                     "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}\n";
    s = framed(jl, "12", ends);
    assert_string_equal(s, "<<<<<<< ours\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n"
                           "=======\n{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}\n"
                           ">>>>>>> theirs\n");
    free(s);
}

/* A frame's parts not known are made up from the layout; records of
** another layout are laid out in the frame's, with its separator. */
static void test_frame_made_up(void **state)
{
    (void)state;
    fx_record *recs[2];
    size_t n = load("[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": [1]}}, "
                    "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}]", recs, 2);
    assert_int_equal(n, 2);
    fx_layout py = {.format = FX_FORMAT_JSON, .indent = 2, .depth = 1};
    fx_frame nothing = {0, NULL, 0, NULL, 0, NULL, 0, NULL, 0};
    const char *out = ct_path("made.out");
    fx_output *o;
    fx_writer *w;
    fx_error e;
    for (int pass = 0; pass < 2; pass++) {
        fx_frame f = nothing;
        if (pass) {
            f.head = "[", f.head_len = 1;
            f.first = "\n  ", f.first_len = 3;
            f.sep = ",\n\n  ", f.sep_len = 5;
            f.tail = "\n]", f.tail_len = 2;
        }
        assert_int_equal(fx_output_open(&o, out, &e), 0);
        assert_int_equal(fx_writer_new(&w, o, py), 0);
        assert_int_equal(fx_writer_frame(w, &f), 0);
        assert_int_equal(fx_writer_write(w, recs[0], &e), 0);
        assert_int_equal(fx_writer_write(w, recs[1], &e), 0);
        assert_int_equal(fx_writer_finish(w, &e), 0);
        assert_int_equal(fx_output_commit(o, &e), 0);
        fx_output_free(o);
        fx_writer_free(w);
        char *s = ct_slurp(out, NULL);
        assert_string_equal(s, pass ?
            "[\n  {\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {\n      \"x\": [\n"
            "        1\n      ]\n    }\n  },\n\n  {\n    \"model\": \"a.b\",\n    \"pk\": 2,\n"
            "    \"fields\": {}\n  }\n]" :
            "[\n  {\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {\n      \"x\": [\n"
            "        1\n      ]\n    }\n  },\n  {\n    \"model\": \"a.b\",\n    \"pk\": 2,\n"
            "    \"fields\": {}\n  }\n]\n");
        free(s);
    }
    /* Without a frame, as with one made up: records indented as deep. */
    char *s = write_all(py, recs, 2, NULL, NULL);
    assert_string_equal(s,
        "[\n  {\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {\n      \"x\": [\n"
        "        1\n      ]\n    }\n  },\n  {\n    \"model\": \"a.b\",\n    \"pk\": 2,\n"
        "    \"fields\": {}\n  }\n]\n");
    free(s);
    /* Another key order, tabs, other separators. */
    fx_layout odd = {.format = FX_FORMAT_JSON, .indent = 1, .tabs = 1, .order = "pfm",
                     .colon = ":"};
    fx_buf b = FX_BUF_INIT;
    assert_int_equal(fx_record_format(&b, recs[0], odd), 0);
    assert_string_equal(b.data, "{\n\t\"pk\":1,\n\t\"fields\":{\n\t\t\"x\":[\n\t\t\t1\n\t\t]\n\t},\n"
                                "\t\"model\":\"a.b\"\n}");
    fx_buf_reset(&b);
    fx_layout tight = {.format = FX_FORMAT_JSON, .indent = -1, .colon = ":", .comma = ","};
    assert_int_equal(fx_record_format(&b, recs[0], tight), 0);
    assert_string_equal(b.data, "{\"model\":\"a.b\",\"pk\":1,\"fields\":{\"x\":[1]}}");
    fx_layout bad = {.format = FX_FORMAT_JSON, .indent = 2, .order = "mpx"};
    assert_int_equal(fx_record_format(&b, recs[0], bad), FX_EUSAGE);
    fx_layout deep = {.format = FX_FORMAT_JSON, .indent = 2, .depth = 17};
    assert_int_equal(fx_record_format(&b, recs[0], deep), FX_EUSAGE);
    fx_buf_free(&b);
    free_all(recs, n);
}

/* ------------------------------------------------------------ edits */

/* The text of the first record of json after f(copy). */
static void edit(const char *json, void (*f)(fx_record *), const char *want)
{
    fx_record *recs[1];
    assert_int_equal(load(json, recs, 1), 1);
    f(recs[0]);
    if (recs[0]->changed || strlen(want) != recs[0]->len ||
        memcmp(recs[0]->text, want, recs[0]->len))
        fail_msg("got%s '%.*s'", recs[0]->changed ? " (changed)" : "", (int)recs[0]->len,
                 recs[0]->text);
    /* The text reads back as the record edited. */
    fx_record *back[1];
    char *t = malloc(recs[0]->len + 3);
    snprintf(t, recs[0]->len + 3, "[%.*s]", (int)recs[0]->len, recs[0]->text);
    assert_int_equal(load(t, back, 1), 1);
    assert_int_equal(fx_record_hash(back[0]), fx_record_hash(recs[0]));
    free(t);
    free_all(back, 1);
    free_all(recs, 1);
}

static void drop_a(fx_record *r) { assert_int_equal(fx_record_drop(r, "a"), 1); }
static void drop_c(fx_record *r) { assert_int_equal(fx_record_drop(r, "c"), 1); }
static void drop_abc(fx_record *r) { drop_a(r); drop_c(r);
                                     assert_int_equal(fx_record_drop(r, "b"), 1); }
static void set_b_list(fx_record *r) { assert_int_equal(fx_record_set(r, 0, "b", "[1,2]", 5), 0); }
static void set_c_obj(fx_record *r) { assert_int_equal(fx_record_set(r, 0, "c", "{\"k\":[]}", 8), 0); }
static void add_n(fx_record *r) { assert_int_equal(fx_record_set(r, 0, "n\"", " {\"k\": 1} ", 10), 0); }
static void add_s(fx_record *r) { assert_int_equal(fx_record_set(r, 0, "s", "\"x\"", 3), 0); }
static void set_pk(fx_record *r) { assert_int_equal(fx_record_set(r, 1, NULL, "\"k\"", 3), 0); }

static void test_edits(void **state)
{
    (void)state;
    /* json.dump(indent=2): records one level in */
    const char *py = "[\n  {\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {\n"
                     "      \"a\": 1,\n      \"b\": {\"x\": 1},\n      \"c\": [\n        3\n      ]\n"
                     "    }\n  }\n]";
    edit(py, drop_a, "{\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {\n"
                     "      \"b\": {\"x\": 1},\n      \"c\": [\n        3\n      ]\n    }\n  }");
    edit(py, drop_c, "{\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {\n"
                     "      \"a\": 1,\n      \"b\": {\"x\": 1}\n    }\n  }");
    edit(py, drop_abc, "{\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {}\n  }");
    /* a list or object keeps the shape of the one it replaces */
    edit(py, set_b_list, "{\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {\n"
                         "      \"a\": 1,\n      \"b\": [1, 2],\n      \"c\": [\n        3\n"
                         "      ]\n    }\n  }");
    edit(py, set_c_obj, "{\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {\n"
                        "      \"a\": 1,\n      \"b\": {\"x\": 1},\n      \"c\": {\n"
                        "        \"k\": []\n      }\n    }\n  }");
    edit(py, add_n, "{\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {\n"
                    "      \"a\": 1,\n      \"b\": {\"x\": 1},\n      \"c\": [\n        3\n"
                    "      ],\n      \"n\\\"\": {\n        \"k\": 1\n      }\n    }\n  }");
    edit(py, set_pk, "{\n    \"model\": \"a.b\",\n    \"pk\": \"k\",\n    \"fields\": {\n"
                     "      \"a\": 1,\n      \"b\": {\"x\": 1},\n      \"c\": [\n        3\n"
                     "      ]\n    }\n  }");
    /* into an empty "fields": on lines of their own (tabs, CRLF), or not */
    edit("[\r\n{\r\n\t\"model\": \"a.b\",\r\n\t\"fields\": {}\r\n}\r\n]", add_n,
         "{\r\n\t\"model\": \"a.b\",\r\n\t\"fields\": {\r\n\t\t\"n\\\"\": {\r\n\t\t\t\"k\": 1\r\n"
         "\t\t}\r\n\t}\r\n}");
    edit("[{\"model\":\"a.b\",\"fields\":{ }}]", add_n,
         "{\"model\":\"a.b\",\"fields\":{\"n\\\"\":{\"k\":1}}}");
    /* after an only field: the layout's separator */
    edit("[{\"model\":\"a.b\",\"fields\":{\"a\":1}}]", add_s,
         "{\"model\":\"a.b\",\"fields\":{\"a\":1,\"s\":\"x\"}}");
    edit("{\"model\": \"a.b\", \"fields\": {\"a\": 1}}\n", add_s,
         "{\"model\": \"a.b\", \"fields\": {\"a\": 1, \"s\": \"x\"}}");
    edit("[{\"model\": \"a.b\", \"fields\": {\"a\": 1}}]", drop_a,
         "{\"model\": \"a.b\", \"fields\": {}}");
    /* the separator the fields have between them */
    edit("[{\"model\": \"a.b\", \"fields\": {\"a\": 1 ,  \"c\": 2}}]", add_s,
         "{\"model\": \"a.b\", \"fields\": {\"a\": 1 ,  \"c\": 2 ,  \"s\": \"x\"}}");
    /* duplicates: every one */
    edit("[{\"model\": \"a.b\", \"fields\": {\"a\": 1, \"c\": 2, \"a\": 3}}]", drop_a,
         "{\"model\": \"a.b\", \"fields\": {\"c\": 2}}");
}

/* A record whose text is stale (marked changed) is set the old way. */
static void test_edits_stale(void **state)
{
    (void)state;
    fx_record *recs[1];
    assert_int_equal(load("[{\"model\": \"a.b\", \"fields\": {\"a\": 1, \"b\": 2}}]", recs, 1), 1);
    fx_record *r = recs[0];
    r->changed = 1;
    char *text = strndup(r->text, r->len);
    assert_int_equal(fx_record_set(r, 0, "a", "[5]", 3), 0);
    assert_int_equal(fx_record_drop(r, "b"), 1);
    assert_memory_equal(r->text, text, r->len);        /* left alone */
    assert_string_equal(ct_val(r, "a"), "[5]");
    assert_int_equal(r->nfields, 1);
    free(text);
    free_all(recs, 1);
}

/* Edits copy the text: a record edited field by field past sixteen times
** its size is set the old way from then on (marked changed), so that the
** work stays linear; its values are right either way. */
static void test_edits_budget(void **state)
{
    (void)state;
    fx_buf b = FX_BUF_INIT, want = FX_BUF_INIT;
    fx_buf_adds(&b, "[{\"model\": \"a.b\", \"fields\": {");
    fx_buf_adds(&want, "[{\"model\": \"a.b\", \"fields\": {");
    for (int i = 0; i < 4000; i++) {
        fx_buf_printf(&b, "%s\"f%d\": 0", i ? ", " : "", i);
        fx_buf_printf(&want, "%s\"f%d\": [%d]", i ? ", " : "", i, i);
    }
    fx_buf_adds(&b, "}}]");
    fx_buf_adds(&want, "}}]");
    fx_record *recs[1];
    assert_int_equal(load(b.data, recs, 1), 1);
    fx_record *r = recs[0];
    char name[16], val[16];
    int changed_at = -1;
    for (int i = 0; i < 4000; i++) {
        snprintf(name, sizeof name, "f%d", i);
        snprintf(val, sizeof val, "[%d]", i);
        assert_int_equal(fx_record_set(r, 0, name, val, strlen(val)), 0);
        if (r->changed && changed_at < 0)
            changed_at = i;
    }
    assert_true(changed_at > 10 && changed_at < 200);   /* about 16 + 1 MB worth */
    for (int i = 0; i < 4000; i += 397) {
        snprintf(name, sizeof name, "f%d", i);
        snprintf(val, sizeof val, "[%d]", i);
        assert_string_equal(ct_val(r, name), val);
    }
    fx_layout compact = {.format = FX_FORMAT_JSON, .indent = -1};
    char *s = write_all(compact, recs, 1, NULL, NULL);
    assert_string_equal(s, want.data);
    free(s);
    fx_buf_free(&b);
    fx_buf_free(&want);
    free_all(recs, 1);
}

/* ------------------------------------------------------------ layouts */

static void test_layout_parse_name(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        fx_format f;
        int indent;
        const char *name;
    } ok[] = {
        {"json", FX_FORMAT_JSON, 2, "indent=2"},
        {"compact", FX_FORMAT_JSON, -1, "compact"},
        {"jsonl", FX_FORMAT_JSONL, -1, "jsonl"},
        {"indent=4", FX_FORMAT_JSON, 4, "indent=4"},
        {"indent=0", FX_FORMAT_JSON, 0, "indent=0"},
        {"indent=64", FX_FORMAT_JSON, 64, "indent=64"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        fx_layout l = {.format = FX_FORMAT_JSONL, .indent = 99, .crlf = 1};
        assert_int_equal(fx_layout_parse(&l, ok[i].s), 0);
        assert_int_equal(l.format, ok[i].f);
        assert_int_equal(l.indent, ok[i].indent);
        assert_int_equal(l.crlf, 0);
        char b[32];
        assert_string_equal(fx_layout_name(l, b, sizeof b), ok[i].name);
    }
    static const char *const bad[] = {"", "JSON", "indent=", "indent=-1", "indent=65",
                                      "indent=2x", "indent", "xml", "compact "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fx_layout l = {.format = FX_FORMAT_JSONL, .indent = 99, .crlf = 1};
        if (fx_layout_parse(&l, bad[i]) != FX_EUSAGE)
            fail_msg("fx_layout_parse accepted '%s'", bad[i]);
        assert_int_equal(l.indent, 99);             /* untouched */
    }
    fx_layout crlf = {.format = FX_FORMAT_JSONL, .indent = -1, .crlf = 1};
    char b[32];
    assert_string_equal(fx_layout_name(crlf, b, sizeof b), "jsonl (CRLF)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_same_layout),
        cmocka_unit_test(test_corpus_relaid_out),
        cmocka_unit_test(test_corpus_cross_layout),
        cmocka_unit_test(test_corpus_natural_to_indent2),
        cmocka_unit_test(test_layouts_exact),
        cmocka_unit_test(test_record_format),
        cmocka_unit_test(test_verbatim_copy),
        cmocka_unit_test(test_crlf_roundtrip),
        cmocka_unit_test(test_empty_outputs),
        cmocka_unit_test(test_set_and_drop),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_write_text),
        cmocka_unit_test(test_count_lines),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_frame_text),
        cmocka_unit_test(test_frame_made_up),
        cmocka_unit_test(test_edits),
        cmocka_unit_test(test_edits_stale),
        cmocka_unit_test(test_edits_budget),
        cmocka_unit_test(test_layout_parse_name),
    };
    return cmocka_run_group_tests_name("writer", tests, ct_setup, ct_teardown);
}
