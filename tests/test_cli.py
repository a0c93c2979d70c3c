"""The ``minigrad`` command line end to end, on tiny settings (seconds each)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from minigrad.cli import main
from minigrad.experiments import read_results

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY = [
    "--model",
    "mlp",
    "--width",
    "8",
    "--depth",
    "1",
    "--subset",
    "64",
    "--test-subset",
    "64",
    "--epochs",
    "1",
    "--progress",
    "none",
]


@pytest.mark.parametrize("command", [[], ["train"], ["compare"], ["report"], ["study"]])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    assert "usage: minigrad" in capsys.readouterr().out


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "compare" in capsys.readouterr().out


def test_train_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--norm", "batch", "--out", str(out)]) == 0
    for name in (
        "config.json",
        "metrics_steps.jsonl",
        "metrics_epochs.jsonl",
        "model.ckpt",
        "result.json",
    ):
        assert (out / name).exists(), name
    assert json.loads((out / "config.json").read_text())["norm"] == "batch"
    assert "test acc" in capsys.readouterr().out


def test_compare_end_to_end_with_report_and_figures(tmp_path, capsys):
    out = tmp_path / "grid"
    argv = [
        "compare",
        *TINY,
        "--norms",
        "none",
        "batch",
        "--batch-sizes",
        "8",
        "16",
        "--seeds",
        "0",
        "1",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    records = read_results(out)
    assert len(records) == 8 and all(r["status"] == "ok" for r in records)
    # linear learning-rate scaling: lr = 0.05 * batch / 32
    assert {r["config"]["batch_size"]: r["config"]["lr"] for r in records} == {8: 0.0125, 16: 0.025}
    report = (out / "report.md").read_text()
    assert "Test accuracy (%) by norm and batch_size" in report
    assert "minigrad compare" in report  # the exact command
    pngs = list((out / "figures").glob("*.png"))
    assert pngs
    plt = pytest.importorskip("matplotlib.pyplot")
    for p in pngs:
        assert p.read_bytes()[:8] == PNG_SIGNATURE
        assert plt.imread(p).shape[-1] in (3, 4)
    # rerun: everything is skipped, nothing duplicated
    capsys.readouterr()
    assert main(argv) == 0
    assert "8 of 8 runs already done, 0 to go" in capsys.readouterr().out
    assert len((out / "results.jsonl").read_text().splitlines()) == 8
    # report alone rewrites report.md
    (out / "report.md").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").exists()


def test_compare_diverging_run_recorded_and_grid_goes_on(tmp_path):
    out = tmp_path / "grid"
    argv = [
        "compare",
        *TINY,
        "--norms",
        "none",
        "--batch-sizes",
        "16",
        "--seeds",
        "0",
        "--lrs",
        "0.05",
        "1e7",
        "--epochs",
        "3",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    status = {r["config"]["tags"]["base_lr"]: r["status"] for r in read_results(out)}
    assert status == {0.05: "ok", 1e7: "diverged"}
    assert "diverged" in (out / "report.md").read_text()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--norm", "batchy"], "invalid choice: 'batchy'"),
        (["compare", "--norms", "none", "bogus"], "invalid choice: 'bogus'"),
        (["train", "--batch-size", "-3"], "must be a positive integer, got -3"),
        (["compare", "--batch-sizes", "0"], "must be a positive integer, got 0"),
        (["train", "--lr", "abc"], "expected a number"),
        (
            ["train", "--norm", "group", "--groups", "3", "--width", "8"],
            "groups=3 must divide the 8 channels",
        ),
        (["compare", "--norms", "group", "--groups", "5"], "groups=5 must divide"),
        (["train", "--model", "mlp", "--norm", "instance"], "needs a spatial extent"),
        (["train", "--dataset", "mnist"], "--data-root"),
        (["report", "/nonexistent/folder"], "holds no results.jsonl"),
        (["train", "--device", "gpu"], "device must be 'cpu' or 'cuda[:n]'"),
        (["study", "no-such-study"], "unknown study 'no-such-study'"),
    ],
)
def test_bad_arguments_exit_2_with_message(argv, message, capsys, tmp_path):
    argv = (
        [*argv, "--out", str(tmp_path / "o")] if argv[0] in ("train", "compare", "study") else argv
    )
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_missing_idx_files_exit_2(tmp_path, capsys):
    code = main(
        [
            "train",
            "--dataset",
            "fashion-mnist",
            "--data-root",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot load dataset 'fashion-mnist'" in err and "IDX" in err


def test_python_dash_m_minigrad_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "minigrad", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "compare" in proc.stdout


def test_real_kill_then_resume(tmp_path):
    """SIGKILL a `minigrad compare` after its first result; the rerun completes the grid."""
    out = tmp_path / "grid"
    argv = [
        sys.executable,
        "-m",
        "minigrad",
        "compare",
        *TINY,
        "--norms",
        "none",
        "batch",
        "--batch-sizes",
        "8",
        "--seeds",
        "0",
        "1",
        "2",
        "--epochs",
        "3",
        "--out",
        str(out),
        "--no-report",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    results = out / "results.jsonl"
    try:
        while proc.poll() is None:
            if results.exists() and results.read_text().count("\n") >= 1:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        proc.wait()
    before = [r["run_id"] for r in read_results(out)]
    assert before  # at least one run survived the kill
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    after = [r["run_id"] for r in read_results(out)]
    assert set(before) <= set(after)  # nothing lost (runs finish in any order on workers)
    assert len(after) == len(set(after)) == 6  # nothing duplicated, grid complete
    assert len(results.read_text().splitlines()) == 6


def test_study_list_and_quick_study(tmp_path, capsys):
    assert main(["study", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "batch-size" in listing
    out = tmp_path / "study"
    assert (
        main(["study", "bn-sigmoid-mlp", "--quick", "--out", str(out), "--progress", "none"]) == 0
    )
    report = (out / "report.md").read_text()
    assert "## Claim tested" in report and "## Verdict" in report
    assert "minigrad study bn-sigmoid-mlp" in report


def test_compare_defaults_are_the_readme_grid():
    """`minigrad compare` with no options: a CNN on digits, 5 norms x 3 batch sizes x 3 seeds."""
    from minigrad.cli import build_parser, compare_configs

    configs = compare_configs(build_parser().parse_args(["compare"]))
    assert len(configs) == 45
    assert {c.norm for c in configs} == {"none", "batch", "layer", "group", "instance"}
    assert {c.batch_size for c in configs} == {4, 16, 64}
    assert {c.seed for c in configs} == {0, 1, 2}
    assert {(c.model, c.dataset) for c in configs} == {("cnn", "digits")}
    for c in configs:
        c.validate()


def _write_fake_mnist(root, n_train=48, n_test=16):
    import numpy as np

    from minigrad.data import write_idx

    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 50, (n, 28, 28)).astype(np.uint8)
        for i, lab in enumerate(labels):  # a learnable bright stripe per class
            images[i, 2 * lab : 2 * lab + 3, :] = 250
        write_idx(root / f"{prefix}-images-idx3-ubyte", images)
        write_idx(root / f"{prefix}-labels-idx1-ubyte", labels)


def test_train_on_user_idx_files_28x28(tmp_path):
    _write_fake_mnist(tmp_path)
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--dataset",
            "mnist",
            "--data-root",
            str(tmp_path),
            "--model",
            "cnn",
            "--width",
            "4",
            "--depth",
            "2",
            "--epochs",
            "1",
            "--batch-size",
            "16",
            "--norm",
            "group",
            "--groups",
            "2",
            "--progress",
            "none",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "ok" and result["steps"] == 3


def test_cuda_without_a_gpu_exits_2(tmp_path, capsys):
    import minigrad

    try:
        available = minigrad.cuda.is_available()
    except Exception:
        available = False
    if available:
        pytest.skip("a CUDA GPU is present")
    assert main(["train", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "device 'cuda' is not usable" in capsys.readouterr().err
