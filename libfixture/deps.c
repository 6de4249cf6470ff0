/*
** deps.c: the dependency closure behind fxfilter --with-deps: the
** selected records plus every record they reach through foreign keys,
** one-to-ones and many-to-many members (fx_record_refs), transitively.
**
** Calling sequence, over inputs opened seekable:
**   pass 1  fx_deps_add() for every record of every input, in order: it
**           indexes the record's place under its (model, pk), its natural
**           key and the unique fields references use (to_field); a
**           selected record is marked and its references followed at once;
**   close   fx_deps_close() resolves the references that pointed forward,
**           then re-reads (by seeking) every marked record whose references
**           were not followed yet, in rounds sorted by place, until no new
**           record is reached;
**   pass 2  rewind each input; fx_deps_wanted() says which records to write.
**
** Memory is the index, never the records: about 48 bytes a record for the
** (model, pk) index, as much again for natural keys, 24 bytes a marked
** record, and a work list of places.  A reference to a record in none of
** the inputs is reported (a warning through the diag callback, check
** "with-deps") and counted: the output would not load without it.
*/
#include "index.h"

#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

#define MAX_INPUTS 256
#define SKIP_AHEAD (4u << 20)     /* read on instead of seeking within this */

struct place {
    uint64_t offset;
    uint32_t line, col;
    uint32_t input;
};

/* A reference whose target was not indexed yet when it was followed. */
struct pending {
    uint64_t target;
    int natural;              /* in the natural index (natural key, to_field) */
    struct place at;          /* of the referring value */
    const char *label;        /* referring record's model (schema-owned) */
    const char *field;        /* schema-owned */
    const char *to;           /* schema-owned */
    char what[48];            /* the value as written, cut */
};

struct tofield {
    const char *label, *field;
};

struct fx_deps {
    const fx_schema *s;
    fx_diag_fn diag;
    void *diag_ctx;
    fx__index *keys;          /* fx__key_hash(label, pk) -> place */
    fx__index *natural;       /* natural keys and to_field values -> place */
    fx__index *marked;        /* mix(input, offset) -> nothing */
    struct place *work;       /* marked records whose refs are to follow */
    size_t nwork, capwork;
    struct pending *pend;
    size_t npend, cappend;
    struct tofield *tf;
    size_t ntf;
    fx_buf tmp;
    uint64_t missing;
    int pass1;                /* following refs during pass 1 */
    uint32_t cur;             /* input of the record being followed */
    int rc;
};

/* A bijective 64-bit mix (splitmix64's finaliser): a key that spreads over
** the index's slots and is still unique for each (input, offset). */
static uint64_t mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t place_key(uint32_t input, uint64_t offset)
{
    return mix(offset << 8 | input);
}

int fx_deps_new(fx_deps **out, const fx_schema *s, fx_diag_fn diag, void *ctx)
{
    fx_deps *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return FX_ENOMEM;
    d->s = s;
    d->diag = diag;
    d->diag_ctx = ctx;
    if (fx__index_new(&d->keys, sizeof(struct place)) ||
        fx__index_new(&d->natural, sizeof(struct place)) ||
        fx__index_new(&d->marked, 0)) {
        fx_deps_free(d);
        return FX_ENOMEM;
    }
    /* The (model, field) pairs references name by a unique field. */
    for (size_t i = 0; i < s->nmodels; i++) {
        const fx_model_schema *m = &s->models[i];
        for (size_t j = 0; j < m->nfields; j++) {
            const fx_field_schema *f = &m->fields[j];
            if (!f->to_field || (f->kind != FX_K_FK && f->kind != FX_K_O2O))
                continue;
            const fx_model_schema *to = fx_schema_model(s, f->to);
            if (!to)
                continue;
            size_t k;
            for (k = 0; k < d->ntf; k++)
                if (d->tf[k].label == to->label && strcmp(d->tf[k].field, f->to_field) == 0)
                    break;
            if (k < d->ntf)
                continue;
            struct tofield *v = realloc(d->tf, (d->ntf + 1) * sizeof *v);
            if (!v) {
                fx_deps_free(d);
                return FX_ENOMEM;
            }
            d->tf = v;
            v[d->ntf++] = (struct tofield){to->label, f->to_field};
        }
    }
    *out = d;
    return 0;
}

void fx_deps_free(fx_deps *d)
{
    if (!d)
        return;
    fx__index_free(d->keys);
    fx__index_free(d->natural);
    fx__index_free(d->marked);
    free(d->work);
    free(d->pend);
    free(d->tf);
    fx_buf_free(&d->tmp);
    free(d);
}

