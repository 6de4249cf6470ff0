/*
** load_int.h: what the load engine (load.c) and its two database back
** ends (load_sqlite.c, load_pg.c) share; values are converted, and
** connections opened, as db_int.h says.  Not part of the public API.
**
** The engine reads records, maps them to tables and columns through the
** schema, turns each value into a bind (fx__bind) the way Django's backend
** would store it, resolves natural keys, and calls the back end, which
** owns the connection and the transaction.  A back end never sees JSON,
** and never puts a value into SQL text: values are always bound.
*/
#ifndef FX_LOAD_INT_H
#define FX_LOAD_INT_H

#include "db_int.h"
#include "index.h"


/* Outcome of writing one row. */
enum { FX__INSERTED = 1, FX__UPDATED, FX__UNCHANGED };

/* Where a record came from, for messages. */
typedef struct fx__loc {
    const char *file;        /* borrowed from the loader's file list */
    unsigned long line, col;
    const char *label;       /* model label, borrowed from the schema */
    char pk[64];             /* pk as text ("" when not known yet) */
} fx__loc;

typedef struct fx__load_ops fx__load_ops;
typedef struct fx__loadct fx__loadct;    /* load_ct.c */

/* Called by a back end's rows() with one row's texts (NULL for SQL NULL),
** valid during the call.  Returns 0, or a negative code that stops the
** read. */
typedef int (*fx__row_fn)(void *ctx, const char *const *vals);

/* Per-model state the engine keeps. */
typedef struct fx__model_state {
    unsigned long inserted, updated, unchanged, deleted;
    int seen;                /* a record of the model was written */
    int replaced;            /* --replace: rows already deleted */
    /* the field names of the model's last record, as schema field
    ** indexes in record order (dumpdata writes every record of a model
    ** with the same fields in the same order): one strcmp a field */
    size_t *order;
    size_t norder;
} fx__model_state;

struct fx_loader {
    fx_schema *schema;
    const fx__load_ops *ops;
    void *be;                         /* the back end's state */
    int pg;                           /* values as PostgreSQL takes them */
    int replace, dry_run, ignorenonexistent;
    fx_diag_fn diag;
    void *diag_ctx;
    void (*change)(void *ctx, const char *action, const char *label, const char *pk);
    void *change_ctx;
    fx__model_state *ms;              /* one per schema model */
    struct fx_load_count *counts;     /* built by fx_loader_counts() */
    char **files;                     /* file names seen, for fx__loc */
    size_t nfiles;
    fx__index *where;                 /* key hash -> struct where (file, line) */
    fx__index *nkcache;               /* natural key hash -> pk */
    struct skipped *skipped;          /* -i: models and fields skipped, in */
    size_t nskipped, cskipped;        /* the order first met (see skip()) */
    fx__index *skipidx;               /* (label, field) hash -> index + 1 */
    struct deferred *deferred;        /* forward natural references */
    size_t ndeferred, cdeferred;
    int want_result;                  /* upsert: say *result now, do not batch the
                                      ** row (its forward references need it) */
    fx__bind *tg;                     /* many-to-many members, ctg long */
    size_t ctg;
    fx_buf arena;                     /* text of the current record's binds */
    size_t *fidx, *later, *inv;       /* fx_loader_add's scratch, each */
    fx__bind *vals;                   /* largest nfields + 1 long */
    int finished, failed;
    char target[512];                 /* for messages */
    /* model lookups by label, remembered (the schema is a list): the last
    ** record's label, and the target of the last foreign keys by the
    ** address of their (schema-owned) "to" string */
    char *last_label;
    const fx_model_schema *last_model;
    const char *to_key[8];
    const fx_model_schema *to_model[8];
    unsigned to_next;
    fx__loadct *ct;                   /* content types and permissions */
    int repeatable_read;              /* PostgreSQL: BEGIN ISOLATION LEVEL
                                      ** REPEATABLE READ (fxsync) */
};

/* A database back end.  Every function returns 0 or a negative FX_E*
** code with err filled; FX_EREJECT when the database refused the data
** (a constraint), which the engine turns into a message naming the
** record. */
struct fx__load_ops {
    const char *name;
    /* Write one row: pk (FX__B_NULL: let the database choose it, then
    ** *newpk says which) and the n columns of the fields fidx[] with their
    ** values.  Updates only the given columns; *result is FX__INSERTED,
    ** FX__UPDATED or FX__UNCHANGED (a back end that learns it later may
    ** report it through fx__load_result() and set *result to 0, unless
    ** l->want_result is set). */
    int (*upsert)(fx_loader *l, size_t mi, const fx__bind *pk, const size_t *fidx,
                  const fx__bind *vals, size_t n, const fx__loc *loc, int *result,
                  fx__bind *newpk, fx_error *err);
    /* The pk of the row of model mi whose natural key columns equal vals
    ** (one per name of the model's natural_key): 1 found (*pk set), 0 not. */
    int (*natural)(fx_loader *l, size_t mi, const fx__bind *vals, fx__bind *pk,
                   fx_error *err);
    /* Make the link rows of m2m field fi of row pk exactly targets[0..n). */
    int (*m2m)(fx_loader *l, size_t mi, size_t fi, const fx__bind *pk,
               const fx__bind *targets, size_t n, int fresh, const fx__loc *loc,
               int *changed, fx_error *err);
    /* Set one column of one row (a forward natural reference resolved);
    ** *changed = 1 when the column held another value. */
    int (*set)(fx_loader *l, size_t mi, size_t fi, const fx__bind *pk,
               const fx__bind *val, const fx__loc *loc, int *changed, fx_error *err);
    /* --replace: save the rows of model mi and its link rows
    ** (fx__replace_save_sql()), then delete them. */
    int (*clear)(fx_loader *l, size_t mi, unsigned long *deleted, fx_error *err);
    /* --replace, before the commit: run fx__replace_diff_sql(list) for
    ** model mi and give each row of the result to fx__load_replaced(). */
    int (*replaced)(fx_loader *l, size_t mi, int list, fx_error *err);
    /* Check constraints, reset sequences, then commit (commit != 0) or
    ** roll back. */
    int (*finish)(fx_loader *l, int commit, fx_error *err);
    /* Roll back what is not committed and close. */
    void (*close)(fx_loader *l);
    /* Read every row of model mi: its pk, then the columns of fields
    ** fidx[0..n), as text, to fn.  Returns 0, fn's value, or a negative
    ** code. */
    int (*rows)(fx_loader *l, size_t mi, const size_t *fidx, size_t n, fx__row_fn fn,
                void *ctx, fx_error *err);
};

