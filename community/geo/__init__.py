"""The map's geometry: europe.json, built by scripts/build_geometry.py (see ATTRIBUTION.md)."""
