"""Chinese map datums: GCJ-02 (Amap/Tencent, "Mars coordinates") and BD-09 (Baidu).

Maps and POI exports from Chinese web-map providers carry obfuscated coordinates: GCJ-02
shifts WGS84 by a deterministic, nonlinear offset of a few hundred metres, and BD-09 adds a
further polar twist on top of GCJ-02. The forward transforms are published (Krasovsky
ellipsoid a = 6378245 m, e² = 0.00669342162296594323; BD-09 uses x_pi = π·3000/180). The
inverses are not closed-form: the common one-step inverse is ~2 m off, so here both are
inverted by fixed-point iteration to sub-millimetre accuracy. Points outside China's
bounding box are left unshifted, as the providers do.

All functions are vectorised over NumPy arrays and accept scalars.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from xuewei.errors import ConfigError
from xuewei.vocabulary import COORDINATE_SYSTEMS, CoordinateSystem

__all__ = [
    "COORDINATE_SYSTEMS",
    "CoordinateSystem",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, used by GCJ-02
_EE = 0.00669342162296594323  # Krasovsky first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # BD-09 constant
_TOL_DEG = 1e-11  # ~1 micrometre: stop iterating below this
_MAX_ITER = 30

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    return x, y


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> npt.NDArray[np.bool_]:
    """Whether points lie outside the box in which GCJ-02 applies a shift.

    Examples
    --------
    >>> bool(out_of_china(112.94, 28.23)), bool(out_of_china(2.35, 48.86))
    (False, True)
    """
    x, y = _as_arrays(lon, lat)
    return (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)


def _gcj_offset(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the GCJ-02 offset (dlon, dlat) in degrees at WGS84 point (x, y)."""
    u = x - 105.0
    v = y - 35.0
    sqrt_abs_u = np.sqrt(np.abs(u))
    common = (20.0 * np.sin(6.0 * u * np.pi) + 20.0 * np.sin(2.0 * u * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * u + 3.0 * v + 0.2 * v * v + 0.1 * u * v + 0.2 * sqrt_abs_u
    dlat += common
    dlat += (20.0 * np.sin(v * np.pi) + 40.0 * np.sin(v / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(v / 12.0 * np.pi) + 320.0 * np.sin(v * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + u + 2.0 * v + 0.1 * u * u + 0.1 * u * v + 0.1 * sqrt_abs_u
    dlon += common
    dlon += (20.0 * np.sin(u * np.pi) + 40.0 * np.sin(u / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(u / 12.0 * np.pi) + 300.0 * np.sin(u / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = out_of_china(x, y)
    dlon = np.where(outside, 0.0, dlon)
    dlat = np.where(outside, 0.0, dlat)
    return dlon, dlat


def _unwrap(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    if x.ndim == 0:
        return float(x), float(y)
    return x, y


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 longitude/latitude (degrees) to GCJ-02.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
    >>> round(lon, 8), round(lat, 8)
    (116.4102445, 39.91640428)
    """
    x, y = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(x, y)
    return _unwrap(x + dlon, y + dlat)  # type: ignore[return-value]


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude (degrees) to WGS84, to sub-millimetre accuracy.

    Solves ``wgs84_to_gcj02(w) == g`` by fixed-point iteration ``w ← w − (f(w) − g)``,
    which converges because the offset varies slowly (its Jacobian is ~1e-5).

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.4102445, 39.91640428)
    >>> round(lon, 6), round(lat, 6)
    (116.404, 39.915)
    """
    gx, gy = _as_arrays(lon, lat)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(_MAX_ITER):
        dlon, dlat = _gcj_offset(wx, wy)
        ex = wx + dlon - gx
        ey = wy + dlat - gy
        wx = wx - ex
        wy = wy - ey
        if np.all(np.abs(ex) < _TOL_DEG) and np.all(np.abs(ey) < _TOL_DEG):
            break
    return _unwrap(wx, wy)  # type: ignore[return-value]


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude (degrees) to Baidu BD-09.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.404, 39.915)
    >>> round(lon, 8), round(lat, 8)
    (116.41036949, 39.92133699)
    """
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _unwrap(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006)  # type: ignore[return-value]


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu BD-09 longitude/latitude (degrees) to GCJ-02, inverting exactly.

    Starts from the usual closed-form approximation and refines it by fixed-point iteration
    on :func:`gcj02_to_bd09`.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(116.41036949, 39.92133699)
    >>> round(lon, 6), round(lat, 6)
    (116.404, 39.915)
    """
    bx, by = _as_arrays(lon, lat)
    x = bx - 0.0065
    y = by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_MAX_ITER):
        fx, fy = gcj02_to_bd09(gx, gy)
        ex = np.asarray(fx) - bx
        ey = np.asarray(fy) - by
        gx = gx - ex
        gy = gy - ey
        if np.all(np.abs(ex) < _TOL_DEG) and np.all(np.abs(ey) < _TOL_DEG):
            break
    return _unwrap(gx, gy)  # type: ignore[return-value]


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 longitude/latitude (degrees) to Baidu BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu BD-09 longitude/latitude (degrees) to WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(
    lon: ArrayLike, lat: ArrayLike, coords: CoordinateSystem
) -> tuple[FloatArray, FloatArray]:
    """Convert longitude/latitude declared in ``coords`` to WGS84.

    ``cgcs2000`` geographic coordinates agree with WGS84 to a few centimetres, well below
    what school planning resolves, so they pass through unchanged.

    Examples
    --------
    >>> lon, lat = to_wgs84([112.9388], [28.2282], "wgs84")
    >>> float(lon[0]), float(lat[0])
    (112.9388, 28.2282)
    """
    if coords in ("wgs84", "cgcs2000"):
        x, y = _as_arrays(lon, lat)
        return _unwrap(x.copy(), y.copy())  # type: ignore[return-value]
    if coords == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if coords == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ConfigError(
        f"unknown coordinate system coords={coords!r}; expected one of "
        f"{', '.join(COORDINATE_SYSTEMS)}."
    )
