#!/usr/bin/env bash
# fxload and a PostgreSQL server that stops in the middle of a load (issue
# 6): exit 2, a message that says the connection was lost and that nothing
# was written, and, once the server is back, every row as it was.  Stopped
# both ways: "fast" (an administrator's shutdown) and "immediate" (as a
# crash).  This file runs its own cluster: the shared one (FX_PG) keeps
# serving the other test files.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

PY=/usr/bin/python3
DJ=$FX_ROOT/tests/django
C=$FX_TESTDATA/corpus
export PYTHONDONTWRITEBYTECODE=1

W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5010.XXXXXX") || exit 2
trap 'rm -rf "$W"; pg_teardown' EXIT

unset FX_PG   # never the shared cluster: this one is stopped
export FX_PG_PORT=$((55000 + $$ % 1000))
if pg_setup; then
    pgrows () { ERP_DB=postgres PGDATABASE=$1 $PY "$DJ/dumptables.py"; }
    $PY "$FX_ROOT/tests/bench/gen.py" 200000 >"$W/big.json" || exit 2

    for mode in fast immediate; do
        test_expect_success "PostgreSQL stopped ($mode) mid-load: exit 2, no row changed" '
            db=fxstop_'$mode' &&
            createdb "$db" &&
            ERP_DB=postgres PGDATABASE=$db $PY "$DJ/manage.py" migrate -v0 &&
            fxload -q --db "dbname=$db" "$C/base.json" &&
            pgrows "$db" >before &&
            { fxload --replace --db "dbname=$db" "$W/big.json" 2>err & pid=$!; } &&
            n=0 &&
            until [ "$(psql -d postgres -Atc "select count(*) from pg_stat_activity
                       where datname = '\''$db'\'' and xact_start is not null")" -ge 1 ]; do
                n=$((n + 1)) && [ $n -lt 200 ] || break
                sleep 0.05
            done &&
            sleep 0.5 &&
            pgctl -m '$mode' -w stop >/dev/null &&
            { wait $pid; rc=$?; } &&
            cat err &&
            test $rc = 2 &&
            grep "^fxload: error: lost the connection to the PostgreSQL server while .*: the transaction was not committed, so nothing was written; check that the server is running, then load again$" err &&
            grep "^fxload: nothing was written to dbname=$db$" err &&
            pg_restart &&
            pgrows "$db" >after &&
            test_cmp before after
        '
    done
fi

test_done
