"""Text to speech on the server, for browsers without the Web Speech API (docs/accessibility.md, 读屏).

One interface, `Synthesizer.synthesize(text, rate) -> WAV bytes | None`, with a real engine (`espeak-ng`, when it
is on PATH) and a null one that says "no engine here" by returning None. The engine is a local program, so no
text leaves the machine; it is started per request with the text on stdin (never on the command line)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from typing import Protocol

from core.errors import Invalid, Upstream

MAX_CHARS = 500  # a paragraph: the page reads longer text a paragraph at a time
MIN_RATE, MAX_RATE = 0.5, 2.0  # the read-aloud speed control's range (portal.js)
BASE_WPM = 175  # espeak-ng's own default speed, the rate 1.0
TIMEOUT_S = 10.0
MANDARIN = "cmn"  # espeak-ng's voice for Mandarin Chinese (pinyin with tones)


def checked(text: str, rate: float) -> tuple[str, float]:
    """The text trimmed and the rate, or Invalid naming what to fix."""
    text = text.strip()
    if not text:
        raise Invalid("text: nothing to read")
    if len(text) > MAX_CHARS:
        raise Invalid(f"text: at most {MAX_CHARS} characters at a time (got {len(text)})")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise Invalid(f"rate: between {MIN_RATE} and {MAX_RATE} (got {rate})")
    return text, rate


class Synthesizer(Protocol):
    """Speaks text: WAV bytes, or None when this machine has no engine."""

    name: str

    async def synthesize(self, text: str, rate: float = 1.0) -> bytes | None: ...


class NullSynthesizer:
    """No engine installed: every request is answered None (the route says 501 and why)."""

    name = "none"

    async def synthesize(self, text: str, rate: float = 1.0) -> bytes | None:
        checked(text, rate)
        return None


class EspeakSynthesizer:
    """espeak-ng (`--stdout` writes a WAV file) with its Mandarin voice."""

    name = "espeak-ng"

    def __init__(self, program: str, *, voice: str = MANDARIN) -> None:
        self.program = program
        self.voice = voice

    async def synthesize(self, text: str, rate: float = 1.0) -> bytes | None:
        text, rate = checked(text, rate)
        args = ["-v", self.voice, "-s", str(round(BASE_WPM * rate)), "--stdin", "--stdout"]
        process = await asyncio.create_subprocess_exec(
            self.program,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            audio, error = await asyncio.wait_for(process.communicate(text.encode("utf-8")), TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise Upstream(f"{self.name} took longer than {TIMEOUT_S:.0f} s") from None
        if process.returncode != 0 or not audio.startswith(b"RIFF"):
            raise Upstream(f"{self.name} failed: {error.decode('utf-8', 'replace').strip()[:200]}")
        return audio


def default_synthesizer() -> Synthesizer:
    """espeak-ng when this machine has it (Debian: `apt install espeak-ng`), else the null engine."""
    program = shutil.which("espeak-ng")
    return EspeakSynthesizer(program) if program else NullSynthesizer()