/* Hash of a value of a unique field that references name (to_field). */
static uint64_t tofield_hash(fx_buf *t, const char *label, const char *field, fx_value v)
{
    fx_buf_reset(t);
    fx_buf_add(t, label, strlen(label) + 1);
    fx_buf_addc(t, '\x01');
    fx_buf_add(t, field, strlen(field) + 1);
    fx_value_canon(t, v);
    return XXH3_64bits(t->data, t->len);
}

static int mark(fx_deps *d, const struct place *p)
{
    int existed;
    if (!fx__index_put(d->marked, place_key(p->input, p->offset), &existed))
        return FX_ENOMEM;
    return !existed;
}

static int push(fx_deps *d, const struct place *p)
{
    if (d->nwork == d->capwork) {
        size_t cap = d->capwork ? d->capwork * 2 : 256;
        struct place *v = realloc(d->work, cap * sizeof *v);
        if (!v)
            return FX_ENOMEM;
        d->work = v;
        d->capwork = cap;
    }
    d->work[d->nwork++] = *p;
    return 0;
}

static void report_missing(fx_deps *d, const char *file, unsigned long line, unsigned long col,
                           const char *label, const char *field, const char *to,
                           const char *what, int cut)
{
    d->missing++;
    fx__diag(d->diag, d->diag_ctx, FX_WARNING, file, line, col, 0, "with-deps",
             "%s.%s refers to %s %s%s, which is in none of the inputs: the output will "
             "not load without it", label, field, to, what, cut ? "..." : "");
}

/* fx_ref_fn: follow one reference. */
static int follow(void *ctx, const fx_record *rec, const fx_model_schema *m,
                  const fx_field_schema *f, const fx_model_schema *to, fx_value v)
{
    fx_deps *d = ctx;
    if (!to)
        return 0;                          /* the schema does not know it */
    uint64_t h;
    int natural = 1;
    if (v.type == FX_ARRAY) {
        fx_value vals[16];
        size_t n = 0;
        fx_iter it;
        fx_iter_init(&it, v);
        while (n < 16 && fx_iter_next(&it, NULL, &vals[n]))
            n++;
        h = fx__natural_hash(&d->tmp, to->label, vals, n);
    } else if (f->to_field) {
        h = tofield_hash(&d->tmp, to->label, f->to_field, v);
    } else {
        natural = 0;
        fx_buf_reset(&d->tmp);
        if (v.type == FX_STRING ? fx_value_str(&d->tmp, v) : fx_buf_add(&d->tmp, v.text, v.len))
            return FX_ENOMEM;
        h = fx__key_hash(to->label, d->tmp.data ? d->tmp.data : "", d->tmp.len);
    }
    const struct place *t = fx__index_get(natural ? d->natural : d->keys, h);
    if (t) {
        struct place p = *t;
        int rc = mark(d, &p);
        if (rc < 0)
            return rc;
        if (rc > 0 && push(d, &p))
            return FX_ENOMEM;
        return 0;
    }
    unsigned long line, col;
    fx_record_pos(rec, v.text, &line, &col);
    int cut = v.len >= sizeof ((struct pending *)0)->what;
    if (!d->pass1) {
        char what[48];
        snprintf(what, sizeof what, "%.*s", (int)(cut ? sizeof what - 1 : v.len), v.text);
        report_missing(d, rec->file, line, col, m->label, f->name, to->label, what, cut);
        return 0;
    }
    if (d->npend == d->cappend) {
        size_t cap = d->cappend ? d->cappend * 2 : 64;
        struct pending *pv = realloc(d->pend, cap * sizeof *pv);
        if (!pv)
            return FX_ENOMEM;
        d->pend = pv;
        d->cappend = cap;
    }
    struct pending *pd = &d->pend[d->npend++];
    pd->target = h;
    pd->natural = natural;
    pd->at = (struct place){0, (uint32_t)line, (uint32_t)col, d->cur};
    pd->label = m->label;
    pd->field = f->name;
    pd->to = to->label;
    snprintf(pd->what, sizeof pd->what, "%.*s", (int)(cut ? sizeof pd->what - 1 : v.len),
             v.text);
    return 0;
}

static int put_place(fx__index *ix, uint64_t h, const struct place *p)
{
    int existed;
    struct place *q = fx__index_put(ix, h, &existed);
    if (!q)
        return FX_ENOMEM;
    *q = *p;                               /* the last one wins, as in loaddata */
    return 0;
}

