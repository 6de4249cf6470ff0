# Run through `manage.py shell -c "exec(open(PATH).read())"` with SIDE set
# to local, online or check: the edits each side makes after the last
# common export, and the assertions on the database loaded from the merge.
# Used by t3120-fxmerge-django.sh; the del-* sides (below) by
# t3140-fxmerge-deletes.sh.
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
elif side == "check":
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


# ---- Deletes and what went with them (t3140-fxmerge-deletes.sh): SIDE is
# del-pick (print the records the scenario works on, from the base), del-local,
# del-online, or del-check with STRATEGY (ours or theirs) and PICKS.
#   local:  deletes order X (Django deletes its lines), customer K (its orders'
#           client goes to null) and customer M; adds a line to order Z;
#   online: marks order X paid, changes K's phone, deletes order Z (and its
#           lines), creates an order for M.
def picks():
    from django.db.models import Count
    busy = Client.objects.annotate(n=Count("commande")).filter(n__gte=2).order_by("pk")
    k, m = busy[0].pk, busy[1].pk
    orders = (Commande.objects.annotate(n=Count("lignes")).filter(n__gte=2)
              .exclude(client__in=[k, m]).order_by("pk"))
    x, z = orders[0].pk, orders[1].pk
    return {"x": x, "z": z, "k": k, "m": m,
            "x_lines": sorted(LigneCommande.objects.filter(commande=x).values_list("pk", flat=True)),
            "z_lines": sorted(LigneCommande.objects.filter(commande=z).values_list("pk", flat=True)),
            "k_orders": sorted(Commande.objects.filter(client=k).values_list("pk", flat=True)),
            "m_orders": sorted(Commande.objects.filter(client=m).values_list("pk", flat=True))}


if side == "del-pick":
    import json
    print(json.dumps(picks()))
elif side == "del-local":
    p = picks()
    Commande.objects.get(pk=p["x"]).delete()
    Client.objects.get(pk=p["k"]).delete()
    Client.objects.get(pk=p["m"]).delete()
    LigneCommande.objects.create(commande=Commande.objects.get(pk=p["z"]), produit=Produit.objects.get(pk=4),
                                 quantite=Decimal("7.000"), prix_unitaire=Decimal("10.00"))
elif side == "del-online":
    p = picks()
    Commande.objects.filter(pk=p["x"]).update(statut="payee")
    Client.objects.filter(pk=p["k"]).update(telephone="+225 11 22 33 44")
    Commande.objects.get(pk=p["z"]).delete()
    Commande.objects.filter(pk=new_order("ONLINE-M", ["1.000"]).pk).update(client=p["m"])
elif side == "del-check":
    import json
    p = json.loads(os.environ["PICKS"])
    theirs = os.environ["STRATEGY"] == "theirs"
    lines = lambda o: sorted(LigneCommande.objects.filter(commande=o).values_list("pk", flat=True))
    assert not Client.objects.filter(pk=p["m"]).exists()
    assert list(Commande.objects.filter(pk__in=p["m_orders"]).values_list("client", flat=True)) == \
        [None] * len(p["m_orders"])
    assert Commande.objects.get(numero="ONLINE-M").client is None
    assert not LigneCommande.objects.filter(quantite=Decimal("7.000"), commande__isnull=True).exists()
    if theirs:
        # online kept order X and customer K: X keeps its lines, K its orders
        assert Commande.objects.get(pk=p["x"]).statut == "payee"
        assert lines(p["x"]) == p["x_lines"], (lines(p["x"]), p["x_lines"])
        assert Client.objects.get(pk=p["k"]).telephone == "+225 11 22 33 44"
        got = sorted(Commande.objects.filter(client=p["k"]).values_list("pk", flat=True))
        assert got == p["k_orders"], (got, p["k_orders"])
        # online deleted order Z: its lines went, and the line local added too
        assert not Commande.objects.filter(pk=p["z"]).exists()
        assert not LigneCommande.objects.filter(pk__in=p["z_lines"]).exists()
        assert not LigneCommande.objects.filter(quantite=Decimal("7.000")).exists()
    else:
        # local deleted X and K: X's lines went, K's orders have no client
        assert not Commande.objects.filter(pk=p["x"]).exists()
        assert not LigneCommande.objects.filter(pk__in=p["x_lines"]).exists()
        assert not Client.objects.filter(pk=p["k"]).exists()
        assert list(Commande.objects.filter(pk__in=p["k_orders"]).values_list("client", flat=True)) == \
            [None] * len(p["k_orders"])
        # local added a line to Z, which online deleted: Z is kept, with all its lines
        z_lines = lines(p["z"])
        assert z_lines[:-1] == p["z_lines"] and len(z_lines) == len(p["z_lines"]) + 1, z_lines
        assert LigneCommande.objects.get(pk=z_lines[-1]).quantite == Decimal("7.000")
    print("delete scenario (%s wins): every record with what went with it" % os.environ["STRATEGY"])
