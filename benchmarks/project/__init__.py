"""The Django project the HTTP benchmarks serve with gunicorn (PostgreSQL)."""
