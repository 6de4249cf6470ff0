#!/usr/bin/env bash
# fxload into SQLite without Django: the modes, and counts, on the sample
# export and the empty migrated database of testdata/.  Small enough to run
# under valgrind in CI (tests/cli/valgrind); the conformance with loaddata
# itself is t5000's.

. "$(dirname "$0")/lib.sh"

C=$FX_TESTDATA/corpus

test_expect_success 'a fresh load, then the same again: all inserted, then all unchanged' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 &&
    fxload --db db.sqlite3 "$C/base.json" 2>s1 &&
    tail -n 1 s1 >last &&
    echo "fxload: 10852 records: 10852 inserted, 0 updated, 0 unchanged" >expect &&
    test_cmp expect last &&
    fxload --db sqlite:db.sqlite3 "$C/base.jsonl" 2>s2 &&
    tail -n 1 s2 >last &&
    echo "fxload: 10852 records: 0 inserted, 0 updated, 10852 unchanged" >expect &&
    test_cmp expect last &&
    test "$(sqlite3 db.sqlite3 "select count(*) from supermarket_lignecommande")" = 6094
'

test_expect_success '--dry-run: the changes on stdout, the file untouched' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 && cp db.sqlite3 before &&
    fxload --dry-run --db db.sqlite3 "$C/base.compact.json" >out 2>err &&
    test "$(grep -c "^insert " out)" = 10852 &&
    grep "^insert supermarket.commande 2000$" out &&
    cmp before db.sqlite3
'

test_expect_success '--replace with the same export: every row unchanged, none deleted' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 &&
    fxload -q --db db.sqlite3 "$C/base.json" &&
    fxload --replace --db db.sqlite3 "$C/base.json" 2>s &&
    grep "^fxload: supermarket.lignecommande  *0 inserted  *0 updated  *6094 unchanged  *0 deleted$" s &&
    tail -n 1 s >last &&
    echo "fxload: 10852 records: 0 inserted, 0 updated, 10852 unchanged; 0 deleted (--replace: rows the files no longer have)" >expect &&
    test_cmp expect last &&
    test "$(sqlite3 db.sqlite3 "select count(*) from supermarket_commande")" = 2000
'

# The net effect of --replace, as a load without it would count it: a row
# whose pk is new is inserted, a row the files no longer have deleted, a
# row whose columns or many-to-many links changed updated, else unchanged
# (before, every row counted inserted and every old row deleted).
test_expect_success '--replace counts the net effect: inserted, updated, unchanged, deleted' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 &&
    echo "[{\"model\": \"supermarket.fournisseur\", \"pk\": 999, \"fields\": {\"nom\": \"Old\", \"telephone\": \"\", \"email\": \"\"}}]" >old.json &&
    fxload -q --db db.sqlite3 "$C/base.json" old.json &&
    grep "\"model\": \"supermarket.fournisseur\"" "$C/base.jsonl" |
        sed "/\"pk\": 1,/s/\"nom\": \"[^\"]*\"/\"nom\": \"Renamed\"/" >r.jsonl &&
    echo "{\"model\": \"supermarket.fournisseur\", \"pk\": 1000, \"fields\": {\"nom\": \"New\", \"telephone\": \"\", \"email\": \"\"}}" >>r.jsonl &&
    grep "\"model\": \"supermarket.produit\"" "$C/base.jsonl" |
        sed "/\"pk\": 2,/s/\"fournisseurs\": \[[^]]*\]/\"fournisseurs\": [3, 18]/" >>r.jsonl &&
    cp db.sqlite3 before &&
    fxload --dry-run --replace --db db.sqlite3 r.jsonl >out 2>s &&
    cat >expect <<-\EOF &&
	update supermarket.fournisseur 1
	delete supermarket.fournisseur 999
	insert supermarket.fournisseur 1000
	update supermarket.produit 2
	EOF
    test_cmp expect out && cmp before db.sqlite3 &&
    fxload --replace --db db.sqlite3 r.jsonl 2>s &&
    cat >expect <<-\EOF &&
	fxload: supermarket.fournisseur                1 inserted       1 updated      29 unchanged       1 deleted
	fxload: supermarket.produit                    0 inserted       1 updated     199 unchanged       0 deleted
	fxload: 231 records: 1 inserted, 2 updated, 228 unchanged; 1 deleted (--replace: rows the files no longer have)
	EOF
    test_cmp expect s &&
    sqlite3 db.sqlite3 "select id, nom from supermarket_fournisseur where id in (1, 999, 1000);
        select count(*) from supermarket_fournisseur;
        select group_concat(fournisseur_id) from (select fournisseur_id from supermarket_produit_fournisseurs where produit_id = 2 order by 1)" >got &&
    printf "1|Renamed\n1000|New\n31\n3,18\n" >expect && test_cmp expect got
'

# --ignorenonexistent: one warning a model and a field skipped, at the first
# record, with how many records (before: one warning a record, 2,500 here).
test_expect_success '-i: one warning per model and field skipped, with the count' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 &&
    sqlite3 db.sqlite3 "drop table supermarket_mouvementstock; alter table supermarket_client drop column notes" &&
    fxload -i --db db.sqlite3 "$C/base.json" 2>err &&
    grep "warning" err >warnings &&
    cat >expect <<-EOF &&
	$C/base.json:5272:1: warning: model '\''supermarket.client'\'': field '\''notes'\'' has no column in the database: ignored in 500 records (--ignorenonexistent) [unknown-field]
	$C/base.json:105806:1: warning: model '\''supermarket.mouvementstock'\'' has no table in the database: 2000 records skipped (--ignorenonexistent) [unknown-model]
	EOF
    test_cmp expect warnings &&
    tail -n 1 err >last &&
    echo "fxload: 8852 records: 8852 inserted, 0 updated, 0 unchanged" >expect &&
    test_cmp expect last &&
    test "$(sqlite3 db.sqlite3 "select count(*) from supermarket_client")" = 500
'

test_expect_success 'a refused load (a bad reference) writes nothing: exit 1' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 && cp db.sqlite3 before &&
    sed "s/\"agence\": 1,/\"agence\": 999,/" "$C/base.json" >bad.json &&
    test_expect_code 1 fxload --db db.sqlite3 bad.json 2>err &&
    grep "refers to supermarket.agence 999, which does not exist" err &&
    grep "^fxload: nothing was written to db.sqlite3$" err &&
    cmp before db.sqlite3
'

test_done
