"""Letters to departments (咨询 / 投诉 / 建议): written by signed-in users, answered by repliers, on a deadline."""

from core.letters.deadlines import add_working_days, is_working_day
from core.letters.models import KINDS, Letter, LetterPage
from core.letters.publication import PublishedLetter
from core.letters.service import (
    Draft,
    get_letter,
    get_published_letter,
    list_letters,
    list_replies,
    publish_letter,
    reply_letter,
    submit_letter,
)

__all__ = [
    "KINDS",
    "Draft",
    "Letter",
    "LetterPage",
    "PublishedLetter",
    "add_working_days",
    "get_letter",
    "get_published_letter",
    "is_working_day",
    "list_letters",
    "list_replies",
    "publish_letter",
    "reply_letter",
    "submit_letter",
]
