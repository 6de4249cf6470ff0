/*
** schema.c: the model schema, what fx knows about the Django models behind
** a fixture (fields, kinds, keys).  This file reads and writes schema files
** (the JSON format documented in schemas/README.md), looks models and
** fields up, frees schemas, and sends fx_schema_load() to the right
** reader.  Introspection of a database is in db_sqlite.c and db_pg.c.
**
** Parsing uses json-c in strict mode.  A schema file is checked hard: an
** unknown key, a key that does not apply to the field's kind, or a name
** that is not a field is an error, so that a typo never passes silently.
** fx_schema_write() emits exactly what fx_schema_parse() reads back to the
** same schema, defaults omitted, in a stable order.
*/
#include "schema_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>

#include <json-c/json.h>

#define SCHEMA_VERSION 1

/* Natural keys of Django's own models that the rule below gets wrong:
** Permission's unique_together is (content_type, codename), its
** natural_key() is codename first. */
static const char *const builtin_nk[][3] = {
    {"auth.permission", "codename", "content_type"},
};

/* Natural key, as introspection guesses it (Django's natural_key() lives
** in Python): Django's own where known, else the single unique field,
** else the single unique_together. */
int fx__schema_guess_natural_key(fx_model_schema *m)
{
    for (size_t i = 0; i < sizeof builtin_nk / sizeof builtin_nk[0]; i++)
        if (strcmp(m->label, builtin_nk[i][0]) == 0 && fx_model_field(m, builtin_nk[i][1]) &&
            fx_model_field(m, builtin_nk[i][2]))
            return fx__names_add(&m->natural_key, builtin_nk[i][1]) ||
                   fx__names_add(&m->natural_key, builtin_nk[i][2]) ? FX_ENOMEM : 0;
    const char *only = NULL;
    int nunique = 0;
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].unique && m->fields[i].kind != FX_K_M2M) {
            nunique++;
            only = m->fields[i].name;
        }
    if (nunique == 1)
        return fx__names_add(&m->natural_key, only);
    if (nunique == 0 && m->nunique_together == 1)
        for (size_t i = 0; i < m->unique_together[0].n; i++)
            if (fx__names_add(&m->natural_key, m->unique_together[0].names[i]))
                return FX_ENOMEM;
    return 0;
}

/* Built-in models whose db_table is not Django's default "app_model";
** both catalogs (db_sqlite.c, db_pg.c) look their tables up here. */
const char *fx__builtin_table(const char *label)
{
    static const struct { const char *label, *table; } builtin[] = {
        {"contenttypes.contenttype", "django_content_type"},
        {"admin.logentry", "django_admin_log"},
        {"sessions.session", "django_session"},
        {"sites.site", "django_site"},
        {"redirects.redirect", "django_redirect"},
        {"flatpages.flatpage", "django_flatpage"},
    };
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
        if (strcmp(label, builtin[i].label) == 0)
            return builtin[i].table;
    return NULL;
}

/* ---------------------------------------------------------------- memory */

fx_model_schema *fx__schema_add_model(fx_schema *s)
{
    fx_model_schema *p = realloc(s->models, (s->nmodels + 1) * sizeof *p);
    if (!p)
        return NULL;
    s->models = p;
    fx_model_schema *m = &p[s->nmodels];
    memset(m, 0, sizeof *m);
    m->pk_name = strdup("id");
    m->pk_column = strdup("id");
    m->pk_kind = FX_K_INT;
    if (!m->pk_name || !m->pk_column) {
        free(m->pk_name);
        free(m->pk_column);
        return NULL;
    }
    s->nmodels++;
    return m;
}

fx_field_schema *fx__model_add_field(fx_model_schema *m)
{
    fx_field_schema *p = realloc(m->fields, (m->nfields + 1) * sizeof *p);
    if (!p)
        return NULL;
    m->fields = p;
    fx_field_schema *f = &p[m->nfields++];
    memset(f, 0, sizeof *f);
    f->max_length = -1;
    f->max_digits = -1;
    f->decimal_places = -1;
    return f;
}

int fx__names_add(fx_name_list *l, const char *name)
{
    char **p = realloc(l->names, (l->n + 1) * sizeof *p);
    if (!p)
        return FX_ENOMEM;
    l->names = p;
    if (!(p[l->n] = strdup(name)))
        return FX_ENOMEM;
    l->n++;
    return 0;
}

void fx__names_clear(fx_name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n = 0;
}

char *fx__default_column(const char *name, fx_kind kind)
{
    if (kind == FX_K_M2M)
        return NULL;
    size_t n = strlen(name);
    int rel = kind == FX_K_FK || kind == FX_K_O2O;
    char *c = malloc(n + (rel ? 4 : 1));
    if (!c)
        return NULL;
    memcpy(c, name, n);
    strcpy(c + n, rel ? "_id" : "");
    return c;
}

static void field_clear(fx_field_schema *f)
{
    free(f->name);
    free(f->column);
    free(f->to);
    free(f->to_field);
    free(f->through);
    free(f->through_from);
    free(f->through_to);
}

