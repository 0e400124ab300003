"""The run queue shared by any number of `brandloop worker` processes: a Postgres table claimed with
SELECT ... FOR UPDATE SKIP LOCKED, leases that expire when a worker dies, resume from the run's checkpoint."""
