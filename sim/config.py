"""Compose, check and pre-check the configuration before anything runs.

Hydra composes ``configs/`` on top of the :class:`sim.params.Config` schema. Hydra and
OmegaConf catch some bad input (a wrong type, a key that is not in the schema without a
``+``) but report it as a multi-line traceback, and they let other bad input through (a
negative count, a probability above 1, ``+key=value`` for a key the model never reads,
``years=1e9`` or a hundred million children, which run until killed, an output folder
that cannot be made). This module turns every problem into a :class:`ConfigError` whose
text is one plain sentence naming the key, the value given and what is allowed.

Use
---
- :func:`compose` composes ``configs/config.yaml`` with overrides (notebooks, tests,
  and code running inside a ``@hydra.main`` app: the app's Hydra state is restored).
- :func:`validate` checks a composed configuration and returns the typed
  :class:`sim.params.Config`.
- :func:`precheck_argv` checks a command line before Hydra runs (so that bad input stops
  before any output folder exists), every job of a multirun sweep included, and the
  output folder with :func:`check_output_folder`.
- :func:`estimate` and :func:`estimate_notice`: a rough time and memory estimate of a
  run, from measured costs per child-year, for ``python -m sim`` to show before it runs.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import enum
import functools
import itertools
import math
import os
import re
import tempfile
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Optional, Union

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.core.utils import JobRuntime
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import (
    InterpolationResolutionError,
    MissingMandatoryValue,
    OmegaConfBaseException,
    ValidationError,
)

from sim.params import DOMAINS, MAX_AGE, Config, Range, team_model_names
from sim.workforce import STRUCTURE_PROFESSION

__all__ = [
    "CONFIG_DIR",
    "CONFIG_NAME",
    "ESTIMATE_MIN_SECONDS",
    "MAX_SWEEP_JOBS",
    "ConfigError",
    "Estimate",
    "check_output_folder",
    "compose",
    "estimate",
    "estimate_notice",
    "precheck_argv",
    "register_schema",
    "sweep_jobs",
    "validate",
]

#: The repository's ``configs/`` folder (primary config ``config.yaml`` and its groups).
CONFIG_DIR: Path = Path(__file__).resolve().parent.parent / "configs"

#: Name of the primary config in :data:`CONFIG_DIR`.
CONFIG_NAME: str = "config"

#: At most this many jobs of a multirun sweep are composed and checked one by one; a
#: larger sweep is checked on a covering set in which every swept value occurs.
MAX_SWEEP_JOBS: int = 10_000

_SCHEMA_NAME = "schema"
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_DOMAIN_ENTRY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::(\d+)-(\d+))?(?:@([34]))?$")


class ConfigError(ValueError):
    """Invalid configuration; ``str()`` is one plain sentence.

    The sentence names the key, the value given and what is allowed, e.g.
    ``area.children = -5 is not allowed: it must be a whole number from 1 to 2000000.``

    Parameters
    ----------
    message : str
        Description of the problem; whitespace (newlines included) is collapsed to single
        spaces and a final full stop is added.
    """

    def __init__(self, message: str) -> None:
        super().__init__(_sentence(message))


def _sentence(text: str) -> str:
    """Collapse ``text`` to one line that ends with exactly one full stop."""
    line = " ".join(str(text).split()).rstrip(" .")
    return (line or "the configuration is invalid") + "."


def _first_line(text: object) -> str:
    """First non-empty line of an exception text, without a trailing full stop."""
    for line in str(text).splitlines():
        if line.strip():
            return line.strip().rstrip(".")
    return ""


# --------------------------------------------------------------------------- values


def _fmt(value: Any, limit: int = 160) -> str:
    """Format a value the way a user would type it on the command line."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str):
        text = value if value else "''"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_fmt(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_fmt(v, limit)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _raw_at(cfg: Any, full_key: str) -> str:
    """The unresolved value at ``full_key`` (``a.b[0].c``) formatted for a message."""
    tokens = re.findall(r"[^.\[\]]+", full_key or "")
    if not tokens:
        return "?"
    try:
        node: Any = OmegaConf.to_container(cfg, resolve=False)
        for token in tokens:
            node = node[int(token)] if isinstance(node, list) else node[token]
        return _fmt(node)
    except Exception:  # noqa: BLE001 - a message must never fail
        return "?"


def _join(names: Iterable[str]) -> str:
    return ", ".join(str(n) for n in names)


# --------------------------------------------------------------------------- schema


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@functools.lru_cache(maxsize=None)
def _fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls)}


def _unwrap_optional(t: Any) -> Any:
    if typing.get_origin(t) is Union:
        args = [a for a in typing.get_args(t) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return t


def _is_optional(t: Any) -> bool:
    return typing.get_origin(t) is Union and type(None) in typing.get_args(t)


_NO_META: Mapping[str, Any] = MappingProxyType({})


@dataclasses.dataclass(frozen=True)
class _Spot:
    """What the schema of :mod:`sim.params` says about the value at a path.

    Attributes
    ----------
    type : the annotation of the value (None when the path is not in the schema).
    meta : the metadata (:func:`sim.params.param`) of the field the value belongs to.
    inner : whether the value is an element of that field's list or a value of its
        mapping, so that ``meta`` describes each element rather than the whole.
    bad : index of the first part of the path that is not a key of its parent.
    allowed : the keys the parent has or may have, when ``bad`` is set.
    key_kind : what a key of that parent must be ("a known profession"), if restricted.
    """

    type: Any = None
    meta: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _NO_META)
    inner: bool = False
    bad: Optional[int] = None
    allowed: tuple[str, ...] = ()
    key_kind: str = ""


def _walk_schema(parts: Sequence[str]) -> _Spot:
    """The schema's :class:`_Spot` for the value at ``parts`` (``["area", "children"]``)."""
    return _walk_schema_cached(tuple(parts))


@functools.lru_cache(maxsize=4096)
def _walk_schema_cached(parts: tuple[str, ...]) -> _Spot:
    t: Any = Config
    meta: Mapping[str, Any] = _NO_META
    inner = False
    for i, part in enumerate(parts):
        t = _unwrap_optional(t)
        if dataclasses.is_dataclass(t) and isinstance(t, type):
            fields = _fields(t)
            if part not in fields:
                return _Spot(bad=i, allowed=tuple(fields))
            t, meta, inner = _hints(t)[part], fields[part].metadata, False
        elif typing.get_origin(t) is dict:
            keys = () if inner else tuple(meta.get("keys", ()))
            if keys and part not in keys:
                return _Spot(bad=i, allowed=keys, key_kind=str(meta.get("key_kind", "")))
            t, inner = typing.get_args(t)[1], True
        elif typing.get_origin(t) is list and part.isdigit():
            t, inner = typing.get_args(t)[0], True
        else:
            return _Spot(bad=i)
    return _Spot(type=t, meta=meta, inner=inner)


