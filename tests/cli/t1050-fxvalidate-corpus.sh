#!/usr/bin/env bash
# fxvalidate conformance on the real corpus (testdata/corpus/, 10,852
# records that Django 3.2's dumpdata wrote): every file valid with no
# warning, with and without a schema; the same records in every layout.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

C=$FX_TESTDATA/corpus
SQ=$C/empty.sqlite3
ERP=$FX_ROOT/schemas/erp.json
export C SQ ERP

test_expect 'the corpus is unpacked (make corpus)' <<\EOT
for f in base.json base.compact.json base.jsonl base.natural.json base.json.gz empty.sqlite3; do
    test -s "$C/$f" || { echo "missing $C/$f: run make corpus" >&2; return 1; }
done
EOT

for f in base.json base.compact.json base.jsonl base.natural.json base.json.gz; do
    export f
    test_expect "$f: valid, no warning" <<\EOT
test_expect_code 0 fxvalidate "$C/$f" >out 2>err &&
test_must_be_empty out &&
echo "fxvalidate: 10852 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT
    test_expect "$f: valid with --schema empty.sqlite3 --closed, no warning" <<\EOT
test_expect_code 0 fxvalidate --closed --schema "$SQ" "$C/$f" 2>err &&
echo "fxvalidate: 10852 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT
    test_expect "$f: valid with --schema schemas/erp.json --closed, no warning" <<\EOT
test_expect_code 0 fxvalidate --closed --schema "$ERP" "$C/$f" 2>err &&
echo "fxvalidate: 10852 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT
done

test_expect 'the layouts are detected' <<\EOT
fxvalidate --format json "$C/base.json" >a && jq -r ".files[0].layout" a >actual &&
fxvalidate --format json "$C/base.compact.json" >a && jq -r ".files[0].layout" a >>actual &&
fxvalidate --format json "$C/base.jsonl" >a && jq -r ".files[0].layout" a >>actual &&
fxvalidate --format json "$C/base.natural.json" >a && jq -r ".files[0].layout" a >>actual &&
fxvalidate --format json "$C/base.json.gz" >a && jq -r ".files[0].layout" a >>actual &&
cat >expect <<\EOF &&
indent=2
compact
jsonl
indent=4
indent=2
EOF
test_cmp expect actual
EOT

test_expect 'the --format json report of the corpus' <<\EOT
test_expect_code 0 fxvalidate --format json --schema "$SQ" "$C/base.jsonl" >out &&
jq -c "[.valid, .records, .errors, .warnings, .complete, .diagnostics, .files]" out >actual &&
echo "[true,10852,0,0,true,[],[{\"name\":\"$C/base.jsonl\",\"records\":10852,\"layout\":\"jsonl\"}]]" >expect &&
test_cmp expect actual
EOT

test_expect 'cross-layout: base.json, base.compact.json, base.jsonl and the gzip hash alike' <<\EOT
fxvalidate -q --hash "$C/base.json" >json &&
fxvalidate -q --hash "$C/base.compact.json" >compact &&
fxvalidate -q --hash "$C/base.jsonl" >jsonl &&
fxvalidate -q --hash "$C/base.json.gz" >gz &&
test "$(wc -l <json)" = 10852 &&
test "$(cut -f 1 json | sort -u | wc -l)" = 10852 &&
test_cmp json compact &&
test_cmp json jsonl &&
test_cmp json gz
EOT

test_expect 'the --hash lines are in file order, one per record' <<\EOT
fxvalidate -q --hash "$C/base.jsonl" | cut -f 2,3 >actual &&
sed "s/^{\"model\": \"\([^\"]*\)\",\"pk\": \([0-9]*\),.*/\1\t\2/" "$C/base.jsonl" >expect &&
test_cmp expect actual
EOT

test_expect 'the natural export hashes differently (natural keys), but its records are the same ones' <<\EOT
fxvalidate -q --hash "$C/base.json" >json &&
fxvalidate -q --hash "$C/base.natural.json" >natural &&
test "$(wc -l <natural)" = 10852 &&
! test_cmp json natural 2>/dev/null &&
cut -f 2 json | sort | uniq -c >expect &&
cut -f 2 natural | sort | uniq -c >actual &&
test_cmp expect actual
EOT

test_expect 'base.json twice: every record a duplicate, exit 1' <<\EOT
test_expect_code 1 fxvalidate --max-errors 0 "$C/base.json" "$C/base.json" 2>err &&
test "$(grep -c " error: duplicate record .* \[duplicate\]$" err)" = 10852 &&
tail -n 1 err >last &&
echo "fxvalidate: 21704 records in 2 files: invalid, 10852 errors, 0 warnings" >expect &&
test_cmp expect last
EOT

test_expect 'base.json and base.jsonl together: the same records, duplicates' <<\EOT
test_expect_code 1 fxvalidate -q "$C/base.json" "$C/base.jsonl" 2>err &&
head -n 1 err >first &&
echo "$C/base.jsonl:1:1: error: duplicate record auth.user pk 1: also at $C/base.json:2:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]" >expect &&
test_cmp expect first &&
tail -n 1 err >last &&
echo "fxvalidate: stopped after 50 errors: fix these, or raise --max-errors to see more" >expect &&
test_cmp expect last
EOT

test_expect 'the corpus from stdin' <<\EOT
fxvalidate -q --hash "$C/base.json" >expect &&
fxvalidate -q --hash - <"$C/base.json.gz" >actual &&
test_cmp expect actual
EOT

test_done
