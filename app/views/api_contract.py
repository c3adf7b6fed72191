"""The REST API keeps the promises of its OpenAPI document, and the document tells the truth.

Found by fuzzing the API with schemathesis (tests/test_api_fuzz.py); each piece here is a fix
of something the fuzzer made the API or Flask-AppBuilder do:

* Input that FAB passes on to the database unchecked answers 400/422, never 500: relation
  fields take only the id of an existing record (marshmallow-sqlalchemy otherwise builds a new,
  empty parent row from an unknown id, or queries with a string or an object), integers stay in
  the column's range, text holds no NUL characters or lone surrogates (PostgreSQL and UTF-8
  cannot store them), a write body is a JSON object, the rison ``q`` parameter parses (FAB
  lets prison's ValueError through) and its ``page`` is not negative (a negative OFFSET).
* A database constraint answers 422 with the field it concerns, not 500 (FAB's add) and not
  the SQL statement (FAB's edit and delete).
* PUT and DELETE take an integer id like GET (FAB's string ``<pk>`` made GET /x/abc a 405).
* ``_info`` gives each field an empty description instead of the translation catalogue header
  (FAB passes "" to gettext).
* The schemas that load a request body are one per thread (marshmallow-sqlalchemy keeps the
  record being edited on the schema object, which FAB shares between requests).
* The OpenAPI document: validation messages are a text or an object of field messages; every
  operation lists the errors it can answer; list ids are integers; nullable relations are
  nullable; decimals are sent as text; ``_info`` is described as it answers; the ``q``
  parameter lists the columns, sort columns and filter operators this resource accepts.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import threading
import urllib.parse
from typing import Any

import prison
from flask import request
from flask_appbuilder.api import ModelRestApi, expose, permission_name, protect, safe
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_appbuilder.exceptions import ApplyFilterException
from flask_appbuilder.hooks import before_request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError, fields, validate
from marshmallow_sqlalchemy.fields import Related
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, Numeric, SmallInteger, inspect, select
from sqlalchemy.exc import DataError, IntegrityError, NoResultFound, ProgrammingError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from app.validation import DomainValidationError
from app.views.scale import ScaleInterface

MAX_PAGE = 2**31 - 1
INT_RANGES = {SmallInteger: (-(2**15), 2**15 - 1), Integer: (-(2**31), 2**31 - 1), BigInteger: (-(2**63), 2**63 - 1)}
DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"

NO_SUCH_RECORD = _l("no such record")
NOT_AN_ID = _l("must be the id of a record")
ALREADY_EXISTS = _l("already exists")
REQUIRED = _l("is required")
INVALID = _l("invalid value")
BODY_NOT_OBJECT = _l("the request body must be a JSON object")
BAD_QUERY = _l("invalid query parameter q")
BAD_PAGE = _l("page must be a whole number from 0 to %(max)s")
BAD_FILTER = _l("a filter value does not fit its column")
BAD_COLUMNS = _l("unknown column")
BAD_TEXT = _l("text must not contain NUL characters or unpaired surrogates")


# --- schemas: what a request may carry ------------------------------------------------------


class RelatedId(Related):
    """A many-to-one relation given by the id of an existing record (an int, not a bool)."""

    def _deserialize(self, value, *args, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(str(NOT_AN_ID))
        low, high = INT_RANGES[Integer]
        if not low <= value <= high:
            raise ValidationError(str(NO_SUCH_RECORD))
        key = self.related_keys[0].key
        try:
            return self._get_existing_instance(self.related_model, {key: value})
        except NoResultFound:
            raise ValidationError(str(NO_SUCH_RECORD)) from None


class ContractSchemaConverter(Model2SchemaConverter):
    def _column2relation(self, datamodel, column, nested=False, parent_schema_name=None):
        field = super()._column2relation(datamodel, column, nested=nested, parent_schema_name=parent_schema_name)
        if isinstance(field, fields.Nested):
            field.allow_none = not field.required  # an empty optional parent is null
        elif type(field) is Related:
            relation = RelatedId(column=field.columns or None, required=field.required,
                                 allow_none=not field.required, metadata={"type": "integer"})
            relation.unique = field.unique
            return relation
        return field

    def _column2field(self, datamodel, column, nested=True, parent_schema_name=None):
        field = super()._column2field(datamodel, column, nested=nested, parent_schema_name=parent_schema_name)
        sqla_column = datamodel.list_columns.get(column.name)
        if sqla_column is None or field is None:
            return field
        if isinstance(field, fields.Decimal):
            # Sent as text (no float rounding); numbers and numeric text are both accepted.
            field.as_string = True
            field.metadata = {**field.metadata, "type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}
        elif isinstance(field, fields.Integer):
            for kind, (low, high) in INT_RANGES.items():
                if type(sqla_column.type) is kind:
                    field.validators.append(validate.Range(min=low, max=high))
                    break
        return field


# --- the database: constraints answer 422 ---------------------------------------------------


def integrity_errors(model: type, exc: IntegrityError) -> list[tuple[str, str]]:
    """The fields a violated constraint concerns, with a message (no SQL to the client)."""
    diag = getattr(exc.orig, "diag", None)
    code = getattr(exc.orig, "pgcode", None)
    name = getattr(diag, "constraint_name", None)
    columns: list[str] = []
    for constraint in list(model.__table__.constraints) + list(model.__table__.indexes):
        if name and constraint.name == name:
            columns = [c.key for c in constraint.columns]
    if not columns and getattr(diag, "column_name", None):
        columns = [diag.column_name]
    detail = re.match(r"Key \((.+?)\)=", getattr(diag, "message_detail", None) or "")
    if not columns and detail:  # an unnamed unique or foreign key: "Key (registrikood)=(…) …"
        columns = [c.strip() for c in detail.group(1).split(",")]
    message = {"23505": ALREADY_EXISTS, "23502": REQUIRED, "23503": NO_SUCH_RECORD}.get(code, INVALID)
    fields_ = [_field_name(model, c) for c in columns] or ["_schema"]
    return [(f, str(message)) for f in fields_]


def _field_name(model: type, column: str) -> str:
    """A foreign key column is reported under its relation, as the API names it."""
    for rel in model.__mapper__.relationships:
        if any(c.key == column for c in rel.local_columns):
            return rel.key
    return column


class ContractInterface(ScaleInterface):
    """FAB's add lets an IntegrityError through (500), edit and delete return its SQL text."""

    def _guard(self, method, item, commit):
        try:
            return method(item, commit)
        except IntegrityError as exc:
            raise DomainValidationError(integrity_errors(self.obj, exc), self.obj.__name__) from None
        except Exception as exc:
            cause = exc.__cause__
            if isinstance(cause, IntegrityError):
                raise DomainValidationError(integrity_errors(self.obj, cause), self.obj.__name__) from None
            raise

    def add(self, item, commit=True):
        self._refuse_second_child(item)
        return self._guard(super().add, item, commit)

    def _refuse_second_child(self, item) -> None:
        """A one-to-one child (a result of a registration) that its parent already has: SQLAlchemy
        would detach the stored one (its foreign key to NULL) before the unique key could say so."""
        errors = []
        with self.session.no_autoflush:
            for rel in self.obj.__mapper__.relationships:
                columns = list(rel.local_columns)
                parent = getattr(item, rel.key, None)
                if rel.uselist or parent is None or len(columns) != 1 or not columns[0].unique:
                    continue
                query = select(self.obj.id).where(columns[0] == inspect(parent).identity[0])
                if inspect(item).persistent:
                    query = query.where(self.obj.id != item.id)
                if inspect(parent).identity and self.session.execute(query).first():
                    errors.append((rel.key, str(ALREADY_EXISTS)))
        if errors:
            raise DomainValidationError(errors, self.obj.__name__)

    def edit(self, item, commit=True):
        return self._guard(super().edit, item, commit)

    def delete(self, item, commit=True):
        return self._guard(super().delete, item, commit)


