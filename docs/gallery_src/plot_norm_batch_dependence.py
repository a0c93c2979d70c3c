"""
One sample, many batches: BatchNorm depends on its batch
========================================================

In training mode BatchNorm normalizes each feature with the mean and variance of the
*batch*, so the output for one fixed sample changes with the samples it is batched with
— more so the smaller the batch. LayerNorm and GroupNorm use only the sample itself: the
same input always gives the same output. This is the root of BatchNorm's small-batch
problems (Wu & He 2018) that the ``batch-size`` study measures.

Here one fixed 16-feature sample is normalized 400 times with random companions drawn
from the same distribution, at batch sizes 2, 8 and 64, and the output of its first
feature is plotted. (LayerNorm normalizes over the features of the sample, so its value
is a different number — but it never moves. At batch 2, BatchNorm can only output about
-1 or +1: two samples, normalized, are always one standard deviation either side of
their mean.)
"""

import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import nn

minigrad.manual_seed(0)
rng = np.random.default_rng(0)
features = 16
x0 = rng.normal(1.0, 2.0, size=(1, features)).astype(np.float32)

bn = nn.BatchNorm1d(features, affine=False, track_running_stats=False)
ln = nn.LayerNorm(features, elementwise_affine=False)

fig, ax = plt.subplots(figsize=(6.5, 3.5))
bins = np.linspace(-3, 3, 61)
for batch in (2, 8, 64):
    outs = []
    for _ in range(400):
        others = rng.normal(1.0, 2.0, size=(batch - 1, features)).astype(np.float32)
        xb = minigrad.tensor(np.concatenate([x0, others]))
        with minigrad.no_grad():
            outs.append(bn(xb).numpy()[0, 0])
    outs = np.array(outs)
    print(
        f"BatchNorm, batch {batch:2d}: output of feature 0 = {outs.mean():+.3f} "
        f"+- {outs.std():.3f} over 400 batches"
    )
    ax.hist(outs, bins=bins, histtype="step", linewidth=1.5, label=f"BatchNorm, batch {batch}")

with minigrad.no_grad():
    y_ln = ln(minigrad.tensor(x0)).numpy()[0, 0]
print(f"LayerNorm: output of feature 0 = {y_ln:+.3f}, whatever the batch")
ax.axvline(y_ln, color="k", linestyle="--", label="LayerNorm (any batch)")
ax.set_xlabel("normalized value of one fixed input")
ax.set_ylabel("batches")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
