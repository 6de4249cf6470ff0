#!/usr/bin/env bash
# fxfilter: options, selection by model and pk, layouts, exit codes, -o,
# --count, and the byte-for-byte pass-through on the real corpus.

. "$(dirname "$0")/lib.sh"

C=$FX_TESTDATA/corpus
DB=$C/empty.sqlite3

# A small fixture in dumpdata's --indent 2 layout, and its compact form.
small () {
    cat >small.json <<-\JSON
	[
	{
	  "model": "shop.agence",
	  "pk": 1,
	  "fields": {
	    "code": "AB"
	  }
	},
	{
	  "model": "shop.client",
	  "pk": 1,
	  "fields": {
	    "nom": "Aïcha",
	    "agence": 1
	  }
	},
	{
	  "model": "shop.client",
	  "pk": 2,
	  "fields": {
	    "nom": "Kofi",
	    "agence": 1
	  }
	},
	{
	  "model": "auth.user",
	  "pk": 7,
	  "fields": {
	    "username": "moussa"
	  }
	}
	]
	JSON
}

test_expect_success '--help on stdout, exit 0; --version' '
    fxfilter --help >out &&
    grep "^usage: fxfilter" out &&
    grep -- "--with-deps" out &&
    fxfilter --version >out &&
    grep "^fxfilter (fx) " out
'

test_expect_success 'usage mistakes exit 2 with the synopsis' '
    test_expect_code 2 fxfilter --nope 2>err &&
    grep "unknown option" err && grep "^usage: fxfilter" err &&
    test_expect_code 2 fxfilter --indent x 2>err &&
    grep "indent takes a number" err &&
    test_expect_code 2 fxfilter --indent 2 --format jsonl 2>err &&
    grep "choose one of" err &&
    test_expect_code 2 fxfilter --format xml 2>err &&
    grep "json or jsonl" err &&
    test_expect_code 2 fxfilter --with-deps 2>err &&
    grep "with-deps needs --schema" err &&
    test_expect_code 2 fxfilter -m "bad label" 2>err &&
    grep "is not a model label" err &&
    test_expect_code 2 fxfilter --pk 1 -m shop 2>err &&
    grep "pk needs exactly one --model" err &&
    test_expect_code 2 fxfilter --pk 1,,2 -m shop.client 2>err &&
    grep "at column 3: an empty item" err
'

test_expect_success 'no selection: output is the input, byte for byte, in all four layouts' '
    for f in base.json base.compact.json base.jsonl base.natural.json; do
        fxfilter "$C/$f" >out &&
        cmp out "$C/$f" || return 1
    done
'

test_expect_success 'pass-through from stdin and from gzip' '
    fxfilter <"$C/base.jsonl" >out &&
    cmp out "$C/base.jsonl" &&
    fxfilter - <"$C/base.compact.json" >out &&
    cmp out "$C/base.compact.json" &&
    fxfilter "$C/base.json.gz" >out &&
    cmp out "$C/base.json"
'

test_expect_success '-m keeps models in input order, exact bytes' '
    small &&
    fxfilter -m Shop.Client small.json >out &&
    cat >expect <<-\JSON &&
	[
	{
	  "model": "shop.client",
	  "pk": 1,
	  "fields": {
	    "nom": "Aïcha",
	    "agence": 1
	  }
	},
	{
	  "model": "shop.client",
	  "pk": 2,
	  "fields": {
	    "nom": "Kofi",
	    "agence": 1
	  }
	}
	]
	JSON
    test_cmp expect out
'

test_expect_success '-m app, -x, --pk ranges' '
    small &&
    fxfilter -m shop -x shop.agence --compact small.json >out &&
    printf "%s" "[{\"model\": \"shop.client\", \"pk\": 1, \"fields\": {\"nom\": \"Aïcha\", \"agence\": 1}}, {\"model\": \"shop.client\", \"pk\": 2, \"fields\": {\"nom\": \"Kofi\", \"agence\": 1}}]" >expect &&
    test_cmp expect out &&
    fxfilter -x shop --format jsonl small.json >out &&
    echo "{\"model\": \"auth.user\",\"pk\": 7,\"fields\": {\"username\": \"moussa\"}}" >expect &&
    test_cmp expect out &&
    fxfilter -m shop.client --pk 2-5 --format jsonl small.json >out &&
    echo "{\"model\": \"shop.client\",\"pk\": 2,\"fields\": {\"nom\": \"Kofi\",\"agence\": 1}}" >expect &&
    test_cmp expect out
'

