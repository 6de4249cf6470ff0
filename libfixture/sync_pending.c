/*
** sync_pending.c: what makes a round that stopped anywhere repairable.
**
** Before a round commits anything it writes, in this order, each file
** fsync'd and renamed into place: its journal entry (journal/N: the rows
** it will write to each side and their prior values), the base it will
** move to (pending-base.json.gz), then pending.json ({"journal": N,
** "sides": [...]}).  It then commits the side whose new records were
** renumbered first, the other second, renames pending-base.json.gz over
** base.json.gz and removes pending.json.
**
** A round that finds pending.json the last one stopped somewhere between
** its first commit and its end.  Each side it wrote either committed or
** not (one transaction each); the rows of the journal entry tell which: a
** side committed when one of the rows it was to write holds the written
** value (or, deleted, is gone).  The base both sides now agree on is then:
** nothing committed, the old base; every side, the pending base; one side,
** the pending base where the rows the other was to get are as that other
** side held them when the round read it (its "before" rows; the rows it
** was to insert absent): the next merge sees each side's changes since as
** its own, and converges.
** The renumbered side commits first so that a side holding the other's
** record under a colliding id never meets its own record under that id
** again (which would renumber it a second time: a duplicate).
*/
#include "sync_int.h"
#include "index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int nomem(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

void fx__sync_fsync_dir(const char *dir)
{
    fx__fsync_dir(dir);
}

int fx__sync_pending_write(const char *dir, const char *journal, const char *const *sides,
                           size_t nsides, fx_error *err)
{
    json_object *j = json_object_new_object(), *a = json_object_new_array();
    const char *slash = strrchr(journal, '/');
    json_object_object_add(j, "journal", json_object_new_string(slash ? slash + 1 : journal));
    for (size_t i = 0; i < nsides; i++)
        json_object_array_add(a, json_object_new_string(sides[i]));
    json_object_object_add(j, "sides", a);
    char *p = fx__sync_path(dir, "pending.json");
    int rc = p ? fx__sync_json_write(j, p, err) : nomem(err);
    if (!rc)
        fx__sync_fsync_dir(dir);
    free(p);
    json_object_put(j);
    return rc;
}

int fx__sync_pending_patch(const char *dir, const char *side, const char *patch,
                           fx_error *err)
{
    char *p = fx__sync_path(dir, "pending.json");
    json_object *j = p ? json_object_from_file(p) : NULL, *pa = json_object_new_object();
    json_object_object_add(pa, "side", json_object_new_string(side));
    json_object_object_add(pa, "path", json_object_new_string(patch));
    int rc = 0;
    if (j) {
        json_object_object_add(j, "patch", pa);
        pa = NULL;
        rc = fx__sync_json_write(j, p, err);
    } else
        rc = fx_error_set(err, FX_EIO, p, 0, 0, 0, "cannot read back '%s'", p ? p : "");
    if (!rc)
        fx__sync_fsync_dir(dir);
    json_object_put(pa);
    json_object_put(j);
    free(p);
    return rc;
}

typedef struct keyset {
    fx__index *ix;          /* key -> flags */
    uint64_t *k;            /* the keys, in order of arrival */
    size_t n, cap;
} keyset;

/* Every record key of the fixture at path into ks (flag or'ed).  A file
** that is not there holds no record. */
static int keys_of(keyset *ks, const char *path, uint8_t flag, fx_error *err)
{
    if (access(path, F_OK))
        return 0;
    fx_reader *rd = NULL;
    const fx_record *rec;
    int rc = fx_reader_open(&rd, path, NULL, err);
    while (!rc && (rc = fx_reader_next(rd, &rec, err)) > 0) {
        int existed;
        rc = 0;
        uint64_t key = fx_record_key_hash(rec);
        uint8_t *v = fx__index_put(ks->ix, key, &existed);
        if (!v)
            return nomem(err);
        *v |= flag;
        if (existed)
            continue;
        if (ks->n == ks->cap) {
            size_t c = ks->cap ? 2 * ks->cap : 256;
            uint64_t *p = realloc(ks->k, c * sizeof *p);
            if (!p) {
                rc = nomem(err);
                break;
            }
            ks->k = p;
            ks->cap = c;
        }
        ks->k[ks->n++] = key;
    }
    fx_reader_free(rd);
    return rc < 0 ? rc : 0;
}

enum { K_APPLIED = 1, K_BEFORE = 2, K_DIFFERS = 4, K_PRESENT = 8 };

