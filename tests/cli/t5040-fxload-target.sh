#!/usr/bin/env bash
# fxload and its target (issue 11): no message prints a password from a
# connection URI or keyword string, whatever names the target (errors,
# "nothing was written to", libpq's own texts, --schema in every tool); a
# database that cannot be written (a read-only SQLite file or directory, a
# read-only PostgreSQL transaction) is "could not run" (exit 2), not
# "rejected"; on PostgreSQL, --replace counts the net effect and -i warns
# once a model and field (SQLite: t5020).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

PY=/usr/bin/python3
DJ=$FX_ROOT/tests/django
export PYTHONDONTWRITEBYTECODE=1

W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5040.XXXXXX") || exit 2
trap 'rm -rf "$W"; pg_teardown' EXIT

printf '[{"model": "nope.absent", "pk": 1, "fields": {}}]\n' >"$W/absent.json"
printf '[]\n' >"$W/empty.json"
printf '[{"model": "supermarket.agence", "pk": 1, "fields": {"code": "A", "nom": "Un", "ville": "", "active": true}}]\n' \
    >"$W/agence.json"
C=$FX_TESTDATA/corpus

# no_secret FILE: the file does not hold the password of these tests
no_secret () {
    ! grep -i "s3cr" "$1" || { echo "no_secret: the password is in $1" >&2; return 1; }
}

# (libpq on Windows reaches no unix socket: its own reason differs there)
test_expect_success 'no server: a URI password is masked in the connection error' '
    test_expect_code 2 fxload --db "postgresql://erp:s3cr3t@/erp?host=/nonexistent&port=1" \
        "$W/empty.json" 2>err &&
    cat >want <<-\EOF &&
	fxload: error: cannot connect to PostgreSQL database '\''postgresql://erp:****@/erp?host=/nonexistent&port=1'\'' (connection to server on socket "/nonexistent/.s.PGSQL.1" failed: No such file or directory Is the server running locally and accepting connections on that socket?): check the URI, PGHOST, PGPORT, PGUSER, PGDATABASE
	EOF
    if [ "${FX_WINDOWS:-0}" = 1 ]; then
        sed "s/failed: .*):/failed: could not create socket: Address family not supported (0x0000273F\/10047)):/" want >want.win &&
        mv want.win want
    fi &&
    test_cmp want err && no_secret err
'

test_expect_success 'no server: keyword passwords (quoted, in the query) are masked' '
    test_expect_code 2 fxload --db "host=/nonexistent port=1 password='\''s3cr 3t'\''" \
        "$W/empty.json" 2>err &&
    grep "^fxload: error: cannot connect to PostgreSQL database .host=/nonexistent port=1 password=.\*\*\*\*.. (connection" err &&
    no_secret err &&
    test_expect_code 2 fxload --db "postgresql:///erp?host=/nonexistent&port=1&password=s3cr3t" \
        "$W/empty.json" 2>err &&
    grep "^fxload: error: cannot connect to PostgreSQL database .postgresql:///erp?host=/nonexistent&port=1&password=\*\*\*\*. (connection" err &&
    no_secret err
'

test_expect_success 'libpq quoting the URI or a word of the password: masked' '
    test_expect_code 2 fxload --db "postgresql://erp:s3cr3t@[::1/erp" "$W/empty.json" 2>err &&
    cat >want <<-\EOF &&
	fxload: error: cannot connect to PostgreSQL database '\''postgresql://erp:****@[::1/erp'\'' (end of string reached when looking for matching "]" in IPv6 host address in URI: "postgresql://erp:****@[::1/erp"): check the URI, PGHOST, PGPORT, PGUSER, PGDATABASE
	EOF
    test_cmp want err &&
    test_expect_code 2 fxload --db "dbname=erp password=s3cr 3t" "$W/empty.json" 2>err &&
    cat >want <<-\EOF &&
	fxload: error: cannot connect to PostgreSQL database '\''dbname=erp password=****'\'' (missing "=" after "****" in connection info string): check the URI, PGHOST, PGPORT, PGUSER, PGDATABASE
	EOF
    test_cmp want err
'

