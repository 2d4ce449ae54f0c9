"""CLI fuzz: every sub-command x every option x bad values ends with one line and exit 2 (issue 14).

The options are read from the argparse parsers themselves, so a new option is fuzzed without
touching this file. Each run is in-process (``symconv.cli.main``) in an empty working folder,
with an alarm that turns a hang into a failure; a few runs go through a real subprocess.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from symconv.cli import build_parser, main

#: Per command, a fast argv that succeeds; {stack} and {tmp} are filled in per test.
BASE = {
    "shape": ["shape", "conv", "--i", "5", "--k", "3"],
    "matrix": ["matrix", "conv", "--i", "4", "--k", "3"],
    "analyze": ["analyze", "{stack}", "--i", "9"],
    "check-formula": ["check-formula", "i - k + 1", "--op", "conv", "--assume", "p=0, s=1, d=1"],
    "codegen": ["codegen", "conv", "--k", "3", "--out", "-"],
    "derive": ["derive", "conv_transpose", "--k", "3", "--out", "-"],
    "prove": ["prove", "--list"],
}
#: Per option destination, the names a message may use for it (besides the flag).
ALIASES = {
    "i": ("input_size", "i=", "input", "--i"), "k": ("kernel_size", "k=", "kernel"), "s": ("stride", "s="),
    "p": ("padding", "p="), "d": ("dilation", "d="), "output_padding": ("output_padding", "a="),
    "dims": ("ndim", "dims", "dimensions"), "in_channels": ("in_channels",), "out_channels": ("out_channels",),
    "groups": ("groups",), "size": ("size",), "scale_factor": ("scale_factor",), "output_size": ("output_size",),
    "stack": ("stack",), "formula": ("formula",), "names": ("--list", "theorem"), "assume": ("assume",),
    "layer": ("layer",), "op": ("op",), "dir": ("--dir",), "out": ("--out",), "plot": ("--plot",),
}
#: Values that break the rule of every integer-valued option, and those that break some.
ALWAYS_BAD = ["abc", "", "1.5", "1e3", "0x10", "\u2603", "1,2,3,4,5,6,7"]
SOMETIMES_BAD = ["-1", "0", "1000000000000", "99999999999999999999999999999999999999"]
#: Options whose value is a file to read or write, and what is bad for them.
#: The smallest valid value of each integer option (PyTorch's rules); below it is always bad.
MINIMUM = {"i": 1, "k": 1, "s": 1, "d": 1, "dims": 1, "in_channels": 1, "out_channels": 1, "groups": 1,
           "size": 1, "scale_factor": 1, "output_size": 1, "p": 0, "output_padding": 0}
READ_PATHS = ["missing.json", "{tmp}", "{bad_json}", "{not_utf8}", "{empty}", "{deep}", "{scalar}"]
WRITE_PATHS = ["nodir/x.{ext}", "{tmp}", "/sys/x.{ext}", "{file}/x.{ext}", ""]
ALARM_SECONDS = 60


def _subparsers() -> dict:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _valued_options(sub: argparse.ArgumentParser) -> list:
    """(destination, flag or None for a positional, choices) of every action that takes a value."""
    out = []
    for action in sub._actions:
        if action.dest in ("help", "_defaults") or action.nargs == 0:
            continue
        flag = max(action.option_strings, key=len) if action.option_strings else None
        out.append((action.dest, flag, action.choices))
    return out


def _cases() -> list:
    cases = []
    for command, sub in _subparsers().items():
        for dest, flag, choices in _valued_options(sub):
            kind = ("read" if dest == "stack" else "write" if dest in ("out", "plot", "dir")
                    else "choice" if choices else "value")
            cases.append(pytest.param(command, dest, flag, kind, id=f"{command}-{flag or dest}"))
    return cases


def test_every_command_and_option_is_fuzzed():
    names = {(c.values[0], c.values[1]) for c in _cases()}
    assert set(BASE) == set(_subparsers())
    assert ("codegen", "k") in names and ("analyze", "plot") in names and ("check-formula", "assume") in names


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = {
        "stack": tmp_path / "stack.json", "bad_json": tmp_path / "bad.json", "not_utf8": tmp_path / "latin.json",
        "empty": tmp_path / "empty.json", "deep": tmp_path / "deep.json", "scalar": tmp_path / "scalar.json",
        "file": tmp_path / "plain.txt",
    }
    files["stack"].write_text(json.dumps([{"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1},
                                          {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1}]))
    files["bad_json"].write_text('[{"op": "conv", "kernel_size": 3,,]')
    files["not_utf8"].write_bytes(b'[{"op": "conv\xff\xfe"}]')
    files["empty"].write_text("")
    files["deep"].write_text("[" * 50000)
    files["scalar"].write_text("3")
    files["file"].write_text("not a folder")
    return tmp_path, {k: str(v) for k, v in files.items()}


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


class Hang(BaseException):
    """A CLI run did not finish in ALARM_SECONDS (BaseException: the CLI must not swallow it)."""


def _alarm(signum, frame):
    raise Hang(f"a CLI run took more than {ALARM_SECONDS} s")


def _run(capsys, argv: list) -> tuple:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(ALARM_SECONDS)
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    return code, out, err


def _argv(command: str, dest: str, flag: str | None, value: str, files: dict) -> list:
    argv = [part.format(**files, tmp=".") for part in BASE[command]]
    if flag is None:
        # a positional: replace the base's value in place (sub-command word first)
        positional = {"op": 1, "layer": 1, "stack": 1, "formula": 1}.get(dest)
        if positional is None:                       # prove NAME ...: names instead of --list
            return [command, value]
        argv[positional] = value
        return argv
    if flag in argv:
        index = argv.index(flag)
        return argv[:index] + [f"{flag}={value}"] + argv[index + 2:]
    return argv + [f"{flag}={value}"]


def _check_refusal(code, err, command, dest, flag, value, before, root):
    assert code == 2, f"{command} {flag or dest}={value!r}: exit {code}, stderr {err!r}"
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{command} {flag}={value!r}: {err!r}"
    names = (flag or dest, dest) + ALIASES.get(dest, ())
    assert any(name in lines[0] for name in names if name), f"{command} {flag}={value!r}: {lines[0]!r}"
    assert _snapshot(root) == before, f"{command} {flag}={value!r} left files behind"


@pytest.mark.parametrize("command, dest, flag, kind", _cases())
def test_bad_values_end_with_one_line_and_exit_2(capsys, workspace, command, dest, flag, kind):
    root, files = workspace
    before = _snapshot(root)
    if kind == "choice" or kind == "value":
        for value in ALWAYS_BAD:
            if dest == "formula" and value in ("1.5", "1e3"):
                continue                               # a number is a (constant) formula
            if dest == "assume" and value == "":
                continue                               # no assumptions
            code, _, err = _run(capsys, _argv(command, dest, flag, value, files))
            _check_refusal(code, err, command, dest, flag, value, before, root)
        for value in SOMETIMES_BAD if dest != "formula" else ():     # a number is a valid (constant) formula
            code, out, err = _run(capsys, _argv(command, dest, flag, value, files))
            assert code in (0, 1, 2) and "Traceback" not in err, (command, flag, value, err)
            if dest in MINIMUM and int(value) < MINIMUM[dest]:
                assert code == 2, f"{command} {flag}={value}: below the minimum {MINIMUM[dest]}, exit {code}"
            if code == 2:
                _check_refusal(code, err, command, dest, flag, value, before, root)
            elif dest not in ("formula", "assume"):
                assert value in ("0", "-1") or int(value) < 10**30 or out, (command, flag, value)
    elif kind == "read":
        for template in READ_PATHS:
            value = template.format(tmp=".", **files)
            code, _, err = _run(capsys, _argv(command, dest, flag, value, files))
            _check_refusal(code, err, command, dest, flag, value, before, root)
    else:
        ext = {"plot": "png", "out": "tex" if command == "derive" else "py", "dir": "d"}[dest]
        templates = WRITE_PATHS if dest != "dir" else ["/sys/x.{ext}", "{file}/x.{ext}", ""]
        for template in templates:
            value = template.format(tmp=".", ext=ext, **files)
            argv = _argv(command, dest, flag, value, files)
            if dest == "dir":
                argv = ["derive", f"--dir={value}"]          # the folder form (checked before the build)
            code, _, err = _run(capsys, argv)
            _check_refusal(code, err, command, dest, flag, value, before, root)


@pytest.mark.parametrize("argv, fragment", [
    (["codegen", "conv", "--k", "1000000000", "--out", "big.py"], "kernel_size"),
    (["codegen", "max_pool", "--k", "1000000000", "--out", "big.py"], "kernel_size"),
    (["codegen", "conv_transpose", "--k", "3", "--s", "100000", "--out", "big.py"], "stride"),
    (["check-formula", "i - k + 1", "--op", "conv", "--assume", "s=0"], "s must be >= 1"),
    (["analyze", "{stack}", "--force"], "--force"),
    (["analyze", "{stack}", "--plot", "x.jpg"], "--plot"),
    (["derive", "conv_transpose", "--k", "3", "--out", "x.txt"], "--out"),
    (["derive", "conv_transpose", "--k", "3", "--dir", "elsewhere"], "--dir"),
    (["shape", "conv", "--output-padding", "1"], "--output-padding"),
    (["shape", "avg_pool", "--d", "2"], "--d"),
    (["shape", "conv", "--ceil-mode"], "--ceil-mode"),
    (["codegen", "max_pool", "--k", "2", "--groups", "2", "--out", "-"], "--groups"),
    (["prove", "no_such_theorem"], "--list"),
])
def test_specific_refusals(capsys, workspace, argv, fragment):
    root, files = workspace
    before = _snapshot(root)
    code, _, err = _run(capsys, [a.format(**files) for a in argv])
    assert code == 2 and len(err.strip().splitlines()) == 1 and fragment in err, err
    assert "Traceback" not in err and _snapshot(root) == before


def test_analyze_plot_refuses_a_foreign_file_until_forced(capsys, workspace):
    root, files = workspace
    target = root / "mine.png"
    target.write_bytes(b"precious")
    code, out, err = _run(capsys, ["analyze", files["stack"], "--plot", str(target)])
    assert code == 2 and "--force" in err and target.read_bytes() == b"precious"
    code, out, err = _run(capsys, ["analyze", files["stack"], "--plot", str(target), "--force"])
    assert code == 0 and target.read_bytes()[:4] == b"\x89PNG"


# --------------------------------------------------------------------------- subprocesses

ENV = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))


def _subprocess(argv, cwd, **kwargs):
    return subprocess.run([sys.executable, "-m", "symconv", *argv], cwd=cwd, env=ENV, timeout=120, **kwargs)


def test_closed_stdout_is_quiet(tmp_path):
    (tmp_path / "stack.json").write_text(json.dumps([{"op": "conv", "kernel_size": 3, "padding": 1}] * 200))
    script = (f"{sys.executable} -m symconv prove --list | head -1; "
              f"{sys.executable} -m symconv analyze stack.json --json | head -1")
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=ENV, capture_output=True, text=True,
                          timeout=240)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert len(proc.stdout.splitlines()) == 2


def test_subprocess_refusals_leave_nothing(tmp_path):
    (tmp_path / "stack.json").write_text(json.dumps([{"op": "conv_transpose", "kernel_size": 3, "stride": 2}]))
    for argv in (["analyze", "stack.json", "--plot", "nodir/x.png"],
                 ["codegen", "conv", "--k", "1000000000", "--out", "big.py"]):
        proc = _subprocess(argv, tmp_path, capture_output=True, text=True)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (argv, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == "", (argv, proc.stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stack.json"]