def _unknown_reason(parts: Sequence[str], spot: _Spot) -> str:
    """Why ``parts[spot.bad]`` is not a key (the part after "is not allowed: ")."""
    i = spot.bad or 0
    name = parts[i]
    parent = ".".join(parts[:i])
    if spot.key_kind:
        return f"{name} is not {spot.key_kind}; choose one of {_join(spot.allowed)}"
    if not parent:
        return (
            f"there is no setting called {name}; the top-level settings are {_join(spot.allowed)}"
        )
    if spot.allowed:
        return f"{parent} has no setting called {name}; its settings are {_join(spot.allowed)}"
    return f"{parent} is a single value and has no setting called {name}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _bare(rng: Range) -> str:
    """The interval of ``rng`` in words ("from 0 to 1", "greater than 0")."""
    if rng.lo is not None and rng.hi is not None:
        if not rng.lo_open and not rng.hi_open:
            return f"from {_num(rng.lo)} to {_num(rng.hi)}"
        lo = f"greater than {_num(rng.lo)}" if rng.lo_open else f"at least {_num(rng.lo)}"
        hi = f"less than {_num(rng.hi)}" if rng.hi_open else f"at most {_num(rng.hi)}"
        return f"{lo} and {hi}"
    if rng.lo is not None:
        return f"greater than {_num(rng.lo)}" if rng.lo_open else f"at least {_num(rng.lo)}"
    if rng.hi is not None:
        return f"less than {_num(rng.hi)}" if rng.hi_open else f"at most {_num(rng.hi)}"
    return ""


def _phrase(rng: Range) -> str:
    """A number allowed by ``rng``, as a noun phrase ("a whole number from 1 to 1000")."""
    kind = "a whole number" if rng.whole else "a number"
    bare = _bare(rng)
    if bare.startswith(("at least", "at most")):
        bare = "of " + bare
    return f"{kind} {bare}" if bare else kind


def _choices(meta: Mapping[str, Any]) -> Optional[list[str]]:
    """The names a text field may take (its ``choices`` metadata), sorted, or None."""
    choices = meta.get("choices")
    return None if choices is None else sorted(choices())


def _group_options(group: str, extra_dirs: Sequence[Path] = ()) -> list[str]:
    """Option files (``*.yaml`` stems) of a config group, sorted."""
    names: set[str] = set()
    for base in (CONFIG_DIR, *extra_dirs):
        folder = Path(base) / group
        if folder.is_dir():
            names.update(
                p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
            )
    return sorted(names)


def _allowed(parts: Sequence[str]) -> str:
    """What is allowed at ``parts``, as a noun phrase ("a number from 0 to 1")."""
    spot = _walk_schema([re.sub(r"\[\d+\]$", "", p) for p in parts])
    if spot.bad is not None or spot.type is None:
        return "a known setting"
    meta = spot.meta
    choices = _choices(meta)
    if spot.inner and "allowed_each" in meta:
        return str(meta["allowed_each"])
    if not spot.inner and "allowed" in meta:
        text = str(meta["allowed"])
        return f"{text}, each one of {_join(choices)}" if choices else text
    optional = _is_optional(spot.type)
    t = _unwrap_optional(spot.type)
    rng: Optional[Range] = meta.get("range")
    if t is bool:
        text = "true or false"
    elif t in (int, float):
        text = _phrase(rng) if rng is not None else "a number"
    elif isinstance(t, type) and issubclass(t, enum.Enum):
        text = f"one of {_join(m.value for m in t)}"
    elif t is str:
        text = f"one of {_join(choices)}" if choices else "text"
    elif dataclasses.is_dataclass(t):
        key = ".".join(parts) or "the configuration"
        text = f"a group of settings, each set on its own as {key}.<setting>=<value>"
    elif typing.get_origin(t) is list:
        length = None if spot.inner else meta.get("length")
        if length is not None and rng is not None:
            return f"a list of {length} numbers, each {_bare(rng)}"
        item = _unwrap_optional(typing.get_args(t)[0])
        text = {
            int: "a list of whole numbers",
            float: "a list of numbers",
            str: "a list of names",
        }.get(item, "a list")
        if rng is not None and not spot.inner:
            text += f", each {_bare(rng)}"
    elif typing.get_origin(t) is dict:
        text = "a mapping"
    else:
        text = "a valid value"
    return text + (" or null" if optional else "")


# --------------------------------------------------------------------------- Hydra


def _product(*values: Any) -> float:
    out = 1.0
    for v in values:
        out *= float(v)
    return out


def register_resolvers() -> None:
    """The resolvers of the configuration files.

    - ``${mul:a,b,...}`` and ``${div:a,b}``: arithmetic. Verification experiments derive
      model parameters from a few inputs (e.g. the arrival rate of an M/M/c queue from its
      servers, utilisation and service time).
    - ``${pid:}``: the process id, used in a sweep folder's name. The value is cached
      (like Hydra's ``${now:...}``), and Hydra copies the cache into every job's
      configuration, so all jobs of a sweep agree on the folder.
    """
    for name, fn in (("mul", _product), ("div", lambda a, b: float(a) / float(b))):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)
    if not OmegaConf.has_resolver("pid"):
        OmegaConf.register_new_resolver("pid", lambda: str(os.getpid()), use_cache=True)


def register_schema() -> None:
    """Store :class:`sim.params.Config` in Hydra's ConfigStore under the name ``schema``.

    ``configs/config.yaml`` lists ``schema`` first in its defaults, so every composed
    configuration is typed by the dataclasses of :mod:`sim.params`. Calling this again does
    nothing.
    """
    register_resolvers()
    cs = ConfigStore.instance()
    existing = cs.repo.get(f"{_SCHEMA_NAME}.yaml")
    if existing is not None and OmegaConf.get_type(existing.node) is Config:
        return
    cs.store(name=_SCHEMA_NAME, node=Config)


@contextlib.contextmanager
def _hydra_session() -> Iterator[None]:
    """Initialise Hydra on :data:`CONFIG_DIR`, then restore whatever state was there.

    Inside a running ``@hydra.main`` app GlobalHydra is already initialised (with the app's
    search path); it is set aside and put back afterwards, together with the version base
    and the job name that initialisation overwrites.
    """
    from hydra.version import VersionBase

    register_schema()
    gh = GlobalHydra.instance()
    saved_hydra = gh.hydra
    version_base = VersionBase.instance()
    saved_base = version_base.getbase()
    runtime = JobRuntime.instance()
    saved_name = runtime.conf.get("name")
    gh.clear()
    try:
        with hydra.initialize_config_dir(
            version_base="1.3", config_dir=str(CONFIG_DIR), job_name=saved_name or "sim"
        ):
            yield
    finally:
        GlobalHydra.set_instance(gh)
        gh.hydra = saved_hydra
        VersionBase.set_instance(version_base)
        version_base.version_base = saved_base
        if saved_name is not None:
            runtime.set("name", saved_name)


