"""One source for every setting: a config dataclass field carries its default, description,
range and choices; command-line flags, ROS parameters and the YAML are generated from it.

A field declared with :func:`setting` ::

    @dataclass(frozen=True)
    class SamplerConfig:
        cfg_scale: float = setting(2.0, "classifier-free guidance scale", range=(0.0, 20.0),
                                   aliases=("--cfg",))

becomes the flag ``--cfg-scale`` (alias ``--cfg``) through :func:`add_flags`, the ROS
parameter ``sampler.cfg_scale`` through ``molingo_ros.ros.params`` and a commented line of
``config/molingo.yaml``. The dataclass's own ``__post_init__`` stays the one place that
checks combinations of values.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

_KEY = "molingo_setting"


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting: a field of a config dataclass with its documentation.

    Attributes:
        name: the field name (``cfg_scale``); flags spell it ``--cfg-scale``.
        default: the field's default; its Python type (bool, int, float, str) is the
            setting's type.
        description: one line for ``--help``, the ROS parameter descriptor and the YAML,
            with the unit where it has one.
        range: inclusive (low, high) bounds of a number, or None.
        choices: the allowed values of a string, or None.
        aliases: further flag spellings kept for users of older command lines.
    """

    name: str
    default: Any
    description: str
    range: tuple[float, float] | None = None
    choices: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()

    @property
    def type(self) -> type:
        """bool, int, float or str: the type of the default."""
        return type(self.default)

    @property
    def flag(self) -> str:
        """The command-line flag: ``--`` and the name with hyphens."""
        return "--" + self.name.replace("_", "-")

    def cast(self, value: Any) -> Any:
        """``value`` as this setting's type (a ROS integer parameter for a float field, ...)."""
        return self.type(value)

    def check(self, value: Any) -> None:
        """Raise ValueError naming the setting when ``value`` is outside its range or choices."""
        if self.choices is not None and value not in self.choices:
            raise ValueError(
                f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}"
            )
        if self.range is not None and not self.range[0] <= value <= self.range[1]:
            raise ValueError(
                f"{self.name} must be in [{self.range[0]}, {self.range[1]}], got {value!r}"
            )


def setting(
    default: Any,
    description: str,
    *,
    range: tuple[float, float] | None = None,  # noqa: A002 - the word users read
    choices: Iterable[str] | None = None,
    aliases: Iterable[str] = (),
) -> Any:
    """A dataclass field with its documentation (see the module docstring)."""
    info = dict(
        description=description,
        range=None if range is None else (range[0], range[1]),
        choices=None if choices is None else tuple(choices),
        aliases=tuple(aliases),
    )
    return dataclasses.field(default=default, metadata={_KEY: info})


def settings_of(cls: type, names: Iterable[str] | None = None) -> list[Setting]:
    """The documented fields of the config dataclass ``cls``, in declaration order, or the
    ones named by ``names`` in that order.

    Raises:
        ValueError: a name that is not a documented field of ``cls`` (the message lists them).
    """
    found = {
        f.name: Setting(name=f.name, default=f.default, **f.metadata[_KEY])
        for f in dataclasses.fields(cls)
        if _KEY in f.metadata
    }
    if names is None:
        return list(found.values())
    wanted = list(names)
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise ValueError(
            f"{cls.__name__} has no setting {', '.join(unknown)}; valid: {', '.join(found)}"
        )
    return [found[n] for n in wanted]


def _help(s: Setting, show_default: bool) -> str:
    text = s.description
    if s.range is not None:
        text += f" [{s.range[0]}, {s.range[1]}]"
    if show_default:
        text += f" (default: {s.default})"
    return text.replace("%", "%%")


def add_flags(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    cls: type,
    names: Iterable[str] | None = None,
    *,
    keep_none: bool = True,
) -> None:
    """Add a flag per setting of ``cls`` (all, or those in ``names``) to ``parser``.

    Args:
        keep_none: True: an absent flag parses to None, so that :func:`flag_overrides` keeps
            the dataclass default; False: it parses to the default.
    """
    for s in settings_of(cls, names):
        kwargs: dict[str, Any] = dict(
            dest=s.name, help=_help(s, True), default=None if keep_none else s.default
        )
        if s.type is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = s.type
            if s.choices is not None:
                kwargs["choices"] = s.choices
        parser.add_argument(s.flag, *s.aliases, **kwargs)


def flag_overrides(
    args: argparse.Namespace, cls: type, names: Iterable[str] | None = None
) -> dict[str, Any]:
    """The settings of ``cls`` given on the command line (the flags :func:`add_flags` added),
    as field name -> value, leaving out those not given.

    Raises:
        ValueError: a value outside its range (the message names the flag and the range).
    """
    out = {}
    for s in settings_of(cls, names):
        value = getattr(args, s.name, None)
        if value is not None:
            try:
                s.check(value)
            except ValueError as exc:
                raise ValueError(f"{s.flag}: {exc}") from None
            out[s.name] = value
    return out


def config_from(
    cls: type, value: Callable[[str], Any], names: Iterable[str] | None = None, **fixed: Any
) -> Any:
    """An instance of ``cls`` with each setting in ``names`` (all by default) read by
    ``value(name)``, cast to its type and checked against its range and choices; ``fixed``
    gives further fields. The dataclass then checks the combination.

    Raises:
        ValueError: a value outside its range or choices, or a combination the dataclass
            refuses (the message names the setting).
    """
    kwargs = dict(fixed)
    for s in settings_of(cls, names):
        v = s.cast(value(s.name))
        s.check(v)
        kwargs[s.name] = v
    return cls(**kwargs)


__all__ = ["Setting", "add_flags", "config_from", "flag_overrides", "setting", "settings_of"]
