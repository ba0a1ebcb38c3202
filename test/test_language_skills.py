"""The skill catalogue (molingo_ros.language.skills): built from the real training split,
carried in the shipped model bundle, and the captions and styles it gives the grounding."""

from __future__ import annotations

import json

import pytest

from molingo_ros.language.skills import BUNDLE_KEY, SkillCatalogue, StyleData
from molingo_ros.model.sampler import MoLingo
from molingo_ros.motion import captions
from molingo_ros.motion.dataset import build_dataset

# Hand gestures: in place, whatever the style (kicks, punches and slashes step about).
GESTURES = (
    "bow", "bye", "byebye", "call", "guide", "wave-both-hands", "wave-left-hand",
    "wave-right-hand", "raise-up-both-hands", "raise-up-left-hand", "raise-up-right-hand",
)


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


@pytest.fixture(scope="module")
def catalogue(dataset) -> SkillCatalogue:
    return SkillCatalogue.from_dataset(dataset)


@pytest.fixture(scope="module")
def model() -> MoLingo:
    return MoLingo.load(device="cpu")


# -- from the data ---------------------------------------------------------------------------


def test_every_training_content_is_a_skill_with_data(dataset, catalogue):
    train = [dataset.records[i] for i in dataset.indices("train")]
    assert set(catalogue) == {r.content for r in train}
    for name, skill in catalogue.items():
        assert skill.name == name
        assert skill.takes > 0, name
        assert skill.mirrored > 0, name
        assert skill.seconds > 0, name
        assert skill.description == captions.CONTENTS[name]
    # Every original take and every mirrored copy of the split is counted exactly once.
    assert sum(s.takes for s in catalogue.values()) == sum(not r.mirrored for r in train)
    assert sum(s.mirrored for s in catalogue.values()) == sum(r.mirrored for r in train)
    # Styles are those of the records, per content.
    for name, skill in catalogue.items():
        assert set(skill.styles) == {r.style for r in train if r.content == name}, name
    # Only the training split: the takes of another split are counted apart.
    test_takes = sum(not dataset.records[i].mirrored for i in dataset.indices("test"))
    assert test_takes > 0
    test_split = SkillCatalogue.from_dataset(dataset, split="test")
    assert sum(s.takes for s in test_split.values()) == test_takes


def test_speeds_are_sensible(catalogue):
    walk, run, dash = catalogue["walk"], catalogue["run"], catalogue["dash"]
    assert 0.5 < walk.styles["normal"].speed_m_s < 2.0
    assert run.styles["normal"].speed_m_s > walk.styles["normal"].speed_m_s
    assert dash.styles["normal"].speed_m_s > walk.styles["normal"].speed_m_s
    assert walk.travels and run.travels and not catalogue["bow"].travels
    for name in GESTURES:
        for style, data in catalogue[name].styles.items():
            assert 0 <= data.speed_m_s < 0.3, (name, style, data)


def test_json_round_trip(catalogue):
    text = catalogue.to_json()
    again = SkillCatalogue.from_json(text)
    assert again == catalogue
    assert list(again) == list(catalogue)
    assert again["walk"].styles["normal"] == catalogue["walk"].styles["normal"]
    assert again.to_json() == text


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", "{}", '{"walk": {"description": "w"}}', '{"walk": {"styles": {"n": 1}}}',
     '{"walk": {"styles": {"normal": {"takes": 1}}}}'],
)
def test_from_json_rejects_what_is_not_a_catalogue(text):
    with pytest.raises(ValueError):
        SkillCatalogue.from_json(text)


# -- from a bundle ---------------------------------------------------------------------------


def test_the_shipped_bundle_holds_the_catalogue_of_its_training_data(model, catalogue):
    assert BUNDLE_KEY == "skills" and BUNDLE_KEY in model.metadata
    shipped = SkillCatalogue.from_metadata(model.metadata)
    assert shipped == SkillCatalogue.from_json(model.metadata[BUNDLE_KEY])
    assert set(shipped) == set(catalogue)
    for name in catalogue:
        assert set(shipped[name].styles) == set(catalogue[name].styles), name
        assert shipped[name].takes == catalogue[name].takes, name
        assert shipped[name].styles == catalogue[name].styles, name
        pref = shipped[name]
        if pref.preferred_style:  # chosen on validation seeds: a training caption of it
            assert pref.preferred_style in pref.styles
            assert pref.preferred_caption in captions.captions_for(
                name, pref.preferred_style, split="train"
            )


def test_a_bundle_without_a_catalogue_falls_back_to_every_bandai_label():
    old = SkillCatalogue.from_metadata({})
    assert set(old) == set(captions.CONTENTS)
    for name, skill in old.items():
        assert skill.description == captions.CONTENTS[name]
        assert set(skill.styles) == set(captions.STYLES)
        assert skill.takes == 0 and skill.seconds == 0.0
    assert old["bow"].default_style == "normal"


def test_unknown_skill_names_the_known_ones(catalogue):
    with pytest.raises(KeyError) as exc:
        catalogue["open-door"]
    msg = exc.value.args[0]
    assert "open-door" in msg
    for name in ("walk", "bow", "wave-right-hand"):
        assert name in msg
    assert "fly" not in catalogue and "walk" in catalogue
    with pytest.raises(ValueError, match="at least one skill"):
        SkillCatalogue({})


# -- captions and styles ---------------------------------------------------------------------


