/*
** diff_int.h: what fx_diff() (diff.c) and fx_merge() (merge.c) share: the
** identity of records and a per-file index of keys, hashes and places, so
** that a file is read once in full and afterwards only the records whose
** content is needed are read again, by seeking.
*/
#ifndef FX_DIFF_INT_H
#define FX_DIFF_INT_H

#include "index.h"

#define FX__NONE UINT32_MAX

/* What is remembered of a record: about 40 bytes. */
typedef struct fx__kentry {
    uint64_t key;            /* identity hash (fx__ident_key) */
    uint64_t hash;           /* fx_record_hash(), or an effective hash */
    uint64_t offset;
    uint32_t line, col;
    uint32_t model;          /* id in the fx__ident's model table */
    uint32_t flags;
} fx__kentry;

enum {
    FX__DEAD = 1,            /* superseded by a later duplicate, or excluded */
    FX__REFS_NEW = 2,        /* refers to a record base does not have */
    FX__BYPK = 4,            /* identity is (model, pk) */
    FX__INTPK = 8,           /* the pk is a plain integer */
    FX__SKIP = 16            /* merge: written with another record */
};

/* The upper bits of flags hold the length of the record's lead plus one
** (0: not known), so that a record read again by seeking gets its lead
** back (fx_reader_seek_lead): a gap is kept up to a megabyte. */
#define FX__LEAD_SHIFT 8
#define FX__LEAD_MAX ((1u << (32 - FX__LEAD_SHIFT)) - 2)

/* Shared by the files compared: what identity means, and the models seen. */
typedef struct fx__ident {
    const fx_schema *schema;
    const fx_keyspec *keys;
    const fx_models *models;
    char **labels;           /* model id -> label */
    int64_t *maxpk;          /* model id -> largest integer pk seen */
    size_t nlabels;
    fx__index *label_ix;     /* hash of label -> model id (uint32) */
    uint32_t last;           /* model id of the last label looked up */
} fx__ident;

typedef struct fx__kfile {
    const char *path;
    fx_reader *r;
    fx_layout layout;
    fx__kentry *e;
    size_t n, cap;
    fx__index *ix;           /* key -> entry number (uint32) */
    uint32_t *morder;        /* model ids in order of first appearance */
    size_t nmorder;
} fx__kfile;

/* Called by fx__kfile_load() for each record, once its entry is made. */
typedef int (*fx__load_fn)(void *ctx, fx__kfile *kf, uint32_t i, const fx_record *rec);

void fx__ident_free(fx__ident *id);

/* The identity of rec: *key, and its text (pk, or the key values as a JSON
** list) appended to text when not NULL.  Sets *bypk. */
int fx__ident_key(fx__ident *id, const fx_record *rec, uint64_t *key, int *bypk,
                  fx_buf *text);

/* The integer value of a pk's text (fx_record.pk_key), or -1 when it is
** not a plain integer (or NULL). */
int64_t fx__pk_int(const char *s);

/* Model id of a label, added when new.  FX__NONE when out of memory. */
uint32_t fx__ident_model(fx__ident *id, const char *label);

/* Read path to the end into kf.  Syntax and structure errors are
** reported through diag and skipped; other errors are returned. */
int fx__kfile_load(fx__kfile *kf, fx__ident *id, const char *path, fx_diag_fn diag,
                   void *diag_ctx, fx__load_fn fn, void *ctx, fx_error *err);

/* The live entry of key, or FX__NONE. */
uint32_t fx__kfile_find(const fx__kfile *kf, uint64_t key);

/* Read entry i again (borrowed: valid until the next fetch on kf). */
int fx__kfile_fetch(fx__kfile *kf, uint32_t i, const fx_record **out, fx_error *err);

void fx__kfile_free(fx__kfile *kf);

/* Is field f of model label compared at all (not ignored)? */
typedef int (*fx__skip_fn)(void *ctx, const char *label, const char *field);

/* Is the value of field name of rec's model a many-to-many set?  Per the
** schema; for models it does not know, when every value given is a list of
** plain values or lists (natural keys). */
int fx__is_m2m(const fx_schema *s, const char *label, const char *name,
               const fx_value *vals, size_t n);

/* Same members, as sets. */
int fx__set_equal(fx_value a, fx_value b);

/* Is value v among the members of list l? */
int fx__set_has(fx_value l, fx_value v);

/* The fields of a and b that differ (with a schema, values compare by
** their field's kind: fx_value_same()), in a's field order then b's new
** ones, into *out (malloc'd, with each m2m member list; free with
** fx__changes_free).  Returns their count or FX_ENOMEM. */
int fx__compare(const fx_schema *s, const fx_record *a, const fx_record *b,
                fx__skip_fn skip, void *skip_ctx, fx_field_change **out);
void fx__changes_free(fx_field_change *c, size_t n);

#endif
