"""Parlons web app: surveys, needs analysis, citizen councils and dashboards."""
