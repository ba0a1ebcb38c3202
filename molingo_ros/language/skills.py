"""The skills a model knows: every motion content it was trained on, with its styles and the
data behind them. No ROS imports.

A *skill* is one content label of the training data ("walk", "wave-right-hand", "bow"); each
comes in the styles the data holds ("normal", "tired", ...). :class:`SkillCatalogue` is built
from a training set (:meth:`SkillCatalogue.from_dataset`) and travels in the model bundle's
metadata (key :data:`BUNDLE_KEY`), so a node can tell what it can do without the data. A later
training run on more data writes a larger catalogue into its bundle; nothing here is a fixed
list of skills.

    catalogue = SkillCatalogue.from_metadata(model.metadata)
    catalogue["walk"].styles["tired"].speed_m_s      # mean planar root speed of the takes
    catalogue.caption("walk", "tired")               # the text the generator is given
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from molingo_ros.motion import captions

BUNDLE_KEY = "skills"
"""Metadata key of the catalogue (JSON) in a model bundle."""

STYLE_ALIASES: dict[str, tuple[str, ...]] = {
    "old": ("elderly",),
    "elderly": ("old",),
    "tired": ("exhausted",),
    "exhausted": ("tired",),
    "masculine": ("masculinity",),
    "masculinity": ("masculine",),
}
"""Styles that the two Bandai datasets name differently but mean the same."""


IN_PLACE_MAX_SPEED_M_S = 0.15
"""Root speed cap of a skill that does not travel, at the least (m/s): real gestures and bows
drift 0.01-0.17 m/s; a generated one may slide at 0.3 m/s or walk off."""

IN_PLACE_SPEED_MARGIN = 1.25
"""The cap is at least this times the fastest style's mean take speed (kicks step about)."""

NEUTRAL_STYLES: tuple[str, ...] = (
    "normal", "masculine", "masculinity", "feminine", "youthful", "active", "proud", "happy",
)
"""Styles nearest to a plain performance, in order of preference."""


@dataclass(frozen=True)
class StyleData:
    """The training data of one (content, style) pair.

    Attributes:
        takes: original takes (mirrored copies not counted).
        mirrored: mirrored copies (a left wave mirrored is a right wave).
        seconds: seconds of motion in the original takes.
        speed_m_s: mean planar root speed over the takes (m/s), 0 for in-place motions.
    """

    takes: int
    mirrored: int
    seconds: float
    speed_m_s: float


@dataclass(frozen=True)
class Skill:
    """One content label and the styles it was trained in.

    Attributes:
        name: content label, e.g. ``"wave-right-hand"``.
        description: what the motion is, in a few words.
        styles: style label -> its data.
        preferred_style, preferred_caption: the style and sentence used when the operator
            names no manner, chosen on validation seeds
            (:func:`~molingo_ros.language.selection.choose_preferences`); empty: the first
            of :data:`NEUTRAL_STYLES` and its first training caption.
    """

    name: str
    description: str
    styles: dict[str, StyleData] = field(default_factory=dict)
    preferred_style: str = ""
    preferred_caption: str = ""

    @property
    def takes(self) -> int:
        return sum(s.takes for s in self.styles.values())

    @property
    def mirrored(self) -> int:
        return sum(s.mirrored for s in self.styles.values())

    @property
    def seconds(self) -> float:
        return float(sum(s.seconds for s in self.styles.values()))

    @property
    def travels(self) -> bool:
        """True for locomotion (walks, runs)."""
        return self.name in captions.LOCOMOTION_CONTENTS

    @property
    def default_style(self) -> str:
        """The style used when the operator names none: ``normal`` where the data has it,
        else the first of :data:`NEUTRAL_STYLES` it has (a bow was taken in moods only),
        unless a preferred style was chosen on validation seeds."""
        if self.preferred_style:
            return self.preferred_style
        for name in NEUTRAL_STYLES:
            if self.styles.get(name) is not None and self.styles[name].takes > 0:
                return name
        return max(self.styles, key=lambda s: self.styles[s].takes) if self.styles else "normal"

    @property
    def max_root_speed_m_s(self) -> float | None:
        """The root speed cap while this skill plays (m/s): None for locomotion; for the
        others :data:`IN_PLACE_MAX_SPEED_M_S` or :data:`IN_PLACE_SPEED_MARGIN` times the
        fastest style's mean speed in the data, whichever is larger."""
        if self.travels:
            return None
        fastest = max((d.speed_m_s for d in self.styles.values()), default=0.0)
        return round(max(IN_PLACE_MAX_SPEED_M_S, IN_PLACE_SPEED_MARGIN * fastest), 3)

    def resolve_style(self, style: str) -> str | None:
        """``style`` or its alias that this skill has data for (of the two, the one with more
        takes: "old" walks are 1 take, "elderly" ones 13), else None."""
        names = [n for n in (style, *STYLE_ALIASES.get(style, ())) if n in self.styles]
        if not names:
            return None
        return max(names, key=lambda n: (self.styles[n].takes, n == style))

    def style_by_speed(self, speed: str, min_takes: int = 5) -> str | None:
        """The style whose takes are slowest (``"slow"``) or fastest (``"fast"``) among the
        styles with at least ``min_takes`` takes, for a travelling skill; None otherwise (or
        when fewer than two styles have that many takes)."""
        if speed not in ("slow", "fast"):
            raise ValueError(f"speed must be 'slow' or 'fast', got {speed!r}")
        styles = [s for s, d in self.styles.items() if d.takes >= min_takes]
        if not self.travels or len(styles) < 2:
            return None
        ordered = sorted(styles, key=lambda s: self.styles[s].speed_m_s)
        return ordered[0] if speed == "slow" else ordered[-1]


