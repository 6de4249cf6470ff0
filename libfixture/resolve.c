/*
** resolve.c: the conflict blocks fxmerge leaves in a merged export, read
** and resolved one decision at a time (fxresolve).
**
** The file is read whole through the reader's input (decompressed, turned
** into UTF-8 as every tool reads a file; written back alike by
** fx_resolver_write() and the tool), and its marker lines found:
**
**   <<<<<<< ours KIND MODEL KEY [FIELD...]
**   ...ours's section...
**   ||||||| base
**   ...base's section...
**   =======
**   ...theirs's section...
**   >>>>>>> theirs
**
** A section holds a field's lines (a block at the field, in a json file)
** or a whole record, or nothing (the side lacks it).  The values are not
** parsed here: the file with every block's OURS section kept is a fixture
** (fxmerge places separators so that it is, but for the commas
** place_separators() drops), and so are the BASE and THEIRS ones; each is
** read with the library's reader (in memory), and each block
** gets the record its section falls in, on each side, with the field's
** value and its place in the section.  A decision replaces the block by
** the section kept (every other byte as it was), by a section with a value
** set, or, for a record block whose fields are decided one at a time, by
** the records edited with fx_record_set() (their bytes kept but for the
** values that change).
*/
#include "internal.h"
#include "input.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { RB = FX_SIDE_BASE, RO = FX_SIDE_OURS, RT = FX_SIDE_THEIRS };

/* A decision: 0 none, else a side + 1, or SET. */
enum { D_NONE = 0, D_SET = 4 };

typedef struct rfield {
    char *name;                /* decoded */
    size_t tok, toklen;        /* its word on the marker line (file offsets) */
    size_t block;              /* the block it is decided in */
    int d;                     /* decision */
    char *set;                 /* D_SET: the value */
    size_t setlen;
} rfield;

typedef struct rblock {
    size_t start, end;         /* '<' of "<<<<<<<" .. after ">>>>>>> theirs"'s line end */
    size_t hdr_end;            /* after the key on the marker line */
    size_t sec[3], slen[3];    /* base, ours, theirs sections (file offsets) */
    unsigned long line;
    int atfield;               /* sections are a field's lines */
    size_t conf;               /* its conflict */
    fx_record *rec[3];         /* the record on each side (copies), NULL: none */
    size_t roff[3];            /* record blocks: its '{' in the section */
    size_t voff[3], vlen[3];   /* at the field: the value in the section;
                                  voff SIZE_MAX: the side lacks the field */
    size_t vstart[3];          /* the section in each side's text */
    int whole;                 /* decision of a block of another kind */
} rblock;

typedef struct rconf {
    char *kind, *label, *key;
    size_t b0, nb;             /* its blocks */
    size_t f0, nf;             /* its fields */
    int fields;                /* a conflict of fields: decided field by field */
} rconf;

struct fx_resolver {
    char *name;
    char *text;
    size_t len;
    const char *filter;        /* the file's compression (static), NULL: none */
    fx__encoding enc;          /* its encoding, and whether it had a BOM */
    int bom;
    fx_layout layout;
    int laid;                  /* layout set: from a side that has records */
    const char *eol;
    rblock *b;
    size_t nb;
    rconf *c;
    size_t nc;
    rfield *f;
    size_t nf;
    /* fx_resolver_get()'s arrays */
    const char **names;
    fx_value *vals;
    unsigned long *lines;
};

struct fx_selector {
    char *label;               /* lower case */
    char *key;                 /* decoded pk text, or a JSON list; NULL: any */
    int keylist;
    char *field;               /* NULL: any */
};

int fx_conflict_of_fields(const char *kind)
{
    return kind && (strcmp(kind, "field") == 0 || strcmp(kind, "reference") == 0);
}

