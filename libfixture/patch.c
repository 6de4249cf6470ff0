/*
** patch.c: a patch fxsync writes for a side given as a file (an export),
** and applying it to that side's database (fxload --patch).
**
** A patch is a fixture (a json list of records, read with the one reader)
** whose fxpatch.* records frame the rows it touches:
**
**   fxpatch.patch  first: version (1), side, round, natural_foreign, rows
**   fxpatch.row    one a touched row: op ("upsert" or "delete"), model, pk,
**                  before (true: the row's expected prior record follows;
**                  false: the row must not exist), after (true: its new
**                  record follows)
**   fxpatch.move   a record renumbered by the round: model, old_pk, new_pk
**                  (for the person; the rows it takes are upserts)
**
** The records of the rows are as dumpdata writes them, values in their
** original bytes.  Applying it is one transaction: the touched models are
** dumped through it (fx_dump_sqlite, fx_dump_pg: values as dumpdata renders
** them), each touched row compared with its expected prior record
** (fx_diff), then the rows deleted and upserted (fx_loader_add), then
** fx_loader_finish.  Any difference: nothing written.
*/
#include "load_int.h"
#include "sync_int.h"
#include "index.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static int nomem(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

/* ---------------------------------------------------------------- deleting */

static int del_sql(fx_buf *q, const char *table, const char *column, int pg)
{
    fx_buf_reset(q);
    return fx_buf_adds(q, "DELETE FROM ") || fx__quote_id(q, table) ||
           fx_buf_adds(q, " WHERE ") || fx__quote_id(q, column) ||
           fx_buf_adds(q, pg ? " = $1" : " = ?1");
}

