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

/* How a file is laid out: what the file holds, found in its first record,
** not one of a fixed list.  Records read from a file are written back as
** they were; the layout says how to write what is new in it (a record
** taken from another file, a field added, a value replaced by a list) so
** that it looks like its neighbours.  Django's dumpdata writes
**   json, indent -1: compact: [{...}, {...}]           (dumpdata, no --indent)
**   json, indent N:  [\n{...},\n{...}\n]\n, N spaces a level (--indent N)
**   jsonl:           one compact object a line, separators "," and ": "
** and every field after crlf is 0 (or "") for those; a layout made in
** code, {.format = FX_FORMAT_JSON, .indent = 2}, is dumpdata's.  People
** write others: tabs, records indented inside the array as Python's
** json.dump(records, indent=2) does (depth 1), "pk" before "model",
** separators without spaces.  The three strings are NUL-padded (compared
** whole).
** crlf: lines end with \r\n (a file that went through a Windows editor). */
typedef struct fx_layout {
    fx_format format;
    int indent;       /* json: -1 records on one line, else N characters a level */
    int crlf;
    int tabs;         /* the characters of a level are tabs, not spaces */
    int depth;        /* levels before a record's own: 0 (records start in
                         column 0), 1 (json.dump's list, indented) */
    char order[4];    /* "model", "pk", "fields" as 'm', 'p', 'f' in their
                         order: "" is dumpdata's "mpf"; e.g. "pmf" */
    char colon[4];    /* between a key and its value: "" is ": " */
    char comma[4];    /* after a member (before the line end when indented):
                         "" is dumpdata's: ", " compact, "," otherwise */
} fx_layout;

/* Parse a layout name: "json" (same as "indent=2"), "compact", "indent=N",
** "jsonl".  Returns 0, or FX_EUSAGE for anything else. */
int fx_layout_parse(fx_layout *out, const char *s);

/* Name a layout ("compact", "indent=2", "jsonl", what is not dumpdata's in
** parentheses: "indent=1 (CRLF, tabs, depth 1, keys pk model fields,
** separators ',' ':')") into buf[0..n); returns buf. */
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
    const char *lead;       /* the bytes between the record before (or the
                               opening '[', or the start of a jsonl file)
                               and this one, as read: ",\n", ", ", "\n  ",
                               "\r\n"; NULL when not known (after an error,
                               or a seek without the lead's length) */
    size_t lead_len;
    int changed;            /* fields changed since read: text is stale */
    unsigned errors;        /* errors the reader reported inside it and read
                               past (invalid UTF-8, a lone surrogate): its
                               text is not what was meant; fx_loader_add()
                               refuses it */
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
** The record's text is edited as a person would edit it: only the bytes
** of the value change (a list or object given is laid out as the one it
** replaces, on one line or on lines, else as the record's layout lays
** them, from the field's indentation); a field added goes after the last
** one, indented and separated as the others; a field dropped goes with
** its separator (the last one's: the one before it), an only field leaves
** "{}".  On a record marked changed (its text stale) the
** values are set alone and writers lay the record out anew.
** Returns 0, FX_ESYNTAX if json is not one JSON value. */
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
    /* When set: records whose lower-cased label want() answers 0 to are
    ** skipped, not returned, following only their strings and nesting (so
    ** not checked further: what is inside a record no one reads is not
    ** reported).  A record that does not start with "model" is parsed and
    ** returned whatever want() says.  NULL: every record. */
    int (*want)(void *want_ctx, const char *label);
    void *want_ctx;
    /* An encoding loaddata refuses (a UTF-8 BOM in a json file, UTF-16 and
    ** UTF-32 but for big-endian jsonl, jsonl in a zip) is reported as an
    ** error when set (fxvalidate), else as a warning: it is read all the
    ** same. */
    int strict;
} fx_reader_opts;

/* Open path for reading ("-" is stdin).  Detects compression (gzip, bzip2,
** xz, lzma, single-member zip: by content), encoding (UTF-8 with or without
** BOM; UTF-16 and UTF-32, LE or BE, by their BOM or their zero bytes; what
** loaddata refuses is reported, see strict) and format (json or jsonl)
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
** read already.  Diagnostics of records read before are not given again.
** 0, or FX_EUSAGE. */
int fx_reader_seek(fx_reader *r, uint64_t offset, unsigned long line,
                   unsigned long col, fx_error *err);

/* fx_reader_seek(), and the record at offset gets back its lead: the
** lead_len bytes before offset, as its fx_record.lead_len said when it was
** first read (after a plain seek its lead is NULL).  0, or an error. */
int fx_reader_seek_lead(fx_reader *r, uint64_t offset, size_t lead_len,
                        unsigned long line, unsigned long col, fx_error *err);

/* The layout detected (valid once fx_reader_next() returned anything). */
fx_layout fx_reader_layout(const fx_reader *r);

/* A file's frame: what stands around its records, so that a file written
** with it (fx_writer_frame) looks like the one read.  For
** "\xEF\xBB\xBF[\n{...},\n{...}\n]\n": bom 1, head "[", first "\n",
** sep ",\n", tail "\n]\n"; for a jsonl file: head "", first the blank
** lines before its first record, sep its second record's lead, tail its
** last line end (or "").  A record's own lead is in fx_record.lead.
** Pointers are NULL (and lengths 0) for what is not known: head and first
** until the first record (or the end) was read, sep until the second (or
** the first lead between two records known after an error),
** tail until fx_reader_next() returned 0; and for what could not be kept
** (after a syntax error, or white space longer than a megabyte). */
typedef struct fx_frame {
    int bom;                   /* the text began with a UTF-8 BOM */
    const char *head;          /* before the first record's lead: white
                                  space and '[' (json), "" (jsonl) */
    size_t head_len;
    const char *first;         /* the first record's lead */
    size_t first_len;
    const char *sep;           /* a lead between two records: the second's */
    size_t sep_len;
    const char *tail;          /* after the last record ("\n]\n", "]", "\n",
                                  ""); a file without records: after '[' */
    size_t tail_len;
} fx_frame;

/* The frame of what r has read so far into *out (borrowed from r: valid
** until the next call on r). */
void fx_reader_frame(const fx_reader *r, fx_frame *out);

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

/* Compress everything written to o from now on (call it before the first
** write): filter "gzip", "bzip2", "xz" or "lzma" (the lzma-alone format,
** as Python's lzma.FORMAT_ALONE and dumpdata -o FILE.lzma write).  The
** stream is finished by fx_output_commit().  0, or FX_EUSAGE for another
** name. */
int fx_output_compress(fx_output *o, const char *filter, fx_error *err);

/* ---------------------------------------------------------------- writer */

/* Writes records in a layout.  A record read from a file of the same
** layout (fx_layout fields all equal) and not marked changed is copied
** byte for byte; any other is laid out anew, each value keeping its
** original text (numbers and string escapes as written), so that for a
** file dumpdata wrote, reading and writing back in its layout gives the
** same bytes.
**
** Between records the writer puts Django's separators, unless it was
** given a frame (fx_writer_frame): then it writes the file that frame came
** from as a person would have edited it.  The frame's head and first lead
** go before the first record written, its tail after the last; each other
** record keeps its own lead (fx_record.lead) when it has the writer's
** layout and the lead is a separator (json: holds the comma; jsonl: the
** line end), else gets the frame's sep.  So every record of a file, written in order with its
** frame, gives the file back byte for byte; leaving records out leaves
** them out with their own separators. */
typedef struct fx_writer fx_writer;

/* Write to o (borrowed; the caller commits and frees it after
** fx_writer_finish()).  *out belongs to the caller: fx_writer_free().
** FX_EUSAGE for a layout out of range (indent past 64). */
int fx_writer_new(fx_writer **out, fx_output *o, fx_layout layout);
int fx_writer_write(fx_writer *w, const fx_record *rec, fx_error *err);

/* Write the file around the records as f says (copied: f may go
** afterwards), the UTF-8 BOM too when f->bom is set.  What f does not know
** (NULL) is made up from the layout, as dumpdata would write it.  Call it
** before the first fx_writer_write(); calling it again, up to
** fx_writer_finish(), gives what was not known yet (sep, tail: a reader
** knows the tail at the end) and leaves what was written alone.
** Returns 0 or FX_ENOMEM. */
int fx_writer_frame(fx_writer *w, const fx_frame *f);

/* Write text verbatim between records, on lines of its own (conflict
** markers).  Commas stay right: the next record still gets its separator
** (with a frame: the indentation of its own lead, no blank line). */
int fx_writer_write_text(fx_writer *w, const char *text, size_t n, fx_error *err);

/* Close the array (json format), or write the frame's tail.  Call once,
** before fx_output_commit(). */
int fx_writer_finish(fx_writer *w, fx_error *err);

/* Count the line ends written from now on (off by default: it costs a
** look at every byte written), and the count: the line the next byte goes
** on is one more (fxmerge's report gives the line of each conflict block). */
void fx_writer_count_lines(fx_writer *w);
uint64_t fx_writer_lines(const fx_writer *w);
void fx_writer_free(fx_writer *w);

/* Lay out one record alone, as it would appear in the layout (no
** separators, no indentation before its '{'), appending to out. */
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
/* Does one lower-case label given to keep ("app" or "app.model") keep a
** record of this label?  The rule fx_models_match() applies to each. */
int fx_label_keeps(const char *pattern, const char *label);
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
    FX_K_DURATION, FX_K_UUID, FX_K_JSON, FX_K_FK, FX_K_O2O, FX_K_M2M,
    FX_K_BINARY            /* BinaryField: base64 text in fixtures */
} fx_kind;

