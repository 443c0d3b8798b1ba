"""The register's memory of where a credit note came from: the ticket whose resolution made it
(T5), directly or through a service's termination (B5), and the staff user who resolved it.
Written in the resolving unit of work, so a credit note and its link exist together or not."""

from __future__ import annotations

from collections.abc import Iterable

from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
from ticketing.admin_models import TicketCreditNote


def link_credit_notes(
    uow: UnitOfWork, ticket_id: int, actor: Actor, credit_note_ids: Iterable[int]
) -> None:
    """Record that these credit notes come from this ticket, resolved by `actor`."""
    agent_id = int(actor.id) if actor.is_staff else None
    for credit_note_id in dict.fromkeys(credit_note_ids):
        uow.session.add(
            TicketCreditNote(
                credit_note_id=credit_note_id,
                ticket_id=ticket_id,
                agent_id=agent_id,
                created_at=uow.now,
            )
        )
