"""The simulated world: the SimPy processes of a run and what they share.

Consumers and their sessions (:mod:`.sessions`) or exogenous demand (:mod:`.demand`), the
catalog, the warehouse and its packing, the dispatcher that calls the router each wave, the
vehicles that drive the plans, and the labeller that turns a delivered order's emissions into its
carbon label. They write events through :class:`sim.world.context.Context`; they never read the
log back, and they import neither the CLI, the analysis nor the exporters.
"""