const char *fx_kind_name(fx_kind k);      /* "char", ...; static string */
fx_kind fx_kind_from_name(const char *s); /* FX_K_UNKNOWN if none */

/* What Django does to a record when the record one of its foreign keys or
** one-to-ones points at is deleted: the field's on_delete.  It lives in
** Python only (Django emulates it; the database's constraint does not say
** it), so introspection leaves it unknown and a schema file may give it.
** Many-to-many links always go with either end. */
typedef enum {
    FX_ON_DELETE_UNKNOWN = 0,
    FX_ON_DELETE_CASCADE, FX_ON_DELETE_PROTECT, FX_ON_DELETE_RESTRICT,
    FX_ON_DELETE_SET_NULL, FX_ON_DELETE_SET_DEFAULT, FX_ON_DELETE_SET,
    FX_ON_DELETE_DO_NOTHING
} fx_on_delete;

/* Django's name ("CASCADE", "SET_NULL", ...; NULL for unknown), and back
** (FX_ON_DELETE_UNKNOWN if none). */
const char *fx_on_delete_name(fx_on_delete d);
fx_on_delete fx_on_delete_from_name(const char *s);

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
    fx_on_delete on_delete;  /* fk/o2o; FX_ON_DELETE_UNKNOWN when not known */
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
    char *pk_to;           /* the pk is a one-to-one to this model; or NULL */
    int pk_parent_link;    /* ... the link to its multi-table inheritance parent */
    char *proxy;           /* a proxy model of this model (no rows of its own) */
    fx_name_list dependencies;  /* natural_key.dependencies, labels */
    fx_name_list ordering;      /* Meta.ordering: "name", "-name", "fk__name" */
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

