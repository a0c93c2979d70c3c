"""Generate the API reference pages (docs/api/*.rst) from the package as it is.

Called from ``conf.py`` before Sphinx reads the sources, so that autosummary sees the
lists and writes one stub page per public name under ``docs/api/generated/``.

A module's public names are its ``__all__`` (or, for the top-level ``minigrad``, every
public attribute that is not a submodule). A module that does not exist yet, or has no
public names, is left out of the reference, so the build never breaks while the package
grows; a module that exists but fails to import is left out too, and reported as a build
warning (so ``-W`` fails). Nothing here is edited by hand: the pages are rewritten on every build.
"""

from __future__ import annotations

import importlib
import inspect
import shutil
from pathlib import Path

import numpy as np

# (module, one-line description) in the order of the package
MODULES = [
    ("minigrad", "Tensors, creation, dtypes, devices, grad mode and tensor ops."),
    ("minigrad.autograd", "The Function base, the graph walk and the tools to study it."),
    ("minigrad.nn", "Modules, layers, normalization layers and losses."),
    ("minigrad.nn.functional", "The functional form of every layer and loss."),
    ("minigrad.nn.init", "Parameter initialization."),
    ("minigrad.nn.utils", "Gradient clipping, parameters as a vector, BatchNorm statistics."),
    ("minigrad.optim", "Optimizers."),
    ("minigrad.optim.lr_scheduler", "Learning-rate schedulers."),
    ("minigrad.data", "Datasets, the DataLoader and the bundled data."),
    ("minigrad.distributed", "Process groups and collectives over MPI (distributed training)."),
    ("minigrad.nn.parallel", "DistributedDataParallel: data-parallel training across processes."),
    ("minigrad.viz", "The autograd graph as Graphviz DOT."),
    ("minigrad.experiments", "The normalization laboratory: models, runs, grids, reports."),
    ("minigrad.experiments.executor", "Where the runs of a grid execute: serial, Dask."),
    ("minigrad.experiments.statistics", "Claims, paired seeds, confidence intervals, verdicts."),
    ("minigrad.cuda", "CUDA availability and devices."),
    ("minigrad.jit", "Optional compiled CPU kernels (Numba)."),
]

# import failures of modules that exist: conf.py turns them into build warnings
PROBLEMS: list[str] = []

# names that are not worth a page of their own (aliases documented under another name)
SKIP = {"annotations"}


def _public_names(modname, mod):
    if hasattr(mod, "__all__"):
        names = list(mod.__all__)
    else:
        names = [n for n in dir(mod) if not n.startswith("_")]
    if modname == "minigrad":
        for lazy in ("save", "load"):  # checkpoint functions, imported on first use
            try:
                getattr(mod, lazy)
            except Exception:  # noqa: BLE001 - not there yet
                continue
            names.append(lazy)
    out = []
    for n in names:
        if n in SKIP or n.startswith("_"):
            continue
        try:
            obj = getattr(mod, n)
        except Exception:  # noqa: BLE001
            continue
        if inspect.ismodule(obj):
            continue
        out.append((n, obj))
    # unique, keep order
    seen = set()
    return [(n, o) for n, o in out if not (n in seen or seen.add(n))]


def _kind(obj):
    if isinstance(obj, np.dtype):
        return "dtype"
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return "exception"
        return "class"
    if callable(obj):
        return "function"
    return "data"


# sections of a module page, by the module that defines each name (first match wins);
# names from anywhere else fall in a section by kind
GROUPS = [
    ("minigrad.tensor", "The Tensor"),
    ("minigrad.creation", "Creating tensors"),
    ("minigrad.ops.math.elementwise", "Elementwise math"),
    ("minigrad.ops.math.compare", "Comparisons and tests"),
    ("minigrad.ops.math.reduce", "Reductions"),
    ("minigrad.ops.shape.shape", "Shape, joining and indexing"),
    ("minigrad.ops.shape.indexing", "Shape, joining and indexing"),
    ("minigrad.ops.math.linalg", "Linear algebra"),
    ("minigrad.ops.nn.linear", "Linear algebra"),
    ("minigrad.autograd.grad_mode", "Gradients and grad mode"),
    ("minigrad.autograd.engine", "Gradients and grad mode"),
    ("minigrad.autograd.function", "Functions and the graph"),
    ("minigrad.autograd.checks", "Checking gradients"),
    ("minigrad.autograd.anomaly", "Anomaly mode"),
    ("minigrad.backend", "Devices and random seeds"),
    ("minigrad.cuda", "Devices and random seeds"),
    ("minigrad.dtypes", "Data types"),
    ("minigrad.serialization", "Checkpoints"),
    ("minigrad.nn.module", "Modules and containers"),
    ("minigrad.nn.containers", "Modules and containers"),
    ("minigrad.nn.linear", "Linear layers"),
    ("minigrad.ops.nn.conv.conv", "Convolution"),
    ("minigrad.nn.conv", "Convolution"),
    ("minigrad.ops.nn.pool.max_pool", "Pooling"),
    ("minigrad.ops.nn.pool.avg_pool", "Pooling"),
    ("minigrad.ops.nn.pool.pool_window", "Pooling"),
    ("minigrad.nn.pool", "Pooling"),
    ("minigrad.ops.nn.norm.norm", "Normalization"),
    ("minigrad.nn.norm", "Normalization"),
    ("minigrad.ops.nn.activation.activation", "Activations"),
    ("minigrad.nn.activation", "Activations"),
    ("minigrad.ops.nn.dropout.dropout", "Dropout"),
    ("minigrad.nn.dropout", "Dropout"),
    ("minigrad.ops.nn.loss.loss", "Losses"),
    ("minigrad.nn.loss", "Losses"),
    ("minigrad.nn.rnn_norm", "Normalized recurrent cells"),
    ("minigrad.nn.rnn", "Recurrent layers"),
    ("minigrad.nn.rnn_cell", "Recurrent layers"),
]
KIND_TITLES = {"class": "Classes", "function": "Functions", "exception": "Exceptions"}


