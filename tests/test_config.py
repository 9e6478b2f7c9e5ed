from dataclasses import dataclass, field

import pytest

from coamd.config import ConfigError, from_dict, load, parse_overrides, to_dict


@dataclass
class Optim:
    lr: float = 1e-4
    milestones: list[int] = field(default_factory=lambda: [10])


@dataclass
class Cfg:
    name: str = "x"
    steps: int = 10
    device: str | None = None
    optim: Optim = field(default_factory=Optim)


def test_overrides_are_typed_and_nested():
    cfg = load(Cfg, None, ["optim.lr=3e-4", "steps=5", "optim.milestones=[1,2]"])
    assert cfg.optim.lr == pytest.approx(3e-4) and cfg.steps == 5 and cfg.optim.milestones == [1, 2]
    assert from_dict(Cfg, to_dict(cfg)) == cfg


def test_unknown_key_is_an_error_naming_it():
    with pytest.raises(ConfigError, match="optim.lr_rate"):
        load(Cfg, None, ["optim.lr_rate=1"])


def test_wrong_type_is_an_error():
    with pytest.raises(ConfigError, match="steps"):
        load(Cfg, None, ["steps=abc"])
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["steps"])


def test_yaml_file_with_base(tmp_path):
    (tmp_path / "base.yaml").write_text("steps: 7\noptim: {lr: 0.5}\n")
    (tmp_path / "child.yaml").write_text(f"base: {tmp_path / 'base.yaml'}\nname: child\n")
    cfg = load(Cfg, tmp_path / "child.yaml", ["optim.lr=0.25"])
    assert (cfg.name, cfg.steps, cfg.optim.lr) == ("child", 7, 0.25)
