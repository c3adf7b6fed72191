"""`flask eksamihaldus …` commands: schema, roles, users and demo data."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

cli = AppGroup("eksamihaldus", help="Eksamihaldus administration commands.")


@cli.command("sync-roles")
def sync_roles_command():
    """Create or update the five roles and their permissions from app.security.roles."""
    from app.security.sync import sync_roles

    counts = sync_roles(current_app.appbuilder)
    for role, n in counts.items():
        click.echo(f"{role}: {n} permissions")


@cli.command("init")
def init_command():
    """Apply migrations and sync roles (what a deployment runs on every release)."""
    from flask_migrate import upgrade

    from app.security.sync import sync_roles

    upgrade()
    sync_roles(current_app.appbuilder)
    click.echo("Schema and roles are up to date.")


@cli.command("create-user")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True)
@click.option("--isikukood", default=None)
@click.option("--first-name", default="Admin")
@click.option("--last-name", default="User")
@click.option("--email", default=None)
def create_user_command(username, password, role, isikukood, first_name, last_name, email):
    """Create a user (Admin or any role) from the command line."""
    from app.services.users import create_user

    create_user(current_app.appbuilder.sm, username=username, password=password, role=role,
                isikukood=isikukood, first_name=first_name, last_name=last_name,
                email=email or f"{username}@example.ee")
    click.echo(f"User {username} created.")


@cli.command("seed-demo")
def seed_demo_command():
    """Fill an empty database with realistic, illustrative demo data and demo users."""
    from app.demo import seed

    logins = seed(current_app.appbuilder)
    for role, username, password in logins:
        click.echo(f"{role}: {username} / {password}")
