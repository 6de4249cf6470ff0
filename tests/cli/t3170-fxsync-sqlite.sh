#!/usr/bin/env bash
# fxsync between two SQLite files (no Django, no PostgreSQL: fast): init's
# choices, status's exit codes, a round's summary, renumbering and
# journal, --dry-run, --report, --keep, usage mistakes.

. "$(dirname "$0")/lib.sh"

# every test works in one directory: each builds on the one before
W=$FX_TRASH/w
mkdir -p "$W"
test_expect () {
    test_expect_success "$1" "cd \"\$W\" && $(cat)"
}

SCHEMA=$FX_ROOT/schemas/erp.json
q () { sqlite3 "$@"; }

test_expect 'setup: two copies of the corpus database' <<EOT
cp "$FX_TESTDATA/corpus/empty.sqlite3" a.sqlite3 &&
fxload -q --db a.sqlite3 "$FX_TESTDATA/corpus/base.json" &&
cp a.sqlite3 b.sqlite3 && cp "$FX_TESTDATA/corpus/empty.sqlite3" e.sqlite3
EOT

test_expect 'init between sides that differ, without --from or --base: exit 1, nothing kept' <<\EOT
test_expect_code 1 fxsync --state st0 init --local a.sqlite3 --online e.sqlite3 --schema "$FX_ROOT/schemas/erp.json" >out 2>err &&
grep -q 'the two sides hold different rows: say which one the other starts from (--from local or --from online)' out &&
test ! -e st0/config.json && test ! -e st0/base.json.gz
EOT

test_expect 'init --base: the base is that export; status sees what each side changed since' <<\EOT
fxdump --db a.sqlite3 --schema "$FX_ROOT/schemas/erp.json" --natural-foreign --indent 2 -e contenttypes -e auth.permission -o last.json &&
fxsync --state st1 init --local a.sqlite3 --online e.sqlite3 --schema "$FX_ROOT/schemas/erp.json" --base last.json >out 2>err &&
gzip -dc st1/base.json.gz | cmp - last.json &&
test_expect_code 1 fxsync --state st1 status >out 2>err &&
grep -qx 'local: no change since the last sync' out &&
grep -q '^online: 10852 records changed since the last sync: auth.user -5, ' out
EOT

test_expect 'init beside the local file, sides equal: the base is their rows; status exit 0, writes nothing' <<\EOT
fxsync init --local a.sqlite3 --online b.sqlite3 --schema "$FX_ROOT/schemas/erp.json" >out 2>err &&
grep -qx 'the two sides hold the same rows: that is the base' out &&
test -f .fxsync/base.json.gz && test -f .fxsync/config.json &&
ls -R .fxsync >before &&
fxsync --state .fxsync status >out 2>err &&
test_cmp - out <<\EOF &&
local: no change since the last sync
online: no change since the last sync
in step
EOF
ls -R .fxsync >after && test_cmp before after &&
test_expect_code 2 fxsync init --local a.sqlite3 --online b.sqlite3 2>err &&
grep -q "already holds an fxsync pair" err
EOT

test_expect 'both sides add order 2001 and edit one category: status -v, then --dry-run writes nothing' <<\EOT
q a.sqlite3 "insert into supermarket_commande values (2001,'L-1','2025-01-01 10:00:00','nouvelle',10.5,1,NULL,NULL); update supermarket_categorie set libelle='local edit' where id=1; delete from supermarket_lignecommande where id=385" &&
q b.sqlite3 "insert into supermarket_commande values (2001,'O-1','2025-01-02 10:00:00','nouvelle',20.5,1,NULL,NULL); update supermarket_categorie set parent_id=2 where id=1" &&
test_expect_code 1 fxsync --state .fxsync status -v >out 2>err &&
grep -qx 'local: ~ supermarket.categorie 1  libelle: "Rayon 0 — épicerie" -> "local edit"' out &&
grep -qx 'online: + supermarket.commande 2001' out &&
grep -qx 'a sync would merge cleanly' out &&
cp a.sqlite3 a.before && cp b.sqlite3 b.before &&
fxsync --state .fxsync sync --dry-run >out 2>err &&
grep -qx 'local: ~ supermarket.commande 2001  numero: "L-1" -> "O-1", date: "2025-01-01T10:00:00Z" -> "2025-01-02T10:00:00Z", total: "10.50" -> "20.50"' out &&
grep -qx 'online: - supermarket.lignecommande 385' out &&
cmp a.before a.sqlite3 && cmp b.before b.sqlite3 && test ! -d .fxsync/journal
EOT

