"""
Which elements share a statistic
================================

The normalization layers differ only in the set of elements over which one mean and one
variance are computed. For an activation of shape ``(N, C, H, W)`` — drawn as a block
with the batch ``N``, the channels ``C`` and the spatial positions ``H, W`` (flattened)
on its three axes — the blue elements below are normalized together (after Wu & He 2018,
Figure 2). Each layer then checks itself: the script computes the statistics of the blue
set by hand and compares them with the layer's output.
"""

import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import nn

N, C, HW = 4, 6, 5
G = 3  # GroupNorm groups of C/G = 2 channels

masks = {}
m = np.zeros((N, C, HW), bool)
m[:, 0, :] = True
masks["BatchNorm: one channel,\nall samples and positions"] = m
m = np.zeros((N, C, HW), bool)
m[0, :, :] = True
masks["LayerNorm: one sample,\nall channels and positions"] = m
m = np.zeros((N, C, HW), bool)
m[0, 0, :] = True
masks["InstanceNorm: one sample,\none channel"] = m
m = np.zeros((N, C, HW), bool)
m[0, : C // G, :] = True
masks[f"GroupNorm ({G} groups): one sample,\none group of channels"] = m

fig = plt.figure(figsize=(12, 3.6))
for k, (title, mask) in enumerate(masks.items()):
    ax = fig.add_subplot(1, 4, k + 1, projection="3d")
    colors = np.where(mask[..., None], [[0.2, 0.45, 0.8, 0.95]], [[0.85, 0.85, 0.85, 0.35]])
    # axes of the drawing: x = channels, y = spatial positions, z = samples
    filled = np.ones((C, HW, N), bool)
    ax.voxels(
        filled,
        facecolors=colors.transpose(1, 2, 0, 3),
        edgecolor=(0.3, 0.3, 0.3, 0.4),
        linewidth=0.3,
    )
    # the axis names are written next to the block's edges (3-D axis labels fall outside
    # their panel and were clipped), and the block is drawn a little inside its axes
    ax.set_box_aspect((C, HW, N), zoom=0.95)
    ax.set_axis_off()
    ax.text(C / 2, -0.9, -0.6, "C", ha="center", va="top", fontsize=10)
    ax.text(C + 0.9, HW / 2, -0.6, "H, W", ha="left", va="top", fontsize=10)
    ax.text(C + 0.4, HW + 0.3, N / 2, "N", ha="left", va="center", fontsize=10)
    ax.view_init(elev=22, azim=-55)
    ax.set_title(title, fontsize=9)
fig.subplots_adjust(left=0.0, right=0.98, bottom=0.0, top=0.9, wspace=0.05)
plt.show()

# %%
# The layers agree with the picture: normalize a random batch, then check that the blue
# set of each layer has mean 0 and (biased) variance 1 in the output.
minigrad.manual_seed(0)
x = minigrad.randn(N, C, 1, HW) * 3 + 1
layers = {
    "BatchNorm2d": nn.BatchNorm2d(C, affine=False),
    "LayerNorm": nn.LayerNorm((C, 1, HW), elementwise_affine=False),
    "InstanceNorm2d": nn.InstanceNorm2d(C),
    "GroupNorm": nn.GroupNorm(G, C, affine=False),
}
with minigrad.no_grad():
    for name, layer in layers.items():
        y = layer(x).numpy()
        if name == "BatchNorm2d":
            s = y[:, 0]  # channel 0, all samples and positions
        elif name == "LayerNorm":
            s = y[0]  # sample 0, everything
        elif name == "InstanceNorm2d":
            s = y[0, 0]  # sample 0, channel 0
        else:
            s = y[0, : C // G]  # sample 0, first group
        print(f"{name:15s} blue set: mean {s.mean():+.1e}, variance {s.var():.5f}")
