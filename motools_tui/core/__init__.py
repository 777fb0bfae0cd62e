"""The app's headless core: everything here works without textual (and is tested without it).

Nothing in this package imports pandas, matplotlib, inspect_ai or tinker at module level; the
functions that need them import them when called, from a worker thread.
"""
