"""Study ``mnist1d-baselines``: mnist1d's published table with our models and training."""

from __future__ import annotations

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.statistics import Claim
from minigrad.experiments.studies.common import (
    Study,
    by,
    data_settings,
    mean_std,
    per_seed,
    seeds,
    table,
)

#: (row, model kind, width, depth, published test accuracy %) of Greydanus 2020's table.
MODELS = [
    ("logistic regression", "logreg", 1, 1, 32.0),
    ("MLP", "resmlp", 100, 2, 68.0),
    ("CNN", "stridedcnn", 25, 3, 94.0),
    ("GRU", "gru", 6, 1, 91.0),
]
STEPS = 6000
BATCH = 100
LR = 1e-2
SOURCE = (
    "Greydanus 2020 (Scaling down deep learning, arXiv 2011.14439), the MNIST-1D benchmark "
    "table ('Comparing MNIST and MNIST-1D', README of github.com/greydanus/mnist1d); models "
    "of its notebooks/models.py, "
    "Adam lr 0.01, batch 100"
)


def _key(row: str) -> str:
    return row.lower().replace(" ", "-")


class BaselinesStudy(Study):
    NAME = "mnist1d-baselines"
    TITLE = "mnist1d's published table (logistic regression, MLP, CNN, GRU) with our models"
    CLAIMS = {
        f"{_key(row)}-reaches-published": Claim(
            text=f"On MNIST-1D, a {row} reaches {acc:g}% test accuracy.",
            source=SOURCE,
            quantity=f"our {row}'s test accuracy minus the published {acc:g}% (points)",
            direction="greater",
            published=f"{acc:g}% test accuracy",
        )
        for row, _, _, _, acc in MODELS
    }
    SETUP = f"""
The models of mnist1d's `notebooks/models.py`, built by
`make_model(kind, 'none', in_shape=(1, 40), width, depth)`: `logreg` (Linear 40 -> 10),
`resmlp` (width 100, depth 2: Linear-ReLU, a residual Linear-ReLU, Linear), `stridedcnn`
(width 25, depth 3: Conv1d k5 stride 2, two Conv1d k3 stride 2, ReLU after each, Linear on
the 25x5 features), `gru` (width 6: a bidirectional GRU over the 40 positions, the 480
outputs flattened into a Linear). Their recipe: Adam, learning rate {LR:g}, batch {BATCH},
{STEPS} steps ({STEPS * BATCH // 4000} epochs of the 4,000 training signals), no weight
decay; our loader standardizes the signals with the training set's mean and standard
deviation. 5 seeds per model; test accuracy of the final weights on the 1,000 test
signals. Each row's claim compares our accuracy with the published one (a constant):
**held** means above it beyond the seed noise, **not resolved** within the noise of it,
**contradicted** below it.
"""

    def configs(self, quick: bool) -> list:
        base = RunConfig(norm="none", optimizer="adam", lr=LR, batch_size=BATCH,
                         epochs=STEPS * BATCH // 4000, max_steps=STEPS,
                         **data_settings(False))  # fmt: skip
        if quick:
            base = base.replace(batch_size=16, max_steps=None, **data_settings(True))
        return [
            base.replace(
                model=kind, width=width, depth=depth, seed=s, tags={"study": self.NAME, "row": row}
            )  # fmt: skip
            for row, kind, width, depth, _ in MODELS
            for s in seeds(quick)
        ]

    def evidence(self, records) -> dict:
        ev = {}
        for row, _, _, _, acc in MODELS:
            ours = per_seed(records, "test_acc", row=row)
            ev[f"{_key(row)}-reaches-published"] = {"a": ours, "b": {s: acc for s in ours}}
        return ev

    def table_rows(self, records) -> list:
        """``[row, ours mean, ours std, n, published]`` per model (for the findings page)."""
        out = []
        for row, _, _, _, acc in MODELS:
            m, s, k = mean_std(list(per_seed(records, "test_acc", row=row).values()))
            out.append([row, m, s, k, acc])
        return out

    def analyze(self, records, out) -> str:
        rows, notes = [], []
        for row, m, s, k, acc in self.table_rows(records):
            rs = [r for r in by(records, row=row) if r.get("status") == "ok"]
            t = mean_std([r.get("time_s") for r in rs])[0]
            best = mean_std([100 * max(h["test_acc"] for h in r["history"]) for r in rs
                             if r.get("history")])  # fmt: skip
            train = mean_std([100 * (r.get("final") or {}).get("train_acc_eval", float("nan"))
                              for r in rs])  # fmt: skip
            rows.append([row, f"{acc:g}", "—" if not k else f"{m:.1f} ± {s:.1f}",
                         "—" if not best[2] else f"{best[0]:.1f}",
                         "—" if not train[2] else f"{train[0]:.1f}", k,
                         f"{t:.0f}" if k else "—"])  # fmt: skip
            if k and m < acc:
                notes.append(
                    f"- {row}: ours {m:.1f}% is {acc - m:.1f} points below the published "
                    f"{acc:g}%; its best test accuracy at any epoch end averages {best[0]:.1f}% "
                    f"and its final training accuracy is {train[0]:.1f}% (train minus test: "
                    f"{train[0] - m:.1f} points)."
                )  # fmt: skip
        lines = [
            "## Results",
            "",
            "Test accuracy (%) on mnist1d's 1,000 test signals, mean ± std over seeds, beside "
            "the published table; also the best test accuracy at any epoch end and the final "
            "training accuracy (both means over seeds):",
            "",
            table(
                [
                    "model",
                    "published (%)",
                    "ours (%)",
                    "best during training (%)",
                    "train acc (%)",
                    "seeds",
                    "s per run",
                ],
                rows,
            ),  # fmt: skip
            "",
        ]
        if notes:
            lines += ["Rows below the published number:", "", *notes, ""]
        if figures.have_matplotlib():
            p = self._plot(self.table_rows(records), out / "figures" / "mnist1d_table.png")
            lines += [
                f"![mnist1d table, ours vs published](figures/{p.name})",
                "",
                "*Bars: our mean test accuracy over seeds, whiskers ± one standard deviation; "
                "black marks: the published accuracy.*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)

    @staticmethod
    def _plot(rows, path):
        plt = figures.pyplot()
        fig, ax = plt.subplots(figsize=(6, 4))
        xs = list(range(len(rows)))
        ax.bar(xs, [r[1] for r in rows], yerr=[r[2] for r in rows], capsize=4, label="ours")
        ax.scatter(xs, [r[4] for r in rows], color="k", marker="_", s=600, zorder=3,
                   label="published")  # fmt: skip
        ax.set_xticks(xs, [r[0] for r in rows])
        ax.set_xlabel("model")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(0, 100)
        ax.set_title("mnist1d: our models vs the published table")
        ax.grid(axis="y", alpha=0.3)
        ax.legend()
        return figures.save(fig, path)
