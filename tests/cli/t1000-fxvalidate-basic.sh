#!/usr/bin/env bash
# fxvalidate: options, usage errors, exit status, summary, stdin, several
# files, --quiet, --max-errors, --format json, --hash.

. "$(dirname "$0")/lib.sh"

# test_expect 'description' <<\EOT ... EOT: the body read from a here-doc,
# so that it can hold the single quotes of the tool's messages.
test_expect () {
    test_expect_success "$1" "$(cat)"
}

# Two valid records (dumpdata --indent 2).
two_agences () {
    cat <<\EOF
[
{
  "model": "supermarket.agence",
  "pk": 1,
  "fields": {
    "code": "PLATEAU",
    "nom": "Plateau",
    "ville": "Abidjan",
    "active": true
  }
},
{
  "model": "supermarket.agence",
  "pk": 2,
  "fields": {
    "code": "BOUAKE",
    "nom": "Bouaké",
    "ville": "Bouaké",
    "active": false
  }
}
]
EOF
}

# n records of the same model and pk, one a line: n-1 duplicates.
dups () {
    local i
    for i in $(seq "$1"); do
        printf '{"model": "a.b", "pk": 1, "fields": {"i": %d}}\n' "$i"
    done
}

usage_tail () {
    cat <<\EOF
usage: fxvalidate [OPTIONS] FILE...
       fxvalidate --schema DB --print-schema
'fxvalidate --help' for more help
EOF
}

# ---------------------------------------------------------------- usage

test_expect 'no file: exit 2, the reason and the usage on stderr' <<\EOT
test_expect_code 2 fxvalidate >out 2>err &&
test_must_be_empty out &&
{ echo "fxvalidate: no fixture file given (use - for stdin)" && usage_tail; } >expect &&
test_cmp expect err
EOT

test_expect 'unknown option: exit 2, names the option, usage on stderr' <<\EOT
two_agences >two.json &&
test_expect_code 2 fxvalidate --nope two.json >out 2>err &&
test_must_be_empty out &&
head -n 1 err >first &&
{ echo "fxvalidate: unknown option '--nope'" && usage_tail; } >expect &&
test_cmp expect err &&
test_expect_code 2 fxvalidate -z two.json 2>err &&
{ echo "fxvalidate: unknown option '-z'" && usage_tail; } >expect &&
test_cmp expect err &&
test_expect_code 2 fxvalidate --schema 2>err &&
{ echo "fxvalidate: option '--schema' needs a value" && usage_tail; } >expect &&
test_cmp expect err
EOT

test_expect '--max-errors takes a number >= 0' <<\EOT
two_agences >two.json &&
for bad in -1 x 3x ""; do
    test_expect_code 2 fxvalidate --max-errors "$bad" two.json >out 2>err &&
    test_must_be_empty out &&
    { echo "fxvalidate: --max-errors takes a number >= 0, not '$bad'" && usage_tail; } >expect &&
    test_cmp expect err || return 1
done
EOT

test_expect '--format takes text or json' <<\EOT
two_agences >two.json &&
test_expect_code 2 fxvalidate --format xml two.json >out 2>err &&
test_must_be_empty out &&
{ echo "fxvalidate: --format takes text or json, not 'xml'" && usage_tail; } >expect &&
test_cmp expect err &&
test_expect_code 0 fxvalidate --format text two.json 2>err &&
echo "fxvalidate: 2 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT

test_expect '--hash and --format json cannot be combined' <<\EOT
two_agences >two.json &&
test_expect_code 2 fxvalidate --hash --format json two.json >out 2>err &&
test_must_be_empty out &&
{ echo "fxvalidate: --hash and --format json both write on stdout: choose one" &&
  usage_tail; } >expect &&
test_cmp expect err
EOT

test_expect '--print-schema needs --schema' <<\EOT
test_expect_code 2 fxvalidate --print-schema >out 2>err &&
test_must_be_empty out &&
{ echo "fxvalidate: --print-schema needs --schema" && usage_tail; } >expect &&
test_cmp expect err
EOT