/* Do a and b hold the same value for field f, as Django sees them once
** to_python() has read them?  By f's kind (or its alt_kind when a value
** does not fit the kind): a datetime with an offset as an instant
** ("2025-01-09T10:00:09.000Z", "...09Z" and "...11:00:09+01:00" are the
** same), one without as a local time; dates, times and durations by value;
** decimals and floats as numbers ("1.5", "1.50", 1.5); integers and
** booleans however written (5 and "5"; true, "t", 1); uuids without case
** or dashes; json by structure; a reference by its target field's kind.
** Values that do not fit the kind, and any values when f is NULL, compare
** with fx_value_equal(); so do many-to-many lists (compare them as sets).
** s gives the targets of references (may be NULL).  1 when the same. */
int fx_value_same(const fx_field_schema *f, const fx_schema *s, fx_value a, fx_value b);

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
/* Report what only the whole input tells: dangling references (natural
** keys of content types and permissions are not: migrate makes those), and
** references by pk to content types and permissions the files do not
** hold (a warning: their ids differ between databases). */
int fx_validator_finish(fx_validator *v);
void fx_validator_free(fx_validator *v);

/* ---------------------------------------------------------------- load */

/* Loading records into a database Django's migrate made, as `manage.py
** loaddata` would, in one transaction (fxload).
**
** Calling sequence: fx_loader_open() connects and begins the transaction;
** fx_loader_add() for each record, in the order of the files; then
** fx_loader_finish() resolves forward natural references, checks the
** foreign keys (as Django's deferred constraints would at commit), resets
** PostgreSQL sequences and commits (or, with dry_run, rolls back);
** fx_loader_free() closes, rolling back anything not committed.  After any
** error the transaction is rolled back: the database is as it was.
**
** Targets: a SQLite file ("PATH" or "sqlite:PATH"; it must exist), or
** PostgreSQL ("postgresql://..." or "postgres://..." URI, or a libpq
** keyword string such as "dbname=erp host=/tmp"; PG* environment variables
** apply).  The mapping from models to tables and columns comes from the
** target's catalog (django_content_type), or from schema when given.
**
** Fields a record leaves out are not written: on insert the column gets
** what the database gives it (NULL: Django's migrate makes no defaults, so
** a NOT NULL column without a value is refused, naming the field); on
** update it keeps its value.  Every value is bound, never put in SQL text;
** identifiers come from the catalog or the schema and are quoted. */
typedef struct fx_loader fx_loader;

/* Returned by fx_loader_add() and fx_loader_finish() when the data was
** refused (bad value, unknown model or field, constraint): the message
** names the record (file and line), model, pk, field and constraint, and
** nothing was written. */
#define FX_EREJECT (-20)

typedef struct fx_load_opts {
    const char *schema;      /* schema file or SQLite database to map with,
                                instead of the target's catalog; or NULL */
    int replace;             /* delete the rows of each model present first
                                (counts and changes: the net effect) */
    int dry_run;             /* do everything, then roll back */
    int ignorenonexistent;   /* unknown models and fields: warn and skip */
    fx_diag_fn diag;         /* warnings; may be NULL */
    void *diag_ctx;
    /* Each row written, with action "insert" or "update" (unchanged rows
    ** are not reported; with replace, "delete" too, for the rows of the
    ** models replaced at fx_loader_finish()); may be NULL.  Strings are
    ** borrowed. */
    void (*change)(void *ctx, const char *action, const char *label, const char *pk);
    void *change_ctx;
} fx_load_opts;

/* Rows per model, in schema order, for models a record named. */
typedef struct fx_load_count {
    const char *label;       /* borrowed from the loader */
    unsigned long inserted, updated, unchanged, deleted;
} fx_load_count;

/* Connect to target and begin.  *out belongs to the caller:
** fx_loader_free().  Errors: FX_EUSAGE (bad target), FX_EIO (cannot open
** or connect), FX_ESCHEMA (not a database migrate made). */
int fx_loader_open(fx_loader **out, const char *target, const fx_load_opts *opts,
                   fx_error *err);

/* Write one record (borrowed; not kept).  Returns 0, FX_EREJECT, or
** another negative code.  After an error the loader only accepts
** fx_loader_free(). */
int fx_loader_add(fx_loader *l, const fx_record *rec, fx_error *err);

/* Finish and commit (see above).  0, FX_EREJECT, or another code. */
int fx_loader_finish(fx_loader *l, fx_error *err);

/* The counts so far into *out (borrowed: valid until the next call on l);
** returns how many. */
size_t fx_loader_counts(fx_loader *l, const fx_load_count **out);

/* The schema in use (borrowed from l). */
const fx_schema *fx_loader_schema(const fx_loader *l);

void fx_loader_free(fx_loader *l);

/* Apply the patch fxsync wrote for a side given as a file (see fxload(1)
** and patch.c) to target, in one transaction: every row it touches must be
** as the patch expects it (its prior record, or absent), else nothing is
** written.  opts as fx_loader_open() takes them (replace ignored; dry_run
** rolls back).  *out gets the loader for fx_loader_counts() (deletes
** counted in "deleted"), the caller's: fx_loader_free().  0 applied, 1
** refused (err says which row and field differ), or a negative code. */
int fx_patch_apply(fx_loader **out, const char *target, const char *patch,
                   const fx_load_opts *opts, fx_error *err);

/* 1 when target names a PostgreSQL database (a postgresql:// or
** postgres:// URI, or a libpq keyword string: it has a '=' and does not
** start with "sqlite:"), 0 when it names a SQLite file. */
int fx_target_is_pg(const char *target);

/* target with every password masked, into buf[0..n) (truncated to fit):
** the password of a URI's user information (user:****@host) and the
** values of password and sslpassword (in a URI's query or a keyword
** string, quoted or not) become "****"; a SQLite path is copied as it is.
** Returns buf.  Every message, summary and schema "source" that names a
** target is written with it. */
const char *fx_target_mask(char *buf, size_t n, const char *target);

/* ---------------------------------------------------------------- dump */