static void model_clear(fx_model_schema *m)
{
    free(m->label);
    free(m->table);
    free(m->pk_name);
    free(m->pk_column);
    for (size_t i = 0; i < m->nfields; i++)
        field_clear(&m->fields[i]);
    free(m->fields);
    for (size_t i = 0; i < m->nunique_together; i++)
        fx__names_clear(&m->unique_together[i]);
    free(m->unique_together);
    fx__names_clear(&m->natural_key);
    free(m->pk_to);
    free(m->proxy);
    fx__names_clear(&m->dependencies);
    fx__names_clear(&m->ordering);
}

/* Frees s and everything it holds; NULL is fine. */
void fx_schema_free(fx_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nmodels; i++)
        model_clear(&s->models[i]);
    free(s->models);
    free(s->source);
    free(s);
}

/* ---------------------------------------------------------------- lookup */

/* Linear search, case-insensitive: schemas hold tens of models, and the
** callers that look up once a record keep the last answer. */
const fx_model_schema *fx_schema_model(const fx_schema *s, const char *label)
{
    if (!s || !label)
        return NULL;
    for (size_t i = 0; i < s->nmodels; i++)
        if (s->models[i].label && strcasecmp(s->models[i].label, label) == 0)
            return &s->models[i];
    return NULL;
}

/* Exact name match; NULL when m or name is NULL or no field has it.  The pk
** is not a field: compare with m->pk_name for it. */
const fx_field_schema *fx_model_field(const fx_model_schema *m, const char *name)
{
    if (!m || !name)
        return NULL;
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].name && strcmp(m->fields[i].name, name) == 0)
            return &m->fields[i];
    return NULL;
}

/* ---------------------------------------------------------------- parse */

typedef struct parse_ctx {
    const char *name;    /* file name for messages */
    fx_error *err;
    const char *model;   /* model being read, for messages; NULL at top */
    const char *field;   /* field being read, for messages; NULL if none */
} parse_ctx;

/* Report a schema error: "<where>: <fmt>", where names the model and
** field being read.  Returns FX_ESCHEMA. */
static int bad(parse_ctx *c, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int bad(parse_ctx *c, const char *fmt, ...)
{
    char what[700], where[300] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->model && c->field)
        snprintf(where, sizeof where, "model '%s', field '%s': ", c->model, c->field);
    else if (c->model)
        snprintf(where, sizeof where, "model '%s': ", c->model);
    return fx_error_set(c->err, FX_ESCHEMA, c->name, 0, 0, 0, "%s%s", where, what);
}

static int nomem(parse_ctx *c)
{
    return fx_error_set(c->err, FX_ENOMEM, c->name, 0, 0, 0,
                        "out of memory reading the schema: free some memory and try again");
}

static int get_bool(parse_ctx *c, const char *key, json_object *v, int *out)
{
    if (!json_object_is_type(v, json_type_boolean))
        return bad(c, "'%s' must be true or false: fix the value", key);
    *out = json_object_get_boolean(v) ? 1 : 0;
    return 0;
}

static int get_count(parse_ctx *c, const char *key, json_object *v, long max, long *out)
{
    if (!json_object_is_type(v, json_type_int))
        return bad(c, "'%s' must be a whole number: fix the value", key);
    errno = 0;
    int64_t n = json_object_get_int64(v);
    if (n < 0 || n > max || errno)
        return bad(c, "'%s' must be between 0 and %ld: fix the value", key, max);
    *out = (long)n;
    return 0;
}

/* A non-empty string copied into *out (freeing what was there). */
static int get_str(parse_ctx *c, const char *key, json_object *v, char **out)
{
    if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
        return bad(c, "'%s' must be a non-empty string: fix the value", key);
    char *s = strdup(json_object_get_string(v));
    if (!s)
        return nomem(c);
    free(*out);
    *out = s;
    return 0;
}

/* A model label "app.model", lower-cased into *out. */
static int get_label(parse_ctx *c, const char *key, const char *s, char **out)
{
    const char *dot = strchr(s, '.');
    if (!dot || dot == s || !dot[1] || strchr(dot + 1, '.'))
        return bad(c, "%s '%s' is not a model label: write it as 'app_label.model'", key, s);
    char *l = fx__strndup_lower(s, strlen(s));
    if (!l)
        return nomem(c);
    free(*out);
    *out = l;
    return 0;
}

static fx_kind get_kind(parse_ctx *c, const char *key, json_object *v, int *rc)
{
    fx_kind k = FX_K_UNKNOWN;
    if (json_object_is_type(v, json_type_string))
        k = fx_kind_from_name(json_object_get_string(v));
    if (k == FX_K_UNKNOWN)
        *rc = bad(c, "unknown %s %s: use one of char, text, binary, int, smallint, "
                  "bigint, bool, decimal, float, date, datetime, time, duration, uuid, "
                  "json, fk, o2o, m2m", key, json_object_to_json_string(v));
    return k;
}

static const char *const on_delete_names[] = {
    [FX_ON_DELETE_CASCADE] = "CASCADE", [FX_ON_DELETE_PROTECT] = "PROTECT",
    [FX_ON_DELETE_RESTRICT] = "RESTRICT", [FX_ON_DELETE_SET_NULL] = "SET_NULL",
    [FX_ON_DELETE_SET_DEFAULT] = "SET_DEFAULT", [FX_ON_DELETE_SET] = "SET",
    [FX_ON_DELETE_DO_NOTHING] = "DO_NOTHING",
};
#define NON_DELETE (sizeof on_delete_names / sizeof on_delete_names[0])

