"""数据说明: where the data and the boundaries come from, what they are not, and the settings in force."""

import streamlit as st

from heatmap.i18n import t
from ui import frame, views

ctx = frame.page_frame()
st.header(t("page_about", ctx.lang))
views.about(ctx)
