"""Models of the survey authoring and distribution area."""
