"""The five roles, what each may do, and the scope (districts, towns) a signed-in person reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from heatmap.errors import AccessError

#: role -> (Chinese label, English label)
ROLES: dict[str, tuple[str, str]] = {
    "city": ("市级", "City"),
    "district": ("区级", "District"),
    "town": ("街乡镇", "Street/township"),
    "admin": ("数据管理员", "Data administrator"),
    "viewer": ("只读", "Read-only"),
}

#: Chinese role names accepted wherever a role is given (identity-provider claims, the CLI).
_ALIASES = {label: role for role, (label, _) in ROLES.items()} | {"区": "district", "市": "city"}

#: What each role may do beyond reading its scope.
_RIGHTS: dict[str, frozenset[str]] = {
    "city": frozenset({"export", "work"}),
    "district": frozenset({"export", "work"}),
    "town": frozenset({"export", "work"}),
    "admin": frozenset({"export", "import", "audit", "work"}),
    "viewer": frozenset(),
}


def parse_role(value: str) -> str:
    """The role code of ``value`` (``city`` … or its Chinese name); refuses anything else."""
    role = _ALIASES.get(value.strip(), value.strip().lower())
    if role not in ROLES:
        raise AccessError(
            f"角色应为 {' / '.join(f'{r}（{z}）' for r, (z, _) in ROLES.items())}，收到 {value!r}"
        )
    return role


def role_label(role: str, lang: str = "zh") -> str:
    """The role's name on screen."""
    zh, en = ROLES.get(role, (role, role))
    return zh if lang == "zh" else en


@dataclass(frozen=True)
class Principal:
    """A signed-in person: name, role, the districts and towns granted, how they signed in.

    ``districts``/``towns`` are what the account was granted; :meth:`scope` turns them into what
    every read applies. A city, administrator or unrestricted read-only account sees the city.
    """

    name: str
    role: str
    districts: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    source: str = "local"  # local | oidc | demo

    def __post_init__(self) -> None:
        parse_role(self.role)
        if self.role == "district" and not self.districts:
            raise AccessError(f"区级账号 {self.name!r} 未指定所辖区（--district CODE）")
        if self.role == "town" and not self.towns:
            raise AccessError(f"街乡镇账号 {self.name!r} 未指定所辖街乡镇（--town CODE）")

    def can(self, right: str) -> bool:
        """Whether the role holds ``right`` (``export``, ``import``, ``audit``)."""
        return right in _RIGHTS[self.role]

    def require(self, right: str) -> None:
        """Refuse (:class:`AccessError`) what the role may not do."""
        if not self.can(right):
            raise AccessError(
                f"{role_label(self.role)}账号无权执行此操作（{_RIGHT_LABEL.get(right, right)}），请联系数据管理员"
            )

    def scope(self, town_districts: Mapping[str, str]) -> Scope:
        """The districts and towns this person reads; ``town_districts`` maps town -> district."""
        if self.role == "town":
            districts = {town_districts[t] for t in self.towns if t in town_districts}
            return Scope(tuple(sorted(districts)), tuple(sorted(self.towns)))
        if self.role in ("district", "viewer") and self.districts:
            return Scope(tuple(sorted(self.districts)), None)
        return Scope(None, None)

    @property
    def grant(self) -> str:
        """The granted towns, else districts, comma-separated ('' for the whole city)."""
        return ",".join(self.towns or self.districts)

    def describe(self, lang: str = "zh") -> str:
        """``name（区级：110105）`` for the sidebar and the audit trail."""
        grant = self.grant
        return f"{self.name}（{role_label(self.role, lang)}{'：' + grant if grant else ''}）"


_RIGHT_LABEL = {
    "export": "导出",
    "import": "导入与边界管理",
    "audit": "查看审计日志",
    "work": "编辑督导工作台",
}


@dataclass(frozen=True)
class Scope:
    """District codes (``None`` = the whole city) and, within them, town codes (``None`` = all)."""

    districts: tuple[str, ...] | None
    towns: tuple[str, ...] | None = None

    @property
    def is_city(self) -> bool:
        return self.districts is None and self.towns is None

    def allows(self, *, district: str | None = None, town: str | None = None) -> bool:
        """Whether a district or town code is inside the scope."""
        if district is not None and self.districts is not None and district not in self.districts:
            return False
        return town is None or self.towns is None or town in self.towns

    def refused(
        self,
        districts: Iterable[str],
        towns: Iterable[str],
        town_districts: Mapping[str, str],
    ) -> list[str]:
        """The requested district and town codes outside the scope (for the refusal message)."""
        out = [d for d in districts if not self.allows(district=d)]
        out += [t for t in towns if not self.allows(district=town_districts.get(t), town=t)]
        return out

    def label(self) -> str:
        if self.is_city:
            return "全市"
        return ",".join(self.towns or self.districts or ())


def grants(values: Sequence[str] | None) -> tuple[str, ...]:
    """District or town codes from a claim or the CLI (comma-separated strings or lists)."""
    out: list[str] = []
    for v in values or ():
        out += [p.strip() for p in str(v).replace("，", ",").split(",") if p.strip()]
    return tuple(dict.fromkeys(out))
