"""The state store layer: see layer.py (what it registers) and component.py."""
