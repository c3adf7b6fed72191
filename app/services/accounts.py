"""Account requests: submit, approve (creates the scoped user), reject."""
from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.models import AccountRequest
from app.models.base import utcnow
from app.security import roles as r
from app.validation import DomainValidationError


def submit(session, data: dict) -> AccountRequest:
    """Store a request; a second open request for the same isikukood is refused."""
    errors = AccountRequest.validation_errors(data)
    role = data.get("requested_role")
    if role not in r.REQUESTABLE_ROLES:
        errors.append(("requested_role", _("choose one of the offered roles")))
    if role == r.AWARDING_BODY and not data.get("awarding_body"):
        errors.append(("awarding_body", _("an awarding body user must name the awarding body")))
    if role == r.SCHOOL and not data.get("school"):
        errors.append(("school", _("a school user must name the school")))
    if errors:
        raise DomainValidationError(errors, "AccountRequest")
    if open_request_exists(session, data["isikukood"]):
        raise DomainValidationError([("isikukood", duplicate_message())], "AccountRequest")
    req = AccountRequest(**{k: v for k, v in data.items() if hasattr(AccountRequest, k)})
    session.add(req)
    try:
        session.commit()
    except IntegrityError:  # a concurrent request won the race; the partial unique index says no
        session.rollback()
        raise DomainValidationError([("isikukood", duplicate_message())], "AccountRequest") from None
    return req


def duplicate_message() -> str:
    return _("an open account request for this personal code already exists; wait for its decision")


def open_request_exists(session, isikukood: str) -> bool:
    query = select(AccountRequest.id).where(
        AccountRequest.isikukood == isikukood, AccountRequest.status == "open"
    )
    return session.execute(query).first() is not None


def approve(sm, req: AccountRequest, decided_by) -> object:
    """Create the user with the requested role and scope; returns the user."""
    if req.status != "open":
        raise DomainValidationError([("status", _("only an open request can be decided"))])
    session = sm.session
    user_model = sm.user_model
    if session.execute(select(user_model.id).where(user_model.isikukood == req.isikukood)).first():
        raise DomainValidationError([("isikukood", _("a user with this personal code already exists"))])
    role = sm.find_role(req.requested_role)
    user = user_model(
        first_name=req.first_name,
        last_name=req.last_name,
        username=req.isikukood,
        email=req.email,
        active=True,
        isikukood=req.isikukood,
        awarding_body_id=req.awarding_body_id if req.requested_role == r.AWARDING_BODY else None,
        school_id=req.school_id if req.requested_role == r.SCHOOL else None,
        roles=[role],
    )
    # The user sets a password through the reset flow; no usable password is stored.
    from werkzeug.security import generate_password_hash

    user.password = generate_password_hash(secrets.token_urlsafe(32))
    session.add(user)
    session.flush()
    req.status = "approved"
    req.decided_at = utcnow()
    req.decided_by_id = getattr(decided_by, "id", None)
    req.created_user_id = user.id
    session.commit()
    return user


def reject(session, req: AccountRequest, reason: str, decided_by) -> None:
    if req.status != "open":
        raise DomainValidationError([("status", _("only an open request can be decided"))])
    if not (reason or "").strip():
        raise DomainValidationError([("rejection_reason", _("a rejection needs a reason"))])
    req.status = "rejected"
    req.rejection_reason = reason.strip()
    req.decided_at = utcnow()
    req.decided_by_id = getattr(decided_by, "id", None)
    session.commit()
