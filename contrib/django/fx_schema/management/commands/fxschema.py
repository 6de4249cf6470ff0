"""manage.py fxschema: write the fx schema file of this project's models.

The schema holds what only Django knows (model and field order, kinds,
decimal places, natural keys, Meta.ordering, on_delete, db_table and
db_column, proxies and multi-table inheritance), so that fxdump can write
what dumpdata writes, byte for byte, without Django.
"""
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

import fx_schema


class Command(BaseCommand):
    help = ("Write the fx schema file (schemas/README.md in fx's source) of the "
            "installed models, for fxdump, fxload and the other fx tools.")

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="write to this file instead of stdout")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS,
                            help="the database whose routers decide which models are "
                                 "dumped (default: %(default)s)")

    def handle(self, *args, **options):
        def warn(msg):
            self.stderr.write("fxschema: warning: %s" % msg)
        fx_schema.write(options["output"] or "-", options["database"], warn)
