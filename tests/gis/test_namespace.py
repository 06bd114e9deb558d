"""The ``xuewei.gis`` namespace: every public name resolves, old import paths work.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

from xuewei import gis


def test_gis_exports_are_complete():
    for name in gis.__all__:
        assert hasattr(gis, name)


def test_readers_still_import_from_gis_io():
    from xuewei.gis import io

    for name in io.__all__:
        assert getattr(io, name) is not None
    assert io.read_schools is gis.read_schools
    assert io.PopulationRaster is gis.PopulationRaster


def test_vocabulary_is_re_exported_not_redefined():
    from xuewei import vocabulary

    assert gis.CATCHMENT_LEVELS is vocabulary.CATCHMENT_LEVELS
    assert gis.SERVING_LEVELS is vocabulary.SERVING_LEVELS
    assert gis.COORDINATE_SYSTEMS is vocabulary.COORDINATE_SYSTEMS
    assert "LEVELS" not in gis.__all__
