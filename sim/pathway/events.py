"""The kinds of event on the model's calendar, and which stage handles each.

Each event on :class:`sim.scheduling.EventQueue` carries one of these kinds; the model
hands it to the stage that owns it:

=============  ==========================================  ================================
kind           what happens                                handled in
=============  ==========================================  ================================
NATURAL        a need's next natural event: identified,    :mod:`sim.pathway.needs`
               escalated, resolved or disengaged
CONSENT        the family answers the request for consent  :mod:`sim.pathway.assessment`
TASK           a practitioner finishes a diary task         :mod:`sim.diary`
ALLOCATE       the allocation decision on a request        :mod:`sim.pathway.allocation`
TAC            the Team Around the Child meets              :mod:`sim.pathway.support`
SUPPORT        support starts after the meeting             :mod:`sim.pathway.support`
REVIEW         a review of the support plan falls due       :mod:`sim.pathway.support`
SPECIALIST     a social care or CAMHS case moves on          :mod:`sim.services`
=============  ==========================================  ================================
"""

from __future__ import annotations

from enum import IntEnum


class Event(IntEnum):
    """Kind of a calendar event; its value indexes the model's table of handlers."""

    NATURAL = 0
    CONSENT = 1
    TASK = 2
    ALLOCATE = 3
    TAC = 4
    SUPPORT = 5
    REVIEW = 6
    SPECIALIST = 7


# Module-level names for the members: reading a member off an Enum class costs about
# 0.2 microseconds in Python 3.11, and the pathway schedules millions of events.
NATURAL, CONSENT, TASK, ALLOCATE, TAC, SUPPORT, REVIEW, SPECIALIST = Event
