"""T2, T3, T5, T7: pure ticketing rules; no database, no event loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support_desk.core.actors import Actor
from support_desk.core.settings import TicketingSettings
from ticketing import rules
from ticketing.errors import (
    AdminOnly,
    InvalidRating,
    InvalidTransition,
    NotTicketHolder,
    NotYourTicket,
    ReasonRequired,
    StaffOnly,
    TicketClosed,
)
from ticketing.models import TicketKind, TicketStatus

CAL = rules.WorkingCalendar()
MON_9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def test_t2_working_time_runs_only_in_working_hours() -> None:
    assert rules.add_working_time(at(5, 10), timedelta(hours=4), CAL) == at(5, 14)
    assert rules.add_working_time(at(5, 15), timedelta(hours=4), CAL) == at(6, 11)
    assert rules.add_working_time(at(5, 20), timedelta(hours=1), CAL) == at(6, 10)


def test_t2_weekends_do_not_count() -> None:
    friday_4pm = at(9, 16)

    assert rules.add_working_time(friday_4pm, timedelta(hours=2), CAL) == at(12, 10)
    assert rules.working_time_between(friday_4pm, at(12, 10), CAL) == timedelta(hours=2)


def test_t2_refunds_are_due_in_4_working_hours_the_rest_in_8() -> None:
    settings = TicketingSettings()

    refund = rules.initial_deadlines(TicketKind.REFUND, MON_9, settings)
    split = rules.initial_deadlines(TicketKind.COMPOUND_SPLIT, MON_9, settings)

    assert refund.first_response_due_at == at(5, 13)
    assert split.first_response_due_at == at(5, 17)
    assert split.resolution_due_at == at(9, 17)  # 40 working hours: Friday evening


def test_t2_a_pause_moves_the_deadlines_by_the_working_time_it_lasted() -> None:
    deadlines = rules.Deadlines(at(5, 13), at(6, 17))

    resumed = rules.resumed_deadlines(deadlines, at(5, 11), at(5, 20), CAL)  # 6 working hours

    assert resumed == rules.Deadlines(at(6, 11), at(7, 15))


def test_t2_a_pause_outside_working_hours_moves_nothing() -> None:
    deadlines = rules.Deadlines(at(6, 13), at(7, 17))

    assert rules.resumed_deadlines(deadlines, at(5, 18), at(6, 8), CAL) == deadlines


def test_t2_the_calendar_follows_the_teams_time_zone() -> None:
    berlin = rules.WorkingCalendar(tz=ZoneInfo("Europe/Berlin"))

    assert rules.add_working_time(at(5, 7), timedelta(hours=1), berlin) == at(5, 9)  # 10:00 CET


def test_t2_the_clock_pauses_while_waiting_on_the_customer_or_an_approval() -> None:
    assert rules.clock_paused(TicketStatus.WAITING_ON_CUSTOMER, False)
    assert rules.clock_paused(TicketStatus.IN_PROGRESS, True)
    assert not rules.clock_paused(TicketStatus.IN_PROGRESS, False)


def test_t2_overdue_means_live_running_and_past_due() -> None:
    due = at(5, 13)

    assert rules.is_overdue(TicketStatus.OPEN, due, False, at(5, 14))
    assert not rules.is_overdue(TicketStatus.OPEN, due, True, at(5, 14))
    assert not rules.is_overdue(TicketStatus.RESOLVED, due, False, at(5, 14))
    assert not rules.is_overdue(TicketStatus.OPEN, due, False, due)


def test_t2_the_queue_orders_by_priority_then_due_time_then_age() -> None:
    keys = [rules.queue_key(2, at(5, 10), 1), rules.queue_key(0, at(6, 10), 2)]
    keys.append(rules.queue_key(2, at(5, 10), 0))

    assert sorted(keys) == [keys[1], keys[2], keys[0]]


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2027, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    minutes=st.integers(min_value=0, max_value=60 * 200),
)
def test_t2_working_time_added_is_working_time_measured(start: datetime, minutes: int) -> None:
    amount = timedelta(minutes=minutes)

    end = rules.add_working_time(start, amount, CAL)

    assert end >= start
    assert rules.working_time_between(start, end, CAL) == amount


@given(
    a=st.integers(min_value=0, max_value=60 * 100),
    b=st.integers(min_value=0, max_value=60 * 100),
)
def test_t2_two_pauses_add_up(a: int, b: int) -> None:
    once = rules.add_working_time(MON_9, timedelta(minutes=a + b), CAL)
    twice = rules.add_working_time(
        rules.add_working_time(MON_9, timedelta(minutes=a), CAL), timedelta(minutes=b), CAL
    )

    assert rules.working_time_between(MON_9, once, CAL) == rules.working_time_between(
        MON_9, twice, CAL
    )


def test_ticket_life_cycle_allows_only_its_transitions() -> None:
    rules.ensure_transition(TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
    rules.ensure_transition(TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.IN_PROGRESS)

    with pytest.raises(InvalidTransition):
        rules.ensure_transition(TicketStatus.OPEN, TicketStatus.RESOLVED)
    with pytest.raises(TicketClosed):
        rules.ensure_transition(TicketStatus.RESOLVED, TicketStatus.OPEN)


def test_t3_only_the_holder_works_a_ticket() -> None:
    rules.ensure_holder(7, Actor.agent(7))

    with pytest.raises(NotTicketHolder):
        rules.ensure_holder(7, Actor.agent(8))
    with pytest.raises(NotTicketHolder):
        rules.ensure_holder(None, Actor.agent(7))
    with pytest.raises(StaffOnly):
        rules.ensure_holder(7, Actor.customer(7))
    rules.ensure_holder_or_admin(7, Actor.admin(1))


def test_roles_customers_see_their_own_tickets_and_only_admins_administer() -> None:
    rules.ensure_may_see(3, Actor.customer(3))
    rules.ensure_may_see(3, Actor.agent(1))

    with pytest.raises(NotYourTicket):
        rules.ensure_may_see(3, Actor.customer(4))
    with pytest.raises(AdminOnly):
        rules.ensure_admin(Actor.agent(1))


def test_t5_a_rejection_needs_a_reason() -> None:
    with pytest.raises(ReasonRequired):
        rules.ensure_reason("   ")
    assert rules.ensure_reason(" no ") == "no"


@pytest.mark.parametrize("rating", [0, 6, -1, True])
def test_t7_a_rating_is_1_to_5(rating: int) -> None:
    with pytest.raises(InvalidRating):
        rules.ensure_rating(rating)


def test_t1_a_joining_request_merges_its_lines() -> None:
    assert rules.merged_ids([3, 1], [2, 3]) == [1, 2, 3]
