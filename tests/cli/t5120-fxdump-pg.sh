#!/usr/bin/env bash
# fxdump on PostgreSQL: byte for byte what Django 3.2's dumpdata writes,
# with each option, for the reference app and the test app (jsonb key
# order and numbers, intervals, bytea, NaN and infinities, timezone-aware
# datetimes); the round trip through fxload; without a schema file; one
# snapshot while another connection writes.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/dump.sh"

C=$FX_TESTDATA/corpus
W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5120.XXXXXX") || exit 2
trap 'rm -rf "$W"; pg_teardown' EXIT

if pg_setup; then
    make_db erp pg:fxd_erp || { echo "could not make the reference database"; exit 1; }
    make_db zoo pg:fxd_zoo || { echo "could not make the test app's database"; exit 1; }

    for app in erp zoo; do
        for opts in "${DUMP_OPTIONS[@]}"; do
            test_expect_success "PostgreSQL, $app: dumpdata $opts: the same bytes" '
                conform '$app' pg:fxd_'$app' '"$opts"'
            '
        done
    done

    while IFS='|' read -r app args; do
        test_expect_success "PostgreSQL, $app: dumpdata $args: the same bytes" '
            conform '$app' pg:fxd_'$app' '"$args"'
        '
    done <<\EOT
erp|auth.user supermarket.commande supermarket.client supermarket.agence --natural-foreign
erp|supermarket.Commande --pks 502,1,3
erp|-e contenttypes -e auth.permission --indent 2
zoo|zoo.bigplace zoo.place --indent 2
zoo|zoo.restaurant zoo.dish zoo.Place --natural-foreign --natural-primary
zoo|zoo.code --pks zz,AA,nothere
zoo|zoo.token --pks 00000000-0000-4000-8000-000000000002,FFFFFFFF000040008000000000000001
zoo|zoo.everything --pks 2,1 --indent 2 --natural-foreign
EOT

    test_expect_success 'PostgreSQL: what the test app holds is there (jsonb, NaN, intervals)' '
        fxdump -q --db dbname=fxd_zoo -s "$(schema_of zoo)" zoo.everything --format jsonl >out &&
        grep -o "\"ratio\": NaN,\|\"ratio\": -Infinity,\|\"g\": 1500000000000000000000\|\"span\": \"-1 23:59:59.999999\"\|\"moment\": \"2024-06-01T04:30:00.999Z\"" out |
        wc -l >n &&
        echo 5 >expect && test_cmp expect n
    '

    test_expect_success 'PostgreSQL round trip: dumpdata, fxload, fxdump: the same file, fxdiff finds nothing' '
        createdb fxd_rt && django erp pg:fxd_rt migrate -v0 &&
        django erp pg:fxd_erp dumpdata --indent 2 -o export.json &&
        fxload -q --db dbname=fxd_rt export.json &&
        fxdump -q --db dbname=fxd_rt -s "$(schema_of erp)" --indent 2 -o dump.json &&
        cmp export.json dump.json &&
        fxdiff -s "$(schema_of erp)" export.json dump.json >out && test_must_be_empty out
    '

    test_expect_success 'PostgreSQL round trip, test app: dumpdata, fxload, fxdump = dumpdata, loaddata, dumpdata' '
        django zoo pg:fxd_zoo dumpdata --indent 2 -o export.json &&
        createdb fxd_zfx && django zoo pg:fxd_zfx migrate -v0 &&
        createdb fxd_zdj && django zoo pg:fxd_zdj migrate -v0 &&
        fxload -q --db dbname=fxd_zfx -s "$(schema_of zoo)" export.json &&
        mkdir ld && cp export.json ld/ && django zoo pg:fxd_zdj loaddata -v0 ld/export.json &&
        django zoo pg:fxd_zdj dumpdata --indent 2 >dj.out &&
        fxdump -q --db dbname=fxd_zfx -s "$(schema_of zoo)" --indent 2 >fx.out &&
        cmp dj.out fx.out &&
        psql -Atq -d fxd_zfx -c "SELECT id, encode(blob, '"'hex'"') FROM zoo_everything WHERE id < 4 ORDER BY id" >blobs &&
        printf "1|00ff6869\n2|\n3|\n" >expect && test_cmp expect blobs
    '

    test_expect_success 'PostgreSQL round trip: fxload base.natural.json = loaddata of it, dumped' '
        createdb fxd_fx && django erp pg:fxd_fx migrate -v0 &&
        fxload -q --db dbname=fxd_fx "$C/base.natural.json" &&
        createdb fxd_dj && django erp pg:fxd_dj migrate -v0 &&
        mkdir ld && cp "$C/base.natural.json" ld/ && django erp pg:fxd_dj loaddata -v0 ld/base.natural.json &&
        django erp pg:fxd_dj dumpdata --natural-foreign --natural-primary >dj.out &&
        fxdump -q --db dbname=fxd_fx -s "$(schema_of erp)" --natural-foreign --natural-primary >fx.out &&
        cmp dj.out fx.out
    '

    # Without a schema file: loaddata takes the dump back to the rows a
    # dumpdata export of the same database gives (both lose what the
    # format loses: microseconds past the millisecond).
    test_expect_success 'PostgreSQL, no schema file: a warning, and it loads to the rows dumpdata'"'"'s export loads to' '
        fxdump --db dbname=fxd_zoo -o dump.json 2>err &&
        grep "^fxdump: warning: no schema file" err &&
        ! grep "BigIntegerField and a DurationField" err &&
        django zoo pg:fxd_zoo dumpdata -o export.json &&
        for f in dump export; do
            createdb fxd_$f && django zoo pg:fxd_$f migrate -v0 &&
            mkdir $f && cp $f.json $f/ && django zoo pg:fxd_$f loaddata -v0 $f/$f.json &&
            django zoo pg:fxd_$f dumpdata --indent 2 -e zoo.legacy >$f.back || return 1
        done &&
        test_cmp export.back dump.back
    '

    # fxdump stopped (SIGSTOP) mid-dump while another connection commits a
    # new agence and a stock movement (the last model): the dump is the
    # database as it was when fxdump began.
    test_expect_success 'PostgreSQL: a dump is one snapshot while another connection writes' '
        createdb -T fxd_erp fxd_snap &&
        psql -q -d fxd_snap -c "INSERT INTO supermarket_lignecommande (commande_id, produit_id, quantite, prix_unitaire, remise)
            SELECT 1, 1, 1, 1, 0 FROM generate_series(1, 200000)" &&
        fxdump -q --db dbname=fxd_snap -s "$(schema_of erp)" -o before.json &&
        { fxdump -q --db dbname=fxd_snap -s "$(schema_of erp)" -o during.json & pid=$!; } &&
        n=0 && until [ -n "$(find . -name ".during.json.fx-*" -size +100k)" ]; do
            n=$((n + 1)) && [ $n -lt 1000 ] || break; sleep 0.01; done &&
        kill -STOP $pid &&
        ! grep -q supermarket.mouvementstock .during.json.fx-* &&
        psql -q -d fxd_snap -c "BEGIN; INSERT INTO supermarket_agence (code, nom, ville, active) VALUES ('"'NEW', 'n', '', true"');
            INSERT INTO supermarket_mouvementstock (produit_id, agence_id, quantite, motif, horodatage)
            VALUES (1, currval(pg_get_serial_sequence('"'supermarket_agence', 'id'"')), 1, '"'m', now()"'); COMMIT;" &&
        kill -CONT $pid && wait $pid &&
        cmp before.json during.json &&
        fxdump -q --db dbname=fxd_snap -s "$(schema_of erp)" -o after.json &&
        ! cmp -s before.json after.json && grep -c "\"NEW\"" after.json
    '

    # fx_dump_pg(), the library call fxsync makes: through the caller's
    # connection, inside its transaction, which it sees (an uncommitted
    # row) and leaves open; outside a transaction it is refused.  Built
    # against the installed library, as t7000 builds (make check sets
    # FX_DESTDIR).
    if [ -n "${FX_DESTDIR:-}" ]; then
    cat >"$FX_TRASH/conn.c" <<\EOF
