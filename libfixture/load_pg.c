/*
** load_pg.c: the PostgreSQL back end of the load engine, over libpq.
** One transaction (BEGIN; SET CONSTRAINTS ALL DEFERRED, as Django's
** deferrable foreign keys are; SET LOCAL TIME ZONE 'UTC' as Django's
** connection does), prepared statements per model and set of columns,
** every value a text parameter that PostgreSQL's own input function reads
** into the column's native type (timestamptz, numeric, uuid, interval,
** jsonb, boolean).
**
** A row is one statement, INSERT ... ON CONFLICT (pk) DO UPDATE ... WHERE
** the row differs ... RETURNING (xmax = 0): inserted, updated, or no row
** back when unchanged.
**
** Fast path (the default): rows with a pk, of models without many-to-many
** fields, are not sent one by one but gathered per model and set of
** columns, then written by COPY into a temporary table of the same column
** types and ONE statement, the same INSERT ... SELECT ... ON CONFLICT (pk)
** DO UPDATE ... WHERE the row differs, whose RETURNING (xmax = 0) gives
** the inserted/updated counts (the rest are unchanged).  A batch is
** written before anything that must see its rows (a natural key looked up
** in that model, a row of that model written row by row, a forward
** reference, the commit) and when it is full (bounded memory); a pk seen
** twice in a batch starts a new one.  If the set-based statement fails,
** it is rolled back to a savepoint and the batch replayed row by row with
** the one-row statement, so the error names the record, field and
** constraint exactly as before.  Measured on the 100,000-record synthetic
** export (tests/bench/run's fxload group, 2 cores, PostgreSQL 15 on a
** unix socket): one statement a row, 9.0 s (29 s on a loaded machine);
** COPY + set-based upsert, 2.3 s, of which about 1.1 s is PostgreSQL
** checking the deferred foreign keys at commit, row by row (loaddata pays
** it too): kept.  Pipelined prepared statements (libpq pipeline mode)
** remove the round trips but the server still binds and executes one
** statement a row: measured with pgbench in pipeline mode (-M prepared,
** 1,000 statements a pipeline), 100,000 of the one-row upserts of
** supermarket_lignecommande alone take 4.6 s, twice the whole set-based
** load; so they were not built into fxload.  --dry-run (which prints every change in
** order) and FX_LOAD_PG_ROWWISE=1 (for measuring) use one statement a
** row.  Before COMMIT the constraints are made immediate
** inside a savepoint, so that a foreign key violation can be traced back
** to its record; then every touched table's sequence is set past its
** largest pk, as loaddata does (sequence_reset_sql).
*/
#include "load_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>

#include <libpq-fe.h>

typedef struct pset {
    size_t n;
    size_t *fidx;
    char name[32];
    char name_nopk[32];
    int has_nopk;
    int has_batch;     /* temporary table "fx_t<mi>_<k>" and statement "b<mi>_<k>" made */
    char tmp[32], name_batch[32];
} pset;

/* Rows of one model and one set of columns waiting to be written by one
** set-based statement (see flush()). */
typedef struct pbatch {
    size_t si;         /* the set of columns (index in pmodel.sets) */
    size_t nrows;
    fx_buf copy;       /* the rows in COPY text format */
    fx_buf vals;       /* the same values for the row-by-row replay: per value a
                       ** tag byte (0 null, 1 text) and NUL-terminated text */
    size_t *voff;      /* where each row starts in vals */
    fx__loc *locs;     /* each row's record, for messages */
    size_t cap;
    fx__index *pks;    /* hashes of the pks in the batch (a repeat flushes first) */
} pbatch;

typedef struct pmodel {
    pset *sets;
    size_t nsets;
    int natural;       /* prepared "n<mi>" */
    char *set;         /* per field: prepared "s<mi>_<fi>" (pg_set) */
    int has_m2m;       /* written row by row: m2m needs each row's outcome */
    pbatch b;
} pmodel;

typedef struct pg {
    PGconn *c;
    pmodel *m;
    size_t nm;
    int in_tx;
    int batch;         /* COPY + set-based upserts (else one statement a row) */
    char (*pbuf)[32];  /* text of INT/REAL params */
    size_t npbuf;
    char **files;      /* file names of batched rows (a record's is borrowed) */
    size_t nfiles;
} pg;

static int oom(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

/* The error of result r (or the connection) as a message about loc. */
static int pgerr(fx_loader *l, PGresult *r, const fx__loc *loc, fx_error *err, const char *doing)
{
    pg *p = l->be;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    char m[900];
    fx__pg_message(m, sizeof m, p->c, r, NULL);
    if (fx__pg_lost(p->c, r)) {   /* the server stopped, or the network */
        l->failed = 1;
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "lost the connection to the "
                            "PostgreSQL server while %s (%s): the transaction was not "
                            "committed, so nothing was written; check that the server is "
                            "running, then load again", doing, m);
    }
    int rejected = state && (state[0] == '2' && state[1] == '3');   /* integrity */
    rejected |= state && state[0] == '2' && state[1] == '2';        /* data exception */
    if (state && !strcmp(state, "42P01"))
        return fx__load_fail(l, loc, err, FX__EREJECT, "%s (while %s): run migrate "
                             "(manage.py migrate) on that database, or pass "
                             "--ignorenonexistent", m, doing);
    if (loc)
        return fx__load_fail(l, loc, err, rejected ? FX__EREJECT : FX_EIO, "%s (while %s)",
                             m, doing);
    l->failed = 1;
    return fx_error_set(err, rejected ? FX__EREJECT : FX_EIO, NULL, 0, 0, 0,
                        "%s (while %s): nothing was written", m, doing);
}

/* Parameter texts for binds[0..n): borrowed pointers, NULL for null. */
static int params(pg *p, const fx__bind *b, size_t n, const char **out)
{
    if (n > p->npbuf) {
        char (*nb)[32] = realloc(p->pbuf, n * sizeof *nb);
        if (!nb)
            return FX_ENOMEM;
        p->pbuf = nb;
        p->npbuf = n;
    }
    fx__pg_params(b, n, out, p->pbuf);
    return 0;
}

