"""Shape ops: views, indexing (scatter-add gradients), cat/stack/split/chunk and pad,
checked against NumPy, PyTorch fixtures and finite differences to second order."""

import numpy as np
import pytest
from conftest import load_fixture, to_numpy
from opcheck import F64, both, grad_of, rand

import minigrad as mg


# ----------------------------------------------------------------------- views
# The squares make the second derivative depend on the op's own backward.
@pytest.mark.parametrize(
    "fn",
    [
        lambda a: a.reshape(4, 3) ** 2,
        lambda a: a.T.reshape(-1) ** 2,
        lambda a: a.permute(1, 0).flatten() ** 2,
        lambda a: a.transpose(0, 1)[::2] ** 2,
        lambda a: a.view(2, 2, 3).flatten(1) ** 2,
        lambda a: a.unsqueeze(1).expand(3, 2, 4) ** 2,
        lambda a: a[:, :1].broadcast_to((2, 3, 1)).squeeze(-1) ** 2,
        lambda a: a.reshape(1, 3, 4, 1).squeeze() ** 2,
        lambda a: a.reshape(3, 1, 4).squeeze(1) ** 2,
        lambda a: a.mT**2,
        lambda a: a.t() ** 2,
    ],
)
def test_view_gradients(device, fn):
    both(fn, rand(device, 3, 4))


def test_view_values(device):
    x = rand(device, 2, 3, 4, requires_grad=False)
    a = to_numpy(x)
    np.testing.assert_array_equal(to_numpy(x.permute(2, 0, 1)), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(to_numpy(x.transpose(0, 2)), a.swapaxes(0, 2))
    np.testing.assert_array_equal(to_numpy(x.reshape(4, -1)), a.reshape(4, -1))
    np.testing.assert_array_equal(to_numpy(x.flatten(0, 1)), a.reshape(6, 4))
    assert x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.unsqueeze(0).squeeze(0).shape == (2, 3, 4)
    assert x[:, :1].expand(-1, 5, -1).shape == (2, 5, 4)
    np.testing.assert_array_equal(to_numpy(x.T), a.T)


def test_view_errors(device):
    x = rand(device, 2, 3, requires_grad=False)
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match="permute"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match=r"broadcast_to: the shape \(2, 3\) cannot"):
        x.broadcast_to((3, 3))
    with pytest.raises(RuntimeError, match="not compatible with the size.*strides"):
        x.T.view(6)
    with pytest.raises(IndexError, match="unsqueeze"):
        x.unsqueeze(4)


# ----------------------------------------------------------------------- indexing
@pytest.mark.parametrize(
    "key",
    [
        1,
        (slice(None), 2),
        (slice(1, None, 2), slice(None, None, -1)),
        (Ellipsis, None, 0),
        [0, 2, 2, 0],
        ([0, 2, 2], [1, 1, 3]),
        (slice(None), [3, 3, 0]),
        np.array([[0, 1], [1, 1]]),
    ],
)
def test_getitem_gradients(device, key):
    both(lambda a: a[key] ** 2, rand(device, 3, 4))


def test_getitem_mask_gradients(device):
    x = rand(device, 3, 4)
    mask = x.detach() > 0
    both(lambda a: a[mask] ** 2, x)
    both(lambda a: a[mask._data[:, 0]] ** 2, x)


def test_getitem_values(device):
    x = rand(device, 3, 4, requires_grad=False)
    a = to_numpy(x)
    idx = mg.tensor([2, 0, 2], device=device)
    np.testing.assert_array_equal(to_numpy(x[idx]), a[[2, 0, 2]])
    np.testing.assert_array_equal(to_numpy(x[1:, [0, 0]]), a[1:, [0, 0]])
    np.testing.assert_array_equal(to_numpy(x[x > 0]), a[a > 0])
    np.testing.assert_array_equal(to_numpy(x[..., -1]), a[..., -1])


