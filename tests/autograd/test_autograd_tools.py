"""The tools for studying autograd: gradcheck/gradgradcheck (shown able to fail) and
detect_anomaly (names the first op producing NaN/Inf, in forward and in backward)."""

import numpy as np
import pytest

import minigrad
from minigrad.autograd import (
    AnomalyError,
    Function,
    detect_anomaly,
    gradcheck,
    gradgradcheck,
)
from minigrad.autograd.checks import GradcheckError

# the anomaly tests make NaN and Inf on purpose: NumPy's warnings about them are expected
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")


def randn64(*shape, device):
    return minigrad.randn(*shape, dtype=minigrad.float64, device=device, requires_grad=True)


class _Square(Function):
    """x**2 with a correct first derivative whose own derivative is wrong:
    its backward uses a constant copy of x, so the second derivative is lost."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        (x,) = self.inputs
        return gy * 2 * x.detach()


class _WrongSquare(Function):
    """x**2 with a deliberately wrong derivative (3x instead of 2x)."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        (x,) = self.inputs
        return gy * 3 * x


class _WrongBroadcastAdd(Function):
    """a + b whose backward forgets to weight b's gradient by 2 in one element."""

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        gb = gy.sum(dim=0)
        return gy, gb * minigrad.tensor(np.array([1.0, 2.0]), device=gy.device)


# ----------------------------------------------------------------------- gradcheck
def test_gradcheck_passes_on_correct_gradient(device):
    x = randn64(3, device=device)
    assert gradcheck(lambda t: (t.sin() * t).sum(), (x,))
    assert gradcheck(lambda t: _Square()(t), (x,))


def test_gradcheck_fails_on_wrong_derivative(device):
    x = randn64(3, device=device)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for input 0"):
        gradcheck(lambda t: _WrongSquare()(t), (x,))
    assert gradcheck(lambda t: _WrongSquare()(t), (x,), raise_exception=False) is False


def test_gradcheck_fails_on_wrong_gradient_of_second_input(device):
    a, b = randn64(3, 2, device=device), randn64(2, device=device)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda p, q: _WrongBroadcastAdd()(p, q), (a, b))


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


def test_gradcheck_needs_an_input_that_requires_grad(device):
    x = minigrad.randn(2, dtype=minigrad.float64, device=device)
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, (x,))


def test_gradcheck_upcasts_float32_inputs(device):
    x = minigrad.randn(3, device=device, requires_grad=True)  # float32
    seen = []

    def f(t):
        seen.append(t.dtype)
        return (t.exp() * t).sum()

    assert gradcheck(f, (x,))
    assert set(seen) == {minigrad.float64}
    assert x.dtype == minigrad.float32  # the caller's tensor is untouched


def test_gradgradcheck_passes_on_correct_second_derivative(device):
    x = randn64(3, device=device)
    assert gradgradcheck(lambda t: (t.tanh() * t).sum(), (x,))
    assert gradgradcheck(lambda t: t.exp() * t.sin(), (x,))


def test_gradgradcheck_fails_on_wrong_second_derivative(device):
    x = randn64(3, device=device)
    assert gradcheck(lambda t: _Square()(t), (x,))  # first order is right...
    with pytest.raises(GradcheckError):  # ...second order is not
        gradgradcheck(lambda t: _Square()(t), (x,))


def test_gradgradcheck_fails_on_wrong_first_derivative(device):
    x = randn64(3, device=device)
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda t: _WrongSquare()(t) * t, (x,))


# ----------------------------------------------------------------------- anomaly
def test_detect_anomaly_names_first_forward_op(device):
    x = minigrad.tensor(np.array([-1.0, 4.0]), device=device, requires_grad=True)
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="'Log' returned NaN or Inf in its forward"):
            y = x * 2  # fine
            z = y.log()  # NaN for the negative entry: this op is named
            z.exp()  # never reached
    assert issubclass(AnomalyError, RuntimeError)


def test_detect_anomaly_forward_message_says_where_op_was_created(device):
    x = minigrad.tensor(np.array([-1.0]), device=device, requires_grad=True)
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            x.sqrt()  # marker-forward-creation
    msg = str(info.value)
    assert "created at" in msg
    assert "marker-forward-creation" in msg


def test_detect_anomaly_names_backward_op_and_creation_site(device):
    # sqrt(0) is finite in forward; its gradient 0.5/sqrt(0) is Inf in backward
    x = minigrad.tensor(np.array([0.0, 4.0]), device=device, requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()  # marker-backward-creation
        with pytest.raises(AnomalyError) as info:
            (y * 3).sum().backward()
    msg = str(info.value)
    assert "'Sqrt' returned NaN or Inf in its backward" in msg
    assert "marker-backward-creation" in msg


def test_without_anomaly_mode_nan_passes_silently(device):
    x = minigrad.tensor(np.array([0.0]), device=device, requires_grad=True)
    with np.errstate(all="ignore"):
        x.sqrt().sum().backward()
    assert np.isinf(float(x.grad.cpu().item()))


def test_detect_anomaly_is_off_after_the_block(device):
    x = minigrad.tensor(np.array([-1.0]), device=device, requires_grad=True)
    with detect_anomaly():
        pass
    with np.errstate(all="ignore"):
        y = x.log()  # no error outside the block
    assert np.isnan(float(y.detach().cpu().item()))


def test_detect_anomaly_keeps_user_frames_under_a_folder_named_minigrad(tmp_path, device):
    # a user's script (or a clone of this project) in a folder called "minigrad" is still the
    # user's code: only the installed package's own frames are dropped from the creation site
    user_dir = tmp_path / "minigrad" / "experiments"
    user_dir.mkdir(parents=True)
    script = user_dir / "user_script.py"
    script.write_text("def make(x):\n    return x.sqrt()  # marker-user-file-under-minigrad\n")
    namespace = {}
    exec(compile(script.read_text(), str(script), "exec"), namespace)
    x = minigrad.tensor(np.array([0.0, 4.0]), device=device, requires_grad=True)
    with detect_anomaly():
        y = namespace["make"](x)
        with pytest.raises(AnomalyError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert str(script) in msg
    assert "marker-user-file-under-minigrad" in msg
