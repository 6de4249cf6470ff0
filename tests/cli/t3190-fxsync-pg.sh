#!/usr/bin/env bash
# fxsync between a SQLite file and a PostgreSQL server that stops in the
# middle of a round (after the local side committed, and before anything
# committed), is killed there, or sees another connection write the rows
# it is about to write: exit 2 (or a retry), each database as before or as
# after, and, the server back, the next round repairs and ends with both
# sides holding the same rows, every change once.  Then undo, and two
# shops syncing with one server.  Its own cluster: this one is stopped.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/dump.sh"

W=$FX_TRASH/w
mkdir -p "$W"
trap pg_teardown EXIT
unset FX_PG
export FX_PG_PORT=$((58000 + $$ % 1000))
pg_setup || test_done
run_as=()
[ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
pgctl () { "${run_as[@]}" "$FX_PG_BINDIR/pg_ctl" -D "$FX_PG_OWNED/data" "$@"; }
restart () {
    pgctl -l "$FX_PG_OWNED/server.log" -w -t 30 \
        -o "-c listen_addresses='' -c unix_socket_directories='$FX_PG_OWNED' \
            -p $PGPORT -c fsync=off" start >/dev/null
}
test_expect () {
    test_expect_success "$1" "cd \"\$W\" && $(cat)"
}
SCHEMA=$FX_ROOT/schemas/erp.json
dumpof () { fxdump --db "$1" --schema "$SCHEMA" -e contenttypes -e auth.permission 2>/dev/null; }
# same A B: the same records (PostgreSQL's jsonb orders object keys its way)
same () { fxdiff "$1" "$2" >/dev/null; }
stopped () {    # stopped PID: wait until the process stopped itself
    local i=0
    until case $(ps -o stat= -p "$1") in T*) true ;; *) false ;; esac; do
        i=$((i + 1)); [ $i -lt 400 ] || return 1; sleep 0.05
    done
}

test_expect 'setup: the server migrated with the corpus, the local file a copy; changes on both, one order under the same id' <<\EOT
createdb tmpl && django erp pg:tmpl migrate -v0 &&
fxload -q --db dbname=tmpl "$FX_TESTDATA/corpus/base.json" &&
cp "$FX_TESTDATA/corpus/empty.sqlite3" a0.sqlite3 &&
fxload -q --db a0.sqlite3 "$FX_TESTDATA/corpus/base.json" &&
createdb -T tmpl on && cp a0.sqlite3 a.sqlite3 &&
fxsync --state st0 init --local a.sqlite3 --online dbname=on --schema "$SCHEMA" >init.out &&
grep -qx 'the two sides hold the same rows: that is the base' init.out &&
sqlite3 a0.sqlite3 "insert into supermarket_commande values (2001,'L-1','2025-01-01 10:00:00','nouvelle',10.5,1,NULL,NULL);
  insert into supermarket_lignecommande values (7001, 1, 10.5, 0, 2001, 1);
  update supermarket_categorie set libelle='local edit' where id=1;
  delete from supermarket_lignecommande where id=385" &&
psql -q -d tmpl -v ON_ERROR_STOP=1 -c "insert into supermarket_commande values (2001,'O-1','2025-01-02 10:00:00+00','nouvelle',20.5,1,NULL,NULL);
  insert into supermarket_lignecommande values (7001, 2, 10.25, 0, 2001, 2);
  update supermarket_categorie set parent_id=2 where id=1;
  delete from supermarket_mouvementstock where id=17" &&
dumpof a0.sqlite3 >a.before && dumpof dbname=tmpl >o.before &&
fresh () { dropdb --if-exists on && createdb -T tmpl on && cp a0.sqlite3 a.sqlite3 && rm -rf st && cp -r st0 st; } &&
fresh && fxsync --state st sync >out 2>&1 &&
dumpof a.sqlite3 >after && dumpof dbname=on >o.after && same after o.after &&
test $(grep -o '"numero": "[LO]-1"' after | wc -l) = 2
EOT
fresh () { dropdb --if-exists on && createdb -T tmpl on && cp a0.sqlite3 a.sqlite3 && rm -rf st && cp -r st0 st; }

