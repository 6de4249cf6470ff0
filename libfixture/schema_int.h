/*
** schema_int.h: declarations shared by the two halves of the schema module,
** schema.c (schema files, lookup, memory) and the catalogs of db_sqlite.c
** and db_pg.c (introspection of a database made by Django's migrate).  Not
** part of the public API.
*/
#ifndef FX_SCHEMA_INT_H
#define FX_SCHEMA_INT_H

#include "internal.h"

/* Append a model to s, with every member at its default (empty label and
** table, pk "id"/"id"/int, no fields).  Returns the new model (owned by s,
** valid until the next call), or NULL when out of memory. */
fx_model_schema *fx__schema_add_model(fx_schema *s);

/* Append a field to m, at its defaults (kind unknown, not null, not unique,
** max_length/max_digits/decimal_places -1).  Returns it (owned by m, valid
** until the next call), or NULL when out of memory. */
fx_field_schema *fx__model_add_field(fx_model_schema *m);

/* Append a copy of name to l.  Returns 0 or FX_ENOMEM. */
int fx__names_add(fx_name_list *l, const char *name);

/* Release what l holds and empty it. */
void fx__names_clear(fx_name_list *l);

/* The default column of a field: its name, or name + "_id" for fk and o2o,
** NULL for m2m.  Returns a fresh string (malloc) or NULL. */
char *fx__default_column(const char *name, fx_kind kind);

/* Set m's natural key as introspection guesses it: its single unique
** field, else its single unique_together set, else none.  0 or FX_ENOMEM. */
int fx__schema_guess_natural_key(fx_model_schema *m);

/* The table of a built-in Django model whose db_table is not the default
** "app_model" (contenttypes.contenttype: django_content_type), or NULL. */
const char *fx__builtin_table(const char *label);

/* Introspect the SQLite database at path (opened read-only, never
** written).  On success *out belongs to the caller (fx_schema_free()),
** with source "sqlite:PATH".  Errors: FX_EIO, FX_ESCHEMA, FX_ENOMEM. */
int fx__schema_sqlite(fx_schema **out, const char *path, fx_error *err);

#endif /* FX_SCHEMA_INT_H */
