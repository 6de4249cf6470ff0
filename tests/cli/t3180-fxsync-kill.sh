#!/usr/bin/env bash
# fxsync killed (SIGKILL) at every moment of a round between two SQLite
# files, through the test hook FX_SYNC_KILL_AT: each database is as before
# or as after, the base moved only when both sides committed, and running
# it again ends where an uninterrupted round ends, every change there once
# (the order both sides created under one id, with its line, included).
# Then the same after the application edited the other side's record that
# the killed round had copied; two syncs at once.

. "$(dirname "$0")/lib.sh"

W=$FX_TRASH/w
mkdir -p "$W"
test_expect () {
    test_expect_success "$1" "cd \"\$W\" && $(cat)"
}
SCHEMA=$FX_ROOT/schemas/erp.json
q () { sqlite3 "$@"; }
# dumpof FILE: the synced models of a side, as fxsync sees them
dumpof () { fxdump --db "$1" --schema "$SCHEMA" -e contenttypes -e auth.permission; }
base () { gzip -dc "$1/base.json.gz"; }
stopped () {    # stopped PID: wait until the process stopped itself (FX_SYNC_STOP_AT)
    local i=0
    until case $(ps -o stat= -p "$1") in T*) true ;; *) false ;; esac; do
        i=$((i + 1)); [ $i -lt 400 ] || return 1; sleep 0.05
    done
}

test_expect 'setup: a pair in step, then changes on both sides: one order and line under the same ids, edits, a delete' <<EOT
cp "$FX_TESTDATA/corpus/empty.sqlite3" a0.sqlite3 &&
fxload -q --db a0.sqlite3 "$FX_TESTDATA/corpus/base.json" &&
cp a0.sqlite3 b0.sqlite3 &&
fxsync --state st0 init --local a0.sqlite3 --online b0.sqlite3 --schema "$SCHEMA" >/dev/null &&
sed -i 's/a0.sqlite3/a.sqlite3/; s/b0.sqlite3/b.sqlite3/' st0/config.json &&
q a0.sqlite3 "insert into supermarket_commande values (2001,'L-1','2025-01-01 10:00:00','nouvelle',10.5,1,NULL,NULL);
  insert into supermarket_lignecommande values (7001, 1, 10.5, 0, 2001, 1);
  update supermarket_categorie set libelle='local edit' where id=1;
  delete from supermarket_lignecommande where id=385" &&
q b0.sqlite3 "insert into supermarket_commande values (2001,'O-1','2025-01-02 10:00:00','nouvelle',20.5,1,NULL,NULL);
  insert into supermarket_lignecommande values (7001, 2, 10.25, 0, 2001, 2);
  update supermarket_categorie set parent_id=2 where id=1;
  delete from supermarket_mouvementstock where id=17" &&
dumpof a0.sqlite3 >a.before && dumpof b0.sqlite3 >b.before && base st0 >base.before
EOT

# fresh: the pair and its state as the setup left them
fresh () {
    rm -rf st && cp -r st0 st && cp a0.sqlite3 a.sqlite3 && cp b0.sqlite3 b.sqlite3
}

for ren in local online; do
test_expect "an uninterrupted sync --renumber $ren: the result every killed round must reach" <<EOT
fresh && fxsync --state st sync --renumber $ren >out.$ren 2>&1 &&
grep -q "renumbered: supermarket.commande 2001 -> 2002 ($ren's new record)" out.$ren &&
dumpof a.sqlite3 >after.$ren && dumpof b.sqlite3 >b.after && cmp after.$ren b.after &&
test \$(grep -o '"numero": "[LO]-1"' after.$ren | wc -l) = 2 &&
base st >base.$ren
EOT
done

