"""Write ``names.txt``: every public name of the parts of CuPy's namespace the twin mirrors.

The CuPy twin (``pytest --cupy-twin``) exposes exactly these names and no others, so a
call to a NumPy function that CuPy lacks fails on CPU as it would on a GPU. CuPy's wheel
installs and imports without a GPU. Run in a throwaway environment, never the project's::

    python -m venv /tmp/cupyenv && /tmp/cupyenv/bin/pip install cupy-cuda12x
    /tmp/cupyenv/bin/python tests/cupy_twin/make_names.py

Each line is ``<object> <name> <kind>``; ``<object>`` is a module (``cupy.linalg``) or a
class (``cupy.ndarray``), ``<kind>`` one of ufunc, function, class, module, dtype, other.
"""

import importlib
import inspect
import json
import os
import sys

# this folder's array.py and cuda.py would shadow the standard library's modules
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
import cupy  # noqa: E402
import numpy  # noqa: E402

MODULES = [
    "cupy",
    "cupy.random",
    "cupy.linalg",
    "cupy.fft",
    "cupy.cuda",
    "cupy.cuda.runtime",
    "cupy.lib",
    "cupy.lib.stride_tricks",
    "cupyx",
    "cupyx.scipy",
    "cupyx.scipy.special",
]
CLASSES = {
    "cupy.ndarray": cupy.ndarray,
    "cupy.ufunc": type(cupy.add),
    "cupy.random.Generator": cupy.random.Generator,
    "cupy.cuda.Device": cupy.cuda.Device,
    "cupy.cuda.Stream": cupy.cuda.Stream,
}
ufunc_type = type(cupy.add)


def kind(obj):
    if isinstance(obj, ufunc_type):
        return "ufunc"
    if inspect.ismodule(obj):
        return "module"
    if isinstance(obj, type) and issubclass(obj, numpy.generic):
        return "dtype"
    if isinstance(obj, type):
        return "class"
    if callable(obj):
        return "function"
    return "other"


def main():
    lines = [f"# CuPy {cupy.__version__} (cupy-cuda12x), NumPy {numpy.__version__}"]
    for mod in MODULES:
        m = importlib.import_module(mod)
        for name in sorted(dir(m)):
            if name.startswith("_"):
                continue
            lines.append(f"{mod} {name} {kind(getattr(m, name))}")
    for cname, cls in CLASSES.items():
        for name in sorted(dir(cls)):
            if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                continue
            lines.append(f"{cname} {name} attr")
    path = os.path.join(HERE, "names.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} names to {path}")
    sigs = signatures()
    path = os.path.join(HERE, "signatures.json")
    with open(path, "w") as f:
        rows = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(sigs.items())]
        f.write("{\n" + ",\n".join(rows) + "\n}\n")  # one routine a line
    print(f"wrote {len(sigs)} signatures to {path}")


def signatures():
    """``{"cupy.sum": [[name, kind, has_default], ...]}`` for every routine whose signature
    Python can read (CuPy's Python-level functions; its ufuncs and Cython methods have
    none), so the twin refuses arguments CuPy would refuse."""
    out = {}
    for mod in MODULES:
        m = importlib.import_module(mod)
        for name in sorted(dir(m)):
            obj = getattr(m, name)
            if name.startswith("_") or kind(obj) != "function":
                continue
            try:
                sig = inspect.signature(obj)
            except (TypeError, ValueError):
                continue
            out[f"{mod}.{name}"] = [
                [p.name, int(p.kind), p.default is not inspect.Parameter.empty]
                for p in sig.parameters.values()
            ]
    return out


if __name__ == "__main__":
    main()
