"""Study ``norm-cost``: time per training step of each norm relative to no norm, forward
and backward apart, at two model sizes."""

from __future__ import annotations

import time

import numpy as np

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.statistics import Claim
from minigrad.experiments.studies.common import (
    Study,
    by,
    data_settings,
    mean_std,
    paired_cells,
    per_seed,
    run_configs,
    seeds,
    table,
)

NORMS = ["none", "batch", "layer", "group", "instance", "renorm", "rms"]
#: size -> (width, batch size)
SIZES = {"small": (8, 32), "large": (64, 128)}
WARMUP, STEPS = 5, 40


def time_steps(config, run_dir=None, progress="none") -> dict:
    """Time ``STEPS`` training steps of ``config``'s model on one fixed batch (after
    ``WARMUP`` steps): the medians of the forward (model and loss) and backward times."""
    from minigrad.experiments.runner import Trainer
    from minigrad.nn import functional as F

    t_start = time.perf_counter()
    trainer = Trainer(config)
    xb, yb = next(iter(trainer.batches()))
    model, opt = trainer.model, trainer.optimizer
    model.train()
    fwd, bwd = [], []
    for i in range(WARMUP + STEPS):
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(xb), yb)
        float(loss.item())  # the forward is done (a GPU would synchronize here)
        t1 = time.perf_counter()
        opt.zero_grad()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        if i >= WARMUP:
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
    f, b = 1e3 * float(np.median(fwd)), 1e3 * float(np.median(bwd))
    return {
        "run_id": config.run_id(),
        "config": config.to_dict(),
        "status": "ok",
        "final": {"fwd_ms": f, "bwd_ms": b, "step_ms": f + b},
        "time_s": time.perf_counter() - t_start,
        "device": config.device,
    }


def _ms(key):
    def f(record):
        return (record.get("final") or {}).get(key) if record.get("status") == "ok" else None

    return f


class NormCostStudy(Study):
    NAME = "norm-cost"
    TITLE = "the computational cost of each norm: time per training step relative to none"
    CLAIMS = {
        f"bn-adds-computation-{size}": Claim(
            text="BatchNorm adds computation: every normalized layer computes batch "
            "statistics and normalizes in the forward pass and back-propagates through them, "
            "so a training step costs more than without it.",
            source="The explainers this project started from (a common claim); Ioffe & "
            "Szegedy 2015, section 3 (the extra work of the BN transform and its gradient)",
            quantity=f"time of a training step (forward + backward, ms) with BN minus "
            f"without a norm, {size} model (width {SIZES[size][0]}, batch {SIZES[size][1]}), "
            "CPU",
            direction="greater",
            published="no per-step number; the project's benchmarks page (W3) times the "
            "norm layers alone against PyTorch",
        )
        for size in SIZES
    }
    SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 40), width=w, depth=2, groups=4)` at two sizes:
{"; ".join(f"{k}: width {w}, batch {b}" for k, (w, b) in SIZES.items())}. Per run: one
fixed batch of mnist1d, {WARMUP} warm-up steps, then {STEPS} SGD steps, each timed in two
parts: the forward (model and cross-entropy loss) and the backward (`loss.backward()`);
the run records the medians. Norms: {", ".join(NORMS)}. Every seed is a repetition that
times every norm of both sizes one after another, so a seed pairs measurements taken
minutes apart at most; the runs go one at a time (never two timed at once), on the CPU
(the device is each run's `device`).
"""

    def configs(self, quick: bool) -> list:
        data = data_settings(quick)
        data.pop("epochs", None)
        out = []
        for s in seeds(quick):
            for size, (w, b) in SIZES.items():
                if quick:
                    w, b = 4, 16
                for n in ["none", "batch"] if quick else NORMS:
                    out.append(
                        RunConfig(
                            model="cnn",
                            norm=n,
                            width=w,
                            depth=2,
                            groups=4,
                            batch_size=b,
                            seed=s,
                            epochs=1,
                            tags={"study": self.NAME, "size": size},
                            **data,
                        )
                    )
        return out  # fmt: skip

    def run(self, out, quick, progress, executor="serial"):
        # timings of two runs at once would disturb each other: always one at a time
        return run_configs(self.configs(quick), out, progress, run_fn=time_steps)

    def evidence(self, records) -> dict:
        return {
            f"bn-adds-computation-{size}": {
                "a": per_seed(records, _ms("step_ms"), norm="batch", size=size),
                "b": per_seed(records, _ms("step_ms"), norm="none", size=size),
            }
            for size in SIZES
        }

    def analyze(self, records, out) -> str:
        sizes = [s for s in SIZES if by(records, size=s)]
        norms = [n for n in NORMS if by(records, norm=n)]
        lines = ["## Results", ""]
        for size in sizes:
            rows = []
            for n in norms:
                cells = []
                for key in ("fwd_ms", "bwd_ms", "step_ms"):
                    m, s, _ = mean_std(list(per_seed(records, _ms(key), norm=n,
                                                     size=size).values()))  # fmt: skip
                    base = mean_std(list(per_seed(records, _ms(key), norm="none",
                                                  size=size).values()))[0]  # fmt: skip
                    cells.append(f"{m:.2f} ({m / base:.2f}x)" if base else f"{m:.2f}")
                cells.append(paired_cells(per_seed(records, _ms("step_ms"), norm=n, size=size),
                                          per_seed(records, _ms("step_ms"), norm="none",
                                                   size=size), digits=2))  # fmt: skip
                rows.append([n, *cells])
            w, b = SIZES[size]
            lines += [
                f"**{size.capitalize()} model** (width {w}, batch {b}): median milliseconds per "
                "step, mean over repetitions (ratio to no norm); the last column is the paired "
                "difference of the whole step against no norm (ms, mean [95% CI]):",
                "",
                table(["norm", "forward", "backward", "step", "step minus none"], rows),
                "",
            ]
        if figures.have_matplotlib() and sizes and "none" in norms:
            p = self._plot(records, sizes, norms, out / "figures" / "norm_cost.png")
            lines += [
                f"![time per step relative to no norm](figures/{p.name})",
                "",
                "*Time per training step of each norm divided by no norm's, forward and "
                "backward apart, per model size (mean over repetitions).*",
                "",
            ]
        elif not figures.have_matplotlib():
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)

    @staticmethod
    def _plot(records, sizes, norms, path):
        plt = figures.pyplot()
        fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 3.8))
        axes = [axes] if len(sizes) == 1 else list(axes)
        for ax, size in zip(axes, sizes):
            for k, key in enumerate(("fwd_ms", "bwd_ms")):

                def mean(n, key=key, size=size):
                    return mean_std(list(per_seed(records, _ms(key), norm=n,
                                                  size=size).values()))[0]  # fmt: skip

                ratio = [mean(n) / mean("none") for n in norms]
                xs = [i + (k - 0.5) * 0.4 for i in range(len(norms))]
                ax.bar(xs, ratio, width=0.4, label=("forward", "backward")[k])
            ax.axhline(1.0, color="k", lw=0.8)
            ax.set_xticks(range(len(norms)), norms)
            ax.set_xlabel("normalization")
            ax.set_ylabel("time per step / time without a norm")
            ax.set_title(f"{size} model")
            ax.grid(axis="y", alpha=0.3)
            ax.legend(fontsize=8)
        return figures.save(fig, path)
