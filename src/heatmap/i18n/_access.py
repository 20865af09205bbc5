"""Interface text of sign-in, roles and scope, refusals, the audit trail and the access policy."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "auth_title": ("登录", "Sign in"),
    "auth_help": (
        "本系统数据按角色与辖区授权查看。账号由数据管理员开设。",
        "What you see depends on your role and area. Accounts are created by the data "
        "administrator (python -m heatmap users add).",
    ),
    "auth_name": ("账号", "Account"),
    "auth_password": ("密码", "Password"),
    "auth_sign_in": ("登录", "Sign in"),
    "auth_sso": ("使用单位统一身份认证登录", "Sign in with your organisation's single sign-on"),
    "auth_sign_out": ("退出登录", "Sign out"),
    "auth_signed_in_as": ("当前账号：{who}", "Signed in: {who}"),
    "auth_role": ("角色", "Role"),
    "auth_failed": ("登录失败：{error}", "Sign-in failed: {error}"),
    "auth_expired": ("登录已超时，请重新登录。", "Your session expired; please sign in again."),
    "auth_refused": ("{error}", "Not allowed: {error}"),
    "auth_config_error": (
        "登录配置有误：{error}",
        "The sign-in configuration is wrong: {error}",
    ),
    "auth_demo_mode": (
        "演示模式，未启用登录：演示数据为合成数据，任何访问者均可查看全部页面。",
        "Demo mode, sign-in not enabled: the demo data is synthetic and every visitor sees "
        "every page.",
    ),
    "auth_off_real": (
        "未启用登录：任何能访问本端口的人都能查看全部数据并导入文件。请管理员开启登录。",
        "Sign-in is switched off (HEATMAP_AUTH=off): anyone who reaches this port sees all data "
        "and can import files.",
    ),
    "scope_refused": (
        "无权查看链接中的区或街乡镇：{codes}。已按您的授权范围显示，此次请求已记录。",
        "The link asks for districts or towns outside your scope: {codes}. Showing your own "
        "area instead; the request was logged.",
    ),
    "scope_city": ("全市", "Whole city"),
    "export_not_allowed": (
        "只读账号不能导出或生成简报。",
        "Read-only accounts cannot export or build briefings.",
    ),
    "audit_intro": (
        "登录与退出、导出与简报、导入、边界启用、别名与设置修改、越权请求，均按时间记录，不可修改或删除。",
        "Sign-ins and sign-outs, exports and briefings, imports, boundary activations, alias and "
        "setting changes and refused requests, in time order; entries cannot be changed or deleted.",
    ),
    "audit_dates": ("日期", "Dates"),
    "audit_actions": ("事件", "Events"),
    "audit_user": ("账号", "Account"),
    "audit_count": ("共 {n:,} 条，其中被拒绝 {refused:,} 条", "{n:,} events, {refused:,} refused"),
    "audit_users": ("账号", "Accounts"),
    "audit_grant": ("授权范围", "Granted area"),
    "audit_state": ("状态", "State"),
    "audit_active": ("正常", "Active"),
    "audit_disabled": ("已停用", "Disabled"),
    "audit_locked": ("已锁定", "Locked"),
    "audit_no_users": ("尚无本地账号。", "No local accounts yet."),
    "audit_users_cli": (
        "账号由管理员在服务器命令行中管理（开设、停用、启用、改角色、改密码），命令见使用说明（README）。",
        "Accounts are managed on the server: python -m heatmap users add|list|disable|enable|"
        "set-role|password (the password is read from stdin).",
    ),
    "audit_policy": ("访问策略", "Access policy"),
    "policy_other_names": (
        "区级、街乡镇账号在排名中可见其他区的街乡镇名称",
        "District and town accounts see other districts' town names in rankings",
    ),
    "policy_town_totals": (
        "街乡镇账号可见本区的区级汇总（含未授权街乡镇的数字）",
        "Town accounts see their district's totals (which include towns they were not granted)",
    ),
    "scope_no_district_totals": (
        "街乡镇账号不显示区级汇总：区的数字包含未授权给本账号的街乡镇（访问策略可由数据管理员调整）。",
        "Town accounts see no district totals: a district's figures include towns this account "
        "was not granted (a data administrator may change this in the access policy).",
    ),
    "policy_idle": ("无操作自动退出（分钟）", "Sign out after idle (minutes)"),
    "policy_failures": ("连续失败几次锁定账号", "Failures before an account locks"),
    "policy_lock": ("锁定时长（分钟）", "Lockout (minutes)"),
    "policy_upload": ("上传文件大小上限（MB）", "Upload size limit (MB)"),
    "policy_save": ("保存策略", "Save policy"),
    "policy_saved": ("已保存，修改已记入审计日志。", "Saved; the change is in the audit trail."),
    "policy_env": (
        "登录方式与单点登录的声明名称由服务器环境变量设定，见使用说明（README）。",
        "The sign-in method (HEATMAP_AUTH=auto|local|oidc|off) and the single sign-on claim "
        "names are set in the server's environment; see the README.",
    ),
}
