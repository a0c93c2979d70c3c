"""Reductions: values against NumPy and PyTorch fixtures, gradients by finite differences
(first and second order), tie-breaking rules, dtypes and errors."""

import numpy as np
import pytest
from conftest import load_fixture, to_numpy
from opcheck import both, grad_of, rand

import minigrad as mg


# ----------------------------------------------------------------------- sum / mean
@pytest.mark.parametrize(
    "fn",
    [
        lambda a: a.sum(),
        lambda a: a.sum(dim=1),
        lambda a: a.sum(dim=(0, 2), keepdim=True),
        lambda a: a.transpose(0, 2).sum(dim=-1),
        lambda a: a.mean(),
        lambda a: a.mean(dim=(1, 2)),
        lambda a: a[:, ::2].mean(dim=0, keepdim=True),
    ],
)
def test_sum_mean_gradients(device, fn):
    both(fn, rand(device, 2, 3, 2))


def test_sum_mean_values(device):
    x = rand(device, 2, 3, 4, requires_grad=False)
    a = to_numpy(x)
    np.testing.assert_allclose(to_numpy(x.sum(dim=(0, 2))), a.sum(axis=(0, 2)))
    np.testing.assert_allclose(to_numpy(x.mean(dim=-1, keepdim=True)), a.mean(-1, keepdims=True))
    assert x.sum(dim=1, keepdim=True).shape == (2, 1, 4)


def test_sum_of_bool_counts(device):
    x = mg.tensor([[True, False], [True, True]], device=device)
    assert x.sum().item() == 3
    assert x.sum().dtype == mg.int64


def test_mean_of_integers_raises(device):
    with pytest.raises(RuntimeError, match="mean"):
        mg.arange(4, device=device).mean()


def test_reduction_bad_dim(device):
    with pytest.raises(IndexError, match="sum: dimension out of range"):
        rand(device, 2, 3).sum(dim=2)
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times"):
        rand(device, 2, 3).sum(dim=(1, -1))


def test_empty_dim_tuple_reduces_everything(device):
    x = rand(device, 2, 3, requires_grad=False)
    np.testing.assert_allclose(to_numpy(x.sum(dim=())), to_numpy(x).sum())
    np.testing.assert_allclose(to_numpy(x.mean(dim=[])), to_numpy(x).mean())


# ----------------------------------------------------------------------- var / std
@pytest.mark.parametrize(
    "fn",
    [
        lambda a: a.var(),
        lambda a: a.var(dim=1),
        lambda a: a.var(dim=(0, 2), keepdim=True, correction=0),
        lambda a: a.var(0, unbiased=False),
        lambda a: a.transpose(0, 1).var(dim=-1, correction=2),
        lambda a: a.std(),
        lambda a: a.std(dim=2, keepdim=True),
        lambda a: a[:, 1:].std(dim=(0, 1), correction=0),
        lambda a: mg.var_mean(a, 1)[0] * mg.var_mean(a, 1)[1],
    ],
)
def test_var_std_gradients(device, fn):
    both(fn, rand(device, 2, 3, 3))


@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("dim", [None, 0, (1, 2), -1])
def test_var_std_values(device, dim, correction):
    x = rand(device, 3, 4, 5, requires_grad=False)
    a = to_numpy(x)
    axis = dim if dim is not None else None
    np.testing.assert_allclose(
        to_numpy(x.var(dim, correction=correction)), a.var(axis=axis, ddof=correction)
    )
    np.testing.assert_allclose(
        to_numpy(mg.std(x, dim, keepdim=True, correction=correction)),
        a.std(axis=axis, ddof=correction, keepdims=True),
    )


def test_var_unbiased_alias(device):
    x = rand(device, 5, requires_grad=False)
    np.testing.assert_allclose(to_numpy(mg.var(x, False)), to_numpy(x.var(correction=0)))
    np.testing.assert_allclose(to_numpy(x.var(unbiased=True)), to_numpy(x.var(correction=1)))
    s, m = mg.std_mean(x, correction=0)
    np.testing.assert_allclose(to_numpy(s), to_numpy(x).std())
    np.testing.assert_allclose(to_numpy(m), to_numpy(x).mean())


