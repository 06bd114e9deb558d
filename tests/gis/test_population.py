"""The population reader: residents per district and year, every bad value refused.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import pandas as pd
import pytest
from io_fixtures import (
    esc,
    write,
)

from xuewei.errors import InputError
from xuewei.gis import (
    read_population,
)

POPULATION_CSV = """district_id,year,population,births,basis,name
430100,2020,10047914,95000,普查,长沙市
430102,2020,"624,000",5100,census,芙蓉区
430102,2021,628000,4900,,芙蓉区
430102,2022,631000,4600,年末,芙蓉区
"""


def test_read_population(tmp_path):
    f = write(tmp_path / "population.csv", POPULATION_CSV, "gbk")
    pop = read_population(f)
    assert pop["district_id"].tolist() == ["430100", "430102", "430102", "430102"]
    assert pop["year"].dtype == "int64"
    assert pop["year"].tolist() == [2020, 2020, 2021, 2022]
    assert pop["population"].tolist() == [10047914.0, 624000.0, 628000.0, 631000.0]
    assert pop["basis"].tolist() == ["census", "census", "estimate", "estimate"]
    assert pop["age_6_11"].isna().all()


def test_read_population_xlsx_keeps_zero_padded_ids(tmp_path):
    f = tmp_path / "population.xlsx"
    pd.DataFrame(
        {"district_id": ["0101", "0102"], "year": [2020, 2020], "population": [1000, 2000.5]}
    ).to_excel(f, index=False)
    pop = read_population(f)
    assert pop["district_id"].tolist() == ["0101", "0102"]
    assert pop["population"].tolist() == [1000.0, 2000.5]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("2021", "2021.5", "row 3, column `year`: got '2021.5'; year must be a whole four-digit"),
        ("2021", "21", "row 3, column `year`: got '21'; year must be a whole four-digit year"),
        ("628000", "-5", "row 3, column `population`: got -5; population must be ≥ 0."),
        ("628000", "n/a", "row 3, column `population`: value is missing"),
        (
            "2021",
            "2020",
            "row 3, column `district_id/year`: duplicate district_id/year "
            "('430102', 2020) (first in row 2)",
        ),
        (",年末", ",sample", "row 4, column `basis`: got 'sample'; basis must be census"),
    ],
)
def test_bad_population(tmp_path, old, new, expected):
    f = write(tmp_path / "population.csv", POPULATION_CSV.replace(old, new, 1))
    with pytest.raises(InputError, match="population.csv " + esc(expected)):
        read_population(f)


def test_population_missing_column_lists_found_columns(tmp_path):
    f = write(tmp_path / "population.csv", "区县代码,年份,常住人口\n430102,2020,1\n")
    with pytest.raises(InputError, match="3 problems found") as info:
        read_population(f)
    message = str(info.value)
    assert (
        "population.csv, column `district_id`: required column `district_id` is missing "
        "(found: `区县代码`, `年份`, `常住人口`); did you mean `区县代码`?" in message
    )
    assert "did you mean `年份`? Rename it to `year`." in message
    assert "did you mean `常住人口`? Rename it to `population`." in message


def test_xlsx_numeric_cells_become_text_ids_and_numbers(tmp_path):
    f = tmp_path / "population.xlsx"
    pd.DataFrame(
        {"district_id": [430102, 430103], "year": [2020, 2021], "population": [1.5e5, 2e5]}
    ).to_excel(f, index=False)
    pop = read_population(f)
    assert pop["district_id"].tolist() == ["430102", "430103"]
    assert pop["year"].tolist() == [2020, 2021]
