"""Models of the needs area."""
