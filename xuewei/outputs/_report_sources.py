"""The report's Sources and Documents sheets: the standards in force, in plain words.

Each standard is listed with a readable bilingual name, its value and unit, what kind of
figure it is (cited, derived, a default of xuewei, or set by the plan) and where it comes
from — the document title and section, as the packaged standards cite it, without the
project's own working notes: references to the collected seed documents become the
documents' titles, and a value not yet checked against its document says so in plain
words, in its own column. The Documents sheet lists the policy documents and national
standards the sources cite, and which standards each one is cited for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from xuewei.data import Standards, StandardValue
from xuewei.outputs._report_names import standard_name, unit_name
from xuewei.outputs._report_words import YES_NO

__all__ = ["DOCUMENTS", "Document", "documents_table", "plain_source", "sources_table"]


@dataclass(frozen=True)
class Document:
    """A document the standards cite: how sources name it, its title, its kind."""

    pattern: str
    title: str
    english: str
    kind: str


_NATIONAL = "国家标准 National standard"
_POLICY = "国家政策 National policy"
_LOCAL = "地方政策 Local policy"
_OTHER = "统计与方法 Statistics and methods"
_PRACTICE = "参考做法 Practice elsewhere"

#: The documents the packaged standards cite (sources name them by ``pattern``).
DOCUMENTS: tuple[Document, ...] = (
    Document(
        r"GB 50099-2011",
        "GB 50099-2011《中小学校设计规范》",
        "Code for design of schools",
        _NATIONAL,
    ),
    Document(
        r"GB 50180-2018",
        "GB 50180-2018《城市居住区规划设计标准》",
        "Standard for urban residential area planning and design",
        _NATIONAL,
    ),
    Document(
        r"GB 50180-93",
        "GB 50180-93《城市居住区规划设计规范》(已由GB 50180-2018替代)",
        "Code of urban residential areas planning and design (1993, replaced by GB 50180-2018)",
        _NATIONAL,
    ),
    Document(
        r"建标\s?102-2002",
        "建标102-2002《城市普通中小学校校舍建设标准》",
        "Building standard for urban primary and secondary schools",
        _NATIONAL,
    ),
    Document(
        r"建标\s?109-2008",
        "建标109-2008《农村普通中小学校建设标准》",
        "Building standard for rural primary and secondary schools",
        _NATIONAL,
    ),
    Document(
        r"GBJ 99-86",
        "GBJ 99-86《中小学校建筑设计规范》(已由GB 50099-2011替代)",
        "Code for architectural design of schools (1986, replaced by GB 50099-2011)",
        _NATIONAL,
    ),
    Document(
        r"国办发〔2012〕48号",
        "国办发〔2012〕48号《国务院办公厅关于规范农村义务教育学校布局调整的意见》",
        "State Council General Office: opinions on the layout of rural compulsory schools (2012)",
        _POLICY,
    ),
    Document(
        r"中央编办发〔2014〕72号",
        "中央编办发〔2014〕72号《关于统一城乡中小学教职工编制标准的通知》",
        "Notice unifying urban and rural school staffing standards (2014)",
        _POLICY,
    ),
    Document(
        r"幼儿园工作规程",
        "《幼儿园工作规程》(教育部, 2016)",
        "Kindergarten work regulations (Ministry of Education, 2016)",
        _POLICY,
    ),
    Document(
        r"Ministry of Education",
        "教育部关于大班额分级与消除的要求 (2018–2019)",
        "Ministry of Education guidance on class-size bands and big classes (2018–2019)",
        _POLICY,
    ),
    Document(
        r"长沙市新时代基础教育扩优提质行动计划|seed 002",
        "《长沙市新时代基础教育扩优提质行动计划》(2024)",
        "Changsha action plan to expand and improve basic education (2024)",
        _LOCAL,
    ),
    Document(
        r"山西 基本公共教育服务体系实施方案|seed 000",
        "中共山西省委教育工作领导小组《关于构建优质均衡的基本公共教育服务体系的实施方案》(2024)",
        "Shanxi plan for a high-quality, balanced basic public education service (2024)",
        _LOCAL,
    ),
    Document(
        r"曲靖市义务教育优质均衡发展实施方案|seed 001",
        "《曲靖市义务教育优质均衡发展实施方案》曲政办发〔2022〕109号",
        "Qujing plan for high-quality, balanced compulsory education (2022)",
        _LOCAL,
    ),
    Document(
        r"贵港市教育提质行动计划|seed 003",
        "《贵港市教育提质行动计划》贵政通〔2022〕12号",
        "Guigang action plan to improve education (2022)",
        _LOCAL,
    ),
    Document(
        r"宁夏基础教育质量提升行动意见|seed 004",
        "宁夏《关于实施基础教育质量提升行动的意见》(2021)",
        "Ningxia opinions on raising the quality of basic education (2021)",
        _LOCAL,
    ),
    Document(
        r"Hunan 2019",
        "湖南省2019年学校配建人口规定（描述性名称）",
        "Hunan 2019 regulation on residents per school (descriptive title)",
        _LOCAL,
    ),
    Document(
        r"Guangzhou 2022",
        "广州市2022年中小学规划指引（描述性名称）",
        "Guangzhou 2022 school planning guideline (descriptive title)",
        _LOCAL,
    ),
    Document(r"Wuhan", "武汉市中小学布局规划 2013–2020", "Wuhan school plan 2013–2020", _LOCAL),
    Document(
        r"7th census",
        "第七次全国人口普查公报 (2020)：天心区、宁乡市",
        "7th national census bulletins 2020: Tianxin, Ningxiang",
        _OTHER,
    ),
    Document(
        r"China Statistical Yearbook 2009",
        "《中国统计年鉴2009》",
        "China Statistical Yearbook 2009",
        _OTHER,
    ),
    Document(
        r"Degree of Urbanisation",
        "联合国统计委员会“城镇化程度”分级方法 (2020)",
        "UN Statistical Commission: Degree of Urbanisation (2020; Eurostat manual 2021)",
        _OTHER,
    ),
    Document(
        r"local planning configuration table",
        "地方学校用地配置表（描述性名称）",
        "A local planning table of land per school place (descriptive title)",
        _PRACTICE,
    ),
    Document(
        r"Shenzhen",
        "深圳市学位规划做法 (2019)",
        "Shenzhen school planning practice (2019)",
        _PRACTICE,
    ),
    Document(
        r"Derbyshire",
        "英国德比郡学生产出率 (替代值)",
        "Derbyshire (UK) pupil yield, a placeholder",
        _PRACTICE,
    ),
)

# the collected seed documents, as the sources name them when they only give the number
_SEEDS = {
    "000": "山西 基本公共教育服务体系实施方案 (2024)",
    "001": "曲靖市义务教育优质均衡发展实施方案 (2022)",
    "002": "长沙市新时代基础教育扩优提质行动计划 (2024)",
    "003": "贵港市教育提质行动计划 (2022)",
    "004": "宁夏基础教育质量提升行动意见 (2021)",
}
_BASIS = {
    "cited": "引用 Cited",
    "derived": "推算 Derived from cited values",
    "xuewei_default": "xuewei默认值，非标准规定，可按本地调整 xuewei default, in no standard: "
    "adjust locally",
    "override": "本规划设定 Set by this plan",
}
_TO_VERIFY = "待与原文核对 To be verified against the original document"
_OVERRIDE = re.compile(r"plan .*?\[standards\] \(default (?P<old>.*?): (?P<src>.*)\)", re.S)
# notes that a value was not among the documents collected: the sheet says "to verify"
_NOT_COLLECTED = re.compile(
    r"\s*\(not in shared/[^)]*\)|\s*(?:[—–.]\s*)?not in shared/[^\s,;)]*(?:,\s*verify)?", re.I
)
_INTERNAL = (
    (re.compile(r"\s*[—–]\s*seed \d{3}"), ""),  # the tag after a citation naming the document
    (re.compile(r",? as standards-sources\.md notes"), ""),
    (re.compile(r"\s*\(standards-sources\.md\)"), ""),
    (re.compile(r"standards-sources\.md,\s*"), ""),
    (re.compile(r"\s*[—–]\s*shared/\S+"), ""),
)


def _value_cell(entry: StandardValue) -> str | int | float:
    """Return a standard's value as the sheet shows it: percent for shares, no ``80.0``.

    A single number that is not a share is returned as a number (Excel flags numbers
    stored as text); a share, a list or a word as text.
    """
    value = entry.value
    percent = any(word in entry.unit for word in ("share", "rate", "÷"))
    if isinstance(value, int | float) and not isinstance(value, bool) and not percent:
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, bool):
        return YES_NO[0 if value else 1]
    if isinstance(value, tuple):
        return ", ".join(_number_text(v, entry.unit) for v in value)
    if isinstance(value, str):
        return {"resident": "常住人口 Resident population"}.get(value, value)
    return _number_text(value, entry.unit)


def _number_text(value: object, unit: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if "share" in unit or "rate" in unit or "÷" in unit:
        return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"
    if unit == "year":
        return str(value)
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text


def plain_source(source: str, names: dict[str, str] | None = None) -> tuple[str, bool]:
    """Return a source in plain words, and whether it is still to be verified.

    The working notes of the project are taken out: a seed document's number becomes its
    title, notes on where the facts were collected go, and "not in shared/…, verify"
    becomes the flag. ``names`` maps dotted keys quoted in the text to readable names.

    Examples
    --------
    >>> plain_source("seed 003 §二(三)2")
    ('贵港市教育提质行动计划 (2022) §二(三)2', False)
    >>> plain_source("GB 50180-2018 appendix B — not in shared/standards-sources.md, verify")
    ('GB 50180-2018 appendix B', True)
    """
    text = source
    override = _OVERRIDE.fullmatch(text.strip())
    if override:
        inner, verify = plain_source(override["src"], names)
        return (
            f"本规划设定，原值 {override['old']} Set by this plan; was {override['old']}: {inner}",
            verify,
        )
    text, found = _NOT_COLLECTED.subn("", text)
    for pattern, repl in _INTERNAL:
        text = pattern.sub(repl, text)
    text = re.sub(r"seed (\d{3})", lambda m: _SEEDS.get(m[1], m[0]), text)
    # a sentence that still speaks of the project's notes is dropped
    sentences = re.split(r"(?<=\.)\s+", text)
    text = " ".join(s for s in sentences if "standards-sources" not in s and "shared/" not in s)
    for key in sorted(names or {}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w.]){re.escape(key)}(?![\w.])", (names or {})[key], text)
    return re.sub(r"\s{2,}", " ", text).strip(" ;,"), bool(found)


def sources_table(standards: Standards) -> pd.DataFrame:
    """Return one row per standard in force: name, value, unit, basis, source, to verify."""
    entries = [standards.entry(k) for k in standards.keys()]
    names = {e.key: standard_name(e.key) for e in entries}
    rows = []
    for e in entries:
        source, verify = plain_source(e.source, names)
        rows.append(
            {
                "标准 Standard": names[e.key],
                "取值 Value": _value_cell(e),
                "单位 Unit": unit_name(e.unit),
                "性质 Basis": _BASIS.get(e.basis, e.basis),
                "来源 Source": source,
                "核实 Check": _TO_VERIFY if verify else "",
                "配置项 Setting": e.key,
            }
        )
    return pd.DataFrame(rows)


def documents_table(standards: Standards) -> pd.DataFrame:
    """Return the documents the standards in force cite, each with the standards it backs."""
    entries = [standards.entry(k) for k in standards.keys()]
    rows = []
    for doc in DOCUMENTS:
        citing = [e for e in entries if re.search(doc.pattern, e.source)]
        if not citing:
            continue
        rows.append(
            {
                "文件 Document": doc.title,
                "英文 In English": doc.english,
                "类别 Kind": doc.kind,
                "引用条目数 Standards citing it": len(citing),
                "引用于 Cited for": "；".join(dict.fromkeys(_short(e.key) for e in citing)),
            }
        )
    columns = ["文件 Document", "英文 In English", "类别 Kind", "引用条目数 Standards citing it"]
    return pd.DataFrame(rows, columns=[*columns, "引用于 Cited for"])


def _short(key: str) -> str:
    """Name a standard by its group alone when it has several, else by its full name."""
    return standard_name(key).rsplit(" · ", 1)[0] if "." in key else standard_name(key)
