"""Study ``bn-sigmoid-mlp``: Ioffe & Szegedy 2015, Figure 1, on mnist1d."""

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
    final,
    mean_std,
    pct,
    per_seed,
    run_configs,
    seeds,
    table,
)

PERCENTILES = (15, 50, 85)
IOFFE_FIG1 = (
    "Ioffe & Szegedy 2015 (arXiv 1502.03167), section 4.1 and Figure 1: MNIST, three fully "
    "connected hidden layers of 100 sigmoid units, batch 60, 50,000 steps"
)


class SigmoidInputProbe:
    """Every ``every`` steps, the 15/50/85th percentiles over the test set (eval mode) of
    the input to unit ``unit`` of the last hidden layer's sigmoid."""

    def __init__(self, every: int, unit: int = 0):
        self.every, self.unit = every, unit
        self.rows = []

    def __call__(self, trainer, record):
        if trainer.step % self.every and trainer.step != 1:
            return None
        import minigrad

        sig = [m for m in trainer.model.modules() if type(m).__name__ == "Sigmoid"][-1]
        seen = []
        handle = sig.register_forward_hook(lambda mod, args, out: seen.append(args[0]))
        trainer.model.eval()
        try:
            with minigrad.no_grad():
                trainer.model(trainer.tensor(trainer.data.x_test))
        finally:
            handle.remove()
            trainer.model.train()
        values = seen[0].numpy()[:, self.unit]
        p = [float(v) for v in np.percentile(values, PERCENTILES)]
        self.rows.append([trainer.step, *p])
        return {"sigmoid_input_percentiles": p}


def run_with_probe(config, run_dir=None, progress="none") -> dict:
    """Train one run with a :class:`SigmoidInputProbe` (a module-level function, so Dask
    workers import it by name)."""
    probe = SigmoidInputProbe(config.eval_every)
    rec = train(config, out_dir=run_dir, progress=progress, callbacks=[probe])
    rec["sigmoid_input_percentiles"] = probe.rows
    return rec