static int exec_del(fx_loader *l, const char *target, const char *who, const fx_buf *q,
                    const fx__bind *pk, fx_error *err)
{
    if (l->pg) {
        PGconn *c;
        int rc = fx__load_pg_handle(l, &c, err);
        if (rc)
            return rc;
        const char *v[1];
        char text[1][32];
        fx__pg_params(pk, 1, v, text);
        PGresult *r = PQexecParams(c, q->data, 1, NULL, v, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            char msg[512];
            fx__pg_message(msg, sizeof msg, c, r, target);
            PQclear(r);
            return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "%s: deleting a row: %s",
                                who, msg);
        }
        PQclear(r);
        return 0;
    }
    sqlite3 *db;
    int rc = fx__load_sqlite_handle(l, &db, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, q->data, (int)q->len, &st, NULL) != SQLITE_OK ||
        fx__sqlite_bind(st, 1, pk) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
        rc = fx_error_set(err, FX_EIO, target, 0, 0, 0, "%s: deleting a row: %s",
                          who, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

int fx__loader_delete(fx_loader *l, const char *target, const char *who,
                      const fx_record *rec, fx_error *err)
{
    const fx_schema *schema = l->schema;
    const fx_model_schema *m = fx_schema_model(schema, rec->label);
    if (!m)
        return fx_error_set(err, FX_ESCHEMA, NULL, 0, 0, 0, "%s: model '%s' is not in the "
                            "database: migrate it as the other side is", who, rec->label);
    fx_buf arena = FX_BUF_INIT, q = FX_BUF_INIT;
    fx__bind pk;
    char msg[256];
    int rc = 0;
    if (fx__convert(&pk, m->pk_kind, 0, rec->pk, l->pg, &arena, msg, sizeof msg)) {
        rc = fx_error_set(err, FX_ESCHEMA, NULL, 0, 0, 0, "%s: %s pk %s: %s", who,
                          rec->label, rec->pk_key, msg);
        goto out;
    }
    fx__bind_fix(&pk, 1, &arena);
    for (size_t mi = 0; !rc && mi < schema->nmodels; mi++) {
        const fx_model_schema *o = &schema->models[mi];
        for (size_t fi = 0; !rc && fi < o->nfields; fi++) {
            const fx_field_schema *f = &o->fields[fi];
            if (f->kind != FX_K_M2M || !f->through || !f->through_from || !f->through_to)
                continue;
            if (o == m) {
                rc = del_sql(&q, f->through, f->through_from, l->pg) ? nomem(err)
                     : exec_del(l, target, who, &q, &pk, err);
            }
            if (!rc && f->to && strcasecmp(f->to, m->label) == 0)
                rc = del_sql(&q, f->through, f->through_to, l->pg) ? nomem(err)
                     : exec_del(l, target, who, &q, &pk, err);
        }
    }
    if (!rc)
        rc = del_sql(&q, m->table, m->pk_column, l->pg) ? nomem(err)
             : exec_del(l, target, who, &q, &pk, err);
out:
    fx_buf_free(&arena);
    fx_buf_free(&q);
    return rc;
}

/* ---------------------------------------------------------------- writing */

static int add_pk(fx_buf *b, const fx_record *rec)
{
    if (!rec->has_pk)
        return fx_buf_adds(b, "null");
    return fx_buf_add(b, rec->pk.text, rec->pk.len);
}

static int add_rec(fx_buf *b, const fx_record *rec)
{
    fx_layout lay = {.format = FX_FORMAT_JSON, .indent = 2};
    return fx_buf_adds(b, ",\n") || fx_record_format(b, rec, lay);
}

int fx__patch_write(const char *path, const char *side, long round, int natural_foreign,
                    fx_record *const *before, size_t nbefore, const size_t *dels,
                    size_t ndels, fx_record *const *recs, size_t nrecs,
                    const char *const *moves, size_t nmoves, fx_error *err)
{
    fx__index *ix = NULL;   /* key of a prior record -> its index + 1 */
    fx_buf b = FX_BUF_INIT;
    int rc = fx__index_new(&ix, sizeof(size_t)) ? nomem(err) : 0;
    for (size_t i = 0; !rc && i < nbefore; i++) {
        int existed;
        size_t *v = fx__index_put(ix, fx_record_key_hash(before[i]), &existed);
        if (!v)
            rc = nomem(err);
        else
            *v = i + 1;
    }
    char when[64];
    time_t t = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    if (!rc && (fx_buf_adds(&b, "[\n{\"model\": \"fxpatch.patch\", \"pk\": 1, \"fields\": "
                           "{\"version\": 1, \"side\": ") ||
                fx__json_string(&b, side, strlen(side)) ||
                fx_buf_printf(&b, ", \"round\": %ld, \"natural_foreign\": %s, \"rows\": %zu, "
                              "\"made\": \"%s\"}}", round, natural_foreign ? "true" : "false",
                              ndels + nrecs, when)))
        rc = nomem(err);
    unsigned long n = 0;
    for (size_t i = 0; !rc && i < ndels; i++) {
        const fx_record *r = before[dels[i]];
        if (fx_buf_printf(&b, ",\n{\"model\": \"fxpatch.row\", \"pk\": %lu, \"fields\": "
                          "{\"op\": \"delete\", \"model\": ", ++n) ||
            fx__json_string(&b, r->label, strlen(r->label)) || fx_buf_adds(&b, ", \"pk\": ") ||
            add_pk(&b, r) || fx_buf_adds(&b, ", \"before\": true, \"after\": false}}") ||
            add_rec(&b, r))
            rc = nomem(err);
    }
    for (size_t i = 0; !rc && i < nrecs; i++) {
        const fx_record *r = recs[i];
        size_t *v = fx__index_get(ix, fx_record_key_hash(r));
        const fx_record *p = v ? before[*v - 1] : NULL;
        if (fx_buf_printf(&b, ",\n{\"model\": \"fxpatch.row\", \"pk\": %lu, \"fields\": "
                          "{\"op\": \"upsert\", \"model\": ", ++n) ||
            fx__json_string(&b, r->label, strlen(r->label)) || fx_buf_adds(&b, ", \"pk\": ") ||
            add_pk(&b, r) || fx_buf_printf(&b, ", \"before\": %s, \"after\": true}}",
                                           p ? "true" : "false") ||
            (p && add_rec(&b, p)) || add_rec(&b, r))
            rc = nomem(err);
    }
    for (size_t i = 0; !rc && i < nmoves; i++) {
        const char *const *mv = &moves[3 * i];
        if (fx_buf_printf(&b, ",\n{\"model\": \"fxpatch.move\", \"pk\": %zu, \"fields\": "
                          "{\"model\": ", i + 1) ||
            fx__json_string(&b, mv[0], strlen(mv[0])) || fx_buf_adds(&b, ", \"old_pk\": ") ||
            fx__json_string(&b, mv[1], strlen(mv[1])) || fx_buf_adds(&b, ", \"new_pk\": ") ||
            fx__json_string(&b, mv[2], strlen(mv[2])) || fx_buf_adds(&b, "}}"))
            rc = nomem(err);
    }
    if (!rc && fx_buf_adds(&b, "\n]\n"))
        rc = nomem(err);
    fx_output *o = NULL;
    if (!rc)
        rc = fx_output_open(&o, path, err);
    if (!rc)
        rc = fx_output_write(o, b.data, b.len, err);
    if (!rc)
        rc = fx_output_commit(o, err);
    fx_output_free(o);
    fx_buf_free(&b);
    fx__index_free(ix);
    return rc;
}

/* ---------------------------------------------------------------- applying */

typedef struct prow {
    int del;                   /* op "delete", else "upsert" */
    int then_after;            /* while its prior record is read: the new one follows */
    fx_record *before, *after; /* copies; before NULL: must not exist */
} prow;

typedef struct patch {
    const char *path;
    long round;
    char side[32];
    int natural_foreign;
    prow *rows;
    size_t nrows;
    char **labels;             /* the models touched */
    size_t nlabels;
} patch;

static void patch_free(patch *p)
{
    for (size_t i = 0; i < p->nrows; i++) {
        fx_record_free(p->rows[i].before);
        fx_record_free(p->rows[i].after);
    }
    free(p->rows);
    for (size_t i = 0; i < p->nlabels; i++)
        free(p->labels[i]);
    free(p->labels);
}

static int is_true(const fx_record *r, const char *name)
{
    const fx_field *f = fx_record_field(r, name);
    return f && f->value.type == FX_TRUE;
}

static int bad_patch(fx_error *err, const fx_record *r, const char *path, const char *what)
{
    return fx_error_set(err, FX_EFORMAT, path, r ? r->line : 0, r ? r->col : 0, 0,
                        "not a patch fxsync wrote: %s", what);
}

static int add_label(patch *p, const char *label)
{
    for (size_t i = 0; i < p->nlabels; i++)
        if (strcmp(p->labels[i], label) == 0)
            return 0;
    char **v = realloc(p->labels, (p->nlabels + 1) * sizeof *v);
    if (!v)
        return FX_ENOMEM;
    p->labels = v;
    return (v[p->nlabels] = strdup(label)) ? (p->nlabels++, 0) : FX_ENOMEM;
}

/* Read the patch at path into p.  0 or a code. */
static int patch_read(patch *p, const char *path, fx_error *err)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    p->round = -1;
    fx_reader *rd = NULL;
    const fx_record *rec;
    int rc = fx_reader_open(&rd, path, NULL, err);
    int want = 0;              /* records still to come for the last row: 2 before, 1 after */
    size_t cap = 0;
    fx_buf s = FX_BUF_INIT;
    while (!rc && (rc = fx_reader_next(rd, &rec, err)) > 0) {
        rc = 0;
        if (p->round < 0) {
            const fx_field *f = NULL;
            if (strcmp(rec->label, "fxpatch.patch") ||
                !(f = fx_record_field(rec, "version")) || f->value.len != 1 || *f->value.text != '1') {
                if (strcmp(rec->label, "fxpatch.patch") == 0 && f)
                    rc = bad_patch(err, rec, path, "version other than 1: a newer fxsync "
                                   "wrote it; use that fxload");
                else
                    rc = bad_patch(err, rec, path, "its first record is not fxpatch.patch");
                break;
            }
            f = fx_record_field(rec, "round");
            p->round = f ? strtol(f->value.text, NULL, 10) : 0;
            f = fx_record_field(rec, "side");
            fx_buf_reset(&s);
            if (f && f->value.type == FX_STRING && !fx_value_str(&s, f->value) &&
                !fx_buf_addc(&s, 0))
                snprintf(p->side, sizeof p->side, "%s", s.data);
            p->natural_foreign = is_true(rec, "natural_foreign");
            continue;
        }
        if (want) {
            prow *w = &p->rows[p->nrows - 1];
            fx_record **slot = want == 2 ? &w->before : &w->after;
            if (fx_record_copy(slot, rec)) {
                rc = nomem(err);
                break;
            }
            if (want == 2 && w->then_after)
                want = 1;
            else
                want = 0;
            continue;
        }
        if (strcmp(rec->label, "fxpatch.move") == 0)
            continue;
        if (strcmp(rec->label, "fxpatch.row")) {
            rc = bad_patch(err, rec, path, "a record outside an fxpatch.row");
            break;
        }
        if (p->nrows == cap) {
            cap = cap ? 2 * cap : 64;
            prow *v = realloc(p->rows, cap * sizeof *v);
            if (!v) {
                rc = nomem(err);
                break;
            }
            p->rows = v;
        }
        prow *w = &p->rows[p->nrows++];
        memset(w, 0, sizeof *w);
        const fx_field *op = fx_record_field(rec, "op");
        w->del = op && fx_value_str_eq(op->value, "delete", 6);
        int b = is_true(rec, "before"), a = is_true(rec, "after");
        if ((w->del && (!b || a)) || (!w->del && !a)) {
            rc = bad_patch(err, rec, path, "a row whose op, before and after disagree");
            break;
        }
        w->then_after = b && a;
        want = b ? 2 : 1;
    }
    fx_reader_free(rd);
    fx_buf_free(&s);
    if (rc < 0)
        return rc;
    if (p->round < 0)
        return bad_patch(err, NULL, path, "no fxpatch.patch record");
    if (want)
        return bad_patch(err, NULL, path, "it ends inside a row: it was cut short");
    for (size_t i = 0; i < p->nrows; i++) {
        const fx_record *r = p->rows[i].after ? p->rows[i].after : p->rows[i].before;
        if (add_label(p, r->label))
            return nomem(err);
    }
    return 0;
}

