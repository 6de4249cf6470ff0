/*
** writer.c: writes records in Django's layouts, byte for byte as dumpdata
** (Python's json module under Django's serializers) writes them:
**
**   compact   [{"model": "a.b", "pk": 1, "fields": {"x": [1, 2]}}, {...}]
**             separators ", " and ": ", no newline at the end;
**   indent N  "[\n" records ",\n" "\n]\n", each record indented N a level
**             from column 0, separators "," and ": ", [] and {} when empty;
**   jsonl     one record a line, separators "," and ": ", "\n" after each.
**
** A record that comes from a file of the same layout and was not changed is
** copied as it was read; any other is laid out anew from its values, whose
** scalars keep their original text.
*/
#include "internal.h"

#include <stdlib.h>

struct fx_writer {
    fx_output *o;
    fx_layout l;
    fx_buf b;
    uint64_t count;
    int opened;        /* '[' written */
    int finished;
    int sep_done;      /* the next record's ',' went before a text */
    char last;         /* the last byte written, 0 before any */
};

static int newline(fx_buf *b, fx_layout l, int depth)
{
    if (l.crlf && fx_buf_addc(b, '\r'))
        return FX_ENOMEM;
    if (fx_buf_addc(b, '\n') || fx_buf_grow(b, (size_t)(l.indent * depth)))
        return FX_ENOMEM;
    memset(b->data + b->len, ' ', (size_t)(l.indent * depth));
    b->len += (size_t)(l.indent * depth);
    b->data[b->len] = '\0';
    return 0;
}

/* Item separator: ", " compact, "," with indent or jsonl. */
static int item_sep(fx_buf *b, fx_layout l)
{
    return fx_buf_adds(b, l.format == FX_FORMAT_JSON && l.indent < 0 ? ", " : ",");
}

static int value(fx_buf *b, fx_value v, fx_layout l, int depth);

static int container(fx_buf *b, fx_value v, fx_layout l, int depth)
{
    fx_iter it;
    fx_value k, e;
    char open = v.type == FX_OBJECT ? '{' : '[';
    fx_iter_init(&it, v);
    if (!fx_iter_next(&it, &k, &e))
        return fx_buf_addc(b, open) || fx_buf_addc(b, (char)(open + 2));
    if (fx_buf_addc(b, open))
        return FX_ENOMEM;
    int first = 1;
    fx_iter_init(&it, v);
    while (fx_iter_next(&it, &k, &e)) {
        if (!first && item_sep(b, l))
            return FX_ENOMEM;
        first = 0;
        if (l.indent >= 0 && l.format == FX_FORMAT_JSON && newline(b, l, depth + 1))
            return FX_ENOMEM;
        if (v.type == FX_OBJECT &&
            (fx_buf_add(b, k.text, k.len) || fx_buf_adds(b, ": ")))
            return FX_ENOMEM;
        if (value(b, e, l, depth + 1))
            return FX_ENOMEM;
    }
    if (l.indent >= 0 && l.format == FX_FORMAT_JSON && newline(b, l, depth))
        return FX_ENOMEM;
    return fx_buf_addc(b, (char)(open + 2));
}

static int value(fx_buf *b, fx_value v, fx_layout l, int depth)
{
    if (v.type == FX_ARRAY || v.type == FX_OBJECT)
        return container(b, v, l, depth);
    return fx_buf_add(b, v.text, v.len);
}

/* A string as Python's json.dumps(ensure_ascii=False) writes it. */
static int string(fx_buf *b, const char *s)
{
    if (fx_buf_addc(b, '"'))
        return FX_ENOMEM;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int rc;
        switch (c) {
        case '"': rc = fx_buf_adds(b, "\\\""); break;
        case '\\': rc = fx_buf_adds(b, "\\\\"); break;
        case '\n': rc = fx_buf_adds(b, "\\n"); break;
        case '\r': rc = fx_buf_adds(b, "\\r"); break;
        case '\t': rc = fx_buf_adds(b, "\\t"); break;
        case '\b': rc = fx_buf_adds(b, "\\b"); break;
        case '\f': rc = fx_buf_adds(b, "\\f"); break;
        default:
            rc = c < 0x20 ? fx_buf_printf(b, "\\u%04x", c) : fx_buf_addc(b, (char)c);
        }
        if (rc)
            return FX_ENOMEM;
    }
    return fx_buf_addc(b, '"');
}

static int same_layout(fx_layout a, fx_layout b)
{
    if (a.format != b.format || a.crlf != b.crlf)
        return 0;
    return a.format == FX_FORMAT_JSONL || a.indent == b.indent ||
           (a.indent < 0 && b.indent < 0);
}

static int layout_ok(fx_layout l)
{
    return (l.format == FX_FORMAT_JSON || l.format == FX_FORMAT_JSONL) &&
           l.indent >= -1 && l.indent <= 64 && (l.crlf == 0 || l.crlf == 1);
}

