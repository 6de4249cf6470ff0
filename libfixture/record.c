/*
** record.c: what can be asked of a record (its fields, positions) and
** records that outlive the reader: fx_record_copy() makes one that owns
** its storage, and fx_record_set()/fx_record_drop() change it for tools
** that redact or renumber, editing its text as a person would: only the
** bytes of what changes (see "editing the text").  Also the names of
** layouts.
*/
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

/* What a copied record owns.  Values point into text or into vals. */
struct owned {
    char *text;          /* copy of the original text, as edited */
    char *lead;          /* copy of the lead */
    fx_buf names;        /* model, label, pk_key and field names */
    char **vals;         /* JSON texts given to fx_record_set() */
    size_t nvals, cvals;
    size_t budget;       /* bytes the text may still be copied by edits */
    int lines;           /* the text is on several lines */
};

/* Keep p (malloc'd) with the record; on failure the caller still owns it. */
static int keep(struct owned *o, char *p)
{
    if (o->nvals == o->cvals) {
        size_t c = o->cvals ? o->cvals * 2 : 8;
        char **nv = realloc(o->vals, c * sizeof *nv);
        if (!nv)
            return FX_ENOMEM;
        o->vals = nv;
        o->cvals = c;
    }
    o->vals[o->nvals++] = p;
    return 0;
}

const fx_field *fx_record_field(const fx_record *rec, const char *name)
{
    for (size_t i = rec->nfields; i-- > 0;)
        if (strcmp(rec->fields[i].name, name) == 0)
            return &rec->fields[i];
    return NULL;
}