/* fx_diff(dump, applied)'s callback: which rows of the plan differ from
** what was written, which rows the dump still holds. */
static int mark(void *ctx, const fx_change *c)
{
    keyset *ks = ctx;
    const fx_record *r = c->op == FX_REMOVED ? c->old_rec : c->new_rec;
    uint8_t *v = fx__index_get(ks->ix, fx_record_key_hash(r));
    if (v)
        *v |= c->op == FX_REMOVED ? K_PRESENT : K_DIFFERS;
    return 0;
}

/* The rows journal entry jdir wrote to side (whose dump is at dump) into
** ks (new; the caller frees ks->ix and ks->k), each flagged: K_APPLIED
** written, K_BEFORE had a prior value, K_DIFFERS the dump's row is not
** what was written, K_PRESENT the dump still holds a row written away. */
static int round_rows(keyset *ks, const char *jdir, const char *side, const char *dump,
                      const fx_schema *s, fx_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "%s-applied.json", side);
    char *applied = fx__sync_path(jdir, name);
    snprintf(name, sizeof name, "%s-before.json", side);
    char *before = fx__sync_path(jdir, name);
    memset(ks, 0, sizeof *ks);
    int rc = !applied || !before || fx__index_new(&ks->ix, 1) ? nomem(err) : 0;
    if (!rc)
        rc = keys_of(ks, applied, K_APPLIED, err);
    if (!rc)
        rc = keys_of(ks, before, K_BEFORE, err);
    if (!rc && !access(applied, F_OK)) {
        fx_diff_opts d;
        memset(&d, 0, sizeof d);
        d.schema = s;
        rc = fx_diff(dump, applied, &d, mark, ks, err);
        rc = rc < 0 ? rc : 0;
    }
    free(applied);
    free(before);
    return rc;
}

/* Is the row of key flags f still as the round left it? */
#define AS_LEFT(f) ((f) & K_APPLIED ? !((f) & K_DIFFERS) : !((f) & K_PRESENT))

/* Did the side whose dump is at dump commit the rows of journal entry
** jdir?  *committed 1 or 0; when 0, the keys of its rows go into plan. */
static int side_committed(const char *jdir, const char *side, const char *dump,
                          const fx_schema *s, fx__index *plan, int *committed, fx_error *err)
{
    keyset ks;
    int rc = round_rows(&ks, jdir, side, dump, s, err);
    size_t held = 0, lost = 0;
    for (size_t i = 0; !rc && i < ks.n; i++) {
        uint8_t f = *(uint8_t *)fx__index_get(ks.ix, ks.k[i]);
        if (AS_LEFT(f))
            held++;
        else
            lost++;
    }
    /* one row holding what was written is the commit's mark: only that
    ** transaction wrote it (the application would have to make the very
    ** same change); no row to write: nothing to commit */
    *committed = held > 0 || lost == 0;
    for (size_t i = 0; !rc && !*committed && i < ks.n; i++) {
        int existed;
        if (!fx__index_put(plan, ks.k[i], &existed))
            rc = nomem(err);
    }
    fx__index_free(ks.ix);
    free(ks.k);
    return rc;
}

/* Append the records of path to w: those whose key is in plan (want 1) or
** not (want 0); plan NULL: every record. */
static int copy_records(fx_writer *w, const char *path, const fx__index *plan, int want,
                        fx_error *err)
{
    fx_reader *rd = NULL;
    const fx_record *rec;
    int rc = fx_reader_open(&rd, path, NULL, err);
    while (!rc && (rc = fx_reader_next(rd, &rec, err)) > 0)
        rc = (plan && fx__index_get(plan, fx_record_key_hash(rec))) == want
             ? fx_writer_write(w, rec, err) : 0;
    fx_reader_free(rd);
    return rc < 0 ? rc : 0;
}

/* The records of src but those whose key is in skip (NULL: none
** skipped), then those of rows (when given and there), into out as an
** indented fixture (gzip when out ends in ".gz"). */
static int dump_with(const char *out, const char *src, const fx__index *skip,
                     const char *rows, fx_error *err)
{
    fx_output *o = NULL;
    fx_writer *w = NULL;
    fx_layout lay = {.format = FX_FORMAT_JSON, .indent = 2};
    size_t n = strlen(out);
    int rc = fx_output_open(&o, out, err);
    if (!rc && n > 3 && strcmp(out + n - 3, ".gz") == 0)
        rc = fx_output_compress(o, "gzip", err);
    if (!rc && fx_writer_new(&w, o, lay))
        rc = nomem(err);
    if (!rc)
        rc = copy_records(w, src, skip, 0, err);
    if (!rc && rows && !access(rows, F_OK))
        rc = copy_records(w, rows, NULL, 0, err);
    if (!rc)
        rc = fx_writer_finish(w, err);
    if (!rc)
        rc = fx_output_commit(o, err);
    fx_writer_free(w);
    fx_output_free(o);
    return rc;
}