#define MAXP 1000   /* parameters a statement may take (columns + 1) */

static int prepare(fx_loader *l, const char *name, const fx_buf *sql, int n,
                   const fx__loc *loc, fx_error *err)
{
    pg *p = l->be;
    PGresult *r = PQprepare(p->c, name, sql->data, n, NULL);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : pgerr(l, r, loc, err, "preparing");
    PQclear(r);
    return rc;
}

/* The upsert of the pk and columns fidx[0..n) of m: from parameters $1..
** (src NULL: one row) or from every row of the temporary table src. */
static int upsert_sql(fx_buf *q, const fx_model_schema *m, const size_t *fidx, size_t n,
                      const char *src)
{
    int bad = fx_buf_adds(q, "INSERT INTO ") || fx__quote_id(q, m->table) ||
              fx_buf_adds(q, " AS t (") || fx__quote_id(q, m->pk_column);
    for (size_t i = 0; i < n && !bad; i++)
        bad = fx_buf_adds(q, ", ") || fx__quote_id(q, m->fields[fidx[i]].column);
    if (!src) {
        bad = bad || fx_buf_adds(q, ") VALUES ($1");
        for (size_t i = 0; i < n && !bad; i++)
            bad = fx_buf_printf(q, ", $%zu", i + 2);
    } else {
        bad = bad || fx_buf_adds(q, ") SELECT ") || fx__quote_id(q, m->pk_column);
        for (size_t i = 0; i < n && !bad; i++)
            bad = fx_buf_adds(q, ", ") || fx__quote_id(q, m->fields[fidx[i]].column);
        bad = bad || fx_buf_adds(q, " FROM ") || fx__quote_id(q, src);
    }
    bad = bad || fx_buf_adds(q, src ? " ON CONFLICT (" : ") ON CONFLICT (") ||
          fx__quote_id(q, m->pk_column);
    if (n) {
        bad = bad || fx_buf_adds(q, ") DO UPDATE SET ");
        for (size_t i = 0; i < n && !bad; i++)
            bad = (i && fx_buf_adds(q, ", ")) || fx__quote_id(q, m->fields[fidx[i]].column) ||
                  fx_buf_adds(q, " = EXCLUDED.") || fx__quote_id(q, m->fields[fidx[i]].column);
        bad = bad || fx_buf_adds(q, " WHERE (");
        for (size_t i = 0; i < n && !bad; i++)
            bad = (i && fx_buf_adds(q, ", ")) || fx_buf_adds(q, "t.") ||
                  fx__quote_id(q, m->fields[fidx[i]].column);
        bad = bad || fx_buf_adds(q, ", NULL) IS DISTINCT FROM (");
        for (size_t i = 0; i < n && !bad; i++)
            bad = (i && fx_buf_adds(q, ", ")) || fx_buf_adds(q, "EXCLUDED.") ||
                  fx__quote_id(q, m->fields[fidx[i]].column);
        bad = bad || fx_buf_adds(q, ", NULL) RETURNING (xmax = 0) AS fx_ins");
    } else {
        bad = bad || fx_buf_adds(q, ") DO NOTHING RETURNING true AS fx_ins");
    }
    return bad;
}

static pset *get_set(fx_loader *l, size_t mi, const size_t *fidx, size_t n, int nopk,
                     const fx__loc *loc, fx_error *err)
{
    pg *p = l->be;
    pmodel *pm = &p->m[mi];
    const fx_model_schema *m = &l->schema->models[mi];
    pset *s = NULL;
    for (size_t i = 0; i < pm->nsets && !s; i++)
        if (pm->sets[i].n == n && !memcmp(pm->sets[i].fidx, fidx, n * sizeof *fidx))
            s = &pm->sets[i];
    if (!s) {
        pset *ns = realloc(pm->sets, (pm->nsets + 1) * sizeof *ns);
        if (!ns)
            return oom(err), NULL;
        pm->sets = ns;
        s = &ns[pm->nsets];
        memset(s, 0, sizeof *s);
        if (!(s->fidx = malloc((n + 1) * sizeof *fidx)))
            return oom(err), NULL;
        memcpy(s->fidx, fidx, n * sizeof *fidx);
        s->n = n;
        snprintf(s->name, sizeof s->name, "u%zu_%zu", mi, pm->nsets);
        fx_buf q = FX_BUF_INIT;
        int bad = upsert_sql(&q, m, fidx, n, NULL);
        int rc = bad ? oom(err) : prepare(l, s->name, &q, (int)n + 1, loc, err);
        fx_buf_free(&q);
        if (rc)
            return NULL;
        pm->nsets++;
    }
    if (nopk && !s->has_nopk) {
        snprintf(s->name_nopk, sizeof s->name_nopk, "i%zu_%zu", mi, (size_t)(s - pm->sets));
        fx_buf q = FX_BUF_INIT;
        int bad = fx_buf_adds(&q, "INSERT INTO ") || fx__quote_id(&q, m->table) || fx_buf_adds(&q, " (");
        for (size_t i = 0; i < n && !bad; i++)
            bad = (i && fx_buf_adds(&q, ", ")) || fx__quote_id(&q, m->fields[fidx[i]].column);
        bad = bad || fx_buf_adds(&q, ") VALUES (");
        for (size_t i = 0; i < n && !bad; i++)
            bad = fx_buf_printf(&q, "%s$%zu", i ? ", " : "", i + 1);
        bad = bad || fx_buf_adds(&q, ") RETURNING ") || fx__quote_id(&q, m->pk_column);
        int rc = bad ? oom(err) : prepare(l, s->name_nopk, &q, (int)n, loc, err);
        fx_buf_free(&q);
        if (rc)
            return NULL;
        s->has_nopk = 1;
    }
    return s;
}