/* The first difference between the database and the patch's prior rows. */
typedef struct mism {
    unsigned long n;
    fx_buf msg;
} mism;

/* A value on one line (line ends and the indentation after them: one
** space... none after '[' or before ']'), cut at 60 bytes. */
static void put_value(fx_buf *b, fx_value v)
{
    if (!v.text) {
        fx_buf_adds(b, "(absent)");
        return;
    }
    size_t n = 0, out = 0;
    for (; n < v.len && out < 60; n++, out++) {
        if (v.text[n] == '\n' || v.text[n] == '\r') {
            while (n + 1 < v.len && strchr(" \t\r\n", v.text[n + 1]))
                n++;
            if (n + 1 < v.len && v.text[n + 1] != ']' && v.text[n + 1] != '}' &&
                b->len && b->data[b->len - 1] != '[' && b->data[b->len - 1] != '{')
                fx_buf_addc(b, ' ');
        } else
            fx_buf_addc(b, v.text[n]);
    }
    if (n < v.len)
        fx_buf_adds(b, "...");
}

static int on_diff(void *ctx, const fx_change *c)
{
    mism *m = ctx;
    if (m->n++)
        return 0;
    if (c->op == FX_ADDED)
        fx_buf_printf(&m->msg, "%s %s exists, the patch expects no such row", c->label, c->key);
    else if (c->op == FX_REMOVED)
        fx_buf_printf(&m->msg, "%s %s is gone, the patch expects it", c->label, c->key);
    else {
        const fx_field_change *f = &c->fields[0];
        fx_buf_printf(&m->msg, "%s %s field %s is ", c->label, c->key, f->name);
        put_value(&m->msg, f->new_);
        fx_buf_adds(&m->msg, ", the patch expects ");
        put_value(&m->msg, f->old);
    }
    return 0;
}

