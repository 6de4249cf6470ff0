#!/usr/bin/env bash
# fxfilter --with-deps: the closure over references validates --closed in
# every layout (pk and natural keys), from stdin too, reports what is
# missing; and, with real Django where it is installed (Debian's
# python3-django, the reference app in tests/django), the output loads into
# an empty database with loaddata, and a selection of whole models is
# byte-identical to what dumpdata writes for them.

. "$(dirname "$0")/lib.sh"

C=$FX_TESTDATA/corpus
DB=$C/empty.sqlite3

# closed FILE: valid, every reference inside the file
closed () {
    fxvalidate -q --schema "$DB" --closed "$1"
}

test_expect_success '--with-deps: a handful of orders reach clients, agences, users' '
    fxfilter -m supermarket.commande --pk 1-5 --with-deps -s "$DB" "$C/base.json" >out.json &&
    closed out.json &&
    fxfilter -c out.json >count &&
    grep " supermarket.commande$" count | grep "^ *5 " &&
    grep " supermarket.client$" count &&
    grep " supermarket.agence$" count &&
    grep " auth.user$" count &&
    ! grep lignecommande count
'

test_expect_success 'lines reach orders and produits, produits reach categories and fournisseurs' '
    for f in base.json base.compact.json base.jsonl base.natural.json; do
        fxfilter -m supermarket.lignecommande --pk 1-5 -d -s "$DB" "$C/$f" >out.$f &&
        closed out.$f || return 1
    done &&
    fxfilter -c out.base.json >count &&
    for m in commande produit categorie fournisseur client agence; do
        grep " supermarket.$m$" count || return 1
    done &&
    fxfilter --format jsonl out.base.json >a &&
    fxfilter --format jsonl out.base.compact.json >b &&
    fxfilter --format jsonl out.base.jsonl >c &&
    test_cmp a b && test_cmp a c
'

test_expect_success 'records keep their input order; without --with-deps they fail --closed' '
    fxfilter -m supermarket.lignecommande --pk 1-5 "$C/base.json" >sel &&
    test_expect_code 1 fxvalidate -q --schema "$DB" --closed sel 2>/dev/null &&
    fxfilter -m supermarket.lignecommande --pk 1-5 -d -s "$DB" --format jsonl "$C/base.jsonl" >out &&
    fxfilter -q --format jsonl "$C/base.jsonl" >all &&
    grep -n -F -x -f out all | cut -d: -f1 >lines &&
    sort -n lines >sorted && test_cmp sorted lines &&
    test "$(wc -l <lines)" = "$(wc -l <out)"
'

test_expect_success 'natural keys: agences and categories found by code' '
    fxfilter -m supermarket.categorie --where "parent!=null" -d -s "$DB" "$C/base.natural.json" >out.json &&
    closed out.json &&
    fxfilter -m supermarket.commande --pk 1 -d -s "$DB" "$C/base.natural.json" >out.json &&
    closed out.json &&
    grep -A3 "\"model\": \"supermarket.agence\"" out.json | grep "\"code\""
'

test_expect_success 'stdin and gzip input are spooled for the second pass' '
    fxfilter -m supermarket.commande --pk 1-5 -d -s "$DB" "$C/base.json" >expect &&
    fxfilter -m supermarket.commande --pk 1-5 -d -s "$DB" <"$C/base.json" >out &&
    test_cmp expect out &&
    fxfilter -m supermarket.commande --pk 1-5 -d -s "$DB" "$C/base.json.gz" >out &&
    test_cmp expect out
'

test_expect_success 'several files: references across them are followed' '
    fxfilter -m supermarket.lignecommande "$C/base.json" >lines.json &&
    fxfilter -x supermarket.lignecommande "$C/base.json" >rest.json &&
    fxfilter -m supermarket.lignecommande --pk 1-5 -d -s "$DB" lines.json rest.json >out &&
    cp out out.json && closed out.json &&
    fxfilter -m supermarket.lignecommande --pk 1-5 -d -s "$DB" "$C/base.json" >one &&
    fxfilter -c out >a && fxfilter -c one >b && test_cmp b a
'

test_expect_success 'everything selected: the closure is the whole file' '
    fxfilter -m supermarket -m auth -d -s "$DB" "$C/base.jsonl" >out &&
    cmp out "$C/base.jsonl"
'

test_expect_success 'a reference to a record in no input: a warning at its place' '
    fxfilter -m supermarket.commande --pk 1 "$C/base.json" >one.json &&
    fxfilter -m supermarket.commande -d -s "$DB" one.json >out 2>err &&
    grep "^one.json:[0-9]*:[0-9]*: warning: supermarket.commande.client refers to supermarket.client 389, which is in none of the inputs" err &&
    grep "^fxfilter: warning: 3 references lead to records in none of the inputs" err &&
    cmp one.json out &&
    fxfilter -q -m supermarket.commande -d -s "$DB" one.json 2>err >/dev/null &&
    test_must_be_empty err
'

# Real Django, where it is installed.
django_ok () {
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import django" 2>/dev/null &&
    [ -f "$FX_ROOT/tests/django/manage.py" ]
}
dj () {
    (cd "$FX_ROOT/tests/django" && ERP_SQLITE=$PWD_DB /usr/bin/python3 manage.py "$@")
}

if django_ok; then
test_expect_success 'Django: --with-deps output loads into an empty database' '
    export PWD_DB=$PWD/erp.sqlite3 &&
    dj migrate -v0 &&
    fxfilter -m supermarket.lignecommande --pk 1-5 -d -s "$DB" "$C/base.natural.json" >deps.json &&
    dj loaddata "$PWD/deps.json" >log &&
    grep "Installed 33 object(s) from 1 fixture(s)" log &&
    dj dumpdata supermarket.lignecommande --format jsonl >back &&
    test "$(wc -l <back)" = 5 &&
    fxfilter -m supermarket.commande --pk 1-20 -d -s "$DB" "$C/base.json" >deps2.json &&
    dj loaddata "$PWD/deps2.json" >log &&
    grep "Installed" log
'

test_expect_success 'Django: whole models are byte-identical to dumpdata, in four layouts' '
    export PWD_DB=$PWD/erp.sqlite3 &&
    dj migrate -v0 &&
    fxfilter -m auth -m supermarket.agence -m supermarket.client -m supermarket.commande \
        -m supermarket.categorie "$C/base.json" >part.json &&
    dj loaddata "$PWD/part.json" >/dev/null &&
    for opt in "--indent 2" "" "--format jsonl" "--indent 4"; do
        dj dumpdata --exclude contenttypes --exclude auth.permission $opt >full &&
        dj dumpdata auth.user supermarket.Client supermarket.Commande $opt >expect &&
        fxfilter -m supermarket.Commande -m auth -m supermarket.Client full >out &&
        cmp expect out &&
        fxfilter full >same && cmp full same || return 1
    done
'
else
    echo "# skipped the Django tests: /usr/bin/python3 with django, or tests/django, is missing"
fi

test_done
