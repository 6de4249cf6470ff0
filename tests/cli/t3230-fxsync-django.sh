#!/usr/bin/env bash
# fxsync between a SQLite database (the local PC) and a PostgreSQL one
# (the server), both migrated from the reference app (tests/django),
# through three rounds of edits made with Django's ORM on both sides
# (readme-sync-edits.py, the edits and expected-change table t3150 runs
# the README's manual procedures with).  After each round both databases,
# exported with Django's own dumpdata, hold the same records, every
# expected change is there, and fxsync status sees no change nobody made.
# Then: pull and push alone, a conflict and --continue, the lock, an idle
# round that leaves the SQLite file as it was, and content types numbered
# otherwise on the server.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/django.sh"
sync_tests

test_expect () {
    test_expect_success "$1" "$(cat)"
}

unset FX_PG
export FX_PG_PORT=$((57000 + $$ % 1000))
trap pg_teardown EXIT
pg_setup || test_done

# setup DIR DBNAME: the server migrated and holding the corpus, the local
# PC a migrated empty database, and fxsync init --from online
setup () {
    sync_sides "$1" "$2" &&
    fxsync init --local "$1/local/db.sqlite3" --online "dbname=$2" \
        --schema "$FX_ROOT/schemas/erp.json" --from online >"$1/init.out" 2>"$1/init.err" &&
    grep -q "local now holds online's rows: that is the base" "$1/init.out"
}

# equal DIR: both databases, exported by Django, hold the same records
equal () {
    dump "$1" local "$1/l.json" && dump "$1" server "$1/s.json" &&
    same_data "$1/l.json" "$1/s.json"
}

# in_step DIR: fxsync status sees nothing to do (exit 0)
in_step () {
    fxsync --state "$1/local/.fxsync" status >"$1/status.out" 2>"$1/status.err"
    local rc=$?
    cat "$1/status.out"
    [ $rc = 0 ] && grep -qx 'in step' "$1/status.out"
}

S () {    # S DIR ARGS...: fxsync on DIR's pair
    local d=$1; shift
    fxsync --state "$d/local/.fxsync" "$@"
}

W=$FX_TRASH/both
test_expect 'init --from online: the local PC holds the server rows, both in step' <<EOT
setup "$W" erp1 &&
test -f "$W/local/.fxsync/base.json.gz" &&
equal "$W" && test \$(grep -c '"model": "supermarket.commande"' "$W/l.json") = 2000 &&
in_step "$W"
EOT

for round in 1 2 3; do
    test_expect "sync, round $round: both databases equal, every change kept, no phantom" <<EOT
edits "$W" $round &&
S "$W" status >"$W/st.out" 2>&1; test \$? = 1 &&
grep -q '^local: .* changed since the last sync' "$W/st.out" &&
grep -q '^online: .* changed since the last sync' "$W/st.out" &&
S "$W" sync --report "$W/report$round.json" >"$W/sync.out" 2>"$W/sync.err" &&
cat "$W/sync.out" &&
grep -q '^renumbered: supermarket.commande ' "$W/sync.out" &&
has_changes "$W" local $round && has_changes "$W" server $round &&
equal "$W" && in_step "$W" &&
grep -q '"result": "synced"' "$W/report$round.json"
EOT
done

test_expect 'an idle round writes no row: the SQLite file is byte for byte as it was' <<EOT
cp "$W/local/db.sqlite3" "$W/before.sqlite3" &&
S "$W" sync >"$W/idle.out" 2>&1 &&
grep -qx 'local: nothing to write' "$W/idle.out" &&
grep -qx 'online: nothing to write' "$W/idle.out" &&
cmp "$W/before.sqlite3" "$W/local/db.sqlite3"
EOT

test_expect 'log lists the rounds that wrote, newest first' <<EOT
S "$W" log >"$W/log.out" &&
cat "$W/log.out" &&
test \$(wc -l <"$W/log.out") = 3 &&
head -1 "$W/log.out" | grep -q '^000003 .* sync  local ' &&
test -s "$W/local/.fxsync/journal/000001/local-before.json"
EOT

test_expect 'a second sync while one holds the lock refuses, naming it; a dead one is taken over' <<EOT
sleep 60 & pid=\$! &&
echo \$pid >"$W/local/.fxsync/lock" &&
test_expect_code 2 S "$W" sync 2>"$W/lock.err" &&
grep -q "another fxsync (pid \$pid) is working on" "$W/lock.err" &&
kill \$pid && wait \$pid 2>/dev/null;
S "$W" sync >/dev/null 2>&1 && test ! -e "$W/local/.fxsync/lock"
EOT

