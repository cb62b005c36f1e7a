"""The event reader: what a report says happened, not only which words it uses (no Django).

A text is normalised (chat spelling, Javanese and Lampung words, English terms mapped onto the
Indonesian concept words: ``events.json``'s ``normalise``), cut into clauses (``. ! ? ;`` and
line breaks, and words such as *namun*, *tapi*, *but*), and each word is matched against the
concepts of ``events.json`` by its written form, its Sastrawi stem, or a stripped form
(``diacung2kan`` -> ``diacungkan`` -> ``acung``; ``ngebakar`` -> ``bakar``; ``burned`` ->
``burn``), longest phrase first.

The concepts are of four families:

- **act**: attack, injury, arson, explosion, shooting, seizure, damage, detention, blockade,
  threat, mobilisation, money, hoax, neutrality, fraud;
- **means**: weapon, fire (fuel, jerry cans, molotov), explosive;
- **target**: logistics, officials, offices and TPS, police, people;
- **status**: now, planned, rumour, denied (debunked, rejected), past, resolved, drill,
  not-a-drill, question.

A status governs the clause it stands in: "video kerusuhan itu hoaks" debunks the riot in that
clause only, "kemarin sempat ricuh, sekarang massa membakar ban" keeps the burning current. A
negator (tidak, bukan, tanpa, no, not, menolak, anti ...) negates the act or means that follows
it within four words, up to a comma. A drill word in the first clause, or two drill words
anywhere, make the whole report a drill unless it says it is not one ("bukan latihan").

Each act found gets the status of its clause, by precedence: negated, drill, denied, past or
resolved (only when nothing in that clause is going on now), rumour, planned, now, plain. From
those the reader derives an **event level** by a written rule (:meth:`EventReader.level`):
merah for a violent act (attack, injury, arson, explosion, shooting, seizure, damage,
detention, blockade, or a threat with a weapon) that is plain or happening now, or planned
with a means or a target named; kuning for any other act that is not negated, denied, drilled
or over (money, hoaxes, mobilisation, neutrality, a threat without means, a rumoured or past
violent act); hijau otherwise. The event level and the parts found are features of the
learned layer (incidents/ew/model.py) and the words of the reasons.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incidents.ew.lexicon import stem, strip_affixes

EVENTS_PATH = Path(__file__).with_name("events.json")
VIOLENT = frozenset(
    {
        "attack",
        "injury",
        "arson",
        "explosion",
        "shooting",
        "seizure",
        "damage",
        "detention",
        "blockade",
    }
)
# A status by precedence: the first that applies to a clause is the act's status.
STATUSES = ("neg", "drill", "denied", "past", "rumour", "planned", "now", "plain")
ACT_LABELS = {
    "attack": "serangan/kekerasan",
    "injury": "korban luka",
    "arson": "pembakaran/api",
    "explosion": "ledakan",
    "shooting": "tembakan",
    "seizure": "perampasan",
    "damage": "perusakan",
    "detention": "penyekapan/pengepungan",
    "blockade": "penghadangan",
    "threat": "ancaman/intimidasi",
    "mobilisation": "pengerahan massa",
    "money": "politik uang",
    "hoax": "hoaks/provokasi",
    "neutrality": "netralitas",
    "fraud": "kecurangan",
    "dispute": "cekcok/ketegangan",
    "disruption": "gangguan pelaksanaan",
}
STATUS_LABELS = {
    "neg": "disangkal",
    "drill": "latihan",
    "denied": "dibantah/hoaks",
    "past": "sudah lewat/selesai",
    "rumour": "kabar belum pasti",
    "planned": "direncanakan",
    "now": "sedang terjadi",
    "plain": "dilaporkan terjadi",
}
MEANS_LABELS = {"weapon": "senjata", "fire": "bahan bakar/api", "explosive": "bahan peledak"}
TARGET_LABELS = {
    "logistics": "logistik pemilu",
    "officials": "penyelenggara/petugas",
    "office": "kantor/TPS",
    "police": "polisi",
    "people": "warga",
}
_TOKEN = re.compile(r"[a-z]+[0-9]*[a-z]*|[0-9]+|[.!?;\n,]")
_REDUP = re.compile(r"([a-z]{2,})2([a-z]*)")
_REPEAT = re.compile(r"([a-z])\1{2,}")
_HARD_BREAK = frozenset(".!?;\n")
_PREFIXES = ("meng", "meny", "mem", "men", "me", "di", "peng", "peny", "pem", "pen", "pe")
_PREFIXES += ("ter", "ber", "ke", "se", "nge", "ng", "ny", "n", "m", "ke")
_SUFFIXES = ("kan", "an", "i", "nya", "in", "ken", "ne", "e", "ing", "ed", "es", "s", "ers")
_NASAL = {"meny": "s", "ny": "sc", "n": "t", "meng": "k", "ng": "k", "mem": "p", "m": "p"}
_NASAL |= {"peng": "k", "pem": "p", "men": "t", "pen": "t", "peny": "s"}
NEG_WINDOW = 4


@dataclass(slots=True)
class Events:
    """What the reader found in one text."""

    acts: dict[str, str] = field(default_factory=dict)  # act -> strongest status
    means: dict[str, str] = field(default_factory=dict)
    targets: set[str] = field(default_factory=set)
    said: dict[str, str] = field(default_factory=dict)  # "act:arson" -> the words written
    words: list[str] = field(default_factory=list)  # the normalised words (the model reads them)
    doc: set[str] = field(default_factory=set)  # report-wide statuses
    level: str = "hijau"
    why: str = ""
    features: list[str] = field(default_factory=list)


def _rank(status: str) -> int:
    """Higher = more alarming, for keeping the strongest status of an act seen twice."""
    return {"now": 7, "plain": 6, "planned": 5, "rumour": 4, "past": 3}.get(status, 0)


class EventReader:
    """Reads acts, means, targets and their status (build once: it caches word look-ups)."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or default_events()
        # A value may be several words ("sajam" -> senjata tajam) or none (English filler).
        self.normalise = {k: tuple(v.split()) for k, v in data["normalise"].items()}
        self.breaks = frozenset(data.get("clause_breaks", ()))
        negators = [tuple(n.split()) for n in data.get("negators", ())]
        self.index: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        phrases: dict[tuple[str, ...], list[str]] = {}
        # "=tolong" matches the written word only ("ditolong", was helped, is not a call for
        # help): such words are kept apart as "=word" roots.
        self.exact: set[str] = set()
        for concept, terms in data["concepts"].items():
            for term in terms:
                words = term.lower().split()
                if words[0].startswith("="):
                    words[0] = words[0]
                    self.exact.add(words[0][1:])
                phrases.setdefault(tuple(words), []).append(concept)
        for words in negators:
            phrases.setdefault(words, []).append("neg")
        for words in ((r,) for r in ("tolak", "menolak", "anti", "reject", "condemn", "oppose")):
            phrases.setdefault(words, []).append("neg")
        self.vocab = {w for words in phrases for w in words}
        for words, concepts in phrases.items():
            self.index.setdefault(words[0], []).append((words, tuple(dict.fromkeys(concepts))))
        for lst in self.index.values():
            lst.sort(key=lambda e: -len(e[0]))
        self._roots: dict[str, frozenset[str]] = {}

    # ---- words

    def roots(self, word: str) -> frozenset[str]:
        """The concept words a written word can stand for (cached)."""
        hit = self._roots.get(word)
        if hit is not None:
            return hit
        found = {word} & self.vocab
        if word in self.exact:
            found.add("=" + word)
        if not (found - {"=" + word}) and word.isalpha() and len(word) > 3:
            s = stem(word)
            if s in self.vocab:
                found.add(s)
            else:
                for cand in strip_affixes(word, _PREFIXES, _SUFFIXES, _NASAL):
                    if cand in self.vocab:
                        found.add(cand)
                        break
        out = frozenset(found)
        if len(self._roots) > 100_000:
            self._roots.clear()
        self._roots[word] = out
        return out

    def words(self, text: str) -> list[str]:
        """Normalised words and clause marks ('|' hard break, ',' soft break)."""
        text = _REPEAT.sub(r"\1", _REDUP.sub(r"\1\2", text.lower()))
        out: list[str] = []
        for tok in _TOKEN.findall(text):
            if tok in _HARD_BREAK:
                out.append("|")
            elif tok == ",":
                out.append(",")
            elif tok in self.breaks:
                out.append("|")
            else:
                out.extend(self.normalise.get(tok, (tok,)))
        return out

    # ---- reading

    def read(self, text: str) -> Events:
        words = self.words(text)
        roots = [self.roots(w) if w not in ("|", ",") else frozenset() for w in words]
        clauses: list[list[tuple[str, int]]] = [[]]  # (concept, position)
        said: dict[str, str] = {}
        n = len(words)
        i = 0
        while i < n:
            w = words[i]
            if w == "|":
                clauses.append([])
                i += 1
                continue
            match = None
            for r in roots[i]:
                for phrase, concepts in self.index.get(r, ()):
                    k = len(phrase)
                    if match is not None and k <= len(match[0]):
                        continue
                    if i + k <= n and all(phrase[j] in roots[i + j] for j in range(1, k)):
                        match = (phrase, concepts)
            if match is None:
                if w == ",":
                    clauses[-1].append((",", i))
                i += 1
                continue
            for c in match[1]:
                clauses[-1].append((c, i))
                said.setdefault(c, " ".join(words[i : i + len(match[0])]))
            i += len(match[0])
        ev = self._judge([c for c in clauses if c])
        ev.said = said
        ev.words = words
        return ev

    def _judge(self, clauses: list[list[tuple[str, int]]]) -> Events:
        ev = Events()
        all_concepts = [c for cl in clauses for c, _ in cl]
        drills = sum(1 for c in all_concepts if c == "status:drill")
        first = {c for c, _ in clauses[0]} if clauses else set()
        doc_drill = (drills >= 2 or "status:drill" in first) and (
            "status:notdrill" not in all_concepts
        )
        if doc_drill:
            ev.doc.add("drill")
        for cl in clauses:
            present = {c for c, _ in cl}
            negated = _negated(cl)
            now = "status:now" in present
            status = "plain"
            if doc_drill or ("status:drill" in present and "status:notdrill" not in present):
                status = "drill"
            elif "status:denied" in present:
                status = "denied"
            elif "status:conditional" in present:
                status = "rumour"
            elif ("status:past" in present or "status:resolved" in present) and not now:
                status = "past"
            elif "status:rumour" in present:
                status = "rumour"
            elif "status:planned" in present:
                status = "planned"
            elif now:
                status = "now"
            for c in present:
                if c.startswith("status:"):
                    ev.doc.add(c[7:])
            for c, pos in cl:
                fam, _, name = c.partition(":")
                st = "neg" if pos in negated else status
                if fam == "act":
                    self._keep(ev.acts, name, st, present)
                elif fam == "means":
                    self._keep(ev.means, name, st, present)
                elif fam == "target" and pos not in negated:
                    ev.targets.add(name)
        ev.level, ev.why = self.level(ev)
        ev.features = self.features(ev)
        return ev

    @staticmethod
    def _keep(found: dict[str, str], name: str, st: str, present: set[str]) -> None:
        # A planned act counts as credible only with a means or a target in its clause.
        if st == "planned" and not any(c.startswith(("means:", "target:")) for c in present):
            st = "rumour"
        old = found.get(name)
        if old is None or _rank(st) > _rank(old):
            found[name] = st

    @staticmethod
    def level(ev: Events) -> tuple[str, str]:
        """The written rule: merah from a violent act that is real (now, plain, or planned
        with means or target); kuning from any other live act; else hijau."""
        live = ("now", "plain", "planned")
        armed = [m for m, st in ev.means.items() if st in live and m in ("weapon", "explosive")]
        for act, st in sorted(ev.acts.items(), key=lambda kv: -_rank(kv[1])):
            if st in live and (act in VIOLENT or (act == "threat" and armed)):
                return "merah", f"{ACT_LABELS[act]} ({STATUS_LABELS[st]})"
        if armed and (
            ev.acts.get("mobilisation") in live or ev.targets & {"office", "officials", "people"}
        ):
            return "merah", f"{MEANS_LABELS[armed[0]]} dibawa ke sasaran"
        for act, st in sorted(ev.acts.items(), key=lambda kv: -_rank(kv[1])):
            if st in ("now", "plain", "planned", "rumour") or (st == "past" and act in VIOLENT):
                return "kuning", f"{ACT_LABELS[act]} ({STATUS_LABELS[st]})"
        return "hijau", ""

    @staticmethod
    def features(ev: Events) -> list[str]:
        """Feature names for the learned layer: each part with its status, and the level."""
        out = [f"ev_level_{ev.level}"]
        out += [f"act_{a}_{st}" for a, st in ev.acts.items()]
        out += [f"act_{a}" for a, st in ev.acts.items() if st in ("now", "plain", "planned")]
        out += [f"means_{m}_{st}" for m, st in ev.means.items()]
        out += [f"target_{t}" for t in ev.targets]
        out += [f"doc_{d}" for d in ev.doc]
        violent = [a for a, st in ev.acts.items() if a in VIOLENT and st in ("now", "plain")]
        if violent and ev.targets & {"logistics", "office", "officials"}:
            out.append("combo_attack_on_election")
        if violent and ev.means:
            out.append("combo_violent_with_means")
        return out


def _negated(clause: list[tuple[str, int]]) -> set[int]:
    """Positions of acts and means that a negator within NEG_WINDOW words before governs."""
    out: set[int] = set()
    neg_until = -1
    for c, pos in clause:
        if c == ",":
            neg_until = -1
        elif c == "neg":
            neg_until = pos + NEG_WINDOW
        elif pos <= neg_until and c.startswith(("act:", "means:")):
            out.add(pos)
            neg_until = pos + 2  # "tidak ada bentrok maupun senjata": the list goes on
    return out


@functools.cache
def default_events() -> dict[str, Any]:
    """The shipped event lexicon (events.json)."""
    with open(EVENTS_PATH, encoding="utf-8") as fh:
        return json.load(fh)