int fx__sync_undo_files(const char *jdir, const char *side, const char *dump,
                        const char *base, const fx_schema *s, const char *left,
                        const char *prior, size_t *undone, size_t *kept, fx_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "%s-applied.json", side);
    char *applied = fx__sync_path(jdir, name);
    snprintf(name, sizeof name, "%s-before.json", side);
    char *before = fx__sync_path(jdir, name);
    keyset ks;
    *undone = *kept = 0;
    int rc = round_rows(&ks, jdir, side, dump, s, err);
    if (!rc && (!applied || !before))
        rc = nomem(err);
    for (size_t i = 0; !rc && i < ks.n; i++) {
        if (AS_LEFT(*(uint8_t *)fx__index_get(ks.ix, ks.k[i])))
            (*undone)++;
        else
            (*kept)++;
    }
    if (!rc)
        rc = dump_with(left, base, ks.ix, applied, err);
    if (!rc)
        rc = dump_with(prior, base, ks.ix, before, err);
    fx__index_free(ks.ix);
    free(ks.k);
    free(applied);
    free(before);
    return rc;
}

int fx__sync_plain_copy(const char *src, const char *out, fx_error *err)
{
    return dump_with(out, src, NULL, NULL, err);
}

static int read_pending(const char *dir, char **jdir, char ***sides, size_t *nsides,
                        char **patch, char **pside, fx_error *err)
{
    char *p = fx__sync_path(dir, "pending.json");
    json_object *j = p ? json_object_from_file(p) : NULL, *v;
    int rc = 0;
    *jdir = NULL;
    *sides = NULL;
    *nsides = 0;
    if (patch)
        *patch = *pside = NULL;
    if (!j || !json_object_object_get_ex(j, "journal", &v)) {
        rc = fx_error_set(err, FX_EIO, p, 0, 0, 0, "'%s' is unreadable: the last sync "
                          "stopped and its record of what it wrote is lost; compare the "
                          "two databases (fxsync status) before removing it", p);
        goto out;
    }
    char name[64];
    snprintf(name, sizeof name, "journal/%s", json_object_get_string(v));
    *jdir = fx__sync_path(dir, name);
    json_object *pa, *x;
    if (patch && json_object_object_get_ex(j, "patch", &pa)) {
        if (json_object_object_get_ex(pa, "path", &x))
            *patch = strdup(json_object_get_string(x));
        if (json_object_object_get_ex(pa, "side", &x))
            *pside = strdup(json_object_get_string(x));
    }
    if (json_object_object_get_ex(j, "sides", &v)) {
        size_t n = json_object_array_length(v);
        *sides = calloc(n + 1, sizeof **sides);
        for (size_t i = 0; *sides && i < n; i++)
            (*sides)[(*nsides)++] = strdup(json_object_get_string(
                json_object_array_get_idx(v, i)));
    }
out:
    json_object_put(j);
    free(p);
    return rc;
}

/* The newest journal entry says "pending" but no round is pending: that
** round stopped before its first commit (or its first commit failed). */
static void stale_entry(const char *dir, fx_error *err)
{
    long *ids = NULL;
    size_t n = fx__sync_journal_ids(dir, &ids);
    if (n) {
        char name[64];
        snprintf(name, sizeof name, "journal/%06ld/summary.json", ids[n - 1]);
        char *p = fx__sync_path(dir, name);
        json_object *j = p ? json_object_from_file(p) : NULL, *v;
        if (j && json_object_object_get_ex(j, "result", &v) &&
            strcmp(json_object_get_string(v), "pending") == 0) {
            p[strlen(p) - strlen("/summary.json")] = 0;
            fx__sync_journal_result(p, "failed: nothing written", err);
        }
        json_object_put(j);
        free(p);
    }
    free(ids);
}