const char *fx_on_delete_name(fx_on_delete d)
{
    return (unsigned)d < NON_DELETE ? on_delete_names[d] : NULL;
}

fx_on_delete fx_on_delete_from_name(const char *s)
{
    for (size_t i = 1; s && i < NON_DELETE; i++)
        if (strcmp(s, on_delete_names[i]) == 0)
            return (fx_on_delete)i;
    return FX_ON_DELETE_UNKNOWN;
}

/* The kind's name, never NULL (a hand-made schema may hold anything). */
static const char *kname(fx_kind k)
{
    const char *s = fx_kind_name(k);
    return s ? s : "unknown";
}

static int is_rel(fx_kind k)
{
    return k == FX_K_FK || k == FX_K_O2O || k == FX_K_M2M;
}

static int is_int(fx_kind k)
{
    return k == FX_K_INT || k == FX_K_SMALLINT || k == FX_K_BIGINT;
}

static int parse_through(parse_ctx *c, json_object *o, fx_field_schema *f)
{
    if (!json_object_is_type(o, json_type_object))
        return bad(c, "'through' must be an object {\"table\": ..., \"from\": ..., "
                   "\"to\": ...}: fix the value");
    int rc;
    json_object_object_foreach(o, key, v) {
        if (strcmp(key, "table") == 0)
            rc = get_str(c, "through.table", v, &f->through);
        else if (strcmp(key, "from") == 0)
            rc = get_str(c, "through.from", v, &f->through_from);
        else if (strcmp(key, "to") == 0)
            rc = get_str(c, "through.to", v, &f->through_to);
        else
            rc = bad(c, "unknown key '%s' in 'through': use table, from and to", key);
        if (rc)
            return rc;
    }
    if (!f->through || !f->through_from || !f->through_to)
        return bad(c, "'through' needs 'table', 'from' and 'to': add the missing ones");
    return 0;
}

static int parse_field(parse_ctx *c, const char *name, json_object *o, fx_field_schema *f)
{
    int rc = 0;
    if (!json_object_is_type(o, json_type_object))
        return bad(c, "a field must be an object such as {\"kind\": \"char\"}: fix it");
    if (!(f->name = strdup(name)))
        return nomem(c);
    json_object *kv;
    if (!json_object_object_get_ex(o, "kind", &kv))
        return bad(c, "no 'kind': add one, such as \"kind\": \"char\"");
    f->kind = get_kind(c, "kind", kv, &rc);
    if (rc)
        return rc;
    fx_kind k = f->kind;
    if (k == FX_K_O2O)
        f->unique = 1;

    json_object_object_foreach(o, key, v) {
        const char *only = NULL;   /* set when key does not apply to k */
        long n = 0;
        if (strcmp(key, "kind") == 0) {
            continue;
        } else if (strcmp(key, "null") == 0) {
            rc = get_bool(c, key, v, &f->null);
        } else if (strcmp(key, "unique") == 0) {
            if (k == FX_K_M2M)
                only = "non-m2m";
            else if ((rc = get_bool(c, key, v, &f->unique)) == 0 && k == FX_K_O2O && !f->unique)
                rc = bad(c, "an o2o field is always unique: drop \"unique\": false, "
                         "or make it an fk");
        } else if (strcmp(key, "positive") == 0) {
            if (!is_int(k))
                only = "int, smallint and bigint";
            else
                rc = get_bool(c, key, v, &f->positive);
        } else if (strcmp(key, "max_length") == 0) {
            if (k != FX_K_CHAR)
                only = "char";
            else if ((rc = get_count(c, key, v, LONG_MAX, &n)) == 0)
                f->max_length = n;
        } else if (strcmp(key, "max_digits") == 0 || strcmp(key, "decimal_places") == 0) {
            if (k != FX_K_DECIMAL)
                only = "decimal";
            else if ((rc = get_count(c, key, v, 1000, &n)) == 0)
                *(key[0] == 'm' ? &f->max_digits : &f->decimal_places) = (int)n;
        } else if (strcmp(key, "alt_kind") == 0) {
            if (is_rel(k))
                only = "non-relation";
            else if ((f->alt_kind = get_kind(c, key, v, &rc)) != FX_K_UNKNOWN &&
                     (is_rel(f->alt_kind) || f->alt_kind == k))
                rc = bad(c, "'alt_kind' must be a kind other than the field's own and "
                         "not a relation: fix or drop it");
        } else if (strcmp(key, "to") == 0) {
            if (!is_rel(k))
                only = "fk, o2o and m2m";
            else if (!json_object_is_type(v, json_type_string))
                rc = bad(c, "'to' must be a model label string: fix the value");
            else
                rc = get_label(c, "'to'", json_object_get_string(v), &f->to);
        } else if (strcmp(key, "to_field") == 0) {
            if (k != FX_K_FK && k != FX_K_O2O)
                only = "fk and o2o";
            else
                rc = get_str(c, key, v, &f->to_field);
        } else if (strcmp(key, "on_delete") == 0) {
            if (k != FX_K_FK && k != FX_K_O2O)
                only = "fk and o2o";
            else if (!json_object_is_type(v, json_type_string) ||
                     !(f->on_delete = fx_on_delete_from_name(json_object_get_string(v))))
                rc = bad(c, "unknown on_delete %s: use Django's name: CASCADE, PROTECT, "
                         "RESTRICT, SET_NULL, SET_DEFAULT, SET or DO_NOTHING",
                         json_object_to_json_string(v));
        } else if (strcmp(key, "column") == 0) {
            if (k == FX_K_M2M)
                only = "non-m2m";
            else
                rc = get_str(c, key, v, &f->column);
        } else if (strcmp(key, "through") == 0) {
            if (k != FX_K_M2M)
                only = "m2m";
            else
                rc = parse_through(c, v, f);
        } else {
            rc = bad(c, "unknown key '%s': use kind, null, unique, positive, max_length, "
                     "max_digits, decimal_places, alt_kind, to, to_field, on_delete, "
                     "column or through", key);
        }
        if (only)
            rc = bad(c, "'%s' applies to %s fields only, not %s: drop it or fix the kind",
                     key, only, kname(k));
        if (rc)
            return rc;
    }
    if (is_rel(k) && !f->to)
        return bad(c, "a %s field needs 'to', the target model label: add it",
                   kname(k));
    if (f->max_digits >= 0 && f->decimal_places > f->max_digits)
        return bad(c, "'decimal_places' (%d) is more than 'max_digits' (%d): fix them",
                   f->decimal_places, f->max_digits);
    if ((f->max_digits < 0) != (f->decimal_places < 0))
        return bad(c, "give both 'max_digits' and 'decimal_places', or neither");
    if (f->on_delete == FX_ON_DELETE_SET_NULL && !f->null)
        return bad(c, "on_delete SET_NULL needs \"null\": true, as Django does: add it, "
                   "or fix on_delete");
    if (!f->column && k != FX_K_M2M && !(f->column = fx__default_column(name, k)))
        return nomem(c);
    return 0;
}

