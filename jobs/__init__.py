"""RQ job entry points. Thin: push an app context, open the JobRun, call the domain service.

The same ``run_job`` runs on an RQ worker (``rq worker --with-scheduler sync import export``)
or, without Redis, in a background thread of the web process (the SQLite demo).
"""
