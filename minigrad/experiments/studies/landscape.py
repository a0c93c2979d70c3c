"""Study ``landscape``: Santurkar et al. 2018's loss-landscape measurements, on mnist1d."""

from __future__ import annotations

import numpy as np

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.grid import expand_grid
from minigrad.experiments.runner import train
from minigrad.experiments.statistics import Claim
from minigrad.experiments.studies.common import (
    Study,
    by,
    data_settings,
    mean_std,
    pct,
    per_seed,
    run_configs,
    seeds,
    table,
)

#: Probe distances along the gradient, as multiples of the learning rate.
ETAS = (0.25, 0.5, 1.0, 2.0, 4.0)
PROBE_EVERY = 10


def probe(trainer, xb, yb, etas=ETAS):
    """Loss and gradient variation along the gradient direction at the current weights.

    Computes the gradient ``g`` at ``w`` on the batch, then for each ``eta`` (times the
    learning rate) the loss and gradient at ``w - eta * lr * g`` on the same batch. The
    weights and the running statistics are restored afterwards.

    Returns
    -------
    dict
        ``loss_range`` (max - min of the losses, ``w`` included), ``grad_change``
        (max of ``|grad(w') - g|``, Santurkar's gradient predictiveness, smaller is more
        predictive) and ``beta`` (max of ``|grad(w') - g| / |w' - w|``, the effective
        beta-smoothness).
    """
    from minigrad.nn import functional as F

    model = trainer.model
    params = [p for p in model.parameters() if p.requires_grad]
    saved_buffers = {k: b._data.copy() for k, b in model.named_buffers()}
    w0 = [p._data.copy() for p in params]
    lr = trainer.config.lr

    def loss_and_grad():
        model.train()
        loss = F.cross_entropy(model(xb), yb)
        model.zero_grad()
        loss.backward()
        grads = [p.grad._data.copy() for p in params]
        for k, b in model.named_buffers():
            b._data = saved_buffers[k].copy()
        return float(loss.item()), grads

    loss0, g0 = loss_and_grad()
    gnorm = float(np.sqrt(sum(float((g * g).sum()) for g in g0)))
    losses, changes, betas = [loss0], [], []
    try:
        for eta in etas:
            step = eta * lr
            for p, w, g in zip(params, w0, g0):
                p._data = (w - np.float32(step) * g).astype(w.dtype)
            loss, grads = loss_and_grad()
            change = float(np.sqrt(sum(float(((a - b) ** 2).sum()) for a, b in zip(grads, g0))))
            losses.append(loss)
            changes.append(change)
            betas.append(change / max(step * gnorm, 1e-12))
    finally:
        for p, w in zip(params, w0):
            p._data = w
        model.zero_grad()
    finite = [v for v in losses if np.isfinite(v)]
    return {
        "loss_range": max(finite) - min(finite) if finite else float("nan"),
        "grad_change": max(changes),
        "beta": max(betas),
        "grad_norm": gnorm,
    }


class LandscapeProbe:
    """A training-loop hook: :func:`probe` on the current batch every ``every`` steps,
    before the optimizer step; the probes go into the run's result as ``probes``.

    Examples
    --------
    >>> from minigrad.experiments.runner import train
    >>> cfg = RunConfig(model="mlp", width=8, depth=1, subset=64, epochs=1, batch_size=16)
    >>> r = train(cfg, progress="none", hooks=[LandscapeProbe(every=2)])
    >>> [p["step"] for p in r["probes"]]
    [0, 2]
    """

    def __init__(self, every: int = PROBE_EVERY, etas=ETAS):
        self.every, self.etas, self.probes = every, etas, []

    def before_step(self, trainer, xb, yb) -> None:
        if trainer.step % self.every == 0:
            with np.errstate(all="ignore"):
                self.probes.append({"step": trainer.step, **probe(trainer, xb, yb, self.etas)})

    def after_run(self, trainer, result) -> None:
        result["probes"] = self.probes


def run_landscape(config: RunConfig, run_dir=None, progress="none") -> dict:
    """Train one run (the common training loop), probing the landscape every
    ``PROBE_EVERY`` steps."""
    return train(
        config, out_dir=run_dir, progress=progress, hooks=[LandscapeProbe()], checkpoint=False
    )


