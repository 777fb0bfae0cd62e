"""motools_tui: the Textual terminal app over the motools store.

``app`` builds one ``AppContext`` (``context``) for every screen; screens talk to the app with
the messages in ``messages``. ``core`` is headless (no textual): results, tables, the sweep
model, specs, actions. ``components`` holds one widget per file, ``screens`` and ``modals`` the
screens, and ``app.tcss`` all the styles. Start it with ``motools tui`` or ``motools-tui``.
"""