static int nomem(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

/* ---------------------------------------------------------------- reading the file */

/* The file's text, through the reader's input: decompressed and converted
** to UTF-8 as every tool reads it; the compression and the encoding noted
** for fx_resolver_write() to write it back alike. */
static int read_all(fx_resolver *r, const char *path, fx_error *err)
{
    fx__input *in = NULL;
    fx_buf b = FX_BUF_INIT;
    int rc = fx__input_open(&in, path, 0, NULL, NULL, err);
    if (rc < 0)
        return rc;
    char chunk[65536];
    ssize_t n;
    while ((n = fx__input_read(in, chunk, sizeof chunk, err)) > 0)
        if (fx_buf_add(&b, chunk, (size_t)n)) {
            n = nomem(err);
            break;
        }
    if (n == 0 && fx_buf_addc(&b, '\0'))
        n = nomem(err);
    if (n < 0) {
        fx__input_free(in);
        fx_buf_free(&b);
        return (int)n;
    }
    r->filter = fx__input_filter(in);
    r->enc = fx__input_encoding(in, &r->bom);
    fx__input_free(in);
    r->text = b.data;
    r->len = b.len - 1;
    return 0;
}

/* Line and column of file offset at. */
static void pos_at(const fx_resolver *r, size_t at, unsigned long *line, unsigned long *col)
{
    unsigned long l = 1, c = 1;
    for (size_t i = 0; i < at && i < r->len; i++) {
        if (r->text[i] == '\n')
            l++, c = 1;
        else if (((unsigned char)r->text[i] & 0xc0) != 0x80)
            c++;
    }
    *line = l;
    *col = c;
}

static int bad_at(const fx_resolver *r, size_t at, fx_error *err, const char *fmt, const char *a,
                  const char *b)
{
    unsigned long l, c;
    pos_at(r, at, &l, &c);
    char msg[600];
    snprintf(msg, sizeof msg, fmt, a, b);
    return fx_error_set(err, FX_ESYNTAX, r->name, l, c, at, "%s", msg);
}

/* Which marker starts the line at p (0 none): '<', '|', '=', '>'. */
static int marker(const char *p, const char *e)
{
    if (e - p < 7 || (*p != '<' && *p != '|' && *p != '=' && *p != '>'))
        return 0;
    for (int i = 1; i < 7; i++)
        if (p[i] != *p)
            return 0;
    if (e - p == 7 || p[7] == ' ' || p[7] == '\n' || p[7] == '\r')
        return *p;
    return 0;
}

static const char *line_end(const char *p, const char *e)
{
    const char *n = memchr(p, '\n', (size_t)(e - p));
    return n ? n + 1 : e;
}

/* The line's text without its line end. */
static const char *text_end(const char *p, const char *nl)
{
    if (nl > p && nl[-1] == '\n')
        nl--;
    if (nl > p && nl[-1] == '\r')
        nl--;
    return nl;
}

/* One word of a marker line at *pp (up to e): plain, or a JSON string or
** list.  *s, *n: its text; *dec: decoded (malloc'd; a list as written). */
static int word(const char **pp, const char *e, const char **s, size_t *n, char **dec)
{
    const char *p = *pp;
    if (p >= e || *p != ' ')
        return -1;
    p++;
    const char *q;
    if (p < e && (*p == '"' || *p == '[')) {
        q = fx__skip_value(p, e);
        fx_type t;
        if (q <= p || !fx__json_valid(p, (size_t)(q - p), &t))
            return -1;
        if (t == FX_STRING) {
            fx_buf b = FX_BUF_INIT;
            if (fx_value_str(&b, (fx_value){FX_STRING, p, (size_t)(q - p)}) ||
                fx_buf_addc(&b, '\0'))
                return FX_ENOMEM;
            *dec = b.data;
        } else {
            *dec = strndup(p, (size_t)(q - p));
        }
    } else {
        for (q = p; q < e && *q != ' '; q++)
            ;
        if (q == p)
            return -1;
        *dec = strndup(p, (size_t)(q - p));
    }
    if (!*dec)
        return FX_ENOMEM;
    *s = p;
    *n = (size_t)(q - p);
    *pp = q;
    return 0;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Parse the header at p (after "<<<<<<<"): the block's conflict, new or
** the one before (the fields of one record, each in a block of its own). */
static int header(fx_resolver *r, rblock *b, const char *p, const char *e, size_t *fcap,
                  size_t *ccap, fx_error *err)
{
    static const char *const kinds[] = {"field", "reference", "delete/modify", "modify/delete",
                                        "cascade", "add/add", "unique"};
    const char *s;
    size_t n;
    char *kind = NULL, *label = NULL, *key = NULL;
    size_t at = b->start;
    if ((size_t)(e - p) < 5 || memcmp(p, " ours", 5) != 0)
        return bad_at(r, at, err, "a conflict block fxmerge did not write ('<<<<<<<' "
                      "without 'ours KIND MODEL KEY'): resolve it by hand%s%s", "", "");
    p += 5;
    int rc = word(&p, e, &s, &n, &kind);
    if (rc == 0)
        rc = word(&p, e, &s, &n, &label);
    if (rc == 0)
        rc = word(&p, e, &s, &n, &key);
    size_t k;
    for (k = 0; rc == 0 && k < sizeof kinds / sizeof kinds[0]; k++)
        if (strcmp(kind, kinds[k]) == 0)
            break;
    if (rc == 0 && k == sizeof kinds / sizeof kinds[0])
        rc = -2;
    if (rc < 0) {
        free(kind);
        free(label);
        free(key);
        if (rc == FX_ENOMEM)
            return nomem(err);
        return bad_at(r, at, err, "a conflict marker line fxmerge did not write: it "
                      "should read '<<<<<<< ours KIND MODEL KEY [FIELD...]'%s%s", "", "");
    }
    b->hdr_end = (size_t)(p - r->text);
    size_t f0 = r->nf;
    while (p < e) {
        char *name = NULL;
        rc = word(&p, e, &s, &n, &name);
        if (rc < 0 || grow((void **)&r->f, fcap, r->nf, sizeof *r->f)) {
            free(name);
            free(kind);
            free(label);
            free(key);
            return rc == FX_ENOMEM || rc == 0 ? nomem(err)
                                              : bad_at(r, at, err, "a field name on the "
                                                       "marker line does not read%s%s", "", "");
        }
        r->f[r->nf++] = (rfield){name, (size_t)(s - r->text), n, (size_t)(b - r->b), 0, NULL, 0};
    }
    int fields = fx_conflict_of_fields(kind);
    if (fields && r->nf == f0) {
        free(kind);
        free(label);
        free(key);
        return bad_at(r, at, err, "a field conflict that names no field on its marker "
                      "line: resolve it by hand%s%s", "", "");
    }
    rconf *prev = r->nc ? &r->c[r->nc - 1] : NULL;
    /* Blocks at the field of one record make one conflict: decided later,
    ** once it is known that the blocks are at the field. */
    if (prev && prev->fields && fields && strcmp(prev->kind, kind) == 0 &&
        strcmp(prev->label, label) == 0 && strcmp(prev->key, key) == 0 &&
        prev->b0 + prev->nb == (size_t)(b - r->b) && r->nf - f0 == 1 &&
        prev->f0 + prev->nf == f0 && prev->nb == prev->nf) {
        prev->nb++;
        prev->nf++;
        b->conf = r->nc - 1;
        free(kind);
        free(label);
        free(key);
        return 0;
    }
    if (grow((void **)&r->c, ccap, r->nc, sizeof *r->c)) {
        free(kind);
        free(label);
        free(key);
        return nomem(err);
    }
    r->c[r->nc] = (rconf){kind, label, key, (size_t)(b - r->b), 1, f0, r->nf - f0, fields};
    b->conf = r->nc++;
    return 0;
}

/* Find the blocks. */
static int scan(fx_resolver *r, fx_error *err)
{
    const char *t = r->text, *e = t + r->len;
    size_t bcap = 0, fcap = 0, ccap = 0;
    int state = 0;                 /* 0 outside, 1 ours, 2 base, 3 theirs */
    unsigned long line = 1;
    rblock *b = NULL;
    for (const char *p = t; p < e; line++) {
        const char *nl = line_end(p, e);
        int m = marker(p, e);
        size_t at = (size_t)(p - t);
        int want = state == 0 ? '<' : state == 1 ? '|' : state == 2 ? '=' : '>';
        if (m && m != want) {
            static const char *const what[] = {"outside a conflict block",
                                               "before the block's '|||||||' line",
                                               "before the block's '=======' line",
                                               "before the block's '>>>>>>>' line"};
            char mk[8];
            memset(mk, m, 7);
            mk[7] = '\0';
            return bad_at(r, at, err, "marker line '%s' %s: fxmerge writes each block as "
                          "'<<<<<<< ours', '||||||| base', '=======', '>>>>>>> theirs'; "
                          "mend the block by hand", mk, what[state]);
        }
        if (m == '<') {
            if (grow((void **)&r->b, &bcap, r->nb, sizeof *r->b))
                return nomem(err);
            b = &r->b[r->nb++];
            memset(b, 0, sizeof *b);
            b->start = at;
            b->line = line;
            b->sec[RO] = (size_t)(nl - t);
            int rc = header(r, b, p + 7, text_end(p, nl), &fcap, &ccap, err);
            if (rc)
                return rc;
            state = 1;
        } else if (m == '|') {
            b->slen[RO] = at - b->sec[RO];
            b->sec[RB] = (size_t)(nl - t);
            state = 2;
        } else if (m == '=') {
            if (text_end(p, nl) != p + 7)
                return bad_at(r, at, err, "'=======' with text after it: fxmerge writes "
                              "the line alone; mend the block by hand%s%s", "", "");
            b->slen[RB] = at - b->sec[RB];
            b->sec[RT] = (size_t)(nl - t);
            state = 3;
        } else if (m == '>') {
            b->slen[RT] = at - b->sec[RT];
            b->end = (size_t)(nl - t);
            state = 0;
        }
        p = nl;
    }
    if (state)
        return bad_at(r, b->start, err, "this conflict block has no '>>>>>>> theirs' line: "
                      "the file is cut; merge again%s%s", "", "");
    return 0;
}

/* ---------------------------------------------------------------- each side's records */

/* Read text[0..n) with the reader (in memory, text borrowed for the
** call), calling fn for each record.  Errors name the file, with the place
** in text. */
typedef int (*rec_fn)(void *ctx, const fx_record *rec, fx_error *err);

typedef struct dctx {
    fx_diag_fn fn;
    void *ctx;
    const char *name;
    unsigned long errors;
} dctx;

static void count_diag(void *ctx, const fx_diag *d)
{
    dctx *c = ctx;
    if (d->severity == FX_ERR)
        c->errors++;
    if (c->fn)
        c->fn(c->ctx, d);
}

static int read_text(const char *text, size_t n, dctx *dc, int stop, rec_fn fn, void *ctx,
                     fx_layout *layout, fx_error *err)
{
    fx_reader *rd = NULL;
    int rc;
    fx_reader_opts ro = {.diag = count_diag, .diag_ctx = dc};
    rc = fx__reader_open_mem(&rd, dc->name, text, n, &ro, err);
    const fx_record *rec;
    while (rc == 0 && (rc = fx_reader_next(rd, &rec, err)) != 0) {
        if (rc < 0) {
            if (dc->fn) {
                const char *check = rc == FX_ESYNTAX   ? "syntax"
                                    : rc == FX_ESTRUCT ? "structure"
                                                       : "format";
                if (strstr(err->msg, "conflict marker"))
                    check = "conflict-marker";
                fx_diag d = {FX_ERR, dc->name, err->line, err->col, err->offset, check,
                             err->msg};
                dc->fn(dc->ctx, &d);
            }
            dc->errors++;
            if ((rc == FX_ESYNTAX || rc == FX_ESTRUCT) && !stop) {
                rc = 0;
                continue;
            }
            break;
        }
        rc = fn ? fn(ctx, rec, err) : 0;
    }
    if (rc == 0 && layout)
        *layout = fx_reader_layout(rd);
    fx_reader_free(rd);
    return rc;
}

typedef struct sidectx {
    fx_resolver *r;
    int s;
    size_t bi;
} sidectx;

/* Where is view offset v of side s in the file? */
static size_t back(const fx_resolver *r, int s, uint64_t v)
{
    size_t at = (size_t)v;
    for (size_t i = 0; i < r->nb; i++) {
        const rblock *b = &r->b[i];
        if (v < b->vstart[s])
            break;
        if (v < b->vstart[s] + b->slen[s])
            return b->sec[s] + (size_t)(v - b->vstart[s]);
        at = b->end + (size_t)(v - b->vstart[s] - b->slen[s]);
    }
    return at;
}

static int blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r' && p[i] != ',')
            return 0;
    return 1;
}

static int attach(sidectx *c, rblock *b, const fx_record *rec, fx_error *err)
{
    fx_resolver *r = c->r;
    int s = c->s;
    if (fx_record_copy(&b->rec[s], rec))
        return nomem(err);
    b->roff[s] = (size_t)(rec->offset - b->vstart[s]);
    if (!b->atfield)
        return 0;
    const rconf *k = &r->c[b->conf];
    const rfield *f = &r->f[k->f0 + (size_t)(b - r->b) - k->b0];
    const fx_field *ff = fx_record_field(b->rec[s], f->name);
    b->voff[s] = SIZE_MAX;
    if (!ff)
        return 0;
    uint64_t v = rec->offset + (uint64_t)(ff->value.text - b->rec[s]->text);
    if (v < b->vstart[s] || v + ff->value.len > b->vstart[s] + b->slen[s]) {
        if (b->slen[s] == 0)
            return 0;
        return bad_at(r, b->sec[s], err, "this section does not hold field %s%s: mend the "
                      "block by hand", f->name, "");
    }
    b->voff[s] = (size_t)(v - b->vstart[s]);
    b->vlen[s] = ff->value.len;
    return 0;
}

static int on_side_record(void *ctx, const fx_record *rec, fx_error *err)
{
    sidectx *c = ctx;
    fx_resolver *r = c->r;
    int s = c->s;
    uint64_t o = rec->offset, oe = rec->offset + rec->len;
    for (; c->bi < r->nb; c->bi++) {
        rblock *b = &r->b[c->bi];
        uint64_t vs = b->vstart[s];
        if (b->atfield) {
            if (vs >= oe)
                return 0;              /* in a record further on */
            if (vs <= o)
                return bad_at(r, b->start, err, "this block at the field stands outside a "
                              "record on the %s side: mend it by hand%s",
                              s == RO ? "ours" : s == RB ? "base" : "theirs", "");
        } else if (vs > o) {
            return 0;
        } else if (b->slen[s] == 0 || blank(r->text + b->sec[s], b->slen[s])) {
            continue;                  /* the side lacks the record */
        } else if (vs + b->slen[s] <= o) {
            return bad_at(r, b->sec[s], err, "this section of a conflict block holds no "
                          "record%s%s: mend it by hand", "", "");
        }
        int rc = attach(c, b, rec, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* The commas between the records of a text made of the file with one
** section of each block kept (a side, or the result once every block is
** decided), t[0..*n): fxmerge gives a block's sections their record's comma
** after it while a record every resolution keeps comes later, else before
** it; when no record is kept by every resolution (every record in a block)
** or the one after a block was decided away, a comma can be left before
** ']', after '[', or next to another.  Each comma that separates no two
** records is dropped: replaced by a space when keep_len (a side read for
** its records, whose offsets map back to the file), else removed (the
** bytes written).  Only the array's own commas are looked at (json; jsonl
** has none); a missing comma is left for the reader to report. */
static void place_separators(char *t, size_t *n, int keep_len)
{
    char *p = t, *e = t + *n, *after = NULL;
    int rec = 0;                       /* a record since '[' or the last comma */
    if (e - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    p = (char *)fx__skip_ws(p, e);
    if (p >= e || *p != '[')
        return;
    for (p++;;) {
        char *drop = NULL;
        p = (char *)fx__skip_ws(p, e);
        if (p >= e)
            return;
        if (*p == ',') {
            if (rec) {
                after = p++;
                rec = 0;
                continue;
            }
            drop = p;                  /* after '[' or after a comma */
        } else if (*p == ']') {
            if (after && !rec)
                drop = after;          /* before ']' */
            else
                return;
        } else {
            char *q = (char *)fx__skip_value(p, e);
            if (q <= p)
                return;
            p = q;
            rec = 1;
            continue;
        }
        if (keep_len) {
            *drop = ' ';
        } else {
            memmove(drop, drop + 1, (size_t)(e - drop - 1));
            e--;
            (*n)--;
            if (drop < p)
                p--;
        }
        if (drop == after) {
            after = NULL;
            return;                    /* at ']' */
        }
    }
}

/* Read side s: the file with each block's section s kept. */
static int read_side(fx_resolver *r, int s, fx_error *err)
{
    fx_buf v = FX_BUF_INIT;
    size_t at = 0;
    int rc = 0;
    for (size_t i = 0; i < r->nb && rc == 0; i++) {
        rblock *b = &r->b[i];
        rc = fx_buf_add(&v, r->text + at, b->start - at);
        b->vstart[s] = v.len;
        rc = rc || fx_buf_add(&v, r->text + b->sec[s], b->slen[s]);
        at = b->end;
    }
    if (rc || fx_buf_add(&v, r->text + at, r->len - at) || fx_buf_addc(&v, '\0')) {
        fx_buf_free(&v);
        return nomem(err);
    }
    v.len--;
    place_separators(v.data, &v.len, 1);
    sidectx c = {r, s, 0};
    dctx dc = {NULL, NULL, r->name, 0};
    fx_layout l;
    /* Every record of a jsonl file in blocks this side lacks: no record. */
    int none = fx__skip_ws(v.data, v.data + v.len) == v.data + v.len;
    if (!none)
        rc = read_text(v.data, v.len, &dc, 1, on_side_record, &c, &l, err);
    if (rc == FX_ESYNTAX || rc == FX_ESTRUCT) {
        /* Say where in the file, not in the side's text. */
        size_t fo = back(r, s, err->offset);
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        unsigned long line, col;
        pos_at(r, fo, &line, &col);
        fx_error_set(err, rc, r->name, line, col, fo, "with each block's %s section kept: %s",
                     s == RO ? "ours" : s == RB ? "base" : "theirs", msg);
    }
    for (; rc == 0 && c.bi < r->nb; c.bi++)
        if (r->b[c.bi].atfield ||
            (r->b[c.bi].slen[s] && !blank(r->text + r->b[c.bi].sec[s], r->b[c.bi].slen[s])))
            rc = bad_at(r, r->b[c.bi].start, err, "this conflict block stands after the "
                        "last record%s%s: mend it by hand", "", "");
    if (rc == 0 && !none && (s == RO || !r->laid)) {
        r->layout = l;         /* ours's, else another side's */
        r->laid = 1;
    }
    fx_buf_free(&v);
    return rc;
}

/* At the field or whole records?  From what the sections start with. */
static int classify(fx_resolver *r, rblock *b, fx_error *err)
{
    int kind = 0;              /* '{' records, '"' fields */
    for (int s = 0; s < 3; s++) {
        const char *p = r->text + b->sec[s], *e = p + b->slen[s];
        p = fx__skip_ws(p, e);
        if (p < e && *p == ',')
            p = fx__skip_ws(p + 1, e);
        if (p >= e)
            continue;
        if ((*p != '{' && *p != '"') || (kind && kind != *p))
            return bad_at(r, b->sec[s], err, "a section of a conflict block that holds "
                          "neither a record nor a field%s%s: mend it by hand", "", "");
        kind = *p;
    }
    b->atfield = kind == '"';
    const rconf *c = &r->c[b->conf];
    if (b->atfield && (!c->fields || c->nb != c->nf))
        return bad_at(r, b->start, err, "a block at the field must be a field conflict "
                      "naming one field%s%s: mend it by hand", "", "");
    return 0;
}

static void conf_free(rconf *c)
{
    free(c->kind);
    free(c->label);
    free(c->key);
}

void fx_resolver_free(fx_resolver *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nb; i++)
        for (int s = 0; s < 3; s++)
            fx_record_free(r->b[i].rec[s]);
    for (size_t i = 0; i < r->nc; i++)
        conf_free(&r->c[i]);
    for (size_t i = 0; i < r->nf; i++) {
        free(r->f[i].name);
        free(r->f[i].set);
    }
    free(r->b);
    free(r->c);
    free(r->f);
    free(r->names);
    free(r->vals);
    free(r->lines);
    free(r->text);
    free(r->name);
    free(r);
}

int fx_resolver_open(fx_resolver **out, const char *path, fx_error *err)
{
    fx_resolver *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r || !(r->name = strdup(path))) {
        free(r);
        return nomem(err);
    }
    int rc = read_all(r, path, err);
    if (rc == 0)
        rc = scan(r, err);
    for (size_t i = 0; rc == 0 && i < r->nb; i++)
        rc = classify(r, &r->b[i], err);
    for (int s = 0; rc == 0 && s < 3; s++)
        rc = read_side(r, s, err);
    if (rc < 0) {
        fx_resolver_free(r);
        return rc;
    }
    r->eol = r->layout.crlf ? "\r\n" : "\n";
    *out = r;
    return 0;
}

/* ---------------------------------------------------------------- conflicts */

size_t fx_resolver_count(const fx_resolver *r)
{
    return r->nc;
}

fx_layout fx_resolver_layout(const fx_resolver *r)
{
    return r->layout;
}

static fx_value absent(void)
{
    return (fx_value){FX_NULL, NULL, 0};
}

/* Field f's value on side s. */
static fx_value field_value(const fx_resolver *r, const rfield *f, int s)
{
    const rblock *b = &r->b[f->block];
    const fx_field *ff = b->rec[s] ? fx_record_field(b->rec[s], f->name) : NULL;
    if (!ff || (b->atfield && b->voff[s] == SIZE_MAX))
        return absent();
    return ff->value;
}

int fx_resolver_decided(const fx_resolver *r, size_t i, size_t f)
{
    const rconf *c = &r->c[i];
    if (!c->fields) {
        for (size_t k = 0; k < c->nb; k++)
            if (!r->b[c->b0 + k].whole)
                return 0;
        return 1;
    }
    if (f != SIZE_MAX)
        return r->f[c->f0 + f].d != D_NONE;
    for (size_t k = 0; k < c->nf; k++)
        if (r->f[c->f0 + k].d == D_NONE)
            return 0;
    return 1;
}

size_t fx_resolver_left(const fx_resolver *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nc; i++)
        n += !fx_resolver_decided(r, i, SIZE_MAX);
    return n;
}

/* Does field name differ between the records the sides hold? */
static int differs(const rblock *b, const char *name)
{
    const fx_field *first = NULL;
    int seen = 0;
    for (int s = 0; s < 3; s++) {
        if (!b->rec[s])
            continue;
        const fx_field *f = fx_record_field(b->rec[s], name);
        if (seen && (!f != !first || (f && !fx_value_equal(f->value, first->value))))
            return 1;
        first = f;
        seen = 1;
    }
    return 0;
}

int fx_resolver_get(fx_resolver *r, size_t i, fx_conflict *out)
{
    const rconf *c = &r->c[i];
    const rblock *b0 = &r->b[c->b0];
    size_t n = 0, cap = c->nf;
    if (!c->fields)           /* the fields that differ */
        for (int s = 0; s < 3; s++)
            if (b0->rec[s])
                cap += b0->rec[s]->nfields;
    free(r->names);
    free(r->vals);
    free(r->lines);
    r->names = malloc((cap + 1) * sizeof *r->names);
    r->vals = malloc((3 * cap + 1) * sizeof *r->vals);
    r->lines = malloc((cap + 1) * sizeof *r->lines);
    memset(out, 0, sizeof *out);
    if (!r->names || !r->vals || !r->lines)
        return FX_ENOMEM;
    if (c->fields) {
        for (size_t k = 0; k < c->nf; k++) {
            const rfield *f = &r->f[c->f0 + k];
            r->names[n] = f->name;
            r->lines[n] = r->b[f->block].line;
            for (int s = 0; s < 3; s++)
                r->vals[s * cap + n] = field_value(r, f, s);
            n++;
        }
    } else {
        static const int order[3] = {RO, RB, RT};
        for (int o = 0; o < 3; o++) {
            const fx_record *rec = b0->rec[order[o]];
            for (size_t k = 0; rec && k < rec->nfields; k++) {
                const char *name = rec->fields[k].name;
                size_t j;
                for (j = 0; j < n && strcmp(r->names[j], name) != 0; j++)
                    ;
                if (j < n || !differs(b0, name))
                    continue;
                r->names[n] = name;
                r->lines[n] = b0->line;
                for (int s = 0; s < 3; s++) {
                    const fx_field *ff = b0->rec[s] ? fx_record_field(b0->rec[s], name) : NULL;
                    r->vals[s * cap + n] = ff ? ff->value : absent();
                }
                n++;
            }
        }
    }
    out->kind = c->kind;
    out->label = c->label;
    out->key = c->key;
    out->line = b0->line;
    out->fields = r->names;
    out->nfields = n;
    out->base = r->vals;
    out->ours = r->vals + cap;
    out->theirs = r->vals + 2 * cap;
    out->field_lines = c->fields ? r->lines : NULL;
    for (int s = 0; s < 3; s++)
        out->records[s] = b0->rec[s];
    return !fx_resolver_decided(r, i, SIZE_MAX);
}

/* ---------------------------------------------------------------- decisions */

static int not_fields(const rconf *c, fx_error *err)
{
    return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0,
                        "%s %s is a %s conflict, decided for the whole record: name it "
                        "without a field (%s:%s)", c->label, c->key, c->kind, c->label,
                        c->key);
}

