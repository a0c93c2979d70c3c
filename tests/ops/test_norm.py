"""Normalization: finite-difference checks, equivalences, properties, dtypes, errors.

PyTorch reference values are in ``test_norm_fixtures.py``; agreement with the
primitive-op references in ``test_norm_reference.py``.
"""

import threading
import time

import numpy as np
import pytest
from conftest import to_numpy
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import nn
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.ops.nn.norm import norm as F

# every test here runs on NumPy's CPU path and on the compiled kernels (minigrad.jit)
pytestmark = pytest.mark.usefixtures("cpu_kernels")

F64 = minigrad.float64


def _t(a, device, grad=False, dtype=F64):
    return minigrad.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=grad)


def _rand(device, *shape, scale=1.0, shift=0.0, grad=True, seed=0):
    a = np.random.default_rng(seed + len(shape)).standard_normal(shape) * scale + shift
    return _t(a, device, grad)


# ----------------------------------------------------------------------- gradchecks
def _fn_cases():
    """(name, fn(x, w, b), x shape, weight shape or None, bias?)."""

    def bn_eval(x, w, b):
        rm = minigrad.tensor([0.3, -0.2], dtype=F64, device=x.device)
        rv = minigrad.tensor([0.5, 2.0], dtype=F64, device=x.device)
        return F.batch_norm(x, rm, rv, w, b, training=False)

    def renorm(x, w, b):
        # r and d carry no gradient by design; with running statistics far from the
        # batch's they sit at their clip limits, where they are locally constant, so
        # finite differences see the same function autograd differentiates
        rm = minigrad.tensor([3.0, -3.0], dtype=F64, device=x.device)
        rv = minigrad.tensor([0.05, 30.0], dtype=F64, device=x.device)
        return F.batch_renorm(x, rm, rv, w, b, training=True, rmax=1.2, dmax=0.1)

    def bn(x, w, b):
        return F.batch_norm(x, None, None, w, b, True)

    def inorm(x, w, b):
        return F.instance_norm(x, weight=w, bias=b)

    return [
        ("batch_norm", bn, (3, 2, 2), (2,), True),
        ("batch_norm_4d", bn, (2, 2, 2, 2), (2,), True),
        ("batch_norm_2d_input", bn, (4, 2), (2,), True),
        ("batch_norm_eval", bn_eval, (3, 2, 2), (2,), True),
        ("batch_renorm", renorm, (3, 2, 2), (2,), True),
        ("layer_norm", lambda x, w, b: F.layer_norm(x, (2, 2), w, b), (2, 2, 2), (2, 2), True),
        ("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), (2, 4, 2), (4,), True),
        ("group_norm_wide", lambda x, w, b: F.group_norm(x, 2, w, b), (2, 4, 8), (4,), True),
        ("instance_norm", inorm, (2, 2, 3), (2,), True),
        ("rms_norm", lambda x, w, b: F.rms_norm(x, (2, 2), w), (2, 2, 2), (2, 2), False),
        ("layer_norm_plain", lambda x, w, b: F.layer_norm(x, (3,)), (2, 3), None, False),
        ("group_norm_plain", lambda x, w, b: F.group_norm(x, 1), (2, 2, 2), None, False),
    ]  # fmt: skip


CASES = _fn_cases()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradcheck_and_gradgradcheck(case, device):
    """float64 central differences, first and second order, w.r.t. x, weight and bias."""
    name, fn, shape, wshape, has_bias = case
    x = _rand(device, *shape, scale=1.5, shift=0.5)
    w = _rand(device, *wshape, shift=1.0, seed=1) if wshape else None
    b = _rand(device, *wshape, seed=2) if has_bias else None
    inputs = tuple(t for t in (x, w, b) if t is not None)

    def f(*ts):
        it = iter(ts)
        xx = next(it)
        ww = next(it) if w is not None else None
        bb = next(it) if b is not None else None
        return fn(xx, ww, bb)

    assert gradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)
    assert gradgradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_third_derivative_is_consistent(device):
    """The Grad node's backward is written in tensor ops: differentiating it again works
    (checked by finite differences of the second derivative)."""
    x = _rand(device, 2, 3, 2)
    w = _rand(device, 3, shift=1.0, seed=1)

    def second(xx, ww):
        y = F.batch_norm(xx, None, None, ww, None, True)
        (gx,) = minigrad.grad((y * y * y).sum(), [xx], create_graph=True)
        return (gx * gx).sum()

    assert gradcheck(second, (x, w), eps=1e-6, atol=1e-6, rtol=1e-4)


