/*
** load_sqlite.c: the SQLite back end of the load engine.  One connection,
** one BEGIN IMMEDIATE transaction, prepared statements per model and set
** of columns, every value bound.  Foreign keys are checked at commit, as
** Django's DEFERRABLE INITIALLY DEFERRED constraints are: before COMMIT,
** PRAGMA foreign_key_check over every table finds the first violation so
** that the message names the record, as Django's check_constraints() does
** (the connection does not also check them row by row: foreign_keys is
** off on it, for speed).  The database's own settings (journal mode, page
** size) are not touched; only this connection's (foreign_keys,
** cache_size), which end with it.
**
** A row is written as loaddata's save(): INSERT unless the pk is taken
** (INSERT ... ON CONFLICT (pk) DO NOTHING, one statement for a new row),
** else UPDATE by pk, only when a value differs, so that unchanged rows are
** counted as such.  When a constraint refuses that insert (a record with
** only some of the columns of an existing row fails NOT NULL before the pk
** conflict is seen), the row takes the slow path: UPDATE, SELECT, INSERT.  The connection's page cache is made large enough for
** the load (see fx__load_sqlite_open): with SQLite's default 2 MB, time
** grew much faster than the number of records.
*/
#include "load_int.h"
#include "schema_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#include <sqlite3.h>

/* Statements for one set of columns of a model. */
typedef struct colset {
    uint64_t mask;           /* bit i: field i (fields past 63 share bit 63) */
    size_t n;
    size_t *fidx;
    sqlite3_stmt *update, *insert;
    sqlite3_stmt *insert_new;   /* INSERT ... ON CONFLICT (pk) DO NOTHING */
    sqlite3_stmt *multi;        /* the same for chunk rows, RETURNING pk */
    size_t chunk;
} colset;

/* Rows with a pk of one model and set of columns, waiting to be written
** chunk rows a statement (see flush()). */
typedef struct sqbatch {
    size_t si, nrows;
    fx__bind *vals;          /* nrows * (n + 1): pk, then the columns; text
                             ** as offsets into text until the flush */
    size_t cvals;
    fx_buf text;
    fx__loc *locs;
    size_t clocs;
} sqbatch;

typedef struct smodel {
    colset *sets;
    size_t nsets;
    sqlite3_stmt *exists, *natural;
    sqlite3_stmt **m2m_sel, **m2m_ins, **m2m_del, **set;   /* per field */
    int has_m2m;             /* row by row: m2m needs each row's outcome */
    sqbatch b;
} smodel;

/* A full batch handed to the writer thread (see "the writer thread"). */
typedef struct sqjob {
    sqbatch b;               /* the writer's while busy, then main's */
    size_t mi;               /* its model */
    char *inserted;          /* per row: 1 the writer inserted it, 0 not, 2
                             ** its chunk inserted only some rows */
    size_t cinserted;
    size_t extra;            /* rows inserted by chunks of 2s */
} sqjob;

typedef struct sq {
    sqlite3 *db;
    const char *path;
    const fx_schema *schema;
    smodel *m;
    size_t nm;
    int in_tx;
    int committing;          /* our COMMIT: the commit hook lets it through */
    int lost;                /* the writer met a transaction SQLite rolled back */
    int batch;               /* multi-row inserts (not with --dry-run) */
    char **files;            /* file names of batched rows */
    size_t nfiles;
    /* the writer thread */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int thread_on;           /* started (else jobs are written inline) */
    int busy;                /* under mu: the writer has the job */
    int quit;                /* under mu: the writer is to end */
    int pending;             /* the job is written, its rows not yet counted */
    sqjob job;
} sq;

#define SQ_CHUNK 64          /* rows a multi-row INSERT takes */
#define SQ_BATCH 1024        /* rows a batch holds */

static int sync_job(fx_loader *l, sq *s, fx_error *err);

/* After some errors (a full disk, an I/O error, out of memory) SQLite
** rolls the whole transaction back by itself: the connection is then in
** autocommit mode, where each later statement would commit on its own.
** The commit hook refuses every commit but fxload's own (sq_finish()), and
** the load stops at the first sign of it. */
static int tx_lost(sq *s)
{
    return s->in_tx && sqlite3_get_autocommit(s->db);
}

static int commit_guard(void *arg)
{
    sq *s = arg;
    return !s->committing;   /* non-zero: the commit becomes a rollback */
}

/* Errors that say the database cannot be written, whatever the data:
** "could not run" (exit 2), not "rejected". */
static int trouble(int ext)
{
    switch (ext & 0xff) {
    case SQLITE_READONLY: case SQLITE_CANTOPEN: case SQLITE_PERM: case SQLITE_AUTH:
    case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_CORRUPT: case SQLITE_NOTADB:
    case SQLITE_NOMEM: case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
        return 1;
    }
    return 0;
}

/* The database (or its directory, where the journal goes) cannot be
** written: a message about the database, not about a record. */
static int readonly(fx_loader *l, sq *s, fx_error *err, const char *m, int ext)
{
    l->failed = 1;
    if (ext == SQLITE_READONLY_DIRECTORY)
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot write to database '%s' "
                            "(%s): its directory is read-only, and SQLite writes a journal "
                            "there; make the directory writable for this user", s->path, m);
    if ((ext & 0xff) == SQLITE_CANTOPEN)
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot write to database '%s' "
                            "(%s): SQLite could not open the file or create its journal "
                            "next to it; check that the file and its directory are "
                            "writable for this user", s->path, m);
    return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot write to database '%s' (%s): "
                        "make the file and its directory writable for this user", s->path, m);
}