int fx_resolver_take(fx_resolver *r, size_t i, size_t f, int side, fx_error *err)
{
    rconf *c = &r->c[i];
    if (side < RB || side > RT)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "no such side");
    if (!c->fields) {
        if (f != SIZE_MAX)
            return not_fields(c, err);
        for (size_t k = 0; k < c->nb; k++)
            r->b[c->b0 + k].whole = side + 1;
        return 0;
    }
    for (size_t k = 0; k < c->nf; k++) {
        rfield *x = &r->f[c->f0 + k];
        if (f != SIZE_MAX && f != k)
            continue;
        free(x->set);
        x->set = NULL;
        x->d = side + 1;
    }
    return 0;
}

int fx_resolver_set(fx_resolver *r, size_t i, size_t f, const char *json, size_t n,
                    const fx_schema *s, fx_error *err)
{
    rconf *c = &r->c[i];
    fx_type t;
    if (!c->fields)
        return not_fields(c, err);
    if (f >= c->nf)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "name the field to set: "
                            "%s:%s:FIELD=VALUE", c->label, c->key);
    rfield *x = &r->f[c->f0 + f];
    while (n && (json[n - 1] == ' ' || json[n - 1] == '\n' || json[n - 1] == '\t' ||
                 json[n - 1] == '\r'))
        n--;
    while (n && (*json == ' ' || *json == '\n' || *json == '\t' || *json == '\r'))
        json++, n--;
    if (!fx__json_valid(json, n, &t))
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "the value for %s %s %s is not "
                            "one JSON value: '%.*s'; write it as in the file (a string in "
                            "double quotes: '\"12.50\"')", c->label, c->key, x->name,
                            n > 200 ? 200 : (int)n, json);
    const fx_model_schema *m = s ? fx_schema_model(s, c->label) : NULL;
    if (s && !m)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "the schema (%s) has no model %s: "
                            "cannot check the value for %s", s->source ? s->source : "?",
                            c->label, x->name);
    if (m) {
        const fx_field_schema *fs = fx_model_field(m, x->name);
        char msg[512];
        if (!fs)
            return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "the schema has no field %s "
                                "in %s: cannot check the value", x->name, c->label);
        if (fx_check_value(fs, s, (fx_value){t, json, n}, msg, sizeof msg))
            return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "the value %.*s for %s %s %s "
                                "does not fit the field (%s): %s", n > 200 ? 200 : (int)n,
                                json, c->label, c->key, x->name, fx_kind_name(fs->kind), msg);
    }
    char *v = malloc(n + 1);
    if (!v)
        return nomem(err);
    memcpy(v, json, n);
    v[n] = '\0';
    free(x->set);
    x->set = v;
    x->setlen = n;
    x->d = D_SET;
    return 0;
}

