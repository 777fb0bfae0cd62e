"""The zoo: datasets, Inspect AI tasks and ready-made workflows for motools."""
