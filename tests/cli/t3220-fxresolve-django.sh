#!/usr/bin/env bash
# fxresolve on the reference merge scenario with real Django (Debian's
# python3-django, tests/django; the scenario of t3120, with online also
# changing product 1's price, which local changed too): fxmerge leaves the
# delete against the edit and the price between markers, fxresolve decides
# them, loaddata loads the result into an empty database and Django shows
# each decision held.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

. "$(dirname "$0")/django.sh"

W=$FX_TRASH/dbs
scenario_dbs "$W" &&
dj "$W/online.sqlite3" shell -c '
from decimal import Decimal
from supermarket.models import Produit
Produit.objects.filter(pk=1).update(prix_vente=Decimal("99.99"))' &&
for s in base local online; do
    dj "$W/$s.sqlite3" dumpdata --indent 2 --exclude contenttypes \
        --exclude auth.permission -o "$W/$s.json" || break
done || echo "# setting up the databases failed"

# load FILE: into an empty database, then print what the decisions touched.
load () {
    cp "$FX_TESTDATA/corpus/empty.sqlite3" db.sqlite3 &&
    dj "$PWD/db.sqlite3" loaddata -v 0 "$PWD/$1" &&
    dj "$PWD/db.sqlite3" shell -c '
from supermarket.models import Client, Commande, MouvementStock, Produit
m = MouvementStock.objects.filter(pk=10).first()
print("prix1", Produit.objects.get(pk=1).prix_vente)
print("prix2", Produit.objects.get(pk=2).prix_vente)
print("mouvement10", m.motif if m else None)
c = Client.objects.get(pk=5)
print("client5", c.telephone, c.email)
print("orders", sorted(Commande.objects.filter(numero__in=["LOCAL-1", "LOCAL-2", "ONLINE-1"]).values_list("numero", flat=True)))'
}

test_expect 'the conflicts listed, decided by --set and --take, loaded by loaddata' <<\EOT
test_expect_code 1 fxmerge -q --schema "$SCHEMA" -o merged.json \
    "$W/base.json" "$W/local.json" "$W/online.json" &&
test_expect_code 1 fxresolve merged.json >list &&
cat >expect <<\EOF &&
supermarket.produit 1 prix_vente: base "5355.64" | ours "111.11" | theirs "99.99"
EOF
grep "^supermarket.produit 1 " list >got && test_cmp expect got &&
grep "^supermarket.mouvementstock 10 delete/modify: base motif=\"[^\"]*\" | ours (none) | theirs motif=\"inventaire corrigé\"$" list &&
test $(wc -l <list) = 2 &&
fxresolve -s "$SCHEMA" --set "supermarket.produit:1:prix_vente=\"123.45\"" \
    --take theirs merged.json supermarket.mouvementstock:10 2>err &&
grep "0 conflicts left, the file is a valid fixture" err &&
load merged.json >out &&
cat out &&
grep "^prix1 123.45$" out &&
grep "^prix2 222.22$" out &&
grep "^mouvement10 inventaire corrigé$" out &&
grep "^client5 +225 01 02 03 04 online@example.ci$" out &&
grep "^orders \[.LOCAL-1., .LOCAL-2., .ONLINE-1.\]$" out
EOT

test_expect 'the other way: --take ours, loaded, each decision held' <<\EOT
test_expect_code 1 fxmerge -q --schema "$SCHEMA" -o merged.json \
    "$W/base.json" "$W/local.json" "$W/online.json" &&
fxresolve -q --take ours merged.json &&
load merged.json >out &&
grep "^prix1 111.11$" out &&
grep "^mouvement10 None$" out &&
grep "^orders \[.LOCAL-1., .LOCAL-2., .ONLINE-1.\]$" out
EOT

rm -rf "$W"
test_done