/* Compare the touched rows of l's database with p's prior rows (in tmp).
** 0 the same, 1 not (err set), < 0. */
static int check(fx_loader *l, const char *target, const patch *p, const fx_load_opts *lo,
                 const char *tmp, fx_error *err)
{
    char dump[4200], want[4200], have[4200];
    snprintf(dump, sizeof dump, "%s/dump.json", tmp);
    snprintf(want, sizeof want, "%s/want.json", tmp);
    snprintf(have, sizeof have, "%s/have.json", tmp);
    fx_dump_opts d;
    memset(&d, 0, sizeof d);
    d.format = FX_FORMAT_JSON;
    d.indent_set = 1;
    d.indent = 2;
    d.natural_foreign = p->natural_foreign;
    d.labels = (const char *const *)p->labels;
    d.nlabels = p->nlabels;
    d.schema = lo->schema;
    if (d.schema) {   /* a migrated SQLite file maps, it does not render: the catalog does */
        FILE *f = fopen(d.schema, "rb");
        char head[16] = {0};
        if (f && fread(head, 1, 16, f) == 16 && memcmp(head, "SQLite format 3", 16) == 0)
            d.schema = NULL;
        if (f)
            fclose(f);
    }
    d.diag = lo->diag;
    d.diag_ctx = lo->diag_ctx;
    fx__index *keys = NULL;
    fx_output *o = NULL;
    fx_writer *w = NULL;
    fx_reader *rd = NULL;
    fx_layout lay = {.format = FX_FORMAT_JSON, .indent = 2};
    int rc = fx__index_new(&keys, 1) ? nomem(err) : fx_output_open(&o, dump, err);
    if (!rc && l->pg) {
        PGconn *c;
        if (!(rc = fx__load_pg_handle(l, &c, err)))
            rc = fx_dump_pg(c, target, o, &d, err);
    } else if (!rc) {
        sqlite3 *db;
        if (!(rc = fx__load_sqlite_handle(l, &db, err)))
            rc = fx_dump_sqlite(db, strncmp(target, "sqlite:", 7) == 0 ? target + 7 : target,
                                o, &d, err);
    }
    if (!rc)
        rc = fx_output_commit(o, err);
    fx_output_free(o);
    o = NULL;
    /* the prior rows the patch expects, and the keys it touches */
    if (!rc)
        rc = fx_output_open(&o, want, err);
    if (!rc && fx_writer_new(&w, o, lay))
        rc = nomem(err);
    for (size_t i = 0; !rc && i < p->nrows; i++) {
        const fx_record *r = p->rows[i].after ? p->rows[i].after : p->rows[i].before;
        int existed;
        if (!fx__index_put(keys, fx_record_key_hash(r), &existed))
            rc = nomem(err);
        else if (p->rows[i].before)
            rc = fx_writer_write(w, p->rows[i].before, err);
    }
    if (!rc)
        rc = fx_writer_finish(w, err);
    if (!rc)
        rc = fx_output_commit(o, err);
    fx_writer_free(w);
    fx_output_free(o);
    w = NULL;
    o = NULL;
    /* the database's rows under those keys */
    const fx_record *rec;
    if (!rc)
        rc = fx_output_open(&o, have, err);
    if (!rc && fx_writer_new(&w, o, lay))
        rc = nomem(err);
    if (!rc)
        rc = fx_reader_open(&rd, dump, NULL, err);
    while (!rc && (rc = fx_reader_next(rd, &rec, err)) > 0)
        rc = fx__index_get(keys, fx_record_key_hash(rec)) ? fx_writer_write(w, rec, err) : 0;
    if (!rc)
        rc = fx_writer_finish(w, err);
    if (!rc)
        rc = fx_output_commit(o, err);
    fx_reader_free(rd);
    fx_writer_free(w);
    fx_output_free(o);
    fx__index_free(keys);
    if (rc)
        return rc;
    mism m = {0, FX_BUF_INIT};
    fx_diff_opts dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.schema = l->schema;
    rc = fx_diff(want, have, &dopts, on_diff, &m, err);
    if (rc > 0) {
        rc = fx_error_set(err, FX_EREJECT, p->path, 0, 0, 0, "the database is not as the "
                          "patch expects (%lu row%s moved on since the export it was made "
                          "from): %s; nothing written: export that database again, give "
                          "the export to fxsync and run the sync again, which writes a new "
                          "patch%s", m.n, m.n == 1 ? "" : "s", m.msg.data ? m.msg.data : "",
                          lo->schema ? "" : " (or, if it did not, pass fxload the --schema "
                          "the fxsync pair has: without it foreign keys are compared as ids, "
                          "not natural keys)");
        rc = 1;
    } else if (rc == FX_ENOMEM)
        rc = nomem(err);
    fx_buf_free(&m.msg);
    return rc;
}

