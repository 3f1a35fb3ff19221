"""The Crossplane layer: see layer.py (what it registers) and component.py."""
