#!/usr/bin/env bash
# The README's sync procedures, run exactly as the README writes them.
#
# The commands are read out of README.md: the fenced block after each
# "<!-- procedure: NAME -->" line.  "# on the server" and "# on the local
# PC" comments say where the next lines run; a file such a comment names
# ("with online.json downloaded") is copied from the other side first.
# Every other line runs as written, in that side's directory:
#
#   local/    db.sqlite3 (a SQLite database migrate made) and a manage.py
#             for the reference app (tests/django) on it
#   server/   a manage.py for the same app on PostgreSQL database "erp"
#             (a throwaway cluster of this file's own, so the README's
#             "dbname=erp" means it)
#
# Between rounds, readme-sync-edits.py makes each side's edits through
# Django (new orders under the same ids on both sides, edits of different
# fields of one record, deletions with their CASCADE and SET_NULL,
# many-to-many adds and removes, users' and groups' permissions).  After
# each round: every expected change is in each database that should have
# it (the edits script's own table, written from the edits), both
# databases are equal when the procedure wrote both, and the next round
# would see no change that nobody made.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/django.sh"
sync_tests

test_expect () {
    test_expect_success "$1" "$(cat)"
}

# A cluster of this file's own (see t5010): the README's procedures name
# the server's database "erp", which must not be shared with other files.
unset FX_PG
export FX_PG_PORT=$((56000 + $$ % 1000))
trap pg_teardown EXIT
pg_setup || test_done

# The README's python3 is the one with Django (Debian's).
mkdir -p "$FX_TRASH/pybin" && ln -sf /usr/bin/python3 "$FX_TRASH/pybin/python3"
PATH=$FX_TRASH/pybin:$PATH

# procedure NAME: the lines of the README's block for NAME.
procedure () {
    awk -v name="$1" '
        $0 == "<!-- procedure: " name " -->" { want = 1; next }
        want && /^```/ { if (inside) exit; inside = 1; next }
        inside { print }' "$FX_ROOT/README.md"
}

# run_procedure NAME DIR: run the block in DIR/local and DIR/server.
run_procedure () {
    local name=$1 top=$2 side= line f other
    procedure "$name" >"$top/$name.sh"
    [ -s "$top/$name.sh" ] || { echo "README.md has no procedure '$name'" >&2; return 1; }
    while IFS= read -r line; do
        case $line in
        "# on the server"*) side=server other=local ;;
        "# on the local PC"*) side=local other=server ;;
        "#"*|"") continue ;;
        *)  [ -n "$side" ] || { echo "procedure $name: '$line' runs nowhere" >&2; return 1; }
            echo "[$side] \$ $line"
            (cd "$top/$side" && eval "$line") || {
                echo "procedure $name: failed on the $side: $line" >&2; return 1; }
            continue ;;
        esac
        for f in $(grep -o '[A-Za-z0-9_.-]*\.json' <<<"$line"); do
            cp "$top/$other/$f" "$top/$side/$f" || return 1
        done
    done <"$top/$name.sh"
}

# setup DIR: a fresh pair: the server migrated and holding the corpus, the
# local PC a migrated empty database, then the README's start procedure.
setup () {
    sync_sides "$1" erp && run_procedure start "$1"
}

# no_change DIR SIDE: a new export of SIDE is the base, record for record.
no_change () {
    dump "$1" "$2" "$1/$2/now.json" && fxdiff -q "$1/local/last-sync.json" "$1/$2/now.json"
}

W=$FX_TRASH/both
test_expect 'the start procedure puts the local PC in step with the server' <<EOT
setup "$W" &&
dump "$W" local "$W/l.json" && dump "$W" server "$W/s.json" &&
same_data "$W/l.json" "$W/s.json" &&
test \$(grep -c '"model": "supermarket.commande"' "$W/l.json") = 2000 &&
no_change "$W" local && no_change "$W" server
EOT

for round in 1 2 3; do
    test_expect "both ways, round $round: both databases equal, every change kept" <<EOT
edits "$W" $round &&
run_procedure both "$W" &&
has_changes "$W" local $round && has_changes "$W" server $round &&
dump "$W" local "$W/l.json" && dump "$W" server "$W/s.json" &&
same_data "$W/l.json" "$W/s.json" &&
no_change "$W" local && no_change "$W" server
EOT
done

test_expect 'the sync in one screen, without fxsync, is the both-ways procedure' <<\EOT
procedure both >both.sh &&
awk '/^## The sync in one screen/ { on = 1; next } on && /^## / { exit }
     on && /^Without fxsync/ { by = 1 }
     by && /^    [^ ]/ { sub(/^    /, ""); print }' "$FX_ROOT/README.md" >screen.sh &&
sed -n '1,/^cp merged.json last-sync.json$/p' screen.sh >screen-sync.sh &&
test_cmp both.sh screen-sync.sh
EOT

W=$FX_TRASH/pp
test_expect 'pull: the local PC has the server changes and its own, the server only its own' <<EOT
setup "$W" && edits "$W" 1 &&
run_procedure pull "$W" &&
has_changes "$W" local 1 &&
! has_changes "$W" server 1 >/dev/null &&
grep -q 'MISSING (round 1) L1-A lines' "$W/check.server" &&
no_change "$W" server
EOT

test_expect 'push after the pull: the server has every change of both rounds' <<EOT
edits "$W" 2 &&
run_procedure push "$W" &&
has_changes "$W" server 2 &&
! has_changes "$W" local 2 >/dev/null &&
grep -q 'MISSING (round 2) O2-A lines' "$W/check.local" &&
no_change "$W" local
EOT

test_expect 'both ways after pull and push: equal, every change of three rounds' <<EOT
edits "$W" 3 &&
run_procedure both "$W" &&
has_changes "$W" local 3 && has_changes "$W" server 3 &&
dump "$W" local "$W/l.json" && dump "$W" server "$W/s.json" &&
same_data "$W/l.json" "$W/s.json" &&
no_change "$W" local && no_change "$W" server
EOT

test_done
