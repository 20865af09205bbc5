"""Tests for heatmap.geo.assign: exact, grid-accelerated point -> town assignment."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Point, Polygon, box

from heatmap.errors import BoundaryError
from heatmap.geo.assign import SAVED_INDEX, TownIndex, assign_points

# Hand-drawn layout, total bounds (0, 0, 30, 10):
#
#  y=10 +----------------+        +-------------------+
#       | L              |        | H   +---------+   |
#   y=8 |    +-----------+        |     |  +---+  |   |
#       |    |  (notch:           |     |  | I |  |   |
#   y=5 +----+   nothing) +--+    |     |  +---+  |   |   hole 23..27 x 3..7,
#       | A       | B     |M |    |     +---------+   |   I = 24..26 x 4..6
#   y=0 +---------+-------+  +    +-------------------+
#       x=0     x=5    x=10 12-14 x=20                x=30
#
# M is a MultiPolygon of 12..14 x 0..2 and 12..14 x 4..6.
CODES = ["A", "B", "L", "M", "H", "I"]
GEOMETRIES = [
    Polygon([(0, 0), (5, 0), (5, 5), (0, 5)]),
    Polygon([(5, 0), (10, 0), (10, 5), (5, 5)]),
    Polygon([(0, 5), (4, 5), (4, 8), (10, 8), (10, 10), (0, 10)]),
    MultiPolygon([box(12, 0, 14, 2), box(12, 4, 14, 6)]),
    Polygon(
        [(20, 0), (30, 0), (30, 10), (20, 10)],
        holes=[[(23, 3), (27, 3), (27, 7), (23, 7)]],
    ),
    Polygon([(24, 4), (26, 4), (26, 6), (24, 6)]),
]

# (lon, lat) -> expected code, points well inside or well outside a polygon
INTERIOR_CASES = [
    ((2.5, 2.5), "A"),
    ((7.5, 2.5), "B"),
    ((2, 9), "L"),
    ((2, 6), "L"),
    ((9, 9), "L"),  # top arm of the L
    ((6, 6), None),  # in the L's notch
    ((13, 1), "M"),
    ((13, 5), "M"),
    ((13, 3), None),  # between M's two parts
    ((11, 1), None),  # between B and M
    ((21, 1), "H"),
    ((28.5, 9.5), "H"),
    ((25, 5), "I"),  # in H's hole, inside I
    ((23.5, 3.5), None),  # in H's hole, outside I
    ((26.5, 6.5), None),
]

# Points exactly on an edge or vertex: covered polygons count, the lowest index wins.
BOUNDARY_CASES = [
    ((5, 2.5), "A"),  # A | B shared edge
    ((2, 5), "A"),  # A | L shared edge
    ((4, 5), "A"),  # A's edge, L's vertex
    ((5, 5), "A"),  # A and B corner
    ((0, 0), "A"),  # outer corner
    ((10, 2.5), "B"),  # outer edge, which sjoin "within" would drop
    ((12, 2), "M"),
    ((24, 5), "I"),  # I's edge, inside H's hole
    ((23, 5), "H"),  # the hole's edge belongs to H
    ((30, 10), "H"),  # the far corner of the total bounds
]

# Outside the polygons' total bounds, or not a number.
OFF_GRID_CASES = [
    ((-1, 2), None),
    ((31, 5), None),
    ((15, -0.1), None),
    ((100, 100), None),
    ((np.nan, 1), None),
    ((1, np.nan), None),
    ((np.inf, 1), None),
]

ALL_CASES = INTERIOR_CASES + BOUNDARY_CASES + OFF_GRID_CASES

# 1.0 and 2.5 put cell edges exactly on polygon edges; 0.7 does not; 50 is one cell.
CELL_SIZES = [0.1, 0.7, 1.0, 2.5, 3.0, 50.0]


# The hand-drawn layout spans 30 "degrees": the default 0.01 grid would be 3M cells.
COARSE = 0.7


def frame(codes=CODES, geometries=GEOMETRIES, *, crs="EPSG:4326", field="code9"):
    return gpd.GeoDataFrame({field: list(codes)}, geometry=list(geometries), crs=crs)


def cases_xy(cases):
    x = np.array([p[0] for p, _ in cases], dtype=float)
    y = np.array([p[1] for p, _ in cases], dtype=float)
    return x, y, [code for _, code in cases]


@pytest.mark.parametrize("cell_deg", CELL_SIZES)
def test_lookup_hand_drawn_layout(cell_deg):
    index = TownIndex.from_frame(frame(), cell_deg=cell_deg)
    x, y, expected = cases_xy(ALL_CASES)
    assert index.lookup(x, y).tolist() == expected


@pytest.mark.parametrize("cell_deg", CELL_SIZES)
def test_lookup_index_hand_drawn_layout(cell_deg):
    index = TownIndex.from_frame(frame(), cell_deg=cell_deg)
    x, y, expected = cases_xy(ALL_CASES)
    expected_idx = [-1 if code is None else CODES.index(code) for code in expected]
    out = index.lookup_index(x, y)
    assert out.dtype == np.intp
    assert out.tolist() == expected_idx


@pytest.mark.parametrize("cell_deg", [0.7, 1.0])
def test_shared_edge_goes_to_lowest_index(cell_deg):
    index = TownIndex.from_frame(frame(CODES[::-1], GEOMETRIES[::-1]), cell_deg=cell_deg)
    x = np.array([5, 2, 4, 5, 2.5])
    y = np.array([2.5, 5, 5, 5, 2.5])
    assert index.lookup(x, y).tolist() == ["B", "L", "L", "B", "A"]


@pytest.mark.parametrize("cell_deg", [0.7, 1.0])
def test_boundary_points_match_first_intersects_match_of_sjoin(cell_deg):
    x, y, _ = cases_xy(BOUNDARY_CASES)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")
    joined = gpd.sjoin(points, frame(), predicate="intersects", how="left")
    first = joined.sort_values("index_right").groupby(level=0)["code9"].first()
    index = TownIndex.from_frame(frame(), cell_deg=cell_deg)
    assert index.lookup(x, y).tolist() == first.sort_index().tolist()


def test_scalar_input_gives_zero_d_result():
    index = TownIndex.from_frame(frame(), cell_deg=COARSE)
    out = index.lookup(2.5, 2.5)
    assert out.shape == ()
    assert out.item() == "A"
    assert index.lookup_index(25, 5).item() == 5


def test_shape_is_kept_and_lat_broadcasts():
    index = TownIndex.from_frame(frame(), cell_deg=COARSE)
    out = index.lookup([[2.5, 7.5], [13, 11]], 1)
    assert out.shape == (2, 2)
    assert out.tolist() == [["A", "B"], ["M", None]]


def test_empty_input():
    index = TownIndex.from_frame(frame(), cell_deg=COARSE)
    assert index.lookup([], []).tolist() == []


def test_assign_points_is_lookup():
    index = TownIndex.from_frame(frame(), cell_deg=COARSE)
    x, y, expected = cases_xy(ALL_CASES)
    assert assign_points(x, y, index).tolist() == expected


def test_codes_keep_frame_order_and_become_str():
    index = TownIndex.from_frame(frame(codes=[110108001, 110108002, 3, 4, 5, 6]), cell_deg=COARSE)
    assert index.codes.tolist() == ["110108001", "110108002", "3", "4", "5", "6"]
    assert index.lookup(7.5, 2.5).item() == "110108002"
    assert len(index) == 6


def test_code_field_option():
    index = TownIndex.from_frame(frame(field="code"), code_field="code", cell_deg=COARSE)
    assert index.lookup(25, 5).item() == "I"


def test_ogc_crs84_is_accepted():
    index = TownIndex.from_frame(frame(crs="OGC:CRS84"), cell_deg=COARSE)
    assert index.lookup(2.5, 2.5).item() == "A"


@pytest.fixture(scope="module")
def voronoi_frame():
    """60 Voronoi cells over Beijing's box, every 7th dropped to leave gaps."""
    rng = np.random.default_rng(12345)
    extent = box(115.4, 39.4, 117.6, 41.1)
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(115.4, 117.6, 60), rng.uniform(39.4, 41.1, 60)])
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=extent))
    cells = shapely.intersection(cells, extent)
    keep = np.arange(len(cells)) % 7 != 3
    codes = [f"1101{i:05d}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"code9": np.array(codes)[keep]}, geometry=cells[keep], crs="EPSG:4326")


@pytest.mark.parametrize("cell_deg", [0.005, 0.02, 0.1])
def test_random_points_match_sjoin_within(voronoi_frame, cell_deg):
    rng = np.random.default_rng(7)
    x = rng.uniform(115.3, 117.7, 5000)  # a margin beyond the grid on every side
    y = rng.uniform(39.3, 41.2, 5000)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")
    joined = gpd.sjoin(points, voronoi_frame, predicate="within", how="left")
    assert not joined.index.duplicated().any()
    expected = [None if isinstance(c, float) else c for c in joined.sort_index()["code9"]]

    got = TownIndex.from_frame(voronoi_frame, cell_deg=cell_deg).lookup(x, y)

    assert got.tolist() == expected
    assert 0 < sum(c is None for c in expected) < 2500  # gaps and margins were exercised


def test_missing_code_field_raises():
    with pytest.raises(
        BoundaryError, match=r"no code column 'code9'.*\['code', 'geometry'\].*code_field="
    ):
        TownIndex.from_frame(frame(field="code"))


def test_projected_crs_is_rejected_with_fix():
    projected = frame(geometries=[box(0, 0, 1, 1)] * 6).set_crs(3857, allow_override=True)
    with pytest.raises(BoundaryError, match=r"'EPSG:3857'.*expected EPSG:4326.*to_crs\(4326\)"):
        TownIndex.from_frame(projected)


def test_missing_crs_is_rejected_with_fix():
    with pytest.raises(BoundaryError, match=r"no CRS.*set_crs\(4326\)"):
        TownIndex.from_frame(frame(crs=None))


def test_null_code_raises():
    with pytest.raises(BoundaryError, match=r"1 missing value\(s\), first at rows \[2\]"):
        TownIndex.from_frame(frame(codes=["A", "B", None, "M", "H", "I"]))


def test_non_polygon_geometry_raises():
    geometries = [*GEOMETRIES[:5], Point(1, 1)]
    with pytest.raises(BoundaryError, match=r"1 geometries are not .*positions \[5\] \(POINT\)"):
        TownIndex.from_frame(frame(geometries=geometries))


def test_invalid_polygon_raises():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    with pytest.raises(BoundaryError, match=r"1 polygons are invalid.*\[0\].*make_valid"):
        TownIndex([bowtie], ["X"])


def test_code_count_mismatch_raises():
    with pytest.raises(BoundaryError, match="got 6 geometries but 2 codes"):
        TownIndex(GEOMETRIES, ["A", "B"])


@pytest.mark.parametrize("cell_deg", [0.0, -0.01, float("nan")])
def test_non_positive_cell_size_raises(cell_deg):
    with pytest.raises(ValueError, match="cell_deg must be a positive number"):
        TownIndex.from_frame(frame(), cell_deg=cell_deg)


def test_oversized_grid_raises():
    with pytest.raises(ValueError, match=r"grid of \d+ x \d+ cells, more than.*larger cell_deg"):
        TownIndex.from_frame(frame(), cell_deg=1e-6)


def test_points_near_every_vertex_match_sjoin_within(voronoi_frame):
    # jittered around each vertex by 1e-9..1e-3 deg: the fine cells and exact tests do the work
    rng = np.random.default_rng(11)
    vertices = shapely.get_coordinates(voronoi_frame.geometry.boundary.to_numpy())
    base = vertices[rng.integers(0, len(vertices), 20_000)]
    jitter = 10.0 ** rng.uniform(-9, -3, (len(base), 1)) * rng.normal(size=base.shape)
    x, y = (base + jitter).T
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")
    joined = gpd.sjoin(points, voronoi_frame, predicate="within", how="left")
    assert not joined.index.duplicated().any()
    expected = [None if isinstance(c, float) else c for c in joined.sort_index()["code9"]]

    index = TownIndex.from_frame(voronoi_frame, cell_deg=0.01)
    # fine cells are classified as points first reach them: in three calls, then all again
    got = np.concatenate([index.lookup(x[:50], y[:50]), index.lookup(x[50:9000], y[50:9000])])
    got = np.concatenate([got, index.lookup(x[9000:], y[9000:])])

    assert got.tolist() == expected
    assert index.lookup(x, y).tolist() == expected


# --------------------------------------------------------------------------- saved index


def test_saved_index_answers_as_a_fresh_one_with_nothing_left_to_classify(voronoi_frame, tmp_path):
    rng = np.random.default_rng(3)
    vertices = shapely.get_coordinates(voronoi_frame.geometry.boundary.to_numpy())
    near = vertices[rng.integers(0, len(vertices), 5000)] + rng.normal(0, 1e-4, (5000, 2))
    x = np.concatenate([rng.uniform(115.3, 117.7, 5000), near[:, 0], [np.nan]])
    y = np.concatenate([rng.uniform(39.3, 41.2, 5000), near[:, 1], [40.0]])
    fresh = TownIndex.from_frame(voronoi_frame)
    path = TownIndex.from_frame(voronoi_frame).save(tmp_path / "index.npz")

    saved = TownIndex.load(path, voronoi_frame.geometry.to_numpy(), voronoi_frame["code9"])

    assert saved is not None and saved._sub_ready.all()  # a first call classifies nothing
    assert saved.lookup(x, y).tolist() == fresh.lookup(x, y).tolist()
    assert repr(saved).startswith("TownIndex(")


def test_saving_twice_gives_the_same_bytes(tmp_path):
    a = TownIndex.from_frame(frame(), cell_deg=COARSE).save(tmp_path / "a.npz")
    index = TownIndex.from_frame(frame(), cell_deg=COARSE)
    index.lookup([2.5, 13.0], [2.5, 5.0])  # some fine cells classified before saving
    b = index.save(tmp_path / "b.npz")
    assert a.read_bytes() == b.read_bytes()


def test_a_saved_index_is_refused_for_other_polygons_or_cells(tmp_path):
    path = TownIndex.from_frame(frame(), cell_deg=COARSE).save(tmp_path / "index.npz")
    moved = [shapely.affinity.translate(g, 1e-6, 0) for g in GEOMETRIES]
    assert TownIndex.load(path, GEOMETRIES, CODES, cell_deg=COARSE) is not None
    assert TownIndex.load(path, moved, CODES, cell_deg=COARSE) is None
    assert TownIndex.load(path, GEOMETRIES, [*CODES[:-1], "X"], cell_deg=COARSE) is None
    assert TownIndex.load(path, GEOMETRIES, CODES, cell_deg=1.0) is None
    assert TownIndex.load(tmp_path / "missing.npz", GEOMETRIES, CODES, cell_deg=COARSE) is None
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    assert TownIndex.load(tmp_path / "broken.npz", GEOMETRIES, CODES, cell_deg=COARSE) is None


def test_from_frame_takes_the_saved_index_named_by_the_frame(tmp_path):
    gdf = frame()
    gdf.attrs[SAVED_INDEX] = str(
        TownIndex.from_frame(gdf, cell_deg=COARSE).save(tmp_path / "i.npz")
    )
    assert TownIndex.from_frame(gdf, cell_deg=COARSE)._sub_ready.all()
    part = gdf.iloc[:3]  # the attribute travels with a subset: its own index is built
    assert part.attrs[SAVED_INDEX]
    index = TownIndex.from_frame(part, cell_deg=COARSE)
    assert not index._sub_ready.all() and index.lookup([2.5], [2.5]).tolist() == ["A"]
