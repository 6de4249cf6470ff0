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

test_expect_success '--replace over a loaded database: old rows deleted, all inserted' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 &&
    fxload -q --db db.sqlite3 "$C/base.json" &&
    fxload --replace --db db.sqlite3 "$C/base.json" 2>s &&
    grep "supermarket.lignecommande  *6094 inserted  *0 updated  *0 unchanged  *6094 deleted" s &&
    test "$(sqlite3 db.sqlite3 "select count(*) from supermarket_commande")" = 2000
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
