/*
** writer.c: writes records in a layout (fixture.h's fx_layout), byte for
** byte as dumpdata (Python's json module under Django's serializers)
** writes its own:
**
**   compact   [{"model": "a.b", "pk": 1, "fields": {"x": [1, 2]}}, {...}]
**             separators ", " and ": ", no newline at the end;
**   indent N  "[\n" records ",\n" "\n]\n", each record indented N a level
**             from column 0, separators "," and ": ", [] and {} when empty;
**   jsonl     one record a line, separators "," and ": ", "\n" after each;
**
** and the others as the file they came from shows them (tabs, records
** indented inside the array, another key order, other separators).
**
** A record that comes from a file of the same layout and was not changed is
** copied as it was read; any other is laid out anew from its values, whose
** scalars keep their original text.  Between records go Django's
** separators, or, once fx_writer_frame() gave the frame of a file, the
** bytes that file had: its head, each record's own lead, its tail.
*/
#define _GNU_SOURCE             /* memrchr */
#include "internal.h"

#include <stdlib.h>

struct fx_writer {
    fx_output *o;
    fx_layout l;
    fx_buf b;
    uint64_t count;
    int opened;        /* '[' written (with a frame: the head) */
    int finished;
    int sep_done;      /* the next record's ',' went before a text */
    char last;         /* the last byte written, 0 before any */
    int count_nl;      /* count line ends (fx_writer_count_lines) */
    uint64_t lines;    /* line ends written, when counted */
    /* With a frame (fx_writer_frame): its parts, copied. */
    int framed;
    int bom;
    fx_buf head, first, sep, tail;
    int have_head, have_first, have_sep, have_tail;
};

/* ------------------------------------------------------------ layouts */

static const char *comma_of(const fx_layout *l)
{
    if (l->comma[0])
        return l->comma;
    return l->format == FX_FORMAT_JSON && l->indent < 0 ? ", " : ",";
}

static const char *colon_of(const fx_layout *l)
{
    return l->colon[0] ? l->colon : ": ";
}

static const char *eol(fx_layout l)
{
    return l.crlf ? "\r\n" : "\n";
}

/* Members on lines of their own? */
static int on_lines(fx_layout l)
{
    return l.format == FX_FORMAT_JSON && l.indent >= 0;
}

/* The separators and order are NUL-padded (as the reader and initialisers
** leave them): compared whole, four bytes at once. */
int fx__layout_same(const fx_layout *a, const fx_layout *b)
{
    if (a->format != b->format || a->crlf != b->crlf || memcmp(a->colon, b->colon, 4) ||
        memcmp(a->comma, b->comma, 4) || memcmp(a->order, b->order, 4))
        return 0;
    if (a->format == FX_FORMAT_JSONL || (a->indent < 0 && b->indent < 0))
        return 1;
    return a->indent == b->indent && a->tabs == b->tabs && a->depth == b->depth;
}

static int layout_ok(fx_layout l)
{
    if (!(l.format == FX_FORMAT_JSON || l.format == FX_FORMAT_JSONL) || l.indent < -1 ||
        l.indent > 64 || (l.crlf != 0 && l.crlf != 1) || (l.tabs != 0 && l.tabs != 1) ||
        l.depth < 0 || l.depth > 16 || l.colon[3] || l.comma[3] || l.order[3])
        return 0;
    if (l.order[0] && (strlen(l.order) != 3 || !strchr(l.order, 'm') ||
                       !strchr(l.order, 'p') || !strchr(l.order, 'f')))
        return 0;
    return 1;
}

/* How values are laid out: members on lines of their own or not, and
** before each line the prefix pfx then `levels` levels of indentation. */
typedef struct lay {
    fx_layout l;
    int lines;
    const char *pfx;
    size_t plen;
    int levels;        /* added to every depth */
} lay;

