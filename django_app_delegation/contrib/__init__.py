"""Integrations with other packages, each behind an optional extra."""
