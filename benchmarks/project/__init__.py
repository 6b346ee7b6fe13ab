"""A tiny Django project serving the endpoints that ``benchmarks/http_load.py`` compares."""
