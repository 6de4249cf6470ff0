/*
** sync.c: fxsync's engine: keep a local and an online database in step
** through a merge base (see fxsync(1) and sync_int.h).
**
** A round: open each side that will be written with the load engine
** (fx__loader_open: SQLite BEGIN IMMEDIATE, PostgreSQL REPEATABLE READ,
** constraints deferred), dump it through that connection inside that
** transaction (fx_dump_sqlite, fx_dump_pg), dump a side only read with
** fx_dump (its own read transaction); merge the two dumps against the base
** (fx_merge); then for each side written, compare its dump with the merge
** (fx_diff) and write only what differs: the rows the merge lacks are
** deleted (their many-to-many link rows with them), the rows changed and
** added go through fx_loader_add (which updates only what differs, sets
** many-to-many links, resolves natural keys); fx_loader_finish checks the
** foreign keys, resets sequences and commits.  The base advances after
** every side written committed.  A round that stops anywhere leaves each
** database as it was or as the merge, and the base where it was: the next
** round merges again and converges.
*/
#include "sync_int.h"
#include "load_int.h"

#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEEP_DEFAULT 20
#define RETRIES 3           /* rounds tried again after a serialization failure */

static int nomem(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

static void say(const fx_sync_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const fx_sync_opts *o, const char *fmt, ...)
{
    if (!o->print)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    o->print(o->print_ctx, line);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int is_sqlite_file(const char *path)
{
    char head[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == 16 && memcmp(head, "SQLite format 3", 16) == 0;
}

/* Does path name an export (a side given as a file): an existing file, not
** a SQLite database, that the reader takes? */
static int is_export(const char *path)
{
    if (fx_target_is_pg(path) || strncmp(path, "sqlite:", 7) == 0 || !exists(path) ||
        is_sqlite_file(path))
        return 0;
    fx_reader *rd = NULL;
    const fx_record *rec;
    fx_error e;
    int ok = fx_reader_open(&rd, path, NULL, &e) == 0 && fx_reader_next(rd, &rec, &e) >= 0;
    fx_reader_free(rd);
    return ok;
}

const char *fx_sync_state_dir(char *out, size_t n, const fx_sync_opts *o)
{
    if (o->state && *o->state)
        snprintf(out, n, "%s", o->state);
    else if (o->local && !fx_target_is_pg(o->local)) {
        const char *p = strncmp(o->local, "sqlite:", 7) == 0 ? o->local + 7 : o->local;
        const char *slash = strrchr(p, '/');
        if (slash)
            snprintf(out, n, "%.*s/.fxsync", (int)(slash - p), p);
        else
            snprintf(out, n, ".fxsync");
    } else
        snprintf(out, n, ".fxsync");
    return out;
}

/* ---------------------------------------------------------------- a side */

typedef struct mcount {
    char *label;
    unsigned long inserted, updated, deleted;
} mcount;

typedef struct side {
    const char *name;          /* "local", "online" */
    const char *target;
    int pg;
    int file;                  /* an export: read, never written (a patch) */
    fx_loader *l;              /* when written */
    char *dump;                /* its dump in tmp/ */
    /* what writing it takes, from fx_diff(dump, merge) */
    fx_record **recs;          /* rows to write, in order (copies) */
    size_t nrecs, crecs;
    fx_record **before;        /* prior values of rows changed or deleted */
    size_t nbefore, cbefore;
    size_t *dels;              /* indexes into before: the rows to delete */
    size_t ndels, cdels;
    mcount *mc;
    size_t nmc;
    int print;                 /* dry-run: print each change */
    const fx_sync_opts *o;
    json_object *seqs;         /* SQLite: sqlite_sequence before the writes */
} side;

static void side_reset(side *s)
{
    for (size_t i = 0; i < s->nrecs; i++)
        fx_record_free(s->recs[i]);
    for (size_t i = 0; i < s->nbefore; i++)
        fx_record_free(s->before[i]);
    free(s->recs);
    free(s->before);
    free(s->dels);
    for (size_t i = 0; i < s->nmc; i++)
        free(s->mc[i].label);
    free(s->mc);
    s->recs = s->before = NULL;
    s->dels = NULL;
    s->mc = NULL;
    s->nrecs = s->crecs = s->nbefore = s->cbefore = s->ndels = s->cdels = s->nmc = 0;
    json_object_put(s->seqs);
    s->seqs = NULL;
}

static void side_free(side *s)
{
    side_reset(s);
    fx_loader_free(s->l);
    s->l = NULL;
    free(s->dump);
    s->dump = NULL;
}

static mcount *count_of(side *s, const char *label)
{
    for (size_t i = 0; i < s->nmc; i++)
        if (strcmp(s->mc[i].label, label) == 0)
            return &s->mc[i];
    mcount *p = realloc(s->mc, (s->nmc + 1) * sizeof *p);
    if (!p)
        return NULL;
    s->mc = p;
    memset(&p[s->nmc], 0, sizeof *p);
    if (!(p[s->nmc].label = strdup(label)))
        return NULL;
    return &p[s->nmc++];
}

static int push_rec(fx_record ***v, size_t *n, size_t *cap, const fx_record *r)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        fx_record **p = realloc(*v, c * sizeof *p);
        if (!p)
            return FX_ENOMEM;
        *v = p;
        *cap = c;
    }
    if (fx_record_copy(&(*v)[*n], r))
        return FX_ENOMEM;
    (*n)++;
    return 0;
}

/* A value on one line, cut at 60 bytes, for the change lines. */
static void put_short(fx_buf *b, fx_value v)
{
    if (!v.text) {
        fx_buf_adds(b, "(absent)");
        return;
    }
    size_t n = 0, out = 0;
    for (; n < v.len && out < 60; n++, out++) {
        if (v.text[n] == '\n' || v.text[n] == '\r') {   /* a value on lines: one space */
            while (n + 1 < v.len && (v.text[n + 1] == ' ' || v.text[n + 1] == '\n' ||
                                     v.text[n + 1] == '\r' || v.text[n + 1] == '\t'))
                n++;
            fx_buf_addc(b, ' ');
        } else
            fx_buf_addc(b, v.text[n]);
    }
    if (n < v.len)
        fx_buf_adds(b, "...");
}

/* One change as fxdiff prints it: "+ label key", "- label key",
** "~ label key  field: old -> new, m2m: +a -b". */
static void print_change(const fx_sync_opts *o, const char *prefix, const fx_change *c)
{
    fx_buf b = FX_BUF_INIT;
    fx_buf_printf(&b, "%s%c %s %s", prefix,
                  c->op == FX_ADDED ? '+' : c->op == FX_REMOVED ? '-' : '~', c->label, c->key);
    for (size_t i = 0; i < c->nfields; i++) {
        const fx_field_change *f = &c->fields[i];
        fx_buf_printf(&b, "%s%s: ", i ? ", " : "  ", f->name);
        if (f->m2m) {
            for (size_t k = 0; k < f->nadded; k++) {
                fx_buf_adds(&b, k ? " +" : "+");
                put_short(&b, f->added[k]);
            }
            for (size_t k = 0; k < f->nremoved; k++) {
                fx_buf_adds(&b, k || f->nadded ? " -" : "-");
                put_short(&b, f->removed[k]);
            }
        } else {
            put_short(&b, f->old);
            fx_buf_adds(&b, " -> ");
            put_short(&b, f->new_);
        }
    }
    if (b.data)
        say(o, "%s", b.data);
    fx_buf_free(&b);
}

/* fx_diff's callback over (side's dump, merge): what writing the side
** takes. */
static int collect(void *ctx, const fx_change *c)
{
    side *s = ctx;
    mcount *m = count_of(s, c->label);
    if (!m)
        return FX_ENOMEM;
    if (s->print) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%s: ", s->name);
        print_change(s->o, prefix, c);
    }
    switch (c->op) {
    case FX_ADDED:
        m->inserted++;
        return push_rec(&s->recs, &s->nrecs, &s->crecs, c->new_rec);
    case FX_CHANGED:
        m->updated++;
        if (push_rec(&s->before, &s->nbefore, &s->cbefore, c->old_rec))
            return FX_ENOMEM;
        return push_rec(&s->recs, &s->nrecs, &s->crecs, c->new_rec);
    case FX_REMOVED:
        m->deleted++;
        if (push_rec(&s->before, &s->nbefore, &s->cbefore, c->old_rec))
            return FX_ENOMEM;
        if (s->ndels == s->cdels) {
            size_t cap = s->cdels ? 2 * s->cdels : 64;
            size_t *p = realloc(s->dels, cap * sizeof *p);
            if (!p)
                return FX_ENOMEM;
            s->dels = p;
            s->cdels = cap;
        }
        s->dels[s->ndels++] = s->nbefore - 1;
        return 0;
    }
    return 0;
}

