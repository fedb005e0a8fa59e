"""Signals other apps listen to."""

from django.dispatch import Signal

# Sent after the transaction that closed a complaint commits: sender=Complaint, complaint=<Complaint>.
complaint_closed = Signal()