test_expect 'sync: the local order renumbered, both files hold the same rows, journal and report' <<\EOT
fxsync sync --state .fxsync --report rep.json >out 2>err &&
test_cmp - out <<\EOF &&
renumbered: supermarket.commande 2001 -> 2002 (local's new record)
local: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted
local: wrote supermarket.commande: 1 inserted, 1 updated, 0 deleted
online: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted
online: wrote supermarket.commande: 1 inserted, 0 updated, 0 deleted
online: wrote supermarket.lignecommande: 0 inserted, 0 updated, 1 deleted
EOF
test "$(q a.sqlite3 "select id, numero from supermarket_commande where id > 2000")" = "2001|O-1
2002|L-1" &&
test "$(q b.sqlite3 "select id, numero from supermarket_commande where id > 2000")" = "2001|O-1
2002|L-1" &&
test "$(q b.sqlite3 "select parent_id, libelle from supermarket_categorie where id = 1")" = "2|local edit" &&
fxdump --db a.sqlite3 --schema "$FX_ROOT/schemas/erp.json" -o a.json &&
fxdump --db b.sqlite3 --schema "$FX_ROOT/schemas/erp.json" -o b.json && cmp a.json b.json &&
grep -q '"new_key": "2002"' rep.json && grep -q '"result": "synced"' rep.json &&
grep -q '"pk": 385' .fxsync/journal/000001/online-before.json &&
grep -q '"numero": "L-1"' .fxsync/journal/000001/local-before.json &&
fxsync --state .fxsync status >out 2>&1
EOT

test_expect 'an idle round writes nothing and adds no journal entry' <<\EOT
cp a.sqlite3 a.before && cp b.sqlite3 b.before &&
fxsync --state .fxsync sync >out 2>err &&
cmp a.before a.sqlite3 && cmp b.before b.sqlite3 &&
test "$(ls .fxsync/journal)" = 000001
EOT

test_expect 'pull writes only the local side; the base is the online rows, so status shows the local change pending' <<\EOT
q a.sqlite3 "update supermarket_categorie set libelle='L2' where id=2" &&
q b.sqlite3 "update supermarket_categorie set libelle='O3' where id=3" &&
cp b.sqlite3 b.before &&
fxsync --state .fxsync pull >out 2>err &&
grep -qx 'local: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted' out &&
cmp b.before b.sqlite3 &&
test "$(q a.sqlite3 "select libelle from supermarket_categorie where id=3")" = O3 &&
test_expect_code 1 fxsync --state .fxsync status >out 2>err &&
grep -q '^local: 1 record changed since the last sync: supermarket.categorie ~1$' out &&
grep -qx 'online: no change since the last sync' out &&
fxsync --state .fxsync push >out 2>err &&
test "$(q b.sqlite3 "select libelle from supermarket_categorie where id=2")" = L2 &&
fxsync --state .fxsync status >out 2>err
EOT

test_expect '--keep 2 keeps the newest two journal entries; log lists them' <<\EOT
for i in 4 5 6; do
    q a.sqlite3 "update supermarket_categorie set libelle='K$i' where id=$i" &&
    fxsync --state .fxsync sync --keep 2 >/dev/null 2>&1 || return 1
done &&
test "$(ls .fxsync/journal | tr '\n' ' ')" = "000005 000006 " &&
fxsync --state .fxsync log >out &&
test $(wc -l <out) = 2 && head -1 out | grep -q '^000006 .* sync  local +0 ~0 -0  online +0 ~1 -0$'
EOT

# rows: a SQLite file's rows, table by table, with its AUTOINCREMENT
# counters (sqlite_sequence: the next id each table hands out)
rows () { sqlite3 "$1" .dump; }

test_expect 'undo: both files row for row as before the last round, AUTOINCREMENT counters too, the base too; the next sync does it again' <<\EOT
mkdir u && cp a.sqlite3 u/a.sqlite3 && cp a.sqlite3 u/b.sqlite3 && cd u &&
fxsync init --local a.sqlite3 --online b.sqlite3 --schema "$FX_ROOT/schemas/erp.json" >/dev/null &&
q a.sqlite3 "insert into supermarket_commande values (2101,'L-U','2025-01-01 10:00:00','nouvelle',10.5,1,NULL,NULL); insert into supermarket_lignecommande values (7101, 1, 10.5, 0, 2101, 1); update supermarket_categorie set libelle='undo me' where id=1; delete from supermarket_lignecommande where id=386" &&
q b.sqlite3 "insert into supermarket_commande values (2101,'O-U','2025-01-02 10:00:00','nouvelle',20.5,1,NULL,NULL); update supermarket_categorie set parent_id=3 where id=1; delete from supermarket_mouvementstock where id=17" &&
rows a.sqlite3 >a.rows && rows b.sqlite3 >b.rows && gzip -dc .fxsync/base.json.gz >base.before &&
fxsync sync >sync.out &&
grep -q 'renumbered: supermarket.commande 2101 -> 2102' sync.out &&
rows b.sqlite3 | grep -qx "INSERT INTO sqlite_sequence VALUES('supermarket_lignecommande',7101);" &&
fxdump --db a.sqlite3 --schema "$FX_ROOT/schemas/erp.json" -o after.json &&
fxsync undo -n >dry.out && grep -qx 'local: - supermarket.commande 2102' dry.out &&
fxsync undo >undo.out &&
test_cmp - undo.out <<\EOF &&
local: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted
local: wrote supermarket.commande: 0 inserted, 1 updated, 1 deleted
local: wrote supermarket.lignecommande: 0 inserted, 1 updated, 0 deleted
local: wrote supermarket.mouvementstock: 1 inserted, 0 updated, 0 deleted
online: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted
online: wrote supermarket.commande: 0 inserted, 0 updated, 1 deleted
online: wrote supermarket.lignecommande: 1 inserted, 0 updated, 1 deleted
round 000001 undone: the base is the one before it
EOF
rows a.sqlite3 | test_cmp a.rows - && rows b.sqlite3 | test_cmp b.rows - &&
cp b.sqlite3 b.next &&
test "$(q b.next "insert into supermarket_commande (numero, date, statut, total, agence_id) values ('N', '2025-01-01 10:00:00', 'nouvelle', 1, 1) returning id")" = 2102 &&
gzip -dc .fxsync/base.json.gz | cmp - base.before &&
grep -q '"result": "undone"' .fxsync/journal/000001/summary.json &&
fxsync log >log.out && head -1 log.out | grep -q '^000002 .* undo ' &&
sed -n 2p log.out | grep -q '^000001 .* sync .*  (undone)$' &&
fxsync sync >sync2.out && fxdump --db a.sqlite3 --schema "$FX_ROOT/schemas/erp.json" | cmp - after.json &&
fxdump --db b.sqlite3 --schema "$FX_ROOT/schemas/erp.json" | cmp - after.json
EOT

# cats DB: categories 2 and 3, orders 2201 to 2203 and line 400 as they are
cats () {
    q "$1" "select id, libelle, ifnull(parent_id, '-') from supermarket_categorie where id in (2, 3);
            select id, numero from supermarket_commande where id between 2201 and 2203;
            select 'line', id, commande_id from supermarket_lignecommande where id = 400"
}

test_expect 'undo merged with the changes made since (another field of a row the round changed, a new row, a row the round inserted deleted since): they stay, the rest is undone' <<\EOT
mkdir m && cp u/a.sqlite3 m/a.sqlite3 && cp u/a.sqlite3 m/b.sqlite3 && cd m &&
fxsync init --local a.sqlite3 --online b.sqlite3 --schema "$FX_ROOT/schemas/erp.json" >/dev/null &&
q a.sqlite3 "select libelle from supermarket_categorie where id = 2" >c2 &&
q a.sqlite3 "select libelle from supermarket_categorie where id = 3" >c3 &&
q a.sqlite3 "update supermarket_categorie set libelle = 'L2 round' where id = 2;
  insert into supermarket_commande values (2201,'M-L','2025-01-01 10:00:00','nouvelle',1,1,NULL,NULL)" &&
q b.sqlite3 "update supermarket_categorie set libelle = 'O3 round' where id = 3;
  insert into supermarket_commande values (2202,'M-O','2025-01-01 11:00:00','nouvelle',2,1,NULL,NULL);
  delete from supermarket_lignecommande where id = 400" &&
fxsync sync >/dev/null &&
q a.sqlite3 "update supermarket_categorie set parent_id = 5 where id = 3;
  insert into supermarket_commande values (2203,'M-later','2025-01-03 10:00:00','nouvelle',3,1,NULL,NULL)" &&
q b.sqlite3 "update supermarket_categorie set parent_id = 4 where id = 2; delete from supermarket_commande where id = 2201" &&
fxsync undo >undo.out &&
test_cmp - undo.out <<\EOF &&
local: 1 of the rows round 000001 wrote changed since: the undo is merged with those changes
online: 2 of the rows round 000001 wrote changed since: the undo is merged with those changes
local: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted
local: wrote supermarket.commande: 0 inserted, 0 updated, 1 deleted
local: wrote supermarket.lignecommande: 1 inserted, 0 updated, 0 deleted
online: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted
round 000001 undone: the base is the one before it
EOF
printf '2|L2 round|-\n3|%s|5\n2201|M-L\n2203|M-later\nline|400|127\n' "$(cat c3)" >want &&
cats a.sqlite3 | test_cmp want - &&
printf '2|%s|4\n3|O3 round|-\n2202|M-O\n' "$(cat c2)" >want &&
cats b.sqlite3 | test_cmp want - &&
test "$(q a.sqlite3 "select seq from sqlite_sequence where name = 'supermarket_commande'")" = 2203
EOT

test_expect 'undo meeting a change made since (the same field; a row the round inserted, edited): exit 1, said, nothing written; --strategy ours keeps the change, theirs undoes it' <<\EOT
cd m && fxsync sync >/dev/null &&
q a.sqlite3 "update supermarket_categorie set libelle = 'L3 later' where id = 3; update supermarket_commande set numero = 'M-O2' where id = 2202" &&
cp a.sqlite3 a.keep && cp b.sqlite3 b.keep &&
test_expect_code 1 fxsync undo --report rep.json >out 2>err &&
test_cmp - out <<\EOF &&
local: 2 of the rows round 000003 wrote changed since: the undo is merged with those changes
local: conflict: supermarket.categorie 3: field libelle
local: conflict: supermarket.commande 2202: modify/delete
2 conflicts: nothing written; run 'fxsync undo --strategy ours' (the changes made since win) or 'fxsync undo --strategy theirs' (the undo wins), or edit those rows and undo again
EOF
grep -q '"result": "conflicts"' rep.json && grep -q '"fields": "libelle"' rep.json &&
cmp a.keep a.sqlite3 && cmp b.keep b.sqlite3 && test "$(ls .fxsync/journal | tr '\n' ' ')" = "000001 000002 000003 " &&
cp -R . ../m2 &&
fxsync undo --strategy ours >/dev/null &&
printf '2|L2 round|-\n3|L3 later|5\n2201|M-L\n2202|M-O2\n2203|M-later\nline|400|127\n' >want &&
cats a.sqlite3 | test_cmp want - &&
printf '2|%s|4\n3|O3 round|-\n2202|M-O\n' "$(cat c2)" >want &&
cats b.sqlite3 | test_cmp want - &&
cd ../m2 && fxsync undo --strategy theirs >/dev/null &&
printf '2|L2 round|-\n3|%s|5\n2201|M-L\n2203|M-later\nline|400|127\n' "$(cat c3)" >want &&
cats a.sqlite3 | test_cmp want - &&
printf '2|%s|4\n3|O3 round|-\n2202|M-O\n' "$(cat c2)" >want &&
cats b.sqlite3 | test_cmp want -
EOT

test_expect 'undo meeting a row made since under the id of one the round deleted: exit 1, said, --strategy does not decide it, nothing written' <<\EOT
mkdir d && cp u/a.sqlite3 d/a.sqlite3 && cp u/a.sqlite3 d/b.sqlite3 && cd d &&
fxsync init --local a.sqlite3 --online b.sqlite3 --schema "$FX_ROOT/schemas/erp.json" >/dev/null &&
q b.sqlite3 "delete from supermarket_mouvementstock where id = 21" && fxsync sync >/dev/null &&
q a.sqlite3 "insert into supermarket_mouvementstock select 21, quantite, 'again', horodatage, duree_traitement, heure, agence_id, produit_id from supermarket_mouvementstock where id = 22" &&
cp a.sqlite3 a.keep && cp b.sqlite3 b.keep &&
test_expect_code 1 fxsync undo --strategy theirs >out 2>err &&
test_cmp - out <<\EOF &&
local: 1 of the rows round 000001 wrote changed since: the undo is merged with those changes
local: conflict: supermarket.mouvementstock 21: add/add (the round deleted it, a row was made under its id since: --strategy does not decide that; delete or move that row, then undo)
1 conflict: nothing written; run 'fxsync undo --strategy ours' (the changes made since win) or 'fxsync undo --strategy theirs' (the undo wins), or edit those rows and undo again
EOF
cmp a.keep a.sqlite3 && cmp b.keep b.sqlite3
EOT

test_expect 'undo meeting a row added since that refers to a row the round inserted: a conflict (cascade); --strategy theirs deletes both, ours keeps both' <<\EOT
mkdir k && cp u/a.sqlite3 k/a.sqlite3 && cp u/a.sqlite3 k/b.sqlite3 && cd k &&
fxsync init --local a.sqlite3 --online b.sqlite3 --schema "$FX_ROOT/schemas/erp.json" >/dev/null &&
q b.sqlite3 "insert into supermarket_commande values (2301,'K-O','2025-01-01 10:00:00','nouvelle',1,1,NULL,NULL)" &&
fxsync sync >/dev/null &&
q a.sqlite3 "insert into supermarket_lignecommande values (7301, 1, 10.5, 0, 2301, 1)" &&
cp a.sqlite3 a.keep && cp b.sqlite3 b.keep &&
test_expect_code 1 fxsync undo >out 2>err &&
test_cmp - out <<\EOF &&
local: conflict: supermarket.commande 2301: cascade
1 conflict: nothing written; run 'fxsync undo --strategy ours' (the changes made since win) or 'fxsync undo --strategy theirs' (the undo wins), or edit those rows and undo again
EOF
cmp a.keep a.sqlite3 && cmp b.keep b.sqlite3 && cp -R . ../k2 &&
fxsync undo --strategy theirs >/dev/null &&
test "$(q a.sqlite3 "select count(*) from supermarket_commande where id = 2301; select count(*) from supermarket_lignecommande where id = 7301")" = "0
0" &&
cd ../k2 && fxsync undo --strategy ours >/dev/null &&
test "$(q a.sqlite3 "select count(*) from supermarket_commande where id = 2301; select count(*) from supermarket_lignecommande where id = 7301")" = "1
1"
EOT

test_expect 'usage mistakes: exit 2, said plainly' <<\EOT
test_expect_code 2 fxsync 2>err && grep -q 'no command given' err &&
test_expect_code 2 fxsync frob 2>err && grep -q "unknown command 'frob'" err &&
test_expect_code 2 fxsync pull --local a.sqlite3 2>err && grep -q 'are for init' err &&
test_expect_code 2 fxsync push --continue 2>err && grep -q 'are for sync' err &&
test_expect_code 2 fxsync sync --strategy mine 2>err && grep -q "'ours' (local wins)" err &&
test_expect_code 2 fxsync --state nowhere status 2>err &&
grep -q "'nowhere' is not an fxsync state directory" err
EOT

test_done