for mode in fast immediate; do
test_expect "server stopped ($mode) after the local side committed: exit 2 saying so; server back: repaired, equal, nothing twice" <<EOT
fresh &&
{ FX_SYNC_STOP_AT=committed-first fxsync --state st sync >run.out 2>&1 & pid=\$!; } &&
stopped \$pid && pgctl -m $mode -w stop >/dev/null && kill -CONT \$pid &&
{ wait \$pid; rc=\$?; } && cat run.out && test \$rc = 2 &&
grep -q '^local committed, online did not: run the sync again, it repairs and converges$' run.out &&
dumpof a.sqlite3 | cmp - after &&
restart && dumpof dbname=on >o.now && same o.now o.before &&
fxsync --state st sync >again.out 2>&1 && cat again.out &&
grep -q '^the last sync stopped midway (local committed, online did not commit)' again.out &&
! grep -q renumbered again.out &&
dumpof a.sqlite3 | cmp - after && dumpof dbname=on >o.now && same o.now after &&
fxsync --state st status >st.out && grep -qx 'in step' st.out
EOT
done

test_expect 'server stopped before anything committed (--renumber online: the server commits first): exit 2, both as before, the base where it was; then a plain round' <<\EOT
fresh &&
{ FX_SYNC_STOP_AT=applied fxsync --state st sync --renumber online >run.out 2>&1 & pid=$!; } &&
stopped $pid && pgctl -m immediate -w stop >/dev/null && kill -CONT $pid &&
{ wait $pid; rc=$?; } && cat run.out && test $rc = 2 &&
grep -q "^fxsync: error: .*connection" run.out &&
dumpof a.sqlite3 | cmp - a.before && cmp st/base.json.gz st0/base.json.gz &&
test ! -e st/pending.json &&
restart && dumpof dbname=on >o.now && same o.now o.before &&
fxsync --state st sync >again.out 2>&1 &&
! grep -q 'stopped midway' again.out &&
dumpof a.sqlite3 | cmp - after && dumpof dbname=on >o.now && same o.now after
EOT

for at in pending committed-first committed; do
test_expect "killed at '$at' with a PostgreSQL side: the next round ends as an uninterrupted one" <<EOT
fresh &&
{ FX_SYNC_KILL_AT=$at fxsync --state st sync >run.out 2>&1; test \$? = 137; } &&
fxsync --state st sync >again.out 2>&1 &&
dumpof a.sqlite3 | cmp - after && dumpof dbname=on >o.now && same o.now after
EOT
done

test_expect 'another connection writes a row the round is about to write: serialization failure, the round starts again with it' <<\EOT
fresh &&
{ FX_SYNC_STOP_AT=dumped fxsync --state st sync >run.out 2>&1 & pid=$!; } &&
stopped $pid &&
psql -q -d on -c "update supermarket_categorie set parent_id=3 where id=1" &&
kill -CONT $pid && wait $pid && cat run.out &&
grep -qx 'another transaction wrote the same rows: trying again' run.out &&
test "$(sqlite3 a.sqlite3 "select libelle, parent_id from supermarket_categorie where id=1")" = "local edit|3" &&
dumpof a.sqlite3 >a.now && dumpof dbname=on >o.now && same o.now a.now
EOT

seqs () { psql -d on -Atc "select sequencename, last_value from pg_sequences where schemaname = current_schema() order by 1"; }

