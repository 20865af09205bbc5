"""Streamlit glue shared by app.py and the pages (the heatmap package itself never imports streamlit)."""