int fx_patch_apply(fx_loader **out, const char *target, const char *path,
                   const fx_load_opts *opts, fx_error *err)
{
    fx_load_opts lo;
    if (opts)
        lo = *opts;
    else
        memset(&lo, 0, sizeof lo);
    lo.replace = 0;
    *out = NULL;
    patch p;
    int rc = patch_read(&p, path, err);
    if (rc) {
        patch_free(&p);
        return rc;
    }
    char tmp[4096];
    const char *td = fx__tmpdir();
    snprintf(tmp, sizeof tmp, "%s/fxpatch-XXXXXX", td);
    if (!fx__mkdtemp(tmp)) {
        patch_free(&p);
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot make a temporary directory "
                            "in '%s': %s; set " FX_TMPDIR_VAR " to a writable place", td,
                            strerror(errno));
    }
    fx_loader *l = NULL;
    rc = fx__loader_open(&l, target, &lo, 1, err);
    if (!rc)
        rc = check(l, target, &p, &lo, tmp, err);
    char who[600];
    snprintf(who, sizeof who, "%s", path);
    for (size_t i = 0; !rc && i < p.nrows; i++) {
        const fx_record *r = p.rows[i].before;
        if (!p.rows[i].del)
            continue;
        if (!(rc = fx__loader_delete(l, target, who, r, err))) {
            const fx_model_schema *m = fx_schema_model(l->schema, r->label);
            size_t mi = (size_t)(m - l->schema->models);
            l->ms[mi].seen = 1;
            l->ms[mi].deleted++;
            if (l->change)
                l->change(l->change_ctx, "delete", m->label, r->pk_key);
        }
    }
    for (size_t i = 0; !rc && i < p.nrows; i++)
        if (!p.rows[i].del)
            rc = fx_loader_add(l, p.rows[i].after, err);
    if (!rc)
        rc = fx_loader_finish(l, err);
    fx__sync_rmdir(tmp);
    patch_free(&p);
    *out = l;
    return rc;
}
