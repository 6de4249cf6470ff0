#!/usr/bin/env bash
# fxdump on SQLite: byte for byte what Django 3.2's dumpdata writes, with
# each option, for the reference app (testdata's export, loaded by
# loaddata) and the test app (every field kind, awkward values); -o and its
# compressions; the round trip through fxload; without a schema file; one
# snapshot while another connection writes.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dump.sh"

C=$FX_TESTDATA/corpus
W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5110.XXXXXX") || exit 2
trap 'rm -rf "$W"' EXIT

make_db erp "$W/erp.sqlite3" || { echo "could not make the reference database"; exit 1; }
make_db zoo "$W/zoo.sqlite3" || { echo "could not make the test app's database"; exit 1; }

for app in erp zoo; do
    for opts in "${DUMP_OPTIONS[@]}"; do
        test_expect_success "$app: dumpdata $opts: the same bytes" '
            conform '$app' "$W/'$app'.sqlite3" '"$opts"'
        '
    done
done

# Selections: labels in dumpdata's order, a whole app after one of its
# models, a model name in another case, --pks in any order with spaces,
# -e of an app and of a model, the natural-foreign sort running backwards.
while IFS='|' read -r app args; do
    test_expect_success "$app: dumpdata $args: the same bytes" '
        conform '$app' "$W/'$app'.sqlite3" '"$args"'
    '
done <<\EOT
erp|auth.user supermarket.commande supermarket.client supermarket.agence --natural-foreign
erp|auth.user supermarket.commande supermarket.client supermarket.agence
erp|supermarket.client supermarket --indent 2
erp|supermarket.Commande --pks 502,1,3
erp|-e contenttypes -e auth.permission --indent 2
erp|-e supermarket.lignecommande --natural-foreign --natural-primary
erp|auth --format jsonl --natural-foreign --natural-primary
erp|-a supermarket.agence auth --indent 2
zoo|zoo.bigplace zoo.place --indent 2
zoo|zoo.restaurant zoo.dish zoo.Place --natural-foreign
zoo|zoo.restaurant zoo.dish --natural-foreign --natural-primary --indent 1
zoo|zoo.code --pks zz,AA,nothere
zoo|zoo.token --pks 00000000-0000-4000-8000-000000000002
zoo|zoo.everything --pks 2,1 --indent 2 --natural-foreign
zoo|-e zoo -e contenttypes --natural-foreign --indent 2
EOT

test_expect_success 'an empty selection in each format' '
    for f in "" "--indent 2" "--indent 0" "--format jsonl"; do
        conform erp "$W/erp.sqlite3" auth.group $f || return 1
    done &&
    printf "[]" >expect && fxdump -q --db "$W/erp.sqlite3" -s "$(schema_of erp)" auth.group >out &&
    test_cmp expect out
'

test_expect_success 'a proxy model alone: [], and dumpdata'"'"'s warning' '
    conform zoo "$W/zoo.sqlite3" zoo.bigplace &&
    grep "ProxyModelWarning: zoo.BigPlace is a proxy model and won'"'"'t be serialized" dj.err &&
    echo "fxdump: warning: zoo.bigplace is a proxy model and won'"'"'t be serialized. [proxy]" >expect &&
    grep -v "rows$\|written to" fx.err >actual && test_cmp expect actual
'

test_expect_success 'the summary: rows a model, then the total' '
    fxdump --db "$W/erp.sqlite3" -s "$(schema_of erp)" supermarket.agence auth.user >/dev/null 2>err &&
    cat >expect <<-\EOF &&
	fxdump: supermarket.agence                       3 rows
	fxdump: auth.user                                5 rows
	fxdump: 8 records of 2 models written to standard output
	EOF
    test_cmp expect err &&
    fxdump -q --db "$W/erp.sqlite3" -s "$(schema_of erp)" supermarket.agence >/dev/null 2>err &&
    test_must_be_empty err
'

# -o: compressed by its last extension as dumpdata's; .zip is not.
for ext in gz bz2 xz lzma; do
    test_expect_success "-o export.json.$ext: compressed as dumpdata compresses it" '
        django erp "$W/erp.sqlite3" dumpdata --indent 2 -o dj.json.'$ext' &&
        fxdump -q --db "$W/erp.sqlite3" -s "$(schema_of erp)" --indent 2 -o fx.json.'$ext' &&
        case '$ext' in
        gz) unz="gzip -dc" ;; bz2) unz="bzip2 -dc" ;; xz) unz="xz -dc" ;;
        lzma) unz="xz --format=lzma -dc" ;;
        esac &&
        $unz dj.json.'$ext' >dj.json && $unz fx.json.'$ext' >fx.json &&
        test -s dj.json && cmp dj.json fx.json &&
        ls -A >files && printf "dj.json\ndj.json.'$ext'\nfiles\nfx.json\nfx.json.'$ext'\n" >expect &&
        test_cmp expect files
    '
