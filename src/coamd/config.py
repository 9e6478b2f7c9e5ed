"""Typed, strict configs: dataclasses <- YAML files <- ``key=value`` overrides.

An unknown key anywhere is an error that names the key and the known ones, so a typo such as
``optim.lr_rate=1e-3`` never silently does nothing. Values are type-checked against the
dataclass annotations (ints are accepted where floats are expected).

YAML files live under ``configs/`` (or any path). A file may name one ``base:`` file (a name
under ``configs/`` or a path) whose values it overrides; at most one level of ``base``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

from .errors import CoamdError

T = TypeVar("T")


class ConfigError(CoamdError):
    """A config file or override that does not fit the config dataclass."""


def _check_type(value: Any, tp: Any, where: str) -> Any:
    """Return ``value`` converted to ``tp`` where lossless, else raise ConfigError."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _check_type(value, a, where)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(f"{where}: {value!r} does not match {tp}")
    if origin is typing.Literal:
        if value not in get_args(tp):
            raise ConfigError(f"{where}: {value!r} is not one of {list(get_args(tp))}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        args = get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{where}: expected {len(args)} items, got {len(value)}")
            return tuple(_check_type(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        inner = args[0] if args else Any
        out = [_check_type(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if origin is tuple else out
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping of {tp.__name__} fields, got {value!r}")
        return from_dict(tp, value, where)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            # YAML reads `seed=1` as int; a str field given 1 means "1"
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
    return value


def from_dict(cls: type[T], data: dict[str, Any], where: str = "") -> T:
    """Build a (nested) config dataclass from a plain dict; unknown keys are an error."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected a mapping, got {data!r}")
    hints = get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            f"unknown config key(s) {[prefix + k for k in unknown]} for {cls.__name__}; known: {names}"
        )
    kwargs = {k: _check_type(v, hints[k], f"{where}.{k}" if where else k) for k, v in data.items()}
    return cls(**kwargs)


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain, YAML-safe dict of a config dataclass (tuples become lists)."""

    def plain(v: Any) -> Any:
        if is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in fields(v)}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(cfg)


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``over`` into a copy of ``base``."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``['optim.lr=3e-4', 'seed=1']`` -> ``{'optim': {'lr': 0.0003}, 'seed': 1}``."""
    tree: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {pair!r} must look like key=value")
        *parents, leaf = key.split(".")
        node = tree
        for name in parents:
            node = node.setdefault(name, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {pair!r} conflicts with an earlier override")
        try:
            node[leaf] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            node[leaf] = raw
        if isinstance(node[leaf], float) is False and isinstance(node[leaf], str):
            # YAML 1.1 reads '1e-4' as a string; accept plain scientific notation as a number.
            try:
                node[leaf] = float(node[leaf]) if any(c in node[leaf] for c in "eE.") else node[leaf]
            except ValueError:
                pass
    return tree


def config_dirs() -> list[Path]:
    """Where named configs are looked up: the package's bundled configs, then ./configs."""
    here = Path(__file__).resolve().parent
    return [here / "configs", Path.cwd() / "configs"]


def read_yaml(name_or_path: str | Path) -> dict[str, Any]:
    """Read a config YAML by path or by name (``paper`` -> ``configs/paper.yaml``), resolving ``base``."""
    path = Path(name_or_path)
    if not path.suffix:
        for d in config_dirs():
            cand = d / f"{name_or_path}.yaml"
            if cand.exists():
                path = cand
                break
    if not path.exists():
        known = sorted({p.stem for d in config_dirs() if d.is_dir() for p in d.glob("*.yaml")})
        raise ConfigError(f"config {str(name_or_path)!r} not found (known names: {known})")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must be a mapping of keys to values")
    base = data.pop("base", None)
    if base is not None:
        parent = read_yaml(base if Path(str(base)).suffix else str(base))
        if "base" in parent:
            raise ConfigError(f"{path}: at most one level of 'base' is allowed")
        data = merge(parent, data)
    return data


def load(cls: type[T], config: str | Path | None = None, overrides: list[str] | None = None,
         section: str | None = None) -> T:
    """``cls`` defaults <- YAML (``section`` of it, if given) <- ``key=value`` overrides."""
    data: dict[str, Any] = {}
    if config is not None:
        data = read_yaml(config)
        if section is not None:
            data = data.get(section, {})
    data = merge(data, parse_overrides(overrides or []))
    return from_dict(cls, data)


def save(cfg: Any, path: str | Path) -> None:
    """Write the resolved config as YAML, atomically."""
    from .atomic import atomic_open

    with atomic_open(path, "w") as f:
        yaml.safe_dump(to_dict(cfg), f, sort_keys=False)


def replace(cfg: T, **changes: Any) -> T:
    """``dataclasses.replace`` re-exported so callers need one import."""
    return dataclasses.replace(cfg, **changes)