def _parser() -> OverridesParser:
    gh = GlobalHydra.instance()
    loader = gh.config_loader() if gh.is_initialized() else None
    return OverridesParser.create(config_loader=loader)


def _line(o: Override) -> str:
    """The text of an override as given on the command line."""
    return o.input_line or ""


def _parse_each(lines: Sequence[str]) -> list[Override]:
    """Parse overrides one by one, so that a grammar error names the override."""
    parser = _parser()
    parsed = []
    for line in lines:
        if not isinstance(line, str):
            raise ConfigError(
                f"the override {line!r} is not allowed: every override must be "
                "text of the form key=value"
            )
        try:
            parsed.extend(parser.parse_overrides([line]))
        except Exception as exc:  # noqa: BLE001 - turned into one sentence
            raise ConfigError(
                f"the override {line} could not be read ({_first_line(exc)}); write it as "
                "key=value, e.g. seed=1 or area=test"
            ) from None
    return parsed


def _value_text(o: Override) -> str:
    """What the user typed after ``=`` in an override ("" for a bare delete)."""
    line = _line(o) or ""
    return line.split("=", 1)[1] if "=" in line else ""


def _head(o: Override) -> str:
    """``key = value`` (or ``~key``) of an override, for the start of a message."""
    key = o.key_or_group
    if o.is_delete() and "=" not in (_line(o) or ""):
        return f"~{key}"
    return f"{key} = {_value_text(o)}"


def _is_group_override(o: Override, extra_dirs: Sequence[Path]) -> bool:
    key = o.key_or_group
    if o.package is not None or "/" in key:
        return True
    return any((Path(d) / key).is_dir() for d in (CONFIG_DIR, *extra_dirs))


def _check_override_keys(parsed: Sequence[Override], extra_dirs: Sequence[Path]) -> None:
    """Reject overrides of keys that the schema does not have (with or without ``+``)."""
    for o in parsed:
        if o.is_hydra_override() or _is_group_override(o, extra_dirs):
            continue
        parts = o.key_or_group.split(".")
        spot = _walk_schema(parts)
        if spot.bad is not None:
            raise ConfigError(f"{_head(o)} is not allowed: {_unknown_reason(parts, spot)}")


def _find(
    parsed: Sequence[Override], *, key: str = "", line: str = "", text: str = ""
) -> Optional[Override]:
    """The last override with this key, this input line, or mentioned in ``text``."""
    for o in reversed(parsed):
        if (key and o.key_or_group == key) or (line and _line(o) == line):
            return o
    if text:
        for o in reversed(parsed):
            if (_line(o) and _line(o) in text) or f"'{o.key_or_group}'" in text:
                return o
    return None


def _from_hydra(
    exc: BaseException, parsed: Sequence[Override], extra_dirs: Sequence[Path]
) -> ConfigError:
    """One-sentence :class:`ConfigError` for an exception raised while composing."""
    text = str(exc)
    first = _first_line(text)
    cause = exc.__cause__

    m = re.search(r"Could not (?:find|load) '([^']*)'", text)
    if m:
        group, _, option = m.group(1).rpartition("/")
        if not group:
            return ConfigError(
                f"the config {option} is not allowed: no such config was found in {CONFIG_DIR}"
            )
        listed = re.search(r"Available options in '[^']*':\n((?:\t.*\n?)+)", text)
        options = (
            [s.strip() for s in listed.group(1).splitlines() if s.strip()]
            if listed
            else _group_options(group, extra_dirs)
        )
        o = _find(parsed, key=group)
        given = _value_text(o) if o is not None else option
        return ConfigError(
            f"{group}={given} is not a known option; choose one of "
            f"{_join(options) or '(none found)'}"
        )

    m = re.match(r"Error merging override (.*)", first)
    if m:
        o = _find(parsed, line=m.group(1), text=text)
        if o is not None:
            parts = o.key_or_group.split(".")
            full_key = getattr(cause, "full_key", None) or ""
            if full_key.startswith(o.key_or_group):
                parts = re.sub(r"\[\d+\]", "", full_key).split(".")
            if isinstance(cause, ValidationError):
                return ConfigError(f"{_head(o)} is not allowed: it must be {_allowed(parts)}")
            return ConfigError(f"{_head(o)} is not allowed: {_first_line(cause or text)}")

    m = re.match(r"Could not override '([^']*)'", first)
    if m:
        o = _find(parsed, key=m.group(1))
        head = _head(o) if o is not None else m.group(1)
        parts = m.group(1).split(".")
        spot = _walk_schema(parts)
        if spot.bad is not None:
            return ConfigError(f"{head} is not allowed: {_unknown_reason(parts, spot)}")
        full_key = str(getattr(cause, "full_key", "") or "")
        if o is not None and full_key == m.group(1) and "." in full_key:
            parent, _, last = full_key.rpartition(".")
            return ConfigError(
                f"{head} is not allowed: {parent} has no entry {last} yet, so "
                f"add it with a plus, as +{_line(o)}"
            )
        example = full_key or f"{m.group(1)}.<name>"
        return ConfigError(
            f"{head} is not allowed: {_first_line(cause or text)}; add new "
            f"entries one at a time with a plus, e.g. +{example}=<value>"
        )

    if first.startswith("Config group override must be a string or a list"):
        for o in reversed(parsed):
            if _is_group_override(o, extra_dirs) and not isinstance(o.value(), str):
                options = _group_options(o.key_or_group, extra_dirs)
                return ConfigError(
                    f"{o.key_or_group}={_value_text(o)} is not a known option; "
                    f"choose one of {_join(options)}"
                )

    m = re.match(r"Ambiguous value for argument '([^']*)'", first)
    if m:
        key, _, value = m.group(1).partition("=")
        return ConfigError(
            f"{key} = {value} is not allowed in a single run: a sweep over "
            f"several values needs -m (--multirun), and a list is written "
            f"{key}=[{value}]"
        )

    m = re.match(r"Could not append to config\. An item is already at '([^']*)'", first)
    if m:
        o = _find(parsed, key=m.group(1))
        head = _head(o) if o is not None else m.group(1)
        return ConfigError(
            f"+{head} is not allowed: {m.group(1)} already exists, so set it without the plus"
        )

    m = re.match(r"Multiple values for ([^.]*)\.", first)
    if m:
        o = _find(parsed, key=m.group(1))
        head = f"+{m.group(1)}={_value_text(o)}" if o is not None else m.group(1)
        return ConfigError(
            f"{head} is not allowed: {m.group(1)} is already in the defaults "
            f"list, so choose it without the plus"
        )

    o = _find(parsed, text=text)
    if o is None and cause is not None:
        o = _find(parsed, text=str(cause))
    if o is not None:
        return ConfigError(f"{_head(o)} is not allowed: {first or type(exc).__name__}")
    given = " ".join(_line(p) for p in parsed) or "the defaults"
    return ConfigError(
        f"the configuration could not be composed from {given}: {first or type(exc).__name__}"
    )