/* Compare the side's dump with want (a fixture) into s's lists.  Returns
** the number of changes or a negative code. */
static int side_plan(side *s, const char *want, const fx_schema *schema, fx_error *err)
{
    side_reset(s);
    fx_diff_opts d;
    memset(&d, 0, sizeof d);
    d.schema = schema;
    d.diag = s->o->diag;
    d.diag_ctx = s->o->diag_ctx;
    int rc = fx_diff(s->dump, want, &d, collect, s, err);
    if (rc == FX_ENOMEM)
        return nomem(err);
    return rc;
}

/* Delete the row of rec (and its many-to-many link rows, both ends). */
static int delete_row(side *s, const fx_record *rec, fx_error *err)
{
    return fx__loader_delete(s->l, s->target, s->name, rec, err);
}

/* Write s's plan through its loader (not committed yet). */
static int side_apply(side *s, fx_error *err)
{
    int rc = 0;
    if (s->file)   /* a patch, written at commit (write_patch) */
        return 0;
    for (size_t i = 0; !rc && i < s->ndels; i++)
        rc = delete_row(s, s->before[s->dels[i]], err);
    for (size_t i = 0; !rc && i < s->nrecs; i++)
        rc = fx_loader_add(s->l, s->recs[i], err);
    return rc;
}

/* ---- AUTOINCREMENT counters ---- */

/* A side's id counters into *out (new; the caller's: json_object_put()):
** a SQLite side's sqlite_sequence through its loader's transaction,
** {"table": seq, ...}; a PostgreSQL side's sequences of the current schema,
** {"schema.sequence": last_value or null when none was handed out}.
** 0 or a code. */
static int side_seqs(side *s, json_object **out, fx_error *err)
{
    *out = NULL;
    if (!s->l)
        return 0;
    int rc;
    if (s->pg) {
        PGconn *c;
        return (rc = fx__load_pg_handle(s->l, &c, err)) ? rc
               : fx__pg_counters(c, s->target, out, s->name, err);
    }
    sqlite3 *db;
    return (rc = fx__load_sqlite_handle(s->l, &db, err)) ? rc
           : fx__sqlite_counters(db, out, s->name, err);
}

/* ---- dumping ---- */

static void dump_opts(fx_dump_opts *d, const sync_cfg *c, const fx_sync_opts *o)
{
    memset(d, 0, sizeof *d);
    d->format = FX_FORMAT_JSON;
    d->indent_set = 1;
    d->indent = 2;
    d->natural_foreign = 1;
    d->exclude = (const char *const *)c->exclude;
    d->nexclude = c->nexclude;
    d->schema = c->schema && !is_sqlite_file(c->schema) ? c->schema : NULL;
    d->diag = o->diag;
    d->diag_ctx = o->diag_ctx;
}

/* A side given as a file: its export's records of the models synced into
** s->dump (read with the one reader, laid out as side_dump's). */
static int file_dump(side *s, const sync_cfg *c, fx_error *err)
{
    fx_models *m = NULL;
    fx_reader *rd = NULL;
    fx_output *out = NULL;
    fx_writer *w = NULL;
    fx_layout lay = {.format = FX_FORMAT_JSON, .indent = 2};
    fx_reader_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.diag = s->o->diag;
    ro.diag_ctx = s->o->diag_ctx;
    const fx_record *rec;
    int rc = fx_models_new(&m) ? nomem(err) : 0;
    for (size_t i = 0; !rc && i < c->nexclude; i++)
        rc = fx_models_add(m, c->exclude[i], 1, err);
    if (!rc && (rc = fx_reader_open(&rd, s->target, &ro, err)) < 0) {
        char why[1024];
        snprintf(why, sizeof why, "%s", err->msg);
        rc = fx_error_set(err, rc, s->target, 0, 0, 0, "%s: %s: the %s side is this "
                          "export: export that database there again", s->name, why, s->name);
    }
    if (!rc)
        rc = fx_output_open(&out, s->dump, err);
    if (!rc && fx_writer_new(&w, out, lay))
        rc = nomem(err);
    while (!rc && (rc = fx_reader_next(rd, &rec, err)) > 0)
        rc = fx_models_match(m, rec->label) ? fx_writer_write(w, rec, err) : 0;
    if (!rc)
        rc = fx_writer_finish(w, err);
    if (!rc)
        rc = fx_output_commit(out, err);
    fx_writer_free(w);
    fx_output_free(out);
    fx_reader_free(rd);
    fx_models_free(m);
    return rc;
}

/* Dump side s into s->dump: through its loader's transaction when it is
** written, else in a read transaction of its own. */
static int side_dump(side *s, const sync_cfg *c, fx_error *err)
{
    if (s->file)
        return file_dump(s, c, err);
    fx_dump_opts d;
    dump_opts(&d, c, s->o);
    fx_output *out = NULL;
    int rc = fx_output_open(&out, s->dump, err);
    if (rc)
        return rc;
    if (!s->l)
        rc = fx_dump(s->target, out, &d, err);
    else if (s->pg) {
        PGconn *pc;
        if (!(rc = fx__load_pg_handle(s->l, &pc, err)))
            rc = fx_dump_pg(pc, s->target, out, &d, err);
    } else {
        sqlite3 *db;
        if (!(rc = fx__load_sqlite_handle(s->l, &db, err)))
            rc = fx_dump_sqlite(db, strncmp(s->target, "sqlite:", 7) == 0 ? s->target + 7
                                : s->target, out, &d, err);
    }
    if (!rc)
        rc = fx_output_commit(out, err);
    fx_output_free(out);
    return rc;
}

static int side_open(side *s, const sync_cfg *c, fx_error *err)
{
    if (s->file)   /* written as a patch */
        return 0;
    fx_load_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.schema = c->schema;
    lo.diag = s->o->diag;
    lo.diag_ctx = s->o->diag_ctx;
    return fx__loader_open(&s->l, s->target, &lo, 1, err);
}

/* ---------------------------------------------------------------- rounds */

typedef struct ev {
    fx_merge_event_kind kind;
    char *label, *key, *what, *new_key, *fields, *hint;
} ev;

typedef struct round {
    const fx_sync_opts *o;
    char dir[4096];            /* the state directory */
    sync_cfg cfg;
    fx_schema *schema;         /* for merge and diff */
    char *tmp, *base, *merged;
    const char *mbase;         /* the base merged against: base, or a repair's */
    char *repair;              /* a repair's base not persisted (dry-run, status) */
    side local, online;
    ev *evs;
    size_t nevs;
    fx_merge_stats stats;
} round;

static void on_event(void *ctx, const fx_merge_event *e)
{
    round *r = ctx;
    if (e->kind != FX_MERGE_CONFLICT && e->kind != FX_MERGE_RENUMBER &&
        e->kind != FX_MERGE_RESOLVED)
        return;
    ev *p = realloc(r->evs, (r->nevs + 1) * sizeof *p);
    if (!p)
        return;
    r->evs = p;
    ev *v = &p[r->nevs++];
    memset(v, 0, sizeof *v);
    v->kind = e->kind;
    v->label = strdup(e->label ? e->label : "");
    v->key = strdup(e->key ? e->key : "");
    v->what = e->what ? strdup(e->what) : NULL;
    v->new_key = e->new_key ? strdup(e->new_key) : NULL;
    v->hint = e->hint ? strdup(e->hint) : NULL;
    fx_buf f = FX_BUF_INIT;
    for (size_t i = 0; i < e->nfields; i++)
        fx_buf_printf(&f, "%s%s", i ? ", " : "", e->fields[i]);
    v->fields = f.data;
}

static void round_free(round *r)
{
    side_free(&r->local);
    side_free(&r->online);
    for (size_t i = 0; i < r->nevs; i++) {
        free(r->evs[i].label);
        free(r->evs[i].key);
        free(r->evs[i].what);
        free(r->evs[i].new_key);
        free(r->evs[i].fields);
        free(r->evs[i].hint);
    }
    free(r->evs);
    r->evs = NULL;
    r->nevs = 0;
    fx_schema_free(r->schema);
    fx__sync_cfg_free(&r->cfg);
    free(r->tmp);
    free(r->base);
    free(r->merged);
    free(r->repair);
}

