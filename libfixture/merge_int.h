/*
** merge_int.h: what the three parts of fx_merge() share: merge.c (loading,
** renumbering, deciding, writing), merge_guard.c (stopping a merge that is
** almost certainly a mistake before it deletes anything) and merge_del.c
** (what a delete took with it: the records Django deleted with it and the
** references it set to null, kept or carried over as the merge decides).
** Not part of the public API.
*/
#ifndef FX_MERGE_INT_H
#define FX_MERGE_INT_H

#include "ctypes.h"
#include "diff_int.h"

enum { SB = 0, SO = 1, ST = 2 };

typedef struct mitem mitem;         /* merge.c */
typedef struct pconf pconf;
typedef struct pfield pfield;
typedef struct renum renum;
typedef struct uval uval;
typedef struct fx__mdel fx__mdel;   /* merge_del.c */

typedef struct merge {
    const fx_merge_opts *opts;
    fx__ident id;
    fx__kfile kf[3];
    int rs;                    /* side renumbered: SO or ST */
    fx__index *rix;            /* renumbered key -> index in ren */
    renum *ren;
    size_t nren;
    uval *uv[3];               /* new records' unique values, per side */
    size_t nuv[3];
    fx__index *pairs;          /* ours entry -> theirs entry (unique clash) */
    mitem *items;
    size_t nitems, cap;
    fx_writer *w;
    fx_layout wl;              /* the writer's layout: ours's */
    /* Conflict blocks (merge.c, "conflict blocks"): */
    const char *eol;           /* the file's line end */
    int tail_eol;              /* the frame's tail starts with a line end */
    fx_buf rind, cfirst;       /* before a record in a block: its indentation;
                                  with the separator before it */
    int sep;                   /* separators of the item's blocks: SEP_* */
    fx_buf ubuf;               /* the text of the unit being made */
    int defer;                 /* DEFER_*: the last record kept, and the
                                  blocks after it, wait in dbuf */
    fx_buf dbuf, dleadb;       /* and its lead (dlead: known) */
    int dlike, dlead;          /* dlike: dbuf is a record (not a block) */
    fx_buf pa;                 /* strings of the conflicts noted */
    pconf *pc;
    size_t npc, cpc, pc_base;  /* pc_base: the first not yet placed in dbuf */
    pfield *pf;
    size_t npf, cpf;
    fx_buf tmp, key, key2, ktok;
    fx_merge_stats st;
    fx__ctrefs *ct;            /* references by pk to Django-made rows */
    fx_error *err;
    /* Seen while loading, for the guards and the deletes: */
    int64_t *bpk;              /* base entry -> its integer pk, -1 if none */
    size_t nbpk;
    int64_t *maxpk[3];         /* per file: model id -> largest integer pk */
    size_t nmaxpk;             /* models the arrays hold */
    uint64_t newer[3];         /* records a side added with a pk above base's
                                  largest of their model */
    fx__index *nat[3];         /* per file: natural-key hash (fx__natural_hash)
                                  -> entry, for models with a natural key */
    const fx_model_schema **msch;   /* model id -> schema model (cached) */
    unsigned char *mlooked;         /* model id -> msch[] is set */
    size_t nmsch;
    fx__mdel *del;
} merge;

/* merge.c, for the other parts. */
int fx__merge_nomem(merge *m);
const char *fx__merge_side(int s);            /* "base", "ours", "theirs" */
const char *fx__merge_side_up(int s);         /* "BASE", "OURS", "THEIRS" */

/* rec's key as text (pk, or natural key as a JSON list) in b; borrowed. */
const char *fx__merge_key_of(merge *m, const fx_record *rec, fx_buf *b);

/* Read entry i of side s as it is to be written (renumbered, references
** rewritten, a delete's consequences applied): *rec, and *own set when it
** is a copy the caller frees. */
int fx__merge_get(merge *m, int s, uint32_t i, const fx_record **rec, fx_record **own);

/* The identity hash of the record a pk reference v names in model to: 1
** and *out, 0 when v is no pk (a natural key, null), or FX_ENOMEM. */
int fx__merge_ref_key(merge *m, const fx_model_schema *to, fx_value v, uint64_t *out);

/* Report an event (NULL-safe on the callback). */
void fx__merge_event(merge *m, const fx_merge_event *ev);

/* The schema model of a model id, or NULL (cached). */
const fx_model_schema *fx__merge_model(merge *m, uint32_t model);

/* merge_guard.c: after loading, before anything is decided.  0, or
** FX_EUSAGE with a message naming the side, the models and the likely
** cause; warnings go through the diag callback. */
int fx__merge_guard(merge *m);

/* merge_del.c.  fx__mdel_plan() (after renumbering, before deciding) finds
** the records each side deleted that the other still has, groups them with
** the records deleted with them and the references set to null because of
** them, and decides each group: deleted, kept, or a conflict.  0 or a
** negative code. */
int fx__mdel_plan(merge *m);

/* Fates of a base record one side deleted and the other has. */
enum { FX__FATE_NONE = 0, FX__FATE_DELETE, FX__FATE_KEEP, FX__FATE_CONFLICT };

/* The fate of base entry b (FX__FATE_NONE when no plan covers it). */
int fx__mdel_fate(const merge *m, uint32_t b);

/* For decide(): report what the plan did to base entry b, deleted by one
** side, and now decided (restored, or deleted though changed). */
int fx__mdel_decided(merge *m, uint32_t b);

/* Is side s's entry i deleted with a record the merge deletes (a record
** that side added, which refers to it with on_delete CASCADE)? */
int fx__mdel_killed(const merge *m, int s, uint32_t i);

/* Report the records fx__mdel_killed() holds, once each (from decide()). */
int fx__mdel_report_killed(merge *m, int s, uint32_t i);

/* Must the record of base entry b be merged field by field (a field a
** delete set to null is a conflict)?  And is field name one of those? */
int fx__mdel_forced_any(const merge *m, uint32_t b);
int fx__mdel_forced(const merge *m, uint32_t b, const char *name);

/* The conflict kind and hint for base entry b's delete/modify block, when
** the plan has more to say than the plain one; NULL otherwise. */
const char *fx__mdel_block_hint(merge *m, uint32_t b, const char **what);

/* Apply the decided consequences to side s's entry i, read as *rec: *own
** is a changed copy (freeing what it held) when any applies.  With
** report set, each one is reported as an event. */
int fx__mdel_apply(merge *m, int s, uint32_t i, const fx_record **rec, fx_record **own,
                   int report);

/* Does side s's entry i read differently once applied (fixes)? */
int fx__mdel_fixed(const merge *m, int s, uint32_t i);

void fx__mdel_free(fx__mdel *d);

#endif
