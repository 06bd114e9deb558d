"""The access part of the standards: service radii (urban and rural), walking, settlement.

:class:`AccessStandards` holds the accessors of ``access`` and ``settlement``;
:class:`~xuewei.data.standards.Standards` inherits them.
"""

from __future__ import annotations

from typing import Protocol

from xuewei.data._standards_levels import check_level
from xuewei.errors import StandardsError
from xuewei.vocabulary import Level

__all__ = ["AccessStandards"]


class _Values(Protocol):
    def number(self, key_path: str) -> float: ...

    def levels_under(self, table: str) -> tuple[str, ...]: ...


class AccessStandards:
    """Service radii, walking speed and time, and the urban density rule."""

    def service_radius_m(self: _Values, level: Level, settlement: str = "urban") -> float:
        """Service radius of a school of this level, in metres of walking distance.

        ``settlement="rural"`` gives the rural radius (``access.radius_m.rural``), or the
        urban one for a level without a rural radius.

        Examples
        --------
        >>> from xuewei.data import load_standards
        >>> s = load_standards()
        >>> s.service_radius_m("primary"), s.service_radius_m("junior")
        (500.0, 1000.0)
        >>> s.service_radius_m("primary", "rural"), s.service_radius_m("junior", "rural")
        (2500.0, 4000.0)
        """
        check_level(level, self.levels_under("access.radius_m"), "`access.radius_m`")
        if settlement not in ("urban", "rural"):
            raise StandardsError(f"settlement={settlement!r}; expected 'urban' or 'rural'")
        if settlement == "rural" and level in self.levels_under("access.radius_m.rural"):
            return float(self.number(f"access.radius_m.rural.{level}"))
        return float(self.number(f"access.radius_m.{level}"))

    @property
    def settlement_rule(self: _Values) -> tuple[float, float, float]:
        """The density rule for urban areas: cell size (m), residents per km², cluster size.

        Examples
        --------
        >>> from xuewei.data import load_standards
        >>> load_standards().settlement_rule
        (1000.0, 1500.0, 5000.0)
        """
        return (
            self.number("settlement.cell_m"),
            self.number("settlement.dense_cell_residents_per_km2"),
            self.number("settlement.cluster_min_residents"),
        )

    def walk_min(self: _Values, level: Level) -> float:
        """Longest walk to a school of this level, in minutes.

        Examples
        --------
        >>> from xuewei.data import load_standards
        >>> load_standards().walk_min("junior")
        15.0
        """
        check_level(level, self.levels_under("access.walk_min"), "`access.walk_min`")
        return float(self.number(f"access.walk_min.{level}"))

    @property
    def walk_speed_m_per_min(self: _Values) -> float:
        """Walking speed in metres per minute (60: 500 m in 10 min, derived).

        Examples
        --------
        >>> from xuewei.data import load_standards
        >>> load_standards().walk_speed_m_per_min
        60.0
        """
        return float(self.number("access.walk_speed_m_per_min"))
