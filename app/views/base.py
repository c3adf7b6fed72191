"""Base classes for every HTML view and REST API: scoping, validation, labels, formats,
data-access logging and CSV/XLSX export (app.views.exports). Entity views only declare columns
and relations."""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request
from flask_appbuilder import ModelRestApi, ModelView, expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as MaValidationError
from sqlalchemy import Boolean, Date, DateTime, select
from sqlalchemy.orm import RelationshipDirection
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Optional

from app import audit
from app.formatting import format_value
from app.models import choices as ch
from app.security.scoping import RULES, ScopeFilter, current_user, owner_defaults, scoped
from app.validation import DomainValidationError
from app.views.api_contract import ApiContractMixin
from app.views.exports import ExportMixin
from app.views.labels import LABELS
from app.views.lookup import LARGE, LookupSelectField
from app.views.render_cache import CachedSearchWidget
from app.views.scale import ScaleInterface, text_relations
from app.views.write_locks import SessionWriteLockMixin

# Superset-style read/write permission pairs for views and APIs.
METHOD_PERMISSIONS = {
    "list": "read", "show": "read", "get": "read", "get_list": "read", "info": "read",
    "related": "read", "distinct": "read", "export_csv": "read", "export_xlsx": "read", "api_read": "read",
    "add": "write", "edit": "write", "delete": "write", "post": "write", "put": "write",
    "action": "write", "action_post": "write", "download": "read",
    "person_csv": "read", "reject_form": "write", "approve": "write", "reject": "write",
}
SCOPE = [["id", ScopeFilter, None]]
NOT_YOURS = _l("is not a record of your organisation")


def relation_columns(model: type) -> list[str]:
    return [
        rel.key for rel in model.__mapper__.relationships
        if rel.direction is RelationshipDirection.MANYTOONE
    ]


def check_relations(item: Any) -> list[tuple[str, str]]:
    """A scoped user may attach a record only to parents inside their scope."""
    errors = []
    session = audit_session()
    # Check against what is stored: an autoflush would first write the item's new parents, and
    # scopes that follow the item itself (a registration brings its enrolment into scope) would
    # then admit the very parent being checked.
    with session.no_autoflush:
        for key in relation_columns(type(item)):
            related = getattr(item, key)
            if related is None or type(related) not in RULES:
                continue
            model = type(related)
            query = scoped(select(model.id).where(model.id == related.id), model)
            if session.execute(query).first() is None:
                errors.append((key, str(NOT_YOURS)))
    return errors


def audit_session():
    return current_app.appbuilder.session


def prepare_write(item: Any) -> None:
    """Owner columns from the user, then from parents; refuse out-of-scope parents and any
    broken rule. Shared by forms and the API."""
    for column, value in owner_defaults(current_user()).items():
        if hasattr(item, column):
            setattr(item, column, value)
    errors = check_relations(item)
    if errors:
        raise DomainValidationError(errors, type(item).__name__)
    for _ in range(3):
        item.derive_owner()
    from app.services.states import lock_errors, state_errors

    errors = item.validation_errors(item.values()) + state_errors(item) + lock_errors(item, include_new=True)
    if errors:
        raise DomainValidationError(errors, type(item).__name__)
    from app.services.outcomes import before_write

    before_write(item)  # the domain rules of exam outcomes, and what follows a status change


def prepare_delete(item: Any) -> None:
    """A locked record (or the child of one) is not deleted: shared by screens and the API."""
    from app.services.states import delete_errors

    errors = delete_errors(item)
    if errors:
        raise DomainValidationError(errors, type(item).__name__)


def _scoped_rel_fields(model: type) -> dict[str, list]:
    return {key: SCOPE for key in relation_columns(model)}


def _choice_fields(model: type, columns: list[str]) -> dict[str, Any]:
    fields = {}
    for name, choices in model.__choices__.items():
        if name in columns:
            column = model.__table__.c[name]
            fields[name] = SelectField(
                LABELS.get(name, name),
                choices=[("", "—")] + list(choices) if column.nullable else list(choices),
                widget=Select2Widget(),
                default=None if column.nullable else choices[0][0],
            )
    return fields