test_expect_success '--schema with a PostgreSQL target: masked in every tool' '
    for tool in fxvalidate fxfilter fxdiff fxmerge; do
        case $tool in
        fxdiff) set -- "$W/empty.json" "$W/empty.json" ;;
        fxmerge) set -- "$W/empty.json" "$W/empty.json" "$W/empty.json" ;;
        *) set -- "$W/empty.json" ;;
        esac
        test_expect_code 2 $tool --schema "postgresql://erp:s3cr3t@server/erp" "$@" 2>err &&
        echo "postgresql://erp:****@server/erp: error: '\''postgresql://erp:****@server/erp'\'' is a PostgreSQL database, not a file: pass a schema file (JSON) or a SQLite database made by Django'\''s migrate" >want &&
        test_cmp want err || return 1
    done &&
    test_expect_code 2 fxvalidate --schema "dbname=erp password=s3cr3t" "$W/empty.json" 2>err &&
    grep "^dbname=erp password=\*\*\*\*: error: .dbname=erp password=\*\*\*\*. is a PostgreSQL database" err &&
    no_secret err
'

# as_reader CMD...: run CMD as a user who may not write what root made
# read-only (root writes anything: as root, run it as nobody)
as_reader () {
    if [ "$(id -u)" = 0 ]; then
        runuser -u nobody -- "$@"
    else
        "$@"
    fi
}

# (file modes and another user: POSIX only; these two do not run on the
# Windows build, FX_WINDOWS=1)
[ "${FX_WINDOWS:-0}" = 1 ] ||
test_expect_success 'SQLite: a read-only file: exit 2, could not run, file unchanged' '
    mkdir d && chmod 777 d && cp "$FX_TESTDATA/empty.sqlite3" d/db.sqlite3 &&
    chmod 444 d/db.sqlite3 && cp d/db.sqlite3 before && cp "$W/agence.json" d/ &&
    (cd d && test_expect_code 2 as_reader "$FX_BIN/fxload" --db db.sqlite3 agence.json) 2>err &&
    echo "fxload: error: cannot write to database '\''db.sqlite3'\'': the file is read-only; make it (and its directory, where SQLite writes a journal) writable for this user" >want &&
    test_cmp want err && cmp before d/db.sqlite3
'

[ "${FX_WINDOWS:-0}" = 1 ] ||
test_expect_success 'SQLite: a read-only directory: exit 2, could not run, file unchanged' '
    mkdir d && cp "$FX_TESTDATA/empty.sqlite3" d/db.sqlite3 && chmod 666 d/db.sqlite3 &&
    cp d/db.sqlite3 before && cp "$W/agence.json" . && chmod 555 d &&
    test_expect_code 2 as_reader "$FX_BIN/fxload" --db d/db.sqlite3 agence.json 2>err &&
    printf "%s\n" "fxload: error: cannot write to database '\''d/db.sqlite3'\'' (attempt to write a readonly database): its directory is read-only, and SQLite writes a journal there; make the directory writable for this user" \
        "fxload: nothing was written to d/db.sqlite3" >want &&
    chmod 755 d && test_cmp want err && cmp before d/db.sqlite3 && test ! -e d/db.sqlite3-journal
'

