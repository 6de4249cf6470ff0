/*
** test_reader.c: fx_reader_open / fx_reader_next / fx_reader_layout on
** small files written at test time and on the real corpus: layouts,
** encodings, compressions, record positions, pk kinds, structure and syntax
** errors with their exact places, recovery, truncation at every byte,
** conflict markers, numbers, invalid text, large inputs and stdin.
*/
#include "coretest.h"

#include <fcntl.h>
#include <sys/types.h>

/* A two-record file in each layout (é is two bytes). */
static const char INDENT2[] =
    "[\n"
    "{\n"
    "  \"model\": \"a.b\",\n"
    "  \"pk\": 1,\n"
    "  \"fields\": {\n"
    "    \"x\": \"\xc3\xa9\"\n"
    "  }\n"
    "},\n"
    "{\n"
    "  \"model\": \"a.b\",\n"
    "  \"pk\": 2,\n"
    "  \"fields\": {}\n"
    "}\n"
    "]\n";

static const char INDENT4[] =
    "[\n"
    "{\n"
    "    \"model\": \"a.b\",\n"
    "    \"pk\": 1,\n"
    "    \"fields\": {\n"
    "        \"x\": [\n"
    "            1\n"
    "        ]\n"
    "    }\n"
    "}\n"
    "]\n";

static const char COMPACT[] =
    "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": \"\xc3\xa9\"}}, "
    "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}]";

static const char JSONL[] =
    "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"x\": \"\xc3\xa9\"}}\n"
    "{\"model\": \"a.b\",\"pk\": 2,\"fields\": {}}\n";

static void check_layout(const ct_run *t, fx_format format, int indent, int crlf)
{
    assert_int_equal(t->layout.format, format);
    assert_int_equal(t->layout.indent, indent);
    assert_int_equal(t->layout.crlf, crlf);
}

/* The two records of the small files above. */
static void check_two(const ct_run *t)
{
    assert_string_equal(ct_shape(t), "RR");
    assert_int_equal(t->end_rc, 0);
    const fx_record *a = ct_rec(t, 0), *b = ct_rec(t, 1);
    assert_string_equal(a->model, "a.b");
    assert_string_equal(a->pk_key, "1");
    assert_int_equal(a->nfields, 1);
    assert_string_equal(a->fields[0].name, "x");
    fx_buf s = FX_BUF_INIT;
    assert_int_equal(fx_value_str(&s, a->fields[0].value), 0);
    assert_string_equal(s.data, "\xc3\xa9");
    fx_buf_free(&s);
    assert_string_equal(b->pk_key, "2");
    assert_int_equal(b->nfields, 0);
    assert_int_equal(a->ordinal, 0);
    assert_int_equal(b->ordinal, 1);
    assert_int_equal(t->diags.n, 0);
}

/* ------------------------------------------------------------ layouts */

static void test_layout_indent2(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, INDENT2);
    check_two(&t);
    check_layout(&t, FX_FORMAT_JSON, 2, 0);
    char b[32];
    assert_string_equal(fx_layout_name(t.layout, b, sizeof b), "indent=2");
    ct_run_free(&t);
}

static void test_layout_indent4(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, INDENT4);
    assert_string_equal(ct_shape(&t), "R");
    check_layout(&t, FX_FORMAT_JSON, 4, 0);
    assert_string_equal(ct_val(ct_rec(&t, 0), "x"),
                        "[\n            1\n        ]");
    ct_run_free(&t);
}

static void test_layout_compact(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, COMPACT);
    check_two(&t);
    check_layout(&t, FX_FORMAT_JSON, -1, 0);
    ct_run_free(&t);
}

static void test_layout_jsonl(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, JSONL);
    check_two(&t);
    check_layout(&t, FX_FORMAT_JSONL, -1, 0);
    ct_run_free(&t);
}

static void test_layout_corpus(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        fx_format format;
        int indent;
    } c[] = {
        {"base.json", FX_FORMAT_JSON, 2},
        {"base.compact.json", FX_FORMAT_JSON, -1},
        {"base.jsonl", FX_FORMAT_JSONL, -1},
        {"base.natural.json", FX_FORMAT_JSON, 4},
        {"base.json.gz", FX_FORMAT_JSON, 2},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        fx_reader *r;
        fx_error e;
        assert_int_equal(fx_reader_open(&r, ct_corpus(c[i].name), NULL, &e), 0);
        const fx_record *rec;
        size_t n = 0;
        int rc;
        while ((rc = fx_reader_next(r, &rec, &e)) == 1)
            n++;
        if (rc != 0)
            fail_msg("%s: %s:%lu:%lu: %s", c[i].name, e.file, e.line, e.col, e.msg);
        assert_int_equal(n, 10852);
        fx_layout l = fx_reader_layout(r);
        assert_int_equal(l.format, c[i].format);
        assert_int_equal(l.indent, c[i].indent);
        assert_int_equal(l.crlf, 0);
        assert_string_equal(fx_reader_name(r), ct_corpus(c[i].name));
        fx_reader_free(r);
    }
}

static char *to_crlf(const char *s)
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

static void test_crlf_indent(void **state)
{
    (void)state;
    char *s = to_crlf(INDENT2);
    ct_run t;
    ct_read(&t, s);
    check_two(&t);
    check_layout(&t, FX_FORMAT_JSON, 2, 1);
    char b[32];
    assert_string_equal(fx_layout_name(t.layout, b, sizeof b), "indent=2 (CRLF)");
    /* "[\r\n" then the record: line 2, column 1, offset 3. */
    assert_int_equal(ct_rec(&t, 0)->line, 2);
    assert_int_equal(ct_rec(&t, 0)->col, 1);
    assert_int_equal(ct_rec(&t, 0)->offset, 3);
    assert_int_equal(ct_rec(&t, 1)->line, 9);
    assert_int_equal(ct_rec(&t, 1)->col, 1);
    ct_run_free(&t);
    free(s);
}

static void test_crlf_jsonl(void **state)
{
    (void)state;
    char *s = to_crlf(JSONL);
    ct_run t;
    ct_read(&t, s);
    check_two(&t);
    check_layout(&t, FX_FORMAT_JSONL, -1, 1);
    assert_int_equal(ct_rec(&t, 1)->line, 2);
    assert_int_equal(ct_rec(&t, 1)->offset, 48);
    ct_run_free(&t);
    free(s);
}

/* ------------------------------------------------------------ encodings */

static void test_utf8_bom(void **state)
{
    (void)state;
    char buf[512];
    snprintf(buf, sizeof buf, "\xEF\xBB\xBF%s", COMPACT);
    ct_run t;
    ct_read(&t, buf);
    /* Read as such, but loaddata refuses a BOM in a json file: a warning. */
    assert_string_equal(ct_shape(&t), "RR");
    assert_int_equal(t.diags.n, 1);
    assert_int_equal(t.diags.d[0].sev, FX_WARNING);
    assert_string_equal(t.diags.d[0].check, "encoding");
    assert_has(t.diags.d[0].msg, "Unexpected UTF-8 BOM");
    t.diags.n = 0;
    check_two(&t);
    check_layout(&t, FX_FORMAT_JSON, -1, 0);
    /* Offsets count the BOM's 3 bytes, columns do not. */
    assert_int_equal(ct_rec(&t, 0)->offset, 4);
    assert_int_equal(ct_rec(&t, 0)->line, 1);
    assert_int_equal(ct_rec(&t, 0)->col, 2);
    assert_int_equal(ct_rec(&t, 1)->offset, 54);
    assert_int_equal(ct_rec(&t, 1)->col, 51);   /* é counts one column */
    ct_run_free(&t);

    snprintf(buf, sizeof buf, "\xEF\xBB\xBF%s", JSONL);
    ct_read(&t, buf);
    check_two(&t);                  /* loaddata reads a jsonl BOM: no warning */
    check_layout(&t, FX_FORMAT_JSONL, -1, 0);
    ct_run_free(&t);
}

/* UTF-8 text (ASCII and é only) to UTF-16 with a BOM. */
static size_t to_utf16(char *out, const char *s, int be)
{
    size_t k = 0;
    out[k++] = be ? '\xFE' : '\xFF';
    out[k++] = be ? '\xFF' : '\xFE';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned cp = *p;
        if (*p == 0xC3) {
            cp = 0xC0 | (p[1] & 0x3F);
            p++;
        }
        out[k++] = (char)(be ? cp >> 8 : cp & 0xFF);
        out[k++] = (char)(be ? cp & 0xFF : cp >> 8);
    }
    return k;
}

static void check_utf16(int be)
{
    char buf[1024];
    size_t n = to_utf16(buf, INDENT2, be);
    ct_run t;
    ct_read_n(&t, buf, n);
    assert_string_equal(ct_shape(&t), "RR");
    const fx_record *a = ct_rec(&t, 0);
    fx_buf s = FX_BUF_INIT;
    assert_int_equal(fx_value_str(&s, a->fields[0].value), 0);
    assert_string_equal(s.data, "\xc3\xa9");     /* é decoded right */
    fx_buf_free(&s);
    assert_string_equal(ct_val(a, "x"), "\"\xc3\xa9\"");
    assert_int_equal(a->line, 2);
    assert_int_equal(a->offset, 2);      /* offsets of the decoded text */
    assert_int_equal(ct_rec(&t, 1)->line, 9);
    check_layout(&t, FX_FORMAT_JSON, 2, 0);
    assert_int_equal(t.diags.n, 1);
    assert_int_equal(t.diags.d[0].sev, FX_WARNING);
    assert_string_equal(t.diags.d[0].check, "encoding");
    assert_has(t.diags.d[0].msg, be ? "UTF-16BE" : "UTF-16LE");
    assert_has(t.diags.d[0].msg, "byte-order mark");
    ct_run_free(&t);
}

