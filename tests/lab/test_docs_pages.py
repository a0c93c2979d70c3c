"""The code on the documentation's guide pages runs and prints what the page shows."""

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["getting_started.rst", "tensors_autograd.rst", "devices.rst", "autograd_internals.rst"]


@pytest.mark.parametrize("page", PAGES)
def test_docs_page_examples(page):
    r = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        report=False,
    )
    assert r.attempted > 0 and r.failed == 0