# --- request checks -------------------------------------------------------------------------


def _bad_text(value: Any) -> bool:
    """True when a string anywhere in ``value`` cannot be stored: NUL or a lone surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_bad_text(k) or _bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_bad_text(v) for v in value)
    return False


def _bad_page(q: Any) -> bool:
    """A ``page`` FAB would turn into a negative or overflowing OFFSET: the list's own, and the
    related lists' of ``_info`` (``add_columns``/``edit_columns``: {column: {page, page_size}})."""
    if not isinstance(q, dict):
        return False
    pages = [q.get("page")]
    for key in ("add_columns", "edit_columns"):
        columns = q.get(key)
        if isinstance(columns, dict):
            pages += [c.get("page") for c in columns.values() if isinstance(c, dict)]
    return any(p is not None and (isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= MAX_PAGE)
               for p in pages)


def parse_q(value: str) -> tuple[Any, bool]:
    """The ``q`` argument (rison, else JSON) and whether it was JSON; ValueError when neither
    parses."""
    try:
        return prison.loads(value), False
    except Exception:
        pass
    try:
        return json.loads(value), True
    except Exception as exc:
        raise ValueError(str(exc)) from None


def json_q_for_fab(value: str) -> str:
    """FAB reads a JSON ``q`` by URL-decoding the already decoded text once more, which cuts it
    at "&" and turns "+" into a space. Hand it JSON that survives that: percent-encoded, after
    a space that makes FAB's rison attempt fail (JSON ignores the space)."""
    return " " + urllib.parse.quote(value, safe="")