int fx__sync_repair(const char *dir, const char *local_dump, const char *online_dump,
                    const fx_schema *s, const char *apply, const char *out, char *said,
                    size_t nsaid, fx_error *err)
{
    int persist = out == NULL;
    *said = 0;
    char *pj = fx__sync_path(dir, "pending.json");
    char *nb = fx__sync_path(dir, "pending-base.json.gz");
    char *base = fx__sync_path(dir, "base.json.gz");
    if (persist)
        out = base;
    char *jdir = NULL, **sides = NULL, *patch = NULL, *pside = NULL;
    size_t nsides = 0;
    int applied = 0;
    fx__index *plan = NULL;
    fx_output *o = NULL;
    fx_writer *w = NULL;
    int rc = !pj || !nb || !base ? nomem(err) : 0;
    if (!rc && persist && access(pj, F_OK))
        stale_entry(dir, err);
    if (rc || access(pj, F_OK))
        goto out;
    if (access(nb, F_OK)) {   /* stopped after the base moved: only the mark is left */
        if (persist && !read_pending(dir, &jdir, &sides, &nsides, NULL, NULL, err)) {
            fx__sync_journal_result(jdir, "synced", err);
            fx__sync_pending_done(dir);
        }
        rc = 0;
        goto out;
    }
    if ((rc = read_pending(dir, &jdir, &sides, &nsides, &patch, &pside, err)))
        goto out;
    if ((rc = fx__index_new(&plan, 1) ? nomem(err) : 0))
        goto out;
    fx_buf b = FX_BUF_INIT;
    int committed[2] = {0, 0};
    size_t ncommitted = 0;
    for (size_t i = 0; !rc && i < nsides && i < 2; i++) {
        const char *dump = strcmp(sides[i], "local") == 0 ? local_dump : online_dump;
        rc = side_committed(jdir, sides[i], dump, s, plan, &committed[i], err);
        ncommitted += committed[i] != 0;
        fx_buf_printf(&b, "%s%s %s", i ? ", " : "", sides[i],
                      committed[i] ? "committed" : "did not commit");
    }
    for (size_t i = 0; patch && pside && i < nsides && i < 2; i++)
        if (strcmp(sides[i], pside) == 0)
            applied = committed[i];
    if (!patch || !pside)
        snprintf(said, nsaid, "the last sync stopped midway (%s): the base is what both "
                 "sides hold now, and this round merges again", b.data ? b.data : "");
    else if (applied)
        snprintf(said, nsaid, "%s: its export shows patch '%s' applied: the base moves on "
                 "to what both sides hold", pside, patch);
    else
        snprintf(said, nsaid, "%s: patch '%s' is pending: its export does not show it "
                 "applied; apply it with '%s %s' and export that database again (a sync "
                 "now writes a new patch in its place)", pside, patch, apply, patch);
    fx_buf_free(&b);
    /* nothing committed: the old base; else the pending one, where the
    ** rows of a side that did not commit are as that side held them */
    fx_layout lay = {.format = FX_FORMAT_JSON, .indent = 2};
    if (!rc)
        rc = fx_output_open(&o, out, err);
    if (!rc && strlen(out) > 3 && strcmp(out + strlen(out) - 3, ".gz") == 0)
        rc = fx_output_compress(o, "gzip", err);
    if (!rc && fx_writer_new(&w, o, lay))
        rc = nomem(err);
    if (!rc && !ncommitted)
        rc = copy_records(w, base, NULL, 0, err);
    else if (!rc)
        rc = copy_records(w, nb, plan, 0, err);
    for (size_t i = 0; !rc && ncommitted && i < nsides && i < 2; i++) {
        if (committed[i])
            continue;
        char name[64];
        snprintf(name, sizeof name, "%s-before.json", sides[i]);
        char *bf = fx__sync_path(jdir, name);
        rc = !bf ? nomem(err) : access(bf, F_OK) ? 0 : copy_records(w, bf, NULL, 0, err);
        free(bf);
    }
    if (!rc)
        rc = fx_writer_finish(w, err);
    if (!rc)
        rc = fx_output_commit(o, err);
    if (!rc && persist) {
        fx__sync_fsync_dir(dir);
        fx__sync_journal_result(jdir, ncommitted == nsides ? "synced" : patch && !applied
                                ? "patch not applied: superseded" : "interrupted", err);
        fx__sync_pending_done(dir);
    }
out:
    fx_writer_free(w);
    fx_output_free(o);
    fx__index_free(plan);
    for (size_t i = 0; i < nsides; i++)
        free(sides[i]);
    free(sides);
    free(jdir);
    free(patch);
    free(pside);
    free(pj);
    free(nb);
    free(base);
    return rc < 0 ? rc : *said ? 1 : 0;
}

int fx__sync_journal_result(const char *jdir, const char *result, fx_error *err)
{
    char *p = fx__sync_path(jdir, "summary.json");
    json_object *j = p ? json_object_from_file(p) : NULL;
    int rc = 0;
    if (j) {
        json_object_object_add(j, "result", json_object_new_string(result));
        rc = fx__sync_json_write(j, p, err);
    }
    json_object_put(j);
    free(p);
    return rc;
}

void fx__sync_pending_done(const char *dir)
{
    char *nb = fx__sync_path(dir, "pending-base.json.gz");
    char *pj = fx__sync_path(dir, "pending.json");
    if (nb)
        unlink(nb);
    fx__sync_fsync_dir(dir);
    if (pj)
        unlink(pj);
    fx__sync_fsync_dir(dir);
    free(nb);
    free(pj);
}