done

test_expect_success '-o export.json.zip: written, uncompressed, to export.json, with the warning' '
    django erp "$W/erp.sqlite3" dumpdata -o dj.json.zip 2>dj.err &&
    fxdump -q --db "$W/erp.sqlite3" -s "$(schema_of erp)" -o fx.json.zip 2>fx.err &&
    cmp dj.json fx.json && test ! -e fx.json.zip &&
    grep "RuntimeWarning: Unsupported file extension (.zip). Fixtures saved in '"'"'dj.json'"'"'." dj.err &&
    echo "fxdump: warning: Unsupported file extension (.zip). Fixtures saved in '"'"'fx.json'"'"'." >expect &&
    test_cmp expect fx.err
'

test_expect_success '-o replaces a file atomically and keeps its permissions' '
    echo old >out.json && chmod 640 out.json &&
    fxdump -q --db "$W/erp.sqlite3" -s "$(schema_of erp)" supermarket.agence -o out.json &&
    django erp "$W/erp.sqlite3" dumpdata supermarket.agence >expect &&
    test_cmp expect out.json &&
    test "$(stat -c %a out.json)" = 640 && ls -A >files && printf "expect\nfiles\nout.json\n" >want &&
    test_cmp want files
'

# The round trip: what fxload made of an export dumps as what loaddata made
# of it; and an export dumpdata wrote comes back byte for byte, fxdiff
# finding no difference.
for f in base.json base.natural.json; do
    test_expect_success "round trip: fxload $f, fxdump = dumpdata of loaddata's database" '
        django erp dj.sqlite3 migrate -v0 && cp dj.sqlite3 fx.sqlite3 &&
        mkdir ld && cp "$C/'$f'" ld/ && django erp dj.sqlite3 loaddata -v0 ld/'$f' &&
        fxload -q --db fx.sqlite3 "$C/'$f'" &&
        for o in "--indent 2" "--natural-foreign --natural-primary --format jsonl"; do
            django erp dj.sqlite3 dumpdata $o >dj.out &&
            fxdump -q --db fx.sqlite3 -s "$(schema_of erp)" $o >fx.out &&
            cmp dj.out fx.out || return 1
        done
    '
done

test_expect_success 'round trip: dumpdata, fxload, fxdump: the same file, and fxdiff finds nothing' '
    django erp "$W/erp.sqlite3" dumpdata --indent 2 -o export.json &&
    django erp fx.sqlite3 migrate -v0 && fxload -q --db fx.sqlite3 export.json &&
    fxdump -q --db fx.sqlite3 -s "$(schema_of erp)" --indent 2 -o dump.json &&
    cmp export.json dump.json &&
    fxdiff -s "$(schema_of erp)" export.json dump.json >out && test_must_be_empty out
'

test_expect_success 'round trip, test app: dumpdata, fxload, fxdump = dumpdata, loaddata, dumpdata' '
    django zoo "$W/zoo.sqlite3" dumpdata --indent 2 -o export.json &&
    django zoo fx.sqlite3 migrate -v0 && cp fx.sqlite3 dj.sqlite3 &&
    fxload -q --db fx.sqlite3 -s "$(schema_of zoo)" export.json &&
    mkdir ld && cp export.json ld/ && django zoo dj.sqlite3 loaddata -v0 ld/export.json &&
    django zoo dj.sqlite3 dumpdata --indent 2 >dj.out &&
    fxdump -q --db fx.sqlite3 -s "$(schema_of zoo)" --indent 2 >fx.out &&
    cmp dj.out fx.out &&
    sqlite3 fx.sqlite3 "SELECT id, typeof(blob), hex(blob) FROM zoo_everything WHERE id < 4" >blobs &&
    printf "1|blob|00FF6869\n2|blob|\n3|null|\n" >expect && test_cmp expect blobs
'

