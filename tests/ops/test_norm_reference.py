"""The fused norms against references composed from primitive tensor ops.

Each reference below is the textbook definition written with ``mean``, ``sqrt`` and
broadcasting arithmetic, so autograd differentiates it op by op. The fused versions
(one :class:`~minigrad.ops.nn.norm.norm_core.Normalize` node with a closed-form, twice
differentiable backward) must agree with it in value, in first derivatives and in
second derivatives with respect to every input.
"""

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad.ops.nn.norm import norm as F

# every test here runs on NumPy's CPU path and on the compiled kernels (minigrad.jit)
pytestmark = pytest.mark.usefixtures("cpu_kernels")


# ----------------------------------------------------------------------- references
def ref_normalize(x, axes, eps, center=True):
    if center:
        x = x - x.mean(axes, keepdim=True)
    var = (x * x).mean(axes, keepdim=True)
    return x / (var + eps).sqrt()


def channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def ref_batch_norm(x, w, b, eps=1e-5):
    y = ref_normalize(x, (0,) + tuple(range(2, x.ndim)), eps)
    return _affine(y, w, b, channel_shape(x))


def ref_layer_norm(x, ns, w, b, eps=1e-5):
    y = ref_normalize(x, tuple(range(x.ndim - len(ns), x.ndim)), eps)
    return _affine(y, w, b, ns)


def ref_rms_norm(x, ns, w, eps):
    y = ref_normalize(x, tuple(range(x.ndim - len(ns), x.ndim)), eps, center=False)
    return _affine(y, w, None, ns)


def ref_group_norm(x, groups, w, b, eps=1e-5):
    n = x.shape[0]
    y = ref_normalize(x.reshape(n, groups, -1), (2,), eps).reshape(x.shape)
    return _affine(y, w, b, channel_shape(x))


def ref_instance_norm(x, w, b, eps=1e-5):
    y = ref_normalize(x, tuple(range(2, x.ndim)), eps)
    return _affine(y, w, b, channel_shape(x))


def _affine(y, w, b, shape):
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


# ----------------------------------------------------------------------- cases
def _cases():
    """(name, fused fn, reference fn, input shape, weight shape or None, has bias)."""
    return [
        ("batch_norm_1d", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
         ref_batch_norm, (5, 3), (3,), True),
        ("batch_norm_2d", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
         ref_batch_norm, (3, 2, 3, 2), (2,), True),
        ("batch_norm_2d_noaffine", lambda x, w, b: F.batch_norm(x, None, None, None, None, True),
         lambda x, w, b: ref_batch_norm(x, None, None), (3, 2, 2, 2), None, False),
        ("layer_norm", lambda x, w, b: F.layer_norm(x, (2, 3), w, b),
         lambda x, w, b: ref_layer_norm(x, (2, 3), w, b), (3, 2, 3), (2, 3), True),
        ("layer_norm_nobias", lambda x, w, b: F.layer_norm(x, (3,), w, None),
         lambda x, w, b: ref_layer_norm(x, (3,), w, None), (4, 3), (3,), False),
        ("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b),
         lambda x, w, b: ref_group_norm(x, 2, w, b), (2, 4, 3), (4,), True),
        ("group_norm_wide", lambda x, w, b: F.group_norm(x, 2, w, b),
         lambda x, w, b: ref_group_norm(x, 2, w, b), (3, 4, 3, 3), (4,), True),
        ("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
         ref_instance_norm, (2, 3, 2, 2), (3,), True),
        ("rms_norm", lambda x, w, b: F.rms_norm(x, (2, 3), w, eps=1e-6),
         lambda x, w, b: ref_rms_norm(x, (2, 3), w, 1e-6), (3, 2, 3), (2, 3), False),
    ]  # fmt: skip


CASES = _cases()


def _inputs(device, shape, wshape, has_bias, seed=0):
    rng = np.random.default_rng(seed)

    def t(s, scale=1.0, shift=0.0):
        a = rng.standard_normal(s) * scale + shift
        return minigrad.tensor(a, dtype=minigrad.float64, device=device, requires_grad=True)

    x = t(shape, 2.0, 0.7)
    w = t(wshape, 0.5, 1.0) if wshape else None
    b = t(wshape) if has_bias else None
    return x, w, b