def test_var_too_few_samples_is_nan_or_inf(device):
    assert np.isnan(mg.tensor([1.0], device=device).var().item())
    assert np.isinf(mg.tensor([1.0, 2.0], device=device).var(correction=3).item())


def test_var_of_integers_raises(device):
    with pytest.raises(RuntimeError, match="var: expected a floating point tensor"):
        mg.arange(3, device=device).var()


# ----------------------------------------------------------------------- max / min
@pytest.mark.parametrize(
    "fn",
    [
        lambda a: a.amax(),
        lambda a: a.amax(dim=1),
        lambda a: a.amin(dim=(0, 2), keepdim=True),
        lambda a: a.max(),
        lambda a: a.min(),
        lambda a: a.max(dim=1).values,
        lambda a: a.min(dim=-1, keepdim=True)[0],
        lambda a: a.transpose(0, 2).max(dim=0).values,
        lambda a: a[:, ::2].amax(dim=-1) * a[:, ::2].amin(dim=-1),
    ],
)
def test_max_min_gradients(device, fn):
    # distinct values, far apart compared with the finite-difference step
    perm = mg.randperm(18).numpy().astype(np.float64).reshape(2, 3, 3)
    x = mg.tensor(perm * 0.1, device=device, requires_grad=True)
    both(fn, x)


def test_max_min_values_and_indices(device):
    x = rand(device, 3, 4, 5, requires_grad=False)
    a = to_numpy(x)
    v, i = x.max(dim=1)
    np.testing.assert_array_equal(to_numpy(v), a.max(1))
    np.testing.assert_array_equal(to_numpy(i), a.argmax(1))
    assert i.dtype == mg.int64
    v, i = mg.min(x, -1, keepdim=True)
    np.testing.assert_array_equal(to_numpy(v), a.min(-1, keepdims=True))
    np.testing.assert_array_equal(to_numpy(i), a.argmin(-1)[..., None])
    assert x.max().shape == ()
    np.testing.assert_array_equal(to_numpy(x.amin(dim=(0, 2))), a.min(axis=(0, 2)))
    np.testing.assert_array_equal(to_numpy(mg.argmax(x)), a.argmax())
    np.testing.assert_array_equal(to_numpy(mg.argmin(x, 2, keepdim=True)), a.argmin(2)[..., None])
    assert mg.max(x, dim=0).values.shape == (4, 5)


def test_max_with_a_tensor_is_maximum(device):
    a = mg.tensor([1.0, 5.0], device=device)
    b = mg.tensor([3.0, 2.0], device=device)
    assert mg.max(a, b).tolist() == [3.0, 5.0]
    assert mg.min(a, b).tolist() == [1.0, 2.0]


def test_max_of_empty_dim_raises(device):
    with pytest.raises(IndexError, match="non-zero size"):
        mg.zeros(2, 0, device=device).max(dim=1)
    with pytest.raises(RuntimeError, match="empty"):
        mg.zeros(0, device=device).max()


def test_ties_match_pytorch(device):
    """amax/amin and max()/min() share the gradient among ties; max(dim) picks one."""
    ref = load_fixture("ops_reference")
    fns = {
        "amax_ties_1": lambda t: t.amax(1),
        "amin_ties_all": lambda t: t.amin(),
        "max_ties_all": lambda t: t.max(),
        "min_ties_all": lambda t: t.min(),
        "max_ties_dim1": lambda t: t.max(1).values,
        "min_ties_dim0_keep": lambda t: t.min(0, keepdim=True).values,
    }
    for name, fn in fns.items():
        x = mg.tensor(ref[f"{name}.x"], device=device, requires_grad=True)
        y = fn(x)
        np.testing.assert_array_equal(to_numpy(y), ref[f"{name}.out"], err_msg=name)
        g = grad_of(y, x, ref[f"{name}.w"], device)
        np.testing.assert_allclose(g, ref[f"{name}.grad"], rtol=1e-12, atol=1e-15, err_msg=name)
    t = mg.tensor(ref["amax_ties_1.x"], device=device)
    np.testing.assert_array_equal(to_numpy(t.max(1).indices), ref["max_ties_dim1.indices"])
    np.testing.assert_array_equal(to_numpy(t.min(0).indices), ref["min_ties_dim0.indices"])
    np.testing.assert_array_equal(to_numpy(t.argmax(1)), ref["argmax_ties_dim1"])
    np.testing.assert_array_equal(to_numpy(t.argmin()), ref["argmin_ties_all"])


