"""Exact, vectorized point-in-polygon assignment of lon/lat points to towns (街乡镇)."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from heatmap.errors import BoundaryError

__all__ = ["TownIndex", "assign_points"]

IntArray = npt.NDArray[np.intp]
ObjectArray = npt.NDArray[np.object_]

_EMPTY = -1  # cell state: no polygon reaches the cell
# cell state >= 0: index of the one polygon whose interior holds the whole cell
# cell state <= -2: boundary cell number ``-2 - state``, split further or resolved point by point
_PAD = 1e-6  # cells are tested padded by this fraction of their size, to absorb rounding
_SPLIT = 4  # boundary cells are split into _SPLIT x _SPLIT sub-cells
_FINE = 4  # boundary sub-cells are split into _FINE x _FINE fine cells
_REFINE_LOCK = threading.Lock()  # guards the lazy classification of fine cells
_MAX_CELLS = 20_000_000  # refuse grids larger than this (80 MB of cell states)
#: Frame attribute naming a saved index of the frame's polygons (set by ``load_boundary_set``).
SAVED_INDEX = "town_index_file"
_LAYOUT = 1  # of a saved index; bump with any change to how cells are classified
_SAVED = (  # the arrays a saved index holds, besides its fingerprint
    "_state", "_sub_state", "_sub_x0", "_sub_y0", "_sub_ready", "_fine_state", "_cand_ptr",
    "_cand_poly",
)  # fmt: skip


class TownIndex:
    """Grid-accelerated, exact lookup of the polygon holding each lon/lat point.

    A regular grid of ``cell_deg`` cells covers the polygons' total bounds. A cell lying in
    the interior of one polygon answers at once; a cell that no polygon reaches answers
    "none"; a cell crossed by edges is split into 4 x 4 sub-cells classified the same way,
    a sub-cell crossed by edges once more into 4 x 4 fine cells (the first time a point
    falls in it), and a boundary fine cell keeps its few candidate polygons: points falling
    in it are tested exactly with `shapely.intersects_xy` on prepared polygons.

    Parameters
    ----------
    geometries : sequence of shapely Polygon or MultiPolygon
        Polygons in lon/lat degrees (EPSG:4326), normally a partition such as the towns.
    codes : sequence of str
        One code per polygon, e.g. ``"110108001"``.
    cell_deg : float, default 0.01
        Grid cell size in degrees. Smaller cells put fewer points through the exact test
        and cost more memory (one int32 per cell).

    Attributes
    ----------
    codes : numpy.ndarray of object
        The polygon codes, in the order of `geometries`.

    Notes
    -----
    The polygons are prepared in place (`shapely.prepare`); their coordinates are untouched.

    A point belongs to a polygon when it lies in its interior *or on its boundary*
    (``intersects``). Where several polygons qualify, which happens only on shared edges
    and vertices (or where polygons overlap), the lowest index wins. Points strictly
    inside a polygon therefore get the same answer as
    ``geopandas.sjoin(points, polygons, predicate="within")``; points exactly on an edge,
    which ``within`` drops, get the first match of ``predicate="intersects"``.
    """

    codes: ObjectArray

    def __init__(
        self,
        geometries: Sequence[Any] | npt.NDArray[Any],
        codes: Sequence[str] | npt.NDArray[Any],
        *,
        cell_deg: float = 0.01,
    ) -> None:
        geoms = np.asarray(geometries, dtype=object)
        _check_inputs(geoms, codes, cell_deg=cell_deg)
        shapely.prepare(geoms)
        self._geoms = geoms
        self.codes = np.array([str(c) for c in codes], dtype=object)
        self._codes_or_none = np.array([*self.codes, None], dtype=object)  # [-1] is None
        self.cell_deg = float(cell_deg)
        self._bounds = tuple(float(v) for v in shapely.total_bounds(geoms))
        self._build_grid()

    @classmethod
    def from_frame(
        cls, gdf: gpd.GeoDataFrame, *, code_field: str = "code9", cell_deg: float = 0.01
    ) -> TownIndex:
        """Build an index from a GeoDataFrame of polygons in EPSG:4326.

        Parameters
        ----------
        gdf : geopandas.GeoDataFrame
            One row per polygon, Polygon or MultiPolygon geometry, CRS EPSG:4326.
        code_field : str, default "code9"
            The column holding each polygon's code.
        cell_deg : float, default 0.01
            Grid cell size in degrees, see `TownIndex`.

        Returns
        -------
        TownIndex

        Raises
        ------
        BoundaryError
            If `code_field` is missing or has nulls, the CRS is not EPSG:4326, or a
            geometry is not a (Multi)Polygon.
        """
        _check_frame(gdf, code_field=code_field)
        geoms, codes = gdf.geometry.to_numpy(), gdf[code_field].to_numpy(dtype=object)
        saved = gdf.attrs.get(SAVED_INDEX)  # the set's index, saved beside it when it was built
        if saved:
            index = cls.load(saved, geoms, codes, cell_deg=cell_deg)
            if index is not None:
                return index
        return cls(geoms, codes, cell_deg=cell_deg)

    def refine_all(self) -> TownIndex:
        """Classify every fine cell now, as first calls otherwise do where their points fall."""
        self._refine(np.arange(len(self._sub_x0), dtype=np.intp))
        return self

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the index, every fine cell classified, to ``path`` (an ``.npz`` file).

        The same polygons give a byte-identical file. :meth:`load` reads it back for those
        polygons only (it holds a fingerprint of their coordinates, codes and the cell size).
        """
        self.refine_all()
        arrays = {name.lstrip("_"): getattr(self, name) for name in _SAVED}
        arrays["fingerprint"] = np.array(_fingerprint(self._geoms, self.codes, self.cell_deg))
        path = Path(path)
        partial = path.with_name(path.name + ".tmp")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                buffer = io.BytesIO()
                array = np.require(array, requirements="C")  # (a 0-d array stays 0-d)
                np.lib.format.write_array(buffer, array, allow_pickle=False)
                entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                archive.writestr(entry, buffer.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
        os.replace(partial, path)
        return path

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        geometries: Sequence[Any] | npt.NDArray[Any],
        codes: Sequence[str] | npt.NDArray[Any],
        *,
        cell_deg: float = 0.01,
    ) -> TownIndex | None:
        """The index :meth:`save` wrote at ``path`` for these polygons, with nothing left to
        classify; None when the file is missing or unreadable, or was saved for other polygons
        (or another cell size or layout)."""
        geoms = np.asarray(geometries, dtype=object)
        _check_inputs(geoms, codes, cell_deg=cell_deg)
        index = cls.__new__(cls)
        index.codes = np.array([str(c) for c in codes], dtype=object)
        try:
            with np.load(path, allow_pickle=False) as saved:
                if saved["fingerprint"].item() != _fingerprint(geoms, index.codes, cell_deg):
                    return None
                for name in _SAVED:
                    setattr(index, name, saved[name.lstrip("_")])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None
        shapely.prepare(geoms)
        bounds = shapely.bounds(geoms)
        for _ in range(2):  # GEOS indexes a prepared polygon's edges at its second point test
            shapely.intersects_xy(geoms, bounds[:, 0::2].mean(axis=1), bounds[:, 1::2].mean(axis=1))
        index._geoms = geoms
        index._codes_or_none = np.array([*index.codes, None], dtype=object)
        index.cell_deg = float(cell_deg)
        index._bounds = tuple(float(v) for v in shapely.total_bounds(geoms))
        minx, miny, maxx, maxy = index._bounds
        index._nx = int(np.floor((maxx - minx) / index.cell_deg)) + 1  # as _build_grid
        index._ny = int(np.floor((maxy - miny) / index.cell_deg)) + 1
        return index

    def __len__(self) -> int:
        return len(self.codes)

    def __repr__(self) -> str:
        n_cells = int((self._state <= -2).sum())
        n_sub, n_refined = len(self._sub_x0), int(self._sub_ready.sum())
        n_fine = len(self._cand_ptr) - 1
        return (
            f"TownIndex({len(self)} polygons, grid {self._nx}x{self._ny} of {self.cell_deg} deg,"
            f" {n_cells} boundary cells, {n_sub} boundary sub-cells ({n_refined} refined,"
            f" {n_fine} boundary fine cells))"
        )

    def lookup(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> ObjectArray:
        """Return the code of the polygon holding each point, or None.

        Parameters
        ----------
        lon, lat : array_like
            Longitude and latitude in degrees (EPSG:4326); scalars or broadcastable arrays.

        Returns
        -------
        numpy.ndarray of object
            Codes (str), None where no polygon holds the point (including NaN input);
            same shape as the broadcast input.
        """
        index = self.lookup_index(lon, lat)
        # index the flat array: a 0-d index would return the bare element, not an array
        return self._codes_or_none[index.ravel()].reshape(index.shape)

    def lookup_index(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> IntArray:
        """Return the index of the polygon holding each point, or -1.

        Parameters
        ----------
        lon, lat : array_like
            Longitude and latitude in degrees (EPSG:4326); scalars or broadcastable arrays.

        Returns
        -------
        numpy.ndarray of intp
            Row positions into `codes`, -1 where no polygon holds the point;
            same shape as the broadcast input.
        """
        x, y = np.broadcast_arrays(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
        shape = x.shape
        x, y = x.ravel(), y.ravel()
        cell = self._cell_of(x, y)
        out = np.where(cell >= 0, self._state[np.maximum(cell, 0)], _EMPTY).astype(np.intp)
        pending = np.flatnonzero(out <= -2)
        if pending.size:
            px, py = x[pending], y[pending]
            sub = self._sub_cell_of(px, py, cell[pending])
            found = self._sub_state[sub].astype(np.intp)
            todo = np.flatnonzero(found <= -2)
            if todo.size:
                found[todo] = self._lookup_fine(px[todo], py[todo], -2 - found[todo])
            out[pending] = found
        return out.reshape(shape)

    def _build_grid(self) -> None:
        """Classify grid cells, then the sub-cells of every boundary cell."""
        minx, miny, maxx, maxy = self._bounds
        step = self.cell_deg
        # floor + 1: the grid reaches past maxx/maxy even when the extent is a whole
        # number of cells
        self._nx = int(np.floor((maxx - minx) / step)) + 1
        self._ny = int(np.floor((maxy - miny) / step)) + 1
        if self._nx * self._ny > _MAX_CELLS:
            raise ValueError(
                f"cell_deg={step} over bounds {self._bounds} makes a grid of"
                f" {self._nx} x {self._ny} cells, more than {_MAX_CELLS:,}; are the polygons"
                f" in lon/lat degrees? Use a larger cell_deg."
            )
        tree = shapely.STRtree(self._geoms)
        iy, ix = np.divmod(np.arange(self._nx * self._ny), self._nx)
        self._state, _, _ = _classify(
            self._geoms, tree, minx + ix * step, miny + iy * step, size=step
        )
        # every boundary cell is split into _SPLIT x _SPLIT sub-cells, numbered
        # b * _SPLIT**2 + sy * _SPLIT + sx for boundary cell number b
        cells = np.flatnonzero(self._state <= -2)
        sy, sx = np.divmod(np.arange(_SPLIT * _SPLIT), _SPLIT)
        sub = step / _SPLIT
        x0 = ((minx + ix[cells] * step)[:, None] + sx[None, :] * sub).ravel()
        y0 = ((miny + iy[cells] * step)[:, None] + sy[None, :] * sub).ravel()
        self._sub_state, _, _ = _classify(self._geoms, tree, x0, y0, size=sub)
        # and every boundary sub-cell into fine cells, numbered the same way from its corner,
        # when points first fall in it (see _refine): a few points never pay for all of them
        subs = np.flatnonzero(self._sub_state <= -2)
        self._sub_x0, self._sub_y0 = x0[subs], y0[subs]
        self._sub_ready = np.zeros(len(subs), dtype=bool)
        self._fine_state = np.full(len(subs) * _FINE * _FINE, _EMPTY, dtype=np.int32)
        self._cand_ptr = np.zeros(1, dtype=np.intp)
        self._cand_poly = np.zeros(0, dtype=np.intp)

    def _cell_of(self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> IntArray:
        """Return each point's flat cell number, -1 outside the polygons' total bounds."""
        minx, miny, maxx, maxy = self._bounds
        inside = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)  # NaN -> False
        fx = (np.where(inside, x, minx) - minx) / self.cell_deg
        fy = (np.where(inside, y, miny) - miny) / self.cell_deg
        # non-negative, so truncation is floor; min() absorbs rounding at the far edge
        ix = np.minimum(fx.astype(np.intp), self._nx - 1)
        iy = np.minimum(fy.astype(np.intp), self._ny - 1)
        return np.where(inside, iy * self._nx + ix, -1)

    def _sub_cell_of(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], cell: IntArray
    ) -> IntArray:
        """Return the sub-cell number of points lying in boundary cells ``cell``."""
        minx, miny, _, _ = self._bounds
        iy, ix = np.divmod(cell, self._nx)
        fx = np.floor(((x - minx) / self.cell_deg - ix) * _SPLIT)
        fy = np.floor(((y - miny) / self.cell_deg - iy) * _SPLIT)
        sx = np.clip(fx, 0, _SPLIT - 1).astype(np.intp)
        sy = np.clip(fy, 0, _SPLIT - 1).astype(np.intp)
        b = -2 - self._state[cell].astype(np.intp)
        return b * (_SPLIT * _SPLIT) + sy * _SPLIT + sx

    def _lookup_fine(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], bsub: IntArray
    ) -> IntArray:
        """Polygon index (or -1) of points lying in boundary sub-cells ``bsub``."""
        self._refine(np.unique(bsub[~self._sub_ready[bsub]]))
        fine = self.cell_deg / (_SPLIT * _FINE)
        fx = np.floor((x - self._sub_x0[bsub]) / fine)
        fy = np.floor((y - self._sub_y0[bsub]) / fine)
        sx = np.clip(fx, 0, _FINE - 1).astype(np.intp)
        sy = np.clip(fy, 0, _FINE - 1).astype(np.intp)
        cell = bsub * (_FINE * _FINE) + sy * _FINE + sx
        found = self._fine_state[cell].astype(np.intp)
        todo = np.flatnonzero(found <= -2)
        if todo.size:
            found[todo] = self._resolve(x[todo], y[todo], -2 - found[todo])
        return found

    def _refine(self, subs: IntArray) -> None:
        """Classify the fine cells of boundary sub-cells ``subs`` (once each, thread-safe)."""
        if not subs.size:
            return
        with _REFINE_LOCK:
            subs = subs[~self._sub_ready[subs]]
            if not subs.size:
                return
            fine = self.cell_deg / (_SPLIT * _FINE)
            fy, fx = np.divmod(np.arange(_FINE * _FINE), _FINE)
            state, ptr, poly = _classify(
                self._geoms,
                shapely.STRtree(self._geoms),
                (self._sub_x0[subs][:, None] + fx[None, :] * fine).ravel(),
                (self._sub_y0[subs][:, None] + fy[None, :] * fine).ravel(),
                size=fine,
            )
            # number the new boundary fine cells after those classified before; candidates
            # first, so that a concurrent reader never meets a state without its candidates
            offset = len(self._cand_ptr) - 1
            self._cand_poly = np.concatenate([self._cand_poly, poly])
            self._cand_ptr = np.concatenate([self._cand_ptr, ptr[1:] + self._cand_ptr[-1]])
            cells = subs[:, None] * (_FINE * _FINE) + np.arange(_FINE * _FINE)[None, :]
            self._fine_state[cells.ravel()] = np.where(state <= -2, state - offset, state)
            self._sub_ready[subs] = True

    def _resolve(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], bcell: IntArray
    ) -> IntArray:
        """Test points against their boundary fine cells' candidates; lowest index wins."""
        start = self._cand_ptr[bcell]
        count = self._cand_ptr[bcell + 1] - start
        point = np.repeat(np.arange(len(x)), count)
        # position of each (point, candidate) pair inside its sub-cell's candidate run
        offset = np.arange(len(point)) - np.repeat(np.cumsum(count) - count, count)
        poly = self._cand_poly[np.repeat(start, count) + offset]
        hit = shapely.intersects_xy(self._geoms[poly], x[point], y[point])
        point, poly = point[hit], poly[hit]
        # pairs run point by point, candidates ascending: keep each point's first hit
        first = np.ones(len(point), dtype=bool)
        first[1:] = point[1:] != point[:-1]
        out = np.full(len(x), -1, dtype=np.intp)
        out[point[first]] = poly[first]
        return out


