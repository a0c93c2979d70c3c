"""Study ``precise-bn``: BatchNorm's EMA running statistics against precise population
statistics (PreciseBN) at several momenta and batch sizes, and the train/eval-mode gap."""

from __future__ import annotations

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
    paired_cells,
    per_seed,
    run_configs,
    seeds,
    table,
    value,
)

BATCH_SIZES = [4, 32]
MOMENTA = [0.01, 0.1, 0.5]
BASE_LR = 0.05
EPOCHS = 5
WU_JOHNSON = (
    "Wu & Johnson 2021 (Rethinking 'Batch' in BatchNorm, arXiv 2105.07576), sections 3 "
    "(PreciseBN) and 5 (train-test inconsistency)"
)


class PreciseStats:
    """After training: the test error (eval mode) once every BatchNorm's running statistics
    are replaced by precise population statistics of the final weights (an exact average
    over batches of the training batch size covering the training set), and restored."""

    def after_run(self, trainer, result) -> None:
        import numpy as np

        from minigrad.nn.utils import recompute_batchnorm_stats

        if result.get("status") != "ok":
            return
        model, data = trainer.model, trainer.data
        bs = trainer.config.batch_size
        order = np.random.default_rng(trainer.config.seed).permutation(len(data.x_train))
        batches = [trainer.tensor(data.x_train[order[i : i + bs]])
                   for i in range(0, len(order) - bs + 1, bs)]  # fmt: skip
        saved = {k: b._data.copy() for k, b in model.named_buffers()}
        recompute_batchnorm_stats(model, batches)
        ev = trainer.evaluate("test")
        for k, b in model.named_buffers():
            b._data = saved[k]
        result["final"]["test_acc_precise"] = ev["acc"]


def run_precise(config, run_dir=None, progress="none") -> dict:
    """Train one run, then evaluate it with precise statistics (module level, for Dask)."""
    return train(config, out_dir=run_dir, progress=progress, hooks=[PreciseStats()])


def err(key):
    """Test error (points) from a final accuracy key (a fraction)."""

    def f(record):
        acc = value(record, key)
        return None if acc is None else 100 * (1 - acc)

    return f


ema_err = value  # final test error (points), EMA running statistics
precise_err = err("test_acc_precise")
batch_err = err("test_acc_batch_stats")


