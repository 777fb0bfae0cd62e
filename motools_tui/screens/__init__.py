"""The app's screens (modals live in ``motools_tui.modals``)."""