/* The schema the merge and the comparisons use: the config's, else a
** SQLite side's catalog, else the local side's (through a loader that
** writes nothing). */
static int load_schema(fx_schema **out, const sync_cfg *c, fx_error *err)
{
    if (c->schema)
        return fx_schema_load(out, c->schema, err);
    if (!c->local_file && !fx_target_is_pg(c->local))
        return fx_schema_load(out, c->local, err);
    if (!c->online_file && !fx_target_is_pg(c->online))
        return fx_schema_load(out, c->online, err);
    const char *db = c->local_file ? c->online : c->local;
    fx_loader *l = NULL;
    int rc = fx_loader_open(&l, db, NULL, err);
    fx_buf b = FX_BUF_INIT;
    if (!rc && fx_schema_write(&b, fx_loader_schema(l)))
        rc = nomem(err);
    fx_loader_free(l);
    if (!rc)
        rc = fx_schema_parse(out, b.data, b.len, db, err);
    fx_buf_free(&b);
    return rc;
}

static int round_init(round *r, const fx_sync_opts *o, int need_base, fx_error *err)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    fx_sync_state_dir(r->dir, sizeof r->dir, o);
    int rc = fx__sync_cfg_read(&r->cfg, r->dir, err);
    if (rc)
        return rc;
    r->tmp = fx__sync_path(r->dir, "tmp");
    r->base = fx__sync_path(r->dir, "base.json.gz");
    r->merged = r->tmp ? fx__sync_path(r->tmp, "merged.json") : NULL;
    r->local.dump = r->tmp ? fx__sync_path(r->tmp, "local.json") : NULL;
    r->online.dump = r->tmp ? fx__sync_path(r->tmp, "online.json") : NULL;
    if (!r->tmp || !r->base || !r->merged || !r->local.dump || !r->online.dump)
        return nomem(err);
    r->mbase = r->base;
    r->local.name = "local";
    r->local.target = r->cfg.local;
    r->local.file = r->cfg.local_file;
    r->local.pg = !r->local.file && fx_target_is_pg(r->cfg.local);
    r->local.o = o;
    r->online.name = "online";
    r->online.target = r->cfg.online;
    r->online.file = r->cfg.online_file;
    r->online.pg = !r->online.file && fx_target_is_pg(r->cfg.online);
    r->online.o = o;
    if (need_base && !exists(r->base))
        return fx_error_set(err, FX_EUSAGE, r->base, 0, 0, 0, "no merge base in '%s': "
                            "run 'fxsync init' again (with --from or --base)", r->dir);
    if ((rc = fx__sync_mkdir(r->tmp, err)))
        return rc;
    return load_schema(&r->schema, &r->cfg, err);
}

static int merge(round *r, fx_renumber renumber, fx_error *err)
{
    fx_merge_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.schema = r->schema;
    mo.renumber = renumber;
    mo.strategy = r->o->strategy;
    mo.diag = r->o->diag;
    mo.diag_ctx = r->o->diag_ctx;
    mo.event = on_event;
    mo.event_ctx = r;
    mo.allow_mass_delete = r->o->allow_mass_delete;
    memset(&r->stats, 0, sizeof r->stats);
    fx_output *out = NULL;
    int rc = fx_output_open(&out, r->merged, err);
    if (rc)
        return rc;
    int conflicts = fx_merge(r->mbase, r->local.dump, r->online.dump, out, &mo, &r->stats, err);
    if (conflicts >= 0 && (rc = fx_output_commit(out, err)) < 0)
        conflicts = rc;
    fx_output_free(out);
    return conflicts;
}

/* ---- reports ---- */

static json_object *counts_json(const side *s)
{
    json_object *j = json_object_new_object();
    for (size_t i = 0; i < s->nmc; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "inserted", json_object_new_int64((int64_t)s->mc[i].inserted));
        json_object_object_add(m, "updated", json_object_new_int64((int64_t)s->mc[i].updated));
        json_object_object_add(m, "deleted", json_object_new_int64((int64_t)s->mc[i].deleted));
        json_object_object_add(j, s->mc[i].label, m);
    }
    return j;
}

static json_object *events_json(const round *r, fx_merge_event_kind kind)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < r->nevs; i++) {
        const ev *e = &r->evs[i];
        if (e->kind != kind)
            continue;
        json_object *j = json_object_new_object();
        json_object_object_add(j, "model", json_object_new_string(e->label));
        json_object_object_add(j, "key", json_object_new_string(e->key));
        if (e->what)
            json_object_object_add(j, kind == FX_MERGE_RENUMBER ? "side" : "kind",
                                   json_object_new_string(e->what));
        if (e->new_key)
            json_object_object_add(j, "new_key", json_object_new_string(e->new_key));
        if (e->fields && *e->fields)
            json_object_object_add(j, "fields", json_object_new_string(e->fields));
        if (e->hint)
            json_object_object_add(j, "hint", json_object_new_string(e->hint));
        json_object_array_add(a, j);
    }
    return a;
}

static json_object *summary_json(const round *r, const char *op, const char *result,
                                 int local, int online)
{
    json_object *j = json_object_new_object();
    char when[64];
    time_t t = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    json_object_object_add(j, "when", json_object_new_string(when));
    json_object_object_add(j, "op", json_object_new_string(op));
    json_object_object_add(j, "result", json_object_new_string(result));
    if (local)
        json_object_object_add(j, "local", counts_json(&r->local));
    if (online)
        json_object_object_add(j, "online", counts_json(&r->online));
    json_object_object_add(j, "renumbered", events_json(r, FX_MERGE_RENUMBER));
    json_object_object_add(j, "conflicts", events_json(r, FX_MERGE_CONFLICT));
    json_object_object_add(j, "resolved", events_json(r, FX_MERGE_RESOLVED));
    return j;
}

static int write_report(const round *r, json_object *j, fx_error *err)
{
    if (!r->o->report)
        return 0;
    return fx__sync_json_write(j, r->o->report, err);
}

static void say_counts(const fx_sync_opts *o, const side *s, const char *verb)
{
    int any = 0;
    for (size_t i = 0; i < s->nmc; i++) {
        const mcount *m = &s->mc[i];
        say(o, "%s: %s %s: %lu inserted, %lu updated, %lu deleted", s->name, verb, m->label,
            m->inserted, m->updated, m->deleted);
        any = 1;
    }
    if (!any)
        say(o, "%s: nothing to write", s->name);
}

static void say_events(const round *r)
{
    for (size_t i = 0; i < r->nevs; i++) {
        const ev *e = &r->evs[i];
        if (e->kind == FX_MERGE_RENUMBER)
            say(r->o, "renumbered: %s %s -> %s (%s's new record)", e->label, e->key,
                e->new_key ? e->new_key : "?",
                e->what && strcmp(e->what, "ours") == 0 ? "local" : "online");
        else if (e->kind == FX_MERGE_CONFLICT)
            say(r->o, "conflict: %s %s: %s%s%s", e->label, e->key, e->what ? e->what : "",
                e->fields && *e->fields ? " " : "", e->fields ? e->fields : "");
    }
}

/* Records of v into path as a fixture (dumpdata's indented layout). */
static int write_records(fx_record *const *v, size_t n, const char *path, fx_error *err)
{
    fx_output *out = NULL;
    fx_writer *w = NULL;
    fx_layout lay = {.format = FX_FORMAT_JSON, .indent = 2};
    int rc = fx_output_open(&out, path, err);
    if (!rc && fx_writer_new(&w, out, lay))
        rc = nomem(err);
    for (size_t i = 0; !rc && i < n; i++)
        rc = fx_writer_write(w, v[i], err);
    if (!rc)
        rc = fx_writer_finish(w, err);
    if (!rc)
        rc = fx_output_commit(out, err);
    fx_writer_free(w);
    fx_output_free(out);
    return rc;
}

/* The journal entry of a round that writes, made before it commits
** (result "pending"); its directory into *jdir (the caller's: free()). */
static int journal(round *r, const char *op, int local, int online, char **jdir,
                   fx_error *err)
{
    char *dir = NULL;
    int rc = fx__sync_journal_new(&dir, r->dir, err);
    side *sides[2] = {local ? &r->local : NULL, online ? &r->online : NULL};
    for (int i = 0; !rc && i < 2; i++) {
        if (!sides[i])
            continue;
        char name[64];
        snprintf(name, sizeof name, "%s-before.json", sides[i]->name);
        char *p = fx__sync_path(dir, name);
        rc = p ? write_records(sides[i]->before, sides[i]->nbefore, p, err) : nomem(err);
        free(p);
        snprintf(name, sizeof name, "%s-applied.json", sides[i]->name);
        p = rc ? NULL : fx__sync_path(dir, name);
        if (!rc)
            rc = p ? write_records(sides[i]->recs, sides[i]->nrecs, p, err) : nomem(err);
        free(p);
        /* a SQLite side's counters before and after its writes: undo's (a
        ** PostgreSQL side's are set at commit: seqs_after()) */
        json_object *after = NULL;
        if (!rc && sides[i]->seqs && !sides[i]->pg &&
            !(rc = side_seqs(sides[i], &after, err))) {
            snprintf(name, sizeof name, "%s-sequences.json", sides[i]->name);
            p = fx__sync_path(dir, name);
            json_object *sj = json_object_new_object();
            json_object_object_add(sj, "before", json_object_get(sides[i]->seqs));
            json_object_object_add(sj, "after", after);
            rc = p ? fx__sync_json_write(sj, p, err) : nomem(err);
            json_object_put(sj);
            free(p);
        }
    }
    if (!rc) {
        json_object *j = summary_json(r, op, "pending", local, online);
        char *p = fx__sync_path(dir, "summary.json");
        rc = p ? fx__sync_json_write(j, p, err) : nomem(err);
        free(p);
        json_object_put(j);
    }
    *jdir = dir;
    fx__sync_journal_prune(r->dir, r->o->keep > 0 ? r->o->keep : KEEP_DEFAULT);
    return rc;
}