# ----------------------------------------------------------------------- logsumexp / softmax
@pytest.mark.parametrize(
    "fn",
    [
        lambda a: a.logsumexp(1),
        lambda a: a.logsumexp((0, 2), keepdim=True),
        lambda a: a.transpose(0, 1).logsumexp(-1),
        lambda a: a.softmax(1),
        lambda a: a[:, ::2].softmax(-1),
        lambda a: a.log_softmax(0),
        lambda a: mg.log_softmax(a.transpose(1, 2), dim=2),
    ],
)
def test_logsumexp_softmax_gradients(device, fn):
    both(fn, rand(device, 2, 3, 3))


def test_logsumexp_softmax_values(device):
    x = rand(device, 3, 4, requires_grad=False)
    a = to_numpy(x)
    lse = np.log(np.exp(a).sum(1))
    np.testing.assert_allclose(to_numpy(x.logsumexp(1)), lse)
    np.testing.assert_allclose(to_numpy(x.softmax(1)), np.exp(a - lse[:, None]))
    np.testing.assert_allclose(to_numpy(x.log_softmax(-1)), a - lse[:, None])


def test_stable_for_large_and_infinite_inputs(device):
    x = mg.tensor([[1000.0, 1000.0], [-np.inf, 0.0], [-np.inf, -np.inf]], device=device)
    lse = to_numpy(x.logsumexp(1))
    np.testing.assert_allclose(lse[:2], [1000 + np.log(2), 0.0])
    assert lse[2] == -np.inf
    np.testing.assert_allclose(to_numpy(x[:2].softmax(1)), [[0.5, 0.5], [0.0, 1.0]])
    assert np.isfinite(to_numpy(x[:1].log_softmax(1))).all()


def test_reductions_match_pytorch(device):
    ref = load_fixture("ops_reference")
    fns = {
        "var_all": lambda t: t.var(),
        "var_dim1_c0_keep": lambda t: t.var(dim=1, correction=0, keepdim=True),
        "var_dims_c2": lambda t: t.var(dim=(0, 1), correction=2),
        "std_dim0": lambda t: t.std(dim=0),
        "std_unbiased_false": lambda t: t.std(1, unbiased=False),
        "logsumexp_1": lambda t: t.logsumexp(1),
        "logsumexp_01_keep": lambda t: t.logsumexp((0, 1), keepdim=True),
        "softmax_0": lambda t: t.softmax(0),
        "log_softmax_1": lambda t: t.log_softmax(1),
    }
    for name, fn in fns.items():
        x = mg.tensor(ref[f"{name}.x"], device=device, requires_grad=True)
        y = fn(x)
        np.testing.assert_allclose(to_numpy(y), ref[f"{name}.out"], rtol=1e-12, err_msg=name)
        g = grad_of(y, x, ref[f"{name}.w"], device)
        np.testing.assert_allclose(g, ref[f"{name}.grad"], rtol=1e-10, atol=1e-14, err_msg=name)


def test_softmax_needs_dim(device):
    with pytest.raises(TypeError, match="dim"):
        mg.softmax(rand(device, 3), None)


# ----------------------------------------------------------------------- dtypes
def test_float32_stays_float32(device):
    x = mg.randn(3, 4, device=device, requires_grad=True)
    outs = [
        x.sum(),
        x.mean(1),
        x.var(),
        x.std(0, keepdim=True),
        x.amax(),
        x.max(1).values,
        x.min(),
        x.logsumexp(1),
        x.softmax(1),
        x.log_softmax(0),
    ]
    for y in outs:
        assert y.dtype == mg.float32
        (g,) = mg.grad(y.sum(), [x])
        assert g.dtype == mg.float32


def test_softmax_dtype_argument(device):
    x = mg.randn(2, 3, device=device)
    assert mg.softmax(x, 1, dtype=mg.float64).dtype == mg.float64
