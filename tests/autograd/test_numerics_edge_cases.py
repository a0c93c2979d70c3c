"""Numerical edge cases where minigrad must give PyTorch's values and gradients
(references in ``fixtures/ops_edge_cases.npz``, made by ``make_edge_fixtures.py``).

* Masked gradients are selects, never products: an infinite or NaN upstream gradient
  stays out of the entries an op masks out (``inf * 0`` would be NaN).
* Ties and NaN route the gradient as PyTorch does (clamp with tensor bounds sends a tie
  to the input; ``max()`` shares it among the NaNs of a NaN result).
* ``std`` of a constant, fully ignored targets of ``cross_entropy``/``nll_loss``:
  gradient 0, not NaN.
* Sigmoid-like functions keep full precision in their tails.
* Empty dimensions: logsumexp is -inf, softmax empty, split/chunk give PyTorch's pieces.
* PyTorch's indexing (integers first) and view (any stride pattern it can view) rules,
  replicate padding wider than the dimension, and clear errors instead of NumPy's.
* The compiled norm kernels give NaN with ``eps=0`` on a constant group, as NumPy's path.
"""

import numpy as np
import pytest
from conftest import load_fixture, to_numpy
from opcheck import both, rand

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

FX = load_fixture("ops_edge_cases")

# these tests compute with inf and NaN on purpose: silently, as PyTorch does (a NumPy
# RuntimeWarning fails them)
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def run(device, name, fn, *others, rtol64=1e-12):
    """``fn`` on the fixture's inputs, backward with its upstream gradient; compare the
    forward value and every input gradient with PyTorch's (NaN where PyTorch has NaN)."""
    x = mg.tensor(FX[f"{name}.x"], device=device, requires_grad=True)
    ts = {}
    for k in others:
        v = FX[f"{name}.{k}"]
        ts[k] = mg.tensor(v, device=device, requires_grad=v.dtype.kind == "f")
    y = fn(x, **ts)
    y.backward(mg.tensor(FX[f"{name}.gy"], dtype=y.dtype, device=device))
    # float32: 1e-6 relative, and values below the smallest normal (1.2e-38) are equal
    # up to their lost (denormal) digits
    tol = dict(rtol=1e-6, atol=2e-38) if x.dtype == mg.float32 else dict(rtol=rtol64, atol=1e-300)
    np.testing.assert_allclose(to_numpy(y), FX[f"{name}.out"], equal_nan=True, **tol)
    np.testing.assert_allclose(to_numpy(x.grad), FX[f"{name}.grad"], equal_nan=True, **tol)
    for k, t in ts.items():
        if f"{name}.grad_{k}" in FX:
            np.testing.assert_allclose(to_numpy(t.grad), FX[f"{name}.grad_{k}"],
                                       equal_nan=True, **tol)  # fmt: skip


# ----------------------------------------------------------------------- masked gradients
MASKED = {
    "clamp_scalar": lambda t: t.clamp(min=0.0),
    "clamp_both": lambda t: t.clamp(-1.0, 1.0),
    "clamp_tensor": lambda t, lo: t.clamp(min=lo),
    "where": lambda t: mg.where(t > 0, t, 0.0),
    "maximum": lambda t, b: mg.maximum(t, b),
    "minimum": lambda t, b: mg.minimum(t, b),
    "hardtanh": lambda t: F.hardtanh(t, -1.0, 1.0),
    "relu6": F.relu6,
    "relu": mg.relu,
    "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish,
    "pow0": lambda t: t**0,
    "max_all": lambda t: t.max(),
    "min_all": lambda t: t.min(),
}
OTHERS = {"clamp_tensor": ("lo",), "maximum": ("b",), "minimum": ("b",)}


@pytest.mark.usefixtures("cpu_kernels")
@pytest.mark.parametrize("upstream", ["inf", "nan"])
@pytest.mark.parametrize("op", sorted(MASKED))
def test_masked_gradient_is_a_select(device, op, upstream):
    run(device, f"{op}_{upstream}", MASKED[op], *OTHERS.get(op, ()))


