#!/usr/bin/env bash
# Content types and permissions across two databases (issue 11, point 2).
# migrate numbers them in the order the apps were migrated: database A is
# migrated as usual, database B gets the same rows numbered the other way
# round.  Users and groups of A, with permissions, travel to B as dumpdata
# exports.  By natural key (--natural-foreign, where a permission is
# ["add_user", "auth", "user"]: a natural key that spans its content
# type's) every user's and group's permissions arrive as they were,
# through fxvalidate --closed, fxfilter --with-deps, fxload and fxmerge,
# on SQLite and PostgreSQL.  By pk, fxvalidate, fxmerge and fxload warn,
# naming the fields, and fxload refuses an export whose own content types
# or permissions contradict B's.  Checked through Django: each user's and
# group's permissions by name.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

PY=/usr/bin/python3
DJ=$FX_ROOT/tests/django
export PYTHONDONTWRITEBYTECODE=1
$PY -c 'import django' 2>/dev/null || { echo "# python3-django missing: skipped"; test_done; }

W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5090.XXXXXX") || exit 2
trap 'rm -rf "$W"; pg_teardown' EXIT

# dj DB manage.py-args...: DB is a SQLite file or pg:NAME
dj () {
    local db=$1
    shift
    case $db in
    pg:*) ERP_DB=postgres PGDATABASE=${db#pg:} $PY "$DJ/manage.py" "$@" ;;
    *) ERP_SQLITE=$db $PY "$DJ/manage.py" "$@" ;;
    esac
}
# run DB STEP: one step of $W/steps.py in Django's shell
run () { STEP=$2 dj "$1" shell -c "exec(open('$W/steps.py').read())"; }

cat >"$W/steps.py" <<'PYEOF'
import json, os
from django.apps import apps
from django.db import connection
from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.models import ContentType

def perm(name):
    app, code = name.split(".")
    return Permission.objects.get(content_type__app_label=app, codename=code)

step = os.environ["STEP"]
if step == "renumber":
    # the same content types and permissions, made in the reverse order
    ContentType.objects.all().delete()
    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("DELETE FROM sqlite_sequence WHERE name IN "
                      "('django_content_type', 'auth_permission')")
        else:
            c.execute("ALTER SEQUENCE django_content_type_id_seq RESTART WITH 1")
            c.execute("ALTER SEQUENCE auth_permission_id_seq RESTART WITH 1")
    ContentType.objects.clear_cache()
    for m in reversed(list(apps.get_models())):
        ContentType.objects.get_for_model(m)
    for ac in reversed(list(apps.get_app_configs())):
        create_permissions(ac, verbosity=0)
elif step == "users":
    g = Group.objects.create(name="caisse")
    g.permissions.set([perm("supermarket.add_commande"), perm("supermarket.view_produit")])
    a = User.objects.create(username="alice")
    a.user_permissions.set([perm("auth.view_user"), perm("supermarket.change_client")])
    a.groups.add(g)
    b = User.objects.create(username="bob")
    b.user_permissions.set([perm("supermarket.delete_commande")])
elif step == "edit-local":
    User.objects.get(username="alice").user_permissions.add(perm("supermarket.add_client"))
elif step == "edit-online":
    User.objects.get(username="bob").user_permissions.add(perm("supermarket.view_client"))
    Group.objects.get(name="caisse").permissions.remove(perm("supermarket.view_produit"))
elif step == "perms":
    # every user's and group's permissions, by name
    def names(ps):
        return sorted("%s.%s" % (p.content_type.app_label, p.codename) for p in ps)
    out = {}
    for u in User.objects.order_by("username"):
        out["user " + u.username] = names(u.user_permissions.all()) + \
            ["group " + g.name for g in u.groups.order_by("name")]
    for g in Group.objects.order_by("name"):
        out["group " + g.name] = names(g.permissions.all())
    print(json.dumps(out, indent=1, sort_keys=True))
elif step == "ids":
    print(Permission.objects.get(codename="view_user").pk,
          ContentType.objects.get(app_label="auth", model="user").pk)
PYEOF

