"""The security manager: our user model and user screens with isikukood and organisation."""
from __future__ import annotations

from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, ValidationError

from app import validation as v
from app.formatting import format_value
from app.security import roles as r
from app.security import stamp
from app.security.models import EksUser
from app.views.labels import LABELS


def _isikukood_field(form, field):
    message = v.isikukood(field.data)
    if message:
        raise ValidationError(message)


def _organisation_for_role(form, field):
    roles = {role.name for role in (form.roles.data or [])}
    if r.AWARDING_BODY in roles and not form.awarding_body.data:
        raise ValidationError(_l("an awarding body user must have an awarding body"))
    if r.SCHOOL in roles and not form.school.data:
        raise ValidationError(_l("a school user must have a school"))
    if r.ASSESSOR in roles and not form.isikukood.data:
        raise ValidationError(_l("an assessor must have a personal code"))


class EksUserView(UserDBModelView):
    label_columns = {**UserDBModelView.label_columns, **{k: LABELS[k] for k in ("isikukood", "awarding_body", "school")}}
    list_columns = ["first_name", "last_name", "username", "isikukood", "email", "active", "roles",
                    "awarding_body", "school"]
    search_columns = ["first_name", "last_name", "username", "isikukood", "email", "active", "roles",
                      "awarding_body", "school", "last_login"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "isikukood", "active", "roles", "awarding_body",
                                       "school", "login_count"]}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
        (_l("Audit Info"), {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"],
                            "expanded": False}),
    ]
    user_show_fieldsets = [
        (_l("User info"), {"fields": ["username", "isikukood", "roles", "awarding_body", "school"]}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
    ]
    add_columns = ["first_name", "last_name", "username", "isikukood", "active", "email", "roles",
                   "awarding_body", "school", "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "username", "isikukood", "active", "email", "roles",
                    "awarding_body", "school"]
    formatters_columns = {
        "roles": lambda roles: ", ".join(str(r.ROLE_LABELS.get(role.name, role.name)) for role in roles),
        "last_login": format_value, "created_on": format_value, "changed_on": format_value,
    }
    validators_columns = {
        **UserDBModelView.validators_columns,
        "isikukood": [DataRequired(), _isikukood_field],
        "awarding_body": [_organisation_for_role],
    }


class EksSecurityManager(SecurityManager):
    user_model = EksUser
    userdbmodelview = EksUserView

    def create_jwt_manager(self, app):
        """A malformed or wrong kind of token is a failed authentication: 401 like a missing or
        expired one (flask-jwt-extended answers 422), as the API reference says."""
        from flask import jsonify

        jwt_manager = super().create_jwt_manager(app)
        jwt_manager.invalid_token_loader(lambda reason: (jsonify(msg=reason), 401))
        return jwt_manager

    def load_user(self, pk):
        """The user with the security stamp in one query (app.security.stamp)."""
        user = stamp.load_user(self.session, self.user_model, int(pk))
        return user if user is not None and user.is_active else None

    def get_user_roles(self, user) -> list:
        """A signed-in user's roles (their own and their groups'), kept while the stamp stands."""
        if not user.is_authenticated:
            return super().get_user_roles(user)
        return stamp.kept("roles", user.id, lambda: [
            stamp.RoleRef(role.id, role.name) for role in super(EksSecurityManager, self).get_user_roles(user)])

    def exist_permission_on_roles(self, view_name: str, permission_name: str, role_ids: list[int]) -> bool:
        """FAB asks the database once per check, and a page's menu alone makes about forty checks:
        all the permissions of the user's roles are read once and kept while the stamp stands."""
        from flask import has_request_context

        if not has_request_context() or not role_ids:
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        key = tuple(sorted(role_ids))
        return (permission_name, view_name) in stamp.kept("permissions", key, lambda: self._role_permissions(key))

    def has_access(self, permission_name: str, view_name: str) -> bool:
        """A list page asks the same questions several times (the route, then each row button);
        within a request, a signed-in user's are answered once. (An API request may verify its
        token after a first check: its answers are not kept.)"""
        from flask import g, has_request_context
        from flask_login import current_user

        if not has_request_context() or not current_user.is_authenticated:
            return super().has_access(permission_name, view_name)
        key = (current_user.get_id(), permission_name, view_name)
        cache = g.setdefault("_eks_access", {})
        if key not in cache:
            cache[key] = super().has_access(permission_name, view_name)
        return cache[key]

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        """FAB reads the public role's permissions from the database on every check (twice per
        API request): kept while the stamp stands."""
        from flask import has_request_context

        if not has_request_context():
            return super().is_item_public(permission_name, view_name)

        def build() -> set[tuple[str, str]]:
            role = self.find_role(self.auth_role_public)
            return self._role_permissions((role.id,)) if role else set()

        return (permission_name, view_name) in stamp.kept("public", None, build, session=self.session)

    def _role_permissions(self, role_ids: tuple[int, ...]) -> set[tuple[str, str]]:
        from flask_appbuilder.security.sqla.models import assoc_permissionview_role
        from sqlalchemy import select

        pv, perm, menu = self.permissionview_model, self.permission_model, self.viewmenu_model
        rows = self.session.execute(
            select(perm.name, menu.name)
            .select_from(pv)
            .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == pv.id)
            .join(perm, perm.id == pv.permission_id)
            .join(menu, menu.id == pv.view_menu_id)
            .where(assoc_permissionview_role.c.role_id.in_(role_ids))
        )
        return {(p, v) for p, v in rows}
