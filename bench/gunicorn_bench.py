"""gunicorn settings shared by the app and the ceiling in the benchmark (bind is given per server)."""

workers = 2
worker_class = "sync"
backlog = 2048
timeout = 60
loglevel = "warning"
accesslog = None