# Without a schema file: the catalog's order, a warning, a loadable fixture.
test_expect_success 'no schema file: one warning, and a fixture that loads back to the same rows' '
    fxdump --db "$W/erp.sqlite3" --indent 2 -o dump.json 2>err &&
    grep -c "warning: no schema file" err >n && echo 1 >one && test_cmp one n &&
    grep "^fxdump: warning: no schema file: models, fields and natural keys as the database tells them" err &&
    grep "^fxdump: warning: supermarket.mouvementstock.duree_traitement: SQLite stores a BigIntegerField and a DurationField alike: written as an integer" err &&
    django erp fresh.sqlite3 migrate -v0 && cp fresh.sqlite3 dj.sqlite3 &&
    fxload -q --db fresh.sqlite3 dump.json &&
    "$FX_ROOT/tests/django/compare" "$W/erp.sqlite3" fresh.sqlite3 &&
    grep -o "\"model\": \"[a-z.]*\"" dump.json | uniq | tail -n 8 >models &&
    cat >expect <<-\EOF &&
	"model": "supermarket.agence"
	"model": "supermarket.categorie"
	"model": "supermarket.client"
	"model": "supermarket.commande"
	"model": "supermarket.fournisseur"
	"model": "supermarket.produit"
	"model": "supermarket.mouvementstock"
	"model": "supermarket.lignecommande"
	EOF
    test_cmp expect models
'

# What loaddata takes back: the user's permissions by natural key.
test_expect_success 'no schema file: natural keys of Django'"'"'s own models, loaddata loads them' '
    fxdump -q --db "$W/zoo.sqlite3" --natural-foreign --natural-primary auth -o nat.json 2>err &&
    grep "\"user_permissions\": \[\[\"add_group\", \"auth\", \"group\"\]" nat.json &&
    django zoo dj.sqlite3 migrate -v0 && mkdir ld && cp nat.json ld/ &&
    django zoo dj.sqlite3 loaddata -v0 ld/nat.json &&
    django zoo "$W/zoo.sqlite3" dumpdata auth >expect &&
    django zoo dj.sqlite3 dumpdata auth >actual &&
    test_cmp expect actual
'

# All but the durations (SQLite does not say which bigint columns are
# durations) and the model with its own db_table (not found): every row
# loads back as it was.
test_expect_success 'no schema file, test app: the rows load back as they were' '
    fxdump -q --db "$W/zoo.sqlite3" -e zoo.everything -e zoo.profile -o dump.json 2>err &&
    grep "^fxdump: warning: no table of Django'"'"'s default name for zoo.legacy, zoo.bigplace: proxy models (never dumped), models with their own db_table or deleted models: not dumped without the schema file \[schema\]$" err &&
    django zoo fresh.sqlite3 migrate -v0 && mkdir ld && cp dump.json ld/ &&
    django zoo fresh.sqlite3 loaddata -v0 ld/dump.json &&
    django zoo fresh.sqlite3 dumpdata --indent 2 >back.json &&
    django zoo "$W/zoo.sqlite3" dumpdata --indent 2 -e zoo.everything -e zoo.profile \
        -e zoo.legacy >orig.json &&
    test_cmp orig.json back.json
'

# One snapshot: fxdump is stopped (SIGSTOP) in the middle of the dump,
# another connection adds an agence and a stock movement (the last model)
# and commits, then fxdump goes on.  The dump must be the database as it
# was when fxdump began: it equals a dump taken before.
test_expect_success 'a dump is one snapshot while another connection writes (WAL)' '
    cp "$W/erp.sqlite3" snap.sqlite3 && sqlite3 snap.sqlite3 "PRAGMA journal_mode=WAL" >/dev/null &&
    sqlite3 snap.sqlite3 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
        INSERT INTO supermarket_lignecommande (commande_id, produit_id, quantite, prix_unitaire, remise)
        SELECT 1, 1, 1, 1, 0 FROM n" &&
    fxdump -q --db snap.sqlite3 -s "$(schema_of erp)" -o before.json &&
    { fxdump -q --db snap.sqlite3 -s "$(schema_of erp)" -o during.json & pid=$!; } &&
    n=0 && until [ -n "$(find . -name ".during.json.fx-*" -size +100k)" ]; do
        n=$((n + 1)) && [ $n -lt 1000 ] || break; sleep 0.01; done &&
    kill -STOP $pid &&
    ! grep -q supermarket.mouvementstock .during.json.fx-* &&
    sqlite3 snap.sqlite3 "BEGIN; INSERT INTO supermarket_agence (code, nom, ville, active) VALUES (\"NEW\", \"n\", \"\", 1);
        INSERT INTO supermarket_mouvementstock (produit_id, agence_id, quantite, motif, horodatage)
        VALUES (1, last_insert_rowid(), 1, \"m\", \"2025-01-01 00:00:00\"); COMMIT;" &&
    kill -CONT $pid && wait $pid &&
    cmp before.json during.json &&
    fxdump -q --db snap.sqlite3 -s "$(schema_of erp)" -o after.json &&
    ! cmp -s before.json after.json && grep -c "\"NEW\"" after.json
'

test_done