def _compose_in_session(
    lines: Sequence[str],
    config_name: str = CONFIG_NAME,
    hydra_lines: Sequence[str] = (),
    extra_dirs: Sequence[Path] = (),
    return_hydra_config: bool = False,
) -> DictConfig:
    """Compose inside :func:`_hydra_session`; see :func:`compose`."""
    parsed = _parse_each(lines)
    _check_override_keys(parsed, extra_dirs)
    try:
        cfg = hydra.compose(
            config_name=config_name,
            overrides=[*lines, *hydra_lines],
            return_hydra_config=return_hydra_config,
        )
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - every Hydra/OmegaConf error becomes a sentence
        raise _from_hydra(exc, parsed, extra_dirs) from None
    return cfg


def compose(overrides: Sequence[str] = (), *, config_name: str = CONFIG_NAME) -> DictConfig:
    """Compose ``configs/config.yaml`` with Hydra's compose API.

    Works whether or not Hydra is already initialised: inside a running ``@hydra.main``
    app the app's Hydra state is set aside and restored afterwards.

    Parameters
    ----------
    overrides : sequence of str
        Hydra overrides such as ``["area=test", "seed=3", "+note=pilot"]``. A single
        string is taken as one override.
    config_name : str
        Primary config in :data:`CONFIG_DIR` (default ``config``).

    Returns
    -------
    omegaconf.DictConfig
        The composed configuration, typed by :class:`sim.params.Config`, without the
        ``hydra`` node. It is not validated: pass it to :func:`validate`.

    Raises
    ------
    ConfigError
        For every Hydra or OmegaConf error (an unknown key, an unknown group option, a
        wrong type, a missing config, bad override grammar), as one sentence.
    """
    lines = [overrides] if isinstance(overrides, str) else list(overrides)
    with _hydra_session():
        return _compose_in_session(lines, config_name)


# --------------------------------------------------------------------------- validation


def _check_keys(node: Any, parts: list[str]) -> None:
    """Reject keys below ``node`` (at ``parts``) that the schema does not have or allow.

    ``node`` is plain data (``OmegaConf.to_container(cfg, resolve=False)``), in which an
    interpolation or a missing value is text, so only mappings written out are checked.
    """
    if not isinstance(node, dict):
        return
    for key, child in node.items():
        if not parts and key == "hydra":
            continue
        here = [*parts, str(key)]
        spot = _walk_schema(here)
        if spot.bad is not None:
            raise ConfigError(
                f"{'.'.join(here)} = {_fmt(child)} is not allowed: {_unknown_reason(here, spot)}"
            )
        _check_keys(child, here)


def _from_omegaconf(exc: OmegaConfBaseException, cfg: Any) -> ConfigError:
    """One-sentence :class:`ConfigError` for an error raised while converting ``cfg``."""
    full_key = str(getattr(exc, "full_key", "") or "")
    first = _first_line(getattr(exc, "msg", None) or exc)
    if not full_key:
        return ConfigError(f"the configuration could not be read: {first}")
    parts = re.sub(r"\[\d+\]", "", full_key).split(".")
    raw = _raw_at(cfg, full_key)
    if isinstance(exc, MissingMandatoryValue):
        return ConfigError(f"{full_key} = ??? is not allowed: it must be given {_allowed(parts)}")
    if isinstance(exc, InterpolationResolutionError):
        return ConfigError(
            f"{full_key} = {raw} is not allowed: the interpolation could not be resolved ({first})"
        )
    if isinstance(exc, ValidationError):
        return ConfigError(f"{full_key} = {raw} is not allowed: it must be {_allowed(parts)}")
    return ConfigError(f"{full_key} = {raw} is not allowed: {first}")


def _bad(key: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"{key} = {_fmt(value)} is not allowed: it must be {allowed}")


def _check_values(
    value: Any, t: Any, parts: list[str], meta: Mapping[str, Any] = _NO_META, inner: bool = False
) -> None:
    """Check every value below ``value`` against the rule of its field in the schema.

    A number must lie in its field's range; a list must have its field's length and each
    element its range; each value of a mapping must lie in the field's range; a text with
    ``choices`` must be one of them.
    """
    t = _unwrap_optional(t)
    key = ".".join(parts)
    if value is None:
        return
    rng: Optional[Range] = meta.get("range")
    if dataclasses.is_dataclass(t) and isinstance(t, type):
        hints = _hints(t)
        for name, f in _fields(t).items():
            _check_values(getattr(value, name), hints[name], [*parts, name], f.metadata)
    elif typing.get_origin(t) is dict:
        for k, v in value.items():
            _check_values(v, typing.get_args(t)[1], [*parts, str(k)], meta, inner=True)
    elif typing.get_origin(t) is list:
        length = None if inner else meta.get("length")
        wrong_length = length is not None and len(value) != length
        if wrong_length or (rng is not None and not all(rng.contains(v) for v in value)):
            raise _bad(key, value, _allowed(parts))
    elif t in (int, float):
        if rng is not None and not rng.contains(value):
            raise _bad(key, value, _phrase(rng))
    elif t is str:
        choices = _choices(meta)
        if choices is not None:
            _check_choice(key, value, choices)


