"""carbonsim's simulation package. So far it holds the command-line interface (``sim.cli``);
the SimPy platform world arrives with the simulation issue."""
