"""Fuzzing the organisation profile's form, as an administrator's browser posts it."""
from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.models import OrganisationProfile
from tests.guarantees.fuzz.expectations import Text, db_state, normalised, page_errors, page_refused, tally, url_problem
from tests.guarantees.fuzz.strategies import fuzz, hostile_text, near_limit, urls

REQUIRED = "This field is required."
VALID = {"name_en": "Watch", "name_ru": "Наблюдение", "name_uk": "Нагляд", "address": "Berlin",
         "consent_en": "Consented.", "consent_ru": "Согласие получено.", "consent_uk": "Згоду отримано.",
         "email": "office@example.org", "phone": "+49 30 1234567", "website": "https://example.org"}
# The rules of each text, written out here rather than imported (see expectations.py).
TEXTS = {
    **{f"name_{code}": Text((), f"name_{code}", f"name_{code}", 300, required=REQUIRED) for code in ("en", "ru", "uk")},
    **{f"consent_{code}": Text((), f"consent_{code}", f"consent_{code}", 5000, True, REQUIRED)
       for code in ("en", "ru", "uk")},
    "address": Text((), "address", "address", 1000, True, REQUIRED),
    "email": Text((), "email", "email", 254),
    "phone": Text((), "phone", "phone", 40),
}
PHONE = re.compile(r"\+?[0-9 ()./-]{3,40}")
CONTACT = "Give at least one way to reach the organisation"


def problems(form: dict) -> dict:
    """The message each field must be refused with."""
    found = {key: spec.problem(form[key]) for key, spec in TEXTS.items()}
    email, phone = normalised(form["email"]), normalised(form["phone"])
    if not found["email"] and email and ("@" not in email or any(c.isspace() for c in email)
                                         or email.startswith("@") or email.endswith("@")):
        found["email"] = "Enter a valid e-mail address."
    if not found["phone"] and phone and not PHONE.fullmatch(phone):
        found["phone"] = "A telephone number holds digits"
    found["website"] = url_problem(form["website"]) if normalised(form["website"]) else None
    if not found["email"] and not any(normalised(form[key]) for key in ("email", "phone", "website")):
        found["email"] = CONTACT
    return {key: {message} for key, message in found.items() if message}


values = st.one_of(hostile_text(), near_limit(300), near_limit(40), urls,
                   st.sampled_from(["", " ", "office@example.org", "@", "a@", "+7 (495) 123-45-67", "1-2"]))


@fuzz(40)
@given(changes=st.dictionaries(st.sampled_from(sorted(VALID)), values, max_size=4))
@example(changes={"email": "", "phone": "", "website": ""})
@example(changes={"website": "\x1c", "email": "", "phone": ""})  # blank once stripped: no contact left
@example(changes={"name_ru": "Наблюдение\u202e", "phone": "call me"})
def test_page_organisation_profile(world, changes):
    """When an administrator saves the organisation profile with hostile names, addresses, contacts or
    consent statements, is it refused with each field's message and nothing saved, or saved as
    normalised?"""
    browser, token = world.browser("admin")
    form = {**VALID, **changes}
    expected = problems(form)
    before = db_state()
    response = browser.client.post("/admin/organisation", data={**form, "csrf_token": token})
    tally("organisation profile", not expected)
    if page_refused(response, expected, before):
        return
    assert response.status_code == 302, page_errors(response)
    profile = OrganisationProfile.get()
    assert profile.names == {code: normalised(form[f"name_{code}"]) for code in ("en", "ru", "uk")}
    assert (profile.address, profile.email, profile.phone, profile.website) == \
        tuple(normalised(form[key]) for key in ("address", "email", "phone", "website"))
