"""Every combination of fxresolve's choices over a merged file's blocks.

usage: resolve-combinations.py SCENARIO LAYOUT

Writes base, ours and theirs (SCENARIO: "anchored", records kept by every
resolution between blocks at the start, middle and end of the array;
"none-kept", every record in a block) in LAYOUT (indent2, indent4-tabs,
compact, jsonl), merges them with fxmerge, then for each choice of ours,
theirs or base in each block (decided one block at a time, first to last
and last to first) checks that fxresolve's result is valid (fxvalidate exit
0), holds the records the choices make, and is byte for byte the merged
file with the sections chosen kept, the markers dropped and the commas
that separate no two records dropped.  Prints a line for each failure;
exit 1 if any.
"""
import itertools, json, re, subprocess, sys

scenario, layout = sys.argv[1], sys.argv[2]

def rec(pk, **f):
    return {"model": "a.b", "pk": pk, "fields": f}

base = [rec(i, x=i, s="r%d" % i) for i in range(1, 6)]
if scenario == "anchored":
    # 1 delete/modify (start), 3 modify/delete (middle), 5 delete/modify (end).
    ours = [rec(2, x=2, s="r2"), rec(3, x=33, s="r3"), rec(4, x=4, s="r4")]
    theirs = [rec(1, x=10, s="r1"), rec(2, x=2, s="r2"), rec(4, x=4, s="r4"),
              rec(5, x=50, s="r5")]
else:
    # 1 delete/modify, 2 modify/delete, 3 delete/modify: no record kept by all.
    base = base[:3]
    ours = [rec(2, x=22, s="r2")]
    theirs = [rec(1, x=10, s="r1"), rec(3, x=30, s="r3")]
sides = {"base": base, "ours": ours, "theirs": theirs}

def dump(l):
    if layout == "indent2":
        return json.dumps(l, indent=2) + "\n"
    if layout == "indent4-tabs":
        return json.dumps(l, indent="\t") + "\n"
    if layout == "compact":
        return json.dumps(l)
    return "".join(json.dumps(r) + "\n" for r in l)

ext = "jsonl" if layout == "jsonl" else "json"
for n, l in sides.items():
    open("%s.%s" % (n, ext), "w").write(dump(l))
m = "merged." + ext
rc = subprocess.call(["fxmerge", "-q", "--allow-mass-delete", "-o", m] +
                     ["%s.%s" % (n, ext) for n in ("base", "ours", "theirs")])
assert rc == 1, rc
merged = open(m).read()
pks = [int(x) for x in re.findall(r"^<<<<<<< ours \S+ a\.b (\d+)$", merged, re.M)]
assert pks == ([1, 3, 5] if scenario == "anchored" else [1, 2, 3]), pks

def keep(text, choice):
    """The oracle: each block's chosen section, markers dropped."""
    out, sec, k = [], None, 0
    for line in text.splitlines(True):
        if line.startswith("<<<<<<< "):
            sec, want = "ours", choice[k]
            k += 1
        elif sec and line.startswith("||||||| "):
            sec = "base"
        elif sec and line.rstrip("\r\n") == "=======":
            sec = "theirs"
        elif sec and line.startswith(">>>>>>> "):
            sec = None
        elif sec is None or sec == want:
            out.append(line)
    return "".join(out)

def commas(text):
    """Drop the array's commas that separate no two records."""
    if ext == "jsonl":
        return text
    dec = json.JSONDecoder()
    i = text.index("[") + 1
    seen, after = False, None
    while True:
        while text[i] in " \t\r\n":
            i += 1
        c = text[i]
        if c == ",":
            if seen:
                seen, after, i = False, i, i + 1
            else:
                text = text[:i] + text[i + 1:]
        elif c == "]":
            if after is not None and not seen:
                text = text[:after] + text[after + 1:]
            return text
        else:
            _, i = dec.raw_decode(text, i)
            seen = True

def records(text):
    if ext == "jsonl":
        return [json.loads(l) for l in text.splitlines() if l.strip()]
    return json.loads(text)

bad = 0
for choice in itertools.product(("ours", "theirs", "base"), repeat=3):
    # The records the choices make, in the merged file's order.
    expect = records(commas(keep(merged, choice)))
    for pk, side in zip(pks, choice):
        got = [r for r in expect if r["pk"] == pk]
        exp = [r for r in sides[side] if r["pk"] == pk]
        if got != exp:
            print("oracle wrong?", choice, pk, got, exp)
            bad += 1
    for order in ("forward", "backward"):
        out = "out.%s.%s.%s" % ("-".join(choice), order, ext)
        open(out, "w").write(merged)
        steps = list(zip(pks, choice))
        if order == "backward":
            steps.reverse()
        # A jsonl file left with no record is not a fixture: not written.
        empty = ext == "jsonl" and not expect
        for n, (pk, side) in enumerate(steps):
            before = open(out).read()
            p = subprocess.run(["fxresolve", "-q", "--take", side, out, "a.b:%d" % pk],
                               capture_output=True, text=True)
            last = n == len(steps) - 1
            if last and empty:
                if (p.returncode != 2 or open(out).read() != before or
                        "error: no record is left once resolved, and an empty file is "
                        "no fixture: nothing written; keep a record, or remove the file"
                        not in p.stderr):
                    print("%s %s: no record left, exit %d: %s" % (order, choice,
                                                                  p.returncode, p.stderr))
                    bad += 1
                break
            if p.returncode != (0 if last else 1):
                print("%s %s: fxresolve --take %s a.b:%d exit %d: %s" %
                      (order, choice, side, pk, p.returncode, p.stderr.strip()))
                bad += 1
                break
        else:
            if empty:
                continue
            v = subprocess.run(["fxvalidate", "-q", out], capture_output=True, text=True)
            got = open(out).read()
            if v.returncode != 0:
                print("%s %s: fxvalidate exit %d: %s" % (order, choice, v.returncode,
                                                         v.stderr.strip()))
                bad += 1
            elif got != commas(keep(merged, choice)):
                print("%s %s: not the oracle:\n%s" % (order, choice, got))
                bad += 1
print("%s %s: %d failures" % (scenario, layout, bad))
sys.exit(1 if bad else 0)