# A: migrated as usual, with users and groups; B: migrated, then its
# content types and permissions made again in the reverse order.
NAT="--natural-foreign --exclude contenttypes --exclude auth.permission"
PK="--exclude contenttypes --exclude auth.permission"
{
    dj "$W/empty.sqlite3" migrate -v0 &&
    cp "$W/empty.sqlite3" "$W/a.sqlite3" && run "$W/a.sqlite3" users &&
    cp "$W/empty.sqlite3" "$W/b.sqlite3" && run "$W/b.sqlite3" renumber &&
    run "$W/a.sqlite3" perms >"$W/a.perms" &&
    dj "$W/a.sqlite3" dumpdata --indent 2 $PK -o "$W/pk.json" &&
    dj "$W/a.sqlite3" dumpdata --indent 2 -o "$W/full.json" &&
    dj "$W/a.sqlite3" dumpdata --indent 2 --exclude contenttypes -o "$W/perms.json" &&
    dj "$W/a.sqlite3" dumpdata --indent 2 $NAT -o "$W/nat.json" &&
    dj "$W/a.sqlite3" dumpdata --indent 2 --natural-foreign --natural-primary \
        -o "$W/natfull.json" &&
    dj "$W/a.sqlite3" dumpdata --indent 2 --natural-primary -o "$W/natprim.json"
} || echo "# setting up the databases failed"
export W

test_expect_success 'setup: the two databases number content types and permissions differently' '
    run "$W/a.sqlite3" ids >a && run "$W/b.sqlite3" ids >b && cat a b &&
    ! cmp a b && grep -q "\"auth.view_user\"" "$W/a.perms"
'

test_expect_success 'fxvalidate: an export naming permissions by pk warns, naming the fields' '
    for s in "" "--schema $W/a.sqlite3"; do
        fxvalidate $s "$W/pk.json" 2>err || exit 1
        cat err &&
        grep "pk.json:[0-9]*:[0-9]*: warning: auth.group.permissions refers by pk to auth.permission [0-9]* (and 1 other pk), which the given files do not hold: .*export with dumpdata --natural-foreign \[content-types\]" err &&
        grep "warning: auth.user.user_permissions refers by pk to auth.permission [0-9]* (and 2 other pks), which the given files do not hold" err &&
        test $(grep -c "content-types" err) = 2 &&
        ! grep "\[reference\]" err || exit 1
    done
'

test_expect_success 'fxvalidate: generic relations: content_type by pk, or a foreign key the schema names' '
    cat >tag.json <<-\EOF &&
	[{"model": "app.tag", "pk": 1, "fields": {"content_type": 7, "object_id": 3}},
	 {"model": "app.note", "pk": 1, "fields": {"sujet": 9, "sujets": [9, ["auth", "user"]]}}]
	EOF
    cat >schema.json <<-\EOF &&
	{"fx_schema": 1, "models": {
	 "contenttypes.contenttype": {"table": "django_content_type", "fields": {"app_label": {"kind": "char"}, "model": {"kind": "char"}}, "natural_key": ["app_label", "model"]},
	 "app.tag": {"fields": {"content_type": {"kind": "fk", "to": "contenttypes.contenttype"}, "object_id": {"kind": "int"}}},
	 "app.note": {"fields": {"sujet": {"kind": "fk", "to": "contenttypes.contenttype"},
	   "sujets": {"kind": "m2m", "to": "contenttypes.contenttype"}}}}}
	EOF
    fxvalidate tag.json 2>err && cat err &&
    grep "^tag.json:1:59: warning: app.tag.content_type refers by pk to contenttypes.contenttype 7, which the given files do not hold: .*(another model named); export with dumpdata --natural-foreign \[content-types\]" err &&
    ! grep "app.note" err &&
    fxvalidate --schema schema.json tag.json 2>err && cat err &&
    grep "^tag.json:2:53: warning: app.note.sujet refers by pk to contenttypes.contenttype 9," err &&
    grep "^tag.json:2:67: warning: app.note.sujets refers by pk to contenttypes.contenttype 9," err &&
    grep "^tag.json:1:59: warning: app.tag.content_type" err &&
    grep "valid, 0 errors, 3 warnings" err
'

test_expect_success 'fxvalidate: no warning when the files hold the permissions, or name them by natural key' '
    fxvalidate --schema "$W/a.sqlite3" --closed "$W/full.json" 2>err &&
    grep "valid, 0 errors, 0 warnings" err &&
    fxvalidate "$W/nat.json" 2>err && grep "valid, 0 errors, 0 warnings" err
'

test_expect_success 'fxvalidate --closed: a --natural-foreign --natural-primary export is closed' '
    for s in "$W/a.sqlite3" "$FX_ROOT/schemas/erp.json"; do
        fxvalidate --schema "$s" --closed "$W/natfull.json" 2>err || { cat err; exit 1; }
        grep "records in 1 file: valid, 0 errors, 0 warnings" err || exit 1
    done &&
    fxvalidate --schema "$W/a.sqlite3" --closed "$W/nat.json" 2>err &&
    grep "valid, 0 errors, 0 warnings" err
'

