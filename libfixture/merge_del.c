/*
** merge_del.c: what a delete took with it (fx_merge(), with a schema).
**
** When Django deletes a record it deletes the records that point at it
** with on_delete CASCADE, sets to null those that point at it with
** SET_NULL, and drops it from many-to-many lists.  A side's export shows
** only the result: the order is gone, and so are its lines; the customer
** is gone, and its orders say "client": null.  Decided record by record, a
** merge that keeps the order (the other side changed it) would drop its
** lines, and one that keeps the customer would leave its orders without
** it.  So a delete is decided together with what went with it:
**
**   group    the records one side (D) deleted while the other (K) still has
**            them, joined when one refers to the other by a foreign key
**            whose on_delete is CASCADE (or unknown: the export then shows
**            what Django did): an order and its lines, a customer and the
**            orders and lines deleted with it;
**   nulls    the references D set to null (SET_NULL or unknown), or the
**            links it dropped from many-to-many lists, to a group's record;
**   K-deps   K's own new or changed records that refer to a group's record
**            (an order line K added to the order D deleted).
**
** A group is contested when K changed one of its records, or has K-deps
** that the delete would take with it (CASCADE), forbid (PROTECT,
** RESTRICT) or that fxmerge cannot carry over (SET_DEFAULT, SET,
** DO_NOTHING, or no on_delete in the schema: a database does not say it).
** Nulls and many-to-many links (K-deps by SET_NULL, links to it) never
** contest a delete.  Each group gets one fate:
**
**   delete    not contested, or --strategy takes D's side: every record of
**             the group goes; K-deps follow on_delete: set to null, links
**             dropped, records K added with CASCADE deleted too (and theirs,
**             transitively).  A K-dep by PROTECT or RESTRICT keeps the group
**             instead, as Django would refuse the delete; one fxmerge cannot
**             carry over leaves it a conflict.
**   keep      --strategy takes K's side: every record of the group is
**             kept (restored: K still has them), the nulls are reverted;
**   conflict  no strategy: each record of the group is a conflict block
**             (delete/modify, or "cascade" for those K did not change), the
**             nulls are field conflicts, the K-deps are named (events).
**
** A record a kept group keeps may need a record of another group (a
** PROTECT reference from a line to its product): that group is kept too.
** Everything is decided before deciding records (decide() in merge.c asks
** fx__mdel_fate()), and applied as records are read to be written
** (fx__mdel_apply() from get()): reverts and nulls change the record read,
** and its effective hash, so that the three-way decision sees it as it
** will be.  Work is done only when a side deleted records the other has,
** and only on records of models that can refer to those.  References by a
** to_field and natural keys that span a foreign key are not followed.
*/
#include "merge_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Why a group is not simply deleted (flags of its root). */
enum {
    G_CHANGED = 1,       /* K changed one of its records */
    G_KCASCADE = 2,      /* K added records that refer to it by CASCADE */
    G_KPROTECT = 4,      /* K's records refer to it by PROTECT or RESTRICT */
    G_KUNKNOWN = 8,      /* K's records refer to it by an on_delete that cannot
                            be carried over, or not known */
    G_SPREAD = 16        /* kept because a kept record needs it */
};

/* 8 bytes a base record; what only groups need is in rinfo. */
typedef struct dnode {
    uint32_t parent;     /* union-find over base entries */
    uint8_t side;        /* the side that deleted it (SO, ST), else 0 */
    uint8_t kchanged;    /* the other side changed it */
    uint8_t flags;       /* root: G_* */
    uint8_t fate;        /* root: FX__FATE_* */
} dnode;

typedef struct rinfo {   /* a group's, under its root */
    uint32_t reason;     /* entry of the record that contested it */
    uint32_t nmembers;   /* records in the group */
    uint32_t nnulls;     /* references set to null because of it */
    uint32_t rside;      /* file of reason (SB or the other side) */
} rinfo;

enum { E_NULLED = 1, E_UNLINKED, E_KDEP };

typedef struct edge {
    uint32_t rentry;     /* the referring record, on side rside */
    uint32_t rbase;      /* its base entry, or FX__NONE (added by rside) */
    uint32_t target;     /* the record deleted: base entry, or rside entry (tk) */
    uint32_t holder;     /* base entry of the referring record when D deleted
                            it too (it belongs to a group), else FX__NONE */
    const fx_field_schema *f;
    char *val;           /* the reference as written */
    char *cause;         /* "label key" of the target, for messages */
    uint8_t rside, kind, tk;
} edge;

/* A record K added, deleted with a group by CASCADE. */
typedef struct kill {
    uint32_t entry;      /* on side */
    uint32_t root;       /* the group */
    uint32_t edge;       /* the reference that took it */
    uint8_t side, reported;
} kill;

enum { A_REVERT = 1, A_RELINK, A_NULL, A_UNLINK };

typedef struct fix {
    uint32_t entry, edge;
    uint8_t side, act;
} fix;

typedef struct forced {
    uint32_t b;          /* base entry of the record */
    const char *name;    /* schema-owned field name */
} forced;

struct fx__mdel {
    dnode *dn;           /* per base entry */
    size_t nb;
    edge *ed;
    size_t ned, caped;
    kill *kl;
    size_t nkl, capkl;
    fx__index *killed;   /* (side << 32 | entry) -> index in kl */
    size_t kfrom;        /* killed records from this one on are looked for */
    fix *fx;
    size_t nfx, capfx;
    forced *fc;
    size_t nfc, capfc;
    uint32_t **rel;      /* model id -> the model ids its relations point at, NONE-ended */
    size_t nrel;
    unsigned char *hot;  /* model id -> has records deleted (this pass) */
    fx__index *info;     /* root -> rinfo */
    fx__index *text;     /* base entry -> "label key" (char *), for messages */
    fx__index *rtext;    /* root -> "label key" of the record that contested it */
    char **strs;         /* every string those hold, to free */
    size_t nstrs, capstrs;
    fx_buf tmp, msg, kbuf;
};

