"""Role sets are named once, in core/access.py, and imported everywhere else.

The scan reads every module of the apps (not migrations, not tests) and looks for a literal set,
tuple, list or frozenset of roles: `frozenset({Role.`, `(Role.X, Role.Y`, `{Role.X}`,
`| {Role.`, `& {Role.`, `role_required(Role.X)`, and the same with the role names as strings.
It fails when one is found outside core/access.py. Shown broken, twice: appending

    EXTRA = frozenset({Role.KOMANDO, Role.ADMIN})

to operations/views.py, and writing `can_act = user_has_role(request.user, (Role.KOMANDO,))`
back into incidents/views.py, each made `test_no_role_set_is_written_outside_core_access` fail
with the file, line and code (e.g. "operations/views.py:391: EXTRA = frozenset({Role.KOMANDO,
Role.ADMIN})"); taking the line out made it pass again. The scanner's own cases below keep it
from going blind.
"""

import re
from pathlib import Path

import pytest

from core import access

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "personnel", "operations", "incidents", "command", "demo", "sispam")
HOME = ROOT / "core" / "access.py"

# A role as code (Role.KOMANDO) or as its value; "intel" and "admin" as strings are left out:
# they are also report kinds and words of the domain.
MEMBER = r"""(?:Role\.\w+|["'](?:komando|lapangan|penghubung_kpu)["'])"""
ROLE_SET = re.compile(
    "|".join(
        [
            # frozenset({Role.X ...}), set([Role.X ...]), tuple((Role.X, ...))
            rf"\b(?:frozenset|set|tuple|list)\(\s*[\[({{]\s*{MEMBER}",
            # (Role.X, ...), [Role.X, ...], {Role.X, ...}: two or more members, or a trailing comma
            rf"[\[({{]\s*{MEMBER}\s*,",
            # {Role.X}, [Role.X]: a single member
            rf"[\[{{]\s*{MEMBER}\s*[\]}}]",
            # some_set | {Role.X}, roles & {Role.X, Role.Y}
            rf"[|&]\s*[\[({{]\s*{MEMBER}",
            # role_required(*OPS, Role.X): a set made up in the call; role_required(Role.X)
            rf"\*\w+\s*,\s*{MEMBER}",
            rf"\brole_required\(\s*{MEMBER}",
        ]
    )
)


def role_sets_in(text: str) -> list[tuple[int, str]]:
    """(line, code) of each literal set of roles in `text`."""
    found = []
    for match in ROLE_SET.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append((line, text.splitlines()[line - 1].strip()))
    return found


def app_modules() -> list[Path]:
    paths = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts:
                continue
            paths.append(path)
    return paths


def test_no_role_set_is_written_outside_core_access():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in app_modules()
        if path != HOME
        for line, code in role_sets_in(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "Name these role sets in core/access.py and import them:\n" + "\n".join(
        offenders
    )


def test_the_scan_reads_the_apps():
    names = {str(p.relative_to(ROOT)) for p in app_modules()}
    assert {"core/access.py", "incidents/api.py", "operations/views.py"} <= names
    assert not any("migrations" in n for n in names)


@pytest.mark.parametrize(
    "code",
    [
        "OPS = frozenset({Role.KOMANDO, Role.INTEL})",
        "OPS = (Role.KOMANDO, Role.INTEL)",
        "read_roles = frozenset(\n    {Role.KOMANDO, Role.INTEL}\n)",
        "action_roles = {'stats': frozenset({Role.KOMANDO})}",
        "read_roles = OPS_READ | {Role.LAPANGAN}",
        "if roles & {Role.KOMANDO, Role.INTEL}:",
        "can = user_has_role(request.user, (Role.KOMANDO,))",
        "@role_required(Role.KOMANDO, Role.INTEL, Role.ADMIN)",
        "@role_required(*OPS, Role.PENGHUBUNG_KPU)",
        "@role_required(Role.KOMANDO)",
        '("landing-intel", _("Intelijen"), {Role.INTEL}),',
        "ROLES = ['komando', 'lapangan']",
        'allowed = {"komando"}',
    ],
)
def test_the_scan_finds_a_set_of_roles(code):
    assert role_sets_in(code)


@pytest.mark.parametrize(
    "code",
    [
        "read_roles = CAN_READ_INTEL",
        "if Role.LAPANGAN in roles:",
        "LABELS = {Role.KOMANDO: 'Pos Komando', Role.INTEL: 'Intelijen'}",
        "group = Group.objects.get(name=Role.ADMIN)",
        "@role_required(*CAN_READ_SITREP)",
        "CHANNELS = ('intel', 'tip', 'field')",
    ],
)
def test_the_scan_leaves_other_code_alone(code):
    assert not role_sets_in(code)


def test_every_named_set_holds_only_roles():
    sets = {
        name: value
        for name, value in vars(access).items()
        if name.isupper() and isinstance(value, frozenset)
    }
    assert "CAN_READ_INTEL" in sets and "OPERATIONAL" in sets
    for name, members in sets.items():
        assert members, name
        assert members <= access.ALL_ROLES, name