if pg_setup; then
    PGT=fxt5040_tmpl_$$
    createdb "$PGT" && ERP_DB=postgres PGDATABASE=$PGT $PY "$DJ/manage.py" migrate -v0 ||
        echo "migrate on PostgreSQL failed"
    # The test cluster trusts every local connection: the password is sent
    # and ignored, so the load runs and its messages name the target.
    DB=fxt5040_${$}_1
    createdb -T "$PGT" "$DB"
    URI="postgresql://$PGUSER:s3cr3t@/$DB?host=$PGHOST&port=$PGPORT"
    MASKED="postgresql://$PGUSER:****@/$DB?host=$PGHOST&port=$PGPORT"
    export DB URI MASKED

    test_expect_success 'PostgreSQL: a rejected load names the target masked' '
        test_expect_code 1 fxload --db "$URI" "$W/absent.json" 2>err &&
        printf "%s\n" \
            "$W/absent.json:1:2: error: model '\''nope.absent'\'', pk 1: no such table: the model has no table in $MASKED; run migrate (manage.py migrate) on that database, or pass --ignorenonexistent to skip the model" \
            "fxload: nothing was written to $MASKED" >want &&
        test_cmp want err && no_secret err
    '

    test_expect_success 'PostgreSQL: keyword strings, quoted password and sslpassword' '
        test_expect_code 1 fxload \
            --db "dbname=$DB password='\''s3cr 3t'\'' sslpassword=s3cr3t" "$W/absent.json" 2>err &&
        grep "no such table: the model has no table in dbname=$DB password='\''\*\*\*\*'\'' sslpassword=\*\*\*\*; run migrate" err &&
        grep "^fxload: nothing was written to dbname=$DB password='\''\*\*\*\*'\'' sslpassword=\*\*\*\*$" err &&
        no_secret err
    '

    test_expect_success 'PostgreSQL: a load that works prints no target at all' '
        fxload --db "$URI" "$W/empty.json" 2>err &&
        echo "fxload: 0 records: 0 inserted, 0 updated, 0 unchanged" >want &&
        test_cmp want err
    '

    test_expect_success 'PostgreSQL: a read-only database: exit 2, could not run, no row' '
        db=fxt5040_${$}_2 && createdb -T "$PGT" $db &&
        psql -d postgres -qc "alter database $db set default_transaction_read_only = on" &&
        test_expect_code 2 fxload --db "dbname=$db" "$W/agence.json" 2>err &&
        echo "fxload: error: cannot write to PostgreSQL database '\''dbname=$db'\'': its transactions are read-only (transaction_read_only is on: a standby server, or default_transaction_read_only set for the database or the user); load into the primary, or turn it off" >want &&
        test_cmp want err &&
        test "$(psql -d $db -Atc "select count(*) from supermarket_agence")" = 0
    '

    test_expect_success 'PostgreSQL: --replace counts the net effect' '
        db=fxt5040_${$}_3 && createdb -T "$PGT" $db &&
        echo "[{\"model\": \"supermarket.fournisseur\", \"pk\": 999, \"fields\": {\"nom\": \"Old\", \"telephone\": \"\", \"email\": \"\"}}]" >old.json &&
        fxload -q --db "dbname=$db" "$C/base.json" old.json &&
        grep "\"model\": \"supermarket.fournisseur\"" "$C/base.jsonl" |
            sed "/\"pk\": 1,/s/\"nom\": \"[^\"]*\"/\"nom\": \"Renamed\"/" >r.jsonl &&
        echo "{\"model\": \"supermarket.fournisseur\", \"pk\": 1000, \"fields\": {\"nom\": \"New\", \"telephone\": \"\", \"email\": \"\"}}" >>r.jsonl &&
        grep "\"model\": \"supermarket.produit\"" "$C/base.jsonl" |
            sed "/\"pk\": 2,/s/\"fournisseurs\": \[[^]]*\]/\"fournisseurs\": [3, 18]/" >>r.jsonl &&
        fxload --dry-run --replace --db "dbname=$db" r.jsonl >out 2>s &&
        printf "%s\n" "update supermarket.fournisseur 1" "delete supermarket.fournisseur 999" \
            "insert supermarket.fournisseur 1000" "update supermarket.produit 2" >expect &&
        test_cmp expect out &&
        fxload --replace --db "dbname=$db" r.jsonl 2>s &&
        cat >expect <<-\EOF &&
		fxload: supermarket.fournisseur                1 inserted       1 updated      29 unchanged       1 deleted
		fxload: supermarket.produit                    0 inserted       1 updated     199 unchanged       0 deleted
		fxload: 231 records: 1 inserted, 2 updated, 228 unchanged; 1 deleted (--replace: rows the files no longer have)
		EOF
        test_cmp expect s &&
        psql -d $db -Atc "select id, nom from supermarket_fournisseur where id in (1, 999, 1000) order by 1;
            select count(*) from supermarket_fournisseur;
            select string_agg(fournisseur_id::text, '\'','\'' order by fournisseur_id) from supermarket_produit_fournisseurs where produit_id = 2" >got &&
        printf "1|Renamed\n1000|New\n31\n3,18\n" >expect && test_cmp expect got &&
        fxload --replace --db "dbname=$db" r.jsonl 2>s &&
        tail -n 1 s >last &&
        echo "fxload: 231 records: 0 inserted, 0 updated, 231 unchanged; 0 deleted (--replace: rows the files no longer have)" >expect &&
        test_cmp expect last
    '

    test_expect_success 'PostgreSQL: -i warns once a model and a field, with the count' '
        db=fxt5040_${$}_4 && createdb -T "$PGT" $db &&
        psql -d $db -qc "drop table supermarket_mouvementstock; alter table supermarket_client drop column notes" &&
        fxload -q -i --db "dbname=$db" "$C/base.json" 2>err &&
        cat >expect <<-EOF &&
		$C/base.json:5272:1: warning: model '\''supermarket.client'\'': field '\''notes'\'' has no column in the database: ignored in 500 records (--ignorenonexistent) [unknown-field]
		$C/base.json:105806:1: warning: model '\''supermarket.mouvementstock'\'' has no table in the database: 2000 records skipped (--ignorenonexistent) [unknown-model]
		EOF
        test_cmp expect err &&
        test "$(psql -d $db -Atc "select count(*) from supermarket_client")" = 500
    '
    for i in 1 2 3 4; do dropdb --if-exists "fxt5040_${$}_$i"; done
    dropdb --if-exists "$PGT"
fi

test_done
