"""motools_tui: the Textual terminal app over the motools store.

``motools_tui.core`` is headless (no textual import): polling, formatting, spec summaries,
results. ``components`` holds one widget per file, ``screens`` and ``modals`` the screens, and
``app.tcss`` all the styles. Start it with ``motools tui`` or ``motools-tui``.
"""