/* ---------------------------------------------------------------- selectors */

void fx_selector_free(fx_selector *sel)
{
    if (!sel)
        return;
    free(sel->label);
    free(sel->key);
    free(sel->field);
    free(sel);
}

int fx_selector_parse(fx_selector **out, const char *s, int assign, const char **value,
                      fx_error *err)
{
    fx_selector *x = calloc(1, sizeof *x);
    const char *p = s, *e = s + strlen(s), *q;
    *out = NULL;
    if (!x)
        return nomem(err);
    for (q = p; q < e && *q != ':' && *q != '='; q++)
        ;
    const char *dot = memchr(p, '.', (size_t)(q - p));
    if (q == p || !dot || dot == p || dot + 1 == q || memchr(p, ' ', (size_t)(q - p)))
        goto bad;
    if (!(x->label = fx__strndup_lower(p, (size_t)(q - p))))
        goto nomem;
    p = q;
    if (p < e && *p == ':') {
        p++;
        if (p < e && (*p == '"' || *p == '[')) {
            q = fx__skip_value(p, e);
            fx_type t;
            if (q <= p || !fx__json_valid(p, (size_t)(q - p), &t))
                goto bad;
            if (t == FX_STRING) {
                fx_buf b = FX_BUF_INIT;
                if (fx_value_str(&b, (fx_value){FX_STRING, p, (size_t)(q - p)}) ||
                    fx_buf_addc(&b, '\0'))
                    goto nomem;
                x->key = b.data;
            } else {
                x->keylist = 1;
                x->key = strndup(p, (size_t)(q - p));
            }
        } else {
            for (q = p; q < e && *q != ':' && *q != '='; q++)
                ;
            if (q == p)
                goto bad;
            x->key = strndup(p, (size_t)(q - p));
        }
        if (!x->key)
            goto nomem;
        p = q;
        if (p < e && *p == ':') {
            p++;
            for (q = p; q < e && !(assign && *q == '='); q++)
                ;
            if (q == p)
                goto bad;
            if (!(x->field = strndup(p, (size_t)(q - p))))
                goto nomem;
            p = q;
        }
    }
    if (assign) {
        if (p >= e || *p != '=' || !x->field) {
            fx_selector_free(x);
            return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "'%s' is not "
                                "app.Model:PK:field=VALUE (the value as JSON: "
                                "'supermarket.produit:7:prix_vente=\"12.50\"')", s);
        }
        *value = p + 1;
    } else if (p < e) {
        goto bad;
    }
    *out = x;
    return 0;
