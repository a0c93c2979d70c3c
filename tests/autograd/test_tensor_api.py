"""The PyTorch Tensor API a ported script hits first: sorting, running sums and
products, scatter/index ops, rearranging, triangles, masks, norms, einsum, counting,
closeness, the ``new_*`` factories, in-place forms and ``inference_mode``.

Values and gradients are checked against PyTorch fixtures
(``tests/fixtures/make_tensor_api_fixtures.py``), every differentiable op by finite
differences to second order (float64), and errors by their messages.
"""

import math

import numpy as np
import pytest
from conftest import load_fixture, to_numpy
from opcheck import F64, both, rand

import minigrad as mg
from minigrad.autograd import gradcheck

FX = load_fixture("tensor_api")


def _t(a, like):
    """A constant (index or mask) tensor on ``like``'s device."""
    return mg.tensor(np.asarray(a), device=like.device)


IDX = FX["scatter.index"]
MASK = FX["mask34"]

# The same calls as the fixture script, in minigrad (constants moved to the device).
CASES = {
    "sort_ties": lambda t: t.sort(1).values,
    "sort_ties_desc": lambda t: t.sort(1, descending=True).values,
    "sort_x235_dim1": lambda t: t.sort(dim=1).values,
    "topk_2": lambda t: t.topk(2).values,
    "topk_small_dim0": lambda t: t.topk(2, dim=0, largest=False).values,
    "cumsum_1": lambda t: t.cumsum(1),
    "cumsum_0": lambda t: t.cumsum(dim=0),
    "cumprod_1": lambda t: t.cumprod(1),
    "cumprod_zeros": lambda t: t.cumprod(1),
    "cumprod_zeros_dim0": lambda t: t.cumprod(0),
    "prod_1": lambda t: t.prod(1),
    "prod_all": lambda t: t.prod(),
    "prod_zeros_keep": lambda t: t.prod(1, keepdim=True),
    "prod_zeros_dim0": lambda t: t.prod(0),
    "diff_2": lambda t: t.diff(n=2, dim=1),
    "diff_prepend": lambda t, p: mg.diff(t, dim=0, prepend=p),
    "flip_01": lambda t: t.flip(0, 1) * t.flip(1),
    "roll_dims": lambda t: t.roll((1, -2), (0, 2)),
    "roll_flat": lambda t: t.roll(3),
    "repeat": lambda t: t.repeat(2, 1, 3),
    "tile": lambda t: t.tile((2,)),
    "repeat_interleave": lambda t: t.repeat_interleave(_t([2, 0, 1], t), dim=0),
    "narrow": lambda t: t.narrow(-1, 1, 3),
    "unbind": lambda t: t.unbind(1)[1] * t.unbind(1)[2],
    "movedim": lambda t: t.movedim((0, 2), (2, 0)),
    "tril_1": lambda t: t.tril(1),
    "triu_m1_batch": lambda t: t.triu(-1),
    "masked_fill": lambda t: t.masked_fill(_t(MASK, t), -1.5),
    "masked_fill_tensor": lambda t, v: t.masked_fill(_t(MASK, t), v),
    "masked_fill_bcast": lambda t: t.masked_fill(_t(MASK[:1], t), 2.0),
    "masked_select": lambda t: t.masked_select(_t(MASK, t)),
    "scatter_src": lambda t, s: t.scatter(0, _t(IDX, t), s),
    "scatter_value": lambda t: t.scatter(1, _t([[0], [3], [1]], t), 7.0),
    "scatter_add": lambda t, s: t.scatter_add(0, _t(IDX, t), s),
    "scatter_add_dim1": lambda t, s: t.scatter_add(1, _t([[0, 0, 3], [1, 1, 1], [2, 3, 2]], t), s),
    "index_select": lambda t: t.index_select(1, _t([3, 0, 3], t)),
    "index_add": lambda t, s: t.index_add(0, _t([2, 0, 2], t), s, alpha=0.5),
    "norm_fro": lambda t: t.norm(),
    "norm_2_dim1": lambda t: t.norm(dim=1),
    "norm_1": lambda t: t.norm(p=1, dim=0, keepdim=True),
    "norm_3": lambda t: t.norm(p=3, dim=(0, 2)),
    "norm_half": lambda t: t.norm(p=0.5, dim=1),
    "norm_inf_ties": lambda t: t.norm(p=float("inf"), dim=1),
    "norm_ninf": lambda t: t.norm(p=float("-inf"), dim=0),
    "norm_zero_row": lambda t: t.norm(dim=1),
    "norm_3_zero_row": lambda t: t.norm(p=3, dim=1),
    "einsum_mm": lambda a, b: mg.einsum("ij,jk->ik", a, b),
    "einsum_batched": lambda a, b: mg.einsum("bij,bkj->bik", a, b),
    "einsum_implicit": lambda a, b, c: mg.einsum("ij,jk,k", a, b, c),
    "einsum_diag": lambda a: mg.einsum("ii->i", a),
    "einsum_trace": lambda a: mg.einsum("ii", a),
    "einsum_ellipsis": lambda a, b: mg.einsum("...ij,...j->...i", a, b),
    "einsum_outer_sum": lambda a, b: mg.einsum("ij,k->ik", a, b),
    "remainder": lambda a, b: mg.remainder(a, b),
    "fmod": lambda a, b: mg.fmod(a, b),
    "log1p": mg.log1p,
    "expm1": mg.expm1,
    "exp2": mg.exp2,
    "log2": mg.log2,
    "log10": mg.log10,
    "logit": mg.logit,
    "logit_eps": lambda t: mg.logit(t, eps=0.2),
    "xlogy": mg.xlogy,
    "reciprocal": mg.reciprocal,
    "nan_to_num": lambda t: mg.nan_to_num(t, nan=0.5, posinf=9.0, neginf=-8.0),
    "mm": mg.mm,
    "bmm": mg.bmm,
    "mv": mg.mv,
    "dot": mg.dot,
    "outer": mg.outer,
    "addmm": lambda i, a, b: mg.addmm(i, a, b, beta=0.5, alpha=2.0),
    "tensordot": lambda a, b: mg.tensordot(a, b, dims=([1, 2], [0, 1])),
    "diagonal_off1": lambda t: t.diagonal(1),
    "diagonal_dims": lambda t: t.diagonal(-1, 0, 2),
    "diag_embed": lambda t: mg.diag_embed(t, offset=1, dim1=0, dim2=2),
    "diag_vec": lambda t: mg.diag(t, -1),
    "trace": mg.trace,
    "median_all": lambda t: t.median(),
    "median_dim": lambda t: t.median(1).values,
    "kthvalue": lambda t: t.kthvalue(2, 0, keepdim=True).values,
    "cummax": lambda t: t.cummax(1).values,
    "cummin": lambda t: t.cummin(0).values,
    "take_along_dim": lambda t: mg.take_along_dim(t, _t([[0, 2, 1, 0]], t), 0),
    "take_along_dim_flat": lambda t: mg.take_along_dim(t, _t([5, 0, 5], t)),
    "lerp": lambda a, b, w: mg.lerp(a, b, w),
    "addcmul": lambda a, b, c: mg.addcmul(a, b, c, value=0.5),
    "addcdiv": lambda a, b, c: mg.addcdiv(a, b, c, value=-2.0),
    "hstack": lambda a, b: mg.hstack([a, b]),
    "vstack": lambda a, b: mg.vstack([a, b]),
    "dstack": lambda a, b: mg.dstack([a, b]),
    "column_stack": lambda a, b: mg.column_stack([a, b]),
    "meshgrid_xy": lambda a, b: (
        mg.meshgrid(a, b, indexing="xy")[0] * mg.meshgrid(a, b, indexing="xy")[1] ** 2
    ),
    "broadcast_tensors": lambda a, b: mg.broadcast_tensors(a, b)[0] * mg.broadcast_tensors(a, b)[1],
    "cartesian_prod": mg.cartesian_prod,
    "cdist": lambda a, b: mg.cdist(a, b),
    "cdist_p1_batch": lambda a, b: mg.cdist(a, b, p=1.0),
    "dist": lambda a, b: mg.dist(a, b, p=3),
    "unfold": lambda t: t.unfold(2, 2, 2),
    "unfold_overlap": lambda t: t.unfold(1, 3, 1) ** 2,
    "index_fill": lambda t: t.index_fill(1, _t([0, 3], t), -2.0) * t,
    "tan": mg.tan,
    "asin": mg.asin,
    "acos": lambda t: t.acos(),
    "atan": mg.arctan,
    "sinh": mg.sinh,
    "cosh": lambda t: t.cosh(),
    "asinh": mg.asinh,
    "atanh": mg.atanh,
    "acosh": mg.acosh,
    "atan2": lambda a, b: a.atan2(b),
    "hypot": mg.hypot,
}
CASES.update(
    {
        "quantile_dim1": lambda t: mg.quantile(t, _t(np.array([0.25, 0.5, 0.9]), t), dim=1),
        "quantile_all": lambda t: t.quantile(0.4),
        "quantile_nearest_keep": lambda t: t.quantile(
            0.3, dim=0, keepdim=True, interpolation="nearest"
        ),
        "quantile_midpoint": lambda t: t.quantile(0.5, dim=1, interpolation="midpoint"),
        "logaddexp": mg.logaddexp,
        "take": lambda t: mg.take(t, _t([[0, 11], [5, 5]], t)),
    }
)
for _red in ("sum", "mean", "amax", "amin"):
    for _inc in (True, False):
        CASES[f"scatter_reduce_{_red}_{int(_inc)}"] = lambda t, s, red=_red, inc=_inc: (
            t.scatter_reduce(1, _t(FX["scatter_reduce.index"], t), s, red, include_self=inc)
        )