static int dberr(fx_loader *l, sq *s, const fx__loc *loc, fx_error *err, const char *doing)
{
    const char *m = sqlite3_errmsg(s->db);
    int ext = sqlite3_extended_errcode(s->db);
    if (tx_lost(s) || s->lost) {
        const char *why = (ext & 0xff) == SQLITE_FULL ? "; free some disk space, then load again"
                                                      : "";
        if (loc)
            return fx__load_fail(l, loc, err, FX_EIO, "%s (while %s): SQLite rolled the whole "
                                 "load back%s", m, doing, why);
        l->failed = 1;
        return fx_error_set(err, FX_EIO, s->path, 0, 0, 0, "%s (while %s): SQLite rolled the "
                            "whole load back, nothing was written%s", m, doing, why);
    }
    if ((ext & 0xff) == SQLITE_READONLY || (ext & 0xff) == SQLITE_CANTOPEN ||
        (ext & 0xff) == SQLITE_PERM)
        return readonly(l, s, err, m, ext);
    if (strstr(m, "no such table"))
        return fx__load_fail(l, loc, err, FX__EREJECT, "%s (while %s): run migrate "
                             "(manage.py migrate) on %s, or pass --ignorenonexistent",
                             m, doing, s->path);
    if ((ext & 0xff) == SQLITE_CONSTRAINT && loc) {
        /* "UNIQUE constraint failed: table.col, table.col" -> field names */
        const fx_model_schema *md = fx_schema_model(l->schema, loc->label);
        const char *cols = strstr(m, "failed: ");
        char fields[300] = "";
        if (md && cols) {
            char tmp[300];
            snprintf(tmp, sizeof tmp, "%s", cols + 8);
            for (char *tok = strtok(tmp, ", "); tok; tok = strtok(NULL, ", ")) {
                char *dot = strrchr(tok, '.');
                const char *c = dot ? dot + 1 : tok;
                const char *name = c;
                for (size_t i = 0; i < md->nfields; i++)
                    if (md->fields[i].column && strcasecmp(md->fields[i].column, c) == 0)
                        name = md->fields[i].name;
                if (strcasecmp(c, md->pk_column) == 0)
                    name = md->pk_name;
                size_t k = strlen(fields);
                snprintf(fields + k, sizeof fields - k, "%s'%s'", k ? ", " : "", name);
            }
        }
        const char *why = ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY
                              ? ": another row already has this value; change it in the "
                                "file or in the database"
                          : ext == SQLITE_CONSTRAINT_NOTNULL
                              ? ": the record gives no value and the column has no "
                                "default (Django would use the model's default): add the "
                                "field to the record"
                              : "";
        return fx__load_fail(l, loc, err, FX__EREJECT, "field%s %s: %s%s",
                             strchr(fields, ',') ? "s" : "", fields[0] ? fields : "?", m, why);
    }
    if (loc)   /* the data, or trouble with the database (not the record's fault) */
        return fx__load_fail(l, loc, err, trouble(ext) ? FX_EIO : FX__EREJECT,
                             "%s (while %s)", m, doing);
    l->failed = 1;
    return fx_error_set(err, FX_EIO, s->path, 0, 0, 0, "%s (while %s): nothing was written",
                        m, doing);
}

static int prep(fx_loader *l, sq *s, sqlite3_stmt **st, const fx_buf *sql,
                const fx__loc *loc, fx_error *err)
{
    if (sqlite3_prepare_v3(s->db, sql->data, (int)sql->len, SQLITE_PREPARE_PERSISTENT, st,
                           NULL) != SQLITE_OK)
        return dberr(l, s, loc, err, "preparing a statement");
    return 0;
}

/* Step a statement to its end; SQLITE_DONE or an error code. */
static int run(sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    return rc;
}

static uint64_t mask_of(const size_t *fidx, size_t n)
{
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        m |= (uint64_t)1 << (fidx[i] < 63 ? fidx[i] : 63);
    return m;
}

static colset *get_set(fx_loader *l, sq *s, size_t mi, const size_t *fidx, size_t n,
                       const fx__loc *loc, fx_error *err)
{
    smodel *sm = &s->m[mi];
    uint64_t mask = mask_of(fidx, n);
    for (size_t i = 0; i < sm->nsets; i++)
        if (sm->sets[i].mask == mask && sm->sets[i].n == n &&
            memcmp(sm->sets[i].fidx, fidx, n * sizeof *fidx) == 0)
            return &sm->sets[i];
    if (sync_job(l, s, err) < 0)   /* the writer may be using a set */
        return NULL;
    colset *cs = realloc(sm->sets, (sm->nsets + 1) * sizeof *cs);
    if (!cs) {
        fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        return NULL;
    }
    sm->sets = cs;
    cs = &cs[sm->nsets];
    memset(cs, 0, sizeof *cs);
    const fx_model_schema *m = &l->schema->models[mi];
    fx_buf u = FX_BUF_INIT, in = FX_BUF_INIT;
    int oom = fx_buf_adds(&u, "UPDATE ") || fx__quote_id(&u, m->table) || fx_buf_adds(&u, " SET ");
    for (size_t i = 0; i < n && !oom; i++)
        oom = (i && fx_buf_adds(&u, ", ")) || fx__quote_id(&u, m->fields[fidx[i]].column) ||
              fx_buf_printf(&u, " = ?%zu", i + 2);
    oom = oom || fx_buf_adds(&u, " WHERE ") || fx__quote_id(&u, m->pk_column) ||
          fx_buf_adds(&u, " = ?1 AND NOT (");
    for (size_t i = 0; i < n && !oom; i++)
        oom = (i && fx_buf_adds(&u, " AND ")) || fx__quote_id(&u, m->fields[fidx[i]].column) ||
              fx_buf_printf(&u, " IS ?%zu", i + 2);
    oom = oom || fx_buf_adds(&u, ")");
    oom = oom || fx_buf_adds(&in, "INSERT INTO ") || fx__quote_id(&in, m->table) ||
          fx_buf_adds(&in, " (") || fx__quote_id(&in, m->pk_column);
    for (size_t i = 0; i < n && !oom; i++)
        oom = fx_buf_adds(&in, ", ") || fx__quote_id(&in, m->fields[fidx[i]].column);
    oom = oom || fx_buf_adds(&in, ") VALUES (?1");
    for (size_t i = 0; i < n && !oom; i++)
        oom = fx_buf_printf(&in, ", ?%zu", i + 2);
    oom = oom || fx_buf_adds(&in, ")") || !(cs->fidx = malloc((n + 1) * sizeof *fidx));
    int rc = 0;
    if (oom)
        rc = fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    else if (!(rc = prep(l, s, &cs->insert, &in, loc, err)) && n)
        rc = prep(l, s, &cs->update, &u, loc, err);
    /* the same insert that leaves an existing row alone: one statement
    ** (one b-tree descent) for a new row instead of UPDATE + SELECT +
    ** INSERT; other unique constraints still fail as before */
    if (!rc && (fx_buf_adds(&in, " ON CONFLICT (") || fx__quote_id(&in, m->pk_column) ||
                fx_buf_adds(&in, ") DO NOTHING")))
        rc = fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    if (!rc)
        rc = prep(l, s, &cs->insert_new, &in, loc, err);
    fx_buf_free(&u);
    fx_buf_free(&in);
    if (rc) {
        sqlite3_finalize(cs->insert);
        sqlite3_finalize(cs->insert_new);
        sqlite3_finalize(cs->update);
        free(cs->fidx);
        return NULL;
    }
    memcpy(cs->fidx, fidx, n * sizeof *fidx);
    cs->mask = mask;
    cs->n = n;
    cs->chunk = 30000 / (n + 1) < SQ_CHUNK ? 30000 / (n + 1) : SQ_CHUNK;
    sm->nsets++;
    return cs;
}

