"""Reference phrasings of every skill, as operators say them and as the captions describe them.
No ROS imports.

The grounding (:mod:`molingo_ros.language.grounding`) compares an operator's segment with these
sentences. They come from two places:

- the training captions of the skill (:func:`molingo_ros.motion.captions.captions_for`, normal
  style), as written ("a person walks forward") and turned into imperatives ("walk forward");
- :data:`OPERATOR_PHRASES`: imperatives, synonyms and casual forms written for each content
  label of the Bandai data. A skill added by a later training run without entries here is
  matched through its captions alone.

The evaluation set (``eval_commands.json``) was written separately and is never read here.
"""

from __future__ import annotations

import re
from functools import cache

from molingo_ros.motion import captions

OPERATOR_PHRASES: dict[str, tuple[str, ...]] = {
    "walk": (
        "walk", "walk forward", "walk straight", "go forward", "move forward", "step forward",
        "walk ahead", "head forward", "take a few steps forward", "go for a walk",
        "start walking", "keep walking", "walk straight ahead", "stroll forward", "march forward",
        "walk towards me", "walk over there", "walk up to me",
    ),
    "run": (
        "run", "run forward", "jog", "jog forward", "start running", "run ahead",
        "go for a run", "run straight ahead", "jog ahead",
    ),
    "dash": (
        "sprint", "dash", "sprint forward", "dash forward", "run as fast as you can",
        "run at full speed", "race forward", "bolt forward",
    ),
    "walk-back": (
        "walk backward", "walk backwards", "step back", "back up", "go backwards", "move back",
        "walk back", "reverse", "step backwards", "retreat", "move backwards",
    ),
    "walk-left": (
        "walk diagonally to the left", "walk to the left", "move to the left",
        "walk forward and to the left", "step to the left", "walk leftward", "go left",
    ),
    "walk-right": (
        "walk diagonally to the right", "walk to the right", "move to the right",
        "walk forward and to the right", "step to the right", "walk rightward", "go right",
    ),
    "walk-turn-left": (
        "turn left", "walk and turn left", "make a left turn", "turn to the left",
        "walk and turn to the left", "take a left", "turn left while walking", "go left around",
    ),
    "walk-turn-right": (
        "turn right", "walk and turn right", "make a right turn", "turn to the right",
        "walk and turn to the right", "take a right", "turn right while walking",
    ),
    "bow": (
        "bow", "take a bow", "bow down", "bow politely", "bend forward at the waist",
        "make a bow", "bow to the audience",
    ),
    "bye": (
        "say goodbye", "wave goodbye", "say bye", "bye", "goodbye", "wave bye",
        "wave goodbye with one hand", "say bye bye",
        "see you later", "see you", "farewell", "so long",
    ),
    "byebye": (
        "wave goodbye with both hands", "say goodbye with both hands", "big goodbye wave",
        "wave bye with both arms",
    ),
    "guide": (
        "show the way", "point the way", "gesture the way", "guide me", "show me the way",
        "direct me", "point out the direction",
        "show where to go", "show the direction", "indicate the way",
    ),
    "respond": (
        "raise a hand to respond", "acknowledge", "raise your hand in reply", "answer with a hand",
    ),
    "call": (
        "call someone over", "beckon", "come here", "wave someone over", "beckon me over",
        "call me over", "signal to come",
        "gesture to come here", "motion me over",
    ),
    "punch": (
        "punch", "throw a punch", "throw punches", "box", "jab", "hit", "punch the air",
        "fight", "strike with your fist",
        "spar", "shadow box",
    ),
    "kick": ("kick", "do a kick", "kick the air", "kick forward", "throw a kick", "kick something"),
    "slash": (
        "slash", "slash with a sword", "swing a sword", "sword fight", "swing your sword",
        "cut with a sword", "strike with a sword",
        "slash the air", "swing a blade",
    ),
    "dance-long": ("dance", "do a dance", "start dancing", "dance for me", "show me a dance"),
    "dance-short": ("dance a little", "do a short dance", "dance a bit"),
    "wave-both-hands": (
        "wave both hands", "wave with both hands", "wave both arms", "wave with both arms",
        "wave your hands",
    ),
    "wave-left-hand": (
        "wave your left hand", "wave with your left hand", "wave the left hand",
        "wave left hand", "wave with the left arm",
    ),
    "wave-right-hand": (
        "wave", "wave your right hand", "wave with your right hand", "wave the right hand",
        "wave right hand", "wave hello", "say hello", "greet", "wave at me",
        "wave with the right arm",
    ),
    "raise-up-both-hands": (
        "raise both hands", "hands up", "put your hands up", "raise your arms",
        "lift both arms", "raise both arms", "put both hands up", "hands in the air",
        "lift your hands",
    ),
    "raise-up-left-hand": (
        "raise your left hand", "lift your left arm", "left hand up", "put your left hand up",
        "raise the left arm",
    ),
    "raise-up-right-hand": (
        "raise your right hand", "lift your right arm", "right hand up", "put your right hand up",
        "raise the right arm", "raise your hand", "raise a hand",
        "put a hand up", "hand up",
    ),
}
"""Operator phrasings per content label (imperatives, synonyms, casual forms)."""