test_expect '--help: exit 0, usage and every option on stdout, nothing on stderr' <<\EOT
test_expect_code 0 fxvalidate --help >out 2>err &&
test_must_be_empty err &&
head -n 2 out >first &&
usage_tail | head -n 2 >expect &&
test_cmp expect first &&
for o in "-s, --schema SPEC" --print-schema --closed "-i, --ignorenonexistent" \
         "--max-errors N" --hash "--format FORMAT" "-q, --quiet" "-h, --help" --version; do
    grep -e "^ *$o " out || { echo "option $o missing from --help" >&2; return 1; }
done &&
tail -n 1 out >last &&
echo "Exit status: 0 valid, 1 invalid, 2 could not run." >expect &&
test_cmp expect last &&
test_expect_code 0 fxvalidate -h >out2 2>err &&
test_must_be_empty err &&
test_cmp out out2
EOT

test_expect '--help wins over the other arguments' <<\EOT
test_expect_code 0 fxvalidate --help missing.json >out 2>err &&
test_must_be_empty err &&
head -n 1 out >first &&
usage_tail | head -n 1 >expect &&
test_cmp expect first
EOT

test_expect '--version: the tool, the package and the version of fixture.h' <<\EOT
v=$(sed -n "s/^#define FX_VERSION \"\(.*\)\"$/\1/p" "$FX_ROOT/libfixture/fixture.h") &&
test -n "$v" &&
test_expect_code 0 fxvalidate --version >out 2>err &&
test_must_be_empty err &&
echo "fxvalidate (fx) $v" >expect &&
test_cmp expect out
EOT

# ---------------------------------------------------------------- files

test_expect 'a valid file: exit 0, nothing on stdout, the summary on stderr' <<\EOT
two_agences >two.json &&
test_expect_code 0 fxvalidate two.json >out 2>err &&
test_must_be_empty out &&
echo "fxvalidate: 2 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT

test_expect 'a missing file: exit 2, an io error naming it' <<\EOT
test_expect_code 2 fxvalidate missing.json >out 2>err &&
test_must_be_empty out &&
cat >expect <<\EOF &&
missing.json: error: cannot open: No such file or directory [io]
fxvalidate: 0 records in 1 file: could not check everything, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'a missing file among valid ones: the others are still checked, exit 2' <<\EOT
two_agences >two.json &&
dups 1 >one.jsonl &&
test_expect_code 2 fxvalidate two.json missing.json one.jsonl 2>err &&
cat >expect <<\EOF &&
missing.json: error: cannot open: No such file or directory [io]
fxvalidate: 3 records in 3 files: could not check everything, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'an unreadable file: exit 2' <<\EOT
two_agences >two.json &&
chmod 000 two.json &&
if cat two.json >/dev/null 2>&1; then
    echo "running as root: only the directory case applies" >&2
else
    test_expect_code 2 fxvalidate -q two.json 2>err &&
    echo "two.json: error: cannot open: Permission denied [io]" >expect &&
    test_cmp expect err
fi &&
mkdir dir.json &&
test_expect_code 2 fxvalidate -q dir.json 2>err &&
echo "dir.json: error: is a directory: give the fixture files inside it [io]" >expect &&
test_cmp expect err
EOT

test_expect '- reads stdin; diagnostics name it <stdin>' <<\EOT
two_agences >two.json &&
test_expect_code 0 fxvalidate - <two.json >out 2>err &&
test_must_be_empty out &&
echo "fxvalidate: 2 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1}\n]\n" >bad.json &&
test_expect_code 1 fxvalidate - <bad.json 2>err &&
cat >expect <<\EOF &&
<stdin>:2:1: error: record has no "fields": every record needs a "fields" object, even an empty one {}, near '{"model": "a.b", "pk": 1' [structure]
fxvalidate: 0 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'a duplicate on stdin names <stdin> in both places' <<\EOT
printf "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n" >d.jsonl &&
test_expect_code 1 fxvalidate -q - <d.jsonl 2>err &&
echo "<stdin>:2:1: error: duplicate record a.b pk 1: also at <stdin>:1:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]" >expect &&
test_cmp expect err
EOT

