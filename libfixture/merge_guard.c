/*
** merge_guard.c: stop a merge that is almost certainly a mistake before it
** deletes anything (fx_merge(), after the three files are loaded).
**
** A record BASE has and a side lacks is, to a three-way merge, a record
** that side deleted.  These sides did not delete what they lack, and a
** merge would delete it everywhere it is loaded:
**
**   empty      the side holds no record, BASE holds some (an export that
**              failed or was cut short, "[]");
**   models     the side holds no record of a model BASE has records of (an
**              export made with other --exclude options or app labels);
**   most       the side lacks more than half of BASE's records, at least
**              MOST_MIN of them (an export of part of the database);
**   older      the side is older than BASE: BASE has records the side
**              lacks (at least OLDER_MIN), every one of them newer than
**              anything the side has, and the side adds nothing newer than
**              BASE.  Newer by the records' own ids: each such record with
**              an integer pk has a pk above the side's largest pk of its
**              model (ids only grow: Django's SQLite tables use
**              AUTOINCREMENT, PostgreSQL sequences do not go back), and the
**              side has no record BASE lacks with a pk above BASE's largest
**              of its model.  When none of those records has an integer pk,
**              by their timestamps (datetime fields, per the schema): the
**              latest among them is later than every timestamp the side
**              has, and the side has no record BASE lacks at all.  And the
**              third file agrees: for OURS, THEIRS does not have all of
**              those records as BASE has them (given swapped, BASE is the
**              local export, whose new records the online side never saw,
**              though it may have made some the same); for THEIRS,
**              OURS has every one of them (the local side still has what it
**              created before the last sync, which a stale THEIRS lacks).
**              Without that, a side that deleted its newest records and
**              created nothing since is no mistake.
**
** For OURS, each of them stops the merge (FX_EUSAGE: nothing is written)
** unless opts->allow_mass_delete; "older" then means BASE and OURS given in
** the wrong order.  For THEIRS, "older" is a warning: a THEIRS exported
** before the last sync and merged then already (a stale export) looks like
** that when OURS created records before that sync, and merged again it
** deletes them.  Deletes of some records, however many, are never stopped
** when the side keeps records of the model and most of the file.
*/
#include "merge_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define MOST_MIN 10          /* "most of the file": at least this many */
#define OLDER_MIN 2          /* "older": at least this many newer records */
#define NAMED 3              /* models or records named in a message */

#define HINT "export again with the same options as BASE (dumpdata --exclude, app " \
             "labels), or pass --allow-mass-delete if they were really deleted"

typedef struct side_count {
    uint64_t *base, *side;   /* model id -> live records */
    uint64_t nbase, nside;   /* live records in all */
    uint64_t lost;           /* base records the side lacks */
    uint64_t added;          /* side records base lacks */
} side_count;

static int count(merge *m, int s, side_count *c)
{
    size_t nl = m->id.nlabels;
    memset(c, 0, sizeof *c);
    c->base = calloc(nl + 1, sizeof *c->base);
    c->side = calloc(nl + 1, sizeof *c->side);
    if (!c->base || !c->side)
        return FX_ENOMEM;
    const fx__kfile *B = &m->kf[SB], *S = &m->kf[s];
    for (uint32_t i = 0; i < B->n; i++) {
        if (B->e[i].flags & FX__DEAD)
            continue;
        c->base[B->e[i].model]++;
        c->nbase++;
        c->lost += fx__kfile_find(S, B->e[i].key) == FX__NONE;
    }
    for (uint32_t i = 0; i < S->n; i++) {
        if (S->e[i].flags & FX__DEAD)
            continue;
        c->side[S->e[i].model]++;
        c->nside++;
        c->added += fx__kfile_find(B, S->e[i].key) == FX__NONE;
    }
    return 0;
}

static void count_free(side_count *c)
{
    free(c->base);
    free(c->side);
}

/* Append ", label (N in BASE)" for the models side s has none of. */
static int lost_models(merge *m, const side_count *c, fx_buf *b, size_t *n)
{
    *n = 0;
    for (size_t k = 0; k < m->id.nlabels; k++) {
        if (!c->base[k] || c->side[k])
            continue;
        if (++*n <= NAMED && fx_buf_printf(b, "%s%s (%" PRIu64 " in BASE)", *n > 1 ? ", " : "",
                                           m->id.labels[k], c->base[k]))
            return FX_ENOMEM;
    }
    if (*n > NAMED && fx_buf_printf(b, " and %zu more", *n - NAMED))
        return FX_ENOMEM;
    return 0;
}

