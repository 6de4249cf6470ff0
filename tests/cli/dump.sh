# tests/cli/dump.sh: what the fxdump test files share, sourced after lib.sh
# (and pg.sh): the two Django projects (the reference app "erp" and the
# test app "zoo"), running Django's own commands on a database, and the
# byte-for-byte comparison of dumpdata and fxdump.
# shellcheck shell=bash
#
# A database is named DB: a SQLite file, or pg:NAME for a PostgreSQL
# database of the cluster pg.sh set up.

PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1

# django APP DB COMMAND ARGS...: manage.py COMMAND of app erp or zoo on DB.
django () {
    local app=$1 db=$2
    shift 2
    case $app:$db in
    erp:pg:*) ERP_DB=postgres PGDATABASE=${db#pg:} $PY "$FX_ROOT/tests/django/manage.py" "$@" ;;
    erp:*) ERP_SQLITE=$db $PY "$FX_ROOT/tests/django/manage.py" "$@" ;;
    zoo:pg:*) DUMPAPP_DB=postgres PGDATABASE=${db#pg:} $PY "$FX_ROOT/tests/dumpapp/manage.py" "$@" ;;
    zoo:*) DUMPAPP_SQLITE=$db $PY "$FX_ROOT/tests/dumpapp/manage.py" "$@" ;;
    esac
}

# fxdb DB: the --db of fxdump for DB.
fxdb () {
    case $1 in
    pg:*) echo "dbname=${1#pg:}" ;;
    *) echo "$1" ;;
    esac
}

# schema_of APP: the schema file manage.py fxschema writes for the app.
schema_of () {
    case $1 in
    erp) echo "$FX_ROOT/schemas/erp.json" ;;
    zoo) echo "$FX_ROOT/tests/dumpapp/schema.json" ;;
    esac
}

# make_db APP DB: a migrated database; erp gets testdata's export through
# loaddata, zoo the awkward values of tests/dumpapp/fill.py.
make_db () {
    local app=$1 db=$2 d
    case $db in pg:*) createdb "${db#pg:}" || return 1 ;; esac
    django "$app" "$db" migrate -v0 || return 1
    if [ "$app" = erp ]; then
        d=$(mktemp -d "${W:-$FX_TRASH}/ld.XXXXXX") && cp "$FX_TESTDATA/corpus/base.json" "$d/" &&
        django erp "$db" loaddata -v0 "$d/base.json"
    else
        case $db in
        pg:*) DUMPAPP_DB=postgres PGDATABASE=${db#pg:} $PY "$FX_ROOT/tests/dumpapp/fill.py" ;;
        *) DUMPAPP_SQLITE=$db $PY "$FX_ROOT/tests/dumpapp/fill.py" ;;
        esac >/dev/null
    fi
}

# conform APP DB ARGS...: dumpdata ARGS and fxdump --schema ARGS write the
# same bytes (in dj.out and fx.out, stderr in dj.err and fx.err).
conform () {
    local app=$1 db=$2
    shift 2
    django "$app" "$db" dumpdata "$@" >dj.out 2>dj.err || {
        echo "dumpdata $* failed:"; cat dj.err; return 1; }
    fxdump --db "$(fxdb "$db")" --schema "$(schema_of "$app")" "$@" >fx.out 2>fx.err || {
        echo "fxdump $* failed:"; cat fx.err; return 1; }
    case " $* " in *" jsonl "*) ;; *) [ -s dj.out ] || { echo "dumpdata wrote nothing"; return 1; } ;; esac
    cmp dj.out fx.out || { diff dj.out fx.out | head -n 20; return 1; }
}

# The option sets compared on every database.
DUMP_OPTIONS=(
    ""
    "--indent 2"
    "--indent 4"
    "--indent 0"
    "--indent -1"
    "--format jsonl"
    "--format jsonl --indent 2"
    "--natural-foreign --indent 2"
    "--natural-foreign --natural-primary --indent 2"
    "--natural-primary"
    "--natural-foreign --natural-primary --format jsonl"
)
