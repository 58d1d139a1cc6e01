"""Fault drills (`make faults`): scripted crashes against real processes, counts as JSON lines.

Everything runs on a PostgreSQL cluster and a redis-server of the drills' own (own ports, a temporary
directory), so the machine's shared servers are never restarted. See tests/faults/run.py.
"""