static int parse_pk(parse_ctx *c, json_object *o, fx_model_schema *m)
{
    int rc = 0, has_column = 0, parent_link = 0;
    if (!json_object_is_type(o, json_type_object))
        return bad(c, "'pk' must be an object such as {\"name\": \"id\", \"kind\": "
                   "\"int\"}: fix it");
    json_object_object_foreach(o, key, v) {
        if (strcmp(key, "name") == 0) {
            rc = get_str(c, "pk.name", v, &m->pk_name);
        } else if (strcmp(key, "column") == 0) {
            rc = get_str(c, "pk.column", v, &m->pk_column);
            has_column = 1;
        } else if (strcmp(key, "kind") == 0) {
            if ((m->pk_kind = get_kind(c, "pk kind", v, &rc)) != FX_K_UNKNOWN &&
                is_rel(m->pk_kind))
                rc = bad(c, "the pk kind cannot be %s: give the kind of its value, "
                         "such as int", kname(m->pk_kind));
        } else if (strcmp(key, "to") == 0) {
            if (!json_object_is_type(v, json_type_string))
                rc = bad(c, "'pk.to' must be a model label string: fix the value");
            else
                rc = get_label(c, "'pk.to'", json_object_get_string(v), &m->pk_to);
        } else if (strcmp(key, "parent_link") == 0) {
            rc = get_bool(c, "pk.parent_link", v, &parent_link);
        } else {
            rc = bad(c, "unknown key '%s' in 'pk': use name, column, kind, to and "
                     "parent_link", key);
        }
        if (rc)
            return rc;
    }
    if (parent_link && !m->pk_to)
        return bad(c, "'pk.parent_link' needs 'pk.to', the parent model: add it");
    m->pk_parent_link = parent_link;
    if (!has_column) {
        free(m->pk_column);
        if (!(m->pk_column = strdup(m->pk_name)))
            return nomem(c);
    }
    return 0;
}

/* A field name of m, or its pk name. */
static int is_name(const fx_model_schema *m, const char *name)
{
    return strcmp(name, m->pk_name) == 0 || fx_model_field(m, name) != NULL;
}

/* A list of field names, such as ["agence", "numero"], into l. */
static int parse_names(parse_ctx *c, const char *key, json_object *a,
                       const fx_model_schema *m, fx_name_list *l)
{
    if (!json_object_is_type(a, json_type_array))
        return bad(c, "'%s' must be a list of field names: fix it", key);
    size_t n = json_object_array_length(a);
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(a, i);
        if (!json_object_is_type(v, json_type_string))
            return bad(c, "'%s' must hold field names (strings): fix it", key);
        const char *s = json_object_get_string(v);
        if (!is_name(m, s))
            return bad(c, "'%s' names '%s', which is not a field of the model: "
                       "fix the name or add the field", key, s);
        if (fx__names_add(l, s))
            return nomem(c);
    }
    return 0;
}

/* A list of model labels, lower-cased into l. */
static int parse_labels(parse_ctx *c, const char *key, json_object *a, fx_name_list *l)
{
    if (!json_object_is_type(a, json_type_array))
        return bad(c, "'%s' must be a list of model labels: fix it", key);
    size_t n = json_object_array_length(a);
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(a, i);
        char *label = NULL;
        if (!json_object_is_type(v, json_type_string))
            return bad(c, "'%s' must hold model labels (strings): fix it", key);
        int rc = get_label(c, key, json_object_get_string(v), &label);
        if (!rc && fx__names_add(l, label))
            rc = nomem(c);
        free(label);
        if (rc)
            return rc;
    }
    return 0;
}