static void test_utf16le(void **state)
{
    (void)state;
    check_utf16(0);
}

static void test_utf16be(void **state)
{
    (void)state;
    check_utf16(1);
}

static void test_invalid_utf8_cp1252(void **state)
{
    (void)state;
    /* "café" as Windows-1252 writes it: a lone 0xE9. */
    const char *s = "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": \"caf\xe9\"}}, "
                    "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}]";
    ct_run t;
    ct_read(&t, s);
    assert_string_equal(ct_shape(&t), "RR");
    assert_int_equal(t.diags.n, 1);
    ct_diag *d = &t.diags.d[0];
    assert_int_equal(d->sev, FX_ERR);
    assert_string_equal(d->check, "encoding");
    assert_has(d->msg, "0xE9");
    assert_has(d->msg, "Windows-1252");
    assert_has(d->msg, "'\xc3\xa9'");          /* what it reads as */
    assert_int_equal(d->offset, 47);
    assert_int_equal(d->line, 1);
    assert_int_equal(d->col, 48);
    /* The value keeps its bytes. */
    assert_string_equal(ct_val(ct_rec(&t, 0), "x"), "\"caf\xe9\"");
    ct_run_free(&t);

    /* 0x81 is undefined in Windows-1252; one report per record; an
    ** overlong form is invalid too. */
    ct_read(&t, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"x\": \"\x81\", \"y\": \"\x81\"}}\n"
                "{\"model\": \"a.b\",\"pk\": 2,\"fields\": {\"x\": \"\xc0\xaf\"}}\n"
                "{\"model\": \"a.b\",\"pk\": 3,\"fields\": {\"x\": \"\xed\xa0\x80\"}}\n");
    assert_string_equal(ct_shape(&t), "RRR");
    assert_int_equal(t.diags.n, 3);
    assert_int_equal(t.diags.d[0].sev, FX_ERR);
    assert_has(t.diags.d[0].msg, "0x81");
    assert_has(t.diags.d[0].msg, "not UTF-8");
    assert_int_equal(t.diags.d[0].line, 1);
    assert_int_equal(t.diags.d[0].col, 42);
    assert_int_equal(t.diags.d[0].offset, 41);
    assert_has(t.diags.d[1].msg, "0xC0");
    assert_int_equal(t.diags.d[1].line, 2);
    assert_has(t.diags.d[2].msg, "0xED");          /* a surrogate in UTF-8 */
    assert_int_equal(t.diags.d[2].line, 3);
    for (size_t i = 0; i < 3; i++)                 /* each record knows */
        assert_int_equal(t.ev[i].rec->errors, 1);
    ct_run_free(&t);
}

static void test_lone_surrogate(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"x\": \"a\\ud800b\"}}\n"
                "{\"model\": \"a.b\",\"pk\": 2,\"fields\": {\"x\": \"\\ud83d\\ude00\"}}\n"
                "{\"model\": \"a.b\",\"pk\": 3,\"fields\": {\"x\": \"\\uDC00\"}}\n");
    assert_string_equal(ct_shape(&t), "RRR");
    assert_int_equal(t.diags.n, 2);          /* the pair is fine */
    assert_int_equal(t.diags.d[0].sev, FX_ERR);
    assert_string_equal(t.diags.d[0].check, "encoding");
    assert_has(t.diags.d[0].msg, "lone surrogate");
    assert_has(t.diags.d[0].msg, "\\ud800");
    assert_int_equal(t.diags.d[0].line, 1);
    assert_int_equal(t.diags.d[0].col, 43);
    assert_int_equal(t.diags.d[1].line, 3);
    assert_has(t.diags.d[1].msg, "\\udc00");
    assert_int_equal(t.ev[0].rec->errors, 1);
    assert_int_equal(t.ev[1].rec->errors, 0);    /* a pair: no error */
    assert_int_equal(t.ev[2].rec->errors, 1);
    ct_run_free(&t);
}

/* ------------------------------------------------------------ compression */

static void check_small_records(const ct_run *t)
{
    check_two(t);
    check_layout(t, FX_FORMAT_JSON, 2, 0);
    assert_int_equal(ct_rec(t, 0)->line, 2);
    assert_int_equal(ct_rec(t, 0)->offset, 2);
    assert_int_equal(ct_rec(t, 1)->line, 9);
    assert_int_equal(ct_rec(t, 1)->offset, 68);
}

static void test_compressed(void **state)
{
    (void)state;
    const char *plain = ct_write_named("plain.json", INDENT2, strlen(INDENT2));
    static const char *const cmd[] = {
        "gzip -c '%s' > '%s'",
        "bzip2 -c '%s' > '%s'",
        "xz -c '%s' > '%s'",
        "xz --format=lzma -c '%s' > '%s'",
        "zip -q -j '%2$s' '%1$s'",
    };
    for (size_t i = 0; i < sizeof cmd / sizeof *cmd; i++) {
        /* Named .json: detection is by content, not by name. */
        char out[1100];
        snprintf(out, sizeof out, "%s", ct_path(i == 4 ? "zipped.json" : "packed.json"));
        unlink(out);
        assert_int_equal(ct_sh(cmd[i], plain, out), 0);
        ct_run t;
        ct_read_path(&t, out);
        if (t.end_rc)
            fail_msg("%s: %s", cmd[i], t.nev ? t.ev[t.nev - 1].err.msg : t.open_err.msg);
        check_small_records(&t);
        ct_run_free(&t);
    }
}

static void test_zip_two_members(void **state)
{
    (void)state;
    ct_write_named("one.json", INDENT2, strlen(INDENT2));
    ct_write_named("two.json", JSONL, strlen(JSONL));
    const char *zip = ct_path("two.zip");
    assert_int_equal(ct_sh("cd '%s' && zip -q two.zip one.json two.json", ct_dir), 0);
    ct_run t;
    ct_read_path(&t, zip);
    assert_int_equal(t.end_rc, FX_EFORMAT);
    assert_int_equal(t.nrec, 0);
    const fx_error *e = t.open_rc ? &t.open_err : ct_err(&t, 0);
    assert_int_equal(e->code, FX_EFORMAT);
    assert_has(e->msg, "more than one file");
    assert_string_equal(e->file, zip);
    ct_run_free(&t);
}

static void test_damaged_gzip(void **state)
{
    (void)state;
    /* A gzip stream cut short: an error, and no crash. */
    const char *gz = ct_path("cut.gz");
    assert_int_equal(ct_sh("gzip -dc '%s' | gzip -c | head -c 30000 > '%s'",
                           ct_corpus("base.json.gz"), gz), 0);
    ct_run t;
    ct_read_path(&t, gz);
    assert_int_equal(t.end_rc, FX_EIO);
    const fx_error *e = t.open_rc ? &t.open_err : &t.ev[t.nev - 1].err;
    assert_has(e->msg, "decompress");
    ct_run_free(&t);
}

/* ------------------------------------------------------------ odd files */

static void test_empty_file(void **state)
{
    (void)state;
    static const char *const empties[] = {"", "  \n\n\t", "\xEF\xBB\xBF"};
    for (size_t i = 0; i < 3; i++) {
        ct_run t;
        ct_read(&t, empties[i]);
        assert_int_equal(t.open_rc, 0);
        assert_string_equal(ct_shape(&t), "F");
        assert_int_equal(t.end_rc, FX_EFORMAT);
        assert_has(ct_err(&t, 0)->msg, "empty file");
        ct_run_free(&t);
    }
    /* An empty gzip member is empty too. */
    const char *e = ct_path("empty.gz");
    assert_int_equal(ct_sh("printf '' | gzip -c > '%s'", e), 0);
    ct_run t;
    ct_read_path(&t, e);
    assert_int_equal(t.end_rc, FX_EFORMAT);
    assert_has(ct_err(&t, 0)->msg, "empty file");
    ct_run_free(&t);
}

static void test_empty_array(void **state)
{
    (void)state;
    static const char *const ok[] = {"[]", "[\n]\n", " [ ] ", "\xEF\xBB\xBF[]"};
    for (size_t i = 0; i < 4; i++) {
        ct_run t;
        ct_read(&t, ok[i]);
        assert_int_equal(t.nev, 0);
        assert_int_equal(t.end_rc, 0);
        assert_int_equal(t.layout.format, FX_FORMAT_JSON);
        ct_run_free(&t);
    }
}