class LandscapeStudy(Study):
    NAME = "landscape"
    TITLE = "loss and gradient variation along the gradient, with and without BatchNorm"
    CLAIMS = {
        f"bn-smaller-{k.replace('_', '-')}": Claim(
            text="BatchNorm makes the landscape of the optimization problem significantly "
            "more smooth: the loss changes at a smaller rate and the magnitudes of the "
            "gradients are smaller too (improved Lipschitzness of the loss and of its "
            "gradients, 'effective beta-smoothness').",
            source="Santurkar et al. 2018 (How Does Batch Normalization Help Optimization?, "
            "arXiv 1805.11604), section 3.1 and Figure 4 (VGG on CIFAR-10)",
            quantity=f"{label}, averaged over training, without a norm minus with BN",
            direction="greater",
            published=pub,
        )
        for k, label, pub in (
            (
                "loss_range",
                "range of the loss along the gradient step",
                "the loss range along the gradient is several times smaller with BN (Figure 4a)",
            ),
            (
                "grad_change",
                "largest change of the gradient (L2) along the gradient step",
                "gradient predictiveness: the gradient changes much less with BN (Figure 4b)",
            ),
            (
                "beta",
                "effective beta-smoothness (gradient change / step length)",
                "effective beta-smoothness several times smaller with BN (Figure 4c)",
            ),
        )
    }

    SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 40), width=16, depth=2)`, norm `batch` or `none`,
plain SGD (no momentum) with learning rate 0.1 for both, batch 32, 3 epochs, 5 seeds.
Every {PROBE_EVERY} steps, on the current batch: the gradient g at the weights w, then the
loss and gradient at w - eta·lr·g for eta in {list(ETAS)} (train mode; weights and running
statistics restored afterwards). Per probe: loss range = max - min of the losses (w
included); gradient change = max |grad(w') - g| (L2); beta = max |grad(w') - g| / |w' - w|.
Caveat: the two networks parameterize the function differently (BN makes each layer
invariant to its weights' scale), so absolute values compare landscapes, not gradients
in a common unit.
"""

    def configs(self, quick: bool) -> list:
        base = RunConfig(
            model="cnn",
            width=16,
            depth=2,
            batch_size=32,
            lr=0.1,
            momentum=0.0,
            epochs=3,
            tags={"study": self.NAME},
            **data_settings(False),
        )
        if quick:
            base = base.replace(width=4, depth=1, **data_settings(True))
        return expand_grid(base, norm=["batch", "none"], seed=seeds(quick))

    def evidence(self, records) -> dict:
        def mean_probe(key):
            def f(r):
                if not r.get("probes"):
                    return None
                v = float(np.nanmean([p[key] for p in r["probes"]]))
                return v if np.isfinite(v) else None

            return f

        return {
            f"bn-smaller-{k.replace('_', '-')}": {
                "a": per_seed(records, mean_probe(k), norm="none"),
                "b": per_seed(records, mean_probe(k), norm="batch"),
            }
            for k in ("loss_range", "grad_change", "beta")
        }

    def run(self, out, quick, progress, executor="serial"):
        return run_configs(
            self.configs(quick), out, progress, run_fn=run_landscape, executor=executor
        )

    def analyze(self, records, out) -> str:
        keys = ("loss_range", "grad_change", "beta")
        stats, rows = {}, []
        for norm in ("batch", "none"):
            rs = [r for r in by(records, norm=norm) if r.get("probes")]
            if not rs:
                continue
            per_run = {
                k: [float(np.nanmean([p[k] for p in r["probes"]])) for r in rs] for k in keys
            }
            stats[norm] = {k: mean_std(v) for k, v in per_run.items()}
            acc = mean_std([(r.get("final") or {}).get("test_acc") for r in rs])
            div = sum(r.get("status") != "ok" for r in by(records, norm=norm))
            rows.append(
                [
                    norm,
                    len(rs),
                    *(f"{stats[norm][k][0]:.4g} ± {stats[norm][k][1]:.2g}" for k in keys),
                    pct(*acc[:2]),
                    div,
                ]
            )
        lines = [
            "## Results",
            "",
            "Per run, the mean over probes; then mean ± std over seeds:",
            "",
            table(
                [
                    "norm",
                    "seeds",
                    "loss range",
                    "gradient change",
                    "effective beta",
                    "final test acc (%)",
                    "diverged",
                ],
                rows,
            ),
            "",
        ]
        phase_rows, phases = [], {}
        for norm in ("batch", "none"):
            rs = [r for r in by(records, norm=norm) if r.get("probes")]
            if not rs:
                continue
            cells = []
            for k in keys:
                early, late = [], []
                for r in rs:
                    vals = [p[k] for p in r["probes"]]
                    cut = max(len(vals) // 3, 1)
                    early.append(float(np.nanmean(vals[:cut])))
                    late.append(float(np.nanmean(vals[cut:] or vals)))
                cells += [f"{np.mean(early):.3g}", f"{np.mean(late):.3g}"]
            phase_rows.append([norm, *cells])
            phases[norm] = [float(c) for c in cells]
        lines += [
            "The same, split into the first third of training and the rest (the picture "
            "can differ between phases):",
            "",
            table(["norm", *(f"{k} {ph}" for k in keys for ph in ("early", "late"))], phase_rows),
            "",
        ]
        if figures.have_matplotlib():
            p = self._plot(records, out / "figures" / "landscape.png")
            lines += [
                f"![landscape probes over training](figures/{p.name})",
                "",
                "*Each probe's value against the training step (mean over seeds, log scale).*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)

    @staticmethod
    def _plot(records, path):
        plt = figures.pyplot()
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
        for ax, key in zip(axes, ("loss_range", "grad_change", "beta")):
            for norm in ("batch", "none"):
                runs = [r["probes"] for r in by(records, norm=norm) if r.get("probes")]
                if not runs:
                    continue
                n = min(len(p) for p in runs)
                x = [p["step"] for p in runs[0][:n]]
                y = np.mean([[p[key] for p in run[:n]] for run in runs], axis=0)
                ax.plot(x, y, marker=".", label=f"norm={norm}")
            ax.set_yscale("log")
            ax.set_xlabel("training step")
            ax.set_title({"loss_range": "loss range along the step",
                          "grad_change": "gradient change along the step",
                          "beta": "effective beta-smoothness"}[key])  # fmt: skip
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8)
        return figures.save(fig, path)
