"""Figures layer: pure functions from arrays to Plotly figure dicts and Dash Patches."""
