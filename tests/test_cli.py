"""The command line (``python -m infobook``): every subcommand's options, and bad input answered
with one line and exit status 2, never a traceback."""

import json
import subprocess
import sys

import pytest

from infobook.__main__ import build_parser, main

SUBCOMMANDS = (
    "capacity", "baselines", "ceiling", "dense", "digits", "landscape", "optimise", "measures",
)  # fmt: skip


def run_cli(capsys, *argv):
    """Exit status, stdout and stderr of ``python -m infobook ARGV`` run in this process."""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_documents_backend_and_defaults(command):
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    text = sub.format_help()
    assert "--backend" in text and "{auto,numpy,cupy}" in text
    assert "(default:" in text
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings} has no description"


def test_help_of_the_module_lists_backend():
    out = subprocess.run(
        [sys.executable, "-m", "infobook", "capacity", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--backend" in out and "about an hour" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["capacity", "--seeds", "0", "--out", "x.nc"], "--seeds"),
        (["capacity", "--alphas", "0.5:0.1:0.1", "--out", "x.nc"], "lo <= hi"),
        (["capacity", "--alphas", "0.1:0.5:0", "--out", "x.nc"], "step"),
        (["capacity", "--alphas=-0.5:0.2:0.1", "--out", "x.nc"], "> 0"),
        (["capacity", "--alphas", "a,b", "--out", "x.nc"], "numbers"),
        (["capacity", "--neurons", "-3", "--out", "x.nc"], "--neurons"),
        (["capacity", "--goal", "redundant", "--out", "x.nc"], "unknown goal"),
        (["capacity", "--goal", "1,2,3", "--out", "x.nc"], "five weights"),
        (["capacity", "--lr", "-0.1", "--out", "x.nc"], "--lr"),
        (["capacity", "--out", "results.csv"], ".nc"),
        (["capacity", "--backend", "gpu", "--out", "x.nc"], "--backend"),
        (["capacity", "--binning", "hard", "--out", "x.nc"], "--binning"),
        (["capacity", "--search", "binary", "--out", "x.nc"], "--search"),
        (["capacity", "--optimizer", "rmsprop", "--out", "x.nc"], "--optimizer"),
        (["capacity", "--recall", "noisy", "--out", "x.nc"], "--recall"),
        (["landscape", "--search", "binary", "--out", "x.nc"], "--search"),
        (["landscape", "--soft-gradient", "autograd", "--out", "x.nc"], "--soft-gradient"),
        (["landscape", "--slice", "redundancy:unq_R,foo", "--out", "x.nc"], "two different axes"),
        (["landscape", "--slice", "redundancy", "--out", "x.nc"], "CENTER:AXIS1,AXIS2"),
        (["landscape", "--values", "1,x", "--out", "x.nc"], "numbers"),
        (["landscape", "--res", "some", "--out", "x.nc"], "--res"),
        (["optimise", "--trials", "0"], "--trials"),
        (["optimise", "--search-train-flips", "0.3,0.1"], "lo <= hi"),
        (["measures", "--measures", "sx,foo", "--out", "x.nc"], "distinct names"),
        (["measures", "--analysed", "200", "--out", "x.nc"], "at most 100"),
        (["optimise", "--search-train-flips", "0.1"], "'lo,hi'"),
        (["optimise", "--start", "redundant@0.1"], "unknown goal"),
        (["landscape", "--recall-flips", "1.2", "--out", "x.nc"], "[0, 1)"),
        (["ceiling", "--sizes", "1", "--out", "x.nc"], "sizes"),
        (["ceiling", "--sizes", "a,b", "--out", "x.nc"], "integers"),
        (["baselines", "--rules", "nonsense", "--out", "x.nc"], "unknown learning rule"),
        (["baselines", "--rules", "infomorphic:1,0,1,0,0", "--out", "x.nc"], "in brackets"),
        (["baselines", "--rules", "infomorphic:[1,0,1]", "--out", "x.nc"], "five weights"),
        (["baselines", "--rules", "infomorphic:[1,0,1,0,0", "--out", "x.nc"], "brackets"),
        (["baselines", "--markov", "1.5", "--out", "x.nc"], "--markov"),
        (["baselines", "--stop-after", "0", "--out", "x.nc"], "--stop-after"),
        (["baselines", "--seeds", "5:5", "--out", "x.nc"], "LO < HI"),
        (["baselines", "--seeds", "a:b", "--out", "x.nc"], "range LO:HI"),
        (["ceiling", "--markov", "-0.1", "--out", "x.nc"], "--markov"),
        (["dense", "--rules", "storkey", "--out", "x.nc"], "hebbian, hebbian_no_bias, infomorphic"),
        (["dense", "--sizes", "2", "--out", "x.nc"], "sizes >= 3"),
        (["dense", "--flips", "0.7", "--out", "x.nc"], "[0, 0.5)"),
        (["digits", "--networks", "perceptron", "--out", "x.nc"], "unknown network"),
        (["digits", "--goal", "[1, 2]", "--out", "x.nc"], "JSON object"),
        (["digits", "--goal", '{"{4}": 1}', "--out", "x.nc"], "unknown three-source atoms"),
        (["digits", "--bins", "8,10", "--out", "x.nc"], "three positive integers"),
        (["digits", "--networks", "readout_only,readout_only", "--out", "x.nc"], "more than once"),
        (["digits", "--optimise", "2", "--goal", '{"{1}{2}": 1}', "--out", "x.nc"], "not both"),
        (["digits", "--networks", "trivariate_optimised", "--out", "x.nc"], "no networks"),
        (["digits", "--optimise", "2", "--networks", "mlp", "--out", "x.nc"], "unknown network"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(capsys, tmp_path, monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err and says in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.nc").exists()


def test_results_files_with_other_settings_or_foreign_files_are_named(capsys, tmp_path):
    out = tmp_path / "run.nc"
    base = ["capacity", "--neurons", "8", "--seeds", "1", "--alphas", "0.5", "--out", str(out)]
    code, text, _ = run_cli(capsys, *base, "--epochs", "2")
    assert code == 0 and "alpha_c" in text
    from infobook.experiments import load_results

    backend = json.loads(load_results(out).attrs["provenance"])[-1]["backend"]
    assert backend.startswith("auto: ") or "environment variable" in backend
    code, _, err = run_cli(capsys, *base, "--epochs", "3")
    assert code == 2 and "Traceback" not in err
    assert "'epochs' is 2 in the file but 3 in this run" in err
    assert len(err.strip().splitlines()) == 1
    foreign = tmp_path / "foreign.nc"
    foreign.write_text("not netCDF")
    code, _, err = run_cli(capsys, *base[:-1], str(foreign))
    assert code == 2 and "not a results file" in err and "Traceback" not in err


def test_resuming_says_how_much_was_done(capsys, tmp_path):
    path = tmp_path / "run.nc"
    argv = ["capacity", "--neurons", "8", "--seeds", "1", "--alphas", "0.5,1.0", "--epochs", "2"]
    run_cli(capsys, *argv, "--alphas", "0.5", "--out", str(path))
    code, out, _ = run_cli(capsys, *argv, "--out", str(path))
    assert code == 0
    assert "run.nc: 1/2 entries already done, resuming" in out


def test_debug_shows_the_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "infobook", "ceiling", "--sizes", "4", "--max-load", "1",
         "--seeds", "1", "--out", str(tmp_path / "c.nc")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "infobook", "ceiling", "--sizes", "4", "--max-load", "2",
         "--seeds", "1", "--out", str(tmp_path / "c.nc"), "--debug"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "max_load" in proc.stderr


def test_seed_ranges_and_goal_weights_reach_the_baselines_run(capsys, tmp_path):
    out = tmp_path / "b.nc"
    argv = [
        "baselines", "--rules", "hebbian,infomorphic:[0, 0, 1, 0, 0]", "--epochs", "3",
        "--neurons", "12", "--seeds", "4:6", "--alphas", "0.2,0.5", "--out", str(out),
    ]  # fmt: skip
    code, text, _ = run_cli(capsys, *argv)
    assert code == 0 and "G = [0, 0, 1, 0, 0] (3 epochs)" in text
    from infobook.experiments import load_results

    ds = load_results(out)
    assert ds.seed.values.tolist() == [4, 5]
    assert ds.rule.values.tolist() == ["hebbian", "G = [0, 0, 1, 0, 0] (3 epochs)"]