/* Meta.ordering: names such as "codename", "-name" or "content_type__model",
** whose first part must be a field of the model, its pk name or "pk". */
static int parse_ordering(parse_ctx *c, json_object *a, fx_model_schema *m)
{
    fx_name_list *l = &m->ordering;
    if (!json_object_is_type(a, json_type_array))
        return bad(c, "'ordering' must be a list of field names: fix it");
    size_t n = json_object_array_length(a);
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(a, i);
        if (!json_object_is_type(v, json_type_string))
            return bad(c, "'ordering' must hold field names (strings): fix it");
        const char *s = json_object_get_string(v), *name = s + (*s == '-');
        const char *sep = strstr(name, "__");
        size_t len = sep ? (size_t)(sep - name) : strlen(name);
        char first[256];
        snprintf(first, sizeof first, "%.*s", (int)(len < 255 ? len : 255), name);
        if (!len || (strcmp(first, "pk") != 0 && !is_name(m, first)))
            return bad(c, "'ordering' names '%s', which does not start with a field of "
                       "the model: fix the name", s);
        if (fx__names_add(l, s))
            return nomem(c);
    }
    return 0;
}

static int parse_model(parse_ctx *c, const char *label, json_object *o, fx_schema *s)
{
    int rc = 0;
    c->model = label;
    c->field = NULL;
    if (!json_object_is_type(o, json_type_object))
        return bad(c, "a model must be an object with \"fields\": fix it");
    fx_model_schema *m = fx__schema_add_model(s);
    if (!m)
        return nomem(c);
    if ((rc = get_label(c, "the label", label, &m->label)))
        return rc;
    if (fx_schema_model(s, label) != m)
        return bad(c, "the model is listed twice (labels ignore case): keep one");
    c->model = m->label;

    /* fields and pk first: unique_together and natural_key refer to them */
    json_object *v;
    if (json_object_object_get_ex(o, "pk", &v) && (rc = parse_pk(c, v, m)))
        return rc;
    if (json_object_object_get_ex(o, "fields", &v)) {
        if (!json_object_is_type(v, json_type_object))
            return bad(c, "'fields' must be an object of field name to field: fix it");
        json_object_object_foreach(v, fname, fo) {
            fx_field_schema *f = fx__model_add_field(m);
            if (!f)
                return nomem(c);
            c->field = fname;
            if (strcmp(fname, m->pk_name) == 0)
                return bad(c, "'%s' is the primary key: describe it under 'pk', "
                           "not 'fields'", fname);
            if ((rc = parse_field(c, fname, fo, f)))
                return rc;
        }
        c->field = NULL;
    }
    json_object_object_foreach(o, key, val) {
        if (strcmp(key, "table") == 0) {
            rc = get_str(c, key, val, &m->table);
        } else if (strcmp(key, "unique_together") == 0) {
            if (!json_object_is_type(val, json_type_array))
                return bad(c, "'unique_together' must be a list of lists of field "
                           "names: fix it");
            size_t n = json_object_array_length(val);
            if (n && !(m->unique_together = calloc(n, sizeof *m->unique_together)))
                return nomem(c);
            for (size_t i = 0; i < n && !rc; i++) {
                m->nunique_together++;
                rc = parse_names(c, key, json_object_array_get_idx(val, i), m,
                                 &m->unique_together[i]);
                if (!rc && m->unique_together[i].n == 0)
                    rc = bad(c, "an empty set in 'unique_together': drop it");
            }
        } else if (strcmp(key, "natural_key") == 0) {
            rc = parse_names(c, key, val, m, &m->natural_key);
        } else if (strcmp(key, "proxy") == 0) {
            if (!json_object_is_type(val, json_type_string))
                rc = bad(c, "'proxy' must be the label of the model it stands for: fix it");
            else
                rc = get_label(c, "'proxy'", json_object_get_string(val), &m->proxy);
        } else if (strcmp(key, "dependencies") == 0) {
            rc = parse_labels(c, key, val, &m->dependencies);
        } else if (strcmp(key, "ordering") == 0) {
            rc = parse_ordering(c, val, m);
        } else if (strcmp(key, "pk") != 0 && strcmp(key, "fields") != 0) {
            rc = bad(c, "unknown key '%s': use table, proxy, pk, fields, unique_together, "
                     "natural_key, dependencies or ordering", key);
        }
        if (rc)
            return rc;
    }
    if (!m->table) {
        if (!(m->table = strdup(m->label)))
            return nomem(c);
        *strchr(m->table, '.') = '_';
    }
    c->model = NULL;
    return 0;
}

