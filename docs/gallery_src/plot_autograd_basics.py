"""
Derivatives of any order
========================

``minigrad.grad(..., create_graph=True)`` returns a gradient that is itself part of a
graph, so it can be differentiated again. Here: ``tanh`` and its first three derivatives,
computed by autograd and checked against the closed forms
``1 - tanh^2``, ``-2 tanh (1 - tanh^2)`` and ``(6 tanh^2 - 2)(1 - tanh^2)``.
"""

import matplotlib.pyplot as plt
import numpy as np

import minigrad

x = minigrad.linspace(-4, 4, 200, dtype=minigrad.float64, requires_grad=True)
y = x.tanh()

derivs = [y]
for _ in range(3):
    (g,) = minigrad.grad(derivs[-1].sum(), x, create_graph=True)
    derivs.append(g)

t = np.tanh(x.detach().numpy())
closed = [t, 1 - t**2, -2 * t * (1 - t**2), (6 * t**2 - 2) * (1 - t**2)]
for k, (d, c) in enumerate(zip(derivs, closed)):
    err = np.abs(d.detach().numpy() - c).max()
    print(f"order {k}: max |autograd - closed form| = {err:.1e}")

fig, ax = plt.subplots(figsize=(6, 3.5))
xs = x.detach().numpy()
for k, d in enumerate(derivs):
    ax.plot(xs, d.detach().numpy(), label=["tanh", "1st", "2nd", "3rd"][k])
ax.set_xlabel("x")
ax.legend()
ax.set_title("tanh and three derivatives by autograd")
fig.tight_layout()
plt.show()
