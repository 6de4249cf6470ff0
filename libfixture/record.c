/*
** record.c: what can be asked of a record (its fields, positions) and
** records that outlive the reader: fx_record_copy() makes one that owns
** its storage, and fx_record_set()/fx_record_drop() change it for tools
** that redact or renumber.  Also the names of layouts.
*/
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

/* What a copied record owns.  Values point into text or into vals. */
struct owned {
    char *text;          /* copy of the original text */
    char *lead;          /* copy of the lead */
    fx_buf names;        /* model, label, pk_key and field names */
    char **vals;         /* JSON texts given to fx_record_set() */
    size_t nvals, cvals;
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

int fx__record_set_at(fx_record *rec, int is_pk, size_t at, const char *name,
                      const char *json, size_t n)
{
    struct owned *o = rec->priv;
    fx_type type;
    if (!o)
        return FX_ERROR;            /* only copies can change: a bug */
    if (!fx__json_valid(json, n, &type))
        return FX_ESYNTAX;
    /* A value's text starts and ends with the value: drop white space. */
    const char *v0 = fx__skip_ws(json, json + n);
    n -= (size_t)(v0 - json);
    json = v0;
    while (n > 0 && (json[n - 1] == ' ' || json[n - 1] == '\n' ||
                     json[n - 1] == '\r' || json[n - 1] == '\t'))
        n--;
    char *t = malloc(n + 1);
    if (!t)
        return FX_ENOMEM;
    memcpy(t, json, n);
    t[n] = '\0';
    if (keep(o, t)) {
        free(t);
        return FX_ENOMEM;
    }
    fx_value v = {type, t, n};
    rec->changed = 1;
    if (is_pk) {
        if (type == FX_ARRAY || type == FX_OBJECT || type == FX_TRUE || type == FX_FALSE)
            return FX_ESYNTAX;
        rec->has_pk = 1;
        rec->pk = v;
        rec->pk_key = NULL;
        if (type != FX_NULL) {
            fx_buf k = FX_BUF_INIT;
            int rc = type == FX_STRING ? fx_value_str(&k, v) : fx_buf_add(&k, t, n);
            if (rc) {
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
    size_t i = at;
    if (i == SIZE_MAX) {   /* the last field of that name, else a new one */
        for (i = rec->nfields; i-- > 0;)
            if (strcmp(rec->fields[i].name, name) == 0)
                break;
        if (i == SIZE_MAX)
            i = rec->nfields;
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
    size_t j = 0;
    for (size_t i = 0; i < rec->nfields; i++) {
        if (strcmp(rec->fields[i].name, name) == 0)
            dropped = 1;
        else
            rec->fields[j++] = rec->fields[i];
    }
    rec->nfields = j;
    if (dropped)
        rec->changed = 1;
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
