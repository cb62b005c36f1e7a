"""The learned early-warning engine (ew-2026.1): the event reader, the linear layer run from its
JSON artefact, training, and the measures (incidents/ew/{events,model,train,evaluate}.py)."""

import json

import numpy as np
import pytest

from incidents.ew import Config, Engine, Report, default_config, rules_config
from incidents.ew.evaluate import leave_one_author_out, mean_of, metrics
from incidents.ew.events import EventReader
from incidents.ew.model import LinearModel, load_artefact
from incidents.ew.train import PARAMS, _Fitted, read_corpus, train
from tests.stack import ROOT

CORPUS = ROOT / "tests" / "data" / "ew_corpus"


@pytest.fixture(scope="module")
def reader():
    return EventReader()


@pytest.fixture(scope="module")
def engine():
    return Engine()


@pytest.fixture(scope="module")
def small_rows():
    """Three authors, 40 lines each: enough to train in a second."""
    rows = read_corpus([CORPUS / "rd.jsonl", CORPUS / "sm.jsonl", CORPUS / "li.jsonl"])
    out = []
    for author in ("rd", "sm", "li"):
        out += [r for r in rows if r["author"] == author][:40]
    return out


def level(engine, text, channel="field"):
    return engine.score(Report(text=text, channel=channel))


def test_the_reader_expands_reduplication_and_finds_a_weapon_waved_at_a_tps(reader):
    ev = reader.read("ijin lapor, ada org diacung2kan golok ke arah KPPS di TPS 05")
    assert ev.acts["threat"] == "plain" and ev.means["weapon"] == "plain"
    assert {"officials", "office"} <= ev.targets
    assert ev.level == "merah"


def test_negation_governs_the_words_after_it_not_the_whole_report(reader):
    ev = reader.read("tidak ada bentrok di TPS 3. Di TPS 4 massa membakar ban dan kotak suara")
    assert ev.acts["attack"] == "neg"
    assert ev.acts["arson"] == "plain" and ev.level == "merah"


def test_a_debunk_scopes_over_its_clause(reader):
    ev = reader.read("Video bentrok berdarah di KPU itu hoaks, kejadian 2019 di luar daerah")
    assert ev.acts["attack"] == "denied" and ev.level == "hijau"
    ev = reader.read("Video lama itu hoaks. Sekarang massa membakar pos polisi")
    assert ev.acts["arson"] == "now" and ev.level == "merah"


def test_a_drill_is_a_drill_unless_it_says_it_is_not(reader):
    ev = reader.read("Simulasi Sispamkota: massa anarkis membakar ban di depan KPU")
    assert "drill" in ev.doc and ev.level == "hijau"
    ev = reader.read("Ini bukan latihan! Massa membakar ban di depan KPU")
    assert "drill" not in ev.doc and ev.level == "merah"


def test_javanese_and_english_reach_the_same_events(reader):
    assert reader.read("kotak suara TPS 2 diobong wong akeh").acts["arson"] == "plain"
    ev = reader.read("Several young men brandished machetes at the polling station")
    assert ev.means["weapon"] == "plain" and ev.level == "merah"


def test_a_plan_is_merah_only_with_a_means_or_a_target(reader):
    assert reader.read("mereka akan membakar kantor PPK malam ini").level == "merah"
    assert reader.read("katanya akan ada yang ribut").level == "kuning"


def test_the_shipped_engine_reads_the_misses_of_the_old_rules(engine):
    gun = level(engine, "pak ada yg diacung2kan senpi ke saksi di tps 7, warga diam semua")
    assert gun.level == "merah"
    drill = level(engine, "Gladi Sispamkota di halaman Polres: skenario massa membakar ban")
    assert drill.level == "hijau"
    peace = level(
        engine, "Deklarasi pemilu damai di Imopuro: semua paslon menolak kekerasan dan anarkis"
    )
    assert peace.level == "hijau"


def test_reasons_name_the_event_and_the_model_in_words(engine):
    s = level(engine, "Massa membakar ban dan merusak pagar kantor KPU Kota Metro", "intel")
    text = " ".join(s.reasons)
    assert "pembakaran" in text and "KPU" in text and "model bahasa" in text
    assert s.reasons[-1] == f"versi aturan: {default_config().version}"
    assert "_" not in s.reasons[4]  # no raw feature names for the duty officer


def test_score_and_level_always_agree(engine):
    rows = read_corpus(sorted(CORPUS.glob("*.jsonl")))[:300]
    for row in rows:
        s = level(engine, row["text"], row.get("channel"))
        expected = "merah" if s.score >= 55 else "kuning" if s.score >= 15 else "hijau"
        assert s.level == expected, row["id"]


