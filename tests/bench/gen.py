#!/usr/bin/env python3
"""Write a large synthetic Django export shaped like the reference ERP's
(agences, categories, produits, clients, commandes, lignes), as dumpdata
writes it: gen.py N [--indent N | --jsonl] > FILE.  Deterministic."""
import json, random, sys

def records(n):
    rnd = random.Random(42)
    yield {"model": "supermarket.agence", "pk": 1, "fields": {"code": "AB01", "nom": "Abidjan Plateau", "ville": "Abidjan", "active": True}}
    for i in range(1, 21):
        yield {"model": "supermarket.categorie", "pk": i, "fields": {"code": "C%02d" % i, "libelle": "Catégorie %d" % i, "parent": None}}
    nprod, ncli = max(1, n // 50), max(1, n // 20)
    for i in range(1, nprod + 1):
        yield {"model": "supermarket.produit", "pk": i, "fields": {
            "reference": "REF-%06d" % i, "designation": "Produit n°%d « spécial » 😀" % i,
            "categorie": rnd.randint(1, 20), "fournisseurs": [], "prix_achat": "%d.%02d" % (rnd.randint(1, 9999), rnd.randint(0, 99)),
            "prix_vente": "%d.%02d" % (rnd.randint(1, 9999), rnd.randint(0, 99)), "tva": 0.18, "code_barre": "%013d" % i,
            "attributs": {"poids": rnd.randint(1, 5000), "bio": rnd.random() < 0.5}, "actif": True, "cree_le": "2024-03-29T20:36:30.680Z"}}
    for i in range(1, ncli + 1):
        yield {"model": "supermarket.client", "pk": i, "fields": {
            "uid": "%032x" % rnd.getrandbits(128), "nom": "Kouassi %d" % i, "prenom": "Aïcha", "telephone": "+225 07 %08d" % i,
            "email": "client%d@example.ci" % i, "agence": 1, "date_naissance": "1990-05-17", "points_fidelite": rnd.randint(0, 5000),
            "notes": "ligne 1\nligne 2 \"citée\""}}
    left = n - 21 - nprod - ncli
    ncmd = max(1, left // 4)
    for i in range(1, ncmd + 1):
        yield {"model": "supermarket.commande", "pk": i, "fields": {
            "numero": "CMD-%07d" % i, "agence": 1, "client": rnd.randint(1, ncli), "vendeur": None,
            "date": "2025-01-05T14:30:22.123Z", "statut": rnd.choice(["ouverte", "payée", "annulée"]), "total": "%d.%02d" % (rnd.randint(1, 99999), rnd.randint(0, 99))}}
    for i in range(1, left - ncmd + 1):
        yield {"model": "supermarket.lignecommande", "pk": i, "fields": {
            "commande": rnd.randint(1, ncmd), "produit": rnd.randint(1, nprod), "quantite": "%d.000" % rnd.randint(1, 20),
            "prix_unitaire": "%d.%02d" % (rnd.randint(1, 9999), rnd.randint(0, 99)), "remise": rnd.randint(0, 30)}}

def main():
    n = int(sys.argv[1])
    out = sys.stdout
    if "--jsonl" in sys.argv:
        for r in records(n):
            out.write(json.dumps(r, ensure_ascii=False, separators=(",", ": ")) + "\n")
        return
    indent = int(sys.argv[sys.argv.index("--indent") + 1]) if "--indent" in sys.argv else None
    kw = {"indent": indent, "separators": (",", ": ")} if indent else {}
    out.write("[")
    for k, r in enumerate(records(n)):
        if k:
            out.write("," if indent else ", ")
        if indent:
            out.write("\n")
        json.dump(r, out, ensure_ascii=False, **kw)
    if indent:
        out.write("\n")
    out.write("]")
    if indent:
        out.write("\n")

main()
