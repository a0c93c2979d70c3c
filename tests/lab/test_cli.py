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


@pytest.mark.parametrize(
    "command", [[], ["train"], ["evaluate"], ["compare"], ["report"], ["study"]]
)
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
        (["train", "--device", "gpu"], "--device: must be 'cpu' or 'cuda[:n]'"),
        (["study", "no-such-study"], "unknown study 'no-such-study'"),
        (["train", "--model", "mlp", "--batch-size", "1"], "needs batch_size >= 2, got 1"),
        (["compare", "--model", "mlp", "--norms", "batch", "--batch-sizes", "1"], "--batch-sizes"),
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
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1, err  # one line, no usage block or traceback
    assert not (tmp_path / "o").exists()  # nothing written


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
    assert "## Claims tested" in report and "## Verdict" in report
    assert "minigrad study bn-sigmoid-mlp" in report


def test_compare_defaults_are_the_readme_grid():
    """`minigrad compare` with no options: a CNN on mnist1d, 7 norms x 2 batch sizes x 5 seeds."""
    from minigrad.cli import build_parser, compare_configs

    configs = compare_configs(build_parser().parse_args(["compare"]))
    assert len(configs) == 70
    assert {c.norm for c in configs} == {
        "none", "batch", "layer", "group", "instance", "renorm", "rms"
    }  # fmt: skip
    assert {c.batch_size for c in configs} == {4, 32}
    assert {c.seed for c in configs} == {0, 1, 2, 3, 4}
    assert {(c.model, c.dataset, c.epochs) for c in configs} == {("cnn", "mnist1d", 3)}
    assert build_parser().parse_args(["train"]).dataset == "digits"  # train keeps its default
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


# ------------------------------------------------------------- a user's mistakes
def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own errors
        return exc.code