static int simple_stmt(fx_loader *l, sq *s, sqlite3_stmt **st, const fx__loc *loc,
                       fx_error *err, const char *fmt, const char *a, const char *b,
                       const char *c)
{
    if (*st)
        return 0;
    /* fmt has %s for quoted identifiers a, b, c (in order) */
    fx_buf sql = FX_BUF_INIT;
    const char *ids[3] = {a, b, c};
    int k = 0, oom = 0;
    for (const char *p = fmt; *p && !oom; p++) {
        if (p[0] == '%' && p[1] == 's') {
            oom = fx__quote_id(&sql, ids[k++]);
            p++;
        } else {
            oom = fx_buf_addc(&sql, *p);
        }
    }
    int rc = oom ? fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory")
                 : prep(l, s, st, &sql, loc, err);
    fx_buf_free(&sql);
    return rc;
}

/* Bind ?1 to pk and ?2.. to vals[0..n), then run st: SQLITE_DONE or an
** error code. */
static int run_row(sqlite3_stmt *st, const fx__bind *pk, const fx__bind *vals, size_t n)
{
    fx__sqlite_bind(st, 1, pk);
    for (size_t i = 0; i < n; i++)
        fx__sqlite_bind(st, (int)i + 2, &vals[i]);
    return run(st);
}

/* UPDATE the row by pk when a value differs: 1 updated, 0 not (no update
** statement: a record without fields), or a negative code. */
static int update_row(fx_loader *l, sq *s, colset *cs, const fx__bind *pk,
                      const fx__bind *vals, size_t n, const fx__loc *loc, fx_error *err)
{
    if (!cs->update)
        return 0;
    if (run_row(cs->update, pk, vals, n) != SQLITE_DONE)
        return dberr(l, s, loc, err, "updating the row");
    return sqlite3_changes(s->db) > 0;
}

/* One row, with the statements of set cs. */
static int row_upsert(fx_loader *l, sq *s, size_t mi, colset *cs, const fx__bind *pk,
                      const fx__bind *vals, size_t n, const fx__loc *loc, int *result,
                      fx__bind *newpk, fx_error *err)
{
    if (pk->type != FX__B_NULL) {
        /* Fast: insert unless the pk is taken (loaddata's save() finds no
        ** row: INSERT), one statement for a new row; for a taken pk, update
        ** the row only when a value differs (UPDATED), else UNCHANGED. */
        int rc;
        if (run_row(cs->insert_new, pk, vals, n) == SQLITE_DONE) {
            if (sqlite3_changes(s->db)) {
                *result = FX__INSERTED;
                return 0;
            }
            if ((rc = update_row(l, s, cs, pk, vals, n, loc, err)) < 0)
                return rc;
            *result = rc ? FX__UPDATED : FX__UNCHANGED;
            return 0;
        }
        if ((sqlite3_extended_errcode(s->db) & 0xff) != SQLITE_CONSTRAINT)
            return dberr(l, s, loc, err, "inserting the row");
        /* A constraint refused the insert (nothing written): SQLite checks
        ** NOT NULL before the pk conflict, so a record that updates only
        ** some columns of an existing row lands here.  The slow path, as
        ** loaddata's save(): UPDATE by pk, else INSERT (whose error, if
        ** any, is the one to report). */
        if ((rc = update_row(l, s, cs, pk, vals, n, loc, err)) < 0)
            return rc;
        if (rc) {
            *result = FX__UPDATED;
            return 0;
        }
        const fx_model_schema *m = &l->schema->models[mi];
        rc = simple_stmt(l, s, &s->m[mi].exists, loc, err, "SELECT 1 FROM %s WHERE %s = ?1",
                         m->table, m->pk_column, NULL);
        if (rc)
            return rc;
        fx__sqlite_bind(s->m[mi].exists, 1, pk);
        rc = sqlite3_step(s->m[mi].exists);
        sqlite3_reset(s->m[mi].exists);
        if (rc == SQLITE_ROW) {
            *result = FX__UNCHANGED;
            return 0;
        }
        if (rc != SQLITE_DONE)
            return dberr(l, s, loc, err, "looking the row up");
    }
    if (run_row(cs->insert, pk, vals, n) != SQLITE_DONE)
        return dberr(l, s, loc, err, "inserting the row");
    *result = FX__INSERTED;
    if (pk->type == FX__B_NULL) {
        memset(newpk, 0, sizeof *newpk);
        newpk->type = FX__B_INT;
        newpk->i = sqlite3_last_insert_rowid(s->db);
    }
    return 0;
}

/* ---------------------------------------------------------------- batches
** A row of a model without many-to-many fields, with its pk, is not
** written at once but kept (values copied), and written SQ_CHUNK rows a
** statement: INSERT OR IGNORE ... VALUES (...), (...) ...  When the
** statement inserted every row of the chunk (a new table, the common
** case), that is all.  When it inserted none, every row had its pk taken
** (in the database, or earlier in the chunk) or broke a constraint: each
** takes the one-row path (row_upsert: update, UPDATED or UNCHANGED, or
** the error naming the record).  When it inserted some (k), which ones is
** not known (RETURNING would say, at 13% of the instructions of a load):
** every row of the chunk takes the one-row path, where the k inserted ones
** find their own values (UNCHANGED), so that k UNCHANGED of such chunks
** are counted INSERTED: the counts come out exact.  OR IGNORE, rather than ON CONFLICT (pk) DO NOTHING,
** because a statement that cannot abort needs no statement journal: with
** one, SQLite copied every page the chunk touched, and on a large table
** (random index keys: many pages a chunk) that made the time grow faster
** than the number of rows.  If the statement fails anyway (an error, not
** a constraint), the chunk is written row by row.  The batch is
** written before anything that must see its rows: a natural key looked up
** in the model, a row of the model written row by row, a forward
** reference, --replace, the commit.  Saves the per-statement work
** (step, reset, halt, record buffers) of most rows. */

