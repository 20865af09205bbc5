"""Map palettes a colour-blind reader can order, and text a low-vision reader can read.

Colour-vision deficiency is simulated with Machado, Oliveira & Fernandes (2009) at full severity
(linear sRGB); lightness is CIE L*. Contrast is WCAG 2's ratio of relative luminances.
"""

from __future__ import annotations

import numpy as np
import pytest

from heatmap.output import maps

MACHADO = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "normal": np.eye(3),
}


def _linear(rgb: tuple[int, int, int]) -> np.ndarray:
    c = np.asarray(rgb, dtype=float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _luminance(linear: np.ndarray) -> float:
    return float(np.clip(linear, 0, 1) @ np.array([0.2126, 0.7152, 0.0722]))


def _lightness(rgb: tuple[int, int, int], vision: str) -> float:
    y = _luminance(MACHADO[vision] @ _linear(rgb))
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(_linear(a)), _luminance(_linear(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_simulation_is_sound() -> None:
    # hand check: pure red loses most of its lightness to a protanope, little to a deuteranope
    assert _lightness((255, 0, 0), "protanopia") < _lightness((255, 0, 0), "deuteranopia")
    assert _lightness((255, 255, 255), "deuteranopia") == pytest.approx(100, abs=0.5)
    assert _contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)


@pytest.mark.parametrize("vision", ["normal", "protanopia", "deuteranopia"])
@pytest.mark.parametrize("kind", ["volume", "rate", "density"])
def test_the_colour_blind_palette_stays_ordered(kind: str, vision: str) -> None:
    colors = getattr(maps.PALETTES["cvd"], kind)
    lightness = [_lightness(c, vision) for c in colors]
    steps = np.diff(lightness)
    assert (steps < -8).all(), f"{kind} under {vision}: L* {np.round(lightness, 1)}"  # each class darker


@pytest.mark.parametrize("kind", ["volume", "rate", "density"])
def test_the_standard_palettes_are_ordered_too_in_normal_vision(kind: str) -> None:
    colors = getattr(maps.PALETTES["standard"], kind)
    assert (np.diff([_lightness(c, "normal") for c in colors]) < 0).all()


def test_map_text_has_contrast_of_at_least_4_5() -> None:
    white = (255, 255, 255)
    assert _contrast((26, 26, 26), white) >= 4.5  # tooltip text on its white box
    assert _contrast((20, 20, 20), white) >= 4.5  # label text on its white halo
    assert _contrast((20, 20, 20), maps.NO_DATA) >= 4.5


def test_town_rows_take_the_chosen_palette() -> None:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box

    towns = gpd.GeoDataFrame(
        {"code9": ["1", "2"], "district_code": ["d", "d"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)]
    )
    measures = pd.DataFrame(
        {"town_code": ["1", "2"], "town_name": ["甲", "乙"], "district_name": ["区", "区"],
         "volume": [1, 100], "rank": [2, 1], "mom": [None, None]}
    )  # fmt: skip
    rows, legend = maps.town_rows(towns, measures, metric="volume", lang="zh", palette="cvd")
    assert rows[1]["fill"][:3] == list(maps.PALETTES["cvd"].volume[-1])  # the most: the darkest
    assert legend.items[-2][0] == maps.PALETTES["cvd"].volume[-1]
