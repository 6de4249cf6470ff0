"""fx_schema: the fx schema file of a Django project, from its live models.

fx's tools read and write Django fixtures without Django.  What a database
does not record (the order of models and fields that dumpdata follows,
decimal places on SQLite, natural keys, Meta.ordering, on_delete, proxies)
lives in the models' Python code; this module writes it as an fx schema
file (fx's schemas/README.md describes the format).

Two ways to run it inside a project:

    # with "fx_schema" in INSTALLED_APPS (this directory on PYTHONPATH)
    python manage.py fxschema -o schema.json

    # without installing anything
    PYTHONPATH=/path/to/fx/contrib/django python manage.py shell -c \\
        "import fx_schema; fx_schema.write('schema.json')"

The app has no models, so adding it changes no dump and no migration.
The text written is fx's canonical form: what `fxvalidate --schema FILE
--print-schema` writes back unchanged.
"""
import os
import sys
import tempfile

__all__ = ["schema_text", "write"]

FORMAT_VERSION = 1

# Django's internal field types and the fx kind of each.
KINDS = {
    "AutoField": "int", "BigAutoField": "bigint", "SmallAutoField": "smallint",
    "IntegerField": "int", "BigIntegerField": "bigint", "SmallIntegerField": "smallint",
    "PositiveIntegerField": "int", "PositiveBigIntegerField": "bigint",
    "PositiveSmallIntegerField": "smallint",
    "BooleanField": "bool", "NullBooleanField": "bool",
    "CharField": "char", "SlugField": "char", "FilePathField": "char",
    "FileField": "char", "GenericIPAddressField": "char", "IPAddressField": "char",
    "TextField": "text", "BinaryField": "binary",
    "DecimalField": "decimal", "FloatField": "float",
    "DateField": "date", "DateTimeField": "datetime", "TimeField": "time",
    "DurationField": "duration", "UUIDField": "uuid", "JSONField": "json",
    "ForeignKey": "fk", "OneToOneField": "o2o", "ManyToManyField": "m2m",
}

ON_DELETE = {"CASCADE", "PROTECT", "RESTRICT", "SET_NULL", "SET_DEFAULT", "DO_NOTHING"}


def _label(model):
    return model._meta.label_lower


def _kind(field, warn):
    t = field.get_internal_type()
    k = KINDS.get(t)
    if k is None:
        warn("%s.%s: field type %s is not one Django 3.2 ships: described as text"
             % (_label(field.model), field.name, t))
        k = "text"
    return k


def _value_kind(field, warn):
    """The kind of the values a field holds: a relation's is its target's."""
    seen = set()
    while field.is_relation and (field.many_to_one or field.one_to_one):
        if id(field) in seen:
            break
        seen.add(id(field))
        field = field.target_field
    return _kind(field, warn)


def _on_delete(field):
    name = getattr(field.remote_field.on_delete, "__name__", "")
    if name in ON_DELETE:
        return name
    if name == "set_on_delete":        # models.SET(value)
        return "SET"
    return None


# ---------------------------------------------------------------- natural keys

def _fill(model, depth, marks, path):
    """An unsaved instance of model whose fields hold unique marker strings
    (recorded in marks: marker -> path of fields from the probed model);
    foreign keys hold such instances of their targets, to a few levels."""
    obj = model()
    for f in model._meta.concrete_fields:
        if f.is_relation and (f.many_to_one or f.one_to_one):
            if f.remote_field.parent_link:
                continue                  # the parent's fields are obj's own
            if depth < 3:
                try:
                    setattr(obj, f.name, _fill(f.related_model, depth + 1, marks, path + (f,)))
                except Exception:
                    pass
            continue
        m = "\x00fx-marker-%d\x00" % len(marks)
        marks[m] = path + (f,)
        try:
            setattr(obj, f.attname, m)
        except Exception:
            pass
    return obj


def _key_paths(model):
    """natural_key() of a marked instance, as the path of fields each value
    came from, or None where a value is not a field's."""
    marks = {}
    obj = _fill(model, 0, marks, ())
    values = obj.natural_key()
    return [marks.get(v) if isinstance(v, str) else None for v in values]


