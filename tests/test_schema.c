/*
** test_schema.c: unit tests of the schema module (schema.c, and the
** SQLite catalog in db_sqlite.c): introspection of the reference app's database, schema
** file parsing and its errors, writing and the round trip, and the
** hand-written schemas/erp.json checked against the database.
**
** Data: $FX_TESTDATA (default "testdata") holds empty.sqlite3, the
** reference app's database after migrate; schemas/erp.json is found in
** $FX_SCHEMAS (default "$FX_TESTDATA/../schemas").
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fixture.h"

static char tmpdir[64];

static const char *testdata(void)
{
    const char *d = getenv("FX_TESTDATA");
    return d && *d ? d : "testdata";
}

/* A path under dir; static storage, two at a time. */
static const char *path_in(const char *dir, const char *name)
{
    static char bufs[2][1024];
    static int which;
    char *b = bufs[which ^= 1];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static const char *db_path(void)
{
    return path_in(testdata(), "empty.sqlite3");
}

static const char *erp_path(void)
{
    const char *d = getenv("FX_SCHEMAS");
    if (d && *d)
        return path_in(d, "erp.json");
    static char b[1024];
    snprintf(b, sizeof b, "%s/../schemas/erp.json", testdata());
    return b;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static fx_schema *load_ok(const char *spec)
{
    fx_schema *s = NULL;
    fx_error err = {0};
    int rc = fx_schema_load(&s, spec, &err);
    if (rc)
        print_error("%s: %s\n", spec, err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(s);
    return s;
}

static fx_schema *parse_ok(const char *json)
{
    fx_schema *s = NULL;
    fx_error err = {0};
    int rc = fx_schema_parse(&s, json, strlen(json), "test.json", &err);
    if (rc)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return s;
}

/* Parse must fail with code and a message holding want. */
static void parse_fails(const char *json, int code, const char *want)
{
    fx_schema *s = (fx_schema *)1;
    fx_error err = {0};
    int rc = fx_schema_parse(&s, json, strlen(json), "bad.json", &err);
    assert_int_equal(rc, code);
    assert_null(s);
    assert_int_equal(err.code, code);
    assert_string_equal(err.file, "bad.json");
    if (!strstr(err.msg, want))
        print_error("message \"%s\" lacks \"%s\"\n", err.msg, want);
    assert_non_null(strstr(err.msg, want));
}

static const fx_model_schema *model(const fx_schema *s, const char *label)
{
    const fx_model_schema *m = fx_schema_model(s, label);
    if (!m)
        print_error("no model %s\n", label);
    assert_non_null(m);
    return m;
}

static const fx_field_schema *field(const fx_model_schema *m, const char *name)
{
    const fx_field_schema *f = fx_model_field(m, name);
    if (!f)
        print_error("no field %s.%s\n", m->label, name);
    assert_non_null(f);
    return f;
}

static void assert_names(const fx_name_list *l, size_t n, ...)
{
    va_list ap;
    assert_int_equal(l->n, n);
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(l->names[i], va_arg(ap, const char *));
    va_end(ap);
}

static char *write_text(const fx_schema *s)
{
    fx_buf b = FX_BUF_INIT;
    assert_int_equal(fx_schema_write(&b, s), 0);
    return b.data;   /* the caller frees */
}

/* ---------------------------------------------------------------- setup */

static int group_setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/fx-test-schema-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    const char *names[] = {"nodjango.sqlite3", "schema.json", "fixture.json", "odd%?#.json"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unlink(path_in(tmpdir, names[i]));
    return rmdir(tmpdir);
}

/* ---------------------------------------------------------------- introspection */

static void test_introspect_models(void **state)
{
    (void)state;
    fx_schema *s = load_ok(db_path());
    static const char *labels[] = {
        "contenttypes.contenttype", "auth.permission", "auth.group", "auth.user",
        "supermarket.agence", "supermarket.categorie", "supermarket.client",
        "supermarket.commande", "supermarket.fournisseur", "supermarket.produit",
        "supermarket.mouvementstock", "supermarket.lignecommande"};
    assert_int_equal(s->nmodels, sizeof labels / sizeof *labels);
    for (size_t i = 0; i < s->nmodels; i++)
        assert_string_equal(s->models[i].label, labels[i]);
    char src[1100];
    snprintf(src, sizeof src, "sqlite:%s", db_path());
    assert_string_equal(s->source, src);

    assert_string_equal(model(s, "contenttypes.contenttype")->table, "django_content_type");
    const fx_model_schema *m = model(s, "Supermarket.PRODUIT");   /* any case */
    assert_string_equal(m->label, "supermarket.produit");
    assert_string_equal(m->table, "supermarket_produit");
    assert_string_equal(m->pk_name, "id");
    assert_string_equal(m->pk_column, "id");
    assert_int_equal(m->pk_kind, FX_K_INT);
    assert_null(fx_schema_model(s, "supermarket.nothing"));
    assert_null(fx_model_field(m, "Reference"));   /* field names are exact */
    assert_null(fx_model_field(m, "id"));          /* the pk is no field */
    fx_schema_free(s);
}

static void test_introspect_produit(void **state)
{
    (void)state;
    fx_schema *s = load_ok(db_path());
    const fx_model_schema *m = model(s, "supermarket.produit");
    static const struct { const char *name; fx_kind kind; long max_length; } want[] = {
        {"reference", FX_K_CHAR, 30}, {"designation", FX_K_CHAR, 200},
        {"prix_achat", FX_K_DECIMAL, -1}, {"prix_vente", FX_K_DECIMAL, -1},
        {"tva", FX_K_FLOAT, -1}, {"code_barre", FX_K_CHAR, 13},
        {"attributs", FX_K_JSON, -1}, {"actif", FX_K_BOOL, -1},
        {"cree_le", FX_K_DATETIME, -1}, {"categorie", FX_K_FK, -1},
        {"fournisseurs", FX_K_M2M, -1}};
    assert_int_equal(m->nfields, sizeof want / sizeof *want);
    for (size_t i = 0; i < m->nfields; i++) {
        const fx_field_schema *f = &m->fields[i];
        assert_string_equal(f->name, want[i].name);
        assert_int_equal(f->kind, want[i].kind);
        assert_int_equal(f->max_length, want[i].max_length);
        assert_int_equal(f->null, 0);
        assert_int_equal(f->unique, i == 0);
        assert_int_equal(f->alt_kind, FX_K_UNKNOWN);
    }
    const fx_field_schema *f = field(m, "prix_vente");
    assert_int_equal(f->max_digits, -1);       /* SQLite does not keep them */
    assert_int_equal(f->decimal_places, -1);
    assert_string_equal(f->column, "prix_vente");

    f = field(m, "categorie");
    assert_string_equal(f->to, "supermarket.categorie");
    assert_string_equal(f->column, "categorie_id");
    assert_null(f->to_field);

    f = field(m, "fournisseurs");
    assert_string_equal(f->to, "supermarket.fournisseur");
    assert_null(f->column);
    assert_string_equal(f->through, "supermarket_produit_fournisseurs");
    assert_string_equal(f->through_from, "produit_id");
    assert_string_equal(f->through_to, "fournisseur_id");
    assert_int_equal(m->nunique_together, 0);
    assert_names(&m->natural_key, 1, "reference");
    fx_schema_free(s);
}

static void test_introspect_facts(void **state)
{
    (void)state;
    fx_schema *s = load_ok(db_path());

    const fx_model_schema *m = model(s, "supermarket.commande");
    assert_int_equal(m->nunique_together, 1);
    assert_names(&m->unique_together[0], 2, "agence", "numero");
    assert_names(&m->natural_key, 2, "agence", "numero");
    assert_int_equal(field(m, "vendeur")->kind, FX_K_FK);
    assert_string_equal(field(m, "vendeur")->to, "auth.user");
    assert_int_equal(field(m, "vendeur")->null, 1);

    assert_names(&model(s, "supermarket.agence")->natural_key, 1, "code");
    assert_names(&model(s, "supermarket.categorie")->natural_key, 1, "code");
    assert_names(&model(s, "auth.user")->natural_key, 1, "username");
    assert_names(&model(s, "auth.group")->natural_key, 1, "name");
    /* Django's own, not the unique_together order (content_type, codename) */
    assert_names(&model(s, "auth.permission")->natural_key, 2, "codename", "content_type");
    assert_names(&model(s, "contenttypes.contenttype")->natural_key, 2, "app_label", "model");
    assert_int_equal(model(s, "supermarket.fournisseur")->natural_key.n, 0);
    assert_int_equal(model(s, "supermarket.lignecommande")->natural_key.n, 0);

    const fx_field_schema *f = field(model(s, "supermarket.mouvementstock"), "duree_traitement");
    assert_int_equal(f->kind, FX_K_BIGINT);
    assert_int_equal(f->alt_kind, FX_K_DURATION);
    assert_int_equal(f->null, 1);
    assert_int_equal(f->positive, 0);
    assert_int_equal(field(model(s, "supermarket.mouvementstock"), "heure")->kind, FX_K_TIME);

    m = model(s, "supermarket.client");
    f = field(m, "uid");
    assert_int_equal(f->kind, FX_K_UUID);
    assert_int_equal(f->unique, 1);
    assert_int_equal(f->null, 0);
    assert_int_equal(field(m, "date_naissance")->kind, FX_K_DATE);
    assert_int_equal(field(m, "date_naissance")->null, 1);
    assert_int_equal(field(m, "notes")->kind, FX_K_TEXT);
    assert_int_equal(field(m, "points_fidelite")->kind, FX_K_INT);

    f = field(model(s, "supermarket.categorie"), "parent");
    assert_int_equal(f->kind, FX_K_FK);
    assert_string_equal(f->to, "supermarket.categorie");
    assert_string_equal(f->column, "parent_id");
    assert_int_equal(f->null, 1);

    assert_int_equal(field(model(s, "supermarket.lignecommande"), "remise")->kind,
                     FX_K_SMALLINT);

    m = model(s, "auth.user");
    assert_int_equal(m->nfields, 12);
    f = field(m, "user_permissions");
    assert_int_equal(f->kind, FX_K_M2M);
    assert_string_equal(f->to, "auth.permission");
    assert_string_equal(f->through, "auth_user_user_permissions");
    assert_string_equal(f->through_from, "user_id");
    assert_string_equal(f->through_to, "permission_id");
    assert_string_equal(m->fields[10].name, "groups");
    assert_string_equal(m->fields[11].name, "user_permissions");

    m = model(s, "auth.permission");
    assert_int_equal(field(m, "content_type")->kind, FX_K_FK);
    assert_string_equal(field(m, "content_type")->to, "contenttypes.contenttype");
    assert_names(&m->unique_together[0], 2, "content_type", "codename");
    fx_schema_free(s);
}

/* A database with more shapes than the reference app: self-referential
** m2m, o2o, unsigned integers, to_field, own pk. */
static void test_introspect_shapes(void **state)
{
    (void)state;
    const char *path = path_in(tmpdir, "nodjango.sqlite3");
    unlink(path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    const char *sql =
        "CREATE TABLE django_content_type (id integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
        " app_label varchar(100) NOT NULL, model varchar(100) NOT NULL);"
        "INSERT INTO django_content_type (app_label, model) VALUES"
        " ('shop', 'person'), ('shop', 'profile'), ('shop', 'proxyperson'),"
        " ('shop', 'tag');"
        "CREATE TABLE \"shop_person\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
        " \"age\" smallint unsigned NOT NULL CHECK (\"age\" >= 0),"
        " \"big\" bigint unsigned NULL, \"ip\" char(39) NULL, \"data\" BLOB NULL);"
        "CREATE TABLE \"shop_person_friends\" (\"id\" integer NOT NULL PRIMARY KEY"
        " AUTOINCREMENT, \"from_person_id\" integer NOT NULL REFERENCES \"shop_person\""
        " (\"id\"), \"to_person_id\" integer NOT NULL REFERENCES \"shop_person\" (\"id\"));"
        "CREATE TABLE \"shop_tag\" (\"slug\" varchar(50) NOT NULL PRIMARY KEY);"
        "CREATE TABLE \"shop_profile\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
        " \"person_id\" integer NOT NULL UNIQUE REFERENCES \"shop_person\" (\"id\"),"
        " \"tag_id\" varchar(50) NULL REFERENCES \"shop_tag\" (\"slug\"),"
        " \"code\" varchar(10) NOT NULL UNIQUE);";
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    char spec[1100];
    snprintf(spec, sizeof spec, "sqlite:%s", path);
    fx_schema *s = load_ok(spec);
    assert_int_equal(s->nmodels, 3);   /* the proxy has no table */
    const fx_model_schema *m = model(s, "shop.person");
    assert_int_equal(m->nfields, 5);
    assert_int_equal(field(m, "age")->kind, FX_K_SMALLINT);
    assert_int_equal(field(m, "age")->positive, 1);
    assert_int_equal(field(m, "big")->kind, FX_K_BIGINT);
    assert_int_equal(field(m, "big")->positive, 1);
    assert_int_equal(field(m, "big")->alt_kind, FX_K_UNKNOWN);
    assert_int_equal(field(m, "ip")->kind, FX_K_CHAR);
    assert_int_equal(field(m, "ip")->max_length, 39);
    assert_int_equal(field(m, "data")->kind, FX_K_BINARY);
    const fx_field_schema *f = field(m, "friends");
    assert_int_equal(f->kind, FX_K_M2M);
    assert_string_equal(f->to, "shop.person");
    assert_string_equal(f->through_from, "from_person_id");
    assert_string_equal(f->through_to, "to_person_id");

    m = model(s, "shop.tag");
    assert_string_equal(m->pk_name, "slug");
    assert_int_equal(m->pk_kind, FX_K_CHAR);
    assert_int_equal(m->nfields, 0);

    m = model(s, "shop.profile");
    f = field(m, "person");
    assert_int_equal(f->kind, FX_K_O2O);
    assert_int_equal(f->unique, 1);
    f = field(m, "tag");
    assert_int_equal(f->kind, FX_K_FK);
    assert_string_equal(f->to, "shop.tag");
    assert_null(f->to_field);   /* slug is the tag's pk */
    assert_int_equal(m->natural_key.n, 0);   /* two unique fields: no guess */

    /* and it writes and reads back */
    char *a = write_text(s);
    fx_schema *t = parse_ok(a);
    char *b = write_text(t);
    assert_string_equal(a, b);
    free(a);
    free(b);
    fx_schema_free(t);
    fx_schema_free(s);
}

/* ---------------------------------------------------------------- round trip */

static void test_roundtrip(void **state)
{
    (void)state;
    fx_schema *s = load_ok(db_path());
    char *a = write_text(s);
    fx_schema *t = parse_ok(a);
    assert_string_equal(t->source, s->source);
    assert_int_equal(t->nmodels, s->nmodels);
    for (size_t i = 0; i < s->nmodels; i++) {
        const fx_model_schema *x = &s->models[i], *y = &t->models[i];
        assert_string_equal(x->label, y->label);
        assert_string_equal(x->table, y->table);
        assert_int_equal(x->nfields, y->nfields);
        for (size_t j = 0; j < x->nfields; j++) {
            const fx_field_schema *f = &x->fields[j], *g = &y->fields[j];
            assert_string_equal(f->name, g->name);
            assert_int_equal(f->kind, g->kind);
            assert_int_equal(f->alt_kind, g->alt_kind);
            assert_int_equal(f->null, g->null);
            assert_int_equal(f->unique, g->unique);
            assert_int_equal(f->max_length, g->max_length);
            assert_int_equal(f->max_digits, g->max_digits);
            if (f->column)
                assert_string_equal(f->column, g->column);
            else
                assert_null(g->column);
        }
    }
    char *b = write_text(t);
    assert_string_equal(a, b);
    free(a);
    free(b);
    fx_schema_free(t);
    fx_schema_free(s);
}

static void test_roundtrip_escapes(void **state)
{
    (void)state;
    const char *json =
        "{\"fx_schema\": 1, \"source\": \"a \\\"b\\\"\\\\c\\n\\u0001é\", \"models\": {"
        "\"App.Weird\": {\"table\": \"t\\\"x\", \"pk\": {\"name\": \"code\", \"kind\": \"char\"},"
        " \"fields\": {\"na\\\"me\": {\"kind\": \"char\"}}}, \"app.empty\": {}}}";
    fx_schema *s = parse_ok(json);
    assert_string_equal(s->source, "a \"b\"\\c\n\001é");
    const fx_model_schema *m = model(s, "app.weird");
    assert_string_equal(m->table, "t\"x");
    assert_string_equal(m->pk_column, "code");
    assert_int_equal(m->fields[0].max_length, -1);
    assert_int_equal(model(s, "app.empty")->nfields, 0);
    assert_string_equal(model(s, "app.empty")->table, "app_empty");
    char *a = write_text(s);
    fx_schema *t = parse_ok(a);
    char *b = write_text(t);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "\"source\": \"a \\\"b\\\"\\\\c\\n\\u0001é\""));
    assert_non_null(strstr(a, "\"app.empty\": {\n      \"fields\": {}\n    }"));
    free(a);
    free(b);
    fx_schema_free(t);
    fx_schema_free(s);
}

/* ---------------------------------------------------------------- schema files */

static const char *example =
    "{\n"
    "  \"fx_schema\": 1,\n"
    "  \"models\": {\n"
    "    \"Supermarket.Produit\": {\n"
    "      \"fields\": {\n"
    "        \"reference\": {\"kind\": \"char\", \"max_length\": 30, \"unique\": true},\n"
    "        \"prix_vente\": {\"kind\": \"decimal\", \"max_digits\": 12, \"decimal_places\": 2},\n"
    "        \"categorie\": {\"kind\": \"fk\", \"to\": \"Supermarket.Categorie\"},\n"
    "        \"profil\": {\"kind\": \"o2o\", \"to\": \"app.profil\", \"to_field\": \"code\"},\n"
    "        \"fournisseurs\": {\"kind\": \"m2m\", \"to\": \"supermarket.fournisseur\"},\n"
    "        \"duree\": {\"kind\": \"bigint\", \"alt_kind\": \"duration\", \"null\": true},\n"
    "        \"n\": {\"kind\": \"int\", \"positive\": true, \"column\": \"nombre\"}\n"
    "      },\n"
    "      \"unique_together\": [[\"reference\", \"categorie\"], [\"id\"]]\n"
    "    }\n"
    "  }\n"
    "}\n";

static void test_parse_defaults(void **state)
{
    (void)state;
    fx_schema *s = parse_ok(example);
    assert_string_equal(s->source, "test.json");   /* no "source": the name */
    const fx_model_schema *m = model(s, "supermarket.produit");
    assert_string_equal(m->label, "supermarket.produit");
    assert_string_equal(m->table, "supermarket_produit");
    assert_string_equal(m->pk_name, "id");
    assert_string_equal(m->pk_column, "id");
    assert_int_equal(m->pk_kind, FX_K_INT);
    assert_int_equal(m->nfields, 7);
    static const char *order[] = {"reference", "prix_vente", "categorie", "profil",
                                  "fournisseurs", "duree", "n"};
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(m->fields[i].name, order[i]);

    const fx_field_schema *f = field(m, "reference");
    assert_string_equal(f->column, "reference");
    assert_int_equal(f->max_length, 30);
    assert_int_equal(f->unique, 1);
    assert_int_equal(f->null, 0);
    f = field(m, "prix_vente");
    assert_int_equal(f->max_digits, 12);
    assert_int_equal(f->decimal_places, 2);
    assert_int_equal(f->max_length, -1);
    f = field(m, "categorie");
    assert_string_equal(f->to, "supermarket.categorie");   /* lower-cased */
    assert_string_equal(f->column, "categorie_id");
    f = field(m, "profil");
    assert_int_equal(f->unique, 1);                        /* o2o implies it */
    assert_string_equal(f->to_field, "code");
    assert_string_equal(f->column, "profil_id");
    f = field(m, "fournisseurs");
    assert_null(f->column);
    assert_null(f->through);
    f = field(m, "duree");
    assert_int_equal(f->alt_kind, FX_K_DURATION);
    assert_int_equal(f->null, 1);
    f = field(m, "n");
    assert_int_equal(f->positive, 1);
    assert_string_equal(f->column, "nombre");
    assert_int_equal(m->nunique_together, 2);
    assert_names(&m->unique_together[0], 2, "reference", "categorie");
    assert_names(&m->unique_together[1], 1, "id");
    assert_int_equal(m->natural_key.n, 0);

    char *a = write_text(s);
    assert_non_null(strstr(a, "\"profil\": {\"kind\": \"o2o\", \"to\": \"app.profil\", "
                               "\"to_field\": \"code\"}"));
    assert_non_null(strstr(a, "\"n\": {\"kind\": \"int\", \"column\": \"nombre\", "
                               "\"positive\": true}"));
    fx_schema *t = parse_ok(a);
    char *b = write_text(t);
    assert_string_equal(a, b);
    free(a);
    free(b);
    fx_schema_free(t);
    fx_schema_free(s);
}

/* What manage.py fxschema adds: proxies, multi-table inheritance, binary,
** on_delete, dependencies, Meta.ordering; written back in canonical form. */
static const char *django_facts =
    "{\n"
    "  \"fx_schema\": 1,\n"
    "  \"models\": {\n"
    "    \"zoo.place\": {\n"
    "      \"fields\": {\n"
    "        \"name\": {\"kind\": \"char\", \"max_length\": 50, \"unique\": true},\n"
    "        \"photo\": {\"kind\": \"binary\", \"null\": true},\n"
    "        \"owner\": {\"kind\": \"fk\", \"to\": \"auth.user\", \"on_delete\": \"SET_NULL\", \"column\": \"who\", \"null\": true}\n"
    "      },\n"
    "      \"natural_key\": [\"name\"],\n"
    "      \"ordering\": [\"-name\", \"owner__username\", \"pk\"]\n"
    "    },\n"
    "    \"zoo.bigplace\": {\n"
    "      \"table\": \"zoo_place\",\n"
    "      \"proxy\": \"zoo.place\",\n"
    "      \"fields\": {}\n"
    "    },\n"
    "    \"zoo.restaurant\": {\n"
    "      \"pk\": {\"name\": \"place_ptr\", \"column\": \"place_ptr_id\", \"to\": \"zoo.place\", \"parent_link\": true},\n"
    "      \"fields\": {\n"
    "        \"serves\": {\"kind\": \"bool\"}\n"
    "      },\n"
    "      \"natural_key\": [\"place_ptr\"],\n"
    "      \"dependencies\": [\"zoo.place\", \"auth.user\"]\n"
    "    }\n"
    "  }\n"
    "}\n";

static void test_parse_django_facts(void **state)
{
    (void)state;
    fx_schema *s = parse_ok(django_facts);
    const fx_model_schema *p = model(s, "zoo.place"), *b = model(s, "zoo.bigplace"),
                          *r = model(s, "zoo.restaurant");
    assert_int_equal(field(p, "photo")->kind, FX_K_BINARY);
    assert_int_equal(field(p, "owner")->on_delete, FX_ON_DELETE_SET_NULL);
    assert_string_equal(field(p, "owner")->column, "who");
    assert_int_equal(field(p, "name")->on_delete, FX_ON_DELETE_UNKNOWN);
    assert_names(&p->ordering, 3, "-name", "owner__username", "pk");
    assert_null(p->proxy);
    assert_null(p->pk_to);
    assert_string_equal(b->proxy, "zoo.place");
    assert_string_equal(b->table, "zoo_place");
    assert_string_equal(r->pk_name, "place_ptr");
    assert_string_equal(r->pk_column, "place_ptr_id");
    assert_string_equal(r->pk_to, "zoo.place");
    assert_int_equal(r->pk_parent_link, 1);
    assert_names(&r->natural_key, 1, "place_ptr");
    assert_names(&r->dependencies, 2, "zoo.place", "auth.user");
    assert_int_equal(p->dependencies.n, 0);
    char *w = write_text(s);
    free(s->source);
    s->source = NULL;
    free(w);
    w = write_text(s);
    assert_string_equal(w, django_facts);
    free(w);
    fx_schema_free(s);

    const char *head = "{\"fx_schema\": 1, \"models\": {\"a.b\": {";
    static const struct { const char *model, *want; } bad[] = {
        {"\"fields\": {\"x\": {\"kind\": \"fk\", \"to\": \"a.c\", \"on_delete\": \"cascade\"}}",
         "unknown on_delete \"cascade\": use Django's name: CASCADE"},
        {"\"fields\": {\"x\": {\"kind\": \"char\", \"on_delete\": \"CASCADE\"}}",
         "'on_delete' applies to fk and o2o fields only, not char"},
        {"\"pk\": {\"parent_link\": true}", "'pk.parent_link' needs 'pk.to'"},
        {"\"pk\": {\"to\": \"nodot\"}", "'pk.to' 'nodot' is not a model label"},
        {"\"ordering\": [\"-nom\"]", "'ordering' names '-nom', which does not start with a field"},
        {"\"ordering\": \"id\"", "'ordering' must be a list of field names"},
        {"\"dependencies\": [\"nodot\"]", "dependencies 'nodot' is not a model label"},
        {"\"proxy\": 3", "'proxy' must be the label of the model it stands for"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char json[512];
        snprintf(json, sizeof json, "%s%s}}}", head, bad[i].model);
        parse_fails(json, FX_ESCHEMA, bad[i].want);
    }
}

static void test_load_file(void **state)
{
    (void)state;
    const char *path = path_in(tmpdir, "schema.json");
    write_file(path, "\xEF\xBB\xBF{\"$schema\": \"fixture-schema.json\", \"fx_schema\": 1,"
                     " \"models\": {\"a.b\": {\"fields\": {\"x\": {\"kind\": \"text\"}}}}}");
    fx_schema *s = load_ok(path);
    assert_string_equal(s->source, path);
    assert_int_equal(field(model(s, "a.b"), "x")->kind, FX_K_TEXT);
    fx_schema_free(s);

    /* sqlite: on a file that is not a database */
    char spec[1100];
    snprintf(spec, sizeof spec, "sqlite:%s", path);
    fx_error err = {0};
    s = (fx_schema *)1;
    assert_int_equal(fx_schema_load(&s, spec, &err), FX_ESCHEMA);
    assert_null(s);
    assert_non_null(strstr(err.msg, "is not a SQLite database"));

    /* a name with URI characters in it */
    const char *odd = path_in(tmpdir, "odd%?#.json");
    write_file(odd, "{\"fx_schema\": 1}");
    s = load_ok(odd);
    assert_int_equal(s->nmodels, 0);
    fx_schema_free(s);
}

static void test_erp_json(void **state)
{
    (void)state;
    FILE *f = fopen(erp_path(), "rb");
    if (!f)
        print_error("cannot open %s: set FX_SCHEMAS\n", erp_path());
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';

    fx_schema *e = load_ok(erp_path());
    const fx_model_schema *m = model(e, "supermarket.produit");
    assert_int_equal(field(m, "prix_vente")->max_digits, 12);
    assert_int_equal(field(m, "prix_vente")->decimal_places, 2);
    assert_int_equal(field(model(e, "supermarket.commande"), "total")->max_digits, 14);
    assert_int_equal(field(model(e, "supermarket.lignecommande"), "quantite")->decimal_places, 3);
    const fx_field_schema *d = field(model(e, "supermarket.mouvementstock"), "duree_traitement");
    assert_int_equal(d->kind, FX_K_DURATION);
    assert_int_equal(d->alt_kind, FX_K_UNKNOWN);
    assert_int_equal(d->null, 1);
    assert_names(&model(e, "supermarket.agence")->natural_key, 1, "code");
    assert_names(&model(e, "supermarket.categorie")->natural_key, 1, "code");
    assert_names(&model(e, "auth.user")->natural_key, 1, "username");
    assert_int_equal(model(e, "supermarket.produit")->natural_key.n, 0);
    assert_int_equal(model(e, "supermarket.client")->natural_key.n, 0);
    assert_int_equal(model(e, "supermarket.commande")->natural_key.n, 0);
    /* what only Django knows, as fxschema wrote it */
    assert_int_equal(field(model(e, "supermarket.produit"), "categorie")->on_delete, FX_ON_DELETE_PROTECT);
    assert_int_equal(field(model(e, "supermarket.commande"), "client")->on_delete, FX_ON_DELETE_SET_NULL);
    assert_int_equal(field(model(e, "auth.permission"), "content_type")->on_delete, FX_ON_DELETE_CASCADE);
    assert_names(&model(e, "auth.permission")->ordering, 3, "content_type__app_label",
                 "content_type__model", "codename");
    assert_names(&model(e, "auth.permission")->dependencies, 1, "contenttypes.contenttype");

    /* the file is in the writer's canonical form */
    free(e->source);
    e->source = NULL;
    char *w = write_text(e);
    assert_string_equal(w, text);
    free(w);

    /* and agrees with the database on everything the database knows */
    fx_schema *s = load_ok(db_path());
    assert_int_equal(e->nmodels, s->nmodels);
    for (size_t i = 0; i < s->nmodels; i++) {
        const fx_model_schema *x = &s->models[i], *y = model(e, x->label);
        assert_string_equal(x->table, y->table);
        assert_string_equal(x->pk_name, y->pk_name);
        assert_int_equal(x->pk_kind, y->pk_kind);
        assert_int_equal(x->nfields, y->nfields);
        for (size_t j = 0; j < x->nfields; j++) {
            const fx_field_schema *a = &x->fields[j], *b = field(y, a->name);
            if (a->alt_kind && b->kind == a->alt_kind)
                assert_int_equal(b->alt_kind, FX_K_UNKNOWN);
            else
                assert_int_equal(a->kind, b->kind);
            assert_int_equal(a->null, b->null);
            assert_int_equal(a->unique, b->unique);
            assert_int_equal(a->positive, b->positive);
            assert_int_equal(a->max_length, b->max_length);
            if (a->kind == FX_K_DECIMAL)
                assert_true(b->max_digits > 0 && b->decimal_places >= 0);
            assert_true((a->column == NULL) == (b->column == NULL));
            if (a->column)
                assert_string_equal(a->column, b->column);
            assert_true((a->to == NULL) == (b->to == NULL));
            if (a->to)
                assert_string_equal(a->to, b->to);
            assert_true((a->through == NULL) == (b->through == NULL));
            if (a->through) {
                assert_string_equal(a->through, b->through);
                assert_string_equal(a->through_from, b->through_from);
                assert_string_equal(a->through_to, b->through_to);
            }
        }
        assert_int_equal(x->nunique_together, y->nunique_together);
        for (size_t j = 0; j < x->nunique_together; j++) {
            assert_int_equal(x->unique_together[j].n, y->unique_together[j].n);
            for (size_t k = 0; k < x->unique_together[j].n; k++)
                assert_string_equal(x->unique_together[j].names[k],
                                    y->unique_together[j].names[k]);
        }
    }
    fx_schema_free(s);
    fx_schema_free(e);
}

/* ---------------------------------------------------------------- errors */

static void test_error_not_schema(void **state)
{
    (void)state;
    parse_fails("[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}]", FX_ESCHEMA,
                "not a schema file: it holds a JSON array");
    parse_fails("{\"models\": {}}", FX_ESCHEMA, "not a schema file: no \"fx_schema\" key");
    parse_fails("{\"fx_schema\": 2}", FX_ESCHEMA, "unsupported schema file version 2");
    parse_fails("", FX_ESCHEMA, "not valid JSON (unexpected end of file)");
    parse_fails("null\n", FX_ESCHEMA, "not a schema file: it holds a JSON null");
    parse_fails("\"x\"", FX_ESCHEMA, "not a schema file: it holds a JSON string");

    fx_schema *t = NULL;
    fx_error e2 = {0};
    assert_int_equal(fx_schema_parse(&t, "{\"fx_schema\": 1}\n\0", 18, "nul.json", &e2),
                     FX_ESCHEMA);
    assert_non_null(strstr(e2.msg, "text after the JSON value"));
    assert_int_equal(e2.line, 2);

    /* a compressed file given as the schema */
    const char *gz = path_in(tmpdir, "schema.json");
    write_file(gz, "\x1f\x8b\x08\x00rest");
    fx_schema *s = (fx_schema *)1;
    fx_error err = {0};
    assert_int_equal(fx_schema_load(&s, gz, &err), FX_ESCHEMA);
    assert_null(s);
    assert_non_null(strstr(err.msg, "is neither a schema file nor a SQLite database"));

    /* a fixture given as the schema, through fx_schema_load */
    const char *path = path_in(tmpdir, "fixture.json");
    write_file(path, "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n]\n");
    s = (fx_schema *)1;
    assert_int_equal(fx_schema_load(&s, path, &err), FX_ESCHEMA);
    assert_null(s);
    assert_string_equal(err.file, path);
}

static void test_error_syntax_position(void **state)
{
    (void)state;
    const char *json = "{\"fx_schema\": 1,\n  \"models\": {\n    \"a.b\": {,}\n}}";
    fx_schema *s = NULL;
    fx_error err = {0};
    assert_int_equal(fx_schema_parse(&s, json, strlen(json), "bad.json", &err), FX_ESCHEMA);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 13);
    assert_int_equal(err.offset, 43);
    assert_non_null(strstr(err.msg, "not valid JSON ("));
    assert_non_null(strstr(err.msg, "fix the schema file"));

    parse_fails("{\"fx_schema\": 1} x", FX_ESCHEMA, "text after the JSON value");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"x\": "
                "{\"kind\": 'char'}}}}}", FX_ESCHEMA, "not valid JSON");
}

static void test_error_unknown_key(void **state)
{
    (void)state;
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"x\": "
                "{\"kind\": \"char\", \"max_lenght\": 3}}}}}", FX_ESCHEMA,
                "model 'a.b', field 'x': unknown key 'max_lenght': use kind, null");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"feilds\": {}}}}", FX_ESCHEMA,
                "model 'a.b': unknown key 'feilds'");
    parse_fails("{\"fx_schema\": 1, \"modles\": {}}", FX_ESCHEMA,
                "unknown key 'modles' at the top");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"pk\": {\"nom\": \"x\"}}}}",
                FX_ESCHEMA, "unknown key 'nom' in 'pk'");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"m\": {\"kind\": "
                "\"m2m\", \"to\": \"a.c\", \"through\": {\"table\": \"t\", \"from\": \"f\"}}}}}}",
                FX_ESCHEMA, "'through' needs 'table', 'from' and 'to'");
}