/* Error code: the database refused the data; nothing was written.  Also
** in fixture.h as FX_EREJECT. */
#define FX__EREJECT FX_EREJECT

/* Open a back end on target into l->be, beginning the transaction.  When
** l->schema is NULL, also introspect the target into it. */
int fx__load_sqlite_open(fx_loader *l, const char *path, fx_error *err);
int fx__load_pg_open(fx_loader *l, const char *conninfo, fx_error *err);


/* fxsync (sync.c): a loader whose PostgreSQL transaction is REPEATABLE
** READ when repeatable_read is set (fx_loader_open() is this with 0), and
** the connection inside it, handed back to the caller between records
** (the rows batched so far written first), for dumping and deleting in
** the loader's transaction: borrowed, valid until fx_loader_free().  0 or
** a negative code. */
int fx__loader_open(fx_loader **out, const char *target, const fx_load_opts *opts,
                    int repeatable_read, fx_error *err);
int fx__load_sqlite_handle(fx_loader *l, struct sqlite3 **out, fx_error *err);
int fx__load_pg_handle(fx_loader *l, struct pg_conn **out, fx_error *err);

/* Delete the row of rec (and its many-to-many link rows, both ends)
** through l's transaction (patch.c; fxsync and fxload --patch).  who
** begins the messages.  0 or a negative code. */
int fx__loader_delete(fx_loader *l, const char *target, const char *who,
                      const fx_record *rec, fx_error *err);

/* For back ends that learn the outcome of a row later (pipelines): count
** it for model mi (FX__INSERTED/UPDATED/UNCHANGED), or, m2m_changed set,
** turn an "unchanged" into "updated". */
void fx__load_result(fx_loader *l, size_t mi, int result, const char *pk);
void fx__load_m2m_changed(fx_loader *l, size_t mi);

/* --replace counts the net effect of the load on each model it emptied,
** not the rows deleted then inserted: clear() saves the old rows and
** links into temporary tables, and before the commit a row is "inserted"
** when its pk is new, "deleted" when its pk is gone, "updated" when a
** column or its many-to-many links differ from the saved ones, else
** "unchanged" (as a load without --replace would count it).
**
** The statement that saves, before clear() deletes them, the rows of model
** mi (part 0: pk and columns into a temporary table) or the link rows of
** its field part - 1 (q left empty when that field is not many-to-many);
** pg: PostgreSQL's syntax (dropped at commit). */
int fx__replace_save_sql(fx_buf *q, const fx_loader *l, size_t mi, size_t part);

/* The query comparing model mi's rows with the saved ones: with list, a
** row (action, pk) for each row, action "insert", "update", "delete" or
** "same", in pk order; without, a row (action, count) for each action. */
int fx__replace_diff_sql(fx_buf *q, const fx_loader *l, size_t mi, int list);

/* A row of that query: count n rows of action for model mi (and report
** the change, pk not NULL, to the change callback). */
void fx__load_replaced(fx_loader *l, size_t mi, const char *action, const char *pk,
                       unsigned long n);

/* The location of the record (label, pk) if the files held it: file and
** line into loc (loc->label and loc->pk are set by the caller).  0 if not. */
int fx__load_where(fx_loader *l, fx__loc *loc);

/* Content types and permissions (load_ct.c).  The rows migrate made are
** numbered in the order the apps were migrated, so that an export's ids
** of them may name other rows in the target.  fx__load_ct_add() is given
** each record of model m (before it is written) and refuses
** (FX__EREJECT) a content type or permission whose pk the target gives to
** another row, or that the target has under another pk; it reads the
** target's rows once, before the first of them.  fx__load_ct_finish()
** warns of references by pk to content types and permissions the files
** do not hold (ctypes.c).  Both return 0 or a negative code. */
int fx__load_ct_add(fx_loader *l, const fx_model_schema *m, const fx_record *rec,
                    const fx__loc *loc, fx_error *err);
int fx__load_ct_finish(fx_loader *l, fx_error *err);
void fx__load_ct_free(fx_loader *l);

/* Fill err with code (FX__EREJECT for data the database refused) and a
** message about the record at loc: FILE:LINE:COL, then "model 'L', pk P:
** " and the formatted text.  Returns code. */
int fx__load_fail(fx_loader *l, const fx__loc *loc, fx_error *err, int code,
                  const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Copy s[0..n) into l's arena as a text bind (offset form: fx__bind_fix()). */
int fx__arena_text(fx_loader *l, fx__bind *out, const char *s, size_t n);

/* Format a bind as text for messages into buf[0..n). */
const char *fx__bind_text(const fx__bind *b, char *buf, size_t n);

#endif
