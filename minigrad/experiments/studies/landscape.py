"""Study ``landscape``: Santurkar et al. 2018's loss-landscape measurements, at toy scale."""

from __future__ import annotations

import numpy as np

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.grid import expand_grid
from minigrad.experiments.runner import train
from minigrad.experiments.studies.common import Study, by, mean_std, pct, run_configs, table

#: Probe distances along the gradient, as multiples of the learning rate.
ETAS = (0.25, 0.5, 1.0, 2.0, 4.0)
PROBE_EVERY = 5


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
    saved_buffers = {k: b.data.copy() for k, b in model.named_buffers()}
    w0 = [p.data.copy() for p in params]
    lr = trainer.config.lr

    def loss_and_grad():
        model.train()
        loss = F.cross_entropy(model(xb), yb)
        model.zero_grad()
        loss.backward()
        grads = [p.grad.data.copy() for p in params]
        for k, b in model.named_buffers():
            b.data = saved_buffers[k].copy()
        return float(loss.item()), grads

    loss0, g0 = loss_and_grad()
    gnorm = float(np.sqrt(sum(float((g * g).sum()) for g in g0)))
    losses, changes, betas = [loss0], [], []
    try:
        for eta in etas:
            step = eta * lr
            for p, w, g in zip(params, w0, g0):
                p.data = (w - np.float32(step) * g).astype(w.dtype)
            loss, grads = loss_and_grad()
            change = float(np.sqrt(sum(float(((a - b) ** 2).sum()) for a, b in zip(grads, g0))))
            losses.append(loss)
            changes.append(change)
            betas.append(change / max(step * gnorm, 1e-12))
    finally:
        for p, w in zip(params, w0):
            p.data = w
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
    CLAIM = """
Santurkar et al. 2018 (arXiv 1805.11604), and CLAIMS.md claim 2's mechanism: what BN does
is *smooth the loss landscape: along the gradient step, the loss varies less and the
gradient changes less* (better gradient predictiveness, smaller effective
beta-smoothness), measured on VGG / CIFAR-10 at the same learning rate with and without
BN.

**What would confirm it here:** averaged over training, BN's loss range, gradient change
and effective beta-smoothness along the gradient direction are all smaller than without
BN.
"""

    SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 8, 8), width=8, depth=2)`, norm `batch` or `none`,
plain SGD (no momentum) with learning rate 0.1 for both, batch 32, 3 epochs, seeds 0-2.
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
            width=8,
            depth=2,
            batch_size=32,
            lr=0.1,
            momentum=0.0,
            epochs=3,
            tags={"study": self.NAME},
        )
        if quick:
            base = base.replace(width=4, depth=1, epochs=1, subset=64, test_subset=64)
            return expand_grid(base, norm=["batch", "none"], seed=[0])
        return expand_grid(base, norm=["batch", "none"], seed=[0, 1, 2])

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
            lines += [f"![landscape probes over training](figures/{p.name})", ""]
        else:
            lines += [figures.PLOT_HINT, ""]
        lines += ["## Verdict", ""]
        if len(stats) == 2:
            clear = {}
            for k in keys:
                (mb, sb, _), (mn, sn, _) = stats["batch"][k], stats["none"][k]
                clear[k] = mn - mb > max(sb, sn)
                lines.append(
                    f"- {k}: BN {mb:.4g} vs none {mn:.4g}: "
                    f"{'smaller' if mb < mn else 'not smaller'} with BN, "
                    f"{'beyond' if abs(mn - mb) > max(sb, sn) else 'within'} the seed spread "
                    f"({max(sb, sn):.2g})."
                )
            won = [k for k in keys if clear[k]]
            if len(won) == len(keys):
                state = "held on all three measures"
            elif won:
                state = f"held only on {', '.join(won)} (clearly smaller with BN)"
            else:
                state = "did not hold on any measure beyond the seed spread"
            lines.append(f"- The smoother-landscape claim **{state}** at this scale.")
            if len(phases) == 2:
                early_bn = [phases["batch"][2 * i] < phases["none"][2 * i] for i in range(3)]
                late_bn = [phases["batch"][2 * i + 1] < phases["none"][2 * i + 1] for i in range(3)]
                lines.append(
                    f"- By phase: BN is smoother on {sum(early_bn)} of 3 measures in the first "
                    f"third of training and on {sum(late_bn)} of 3 afterwards (phase table)."
                )
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
            ax.set_xlabel("step")
            ax.set_title(key)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8)
        return figures.save(fig, path)
