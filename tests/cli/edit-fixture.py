#!/usr/bin/env python3
"""Edit a small dumpdata --indent 2 export in place, for the CLI tests:
edit-fixture.py FILE 'MODEL PK FIELD=VALUE...' 'add MODEL PK FIELD=VALUE...'
(model names without the supermarket. prefix; values that look like
numbers are numbers, except those with a dot or a plus, kept as text).
Records added go after the last record of their model, as dumpdata
orders them."""
import json, sys

path = sys.argv[1]
recs = json.load(open(path))

def value(v):
    return int(v) if v.isdigit() else v

for cmd in sys.argv[2:]:
    words = cmd.split(" ")
    add = words[0] == "add"
    if add:
        words = words[1:]
    model, pk = "supermarket." + words[0], int(words[1])
    sets = {}
    # FIELD=VALUE pairs; a value may hold spaces up to the next FIELD=
    parts, cur = [], None
    for w in words[2:]:
        if "=" in w and not w.startswith("+"):
            cur = w.split("=", 1)
            parts.append(cur)
        else:
            cur[1] += " " + w
    for k, v in parts:
        sets[k] = value(v)
    if add:
        at = max([i for i, r in enumerate(recs) if r["model"] == model] or [len(recs) - 1]) + 1
        recs.insert(at, {"model": model, "pk": pk, "fields": sets})
    else:
        for r in recs:
            if r["model"] == model and r["pk"] == pk:
                r["fields"].update(sets)

with open(path, "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(r, indent=2, ensure_ascii=False) for r in recs) + "\n]\n")
