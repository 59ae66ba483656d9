"""Which endpoints write, and which fuzz test feeds each one hostile values: a new writing endpoint
fails here until it is fuzzed or exempted with a reason."""
from __future__ import annotations

import importlib
import os
import pkgutil

from tests.guarantees.fuzz.strategies import writing_rules

FUZZED = {
    "api.incident_create": "test_api_incident_texts",
    "api.incident_update": "test_api_incident_texts",
    "api.incident_transition": "test_api_transition_comments_and_versions",
    "api.facility_create": "test_api_facility",
    "api.evidence_create": "test_api_evidence",
    "api.evidence_assess": "test_api_evidence",
    "api.evidence_confirm_verification": "test_api_verification_confirmation",
    "api.evidence_withdraw": "test_api_withdrawal",
    "api.evidence_redaction_decide": "test_api_redaction",
    "api.dossier_create": "test_api_dossier_requests",
    "api.upload_create": "test_api_upload_begin",
    "api.upload_append": "test_api_upload_parts",
    "api.upload_cancel": "test_api_upload_cancel",
    "api.comment_create": "test_api_comments",
    "comments.post": "test_page_comments",
    "notifications.email_setting": "test_page_email_setting",
    "records.new_incident": "test_page_incident_form",
    "records.edit_incident": "test_page_incident_form",
    "records.new_facility": "test_page_facility_form",
    "records.edit_facility": "test_page_facility_form",
    "records.similar_draft": "test_page_similar_question",
    "records.mark_duplicate": "test_page_duplicate_marks",
    "drafts.new_incident": "test_page_drafts",
    "drafts.edit_incident": "test_page_drafts",
    "evidence.upload": "test_page_evidence_forms",
    "evidence.assess": "test_page_evidence_forms",
    "evidence.confirm_verification": "test_page_verification_confirmation",
    "evidence.assign": "test_page_evidence_forms",
    "evidence.withdraw": "test_page_withdrawal",
    "evidence.redaction_page": "test_page_redaction",
    "review.transition": "test_page_review_transition",
    "admin.users": "test_page_admin_forms",
    "admin.update_user": "test_page_admin_forms",
    "admin.organisation": "test_page_organisation_profile",
    "dossiers.add": "test_page_dossier_forms",
    "dossiers.remove": "test_page_dossier_forms",
    "dossiers.build": "test_page_dossier_forms",
    "auth.login": "test_page_sign_in_forms",
    "auth.login_code": "test_page_sign_in_forms",
    "auth.set_password": "test_page_sign_in_forms",
    "auth.set_language": "test_page_sign_in_forms",
    "auth.two_factor_confirm": "test_page_sign_in_forms",
    "auth.two_factor_restart": "test_page_sign_in_forms",
    "auth.two_factor_recovery_codes": "test_page_sign_in_forms",
}

# Writing endpoints with no field of their own to fuzz. They still get random fields and forged
# tokens in test_every_page_refuses_forged_posts and test_every_api_write_survives_any_body.
EXEMPT = {
    # A button: its only field is the CSRF token.
    "auth.logout": "button without fields",
    # A button: its only field is the CSRF token; the token it shows is made by the app.
    "auth.new_token": "button without fields",
    # A button: its only field is the CSRF token; it empties the selection kept in the session.
    "dossiers.clear": "button without fields",
    # Buttons: marking notifications read takes nothing but the caller's own notification's id.
    "notifications.mark_read": "button without fields",
    "notifications.mark_all_read": "button without fields",
    "api.notification_read": "button without fields",
    "api.notification_read_all": "button without fields",
}


def fuzz_tests() -> set[str]:
    """The tests of every fuzz module in this folder: a test FUZZED names may stand in any of them."""
    names = set()
    for module in pkgutil.iter_modules([os.path.dirname(__file__)]):
        if module.name.startswith("test_"):
            found = vars(importlib.import_module(f"{__package__}.{module.name}"))
            names |= {name for name, value in found.items() if name.startswith("test_") and callable(value)}
    return names


def test_every_writing_endpoint_is_fuzzed_or_exempt(app):
    """Is every endpoint that writes fed hostile input by a test here, or listed with the reason it
    needs none?"""
    endpoints = {rule.endpoint for rule in writing_rules(app)}
    assert not set(FUZZED) & set(EXEMPT)
    assert endpoints - set(FUZZED) - set(EXEMPT) == set(), "a new writing endpoint: fuzz it, or say why not"
    assert set(FUZZED) | set(EXEMPT) <= endpoints, "a listed endpoint is gone: update the lists"
    assert set(FUZZED.values()) <= fuzz_tests(), "a test FUZZED names is gone: update the list"
