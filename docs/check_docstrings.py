"""List the public names of the API reference that lack a docstring or a runnable example.

The issue asks that every public class and function have a docstring with at least one
example that runs (the examples run as doctests in CI). This script walks the same
modules and names as the API reference (``docs/_ext/apigen.py``) and prints the names
without a docstring, or without a ``>>>`` example, with the file that defines them::

    python docs/check_docstrings.py          # exit status 1 if any name is listed
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))
sys.path.insert(0, str(DOCS / "_ext"))

import apigen  # noqa: E402


def main() -> int:
    seen, no_doc, no_example = set(), [], []
    for modname, _ in apigen.MODULES:
        try:
            mod = importlib.import_module(modname)
        except Exception as exc:  # noqa: BLE001
            print(f"cannot import {modname}: {exc!r}")
            continue
        for name, obj in apigen._public_names(modname, mod):
            if apigen._kind(obj) not in ("class", "function", "exception") or id(obj) in seen:
                continue
            seen.add(id(obj))
            doc = inspect.getdoc(obj) or ""
            try:
                where = Path(inspect.getsourcefile(obj)).relative_to(DOCS.parent)
                line = inspect.getsourcelines(obj)[1]
                where = f"{where}:{line}"
            except (TypeError, OSError, ValueError):
                where = getattr(obj, "__module__", "?")
            if not doc.strip():
                no_doc.append(f"{modname}.{name}  ({where})")
            elif ">>>" not in doc:
                no_example.append(f"{modname}.{name}  ({where})")
    for title, items in (("no docstring", no_doc), ("no example", no_example)):
        print(f"{title}: {len(items)}")
        for item in items:
            print(f"  {item}")
    return 1 if (no_doc or no_example) else 0


if __name__ == "__main__":
    sys.exit(main())
