#!/usr/bin/env bash
# fxsync with the online side given as a file (an export of a database
# fxsync cannot reach): the round writes the local file and a patch;
# fxload --patch applies it (SQLite and PostgreSQL), refused on a database
# that moved on; the base moves when the next export shows it applied; a
# patch not applied is pending (status) and superseded by the next round,
# nothing lost or doubled; a patch that moves a colliding order and its
# line.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/dump.sh"

W=$FX_TRASH/w
mkdir -p "$W"
test_expect () {
    test_expect_success "$1" "cd \"\$W\" && $(cat)"
}
SCHEMA=$FX_ROOT/schemas/erp.json
q () { sqlite3 "$@"; }
# the online database's export, as the shop's server would send it
export_on () { fxdump -q --db "$1" --schema "$SCHEMA" --natural-foreign --indent 2 -e contenttypes -e auth.permission -o online.json.gz; }
dumpof () { fxdump -q --db "$1" --schema "$SCHEMA" -e contenttypes -e auth.permission; }
# rows: a SQLite file's rows (.dump) without the AUTOINCREMENT counters
rows () { sqlite3 "$1" .dump | grep -v '^INSERT INTO sqlite_sequence '; }
P=.fxsync/patches

test_expect 'setup: the local file and the online database hold the corpus; init with the online export' <<\EOT
cp "$FX_TESTDATA/corpus/empty.sqlite3" a.sqlite3 &&
fxload -q --db a.sqlite3 "$FX_TESTDATA/corpus/base.json" && cp a.sqlite3 on.sqlite3 &&
export_on on.sqlite3 &&
fxsync init --local a.sqlite3 --online online.json.gz --schema "$SCHEMA" >out &&
test_cmp - out <<\EOF &&
the two sides hold the same rows: that is the base
EOF
grep -q '"online_is_file": true' .fxsync/config.json
EOT