test_expect '- among files, compressed stdin' <<\EOT
two_agences >two.json &&
dups 1 >one.jsonl &&
gzip -c one.jsonl | fxvalidate two.json - 2>err &&
echo "fxvalidate: 3 records in 2 files: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT

test_expect 'several files: counted together, exit 0' <<\EOT
two_agences >two.json &&
dups 1 >one.jsonl &&
gzip -c two.json >other.json.gz &&
sed "s/\"a.b\"/\"a.c\"/" one.jsonl >other.jsonl &&
test_expect_code 0 fxvalidate two.json one.jsonl other.jsonl 2>err &&
echo "fxvalidate: 4 records in 3 files: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT

test_expect 'several files: a duplicate across files names both places' <<\EOT
dups 1 >a.jsonl &&
{ printf "\n" && dups 1; } >b.jsonl &&
test_expect_code 1 fxvalidate a.jsonl b.jsonl 2>err &&
cat >expect <<\EOF &&
b.jsonl:2:1: error: duplicate record a.b pk 1: also at a.jsonl:1:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
fxvalidate: 2 records in 2 files: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'the same file twice: every record is a duplicate' <<\EOT
two_agences >two.json &&
test_expect_code 1 fxvalidate -q two.json two.json 2>err &&
cat >expect <<\EOF &&
two.json:2:1: error: duplicate record supermarket.agence pk 1: also at two.json:2:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
two.json:12:1: error: duplicate record supermarket.agence pk 2: also at two.json:12:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
EOF
test_cmp expect err
EOT

# ---------------------------------------------------------------- --quiet

test_expect '--quiet / -q: no summary, diagnostics and exit status kept' <<\EOT
two_agences >two.json &&
test_expect_code 0 fxvalidate --quiet two.json >out 2>err &&
test_must_be_empty out &&
test_must_be_empty err &&
test_expect_code 0 fxvalidate -q two.json 2>err &&
test_must_be_empty err &&
dups 2 >dup.jsonl &&
test_expect_code 1 fxvalidate -q dup.jsonl 2>err &&
cat >expect <<\EOF &&
dup.jsonl:2:1: error: duplicate record a.b pk 1: also at dup.jsonl:1:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
EOF
test_cmp expect err &&
test_expect_code 2 fxvalidate -q missing.json 2>err &&
echo "missing.json: error: cannot open: No such file or directory [io]" >expect &&
test_cmp expect err
EOT

test_expect '-q combines with other short options' <<\EOT
two_agences >two.json &&
test_expect_code 0 fxvalidate -qi two.json 2>err &&
test_must_be_empty err
EOT

# ---------------------------------------------------------------- --max-errors

test_expect '--max-errors N: stops after N errors and says so' <<\EOT
dups 5 >dup.jsonl &&
test_expect_code 1 fxvalidate --max-errors 2 dup.jsonl >out 2>err &&
test_must_be_empty out &&
cat >expect <<\EOF &&
dup.jsonl:2:1: error: duplicate record a.b pk 1: also at dup.jsonl:1:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
dup.jsonl:3:1: error: duplicate record a.b pk 1: also at dup.jsonl:1:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
fxvalidate: stopped after 2 errors: fix these, or raise --max-errors to see more
fxvalidate: 3 records in 1 file: invalid, 2 errors, 0 warnings
EOF
test_cmp expect err &&
test_expect_code 1 fxvalidate --max-errors=2 dup.jsonl 2>err2 &&
test_cmp err err2
EOT

test_expect '--max-errors: fewer errors than N: no stop message' <<\EOT
dups 3 >dup.jsonl &&
test_expect_code 1 fxvalidate --max-errors 3 dup.jsonl 2>err &&
! grep "stopped" err &&
tail -n 1 err >last &&
echo "fxvalidate: 3 records in 1 file: invalid, 2 errors, 0 warnings" >expect &&
test_cmp expect last
EOT

