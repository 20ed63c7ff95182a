"""The package's units: every time is in minutes (a day has MINUTES_PER_DAY of them), and a
vehicle's capacity and an order's demand are in capacity units of KG_PER_CAPACITY_UNIT kg.

Kept free of imports so the CLI and the log readers can use it without loading numpy."""

MINUTES_PER_DAY = 1440.0

#: optimizer.model's truck capacities and the simulation's order demands are in units of
#: 100 kg (ours: paper Table 2's average loads of 1.2-8.5 t become capacities of 15-120).
KG_PER_CAPACITY_UNIT = 100.0
