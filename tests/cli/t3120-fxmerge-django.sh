#!/usr/bin/env bash
# fxmerge with real Django 3.2 (Debian's python3-django, tests/django): a
# base database from the corpus, copied into a local and an online one,
# different edits on each through Django (new orders with lines on both
# sides under colliding pks, a price changed on each side, one customer's
# phone changed locally and email online, a delete against an edit,
# many-to-many adds and removes), dumpdata of all three, fxmerge --schema,
# loaddata of the result into an empty database, and checks through Django
# that every change is there and every order line belongs to its own order.
# Twice: plain exports, and --natural-foreign --natural-primary.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

. "$(dirname "$0")/django.sh"

# The three databases, made once for both tests.
W=$FX_TRASH/dbs
scenario_dbs "$W" || echo "# setting up the databases failed"
BASE_STATE=$(dj "$W/base.sqlite3" shell -c '
import json
from supermarket.models import Commande, LigneCommande, Produit
print(json.dumps({"commandes": Commande.objects.count(), "lignes": LigneCommande.objects.count(),
                  "fournisseurs3": list(Produit.objects.get(pk=3).fournisseurs.values_list("pk", flat=True))}))')
export BASE_STATE W

# scenario [dumpdata options]: dump, merge, load, check.
scenario () {
    for s in base local online; do
        dj "$W/$s.sqlite3" dumpdata --indent 2 "$@" --exclude contenttypes \
            --exclude auth.permission -o $s.json || return 1
    done &&
    # The delete against the edit is the one true conflict.
    test_expect_code 1 fxmerge --schema "$SCHEMA" --report rep.json -o merged.json \
        base.json local.json online.json 2>err &&
    grep "conflict (delete/modify): supermarket.mouvementstock 10" err &&
    test "$(grep -c '"kind":' rep.json)" = 1 &&
    # Local's delete wins; everything else merges by itself.
    fxmerge --schema "$SCHEMA" --strategy ours --report rep.json -o merged.json \
        base.json local.json online.json 2>err &&
    cat err &&
    grep -q '"renumbered":3' rep.json &&
    fxvalidate -q --schema "$SCHEMA" merged.json &&
    cp "$FX_TESTDATA/corpus/empty.sqlite3" merged.sqlite3 &&
    dj "$PWD/merged.sqlite3" loaddata -v 0 "$PWD/merged.json" &&
    SIDE=check dj "$PWD/merged.sqlite3" shell -c "exec(open('$SCENARIO').read())" >out &&
    cat out && grep -q "every change present" out
}

test_expect 'dumpdata, fxmerge, loaddata: every change, lines in their orders' <<\EOT
scenario
EOT

test_expect 'the same with --natural-foreign --natural-primary exports' <<\EOT
scenario --natural-foreign --natural-primary &&
grep -q '"agence": \[' merged.json
EOT

test_expect 'git merge-file on the same exports conflicts' <<\EOT
for s in base local online; do
    dj "$W/$s.sqlite3" dumpdata --indent 2 --exclude contenttypes \
        --exclude auth.permission -o $s.json || return 1
done &&
cp local.json lm.json &&
test_must_fail git merge-file lm.json base.json online.json
EOT

rm -rf "$W"
test_done
