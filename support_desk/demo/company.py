"""The demo company: a few weeks of a small hosting and coworking business, written only through
billing's and ticketing's use cases, so the demo shows states the product itself reaches.

Customers with services in use and ended; unpaid, partly paid, paid, compound and cancelled
invoices; earlier credit notes (one the customer made, one a ticket made, one awaiting an
admin's approval); tickets in every status with their threads; an agent and an admin. All in one
transaction (whole or nothing), each step dated in the past (`uow.now` moved back), the chat's
customer (bot.demo) last, today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import billing
import ticketing
from billing.commands import (
    CancelInvoice,
    CreateCustomer,
    DeliverInvoice,
    RecordPayment,
)
from billing.read_models import CustomerView, InvoiceView
from bot.demo import SEEDER, add_demo_customer, demo_invoice
from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
from support_desk.demo import threads
from support_desk.demo.marker import mark
from ticketing.commands import CreateUser, OpenTicket
from ticketing.models import Role, TicketKind

COMPANY = "Support Desk Hosting Ltd (demo)"


@dataclass(frozen=True, slots=True)
class Account:
    """A console login of the demo; its password is printed, as the demo is on loopback."""

    role: Role
    login: str
    name: str
    password: str


AGENT = Account(Role.AGENT, "agent", "Sam Taylor", "agent-demo")
ADMIN = Account(Role.ADMIN, "admin", "Robin Lee", "admin-demo")
ACCOUNTS = (AGENT, ADMIN)


@dataclass(slots=True)
class Staff:
    agent: Actor
    admin: Actor


class Story:
    """The seeding transaction and its calendar: `at(days, hours)` ago is when the next step
    happens."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.today: datetime = uow.now

    def at(self, days: float, hours: float = 0) -> UnitOfWork:
        self.uow.now = self.today - timedelta(days=days, hours=hours)
        return self.uow

    async def customer(self, key: str, name: str, company: str, email: str) -> CustomerView:
        cmd = CreateCustomer(
            external_id=f"demo-{key}", name=name, actor=SEEDER, email=email, company=company
        )
        return await billing.create_customer(self.uow, cmd)

    async def invoice(
        self, customer: CustomerView, description: str, *services: tuple[str, int]
    ) -> InvoiceView:
        """Issued and delivered, one line per new service at (name, monthly price)."""
        invoice = await demo_invoice(self.uow, customer.id, description, *services)
        return await billing.deliver_invoice(self.uow, DeliverInvoice(invoice.id, SEEDER))

    async def pay(self, invoice: InvoiceView, amount: int | None = None) -> None:
        cmd = RecordPayment(invoice.id, amount or invoice.total_minor, SEEDER, reference="demo")
        await billing.record_payment(self.uow, cmd)

    async def ticket(
        self,
        customer: CustomerView,
        kind: TicketKind,
        words: str,
        *,
        invoice_id: int | None = None,
        line_ids: tuple[int, ...] = (),
        service_ids: tuple[int, ...] = (),
    ) -> int:
        """The customer's request, in their words, as the bot would open it."""
        cmd = OpenTicket(
            customer.id,
            kind,
            words,
            Actor.customer(customer.id),
            invoice_id=invoice_id,
            line_ids=line_ids,
            service_ids=service_ids,
        )
        return (await ticketing.open_ticket(self.uow, cmd)).id


async def seed_company(uow: UnitOfWork, password_hashes: dict[str, str]) -> None:
    """Everything above, inside the caller's (one) transaction; the caller marks the database."""
    story = Story(uow)
    staff = await _staff(story.at(45), password_hashes)
    await _priya(story, staff)
    await _jonas(story, staff)
    await _maria(story, staff)
    await _tom(story, staff)
    await _lena(story, staff)
    story.at(0)
    await add_demo_customer(uow)
    mark(uow, COMPANY)


