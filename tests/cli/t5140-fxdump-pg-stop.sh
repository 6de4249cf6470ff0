#!/usr/bin/env bash
# fxdump and a PostgreSQL server that stops in the middle of a dump: exit
# 2, a message that says the connection was lost, nothing at -o (not even
# a temporary file).  fxdump is stopped (SIGSTOP) mid-dump, the server is
# stopped "fast" (an administrator's shutdown) or "immediate" (as a
# crash), then fxdump goes on.  This file runs its own cluster: the shared
# one (FX_PG) keeps serving the other test files.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/dump.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5140.XXXXXX") || exit 2
trap 'rm -rf "$W"; pg_teardown' EXIT

unset FX_PG   # never the shared cluster: this one is stopped
export FX_PG_PORT=$((56000 + $$ % 1000))
if pg_setup; then
    createdb fxstop && django erp pg:fxstop migrate -v0 &&
    fxload -q --db dbname=fxstop "$FX_TESTDATA/corpus/base.json" &&
    psql -q -d fxstop -c "INSERT INTO supermarket_lignecommande (commande_id, produit_id, quantite, prix_unitaire, remise)
        SELECT 1, 1, 1, 1, 0 FROM generate_series(1, 200000)" || exit 2

    for mode in fast immediate; do
        test_expect_success "PostgreSQL stopped ($mode) mid-dump: exit 2, nothing at -o" '
            { fxdump -q --db dbname=fxstop -s "$(schema_of erp)" -o out.json 2>err & pid=$!; } &&
            n=0 && until [ -n "$(find . -name ".out.json.fx-*" -size +100k)" ]; do
                n=$((n + 1)) && [ $n -lt 1000 ] || break; sleep 0.01; done &&
            kill -STOP $pid &&
            pgctl -m '$mode' -w stop >/dev/null &&
            kill -CONT $pid &&
            { wait $pid; rc=$?; } &&
            cat err &&
            test $rc = 2 &&
            grep "^dbname=fxstop: error: cannot read the database (.*): the connection to the server was lost; nothing was written$" err &&
            grep "^fxdump: nothing was written to out.json$" err &&
            test $(wc -l <err) = 2 &&
            ls -A >files && printf "err\nfiles\n" >expect && test_cmp expect files &&
            pg_restart
        '
    done
fi

test_done
