"""Tortoise ORM models, one module per area; schema changes go through aerich migrations."""

from survey.models.core import Job, Question, Response, Section, Survey, User

__all__ = ["Job", "Question", "Response", "Section", "Survey", "User"]
