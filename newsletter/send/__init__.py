"""The send layer: the one send facade, the ledger, guards, schedule and jobs."""
