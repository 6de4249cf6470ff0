/*
** db_int.h: the one way fx talks to each database, shared by schema
** introspection (fx_schema_load), the load engine (load*.c) and the dump
** engine (dump.c).  Not part of the public API.
**
**   db_value.c   values between fixtures and databases, both ways, both
**                back ends (what Django's backends store and read back)
**   pyjson.c     JSON as Python's json module writes it (the emitter)
**   db_sqlite.c  SQLite: opening, the catalog, cursors
**   db_pg.c      PostgreSQL: connecting, the session, messages, the
**                catalog, cursors
**
** A value travels as an fx__bind, never as SQL text: binds are bound as
** parameters, rows are read into binds.
*/
#ifndef FX_DB_INT_H
#define FX_DB_INT_H

#include "internal.h"

/* ---- a value as a database takes or gives it ---- */

/* Text and blobs are borrowed: from the load engine's per-record arena
** (valid during the back end call), or from the row a cursor read (valid
** until its next row). */
typedef enum { FX__B_NULL = 0, FX__B_INT, FX__B_REAL, FX__B_TEXT, FX__B_BLOB } fx__bind_type;

typedef struct fx__bind {
    fx__bind_type type;
    int64_t i;
    double d;
    const char *s;     /* FX__B_TEXT: NUL-terminated; FX__B_BLOB: n bytes */
    size_t n;
} fx__bind;

/* Do two binds hold the same value (same type, same bytes)? */
int fx__bind_eq(const fx__bind *a, const fx__bind *b);

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

/* ---- SQL text (db_value.c) ---- */

/* Append id quoted as an SQL identifier ("a""b"), as SQLite and
** PostgreSQL both read it.  0 or FX_ENOMEM. */
int fx__quote_id(fx_buf *b, const char *id);

/* ---- values (db_value.c) ---- */

/* Into the database: v, a value of a field of kind (alt_kind: a second
** kind the column may hold), as Django's SQLite backend (pg == 0) or
** PostgreSQL backend (pg == 1) stores it; text goes into arena and
** out->s is an offset into it (cast) until fx__bind_fix().  Returns 0, or
** 1 with a message in msg[0..n) ("expected a date YYYY-MM-DD"). */
int fx__convert(fx__bind *out, fx_kind kind, fx_kind alt_kind, fx_value v, int pg,
                fx_buf *arena, char *msg, size_t n);

/* Turn the arena offsets of binds[0..n) into pointers (after the last
** conversion into arena). */
void fx__bind_fix(fx__bind *binds, size_t n, const fx_buf *arena);

/* Python's json.dumps(value) (ensure_ascii, separators ", " ": ") of v,
** appended to out: what Django's JSONField writes. */
int fx__json_dumps(fx_buf *out, fx_value v);

/* The 32 lower-case hex digits of a UUID written in any form
** uuid.UUID() reads (dashes, braces, "urn:uuid:", capitals) into out;
** 1, or 0 when s is not one. */
int fx__uuid_hex(const char *s, char out[33]);

/* Out of the database: how a value reaches the JSON encoder, through the
** field's value_to_string() (a record's own fields) or as the Python value
** itself (the items of natural_key(): a duration is then ISO 8601). */
enum { FX__R_FIELD = 0, FX__R_ENCODER = 1 };

/* Write c, a value of kind (places: a decimal's decimal_places, -1
** unknown) as read from SQLite (pg 0: its storage class) or PostgreSQL
** (pg 1: text), as Django 3.2's serializer writes what its backend makes
** of it.  Returns 0, FX_ENOMEM, or 1 with what is wrong in msg[0..n) (a
** value Django could not read either). */
int fx__render(fx__emit *e, const fx__bind *c, fx_kind kind, int places, int pg,
               int mode, char *msg, size_t n);

/* ---- SQLite (db_sqlite.c) ---- */

struct sqlite3;

/* Open the SQLite database at path, which must exist: read-only (write 0:
** a "file:...?mode=ro" URI, never created or written) or to write it (an
** error when SQLite can only read it); one thread a connection, a 10 s
** busy timeout.  Errors are FX_EIO, their message ending with hint (what
** to do).  On success *out is the caller's: sqlite3_close(). */
int fx__sqlite_open(struct sqlite3 **out, const char *path, int write, const char *hint,
                    fx_error *err);