static void test_not_a_fixture(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "<!DOCTYPE html>\n<html><body>Please log in</body></html>\n");
    assert_string_equal(ct_shape(&t), "F");
    assert_int_equal(ct_err(&t, 0)->code, FX_EFORMAT);
    assert_has(ct_err(&t, 0)->msg, "HTML");
    assert_int_equal(ct_err(&t, 0)->line, 1);
    assert_int_equal(ct_err(&t, 0)->col, 1);
    ct_run_free(&t);

    ct_read(&t, "\n  model,pk\n");
    assert_string_equal(ct_shape(&t), "F");
    assert_has(ct_err(&t, 0)->msg, "not a Django fixture");
    assert_has(ct_err(&t, 0)->msg, "near 'model,pk'");
    assert_int_equal(ct_err(&t, 0)->line, 2);
    assert_int_equal(ct_err(&t, 0)->col, 3);
    ct_run_free(&t);

    /* Three bytes only (the whole file in the first block). */
    ct_read(&t, "abc");
    assert_string_equal(ct_shape(&t), "F");
    assert_has(ct_err(&t, 0)->msg, "near 'abc'");
    ct_run_free(&t);
}

static void test_open_errors(void **state)
{
    (void)state;
    fx_reader *r = (fx_reader *)1;
    fx_error e;
    assert_int_equal(fx_reader_open(&r, ct_path("no-such-file.json"), NULL, &e), FX_EIO);
    assert_null(r);
    assert_int_equal(e.code, FX_EIO);
    assert_has(e.msg, "No such file");
    assert_string_equal(e.file, ct_path("no-such-file.json"));
    assert_int_equal(fx_reader_open(&r, ct_dir, NULL, &e), FX_EIO);
    assert_null(r);
    assert_has(e.msg, "directory");
    /* NULL err is allowed. */
    assert_int_equal(fx_reader_open(&r, ct_path("no-such-file.json"), NULL, NULL), FX_EIO);
}

/* ------------------------------------------------------------ records */

static void test_record_positions(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, INDENT2);
    const fx_record *a = ct_rec(&t, 0), *b = ct_rec(&t, 1);
    assert_int_equal(a->line, 2);
    assert_int_equal(a->col, 1);
    assert_int_equal(a->offset, 2);
    assert_int_equal(a->len, 64);
    assert_memory_equal(a->text, INDENT2 + 2, 64);
    assert_int_equal(b->line, 9);
    assert_int_equal(b->col, 1);
    assert_int_equal(b->offset, 68);
    assert_int_equal(b->len, 47);
    assert_memory_equal(b->text, INDENT2 + 68, 47);
    assert_string_equal(a->file, t.ev[0].rec->file);
    /* fx_record_pos of the field value "é": line 6, column 10. */
    const fx_field *x = fx_record_field(a, "x");
    unsigned long l, c;
    fx_record_pos(a, x->value.text, &l, &c);
    assert_int_equal(l, 6);
    assert_int_equal(c, 10);
    fx_record_pos(a, a->text + a->len - 1, &l, &c);   /* the closing '}' */
    assert_int_equal(l, 8);
    assert_int_equal(c, 1);
    ct_run_free(&t);

    ct_read(&t, COMPACT);
    assert_int_equal(ct_rec(&t, 0)->line, 1);
    assert_int_equal(ct_rec(&t, 0)->col, 2);
    assert_int_equal(ct_rec(&t, 0)->offset, 1);
    assert_int_equal(ct_rec(&t, 0)->len, 48);
    assert_int_equal(ct_rec(&t, 1)->col, 51);      /* é is one column ... */
    assert_int_equal(ct_rec(&t, 1)->offset, 51);   /* ... and two bytes */
    ct_run_free(&t);

    ct_read(&t, JSONL);
    assert_int_equal(ct_rec(&t, 0)->line, 1);
    assert_int_equal(ct_rec(&t, 0)->offset, 0);
    assert_int_equal(ct_rec(&t, 1)->line, 2);
    assert_int_equal(ct_rec(&t, 1)->col, 1);
    assert_int_equal(ct_rec(&t, 1)->offset, 47);
    ct_run_free(&t);
}

static void test_pk_kinds(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "{\"model\": \"a.b\",\"pk\": 7,\"fields\": {}}\n"
                "{\"model\": \"a.b\",\"pk\": \"x-1\",\"fields\": {}}\n"
                "{\"model\": \"a.b\",\"fields\": {\"n\": 1}}\n"
                "{\"model\": \"a.b\",\"pk\": null,\"fields\": {}}\n"
                "{\"model\": \"a.b\",\"pk\": \"\\u0037\",\"fields\": {}}\n"
                "{\"model\": \"a.b\",\"pk\": -1.5e3,\"fields\": {}}\n"
                "{\"model\": \"a.b\",\"pk\": \"6f1c0b7e-8b1a-4c1e-9a55-0d7f2e0c9a11\",\"fields\": {}}\n");
    assert_string_equal(ct_shape(&t), "RRRRRRR");
    const fx_record *r;
    r = ct_rec(&t, 0);
    assert_int_equal(r->has_pk, 1);
    assert_int_equal(r->pk.type, FX_NUMBER);
    assert_string_equal(r->pk_key, "7");
    assert_int_equal(r->pk.len, 1);
    r = ct_rec(&t, 1);
    assert_int_equal(r->pk.type, FX_STRING);
    assert_string_equal(r->pk_key, "x-1");
    assert_int_equal(r->pk.len, 5);
    r = ct_rec(&t, 2);
    assert_int_equal(r->has_pk, 0);
    assert_null(r->pk_key);
    r = ct_rec(&t, 3);
    assert_int_equal(r->has_pk, 1);
    assert_int_equal(r->pk.type, FX_NULL);
    assert_null(r->pk_key);
    r = ct_rec(&t, 4);
    assert_string_equal(r->pk_key, "7");
    r = ct_rec(&t, 5);
    assert_string_equal(r->pk_key, "-1.5e3");
    r = ct_rec(&t, 6);
    assert_string_equal(r->pk_key, "6f1c0b7e-8b1a-4c1e-9a55-0d7f2e0c9a11");
    assert_int_equal(t.diags.n, 0);
    ct_run_free(&t);

    /* The corpus' natural-primary records carry no pk. */
    ct_read_path(&t, ct_corpus("base.natural.json"));
    assert_int_equal(t.nrec, 10852);
    assert_int_equal(t.nerr, 0);
    size_t nopk = 0;
    for (size_t i = 0; i < t.nrec; i++)
        nopk += !ct_rec(&t, i)->has_pk;
    assert_true(nopk > 0);
    assert_int_equal(ct_rec(&t, 0)->has_pk, 0);   /* auth.user, by natural key */
    assert_null(ct_rec(&t, 0)->pk_key);
    ct_run_free(&t);
}

static void test_model_label(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "[{\"model\": \"Supermarket.Produit\", \"pk\": 1, \"fields\": {}}, "
                "{\"model\": \"sup\\u0065rmarket.LigneCommande\", \"pk\": 2, \"fields\": {}}]");
    assert_string_equal(ct_shape(&t), "RR");
    assert_string_equal(ct_rec(&t, 0)->model, "Supermarket.Produit");
    assert_string_equal(ct_rec(&t, 0)->label, "supermarket.produit");
    assert_string_equal(ct_rec(&t, 1)->model, "supermarket.LigneCommande");
    assert_string_equal(ct_rec(&t, 1)->label, "supermarket.lignecommande");
    ct_run_free(&t);
}

static void test_fields_order_and_duplicates(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"z\": 1,\"a\": 2,\"m\": [3],"
                "\"a\": 4,\"caf\\u00e9\": 5}}\n");
    assert_string_equal(ct_shape(&t), "R");
    const fx_record *r = ct_rec(&t, 0);
    assert_int_equal(r->nfields, 5);              /* duplicates kept */
    static const char *const names[] = {"z", "a", "m", "a", "caf\xc3\xa9"};
    static const char *const vals[] = {"1", "2", "[3]", "4", "5"};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(r->fields[i].name, names[i]);
        assert_int_equal(r->fields[i].name_len, strlen(names[i]));
        assert_int_equal(r->fields[i].value.len, strlen(vals[i]));
        assert_memory_equal(r->fields[i].value.text, vals[i], strlen(vals[i]));
    }
    assert_ptr_equal(fx_record_field(r, "a"), &r->fields[3]);   /* the last */
    assert_string_equal(ct_val(r, "a"), "4");
    assert_string_equal(ct_val(r, "caf\xc3\xa9"), "5");
    assert_null(fx_record_field(r, "nope"));
    assert_null(fx_record_field(r, "A"));
    assert_int_equal(t.diags.n, 1);
    assert_int_equal(t.diags.d[0].sev, FX_WARNING);
    assert_string_equal(t.diags.d[0].check, "duplicate-key");
    assert_has(t.diags.d[0].msg, "\"a\"");
    assert_int_equal(t.diags.d[0].line, 1);
    assert_int_equal(t.diags.d[0].col, 59);       /* the second "a" */
    ct_run_free(&t);
}

