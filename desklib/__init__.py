"""desklib — the support desk and AIOps lesson's small library.

Read the module for the step you are on:

========================  ==================================================
``records``               tickets, alerts, topology: loading and clear errors
``triage``                severity + confidence from keyword rules
``gate``                  the confidence gate: auto-route or a human
``routing`` / ``sla``     severity -> tier, the SLA clock and its events
``escalation``            move a ticket up a tier when it misses its SLA
``queue``                 the SLA-urgency queue (optional challenge)
``aiops``                 collapse an alert storm into incidents
``support_desk``          the whole desk path in a few lines
========================  ==================================================
"""
from __future__ import annotations

from .records import (Alert, InputError, Ticket, alerts_to_frame, load_alert_truth,
                      load_alerts, load_ticket_truth, load_tickets, load_topology,
                      tickets_to_frame)
from .data import DAY_END, DAY_START, LESSON_NOW, fixture
from .lesson import setup

__version__ = "0.1.0"

__all__ = ["Alert", "InputError", "Ticket", "alerts_to_frame", "load_alert_truth", "load_alerts",
           "load_ticket_truth", "load_tickets", "load_topology", "tickets_to_frame",
           "DAY_END", "DAY_START", "LESSON_NOW", "fixture", "setup", "__version__"]
