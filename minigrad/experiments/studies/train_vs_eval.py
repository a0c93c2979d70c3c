"""Study ``train-vs-eval``: running statistics against batch statistics at small batches."""

from __future__ import annotations

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.grid import expand_grid
from minigrad.experiments.studies.common import Study, by, final, mean_std, pct, table

BATCH_SIZES = [2, 4, 8, 32]
MOMENTA = [0.01, 0.1, 0.5]
BASE_LR = 0.05


class TrainVsEvalStudy(Study):
    NAME = "train-vs-eval"
    TITLE = "BatchNorm at inference: running statistics vs batch statistics, and momentum"
    CLAIM = """
CLAIMS.md claim 1: BN normalizes with the mini-batch statistics in training and *at
inference uses fixed population statistics gathered in training*; claim 6: small batches
give poor estimates of mean and variance. The running statistics are an exponential
moving average with momentum m (`new = (1-m)·old + m·batch`).

**What this measures:** the test accuracy of the same trained BN network evaluated two
ways, with its running statistics (eval mode, what PyTorch does at inference) and with the
statistics of test batches of the training batch size (train mode), across batch sizes and
running-statistics momenta. The claim predicts that running statistics serve inference
well (at least as well as batch statistics) and that batch statistics get worse as the
batch shrinks.
"""

    SETUP = f"""
`make_model('cnn', 'batch', in_shape=(1, 8, 8), width=8, depth=2)`, SGD momentum 0.9,
learning rate {BASE_LR}·N/32, 3 epochs, batch sizes N in {BATCH_SIZES}, BN momentum in
{MOMENTA}, seeds 0 and 1. Batch-statistics evaluation runs the test set in batches of N in
train mode without gradients and restores the running statistics afterwards.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(width=4, depth=1, epochs=1, subset=64, test_subset=64)
            grid = expand_grid(base, batch_size=[4], bn_momentum=[0.1], seed=[0])
        else:
            base = RunConfig(model="cnn", norm="batch", width=8, depth=2, epochs=3)
            grid = expand_grid(base, batch_size=BATCH_SIZES, bn_momentum=MOMENTA, seed=[0, 1])
        return [
            c.replace(
                lr=BASE_LR * c.batch_size / 32, eval_batch_stats=True, tags={"study": self.NAME}
            )
            for c in grid
        ]

    def analyze(self, records, out) -> str:
        sizes = sorted({r["config"]["batch_size"] for r in records})
        moms = sorted({r["config"]["bn_momentum"] for r in records})
        rows, diffs = [], {}
        for b in sizes:
            for m in moms:
                rs = by(records, batch_size=b, bn_momentum=m)
                run = mean_std([final(r) for r in rs])
                bat = mean_std([final(r, "test_acc_batch_stats") for r in rs])
                d = mean_std(
                    [
                        final(r) - final(r, "test_acc_batch_stats")
                        for r in rs
                        if final(r) is not None
                    ]
                )
                diffs[b, m] = d
                rows.append([b, m, pct(*run[:2]), pct(*bat[:2]), f"{100 * d[0]:+.1f}"])
        lines = [
            "## Results",
            "",
            "Final test accuracy (%), mean ± std over seeds:",
            "",
            table(
                [
                    "batch",
                    "BN momentum",
                    "running stats (eval)",
                    "batch stats (train mode)",
                    "running - batch (points)",
                ],
                rows,
            ),
            "",
        ]
        if figures.have_matplotlib():
            p = self._plot(records, sizes, moms, out / "figures" / "running_vs_batch_stats.png")
            lines += [f"![running vs batch statistics](figures/{p.name})", ""]
        else:
            lines += [figures.PLOT_HINT, ""]
        lines += ["## Verdict", ""]
        default = 0.1 if 0.1 in moms else moms[0]
        for b in sizes:
            d = diffs[b, default][0]
            lines.append(
                f"- Batch {b}, momentum {default}: running statistics "
                f"{'beat' if d > 0 else 'lose to'} batch statistics by {100 * abs(d):.1f} points."
            )
        ok = all(diffs[b, default][0] >= 0 for b in sizes)
        lines.append(
            f"- Running statistics (momentum {default}) at least as good as batch statistics at "
            f"every batch size: **{'held' if ok else 'did not hold'}** (the per-seed "
            f"differences have a std of up to "
            f"{100 * max(diffs[b, default][1] for b in sizes):.1f} points, so small "
            "differences are within the noise)."
        )
        if len(sizes) > 1:
            small, large = sizes[0], sizes[-1]
            bat_small = mean_std(
                [
                    final(r, "test_acc_batch_stats")
                    for r in by(records, batch_size=small, bn_momentum=default)
                ]
            )[0]
            bat_large = mean_std(
                [
                    final(r, "test_acc_batch_stats")
                    for r in by(records, batch_size=large, bn_momentum=default)
                ]
            )[0]
            worse = bat_small < bat_large
            lines.append(
                f"- Batch statistics at batch {small}: {pct(bat_small)}% vs {pct(bat_large)}% at "
                f"batch {large}: they **{'do' if worse else 'do not'}** get worse as the batch "
                "shrinks."
            )
        if len(moms) > 1:
            same = all(
                len({final(r, "test_acc_batch_stats") for r in by(records, batch_size=b, seed=sd)})
                == 1
                for b in sizes
                for sd in {r["config"]["seed"] for r in records}
            )
            lines.append(
                "- Check: the batch-statistics accuracy is "
                + ("identical" if same else "**not** identical (unexpected)")
                + " across momenta for each batch size and seed. It should be: the momentum "
                "only changes the running averages, never the training forward pass, so the "
                "trained weights are the same for every momentum."
            )
            m_min, b_max = moms[0], sizes[-1]
            rs = by(records, batch_size=b_max, bn_momentum=m_min)
            steps = max((r.get("steps") or 0) for r in rs) if rs else 0
            if steps:
                lines.append(
                    f"- With momentum {m_min} at batch {b_max} ({steps} steps) the running "
                    f"averages still hold {100 * (1 - m_min) ** steps:.0f}% of their initial "
                    "value (mean 0, variance 1) at the end: too slow to track the network."
                )
            best = {
                b: max(
                    moms,
                    key=lambda m, b=b: mean_std(
                        [final(r) for r in by(records, batch_size=b, bn_momentum=m)]
                    )[0],
                )
                for b in sizes
            }
            lines.append(
                "- Best running-statistics momentum per batch size: "
                + ", ".join(f"batch {b}: {m}" for b, m in best.items())
                + "."
            )
        return "\n".join(lines)

    @staticmethod
    def _plot(records, sizes, moms, path):
        plt = figures.pyplot()
        fig, ax = plt.subplots(figsize=(6, 4))

        def curve(key, m):
            return [
                100 * mean_std([final(r, key) for r in by(records, batch_size=b, bn_momentum=m)])[0]
                for b in sizes
            ]

        for m in moms:
            ax.plot(sizes, curve("test_acc", m), "-o", label=f"running stats, m={m}")
        # batch statistics do not depend on the momentum: one curve
        ax.plot(sizes, curve("test_acc_batch_stats", moms[0]), "k--x", label="batch stats")
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(b) for b in sizes])
        ax.minorticks_off()
        ax.set_xlabel("batch size")
        ax.set_ylabel("test accuracy (%)")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        return figures.save(fig, path)
