/*
** reader.c: the streaming fixture reader.
**
** Text comes from input.c as UTF-8 into one buffer.  The reader finds each
** record (a top-level object of the json array, or of a jsonl line) and
** parses it in place with a small recursive-descent JSON parser that checks
** the syntax and notes where the model, pk and each field value lie, so
** that values are never reformatted.  Only the record being parsed is kept:
** when it runs past the end of the buffer, the buffer is compacted (and, for
** a large record, doubled) and the parse starts again, so memory is bounded
** by the largest record and the work stays linear.
**
** After a syntax error the reader reports the place, then resynchronises on
** the next record start ({ "model") so that fxvalidate can go on; leftover
** git conflict markers get their own message and only their line skipped.
**
** The bytes between records are kept too, so that a file can be written
** back as it was: the gap (white space and the comma after a record, or
** after the opening '[') becomes the next record's lead, and the frame
** notes what comes before the first record and after the last.  The
** layout, found in the first record, is what that record holds (indent
** unit, tabs, depth, key order, separators), not one of a list.
*/
#define _GNU_SOURCE             /* memrchr */
#include "input.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define BUF_INIT (1024 * 1024)
#define MAX_PENDING 16
#define SKIM_SEARCH (256 * 1024)   /* how far the skimmer searches for an end */
#define NOGAP ((size_t)-1)
#define GAP_MAX (1024 * 1024)   /* longer white space between records: not kept */

enum state {
    ST_START,        /* nothing read yet */
    ST_ARRAY_FIRST,  /* after '[': a record or ']' */
    ST_ARRAY_NEXT,   /* after a record: ',' or ']' */
    ST_ARRAY_RECORD, /* after ',': a record */
    ST_JSONL,        /* a record or the end */
    ST_JSONL_EOL,    /* after a jsonl record: the end of its line */
    ST_LENIENT,      /* after a conflict marker or resync: anything sensible */
    ST_RESYNC,       /* after a syntax error: look for the next record */
    ST_TRAILER,      /* after ']': only white space */
    ST_DONE
};

struct pending {          /* a diagnostic held until the record is complete */
    fx_severity sev;
    size_t at;            /* buffer index */
    const char *check;
    char msg[300];
};

struct fx_reader {
    fx__input *in;
    char *name;
    fx_diag_fn diag;
    void *ctx;
    char *buf;
    size_t cap, len, pos;     /* buf[0..len) holds text; pos: next byte */
    uint64_t base;            /* stream offset of buf[0] */
    int eof;
    int fatal;                /* a final error: returned again */
    fx_error fatal_err;
    uint64_t t_off;           /* the position tracker: line and column */
    unsigned long t_line, t_col;  /* of stream offset t_off */
    enum state st;
    int json;                 /* json array (1) or jsonl (0) */
    int layout_known;
    fx_layout layout;
    fx_record rec;
    fx_field *fields;
    size_t nfields, fcap;
    size_t *noff;             /* offsets of field names in names */
    fx_buf names;             /* decoded strings of the current record */
    uint64_t ordinal;
    struct pending pend[MAX_PENDING];
    int npend, utf8_seen;
    unsigned nerr;            /* errors pend() was given for this record */
    int after_marker;         /* since the last conflict marker, no record */
    uint64_t diag_to;         /* diagnostics before this stream offset were
                                 given already: a record read again after a
                                 seek does not report them twice */
    int bom;                  /* the text began with a UTF-8 BOM */
    int strict;               /* fx_reader_opts.strict */
    int named;                /* fx__input_name_verdict() was called */
    int (*want)(void *ctx, const char *label);
    void *want_ctx;
    size_t gap;               /* buffer index where the bytes since the last
                                 record (or '[') begin; NOGAP: not known */
    uint64_t since;           /* records met since the start of the text */
    fx_buf head, first, sep, tail;        /* the frame */
    int have_head, have_first, have_sep, have_tail;
    int no_search;            /* the skimmer's search failed once: not again */
};

/* ------------------------------------------------------------ positions */

/* Bytes equal to '\n', and UTF-8 continuation bytes (10xxxxxx), in the
** 8 bytes of w: one bit a byte, counted with popcount (SWAR). */
#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL
static inline int count_nl(uint64_t w)
{
    uint64_t x = w ^ (ONES * '\n');
    uint64_t z = ~(((x & ~HIGH) + ~HIGH) | x | ~HIGH);  /* 0x80 where x's byte is 0 */
    return (int)(((z >> 7) * ONES) >> 56);     /* sum of the 0/1 bytes */
}

static inline int count_cont(uint64_t w)
{
    return (int)((((w & ~(w << 1) & HIGH) >> 7) * ONES) >> 56);
}

/* Move the tracker forward to stream offset off (inside the buffer). */
static void track(fx_reader *r, uint64_t off)
{
    const unsigned char *p = (unsigned char *)r->buf + (r->t_off - r->base);
    const unsigned char *e = (unsigned char *)r->buf + (off - r->base);
    const unsigned char *nl = e > p ? memrchr(p, '\n', (size_t)(e - p)) : NULL;
    unsigned long line = r->t_line, col = r->t_col;
    if (nl) {
        /* Lines: every '\n' in [p, nl]; the column starts again after nl. */
        const unsigned char *q = p;
        unsigned long n = 0;
        for (; q + 8 <= nl + 1; q += 8) {
            uint64_t w;
            memcpy(&w, q, 8);
            n += (unsigned long)count_nl(w);
        }
        for (; q <= nl; q++)
            n += *q == '\n';
        line += n;
        col = 1;
        p = nl + 1;
    }
    /* Columns: characters, so every byte but continuation bytes. */
    unsigned long chars = (unsigned long)(e - p);
    for (; p + 8 <= e; p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        chars -= (unsigned long)count_cont(w);
    }
    for (; p < e; p++)
        chars -= (*p & 0xC0) == 0x80;
    r->t_off = off;
    r->t_line = line;
    r->t_col = col + chars;
}

/* Line and column of buffer index at (>= the tracker), without moving it. */
static void pos_of(fx_reader *r, size_t at, unsigned long *line, unsigned long *col)
{
    uint64_t o = r->t_off;
    unsigned long l = r->t_line, c = r->t_col;
    track(r, r->base + at);
    *line = r->t_line;
    *col = r->t_col;
    r->t_off = o;
    r->t_line = l;
    r->t_col = c;
}

static int utf8_len(const unsigned char *p, const unsigned char *end);

/* A short, printable excerpt of the text at buffer index at. */
static const char *excerpt(fx_reader *r, size_t at, char *out, size_t n)
{
    size_t k = 0;
    for (size_t i = at; i < r->len && k + 5 < n && i < at + 24; i++) {
        unsigned char ch = (unsigned char)r->buf[i];
        if (ch == '\n' || ch == '\r')
            break;
        int u = ch >= 0x80 ? utf8_len((unsigned char *)r->buf + i,
                                      (unsigned char *)r->buf + r->len) : 1;
        if (u > 1 && k + (size_t)u < n) {
            memcpy(out + k, r->buf + i, (size_t)u);   /* a whole character */
            k += (size_t)u;
            i += (size_t)u - 1;
        } else if (ch < 0x20 || ch >= 0x7F) {
            k += (size_t)snprintf(out + k, n - k, "\\x%02X", ch);
        } else {
            out[k++] = (char)ch;
        }
    }
    out[k] = '\0';
    return out;
}