nomem:
    fx_selector_free(x);
    return nomem(err);
bad:
    fx_selector_free(x);
    return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "'%s' is not a selector: write "
                        "app.Model, app.Model:PK or app.Model:PK:field (a pk with ':' or "
                        "spaces as a JSON string, a natural key as a JSON list: "
                        "shop.agence:[\"AB01\"])", s);
}

int fx_selector_match(const fx_selector *sel, const fx_conflict *c, size_t *field,
                      fx_error *err)
{
    *field = SIZE_MAX;
    if (!fx_label_keeps(sel->label, c->label))
        return 0;
    if (sel->key) {
        if (sel->keylist || c->key[0] == '[') {
            if (!sel->keylist || c->key[0] != '[' ||
                !fx_value_equal((fx_value){FX_ARRAY, sel->key, strlen(sel->key)},
                                (fx_value){FX_ARRAY, c->key, strlen(c->key)}))
                return 0;
        } else if (strcmp(sel->key, c->key) != 0) {
            return 0;
        }
    }
    if (!sel->field)
        return 1;
    if (!fx_conflict_of_fields(c->kind)) {
        if (!sel->key)
            return 0;
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "%s %s is a %s conflict, "
                            "decided for the whole record: name it without a field "
                            "(%s:%s)", c->label, c->key, c->kind, c->label, c->key);
    }
    for (size_t i = 0; i < c->nfields; i++)
        if (strcmp(c->fields[i], sel->field) == 0) {
            *field = i;
            return 1;
        }
    return 0;
}

