"""``python -m heatmap users …``: add, list, disable, enable, set-role, password (read from stdin)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from heatmap import paths
from heatmap.access.roles import ROLES
from heatmap.errors import AccessError


def add_users_command(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``users`` command and its sub-commands."""
    users = subparsers.add_parser("users", help="本地账号：新建、列表、停用、角色 (local accounts)")
    sub = users.add_subparsers(title="users commands", metavar="ACTION")
    roles = ", ".join(f"{r}（{z}）" for r, (z, _) in ROLES.items())

    def grants(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--role", required=True, help=f"角色: {roles}")
        parser.add_argument("--district", nargs="*", default=[], metavar="CODE", help="所辖区代码")
        parser.add_argument("--town", nargs="*", default=[], metavar="CODE", help="所辖街乡镇代码")

    add = sub.add_parser("add", help="新建账号（密码从标准输入读取，不出现在命令行）")
    add.add_argument("name")
    grants(add)
    add.set_defaults(func=_add)
    role = sub.add_parser("set-role", help="修改账号的角色与所辖范围")
    role.add_argument("name")
    grants(role)
    role.set_defaults(func=_set_role)
    for action, text in (("disable", "停用账号"), ("enable", "重新启用账号并解除锁定"),
                         ("password", "重置密码（从标准输入读取）")):  # fmt: skip
        p = sub.add_parser(action, help=text)
        p.add_argument("name")
        p.set_defaults(func=_ACTIONS[action])
    lst = sub.add_parser("list", help="列出账号（不含密码）")
    lst.set_defaults(func=_list)
    for p in (add, role, lst, *[sub.choices[a] for a in ("disable", "enable", "password")]):
        p.add_argument("--db", help="数据库路径；账号保存在同目录的 <名称>.access.sqlite")


def read_password(*, confirm: bool = True) -> str:
    """The password from the terminal (asked twice) or the first line of piped stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("密码 / password: ")
        if confirm and getpass.getpass("再次输入 / again: ") != first:
            raise AccessError("两次输入的密码不一致")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _add(args: argparse.Namespace) -> int:
    from heatmap.access import accounts

    principal = accounts.add_user(
        paths.db_path(args.db), args.name, read_password(), role=args.role,
        districts=tuple(args.district), towns=tuple(args.town),
    )  # fmt: skip
    print(f"已新建账号 {principal.describe()}")
    return 0


def _set_role(args: argparse.Namespace) -> int:
    from heatmap.access import accounts

    principal = accounts.set_role(
        paths.db_path(args.db), args.name, role=args.role,
        districts=tuple(args.district), towns=tuple(args.town),
    )  # fmt: skip
    print(f"已修改 {principal.describe()}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    from heatmap.access import accounts

    accounts.set_disabled(paths.db_path(args.db), args.name, disabled=True)
    print(f"已停用账号 {args.name}")
    return 0


def _enable(args: argparse.Namespace) -> int:
    from heatmap.access import accounts

    accounts.set_disabled(paths.db_path(args.db), args.name, disabled=False)
    print(f"已启用账号 {args.name}")
    return 0


def _password(args: argparse.Namespace) -> int:
    from heatmap.access import accounts

    accounts.set_password(paths.db_path(args.db), args.name, read_password())
    print(f"已重置账号 {args.name} 的密码")
    return 0


def _list(args: argparse.Namespace) -> int:
    from heatmap.access import accounts

    print(json.dumps(accounts.list_users(paths.db_path(args.db)), ensure_ascii=False, indent=2))
    return 0


_ACTIONS = {"disable": _disable, "enable": _enable, "password": _password}


def add_audit_command(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``audit`` command: ``audit verify`` walks the trail's hash chain."""
    audit = subparsers.add_parser("audit", help="审计日志：校验哈希链 (the audit trail)")
    sub = audit.add_subparsers(title="audit commands", metavar="ACTION")
    verify = sub.add_parser(
        "verify", help="校验审计记录的哈希链：发现被删除、改动或伪造的记录（退出码 1）"
    )
    verify.add_argument("--db", help="数据库路径（或其 .access.sqlite 文件）")
    verify.set_defaults(func=_verify)


def _verify(args: argparse.Namespace) -> int:
    from heatmap.access import audit

    found = audit.verify(paths.db_path(args.db))
    print(f"审计记录 {found.rows} 条；链尾哈希 {found.head or '—'}")
    for problem in found.problems:
        print(f"  ✗ {problem}")
    print("哈希链完整 (chain intact)" if found.ok else "哈希链已断开 (chain broken)")
    return 0 if found.ok else 1
