"""Which policy a policy replaces (废止, 修订, a new version under the same name) and what changed: a sentence diff."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from core.policy.links import name_key
from core.policy.reprints import body_of
from core.textzh.docno import find_doc_nos

MAX_ITEMS = 50
MAX_SENTENCES = 3000
MAX_SENTENCE = 500
MAX_BLOCK = 60  # new sentences compared with each old one in a replaced block
SIMILAR = 0.5  # a replaced sentence this close (by characters) to its counterpart is a change, not a swap
_REPLACING = re.compile(r"废止|停止执行|不再执行|同时失效|予以替代|代替|取代")
_REVISING_TITLE = re.compile(r"修订|修改|修正")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n")
_NAMED = re.compile(r"《([^《》]{4,80})》")
_NUMBERING = re.compile(
    r"^(?:第[一二三四五六七八九十百零\d]{1,6}[条章节款]|[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,3}[.、．])\s*"
)


@dataclass(frozen=True)
class Refs:
    """The 文号 and name keys of the documents a policy says it replaces."""

    doc_nos: tuple[str, ...]
    names: tuple[str, ...]


def split_sentences(text: str) -> list[str]:
    """Sentences of a policy's body, site chrome dropped, whitespace folded."""
    out = []
    for raw in _SENTENCE_END.split(body_of(text)):
        s = " ".join((raw or "").split())
        if len(s) > 1:
            out.append(s[:MAX_SENTENCE])
    return out[:MAX_SENTENCES]


def replaced_refs(title: str, text: str, own: tuple[str, ...] = ()) -> Refs:
    """What the text says this policy ends (“《X》（文号）同时废止”), and what a 修订《X》 title revises."""
    doc_nos: list[str] = []
    names: list[str] = []
    for sentence in split_sentences(text):
        if _REPLACING.search(sentence):
            doc_nos += [d.normalized for d in find_doc_nos(sentence)]
            names += [name_key(n) for n in _NAMED.findall(sentence)]
    if _REVISING_TITLE.search(title):
        names += [name_key(n) for n in _NAMED.findall(title)]
    mine = set(own)
    return Refs(
        tuple(d for d in dict.fromkeys(doc_nos) if d not in mine),
        tuple(n for n in dict.fromkeys(names) if n not in mine),
    )


@dataclass(frozen=True)
class Changed:
    """A sentence of the old text and what the new text says in its place."""

    before: str
    after: str


@dataclass(frozen=True)
class Diff:
    """Sentence-level differences, old to new, each list capped at MAX_ITEMS (`truncated` says when)."""

    added: list[str]
    removed: list[str]
    changed: list[Changed]
    unchanged: int
    truncated: bool


def _ratio(a: str, b: str) -> float:
    """Character similarity of two sentences, their article numbers (第三条, 二、) left out."""
    m = difflib.SequenceMatcher(None, _NUMBERING.sub("", a), _NUMBERING.sub("", b), autojunk=False)
    return m.ratio() if m.real_quick_ratio() >= SIMILAR and m.quick_ratio() >= SIMILAR else 0.0


def _best(a: str, candidates: list[str]) -> int | None:
    """Index of the candidate most like `a`, if one is like it at all."""
    scored = [(_ratio(a, b), -k) for k, b in enumerate(candidates[:MAX_BLOCK])]
    best = max(scored, default=(0.0, 0))
    return -best[1] if best[0] >= SIMILAR else None


def _replace(old: list[str], new: list[str], diff: tuple[list[str], list[str], list[Changed]]) -> None:
    """A replaced block: each old sentence is paired in order with the most similar new one left (a change);
    old sentences like none are removals, new sentences paired with none additions."""
    added, removed, changed = diff
    j = 0
    for a in old:
        k = _best(a, new[j:])
        if k is None:
            removed.append(a)
            continue
        added.extend(new[j : j + k])
        changed.append(Changed(a, new[j + k]))
        j += k + 1
    added.extend(new[j:])


def sentence_diff(old_text: str, new_text: str) -> Diff:
    """What the new text added, removed and changed against the old one, sentence by sentence."""
    old, new = split_sentences(old_text), split_sentences(new_text)
    added: list[str] = []
    removed: list[str] = []
    changed: list[Changed] = []
    unchanged = 0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            unchanged += i2 - i1
        elif op == "delete":
            removed += old[i1:i2]
        elif op == "insert":
            added += new[j1:j2]
        else:
            _replace(old[i1:i2], new[j1:j2], (added, removed, changed))
    truncated = max(len(added), len(removed), len(changed)) > MAX_ITEMS
    return Diff(added[:MAX_ITEMS], removed[:MAX_ITEMS], changed[:MAX_ITEMS], unchanged, truncated)
