/*
** merge.c: three-way merge of fixtures (fx_merge).
**
** The three files are indexed as in diff.c (keys, hashes, places), then
** every key is decided from its three hashes alone:
**
**   base  ours  theirs
**    b     x     x      ours (same change on both sides, or none)
**    b     b     t      theirs            b  o  b   ours
**    b     o     t      field by field (many-to-many as sets)
**    b     -     b      deleted           b  b  -   deleted
**    b     -     t      delete/modify     b  o  -   modify/delete
**    -     o     -      ours              -  -  t   theirs
**    -     o     t      same pk: renumber one side (id collision);
**                       same natural or --key key: field by field
**
** Id collisions are decided after references are rewritten, until nothing
** changes: a side's new records that refer to a renumbered record get an
** effective hash (their hash once rewritten), which may make them differ
** from the other side's record under the same pk, which renumbers them
** too.  Only then are the records read again, by seeking, to be written
** as ours edited (see decide() for the order, "conflict blocks" for the
** markers): ours's records with their bytes and leads, in ours's frame;
** theirs's changes set in a copy of ours's record, which keeps its bytes
** but the values that change; what only theirs has laid out in ours's
** layout.
*/
#define _GNU_SOURCE             /* memrchr */
#include "merge_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

/* Past this many fields a record THEIRS changed is taken whole. */
#define FX__EDIT_FIELDS_MAX 10000

enum {
    ACT_OURS = 1,       /* ours's record */
    ACT_THEIRS,         /* theirs's record */
    ACT_MERGE,          /* field by field (base may be absent) */
    ACT_DELMOD,         /* deleted on one side, changed on the other */
    ACT_ADDADD,         /* same pk added on both sides, not renumbered */
    ACT_UNIQUE          /* new records of both sides share a unique value */
};

/* An item is written at a place among ours's records: pos, an entry of
** ours (or ours's count: the end), and sub, 0 before that record, 1 the
** record itself, 2 after it; then by model rank, group (0 base's order, 2
** theirs's new records) and ordinal. */
struct mitem {
    uint32_t pos, sub;
    uint32_t rank, group, ord;
    uint32_t e[3];             /* entries in base, ours, theirs */
    uint32_t act;
};

/* Where the records ours does not have go (see decide()). */
typedef struct place {
    uint32_t *rank;            /* model id -> rank in the output's model order */
    uint32_t *first, *last;    /* model id -> ours's first and last live entry */
    uint32_t *before;          /* model id ours lacks -> ours's entry it goes
                                  before (FX__NONE: the end) */
    uint32_t *seen;            /* model id -> ours's entry of the last base
                                  record of the model met that ours has */
    uint32_t end;              /* ours's entry count: the end */
} place;

struct renum {
    uint32_t entry;            /* on the renumbered side */
    int64_t pk;
};

struct uval {
    uint64_t h;                /* model, constraint and values */
    uint32_t entry;
    uint32_t cons;
};

static int nomem(merge *m)
{
    return fx_error_set(m->err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

int fx__merge_nomem(merge *m)
{
    return nomem(m);
}

static const char *side_name(int s)
{
    return s == SO ? "ours" : s == ST ? "theirs" : "base";
}

const char *fx__merge_side(int s)
{
    return side_name(s);
}

const char *fx__merge_side_up(int s)
{
    return s == SO ? "OURS" : s == ST ? "THEIRS" : "BASE";
}

/* Looked up once a model: fx_schema_model() is a linear search, and this
** is asked for every record. */
const fx_model_schema *fx__merge_model(merge *m, uint32_t model)
{
    if (!m->opts->schema || model >= m->id.nlabels)
        return NULL;
    if (model >= m->nmsch) {
        size_t n = m->id.nlabels + 16;
        const fx_model_schema **ms = realloc(m->msch, n * sizeof *ms);
        if (ms)
            m->msch = ms;
        unsigned char *lk = ms ? realloc(m->mlooked, n) : NULL;
        if (!lk)        /* out of memory: answer without the cache */
            return fx_schema_model(m->opts->schema, m->id.labels[model]);
        memset(lk + m->nmsch, 0, n - m->nmsch);
        m->mlooked = lk;
        m->nmsch = n;
    }
    if (!m->mlooked[model]) {
        m->msch[model] = fx_schema_model(m->opts->schema, m->id.labels[model]);
        m->mlooked[model] = 1;
    }
    return m->msch[model];
}

/* ---------------------------------------------------------------- loading */

/* The identity hash of the record v refers to, in model `to`. */
static int ref_key(merge *m, const fx_model_schema *to, fx_value v, uint64_t *out)
{
    if (!to || (v.type != FX_NUMBER && v.type != FX_STRING))
        return 0;
    fx_buf_reset(&m->tmp);
    if (v.type == FX_NUMBER ? fx_buf_add(&m->tmp, v.text, v.len) : fx_value_str(&m->tmp, v))
        return FX_ENOMEM;
    *out = fx__key_hash(to->label, m->tmp.data ? m->tmp.data : "", m->tmp.len);
    return 1;
}

int fx__merge_ref_key(merge *m, const fx_model_schema *to, fx_value v, uint64_t *out)
{
    return ref_key(m, to, v, out);
}

static int flag_new_ref(void *ctx, const fx_record *rec, const fx_model_schema *mm,
                        const fx_field_schema *f, const fx_model_schema *to, fx_value v)
{
    merge *m = ctx;
    uint64_t k;
    int rc = ref_key(m, to, v, &k);
    (void)rec; (void)mm; (void)f;
    if (rc < 0)
        return rc;
    return rc && fx__kfile_find(&m->kf[SB], k) == FX__NONE;   /* 1 stops the walk */
}

/* Remember the unique values of a record base does not have. */
static int add_uvals(merge *m, int side, uint32_t i, const fx_record *rec)
{
    const fx_model_schema *ms = fx_schema_model(m->opts->schema, rec->label);
    if (!ms)
        return 0;
    size_t ncons = ms->nfields + ms->nunique_together;
    for (size_t c = 0; c < ncons; c++) {
        char *one[1];
        char *const *names = one;
        size_t n = 1;
        if (c < ms->nfields) {
            if (!ms->fields[c].unique)
                continue;
            one[0] = ms->fields[c].name;
        } else {
            names = ms->unique_together[c - ms->nfields].names;
            n = ms->unique_together[c - ms->nfields].n;
        }
        fx_buf_reset(&m->tmp);
        int ok = fx_buf_adds(&m->tmp, rec->label) == 0 && fx_buf_printf(&m->tmp, "/%zu", c) == 0;
        for (size_t k = 0; k < n && ok; k++) {
            const fx_field *f = fx_record_field(rec, names[k]);
            ok = f && f->value.type != FX_NULL && fx_buf_addc(&m->tmp, '\x1f') == 0 &&
                 fx_value_canon(&m->tmp, f->value) == 0;
        }
        if (!ok)
            continue;                /* absent or NULL: never a clash */
        uval *nv = realloc(m->uv[side], (m->nuv[side] + 1) * sizeof *nv);
        if (!nv)
            return FX_ENOMEM;
        m->uv[side] = nv;
        nv[m->nuv[side]++] = (uval){XXH3_64bits(m->tmp.data, m->tmp.len), i, (uint32_t)c};
    }
    return 0;
}

/* What the guards and the deletes need of every record: its integer pk
** (base), the largest pk a file has of each model, the records a side added
** above base's largest pk, and the natural keys (when the model has one). */
static int remember(merge *m, int side, uint32_t i, const fx_record *rec)
{
    uint32_t model = m->kf[side].e[i].model;
    int64_t pk = rec->has_pk ? fx__pk_int(rec->pk_key) : -1;
    if (model >= m->nmaxpk) {
        size_t n = m->id.nlabels + 16;
        for (int s = 0; s < 3; s++) {
            int64_t *v = realloc(m->maxpk[s], n * sizeof *v);
            if (!v)
                return FX_ENOMEM;
            for (size_t k = m->nmaxpk; k < n; k++)
                v[k] = -1;
            m->maxpk[s] = v;
        }
        m->nmaxpk = n;
    }
    if (side == SB) {
        if (i >= m->nbpk) {
            size_t n = m->nbpk ? m->nbpk * 2 : 1024;
            int64_t *v = realloc(m->bpk, n * sizeof *v);
            if (!v)
                return FX_ENOMEM;
            m->bpk = v;
            m->nbpk = n;
        }
        m->bpk[i] = pk;
    } else if (pk > m->maxpk[SB][model] &&
               fx__kfile_find(&m->kf[SB], m->kf[side].e[i].key) == FX__NONE) {
        m->newer[side]++;
    }
    if (pk > m->maxpk[side][model])
        m->maxpk[side][model] = pk;
    const fx_model_schema *ms = fx__merge_model(m, model);
    if (!ms || !ms->natural_key.n)
        return 0;
    fx_value vals[16];
    size_t n = 0;
    if (ms->natural_key.n > 16)
        return 0;
    for (; n < ms->natural_key.n; n++) {
        const fx_field *f = fx_record_field(rec, ms->natural_key.names[n]);
        if (!f)
            return 0;
        vals[n] = f->value;
    }
    if (!m->nat[side] && fx__index_new(&m->nat[side], sizeof(uint32_t)))
        return FX_ENOMEM;
    int existed;
    uint32_t *slot = fx__index_put(m->nat[side], fx__natural_hash(&m->tmp, ms->label, vals, n),
                                   &existed);
    if (!slot)
        return FX_ENOMEM;
    *slot = i;
    return 0;
}

static int on_record(void *ctx, fx__kfile *kf, uint32_t i, const fx_record *rec)
{
    merge *m = ctx;
    int side = kf == &m->kf[SO] ? SO : kf == &m->kf[ST] ? ST : SB;
    if (remember(m, side, i, rec) < 0)
        return nomem(m);
    if (side == SB || !m->opts->schema)
        return 0;
    /* A record as base has it refers to nothing new. */
    uint32_t b = fx__kfile_find(&m->kf[SB], kf->e[i].key);
    if (b != FX__NONE && m->kf[SB].e[b].hash == kf->e[i].hash)
        return 0;
    int rc = fx_record_refs(rec, m->opts->schema, flag_new_ref, m);
    if (rc < 0)
        return nomem(m);
    if (rc)
        kf->e[i].flags |= FX__REFS_NEW;
    if (b == FX__NONE && add_uvals(m, side, i, rec))
        return nomem(m);
    return 0;
}

/* Every record of the three files: references by pk to content types and
** permissions, then on_record(). */
static int on_any(void *ctx, fx__kfile *kf, uint32_t i, const fx_record *rec)
{
    merge *m = ctx;
    if (fx__ctrefs_add(m->ct, rec) < 0)
        return nomem(m);
    return on_record(ctx, kf, i, rec);
}

/* ---------------------------------------------------------------- rewriting */

static uint32_t renumbered(const merge *m, uint64_t key)
{
    const uint32_t *v = m->rix ? fx__index_get(m->rix, key) : NULL;
    return v ? *v : FX__NONE;
}

typedef struct rwctx {
    merge *m;
    const char *names[64];
    size_t n;
} rwctx;

static int collect(void *ctx, const fx_record *rec, const fx_model_schema *mm,
                   const fx_field_schema *f, const fx_model_schema *to, fx_value v)
{
    rwctx *c = ctx;
    uint64_t k;
    int rc = ref_key(c->m, to, v, &k);
    (void)rec; (void)mm;
    if (rc <= 0 || renumbered(c->m, k) == FX__NONE)
        return rc < 0 ? rc : 0;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->names[i], f->name) == 0)
            return 0;
    if (c->n < 64)
        c->names[c->n++] = f->name;
    return 0;
}