# ----------------------------------------------------------------------- equivalences
def test_group_norm_one_group_is_layer_norm(device):
    x = _rand(device, 3, 4, 2, 3, scale=3.0, shift=1.0)
    gn, ln = nn.GroupNorm(1, 4, device=device), nn.LayerNorm((4, 2, 3), device=device)
    gn.to(F64), ln.to(F64)
    a, b = gn(x), ln(x)
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12, atol=1e-12)
    gy = _rand(device, 3, 4, 2, 3, grad=False, seed=7)
    (ga,) = minigrad.grad(a, [x], gy)
    (gb,) = minigrad.grad(b, [x], gy)
    np.testing.assert_allclose(to_numpy(ga), to_numpy(gb), rtol=1e-10, atol=1e-12)


def test_group_norm_per_channel_is_instance_norm(device):
    x = _rand(device, 2, 3, 4, 2, scale=2.0)
    gn = nn.GroupNorm(3, 3, device=device).to(F64)
    inn = nn.InstanceNorm2d(3, affine=True, device=device).to(F64)
    gn.weight._data[...] = inn.weight._data[...] = to_numpy(_rand(device, 3, grad=False, seed=3))
    a, b = gn(x), inn(x)
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12, atol=1e-12)
    (ga,) = minigrad.grad((a * a * a).sum(), [x])
    (gb,) = minigrad.grad((b * b * b).sum(), [x])
    np.testing.assert_allclose(to_numpy(ga), to_numpy(gb), rtol=1e-10, atol=1e-12)


def test_batch_renorm_without_relaxation_is_batch_norm(device):
    """rmax=1, dmax=0: outputs, gradients and buffers equal BatchNorm's, step by step."""
    bn = nn.BatchNorm2d(3, momentum=None, device=device)
    br = nn.BatchRenorm2d(3, momentum=None, device=device)
    for step in range(3):
        x = minigrad.tensor(
            np.random.default_rng(step).standard_normal((4, 3, 2, 2)).astype(np.float32) * 3 + 1,
            device=device,
            requires_grad=True,
        )
        bn.zero_grad(), br.zero_grad()
        ya, yb = bn(x), br(x)
        np.testing.assert_allclose(to_numpy(ya), to_numpy(yb), rtol=1e-5, atol=1e-6)
        (ga,) = minigrad.grad((ya * ya * ya).sum(), [x])
        (gb,) = minigrad.grad((yb * yb * yb).sum(), [x])
        np.testing.assert_allclose(to_numpy(ga), to_numpy(gb), rtol=1e-4, atol=1e-5)
        for name in ("running_mean", "running_var"):
            a, b = getattr(bn, name), getattr(br, name)
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6)
        assert int(bn.num_batches_tracked.item()) == int(br.num_batches_tracked.item()) == step + 1
    bn.eval(), br.eval()
    x = minigrad.randn(2, 3, 2, 2, device=device)
    np.testing.assert_allclose(to_numpy(bn(x)), to_numpy(br(x)), rtol=1e-6, atol=1e-6)


def test_batch_renorm_limits_are_schedulable(device):
    m = nn.BatchRenorm1d(2, device=device)
    assert (m.rmax, m.dmax) == (1.0, 0.0)
    m.rmax, m.dmax = 2.0, 0.5
    x = minigrad.tensor([[10.0, 0.0], [12.0, 1.0]], device=device)
    y = m(x)  # running stats are 0/1: r and d clip at their limits
    # sigma_B = 1 and 0.5, sigma = 1: r = 1 and 0.5; mu_B = 11 and 0.5: d = 0.5 and 0.5
    want = np.array([[-1.0 * 1.0 + 0.5, -1.0 * 0.5 + 0.5], [1.0 + 0.5, 0.5 + 0.5]])
    np.testing.assert_allclose(to_numpy(y), want, atol=1e-4)
    seen = []
    schedule = lambda t: seen.append(t) or (1.0 + t, 0.1 * t)  # noqa: E731
    m2 = nn.BatchRenorm1d(2, schedule=schedule, device=device)
    m2(x), m2(x)
    assert seen == [1, 2] and (m2.rmax, m2.dmax) == (3.0, 0.2)
    m2.eval()(x)
    assert seen == [1, 2]  # no schedule step in evaluation