static void test_duplicate_top_keys(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "{\"model\": \"a.b\",\"pk\": 1,\"pk\": 2,\"fields\": {\"a\": 1},"
                "\"fields\": {\"b\": 2}}\n");
    assert_string_equal(ct_shape(&t), "R");
    const fx_record *r = ct_rec(&t, 0);
    assert_string_equal(r->pk_key, "2");            /* the last wins */
    assert_int_equal(r->nfields, 1);
    assert_string_equal(r->fields[0].name, "b");
    assert_int_equal(t.diags.n, 2);
    assert_string_equal(t.diags.d[0].check, "duplicate-key");
    assert_has(t.diags.d[0].msg, "\"pk\" twice");
    assert_int_equal(t.diags.d[0].col, 25);
    assert_string_equal(t.diags.d[1].check, "duplicate-key");
    assert_has(t.diags.d[1].msg, "\"fields\" twice");
    assert_int_equal(t.diags.d[1].col, 52);
    ct_run_free(&t);
}

static void test_unknown_top_key(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}, \"extra\": [1, 2]},\n"
                "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}\n]\n");
    assert_string_equal(ct_shape(&t), "RR");
    assert_int_equal(t.diags.n, 1);
    assert_int_equal(t.diags.d[0].sev, FX_WARNING);
    assert_string_equal(t.diags.d[0].check, "structure");
    assert_has(t.diags.d[0].msg, "\"extra\"");
    assert_int_equal(t.diags.d[0].line, 2);
    assert_int_equal(t.diags.d[0].col, 41);
    assert_int_equal(ct_rec(&t, 0)->nfields, 0);
    ct_run_free(&t);
}

static void test_struct_errors(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {}}\n"
                "{\"pk\": 1,\"fields\": {}}\n"                       /* 2: no model */
                "{\"model\": \"ab\",\"pk\": 1,\"fields\": {}}\n"       /* 3: bad label */
                "{\"model\": \"a.b\",\"pk\": 1}\n"                    /* 4: no fields */
                "{\"model\": \"a.b\",\"pk\": 1,\"fields\": []}\n"     /* 5: fields [] */
                "{\"model\": 5,\"pk\": 1,\"fields\": {}}\n"           /* 6: model 5 */
                "{\"model\": \"a.b\",\"pk\": true,\"fields\": {}}\n"  /* 7: pk true */
                "{\"model\": \"a.b.c\",\"pk\": 1,\"fields\": {}}\n"   /* 8: bad label */
                "{\"model\": \"a.b\",\"pk\": [1],\"fields\": {}}\n"   /* 9: pk [1] */
                "{\"model\": \".b\",\"pk\": 1,\"fields\": {}}\n"      /* 10 */
                "{\"model\": \"a.b\",\"pk\": 11,\"fields\": {}}\n");
    assert_string_equal(ct_shape(&t), "RTTTTTTTTTR");
    static const struct {
        unsigned long line, col;
        const char *words;
    } want[] = {
        {2, 1, "no \"model\""},
        {3, 11, "invalid model label"},
        {4, 1, "no \"fields\""},
        {5, 35, "\"fields\" must be an object"},
        {6, 11, "\"model\" must be a string"},
        {7, 23, "\"pk\" must be a number, a string or null"},
        {8, 11, "invalid model label"},
        {9, 23, "\"pk\" must be"},
        {10, 11, "invalid model label"},
    };
    for (size_t i = 0; i < 9; i++) {
        const fx_error *e = ct_err(&t, i);
        assert_int_equal(e->code, FX_ESTRUCT);
        if (e->line != want[i].line || e->col != want[i].col)
            fail_msg("error %zu at %lu:%lu, want %lu:%lu (%s)", i, e->line, e->col,
                     want[i].line, want[i].col, e->msg);
        assert_has(e->msg, want[i].words);
    }
    assert_string_equal(ct_rec(&t, 1)->pk_key, "11");
    assert_int_equal(ct_rec(&t, 1)->ordinal, 10);   /* ordinals count bad ones */
    ct_run_free(&t);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "[\n"
                "{\n  \"model\": \"a.b\",\n  \"pk\": 1,\n  \"fields\": {\n    \"x\": \"\\q\"\n  }\n},\n"
                "{\n  \"model\": \"a.b\",\n  \"pk\": 00,\n  \"fields\": {}\n},\n"
                "{\"model\": \"a.b\", \"pk\": 3, \"fields\": {\"s\": \"a\tb\"}},\n"
                "{\"model\": \"a.b\", \"pk\": 4, \"fields\": {\"x\": 1 \"y\": 2}},\n"
                "{\"model\": \"a.b\", \"pk\": 5, \"fields\": {}},\n"
                "]\n");
    assert_string_equal(ct_shape(&t), "SSSSRS");
    static const struct {
        unsigned long line, col;
        const char *words;
    } want[] = {
        {6, 11, "invalid escape '\\q'"},
        {11, 9, "leading zero"},
        {14, 45, "control character U+0009"},
        {15, 45, "expected ',' or '}'"},
        {17, 1, "trailing comma"},
    };
    for (size_t i = 0; i < 5; i++) {
        const fx_error *e = ct_err(&t, i);
        assert_int_equal(e->code, FX_ESYNTAX);
        if (e->line != want[i].line || e->col != want[i].col)
            fail_msg("error %zu at %lu:%lu, want %lu:%lu (%s)", i, e->line, e->col,
                     want[i].line, want[i].col, e->msg);
        assert_has(e->msg, want[i].words);
    }
    assert_has(ct_err(&t, 1)->msg, "'00'");
    assert_has(ct_err(&t, 2)->msg, "near '\\x09b\"}},'");
    assert_int_equal(ct_err(&t, 1)->offset, 96);
    assert_string_equal(ct_rec(&t, 0)->pk_key, "5");
    assert_int_equal(ct_rec(&t, 0)->line, 16);
    ct_run_free(&t);
}

static void test_syntax_errors_more(void **state)
{
    (void)state;
    ct_run t;
    /* A missing comma between records: reported, and the record kept. */
    ct_read(&t, "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n"
                "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}},\n"
                "{\"model\": \"a.b\", \"pk\": 3, \"fields\": {}}\n]\n");
    assert_string_equal(ct_shape(&t), "RSRR");
    assert_int_equal(ct_err(&t, 0)->line, 3);
    assert_int_equal(ct_err(&t, 0)->col, 1);
    assert_has(ct_err(&t, 0)->msg, "comma");
    assert_string_equal(ct_rec(&t, 1)->pk_key, "2");
    assert_string_equal(ct_rec(&t, 2)->pk_key, "3");
    ct_run_free(&t);

    /* Not records in the list; bad numbers and words.  Each error is at
    ** the first byte of its needle. */
    static const char bad[] =
        "[1, {\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}, "
        "{\"model\": \"a.b\", \"pk\": 3, \"fields\": {\"a\": -Inf}}, "
        "{\"model\": \"a.b\", \"pk\": 4, \"fields\": {\"a\": nan}}, "
        "{\"model\": \"a.b\", \"pk\": 5, \"fields\": {\"a\": 1.}}, "
        "{\"model\": \"a.b\", \"pk\": 6, \"fields\": {\"a\": tru}}, "
        "{\"model\": \"a.b\", \"pk\": 7, \"fields\": {\"a\": 1e}}, "
        "{\"model\": \"a.b\", \"pk\": 8, \"fields\": {\"a\": '1'}}, "
        "{\"model\": \"a.b\", \"pk\": 9, \"fields\": {a: 1}}, "
        "{\"model\": \"a.b\", \"pk\": 10, \"fields\": {\"a\": [1 2]}}, "
        "{\"model\": \"a.b\", \"pk\": 11, \"fields\": {\"a\": \"\\u12g4\"}}, "
        "{\"model\": \"a.b\", \"pk\": 12, \"fields\": {\"a\": -x}}, "
        "{\"model\": \"a.b\", \"pk\": 13, \"fields\": {\"a\" 1}}, "
        "{\"model\": \"a.b\", \"pk\": 14, \"fields\": {}}]";
    ct_read(&t, bad);
    assert_string_equal(ct_shape(&t), "SRSSSSSSSSSSSR");
    static const struct {
        const char *needle;
        const char *words;
    } want[] = {
        {"1, {", "expected a record '{'"},
        {"-Inf}", "invalid number"},
        {"nan}", "expected a value"},
        {"1.}", "a digit must follow '.'"},
        {"tru}", "expected a value"},
        {"1e}", "a digit must follow the exponent"},
        {"'1'", "expected a value"},
        {"a: 1", "expected a key string"},
        {"2]}", "expected ',' or ']' in a list"},
        {"\\u12g4", "four hex digits"},
        {"-x}", "a digit must follow '-'"},
        {"1}}, {\"model\": \"a.b\", \"pk\": 14", "expected ':' after a key"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const fx_error *e = ct_err(&t, i);
        const char *at = strstr(bad, want[i].needle);
        assert_non_null(at);
        unsigned long col = (unsigned long)(at - bad) + 1;
        assert_int_equal(e->code, FX_ESYNTAX);
        assert_int_equal(e->line, 1);
        if (e->col != col)
            fail_msg("error %zu at column %lu, want %lu (%s)", i, e->col, col, e->msg);
        assert_int_equal(e->offset, e->col - 1);
        assert_has(e->msg, want[i].words);
    }
    assert_string_equal(ct_rec(&t, 0)->pk_key, "2");
    assert_string_equal(ct_rec(&t, 1)->pk_key, "14");
    ct_run_free(&t);

    /* Text after the closing ']'. */
    ct_read(&t, "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}]\n[]\n");
    assert_string_equal(ct_shape(&t), "RS");
    assert_int_equal(ct_err(&t, 0)->line, 2);
    assert_int_equal(ct_err(&t, 0)->col, 1);
    assert_has(ct_err(&t, 0)->msg, "after the closing ']'");
    ct_run_free(&t);

    /* Nesting too deep. */
    char deep[2000];
    size_t k = (size_t)sprintf(deep, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"x\": ");
    for (int i = 0; i < 600; i++)
        deep[k++] = '[';
    for (int i = 0; i < 600; i++)
        deep[k++] = ']';
    k += (size_t)sprintf(deep + k, "}}\n{\"model\": \"a.b\",\"pk\": 2,\"fields\": {}}\n");
    ct_read_n(&t, deep, k);
    assert_string_equal(ct_shape(&t), "SR");
    assert_has(ct_err(&t, 0)->msg, "nesting deeper than 512");
    ct_run_free(&t);
}

static void test_jsonl_errors(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {}} {\"model\": \"a.b\",\"pk\": 2,\"fields\": {}}\n"
                "[1]\n"
                "{\"model\": \"a.b\",\"pk\": 3,\"fields\": {\"a\": 01}}\n"
                "{\"model\": \"a.b\",\"pk\": 4,\"fields\": {}}\n");
    assert_string_equal(ct_shape(&t), "RSSSR");
    assert_int_equal(ct_err(&t, 0)->line, 1);
    assert_int_equal(ct_err(&t, 0)->col, 39);
    assert_int_equal(ct_err(&t, 0)->offset, 38);
    assert_has(ct_err(&t, 0)->msg, "one record a line");
    assert_int_equal(ct_err(&t, 1)->line, 2);
    assert_int_equal(ct_err(&t, 1)->col, 1);
    assert_has(ct_err(&t, 1)->msg, "start of the line");
    assert_int_equal(ct_err(&t, 2)->line, 3);
    assert_int_equal(ct_err(&t, 2)->col, 41);
    assert_has(ct_err(&t, 2)->msg, "'01'");
    assert_string_equal(ct_rec(&t, 1)->pk_key, "4");
    assert_int_equal(ct_rec(&t, 1)->line, 4);
    ct_run_free(&t);
}