/* Line and column (1-based, columns in code points) of byte off of text. */
static void text_pos(const char *text, size_t off, unsigned long *line, unsigned long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

/* Tokenise json[0..n) strictly into *root (NULL for JSON null); on error
** set err with the position and return FX_ESCHEMA or FX_ENOMEM. */
static int tokenise(json_object **root, const char *json, size_t n, const char *name,
                    fx_error *err)
{
    *root = NULL;
    size_t skip = n >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if (n > INT_MAX)
        return fx_error_set(err, FX_ESCHEMA, name, 0, 0, 0,
                            "schema file too large (%zu bytes): a schema file is "
                            "small JSON, check the file given", n);
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return fx_error_set(err, FX_ENOMEM, name, 0, 0, 0,
                            "out of memory reading the schema: free some memory and try again");
#ifdef JSON_TOKENER_ALLOW_TRAILING_CHARS   /* json-c 0.16: we say it better */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
#else
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
#endif
    *root = json_tokener_parse_ex(tok, json + skip, (int)(n - skip));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = skip + json_tokener_get_parse_end(tok);
    const char *why = NULL;
    if (jerr == json_tokener_continue)
        why = "unexpected end of file";
    else if (jerr != json_tokener_success)
        why = json_tokener_error_desc(jerr);
    else {
        while (end < n && json[end] && strchr(" \t\r\n", json[end]))
            end++;
        if (end < n)
            why = "text after the JSON value";
    }
    json_tokener_free(tok);
    if (why) {
        unsigned long line, col;
        if (end > n)
            end = n;
        text_pos(json, end, &line, &col);
        json_object_put(*root);
        *root = NULL;
        return fx_error_set(err, FX_ESCHEMA, name, line, col, end,
                            "not valid JSON (%s): fix the schema file at the place "
                            "given", why);
    }
    return 0;
}

/* On success *out belongs to the caller (fx_schema_free()); on failure *out
** is NULL and err says why (FX_ESCHEMA, FX_ENOMEM).  source is the file's
** "source" member, else a copy of name (NULL if name is NULL). */
int fx_schema_parse(fx_schema **out, const char *json, size_t n, const char *name,
                    fx_error *err)
{
    json_object *root;
    *out = NULL;
    int rc = tokenise(&root, json, n, name, err);
    if (rc)
        return rc;
    parse_ctx c = {name, err, NULL, NULL};
    fx_schema *s = calloc(1, sizeof *s);
    if (!s) {
        json_object_put(root);
        return nomem(&c);
    }

    json_object *v;
    if (!json_object_is_type(root, json_type_object)) {
        rc = bad(&c, "not a schema file: it holds a JSON %s, not an object with "
                 "\"fx_schema\": %d: pass a schema file or a database made by "
                 "Django's migrate", json_type_to_name(json_object_get_type(root)),
                 SCHEMA_VERSION);
    } else if (!json_object_object_get_ex(root, "fx_schema", &v)) {
        rc = bad(&c, "not a schema file: no \"fx_schema\" key: pass a schema file "
                 "(see schemas/README.md) or a database made by Django's migrate");
    } else if (!json_object_is_type(v, json_type_int) ||
               json_object_get_int64(v) != SCHEMA_VERSION) {
        rc = bad(&c, "unsupported schema file version %s: this fx reads version %d; "
                 "use a newer fx, or make the file anew from the database",
                 json_object_to_json_string(v), SCHEMA_VERSION);
    }
    if (rc == 0) {
        json_object_object_foreach(root, key, val) {
            if (strcmp(key, "fx_schema") == 0 || strcmp(key, "$schema") == 0) {
                continue;
            } else if (strcmp(key, "source") == 0) {
                rc = get_str(&c, key, val, &s->source);
            } else if (strcmp(key, "models") == 0) {
                if (!json_object_is_type(val, json_type_object)) {
                    rc = bad(&c, "'models' must be an object of label to model: fix it");
                } else {
                    json_object_object_foreach(val, label, mo) {
                        if ((rc = parse_model(&c, label, mo, s)))
                            break;
                    }
                }
            } else {
                rc = bad(&c, "unknown key '%s' at the top: use fx_schema, source and "
                         "models", key);
            }
            if (rc)
                break;
        }
    }
    if (rc == 0 && !s->source && name && !(s->source = strdup(name)))
        rc = nomem(&c);
    json_object_put(root);
    if (rc) {
        fx_schema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---------------------------------------------------------------- write */

#define TRY(x) do { if ((x) < 0) return FX_ENOMEM; } while (0)

/* s as a JSON string: quotes, backslashes and control characters escaped,
** everything else (UTF-8 included) as is. */
static int put_str(fx_buf *b, const char *s)
{
    TRY(fx_buf_addc(b, '"'));
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            TRY(fx_buf_addc(b, '\\'));
            TRY(fx_buf_addc(b, (char)ch));
        } else if (ch == '\n') {
            TRY(fx_buf_adds(b, "\\n"));
        } else if (ch == '\t') {
            TRY(fx_buf_adds(b, "\\t"));
        } else if (ch < 0x20) {
            TRY(fx_buf_printf(b, "\\u%04x", ch));
        } else {
            TRY(fx_buf_addc(b, (char)ch));
        }
    }
    return fx_buf_addc(b, '"');
}

/* ", "key": " before the first member, "key": */
static int put_key(fx_buf *b, int *first, const char *key)
{
    if (!*first)
        TRY(fx_buf_adds(b, ", "));
    *first = 0;
    TRY(put_str(b, key));
    return fx_buf_adds(b, ": ");
}

static int put_names(fx_buf *b, const fx_name_list *l)
{
    TRY(fx_buf_addc(b, '['));
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            TRY(fx_buf_adds(b, ", "));
        TRY(put_str(b, l->names[i]));
    }
    return fx_buf_addc(b, ']');
}

