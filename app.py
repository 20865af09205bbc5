"""Router: page config, sign-in, the shared sidebar, the page list for the signed-in role."""

import streamlit as st

from heatmap.i18n import t
from ui.auth import gate, page_after_sign_in, refuse_unlisted_page
from ui.frame import close_frame, current_lang, open_frame

st.set_page_config(page_title="12345 诉求热力图", page_icon="🗺️", layout="wide")
lang = current_lang()
principal = gate(lang, router=True)
home = st.Page("pages/heat_map.py", title=t("page_heatmap", lang), icon=":material/map:", url_path="heatmap", default=True)  # fmt: skip
pages = [
    home,
    st.Page("pages/ranking.py", title=t("page_ranking", lang), icon=":material/format_list_numbered:", url_path="ranking"),
    st.Page("pages/governance.py", title=t("page_governance", lang), icon=":material/flag:", url_path="governance"),
    st.Page("pages/warning.py", title=t("page_warning", lang), icon=":material/warning:", url_path="warning"),
    st.Page("pages/topics.py", title=t("page_topics", lang), icon=":material/checklist:", url_path="topics"),
    st.Page("pages/categories.py", title=t("page_categories", lang), icon=":material/category:", url_path="categories"),
    st.Page("pages/workbench.py", title=t("page_workbench", lang), icon=":material/assignment:", url_path="workbench"),
    st.Page("pages/briefing.py", title=t("page_briefing", lang), icon=":material/slideshow:", url_path="briefing"),
]  # fmt: skip
if principal.can("import"):
    pages.append(st.Page("pages/data.py", title=t("page_data", lang), icon=":material/upload_file:", url_path="data"))  # fmt: skip
if principal.can("audit"):
    pages.append(st.Page("pages/audit.py", title=t("page_audit", lang), icon=":material/policy:", url_path="audit"))  # fmt: skip
pages.append(st.Page("pages/about.py", title=t("page_about", lang), icon=":material/info:", url_path="notes"))
# The default page answers at "/" only: "/map" is an alias, hidden from the list, that opens it.
alias = st.Page("pages/heat_map.py", title=t("page_heatmap", lang), url_path="map")
refuse_unlisted_page(pages, lang)  # /data or /audit by URL without the right: said and logged
current = st.navigation([*pages, alias])
st.html("<style>[data-testid='stSidebarNav'] a[href$='/map'] { display: none; }</style>")
params = {k: st.query_params.get_all(k) for k in st.query_params}
if current.url_path == alias.url_path:
    st.switch_page(home, query_params=params)
if (target := page_after_sign_in(pages, current)) is not None:  # the shared link's page, kept
    st.switch_page(target, query_params=params)
open_frame()
try:
    current.run()
finally:
    close_frame()