def _check_choice(key: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise _bad(key, value, f"one of {_join(choices)}")


def _check_professions(cfg: Config) -> None:
    profs = cfg.professions
    assessors = [name for name, p in profs.items() if p.caf_assessor]
    for name, p in profs.items():
        base = f"professions.{name}"
        ages = list(p.identifies_ages)
        if ages and not (len(ages) == 2 and 0 <= ages[0] <= ages[1] <= MAX_AGE):
            raise _bad(
                f"{base}.identifies_ages", ages, _allowed(["professions", name, "identifies_ages"])
            )
        if p.assessor and p.assessor not in assessors:
            raise _bad(
                f"{base}.assessor",
                p.assessor,
                "empty or one of the professions whose caf_assessor is true ("
                + _join(assessors)
                + ")",
            )


def _check_team_model(cfg: Config) -> None:
    """Core professions join TACs; requests that need a structure post have one."""
    tm, profs = cfg.team_model, cfg.professions
    members = sorted(name for name, p in profs.items() if p.tac_member)
    for name in tm.core_professions:
        if name not in members:
            raise ConfigError(
                f"team_model.core_professions = {_fmt(list(tm.core_professions))} is not "
                f"allowed: {name} is not a profession that joins TACs; choose from "
                f"{_join(members)}"
            )
    # An area with a workforce needs structure posts to coordinate requests (an area
    # with no posts at all is allowed: nothing is done there).
    structure = profs.get(STRUCTURE_PROFESSION)
    scale = cfg.area.establishment_scale.get(STRUCTURE_PROFESSION, 1.0)
    none = structure is None or structure.per_10k * scale <= 0
    if none and cfg.area.workforce_scale > 0 and tm.coordination_hours_per_case > 0:
        raise ConfigError(
            f"professions.{STRUCTURE_PROFESSION}.per_10k = "
            f"{_fmt(structure.per_10k if structure else None)} is not allowed with "
            f"team_model.coordination_hours_per_case = {_fmt(tm.coordination_hours_per_case)}: "
            "every team model needs structure posts (coordinators, managers or a central "
            "team) to coordinate requests; give them an establishment above 0"
        )


def _check_domains(cfg: Config) -> None:
    for key, mapping in (
        ("domain_professions", cfg.domain_professions),
        ("need.domain_probability", cfg.need.domain_probability),
    ):
        missing = [d for d in DOMAINS if d not in mapping]
        if missing:
            raise ConfigError(
                f"{key} = {_fmt(mapping)} is not allowed: it must have an entry "
                f"for each outcome domain ({_join(DOMAINS)}), and "
                f"{_join(missing)} is missing"
            )
    known = set(cfg.professions)
    for domain in DOMAINS:
        entries = list(cfg.domain_professions[domain])
        key = f"domain_professions.{domain}"
        for entry in entries:
            m = _DOMAIN_ENTRY_RE.match(str(entry))
            ok = m is not None and m.group(1) in known
            if ok and m is not None and m.group(2) is not None:
                lo, hi = int(m.group(2)), int(m.group(3))
                ok = 0 <= lo <= hi <= MAX_AGE
            if not ok:
                raise ConfigError(
                    f"{key} = {_fmt(entries)} is not allowed: the entry {entry} must be "
                    f"profession, profession:min-max (ages 0 to {MAX_AGE}) or either followed "
                    f"by @3 or @4 (only for needs at that tier or above), naming "
                    f"one of {_join(sorted(known))}"
                )
        if not entries:
            raise _bad(
                key,
                entries,
                "a non-empty list of entries profession or "
                f"profession:min-max naming known professions, with ages from 0 to "
                f"{MAX_AGE}",
            )


def _check_combinations(cfg: Config) -> None:
    team_models = sorted(team_model_names())
    if not _NAME_RE.match(cfg.experiment_name or ""):
        raise _bad("experiment_name", cfg.experiment_name, _allowed(["experiment_name"]))
    if cfg.area.localities > cfg.area.children:
        raise ConfigError(
            f"area.localities = {cfg.area.localities} is not allowed with area.children = "
            f"{cfg.area.children}: there cannot be more localities than children"
        )
    t3, t4 = cfg.need.initial_tier3_share, cfg.need.initial_tier4_share
    if t3 + t4 > 1.0 + 1e-12:
        raise ConfigError(
            f"need.initial_tier3_share + need.initial_tier4_share = {_fmt(t3)} + {_fmt(t4)} = "
            f"{_fmt(round(t3 + t4, 12))} is not allowed: the two shares together must be at "
            "most 1"
        )
    models = list(cfg.compare.team_models)
    for name in models:
        if name not in team_models:
            raise ConfigError(
                f"compare.team_models = {_fmt(models)} is not allowed: {name} is "
                f"not a team model; choose from {_join(team_models)}"
            )
    if not models or len(set(models)) != len(models):
        raise _bad("compare.team_models", models, _allowed(["compare", "team_models"]))
    if cfg.compare.baseline not in models:
        raise ConfigError(
            f"compare.baseline = {_fmt(cfg.compare.baseline)} is not allowed: it "
            f"must be one of compare.team_models ({_join(models)})"
        )
    # Testing hook: the fixed onset must fall in the observation period.
    onset = cfg.testing.fixed_onset_day
    if onset is not None and not onset < cfg.years * 365.25:
        raise ConfigError(
            f"testing.fixed_onset_day = {_fmt(onset)} is not allowed with years = "
            f"{_fmt(cfg.years)}: it must be a day from 0 to before the end of "
            f"the observation period ({_fmt(cfg.years * 365.25)})"
        )
    _check_vacancy_schedule(cfg)
    _check_team_model(cfg)


def _check_vacancy_schedule(cfg: Config) -> None:
    """The scheduled vacancy rate (vacancy shock experiment): known professions, as many
    rates as years, years in increasing order (their ranges are in the schema)."""
    wf = cfg.workforce
    profs, years, rates = (
        list(wf.vacancy_schedule_professions),
        list(wf.vacancy_schedule_years),
        list(wf.vacancy_schedule_rates),
    )
    for name in profs:
        if name not in cfg.professions:
            raise ConfigError(
                f"workforce.vacancy_schedule_professions = {_fmt(profs)} is not "
                f"allowed: {name} is not a profession; choose from "
                f"{_join(sorted(cfg.professions))}"
            )
    if len(years) != len(rates):
        raise ConfigError(
            f"workforce.vacancy_schedule_rates = {_fmt(rates)} is not allowed "
            f"with workforce.vacancy_schedule_years = {_fmt(years)}: there must "
            "be one rate for each year"
        )
    if profs and not years:
        raise _bad(
            "workforce.vacancy_schedule_years",
            years,
            "a non-empty list of years when vacancy_schedule_professions is set",
        )
    if any(b < a for a, b in itertools.pairwise(years)):
        raise _bad(
            "workforce.vacancy_schedule_years",
            years,
            "a list of years of at least 0 in increasing order",
        )


def validate(cfg: DictConfig) -> Config:
    """Check a composed configuration and return it as a typed :class:`sim.params.Config`.

    Parameters
    ----------
    cfg : omegaconf.DictConfig
        A configuration from :func:`compose` or from a ``@hydra.main`` task function (a
        ``hydra`` node, if present, is ignored). A plain mapping is merged onto the schema
        defaults first.

    Returns
    -------
    sim.params.Config
        The same configuration as dataclasses (``OmegaConf.to_object``).

    Raises
    ------
    ConfigError
        On the first problem found: a key the schema does not have (including one added
        with ``+key=value``), a wrong type, an unresolvable interpolation, a count below 1,
        a negative number, a probability outside [0, 1], a count, horizon or establishment
        size above its plausible bound (beside the field in :mod:`sim.params`), a list of
        the wrong length, an unknown choice, or an inconsistent combination of settings.
    """
    if isinstance(cfg, dict):
        cfg = OmegaConf.create(cfg)
    if not isinstance(cfg, DictConfig):
        raise ConfigError(
            f"the configuration = {_fmt(cfg)} is not allowed: it must be a mapping of settings"
        )
    _check_keys(OmegaConf.to_container(cfg, resolve=False), [])
    try:
        work: Any = cfg
        if "hydra" in cfg:
            work = copy.deepcopy(cfg)
            with open_dict(work):
                del work["hydra"]
        if OmegaConf.get_type(work) is not Config:
            work = OmegaConf.merge(OmegaConf.structured(Config), work)
        obj = OmegaConf.to_object(work)
    except ConfigError:
        raise
    except OmegaConfBaseException as exc:
        raise _from_omegaconf(exc, cfg) from None
    if not isinstance(obj, Config):  # pragma: no cover - guarded by the merge above
        raise ConfigError(
            "the configuration is not allowed: it must follow the schema sim.params.Config"
        )
    _check_values(obj, Config, [])
    _check_professions(obj)
    _check_domains(obj)
    _check_combinations(obj)
    return obj


# --------------------------------------------------------------------------- command line


def _parse_argv(argv: Sequence[str]) -> Any:
    """Parse a command line with Hydra's own argument parser, raising ConfigError.

    The one use of a Hydra internal: Hydra has no public parser for its command line
    (``-m``, ``--cfg``, ``--config-name`` ...), and a copy of its flags here would drift
    from the flags Hydra really accepts, so a flag would be checked differently from how
    Hydra then runs it.
    """
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()

    def error(message: str) -> typing.NoReturn:
        raise ConfigError(
            f"the command line {' '.join(argv) or '(empty)'} is not allowed: {message}"
        )

    parser.error = error  # type: ignore[method-assign]
    return parser.parse_args(list(argv))


def sweep_jobs(
    overrides: Sequence[str],
    sweeper_params: Optional[Mapping[str, Any]] = None,
    cap: Optional[int] = None,
) -> list[list[str]]:
    """Every job's overrides of a multirun sweep, in the order Hydra's basic sweeper runs them.

    The sweeper's ``params`` (from configuration) come first and the command line's
    overrides after, so that a command-line override of the same key replaces them.
    Each override is read by Hydra's override parser and each swept value comes from
    ``Override.sweep_string_iterator()``; the jobs are the Cartesian product of the keys'
    values in the order the keys first appear, a later override of a key replacing the
    earlier one in its place (Hydra's basic sweeper; the test suite checks the two
    agree).

    Parameters
    ----------
    overrides : sequence of str
        The sweep's overrides (``seed=1,2``, ``team_model=co_located,virtual``).
    sweeper_params : mapping, optional
        ``hydra.sweeper.params``: key to sweep text (``{"seed": "1,2"}``).
    cap : int, optional
        Above this many jobs, return a covering set instead: job ``i`` takes value ``i``
        (modulo its count) of every key, so that every value of every key occurs in at
        most ``cap`` jobs.

    Returns
    -------
    list of list of str
        Each job's overrides, ``key=value``.

    Raises
    ------
    ConfigError
        For an override that cannot be read, or a sweep that the basic sweeper cannot run
        (an interval).
    """
    lines = [f"{k}={v}" for k, v in (sweeper_params or {}).items()]
    lines += [str(o) for o in overrides]
    axes: dict[str, list[str]] = {}
    for o in _parse_each(lines):
        key = o.get_key_element()
        if not o.is_sweep_override():
            axes[key] = [f"{key}={o.get_value_element_as_str()}"]
        elif o.is_discrete_sweep():
            values = o.sweep_string_iterator()
            if cap is not None:
                values = itertools.islice(values, cap + 1)
            axes[key] = [f"{key}={v}" for v in values]
        else:
            raise ConfigError(
                f"{_head(o)} is not allowed: Hydra's basic sweeper runs only lists of "
                "values; use a list such as 1,2,3 or range(1,4)"
            )
    values_of = list(axes.values())
    if cap is None or math.prod(len(v) for v in values_of) <= cap:
        return [list(job) for job in itertools.product(*values_of)]
    width = min(max(len(v) for v in values_of), cap)
    return [[v[i % len(v)] for v in values_of] for i in range(width)]


def _apply_values(cfg: DictConfig, overrides: Sequence[Override]) -> bool:
    """Apply value overrides to a composed ``cfg`` as Hydra does; False if left to Hydra.

    Hydra applies each value override with ``OmegaConf.update`` (``force_add`` for ``+``
    and ``++``). A deletion, ``+`` onto a key that exists, a package, or an override that
    fails is not applied here (False): the caller composes the job with ``hydra.compose``
    instead, which also gives Hydra's own error.
    """
    for o in overrides:
        if o.package is not None or o.is_delete():
            return False
        key, value = o.key_or_group, o.value()
        exists = OmegaConf.select(cfg, key, default=None, throw_on_missing=False) is not None
        if o.is_add() and exists and not isinstance(value, (dict, list)):
            return False
        try:
            OmegaConf.update(cfg, key, value, merge=True, force_add=o.is_add() or o.is_force_add())
        except OmegaConfBaseException:
            return False
    return True


def _compose_jobs(
    jobs: Sequence[Sequence[str]],
    config_name: str,
    hydra_lines: Sequence[str],
    extra_dirs: Sequence[Path],
) -> Iterator[DictConfig]:
    """Each job's configuration, the same as ``hydra.compose`` of its overrides gives.

    One ``hydra.compose`` costs about 0.15 s, too long for each of thousands of jobs.
    Hydra composes the defaults list (the config group choices) and then applies the
    other overrides to the result; so each set of group choices is composed once with
    ``hydra.compose``, and a job's other overrides are applied to a copy of it by
    :func:`_apply_values`, or, where that leaves them to Hydra, the whole job is composed.
    """
    bases: dict[tuple[str, ...], DictConfig] = {}
    for job in jobs:
        parsed = _parse_each(job)
        _check_override_keys(parsed, extra_dirs)
        groups = tuple(_line(o) for o in parsed if _is_group_override(o, extra_dirs))
        values = [o for o in parsed if not _is_group_override(o, extra_dirs)]
        if groups not in bases:
            bases[groups] = _compose_in_session(groups, config_name, hydra_lines, extra_dirs)
        cfg = copy.deepcopy(bases[groups])
        if not _apply_values(cfg, values):
            cfg = _compose_in_session(job, config_name, hydra_lines, extra_dirs)
        yield cfg


def _quote(path: str) -> str:
    return "'" + path.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _hydra_config(lines: Sequence[str], config_name: str) -> Optional[DictConfig]:
    """The configuration composed with its ``hydra`` node, as Hydra will compose it to run.

    None when it cannot be composed here; the task's own errors were reported already,
    and Hydra reports any other itself.
    """
    register_resolvers()  # ${pid:} in the sweep folder's name
    try:
        return hydra.compose(
            config_name=config_name, overrides=list(lines), return_hydra_config=True
        )
    except Exception:  # noqa: BLE001 - see above
        return None


def _output_folder(cfg: Optional[DictConfig], key: str) -> Optional[str]:
    """The output folder at ``key`` (``hydra.run.dir``, ``hydra.sweep.dir``), resolved.

    Returns None when the folder cannot be worked out here (an interpolation that only a
    running job can resolve); Hydra then makes it, or reports why not, itself.
    """
    if cfg is None:
        return None
    try:
        folder = OmegaConf.select(cfg, key, throw_on_resolution_failure=True)
    except Exception:  # noqa: BLE001 - see above
        return None
    return None if folder is None else str(folder)


def check_output_folder(folder: Union[str, Path], key: str = "hydra.run.dir") -> None:
    """Check that an output folder can be made and written, before Hydra makes it.

    Hydra makes ``hydra.run.dir`` (``hydra.core.utils.run_job``) or ``hydra.sweep.dir``
    (its sweeper and launchers) just before the first job and reports a failure as a
    traceback. This finds the nearest part of ``folder`` that exists and tries what Hydra
    and the writers will do there: make a folder in it or, when ``folder`` exists, write a
    file in it. The trial folder or file is removed at once, so nothing is left behind.

    Parameters
    ----------
    folder : str or pathlib.Path
        The output folder, as Hydra will make it (relative to the working directory).
    key : str
        The setting that chose it, named in the message.

    Raises
    ------
    ConfigError
        ``the output folder <folder> cannot be made: ...`` (or ``cannot be written``), as
        one sentence that says why and which setting chooses another folder.
    """
    target = Path(folder)
    advice = f"choose another folder with {key}=DIR"
    existing = target
    while not os.path.lexists(existing) and existing.parent != existing:
        existing = existing.parent
    verb = "written" if existing == target else "made"
    if not existing.is_dir():
        raise ConfigError(
            f"the output folder {folder} cannot be {verb}: {existing} is not a folder; {advice}"
        )
    try:
        if existing == target:
            handle, trial = tempfile.mkstemp(dir=target, prefix=".write-check-")
            os.close(handle)
            os.unlink(trial)
        else:
            os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".write-check-"))
    except OSError as exc:
        where = (
            "no file can be written in it"
            if existing == target
            else (f"no folder can be made in {existing}")
        )
        raise ConfigError(
            f"the output folder {folder} cannot be {verb}: {where} "
            f"({exc.strerror or type(exc).__name__}); {advice}"
        ) from None