def _one_error_line(capsys, *fragments):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_out_that_is_an_existing_file_exits_2(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("keep me")
    for command in (["train"], ["compare", "--norms", "none"]):
        assert main([*command, *TINY, "--out", str(f)]) == 2
        _one_error_line(capsys, "--out", "is an existing file")
    assert main(["study", "bn-sigmoid-mlp", "--quick", "--out", str(f)]) == 2
    _one_error_line(capsys, "is an existing file")
    assert f.read_text() == "keep me"


def test_out_under_a_file_exits_2(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("")
    assert main(["train", *TINY, "--out", str(f / "run")]) == 2
    _one_error_line(capsys, "cannot be created", "is a file, not a folder")
    assert main(["train", *TINY, "--out", ""]) == 2
    _one_error_line(capsys, "--out must name a folder")


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: folder permissions do not stop root from writing",
)
def test_unwritable_out_exits_2(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["train", *TINY, "--out", str(locked / "run")]) == 2
        _one_error_line(capsys, "not writable")
        assert not (locked / "run").exists()
    finally:
        locked.chmod(0o700)


def test_unwritable_out_is_refused_before_anything_runs(tmp_path, capsys, monkeypatch):
    """The write probe itself (root can write anywhere, so the failure is injected)."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    assert main(["train", *TINY, "--out", str(tmp_path / "run")]) == 2
    _one_error_line(capsys, "is not writable: Permission denied")
    assert not (tmp_path / "run").exists()


def _config_options():
    """(option, field) of every RunConfig field that has a command-line option."""
    import dataclasses

    from minigrad.experiments.config import RunConfig

    return [
        ("--" + f.name.replace("_", "-"), f)
        for f in dataclasses.fields(RunConfig)
        if f.metadata.get("cli", True)
    ]


NUMERIC = [(opt, f) for opt, f in _config_options() if f.metadata.get("check") is not None]


@pytest.mark.parametrize("option, field", NUMERIC, ids=[o for o, _ in NUMERIC])
def test_every_option_range_is_checked_before_any_run(option, field, tmp_path, capsys):
    if field.metadata.get("choices"):
        bad = "no-such-value"
    else:
        check = field.metadata["check"]
        candidates = ["-1", "0", "0.5", "1.5", "-0.5", "nan", "inf", "cpux"]

        def parsed(text):
            try:
                return float(text) if "int" not in str(field.type) else int(text)
            except ValueError:
                return text

        bad = next(c for c in candidates if check(parsed(c)) is not None)
    for command in ("train", "compare"):
        argv = [command, *TINY, option, bad, "--out", str(tmp_path / "o")]
        if command == "compare" and option != "--norm":
            argv[1:1] = ["--norms", "none"]
        if command == "compare" and field.metadata.get("axis"):
            argv[argv.index(option)] = field.metadata["axis"]
        assert _exit_code(argv) == 2, argv
        _one_error_line(capsys, "error: argument")
        assert not (tmp_path / "o").exists()


def test_rmax_below_one_is_refused_up_front(tmp_path, capsys):
    for command in ("train", "compare"):
        assert _exit_code([command, "--rmax", "0.5", "--out", str(tmp_path / "o")]) == 2
        _one_error_line(capsys, "argument --rmax: must be >= 1, got 0.5")
    assert not (tmp_path / "o").exists()


def test_list_options_accept_commas_and_spaces():
    from minigrad.cli import build_parser, compare_configs

    parser = build_parser()
    a = compare_configs(parser.parse_args(["compare", "--norms", "batch,group", "--seeds", "0,1"]))
    b = compare_configs(
        parser.parse_args(["compare", "--norms", "batch", "group", "--seeds", "0", "1"])
    )
    assert [c.run_id() for c in a] == [c.run_id() for c in b]
    assert {c.norm for c in a} == {"batch", "group"} and {c.seed for c in a} == {0, 1}
    args = parser.parse_args(["compare", "--batch-sizes", "8,16", "32", "--lrs", "0.1,0.2"])
    assert args.batch_size == [8, 16, 32] and args.lr == [0.1, 0.2]


def test_version(capsys):
    import minigrad

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip().startswith(f"minigrad {minigrad.__version__}")


def test_help_shows_every_default():
    from minigrad.cli import _HelpFormatter, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, type(parser._subparsers._actions[-1])))
    checked = 0
    for name, p in sub.choices.items():
        formatter = _HelpFormatter(prog=p.prog)
        for action in p._actions:
            if not action.option_strings or "-h" in action.option_strings:
                continue
            text = formatter._get_help_string(action)
            assert "default" in text, (name, action.option_strings)
            assert "default: None" not in text, (name, action.option_strings)  # say what it means
            checked += 1
    assert checked > 40


def test_report_on_a_garbage_results_file_exits_2(tmp_path, capsys):
    (tmp_path / "results.jsonl").write_text("garbage\n{not json\n[1, 2]\n")
    assert main(["report", str(tmp_path)]) == 2
    _one_error_line(capsys, "holds no valid result record", "3 malformed lines", "lines 1, 2, 3")
    assert not (tmp_path / "report.md").exists()


def test_malformed_results_lines_are_reported_not_dropped(tmp_path, capsys):
    out = tmp_path / "grid"
    argv = ["compare", *TINY, "--norms", "none", "--batch-sizes", "16", "--seeds", "0"]
    assert main([*argv, "--out", str(out), "--no-report"]) == 0
    with open(out / "results.jsonl", "a") as f:
        f.write("garbage line\n")
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 malformed line skipped (line 2)" in err
    assert "1 malformed line skipped (line 2)" in (out / "report.md").read_text()
    assert main([*argv, "--out", str(out), "--no-report"]) == 0  # compare warns too
    assert "1 malformed line skipped (line 2)" in capsys.readouterr().err


def test_test_subset_larger_than_the_test_set_is_clamped_with_a_notice(tmp_path, capsys):
    argv = ["train", *TINY, "--test-subset", "100000", "--out", str(tmp_path / "r")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "--test-subset 100000 is larger than the test set of digits" in err
    result = json.loads((tmp_path / "r" / "result.json").read_text())
    assert result["config"]["test_subset"] is None  # the whole test set


def test_minigrad_device_env_without_a_gpu_is_one_line(tmp_path):
    import minigrad

    try:
        available = minigrad.cuda.is_available()
    except Exception:
        available = False
    if available:
        pytest.skip("a CUDA GPU is present")
    env = {**os.environ, "MINIGRAD_DEVICE": "cuda"}
    proc = subprocess.run(
        [sys.executable, "-m", "minigrad", "train", *TINY, "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "MINIGRAD_DEVICE 'cuda' is not usable" in lines[0], proc.stderr
    assert not (tmp_path / "o").exists()


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(tmp_path):
    pytest.importorskip("tqdm")
    argv = [sys.executable, "-m", "minigrad", "train", *TINY[:-2], "--epochs", "2"]
    proc = subprocess.run(
        [*argv, "--progress", "auto", "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "it/s" not in proc.stderr  # no tqdm redraws
    assert "epoch 1" in proc.stderr and "epoch 2" in proc.stderr


def test_unexpected_failure_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    import minigrad.experiments.runner as runner

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner, "train", broken)
    monkeypatch.delenv("MINIGRAD_DEBUG", raising=False)
    assert main(["train", *TINY, "--out", str(tmp_path / "r")]) == 1
    _one_error_line(capsys, "OSError", "No space left on device", "MINIGRAD_DEBUG=1")


# ---------------------------------------------------------------- resume, evaluate
def test_train_resume_gives_the_uninterrupted_result(tmp_path, capsys, monkeypatch):
    from minigrad.experiments.runner import Trainer

    argv = ["train", *TINY[:-4], "--epochs", "3", "--batch-size", "16", "--dropout", "0.2"]
    argv += ["--progress", "none"]
    assert main([*argv, "--out", str(tmp_path / "whole")]) == 0
    whole = json.loads((tmp_path / "whole" / "result.json").read_text())

    real_step = Trainer.train_step

    def killed_in_epoch_3(self, xb, yb):
        if self.step == 9:  # 4 steps per epoch: dies in the middle of epoch 3
            raise KeyboardInterrupt
        return real_step(self, xb, yb)

    monkeypatch.setattr(Trainer, "train_step", killed_in_epoch_3)
    out = tmp_path / "killed"
    assert main([*argv, "--out", str(out)]) == 130
    assert f"minigrad train --resume {out}" in capsys.readouterr().err
    assert not (out / "result.json").exists()
    monkeypatch.setattr(Trainer, "train_step", real_step)

    assert main(["train", "--resume", str(out), "--progress", "none"]) == 0
    resumed = json.loads((out / "result.json").read_text())
    assert resumed["steps"] == whole["steps"] == 12
    assert resumed["final"]["test_acc"] == whole["final"]["test_acc"]
    assert resumed["final"]["test_loss"] == whole["final"]["test_loss"]
    assert [h["train_loss"] for h in resumed["history"]] == [
        h["train_loss"] for h in whole["history"]
    ]


def test_train_resume_refuses_settings_and_bad_folders(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path), "--lr", "0.1"]) == 2
    _one_error_line(capsys, "--resume takes the run's settings", "drop --lr")
    assert main(["train", "--resume", str(tmp_path / "nope")]) == 2
    _one_error_line(capsys, "no config.json there")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"colour": "red"}')
    assert main(["train", "--resume", str(run)]) == 2
    _one_error_line(capsys, "unknown config keys: colour")


def test_train_resume_with_a_damaged_checkpoint_exits_2(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    (out / "last.ckpt").write_bytes((out / "last.ckpt").read_bytes()[:100])
    capsys.readouterr()
    assert main(["train", "--resume", str(out)]) == 2
    _one_error_line(capsys, "last.ckpt", "truncated")


def test_evaluate_a_saved_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert f"accuracy {100 * result['final']['test_acc']:.2f}%" in line
    assert "digits test split (64 samples)" in line
    assert main(["evaluate", str(out), "--split", "train", "--test-subset", "32"]) == 0
    assert "digits train split" in capsys.readouterr().out
    # another data set whose inputs the model cannot take: one line, exit 2
    assert main(["evaluate", str(out), "--dataset", "mnist1d"]) == 2
    _one_error_line(capsys, "does not fit the run's model")
    assert main(["evaluate", str(tmp_path / "nope")]) == 2
    _one_error_line(capsys, "holds no config.json")
    (out / "model.ckpt").write_bytes(b"garbage")
    assert main(["evaluate", str(out)]) == 2
    _one_error_line(capsys, "model.ckpt")
