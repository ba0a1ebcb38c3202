"""Grounding: an operator's segment -> one skill the model knows, with a confidence, or an
honest refusal. No ROS imports.

The segment and every reference phrasing of every skill
(:func:`~molingo_ros.language.phrasings.reference_phrasings`) are embedded with the model's own
frozen sentence encoder (MiniLM, mean-pooled and unit length). A skill's score is the cosine
similarity of the segment to its nearest reference phrasing; the confidence is the best skill's
score. The segment is refused when the confidence is below the threshold, or when the segment
is not at least ``margin`` nearer its best skill than the background phrasings (everyday
actions that no skill performs, :data:`~molingo_ros.language.phrasings.BACKGROUND_PHRASES`).
Both numbers are chosen on a validation set (:func:`calibrate`) and stored in the model bundle
under :data:`BUNDLE_KEY`. A refusal names the three closest skills.

Hands and sides are read from the words, since sentence embeddings hardly tell "left" from
"right": a sided skill whose side the operator did not say is swapped for the one said
("wave with your left hand" never waves the right hand). Manner words pick a style the data
has for the skill; speed words ("slowly", "quickly") pick its slowest or fastest style.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from molingo_ros.language.parse import Segment
from molingo_ros.language.phrasings import BACKGROUND_PHRASES, reference_phrasings
from molingo_ros.language.skills import SkillCatalogue
from molingo_ros.motion.captions import mirror_label

BUNDLE_KEY = "grounding"
"""Metadata key of the grounding settings (JSON: threshold, how it was chosen) in a bundle."""

DEFAULT_THRESHOLD = 0.55
"""Confidence threshold used when a bundle carries none (bundles before grounding existed)."""

DEFAULT_MARGIN = 0.0
"""How much nearer a skill than the background phrasings a segment must be, by default."""

STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "happy": ("happy", "happily", "cheerful", "cheerfully", "joyful", "joyfully", "glad"),
    "sad": ("sad", "sadly", "gloomy", "gloomily", "dejected", "unhappy", "sorrowful", "depressed"),
    "angry": ("angry", "angrily", "furious", "furiously", "mad", "annoyed", "rage", "enraged"),
    "proud": ("proud", "proudly", "confident", "confidently", "chest out", "head held high"),
    "not-confident": (
        "timid", "timidly", "shy", "shyly", "hesitant", "hesitantly", "nervous", "nervously",
        "unsure", "not confident", "unconfident", "insecure",
    ),
    "masculine": ("masculine", "manly", "macho", "like a man"),
    "feminine": ("feminine", "graceful", "gracefully", "elegant", "elegantly", "ladylike"),
    "childish": ("childish", "like a child", "like a kid", "playful", "playfully", "childlike"),
    "old": (
        "old", "elderly", "aged", "like an old", "grandpa", "grandma", "senior", "frail",
    ),
    "tired": ("tired", "tiredly", "exhausted", "weary", "wearily", "worn out", "sleepy", "drained"),
    "active": (
        "energetic", "energetically", "lively", "active", "actively", "vigorous", "vigorously",
        "enthusiastic", "enthusiastically", "full of energy",
    ),
    "musical": ("theatrical", "theatrically", "musical", "dramatic", "dramatically", "broadway"),
    "giant": ("giant", "lumbering", "heavily", "like a monster", "like a giant", "huge"),
    "chimpira": ("thug", "swagger", "swaggering", "punk", "gangster", "cocky", "like a thug"),
    "youthful": ("youthful", "youthfully", "young", "like a teenager"),
}
"""Manner words of each style (a whole word or phrase of the segment selects it)."""

_SIDE_RE = re.compile(r"\b(left|right|both)\b")

_GOODBYES = ("bye", "byebye")
"""Goodbye waves: their labels name no hand (the data holds both sides under one label)."""


@dataclass(frozen=True)
class Grounding:
    """What one segment was matched to.

    Attributes:
        segment: the parsed segment.
        skill: best content label (even when refused).
        style: style label picked for it ("normal" when none was asked for or the data has
            none of the asked manner).
        confidence: cosine similarity to the nearest reference phrasing of ``skill`` (-1..1).
        accepted: confidence >= the threshold (or forced with allow_unknown).
        closest: the best skills with their scores, best first.
        caption: the sentence given to the generator.
    """

    segment: Segment
    skill: str
    style: str
    confidence: float
    accepted: bool
    closest: tuple[tuple[str, float], ...]
    caption: str

    def refusal(self) -> str:
        """The message that tells the operator what was not understood and what is known."""
        names = ", ".join(n for n, _ in self.closest[:3])
        return f"I can't do '{self.segment.raw}'; closest: {names}"


def _has_phrase(text: str, phrase: str) -> bool:
    return re.search(rf"\b{re.escape(phrase)}\b", text) is not None


def detect_style(text: str) -> str | None:
    """The style whose manner words occur in ``text`` (the first in :data:`STYLE_WORDS`
    order), or None."""
    for style, words in STYLE_WORDS.items():
        if any(_has_phrase(text, w) for w in words):
            return style
    return None


def apply_side(skill: str, text: str, catalogue: Mapping[str, object]) -> str:
    """Swap a sided skill for the side the words name ("left", "right", "both"); a goodbye
    with one hand named becomes the wave of that hand."""
    said = set(_SIDE_RE.findall(text))
    if not said and re.search(r"\b(?:hands|arms)\b", text):
        said = {"both"}  # "raise your hands": plural, no side named
    if skill in _GOODBYES and said in ({"left"}, {"right"}):
        wave = f"wave-{next(iter(said))}-hand"
        return wave if wave in catalogue else skill
    if not said or ("left" not in skill and "right" not in skill and "both" not in skill):
        return skill
    if "both" in said or {"left", "right"} <= said:
        both = re.sub(r"\b(?:left|right)-hand\b", "both-hands", skill)
        return both if both in catalogue else skill
    side = next(iter(said))
    if "both-hands" in skill:
        one = skill.replace("both-hands", f"{side}-hand")
        return one if one in catalogue else skill
    if side not in skill:
        mirrored = mirror_label(skill)
        return mirrored if mirrored in catalogue else skill
    return skill


def _prefer_sided(closest: Sequence[tuple[str, float]], text: str, within: float = 0.1) -> str:
    """The best skill; but when the words name a hand ("with your left hand") and the best
    skill has none (a goodbye), the best sided skill within ``within`` of it."""
    best, score = closest[0]
    if not re.search(r"\b(?:left|right)\b", text) or re.search(r"left|right|both", best):
        return best
    for name, s in closest[1:]:
        if re.search(r"(?:left|right)-hand", name) and s >= score - within:
            return name
    return best


class SkillMatcher:
    """Matches segments against a catalogue with a sentence encoder.

    Args:
        catalogue: the skills of the model.
        encoder: an object with ``sentence(texts) -> (B, D)`` unit vectors (the model's
            :class:`~molingo_ros.model.text.FrozenTextEncoder`).
        threshold: minimum confidence to accept a segment.
        margin: minimum lead of the best skill's similarity over the background's.
    """

    def __init__(
        self,
        catalogue: SkillCatalogue,
        encoder,
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
    ):
        if not -1.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [-1, 1], got {threshold}")
        if not -1.0 <= margin <= 1.0:
            raise ValueError(f"margin must be in [-1, 1], got {margin}")
        self.margin = float(margin)
        self.catalogue = catalogue
        self.encoder = encoder
        self.threshold = float(threshold)
        names, texts = [], []
        for name in catalogue:
            refs = reference_phrasings(name) or (catalogue[name].description or name,)
            names += [name] * len(refs)
            texts += list(refs)
        self._ref_skill = np.array(names)
        self._ref_vecs = self._embed(texts)
        self._skills = list(catalogue)
        self._background = self._embed(
            [b for b in BACKGROUND_PHRASES if b not in set(texts)]
        )

    @classmethod
    def from_model(cls, model, threshold: float | None = None) -> SkillMatcher:
        """The matcher of a loaded :class:`~molingo_ros.model.sampler.MoLingo`: its catalogue,
        threshold and margin from the bundle metadata (``threshold`` overrides)."""
        catalogue = SkillCatalogue.from_metadata(model.metadata)
        settings = load_settings(model.metadata)
        if threshold is None:
            threshold = settings["threshold"]
        return cls(catalogue, model.text_encoder, threshold, settings["margin"])

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.encoder.sentence(list(texts)), dtype=np.float32)

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(skills (B, n_skills), background (B,))``: the best cosine similarity of each text
        to each skill's phrasings, and to the background phrasings (not a skill)."""
        vecs = self._embed(texts)
        sims = vecs @ self._ref_vecs.T
        out = np.full((len(texts), len(self._skills)), -1.0, dtype=np.float32)
        for j, name in enumerate(self._skills):
            cols = self._ref_skill == name
            out[:, j] = sims[:, cols].max(axis=1)
        return out, (vecs @ self._background.T).max(axis=1)

    def ground(self, segments: Sequence[Segment], allow_unknown: bool = False) -> list[Grounding]:
        """Ground every segment (one encoder call for all)."""
        if not segments:
            return []
        table, background = self.scores([s.text for s in segments])
        return [
            self._one(seg, row, bg, allow_unknown)
            for seg, row, bg in zip(segments, table, background, strict=True)
        ]

    def accepts(self, confidence: float, background: float) -> bool:
        """The acceptance rule: confidence >= threshold and >= background + margin."""
        return confidence >= self.threshold and confidence >= background + self.margin

    def _one(self, seg: Segment, row: np.ndarray, bg: float, allow_unknown: bool) -> Grounding:
        order = np.argsort(-row)
        closest = tuple((self._skills[i], float(row[i])) for i in order[:5])
        skill = apply_side(_prefer_sided(closest, seg.text), seg.text, self.catalogue)
        confidence = closest[0][1]
        accepted = self.accepts(confidence, float(bg))
        style = self._style(skill, seg)
        if accepted:
            caption = self.catalogue.caption(skill, style)
        else:  # forced: the operator's own words reach the generator
            caption = seg.text
        return Grounding(
            seg, skill, style, confidence, accepted or allow_unknown, closest, caption
        )

    def _style(self, skill: str, seg: Segment) -> str:
        entry = self.catalogue[skill]
        asked = detect_style(seg.text) or detect_style(seg.raw.lower())
        if asked is not None and (resolved := entry.resolve_style(asked)):
            return resolved
        if seg.speed is not None and (by_speed := entry.style_by_speed(seg.speed)):
            return by_speed
        return entry.default_style


