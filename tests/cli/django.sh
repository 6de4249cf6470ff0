# tests/cli/django.sh: the reference app (tests/django) under real Django
# (Debian's python3-django, /usr/bin/python3) for the CLI tests, sourced
# after lib.sh.
# shellcheck shell=bash
#
# DJ, SCHEMA, SCENARIO (merge-scenario.py); a file without Django is
# skipped (test_done).
#   dj DB ARGS...          manage.py ARGS on SQLite database DB
#   scenario_dbs DIR       DIR/base.sqlite3 with the corpus loaded, and
#                          DIR/local.sqlite3 and DIR/online.sqlite3, copies
#                          of it with merge-scenario.py's edits of each side
# The sync tests (t3150, t3230: DIR/local and DIR/server, each with a
# manage.py):
#   sync_tests             EDITS (readme-sync-edits.py); the file is skipped
#                          without python3-psycopg2 (Django on PostgreSQL)
#   make_side DIR local|server DBNAME   DIR/manage.py for the reference
#                          app on the side's database (server: PostgreSQL
#                          database DBNAME; local: DIR/db.sqlite3)
#   sync_sides DIR DBNAME  a fresh pair: the server migrated and holding the
#                          corpus, the local PC a migrated empty database
#   edits DIR ROUND        each side's edits of that round
#   has_changes DIR SIDE ROUND   every change of rounds 1 to ROUND is there
#   dump DIR SIDE OUT      Django's own export of the side
#   same_data A B          the same records, by Python's json (many-to-many
#                          lists as sets, JSON fields as values), not by fx

DJ=$FX_ROOT/tests/django
SCHEMA=$FX_ROOT/schemas/erp.json
SCENARIO=$FX_ROOT/tests/cli/merge-scenario.py
/usr/bin/python3 -c 'import django' 2>/dev/null || { echo "# python3-django missing: skipped"; test_done; }

dj () {
    local db=$1
    shift
    ERP_SQLITE=$db /usr/bin/python3 "$DJ/manage.py" "$@"
}

scenario_dbs () {
    mkdir -p "$1" &&
    # (loaddata refuses a name that several files in one directory share.)
    cp "$FX_TESTDATA/corpus/base.json" "$1/corpus.json" &&
    cp "$FX_TESTDATA/corpus/empty.sqlite3" "$1/base.sqlite3" &&
    dj "$1/base.sqlite3" loaddata -v 0 "$1/corpus.json" &&
    cp "$1/base.sqlite3" "$1/local.sqlite3" &&
    cp "$1/base.sqlite3" "$1/online.sqlite3" &&
    SIDE=local dj "$1/local.sqlite3" shell -c "exec(open('$SCENARIO').read())" &&
    SIDE=online dj "$1/online.sqlite3" shell -c "exec(open('$SCENARIO').read())"
}

sync_tests () {
    EDITS=$FX_ROOT/tests/cli/readme-sync-edits.py
    /usr/bin/python3 -c 'import psycopg2' 2>/dev/null && return 0
    echo "# python3-psycopg2 missing: skipped"
    test_done
}

make_side () {
    mkdir -p "$1" && cat >"$1/manage.py" <<EOF
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
if "$2" == "server":
    os.environ["ERP_DB"] = "postgres"
    os.environ["PGDATABASE"] = "$3"
else:
    os.environ["ERP_SQLITE"] = os.path.join(here, "db.sqlite3")
sys.path.insert(0, "$DJ")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
EOF
}

sync_sides () {
    dropdb --if-exists "$2" && createdb "$2" &&
    make_side "$1/local" local "$2" && make_side "$1/server" server "$2" &&
    cp "$FX_TESTDATA/corpus/empty.sqlite3" "$1/local/db.sqlite3" &&
    (cd "$1/server" && /usr/bin/python3 manage.py migrate -v0 &&
        cp "$FX_TESTDATA/corpus/base.json" corpus.json &&
        /usr/bin/python3 manage.py loaddata -v0 corpus.json)
}

edits () {
    (cd "$1/local" && SIDE=local ROUND=$2 /usr/bin/python3 manage.py shell -c "exec(open('$EDITS').read())") &&
    (cd "$1/server" && SIDE=online ROUND=$2 /usr/bin/python3 manage.py shell -c "exec(open('$EDITS').read())")
}

has_changes () {
    (cd "$1/$2" && SIDE=check ROUND=$3 /usr/bin/python3 manage.py shell -c "exec(open('$EDITS').read())") \
        >"$1/check.$2" || return 1
    cat "$1/check.$2"
    ! grep -q MISSING "$1/check.$2" && grep -q ' expected changes present' "$1/check.$2"
}

dump () {
    (cd "$1/$2" && /usr/bin/python3 manage.py dumpdata --natural-foreign --indent 2 \
        --exclude contenttypes --exclude auth.permission -o "$3")
}

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
