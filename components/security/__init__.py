"""The security baseline layer: see layer.py (what it registers) and component.py."""
