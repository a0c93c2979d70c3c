"""Write the intersphinx inventories the docs build reads, so the build fetches nothing.

- ``python.inv``: copied from Debian's ``python3.11-doc`` package::

      apt-get install -y python3.11-doc
      cp /usr/share/doc/python3.11/html/objects.inv docs/_inv/python.inv

- ``numpy.inv``: NumPy ships no offline inventory (Debian bookworm has no numpy doc
  package), so this script writes one from the installed NumPy's public names, with the
  URL scheme of numpy.org's reference (``reference/generated/numpy.NAME.html``).
- ``cupy.inv``: CuPy has no offline inventory either; this script lists the few CuPy names
  our pages refer to, with the URL scheme of docs.cupy.dev's reference.

Run from the repository root: ``python docs/_inv/make_inventories.py``.
"""

from __future__ import annotations

import inspect
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def write_inventory(path: Path, project: str, version: str, entries) -> None:
    """Write a Sphinx version-2 inventory: ``name domain:role priority uri dispname``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    lines = []
    for name, role, uri in sorted(set(entries)):
        if uri.endswith("#" + name):
            uri = uri[: -len(name)] + "$"
        lines.append(f"{name} {role} 1 {uri} -\n")
    path.write_bytes(header + zlib.compress("".join(lines).encode()))
    print(f"wrote {path} ({len(lines)} entries)")


def numpy_entries():
    entries = []
    for name in sorted(dir(np)):
        if name.startswith("_"):
            continue
        obj = getattr(np, name)
        if inspect.ismodule(obj):
            continue
        full = f"numpy.{name}"
        uri = f"reference/generated/{full}.html#{full}"
        if inspect.isclass(obj):
            entries.append((full, "py:class", uri))
        elif callable(obj):
            entries.append((full, "py:function", uri))
    for meth in dir(np.ndarray):
        if not meth.startswith("_"):
            full = f"numpy.ndarray.{meth}"
            entries.append((full, "py:method", f"reference/generated/{full}.html#{full}"))
    entries.append(("numpy.dtype", "py:class", "reference/generated/numpy.dtype.html#numpy.dtype"))
    rnd = "reference/random/"
    entries.append(
        ("numpy.random.default_rng", "py:function", rnd + "generator.html#numpy.random.default_rng")
    )
    entries.append(
        ("numpy.random.Generator", "py:class", rnd + "generator.html#numpy.random.Generator")
    )
    for meth in ("normal", "uniform", "integers", "permutation", "random", "standard_normal"):
        full = f"numpy.random.Generator.{meth}"
        entries.append((full, "py:method", f"{rnd}generated/{full}.html#{full}"))
    return entries


CUPY_NAMES = {
    "cupy.ndarray": "py:class",
    "cupy.asarray": "py:function",
    "cupy.asnumpy": "py:function",
    "cupy.get_array_module": "py:function",
    "cupy.fuse": "py:function",
    "cupy.ElementwiseKernel": "py:class",
    "cupy.ReductionKernel": "py:class",
    "cupy.RawKernel": "py:class",
    "cupy.from_dlpack": "py:function",
    "cupy.cuda.Device": "py:class",
    "cupy.cuda.Stream": "py:class",
    "cupy.random.default_rng": "py:function",
}


def cupy_entries():
    return [
        (name, role, f"reference/generated/{name}.html#{name}") for name, role in CUPY_NAMES.items()
    ]


if __name__ == "__main__":
    write_inventory(HERE / "numpy.inv", "NumPy", np.__version__, numpy_entries())
    write_inventory(HERE / "cupy.inv", "CuPy", "13", cupy_entries())