test_expect 'sync: the local file written, the online side a patch; status says it is pending' <<\EOT
q a.sqlite3 "insert into supermarket_commande values (2001,'L-1','2025-01-01 10:00:00','nouvelle',10.5,1,NULL,NULL); update supermarket_categorie set libelle='local edit' where id=1; delete from supermarket_lignecommande where id=385" &&
q on.sqlite3 "insert into supermarket_commande values (2001,'O-1','2025-01-02 10:00:00','nouvelle',20.5,1,NULL,NULL); update supermarket_categorie set parent_id=2 where id=1" &&
export_on on.sqlite3 && cp on.sqlite3 on0.sqlite3 && cp online.json.gz online0.json.gz &&
fxsync sync >out 2>err &&
sed -i "s|$SCHEMA|ERP|g" out &&
test_cmp - out <<\EOF &&
renumbered: supermarket.commande 2001 -> 2002 (local's new record)
local: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted
local: wrote supermarket.commande: 1 inserted, 1 updated, 0 deleted
online: to patch supermarket.categorie: 0 inserted, 1 updated, 0 deleted
online: to patch supermarket.commande: 1 inserted, 0 updated, 0 deleted
online: to patch supermarket.lignecommande: 0 inserted, 0 updated, 1 deleted
online: patch '.fxsync/patches/000001.json' written: apply it with 'fxload --db DATABASE --schema ERP --patch .fxsync/patches/000001.json', export that database again to 'online.json.gz', then run fxsync: the base moves on when the export shows it applied
EOF
test "$(q a.sqlite3 "select id, numero from supermarket_commande where id > 2000")" = "2001|O-1
2002|L-1" &&
grep -q '"op": "delete", "model": "supermarket.lignecommande", "pk": 385, "before": true, "after": false' $P/000001.json &&
grep -q '"op": "upsert", "model": "supermarket.commande", "pk": 2002, "before": false, "after": true' $P/000001.json &&
cp $P/000001.json patch1.json &&
test_expect_code 1 fxsync status >out 2>err &&
sed -i "s|$SCHEMA|ERP|g" out &&
test_cmp - out <<\EOF
online: patch '.fxsync/patches/000001.json' is pending: its export does not show it applied; apply it with 'fxload --db DATABASE --schema ERP --patch .fxsync/patches/000001.json' and export that database again (a sync now writes a new patch in its place)
local: 3 records changed since the last sync: supermarket.categorie ~1, supermarket.commande +1, supermarket.lignecommande -1
online: no change since the last sync
EOF
EOT

test_expect 'the patch refused on a database that moved on since its export: exit 1, named row and field, nothing written' <<\EOT
cp on0.sqlite3 moved.sqlite3 &&
q moved.sqlite3 "update supermarket_categorie set libelle='edited since' where id=1" &&
rows moved.sqlite3 >moved.rows &&
test_expect_code 1 fxload --db moved.sqlite3 --schema "$SCHEMA" --patch patch1.json 2>err &&
grep -qx 'patch1.json: error: the database is not as the patch expects (1 row moved on since the export it was made from): supermarket.categorie 1 field libelle is "edited since", the patch expects "Rayon 0 — épicerie"; nothing written: export that database again, give the export to fxsync and run the sync again, which writes a new patch' err &&
grep -qx 'fxload: nothing was written to moved.sqlite3' err &&
rows moved.sqlite3 | test_cmp moved.rows - &&
q moved.sqlite3 "insert into supermarket_commande values (2002,'X','2025-01-02 10:00:00','nouvelle',1,1,NULL,NULL)" &&
q moved.sqlite3 "update supermarket_categorie set libelle='Rayon 0 — épicerie' where id=1" &&
rows moved.sqlite3 >moved.rows &&
test_expect_code 1 fxload --db moved.sqlite3 --schema "$SCHEMA" --patch patch1.json 2>err &&
grep -q 'supermarket.commande 2002 exists, the patch expects no such row' err &&
rows moved.sqlite3 | test_cmp moved.rows -
EOT

test_expect 'fxload --patch on the online database; its new export: status in step, the next round writes nothing' <<\EOT
fxload --db on.sqlite3 --schema "$SCHEMA" --patch .fxsync/patches/000001.json 2>err &&
test_cmp - err <<\EOF &&
fxload: supermarket.categorie                  0 inserted       1 updated       0 unchanged       0 deleted
fxload: supermarket.commande                   1 inserted       0 updated       0 unchanged       0 deleted
fxload: supermarket.lignecommande              0 inserted       0 updated       0 unchanged       1 deleted
fxload: patch applied: 1 inserted, 1 updated, 0 unchanged, 1 deleted
EOF
dumpof a.sqlite3 >a.json && dumpof on.sqlite3 | cmp - a.json &&
export_on on.sqlite3 &&
fxsync status >out 2>err &&
test_cmp - out <<\EOF &&
online: its export shows patch '.fxsync/patches/000001.json' applied: the base moves on to what both sides hold
local: no change since the last sync
online: no change since the last sync
in step
EOF
cp a.sqlite3 a.before &&
fxsync sync >out 2>err &&
test_cmp - out <<\EOF &&
online: its export shows patch '.fxsync/patches/000001.json' applied: the base moves on to what both sides hold
local: nothing to write
online: nothing to write
EOF
cmp a.before a.sqlite3 && test "$(ls $P)" = 000001.json && test ! -e .fxsync/pending.json &&
grep -q '"result": "synced"' .fxsync/journal/000001/summary.json &&
fxsync status >out 2>err && tail -1 out | grep -qx 'in step'
EOT

test_expect 'applied twice: refused, the rows it wrote are not as it expects before' <<\EOT
test_expect_code 1 fxload --db on.sqlite3 --schema "$SCHEMA" --patch patch1.json 2>err &&
grep -q 'the database is not as the patch expects (3 rows moved on' err
EOT

test_expect 'a patch moving the online order that collides (--renumber online), not applied: pending, superseded, nothing doubled' <<\EOT
q a.sqlite3 "insert into supermarket_commande values (2101,'L-2','2025-01-01 10:00:00','nouvelle',10.5,1,NULL,NULL); insert into supermarket_lignecommande values (7101, 1, 10.5, 0, 2101, 1)" &&
q on.sqlite3 "insert into supermarket_commande values (2101,'O-2','2025-01-02 10:00:00','nouvelle',20.5,1,NULL,NULL); insert into supermarket_lignecommande values (7102, 2, 20.5, 0, 2101, 2)" &&
export_on on.sqlite3 &&
fxsync sync --renumber online >out 2>err &&
sed -i "s|$SCHEMA|ERP|g" out &&
test_cmp - out <<\EOF &&
renumbered: supermarket.commande 2101 -> 2102 (online's new record)
local: wrote supermarket.commande: 1 inserted, 0 updated, 0 deleted
local: wrote supermarket.lignecommande: 1 inserted, 0 updated, 0 deleted
online: to patch supermarket.commande: 1 inserted, 1 updated, 0 deleted
online: to patch supermarket.lignecommande: 1 inserted, 1 updated, 0 deleted
online: patch '.fxsync/patches/000002.json' written: apply it with 'fxload --db DATABASE --schema ERP --patch .fxsync/patches/000002.json', export that database again to 'online.json.gz', then run fxsync: the base moves on when the export shows it applied
EOF
grep -qx '{"model": "fxpatch.move", "pk": 1, "fields": {"model": "supermarket.commande", "old_pk": "2101", "new_pk": "2102"}}' $P/000002.json &&
test_expect_code 1 fxsync status >out &&
grep -qx "online: patch '.fxsync/patches/000002.json' is pending: .*" out &&
fxsync sync >out 2>err &&
sed -i "s|$SCHEMA|ERP|g" out &&
test_cmp - out <<\EOF &&
online: patch '.fxsync/patches/000002.json' is pending: its export does not show it applied; apply it with 'fxload --db DATABASE --schema ERP --patch .fxsync/patches/000002.json' and export that database again (a sync now writes a new patch in its place)
local: nothing to write
online: to patch supermarket.commande: 1 inserted, 1 updated, 0 deleted
online: to patch supermarket.lignecommande: 1 inserted, 1 updated, 0 deleted
online: patch '.fxsync/patches/000003.json' written: apply it with 'fxload --db DATABASE --schema ERP --patch .fxsync/patches/000003.json', export that database again to 'online.json.gz', then run fxsync: the base moves on when the export shows it applied
EOF
grep -q '"result": "patch not applied: superseded"' .fxsync/journal/000002/summary.json &&
fxload -q --db on.sqlite3 --schema "$SCHEMA" --patch $P/000003.json &&
test "$(q on.sqlite3 "select l.id, c.id, c.numero from supermarket_lignecommande l join supermarket_commande c on c.id = l.commande_id where l.id > 7100")" = "7101|2101|L-2
7102|2102|O-2" &&
export_on on.sqlite3 && fxsync sync >out 2>err &&
grep -qx 'local: nothing to write' out && grep -qx 'online: nothing to write' out &&
dumpof a.sqlite3 >a.json && dumpof on.sqlite3 | cmp - a.json &&
fxsync status >out && tail -1 out | grep -qx 'in step'
EOT

test_expect 'only the online export changed: the local file written, no patch, the base moves' <<\EOT
q on.sqlite3 "update supermarket_categorie set libelle='online only' where id=4" &&
export_on on.sqlite3 &&
fxsync sync >out 2>err &&
test_cmp - out <<\EOF &&
local: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted
online: nothing to write
EOF
test "$(ls $P | tr '\n' ' ')" = "000001.json 000002.json 000003.json " &&
test ! -e .fxsync/pending.json &&
fxsync status >out && tail -1 out | grep -qx 'in step'
EOT

test_expect 'the local side a file: the patch for it, applied, in step; init --from the file side writes the database' <<\EOT
mkdir l && cd l &&
cp ../a.sqlite3 srv.sqlite3 && cp ../a.sqlite3 shop.sqlite3 &&
ex () { fxdump -q --db shop.sqlite3 --schema "$SCHEMA" --natural-foreign --indent 2 -e contenttypes -e auth.permission -o local.json; } && ex &&
fxsync --state st init --local local.json --online srv.sqlite3 --schema "$SCHEMA" >out &&
q shop.sqlite3 "update supermarket_categorie set libelle='shop edit' where id=1" &&
q srv.sqlite3 "update supermarket_categorie set libelle='server edit' where id=2" && ex &&
fxsync --state st sync >out &&
sed -i "s|$SCHEMA|ERP|g" out &&
test_cmp - out <<\EOF &&
local: to patch supermarket.categorie: 0 inserted, 1 updated, 0 deleted
online: wrote supermarket.categorie: 0 inserted, 1 updated, 0 deleted
local: patch 'st/patches/000001.json' written: apply it with 'fxload --db DATABASE --schema ERP --patch st/patches/000001.json', export that database again to 'local.json', then run fxsync: the base moves on when the export shows it applied
EOF
fxload -q --db shop.sqlite3 --schema "$SCHEMA" --patch st/patches/000001.json && ex &&
fxsync --state st status >out && tail -1 out | grep -qx 'in step' &&
dumpof shop.sqlite3 >shop.json && dumpof srv.sqlite3 | cmp - shop.json &&
cp "$FX_TESTDATA/corpus/empty.sqlite3" e.sqlite3 &&
fxsync --state st2 init --local e.sqlite3 --online local.json --schema "$SCHEMA" --from online >out &&
tail -1 out | grep -qx "local now holds online's rows: that is the base" &&
dumpof e.sqlite3 | cmp - shop.json
EOT

test_expect 'refused: both sides files, init --from writing the file side, undo, a patch with fixtures' <<\EOT
test_expect_code 2 fxsync --state st2 init --local online0.json.gz --online online.json.gz --schema "$SCHEMA" 2>err &&
grep -q "both sides are exports ('online0.json.gz', 'online.json.gz')" err &&
test_expect_code 2 fxsync --state st3 init --local a.sqlite3 --online online0.json.gz --from local --schema "$SCHEMA" 2>err &&
grep -q -- "--from local would write the online side, which is an export" err &&
test ! -e st3/config.json &&
test_expect_code 2 fxsync undo 2>err && grep -q 'undo is not done for a pair with a side given as a file' err &&
test_expect_code 2 fxload --db on.sqlite3 --patch patch1.json x.json 2>err &&
grep -q -- '--patch applies one patch: no fixture file with it' err &&
test_expect_code 1 fxload --db on.sqlite3 --patch online0.json.gz 2>err &&
grep -q 'not a patch fxsync wrote: its first record is not fxpatch.patch' err
EOT

# PostgreSQL: the same patch onto the online database as a server holds it
trap pg_teardown EXIT
unset FX_PG
export FX_PG_PORT=$((59000 + $$ % 1000))
pg_setup || test_done

test_expect 'PostgreSQL: the patch applied to a server holding the first export; refused once it moved on' <<\EOT
createdb tmpl && django erp pg:tmpl migrate -v0 &&
fxload -q --db dbname=tmpl online0.json.gz &&
createdb -T tmpl on &&
fxload --db dbname=on --schema "$SCHEMA" --patch patch1.json 2>err &&
grep -qx 'fxload: patch applied: 1 inserted, 1 updated, 0 unchanged, 1 deleted' err &&
cp on0.sqlite3 r.sqlite3 && fxload -q --db r.sqlite3 --schema "$SCHEMA" --patch patch1.json &&
dumpof r.sqlite3 >r.json && dumpof dbname=on >pg.json && fxdiff r.json pg.json &&
createdb -T tmpl moved &&
psql -q -d moved -c "update supermarket_categorie set libelle='edited since' where id=1" &&
dumpof dbname=moved >moved.before &&
test_expect_code 1 fxload --db dbname=moved --schema "$SCHEMA" --patch patch1.json 2>err &&
grep -q 'supermarket.categorie 1 field libelle is "edited since", the patch expects "Rayon 0 — épicerie"' err &&
dumpof dbname=moved | cmp - moved.before
EOT

test_done