def test_repeated_indices_accumulate(device):
    x = mg.zeros(4, dtype=F64, device=device, requires_grad=True)
    x[[0, 0, 3, 0]].sum().backward()
    assert to_numpy(x.grad).tolist() == [3.0, 0.0, 0.0, 1.0]
    y = mg.zeros(2, 3, dtype=F64, device=device, requires_grad=True)
    (y[[1, 1], [2, 2]] * mg.tensor([1.0, 2.0], dtype=F64, device=device)).sum().backward()
    assert to_numpy(y.grad).tolist() == [[0, 0, 0], [0, 0, 3.0]]


def test_getitem_out_of_range(device):
    x = rand(device, 3, requires_grad=False)
    with pytest.raises(IndexError, match=r"shape \(3,\)"):
        x[5]


# ----------------------------------------------------------------------- gather
def test_gather_values_and_gradients(device):
    x = rand(device, 3, 4)
    idx = mg.tensor([[0, 0, 3], [2, 1, 2]], device=device)
    a = to_numpy(x.detach())
    np.testing.assert_array_equal(
        to_numpy(mg.gather(x.detach(), 1, idx)), np.take_along_axis(a[:2], to_numpy(idx), 1)
    )
    idx0 = mg.tensor([[2, 0, 2, 2]], device=device)
    np.testing.assert_array_equal(
        to_numpy(mg.gather(x.detach(), 0, idx0)), np.take_along_axis(a, to_numpy(idx0), 0)
    )
    both(lambda p: mg.gather(p, 1, idx) ** 2, x)
    both(lambda p: mg.gather(p.T, -1, idx0.T) ** 2, x)
    # repeated indices accumulate
    (g,) = mg.grad(mg.gather(x, 1, idx).sum(), [x])
    assert to_numpy(g)[0].tolist() == [2.0, 0.0, 0.0, 1.0]


def test_gather_errors(device):
    x = rand(device, 3, 4)
    with pytest.raises(RuntimeError, match="gather: expected an integer index"):
        mg.gather(x, 1, x)
    with pytest.raises(RuntimeError, match=r"gather: index of shape \(4, 1\) does not fit"):
        mg.gather(x, 1, mg.zeros(4, 1, dtype=mg.int64, device=device))


# ----------------------------------------------------------------------- cat / stack / split
def test_cat_stack_gradients(device):
    a, b = rand(device, 2, 3), rand(device, 2, 1)
    both(lambda p, q: mg.cat([p, q, p], dim=1) ** 2, a, b)
    both(lambda p, q: mg.cat([p.T, q.T], dim=0) ** 2, a, b)
    both(lambda p: mg.stack([p, p * 2, p[:, ::-1]], dim=1) ** 2, a)
    both(lambda p: mg.stack([p, p.exp()], dim=-1) ** 2, a)
    # one input that needs no gradient
    const = rand(device, 2, 2, requires_grad=False)
    both(lambda p: mg.cat([const, p], dim=-1) ** 2, a)


def test_cat_stack_values(device):
    a, b = rand(device, 2, 3, requires_grad=False), rand(device, 2, 3, requires_grad=False)
    na, nb = to_numpy(a), to_numpy(b)
    np.testing.assert_array_equal(to_numpy(mg.cat([a, b], -1)), np.concatenate([na, nb], -1))
    np.testing.assert_array_equal(to_numpy(mg.concat([a, b])), np.concatenate([na, nb]))
    for d in (0, 1, 2, -1):
        np.testing.assert_array_equal(to_numpy(mg.stack([a, b], d)), np.stack([na, nb], d))


def test_cat_stack_errors(device):
    a, b = rand(device, 2, 3), rand(device, 3, 2)
    with pytest.raises(RuntimeError, match=r"cat: sizes of tensors must match.*\(3, 2\)"):
        mg.cat([a, b], dim=1)
    with pytest.raises(RuntimeError, match="non-empty"):
        mg.cat([])
    with pytest.raises(RuntimeError, match=r"stack: expects each tensor to be equal size"):
        mg.stack([a, b])
    with pytest.raises(IndexError, match="cat: dimension out of range"):
        mg.cat([a, a], dim=2)


