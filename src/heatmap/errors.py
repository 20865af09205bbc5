"""Domain exceptions: each says what is wrong, what was expected, the value seen, and the fix."""

from __future__ import annotations


class HeatmapError(Exception):
    """Base class of every error the package raises on purpose."""


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
