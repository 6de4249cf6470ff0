/*
** diff.c: which records two fixtures have in common and how they differ.
**
** Each file is read once into an fx__kfile: for every record its identity
** (fx__ident_key: model and pk, or natural key, or --key fields), its
** record hash and its place; about 40 bytes a record, never the record.
** Records whose hashes differ are read again by seeking and compared field
** by field (many-to-many fields as sets, ignored fields skipped), so two
** files in different layouts or orders compare equal when their records
** are equal.  fx_merge() (merge.c) builds on the same index.
*/
#include "diff_int.h"

#include <stdlib.h>
#include <xxhash.h>

/* ---------------------------------------------------------------- keyspec */

typedef struct keydef {
    char *label;             /* lower-case */
    char **fields;
    size_t n;
} keydef;

struct fx_keyspec {
    keydef *defs;
    size_t n;
};

int fx_keyspec_new(fx_keyspec **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : FX_ENOMEM;
}

int fx_keyspec_add(fx_keyspec *k, const char *spec, fx_error *err)
{
    const char *eq = strchr(spec, '=');
    const char *dot = strchr(spec, '.');
    if (!eq || !dot || dot > eq || dot == spec || dot + 1 == eq || !eq[1] ||
        strstr(eq, ",,") || eq[strlen(eq) - 1] == ',' || eq[1] == ',')
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0,
                            "'%s' is not a key: give MODEL=FIELD[,FIELD], e.g. "
                            "supermarket.commande=agence,numero", spec);
    keydef *d = realloc(k->defs, (k->n + 1) * sizeof *d);
    if (!d)
        return FX_ENOMEM;
    k->defs = d;
    d = &k->defs[k->n];
    memset(d, 0, sizeof *d);
    if (!(d->label = fx__strndup_lower(spec, (size_t)(eq - spec))))
        return FX_ENOMEM;
    k->n++;
    for (const char *p = eq + 1; *p;) {
        size_t len = strcspn(p, ",");
        char **f = realloc(d->fields, (d->n + 1) * sizeof *f);
        if (!f)
            return FX_ENOMEM;
        d->fields = f;
        if (!(f[d->n] = strndup(p, len)))
            return FX_ENOMEM;
        d->n++;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

void fx_keyspec_free(fx_keyspec *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        for (size_t j = 0; j < k->defs[i].n; j++)
            free(k->defs[i].fields[j]);
        free(k->defs[i].fields);
        free(k->defs[i].label);
    }
    free(k->defs);
    free(k);
}

/* ---------------------------------------------------------------- identity */

/* Append v's text on one line: white space outside strings dropped, and
** Python's ", " and ": " separators put back. */
static int add_oneline(fx_buf *b, fx_value v)
{
    if (!memchr(v.text, '\n', v.len))
        return fx_buf_add(b, v.text, v.len);
    int instr = 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.text[i];
        if (instr) {
            if (fx_buf_addc(b, c))
                return FX_ENOMEM;
            if (c == '\\' && i + 1 < v.len) {
                if (fx_buf_addc(b, v.text[++i]))
                    return FX_ENOMEM;
            } else if (c == '"') {
                instr = 0;
            }
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            if (fx_buf_addc(b, c) || ((c == ',' || c == ':') && fx_buf_addc(b, ' ')))
                return FX_ENOMEM;
            instr = c == '"';
        }
    }
    return 0;
}

static const keydef *keydef_of(const fx_keyspec *k, const char *label)
{
    for (size_t i = 0; k && i < k->n; i++)
        if (strcmp(k->defs[i].label, label) == 0)
            return &k->defs[i];
    return NULL;
}

