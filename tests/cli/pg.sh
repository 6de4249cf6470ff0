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

# For a test file that stops its own cluster (FX_PG unset before
# pg_setup, so that pg_setup started it): pgctl ARGS... runs pg_ctl on it
# as its owner; pg_restart starts it again as tests/pg/start did.
pgctl () {
    local run_as=()
    [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
    "${run_as[@]}" "$FX_PG_BINDIR/pg_ctl" -D "$FX_PG_OWNED/data" "$@"
}
pg_restart () {
    pgctl -l "$FX_PG_OWNED/server.log" -w -t 30 \
        -o "-c listen_addresses='${FX_PG_TCP:+localhost}' -c unix_socket_directories='$FX_PG_OWNED' \
            -p $PGPORT -c fsync=off" start >/dev/null
}
