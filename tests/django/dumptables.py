#!/usr/bin/python3
"""dumptables.py: print every table of the database the settings point at
(ERP_SQLITE or ERP_DB=postgres), row by row, in a form that compares
across fxload and loaddata: tables sorted by name, rows sorted, JSON
columns parsed (compared by value), link tables without their id (sets),
values printed with repr() of what the driver returns.  Django's own
bookkeeping tables (migrations, content types, permissions) are left out.
Usage: dumptables.py [TABLE_PREFIX...]"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
import django
django.setup()
from django.db import connection
from django.apps import apps

links = set()
jsoncols = {}
for m in apps.get_models():
    for f in m._meta.local_many_to_many:
        links.add(f.remote_field.through._meta.db_table)
    for f in m._meta.local_fields:
        if f.get_internal_type() == "JSONField":
            jsoncols.setdefault(m._meta.db_table, set()).add(f.column)
skip = {"django_migrations", "django_content_type", "auth_permission"}
with connection.cursor() as c:
    tables = sorted(t for t in connection.introspection.table_names(c) if t not in skip)
    for t in tables:
        c.execute("SELECT * FROM %s" % connection.ops.quote_name(t))
        cols = [d[0] for d in c.description]
        rows = []
        for r in c.fetchall():
            r = dict(zip(cols, r))
            if t in links:
                r.pop("id")
            for k in jsoncols.get(t, ()):
                if isinstance(r[k], str):
                    r[k] = json.loads(r[k])
            rows.append(repr(sorted(r.items())))
        rows.sort()
        print("== %s (%d rows)" % (t, len(rows)))
        for r in rows:
            print(r)
    if connection.vendor == "sqlite":
        # typeof() of every column: SQLite keeps what was bound
        for t in tables:
            c.execute("SELECT * FROM %s LIMIT 0" % connection.ops.quote_name(t))
            cols = [d[0] for d in c.description]
            sel = ", ".join("typeof(%s)" % connection.ops.quote_name(x) for x in cols)
            c.execute("SELECT DISTINCT %s FROM %s" % (sel, connection.ops.quote_name(t)))
            print("== types %s %s" % (t, sorted(set(map(tuple, c.fetchall())))))