def test_every_fixture_case_is_checked():
    stored = {k.rsplit(".", 1)[0] for k in FX.files if k.endswith(".w")}
    assert stored == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_pytorch(device, name):
    n = sum(1 for k in FX.files if k.startswith(name + ".x"))
    xs = [mg.tensor(FX[f"{name}.x{i}"], device=device, requires_grad=True) for i in range(n)]
    y = CASES[name](*xs)
    np.testing.assert_allclose(to_numpy(y), FX[f"{name}.out"], rtol=1e-10, atol=1e-12)
    grads = mg.grad((y * mg.tensor(FX[f"{name}.w"], device=device)).sum(), xs)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(to_numpy(g), FX[f"{name}.g{i}"], rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------- finite differences
# Random inputs away from ties and kinks; squares make the second derivative depend on the
# op's own backward.
GRAD_CASES = {
    "sort": (lambda a: a.sort(1).values ** 2, [(3, 4)]),
    "sort_desc_dim0": (lambda a: a.sort(0, descending=True).values ** 2, [(3, 4)]),
    "topk": (lambda a: a.topk(2, dim=0).values ** 2, [(3, 4)]),
    "cumsum": (lambda a: a.cumsum(1) ** 2, [(3, 4)]),
    "cumprod": (lambda a: a.cumprod(0), [(3, 4)]),
    "prod_dim": (lambda a: a.prod(1), [(3, 4)]),
    "prod_all": (lambda a: a.prod(), [(2, 3)]),
    "diff": (lambda a: a.diff(dim=0) ** 2, [(3, 4)]),
    "flip": (lambda a: a.flip(1) ** 2, [(3, 4)]),
    "roll": (lambda a: a.roll(-1, 1) ** 2, [(3, 4)]),
    "repeat": (lambda a: a.repeat(2, 2) ** 2, [(2, 3)]),
    "repeat_interleave": (lambda a: a.repeat_interleave(2, dim=1) ** 2, [(2, 3)]),
    "narrow": (lambda a: a.narrow(0, 1, 2) ** 2, [(3, 4)]),
    "select": (lambda a: a.select(1, -1) ** 2, [(3, 4)]),
    "unbind": (lambda a: a.unbind(0)[0] * a.unbind(0)[1], [(2, 3)]),
    "movedim": (lambda a: a.movedim(0, 2) ** 2, [(2, 3, 2)]),
    "unflatten": (lambda a: a.unflatten(1, (2, 2)) ** 2, [(3, 4)]),
    "tril": (lambda a: a.tril() ** 2, [(3, 4)]),
    "triu": (lambda a: a.triu(1) ** 2, [(2, 3, 3)]),
    "masked_fill": (lambda a: a.masked_fill(a > 0, 0.5) * a, [(3, 4)]),
    "masked_fill_value": (lambda a, v: a.masked_fill(a > 0, v) * a, [(3, 4), ()]),
    "masked_select": (lambda a: a.masked_select(a > 0) ** 2, [(3, 4)]),
    "scatter": (lambda a, s: a.scatter(0, _t(IDX, a), s) ** 2, [(3, 4), (2, 4)]),
    "scatter_big_src": (lambda a, s: a.scatter(0, _t(IDX[:, :3], a), s) ** 2, [(3, 4), (3, 4)]),
    "scatter_value": (lambda a: a.scatter(1, _t([[1], [0], [3]], a), -1.0) ** 2, [(3, 4)]),
    "scatter_add": (lambda a, s: a.scatter_add(1, _t(IDX, a)[:, :3], s) ** 2, [(2, 4), (2, 3)]),
    "index_select": (lambda a: a.index_select(0, _t([2, 2, 0], a)) ** 2, [(3, 4)]),
    "index_add": (lambda a, s: a.index_add(1, _t([1, 1], a), s) ** 2, [(3, 4), (3, 2)]),
    "norm": (lambda a: a.norm(), [(3, 4)]),
    "norm_dim": (lambda a: a.norm(dim=0, keepdim=True), [(3, 4)]),
    "norm_p3": (lambda a: a.norm(p=3, dim=1), [(3, 4)]),
    "norm_p1": (lambda a: a.norm(p=1) ** 2, [(3, 4)]),
    "norm_inf": (lambda a: a.norm(p=math.inf, dim=1) ** 2, [(3, 4)]),
    "einsum_bmm": (lambda a, b: mg.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 2)]),
    "einsum_diag": (lambda a: mg.einsum("ii->i", a) ** 2, [(3, 3)]),
    "einsum_three": (lambda a, b, c: mg.einsum("ij,jk,k->i", a, b, c), [(2, 3), (3, 2), (2,)]),
    "einsum_bcast": (lambda a, b: mg.einsum("...i,...i->...", a, b), [(2, 3), (1, 3)]),
    "einsum_summed": (lambda a, b: mg.einsum("ij,k->j", a, b) ** 2, [(2, 3), (2,)]),
    "einsum_self": (lambda a: mg.einsum("ij,ij->", a, a), [(2, 3)]),
    "bincount": (lambda w: _t([0, 2, 2], w).bincount(w) ** 2, [(3,)]),
    "frac": (lambda a: (a * 3).frac() ** 2, [(3, 4)]),
    "remainder": (lambda a, b: (a * 3 % (b.abs() + 1)) ** 2, [(3, 4), (4,)]),
    "fmod": (lambda a, b: (a * 3).fmod(b.abs() + 1) ** 2, [(3, 4), (4,)]),
    "expm1": (lambda a: a.expm1(), [(3, 4)]),
    "log1p": (lambda a: (a.abs() + 0.1).log1p(), [(3, 4)]),
    "exp2": (lambda a: a.exp2(), [(3, 4)]),
    "log2_log10": (lambda a: (a.abs() + 0.5).log2() * (a.abs() + 0.5).log10(), [(3, 4)]),
    "logit": (lambda a: a.sigmoid().logit() ** 2, [(3, 4)]),
    "xlogy": (lambda a, b: mg.xlogy(a, b.abs() + 0.5), [(3, 4), (4,)]),
    "reciprocal": (lambda a: (a.abs() + 0.5).reciprocal(), [(3, 4)]),
    "square": (lambda a: a.square() * a, [(3, 4)]),
    "mm": (lambda a, b: a.mm(b) ** 2, [(3, 4), (4, 2)]),
    "bmm": (lambda a, b: a.bmm(b) ** 2, [(2, 2, 3), (2, 3, 2)]),
    "mv_dot_outer": (lambda a, v: a.mv(v).outer(v) * v.dot(v), [(3, 4), (4,)]),
    "addmm": (lambda i, a, b: i.addmm(a, b, beta=2, alpha=0.5) ** 2, [(2,), (3, 4), (4, 2)]),
    "tensordot": (lambda a, b: mg.tensordot(a, b, 1) ** 2, [(2, 3), (3, 2)]),
    "diagonal": (lambda a: a.diagonal(-1, 2, 0) ** 2, [(3, 2, 4)]),
    "diag_embed": (lambda a: a.diag_embed(1, 0, 1) ** 2, [(2, 3)]),
    "diag_trace": (lambda a: mg.diag(a).diag() * a.trace(), [(3, 3)]),
    "median": (lambda a: a.median(0, keepdim=True).values ** 2, [(3, 4)]),
    "kthvalue": (lambda a: a.kthvalue(3).values ** 2, [(3, 4)]),
    "cummax": (lambda a: a.cummax(1).values ** 2, [(3, 4)]),
    "cummin": (lambda a: a.cummin(0).values ** 2, [(3, 4)]),
    "take_along_dim": (lambda a: a.take_along_dim(_t([[3], [0], [3]], a), 1) ** 2, [(3, 4)]),
    "nan_to_num": (lambda a: a.nan_to_num() ** 2, [(3, 4)]),
    "lerp": (lambda a, b, w: a.lerp(b, w) ** 2, [(3, 4), (4,), (3, 1)]),
    "addcmul_addcdiv": (
        lambda a, b, c: a.addcmul(b, c).addcdiv(b, c.abs() + 1),
        [(3, 4), (4,), (3, 1)],
    ),
    "stacks": (lambda a, b: mg.hstack([a, b]) * mg.column_stack([a, b]), [(3, 2), (3, 1)]),
    "vstack_dstack": (lambda a, b: mg.vstack([a, b]).sum() * mg.dstack([a, b]), [(2,), (2,)]),
    "meshgrid": (lambda a, b: mg.meshgrid(a, b)[0] * mg.meshgrid(a, b)[1] ** 2, [(3,), (2,)]),
    "cartesian_prod": (lambda a, b, c: mg.cartesian_prod(a, b, c) ** 2, [(2,), (2,), (3,)]),
    "cdist": (lambda a, b: mg.cdist(a, b), [(3, 2), (4, 2)]),
    "cdist_p3_batch": (lambda a, b: mg.cdist(a, b, p=3), [(2, 2, 3), (2, 3, 3)]),
    "unfold": (lambda a: a.unfold(1, 3, 2) ** 2, [(2, 7)]),
    "index_fill": (lambda a: a.index_fill(0, _t([1], a), 0.5) * a, [(3, 2)]),
    "nansum_nanmean": (lambda a: a.nansum(0) * a.nanmean(1, keepdim=True), [(3, 2)]),
    "trig": (lambda a: (a.tanh() * 0.9).asin() + (a.tanh() * 0.8).acos() * a.atan(), [(3, 2)]),
    "hyperbolic": (lambda a: a.sinh() * a.cosh() + a.asinh() + (a.tanh() * 0.9).atanh(), [(3, 2)]),
    "tan_acosh": (lambda a: (a * 0.5).tan() * (a * a + 1.5).acosh(), [(3, 2)]),
    "atan2_hypot": (lambda a, b: mg.atan2(a, b) * mg.hypot(a, b), [(3, 2), (2,)]),
    "quantile": (lambda a: a.quantile(mg.tensor([0.3, 0.8]), dim=1) ** 2, [(3, 4)]),
    "logaddexp": (lambda a, b: a.logaddexp(b) ** 2, [(3, 4), (4,)]),
    "take": (lambda a: a.take(_t([1, 1, 7], a)) ** 2, [(3, 4)]),
    "scatter_reduce_sum": (
        lambda a, s: a.scatter_reduce(0, _t(IDX, a), s, "sum", include_self=False) ** 2,
        [(3, 4), (2, 4)],
    ),
    "scatter_reduce_mean": (
        lambda a, s: a.scatter_reduce(1, _t(IDX, a)[:, :3], s, "mean") ** 2,
        [(2, 4), (2, 3)],
    ),
    "scatter_reduce_amax": (
        lambda a, s: a.scatter_reduce(0, _t(IDX, a), s, "amax") ** 2,
        [(3, 4), (2, 4)],
    ),
    "scatter_reduce_amin": (
        lambda a, s: a.scatter_reduce(0, _t(IDX, a), s, "amin", include_self=False) ** 2,
        [(3, 4), (2, 4)],
    ),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradcheck_and_gradgradcheck(device, name):
    fn, shapes = GRAD_CASES[name]
    both(fn, *[rand(device, *s) for s in shapes])


