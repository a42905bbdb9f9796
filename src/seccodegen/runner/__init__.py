"""The runner stage."""
