"""The options the ``xuewei`` commands share, as typer annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "LangOption",
    "OfflineOption",
    "OnlineOption",
    "OutOption",
    "OverwriteOption",
    "PngOption",
    "QuietOption",
    "TiandituOption",
    "TilesOption",
    "VerboseOption",
    "WideOption",
]

OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
OverwriteOption = Annotated[
    bool, typer.Option("--overwrite", help="Replace outputs that already exist.", metavar="")
]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Also print the library's log (INFO) on stderr.", metavar=""
    ),
]
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide", help="Show every scenario's columns, even wider than the terminal.", metavar=""
    ),
]
OnlineOption = Annotated[
    bool,
    typer.Option(
        "--online",
        help="Load the map's scripts from CDNs instead of inlining them (the default is "
        "one self-contained page that opens without internet).",
        metavar="",
    ),
]
# maps are offline by default now; the old flag is still accepted and does nothing
OfflineOption = Annotated[bool, typer.Option("--offline", hidden=True)]
TilesOption = Annotated[
    str,
    typer.Option(
        "--tiles",
        help="Base map: osm, amap, amap_satellite, tianditu, tianditu_satellite or none.",
    ),
]
TiandituOption = Annotated[
    str | None, typer.Option("--tianditu-key", help="Tianditu (天地图) API key.")
]
LangOption = Annotated[
    str,
    typer.Option(
        "--lang", help="Language of the map, the report and the tables printed: zh, en or both."
    ),
]
PngOption = Annotated[
    bool, typer.Option("--png", help="Also write a static map, plan.png.", metavar="")
]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print only the paths written (one a line); warnings and errors still on stderr.",
        metavar="",
    ),
]
