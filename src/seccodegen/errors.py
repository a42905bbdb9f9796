"""User-facing errors. Each carries one line that says what to fix; the CLI prints it and exits 2."""


class SeccodegenError(Exception):
    """Base for every error the CLI shows as a one-line message (no traceback)."""


class ConfigError(SeccodegenError):
    """A config file or override is wrong: names the key and the file."""


class ArtifactError(SeccodegenError):
    """An artifact directory is in a state the stage cannot use (finished without --force, other config)."""


class InputError(SeccodegenError):
    """An input file (dataset, samples, scenarios) is missing or malformed."""


class ModelLoadError(SeccodegenError):
    """A model path/id cannot be loaded (unknown path, unsupported architecture)."""