/* Append v, or the new pk of the record it names, to b. */
static int add_mapped(merge *m, fx_buf *b, const fx_model_schema *to, fx_value v)
{
    uint64_t k;
    int rc = ref_key(m, to, v, &k);
    if (rc < 0)
        return rc;
    uint32_t r = rc ? renumbered(m, k) : FX__NONE;
    if (r != FX__NONE)
        return fx_buf_printf(b, "%" PRId64, m->ren[r].pk);
    return fx_buf_add(b, v.text, v.len);
}

/* rec as it reads once the renumbering is applied: its own pk when it was
** renumbered and every reference to a renumbered record.  *out is NULL when
** nothing changes, else a copy the caller frees. */
static int rewrite(merge *m, const fx_record *rec, uint32_t ren, fx_record **out)
{
    rwctx c;
    fx_buf v = FX_BUF_INIT;
    c.m = m;
    c.n = 0;
    *out = NULL;
    if (m->nren && fx_record_refs(rec, m->opts->schema, collect, &c) < 0)
        return FX_ENOMEM;
    if (c.n == 0 && ren == FX__NONE)
        return 0;
    if (fx_record_copy(out, rec) < 0)
        return FX_ENOMEM;
    int rc = 0;
    if (ren != FX__NONE) {
        fx_buf_printf(&v, "%" PRId64, m->ren[ren].pk);
        rc = fx_record_set(*out, 1, "pk", v.data, v.len);
    }
    const fx_model_schema *ms = fx_schema_model(m->opts->schema, rec->label);
    for (size_t i = 0; i < c.n && rc == 0; i++) {
        const fx_field_schema *fs = fx_model_field(ms, c.names[i]);
        const fx_model_schema *to = fx_schema_model(m->opts->schema, fs->to);
        fx_value val = fx_record_field(*out, c.names[i])->value;
        fx_buf_reset(&v);
        if (fs->kind == FX_K_M2M) {
            fx_iter it;
            fx_value e;
            int first = 1;
            rc = fx_buf_addc(&v, '[');
            fx_iter_init(&it, val);
            while (rc == 0 && fx_iter_next(&it, NULL, &e)) {
                rc = (!first && fx_buf_adds(&v, ", ")) || add_mapped(m, &v, to, e);
                first = 0;
            }
            rc = rc || fx_buf_addc(&v, ']');
        } else {
            rc = add_mapped(m, &v, to, val);
        }
        rc = rc ? FX_ENOMEM : fx_record_set(*out, 0, c.names[i], v.data, v.len);
    }
    fx_buf_free(&v);
    if (rc) {
        fx_record_free(*out);
        *out = NULL;
        return FX_ENOMEM;
    }
    return 0;
}

/* Read entry i of side s as it is to be written: on the side renumbered,
** with its pk and its references to renumbered records rewritten; with
** what a delete decided applied (merge_del.c).  *own is set when the record
** is a changed copy (to be freed), and *rec points at it then.  With report
** set, the consequences of deletes applied are reported. */
static int get_as(merge *m, int s, uint32_t i, const fx_record **rec, fx_record **own,
                  int report)
{
    *own = NULL;
    int rc = fx__kfile_fetch(&m->kf[s], i, rec, m->err);
    if (rc < 0)
        return rc;
    const fx__kentry *e = &m->kf[s].e[i];
    if (s == m->rs && m->nren) {
        uint32_t ren = (e->flags & FX__BYPK) ? renumbered(m, e->key) : FX__NONE;
        /* A key renumbered on this side belongs to its added record only. */
        if (ren != FX__NONE && m->ren[ren].entry != i)
            ren = FX__NONE;
        if ((ren != FX__NONE || (e->flags & FX__REFS_NEW)) && rewrite(m, *rec, ren, own) < 0)
            return nomem(m);
        if (*own)
            *rec = *own;
    }
    return m->del && s != SB ? fx__mdel_apply(m, s, i, rec, own, report) : 0;
}

static int get(merge *m, int s, uint32_t i, const fx_record **rec, fx_record **own)
{
    return get_as(m, s, i, rec, own, 1);
}

int fx__merge_get(merge *m, int s, uint32_t i, const fx_record **rec, fx_record **own)
{
    return get_as(m, s, i, rec, own, 0);
}

/* ---------------------------------------------------------------- renumbering */

static int renumber(merge *m)
{
    fx__kfile *R = &m->kf[m->rs], *O = &m->kf[m->rs == SO ? ST : SO];
    uint32_t *cand = NULL;
    size_t ncand = 0;
    int rc = 0;
    for (uint32_t i = 0; i < R->n; i++) {
        const fx__kentry *e = &R->e[i];
        if ((e->flags & (FX__DEAD | FX__BYPK | FX__INTPK)) != (FX__BYPK | FX__INTPK) ||
            !fx_schema_model(m->opts->schema, m->id.labels[e->model]) ||
            fx__kfile_find(&m->kf[SB], e->key) != FX__NONE)
            continue;
        uint32_t j = fx__kfile_find(O, e->key);
        if (j == FX__NONE || !(O->e[j].flags & FX__BYPK))
            continue;
        uint32_t *nc = realloc(cand, (ncand + 1) * sizeof *nc);
        if (!nc)
            goto oom;
        cand = nc;
        cand[ncand++] = i;
    }
    if (!ncand)
        goto done;
    if (fx__index_new(&m->rix, sizeof(uint32_t)))
        goto oom;
    for (;;) {
        int changed = 0;
        for (size_t k = 0; k < ncand; k++) {
            fx__kentry *e = &R->e[cand[k]];
            if (renumbered(m, e->key) != FX__NONE ||
                e->hash == O->e[fx__kfile_find(O, e->key)].hash)
                continue;
            renum *nr = realloc(m->ren, (m->nren + 1) * sizeof *nr);
            if (!nr)
                goto oom;
            m->ren = nr;
            nr[m->nren] = (renum){cand[k], ++m->id.maxpk[e->model]};
            int existed;
            uint32_t *slot = fx__index_put(m->rix, e->key, &existed);
            if (!slot)
                goto oom;
            *slot = (uint32_t)m->nren++;
            changed = 1;
        }
        if (!changed)
            break;
        /* The new renumberings change what refers to them: hash again. */
        for (uint32_t i = 0; i < R->n; i++) {
            fx__kentry *e = &R->e[i];
            if ((e->flags & (FX__DEAD | FX__REFS_NEW)) != FX__REFS_NEW)
                continue;
            const fx_record *rec;
            fx_record *own;
            if ((rc = fx__kfile_fetch(R, i, &rec, m->err)) < 0)
                goto done;
            if (rewrite(m, rec, FX__NONE, &own) < 0)
                goto oom;
            e->hash = fx_record_hash(own ? own : rec);
            fx_record_free(own);
        }
    }
    goto done;
oom:
    rc = nomem(m);
done:
    free(cand);
    return rc;
}

/* Pair the new records of ours and theirs that share a unique value. */
static int unique_clashes(merge *m)
{
    fx__index *ix;
    if (!m->nuv[SO] || !m->nuv[ST])
        return 0;
    if (fx__index_new(&ix, sizeof(uint32_t)) || fx__index_new(&m->pairs, sizeof(uint32_t)))
        return nomem(m);
    for (size_t k = 0; k < m->nuv[SO]; k++) {
        int existed;
        uint32_t *v = fx__index_put(ix, m->uv[SO][k].h, &existed);
        if (!v) {
            fx__index_free(ix);
            return nomem(m);
        }
        if (!existed)
            *v = m->uv[SO][k].entry;
    }
    for (size_t k = 0; k < m->nuv[ST]; k++) {
        const uint32_t *v = fx__index_get(ix, m->uv[ST][k].h);
        uint32_t t = m->uv[ST][k].entry;
        fx__kentry *et = &m->kf[ST].e[t];
        if (!v || (et->flags & (FX__SKIP | FX__DEAD)) || (m->kf[SO].e[*v].flags & FX__DEAD))
            continue;
        fx__kentry *eo = &m->kf[SO].e[*v];
        if (eo->key == et->key && renumbered(m, et->key) == FX__NONE)
            continue;                       /* one record: decided by its key */
        int existed;
        uint32_t *p = fx__index_put(m->pairs, *v, &existed);
        if (!p) {
            fx__index_free(ix);
            return nomem(m);
        }
        if (existed)
            continue;
        *p = t;
        et->flags |= FX__SKIP;
    }
    fx__index_free(ix);
    return 0;
}

/* ---------------------------------------------------------------- deciding */

static void event(merge *m, fx_merge_event_kind kind, const char *label, const char *key,
                  const char *what, const char *const *fields, size_t nfields,
                  const char *new_key, const char *hint);
