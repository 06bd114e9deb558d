"""The words of bureaus' spreadsheets: school levels, yes/no, population bases, column names.

This module owns the vocabulary :mod:`xuewei.gis.validate` reads cells with: the English
and Chinese spellings of each school level (and the ones refused as ambiguous, with the
reason), of yes/no and public/private, of a census count or an estimate, and the names
under which bureaus often carry a contract column (for "did you mean" only). Keys are
normalised as :mod:`~xuewei.gis.validate` does: NFKC, lower case, one space between English
words, no spaces between Chinese characters.
"""

from __future__ import annotations

__all__ = ["ALIASES", "BASIS_WORDS", "BOOL_WORDS", "LEVEL_REFUSED", "LEVEL_WORDS"]

#: School level of each accepted spelling.
LEVEL_WORDS: dict[str, str] = {
    # English, after lower-casing and turning "_", "-" and runs of spaces into one space
    "primary": "primary",
    "primary school": "primary",
    "elementary": "primary",
    "elementary school": "primary",
    "junior": "junior",
    "junior high": "junior",
    "junior high school": "junior",
    "junior middle": "junior",
    "junior middle school": "junior",
    "junior secondary": "junior",
    "junior secondary school": "junior",
    "lower secondary": "junior",
    "nine year": "nine_year",
    "nine year school": "nine_year",
    "9 year": "nine_year",
    "9 year school": "nine_year",
    "nineyear": "nine_year",
    "kindergarten": "kindergarten",
    "kg": "kindergarten",
    # Chinese, with all whitespace removed
    "小学": "primary",
    "完全小学": "primary",
    "中心小学": "primary",
    "完小": "primary",
    "小学部": "primary",
    "初中": "junior",
    "初级中学": "junior",
    "初中部": "junior",
    "九年一贯制": "nine_year",
    "九年一贯制学校": "nine_year",
    "九年一贯": "nine_year",
    "九年制": "nine_year",
    "九年制学校": "nine_year",
    "幼儿园": "kindergarten",
    "幼稚园": "kindergarten",
}

#: Values that look like a level but are deliberately not accepted, with the reason.
LEVEL_REFUSED: dict[str, str] = {
    "中学": "中学 may be a junior (初中), a senior (高中) or a complete (完全中学) secondary "
    "school; write 初中 or junior for the junior section",
    "完全中学": "a 完全中学 has junior and senior sections; give its junior section as a "
    "school of level 初中 with the junior capacity only",
    "middle school": "'middle school' is ambiguous (中学); write junior (初中) for the junior "
    "section",
    "middle": "'middle' is ambiguous (中学); write junior (初中) for the junior section",
    "secondary": "'secondary' is ambiguous; write junior (初中) for the junior section",
    "高中": "senior secondary schools (高中) are outside the compulsory-education plan",
    "高级中学": "senior secondary schools (高级中学) are outside the compulsory-education plan",
    "senior": "senior secondary schools are outside the compulsory-education plan",
    "十二年一贯制": "a 十二年一贯制 school includes a senior section; give its primary and "
    "junior sections as one school of level 九年一贯制 with their capacity only",
}

#: Yes (True) or no (False) of each accepted spelling.
BOOL_WORDS: dict[str, bool] = {
    "true": True,
    "false": False,
    "t": True,
    "f": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
    "1.0": True,
    "0.0": False,
    "是": True,
    "否": False,
    "公办": True,
    "民办": False,
    "public": True,
    "private": False,
}

#: Basis of a population figure of each accepted spelling.
BASIS_WORDS: dict[str, str] = {
    "census": "census",
    "普查": "census",
    "人口普查": "census",
    "estimate": "estimate",
    "统计": "estimate",
    "年末": "estimate",
    "年末常住人口": "estimate",
    "估计": "estimate",
    "推算": "estimate",
    "抽样": "estimate",
}

#: Names under which bureaus' spreadsheets often carry a contract column: used only to
#: suggest a rename in the error message, never to rename silently.
ALIASES: dict[str, tuple[str, ...]] = {
    "district_id": ("区县代码", "行政区划代码", "区划代码", "区县编号", "adcode", "code"),
    "parent_id": ("上级代码", "上级区划代码", "市代码"),
    "name": ("名称", "学校名称", "小区名称", "区县名称", "区县", "名字"),
    "name_en": ("英文名", "英文名称"),
    "school_id": ("学校编号", "学校代码", "学校标识码", "学校id", "编号", "id"),
    "level": ("学段", "办学类型", "学校类型", "类型", "类别"),
    "capacity": ("学位数", "学位", "核定学位", "容量", "规模"),
    "classes": ("班数", "班级数", "班级"),
    "enrolment": ("在校生", "在校生数", "学生数", "enrollment"),
    "public": ("公办", "办别", "性质", "公民办"),
    "opened": ("建校年份", "开办年份", "开学年份"),
    "closing": ("撤并年份", "关闭年份"),
    "year": ("年份", "年度", "年"),
    "population": ("常住人口", "人口", "总人口", "pop"),
    "births": ("出生人口", "出生数", "出生"),
    "households": ("户数", "住户数"),
    "basis": ("口径", "数据来源类型"),
    "estate_id": ("小区编号", "小区代码", "小区id"),
    "residents": ("居住人口", "人口", "入住人口"),
    "dwellings": ("住宅套数", "套数", "房屋套数"),
    "completion_year": ("竣工年份", "建成年份", "交付年份"),
    "site_id": ("地块编号", "用地编号", "地块代码"),
    "area_m2": ("用地面积", "面积", "area"),
    "max_classes": ("最大班数", "规划班数"),
}