static const char *intern_file(sq *s, const char *f)
{
    for (size_t i = s->nfiles; i-- > 0;)
        if (strcmp(s->files[i], f) == 0)
            return s->files[i];
    char **nf = realloc(s->files, (s->nfiles + 1) * sizeof *nf);
    if (!nf)
        return NULL;
    s->files = nf;
    if (!(nf[s->nfiles] = strdup(f)))
        return NULL;
    return nf[s->nfiles++];
}

static int nomem_sq(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

/* The chunk statement of set cs, prepared by the writer thread: no
** message on failure (the rows then take main's one-row path, which
** reports any error). */
static int multi_stmt(sq *s, size_t mi, colset *cs)
{
    if (cs->multi)
        return 0;
    const fx_model_schema *m = &s->schema->models[mi];
    fx_buf q = FX_BUF_INIT;
    int oom = fx_buf_adds(&q, "INSERT OR IGNORE INTO ") || fx__quote_id(&q, m->table) ||
              fx_buf_adds(&q, " (") || fx__quote_id(&q, m->pk_column);
    for (size_t i = 0; i < cs->n && !oom; i++)
        oom = fx_buf_adds(&q, ", ") || fx__quote_id(&q, m->fields[cs->fidx[i]].column);
    oom = oom || fx_buf_adds(&q, ") VALUES ");
    for (size_t r = 0; r < cs->chunk && !oom; r++) {
        oom = fx_buf_adds(&q, r ? ", (?" : "(?");
        for (size_t i = 0; i < cs->n && !oom; i++)
            oom = fx_buf_adds(&q, ", ?");
        oom = oom || fx_buf_addc(&q, ')');
    }
    int rc = oom || sqlite3_prepare_v3(s->db, q.data, (int)q.len, SQLITE_PREPARE_PERSISTENT,
                                       &cs->multi, NULL) != SQLITE_OK;
    fx_buf_free(&q);
    return rc ? -1 : 0;
}

/* ---------------------------------------------------------------- the writer thread
** A full batch is handed to a second thread, which inserts its new rows
** (chunk statements, then the rest one by one) while the main thread
** reads and converts the next records: on two cores, reading and SQLite
** run side by side.  The writer only inserts rows whose pk is free and
** marks them; every other row (pk taken: update or unchanged; refused by
** a constraint; any error) is left to the main thread, which writes it
** row by row when it takes the batch back (sync_job()) and names the
** record on error.  The connection is never used by both threads at once:
** every use of it by the main thread (a one-row write, a natural key
** looked up, many-to-many links, a new statement set, --replace, the
** commit, the close) first waits for the writer (sync_job()).  Rows are
** written in the order of the files, except that a batch's left rows
** come after its inserted ones. */

static void batch_reset(sqbatch *b)
{
    b->nrows = 0;
    fx_buf_reset(&b->text);
}

static void write_job(sq *s)
{
    sqjob *j = &s->job;
    sqbatch *b = &j->b;
    colset *cs = &s->m[j->mi].sets[b->si];
    size_t w = cs->n + 1, done = 0;
    memset(j->inserted, 0, b->nrows);
    j->extra = 0;
    while (cs->chunk > 1 && b->nrows - done >= cs->chunk && !multi_stmt(s, j->mi, cs)) {
        sqlite3_stmt *st = cs->multi;
        fx__bind *v = &b->vals[done * w];
        for (size_t i = 0; i < cs->chunk * w; i++)
            fx__sqlite_bind(st, (int)i + 1, &v[i]);
        /* an error (not a constraint: OR IGNORE) leaves nothing */
        int rc = run(st);
        if (rc != SQLITE_DONE && tx_lost(s)) {   /* stop: the main thread reports it */
            s->lost = 1;
            return;
        }
        size_t k = rc == SQLITE_DONE ? (size_t)sqlite3_changes(s->db) : 0;
        memset(j->inserted + done, k == cs->chunk ? 1 : k ? 2 : 0, cs->chunk);
        if (k < cs->chunk)
            j->extra += k;
        done += cs->chunk;
    }
    for (size_t r = done; r < b->nrows; r++) {
        fx__bind *v = &b->vals[r * w];
        int rc = run_row(cs->insert_new, &v[0], &v[1], cs->n);
        if (rc != SQLITE_DONE && tx_lost(s)) {
            s->lost = 1;
            return;
        }
        j->inserted[r] = rc == SQLITE_DONE && sqlite3_changes(s->db) > 0;
    }
}

static void *writer(void *arg)
{
    sq *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->busy && !s->quit)
            pthread_cond_wait(&s->cv, &s->mu);
        if (!s->busy)
            break;
        pthread_mutex_unlock(&s->mu);
        write_job(s);
        pthread_mutex_lock(&s->mu);
        s->busy = 0;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Wait for the writer, then count the rows it inserted and write the
** others row by row, in order.  0, or a negative code naming the record. */
static int sync_job(fx_loader *l, sq *s, fx_error *err)
{
    if (s->thread_on) {
        pthread_mutex_lock(&s->mu);
        while (s->busy)
            pthread_cond_wait(&s->cv, &s->mu);
        pthread_mutex_unlock(&s->mu);
    }
    if (s->lost || tx_lost(s))
        return dberr(l, s, NULL, err, "inserting rows");
    if (!s->pending)
        return 0;
    s->pending = 0;
    sqjob *j = &s->job;
    sqbatch *b = &j->b;
    colset *cs = &s->m[j->mi].sets[b->si];
    size_t w = cs->n + 1;
    int rc = 0;
    for (size_t r = 0; r < b->nrows && !rc; r++) {
        const fx__loc *loc = &b->locs[r];
        int result = FX__INSERTED;
        if (j->inserted[r] != 1)
            rc = row_upsert(l, s, j->mi, cs, &b->vals[r * w], &b->vals[r * w + 1], cs->n, loc,
                            &result, NULL, err);
        if (j->inserted[r] == 2 && result == FX__UNCHANGED && j->extra) {
            result = FX__INSERTED;   /* see "batches" above */
            j->extra--;
        }
        if (!rc)
            fx__load_result(l, j->mi, result, loc->pk);
    }
    batch_reset(b);
    return rc;
}

/* Hand the batch of model mi to the writer (after the previous one is
** done and counted); without a thread, write it here. */
static int submit(fx_loader *l, sq *s, size_t mi, fx_error *err)
{
    sqbatch *b = &s->m[mi].b;
    if (!b->nrows)
        return 0;
    int rc = sync_job(l, s, err);
    if (rc < 0)
        return rc;
    sqjob *j = &s->job;
    if (j->cinserted < b->nrows) {
        char *ni = realloc(j->inserted, SQ_BATCH > b->nrows ? SQ_BATCH : b->nrows);
        if (!ni)
            return nomem_sq(err);
        j->inserted = ni;
        j->cinserted = SQ_BATCH > b->nrows ? SQ_BATCH : b->nrows;
    }
    sqbatch t = j->b;   /* the job's emptied buffers become the model's */
    j->b = *b;
    *b = t;
    j->mi = mi;
    b = &j->b;
    size_t w = s->m[mi].sets[b->si].n + 1;
    for (size_t i = 0; i < b->nrows * w; i++)
        if (b->vals[i].type == FX__B_TEXT || b->vals[i].type == FX__B_BLOB)
            b->vals[i].s = b->text.data + (uintptr_t)b->vals[i].s;
    s->pending = 1;
    const char *nt = getenv("FX_LOAD_NO_THREAD");
    if (!s->thread_on && !(nt && *nt && strcmp(nt, "0"))) {
        if (pthread_mutex_init(&s->mu, NULL) == 0) {
            if (pthread_cond_init(&s->cv, NULL) == 0) {
                if (pthread_create(&s->thread, NULL, writer, s) == 0)
                    s->thread_on = 1;
                else
                    pthread_cond_destroy(&s->cv);
            }
            if (!s->thread_on)
                pthread_mutex_destroy(&s->mu);
        }
    }
    if (!s->thread_on) {   /* no thread: write it now */
        write_job(s);
        return 0;
    }
    pthread_mutex_lock(&s->mu);
    s->busy = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* Write the batch of model mi and wait until it is written (and every
** earlier one): the main thread may then use the connection. */
static int flush(fx_loader *l, sq *s, size_t mi, fx_error *err)
{
    int rc = submit(l, s, mi, err);
    return rc < 0 ? rc : sync_job(l, s, err);
}

static int flush_all(fx_loader *l, sq *s, fx_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < s->nm && !rc; i++)
        rc = submit(l, s, i, err);
    return rc < 0 ? rc : sync_job(l, s, err);
}

static int batch_add(fx_loader *l, sq *s, size_t mi, size_t si, const fx__bind *pk,
                     const fx__bind *vals, size_t n, const fx__loc *loc, fx_error *err)
{
    sqbatch *b = &s->m[mi].b;
    int rc;
    if (b->nrows && b->si != si && (rc = submit(l, s, mi, err)) < 0)
        return rc;
    size_t w = n + 1;
    if ((b->nrows + 1) * w > b->cvals) {
        size_t c = b->cvals ? b->cvals * 2 : 64 * w;
        while (c < (b->nrows + 1) * w)
            c *= 2;
        fx__bind *nv = realloc(b->vals, c * sizeof *nv);
        if (!nv)
            return nomem_sq(err);
        b->vals = nv;
        b->cvals = c;
    }
    if (b->nrows == b->clocs) {
        size_t c = b->clocs ? b->clocs * 2 : 64;
        fx__loc *nl = realloc(b->locs, c * sizeof *nl);
        if (!nl)
            return nomem_sq(err);
        b->locs = nl;
        b->clocs = c;
    }
    b->si = si;
    fx__bind *v = &b->vals[b->nrows * w];
    for (size_t i = 0; i < w; i++) {
        v[i] = i ? vals[i - 1] : *pk;
        if (v[i].type == FX__B_TEXT || v[i].type == FX__B_BLOB) {
            size_t off = b->text.len;
            if (fx_buf_add(&b->text, v[i].s, v[i].n) || fx_buf_addc(&b->text, '\0'))
                return nomem_sq(err);
            v[i].s = (const char *)(uintptr_t)off;
        }
    }
    b->locs[b->nrows] = *loc;
    if (loc->file && !(b->locs[b->nrows].file = intern_file(s, loc->file)))
        return nomem_sq(err);
    b->nrows++;
    if (b->nrows >= SQ_BATCH)
        return submit(l, s, mi, err);
    return 0;
}

static int sq_upsert(fx_loader *l, size_t mi, const fx__bind *pk, const size_t *fidx,
                     const fx__bind *vals, size_t n, const fx__loc *loc, int *result,
                     fx__bind *newpk, fx_error *err)
{
    sq *s = l->be;
    colset *cs = get_set(l, s, mi, fidx, n, loc, err);
    if (!cs)
        return err->code;
    if (s->batch && pk->type != FX__B_NULL && !s->m[mi].has_m2m && cs->chunk > 1 &&
        !l->want_result) {
        *result = 0;   /* counted by flush() */
        return batch_add(l, s, mi, (size_t)(cs - s->m[mi].sets), pk, vals, n, loc, err);
    }
    int rc = flush(l, s, mi, err);   /* the model's earlier rows first */
    if (rc < 0)
        return rc;
    return row_upsert(l, s, mi, cs, pk, vals, n, loc, result, newpk, err);
}

static int sq_natural(fx_loader *l, size_t mi, const fx__bind *vals, fx__bind *pk,
                      fx_error *err)
{
    sq *s = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    smodel *sm = &s->m[mi];
    int frc = flush(l, s, mi, err);   /* rows of the files not written yet */
    if (frc < 0)
        return frc;
    if (!sm->natural) {
        fx_buf sql = FX_BUF_INIT;
        int oom = fx_buf_adds(&sql, "SELECT ") || fx__quote_id(&sql, m->pk_column) ||
                  fx_buf_adds(&sql, " FROM ") || fx__quote_id(&sql, m->table) ||
                  fx_buf_adds(&sql, " WHERE ");
        for (size_t i = 0; i < m->natural_key.n && !oom; i++) {
            const fx_field_schema *f = fx_model_field(m, m->natural_key.names[i]);
            const char *col = f && f->column ? f->column : m->natural_key.names[i];
            oom = (i && fx_buf_adds(&sql, " AND ")) || fx__quote_id(&sql, col) ||
                  fx_buf_printf(&sql, " = ?%zu", i + 1);
        }
        int rc = oom ? fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory")
                     : prep(l, s, &sm->natural, &sql, NULL, err);
        fx_buf_free(&sql);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < m->natural_key.n; i++)
        fx__sqlite_bind(sm->natural, (int)i + 1, &vals[i]);
    int rc = sqlite3_step(sm->natural), found = 0;
    if (rc == SQLITE_ROW) {
        found = 1;
        memset(pk, 0, sizeof *pk);
        if (sqlite3_column_type(sm->natural, 0) == SQLITE_INTEGER) {
            pk->type = FX__B_INT;
            pk->i = sqlite3_column_int64(sm->natural, 0);
        } else if (fx__arena_text(l, pk, (const char *)sqlite3_column_text(sm->natural, 0),
                                  (size_t)sqlite3_column_bytes(sm->natural, 0))) {
            sqlite3_reset(sm->natural);
            return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        }
    } else if (rc != SQLITE_DONE) {
        sqlite3_reset(sm->natural);
        return dberr(l, s, NULL, err, "looking a natural key up");
    }
    sqlite3_reset(sm->natural);
    return found;
}

static int same(sqlite3_stmt *st, int col, const fx__bind *b)
{
    if (b->type == FX__B_INT)
        return sqlite3_column_type(st, col) == SQLITE_INTEGER &&
               sqlite3_column_int64(st, col) == b->i;
    if (b->type == FX__B_TEXT) {
        const char *t = (const char *)sqlite3_column_text(st, col);
        return t && strcmp(t, b->s) == 0;
    }
    if (b->type == FX__B_BLOB)
        return sqlite3_column_type(st, col) == SQLITE_BLOB &&
               (size_t)sqlite3_column_bytes(st, col) == b->n &&
               (!b->n || memcmp(sqlite3_column_blob(st, col), b->s, b->n) == 0);
    return 0;
}

static int sq_m2m(fx_loader *l, size_t mi, size_t fi, const fx__bind *pk,
                  const fx__bind *targets, size_t n, int fresh, const fx__loc *loc,
                  int *changed, fx_error *err)
{
    sq *s = l->be;
    smodel *sm = &s->m[mi];
    const fx_field_schema *f = &l->schema->models[mi].fields[fi];
    int rc;
    if ((rc = sync_job(l, s, err)) < 0)
        return rc;
    if ((rc = simple_stmt(l, s, &sm->m2m_sel[fi], loc, err, "SELECT %s FROM %s WHERE %s = ?1",
                          f->through_to, f->through, f->through_from)) ||
        (rc = simple_stmt(l, s, &sm->m2m_ins[fi], loc, err, "INSERT INTO %s (%s, %s) "
                          "VALUES (?1, ?2)", f->through, f->through_from, f->through_to)) ||
        (rc = simple_stmt(l, s, &sm->m2m_del[fi], loc, err, "DELETE FROM %s WHERE %s = ?1 "
                          "AND %s = ?2", f->through, f->through_from, f->through_to)))
        return rc;
    char *have = calloc(n + 1, 1);   /* targets already linked (or listed twice) */
    if (!have)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i && !have[i]; j++)
            if (targets[j].type == targets[i].type &&
                (targets[i].type == FX__B_INT ? targets[i].i == targets[j].i
                                              : strcmp(targets[i].s, targets[j].s) == 0))
                have[i] = 1;
    if (!fresh) {
        sqlite3_stmt *sel = sm->m2m_sel[fi];
        fx__sqlite_bind(sel, 1, pk);
        fx__bind *gone = NULL;
        size_t ngone = 0;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            size_t i;
            for (i = 0; i < n; i++)
                if (same(sel, 0, &targets[i]))
                    break;
            if (i < n) {
                have[i] = 1;
                continue;
            }
            fx__bind *g = realloc(gone, (ngone + 1) * sizeof *g);
            if (!g) {
                rc = SQLITE_NOMEM;
                break;
            }
            gone = g;
            memset(&g[ngone], 0, sizeof *g);
            g[ngone].type = FX__B_INT;
            g[ngone++].i = sqlite3_column_int64(sel, 0);
        }
        sqlite3_reset(sel);
        for (size_t i = 0; rc == SQLITE_DONE && i < ngone; i++) {
            fx__sqlite_bind(sm->m2m_del[fi], 1, pk);
            fx__sqlite_bind(sm->m2m_del[fi], 2, &gone[i]);
            rc = run(sm->m2m_del[fi]);
            *changed = 1;
        }
        free(gone);
        if (rc != SQLITE_DONE) {
            free(have);
            return dberr(l, s, loc, err, "reading many-to-many links");
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (have[i])
            continue;
        fx__sqlite_bind(sm->m2m_ins[fi], 1, pk);
        fx__sqlite_bind(sm->m2m_ins[fi], 2, &targets[i]);
        if (run(sm->m2m_ins[fi]) != SQLITE_DONE) {
            free(have);
            return dberr(l, s, loc, err, "linking many-to-many members");
        }
        *changed = 1;
    }
    free(have);
    return 0;
}

