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
** too.  Only then are the records read again, by seeking, to be written:
** records taken whole are copied verbatim when the layouts agree.
*/
#include "merge_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

enum {
    ACT_OURS = 1,       /* ours's record */
    ACT_THEIRS,         /* theirs's record */
    ACT_MERGE,          /* field by field (base may be absent) */
    ACT_DELMOD,         /* deleted on one side, changed on the other */
    ACT_ADDADD,         /* same pk added on both sides, not renumbered */
    ACT_UNIQUE          /* new records of both sides share a unique value */
};

struct mitem {
    uint32_t rank, group, ord;
    uint32_t e[3];             /* entries in base, ours, theirs */
    uint32_t act;
};

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

static int add_item(merge *m, uint32_t rank, uint32_t group, uint32_t ord, uint32_t b,
                    uint32_t o, uint32_t t, uint32_t act)
{
    if (m->nitems == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        mitem *ni = realloc(m->items, cap * sizeof *ni);
        if (!ni)
            return nomem(m);
        m->items = ni;
        m->cap = cap;
    }
    m->items[m->nitems++] = (mitem){rank, group, ord, {b, o, t}, act};
    return 0;
}

static int cmp_item(const void *x, const void *y)
{
    const mitem *p = x, *q = y;
    if (p->rank != q->rank)
        return p->rank < q->rank ? -1 : 1;
    if (p->group != q->group)
        return p->group < q->group ? -1 : 1;
    return (p->ord > q->ord) - (p->ord < q->ord);
}