/* The latest datetime value (normalised, fx__parse_when) of rec into
** best, when later than what best holds. */
static void latest(merge *m, const fx_record *rec, uint32_t model, fx__when *best)
{
    const fx_model_schema *ms = fx__merge_model(m, model);
    for (size_t k = 0; ms && k < ms->nfields; k++) {
        if (ms->fields[k].kind != FX_K_DATETIME)
            continue;
        const fx_field *f = fx_record_field(rec, ms->fields[k].name);
        if (!f || f->value.type != FX_STRING)
            continue;
        fx__when w;
        const char *why;
        fx_buf_reset(&m->tmp);
        if (fx_value_str(&m->tmp, f->value) || !m->tmp.data ||
            fx__parse_when(m->tmp.data, m->tmp.len, &w, &why) != 1 || w.kind != 2)
            continue;
        if (!best->kind || strcmp(w.s, best->s) > 0)
            *best = w;
    }
}

/* Is side s older than BASE (see the top)?  1 with up to NAMED examples of
** the newer records in ex, 0, or a negative code. */
static int older(merge *m, int s, const side_count *c, fx_buf *ex)
{
    fx__kfile *B = &m->kf[SB], *S = &m->kf[s], *X = &m->kf[s == SO ? ST : SO];
    uint64_t lost_int = 0, named = 0, other_has = 0;
    if (c->lost < OLDER_MIN || m->newer[s])
        return 0;
    for (uint32_t i = 0; i < B->n; i++) {
        const fx__kentry *e = &B->e[i];
        if ((e->flags & FX__DEAD) || fx__kfile_find(S, e->key) != FX__NONE)
            continue;
        /* What the other side says: THEIRS never saw what the real OURS
        ** created (BASE given for OURS): not all of it is there as BASE
        ** has it; OURS still has all that the stale THEIRS lacks. */
        uint32_t x = fx__kfile_find(X, e->key);
        if (s == ST && x == FX__NONE)
            return 0;
        other_has += x != FX__NONE && X->e[x].hash == e->hash;
        if (i >= m->nbpk || m->bpk[i] < 0)
            continue;
        if (m->bpk[i] <= m->maxpk[s][e->model])
            return 0;                 /* an old record the side deleted */
        lost_int++;
    }
    if (s == SO && other_has == c->lost)
        return 0;
    /* By ids; by timestamps when no record lost has an integer pk. */
    if (!lost_int) {
        fx__when newest = {0, ""}, side_newest = {0, ""};
        if (!m->opts->schema || c->added)
            return 0;
        for (uint32_t i = 0; i < B->n; i++) {
            const fx_record *rec;
            int rc;
            if ((B->e[i].flags & FX__DEAD) || fx__kfile_find(S, B->e[i].key) != FX__NONE)
                continue;
            if ((rc = fx__kfile_fetch(B, i, &rec, m->err)) < 0)
                return rc;
            latest(m, rec, B->e[i].model, &newest);
        }
        if (!newest.kind)
            return 0;
        for (uint32_t i = 0; i < S->n; i++) {
            const fx_record *rec;
            int rc;
            if (S->e[i].flags & FX__DEAD)
                continue;
            if ((rc = fx__kfile_fetch(S, i, &rec, m->err)) < 0)
                return rc;
            latest(m, rec, S->e[i].model, &side_newest);
        }
        if (side_newest.kind && strcmp(newest.s, side_newest.s) <= 0)
            return 0;
        if (fx_buf_printf(ex, "by their timestamps: up to %.19s, and %s's latest is %.19s",
                          newest.s, fx__merge_side_up(s),
                          side_newest.kind ? side_newest.s : "none"))
            return FX_ENOMEM;
        return 1;
    }
    if (fx_buf_printf(ex, "by their ids, above %s's largest of their model: ",
                      fx__merge_side_up(s)))
        return FX_ENOMEM;
    for (uint32_t i = 0; i < B->n && named < NAMED; i++) {
        const fx_record *rec;
        int rc;
        if ((B->e[i].flags & FX__DEAD) || fx__kfile_find(S, B->e[i].key) != FX__NONE ||
            m->bpk[i] < 0)
            continue;
        if ((rc = fx__kfile_fetch(B, i, &rec, m->err)) < 0)
            return rc;
        if (fx_buf_printf(ex, "%s%s %s", named ? ", " : "", rec->label,
                          fx__merge_key_of(m, rec, &m->key2)))
            return FX_ENOMEM;
        named++;
    }
    if (lost_int > named && fx_buf_printf(ex, " and %" PRIu64 " more", lost_int - named))
        return FX_ENOMEM;
    return 1;
}