/* ------------------------------------------------------------ truncation */

/* Cut text at every length; check what the reader makes of each cut. */
static void truncate_all(const char *text, int jsonl)
{
    size_t n = strlen(text);
    ct_run full;
    ct_read(&full, text);
    assert_int_equal(full.end_rc, 0);
    assert_int_equal(full.nerr, 0);
    assert_int_equal(full.nrec, 2);
    size_t close = jsonl ? n : (size_t)(strrchr(text, ']') - text) + 1;
    for (size_t cut = 0; cut < n; cut++) {
        ct_run t;
        ct_read_n(&t, text, cut);
        /* Records: exactly those that end before the cut, as read in full. */
        size_t want = 0;
        for (size_t i = 0; i < full.nrec; i++) {
            const fx_record *f = ct_rec(&full, i);
            if (f->offset + f->len <= cut)
                want++;
        }
        if (t.nrec != want)
            fail_msg("cut at %zu: %zu records, want %zu", cut, t.nrec, want);
        for (size_t i = 0; i < t.nrec; i++) {
            const fx_record *a = ct_rec(&t, i), *b = ct_rec(&full, i);
            assert_int_equal(a->offset, b->offset);
            assert_int_equal(a->len, b->len);
            assert_memory_equal(a->text, b->text, a->len);
            assert_true(a->offset + a->len <= cut);
        }
        /* A valid prefix ends cleanly; any other cut is an error, last. */
        int valid;
        if (cut == 0)
            valid = 0;
        else if (!jsonl)
            valid = cut >= close;
        else {
            valid = 0;
            for (size_t i = 0; i < full.nrec; i++) {
                const fx_record *f = ct_rec(&full, i);
                if (cut == f->offset + f->len || cut == f->offset + f->len + 1)
                    valid = 1;
            }
        }
        if (valid) {
            if (t.nerr)
                fail_msg("cut at %zu: unexpected error %s", cut, ct_err(&t, 0)->msg);
            assert_int_equal(t.end_rc, 0);
            ct_run_free(&t);
            continue;
        }
        if (t.nerr != 1)
            fail_msg("cut at %zu: %zu errors (%s)", cut, t.nerr, ct_shape(&t));
        const ct_event *last = &t.ev[t.nev - 1];
        assert_true(last->rc < 0);
        if (cut == 0) {
            assert_int_equal(last->rc, FX_EFORMAT);
            assert_has(last->err.msg, "empty file");
        } else {
            if (last->rc != FX_ESYNTAX)
                fail_msg("cut at %zu: code %d: %s", cut, last->rc, last->err.msg);
            assert_has(last->err.msg, "end of file");
            assert_true(last->err.offset <= cut);
            assert_true(last->err.line >= 1);
        }
        ct_run_free(&t);
    }
    ct_run_free(&full);
}

static void test_truncate_indent(void **state)
{
    (void)state;
    truncate_all(INDENT2, 0);
}

static void test_truncate_compact(void **state)
{
    (void)state;
    truncate_all(COMPACT, 0);
}

static void test_truncate_jsonl(void **state)
{
    (void)state;
    truncate_all(JSONL, 1);
}

static void test_truncate_message(void **state)
{
    (void)state;
    ct_run t;
    ct_read_n(&t, INDENT2, 80);     /* inside the second record */
    assert_string_equal(ct_shape(&t), "RS");
    assert_has(ct_err(&t, 0)->msg, "unexpected end of file inside the record "
                                   "that starts at line 9 column 1");
    assert_int_equal(ct_err(&t, 0)->line, 10);
    assert_int_equal(ct_err(&t, 0)->col, 11);
    assert_int_equal(ct_err(&t, 0)->offset, 80);
    ct_run_free(&t);

    ct_read_n(&t, INDENT2, 66);     /* just after the first record */
    assert_string_equal(ct_shape(&t), "RS");
    assert_has(ct_err(&t, 0)->msg, "not closed with ']'");
    ct_run_free(&t);
}

/* ------------------------------------------------------------ conflicts */

static void test_conflict_between_records(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "[\n"
                "{\n  \"model\": \"a.b\",\n  \"pk\": 1,\n  \"fields\": {}\n},\n"
                "<<<<<<< HEAD\n"
                "{\n  \"model\": \"a.b\",\n  \"pk\": 2,\n  \"fields\": {}\n},\n"
                "=======\n"
                "{\n  \"model\": \"a.b\",\n  \"pk\": 3,\n  \"fields\": {}\n},\n"
                ">>>>>>> feature\n"
                "{\n  \"model\": \"a.b\",\n  \"pk\": 4,\n  \"fields\": {}\n}\n"
                "]\n");
    assert_string_equal(ct_shape(&t), "RSRSRSR");
    static const unsigned long lines[] = {7, 13, 19};
    static const char *const marks[] = {"'<<<<<<<'", "'======='", "'>>>>>>>'"};
    for (size_t i = 0; i < 3; i++) {
        const fx_error *e = ct_err(&t, i);
        assert_int_equal(e->code, FX_ESYNTAX);
        assert_has(e->msg, "conflict marker");
        assert_has(e->msg, marks[i]);
        assert_int_equal(e->line, lines[i]);
        assert_int_equal(e->col, 1);
    }
    for (size_t i = 0; i < 4; i++) {
        char pk[4];
        snprintf(pk, sizeof pk, "%zu", i + 1);
        assert_string_equal(ct_rec(&t, i)->pk_key, pk);
    }
    assert_int_equal(ct_rec(&t, 3)->line, 20);
    ct_run_free(&t);
}

static void test_conflict_inside_record(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "[\n"
                "{\n  \"model\": \"a.b\",\n  \"pk\": 1,\n  \"fields\": {}\n},\n"
                "{\n  \"model\": \"a.b\",\n  \"pk\": 2,\n  \"fields\": {\n"
                "<<<<<<< HEAD\n    \"x\": 1\n=======\n    \"x\": 2\n>>>>>>> b\n"
                "  }\n},\n"
                "{\n  \"model\": \"a.b\",\n  \"pk\": 5,\n  \"fields\": {}\n}\n"
                "]\n");
    assert_int_equal(t.end_rc, 0);
    /* The damaged record is not returned; the ones around it are. */
    assert_int_equal(t.nrec, 2);
    assert_string_equal(ct_rec(&t, 0)->pk_key, "1");
    assert_string_equal(ct_rec(&t, 1)->pk_key, "5");
    assert_int_equal(ct_rec(&t, 1)->line, 18);
    assert_true(t.nerr >= 3);
    int markers = 0;
    for (size_t i = 0; i < t.nerr; i++) {
        assert_int_equal(ct_err(&t, i)->code, FX_ESYNTAX);
        if (strstr(ct_err(&t, i)->msg, "conflict marker"))
            markers++;
    }
    assert_int_equal(markers, 3);
    assert_int_equal(ct_err(&t, 0)->line, 11);
    assert_has(ct_err(&t, 0)->msg, "conflict marker '<<<<<<<'");
    ct_run_free(&t);
}

