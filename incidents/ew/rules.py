"""The lexicon rules (version ew-2024.1's whole engine, and a signal of the learned one).

A report's text is read against a lexicon of Indonesian terms; the source grading, the place
and the election phase weigh the result; in a stream, independent reports of the same thing
corroborate each other and a burst of reports in one kelurahan raises a surge of its own. Every
number below is data in the config (default_config.json), editable by an administrator and
versioned; the version is written into every score.

Reading the text
----------------
The text is lower-cased and cut into words, numbers and clause marks (``. , ; : ! ? ( )`` and
line breaks). Chat spelling is expanded first (``yg``, ``gk``/``tdk`` -> tidak, ``bnyk``,
``skrg`` -> sekarang, ``sajam`` -> senjata tajam, ``rame2`` -> rame; config ``abbreviations``).
Each word gets a stem from Sastrawi, so "kerusuhan" and "rusuh", "membakar" and "bakar" meet;
where Sastrawi does not know a root (``menghadang``) or gets it wrong (``kerusakan`` -> "rusa")
``stem_overrides`` and a small affix stripper that only accepts lexicon stems fix it (also the
chat forms ngamuk, nyerang, ngebakar, dikumpulin). Stems are cached per word: uncached, Sastrawi
costs about 0.07 ms a word, 1.3 ms a typical report (measured here; the often-quoted 0.08 ms a
sentence holds only with its cache warm), which alone would cap the engine near 800 reports/s;
with the cache a word costs a dictionary look-up.

A lexicon term is a word or phrase; a leading ``=`` matches the written form only (``=aman``
must not match "pengamanan", ``=dipukul`` must not match "pukul 10.00"). Phrases match before
their words (longest first), so "serangan fajar" is money politics, not an attack, and
"tidak netral" is a violation, not a negation. Each category has a *kind*:

- ``threat`` (kekerasan, senjata, proses pemilu, intimidasi, pengerahan massa, politik uang,
  hoaks/SARA, pelanggaran/masalah pemilu, gangguan pelaksanaan such as banjir or listrik
  padam, situasi memanas): points. Within a category the strongest term
  counts fully, the next ``category_decay`` (0.5) of its weight, the next 0.25, and so on;
  categories add up. A term repeated counts once.
- ``negator`` (tidak, tak, bukan, belum, tanpa, tidak ada, anti, ...): a threat term within
  ``negation_window`` (4) words after it, in the same clause, does not count; each negated
  term stretches the window by ``negation_extend`` (2) words so that "tidak ditemukan
  pengerahan massa maupun senjata tajam" negates both. Negated threat terms take
  ``negated_penalty`` (0.25) of their weight off the score (at most 15). A negated
  reassurance ("tidak kondusif", "belum bubar") is a sign of trouble: it counts as
  "situasi memanas" with the reassurance's weight.
- ``conditional`` (jika, kalau, ancam): threat terms within ``conditional_window`` words after
  it describe a threat, not a deed ("diancam akan dipukul"); they count ``conditional_factor``
  (0.4). Categories in ``conditional_exempt`` (senjata) are not affected: in "mengancam KPPS
  dengan pistol" the pistol is real.
- ``target`` (kantor KPU, gudang logistik, kotak suara, PPK, TPS, rumah calon, ...): add the
  strongest two (the second at half) but only when there is a threat.
- scale: a number, or ratusan/ribuan/puluhan, within 3 words before a word for people
  ("200 orang", "ratusan massa") adds points by band (``scale.bands``: >=1000: 25, >=200: 18,
  >=50: 12, >=20: 7, >=10: 4), only when there is a threat.
- ``imminent_now`` (sekarang, saat ini, sedang, minta bantuan, terus bertambah, ...) and
  ``imminent_planned`` (akan, malam ini, besok pagi, rencana, menyiapkan, ...): multiply the
  threat by 1 + the strongest value (now beats planned).
- ``past`` (kemarin, tadi malam, sempat, pasca): times ``past_factor`` (0.6) and ``resolved``
  (bubar, selesai, diamankan, dipadamkan, dibatalkan, kembali normal): times
  ``resolved_factor`` (0.6), each only when nothing is going on now (an ``imminent_now`` term
  of at least ``ongoing_min``, 0.2: "masih" alone does not count); ``rumour`` (beredar, isu,
  katanya, belum jelas, diduga): times ``rumour_factor`` (0.75); ``diminisher`` (kecil,
  ringan, salah paham) and ``intensifier`` (besar, parah) multiply by their value.
- ``reassurance`` (aman, kondusif, terkendali, lancar, tertib, tidak benar, ...) and
  ``resolved`` terms, and ``routine`` ones (sosialisasi, patroli dialogis, apel, mediasi, a
  citizen's question, ...): points taken off (the strongest fully, each next one times
  ``reassurance_decay`` 0.6; at most 40, and at most 20 for routine).
- ``drill`` (simulasi, latihan, gladi, Sispamkota, peragaan, TFG; "skenario" half): when their
  values reach ``drill_min`` the report is a drill: threat points times ``drill_factor`` (0.15),
  the level at most ``drill_max_level`` (hijau), and a reason says so. ``not_drill`` phrases
  ("bukan latihan") override.
- ``neutral`` phrases are consumed and ignored ("tidak dikenal", "dipukul mundur",
  "pemadam kebakaran"); ``clause_break`` words (namun, tetapi) end negation scopes like commas.

Weighing the report
-------------------
``threat = (categories + targets + scale) x time x past x resolved x rumour x size x drill`` is
then multiplied
by the context: the source grading (reliability A..F x credibility 1..6: A 1.0, B 0.9, C 0.8,
D 0.65, E 0.5, F 0.9 and 1 1.0, 2 0.95, 3 0.85, 4 0.65, 5 0.45, 6 0.9, so A1 1.0, F6 0.81;
both missing: the ungraded weight of the channel, tip 0.75, field 0.95, intel 0.8: a tip
weighs less than even an F6 report but still counts); the vulnerability of the TPS or kelurahan
(kurang_rawan 1.0, rawan 1.1, sangat_rawan 1.25); and the election phase weight w raised to
``phase_exponent`` (0.4: polling day 2.0 -> x1.32), taken from the caller or from the built-in
Pemilu 2024 table (:data:`PHASES_2024`) by ``reported_at``. Reassurance and routine points are
subtracted after that (a poor source does not make "aman" more reassuring), corroboration
points added, and the total clamped to 0..100: that is the score.

Levels (``thresholds``): **merah** from 55, **kuning** from 15, else **hijau**. Merah also needs
a ``hard_categories`` term (kekerasan, senjata, proses pemilu): money politics, a hoax or a
peaceful crowd, however large, is at most kuning (needs verification, Gakkumdu), never "act
now".

The config (default_config.json; an administrator's copy has the same shape)
----------------------------------------------------------------------------
``version`` (string, stored with every score); ``thresholds`` {kuning, merah};
``hard_categories`` [names]; ``conditional_exempt`` [names]; ``drill_max_level``;
``weights`` {the factors named above};
``scale`` {bands [[people, points], ...], people [words], words {ratusan: 300, ...},
multipliers {ratus: 100, ...}}; ``grading`` {reliability {A..F}, credibility {"1".."6"},
ungraded {tip, field, intel, "": weight}}; ``vulnerability`` {kurang_rawan, rawan,
sangat_rawan}; ``stream`` {the corroboration and surge settings below}; ``acronyms`` (shown
upper case in reasons); ``abbreviations`` {chat form: expansion}; ``stem_overrides``
{word: stem}; optional ``phases`` [{code, label, start, end (ISO 8601), weight}] replacing
:data:`PHASES_2024`; and ``categories`` {name: {kind, label, terms {term: weight}}}, where the
weight is points for threat/target/reassurance/resolved/routine terms, the added fraction for
imminence, the factor for diminishers and intensifiers, and unused for the other kinds.
:meth:`Config.from_dict` checks it and names the bad field.

The stream
----------
:class:`StreamScorer` scores reports in time order and remembers recent ones per kelurahan:

- **corroboration**: earlier reports in the same kelurahan within
  ``corroboration_window_minutes`` (120) whose signatures (the stems of their threat and target
  terms plus their threat category names) overlap (Jaccard >= 0.25, sharing at least one
  category) corroborate the new one if they are independent: from another source (channel +
  ``source_id`` when known) and not near-identical text (Jaccard of all word stems >= 0.8,
  which is how a forwarded WhatsApp message looks). Each independent one adds
  ``corroboration_points`` (10), at most ``corroboration_max_reports`` (2). A near-duplicate from
  the same source adds nothing and is said to be a duplicate.
- **surge**: reports that carry a signal (standalone score >= ``surge_min_score``, 10; not
  duplicates) are counted per kelurahan. k is the count in the last ``surge_window_minutes``
  (60); the baseline is the kelurahan's own count in the ``surge_baseline_hours`` (24) before
  that window, shrunk towards a prior rate over ``surge_prior_hours`` (6) so that the first
  hours of a stream are not all surges:
  ``rate = (prior x 6 + baseline count) / (6 + baseline hours observed)``, where
  ``prior = max(surge_prior_rate_per_hour (0.25), signals per hour per active kelurahan
  elsewhere in the city)``: a busy polling day everywhere is not a surge in one place.
  ``expected = rate x window hours``; a surge is ``P(X >= k | Poisson(expected)) <
  surge_alpha`` with ``k >= surge_min_count`` (4). The test is repeated at every report over a
  sliding window, which inflates false alarms, so ``surge_alpha`` is 0.001 rather than 0.01:
  on steady random traffic of 3 signals an hour in each of 5 kelurahan for two days that gives
  about one false surge episode, where 0.01 gave one every few hours. A surge is returned as
  a :class:`Surge` (``first`` marks the start of an episode) for the caller to raise or update
  an alert of its own; the report's score is unchanged, its reasons say so.
- memory is bounded: items older than the longer window are evicted as time moves on, each
  kelurahan keeps at most ``max_items_per_place`` items and the scorer at most ``max_places``
  kelurahan (least recently seen dropped first), so a long stream stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from incidents.ew.config import LEVELS, VULNERABILITY_LABELS, Report, Score

if TYPE_CHECKING:
    from incidents.ew.lexicon import Analysis


class RuleScorer:
    """The rule score of an analysed report (mixed into Engine)."""

    def rule_score(
        self,
        report: Report,
        a: Analysis,
        *,
        corroboration: int = 0,
        place: str | None = None,
        extra_reasons: Iterable[str] = (),
    ) -> Score:
        """The lexicon rules' score (version ew-2024.1's whole engine)."""
        w = self.w
        reasons: list[str] = []
        drill = sum(a.drill.values()) >= float(w.get("drill_min", 1.0)) and not a.not_drill
        if drill:
            reasons.append(
                f"kemungkinan latihan/simulasi ({', '.join(a.drill)}): tidak dijadikan peringatan"
            )
        elif a.not_drill:
            reasons.append("ditegaskan bukan latihan")

        decay = float(w.get("category_decay", 0.5))
        cond = float(w.get("conditional_factor", 0.4))
        threat = 0.0
        hard = False
        found = []
        for name, terms in a.threats.items():
            vals = sorted(
                ((wt * cond if hyp else wt), term, hyp) for term, (wt, hyp) in terms.items()
            )
            vals.reverse()
            points = sum(v * decay**r for r, (v, _, _) in enumerate(vals))
            threat += points
            if name in self.hard and any(not hyp for _, _, hyp in vals):
                hard = True
            words = ", ".join(t + (" [bersyarat]" if hyp else "") for _, t, hyp in vals)
            found.append((points, f"kata ancaman: {words} ({self.labels.get(name, name)})"))
        found.sort(key=lambda pr: -pr[0])  # the strongest category first
        reasons.extend(text for _, text in found)

        pos = 0.0
        if threat > 0:
            pos = threat
            tvals = sorted(a.targets.items(), key=lambda kv: -kv[1])
            tvals = tvals[: int(w.get("max_targets", 2))]
            if tvals:
                tdecay = float(w.get("target_decay", 0.5))
                pos += sum(v * tdecay**r for r, (_, v) in enumerate(tvals))
                ranked = sorted(a.targets, key=lambda t: -a.targets[t])
                names = ", ".join(self._display(t) for t in ranked)
                reasons.append(f"sasaran: {names}")
            if a.people:
                for lower, points in self.scale_bands:
                    if a.people >= lower:
                        pos += points
                        reasons.append(f"skala: sekitar {a.people:,.0f} orang".replace(",", "."))
                        break
            mult = 1.0
            if a.now:
                mult += max(a.now.values())
                reasons.append(f"waktu: sedang berlangsung ({', '.join(a.now)})")
            elif a.planned:
                mult += max(a.planned.values())
                reasons.append(f"waktu: direncanakan/segera ({', '.join(a.planned)})")
            # "masih" alone does not make an event current; "sekarang", "minta bantuan" do.
            ongoing = bool(a.now) and max(a.now.values()) >= float(w.get("ongoing_min", 0.2))
            if a.past and not ongoing:
                mult *= float(w.get("past_factor", 0.6))
                reasons.append(f"waktu: kejadian sudah lewat ({', '.join(dict.fromkeys(a.past))})")
            if a.resolved and not ongoing:
                mult *= float(w.get("resolved_factor", 0.6))
            if a.rumour:
                mult *= float(w.get("rumour_factor", 0.85))
                words = ", ".join(dict.fromkeys(a.rumour))
                reasons.append(f"kabar belum pasti ({words}): perlu verifikasi")
            if a.size:
                low = min(a.size.values())
                high = max(a.size.values())
                mult *= (low if low < 1 else 1.0) * (high if high > 1 else 1.0)
                reasons.append(f"besaran kejadian: {', '.join(a.size)}")
            pos *= mult
            if drill:
                pos *= float(w.get("drill_factor", 0.15))
        elif not a.reassurance and not a.negated and not a.resolved:
            reasons.append("tidak ada tanda ancaman")

        if a.negated:
            reasons.append(f"disangkal, tidak dihitung: {', '.join(a.negated)}")
        neg = min(
            float(w.get("negated_penalty_max", 15)),
            float(w.get("negated_penalty", 0.25)) * sum(a.negated.values()),
        )
        if a.resolved:
            reasons.append(f"kejadian sudah selesai/tertangani ({', '.join(a.resolved)})")
        if a.reassurance:
            reasons.append(f"pernyataan aman/kondusif menurunkan skor ({', '.join(a.reassurance)})")
        if a.reassurance or a.resolved:
            rdecay = float(w.get("reassurance_decay", 0.6))
            vals = sorted([*a.reassurance.values(), *a.resolved.values()], reverse=True)
            neg += min(
                float(w.get("reassurance_max", 40)),
                sum(v * rdecay**r for r, v in enumerate(vals)),
            )
        if a.routine:
            neg += min(float(w.get("routine_max", 20)), sum(a.routine.values()))
            reasons.append(f"kegiatan rutin/preventif ({', '.join(a.routine)})")

        # Context: who says it, where, when.
        ctx, why = self.grade_weight(report)
        reasons.append(why)
        if report.vulnerability:
            vw = float(self.vulnerability.get(report.vulnerability, 1.0))
            ctx *= vw
            label = VULNERABILITY_LABELS[report.vulnerability]
            reasons.append(f"kerawanan wilayah: {label} (bobot {vw:.2f})")
        pw, plabel = report.phase_weight, report.phase_label
        if pw is None:
            phase = self.phase_for(report.reported_at)
            if phase is not None:
                pw, plabel = phase.weight, phase.label
        if pw is not None:
            ctx *= float(pw) ** float(w.get("phase_exponent", 0.4))
            reasons.append(f"tahapan: {plabel or 'tahapan pemilu'} (bobot {float(pw):.1f})")

        raw = pos * ctx - neg
        if corroboration and pos > 0:
            cfg = self.stream_cfg
            n = min(corroboration, int(cfg.get("corroboration_max_reports", 2)))
            raw += n * float(cfg.get("corroboration_points", 10))
            hours = int(cfg.get("corroboration_window_minutes", 120)) / 60
            where = f" di {place}" if place else ""
            reasons.append(
                f"dikuatkan {corroboration} laporan independen dalam {hours:g} jam{where}"
            )
        reasons.extend(extra_reasons)
        score = max(0, min(100, round(raw)))
        level = 2 if score >= self.merah else 1 if score >= self.kuning else 0
        if level == 2 and not hard:
            level = 1
            reasons.append(
                "bukan kekerasan atau ancaman langsung terhadap proses pemilu: paling tinggi kuning"
            )
        if drill and level > self.drill_cap:
            level = self.drill_cap
        reasons.append(f"versi aturan: {self.version}")
        return Score(
            score=score,
            level=LEVELS[level],
            reasons=reasons,
            config_version=self.version,
            categories=tuple(a.threats),
            drill=drill,
        )
