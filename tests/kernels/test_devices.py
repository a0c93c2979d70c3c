"""Devices: parsing, the default device (set_default_device and MINIGRAD_DEVICE),
seeded generators per device, moving tensors, and the device-mixing error."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import CUDA_SKIP, to_numpy

import minigrad
from minigrad import backend


@pytest.fixture
def restore_default_device():
    prev = backend._default_device
    yield
    backend._default_device = prev


# ----------------------------------------------------------------------- parsing
def test_device_parsing():
    assert minigrad.device("cpu").type == "cpu" and minigrad.device("cpu").index is None
    assert minigrad.device("cuda") == minigrad.device("cuda:0")
    d = minigrad.device("cuda:1")
    assert (d.type, d.index, str(d)) == ("cuda", 1, "cuda:1")
    assert repr(d) == "device(type='cuda', index=1)"
    assert repr(minigrad.device("cpu")) == "device(type='cpu')"
    assert minigrad.Device("cuda", 2) == "cuda:2"
    assert minigrad.device(minigrad.device("cpu")) == "cpu"
    assert len({minigrad.device("cuda"), minigrad.Device("cuda", 0)}) == 1  # hashable


@pytest.mark.parametrize(
    "spec, match",
    [
        ("tpu", "unknown device type 'tpu'"),
        ("cuda:x", "invalid device string"),
        ("cpu:1", "cpu device has no index"),
        ("", "unknown device type"),
    ],
)
def test_device_parsing_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        minigrad.device(spec)


def test_device_of_wrong_type():
    with pytest.raises(TypeError, match="device string or Device"):
        minigrad.device(3)
    with pytest.raises(ValueError, match="already has an index"):
        minigrad.Device("cuda:1", 2)


@pytest.mark.skipif(CUDA_SKIP is None, reason="a GPU is present: the error path cannot run")
def test_cuda_request_without_gpu_says_what_to_install():
    with pytest.raises(RuntimeError, match="(pip install|no CUDA GPU)"):
        minigrad.zeros(2, device="cuda")


# ----------------------------------------------------------------------- default device
def test_set_default_device(device, restore_default_device):
    minigrad.set_default_device(device)
    assert minigrad.get_default_device() == device
    for t in (minigrad.zeros(2), minigrad.randn(2), minigrad.tensor([1.0]), minigrad.arange(3)):
        assert t.device == device
    minigrad.set_default_device("cpu")
    assert minigrad.zeros(1).device == "cpu"


def _run_python(code, env_device):
    env = dict(os.environ)
    env.pop("MINIGRAD_DEVICE", None)
    if env_device is not None:
        env["MINIGRAD_DEVICE"] = env_device
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


def test_minigrad_device_environment_variable(device):
    code = "import minigrad; print(minigrad.get_default_device(), minigrad.zeros(1).device)"
    r = _run_python(code, str(device))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(device), str(device)]


def test_default_device_without_environment_is_cpu():
    r = _run_python("import minigrad; print(minigrad.zeros(1).device)", None)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "cpu"


def test_bad_minigrad_device_environment_variable_is_a_clear_error():
    r = _run_python("import minigrad; minigrad.zeros(1)", "gpu")
    assert r.returncode != 0
    assert "unknown device type 'gpu'" in r.stderr


# ----------------------------------------------------------------------- seeds
def test_manual_seed_reproducible(device):
    def draw():
        return [
            to_numpy(minigrad.randn(5, device=device)),
            to_numpy(minigrad.rand(3, device=device)),
            to_numpy(minigrad.randint(0, 100, (4,), device=device)),
            to_numpy(minigrad.randperm(6, device=device)),
            to_numpy(minigrad.empty(3, device=device).normal_()),
        ]

    minigrad.manual_seed(123)
    a = draw()
    minigrad.manual_seed(123)
    b = draw()
    minigrad.manual_seed(124)
    c = draw()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.skipif(CUDA_SKIP is not None, reason=f"needs a GPU: {CUDA_SKIP}")
def test_generators_are_per_device():
    minigrad.manual_seed(7)
    a = to_numpy(minigrad.randn(4, device="cpu"))
    minigrad.manual_seed(7)
    minigrad.randn(100, device="cuda")  # drawing on the GPU leaves the CPU stream alone
    b = to_numpy(minigrad.randn(4, device="cpu"))
    np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------- moving
def test_to_device_round_trip_is_differentiable(device):
    x = minigrad.tensor(np.array([1.0, 2.0]), requires_grad=True)  # cpu
    y = x.to(device)
    assert y.device == device
    z = y.cpu()
    assert z.device == "cpu"
    (z * z).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_to_with_tensor_argument_takes_its_device_and_dtype(device):
    x = minigrad.ones(2)
    ref = minigrad.zeros(1, dtype=minigrad.float64, device=device)
    y = x.to(ref)
    assert y.device == device and y.dtype == minigrad.float64


def test_to_bad_device_string():
    with pytest.raises(ValueError, match="unknown device type"):
        minigrad.ones(1).to("npu")


@pytest.mark.skipif(CUDA_SKIP is not None, reason=f"needs a GPU: {CUDA_SKIP}")
def test_gpu_tensor_refuses_implicit_numpy_conversion():
    t = minigrad.ones(2, device="cuda")
    with pytest.raises(TypeError, match=r"\.cpu\(\)"):
        np.asarray(t)
    with pytest.raises(TypeError, match=r"\.cpu\(\)"):
        t.numpy()
    assert t.cpu().numpy().tolist() == [1.0, 1.0]
    assert "device='cuda:0'" in repr(t)


# ----------------------------------------------------------------------- mixing devices
def test_mixing_devices_in_one_op_raises(device):
    if device.type == "cpu":
        if CUDA_SKIP:
            pytest.skip(f"needs a second device: {CUDA_SKIP}")
        other = minigrad.device("cuda")
    else:
        other = minigrad.device("cpu")
    a = minigrad.ones(2, device=device)
    b = minigrad.ones(2, device=other)
    with pytest.raises(RuntimeError, match=f"devices, ({device} and {other}|{other} and {device})"):
        a + b
    with pytest.raises(RuntimeError, match="same device"):
        a @ b


class _FakeGPUArray(np.ndarray):
    """A NumPy array that pretends to live on cuda:0 (for the error path on CPU)."""


def test_device_mixing_error_path_on_cpu(monkeypatch):
    # Without a GPU, give Function.__call__ an array whose device_of says cuda:0; this
    # checks the real check and its message, without touching any GPU code.
    real = backend.device_of

    def fake_device_of(arr):
        if isinstance(arr, _FakeGPUArray):
            return backend.Device("cuda", 0)
        return real(arr)

    monkeypatch.setattr(backend, "device_of", fake_device_of)
    a = minigrad.ones(2)
    b = minigrad.Tensor(np.ones(2, dtype=np.float32).view(_FakeGPUArray))
    with pytest.raises(RuntimeError, match="Mul: .*same device.*cpu and cuda:0"):
        a * b
    with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
        b + a
    assert (a * a).tolist() == [1.0, 1.0]  # same device: no error