class PreciseBNStudy(Study):
    NAME = "precise-bn"
    TITLE = "EMA running statistics vs precise population statistics (PreciseBN)"
    CLAIMS = {
        "precise-beats-ema-at-high-momentum": Claim(
            text="The EMA of BatchNorm's running statistics is a poor estimate of the "
            "population statistics when the momentum is large: it is dominated by the last "
            "few batches. PreciseBN, an exact average of the final model's batch "
            "statistics over many samples, estimates them better and gives a better model.",
            source=WU_JOHNSON,
            quantity="test error with the EMA statistics minus with precise statistics, "
            "momentum 0.5, batch 32 (points)",
            direction="greater",
            published="ResNet-50 on ImageNet: with a large EMA momentum the EMA model's "
            "accuracy is unstable and below PreciseBN's (Figure 3)",
        ),
        "precise-beats-ema-at-default-momentum": Claim(
            text="PreciseBN's population statistics are more accurate than the EMA's even "
            "at the usual momentum.",
            source=WU_JOHNSON,
            quantity="test error with the EMA statistics minus with precise statistics, "
            "momentum 0.1, batch 32 (points)",
            direction="greater",
            published="small differences at the end of a normal ImageNet training; larger "
            "ones early or with large batches (Figures 2-3)",
        ),
        "eval-mode-worse-at-small-batch": Claim(
            text="At small batches, the model is trained to work with noisy mini-batch "
            "statistics, so normalizing with population statistics at inference is "
            "inconsistent with training and can be worse than normalizing with mini-batch "
            "statistics (train mode).",
            source=WU_JOHNSON,
            quantity="test error with precise population statistics (eval mode) minus with "
            "the statistics of test batches of 4 (train mode), batch 4, momentum 0.1 "
            "(points)",
            direction="greater",
        ),
    }
    SETUP = f"""
`make_model('cnn', 'batch', in_shape=(1, 40), width=16, depth=2)`, SGD momentum 0.9,
learning rate {BASE_LR}·N/32, {EPOCHS} epochs at batch N in {BATCH_SIZES}, BN running-
statistics momentum in {MOMENTA}, 5 seeds. The momentum only changes the running averages
(never the training forward pass), so at one batch size and seed the trained weights are
the same for every momentum. Each trained network is evaluated three ways on the test set:
with its EMA running statistics (eval mode), with precise statistics
(`nn.utils.recompute_batchnorm_stats` over the training set in batches of N, the final
weights, then eval mode), and with the statistics of each test batch of N (train mode).
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(width=4, depth=1, **data_settings(True))
            grid = expand_grid(base, batch_size=[4], bn_momentum=[0.1, 0.5], seed=seeds(True))
        else:
            base = RunConfig(model="cnn", norm="batch", width=16, depth=2, epochs=EPOCHS,
                             **data_settings(False))  # fmt: skip
            grid = expand_grid(base, batch_size=BATCH_SIZES, bn_momentum=MOMENTA,
                               seed=seeds(False))  # fmt: skip
        return [c.replace(lr=BASE_LR * c.batch_size / 32, eval_batch_stats=True,
                          tags={"study": self.NAME}) for c in grid]  # fmt: skip

    def run(self, out, quick, progress, executor="serial"):
        return run_configs(self.configs(quick), out, progress, run_fn=run_precise,
                           executor=executor)  # fmt: skip

    def evidence(self, records) -> dict:
        sizes = sorted({r["config"]["batch_size"] for r in records})
        big, small = sizes[-1], sizes[0]
        return {
            "precise-beats-ema-at-high-momentum": {
                "a": per_seed(records, ema_err, batch_size=big, bn_momentum=0.5),
                "b": per_seed(records, precise_err, batch_size=big, bn_momentum=0.5),
            },
            "precise-beats-ema-at-default-momentum": {
                "a": per_seed(records, ema_err, batch_size=big, bn_momentum=0.1),
                "b": per_seed(records, precise_err, batch_size=big, bn_momentum=0.1),
            },
            "eval-mode-worse-at-small-batch": {
                "a": per_seed(records, precise_err, batch_size=small, bn_momentum=0.1),
                "b": per_seed(records, batch_err, batch_size=small, bn_momentum=0.1),
            },
        }

    def analyze(self, records, out) -> str:
        sizes = sorted({r["config"]["batch_size"] for r in records})
        moms = sorted({r["config"]["bn_momentum"] for r in records})
        rows = []
        for b in sizes:
            for m in moms:
                rs = by(records, batch_size=b, bn_momentum=m)
                cells = []
                for f in (ema_err, precise_err, batch_err):
                    mu, sd, k = mean_std([f(r) for r in rs])
                    cells.append("—" if not k else f"{mu:.1f} ± {sd:.1f}")
                cells.append(paired_cells(per_seed(rs, ema_err), per_seed(rs, precise_err)))
                cells.append(paired_cells(per_seed(rs, precise_err), per_seed(rs, batch_err)))
                rows.append([b, m, *cells])
        lines = [
            "## Results",
            "",
            "Test error (%), mean ± std over seeds, with three kinds of statistics; paired "
            "differences in points (mean [95% CI]):",
            "",
            table(
                [
                    "batch",
                    "BN momentum",
                    "EMA (eval)",
                    "precise (eval)",
                    "batch stats (train mode)",
                    "EMA - precise",
                    "precise - batch stats",
                ],
                rows,
            ),  # fmt: skip
            "",
        ]
        if figures.have_matplotlib():
            plt = figures.pyplot()
            fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 3.8), sharey=False)
            axes = [axes] if len(sizes) == 1 else list(axes)
            for ax, b in zip(axes, sizes):
                groups = {
                    label: {
                        m: [f(r) for r in by(records, batch_size=b, bn_momentum=m)] for m in moms
                    }
                    for label, f in (
                        ("EMA running stats (eval)", ema_err),
                        ("precise stats (eval)", precise_err),
                        ("batch stats (train mode)", batch_err),
                    )
                }
                figures.ci_lines(
                    groups,
                    None,
                    xlabel="BN momentum (log scale)",
                    ylabel="test error (%)",
                    title=f"batch {b}",
                    logx=True,
                    ax=ax,
                )
                ax.set_xscale("log", base=10)  # fmt: skip
            p = figures.save(fig, out / "figures" / "precise_vs_ema.png")
            lines += [
                f"![EMA vs precise statistics](figures/{p.name})",
                "",
                "*One panel per batch size: test error against the BN momentum for each kind "
                "of statistics (mean over seeds; bars: 95% t-interval over seeds).*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)