def _value_schema(column_type: Any) -> dict:
    if isinstance(column_type, Boolean):
        return {"type": "boolean"}
    if isinstance(column_type, Integer):
        low, high = INT_RANGES.get(type(column_type), INT_RANGES[Integer])
        return {"type": "integer", "minimum": low, "maximum": high}
    if isinstance(column_type, (Numeric, Float)):
        return {"type": "number"}
    if isinstance(column_type, DateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(column_type, Date):
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def _fits(value: Any, schema: dict) -> bool:
    kind = schema["type"]
    if kind == "array":
        return isinstance(value, list) and all(_fits(v, schema["items"]) for v in value)
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) and schema["minimum"] <= value <= schema["maximum"]
    if kind == "number":
        return isinstance(value, (int, float)) and math.isfinite(value)
    if not isinstance(value, str):
        return False
    try:
        _normalised(value, schema)
    except ValueError:
        return False
    return True


def _normalised(value: Any, schema: dict) -> Any:
    """An ISO date or date-time as PostgreSQL takes it: a date-time with an offset in UTC
    (PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows). ValueError when not ISO."""
    if schema["type"] == "array":
        return [_normalised(v, schema["items"]) for v in value]
    if schema.get("format") == "date":
        return dt.date.fromisoformat(value).isoformat()
    if schema.get("format") == "date-time":
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC)
        return moment.isoformat()
    return value


# --- the OpenAPI document -------------------------------------------------------------------

_MESSAGE = {
    "description": "A text, or field name -> messages",
    "oneOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": {"oneOf": [
            {"type": "array", "items": {"type": "string"}}, {"type": "object"}]}},
    ],
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"message": _MESSAGE}}}}}