static const char *key_of(merge *m, const fx_record *rec, fx_buf *b);

static int add_item(merge *m, uint32_t pos, uint32_t sub, uint32_t rank, uint32_t group,
                    uint32_t ord, uint32_t b, uint32_t o, uint32_t t, uint32_t act)
{
    if (m->nitems == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        mitem *ni = realloc(m->items, cap * sizeof *ni);
        if (!ni)
            return nomem(m);
        m->items = ni;
        m->cap = cap;
    }
    m->items[m->nitems++] = (mitem){pos, sub, rank, group, ord, {b, o, t}, act};
    return 0;
}

static int cmp_item(const void *x, const void *y)
{
    const mitem *p = x, *q = y;
    if (p->pos != q->pos)
        return p->pos < q->pos ? -1 : 1;
    if (p->sub != q->sub)
        return p->sub < q->sub ? -1 : 1;
    if (p->rank != q->rank)
        return p->rank < q->rank ? -1 : 1;
    if (p->group != q->group)
        return p->group < q->group ? -1 : 1;
    return (p->ord > q->ord) - (p->ord < q->ord);
}

/* Where model M of side X (its k-th model) goes in list[0..nl), the order
** so far: with a schema that knows it, before the first model the schema
** puts after it; else after the model X has before it, or before the one X
** has after it; else at the end.  in[] tells the models in the list. */
static size_t model_slot(merge *m, const uint32_t *list, size_t nl, const unsigned char *in,
                         const fx__kfile *X, size_t k)
{
    const fx_model_schema *ms = fx__merge_model(m, X->morder[k]);
    if (ms) {
        int known = 0;
        for (size_t j = 0; j < nl; j++) {
            const fx_model_schema *q = fx__merge_model(m, list[j]);
            if (q && q > ms)         /* models[] is in the schema's order */
                return j;
            known |= q != NULL;
        }
        if (known)
            return nl;
    }
    for (size_t kk = k; kk-- > 0;)
        if (in[X->morder[kk]])
            for (size_t j = 0; j < nl; j++)
                if (list[j] == X->morder[kk])
                    return j + 1;
    for (size_t kk = k + 1; kk < X->nmorder; kk++)
        if (in[X->morder[kk]])
            for (size_t j = 0; j < nl; j++)
                if (list[j] == X->morder[kk])
                    return j;
    return nl;
}

static void place_free(place *pl)
{
    free(pl->rank);
    free(pl->first);
    free(pl->last);
    free(pl->before);
    free(pl->seen);
}

/* The model order: ours's, with the models ours lacks put in by
** model_slot() (theirs's, then base's, which no record is written of);
** and where each model's records are in ours. */
static int make_place(merge *m, place *pl)
{
    size_t n = m->id.nlabels + 1, nl = 0;
    const fx__kfile *O = &m->kf[SO];
    uint32_t *list = malloc(n * sizeof *list);
    unsigned char *in = calloc(n, 1);
    uint32_t **arrays[5] = {&pl->rank, &pl->first, &pl->last, &pl->before, &pl->seen};
    int bad = !list || !in;
    for (int a = 0; a < 5; a++) {
        *arrays[a] = malloc(n * sizeof **arrays[a]);
        bad |= !*arrays[a];
        for (size_t i = 0; *arrays[a] && i < n; i++)
            (*arrays[a])[i] = FX__NONE;
    }
    if (bad) {
        free(list);
        free(in);
        return nomem(m);
    }
    pl->end = (uint32_t)O->n;
    for (uint32_t i = 0; i < O->n; i++) {
        uint32_t model = O->e[i].model;
        if (O->e[i].flags & FX__DEAD)
            continue;
        if (pl->first[model] == FX__NONE)
            pl->first[model] = i;
        pl->last[model] = i;
    }
    for (size_t k = 0; k < O->nmorder; k++) {
        list[nl++] = O->morder[k];
        in[O->morder[k]] = 1;
    }
    for (int s = ST; s >= SB; s -= ST - SB) {
        const fx__kfile *X = &m->kf[s];
        for (size_t k = 0; k < X->nmorder; k++) {
            uint32_t model = X->morder[k];
            if (in[model])
                continue;
            size_t at = model_slot(m, list, nl, in, X, k);
            memmove(list + at + 1, list + at, (nl - at) * sizeof *list);
            list[at] = model;
            in[model] = 1;
            nl++;
        }
    }
    uint32_t next = FX__NONE;
    for (size_t k = nl; k-- > 0;) {
        pl->rank[list[k]] = (uint32_t)k;
        if (pl->first[list[k]] != FX__NONE)
            next = pl->first[list[k]];
        else
            pl->before[list[k]] = next;
    }
    free(list);
    free(in);
    return 0;
}

/* The place of a record of model `model` that ours does not have: after
** the record of ours given (FX__NONE: none), else before ours's first
** record of the model, else where the model goes. */
static void place_of(const place *pl, uint32_t model, uint32_t after, uint32_t *pos,
                     uint32_t *sub)
{
    if (after != FX__NONE) {
        *pos = after, *sub = 2;
    } else if (pl->first[model] != FX__NONE) {
        *pos = pl->first[model], *sub = 0;
    } else {
        *pos = pl->before[model] != FX__NONE ? pl->before[model] : pl->end, *sub = 0;
    }
}

/* Records are written in ours's order: what ours has where ours has it;
** a record ours deleted and the merge keeps after the record of ours that
** comes before it in base; theirs's new records after ours's last record of
** their model; a model ours lacks where the model order puts it. */
static int decide(merge *m, place *pl)
{
    uint32_t *rank = pl->rank;
    fx__kfile *B = &m->kf[SB], *O = &m->kf[SO], *T = &m->kf[ST];
    fx_strategy strat = m->opts->strategy;
    int rc;
    for (uint32_t i = 0; i < B->n; i++) {
        const fx__kentry *e = &B->e[i];
        if (e->flags & FX__DEAD)
            continue;
        uint32_t o = fx__kfile_find(O, e->key), t = fx__kfile_find(T, e->key);
        uint32_t r = rank[e->model], act = 0, pos = o, sub = 1;
        uint64_t hb = e->hash;
        if (o != FX__NONE)
            pl->seen[e->model] = o;
        else
            place_of(pl, e->model, pl->seen[e->model], &pos, &sub);
        if (o != FX__NONE && t != FX__NONE) {
            uint64_t ho = O->e[o].hash, ht = T->e[t].hash;
            act = ho == ht || ht == hb ? ACT_OURS : ho == hb ? ACT_THEIRS : ACT_MERGE;
            /* Matched by --key: the pks may differ; ours's is kept. */
            if (act == ACT_THEIRS && m->opts->keys && !(e->flags & FX__BYPK) &&
                (O->e[o].flags & FX__INTPK))
                act = ACT_MERGE;
            /* A reference a delete set to null, the delete a conflict. */
            if (ho != ht && m->del && fx__mdel_forced_any(m, i))
                act = ACT_MERGE;
            /* The same once a delete's consequences are applied to ours:
            ** theirs's record keeps its bytes. */
            if (act == ACT_OURS && ho == ht && fx__mdel_fixed(m, SO, o) &&
                !fx__mdel_fixed(m, ST, t)) {
                const fx_record *rec;
                fx_record *own;
                act = ACT_THEIRS;
                if ((rc = get(m, SO, o, &rec, &own)) < 0)    /* reported all the same */
                    return rc;
                fx_record_free(own);
            }
        } else if (o != FX__NONE || t != FX__NONE) {
            int s = o != FX__NONE ? SO : ST;
            uint32_t x = s == SO ? o : t;
            int fate = m->del ? fx__mdel_fate(m, i) : FX__FATE_NONE;
            if (fate != FX__FATE_NONE) {
                /* Decided with what the delete took with it. */
                if (fate == FX__FATE_KEEP)
                    act = s == SO ? ACT_OURS : ACT_THEIRS;
                else if (fate == FX__FATE_CONFLICT)
                    act = ACT_DELMOD;
                else
                    m->st.deleted++;
                if ((rc = fx__mdel_decided(m, i)) < 0)
                    return rc;
            } else if (m->kf[s].e[x].hash == hb) {
                m->st.deleted++;              /* unchanged here, deleted there */
            } else if (!strat) {
                act = ACT_DELMOD;
            } else {
                const fx_record *rec;
                m->st.resolved++;
                if ((strat == FX_STRATEGY_OURS) == (s == SO))
                    act = s == SO ? ACT_OURS : ACT_THEIRS;
                else
                    m->st.deleted++;
                if ((rc = fx__kfile_fetch(B, i, &rec, m->err)) < 0)
                    return rc;
                event(m, FX_MERGE_RESOLVED, rec->label, key_of(m, rec, &m->key),
                      s == SO ? "modify/delete" : "delete/modify", NULL, 0, NULL, NULL);
            }
        } else {
            m->st.deleted++;
        }
        if (act && (rc = add_item(m, pos, sub, r, 0, i, i, o, t, act)) < 0)
            return rc;
    }
    for (int s = SO; s <= ST; s++) {
        fx__kfile *X = &m->kf[s], *Y = &m->kf[s == SO ? ST : SO];
        for (uint32_t i = 0; i < X->n; i++) {
            const fx__kentry *e = &X->e[i];
            if ((e->flags & FX__DEAD) || fx__kfile_find(B, e->key) != FX__NONE)
                continue;
            if (s == ST && (e->flags & FX__SKIP))
                continue;
            if (m->del && fx__mdel_killed(m, s, i)) {    /* deleted with its record */
                if ((rc = fx__mdel_report_killed(m, s, i)) < 0)
                    return rc;
                continue;
            }
            uint32_t j = fx__kfile_find(Y, e->key), act = s == SO ? ACT_OURS : ACT_THEIRS;
            uint32_t o = s == SO ? i : j, t = s == SO ? j : i;
            if (j != FX__NONE && renumbered(m, e->key) == FX__NONE) {
                if (s == ST)
                    continue;                   /* decided from ours's side */
                if (e->hash == Y->e[j].hash)
                    act = ACT_OURS;
                else if ((e->flags & FX__BYPK) && (Y->e[j].flags & FX__BYPK))
                    act = ACT_ADDADD;
                else
                    act = ACT_MERGE;
            } else if (j != FX__NONE) {
                o = s == SO ? i : FX__NONE;     /* renumbered: two records */
                t = s == SO ? FX__NONE : i;
            }
            if (s == SO && m->pairs && fx__index_get(m->pairs, i))
                act = ACT_UNIQUE;
            uint32_t pos = i, sub = 1;
            if (s == ST)
                place_of(pl, e->model, pl->last[e->model], &pos, &sub);
            if ((rc = add_item(m, pos, sub, rank[e->model], (uint32_t)s, i, FX__NONE, o, t,
                               act)) < 0)
                return rc;
        }
    }
    if (m->nitems)
        qsort(m->items, m->nitems, sizeof *m->items, cmp_item);
    return 0;
}

