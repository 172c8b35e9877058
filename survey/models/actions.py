"""Models of the actions area."""