void fx_record_pos(const fx_record *rec, const char *p, unsigned long *line,
                   unsigned long *col)
{
    unsigned long l = rec->line, c = rec->col;
    const unsigned char *q = (const unsigned char *)rec->text;
    if (p < rec->text || p > rec->text + rec->len)
        p = rec->text;
    for (; q < (const unsigned char *)p; q++) {
        if (*q == '\n') {
            l++;
            c = 1;
        } else if ((*q & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static int cmp_field_ptr(const void *p, const void *q)
{
    const fx_field *a = *(const fx_field *const *)p, *b = *(const fx_field *const *)q;
    int c = strcmp(a->name, b->name);
    return c ? c : (a > b) - (a < b);
}

unsigned char *fx__fields_last(const fx_record *rec)
{
    size_t n = rec->nfields;
    unsigned char *last = calloc(n ? n : 1, 1);
    const fx_field **v = malloc((n ? n : 1) * sizeof *v);
    if (!last || !v) {
        free(last);
        free(v);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = &rec->fields[i];
    qsort(v, n, sizeof *v, cmp_field_ptr);   /* by name, then place */
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || strcmp(v[i]->name, v[i + 1]->name) != 0)
            last[v[i] - rec->fields] = 1;
    free(v);
    return last;
}

/* Names are copied whole: a field name may hold a NUL ("\u0000"). */
static size_t add_name(fx_buf *b, const char *s, size_t n)
{
    size_t at = b->len;
    if (fx_buf_add(b, s, n) || fx_buf_addc(b, '\0'))
        return (size_t)-1;
    return at;
}

int fx_record_copy(fx_record **out, const fx_record *rec)
{
    *out = NULL;
    fx_record *c = calloc(1, sizeof *c);
    struct owned *o = calloc(1, sizeof *o);
    if (!c || !o)
        goto nomem;
    *c = *rec;
    c->priv = o;
    c->fields = NULL;
    o->text = malloc(rec->len + 1);
    if (!o->text)
        goto nomem;
    memcpy(o->text, rec->text, rec->len);
    o->text[rec->len] = '\0';
    c->text = o->text;
    o->budget = 16 * rec->len + (1 << 20);
    o->lines = memchr(rec->text, '\n', rec->len) != NULL;
    if (rec->lead) {
        if (!(o->lead = malloc(rec->lead_len + 1)))
            goto nomem;
        memcpy(o->lead, rec->lead, rec->lead_len);
        o->lead[rec->lead_len] = '\0';
        c->lead = o->lead;
    }
    /* Values copied by fx_record_set() live outside text: copy them too. */
    size_t nfields = rec->nfields;
    c->fields = calloc(nfields ? nfields : 1, sizeof *c->fields);
    if (!c->fields)
        goto nomem;
    size_t *noff = calloc(nfields ? nfields : 1, sizeof *noff);
    if (!noff)
        goto nomem;
    size_t model = add_name(&o->names, rec->model, strlen(rec->model));
    size_t label = add_name(&o->names, rec->label, strlen(rec->label));
    size_t pk = rec->pk_key ? add_name(&o->names, rec->pk_key, strlen(rec->pk_key)) : 0;
    size_t file = rec->file ? add_name(&o->names, rec->file, strlen(rec->file)) : 0;
    int bad = model == (size_t)-1 || label == (size_t)-1 || pk == (size_t)-1 ||
              file == (size_t)-1;
    for (size_t i = 0; i < nfields && !bad; i++) {
        noff[i] = add_name(&o->names, rec->fields[i].name, rec->fields[i].name_len);
        bad = noff[i] == (size_t)-1;
    }
    if (bad) {
        free(noff);
        goto nomem;
    }
    c->model = o->names.data + model;
    c->label = o->names.data + label;
    c->file = rec->file ? o->names.data + file : NULL;   /* outlives the reader */
    c->pk_key = rec->pk_key ? o->names.data + pk : NULL;
    for (size_t i = 0; i < nfields; i++) {
        c->fields[i] = rec->fields[i];
        c->fields[i].name = o->names.data + noff[i];
    }
    free(noff);
    c->nfields = nfields;
    /* Re-point values, copying those that do not lie in the text. */
    for (size_t i = 0; i <= nfields; i++) {
        fx_value *v = i < nfields ? &c->fields[i].value : &c->pk;
        if (i == nfields && !rec->has_pk)
            break;
        if (!v->text)
            continue;
        if (v->text >= rec->text && v->text < rec->text + rec->len) {
            v->text = o->text + (v->text - rec->text);
        } else {
            char *t = malloc(v->len + 1);
            if (!t || keep(o, t)) {
                free(t);
                goto nomem;
            }
            memcpy(t, v->text, v->len);
            t[v->len] = '\0';
            v->text = t;
        }
    }
    *out = c;
    return 0;
nomem:
    if (c && c->priv == o) {
        fx_record_free(c);              /* frees o too */
    } else {
        free(c);
        free(o);
    }
    return FX_ENOMEM;
}

int fx_record_set(fx_record *rec, int is_pk, const char *name, const char *json,
                  size_t n)
{
    return fx__record_set_at(rec, is_pk, SIZE_MAX, name, json, n);
}

/* ------------------------------------------------------------ editing the text
**
** A copy's text is edited in place of being laid out anew, so that a
** record keeps its bytes but those of what changes: a value is replaced
** where it stands (a list or an object on one line or on lines as the one
** it replaces was, else as the record is, laid out from the indentation of
** its key's line with the record's layout); a field added goes
** after the last one with the separator the fields have between them, or
** on its own line inside an empty "fields"; a field dropped takes its
** separator with it (the one after it, or the one before the last field),
** an only field leaves "{}".  Values after the edit move with the text.
** When the text does not read as expected (a key written with escapes)
** or the record is marked changed (its text stale), the old way is taken:
** the value is kept aside and the record marked changed.
*/

static int is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Is rec's text its own and current? */
static int editable(const fx_record *rec)
{
    const struct owned *o = rec->priv;
    return o && !rec->changed && rec->text == o->text;
}

/* Replace text[at..at+del) with ins[0..n).  The values that follow move;
** one inside the span is left at its start for the caller to set.  Each
** edit copies the text: past a budget of sixteen times its size (a hostile
** record with 200,000 fields edited one by one), 1 says to set values the
** old way, so that the work stays linear. */
static int splice(fx_record *rec, size_t at, size_t del, const char *ins, size_t n)
{
    struct owned *o = rec->priv;
    size_t len = rec->len - del + n;
    if (len > o->budget)
        return 1;
    o->budget -= len;
    char *t = malloc(len + 1);
    if (!t)
        return FX_ENOMEM;
    memcpy(t, o->text, at);
    if (n)
        memcpy(t + at, ins, n);
    memcpy(t + at + n, o->text + at + del, rec->len - at - del);
    t[len] = '\0';
    const char *old = o->text, *end = old + rec->len;
    for (size_t i = 0; i <= rec->nfields; i++) {
        fx_value *v = i < rec->nfields ? &rec->fields[i].value : &rec->pk;
        if ((i == rec->nfields && !rec->has_pk) || !v->text || v->text < old ||
            v->text >= end)
            continue;
        size_t off = (size_t)(v->text - old);
        off = off >= at + del ? off - del + n : off >= at ? at : off;
        v->text = t + off;
    }
    free(o->text);
    o->text = t;
    rec->text = t;
    rec->len = len;
    return 0;
}

/* The key before the value at v: *ks at its opening quote, *ke after its
** closing one.  0, or -1 when the text before v is not `"key" :`. */
static int key_of(const fx_record *rec, const char *v, const char **ks, const char **ke)
{
    const char *lo = rec->text, *p = v;
    while (p > lo && is_ws(p[-1]))
        p--;
    if (p <= lo || p[-1] != ':')
        return -1;
    p--;
    while (p > lo && is_ws(p[-1]))
        p--;
    if (p <= lo || p[-1] != '"')
        return -1;
    *ke = p;
    for (const char *q = p - 1; q > lo;) {
        q--;
        size_t bs = 0;
        while (q - bs > lo && q[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (*q == '"' && bs % 2 == 0) {
            *ks = q;
            return 0;
        }
    }
    return -1;
}

/* The indentation at the start of the line that holds p: *pfx, *n. */
static void line_indent(const fx_record *rec, const char *p, const char **pfx, size_t *n)
{
    const char *ls = p;
    while (ls > rec->text && ls[-1] != '\n')
        ls--;
    const char *q = ls;
    while (q < p && (*q == ' ' || *q == '\t'))
        q++;
    *pfx = ls;
    *n = (size_t)(q - ls);
}

/* Does v lie in rec's text?  (Values set the old way, or in a record made
** by hand, do not.) */
static int inside(const fx_record *rec, const fx_value *v)
{
    return v->text && v->text > rec->text && v->text + v->len < rec->text + rec->len;
}

/* Is rec's text on several lines? */
static int multiline(const fx_record *rec)
{
    return ((const struct owned *)rec->priv)->lines;
}

/* The value json[0..n) as it is to stand at p (the start of a value or
** of a key) in rec: lists and objects laid out from p's line, on lines
** when lines is set. */
static int value_text(fx_buf *b, const fx_record *rec, const char *p, const char *json,
                      size_t n, fx_type type, const char *extra, size_t nextra, int lines)
{
    if (type != FX_ARRAY && type != FX_OBJECT)
        return fx_buf_add(b, json, n);
    const char *pfx = "";
    size_t plen = 0;
    if (lines)
        line_indent(rec, p, &pfx, &plen);
    fx_buf ind = FX_BUF_INIT;
    int rc = fx_buf_add(&ind, pfx, plen) || fx_buf_add(&ind, extra, nextra);
    fx_value v = {type, json, n};
    rc = rc || fx__value_format(b, v, rec->layout, lines, ind.data ? ind.data : "", ind.len);
    fx_buf_free(&ind);
    return rc ? FX_ENOMEM : 0;
}

/* Set value *v (in rec's text) to json[0..n), as a person would edit it. */
static int splice_value(fx_record *rec, fx_value *v, const char *json, size_t n,
                        fx_type type)
{
    fx_buf b = FX_BUF_INIT;
    if (!inside(rec, v))
        return 1;
    /* A list or object that had members keeps its shape, on one line or
    ** on lines; anything else takes the record's. */
    fx_iter it;
    fx_value k, e;
    int lines = multiline(rec);
    if (v->type == FX_ARRAY || v->type == FX_OBJECT) {
        fx_iter_init(&it, *v);
        if (fx_iter_next(&it, &k, &e))
            lines = memchr(v->text, '\n', v->len) != NULL;
    }
    size_t at = (size_t)(v->text - rec->text);
    int rc = value_text(&b, rec, v->text, json, n, type, "", 0, lines);
    if (rc == 0)
        rc = splice(rec, at, v->len, b.data, b.len);
    if (rc == 0) {
        v->type = type;
        v->text = rec->text + at;
        v->len = b.len;
    }
    fx_buf_free(&b);
    return rc;
}

/* The value of the record's last top-level "fields" key, or NULL. */
static const char *fields_object(const fx_record *rec)
{
    const char *p = rec->text + 1, *e = rec->text + rec->len, *found = NULL;
    for (;;) {
        while (p < e && (is_ws(*p) || *p == ','))
            p++;
        if (p >= e || *p != '"')
            return found;
        const char *k = p;
        p = fx__skip_value(p, e);
        int is_fields = p - k == 8 && memcmp(k, "\"fields\"", 8) == 0;
        while (p < e && (is_ws(*p) || *p == ':'))
            p++;
        if (p >= e)
            return found;
        if (is_fields && *p == '{')
            found = p;
        p = fx__skip_value(p, e);
    }
}

/* One level of rec's layout (two spaces when it has none). */
static int add_unit(fx_buf *b, fx_layout l)
{
    int n = l.indent >= 0 ? l.indent : 2;
    for (int i = 0; i < n; i++)
        if (fx_buf_addc(b, l.tabs ? '\t' : ' '))
            return FX_ENOMEM;
    return 0;
}

/* Append field name = json[0..n) after rec's last field (in its text).
** 0, 1 when the text does not allow it, or FX_ENOMEM. */
static int splice_add(fx_record *rec, const char *name, const char *json, size_t n,
                      fx_type type, fx_value *out)
{
    fx_buf b = FX_BUF_INIT, ind = FX_BUF_INIT;
    const char *eol = rec->layout.crlf ? "\r\n" : "\n";
    const char *colon = rec->layout.colon[0] ? rec->layout.colon : ": ";
    size_t at, del = 0, vat, vend = 0;
    int rc = 0, lines = multiline(rec);
    if (rec->nfields > 0) {
        const fx_field *last = &rec->fields[rec->nfields - 1];
        const char *ks, *ke, *pfx = "";
        size_t plen = 0;
        if (!inside(rec, &last->value) || key_of(rec, last->value.text, &ks, &ke) < 0)
            return 1;
        at = (size_t)(last->value.text + last->value.len - rec->text);
        if (rec->nfields > 1) {          /* the separator the fields have */
            const fx_value *pv = &rec->fields[rec->nfields - 2].value;
            const char *pe = pv->text + pv->len;
            if (!inside(rec, pv) || pe > ks)
                return 1;
            rc = fx_buf_add(&b, pe, (size_t)(ks - pe));
        } else {
            const char *comma = rec->layout.comma[0] ? rec->layout.comma
                              : !lines && rec->layout.format == FX_FORMAT_JSON ? ", " : ",";
            if (lines)
                line_indent(rec, ks, &pfx, &plen);
            rc = fx_buf_adds(&b, comma) ||
                 (lines && (fx_buf_adds(&b, eol) || fx_buf_add(&b, pfx, plen)));
        }
        if (rc == 0)
            rc = fx__json_string(&b, name, strlen(name)) ||
                 fx_buf_add(&b, ke, (size_t)(last->value.text - ke));
        vat = b.len;
        if (rc == 0)
            rc = value_text(&b, rec, ks, json, n, type, "", 0, lines);
        vend = b.len;
    } else {
        const char *fo = fields_object(rec), *pfx;
        size_t plen;
        if (!fo)
            return 1;
        at = (size_t)(fo - rec->text);
        del = (size_t)(fx__skip_value(fo, rec->text + rec->len) - fo);
        pfx = "", plen = 0;
        if (lines)
            line_indent(rec, fo, &pfx, &plen);
        rc = fx_buf_addc(&b, '{');
        if (rc == 0 && lines)
            rc = fx_buf_adds(&b, eol) || fx_buf_add(&b, pfx, plen) ||
                 add_unit(&b, rec->layout) || add_unit(&ind, rec->layout);
        rc = rc || fx__json_string(&b, name, strlen(name)) || fx_buf_adds(&b, colon);
        vat = b.len;
        rc = rc || value_text(&b, rec, fo, json, n, type, ind.data ? ind.data : "", ind.len,
                              lines);
        vend = b.len;
        if (rc == 0 && lines)
            rc = fx_buf_adds(&b, eol) || fx_buf_add(&b, pfx, plen);
        rc = rc || fx_buf_addc(&b, '}');
    }
    rc = rc ? FX_ENOMEM : splice(rec, at, del, b.data, b.len);   /* 0, 1 or FX_ENOMEM */
    if (rc == 0) {
        out->type = type;
        out->text = rec->text + at + vat;
        out->len = vend - vat;
    }
    fx_buf_free(&b);
    fx_buf_free(&ind);
    return rc;
}

/* Drop field i from rec's text and fields.  0, or 1 when the text does
** not allow it, or FX_ENOMEM. */
static int splice_drop(fx_record *rec, size_t i)
{
    const fx_value *v = &rec->fields[i].value;
    const char *ks, *ke, *lo, *hi, *e = rec->text + rec->len;
    const char *ve = v->text + v->len;
    if (!inside(rec, v) || key_of(rec, v->text, &ks, &ke) < 0)
        return 1;
    if (rec->nfields == 1) {             /* the only one: "{}" is left */
        lo = ks;
        while (lo > rec->text && is_ws(lo[-1]))
            lo--;
        hi = ve;
        while (hi < e && is_ws(*hi))
            hi++;
        if (lo <= rec->text || lo[-1] != '{' || hi >= e || *hi != '}')
            return 1;
    } else if (i + 1 < rec->nfields) {   /* up to the next key */
        const char *ks2, *ke2;
        if (!inside(rec, &rec->fields[i + 1].value) ||
            key_of(rec, rec->fields[i + 1].value.text, &ks2, &ke2) < 0)
            return 1;
        lo = ks;
        hi = ks2;
    } else {                             /* from the value before */
        const fx_value *pv = &rec->fields[i - 1].value;
        if (!inside(rec, pv))
            return 1;
        lo = pv->text + pv->len;
        hi = ve;
    }
    if (lo > ks || hi < ve)
        return 1;
    int rc = splice(rec, (size_t)(lo - rec->text), (size_t)(hi - lo), NULL, 0);
    if (rc)
        return rc;
    memmove(&rec->fields[i], &rec->fields[i + 1], (rec->nfields - i - 1) * sizeof *rec->fields);
    rec->nfields--;
    return 0;
}

int fx__record_set_at(fx_record *rec, int is_pk, size_t at, const char *name,
                      const char *json, size_t n)
{
    struct owned *o = rec->priv;
    fx_type type;
    if (!o)
        return FX_ERROR;            /* only copies can change: a bug */
    if (!fx__json_valid(json, n, &type))
        return FX_ESYNTAX;
    if (is_pk && (type == FX_ARRAY || type == FX_OBJECT || type == FX_TRUE || type == FX_FALSE))
        return FX_ESYNTAX;
    /* A value's text starts and ends with the value: drop white space. */
    const char *v0 = fx__skip_ws(json, json + n);
    n -= (size_t)(v0 - json);
    json = v0;
    while (n > 0 && (json[n - 1] == ' ' || json[n - 1] == '\n' ||
                     json[n - 1] == '\r' || json[n - 1] == '\t'))
        n--;
    size_t i = at;
    if (!is_pk && i == SIZE_MAX) {   /* the last field of that name, else a new one */
        for (i = rec->nfields; i-- > 0;)
            if (strcmp(rec->fields[i].name, name) == 0)
                break;
        if (i == SIZE_MAX)
            i = rec->nfields;
    }
    int rc = 1;                      /* 1: not edited in the text */
    fx_value added;
    if (editable(rec)) {
        if (is_pk && rec->has_pk && rec->pk.text)
            rc = splice_value(rec, &rec->pk, json, n, type);
        else if (!is_pk && i < rec->nfields)
            rc = splice_value(rec, &rec->fields[i].value, json, n, type);
        else if (!is_pk)
            rc = splice_add(rec, name, json, n, type, &added);
        if (rc < 0)
            return rc;
    }
    fx_value v;
    if (rc == 0) {
        v = is_pk ? rec->pk : i < rec->nfields ? rec->fields[i].value : added;
    } else {
        char *t = malloc(n + 1);
        if (!t)
            return FX_ENOMEM;
        memcpy(t, json, n);
        t[n] = '\0';
        if (keep(o, t)) {
            free(t);
            return FX_ENOMEM;
        }
        v = (fx_value){type, t, n};
        rec->changed = 1;
    }
    if (is_pk) {
        rec->has_pk = 1;
        rec->pk = v;
        rec->pk_key = NULL;
        if (type != FX_NULL) {
            fx_buf k = FX_BUF_INIT;
            int r2 = type == FX_STRING ? fx_value_str(&k, v) : fx_buf_add(&k, v.text, v.len);
            if (r2) {
                fx_buf_free(&k);
                return FX_ENOMEM;
            }
            /* pk_key lives in vals too, so that it is freed with the record. */
            if (keep(o, k.data)) {
                fx_buf_free(&k);
                return FX_ENOMEM;
            }
            rec->pk_key = k.data;
        }
        return 0;
    }
    if (i < rec->nfields) {
        rec->fields[i].value = v;
        return 0;
    }
    fx_field *f = realloc(rec->fields, (rec->nfields + 1) * sizeof *f);
    if (!f)
        return FX_ENOMEM;
    rec->fields = f;
    size_t len = strlen(name);
    char *nm = malloc(len + 1);
    if (!nm || keep(o, nm)) {
        free(nm);
        return FX_ENOMEM;
    }
    memcpy(nm, name, len + 1);
    f[rec->nfields].name = nm;
    f[rec->nfields].name_len = len;
    f[rec->nfields].value = v;
    rec->nfields++;
    return 0;
}

int fx_record_drop(fx_record *rec, const char *name)
{
    int dropped = 0;
    for (size_t i = rec->nfields; i-- > 0;) {
        if (strcmp(rec->fields[i].name, name) != 0)
            continue;
        dropped = 1;
        if (!editable(rec) || splice_drop(rec, i) != 0) {
            memmove(&rec->fields[i], &rec->fields[i + 1],
                    (rec->nfields - i - 1) * sizeof *rec->fields);
            rec->nfields--;
            rec->changed = 1;
        }
    }
    return dropped;
}

void fx_record_free(fx_record *rec)
{
    if (!rec)
        return;
    struct owned *o = rec->priv;
    if (o) {
        free(o->text);
        free(o->lead);
        fx_buf_free(&o->names);
        for (size_t i = 0; i < o->nvals; i++)
            free(o->vals[i]);
        free(o->vals);
        free(o);
    }
    free(rec->fields);
    free(rec);
}

/* ------------------------------------------------------------ layouts */

int fx_layout_parse(fx_layout *out, const char *s)
{
    fx_layout l = {.format = FX_FORMAT_JSON, .indent = 2};
    if (strcmp(s, "json") == 0) {
    } else if (strcmp(s, "compact") == 0) {
        l.indent = -1;
    } else if (strcmp(s, "jsonl") == 0) {
        l.format = FX_FORMAT_JSONL;
        l.indent = -1;
    } else if (strncmp(s, "indent=", 7) == 0 && s[7]) {
        char *end;
        long n = strtol(s + 7, &end, 10);
        if (*end || n < 0 || n > 64)
            return FX_EUSAGE;
        l.indent = (int)n;
    } else {
        return FX_EUSAGE;
    }
    *out = l;
    return 0;
}

const char *fx_layout_name(fx_layout l, char *buf, size_t n)
{
    char more[128] = "";
    size_t k = 0;
#define MORE(...) (k += (size_t)snprintf(more + k, sizeof more - k, "%s", k ? ", " : ""), \
                   k += (size_t)snprintf(more + k, sizeof more - k, __VA_ARGS__))
    if (l.crlf)
        MORE("CRLF");
    if (l.format == FX_FORMAT_JSON && l.indent >= 0 && l.tabs)
        MORE("tabs");
    if (l.format == FX_FORMAT_JSON && l.indent >= 0 && l.depth)
        MORE("depth %d", l.depth);
    if (l.order[0] && strcmp(l.order, "mpf") != 0) {
        static const char *const key[] = {"model", "pk", "fields"};
        MORE("keys");
        for (const char *o = l.order; *o && k < sizeof more; o++)
            k += (size_t)snprintf(more + k, sizeof more - k, " %s",
                                  key[*o == 'm' ? 0 : *o == 'p' ? 1 : 2]);
    }
    if (l.comma[0] || l.colon[0])
        MORE("separators '%s' '%s'", l.comma[0] ? l.comma
             : l.format == FX_FORMAT_JSON && l.indent < 0 ? ", " : ",",
             l.colon[0] ? l.colon : ": ");
#undef MORE
    char shape[32];
    if (l.format == FX_FORMAT_JSONL)
        snprintf(shape, sizeof shape, "jsonl");
    else if (l.indent < 0)
        snprintf(shape, sizeof shape, "compact");
    else
        snprintf(shape, sizeof shape, "indent=%d", l.indent);
    snprintf(buf, n, k ? "%s (%s)" : "%s", shape, more);
    return buf;
}