def test_the_pure_python_model_matches_scikit_learn(small_rows):
    """The JSON artefact run in pure Python gives scikit-learn's logits of the same fit (up to
    the rounding of coefficients and the dropping of those under 1e-4)."""
    base = Engine(rules_config())
    blocks = [base.model_blocks(r["text"], r.get("channel")) for r in small_rows]
    model = LinearModel(train(small_rows, lambda r: base.model_blocks(r["text"], r.get("channel"))))
    y = np.array([("hijau", "kuning", "merah").index(r["expected"]) for r in small_rows])
    want = _Fitted(blocks, y, PARAMS).logits(blocks)
    for i, b in enumerate(blocks):
        got, _ = model.logits(b)
        assert np.allclose(got, want[i], atol=2e-3), i


def test_the_per_word_character_sums_give_the_same_logits_as_every_n_gram(engine):
    """The fast path for the character block (cached sums per word, corrected for n-grams
    that repeat) computes what the general loop over every n-gram does."""
    rows = read_corpus(sorted(CORPUS.glob("*.jsonl")))[::7]
    repeats = 0
    for row in rows:
        blocks = engine.model_blocks(row["text"], row.get("channel"))
        assert blocks["c"].words  # scoring hands the model its words
        plain = {**blocks, "c": list(blocks["c"])}  # a plain list: the general loop
        fast, _ = engine.model.logits(blocks)
        slow, _ = engine.model.logits(plain)
        assert np.allclose(fast, slow, rtol=0, atol=1e-9), row["id"]
        repeats += len(set(blocks["c"])) < len(blocks["c"])
    assert repeats > len(rows) / 2  # the correction for repeated n-grams was exercised


def test_training_calibrates_cut_offs_on_held_out_authors(small_rows):
    base = Engine(rules_config())
    art = train(small_rows, lambda r: base.model_blocks(r["text"], r.get("channel")))
    assert 0 < art["thresholds"]["kuning"] < art["thresholds"]["merah"] < 1
    assert art["trained"]["authors"] == ["li", "rd", "sm"]
    assert json.loads(json.dumps(art)) == art  # plain JSON, nothing to unpickle


def test_a_model_given_by_path_or_with_a_bad_shape_is_refused():
    with pytest.raises(ValueError, match="shipped file name"):
        load_artefact("../../etc/passwd")
    with pytest.raises(ValueError, match="format"):
        LinearModel({"format": "pickle"})
    data = rules_config().to_dict()
    data["model"] = {"format": "sispam-ew-linear/1", "classes": ["a"]}
    with pytest.raises(ValueError):
        Config.from_dict(data)


def test_ordering_is_the_probability_that_the_more_severe_scores_higher():
    m = metrics([("hijau", "hijau", 0.1), ("kuning", "kuning", 0.5), ("merah", "merah", 0.9)])
    assert m["ordering"] == 1.0 and m["accuracy"] == 1.0
    m = metrics([("hijau", "hijau", 0.5), ("merah", "hijau", 0.5)])
    assert m["ordering"] == 0.5 and m["merah_as_hijau"] == 1 and m["merah_recall"] == 0


def test_leave_one_author_out_never_scores_an_author_with_its_own_lines():
    rows = [{"author": a, "expected": "hijau", "text": a} for a in "abc"]
    seen = []

    def build(train_rows):
        seen.append(sorted({r["author"] for r in train_rows}))
        return lambda row: ("hijau", 0.0)

    table = leave_one_author_out(rows, build)
    assert seen == [["b", "c"], ["a", "c"], ["a", "b"]]
    assert mean_of(table)["accuracy"] == 1.0


def test_the_corpus_has_many_authors_and_the_fields_of_ew_score():
    rows = read_corpus(sorted(CORPUS.glob("*.jsonl")))
    authors = {r["author"] for r in rows}
    assert len(authors) >= 11 and len(rows) >= 1100
    for r in rows:
        assert r["expected"] in ("hijau", "kuning", "merah")
        assert r["text"].strip()
        assert r.get("channel") in ("intel", "tip", "field")


def test_a_live_violent_act_is_never_hijau_whatever_the_model_says(engine):
    from incidents.ew.combine import decide
    from incidents.ew.model import Prediction

    text = "Orang itu menodongkan senjata api ke ketua KPPS di TPS 9"
    ev = engine.reader.read(text)
    assert ev.level == "merah"
    real = engine.model

    class Calm:
        """The shipped model, but one that calls everything hijau."""

        lifted = real.lifted

        def predict(self, _blocks):
            probabilities = {"hijau": 1.0, "kuning": 0.0, "merah": 0.0}
            return Prediction(probabilities, 0.0, "hijau", 0, [])

    pred = decide(Calm(), engine.model_blocks(text, "tip"), ev)
    assert pred.level == "kuning" and pred.lifted and 15 <= pred.score < 55
    calm = engine.reader.read("Situasi TPS 9 aman dan tertib")
    assert decide(Calm(), engine.model_blocks("x"), calm).level == "hijau"
