"""Reading a finished (or running) log: the run summary, ``carbonsim check`` and the queries
behind ``events`` and ``trace``. Readers of the log only: nothing here imports the world.
"""