int fx__ident_key(fx__ident *id, const fx_record *rec, uint64_t *key, int *bypk,
                  fx_buf *text)
{
    char *const *names = NULL;
    size_t nnames = 0;
    const keydef *d = keydef_of(id->keys, rec->label);
    const fx_model_schema *m;
    if (d) {
        names = d->fields;
        nnames = d->n;
    } else if (!rec->has_pk && id->schema &&
               (m = fx_schema_model(id->schema, rec->label)) && m->natural_key.n) {
        names = m->natural_key.names;
        nnames = m->natural_key.n;
    }
    if (names) {
        fx_buf c = FX_BUF_INIT;
        int ok = fx_buf_addc(&c, '\x01') == 0;
        for (size_t i = 0; i < nnames && ok; i++) {
            const fx_field *f = fx_record_field(rec, names[i]);
            ok = f && fx_buf_addc(&c, '\x1f') == 0 && fx_value_canon(&c, f->value) == 0;
        }
        if (ok) {
            *key = fx__key_hash(rec->label, c.data, c.len);
            *bypk = 0;
            fx_buf_free(&c);
            if (!text)
                return 0;
            if (fx_buf_addc(text, '['))
                return FX_ENOMEM;
            for (size_t i = 0; i < nnames; i++)
                if ((i && fx_buf_adds(text, ", ")) ||
                    add_oneline(text, fx_record_field(rec, names[i])->value))
                    return FX_ENOMEM;
            return fx_buf_addc(text, ']');
        }
        fx_buf_free(&c);     /* a key field is missing: fall back */
    }
    if (rec->has_pk) {
        *key = fx_record_key_hash(rec);
        *bypk = 1;
        return text ? fx_buf_adds(text, rec->pk_key) : 0;
    }
    /* No pk and no natural key: the record is its own identity. */
    uint64_t h = fx_record_hash(rec);
    char k[9] = {'\x02'};
    memcpy(k + 1, &h, 8);
    *key = fx__key_hash(rec->label, k, sizeof k);
    *bypk = 0;
    return text ? fx_buf_printf(text, "#%016llx", (unsigned long long)h) : 0;
}

uint32_t fx__ident_model(fx__ident *id, const char *label)
{
    if (id->last < id->nlabels && strcmp(id->labels[id->last], label) == 0)
        return id->last;            /* records come in runs of one model */
    if (!id->label_ix && fx__index_new(&id->label_ix, sizeof(uint32_t)))
        return FX__NONE;
    int existed;
    uint32_t *v = fx__index_put(id->label_ix, XXH3_64bits(label, strlen(label)), &existed);
    if (!v)
        return FX__NONE;
    if (existed)
        return id->last = *v;
    char **l = realloc(id->labels, (id->nlabels + 1) * sizeof *l);
    if (!l)
        return FX__NONE;
    id->labels = l;
    int64_t *mp = realloc(id->maxpk, (id->nlabels + 1) * sizeof *mp);
    if (!mp)
        return FX__NONE;
    id->maxpk = mp;
    if (!(l[id->nlabels] = strdup(label)))
        return FX__NONE;
    mp[id->nlabels] = 0;
    *v = (uint32_t)id->nlabels++;
    return id->last = *v;
}

void fx__ident_free(fx__ident *id)
{
    for (size_t i = 0; i < id->nlabels; i++)
        free(id->labels[i]);
    free(id->labels);
    free(id->maxpk);
    fx__index_free(id->label_ix);
    memset(id, 0, sizeof *id);
}

/* ---------------------------------------------------------------- index */

