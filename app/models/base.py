"""Shared column helpers and the model-level validation protocol.

Every model sits on ``flask_appbuilder.Model`` (FAB 5 needs one MetaData for ``ab_user``
foreign keys). Validation rules are declared per model in ``__field_rules__`` (one rule per
field, from ``app.validation``) plus ``cross_field_errors``; forms, the REST API, imports and the
flush guard all call ``validation_errors`` so each rule lives in exactly one place.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import mapped_column

FieldError = tuple[str, str]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fk(target: str, nullable: bool = True, ondelete: str | None = None, index: bool = True, **kw: Any):
    """A foreign key column, indexed (PostgreSQL does not index FKs itself) unless a composite
    index of the table leads with it."""
    return mapped_column(ForeignKey(target, ondelete=ondelete), index=index, nullable=nullable, **kw)


def created_at():
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class DomainModel(Model):
    """Base of every domain entity: validation protocol, labels and audit hooks."""

    __abstract__ = True
    # field -> rule(value) returning an Estonian error text or None
    __field_rules__: ClassVar[dict[str, Callable[[Any], str | None]]] = {}
    # field -> [(value, lazy label)]: rendered as selects, validated as "one of"
    __choices__: ClassVar[dict[str, list[tuple[str, Any]]]] = {}
    # attribute path to the isikukood of the person whose data this row shows (data-access log)
    __personal_code__: ClassVar[str | None] = None
    __audited__: ClassVar[bool] = True
    # owner column -> parent relationship it is copied from (denormalised for scoping and speed)
    __owner_parents__: ClassVar[dict[str, str]] = {}
    # many-to-one parents that cross_field_errors reads (loaded for validation when needed)
    __rule_relations__: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def field_errors(cls, values: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        for field, rule in cls.__field_rules__.items():
            if field in values:
                message = rule(values[field])
                if message:
                    errors.append((field, message))
        for field, choices in cls.__choices__.items():
            value = values.get(field)
            if value not in (None, "") and value not in {c[0] for c in choices}:
                errors.append((field, str(_l("invalid value %(value)s", value=value))))
        return errors

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> Iterable[FieldError]:
        return ()

    @classmethod
    def validation_errors(cls, values: dict[str, Any]) -> list[FieldError]:
        return cls.field_errors(values) + list(cls.cross_field_errors(values))

    def values(self) -> dict[str, Any]:
        """Column values plus many-to-one parents (foreign keys are filled only at flush).
        A parent that is not loaded is read only when a rule needs it (``__rule_relations__``):
        validating a batch must not cost a SELECT per parent."""
        from sqlalchemy import inspect
        from sqlalchemy.orm.base import NO_VALUE

        state = inspect(self)
        values = {attr.key: getattr(self, attr.key) for attr in self.__mapper__.column_attrs}
        for rel in self.__mapper__.relationships:
            if rel.uselist:
                continue
            loaded = state.attrs[rel.key].loaded_value
            if loaded is not NO_VALUE:
                values[rel.key] = loaded
            elif rel.key in self.__rule_relations__:
                values[rel.key] = getattr(self, rel.key)
        return values

    def personal_code(self) -> str | None:
        if not self.__personal_code__:
            return None
        value: Any = self
        for part in self.__personal_code__.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def derive_owner(self) -> None:
        """Copy owner columns (awarding_body_id, school_id) from the parent record. A parent that
        is not saved yet may hold its own owner as an object, or derive it from its parent."""
        for column, parent_name in self.__owner_parents__.items():
            parent = getattr(self, parent_name)
            if parent is None:
                continue
            value = getattr(parent, column, None)
            if value is None and isinstance(parent, DomainModel):
                parent.derive_owner()
                value = getattr(parent, column, None)
            if value is None:
                owner = getattr(parent, column.removesuffix("_id"), None)
                value = getattr(owner, "id", None)
            if value is not None:
                setattr(self, column, value)

    def blanks_to_null(self) -> None:
        """A form sends an empty optional text field as "": store NULL, as for a field never set
        (otherwise every save of a form "changes" NULL to "" and two blank unique codes clash)."""
        for column in self.__table__.columns:
            if column.nullable and isinstance(column.type, String) and getattr(self, column.key, None) == "":
                setattr(self, column.key, None)

    def localise_datetimes(self) -> None:
        """A time typed into a form has no zone: it means Tallinn time, not UTC."""
        from app.formatting import TALLINN

        for column in self.__table__.columns:
            if isinstance(column.type, DateTime) and column.type.timezone:
                value = getattr(self, column.key, None)
                if isinstance(value, dt.datetime) and value.tzinfo is None:
                    setattr(self, column.key, value.replace(tzinfo=TALLINN))


def trgm_index(table: str, column: str):
    """Trigram index for ILIKE name search on PostgreSQL (a plain index elsewhere)."""
    from sqlalchemy import Index

    return Index(
        f"ix_{table}_{column}_trgm", column,
        postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"},
    )