/* One field on one line: {"kind": ..., ...} with defaults left out. */
static int put_field(fx_buf *b, const fx_field_schema *f)
{
    int first = 1;
    TRY(fx_buf_addc(b, '{'));
    TRY(put_key(b, &first, "kind"));
    TRY(put_str(b, kname(f->kind)));
    if (f->alt_kind != FX_K_UNKNOWN) {
        TRY(put_key(b, &first, "alt_kind"));
        TRY(put_str(b, kname(f->alt_kind)));
    }
    if (f->max_length >= 0) {
        TRY(put_key(b, &first, "max_length"));
        TRY(fx_buf_printf(b, "%ld", f->max_length));
    }
    if (f->max_digits >= 0) {
        TRY(put_key(b, &first, "max_digits"));
        TRY(fx_buf_printf(b, "%d", f->max_digits));
    }
    if (f->decimal_places >= 0) {
        TRY(put_key(b, &first, "decimal_places"));
        TRY(fx_buf_printf(b, "%d", f->decimal_places));
    }
    if (f->to) {
        TRY(put_key(b, &first, "to"));
        TRY(put_str(b, f->to));
    }
    if (f->to_field) {
        TRY(put_key(b, &first, "to_field"));
        TRY(put_str(b, f->to_field));
    }
    if (fx_on_delete_name(f->on_delete) && (f->kind == FX_K_FK || f->kind == FX_K_O2O)) {
        TRY(put_key(b, &first, "on_delete"));
        TRY(put_str(b, fx_on_delete_name(f->on_delete)));
    }
    if (f->column && f->kind != FX_K_M2M) {
        char *def = fx__default_column(f->name, f->kind);
        if (!def)
            return FX_ENOMEM;
        int same = strcmp(def, f->column) == 0;
        free(def);
        if (!same) {
            TRY(put_key(b, &first, "column"));
            TRY(put_str(b, f->column));
        }
    }
    if (f->through && f->kind == FX_K_M2M) {
        TRY(put_key(b, &first, "through"));
        TRY(fx_buf_adds(b, "{\"table\": "));
        TRY(put_str(b, f->through));
        TRY(fx_buf_adds(b, ", \"from\": "));
        TRY(put_str(b, f->through_from ? f->through_from : ""));
        TRY(fx_buf_adds(b, ", \"to\": "));
        TRY(put_str(b, f->through_to ? f->through_to : ""));
        TRY(fx_buf_addc(b, '}'));
    }
    if (f->null) {
        TRY(put_key(b, &first, "null"));
        TRY(fx_buf_adds(b, "true"));
    }
    if (f->unique && f->kind != FX_K_O2O) {
        TRY(put_key(b, &first, "unique"));
        TRY(fx_buf_adds(b, "true"));
    }
    if (f->positive) {
        TRY(put_key(b, &first, "positive"));
        TRY(fx_buf_adds(b, "true"));
    }
    return fx_buf_addc(b, '}');
}

/* The pk object with defaults left out, or nothing when all are default. */
static int put_pk(fx_buf *b, const fx_model_schema *m)
{
    const char *pk_name = m->pk_name ? m->pk_name : "id";
    const char *pk_column = m->pk_column ? m->pk_column : pk_name;
    int name = strcmp(pk_name, "id") != 0;
    int column = strcmp(pk_column, pk_name) != 0;
    int kind = m->pk_kind != FX_K_INT;
    int first = 1;
    if (!name && !column && !kind && !m->pk_to)
        return 0;
    TRY(fx_buf_adds(b, "      \"pk\": {"));
    if (name) {
        TRY(put_key(b, &first, "name"));
        TRY(put_str(b, pk_name));
    }
    if (column) {
        TRY(put_key(b, &first, "column"));
        TRY(put_str(b, pk_column));
    }
    if (kind) {
        TRY(put_key(b, &first, "kind"));
        TRY(put_str(b, kname(m->pk_kind)));
    }
    if (m->pk_to) {
        TRY(put_key(b, &first, "to"));
        TRY(put_str(b, m->pk_to));
    }
    if (m->pk_to && m->pk_parent_link) {
        TRY(put_key(b, &first, "parent_link"));
        TRY(fx_buf_adds(b, "true"));
    }
    return fx_buf_adds(b, "},\n");
}

static int put_model(fx_buf *b, const fx_model_schema *m)
{
    TRY(fx_buf_adds(b, "    "));
    TRY(put_str(b, m->label));
    TRY(fx_buf_adds(b, ": {\n"));

    /* the default table is the label with '_' for '.' */
    const char *dot = strchr(m->label, '.');
    size_t al = dot ? (size_t)(dot - m->label) : 0;
    if (!dot || strlen(m->table) != strlen(m->label) ||
        strncmp(m->table, m->label, al) != 0 || m->table[al] != '_' ||
        strcmp(m->table + al + 1, dot + 1) != 0) {
        TRY(fx_buf_adds(b, "      \"table\": "));
        TRY(put_str(b, m->table));
        TRY(fx_buf_adds(b, ",\n"));
    }
    if (m->proxy) {
        TRY(fx_buf_adds(b, "      \"proxy\": "));
        TRY(put_str(b, m->proxy));
        TRY(fx_buf_adds(b, ",\n"));
    }
    TRY(put_pk(b, m));
    TRY(fx_buf_adds(b, "      \"fields\": {"));
    for (size_t i = 0; i < m->nfields; i++) {
        TRY(fx_buf_adds(b, i ? ",\n        " : "\n        "));
        TRY(put_str(b, m->fields[i].name));
        TRY(fx_buf_adds(b, ": "));
        TRY(put_field(b, &m->fields[i]));
    }
    TRY(fx_buf_adds(b, m->nfields ? "\n      }" : "}"));
    if (m->nunique_together) {
        TRY(fx_buf_adds(b, ",\n      \"unique_together\": ["));
        for (size_t i = 0; i < m->nunique_together; i++) {
            if (i)
                TRY(fx_buf_adds(b, ", "));
            TRY(put_names(b, &m->unique_together[i]));
        }
        TRY(fx_buf_addc(b, ']'));
    }
    if (m->natural_key.n) {
        TRY(fx_buf_adds(b, ",\n      \"natural_key\": "));
        TRY(put_names(b, &m->natural_key));
    }
    if (m->dependencies.n) {
        TRY(fx_buf_adds(b, ",\n      \"dependencies\": "));
        TRY(put_names(b, &m->dependencies));
    }
    if (m->ordering.n) {
        TRY(fx_buf_adds(b, ",\n      \"ordering\": "));
        TRY(put_names(b, &m->ordering));
    }
    return fx_buf_adds(b, "\n    }");
}