int64_t fx__pk_int(const char *s)
{
    if (!s || !*s || strlen(s) > 18)
        return -1;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

int fx__kfile_load(fx__kfile *kf, fx__ident *id, const char *path, fx_diag_fn diag,
                   void *diag_ctx, fx__load_fn fn, void *ctx, fx_error *err)
{
    fx_reader_opts ro = {.diag = diag, .diag_ctx = diag_ctx, .seekable = 1};
    kf->path = path;
    int rc = fx_reader_open(&kf->r, path, &ro, err);
    if (rc < 0)
        return rc;
    if ((rc = fx__index_new(&kf->ix, sizeof(uint32_t))) < 0)
        return fx_error_set(err, rc, path, 0, 0, 0, "out of memory");
    const fx_record *rec;
    uint32_t last_model = FX__NONE;
    while ((rc = fx_reader_next(kf->r, &rec, err)) > 0) {
        if (kf->n == kf->cap) {
            size_t cap = kf->cap ? kf->cap * 2 : 1024;
            fx__kentry *e = cap < FX__NONE ? realloc(kf->e, cap * sizeof *e) : NULL;
            if (!e)
                return fx_error_set(err, FX_ENOMEM, path, 0, 0, 0, "out of memory");
            kf->e = e;
            kf->cap = cap;
        }
        uint32_t i = (uint32_t)kf->n;
        fx__kentry *e = &kf->e[i];
        memset(e, 0, sizeof *e);
        e->offset = rec->offset;
        e->line = (uint32_t)rec->line;
        e->col = (uint32_t)rec->col;
        e->hash = fx_record_hash(rec);
        if ((e->model = fx__ident_model(id, rec->label)) == FX__NONE)
            return fx_error_set(err, FX_ENOMEM, path, 0, 0, 0, "out of memory");
        int bypk;
        if (fx__ident_key(id, rec, &e->key, &bypk, NULL) < 0)
            return fx_error_set(err, FX_ENOMEM, path, 0, 0, 0, "out of memory");
        if (bypk)
            e->flags |= FX__BYPK;
        if (rec->lead && rec->lead_len <= FX__LEAD_MAX)
            e->flags |= (uint32_t)(rec->lead_len + 1) << FX__LEAD_SHIFT;
        kf->n++;
        if (e->model != last_model) {
            size_t k;
            for (k = 0; k < kf->nmorder && kf->morder[k] != e->model; k++)
                ;
            if (k == kf->nmorder) {
                uint32_t *mo = realloc(kf->morder, (k + 1) * sizeof *mo);
                if (!mo)
                    return fx_error_set(err, FX_ENOMEM, path, 0, 0, 0, "out of memory");
                kf->morder = mo;
                mo[kf->nmorder++] = e->model;
            }
            last_model = e->model;
        }
        int64_t pk = rec->has_pk ? fx__pk_int(rec->pk_key) : -1;
        if (pk >= 0)
            e->flags |= FX__INTPK;
        if (pk > id->maxpk[e->model])
            id->maxpk[e->model] = pk;
        if (!fx_models_match(id->models, rec->label)) {
            e->flags |= FX__DEAD;
            continue;
        }
        int existed;
        uint32_t *slot = fx__index_put(kf->ix, e->key, &existed);
        if (!slot)
            return fx_error_set(err, FX_ENOMEM, path, 0, 0, 0, "out of memory");
        if (existed)
            kf->e[*slot].flags |= FX__DEAD;   /* loaddata keeps the last one */
        *slot = i;
        if (fn && (rc = fn(ctx, kf, i, rec)) != 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    kf->layout = fx_reader_layout(kf->r);
    return 0;
}

uint32_t fx__kfile_find(const fx__kfile *kf, uint64_t key)
{
    const uint32_t *v = fx__index_get(kf->ix, key);
    return v ? *v : FX__NONE;
}

/* Reading on through the records in between costs about what a seek costs
** (the reader refills its whole buffer after one) up to this distance. */
#define FORWARD_MAX (1024 * 1024)

/* Seek to entry e, its lead too when it is known. */
static int seek_entry(fx__kfile *kf, const fx__kentry *e, fx_error *err)
{
    uint32_t lead = e->flags >> FX__LEAD_SHIFT;
    if (lead)
        return fx_reader_seek_lead(kf->r, e->offset, lead - 1, e->line, e->col, err);
    return fx_reader_seek(kf->r, e->offset, e->line, e->col, err);
}

int fx__kfile_fetch(fx__kfile *kf, uint32_t i, const fx_record **out, fx_error *err)
{
    const fx__kentry *e = &kf->e[i];
    uint64_t at = fx_reader_offset(kf->r);
    int rc, seeked = 0;
    if (e->offset < at || e->offset - at > FORWARD_MAX) {
        if ((rc = seek_entry(kf, e, err)) < 0)
            return rc;
        seeked = 1;
    }
    for (;;) {
        const fx_record *rec;
        rc = fx_reader_next(kf->r, &rec, err);
        if (rc > 0 && rec->offset == e->offset) {
            *out = rec;
            return 0;
        }
        if (rc > 0 && rec->offset < e->offset)
            continue;
        if (seeked)
            return rc < 0 ? rc : fx_error_set(err, FX_EIO, kf->path, e->line, e->col,
                                              e->offset, "the file changed while it "
                                              "was read: run again");
        if ((rc = seek_entry(kf, e, err)) < 0)
            return rc;
        seeked = 1;
    }
}

void fx__kfile_free(fx__kfile *kf)
{
    fx_reader_free(kf->r);
    fx__index_free(kf->ix);
    free(kf->e);
    free(kf->morder);
    memset(kf, 0, sizeof *kf);
}

/* ---------------------------------------------------------------- compare */

static int plain_list(fx_value v)
{
    if (v.type != FX_ARRAY)
        return 0;
    fx_iter it;
    fx_value e;
    fx_iter_init(&it, v);
    while (fx_iter_next(&it, NULL, &e))
        if (e.type == FX_OBJECT || e.type == FX_TRUE || e.type == FX_FALSE ||
            e.type == FX_NULL)
            return 0;
    return 1;
}

int fx__is_m2m(const fx_schema *s, const char *label, const char *name,
               const fx_value *vals, size_t n)
{
    const fx_model_schema *m = s ? fx_schema_model(s, label) : NULL;
    if (m) {
        const fx_field_schema *f = fx_model_field(m, name);
        return f && f->kind == FX_K_M2M;
    }
    size_t lists = 0;
    for (size_t i = 0; i < n; i++) {
        if (!vals[i].text)
            continue;
        if (!plain_list(vals[i]))
            return 0;
        lists++;
    }
    return lists > 0;
}

int fx__set_has(fx_value l, fx_value v)
{
    fx_iter it;
    fx_value e;
    if (!l.text || l.type != FX_ARRAY)
        return 0;
    fx_iter_init(&it, l);
    while (fx_iter_next(&it, NULL, &e))
        if (fx_value_equal(e, v))
            return 1;
    return 0;
}

static int subset(fx_value a, fx_value b)
{
    fx_iter it;
    fx_value e;
    fx_iter_init(&it, a);
    while (fx_iter_next(&it, NULL, &e))
        if (!fx__set_has(b, e))
            return 0;
    return 1;
}

int fx__set_equal(fx_value a, fx_value b)
{
    if (a.type != FX_ARRAY || b.type != FX_ARRAY)
        return fx_value_equal(a, b);
    return subset(a, b) && subset(b, a);
}

/* Members of a not in b, appended to *out. */
static int minus(fx_value a, fx_value b, const fx_value **out, size_t *n)
{
    fx_iter it;
    fx_value e;
    fx_value *v = NULL;
    size_t k = 0;
    fx_iter_init(&it, a);
    while (fx_iter_next(&it, NULL, &e)) {
        if (b.text && fx__set_has(b, e))
            continue;
        fx_value *nv = realloc(v, (k + 1) * sizeof *nv);
        if (!nv) {
            free(v);
            return FX_ENOMEM;
        }
        v = nv;
        v[k++] = e;
    }
    *out = v;
    *n = k;
    return 0;
}

static int add_change(fx_field_change **c, size_t *n, const char *name, fx_value a,
                      fx_value b, int m2m)
{
    fx_field_change *nc = *c;
    if ((*n & (*n - 1)) == 0) {   /* n is 0 or a power of two: double */
        nc = realloc(*c, (*n ? 2 * *n : 1) * sizeof *nc);
        if (!nc)
            return FX_ENOMEM;
        *c = nc;
    }
    fx_field_change *f = &nc[(*n)++];
    memset(f, 0, sizeof *f);
    f->name = name;
    f->old = a;
    f->new_ = b;
    f->m2m = m2m;
    if (m2m) {
        fx_value none = {FX_NULL, NULL, 0};
        if (minus(b.text ? b : none, a, &f->added, &f->nadded) ||
            minus(a.text ? a : none, b, &f->removed, &f->nremoved))
            return FX_ENOMEM;
    }
    return 0;
}

/* A record's fields sorted by name, then place, so that the last field of
** a name (the one Python keeps) is found by binary search: comparing
** records of many fields (a hostile one has millions) stays n log n. */
static int cmp_field_ptr(const void *p, const void *q)
{
    const fx_field *a = *(const fx_field *const *)p, *b = *(const fx_field *const *)q;
    int c = strcmp(a->name, b->name);
    return c ? c : (a > b) - (a < b);
}

static const fx_field **by_name(const fx_record *r)
{
    const fx_field **v = malloc((r->nfields ? r->nfields : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < r->nfields; i++)
        v[i] = &r->fields[i];
    qsort(v, r->nfields, sizeof *v, cmp_field_ptr);
    return v;
}

static const fx_field *last_named(const fx_field **v, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid]->name, name) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo && strcmp(v[lo - 1]->name, name) == 0 ? v[lo - 1] : NULL;
}

int fx__compare(const fx_schema *s, const fx_record *a, const fx_record *b,
                fx__skip_fn skip, void *skip_ctx, fx_field_change **out)
{
    fx_field_change *c = NULL;
    size_t n = 0;
    const fx_value none = {FX_NULL, NULL, 0};
    const fx_field **ia = by_name(a), **ib = by_name(b);
    if (!ia || !ib) {
        free(ia);
        free(ib);
        return FX_ENOMEM;
    }
    const fx_model_schema *ms = s ? fx_schema_model(s, a->label) : NULL;
    for (int side = 0; side < 2; side++) {
        const fx_record *x = side ? b : a, *y = side ? a : b;
        const fx_field **ix = side ? ib : ia, **iy = side ? ia : ib;
        for (size_t i = 0; i < x->nfields; i++) {
            const fx_field *fx = &x->fields[i];
            if (last_named(ix, x->nfields, fx->name) != fx)
                continue;
            if (skip && skip(skip_ctx, x->label, fx->name))
                continue;
            const fx_field *fy = last_named(iy, y->nfields, fx->name);
            if (side && fy)
                continue;                       /* done from a's side */
            fx_value va = side ? none : fx->value, vb = side ? fx->value : none;
            if (fy)
                vb = fy->value;
            fx_value pair[2] = {va, vb};
            int m2m = fx__is_m2m(s, x->label, fx->name, pair, 2);
            if (fy && (m2m ? fx__set_equal(va, vb) :
                       fx_value_same(ms ? fx_model_field(ms, fx->name) : NULL, s, va, vb)))
                continue;
            if (add_change(&c, &n, fx->name, va, vb, m2m && plain_list(va.text ? va : vb))) {
                fx__changes_free(c, n);
                free(ia);
                free(ib);
                return FX_ENOMEM;
            }
        }
    }
    free(ia);
    free(ib);
    *out = c;
    return (int)n;
}

void fx__changes_free(fx_field_change *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((void *)c[i].added);
        free((void *)c[i].removed);
    }
    free(c);
}

/* ---------------------------------------------------------------- diff */

typedef struct ditem {
    uint32_t rank;           /* of the model */
    uint32_t group;          /* 0: OLD's records, 1: added */
    uint32_t a, b;           /* entries, FX__NONE when absent */
} ditem;

static int cmp_ditem(const void *x, const void *y)
{
    const ditem *p = x, *q = y;
    if (p->rank != q->rank)
        return p->rank < q->rank ? -1 : 1;
    if (p->group != q->group)
        return p->group < q->group ? -1 : 1;
    uint32_t i = p->group ? p->b : p->a, j = q->group ? q->b : q->a;
    return (i > j) - (i < j);
}

typedef struct ignore_ctx {
    const char *const *globs;
    size_t n;
} ignore_ctx;

static int ignored(void *ctx, const char *label, const char *field)
{
    const ignore_ctx *ic = ctx;
    for (size_t i = 0; i < ic->n; i++)
        if (fx_field_match(ic->globs[i], label, field))
            return 1;
    return 0;
}

int fx_diff(const char *old_path, const char *new_path, const fx_diff_opts *opts,
            fx_change_fn fn, void *ctx, fx_error *err)
{
    fx_diff_opts none;
    if (!opts) {
        memset(&none, 0, sizeof none);
        opts = &none;
    }
    fx__ident id = {opts->schema, opts->keys, opts->models, NULL, NULL, 0, NULL, 0};
    fx__kfile A, B;
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    ditem *items = NULL;
    uint32_t *rank = NULL;
    size_t nitems = 0, cap = 0;
    fx_buf key = FX_BUF_INIT;
    ignore_ctx ic = {opts->ignore, opts->nignore};
    int rc, changes = 0;

    if ((rc = fx__kfile_load(&A, &id, old_path, opts->diag, opts->diag_ctx, NULL, NULL,
                             err)) < 0 ||
        (rc = fx__kfile_load(&B, &id, new_path, opts->diag, opts->diag_ctx, NULL, NULL,
                             err)) < 0)
        goto done;
    if (opts->frame) {
        fx_frame f;
        fx_reader_frame(B.r, &f);
        if ((rc = opts->frame(ctx, B.layout, &f)) != 0)
            goto done;
    }
    rc = FX_ENOMEM;
    if (!(rank = malloc((id.nlabels + 1) * sizeof *rank)))
        goto nomem;
    for (size_t i = 0; i < id.nlabels; i++)
        rank[i] = FX__NONE;
    uint32_t r = 0;
    for (size_t i = 0; i < A.nmorder; i++)
        rank[A.morder[i]] = r++;
    for (size_t i = 0; i < B.nmorder; i++)
        if (rank[B.morder[i]] == FX__NONE)
            rank[B.morder[i]] = r++;
    for (int side = 0; side < 2; side++) {
        fx__kfile *X = side ? &B : &A, *Y = side ? &A : &B;
        for (uint32_t i = 0; i < X->n; i++) {
            const fx__kentry *e = &X->e[i];
            if (e->flags & FX__DEAD)
                continue;
            uint32_t j = fx__kfile_find(Y, e->key);
            if (side ? j != FX__NONE : j != FX__NONE && Y->e[j].hash == e->hash)
                continue;
            if (nitems == cap) {
                cap = cap ? cap * 2 : 256;
                ditem *ni = realloc(items, cap * sizeof *ni);
                if (!ni)
                    goto nomem;
                items = ni;
            }
            ditem d = {rank[e->model], (uint32_t)side, side ? j : i, side ? i : j};
            items[nitems++] = d;
        }
    }
    if (nitems)
        qsort(items, nitems, sizeof *items, cmp_ditem);
    for (size_t k = 0; k < nitems; k++) {
        const fx_record *ra = NULL, *rb = NULL;
        fx_change c;
        fx_field_change *fc = NULL;
        int bypk;
        uint64_t h;
        memset(&c, 0, sizeof c);
        if ((items[k].a != FX__NONE && (rc = fx__kfile_fetch(&A, items[k].a, &ra, err)) < 0) ||
            (items[k].b != FX__NONE && (rc = fx__kfile_fetch(&B, items[k].b, &rb, err)) < 0))
            goto done;
        c.op = !ra ? FX_ADDED : !rb ? FX_REMOVED : FX_CHANGED;
        c.old_rec = ra;
        c.new_rec = rb;
        c.label = (ra ? ra : rb)->label;
        if (ra && rb) {
            int n = fx__compare(opts->schema, ra, rb, opts->nignore ? ignored : NULL, &ic, &fc);
            if (n < 0)
                goto nomem;
            if (n == 0) {
                free(fc);
                continue;
            }
            c.fields = fc;
            c.nfields = (size_t)n;
        }
        fx_buf_reset(&key);
        if (fx__ident_key(&id, ra ? ra : rb, &h, &bypk, &key) < 0) {
            fx__changes_free(fc, c.nfields);
            goto nomem;
        }
        c.key = key.data;
        changes++;
        rc = fn ? fn(ctx, &c) : 0;
        fx__changes_free(fc, c.nfields);
        if (rc)
            goto done;
    }
    rc = changes;
    goto done;
nomem:
    rc = fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
done:
    free(items);
    free(rank);
    fx_buf_free(&key);
    fx__kfile_free(&A);
    fx__kfile_free(&B);
    fx__ident_free(&id);
    return rc;
}
