"""Models of the sortition area."""