test_expect_success 'fxfilter --with-deps: a permission by natural key brings it and its content type' '
    fxfilter -m auth.user --with-deps --schema "$W/a.sqlite3" "$W/natfull.json" \
        -o deps.json 2>err &&
    cat err && ! grep "warning:" err &&
    fxfilter --count deps.json | awk "{ print \$1, \$3 }" | sort -k2 >counts &&
    printf "1 auth.group\n5 auth.permission\n2 auth.user\n4 contenttypes.contenttype\n" >expect &&
    test_cmp expect counts &&
    fxvalidate --schema "$W/a.sqlite3" --closed deps.json
'

# load NAME DB EXPORT: a fresh copy of DB loaded with EXPORT
load () {
    cp "$2" "$1" && fxload --db "$1" "$3" 2>err
}

test_expect_success 'fxload: --natural-foreign exports give every user and group the same permissions' '
    for f in nat.json natfull.json; do
        load b.sqlite3 "$W/b.sqlite3" "$W/$f" || { cat err; exit 1; }
        cat err && ! grep "warning:" err &&
        run b.sqlite3 perms >b.perms && test_cmp "$W/a.perms" b.perms || exit 1
    done
'

test_expect_success 'loaddata does the same with them' '
    for f in nat.json natfull.json; do
        cp "$W/b.sqlite3" b.sqlite3 && mkdir -p "$f.d" && cp "$W/$f" "$f.d/x.json" &&
        dj b.sqlite3 loaddata -v0 "$PWD/$f.d/x.json" &&
        run b.sqlite3 perms >b.perms && test_cmp "$W/a.perms" b.perms || exit 1
    done
'

test_expect_success 'fxload: a pk export warns (the permissions it grants are others)' '
    load b.sqlite3 "$W/b.sqlite3" "$W/pk.json" && cat err &&
    grep "warning: auth.user.user_permissions refers by pk to auth.permission" err &&
    grep "warning: auth.group.permissions refers by pk to auth.permission" err &&
    grep "3 records: 3 inserted" err &&
    run b.sqlite3 perms >b.perms && ! cmp -s "$W/a.perms" b.perms
'

test_expect_success 'fxload: refuses an export whose content types contradict the database, writes nothing' '
    cp "$W/b.sqlite3" b.sqlite3 && cp b.sqlite3 before &&
    test_expect_code 1 fxload --db b.sqlite3 "$W/full.json" 2>err && cat err &&
    grep "^$W/full.json:[0-9]*:1: error: model .contenttypes.contenttype., pk 1: contenttypes.contenttype in the file, but [a-z]*\.[a-z]* in the database, which has contenttypes.contenttype under another pk: .*export with dumpdata --natural-foreign --natural-primary" err &&
    grep "nothing was written" err && cmp before b.sqlite3
'

test_expect_success 'fxload: refuses permissions by pk that contradict the database' '
    cp "$W/b.sqlite3" b.sqlite3 && cp b.sqlite3 before &&
    test_expect_code 1 fxload --db b.sqlite3 "$W/perms.json" 2>err && cat err &&
    grep "^$W/perms.json:[0-9]*:1: error: model .auth.permission., pk 1: add_contenttype of content type 1 in the file, but add_[a-z]* of supermarket\.[a-z]* in the database: the two databases numbered" err &&
    cmp before b.sqlite3
'

test_expect_success 'fxload: a full pk export loads into a database numbered alike, silently' '
    cp "$W/empty.sqlite3" b.sqlite3 && fxload --db b.sqlite3 "$W/full.json" 2>err &&
    cat err && ! grep -E "warning:|error:" err &&
    run b.sqlite3 perms >b.perms && test_cmp "$W/a.perms" b.perms
'

test_expect_success 'fxload: --natural-primary alone: permissions without pk, their content types by pk' '
    grep -A3 "\"auth.permission\"" "$W/natprim.json" | grep -c "\"content_type\": [0-9]" &&
    cp "$W/a.sqlite3" a.sqlite3 && fxload --db a.sqlite3 "$W/natprim.json" 2>err &&
    cat err && grep "auth.permission  *0 inserted  *0 updated  *48 unchanged" err &&
    run a.sqlite3 perms >a.perms && test_cmp "$W/a.perms" a.perms &&
    load b.sqlite3 "$W/b.sqlite3" "$W/natprim.json" && cat err &&
    grep "warning: auth.permission.content_type refers by pk to contenttypes.contenttype 1 (and 11 other pks), which the given files do not hold: .*(another model named)" err
'