def _natural_key(model, warn):
    """The natural key of model as schema field names (a foreign key stands
    for its target's natural key, spliced), or [] with a warning when
    natural_key() returns something else than field values."""
    if not hasattr(model, "natural_key"):
        return []
    label = _label(model)
    try:
        paths = _key_paths(model)
    except Exception as e:          # natural_key() needs more than fields
        warn("%s: natural_key() could not be traced to fields (%s: %s): fxdump "
             "writes pks for it" % (label, type(e).__name__, e))
        return []
    meta = model._meta
    local = {f for f in meta.concrete_model._meta.local_fields}
    pk = meta.pk
    names, i = [], 0
    while i < len(paths):
        p = paths[i]
        if p is None:
            break
        f = p[0]
        if len(p) == 1 and f in local and f is not pk:
            names.append(f.name)
            i += 1
            continue
        # a run of values that is a target's whole natural key: that
        # target's relation (a foreign key, or the pk's parent link when
        # the values are inherited fields)
        if len(p) > 1:
            rel, tail = f, [q[1:] if q and q[0] is f else None for q in paths[i:]]
        elif pk.is_relation and pk.remote_field.parent_link:
            rel, tail = pk, paths[i:]
        else:
            break
        target = rel.related_model
        if not hasattr(target, "natural_key"):
            break
        try:
            tpaths = _key_paths(target)
        except Exception:
            break
        if tail[:len(tpaths)] != tpaths or not tpaths:
            break
        names.append(rel.name)
        i += len(tpaths)
    if i < len(paths):
        warn("%s: natural_key() returns values that are not its fields' (or a whole "
             "foreign key's natural key): fxdump writes pks for it; describe it by "
             "hand in the schema's natural_key" % label)
        return []
    return names


# ---------------------------------------------------------------- describing

def _field(field, warn):
    """(name, [(key, json text), ...]) of one field, defaults left out, keys in
    the canonical order."""
    kind = _kind(field, warn)
    out = [("kind", _str(kind))]
    if kind == "char" and field.max_length is not None:
        out.append(("max_length", str(field.max_length)))
    if kind == "decimal":
        out.append(("max_digits", str(field.max_digits)))
        out.append(("decimal_places", str(field.decimal_places)))
    if kind in ("fk", "o2o", "m2m"):
        target = field.related_model
        out.append(("to", _str(_label(target))))
        if kind != "m2m":
            tf = field.target_field
            if tf is not target._meta.pk:
                out.append(("to_field", _str(tf.name)))
            od = _on_delete(field)
            if od:
                out.append(("on_delete", _str(od)))
    if kind != "m2m":
        default = field.name + ("_id" if kind in ("fk", "o2o") else "")
        if field.column != default:
            out.append(("column", _str(field.column)))
    else:
        out.append(("through", "{\"table\": %s, \"from\": %s, \"to\": %s}" % (
            _str(field.m2m_db_table()), _str(field.m2m_column_name()),
            _str(field.m2m_reverse_name()))))
    if field.null and kind != "m2m":
        out.append(("null", "true"))
    if field.unique and kind not in ("o2o", "m2m"):
        out.append(("unique", "true"))
    if field.get_internal_type().startswith("Positive"):
        out.append(("positive", "true"))
    return field.name, out


def _pk(model, warn):
    pk = model._meta.pk
    kind = _value_kind(pk, warn)
    out = []
    if pk.name != "id":
        out.append(("name", _str(pk.name)))
    if pk.column != pk.name:
        out.append(("column", _str(pk.column)))
    if kind != "int":
        out.append(("kind", _str(kind)))
    if pk.is_relation:
        out.append(("to", _str(_label(pk.related_model))))
        if pk.remote_field.parent_link:
            out.append(("parent_link", "true"))
    return out


