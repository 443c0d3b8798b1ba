"""Money: invoices, payments, credit notes, refunds, account credit.

Knows nothing of tickets or Telegram.
"""
