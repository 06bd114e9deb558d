"""English forms of Chinese place names, where the input gives none.

A school, estate, site or district read without ``name_en`` gets one made from its Chinese
name: the kind of place at its end in English (小学 → Primary School, 区 → District, …), a
city, district or county leading the name as a word of its own (长沙市第一中学 → Changsha
No. 1 Middle School), an ordinal 第N as "No. N", and the rest in Hanyu Pinyin (pypinyin),
written as one word with a capital, as place names are in pinyin (GB/T 16159). Characters
that are not Chinese are kept. The readers fill only the missing names: an English name
given in the input wins.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from pypinyin import lazy_pinyin

__all__ = ["english_name", "with_english_names"]

# Kinds of place at the end of a name, longest first.
_KINDS = (
    ("九年一贯制学校", "Nine-Year School"),
    ("完全中学", "Secondary School"),
    ("初级中学", "Junior Middle School"),
    ("实验学校", "Experimental School"),
    ("幼儿园", "Kindergarten"),
    ("小学", "Primary School"),
    ("中学", "Middle School"),
    ("学校", "School"),
    ("小区", "Estate"),
    ("社区", "Community"),
    ("新区", "New District"),
    ("区", "District"),
    ("县", "County"),
    ("市", "City"),
    ("镇", "Town"),
    ("乡", "Township"),
    ("村", "Village"),
)
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ORDINAL = re.compile(r"第(\d+|[零〇一二两三四五六七八九十百]+)")
_NOTE = re.compile(r"^(.+?)\s*[（(]([^（）()]*)[）)]$")  # a trailing note: 某某小学（合成）
_NOTES = {"合成": "synthetic"}
_HAN = re.compile(r"[\u3400-\u9fff]+")
# A city, district or county leading a longer name: 长沙市第一中学 → Changsha, 芙蓉区… → Furong
_LEADING_PLACE = re.compile(r"^([\u3400-\u9fff]{2,3}?)(?:新区|市|区|县)(?=.)")


def _number(text: str) -> int | None:
    """Read a Chinese or Arabic number below 1,000 (一 → 1, 十二 → 12, 一百零五 → 105)."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def _pinyin(text: str) -> str:
    """Write each run of Chinese characters in pinyin as one capitalised word."""

    def word(match: re.Match[str]) -> str:
        return " " + "".join(lazy_pinyin(match.group(0))).capitalize() + " "

    return " ".join(_HAN.sub(word, text).split())


def english_name(name: Any) -> str | None:
    """Return an English form of a Chinese place name (``None`` for a missing name).

    Examples
    --------
    >>> english_name("梅溪湖小学")
    'Meixihu Primary School'
    >>> english_name("长沙市第十二中学")
    'Changsha No. 12 Middle School'
    >>> english_name("岳麓区麓山国际实验学校")
    'Yuelu Lushanguoji Experimental School'
    >>> english_name("芙蓉区")
    'Furong District'
    >>> english_name("Lushan School")
    'Lushan School'
    >>> english_name("芙蓉区第001小学（合成）")
    'Furong No. 1 Primary School (synthetic)'
    """
    if name is None or (isinstance(name, float) and name != name) or name is pd.NA:
        return None
    text = str(name).strip()
    note = _NOTE.match(text)
    if note:
        inner = note.group(2).strip()
        said = _NOTES.get(inner, _pinyin(inner))
        return f"{english_name(note.group(1))} ({said})" if said else english_name(note.group(1))
    kind = ""
    for chinese, english in _KINDS:
        if text.endswith(chinese) and len(text) > len(chinese):
            text, kind = text[: -len(chinese)], english
            break
    parts = []
    leading = _LEADING_PLACE.match(text)
    if leading:  # the place is its own word, without its kind: "Changsha No. 1 …"
        parts.append(_pinyin(leading.group(1)))
        text = text[leading.end() :]
    last = 0
    for match in _ORDINAL.finditer(text):
        parts.append(_pinyin(text[last : match.start()]))
        number = _number(match.group(1))
        parts.append(f"No. {number}" if number is not None else _pinyin(match.group(0)))
        last = match.end()
    parts.append(_pinyin(text[last:]))
    return " ".join(p for p in (*parts, kind) if p) or None


def with_english_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill the missing ``name_en`` of a table with a ``name`` (a copy; given ones kept)."""
    if "name" not in frame.columns:
        return frame
    out = frame.copy()
    given = out["name_en"] if "name_en" in out.columns else pd.Series(None, index=out.index)
    blank = given.isna() | (given.astype(str).str.strip() == "")
    made = [english_name(n) for n in out.loc[blank, "name"]]
    out["name_en"] = given.astype(object)
    out.loc[blank, "name_en"] = pd.Series(made, index=out.index[blank], dtype=object)
    out["name_en"] = out["name_en"].astype("str")
    return out
