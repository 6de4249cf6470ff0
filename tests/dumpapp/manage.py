#!/usr/bin/python3
"""manage.py of the fxdump test app (zoo): every field kind Django 3.2
serializes.  DUMPAPP_SQLITE names the SQLite file, or DUMPAPP_DB=postgres
with the PG* variables a PostgreSQL database."""
import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
