"""Tables: CSV/XLSX read as text in every encoding, rows numbered as the spreadsheet shows.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import pandas as pd
import pytest
from io_fixtures import (
    SCHOOLS_CSV,
    esc,
    write,
)

from xuewei.errors import InputError
from xuewei.gis import (
    read_schools,
    read_table,
)


def test_read_table_keeps_leading_zeros_and_skips_blank_rows(tmp_path):
    f = write(tmp_path / "t.csv", "code,n\n0731,1\n,\n\n007,2\n,\n")
    table = read_table(f)
    assert table["code"].tolist() == ["0731", "007"]
    assert table["n"].tolist() == ["1", "2"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_read_table_detects_encodings(tmp_path, encoding):
    f = write(tmp_path / "t.csv", "district_id,name\n430102,芙蓉区\n", encoding)
    table = read_table(f)
    assert list(table.columns) == ["district_id", "name"]  # no BOM left in the header
    assert table.loc[0, "name"] == "芙蓉区"


def test_read_table_names_the_encodings_tried(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_bytes(b"id,name\n1,\xff\xfe\xfd\x80\n")
    with pytest.raises(InputError, match=r"bad\.csv: cannot decode.*utf-8-sig, gb18030"):
        read_table(f)


def test_read_table_refuses_repeated_column_names(tmp_path):
    f = write(tmp_path / "t.csv", "id,name,name\n1,a,b\n")
    with pytest.raises(InputError, match=esc("t.csv, column `name`: column name appears twice")):
        read_table(f)


def test_read_table_xlsx_sheets(tmp_path):
    f = tmp_path / "t.xlsx"
    with pd.ExcelWriter(f) as writer:
        pd.DataFrame({"a": ["x"]}).to_excel(writer, sheet_name="notes", index=False)
        pd.DataFrame({"district_id": ["0731"], "n": [5]}).to_excel(
            writer, sheet_name="data", index=False
        )
    assert read_table(f).columns.tolist() == ["a"]
    assert read_table(f, sheet="data")["district_id"].tolist() == ["0731"]
    with pytest.raises(InputError, match="no sheet 'pop'; the workbook has sheets notes, data"):
        read_table(f, sheet="pop")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.csv", "missing.csv: file not found"),
        ("schools.xls", "unsupported file type '.xls'.*save Excel 97-2003 .xls files as .xlsx"),
        ("schools.txt", "unsupported file type '.txt'"),
    ],
)
def test_missing_file_and_unsupported_types(tmp_path, name, message):
    if name != "missing.csv":
        write(tmp_path / name, "x")
    with pytest.raises(InputError, match=message):
        read_schools(tmp_path / name)


def test_rows_count_blank_lines_like_the_spreadsheet(tmp_path):
    lines = SCHOOLS_CSV.splitlines()
    text = "\n".join([lines[0], lines[1], ",,,,,,,", lines[2].replace("2400", "lots")]) + "\n"
    f = write(tmp_path / "schools.csv", text)
    with pytest.raises(InputError, match=esc("schools.csv row 3, column `capacity`: got 'lots'")):
        read_schools(f)


def test_ragged_csv_is_an_input_error(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV + "S4,D,primary,1,1,1,112.9,28.2,extra\n")
    with pytest.raises(InputError, match=r"schools\.csv: cannot parse the CSV .*line 5"):
        read_schools(f)
