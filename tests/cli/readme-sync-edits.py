# Run through `python3 manage.py shell -c "exec(open(PATH).read())"` with
# SIDE=local|online and ROUND=1|2|3: the edits a side makes through Django
# between two syncs; with SIDE=check and ROUND=N: the assertions that every
# edit of rounds 1 to N is in this database (written from the edits, not
# from any tool's output).  Used by t3150-readme-sync.sh.
#
# Records are found by business keys (order numbers, usernames, codes),
# never by pks made during the rounds: the sync renumbers colliding ones.
# Both sides create orders in every round, so their new pks collide.
import os
from decimal import Decimal
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from supermarket.models import (Agence, Categorie, Client, Commande, Fournisseur,
                                LigneCommande, MouvementStock, Produit)

side = os.environ["SIDE"]
rnd = int(os.environ["ROUND"])
when = timezone.datetime(2025, 2, rnd, 10, 0, tzinfo=timezone.utc)


def perm(codename):
    return Permission.objects.get(codename=codename)


def new_order(numero, quantities, client):
    c = Commande.objects.create(numero=numero, agence=Agence.objects.get(code="PLATEAU"),
                                client=client, date=when, total=Decimal("0"))
    for q in quantities:
        LigneCommande.objects.create(commande=c, produit=Produit.objects.get(pk=4),
                                     quantite=Decimal(q), prix_unitaire=Decimal("10.00"))
    return c


def lines(numero):
    return sorted(str(l.quantite) for l in LigneCommande.objects.filter(commande__numero=numero))


if side == "local" and rnd == 1:
    new_order("L1-A", ["1.000", "2.000"], Client.objects.get(pk=7))
    Produit.objects.filter(pk=1).update(prix_vente=Decimal("111.11"))
    Commande.objects.get(pk=5).delete()                 # its 5 lines go by CASCADE
    Produit.objects.get(pk=3).fournisseurs.add(Fournisseur.objects.get(pk=20))
    User.objects.get(username="caissier1").user_permissions.add(perm("add_commande"))
elif side == "online" and rnd == 1:
    new_order("O1-A", ["3.000"], Client.objects.get(pk=8))
    Produit.objects.filter(pk=2).update(prix_vente=Decimal("222.22"))
    Client.objects.filter(pk=5).update(email="online@example.ci")
    Client.objects.get(pk=9).delete()                   # its orders' client SET_NULL
    Produit.objects.get(pk=3).fournisseurs.remove(Fournisseur.objects.get(pk=11))
    User.objects.get(username="caissier2").user_permissions.add(perm("change_produit"),
                                                                perm("view_client"))
elif side == "local" and rnd == 2:
    Client.objects.filter(pk=7).update(telephone="+225 07 07 07 07")
    nouveau = Client.objects.create(nom="Nouveau", prenom="L2", agence=Agence.objects.get(code="BOUAKE"))
    new_order("L2-A", ["4.000"], nouveau)
    LigneCommande.objects.filter(commande__numero="O1-A").delete()
    new_order("L2-B", ["5.000", "6.000", "7.000"], None)
elif side == "online" and rnd == 2:
    Client.objects.filter(pk=7).update(nom="Müller-Koné")
    new_order("O2-A", ["8.000"], Client.objects.get(pk=5))
    Commande.objects.filter(numero="O1-A").update(statut="livrée")
    u = User.objects.get(username="caissier2")
    u.user_permissions.remove(perm("view_client"))
elif side == "local" and rnd == 3:
    parent = Categorie.objects.get(pk=1)
    Categorie.objects.create(code="L3-CAT", libelle="Créée en local", parent=parent)
    MouvementStock.objects.get(pk=20).delete()
    g = Group.objects.create(name="caissiers")
    g.permissions.add(perm("add_commande"), perm("view_produit"))
    User.objects.get(username="caissier3").groups.add(g)
    new_order("L3-A", ["9.000"], Client.objects.get(pk=5))
elif side == "online" and rnd == 3:
    new_order("O3-A", ["10.000"], Client.objects.get(pk=7))
    new_order("O3-B", ["11.000", "12.000"], None)
    Produit.objects.filter(pk=1).update(tva=0.2)
    Commande.objects.filter(numero="L2-B").update(total=Decimal("99.90"))
    Client.objects.filter(nom="Nouveau", prenom="L2").update(points_fidelite=12)
