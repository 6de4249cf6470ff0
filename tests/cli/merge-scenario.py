# Run through `manage.py shell -c "exec(open(PATH).read())"` with SIDE set
# to local, online or check: the edits each side makes after the last
# common export, and the assertions on the database loaded from the merge.
# Used by t3120-fxmerge-django.sh.
import os
from decimal import Decimal
from django.utils import timezone
from supermarket.models import (Agence, Client, Commande, Fournisseur, LigneCommande,
                                MouvementStock, Produit)

side = os.environ["SIDE"]
when = timezone.datetime(2025, 1, 5, 14, 30, tzinfo=timezone.utc)


def new_order(numero, quantities):
    c = Commande.objects.create(numero=numero, agence=Agence.objects.get(code="PLATEAU"),
                                client=Client.objects.get(pk=7), date=when, total=Decimal("0"))
    for q in quantities:
        LigneCommande.objects.create(commande=c, produit=Produit.objects.get(pk=4),
                                     quantite=Decimal(q), prix_unitaire=Decimal("10.00"))
    return c


if side == "local":
    new_order("LOCAL-1", ["1.000", "2.000"])
    new_order("LOCAL-2", ["5.000"])
    Produit.objects.filter(pk=1).update(prix_vente=Decimal("111.11"))
    Client.objects.filter(pk=5).update(telephone="+225 01 02 03 04")
    MouvementStock.objects.filter(pk=10).delete()
    p = Produit.objects.get(pk=3)
    p.fournisseurs.add(Fournisseur.objects.get(pk=20))
    p.fournisseurs.remove(*list(p.fournisseurs.all())[:1])
elif side == "online":
    new_order("ONLINE-1", ["3.000", "4.000"])
    Produit.objects.filter(pk=2).update(prix_vente=Decimal("222.22"))
    Client.objects.filter(pk=5).update(email="online@example.ci")
    MouvementStock.objects.filter(pk=10).update(motif="inventaire corrigé")
    Produit.objects.get(pk=3).fournisseurs.add(Fournisseur.objects.get(pk=21))
else:
    import json
    base = json.loads(os.environ["BASE_STATE"])
    lines = sorted((l.commande.numero, str(l.quantite)) for l in
                   LigneCommande.objects.filter(commande__numero__in=["LOCAL-1", "LOCAL-2", "ONLINE-1"]))
    assert lines == [("LOCAL-1", "1.000"), ("LOCAL-1", "2.000"), ("LOCAL-2", "5.000"),
                     ("ONLINE-1", "3.000"), ("ONLINE-1", "4.000")], lines
    assert Commande.objects.count() == base["commandes"] + 3
    assert LigneCommande.objects.count() == base["lignes"] + 5
    assert str(Produit.objects.get(pk=1).prix_vente) == "111.11"
    assert str(Produit.objects.get(pk=2).prix_vente) == "222.22"
    c = Client.objects.get(pk=5)
    assert (c.telephone, c.email) == ("+225 01 02 03 04", "online@example.ci"), (c.telephone, c.email)
    assert not MouvementStock.objects.filter(pk=10).exists()
    want = set(base["fournisseurs3"]) - {min(base["fournisseurs3"])} | {20, 21}
    got = set(Produit.objects.get(pk=3).fournisseurs.values_list("pk", flat=True))
    assert got == want, (got, want)
    print("merge scenario: every change present, every line in its own order")