#include <fixture.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

/* conn CONNINFO SQL|-: BEGIN (unless SQL is -), SQL, fx_dump_pg of
** supermarket.agence to stdout, then the transaction's state, ROLLBACK. */
int main(int argc, char **argv)
{
    static const char *const labels[] = {"supermarket.agence"};
    PGconn *c = PQconnectdb(argv[1]);
    if (argc != 3 || PQstatus(c) != CONNECTION_OK)
        return 3;
    if (strcmp(argv[2], "-")) {
        PQclear(PQexec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ"));
        PQclear(PQexec(c, argv[2]));
    }
    fx_dump_opts o = {0};
    o.format = FX_FORMAT_JSON;
    o.labels = labels;
    o.nlabels = 1;
    fx_output *out;
    fx_error err;
    int rc = fx_output_open(&out, NULL, &err) || fx_dump_pg(c, "test", out, &o, &err) ||
             fx_output_commit(out, &err);
    fx_output_free(out);
    if (rc)
        fprintf(stderr, "conn: %s\n", err.msg);
    printf("\n%s\n", PQtransactionStatus(c) == PQTRANS_INTRANS ? "in transaction" : "idle");
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);
    return rc ? 2 : 0;
}
EOF
    test_expect_success 'fx_dump_pg: in the caller'"'"'s transaction, its own writes seen, left open' '
        cp ../conn.c . &&
        PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$FX_DESTDIR/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$FX_DESTDIR \
            pkg-config --static --cflags --libs libfixture >flags &&
        pkg-config --cflags libpq >>flags &&
        ${FX_CC:-cc} ${FX_LDFLAGS:-} conn.c $(cat flags) -o conn &&
        createdb fxd_conn && django erp pg:fxd_conn migrate -v0 &&
        export LD_LIBRARY_PATH=$FX_DESTDIR/usr/local/lib &&
        ./conn dbname=fxd_conn "INSERT INTO supermarket_agence (id, code, nom, ville, active) VALUES (7, '"'A7', 'Nord', 'Lille', true"')" >out &&
        printf "%s\n" "[{\"model\": \"supermarket.agence\", \"pk\": 7, \"fields\": {\"code\": \"A7\", \"nom\": \"Nord\", \"ville\": \"Lille\", \"active\": true}}]" "in transaction" >expect &&
        test_cmp expect out &&
        fxdump -q --db dbname=fxd_conn supermarket.agence >after && printf "[]" >expect && test_cmp expect after &&
        test_expect_code 2 ./conn dbname=fxd_conn - >out 2>err &&
        grep "^conn: the connection to .test. is not in a transaction (or it failed): BEGIN one first" err
    '
    fi
fi

test_done