int fx_deps_add(fx_deps *d, size_t input, const fx_record *rec, int selected, fx_error *err)
{
    if (input >= MAX_INPUTS)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0,
                            "--with-deps reads at most %d files", MAX_INPUTS);
    struct place p = {rec->offset, (uint32_t)rec->line, (uint32_t)rec->col, (uint32_t)input};
    if (rec->pk_key &&
        put_place(d->keys, fx__key_hash(rec->label, rec->pk_key, strlen(rec->pk_key)), &p))
        goto nomem;
    const fx_model_schema *m = fx_schema_model(d->s, rec->label);
    if (m && m->natural_key.n > 0 && m->natural_key.n <= 16) {
        fx_value vals[16];
        size_t n;
        for (n = 0; n < m->natural_key.n; n++) {
            const fx_field *fd = fx_record_field(rec, m->natural_key.names[n]);
            if (!fd)
                break;
            vals[n] = fd->value;
        }
        if (n == m->natural_key.n &&
            put_place(d->natural, fx__natural_hash(&d->tmp, m->label, vals, n), &p))
            goto nomem;
    }
    for (size_t k = 0; m && k < d->ntf; k++) {
        if (d->tf[k].label != m->label)
            continue;
        const fx_field *fd = fx_record_field(rec, d->tf[k].field);
        if (fd && put_place(d->natural, tofield_hash(&d->tmp, m->label, d->tf[k].field,
                                                     fd->value), &p))
            goto nomem;
    }
    if (!selected)
        return 0;
    int rc = mark(d, &p);
    if (rc < 0)
        goto nomem;
    d->pass1 = 1;
    d->cur = (uint32_t)input;
    rc = fx_record_refs(rec, d->s, follow, d);
    d->pass1 = 0;
    if (rc < 0)
        goto nomem;
    return 0;
nomem:
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

static int cmp_place(const void *a, const void *b)
{
    const struct place *x = a, *y = b;
    if (x->input != y->input)
        return x->input < y->input ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

int fx_deps_close(fx_deps *d, fx_reader *const *readers, size_t n, fx_error *err)
{
    /* References that pointed forward in pass 1. */
    for (size_t i = 0; i < d->npend; i++) {
        struct pending *pd = &d->pend[i];
        const struct place *t = fx__index_get(pd->natural ? d->natural : d->keys, pd->target);
        if (!t) {
            report_missing(d, pd->at.input < n ? fx_reader_name(readers[pd->at.input]) : NULL,
                           pd->at.line, pd->at.col, pd->label, pd->field, pd->to, pd->what,
                           strlen(pd->what) == sizeof pd->what - 1);
            continue;
        }
        struct place p = *t;
        int rc = mark(d, &p);
        if (rc < 0 || (rc > 0 && push(d, &p)))
            return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    }
    free(d->pend);
    d->pend = NULL;
    d->npend = d->cappend = 0;

    /* Rounds: follow the marked records not followed yet, in file order. */
    while (d->nwork) {
        struct place *batch = d->work;
        size_t nb = d->nwork;
        d->work = NULL;
        d->nwork = d->capwork = 0;
        qsort(batch, nb, sizeof *batch, cmp_place);
        int rc = 0;
        uint32_t last = UINT32_MAX;       /* the input read last, sequentially */
        for (size_t i = 0; i < nb && rc == 0; i++) {
            const struct place *p = &batch[i];
            if (p->input >= n) {
                rc = fx_error_set(err, FX_ERROR, NULL, 0, 0, 0, "--with-deps: no input %u",
                                  p->input);
                break;
            }
            fx_reader *r = readers[p->input];
            uint64_t at = fx_reader_offset(r);
            if (!(last == p->input && at <= p->offset && p->offset - at < SKIP_AHEAD) &&
                (rc = fx_reader_seek(r, p->offset, p->line, p->col, err)) < 0)
                break;
            last = p->input;
            const fx_record *rec;
            for (;;) {
                rc = fx_reader_next(r, &rec, err);
                if (rc <= 0 || rec->offset >= p->offset)
                    break;
            }
            if (rc == 0 || (rc > 0 && rec->offset != p->offset)) {
                rc = fx_error_set(err, FX_ERROR, fx_reader_name(r), p->line, p->col,
                                  p->offset, "--with-deps: the input changed while it was "
                                  "read: no record here any more");
                break;
            }
            if (rc < 0)
                break;
            d->cur = p->input;
            rc = fx_record_refs(rec, d->s, follow, d);
            if (rc < 0)
                rc = fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        }
        free(batch);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int fx_deps_wanted(const fx_deps *d, size_t input, const fx_record *rec)
{
    return fx__index_get(d->marked, place_key((uint32_t)input, rec->offset)) != NULL;
}

uint64_t fx_deps_missing(const fx_deps *d)
{
    return d->missing;
}
