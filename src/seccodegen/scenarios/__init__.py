"""The scenarios stage."""