class BNSigmoidMLPStudy(Study):
    NAME = "bn-sigmoid-mlp"
    TITLE = "BatchNorm in a 3x100 sigmoid MLP: accuracy and the drift of a sigmoid's input"
    CLAIMS = {
        "bn-ends-higher": Claim(
            text="With Batch Normalization the network reaches a higher test accuracy.",
            source=IOFFE_FIG1,
            quantity="final test error without a norm minus with BN (points)",
            direction="greater",
            published="about 97.5% (BN) vs 96.5% (no BN) test accuracy after 50,000 steps "
            "(read from Figure 1a)",
        ),
        "bn-trains-faster": Claim(
            text="The batch-normalized network trains faster.",
            source=IOFFE_FIG1,
            quantity="test error at 10% of training without a norm minus with BN (points)",
            direction="greater",
            published="BN ahead of the baseline from the first 10,000 steps (Figure 1a)",
        ),
        "bn-stable-sigmoid-input": Claim(
            text="The distribution of the inputs to a sigmoid is much more stable with "
            "Batch Normalization, which reduces the internal covariate shift; without it "
            "the distributions change significantly over the course of training.",
            source=IOFFE_FIG1 + ", Figure 1b-c",
            quantity="range of the median sigmoid input over training, in units of its "
            "final 15-85th percentile spread, without a norm minus with BN",
            direction="greater",
            published="qualitative: the 15/50/85th percentiles drift without BN (Figure 1b) "
            "and stay flat with it (Figure 1c)",
        ),
    }
    SETUP = """
`make_model('mlp', norm, in_shape=(1, 40), width=100, depth=3, activation='sigmoid')`:
Linear(40,100)-[BN]-Sigmoid x3, Linear(100,10); norm `batch` or `none`. Batch 60, SGD
lr 0.1 with momentum 0.9 (chosen before running, the same for both), 30 epochs of the
4,000 mnist1d training signals (1,980 steps; Ioffe & Szegedy ran 50,000 steps on MNIST),
5 seeds. Test accuracy every 20 steps (eval mode). The probe: unit 0 of the last hidden
layer, its sigmoid's input over the 1,000 test signals in eval mode, every 20 steps.
"""

    def configs(self, quick: bool) -> list:
        base = RunConfig(
            model="mlp",
            width=100,
            depth=3,
            activation="sigmoid",
            batch_size=60,
            lr=0.1,
            momentum=0.9,
            epochs=30,
            eval_every=20,
            tags={"study": self.NAME},
            **data_settings(False),
        )
        if quick:
            base = base.replace(**data_settings(True), width=8, eval_every=1)
        return expand_grid(base, norm=["batch", "none"], seed=seeds(quick))

    @staticmethod
    def _early_err(record):
        evals = record.get("evals") or []
        if record.get("status") != "ok" or not evals:
            return None
        return 100 * (1 - evals[len(evals) // 10]["acc"])

    def evidence(self, records) -> dict:
        def rel(r):
            d = self._drift(r.get("sigmoid_input_percentiles") or [])
            return d.get("relative_range") if r.get("status") == "ok" else None

        return {
            "bn-ends-higher": {"a": per_seed(records, norm="none"),
                               "b": per_seed(records, norm="batch")},
            "bn-trains-faster": {"a": per_seed(records, self._early_err, norm="none"),
                                 "b": per_seed(records, self._early_err, norm="batch")},
            "bn-stable-sigmoid-input": {"a": per_seed(records, rel, norm="none"),
                                        "b": per_seed(records, rel, norm="batch")},
        }  # fmt: skip

    def run(self, out, quick, progress, executor="serial"):
        return run_configs(
            self.configs(quick), out, progress, run_fn=run_with_probe, executor=executor
        )

    @staticmethod
    def _drift(rows) -> dict:
        """Movement of each percentile from the first probe after step 1 to the end, in
        units of the final 15-85 spread, and the total range over training."""
        a = np.asarray(rows, dtype=float)
        if len(a) < 2:
            return {}
        spread = max(a[-1, 3] - a[-1, 1], 1e-12)
        return {
            "p50_start": a[0, 2],
            "p50_end": a[-1, 2],
            "p50_range": a[:, 2].max() - a[:, 2].min(),
            "relative_range": (a[:, 2].max() - a[:, 2].min()) / spread,
            "spread_end": spread,
        }

    def analyze(self, records, out) -> str:
        lines = ["## Results", ""]
        rows, stats = [], {}
        for norm in ("batch", "none"):
            rs = by(records, norm=norm)
            if not rs:
                continue
            fin = mean_std([final(r) for r in rs])
            evals = [r.get("evals") or [] for r in rs if r.get("status") == "ok"]
            early = mean_std([e[len(e) // 10]["acc"] for e in evals if e])
            steps_early = evals[0][len(evals[0]) // 10]["step"] if evals and evals[0] else None
            drifts = [self._drift(r.get("sigmoid_input_percentiles") or []) for r in rs]
            rel = mean_std([d.get("relative_range") for d in drifts if d])
            stats[norm] = {"final": fin, "early": early, "rel": rel}
            rows.append(
                [
                    norm,
                    len(rs),
                    f"{pct(*fin[:2])}",
                    f"{pct(*early[:2])} (step {steps_early})",
                    f"{rel[0]:.2f} ± {rel[1]:.2f}",
                ]
            )
        lines += [
            table(
                [
                    "norm",
                    "seeds",
                    "final test acc (%)",
                    "test acc at 10% of training (%)",
                    "range of p50 over training / final p15-p85 spread",
                ],
                rows,
            ),
            "",
        ]
        if figures.have_matplotlib():
            series = {}
            for r in records:
                if r.get("status") == "ok" and r.get("evals"):
                    xs = [e["step"] for e in r["evals"]]
                    ys = [e["acc"] for e in r["evals"]]
                    series.setdefault(f"norm={r['config']['norm']}", []).append((xs, ys))
            p = figures.curves(
                series,
                out / "figures" / "test_acc_vs_steps.png",
                xlabel="training step",
                title="test accuracy (cf. Ioffe & Szegedy Fig. 1a)",
            )
            lines += [
                f"![test accuracy against steps](figures/{p.name})",
                "",
                "*Test accuracy (eval mode) against the training step: the mean over seeds, "
                "the band from the lowest to the highest seed.*",
                "",
            ]
            p = self._plot_percentiles(records, out / "figures" / "sigmoid_input_percentiles.png")
            if p is not None:
                lines += [
                    f"![sigmoid input percentiles](figures/{p.name})",
                    "",
                    "*15th, 50th and 85th percentiles of the input to one last-layer sigmoid "
                    "over the test set, seed 0 (cf. Ioffe & Szegedy Fig. 1b, c).*",
                    "",
                ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)

    @staticmethod
    def _plot_percentiles(records, path):
        plt = figures.pyplot()
        arms = [
            r
            for r in records
            if r["config"]["seed"] == records[0]["config"]["seed"]
            and r.get("sigmoid_input_percentiles")
        ]
        if plt is None or not arms:
            return None
        fig, axes = plt.subplots(1, len(arms), figsize=(5 * len(arms), 3.5), sharey=False)
        axes = np.atleast_1d(axes)
        for ax, r in zip(axes, arms):
            a = np.asarray(r["sigmoid_input_percentiles"], dtype=float)
            for j, q in enumerate(PERCENTILES, 1):
                ax.plot(a[:, 0], a[:, j], label=f"p{q}")
            ax.set_title(f"norm={r['config']['norm']}")
            ax.set_xlabel("training step")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("input to the sigmoid (pre-activation)")
        axes[0].legend(fontsize=8)
        return figures.save(fig, path)
