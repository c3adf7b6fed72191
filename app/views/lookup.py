"""Relation fields of forms that search as you type, for relations to large tables.

Flask-AppBuilder fills a relation field with every row of the related table: an enrolment's
"person" field would hold 500,000 persons at scale, and the form would take minutes. For the
relations to the LARGE tables (searched by text as in app.views.scale.TEXT_SEARCH) a form holds
only the chosen record; Select2 asks ``/lookup/<table>?q=…`` for the 20 best matches in the user's
scope as they type (static/js/lookup.js). The submitted id is looked up in the same scope, so a
record out of scope is refused under the field ("no such record among those you may choose").
"""
from __future__ import annotations

from flask import Flask, abort, current_app, jsonify, request, url_for
from flask_appbuilder.fields import QuerySelectField
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import widgets
from wtforms.validators import StopValidation

from app import models as m
from app.security.scoping import scoped
from app.views.scale import TEXT_SEARCH, eager_path

LIMIT = 20
NOT_AVAILABLE = _l("no such record among those you may choose")
# Tables that grow with every graduate (standards and curricula, hundreds of rows, keep dropdowns).
LARGE = (m.Person, m.Enrolment, m.Registration, m.Result, m.Decision, m.Certificate, m.ExamSession)
TARGETS = {model.__tablename__: model for model in LARGE}
# What each model's label (__repr__) reads: loaded with the matches, not one query per match.
_VIA_REGISTRATION = ("enrolment.person", "exam_session.standard")
LABEL_RELATIONS = {
    m.Enrolment: ("person", "curriculum"),
    m.ExamSession: ("standard",),
    m.Registration: _VIA_REGISTRATION,
    m.Result: tuple(f"registration.{path}" for path in _VIA_REGISTRATION),
    m.Decision: tuple(f"registration.{path}" for path in _VIA_REGISTRATION),
}


def _session():
    return current_app.appbuilder.session


class LookupSelect(widgets.Select):
    def __call__(self, field, **kwargs):
        kwargs.setdefault("data-lookup-url", url_for("eks_lookup", table=field.model.__tablename__))
        kwargs["class"] = (kwargs.get("class", "") + " eks-lookup form-control").strip()
        return super().__call__(field, **kwargs)


class LookupSelectField(QuerySelectField):
    """A relation field whose choices are the current value and the submitted one only."""

    widget = LookupSelect()

    def __init__(self, label=None, validators=None, model=None, **kwargs):
        super().__init__(label, validators, query_func=lambda: [], get_pk_func=lambda o: o.id, **kwargs)
        self.model = model

    def pre_validate(self, form):
        """A submitted id that is not a record the user may choose (another organisation's, or
        none at all) is named as such, not as a missing value."""
        if self._formdata and self._formdata != "__None" and self.data is None:
            raise StopValidation(str(NOT_AVAILABLE))
        super().pre_validate(form)

    def _get_object_list(self):
        if self._object_list is None:
            objects = [self._data] if self._data is not None else []
            if self._formdata and self._formdata != "__None" and str(self._formdata).isdigit():
                query = scoped(select(self.model).where(self.model.id == int(self._formdata)), self.model)
                objects += list(_session().execute(query).scalars())
            self._object_list = [(str(o.id), o) for o in objects]
        return self._object_list


def lookup(table: str):
    """The best matches for ``q`` among the records of ``table`` that the user may see."""
    if not current_user.is_authenticated:
        abort(401)
    model = TARGETS.get(table) or abort(404)
    text = (request.args.get("q") or "").strip()[:200]
    if len(text) < 2 and not text.isdigit():  # a record's number may be a single digit
        return jsonify(results=[])
    ids = TEXT_SEARCH[model][0](text)
    if text.isdigit() and len(text) <= 9:
        ids = ids.union(select(model.id).where(model.id == int(text)))
    query = (scoped(select(model).where(model.id.in_(ids)), model).order_by(model.id.desc()).limit(LIMIT)
             .options(*(eager_path(model, path) for path in LABEL_RELATIONS.get(model, ()))))
    return jsonify(results=[{"id": str(o.id), "text": str(o)} for o in _session().execute(query).unique().scalars()])


def init_app(app: Flask) -> None:
    app.add_url_rule("/lookup/<table>", "eks_lookup", lookup, methods=["GET"])