def precheck_argv(argv: Sequence[str]) -> Optional[Config]:
    """Check a ``python -m sim`` command line before Hydra runs.

    Hydra's own flags (``-m``/``--multirun``, ``--cfg``, ``--info``, ``--help``,
    ``--resolve``, ``--package`` ...) and ``hydra.``/``hydra/`` overrides are set aside;
    ``--config-name`` and ``--config-dir`` are honoured. For a single run the remaining
    overrides are composed and validated once; for a multirun every job of the sweep is
    composed and validated (as Hydra's basic sweeper would expand it; above
    :data:`MAX_SWEEP_JOBS` jobs, a covering set in which every swept value occurs). Then,
    unless ``--cfg``, ``--info`` or ``--help`` means nothing runs, the output folder
    (``hydra.run.dir``, or a sweep's ``hydra.sweep.dir``) is checked with
    :func:`check_output_folder`. Nothing is checked with ``--version``,
    ``--shell-completion``, ``--experimental-rerun`` or ``--config-path`` (the
    configuration then does not come from :data:`CONFIG_DIR`).

    Parameters
    ----------
    argv : sequence of str
        The command-line arguments without the program name (``sys.argv[1:]``).

    Returns
    -------
    sim.params.Config or None
        The checked configuration of a single run that Hydra will run (for
        :func:`estimate_notice`); None for a multirun sweep and when nothing will run.

    Raises
    ------
    ConfigError
        On the first problem, as one sentence naming the key and the value given, or the
        output folder that cannot be made.
    """
    argv = [str(a) for a in argv]
    if "--version" in argv:
        return None
    args = _parse_argv(argv)
    if args.shell_completion or args.experimental_rerun or args.config_path:
        return None
    runs = not (args.cfg or args.info or args.help or args.hydra_help)
    config_name = args.config_name or CONFIG_NAME
    extra_dirs = [Path(args.config_dir).resolve()] if args.config_dir else []
    with _hydra_session():
        parsed = _parse_each(list(args.overrides))
        hydra_ov = [o for o in parsed if o.is_hydra_override()]
        task = [o for o in parsed if not o.is_hydra_override()]
        multirun = bool(args.multirun) or any(
            o.key_or_group == "hydra.mode" and str(_value_text(o)).upper() == "MULTIRUN"
            for o in hydra_ov
        )
        hydra_lines = [_line(o) for o in hydra_ov if o.key_or_group == "hydra.searchpath"]
        if extra_dirs and not hydra_lines:
            hydra_lines = [
                "hydra.searchpath=[" + ",".join(_quote(f"file://{d}") for d in extra_dirs) + "]"
            ]
        task_lines = [_line(o) for o in task]
        other_hydra = [_line(o) for o in hydra_ov if o.key_or_group != "hydra.searchpath"]
        if not multirun:
            cfg = validate(_compose_in_session(task_lines, config_name, hydra_lines, extra_dirs))
            if not runs:
                return None
            key = "hydra.run.dir"
            hydra_cfg = _hydra_config([*task_lines, *hydra_lines, *other_hydra], config_name)
            folder = _output_folder(hydra_cfg, key)
            if folder is not None:
                check_output_folder(folder, key)
            return cfg
        fixed = [_line(o) for o in task if not o.is_sweep_override()]
        hydra_cfg = _hydra_config([*fixed, *hydra_lines, *other_hydra], config_name)
        params = None if hydra_cfg is None else OmegaConf.select(hydra_cfg, "hydra.sweeper.params")
        jobs = sweep_jobs(task_lines, params, cap=MAX_SWEEP_JOBS)
        for job_cfg in _compose_jobs(jobs, config_name, hydra_lines, extra_dirs):
            validate(job_cfg)
        if runs:
            key = "hydra.sweep.dir"
            folder = _output_folder(hydra_cfg, key)
            if folder is not None:
                check_output_folder(folder, key)
        return None