static void test_conflict_jsonl(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {}}\n"
                "<<<<<<< ours\n"
                "{\"model\": \"a.b\",\"pk\": 2,\"fields\": {}}\n"
                "=======\n"
                "{\"model\": \"a.b\",\"pk\": 3,\"fields\": {}}\n"
                ">>>>>>> theirs\n"
                "{\"model\": \"a.b\",\"pk\": 4,\"fields\": {}}\n");
    assert_string_equal(ct_shape(&t), "RSRSRSR");
    for (size_t i = 0; i < 3; i++) {
        assert_has(ct_err(&t, i)->msg, "conflict marker");
        assert_int_equal(ct_err(&t, i)->line, 2 + 2 * i);
    }
    assert_string_equal(ct_rec(&t, 3)->pk_key, "4");
    assert_int_equal(ct_rec(&t, 3)->line, 7);
    ct_run_free(&t);

    /* A marker first in the file. */
    ct_read(&t, "<<<<<<< HEAD\n[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}]\n");
    assert_int_equal(ct_err(&t, 0)->code, FX_ESYNTAX);
    assert_has(ct_err(&t, 0)->msg, "conflict marker");
    assert_int_equal(ct_err(&t, 0)->line, 1);
    ct_run_free(&t);
}

/* ------------------------------------------------------------ values */

static void test_numbers(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"a\": NaN,\"b\": Infinity,"
                "\"c\": -Infinity,\"d\": 123456789012345678901234567890,\"e\": -0,"
                "\"f\": 1e-07,\"g\": 1.0,\"h\": -0.0,\"i\": 1E+2,\"j\": 18446744073709551617}}\n");
    assert_string_equal(ct_shape(&t), "R");
    static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    static const char *const vals[] = {
        "NaN", "Infinity", "-Infinity", "123456789012345678901234567890", "-0",
        "1e-07", "1.0", "-0.0", "1E+2", "18446744073709551617"};
    const fx_record *r = ct_rec(&t, 0);
    assert_int_equal(r->nfields, 10);
    for (size_t i = 0; i < 10; i++) {
        const fx_field *f = fx_record_field(r, names[i]);
        assert_non_null(f);
        assert_int_equal(f->value.type, FX_NUMBER);
        assert_int_equal(f->value.len, strlen(vals[i]));
        assert_memory_equal(f->value.text, vals[i], f->value.len);
    }
    assert_int_equal(t.diags.n, 0);
    ct_run_free(&t);
}

static void test_value_types(void **state)
{
    (void)state;
    ct_run t;
    ct_read(&t, "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"n\": null, \"t\": true, "
                "\"f\": false, \"s\": \"x\", \"a\": [], \"o\": {\"k\": [1, {}]}}}]");
    const fx_record *r = ct_rec(&t, 0);
    static const fx_type types[] = {FX_NULL, FX_TRUE, FX_FALSE, FX_STRING, FX_ARRAY,
                                    FX_OBJECT};
    static const char *const vals[] = {"null", "true", "false", "\"x\"", "[]",
                                       "{\"k\": [1, {}]}"};
    assert_int_equal(r->nfields, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(r->fields[i].value.type, types[i]);
        assert_int_equal(r->fields[i].value.len, strlen(vals[i]));
        assert_memory_equal(r->fields[i].value.text, vals[i], strlen(vals[i]));
    }
    ct_run_free(&t);
}

/* ------------------------------------------------------------ big inputs */

static void test_big_record(void **state)
{
    (void)state;
    size_t big = 5 * 1024 * 1024;
    const char *head = "[\n{\n  \"model\": \"a.b\",\n  \"pk\": 1,\n  \"fields\": {\n    \"s\": \"";
    const char *tail = "\"\n  }\n},\n{\n  \"model\": \"a.b\",\n  \"pk\": 2,\n  \"fields\": {}\n}\n]\n";
    size_t hl = strlen(head), tl = strlen(tail);
    char *s = malloc(hl + big + tl);
    memcpy(s, head, hl);
    for (size_t i = 0; i < big; i++)
        s[hl + i] = (char)('a' + i % 26);
    memcpy(s + hl + big, tail, tl);
    ct_run t;
    ct_read_n(&t, s, hl + big + tl);
    assert_string_equal(ct_shape(&t), "RR");
    const fx_record *r = ct_rec(&t, 0);
    const fx_field *f = fx_record_field(r, "s");
    assert_non_null(f);
    assert_int_equal(f->value.len, big + 2);
    assert_memory_equal(f->value.text, s + hl - 1, big + 2);
    assert_int_equal(r->len, hl - 2 + big + 7);     /* to the '}' of "\n}" */
    assert_memory_equal(r->text + r->len - 2, "\n}", 2);
    const fx_record *r2 = ct_rec(&t, 1);
    assert_int_equal(r2->offset, hl + big + 9);     /* after "},\n" */
    assert_int_equal(r2->line, 9);
    assert_int_equal(r2->col, 1);
    check_layout(&t, FX_FORMAT_JSON, 2, 0);
    ct_run_free(&t);

    /* The same as jsonl, then gzip-compressed. */
    size_t jn = 0;
    char *j = malloc(big + 200);
    jn += (size_t)sprintf(j, "{\"model\": \"a.b\",\"pk\": 1,\"fields\": {\"s\": \"");
    memcpy(j + jn, s + hl, big);
    jn += big;
    jn += (size_t)sprintf(j + jn, "\"}}\n{\"model\": \"a.b\",\"pk\": 2,\"fields\": {}}\n");
    const char *p = ct_write_named("big.jsonl", j, jn);
    const char *gz = ct_path("big.jsonl.gz");
    assert_int_equal(ct_sh("gzip -1 -c '%s' > '%s'", p, gz), 0);
    ct_read_path(&t, gz);
    assert_string_equal(ct_shape(&t), "RR");
    assert_int_equal(fx_record_field(ct_rec(&t, 0), "s")->value.len, big + 2);
    assert_int_equal(ct_rec(&t, 1)->line, 2);
    assert_int_equal(ct_rec(&t, 1)->offset, jn - 38);
    ct_run_free(&t);
    free(j);
    free(s);
}

static void count_records(const char *path, size_t want, const char *last_pk)
{
    fx_reader *r;
    fx_error e;
    assert_int_equal(fx_reader_open(&r, path, NULL, &e), 0);
    const fx_record *rec;
    size_t n = 0;
    int rc;
    char last[64] = "";
    uint64_t prev_end = 0;
    while ((rc = fx_reader_next(r, &rec, &e)) == 1) {
        assert_int_equal(rec->ordinal, n);
        assert_true(rec->offset >= prev_end);
        prev_end = rec->offset + rec->len;
        assert_int_equal(rec->line, n + 1 + (rec->layout.format == FX_FORMAT_JSON));
        snprintf(last, sizeof last, "%s", rec->pk_key);
        n++;
    }
    if (rc != 0)
        fail_msg("%s:%lu:%lu: %s", e.file, e.line, e.col, e.msg);
    assert_int_equal(n, want);
    assert_string_equal(last, last_pk);
    assert_true(fx_reader_offset(r) >= prev_end);
    fx_reader_free(r);
}

static void test_many_records(void **state)
{
    (void)state;
    size_t n = 200000;
    fx_buf b = FX_BUF_INIT, a = FX_BUF_INIT;
    fx_buf_adds(&a, "[\n");
    for (size_t i = 0; i < n; i++) {
        fx_buf_printf(&b, "{\"model\": \"app.thing\",\"pk\": %zu,\"fields\": "
                      "{\"name\": \"thing number %zu\",\"n\": %zu}}\n", i + 1, i, i * 7);
        fx_buf_printf(&a, "{\"model\": \"app.thing\", \"pk\": %zu, \"fields\": "
                      "{\"name\": \"thing number %zu\"}}%s\n", i + 1, i, i + 1 < n ? "," : "");
    }
    fx_buf_adds(&a, "]\n");
    assert_true(b.len > 3 * 1024 * 1024);    /* several buffer refills */
    const char *p = ct_write_named("many.jsonl", b.data, b.len);
    count_records(p, n, "200000");
    const char *q = ct_write_named("many.json", a.data, a.len);
    count_records(q, n, "200000");
    fx_buf_free(&a);
    fx_buf_free(&b);
}

/* ------------------------------------------------------------ stdin */