static int err_at(fx_reader *r, fx_error *err, int code, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int err_at(fx_reader *r, fx_error *err, int code, size_t at, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned long line, col;
    pos_of(r, at, &line, &col);
    return fx_error_set(err, code, r->name, line, col, r->base + at, "%s", msg);
}

/* ------------------------------------------------------------ buffering */

/* Keep buf[keep..len) (and one byte before it, to tell line starts), read
** until the buffer is full or the input ends.  Buffer indexes held by the
** caller shift by the returned amount.  Returns the shift, or < 0. */
static long refill(fx_reader *r, size_t keep, fx_error *err)
{
    if (r->gap != NOGAP && r->gap < keep) {   /* keep the gap, unless huge */
        if (keep - r->gap > GAP_MAX)
            r->gap = NOGAP;
        else
            keep = r->gap;
    }
    if (keep > 0)
        keep--;
    track(r, r->base + keep > r->t_off ? r->base + keep : r->t_off);
    size_t shift = keep;
    if (r->t_off < r->base + keep)   /* never drop what the tracker needs */
        shift = (size_t)(r->t_off - r->base);
    memmove(r->buf, r->buf + shift, r->len - shift);
    r->len -= shift;
    r->pos -= shift;
    r->base += shift;
    if (r->gap != NOGAP)
        r->gap -= shift;
    if (r->len > r->cap / 2) {
        size_t cap = r->cap * 2;
        char *b = realloc(r->buf, cap);
        if (!b)
            return fx_error_set(err, FX_ENOMEM, r->name, 0, 0, 0,
                                "out of memory for a record of %zu bytes", r->len);
        r->buf = b;
        r->cap = cap;
    }
    while (!r->eof && r->len < r->cap) {
        ssize_t k = fx__input_read(r->in, r->buf + r->len, r->cap - r->len, err);
        if (k < 0)
            return (long)k;
        if (k == 0)
            r->eof = 1;
        r->len += (size_t)k;
    }
    return (long)shift;
}

/* ------------------------------------------------------------ parsing */

typedef struct {
    fx_reader *r;
    const char *b, *end;      /* the buffer and its end */
    int more;                 /* ran into the end of the buffer */
    const char *at;           /* syntax error place */
    char msg[300];
    int depth;
} pctx;

#define NEED(c, p, n) do { if ((size_t)((c)->end - (p)) < (size_t)(n)) { (c)->more = 1; return NULL; } } while (0)

static const char *fail(pctx *c, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const char *fail(pctx *c, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->at = at;
    return NULL;
}

static void pend(fx_reader *r, fx_severity sev, size_t at, const char *check,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void pend(fx_reader *r, fx_severity sev, size_t at, const char *check,
                 const char *fmt, ...)
{
    r->nerr += sev == FX_ERR;
    if (r->npend >= MAX_PENDING)
        return;
    struct pending *p = &r->pend[r->npend++];
    p->sev = sev;
    p->at = at;
    p->check = check;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
}

static const char *ws(pctx *c, const char *p)
{
    while (p < c->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    if (p >= c->end)
        c->more = 1;
    return p;
}

/* Windows-1252's characters for bytes 0x80-0x9F (0 where undefined). */
static const unsigned short cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030,
    0x0160, 0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D,
    0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E,
    0x0178};

static void bad_utf8(pctx *c, const char *p)
{
    fx_reader *r = c->r;
    if (r->utf8_seen++)
        return;
    unsigned char b = (unsigned char)*p;
    unsigned cp = b >= 0xA0 ? b : cp1252[b - 0x80];
    char ch[8] = "";
    if (cp) {
        fx_buf t = FX_BUF_INIT;
        char js[16];
        snprintf(js, sizeof js, "\"\\u%04x\"", cp);
        fx_value v = {FX_STRING, js, strlen(js)};
        if (fx_value_str(&t, v) == 0)
            snprintf(ch, sizeof ch, "%s", t.data);
        fx_buf_free(&t);
    }
    size_t at = (size_t)(p - c->b);
    if (cp)
        pend(r, FX_ERR, at, "encoding",
             "invalid UTF-8 byte 0x%02X at offset %llu: it reads as '%s' in "
             "Windows-1252, as dumpdata writes on Windows without UTF-8 mode; "
             "export again with 'python -X utf8 manage.py dumpdata -o FILE', or "
             "convert with 'iconv -f WINDOWS-1252 -t UTF-8'",
             b, (unsigned long long)(r->base + at), ch);
    else
        pend(r, FX_ERR, at, "encoding",
             "invalid UTF-8 byte 0x%02X at offset %llu: the file is not UTF-8; "
             "export it again with 'manage.py dumpdata -o FILE'",
             b, (unsigned long long)(r->base + at));
}

/* Length of the valid UTF-8 sequence at p (2-4), 0 if invalid, -1 if it
** runs past the end. */
static int utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char b = p[0];
    int n;
    unsigned min;
    if (b >= 0xC2 && b <= 0xDF) { n = 2; min = 0x80; }
    else if (b >= 0xE0 && b <= 0xEF) { n = 3; min = 0x800; }
    else if (b >= 0xF0 && b <= 0xF4) { n = 4; min = 0x10000; }
    else return 0;
    if (end - p < n)
        return -1;
    unsigned cp = b & (0x3F >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
        return 0;
    return n;
}

static int ishex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v = v << 4 | (unsigned)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
    }
    return v;
}

static const char *parse_string(pctx *c, const char *p)
{
    const char *start = p;
    p++;
    for (;;) {
        while (p < c->end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\' &&
               (unsigned char)*p < 0x80)
            p++;
        NEED(c, p, 1);
        unsigned char ch = (unsigned char)*p;
        if (ch == '"')
            return p + 1;
        if (ch == '\\') {
            NEED(c, p, 2);
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                continue;
            case 'u':
                break;
            default:
                return fail(c, p, "invalid escape '\\%c' in a string: JSON allows "
                                  "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", p[1]);
            }
            NEED(c, p, 6);
            for (int i = 2; i < 6; i++)
                if (!ishex(p[i]))
                    return fail(c, p, "invalid \\u escape: four hex digits must follow '\\u'");
            unsigned u = hex4(p + 2);
            if (u >= 0xD800 && u < 0xDC00) {
                /* Look for a low surrogate only as far as the text goes: a
                ** lone one may end the string, the record, the file. */
                NEED(c, p, 7);
                if (p[6] == '\\')
                    NEED(c, p, 8);
                if (p[6] == '\\' && p[7] == 'u')
                    NEED(c, p, 12);
                if (p[6] == '\\' && p[7] == 'u' && ishex(p[8]) && ishex(p[9]) &&
                    ishex(p[10]) && ishex(p[11]) && hex4(p + 8) >= 0xDC00 &&
                    hex4(p + 8) < 0xE000) {
                    p += 12;
                    continue;
                }
            }
            if (u >= 0xD800 && u < 0xE000)
                pend(c->r, FX_ERR, (size_t)(p - c->b), "encoding",
                     "lone surrogate '\\u%04x' in a string: no database can store "
                     "it; fix the text at its source", u);
            p += 6;
            continue;
        }
        if (ch == '\n' || ch == '\r')
            return fail(c, start, "a string runs to the end of the line: its "
                                  "closing quote is missing (a new line inside a "
                                  "string is written \\n)");
        if (ch < 0x20)
            return fail(c, p, "control character U+%04X inside a string: JSON "
                              "needs it escaped as \\u%04x", ch, ch);
        int n = utf8_len((const unsigned char *)p, (const unsigned char *)c->end);
        if (n < 0) {
            c->more = 1;
            return NULL;
        }
        if (n == 0) {
            bad_utf8(c, p);
            n = 1;
        }
        p += n;
    }
}

