"""Billing refusals: each has a stable `code` the bot, the console and the API explain."""

from __future__ import annotations

from support_desk.core.errors import DomainError, NotFound, PermissionDenied


class BillingError(DomainError, code="billing_error"):
    """A refusal by a billing rule (B1 ... B13); not-found and permission refusals have their
    own bases in `support_desk.core.errors`."""


class CustomerNotFound(NotFound, code="customer_not_found"):
    message = "No such customer."


class ServiceNotFound(NotFound, code="service_not_found"):
    message = "No such service."


class InvoiceNotFound(NotFound, code="invoice_not_found"):
    message = "No such invoice."


class CreditNoteNotFound(NotFound, code="credit_note_not_found"):
    message = "No such credit note."


class PaymentNotFound(NotFound, code="payment_not_found"):
    message = "No such payment."


class NotYourInvoice(PermissionDenied, code="not_your_invoice", status=404):
    message = "This invoice does not belong to you."


class NotYourService(PermissionDenied, code="not_your_service", status=404):
    message = "This service does not belong to you."


class InvalidInvoice(BillingError, code="invalid_invoice"):
    message = "The invoice is not valid: {problem}"


class UnknownCurrency(BillingError, code="unknown_currency"):
    message = "The currency {currency} is not accepted."


class CompoundInvoicesDisabled(BillingError, code="compound_invoices_disabled"):
    message = "This customer has turned off compound invoices (B8)."


class InvoicePartiallyPaid(BillingError, code="invoice_partially_paid"):
    message = "Part of this invoice is paid, so it cannot be cancelled; ask for a refund."


class InvoicePaid(BillingError, code="invoice_paid"):
    message = "This invoice is paid, so it cannot be cancelled; ask for a refund."


class InvoiceIsCompound(BillingError, code="invoice_is_compound"):
    message = "This invoice covers several services; a split is done by a support ticket."


class InvoiceNotCancellable(BillingError, code="invoice_not_cancellable"):
    message = "An invoice in status {status} cannot be cancelled."


class InvoiceIssued(BillingError, code="invoice_issued"):
    message = (
        "An issued invoice is never changed: correct it with a replacement, which cancels it "
        "with a credit note and issues a new invoice."
    )


class InvoiceNotEditable(BillingError, code="invoice_not_editable"):
    message = "This invoice can no longer be changed."


class ServiceInUse(BillingError, code="service_in_use"):
    message = "The service {service} is in use: cancel the service instead."


class ServiceAlreadyTerminated(BillingError, code="service_already_terminated"):
    message = "This service is already terminated."


class UndoWindowPassed(BillingError, code="undo_window_passed"):
    message = "The time to undo this cancellation has passed."


class UndoNotAllowed(BillingError, code="undo_not_allowed"):
    message = "This cancellation cannot be undone."


class CreditNotePending(BillingError, code="credit_note_pending"):
    message = "A credit note for this invoice is awaiting approval."


class CreditNoteNotPending(BillingError, code="credit_note_not_pending"):
    message = "This credit note is not awaiting approval."


class OwnCreditNote(PermissionDenied, code="own_credit_note"):
    message = "Nobody approves their own credit note."


class ApprovalNeedsAdmin(PermissionDenied, code="approval_needs_admin"):
    message = "Only an admin approves or rejects credit notes."


class ExceedsCreditableAmount(BillingError, code="exceeds_creditable_amount"):
    message = "At most {creditable} can still be credited on this invoice."


class ExceedsRefundableAmount(BillingError, code="exceeds_refundable_amount"):
    message = "At most {refundable} can be refunded."


class RemainderNeedsDestination(BillingError, code="remainder_needs_destination"):
    message = "The credit exceeds what is due: choose a refund or account credit for the rest."


class NothingToCredit(BillingError, code="nothing_to_credit"):
    message = "There is nothing to credit."


class ExceedsBalance(BillingError, code="exceeds_balance"):
    message = "The payment is more than the {balance} still due."


class PartialPaymentNotAllowed(BillingError, code="partial_payment_not_allowed"):
    message = "This invoice must be paid in full."


class InvoiceNotPayable(BillingError, code="invoice_not_payable"):
    message = "An invoice in status {status} cannot take payments."


class InsufficientAccountCredit(BillingError, code="insufficient_account_credit"):
    message = "There is no account credit to apply."


class InvalidAmount(BillingError, code="invalid_amount"):
    message = "The amount must be a positive number of minor units."


class ConcurrentChange(BillingError, code="concurrent_change", status=409):
    message = "Someone changed this at the same moment; please try again."


class CustomerExists(BillingError, code="customer_exists", status=409):
    message = "A customer with this external id already exists."


class LinkTokenInvalid(BillingError, code="link_token_invalid"):
    message = "This link is not valid any more; ask for a new one."


class PaymentNotRefundable(BillingError, code="payment_not_refundable"):
    """B6: the payment named for a refund is not a payment in money of this invoice."""

    message = "Refunds go back to a payment in money of this invoice."


class TerminationAlreadyScheduled(BillingError, code="termination_already_scheduled"):
    message = "This service is already set to stop on {day}."


class NoTerminationScheduled(BillingError, code="no_termination_scheduled"):
    """B5: only a schedule not yet carried out can be withdrawn (its day not over)."""

    message = "This service is not set to stop; there is nothing to withdraw."


class NoBillingPeriod(BillingError, code="no_billing_period"):
    """B5: termination at period end needs a period still running."""

    message = "This service has no billing period running; terminate it now instead."