@pytest.mark.parametrize(
    "fn",
    [lambda a: a.cumprod(1), lambda a: a.prod(1), lambda a: a.prod(), lambda a: a.cumprod(0)],
)
def test_products_with_zeros_are_exact(device, fn):
    x = mg.tensor([[1.5, 0.0, 2.0], [0.0, 0.0, -1.2]], dtype=F64, device=device,
                  requires_grad=True)  # fmt: skip
    both(fn, x)


def test_norm_gradient_at_zero_is_zero_not_nan(device):
    x = mg.zeros(2, 3, dtype=F64, device=device, requires_grad=True)
    for p in (2, 3, 1.5, "fro"):
        (g,) = mg.grad(x.norm(p=p, dim=1).sum(), [x])
        np.testing.assert_array_equal(to_numpy(g), 0.0)
    assert gradcheck(lambda a: a.norm(dim=1), (x,))


# ----------------------------------------------------------------------- integer results
def test_sort_and_topk_indices_match_pytorch(device):
    ties = mg.tensor(FX["ties"], device=device)
    assert to_numpy(ties.sort(1).indices).tolist() == FX["sort_ties.indices"].tolist()
    got = ties.sort(1, descending=True, stable=True).indices
    assert to_numpy(got).tolist() == FX["sort_ties_desc.indices"].tolist()
    got = mg.argsort(ties, dim=0, descending=True)
    assert to_numpy(got).tolist() == FX["argsort_ties_desc_dim0"].tolist()
    x = mg.tensor(FX["sort_x235_dim1.x0"], device=device)
    assert to_numpy(x.sort(dim=1).indices).tolist() == FX["sort_x235_dim1.indices"].tolist()
    x = mg.tensor(FX["topk_2.x0"], device=device)
    assert to_numpy(x.topk(2).indices).tolist() == FX["topk_2.indices"].tolist()
    got = mg.topk(x, 2, dim=0, largest=False).indices
    assert to_numpy(got).tolist() == FX["topk_small_dim0.indices"].tolist()
    nan = mg.tensor(FX["nan_row"], device=device)
    np.testing.assert_array_equal(to_numpy(nan.sort(1).values), FX["sort_nan.values"])
    assert to_numpy(nan.sort(1).indices).tolist() == FX["sort_nan.indices"].tolist()
    got = nan.sort(1, descending=True).indices
    assert to_numpy(got).tolist() == FX["sort_nan_desc.indices"].tolist()