def _boolean_fields(model: type, columns: list[str]) -> dict[str, Any]:
    """FAB gives a NOT NULL boolean column an InputRequired validator, and an unticked checkbox
    sends no input: "no" could never be saved. An unticked box means False."""
    fields = {}
    for name in columns:
        column = model.__table__.c.get(name)
        if column is not None and isinstance(column.type, Boolean) and not column.nullable:
            default = column.default.arg if column.default is not None and not callable(column.default.arg) else False
            fields[name] = BooleanField(LABELS.get(name, name), default=default)
    return fields


def _lookup_fields(model: type, columns: list[str]) -> dict[str, Any]:
    """Relations to large tables as search-as-you-type fields (app.views.lookup)."""
    fields = {}
    for name in text_relations(model, columns):
        rel = model.__mapper__.relationships[name]
        if rel.mapper.class_ not in LARGE:
            continue
        nullable = all(c.nullable for c in rel.local_columns)
        fields[name] = LookupSelectField(LABELS.get(name, name), [Optional() if nullable else DataRequired()],
                                         model=rel.mapper.class_, allow_blank=nullable)
    return fields


def _formatters(model: type) -> dict[str, Any]:
    formatters: dict[str, Any] = {}
    for column in model.__table__.columns:
        if isinstance(column.type, (Date, DateTime)):
            formatters[column.key] = format_value
    for name, choices in model.__choices__.items():
        formatters[name] = _choice_formatter(choices)
    return formatters


def _choice_formatter(choices: list) -> Any:
    """A choice column's label, translated once per language and kept: a list page shows fifty,
    and each translation looks up the request's locale and catalogue again."""
    known = {key for key, _ in choices}
    translated: dict[tuple[str, Any], str] = {}

    def label(value):
        if value is None:
            return ""
        if value not in known:
            return str(value)  # an unknown stored value shows as it is
        key = (str(get_locale()), value)
        if key not in translated:
            translated[key] = str(ch.label(choices, value))
        return translated[key]
    return label


def _with_rules(form_class: type, model: type) -> type:
    """Form subclass that runs the model's rules and shows each error under its field."""

    class CheckedForm(form_class):
        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            values = {name: field.data for name, field in self._fields.items()}
            values = {k: (None if v == "" else v) for k, v in values.items()}
            for field, message in model.validation_errors(values):
                target = self._fields.get(field) or self._fields.get(field.removesuffix("_id"))
                if target is not None:
                    target.errors = list(target.errors) + [message]
                else:
                    flash(f"{LABELS.get(field, field)}: {message}", "danger")
                ok = False
            return ok

    CheckedForm.__name__ = form_class.__name__
    return CheckedForm