struct sqlite3_stmt;

/* Bind b as parameter i (from 1) of st: NULL, integer, double, text or
** blob as b says; text and blobs are not copied (they must stay until st
** is stepped).  SQLite's result code. */
int fx__sqlite_bind(struct sqlite3_stmt *st, int i, const fx__bind *b);

/* Column k of st's current row as a bind, by its storage class; text and
** blobs borrowed from st until its next step, reset or finalize.  0, or
** FX_ENOMEM when SQLite could not make the text. */
int fx__sqlite_column(struct sqlite3_stmt *st, int k, fx__bind *out);

/* The schema of db, a database Django's migrate made, as its catalog tells
** it (schemas/README.md, Introspection), source "sqlite:PATH".  *out
** belongs to the caller.  FX_ESCHEMA for a database migrate did not make. */
int fx__sqlite_catalog(fx_schema **out, struct sqlite3 *db, const char *path,
                       fx_error *err);

struct json_object;

/* The AUTOINCREMENT counters of db (its sqlite_sequence; none when no
** table has one) into *out, a new object {"table": seq, ...}, the
** caller's: json_object_put().  what names the database in messages.
** 0 or FX_EIO. */
int fx__sqlite_counters(struct sqlite3 *db, struct json_object **out, const char *what,
                        fx_error *err);

/* Set table name's AUTOINCREMENT counter to v (an int), or, v NULL, drop
** it (the table hands out ids as if it never had one).  0 or FX_EIO. */
int fx__sqlite_counter_set(struct sqlite3 *db, const char *name, struct json_object *v,
                           const char *what, fx_error *err);

/* ---- PostgreSQL (db_pg.c) ---- */

struct pg_conn;
struct pg_result;

/* Connect to conninfo (a postgresql:// URI or libpq keywords; PG*
** variables apply), client encoding UTF8, libpq's notices kept off the
** terminal, the session set up as db_value.c expects it (time zone UTC,
** ISO dates, postgres intervals, hex bytea, extra_float_digits 1).  target names it in messages (masked).  FX_EIO with libpq's
** reason on one line, its password masked.  *out: PQfinish(). */
int fx__pg_connect(struct pg_conn **out, const char *conninfo, const char *target,
                   fx_error *err);

/* The text parameters of binds b[0..n) for PQexecParams or
** PQexecPrepared, into out[0..n): NULL for null, text and blobs (bytea
** travels as text) borrowed from b, numbers written into text[i].  Always
** succeeds. */
void fx__pg_params(const fx__bind *b, size_t n, const char **out, char (*text)[32]);

/* What went wrong, on one line, into buf[0..n): r's message (primary, then
** detail and constraint) or, without r, the connection's; a password of
** conninfo in it masked. */
void fx__pg_message(char *buf, size_t n, struct pg_conn *c, const struct pg_result *r,
                    const char *conninfo);

/* 1 when the connection to the server is lost (after a failed r, or r
** NULL): a failed write is only noticed when libpq next reads. */
int fx__pg_lost(struct pg_conn *c, const struct pg_result *r);

/* The schema of the database c is connected to, as its catalog tells it:
** the same fx_schema the SQLite catalog gives.  source names it. */
int fx__schema_pg(fx_schema **out, struct pg_conn *c, const char *source, fx_error *err);

struct json_object;

/* The sequences of c's current schema into *out, a new object
** {"schema.sequence": last_value, or null when none was handed out yet},
** the caller's: json_object_put().  target (masked in messages) and what
** name the database.  0 or FX_EIO. */
int fx__pg_counters(struct pg_conn *c, const char *target, struct json_object **out,
                    const char *what, fx_error *err);

/* Set sequence name to v (an int: the last value handed out) or, v NULL,
** back to its start (its first value handed out next).  0 or FX_EIO. */
int fx__pg_counter_set(struct pg_conn *c, const char *target, const char *name,
                       struct json_object *v, const char *what, fx_error *err);

#endif