static int other(int s)
{
    return s == SO ? ST : SO;
}

static void follow(merge *m, const char *label, const char *key, const char *what,
                   const char *field, const char *cause, const char *hint);

/* ---------------------------------------------------------------- groups */

static uint32_t root(dnode *dn, uint32_t b)
{
    while (dn[b].parent != b) {
        dn[b].parent = dn[dn[b].parent].parent;
        b = dn[b].parent;
    }
    return b;
}

/* Put y's group under x's (x is what y was deleted with). */
static void unite(dnode *dn, uint32_t y, uint32_t x)
{
    y = root(dn, y);
    x = root(dn, x);
    if (y != x)
        dn[y].parent = x;
}

/* Does on_delete od of field f carry a delete over to the referring record
** as a deletion (CASCADE), or as Django would show it without the schema
** saying (unknown)? */
static int cascades(const fx_field_schema *f)
{
    return f->kind != FX_K_M2M &&
           (f->on_delete == FX_ON_DELETE_CASCADE || f->on_delete == FX_ON_DELETE_UNKNOWN);
}

/* A K-dep that never contests: the reference goes to null, the link goes. */
static int nullable(const fx_field_schema *f)
{
    return f->kind == FX_K_M2M || f->on_delete == FX_ON_DELETE_SET_NULL;
}

/* The group information of root rt, made when absent; NULL when out of
** memory (then a zeroed stand-in, so callers need not check). */
static rinfo *info(fx__mdel *d, uint32_t rt)
{
    static rinfo none;
    int existed;
    rinfo *ri = fx__index_put(d->info, rt, &existed);
    if (ri)
        return ri;
    memset(&none, 0, sizeof none);
    return &none;
}

static uint32_t edge_root(fx__mdel *d, const edge *e)
{
    if (e->tk) {
        const uint32_t *k = fx__index_get(d->killed, (uint64_t)e->rside << 32 | e->target);
        return k ? d->kl[*k].root : FX__NONE;
    }
    return root(d->dn, e->target);
}

/* ---------------------------------------------------------------- references */

/* The entry of file s that v (a reference by field f to model to) names:
** by pk, or by natural key; FX__NONE when none or not followed. */
static uint32_t resolve(merge *m, int s, const fx_field_schema *f, const fx_model_schema *to,
                        fx_value v)
{
    if (!to || f->to_field)
        return FX__NONE;
    if (v.type == FX_ARRAY) {
        fx_value vals[16];
        size_t n = 0;
        fx_iter it;
        if (!m->nat[s])
            return FX__NONE;
        fx_iter_init(&it, v);
        while (n < 16 && fx_iter_next(&it, NULL, &vals[n]))
            n++;
        const uint32_t *e = fx__index_get(m->nat[s], fx__natural_hash(&m->del->tmp, to->label,
                                                                       vals, n));
        return e ? *e : FX__NONE;
    }
    uint64_t k;
    int rc = fx__merge_ref_key(m, to, v, &k);
    return rc > 0 ? fx__kfile_find(&m->kf[s], k) : FX__NONE;
}

typedef struct hit {
    const fx_field_schema *f;
    uint32_t target;
    fx_value v;
} hit;

typedef struct walk {
    merge *m;
    int tfile;           /* file the targets are looked up in */
    int want;            /* base: deleting side of interest (0: either);
                            side: 0 */
    hit *h;
    size_t n, cap;
} walk;

/* fx_ref_fn: remember the references to a record of interest: a base
** record deleted on one side only (tfile SB), or a killed record. */
static int on_ref(void *ctx, const fx_record *rec, const fx_model_schema *mm,
                  const fx_field_schema *f, const fx_model_schema *to, fx_value v)
{
    walk *w = ctx;
    fx__mdel *d = w->m->del;
    uint32_t t = resolve(w->m, w->tfile, f, to, v);
    (void)rec;
    (void)mm;
    if (t == FX__NONE)
        return 0;
    const uint32_t *k = w->tfile == SB ? NULL
                        : fx__index_get(d->killed, (uint64_t)w->tfile << 32 | t);
    if (w->tfile == SB ? !d->dn[t].side || (w->want && d->dn[t].side != w->want)
                       : !k || *k < d->kfrom)
        return 0;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        hit *nh = realloc(w->h, cap * sizeof *nh);
        if (!nh)
            return FX_ENOMEM;
        w->h = nh;
        w->cap = cap;
    }
    w->h[w->n++] = (hit){f, t, v};
    return 0;
}

static int walk_refs(walk *w, const fx_record *rec)
{
    w->n = 0;
    return fx_record_refs(rec, w->m->opts->schema, on_ref, w) < 0 ? FX_ENOMEM : 0;
}

static int add_edge(fx__mdel *d, const edge *e0, fx_value v)
{
    if (d->ned == d->caped) {
        size_t cap = d->caped ? d->caped * 2 : 64;
        edge *ne = realloc(d->ed, cap * sizeof *ne);
        if (!ne)
            return FX_ENOMEM;
        d->ed = ne;
        d->caped = cap;
    }
    edge *e = &d->ed[d->ned];
    *e = *e0;
    e->cause = NULL;
    if (!(e->val = strndup(v.text, v.len)))
        return FX_ENOMEM;
    d->ned++;
    return 0;
}

/* Does the referring field of rec hold reference v too (the same value, or
** the member, for a many-to-many list)? */
static int holds(const fx_record *rec, const fx_field_schema *f, fx_value v)
{
    const fx_field *fd = rec ? fx_record_field(rec, f->name) : NULL;
    if (!fd)
        return 0;
    return f->kind == FX_K_M2M ? fx__set_has(fd->value, v) : fx_value_equal(fd->value, v);
}

/* ---------------------------------------------------------------- models */