def test_clamp_then_sqrt_has_pytorch_gradient(device):
    # the example: PyTorch gives [0, inf, .354], a product gave [nan, inf, .354]
    run(device, "clamp_sqrt", lambda t: t.clamp(min=0).sqrt())


# ----------------------------------------------------------------------- ties and NaN
@pytest.mark.parametrize(
    "name, fn, others",
    [
        ("clamp_tensor_ties", lambda t, lo, hi: mg.clamp(t, lo, hi), ("lo", "hi")),
        ("clamp_tensor_min_only", lambda t, lo: mg.clamp(t, min=lo), ("lo",)),
        ("clamp_tensor_max_bcast", lambda t, hi: mg.clamp(t, max=hi), ("hi",)),
        ("maximum_nan_ties", lambda t, b: mg.maximum(t, b), ("b",)),
        ("minimum_nan_ties", lambda t, b: mg.minimum(t, b), ("b",)),
        ("clamp_scalar_nan", lambda t: t.clamp(0.0, 1.0), ()),
        ("relu_nan", mg.relu, ()),
        ("max_all_nan", lambda t: t.max(), ()),
        ("amax_nan", lambda t: t.amax(0), ()),
        ("amax_inf", lambda t: t.amax(0), ()),
        ("max_all_ties", lambda t: t.max(), ()),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
@pytest.mark.usefixtures("cpu_kernels")
def test_ties_and_nan_route_like_pytorch(device, name, fn, others):
    run(device, name, fn, *others)


NAN_INPUT = {
    "abs": mg.abs,
    "elu": F.elu,
    "selu": F.selu,
    "hardtanh": F.hardtanh,
    "relu6": F.relu6,
    "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish,
    "leaky_relu": F.leaky_relu,
    "softplus": F.softplus,
    "silu": F.silu,
}


@pytest.mark.parametrize("name", sorted(NAN_INPUT))
def test_nan_input_gradient_like_pytorch(device, name):
    # e.g. elu and hardswish pass the gradient at NaN, hardtanh and hardsigmoid do not,
    # abs gives 0 (sgn(NaN) = 0)
    # (PyTorch's float64 hardsigmoid gradient is 1/6 rounded to float32: 3e-8 off)
    run(device, f"{name}_nan_input", NAN_INPUT[name], rtol64=1e-7)


def test_clamp_tensor_bounds_gradcheck(device):
    x, lo, hi = rand(device, 3, 4), rand(device, 4) - 1, rand(device, 3, 1) + 1
    both(lambda a, b, c: mg.clamp(a, b, c), x, lo, hi)
    both(lambda a, b: mg.clamp(a, min=b), x, lo)
    both(lambda a, c: mg.clamp(a, max=c), x, hi)


def test_select_gradients_gradgradcheck(device):
    x, y = rand(device, 3, 4), rand(device, 4)
    both(lambda a: mg.where(a > 0, a * a, -a), x)
    both(lambda a, b: mg.maximum(a, b) * mg.minimum(a, b), x, y)
    both(lambda a: a.clamp(-0.5, 0.5) * a, x)
    both(lambda a: F.hardswish(a * 4) + F.hardtanh(a) * a, x)
    both(lambda a: a.max() * a.min(), x)
    both(lambda a: a**0 * a + mg.abs(a) * F.elu(a) + mg.tanh(a), x)


def test_where_bool_constant_and_scalars_keep_float32(device):
    x = mg.ones(3, device=device, requires_grad=True)
    y = mg.where(x > 0, x, 0.0)
    y.backward(mg.ones(3, device=device))
    assert y.dtype == mg.float32 and x.grad.dtype == mg.float32


# ----------------------------------------------------------------------- std
@pytest.mark.parametrize(
    "name, fn",
    [
        ("std_const", lambda t: t.std()),
        ("std_rows", lambda t: t.std(1)),
        ("std_c0_single", lambda t: t.std(correction=0)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_std_of_constant_has_zero_gradient(device, name, fn):
    run(device, name, fn)


def test_std_gradcheck(device):
    x = rand(device, 3, 4)
    both(lambda a: a.std(1), x)
    both(lambda a: a.std(), x)
    both(lambda a: mg.std(a, (0, 1), correction=0, keepdim=True), x)


# ----------------------------------------------------------------------- ignored targets
@pytest.mark.parametrize(
    "name, fn",
    [
        ("ce_all_ignored", lambda t, tg: F.cross_entropy(t, tg)),
        ("ce_all_ignored_ls", lambda t, tg: F.cross_entropy(t, tg, label_smoothing=0.1)),
        ("ce_all_ignored_w", lambda t, tg: F.cross_entropy(
            t, tg, weight=mg.arange(1.0, 5.0, dtype=mg.float64, device=t.device))),
        ("nll_all_ignored", lambda t, tg: F.nll_loss(t, tg)),
        ("ce_some_ignored", lambda t, tg: F.cross_entropy(t, tg)),
        ("nll_some_ignored_none", lambda t, tg: F.nll_loss(t, tg, reduction="none")),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)  # fmt: skip
def test_ignored_targets_get_zero_gradient(device, name, fn):
    with np.errstate(divide="ignore", invalid="ignore"):
        run(device, name, fn, "tg")


@pytest.mark.parametrize("target", [[1, -100, 3], [-100, -100, -100]], ids=["some", "all"])
@pytest.mark.parametrize("loss", ["cross_entropy", "cross_entropy_ls", "nll_loss"])
def test_ignored_targets_gradcheck(device, loss, target):
    x = rand(device, 3, 4)
    t = mg.tensor(target, device=device)
    fn = {
        "cross_entropy": lambda a: F.cross_entropy(a, t, reduction="sum"),
        "cross_entropy_ls": lambda a: F.cross_entropy(a, t, label_smoothing=0.2),
        "nll_loss": lambda a: F.nll_loss(a, t, reduction="sum"),
    }[loss]
    with np.errstate(divide="ignore", invalid="ignore"):
        both(fn, x)
    if target[0] == -100:  # the mean over no target: NaN, with a zero gradient
        x.grad = None
        with np.errstate(divide="ignore", invalid="ignore"):
            F.cross_entropy(x, t).backward(create_graph=True)
            assert not to_numpy(x.grad).any()


# ----------------------------------------------------------------------- precision in tails
TAILS = {
    "sigmoid": mg.sigmoid,
    "silu": F.silu,
    "logsigmoid": F.logsigmoid,
    "softplus": F.softplus,
    "tanh": mg.tanh,
}


@pytest.mark.parametrize("width", ["32", "64"])
@pytest.mark.parametrize("name", sorted(TAILS))
def test_sigmoid_family_tails(device, name, width):
    run(device, f"{name}_tails{width}", TAILS[name])


def test_log_of_sigmoid_in_the_tail(device):
    x = mg.tensor(FX["sigmoid_log.x"], device=device)
    np.testing.assert_allclose(to_numpy(mg.sigmoid(x).log()), FX["sigmoid_log.out"], rtol=1e-12)


def test_sigmoid_family_gradcheck(device):
    x = rand(device, 7) * 10
    for fn in (mg.sigmoid, F.silu, F.logsigmoid):
        both(fn, x)


# ----------------------------------------------------------------------- empty dimensions
def test_empty_dimension_reductions(device):
    e = mg.zeros(2, 0, dtype=mg.float64, device=device, requires_grad=True)
    np.testing.assert_array_equal(to_numpy(e.logsumexp(1)), FX["empty.logsumexp_1"])
    np.testing.assert_array_equal(to_numpy(e.logsumexp((0, 1))), FX["empty.logsumexp_all"])
    assert e.logsumexp(0).shape == tuple(FX["empty.logsumexp_0_shape"])
    assert e.softmax(1).shape == tuple(FX["empty.softmax_1_shape"])
    assert e.log_softmax(0).shape == tuple(FX["empty.log_softmax_0_shape"])
    (e.logsumexp(1).sum() + e.softmax(1).sum() + e.log_softmax(0).sum()).backward()
    assert e.grad.shape == (2, 0)


def test_empty_dimension_split_and_chunk(device):
    z = mg.zeros(0, 3, device=device, requires_grad=True)

    def shapes(pieces):
        return [tuple(p.shape) for p in pieces]

    assert shapes(z.split(2)) == [tuple(s) for s in FX["empty.split_2"]]
    assert shapes(z.split(0)) == [tuple(s) for s in FX["empty.split_0"]]
    assert shapes(z.split([0, 0])) == [tuple(s) for s in FX["empty.split_sizes"]]
    assert shapes(z.chunk(3)) == [tuple(s) for s in FX["empty.chunk_3"]]
    assert shapes(mg.zeros(3, 0, device=device).chunk(2, dim=1)) == [
        tuple(s) for s in FX["empty.chunk_dim1"]
    ]
    sum(p.sum() for p in z.chunk(3)).backward()
    assert z.grad.shape == (0, 3)
    with pytest.raises(RuntimeError, match="split_size"):
        mg.zeros(3, device=device).split(0)


def test_empty_list_index(device):
    x = mg.zeros(3, 2, device=device)
    assert x[[]].shape == tuple(FX["empty.getitem_list"])
    assert x[[], []].shape == tuple(FX["empty.getitem_tuple_lists"])


# ----------------------------------------------------------------------- indexing and view
INDEX_KEYS = {
    "int_slice_list": (0, slice(None), [0, 1]),
    "list_slice_list": ([0, 1], slice(None), [0, 1]),
    "slice_int_list": (slice(None), 0, [0, 1]),
    "int_none_slice_list": (0, None, slice(None), [1, 2]),
    "int_ellipsis_list": (1, Ellipsis, [0, 1]),
    "ellipsis_int_list": (Ellipsis, 0, [1, 2]),
    "int_list2d_list": (0, [[0], [1]], [1, 2]),
    "int_slice_mask": (0, slice(None), [True, False, True, False]),
    "list_slice_int": ([1, 0], slice(None), 2),
    # an Ellipsis that stands for no dimension does not separate the array indices
    "slice_mask_empty_ellipsis_list": (slice(0, 1), [False, True, True], Ellipsis, [0, 3]),
    "list_ellipsis_list": ([1, 0], Ellipsis, [0, 3]),
    "int_bool_list": (0, True, [0, 1]),
    "ellipsis_bool_int_list": (Ellipsis, True, 0, [1, 2]),
}


@pytest.mark.parametrize("key", sorted(INDEX_KEYS))
def test_advanced_indexing_follows_pytorch(device, key):
    k = INDEX_KEYS[key]
    run(device, f"index_{key}", lambda t: t[k])
    # a 0-d integer tensor counts as an integer, as in PyTorch
    if isinstance(k[0], int):
        k0 = (mg.tensor(k[0], device=device),) + k[1:]
        run(device, f"index_{key}", lambda t: t[k0])


@pytest.mark.parametrize("key", sorted(INDEX_KEYS))
def test_item_assignment_follows_pytorch(device, key):
    k = INDEX_KEYS[key]
    x = mg.tensor(FX[f"index_{key}.x"], device=device)
    shape = FX[f"index_{key}.out"].shape
    x[k] = mg.arange(float(np.prod(shape)), dtype=mg.float64, device=device).reshape(shape) + 100
    np.testing.assert_array_equal(to_numpy(x), FX[f"setitem_{key}"])
    # recorded in the graph (index_put): the value's gradient has its own shape
    x = mg.tensor(FX[f"index_{key}.x"], device=device, requires_grad=True)
    v = mg.ones(shape, dtype=mg.float64, device=device, requires_grad=True)
    y = x * 1
    y[k] = v * 2
    y.sum().backward()
    assert v.grad.shape == shape
    np.testing.assert_array_equal(to_numpy(v.grad), 2.0)  # every value element landed once


def test_two_ellipses_are_refused(device):
    x = mg.zeros(2, 3, 4, device=device)
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ..., [1]]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ..., [1]] = 1.0


def test_advanced_indexing_gradgradcheck(device):
    x = rand(device, 2, 3, 4)
    both(lambda a: a[0, :, [0, 1, 1]] ** 2, x)
    both(lambda a: a[1, ..., mg.tensor([3, 0])] * a[:, 0, [1, 2]].sum(), x)


VIEWS = {
    "transpose01_3x8": (lambda b: b.transpose(0, 1), (3, 8)),
    "transpose12_2x12": (lambda b: b.transpose(1, 2), (2, 12)),
    "transpose12_split": (lambda b: b.transpose(1, 2), (2, 4, 3)),
    "step2_last_6x2": (lambda b: b[:, :, ::2], (6, 2)),
    "step2_last_flat": (lambda b: b[:, :, ::2], (12,)),
    "step2_mid_2x8": (lambda b: b[:, ::2], (2, 8)),
    "step2_mid_flat": (lambda b: b[:, ::2], (16,)),
    "permute_4x6": (lambda b: b.permute(2, 0, 1), (4, 6)),
    "transpose_slice_3x4": (lambda b: b.transpose(0, 1)[:, :1], (3, 4)),
    "expand_split_last": (lambda b: mg.arange(3.0).reshape(3, 1).expand(3, 4), (3, 2, 2)),
    "expand_flat": (lambda b: mg.arange(3.0).reshape(3, 1).expand(3, 4), (12,)),
    "step2_last_infer": (lambda b: b[:, :, ::2], (-1, 2)),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_accepts_what_pytorch_views(name):
    make, shape = VIEWS[name]
    t = make(mg.arange(24.0).reshape(2, 3, 4))
    if bool(FX[f"view_{name}.ok"]):
        np.testing.assert_array_equal(to_numpy(t.view(shape)), FX[f"view_{name}.out"])
        np.testing.assert_array_equal(to_numpy(t.view(*shape)), FX[f"view_{name}.out"])
    else:
        with pytest.raises(RuntimeError, match="view.*reshape"):
            t.view(shape)


def test_view_gradient_and_size_errors(device):
    x = rand(device, 4, 6)
    both(lambda a: a[:, ::2].view(12) * 2, x)
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        x.view(5, 5)


# ----------------------------------------------------------------------- replicate padding
def test_replicate_pad_wider_than_dimension(device):
    run(device, "pad_replicate_wide", lambda t: F.pad(t, (3, 4), mode="replicate"))
    run(device, "pad_replicate_wide_2d", lambda t: F.pad(t, (4, 1, 3, 5), mode="replicate"))
    both(lambda a: F.pad(a, (3, 2, 0, 4), mode="replicate") ** 2, rand(device, 1, 2, 2))


@pytest.mark.parametrize("k, widths", list(enumerate([(-1, 2), (2, -1), (-2, -1), (-3, 1)])))
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_negative_pad_widths_crop_then_pad(device, mode, k, widths):
    # PyTorch crops first; circular padding then wraps the cropped tensor
    run(device, f"pad_negative_{mode}_{k}", lambda t: F.pad(t, widths, mode=mode))
    both(lambda a: F.pad(a, widths, mode=mode) ** 2, rand(device, 1, 2, 5))


def test_conv_replicate_padding_wider_than_input(device):
    conv = nn.Conv1d(1, 2, 3, padding=4, padding_mode="replicate", dtype=mg.float64, device=device)
    conv.weight._data[...] = conv.weight.xp.asarray(FX["conv_replicate.weight"])
    conv.bias._data[...] = conv.bias.xp.asarray(FX["conv_replicate.bias"])
    y = conv(mg.tensor(FX["conv_replicate.x"], device=device))
    np.testing.assert_allclose(to_numpy(y), FX["conv_replicate.out"], rtol=1e-12)


def test_other_pad_modes_still_limit_widths(device):
    x = mg.zeros(1, 1, 2, device=device)
    with pytest.raises(ValueError, match="reflect.*at most 1"):
        F.pad(x, (2, 0), mode="reflect")
    with pytest.raises(ValueError, match="circular.*at most 2"):
        F.pad(x, (3, 0), mode="circular")
    with pytest.raises(ValueError, match="replicate.*non-empty"):
        F.pad(mg.zeros(1, 1, 0, device=device), (1, 1), mode="replicate")


# ----------------------------------------------------------------------- clear errors
def test_where_shapes_that_do_not_broadcast(device):
    c = mg.ones(2, device=device) > 0
    with pytest.raises(RuntimeError, match=r"where: .*\(2,\).*\(3,\).*\(4,\).*broadcast"):
        mg.where(c, mg.ones(3, device=device), mg.ones(4, device=device))


def test_clamp_bounds_that_do_not_broadcast(device):
    with pytest.raises(RuntimeError, match=r"clamp: .*\(2, 3\).*\(4,\).*broadcast"):
        mg.clamp(mg.ones(2, 3, device=device), min=mg.zeros(4, device=device))


@pytest.mark.parametrize("bad", [5, -1])
def test_gather_index_out_of_range(device, bad):
    x = mg.ones(2, 2, device=device)
    with pytest.raises(RuntimeError, match=rf"gather: index {bad} is out of bounds for "
                                           r"dimension 1 with size 2.*\(2, 2\)"):  # fmt: skip
        mg.gather(x, 1, mg.tensor([[0, bad], [0, 0]], device=device))


def test_binary_cross_entropy_near_0_and_1(device):
    run(device, "bce_tails", lambda t, y: F.binary_cross_entropy(t, y, reduction="none"), "y")
    p = mg.sigmoid(rand(device, 5)).detach().requires_grad_()
    y = mg.sigmoid(rand(device, 5)).detach().requires_grad_()
    both(lambda a, b: F.binary_cross_entropy(a, b), p, y)


def test_shape_and_dim_errors_name_the_op(device):
    x = mg.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"reshape: shape \[-2, 3\] is invalid"):
        x.reshape(-2, 3)
    with pytest.raises(RuntimeError, match="expand: -1 is not allowed for a new leading"):
        mg.ones(3, device=device).expand(-1, 3)
    for op in ("sum", "mean", "var", "std", "amax", "amin", "argmax", "logsumexp", "softmax"):
        with pytest.raises(IndexError, match=f"{op}: dimension out of range"):
            getattr(x, op)(5)
    with pytest.raises(RuntimeError, match="sum: dim 0 appears multiple times"):
        x.sum((0, -2))
    with pytest.raises(RuntimeError, match="softmax: expected a floating point tensor, got int64"):
        mg.tensor([1, 2], device=device).softmax(0)
    assert mg.softmax(mg.tensor([1, 2], device=device), 0, dtype=mg.float32).dtype == mg.float32


@pytest.mark.parametrize(
    "call",
    [
        lambda x, w: F.binary_cross_entropy_with_logits(x, x, weight=w),
        lambda x, w: F.binary_cross_entropy_with_logits(x, x, pos_weight=w),
        lambda x, w: F.binary_cross_entropy(x * 0.5, x * 0.5, weight=w),
    ],
    ids=["bce_logits_weight", "bce_logits_pos_weight", "bce_weight"],
)
def test_loss_weights_that_do_not_broadcast(device, call):
    x, w = mg.ones(2, 3, device=device), mg.ones(4, device=device)
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*\(4,\) cannot be broadcast to "
                                         r"the input shape \(2, 3\)"):  # fmt: skip
        call(x, w)


def test_dtype_errors_name_the_op(device):
    with pytest.raises(RuntimeError, match="pow: .*int64.*negative integer powers"):
        mg.tensor([2], device=device) ** -1
    with pytest.raises(RuntimeError, match="logical_and: .*float32.*bool or integer"):
        mg.tensor([2.0], device=device) & mg.tensor([1.0], device=device)
    with pytest.raises(RuntimeError, match="logical_not.*float32"):
        ~mg.tensor([2.0], device=device)


# ----------------------------------------------------------------------- norms with eps=0
NORMS = {
    "layer": lambda: nn.LayerNorm((4, 3, 3), eps=0.0),
    "group": lambda: nn.GroupNorm(2, 4, eps=0.0),
    "instance": lambda: nn.InstanceNorm2d(4, eps=0.0, affine=True),
    "rms": lambda: nn.RMSNorm((4, 3, 3), eps=0.0),
    "batch": lambda: nn.BatchNorm2d(4, eps=0.0),
}


@pytest.mark.usefixtures("cpu_kernels")
@pytest.mark.parametrize("norm", sorted(NORMS))
def test_norm_eps0_constant_group_is_nan(device, norm):
    # PyTorch: a constant group with eps=0 has variance 0, 1/sqrt(0) = inf, 0 * inf = NaN
    m = NORMS[norm]().to(device)
    fill = 0.0 if norm == "rms" else 2.0
    x = mg.full((2, 4, 3, 3), fill, device=device, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = m(x)
        y.sum().backward()
    assert np.isnan(to_numpy(y)).all()
    assert np.isnan(to_numpy(x.grad)).all()


# ----------------------------------------------------------------------- type promotion
def _operand(name, device):
    return {
        "i64": lambda: mg.tensor([1, 2], device=device),
        "i32": lambda: mg.tensor([1, 2], dtype=mg.int32, device=device),
        "b": lambda: mg.tensor([True, False], device=device),
        "f32": lambda: mg.tensor([1.0, 2.0], device=device),
        "f64": lambda: mg.tensor([1.0, 2.0], dtype=mg.float64, device=device),
        "f64_0d": lambda: mg.tensor(1.5, dtype=mg.float64, device=device),
        "f32_0d": lambda: mg.tensor(1.5, device=device),
        "i64_0d": lambda: mg.tensor(3, device=device),
        "py_f": lambda: 1.5,
        "py_i": lambda: 2,
        "py_b": lambda: True,
    }[name]()


def test_type_promotion_is_pytorchs(device):
    # NumPy would give float64 for int64 * float32, int / int, float32 * float64 0-d, exp(int)
    ops = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "maximum": mg.maximum,
        "where": lambda a, b: mg.where(mg.tensor([True, False], device=device), a, b),
        "cat": lambda a, b: mg.cat([a, b]),
        "clamp": lambda a, b: a.clamp(min=b),
    }
    wrong = []
    for case, want in zip(FX["promotion.cases"], FX["promotion.dtypes"]):
        op, *names = str(case).split(":")
        args = [_operand(n, device) for n in names]
        with np.errstate(divide="ignore", invalid="ignore"):  # (log(0), x / False)
            got = (getattr(mg, op)(*args) if len(args) == 1 else ops[op](*args)).dtype
        if str(got) != str(want):
            wrong.append(f"{case}: {got} (PyTorch {want})")
    assert not wrong, wrong


def test_promoted_operands_get_gradients_in_their_own_dtype(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    s = mg.tensor(3.0, dtype=mg.float64, device=device, requires_grad=True)
    y = x * s  # PyTorch: float32 (a 0-d float64 does not promote a float32 tensor)
    y.sum().backward()
    assert y.dtype == mg.float32 and x.grad.dtype == mg.float32 and s.grad.dtype == mg.float64
    np.testing.assert_allclose(to_numpy(s.grad), 3.0)
    z = mg.cat([x, mg.tensor([5, 6], device=device)])
    z.sum().backward()
    assert z.dtype == mg.float32 and x.grad.dtype == mg.float32


def test_cat_skips_legacy_empty_tensors(device):
    y = mg.cat([mg.zeros(0, device=device), mg.ones(2, 3, device=device)])
    assert y.shape == tuple(FX["cat_legacy_empty.shape"])
