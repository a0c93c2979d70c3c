"""The names real CuPy has, read from ``names.txt`` (written by ``make_names.py``)."""

from __future__ import annotations

import inspect
import json
import os
from collections import defaultdict

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "names.txt")


def load(path=PATH):
    """``{object: {name: kind}}`` for every module and class listed in ``names.txt``, and
    the CuPy version they were taken from."""
    names = defaultdict(dict)
    version = "?"
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                version = line.lstrip("# ").split(" (")[0]
                continue
            if line:
                obj, name, kind = line.split()
                names[obj][name] = kind
    return dict(names), version


NAMES, VERSION = load()


SIGNATURES_PATH = os.path.join(os.path.dirname(PATH), "signatures.json")


def load_signatures(path=SIGNATURES_PATH):
    """``{"cupy.sum": inspect.Signature}`` of CuPy's routines whose signature is known."""
    with open(path) as f:
        raw = json.load(f)
    sigs = {}
    for qual, params in raw.items():
        ps = [
            inspect.Parameter(name, inspect._ParameterKind(kind),
                              default=None if has_default else inspect.Parameter.empty)
            for name, kind, has_default in params
        ]  # fmt: skip
        sigs[qual] = inspect.Signature(ps)
    return sigs


SIGNATURES = load_signatures()