# --------------------------------------------------------------------------- cost estimate

# Measured costs behind :func:`estimate`, on a 2-core x86_64 machine shared with other
# work (Python 3.11.7), each run in a fresh process.
# - Simulation time: one replicate of the calibrated Stockport preset (61,900 children,
#   ``area=stockport years=3 warmup_years=1 team_model=<each>``) three times under each
#   team model, ``sim.runner.run_replicate`` timed with ``time.process_time``; the
#   fastest of the three: 23.0 (co-located), 18.7 (virtual) and 26.9 (TAC-only) CPU
#   microseconds per child-year. The uncalibrated test preset has fewer needs per child
#   (``area=test area.children=100000``, same years): 14.0, 13.4 and 16.0. The full-scale
#   benchmark (``python -m sim.bench``: 172,000 children x 13 years on the same machine
#   unloaded, README "Run times") gives 25, 25 and 29; the figures used are the
#   benchmark's, rounded up.
# - Writing: tables, plots and report (``write_scenario`` and ``write_report``, timed the
#   same way) took 4.0 s CPU after one replicate of 61,900 children x 13 years and 8.9 s
#   after three: about 3 microseconds per child-year of every replicate. Start-up plus a
#   tiny run (``python -m sim area=test area.children=1000 years=0.1 warmup_years=0``)
#   took 5-9 s CPU in all.
# - Memory: ``area=stockport team_model=co_located years=3 warmup_years=8
#   followup_years=2``. Resident memory sampled every 0.05 s in one process running
#   ``sim.runner.run_scenario``: 190 MB before the first model, peaks of 531 MB with
#   ``replicates=1`` and 1035 MB with ``replicates=3``; fitted, 1.4 KB per child and 0.32
#   KB per child-year of every replicate run in the process (a replicate's state and
#   tables stay in memory until the run ends). Sampled every 0.3 s over the processes of
#   ``python -m sim ... replicates=4``: 1383 MB with ``workers=1`` (estimate 1.3 GB), and
#   with ``workers=2`` the main process 540 MB and each worker 517-529 MB (estimate 1.6
#   GB in all), so 0.11 KB per child-year of each replicate a worker returns.
# - Check: the main job (``python -m sim experiment=compare_team_models``, 3 team models x
#   5 replicates x 61,900 children x 13 years, 2 workers) is estimated at 3.4 min and 2.5
#   GB; it took 3 min 31 s on the unloaded machine (README "Run times"), and here, with
#   the machine shared, 6 min 23 s with a peak of 2.4 GB over its processes.