/* gzip: 1 pipes it through gzip; 2 writes the first bytes one at a time. */
static void read_stdin(const char *data, size_t n, int gzip, ct_run *t)
{
    const char *p = ct_write_named("stdin.json", data, n);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (gzip == 2) {
            for (int i = 0; i < 8 && n; i++, n--) {
                if (write(fds[1], data++, 1) != 1)
                    _exit(1);
                usleep(5000);
            }
        } else if (gzip) {
            dup2(fds[1], 1);
            execlp("gzip", "gzip", "-c", p, (char *)NULL);
            _exit(127);
        }
        const char *q = data;
        while (n) {
            ssize_t k = write(fds[1], q, n);
            if (k <= 0)
                _exit(1);
            q += k;
            n -= (size_t)k;
        }
        _exit(0);
    }
    close(fds[1]);
    int saved = dup(0);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fds[0], 0), 0);
    close(fds[0]);
    ct_read_path(t, "-");
    dup2(saved, 0);
    close(saved);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_stdin(void **state)
{
    (void)state;
    ct_run t;
    read_stdin(INDENT2, strlen(INDENT2), 0, &t);
    check_small_records(&t);
    assert_string_equal(ct_rec(&t, 0)->file, "-");
    ct_run_free(&t);

    read_stdin(JSONL, strlen(JSONL), 1, &t);
    check_two(&t);
    check_layout(&t, FX_FORMAT_JSONL, -1, 0);
    ct_run_free(&t);

    /* A slow pipe: the first reads are a byte each. */
    read_stdin(INDENT2, strlen(INDENT2), 2, &t);
    check_small_records(&t);
    ct_run_free(&t);
    char buf[1024];
    size_t n = to_utf16(buf, INDENT2, 0);
    read_stdin(buf, n, 2, &t);
    assert_string_equal(ct_shape(&t), "RR");
    assert_int_equal(t.diags.n, 1);
    assert_string_equal(t.diags.d[0].check, "encoding");
    ct_run_free(&t);
}

static void test_reader_offset(void **state)
{
    (void)state;
    char *p = ct_write(JSONL);
    fx_reader *r;
    fx_error e;
    assert_int_equal(fx_reader_open(&r, p, NULL, &e), 0);
    assert_string_equal(fx_reader_name(r), p);
    const fx_record *rec;
    assert_int_equal(fx_reader_next(r, &rec, &e), 1);
    assert_int_equal(fx_reader_offset(r), 46);      /* just after the record */
    assert_int_equal(fx_reader_next(r, &rec, &e), 1);
    assert_int_equal(fx_reader_next(r, &rec, &e), 0);
    assert_null(rec);
    assert_int_equal(fx_reader_offset(r), strlen(JSONL));
    assert_int_equal(fx_reader_next(r, &rec, &e), 0);   /* stays at the end */
    fx_reader_free(r);
    fx_reader_free(NULL);
    ct_unlink(p);
}


/* ------------------------------------------------------------ skimming */

static int want_orders(void *ctx, const char *label)
{
    (*(int *)ctx)++;
    return strcmp(label, "supermarket.commande") == 0;
}

/* With opts.want, exactly the wanted records come back, the same as a full
** read gives them (offset, position, ordinal, hash), in every layout. */
static void test_want_skims(void **state)
{
    (void)state;
    const char *files[] = {"base.json", "base.compact.json", "base.jsonl",
                           "base.natural.json", "base.json.gz"};
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        fx_reader *a, *b;
        fx_error err;
        int asked = 0;
        fx_reader_opts all = {.diag = NULL};
        fx_reader_opts some = {.want = want_orders, .want_ctx = &asked};
        assert_int_equal(fx_reader_open(&a, ct_corpus(files[k]), &all, &err), 0);
        assert_int_equal(fx_reader_open(&b, ct_corpus(files[k]), &some, &err), 0);
        const fx_record *ra, *rb;
        size_t n = 0, total = 0;
        int rc;
        while ((rc = fx_reader_next(a, &ra, &err)) == 1) {
            total++;
            if (strcmp(ra->label, "supermarket.commande") != 0)
                continue;
            uint64_t off = ra->offset, h = fx_record_hash(ra), ord = ra->ordinal;
            unsigned long line = ra->line, col = ra->col;
            assert_int_equal(fx_reader_next(b, &rb, &err), 1);
            assert_string_equal(rb->label, "supermarket.commande");
            assert_int_equal(rb->offset, off);
            assert_int_equal(rb->line, line);
            assert_int_equal(rb->col, col);
            assert_int_equal(rb->ordinal, ord);
            assert_true(fx_record_hash(rb) == h);
            n++;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(fx_reader_next(b, &rb, &err), 0);
        assert_int_equal(n, 2000);
        assert_int_equal(total, 10852);
        assert_true(asked > 0);
        fx_reader_free(a);
        fx_reader_free(b);
    }
}

/* A record whose first key is not "model" is parsed and returned, wanted
** or not: skimming never hides what it cannot read quickly. */
static void test_want_other_order(void **state)
{
    (void)state;
    int asked = 0;
    const char *text = "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}, "
                       "{\"pk\": 2, \"model\": \"a.b\", \"fields\": {}}]";
    char *path = ct_write_n(text, strlen(text));
    fx_reader_opts some = {.want = want_orders, .want_ctx = &asked};
    fx_reader *r;
    fx_error err;
    const fx_record *rec;
    assert_int_equal(fx_reader_open(&r, path, &some, &err), 0);
    assert_int_equal(fx_reader_next(r, &rec, &err), 1);
    assert_string_equal(rec->pk_key, "2");
    assert_int_equal(rec->ordinal, 1);
    assert_int_equal(fx_reader_next(r, &rec, &err), 0);
    assert_int_equal(asked, 1);
    fx_reader_free(r);
    ct_unlink(path);
}

/* ------------------------------------------------------------ leads and frames */

/* Read text to the end (seekable), keeping each record's lead as a string
** ("(null)" when not known); the frame into *f (its strings copied to
** parts[], which the caller frees).  Returns the number of records. */
static size_t leads_of(const char *text, size_t n, char **leads, size_t max,
                       fx_frame *f, char *parts[4])
{
    char *path = ct_write_n(text, n);
    fx_reader_opts ro = {.seekable = 1};
    fx_reader *r;
    fx_error err;
    const fx_record *rec;
    size_t k = 0;
    int rc;
    assert_int_equal(fx_reader_open(&r, path, &ro, &err), 0);
    while ((rc = fx_reader_next(r, &rec, &err)) != 0) {
        if (rc < 0)
            continue;
        assert_true(k < max);
        leads[k++] = rec->lead ? strndup(rec->lead, rec->lead_len) : strdup("(null)");
    }
    fx_reader_frame(r, f);
    const char *const p[4] = {f->head, f->first, f->sep, f->tail};
    const size_t pn[4] = {f->head_len, f->first_len, f->sep_len, f->tail_len};
    for (int i = 0; i < 4; i++)
        parts[i] = p[i] ? strndup(p[i], pn[i]) : strdup("(null)");
    fx_reader_free(r);
    ct_unlink(path);
    return k;
}

static void free_strs(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
}

static void test_leads_and_frames(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t nrec;
        const char *leads[3];
        int bom;
        const char *head, *first, *sep, *tail;
    } c[] = {
        {"\xEF\xBB\xBF [\n{\"model\": \"a.b\", \"fields\": {}},\n  {\"model\": \"a.b\", "
         "\"fields\": {}} ,\r\n{\"model\": \"a.b\", \"fields\": {}}\n]\n\n",
         3, {"\n", ",\n  ", " ,\r\n"}, 1, " [", "\n", ",\n  ", "\n]\n\n"},
        {"[{\"model\": \"a.b\", \"fields\": {}}, {\"model\": \"a.b\", \"fields\": {}}]",
         2, {"", ", "}, 0, "[", "", ", ", "]"},
        {"\n{\"model\": \"a.b\", \"fields\": {}}\r\n\n{\"model\": \"a.b\", \"fields\": {}}",
         2, {"\n", "\r\n\n"}, 0, "", "\n", "\r\n\n", ""},
        {"\xEF\xBB\xBF{\"model\": \"a.b\", \"fields\": {}}\n", 1, {""}, 1, "", "", "(null)",
         "\n"},
        {"\n[ ]", 0, {NULL}, 0, "\n[", "(null)", "(null)", " ]"},
        {"[\n]\n", 0, {NULL}, 0, "[", "(null)", "(null)", "\n]\n"},
        /* After an error the next lead is not known; a gap comes again after
        ** the next record. */
        {"[{\"model\": \"a.b\", \"fields\": {}}, {\"model\": 1 2}, {\"model\": \"a.b\", "
         "\"fields\": {}}, {\"model\": \"a.b\", \"fields\": {}}]",
         3, {"", "(null)", ", "}, 0, "[", "", ", ", "]"},
        /* Before the end, no tail: a file cut short has none. */
        {"[{\"model\": \"a.b\", \"fields\": {}},", 1, {""}, 0, "[", "", "(null)", "(null)"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        char *leads[4], *parts[4];
        fx_frame f;
        size_t n = leads_of(c[i].text, strlen(c[i].text), leads, 4, &f, parts);
        assert_int_equal(n, c[i].nrec);
        for (size_t k = 0; k < n; k++)
            assert_string_equal(leads[k], c[i].leads[k]);
        assert_int_equal(f.bom, c[i].bom);
        assert_string_equal(parts[0], c[i].head);
        assert_string_equal(parts[1], c[i].first);
        assert_string_equal(parts[2], c[i].sep);
        assert_string_equal(parts[3], c[i].tail);
        free_strs(leads, n);
        free_strs(parts, 4);
    }
}