def assign_points(lon: npt.ArrayLike, lat: npt.ArrayLike, index: TownIndex) -> ObjectArray:
    """Return the town code holding each lon/lat point, None where none does.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees (EPSG:4326).
    index : TownIndex
        The polygons to assign to.

    Returns
    -------
    numpy.ndarray of object
        Same as ``index.lookup(lon, lat)``.
    """
    return index.lookup(lon, lat)


def _classify(
    geoms: npt.NDArray[Any],
    tree: shapely.STRtree,
    x0: npt.NDArray[np.float64],
    y0: npt.NDArray[np.float64],
    *,
    size: float,
) -> tuple[npt.NDArray[np.int32], IntArray, IntArray]:
    """Classify square cells with lower-left corners ``x0, y0`` against the polygons.

    Returns
    -------
    state : numpy.ndarray of int32
        Per cell: the polygon index whose interior holds the whole (padded) cell; -1 if no
        polygon reaches it; ``-2 - b`` for the b-th boundary cell.
    cand_ptr, cand_poly : numpy.ndarray of intp
        Candidates of boundary cell b, ascending: ``cand_poly[cand_ptr[b]:cand_ptr[b + 1]]``.
    """
    pad = size * _PAD
    boxes = shapely.box(x0 - pad, y0 - pad, x0 + size + pad, y0 + size + pad)
    # envelope candidates, then the exact test with the prepared polygon on the left: much
    # faster than query(predicate=...), which prepares the small box instead
    cell_ids, poly_ids = tree.query(boxes)
    touching = shapely.intersects(geoms[poly_ids], boxes[cell_ids])
    cell_ids, poly_ids = cell_ids[touching], poly_ids[touching]
    order = np.lexsort((poly_ids, cell_ids))  # by cell, then polygon index
    cell_ids, poly_ids = cell_ids[order], poly_ids[order]

    n_cand = np.bincount(cell_ids, minlength=len(boxes))
    state = np.full(len(boxes), _EMPTY, dtype=np.int32)
    single = n_cand[cell_ids] == 1
    inside = np.zeros(len(cell_ids), dtype=bool)
    inside[single] = shapely.contains_properly(geoms[poly_ids[single]], boxes[cell_ids[single]])
    state[cell_ids[inside]] = poly_ids[inside]

    boundary = (n_cand > 0) & (state == _EMPTY)
    state[boundary] = -2 - np.arange(int(boundary.sum()), dtype=np.int32)
    cand_poly = poly_ids[boundary[cell_ids]].astype(np.intp)
    cand_ptr = np.concatenate([[0], np.cumsum(n_cand[boundary])]).astype(np.intp)
    return state, cand_ptr, cand_poly


