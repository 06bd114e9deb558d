"""The report's words: bilingual column headers and the words for coded cell values.

Every column a sheet of the report shows has a header in Chinese and English (Chinese
first: the meeting reads Chinese), and every cell that holds a code of the pipeline
(``new_build``, ``capacitated``, ``urban``…) shows words instead. Columns whose names
carry a year, a scenario or a level (``residents_2035``, ``gap_85``,
``primary_distance_m``) are named by :func:`header_for`.

A bilingual label is written Chinese first, then English: the Chinese part is the leading
words that hold a Chinese character, the English part the rest (``"学位缺口 Gap"``).
:func:`in_language` keeps one part for a report in one language (``--lang zh|en``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from xuewei.planning.school_sizes import GENERATED_SOURCE, INPUT_SOURCE
from xuewei.vocabulary import CJK, COMPULSORY

if TYPE_CHECKING:
    from xuewei.maps.plan_map import Lang

__all__ = [
    "HEADERS",
    "LEVEL_WORDS",
    "OTHER_LANGUAGE",
    "YES_NO",
    "header_for",
    "in_language",
    "list_in_language",
    "words_for",
]

# Bilingual column headers of the Excel report (Chinese first: the meeting reads Chinese).
HEADERS: dict[str, str] = {
    "district_id": "区县代码 District ID",
    "district_name": "区县 District",
    "name": "名称 Name",
    "name_en": "英文名 English name",
    "year": "年份 Year",
    "level": "学段 Level",
    "scenario": "情景(千人学位) Scenario, places per 1,000",
    "quantity": "指标 Quantity",
    "value": "数值 Value",
    "lower": "下限 Lower",
    "upper": "上限 Upper",
    "kind": "类型 Kind",
    "method": "方法 Method",
    "residents": "常住人口 Residents",
    "input_residents": "常住人口(输入数据) Residents as input",
    "required": "需求学位 Places required",
    "required_lower": "需求下限 Required (lower)",
    "required_upper": "需求上限 Required (upper)",
    "offered": "现有学位 Places offered",
    "gap": "学位缺口 Gap",
    "gap_lower": "缺口下限 Gap (lower)",
    "gap_upper": "缺口上限 Gap (upper)",
    "gap_per_1000": "千人缺口 Gap per 1,000 residents",
    "chance_of_shortfall": "缺口概率 Chance of shortfall",
    "chance_of_shortfall_cohort": "缺口概率(队列) Chance of shortfall (cohort)",
    "required_low": "需求低值(P10) Required (low, P10)",
    "required_central": "需求中值(P50) Required (central, P50)",
    "required_high": "需求高值(P90) Required (high, P90)",
    "gap_low": "缺口低值(P10) Gap (low, P10)",
    "gap_central": "缺口中值(P50) Gap (central, P50)",
    "gap_high": "缺口高值(P90) Gap (high, P90)",
    "school_id": "学校代码 School ID",
    "classes": "班数 Classes",
    "capacity": "设计学位 Design capacity",
    "enrolment": "在校生 Enrolment",
    "places": "学位数 Places",
    "places_basis": "学位依据 Places counted from",
    "places_primary": "小学学位 Primary places",
    "places_junior": "初中学位 Junior places",
    # school resources rated by the assessment of high-quality balance (教督〔2017〕6号)
    "teachers_above_qualification": "高于规定学历教师数 Teachers above the required qualification",
    "backbone_teachers": "县级以上骨干教师数 County-level backbone teachers",
    "pe_arts_teachers": "体育艺术专任教师数 PE and arts teachers",
    "teaching_rooms_m2": "教学及辅助用房面积(平方米) Teaching and auxiliary rooms, m²",
    "sports_ground_m2": "体育运动场馆面积(平方米) Sports grounds and halls, m²",
    "equipment_value_yuan": "教学仪器设备值(元) Teaching equipment, yuan",
    "multimedia_classrooms": "网络多媒体教室数 Network multimedia classrooms",
    "utilisation": "在校生使用率 Utilisation by enrolment",
    "assigned_utilisation": "分配使用率 Utilisation by assigned residents",
    "over_capacity_assigned": "分配超容量 Over capacity by assigned residents",
    "spare_places": "剩余学位 Spare places",
    "avg_class_size": "平均班额 Average class size",
    "over_capacity": "在校生超容量 Over capacity by enrolment",
    "big_class": "班额超标(>45/50人) Classes above 45/50",
    "class_size_band": "班额等级 Class-size band",
    "big_school": "大校额 Big school",
    "public": "公办 Public",
    "opened": "建成年份 Opened",
    "closing": "撤并年份 Closing",
    "synthetic": "合成数据 Synthetic",
    "estate_id": "小区代码 Estate ID",
    "dwellings": "住宅套数 Dwellings",
    "households": "户数 Households",
    "completion_year": "建成年份 Completion year",
    "unserved": "未覆盖人口 Unserved residents",
    "unserved_residents": "未覆盖人口 Unserved residents",
    "unserved_share": "未覆盖比例 Unserved share",
    "assigned": "已分配人口 Assigned residents",
    "within_radius": "服务半径内 Within radius",
    "distance_m": "距离(米) Distance, m",
    "demand": "分配需求学位 Assigned demand, places",
    "school_level": "学校类型 School type",
    "per_thousand_demand": "千人指标需求 Per-1,000 demand",
    "cohort_demand": "学龄人口需求 Cohort demand",
    "cohort_lower": "学龄下限 Cohort (lower)",
    "cohort_upper": "学龄上限 Cohort (upper)",
    "implied_per_1000": "隐含千人指标 Implied per 1,000",
    "difference": "差额 Cohort − per-1,000",
    "proposal_id": "建议编号 Proposal ID",
    "site_id": "选址 Site",
    "site_source": "用地来源 Site from",
    "receiver_ids": "接收学校 Receiving school(s)",
    "served_estates": "服务小区 Estates served",
    "pupils_moved": "转移学生 Pupils moved",
    "settlement": "城乡 Urban/rural",
    "served": "有学位 Served (residents)",
    "schools_full": "范围内学校已满 In reach, schools full (residents)",
    "out_of_reach": "服务半径外 Out of reach (residents)",
    "served_share": "有学位比例 Served share",
    "schools_full_share": "学校已满比例 Schools full share",
    "out_of_reach_share": "半径外比例 Out of reach share",
    "needed_year": "需要年份 Year needed",
    "lead_time": "建设周期(年) Lead time, years",
    "new_schools": "新建学校 New schools",
    "expansions": "扩建 Expansions",
    "places_added": "新增学位 Places added",
    "closures": "撤并学校 Schools merged away",
    "places_closed": "撤并减少学位 Places closed by mergers",
    "cumulative_places": "累计净增学位 Net places added to date",
    "remaining_gap": "剩余缺口 Gap remaining",
    "sized_year": "测算年份 Year sized for",
    "sized_gap": "测算缺口 Gap sized for",
    "sized_closed": "另补撤并学位 Closed by mergers, to replace",
    "rationale_zh": "理由 Rationale (Chinese)",
    "rationale_en": "理由 Rationale (English)",
    "lon": "经度 Longitude",
    "lat": "纬度 Latitude",
}

YES_NO = ("是 yes", "否 no")

# Columns that hold one language's text: a report in the other language leaves them out.
OTHER_LANGUAGE: dict[str, tuple[str, ...]] = {
    "zh": ("rationale_en",),
    "en": ("rationale_zh",),
    "both": (),
}


# short bilingual labels for the cells of the level columns (the map uses LEVEL_NAMES)
LEVEL_WORDS: dict[str, str] = {
    "primary": "小学 Primary",
    "junior": "初中 Junior",
    "nine_year": "九年一贯制 Nine-year",
    "kindergarten": "幼儿园 Kindergarten",
    "special_education": "特殊教育 Special education",
    COMPULSORY: "义务教育 Compulsory",
    "all": "全部 All",
}

# The words for the codes of each coded column.
_WORDS: dict[str, dict[str, str]] = {
    "level": LEVEL_WORDS,
    "school_level": LEVEL_WORDS,
    "settlement": {"all": "全部 All", "urban": "城镇 Urban", "rural": "乡村 Rural"},
    "district_id": {"total": "合计 Total"},
    "kind": {
        "new_build": "新建学校 New school",
        "expansion": "扩建 Expansion",
        "merger": "撤并 Merger",
        "kindergarten": "新建幼儿园 New kindergarten",
        "special_education": "特殊教育学校 Special-education school",
        "observed": "统计值 Observed",
        "interpolated": "插值 Interpolated",
        "forecast": "预测值 Forecast",
    },
    "quantity": {
        "residents": "常住人口 Residents",
        "required_places": "需求学位 Places required",
    },
    "method": {
        "capacitated": "按学位容量分配 Within school capacity",
        "nearest": "就近分配 Nearest school",
        "polygons": "按学区范围 Catchment polygons",
    },
    "places_basis": {
        "capacity": "设计学位 Design capacity",
        "classes": "班数×标准班额 Classes × class size",
    },
    "class_size_band": {
        "small": "小班 Small",
        "normal": "正常 Normal",
        "large": "偏大 Large",
        "big": "大班额 Big",
        "super": "超大班额 Very big",
    },
    "site_source": {
        GENERATED_SOURCE: "网格生成候选点(用地待落实) Generated site, land to be found",
        INPUT_SOURCE: "规划预留用地 Reserved site",
    },
}

_LEVEL_CODES = "|".join(sorted(LEVEL_WORDS, key=len, reverse=True))
_DYNAMIC: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"residents_(?P<y>\d{4})"), "{y}年常住人口 Residents {y}"),
    (
        re.compile(r"required_(?P<s>\d+(?:\.\d+)?)"),
        "需求学位(千人{s}) Places required, {s} per 1,000",
    ),
    (re.compile(r"gap_(?P<s>\d+(?:\.\d+)?)"), "学位缺口(千人{s}) Gap, {s} per 1,000"),
    (
        re.compile(rf"(?P<l>{_LEVEL_CODES})_unserved_residents"),
        "{zh}未覆盖人口(基准年) {en}: unserved residents, base year",
    ),
    (re.compile(rf"(?P<l>{_LEVEL_CODES})_school_id"), "{zh}分配学校 {en}: school assigned"),
    (re.compile(rf"(?P<l>{_LEVEL_CODES})_distance_m"), "{zh}距离(米) {en}: distance, m"),
    (
        re.compile(rf"(?P<l>{_LEVEL_CODES})_unserved_(?P<y>\d{{4}})"),
        "{zh}{y}年未覆盖 {en}: unserved in {y}",
    ),
)


def header_for(column: str) -> str:
    """Return the bilingual header of a column (the column's name if it has none).

    Examples
    --------
    >>> header_for("gap_85"), header_for("junior_distance_m")
    ('学位缺口(千人85) Gap, 85 per 1,000', '初中距离(米) Junior: distance, m')
    """
    if column in HEADERS:
        return HEADERS[column]
    for pattern, text in _DYNAMIC:
        match = pattern.fullmatch(column)
        if match:
            parts = match.groupdict()
            zh, _, en = LEVEL_WORDS.get(parts.get("l") or "", " ").partition(" ")
            return text.format(zh=zh, en=en, **parts)
    return column


def words_for(column: str) -> dict[str, str] | None:
    """Return the words for the codes of a coded column, or ``None`` for other columns.

    Examples
    --------
    >>> words_for("kind")["new_build"]
    '新建学校 New school'
    """
    return _WORDS.get(column)


def in_language(text: str, lang: Lang) -> str:
    """Return one language's part of a bilingual label (all of it for ``"both"``).

    The Chinese part is the leading words that hold a Chinese character, the English part
    the words after them. Text that is not in that form (a number, a name in one
    language, an English warning) is returned as it is.

    Examples
    --------
    >>> in_language("学位缺口(千人85) Gap, 85 per 1,000", "zh")
    '学位缺口(千人85)'
    >>> in_language("学位缺口(千人85) Gap, 85 per 1,000", "en")
    'Gap, 85 per 1,000'
    >>> in_language("芙蓉区", "en"), in_language("2035", "zh")
    ('芙蓉区', '2035')
    """
    if lang == "both":
        return text
    words = text.split(" ")
    cut = next((i for i, w in enumerate(words) if not CJK.search(w)), len(words))
    if cut in (0, len(words)):
        return text
    return " ".join(words[:cut] if lang == "zh" else words[cut:])


def list_in_language(text: str, lang: Lang) -> str:
    """Return :func:`in_language` of each item of a list (``；``) of labels (`` · `` parts).

    Examples
    --------
    >>> list_in_language("服务半径 Service radius；班额 Class size · 小学 Primary", "en")
    'Service radius; Class size · Primary'
    """
    if lang == "both":
        return text
    items = [
        " · ".join(in_language(part, lang) for part in item.split(" · "))
        for item in text.split("；")
    ]
    return ("；" if lang == "zh" else "; ").join(items)