/* Writing what `manage.py dumpdata` writes, from a database Django's
** migrate made, without Django (fxdump).
**
** The selection, model order, row order, field order and the text of every
** value follow Django 3.2's dumpdata for the same options, byte for byte,
** when the schema is the one `manage.py fxschema` wrote for the project
** (contrib/django/fx_schema): the order of models and fields, decimal
** places, natural keys and Meta.ordering live in Python code, not in the
** database.  Without a schema file the catalog is read instead: models in
** content type order, fields in column order, natural keys of Django's own
** models only; the fixture is then correct and loadable but not always
** dumpdata's bytes, and opts->diag is told so once.
**
** Reading happens inside one read transaction (SQLite) or one REPEATABLE
** READ, READ ONLY transaction (PostgreSQL): the dump is one moment of the
** database however long it takes.  Rows are read a few thousand at a time
** (SQLite stepping, PostgreSQL cursors), natural keys through joins, so
** memory stays bounded whatever the database's size.
**
** Targets as fx_loader_open() takes them: a SQLite file ("PATH",
** "sqlite:PATH") or PostgreSQL (a postgresql:// URI or libpq keywords). */
typedef struct fx_dump_opts {
    const char *schema;            /* schema file; NULL: the target's catalog */
    fx_format format;              /* json or jsonl */
    int indent_set;                /* --indent given (Django tests it for truth: */
    int indent;                    /*   0 is compact framing, one item a line) */
    const char *const *labels;     /* "app" or "app.Model"; none: every app */
    size_t nlabels;
    const char *const *exclude;    /* -e: "app" or "app.Model" */
    size_t nexclude;
    const char *pks;               /* --pks "1,5,7" (one model only), or NULL */
    int natural_foreign, natural_primary;
    fx_diag_fn diag;               /* warnings; may be NULL */
    void *diag_ctx;
    /* Rows written so far in model label: every few thousand rows (done
    ** 0) and once when the model is finished (done 1); may be NULL.  The
    ** label is borrowed for the call. */
    void (*progress)(void *ctx, const char *label, uint64_t rows, int done);
    void *progress_ctx;
} fx_dump_opts;

/* Dump target into o (borrowed; the caller commits it when this returns 0,
** and frees it either way, which leaves nothing behind on failure).
** Returns 0, or a negative code with err set: FX_EUSAGE (a label, --pks
** or option dumpdata refuses, with dumpdata's words), FX_EIO (cannot
** connect or read; a server lost), FX_ESCHEMA (not a database migrate
** made, or one that does not match the schema), FX_ENOMEM. */
int fx_dump(const char *target, fx_output *o, const fx_dump_opts *opts, fx_error *err);

/* fx_dump() through a connection the caller opened and keeps (fxsync:
** dump, load and check as one transaction): db or conn is borrowed, never
** closed, and must be inside a transaction the caller began (FX_EUSAGE
** otherwise), which is neither committed nor rolled back; the dump sees
** what that transaction sees, its own writes included.  The caller picks
** the isolation: on PostgreSQL REPEATABLE READ (or SERIALIZABLE) makes
** the dump one moment, READ COMMITTED does not; time zone, DateStyle,
** IntervalStyle, bytea_output and extra_float_digits are SET LOCAL for
** the rest of the transaction.  On an error a PostgreSQL transaction may
** be aborted: roll it back.  name (may be NULL) is the database in
** messages, the SQLite file's path for the catalog's messages. */
struct sqlite3;
struct pg_conn;
int fx_dump_sqlite(struct sqlite3 *db, const char *name, fx_output *o,
                   const fx_dump_opts *opts, fx_error *err);
int fx_dump_pg(struct pg_conn *conn, const char *name, fx_output *o,
               const fx_dump_opts *opts, fx_error *err);

/* ---------------------------------------------------------------- diff and merge */

/* Record identity for fx_diff() and fx_merge().  A record is known by
** (model, pk); a record without pk (a --natural-primary export) by its
** model's natural key from the schema; a model named in a keyspec by the
** fields given there instead ("supermarket.commande=agence,numero", as
** --key takes it), for databases whose ids diverged.  When a model is
** matched by a keyspec its pk is not compared.  *out belongs to the
** caller: fx_keyspec_free(). */
typedef struct fx_keyspec fx_keyspec;

int fx_keyspec_new(fx_keyspec **out);
/* FX_EUSAGE with a message for a spec that is not MODEL=FIELD[,FIELD]. */
int fx_keyspec_add(fx_keyspec *k, const char *spec, fx_error *err);
void fx_keyspec_free(fx_keyspec *k);

typedef enum { FX_ADDED = 1, FX_REMOVED, FX_CHANGED } fx_change_op;

/* One field that differs.  A field absent on one side has a value of
** type FX_NULL and text NULL there.  For a many-to-many field (per the
** schema; without one, a list of plain values on both sides) m2m is set
** and added/removed list the members (borrowed, like the values). */
typedef struct fx_field_change {
    const char *name;
    fx_value old, new_;
    int m2m;
    const fx_value *added, *removed;
    size_t nadded, nremoved;
} fx_field_change;

/* One record that differs, given to an fx_change_fn.  Everything in it is
** borrowed and valid during the call only.  key is the pk as text, or the
** natural or --key values as a JSON list ("[\"PLATEAU\"]").  old_rec is
** NULL for FX_ADDED, new_rec for FX_REMOVED; fields are set for
** FX_CHANGED. */
typedef struct fx_change {
    fx_change_op op;
    const char *label;
    const char *key;
    const fx_record *old_rec, *new_rec;
    const fx_field_change *fields;
    size_t nfields;
} fx_change;

typedef int (*fx_change_fn)(void *ctx, const fx_change *c);

