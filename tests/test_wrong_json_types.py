"""Bad input found by the schema fuzz test (tests/test_schema_fuzz.py), each a 400 or a 404 with
a clear message, never a 500."""

import pytest


@pytest.mark.parametrize("body", [[], [1, 2], "text", 3])
def test_a_token_request_whose_body_is_not_an_object_is_a_400(api_for, body):
    response = api_for(None).post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert "objek JSON" in response.json()["non_field_errors"][0]


def test_an_incident_whose_body_is_a_json_array_is_a_400(api_for):
    response = api_for("lapangan").post("/api/v1/incidents/", [None, None], format="json")
    assert response.status_code == 400
    assert "objek JSON" in response.json()["non_field_errors"][0]


def test_an_incident_array_with_an_idempotency_key_is_a_400(api_for):
    client = api_for("lapangan")
    response = client.post("/api/v1/incidents/", [1], format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query", ["officer=99999999999999999999999", "post=-9223372036854775809", "post=0"]
)
def test_an_assignment_filter_beyond_the_id_range_is_a_400_naming_it(api_for, query):
    response = api_for("komando").get(f"/api/v1/assignments/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_an_api_path_that_matches_no_route_is_a_json_404(api_for):
    response = api_for("komando").get("/api/v1/units/0.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_training_a_version_already_requested_is_a_400_not_a_500(api_for):
    client = api_for("intel")
    first = client.post("/api/v1/ew/trainings/train/", {"version": "ew-twice"}, format="json")
    assert first.status_code == 202
    again = client.post("/api/v1/ew/trainings/train/", {"version": "ew-twice"}, format="json")
    assert again.status_code == 400
    assert "version" in again.json()


def test_a_token_request_with_an_overlong_username_is_a_400(api_for):
    body = {"username": "x" * 300, "password": "whatever"}
    response = api_for(None).post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert "username" in response.json()


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/assignments/?at=2050-11-03T05%3A44%3A20-21%3A27",
        "/api/v1/assignments/?at=0705-11-03T05%3A44%3A20%2B07%3A00",
        "/api/v1/incidents/?since=2050-11-03T05%3A44%3A20-21%3A27",
        "/api/v1/audit/?since=2050-11-03T05%3A44%3A20%2B18%3A00",
    ],
)
def test_a_time_zone_offset_no_place_has_is_a_400_not_a_500(api_for, query):
    """The long fuzz found it (2026-12-04): Python takes offsets up to 23:59, PostgreSQL only
    to 15:59, so "-21:27" reached the database and failed there (a 500, and the rest of the
    transaction with it). Offsets run from -12:00 to +14:00 on Earth."""
    answer = api_for("komando").get(query)
    assert answer.status_code == 400, answer.content


def test_a_nul_character_in_a_looked_up_name_is_a_400(api_for):
    """The long fuzz (2026-12-04): POST /api/v1/tps/ with a kelurahan "ÿ\\x00g" reached
    PostgreSQL, which cannot take NUL in text: a 500."""
    answer = api_for("komando").post(
        "/api/v1/tps/",
        {"kelurahan": "Metro\x00", "number": 1, "lat": -5.11, "lon": 105.3, "dpt": 10},
        format="json",
    )
    assert answer.status_code == 400 and answer.json()["code"] in ("invalid_value", "invalid")


def test_a_contingent_whose_names_have_no_letter_is_a_400(api_for):
    """The long fuzz: a home unit named "\\x17\\x17" made a unit with the empty code."""
    from personnel.models import Unit

    before = Unit.objects.count()
    answer = api_for("komando").post(
        "/api/v1/bko/contingents/",
        {"name": "\x17\x17", "home_unit": "\x17", "strength": 5},
        format="json",
    )
    assert answer.status_code == 400 and "home_unit" in answer.json()
    assert Unit.objects.count() == before and not Unit.objects.filter(code="").exists()


def test_a_nul_character_in_a_page_form_or_query_is_a_400(client_for, db):
    client = client_for("intel")
    assert client.get("/intel/informasi/", {"q": "amplop\x00"}).status_code == 400
    from urllib.parse import urlencode

    answer = client.post(  # as a page's form posts: URL-encoded
        "/intel/informasi/",
        urlencode({"tip": "1", "op": "incident", "kelurahan": "Metro\x00"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 400 and "NUL" in answer.content.decode()
    assert client.get("/intel/informasi/", {"q": "amplop"}).status_code == 200
