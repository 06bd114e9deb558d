"""Readable bilingual names of the planning standards, for the report's Sources sheet.

A standard is named by its group and its own name, e.g. ``class_size.primary`` →
"班额 Class size · 小学 Primary"; units read the same way ("学位/千人 places per 1,000
residents"). Every key and unit of the packaged standards has a name here (a test checks
it); a name missing falls back to the key's words.
"""

from __future__ import annotations

__all__ = ["GROUP_NAMES", "LEAF_NAMES", "UNIT_NAMES", "standard_name", "unit_name"]

#: Each group of standards (the key without its last part).
GROUP_NAMES: dict[str, str] = {
    "places_per_1000": "千人学位指标 Places per 1,000 residents",
    "places_per_1000.level_share": "千人指标学段分配 Split of compulsory places",
    "places_per_1000.reference.guangzhou_2022": "参考千人指标·广州2022 Reference: Guangzhou 2022",
    "places_per_1000.reference.wuhan_2013_central": "参考千人指标·武汉中心城区 Reference: "
    "Wuhan 2013, central districts",
    "places_per_1000.reference.wuhan_2013_new": "参考千人指标·武汉新城区 Reference: Wuhan 2013, "
    "new districts",
    "places_per_1000.reference.china_2008": "参考·全国2008在校生/千人 Reference: China 2008 "
    "pupils per 1,000",
    "places_per_1000.reference.hunan_2008": "参考·湖南2008在校生/千人 Reference: Hunan 2008 "
    "pupils per 1,000",
    "grades": "年级数 Grades",
    "class_size": "标准班额 Class size",
    "class_size.nine_year": "九年一贯制班额 Class size, nine-year school",
    "class_size.rural": "农村远期班额 Class size, rural (long-term)",
    "class_size_bands": "班额分级下限 Class-size bands, lowest size",
    "class_size_targets": "班额控制目标 Class-size targets",
    "school_size_cap": "校额上限 School size cap",
    "standard_classes": "标准办学规模(班) Standard school sizes, classes",
    "standard_classes.rural": "农村标准办学规模(班) Standard rural school sizes, classes",
    "access": "可达性 Access",
    "access.radius_m": "服务半径 Service radius",
    "access.radius_m.rural": "乡村服务半径 Service radius, rural",
    "access.walk_min": "步行时间 Walking time",
    "settlement": "城乡划分 Urban or rural",
    "living_circle.five_min": "5分钟生活圈 5-minute living circle",
    "living_circle.ten_min": "10分钟生活圈 10-minute living circle",
    "living_circle.fifteen_min": "15分钟生活圈 15-minute living circle",
    "facility_thresholds.hunan_2019": "设校人口门槛·湖南2019 Residents for a school, Hunan 2019",
    "allocation": "学位配置原则 Where places are planned",
    "siting": "选址避让 Siting",
    "kindergarten": "幼儿园 Kindergartens",
    "special_education": "特殊教育 Special education",
    "funding.per_pupil_yuan": "生均公用经费 Per-pupil funding",
    "staffing.pupils_per_staff": "师生比(教职工) Pupils per staff post",
    "staffing.rotation": "教师交流轮岗 Teacher rotation",
    "consolidation": "学校撤并 School mergers",
    "programme.lead_time_years": "建设周期 Build lead time",
    "enrolment_targets.guigang_2023": "入学率目标·贵港2023 Enrolment targets, Guigang 2023",
    "enrolment_targets.ningxia_2025": "入学率目标·宁夏2025 Enrolment targets, Ningxia 2025",
    "forecast.lead_time_years": "预测规划提前期 Forecasting lead times",
    "forecast.progression": "年级升级率 Grade progression",
    "forecast.pupil_yield_per_100_dwellings": "新建住宅学生产出 Pupil yield of new dwellings",
    "forecast.household_size": "户均人口 Household size",
    "land.min_site_area_m2.primary": "小学最小用地 Minimum site area, primary",
    "land.min_site_area_m2.junior": "中学最小用地 Minimum site area, middle school",
    "land.per_place_m2": "生均用地规模 Land per place, school size",
    "land.per_place_m2.primary": "小学生均用地 Land per place, primary",
    "land.per_place_m2.junior": "初中生均用地 Land per place, junior",
    "targets.changsha_2021_2025": "长沙目标2021–2025 Changsha targets 2021–2025",
    "targets.qujing_balance_year": "曲靖优质均衡年份 Qujing: year of high-quality balance",
    "balance.cv_max": "校际差异系数上限 Balance: most CV across schools",
    "balance.rules": "优质均衡资源配置规则 Balance: resource rules",
    "balance.minimum.primary": "小学资源配置最低值 Resource minimums, primary",
    "balance.minimum.junior": "初中资源配置最低值 Resource minimums, junior",
}