static int decide(merge *m, uint32_t *rank)
{
    fx__kfile *B = &m->kf[SB], *O = &m->kf[SO], *T = &m->kf[ST];
    fx_strategy strat = m->opts->strategy;
    int rc;
    for (uint32_t i = 0; i < B->n; i++) {
        const fx__kentry *e = &B->e[i];
        if (e->flags & FX__DEAD)
            continue;
        uint32_t o = fx__kfile_find(O, e->key), t = fx__kfile_find(T, e->key);
        uint32_t r = rank[e->model], act = 0;
        uint64_t hb = e->hash;
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
        if (act && (rc = add_item(m, r, 0, i, i, o, t, act)) < 0)
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
            if ((rc = add_item(m, rank[e->model], (uint32_t)s, i, FX__NONE, o, t, act)) < 0)
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
    fx_merge_event ev = {kind, label, key, what, fields, nfields, new_key, hint, NULL, NULL};
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

static int put_record(merge *m, const fx_record *rec)
{
    m->written++;
    m->st.records++;
    return fx_writer_write(m->w, rec, m->err);
}

/* A conflict block: each side's record (NULL: absent there) between
** markers.  See fxmerge(1): deleting the marker lines and the sides not
** kept leaves a valid fixture. */
static int put_block(merge *m, const fx_record *o, const fx_record *b, const fx_record *t,
                     int more)
{
    fx_buf *x = &m->tmp;
    const fx_record *recs[3] = {o, b, t};
    static const char *const marks[3] = {"<<<<<<< ours", "||||||| base", "======="};
    /* The writer puts the separator of the record before on that record;
    ** each side's record carries the one to the next. */
    const char *comma = m->kf[SO].layout.format == FX_FORMAT_JSON && more ? "," : "";
    const char *eol = m->block.crlf ? "\r\n" : "\n";    /* the file's own line ends */
    int rc = 0;
    fx_buf_reset(x);
    for (int i = 0; i < 3 && rc == 0; i++) {
        rc = fx_buf_adds(x, marks[i]) || fx_buf_adds(x, eol);
        if (rc == 0 && recs[i])
            rc = fx_record_format(x, recs[i], m->block) || fx_buf_adds(x, comma) ||
                 fx_buf_adds(x, eol);
    }
    if (rc || fx_buf_adds(x, ">>>>>>> theirs") || fx_buf_adds(x, eol))
        return nomem(m);
    m->st.records++;
    m->st.conflicts++;
    return fx_writer_write_text(m->w, x->data, x->len, m->err);
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

static int merge_fields(merge *m, uint32_t b, const fx_record *rb, const fx_record *ro,
                        const fx_record *rt, int more)
{
    const fx_value none = {FX_NULL, NULL, 0};
    const char **conf = NULL, **auto_ = NULL;
    size_t nconf = 0, nauto = 0, nnames = 0, nres = 0, nforced = 0;
    fgroup *names = NULL;
    fent *ents = NULL;
    unsigned char *drop = NULL;     /* fields of res (ours) to drop */
    int ndrop = 0;
    fx_record *res = NULL;
    fx_buf val = FX_BUF_INIT;
    int rc = FX_ENOMEM;
    const fx_record *const recs[3] = {ro, rt, rb};
    if (field_groups(recs, &names, &nnames, &ents) < 0 ||
        !(conf = malloc((nnames + 1) * sizeof *conf)) ||
        !(auto_ = malloc((nnames + 1) * sizeof *auto_)) ||
        !(drop = calloc(ro->nfields + 1, 1)))
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
        if (veq(m, fs, vo, vt, m2m))
            continue;                               /* ours holds it */
        if (b != FX__NONE && m->del && fx__mdel_forced(m, b, g->name)) {
            conf[nconf++] = g->name;                /* set to null by a delete */
            nforced++;                              /* that is a conflict */
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
            conf[nconf++] = g->name;
            continue;
        }
        if (take == 0)
            continue;
        if (take == 2 || (take == 1 && !m->opts->strategy) || veq(m, fs, vo, vb, m2m))
            auto_[nauto++] = g->name;
        fx_buf_reset(&val);
        if (!vt.text && take == 1) {   /* every field of ours of that name */
            for (size_t e = g->e0; e < g->e1 && ents[e].src == 0; e++)
                drop[ents[e].i] = 1, ndrop = 1;
            continue;
        }
        if ((take == 2 ? merge_set(&val, vb, vo, vt) : fx_buf_add(&val, vt.text, vt.len)) ||
            fx__record_set_at(res, 0, g->at[0] ? g->at[0] - 1 : res->nfields, g->name,
                              val.data, val.len) < 0)
            goto done;
    }
    if (ndrop) {   /* drop[] indexes ours, which res begins with */
        size_t j = 0;
        for (size_t i = 0; i < res->nfields; i++)
            if (i >= ro->nfields || !drop[i])
                res->fields[j++] = res->fields[i];
        res->nfields = j;
        res->changed = 1;
    }
    const char *key = key_of(m, ro, &m->key);
    if (nconf) {
        event(m, FX_MERGE_CONFLICT, ro->label, key, "field", conf, nconf, NULL,
              nforced == nconf
                  ? "one side removed this reference when it deleted the record it names, "
                    "and that delete is a conflict: keep the side that matches how you "
                    "decide it, delete the other sides and the markers"
                  : "keep one side's value in the record, delete the other sides and the "
                    "markers");
        rc = put_block(m, ro, rb, rt, more);
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
    free(drop);
    free(conf);
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

static int write_item(merge *m, const mitem *it, int more)
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
        if ((it->act == ACT_OURS && s != SO) || (it->act == ACT_THEIRS && s != ST))
            continue;
        if (s != SB && (rc = note_renumber(m, s, e[s])) < 0)
            break;
        rc = get(m, s, e[s], &r[s], &own[s]);
    }
    if (rc < 0)
        goto done;
    switch (it->act) {
    case ACT_OURS:
    case ACT_THEIRS: {
        int s = it->act == ACT_OURS ? SO : ST;
        if (s == SO)
            m->st.ours++;
        else
            m->st.theirs++;
        rc = put_record(m, r[s]);
        break;
    }
    case ACT_MERGE:
        rc = merge_fields(m, e[SB], r[SB], r[SO], r[ST], more);
        break;
    case ACT_DELMOD: {
        const fx_record *x = r[SO] ? r[SO] : r[ST];
        const char *what = r[SO] ? "modify/delete" : "delete/modify";
        const char *hint = m->del ? fx__mdel_block_hint(m, e[SB], &what) : NULL;
        event(m, FX_MERGE_CONFLICT, x->label, key_of(m, x, &m->key), what, NULL, 0, NULL,
              hint ? hint : "keep the changed record or delete it, and the markers");
        rc = put_block(m, r[SO], r[SB], r[ST], more);
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
        const char *fields[1] = {NULL};
        size_t nf = 0;
        if (it->act == ACT_UNIQUE) {
            m->kf[ST].e[e[ST]].flags |= FX__SKIP;
        }
        /* Deciding would drop a record one side created: never. */
        fx_buf_reset(&m->key2);
        if (m->opts->strategy &&
            fx_buf_printf(&m->key2, "%s (--strategy never drops a record one side "
                          "added)", hint) == 0)
            hint = m->key2.data;
        event(m, FX_MERGE_CONFLICT, r[SO]->label, key_of(m, r[SO], &m->key),
              it->act == ACT_UNIQUE ? "unique" : "add/add", fields, nf, NULL, hint);
        rc = put_block(m, r[SO], NULL, r[ST], more);
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
    uint32_t *rank = NULL;
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
    if ((rc = fx__merge_guard(m)) < 0)
        goto done;
    if (opts->schema && opts->renumber != FX_RENUMBER_NONE && (rc = renumber(m)) < 0)
        goto done;
    if ((rc = unique_clashes(m)) < 0)
        goto done;
    if ((rc = fx__mdel_plan(m)) < 0)
        goto done;
    rc = FX_ENOMEM;
    if (!(rank = malloc((m->id.nlabels + 1) * sizeof *rank)))
        goto oom;
    for (size_t i = 0; i < m->id.nlabels; i++)
        rank[i] = FX__NONE;
    uint32_t r = 0;
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < m->kf[s].nmorder; i++)
            if (rank[m->kf[s].morder[i]] == FX__NONE)
                rank[m->kf[s].morder[i]] = r++;
    if ((rc = decide(m, rank)) < 0)
        goto done;
    fx_layout l = m->kf[SO].layout;
    m->block = l;
    if (l.format == FX_FORMAT_JSON && l.indent <= 0)
        m->block.indent = 2;
    if ((rc = fx_writer_new(&m->w, o, l)) < 0) {
        rc = fx_error_set(err, rc, NULL, 0, 0, 0, "cannot write ours's layout");
        goto done;
    }
    for (size_t k = 0; k < m->nitems; k++)
        if ((rc = write_item(m, &m->items[k], k + 1 < m->nitems)) < 0)
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
    free(rank);
    fx_buf_free(&m->tmp);
    fx_buf_free(&m->key);
    fx_buf_free(&m->key2);
    fx__ident_free(&m->id);
    free(m);
    return rc;
}
