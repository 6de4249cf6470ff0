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

test_expect () {
    test_expect_success "$1" "$(cat)"
}

DJ=$FX_ROOT/tests/django
EDITS=$FX_ROOT/tests/cli/readme-sync-edits.py
if ! /usr/bin/python3 -c 'import django, psycopg2' 2>/dev/null; then
    echo "# python3-django or python3-psycopg2 missing: skipped"
    test_done
fi

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

# A manage.py for the reference app, on the side's database.
make_side () {    # make_side DIR local|server
    mkdir -p "$1" && cat >"$1/manage.py" <<EOF
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
if "$2" == "server":
    os.environ["ERP_DB"] = "postgres"
    os.environ["PGDATABASE"] = "erp"
else:
    os.environ["ERP_SQLITE"] = os.path.join(here, "db.sqlite3")
sys.path.insert(0, "$DJ")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
EOF
}

# setup DIR: a fresh pair: the server migrated and holding the corpus, the
# local PC a migrated empty database, then the README's start procedure.
setup () {
    dropdb --if-exists erp && createdb erp &&
    make_side "$1/local" local && make_side "$1/server" server &&
    cp "$FX_TESTDATA/corpus/empty.sqlite3" "$1/local/db.sqlite3" &&
    (cd "$1/server" && python3 manage.py migrate -v0 &&
        cp "$FX_TESTDATA/corpus/base.json" corpus.json &&
        python3 manage.py loaddata -v0 corpus.json) &&
    run_procedure start "$1"
}

# edits DIR ROUND: each side's edits of that round.
edits () {
    (cd "$1/local" && SIDE=local ROUND=$2 python3 manage.py shell -c "exec(open('$EDITS').read())") &&
    (cd "$1/server" && SIDE=online ROUND=$2 python3 manage.py shell -c "exec(open('$EDITS').read())")
}

# has_changes DIR SIDE ROUND: every change of rounds 1 to ROUND is there.
has_changes () {
    (cd "$1/$2" && SIDE=check ROUND=$3 python3 manage.py shell -c "exec(open('$EDITS').read())") \
        >"$1/check.$2" || return 1
    cat "$1/check.$2"
    ! grep -q MISSING "$1/check.$2" && grep -q ' expected changes present' "$1/check.$2"
}

# dump DIR SIDE OUT: the side's data, as the procedures export it.
dump () {
    (cd "$1/$2" && python3 manage.py dumpdata --natural-foreign --indent 2 \
        --exclude contenttypes --exclude auth.permission -o "$3")
}

# same_data A B: the two exports hold the same records, by Python's json
# (not by fx): many-to-many lists compared as sets, JSON fields as values.
same_data () {
    /usr/bin/python3 - "$1" "$2" <<\EOF
import json, sys
def records(path):
    out = set()
    for r in json.load(open(path)):
        f = {k: sorted(map(json.dumps, v)) if isinstance(v, list) and k in
             ("fournisseurs", "user_permissions", "groups", "permissions") else v
             for k, v in r["fields"].items()}
        out.add(json.dumps([r["model"], r.get("pk"), f], sort_keys=True))
    return out
a, b = records(sys.argv[1]), records(sys.argv[2])
for x in sorted(a - b)[:5]: print("only in", sys.argv[1], x)
for x in sorted(b - a)[:5]: print("only in", sys.argv[2], x)
sys.exit(0 if a == b else 1)
EOF
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
