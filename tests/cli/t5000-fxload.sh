#!/usr/bin/env bash
# fxload: conformance with Django 3.2's loaddata (tests/django, the
# reference app) into SQLite and PostgreSQL, merge over existing rows,
# failures that must leave the database unchanged, kills mid-load.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

PY=/usr/bin/python3
DJ=$FX_ROOT/tests/django
C=$FX_TESTDATA/corpus
export PYTHONDONTWRITEBYTECODE=1

# Files shared by the tests live in a private directory, removed at exit
# (with the PostgreSQL cluster this file started, if any).
W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5000.XXXXXX") || exit 2
trap 'rm -rf "$W"; pg_teardown' EXIT

# A fresh migrated SQLite database, copied from one migrate made once.
TMPL=$W/tmpl.sqlite3
ERP_SQLITE=$TMPL $PY "$DJ/manage.py" migrate -v0 || { echo "migrate failed"; exit 1; }
fresh () { cp "$TMPL" "$1"; }

# loaddata FILE DB: Django's loaddata (the file alone in a directory:
# loaddata refuses several fixtures of one name).
loaddata () {
    local d
    d=$(mktemp -d "$W/ld.XXXXXX") && cp "$1" "$d/" &&
    case $2 in
    pg:*) ERP_DB=postgres PGDATABASE=${2#pg:} $PY "$DJ/manage.py" loaddata -v0 "$d/${1##*/}" ;;
    *) ERP_SQLITE=$2 $PY "$DJ/manage.py" loaddata -v0 "$d/${1##*/}" ;;
    esac
}

# A modified export for merge tests: changed values, m2m, a new record.
cat >"$W/modify.py" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
out = []
for r in d:
    f = r["fields"]
    if r["model"] == "supermarket.produit" and r.get("pk") in (1, 2):
        f["designation"] += " (modifié)"
        f["fournisseurs"] = [1, 2]
        f["attributs"] = {"z": [1, 2.5, "\u00e9"], "a": None}
        out.append(r)
    elif r["model"] == "supermarket.client" and r.get("pk") == 3:
        f["date_naissance"] = "2001-02-03"
        out.append(r)
    elif r["model"] == "supermarket.mouvementstock" and r.get("pk") in (1, 2):
        f["horodatage"] = "2024-06-07T23:30:00.5+02:00"
        f["duree_traitement"] = "1 02:03:04.000005"
        out.append(r)
    elif r["model"] == "supermarket.agence":
        out.append(r)
out.append({"model": "supermarket.fournisseur", "pk": 999,
            "fields": {"nom": "Nouveau", "telephone": "", "email": "n@x.ci"}})
json.dump(out, open(sys.argv[2], "w"), indent=2, ensure_ascii=False)
PYEOF
$PY "$W/modify.py" "$C/base.json" "$W/modified.json"

test_expect_success 'usage: no --db is a usage error (exit 2)' '
    test_expect_code 2 fxload "$C/base.json" 2>err &&
    grep "no target database" err
'

for f in base.json base.compact.json base.jsonl base.natural.json; do
    test_expect_success "SQLite: $f loads exactly as loaddata does" '
        fresh dj.sqlite3 && fresh fx.sqlite3 &&
        loaddata "$C/'$f'" dj.sqlite3 &&
        fxload --db fx.sqlite3 "$C/'$f'" 2>summary &&
        grep "10852 records: 10852 inserted, 0 updated, 0 unchanged" summary &&
        "$DJ/compare" dj.sqlite3 fx.sqlite3
    '
done

test_expect_success 'SQLite: merge a modified export over loaded rows, as loaddata' '
    fresh dj.sqlite3 && fresh fx.sqlite3 &&
    loaddata "$C/base.json" dj.sqlite3 && fxload -q --db fx.sqlite3 "$C/base.json" &&
    loaddata "$W/modified.json" dj.sqlite3 &&
    fxload --db sqlite:fx.sqlite3 "$W/modified.json" 2>summary &&
    "$DJ/compare" dj.sqlite3 fx.sqlite3 &&
    grep "supermarket.produit  *0 inserted  *2 updated  *0 unchanged" summary &&
    grep "supermarket.agence  *0 inserted  *0 updated  *3 unchanged" summary &&
    grep "supermarket.fournisseur  *1 inserted" summary