def test_return_types_are_named_tuples_of_int64_indices(device):
    x = mg.randn(3, 4, device=device)
    for res, name in ((x.sort(), "sort"), (x.topk(2), "topk"), (mg.sort(x, 0), "sort")):
        assert type(res).__name__ == name and res._fields == ("values", "indices")
        values, indices = res
        assert values is res.values and indices is res.indices
        assert indices.dtype == mg.int64 and values.dtype == mg.float32
    assert mg.argsort(x).dtype == mg.int64
    s = x.sort(0)
    np.testing.assert_array_equal(to_numpy(x.gather(0, s.indices)), to_numpy(s.values))


def test_counts_nonzero_and_integer_accumulation(device):
    zeros = mg.tensor(FX["cumprod_zeros.x0"], device=device)
    assert to_numpy(zeros.nonzero()).tolist() == FX["nonzero"].tolist()
    rows, cols = zeros.nonzero(as_tuple=True)
    np.testing.assert_array_equal(
        to_numpy(zeros[rows, cols]), to_numpy(zeros)[to_numpy(zeros) != 0]
    )
    np.testing.assert_array_equal(to_numpy(zeros.norm(p=0, dim=1)), FX["norm_0"])
    b = mg.bincount(mg.tensor([0, 2, 2, 5], device=device), minlength=8)
    assert b.dtype == mg.int64 and to_numpy(b).tolist() == FX["bincount"].tolist()
    w = mg.tensor(FX["bincount_w.weights"], device=device)
    np.testing.assert_allclose(to_numpy(mg.tensor([1, 3, 1, 0], device=device).bincount(w)),
                               FX["bincount_w.out"])  # fmt: skip
    i32 = mg.tensor([[1, 2], [3, 4]], dtype=mg.int32, device=device)
    assert i32.cumsum(0).dtype == mg.int64 and i32.prod(1).dtype == mg.int64
    assert to_numpy(i32.cumsum(0)).tolist() == FX["cumsum_int"].tolist()
    assert to_numpy(i32.prod(1)).tolist() == FX["prod_int"].tolist()
    assert mg.tensor([True, True, False], device=device).sum().item() == 2


def test_scatter_with_a_larger_src_uses_its_leading_block(device):
    x = mg.tensor(FX["topk_2.x0"], device=device)
    src = mg.tensor(FX["scatter_big_src.src"], device=device)
    out = x.scatter(0, mg.tensor(IDX[:, :3], device=device), src)
    np.testing.assert_allclose(to_numpy(out), FX["scatter_big_src.out"])


def test_closeness_matches_pytorch(device):
    a = mg.tensor(FX["isclose.a"], device=device)
    b = mg.tensor(FX["isclose.b"], device=device)
    np.testing.assert_array_equal(to_numpy(mg.isclose(a, b)), FX["isclose"])
    np.testing.assert_array_equal(to_numpy(a.isclose(b, equal_nan=True)), FX["isclose_nan"])
    np.testing.assert_array_equal(to_numpy(mg.isclose(a, b, 1e-2, 1e-3)), FX["isclose_tol"])
    assert mg.allclose(a[:1], b[:1]) is True and a.allclose(b) is False
    assert mg.allclose(a[3:4], b[3:4], equal_nan=True)
    x = mg.tensor([1.0, 2.0], device=device)
    assert mg.equal(x, x.clone()) is True and x.equal(x + 1) is False
    assert not mg.equal(x, x.reshape(1, 2)) and not mg.equal(a[3:4], a[3:4])


