"""zoo: a model for every field kind Django 3.2 serializes, and every shape
dumpdata treats apart: multi-table inheritance, a proxy, natural keys
(spliced and inherited), Meta.ordering of many-to-many targets, self
references, non-integer pks, to_field, db_table and db_column, an explicit
through model."""
import uuid

from django.db import models


class PlaceManager(models.Manager):
    def get_by_natural_key(self, name):
        return self.get(name=name)


class Place(models.Model):
    name = models.CharField(max_length=50, unique=True)
    address = models.CharField(max_length=200, blank=True)
    tags = models.ManyToManyField("Tag", through="Membership", related_name="member_places")
    objects = PlaceManager()

    def natural_key(self):
        return (self.name,)


class Restaurant(Place):
    serves = models.BooleanField(default=False)
    cap = models.PositiveSmallIntegerField(null=True)


class BigPlace(Place):
    class Meta:
        proxy = True


class TagManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Tag(models.Model):
    slug = models.SlugField(unique=True)
    label = models.CharField(max_length=30, blank=True)
    objects = TagManager()

    class Meta:
        ordering = ["-label", "slug"]

    def natural_key(self):
        return (self.slug,)


class DishManager(models.Manager):
    def get_by_natural_key(self, name, place):
        return self.get(name=name, restaurant__name=place)


class Dish(models.Model):
    name = models.CharField(max_length=40)
    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="dishes")
    price = models.DecimalField(max_digits=6, decimal_places=2)
    objects = DishManager()

    class Meta:
        unique_together = [("restaurant", "name")]

    def natural_key(self):
        return (self.name,) + self.restaurant.natural_key()
    natural_key.dependencies = ["zoo.restaurant"]


class Everything(models.Model):
    char = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    url = models.URLField(blank=True)
    slug = models.SlugField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    upload = models.FileField(blank=True)
    path = models.FilePathField(path="/tmp", blank=True)
    integer = models.IntegerField(default=0)
    small = models.SmallIntegerField(default=0)
    big = models.BigIntegerField(default=0)
    pos = models.PositiveIntegerField(default=0)
    pos_small = models.PositiveSmallIntegerField(default=0)
    pos_big = models.PositiveBigIntegerField(default=0)
    flag = models.BooleanField(default=False)
    maybe = models.BooleanField(null=True)
    price = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    whole = models.DecimalField(max_digits=5, decimal_places=0, null=True)
    tiny = models.DecimalField(max_digits=12, decimal_places=8, null=True)
    ratio = models.FloatField(null=True)
    day = models.DateField(null=True)
    moment = models.DateTimeField(null=True)
    clock = models.TimeField(null=True)
    span = models.DurationField(null=True)
    uid = models.UUIDField(default=uuid.uuid4)
    data = models.JSONField(null=True)
    blob = models.BinaryField(null=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="children")
    tag = models.ForeignKey(Tag, to_field="slug", null=True, blank=True,
                            on_delete=models.PROTECT, related_name="+")
    dish = models.ForeignKey(Dish, null=True, blank=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField(Tag, blank=True, related_name="things")
    peers = models.ManyToManyField("self", blank=True, symmetrical=False)
    places = models.ManyToManyField(Place, blank=True, related_name="things")


class Token(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=20)


class Code(models.Model):
    code = models.CharField(primary_key=True, max_length=10)
    token = models.ForeignKey(Token, null=True, blank=True, on_delete=models.SET_NULL)
    tokens = models.ManyToManyField(Token, blank=True, related_name="codes")


class Profile(models.Model):
    owner = models.OneToOneField(Everything, primary_key=True, on_delete=models.CASCADE)
    bio = models.TextField(blank=True)
    best = models.OneToOneField(Place, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="fan")


class Membership(models.Model):
    place = models.ForeignKey(Place, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    since = models.DateField()


class Legacy(models.Model):
    title = models.CharField(max_length=20, db_column="TITLE_COL")
    where = models.ForeignKey(Place, null=True, blank=True, db_column="where_ref",
                              on_delete=models.DO_NOTHING, related_name="+")
    kind = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.SET(None),
                             related_name="+")

    class Meta:
        db_table = "legacy_things"