def _fingerprint(geoms: npt.NDArray[Any], codes: npt.NDArray[Any], cell_deg: float) -> str:
    """A digest of the polygons (their WKB), their codes, the cell size and the saved layout."""
    digest = hashlib.sha256(f"{_LAYOUT}|{_SPLIT}|{_FINE}|{_PAD}|{cell_deg!r}".encode())
    digest.update("\x00".join(str(c) for c in codes).encode())
    for wkb in shapely.to_wkb(geoms):
        digest.update(wkb)
    return digest.hexdigest()


def _check_frame(gdf: gpd.GeoDataFrame, *, code_field: str) -> None:
    if code_field not in gdf.columns:
        raise BoundaryError(
            f"boundary frame has no code column {code_field!r}; columns are"
            f" {list(gdf.columns)}. Pass code_field= naming the column that holds the"
            f" town codes."
        )
    if gdf.crs is None:
        raise BoundaryError(
            "boundary frame has no CRS; expected EPSG:4326 lon/lat. If the coordinates are"
            " lon/lat degrees call gdf.set_crs(4326), otherwise set the true CRS and"
            " reproject with gdf.to_crs(4326)."
        )
    if not gdf.crs.equals("EPSG:4326", ignore_axis_order=True):
        raise BoundaryError(
            f"boundary frame is in {gdf.crs.to_string()!r} ({gdf.crs.name}); expected"
            f" EPSG:4326 lon/lat. Reproject first with gdf.to_crs(4326)."
        )
    nulls = gdf[code_field].isna()
    if nulls.any():
        rows = list(gdf.index[nulls][:5])
        raise BoundaryError(
            f"code column {code_field!r} has {int(nulls.sum())} missing value(s), first at"
            f" rows {rows}; every polygon needs a code. Drop or fill those rows."
        )


