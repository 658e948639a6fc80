"""The bounded worker pool of the dashboard's heavy computations (:mod:`osca_core.workers.pool`)."""

from osca_core.workers.pool import Busy, Cancelled, Job, WorkerPool, checkpoint, in_worker

__all__ = ["Busy", "Cancelled", "Job", "WorkerPool", "checkpoint", "in_worker"]
