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
@click.option("--isikukood", required=True, help="Personal code; accounts are keyed by it.")
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


@cli.command("job")
@click.argument("kind")
@click.option("--param", "-p", multiple=True, help="key=value (repeatable); values are JSON when they parse")
@click.option("--wait/--no-wait", default=True, help="Run in this process and wait (default).")
def job_command(kind, param, wait):
    """Start a background job (see jobs/registry.py for kinds)."""
    import json

    from app.jobqueue import start
    from app.models import JobRun
    from jobs.tasks import run_job

    params = {}
    for item in param:
        key, _, raw = item.partition("=")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    if wait:
        current_app.config["JOBS_INLINE"] = True
        from app.services.jobruns import create_run

        run, created = create_run(current_app.appbuilder.session, kind, params, actor="cli")
        if not created:
            raise click.ClickException(f"the same job is already {run.status} (#{run.id})")
        try:
            status = run_job(run.id, current_app._get_current_object())
        except Exception as exc:
            raise click.ClickException(f"job #{run.id} failed: {exc}") from exc
    else:
        run, created = start(kind, params, actor="cli")
        status = run.status if created else f"already {run.status}"
    run = current_app.appbuilder.session.get(JobRun, run.id)
    current_app.appbuilder.session.refresh(run)
    click.echo(f"job #{run.id} {kind}: {status}; created {run.created_count}, updated {run.updated_count}, "
               f"unchanged {run.unchanged_count}, rejected {run.rejected_count}")


@cli.command("worker")
@click.option("--queues", "-q", default="sync,import,export", show_default=True,
              help="Comma-separated RQ queues, in priority order.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--with-scheduler/--without-scheduler", default=True, show_default=True,
              help="Run RQ's scheduler too (needed for retries with intervals).")
def worker_command(queues, burst, with_scheduler):
    """An RQ worker for the job queues, with this app built once (work horses fork from it)."""
    from redis import Redis
    from rq import Worker

    from jobs.tasks import use_app

    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run in the web process")
    use_app(current_app._get_current_object())
    names = [q.strip() for q in queues.split(",") if q.strip()]
    worker = Worker(names, connection=Redis.from_url(redis_url))
    worker.work(burst=burst, with_scheduler=with_scheduler)


@cli.command("scheduler")
@click.option("--once", is_flag=True, help="Look once (from the last minute) and exit.")
def scheduler_command(once):
    """Start the jobs of JOB_SCHEDULE when they fall due (nightly syncs, periodic export)."""
    import datetime as dt
    import logging

    from jobs.scheduler import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler = Scheduler(current_app._get_current_object())
    if once:
        scheduler.last -= dt.timedelta(minutes=1)
        for kind, run_id, created in scheduler.tick():
            click.echo(f"{kind}: run #{run_id} {'queued' if created else 'already active'}")
        for thread in current_app.extensions.get("eks_job_threads", []):  # without Redis: run here
            thread.join()
        return
    scheduler.run_forever()
