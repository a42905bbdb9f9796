"""The humaneval stage."""
