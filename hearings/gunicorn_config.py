"""Gunicorn settings for serving the site: `gunicorn -c python:hearings.gunicorn_config app:app`.

Gunicorn rather than waitress: waitress reads a whole request body into its own buffer file
before the app sees it, so a multi-gigabyte recording would be written to disk twice and the
upload could not be hashed as it arrives; gunicorn hands the app the socket's stream.

Threads rather than more processes: requests mostly wait on the database or the network, and
every process holds its own copy of the app. Two processes of eight threads suit 2 cores; set
HEARINGS_WEB_PROCESSES / HEARINGS_WEB_THREADS on bigger machines. The speech pipeline never
runs here (the worker runs it), so no request holds a core for long.
"""

import os

bind = os.environ.get("HEARINGS_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("HEARINGS_WEB_PROCESSES", "2"))
worker_class = "gthread"
threads = int(os.environ.get("HEARINGS_WEB_THREADS", "8"))
# A request that has not finished in this long has a stuck worker, which is replaced. Uploads
# are not affected: the timeout watches the worker process, not one slow client's request.
timeout = 120
# Idle keep-alive connections are closed after this, so slow or idle clients cannot hold
# every thread.
keepalive = 5
# On Ctrl-C or SIGTERM, requests in flight get this long to finish.
graceful_timeout = 20
# Cap the request line and headers; bodies are limited by the app (MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
# Behind a reverse proxy on the same machine, trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("HEARINGS_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Gunicorn's runtime control socket would be created in the home folder; nothing uses it.
control_socket_disable = True


def post_worker_init(worker):
    """Move what loading the app made out of the garbage collector's reach.

    The app, its models and templates are tens of thousands of long-lived objects; each full
    collection walked them all, adding about 70 ms to one request in eight on a long
    hearing's page. Frozen, they are never scanned again.
    """
    import gc

    gc.freeze()
