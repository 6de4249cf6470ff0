#!/usr/bin/env bash
# fxmerge and what a delete took with it, with real Django 3.2 (Debian's
# python3-django, tests/django): from the corpus, the local side deletes an
# order (Django deletes its lines), a customer (its orders' client goes to
# null) and another customer, and adds a line to an order; the online side
# marks the first order paid, changes the customer's phone, deletes the
# order local added a line to, and creates an order for the other
# customer.  Merged with each strategy, loaded with loaddata into an empty
# database, checked through Django: a kept order keeps its lines, a kept
# customer its orders, a deleted order takes the line the other side added,
# and a new order for a deleted customer has no client.  Also: erp.json's
# on_delete values are the models'.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

. "$(dirname "$0")/django.sh"

test_expect "erp.json gives every foreign key the models' on_delete" <<\EOT
dj "$PWD/none.sqlite3" shell -c '
import json
from django.apps import apps
schema = json.load(open("'"$SCHEMA"'"))["models"]
n = 0
for model in apps.get_models():
    label = model._meta.label_lower
    for f in model._meta.get_fields():
        if f.concrete and f.is_relation and (f.many_to_one or f.one_to_one):
            want = f.remote_field.on_delete.__name__
            got = schema[label]["fields"][f.name].get("on_delete")
            assert got == want, (label, f.name, got, want)
            n += 1
print("on_delete of %d foreign keys as the models give them" % n)' >out &&
cat out &&
grep -q "on_delete of 11 foreign keys" out
EOT

W=$FX_TRASH/dbs
mkdir -p "$W"
cp "$FX_TESTDATA/corpus/base.json" "$W/corpus.json" &&
cp "$FX_TESTDATA/corpus/empty.sqlite3" "$W/base.sqlite3" &&
dj "$W/base.sqlite3" loaddata -v 0 "$W/corpus.json" &&
cp "$W/base.sqlite3" "$W/local.sqlite3" &&
cp "$W/base.sqlite3" "$W/online.sqlite3" &&
SIDE=del-local dj "$W/local.sqlite3" shell -c "exec(open('$SCENARIO').read())" &&
SIDE=del-online dj "$W/online.sqlite3" shell -c "exec(open('$SCENARIO').read())" ||
    echo "# setting up the databases failed"
PICKS=$(SIDE=del-pick dj "$W/base.sqlite3" shell -c "exec(open('$SCENARIO').read())")
export PICKS W
pick () {
    /usr/bin/python3 -c 'import json, os, sys; print(json.loads(os.environ["PICKS"])[sys.argv[1]])' "$1"
}

dump () {
    for s in base local online; do
        dj "$W/$s.sqlite3" dumpdata --indent 2 "$@" --exclude contenttypes \
            --exclude auth.permission -o $s.json || return 1
    done
}

# load_check STRATEGY: load merged.json into an empty database, check it.
load_check () {
    fxvalidate -q --schema "$SCHEMA" merged.json &&
    cp "$FX_TESTDATA/corpus/empty.sqlite3" merged.sqlite3 &&
    dj "$PWD/merged.sqlite3" loaddata -v 0 "$PWD/merged.json" &&
    STRATEGY=$1 SIDE=del-check dj "$PWD/merged.sqlite3" shell -c "exec(open('$SCENARIO').read())" >out &&
    cat out && grep -q "every record with what went with it" out
}

test_expect 'without a strategy: the deletes and all that went with them are conflicts' <<\EOT
dump &&
test_expect_code 1 fxmerge --schema "$SCHEMA" --report rep.json -o merged.json \
    base.json local.json online.json 2>err &&
cat err &&
x=$(pick x) k=$(pick k) z=$(pick z) &&
grep "^fxmerge: conflict (cascade): supermarket.commande $z: theirs deleted it, and ours's supermarket.lignecommande [0-9]* refers to it: keep it and the records deleted with it, or delete them all$" err &&
grep "^fxmerge: conflict (delete/modify): supermarket.commande $x: keep the changed record or delete it, and the markers; ours deleted [0-9]* other records with it: decide them the same way$" err &&
grep "^fxmerge: conflict (delete/modify): supermarket.client $k: keep the changed record or delete it, and the markers; ours set [0-9]* references to it to null: decide them the same way$" err &&
grep "^fxmerge: conflict (cascade): supermarket.lignecommande [0-9]*: ours deleted it with supermarket.commande $x, which is a conflict" err &&
grep "^fxmerge: conflict (reference): supermarket.commande [0-9]*: one side removed this reference" err &&
grep "^fxmerge: depends: supermarket.lignecommande [0-9]* (commande): ours added or changed it to refer to supermarket.commande $z, which theirs deleted (a conflict)" err &&
grep '"action":"depends"' rep.json
EOT

test_expect '--strategy theirs: kept with their lines and orders; a deleted order takes the line ours added' <<\EOT
dump &&
fxmerge --schema "$SCHEMA" --strategy theirs --report rep.json -o merged.json \
    base.json local.json online.json 2>err &&
cat err &&
grep "^fxmerge: restored: supermarket.lignecommande [0-9]*: ours deleted it with supermarket.commande $(pick x), which the merge keeps$" err &&
grep "^fxmerge: reverted: supermarket.commande [0-9]* (client): ours set it to null when it deleted supermarket.client $(pick k), which the merge keeps: put back$" err &&
grep "^fxmerge: deleted: supermarket.lignecommande [0-9]* (commande): ours added it to supermarket.commande $(pick z), which the merge deletes (theirs deleted it; on_delete CASCADE)$" err &&
grep "^fxmerge: nulled: supermarket.commande [0-9]* (client): ours deleted supermarket.client $(pick m), which the merge deletes (on_delete SET_NULL)$" err &&
grep '"cascaded":1' rep.json &&
load_check theirs
EOT

test_expect '--strategy ours: deleted with their lines and nulls; an order kept with the line ours added' <<\EOT
dump &&
fxmerge --schema "$SCHEMA" --strategy ours --report rep.json -o merged.json \
    base.json local.json online.json 2>err &&
cat err &&
grep "^fxmerge: restored: supermarket.commande $(pick z): theirs deleted it, and ours's supermarket.lignecommande [0-9]* refers to it: kept$" err &&
load_check ours
EOT

test_expect 'the same with --natural-foreign --natural-primary exports' <<\EOT
dump --natural-foreign --natural-primary &&
fxmerge -q --schema "$SCHEMA" --strategy theirs -o merged.json base.json local.json online.json &&
load_check theirs &&
fxmerge -q --schema "$SCHEMA" --strategy ours -o merged.json base.json local.json online.json &&
load_check ours
EOT

test_expect 'a schema without on_delete: a kept order keeps its lines, a line the other side added is a conflict' <<\EOT
dump &&
sed 's/, "on_delete": "[A-Z_]*"//' "$SCHEMA" >bare.json &&
! grep -q on_delete bare.json &&
test_expect_code 1 fxmerge --schema bare.json --strategy theirs -o merged.json \
    base.json local.json online.json 2>err &&
cat err &&
grep "^fxmerge: conflict (cascade): supermarket.commande $(pick z): theirs deleted it, and ours's supermarket.lignecommande [0-9]* refers to it: keep it and the records deleted with it, or delete them all$" err &&
grep "^fxmerge: restored: supermarket.lignecommande [0-9]*: ours deleted it with supermarket.commande $(pick x), which the merge keeps$" err
EOT

rm -rf "$W"
test_done