/* ---------------------------------------------------------------- writing */

static void event(merge *m, fx_merge_event_kind kind, const char *label, const char *key,
                  const char *what, const char *const *fields, size_t nfields,
                  const char *new_key, const char *hint)
{
    if (!m->opts->event)
        return;
    fx_merge_event ev = {kind,    label, key,  what, fields, nfields, new_key,
                         hint,    NULL,  NULL, 0,    NULL,   NULL,    NULL, NULL};
    m->opts->event(m->opts->event_ctx, &ev);
}

void fx__merge_event(merge *m, const fx_merge_event *ev)
{
    if (m->opts->event)
        m->opts->event(m->opts->event_ctx, ev);
}

static const char *key_of(merge *m, const fx_record *rec, fx_buf *b)
{
    uint64_t k;
    int bypk;
    fx_buf_reset(b);
    if (fx__ident_key(&m->id, rec, &k, &bypk, b) < 0 || !b->data)
        return "";
    return b->data;
}

const char *fx__merge_key_of(merge *m, const fx_record *rec, fx_buf *b)
{
    return key_of(m, rec, b);
}

/* ---------------------------------------------------------------- conflict blocks
**
** A conflict is written between git-style markers in the file's own style
** (fxmerge(1) gives the format, which fxresolve reads):
**
**   <<<<<<< ours KIND MODEL KEY [FIELD...]
**   ...ours's section...
**   ||||||| base
**   ...base's section...
**   =======
**   ...theirs's section...
**   >>>>>>> theirs
**
** A field conflict in a json file is marked at the field: the record is
** written once and the lines of each conflicting field make a block of
** their own.  Other conflicts, and field conflicts in a jsonl file (one
** record a line), hold whole records.  A section is empty when its side
** lacks the record or the field.  Separators are placed so that keeping
** one section of each block, deleting the others and the marker lines,
** leaves valid JSON: a section carries the comma after its record (field)
** when a record (field) that every resolution keeps comes later, else the
** comma before it, on the line of its record (field), and the last record
** (field) every resolution keeps gives up its own.
**
** Conflicts are reported once their block is written, with its line: they
** are noted (pconf, pfield, their strings in m->pa) while the text of a
** unit (a record, or a block of records) is made in m->ubuf, and given to
** the event callback after the writer took it.  The last record every
** resolution keeps is not written while blocks follow it: they are added
** to it in m->dbuf (m->defer), written at the end.
*/

enum { SEP_NONE = 0, SEP_AFTER, SEP_BEFORE };
enum { DEFER_NONE = 0, DEFER_FIRST, DEFER_MORE };

struct pfield {
    size_t name, nlen;             /* in m->pa */
    size_t val[3], len[3];         /* base, ours, theirs; val SIZE_MAX: absent */
    fx_type type[3];
    size_t at;                     /* its block's marker in the unit's text */
};

struct pconf {
    size_t what, label, key, hint; /* in m->pa, NUL-terminated; hint SIZE_MAX: none */
    size_t f0, nf;                 /* its fields: m->pf[f0..f0+nf) */
    size_t at;                     /* its (first) block's marker in the unit's text */
};

/* A conflicting field of the record being written. */
typedef struct cfield {
    const char *name;
    size_t nlen;
    fx_value v[3];                 /* base, ours, theirs (text NULL: absent) */
    int forced;                    /* a reference a delete set to null */
    size_t ri;                     /* its index in the record, SIZE_MAX: absent */
    size_t at;                     /* its block's marker in the unit's text */
} cfield;

static size_t pa_add(merge *m, const char *s, size_t n)
{
    size_t at = m->pa.len;
    if ((n && fx_buf_add(&m->pa, s, n)) || fx_buf_addc(&m->pa, '\0'))
        return SIZE_MAX;
    return at;
}

/* Note a conflict whose block starts at `at` in the unit: *out its index. */
static int note_conflict(merge *m, const char *what, const char *label, const char *key,
                         const char *hint, size_t at, size_t *out)
{
    if (m->npc == m->cpc) {
        size_t c = m->cpc ? m->cpc * 2 : 16;
        pconf *n = realloc(m->pc, c * sizeof *n);
        if (!n)
            return nomem(m);
        m->pc = n;
        m->cpc = c;
    }
    pconf *p = &m->pc[m->npc];
    p->what = pa_add(m, what, strlen(what));
    p->label = pa_add(m, label, strlen(label));
    p->key = pa_add(m, key, strlen(key));
    p->hint = hint ? pa_add(m, hint, strlen(hint)) : 0;
    if (p->what == SIZE_MAX || p->label == SIZE_MAX || p->key == SIZE_MAX ||
        p->hint == SIZE_MAX)
        return nomem(m);
    if (!hint)
        p->hint = SIZE_MAX;
    p->f0 = m->npf;
    p->nf = 0;
    p->at = at;
    *out = m->npc++;
    m->st.conflicts++;
    return 0;
}

/* Note conflicting field c of conflict k (noted last). */
static int note_field(merge *m, size_t k, const cfield *c)
{
    if (m->npf == m->cpf) {
        size_t n = m->cpf ? m->cpf * 2 : 16;
        pfield *f = realloc(m->pf, n * sizeof *f);
        if (!f)
            return nomem(m);
        m->pf = f;
        m->cpf = n;
    }
    pfield *f = &m->pf[m->npf];
    f->name = pa_add(m, c->name, c->nlen);
    f->nlen = c->nlen;
    f->at = c->at;
    int bad = f->name == SIZE_MAX;
    for (int s = 0; s < 3; s++) {
        f->val[s] = c->v[s].text ? pa_add(m, c->v[s].text, c->v[s].len) : SIZE_MAX;
        bad |= c->v[s].text && f->val[s] == SIZE_MAX;
        f->len[s] = c->v[s].len;
        f->type[s] = c->v[s].type;
    }
    if (bad)
        return nomem(m);
    m->npf++;
    m->pc[k].nf++;
    return 0;
}