#: Each standard's own name (the last part of its key).
LEAF_NAMES: dict[str, str] = {
    "primary": "小学 Primary",
    "junior": "初中 Junior",
    "nine_year": "九年一贯制 Nine-year school",
    "kindergarten": "幼儿园 Kindergarten",
    "incomplete_primary": "不完全小学 Incomplete primary",
    "complete_secondary": "完全中学 Complete secondary",
    "senior_high": "普通高中 Senior high",
    "secondary": "中学 Secondary",
    "scenarios": "情景 Scenarios",
    "default_scenario": "默认情景 Default scenario",
    "previous_value": "调整前取值 Value before the revision",
    "normal": "正常 Normal",
    "large": "偏大 Large",
    "big": "大班额 Big",
    "super": "超大班额 Very big",
    "big_share_max": "大班额占比上限 Most big classes",
    "super_share_max": "超大班额占比上限 Most very big classes",
    "remove_within_years": "消除期限 Years to remove big classes and schools",
    "walk_speed_m_per_min": "步行速度 Walking speed",
    "cell_m": "网格边长 Grid cell size",
    "dense_cell_residents_per_km2": "高密度网格人口 Residents of a dense cell",
    "cluster_min_residents": "城镇聚集区最少人口 Residents of an urban cluster",
    "residents_min": "人口下限 Residents, fewest",
    "residents_max": "人口上限 Residents, most",
    "dwellings_min": "住宅套数下限 Dwellings, fewest",
    "dwellings_max": "住宅套数上限 Dwellings, most",
    "population_basis": "配置人口口径 Population counted",
    "estate_school_with_estate": "小区配套学校同步建设 School built with its estate",
    "township_nine_year_schools": "乡镇建九年一贯制 Nine-year schools in townships",
    "railway_min_distance_m": "距铁路最小距离 Distance from railways",
    "busy_road_min_distance_m": "距繁忙道路最小距离 Distance from busy roads",
    "busy_road_vehicles_per_hour": "繁忙道路车流量 Traffic of a busy road",
    "walkers_cross_trunk_roads": "步行学生穿越干道 Walking pupils cross trunk roads",
    "min_estate_residents": "配建幼儿园的小区人口 Estate residents for a kindergarten",
    "public_share_min": "公办在园占比下限 Public share, least",
    "affordable_share_min": "普惠在园占比下限 Affordable share, least",
    "public_per_township_min": "每乡镇公办园下限 Public kindergartens per township, fewest",
    "public_per_township_max": "每乡镇公办园上限 Public kindergartens per township, most",
    "min_county_residents": "建特教学校的县人口 County residents for a special school",
    "resource_room_min_pupils": "设资源教室的随班就读人数 Pupils for a resource room",
    "home_teaching_share_max": "送教上门比例上限 Home teaching share, most",
    "share_min": "交流比例下限 Share rotating, least",
    "key_teacher_share_min": "骨干教师交流比例下限 Key teachers among them, least",
    "build_before_close": "先建后撤 Build before closing",
    "small_school_max_pupils": "小规模学校人数上限 Small school, most pupils",
    "small_school_max_utilisation": "小规模学校使用率上限 Small school, most utilisation",
    "receiver_max_utilisation": "接收学校使用率上限 Receiving school, most utilisation",
    "rural_travel_limit_m": "农村撤并最远距离 Longest rural merger distance",
    "new_build": "新建学校 New school",
    "expansion": "扩建 Expansion",
    "merger": "撤并 Merger",
    "preschool_gross": "学前教育毛入园率 Preschool gross enrolment",
    "nine_year_retention": "九年义务教育巩固率 Nine-year retention",
    "senior_high_gross": "高中阶段毛入学率 Senior high gross enrolment",
    "forecast": "预测 Forecast",
    "plan": "规划 Plan",
    "deliver": "交付 Deliver",
    "window_min_years": "平均年数下限 Years averaged, fewest",
    "window_max_years": "平均年数上限 Years averaged, most",
    "window_years": "平均年数 Years averaged",
    "entry_age": "入学年龄 Entry age",
    "default": "默认 Default",
    "tianxin_2020": "天心区2020 Tianxin 2020",
    "ningxiang_2020": "宁乡市2020 Ningxiang 2020",
    "classes_12": "12班 12 classes",
    "classes_18": "18班 18 classes",
    "classes_24": "24班 24 classes",
    "classes_30": "30班 30 classes",
    "small_classes": "小规模(班) Small school, classes",
    "large_classes": "大规模(班) Large school, classes",
    "small_school": "小规模学校 Small school",
    "large_school": "大规模学校 Large school",
    "new_compulsory_schools_min": "新、扩建义务教育学校 New or expanded schools, least",
    "new_public_senior_high_per_year": "每年新开办公办高中 New public senior highs a year",
    "zhanyi": "沾益区 Zhanyi",
    "malong": "马龙区 Malong",
    "luliang": "陆良县 Luliang",
    "luoping": "罗平县 Luoping",
    "shizong": "师宗县 Shizong",
    "qilin": "麒麟区 Qilin",
    "fuyuan": "富源县 Fuyuan",
    "huize": "会泽县 Huize",
    "xuanwei": "宣威市 Xuanwei",
    "share_by_2025": "2025年达标县占比 Share of counties by 2025",
    "min_school_pupils": "参评学校最少学生数 Fewest pupils of a school assessed",
    "indicators_met_min": "每校最少达标项 Fewest indicators a school meets",
    "rest_floor": "余项最低比例 Rest at least this share of its minimum",
    "teachers_above_qualification_per_100": "每百名学生高于规定学历教师数 Teachers above "
    "the required qualification per 100 pupils",
    "backbone_teachers_per_100": "每百名学生县级以上骨干教师数 Backbone teachers per 100 pupils",
    "pe_arts_teachers_per_100": "每百名学生体育艺术专任教师数 PE and arts teachers per 100 pupils",
    "teaching_rooms_m2_per_pupil": "生均教学及辅助用房面积 Teaching rooms per pupil",
    "sports_ground_m2_per_pupil": "生均体育运动场馆面积 Sports grounds per pupil",
    "equipment_yuan_per_pupil": "生均教学仪器设备值 Equipment value per pupil",
    "multimedia_classrooms_per_100": "每百名学生网络多媒体教室数 Multimedia classrooms per 100 "
    "pupils",
}

