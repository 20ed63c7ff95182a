"""The package's clock: every time is in minutes, and a day has MINUTES_PER_DAY of them.

Kept free of imports so the CLI and the log readers can use it without loading numpy."""

MINUTES_PER_DAY = 1440.0