class ScopedModelView(ExportMixin, ModelView):
    """ModelView whose every path (list, show, edit, delete, actions, dropdowns, CSV/XLSX) is scoped."""

    model: type = None  # set by subclasses
    method_permission_name = METHOD_PERMISSIONS
    base_filters = SCOPE
    page_size = 25
    list_eager: list[str] = []  # nested relations the list's labels need, e.g. "enrolment.person"
    search_widget = CachedSearchWidget

    def __init__(self, **kwargs):
        model = self.model
        self.datamodel = ScaleInterface(model, text_search=True)
        self.class_permission_name = model.__name__
        self.label_columns = {**LABELS, **(self.label_columns or {})}
        self.search_form_extra_fields = {
            **{c: StringField(self.label_columns.get(c, c)) for c in text_relations(model, self.search_columns or [])},
            **(self.search_form_extra_fields or {}),
        }
        rel = _scoped_rel_fields(model)
        self.add_form_query_rel_fields = {**rel, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**rel, **(self.edit_form_query_rel_fields or {})}
        self.search_form_query_rel_fields = {**rel, **(self.search_form_query_rel_fields or {})}
        self.formatters_columns = {**_formatters(model), **(self.formatters_columns or {})}
        self.add_title = self.add_title or _l("Add record")
        self.edit_title = self.edit_title or _l("Edit record")
        self.show_title = self.show_title or _l("Record details")
        super().__init__(**kwargs)
        many_to_one = set(relation_columns(model))
        self.datamodel.list_eager = [c for c in self.list_columns if c in many_to_one] + list(self.list_eager)

    def _init_forms(self):
        self.add_form_extra_fields = {
            **_boolean_fields(self.model, self.add_columns), **_choice_fields(self.model, self.add_columns),
            **_lookup_fields(self.model, self.add_columns), **(self.add_form_extra_fields or {}),
        }
        self.edit_form_extra_fields = {
            **_boolean_fields(self.model, self.edit_columns), **_choice_fields(self.model, self.edit_columns),
            **_lookup_fields(self.model, self.edit_columns), **(self.edit_form_extra_fields or {}),
        }
        super()._init_forms()
        self.add_form = _with_rules(self.add_form, self.model)
        self.edit_form = _with_rules(self.edit_form, self.model)

    def pre_add(self, item):
        prepare_write(item)

    def pre_update(self, item):
        prepare_write(item)

    def pre_delete(self, item):
        prepare_delete(item)

    def _get_show_widget(self, pk, item, **kwargs):
        if item.__personal_code__:
            audit.record_access(self.datamodel.session, item, "screen")
        return super()._get_show_widget(pk, item, **kwargs)

    # FAB does not apply base filters to actions: re-fetch every item through them.
    def _scoped_item(self, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if request.method == "GET" and current_app.extensions.get("csrf"):
            abort(405)
        action = self.actions.get(name) or abort(404)  # before FAB's permission lookup, which needs it
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            abort(403)
        return action.func(self._scoped_item(pk))

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form["action"]
        action = self.actions.get(name) or abort(404)  # before FAB's permission lookup, which needs it
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            abort(403)
        items = [self._scoped_item(pk) for pk in request.form.getlist("rowid")]
        return action.func(items)

    def post_add_redirect(self):
        return redirect(self.get_redirect())


class ScopedModelRestApi(ApiContractMixin, SessionWriteLockMixin, ModelRestApi):
    """ModelRestApi with the same scoping, owner rules, validation and data-access log."""

    model: type = None
    method_permission_name = METHOD_PERMISSIONS
    base_filters = SCOPE
    allow_browser_login = True
    page_size = 25
    max_page_size = 100

    def __init__(self, **kwargs):
        model = self.model
        self.datamodel = ScaleInterface(model)
        self.class_permission_name = model.__name__
        self.resource_name = self.resource_name or model.__tablename__
        self.label_columns = {**LABELS, **{f"{k}_id": v for k, v in LABELS.items()}, **(self.label_columns or {})}
        rel = _scoped_rel_fields(model)
        self.add_query_rel_fields = {**rel, **(self.add_query_rel_fields or {})}
        self.edit_query_rel_fields = {**rel, **(self.edit_query_rel_fields or {})}
        self.validators_columns = {**_marshmallow_rules(model), **(self.validators_columns or {})}
        super().__init__(**kwargs)

    def pre_add(self, item):
        prepare_write(item)

    def pre_update(self, item):
        prepare_write(item)

    def pre_delete(self, item):
        prepare_delete(item)

    def delete_headless(self, pk):
        try:
            return super().delete_headless(pk)
        except DomainValidationError as exc:
            self.datamodel.session.rollback()
            return self.response_422(message=_error_dict(exc))

    def post_headless(self):
        try:
            return super().post_headless()
        except DomainValidationError as exc:
            self.datamodel.session.rollback()
            return self.response_422(message=_error_dict(exc))

    def put_headless(self, pk):
        try:
            return super().put_headless(pk)
        except DomainValidationError as exc:
            self.datamodel.session.rollback()
            return self.response_422(message=_error_dict(exc))

    def get_headless(self, pk, **kwargs):
        response = super().get_headless(pk, **kwargs)
        if response.status_code == 200 and self.model.__personal_code__:
            # The record FAB just read in scope is in the session: no second scoped query.
            item = self.datamodel.session.get(self.model, pk)
            if item is not None:
                audit.record_access(self.datamodel.session, item, "api")
        return response


def _error_dict(exc: DomainValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, message in exc.errors:
        errors.setdefault(field, []).append(message)
    return errors


def _marshmallow_rules(model: type) -> dict[str, Any]:
    def wrap(field: str):
        def validate(value):
            for _, message in model.field_errors({field: value}):
                raise MaValidationError(message)
        return validate

    fields = set(model.__field_rules__) | set(model.__choices__)
    return {field: wrap(field) for field in fields}
