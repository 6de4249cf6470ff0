/*
** test_target.c: fx_target_is_pg, fx_target_mask and fx__mask_secrets:
** every password form libpq takes is masked (URI user information, query
** parameters, keyword values quoted or not, a dbname that is itself a
** target), nothing else changes, and a message that quotes the target or
** a word of the password loses them.
*/
#include "coretest.h"
#include "internal.h"

static void mask_is(const char *target, const char *want)
{
    char buf[512];
    fx_target_mask(buf, sizeof buf, target);
    if (strcmp(buf, want) != 0)
        fail_msg("fx_target_mask(%s)\n  got  %s\n  want %s", target, buf, want);
}

static void test_kind(void **state)
{
    (void)state;
    assert_true(fx_target_is_pg("postgresql://erp@server/erp"));
    assert_true(fx_target_is_pg("postgres://server/erp"));
    assert_true(fx_target_is_pg("dbname=erp"));
    assert_false(fx_target_is_pg("db.sqlite3"));
    assert_false(fx_target_is_pg("sqlite:a=b.sqlite3"));
    assert_false(fx_target_is_pg("/srv/erp/db.sqlite3"));
    assert_false(fx_target_is_pg(NULL));
}

static void test_uri(void **state)
{
    (void)state;
    mask_is("postgresql://user:secret@server/erp", "postgresql://user:****@server/erp");
    mask_is("postgres://user:secret@server:5432/erp?sslmode=require",
            "postgres://user:****@server:5432/erp?sslmode=require");
    mask_is("postgresql://user@server/erp", "postgresql://user@server/erp");
    mask_is("postgresql://server/erp", "postgresql://server/erp");
    mask_is("postgresql://[::1]:5432/erp", "postgresql://[::1]:5432/erp");
    mask_is("postgresql://u:p%40ss@[::1]/erp", "postgresql://u:****@[::1]/erp");
    /* '/' and '@' unencoded in a password: masked whole */
    mask_is("postgresql://u:se/cr@t@host/erp", "postgresql://u:****@host/erp");
    mask_is("postgresql:///erp?host=/tmp&password=secret&port=5432",
            "postgresql:///erp?host=/tmp&password=****&port=5432");
    mask_is("postgresql:///erp?password=secret", "postgresql:///erp?password=****");
    mask_is("postgresql:///erp?pass%77ord=secret", "postgresql:///erp?pass%77ord=****");
    mask_is("postgresql:///erp?sslpassword=k3y&user=u", "postgresql:///erp?sslpassword=****&user=u");
    mask_is("postgresql://a:b@h/erp?password=c", "postgresql://a:****@h/erp?password=****");
    mask_is("postgresql:///erp?password=", "postgresql:///erp?password=");
}

static void test_keywords(void **state)
{
    (void)state;
    mask_is("dbname=erp password=secret host=/tmp", "dbname=erp password=**** host=/tmp");
    mask_is("password=secret", "password=****");
    mask_is("dbname=erp password = secret", "dbname=erp password = ****");
    mask_is("dbname=erp password='sec ret' host=x", "dbname=erp password='****' host=x");
    mask_is("password='it\\'s' user=u", "password='****' user=u");
    mask_is("password=a\\ b user=u", "password=**** user=u");
    /* quotes forgotten: the words after it without '=' are masked too */
    mask_is("dbname=erp password=sec ret host=x", "dbname=erp password=**** host=x");
    mask_is("dbname=erp password=sec ret", "dbname=erp password=****");
    mask_is("password=sec dbname =erp", "password=**** dbname =erp");
    mask_is("sslpassword=k3y sslmode=require", "sslpassword=**** sslmode=require");
    mask_is("dbname=erp user=password", "dbname=erp user=password");
    mask_is("dbname='postgresql://u:secret@h/erp' host=x",
            "dbname='postgresql://u:****@h/erp' host=x");
    mask_is("dbname='host=h password=secret'", "dbname='host=h password=****'");
    mask_is("db.sqlite3", "db.sqlite3");
    mask_is("sqlite:password=x.sqlite3", "sqlite:password=x.sqlite3");
}

static void test_truncated(void **state)
{
    (void)state;
    char buf[20];
    fx_target_mask(buf, sizeof buf, "postgresql://user:secret@server/erp");
    assert_string_equal(buf, "postgresql://user:*");
    fx_target_mask(buf, 1, "password=secret");
    assert_string_equal(buf, "");
}

static void test_messages(void **state)
{
    (void)state;
    char m[256];
    snprintf(m, sizeof m, "invalid URI: \"postgresql://u:secret@[::1/db\"");
    fx__mask_secrets(m, sizeof m, "postgresql://u:secret@[::1/db");
    assert_string_equal(m, "invalid URI: \"postgresql://u:****@[::1/db\"");
    snprintf(m, sizeof m, "missing \"=\" after \"ret\" in connection info string");
    fx__mask_secrets(m, sizeof m, "dbname=x password=sec ret");
    assert_string_equal(m, "missing \"=\" after \"****\" in connection info string");
    snprintf(m, sizeof m, "password authentication failed for user \"u\"");
    fx__mask_secrets(m, sizeof m, "postgresql://u:secret@h/db");
    assert_string_equal(m, "password authentication failed for user \"u\"");
    snprintf(m, sizeof m, "connection failed: \"a\" (a)");   /* a password "a" */
    fx__mask_secrets(m, sizeof m, "postgresql://u:a@h/db");
    assert_string_equal(m, "connection failed: \"****\" (****)");
    snprintf(m, sizeof m, "db.sqlite3: secret");
    fx__mask_secrets(m, sizeof m, "db.sqlite3");
    assert_string_equal(m, "db.sqlite3: secret");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