def _grads(out, wrt, seed, create_graph=False):
    gy = minigrad.tensor(
        np.random.default_rng(seed).standard_normal(out.shape),
        dtype=out.dtype,
        device=out.device,
    )
    return minigrad.grad(out, wrt, gy, create_graph=create_graph, allow_unused=True)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_fused_matches_reference(case, device):
    name, fused, ref, shape, wshape, has_bias = case
    x, w, b = _inputs(device, shape, wshape, has_bias)
    wrt = [t for t in (x, w, b) if t is not None]
    yf, yr = fused(x, w, b), ref(x, w, b)
    np.testing.assert_allclose(to_numpy(yf), to_numpy(yr), rtol=1e-10, atol=1e-10)

    # first derivatives
    gf = _grads(yf, wrt, 1, create_graph=True)
    gr = _grads(yr, wrt, 1, create_graph=True)
    for a, r in zip(gf, gr):
        np.testing.assert_allclose(to_numpy(a), to_numpy(r), rtol=1e-9, atol=1e-10)

    # second derivatives: gradient of a random projection of every first derivative
    def project(gs):
        rng = np.random.default_rng(2)
        total = None
        for g in gs:
            v = minigrad.tensor(rng.standard_normal(g.shape), device=device)
            term = (g * v).sum()
            total = term if total is None else total + term
        return total

    hf = minigrad.grad(project(gf), wrt, allow_unused=True)
    hr = minigrad.grad(project(gr), wrt, allow_unused=True)
    for a, r in zip(hf, hr):
        if r is None:
            assert a is None or np.allclose(to_numpy(a), 0)
            continue
        np.testing.assert_allclose(to_numpy(a), to_numpy(r), rtol=1e-8, atol=1e-9)


def test_batch_renorm_matches_formula(device):
    """Training batch renorm equals Ioffe's formula with r and d held constant."""
    rng = np.random.default_rng(3)
    f64 = minigrad.float64

    def t(a, grad=False):
        return minigrad.tensor(a, dtype=f64, device=device, requires_grad=grad)

    xa = rng.standard_normal((6, 3, 2)) * 2 + 1
    x, w, b = t(xa, True), t(rng.standard_normal(3), True), t(rng.standard_normal(3), True)
    rm, rv = t([0.5, -0.2, 0.1]), t([0.5, 3.0, 1.0])
    rm0, rv0 = to_numpy(rm).copy(), to_numpy(rv).copy()
    y = F.batch_renorm(x, rm, rv, w, b, training=True, momentum=0.2, rmax=1.5, dmax=0.3)

    mu = xa.mean(axis=(0, 2))
    var = xa.var(axis=(0, 2))
    sigma_b, sigma = np.sqrt(var + 1e-5), np.sqrt(rv0 + 1e-5)
    r = np.clip(sigma_b / sigma, 1 / 1.5, 1.5)
    d = np.clip((mu - rm0) / sigma, -0.3, 0.3)
    assert (r == 1.5).any() or (r == 1 / 1.5).any()  # the clipping is exercised
    assert (np.abs(d) == 0.3).any()
    c = (1, 3, 1)
    want = ((xa - mu.reshape(c)) / sigma_b.reshape(c) * r.reshape(c) + d.reshape(c)) * to_numpy(
        w
    ).reshape(c) + to_numpy(b).reshape(c)
    np.testing.assert_allclose(to_numpy(y), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy(rm), 0.8 * rm0 + 0.2 * mu, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(rv), 0.8 * rv0 + 0.2 * var * 12 / 11, rtol=1e-12)

    # gradient: the same as the reference with r, d constants
    r_t, d_t = t(r), t(d)
    yr = (ref_batch_norm(x, None, None) * r_t.reshape(c) + d_t.reshape(c)) * w.reshape(
        c
    ) + b.reshape(c)
    for a, e in zip(_grads(y, [x, w, b], 5), _grads(yr, [x, w, b], 5)):
        np.testing.assert_allclose(to_numpy(a), to_numpy(e), rtol=1e-9, atol=1e-11)