static int sq_set(fx_loader *l, size_t mi, size_t fi, const fx__bind *pk,
                  const fx__bind *val, const fx__loc *loc, int *changed, fx_error *err)
{
    sq *s = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    const char *col = m->fields[fi].column;
    int rc = flush(l, s, mi, err);
    if (rc < 0)
        return rc;
    if (!s->m[mi].set[fi]) {
        fx_buf sql = FX_BUF_INIT;
        int oom = fx_buf_adds(&sql, "UPDATE ") || fx__quote_id(&sql, m->table) ||
                  fx_buf_adds(&sql, " SET ") || fx__quote_id(&sql, col) ||
                  fx_buf_adds(&sql, " = ?2 WHERE ") || fx__quote_id(&sql, m->pk_column) ||
                  fx_buf_adds(&sql, " = ?1 AND ") || fx__quote_id(&sql, col) ||
                  fx_buf_adds(&sql, " IS NOT ?2");
        rc = oom ? nomem_sq(err) : prep(l, s, &s->m[mi].set[fi], &sql, loc, err);
        fx_buf_free(&sql);
        if (rc)
            return rc;
    }
    fx__sqlite_bind(s->m[mi].set[fi], 1, pk);
    fx__sqlite_bind(s->m[mi].set[fi], 2, val);
    if (run(s->m[mi].set[fi]) != SQLITE_DONE)
        return dberr(l, s, loc, err, "setting a forward reference");
    *changed = sqlite3_changes(s->db) > 0;
    return 0;
}