n=0
for ren in local online; do
for at in opened dumped planned applied journal pending committed-first committed based; do
n=$((n + 1))
test_expect "sync --renumber $ren killed at '$at': each side before or after, the base only after both; again: the same end" <<EOT
fresh &&
{ FX_SYNC_KILL_AT=$at fxsync --state st sync --renumber $ren >kill.out 2>&1; test \$? = 137; } &&
dumpof a.sqlite3 >a.now && dumpof b.sqlite3 >b.now &&
{ cmp -s a.now a.before || cmp -s a.now after.$ren; } &&
{ cmp -s b.now b.before || cmp -s b.now after.$ren; } &&
{ base st | cmp -s - base.before || { cmp -s a.now after.$ren && cmp -s b.now after.$ren; }; } &&
fxsync --state st sync --renumber $ren >again.out 2>&1 &&
dumpof a.sqlite3 >a.now && dumpof b.sqlite3 >b.now &&
cmp a.now after.$ren && cmp b.now after.$ren &&
base st | fxdiff base.$ren - >/dev/null &&
test ! -e st/pending.json && test ! -e st/pending-base.json.gz &&
fxsync --state st status >st.out && grep -qx 'in step' st.out &&
for e in st/journal/*; do grep -q '"result": "\(synced\|interrupted\|failed: nothing written\)"' \$e/summary.json || return 1; done &&
grep -q '"result": "synced"' \$(ls -d st/journal/* | tail -1)/summary.json
EOT
done
done
echo "# $n kill points"

test_expect 'killed once the renumbered side committed, then the other side edits the order it created: no duplicate' <<\EOT
fresh &&
{ FX_SYNC_KILL_AT=committed-first fxsync --state st sync >kill.out 2>&1; test $? = 137; } &&
cmp -s <(dumpof a.sqlite3) after.local && cmp -s <(dumpof b.sqlite3) b.before &&
q b.sqlite3 "update supermarket_commande set numero='O-2' where id=2001; update supermarket_lignecommande set quantite=3 where id=7001" &&
fxsync --state st status >st.out; test $? = 1 &&
grep -q '^the last sync stopped midway (local committed, online did not commit)' st.out &&
fxsync --state st sync >again.out 2>&1 &&
grep -q '^the last sync stopped midway (local committed, online did not commit): ' again.out &&
! grep -q renumbered again.out &&
dumpof a.sqlite3 >a.now && dumpof b.sqlite3 >b.now && cmp a.now b.now &&
test "$(q a.sqlite3 "select c.id, c.numero, l.id, l.quantite from supermarket_commande c join supermarket_lignecommande l on l.commande_id = c.id where c.id > 2000 order by c.id")" = "2001|O-2|7001|3
2002|L-1|7002|1" &&
grep -q '"result": "interrupted"' st/journal/000001/summary.json &&
grep -q '"result": "synced"' st/journal/000002/summary.json
EOT

test_expect 'killed before the other side committed, both sides edit meanwhile: each edit kept, nothing twice' <<\EOT
fresh &&
{ FX_SYNC_KILL_AT=committed-first fxsync --state st sync --renumber online >kill.out 2>&1; test $? = 137; } &&
q a.sqlite3 "update supermarket_commande set numero='L-2' where id=2001; insert into supermarket_commande values (2003,'L-3','2025-01-03 10:00:00','nouvelle',1,1,NULL,NULL)" &&
q b.sqlite3 "update supermarket_categorie set libelle='online later' where id=3" &&
fxsync --state st sync >again.out 2>&1 &&
dumpof a.sqlite3 >a.now && dumpof b.sqlite3 >b.now && cmp a.now b.now &&
test "$(q b.sqlite3 "select id, numero from supermarket_commande where id > 2000 order by id")" = "2001|L-2
2002|O-1
2003|L-3" &&
test "$(q a.sqlite3 "select libelle from supermarket_categorie where id = 3")" = "online later"
EOT

test_expect 'pull and push killed after their commit: the next round repairs, no phantom change' <<\EOT
fresh &&
{ FX_SYNC_KILL_AT=committed fxsync --state st pull >kill.out 2>&1; test $? = 137; } &&
q b.sqlite3 "update supermarket_commande set numero='O-2' where id=2001" &&
fxsync --state st pull >again.out 2>&1 &&
grep -q 'the last sync stopped midway (local committed)' again.out &&
! grep -q renumbered again.out &&
test "$(q a.sqlite3 "select id, numero from supermarket_commande where id > 2000 order by id")" = "2001|O-2
2002|L-1" &&
{ FX_SYNC_KILL_AT=committed fxsync --state st push >kill.out 2>&1; test $? = 137; } &&
fxsync --state st push >again.out 2>&1 &&
dumpof a.sqlite3 >a.now && dumpof b.sqlite3 >b.now && cmp a.now b.now &&
fxsync --state st status >st.out && grep -qx 'in step' st.out
EOT

test_expect 'two syncs at once: the second refuses naming the first, which ends the round; nothing lost' <<\EOT
fresh &&
{ FX_SYNC_STOP_AT=applied fxsync --state st sync >one.out 2>&1 & pid=$!; } &&
stopped $pid &&
test_expect_code 2 fxsync --state st sync >two.out 2>&1 &&
grep -q "another fxsync (pid $pid) is working on 'st'" two.out &&
kill -CONT $pid && wait $pid &&
dumpof a.sqlite3 >a.now && cmp a.now after.local && dumpof b.sqlite3 | cmp - after.local
EOT

test_expect 'a write by the application during a round waits for its commit (BEGIN IMMEDIATE), then is seen as a change' <<\EOT
fresh &&
{ FX_SYNC_STOP_AT=dumped fxsync --state st sync >one.out 2>&1 & pid=$!; } &&
stopped $pid &&
{ q -cmd ".timeout 20000" a.sqlite3 "update supermarket_categorie set libelle='during' where id=4" & w=$!; } &&
sleep 0.3 && kill -0 $w &&
kill -CONT $pid && wait $pid && wait $w &&
test "$(q a.sqlite3 "select libelle from supermarket_categorie where id=4")" = during &&
fxsync --state st sync >again.out 2>&1 &&
test "$(q b.sqlite3 "select libelle from supermarket_categorie where id=4")" = during
EOT

test_done
