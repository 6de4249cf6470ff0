/*
** dump_int.h: what the dump engine (dump.c), its value rendering
** (dump_value.c), Python's JSON layout (pyjson.c) and its two database
** back ends (dump_sqlite.c, dump_pg.c) share.  Not part of the public API.
**
** The engine plans one SELECT a model (and one a many-to-many field),
** ordered as dumpdata orders them, and has the back end run them as
** cursors read a row at a time; every value comes back as a cell, which
** dump_value.c renders as Django's serializer would have written the
** Python value Django's backend makes of it.
*/
#ifndef FX_DUMP_INT_H
#define FX_DUMP_INT_H

#include "internal.h"

/* ---- Python's json.dump (pyjson.c) ---- */

/* Writes JSON into b as json.dump(indent=..., separators=(item_sep, ": "),
** ensure_ascii=ascii) would.  indent -1 writes no newline at all (indent
** None); 0 or more puts each item on its own line, indent spaces a level.
** Functions return 0, FX_ENOMEM, or FX_ERROR past FX_MAX_DEPTH levels. */
typedef struct fx__emit {
    fx_buf *b;                 /* borrowed */
    int indent;
    const char *item_sep;      /* ", " or "," */
    size_t sep_len;
    int ascii;
    int level;
    unsigned items[FX_MAX_DEPTH];   /* items so far in each open container */
} fx__emit;

void fx__emit_init(fx__emit *e, fx_buf *b, int indent, const char *item_sep, int ascii);
int fx__emit_open(fx__emit *e, char c);     /* '[' or '{', where a value goes */
int fx__emit_close(fx__emit *e, char c);
int fx__emit_item(fx__emit *e);             /* before each element of a list */
int fx__emit_key(fx__emit *e, const char *k, size_t n);   /* "key": in a dict */
int fx__emit_key_raw(fx__emit *e, const char *k, size_t n); /* k: "\"key\": " as is */
int fx__emit_raw(fx__emit *e, const char *s, size_t n);   /* a scalar's text */
int fx__emit_str(fx__emit *e, const char *s, size_t n);   /* s (UTF-8) quoted */
int fx__emit_float(fx__emit *e, double d);
/* A JSON value as json.loads then json.dump would write it again (a dict
** keeps each key where it first came, with its last value); 1 when
** json[0..n) is not one JSON value (nothing written). */
int fx__emit_json(fx__emit *e, const char *json, size_t n);
int fx__emit_value(fx__emit *e, fx_value v);

/* Python's repr() of a float, as json writes it (NaN, Infinity). */
void fx__py_float(char *b, size_t n, double d);

/* ---- cells: one value as a back end read it ---- */

typedef enum { FX__C_NULL = 0, FX__C_INT, FX__C_REAL, FX__C_TEXT, FX__C_BLOB } fx__cell_type;

typedef struct fx__cell {
    fx__cell_type type;
    int64_t i;
    double d;
    const char *s;     /* TEXT (NUL-terminated) and BLOB; borrowed */
    size_t n;
} fx__cell;

/* ---- rendering (dump_value.c) ---- */

/* How a value reaches the JSON encoder: through the field's
** value_to_string() (a record's own fields), or as the Python value itself
** (the items of natural_key(): a duration is then ISO 8601). */
enum { FX__R_FIELD = 0, FX__R_ENCODER = 1 };

/* Write cell c, a value of kind (places: a decimal's decimal_places, -1
** unknown) read from SQLite (pg 0) or PostgreSQL (pg 1), as Django 3.2's
** serializer writes the value its backend makes of it.  Returns 0,
** FX_ENOMEM, or 1 with what is wrong in msg[0..n) (a value Django could
** not read either). */
int fx__render(fx__emit *e, const fx__cell *c, fx_kind kind, int places, int pg,
               int mode, char *msg, size_t n);

/* Do two cells hold the same value (same type and bytes)? */
int fx__cell_eq(const fx__cell *a, const fx__cell *b);

/* ---- back ends ---- */

typedef struct fx__dumper fx__dumper;
typedef struct fx__cursor fx__cursor;

typedef struct fx__dump_ops {
    int pg;
    /* Run sql (its parameters written "?"; PostgreSQL's back end numbers
    ** them) with params[0..np) bound, as a cursor of ncols columns. */
    int (*open)(fx__dumper *d, fx__cursor **out, const char *sql, const fx__cell *params,
                size_t np, size_t ncols, fx_error *err);
    /* The next row: 1 with *row (ncols cells, borrowed until the next
    ** call), 0 at the end. */
    int (*next)(fx__dumper *d, fx__cursor *c, const fx__cell **row, fx_error *err);
    void (*close)(fx__dumper *d, fx__cursor *c);
    /* End the read transaction and disconnect. */
    void (*disconnect)(fx__dumper *d);
} fx__dump_ops;

struct fx__dumper {
    const fx__dump_ops *ops;
    void *be;                  /* the back end's state */
    fx_schema *schema;         /* introspected when no schema file was given */
    char target[512];          /* for messages */
};

/* Connect to the target, begin the read transaction (a snapshot), and,
** when d->schema is NULL, read the schema from the catalog into it. */
int fx__dump_sqlite_open(fx__dumper *d, const char *path, fx_error *err);
int fx__dump_pg_open(fx__dumper *d, const char *conninfo, fx_error *err);

#endif