class SkillCatalogue(Mapping[str, Skill]):
    """Every skill of a model, by content label (a read-only mapping)."""

    def __init__(self, skills: Mapping[str, Skill]) -> None:
        if not skills:
            raise ValueError("a skill catalogue needs at least one skill")
        self._skills = dict(sorted(skills.items()))

    def __getitem__(self, name: str) -> Skill:
        try:
            return self._skills[name]
        except KeyError:
            raise KeyError(
                f"unknown skill {name!r}; known: {', '.join(self._skills)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._skills)

    def __len__(self) -> int:
        return len(self._skills)

    # -- text for the generator ---------------------------------------------------------------

    def caption(self, content: str, style: str | None = None) -> str:
        """The sentence the generator is conditioned on for ``content`` in ``style`` (None:
        the skill's default style): the skill's preferred caption for its preferred style,
        else the first training caption of that label pair ("a person walks forward in a
        tired way")."""
        skill = self[content]
        resolved = (skill.resolve_style(style) if style else None) or skill.default_style
        if skill.preferred_caption and resolved == skill.preferred_style:
            return skill.preferred_caption
        return captions.captions_for(content, resolved, split="train")[0]

    def with_preferences(self, chosen: Mapping[str, tuple[str, str]]) -> SkillCatalogue:
        """A copy with ``{skill: (style, caption)}`` as the preferred style and caption."""
        skills = dict(self._skills)
        for name, (style, caption) in chosen.items():
            skills[name] = replace(self[name], preferred_style=style, preferred_caption=caption)
        return SkillCatalogue(skills)

    # -- files ------------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                name: {
                    "description": s.description,
                    "styles": {k: vars(v) for k, v in s.styles.items()},
                    **(
                        {"preferred_style": s.preferred_style,
                         "preferred_caption": s.preferred_caption}
                        if s.preferred_style
                        else {}
                    ),
                }
                for name, s in self._skills.items()
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> SkillCatalogue:
        """Raises ValueError on text that is not a catalogue."""
        try:
            raw = json.loads(text)
            skills = {
                name: Skill(
                    name,
                    str(entry.get("description", "")),
                    {k: StyleData(**v) for k, v in entry["styles"].items()},
                    str(entry.get("preferred_style", "")),
                    str(entry.get("preferred_caption", "")),
                )
                for name, entry in raw.items()
            }
        except (json.JSONDecodeError, AttributeError, KeyError, TypeError) as exc:
            raise ValueError(f"not a skill catalogue: {exc}") from None
        return cls(skills)

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, str]) -> SkillCatalogue:
        """The catalogue stored in a model bundle's metadata, or, for bundles written before
        catalogues existed, every content and style label of the Bandai data (without counts).
        """
        if BUNDLE_KEY in metadata:
            return cls.from_json(metadata[BUNDLE_KEY])
        empty = StyleData(0, 0, 0.0, 0.0)
        return cls(
            {
                c: Skill(c, d, {s: empty for s in captions.STYLES})
                for c, d in captions.CONTENTS.items()
            }
        )

    @classmethod
    def from_dataset(cls, dataset, split: str = "train") -> SkillCatalogue:
        """Count the takes, seconds and speeds of every (content, style) pair of ``split`` of a
        :class:`~molingo_ros.motion.motion_dataset.MotionDataset`."""
        stats: dict[tuple[str, str], list] = {}
        sl = dataset.feature_config.slices()["root_lin_vel"]
        for i in dataset.indices(split):
            rec = dataset.records[i]
            entry = stats.setdefault((rec.content, rec.style), [0, 0, 0.0, []])
            if rec.mirrored:
                entry[1] += 1
                continue
            entry[0] += 1
            entry[2] += rec.duration_s
            vel = dataset.clip_features(i)[:, sl]
            entry[3].append(float(np.linalg.norm(vel, axis=1).mean() * 30.0))
        skills: dict[str, Skill] = {}
        for (content, style), (takes, mirrored, seconds, speeds) in sorted(stats.items()):
            skill = skills.setdefault(
                content, Skill(content, captions.CONTENTS.get(content, content))
            )
            speed = float(np.mean(speeds)) if speeds else 0.0
            skill.styles[style] = StyleData(takes, mirrored, round(seconds, 1), round(speed, 3))
        return cls(skills)


__all__ = [
    "BUNDLE_KEY",
    "IN_PLACE_MAX_SPEED_M_S",
    "IN_PLACE_SPEED_MARGIN",
    "NEUTRAL_STYLES",
    "STYLE_ALIASES",
    "Skill",
    "SkillCatalogue",
    "StyleData",
]