static int exec(fx_loader *l, sq *s, const char *sql, const fx__loc *loc, fx_error *err,
                const char *doing)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return dberr(l, s, loc, err, doing);
    return 0;
}

static int sq_clear(fx_loader *l, size_t mi, unsigned long *deleted, fx_error *err)
{
    sq *s = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    fx_buf sql = FX_BUF_INIT;
    int oom = 0;
    int frc = flush(l, s, mi, err);
    if (frc < 0)
        return frc;
    for (size_t part = 0; part <= m->nfields; part++) {   /* saved, for the counts */
        if (fx__replace_save_sql(&sql, l, mi, part)) {
            fx_buf_free(&sql);
            return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        }
        if (sql.len && (frc = exec(l, s, sql.data, NULL, err, "saving rows (--replace)"))) {
            fx_buf_free(&sql);
            return frc;
        }
    }
    fx_buf_reset(&sql);
    for (size_t i = 0; i < m->nfields && !oom; i++)
        if (m->fields[i].kind == FX_K_M2M)
            oom = fx_buf_adds(&sql, "DELETE FROM ") || fx__quote_id(&sql, m->fields[i].through) ||
                  fx_buf_adds(&sql, ";");
    if (oom) {
        fx_buf_free(&sql);
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    }
    int rc = sql.len ? exec(l, s, sql.data, NULL, err, "deleting links (--replace)") : 0;
    fx_buf_reset(&sql);
    if (!rc && (fx_buf_adds(&sql, "DELETE FROM ") || fx__quote_id(&sql, m->table)))
        rc = fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    if (!rc && !(rc = exec(l, s, sql.data, NULL, err, "deleting rows (--replace)")))
        *deleted += (unsigned long)sqlite3_changes(s->db);
    fx_buf_free(&sql);
    return rc;
}