static int newline(fx_buf *b, const lay *y, int depth)
{
    size_t n = (size_t)(y->l.indent * (y->levels + depth));
    if (fx_buf_adds(b, eol(y->l)) || fx_buf_add(b, y->pfx, y->plen) || fx_buf_grow(b, n))
        return FX_ENOMEM;
    memset(b->data + b->len, y->l.tabs ? '\t' : ' ', n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int value(fx_buf *b, fx_value v, const lay *y, int depth);

static int container(fx_buf *b, fx_value v, const lay *y, int depth)
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
        if (!first && fx_buf_adds(b, comma_of(&y->l)))
            return FX_ENOMEM;
        first = 0;
        if (y->lines && newline(b, y, depth + 1))
            return FX_ENOMEM;
        if (v.type == FX_OBJECT &&
            (fx_buf_add(b, k.text, k.len) || fx_buf_adds(b, colon_of(&y->l))))
            return FX_ENOMEM;
        if (value(b, e, y, depth + 1))
            return FX_ENOMEM;
    }
    if (y->lines && newline(b, y, depth))
        return FX_ENOMEM;
    return fx_buf_addc(b, (char)(open + 2));
}

static int value(fx_buf *b, fx_value v, const lay *y, int depth)
{
    if (v.type == FX_ARRAY || v.type == FX_OBJECT)
        return container(b, v, y, depth);
    return fx_buf_add(b, v.text, v.len);
}

int fx__value_format(fx_buf *out, fx_value v, fx_layout l, int lines, const char *pfx,
                     size_t plen)
{
    if (!lines || l.indent < 0)
        l.indent = -1;              /* on one line: its separators */
    lay y = {l, l.indent >= 0, pfx, plen, 0};
    return value(out, v, &y, 0);
}

/* A string as Python's json.dumps(ensure_ascii=False) writes it. */
int fx__json_string(fx_buf *b, const char *s, size_t n)
{
    if (fx_buf_addc(b, '"'))
        return FX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
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

static int string(fx_buf *b, const char *s)
{
    return fx__json_string(b, s, strlen(s));
}

int fx_record_format(fx_buf *out, const fx_record *rec, fx_layout l)
{
    if (!layout_ok(l))
        return FX_EUSAGE;
    if (!rec->changed && rec->text && fx__layout_same(&rec->layout, &l))
        return fx_buf_add(out, rec->text, rec->len);
    lay y = {l, on_lines(l), "", 0, l.depth};
    const char *order = l.order[0] ? l.order : "mpf";
    fx_buf *b = out;
    int n = 0;
    if (fx_buf_addc(b, '{'))
        return FX_ENOMEM;
    for (const char *k = order; *k; k++) {
        if (*k == 'p' && !rec->has_pk)
            continue;
        if ((n++ && fx_buf_adds(b, comma_of(&l))) || (y.lines && newline(b, &y, 1)))
            return FX_ENOMEM;
        if (*k == 'm') {
            if (fx_buf_adds(b, "\"model\"") || fx_buf_adds(b, colon_of(&l)) ||
                string(b, rec->model))
                return FX_ENOMEM;
            continue;
        }
        if (*k == 'p') {
            if (fx_buf_adds(b, "\"pk\"") || fx_buf_adds(b, colon_of(&l)) ||
                fx_buf_add(b, rec->pk.text, rec->pk.len))
                return FX_ENOMEM;
            continue;
        }
        if (fx_buf_adds(b, "\"fields\"") || fx_buf_adds(b, colon_of(&l)))
            return FX_ENOMEM;
        if (rec->nfields == 0) {
            if (fx_buf_adds(b, "{}"))
                return FX_ENOMEM;
            continue;
        }
        if (fx_buf_addc(b, '{'))
            return FX_ENOMEM;
        for (size_t i = 0; i < rec->nfields; i++) {
            if (i && fx_buf_adds(b, comma_of(&l)))
                return FX_ENOMEM;
            if ((y.lines && newline(b, &y, 2)) ||
                fx__json_string(b, rec->fields[i].name, rec->fields[i].name_len) ||
                fx_buf_adds(b, colon_of(&l)) || value(b, rec->fields[i].value, &y, 2))
                return FX_ENOMEM;
        }
        if ((y.lines && newline(b, &y, 1)) || fx_buf_addc(b, '}'))
            return FX_ENOMEM;
    }
    if ((y.lines && newline(b, &y, 0)) || fx_buf_addc(b, '}'))
        return FX_ENOMEM;
    return 0;
}

/* ------------------------------------------------------------ the writer */

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

/* Django's framing puts a newline after '[' and between records only when
** indent is truthy (> 0); indent 0 frames like compact. */
static int framed(fx_layout l)
{
    return l.format == FX_FORMAT_JSON && l.indent > 0;
}

static int put(fx_writer *w, fx_error *err)
{
    const char *p = w->b.data, *e = p + w->b.len;
    if (w->b.len)
        w->last = w->b.data[w->b.len - 1];
    while (w->count_nl && p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        w->lines++;
        p++;
    }
    int rc = fx_output_write(w->o, w->b.data, w->b.len, err);
    fx_buf_reset(&w->b);
    return rc;
}

/* The indentation of a record's first line: the layout's depth. */
static int indentation(fx_buf *b, fx_layout l)
{
    lay y = {l, 1, "", 0, l.depth};
    size_t at = b->len;
    if (newline(b, &y, 0))
        return FX_ENOMEM;
    size_t nl = strlen(eol(l));
    memmove(b->data + at, b->data + at + nl, b->len - at - nl + 1);
    b->len -= nl;
    return 0;
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
        return fx_buf_addc(b, '[') || (framed(w->l) && (fx_buf_adds(b, eol(w->l)) ||
                                                        indentation(b, w->l)));
    }
    if (w->count == 0 || w->sep_done) {      /* after a text: a line start */
        w->sep_done = 0;
        return framed(w->l) ? indentation(b, w->l) : 0;
    }
    if (fx_buf_addc(b, ','))
        return FX_ENOMEM;
    return framed(w->l) ? fx_buf_adds(b, eol(w->l)) || indentation(b, w->l)
                        : fx_buf_adds(b, " ");
}

