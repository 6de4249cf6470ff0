#!/usr/bin/env bash
# fxvalidate on truncated files, as jq's tests do it: a small valid file of
# two records in each layout dumpdata writes, cut at every byte.  Each cut
# must give exit 1 with one error at the end of the file (or exit 0 where
# the cut leaves a complete file: jsonl at a record's end), never exit 2 or
# a crash, and the records before the cut must still be read (their --hash
# lines are the first ones of the whole file).

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

# The records hold what a cut can split: a 2-byte and a 3-byte UTF-8
# character, a \u escape, true, null, a number with an exponent.
indent2 () {
    cat <<\EOF
[
{
  "model": "supermarket.agence",
  "pk": 1,
  "fields": {
    "nom": "Bouaké — \u00e9",
    "active": true,
    "n": -1.5e3
  }
},
{
  "model": "supermarket.agence",
  "pk": 2,
  "fields": {
    "nom": "Ébrié",
    "active": null
  }
}
]
EOF
}

# dumpdata without --indent: one line, no newline at the end.
compact () {
    printf '%s' '[{"model": "supermarket.agence", "pk": 1, "fields": {"nom": "Bouaké — \u00e9", "active": true, "n": -1.5e3}}, {"model": "supermarket.agence", "pk": 2, "fields": {"nom": "Ébrié", "active": null}}]'
}

jsonl () {
    cat <<\EOF
{"model": "supermarket.agence","pk": 1,"fields": {"nom": "Bouaké — \u00e9","active": true,"n": -1.5e3}}
{"model": "supermarket.agence","pk": 2,"fields": {"nom": "Ébrié","active": null}}
EOF
}

# Line:column of the end of file $1, columns in characters.
eof_pos () {
    local lines tail
    lines=$(tr -cd '\n' <"$1" | wc -c)
    tail=$(awk 'END { printf "%s", $0 }' "$1" | tr -d '\200-\277' | wc -c)
    # awk's last record is the text after the last newline, or "" when
    # the file ends with one.
    if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; then
        tail=0
    fi
    echo "$((lines + 1)):$((tail + 1))"
}