/* The models each model's relations point at, as model ids. */
static int relations(merge *m)
{
    fx__mdel *d = m->del;
    d->nrel = m->id.nlabels;
    if (!(d->rel = calloc(d->nrel + 1, sizeof *d->rel)) || !(d->hot = calloc(d->nrel + 1, 1)))
        return FX_ENOMEM;
    for (uint32_t k = 0; k < d->nrel; k++) {
        const fx_model_schema *ms = fx__merge_model(m, k);
        size_t n = 0;
        if (!(d->rel[k] = malloc(((ms ? ms->nfields : 0) + 1) * sizeof **d->rel)))
            return FX_ENOMEM;
        for (size_t j = 0; ms && j < ms->nfields; j++) {
            const fx_field_schema *f = &ms->fields[j];
            if (f->kind != FX_K_FK && f->kind != FX_K_O2O && f->kind != FX_K_M2M)
                continue;
            for (uint32_t t = 0; t < d->nrel; t++)
                if (strcmp(m->id.labels[t], f->to) == 0) {
                    d->rel[k][n++] = t;
                    break;
                }
        }
        d->rel[k][n] = FX__NONE;
    }
    return 0;
}

/* Can a record of model k refer to a model marked hot? */
static int refers_hot(const fx__mdel *d, uint32_t k)
{
    for (const uint32_t *t = d->rel[k]; *t != FX__NONE; t++)
        if (d->hot[*t])
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- finding */

/* Base records deleted on one side only; 0 when there are none. */
static size_t mark_deleted(merge *m)
{
    fx__mdel *d = m->del;
    fx__kfile *B = &m->kf[SB];
    size_t n = 0;
    for (uint32_t b = 0; b < B->n; b++) {
        d->dn[b].parent = b;
        if (B->e[b].flags & FX__DEAD)
            continue;
        int ino = fx__kfile_find(&m->kf[SO], B->e[b].key) != FX__NONE;
        int int_ = fx__kfile_find(&m->kf[ST], B->e[b].key) != FX__NONE;
        if (ino == int_)
            continue;
        d->dn[b].side = (uint8_t)(ino ? ST : SO);
        d->hot[B->e[b].model] = 1;
        n++;
    }
    return n;
}

/* Pass over base: groups (CASCADE between records D deleted), references
** D set to null or links it dropped, and K-deps of records K kept as they
** were in base. */
static int scan_base(merge *m, walk *w)
{
    fx__mdel *d = m->del;
    fx__kfile *B = &m->kf[SB];
    for (uint32_t b = 0; b < B->n; b++) {
        const fx__kentry *e = &B->e[b];
        if ((e->flags & FX__DEAD) || !refers_hot(d, e->model))
            continue;
        uint32_t in[3] = {b, fx__kfile_find(&m->kf[SO], e->key),
                          fx__kfile_find(&m->kf[ST], e->key)};
        int changed[3] = {0, in[SO] != FX__NONE && m->kf[SO].e[in[SO]].hash != e->hash,
                          in[ST] != FX__NONE && m->kf[ST].e[in[ST]].hash != e->hash};
        if (!d->dn[b].side && !changed[SO] && !changed[ST])
            continue;          /* kept as it was on both: nothing deleted with it */
        const fx_record *rec;
        int rc;
        if ((rc = fx__kfile_fetch(B, b, &rec, m->err)) < 0)
            return rc;
        w->tfile = SB;
        w->want = 0;
        if (walk_refs(w, rec) < 0)
            return FX_ENOMEM;
        if (!w->n)
            continue;
        if (d->dn[b].side) {
            int D = d->dn[b].side, K = other(D);
            for (size_t k = 0; k < w->n; k++) {
                hit *h = &w->h[k];
                if (d->dn[h->target].side != D)
                    continue;
                if (cascades(h->f)) {
                    unite(d->dn, b, h->target);
                } else if (!changed[K]) {   /* a changed one: from scan_side() */
                    edge ed = {in[K], b, h->target, b, h->f, NULL, NULL, (uint8_t)K, E_KDEP, 0};
                    if (add_edge(d, &ed, h->v) < 0)
                        return FX_ENOMEM;
                }
            }
            continue;
        }
        for (int D = SO; D <= ST; D++) {
            const fx_record *dr = NULL;
            if (!changed[D])
                continue;
            for (size_t k = 0; k < w->n; k++) {
                hit *h = &w->h[k];
                if (d->dn[h->target].side != D)
                    continue;
                if (h->f->kind != FX_K_M2M && h->f->on_delete != FX_ON_DELETE_SET_NULL &&
                    h->f->on_delete != FX_ON_DELETE_UNKNOWN)
                    continue;             /* not something a delete nulls */
                if (!dr && (rc = fx__kfile_fetch(&m->kf[D], in[D], &dr, m->err)) < 0)
                    return rc;
                const fx_field *fd = fx_record_field(dr, h->f->name);
                if (!fd || (h->f->kind == FX_K_M2M ? fx__set_has(fd->value, h->v)
                                                   : fd->value.type != FX_NULL))
                    continue;             /* still there: not this delete's doing */
                edge ed = {in[D], b, h->target, FX__NONE, h->f, NULL, NULL, (uint8_t)D,
                           h->f->kind == FX_K_M2M ? E_UNLINKED : E_NULLED, 0};
                if (add_edge(d, &ed, h->v) < 0)
                    return FX_ENOMEM;
            }
        }
    }
    return 0;
}

/* Pass over side K: its new and changed records that refer to records D
** deleted (tk 0), or to records K added that are killed (tk 1). */
static int scan_side(merge *m, walk *w, int K, int tk)
{
    fx__mdel *d = m->del;
    fx__kfile *S = &m->kf[K], *B = &m->kf[SB];
    int D = other(K);
    for (uint32_t i = 0; i < S->n; i++) {
        const fx__kentry *e = &S->e[i];
        if ((e->flags & FX__DEAD) || !refers_hot(d, e->model))
            continue;
        if (tk && fx__index_get(d->killed, (uint64_t)K << 32 | i))
            continue;
        uint32_t b = fx__kfile_find(B, e->key);
        if (b != FX__NONE && B->e[b].hash == e->hash)
            continue;             /* as in base: scan_base() saw its references */
        const fx_record *rec, *br = NULL;
        int rc;
        if ((rc = fx__kfile_fetch(S, i, &rec, m->err)) < 0)
            return rc;
        w->tfile = tk ? K : SB;
        w->want = tk ? 0 : D;
        if (walk_refs(w, rec) < 0)
            return FX_ENOMEM;
        uint32_t holder = !tk && b != FX__NONE && d->dn[b].side == D ? b : FX__NONE;
        for (size_t k = 0; k < w->n; k++) {
            hit *h = &w->h[k];
            if (b != FX__NONE && !tk && holder == FX__NONE) {
                if (!br && (rc = fx__kfile_fetch(B, b, &br, m->err)) < 0)
                    return rc;
                if (holds(br, h->f, h->v))
                    continue;     /* base's reference: scan_base() saw it */
            }
            if (holder != FX__NONE && cascades(h->f)) {
                unite(d->dn, holder, h->target);
                continue;
            }
            edge ed = {i, b, h->target, holder, h->f, NULL, NULL, (uint8_t)K, E_KDEP,
                       (uint8_t)tk};
            if (add_edge(d, &ed, h->v) < 0)
                return FX_ENOMEM;
        }
    }
    return 0;
}

static int add_kill(fx__mdel *d, int side, uint32_t entry, uint32_t rt, uint32_t edge_i)
{
    int existed;
    uint32_t *slot = fx__index_put(d->killed, (uint64_t)side << 32 | entry, &existed);
    if (!slot)
        return FX_ENOMEM;
    if (existed)
        return 0;
    if (d->nkl == d->capkl) {
        size_t cap = d->capkl ? d->capkl * 2 : 16;
        kill *nk = realloc(d->kl, cap * sizeof *nk);
        if (!nk)
            return FX_ENOMEM;
        d->kl = nk;
        d->capkl = cap;
    }
    *slot = (uint32_t)d->nkl;
    d->kl[d->nkl++] = (kill){entry, rt, edge_i, (uint8_t)side, 0};
    return 1;
}

/* What K's references to a group say about it: contest flags, and the
** records K added that go with it by CASCADE (and theirs, transitively). */
static int kdeps(merge *m, walk *w, size_t from)
{
    fx__mdel *d = m->del;
    size_t nkl0 = d->nkl;
    for (size_t k = from; k < d->ned; k++) {
        edge *e = &d->ed[k];
        if (e->kind != E_KDEP || e->holder != FX__NONE)
            continue;
        uint32_t rt = edge_root(d, e);
        if (rt == FX__NONE || nullable(e->f))
            continue;
        dnode *r = &d->dn[rt];
        rinfo *ri;
        uint8_t flag = e->f->on_delete == FX_ON_DELETE_CASCADE
                           ? (e->rbase == FX__NONE ? G_KCASCADE : G_KUNKNOWN)
                       : e->f->on_delete == FX_ON_DELETE_PROTECT ||
                               e->f->on_delete == FX_ON_DELETE_RESTRICT
                           ? G_KPROTECT
                           : G_KUNKNOWN;
        if (!(r->flags & (G_CHANGED | G_KCASCADE | G_KPROTECT | G_KUNKNOWN))) {
            ri = info(d, rt);
            ri->reason = e->rentry;
            ri->rside = e->rside;
        }
        r->flags |= flag;
        if (flag == G_KCASCADE && add_kill(d, e->rside, e->rentry, rt, (uint32_t)k) < 0)
            return FX_ENOMEM;
    }
    if (d->nkl == nkl0)
        return 0;
    /* The records that refer to those just killed, on their side. */
    size_t ned0 = d->ned;
    d->kfrom = nkl0;
    for (int K = SO; K <= ST; K++) {
        memset(d->hot, 0, d->nrel);
        int any = 0;
        for (size_t k = nkl0; k < d->nkl; k++)
            if (d->kl[k].side == K)
                any = d->hot[m->kf[K].e[d->kl[k].entry].model] = 1;
        if (any && scan_side(m, w, K, 1) < 0)
            return FX_ENOMEM;
    }
    return kdeps(m, w, ned0);
}

/* ---------------------------------------------------------------- deciding */

/* Does the strategy take side K's view? */
static int kwins(const merge *m, int K)
{
    fx_strategy strat = m->opts->strategy;
    return strat && (strat == FX_STRATEGY_OURS) == (K == SO);
}

static void fates(merge *m)
{
    fx__mdel *d = m->del;
    fx_strategy strat = m->opts->strategy;
    for (uint32_t b = 0; b < d->nb; b++) {
        dnode *n = &d->dn[b];
        if (!n->side || n->parent != b)
            continue;
        int D = n->side, K = other(D);
        if (!(n->flags & (G_CHANGED | G_KCASCADE | G_KPROTECT | G_KUNKNOWN)))
            n->fate = FX__FATE_DELETE;
        else if (!strat)
            n->fate = FX__FATE_CONFLICT;
        else if (kwins(m, K) || (n->flags & G_KPROTECT))
            n->fate = FX__FATE_KEEP;
        else if (n->flags & G_KUNKNOWN)
            n->fate = FX__FATE_CONFLICT;
        else
            n->fate = FX__FATE_DELETE;
    }
    /* A record a kept group keeps needs what it refers to, unless the
    ** reference can go to null (or the link go). */
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < d->ned; k++) {
            edge *e = &d->ed[k];
            if (e->kind != E_KDEP || e->holder == FX__NONE || nullable(e->f))
                continue;
            uint32_t tr = root(d->dn, e->target);
            dnode *h = &d->dn[root(d->dn, e->holder)], *t = &d->dn[tr];
            int want = h->fate == FX__FATE_KEEP ? FX__FATE_KEEP
                       : h->fate == FX__FATE_CONFLICT ? FX__FATE_CONFLICT : 0;
            if (want && t->fate == FX__FATE_DELETE) {
                t->fate = (uint8_t)want;
                t->flags |= G_SPREAD;
                info(d, tr)->reason = e->holder;
                info(d, tr)->rside = SB;
                changed = 1;
            }
        }
    }
}