/* One row by the one-row statement name with parameter texts v[0..nv):
** *result; newpk (statement without pk) the pk the database chose. */
static int row_exec(fx_loader *l, size_t mi, const char *name, const char **v, size_t nv,
                    const fx__loc *loc, int *result, fx__bind *newpk, fx_error *err)
{
    pg *p = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    PGresult *r = PQexecPrepared(p->c, name, (int)nv, v, NULL, NULL, 0);
    if (!r)
        return oom(err);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = pgerr(l, r, loc, err, "writing the row");
        PQclear(r);
        return rc;
    }
    if (newpk) {
        *result = FX__INSERTED;
        const char *pv = PQgetvalue(r, 0, 0);
        int rc = 0;
        if (m->pk_kind == FX_K_INT || m->pk_kind == FX_K_BIGINT || m->pk_kind == FX_K_SMALLINT) {
            memset(newpk, 0, sizeof *newpk);
            newpk->type = FX__B_INT;
            newpk->i = strtoll(pv, NULL, 10);
        } else {
            rc = fx__arena_text(l, newpk, pv, strlen(pv));
            fx__bind_fix(newpk, 1, &l->arena);
        }
        PQclear(r);
        return rc ? oom(err) : 0;
    }
    *result = PQntuples(r) == 0 ? FX__UNCHANGED
              : PQgetvalue(r, 0, 0)[0] == 't' ? FX__INSERTED : FX__UPDATED;
    if (nv == 1 && PQntuples(r))
        *result = FX__INSERTED;
    PQclear(r);
    return 0;
}

/* ---------------------------------------------------------------- batches */

#define BATCH_ROWS 50000              /* rows a batch holds at most */
#define BATCH_BYTES (16u << 20)       /* and bytes of COPY text */
#define BATCH_SMALL 8                 /* fewer rows: row by row is cheaper */

static void batch_reset(pbatch *b)
{
    b->nrows = 0;
    fx_buf_reset(&b->copy);
    fx_buf_reset(&b->vals);
    fx__index_free(b->pks);
    b->pks = NULL;
}

static void batch_free(pbatch *b)
{
    batch_reset(b);
    fx_buf_free(&b->copy);
    fx_buf_free(&b->vals);
    free(b->voff);
    free(b->locs);
}

/* Append the text t (NULL: null) to the COPY text and the replay values. */
static int batch_value(pbatch *b, const char *t, int first)
{
    int bad = !first && fx_buf_addc(&b->copy, '\t');
    if (!t)
        return bad || fx_buf_adds(&b->copy, "\\N") || fx_buf_addc(&b->vals, 0);
    for (const char *c = t; *c && !bad; c++) {
        switch (*c) {
        case '\\': bad = fx_buf_adds(&b->copy, "\\\\"); break;
        case '\n': bad = fx_buf_adds(&b->copy, "\\n"); break;
        case '\r': bad = fx_buf_adds(&b->copy, "\\r"); break;
        case '\t': bad = fx_buf_adds(&b->copy, "\\t"); break;
        default: bad = fx_buf_addc(&b->copy, *c);
        }
    }
    return bad || fx_buf_addc(&b->vals, 1) || fx_buf_add(&b->vals, t, strlen(t)) ||
           fx_buf_addc(&b->vals, 0);
}

/* A copy of file name f that lives as long as the back end. */
static const char *intern_file(pg *p, const char *f)
{
    if (!f)
        return NULL;
    for (size_t i = p->nfiles; i-- > 0;)
        if (strcmp(p->files[i], f) == 0)
            return p->files[i];
    char **nf = realloc(p->files, (p->nfiles + 1) * sizeof *nf);
    if (!nf)
        return NULL;
    p->files = nf;
    if (!(nf[p->nfiles] = strdup(f)))
        return NULL;
    return nf[p->nfiles++];
}

static int flush(fx_loader *l, size_t mi, fx_error *err);
static int run_sql(fx_loader *l, const fx_buf *sql, const fx__bind *b, size_t n,
                   const fx__loc *loc, fx_error *err, const char *doing, PGresult **out);

static int batch_add(fx_loader *l, size_t mi, size_t si, const fx__bind *pk,
                     const fx__bind *vals, size_t n, const fx__loc *loc, fx_error *err)
{
    pg *p = l->be;
    pbatch *b = &p->m[mi].b;
    const char *v[MAXP];
    int rc;
    if (params(p, pk, 1, v))
        return oom(err);
    uint64_t h = fx__key_hash("", v[0], strlen(v[0]));
    if (b->nrows && (b->si != si || fx__index_get(b->pks, h))) {
        if ((rc = flush(l, mi, err)) < 0)
            return rc;
        if (params(p, pk, 1, v))
            return oom(err);
    }
    if (!b->pks && fx__index_new(&b->pks, 1))
        return oom(err);
    int existed;
    if (!fx__index_put(b->pks, h, &existed))
        return oom(err);
    if (b->nrows == b->cap) {
        size_t c = b->cap ? b->cap * 2 : 256;
        size_t *vo = realloc(b->voff, c * sizeof *vo);
        if (vo)
            b->voff = vo;
        fx__loc *lo = vo ? realloc(b->locs, c * sizeof *lo) : NULL;
        if (!lo)
            return oom(err);
        b->locs = lo;
        b->cap = c;
    }
    b->si = si;
    b->voff[b->nrows] = b->vals.len;
    b->locs[b->nrows] = *loc;
    if (loc->file && !(b->locs[b->nrows].file = intern_file(p, loc->file)))
        return oom(err);
    if (batch_value(b, v[0], 1) || params(p, vals, n, v))
        return oom(err);
    for (size_t i = 0; i < n; i++)
        if (batch_value(b, v[i], 0))
            return oom(err);
    if (fx_buf_addc(&b->copy, '\n'))
        return oom(err);
    b->nrows++;
    if (b->nrows >= BATCH_ROWS || b->copy.len >= BATCH_BYTES)
        return flush(l, mi, err);
    return 0;
}