# cut_all FILE STARTS ENDS: cut FILE at every length 0..n-1 and check each
# cut; STARTS and ENDS are the byte offsets of each record's '{' and of the
# byte after its '}'.  Writes the lengths that gave exit 0 to "valid" and
# every mismatch to "problems".
cut_all () {
    local file=$1 n i k j rc inside line col starts ends
    read -r -a starts <<<"$2"
    read -r -a ends <<<"$3"
    n=$(wc -c <"$file")
    fxvalidate -q --hash "$file" >full.hash || { echo "$file itself is not valid" >>problems; return; }
    : >valid
    : >>problems
    for ((i = 0; i < n; i++)); do
        head -c "$i" "$file" >"cut.$file"
        fxvalidate -q --hash "cut.$file" >out 2>err
        rc=$?
        k=0 inside=
        for j in "${!starts[@]}"; do
            [ "${ends[$j]}" -le "$i" ] && k=$((k + 1))
            [ "${starts[$j]}" -lt "$i" ] && [ "$i" -lt "${ends[$j]}" ] && inside=$j
        done
        head -n "$k" full.hash >expect.out
        cmp -s expect.out out || echo "cut $i: --hash is not the first $k records" >>problems
        if [ "$rc" -ge 128 ]; then
            echo "cut $i: crashed (exit $rc)" >>problems
            continue
        fi
        if [ "$rc" = 0 ]; then
            echo "$i" >>valid
            [ -s err ] && echo "cut $i: exit 0 with diagnostics: $(cat err)" >>problems
            continue
        fi
        [ "$rc" = 1 ] || echo "cut $i: exit $rc, expected 1" >>problems
        if [ "$i" = 0 ]; then
            echo "cut.$file: error: empty file: a fixture holds a list of records ('[...]') or one record a line; was the export interrupted? [format]"
        elif [ -n "$inside" ]; then
            head -c "${starts[$inside]}" "$file" >prefix
            line=$(($(tr -cd '\n' <prefix | wc -c) + 1))
            col=$(eof_pos prefix) col=${col#*:}
            echo "cut.$file:$(eof_pos "cut.$file"): error: unexpected end of file inside the record that starts at line $line column $col: the file is truncated (an interrupted download or copy?); export it again [syntax]"
        else
            echo "cut.$file:$(eof_pos "cut.$file"): error: unexpected end of file: the list of records is not closed with ']' (the file is truncated?) [syntax]"
        fi >expect.err
        cmp -s expect.err err || {
            echo "cut $i: expected: $(cat expect.err)"
            echo "cut $i:      got: $(cat err)"
        } >>problems
    done
}

test_expect 'eof_pos counts lines and characters' <<\EOT
printf "" >a && test "$(eof_pos a)" = 1:1 &&
printf "ab" >a && test "$(eof_pos a)" = 1:3 &&
printf "ab\n" >a && test "$(eof_pos a)" = 2:1 &&
printf "ab\né—x" >a && test "$(eof_pos a)" = 2:4 &&
printf "ab\n\303" >a && test "$(eof_pos a)" = 2:2
EOT

test_expect 'indent 2: every cut is exit 1 with the error at the end, but the last' <<\EOT
indent2 >s.json &&
starts=$(grep -b "^{$" s.json | cut -d: -f1 | tr "\n" " ") &&
ends=$(grep -b "^}" s.json | cut -d: -f1 | while read -r o; do echo $((o + 1)); done | tr "\n" " ") &&
test "$starts" = "2 138 " &&
cut_all s.json "$starts" "$ends" &&
test_must_be_empty problems &&
n=$(wc -c <s.json) &&
echo $((n - 1)) >expect &&
test_cmp expect valid
EOT

test_expect 'compact: every cut is exit 1 with the error at the end' <<\EOT
compact >s.json &&
starts=$(grep -bo "{\"model\"" s.json | cut -d: -f1 | tr "\n" " ") &&
ends=$(grep -bo "}}" s.json | cut -d: -f1 | while read -r o; do echo $((o + 2)); done | tr "\n" " ") &&
test "$starts" = "1 113 " &&
cut_all s.json "$starts" "$ends" &&
test_must_be_empty problems &&
test_must_be_empty valid
EOT

test_expect 'jsonl: exit 0 at a record end, else exit 1 with the error at the end' <<\EOT
jsonl >s.jsonl &&
starts=$(grep -bo "{\"model\"" s.jsonl | cut -d: -f1 | tr "\n" " ") &&
ends=$(grep -bo "}}" s.jsonl | cut -d: -f1 | while read -r o; do echo $((o + 2)); done | tr "\n" " ") &&
test "$starts" = "0 107 " &&
cut_all s.jsonl "$starts" "$ends" &&
test_must_be_empty problems &&
n=$(wc -c <s.jsonl) &&
printf "106\n107\n%d\n" $((n - 1)) >expect &&
test_cmp expect valid
EOT

test_expect 'a cut inside a multi-byte character is a truncation, not bad UTF-8' <<\EOT
printf "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"é—\"}}\n" >s.jsonl &&
for i in 43 45 46; do
    head -c $i s.jsonl >cut.jsonl &&
    test_expect_code 1 fxvalidate -q cut.jsonl 2>err &&
    grep "unexpected end of file inside the record" err &&
    ! grep "UTF-8" err || return 1
done
EOT

test_expect 'a truncated export of the corpus: the records before the cut are read' <<\EOT
head -c 1000000 "$FX_TESTDATA/corpus/base.json" >cut.json &&
test_expect_code 1 fxvalidate --hash cut.json >out 2>err &&
n=$(wc -l <out) &&
test "$n" -gt 1000 &&
fxvalidate -q --hash "$FX_TESTDATA/corpus/base.json" | head -n "$n" >expect &&
test_cmp expect out &&
test "$(wc -l <err)" = 2 &&
grep "^cut.json:[0-9]*:[0-9]*: error: unexpected end of file inside the record that starts at line [0-9]* column 1: " err &&
tail -n 1 err >last &&
echo "fxvalidate: $n records in 1 file: invalid, 1 error, 0 warnings" >expect &&
test_cmp expect last
EOT

test_done
