/*
** sync_int.h: what the sync engine (sync.c) and its state directory
** (sync_state.c) share.  Not part of the public API.
**
** The state directory:
**   config.json        the pair and the models synced (sync_cfg)
**   base.json.gz       the merge base: what both sides last agreed on
**   lock               the pid of the fxsync running on it
**   tmp/               each round's dumps and merge
**   conflicts/         a round that met conflicts: merged.json (with the
**                      markers), report.json, local.json and online.json
**                      (the dumps it merged)
**   journal/NNNNNN/    one a round that wrote: summary.json (when, op,
**                      counts, pk mapping, result: pending, synced,
**                      interrupted, undone), SIDE-before.json (the prior
**                      values of every row changed or deleted),
**                      SIDE-applied.json (the rows written),
**                      SIDE-sequences.json (the side's id counters
**                      before and after: SQLite's sqlite_sequence,
**                      written with the entry; PostgreSQL's sequences,
**                      after its commit),
**                      base-before.json.gz (the base before it, a hard
**                      link: what undo puts back)
**   pending-base.json.gz, pending.json
**                      a round between its first commit and its end (see
**                      sync_pending.c); with a side given as a file,
**                      pending.json's "patch" names that side's patch and
**                      the round stays pending until its next export shows
**                      the patch applied
**   patches/NNNNNN.json
**                      the patch of a side given as a file (patch.c), one a
**                      round that wrote it, numbered as its journal entry
*/
#ifndef FX_SYNC_INT_H
#define FX_SYNC_INT_H

#include "internal.h"

#include <json-c/json.h>

typedef struct sync_cfg {
    char *local, *online;
    char *schema;          /* or NULL */
    int local_file, online_file;   /* the side is an export, not a database */
    char **exclude;
    size_t nexclude;
} sync_cfg;

/* dir/name into a new string (the caller's: free()), or NULL. */
char *fx__sync_path(const char *dir, const char *name);

/* Read dir's config.json into c (fx__sync_cfg_free() it), or write it. */
int fx__sync_cfg_read(sync_cfg *c, const char *dir, fx_error *err);
int fx__sync_cfg_write(const sync_cfg *c, const char *dir, fx_error *err);
void fx__sync_cfg_free(sync_cfg *c);

/* Take dir's lock (FX_EIO naming the pid that holds it; a lock whose
** process is gone is taken over), and let it go. */
int fx__sync_lock(const char *dir, fx_error *err);
void fx__sync_unlock(const char *dir);

/* mkdir -p dir (mode 0700 for what it makes).  0 or FX_EIO. */
int fx__sync_mkdir(const char *dir, fx_error *err);

/* Remove dir and the files in it (one level, then dir).  Quiet. */
void fx__sync_rmdir(const char *dir);

/* Copy src to dst atomically; gzip set: compressed.  0 or a code. */
int fx__sync_copy(const char *src, const char *dst, int gzip, fx_error *err);

/* Write j (indented) to path atomically.  0 or a code. */
int fx__sync_json_write(json_object *j, const char *path, fx_error *err);

/* A new journal entry's directory (journal/NNNNNN, made) into a new
** string, and dropping the entries past the newest keep (never the one
** pending.json names: it repairs a round still pending). */
int fx__sync_journal_new(char **out, const char *dir, fx_error *err);
void fx__sync_journal_prune(const char *dir, int keep);

/* The numbers of dir's journal entries, oldest first, into *out (the
** caller's: free()); returns how many. */
size_t fx__sync_journal_ids(const char *dir, long **out);

/* ---- a round that stopped midway (sync_pending.c) ---- */

/* fsync a directory (after a rename in it).  Quiet. */
void fx__sync_fsync_dir(const char *dir);

/* Write pending.json: the round of journal entry journal (a path) is about
** to commit sides.  0 or a code. */
int fx__sync_pending_write(const char *dir, const char *journal, const char *const *sides,
                           size_t nsides, fx_error *err);

/* Add to pending.json: side's writes are the patch at path (a side given
** as a file; fx__sync_repair tells from its next export whether it was
** applied).  0 or a code. */
int fx__sync_pending_patch(const char *dir, const char *side, const char *patch,
                           fx_error *err);

/* When pending.json says the last round stopped midway: which side
** committed (from the sides' dumps), and the base both hold now into out,
** or, out NULL, over base.json.gz, ending the pending round (its journal
** entry marked "synced" when every side committed, else "interrupted").
** said gets a line for the person (apply: the fxload command that applies
** a pending patch, without the patch's name).  0 none pending, 1
** repaired, < 0 a code. */
int fx__sync_repair(const char *dir, const char *local_dump, const char *online_dump,
                    const fx_schema *s, const char *apply, const char *out, char *said,
                    size_t nsaid, fx_error *err);

/* Set journal entry jdir's summary "result".  0 or a code. */
int fx__sync_journal_result(const char *jdir, const char *result, fx_error *err);

/* What undoing journal entry jdir merges on side (whose dump is at dump):
** into left, the base (base: what both sides held after the round, or
** since) with the rows the round wrote to the side as it left them (the
** rows it deleted absent); into prior, the base with those rows as they
** were before it (the rows it inserted absent).  Merged as base and
** theirs with the dump as ours (fx_merge), the rows nobody changed since
** go back and the side's changes since the base stay, seen as its changes
** (a row it added since that refers to one the undo deletes is a
** conflict).  *undone counts the rows the round wrote still as it left
** them in the dump, *kept those changed since.  0 or a code. */
int fx__sync_undo_files(const char *jdir, const char *side, const char *dump,
                        const char *base, const fx_schema *s, const char *left,
                        const char *prior, size_t *undone, size_t *kept, fx_error *err);

/* The records of src (any compression) into out as an indented fixture,
** gzip-compressed when out ends in ".gz". */
int fx__sync_plain_copy(const char *src, const char *out, fx_error *err);

/* Write the patch of a side given as a file to path (patch.c): the rows
** deleted (before[dels[i]]) and upserted (recs; a prior value in before
** under the same key), moves as (label, old pk, new pk) triples.  0 or a
** code. */
int fx__patch_write(const char *path, const char *side, long round, int natural_foreign,
                    fx_record *const *before, size_t nbefore, const size_t *dels,
                    size_t ndels, fx_record *const *recs, size_t nrecs,
                    const char *const *moves, size_t nmoves, fx_error *err);

/* The pending round is over: remove pending-base.json.gz, pending.json. */
void fx__sync_pending_done(const char *dir);

#endif
