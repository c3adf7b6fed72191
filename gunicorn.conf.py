"""Gunicorn settings read from the project directory (``gunicorn "app:create_app()"``)."""
import gc


def post_worker_init(worker):
    # The app, its views, mappers and translations live as long as the worker: moved out of the
    # collector's sight, each request's garbage collections look only at the request's own
    # objects (about a tenth of a list page's CPU time, measured in bench/screens.py).
    gc.collect()
    gc.freeze()
