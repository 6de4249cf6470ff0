#!/usr/bin/env python3
"""Make one side of a three-way merge benchmark from a gen.py export
(--indent 2 layout): edits.py BASE SEED N > SIDE.  Streams the records
(never loads the file): changes the total of about N orders and the
quantity of about N order lines, deletes about N/4 lines, and adds N/4
new orders with two lines each after the last record, under pks just
above base's (so both sides' additions collide).  Deterministic per SEED."""
import random, re, sys

path, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
out = sys.stdout
total = sum(1 for line in open(path, encoding="utf-8") if line.startswith('  "model"'))
p = n / max(1, total)          # share of records edited per kind
maxpk = {}
first = True

def emit(rec):
    global first
    out.write(("[\n" if first else ",\n") + rec)
    first = False

def records():
    buf = []
    for line in open(path, encoding="utf-8"):
        if line in ("[\n", "]\n"):
            continue
        buf.append(line)
        if line in ("},\n", "}\n"):
            buf[-1] = "}"
            yield "".join(buf)
            buf = []

for rec in records():
    model = re.search(r'"model": "([^"]+)"', rec).group(1)
    pk = int(re.search(r'"pk": (\d+)', rec).group(1))
    maxpk[model] = max(maxpk.get(model, 0), pk)
    r = rnd.random()
    if model == "supermarket.commande" and r < p:
        rec = re.sub(r'"total": "[^"]*"', '"total": "%d.%02d"' % (rnd.randint(1, 99999), seed), rec)
    elif model == "supermarket.lignecommande" and r < p:
        rec = re.sub(r'"quantite": "[^"]*"', '"quantite": "%d.%03d"' % (rnd.randint(1, 50), seed), rec)
    elif model == "supermarket.lignecommande" and r < p * 1.25:
        continue
    emit(rec)

cmd, line = maxpk["supermarket.commande"], maxpk["supermarket.lignecommande"]
for i in range(n // 4):
    cmd += 1
    emit('{\n  "model": "supermarket.commande",\n  "pk": %d,\n  "fields": {\n    "numero": "S%d-%07d",\n'
         '    "agence": 1,\n    "client": 1,\n    "vendeur": null,\n    "date": "2025-01-05T14:30:22.123Z",\n'
         '    "statut": "ouverte",\n    "total": "%d.00"\n  }\n}' % (cmd, seed, i, rnd.randint(1, 9999)))
    for k in range(2):
        line += 1
        emit('{\n  "model": "supermarket.lignecommande",\n  "pk": %d,\n  "fields": {\n    "commande": %d,\n'
             '    "produit": 1,\n    "quantite": "%d.000",\n    "prix_unitaire": "1.00",\n    "remise": 0\n  }\n}'
             % (line, cmd, rnd.randint(1, 20)))
out.write("\n]\n")