/* Save a conflicted round into conflicts/ (the merge with its markers, the
** report, the two dumps it merged). */
static int save_conflicts(round *r, const char *op, fx_error *err)
{
    char *cdir = fx__sync_path(r->dir, "conflicts");
    if (!cdir)
        return nomem(err);
    fx__sync_rmdir(cdir);
    int rc = fx__sync_mkdir(cdir, err);
    const char *names[3] = {"merged.json", "local.json", "online.json"};
    const char *srcs[3] = {r->merged, r->local.dump, r->online.dump};
    for (int i = 0; !rc && i < 3; i++) {
        char *p = fx__sync_path(cdir, names[i]);
        rc = p ? fx__sync_copy(srcs[i], p, 0, err) : nomem(err);
        free(p);
    }
    if (!rc) {
        json_object *j = summary_json(r, op, "conflicts", 0, 0);
        char *p = fx__sync_path(cdir, "report.json");
        rc = p ? fx__sync_json_write(j, p, err) : nomem(err);
        free(p);
        json_object_put(j);
    }
    free(cdir);
    return rc;
}

/* Is there nothing between the two fixtures?  1 same, 0 not, < 0 error. */
static int same(const char *a, const char *b, const fx_schema *s, fx_error *err)
{
    fx_diff_opts d;
    memset(&d, 0, sizeof d);
    d.schema = s;
    int rc = fx_diff(a, b, &d, NULL, NULL, err);
    return rc < 0 ? rc : rc == 0;
}

/* --continue: the resolved merge, when both sides are as they were when
** it was made.  1 use it (copied over r->merged), 0 merge again, < 0. */
static int resolved_merge(round *r, fx_error *err)
{
    char *cdir = fx__sync_path(r->dir, "conflicts");
    char *m = cdir ? fx__sync_path(cdir, "merged.json") : NULL;
    char *l = cdir ? fx__sync_path(cdir, "local.json") : NULL;
    char *on = cdir ? fx__sync_path(cdir, "online.json") : NULL;
    int rc;
    if (!m || !l || !on) {
        rc = nomem(err);
        goto out;
    }
    if (!exists(m)) {
        rc = fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "no conflicted sync to continue in "
                          "'%s': run 'fxsync sync'", r->dir);
        goto out;
    }
    int sl = same(l, r->local.dump, r->schema, err), so;
    if (sl < 0 || (so = same(on, r->online.dump, r->schema, err)) < 0) {
        rc = sl < 0 ? sl : FX_ERROR;
        goto out;
    }
    if (!sl || !so) {
        say(r->o, "%s changed since the conflicts were saved: merging again",
            !sl && !so ? "both sides" : !sl ? "local" : "online");
        rc = 0;
        goto out;
    }
    /* the person's resolution: no conflict marker, valid records */
    fx_reader *rd = NULL;
    const fx_record *rec;
    if ((rc = fx_reader_open(&rd, m, NULL, err)) < 0)
        goto out;
    while ((rc = fx_reader_next(rd, &rec, err)) > 0)
        ;
    fx_reader_free(rd);
    if (rc < 0) {
        char where[1100];
        snprintf(where, sizeof where, "%s", err->msg);
        rc = fx_error_set(err, FX_EUSAGE, m, err->line, err->col, 0, "%s; resolve every "
                          "conflict in '%s' (keep one side of each block, delete the "
                          "markers), or run 'fxsync sync --continue --strategy ours|theirs'",
                          where, m);
        goto out;
    }
    rc = fx__sync_copy(m, r->merged, 0, err);
    if (!rc)
        rc = 1;
out:
    free(cdir);
    free(m);
    free(l);
    free(on);
    return rc;
}

/* Test hooks: FX_SYNC_KILL_AT=POINT kills the process there (SIGKILL),
** FX_SYNC_STOP_AT=POINT stops it (SIGSTOP) there once, until a SIGCONT:
** the tests' way to stop a round at a known moment. */
static void hook(const char *point)
{
    const char *k = getenv("FX_SYNC_KILL_AT"), *st = getenv("FX_SYNC_STOP_AT");
    if (k && strcmp(k, point) == 0)
        fx__kill_self();
    if (st && strcmp(st, point) == 0) {
        fx__unsetenv("FX_SYNC_STOP_AT");   /* once: a round tried again goes on */
        fx__stop_self();
    }
}

/* A round that stopped midway before this one: the base both sides hold
** now, persisted (or, dry-run and status, into tmp's repair-base.json
** and merged against). */
/* The command that applies a patch where the file side's database is,
** but the patch's name, into buf: with the pair's --schema when it has
** one (the natural keys the patch's rows are written with). */
static const char *apply_cmd(char *buf, size_t n, const sync_cfg *c)
{
    snprintf(buf, n, "fxload --db DATABASE%s%s --patch", c->schema ? " --schema " : "",
             c->schema ? c->schema : "");
    return buf;
}

static int repair(round *r, int persist, const char *tmpdir, fx_error *err)
{
    char said[1024], cmd[512];
    char *out = persist ? NULL : fx__sync_path(tmpdir, "repair-base.json");
    if (!persist && !out)
        return nomem(err);
    int rc = fx__sync_repair(r->dir, r->local.dump, r->online.dump, r->schema,
                             apply_cmd(cmd, sizeof cmd, &r->cfg), out, said, sizeof said, err);
    if (rc > 0) {
        say(r->o, "%s", said);
        if (!persist) {
            free(r->repair);
            r->repair = out;
            r->mbase = out;
            out = NULL;
        }
        rc = 0;
    }
    free(out);
    return rc;
}

static int is_serialization(const fx_error *err)
{
    return strstr(err->msg, "could not serialize") || strstr(err->msg, "deadlock detected");
}

/* The patch of file side s for the round of journal entry jdir, in the
** state directory's patches/ (same number); its path into *out. */
static int write_patch(round *r, side *s, const char *jdir, char **out, fx_error *err)
{
    const char *num = strrchr(jdir, '/');
    num = num ? num + 1 : jdir;
    char name[80];
    snprintf(name, sizeof name, "patches/%s.json", num);
    char *pdir = fx__sync_path(r->dir, "patches");
    *out = fx__sync_path(r->dir, name);
    const char **mv = calloc(3 * r->nevs + 1, sizeof *mv);
    size_t nmv = 0;
    int rc = !pdir || !*out || !mv ? nomem(err) : fx__sync_mkdir(pdir, err);
    /* the moves of this side's records: ours are local's, theirs online's */
    const char *whose = strcmp(s->name, "local") == 0 ? "ours" : "theirs";
    for (size_t i = 0; !rc && i < r->nevs; i++) {
        const ev *e = &r->evs[i];
        if (e->kind == FX_MERGE_RENUMBER && e->what && e->new_key && !strcmp(e->what, whose)) {
            mv[3 * nmv] = e->label;
            mv[3 * nmv + 1] = e->key;
            mv[3 * nmv + 2] = e->new_key;
            nmv++;
        }
    }
    if (!rc)
        rc = fx__patch_write(*out, s->name, strtol(num, NULL, 10), 1, s->before, s->nbefore,
                             s->dels, s->ndels, s->recs, s->nrecs, mv, nmv, err);
    free(mv);
    free(pdir);
    return rc;
}