async def _staff(uow: UnitOfWork, password_hashes: dict[str, str]) -> Staff:
    actors = {}
    for account in ACCOUNTS:
        cmd = CreateUser(
            account.login, account.name, password_hashes[account.login], account.role, SEEDER
        )
        actors[account.role] = ticketing.actor_of(await ticketing.create_user(uow, cmd))
    return Staff(actors[Role.AGENT], actors[Role.ADMIN])


async def _priya(story: Story, staff: Staff) -> None:
    """Services in use and one ended through a ticket; a ticket-driven credit note (account
    credit for an outage); next month's invoice unpaid."""
    priya = await story.customer(
        "priya", "Priya Shah", "Shah Design Studio", "priya@shah-design.example"
    )
    story.at(40)
    june = await story.invoice(
        priya, "Hosting and mail, June", ("Website hosting", 2900), ("Email, 10 mailboxes", 1500)
    )
    story.at(38)
    await story.pay(june)
    await threads.tell(story, staff, priya, june, threads.END_MAILBOXES)
    await threads.tell(story, staff, priya, june, threads.CREDIT_FOR_OUTAGE)
    story.at(6)
    await story.invoice(priya, "Website hosting, July", ("Website hosting", 2900))


async def _jonas(story: Story, staff: Staff) -> None:
    """A self-service cancellation (the customer's own credit note); a compound invoice whose
    split an agent is working on."""
    jonas = await story.customer(
        "jonas", "Jonas Weber", "Weber & Söhne GmbH", "jonas.weber@weber-soehne.example"
    )
    story.at(16)
    trial = await story.invoice(jonas, "Dedicated server, trial", ("Dedicated server", 4900))
    uow = story.at(15, 20)
    reason = "Ordered by mistake: we wanted the cloud server"
    await billing.cancel_invoice(uow, CancelInvoice(trial.id, reason, Actor.customer(jonas.id)))
    story.at(12)
    compound = await story.invoice(
        jonas,
        "Cloud platform, July",
        ("Cloud VPS L", 8000),
        ("Managed backups", 1500),
        ("Static IP address", 500),
    )
    await threads.tell(story, staff, jonas, compound, threads.SPLIT_COMPOUND)


async def _maria(story: Story, staff: Staff) -> None:
    """A large paid invoice and a refund above the approval threshold, awaiting the admin; a
    partly paid invoice."""
    maria = await story.customer(
        "maria", "Maria Rossi", "Rossi Architetti", "maria@rossi-architetti.example"
    )
    story.at(30)
    office = await story.invoice(
        maria, "Private office, July", ("Private office (4 desks)", 45000)
    )
    story.at(29)
    await story.pay(office)
    story.at(10)
    rooms = await story.invoice(maria, "Meeting rooms, June", ("Meeting room hours", 12000))
    story.at(8)
    await story.pay(rooms, 5000)
    await threads.tell(story, staff, maria, office, threads.REFUND_AWAITING_APPROVAL)


async def _tom(story: Story, staff: Staff) -> None:
    """A refund question waiting on the customer, and a new question nobody has taken yet."""
    tom = await story.customer("tom", "Tom Becker", "", "tom.becker@example.com")
    story.at(9)
    vps = await story.invoice(tom, "Cloud VPS S, July", ("Cloud VPS S", 1200))
    await story.pay(vps)
    await threads.tell(story, staff, tom, vps, threads.CHARGED_TWICE)
    story.at(0, 2)
    await story.ticket(
        tom, TicketKind.QUESTION, "Hi! Do your cloud servers come with an IPv6 address?"
    )


async def _lena(story: Story, staff: Staff) -> None:
    """A refund turned down, with the reason the customer was told."""
    lena = await story.customer("lena", "Lena Novak", "Novak Photo", "lena@novak-photo.example")
    story.at(40)
    domain = await story.invoice(
        lena, "Domain renewal, 1 year", ("Domain novak-photo.example", 1500)
    )
    await story.pay(domain)
    await threads.tell(story, staff, lena, domain, threads.REFUND_REJECTED)