static const char *parse_word(pctx *c, const char *p, const char *w)
{
    size_t n = strlen(w);
    size_t have = (size_t)(c->end - p);
    if (memcmp(p, w, have < n ? have : n) != 0)
        return NULL;
    NEED(c, p, n);
    return p + n;
}

static const char *parse_number(pctx *c, const char *p)
{
    const char *q = p;
    if (*q == '-') {
        q++;
        NEED(c, q, 1);
        if (*q == 'I') {
            const char *e = parse_word(c, q, "Infinity");
            return e ? e : c->more ? NULL : fail(c, p, "invalid number");
        }
    }
    NEED(c, q, 1);
    if (*q == '0') {
        q++;
        NEED(c, q, 1);
        if (*q >= '0' && *q <= '9')
            return fail(c, p, "number with a leading zero: JSON does not allow '0%c'", *q);
    } else if (*q >= '1' && *q <= '9') {
        while (q < c->end && *q >= '0' && *q <= '9')
            q++;
    } else {
        return fail(c, p, "invalid number: a digit must follow '-'");
    }
    NEED(c, q, 1);
    if (*q == '.') {
        q++;
        NEED(c, q, 1);
        if (!(*q >= '0' && *q <= '9'))
            return fail(c, p, "invalid number: a digit must follow '.'");
        while (q < c->end && *q >= '0' && *q <= '9')
            q++;
        NEED(c, q, 1);
    }
    if (*q == 'e' || *q == 'E') {
        q++;
        NEED(c, q, 1);
        if (*q == '+' || *q == '-')
            q++;
        NEED(c, q, 1);
        if (!(*q >= '0' && *q <= '9'))
            return fail(c, p, "invalid number: a digit must follow the exponent");
        while (q < c->end && *q >= '0' && *q <= '9')
            q++;
        NEED(c, q, 1);
    }
    return q;
}

static const char *parse_value(pctx *c, const char *p);

static const char *parse_array(pctx *c, const char *p)
{
    if (++c->depth > FX_MAX_DEPTH)
        return fail(c, p, "nesting deeper than %d levels: not a Django fixture", FX_MAX_DEPTH);
    p = ws(c, p + 1);
    if (c->more)
        return NULL;
    if (*p == ']') {
        c->depth--;
        return p + 1;
    }
    for (;;) {
        p = parse_value(c, p);
        if (!p)
            return NULL;
        p = ws(c, p);
        if (c->more)
            return NULL;
        if (*p == ']') {
            c->depth--;
            return p + 1;
        }
        if (*p != ',')
            return fail(c, p, "expected ',' or ']' in a list");
        p = ws(c, p + 1);
        if (c->more)
            return NULL;
    }
}

/* What an object parse collects: nothing (nested values), the record's top
** level, or the record's fields. */
enum omode { O_PLAIN, O_RECORD, O_FIELDS };

struct top {                     /* the record's top-level members */
    fx_value model, pk, fields;
    int has_model, has_pk, has_fields;
};

static int add_field(pctx *c, fx_value key, fx_value val)
{
    fx_reader *r = c->r;
    if (r->nfields == r->fcap) {
        size_t cap = r->fcap ? r->fcap * 2 : 32;
        fx_field *f = realloc(r->fields, cap * sizeof *f);
        size_t *o = realloc(r->noff, cap * sizeof *o);
        if (f)
            r->fields = f;
        if (o)
            r->noff = o;
        if (!f || !o)
            return FX_ENOMEM;
        r->fcap = cap;
    }
    r->noff[r->nfields] = r->names.len;
    if (fx_value_str(&r->names, key) || fx_buf_addc(&r->names, '\0'))
        return FX_ENOMEM;
    size_t len = r->names.len - 1 - r->noff[r->nfields];
    r->fields[r->nfields].name_len = len;
    r->fields[r->nfields].value = val;
    /* A field given twice: Python's json keeps the last.  (Records with
    ** more fields than any model has are not scanned, to stay linear.) */
    const char *nm = r->names.data + r->noff[r->nfields];
    for (size_t i = 0; i < r->nfields && r->nfields < 1024; i++) {
        if (r->fields[i].name_len == len &&
            memcmp(r->names.data + r->noff[i], nm, len) == 0) {
            pend(r, FX_WARNING, (size_t)(key.text - c->b), "duplicate-key",
                 "field %.*s given twice in \"fields\": Python's json keeps "
                 "the last value", (int)(key.len > 60 ? 60 : key.len), key.text);
            break;
        }
    }
    r->nfields++;
    return 0;
}

static const char *parse_object(pctx *c, const char *p, enum omode mode, struct top *top)
{
    if (++c->depth > FX_MAX_DEPTH)
        return fail(c, p, "nesting deeper than %d levels: not a Django fixture", FX_MAX_DEPTH);
    p = ws(c, p + 1);
    if (c->more)
        return NULL;
    if (*p == '}') {
        c->depth--;
        return p + 1;
    }
    for (;;) {
        if (*p != '"')
            return fail(c, p, "expected a key string in double quotes");
        const char *k = p;
        p = parse_string(c, p);
        if (!p)
            return NULL;
        fx_value key = {FX_STRING, k, (size_t)(p - k)};
        p = ws(c, p);
        if (c->more)
            return NULL;
        if (*p != ':')
            return fail(c, p, "expected ':' after a key");
        p = ws(c, p + 1);
        if (c->more)
            return NULL;
        const char *v = p;
        if (mode == O_RECORD && fx_value_str_eq(key, "fields", 6) && *p == '{') {
            if (top->has_fields) {
                pend(c->r, FX_WARNING, (size_t)(k - c->b), "duplicate-key",
                     "record has \"fields\" twice: Python's json keeps the last");
                c->r->nfields = 0;
            }
            p = parse_object(c, p, O_FIELDS, NULL);
        } else {
            p = parse_value(c, p);
        }
        if (!p)
            return NULL;
        fx_value val = {fx__value_type(v), v, (size_t)(p - v)};
        if (mode == O_FIELDS) {
            if (add_field(c, key, val))
                return fail(c, v, "out of memory");
        } else if (mode == O_RECORD) {
            fx_value *slot = NULL;
            int *has = NULL;
            if (fx_value_str_eq(key, "model", 5))
                slot = &top->model, has = &top->has_model;
            else if (fx_value_str_eq(key, "pk", 2))
                slot = &top->pk, has = &top->has_pk;
            else if (fx_value_str_eq(key, "fields", 6))
                slot = &top->fields, has = &top->has_fields;
            if (!slot) {
                pend(c->r, FX_WARNING, (size_t)(k - c->b), "structure",
                     "unknown key %.*s in a record: loaddata ignores it; only "
                     "\"model\", \"pk\" and \"fields\" count",
                     (int)(key.len > 60 ? 60 : key.len), key.text);
            } else {
                if (*has && slot != &top->fields)
                    pend(c->r, FX_WARNING, (size_t)(k - c->b), "duplicate-key",
                         "record has %.*s twice: Python's json keeps the last",
                         (int)key.len, key.text);
                *slot = val;
                *has = 1;
            }
        }
        p = ws(c, p);
        if (c->more)
            return NULL;
        if (*p == '}') {
            c->depth--;
            return p + 1;
        }
        if (*p != ',')
            return fail(c, p, "expected ',' or '}' after a value in an object");
        p = ws(c, p + 1);
        if (c->more)
            return NULL;
    }
}