int fx_record_format(fx_buf *out, const fx_record *rec, fx_layout l)
{
    if (!layout_ok(l))
        return FX_EUSAGE;
    if (!rec->changed && rec->text && same_layout(rec->layout, l))
        return fx_buf_add(out, rec->text, rec->len);
    int ind = l.format == FX_FORMAT_JSON && l.indent >= 0;
    fx_buf *b = out;
    if (fx_buf_addc(b, '{'))
        return FX_ENOMEM;
    if ((ind && newline(b, l, 1)) || fx_buf_adds(b, "\"model\": ") ||
        string(b, rec->model))
        return FX_ENOMEM;
    if (rec->has_pk) {
        if (item_sep(b, l) || (ind && newline(b, l, 1)) || fx_buf_adds(b, "\"pk\": ") ||
            fx_buf_add(b, rec->pk.text, rec->pk.len))
            return FX_ENOMEM;
    }
    if (item_sep(b, l) || (ind && newline(b, l, 1)) || fx_buf_adds(b, "\"fields\": "))
        return FX_ENOMEM;
    if (rec->nfields == 0) {
        if (fx_buf_adds(b, "{}"))
            return FX_ENOMEM;
    } else {
        if (fx_buf_addc(b, '{'))
            return FX_ENOMEM;
        for (size_t i = 0; i < rec->nfields; i++) {
            if (i && item_sep(b, l))
                return FX_ENOMEM;
            if ((ind && newline(b, l, 2)) || string(b, rec->fields[i].name) ||
                fx_buf_adds(b, ": ") || value(b, rec->fields[i].value, l, 2))
                return FX_ENOMEM;
        }
        if ((ind && newline(b, l, 1)) || fx_buf_addc(b, '}'))
            return FX_ENOMEM;
    }
    if ((ind && newline(b, l, 0)) || fx_buf_addc(b, '}'))
        return FX_ENOMEM;
    return 0;
}

int fx_writer_new(fx_writer **out, fx_output *o, fx_layout layout)
{
    *out = NULL;
    if (!layout_ok(layout))
        return FX_EUSAGE;
    fx_writer *w = calloc(1, sizeof *w);
    if (!w)
        return FX_ENOMEM;
    w->o = o;
    w->l = layout;
    *out = w;
    return 0;
}

static const char *eol(fx_layout l)
{
    return l.crlf ? "\r\n" : "\n";
}

/* Django's framing puts a newline after '[' and between records only when
** indent is truthy (> 0); indent 0 frames like compact. */
static int framed(fx_layout l)
{
    return l.format == FX_FORMAT_JSON && l.indent > 0;
}

static int put(fx_writer *w, fx_error *err)
{
    if (w->b.len)
        w->last = w->b.data[w->b.len - 1];
    int rc = fx_output_write(w->o, w->b.data, w->b.len, err);
    fx_buf_reset(&w->b);
    return rc;
}

/* What goes before a record or a verbatim text: the opening bracket, or
** the separator after the previous record. */
static int before(fx_writer *w)
{
    fx_buf *b = &w->b;
    if (w->l.format == FX_FORMAT_JSONL)
        return 0;
    if (!w->opened) {
        w->opened = 1;
        return fx_buf_addc(b, '[') || (framed(w->l) && fx_buf_adds(b, eol(w->l)));
    }
    if (w->count == 0)
        return 0;
    if (w->sep_done) {
        w->sep_done = 0;
        return 0;
    }
    if (fx_buf_addc(b, ','))
        return FX_ENOMEM;
    return fx_buf_adds(b, framed(w->l) ? eol(w->l) : " ");
}

int fx_writer_write(fx_writer *w, const fx_record *rec, fx_error *err)
{
    if (before(w) || fx_record_format(&w->b, rec, w->l) ||
        (w->l.format == FX_FORMAT_JSONL && fx_buf_adds(&w->b, eol(w->l))))
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    w->count++;
    return put(w, err);
}

int fx_writer_write_text(fx_writer *w, const char *text, size_t n, fx_error *err)
{
    fx_buf *b = &w->b;
    int bad = 0;
    /* The text goes on lines of its own (a conflict marker is one only at
    ** the start of a line): after the previous record's separator, which
    ** then counts as the next record's. */
    if (w->l.format == FX_FORMAT_JSON && !w->opened)
        bad = fx_buf_addc(b, '[');
    else if (w->l.format == FX_FORMAT_JSON && w->count > 0 && !w->sep_done) {
        bad = fx_buf_addc(b, ',');
        w->sep_done = 1;
    }
    w->opened = 1;
    char last = b->len ? b->data[b->len - 1] : w->last;
    if (!bad && last && last != '\n')
        bad = fx_buf_adds(b, eol(w->l));
    if (!bad && n)
        bad = fx_buf_add(b, text, n) || (text[n - 1] != '\n' && fx_buf_adds(b, eol(w->l)));
    if (bad)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    return put(w, err);
}

int fx_writer_finish(fx_writer *w, fx_error *err)
{
    if (w->finished)
        return 0;
    w->finished = 1;
    fx_buf *b = &w->b;
    if (w->l.format == FX_FORMAT_JSON) {
        if (!w->opened && fx_buf_addc(b, '['))
            return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        if (framed(w->l))
            fx_buf_printf(b, "%s]%s", w->last == '\n' && !b->len ? "" : eol(w->l),
                          eol(w->l));
        else
            fx_buf_addc(b, ']');
    }
    return put(w, err);
}

void fx_writer_free(fx_writer *w)
{
    if (!w)
        return;
    fx_buf_free(&w->b);
    free(w);
}