static void test_error_unknown_kind(void **state)
{
    (void)state;
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"x\": "
                "{\"kind\": \"varchar\"}}}}}", FX_ESCHEMA,
                "model 'a.b', field 'x': unknown kind \"varchar\": use one of char, text");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"x\": "
                "{\"null\": true}}}}}", FX_ESCHEMA, "field 'x': no 'kind'");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"pk\": {\"kind\": \"fk\"}}}}",
                FX_ESCHEMA, "the pk kind cannot be fk");
}

static void test_error_semantics(void **state)
{
    (void)state;
    const char *head = "{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"x\": ";
    static const struct { const char *field, *want; } cases[] = {
        {"{\"kind\": \"text\", \"max_length\": 3}", "'max_length' applies to char fields only, not text"},
        {"{\"kind\": \"char\", \"max_length\": -1}", "'max_length' must be between 0"},
        {"{\"kind\": \"char\", \"max_length\": \"3\"}", "'max_length' must be a whole number"},
        {"{\"kind\": \"char\", \"null\": 1}", "'null' must be true or false"},
        {"{\"kind\": \"fk\"}", "a fk field needs 'to'"},
        {"{\"kind\": \"fk\", \"to\": \"nodot\"}", "'to' 'nodot' is not a model label"},
        {"{\"kind\": \"char\", \"to\": \"a.c\"}", "'to' applies to fk, o2o and m2m fields only"},
        {"{\"kind\": \"o2o\", \"to\": \"a.c\", \"unique\": false}", "an o2o field is always unique"},
        {"{\"kind\": \"m2m\", \"to\": \"a.c\", \"column\": \"c\"}", "'column' applies to non-m2m"},
        {"{\"kind\": \"decimal\", \"max_digits\": 3}", "give both 'max_digits' and 'decimal_places'"},
        {"{\"kind\": \"decimal\", \"max_digits\": 3, \"decimal_places\": 4}", "is more than 'max_digits'"},
        {"{\"kind\": \"int\", \"alt_kind\": \"int\"}", "'alt_kind' must be a kind other than"},
        {"{\"kind\": \"char\", \"positive\": true}", "'positive' applies to int, smallint and bigint"},
        {"{\"kind\": \"char\", \"column\": \"\"}", "'column' must be a non-empty string"},
        {"[]", "a field must be an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char json[512];
        snprintf(json, sizeof json, "%s%s}}}}", head, cases[i].field);
        parse_fails(json, FX_ESCHEMA, cases[i].want);
    }
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"code\": {\"kind\": "
                "\"char\"}}, \"natural_key\": [\"cdoe\"]}}}", FX_ESCHEMA,
                "'natural_key' names 'cdoe', which is not a field");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"unique_together\": [[]]}}}",
                FX_ESCHEMA, "an empty set in 'unique_together'");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"id\": "
                "{\"kind\": \"int\"}}}}}", FX_ESCHEMA, "'id' is the primary key");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {}, \"A.B\": {}}}", FX_ESCHEMA,
                "model 'A.B': the model is listed twice");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"ab\": {}}}", FX_ESCHEMA,
                "the label 'ab' is not a model label");
}

