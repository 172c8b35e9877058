"""Domain rules: verb-named async functions over the models."""