def _check_inputs(
    geoms: npt.NDArray[Any], codes: Sequence[str] | npt.NDArray[Any], *, cell_deg: float
) -> None:
    if not cell_deg > 0:
        raise ValueError(f"cell_deg must be a positive number of degrees, got {cell_deg!r}.")
    if geoms.ndim != 1 or len(geoms) == 0:
        raise BoundaryError(
            f"expected a non-empty 1-d sequence of polygons, got shape {geoms.shape}."
        )
    if len(codes) != len(geoms):
        raise BoundaryError(
            f"got {len(geoms)} geometries but {len(codes)} codes; pass one code per polygon."
        )
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    bad |= shapely.is_empty(geoms)
    if bad.any():
        where = np.flatnonzero(bad)[:5].tolist()
        kinds = [shapely.get_type_id(g) for g in geoms[bad][:5]]
        names = [shapely.GeometryType(k).name if k >= 0 else "None" for k in kinds]
        raise BoundaryError(
            f"{int(bad.sum())} geometries are not non-empty Polygon/MultiPolygon, first at"
            f" positions {where} ({', '.join(names)}). Drop them or fix the boundary file."
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        where = np.flatnonzero(invalid)[:5].tolist()
        reason = shapely.is_valid_reason(geoms[where[0]])
        raise BoundaryError(
            f"{int(invalid.sum())} polygons are invalid, first at positions {where}"
            f" ({reason}); point-in-polygon answers would be ill-defined. Repair them first,"
            f" e.g. gdf.geometry = gdf.make_valid()."
        )
