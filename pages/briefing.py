"""月度简报: the meeting's PNG / PDF / PPTX for the sidebar's month and scope, with downloads and previews."""

import io
import tempfile
import time
import zipfile
from pathlib import Path

import streamlit as st

from heatmap.errors import HeatmapError
from heatmap.i18n import t
from heatmap.output.briefing import build_briefing, resolve_district, work_counts
from heatmap.settings import make_settings
from ui import auth, frame, present, views

present.presentation_mode(frame.current_lang())  # before the frame rewrites the URL (?present=1)
ctx = frame.page_frame()
lang, f = ctx.lang, ctx.filters
rules = views.rules_panel(lang)
settings = make_settings({**rules.values, "volume_measure": ctx.measure})
month = f.month_to
district = f.districts[0] if len(f.districts) == 1 else None
if district is None and ctx.scope is not None and len(ctx.scope) == 1:
    district = ctx.scope[0]
if ctx.scope_towns is not None:
    st.info(t("brief_town_scope", lang))
    st.stop()
if district is None and ctx.scope is not None:
    st.error("本服务只开放部分区：请在侧栏选择一个区后生成简报 (pick one district in the sidebar)")
    st.stop()
try:
    scope = resolve_district(ctx.con(), district)[1] if district else t("brief_scope_city", lang)
except HeatmapError as exc:
    frame.show_error(exc, lang)

st.subheader(f"{t('page_briefing', lang)}：{month} · {scope}")
views.notice_line(ctx)
st.caption(t("brief_intro", lang, month=month, scope=scope))

request = (ctx.db, month, district, lang, tuple(sorted(settings.values.items())))
allowed = ctx.principal.can("export")
if not allowed:
    st.caption(t("export_not_allowed", lang))
if st.button(t("brief_build", lang), type="primary", key="brief_build", disabled=not allowed):
    auth.require("export", lang)
    auth.log("briefing", target=f"{month} {scope}", detail=lang)
    started = time.perf_counter()
    with st.spinner(t("brief_building", lang)), tempfile.TemporaryDirectory() as tmp:
        try:
            paths = build_briefing(
                ctx.con(), month=month, district=district, out_dir=tmp, lang=lang, settings=settings,
                work=work_counts(ctx.db, month),
            )  # fmt: skip
        except HeatmapError as exc:
            st.error(t("brief_failed", lang, error=exc))
            st.stop()
        files = {p.name: p.read_bytes() for p in paths}
    st.session_state["brief_result"] = {
        "request": request,
        "files": files,
        "seconds": time.perf_counter() - started,
    }

result = st.session_state.get("brief_result")
if not result or result["request"] != request:
    st.stop()

files: dict[str, bytes] = result["files"]
st.success(t("brief_built", lang, n=len(files), seconds=result["seconds"]))
MIME = {
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
archive = io.BytesIO()
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
    for name, data in files.items():
        bundle.writestr(name, data)
stem = Path(next(n for n in files if n.endswith(".pdf"))).stem

st.markdown(f"**{t('brief_files', lang)}**")
st.download_button(
    t("brief_download_all", lang),
    auth.logged_download(archive.getvalue, target=f"{stem}.zip", detail="briefing"),
    file_name=f"{stem}.zip", mime="application/zip", key="brief_zip", type="primary", on_click="ignore",
)  # fmt: skip
columns = st.columns(4)
for i, (name, data) in enumerate(files.items()):
    suffix = Path(name).suffix
    figure = name.removeprefix(f"{stem}_").removesuffix(suffix)  # e.g. 01_map
    label = (
        t("brief_file_" + suffix[1:], lang)
        if figure == name.removesuffix(suffix)
        else f"PNG {figure[:2]} · {t('brief_fig_' + figure[3:], lang)}"
    )
    columns[i % 4].download_button(
        label, auth.logged_download(lambda data=data: data, target=name, detail="briefing"),  # type: ignore[misc]
        file_name=name, mime=MIME[suffix], key=f"brief_file_{i}", help=name, on_click="ignore",
    )  # fmt: skip

st.markdown(f"**{t('brief_preview', lang)}**")
pngs = [(name, data) for name, data in files.items() if name.endswith(".png")]
for left, right in zip(pngs[::2], [*pngs[1::2], None], strict=False):
    cols = st.columns(2)
    cols[0].image(left[1], caption=left[0], width="stretch")
    if right is not None:
        cols[1].image(right[1], caption=right[0], width="stretch")