/* ---------------------------------------------------------------- writing */

/* Side d's record of block b with the decided fields of its conflict
** applied, appended to x as it stands in its section (what stands around
** it kept).  Nothing when the side lacks the record. */
static int edited_section(fx_resolver *r, const rblock *b, int d, fx_buf *x)
{
    const rconf *c = &r->c[b->conf];
    const char *sec = r->text + b->sec[d];
    if (!b->rec[d])
        return fx_buf_add(x, sec, b->slen[d]);
    fx_record *e = NULL;
    if (fx_record_copy(&e, b->rec[d]))
        return FX_ENOMEM;
    int rc = 0;
    for (size_t k = 0; k < c->nf && rc == 0; k++) {
        const rfield *f = &r->f[c->f0 + k];
        if (f->d == D_NONE)
            continue;
        if (f->d == D_SET) {
            rc = fx_record_set(e, 0, f->name, f->set, f->setlen);
            continue;
        }
        fx_value v = field_value(r, f, f->d - 1);
        if (v.text)
            rc = fx_record_set(e, 0, f->name, v.text, v.len);
        else
            fx_record_drop(e, f->name);
    }
    size_t after = b->roff[d] + b->rec[d]->len;
    if (rc == 0)
        rc = fx_buf_add(x, sec, b->roff[d]) || fx_record_format(x, e, b->rec[d]->layout) ||
             fx_buf_add(x, sec + after, b->slen[d] - after);
    fx_record_free(e);
    return rc ? FX_ENOMEM : 0;
}