elif side == "check":
    def user_perms(username):
        return sorted(p.codename for p in User.objects.get(username=username).user_permissions.all())

    checks = []          # (round it comes from, what, got, expected)

    def expect(r, what, got, want):
        """got: a function, called only for the rounds done so far."""
        if r > rnd:
            return
        try:
            value = got()
        except Exception as e:       # a record that is not there
            value = "%s: %s" % (type(e).__name__, e)
        checks.append((r, what, value, want))

    base_clients9 = [459, 661, 874, 1020, 1575, 1708]
    expect(1, "L1-A lines", lambda: lines("L1-A"), ["1.000", "2.000"])
    expect(1, "produit 1 prix_vente", lambda: str(Produit.objects.get(pk=1).prix_vente), "111.11")
    expect(1, "commande 5 deleted", lambda: Commande.objects.filter(pk=5).exists(), False)
    expect(1, "commande 5's lines deleted", lambda: LigneCommande.objects.filter(commande_id=5).count(), 0)
    expect(1, "produit 3 fournisseurs", lambda:
           sorted(Produit.objects.get(pk=3).fournisseurs.values_list("pk", flat=True)), [15, 20])
    expect(1, "caissier1 permissions", lambda: user_perms("caissier1"), ["add_commande"])
    expect(1, "O1-A exists", lambda: Commande.objects.filter(numero="O1-A").count(), 1)
    expect(1, "produit 2 prix_vente", lambda: str(Produit.objects.get(pk=2).prix_vente), "222.22")
    expect(1, "client 5 email", lambda: Client.objects.get(pk=5).email, "online@example.ci")
    expect(1, "client 9 deleted", lambda: Client.objects.filter(pk=9).exists(), False)
    expect(1, "client 9's orders kept, client null", lambda:
           sorted(Commande.objects.filter(pk__in=base_clients9, client__isnull=True)
                  .values_list("pk", flat=True)), base_clients9)
    expect(1, "caissier2 permissions", lambda: user_perms("caissier2"),
           ["change_produit"] if rnd >= 2 else ["change_produit", "view_client"])
    expect(1, "O1-A lines", lambda: lines("O1-A"), [] if rnd >= 2 else ["3.000"])
    expect(2, "client 7 telephone and nom", lambda:
           (Client.objects.get(pk=7).telephone, Client.objects.get(pk=7).nom),
           ("+225 07 07 07 07", "Müller-Koné"))
    expect(2, "L2-A lines and client", lambda:
           (lines("L2-A"), Commande.objects.get(numero="L2-A").client.nom), (["4.000"], "Nouveau"))
    expect(2, "L2-B lines", lambda: lines("L2-B"), ["5.000", "6.000", "7.000"])
    expect(2, "O2-A lines", lambda: lines("O2-A"), ["8.000"])
    expect(2, "O1-A statut", lambda: Commande.objects.get(numero="O1-A").statut, "livrée")
    expect(3, "L3-CAT parent", lambda: Categorie.objects.get(code="L3-CAT").parent.code,
           Categorie.objects.get(pk=1).code)
    expect(3, "mouvementstock 20 deleted", lambda: MouvementStock.objects.filter(pk=20).exists(), False)
    expect(3, "caissier3 groups and their permissions", lambda:
           [(g.name, sorted(p.codename for p in g.permissions.all()))
            for g in User.objects.get(username="caissier3").groups.all()],
           [("caissiers", ["add_commande", "view_produit"])])
    expect(3, "L3-A lines", lambda: lines("L3-A"), ["9.000"])
    expect(3, "O3-A lines", lambda: lines("O3-A"), ["10.000"])
    expect(3, "O3-B lines", lambda: lines("O3-B"), ["11.000", "12.000"])
    expect(3, "produit 1 tva and prix_vente", lambda:
           (Produit.objects.get(pk=1).tva, str(Produit.objects.get(pk=1).prix_vente)), (0.2, "111.11"))
    expect(3, "L2-B total", lambda: str(Commande.objects.get(numero="L2-B").total), "99.90")
    expect(3, "client Nouveau points", lambda: Client.objects.get(nom="Nouveau", prenom="L2").points_fidelite, 12)
    bad = [(r, what, got, want) for r, what, got, want in checks if got != want]
    for r, what, got, want in bad:
        print("MISSING (round %d) %s: got %r, expected %r" % (r, what, got, want))
    print("%d of %d expected changes present" % (len(checks) - len(bad), len(checks)))
else:
    raise SystemExit("readme-sync-edits.py: SIDE=%s ROUND=%s: nothing to do" % (side, rnd))