test_expect 'a conflict writes nothing; status lists it; --continue --strategy applies' <<EOT
sqlite3 "$W/local/db.sqlite3" "update supermarket_produit set prix_vente='1.11' where id=6" &&
psql -d erp1 -qc "update supermarket_produit set prix_vente='2.22' where id=6" &&
cp "$W/local/db.sqlite3" "$W/before.sqlite3" &&
test_expect_code 1 S "$W" sync >"$W/c.out" 2>&1 &&
grep -q '^conflict: supermarket.produit 6: field prix_vente' "$W/c.out" &&
grep -q '1 conflict: nothing written' "$W/c.out" &&
cmp "$W/before.sqlite3" "$W/local/db.sqlite3" &&
test "\$(psql -d erp1 -Atc 'select prix_vente from supermarket_produit where id=6')" = 2.22 &&
grep -q '^<<<<<<<' "$W/local/.fxsync/conflicts/merged.json" &&
test_expect_code 1 S "$W" status >"$W/cs.out" 2>&1 &&
grep -q '^conflict: supermarket.produit 6: field prix_vente' "$W/cs.out" &&
test_expect_code 2 S "$W" sync --continue 2>"$W/cc.err" &&
grep -q 'resolve every conflict' "$W/cc.err" &&
S "$W" sync --continue --strategy theirs >"$W/c2.out" 2>&1 &&
test "\$(sqlite3 "$W/local/db.sqlite3" 'select prix_vente from supermarket_produit where id=6')" = 2.22 &&
test ! -e "$W/local/.fxsync/conflicts" &&
equal "$W" && in_step "$W"
EOT

W=$FX_TRASH/pp
test_expect 'pull: the local PC has both sides changes, the server only its own' <<EOT
setup "$W" erp2 && edits "$W" 1 &&
S "$W" pull >"$W/pull.out" 2>&1 &&
has_changes "$W" local 1 &&
! has_changes "$W" server 1 >/dev/null &&
grep -q 'MISSING (round 1) L1-A lines' "$W/check.server" &&
S "$W" status >"$W/st.out" 2>&1; test \$? = 1 &&
grep -qx 'online: no change since the last sync' "$W/st.out"
EOT

test_expect 'push after the pull: the server has every change of both rounds' <<EOT
edits "$W" 2 &&
S "$W" push >"$W/push.out" 2>&1 &&
has_changes "$W" server 2 &&
! has_changes "$W" local 2 >/dev/null &&
grep -q 'MISSING (round 2) O2-A lines' "$W/check.local" &&
S "$W" status >"$W/st.out" 2>&1; test \$? = 1 &&
grep -qx 'local: no change since the last sync' "$W/st.out"
EOT

test_expect 'sync after pull and push: equal, every change of three rounds, no phantom' <<EOT
edits "$W" 3 &&
S "$W" sync >"$W/sync.out" 2>&1 &&
has_changes "$W" local 3 && has_changes "$W" server 3 &&
equal "$W" && in_step "$W"
EOT

W=$FX_TRASH/ct
test_expect 'content types and permissions numbered otherwise on the server: permissions land on the right rows' <<EOT
setup "$W" erp3 &&
psql -d erp3 -q -v ON_ERROR_STOP=1 <<SQL &&
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
UPDATE django_content_type SET id = 1000 - id;
UPDATE auth_permission SET content_type_id = 1000 - content_type_id, id = 5000 - id;
UPDATE auth_user_user_permissions SET permission_id = 5000 - permission_id;
UPDATE auth_group_permissions SET permission_id = 5000 - permission_id;
COMMIT;
SQL
l=\$(sqlite3 "$W/local/db.sqlite3" "select p.id from auth_permission p join django_content_type c on c.id = p.content_type_id where p.codename = 'add_commande'") &&
s=\$(psql -d erp3 -Atc "select id from auth_permission where codename = 'add_commande'") &&
test "\$l" != "\$s" &&
in_step "$W" &&
edits "$W" 1 &&
S "$W" sync >"$W/sync.out" 2>&1 &&
has_changes "$W" local 1 && has_changes "$W" server 1 &&
equal "$W" && in_step "$W"
EOT

test_done