/* The replacement of block b, decided (*kept set) or not, into x. */
static int block_text(fx_resolver *r, const rblock *b, fx_buf *x, int *kept)
{
    const rconf *c = &r->c[b->conf];
    const char *t = r->text;
    *kept = 0;
    if (!c->fields) {
        if (!b->whole) {
            *kept = 1;
            return fx_buf_add(x, t + b->start, b->end - b->start);
        }
        return fx_buf_add(x, t + b->sec[b->whole - 1], b->slen[b->whole - 1]);
    }
    if (b->atfield) {
        const rfield *f = &r->f[c->f0 + (size_t)(b - r->b) - c->b0];
        if (f->d == D_NONE) {
            *kept = 1;
            return fx_buf_add(x, t + b->start, b->end - b->start);
        }
        if (f->d != D_SET)
            return fx_buf_add(x, t + b->sec[f->d - 1], b->slen[f->d - 1]);
        static const int pref[3] = {RO, RT, RB};
        for (int i = 0; i < 3; i++) {
            int s = pref[i];
            if (b->voff[s] == SIZE_MAX || !b->rec[s])
                continue;
            const char *sec = t + b->sec[s];
            size_t ve = b->voff[s] + b->vlen[s];
            return fx_buf_add(x, sec, b->voff[s]) || fx_buf_add(x, f->set, f->setlen) ||
                   fx_buf_add(x, sec + ve, b->slen[s] - ve);
        }
        return FX_ESTRUCT;     /* no side has the field: not a field conflict */
    }
    /* A record block of fields. */
    size_t left = 0;
    int same = -1;
    for (size_t k = 0; k < c->nf; k++) {
        const rfield *f = &r->f[c->f0 + k];
        left += f->d == D_NONE;
        if (same == -1 || same == f->d)
            same = f->d;
        else
            same = -2;
    }
    if (left == c->nf) {
        *kept = 1;
        return fx_buf_add(x, t + b->start, b->end - b->start);
    }
    if (left == 0 && same > 0 && same != D_SET)    /* one side for all: its bytes */
        return fx_buf_add(x, t + b->sec[same - 1], b->slen[same - 1]);
    if (left == 0) {
        int d = b->rec[RO] ? RO : b->rec[RT] ? RT : RB;
        return edited_section(r, b, d, x);
    }
    /* Some fields left: the block again, with those fields only. */
    *kept = 1;
    int rc = fx_buf_add(x, t + b->start, b->hdr_end - b->start);
    for (size_t k = 0; k < c->nf && rc == 0; k++) {
        const rfield *f = &r->f[c->f0 + k];
        if (f->d == D_NONE)
            rc = fx_buf_addc(x, ' ') || fx_buf_add(x, t + f->tok, f->toklen);
    }
    size_t marks[3][2] = {{b->hdr_end, b->sec[RO]},
                          {b->sec[RO] + b->slen[RO], b->sec[RB]},
                          {b->sec[RB] + b->slen[RB], b->sec[RT]}};
    static const int order[3] = {RO, RB, RT};
    marks[0][0] = (size_t)(text_end(t + b->start, t + b->sec[RO]) - t);
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = fx_buf_add(x, t + marks[i][0], marks[i][1] - marks[i][0]) ||
             edited_section(r, b, order[i], x);
    if (rc == 0)
        rc = fx_buf_add(x, t + b->sec[RT] + b->slen[RT], b->end - b->sec[RT] - b->slen[RT]);
    return rc ? FX_ENOMEM : 0;
}

static int ends_with(const fx_buf *x, const char *s)
{
    size_t n = strlen(s);
    return x->len >= n && memcmp(x->data + x->len - n, s, n) == 0;
}

/* A field's block decided in a record on one line (x[mark..] its
** section): the line fxmerge broke before the block and after it is one
** again, with the space the layout's separator has after its comma
** (fxmerge dropped it before the line end). */
static int join_line(const fx_resolver *r, fx_buf *x, size_t mark, int after_block)
{
    size_t n = strlen(r->eol);
    const char *comma = r->layout.comma[0] ? r->layout.comma : ", ";
    int space = comma[strlen(comma) - 1] == ' ';
    if (ends_with(x, r->eol)) {
        x->len -= n;
        if (space && x->len > mark && x->data[x->len - 1] == ',' && fx_buf_addc(x, ' '))
            return FX_ENOMEM;
    }
    if (!after_block && mark >= n && memcmp(x->data + mark - n, r->eol, n) == 0) {
        memmove(x->data + mark - n, x->data + mark, x->len - mark);
        x->len -= n;
        mark -= n;
        int lead = x->len > mark && x->data[mark] == ',';
        if (space && (lead || (mark > 0 && x->data[mark - 1] == ','))) {
            size_t at = mark + (size_t)lead;
            if (fx_buf_addc(x, ' '))
                return FX_ENOMEM;
            memmove(x->data + at + 1, x->data + at, x->len - 1 - at);
            x->data[at] = ' ';
        }
    }
    return 0;
}