static const char *parse_value(pctx *c, const char *p)
{
    const char *e;
    switch (*p) {
    case '"': return parse_string(c, p);
    case '{': return parse_object(c, p, O_PLAIN, NULL);
    case '[': return parse_array(c, p);
    case 't': e = parse_word(c, p, "true"); break;
    case 'f': e = parse_word(c, p, "false"); break;
    case 'n': e = parse_word(c, p, "null"); break;
    case 'N': e = parse_word(c, p, "NaN"); break;
    case 'I': e = parse_word(c, p, "Infinity"); break;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return parse_number(c, p);
    default:
        return fail(c, p, "expected a value (string, number, object, list, true, "
                          "false or null)");
    }
    if (!e && !c->more)
        return fail(c, p, "expected a value (string, number, object, list, true, "
                          "false or null)");
    return e;
}

/* ------------------------------------------------------------ records */

static int valid_label(const char *s, size_t n)
{
    size_t dots = 0, i, seg = 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.') {
            if (seg == 0)
                return 0;
            dots++;
            seg = 0;
        } else if (ch == '_' || (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' &&
                   (ch | 0x20) <= 'z') || ch >= 0x80) {
            seg++;
        } else {
            return 0;
        }
    }
    return dots == 1 && seg > 0;
}

/* Report the diagnostics of the record that ends at buffer index end,
** unless it was read (and reported) before a seek back. */
static void flush_pending(fx_reader *r, size_t end)
{
    for (int i = 0; i < r->npend; i++) {
        unsigned long line, col;
        if (r->base + r->pend[i].at < r->diag_to)
            continue;
        pos_of(r, r->pend[i].at, &line, &col);
        fx__diag(r->diag, r->ctx, r->pend[i].sev, r->name, line, col,
                 r->base + r->pend[i].at, r->pend[i].check, "%s", r->pend[i].msg);
    }
    r->npend = 0;
    if (r->base + end > r->diag_to)
        r->diag_to = r->base + end;
}

/* Is buffer index at the start of a git conflict marker line? */
static int marker_at(fx_reader *r, size_t at)
{
    if (at > 0 && r->buf[at - 1] != '\n')
        return 0;
    char m = r->buf[at];
    if (m != '<' && m != '>' && m != '=' && m != '|')
        return 0;
    size_t i;
    for (i = 1; i < 7; i++)
        if (at + i >= r->len || r->buf[at + i] != m)
            return 0;
    return at + 7 >= r->len || r->buf[at + 7] == ' ' || r->buf[at + 7] == '\n' ||
           r->buf[at + 7] == '\r';
}

/* Report the marker at index at, skip its line. */
static int marker_error(fx_reader *r, size_t at, fx_error *err)
{
    char m[8];
    memcpy(m, r->buf + at, 7);
    m[7] = '\0';
    int rc = err_at(r, err, FX_ESYNTAX, at,
                    "leftover merge conflict marker '%s': resolve the conflict "
                    "(keep the side you want, or run fxmerge) and remove the "
                    "marker lines", m);
    char *nl = memchr(r->buf + at, '\n', r->len - at);
    r->pos = nl ? (size_t)(nl - r->buf) + 1 : r->len;
    r->st = ST_LENIENT;
    r->after_marker = 1;
    r->gap = NOGAP;
    return rc;
}

/* Find the first line starting with a marker in buf[from..to). */
static size_t marker_in(fx_reader *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if ((i == 0 || r->buf[i - 1] == '\n') && marker_at(r, i))
            return i;
    return (size_t)-1;
}

/* ------------------------------------------------------------ layout */

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