test_expect '--max-errors defaults to 50' <<\EOT
dups 61 >dup.jsonl &&
test_expect_code 1 fxvalidate dup.jsonl 2>err &&
test "$(grep -c "\[duplicate\]$" err)" = 50 &&
tail -n 2 err >last &&
cat >expect <<\EOF &&
fxvalidate: stopped after 50 errors: fix these, or raise --max-errors to see more
fxvalidate: 51 records in 1 file: invalid, 50 errors, 0 warnings
EOF
test_cmp expect last
EOT

test_expect '--max-errors 0: no limit' <<\EOT
dups 61 >dup.jsonl &&
test_expect_code 1 fxvalidate --max-errors 0 dup.jsonl 2>err &&
test "$(grep -c "\[duplicate\]$" err)" = 60 &&
! grep "stopped" err &&
tail -n 1 err >last &&
echo "fxvalidate: 61 records in 1 file: invalid, 60 errors, 0 warnings" >expect &&
test_cmp expect last
EOT

test_expect '--max-errors: warnings do not count' <<\EOT
for i in 1 2 3 4; do
    printf "{\"model\": \"a.b\", \"pk\": %d, \"fields\": {\"x%d\": NaN}}\n" $i $i
done >nan.jsonl &&
test_expect_code 0 fxvalidate --max-errors 1 nan.jsonl 2>err &&
test "$(grep -c "warning: .* \[nan\]$" err)" = 4 &&
! grep "stopped" err &&
tail -n 1 err >last &&
echo "fxvalidate: 4 records in 1 file: valid, 0 errors, 4 warnings" >expect &&
test_cmp expect last
EOT

test_expect '--max-errors stops before the next file' <<\EOT
dups 3 >dup.jsonl &&
printf "[\n{\"model\": \"a.b\", \"pk\": 2}\n]\n" >bad.json &&
test_expect_code 1 fxvalidate -q --max-errors 2 dup.jsonl bad.json 2>err &&
cat >expect <<\EOF &&
dup.jsonl:2:1: error: duplicate record a.b pk 1: also at dup.jsonl:1:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
dup.jsonl:3:1: error: duplicate record a.b pk 1: also at dup.jsonl:1:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
fxvalidate: stopped after 2 errors: fix these, or raise --max-errors to see more
EOF
test_cmp expect err
EOT

# ---------------------------------------------------------------- --format json

test_expect '--format json, valid: the exact report on stdout, nothing on stderr' <<\EOT
two_agences >two.json &&
dups 1 >one.jsonl &&
test_expect_code 0 fxvalidate --format json two.json one.jsonl >out 2>err &&
test_must_be_empty err &&
jq -e . out >/dev/null &&
jq -c "keys" out >actual &&
echo "[\"complete\",\"diagnostics\",\"errors\",\"files\",\"records\",\"valid\",\"warnings\"]" >expect &&
test_cmp expect actual &&
jq -c "[.valid, .records, .errors, .warnings, .complete, .diagnostics]" out >actual &&
echo "[true,3,0,0,true,[]]" >expect &&
test_cmp expect actual &&
jq -c ".files" out >actual &&
echo "[{\"name\":\"two.json\",\"records\":2,\"layout\":\"indent=2\"},{\"name\":\"one.jsonl\",\"records\":1,\"layout\":\"jsonl (separators ', ' ': ')\"}]" >expect &&
test_cmp expect actual
EOT