/* The text with the decisions made, into x. */
static int resolved_text(fx_resolver *r, fx_buf *x)
{
    /* Records on one line: fxmerge broke the line before the block and
    ** after it; a block decided joins them again. */
    int join = r->layout.format == FX_FORMAT_JSON && r->layout.indent < 0;
    size_t at = 0;
    int prev_kept = 0;
    for (size_t i = 0; i < r->nb; i++) {
        const rblock *b = &r->b[i];
        if (fx_buf_add(x, r->text + at, b->start - at))
            return FX_ENOMEM;
        size_t mark = x->len;
        int kept, rc = block_text(r, b, x, &kept);
        if (rc)
            return rc;
        if (join && !kept && b->atfield && join_line(r, x, mark, prev_kept && b->start == at))
            return FX_ENOMEM;
        prev_kept = kept;
        at = b->end;
    }
    if (fx_buf_add(x, r->text + at, r->len - at) || fx_buf_addc(x, '\0'))
        return FX_ENOMEM;
    x->len--;
    if (fx_resolver_left(r) == 0) {
        place_separators(x->data, &x->len, 0);
        x->data[x->len] = '\0';
    }
    return 0;
}

static int validate_one(void *ctx, const fx_record *rec, fx_error *err)
{
    return fx_validator_add(ctx, rec) < 0 ? nomem(err) : 0;
}

static int check_text(fx_resolver *r, const fx_buf *x, const fx_validate_opts *vo,
                      const char *name, fx_error *err)
{
    dctx dc = {vo->diag, vo->diag_ctx, name, 0};
    fx_validate_opts o = *vo;
    o.diag = count_diag;
    o.diag_ctx = &dc;
    fx_validator *v = NULL;
    const char *t = x->data ? x->data : "";
    if (fx__skip_ws(t, t + x->len) == t + x->len)
        return fx_error_set(err, FX_ESTRUCT, name, 0, 0, 0, "no record is left once "
                            "resolved, and an empty file is no fixture: nothing written; "
                            "keep a record, or remove the file");
    if (fx_validator_new(&v, &o) < 0)
        return nomem(err);
    int rc = read_text(x->data ? x->data : "", x->len, &dc, 0, validate_one, v, NULL, err);
    if (rc == 0 && fx_validator_finish(v) < 0)
        rc = nomem(err);
    fx_validator_free(v);
    (void)r;
    if (rc == 0 && dc.errors)
        rc = fx_error_set(err, FX_ESTRUCT, name, 0, 0, 0, "the file once resolved has %lu "
                          "error%s (above): nothing written; decide otherwise, or mend the "
                          "file by hand", dc.errors, dc.errors == 1 ? "" : "s");
    return rc;
}

/* x, UTF-8, converted back to the file's encoding (UTF-16 or UTF-32), with
** the byte-order mark it had. */
static int encode(const fx_resolver *r, fx_buf *x, fx_error *err)
{
    const char *to = fx__encoding_name(r->enc);
    iconv_t cd = iconv_open(to, "UTF-8");
    if (cd == (iconv_t)-1)
        return fx_error_set(err, FX_EIO, r->name, 0, 0, 0, "cannot convert to %s: %s", to,
                            strerror(errno));
    fx_buf y = FX_BUF_INIT;
    size_t cap = x->len * 4 + 8;
    int rc = fx_buf_grow(&y, cap) ? nomem(err) : 0;
    if (rc == 0 && r->bom) {
        /* U+FEFF in the file's encoding. */
        static const char *const boms[] = {"", "\xFF\xFE", "\xFE\xFF", "\xFF\xFE\0\0",
                                           "\0\0\xFE\xFF"};
        size_t bn = r->enc == FX__ENC_UTF16LE || r->enc == FX__ENC_UTF16BE ? 2 : 4;
        memcpy(y.data, boms[r->enc], bn);
        y.len = bn;
    }
    char none[1] = "";
    char *in = x->data ? x->data : none, *out = y.data ? y.data + y.len : NULL;
    size_t inleft = x->len, outleft = cap - y.len;
    if (rc == 0 && iconv(cd, &in, &inleft, &out, &outleft) == (size_t)-1)
        rc = fx_error_set(err, FX_EIO, r->name, 0, 0, 0, "cannot convert the result to "
                          "%s: %s", to, strerror(errno));
    iconv_close(cd);
    if (rc) {
        fx_buf_free(&y);
        return rc;
    }
    y.len = cap - outleft;
    fx_buf_free(x);
    *x = y;
    return 0;
}

int fx_resolver_write(fx_resolver *r, fx_output *o, const fx_validate_opts *vo,
                      fx_error *err)
{
    fx_buf x = FX_BUF_INIT;
    int rc = resolved_text(r, &x);
    if (rc == FX_ESTRUCT)
        rc = fx_error_set(err, FX_ESTRUCT, r->name, 0, 0, 0, "a value set where no side has "
                          "the field");
    else if (rc)
        rc = nomem(err);
    size_t left = fx_resolver_left(r);
    if (rc == 0 && left == 0 && vo)
        rc = check_text(r, &x, vo, r->name, err);
    if (rc == 0 && r->enc != FX__ENC_UTF8)
        rc = encode(r, &x, err);
    if (rc == 0)
        rc = fx_output_write(o, x.data ? x.data : "", x.len, err);
    fx_buf_free(&x);
    return rc < 0 ? rc : (int)left;
}

const char *fx_resolver_compression(const fx_resolver *r)
{
    return r->filter;
}
