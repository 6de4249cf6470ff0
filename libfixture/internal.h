/*
** internal.h: declarations shared between libfixture's files and not part
** of the public interface (after SQLite's sqliteInt.h).  Names shared across
** files start with fx__; everything else in a file is static.
*/
#ifndef FX_INTERNAL_H
#define FX_INTERNAL_H

#include "fixture.h"
#include "compat.h"

#include <stdbool.h>
#include <string.h>

#define FX_MAX_DEPTH 512          /* deepest nesting a record may have */

/* Skip one JSON value starting at p (already known to be well-formed, as
** every value inside a record the reader returned is); returns the byte
** after it. */
const char *fx__skip_value(const char *p, const char *end);

/* The identity hash of (label, pk text): what fx_record_key_hash() gives
** for a record with that label and pk_key (pk NULL: a record without pk). */
uint64_t fx__key_hash(const char *label, const char *pk, size_t pklen);

/* Is json[0..n) exactly one well-formed JSON value?  Sets *type.  1 or 0. */
int fx__json_valid(const char *json, size_t n, fx_type *type);

/* The identity hash of a natural key: label, then each value's canonical
** form, so that "PLATEAU" and "\u0050LATEAU" agree.  A value that is a
** list (a foreign key's own natural key) is spliced in, as Django's
** natural_key() methods write it: a permission's fields give
** ["add_user", ["auth", "user"]] and a reference to it ["add_user",
** "auth", "user"], the same hash.  tmp is scratch space (reset here).
** Every module that matches natural keys uses this one. */
uint64_t fx__natural_hash(fx_buf *tmp, const char *label, const fx_value *vals, size_t n);

/* How many values m's natural key has with the natural keys of its
** foreign key parts spliced in, as natural_key() methods write them
** (auth.permission: codename, then its content type's app_label and
** model: 3).  s is the schema m belongs to. */
size_t fx__natural_len(const fx_schema *s, const fx_model_schema *m);

/* For each field of rec, 1 when no later field has its name (Python keeps
** the last of duplicates), found by sorting: n log n, where asking
** fx_record_field() for each field is quadratic (a hostile record has
** millions of fields).  A malloc'd array of rec->nfields bytes that the
** caller frees, or NULL when out of memory. */
unsigned char *fx__fields_last(const fx_record *rec);

/* fx_record_set() without the search: at is the index of the field to
** set, rec->nfields to add a field called name, or SIZE_MAX to search as
** fx_record_set() does. */
int fx__record_set_at(fx_record *rec, int is_pk, size_t at, const char *name,
                      const char *json, size_t n);

/* The code point at s (lenient UTF-8: a byte that starts no sequence is
** itself), its length in *len; s < e. */
unsigned fx__utf8_at(const char *s, const char *e, int *len);

/* Append to out the key of v as field f's kind (f->alt_kind when alt),
** the way to_python() reads it: values Django holds equal get equal keys
** ("1.5" and "1.50" in a decimal, "...09.000Z" and "...09Z" in a
** datetime).  0, 1 when v does not fit the kind (nothing appended, as when
** alt is set and f has no alt_kind), or FX_ENOMEM.  s: the targets of
** references; may be NULL. */
int fx__value_key(fx_buf *out, const fx_field_schema *f, const fx_schema *s, fx_value v,
                  int alt);

/* A date, datetime or time normalised to text that compares lexically:
** kind 1 "YYYY-MM-DD", 2 "YYYY-MM-DDTHH:MM:SS.ffffff" (in UTC when an
** offset is given), 3 "HH:MM:SS.ffffff".  fx__parse_when() parses s[0..n)
** as ISO 8601 (filter.c): 1 and *w when it is one, 0 when it is not, -1
** when it looks like one but is out of range (with *why set). */
typedef struct fx__when {
    int kind;
    char s[32];
} fx__when;
int fx__parse_when(const char *s, size_t n, fx__when *w, const char **why);

/* Do records of layout a look like those of layout b (writer.c)? */
int fx__layout_same(const fx_layout *a, const fx_layout *b);

/* Append v laid out in l (writer.c): with lines set and l indented, the
** members of a list or object on lines of their own, each line starting
** with pfx[0..plen) then the levels of indentation; else on one line,
** with the separators of one line. */
int fx__value_format(fx_buf *out, fx_value v, fx_layout l, int lines, const char *pfx,
                     size_t plen);

/* Append s[0..n) as a JSON string, as Python's json.dumps(ensure_ascii=False)
** writes it (writer.c). */
int fx__json_string(fx_buf *b, const char *s, size_t n);

/* fx_reader_open() on text[0..n) in memory, read as the file name would be
** (decompressed, converted to UTF-8; name is what errors give).  text is
** borrowed, not copied: it must stay unchanged until fx_reader_free(). */
int fx__reader_open_mem(fx_reader **out, const char *name, const char *text, size_t n,
                        const fx_reader_opts *opts, fx_error *err);

/* Skip JSON whitespace. */
static inline const char *fx__skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* The type of the value starting at p. */
fx_type fx__value_type(const char *p);

/* ASCII lower-casing of s[0..n) into a fresh NUL-terminated string
** (malloc: the caller frees). */
char *fx__strndup_lower(const char *s, size_t n);

/* Report a diagnostic through fn (NULL-safe). */
void fx__diag(fx_diag_fn fn, void *ctx, fx_severity sev, const char *file,
              unsigned long line, unsigned long col, uint64_t offset,
              const char *check, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 9, 10)))
#endif
    ;

/* Mask in msg[0..n) (a NUL-terminated message, such as one of libpq's,
** that may quote parts of target) every password target holds, as
** written there, and each word of it: "****".  Nothing for a SQLite
** target. */
void fx__mask_secrets(char *msg, size_t n, const char *target);

#endif /* FX_INTERNAL_H */