/* on_delete: Django's names, on fk and o2o only, written back; SET_NULL
** needs null; erp.json says what the models say; a database cannot. */
static void test_on_delete(void **state)
{
    (void)state;
    fx_schema *s = parse_ok("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {"
                            "\"c\": {\"kind\": \"fk\", \"to\": \"a.c\", \"on_delete\": \"CASCADE\"},"
                            "\"n\": {\"kind\": \"fk\", \"to\": \"a.c\", \"null\": true,"
                            " \"on_delete\": \"SET_NULL\"},"
                            "\"o\": {\"kind\": \"o2o\", \"to\": \"a.c\", \"on_delete\": \"DO_NOTHING\"},"
                            "\"u\": {\"kind\": \"fk\", \"to\": \"a.c\"}}}}}");
    const fx_model_schema *m = model(s, "a.b");
    assert_int_equal(field(m, "c")->on_delete, FX_ON_DELETE_CASCADE);
    assert_int_equal(field(m, "n")->on_delete, FX_ON_DELETE_SET_NULL);
    assert_int_equal(field(m, "o")->on_delete, FX_ON_DELETE_DO_NOTHING);
    assert_int_equal(field(m, "u")->on_delete, FX_ON_DELETE_UNKNOWN);
    char *w = write_text(s);
    assert_non_null(strstr(w, "\"n\": {\"kind\": \"fk\", \"to\": \"a.c\", \"on_delete\": "
                              "\"SET_NULL\", \"null\": true}"));
    assert_non_null(strstr(w, "\"u\": {\"kind\": \"fk\", \"to\": \"a.c\"}"));
    free(w);
    fx_schema_free(s);
    for (int d = FX_ON_DELETE_CASCADE; d <= FX_ON_DELETE_DO_NOTHING; d++)
        assert_int_equal(fx_on_delete_from_name(fx_on_delete_name((fx_on_delete)d)), d);
    assert_null(fx_on_delete_name(FX_ON_DELETE_UNKNOWN));

    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"x\": "
                "{\"kind\": \"fk\", \"to\": \"a.c\", \"on_delete\": \"cascade\"}}}}}",
                FX_ESCHEMA, "model 'a.b', field 'x': unknown on_delete \"cascade\": use "
                "Django's name: CASCADE, PROTECT, RESTRICT, SET_NULL, SET_DEFAULT, SET or "
                "DO_NOTHING");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"x\": "
                "{\"kind\": \"m2m\", \"to\": \"a.c\", \"on_delete\": \"CASCADE\"}}}}}",
                FX_ESCHEMA, "'on_delete' applies to fk and o2o fields only, not m2m");
    parse_fails("{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"x\": "
                "{\"kind\": \"fk\", \"to\": \"a.c\", \"on_delete\": \"SET_NULL\"}}}}}",
                FX_ESCHEMA, "on_delete SET_NULL needs \"null\": true");

    fx_schema *e = load_ok(erp_path());
    assert_int_equal(field(model(e, "supermarket.lignecommande"), "commande")->on_delete,
                     FX_ON_DELETE_CASCADE);
    assert_int_equal(field(model(e, "supermarket.lignecommande"), "produit")->on_delete,
                     FX_ON_DELETE_PROTECT);
    assert_int_equal(field(model(e, "supermarket.commande"), "client")->on_delete,
                     FX_ON_DELETE_SET_NULL);
    fx_schema_free(e);
    fx_schema *db = load_ok(db_path());
    for (size_t i = 0; i < db->nmodels; i++)
        for (size_t j = 0; j < db->models[i].nfields; j++)
            assert_int_equal(db->models[i].fields[j].on_delete, FX_ON_DELETE_UNKNOWN);
    fx_schema_free(db);
}