test_expect_success '--indent, --compact, --format on the corpus: same records' '
    fxfilter -m supermarket.commande "$C/base.jsonl" >a.jsonl &&
    fxfilter -m supermarket.commande --indent 2 "$C/base.jsonl" >b.json &&
    fxfilter -m supermarket.commande "$C/base.json" >c.json &&
    test_cmp c.json b.json &&
    fxfilter --format jsonl b.json >d.jsonl &&
    test_cmp a.jsonl d.jsonl &&
    fxfilter --format json b.json >e.json &&
    fxfilter -m supermarket.commande "$C/base.compact.json" >f.json &&
    cmp e.json f.json &&
    fxfilter --compact a.jsonl >g.json &&
    cmp f.json g.json &&
    test "$(wc -l <a.jsonl)" = 2000
'

test_expect_success 'several files are read in order, in the first one layout' '
    small &&
    fxfilter -m auth --format jsonl small.json >u.jsonl &&
    fxfilter -m shop.agence small.json >a.json &&
    fxfilter u.jsonl a.json >out &&
    printf "%s\n" "{\"model\": \"auth.user\",\"pk\": 7,\"fields\": {\"username\": \"moussa\"}}" \
        "{\"model\": \"shop.agence\",\"pk\": 1,\"fields\": {\"code\": \"AB\"}}" >expect &&
    test_cmp expect out
'

test_expect_success 'nothing matched: exit 1, an empty fixture, a warning per label' '
    small &&
    test_expect_code 1 fxfilter -m shop.nothing small.json >out 2>err &&
    printf "[\n]\n" >expect &&
    test_cmp expect out &&
    echo "fxfilter: warning: '"'"'shop.nothing'"'"' matched no record" >expect &&
    test_cmp expect err &&
    test_expect_code 1 fxfilter -q -m shop.nothing small.json 2>err &&
    test_must_be_empty err &&
    printf "[]" | test_expect_code 1 fxfilter >out &&
    printf "[]" >expect && test_cmp expect out
'

test_expect_success 'one label matched, another not: exit 0 and a warning' '
    small &&
    fxfilter -m shop.client -m shop.fournisseur small.json >out 2>err &&
    grep "'"'"'shop.fournisseur'"'"' matched no record" err
'

test_expect_success 'unknown model with --schema: an error naming close labels' '
    test_expect_code 2 fxfilter -s "$DB" -m supermarket.comande "$C/base.json" >out 2>err &&
    grep "unknown model '"'"'supermarket.comande'"'"' in .*: did you mean '"'"'supermarket.commande'"'"'" err &&
    test_must_be_empty out &&
    test_expect_code 2 fxfilter -s "$DB" -x supermarkt "$C/base.json" 2>err &&
    grep "unknown app '"'"'supermarkt'"'"'.*did you mean '"'"'supermarket'"'"'" err &&
    test_expect_code 2 fxfilter -s "$DB" -m commande "$C/base.json" 2>err &&
    grep "did you mean '"'"'supermarket.commande'"'"'" err
'

test_expect_success 'empty and broken input: exit 2 with FILE:LINE:COL' '
    : >empty.json &&
    test_expect_code 2 fxfilter empty.json 2>err &&
    grep "^empty.json: error: empty file" err &&
    printf "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}, {\"model\": 3}]" >bad.json &&
    test_expect_code 2 fxfilter bad.json 2>err &&
    grep "^bad.json:1:[0-9]*: error: " err &&
    test_expect_code 2 fxfilter missing.json 2>err &&
    grep "missing.json" err
'

test_expect_success '-o writes atomically; nothing is written on trouble' '
    small &&
    fxfilter -m shop.client -o out.json small.json &&
    fxfilter -m shop.client small.json >expect &&
    test_cmp expect out.json &&
    echo old >keep.json &&
    printf "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}" >trunc.json &&
    test_expect_code 2 fxfilter -o keep.json small.json trunc.json 2>err &&
    echo old >expect && test_cmp expect keep.json &&
    test -z "$(ls -A | grep fx-)" &&
    fxfilter -m shop -o small.json small.json &&
    test "$(grep -c "\"model\"" small.json)" = 3
'

test_expect_success '--count: records and bytes (text as read) per model, largest first' '
    fxfilter --count "$C/base.jsonl" >out &&
    head -n 1 out | grep "^ *6094 *[0-9]* *supermarket.lignecommande$" &&
    test "$(wc -l <out)" = 9 &&
    awk "{ print \$2 }" out >bytes && sort -rn bytes >sorted && test_cmp sorted bytes &&
    total=$(awk "{ s += \$2 } END { print s }" out) &&
    count=$(awk "{ s += \$1 } END { print s }" out) &&
    test "$count" = 10852 &&
    test "$total" -lt "$(wc -c <"$C/base.jsonl")" &&
    small &&
    fxfilter -c -m shop small.json >out &&
    printf "%9d %12d  %s\n" 2 188 shop.client 1 75 shop.agence >expect &&
    test_cmp expect out &&
    test_expect_code 1 fxfilter -c -m shop.none small.json >out 2>/dev/null &&
    test_must_be_empty out
'

test_done
