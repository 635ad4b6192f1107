"""Optional dependencies, imported in one place so that a missing one names the command that installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

from core.errors import MissingDependencyError


def require(module: str, package: str | None = None, *, purpose: str = "") -> ModuleType:
    """Import `module` (dotted names allowed), or raise MissingDependencyError with `pip install <package>`.

    package: the name pip installs, when it differs from the module's top-level name.
    purpose: what needs it, for the message ("Reading FIT files").
    """
    package = package or module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        parts = module.split(".")
        if exc.name not in {".".join(parts[:i]) for i in range(1, len(parts) + 1)}:
            raise  # the package is there but broken inside; its own error says more than ours would
        needs = purpose or "This feature"
        raise MissingDependencyError(
            f"{needs} needs the optional package {package!r} (module {module!r}), which is not installed; "
            f"install it with `pip install {package}`."
        ) from None