static void test_error_no_content_types(void **state)
{
    (void)state;
    const char *path = path_in(tmpdir, "nodjango.sqlite3");
    unlink(path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (id integer PRIMARY KEY)", NULL,
                                  NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    fx_schema *s = (fx_schema *)1;
    fx_error err = {0};
    assert_int_equal(fx_schema_load(&s, path, &err), FX_ESCHEMA);
    assert_null(s);
    assert_string_equal(err.file, path);
    assert_string_equal(err.msg, "not a database made by Django's migrate (no "
                        "django_content_type table): run migrate, or pass a schema file");
}

static void test_error_missing_file(void **state)
{
    (void)state;
    fx_schema *s = (fx_schema *)1;
    fx_error err = {0};
    assert_int_equal(fx_schema_load(&s, "/nonexistent/schema.json", &err), FX_EIO);
    assert_null(s);
    assert_int_equal(err.code, FX_EIO);
    assert_string_equal(err.file, "/nonexistent/schema.json");
    assert_string_equal(err.msg, "cannot open schema '/nonexistent/schema.json' (No such "
                        "file or directory): pass a schema file (JSON) or a SQLite "
                        "database made by Django's migrate");

    assert_int_equal(fx_schema_load(&s, "sqlite:/nonexistent/db.sqlite3", &err), FX_EIO);
    assert_string_equal(err.file, "/nonexistent/db.sqlite3");
    assert_int_equal(fx_schema_load(&s, "", &err), FX_EUSAGE);
    assert_int_equal(fx_schema_load(&s, tmpdir, &err), FX_EIO);   /* a directory */
    assert_non_null(strstr(err.msg, "cannot read schema"));
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_introspect_models),
        cmocka_unit_test(test_introspect_produit),
        cmocka_unit_test(test_introspect_facts),
        cmocka_unit_test(test_introspect_shapes),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_roundtrip_escapes),
        cmocka_unit_test(test_parse_defaults),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_erp_json),
        cmocka_unit_test(test_parse_django_facts),
        cmocka_unit_test(test_error_not_schema),
        cmocka_unit_test(test_error_syntax_position),
        cmocka_unit_test(test_error_unknown_key),
        cmocka_unit_test(test_error_unknown_kind),
        cmocka_unit_test(test_error_semantics),
        cmocka_unit_test(test_on_delete),
        cmocka_unit_test(test_error_no_content_types),
        cmocka_unit_test(test_error_missing_file),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