static int add_fix(fx__mdel *d, int side, uint32_t entry, uint32_t edge_i, int act)
{
    if (d->nfx == d->capfx) {
        size_t cap = d->capfx ? d->capfx * 2 : 16;
        fix *nf = realloc(d->fx, cap * sizeof *nf);
        if (!nf)
            return FX_ENOMEM;
        d->fx = nf;
        d->capfx = cap;
    }
    d->fx[d->nfx++] = (fix){entry, edge_i, (uint8_t)side, (uint8_t)act};
    return 0;
}

static int cmp_fix(const void *x, const void *y)
{
    const fix *a = x, *b = y;
    if (a->side != b->side)
        return a->side < b->side ? -1 : 1;
    if (a->entry != b->entry)
        return a->entry < b->entry ? -1 : 1;
    return (a->edge > b->edge) - (a->edge < b->edge);
}

static int cmp_forced(const void *x, const void *y)
{
    const forced *a = x, *b = y;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* "label key" of entry i of file s, into a fresh string. */
static char *describe(merge *m, int s, uint32_t i)
{
    const fx_record *rec;
    if (fx__kfile_fetch(&m->kf[s], i, &rec, m->err) < 0)
        return NULL;
    const char *key = fx__merge_key_of(m, rec, &m->del->kbuf);
    size_t n = strlen(rec->label) + strlen(key) + 2;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%s %s", rec->label, key);
    return t;
}

/* The text of base entry b, kept for messages. */
/* Keep t (malloc'd; NULL: out of memory) under key b of ix; t or NULL. */
static char *keep_text(fx__mdel *d, fx__index *ix, uint32_t b, char *t)
{
    int existed;
    char **slot;
    if (!t)
        return NULL;
    if (d->nstrs == d->capstrs) {
        size_t cap = d->capstrs ? d->capstrs * 2 : 16;
        char **ns = realloc(d->strs, cap * sizeof *ns);
        if (!ns) {
            free(t);
            return NULL;
        }
        d->strs = ns;
        d->capstrs = cap;
    }
    if (!(slot = fx__index_put(ix, b, &existed))) {
        free(t);
        return NULL;
    }
    d->strs[d->nstrs++] = t;
    *slot = t;
    return t;
}

static const char *text_of(const fx__index *ix, uint32_t b)
{
    char *const *slot = fx__index_get(ix, b);
    return slot ? *slot : NULL;
}

static const char *base_text(merge *m, uint32_t b)
{
    fx__mdel *d = m->del;
    const char *t = text_of(d->text, b);
    return t ? t : keep_text(d, d->text, b, describe(m, SB, b));
}

/* What each edge does once the fates are known. */
static int consequences(merge *m)
{
    fx__mdel *d = m->del;
    for (size_t k = 0; k < d->ned; k++) {
        edge *e = &d->ed[k];
        uint32_t rt = edge_root(d, e);
        if (rt == FX__NONE)
            continue;
        int fate = d->dn[rt].fate, act = 0;
        if (e->kind == E_NULLED || e->kind == E_UNLINKED) {
            info(d, rt)->nnulls++;
            if (fate == FX__FATE_KEEP) {
                act = e->kind == E_NULLED ? A_REVERT : A_RELINK;
            } else if (fate == FX__FATE_CONFLICT) {
                if (d->nfc == d->capfc) {
                    size_t cap = d->capfc ? d->capfc * 2 : 16;
                    forced *nf = realloc(d->fc, cap * sizeof *nf);
                    if (!nf)
                        return FX_ENOMEM;
                    d->fc = nf;
                    d->capfc = cap;
                }
                d->fc[d->nfc++] = (forced){e->rbase, e->f->name};
            }
        } else if (fate == FX__FATE_DELETE && nullable(e->f) &&
                   (e->holder == FX__NONE ||
                    d->dn[root(d->dn, e->holder)].fate == FX__FATE_KEEP)) {
            act = e->f->kind == FX_K_M2M ? A_UNLINK : A_NULL;
        }
        if (act && add_fix(d, e->rside, e->rentry, (uint32_t)k, act) < 0)
            return FX_ENOMEM;
        int depends = e->kind == E_KDEP && e->holder == FX__NONE && fate == FX__FATE_CONFLICT;
        if (act || depends) {
            e->cause = e->tk ? describe(m, e->rside, e->target)
                             : base_text(m, e->target) ? strdup(base_text(m, e->target)) : NULL;
            if (!e->cause)
                return FX_ENOMEM;
        }
        if (depends) {          /* named, so that whoever decides knows */
            const fx_record *rec;
            int rc;
            if ((rc = fx__kfile_fetch(&m->kf[e->rside], e->rentry, &rec, m->err)) < 0)
                return rc;
            fx_buf_reset(&d->msg);
            fx_buf_printf(&d->msg, "%s added or changed it to refer to %s, which %s "
                          "deleted (a conflict): if you delete that one, change or delete "
                          "this one too", fx__merge_side(e->rside), e->cause,
                          fx__merge_side(other(e->rside)));
            follow(m, rec->label, fx__merge_key_of(m, rec, &d->kbuf), "depends", e->f->name,
                   e->cause, d->msg.data);
        }
    }
    if (d->nfx)
        qsort(d->fx, d->nfx, sizeof *d->fx, cmp_fix);
    if (d->nfc)
        qsort(d->fc, d->nfc, sizeof *d->fc, cmp_forced);
    /* Decisions see records as they will be written. */
    for (size_t k = 0; k < d->nfx; k++) {
        if (k && d->fx[k].side == d->fx[k - 1].side && d->fx[k].entry == d->fx[k - 1].entry)
            continue;
        const fx_record *rec;
        fx_record *own;
        int rc = fx__merge_get(m, d->fx[k].side, d->fx[k].entry, &rec, &own);
        if (rc < 0)
            return rc;
        m->kf[d->fx[k].side].e[d->fx[k].entry].hash = fx_record_hash(rec);
        fx_record_free(own);
    }
    return 0;
}

int fx__mdel_plan(merge *m)
{
    walk w;
    int rc = FX_ENOMEM;
    if (!m->opts->schema || !m->kf[SB].n)
        return 0;
    fx__mdel *d = m->del = calloc(1, sizeof *m->del);
    memset(&w, 0, sizeof w);
    w.m = m;
    if (!d || !(d->dn = calloc(m->kf[SB].n, sizeof *d->dn)) ||
        fx__index_new(&d->info, sizeof(rinfo)) < 0 ||
        fx__index_new(&d->text, sizeof(char *)) < 0 ||
        fx__index_new(&d->rtext, sizeof(char *)) < 0 || relations(m) < 0 ||
        fx__index_new(&d->killed, sizeof(uint32_t)) < 0)
        goto done;
    d->nb = m->kf[SB].n;
    if (!mark_deleted(m)) {
        rc = 0;
        goto done;
    }
    if ((rc = scan_base(m, &w)) < 0)
        goto done;
    for (int K = SO; K <= ST; K++) {
        memset(d->hot, 0, d->nrel);
        int any = 0;
        for (uint32_t b = 0; b < d->nb; b++)
            if (d->dn[b].side == other(K))
                any = d->hot[m->kf[SB].e[b].model] = 1;
        if (any && (rc = scan_side(m, &w, K, 0)) < 0)
            goto done;
    }
    /* Group sizes, and what K changed. */
    for (uint32_t b = 0; b < d->nb; b++) {
        dnode *n = &d->dn[b];
        if (!n->side)
            continue;
        uint32_t rt = root(d->dn, b);
        dnode *r = &d->dn[rt];
        rinfo *ri = info(d, rt);
        int K = other(n->side);
        uint32_t k = fx__kfile_find(&m->kf[K], m->kf[SB].e[b].key);
        ri->nmembers++;
        if (m->kf[K].e[k].hash != m->kf[SB].e[b].hash) {
            n->kchanged = 1;
            if (!(r->flags & G_CHANGED)) {
                ri->reason = b;
                ri->rside = SB;
            }
            r->flags |= G_CHANGED;
        }
    }
    if ((rc = kdeps(m, &w, 0)) < 0)
        goto done;
    fates(m);
    /* The texts messages need, read now: once records are being written,
    ** reading another one would take the place of those held. */
    for (uint32_t b = 0; b < d->nb; b++) {
        dnode *n = &d->dn[b];
        if (!n->side || n->parent != b || n->fate == FX__FATE_DELETE)
            continue;
        rinfo ri = *info(d, b);
        const char *why = ri.rside == SB ? base_text(m, ri.reason) : NULL;
        if (!base_text(m, b) ||
            !keep_text(d, d->rtext, b, ri.rside == SB ? (why ? strdup(why) : NULL)
                                                      : describe(m, (int)ri.rside, ri.reason)))
            goto done;
    }
    rc = consequences(m);
done:
    free(w.h);
    if (rc == FX_ENOMEM)
        rc = fx__merge_nomem(m);
    return rc;
}

/* ---------------------------------------------------------------- asking */

int fx__mdel_fate(const merge *m, uint32_t b)
{
    fx__mdel *d = m->del;
    if (!d || !d->dn || b >= d->nb || !d->dn[b].side)
        return FX__FATE_NONE;
    return d->dn[root(d->dn, b)].fate;
}

/* The reason a group was contested, as "label key" (read by the plan). */
static const char *reason_text(const fx__mdel *d, const dnode *r)
{
    const char *t = text_of(d->rtext, (uint32_t)(r - d->dn));
    return t ? t : "?";
}

/* The text of a root or a record already described by the plan. */
static const char *known_text(const fx__mdel *d, uint32_t b)
{
    const char *t = text_of(d->text, b);
    return t ? t : "?";
}

static void follow(merge *m, const char *label, const char *key, const char *what,
                   const char *field, const char *cause, const char *hint)
{
    fx__mdel *d = m->del;
    fx_merge_event ev = {FX_MERGE_FOLLOW, label, key, what, &field, field ? 1 : 0, NULL, hint,
                         NULL, NULL, 0, NULL, NULL, NULL, NULL};
    const char *sp = cause ? strchr(cause, ' ') : NULL;
    fx_buf_reset(&d->tmp);
    if (sp && fx_buf_add(&d->tmp, cause, (size_t)(sp - cause)) == 0 &&
        fx_buf_addc(&d->tmp, '\0') == 0) {
        ev.cause_label = d->tmp.data;
        ev.cause_key = sp + 1;
    }
    fx__merge_event(m, &ev);
}

int fx__mdel_decided(merge *m, uint32_t b)
{
    fx__mdel *d = m->del;
    dnode *n = &d->dn[b], *r = &d->dn[root(d->dn, b)];
    int D = n->side, K = other(D), changed = n->kchanged;
    const fx_record *rec;
    int rc;
    if (r->fate == FX__FATE_CONFLICT || (r->fate == FX__FATE_DELETE && !changed))
        return 0;
    if ((rc = fx__kfile_fetch(&m->kf[SB], b, &rec, m->err)) < 0)
        return rc;
    char *label = strdup(rec->label), *key = strdup(fx__merge_key_of(m, rec, &d->kbuf));
    if (!label || !key)
        goto oom;
    if (changed) {
        /* A delete against a change, decided by the strategy. */
        m->st.resolved++;
        fx_merge_event ev = {FX_MERGE_RESOLVED, label, key,
                             K == SO ? "modify/delete" : "delete/modify", NULL, 0, NULL,
                             NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL};
        fx__merge_event(m, &ev);
    } else {
        uint32_t rt = (uint32_t)(r - d->dn);
        const char *why = reason_text(d, r), *cause = b == rt ? why : known_text(d, rt);
        const char *what = "restored";
        fx_buf_reset(&d->msg);
        if (b != rt)
            fx_buf_printf(&d->msg, "%s deleted it with %s, which the merge keeps",
                          fx__merge_side(D), known_text(d, rt));
        else if (r->flags & G_SPREAD)
            fx_buf_printf(&d->msg, "%s deleted it, and %s, which the merge keeps, refers "
                          "to it", fx__merge_side(D), why);
        else if (info(d, rt)->rside == SB)
            fx_buf_printf(&d->msg, "%s deleted it with %s, which %s changed: the merge "
                          "keeps both", fx__merge_side(D), why, fx__merge_side(K));
        else if ((r->flags & G_KPROTECT) && !kwins(m, K)) {
            what = "protected";
            fx_buf_printf(&d->msg, "%s deleted it, but %s's %s refers to it with "
                          "on_delete PROTECT or RESTRICT, which forbids that: kept",
                          fx__merge_side(D), fx__merge_side(K), why);
        } else
            fx_buf_printf(&d->msg, "%s deleted it, and %s's %s refers to it: kept",
                          fx__merge_side(D), fx__merge_side(K), why);
        if (!d->msg.data)
            goto oom;
        m->st.restored++;
        follow(m, label, key, what, NULL, cause, d->msg.data);
    }
    free(label);
    free(key);
    return 0;
oom:
    free(label);
    free(key);
    return fx__merge_nomem(m);
}

int fx__mdel_killed(const merge *m, int s, uint32_t i)
{
    fx__mdel *d = m->del;
    const uint32_t *k = d && d->killed ? fx__index_get(d->killed, (uint64_t)s << 32 | i) : NULL;
    return k && d->dn[d->kl[*k].root].fate == FX__FATE_DELETE;
}

int fx__mdel_report_killed(merge *m, int s, uint32_t i)
{
    fx__mdel *d = m->del;
    kill *kl = &d->kl[*(const uint32_t *)fx__index_get(d->killed, (uint64_t)s << 32 | i)];
    edge *e = &d->ed[kl->edge];
    const fx_record *rec;
    int rc;
    if (kl->reported)
        return 0;
    kl->reported = 1;
    if (!e->cause && !(e->cause = e->tk ? describe(m, e->rside, e->target)
                                        : base_text(m, e->target) ? strdup(base_text(m, e->target))
                                                                  : NULL))
        return fx__merge_nomem(m);
    if ((rc = fx__kfile_fetch(&m->kf[s], i, &rec, m->err)) < 0)
        return rc;
    m->st.deleted++;
    m->st.cascaded++;
    fx_buf_reset(&d->msg);
    fx_buf_printf(&d->msg, "%s added it to %s, which the merge deletes (%s deleted it; "
                  "on_delete CASCADE)", fx__merge_side(s), e->cause,
                  fx__merge_side(other(s)));
    follow(m, rec->label, fx__merge_key_of(m, rec, &d->kbuf), "deleted", e->f->name, e->cause,
           d->msg.data);
    return 0;
}

int fx__mdel_forced_any(const merge *m, uint32_t b)
{
    const fx__mdel *d = m->del;
    size_t lo = 0, hi = d ? d->nfc : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->fc[mid].b < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return d && lo < d->nfc && d->fc[lo].b == b;
}

int fx__mdel_forced(const merge *m, uint32_t b, const char *name)
{
    const fx__mdel *d = m->del;
    for (size_t k = 0; d && k < d->nfc; k++)     /* few: a conflict's nulls */
        if (d->fc[k].b == b && strcmp(d->fc[k].name, name) == 0)
            return 1;
    return 0;
}

const char *fx__mdel_block_hint(merge *m, uint32_t b, const char **what)
{
    fx__mdel *d = m->del;
    if (!d->dn || b >= d->nb || !d->dn[b].side)
        return NULL;
    dnode *n = &d->dn[b], *r = &d->dn[root(d->dn, b)];
    uint32_t rt = (uint32_t)(r - d->dn);
    int D = n->side, K = other(D);
    fx_buf_reset(&d->msg);
    if (!n->kchanged) {
        *what = "cascade";
        if (b == rt)
            fx_buf_printf(&d->msg, "%s deleted it, and %s's %s refers to it%s: keep it "
                          "and the records deleted with it, or delete them all",
                          fx__merge_side(D), fx__merge_side(K), reason_text(d, r),
                          r->flags & G_SPREAD ? " and is kept" : "");
        else
            fx_buf_printf(&d->msg, "%s deleted it with %s, which is a conflict: keep it "
                          "if you keep that one, delete it if you delete that one",
                          fx__merge_side(D), known_text(d, rt));
    } else if (info(d, rt)->nmembers > 1 || info(d, rt)->nnulls || (r->flags & ~G_CHANGED)) {
        rinfo ri = *info(d, rt);
        fx_buf_adds(&d->msg, "keep the changed record or delete it, and the markers; ");
        if (ri.nmembers > 1)
            fx_buf_printf(&d->msg, "%s deleted %" PRIu32 " other record%s with it",
                          fx__merge_side(D), ri.nmembers - 1, ri.nmembers == 2 ? "" : "s");
        if (ri.nnulls)
            fx_buf_printf(&d->msg, "%s set %" PRIu32 " reference%s to it to null",
                          ri.nmembers > 1 ? " and" : fx__merge_side(D), ri.nnulls,
                          ri.nnulls == 1 ? "" : "s");
        if (ri.nmembers == 1 && !ri.nnulls)
            fx_buf_printf(&d->msg, "%s's records refer to it", fx__merge_side(K));
        fx_buf_adds(&d->msg, ": decide them the same way");
        if (m->opts->strategy)
            fx_buf_printf(&d->msg, " (--strategy cannot: %s refers to it by a field whose "
                          "on_delete the schema does not give, or fxmerge cannot carry "
                          "over; add on_delete to the schema)", fx__merge_side(K));
    }
    return d->msg.len ? d->msg.data : NULL;
}

/* ---------------------------------------------------------------- applying */

/* list without the members equal to v, as JSON text in out. */
static int unlink_member(fx_buf *out, fx_value list, const char *v)
{
    fx_iter it;
    fx_value e;
    fx_value want = {FX_NULL, v, strlen(v)};
    fx_type t;
    int first = 1;
    if (!fx__json_valid(v, want.len, &t))
        return FX_ERROR;
    want.type = t;
    if (fx_buf_addc(out, '['))
        return FX_ENOMEM;
    fx_iter_init(&it, list);
    while (fx_iter_next(&it, NULL, &e)) {
        if (fx_value_equal(e, want))
            continue;
        if ((!first && fx_buf_adds(out, ", ")) || fx_buf_add(out, e.text, e.len))
            return FX_ENOMEM;
        first = 0;
    }
    return fx_buf_addc(out, ']');
}

/* The first fix of side s's entry i, or d->nfx. */
static size_t first_fix(const fx__mdel *d, int s, uint32_t i)
{
    size_t lo = 0, hi = d->nfx;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const fix *f = &d->fx[mid];
        if (f->side < s || (f->side == s && f->entry < i))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->nfx && d->fx[lo].side == s && d->fx[lo].entry == i ? lo : d->nfx;
}

int fx__mdel_fixed(const merge *m, int s, uint32_t i)
{
    return m->del && i != FX__NONE && first_fix(m->del, s, i) < m->del->nfx;
}

int fx__mdel_apply(merge *m, int s, uint32_t i, const fx_record **rec, fx_record **own,
                   int report)
{
    fx__mdel *d = m->del;
    size_t lo = first_fix(d, s, i);
    if (lo == d->nfx)
        return 0;
    if (!*own) {
        if (fx_record_copy(own, *rec) < 0)
            return fx__merge_nomem(m);
        *rec = *own;
    }
    for (; lo < d->nfx && d->fx[lo].side == s && d->fx[lo].entry == i; lo++) {
        const fix *f = &d->fx[lo];
        const edge *e = &d->ed[f->edge];
        const fx_field *fd = fx_record_field(*own, e->f->name);
        int rc = 0;
        fx_buf_reset(&d->tmp);
        switch (f->act) {
        case A_REVERT:
            rc = fx_record_set(*own, 0, e->f->name, e->val, strlen(e->val));
            break;
        case A_NULL:
            if (!fd || !fx_value_equal(fd->value, (fx_value){fx__value_type(e->val), e->val,
                                                            strlen(e->val)}))
                continue;             /* it refers elsewhere now */
            rc = fx_record_set(*own, 0, e->f->name, "null", 4);
            break;
        case A_RELINK: {         /* the members it has, then the one put back */
            fx_iter it;
            fx_value x, v = {fx__value_type(e->val), e->val, strlen(e->val)};
            int first = 1;
            if (fd && fx__set_has(fd->value, v))
                continue;
            rc = fx_buf_addc(&d->tmp, '[');
            if (fd && fd->value.type == FX_ARRAY) {
                fx_iter_init(&it, fd->value);
                while (!rc && fx_iter_next(&it, NULL, &x)) {
                    rc = (!first && fx_buf_adds(&d->tmp, ", ")) ||
                         fx_buf_add(&d->tmp, x.text, x.len);
                    first = 0;
                }
            }
            rc = rc || (!first && fx_buf_adds(&d->tmp, ", ")) || fx_buf_adds(&d->tmp, e->val) ||
                 fx_buf_addc(&d->tmp, ']');
            rc = rc ? FX_ENOMEM
                    : fx_record_set(*own, 0, e->f->name, d->tmp.data, d->tmp.len);
            break;
        }
        case A_UNLINK:
            if (!fd || fd->value.type != FX_ARRAY)
                continue;
            rc = unlink_member(&d->tmp, fd->value, e->val);
            rc = rc ? rc : fx_record_set(*own, 0, e->f->name, d->tmp.data, d->tmp.len);
            break;
        }
        if (rc < 0)
            return rc == FX_ENOMEM ? fx__merge_nomem(m)
                                   : fx_error_set(m->err, rc, NULL, 0, 0, 0,
                                                  "cannot change %s: a bug", e->f->name);
        if (!report)
            continue;
        int revert = f->act == A_REVERT || f->act == A_RELINK;
        int D = revert ? s : other(s);
        fx_buf_reset(&d->msg);
        if (revert) {
            m->st.reverted++;
            fx_buf_printf(&d->msg, "%s %s when it deleted %s, which the merge keeps: put "
                          "back", fx__merge_side(D),
                          f->act == A_REVERT ? "set it to null" : "dropped the link",
                          e->cause);
        } else {
            m->st.nulled++;
            fx_buf_printf(&d->msg, "%s deleted %s, which the merge deletes (%s)",
                          fx__merge_side(D), e->cause,
                          f->act == A_NULL ? "on_delete SET_NULL" : "its links go with it");
        }
        follow(m, (*own)->label, fx__merge_key_of(m, *own, &d->kbuf),
               f->act == A_REVERT ? "reverted" : f->act == A_RELINK ? "relinked"
               : f->act == A_NULL ? "nulled" : "unlinked",
               e->f->name, e->cause, d->msg.data);
    }
    return 0;
}

void fx__mdel_free(fx__mdel *d)
{
    if (!d)
        return;
    for (size_t k = 0; k < d->ned; k++) {
        free(d->ed[k].val);
        free(d->ed[k].cause);
    }
    for (size_t k = 0; k < d->nstrs; k++)
        free(d->strs[k]);
    free(d->strs);
    fx__index_free(d->info);
    fx__index_free(d->text);
    fx__index_free(d->rtext);
    for (size_t k = 0; d->rel && k < d->nrel; k++)
        free(d->rel[k]);
    free(d->rel);
    free(d->hot);
    free(d->dn);
    free(d->ed);
    free(d->kl);
    free(d->fx);
    free(d->fc);
    fx__index_free(d->killed);
    fx_buf_free(&d->tmp);
    fx_buf_free(&d->msg);
    fx_buf_free(&d->kbuf);
    free(d);
}