def _models(using):
    """The models dumpdata dumps (and the proxies it names), in its order:
    apps in INSTALLED_APPS order, each app's models in definition order."""
    from django.apps import apps
    from django.db import router
    for app in apps.get_app_configs():
        if app.models_module is None:
            continue
        for model in app.get_models():
            if model._meta.proxy or router.allow_migrate_model(using, model):
                yield model


def _model(model, warn):
    meta = model._meta
    concrete = meta.concrete_model._meta
    lines = []
    label = _label(model)
    if concrete.db_table != "%s_%s" % (meta.app_label, meta.model_name):
        lines.append("      \"table\": %s,\n" % _str(concrete.db_table))
    if meta.proxy:
        lines.append("      \"proxy\": %s,\n" % _str(_label(meta.proxy_for_model)))
    pk = _pk(meta.concrete_model, warn)
    if pk:
        lines.append("      \"pk\": {%s},\n" % ", ".join("%s: %s" % (_str(k), v) for k, v in pk))
    fields = []
    for f in concrete.local_fields:
        if not f.serialize:
            continue
        if f.column is None:
            warn("%s.%s has no column of its own: left out" % (label, f.name))
            continue
        fields.append(_field(f, warn))
    for f in concrete.local_many_to_many:
        if f.serialize and f.remote_field.through._meta.auto_created:
            fields.append(_field(f, warn))
    text = "      \"fields\": {"
    text += ",".join("\n        %s: {%s}" % (_str(n), ", ".join(
        "%s: %s" % (_str(k), v) for k, v in kv)) for n, kv in fields)
    text += "\n      }" if fields else "}"
    lines.append(text)

    names = {f.name for f in concrete.local_fields} | {f.name for f in concrete.local_many_to_many}
    unique = [list(u) for u in concrete.unique_together]
    unique += [list(c.fields) for c in getattr(concrete, "total_unique_constraints", [])]
    unique = [u for u in unique if all(n in names for n in u)]
    if unique:
        lines.append(",\n      \"unique_together\": [%s]" % ", ".join(_names(u) for u in unique))
    nk = _natural_key(model, warn)
    if nk:
        lines.append(",\n      \"natural_key\": %s" % _names(nk))
    deps = getattr(getattr(model, "natural_key", None), "dependencies", None) or []
    if deps:
        lines.append(",\n      \"dependencies\": %s" % _names([d.lower() for d in deps]))
    ordering = []
    for o in meta.ordering or ():
        first = o.lstrip("-").split("__")[0] if isinstance(o, str) else None
        if first and (first == "pk" or first in names or first == concrete.pk.name):
            ordering.append(o)
        else:
            warn("%s: Meta.ordering item %r is not a field path: left out (fxdump "
                 "orders many-to-many members by it)" % (label, o))
    if ordering:
        lines.append(",\n      \"ordering\": %s" % _names(ordering))
    return "    %s: {\n%s\n    }" % (_str(label), "".join(lines))


def _str(s):
    """s as fx's schema writer writes a string: UTF-8, with quotes,
    backslashes and control characters escaped."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _names(names):
    return "[%s]" % ", ".join(_str(n) for n in names)


def schema_text(using="default", warn=None):
    """The schema file of the installed models, as text.  warn(msg) is called
    for what cannot be described exactly (default: printed on stderr)."""
    from django.conf import settings
    if warn is None:
        def warn(msg):
            sys.stderr.write("fxschema: warning: %s\n" % msg)
    if not settings.USE_TZ:
        warn("USE_TZ is False: fxdump writes datetimes as Django does with USE_TZ = "
             "True (UTC, ending in Z), not naive local times")
    models = [_model(m, warn) for m in _models(using)]
    text = "{\n  \"fx_schema\": %d,\n  \"models\": {" % FORMAT_VERSION
    text += ",".join("\n" + m for m in models)
    text += "\n  }\n}\n" if models else "}\n}\n"
    return text


def write(path="-", using="default", warn=None):
    """Write the schema file to path ("-": stdout), atomically: a reader
    sees the old file or the new one, never a part."""
    text = schema_text(using, warn)
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
