/*
** ctypes.h: references to the rows Django makes by itself (ctypes.c).
** Not part of the public API.
*/
#ifndef FX_CTYPES_H
#define FX_CTYPES_H

#include "internal.h"

#define FX__CT_LABEL "contenttypes.contenttype"
#define FX__PERM_LABEL "auth.permission"

/* 1 when label is a model whose rows migrate makes by itself, numbered in
** the order the apps were migrated: content types and permissions. */
int fx__django_made(const char *label);

/* A tracker of references by pk to Django-made rows: give it every record
** of a fixture (fx__ctrefs_add), then end the fixture (fx__ctrefs_end),
** which reports through diag, as a warning (check "content-types"), each
** field that refers by pk to content types or permissions the fixture
** does not hold: once per field over the tracker's life, at the place of
** its first such reference, with their number.  The fields are those the
** schema points at them; for a model it does not know (or without one),
** auth.user.user_permissions, auth.group.permissions and any field called
** content_type.  Several fixtures (the three files of a merge) may follow
** one another: a content type or permission that a later one holds under
** a pk an earlier one gave to another row is reported too (once per
** model), since their pks of them do not mean the same rows.  s (may be
** NULL) is borrowed for the tracker's life; *out belongs to the caller:
** fx__ctrefs_free(). */
typedef struct fx__ctrefs fx__ctrefs;

int fx__ctrefs_new(fx__ctrefs **out, const fx_schema *s);
int fx__ctrefs_add(fx__ctrefs *c, const fx_record *rec);      /* 0 or FX_ENOMEM */
int fx__ctrefs_end(fx__ctrefs *c, fx_diag_fn diag, void *diag_ctx);
void fx__ctrefs_free(fx__ctrefs *c);

#endif /* FX_CTYPES_H */
