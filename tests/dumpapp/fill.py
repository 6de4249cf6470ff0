#!/usr/bin/python3
"""fill.py: put awkward values into the zoo app's database through Django's
ORM (DUMPAPP_SQLITE or DUMPAPP_DB=postgres, as manage.py): every field kind
at its edges, strings that need escaping, relations of every shape.  The
same rows on both backends, except what one of them cannot store (NaN and
the infinities in a float on SQLite)."""
import datetime
import decimal
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
import django  # noqa: E402

django.setup()
from django.contrib.auth.models import Group, Permission, User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from zoo.models import (Code, Dish, Everything, Legacy, Membership, Place,  # noqa: E402
                        Profile, Restaurant, Tag, Token)

PG = connection.vendor == "postgresql"
D = decimal.Decimal
UTC = datetime.timezone.utc
TZ5 = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
S = ('"quotes" back\\slash /slash\ttab\nnewline\rcr\x01\x1f\x7f del \x85 nel '
     '\u2028 ls \u2029 ps \ufeff bom \U0001F600 e\u0301 </script> été')

with transaction.atomic():
    # tags: ordering -label, slug; created out of that order
    t = {s: Tag.objects.create(slug=s, label=l) for s, l in
         [("zeta", "b"), ("alpha", "b"), ("mid", "z"), ("nolabel", ""), ("q", "\u00e9")]}
    p1 = Place.objects.create(name="Plateau", address=S)
    r1 = Restaurant.objects.create(name="Chez Ali", address="Cocody", serves=True, cap=3)
    p2 = Place.objects.create(name="Yop", address="")
    r2 = Restaurant.objects.create(name="Maquis \"Le Bon\"", serves=False, cap=None)
    Membership.objects.create(place=p1, tag=t["mid"], since=datetime.date(2020, 2, 29))
    Membership.objects.create(place=r1, tag=t["zeta"], since=datetime.date(1, 1, 1))
    d1 = Dish.objects.create(name="Attiéké", restaurant=r1, price=D("1500.50"))
    d2 = Dish.objects.create(name="Garba", restaurant=r2, price=D("-0.01"))
    Dish.objects.create(name="Alloco", restaurant=r1, price=D("0"))

    e1 = Everything.objects.create(
        char=S, text=S * 3, email="a.b+c@example.ci", url="https://x.ci/a?b=c&d=é",
        slug="a-b_c", ip="2001:db8::1", upload="uploads/f é.txt", path="/tmp/x",
        integer=2147483647, small=-32768, big=9223372036854775807, pos=2147483647,
        pos_small=32767, pos_big=9223372036854775807, flag=True, maybe=None,
        price=D("-12345678901234.123456"), whole=D("99999"), tiny=D("0.00000001"),
        ratio=1e-07, day=datetime.date(1, 1, 1),
        moment=datetime.datetime(2024, 3, 29, 20, 36, 30, 680984, tzinfo=UTC),
        clock=datetime.time(23, 59, 59, 999999),
        span=datetime.timedelta(microseconds=-1), uid=uuid.UUID("52DEAC43-B0B3-4093-8A33-A1AC9C0AAB8C"),
        data={"origine": "Côte d'Ivoire", "bio": True, "tags": [1, 2.5, "é", None],
              "ratio": 0.5, "B": 4, "a": 2, "ab": 6, "cc": 3, "é": 5, "bbb": 1,
              "big": 1180591620717411303424, "f": 1e16, "g": 1.5e300, "z": -0.0,
              "h": 1e-07, "nested": {"x": [], "y": {}, "s": S}},
        blob=b"\x00\xffhi", place=p1, tag=t["alpha"], dish=d1)
    e2 = Everything.objects.create(
        integer=-2147483648, small=32767, big=-9223372036854775808, price=D("0"),
        whole=D("-5"), tiny=D("0.00000000"), ratio=0.30000000000000004,
        day=datetime.date(9999, 12, 31),
        moment=datetime.datetime(2024, 1, 1, 0, 0, 0, 500, tzinfo=UTC),
        clock=datetime.time(12, 0, 0, 500), span=datetime.timedelta(days=2, hours=1, minutes=2,
                                                                    seconds=3, microseconds=6),
        uid=uuid.UUID(int=0), data="texte é \U0001F600", blob=b"", place=r1, parent=e1,
        tag=t["q"], maybe=False)
    e3 = Everything.objects.create(
        price=D("99999999999999.999999") if PG else D("12.5"), tiny=D("-1234.56789012"),
        ratio=5e-324, moment=datetime.datetime(2024, 6, 1, 10, 0, 0, 999999, tzinfo=TZ5),
        clock=datetime.time(0, 0), span=datetime.timedelta(days=-3),
        day=datetime.date(2024, 2, 29), data=3, parent=e1, maybe=True)
    e4 = Everything.objects.create(ratio=9007199254740994.0, data=[], span=datetime.timedelta(0),
                                   moment=datetime.datetime(1, 1, 1, tzinfo=UTC))
    e5 = Everything.objects.create(ratio=1e16, data={}, span=datetime.timedelta(days=100000))
    e6 = Everything.objects.create(ratio=-0.0, data=[1, [2, [3, {"k": []}]]],
                                   moment=datetime.datetime(2024, 1, 1, 8, 0, tzinfo=UTC))
    if PG:
        Everything.objects.create(ratio=float("nan"), data=None)
        Everything.objects.create(ratio=float("inf"), data=True)
        Everything.objects.create(ratio=float("-inf"), data=False)
    else:
        Everything.objects.create(ratio=1.7976931348623157e308, data=True)
    # many-to-many: tags ordered by Tag.Meta.ordering, peers and places by pk
    e1.tags.set([t["q"], t["zeta"], t["nolabel"], t["alpha"], t["mid"]])
    e2.tags.set([t["mid"]])
    e1.peers.add(e5)
    e1.peers.add(e2)
    e1.peers.add(e1)
    e2.places.add(r2, p1, r1)
    Profile.objects.create(owner=e2, bio=S, best=p2)
    Profile.objects.create(owner=e1, bio="", best=None)
    tk1 = Token.objects.create(id=uuid.UUID("ffffffff-0000-4000-8000-000000000001"), name="b")
    tk2 = Token.objects.create(id=uuid.UUID("00000000-0000-4000-8000-000000000002"), name="a")
    c1 = Code.objects.create(code="zz", token=tk1)
    c2 = Code.objects.create(code="AA", token=None)
    Code.objects.create(code="é", token=tk2)
    c1.tokens.set([tk1, tk2])
    c2.tokens.set([tk2])
    Legacy.objects.create(title="old", where=p2, kind=t["mid"])
    Legacy.objects.create(title="", where=None, kind=None)

    # Django's own: a user with permissions created after others, a group
    u = User.objects.create_user("caissier1", "c@x.ci", "pw", first_name=S)
    User.objects.create_user("admin", "", "pw", is_staff=True, is_superuser=True)
    g = Group.objects.create(name="caisse")
    perms = list(Permission.objects.filter(content_type__app_label__in=["zoo", "auth"]))
    pick = [perms[-1], perms[0], perms[5], perms[len(perms) // 2]]
    u.user_permissions.set(pick)
    g.permissions.set(pick[1:])
    u.groups.add(g)
print("filled")