# A sync: A is the local side, B the online one (loaded from A by natural
# key); each side grants or takes permissions, both export, fxmerge.
test_expect_success 'fxmerge: --natural-foreign exports merge the permissions of both sides' '
    load b.sqlite3 "$W/b.sqlite3" "$W/nat.json" && cp "$W/a.sqlite3" a.sqlite3 &&
    run a.sqlite3 edit-local && run b.sqlite3 edit-online &&
    dj a.sqlite3 dumpdata --indent 2 $NAT -o local.json &&
    dj b.sqlite3 dumpdata --indent 2 $NAT -o online.json &&
    fxmerge --schema a.sqlite3 -o merged.json "$W/nat.json" local.json online.json 2>err &&
    cat err && ! grep "warning:" err &&
    fxvalidate --schema b.sqlite3 --closed merged.json &&
    for side in a b; do
        fxload --db $side.sqlite3 merged.json 2>err || { cat err; exit 1; }
        ! grep "warning:" err && run $side.sqlite3 perms >$side.perms || exit 1
    done &&
    test_cmp a.perms b.perms &&
    grep -A3 "\"user alice\"" a.perms | grep "supermarket.add_client" &&
    grep -A3 "\"user bob\"" a.perms | grep "supermarket.view_client" &&
    ! grep "supermarket.view_produit" a.perms
'

test_expect_success 'fxmerge: pk exports from the two databases warn, once a field' '
    load b.sqlite3 "$W/b.sqlite3" "$W/nat.json" && run b.sqlite3 edit-online &&
    dj b.sqlite3 dumpdata --indent 2 $PK -o online.json &&
    fxmerge --schema "$W/a.sqlite3" -o merged.json "$W/pk.json" "$W/pk.json" online.json 2>err;
    cat err &&
    test $(grep -c "warning: auth.user.user_permissions refers by pk" err) = 1 &&
    test $(grep -c "warning: auth.group.permissions refers by pk" err) = 1 &&
    grep "^$W/pk.json:.*export with dumpdata --natural-foreign \[content-types\]" err
'

test_expect_success 'fxmerge: full pk exports of the two databases: their numberings differ, said' '
    load b.sqlite3 "$W/b.sqlite3" "$W/nat.json" && run b.sqlite3 edit-online &&
    dj b.sqlite3 dumpdata --indent 2 -o online.json &&
    fxmerge --schema "$W/a.sqlite3" -o merged.json "$W/full.json" "$W/full.json" online.json 2>err;
    cat err &&
    grep "^online.json:2:1: warning: contenttypes.contenttype pk 1 is supermarket.mouvementstock here, but contenttypes.contenttype in $W/full.json (and 11 other pks): the files come from databases whose content types and permissions were numbered in another order, .* export every side with dumpdata --natural-foreign --natural-primary \[content-types\]" err &&
    grep "^online.json:[0-9]*:1: warning: auth.permission pk 1 is add_[a-z]* of content type [0-9]* here, but add_contenttype of content type 1 in $W/full.json (and 47 other pks)" err &&
    test $(grep -c "warning:" err) = 2
'

if pg_setup; then
    PGB=fxt_ct_$$
    createdb "$PGB" && dj "pg:$PGB" migrate -v0 && run "pg:$PGB" renumber ||
        echo "# setting up PostgreSQL failed"
    pgfresh () { dropdb --if-exists "$1" && createdb -T "$PGB" "$1"; }

    test_expect_success 'PostgreSQL: the database numbers content types unlike A' '
        run "pg:$PGB" ids >b && run "$W/a.sqlite3" ids >a && ! cmp a b
    '

    test_expect_success 'PostgreSQL: --natural-foreign exports give the same permissions' '
        for f in nat.json natfull.json; do
            pgfresh "${PGB}_x" && fxload --db "dbname=${PGB}_x" "$W/$f" 2>err &&
            cat err && ! grep "warning:" err &&
            run "pg:${PGB}_x" perms >b.perms && test_cmp "$W/a.perms" b.perms || exit 1
        done
    '

    test_expect_success 'PostgreSQL: a contradicting export is refused, nothing written' '
        pgfresh "${PGB}_x" && run "pg:${PGB}_x" perms >before &&
        psql -d "${PGB}_x" -Atc "select id, app_label, model from django_content_type order by id" >ct.before &&
        test_expect_code 1 fxload --db "dbname=${PGB}_x" "$W/full.json" 2>err && cat err &&
        grep "error: model .contenttypes.contenttype., pk 1: contenttypes.contenttype in the file, but" err &&
        run "pg:${PGB}_x" perms >after && test_cmp before after &&
        psql -d "${PGB}_x" -Atc "select id, app_label, model from django_content_type order by id" >ct.after &&
        test_cmp ct.before ct.after
    '

    test_expect_success 'PostgreSQL: a pk export warns' '
        pgfresh "${PGB}_x" && fxload --db "dbname=${PGB}_x" "$W/pk.json" 2>err && cat err &&
        grep "warning: auth.user.user_permissions refers by pk to auth.permission" err
    '
    dropdb --if-exists "${PGB}_x"
    dropdb --if-exists "$PGB"
fi

test_done
