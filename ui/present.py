"""演示模式 (presentation view): the page without sidebar and Streamlit chrome, 16:9, large type."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

from heatmap.i18n import t

KEY = "present"
EXIT_KEY = "present_exit"
_TRUE = ("1", "true", "yes", "on")

# Streamlit's own test ids and classes (stable across 1.4x–1.6x). The main block is as wide as a
# 16:9 box that fits the window, centred; type grows with the root font size (Streamlit sizes in rem).
CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="collapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], #MainMenu, footer { display: none !important; }
html { font-size: 22px; }
[data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #ffffff; margin-left: 0 !important; }
[data-testid="stMainBlockContainer"], .block-container {
  width: min(100vw, calc(100vh * 16 / 9)) !important;
  max-width: min(100vw, calc(100vh * 16 / 9)) !important;
  min-height: min(100vh, calc(100vw * 9 / 16));
  margin: 0 auto !important;
  padding: 2.5vh 3vw 2vh 3vw !important;
}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"] { font-size: 1.15rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 2.4rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.1rem !important; }
.st-key-present_exit { position: fixed; top: 0.4rem; right: 0.6rem; z-index: 1000000; opacity: 0.12; }
.st-key-present_exit:hover { opacity: 1; }
"""


def presentation_mode(lang: str) -> bool:
    """Offer the 演示模式 switch in the sidebar and, when it is on, restyle the page.

    The switch starts from the URL (``?present=1``). When on, the sidebar, header, toolbar and
    footer are hidden, the content is a centred 16:9 box with large type, and a faint "exit" button
    sits in the top-right corner (fully visible on hover). Safe to call more than once in a run (the
    shared frame and a page may both call it): later calls only report the state.

    Returns
    -------
    bool
        Whether the presentation view is on.
    """
    if KEY not in st.session_state:
        st.session_state[KEY] = str(st.query_params.get(KEY, "")).lower() in _TRUE
    try:
        on = st.sidebar.toggle(t("present_toggle", lang), key=KEY)
    except StreamlitDuplicateElementKey:  # already rendered in this run
        return bool(st.session_state.get(KEY))
    if on:
        st.html(f"<style>{CSS}</style>")
        st.button(t("present_exit", lang), key=EXIT_KEY, on_click=_leave)
    return bool(on)


def _leave() -> None:
    st.session_state[KEY] = False
    if KEY in st.query_params:
        del st.query_params[KEY]