def load_settings(metadata: Mapping[str, str]) -> dict:
    """The grounding settings stored in a bundle's metadata (``threshold``, ``margin`` and how
    they were chosen), else the defaults.

    Raises:
        ValueError: the bundle's settings are not readable.
    """
    raw = metadata.get(BUNDLE_KEY)
    if not raw:
        return {"threshold": DEFAULT_THRESHOLD, "margin": DEFAULT_MARGIN, "source": "default"}
    try:
        out = dict(json.loads(raw))
        out["threshold"] = float(out["threshold"])
        out["margin"] = float(out.get("margin", DEFAULT_MARGIN))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"bad grounding settings in the model bundle: {exc}") from None
    return out


def calibrate(
    in_scores: np.ndarray, in_background: np.ndarray, out_scores: np.ndarray,
    out_background: np.ndarray,
) -> tuple[float, float, dict]:
    """Choose (threshold, margin) on a validation set: the settings that minimise the share
    of in-vocabulary phrasings refused plus the share of out-of-vocabulary ones accepted; of
    equally good settings the median threshold and margin. Inputs are best-skill confidences
    and background similarities (1-D arrays). Returns (threshold, margin, rates there)."""
    grid_t = np.round(np.arange(0.40, 0.80001, 0.01), 2)
    grid_m = np.round(np.arange(-0.10, 0.10001, 0.01), 2)
    cost = np.empty((len(grid_t), len(grid_m)))
    for i, t in enumerate(grid_t):
        for j, m in enumerate(grid_m):
            refused_in = np.mean((in_scores < t) | (in_scores < in_background + m))
            accepted_out = np.mean((out_scores >= t) & (out_scores >= out_background + m))
            cost[i, j] = refused_in + accepted_out
    best = np.argwhere(cost <= cost.min() + 1e-9)
    t = float(np.median(grid_t[best[:, 0]]))
    m = float(np.median(grid_m[best[:, 1]]))
    in_err = np.mean((in_scores < t) | (in_scores < in_background + m))
    out_err = np.mean((out_scores >= t) & (out_scores >= out_background + m))
    if in_err + out_err > cost.min() + 1e-9:  # the medians fall between separate optima
        near = np.abs(grid_t[best[:, 0]] - t) + np.abs(grid_m[best[:, 1]] - m)
        i, j = best[int(np.argmin(near))]
        t, m = float(grid_t[i]), float(grid_m[j])
    rates = {
        "in_refused": float(np.mean((in_scores < t) | (in_scores < in_background + m))),
        "out_accepted": float(np.mean((out_scores >= t) & (out_scores >= out_background + m))),
    }
    return round(t, 3), round(m, 3), rates


__all__ = [
    "BUNDLE_KEY",
    "DEFAULT_THRESHOLD",
    "STYLE_WORDS",
    "Grounding",
    "SkillMatcher",
    "apply_side",
    "calibrate",
    "detect_style",
    "load_settings",
]