typedef struct fx_diff_opts {
    const fx_schema *schema;       /* natural keys, many-to-many; may be NULL */
    const fx_keyspec *keys;        /* may be NULL */
    const fx_models *models;       /* -m/-x; NULL: every model */
    const char *const *ignore;     /* field globs ("*.updated_at") not compared */
    size_t nignore;
    fx_diag_fn diag;               /* reader warnings; may be NULL */
    void *diag_ctx;
    /* May be NULL.  Called once both files are read, before fn's first
    ** call, with fn's ctx, NEW's layout and frame (borrowed: valid during
    ** the call), for a caller that writes NEW's records as NEW has them
    ** (fxdiff --format fixture).  A non-zero return stops fx_diff(), which
    ** returns it. */
    int (*frame)(void *ctx, fx_layout layout, const fx_frame *frame);
} fx_diff_opts;

/* Compare two fixtures record by record and call fn for each record added,
** removed or changed, in a fixed order: models in OLD's order (then those
** only in NEW), in each model the records of OLD in their order (removed
** or changed), then the records only NEW has, in NEW's order.  Layout and
** record order do not matter.  Memory: an index of keys, hashes and
** offsets per file; records that differ are read again by seeking.
** Returns the number of changes (0: the same), fn's non-zero value, or a
** negative FX_E* code with err set. */
int fx_diff(const char *old_path, const char *new_path, const fx_diff_opts *opts,
            fx_change_fn fn, void *ctx, fx_error *err);

typedef enum { FX_RENUMBER_THEIRS = 0, FX_RENUMBER_OURS, FX_RENUMBER_NONE } fx_renumber;
typedef enum { FX_STRATEGY_NONE = 0, FX_STRATEGY_OURS, FX_STRATEGY_THEIRS } fx_strategy;

/* What fx_merge() did that a person may want to know, one event each. */
typedef enum {
    FX_MERGE_CONFLICT = 1,   /* left in the output between markers */
    FX_MERGE_RESOLVED,       /* a conflict --strategy decided */
    FX_MERGE_AUTO,           /* changed on both sides, merged field by field */
    FX_MERGE_RENUMBER,       /* an added record moved to a fresh pk */
    FX_MERGE_FOLLOW          /* what a delete took with it, kept or carried
                                over: what "restored", "reverted",
                                "relinked", "nulled", "unlinked",
                                "deleted", "protected" or "depends"
                                (see fxmerge(1)) */
} fx_merge_event_kind;

typedef struct fx_merge_event {
    fx_merge_event_kind kind;
    const char *label;
    const char *key;          /* as in fx_change */
    const char *what;         /* conflicts: "field", "reference" (a field a
                                 delete set to null, that delete a
                                 conflict), "delete/modify",
                                 "modify/delete", "cascade", "add/add",
                                 "unique";
                                 renumbering: the side, "ours" or "theirs" */
    const char *const *fields;  /* fields concerned (conflicting, merged or
                                   the unique ones); may be 0 */
    size_t nfields;
    const char *new_key;      /* renumbering: the new pk */
    const char *hint;         /* what to do; NULL when nothing to say */
    const char *cause_label;  /* FX_MERGE_FOLLOW: the deleted record it */
    const char *cause_key;    /* follows; NULL otherwise */
    /* FX_MERGE_CONFLICT: the line of its (first) block's "<<<<<<<" in the
    ** output, 1-based; for a conflict of fields ("field", "reference"), each
    ** field's values on each side, base[i], ours[i], theirs[i] (their text
    ** as read, or as the merge rewrote it; text NULL when the side lacks
    ** the field), and field_lines[i], the line of its block.  NULL and 0
    ** otherwise. */
    unsigned long line;
    const fx_value *base, *ours, *theirs;
    const unsigned long *field_lines;
} fx_merge_event;

typedef void (*fx_merge_event_fn)(void *ctx, const fx_merge_event *e);

typedef struct fx_merge_opts {
    const fx_schema *schema;    /* references, natural keys, unique fields;
                                   without it id collisions are conflicts */
    const fx_keyspec *keys;
    fx_renumber renumber;       /* side whose colliding adds get fresh pks */
    fx_strategy strategy;       /* resolve field and delete/modify conflicts */
    fx_diag_fn diag;
    void *diag_ctx;
    fx_merge_event_fn event;    /* may be NULL */
    void *event_ctx;
    int allow_mass_delete;      /* do not stop on a side that lost a whole
                                   model, most of the file or everything, or
                                   on a BASE newer than OURS */
    int keep_bom;               /* start with ours's UTF-8 BOM when it has
                                   one (loaddata refuses it: off, the
                                   output is plain UTF-8) */
} fx_merge_opts;

typedef struct fx_merge_stats {
    uint64_t records;           /* written, conflicting ones counted once */
    uint64_t ours, theirs;      /* records taken whole from one side */
    uint64_t merged;            /* records merged field by field */
    uint64_t deleted;           /* records of base deleted */
    uint64_t renumbered;
    uint64_t conflicts;         /* left in the output */
    uint64_t resolved;          /* decided by the strategy */
    uint64_t restored;          /* deleted by a side with a record the merge
                                   keeps, kept with it */
    uint64_t reverted;          /* references a side set to null (or links it
                                   removed) with a record the merge keeps */
    uint64_t nulled;            /* references to a record the merge deletes
                                   set to null (or links removed) */
    uint64_t cascaded;          /* records a side added, deleted with the
                                   record they belong to (in deleted too) */
} fx_merge_stats;

