"""Study ``regularization``: the train/test gap with and without BatchNorm."""

from __future__ import annotations

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
    seeds,
    table,
    value,
)

SUBSET = 500
EPOCHS = 60
ARMS = [("none", 0.0), ("batch", 0.0), ("none", 0.3), ("batch", 0.3)]


def gap(record):
    """Train minus test accuracy (points), both in eval mode."""
    tr, te = value(record, "train_acc"), value(record, "test_acc")
    return None if tr is None or te is None else tr - te


class RegularizationStudy(Study):
    NAME = "regularization"
    TITLE = "train/test gap with and without BatchNorm (and dropout)"
    CLAIMS = {
        "bn-narrows-gap": Claim(
            text="Batch Normalization regularizes the model: a training example is seen in "
            "conjunction with other examples in the mini-batch, and the network no longer "
            "produces deterministic values for it, which benefits generalization.",
            source="Ioffe & Szegedy 2015 (arXiv 1502.03167), section 3.4",
            quantity="train-minus-test accuracy gap without a norm minus with BN (points, "
            "eval mode, no dropout)",
            direction="greater",
            published="no gap is reported; removing dropout from BN-Inception did not hurt "
            "(section 4.2.1)",
        ),
        "bn-still-overfits": Claim(
            text="BatchNorm's regularization is weak: it does not always prevent "
            "overfitting, and a network with BN still fits its training set better than its "
            "test set.",
            source="Common explainer claim (e.g. Ioffe & Szegedy 2015 keep weight decay and "
            "reduce, not remove, other regularizers)",
            quantity="train accuracy minus test accuracy of the BN network without dropout "
            "(points, same run)",
            direction="greater",
        ),
    }
    SETUP = f"""
`make_model('mlp', norm, in_shape=(1, 40), width=256, depth=2, dropout=p)` trained on a
fixed random subset of {SUBSET} of the 4,000 mnist1d training signals (the full 1,000-signal
test set), batch 32, SGD lr 0.05 with momentum 0.9, {EPOCHS} epochs, 5 seeds. Arms
(norm, dropout): {ARMS}. Train and test accuracy both in eval mode after the last epoch.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(model="mlp", width=8, depth=1, **data_settings(True))
            arms = ARMS[:2]
        else:
            data = {**data_settings(False), "subset": SUBSET}
            base = RunConfig(model="mlp", width=256, depth=2, batch_size=32, lr=0.05,
                             epochs=EPOCHS, **data)  # fmt: skip
            arms = ARMS
        return [base.replace(norm=n, dropout=p, seed=s, tags={"study": self.NAME})
                for n, p in arms for s in seeds(quick)]  # fmt: skip

    def evidence(self, records) -> dict:
        return {
            "bn-narrows-gap": {
                "a": per_seed(records, gap, norm="none", dropout=0.0),
                "b": per_seed(records, gap, norm="batch", dropout=0.0),
            },
            "bn-still-overfits": {
                "a": per_seed(records, "train_acc", norm="batch", dropout=0.0),
                "b": per_seed(records, "test_acc", norm="batch", dropout=0.0),
            },
        }

    def analyze(self, records, out) -> str:
        rows, accs = [], {}
        for n, p in ARMS:
            rs = by(records, norm=n, dropout=p)
            if not rs:
                continue
            tr = mean_std([value(r, "train_acc") for r in rs])
            te = mean_std([value(r, "test_acc") for r in rs])
            g = mean_std([gap(r) for r in rs])
            accs[n, p] = (tr, te)
            rows.append([n, p, f"{tr[0]:.1f} ± {tr[1]:.1f}", f"{te[0]:.1f} ± {te[1]:.1f}",
                         f"{g[0]:.1f} ± {g[1]:.1f}"])  # fmt: skip
        lines = [
            "## Results",
            "",
            "Mean ± std over seeds; accuracies (%) in eval mode after the last epoch:",
            "",
            table(["norm", "dropout", "train acc", "test acc", "gap (points)"], rows),
            "",
        ]
        if ("none", 0.3) in accs and ("batch", 0.3) in accs:
            d = {p: paired_cells(per_seed(records, gap, norm="none", dropout=p),
                                 per_seed(records, gap, norm="batch", dropout=p))
                 for p in (0.0, 0.3)}  # fmt: skip
            lines += [
                "Gap without a norm minus with BN, paired by seed (points, mean [95% CI]): "
                f"no dropout {d[0.0]}; dropout 0.3 {d[0.3]}.",
                "",
            ]
        if accs and figures.have_matplotlib():
            p = self._plot(accs, out / "figures" / "train_test_gap.png")
            lines += [
                f"![train and test accuracy per arm](figures/{p.name})",
                "",
                "*Bars: mean over seeds; whiskers: ± one standard deviation over seeds.*",
                "",
            ]
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
            m = [accs[a][k][0] for a in arms]
            s = [accs[a][k][1] for a in arms]
            ax.bar([x + off for x in xs], m, width=0.36, yerr=s, capsize=3, label=label)
        ax.set_xticks(list(xs), [f"{n}\ndropout {p}" for n, p in arms])
        lo = min(accs[a][1][0] for a in arms)
        ax.set_ylim(max(0.0, lo - 10), 100.5)
        ax.set_xlabel("arm (norm, dropout probability)")
        ax.set_ylabel("accuracy (%), eval mode")
        ax.set_title("train vs test accuracy (mean ± std over seeds)")
        ax.grid(axis="y", alpha=0.3)
        ax.legend()
        return figures.save(fig, path)
