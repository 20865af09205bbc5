"""Domain exceptions: each says what is wrong, what was expected, the value seen, and the fix."""

from __future__ import annotations


class HeatmapError(Exception):
    """Base class of every error the package raises on purpose."""


class LayoutError(HeatmapError):
    """An export's headers do not give what the import needs; ``missing`` names each need
    (in Chinese) and ``seen`` the headers read."""

    def __init__(self, message: str, *, missing: list[str], seen: list[str]) -> None:
        super().__init__(message)
        self.missing = missing
        self.seen = seen


class CoordinateSystemError(HeatmapError, ValueError):
    """An unknown coordinate system name was given."""


class BoundaryError(HeatmapError):
    """A boundary set is missing, malformed, or lacks a required field."""


class StoreError(HeatmapError):
    """The embedded store is missing, of another schema version, or was asked something invalid."""


class FilterError(HeatmapError, ValueError):
    """A filter value (month, district, town, theme) is not one the store knows."""


class AccessError(HeatmapError, PermissionError):
    """A sign-in failed, or a signed-in person asked for what their role or scope does not allow."""


class ScopeError(AccessError, FilterError):
    """A view, link or export asked for a district or town outside the signed-in person's scope."""


class WorkError(HeatmapError, ValueError):
    """A 督导工作台 entry (talk, item, project, visit, support) has an invalid field or is missing."""


class ConflictError(HeatmapError):
    """An entry was changed by someone else since it was read (its version moved): nothing written.

    ``entry_id``, ``version`` (the current one), ``changed_by`` and ``changed_at`` (epoch seconds)
    name the change that won, so the page can say who and when and offer to reload.
    """

    entry_id: int | None = None
    version: int | None = None
    changed_by: str = ""
    changed_at: float | None = None


class ScaleError(HeatmapError):
    """The scale-out path cannot run: the ``scale`` extra (dask) is missing, or its Parquet is unusable."""
