"""
BatchNorm's closed-form backward, checked three ways
====================================================

The :doc:`normalization guide </normalization>` states BatchNorm's backward in closed form,
with :math:`\\hat{x} = (x - \\mu)\\,s` and :math:`M` elements per channel:

.. math::

   \\frac{\\partial L}{\\partial x} = \\frac{\\gamma s}{M}
   \\Bigl(M\\,\\delta - \\textstyle\\sum \\delta - \\hat{x} \\sum \\delta\\,\\hat{x}\\Bigr),
   \\qquad \\frac{\\partial L}{\\partial \\gamma} = \\textstyle\\sum \\delta\\,\\hat{x},
   \\qquad \\frac{\\partial L}{\\partial \\beta} = \\textstyle\\sum \\delta .

Here we check minigrad's fused ``batch_norm`` against (1) that formula written in NumPy,
(2) the same normalization composed from primitive tensor ops and differentiated by
autograd, and (3) finite differences, to first and second order.
"""

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck

minigrad.manual_seed(0)
N, C, H, W = 8, 3, 4, 4
x = minigrad.randn(N, C, H, W, dtype=minigrad.float64, requires_grad=True)
gamma = minigrad.randn(C, dtype=minigrad.float64, requires_grad=True)
beta = minigrad.randn(C, dtype=minigrad.float64, requires_grad=True)
dy = minigrad.randn(N, C, H, W, dtype=minigrad.float64)
eps = 1e-5

# %%
# The fused op, differentiated by minigrad:
y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
y.backward(dy)
fused = [t.grad.numpy() for t in (x, gamma, beta)]

# %%
# (1) The closed form in NumPy:
xn, g, d = x.detach().numpy(), gamma.detach().numpy(), dy.numpy()
axes, M = (0, 2, 3), N * H * W
mu = xn.mean(axes, keepdims=True)
s = 1 / np.sqrt(xn.var(axes, keepdims=True) + eps)
xhat = (xn - mu) * s
gk = g.reshape(1, C, 1, 1)
dx = gk * s / M * (M * d - d.sum(axes, keepdims=True) - xhat * (d * xhat).sum(axes, keepdims=True))
closed = [dx, (d * xhat).sum(axes), d.sum(axes)]
for name, a, b in zip(("x", "gamma", "beta"), fused, closed):
    print(f"d{name}: fused vs closed form, max |diff| = {np.abs(a - b).max():.1e}")

# %%
# (2) BatchNorm composed from primitive ops; autograd differentiates through the mean and
# the variance:
for t in (x, gamma, beta):
    t.grad = None
m = x.mean(dim=(0, 2, 3), keepdim=True)
v = ((x - m) ** 2).mean(dim=(0, 2, 3), keepdim=True)
y_ref = (x - m) / (v + eps).sqrt() * gamma.reshape(1, C, 1, 1) + beta.reshape(1, C, 1, 1)
y_ref.backward(dy)
err = np.abs(y.detach().numpy() - y_ref.detach().numpy()).max()
print(f"forward: fused vs composed, max |diff| = {err:.1e}")
for name, t, a in zip(("x", "gamma", "beta"), (x, gamma, beta), fused):
    print(f"d{name}: fused vs composed, max |diff| = {np.abs(t.grad.numpy() - a).max():.1e}")

# %%
# (3) Finite differences, first and second derivatives, with respect to every input:
xs = minigrad.randn(4, 2, 3, dtype=minigrad.float64, requires_grad=True)
ws = minigrad.randn(2, dtype=minigrad.float64, requires_grad=True)
bs = minigrad.randn(2, dtype=minigrad.float64, requires_grad=True)


def bn(a, w, b):
    return F.batch_norm(a, None, None, w, b, training=True)


print("gradcheck:", gradcheck(bn, (xs, ws, bs)))
print("gradgradcheck:", gradgradcheck(bn, (xs, ws, bs)))
