"""Study ``regularization``: the train/test gap with and without BatchNorm."""

from __future__ import annotations

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.studies.common import Study, by, final, mean_std, pct, table

SUBSET = 300
ARMS = [("none", 0.0), ("batch", 0.0), ("none", 0.3), ("batch", 0.3)]


class RegularizationStudy(Study):
    NAME = "regularization"
    TITLE = "train/test gap with and without BatchNorm (and dropout)"
    CLAIM = """
CLAIMS.md claim 5: BatchNorm *acts as a regularizer (batch noise), sometimes reducing the
need for dropout, but it does not always prevent overfitting*.

**What would confirm it here:** on a small training set that an MLP can memorize, the gap
between training and test accuracy (both in eval mode) is smaller with BN than without,
beyond the seed spread; the dropout arms show how it compares with an explicit
regularizer.
"""

    SETUP = f"""
`make_model('mlp', norm, in_shape=(1, 8, 8), width=256, depth=2, dropout=p)` trained on a
fixed random subset of {SUBSET} of the 1,438 training digits (the full 359-image test set),
batch 32, SGD lr 0.05 with momentum 0.9, 60 epochs (540 steps), seeds 0-2. Arms (norm,
dropout): {ARMS}.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(model="mlp", width=8, depth=1, epochs=2, subset=64, test_subset=64)
            arms, seeds = ARMS[:2], [0]
        else:
            base = RunConfig(
                model="mlp", width=256, depth=2, batch_size=32, lr=0.05, epochs=60, subset=SUBSET
            )
            arms, seeds = ARMS, [0, 1, 2]
        return [
            base.replace(norm=n, dropout=p, seed=s, tags={"study": self.NAME})
            for n, p in arms
            for s in seeds
        ]

    def analyze(self, records, out) -> str:
        rows, gap, accs = [], {}, {}
        for n, p in ARMS:
            rs = by(records, norm=n, dropout=p)
            if not rs:
                continue
            tr = mean_std([final(r, "train_acc_eval") for r in rs])
            te = mean_std([final(r) for r in rs])
            g = mean_std(
                [final(r, "train_acc_eval") - final(r) for r in rs if final(r) is not None]
            )
            tl = mean_std([final(r, "test_loss") for r in rs])
            gap[n, p] = g
            accs[n, p] = (tr, te)
            rows.append(
                [n, p, pct(*tr[:2]), pct(*te[:2]), pct(*g[:2]), f"{tl[0]:.3f} ± {tl[1]:.3f}"]
            )
        lines = [
            "## Results",
            "",
            "Mean ± std over seeds; accuracies (%) in eval mode after the last epoch:",
            "",
            table(["norm", "dropout", "train acc", "test acc", "gap (points)", "test loss"], rows),
            "",
            "## Verdict",
            "",
        ]
        if ("batch", 0.0) in gap and ("none", 0.0) in gap:
            (gb, sb, _), (gn, sn, _) = gap["batch", 0.0], gap["none", 0.0]
            held = gn - gb > max(sb, sn)
            lines.append(
                f"- Gap with BN {100 * gb:.1f} vs without {100 * gn:.1f} points (seed std "
                f"{100 * max(sb, sn):.1f}): BN as a regularizer **"
                f"{'held' if held else 'did not hold'}** (beyond the spread) at this scale."
            )
            if ("none", 0.3) in gap:
                lines.append(
                    f"- Dropout 0.3 without BN: gap {100 * gap['none', 0.3][0]:.1f} points; "
                    f"with BN: {100 * gap['batch', 0.3][0]:.1f}."
                )
            if gb > 0.005:
                lines.append("- BN did not prevent overfitting: a gap remains.")
        lines.append("")
        if accs and figures.have_matplotlib():
            p = self._plot(accs, out / "figures" / "train_test_gap.png")
            lines += [f"![train and test accuracy per arm](figures/{p.name})", ""]
        elif accs:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)

    @staticmethod
    def _plot(accs, path):
        plt = figures.pyplot()
        fig, ax = plt.subplots(figsize=(6, 4))
        arms = list(accs)
        xs = range(len(arms))
        for k, (label, off) in enumerate((("train", -0.18), ("test", 0.18))):
            m = [100 * accs[a][k][0] for a in arms]
            s = [100 * accs[a][k][1] for a in arms]
            ax.bar([x + off for x in xs], m, width=0.36, yerr=s, capsize=3, label=label)
        ax.set_xticks(list(xs), [f"{n}\ndropout {p}" for n, p in arms])
        lo = min(100 * accs[a][1][0] for a in arms)
        ax.set_ylim(max(0.0, lo - 10), 100.5)
        ax.set_ylabel("accuracy (%), eval mode")
        ax.set_title("train vs test accuracy (mean ± std over seeds)")
        ax.grid(axis="y", alpha=0.3)
        ax.legend()
        return figures.save(fig, path)
