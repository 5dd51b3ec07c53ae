"""How the library's loops are compiled by Numba (private), in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit


def compile_loop(function: Callable) -> Any:
    """``function`` compiled by Numba when first called; the machine code cached, so that it
    is compiled once per installation (in __pycache__ beside its module, or in Numba's cache
    folder in the user's home where that is read-only), not at every start of Python. With
    neither writable (a shared installation, a read-only home) it is compiled at each start
    instead (about a second)."""
    options: dict[str, Any] = {"nogil": True, "error_model": "numpy"}
    try:
        return njit(cache=True, **options)(function)
    except RuntimeError:  # Numba: "cannot cache function ...: no locator available"
        return njit(cache=False, **options)(function)