_FIELD_INFO = {
    "type": "object",
    "properties": {
        "name": {"type": "string"}, "label": {"type": "string"}, "description": {"type": "string"},
        "type": {"type": "string"}, "required": {"type": "boolean"}, "unique": {"type": "boolean"},
        "count": {"type": "integer"},
        "values": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "value": {"type": "string"}}}},
        "validate": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "type", "required"],
}
_INFO = {
    "type": "object",
    "properties": {
        "add_columns": {"type": "array", "items": _FIELD_INFO},
        "edit_columns": {"type": "array", "items": _FIELD_INFO},
        "add_title": {"type": "string"},
        "edit_title": {"type": "string"},
        "filters": {"type": "object", "additionalProperties": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"}, "operator": {"type": "string"}}}}},
        "permissions": {"type": "array", "items": {"type": "string"}},
    },
}
_ERRORS = ("400", "401", "403", "422", "500")


def _fix_fab_paths(api_spec) -> None:
    """FAB's login: username and password are required, "db" is the only provider here (and
    the default, app.__init__), and too many attempts answer 429 (app.__init__ limits the login)."""
    operation = api_spec._paths.get("/api/v1/security/login", {}).get("post")
    if not operation:
        return
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    schema["required"] = ["username", "password"]
    for name in ("username", "password"):
        schema["properties"][name]["minLength"] = 1  # FAB: "Shorter than minimum length 1."
    schema["additionalProperties"] = False  # FAB answers 400 "Unknown field."
    schema["properties"]["provider"].update(enum=["db"], default="db")
    operation["responses"].setdefault("429", {"description": "Too many login attempts"})
    # The OpenAPI document itself is for Admin only.
    operation = api_spec._paths.get("/api/{version}/_openapi", {}).get("get")
    if operation:
        for code in ("401", "403"):
            operation["responses"].setdefault(code, _ref(code))


def _ref(code: str) -> dict:
    return {"$ref": f"#/components/responses/{code}"}


# --- the mixin ------------------------------------------------------------------------------


class _PerThread:
    """A schema FAB keeps one of per API, handed out as one copy per thread: loading sets
    ``schema.instance`` (marshmallow-sqlalchemy), so two PUTs at once applied one request's
    values to the other's record (tests/test_concurrent_writes.py)."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, api, owner=None):
        if api is None:
            return self
        prototype = api.__dict__.get(self.name)
        if prototype is None:
            return None
        local = api.__dict__.setdefault("_schema_copies", threading.local())
        copy_ = getattr(local, self.name, None)
        if copy_ is None or getattr(local, f"{self.name}_of", None) is not prototype:
            copy_ = self._copy(prototype)
            setattr(local, self.name, copy_)
            setattr(local, f"{self.name}_of", prototype)
        return copy_

    def __set__(self, api, value):
        api.__dict__[self.name] = value

    def _copy(self, prototype):
        return type(prototype)()


class _FiltersPerThread(_PerThread):
    """FAB's list filters, one copy per thread: a list request clears and refills the API's one
    ``_filters`` object, so two lists at once could run with each other's filters."""

    def _copy(self, prototype):
        return copy.copy(prototype)  # clear_filters() then gives the copy lists of its own


class ApiContractMixin:
    """Mixed into ScopedModelRestApi (app.views.base) before FAB's ModelRestApi."""

    model2schemaconverter = ContractSchemaConverter
    add_model_schema = _PerThread("add_model_schema")
    edit_model_schema = _PerThread("edit_model_schema")
    _filters = _FiltersPerThread("_filters")

    def __init__(self, **kwargs):
        self.datamodel = ContractInterface(self.datamodel.obj)
        super().__init__(**kwargs)

    # Requests -------------------------------------------------------------------------------

    def _may_call(self) -> bool:
        """Whether FAB's @protect will let this request through: only then is its input
        judged, so that a stranger learns nothing and gets 401/403 as before."""
        name = (request.endpoint or "").rsplit(".", 1)[-1]
        handler = getattr(self, name, None)
        permission = self.method_permission_name.get(name) or getattr(handler, "_permission_name", name)
        if not current_user.is_authenticated:
            from flask_jwt_extended import verify_jwt_in_request

            try:
                verify_jwt_in_request()
            except Exception:
                return False
        return self.appbuilder.sm.has_access(f"{PERMISSION_PREFIX}{permission}", self.class_permission_name)

    @before_request
    def _refuse_malformed_input(self):
        raw = request.args.get("q")
        writes = request.method in ("POST", "PUT", "PATCH") and request.content_length
        if not raw and not writes:
            return None
        if not self._may_call():
            return None
        if raw:
            try:
                q, was_json = parse_q(raw)
            except ValueError:
                return self.response_400(message=str(BAD_QUERY))
            if _bad_text(q):
                return self.response_400(message=str(BAD_TEXT))
            if _bad_page(q):
                return self.response_400(message=str(BAD_PAGE % {"max": MAX_PAGE}))
            if was_json:
                args = MultiDict(request.args)
                args["q"] = json_q_for_fab(raw)
                request.args = ImmutableMultiDict(args)
        if writes and request.is_json:
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return self.response_400(message=str(BODY_NOT_OBJECT))
            if _bad_text(body):
                return self.response_400(message=str(BAD_TEXT))
        return None

    # PUT and DELETE by integer id, like GET.
    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk):
        return self.put_headless(pk)

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, pk):
        return self.delete_headless(pk)

    put.__doc__ = ModelRestApi.put.__doc__
    delete.__doc__ = ModelRestApi.delete.__doc__

    def get_list_headless(self, **kwargs):
        args = kwargs.get("rison", {})
        filters = args.get("filters") or []
        if not isinstance(filters, list) or not all(self._filter_fits(f) for f in filters):
            return self.response_400(message=str(BAD_FILTER))
        for spec in filters:  # dates as PostgreSQL reads them, the same instant
            spec["value"] = _normalised(spec["value"], self._filter_value_schema(spec["col"], spec["opr"]))
        if not set(args.get("columns") or []) <= set(self.list_columns):
            return self.response_400(message=str(BAD_COLUMNS))  # FAB drops unknown ones silently
        if "columns" in args and "select_columns" in args:
            return self.response_400(message=str(BAD_COLUMNS))  # FAB: one or the other
        if "order_column" in args and args["order_column"] not in self.order_columns:
            return self.response_400(message=str(BAD_COLUMNS))  # FAB ignores an empty one
        try:
            return super().get_list_headless(**kwargs)
        except (ApplyFilterException, DataError, ProgrammingError):
            # A filter value the column's type cannot take (text for a date, an id, a number).
            self.datamodel.session.rollback()
            return self.response_400(message=str(BAD_FILTER))

    def get_headless(self, pk, **kwargs):
        if not set(kwargs.get("rison", {}).get("columns") or []) <= set(self.show_columns):
            return self.response_400(message=str(BAD_COLUMNS))
        return super().get_headless(pk, **kwargs)

    def _filter_fits(self, spec: Any) -> bool:
        """A filter names a search column and one of its operators, and its value has the
        column's type (FAB ignores unknown operators and sends "text" + 1.5 to Python)."""
        if not isinstance(spec, dict) or not {"col", "opr", "value"} <= set(spec):
            return False
        schema = self._filter_value_schema(spec["col"], spec["opr"])
        return schema is not None and _fits(spec["value"], schema)

    def _filter_value_schema(self, col: Any, opr: Any) -> dict | None:
        filters = self._filters.get_search_filters().get(col) if isinstance(col, str) else None
        if not filters or opr not in {f.arg_name for f in filters}:
            return None
        if self.datamodel.is_relation(col):
            one = {"type": "integer", "minimum": INT_RANGES[Integer][0], "maximum": INT_RANGES[Integer][1]}
        else:
            one = _value_schema(self.datamodel.list_columns[col].type)
        return {"type": "array", "items": one} if opr in ("in", "not_in") else one

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        description = self.description_columns.get(field.name)
        info["description"] = str(description) if description else ""
        return info

    # The document ---------------------------------------------------------------------------

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        # Shared by every API: replace FAB's (whose message is only ever a text).
        api_spec.components.responses["400"] = _error_response("Bad request")
        api_spec.components.responses["422"] = _error_response("Could not process entity")
        _fix_fab_paths(api_spec)

    def add_api_spec(self, api_spec) -> None:
        super().add_api_spec(api_spec)
        name = self.__class__.__name__
        schemas = api_spec.components.schemas
        queries = {
            "get_list_schema": self._list_query_schema(schemas["get_list_schema"]),
            "get_item_schema": self._item_query_schema(schemas["get_item_schema"]),
            "get_info_schema": self._info_query_schema(schemas["get_info_schema"]),
        }
        for shared, schema in queries.items():
            schemas[f"{name}.{shared}"] = schema
        # A list or a record answers only the columns asked for (``columns`` in ``q``).
        for key, schema in schemas.items():
            if key.startswith((f"{name}.get.", f"{name}.get_list.")) or key in (f"{name}.get", f"{name}.get_list"):
                schema.pop("required", None)
        for path, operations in api_spec._paths.items():
            if not (path.startswith(f"{self.route_base}/")):
                continue
            for method, operation in operations.items():
                if not isinstance(operation, dict):
                    continue
                self._complete_operation(path, method, operation, name)

    def _complete_operation(self, path: str, method: str, operation: dict, name: str) -> None:
        responses = operation.setdefault("responses", {"200": {"description": "Done"}})
        codes = list(_ERRORS) + (["404"] if "{" in path else [])
        for code in codes:
            responses.setdefault(code, _ref(code))
        for parameter in operation.get("parameters", []):
            content = parameter.get("content", {}).get("application/json", {})
            ref = content.get("schema", {}).get("$ref", "")
            shared = ref.rsplit("/", 1)[-1]
            if parameter.get("name") == "q" and shared in ("get_list_schema", "get_item_schema", "get_info_schema"):
                content["schema"] = {"$ref": f"#/components/schemas/{name}.{shared}"}
        ok = responses.get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        properties = ok.get("properties", {})
        if method == "get" and "ids" in properties:
            properties["ids"]["items"] = {"type": "integer"}
        for code in ("200", "201"):  # FAB documents the record's id as text
            body = responses.get(code, {}).get("content", {}).get("application/json", {}).get("schema", {})
            if body.get("properties", {}).get("id", {}).get("type") == "string":
                body["properties"]["id"] = {"type": "integer"}
        if method == "get" and path.endswith("/_info") and "add_columns" in properties:
            ok.clear()
            ok.update(copy.deepcopy(_INFO))

    def _list_query_schema(self, shared: dict) -> dict:
        schema = copy.deepcopy(shared)
        props = schema["properties"]
        props["columns"] = {"type": "array", "items": {"type": "string", "enum": list(self.list_columns)}}
        schema["not"] = {"required": ["columns", "select_columns"]}  # FAB: one or the other
        if self.order_columns:
            props["order_column"] = {"type": "string", "enum": list(self.order_columns)}
        props["page"] = {"type": "integer", "minimum": 0, "maximum": MAX_PAGE}
        props["page_size"] = {"type": "integer", "description": "at most the API's maximum page size; "
                                                               "more, or less than 1, means the maximum"}
        search = self._filters.get_search_filters()
        operators = {f.arg_name for flts in search.values() for f in flts}
        item = props["filters"]["items"]
        if search and operators:
            # Each column with the operators it allows.
            item["anyOf"] = [
                {"properties": {"col": {"type": "string", "enum": [col]},
                                "opr": {"type": "string", "enum": [opr]},
                                "value": self._filter_value_schema(col, opr)}}
                for col, flts in sorted(search.items()) for opr in sorted({f.arg_name for f in flts})
            ]
            item["properties"].pop("value", None)
        else:
            props["filters"]["maxItems"] = 0
        return schema

    def _item_query_schema(self, shared: dict) -> dict:
        schema = copy.deepcopy(shared)
        schema["properties"]["columns"] = {"type": "array", "items": {"type": "string", "enum": list(self.show_columns)}}
        return schema

    def _info_query_schema(self, shared: dict) -> dict:
        schema = copy.deepcopy(shared)
        for key in ("add_columns", "edit_columns"):
            inner = schema["properties"].get(key, {}).get("additionalProperties", {}).get("properties")
            if inner is not None:
                inner["page"] = {"type": "integer", "minimum": 0, "maximum": MAX_PAGE}
        return schema