def _group(obj):
    mod = getattr(obj, "__module__", None) or ""
    for prefix, title in GROUPS:
        if mod == prefix or mod.startswith(prefix + "."):
            return title
    return None


def _dtype_table(modname, dtypes):
    lines = [
        "dtypes are :class:`numpy.dtype` objects; the same objects name CuPy's dtypes.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - name",
        "     - dtype",
    ]
    for n, obj in dtypes:
        lines += [f"   * - ``{modname}.{n}``", f"     - ``numpy.{obj.name}``"]
    lines.append("")
    return lines


def _module_page(modname, desc, names, elsewhere=()):
    title = f"``{modname}``"
    lines = [
        ".. This page is generated by docs/_ext/apigen.py on every build; do not edit.",
        "",
        title,
        "=" * len(title),
        "",
        desc,
        "",
        f".. automodule:: {modname}",
        "   :no-members:",
        "",
        f".. currentmodule:: {modname}",
        "",
    ]
    by_kind = {}
    sections = {}  # title -> [(name, obj)], in order of first appearance
    for n, obj in names:
        kind = _kind(obj)
        by_kind.setdefault(kind, []).append((n, obj))
        if kind in KIND_TITLES:
            title = _group(obj) or KIND_TITLES[kind]
            sections.setdefault(title, []).append((n, obj))
    dtypes = by_kind.get("dtype", [])
    if dtypes:
        sections.setdefault("Data types", [])
    order = [t for _, t in GROUPS] + list(KIND_TITLES.values())
    for title in sorted(sections, key=order.index):
        items = sections[title]
        lines += [title, "-" * len(title), ""]
        if title == "Data types" and dtypes:
            lines += _dtype_table(modname, dtypes)
        for tmpl, pick in (
            ("autosummary/mg_class.rst", ("class", "exception")),
            ("autosummary/mg_function.rst", ("function",)),
        ):
            chosen = [n for n, o in items if _kind(o) in pick]
            if not chosen:
                continue
            lines += [
                ".. autosummary::",
                "   :toctree: generated",
                "   :nosignatures:",
                f"   :template: {tmpl}",
                "",
            ]
            lines += [f"   {n}" for n in sorted(chosen, key=str.lower)]
            lines.append("")
    if elsewhere:
        lines += [
            "Aliases and re-exports",
            "----------------------",
            "",
            "These names refer to objects documented once, under another name:",
            "",
        ]
        for n, obj, canonical in elsewhere:
            role = "class" if inspect.isclass(obj) else "func"
            lines.append(f"- ``{modname}.{n}``: :{role}:`{canonical}`")
        lines.append("")
    data = by_kind.get("data", [])
    if data:
        lines += ["Constants", "---------", ""]
        for n, obj in data:
            lines.append(f"- ``{modname}.{n}`` = ``{obj!r}``")
        lines.append("")
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def generate(docs_dir: Path) -> list[str]:
    """Write ``api/index.rst`` and one page per importable module; return the modules."""
    PROBLEMS.clear()
    api = docs_dir / "api"
    if api.exists():  # start clean: stubs of names that are gone must not linger
        shutil.rmtree(api)
    api.mkdir()
    done = []
    documented = {}  # id(obj) -> the full name it is documented under
    for modname, desc in MODULES:
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name != modname:  # the module exists but one of its imports fails
                PROBLEMS.append(f"API reference: cannot import {modname}: {exc!r}")
            print(f"[apigen] skipping {modname}: {exc!r}")
            continue
        except Exception as exc:  # noqa: BLE001 - report it as a build warning
            PROBLEMS.append(f"API reference: cannot import {modname}: {exc!r}")
            print(f"[apigen] skipping {modname}: {exc!r}")
            continue
        names, elsewhere = [], []
        for n, obj in _public_names(modname, mod):
            canonical = documented.get(id(obj))
            if canonical is not None and _kind(obj) in ("class", "function", "exception"):
                elsewhere.append((n, obj, canonical))
            else:
                names.append((n, obj))
                documented.setdefault(id(obj), f"{modname}.{n}")
        if not names and not elsewhere:
            print(f"[apigen] skipping {modname}: no public names yet")
            continue
        _write_if_changed(api / f"{modname}.rst", _module_page(modname, desc, names, elsewhere))
        done.append(modname)
    index = [
        ".. This page is generated by docs/_ext/apigen.py on every build; do not edit.",
        "",
        "API reference",
        "=============",
        "",
        "The reference follows the package: one page per module, one page per public name.",
        "Names and semantics follow PyTorch; every docstring is NumPy-style and its examples",
        "run as doctests in CI.",
        "",
        ".. list-table::",
        "   :header-rows: 0",
        "",
    ]
    for modname, desc in MODULES:
        if modname in done:
            index += [f"   * - :doc:`{modname}`", f"     - {desc}"]
    index += ["", ".. toctree::", "   :hidden:", ""]
    index += [f"   {m}" for m in done]
    _write_if_changed(api / "index.rst", "\n".join(index) + "\n")
    return done