def test_split_chunk_values(device):
    x = mg.arange(10, device=device).reshape(2, 5)
    assert [p.tolist() for p in x.split(2, dim=1)] == [
        [[0, 1], [5, 6]],
        [[2, 3], [7, 8]],
        [[4], [9]],
    ]
    assert [p.shape for p in mg.split(x, [1, 0, 4], dim=-1)] == [(2, 1), (2, 0), (2, 4)]
    assert [p.shape for p in x.chunk(2, dim=1)] == [(2, 3), (2, 2)]
    assert [p.shape for p in mg.chunk(mg.arange(6, device=device), 4)] == [(2,), (2,), (2,)]
    assert len(x.chunk(5, dim=0)) == 2


def test_split_chunk_gradients(device):
    x = rand(device, 3, 5)
    both(lambda a: a.split(2, dim=1)[1] ** 2, x)
    both(lambda a: mg.split(a.T, [1, 2, 2])[2] ** 2, x)
    both(lambda a: a.chunk(3)[0] * a.chunk(3)[2], x)
    # every piece used: the gradient is the concatenation of the pieces' gradients
    both(lambda a: sum((p**2).sum() * (i + 1) for i, p in enumerate(a.chunk(2, 1))), x)


def test_split_errors(device):
    x = rand(device, 3, 5)
    with pytest.raises(RuntimeError, match=r"split sizes \[1, 2\] must .* sum exactly to 5"):
        x.split([1, 2], dim=1)
    with pytest.raises(RuntimeError, match="split_size must be positive"):
        x.split(0)
    with pytest.raises(RuntimeError, match="chunks must be greater than 0"):
        x.chunk(0)


# ----------------------------------------------------------------------- pad
PADS = {
    "pad_constant": dict(pad=(1, 2, 0, 3), value=1.5),
    "pad_crop": dict(pad=(-1, 2, 1, -2)),
    "pad_reflect": dict(pad=(3, 1, 2, 2), mode="reflect"),
    "pad_replicate": dict(pad=(2, 4, 1, 0), mode="replicate"),
    "pad_circular": dict(pad=(1, 3, 2, 1), mode="circular"),
    "pad_reflect_1d": dict(pad=(2, 3), mode="reflect"),
}


@pytest.mark.parametrize("name", sorted(PADS))
def test_pad_matches_pytorch(device, name):
    ref = load_fixture("ops_reference")
    x = mg.tensor(ref[f"{name}.x"], device=device, requires_grad=True)
    y = mg.pad(x, **PADS[name])
    np.testing.assert_array_equal(to_numpy(y), ref[f"{name}.out"])
    g = grad_of(y, x, ref[f"{name}.w"], device)
    np.testing.assert_allclose(g, ref[f"{name}.grad"], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(PADS))
def test_pad_gradients(device, name):
    kw = dict(PADS[name])
    # non-contiguous input, made inside the function under test
    both(lambda a: mg.pad(a.transpose(-1, -2), **kw) ** 2, rand(device, 1, 5, 4))


def test_pad_float32_and_noop(device):
    x = mg.randn(2, 3, device=device)
    assert mg.pad(x, (1, 1), value=2.0).dtype == mg.float32
    assert mg.pad(x, (0, 0)) is x


def test_pad_errors(device):
    x = rand(device, 2, 3)
    with pytest.raises(ValueError, match="padding length must be even"):
        mg.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="at most twice"):
        mg.pad(x, (1,) * 6)
    with pytest.raises(ValueError, match="unknown mode 'mirror'"):
        mg.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ValueError, match=r"reflect padding of \(3, 0\) on dimension 1"):
        mg.pad(x, (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="negative size"):
        mg.pad(x, (-2, -2))


def test_dim_out_of_range_errors(device):
    x = rand(device, 2, 1, requires_grad=False)
    with pytest.raises(IndexError, match="squeeze: dimension out of range"):
        x.squeeze(2)
    with pytest.raises(IndexError, match="transpose: dimension out of range"):
        x.transpose(0, 2)
    with pytest.raises(IndexError, match="flatten: dimension out of range"):
        x.flatten(0, 3)
    with pytest.raises(IndexError, match="split: dimension out of range"):
        x.split(1, dim=-3)


def test_integer_scalar_index_is_basic(device):
    x = rand(device, 3, 2)
    both(lambda a: a[np.int64(1)] ** 2, x)
    both(lambda a: a[mg.tensor(2, device=device)] ** 2, x)