test_expect '--format json, invalid: each diagnostic with its place, check and message' <<\EOT
cat >bad.jsonl <<\EOF &&
{"model": "a.b", "pk": 1, "fields": {"x": 1}}
{"model": "a.b", "pk": 1, "fields": {"x": NaN}}
EOF
test_expect_code 1 fxvalidate --format json bad.jsonl >out 2>err &&
test_must_be_empty err &&
jq -c "[.valid, .records, .errors, .warnings, .complete]" out >actual &&
echo "[false,2,1,1,true]" >expect &&
test_cmp expect actual &&
jq -c ".diagnostics[0] | keys_unsorted" out >actual &&
echo "[\"file\",\"line\",\"column\",\"offset\",\"severity\",\"check\",\"message\"]" >expect &&
test_cmp expect actual &&
jq -r ".diagnostics[] | [.file, .line, .column, .offset, .severity, .check, .message] | @tsv" out >actual &&
cat >expect <<\EOF &&
bad.jsonl	2	1	46	error	duplicate	duplicate record a.b pk 1: also at bad.jsonl:1:1; loaddata keeps only the last one; remove or renumber one of them
bad.jsonl	2	43	88	warning	nan	a.b.x is NaN: Python and loaddata accept it, but PostgreSQL numeric and integer columns and strict JSON readers refuse it (further ones in this field not reported)
EOF
test_cmp expect actual &&
jq -c ".files" out >actual &&
echo "[{\"name\":\"bad.jsonl\",\"records\":2,\"layout\":\"jsonl (separators ', ' ': ')\"}]" >expect &&
test_cmp expect actual
EOT

test_expect '--format json: the offset is the byte of the place' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"é\", \"n\": 01}}\n]\n" >bad.json &&
test_expect_code 1 fxvalidate --format json bad.json >out &&
jq -r ".diagnostics[] | [.line, .column, .offset] | @tsv" out >actual &&
printf "2\t53\t55\n" >expect &&
test_cmp expect actual &&
test "$(tail -c +56 bad.json | head -c 2)" = 01
EOT

test_expect '--format json with --max-errors: complete is false, no stop message' <<\EOT
dups 4 >dup.jsonl &&
test_expect_code 1 fxvalidate --format json --max-errors 1 dup.jsonl >out 2>err &&
test_must_be_empty err &&
jq -c "[.valid, .records, .errors, .complete, (.diagnostics | length)]" out >actual &&
echo "[false,2,1,false,1]" >expect &&
test_cmp expect actual
EOT

test_expect '--format json: io trouble is exit 2, in the report' <<\EOT
test_expect_code 2 fxvalidate --format json missing.json >out 2>err &&
test_must_be_empty err &&
jq -c "[.valid, .records, .errors, .complete, .files]" out >actual &&
echo "[false,0,1,true,[]]" >expect &&
test_cmp expect actual &&
jq -r ".diagnostics[] | [.file, .line, .column, .severity, .check, .message] | @tsv" out >actual &&
printf "missing.json\t0\t0\terror\tio\tcannot open: No such file or directory\n" >expect &&
test_cmp expect actual
EOT

test_expect '--format json: stdin is named -' <<\EOT
dups 1 >one.jsonl &&
test_expect_code 0 fxvalidate --format json - <one.jsonl >out &&
jq -c ".files" out >actual &&
echo "[{\"name\":\"-\",\"records\":1,\"layout\":\"jsonl (separators ', ' ': ')\"}]" >expect &&
test_cmp expect actual
EOT

test_expect '--format json: the layout of each file (the same records: duplicates)' <<\EOT
two_agences >two.json &&
jq -c . two.json >compact.json &&
sed "s/^\( *\)/\1\1/" two.json >four.json &&
sed "s/$/\r/" two.json >crlf.json &&
test_expect_code 1 fxvalidate --format json two.json compact.json four.json crlf.json >out &&
jq -r ".files[] | [.name, .records, .layout] | @tsv" out >actual &&
cat >expect <<\EOF &&
two.json	2	indent=2
compact.json	2	compact (separators ',' ':')
four.json	2	indent=4
crlf.json	2	indent=2 (CRLF)
EOF
test_cmp expect actual
EOT

# ---------------------------------------------------------------- --hash

test_expect '--hash: one line a record, 16 hex digits, label, pk' <<\EOT
two_agences >two.json &&
test_expect_code 0 fxvalidate --hash two.json >out 2>err &&
echo "fxvalidate: 2 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err &&
test "$(wc -l <out)" = 2 &&
! grep -v -P "^[0-9a-f]{16}\tsupermarket\.agence\t[12]$" out &&
cut -f 2,3 out >actual &&
printf "supermarket.agence\t1\nsupermarket.agence\t2\n" >expect &&
test_cmp expect actual &&
test "$(cut -f 1 out | sort -u | wc -l)" = 2
EOT