/* ------------------------------------------------------------ frames */

enum part { HEAD, FIRST, SEP, TAIL };

static int copy_part(fx_buf *b, int *have, const char *p, size_t n)
{
    if (!p)
        return 0;
    fx_buf_reset(b);
    *have = 1;
    return fx_buf_add(b, p, n);
}

int fx_writer_frame(fx_writer *w, const fx_frame *f)
{
    int rc = 0;
    w->framed = 1;
    if (!w->opened) {
        w->bom = f->bom;
        rc |= copy_part(&w->head, &w->have_head, f->head, f->head_len);
        rc |= copy_part(&w->first, &w->have_first, f->first, f->first_len);
    }
    rc |= copy_part(&w->sep, &w->have_sep, f->sep, f->sep_len);
    rc |= copy_part(&w->tail, &w->have_tail, f->tail, f->tail_len);
    return rc ? FX_ENOMEM : 0;
}

/* Is lead[0..n) a separator between two records of w's layout? */
static int is_sep(const fx_writer *w, const char *lead, size_t n)
{
    return lead && memchr(lead, w->l.format == FX_FORMAT_JSON ? ',' : '\n', n);
}

/* Part `which` of the frame into b: the one given, else as dumpdata would
** write it (indented as deep as the layout's records). */
static int add_part(fx_writer *w, fx_buf *b, enum part which)
{
    const fx_buf *given = which == HEAD ? (w->have_head ? &w->head : NULL)
                        : which == FIRST ? (w->have_first ? &w->first : NULL)
                        : which == SEP ? (w->have_sep && is_sep(w, w->sep.data, w->sep.len)
                                          ? &w->sep : NULL)
                        : (w->have_tail ? &w->tail : NULL);
    if (given)
        return fx_buf_add(b, given->data, given->len);
    fx_layout l = w->l;
    if (l.format == FX_FORMAT_JSONL)
        return which == SEP || which == TAIL ? fx_buf_adds(b, eol(l)) : 0;
    if (which == HEAD)
        return fx_buf_addc(b, '[');
    if (which == TAIL)
        return framed(l) ? fx_buf_printf(b, "%s]%s", eol(l), eol(l)) : fx_buf_addc(b, ']');
    if (which == SEP && fx_buf_adds(b, !framed(l) && l.indent == 0 ? ", " : comma_of(&l)))
        return FX_ENOMEM;
    if (!framed(l))
        return 0;
    lay y = {l, 1, "", 0, l.depth};
    return newline(b, &y, 0);
}

