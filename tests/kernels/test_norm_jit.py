"""The compiled normalization kernels (ops/kernels/cpu/norm_jit.py) on shapes that cross
their internal boundaries: rows longer than a summation block (``norm_jit.BLOCK``),
affine chunks that are not a multiple of it, several chunks of samples for the
per-element weight gradients (``norm_jit._elem_group``: about ``ELEM_CHUNKS`` chunks of
at most ``SAMPLE_GROUP`` samples) with a ragged last one that ends in a lone sample (the
samples go in pairs), and batch norm's chunks of samples (``norm_jit.SHARED_CHUNKS``)
with a ragged last one. The small cases of test_jit.py fit inside one of each."""

import numpy as np
import pytest
from conftest import JIT_SKIP, assert_compiled_matches_numpy, norm_case_outputs, to_numpy

import minigrad
import minigrad.nn.functional as F
from minigrad import jit
from minigrad.ops.kernels.cpu import norm_jit

pytestmark = pytest.mark.skipif(JIT_SKIP is not None, reason=f"numba: Numba is {JIT_SKIP}")

T = 11  # layer norm: chunks of 4 samples, the last of 3 (a pair, a lone one)
T2 = norm_jit.ELEM_CHUNKS * norm_jit.SAMPLE_GROUP + 3  # chunks of SAMPLE_GROUP, the last of 3


def _cases():
    """(name, fn(x, w, b), x shape, affine shape); each row is longer than BLOCK."""
    blk = norm_jit.BLOCK
    ln = (3, blk // 2 + 211)  # rows of 3 * 723 elements
    return [
        # Q = 1.5 BLOCK elements per channel: chunks straddle summation blocks
        ("group", lambda x, w, b: F.group_norm(x, 2, w, b), (T, 4, 3 * blk // 2), 4),
        ("group_noaffine", lambda x, w, b: F.group_norm(x, 2), (T, 4, blk + 5), 4),
        ("instance", lambda x, w, b: F.instance_norm(x, None, None, w, b), (T, 3, blk + 9), 3),
        ("layer", lambda x, w, b: F.layer_norm(x, ln, w, b), (T, *ln), ln),
        ("layer_w_only", lambda x, w, b: F.layer_norm(x, ln, w, None), (T, *ln), ln),
        ("layer_b_only", lambda x, w, b: F.layer_norm(x, ln, None, b), (T, *ln), ln),
        ("layer_noaffine", lambda x, w, b: F.layer_norm(x, ln), (T, *ln), ln),
        # enough samples for chunks of SAMPLE_GROUP (a ragged last one: a pair, a lone one)
        ("layer_many", lambda x, w, b: F.layer_norm(x, ln, w, b), (T2, *ln), ln),
        ("layer_rows", lambda x, w, b: F.layer_norm(x, ln[1:], w, b), (T, *ln), ln[1:]),
        ("rms", lambda x, w, b: F.rms_norm(x, ln, w), (T, *ln), ln),
        # group norm of (N, C): one element per affine entry, several channels per sample
        # (the per-element weight path with c > 1 statistics rows per sample)
        ("group_2d", lambda x, w, b: F.group_norm(x, 2, w, b), (T, 8), 8),
        ("group_2d_many", lambda x, w, b: F.group_norm(x, 4, w, b), (T2, 12), 12),
        # batch norm: chunks of samples (a ragged last one), rows longer than BLOCK
        ("batch", lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (T, 3, blk + 7), 3),
        ("batch_plain", lambda x, w, b: F.batch_norm(x, None, None, training=True), (T, 2, 9), 2),
    ]


def _run(fn, shape, k, dtype):
    return norm_case_outputs(fn, shape, k, dtype, seed=1)


def test_sample_chunks_of_the_weight_gradients():
    """The cases above cross the chunk boundaries they are meant to: ragged last chunks
    that end in a lone sample, and the cap at SAMPLE_GROUP."""
    assert norm_jit._elem_group(T) == 4 and T % 4 == 3
    S = norm_jit._elem_group(T2)
    assert S == norm_jit.SAMPLE_GROUP and T2 % S == 3 and -(-T2 // S) > norm_jit.ELEM_CHUNKS
    assert norm_jit._elem_group(64) == 16  # W3's layer norm: 4 chunks
    assert all(norm_jit._elem_group(t) % 2 == 0 for t in range(1, 300))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_long_rows_match_the_numpy_path(dtype):
    tol = {"float64": 1e-11, "float32": 3e-5}[dtype]
    assert_compiled_matches_numpy(_cases(), dtype, tol, seed=1, same_dtype=True)


def test_long_rows_do_not_depend_on_the_thread_split(monkeypatch):
    """Rows, and the columns of the weight gradients, are each computed whole by one
    call in a fixed order: any split gives bit-identical results."""
    monkeypatch.setattr(jit, "SERIAL_BELOW", 0)
    out = {}
    with jit.enabled_as(True):
        for threads in (1, 2, 3):
            monkeypatch.setattr(jit, "NUM_THREADS", threads)
            monkeypatch.setitem(jit._pool_state, "pool", None)  # a pool of the new size
            out[threads] = [_run(fn, shape, k, "float32") for _, fn, shape, k in _cases()]
    monkeypatch.setitem(jit._pool_state, "pool", None)
    for threads in (2, 3):
        for case_a, case_b in zip(out[1], out[threads]):
            for a, b in zip(case_a, case_b):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("norm", ["layer", "group", "instance"])
def test_constant_rows_have_zero_variance(norm):
    """Means are summed as deviations from the row's first element, so a constant row (of
    a value whose float32 sums would round) has exactly its value as mean and variance
    0: eps=0 gives NaN, as PyTorch's kernels, and a tiny eps gives exact zeros."""
    x = np.full((3, 4, 1500), 0.1, dtype=np.float32)
    fn = {
        "layer": lambda t, eps: F.layer_norm(t, t.shape[1:], eps=eps),
        "group": lambda t, eps: F.group_norm(t, 2, eps=eps),
        "instance": lambda t, eps: F.instance_norm(t, eps=eps),
    }[norm]
    with jit.enabled_as(True), np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(to_numpy(fn(minigrad.tensor(x), 0.0))).all()
        np.testing.assert_array_equal(to_numpy(fn(minigrad.tensor(x), 1e-5)), 0.0)