test_expect '--hash: the values are stable (XXH3-64 of the canonical record)' <<\EOT
two_agences >two.json &&
fxvalidate -q --hash two.json >actual &&
printf "c3a48c09bdf4b1f1\tsupermarket.agence\t1\n5374f9b2ab58a2f5\tsupermarket.agence\t2\n" >expect &&
test_cmp expect actual
EOT

test_expect '--hash: the label lower-cased; pk as text; - without a pk' <<\EOT
cat >h.json <<\EOF &&
[
{"model": "Supermarket.Agence", "pk": "7", "fields": {}},
{"model": "supermarket.agence", "fields": {}},
{"model": "supermarket.agence", "pk": null, "fields": {}}
]
EOF
test_expect_code 0 fxvalidate -q --hash h.json >out &&
cut -f 2- out >actual &&
printf "supermarket.agence\t7\nsupermarket.agence\t-\nsupermarket.agence\t-\n" >expect &&
test_cmp expect actual
EOT

test_expect '--hash: key order, white space, escapes and pk spelling do not count' <<\EOT
printf "{\"model\": \"a.b\", \"pk\": 7, \"fields\": {\"b\": 1, \"a\": [1, {\"y\": \"\\\\u00e9\", \"x\": 1}]}}\n" >one.jsonl &&
printf "[\n{\n  \"fields\": {\n    \"a\": [\n      1,\n      {\n        \"x\": 1,\n        \"y\": \"é\"\n      }\n    ],\n    \"b\": 1\n  },\n  \"pk\": \"7\",\n  \"model\": \"A.B\"\n}\n]\n" >two.json &&
fxvalidate -q --hash one.jsonl >h1 &&
fxvalidate -q --hash two.json >h2 &&
test_cmp h1 h2 &&
test "$(wc -l <h1)" = 1
EOT

test_expect '--hash: any change of value, field, model or pk changes the hash' <<\EOT
rec () { printf "{\"model\": \"%s\", \"pk\": %s, \"fields\": {%s}}\n" "$@"; }
{
    rec a.b 7 "\"a\": 1" &&
    rec a.b 7 "\"a\": 2" &&
    rec a.b 7 "\"a\": 1.0" &&
    rec a.b 7 "\"a\": \"1\"" &&
    rec a.b 7 "\"c\": 1" &&
    rec a.b 7 "\"a\": 1, \"c\": null" &&
    rec a.c 7 "\"a\": 1" &&
    rec a.b 8 "\"a\": 1"
} >all.jsonl &&
i=0 &&
while read -r line; do
    i=$((i + 1)) &&
    echo "$line" >r$i.jsonl &&
    fxvalidate -q --hash r$i.jsonl | cut -f 1 >>hashes || return 1
done <all.jsonl &&
test "$(wc -l <hashes)" = 8 &&
test "$(sort -u hashes | wc -l)" = 8
EOT

test_expect '--hash: only the records read; a bad one is left out' <<\EOT
cat >bad.jsonl <<\EOF &&
{"model": "a.b", "pk": 1, "fields": {}}
{"model": "a.b", "pk": 2, "fields": {"x": 01}}
{"model": "a.b", "pk": 3, "fields": {}}
EOF
test_expect_code 1 fxvalidate -q --hash bad.jsonl >out 2>err &&
cut -f 2- out >actual &&
printf "a.b\t1\na.b\t3\n" >expect &&
test_cmp expect actual &&
test "$(wc -l <err)" = 1
EOT

test_expect '--hash with -q: only the hashes' <<\EOT
two_agences >two.json &&
test_expect_code 0 fxvalidate --hash -q two.json >out 2>err &&
test_must_be_empty err &&
test "$(wc -l <out)" = 2
EOT

test_done