'

test_expect_success 'SQLite: loading the same export twice changes nothing' '
    fresh fx.sqlite3 && fxload -q --db fx.sqlite3 "$C/base.jsonl" &&
    fxload --db fx.sqlite3 "$C/base.json" 2>summary &&
    grep "10852 records: 0 inserted, 0 updated, 10852 unchanged" summary
'

# The rows of the two leaf models with an even pk left out, then the whole
# export over them: most 64-row chunks insert only some of their rows,
# which then go row by row; the counts must still be exact.
cat >"$W/odd.py" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
leaf = ("supermarket.lignecommande", "supermarket.mouvementstock")
json.dump([r for r in d if r["model"] not in leaf or r["pk"] % 2], open(sys.argv[2], "w"), indent=2)
for m in leaf:
    pks = [r["pk"] for r in d if r["model"] == m]
    print(m, len([p for p in pks if p % 2 == 0]), len([p for p in pks if p % 2]))
PYEOF
test_expect_success 'SQLite: chunks that insert only some of their rows: exact counts, as loaddata' '
    $PY "$W/odd.py" "$C/base.json" odd.json >counts &&
    fresh dj.sqlite3 && loaddata odd.json dj.sqlite3 && loaddata "$C/base.json" dj.sqlite3 &&
    for t in "" 1; do
        fresh fx.sqlite3 && FX_LOAD_NO_THREAD=$t fxload -q --db fx.sqlite3 odd.json &&
        FX_LOAD_NO_THREAD=$t fxload --db fx.sqlite3 "$C/base.json" 2>summary &&
        "$DJ/compare" dj.sqlite3 fx.sqlite3 &&
        while read -r m ins unch; do
            grep "$m  *$ins inserted  *0 updated  *$unch unchanged" summary || exit 1
        done <counts || return 1
    done
'

test_expect_success 'SQLite: --dry-run prints the changes and writes nothing' '
    fresh fx.sqlite3 && cp fx.sqlite3 before &&
    fxload --dry-run --db fx.sqlite3 "$C/base.json" >out 2>summary &&
    grep -c "^insert " out >n && echo 10852 >expect && test_cmp expect n &&
    grep "^insert supermarket.agence 1$" out &&
    grep "dry run" summary && cmp before fx.sqlite3
'

test_expect_success 'SQLite: --replace deletes the rows of the models in the files' '
    fresh fx.sqlite3 && fxload -q --db fx.sqlite3 "$C/base.json" &&
    $PY -c "import json; d = json.load(open(\"$C/base.json\")); json.dump([dict(r, fields=dict(r[\"fields\"], nom=\"R\")) for r in d if r[\"model\"] == \"supermarket.fournisseur\"], open(\"f.json\", \"w\"))" &&
    fxload --replace --db fx.sqlite3 f.json 2>summary &&
    grep "supermarket.fournisseur  *0 inserted  *30 updated  *0 unchanged  *0 deleted" summary &&
    sqlite3 fx.sqlite3 "select count(*) from supermarket_fournisseur where nom = \"R\"; select count(*) from supermarket_produit_fournisseurs" >n &&
    printf "30\n293\n" >expect && test_cmp expect n &&
    cp fx.sqlite3 before &&
    echo "[{\"model\": \"supermarket.agence\", \"pk\": 9, \"fields\": {\"code\": \"N\", \"nom\": \"N\", \"ville\": \"\", \"active\": true}}]" >a.json &&
    test_expect_code 1 fxload --replace --db fx.sqlite3 a.json 2>err &&
    grep "a row already in the database (not in the files): field .agence. refers to supermarket.agence" err &&
    cmp before fx.sqlite3
'

