"""Build-time helpers for `build.py`: each module does one step of turning the repo into `dist/`."""