def test_rounding_and_integer_division_match_pytorch(device):
    h = mg.tensor(FX["halves"], device=device)
    for fn in ("floor", "ceil", "round", "trunc", "frac"):
        np.testing.assert_allclose(to_numpy(getattr(h, fn)()), FX[f"{fn}.out"], rtol=1e-12)
    np.testing.assert_allclose(to_numpy(h.round(decimals=2)), FX["round_dec2.out"])
    i = mg.tensor([-7, -3, 3, 7], device=device)
    assert to_numpy(i % 3).tolist() == FX["int_mod"].tolist()
    assert to_numpy(i.fmod(3)).tolist() == FX["int_fmod"].tolist()
    assert to_numpy(i // 2).tolist() == FX["int_floordiv"].tolist()
    assert (i // 2).dtype == mg.int64 and i.floor().dtype == mg.int64
    f = mg.tensor([-7.5, -3.0, 3.0, 7.5], device=device)
    assert to_numpy(f // 2.0).tolist() == FX["float_floordiv"].tolist()
    assert (7 // mg.tensor([2, 3], device=device)).tolist() == [3, 2]
    assert (7 % mg.tensor([2, 3], device=device)).tolist() == [1, 1]
    with pytest.raises(ZeroDivisionError, match="floor_divide: integer division by zero"):
        i // 0
    x = mg.tensor([1.5, 2.5], device=device, requires_grad=True)
    (g,) = mg.grad((x.floor() + x.round() + x.ceil() + x.trunc()).sum(), [x])
    assert to_numpy(g).tolist() == [0.0, 0.0]


def test_order_statistics_and_counting_match_pytorch(device):
    x = mg.tensor(FX["median_dim.x0"], device=device)
    assert to_numpy(x.median(1).indices).tolist() == FX["median_dim.indices"].tolist()
    got = x.kthvalue(2, 0, keepdim=True).indices
    assert to_numpy(got).tolist() == FX["kthvalue.indices"].tolist()
    assert to_numpy(x.cummax(1).indices).tolist() == FX["cummax.indices"].tolist()
    y = mg.tensor(FX["cummin.x0"], device=device)
    assert to_numpy(y.cummin(0).indices).tolist() == FX["cummin.indices"].tolist()
    t = mg.tensor([1, 3, 3, 2, 5, 5, 0], device=device)
    assert to_numpy(t.cummax(0).indices).tolist() == FX["cummax_ties.indices"].tolist()
    assert to_numpy(t.cummin(0).indices).tolist() == FX["cummin_ties.indices"].tolist()
    assert type(t.cummax(0)).__name__ == "cummax" and type(x.median(0)).__name__ == "median"
    u, inv, cnt = mg.unique(mg.tensor([[3, 1, 3], [2, 7, 1]], device=device),
                            return_inverse=True, return_counts=True)  # fmt: skip
    assert to_numpy(u).tolist() == FX["unique.values"].tolist()
    assert to_numpy(inv).tolist() == FX["unique.inverse"].tolist()
    assert to_numpy(cnt).tolist() == FX["unique.counts"].tolist()
    seq = mg.tensor([[1.0, 3.0, 5.0, 7.0], [0.0, 2.0, 4.0, 6.0]], device=device)
    vals = mg.tensor([[3.0, 6.0, 9.0], [2.0, -1.0, 4.5]], device=device)
    left = mg.searchsorted(seq, vals)
    assert left.dtype == mg.int64 and to_numpy(left).tolist() == FX["searchsorted.left"].tolist()
    right = mg.searchsorted(seq, vals, right=True)
    assert to_numpy(right).tolist() == FX["searchsorted.right"].tolist()
    got = mg.bucketize(vals, seq[0], right=True)
    assert to_numpy(got).tolist() == FX["bucketize"].tolist()
    z = mg.tensor(FX["cumprod_zeros.x0"], device=device)
    assert to_numpy(mg.count_nonzero(z, dim=1)).tolist() == FX["count_nonzero"].tolist()
    np.testing.assert_allclose(to_numpy(mg.logspace(-1, 2, 5, base=2.0, device=device)),
                               FX["logspace"], rtol=1e-6)  # fmt: skip
    bad = mg.tensor([float("nan"), float("inf"), float("-inf"), 1.5], device=device)
    np.testing.assert_array_equal(to_numpy(bad.nan_to_num()), FX["nan_to_num_default.out"])


# ----------------------------------------------------------------------- semantics
def test_float32_stays_float32(device):
    x = mg.randn(3, 4, device=device, requires_grad=True)
    outs = [x.norm(), x.norm(p=3, dim=1), x.norm(p=math.inf), x.cumsum(0), x.cumprod(1),
            x.prod(), x.prod(0), mg.einsum("ij,kj->ik", x, x), x.sort().values, x.topk(1).values,
            x.masked_fill(x > 0, 1.5), x.flip(0), x.roll(1), x.tril(), x.repeat(2, 1),
            x.scatter(0, mg.zeros(1, 4, dtype=mg.int64, device=device), 0.5)]  # fmt: skip
    for o in outs:
        assert o.dtype == mg.float32, o
    (g,) = mg.grad(sum(o.sum() for o in outs), [x])
    assert g.dtype == mg.float32 and bool(mg.isfinite(g).all())


def test_module_level_forms_equal_methods(device):
    x = mg.randn(3, 4, device=device)
    idx = mg.tensor([[0, 1, 2, 0]], device=device)
    pairs = [
        (mg.sort(x, 0).values, x.sort(0).values), (mg.argsort(x), x.argsort()),
        (mg.topk(x, 2).values, x.topk(2).values), (mg.cumsum(x, 1), x.cumsum(1)),
        (mg.cumprod(x, 1), x.cumprod(1)), (mg.prod(x, 0), x.prod(0)),
        (mg.flip(x, [0]), x.flip(0)), (mg.roll(x, 1, 0), x.roll(1, 0)),
        (mg.tril(x), x.tril()), (mg.triu(x), x.triu()), (mg.norm(x), x.norm()),
        (mg.narrow(x, 1, 0, 2), x.narrow(1, 0, 2)), (mg.movedim(x, 0, 1), x.movedim(0, 1)),
        (mg.index_select(x, 0, idx[0, :2]), x.index_select(0, idx[0, :2])),
        (mg.scatter(x, 0, idx, 1.0), x.scatter(0, idx, 1.0)),
        (mg.scatter_add(x, 0, idx, x), x.scatter_add(0, idx, x)),
        (mg.masked_fill(x, x > 0, 0.0), x.masked_fill(x > 0, 0.0)),
        (mg.unbind(x)[1], x.unbind()[1]), (mg.select(x, 0, 1), x[1]),
        (mg.tile(x, (2,)), x.repeat(1, 2)), (mg.diff(x), x.diff()),
        (mg.repeat_interleave(x, 2, 0), x.repeat_interleave(2, dim=0)),
        (mg.eq(x, 0.5), x.eq(0.5)), (x.ne(x), x != x), (x.lt(0), x < 0), (x.le(0), x <= 0),
        (x.gt(0), x > 0), (x.ge(0), x >= 0), (mg.moveaxis(x, 1, 0), x.T),
    ]  # fmt: skip
    for a, b in pairs:
        assert a.shape == b.shape and mg.equal(a, b)
    assert x.eq(x).dtype == mg.bool


def test_semantics_match_pytorch(device):
    x = mg.arange(12, device=device).reshape(3, 4)
    assert x.repeat(2, 1, 1).shape == (2, 3, 4)
    assert to_numpy(x.roll(1)).reshape(-1).tolist() == [11] + list(range(11))
    assert to_numpy(x.flip(0).view(-1))[:4].tolist() == [8, 9, 10, 11]  # a contiguous copy
    assert [t.shape for t in x.unbind(1)] == [(3,)] * 4
    assert x.movedim((0, 1), (1, 0)).shape == (4, 3)
    assert x.narrow(0, -2, 2).tolist() == [[4, 5, 6, 7], [8, 9, 10, 11]]
    assert x.unflatten(1, (2, -1)).shape == (3, 2, 2)
    assert x.swapaxes(0, 1).shape == (4, 3) and x.swapdims(0, 1).shape == (4, 3)
    assert x.tril(-1).tolist() == [[0, 0, 0, 0], [4, 0, 0, 0], [8, 9, 0, 0]]
    m = mg.zeros(3, device=device).masked_fill(mg.tensor([[True], [False]], device=device), 1.0)
    assert m.shape == (2, 3)  # the mask broadcasts the input, as in PyTorch
    assert x.masked_fill(x > 5, 1.7).dtype == mg.int64  # the value is cast to the dtype
    assert x.topk(0).values.shape == (3, 0)
    assert mg.tensor(3.0, device=device).sort().values.item() == 3.0
    onehot = mg.zeros(2, 3, device=device).scatter(1, mg.tensor([[2], [0]], device=device), 1.0)
    assert onehot.tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    assert mg.einsum("ij->ji", x).tolist() == x.T.tolist()
    assert mg.einsum("ij", x.float()).shape == (3, 4)  # implicit output: letters in order
    assert mg.einsum("ji", x.float()).tolist() == x.T.float().tolist()
    assert mg.einsum("bi,bi->b", [x.float(), x.float()]).shape == (3,)  # operands as a list
    assert x.float().norm(p="fro", dim=(0, 1)).item() == pytest.approx(math.sqrt(506))


def test_empty_and_0d_shapes_follow_pytorch(device):
    z = mg.zeros(0, 3, device=device)
    assert z.sort(0).values.shape == (0, 3) and z.cumsum(0).shape == (0, 3)
    assert mg.zeros(3, 0, device=device).topk(0).values.shape == (3, 0)
    assert mg.zeros(2, 0, device=device).prod(1).tolist() == [1.0, 1.0]
    assert z.norm(dim=0).tolist() == [0.0, 0.0, 0.0] and z.unbind(0) == ()
    e = mg.einsum("ij,jk->ik", mg.zeros(2, 0, device=device), mg.zeros(0, 3, device=device))
    assert e.tolist() == [[0.0] * 3] * 2
    assert math.isnan(mg.zeros(0, device=device).median().item())
    s = mg.tensor(2.0, device=device)
    assert s.index_select(0, mg.tensor([0], device=device)).shape == ()
    assert s.scatter(0, mg.tensor(0, device=device), 1.0).item() == 1.0
    assert s.argsort().shape == () and s.kthvalue(1).values.item() == 2.0
    assert mg.zeros(3, 2, device=device).narrow(0, 3, 0).shape == (0, 2)
    assert mg.zeros(3, device=device).diff(n=5).shape == (0,)
    assert mg.zeros(0, 2, device=device).nonzero().shape == (0, 2)


# ----------------------------------------------------------------------- in place
def test_inplace_forms(device):
    x = mg.zeros(2, 3, device=device)
    assert x.masked_fill_(mg.tensor([True, False, True], device=device), 2.0) is x
    assert x.tolist() == [[2.0, 0.0, 2.0], [2.0, 0.0, 2.0]]
    x.scatter_(1, mg.tensor([[1], [1]], device=device), 5.0)
    assert x[:, 1].tolist() == [5.0, 5.0]
    x.scatter_add_(0, mg.tensor([[0, 0, 0]], device=device), mg.ones(1, 3, device=device))
    assert x[0].tolist() == [3.0, 6.0, 3.0]
    x.index_add_(0, mg.tensor([1, 1], device=device), mg.ones(2, 3, device=device), alpha=2)
    assert x[1].tolist() == [6.0, 9.0, 6.0]
    y = mg.ones(3, 3, device=device)
    assert y.tril_().sum().item() == 6 and y.triu_().sum().item() == 3
    v = x._version
    x.lerp_(mg.zeros_like(x), 0.5).addcmul_(x, x, value=0.0).addcdiv_(x, x.abs() + 1)
    assert x._version == v + 3
    w = mg.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="masked_fill_: a leaf Variable"):
        w.masked_fill_(w > 0, 0.0)
    with pytest.raises(RuntimeError, match="does not fit in place"):
        mg.zeros(3, device=device).masked_fill_(mg.tensor([[True], [False]], device=device), 1)
    with mg.no_grad():
        w.masked_fill_(mg.tensor([True, False, False], device=device), 0.0)
    assert w.tolist() == [0.0, 1.0, 1.0]


def _inplace_chain(t, v):
    u = t * 1
    u.masked_fill_(t > 0, 0.5)
    u.mul_(t)
    u[[0, 2]] = v
    u.add_(t, alpha=2).clamp_(-1.5, 1.5)
    w = u.exp()
    w.sub_(v.sum())
    return w


def test_inplace_ops_on_graph_tensors_are_recorded(device):
    """As in PyTorch, an in-place op on a tensor that is not a leaf (or with an operand
    that requires grad) is part of the graph."""
    both(_inplace_chain, rand(device, 4), rand(device, 2))
    x = mg.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    y = x * 2
    assert y.masked_fill_(mg.tensor([False, True, False], device=device), 0.0) is y
    (g,) = mg.grad(y.sum(), [x])
    assert to_numpy(g).tolist() == [2.0, 0.0, 2.0]
    acc = mg.zeros(3, device=device)  # a buffer that accumulates a graph tensor
    acc.add_(x * 3)
    assert acc.requires_grad and acc.grad_fn is not None
    h = mg.zeros(3, device=device)
    h[0:2] = x[1:] * 2
    (g,) = mg.grad((acc + h).sum(), [x])
    assert to_numpy(g).tolist() == [3.0, 5.0, 5.0]
    e = x.exp()
    e.mul_(2)  # exp's backward reads its output: the value before mul_ is kept for it
    (g,) = mg.grad(e.sum(), [x])
    np.testing.assert_allclose(to_numpy(g), 2 * np.exp([1.0, -2.0, 3.0]), rtol=1e-6)
    a = x * 1
    b = a * a  # saves a
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()
    with pytest.raises(RuntimeError, match="add_: a leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="in-place change of a view"):
        (x * 1)[0:2].mul_(2)
    with mg.no_grad():  # optimizers: plain writes, no graph
        x.add_(1)
    assert x.is_leaf and x.tolist() == [2.0, -1.0, 4.0]


def test_nan_aware_reductions_match_pytorch(device):
    x = mg.tensor(FX["nans"], device=device, requires_grad=True)
    np.testing.assert_allclose(to_numpy(mg.nansum(x, dim=1)), FX["nansum_dim1"], rtol=1e-12)
    m = x.nanmean(dim=0)
    np.testing.assert_allclose(to_numpy(m), FX["nanmean_dim0"], rtol=1e-12)
    (g,) = mg.grad(m.sum(), [x])
    np.testing.assert_allclose(to_numpy(g), FX["nanmean_dim0.grad"], rtol=1e-12)


def test_augmented_assignment_is_in_place(device):
    state = {"m": mg.zeros(2, device=device)}
    m = state["m"]
    m *= 3
    m += 2
    m -= 0.5
    m /= 3
    assert m is state["m"] and state["m"].tolist() == [0.5, 0.5]  # custom optimizers rely on it
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    h = x * 1
    h += x  # a tensor in the graph: recorded
    (g,) = mg.grad(h.sum(), [x])
    assert to_numpy(g).tolist() == [2.0, 2.0]
    v = (x * 1)[0:1]
    before = v
    v += 1  # a view of a graph tensor: the out-of-place result, rebound
    assert v is not before and v.tolist() == [2.0]
    i = mg.tensor([1, 2], device=device)
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        i += 0.5
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        i /= 2
    i += 1
    assert i.tolist() == [2, 3] and i.dtype == mg.int64


def test_set_printoptions(device):
    x = mg.tensor([1.23456, 100.5], device=device)
    try:
        mg.set_printoptions(precision=2)
        assert "1.23" in repr(x) and "1.2346" not in repr(x)
        mg.set_printoptions(sci_mode=True)
        assert "e+02" in repr(x)
        mg.set_printoptions(threshold=5, edgeitems=1)
        assert "..." in repr(mg.zeros(10, device=device))
    finally:
        mg.set_printoptions(profile="default")
    assert repr(x).startswith("tensor([  1.2346, 100.5   ]")


def test_sampling_and_index_factories(device):
    tri = mg.tril_indices(3, 4, -1, device=device)
    assert tri.dtype == mg.int64 and to_numpy(tri).tolist() == FX["tril_indices"].tolist()
    assert to_numpy(mg.triu_indices(4, 3, 1, device=device)).tolist() == FX["triu_indices"].tolist()
    w = mg.tensor([[0.0, 1.0, 0.0], [2.0, 0.0, 6.0]], device=device)
    draws = mg.multinomial(w, 400, replacement=True)
    assert draws.shape == (2, 400) and draws.dtype == mg.int64
    assert set(to_numpy(draws[0]).tolist()) == {1} and set(to_numpy(draws[1]).tolist()) <= {0, 2}
    assert 0.65 < (draws[1] == 2).float().mean().item() < 0.85  # 0.75 +- 5 std
    perm = mg.multinomial(mg.ones(5, device=device), 5)
    assert sorted(to_numpy(perm).tolist()) == [0, 1, 2, 3, 4]  # without replacement
    with pytest.raises(RuntimeError, match="without replacement"):
        mg.multinomial(w, 2)
    with pytest.raises(RuntimeError, match="non-negative"):
        mg.multinomial(mg.tensor([1.0, -1.0], device=device), 1)
    z = mg.normal(mg.zeros(4000, device=device), 2.0)
    assert z.shape == (4000,) and 1.8 < z.std().item() < 2.2
    assert mg.normal(3.0, 0.0, size=(2,), device=device).tolist() == [3.0, 3.0]
    x = mg.tensor([[1.0, -2.0], [3.0, 4.0]], device=device)
    pairs = [(mg.divide(x, 2), x / 2), (mg.true_divide(x, 2), x / 2), (mg.multiply(x, x), x * x),
             (mg.subtract(x, 1), x - 1), (mg.negative(x), -x), (mg.absolute(x), x.abs()),
             (mg.ravel(x), x.reshape(-1)), (mg.t(x), x.T)]  # fmt: skip
    for a, b in pairs:
        assert mg.equal(a, b)
    assert mg.all(x > -3).item() and not mg.any(x > 5).item()


def test_legacy_constructors():
    assert mg.Tensor([1, 2]).dtype == mg.float32 and mg.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert mg.Tensor(2, 3).shape == (2, 3) and mg.Tensor(2, 3).sum().item() == 0.0
    assert mg.Tensor().shape == (0,) and mg.Tensor((2, 3)).tolist() == [2.0, 3.0]
    a = np.ones(2)
    t = mg.Tensor(a, True)
    assert t._data is a and t.requires_grad  # an array is wrapped, as before
    assert mg.LongTensor([1, 2]).dtype == mg.int64 and mg.FloatTensor(2).shape == (2,)
    assert mg.DoubleTensor(np.array([1, 2])).dtype == F64
    assert mg.BoolTensor([1, 0]).tolist() == [True, False]
    with pytest.raises(TypeError, match="either data or sizes"):
        mg.Tensor([1], 2)


def test_bernoulli(device):
    p = mg.full((2000,), 0.3, device=device)
    draws = mg.bernoulli(p)
    assert draws.dtype == mg.float32 and set(np.unique(to_numpy(draws))) <= {0.0, 1.0}
    assert 0.25 < draws.mean().item() < 0.35  # 2000 draws: 0.3 +- 5 standard deviations
    assert mg.bernoulli(mg.tensor([0.0, 1.0], device=device)).tolist() == [0.0, 1.0]
    z = mg.zeros(2000, device=device).bernoulli_(0.8)
    assert 0.75 < z.mean().item() < 0.85
    mg.manual_seed(3)
    a = mg.bernoulli(p)
    mg.manual_seed(3)
    assert mg.equal(a, mg.bernoulli(p))


# ----------------------------------------------------------------------- errors
def test_clear_errors(device):
    x = mg.zeros(3, 4, device=device)
    i = mg.tensor([[0, 5]], device=device)
    with pytest.raises(IndexError, match="scatter: index 5 is out of bounds for dimension 1"):
        x.scatter(1, i, 1.0)
    with pytest.raises(IndexError, match="index -1 is out of bounds"):
        x.scatter_add(0, mg.tensor([[-1]], device=device), mg.ones(1, 1, device=device))
    with pytest.raises(RuntimeError, match="int32/int64 for index"):
        x.scatter(0, mg.zeros(1, 1, device=device), 1.0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.scatter(0, mg.tensor([0], device=device), 1.0)
    with pytest.raises(RuntimeError, match=r"expected index \[4, 1\] to be no larger"):
        x.scatter(0, mg.zeros(4, 1, dtype=mg.int64, device=device), mg.ones(3, 4, device=device))
    with pytest.raises(RuntimeError, match="only boolean masks"):
        x.masked_fill(mg.ones(3, 4, dtype=mg.int64, device=device), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(x > 0, mg.ones(2, device=device))
    with pytest.raises(RuntimeError, match=r"mask of shape \(2,\) does not broadcast"):
        x.masked_fill(mg.ones(2, dtype=mg.bool, device=device), 1.0)
    with pytest.raises(RuntimeError, match="topk: selected index k=5 out of range"):
        x.topk(5)
    with pytest.raises(IndexError, match="sort: dimension out of range"):
        x.sort(2)
    with pytest.raises(RuntimeError, match="repeat: number of dimensions of repeat dims"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match=r"narrow: start \(3\) \+ length \(2\) exceeds"):
        x.narrow(0, 3, 2)
    with pytest.raises(IndexError, match="select: index 4 out of range"):
        x.select(1, 4)
    with pytest.raises(RuntimeError, match="movedim: invalid source or destination"):
        x.movedim((0, 1), 0)
    with pytest.raises(RuntimeError, match="movedim: dims .* more than once"):
        x.movedim((0, 0), (0, 1))
    with pytest.raises(RuntimeError, match="roll: shifts and dims must have the same length"):
        x.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2"):
        mg.zeros(3, device=device).tril()
    with pytest.raises(RuntimeError, match="norm: input dtype should be floating point"):
        mg.ones(3, dtype=mg.int64, device=device).norm()
    with pytest.raises(RuntimeError, match="'nuc' is not supported"):
        x.norm(p="nuc")
    with pytest.raises(IndexError, match="index_select: index 3 is out of bounds"):
        x.index_select(0, mg.tensor([3], device=device))
    with pytest.raises(ValueError, match="einsum: the equation 'ij,jk' has 2 operand"):
        mg.einsum("ij,jk", x)
    with pytest.raises(ValueError, match="do not match the 2 dimensions"):
        mg.einsum("i->i", x)
    with pytest.raises(RuntimeError, match="einsum: subscript 'j' has size 3"):
        mg.einsum("ij,jk->ik", x, mg.zeros(3, 2, device=device))
    with pytest.raises(ValueError, match="output subscript 'k'"):
        mg.einsum("ij->k", x)
    with pytest.raises(RuntimeError, match="bincount: only supports 1-d non-negative"):
        mg.tensor([-1, 2], device=device).bincount()
    with pytest.raises(RuntimeError, match="unflatten: provided sizes"):
        x.unflatten(1, (3, 2))


# ----------------------------------------------------------------------- factories and modes
def test_new_factories_take_dtype_and_device_from_self(device):
    x = mg.ones(2, dtype=F64, device=device)
    for t in (x.new_zeros(2, 3), x.new_ones((2, 3)), x.new_empty(2, 3), x.new_full((2, 3), 7)):
        assert t.shape == (2, 3) and t.dtype == F64 and t.device == x.device
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.new_tensor([1, 2]).dtype == F64 and x.new_tensor([1, 2]).tolist() == [1.0, 2.0]
    t = x.new_zeros(3, dtype=mg.int64)
    assert t.dtype == mg.int64 and t.device == x.device
    assert x.new_ones(2, requires_grad=True).requires_grad
    assert x.new_ones(2).sum().item() == 2.0


def test_inference_mode(device):
    w = mg.ones(2, device=device, requires_grad=True)
    with mg.inference_mode():
        assert not mg.is_grad_enabled() and mg.is_inference_mode_enabled()
        assert not (w * 2).requires_grad
    assert mg.is_grad_enabled() and not mg.is_inference_mode_enabled()
    with mg.inference_mode(False):
        assert (w * 2).requires_grad

    @mg.inference_mode()
    def f(x):
        return w * x

    @mg.inference_mode
    def g(x):
        return w * x

    assert not f(1.0).requires_grad and not g(1.0).requires_grad
    assert (w * 2).requires_grad


def test_to_and_cuda_accept_non_blocking(device):
    x = mg.ones(2, device=device)
    assert x.to(device, non_blocking=True).device == x.device
    assert x.to(device, mg.float64, True).dtype == F64  # to(device, dtype, non_blocking)
    assert x.to(mg.float64, non_blocking=True, copy=True).dtype == F64
    assert x.to(x, non_blocking=True) is x
    assert x.to(device, mg.float32, False, True) is not x  # copy=True positionally
    assert x.cpu().device.type == "cpu"
    if device.type == "cuda":
        assert x.cuda(non_blocking=True).device == x.device


def test_audited_conveniences(device):
    x = mg.tensor([[1.0, -2.0], [0.0, 4.0]], device=device)
    assert x.type_as(mg.ones(1, dtype=mg.int64)).dtype == mg.int64
    assert x.is_floating_point() and not x.long().is_floating_point() and not x.is_complex()
    assert x.is_contiguous() and not x.T.is_contiguous()
    assert x.nelement() == 4 and x.ndimension() == 2 and x.size(-1) == 2
    assert x.square().tolist() == [[1.0, 4.0], [0.0, 16.0]]
    assert x.lerp(mg.zeros_like(x), 0.5).tolist() == [[0.5, -1.0], [0.0, 2.0]]
    assert x.where(x > 0, 0.0).tolist() == [[1.0, 0.0], [0.0, 4.0]]
    assert x.logical_and(x > 0).tolist() == [[True, False], [False, True]]
    assert x.logical_or(mg.zeros_like(x)).tolist() == [[True, True], [False, True]]
    assert x.logical_xor(x > 0).tolist() == [[False, True], [False, False]]
    assert x.logical_not().tolist() == [[False, False], [True, False]]
    assert x.argwhere().tolist() == [[0, 0], [0, 1], [1, 1]]
    assert (x.greater(0) == x.gt(0)).all() and (x.less_equal(0) == x.le(0)).all()
    y = x.clone()
    y.abs_().sqrt_().exp_().neg_()
    assert mg.is_tensor(x) and not mg.is_tensor(1.0) and mg.numel(x) == 4
    assert mg.is_floating_point(x) and mg.float is mg.float32 and mg.int is mg.int32
    assert mg.finfo(mg.float32).eps == np.finfo(np.float32).eps
    assert mg.swapaxes(x, 0, 1).tolist() == x.T.tolist() and mg.detach(x) is not x
    assert mg.logical_xor(x > 0, x < 2).tolist() == [[False, True], [True, True]]
    assert ((x > 0) ^ (x < 2)).tolist() == [[False, True], [True, True]]
    assert 4.0 in x and 5.0 not in x
    assert x.stride() == (2, 1) and x.T.stride(0) == 1 and x.data_ptr() == x[0].data_ptr()
    assert x.pin_memory() is x and not x.is_pinned() and x.share_memory_() is x
    assert x.var_mean(1)[1].tolist() == [-0.5, 2.0] and x.std_mean()[0].item() > 0
    assert x.true_divide(2).tolist() == [[0.5, -1.0], [0.0, 2.0]]
    assert x.sgn().tolist() == [[1.0, -1.0], [0.0, 1.0]]
    assert mg.atleast_1d(mg.tensor(1.0)).shape == (1,)
    assert [t.shape for t in mg.atleast_2d(mg.tensor(1.0), mg.ones(3))] == [(1, 1), (1, 3)]
    assert mg.atleast_3d([mg.ones(3)])[0].shape == (1, 3, 1)
    assert mg.fliplr(x).tolist() == [[-2.0, 1.0], [4.0, 0.0]] and mg.flipud(x)[0, 1] == 4.0
    assert mg.msort(mg.tensor([[2, 1], [1, 3]], device=device)).tolist() == [[1, 1], [2, 3]]
    assert [p.shape for p in x.split_with_sizes([1, 1], 1)] == [(2, 1), (2, 1)]
    assert x.sum_to_size(1, 2).tolist() == [[1.0, 2.0]]
    z = x.clone()
    assert z.clip_(-1, 1).tolist() == [[1.0, -1.0], [0.0, 1.0]]
    cuda = ".cuda" if device.type == "cuda" else ""
    assert x.type() == f"minigrad{cuda}.FloatTensor" and x.long().type().endswith("LongTensor")
    assert x.type("torch.DoubleTensor").dtype == F64 and x.type(mg.int32).dtype == mg.int32
    with pytest.raises(ValueError, match="unknown tensor type"):
        x.type("torch.FancyTensor")
    np.testing.assert_allclose(to_numpy(y), -np.exp(np.sqrt(np.abs(to_numpy(x)))), rtol=1e-6)


# ----------------------------------------------------------------------- a ported script
def ported_script(torch, x, wq, wk, wv, labels):
    """The snippet of tests/fixtures/make_tensor_api_fixtures.py, character for character:
    it runs with ``torch`` being PyTorch there and minigrad here."""
    b, t, d = x.shape
    q, k, v = x @ wq, x @ wk, x @ wv
    scores = torch.einsum("btd,bsd->bts", q, k) / d**0.5
    causal = torch.triu(torch.ones(t, t), diagonal=1).bool()
    scores = scores.masked_fill(causal, float("-inf"))
    att = scores.softmax(dim=-1)
    out = torch.einsum("bts,bsd->btd", att, v)
    out = out + x.flip(1).roll(1, dims=1) * 0.1
    h = out.norm(dim=-1, keepdim=True)
    out = out / h.clamp(min=1e-6)
    logits = out.sum(dim=1)
    onehot = torch.zeros_like(logits).scatter_(1, labels.unsqueeze(1), 1.0)
    top2 = logits.topk(2, dim=1)
    hit = (top2.indices == labels.unsqueeze(1)).any(dim=1).float().mean()
    loss = -(logits.log_softmax(dim=1) * onehot).sum(dim=1).mean()
    loss = loss + logits.cumsum(dim=1).pow(2).mean() * 0.01
    loss = loss + torch.tril(att[0]).diagonal().sum() * 0.1
    logits2 = logits.clone()
    logits2[:, 0] = 0.0
    logits2.mul_(0.5).add_(logits.sort(dim=1, descending=True).values)
    loss = loss + logits2.prod(dim=1).abs().mean() * 0.01 + logits2.norm(p=1) * 0.01
    return loss, hit


def test_a_ported_pytorch_snippet_matches_pytorch(device):
    names = ["x", "wq", "wk", "wv"]
    ts = [mg.tensor(FX[f"script.{n}"], device=device, requires_grad=True) for n in names]
    with mg.device(device):  # torch.ones(t, t) inside the script: the default device
        loss, hit = ported_script(mg, *ts, mg.tensor(FX["script.labels"], device=device))
    np.testing.assert_allclose(loss.item(), FX["script.loss"], rtol=1e-10)
    assert hit.item() == FX["script.hit"]
    loss.backward()
    for n, t in zip(names, ts):
        np.testing.assert_allclose(to_numpy(t.grad), FX[f"script.grad_{n}"], rtol=1e-8, atol=1e-12)


def test_format_spec_of_a_scalar_tensor(device):
    """``f"{loss:.4f}"`` works on a 0-d tensor, as in PyTorch; other tensors refuse a
    format spec and format as their repr without one."""
    t = mg.tensor(3.14159, device=device)
    assert f"{t:.2f}" == "3.14" and f"{mg.tensor(7, device=device):>3}" == "  7"
    v = mg.tensor([1.0, 2.0], device=device)
    assert f"{v}" == repr(v)
    with pytest.raises(TypeError, match="only 0-d tensors take a format"):
        f"{v:.2f}"