test_expect_success 'SQLite: missing fields keep their value on update, and fail on insert' '
    fresh fx.sqlite3 && fxload -q --db fx.sqlite3 "$C/base.json" &&
    echo "[{\"model\": \"supermarket.agence\", \"pk\": 1, \"fields\": {\"nom\": \"X\"}}]" >u.json &&
    fxload -q --db fx.sqlite3 u.json &&
    sqlite3 fx.sqlite3 "select code, nom from supermarket_agence where id = 1" >out &&
    echo "MARCHE_HUITIEME|X" >expect && test_cmp expect out &&
    cp fx.sqlite3 before &&
    echo "[{\"model\": \"supermarket.agence\", \"pk\": 77, \"fields\": {\"nom\": \"X\"}}]" >i.json &&
    test_expect_code 1 fxload --db fx.sqlite3 i.json 2>err &&
    grep "i.json:1:2: error: model .supermarket.agence., pk 77: field.*NOT NULL" err &&
    cmp before fx.sqlite3
'

# bad.json: a base export with one broken record
break_export () {
    $PY - "$C/base.json" "$1" "$2" <<-\PYEOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	how = sys.argv[3]
	for r in d:
	    if how == "fk" and r["model"] == "supermarket.client" and r["pk"] == 7:
	        r["fields"]["agence"] = 999
	    if how == "unique" and r["model"] == "supermarket.agence" and r["pk"] == 2:
	        r["fields"]["code"] = "MARCHE_HUITIEME"
	    if how == "long" and r["model"] == "supermarket.agence" and r["pk"] == 2:
	        r["fields"]["code"] = "X" * 21
	json.dump(d, open(sys.argv[2], "w"), indent=2, ensure_ascii=False)
	PYEOF
}

test_expect_success 'SQLite: a bad foreign key is refused at commit, naming the record' '
    fresh fx.sqlite3 && cp fx.sqlite3 before && break_export bad.json fk &&
    test_expect_code 1 fxload --db fx.sqlite3 bad.json 2>err &&
    grep "^bad.json:[0-9]*:1: error: model .supermarket.client., pk 7: field .agence. refers to supermarket.agence 999, which does not exist (FOREIGN KEY" err &&
    test ! -e fx.sqlite3-journal && cmp before fx.sqlite3
'

test_expect_success 'SQLite: a unique violation is refused, naming field and constraint' '
    fresh fx.sqlite3 && cp fx.sqlite3 before && break_export bad.json unique &&
    test_expect_code 1 fxload --db fx.sqlite3 bad.json 2>err &&
    grep "^bad.json:[0-9]*:3: error: model .supermarket.agence., pk 2: field .code.: UNIQUE constraint failed: supermarket_agence.code" err &&
    test ! -e fx.sqlite3-journal && cmp before fx.sqlite3
'

test_expect_success 'SQLite: a missing table says "no such table" and to run migrate' '
    fresh fx.sqlite3 && sqlite3 fx.sqlite3 "drop table supermarket_mouvementstock" &&
    cp fx.sqlite3 before &&
    test_expect_code 1 fxload --db fx.sqlite3 "$C/base.json" 2>err &&
    grep "model .supermarket.mouvementstock., pk 1: no such table.*run migrate" err &&
    cmp before fx.sqlite3 &&
    fxload -q -i --db fx.sqlite3 "$C/base.json" 2>err &&
    echo "$C/base.json:105806:1: warning: model '\''supermarket.mouvementstock'\'' has no table in the database: 2000 records skipped (--ignorenonexistent) [unknown-model]" >expect &&
    test_cmp expect err
'

test_expect_success 'SQLite: 20 SIGKILLs at different moments leave the file unchanged' '
    $PY "$FX_ROOT/tests/bench/gen.py" 60000 >big.json &&
    fresh fx.sqlite3 && fxload -q --db fx.sqlite3 "$C/base.natural.json" &&
    cp fx.sqlite3 before && i=0 && killed=0 &&
    while [ $i -lt 20 ]; do
        i=$((i + 1))
        fxload -q --replace --db fx.sqlite3 big.json & pid=$!
        sleep "0.0$((i * 4 / 10))$((i * 4 % 10))"
        kill -KILL $pid 2>/dev/null && killed=$((killed + 1))
        wait $pid
        # opening the database rolls a hot journal back; what may remain
        # after that is a journal that was never committed to (not hot)
        sqlite3 fx.sqlite3 "pragma integrity_check" >ic && echo ok >expect &&
        test_cmp expect ic && test ! -e fx.sqlite3-wal &&
        cmp before fx.sqlite3 || exit 1
    done &&
    echo "killed $killed of 20 mid-load" && test $killed -ge 15
