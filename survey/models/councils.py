"""Models of the councils area."""