/* Commit the sides written so that a stop anywhere can be repaired (see
** sync_pending.c): the journal entry, the new base and pending.json
** first; then the renumbered side, then the other; then the base. */
static int commit(round *r, fx_sync_op op, const char *opname, fx_renumber ren, int wl,
                  int wo, const char *newbase, fx_error *err)
{
    char *jdir = NULL, *pb = fx__sync_path(r->dir, "pending-base.json.gz");
    int rc = pb ? journal(r, opname, wl, wo, &jdir, err) : nomem(err);
    hook("journal");
    if (!rc)
        rc = fx__sync_copy(newbase, pb, 1, err);
    const char *names[2];
    side *order[2];
    size_t n = 0;
    int local_first = op == FX_SYNC_PULL || (op == FX_SYNC_BOTH && ren == FX_RENUMBER_OURS);
    if (r->local.file || r->online.file)   /* the file side applies its patch later */
        local_first = r->online.file;
    /* a file side with nothing to get takes no patch: it holds the merge */
    int cl = wl && !(r->local.file && !r->local.nmc);
    int co = wo && !(r->online.file && !r->online.nmc);
    if (local_first ? cl : co)
        order[n] = local_first ? &r->local : &r->online, names[n] = order[n]->name, n++;
    if (local_first ? co : cl)
        order[n] = local_first ? &r->online : &r->local, names[n] = order[n]->name, n++;
    side *fs = n && order[n - 1]->file ? order[n - 1] : NULL;
    char *patch = NULL;
    if (!rc && fs)
        rc = write_patch(r, fs, jdir, &patch, err);
    if (!rc)
        rc = fx__sync_pending_write(r->dir, jdir, names, n, err);
    if (!rc && fs)
        rc = fx__sync_pending_patch(r->dir, fs->name, patch, err);
    hook("pending");
    if (!rc && !order[0]->file)
        rc = fx_loader_finish(order[0]->l, err);
    if (rc) {   /* nothing committed: no round to repair */
        fx__sync_pending_done(r->dir);
        if (jdir)
            fx__sync_journal_result(jdir, "failed: nothing written", err);
        free(jdir);
        free(pb);
        free(patch);
        return rc;
    }
    if (fs) {   /* the base moves when that side's next export shows the patch */
        char cmd[512];
        say(r->o, "%s: patch '%s' written: apply it with '%s %s', export that database "
            "again to '%s', then run fxsync: the base moves on when the export shows it "
            "applied", fs->name, patch, apply_cmd(cmd, sizeof cmd, &r->cfg), patch,
            fs->target);
        if (!rc)
            rc = fx__sync_journal_result(jdir, "pending: patch", err);
        free(jdir);
        free(pb);
        free(patch);
        return rc;
    }
    hook("committed-first");
    if (!rc && n > 1 && (rc = fx_loader_finish(order[1]->l, err)))
        say(r->o, "%s committed, %s did not: run the sync again, it repairs and converges",
            order[0]->name, order[1]->name);
    hook("committed");
    /* the base before this round stays with its journal entry (undo) */
    char *bb = jdir ? fx__sync_path(jdir, "base-before.json.gz") : NULL;
    if (!rc && bb && fx__link(r->base, bb) && errno != EEXIST)
        say(r->o, "warning: cannot keep the old base in '%s' (%s): this round cannot be "
            "undone", jdir, strerror(errno));
    free(bb);
    if (!rc && fx__replace(pb, r->base))
        rc = fx_error_set(err, FX_EIO, r->base, 0, 0, 0, "cannot move the new base into "
                          "place: %s; run the sync again, it repairs", strerror(errno));
    if (!rc)
        fx__sync_fsync_dir(r->dir);
    hook("based");
    if (!rc)
        rc = fx__sync_journal_result(jdir, "synced", err);
    if (!rc)
        fx__sync_pending_done(r->dir);
    free(jdir);
    free(pb);
    return rc;
}

static void seqs_after(round *r, int wl, int wo);

/* One round of pull, push or sync.  0 synced, 1 conflicts, < 0. */
static int one_round(round *r, fx_sync_op op, fx_error *err)
{
    const fx_sync_opts *o = r->o;
    int wl = op == FX_SYNC_PULL || op == FX_SYNC_BOTH;
    int wo = op == FX_SYNC_PUSH || op == FX_SYNC_BOTH;
    const char *opname = op == FX_SYNC_PULL ? "pull" : op == FX_SYNC_PUSH ? "push" : "sync";
    int rc = 0;
    if (wl && (rc = side_open(&r->local, &r->cfg, err)))
        return rc;
    if (wo && (rc = side_open(&r->online, &r->cfg, err)))
        return rc;
    hook("opened");
    if ((rc = side_dump(&r->local, &r->cfg, err)) || (rc = side_dump(&r->online, &r->cfg, err)))
        return rc;
    hook("dumped");
    if ((rc = repair(r, !o->dry_run, r->tmp, err)))
        return rc;
    fx_renumber ren = op == FX_SYNC_PULL ? FX_RENUMBER_OURS
                      : op == FX_SYNC_PUSH ? FX_RENUMBER_THEIRS
                      : o->renumber_online ? FX_RENUMBER_THEIRS : FX_RENUMBER_OURS;
    int use_resolved = 0;
    if (o->cont && op == FX_SYNC_BOTH && o->strategy == FX_STRATEGY_NONE &&
        (use_resolved = resolved_merge(r, err)) < 0)
        return use_resolved;
    if (!use_resolved) {
        int conflicts = merge(r, ren, err);
        if (conflicts < 0)
            return conflicts;
        say_events(r);
        if (conflicts > 0) {
            if (!o->dry_run && (rc = save_conflicts(r, opname, err)))
                return rc;
            json_object *j = summary_json(r, opname, "conflicts", 0, 0);
            rc = write_report(r, j, err);
            json_object_put(j);
            if (rc)
                return rc;
            say(o, "%d conflict%s: nothing written; the merge with its markers is in "
                "'%s/conflicts/merged.json': resolve them there and run 'fxsync sync "
                "--continue', or run 'fxsync sync --strategy ours|theirs'", conflicts,
                conflicts == 1 ? "" : "s", r->dir);
            return 1;
        }
    }
    /* what each side written takes */
    r->local.print = r->online.print = o->dry_run;
    if (wl && (rc = side_plan(&r->local, r->merged, r->schema, err)) < 0)
        return rc;
    if (wo && (rc = side_plan(&r->online, r->merged, r->schema, err)) < 0)
        return rc;
    if (wl)
        say_counts(o, &r->local, r->local.file ? "to patch" : o->dry_run ? "would write"
                   : "wrote");
    if (wo)
        say_counts(o, &r->online, r->online.file ? "to patch" : o->dry_run ? "would write"
                   : "wrote");
    if (o->dry_run) {
        json_object *j = summary_json(r, opname, "dry-run", wl, wo);
        rc = write_report(r, j, err);
        json_object_put(j);
        return rc;
    }
    hook("planned");
    if ((wl && (rc = side_seqs(&r->local, &r->local.seqs, err))) ||
        (wo && (rc = side_seqs(&r->online, &r->online.seqs, err))))
        return rc;
    if ((wl && (rc = side_apply(&r->local, err))) || (wo && (rc = side_apply(&r->online, err))))
        return rc;
    hook("applied");
    const char *newbase = op == FX_SYNC_BOTH ? r->merged : op == FX_SYNC_PULL
                          ? r->online.dump : r->local.dump;
    int writes = (wl && r->local.nmc) || (wo && r->online.nmc);
    if (!writes) {   /* nothing to commit: the base moves to what both hold */
        if ((wl && r->local.l && (rc = fx_loader_finish(r->local.l, err))) ||
            (wo && r->online.l && (rc = fx_loader_finish(r->online.l, err))))
            return rc;
        if ((rc = fx__sync_copy(newbase, r->base, 1, err)))
            return rc;
    } else if ((rc = commit(r, op, opname, ren, wl, wo, newbase, err)))
        return rc;
    else
        seqs_after(r, wl, wo);
    char *cdir = fx__sync_path(r->dir, "conflicts");
    if (cdir && op == FX_SYNC_BOTH)
        fx__sync_rmdir(cdir);
    free(cdir);
    json_object *j = summary_json(r, opname, "synced", wl, wo);
    rc = write_report(r, j, err);
    json_object_put(j);
    return rc;
}

/* ---------------------------------------------------------------- undo */

/* Are two counters (an int or null) the same? */
static int same_seq(json_object *a, json_object *b)
{
    if (!a || !b)
        return a == b;
    return json_object_get_int64(a) == json_object_get_int64(b);
}

/* Set counter name of side s to v (null: a PostgreSQL sequence that
** hands out its first value next; a SQLite table's row gone). */
static int set_seq(side *s, const char *name, json_object *v, fx_error *err)
{
    int rc;
    if (s->pg) {
        PGconn *c;
        return (rc = fx__load_pg_handle(s->l, &c, err)) ? rc
               : fx__pg_counter_set(c, s->target, name, v, s->name, err);
    }
    sqlite3 *db;
    return (rc = fx__load_sqlite_handle(s->l, &db, err)) ? rc
           : fx__sqlite_counter_set(db, name, v, s->name, err);
}