# ----------------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(
    shift=st.floats(-50, 50),
    scale=st.floats(0.1, 20),
    seed=st.integers(0, 2**16),
    which=st.sampled_from(["batch", "layer", "group", "instance"]),
)
def test_invariant_to_shift_and_scale(shift, scale, seed, which):
    """BN: shifting/scaling the whole batch per channel; LN/GN/IN: per sample."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 4, 3))
    if which == "batch":
        sh = rng.uniform(-1, 1, (1, 4, 1)) * shift
        sc = scale * rng.uniform(0.5, 2, (1, 4, 1))
    elif which == "instance":
        sh = rng.uniform(-1, 1, (4, 4, 1)) * shift
        sc = scale * rng.uniform(0.5, 2, (4, 4, 1))
    else:
        sh = rng.uniform(-1, 1, (4, 1, 1)) * shift
        sc = scale * rng.uniform(0.5, 2, (4, 1, 1))
    fn = {
        "batch": lambda t: F.batch_norm(t, None, None, training=True, eps=0.0),
        "layer": lambda t: F.layer_norm(t, (4, 3), eps=0.0),
        "group": lambda t: F.group_norm(t, 2, eps=0.0),
        "instance": lambda t: F.instance_norm(t, eps=0.0),
    }[which]
    a = fn(minigrad.tensor(x, dtype=F64))
    b = fn(minigrad.tensor(x * sc + sh, dtype=F64))
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-7, atol=1e-7)


@settings(max_examples=15, deadline=None)
@given(
    value=st.floats(-1e3, 1e3),
    which=st.sampled_from(["batch", "layer", "group", "instance", "rms", "renorm"]),
)
def test_constant_input_gives_finite_output_and_gradients(value, which):
    x = minigrad.full((3, 4, 2), value, requires_grad=True)
    w, b = minigrad.ones(4, requires_grad=True), minigrad.zeros(4, requires_grad=True)
    rm, rv = minigrad.zeros(4), minigrad.ones(4)
    y = {
        "batch": lambda: F.batch_norm(x, rm, rv, w, b, training=True),
        "layer": lambda: F.layer_norm(x, (4, 2)),
        "group": lambda: F.group_norm(x, 2, w, b),
        "instance": lambda: F.instance_norm(x, weight=w, bias=b),
        "rms": lambda: F.rms_norm(x, (2,)),
        "renorm": lambda: F.batch_renorm(x, rm, rv, w, b, True, rmax=3.0, dmax=5.0),
    }[which]()
    gy = minigrad.randn(*y.shape)
    grads = minigrad.grad(y, [x, w, b], gy, create_graph=True, allow_unused=True)
    assert np.isfinite(to_numpy(y)).all()
    for g in grads:
        assert g is None or np.isfinite(to_numpy(g)).all()
    (gg,) = minigrad.grad((grads[0] * grads[0]).sum(), [x], allow_unused=True)
    assert gg is None or np.isfinite(to_numpy(gg)).all()
    assert np.isfinite(to_numpy(rm)).all() and np.isfinite(to_numpy(rv)).all()


# ----------------------------------------------------------------------- dtypes, stability
def test_float32_stays_float32(device):
    x = minigrad.randn(4, 3, 2, device=device, requires_grad=True)
    layers = [nn.BatchNorm1d(3), nn.LayerNorm(2), nn.GroupNorm(3, 3), nn.RMSNorm(2)]
    layers += [nn.InstanceNorm1d(3, affine=True), nn.BatchRenorm1d(3, rmax=2.0, dmax=1.0)]
    for m in layers:
        m.to(device)
        for mode in (True, False):
            m.train(mode)
            x.grad = None
            m.zero_grad()
            y = m(x)
            y.sum().backward()
            assert y.dtype == minigrad.float32, type(m).__name__
            assert x.grad.dtype == minigrad.float32
            for p in m.parameters():
                assert p.grad.dtype == minigrad.float32
            for buf in m.buffers():
                assert buf.dtype in (minigrad.float32, minigrad.int64)


def test_float16_input_gets_float32_statistics(device):
    rng = np.random.default_rng(0)
    xa = (rng.standard_normal((8, 3, 16)) * 0.01 + 300).astype(np.float16)
    x = minigrad.tensor(xa, device=device, requires_grad=True)
    w = minigrad.ones(3, dtype=minigrad.float16, device=device, requires_grad=True)
    y = F.batch_norm(x, None, None, w, None, training=True)
    assert y.dtype == minigrad.float16
    x64 = xa.astype(np.float64)
    want = (x64 - x64.mean(axis=(0, 2), keepdims=True)) / np.sqrt(
        x64.var(axis=(0, 2), keepdims=True) + 1e-5
    )
    np.testing.assert_allclose(to_numpy(y).astype(np.float64), want, atol=2e-2)
    y.backward(minigrad.ones_like(y))
    assert x.grad.dtype == minigrad.float16 and w.grad.dtype == minigrad.float16
    assert np.abs(to_numpy(x.grad).astype(np.float64)).max() < 1e-1  # sum(dy)=const -> 0
    z = F.layer_norm(x, (16,))
    assert z.dtype == minigrad.float16
    assert np.isfinite(to_numpy(z)).all()


def test_statistics_are_stable_for_large_offsets(device):
    """Two-pass statistics: a float32 batch at 1e4 with unit noise keeps its variance
    (E[x^2] - E[x]^2 would lose every digit)."""
    rng = np.random.default_rng(0)
    xa = (rng.standard_normal((64, 2, 8)) + 1e4).astype(np.float32)
    x = minigrad.tensor(xa, device=device)
    rm, rv = minigrad.zeros(2, device=device), minigrad.ones(2, device=device)
    y = F.batch_norm(x, rm, rv, training=True, momentum=1.0)
    x64 = xa.astype(np.float64)
    np.testing.assert_allclose(to_numpy(rv), x64.var(axis=(0, 2), ddof=1), rtol=1e-3)
    ref = (x64 - x64.mean(axis=(0, 2), keepdims=True)) / x64.std(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(to_numpy(y), ref, atol=2e-3)


# ----------------------------------------------------------------------- module semantics
def test_buffers_are_not_parameters_and_flags(device):
    bn = nn.BatchNorm2d(4, device=device)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert set(bn.state_dict()) == {
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"
    }  # fmt: skip
    assert bn.num_batches_tracked.dtype == minigrad.int64
    plain = nn.BatchNorm2d(4, affine=False, track_running_stats=False)
    assert plain.weight is None and plain.bias is None and plain.running_mean is None
    assert list(plain.parameters()) == [] and list(plain.state_dict()) == []
    ln = nn.LayerNorm(3, bias=False)
    assert ln.bias is None and ln.weight.shape == (3,)
    assert nn.LayerNorm(3, elementwise_affine=False).weight is None
    inn = nn.InstanceNorm2d(3)
    assert inn.weight is None and inn.running_mean is None
    assert nn.GroupNorm(2, 4, affine=False).weight is None


def test_untracked_batch_norm_uses_batch_stats_in_eval(device):
    m = nn.BatchNorm1d(2, track_running_stats=False, device=device).eval()
    x = minigrad.tensor([[1.0, 10.0], [3.0, 20.0]], device=device)
    np.testing.assert_allclose(to_numpy(m(x)), [[-1, -1], [1, 1]], atol=1e-4)
    tracked = nn.BatchNorm1d(2, device=device).eval()  # running stats 0/1: identity
    np.testing.assert_allclose(to_numpy(tracked(x)), to_numpy(x) / np.sqrt(1 + 1e-5), rtol=1e-6)
    assert int(tracked.num_batches_tracked.item()) == 0


def test_instance_norm_unbatched(device):
    m = nn.InstanceNorm1d(2, device=device)
    x = minigrad.tensor([[1.0, 3.0], [5.0, 1.0]], device=device)
    np.testing.assert_allclose(to_numpy(m(x)), [[-1, 1], [1, -1]], atol=1e-4)


# ----------------------------------------------------------------------- errors
def test_errors_are_clear(device):
    x = minigrad.randn(2, 3, 4, device=device)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(minigrad.randn(1, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(minigrad.randn(1, 3, 1), None, None, training=True)
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D .* got 3D"):
        nn.BatchNorm2d(3)(x)
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D .* got 4D"):
        nn.BatchNorm1d(3)(minigrad.randn(2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"BatchNorm3d: expected 5D"):
        nn.BatchNorm3d(3)(x)
    with pytest.raises(ValueError, match=r"expected input with 5 channels .* \(2, 3, 4\)"):
        nn.BatchNorm1d(5)(x)
    with pytest.raises(RuntimeError, match=r"running_mean of shape \(3,\)"):
        F.batch_norm(x, minigrad.zeros(5), minigrad.ones(5), training=True)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(2, 5)
    with pytest.raises(RuntimeError, match=r"channels \(3, input shape \(4, 3, 2\)\) to be divi"):
        F.group_norm(minigrad.randn(4, 3, 2), 2)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[3\], expected input with shape"):
        nn.LayerNorm(3)(x)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4, 4\]"):
        F.rms_norm(x, (4, 4))
    with pytest.raises(RuntimeError, match="evaluation mode"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(minigrad.randn(2, 3, 1))
    with pytest.raises(ValueError, match="rmax >= 1"):
        F.batch_renorm(x, minigrad.zeros(3), minigrad.ones(3), training=True, rmax=0.5)
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3D \(unbatched\) or 4D"):
        nn.InstanceNorm2d(3)(minigrad.randn(3, 4))


# ----------------------------------------------------------------------- tiling
class _TileSpy:
    """Records, for each pass of the NumPy path, how many tiles it had and which threads
    ran them. ``pause`` (seconds) makes each tile sleep first, so that a pool thread
    wakes up in time to take some (tiny tiles are otherwise all done by the caller)."""

    def __init__(self, monkeypatch, pause=0.0):
        from minigrad.ops.nn.norm import norm_core

        self.sizes, self.threads = [], set()
        real = norm_core.map_tiles

        def spy(xp, work, tiles):
            self.sizes.append(len(tiles))

            def run(t0, t1):
                self.threads.add(threading.current_thread().name)
                if pause:
                    time.sleep(pause)
                return work(t0, t1)

            return real(xp, run, tiles)

        monkeypatch.setattr(norm_core, "map_tiles", spy)

    def most_tiles(self):
        return max(self.sizes, default=1)


class TestNumpyPathTiles:
    """Tile size and thread count are settings of NumPy's CPU path alone (the compiled
    kernels and CuPy never read them): these tests run that path only, and check that
    the setting changed what ran as well as that the results did not change."""

    @pytest.fixture
    def cpu_kernels(self):  # replaces conftest's two-path fixture for this class
        with minigrad.jit.enabled_as(False):
            yield "numpy"

    @pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
    @pytest.mark.parametrize("tile_bytes", [1, 300])
    def test_tiled_passes_match_one_pass(self, tile_bytes, dtype, monkeypatch):
        """The CPU path works tile by tile (whole samples per tile, statistics merged
        across tiles); any tiling gives the same values, gradients and buffers."""
        from minigrad.ops.nn.norm import norm_kernels

        rng = np.random.default_rng(0)
        xa = (rng.standard_normal((7, 4, 3, 3)) * 3 + 5).astype(dtype)
        gya = rng.standard_normal(xa.shape).astype(dtype)
        cases = {
            "batch": lambda x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, True),
            "batch_plain": lambda x, w, b, rm, rv: F.batch_norm(x, rm, rv, None, None, True),
            "renorm": lambda x, w, b, rm, rv: F.batch_renorm(
                x, rm, rv, w, b, True, rmax=2.0, dmax=1.0),
            "layer": lambda x, w, b, rm, rv: F.layer_norm(x, (3, 3)),
            "group": lambda x, w, b, rm, rv: F.group_norm(x, 2, w, b),
            "instance": lambda x, w, b, rm, rv: F.instance_norm(x, rm, rv, w, b),
            "rms": lambda x, w, b, rm, rv: F.rms_norm(x, (4, 3, 3)),
        }  # fmt: skip

        def run(fn):
            x = minigrad.tensor(xa, requires_grad=True)
            w = minigrad.tensor(np.full(4, 1.5, dtype), requires_grad=True)
            b = minigrad.tensor(np.full(4, 0.25, dtype), requires_grad=True)
            rm, rv = minigrad.zeros(4, dtype=xa.dtype), minigrad.ones(4, dtype=xa.dtype)
            y = fn(x, w, b, rm, rv)
            y.backward(minigrad.tensor(gya))
            grads = [t.grad for t in (x, w, b) if t.grad is not None]
            return [to_numpy(a).astype(np.float64) for a in (y, *grads, rm, rv)]

        tol = {"float64": 1e-12, "float32": 2e-5, "float16": 1e-2}[dtype]
        for name, fn in cases.items():
            with monkeypatch.context() as m:
                spy = _TileSpy(m)
                whole = run(fn)
                assert spy.sizes and spy.most_tiles() == 1, name  # 7 samples fit one tile
            with monkeypatch.context() as m:
                m.setattr(norm_kernels, "TILE_BYTES", tile_bytes)
                spy = _TileSpy(m)
                tiled = run(fn)
                assert spy.most_tiles() > 1, name  # the setting took effect
            for a, b in zip(whole, tiled):
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)

    @pytest.mark.parametrize("tile_bytes", [1, 1 << 19])
    def test_no_grad_forward_matches(self, tile_bytes, monkeypatch, device):
        """Without a graph the core keeps only a tile of scratch; same values and buffers.
        Tiles apply to the CPU only: CuPy works on the whole array at once."""
        from minigrad.ops.nn.norm import norm_kernels

        monkeypatch.setattr(norm_kernels, "TILE_BYTES", tile_bytes)
        spy = _TileSpy(monkeypatch)
        x = minigrad.randn(5, 4, 3, device=device, requires_grad=True)
        w = minigrad.randn(4, device=device, requires_grad=True)
        fns = [
            lambda t, rm: F.batch_norm(t, rm, None, w, w, True),
            lambda t, rm: F.group_norm(t, 2, w, w),
            lambda t, rm: F.layer_norm(t, (4, 3)),
            lambda t, rm: F.instance_norm(t, rm, None, w, w),
        ]
        for fn in fns:
            rm_a, rm_b = minigrad.zeros(4, device=device), minigrad.zeros(4, device=device)
            a = fn(x, rm_a)
            with minigrad.no_grad():
                b = fn(x, rm_b)
            assert a.requires_grad and not b.requires_grad
            np.testing.assert_array_equal(to_numpy(a.detach()), to_numpy(b))
            np.testing.assert_array_equal(to_numpy(rm_a), to_numpy(rm_b))
        assert (spy.most_tiles() > 1) == (device.type == "cpu" and tile_bytes == 1)

    def test_results_do_not_depend_on_threads(self, monkeypatch):
        """Tiles run on a thread pool; partial sums merge in tile order: bit-identical."""
        from minigrad.ops.nn.norm import norm_kernels

        monkeypatch.setattr(norm_kernels, "TILE_BYTES", 64)  # 9 tiles of one sample
        x = minigrad.randn(9, 4, 5, requires_grad=True)
        w = minigrad.randn(4, requires_grad=True)
        out = {}
        for threads in (1, 2, 3):  # minigrad's one thread pool (minigrad.jit)
            monkeypatch.setattr(minigrad.jit, "NUM_THREADS", threads)
            monkeypatch.setitem(minigrad.jit._pool_state, "pool", None)  # of the new size
            spy = _TileSpy(monkeypatch, pause=0.002)
            x.grad = w.grad = None
            y = F.batch_norm(x, None, None, w, None, True) + F.group_norm(x, 2, w, None)
            y.backward(minigrad.ones_like(y))
            out[threads] = [to_numpy(t).copy() for t in (y.detach(), x.grad, w.grad)]
            pool_threads = {t for t in spy.threads if t.startswith("minigrad-pool")}
            assert spy.most_tiles() == 9
            assert bool(pool_threads) == (threads > 1), (threads, spy.threads)
        monkeypatch.setitem(minigrad.jit._pool_state, "pool", None)
        for threads in (2, 3):
            for a, b in zip(out[1], out[threads]):
                np.testing.assert_array_equal(a, b)


def test_non_contiguous_and_empty_inputs(device):
    base = minigrad.randn(3, 4, 6, device=device)
    x = base.permute(0, 2, 1)  # (3, 6, 4), not contiguous
    xc = minigrad.tensor(to_numpy(x).copy(), device=device)
    for fn in (
        lambda t: F.layer_norm(t, (4,)),
        lambda t: F.group_norm(t, 3),
        lambda t: F.batch_norm(t, None, None, training=True),
        lambda t: F.rms_norm(t, (6, 4)),
    ):
        np.testing.assert_allclose(to_numpy(fn(x)), to_numpy(fn(xc)), rtol=1e-6, atol=1e-6)
    e = minigrad.randn(0, 4, device=device, requires_grad=True)
    w = minigrad.ones(4, device=device, requires_grad=True)
    y = F.layer_norm(e, (4,), w, w)
    y.sum().backward()
    assert y.shape == (0, 4) and e.grad.shape == (0, 4)
    np.testing.assert_array_equal(to_numpy(w.grad), np.zeros(4))
