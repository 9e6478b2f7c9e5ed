import subprocess
import sys

import pytest

from coamd.cli import VERBS, main


def test_help_lists_every_verb(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for verb in VERBS:
        assert verb in out


@pytest.mark.parametrize("verb", list(VERBS))
def test_every_verb_help_has_an_example(verb, capsys):
    with pytest.raises(SystemExit) as e:
        main([verb, "--help"])
    assert e.value.code == 0
    assert "example:" in capsys.readouterr().out


def test_console_script_runs():
    r = subprocess.run([sys.executable, "-m", "coamd", "--version"], capture_output=True, text=True, check=False)
    assert r.returncode == 0 and "coamd" in r.stdout


def _sampling_parsers():
    """Every (sub)parser of `coamd` that has --sampler, by its prog ("coamd eval generation", ...)."""
    import argparse

    from coamd.cli import build_parser

    found, todo = {}, [build_parser()]
    while todo:
        p = todo.pop()
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                todo.extend(a.choices.values())
            elif "--sampler" in a.option_strings:
                found[p.prog] = {a.option_strings[0]: a for a in p._actions if a.option_strings}
    return found


def test_every_sampling_verb_declares_the_same_sampling_flags():
    from coamd.cli.args import SAMPLING_DEFAULTS
    from coamd.cli.bench import PINNED
    from coamd.diffusion import SAMPLERS

    verbs = _sampling_parsers()
    assert set(verbs) == {"coamd generate", "coamd edit", "coamd eval generation", "coamd eval edit",
                          "coamd bench generate"}
    flags = {"--" + k.replace("_", "-"): k for k in SAMPLING_DEFAULTS}
    ref = verbs["coamd generate"]
    assert set(flags) <= set(ref)                           # generate has them all
    for prog, actions in verbs.items():
        pinned = PINNED if prog == "coamd bench generate" else {}
        assert {"--sampler", "--ode-steps", "--decode-steps", "--cfg-scale"} <= set(actions), prog
        for flag, dest in flags.items():
            if flag not in actions:
                continue
            a, r = actions[flag], ref[flag]
            assert a.dest == dest and a.default == pinned.get(dest), (prog, flag, a.default)
            assert a.choices == r.choices and a.metavar == r.metavar, (prog, flag)
            assert (a.type and a.type.__name__) == (r.type and r.type.__name__), (prog, flag)
        assert tuple(actions["--sampler"].choices) == tuple(SAMPLERS), prog
    assert {"--" + k.replace("_", "-") for k in PINNED} <= set(verbs["coamd bench generate"])


def test_sampling_flag_ranges_are_the_same_everywhere(capsys):
    for verb in (["generate", "x", "-o", "o"], ["edit", "x", "--text", "t", "-o", "o"], ["eval", "generation"],
                 ["bench", "generate"]):
        for flag, bad in (("--decode-steps", "0"), ("--cfg-scale", "-1"), ("--sampler", "rk4"), ("--ode-steps", "0")):
            assert main([*verb, flag, bad]) == 2, (verb, flag)
            err = capsys.readouterr().err
            assert f"argument {flag}" in err and len(err.strip().splitlines()) == 1, err


def test_the_help_defaults_are_the_library_defaults():
    from coamd.cli.args import GUIDANCE_REWARDS, SAMPLING_DEFAULTS
    from coamd.config import to_dict
    from coamd.tasks import Sampling
    from coamd.tasks.guidance import REWARDS

    assert SAMPLING_DEFAULTS == to_dict(Sampling())
    assert tuple(GUIDANCE_REWARDS) == tuple(REWARDS)


def test_sampling_from_args_merges_flags_over_bundle_defaults():
    from coamd.cli import build_parser
    from coamd.cli.args import sampling_from_args

    class Bundle:                                           # only what sampling_settings reads
        def defaults(self):
            return {"sampler": "euler", "ode_steps": 4, "cfg": 2.5}   # the former name, still read

    args = build_parser().parse_args(["generate", "x", "-o", "o", "--cfg", "3", "--batch-size", "5"])
    s = sampling_from_args(args, Bundle())
    assert (s.sampler, s.ode_steps, s.cfg_scale, s.decode_steps, s.batch_size, s.guidance) == ("euler", 4, 3.0, 12, 5, 0.0)
    bench = build_parser().parse_args(["bench", "generate", "--sampler", "heun"])
    s = sampling_from_args(bench)
    assert (s.sampler, s.ode_steps, s.cfg_scale, s.decode_steps) == ("heun", 32, 4.5, 12)


def test_building_the_parser_does_not_import_torch():
    code = ("import sys; from coamd.cli import build_parser; build_parser(); import coamd.diffusion as d; "
            "d.SAMPLERS; assert 'torch' not in sys.modules, 'torch imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
