"""The sample stage."""
