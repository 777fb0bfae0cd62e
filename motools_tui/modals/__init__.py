"""Modal screens: confirmations, dialogs, pickers, help and errors."""