/* Line ends in p[0..n). */
static uint64_t count_nl(const char *p, size_t n)
{
    uint64_t k = 0;
    for (const char *e = p + n; p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        k++;
    return k;
}

/* Report the conflicts noted in text[0..len), just written: the writer's
** output ends with it. */
static int emit_conflicts(merge *m, const char *text, size_t len)
{
    uint64_t lines = fx_writer_lines(m->w);
    int rc = 0;
    for (size_t k = 0; k < m->npc && m->opts->event; k++) {
        const pconf *c = &m->pc[k];
        const char *pa = m->pa.data;
        size_t nf = c->nf;
        const char **names = malloc((nf + 1) * sizeof *names);
        fx_value *vals = malloc((3 * nf + 1) * sizeof *vals);
        unsigned long *fl = malloc((nf + 1) * sizeof *fl);
        if (!names || !vals || !fl) {
            free(names);
            free(vals);
            free(fl);
            rc = nomem(m);
            break;
        }
        for (size_t i = 0; i < nf; i++) {
            const pfield *f = &m->pf[c->f0 + i];
            names[i] = pa + f->name;
            for (int s = 0; s < 3; s++)
                vals[s * nf + i] = f->val[s] == SIZE_MAX
                                       ? (fx_value){FX_NULL, NULL, 0}
                                       : (fx_value){f->type[s], pa + f->val[s], f->len[s]};
            fl[i] = (unsigned long)(lines + 1 - count_nl(text + f->at, len - f->at));
        }
        fx_merge_event ev = {FX_MERGE_CONFLICT, pa + c->label, pa + c->key, pa + c->what,
                             names, nf, NULL, c->hint == SIZE_MAX ? NULL : pa + c->hint,
                             NULL, NULL,
                             (unsigned long)(lines + 1 - count_nl(text + c->at, len - c->at)),
                             vals, vals + nf, vals + 2 * nf, fl};
        m->opts->event(m->opts->event_ctx, &ev);
        free(names);
        free(vals);
        free(fl);
    }
    m->npc = m->npf = m->pc_base = 0;
    fx_buf_reset(&m->pa);
    return rc;
}

/* Write the unit made in m->ubuf: a record's text, written with the lead
** of `like` (the record it was made from), or a block (like NULL); or keep
** it for later (m->defer).  Then report its conflicts. */
static int put_unit(merge *m, const fx_record *like)
{
    fx_buf *u = &m->ubuf;
    int rc;
    if (m->defer == DEFER_NONE) {
        if (like) {
            fx_record r = *like;
            r.text = u->data ? u->data : "";
            r.len = u->len;
            r.changed = 0;
            if (!fx__layout_same(&like->layout, &m->wl))
                r.lead = NULL, r.lead_len = 0;       /* another file's separator */
            r.layout = m->wl;
            rc = fx_writer_write(m->w, &r, m->err);
        } else {
            rc = fx_writer_write_text(m->w, u->data, u->len, m->err);
        }
        return rc < 0 ? rc : emit_conflicts(m, u->data, u->len);
    }
    fx_buf *d = &m->dbuf;
    if (m->defer == DEFER_FIRST) {
        m->defer = DEFER_MORE;
        m->dlike = like != NULL;
        m->dlead = 0;
        fx_buf_reset(&m->dleadb);
        if (like && like->lead && fx__layout_same(&like->layout, &m->wl)) {
            if (fx_buf_add(&m->dleadb, like->lead, like->lead_len) ||
                fx_buf_addc(&m->dleadb, '\0'))
                return nomem(m);
            m->dlead = 1;
        }
    } else if (d->len && d->data[d->len - 1] != '\n' && fx_buf_adds(d, m->eol)) {
        return nomem(m);
    }
    for (size_t k = m->pc_base; k < m->npc; k++) {   /* places in d, now */
        m->pc[k].at += d->len;
        for (size_t i = 0; i < m->pc[k].nf; i++)
            m->pf[m->pc[k].f0 + i].at += d->len;
    }
    m->pc_base = m->npc;
    return fx_buf_add(d, u->data, u->len) ? nomem(m) : 0;
}

/* Write what m->defer kept: the last record every resolution keeps and
** the blocks after it. */
static int flush_deferred(merge *m)
{
    fx_buf *d = &m->dbuf;
    int rc;
    if (m->defer == DEFER_NONE)
        return 0;
    m->defer = DEFER_NONE;
    if (m->dlike) {
        fx_record r;
        memset(&r, 0, sizeof r);
        /* The tail's own line end ends the last marker line. */
        size_t nl = strlen(m->eol);
        if (m->tail_eol && d->len >= nl && memcmp(d->data + d->len - nl, m->eol, nl) == 0)
            d->len -= nl;
        r.text = d->data ? d->data : "";
        r.len = d->len;
        r.layout = m->wl;
        if (m->dlead) {
            r.lead = m->dleadb.data;
            r.lead_len = m->dleadb.len - 1;
        }
        rc = fx_writer_write(m->w, &r, m->err);
    } else {
        rc = fx_writer_write_text(m->w, d->data, d->len, m->err);
    }
    return rc < 0 ? rc : emit_conflicts(m, d->data, d->len);
}

/* Write rec (with its lead, where the layouts agree): a record every
** resolution keeps. */
static int put_record(merge *m, const fx_record *rec)
{
    m->st.records++;
    if (m->defer == DEFER_NONE)
        return fx_writer_write(m->w, rec, m->err);
    fx_buf_reset(&m->ubuf);
    if (fx_record_format(&m->ubuf, rec, m->wl))
        return nomem(m);
    return put_unit(m, rec);
}

/* A word on a marker line, after a space: s[0..n) as it is when it holds
** no white space or '"' and does not start with '[', else as a JSON
** string. */
static int add_token(fx_buf *x, const char *s, size_t n)
{
    int plain = n > 0 && s[0] != '[';
    for (size_t i = 0; i < n && plain; i++)
        plain = (unsigned char)s[i] > 0x20 && s[i] != '"' && s[i] != 0x7f;
    if (fx_buf_addc(x, ' '))
        return FX_ENOMEM;
    return plain ? fx_buf_add(x, s, n) : fx__json_string(x, s, n);
}

/* "<<<<<<< ours KIND MODEL KEY [FIELD...]" and its line end: the key as a
** word, or as the JSON list of a natural (or --key) key. */
static int marker_open(merge *m, fx_buf *x, const char *what, const fx_record *rec,
                       const cfield *cf, size_t ncf)
{
    uint64_t k;
    int bypk;
    fx_buf_reset(&m->ktok);
    if (fx__ident_key(&m->id, rec, &k, &bypk, &m->ktok) < 0)
        return FX_ENOMEM;
    const char *key = m->ktok.data ? m->ktok.data : "";
    int rc = fx_buf_adds(x, "<<<<<<< ours ") || fx_buf_adds(x, what) ||
             add_token(x, rec->label, strlen(rec->label));
    if (rc == 0 && !bypk && key[0] == '[')
        rc = fx_buf_addc(x, ' ') || fx_buf_add(x, key, m->ktok.len);
    else if (rc == 0)
        rc = add_token(x, key, m->ktok.len);
    for (size_t i = 0; i < ncf && rc == 0; i++)
        rc = add_token(x, cf[i].name, cf[i].nlen);
    return rc || fx_buf_adds(x, m->eol) ? FX_ENOMEM : 0;
}

/* A block of whole records into x: sec[s] is side s's record (NULL: the
** side lacks it); the marker at *at.  With sep, each record carries the
** separator after it or before it. */
static int record_block(merge *m, fx_buf *x, const char *what, const fx_record *key_rec,
                        const cfield *cf, size_t ncf, const fx_record *const sec[3], int sep,
                        size_t *at)
{
    static const int order[3] = {SO, SB, ST};
    *at = x->len;
    int rc = marker_open(m, x, what, key_rec, cf, ncf);
    for (int i = 0; i < 3 && rc == 0; i++) {
        const fx_record *r = sec[order[i]];
        if (i == 1)
            rc = fx_buf_adds(x, "||||||| base") || fx_buf_adds(x, m->eol);
        else if (i == 2)
            rc = fx_buf_adds(x, "=======") || fx_buf_adds(x, m->eol);
        if (rc || !r)
            continue;
        const fx_buf *pre = sep == SEP_BEFORE ? &m->cfirst : &m->rind;
        rc = (pre->len && fx_buf_add(x, pre->data, pre->len)) ||
             fx_record_format(x, r, m->wl) != 0 || (sep == SEP_AFTER && fx_buf_addc(x, ',')) ||
             fx_buf_adds(x, m->eol);
    }
    if (rc || fx_buf_adds(x, ">>>>>>> theirs") || fx_buf_adds(x, m->eol))
        return nomem(m);
    return 0;
}

/* How records stand in blocks, from ours's separator between records (or
** the one the writer makes up): m->rind, the indentation of a record's
** first line, and m->cfirst, what goes before a record that carries the
** separator before it ("  ," indented, ", " compact). */
static int block_style(merge *m, const fx_frame *f)
{
    const fx_layout *l = &m->wl;
    fx_buf *sep = &m->tmp;
    int framed = l->format == FX_FORMAT_JSON && l->indent > 0, rc = 0;
    fx_buf_reset(sep);
    fx_buf_reset(&m->rind);
    fx_buf_reset(&m->cfirst);
    m->eol = l->crlf ? "\r\n" : "\n";
    m->tail_eol = f->tail ? f->tail_len > 0 && (f->tail[0] == '\n' || (f->tail[0] == '\r' &&
                                                                        f->tail_len > 1 &&
                                                                        f->tail[1] == '\n'))
                          : framed;
    if (l->format != FX_FORMAT_JSON)
        return 0;
    const char *comma = memchr(f->sep ? f->sep : "", ',', f->sep_len);
    if (comma) {
        rc = fx_buf_add(sep, comma, f->sep_len - (size_t)(comma - f->sep));
    } else {
        rc = fx_buf_adds(sep, l->comma[0] ? l->comma : !framed ? ", " : ",");
        if (rc == 0 && framed) {
            rc = fx_buf_adds(sep, m->eol);
            for (int i = 0; rc == 0 && i < l->indent * l->depth; i++)
                rc = fx_buf_addc(sep, l->tabs ? '\t' : ' ');
        }
    }
    const char *nl = rc || !sep->len ? NULL : memrchr(sep->data, '\n', sep->len);
    if (rc == 0 && nl) {
        size_t n = sep->len - (size_t)(nl + 1 - sep->data);
        rc = fx_buf_add(&m->rind, nl + 1, n) || fx_buf_add(&m->cfirst, nl + 1, n) ||
             fx_buf_addc(&m->cfirst, ',');
    } else if (rc == 0) {
        rc = fx_buf_add(&m->cfirst, sep->data, sep->len);
    }
    return rc ? nomem(m) : 0;
}

/* ------------------------------------------------------------ blocks at the field */

static int blank_run(const char *a, const char *b)
{
    for (; a < b; a++)
        if (*a != ' ' && *a != '\t')
            return 0;
    return 1;
}

/* The key before the value at v in t: *ks at its opening quote, *ke after
** its closing one.  0, or -1 when what precedes v is not `"key" :`. */
static int key_before(const char *t, const char *v, const char **ks, const char **ke)
{
    const char *p = v;
    while (p > t && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' || p[-1] == '\r'))
        p--;
    if (p <= t || p[-1] != ':')
        return -1;
    p--;
    while (p > t && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' || p[-1] == '\r'))
        p--;
    if (p <= t || p[-1] != '"')
        return -1;
    *ke = p;
    for (const char *q = p - 1; q > t;) {
        q--;
        size_t bs = 0;
        while (q - bs > t && q[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (*q == '"' && bs % 2 == 0) {
            *ks = q;
            return 0;
        }
    }
    return -1;
}

/* Past a field's value at p: its separator and the line end after it
** (*eol set), or the separator and the spaces after it. */
static const char *unit_end(const char *p, const char *e, int *eol)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    if (p < e && *p == ',')
        p++;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    *eol = 1;
    if (e - p >= 2 && p[0] == '\r' && p[1] == '\n')
        return p + 2;
    if (p < e && *p == '\n')
        return p + 1;
    *eol = 0;
    return p;
}

/* Side value v as it is to stand in res at a line indented by ind: a list
** or an object laid out as ours's value was (on lines or on one line),
** else as the record is. */
static int side_value(fx_buf *x, const fx_record *res, fx_value ov, fx_value v,
                      const char *ind, size_t ilen, int line_mode)
{
    if (v.type != FX_ARRAY && v.type != FX_OBJECT)
        return fx_buf_add(x, v.text, v.len);
    int lines = line_mode && memchr(res->text, '\n', res->len) != NULL;
    if (ov.text && (ov.type == FX_ARRAY || ov.type == FX_OBJECT)) {
        fx_iter it;
        fx_value k, e;
        fx_iter_init(&it, ov);
        if (fx_iter_next(&it, &k, &e))
            lines = line_mode && memchr(ov.text, '\n', ov.len) != NULL;
    }
    return fx__value_format(x, v, res->layout, lines, ind, ilen);
}

/* The block of conflicting field c at the field: each side's line(s),
** indented by ind, the key as ktext[0..kn) (with what follows it up to
** the value) or made up with colon, ours's own text as otext[0..on). */
static int field_block(merge *m, fx_buf *x, const fx_record *res, cfield *c, const char *ind,
                       size_t ilen, const char *ktext, size_t kn, const char *colon,
                       size_t cn, const char *otext, size_t on, int line_mode, int sep)
{
    static const int order[3] = {SO, SB, ST};
    c->at = x->len;
    int rc = marker_open(m, x, c->forced ? "reference" : "field", res, c, 1);
    for (int i = 0; i < 3 && rc == 0; i++) {
        int s = order[i];
        if (i == 1)
            rc = fx_buf_adds(x, "||||||| base") || fx_buf_adds(x, m->eol);
        else if (i == 2)
            rc = fx_buf_adds(x, "=======") || fx_buf_adds(x, m->eol);
        if (rc || !c->v[s].text)
            continue;
        rc = fx_buf_add(x, ind, ilen) || (sep == SEP_BEFORE && fx_buf_addc(x, ','));
        if (rc == 0 && s == SO && otext)
            rc = fx_buf_add(x, otext, on);
        else if (rc == 0)
            rc = (ktext ? fx_buf_add(x, ktext, kn)
                        : fx__json_string(x, c->name, c->nlen) || fx_buf_add(x, colon, cn)) ||
                 side_value(x, res, c->v[SO], c->v[s], ind, ilen, line_mode);
        rc = rc || (sep == SEP_AFTER && fx_buf_addc(x, ',')) || fx_buf_adds(x, m->eol);
    }
    if (rc || fx_buf_adds(x, ">>>>>>> theirs") || fx_buf_adds(x, m->eol))
        return FX_ENOMEM;
    return 0;
}

/* End x's last line, unless it is ended: a block starts a line (the
** spaces before the line end dropped). */
static int line_start(merge *m, fx_buf *x)
{
    if (!x->len || x->data[x->len - 1] == '\n')
        return 0;
    while (x->len && (x->data[x->len - 1] == ' ' || x->data[x->len - 1] == '\t'))
        x->len--;
    return fx_buf_adds(x, m->eol);
}

/* res, the merged record holding ours's values of the conflicting fields
** cf[0..ncf), into x with a block at each of them.  0, 1 when its text
** does not allow it (stale, another layout than the output's, a jsonl file, no
** field every resolution keeps: a block of whole records then), or an
** error. */
static int field_blocks(merge *m, fx_buf *x, const fx_record *res, cfield *cf, size_t ncf)
{
    const char *t = res->text, *te = t + res->len;
    size_t n = res->nfields, nap = 0, L = SIZE_MAX, pos = 0;
    const char **ks = NULL, **ke = NULL;
    size_t *cix = NULL;
    int rc = 1;
    if (m->wl.format != FX_FORMAT_JSON || res->changed || !t || !n ||
        !fx__layout_same(&res->layout, &m->wl))
        return 1;
    if (!(ks = malloc(n * sizeof *ks)) || !(ke = malloc(n * sizeof *ke)) ||
        !(cix = malloc(n * sizeof *cix))) {
        rc = nomem(m);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const fx_value *v = &res->fields[i].value;
        cix[i] = SIZE_MAX;
        if (!v->text || v->text <= t || v->text + v->len >= te ||
            key_before(t, v->text, &ks[i], &ke[i]) < 0 ||
            (i && ks[i] < res->fields[i - 1].value.text + res->fields[i - 1].value.len))
            goto done;
    }
    for (size_t k = 0; k < ncf; k++) {
        if (cf[k].ri == SIZE_MAX)
            nap++;
        else
            cix[cf[k].ri] = k;
    }
    for (size_t i = 0; i < n; i++) {
        const cfield *c = cix[i] == SIZE_MAX ? NULL : &cf[cix[i]];
        if (!c || (c->v[SB].text && c->v[SO].text && c->v[ST].text))
            L = i;
    }
    if (L == SIZE_MAX)
        goto done;
    rc = 0;
    const char *colon = ke[0];
    size_t cn = (size_t)(res->fields[0].value.text - ke[0]);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *vs = res->fields[i].value.text, *ve = vs + res->fields[i].value.len;
        if (cix[i] == SIZE_MAX) {
            if (i == L && (i + 1 < n || nap)) {        /* it gives up its comma */
                const char *p = ve;
                while (p < te && (*p == ' ' || *p == '\t'))
                    p++;
                if (p < te && *p == ',') {
                    rc = fx_buf_add(x, t + pos, (size_t)(ve - t) - pos);
                    pos = (size_t)(p + 1 - t);
                }
            }
            continue;
        }
        const char *ls = ks[i];
        while (ls > t && ls[-1] != '\n')
            ls--;
        int blank = blank_run(ls, ks[i]), eol;
        const char *us = blank ? ls : ks[i], *ue = unit_end(ve, te, &eol);
        rc = fx_buf_add(x, t + pos, (size_t)(us - t) - pos) || line_start(m, x) ||
             field_block(m, x, res, &cf[cix[i]], us, (size_t)(ks[i] - us), ks[i],
                         (size_t)(vs - ks[i]), NULL, 0, ks[i], (size_t)(ve - ks[i]),
                         blank && eol, i < L ? SEP_AFTER : i == L ? SEP_NONE : SEP_BEFORE);
        pos = (size_t)(ue - t);
    }
    if (rc == 0 && nap) {                 /* fields ours lacks: after its last */
        size_t i = n - 1;
        const char *ve = res->fields[i].value.text + res->fields[i].value.len, *p = ve;
        const char *ls = ks[i];
        while (ls > t && ls[-1] != '\n')
            ls--;
        int blank = blank_run(ls, ks[i]), eol = 0;
        if (cix[i] == SIZE_MAX) {
            while (p < te && (*p == ' ' || *p == '\t'))
                p++;
            if (te - p >= 2 && p[0] == '\r' && p[1] == '\n')
                p += 2, eol = 1;
            else if (p < te && *p == '\n')
                p++, eol = 1;
            else
                p = ve;
            if ((size_t)(p - t) > pos) {
                rc = fx_buf_add(x, t + pos, (size_t)(p - t) - pos);
                pos = (size_t)(p - t);
            }
        } else {
            eol = x->len && x->data[x->len - 1] == '\n';
        }
        rc = rc || line_start(m, x);
        for (size_t k = 0; k < ncf && rc == 0; k++)
            if (cf[k].ri == SIZE_MAX)
                rc = field_block(m, x, res, &cf[k], blank ? ls : "",
                                 blank ? (size_t)(ks[i] - ls) : 0, NULL, 0, colon, cn, NULL, 0,
                                 blank && eol, SEP_BEFORE);
    }
    if (rc == 0)
        rc = fx_buf_add(x, t + pos, res->len - pos);
    if (rc)
        rc = nomem(m);
done:
    free(ks);
    free(ke);
    free(cix);
    return rc;
}

/* The conflicting fields cf[0..ncf) of res as one block of whole records:
** ours's section res, base's and theirs's res with their values. */
static int field_record_block(merge *m, fx_buf *x, const fx_record *res, cfield *cf,
                              size_t ncf, const char *what)
{
    fx_record *cp[3] = {NULL, NULL, NULL};
    const fx_record *sec[3] = {NULL, res, NULL};
    size_t at;
    int rc = 0;
    for (int s = SB; s <= ST && rc == 0; s += ST - SB) {
        if (fx_record_copy(&cp[s], res) < 0) {
            rc = FX_ENOMEM;
            break;
        }
        sec[s] = cp[s];
        for (size_t k = 0; k < ncf && rc == 0; k++)      /* sets first: drops move */
            if (cf[k].v[s].text)
                rc = fx__record_set_at(cp[s], 0, cf[k].ri != SIZE_MAX ? cf[k].ri
                                                                     : cp[s]->nfields,
                                       cf[k].name, cf[k].v[s].text, cf[k].v[s].len);
        for (size_t k = 0; k < ncf && rc == 0; k++)
            if (!cf[k].v[s].text && cf[k].ri != SIZE_MAX)
                fx_record_drop(cp[s], cf[k].name);
    }
    if (rc == 0)
        rc = record_block(m, x, what, res, cf, ncf, sec, m->sep, &at);
    for (size_t k = 0; k < ncf; k++)
        cf[k].at = at;
    fx_record_free(cp[SB]);
    fx_record_free(cp[ST]);
    return rc == FX_ENOMEM ? nomem(m) : rc;
}

/* Write res with its conflicting fields cf[0..ncf) marked (at the fields,
** or as a block of whole records), and note them: the ones a delete set
** to null (forced) as conflicts of kind "reference", the others of kind
** "field", each with its hint. */
static int put_conflicted(merge *m, const fx_record *res, cfield *cf, size_t ncf,
                          const char *key, const char *const hint[2])
{
    fx_buf *x = &m->ubuf;
    size_t nforced = 0;
    for (size_t k = 0; k < ncf; k++)
        nforced += cf[k].forced != 0;
    fx_buf_reset(x);
    int rc = field_blocks(m, x, res, cf, ncf);
    int whole = rc == 1;
    if (whole) {
        fx_buf_reset(x);
        rc = field_record_block(m, x, res, cf, ncf, nforced < ncf ? "field" : "reference");
    }
    if (rc < 0)
        return rc;
    for (int forced = 0; forced < 2; forced++) {
        size_t first = SIZE_MAX, pc;
        for (size_t k = 0; k < ncf; k++)
            if (!cf[k].forced == !forced && cf[k].at < first)
                first = cf[k].at;
        if (first == SIZE_MAX)
            continue;
        if ((rc = note_conflict(m, forced ? "reference" : "field", res->label, key,
                                hint[forced], first, &pc)) < 0)
            return rc;
        for (size_t k = 0; k < ncf; k++)
            if (!cf[k].forced == !forced && (rc = note_field(m, pc, &cf[k])) < 0)
                return rc;
    }
    m->st.records++;
    return put_unit(m, whole ? NULL : res);
}

/* A block of whole records (base, ours, theirs: sec), noted as a conflict
** of kind what. */
static int put_block(merge *m, const char *what, const fx_record *key_rec,
                     const fx_record *const sec[3], const char *hint)
{
    size_t at, pc;
    fx_buf_reset(&m->ubuf);
    int rc = record_block(m, &m->ubuf, what, key_rec, NULL, 0, sec, m->sep, &at);
    if (rc < 0 || (rc = note_conflict(m, what, key_rec->label, key_of(m, key_rec, &m->key),
                                      hint, at, &pc)) < 0)
        return rc;
    m->st.records++;
    return put_unit(m, NULL);
}

static int cmp_member(const void *x, const void *y)
{
    const fx_value *a = x, *b = y;
    if (a->type == FX_NUMBER && b->type == FX_NUMBER) {
        double p = strtod(a->text, NULL), q = strtod(b->text, NULL);
        if (p != q)
            return p < q ? -1 : 1;
    }
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->text, b->text, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* The set merge of a many-to-many field, as JSON text in out: base's
** members kept unless a side removed them, plus what either side added,
** in order (numbers by value). */
static int merge_set(fx_buf *out, fx_value b, fx_value o, fx_value t)
{
    fx_value *v = NULL;
    size_t n = 0;
    const fx_value lists[2] = {o, t};
    for (int s = 0; s < 2; s++) {
        fx_iter it;
        fx_value e;
        if (!lists[s].text || lists[s].type != FX_ARRAY)
            continue;
        fx_value other = lists[1 - s];
        fx_iter_init(&it, lists[s]);
        while (fx_iter_next(&it, NULL, &e)) {
            int inb = fx__set_has(b, e);
            if (inb && !fx__set_has(other, e))
                continue;                      /* removed by the other side */
            int dup = 0;
            for (size_t k = 0; k < n && !dup; k++)
                dup = fx_value_equal(v[k], e);
            if (dup)
                continue;
            fx_value *nv = realloc(v, (n + 1) * sizeof *nv);
            if (!nv) {
                free(v);
                return FX_ENOMEM;
            }
            v = nv;
            v[n++] = e;
        }
    }
    if (n)
        qsort(v, n, sizeof *v, cmp_member);
    int rc = fx_buf_addc(out, '[');
    for (size_t k = 0; k < n && rc == 0; k++)
        rc = (k && fx_buf_adds(out, ", ")) || fx_buf_add(out, v[k].text, v[k].len);
    free(v);
    return rc || fx_buf_addc(out, ']') ? FX_ENOMEM : 0;
}

/* Do two sides hold the same value for a field (f: its schema, or NULL)? */
static int veq(const merge *m, const fx_field_schema *f, fx_value a, fx_value b, int m2m)
{
    if (!a.text || !b.text)
        return !a.text && !b.text;
    return m2m ? fx__set_equal(a, b) : fx_value_same(f, m->opts->schema, a, b);
}

/* Field-by-field merge of ro and rt over rb (NULL: added on both sides). */
/* The fields of the three sides by name, found by sorting (n log n: a
** record may have a million fields).  One entry a field, then one group
** a name: where it is last in each side (index + 1, 0: absent), in the
** order of first appearance (ours, then theirs, then base). */
typedef struct fent {
    const char *name;
    unsigned src;                /* 0 ours, 1 theirs, 2 base */
    size_t i;
} fent;

typedef struct fgroup {
    const char *name;
    size_t at[3];
    unsigned src;                /* first appearance */
    size_t i;
    size_t e0, e1;               /* its entries in the sorted fent array */
} fgroup;

static int fent_cmp(const void *a, const void *b)
{
    const fent *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int fgroup_cmp(const void *a, const void *b)
{
    const fgroup *x = a, *y = b;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The groups of recs[0..3) (NULL: absent) in *out, their count in *n, and
** the sorted entries in *ents (both malloc'd); -1 when out of memory. */
static int field_groups(const fx_record *const recs[3], fgroup **out, size_t *n,
                        fent **ents)
{
    size_t total = 0, k = 0, ng = 0;
    for (int s = 0; s < 3; s++)
        total += recs[s] ? recs[s]->nfields : 0;
    fent *e = malloc((total + 1) * sizeof *e);
    fgroup *g = malloc((total + 1) * sizeof *g);
    if (!e || !g) {
        free(e);
        free(g);
        return -1;
    }
    for (unsigned s = 0; s < 3; s++)
        for (size_t i = 0; recs[s] && i < recs[s]->nfields; i++)
            e[k++] = (fent){recs[s]->fields[i].name, s, i};
    qsort(e, total, sizeof *e, fent_cmp);
    for (size_t a = 0; a < total;) {
        fgroup *gr = &g[ng++];
        *gr = (fgroup){e[a].name, {0, 0, 0}, e[a].src, e[a].i, a, a};
        size_t b = a;
        for (; b < total && strcmp(e[b].name, e[a].name) == 0; b++)
            gr->at[e[b].src] = e[b].i + 1;   /* sorted by index: the last wins */
        gr->e1 = a = b;
    }
    qsort(g, ng, sizeof *g, fgroup_cmp);
    *out = g;
    *n = ng;
    *ents = e;
    return 0;
}

/* How merge_fields() works: field by field over base (MF_MERGE), or
** theirs's record onto ours's bytes, ours unchanged since base (MF_ONTO:
** every field theirs holds otherwise takes theirs's value; nothing is
** reported, the caller counts it). */
enum { MF_MERGE = 0, MF_ONTO };

static int merge_fields(merge *m, uint32_t b, const fx_record *rb, const fx_record *ro,
                        const fx_record *rt, int mode)
{
    const fx_value none = {FX_NULL, NULL, 0};
    const char **auto_ = NULL, **dropn = NULL;
    cfield *cf = NULL;
    size_t nconf = 0, nauto = 0, nnames = 0, nres = 0, nforced = 0, ndrop = 0;
    fgroup *names = NULL;
    fent *ents = NULL;
    fx_record *res = NULL;
    fx_buf val = FX_BUF_INIT;
    int rc = FX_ENOMEM;
    const fx_record *const recs[3] = {ro, rt, rb};
    if (field_groups(recs, &names, &nnames, &ents) < 0 ||
        !(cf = malloc((nnames + 1) * sizeof *cf)) ||
        !(auto_ = malloc((nnames + 1) * sizeof *auto_)) ||
        !(dropn = malloc((nnames + 1) * sizeof *dropn)))
        goto done;
    if (fx_record_copy(&res, ro) < 0)   /* the same fields, in the same order */
        goto done;
    const fx_model_schema *ms = fx_schema_model(m->opts->schema, ro->label);
    for (size_t k = 0; k < nnames; k++) {
        const fgroup *g = &names[k];
        const fx_field *fo = g->at[0] ? &ro->fields[g->at[0] - 1] : NULL;
        const fx_field *ft = g->at[1] ? &rt->fields[g->at[1] - 1] : NULL;
        const fx_field *fb = g->at[2] ? &rb->fields[g->at[2] - 1] : NULL;
        fx_value vb = fb ? fb->value : none, vo = fo ? fo->value : none,
                 vt = ft ? ft->value : none;
        fx_value three[3] = {vb, vo, vt};
        int m2m = fx__is_m2m(m->opts->schema, ro->label, g->name, three, 3);
        const fx_field_schema *fs = ms ? fx_model_field(ms, g->name) : NULL;
        cfield c = {g->name, fo ? fo->name_len : ft ? ft->name_len : fb->name_len,
                    {vb, vo, vt}, 0, SIZE_MAX, 0};
        if (veq(m, fs, vo, vt, m2m))
            continue;                               /* ours holds it */
        if (b != FX__NONE && m->del && fx__mdel_forced(m, b, g->name)) {
            c.forced = 1;                           /* set to null by a delete */
            cf[nconf++] = c;                        /* that is a conflict */
            nforced++;
            continue;
        }
        if (veq(m, fs, vt, vb, m2m))
            continue;
        int take = 0;                               /* 1: theirs, 2: set merge */
        if (veq(m, fs, vo, vb, m2m)) {
            take = 1;
        } else if (m2m && vo.text && vt.text) {
            take = 2;
        } else if (m->opts->strategy) {
            nres++;
            take = m->opts->strategy == FX_STRATEGY_THEIRS;
        } else {
            cf[nconf++] = c;
            continue;
        }
        if (take == 0)
            continue;
        if (take == 2 || (take == 1 && !m->opts->strategy) || veq(m, fs, vo, vb, m2m))
            auto_[nauto++] = g->name;
        fx_buf_reset(&val);
        if (!vt.text && take == 1) {   /* every field of ours of that name, at the end */
            dropn[ndrop++] = g->name;
            continue;
        }
        if ((take == 2 ? merge_set(&val, vb, vo, vt) : fx_buf_add(&val, vt.text, vt.len)) ||
            (rc = fx__record_set_at(res, 0, g->at[0] ? g->at[0] - 1 : res->nfields,
                                    g->name, val.data, val.len)) < 0) {
            if (rc == FX_ESYNTAX)   /* text the reader reported as wrong */
                rc = fx_error_set(m->err, FX_ESYNTAX, rt->file, rt->line, rt->col, 0,
                                  "%s %s: field '%s' holds text that is not valid "
                                  "(see the errors above): correct it and run again",
                                  ro->label, key_of(m, ro, &m->key), g->name);
            else
                rc = FX_ENOMEM;
            goto done;
        }
    }
    for (size_t k = 0; k < ndrop; k++)       /* by name: the places move */
        fx_record_drop(res, dropn[k]);
    if (mode == MF_ONTO) {
        rc = put_record(m, res);
        goto done;
    }
    const char *key = key_of(m, ro, &m->key);
    if (nconf) {
        static const char *const hint[2] = {
            "keep one side's value in the record, delete the other sides and the markers",
            "one side removed this reference when it deleted the record it names, and "
            "that delete is a conflict: keep the side that matches how you decide it, "
            "delete the other sides and the markers"};
        for (size_t k = 0; k < nconf; k++) {
            const fx_field *f = fx_record_field(res, cf[k].name);
            cf[k].ri = f ? (size_t)(f - res->fields) : SIZE_MAX;
        }
        if (nres) {
            m->st.resolved++;
            event(m, FX_MERGE_RESOLVED, ro->label, key, "field", NULL, 0, NULL, NULL);
        }
        rc = put_conflicted(m, res, cf, nconf, key, hint);
        goto done;
    }
    if (nres) {
        m->st.resolved++;
        event(m, FX_MERGE_RESOLVED, ro->label, key, "field", NULL, 0, NULL, NULL);
    }
    m->st.merged++;
    event(m, FX_MERGE_AUTO, ro->label, key, NULL, auto_, nauto, NULL, NULL);
    rc = put_record(m, res);
done:
    if (rc == FX_ENOMEM)
        rc = nomem(m);
    fx_record_free(res);
    fx_buf_free(&val);
    free(names);
    free(ents);
    free(cf);
    free(dropn);
    free(auto_);
    return rc;
}

/* Say so when entry i of side s is written under a fresh pk: taken whole or
** inside a conflict block, a renumbered record is reported. */
static int note_renumber(merge *m, int s, uint32_t i)
{
    const fx__kentry *ke = &m->kf[s].e[i];
    uint32_t rn = s == m->rs && (ke->flags & FX__BYPK) ? renumbered(m, ke->key) : FX__NONE;
    if (rn == FX__NONE || m->ren[rn].entry != i)
        return 0;
    char nk[32];
    const fx_record *orig;
    int rc = fx__kfile_fetch(&m->kf[s], i, &orig, m->err);
    if (rc < 0)
        return rc;
    snprintf(nk, sizeof nk, "%" PRId64, m->ren[rn].pk);
    m->st.renumbered++;
    event(m, FX_MERGE_RENUMBER, orig->label, key_of(m, orig, &m->key), side_name(s), NULL, 0,
          nk, NULL);
    return 0;
}

static int write_item(merge *m, const mitem *it)
{
    const fx_record *r[3] = {NULL, NULL, NULL};
    fx_record *own[3] = {NULL, NULL, NULL};
    uint32_t e[3] = {it->e[0], it->e[1], it->e[2]};
    int rc = 0;
    if (it->act == ACT_UNIQUE)
        e[ST] = *(uint32_t *)fx__index_get(m->pairs, e[SO]);
    for (int s = 0; s < 3 && rc == 0; s++) {
        if (e[s] == FX__NONE)
            continue;
        if ((it->act == ACT_OURS && s != SO) || (it->act == ACT_THEIRS && s == SB))
            continue;
        if (it->act == ACT_THEIRS && s == SO) {
            /* Ours unchanged: its bytes, as read, for theirs's values. */
            rc = fx__kfile_fetch(&m->kf[SO], e[SO], &r[SO], m->err);
            continue;
        }
        if (s != SB && (rc = note_renumber(m, s, e[s])) < 0)
            break;
        rc = get(m, s, e[s], &r[s], &own[s]);
    }
    if (rc < 0)
        goto done;
    switch (it->act) {
    case ACT_OURS:
        m->st.ours++;
        rc = put_record(m, r[SO]);
        break;
    case ACT_THEIRS:
        m->st.theirs++;
        /* A value the reader found wrong (invalid UTF-8: reported, the
        ** tool writes nothing) cannot be set in ours's text: whole.  So is
        ** a record of more than FX__EDIT_FIELDS_MAX fields: editing ours's
        ** text a field at a time costs a copy of the record each, which a
        ** million fields make quadratic (minutes under ASan: t6000 wide). */
        rc = r[SO] && !r[ST]->errors && r[ST]->nfields <= FX__EDIT_FIELDS_MAX
                 ? merge_fields(m, FX__NONE, r[SO], r[SO], r[ST], MF_ONTO)
                 : put_record(m, r[ST]);
        break;
    case ACT_MERGE:
        rc = merge_fields(m, e[SB], r[SB], r[SO], r[ST], MF_MERGE);
        break;
    case ACT_DELMOD: {
        const char *what = r[SO] ? "modify/delete" : "delete/modify";
        const char *hint = m->del ? fx__mdel_block_hint(m, e[SB], &what) : NULL;
        rc = put_block(m, what, r[SO] ? r[SO] : r[ST], r,
                       hint ? hint : "keep the changed record or delete it, and the markers");
        break;
    }
    case ACT_ADDADD:
    case ACT_UNIQUE: {
        const char *hint =
            it->act == ACT_UNIQUE ? "both sides added a record with this unique value: "
                                    "keep one, or change the value in one of them"
            : !m->opts->schema ? "both sides added this pk: pass --schema so that fxmerge "
                                 "can renumber one side and rewrite its references"
            : m->opts->renumber == FX_RENUMBER_NONE ? "both sides added this pk and "
                                                      "--renumber none keeps pks: keep one"
                                                    : "both sides added this pk, which "
                                                      "cannot be renumbered: keep one";
        const fx_record *sec[3] = {NULL, r[SO], r[ST]};
        if (it->act == ACT_UNIQUE)
            m->kf[ST].e[e[ST]].flags |= FX__SKIP;
        /* Deciding would drop a record one side created: never. */
        fx_buf_reset(&m->key2);
        if (m->opts->strategy &&
            fx_buf_printf(&m->key2, "%s (--strategy never drops a record one side "
                          "added)", hint) == 0)
            hint = m->key2.data;
        rc = put_block(m, it->act == ACT_UNIQUE ? "unique" : "add/add", r[SO], sec, hint);
        break;
    }
    }
done:
    for (int s = 0; s < 3; s++)
        fx_record_free(own[s]);
    return rc;
}

/* ---------------------------------------------------------------- fx_merge */

int fx_merge(const char *base, const char *ours, const char *theirs, fx_output *o,
             const fx_merge_opts *opts, fx_merge_stats *stats, fx_error *err)
{
    fx_merge_opts none;
    if (!opts) {
        memset(&none, 0, sizeof none);
        opts = &none;
    }
    merge *m = calloc(1, sizeof *m);
    place pl = {NULL, NULL, NULL, NULL, NULL, 0};
    int rc;
    if (!m)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    m->opts = opts;
    m->err = err;
    m->id.schema = opts->schema;
    m->id.keys = opts->keys;
    m->rs = opts->renumber == FX_RENUMBER_OURS ? SO : ST;
    const char *paths[3] = {base, ours, theirs};
    if (fx__ctrefs_new(&m->ct, opts->schema) < 0)
        goto oom;
    for (int s = 0; s < 3; s++) {
        if ((rc = fx__kfile_load(&m->kf[s], &m->id, paths[s], opts->diag, opts->diag_ctx,
                                 on_any, m, err)) < 0)
            goto done;
        if (fx__ctrefs_end(m->ct, opts->diag, opts->diag_ctx) < 0)   /* each file */
            goto oom;
    }
    /* The output is ours as a person would have edited it: its frame, its
    ** records' layout (theirs's, or base's, when ours has no record). */
    fx_frame frame;
    fx_reader_frame(m->kf[SO].r, &frame);
    frame.bom &= opts->keep_bom != 0;
    m->wl = m->kf[SO].layout;
    for (int s = ST; !m->kf[SO].n && s >= SB; s -= ST - SB)
        if (m->kf[s].n && m->kf[s].layout.format == m->wl.format) {
            m->wl = m->kf[s].layout;
            frame.first = frame.sep = frame.tail = NULL;   /* as the layout has them */
            frame.first_len = frame.sep_len = frame.tail_len = 0;
            break;
        }
    if ((rc = fx_writer_new(&m->w, o, m->wl)) < 0) {
        rc = fx_error_set(err, rc, NULL, 0, 0, 0, "cannot write ours's layout");
        goto done;
    }
    if (opts->event)
        fx_writer_count_lines(m->w);
    if (fx_writer_frame(m->w, &frame) < 0 || block_style(m, &frame) < 0)
        goto oom;
    if ((rc = fx__merge_guard(m)) < 0)
        goto done;
    if (opts->schema && opts->renumber != FX_RENUMBER_NONE && (rc = renumber(m)) < 0)
        goto done;
    if ((rc = unique_clashes(m)) < 0)
        goto done;
    if ((rc = fx__mdel_plan(m)) < 0)
        goto done;
    if ((rc = make_place(m, &pl)) < 0)
        goto done;
    if ((rc = decide(m, &pl)) < 0)
        goto done;
    /* Blocks carry the separator after their records while a record every
    ** resolution keeps comes later; after the last such record, which is
    ** written last with them, the one before (json: jsonl has none). */
    int json = m->wl.format == FX_FORMAT_JSON;
    size_t lastc = SIZE_MAX;
    for (size_t k = 0; json && k < m->nitems; k++)
        if (m->items[k].act == ACT_OURS || m->items[k].act == ACT_THEIRS ||
            m->items[k].act == ACT_MERGE)
            lastc = k;
    for (size_t k = 0; k < m->nitems; k++) {
        m->sep = !json ? SEP_NONE
               : lastc == SIZE_MAX ? (k + 1 < m->nitems ? SEP_AFTER : SEP_NONE)
               : k < lastc ? SEP_AFTER : k == lastc ? SEP_NONE : SEP_BEFORE;
        if (k == lastc && k + 1 < m->nitems)
            m->defer = DEFER_FIRST;
        if ((rc = write_item(m, &m->items[k])) < 0)
            goto done;
    }
    if ((rc = flush_deferred(m)) < 0)
        goto done;
    if ((rc = fx_writer_finish(m->w, err)) < 0)
        goto done;
    rc = (int)(m->st.conflicts > INT32_MAX ? INT32_MAX : m->st.conflicts);
    goto done;
oom:
    rc = nomem(m);
done:
    if (stats)
        *stats = m->st;
    for (int s = 0; s < 3; s++) {
        fx__kfile_free(&m->kf[s]);
        free(m->uv[s]);
        free(m->maxpk[s]);
        fx__index_free(m->nat[s]);
    }
    free(m->bpk);
    free(m->msch);
    free(m->mlooked);
    fx__mdel_free(m->del);
    fx_writer_free(m->w);
    fx__ctrefs_free(m->ct);
    fx__index_free(m->rix);
    fx__index_free(m->pairs);
    free(m->ren);
    free(m->items);
    place_free(&pl);
    fx_buf_free(&m->tmp);
    fx_buf_free(&m->key);
    fx_buf_free(&m->key2);
    fx_buf_free(&m->ktok);
    fx_buf_free(&m->ubuf);
    fx_buf_free(&m->dbuf);
    fx_buf_free(&m->dleadb);
    fx_buf_free(&m->rind);
    fx_buf_free(&m->cfirst);
    fx_buf_free(&m->pa);
    free(m->pc);
    free(m->pf);
    fx__ident_free(&m->id);
    free(m);
    return rc;
}
