"""Message ids used dynamically in templates (roles, purposes, sources, classes …), listed here
so that `pybabel extract` finds them. Add a new enum value here and in the catalogs."""

from __future__ import annotations


def _(message: str) -> str:
    return message


DYNAMIC = [
    # roles
    _("account_manager"),
    _("reviewer"),
    _("approver"),
    _("expert"),
    _("risk_manager"),
    _("underwriter"),
    _("regulator"),
    _("admin"),
    _("enterprise"),
    # consent purposes
    _("credit_assessment"),
    _("post_loan_monitoring"),
    _("insurance_underwriting"),
    _("guarantee"),
    _("investment"),
    # data sources
    _("registry"),
    _("tax"),
    _("social_security"),
    _("customs"),
    _("utilities"),
    _("credit_register"),
    _("financials"),
    _("patents"),
    _("funding"),
    _("court"),
    _("titles"),
    _("tech_transfer"),
    # titles
    _("hnte"),
    _("tech_sme"),
    _("innovative_sme"),
    _("srdi"),
    _("little_giant"),
    _("single_champion"),
    # title status and recognition outcomes
    _("valid"),
    _("expiring"),
    _("expired"),
    _("not_yet_valid"),
    _("size"),
    _("tags"),
    _("qualifies"),
    _("does_not_qualify"),
    _("passes"),
    _("fails"),
    _("needs_expert_review"),
    _("not_evaluated"),
    _("large"),
    _("medium"),
    _("small"),
    _("micro"),
    # court records
    _("enforcement"),
    _("dishonest"),
    # patent kinds
    _("invention"),
    _("utility"),
    _("design"),
    # risk classes
    _("normal"),
    _("special_mention"),
    _("substandard"),
    _("doubtful"),
    _("loss"),
    # the home page's work list
    _("Applications waiting for you"),
    _("Open post-loan tasks"),
    _("Open IP alerts"),
    _("Borrowers on the watch list"),
    # states of requests and entries awaiting a checker
    _("pending"),
    _("approved"),
    _("rejected"),
    _("confirmed"),
    # use-of-funds findings and their reviews
    _("prohibited"),
    _("suspected"),
    _("unevidenced"),
    _("cleared"),
    # errors and notices
    _("Your session has expired. Please log in again."),
    _("Not found"),
    _("Forbidden"),
    _("Consent required"),
    _("Invalid input"),
    _("Bad request"),
    _("Not authenticated"),
    _("Conflict"),
    _("Error"),
    _("Method not allowed"),
]
