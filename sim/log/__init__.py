"""The event log: event types, the SQLite store and its migrations, and who is writing it.

Also what each event type carries in its data (:mod:`.payloads`). The only layer every other
one reads. It imports nothing of the world, the analysis or the CLI.
"""
