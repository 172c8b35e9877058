"""The message catalogue: every message in French and English, every used key defined."""

from __future__ import annotations

import re
from pathlib import Path

from survey.enums import Channel, JobState, SurveyStatus
from survey.i18n import catalogue, translate

ROOT = Path(__file__).resolve().parents[2]
_KEY = re.compile(
    r"""["']((?:error|form|nav|footer|home|survey|thanks|staff|status|channel|privacy|"""
    r"""council|analysis|dashboard|report|privacy|a11y|builder|member|vote|sortition|actions|"""
    r"""followup|decide|actors|charts|time|vocab|review)"""
    r"""\.[a-z0-9_]+)["']"""
)


def used_keys() -> set[str]:
    keys: set[str] = set()
    files = list((ROOT / "templates").rglob("*.html")) + list((ROOT / "survey").rglob("*.py"))
    for path in files:
        keys.update(
            k
            for k in _KEY.findall(path.read_text(encoding="utf-8"))
            if not k.endswith((".html", ".models", ".py", "_"))
        )
    keys.update(f"status.{s}" for s in SurveyStatus)
    keys.update(f"channel.{c}" for c in Channel)
    keys.update(f"analysis.state_{s}" for s in JobState)
    return keys


def test_catalogue_has_every_message_in_both_languages() -> None:
    fr, en = catalogue("fr"), catalogue("en")
    assert set(fr) == set(en)
    assert [k for k, v in fr.items() if not v.strip()] == []
    assert [k for k, v in en.items() if not v.strip()] == []


def test_catalogue_placeholders_match() -> None:
    fr, en = catalogue("fr"), catalogue("en")
    for key in fr:
        assert set(re.findall(r"{(\w+)}", fr[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_every_key_used_in_code_and_templates_exists() -> None:
    missing = sorted(used_keys() - set(catalogue("fr")))
    assert missing == []


def test_translate_defaults_to_french_and_formats() -> None:
    assert translate("de", "survey.step", n=1, total=3) == "Étape 1 sur 3"
    assert translate("en", "survey.step", n=1, total=3) == "Step 1 of 3"
