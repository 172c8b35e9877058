"""Jinja2 templates, installed as the package data of ``survey.templates``."""
