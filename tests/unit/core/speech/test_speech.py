"""The server read-aloud interface: what it accepts, and the null engine's honest None."""

from __future__ import annotations

import shutil

import pytest

from core.errors import Invalid
from core.speech import MAX_CHARS, EspeakSynthesizer, NullSynthesizer, checked, default_synthesizer


def test_text_and_rate_are_checked_with_a_clear_message() -> None:
    assert checked("  您好 ", 1.0) == ("您好", 1.0)
    for text, rate, says in (
        ("  ", 1.0, "nothing to read"),
        ("字" * (MAX_CHARS + 1), 1.0, "at most"),
        ("好", 3.0, "rate"),
    ):
        with pytest.raises(Invalid, match=says):
            checked(text, rate)
    with pytest.raises(Invalid):
        checked("好", float("nan"))


async def test_without_an_engine_there_is_no_audio_and_the_input_is_still_checked() -> None:
    engine = NullSynthesizer()
    assert await engine.synthesize("您好") is None
    with pytest.raises(Invalid):
        await engine.synthesize("")


def test_the_default_engine_is_espeak_ng_only_where_it_is_installed() -> None:
    engine = default_synthesizer()
    assert isinstance(engine, EspeakSynthesizer) == (shutil.which("espeak-ng") is not None)