/* Three-way merge of fixtures: the changes from base to ours and from base
** to theirs, written to o (borrowed; the caller commits it) as ours edited:
** ours's frame (its BOM with keep_bom), records and separators, in ours's order; a
** record changed on theirs's side or merged keeps ours's bytes but the
** values that change; a record only theirs has is laid out in ours's
** layout (theirs's when ours has no record), after ours's last record of
** its model, a record ours deleted and the merge keeps after the one
** before it in base, a model ours lacks where theirs has it among the
** others (with a schema: where the schema's model order puts it).  When
** theirs brings nothing, the output is ours.  A record changed on one side
** takes that side; changed on both merges field by field (many-to-many
** fields as sets); records added on both sides under the same pk keep both, theirs
** (or ours) renumbered above every pk of the three files with its side's
** references rewritten, repeated until nothing changes (needs the schema).
** True conflicts are written between git-style markers in the file's
** style (fxmerge(1) gives the format: a field conflict at the field in a
** json file, whole records otherwise; separators right whichever section
** is kept), unless the strategy resolves them; FX_MERGE_CONFLICT events
** come once each block is written, with its line and the fields' values.
** An id collision that cannot be renumbered and a clash of
** unique values between both sides' new records stay conflicts whatever
** the strategy.  With the schema, a record one side deleted and the other
** still has is decided together with what the delete took with it (the
** records deleted with it, the references set to null), and when the merge
** deletes it, the other side's records that refer to it follow on_delete
** (FX_MERGE_FOLLOW events say what was done).  Before anything is decided,
** a side that lost every record of a model, most of the records, or all
** of them, and an OURS older than BASE, stop the merge (FX_EUSAGE, nothing
** written) unless opts->allow_mass_delete; a THEIRS older than BASE (a
** stale export) is a warning.  stats may be NULL.  Returns the number of
** conflicts left (0: merged cleanly), or a negative FX_E* code with err
** set. */
int fx_merge(const char *base, const char *ours, const char *theirs, fx_output *o,
             const fx_merge_opts *opts, fx_merge_stats *stats, fx_error *err);

/* ---------------------------------------------------------------- filter */

/* One condition on a field's value, as fxfilter --where takes it:
**
**   FIELD OP VALUE     OP: = != < <= > >=     FIELD: name, "pk", or
**                      app_label.model.name (constrains that model only)
**
** VALUE is typed by how it is written: null, true, false, a number
** (compared numerically with numbers and with strings holding numbers, as
** Django writes decimals: "12.50"), an ISO date, datetime or time
** (compared after normalisation: UTC when an offset is given; a date alone
** against a datetime compares the date part), a quoted string ("..." or
** '...': always a plain string), else the bare text as a string.  null,
** true and false take only = and !=.  A field the record lacks makes the
** condition false whatever OP; a present value of another type is unequal
** (= and orderings false, != true).
**
** fx_where_parse(): 0 and *out (the caller's: fx_where_free()), or
** FX_EUSAGE with err->col the 1-based column of the mistake inside expr and
** a message that names it.  fx_where_match(): 1 when rec satisfies it. */
typedef struct fx_where fx_where;

int fx_where_parse(fx_where **out, const char *expr, fx_error *err);
int fx_where_match(const fx_where *w, const fx_record *rec);
void fx_where_free(fx_where *w);

/* A list of pks, "1,5,10-20": integers and inclusive integer ranges, or any
** other item as an exact pk text (uuids, codes).  fx_pks_parse(): 0 and
** *out (fx_pks_free()), or FX_EUSAGE with err->col.  fx_pks_match(): 1 when
** rec's pk is in the list (records without pk never are). */
typedef struct fx_pks fx_pks;

int fx_pks_parse(fx_pks **out, const char *list, fx_error *err);
int fx_pks_match(const fx_pks *p, const fx_record *rec);
void fx_pks_free(fx_pks *p);

/* A selection, as fxfilter builds it from -m, -x, --pk and --where: a
** record is kept when its model is kept (fx_models), its pk is in the
** --pk list (if any) and it satisfies every --where.  fx_filter_match()
** also counts, for each label given to keep, the records it kept, so that
** fx_filter_unmatched(f, i) can list the i-th label that kept none (NULL
** after the last; borrowed).  fx_filter_check() refuses what cannot work:
** --pk without exactly one --model app.Model, and with a schema (may be
** NULL) labels it does not know, with close labels named ("did you mean
** 'supermarket.commande'?").  An empty filter keeps everything.
** *out belongs to the caller: fx_filter_free(). */
typedef struct fx_filter fx_filter;

int fx_filter_new(fx_filter **out);
int fx_filter_model(fx_filter *f, const char *label, int exclude, fx_error *err);
int fx_filter_pks(fx_filter *f, const char *list, fx_error *err);
int fx_filter_where(fx_filter *f, const char *expr, fx_error *err);
int fx_filter_check(const fx_filter *f, const fx_schema *s, fx_error *err);
int fx_filter_empty(const fx_filter *f);

/* For fx_reader_opts.want: 1 when records of this lower-cased label may
** match f (its models alone decide; pks and --where come later).  ctx is
** the fx_filter. */
int fx_filter_wants(void *ctx, const char *label);
int fx_filter_match(fx_filter *f, const fx_record *rec);
const char *fx_filter_unmatched(const fx_filter *f, size_t i);
void fx_filter_free(fx_filter *f);

/* Append up to three labels of s close to label (edit distance; a model
** named without its app counts as close), quoted and comma-separated, to
** out.  Returns how many, or FX_ENOMEM. */
int fx_schema_suggest(fx_buf *out, const fx_schema *s, const char *label);

/* Records per model, for fxfilter --count: fx_tally_add() counts a record
** and its bytes (rec->len: its text as read, in its input's layout);
** fx_tally_rows() sorts the rows, most bytes first (then by label), and
** returns their count; the rows are borrowed from t. */
typedef struct fx_tally fx_tally;
typedef struct fx_tally_row {
    char *label;
    uint64_t records, bytes;
} fx_tally_row;

int fx_tally_new(fx_tally **out);
int fx_tally_add(fx_tally *t, const fx_record *rec);
size_t fx_tally_rows(fx_tally *t, const fx_tally_row **out);
void fx_tally_free(fx_tally *t);

