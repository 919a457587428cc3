"""Chinese text analysis shared by indexing, search and Q&A."""

from core.textzh.analyzer import Analyzer, get_analyzer
from core.textzh.normalize import fold
from core.textzh.pinyin import PinyinIndex, is_probably_pinyin
from core.textzh.sensitive import Hit, SensitiveFilter
from core.textzh.synonyms import Rewrite, SynonymTable
from core.textzh.typo import Correction, Corrector, Span

__all__ = [
    "Analyzer",
    "Correction",
    "Corrector",
    "Hit",
    "PinyinIndex",
    "Rewrite",
    "SensitiveFilter",
    "Span",
    "SynonymTable",
    "fold",
    "get_analyzer",
    "is_probably_pinyin",
]