/* Appends the whole file, ending with a newline.  Returns 0, or FX_ENOMEM
** (out may then hold part of it). */
int fx_schema_write(fx_buf *out, const fx_schema *s)
{
    TRY(fx_buf_printf(out, "{\n  \"fx_schema\": %d,\n", SCHEMA_VERSION));
    if (s->source) {
        TRY(fx_buf_adds(out, "  \"source\": "));
        TRY(put_str(out, s->source));
        TRY(fx_buf_adds(out, ",\n"));
    }
    TRY(fx_buf_adds(out, "  \"models\": {"));
    for (size_t i = 0; i < s->nmodels; i++) {
        TRY(fx_buf_adds(out, i ? ",\n" : "\n"));
        TRY(put_model(out, &s->models[i]));
    }
    return fx_buf_adds(out, s->nmodels ? "\n  }\n}\n" : "}\n}\n");
}

/* ---------------------------------------------------------------- load */

static const char sqlite_magic[16] = "SQLite format 3";   /* with its NUL */

#define LOAD_HINT "pass a schema file (JSON) or a SQLite database made by Django's migrate"

/* Read all of f into *out (malloc; the caller frees). */
static int slurp(FILE *f, char **out, size_t *n)
{
    size_t cap = 8192, len = 0;
    char *p = malloc(cap);
    if (!p)
        return FX_ENOMEM;
    for (;;) {
        len += fread(p + len, 1, cap - len, f);
        if (len < cap)
            break;
        char *q = cap > SIZE_MAX / 2 ? NULL : realloc(p, cap *= 2);
        if (!q) {
            free(p);
            return FX_ENOMEM;
        }
        p = q;
    }
    if (ferror(f)) {
        free(p);
        return FX_EIO;
    }
    *out = p;
    *n = len;
    return 0;
}

/* spec is "sqlite:PATH" (always a database) or a path, told apart by its
** first 16 bytes.  *out is NULL on failure. */
int fx_schema_load(fx_schema **out, const char *spec, fx_error *err)
{
    *out = NULL;
    if (!spec || !*spec)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "no schema given: " LOAD_HINT);
    int want_db = strncmp(spec, "sqlite:", 7) == 0;
    const char *path = want_db ? spec + 7 : spec;
    FILE *f = fopen(path, "rb");
    if (!f && fx_target_is_pg(spec)) {   /* never print its password */
        char name[512];
        fx_target_mask(name, sizeof name, spec);
        return fx_error_set(err, FX_EUSAGE, name, 0, 0, 0, "'%s' is a PostgreSQL "
                            "database, not a file: " LOAD_HINT, name);
    }
    if (!f)
        return fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot open schema '%s' (%s): "
                            LOAD_HINT, path, strerror(errno));
    char head[16];
    size_t nh = fread(head, 1, sizeof head, f);
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        return fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot read schema '%s' (%s): "
                            LOAD_HINT, path, strerror(e));
    }
    if (nh == sizeof head && memcmp(head, sqlite_magic, sizeof head) == 0) {
        fclose(f);
        return fx__schema_sqlite(out, path, err);
    }
    if (want_db) {
        fclose(f);
        return fx_error_set(err, FX_ESCHEMA, path, 0, 0, 0, "'%s' is not a SQLite "
                            "database: pass the database file migrate made, or a "
                            "schema file without 'sqlite:'", path);
    }
    for (size_t i = 0; i < nh; i++)
        if ((unsigned char)head[i] < 0x20 && (!head[i] || !strchr("\t\n\r", head[i]))) {
            fclose(f);
            return fx_error_set(err, FX_ESCHEMA, path, 0, 0, 0, "'%s' is neither a "
                                "schema file nor a SQLite database (it is binary): "
                                LOAD_HINT, path);
        }
    rewind(f);
    char *text;
    size_t n;
    int rc = slurp(f, &text, &n);
    fclose(f);
    if (rc == FX_ENOMEM)
        return fx_error_set(err, rc, path, 0, 0, 0, "out of memory reading schema "
                            "'%s': free some memory and try again", path);
    if (rc)
        return fx_error_set(err, rc, path, 0, 0, 0, "cannot read schema '%s': "
                            LOAD_HINT, path);
    rc = fx_schema_parse(out, text, n, path, err);
    free(text);
    return rc;
}
