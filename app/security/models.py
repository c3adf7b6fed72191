"""The user model: FAB's user plus the isikukood and the organisation a scoped user acts for."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.organisations import AwardingBody, School


class EksUser(User):
    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}

    isikukood: Mapped[str | None] = mapped_column(String(11), unique=True)
    awarding_body_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("awarding_body.id"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("school.id"), index=True)

    awarding_body: Mapped[AwardingBody | None] = relationship(foreign_keys=[awarding_body_id])
    school: Mapped[School | None] = relationship(foreign_keys=[school_id])


class SecurityStamp(Model):
    """One row: a number raised by database triggers on every change to roles, groups and
    permissions (migration 0007); app.security.stamp keeps users' roles while it stands still."""

    __tablename__ = "security_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
