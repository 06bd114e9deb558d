"""The candidate sites reader.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from io_fixtures import (
    esc,
    write,
)

from xuewei.errors import InputError
from xuewei.gis import (
    read_candidate_sites,
)


def test_read_candidate_sites(tmp_path):
    f = write(
        tmp_path / "sites.csv",
        "site_id,area_m2,max_classes,lon,lat\nC1,24000,36,112.9,28.2\nC2,,,112.91,28.21\n",
    )
    sites = read_candidate_sites(f)
    assert sites["site_id"].tolist() == ["C1", "C2"]
    assert sites["area_m2"].tolist()[0] == 24000.0 and np.isnan(sites["area_m2"][1])
    assert sites["max_classes"].tolist() == [36, pd.NA]
    g = write(tmp_path / "bad.csv", "site_id,area_m2,lon,lat\nC1,-1,112.9,28.2\n")
    with pytest.raises(InputError, match=esc("bad.csv row 1, column `area_m2`: got -1")):
        read_candidate_sites(g)