#: CPU seconds of one replicate per simulated child-year, by team model (measured above).
_SECONDS_PER_CHILD_YEAR: dict[str, float] = {
    "co_located": 25e-6,
    "virtual": 25e-6,
    "tac_only": 30e-6,
}
#: CPU seconds of writing the tables, plots and report, per child-year of each replicate.
_SECONDS_WRITE_PER_CHILD_YEAR = 3e-6
#: Seconds of every command besides its replicates (start-up, the report's fixed part).
_SECONDS_FIXED = 8.0
#: Resident memory of a process before its first model (Python and its libraries), MB.
_MB_PROCESS = 200.0
#: Memory of a running model per child, KB, besides what grows with simulated time
#: (the fitted 1.4, rounded up).
_KB_PER_CHILD = 1.5
#: Memory per child-year of each replicate run in a process, kept until the run ends, KB.
_KB_PER_CHILD_YEAR = 0.32
#: Memory per child-year of each replicate returned by a parallel worker, KB.
_KB_PER_CHILD_YEAR_RETURNED = 0.11
#: :func:`estimate_notice` is silent for runs estimated to take less than this (seconds).
ESTIMATE_MIN_SECONDS: float = 30.0


@dataclasses.dataclass(frozen=True)
class Estimate:
    """Rough time and memory of a run, scaled from measured costs (see :func:`estimate`).

    Attributes
    ----------
    seconds : wall-clock seconds of the whole command.
    megabytes : peak resident memory of all its processes together, in MB.
    team_models : team models run (1, or those of ``compare.team_models``).
    replicates : replicates of each team model.
    children : children simulated in each replicate.
    years : simulated years of each replicate (warm-up, observed and follow-up).
    at_once : replicates run at the same time (1 = one after another).
    """

    seconds: float
    megabytes: float
    team_models: int
    replicates: int
    children: int
    years: float
    at_once: int

    def message(self) -> str:
        """One line: ``estimate: about 3 min and 1.6 GB for 3 team models x ...``."""

        def plural(n: int, word: str) -> str:
            return f"{n:,} {word}" + ("" if n == 1 else "s")

        at_once = f", {self.at_once} at a time" if self.at_once > 1 else ""
        return (
            f"estimate: about {_duration(self.seconds)} and {_memory(self.megabytes)} "
            f"for {plural(self.team_models, 'team model')} x "
            f"{plural(self.replicates, 'replicate')} of {self.children:,} children over "
            f"{self.years:g} years{at_once} (a rough guide, scaled from measured runs; "
            "progress=false hides it)"
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.0f} days"


def _memory(megabytes: float) -> str:
    if megabytes < 1000:
        return f"{megabytes:.0f} MB"
    return f"{megabytes / 1024:.1f} GB"


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1  # pragma: no cover - platforms without affinity


def estimate(cfg: Config, cpus: Optional[int] = None) -> Estimate:
    """Rough time and memory of running ``cfg``, from measured costs per child-year.

    Every replicate costs its team model's measured CPU seconds per simulated child-year
    (children x warm-up, observed and follow-up years); replicates run ``workers`` at a
    time, on at most ``cpus`` CPUs; writing the outputs costs a measured amount per
    child-year of every replicate, and start-up a fixed time. Memory is one process, plus
    one more for each parallel worker, each holding a model, and what every replicate
    keeps until the end. The measurements are described beside the constants in this
    module; a busier or faster machine, or an area with more or fewer needs per child,
    makes a run longer or shorter than estimated.

    Parameters
    ----------
    cfg : sim.params.Config
        A validated configuration (``mode`` single or compare).
    cpus : int, optional
        CPUs available; by default those this process may use.

    Returns
    -------
    Estimate
        The estimate; ``Estimate.message()`` is the line to show.
    """
    names = list(cfg.compare.team_models) if cfg.mode == "compare" else [cfg.team_model.name]
    slowest = max(_SECONDS_PER_CHILD_YEAR.values())
    years = cfg.warmup_years + cfg.years + cfg.followup_years
    child_years = cfg.area.children * years
    per_run = [_SECONDS_PER_CHILD_YEAR.get(n, slowest) * child_years for n in names]
    runs = len(names) * cfg.replicates
    processes = min(cfg.workers, runs) if cfg.workers > 1 and runs > 1 else 1
    on_cpus = min(processes, cpus or _cpus())
    simulate = max(sum(per_run) * cfg.replicates / on_cpus, max(per_run))
    write = _SECONDS_WRITE_PER_CHILD_YEAR * child_years * runs
    seconds = _SECONDS_FIXED + simulate + write
    model_mb = (_KB_PER_CHILD * cfg.area.children + _KB_PER_CHILD_YEAR * child_years) / 1024
    if processes == 1:
        megabytes = _MB_PROCESS + model_mb + _KB_PER_CHILD_YEAR * child_years * (runs - 1) / 1024
    else:
        returned = _KB_PER_CHILD_YEAR_RETURNED * child_years * runs / 1024
        megabytes = _MB_PROCESS + returned + processes * (_MB_PROCESS + model_mb)
    return Estimate(
        seconds=seconds,
        megabytes=megabytes,
        team_models=len(names),
        replicates=cfg.replicates,
        children=cfg.area.children,
        years=years,
        at_once=processes,
    )


def estimate_notice(cfg: Config, cpus: Optional[int] = None) -> Optional[str]:
    """The estimate line to show before running ``cfg``, or None.

    None when ``cfg.progress`` is false or the run is estimated to take less than
    :data:`ESTIMATE_MIN_SECONDS`.

    Parameters
    ----------
    cfg : sim.params.Config
        A validated configuration.
    cpus : int, optional
        CPUs available (see :func:`estimate`).

    Returns
    -------
    str or None
        ``estimate: about ...`` (one line), or None.
    """
    if not cfg.progress:
        return None
    est = estimate(cfg, cpus)
    return est.message() if est.seconds >= ESTIMATE_MIN_SECONDS else None
