"""`python manage.py ew_train`: train a new version of the early-warning engine's learned layer.

Reads the labelled corpus (EW_CORPUS_DIR, one JSON Lines file per author; or --corpus DIR) and
every report's latest command-post correction, trains on the active version's lexicon, and
saves the result as an inactive engine version (activate it from the page or the API after its
backtest: `ew_backtest --config VERSION`). Prints one JSON line with the new version and what
it was trained on.

`--name V` names the new version. `--ship` (developers) instead writes the artefact beside
the engine (incidents/ew/<version>.model.json.gz) and the shipped default_config.json that loads it,
trained on the corpus alone, with no database.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents.ew import Config, Engine, rules_config
from incidents.ew.engine import DEFAULT_CONFIG_PATH
from incidents.ew.model import dump_artefact
from incidents.ew.train import read_corpus, train
from incidents.learning import ew_training_execute, ew_version_next
from incidents.models import EwConfig, EwTrainingRun


class Command(BaseCommand):
    help = "Train a new early-warning engine version from the corpus and the corrections."

    def add_arguments(self, parser):
        parser.add_argument(
            "--name", dest="version", help="the new version's name (default: ew-DATE-N)"
        )
        parser.add_argument("--corpus", metavar="DIR", help="corpus folder (*.jsonl)")
        parser.add_argument(
            "--no-corrections", action="store_true", help="leave the corrections out"
        )
        parser.add_argument(
            "--ship", action="store_true", help="write the shipped default (no database)"
        )

    def handle(self, *args, **opts):
        corpus = Path(opts["corpus"]) if opts["corpus"] else None
        if corpus is not None and not corpus.is_dir():
            raise CommandError(f"--corpus: {corpus} is not a folder")
        if opts["ship"]:
            self._ship(corpus, opts["version"])
            return
        version = opts["version"] or ew_version_next()
        if EwConfig.objects.filter(version=version).exists():
            raise CommandError(f"version {version} exists already")
        run = EwTrainingRun.objects.create(version=version)
        try:
            config = ew_training_execute(
                run=run, corpus_dir=corpus, corrections=not opts["no_corrections"]
            )
        except (OSError, ValueError) as exc:
            raise CommandError(f"training failed: {exc}") from None
        run.refresh_from_db()
        self.stdout.write(json.dumps({"version": config.version, **run.summary}))

    def _ship(self, corpus, version):
        version = version or json.loads(DEFAULT_CONFIG_PATH.read_text())["version"]
        rows = read_corpus(sorted(Path(corpus or settings.EW_CORPUS_DIR).glob("*.jsonl")))
        if not rows:
            raise CommandError("the corpus is empty")
        base = rules_config().to_dict()
        featuriser = Engine(Config.from_dict(base))
        artefact = train(
            rows, lambda r: featuriser.model_blocks(r["text"], r.get("channel")), version=version
        )
        name = f"{version}.model.json.gz"
        dump_artefact(artefact, DEFAULT_CONFIG_PATH.with_name(name))
        data = {**base, "version": version, "model": name}
        Config.from_dict(data)
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        DEFAULT_CONFIG_PATH.write_text(text, encoding="utf-8")
        self.stdout.write(
            json.dumps({"version": version, "artefact": name, **artefact["trained"]["per_level"]})
        )
