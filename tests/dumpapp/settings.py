import os
import sys

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
# fx's Django app, installed as a user would: its directory on the path
sys.path.insert(0, os.path.join(BASE_DIR, "..", "..", "contrib", "django"))
SECRET_KEY = "fxdump-test-app-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Asia/Kolkata"     # not UTC: dumps are in UTC whatever it is
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "fx_schema", "zoo"]
if os.environ.get("DUMPAPP_DB") == "postgres":
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",
                             "NAME": os.environ.get("PGDATABASE", "zoo"),
                             "HOST": os.environ.get("PGHOST", "/tmp"),
                             "PORT": os.environ.get("PGPORT", "5432"),
                             "USER": os.environ.get("PGUSER", "postgres")}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                             "NAME": os.environ.get("DUMPAPP_SQLITE",
                                                    os.path.join(BASE_DIR, "db.sqlite3"))}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