/* The batch of model mi, row by row with the one-row statement: each row
** counted, or the first error naming its record. */
static int batch_replay(fx_loader *l, size_t mi, fx_error *err)
{
    pg *p = l->be;
    pbatch *b = &p->m[mi].b;
    pset *s = &p->m[mi].sets[b->si];
    const char *v[MAXP];
    for (size_t r = 0; r < b->nrows; r++) {
        const char *c = b->vals.data + b->voff[r];
        for (size_t i = 0; i <= s->n; i++) {
            v[i] = *c ? c + 1 : NULL;
            c += *c ? strlen(c + 1) + 2 : 1;
        }
        int result = 0, rc = row_exec(l, mi, s->name, v, s->n + 1, &b->locs[r], &result,
                                      NULL, err);
        if (rc < 0)
            return rc;
        fx__load_result(l, mi, result, b->locs[r].pk);
    }
    return 0;
}

static int exec_ok(pg *p, const char *sql)
{
    PGresult *r = PQexec(p->c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

/* Write the batch of model mi: COPY into the set's temporary table, then
** the set-based upsert, inside a savepoint; on failure, back to the
** savepoint and row by row (batch_replay) to name the record. */
static int flush(fx_loader *l, size_t mi, fx_error *err)
{
    pg *p = l->be;
    pmodel *pm = &p->m[mi];
    pbatch *b = &pm->b;
    if (!b->nrows)
        return 0;
    const fx_model_schema *m = &l->schema->models[mi];
    pset *s = &pm->sets[b->si];
    int rc = 0;
    if (b->nrows < BATCH_SMALL) {
        rc = batch_replay(l, mi, err);
        batch_reset(b);
        return rc;
    }
    if (!s->has_batch) {
        snprintf(s->tmp, sizeof s->tmp, "fx_t%zu_%zu", mi, b->si);
        snprintf(s->name_batch, sizeof s->name_batch, "b%zu_%zu", mi, b->si);
        fx_buf q = FX_BUF_INIT;
        int bad = fx_buf_adds(&q, "CREATE TEMPORARY TABLE ") || fx__quote_id(&q, s->tmp) ||
                  fx_buf_adds(&q, " ON COMMIT DROP AS SELECT ") || fx__quote_id(&q, m->pk_column);
        for (size_t i = 0; i < s->n && !bad; i++)
            bad = fx_buf_adds(&q, ", ") || fx__quote_id(&q, m->fields[s->fidx[i]].column);
        bad = bad || fx_buf_adds(&q, " FROM ") || fx__quote_id(&q, m->table) ||
              fx_buf_adds(&q, " WITH NO DATA");
        if (bad) {
            fx_buf_free(&q);
            return oom(err);
        }
        rc = run_sql(l, &q, NULL, 0, NULL, err, "making a temporary table", NULL);
        fx_buf_reset(&q);
        bad = fx_buf_adds(&q, "WITH r AS (") || upsert_sql(&q, m, s->fidx, s->n, s->tmp) ||
              fx_buf_adds(&q, ") SELECT count(*) FILTER (WHERE fx_ins), "
                              "count(*) FILTER (WHERE NOT fx_ins) FROM r");
        if (!rc)
            rc = bad ? oom(err) : prepare(l, s->name_batch, &q, 0, NULL, err);
        fx_buf_free(&q);
        if (rc)
            return rc;
        s->has_batch = 1;
    }
    /* SAVEPOINT, TRUNCATE, COPY ... FROM STDIN */
    fx_buf q = FX_BUF_INIT;
    int bad = fx_buf_adds(&q, "SAVEPOINT fx_batch; TRUNCATE ") || fx__quote_id(&q, s->tmp) ||
              fx_buf_adds(&q, "; COPY ") || fx__quote_id(&q, s->tmp) || fx_buf_adds(&q, " (") ||
              fx__quote_id(&q, m->pk_column);
    for (size_t i = 0; i < s->n && !bad; i++)
        bad = fx_buf_adds(&q, ", ") || fx__quote_id(&q, m->fields[s->fidx[i]].column);
    bad = bad || fx_buf_adds(&q, ") FROM STDIN");
    if (bad) {
        fx_buf_free(&q);
        return oom(err);
    }
    int ok = 0;
    long ins = 0, upd = 0;
    PGresult *r = PQexec(p->c, q.data);
    fx_buf_free(&q);
    if (PQresultStatus(r) == PGRES_COPY_IN) {
        PQclear(r);
        int sent = PQputCopyData(p->c, b->copy.data, (int)b->copy.len) == 1;
        PQputCopyEnd(p->c, sent ? NULL : "fxload: cannot send the rows");
        int copied = 1;
        while ((r = PQgetResult(p->c))) {
            copied &= PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
        }
        if (copied && sent) {
            r = PQexecPrepared(p->c, s->name_batch, 0, NULL, NULL, NULL, 0);
            if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
                ins = strtol(PQgetvalue(r, 0, 0), NULL, 10);
                upd = strtol(PQgetvalue(r, 0, 1), NULL, 10);
                ok = 1;
            }
            PQclear(r);
        }
    } else {
        PQclear(r);
        while ((r = PQgetResult(p->c)))
            PQclear(r);
    }
    if (ok && exec_ok(p, "RELEASE SAVEPOINT fx_batch")) {
        for (long i = 0; i < ins; i++)
            fx__load_result(l, mi, FX__INSERTED, NULL);
        for (long i = 0; i < upd; i++)
            fx__load_result(l, mi, FX__UPDATED, NULL);
        for (size_t i = (size_t)(ins + upd); i < b->nrows; i++)
            fx__load_result(l, mi, FX__UNCHANGED, NULL);
        batch_reset(b);
        return 0;
    }
    /* the set failed: undo it, then find the record row by row */
    if (!exec_ok(p, "ROLLBACK TO SAVEPOINT fx_batch; RELEASE SAVEPOINT fx_batch")) {
        batch_reset(b);
        return pgerr(l, NULL, NULL, err, PQstatus(p->c) == CONNECTION_BAD
                                             ? "writing a batch of rows"
                                             : "rolling a batch back");
    }
    rc = batch_replay(l, mi, err);
    batch_reset(b);
    return rc;
}

static int flush_all(fx_loader *l, fx_error *err)
{
    pg *p = l->be;
    int rc = 0;
    for (size_t i = 0; i < p->nm && !rc; i++)
        rc = flush(l, i, err);
    return rc;
}

static int pg_upsert(fx_loader *l, size_t mi, const fx__bind *pk, const size_t *fidx,
                     const fx__bind *vals, size_t n, const fx__loc *loc, int *result,
                     fx__bind *newpk, fx_error *err)
{
    pg *p = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    /* PostgreSQL refuses text longer than varchar(N); name the field */
    for (size_t i = 0; i < n; i++) {
        const fx_field_schema *f = &m->fields[fidx[i]];
        if (f->kind == FX_K_CHAR && f->max_length >= 0 && vals[i].type == FX__B_TEXT) {
            long chars = 0;
            for (const unsigned char *s = (const unsigned char *)vals[i].s; *s; s++)
                chars += (*s & 0xc0) != 0x80;
            if (chars > f->max_length)
                return fx__load_fail(l, loc, err, FX__EREJECT, "field '%s': value too long "
                                     "for type character varying(%ld) (it has %ld "
                                     "characters): shorten it, or widen the column",
                                     f->name, f->max_length, chars);
        }
    }
    if (n + 1 > MAXP)
        return fx__load_fail(l, loc, err, FX_EUSAGE, "too many columns");
    /* rows of this model written before this one go first */
    int rc, batch = p->batch && pk->type != FX__B_NULL && !p->m[mi].has_m2m &&
                    !l->want_result;
    if (!batch && (rc = flush(l, mi, err)) < 0)
        return rc;
    pset *s = get_set(l, mi, fidx, n, pk->type == FX__B_NULL, loc, err);
    if (!s)
        return err->code;
    if (batch) {
        *result = 0;   /* counted by flush() */
        return batch_add(l, mi, (size_t)(s - p->m[mi].sets), pk, vals, n, loc, err);
    }
    static fx__bind all[MAXP];
    const char *v[MAXP];
    if (pk->type == FX__B_NULL) {
        if (params(p, vals, n, v))
            return oom(err);
        return row_exec(l, mi, s->name_nopk, v, n, loc, result, newpk, err);
    }
    all[0] = *pk;
    memcpy(all + 1, vals, n * sizeof *vals);
    if (params(p, all, n + 1, v))
        return oom(err);
    return row_exec(l, mi, s->name, v, n + 1, loc, result, NULL, err);
}

static int run_sql(fx_loader *l, const fx_buf *sql, const fx__bind *b, size_t n,
                   const fx__loc *loc, fx_error *err, const char *doing, PGresult **out)
{
    pg *p = l->be;
    const char *v[8];
    if (n > 8 || params(p, b, n, v))
        return oom(err);
    PGresult *r = PQexecParams(p->c, sql->data, (int)n, NULL, v, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        int rc = pgerr(l, r, loc, err, doing);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

static int pg_natural(fx_loader *l, size_t mi, const fx__bind *vals, fx__bind *pk,
                      fx_error *err)
{
    const fx_model_schema *m = &l->schema->models[mi];
    int frc = flush(l, mi, err);   /* the rows of the files not written yet */
    if (frc < 0)
        return frc;
    pg *p = l->be;
    char name[32];
    snprintf(name, sizeof name, "n%zu", mi);
    if (!p->m[mi].natural) {   /* prepared once: a load may look up many keys */
        fx_buf q = FX_BUF_INIT;
        int bad = fx_buf_adds(&q, "SELECT ") || fx__quote_id(&q, m->pk_column) ||
                  fx_buf_adds(&q, " FROM ") || fx__quote_id(&q, m->table) ||
                  fx_buf_adds(&q, " WHERE ");
        for (size_t i = 0; i < m->natural_key.n && !bad; i++) {
            const fx_field_schema *f = fx_model_field(m, m->natural_key.names[i]);
            bad = (i && fx_buf_adds(&q, " AND ")) ||
                  fx__quote_id(&q, f && f->column ? f->column : m->natural_key.names[i]) ||
                  fx_buf_printf(&q, " = $%zu", i + 1);
        }
        int rc = bad ? oom(err) : prepare(l, name, &q, (int)m->natural_key.n, NULL, err);
        fx_buf_free(&q);
        if (rc)
            return rc;
        p->m[mi].natural = 1;
    }
    const char *pv[16];
    if (m->natural_key.n > 16 || params(p, vals, m->natural_key.n, pv))
        return oom(err);
    PGresult *r = PQexecPrepared(p->c, name, (int)m->natural_key.n, pv, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = pgerr(l, r, NULL, err, "looking a natural key up");
        PQclear(r);
        return rc;
    }
    int found = PQntuples(r) > 0;
    if (found) {
        const char *v = PQgetvalue(r, 0, 0);
        memset(pk, 0, sizeof *pk);
        if (m->pk_kind == FX_K_INT || m->pk_kind == FX_K_BIGINT || m->pk_kind == FX_K_SMALLINT) {
            pk->type = FX__B_INT;
            pk->i = strtoll(v, NULL, 10);
        } else if (fx__arena_text(l, pk, v, strlen(v))) {
            PQclear(r);
            return oom(err);
        }
    }
    PQclear(r);
    return found;
}

static int pg_m2m(fx_loader *l, size_t mi, size_t fi, const fx__bind *pk,
                  const fx__bind *targets, size_t n, int fresh, const fx__loc *loc,
                  int *changed, fx_error *err)
{
    pg *p = l->be;
    const fx_field_schema *f = &l->schema->models[mi].fields[fi];
    const char **want = calloc(n + 1, sizeof *want);
    char (*tb)[32] = calloc(n + 1, 32);
    if (!tb || !want) {
        free(want);
        free(tb);
        return oom(err);
    }
    for (size_t i = 0; i < n; i++) {
        if (targets[i].type == FX__B_INT) {
            snprintf(tb[i], 32, "%" PRId64, targets[i].i);
            want[i] = tb[i];
        } else {
            want[i] = targets[i].s ? targets[i].s : "";
        }
    }
    char *have = calloc(n + 1, 1);
    fx_buf q = FX_BUF_INIT;
    int rc = have ? 0 : oom(err);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(want[i], want[j]))
                have[i] = 1;
    (void)p;
    if (!rc && !fresh) {
        PGresult *r;
        int bad = fx_buf_adds(&q, "SELECT ") || fx__quote_id(&q, f->through_to) ||
                  fx_buf_adds(&q, "::text FROM ") || fx__quote_id(&q, f->through) ||
                  fx_buf_adds(&q, " WHERE ") || fx__quote_id(&q, f->through_from) ||
                  fx_buf_adds(&q, " = $1");
        rc = bad ? oom(err) : run_sql(l, &q, pk, 1, loc, err, "reading links", &r);
        for (int k = 0; !rc && k < PQntuples(r); k++) {
            const char *v = PQgetvalue(r, k, 0);
            size_t i;
            for (i = 0; i < n; i++)
                if (!strcmp(v, want[i]))
                    break;
            if (i < n) {
                have[i] = 1;
                continue;
            }
            fx_buf d = FX_BUF_INIT;
            fx__bind b[2];
            b[0] = *pk;
            memset(&b[1], 0, sizeof b[1]);
            b[1].type = FX__B_TEXT;
            b[1].s = v;
            bad = fx_buf_adds(&d, "DELETE FROM ") || fx__quote_id(&d, f->through) ||
                  fx_buf_adds(&d, " WHERE ") || fx__quote_id(&d, f->through_from) ||
                  fx_buf_adds(&d, " = $1 AND ") || fx__quote_id(&d, f->through_to) ||
                  fx_buf_adds(&d, "::text = $2");
            rc = bad ? oom(err) : run_sql(l, &d, b, 2, loc, err, "unlinking", NULL);
            fx_buf_free(&d);
            *changed = 1;
        }
        if (!bad && (rc == 0 || r))
            PQclear(r);
    }
    fx_buf_reset(&q);
    int bad = fx_buf_adds(&q, "INSERT INTO ") || fx__quote_id(&q, f->through) || fx_buf_adds(&q, " (") ||
              fx__quote_id(&q, f->through_from) || fx_buf_adds(&q, ", ") || fx__quote_id(&q, f->through_to) ||
              fx_buf_adds(&q, ") VALUES ($1, $2)");
    if (!rc && bad)
        rc = oom(err);
    for (size_t i = 0; !rc && i < n; i++) {
        if (have[i])
            continue;
        fx__bind b[2] = {*pk, targets[i]};
        rc = run_sql(l, &q, b, 2, loc, err, "linking many-to-many members", NULL);
        *changed = 1;
    }
    fx_buf_free(&q);
    free(have);
    free(tb);
    free(want);
    return rc;
}

static int pg_set(fx_loader *l, size_t mi, size_t fi, const fx__bind *pk,
                  const fx__bind *val, const fx__loc *loc, int *changed, fx_error *err)
{
    pg *p = l->be;
    pmodel *pm = &p->m[mi];
    const fx_model_schema *m = &l->schema->models[mi];
    const char *col = m->fields[fi].column;
    int rc = flush(l, mi, err);
    if (rc < 0)
        return rc;
    char name[48];
    snprintf(name, sizeof name, "s%zu_%zu", mi, fi);
    if (!pm->set && !(pm->set = calloc(m->nfields + 1, 1)))
        return oom(err);
    if (!pm->set[fi]) {   /* prepared once: a load may set many */
        fx_buf q = FX_BUF_INIT;
        int bad = fx_buf_adds(&q, "UPDATE ") || fx__quote_id(&q, m->table) ||
                  fx_buf_adds(&q, " SET ") || fx__quote_id(&q, col) ||
                  fx_buf_adds(&q, " = $2 WHERE ") || fx__quote_id(&q, m->pk_column) ||
                  fx_buf_adds(&q, " = $1 AND ") || fx__quote_id(&q, col) ||
                  fx_buf_adds(&q, " IS DISTINCT FROM $2");
        rc = bad ? oom(err) : prepare(l, name, &q, 2, loc, err);
        fx_buf_free(&q);
        if (rc)
            return rc;
        pm->set[fi] = 1;
    }
    fx__bind b[2] = {*pk, *val};
    const char *v[2];
    if (params(p, b, 2, v))
        return oom(err);
    PGresult *r = PQexecPrepared(p->c, name, 2, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = pgerr(l, r, loc, err, "setting a forward reference");
    else
        *changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return rc;
}

static int pg_clear(fx_loader *l, size_t mi, unsigned long *deleted, fx_error *err)
{
    const fx_model_schema *m = &l->schema->models[mi];
    fx_buf q = FX_BUF_INIT;
    int rc = flush(l, mi, err);
    for (size_t part = 0; part <= m->nfields && !rc; part++) {   /* saved, for the counts */
        if (fx__replace_save_sql(&q, l, mi, part))
            rc = oom(err);
        else if (q.len)
            rc = run_sql(l, &q, NULL, 0, NULL, err, "saving rows (--replace)", NULL);
    }
    for (size_t i = 0; i < m->nfields && !rc; i++) {
        if (m->fields[i].kind != FX_K_M2M)
            continue;
        fx_buf_reset(&q);
        rc = fx_buf_adds(&q, "DELETE FROM ") || fx__quote_id(&q, m->fields[i].through)
                 ? oom(err) : run_sql(l, &q, NULL, 0, NULL, err, "deleting links (--replace)", NULL);
    }
    fx_buf_reset(&q);
    PGresult *r = NULL;
    if (!rc)
        rc = fx_buf_adds(&q, "DELETE FROM ") || fx__quote_id(&q, m->table)
                 ? oom(err) : run_sql(l, &q, NULL, 0, NULL, err, "deleting rows (--replace)", &r);
    if (!rc) {
        *deleted += strtoul(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    fx_buf_free(&q);
    return rc;
}

static int pg_replaced(fx_loader *l, size_t mi, int list, fx_error *err)
{
    fx_buf q = FX_BUF_INIT;
    PGresult *r = NULL;
    int rc = flush(l, mi, err);
    if (!rc)
        rc = fx__replace_diff_sql(&q, l, mi, list)
                 ? oom(err) : run_sql(l, &q, NULL, 0, NULL, err, "counting the rows replaced", &r);
    fx_buf_free(&q);
    for (int i = 0; !rc && i < PQntuples(r); i++)
        fx__load_replaced(l, mi, PQgetvalue(r, i, 0), list ? PQgetvalue(r, i, 1) : NULL,
                          list ? 1 : strtoul(PQgetvalue(r, i, 1), NULL, 10));
    PQclear(r);
    return rc;
}

static int simple(fx_loader *l, const char *sql, fx_error *err, const char *doing, PGresult **out)
{
    fx_buf q = FX_BUF_INIT;
    int rc = fx_buf_adds(&q, sql) ? oom(err) : run_sql(l, &q, NULL, 0, NULL, err, doing, out);
    fx_buf_free(&q);
    return rc;
}

/* A foreign key violation at commit, traced back to a record. */
static int fk_violation(fx_loader *l, PGresult *r, fx_error *err)
{
    const char *table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    char col[200] = "", val[200] = "", ptable[200] = "";
    if (!table || !detail || sscanf(detail, "Key (%199[^)])=(%199[^)]) is not present in "
                                    "table \"%199[^\"]\"", col, val, ptable) != 3)
        return pgerr(l, r, NULL, err, "checking constraints at commit");
    const fx_model_schema *owner = NULL;
    const char *fname = col, *plabel = ptable;
    const char *pkcol = "id";
    for (size_t i = 0; i < l->schema->nmodels; i++) {
        const fx_model_schema *m = &l->schema->models[i];
        if (!strcmp(m->table, ptable))
            plabel = m->label;
        if (!strcmp(m->table, table)) {
            owner = m;
            pkcol = m->pk_column;
            for (size_t j = 0; j < m->nfields; j++)
                if (m->fields[j].column && !strcmp(m->fields[j].column, col))
                    fname = m->fields[j].name;
        }
        for (size_t j = 0; j < m->nfields; j++)
            if (m->fields[j].kind == FX_K_M2M && !strcmp(m->fields[j].through, table)) {
                owner = m;
                fname = m->fields[j].name;
                pkcol = m->fields[j].through_from;
            }
    }
    char msg[600];
    snprintf(msg, sizeof msg, "field '%s' refers to %s %s, which does not exist (FOREIGN KEY "
             "constraint failed at commit)", fname, plabel, val);
    /* the row: the transaction is usable again after the savepoint */
    fx_buf q = FX_BUF_INIT;
    fx_buf_adds(&q, "SELECT ");
    fx__quote_id(&q, pkcol);
    fx_buf_adds(&q, "::text FROM ");
    fx__quote_id(&q, table);
    fx_buf_adds(&q, " WHERE ");
    fx__quote_id(&q, col);
    fx_buf_adds(&q, "::text = $1 LIMIT 1");
    fx__bind b;
    memset(&b, 0, sizeof b);
    b.type = FX__B_TEXT;
    b.s = val;
    PGresult *row = NULL;
    fx__loc loc;
    memset(&loc, 0, sizeof loc);
    loc.label = owner ? owner->label : table;
    fx_error e2;
    if (run_sql(l, &q, &b, 1, NULL, &e2, "finding the row", &row) == 0 && PQntuples(row))
        snprintf(loc.pk, sizeof loc.pk, "%s", PQgetvalue(row, 0, 0));
    PQclear(row);
    fx_buf_free(&q);
    if (loc.pk[0] && fx__load_where(l, &loc))
        return fx__load_fail(l, &loc, err, FX__EREJECT, "%s: add that record or fix the "
                             "reference; nothing was written", msg);
    return fx__load_fail(l, &loc, err, FX__EREJECT, "a row already in the database (not in "
                         "the files): %s; nothing was written", msg);
}

static int pg_finish(fx_loader *l, int commit, fx_error *err)
{
    pg *p = l->be;
    int rc;
    if (!commit) {
        p->in_tx = 0;
        return simple(l, "ROLLBACK", err, "rolling back (--dry-run)", NULL);
    }
    if ((rc = flush_all(l, err)) < 0)
        return rc;
    if ((rc = simple(l, "SAVEPOINT fx_check", err, "checking constraints", NULL)))
        return rc;
    PGresult *r = PQexec(p->c, "SET CONSTRAINTS ALL IMMEDIATE");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        PQclear(PQexec(p->c, "ROLLBACK TO SAVEPOINT fx_check"));
        rc = fk_violation(l, r, err);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    /* sequences, as Django's sequence_reset_sql: tables and their links */
    for (size_t i = 0; i < l->schema->nmodels && !rc; i++) {
        const fx_model_schema *m = &l->schema->models[i];
        if (!l->ms[i].seen && !l->ms[i].replaced)
            continue;
        for (size_t j = 0; j <= m->nfields && !rc; j++) {
            const char *t = j == 0 ? m->table : m->fields[j - 1].kind == FX_K_M2M
                                                    ? m->fields[j - 1].through : NULL;
            const char *c = j == 0 ? m->pk_column : "id";
            if (!t || (j == 0 && m->pk_kind != FX_K_INT && m->pk_kind != FX_K_BIGINT &&
                       m->pk_kind != FX_K_SMALLINT))
                continue;
            fx_buf q = FX_BUF_INIT, qt = FX_BUF_INIT;
            fx__quote_id(&qt, t);
            fx_buf_adds(&q, "SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(");
            fx__quote_id(&q, c);
            fx_buf_adds(&q, "), 1), max(");
            fx__quote_id(&q, c);
            fx_buf_adds(&q, ") IS NOT NULL) FROM ");
            fx__quote_id(&q, t);
            fx__bind b[2];
            memset(b, 0, sizeof b);
            b[0].type = b[1].type = FX__B_TEXT;
            b[0].s = qt.data;
            b[1].s = c;
            rc = run_sql(l, &q, b, 2, NULL, err, "resetting sequences", NULL);
            fx_buf_free(&q);
            fx_buf_free(&qt);
        }
    }
    if (rc || (rc = simple(l, "COMMIT", err, "committing", NULL)))
        return rc;
    p->in_tx = 0;
    return 0;
}

static void pg_close(fx_loader *l)
{
    pg *p = l->be;
    if (!p)
        return;
    for (size_t i = 0; i < p->nm; i++) {
        for (size_t j = 0; j < p->m[i].nsets; j++)
            free(p->m[i].sets[j].fidx);
        free(p->m[i].sets);
        free(p->m[i].set);
        batch_free(&p->m[i].b);
    }
    free(p->m);
    free(p->pbuf);
    for (size_t i = 0; i < p->nfiles; i++)
        free(p->files[i]);
    free(p->files);
    if (p->c && p->in_tx)
        PQclear(PQexec(p->c, "ROLLBACK"));
    PQfinish(p->c);
    free(p);
    l->be = NULL;
}

static int pg_rows(fx_loader *l, size_t mi, const size_t *fidx, size_t n, fx__row_fn fn,
                   void *ctx, fx_error *err)
{
    const fx_model_schema *m = &l->schema->models[mi];
    int rc = flush(l, mi, err);   /* the rows of the files not written yet */
    if (rc < 0)
        return rc;
    fx_buf q = FX_BUF_INIT;
    int bad = fx_buf_adds(&q, "SELECT ") || fx__quote_id(&q, m->pk_column) ||
              fx_buf_adds(&q, "::text");
    for (size_t i = 0; i < n && !bad; i++)
        bad = fx_buf_adds(&q, ", ") || fx__quote_id(&q, m->fields[fidx[i]].column) ||
              fx_buf_adds(&q, "::text");
    bad = bad || fx_buf_adds(&q, " FROM ") || fx__quote_id(&q, m->table);
    const char *v[16];
    PGresult *r = NULL;
    if (bad || n + 1 > sizeof v / sizeof v[0])
        rc = oom(err);
    else
        rc = run_sql(l, &q, NULL, 0, NULL, err, "reading the table", &r);
    fx_buf_free(&q);
    for (int row = 0; !rc && row < PQntuples(r); row++) {
        for (size_t i = 0; i <= n; i++)
            v[i] = PQgetisnull(r, row, (int)i) ? NULL : PQgetvalue(r, row, (int)i);
        rc = fn(ctx, v);
    }
    PQclear(r);
    return rc;
}

static const fx__load_ops pg_ops = {"postgresql", pg_upsert, pg_natural, pg_m2m, pg_set,
                                    pg_clear, pg_replaced, pg_finish, pg_close, pg_rows};

int fx__load_pg_open(fx_loader *l, const char *conninfo, fx_error *err)
{
    pg *p = calloc(1, sizeof *p);
    if (!p)
        return oom(err);
    l->be = p;
    l->ops = &pg_ops;
    int rc = fx__pg_connect(&p->c, conninfo, l->target, err);
    if (rc)
        return rc;
    if (!l->schema && (rc = fx__schema_pg(&l->schema, p->c, l->target, err)) < 0)
        return rc;
    p->nm = l->schema->nmodels;
    if (!(p->m = calloc(p->nm + 1, sizeof *p->m)))
        return oom(err);
    const char *rw = getenv("FX_LOAD_PG_ROWWISE");
    p->batch = !l->change && !(rw && *rw && strcmp(rw, "0"));
    for (size_t i = 0; i < p->nm; i++) {
        const fx_model_schema *m = &l->schema->models[i];
        for (size_t j = 0; j < m->nfields; j++)
            p->m[i].has_m2m |= m->fields[j].kind == FX_K_M2M;
    }
    PGresult *r = PQexec(p->c, l->repeatable_read ? "BEGIN ISOLATION LEVEL REPEATABLE READ; "
                         "SET CONSTRAINTS ALL DEFERRED" : "BEGIN; SET CONSTRAINTS ALL DEFERRED");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot begin a transaction: %s",
                          PQerrorMessage(p->c));
        PQclear(r);
        return rc;
    }
    PQclear(r);
    p->in_tx = 1;
    /* a standby, or default_transaction_read_only: say so now, not as the
    ** first record's error */
    r = PQexec(p->c, "SHOW transaction_read_only");
    int ro = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
             strcmp(PQgetvalue(r, 0, 0), "on") == 0;
    PQclear(r);
    if (ro)
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot write to PostgreSQL "
                            "database '%s': its transactions are read-only "
                            "(transaction_read_only is on: a standby server, or "
                            "default_transaction_read_only set for the database or the "
                            "user); load into the primary, or turn it off", l->target);
    return 0;
}

int fx__load_pg_handle(fx_loader *l, struct pg_conn **out, fx_error *err)
{
    pg *p = l->be;
    int rc = flush_all(l, err);
    *out = rc < 0 ? NULL : p->c;
    return rc < 0 ? rc : 0;
}
