#!/usr/bin/env bash
# fxload: forward natural references, a record that refers by natural key
# to one that comes later in the files (fxmerge writes the models BASE did
# not have after the others), resolved as Django 3.2's loaddata resolves
# them (handle_forward_references): many-to-many and nullable foreign keys
# set once every file is in, a key that never comes refused with nothing
# written, a NOT NULL foreign key refused at once.  SQLite and PostgreSQL,
# compared with the database loaddata filled (tests/django/compare).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

PY=/usr/bin/python3
DJ=$FX_ROOT/tests/django
C=$FX_TESTDATA/corpus
export PYTHONDONTWRITEBYTECODE=1

W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5050.XXXXXX") || exit 2
trap 'rm -rf "$W"; pg_teardown' EXIT

fresh () { cp "$FX_TESTDATA/empty.sqlite3" "$1"; }

# loaddata DB FILE...: Django's loaddata of the files, in order, into DB (a
# SQLite file or pg:DBNAME); each file copied into a fresh directory.
loaddata () {
    local db=$1 d f
    shift
    d=$(mktemp -d "$W/ld.XXXXXX") || return 2
    for f; do cp "$f" "$d/" || return 2; done
    set -- "${@##*/}"
    case $db in
    pg:*) (cd "$d" && ERP_DB=postgres PGDATABASE=${db#pg:} $PY "$DJ/manage.py" loaddata -v0 "$@") ;;
    /*) (cd "$d" && ERP_SQLITE=$db $PY "$DJ/manage.py" loaddata -v0 "$@") ;;
    *) (cd "$d" && ERP_SQLITE=$OLDPWD/$db $PY "$DJ/manage.py" loaddata -v0 "$@") ;;
    esac
}

# Users in groups (and with a permission) defined after them, one of them
# with a pk and a natural key mixed; categories whose parent comes later.
cat >"$W/fwd.json" <<'EOF'
[
{"model": "auth.user", "pk": 3, "fields": {"password": "x", "last_login": null, "is_superuser": false, "username": "awa", "first_name": "Awa", "last_name": "Koné", "email": "", "is_staff": false, "is_active": true, "date_joined": "2024-01-01T08:00:00Z", "groups": [["caissiers"], ["gérants"]], "user_permissions": [["add_user", "auth", "user"], ["solder_produit", "supermarket", "produit"]]}},
{"model": "auth.user", "pk": 4, "fields": {"password": "x", "last_login": null, "is_superuser": false, "username": "yao", "first_name": "", "last_name": "", "email": "", "is_staff": false, "is_active": true, "date_joined": "2024-01-01T08:00:00Z", "groups": [1, ["gérants"]], "user_permissions": []}},
{"model": "supermarket.categorie", "pk": 1, "fields": {"code": "FRAIS", "libelle": "Frais", "parent": ["ALIM"]}},
{"model": "supermarket.categorie", "pk": 2, "fields": {"code": "ALIM", "libelle": "Alimentation", "parent": null}},
{"model": "supermarket.categorie", "pk": 3, "fields": {"code": "LAIT", "libelle": "Lait", "parent": ["FRAIS"]}},
{"model": "auth.group", "pk": 1, "fields": {"name": "caissiers", "permissions": [["view_produit", "supermarket", "produit"]]}},
{"model": "auth.group", "pk": 2, "fields": {"name": "gérants", "permissions": [["solder_produit", "supermarket", "produit"]]}},
{"model": "auth.permission", "pk": 900, "fields": {"name": "Can sell off produit", "content_type": ["supermarket", "produit"], "codename": "solder_produit"}}
]
EOF
# The same split in two files: the groups only in the second.
head -n 6 "$W/fwd.json" | sed '$s/,$//' >"$W/users.json" && echo ']' >>"$W/users.json"
{ echo '['; sed -n '7,9p' "$W/fwd.json"; echo ']'; } >"$W/groups.json"
# A group that never comes; a parent that never comes.
sed 's/\["gérants"\]\]/["gerants"]]/' "$W/fwd.json" >"$W/nogroup.json"
sed 's/"parent": \["FRAIS"\]/"parent": ["FRAIS "]/' "$W/fwd.json" >"$W/noparent.json"
# A product whose category (NOT NULL) comes after it.
cat >"$W/notnull.json" <<'EOF'
[
{"model": "supermarket.produit", "pk": 1, "fields": {"reference": "P1", "designation": "Yaourt", "categorie": ["FRAIS"], "fournisseurs": [], "prix_achat": "1.00", "prix_vente": "2.00", "tva": 0.18, "code_barre": "", "attributs": {}, "actif": true, "cree_le": "2024-01-01T08:00:00Z"}},
{"model": "supermarket.categorie", "pk": 1, "fields": {"code": "FRAIS", "libelle": "Frais", "parent": null}}
]
EOF
# The rows fwd.json makes, then changed only where its forward references
# point: awa left gérants and solder_produit, LAIT lost its parent.
unforward='delete from auth_user_groups where user_id = 3 and group_id = 2;
delete from auth_user_user_permissions where user_id = 3 and permission_id = 900;
update supermarket_categorie set parent_id = null where id = 3;'

cat >"$W/summary.fresh" <<'EOF'
fxload: auth.permission                        1 inserted       0 updated       0 unchanged
fxload: auth.group                             2 inserted       0 updated       0 unchanged
fxload: auth.user                              2 inserted       0 updated       0 unchanged
fxload: supermarket.categorie                  3 inserted       0 updated       0 unchanged
fxload: 8 records: 8 inserted, 0 updated, 0 unchanged
EOF
cat >"$W/summary.same" <<'EOF'
fxload: auth.permission                        0 inserted       0 updated       1 unchanged
fxload: auth.group                             0 inserted       0 updated       2 unchanged
fxload: auth.user                              0 inserted       0 updated       2 unchanged
fxload: supermarket.categorie                  0 inserted       0 updated       3 unchanged
fxload: 8 records: 0 inserted, 0 updated, 8 unchanged
EOF
# awa has two forward fields changed: one row updated, not two
cat >"$W/summary.unforward" <<'EOF'
fxload: auth.permission                        0 inserted       0 updated       1 unchanged
fxload: auth.group                             0 inserted       0 updated       2 unchanged
fxload: auth.user                              0 inserted       1 updated       1 unchanged
fxload: supermarket.categorie                  0 inserted       1 updated       2 unchanged
fxload: 8 records: 0 inserted, 2 updated, 6 unchanged
EOF
printf '%s\n' "update auth.user 3" "update supermarket.categorie 3" >"$W/changes.unforward"
cat >"$W/err.nogroup" <<EOF
$W/nogroup.json:2:1: error: model 'auth.user', pk 3: field 'groups': no auth.group has the natural key ["gerants"], in the files or the database: add that record, or fix the reference
EOF
cat >"$W/err.noparent" <<EOF
$W/noparent.json:6:1: error: model 'supermarket.categorie', pk 3: field 'parent': no supermarket.categorie has the natural key ["FRAIS "], in the files or the database: add that record, or fix the reference
EOF
cat >"$W/err.notnull" <<EOF
$W/notnull.json:2:1: error: model 'supermarket.produit', pk 1: field 'categorie': no supermarket.categorie has the natural key ["FRAIS"] before this record, and the column categorie_id is NOT NULL: loaddata fails here too (NOT NULL constraint failed), as it saves the record without the value before it sets it; put that supermarket.categorie record before this one in the files, or refer to it by pk
EOF

test_expect_success 'SQLite: forward many-to-many and foreign-key natural keys load as loaddata does' '
    fresh dj.sqlite3 && fresh fx.sqlite3 &&
    loaddata dj.sqlite3 "$W/fwd.json" &&
    fxload --db fx.sqlite3 "$W/fwd.json" 2>summary &&
    test_cmp "$W/summary.fresh" summary &&
    "$DJ/compare" dj.sqlite3 fx.sqlite3 &&
    test "$(sqlite3 fx.sqlite3 "select group_concat(group_id) from (select group_id from auth_user_groups where user_id = 4 order by 1)")" = 1,2 &&
    test "$(sqlite3 fx.sqlite3 "select parent_id from supermarket_categorie where id = 1")" = 2
'

# Then row 2 renamed in the database: FRAIS names ALIM before the record
# that renames row 2 back to ALIM, a forward reference that ends on the
# value FRAIS had: only row 2 is updated.
test_expect_success 'SQLite: the same file again: all unchanged; a forward key that ends on the old value: unchanged' '
    fresh fx.sqlite3 && fxload -q --db fx.sqlite3 "$W/fwd.json" &&
    fxload --db fx.sqlite3 "$W/fwd.json" 2>summary &&
    test_cmp "$W/summary.same" summary &&
    fxfilter -m supermarket.categorie -o cat.json "$W/fwd.json" &&
    sqlite3 fx.sqlite3 "update supermarket_categorie set code = '\''ALIMENTATION'\'' where id = 2" &&
    fxload --db fx.sqlite3 cat.json 2>summary &&
    tail -n 1 summary >last &&
    echo "fxload: 3 records: 0 inserted, 1 updated, 2 unchanged" >expect &&
    test_cmp expect last &&
    test "$(sqlite3 fx.sqlite3 "select parent_id from supermarket_categorie where id = 1")" = 2
'

test_expect_success 'SQLite: rows that differ only where forward references point: updated once each' '
    fresh dj.sqlite3 && loaddata dj.sqlite3 "$W/fwd.json" &&
    fresh fx.sqlite3 && fxload -q --db fx.sqlite3 "$W/fwd.json" &&
    sqlite3 fx.sqlite3 "$unforward" && cp fx.sqlite3 before &&
    fxload --dry-run --db fx.sqlite3 "$W/fwd.json" >changes 2>summary &&
    test_cmp "$W/changes.unforward" changes &&
    cmp before fx.sqlite3 &&
    fxload --db fx.sqlite3 "$W/fwd.json" 2>summary &&
    test_cmp "$W/summary.unforward" summary &&
    "$DJ/compare" dj.sqlite3 fx.sqlite3
'

test_expect_success 'SQLite: --replace with forward references: the net effect, as loaddata after a flush' '
    fxfilter -x auth.permission -o rep.json "$W/fwd.json" &&
    fresh dj.sqlite3 && loaddata dj.sqlite3 "$W/fwd.json" &&
    fresh fx.sqlite3 && fxload -q --db fx.sqlite3 "$W/fwd.json" &&
    fxload --replace --db fx.sqlite3 rep.json 2>summary &&
    tail -n 1 summary >last &&
    echo "fxload: 7 records: 0 inserted, 0 updated, 7 unchanged; 0 deleted (--replace: rows the files no longer have)" >expect &&
    test_cmp expect last &&
    sqlite3 fx.sqlite3 "$unforward" &&
    fxload --replace --db fx.sqlite3 rep.json 2>summary &&
    grep "^fxload: auth.user  *0 inserted  *1 updated  *1 unchanged  *0 deleted$" summary &&
    grep "^fxload: supermarket.categorie  *0 inserted  *1 updated  *2 unchanged  *0 deleted$" summary &&
    "$DJ/compare" dj.sqlite3 fx.sqlite3
'

test_expect_success 'SQLite: a natural key in a later file: resolved after every file, as loaddata' '
    fresh dj.sqlite3 && fresh fx.sqlite3 &&
    loaddata dj.sqlite3 "$W/users.json" "$W/groups.json" &&
    fxload -q --db fx.sqlite3 "$W/users.json" "$W/groups.json" &&
    "$DJ/compare" dj.sqlite3 fx.sqlite3 &&
    test "$(sqlite3 fx.sqlite3 "select count(*) from auth_user_groups")" = 4
'

test_expect_success 'SQLite: a many-to-many natural key that never comes: refused, nothing written' '
    fresh dj.sqlite3 && test_must_fail loaddata dj.sqlite3 "$W/nogroup.json" 2>djerr &&
    grep "Group matching query does not exist.: (auth.user:pk=3) field_value was .\[.gerants.\]." djerr &&
    fresh fx.sqlite3 && cp fx.sqlite3 before &&
    test_expect_code 1 fxload --db fx.sqlite3 "$W/nogroup.json" 2>err &&
    head -n 1 err >first &&
    test_cmp "$W/err.nogroup" first &&
    grep "^fxload: nothing was written to fx.sqlite3$" err &&
    cmp before fx.sqlite3
'

test_expect_success 'SQLite: a foreign-key natural key that never comes: refused, nothing written' '
    fresh dj.sqlite3 && test_must_fail loaddata dj.sqlite3 "$W/noparent.json" 2>djerr &&
    grep "Categorie matching query does not exist.: (supermarket.categorie:pk=3)" djerr &&
    fresh fx.sqlite3 && fxload -q --db fx.sqlite3 "$W/fwd.json" && cp fx.sqlite3 before &&
    test_expect_code 1 fxload --db fx.sqlite3 "$W/noparent.json" 2>err &&
    head -n 1 err >first &&
    test_cmp "$W/err.noparent" first &&
    cmp before fx.sqlite3
'

test_expect_success 'SQLite: a NOT NULL foreign key to a later record: refused at once, as loaddata' '
    fresh dj.sqlite3 && test_must_fail loaddata dj.sqlite3 "$W/notnull.json" 2>djerr &&
    grep "Could not load supermarket.Produit(pk=1): NOT NULL constraint failed: supermarket_produit.categorie_id" djerr &&
    fresh fx.sqlite3 && cp fx.sqlite3 before &&
    test_expect_code 1 fxload --db fx.sqlite3 "$W/notnull.json" 2>err &&
    head -n 1 err >first &&
    test_cmp "$W/err.notnull" first &&
    cmp before fx.sqlite3
'

# The reference export with its users last, in a group defined after them,
# and its categories in reverse order: 1,910 orders name their seller
# before the seller, categories their parent before the parent.
cat >"$W/reorder.py" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
users = [r for r in d if r["model"] == "auth.user"]
cats = [r for r in d if r["model"] == "supermarket.categorie"]
rest = [r for r in d if r["model"] not in ("auth.user", "supermarket.categorie")]
for u in users:
    u["fields"]["groups"] = [["caissiers"]]
group = {"model": "auth.group", "fields": {"name": "caissiers", "permissions": [["add_commande", "supermarket", "commande"]]}}
json.dump(cats[::-1] + rest + users + [group], open(sys.argv[2], "w"), indent=4, ensure_ascii=False)
PYEOF
$PY "$W/reorder.py" "$C/base.natural.json" "$W/reordered.json"

test_expect_success 'SQLite: the reference export reordered (references forward) loads as loaddata does' '
    fresh dj.sqlite3 && fresh fx.sqlite3 &&
    loaddata dj.sqlite3 "$W/reordered.json" &&
    fxload --db fx.sqlite3 "$W/reordered.json" 2>summary &&
    tail -n 1 summary >last &&
    echo "fxload: 10853 records: 10853 inserted, 0 updated, 0 unchanged" >expect &&
    test_cmp expect last &&
    "$DJ/compare" dj.sqlite3 fx.sqlite3 &&
    fxload --db fx.sqlite3 "$W/reordered.json" 2>summary &&
    tail -n 1 summary >last &&
    echo "fxload: 10853 records: 0 inserted, 0 updated, 10853 unchanged" >expect &&
    test_cmp expect last
'

if pg_setup; then
    PGT=fxt_tmpl_$$
    createdb "$PGT" && ERP_DB=postgres PGDATABASE=$PGT $PY "$DJ/manage.py" migrate -v0 ||
        echo "migrate on PostgreSQL failed"
    echo 0 >"$W/pgcount"
    pgfresh () {
        local n
        n=$(($(cat "$W/pgcount") + 1)) && echo $n >"$W/pgcount" &&
        eval "$1=fxt_${$}_$n" && createdb -T "$PGT" "fxt_${$}_$n"
    }
    pgrows () { ERP_DB=postgres PGDATABASE=$1 $PY "$DJ/dumptables.py"; }

    test_expect_success 'PostgreSQL: forward natural keys load as loaddata does; again, all unchanged' '
        pgfresh a && pgfresh b &&
        loaddata "pg:$a" "$W/fwd.json" &&
        fxload --db "dbname=$b" "$W/fwd.json" 2>summary &&
        test_cmp "$W/summary.fresh" summary &&
        "$DJ/compare" "pg:$a" "pg:$b" &&
        fxload --db "dbname=$b" "$W/fwd.json" 2>summary &&
        test_cmp "$W/summary.same" summary
    '

    test_expect_success 'PostgreSQL: rows that differ only where forward references point: updated once each' '
        pgfresh a && pgfresh b &&
        loaddata "pg:$a" "$W/fwd.json" &&
        fxload -q --db "dbname=$b" "$W/fwd.json" &&
        psql -q -d "$b" -c "$unforward" && pgrows "$b" >before &&
        fxload --dry-run --db "dbname=$b" "$W/fwd.json" >changes 2>summary &&
        test_cmp "$W/changes.unforward" changes &&
        pgrows "$b" >after && cmp before after &&
        fxload --db "dbname=$b" "$W/fwd.json" 2>summary &&
        test_cmp "$W/summary.unforward" summary &&
        "$DJ/compare" "pg:$a" "pg:$b"
    '

    test_expect_success 'PostgreSQL: --replace and a key in a later file, as loaddata' '
        pgfresh a && pgfresh b &&
        loaddata "pg:$a" "$W/users.json" "$W/groups.json" &&
        fxload -q --db "dbname=$b" "$W/users.json" "$W/groups.json" &&
        "$DJ/compare" "pg:$a" "pg:$b" &&
        psql -q -d "$b" -c "$unforward" &&
        fxfilter -x auth.permission -o rep.json "$W/fwd.json" &&
        fxload --replace --db "dbname=$b" rep.json 2>summary &&
        grep "^fxload: auth.user  *0 inserted  *1 updated  *1 unchanged  *0 deleted$" summary &&
        grep "^fxload: supermarket.categorie  *0 inserted  *1 updated  *2 unchanged  *0 deleted$" summary &&
        "$DJ/compare" "pg:$a" "pg:$b"
    '

    for how in nogroup noparent notnull; do
        test_expect_success "PostgreSQL: $how: refused as loaddata refuses it, nothing written" '
            pgfresh a && test_must_fail loaddata "pg:$a" "$W/'$how'.json" 2>djerr &&
            case '$how' in
            nogroup) grep "Group matching query does not exist" djerr ;;
            noparent) grep "Categorie matching query does not exist" djerr ;;
            notnull) grep "null value in column \"categorie_id\" of relation \"supermarket_produit\" violates not-null constraint" djerr ;;
            esac &&
            pgfresh b && pgrows "$b" >before &&
            test_expect_code 1 fxload --db "dbname=$b" "$W/'$how'.json" 2>err &&
            head -n 1 err >first &&
            test_cmp "$W/err.'$how'" first &&
            pgrows "$b" >after && cmp before after
        '
    done

    test_expect_success 'PostgreSQL: the reference export reordered (references forward) loads as loaddata does' '
        pgfresh a && pgfresh b &&
        loaddata "pg:$a" "$W/reordered.json" &&
        fxload --db "dbname=$b" "$W/reordered.json" 2>summary &&
        tail -n 1 summary >last &&
        echo "fxload: 10853 records: 10853 inserted, 0 updated, 0 unchanged" >expect &&
        test_cmp expect last &&
        "$DJ/compare" "pg:$a" "pg:$b"
    '
fi

test_done
