/*
** fixture.h: the public interface of libfixture, the library behind the fx
** tools (fxvalidate, fxdiff, fxmerge, fxfilter, fxload).
**
** libfixture reads, checks, hashes and writes Django fixture exports as
** written by `manage.py dumpdata`: the `json` format (one top-level array,
** compact or any --indent) and the `jsonl` format (one object a line).
**
** Conventions (after libgit2 and SQLite):
**   - Functions return 0 (or a positive count) on success and a negative
**     FX_E* code on failure; on failure the fx_error passed in (when not
**     NULL) says where and why, in a message that ends with what to do.
**   - Out-parameters come first and are named `out`.
**   - An object returned through `**out` belongs to the caller, who frees it
**     with the type's own fx_*_free() (each one accepts NULL).  An object
**     returned as a plain pointer is borrowed: it stays valid as long as the
**     object it came from, or as the comment says.
**   - The library never prints and never exits.  Diagnostics that do not stop
**     the work (warnings, recoverable errors) go to an fx_diag_fn callback.
**
** Positions: lines and columns are 1-based, columns count characters (UTF-8
** code points), offsets count bytes of the decoded UTF-8 text from 0 (for a
** plain UTF-8 file: bytes of the file, BOM included).
*/
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FX_VERSION "0.1.0"

/* ---------------------------------------------------------------- errors */

/* Return codes.  FX_ESYNTAX and FX_ESTRUCT from fx_reader_next() are
** recoverable: the record is skipped and the next call goes on after it. */
enum {
    FX_OK = 0,
    FX_ERROR = -1,   /* anything else */
    FX_EIO = -2,     /* cannot read or write a file */
    FX_ENOMEM = -3,  /* out of memory */
    FX_ESYNTAX = -4, /* not well-formed JSON at the place given */
    FX_ESTRUCT = -5, /* well-formed JSON but not a Django record */
    FX_EFORMAT = -6, /* not a fixture at all: unknown compression, encoding */
    FX_EUSAGE = -7,  /* a bad argument: option value, expression */
    FX_ESCHEMA = -8  /* bad schema file or database */
};

typedef struct fx_error {
    int code;                 /* one of the FX_E* codes */
    char file[1024];          /* file name as given ("-" is stdin); "" if none */
    unsigned long line, col;  /* 1-based; 0 when unknown */
    uint64_t offset;          /* byte offset, valid when line != 0 */
    char msg[1024];           /* one line, no trailing newline */
} fx_error;

/* Fill err (when not NULL) and return code.  `file` may be NULL. */
int fx_error_set(fx_error *err, int code, const char *file, unsigned long line,
                 unsigned long col, uint64_t offset, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 7, 8)))
#endif
    ;

/* Diagnostics that do not stop the work. */
typedef enum { FX_WARNING = 1, FX_ERR = 2 } fx_severity;

typedef struct fx_diag {
    fx_severity severity;
    const char *file;         /* borrowed, valid during the callback */
    unsigned long line, col;  /* 0 when unknown */
    uint64_t offset;
    const char *check;        /* short name of the check, e.g. "duplicate" */
    const char *msg;          /* borrowed, valid during the callback */
} fx_diag;

typedef void (*fx_diag_fn)(void *ctx, const fx_diag *d);

/* ---------------------------------------------------------------- buffers */

/* A growable byte buffer (after git's strbuf).  data is always
** NUL-terminated once anything was added; len excludes the NUL.
** Zero-initialise it (FX_BUF_INIT); release with fx_buf_free(). */
typedef struct fx_buf {
    char *data;
    size_t len, cap;
} fx_buf;
#define FX_BUF_INIT {NULL, 0, 0}

