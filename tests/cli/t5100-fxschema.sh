#!/usr/bin/env bash
# manage.py fxschema (contrib/django/fx_schema): the schema file of a
# Django project from its live models, with Debian's python3-django, on
# the reference app (run through manage.py shell, nothing installed) and
# on the fxdump test app (installed in INSTALLED_APPS).

. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
DJ=$FX_ROOT/tests/django
APP=$FX_ROOT/tests/dumpapp
export PYTHONDONTWRITEBYTECODE=1

W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5100.XXXXXX") || exit 2
trap 'rm -rf "$W"' EXIT

test_expect_success 'the reference app, through manage.py shell: schemas/erp.json byte for byte' '
    PYTHONPATH=$FX_ROOT/contrib/django ERP_SQLITE=$W/none.sqlite3 $PY "$DJ/manage.py" shell -c \
        "import fx_schema; fx_schema.write(\"erp.json\")" 2>err &&
    test_must_be_empty err &&
    test_cmp "$FX_ROOT/schemas/erp.json" erp.json
'

test_expect_success 'the test app, installed: manage.py fxschema -o writes tests/dumpapp/schema.json' '
    DUMPAPP_SQLITE=$W/none.sqlite3 $PY "$APP/manage.py" fxschema -o schema.json 2>err &&
    test_must_be_empty err &&
    test_cmp "$APP/schema.json" schema.json &&
    DUMPAPP_SQLITE=$W/none.sqlite3 $PY "$APP/manage.py" fxschema >stdout.json &&
    test_cmp schema.json stdout.json
'

test_expect_success 'the schema is in canonical form: fxvalidate --print-schema writes it back' '
    fxvalidate --schema "$APP/schema.json" --print-schema | grep -v "^  \"source\": " >back.json &&
    test_cmp "$APP/schema.json" back.json
'

test_expect_success 'what the test app shows: proxy, parent link, spliced and inherited natural keys' '
    jq -c ".models[\"zoo.bigplace\"] | [.proxy, .table]" "$APP/schema.json" >out &&
    jq -c ".models[\"zoo.restaurant\"] | [.pk, .natural_key]" "$APP/schema.json" >>out &&
    jq -c ".models[\"zoo.dish\"] | [.natural_key, .dependencies]" "$APP/schema.json" >>out &&
    jq -c ".models[\"zoo.tag\"].ordering, .models[\"zoo.legacy\"]" "$APP/schema.json" >>out &&
    jq -c ".models[\"zoo.everything\"].fields | [.blob, .tag, .peers.through]" "$APP/schema.json" >>out &&
    cat >expect <<-\EOT &&
	["zoo.place","zoo_place"]
	[{"name":"place_ptr","column":"place_ptr_id","to":"zoo.place","parent_link":true},["place_ptr"]]
	[["name","restaurant"],["zoo.restaurant"]]
	["-label","slug"]
	{"table":"legacy_things","fields":{"title":{"kind":"char","max_length":20,"column":"TITLE_COL"},"where":{"kind":"fk","to":"zoo.place","on_delete":"DO_NOTHING","column":"where_ref","null":true},"kind":{"kind":"fk","to":"zoo.tag","on_delete":"SET","null":true}}}
	[{"kind":"binary","null":true},{"kind":"fk","to":"zoo.tag","to_field":"slug","on_delete":"PROTECT","null":true},{"table":"zoo_everything_peers","from":"from_everything_id","to":"to_everything_id"}]
	EOT
    test_cmp expect out
'

# A model made in the shell joins the app: what fxschema cannot describe
# exactly is said on stderr, and left out of the file.
cat >"$W/odd.py" <<'PYEOF'
import sys
from django.conf import settings
from django.db import models

class Odd(models.Model):
    code = models.CharField(max_length=5)

    def natural_key(self):
        return (self.code.upper(),)

    class Meta:
        app_label = "zoo"
        ordering = [models.F("code").asc(), "code"]

settings.USE_TZ = False
import fx_schema
sys.stdout.write(fx_schema.schema_text())
PYEOF
test_expect_success 'what cannot be described is said on stderr and left out' '
    DUMPAPP_SQLITE=$W/none.sqlite3 $PY "$APP/manage.py" shell <"$W/odd.py" >schema.json 2>err &&
    cat >expect <<-\EOT &&
	fxschema: warning: USE_TZ is False: fxdump writes datetimes as Django does with USE_TZ = True (UTC, ending in Z), not naive local times
	fxschema: warning: zoo.odd: natural_key() returns values that are not its fields'"'"' (or a whole foreign key'"'"'s natural key): fxdump writes pks for it; describe it by hand in the schema'"'"'s natural_key
	fxschema: warning: zoo.odd: Meta.ordering item OrderBy(F(code), descending=False) is not a field path: left out (fxdump orders many-to-many members by it)
	EOT
    test_cmp expect err &&
    jq -c ".models[\"zoo.odd\"]" schema.json >out &&
    echo "{\"fields\":{\"code\":{\"kind\":\"char\",\"max_length\":5}},\"ordering\":[\"code\"]}" >expect &&
    test_cmp expect out
'

test_done