_SUBJECT_RE = re.compile(
    r"^(?:a|an|the)\s+(?:person|man|woman|human|individual)\s+|^(?:someone|somebody)\s+"
)
_NORMAL_SUFFIXES = ("normally", "in a normal way", "in a natural manner", "in an ordinary way")
_IRREGULAR = {"goes": "go", "does": "do", "has": "have", "is": "be"}


def _base_form(verb: str) -> str:
    """Third person singular -> base form ("walks" -> "walk", "dashes" -> "dash")."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if re.search(r"(?:sh|ch|ss|x|z)es$", verb):
        return verb[:-2]
    return verb[:-1] if verb.endswith("s") and not verb.endswith("ss") else verb


def imperative(caption: str) -> str | None:
    """A caption with a plain subject turned into an imperative ("a person waves with their
    right hand" -> "wave with your right hand"); None for other captions."""
    m = _SUBJECT_RE.match(caption)
    if m is None:
        return None
    words = caption[m.end() :].split()
    if not words:
        return None
    words[0] = _base_form(words[0])
    for i in range(1, len(words)):  # "walks and turns left" -> "walk and turn left"
        if words[i - 1] == "and" and words[i].endswith("s") and len(words[i]) > 3:
            words[i] = _base_form(words[i])
    out = " ".join(words)
    out = re.sub(r"\b(?:their|his|her)\b", "your", out)
    return re.sub(r"\b(?:themselves|himself|herself)\b", "yourself", out)


@cache
def reference_phrasings(content: str, per_skill: int = 24) -> tuple[str, ...]:
    """The reference sentences of ``content``: its operator phrasings, then the imperatives and
    plain-subject captions of its training captions (normal style), at most ``per_skill`` of
    the latter two together. Unknown contents (a later training run's) get their captions
    only when :mod:`~molingo_ros.motion.captions` knows them, else nothing."""
    out = list(OPERATOR_PHRASES.get(content, ()))
    try:
        caps = captions.captions_for(content, "normal", split="train")
    except KeyError:
        caps = []
    plain = [
        c
        for c in caps
        if c.startswith(("a person ", "someone ")) and not c.endswith(_NORMAL_SUFFIXES)
    ]
    extra: list[str] = []
    for cap in plain:
        imp = imperative(cap)
        for text in (imp, cap):
            if text and text not in extra and text not in out:
                extra.append(text)
    return tuple(out + extra[:per_skill])


BACKGROUND_PHRASES: tuple[str, ...] = (
    # Everyday actions that no skill of the Bandai data performs. They are a "none of the
    # skills" class: a segment nearer to one of these than to every skill is refused. A skill
    # that a later training run adds (e.g. sitting) must be taken out of this list.
    "sit", "sit on a chair", "take a seat", "stand up from the chair", "lie down on the floor",
    "lie on your back", "go to bed", "kneel on the floor", "crouch", "squat down",
    "do pushups", "do sit ups", "stretch", "do yoga", "touch your toes",
    "open a door", "close the window", "pick up the box", "put it down", "hold the cup",
    "carry the bag", "grab that", "drop it", "hand it to me", "give me the cup",
    "throw a ball", "catch the ball", "push the cart", "pull the rope", "lift the table",
    "climb the ladder", "go upstairs", "go downstairs", "swim", "fly", "ride a horse",
    "drive a car", "ride a bike", "skate", "ski",
    "eat", "drink", "cook", "wash the dishes", "clean the room", "sweep", "mop the floor",
    "type on a keyboard", "use the computer", "write a letter", "draw a picture",
    "read", "play the piano", "play the guitar", "sing", "whistle", "talk", "shout", "laugh",
    "cry", "sneeze", "cough", "yawn", "sleep", "wake up", "breathe deeply",
    "clap", "applaud", "snap your fingers", "nod", "shake your head", "shrug",
    "scratch your head", "rub your eyes", "cross your arms", "put your hands on your hips",
    "hug", "shake hands", "high five", "salute", "point at something", "look around",
    "look up", "look down", "look left", "look right", "turn your head",
    "close your eyes", "smile", "wink", "think",
    "take a picture", "make a phone call", "check the time", "brush your teeth", "comb your hair",
    "get dressed", "tie your shoelaces", "put on a jacket", "feed the dog", "water the plants",
    "fold the clothes", "iron the shirt", "hammer a nail", "saw the wood", "paint the wall",
    "book a ticket", "make a reservation", "buy something", "send an email",
    "what is the weather", "tell me a story", "what time is it", "hello there", "how are you",
    "random words", "gibberish", "test test", "nothing", "something else",
)
"""Everyday actions and chatter that are not skills: the background class of the grounding."""


__all__ = ["BACKGROUND_PHRASES", "OPERATOR_PHRASES", "imperative", "reference_phrasings"]