'

if pg_setup; then
    PGT=fxt_tmpl_$$
    createdb "$PGT" && ERP_DB=postgres PGDATABASE=$PGT $PY "$DJ/manage.py" migrate -v0 ||
        echo "migrate on PostgreSQL failed"
    echo 0 >"$W/pgcount"
    pgfresh () {
        local n
        n=$(($(cat "$W/pgcount") + 1)) && echo $n >"$W/pgcount" &&
        eval "$1=fxt_${$}_$n" && createdb -T "$PGT" "fxt_${$}_$n"
    }
    pgrows () { ERP_DB=postgres PGDATABASE=$1 $PY "$DJ/dumptables.py"; }

    for f in base.json base.natural.json; do
        test_expect_success "PostgreSQL: $f loads exactly as loaddata does" '
            pgfresh a && pgfresh b &&
            loaddata "$C/'$f'" "pg:$a" &&
            fxload --db "dbname=$b" "$C/'$f'" 2>summary &&
            grep "10852 inserted" summary &&
            "$DJ/compare" "pg:$a" "pg:$b" &&
            psql -d "$a" -Atc "select last_value from supermarket_commande_id_seq" >sa &&
            psql -d "$b" -Atc "select last_value from supermarket_commande_id_seq" >sb &&
            test_cmp sa sb
        '
    done

    test_expect_success 'PostgreSQL: merge a modified export over loaded rows, as loaddata' '
        pgfresh a && pgfresh b &&
        loaddata "$C/base.json" "pg:$a" && fxload -q --db "dbname=$b" "$C/base.json" &&
        loaddata "$W/modified.json" "pg:$a" &&
        fxload --db "postgresql:///$b?host=$PGHOST&port=$PGPORT" "$W/modified.json" 2>summary &&
        grep "supermarket.produit  *0 inserted  *2 updated  *0 unchanged" summary &&
        "$DJ/compare" "pg:$a" "pg:$b"
    '

    for how in fk unique long; do
        test_expect_success "PostgreSQL: a refused load ($how) leaves every row as it was" '
            pgfresh b && fxload -q --db "dbname=$b" "$C/base.jsonl" &&
            pgrows "$b" >before && break_export bad.json '$how' &&
            test_expect_code 1 fxload --db "dbname=$b" bad.json 2>err &&
            cat err &&
            case '$how' in
            fk) grep "model .supermarket.client., pk 7: field .agence. refers to supermarket.agence 999" err ;;
            unique) grep "pk 2: .*duplicate key value violates unique constraint" err ;;
            long) grep "pk 2: field .code.: value too long for type character varying(20)" err ;;
            esac &&
            pgrows "$b" >after && cmp before after
        '
    done

    test_expect_success 'PostgreSQL: 20 SIGKILLs at different moments leave every row as it was' '
        pgfresh b && fxload -q --db "dbname=$b" "$C/base.natural.json" &&
        pgrows "$b" >before && i=0 killed=0 &&
        while [ $i -lt 20 ]; do
            i=$((i + 1))
            fxload -q --replace --db "dbname=$b" "$C/base.json" & pid=$!
            sleep "$(awk "BEGIN { print $i * 0.015 }")"
            kill -KILL $pid 2>/dev/null && killed=$((killed + 1))
            wait $pid
            sleep 0.2
            pgrows "$b" >after && cmp before after || exit 1
        done &&
        echo "killed $killed of 20 mid-load" && test $killed -ge 15
    '
    for i in $(seq 1 "$(cat "$W/pgcount")"); do dropdb --if-exists "fxt_${$}_$i"; done
    dropdb --if-exists "$PGT"
fi

test_done