int fx_buf_grow(fx_buf *b, size_t extra);          /* room for extra more bytes */
int fx_buf_add(fx_buf *b, const void *p, size_t n);
int fx_buf_adds(fx_buf *b, const char *s);
int fx_buf_addc(fx_buf *b, char c);
int fx_buf_printf(fx_buf *b, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void fx_buf_reset(fx_buf *b);                       /* len = 0, keeps memory */
void fx_buf_free(fx_buf *b);                        /* frees, back to FX_BUF_INIT */

/* ---------------------------------------------------------------- values */

typedef enum {
    FX_NULL = 0, FX_FALSE, FX_TRUE, FX_NUMBER, FX_STRING, FX_ARRAY, FX_OBJECT
} fx_type;

/* A JSON value as its original bytes: `text` points at the first byte of
** the value as written (a string's opening quote, a number's first digit,
** '[' or '{'), `len` covers it to its last byte.  Values are borrowed from
** the record they belong to.  A number is any JSON number, or NaN, Infinity
** and -Infinity as Python writes them. */
typedef struct fx_value {
    fx_type type;
    const char *text;
    size_t len;
} fx_value;

/* Decode a FX_STRING value into UTF-8 (escapes resolved) and append it to
** out.  Lone surrogates from \uD800-style escapes are written as their
** 3-byte form (WTF-8).  Returns 0, or FX_ENOMEM. */
int fx_value_str(fx_buf *out, fx_value v);

/* 1 if v is a string whose decoded text equals s[0..n), else 0. */
int fx_value_str_eq(fx_value v, const char *s, size_t n);

/* Walk the elements of an FX_ARRAY or the members of an FX_OBJECT.
** fx_iter_next() gives each element (key->type is FX_NULL for arrays, the
** member's key string for objects) and returns 1, then 0 at the end. */
typedef struct fx_iter {
    const char *p, *end;
    int object;
} fx_iter;
void fx_iter_init(fx_iter *it, fx_value v);
int fx_iter_next(fx_iter *it, fx_value *key, fx_value *val);

/* Structural equality: equal after decoding strings and ignoring whitespace
** and object key order (last key wins, as in Python).  Numbers compare by
** their text.  Returns 1 when equal. */
int fx_value_equal(fx_value a, fx_value b);

/* Append the canonical form of v to out (used by the record hash). */
int fx_value_canon(fx_buf *out, fx_value v);

/* ---------------------------------------------------------------- layouts */

typedef enum { FX_FORMAT_JSON = 0, FX_FORMAT_JSONL = 1 } fx_format;

/* How a file is laid out, as Django writes it.
**   json, indent -1: compact: [{...}, {...}]           (dumpdata, no --indent)
**   json, indent N:  [\n{...},\n{...}\n]\n, N spaces a level (--indent N)
**   jsonl:           one compact object a line, separators "," and ": "
** crlf: lines end with \r\n (a file that went through a Windows editor). */
typedef struct fx_layout {
    fx_format format;
    int indent;
    int crlf;
} fx_layout;

/* Parse a layout name: "json" (same as "indent=2"), "compact", "indent=N",
** "jsonl".  Returns 0, or FX_EUSAGE for anything else. */
int fx_layout_parse(fx_layout *out, const char *s);

/* Name a layout ("compact", "indent=2", "jsonl") into buf[0..n); returns buf. */
const char *fx_layout_name(fx_layout l, char *buf, size_t n);

/* ---------------------------------------------------------------- records */

typedef struct fx_field {
    const char *name;   /* decoded field name, NUL-terminated */
    size_t name_len;
    fx_value value;
} fx_field;

/* One Django record: {"model": ..., "pk": ..., "fields": {...}}.
** Every pointer in it is owned by whoever produced the record (the reader
** until its next call, or the record itself when made by fx_record_copy).
*/
typedef struct fx_record {
    const char *text;       /* the object's original bytes, '{' to '}' */
    size_t len;
    const char *file;       /* input name as given */
    uint64_t offset;        /* of the opening '{' */
    unsigned long line, col;
    const char *model;      /* the "model" string as written (decoded) */
    const char *label;      /* model lower-cased: "supermarket.produit" */
    int has_pk;             /* 0 for --natural-primary records */
    fx_value pk;            /* valid when has_pk */
    const char *pk_key;     /* pk as text for identity: 7 and "7" both "7" */
    fx_field *fields;       /* in their original order, duplicates kept */
    size_t nfields;
    uint64_t ordinal;       /* 0-based index of the record in its input */
    fx_layout layout;       /* layout of the file it came from */
    int changed;            /* fields changed since read: text is stale */
    void *priv;             /* library-private storage */
} fx_record;

/* The last field named name (Python keeps the last duplicate), or NULL. */
const fx_field *fx_record_field(const fx_record *rec, const char *name);

/* XXH3-64 of the record's canonical form: lower-cased label, pk_key and
** the fields sorted by name (last duplicate wins) with canonical values.
** Layout, key order, whitespace and string-escape spelling do not change
** it; any change of model, pk or field value does. */
uint64_t fx_record_hash(const fx_record *rec);

/* XXH3-64 of (label, pk_key): the record's identity. */
uint64_t fx_record_key_hash(const fx_record *rec);

/* Line and column of the byte at p, which must lie inside rec->text. */
void fx_record_pos(const fx_record *rec, const char *p, unsigned long *line,
                   unsigned long *col);

/* Deep copy of rec into *out, owning all its storage; free with
** fx_record_free().  Use it to keep a record past the reader's next call
** or to change it with fx_record_set(). */
int fx_record_copy(fx_record **out, const fx_record *rec);

/* On a record made by fx_record_copy(): set field `name` to the JSON text
** json[0..n) (copied), appending the field if it is absent; name "pk"
** with is_pk set changes the pk instead.  Removing: fx_record_drop().
** The record's text no longer matches its fields afterwards, so writers
** lay it out anew.  Returns 0, FX_ESYNTAX if json is not one JSON value. */
int fx_record_set(fx_record *rec, int is_pk, const char *name, const char *json,
                  size_t n);
int fx_record_drop(fx_record *rec, const char *name);   /* 1 dropped, 0 absent */
void fx_record_free(fx_record *rec);

/* ---------------------------------------------------------------- reader */

typedef struct fx_reader fx_reader;

typedef struct fx_reader_opts {
    fx_diag_fn diag;       /* warnings and non-fatal errors; may be NULL */
    void *diag_ctx;
    int seekable;          /* allow fx_reader_seek(): stdin and compressed
                              input are kept in an unlinked temporary file
                              (in TMPDIR) as they are read */
} fx_reader_opts;

/* Open path for reading ("-" is stdin).  Detects compression (gzip, bzip2,
** xz, lzma, single-member zip: by content), encoding (UTF-8 with or without
** BOM; UTF-16 LE/BE with BOM, with a warning) and format (json or jsonl)
** without reading more than the first block.  opts may be NULL.
** On success *out belongs to the caller: fx_reader_free(). */
int fx_reader_open(fx_reader **out, const char *path, const fx_reader_opts *opts,
                   fx_error *err);

/* The next record.  Returns 1 and sets *out (borrowed: valid until the next
** call or fx_reader_free()), 0 at the end, or a negative code with err set.
** FX_ESYNTAX and FX_ESTRUCT skip the bad record (or a leftover conflict
** marker line): call again to go on.  Any other code is final.
** Memory stays bounded by the largest record, not by the file. */
int fx_reader_next(fx_reader *r, const fx_record **out, fx_error *err);

/* On a reader opened seekable: make the next fx_reader_next() return the
** record that starts at offset (a record's fx_record.offset, given with its
** line and col so that positions stay right; offset 0 with line 1, col 1
** starts over), then go on reading after it.  The place must have been
** read already.  0, or FX_EUSAGE. */
int fx_reader_seek(fx_reader *r, uint64_t offset, unsigned long line,
                   unsigned long col, fx_error *err);

/* The layout detected (valid once fx_reader_next() returned anything). */
fx_layout fx_reader_layout(const fx_reader *r);

/* Bytes of decoded text consumed so far, and the compressed input size
** when known (0 otherwise), for progress lines. */
uint64_t fx_reader_offset(const fx_reader *r);

/* Name given to fx_reader_open() (borrowed). */
const char *fx_reader_name(const fx_reader *r);

void fx_reader_free(fx_reader *r);

/* ---------------------------------------------------------------- output */

/* Atomic output, after git's lockfile.h.
**
** fx_output_open() on a path creates a temporary file next to it
** (".NAME.fx-XXXXXX"); writes go there; fx_output_commit() flushes, syncs
** and renames it over the path, so readers see the old file or the new one,
** never a part.  The path may be one of the inputs.  fx_output_free() on an
** output not committed removes the temporary file, and so do SIGINT, SIGTERM
** and SIGHUP while it is open.  A NULL path or "-" writes to stdout, where
** commit only flushes.  An existing file's permission bits are kept. */
typedef struct fx_output fx_output;

int fx_output_open(fx_output **out, const char *path, fx_error *err);
int fx_output_write(fx_output *o, const void *p, size_t n, fx_error *err);
int fx_output_commit(fx_output *o, fx_error *err);
void fx_output_free(fx_output *o);   /* aborts an output not committed */

/* ---------------------------------------------------------------- writer */

/* Writes records in one of Django's layouts.  A record read from a file of
** the same layout and not changed since is copied byte for byte; any other
** is laid out anew, each value keeping its original text (numbers and
** string escapes as written), so that for a file dumpdata wrote, reading
** and writing back in its layout gives the same bytes. */
typedef struct fx_writer fx_writer;

/* Write to o (borrowed; the caller commits and frees it after
** fx_writer_finish()).  *out belongs to the caller: fx_writer_free().
** FX_EUSAGE for a layout out of range (indent past 64). */
int fx_writer_new(fx_writer **out, fx_output *o, fx_layout layout);
int fx_writer_write(fx_writer *w, const fx_record *rec, fx_error *err);

/* Write text verbatim between records, on lines of its own (conflict
** markers).  Commas stay right: the next record still gets its separator. */
int fx_writer_write_text(fx_writer *w, const char *text, size_t n, fx_error *err);

/* Close the array (json format).  Call once, before fx_output_commit(). */
int fx_writer_finish(fx_writer *w, fx_error *err);
void fx_writer_free(fx_writer *w);

/* Lay out one record alone, as it would appear in the layout (no
** separators), appending to out. */
int fx_record_format(fx_buf *out, const fx_record *rec, fx_layout layout);

/* ---------------------------------------------------------------- select */

/* Which models a tool works on, in dumpdata's words: labels to keep
** ("app" or "app.Model", case-insensitive, as in `dumpdata supermarket.Commande`)
** and labels to exclude (as `dumpdata --exclude`).  With no label to keep,
** every model not excluded is kept.  *out belongs to the caller:
** fx_models_free().  A NULL fx_models keeps everything. */
typedef struct fx_models fx_models;

int fx_models_new(fx_models **out);
/* FX_EUSAGE with a message for a label that is not "app" or "app.model". */
int fx_models_add(fx_models *m, const char *label, int exclude, fx_error *err);
int fx_models_match(const fx_models *m, const char *label);  /* 1: keep */
int fx_models_empty(const fx_models *m);                      /* 1: no label given */
/* The labels to keep, lower-case (borrowed); returns their count. */
size_t fx_models_includes(const fx_models *m, const char ***out);
void fx_models_free(fx_models *m);

/* Does "label.field" match pattern, a shell wildcard such as "*.email",
** "auth.user.password" or "supermarket.*.updated_at" (case-insensitive)? */
int fx_field_match(const char *pattern, const char *label, const char *field);

/* ---------------------------------------------------------------- schema */

typedef enum {
    FX_K_UNKNOWN = 0,
    FX_K_CHAR, FX_K_TEXT, FX_K_INT, FX_K_SMALLINT, FX_K_BIGINT, FX_K_BOOL,
    FX_K_DECIMAL, FX_K_FLOAT, FX_K_DATE, FX_K_DATETIME, FX_K_TIME,
    FX_K_DURATION, FX_K_UUID, FX_K_JSON, FX_K_FK, FX_K_O2O, FX_K_M2M
} fx_kind;

const char *fx_kind_name(fx_kind k);      /* "char", ...; static string */
fx_kind fx_kind_from_name(const char *s); /* FX_K_UNKNOWN if none */

typedef struct fx_field_schema {
    char *name;            /* field name as in fixtures */
    char *column;          /* database column ("<name>_id" for fk/o2o); NULL for m2m */
    fx_kind kind;
    int null;              /* NULL allowed */
    int unique;
    int positive;          /* Positive*Field: value >= 0 */
    long max_length;       /* char: characters; -1 none */
    int max_digits;        /* decimal; -1 unknown */
    int decimal_places;    /* decimal; -1 unknown */
    fx_kind alt_kind;      /* a second kind the column may hold (SQLite stores
                              DurationField and BigIntegerField alike); 0 none */
    char *to;              /* fk/o2o/m2m: target label */
    char *to_field;        /* fk/o2o: target field when not the pk; else NULL */
    char *through;         /* m2m: link table */
    char *through_from;    /* m2m: link column pointing at this model */
    char *through_to;      /* m2m: link column pointing at the target */
} fx_field_schema;

typedef struct fx_name_list {
    char **names;
    size_t n;
} fx_name_list;

typedef struct fx_model_schema {
    char *label;           /* lower-case "app.model" */
    char *table;
    char *pk_name;         /* "id" */
    char *pk_column;
    fx_kind pk_kind;       /* int, bigint, char, uuid, ... */
    fx_field_schema *fields;
    size_t nfields;
    fx_name_list *unique_together;
    size_t nunique_together;
    fx_name_list natural_key;   /* n == 0: none */
} fx_model_schema;

typedef struct fx_schema {
    fx_model_schema *models;
    size_t nmodels;
    char *source;          /* where it came from, for messages */
} fx_schema;

/* Load a schema from spec: a schema file (JSON, see schemas/README.md), a
** SQLite database made by Django's migrate ("db.sqlite3" or
** "sqlite:PATH"), told apart by content.  *out belongs to the caller:
** fx_schema_free(). */
int fx_schema_load(fx_schema **out, const char *spec, fx_error *err);

/* Parse a schema file's text (JSON).  name is used in messages. */
int fx_schema_parse(fx_schema **out, const char *json, size_t n, const char *name,
                    fx_error *err);

/* The model with this label (case-insensitive), or NULL.  Borrowed. */
const fx_model_schema *fx_schema_model(const fx_schema *s, const char *label);

/* The field named name (exact), or NULL.  Borrowed. */
const fx_field_schema *fx_model_field(const fx_model_schema *m, const char *name);

/* Append the schema as a schema file (indented JSON) to out. */
int fx_schema_write(fx_buf *out, const fx_schema *s);

void fx_schema_free(fx_schema *s);

/* Called by fx_record_refs() for each reference: field f of model m (both
** borrowed from the schema) holds value v (borrowed from rec), which names
** a record of model `to` (NULL when the schema does not know the target):
** by pk when v is a number or string, by natural key when v is an array.
** A non-zero return stops the walk and is returned. */
typedef int (*fx_ref_fn)(void *ctx, const fx_record *rec, const fx_model_schema *m,
                         const fx_field_schema *f, const fx_model_schema *to,
                         fx_value v);

/* Walk every reference of rec (foreign keys, one-to-ones, each member of a
** many-to-many list; nulls skipped), as schema s describes rec's model.
** A model the schema does not know has none.  Returns 0 or fn's value. */
int fx_record_refs(const fx_record *rec, const fx_schema *s, fx_ref_fn fn, void *ctx);

/* Check one value against its field's kind, as Django's to_python() and the
** database would.  Returns 0 when it fits, else 1 with a message in
** msg[0..n) that says what is wrong and what is expected ("ensure this
** value has at most 30 characters (it has 31)"). */
int fx_check_value(const fx_field_schema *f, const fx_schema *s, fx_value v,
                   char *msg, size_t n);

/* ---------------------------------------------------------------- validate */

typedef struct fx_validator fx_validator;

typedef struct fx_validate_opts {
    const fx_schema *schema;   /* NULL: no schema checks */
    int closed;                /* references outside the files are errors */
    int ignorenonexistent;     /* unknown fields are warnings (loaddata -i) */
    fx_diag_fn diag;
    void *diag_ctx;
} fx_validate_opts;

/* A validator checks records one at a time and keeps what the cross-record
** checks need (keys, unique values, unresolved references): an index of
** hashes and places, not the records.  *out belongs to the caller. */
int fx_validator_new(fx_validator **out, const fx_validate_opts *opts);
int fx_validator_add(fx_validator *v, const fx_record *rec);
/* Report what only the whole input tells (dangling references). */
int fx_validator_finish(fx_validator *v);
void fx_validator_free(fx_validator *v);

#ifdef __cplusplus
}
#endif
#endif /* FIXTURE_H */
