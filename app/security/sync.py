"""Make roles and permissions in the database match app.security.roles."""
from __future__ import annotations

from app.security import roles as r


def sync_roles(appbuilder) -> dict[str, int]:
    sm = appbuilder.sm
    admin = sm.add_role(r.ADMIN)
    sm.add_role(sm.auth_role_public)
    # Creates (permission, view) pairs for every registered view, API and menu item.
    appbuilder.add_permissions(update_perms=True)
    counts = {}
    for role_name, resources in r.ROLES.items():
        wanted = [(perm, resource) for resource, perms in resources.items() for perm in sorted(perms)]
        wanted += [("menu_access", name) for name in sorted(r.MENUS.get(role_name, ()))]
        wanted += r.SELF_SERVICE
        if role_name == r.REGISTRY:
            wanted += r.REGISTRY_EXTRA
        role = sm.add_role(role_name)
        role.permissions = [sm.add_permission_view_menu(p, v) for p, v in wanted]
        counts[role_name] = len(role.permissions)
    admin.permissions = sm.get_all_permissions_views() if hasattr(sm, "get_all_permissions_views") else \
        sm.session.query(sm.permissionview_model).all()
    counts[r.ADMIN] = len(admin.permissions)
    sm.session.commit()
    return counts
