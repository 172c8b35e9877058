"""HTTP layer: thin views that parse input, call one domain function and render."""
