"""Names of a package that are imported from their modules only when first used."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(
    package: str, namespace: dict[str, Any], modules: dict[str, tuple[str, ...]]
) -> tuple[dict[str, str], Callable[[str], Any], Callable[[], list[str]]]:
    """For ``package`` (whose globals are ``namespace``) and ``modules`` (each module with the
    names it gives): where each name lives, and the package's ``__getattr__`` and ``__dir__``.

    A name is imported from its module the first time it is asked for, then kept in the
    package's namespace, so the next use costs nothing.
    """
    home = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return home, __getattr__, __dir__
