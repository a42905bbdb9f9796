"""The experiment runner: a whole grid from one YAML, content-addressed and resumable."""