test_expect 'undo after a sync: the server row for row as before, its sequences too, the local file too, the base; sync again: the same end' <<\EOT
fresh && seqs >seqs.before && fxsync --state st sync >/dev/null &&
seqs >seqs.sync && ! cmp -s seqs.before seqs.sync &&
grep -qx 'supermarket_commande_id_seq|2002' seqs.sync &&
fxsync --state st undo >undo.out && cat undo.out &&
dumpof dbname=on >o.now && same o.now o.before && dumpof a.sqlite3 | cmp - a.before &&
seqs | test_cmp seqs.before - &&
gzip -dc st/base.json.gz | cmp - <(gzip -dc st0/base.json.gz) &&
test "$(psql -d on -Atc "select count(*) from supermarket_commande where id > 2000")" = 1 &&
fxsync --state st sync >/dev/null &&
dumpof a.sqlite3 | cmp - after && dumpof dbname=on >o.now && same o.now after
EOT

test_expect 'two shops, one server, each creating an order under the same ids: shop 1, shop 2, shop 1 again: all three hold the same rows, every order with its own lines' <<\EOT
dropdb --if-exists chain && createdb -T tmpl chain &&
psql -q -d chain -v ON_ERROR_STOP=1 -c "delete from supermarket_lignecommande where id = 7001; delete from supermarket_commande where id = 2001;
  update supermarket_categorie set parent_id = NULL where id = 1" &&
cp "$FX_TESTDATA/corpus/empty.sqlite3" s1.sqlite3 && fxload -q --db s1.sqlite3 "$FX_TESTDATA/corpus/base.json" &&
sqlite3 s1.sqlite3 "delete from supermarket_mouvementstock where id = 17" && cp s1.sqlite3 s2.sqlite3 &&
fxsync --state st1 init --local s1.sqlite3 --online dbname=chain --schema "$SCHEMA" >/dev/null &&
fxsync --state st2 init --local s2.sqlite3 --online dbname=chain --schema "$SCHEMA" >/dev/null &&
sqlite3 s1.sqlite3 "insert into supermarket_commande values (2001,'S1-1','2025-01-01 10:00:00','nouvelle',1,1,NULL,NULL);
  insert into supermarket_lignecommande values (7001, 1, 1, 0, 2001, 1), (7002, 2, 1, 0, 2001, 2)" &&
sqlite3 s2.sqlite3 "insert into supermarket_commande values (2001,'S2-1','2025-01-01 11:00:00','nouvelle',2,1,NULL,NULL);
  insert into supermarket_lignecommande values (7001, 3, 1, 0, 2001, 3)" &&
psql -q -d chain -c "insert into supermarket_commande values (2001,'SRV-1','2025-01-01 12:00:00+00','nouvelle',3,1,NULL,NULL);
  insert into supermarket_lignecommande values (7001, 4, 1, 0, 2001, 4)" &&
fxsync --state st1 sync >s1.out && fxsync --state st2 sync >s2.out && fxsync --state st1 sync >s1b.out &&
cat s1.out s2.out s1b.out &&
grep -q 'renumbered: supermarket.commande 2001 -> 2002 (local' s1.out &&
grep -q 'renumbered: supermarket.commande 2001 -> 2003 (local' s2.out &&
lines="select c.numero, count(l.id), sum(l.quantite) from supermarket_commande c left join supermarket_lignecommande l on l.commande_id = c.id where c.id > 2000 group by c.numero order by c.numero" &&
want="S1-1|2|3
S2-1|1|3
SRV-1|1|4" &&
test "$(sqlite3 s1.sqlite3 "$lines")" = "$want" && test "$(sqlite3 s2.sqlite3 "$lines")" = "$want" &&
test "$(psql -d chain -Atc "$lines" | sed 's/|3\.000$/|3/; s/|4\.000$/|4/')" = "$want" &&
dumpof s1.sqlite3 >s1.json && dumpof s2.sqlite3 | cmp - s1.json &&
dumpof dbname=chain >srv.json && same srv.json s1.json &&
fxsync --state st1 status >st.out && fxsync --state st2 status >>st.out && test $(grep -c '^in step$' st.out) = 2
EOT

test_done