static int sq_replaced(fx_loader *l, size_t mi, int list, fx_error *err)
{
    sq *s = l->be;
    int rc = flush(l, s, mi, err);
    if (rc < 0)
        return rc;
    fx_buf sql = FX_BUF_INIT;
    sqlite3_stmt *st = NULL;
    if (fx__replace_diff_sql(&sql, l, mi, list)) {
        fx_buf_free(&sql);
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    }
    if (sqlite3_prepare_v2(s->db, sql.data, (int)sql.len, &st, NULL) != SQLITE_OK) {
        fx_buf_free(&sql);
        return dberr(l, s, NULL, err, "counting the rows replaced");
    }
    fx_buf_free(&sql);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fx__load_replaced(l, mi, (const char *)sqlite3_column_text(st, 0),
                          list ? (const char *)sqlite3_column_text(st, 1) : NULL,
                          list ? 1 : (unsigned long)sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : dberr(l, s, NULL, err, "counting the rows replaced");
}

/* The first foreign key violation, as a message naming the record. */
static int fk_violation(fx_loader *l, sq *s, fx_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
        return dberr(l, s, NULL, err, "checking foreign keys");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return dberr(l, s, NULL, err, "checking foreign keys");
    }
    char table[256], parent[256];
    snprintf(table, sizeof table, "%s", (const char *)sqlite3_column_text(st, 0));
    int64_t rowid = sqlite3_column_int64(st, 1);
    snprintf(parent, sizeof parent, "%s", (const char *)sqlite3_column_text(st, 2));
    int fkid = sqlite3_column_int(st, 3);
    sqlite3_finalize(st);

    /* the column and its value */
    char column[256] = "?", value[256] = "?";
    fx_buf sql = FX_BUF_INIT;
    fx_buf_printf(&sql, "SELECT \"from\" FROM pragma_foreign_key_list(?1) WHERE id = %d", fkid);
    if (sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(column, sizeof column, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    fx_buf_reset(&sql);
    fx_buf_adds(&sql, "SELECT ");
    fx__quote_id(&sql, column);
    fx_buf_adds(&sql, " FROM ");
    fx__quote_id(&sql, table);
    fx_buf_adds(&sql, " WHERE rowid = ?1");
    if (sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, rowid);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(value, sizeof value, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    fx_buf_free(&sql);

    /* the model and field, directly or through a link table */
    const char *label = table, *fname = column, *plabel = parent;
    char pkbuf[64];
    snprintf(pkbuf, sizeof pkbuf, "%lld", (long long)rowid);
    for (size_t i = 0; i < l->schema->nmodels; i++) {
        const fx_model_schema *m = &l->schema->models[i];
        if (strcasecmp(m->table, parent) == 0)
            plabel = m->label;
        if (strcasecmp(m->table, table) == 0) {
            label = m->label;
            for (size_t j = 0; j < m->nfields; j++)
                if (m->fields[j].column && strcasecmp(m->fields[j].column, column) == 0)
                    fname = m->fields[j].name;
        }
        for (size_t j = 0; j < m->nfields; j++) {
            const fx_field_schema *f = &m->fields[j];
            if (f->kind != FX_K_M2M || strcasecmp(f->through, table) != 0)
                continue;
            label = m->label;
            fname = f->name;
            /* the owner's pk: the link row's from column */
            fx_buf q = FX_BUF_INIT;
            fx_buf_adds(&q, "SELECT ");
            fx__quote_id(&q, f->through_from);
            fx_buf_adds(&q, " FROM ");
            fx__quote_id(&q, table);
            fx_buf_adds(&q, " WHERE rowid = ?1");
            if (sqlite3_prepare_v2(s->db, q.data, -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(st, 1, rowid);
                if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                    snprintf(pkbuf, sizeof pkbuf, "%s", (const char *)sqlite3_column_text(st, 0));
                sqlite3_finalize(st);
            }
            fx_buf_free(&q);
        }
    }
    fx__loc loc;
    memset(&loc, 0, sizeof loc);
    loc.label = label;
    snprintf(loc.pk, sizeof loc.pk, "%s", pkbuf);
    if (fx__load_where(l, &loc))
        return fx__load_fail(l, &loc, err, FX__EREJECT, "field '%s' refers to %s %s, which "
                             "does not exist (FOREIGN KEY constraint failed at commit): add "
                             "that record or fix the reference; nothing was written",
                             fname, plabel, value);
    return fx__load_fail(l, &loc, err, FX__EREJECT, "a row already in the database (not in "
                         "the files): field '%s' refers to %s %s, which does not exist after "
                         "the load (FOREIGN KEY constraint failed at commit); nothing was "
                         "written", fname, plabel, value);
}

static int sq_finish(fx_loader *l, int commit, fx_error *err)
{
    sq *s = l->be;
    int rc;
    if (!commit) {
        s->in_tx = 0;
        return exec(l, s, "ROLLBACK", NULL, err, "rolling back (--dry-run)");
    }
    if ((rc = flush_all(l, s, err)) < 0)
        return rc;
    if ((rc = fk_violation(l, s, err)))
        return rc;
    s->committing = 1;
    if ((rc = exec(l, s, "COMMIT", NULL, err, "committing")))
        return rc;
    s->in_tx = 0;
    return 0;
}

static void sq_close(fx_loader *l)
{
    sq *s = l->be;
    if (!s)
        return;
    if (s->thread_on) {   /* after the writer's current job, if any */
        pthread_mutex_lock(&s->mu);
        s->quit = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
    }
    free(s->job.b.vals);
    free(s->job.b.locs);
    fx_buf_free(&s->job.b.text);
    free(s->job.inserted);
    for (size_t i = 0; i < s->nm; i++) {
        smodel *sm = &s->m[i];
        for (size_t j = 0; j < sm->nsets; j++) {
            sqlite3_finalize(sm->sets[j].update);
            sqlite3_finalize(sm->sets[j].insert);
            sqlite3_finalize(sm->sets[j].insert_new);
            sqlite3_finalize(sm->sets[j].multi);
            free(sm->sets[j].fidx);
        }
        free(sm->sets);
        sqlite3_finalize(sm->exists);
        sqlite3_finalize(sm->natural);
        size_t nf = l->schema->models[i].nfields;
        for (size_t j = 0; j < nf; j++) {
            sqlite3_finalize(sm->m2m_sel[j]);
            sqlite3_finalize(sm->m2m_ins[j]);
            sqlite3_finalize(sm->m2m_del[j]);
            sqlite3_finalize(sm->set[j]);
        }
        free(sm->m2m_sel);
        free(sm->b.vals);
        free(sm->b.locs);
        fx_buf_free(&sm->b.text);
    }
    free(s->m);
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    free(s->files);
    if (s->in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(s->db);
    free(s);
    l->be = NULL;
}

static int sq_rows(fx_loader *l, size_t mi, const size_t *fidx, size_t n, fx__row_fn fn,
                   void *ctx, fx_error *err)
{
    sq *s = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    int rc = sync_job(l, s, err);   /* the connection is main's again */
    if (rc < 0)
        return rc;
    fx_buf sql = FX_BUF_INIT;
    int oom = fx_buf_adds(&sql, "SELECT ") || fx__quote_id(&sql, m->pk_column);
    for (size_t i = 0; i < n && !oom; i++)
        oom = fx_buf_adds(&sql, ", ") || fx__quote_id(&sql, m->fields[fidx[i]].column);
    oom = oom || fx_buf_adds(&sql, " FROM ") || fx__quote_id(&sql, m->table);
    sqlite3_stmt *st = NULL;
    const char *v[16];
    if (oom || n + 1 > sizeof v / sizeof v[0])
        rc = nomem_sq(err);
    else if (sqlite3_prepare_v2(s->db, sql.data, (int)sql.len, &st, NULL) != SQLITE_OK)
        rc = dberr(l, s, NULL, err, "reading the table");
    while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t i = 0; i <= n; i++)
            v[i] = (const char *)sqlite3_column_text(st, (int)i);
        rc = fn(ctx, v);
    }
    if (rc == SQLITE_DONE)
        rc = 0;
    else if (rc > 0)
        rc = dberr(l, s, NULL, err, "reading the table");
    sqlite3_finalize(st);
    fx_buf_free(&sql);
    return rc;
}

static const fx__load_ops sqlite_ops = {"sqlite", sq_upsert, sq_natural, sq_m2m, sq_set,
                                        sq_clear, sq_replaced, sq_finish, sq_close, sq_rows};

int fx__load_sqlite_open(fx_loader *l, const char *path, fx_error *err)
{
    sq *s = calloc(1, sizeof *s);
    if (!s)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    s->path = path;
    l->be = s;
    l->ops = &sqlite_ops;
    int rc = fx__sqlite_open(&s->db, path, 1, "make it with manage.py migrate, or check the "
                             "path", err);
    if (rc)
        return rc;
    if (!l->schema && (rc = fx__sqlite_catalog(&l->schema, s->db, path, err)) < 0)
        return rc;
    s->schema = l->schema;
    if (!(s->m = calloc(l->schema->nmodels + 1, sizeof *s->m)))
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    s->nm = l->schema->nmodels;
    for (size_t i = 0; i < s->nm; i++) {
        size_t nf = l->schema->models[i].nfields + 1;
        sqlite3_stmt **p = calloc(4 * nf, sizeof *p);
        if (!p)
            return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        s->m[i].m2m_sel = p;
        s->m[i].m2m_ins = p + nf;
        s->m[i].m2m_del = p + 2 * nf;
        s->m[i].set = p + 3 * nf;
        for (size_t j = 0; j + 1 < nf; j++)
            s->m[i].has_m2m |= l->schema->models[i].fields[j].kind == FX_K_M2M;
    }
    /* --dry-run prints every change in order: row by row */
    s->batch = !l->change;
    /* This connection's page cache (not a setting of the database; gone
    ** when the connection closes): SQLite's default of 2 MB is far smaller
    ** than the tables and indexes a large load writes, and every b-tree
    ** descent past it becomes reads of pages just evicted, so that the
    ** time grew faster than the number of records.  FX_LOAD_CACHE_MB
    ** bounds the memory it may take (pages are allocated as used). */
    {
        long mb = 256;
        const char *e = getenv("FX_LOAD_CACHE_MB");
        if (e && *e)
            mb = strtol(e, NULL, 10);
        if (mb < 2)
            mb = 2;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%ld", mb * 1024);
        sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
    }
    /* Foreign keys are not enforced row by row on this connection (like
    ** cache_size, foreign_keys is a setting of the connection, not of the
    ** database file): Django's are DEFERRABLE INITIALLY DEFERRED, checked
    ** at commit, and sq_finish() runs PRAGMA foreign_key_check over every
    ** table before COMMIT, which refuses the same loads (and names the
    ** record).  Saves two or three parent lookups a row. */
    if (sqlite3_exec(s->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot begin a transaction on '%s' "
                            "(%s): is another program writing to it?", path,
                            sqlite3_errmsg(s->db));
    s->in_tx = 1;
    sqlite3_commit_hook(s->db, commit_guard, s);
    return 0;
}

int fx__load_sqlite_handle(fx_loader *l, struct sqlite3 **out, fx_error *err)
{
    sq *s = l->be;
    int rc = flush_all(l, s, err);
    if (rc >= 0)
        rc = sync_job(l, s, err);   /* the connection is main's again */
    *out = rc < 0 ? NULL : s->db;
    return rc < 0 ? rc : 0;
}