/* Redaction, for fxfilter --redact FIELD[=VALUE] and --drop-field FIELD.
** FIELD is a "label.field" pattern (fx_field_match; a pattern without a
** dot names the field in every model); VALUE is JSON text when it parses
** as JSON, else a string.  Without VALUE: "!" (Django's unusable password)
** for auth.user.password; with a schema (s, may be NULL; borrowed for the
** redactor's life) "" for char/text, null when nullable, else the kind's
** empty value (0, "0.00", false, {}, []), and an error asking for a value
** for other NOT NULL kinds; without one by the value's JSON type ("", 0,
** false, [], {}; null stays).  The last rule given that matches a field
** wins.  Only fields the record has are touched: none is added.
**
** fx_redactor_apply(): 0 with *out NULL when no rule touched rec (write rec
** itself: its bytes are kept), 1 with *out a changed copy that belongs to
** the caller (fx_record_free()), or a negative code with err set.
** fx_redactor_unmatched(r, i): the i-th pattern that touched no field so
** far, or NULL.  *out of fx_redactor_new() belongs to the caller. */
typedef struct fx_redactor fx_redactor;

int fx_redactor_new(fx_redactor **out, const fx_schema *s);
int fx_redactor_add(fx_redactor *r, const char *spec, int drop, fx_error *err);
int fx_redactor_empty(const fx_redactor *r);
int fx_redactor_apply(fx_redactor *r, const fx_record *rec, fx_record **out, fx_error *err);
const char *fx_redactor_unmatched(const fx_redactor *r, size_t i);
void fx_redactor_free(fx_redactor *r);

/* The dependency closure (fxfilter --with-deps): the selected records and
** every record they reach through foreign keys, one-to-ones and
** many-to-many members as schema s describes them (fx_record_refs), by pk,
** natural key or to_field, transitively.  Two passes over inputs opened
** with fx_reader_opts.seekable:
**
**   for each input i, each record: fx_deps_add(d, i, rec, selected, err);
**   fx_deps_close(d, readers, n, err);     (follows what is left, seeking)
**   for each input: fx_reader_seek(r, 0, 1, 1, err), then each record:
**       fx_deps_wanted(d, i, rec) says whether to write it.
**
** Memory: an index of keys and places (input, offset, line, col), never the
** records.  Each reference to a record in none of the inputs is reported
** through diag (a warning, check "with-deps") and counted by
** fx_deps_missing().  At most 256 inputs.  s and diag's context are
** borrowed for d's life; *out belongs to the caller: fx_deps_free(). */
typedef struct fx_deps fx_deps;

int fx_deps_new(fx_deps **out, const fx_schema *s, fx_diag_fn diag, void *diag_ctx);
int fx_deps_add(fx_deps *d, size_t input, const fx_record *rec, int selected,
                fx_error *err);
int fx_deps_close(fx_deps *d, fx_reader *const *readers, size_t n, fx_error *err);
int fx_deps_wanted(const fx_deps *d, size_t input, const fx_record *rec);
uint64_t fx_deps_missing(const fx_deps *d);
void fx_deps_free(fx_deps *d);

/* ---------------------------------------------------------------- conflicts */

/* One conflict, as fxmerge's report, fxresolve's listing and its
** --format json describe it (tools/common.c writes it as JSON, once for
** every tool): model, key (as on the marker line: the pk as text, or a
** natural or --key key as a JSON list), kind ("field", "reference",
** "delete/modify", "modify/delete", "cascade", "add/add", "unique"), the
** line of its (first) block's "<<<<<<<", and the fields concerned: for a
** field or reference conflict the conflicting ones, each with the line of
** its block (field_lines; NULL when each is in the conflict's block) and
** its value on each side (base[i], ours[i], theirs[i]: the text as written,
** text NULL when the side lacks the field; NULL arrays: not known).  For
** the other kinds, fxresolve gives the fields whose values differ between
** the sides that hold the record.  records[] are the record on each side
** (base, ours, theirs; NULL when the side lacks it or it is not known), for
** the record's other fields.  Everything is borrowed. */
typedef struct fx_conflict {
    const char *kind;
    const char *label;
    const char *key;
    unsigned long line;
    const char *const *fields;
    size_t nfields;
    const fx_value *base, *ours, *theirs;
    const unsigned long *field_lines;
    const char *hint;                 /* what to do; NULL: nothing to say */
    const fx_record *records[3];
} fx_conflict;

/* Is kind a conflict of fields ("field", "reference"), decided field by
** field? */
int fx_conflict_of_fields(const char *kind);

/* Resolving the conflict blocks fxmerge left in a merged export
** (fxresolve).  fx_resolver_open() reads the file (through the reader's
** input: any compression and encoding the reader takes) and its blocks, in any layout, at
** the field or of whole records (fxmerge(1) gives the format), and reads
** each side's records with the reader: the file with every block's OURS
** section kept, and so on for BASE and THEIRS.  A block that is not
** fxmerge's (a marker out of place, a header fxmerge does not write)
** is FX_ESYNTAX at its line.  *out belongs to the caller:
** fx_resolver_free().
**
** Decisions are kept in the resolver until fx_resolver_write() writes the
** file with them: a block decided becomes the section kept (a value set:
** a section with that value), every other byte as it was; a record block
** whose fields are decided in part keeps the fields not yet decided
** between markers. */
typedef struct fx_resolver fx_resolver;

enum { FX_SIDE_BASE = 0, FX_SIDE_OURS = 1, FX_SIDE_THEIRS = 2 };

int fx_resolver_open(fx_resolver **out, const char *path, fx_error *err);

/* Conflicts in the file, decided or not. */
size_t fx_resolver_count(const fx_resolver *r);

/* Conflict i into *out (borrowed from r until its next call); returns 1
** when some of it is still undecided, 0 when decided. */
int fx_resolver_get(fx_resolver *r, size_t i, fx_conflict *out);

/* Is field f (SIZE_MAX: the whole conflict) of conflict i decided? */
int fx_resolver_decided(const fx_resolver *r, size_t i, size_t f);