/* The byte after the JSON string whose opening quote is at p, or NULL
** when it does not end before e. */
static const char *str_end(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Note the separator s[0..n) in dst unless it is dflt (then "" says so),
** too long, or not on one line. */
static void note_sep(char dst[4], const char *s, size_t n, const char *dflt)
{
    if (n > 3 || memchr(s, '\n', n) || (strlen(dflt) == n && memcmp(s, dflt, n) == 0))
        return;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The layout is what the first record holds: walk its top level (the
** text is not trusted: the skimmer calls this on a record it did not
** parse) for the order of its keys, the separators after its first key
** and value, and, when its first key starts a line, the indentation of
** that line and of the closing '}' line, which give the unit and the
** depth.  Anything unusual leaves dumpdata's choice. */
static void detect_layout(fx_reader *r, size_t start, size_t end)
{
    if (r->layout_known)
        return;
    r->layout_known = 1;
    fx_layout *l = &r->layout;
    memset(l, 0, sizeof *l);
    l->format = r->json ? FX_FORMAT_JSON : FX_FORMAT_JSONL;
    l->indent = -1;
    const char *b = r->buf + start, *e = r->buf + end;
    const char *nl = memchr(b, '\n', (size_t)(e - b));
    if (!r->json) {
        const char *le = memchr(e, '\n', (size_t)(r->buf + r->len - e));
        l->crlf = le && le > r->buf && le[-1] == '\r';
    } else if (nl) {
        l->crlf = nl > b && nl[-1] == '\r';
    }
    char order[4] = "";
    size_t no = 0;
    const char *p = b + 1, *w1 = NULL, *comma = NULL, *colon = NULL;
    size_t w1n = 0, comman = 0, colonn = 0;
    for (int first = 1;; first = 0) {
        const char *q = p;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n' || *q == ','))
            q++;
        if (q >= e || *q != '"')
            break;
        const char *nlr = memrchr(p, '\n', (size_t)(q - p));
        if (first && nlr) {
            w1 = nlr + 1;
            w1n = (size_t)(q - w1);
        } else if (!first && !comma) {
            const char *ce = p;
            while (ce < q && *ce != '\r' && *ce != '\n')
                ce++;
            comma = p;
            comman = (size_t)(ce - p);
        }
        const char *ke = str_end(q, e);
        if (!ke)
            break;
        size_t kn = (size_t)(ke - q);
        char k = kn == 7 && memcmp(q, "\"model\"", 7) == 0 ? 'm'
               : kn == 4 && memcmp(q, "\"pk\"", 4) == 0 ? 'p'
               : kn == 8 && memcmp(q, "\"fields\"", 8) == 0 ? 'f' : 0;
        if (k && no < 3 && !memchr(order, k, no))
            order[no++] = k;
        const char *v = ke;
        while (v < e && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n' || *v == ':'))
            v++;
        if (!colon) {
            colon = ke;
            colonn = (size_t)(v - ke);
        }
        if (v >= e)
            break;
        p = fx__skip_value(v, e);
    }
    if (no == 2 && order[0] != 'p' && order[1] != 'p') {  /* no pk: after model */
        char *m = strchr(order, 'm');
        if (m) {
            memmove(m + 2, m + 1, strlen(m + 1) + 1);
            m[1] = 'p';
            no = 3;
        }
    }
    if (no == 3 && strcmp(order, "mpf") != 0)
        memcpy(l->order, order, 4);
    if (colon)
        note_sep(l->colon, colon, colonn, ": ");
    if (comma)
        note_sep(l->comma, comma, comman,
                 r->json && !w1 ? ", " : ",");
    if (!r->json || !w1 || !blank(w1, w1n))
        return;
    /* Indented: the first key's line is the unit deeper than the closing
    ** brace's, which is depth units deep. */
    const char *cl = memrchr(b, '\n', (size_t)(e - 1 - b));
    const char *c = cl ? cl + 1 : e - 1;
    size_t cn = (size_t)(e - 1 - c);
    if (blank(c, cn) && w1n >= cn && memcmp(w1, c, cn) == 0) {
        const char *u = w1 + cn;
        size_t un = w1n - cn, i;
        for (i = 1; i < un && u[i] == u[0]; i++)
            ;
        if (i >= un && un <= 64) {
            l->indent = (int)un;
            l->tabs = un > 0 && u[0] == '\t';
            if (un > 0 && cn % un == 0 && cn / un <= 16 &&
                (cn == 0 || (c[0] == u[0] && c[cn - 1] == u[0] &&
                             memchr(c, u[0] == ' ' ? '\t' : ' ', cn) == NULL)))
                l->depth = (int)(cn / un);
            return;
        }
    }
    size_t n = 0;                       /* else: the spaces of that line */
    while (n < w1n && n < 64 && w1[n] == ' ')
        n++;
    l->indent = (int)n;
}

/* Does a record start in [p, e): a '{' whose first key is "model"?  (So
** the skimmer's search went past a record's end.  A nested object whose
** first key is "model" says so too: the nesting is followed then.) */
static int record_start_in(const char *p, const char *e)
{
    while ((p = memchr(p, '{', (size_t)(e - p))) != NULL) {
        p++;
        while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if (e - p >= 7 && memcmp(p, "\"model\"", 7) == 0)
            return 1;
    }
    return 0;
}

/* Is l a layout dumpdata writes (for the skimmer's searches)? */
static int dumpdata_layout(const fx_layout *l)
{
    return !l->tabs && !l->depth && !l->order[0] && !l->colon[0] && !l->comma[0];
}

/*
** Skimming: with opts->want, a record whose "model" (its first key, as
** dumpdata writes it) the caller does not want is skipped by following
** only strings and nesting, several times faster than parsing it.  Returns
** 1 with *end set when it skipped, 0 when the record must be parsed (wanted,
** or anything unusual: the parser then says what is wrong), -1 when the
** buffer ends first.
*/
static int skim(fx_reader *r, size_t start, size_t *end)
{
    const char *p = r->buf + start + 1, *e = r->buf + r->len;
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    if (e - p < 8)
        return -1;
    if (memcmp(p, "\"model\"", 7) != 0)
        return 0;
    p += 7;
    while (p < e && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    if (p >= e)
        return -1;
    if (*p != '"')
        return 0;
    const char *l = ++p;
    while (p < e && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
        p++;
    if (p >= e)
        return -1;
    if (*p != '"' || p - l >= 256)
        return 0;
    char label[256];
    for (size_t i = 0; i < (size_t)(p - l); i++)
        label[i] = (char)(l[i] >= 'A' && l[i] <= 'Z' ? l[i] + 32 : l[i]);
    label[p - l] = '\0';
    if (r->want(r->want_ctx, label))
        return 0;
    /* Unwanted.  In dumpdata's layouts the end is found by search, since
    ** no JSON string holds a raw newline or an unescaped quote: with an
    ** indent, the record ends at the first '}' in column 0 (what it nests
    ** is indented); compact, the next record starts at '}, {"model"'; jsonl
    ** ends at the line's end.  What follows the end is checked, and so is
    ** that no other record started before it (one written otherwise than
    ** its neighbours would else be skipped with the one it hides);
    ** any surprise falls back to following the nesting; no end within
    ** SKIM_SEARCH bytes, and it does for the rest of the file (the first
    ** record looked like dumpdata's, the others are not).  Other layouts
    ** always follow the nesting. */
    if (r->layout_known && !r->no_search &&
        (r->layout.format == FX_FORMAT_JSONL || dumpdata_layout(&r->layout))) {
        const char *b = r->buf + start, *f = NULL;
        int far = e - p > SKIM_SEARCH;   /* give up past it */
        if (far)
            e = p + SKIM_SEARCH;
        if (r->layout.format == FX_FORMAT_JSONL) {
            const char *nl = memchr(p, '\n', (size_t)(e - p));
            if (nl) {
                f = nl;
                while (f > b && (f[-1] == '\r' || f[-1] == ' ' || f[-1] == '\t'))
                    f--;
                f = f > b && f[-1] == '}' ? f - 1 : NULL;
            } else if (!r->eof && !far) {
                return -1;
            }
        } else if (r->layout.indent > 0) {
            const char *m = p;          /* a '}' right after a newline */
            while ((m = memchr(m, '}', (size_t)(e - m))) && m[-1] != '\n')
                m++;
            if (m && m + 1 < e && (m[1] == ',' || m[1] == '\n' || m[1] == '\r') &&
                !record_start_in(p, m))
                f = m;
            else if (!m && !r->eof && !far)
                return -1;
        } else {
            const char *m = memmem(p, (size_t)(e - p), "}, {\"model\"", 11);
            if (m && !record_start_in(p, m))
                f = m;
            else if (!m && !r->eof && !far)
                return -1;
        }
        if (f) {
            *end = (size_t)(f + 1 - r->buf);
            return 1;
        }
        r->no_search = far;
    }
    e = r->buf + r->len;
    /* Else find the matching '}', jumping from one byte that matters
    ** to the next (table lookups: much faster than comparing each byte). */
    static const unsigned char structural[256] = {
        ['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3};
    static const unsigned char in_string[256] = {['"'] = 1, ['\\'] = 2, ['\n'] = 3};
    const unsigned char *q = (const unsigned char *)r->buf + start;
    const unsigned char *qe = (const unsigned char *)e;
    int depth = 0;
    for (;;) {
        while (q < qe && !structural[*q])
            q++;
        if (q >= qe)
            return -1;
        switch (structural[*q]) {
        case 1:
            for (q++;; q++) {
                while (q < qe && !in_string[*q])
                    q++;
                if (q >= qe)
                    return -1;
                if (*q == '"')
                    break;
                if (*q == '\n')
                    return 0;               /* a broken string: parse to say so */
                q++;                        /* a backslash: skip what it escapes */
            }
            break;
        case 2:
            depth++;
            break;
        case 3:
            if (--depth == 0) {
                *end = (size_t)((const char *)q + 1 - r->buf);
                if (*q != '}')
                    return 0;
                detect_layout(r, start, *end);  /* for the searches above */
                return 1;
            }
            break;
        }
        q++;
    }
}

#define SKIPPED 2

/* Keep s[0..n) in b, and say so in *have.  0 or FX_ENOMEM. */
static int keep_bytes(fx_buf *b, int *have, const char *s, size_t n)
{
    fx_buf_reset(b);
    if (fx_buf_add(b, s, n))
        return FX_ENOMEM;
    *have = 1;
    return 0;
}

/* A record met at buffer index start that ends at end: its lead is the
** gap before it (the frame keeps the first record's, and the first one
** known between two records), and the gap starts again after it.  Sets
** *lead to the lead's index (NOGAP: not known). */
static int met_record(fx_reader *r, size_t start, size_t end, size_t *lead, fx_error *err)
{
    if (r->gap != NOGAP && start - r->gap > GAP_MAX)
        r->gap = NOGAP;
    *lead = r->gap;
    int rc = 0;
    if (r->gap != NOGAP && r->since == 0)
        rc = keep_bytes(&r->first, &r->have_first, r->buf + r->gap, start - r->gap);
    else if (r->gap != NOGAP && !r->have_sep)
        rc = keep_bytes(&r->sep, &r->have_sep, r->buf + r->gap, start - r->gap);
    r->since++;
    r->gap = end;
    return rc ? fx_error_set(err, FX_ENOMEM, r->name, 0, 0, 0, "out of memory") : 0;
}

/* Parse the record at r->pos.  1 with r->rec set, SKIPPED when skimmed
** past, or a negative code. */
static int read_record(fx_reader *r, fx_error *err)
{
    for (;;) {
        size_t start = r->pos;
        if (r->want) {
            size_t end;
            int k = skim(r, start, &end);
            if (k < 0 && !r->eof) {
                long shift = refill(r, start, err);
                if (shift < 0)
                    return (int)shift;
                continue;
            }
            if (k == 1) {
                size_t lead;
                r->pos = end;
                r->ordinal++;
                return met_record(r, start, end, &lead, err) < 0 ? FX_ENOMEM : SKIPPED;
            }
        }
        pctx c = {r, r->buf, r->buf + r->len, 0, NULL, "", 0};
        struct top top;
        memset(&top, 0, sizeof top);
        r->nfields = 0;
        r->npend = 0;
        r->nerr = 0;
        r->utf8_seen = 0;
        fx_buf_reset(&r->names);
        const char *e = parse_object(&c, r->buf + start, O_RECORD, &top);
        if (!e && c.more) {
            if (r->eof) {
                size_t m = marker_in(r, start, r->len);
                if (m != (size_t)-1)
                    return marker_error(r, m, err);
                unsigned long line, col;
                pos_of(r, start, &line, &col);
                int rc = err_at(r, err, FX_ESYNTAX, r->len,
                                "unexpected end of file inside the record that starts "
                                "at line %lu column %lu: the file is truncated (an "
                                "interrupted download or copy?); export it again",
                                line, col);
                r->pos = r->len;
                r->st = ST_DONE;
                return rc;
            }
            long shift = refill(r, start, err);
            if (shift < 0)
                return (int)shift;
            continue;
        }
        if (!e) {
            size_t at = (size_t)(c.at - r->buf);
            size_t ls = at;
            while (ls > start && r->buf[ls - 1] != '\n')
                ls--;
            size_t m = marker_in(r, start, at + 1);
            if (m != (size_t)-1)
                return marker_error(r, m, err);
            char ex[128];
            int rc = err_at(r, err, FX_ESYNTAX, at, "%s, near '%s'", c.msg,
                            excerpt(r, at, ex, sizeof ex));
            r->pos = at;
            r->st = ST_RESYNC;
            r->gap = NOGAP;
            return rc;
        }
        size_t end = (size_t)(e - r->buf), lead;
        r->pos = end;
        track(r, r->base + start);
        if (met_record(r, start, end, &lead, err) < 0)
            return FX_ENOMEM;
        /* Fill in the record. */
        fx_record *rec = &r->rec;
        memset(rec, 0, sizeof *rec);
        rec->text = r->buf + start;
        rec->len = end - start;
        if (lead != NOGAP) {
            rec->lead = r->buf + lead;
            rec->lead_len = start - lead;
        }
        rec->file = r->name;
        rec->offset = r->base + start;
        rec->line = r->t_line;
        rec->col = r->t_col;
        rec->ordinal = r->ordinal++;
        for (size_t i = 0; i < r->nfields; i++)
            r->fields[i].name = NULL;   /* fixed up below, once names is stable */
        int code = 0;
        const char *what = NULL;
        size_t where = start;
        size_t model_at = 0, label_at = 0, pk_at = 0;
        if (!top.has_model) {
            code = FX_ESTRUCT;
            what = "record has no \"model\": every record needs \"model\": "
                   "\"app_label.modelname\"";
        } else if (top.model.type != FX_STRING) {
            code = FX_ESTRUCT;
            where = (size_t)(top.model.text - r->buf);
            what = "\"model\" must be a string \"app_label.modelname\"";
        } else {
            model_at = r->names.len;
            if (fx_value_str(&r->names, top.model) || fx_buf_addc(&r->names, '\0'))
                return fx_error_set(err, FX_ENOMEM, r->name, 0, 0, 0, "out of memory");
            size_t n = r->names.len - 1 - model_at;
            if (!valid_label(r->names.data + model_at, n)) {
                code = FX_ESTRUCT;
                where = (size_t)(top.model.text - r->buf);
                what = "invalid model label: expected \"app_label.modelname\" as in "
                       "\"supermarket.produit\"";
            } else {
                label_at = r->names.len;
                /* grow first: the copy comes from the same buffer */
                if (fx_buf_grow(&r->names, n + 1) ||
                    fx_buf_add(&r->names, r->names.data + model_at, n + 1))
                    return fx_error_set(err, FX_ENOMEM, r->name, 0, 0, 0, "out of memory");
                for (size_t i = 0; i < n; i++) {
                    char *ch = &r->names.data[label_at + i];
                    if (*ch >= 'A' && *ch <= 'Z')
                        *ch = (char)(*ch + 32);
                }
            }
        }
        if (!code && !r->json && memchr(r->buf + start, '\n', end - start)) {
            code = FX_ESTRUCT;
            what = "a record spread over several lines: jsonl holds one record "
                   "a line, and a json file is a list '[...]'; loaddata refuses "
                   "this file";
        }
        if (!code && !top.has_fields) {
            code = FX_ESTRUCT;
            what = "record has no \"fields\": every record needs a \"fields\" "
                   "object, even an empty one {}";
        } else if (!code && top.fields.type != FX_OBJECT) {
            code = FX_ESTRUCT;
            where = (size_t)(top.fields.text - r->buf);
            what = "\"fields\" must be an object of field names and values";
        }
        if (!code && top.has_pk &&
            (top.pk.type == FX_ARRAY || top.pk.type == FX_OBJECT ||
             top.pk.type == FX_TRUE || top.pk.type == FX_FALSE)) {
            code = FX_ESTRUCT;
            where = (size_t)(top.pk.text - r->buf);
            what = "\"pk\" must be a number, a string or null";
        }
        if (!code && top.has_pk && top.pk.type != FX_NULL) {
            pk_at = r->names.len;
            if (top.pk.type == FX_STRING ? fx_value_str(&r->names, top.pk)
                                         : fx_buf_add(&r->names, top.pk.text, top.pk.len))
                return fx_error_set(err, FX_ENOMEM, r->name, 0, 0, 0, "out of memory");
            if (fx_buf_addc(&r->names, '\0'))
                return fx_error_set(err, FX_ENOMEM, r->name, 0, 0, 0, "out of memory");
        }
        detect_layout(r, start, end);
        rec->layout = r->layout;        /* lets writers copy it as it is */
        rec->errors = r->nerr;
        flush_pending(r, end);
        if (code) {
            char ex[128];
            return err_at(r, err, code, where, "%s, near '%s'", what,
                          excerpt(r, where, ex, sizeof ex));
        }
        rec->model = r->names.data + model_at;
        rec->label = r->names.data + label_at;
        rec->has_pk = top.has_pk;
        rec->pk = top.pk;
        rec->pk_key = pk_at ? r->names.data + pk_at : NULL;
        rec->fields = r->fields;
        rec->nfields = r->nfields;
        for (size_t i = 0; i < r->nfields; i++)
            r->fields[i].name = r->names.data + r->noff[i];
        return 1;
    }
}

/* ------------------------------------------------------------ the API */

static int reader_open(fx_reader **out, const char *path, const void *text, size_t n,
                       const fx_reader_opts *opts, fx_error *err)
{
    *out = NULL;
    fx_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(path)) || !(r->buf = malloc(BUF_INIT))) {
        if (r)
            free(r->name);
        free(r);
        return fx_error_set(err, FX_ENOMEM, path, 0, 0, 0, "out of memory");
    }
    r->cap = BUF_INIT;
    r->t_line = r->t_col = 1;
    r->gap = 0;
    if (opts) {
        r->diag = opts->diag;
        r->ctx = opts->diag_ctx;
        r->want = opts->want;
        r->want_ctx = opts->want_ctx;
        r->strict = opts->strict;
    }
    int seekable = opts ? opts->seekable : 0;
    int rc = text ? fx__input_open_mem(&r->in, r->name, text, n, seekable, r->diag, r->ctx,
                                       err)
                  : fx__input_open(&r->in, r->name, seekable, r->diag, r->ctx, err);
    if (rc < 0) {
        fx_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int fx_reader_open(fx_reader **out, const char *path, const fx_reader_opts *opts,
                   fx_error *err)
{
    return reader_open(out, path, NULL, 0, opts, err);
}

int fx__reader_open_mem(fx_reader **out, const char *name, const char *text, size_t n,
                        const fx_reader_opts *opts, fx_error *err)
{
    return reader_open(out, name, text ? text : "", n, opts, err);
}

/* The next non-white byte at or after r->pos (refilling), or -1 at the end
** of the input; < -1 is an error code. */
static int peek(fx_reader *r, fx_error *err)
{
    for (;;) {
        while (r->pos < r->len) {
            char ch = r->buf[r->pos];
            if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t')
                return (unsigned char)ch;
            r->pos++;
        }
        if (r->eof)
            return -1;
        long shift = refill(r, r->pos, err);
        if (shift < 0)
            return (int)shift;
    }
}

/* Make sure n bytes from r->pos are in the buffer when the input has them. */
static int lookahead(fx_reader *r, size_t n, fx_error *err)
{
    while (r->len - r->pos < n && !r->eof) {
        long shift = refill(r, r->pos, err);
        if (shift < 0)
            return (int)shift;
    }
    return 0;
}

/* At the end: what follows the last record is the frame's tail. */
static int keep_tail(fx_reader *r, fx_error *err)
{
    if (r->gap != NOGAP && r->gap <= r->len && r->len - r->gap <= GAP_MAX &&
        keep_bytes(&r->tail, &r->have_tail, r->buf + r->gap, r->len - r->gap))
        return fx_error_set(err, FX_ENOMEM, r->name, 0, 0, 0, "out of memory");
    return 0;
}

static int fatal(fx_reader *r, int rc, fx_error *err)
{
    r->fatal = rc;
    if (err)
        r->fatal_err = *err;
    r->st = ST_DONE;
    return rc;
}

static int syntax(fx_reader *r, fx_error *err, const char *what)
{
    char ex[128];
    size_t at = r->pos;
    int rc = err_at(r, err, FX_ESYNTAX, at, "%s, near '%s'", what,
                    excerpt(r, at, ex, sizeof ex));
    r->st = ST_RESYNC;
    r->gap = NOGAP;
    return rc;
}

/* After a syntax error: skip to the next `{ "model"` (json) or line (jsonl). */
static int resync(fx_reader *r, fx_error *err)
{
    if (!r->json) {
        for (;;) {
            char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
            if (nl) {
                r->pos = (size_t)(nl - r->buf) + 1;
                break;
            }
            r->pos = r->len;
            if (r->eof)
                break;
            long shift = refill(r, r->pos, err);
            if (shift < 0)
                return fatal(r, (int)shift, err);
        }
        r->st = ST_JSONL;
        return 0;
    }
    for (;;) {
        if (r->pos < r->len)
            r->pos++;                       /* past the bad byte */
        while (r->pos < r->len) {
            char *b = memchr(r->buf + r->pos, '{', r->len - r->pos);
            size_t i = b ? (size_t)(b - r->buf) : r->len;
            size_t m = marker_in(r, r->pos, i);
            if (m != (size_t)-1) {
                r->pos = m;
                r->st = ST_LENIENT;
                return 0;
            }
            if (!b) {
                r->pos = r->len;
                break;
            }
            r->pos = i;
            size_t j = i + 1;
            while (j < r->len && (r->buf[j] == ' ' || r->buf[j] == '\n' ||
                                  r->buf[j] == '\r' || r->buf[j] == '\t'))
                j++;
            if (j + 7 > r->len && !r->eof)
                break;                      /* need more text to tell */
            if (j + 7 <= r->len && memcmp(r->buf + j, "\"model\"", 7) == 0) {
                r->st = ST_LENIENT;
                return 0;
            }
            r->pos++;
        }
        if (r->eof) {
            r->st = ST_DONE;
            return 0;
        }
        size_t keep = r->pos;
        long shift = refill(r, keep, err);
        if (shift < 0)
            return fatal(r, (int)shift, err);
        if (r->pos > 0)
            r->pos--;                       /* re-examine the kept '{' */
    }
}

static int next_record(fx_reader *r, const fx_record **out, fx_error *err);

int fx_reader_next(fx_reader *r, const fx_record **out, fx_error *err)
{
    int rc = next_record(r, out, err);
    /* What loaddata makes of the file's name, once a record shows what the
    ** file holds (a file of no record at all has worse troubles). */
    if (rc == 1 && r->strict && !r->named) {
        r->named = 1;
        fx__input_name_verdict(r->in, !r->json);
    }
    return rc;
}

static int next_record(fx_reader *r, const fx_record **out, fx_error *err)
{
    *out = NULL;
    if (r->fatal) {
        if (err)
            *err = r->fatal_err;
        return r->fatal;
    }
    for (;;) {
        if (r->st == ST_RESYNC) {
            int rc = resync(r, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (r->st == ST_DONE)
            return 0;
        if (r->st == ST_JSONL_EOL) {
            for (;;) {
                while (r->pos < r->len && (r->buf[r->pos] == ' ' ||
                       r->buf[r->pos] == '\t' || r->buf[r->pos] == '\r'))
                    r->pos++;
                if (r->pos < r->len || r->eof)
                    break;
                long shift = refill(r, r->pos, err);
                if (shift < 0)
                    return fatal(r, (int)shift, err);
            }
            r->st = ST_JSONL;
            if (r->pos < r->len && r->buf[r->pos] != '\n')
                return syntax(r, err, "more text after the record on the same "
                                      "line: jsonl holds one record a line");
        }
        int ch = peek(r, err);
        if (ch < -1)
            return fatal(r, ch, err);
        if (r->st == ST_START) {
            if (ch == 0xEF && lookahead(r, 3, err) == 0 &&
                memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0) {
                r->pos += 3;                /* a UTF-8 BOM: skipped */
                track(r, r->base + r->pos);
                r->t_col = 1;
                r->bom = 1;
                if (r->gap != NOGAP)
                    r->gap = r->pos;
                continue;
            }
            if (ch == -1)
                return fatal(r, fx_error_set(err, FX_EFORMAT, r->name, 0, 0, 0,
                             "empty file: a fixture holds a list of records "
                             "('[...]') or one record a line; was the export "
                             "interrupted?"), err);
            lookahead(r, 8, err);
            if (marker_at(r, r->pos))
                return marker_error(r, r->pos, err);
            if (ch == '[' || ch == '{') {
                track(r, r->base + r->pos);
                fx__input_verdict(r->in, ch == '{', r->t_line > 1, r->strict);
            }
            if (ch == '[') {
                r->json = 1;
                r->pos++;
                r->st = ST_ARRAY_FIRST;
                if (r->gap != NOGAP) {
                    if (keep_bytes(&r->head, &r->have_head, r->buf + r->gap, r->pos - r->gap))
                        return fatal(r, fx_error_set(err, FX_ENOMEM, r->name, 0, 0, 0,
                                                     "out of memory"), err);
                    r->gap = r->pos;
                }
                continue;
            }
            if (ch == '{') {
                r->json = 0;
                r->st = ST_JSONL;
                r->have_head = 1;
                fx_buf_reset(&r->head);
                continue;
            }
            if (ch == '<')
                return fatal(r, err_at(r, err, FX_EFORMAT, r->pos,
                             "not JSON: this looks like an HTML page, perhaps an "
                             "error or login page saved instead of the export; "
                             "download the export again"), err);
            char ex[128];
            return fatal(r, err_at(r, err, FX_EFORMAT, r->pos,
                         "not a Django fixture: expected '[' (json) or '{' "
                         "(jsonl) at the start, near '%s'",
                         excerpt(r, r->pos, ex, sizeof ex)), err);
        }
        if (ch >= 0) {
            lookahead(r, 8, err);
            if (marker_at(r, r->pos))
                return marker_error(r, r->pos, err);
        }
        switch (r->st) {
        case ST_ARRAY_FIRST:
        case ST_ARRAY_RECORD:
        case ST_LENIENT:
        case ST_JSONL:
            if (ch == -1) {
                if (r->st == ST_ARRAY_FIRST || r->st == ST_ARRAY_RECORD) {
                    r->st = ST_DONE;
                    return err_at(r, err, FX_ESYNTAX, r->pos,
                                  "unexpected end of file: the list of records is "
                                  "not closed with ']' (the file is truncated?)");
                }
                r->st = ST_DONE;
                return r->json ? 0 : keep_tail(r, err);
            }
            if (r->st == ST_LENIENT && r->after_marker && ch != '{' && ch != ',' &&
                ch != ']' && ch != -1) {
                r->st = ST_RESYNC;          /* the rest of a record a conflict
                                               marker cut: said already */
                continue;
            }
            if (r->st == ST_LENIENT && ch == ',') {
                r->pos++;
                continue;
            }
            if (ch == ']' && r->json && r->st != ST_JSONL) {
                if (r->st == ST_ARRAY_RECORD) {
                    int rc = syntax(r, err, "trailing comma before ']': JSON does "
                                            "not allow it; remove the comma");
                    r->pos++;
                    r->st = ST_TRAILER;
                    return rc;
                }
                r->pos++;
                r->st = ST_TRAILER;
                continue;
            }
            if (ch != '{') {
                if (r->st == ST_JSONL && r->json == 0)
                    return syntax(r, err, "expected a record '{' at the start of "
                                          "the line");
                return syntax(r, err, "expected a record '{'");
            }
            {
                int rc = read_record(r, err);
                if (rc == FX_ESTRUCT || rc == SKIPPED)   /* well-formed: go on */
                    r->st = r->json ? ST_ARRAY_NEXT : ST_JSONL_EOL;
                if (rc == SKIPPED) {
                    r->after_marker = 0;
                    continue;
                }
                if (rc < 0)
                    return rc;
                r->after_marker = 0;
                r->st = r->json ? ST_ARRAY_NEXT : ST_JSONL_EOL;
                *out = &r->rec;
                return 1;
            }
        case ST_ARRAY_NEXT:
            if (ch == ',') {
                r->pos++;
                r->st = ST_ARRAY_RECORD;
                continue;
            }
            if (ch == ']') {
                r->pos++;
                r->st = ST_TRAILER;
                continue;
            }
            if (ch == -1) {
                r->st = ST_DONE;
                return err_at(r, err, FX_ESYNTAX, r->pos,
                              "unexpected end of file: the list of records is not "
                              "closed with ']' (the file is truncated?)");
            }
            if (ch == '{') {        /* a missing comma: the record itself is fine */
                int rc = syntax(r, err, "expected ',' between records: a comma "
                                        "is missing");
                r->st = ST_ARRAY_RECORD;
                return rc;
            }
            return syntax(r, err, "expected ',' or ']' after a record");
        case ST_TRAILER:
            if (ch == -1) {
                r->st = ST_DONE;
                return keep_tail(r, err);
            }
            {
                int rc = syntax(r, err, "unexpected text after the closing ']'");
                r->st = ST_DONE;
                return rc;
            }
        default:
            return 0;
        }
    }
}

int fx_reader_seek(fx_reader *r, uint64_t offset, unsigned long line,
                   unsigned long col, fx_error *err)
{
    if (r->fatal) {
        if (err)
            *err = r->fatal_err;
        return r->fatal;
    }
    int rc = fx__input_seek(r->in, offset, err);
    if (rc < 0)
        return rc;
    r->len = r->pos = 0;
    r->base = offset;
    r->eof = 0;
    r->t_off = offset;
    r->t_line = line;
    r->t_col = col;
    if (offset == 0) {              /* from the start: the frame again */
        r->st = ST_START;
        r->gap = 0;
        r->since = 0;
        r->bom = 0;
        r->no_search = 0;
        r->have_head = r->have_first = r->have_sep = r->have_tail = 0;
    } else {
        r->st = r->json ? ST_LENIENT : ST_JSONL;
        r->gap = NOGAP;
        r->since = 2;
    }
    return 0;
}

int fx_reader_seek_lead(fx_reader *r, uint64_t offset, size_t lead_len,
                        unsigned long line, unsigned long col, fx_error *err)
{
    if (offset == 0)
        return fx_reader_seek(r, offset, line, col, err);
    if (lead_len > offset)
        return fx_error_set(err, FX_EUSAGE, r->name, line, col, offset,
                            "a lead of %zu bytes before offset %llu", lead_len,
                            (unsigned long long)offset);
    int rc = fx_reader_seek(r, offset, line, col, err);
    if (rc < 0 || (rc = fx__input_seek(r->in, offset - lead_len, err)) < 0)
        return rc;
    /* The text starts at the lead; positions are known from the record on
    ** (nothing is reported inside a lead that read well before). */
    r->base = offset - lead_len;
    r->gap = 0;
    return 0;
}

fx_layout fx_reader_layout(const fx_reader *r)
{
    fx_layout l = r->layout;
    if (!r->layout_known) {
        l.format = r->json ? FX_FORMAT_JSON : FX_FORMAT_JSONL;
        l.indent = -1;
        l.crlf = 0;
    }
    return l;
}

static void frame_part(const fx_buf *b, int have, const char **p, size_t *n)
{
    *p = have ? (b->data ? b->data : "") : NULL;
    *n = have ? b->len : 0;
}

void fx_reader_frame(const fx_reader *r, fx_frame *out)
{
    out->bom = r->bom;
    frame_part(&r->head, r->have_head, &out->head, &out->head_len);
    frame_part(&r->first, r->have_first, &out->first, &out->first_len);
    frame_part(&r->sep, r->have_sep, &out->sep, &out->sep_len);
    frame_part(&r->tail, r->have_tail, &out->tail, &out->tail_len);
}

uint64_t fx_reader_offset(const fx_reader *r)
{
    return r->base + r->pos;
}

const char *fx_reader_name(const fx_reader *r)
{
    return r->name;
}

void fx_reader_free(fx_reader *r)
{
    if (!r)
        return;
    fx__input_free(r->in);
    free(r->buf);
    free(r->fields);
    free(r->noff);
    fx_buf_free(&r->names);
    fx_buf_free(&r->head);
    fx_buf_free(&r->first);
    fx_buf_free(&r->sep);
    fx_buf_free(&r->tail);
    free(r->name);
    free(r);
}

/* Is json[0..n) exactly one JSON value?  Sets *type.  (For fx_record_set.) */
int fx__json_valid(const char *json, size_t n, fx_type *type)
{
    fx_reader *dummy = calloc(1, sizeof *dummy);
    char *t = malloc(n + 2);
    int ok = 0;
    if (!dummy || !t)
        goto done;
    memcpy(t, json, n);
    t[n] = ' ';                     /* so a number can end */
    pctx c = {dummy, t, t + n + 1, 0, NULL, "", 0};
    const char *p = ws(&c, t);
    if (c.more)
        goto done;
    *type = fx__value_type(p);
    const char *e = parse_value(&c, p);
    if (!e)
        goto done;
    c.more = 0;
    e = ws(&c, e);
    ok = c.more && dummy->npend == 0;  /* only white space after the value */
done:
    free(dummy);
    free(t);
    return ok;
}
