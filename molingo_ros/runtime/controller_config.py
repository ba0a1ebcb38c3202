"""The controller's settings (:class:`ControllerConfig`): when the next chunk is generated,
when a replacing command takes over, when a first chunk is due. Plain data (no torch)."""

from __future__ import annotations

from dataclasses import dataclass

from molingo_ros.settings import setting


@dataclass(frozen=True)
class ControllerConfig:
    """Attributes:
    lead_s: generate the next chunk when less than this much motion is buffered (s).
    replace_after_s: when a replacing command takes over (s after its arrival; < 0: after
        the frames already planned).
    first_chunk_tokens: a command's first chunk is this many latent tokens (4 frames each)
        of its first window, published while the rest of the window is retargeted; 0: a
        whole chunk (``sampler.emit_tokens``).
    replace_history_tokens: the first window of a command that took over a running motion
        sees at most this many tokens of that motion's history (4 frames each), so it does
        not flow on with the old motion; -1: all (``sampler.history_tokens``).
    start_delay_s: a chunk that starts a motion (empty or exhausted buffer) is due this long
        after it was generated (s), so the first frame is not already late on arrival.
    history: finished commands remembered for status queries.
    """

    lead_s: float = setting(
        0.4, "generate the next chunk when less than this is buffered (s)", range=(0.0, 10.0)
    )
    replace_after_s: float = setting(
        0.25,
        "a replacing command takes over this long after it arrives (s): the planned frames "
        "after that are dropped and the new motion flows on from the frame due then (time "
        "to generate its first chunk); a negative value keeps the old behaviour: the planned "
        "frames play out first",
        range=(-1.0, 10.0),
    )
    first_chunk_tokens: int = setting(
        2,
        "a command's first chunk is this many tokens (4 frames each) of its first window, "
        "so it is retargeted, checked and sent sooner (the rest follows at once); 0: a whole "
        "chunk (sampler.emit_tokens)",
        range=(0, 64),
    )
    replace_history_tokens: int = setting(
        3,
        "tokens of the replaced motion's history (4 frames each) that the first window of a "
        "command taking over mid-motion sees; fewer: the new motion shows sooner and its "
        "seam is sharper; -1: all (sampler.history_tokens)",
        range=(-1, 64),
    )
    start_delay_s: float = 0.05
    history: int = 64


__all__ = ["ControllerConfig"]