/* Put back the id counters journal entry jdir moved on side s, where
** they are still where it left them (a counter moved since handed out ids
** since: it stays).  SQLite: through the loader's transaction, after the
** undo's rows; PostgreSQL: after its commit (which set the sequences past
** the largest ids), against the values before the undo (s->seqs).  0 or a
** code. */
static int undo_seqs(side *s, const char *jdir, fx_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "%s-sequences.json", s->name);
    char *p = fx__sync_path(jdir, name);
    if (!p)
        return nomem(err);
    json_object *j = exists(p) ? json_object_from_file(p) : NULL, *before, *after, *now = NULL;
    free(p);
    int rc = 0;
    if (!j || !json_object_object_get_ex(j, "before", &before) ||
        !json_object_object_get_ex(j, "after", &after))
        goto out;
    if (s->pg)
        now = json_object_get(s->seqs);
    else if ((rc = side_seqs(s, &now, err)))
        goto out;
    json_object_object_foreach(after, seq, av) {
        json_object *bv = NULL, *nv = NULL;
        int had = json_object_object_get_ex(before, seq, &bv);
        if ((s->pg && !had) || (had && same_seq(bv, av)) ||
            !json_object_object_get_ex(now, seq, &nv) || !same_seq(nv, av))
            continue;
        if ((rc = set_seq(s, seq, bv, err)))
            break;
    }
out:
    json_object_put(now);
    json_object_put(j);
    return rc;
}

/* After a commit: a PostgreSQL side's sequences as the commit left them,
** with those before it (s->seqs), into the newest journal entry, for undo.
** A failure only costs undo its sequences: said, not an error. */
static void seqs_after(round *r, int wl, int wo)
{
    side *sides[2] = {wl ? &r->local : NULL, wo ? &r->online : NULL};
    long *ids = NULL;
    size_t n = fx__sync_journal_ids(r->dir, &ids);
    for (int i = 0; n && i < 2; i++) {
        if (!sides[i] || !sides[i]->pg || !sides[i]->seqs)
            continue;
        char name[64];
        snprintf(name, sizeof name, "journal/%06ld/%s-sequences.json", ids[n - 1],
                 sides[i]->name);
        char *p = fx__sync_path(r->dir, name);
        json_object *after = NULL, *j = NULL;
        fx_error e;
        int rc = p ? side_seqs(sides[i], &after, &e) : nomem(&e);
        if (!rc) {
            j = json_object_new_object();
            json_object_object_add(j, "before", json_object_get(sides[i]->seqs));
            json_object_object_add(j, "after", after);
            rc = fx__sync_json_write(j, p, &e);
        }
        if (rc)
            say(r->o, "warning: %s: %s; undo will not put its sequences back", sides[i]->name,
                e.msg);
        json_object_put(j);
        free(p);
    }
    free(ids);
}

/* The undo's merges leave out fx_merge's "THEIRS looks older" warning:
** the prior rows lack the round's new records by design. */
static void undo_diag(void *ctx, const fx_diag *d)
{
    const fx_sync_opts *o = ctx;
    if (d->check && strcmp(d->check, "stale") == 0)
        return;
    if (o->diag)
        o->diag(o->diag_ctx, d);
}

/* What side s takes to undo journal entry jdir, into target: a three-way
** merge (fx_merge) of its dump (ours) with the base holding the rows the
** round wrote as it left them (base) and as they were before it
** (theirs), see fx__sync_undo_files: a row nobody changed since goes
** back; a change made since stays where the undo does not meet it; a
** field changed since and by the round, a row the round wrote and one
** changed since, a row added since referring to one the undo deletes, is
** a conflict (o->strategy decides: ours, the change since; theirs, the
** undo).  Returns the conflicts or < 0. */
static int undo_merge(round *r, side *s, const char *jdir, long id, const char *target,
                      fx_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "undo-%s-left.json", s->name);
    char *left = fx__sync_path(r->tmp, name);
    snprintf(name, sizeof name, "undo-%s-prior.json", s->name);
    char *prior = fx__sync_path(r->tmp, name);
    size_t undone = 0, kept = 0, ev0 = r->nevs;
    int rc = !left || !prior ? nomem(err)
             : fx__sync_undo_files(jdir, s->name, s->dump, r->mbase, r->schema, left, prior,
                                   &undone, &kept, err);
    fx_output *out = NULL;
    if (!rc)
        rc = fx_output_open(&out, target, err);
    if (!rc) {
        fx_merge_opts mo;
        memset(&mo, 0, sizeof mo);
        mo.schema = r->schema;
        mo.renumber = FX_RENUMBER_NONE;
        mo.strategy = r->o->strategy;
        mo.diag = undo_diag;
        mo.diag_ctx = (void *)r->o;
        mo.event = on_event;
        mo.event_ctx = r;
        mo.allow_mass_delete = 1;   /* the rows it takes away are the round's */
        fx_merge_stats st;
        rc = fx_merge(left, s->dump, prior, out, &mo, &st, err);
        int c;
        if (rc >= 0 && (c = fx_output_commit(out, err)) < 0)
            rc = c;
    }
    fx_output_free(out);
    if (rc >= 0 && kept)
        say(r->o, "%s: %zu of the rows round %06ld wrote changed since: the undo is merged "
            "with those changes", s->name, kept, id);
    for (size_t i = ev0; rc >= 0 && i < r->nevs; i++) {
        const ev *e = &r->evs[i];
        int again = e->what && strcmp(e->what, "add/add") == 0;
        if (e->kind == FX_MERGE_CONFLICT)
            say(r->o, "%s: conflict: %s %s: %s%s%s%s", s->name, e->label, e->key,
                e->what ? e->what : "", e->fields && *e->fields ? " " : "",
                e->fields ? e->fields : "", again ? " (the round deleted it, a row was "
                "made under its id since: --strategy does not decide that; delete or move "
                "that row, then undo)" : "");
    }
    free(left);
    free(prior);
    return rc;
}

/* Undo the newest journal entry: each side it wrote back to its prior
** rows, merged with the changes made since (undo_merge), the base back to
** the one before it; a round of its own, committed as any other.
** 0 undone, 1 conflicts (nothing written), < 0. */
static int undo_round(round *r, fx_error *err)
{
    const fx_sync_opts *o = r->o;
    int rc = 0;
    if ((rc = side_open(&r->local, &r->cfg, err)) || (rc = side_open(&r->online, &r->cfg, err)))
        return rc;
    if ((rc = side_dump(&r->local, &r->cfg, err)) || (rc = side_dump(&r->online, &r->cfg, err)))
        return rc;
    if ((rc = repair(r, !o->dry_run, r->tmp, err)))
        return rc;
    long *ids = NULL;
    size_t n = fx__sync_journal_ids(r->dir, &ids);
    long id = n ? ids[n - 1] : 0;
    free(ids);
    if (!n)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "nothing to undo: no round wrote "
                            "since 'fxsync init' in '%s'", r->dir);
    char name[64];
    snprintf(name, sizeof name, "journal/%06ld", id);
    char *jdir = fx__sync_path(r->dir, name);
    char *sum = jdir ? fx__sync_path(jdir, "summary.json") : NULL;
    char *bb = jdir ? fx__sync_path(jdir, "base-before.json.gz") : NULL;
    char *nb = fx__sync_path(r->tmp, "undo-base.json");
    char *tl = fx__sync_path(r->tmp, "undo-local.json");
    char *to = fx__sync_path(r->tmp, "undo-online.json");
    json_object *j = sum ? json_object_from_file(sum) : NULL, *v;
    const char *result = j && json_object_object_get_ex(j, "result", &v)
                         ? json_object_get_string(v) : "unreadable";
    int wl = j && json_object_object_get_ex(j, "local", &v);
    int wo = j && json_object_object_get_ex(j, "online", &v);
    if (!jdir || !sum || !bb || !nb || !tl || !to) {
        rc = nomem(err);
        goto out;
    }
    if (strcmp(result, "synced")) {
        rc = fx_error_set(err, FX_EUSAGE, sum, 0, 0, 0, "the last round (%06ld) is '%s', "
                          "not 'synced': there is nothing to undo", id, result);
        goto out;
    }
    if (!exists(bb)) {
        rc = fx_error_set(err, FX_EUSAGE, bb, 0, 0, 0, "round %06ld kept no base from "
                          "before it (made by an older fxsync): it cannot be undone", id);
        goto out;
    }
    side *sides[2] = {wl ? &r->local : NULL, wo ? &r->online : NULL};
    const char *targets[2] = {tl, to};
    int conflicts = 0, entry = 0;
    for (int i = 0; !rc && i < 2; i++) {
        if (!sides[i])
            continue;
        int c = undo_merge(r, sides[i], jdir, id, targets[i], err);
        if (c < 0)
            rc = c;
        else
            conflicts += c;
    }
    if (!rc && conflicts) {
        json_object *rep = summary_json(r, "undo", "conflicts", 0, 0);
        rc = write_report(r, rep, err);
        json_object_put(rep);
        if (!rc)
            say(o, "%d conflict%s: nothing written; run 'fxsync undo --strategy ours' (the "
                "changes made since win) or 'fxsync undo --strategy theirs' (the undo wins), "
                "or edit those rows and undo again", conflicts, conflicts == 1 ? "" : "s");
        rc = rc ? rc : 1;
        goto out;
    }
    for (int i = 0; !rc && i < 2; i++) {
        if (!sides[i])
            continue;
        sides[i]->print = o->dry_run;
        if ((rc = side_plan(sides[i], targets[i], r->schema, err)) > 0)
            rc = 0;
        if (!rc)
            say_counts(o, sides[i], o->dry_run ? "would write" : "wrote");
    }
    if (rc || o->dry_run)
        goto out;
    if ((wl && (rc = side_seqs(&r->local, &r->local.seqs, err))) ||
        (wo && (rc = side_seqs(&r->online, &r->online.seqs, err))))
        goto out;
    if ((wl && (rc = side_apply(&r->local, err))) || (wo && (rc = side_apply(&r->online, err))))
        goto out;
    if ((wl && !r->local.pg && (rc = undo_seqs(&r->local, jdir, err))) ||
        (wo && !r->online.pg && (rc = undo_seqs(&r->online, jdir, err))))
        goto out;
    if ((rc = fx__sync_plain_copy(bb, nb, err)))
        goto out;
    if ((r->local.nmc && wl) || (r->online.nmc && wo))
        entry = !(rc = commit(r, FX_SYNC_BOTH, "undo", FX_RENUMBER_OURS, wl, wo, nb, err));
    else {   /* nothing to write back: the base alone goes back */
        if (wl)
            rc = fx_loader_finish(r->local.l, err);
        if (!rc && wo)
            rc = fx_loader_finish(r->online.l, err);
        if (!rc)
            rc = fx__sync_copy(nb, r->base, 1, err);
    }
    /* a PostgreSQL side's sequences, once its commit set them */
    for (int i = 0; !rc && i < 2; i++) {
        fx_error e;
        if (sides[i] && sides[i]->pg && undo_seqs(sides[i], jdir, &e))
            say(o, "warning: %s: %s; its rows are undone", sides[i]->name, e.msg);
    }
    if (!rc && entry)
        seqs_after(r, wl, wo);
    if (!rc)
        rc = fx__sync_journal_result(jdir, "undone", err);
    if (!rc)
        say(o, "round %06ld undone: the base is the one before it", id);
    if (!rc) {
        json_object *rep = summary_json(r, "undo", "synced", wl, wo);
        rc = write_report(r, rep, err);
        json_object_put(rep);
    }
