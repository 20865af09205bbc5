"""审计日志: who signed in, exported, imported or was refused, with filters and a CSV; the access policy."""

import datetime as dt

import streamlit as st

from heatmap.access import accounts, audit, policy
from heatmap.access.roles import role_label
from heatmap.i18n import t
from ui import auth, frame, views

ctx = frame.page_frame()
lang = ctx.lang
principal = auth.require("audit", lang)
store = auth.store_of_session()
st.header(t("page_audit", lang))
st.caption(t("audit_intro", lang))

tz = dt.timezone(dt.timedelta(hours=8))  # the days of the log are Beijing days
today = dt.datetime.now(tz).date()  # not the server's date: a UTC server is a day behind from 16:00
left, mid, right = st.columns([2, 2, 1])
picked = left.date_input(
    t("audit_dates", lang), value=(today - dt.timedelta(days=30), today), key="audit_dates"
)
start, end = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else (today, today)
names = {a: z if lang == "zh" else e for a, (z, e) in audit.ACTIONS.items()}
actions = mid.multiselect(
    t("audit_actions", lang), list(names), format_func=names.get, key="audit_actions",
    placeholder=t("all", lang),
)  # fmt: skip
user = right.text_input(t("audit_user", lang), key="audit_user", max_chars=64).strip() or None
since = dt.datetime.combine(start, dt.time(), tz).timestamp()
until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz).timestamp()
events = audit.read(store, since=since, until=until, actions=tuple(actions), user=user)
refused = int((events["outcome"] != "ok").sum())
st.caption(t("audit_count", lang, n=len(events), refused=refused))
shown = audit.table(events, lang)
st.dataframe(shown, hide_index=True, width="stretch", height=420)
views.downloads(shown, f"audit_{start}_{end}", lang, what="audit")

st.subheader(t("audit_users", lang))
users = accounts.list_users(store)
if users:
    table = [
        {t("audit_user", lang): u["name"], t("auth_role", lang): role_label(u["role"], lang),
         t("audit_grant", lang): u["towns"] or u["districts"] or t("scope_city", lang),
         t("audit_state", lang): t("audit_disabled" if u["disabled"] else "audit_locked" if u["locked"] else "audit_active", lang)}
        for u in users
    ]  # fmt: skip
    st.dataframe(table, hide_index=True, width="stretch")
else:
    st.info(t("audit_no_users", lang))
st.caption(t("audit_users_cli", lang))

st.subheader(t("audit_policy", lang))
values = policy.load(store)
with st.form("audit_policy_form"):
    other = st.toggle(t("policy_other_names", lang), value=bool(values["other_district_names"]))
    totals = st.toggle(t("policy_town_totals", lang), value=bool(values["town_sees_district_totals"]))
    # whole minutes and megabytes: integer inputs (no "30.00 分钟")
    idle = st.number_input(t("policy_idle", lang), 5, 24 * 60, int(values["session_idle_minutes"]), 5)
    failures = st.number_input(t("policy_failures", lang), 3, 20, int(values["lockout_failures"]), 1)
    lock = st.number_input(t("policy_lock", lang), 1, 24 * 60, int(values["lockout_minutes"]), 1)
    upload = st.number_input(t("policy_upload", lang), 1, 4096, int(values["upload_max_mb"]), 10)
    if st.form_submit_button(t("policy_save", lang)):
        wanted = {"other_district_names": other, "town_sees_district_totals": totals, "session_idle_minutes": idle,
                  "lockout_failures": int(failures), "lockout_minutes": lock, "upload_max_mb": upload}  # fmt: skip
        for name, value in wanted.items():
            if value != values[name]:
                policy.change(store, name, value, by=principal.name, role=principal.role)
        st.success(t("policy_saved", lang))
st.caption(t("policy_env", lang))
