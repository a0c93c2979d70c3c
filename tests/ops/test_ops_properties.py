"""Property tests (hypothesis): broadcasting gradients, reductions against NumPy,
indexing gradients as index counts, and cat/split round trips, on random shapes."""

import numpy as np
import pytest
from conftest import to_numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

F64 = mg.float64
# ``device`` only names a device (no state to reset between examples)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def leaf(arr, device):
    return mg.tensor(np.asarray(arr, dtype=np.float64), device=device, requires_grad=True)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together (hypothesis' own generator)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
    return shapes.input_shapes


@SETTINGS
@given(shapes=broadcast_pair(), seed=st.integers(0, 2**16))
@pytest.mark.parametrize("op", ["add", "mul", "sub", "div"])
def test_broadcast_gradients_sum_back(device, op, shapes, seed):
    """The gradient of sum(op(a, b)) has each input's shape and equals the sum of the
    local derivative over the broadcast dimensions."""
    rng = np.random.default_rng(seed)
    sa, sb = shapes
    na = rng.standard_normal(sa)
    nb = rng.uniform(0.5, 2.0, sb)  # away from 0 for div
    a, b = leaf(na, device), leaf(nb, device)
    out = {"add": a + b, "mul": a * b, "sub": a - b, "div": a / b}[op]
    ga, gb = mg.grad(out.sum(), [a, b])
    assert ga.shape == tuple(sa) and gb.shape == tuple(sb)
    shape = np.broadcast_shapes(sa, sb)
    fa, fb = np.broadcast_to(na, shape), np.broadcast_to(nb, shape)
    da, db = {
        "add": (np.ones(shape), np.ones(shape)),
        "mul": (fb, fa),
        "sub": (np.ones(shape), -np.ones(shape)),
        "div": (1 / fb, -fa / fb**2),
    }[op]

    def reduce_to(g, s):
        lead = g.ndim - len(s)
        g = g.sum(axis=tuple(range(lead))) if lead else g
        axes = tuple(i for i, n in enumerate(s) if n == 1)
        return g.sum(axis=axes, keepdims=True) if axes else g

    np.testing.assert_allclose(to_numpy(ga), reduce_to(da, sa), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_numpy(gb), reduce_to(db, sb), rtol=1e-12, atol=1e-12)


@st.composite
def array_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    arr = draw(hnp.arrays(np.float64, shape, elements=st.floats(-10, 10, allow_subnormal=False)))
    dims = draw(
        st.one_of(
            st.none(),
            st.integers(-len(shape), len(shape) - 1),
            st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True).map(tuple),
        )
    )
    return arr, dims, draw(st.booleans())


@SETTINGS
@given(case=array_and_dims(), correction=st.integers(0, 1))
def test_reductions_match_numpy(device, case, correction):
    arr, dims, keepdim = case
    x = mg.tensor(arr, device=device)
    axis = dims
    np.testing.assert_allclose(
        to_numpy(x.sum(dims, keepdim)), arr.sum(axis=axis, keepdims=keepdim), atol=1e-12
    )
    np.testing.assert_allclose(
        to_numpy(x.mean(dims, keepdim)), arr.mean(axis=axis, keepdims=keepdim), atol=1e-12
    )
    n = arr.size if dims is None else int(np.prod([arr.shape[d] for d in np.atleast_1d(dims)]))
    if n > correction:
        np.testing.assert_allclose(
            to_numpy(x.var(dims, keepdim=keepdim, correction=correction)),
            arr.var(axis=axis, ddof=correction, keepdims=keepdim),
            rtol=1e-10,
            atol=1e-10,
        )
    np.testing.assert_array_equal(
        to_numpy(x.amax(dims, keepdim)), arr.max(axis=axis, keepdims=keepdim)
    )
    np.testing.assert_array_equal(
        to_numpy(x.amin(dims, keepdim)), arr.min(axis=axis, keepdims=keepdim)
    )


@SETTINGS
@given(case=array_and_dims())
def test_sum_mean_gradients_are_constant(device, case):
    arr, dims, keepdim = case
    x = leaf(arr, device)
    (g,) = mg.grad(x.sum(dims, keepdim).sum(), [x])
    np.testing.assert_array_equal(to_numpy(g), np.ones_like(arr))
    (g,) = mg.grad(x.mean(dims, keepdim).sum(), [x])
    n = arr.size if dims is None else int(np.prod([arr.shape[d] for d in np.atleast_1d(dims)]))
    np.testing.assert_allclose(to_numpy(g), np.full_like(arr, 1.0 / n))


@SETTINGS
@given(
    n=st.integers(1, 6),
    idx=st.lists(st.integers(0, 5), min_size=0, max_size=12),
    cols=st.integers(1, 3),
)
def test_index_gradient_counts_occurrences(device, n, idx, cols):
    """d/dx sum(x[idx]) counts how often each row is selected (repeats accumulate)."""
    idx = [i % n for i in idx]
    x = leaf(np.zeros((n, cols)), device)
    key = mg.tensor(np.array(idx, dtype=np.int64), device=device)
    (g,) = mg.grad(x[key].sum(), [x])
    counts = np.bincount(np.array(idx, dtype=np.int64), minlength=n).astype(float)
    np.testing.assert_array_equal(to_numpy(g), np.repeat(counts[:, None], cols, axis=1))


@SETTINGS
@given(mask=hnp.arrays(np.bool_, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)))
def test_mask_gradient_is_the_mask(device, mask):
    x = leaf(np.ones(mask.shape), device)
    m = mg.tensor(mask, device=device)
    (g,) = mg.grad((x[m] * 2.0).sum(), [x])
    np.testing.assert_array_equal(to_numpy(g), mask * 2.0)


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
    data=st.data(),
)
def test_split_then_cat_is_identity(device, shape, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    size = data.draw(st.integers(1, shape[dim]))
    x = leaf(np.arange(np.prod(shape), dtype=float).reshape(shape), device)
    parts = x.split(size, dim)
    assert sum(p.shape[dim] for p in parts) == shape[dim]
    y = mg.cat(parts, dim)
    np.testing.assert_array_equal(to_numpy(y), to_numpy(x.detach()))
    w = mg.randn(*shape, dtype=F64, device=device)
    (g,) = mg.grad((y * w).sum(), [x])
    np.testing.assert_array_equal(to_numpy(g), to_numpy(w))