out:
    json_object_put(j);
    free(jdir);
    free(sum);
    free(bb);
    free(nb);
    free(tl);
    free(to);
    return rc;
}

/* ---------------------------------------------------------------- status */

typedef struct stat_ctx {
    side *s;
    const fx_sync_opts *o;
    unsigned long n;
} stat_ctx;

static int status_change(void *ctx, const fx_change *c)
{
    stat_ctx *x = ctx;
    mcount *m = count_of(x->s, c->label);
    if (!m)
        return FX_ENOMEM;
    if (c->op == FX_ADDED)
        m->inserted++;
    else if (c->op == FX_CHANGED)
        m->updated++;
    else
        m->deleted++;
    x->n++;
    if (x->o->verbose) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%s: ", x->s->name);
        print_change(x->o, prefix, c);
    }
    return 0;
}

static int side_status(round *r, side *s, unsigned long *n, fx_error *err)
{
    fx_diff_opts d;
    memset(&d, 0, sizeof d);
    d.schema = r->schema;
    d.diag = r->o->diag;
    d.diag_ctx = r->o->diag_ctx;
    stat_ctx x = {s, r->o, 0};
    int rc = fx_diff(r->mbase, s->dump, &d, status_change, &x, err);
    if (rc == FX_ENOMEM)
        return nomem(err);
    if (rc < 0)
        return rc;
    *n = x.n;
    if (!x.n) {
        say(r->o, "%s: no change since the last sync", s->name);
        return 0;
    }
    fx_buf b = FX_BUF_INIT;
    for (size_t i = 0; i < s->nmc; i++) {
        const mcount *m = &s->mc[i];
        fx_buf_printf(&b, "%s%s", i ? ", " : "", m->label);
        if (m->inserted)
            fx_buf_printf(&b, " +%lu", m->inserted);
        if (m->updated)
            fx_buf_printf(&b, " ~%lu", m->updated);
        if (m->deleted)
            fx_buf_printf(&b, " -%lu", m->deleted);
    }
    say(r->o, "%s: %lu record%s changed since the last sync: %s", s->name, x.n,
        x.n == 1 ? "" : "s", b.data ? b.data : "");
    fx_buf_free(&b);
    return 0;
}

static int status(round *r, fx_error *err)
{
    /* nothing written to the state: the dumps go to a directory of our own */
    char tmpl[4096];
    const char *td = fx__tmpdir();
    snprintf(tmpl, sizeof tmpl, "%s/fxsync-XXXXXX", td);
    if (!fx__mkdtemp(tmpl))
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot make a temporary directory "
                            "in '%s': %s; set " FX_TMPDIR_VAR " to a writable place", td,
                            strerror(errno));
    free(r->local.dump);
    free(r->online.dump);
    free(r->merged);
    r->local.dump = fx__sync_path(tmpl, "local.json");
    r->online.dump = fx__sync_path(tmpl, "online.json");
    r->merged = fx__sync_path(tmpl, "merged.json");
    int rc = !r->local.dump || !r->online.dump || !r->merged ? nomem(err) : 0;
    unsigned long nl = 0, no = 0;
    if (!rc)
        rc = side_dump(&r->local, &r->cfg, err);
    if (!rc)
        rc = side_dump(&r->online, &r->cfg, err);
    if (!rc)
        rc = repair(r, 0, tmpl, err);
    if (!rc)
        rc = side_status(r, &r->local, &nl, err);
    if (!rc)
        rc = side_status(r, &r->online, &no, err);
    int conflicts = 0;
    if (!rc && nl && no) {
        conflicts = merge(r, FX_RENUMBER_OURS, err);
        if (conflicts < 0) {   /* a guard: what a sync would say, not trouble */
            say(r->o, "a sync would stop: %s", err->msg);
            conflicts = 1;
        } else if (conflicts) {
            say(r->o, "a sync would conflict on %d record%s:", conflicts,
                conflicts == 1 ? "" : "s");
            say_events(r);
        } else
            say(r->o, "a sync would merge cleanly");
    }
    char *pending = fx__sync_path(r->dir, "conflicts/report.json");
    if (!rc && pending && exists(pending)) {
        say(r->o, "conflicts of the last sync are waiting in '%s/conflicts/merged.json': "
            "resolve them and run 'fxsync sync --continue'", r->dir);
        json_object *j = json_object_from_file(pending), *a;
        if (j && json_object_object_get_ex(j, "conflicts", &a))
            for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i), *v;
                const char *mdl = "", *key = "", *kind = "", *fields = "";
                if (json_object_object_get_ex(e, "model", &v)) mdl = json_object_get_string(v);
                if (json_object_object_get_ex(e, "key", &v)) key = json_object_get_string(v);
                if (json_object_object_get_ex(e, "kind", &v)) kind = json_object_get_string(v);
                if (json_object_object_get_ex(e, "fields", &v)) fields = json_object_get_string(v);
                say(r->o, "conflict: %s %s: %s%s%s", mdl, key, kind, *fields ? " " : "", fields);
            }
        json_object_put(j);
        conflicts++;
    }
    free(pending);
    fx__sync_rmdir(tmpl);
    if (rc)
        return rc;
    if (!nl && !no && !conflicts)
        say(r->o, "in step");
    return nl || no || conflicts ? 1 : 0;
}

/* ---------------------------------------------------------------- API */