/* Undecided conflicts. */
size_t fx_resolver_left(const fx_resolver *r);

/* Decide field f of conflict i (SIZE_MAX: every field, or the whole
** conflict for the other kinds) for side (FX_SIDE_*): FX_EUSAGE for a
** field of a conflict that is not one of fields. */
int fx_resolver_take(fx_resolver *r, size_t i, size_t f, int side, fx_error *err);

/* Decide field f of conflict i with the value json[0..n): FX_EUSAGE when
** it is not one JSON value, or, with schema s (may be NULL), does not fit
** the field (fx_check_value), or conflict i is not one of fields. */
int fx_resolver_set(fx_resolver *r, size_t i, size_t f, const char *json, size_t n,
                    const fx_schema *s, fx_error *err);

/* A selector: "app.Model", "app.Model:PK" or "app.Model:PK:field" (a pk
** holding ':' or white space written as a JSON string, a natural key as a
** JSON list: shop.agence:["AB01"]).  With assign set, "=JSON" follows the
** field and *value points at the JSON.  FX_EUSAGE for a malformed one.
** *out: fx_selector_free(). */
typedef struct fx_selector fx_selector;

int fx_selector_parse(fx_selector **out, const char *s, int assign, const char **value,
                      fx_error *err);

/* Does sel select conflict c?  0 no; 1 yes, with *field the index of the
** field it names in c (SIZE_MAX when it names none); FX_EUSAGE (err set)
** when it names a field of a conflict that is not one of fields. */
int fx_selector_match(const fx_selector *sel, const fx_conflict *c, size_t *field,
                      fx_error *err);
void fx_selector_free(fx_selector *sel);

/* Write the file with the decisions made to o (borrowed; the caller
** commits it).  When no conflict is left, the result is first read back
** and checked as fxvalidate checks it (vo: the schema and the diag
** callback; may be NULL for no check): errors are FX_ESTRUCT and nothing is
** written.  The text goes in the file's encoding.  Returns the number of
** conflicts left, or a negative code. */
int fx_resolver_write(fx_resolver *r, fx_output *o, const fx_validate_opts *vo,
                      fx_error *err);

/* The file's layout (its OURS side's, as the reader found it). */
fx_layout fx_resolver_layout(const fx_resolver *r);

/* The file's compression, as fx_output_compress() names it ("gzip",
** "bzip2", "xz", "lzma"), "zip", or NULL: none.  fx_resolver_write()
** writes the text in the file's encoding (UTF-16 or UTF-32 with the BOM it
** had); the caller compresses o. */
const char *fx_resolver_compression(const fx_resolver *r);

void fx_resolver_free(fx_resolver *r);

/* ---------------------------------------------------------------- sync */

/* Keeping a local and an online database in step (fxsync): each side is a
** database fx_loader_open() takes; the pair, the models synced and the
** merge base live in a state directory (config.json, base.json.gz, lock,
** journal/, conflicts/).  A round dumps each side it writes inside the
** transaction that writes it (SQLite BEGIN IMMEDIATE, PostgreSQL
** REPEATABLE READ), merges against the base (fx_merge) and writes only the
** rows that differ from the merge; the base advances once every side
** written has committed.  See fxsync(1). */
typedef enum {
    FX_SYNC_STATUS = 0,   /* what each side changed since the base; writes nothing */
    FX_SYNC_PULL,         /* online to local */
    FX_SYNC_PUSH,         /* local to online */
    FX_SYNC_BOTH,         /* both ways */
    FX_SYNC_UNDO          /* both sides back as before the last round */
} fx_sync_op;

typedef struct fx_sync_opts {
    const char *state;            /* state directory; NULL: fx_sync_state_dir() */
    /* init only */
    const char *local, *online;   /* the two databases */
    const char *schema;           /* schema file or migrated SQLite file; NULL:
                                     the local SQLite database (else the catalog) */
    const char *const *exclude;   /* models not synced, besides Django's own */
    size_t nexclude;
    const char *from;             /* "local", "online" or NULL: the side the
                                     other starts from when they differ */
    const char *base;             /* the last export both loaded, or NULL */
    /* rounds */
    int renumber_online;          /* sync: the online side's colliding new
                                     records move, not the local side's */
    fx_strategy strategy;         /* field and delete/modify conflicts */
    int cont;                     /* sync --continue */
    int dry_run;                  /* print what would be written, write nothing */
    int verbose;                  /* status: record by record */
    int keep;                     /* journal entries kept; 0: 20 */
    int allow_mass_delete;        /* see fx_merge_opts */
    const char *report;           /* JSON report to write, or NULL */
    fx_diag_fn diag;              /* warnings; may be NULL */
    void *diag_ctx;
    /* Lines for the person (summary, status, dry-run changes), without
    ** their newline; borrowed for the call.  May be NULL. */
    void (*print)(void *ctx, const char *line);
    void *print_ctx;
} fx_sync_opts;

/* The state directory for o into out: o->state, else ".fxsync" beside
** o->local when that is a SQLite file, else "./.fxsync".  Returns out. */
const char *fx_sync_state_dir(char *out, size_t n, const fx_sync_opts *o);

/* Record the pair and take the first base (see fxsync(1)).  0, 1 when the
** sides differ and neither --from nor --base says how to start (nothing
** written), or a negative code with err set. */
int fx_sync_init(const fx_sync_opts *o, fx_error *err);

/* Run one round (or status).  0 in step / synced, 1 changes pending
** (status) or conflicts left (nothing written), or a negative code with
** err set (nothing written to a side that did not commit; the base did
** not advance). */
int fx_sync_run(fx_sync_op op, const fx_sync_opts *o, fx_error *err);

/* The journal, newest first, one line an entry, to o->print.  0 or a
** negative code. */
int fx_sync_log(const fx_sync_opts *o, fx_error *err);

#ifdef __cplusplus
}
#endif
#endif /* FIXTURE_H */