/* White space between records past a megabyte is not kept: that lead is
** not known, the others are, and memory stays bounded. */
static void test_lead_too_long(void **state)
{
    (void)state;
    size_t big = 1536 * 1024;
    const char *a = "[{\"model\": \"a.b\", \"fields\": {}},", *b = "{\"model\": \"a.b\", "
                    "\"fields\": {}}, {\"model\": \"a.b\", \"fields\": {}}]";
    char *text = malloc(strlen(a) + big + strlen(b) + 1);
    assert_non_null(text);
    strcpy(text, a);
    memset(text + strlen(a), ' ', big);
    strcpy(text + strlen(a) + big, b);
    char *leads[3], *parts[4];
    fx_frame f;
    assert_int_equal(leads_of(text, strlen(text), leads, 3, &f, parts), 3);
    assert_string_equal(leads[0], "");
    assert_string_equal(leads[1], "(null)");
    assert_string_equal(leads[2], ", ");
    assert_string_equal(parts[2], ", ");         /* the first lead known */
    assert_string_equal(parts[3], "]");
    free_strs(leads, 3);
    free_strs(parts, 4);
    free(text);
}

/* After fx_reader_seek() a record's lead is not known; fx_reader_seek_lead()
** gives it back; a seek to 0 reads the frame again. */
static void test_seek_lead(void **state)
{
    (void)state;
    const char *text = "[\n  {\"model\": \"a.b\", \"pk\": 1, \"fields\": {}},\n  "
                       "{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}},\n\n  "
                       "{\"model\": \"a.b\", \"pk\": 3, \"fields\": {}}\n]";
    char *path = ct_write_n(text, strlen(text));
    fx_reader_opts ro = {.seekable = 1};
    fx_reader *r;
    fx_error err;
    fx_frame f;
    const fx_record *rec;
    uint64_t off[3];
    unsigned long line[3], col[3];
    size_t lead[3];
    assert_int_equal(fx_reader_open(&r, path, &ro, &err), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fx_reader_next(r, &rec, &err), 1);
        off[i] = rec->offset, line[i] = rec->line, col[i] = rec->col;
        lead[i] = rec->lead_len;
    }
    assert_int_equal(fx_reader_next(r, &rec, &err), 0);
    assert_int_equal(lead[2], 5);
    assert_int_equal(fx_reader_seek(r, off[2], line[2], col[2], &err), 0);
    assert_int_equal(fx_reader_next(r, &rec, &err), 1);
    assert_string_equal(rec->pk_key, "3");
    assert_null(rec->lead);
    for (int i = 2; i >= 1; i--) {
        assert_int_equal(fx_reader_seek_lead(r, off[i], lead[i], line[i], col[i], &err), 0);
        assert_int_equal(fx_reader_next(r, &rec, &err), 1);
        assert_int_equal(rec->offset, off[i]);
        assert_int_equal(rec->line, line[i]);
        assert_int_equal(rec->col, col[i]);
        assert_int_equal(rec->lead_len, lead[i]);
        assert_memory_equal(rec->lead, i == 2 ? ",\n\n  " : ",\n  ", lead[i]);
    }
    assert_int_equal(fx_reader_next(r, &rec, &err), 1);   /* reads on after it */
    assert_string_equal(rec->pk_key, "3");
    assert_int_equal(rec->lead_len, 5);
    assert_int_equal(fx_reader_seek_lead(r, 4, 9, 1, 1, &err), FX_EUSAGE);
    assert_int_equal(fx_reader_seek(r, 0, 1, 1, &err), 0);
    fx_reader_frame(r, &f);
    assert_null(f.head);
    assert_int_equal(fx_reader_next(r, &rec, &err), 1);
    assert_memory_equal(rec->lead, "\n  ", 3);
    fx_reader_frame(r, &f);
    assert_memory_equal(f.head, "[", f.head_len);
    assert_int_equal(f.first_len, 3);
    assert_null(f.tail);
    fx_reader_free(r);
    ct_unlink(path);
}

/* The layout is what the first record holds. */
static void test_layout_detected(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        fx_format format;
        int indent, crlf, tabs, depth;
        const char *order, *colon, *comma, *name;
    } c[] = {
        {"[\n  {\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {}\n  }\n]",
         FX_FORMAT_JSON, 2, 0, 0, 1, "", "", "", "indent=2 (depth 1)"},
        {"[\n\t{\r\n\t\t\"model\": \"a.b\",\r\n\t\t\"fields\": {}\r\n\t}\r\n]",
         FX_FORMAT_JSON, 1, 1, 1, 1, "", "", "", "indent=1 (CRLF, tabs, depth 1)"},
        {"[\n{\n\t\"pk\": 1,\n\t\"model\": \"a.b\",\n\t\"fields\": {}\n}\n]",
         FX_FORMAT_JSON, 1, 0, 1, 0, "pmf", "", "", "indent=1 (tabs, keys pk model fields)"},
        {"[{\"pk\":1,\"model\":\"a.b\",\"fields\":{}}]", FX_FORMAT_JSON, -1, 0, 0, 0,
         "pmf", ":", ",", "compact (keys pk model fields, separators ',' ':')"},
        {"[{\"fields\": {}, \"model\": \"a.b\"}]", FX_FORMAT_JSON, -1, 0, 0, 0, "fmp", "",
         "", "compact (keys fields model pk)"},
        {"[\n{\n   \"model\" : \"a.b\", \n   \"fields\": {}\n}\n]", FX_FORMAT_JSON, 3, 0, 0,
         0, "", " : ", ", ", "indent=3 (separators ', ' ' : ')"},
        {"{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n", FX_FORMAT_JSONL, -1, 0, 0, 0,
         "", "", ", ", "jsonl (separators ', ' ': ')"},
        {"{\"model\": \"a.b\",\"pk\": 1,\"fields\": {}}\r\n", FX_FORMAT_JSONL, -1, 1, 0, 0,
         "", "", "", "jsonl (CRLF)"},
        /* dumpdata's own: nothing beyond format, indent, crlf */
        {"[\n{\n    \"model\": \"a.b\",\n    \"pk\": 1,\n    \"fields\": {}\n}\n]\n",
         FX_FORMAT_JSON, 4, 0, 0, 0, "", "", "", "indent=4"},
        {"[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}]", FX_FORMAT_JSON, -1, 0, 0, 0,
         "", "", "", "compact"},
        /* a closing brace not where the first key says: the spaces only */
        {"[\n{\n  \"model\": \"a.b\",\n  \"fields\": {}}\n]", FX_FORMAT_JSON, 2, 0, 0, 0,
         "", "", "", "indent=2"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        ct_run t;
        ct_read(&t, c[i].text);
        assert_int_equal(t.nerr, 0);
        fx_layout l = t.layout;
        char name[128];
        if (l.format != c[i].format || l.indent != c[i].indent || l.crlf != c[i].crlf ||
            l.tabs != c[i].tabs || l.depth != c[i].depth || strcmp(l.order, c[i].order) ||
            strcmp(l.colon, c[i].colon) || strcmp(l.comma, c[i].comma) ||
            strcmp(fx_layout_name(l, name, sizeof name), c[i].name))
            fail_msg("case %zu: got %s, want %s", i, fx_layout_name(l, name, sizeof name),
                     c[i].name);
        /* every record carries it */
        assert_int_equal(t.ev[0].rec->layout.depth, c[i].depth);
        ct_run_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leads_and_frames),
        cmocka_unit_test(test_lead_too_long),
        cmocka_unit_test(test_seek_lead),
        cmocka_unit_test(test_layout_detected),
        cmocka_unit_test(test_layout_indent2),
        cmocka_unit_test(test_layout_indent4),
        cmocka_unit_test(test_layout_compact),
        cmocka_unit_test(test_layout_jsonl),
        cmocka_unit_test(test_layout_corpus),
        cmocka_unit_test(test_crlf_indent),
        cmocka_unit_test(test_crlf_jsonl),
        cmocka_unit_test(test_utf8_bom),
        cmocka_unit_test(test_utf16le),
        cmocka_unit_test(test_utf16be),
        cmocka_unit_test(test_invalid_utf8_cp1252),
        cmocka_unit_test(test_lone_surrogate),
        cmocka_unit_test(test_compressed),
        cmocka_unit_test(test_zip_two_members),
        cmocka_unit_test(test_damaged_gzip),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_empty_array),
        cmocka_unit_test(test_not_a_fixture),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_record_positions),
        cmocka_unit_test(test_pk_kinds),
        cmocka_unit_test(test_model_label),
        cmocka_unit_test(test_fields_order_and_duplicates),
        cmocka_unit_test(test_duplicate_top_keys),
        cmocka_unit_test(test_unknown_top_key),
        cmocka_unit_test(test_struct_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_syntax_errors_more),
        cmocka_unit_test(test_jsonl_errors),
        cmocka_unit_test(test_truncate_indent),
        cmocka_unit_test(test_truncate_compact),
        cmocka_unit_test(test_truncate_jsonl),
        cmocka_unit_test(test_truncate_message),
        cmocka_unit_test(test_conflict_between_records),
        cmocka_unit_test(test_conflict_inside_record),
        cmocka_unit_test(test_conflict_jsonl),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_big_record),
        cmocka_unit_test(test_many_records),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_reader_offset),
        cmocka_unit_test(test_want_skims),
        cmocka_unit_test(test_want_other_order),
    };
    return cmocka_run_group_tests_name("reader", tests, ct_setup, ct_teardown);
}