int fx_sync_run(fx_sync_op op, const fx_sync_opts *o, fx_error *err)
{
    round r;
    int rc = round_init(&r, o, 1, err);
    if (rc) {
        round_free(&r);
        return rc;
    }
    if (op == FX_SYNC_STATUS) {
        rc = status(&r, err);
        round_free(&r);
        return rc;
    }
    if (op == FX_SYNC_UNDO && (r.local.file || r.online.file)) {
        rc = fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "undo is not done for a pair with "
                          "a side given as a file");
        round_free(&r);
        return rc;
    }
    if ((rc = fx__sync_lock(r.dir, err))) {
        round_free(&r);
        return rc;
    }
    for (int attempt = 0;; attempt++) {
        rc = op == FX_SYNC_UNDO ? undo_round(&r, err) : one_round(&r, op, err);
        if (rc >= 0 || attempt >= RETRIES || !is_serialization(err))
            break;
        say(o, "another transaction wrote the same rows: trying again");
        side_free(&r.local);
        side_free(&r.online);
        r.local.dump = fx__sync_path(r.tmp, "local.json");
        r.online.dump = fx__sync_path(r.tmp, "online.json");
        for (size_t i = 0; i < r.nevs; i++) {
            free(r.evs[i].label), free(r.evs[i].key), free(r.evs[i].what);
            free(r.evs[i].new_key), free(r.evs[i].fields), free(r.evs[i].hint);
        }
        r.nevs = 0;
    }
    /* the loaders roll back what they did not commit */
    side_free(&r.local);
    side_free(&r.online);
    fx__sync_unlock(r.dir);
    round_free(&r);
    return rc;
}

/* ---- init ---- */

static int schema_has_app(const fx_schema *s, const char *app)
{
    size_t n = strlen(app);
    for (size_t i = 0; i < s->nmodels; i++)
        if (strncmp(s->models[i].label, app, n) == 0 && s->models[i].label[n] == '.')
            return 1;
    return 0;
}

int fx_sync_init(const fx_sync_opts *o, fx_error *err)
{
    if (!o->local || !o->online)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "init needs both sides: --local "
                            "DATABASE --online DATABASE");
    if (o->from && strcmp(o->from, "local") && strcmp(o->from, "online"))
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "--from takes 'local' or "
                            "'online', not '%s'", o->from);
    char dir[4096];
    fx_sync_state_dir(dir, sizeof dir, o);
    char *cfgpath = fx__sync_path(dir, "config.json");
    if (!cfgpath)
        return nomem(err);
    int there = exists(cfgpath);
    free(cfgpath);
    if (there)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "'%s' already holds an fxsync "
                            "pair: remove it first, or pass another --state DIR", dir);
    int rc = fx__sync_mkdir(dir, err);
    if (rc)
        return rc;
    if ((rc = fx__sync_lock(dir, err)))
        return rc;
    sync_cfg c;
    memset(&c, 0, sizeof c);
    c.local = strdup(o->local);
    c.online = strdup(o->online);
    c.schema = o->schema ? strdup(o->schema) : NULL;
    c.local_file = is_export(o->local);
    c.online_file = is_export(o->online);
    if (c.local_file && c.online_file)
        rc = fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "both sides are exports ('%s', "
                          "'%s'): fxsync keeps databases in step, at most one of them given "
                          "as a file; merge two exports with fxmerge", o->local, o->online);
    else if (o->from && !o->base && (strcmp(o->from, "local") ? c.local_file : c.online_file))
        rc = fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "--from %s would write the %s side, "
                          "which is an export: load %s's rows into that database (fxload), "
                          "export it again and run init without --from, or give --base",
                          o->from, strcmp(o->from, "local") ? "local" : "online", o->from);
    c.exclude = calloc(o->nexclude + 5, sizeof *c.exclude);
    fx_schema *s = NULL;
    if (!rc && (!c.local || !c.online || !c.exclude || (o->schema && !c.schema)))
        rc = nomem(err);
    if (!rc)
        rc = load_schema(&s, &c, err);
    /* the rows Django makes itself, where the project has them */
    static const char *const own[] = {"contenttypes", "auth.permission", "sessions",
                                      "admin.logentry"};
    for (size_t i = 0; !rc && i < sizeof own / sizeof *own; i++)
        if (strchr(own[i], '.') ? fx_schema_model(s, own[i]) != NULL
                                : schema_has_app(s, own[i]))
            c.exclude[c.nexclude++] = strdup(own[i]);
    for (size_t i = 0; !rc && i < o->nexclude; i++)
        c.exclude[c.nexclude++] = strdup(o->exclude[i]);
    fx_schema_free(s);
    if (!rc)
        rc = fx__sync_cfg_write(&c, dir, err);
    fx__sync_cfg_free(&c);
    fx__sync_unlock(dir);
    if (rc)
        return rc;

    /* the first base */
    round r;
    fx_sync_opts o2 = *o;
    o2.state = dir;
    if ((rc = round_init(&r, &o2, 0, err)))
        goto out;
    if ((rc = fx__sync_lock(r.dir, err)))
        goto out;
    if (o->base) {
        /* the last export both loaded, laid out anew and compressed */
        rc = fx__sync_plain_copy(o->base, r.base, err);
        if (!rc)
            say(o, "base: '%s'", o->base);
    } else {
        side *to = NULL, *from = NULL;
        if (o->from) {
            from = strcmp(o->from, "local") == 0 ? &r.local : &r.online;
            to = from == &r.local ? &r.online : &r.local;
            rc = side_open(to, &r.cfg, err);
        }
        if (!rc)
            rc = side_dump(&r.local, &r.cfg, err);
        if (!rc)
            rc = side_dump(&r.online, &r.cfg, err);
        int eq = rc ? 0 : same(r.local.dump, r.online.dump, r.schema, err);
        if (eq < 0)
            rc = eq;
        else if (!rc && !eq && !from) {
            say(o, "the two sides hold different rows: say which one the other starts from "
                "(--from local or --from online), or give the last export both loaded "
                "(--base FILE); nothing written");
            rc = 1;
        } else if (!rc && !eq) {
            to->print = o->dry_run;
            if ((rc = side_plan(to, from->dump, r.schema, err)) >= 0)
                rc = side_apply(to, err);
            if (!rc)
                rc = fx_loader_finish(to->l, err);
            if (!rc)
                say_counts(o, to, "wrote");
        }
        if (!rc)
            rc = fx__sync_copy(eq || !from ? r.local.dump : from->dump, r.base, 1, err);
        if (!rc)
            say(o, eq ? "the two sides hold the same rows: that is the base"
                      : "%s now holds %s's rows: that is the base", to ? to->name : "",
                from ? from->name : "");
    }
    fx__sync_unlock(r.dir);
out:
    round_free(&r);
    if (rc) {   /* a pair without a base is no pair: init can run again */
        char *p = fx__sync_path(dir, "config.json");
        if (p)
            unlink(p);
        free(p);
    }
    return rc;
}

/* ---- log ---- */

int fx_sync_log(const fx_sync_opts *o, fx_error *err)
{
    char dir[4096];
    fx_sync_state_dir(dir, sizeof dir, o);
    char *jdir = fx__sync_path(dir, "journal");
    if (!jdir)
        return nomem(err);
    int rc = 0;
    long *ids = NULL;
    size_t n = fx__sync_journal_ids(dir, &ids);
    for (size_t i = n; i-- > 0;) {
        char name[64];
        snprintf(name, sizeof name, "%06ld/summary.json", ids[i]);
        char *p = fx__sync_path(jdir, name);
        json_object *j = p ? json_object_from_file(p) : NULL, *v;
        free(p);
        if (!j)
            continue;
        const char *when = "", *op = "";
        if (json_object_object_get_ex(j, "when", &v)) when = json_object_get_string(v);
        if (json_object_object_get_ex(j, "op", &v)) op = json_object_get_string(v);
        fx_buf b = FX_BUF_INIT;
        fx_buf_printf(&b, "%06ld %s %s", ids[i], when, op);
        const char *sides[2] = {"local", "online"};
        for (int k = 0; k < 2; k++) {
            json_object *c;
            if (!json_object_object_get_ex(j, sides[k], &c))
                continue;
            unsigned long ins = 0, upd = 0, del = 0;
            json_object_object_foreach(c, key, val) {
                (void)key;
                json_object *x;
                if (json_object_object_get_ex(val, "inserted", &x)) ins += (unsigned long)json_object_get_int64(x);
                if (json_object_object_get_ex(val, "updated", &x)) upd += (unsigned long)json_object_get_int64(x);
                if (json_object_object_get_ex(val, "deleted", &x)) del += (unsigned long)json_object_get_int64(x);
            }
            fx_buf_printf(&b, "  %s +%lu ~%lu -%lu", sides[k], ins, upd, del);
        }
        if (json_object_object_get_ex(j, "renumbered", &v) && json_object_array_length(v))
            fx_buf_printf(&b, "  renumbered %zu", json_object_array_length(v));
        /* a round that did not end as synced says how it ended */
        if (json_object_object_get_ex(j, "result", &v) &&
            strcmp(json_object_get_string(v), "synced"))
            fx_buf_printf(&b, "  (%s)", json_object_get_string(v));
        say(o, "%s", b.data ? b.data : "");
        fx_buf_free(&b);
        json_object_put(j);
    }
    free(ids);
    free(jdir);
    return rc;
}