/* The reasons to stop for side s, first found: 1 with err set, or 0. */
static int stop(merge *m, int s, const side_count *c)
{
    fx_buf b = FX_BUF_INIT;
    const char *side = fx__merge_side_up(s), *path = m->kf[s].path;
    size_t nmodels;
    int rc = 0;
    if (c->nbase && !c->nside) {
        rc = fx_error_set(m->err, FX_EUSAGE, path, 0, 0, 0,
                          "%s holds no record and BASE has %" PRIu64 ": an export that "
                          "failed or was cut short? A merge would delete every record; "
                          HINT, side, c->nbase);
        goto done;
    }
    if (lost_models(m, c, &b, &nmodels) < 0)
        goto oom;
    if (nmodels) {
        rc = fx_error_set(m->err, FX_EUSAGE, path, 0, 0, 0,
                          "%s has no record of %s%s: was it exported with other "
                          "--exclude options than BASE? A merge would delete them all; "
                          HINT, side, nmodels == 1 ? "" : "these models: ", b.data);
        goto done;
    }
    if (c->lost >= MOST_MIN && c->lost * 2 > c->nbase) {
        rc = fx_error_set(m->err, FX_EUSAGE, path, 0, 0, 0,
                          "%s lacks %" PRIu64 " of BASE's %" PRIu64 " records: an export "
                          "of part of the database? A merge would delete them; " HINT,
                          side, c->lost, c->nbase);
        goto done;
    }
    if (s == SO) {
        fx_buf_reset(&b);
        if ((rc = older(m, s, c, &b)) < 0)
            goto done;
        if (rc)
            rc = fx_error_set(m->err, FX_EUSAGE, path, 0, 0, 0,
                              "BASE and OURS look swapped: BASE has %" PRIu64 " record%s "
                              "OURS lacks, all newer than anything OURS has (%s), and "
                              "OURS adds none: give the last common export first "
                              "(fxmerge BASE OURS THEIRS); a merge would delete them, so "
                              "pass --allow-mass-delete if OURS really deleted them",
                              c->lost, c->lost == 1 ? "" : "s", b.data ? b.data : "");
    }
    goto done;
oom:
    rc = fx__merge_nomem(m);
done:
    fx_buf_free(&b);
    return rc;
}

int fx__merge_guard(merge *m)
{
    side_count c[3];
    int rc = 0;
    memset(c, 0, sizeof c);
    for (int s = SO; s <= ST && rc == 0; s++)
        if (count(m, s, &c[s]) < 0)
            rc = fx__merge_nomem(m);
    for (int s = SO; s <= ST && rc == 0 && !m->opts->allow_mass_delete; s++)
        rc = stop(m, s, &c[s]);
    if (rc == 0) {
        fx_buf b = FX_BUF_INIT;
        rc = older(m, ST, &c[ST], &b);
        if (rc > 0) {
            fx__diag(m->opts->diag, m->opts->diag_ctx, FX_WARNING, m->kf[ST].path, 0, 0, 0,
                     "stale",
                     "THEIRS looks older than BASE: BASE has %" PRIu64 " record%s THEIRS "
                     "lacks, all newer than anything THEIRS has (%s), and THEIRS adds "
                     "none: is it an export from before the last sync, merged then "
                     "already? Merged again, it deletes them: export it again",
                     c[ST].lost, c[ST].lost == 1 ? "" : "s", b.data ? b.data : "");
            rc = 0;
        }
        fx_buf_free(&b);
    }
    for (int s = SO; s <= ST; s++)
        count_free(&c[s]);
    return rc;
}