/* Drop from b, from index from on, what comes before the last line start
** (after a text the writer is at one: keep the indentation only; a
** separator on one line, ", " between compact records, goes whole). */
static void from_line_start(fx_buf *b, size_t from)
{
    char *nl = b->len > from ? memrchr(b->data + from, '\n', b->len - from) : NULL;
    if (!nl)
        nl = b->data + b->len - 1;
    size_t cut = (size_t)(nl + 1 - (b->data + from));
    memmove(b->data + from, b->data + from + cut, b->len - from - cut + 1);
    b->len -= cut;
}

static int open_frame(fx_writer *w)
{
    if (w->opened)
        return 0;
    w->opened = 1;
    return (w->bom && fx_buf_adds(&w->b, "\xEF\xBB\xBF")) || add_part(w, &w->b, HEAD);
}

static int frame_write(fx_writer *w, const fx_record *rec)
{
    fx_buf *b = &w->b;
    if (open_frame(w))
        return FX_ENOMEM;
    size_t at = b->len;
    int rc;
    if (w->count == 0)
        rc = add_part(w, b, FIRST);
    else if (rec->lead && fx__layout_same(&rec->layout, &w->l) &&
             is_sep(w, rec->lead, rec->lead_len))
        rc = fx_buf_add(b, rec->lead, rec->lead_len);
    else
        rc = add_part(w, b, SEP);
    if (rc)
        return FX_ENOMEM;
    if (w->sep_done) {                     /* after a text: at a line start */
        w->sep_done = 0;
        from_line_start(b, at);
    }
    return fx_record_format(b, rec, w->l);
}

int fx_writer_write(fx_writer *w, const fx_record *rec, fx_error *err)
{
    int rc;
    if (w->framed)
        rc = frame_write(w, rec);
    else
        rc = before(w) || fx_record_format(&w->b, rec, w->l) ||
             (w->l.format == FX_FORMAT_JSONL && fx_buf_adds(&w->b, eol(w->l)));
    if (rc)
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
    if (w->framed) {
        bad = open_frame(w);
        if (!bad && w->l.format == FX_FORMAT_JSON && w->count > 0 && !w->sep_done)
            bad = fx_buf_addc(b, ',');
        w->sep_done = 1;
    } else if (w->l.format == FX_FORMAT_JSON && !w->opened) {
        bad = fx_buf_addc(b, '[');
    } else if (w->l.format == FX_FORMAT_JSON && w->count > 0 && !w->sep_done) {
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
    int bad = 0;
    if (w->framed) {
        /* jsonl: nothing for no record, no line end after a text. */
        int json = w->l.format == FX_FORMAT_JSON;
        if (json || w->count > 0) {
            bad = open_frame(w);
            size_t at = b->len;
            if (!bad && (json || !w->sep_done))
                bad = add_part(w, b, TAIL);
            if (!bad && w->sep_done) {          /* after a text: from its line */
                char *nl = memchr(b->data + at, '\n', b->len - at);
                if (nl) {
                    size_t cut = (size_t)(nl + 1 - (b->data + at));
                    memmove(b->data + at, nl + 1, b->len - at - cut + 1);
                    b->len -= cut;
                }
            }
        }
    } else if (w->l.format == FX_FORMAT_JSON) {
        if (!w->opened)
            bad = fx_buf_addc(b, '[');
        if (!bad && framed(w->l))
            bad = fx_buf_printf(b, "%s]%s", w->last == '\n' && !b->len ? "" : eol(w->l),
                                eol(w->l));
        else if (!bad)
            bad = fx_buf_addc(b, ']');
    }
    if (bad)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    return put(w, err);
}

void fx_writer_count_lines(fx_writer *w)
{
    w->count_nl = 1;
}

uint64_t fx_writer_lines(const fx_writer *w)
{
    return w->lines;
}

void fx_writer_free(fx_writer *w)
{
    if (!w)
        return;
    fx_buf_free(&w->b);
    fx_buf_free(&w->head);
    fx_buf_free(&w->first);
    fx_buf_free(&w->sep);
    fx_buf_free(&w->tail);
    free(w);
}