def test_caption_is_a_training_caption_in_the_style(catalogue):
    normal = catalogue.caption("walk")
    assert normal == captions.captions_for("walk", "normal", split="train")[0]
    tired = catalogue.caption("walk", "tired")
    assert tired == captions.captions_for("walk", "tired", split="train")[0]
    assert tired != normal and "tired" in tired
    # An alias the skill has data for: tired -> exhausted.
    raise_tired = catalogue.caption("raise-up-both-hands", "tired")
    assert raise_tired == captions.captions_for(
        "raise-up-both-hands", "exhausted", split="train"
    )[0]
    # A style the skill has no data for: its default style.
    assert catalogue.caption("raise-up-both-hands", "giant") == catalogue.caption(
        "raise-up-both-hands"
    )
    with pytest.raises(KeyError, match="unknown skill"):
        catalogue.caption("fly")


def test_a_skill_without_normal_uses_its_default_style(catalogue):
    bow = catalogue["bow"]
    assert "normal" not in bow.styles
    assert bow.default_style != "normal" and bow.default_style in bow.styles
    assert bow.styles[bow.default_style].takes > 0
    expected = captions.captions_for("bow", bow.default_style, split="train")[0]
    assert catalogue.caption("bow") == expected
    assert catalogue.caption("bow", "normal") == expected
    assert catalogue["walk"].default_style == "normal"


def test_default_style_skips_styles_without_takes():
    skill = SkillCatalogue.from_json(
        json.dumps(
            {
                "x": {
                    "description": "",
                    "styles": {
                        "normal": vars(StyleData(0, 3, 0.0, 0.0)),
                        "sad": vars(StyleData(4, 0, 9.0, 0.1)),
                        "happy": vars(StyleData(1, 0, 2.0, 0.1)),
                    },
                }
            }
        )
    )["x"]
    assert skill.default_style == "happy"  # normal has no takes; happy is neutral


def _expected_by_speed(skill, fastest: bool) -> str:
    enough = {s: d.speed_m_s for s, d in skill.styles.items() if d.takes >= 5}
    return (max if fastest else min)(enough, key=enough.get)


@pytest.mark.parametrize("name", ["walk", "run", "walk-turn-left"])
def test_style_by_speed_picks_the_slowest_and_fastest_well_covered_style(catalogue, name):
    skill = catalogue[name]
    slow, fast = skill.style_by_speed("slow"), skill.style_by_speed("fast")
    assert slow == _expected_by_speed(skill, fastest=False)
    assert fast == _expected_by_speed(skill, fastest=True)
    assert skill.styles[slow].speed_m_s < skill.styles["normal"].speed_m_s
    assert skill.styles[fast].speed_m_s > skill.styles["normal"].speed_m_s
    # Styles with a single take (walk "sad" is slower than any) are not chosen.
    assert skill.styles[slow].takes >= 5 and skill.styles[fast].takes >= 5


def test_style_by_speed_on_walk_is_the_elderly_walk(catalogue):
    walk = catalogue["walk"]
    assert walk.styles["sad"].speed_m_s < walk.styles["elderly"].speed_m_s  # 2 takes only
    assert walk.style_by_speed("slow") == "elderly"
    assert walk.style_by_speed("slow", min_takes=1) == "sad"


def test_style_by_speed_is_none_for_gestures_and_thin_data(catalogue):
    for name in GESTURES:
        assert catalogue[name].style_by_speed("slow") is None, name
        assert catalogue[name].style_by_speed("fast") is None, name
    assert catalogue["walk"].style_by_speed("slow", min_takes=10_000) is None
    with pytest.raises(ValueError, match="slow"):
        catalogue["walk"].style_by_speed("medium")


def test_resolve_style_aliases(catalogue):
    walk, raise_both, bow = catalogue["walk"], catalogue["raise-up-both-hands"], catalogue["bow"]
    # Both names present: the one with more takes (old walks: 1 take, elderly walks: 13).
    assert walk.styles["old"].takes < walk.styles["elderly"].takes
    assert walk.resolve_style("old") == "elderly"
    assert walk.resolve_style("elderly") == "elderly"
    assert "old" not in raise_both.styles and raise_both.resolve_style("old") == "elderly"
    assert "elderly" not in bow.styles and bow.resolve_style("elderly") == "old"
    assert raise_both.resolve_style("tired") == "exhausted"
    assert bow.resolve_style("exhausted") == "tired"
    assert raise_both.resolve_style("masculinity") == "masculine"
    assert bow.resolve_style("masculine") == "masculinity"
    assert bow.resolve_style("normal") is None
    assert walk.resolve_style("flying") is None


def test_preferred_caption_is_used_when_no_manner_is_asked(catalogue):
    from molingo_ros.language.selection import candidates

    raise_r = catalogue["raise-up-right-hand"]
    tried = candidates(raise_r)
    assert tried[0] == (raise_r.default_style, catalogue.caption("raise-up-right-hand"))
    assert len(set(tried)) == len(tried) > 2
    for style, caption in tried:
        assert caption in captions.captions_for("raise-up-right-hand", style, split="train")
    style, caption = tried[-1]
    chosen = catalogue.with_preferences({"raise-up-right-hand": (style, caption)})
    assert chosen["raise-up-right-hand"].default_style == style
    assert chosen.caption("raise-up-right-hand") == caption
    assert chosen.caption("raise-up-right-hand", style) == caption
    other = next(s for s in raise_r.styles if s != style and raise_r.styles[s].takes)
    assert chosen.caption("raise-up-right-hand", other) == captions.captions_for(
        "raise-up-right-hand", other, split="train"
    )[0]
    again = SkillCatalogue.from_json(chosen.to_json())
    assert again == chosen and again["raise-up-right-hand"].preferred_caption == caption
    assert catalogue["raise-up-right-hand"].preferred_style == ""  # the original is unchanged
