"""Far-future dates in query parameters are a clear 400, never a 500."""

import pytest

FAR = "9999-12-31T23:59:59-14:00"  # 10000-01-01 in UTC: past datetime's range


@pytest.mark.parametrize(
    ("role", "path", "params", "field"),
    [
        ("komando", "/api/v1/incidents/", {"since": FAR}, "since"),
        ("komando", "/api/v1/incidents/", {"until": FAR}, "until"),
        ("komando", "/api/v1/audit/", {"since": FAR}, "since"),
        ("intel", "/api/v1/intel/", {"since": FAR}, "since"),
        ("komando", "/api/v1/alerts/backtest/", {"until": FAR}, "until"),
        ("komando", "/api/v1/alerts/backtest/", {"since": FAR}, "since"),
        ("komando", "/api/v1/sitrep/", {"start": "2024-02-14T00:00:00+07:00", "end": FAR}, "end"),
        ("komando", "/api/v1/sitrep/", {"start": FAR, "end": FAR}, "start"),
    ],
)
def test_a_far_future_date_is_a_field_error(api_for, role, path, params, field):
    """Attack: any role sends ?since=9999-12-31T23:59:59-14:00 (or until/start/end). Before
    the fix converting it to UTC overflowed: a 500 (with DEBUG on, a debug page with the
    settings and the request)."""
    answer = api_for(role).get(path, params)
    assert answer.status_code == 400, answer.content[:300]
    body = answer.json()
    assert field in body, body
    assert "tahun" in str(body[field]).lower()
