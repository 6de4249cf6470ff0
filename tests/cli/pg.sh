# tests/cli/pg.sh: PostgreSQL for the CLI tests, sourced after lib.sh.
# shellcheck shell=bash
#
# One mechanism: a test file calls pg_setup.  When the environment already
# names a cluster (FX_PG, exported by .ci/run after tests/pg/start), it is
# used; otherwise pg_setup starts a throwaway one with tests/pg/start and
# stops it when the test file exits.  When no cluster can start, pg_setup
# prints loud "# SKIP" lines and returns 1: the caller skips its
# PostgreSQL tests (FX_REQUIRE_PG=1, set by .ci/run, makes that a failure).
# A cluster pg_setup started is stopped by pg_teardown, which the test file
# calls from its EXIT trap.

pg_teardown () {
    [ -n "${FX_PG_OWNED:-}" ] && "$FX_ROOT/tests/pg/stop" "$FX_PG_OWNED"
    FX_PG_OWNED=
}

pg_setup () {
    if [ -n "${FX_PG:-}" ] && psql -Atqc 'select 1' >/dev/null 2>&1; then
        return 0
    fi
    local env
    if env=$("$FX_ROOT/tests/pg/start" 2>"${W:-$FX_TRASH}/pg-start.err"); then
        eval "$env"
        FX_PG_OWNED=$FX_PG
        return 0
    fi
    echo "# SKIP ============================================================"
    echo "# SKIP PostgreSQL could not start: its tests are SKIPPED"
    sed 's/^/# SKIP   /' "${W:-$FX_TRASH}/pg-start.err"
    echo "# SKIP ============================================================"
    if [ "${FX_REQUIRE_PG:-0}" = 1 ]; then
        test_expect_success 'PostgreSQL is available (FX_REQUIRE_PG=1)' 'false'
    fi
    return 1
}
