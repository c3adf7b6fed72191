"""Creating users with a role and the organisation they act for."""
from __future__ import annotations

from app import validation as v
from app.validation import DomainValidationError


def create_user(sm, *, username, password, role, isikukood=None, first_name="", last_name="",
                email="", awarding_body_id=None, school_id=None):
    # Accounts are keyed by isikukood: every user has one (unique in the database).
    error = v.isikukood(isikukood) if isikukood else "isikukood on kohustuslik"
    if error:
        raise DomainValidationError([("isikukood", error)], "User")
    role_obj = sm.find_role(role)
    if role_obj is None:
        raise DomainValidationError([("role", f"tundmatu roll {role}")], "User")
    user = sm.add_user(username=username, first_name=first_name, last_name=last_name,
                       email=email, role=role_obj, password=password)
    if not user:
        raise DomainValidationError([("username", "kasutaja loomine ebaõnnestus")], "User")
    user.isikukood = isikukood
    user.awarding_body_id = awarding_body_id
    user.school_id = school_id
    sm.session.commit()
    return user