#: Each unit of the standards, in Chinese and English.
UNIT_NAMES: dict[str, str] = {
    "": "",
    "places per 1,000 residents": "学位/千人 places per 1,000 residents",
    "pupils per 1,000 residents": "在校生/千人 pupils per 1,000 residents",
    "share of compulsory places": "占义务教育学位 share of compulsory places",
    "grades": "个年级 grades",
    "pupils per class": "人/班 pupils per class",
    "children per class": "人/班 children per class",
    "share of classes": "占班级数 share of classes",
    "years": "年 years",
    "year": "年份 year",
    "pupils": "人 pupils",
    "children": "人 children",
    "classes": "班 classes",
    "m/min": "米/分钟 m/min",
    "m": "米 m",
    "metres": "米 m",
    "min": "分钟 min",
    "residents per km²": "人/平方公里 residents per km²",
    "residents": "人 residents",
    "dwellings": "套 dwellings",
    "vehicles/h": "辆/小时 vehicles/h",
    "share of kindergarten enrolment": "占在园幼儿 share of kindergarten enrolment",
    "kindergartens": "所 kindergartens",
    "disabled pupils in regular classes": "名随班就读残疾学生 disabled pupils in regular classes",
    "share of special-needs pupils": "占特殊需要学生 share of special-needs pupils",
    "yuan per pupil per year": "元/生·年 yuan per pupil per year",
    "pupils per staff post": "生/教职工 pupils per staff post",
    "share of eligible teachers per year": "占应交流教师/年 share of eligible teachers a year",
    "share of rotating teachers": "占交流教师 share of rotating teachers",
    "enrolment ÷ capacity": "在校生÷学位 enrolment ÷ capacity",
    "gross enrolment rate": "毛入学率 gross enrolment rate",
    "retention rate": "巩固率 retention rate",
    "pupils per 100 dwellings": "人/百套住宅 pupils per 100 dwellings",
    "persons per household": "人/户 persons per household",
    "m2": "平方米 m²",
    "m2 per place": "平方米/学位 m² per place",
    "new or expanded schools": "所(新、扩建) new or expanded schools",
    "schools per year (urban area)": "所/年(城区) schools a year (urban area)",
    "share of counties": "占县(市、区) share of counties",
    "coefficient of variation": "差异系数 coefficient of variation",
    "indicators of 7": "项(共7项) indicators of 7",
    "fraction of the minimum": "占最低值比例 fraction of the minimum",
    "teachers per 100 pupils": "人/百名学生 teachers per 100 pupils",
    "m2 per pupil": "平方米/生 m² per pupil",
    "yuan per pupil": "元/生 yuan per pupil",
    "classrooms per 100 pupils": "间/百名学生 classrooms per 100 pupils",
}


def standard_name(key: str) -> str:
    """Return the readable bilingual name of a standard, from its dotted key.

    Examples
    --------
    >>> standard_name("class_size.primary")
    '标准班额 Class size · 小学 Primary'
    """
    group, _, leaf = key.rpartition(".")
    parts = [GROUP_NAMES.get(group, group.replace("_", " ")) if group else ""]
    parts.append(LEAF_NAMES.get(leaf, leaf.replace("_", " ")))
    return " · ".join(p for p in parts if p)


def unit_name(unit: str) -> str:
    """Return a unit in Chinese and English (the unit itself if it has no translation)."""
    return UNIT_NAMES.get(unit, unit)
