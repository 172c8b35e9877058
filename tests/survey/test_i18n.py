"""The message catalogue: every message in French and English, every used key defined."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import jinja2
from jinja2 import nodes

from analysis.sortition_lib import ALGORITHMS
from analysis.voting import METHODS, N_GRADES
from survey.domain.conditions import BETWEEN, EQUALS, INCLUDES, ONE_OF
from survey.domain.definitions import ACCESS_MODES
from survey.domain.followup import PARTS
from survey.domain.import_dates import ORDERS
from survey.domain.needs_quality import REVIEW_KINDS
from survey.domain.sortition_form import SIMPLE_ALGORITHM
from survey.enums import ActionStatus, Channel, JobState, QuestionKind, Role, SurveyStatus
from survey.i18n import catalogue, translate

ROOT = Path(__file__).resolve().parents[2]
_KEY = re.compile(
    r"""["']((?:error|form|nav|footer|home|survey|thanks|staff|status|channel|privacy|"""
    r"""council|analysis|dashboard|report|privacy|a11y|builder|member|vote|sortition|actions|"""
    r"""followup|decide|actors|charts|time|imports|vocab|review|table)"""
    r"""\.[a-z0-9_]+)["']"""
)


def used_keys() -> set[str]:
    keys: set[str] = set()
    files = list((ROOT / "templates").rglob("*.html")) + list((ROOT / "survey").rglob("*.py"))
    # The voting methods present their own results, with keys of the council's catalogue.
    files += list((ROOT / "analysis" / "voting").rglob("*.py"))
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


# Keys built from a value: a template's ``"prefix" ~ value ~ "suffix"`` and code's
# ``f"prefix{value}suffix"`` or ``"prefix" + value``, found by parsing (Jinja's and Python's
# own parsers). Each shape, (prefix, suffix), names where its values come from; the test
# fails on a shape found in the code that is not listed here, and on a value of a listed shape
# that has no message.


def _in_catalogue_namespace(text: object) -> bool:
    """Whether a literal starts like a catalogue key: a prefix of ``_KEY`` and a dot."""
    return (
        isinstance(text, str) and "." in text and bool(_KEY.fullmatch(f'"{text.split(".")[0]}.x"'))
    )


def _source(relative: str) -> str:
    return (ROOT / relative).read_text(encoding="utf-8")


def _calls(relative: str, function: str) -> set[str]:
    """First arguments of the calls to ``function`` in a module, when they are literals."""
    found = set()
    for node in ast.walk(ast.parse(_source(relative))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name == function and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    assert found, f"no call to {function} in {relative}"
    return found


def _returned(relative: str, function: str) -> set[str]:
    """The literal strings a function of a module returns."""
    for node in ast.walk(ast.parse(_source(relative))):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            found = {
                r.value.value
                for r in ast.walk(node)
                if isinstance(r, ast.Return)
                and isinstance(r.value, ast.Constant)
                and isinstance(r.value.value, str)
            }
            assert found, f"{function} in {relative} returns no literal"
            return found
    raise AssertionError(f"no function {function} in {relative}")


def _dict_keys(relative: str, variable: str) -> set[str]:
    for node in ast.walk(ast.parse(_source(relative))):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id == variable for t in node.targets)
        ):
            return {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    raise AssertionError(f"no dict {variable} in {relative}")


BUILT: dict[tuple[str, str], Callable[[], Iterable[object]]] = {
    ("status.", ""): lambda: SurveyStatus,
    ("channel.", ""): lambda: Channel,
    ("analysis.state_", ""): lambda: JobState,
    # The waiting page shows a queued or running draw; a done or failed one leaves it.
    ("sortition.queued_", ""): lambda: (JobState.QUEUED, JobState.RUNNING),
    ("actions.status_", ""): lambda: ActionStatus,
    ("staff.team_role_", ""): lambda: Role,
    # What survey.domain.accounts records: create_<role>, reset_password, deactivate.
    ("staff.team_action_", ""): lambda: (
        {f"create_{r}" for r in Role} | {"reset_password", "deactivate"}
    ),
    ("builder.kind.", ""): lambda: QuestionKind,
    ("builder.access.", ""): lambda: ACCESS_MODES,
    ("builder.op.", ""): lambda: (EQUALS, ONE_OF, INCLUDES, BETWEEN),
    ("builder.condition_", ""): lambda: _calls("survey/domain/conditions.py", "_error"),
    ("followup.part_", ""): lambda: PARTS,
    # The run page tells each kind of review action staff took.
    ("review.count_", ""): lambda: REVIEW_KINDS,
    ("sortition.algorithm_", ""): lambda: (*ALGORITHMS, SIMPLE_ALGORITHM),
    ("sortition.algorithm_", "_help"): lambda: (*ALGORITHMS, SIMPLE_ALGORITHM),
    ("sortition.", ""): lambda: (
        _calls("analysis/sortition.py", "InfeasibleQuotas")
        | _calls("analysis/sortition_lib.py", "InfeasibleQuotas")
    ),
    ("vote.grade_", ""): lambda: range(N_GRADES),
    # A statement's ballot choices and the side of a group's representative statement.
    ("vote.", ""): lambda: ("agree", "disagree", "pass"),
    # The audit log names the method a consultation was created with.
    ("council.method_", ""): lambda: METHODS,
    ("council.method_budget_", ""): lambda: ("equal_shares", "greedy"),
    ("council.explain_budget_", ""): lambda: ("equal_shares", "greedy"),
    ("decide.reading_", ""): lambda: _returned("analysis/opinion.py", "statement_reading"),
    # A date question's bounds (survey.domain.forms._date_error).
    ("error.date_", ""): lambda: ("min", "max"),
    ("error.date_", "_today"): lambda: ("min", "max"),
    # The import review names months in words and says which order a value decided.
    ("imports.month_", ""): lambda: range(1, 13),
    ("imports.order_decided_", ""): lambda: ORDERS,
    ("actors.bad_", ""): lambda: _dict_keys("survey/domain/actors.py", "limits"),
    # The directory's import gives parse_table no column or cell limit: those two never come.
    ("actors.import_", ""): lambda: {
        k.replace(".", "_")
        for k in _calls("analysis/csvio.py", "TableError")
        - {"csv.too_many_columns", "csv.too_many_cells"}
    },
}


def _template_shapes(source: str) -> set[tuple[str, str]]:
    shapes = set()
    for concat in jinja2.Environment(autoescape=True).parse(source).find_all(nodes.Concat):
        head, *rest = concat.nodes
        if isinstance(head, nodes.Const) and _in_catalogue_namespace(head.value):
            tail = rest[-1] if rest else None
            suffix = tail.value if isinstance(tail, nodes.Const) else ""
            shapes.add((head.value, str(suffix)))
    return shapes


def _code_shapes(source: str) -> set[tuple[str, str]]:
    shapes = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            parts = node.values
            first, last = parts[0], parts[-1]
            if isinstance(first, ast.Constant) and _in_catalogue_namespace(first.value):
                holes = sum(isinstance(p, ast.FormattedValue) for p in parts)
                suffix = last.value if isinstance(last, ast.Constant) and len(parts) > 1 else ""
                shapes.add((first.value, suffix) if holes == 1 else (first.value, f"<{holes}>"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = node.left
            if isinstance(left, ast.Constant) and isinstance(left.value, str):
                if _in_catalogue_namespace(left.value):
                    shapes.add((left.value, ""))
    return shapes


def built_shapes() -> dict[tuple[str, str], list[str]]:
    """Each shape of built key found, with the files it is found in."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for shape in _template_shapes(path.read_text(encoding="utf-8")):
            found.setdefault(shape, []).append(str(path.relative_to(ROOT)))
    for package in ("survey", "analysis"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for shape in _code_shapes(path.read_text(encoding="utf-8")):
                found.setdefault(shape, []).append(str(path.relative_to(ROOT)))
    return found


def built_keys() -> set[str]:
    return {f"{head}{value}{tail}" for (head, tail), values in BUILT.items() for value in values()}


def test_every_built_key_says_where_its_values_come_from() -> None:
    found = built_shapes()
    assert len(found) >= len(BUILT) - 2  # the scanner sees the shapes (not an empty walk)
    unlisted = {
        f"{head}…{tail}": files
        for (head, tail), files in found.items()
        if (head, tail) not in BUILT
    }
    assert unlisted == {}


def test_every_built_key_exists() -> None:
    missing = sorted(built_keys() - set(catalogue("fr")))
    assert missing == []


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


def test_a_count_alone_takes_a_plural_form_not_a_bracketed_s() -> None:
    from survey.i18n import plural_forms

    # A message whose only placeholder is {n} agrees with it: "1 réponse", "3 réponses".
    for language in ("fr", "en"):
        plurals = plural_forms(language)
        for key, text in catalogue(language).items():
            if set(re.findall(r"{(\w+)}", text)) == {"n"}:
                assert "(s)" not in text or key in plurals, (language, key, text)
    assert translate("fr", "review.several", n=1) == "1 réponse exprime plusieurs besoins."
    assert translate("fr", "review.several", n=3) == "3 réponses expriment plusieurs besoins."
    assert translate("en", "actors.help_count", n=1) == "1 place to turn to"


def test_no_message_brackets_a_plural_ending_and_counts_compose_from_plural_pieces() -> None:
    from survey.i18n import plural_forms

    # Every form of every message, in both languages: "(s)" and "(ies)" are never written.
    for language in ("fr", "en"):
        texts = [*catalogue(language).items()]
        texts += [(key, form) for key, forms in plural_forms(language).items() for form in forms]
        bracketed = [(key, text) for key, text in texts if "(s)" in text or "(ies)" in text]
        assert bracketed == [], language

    def t(language: str, key: str, **params: object) -> str:
        return translate(language, key, **params)

    def composed(
        language: str, key: str, pieces: dict[str, tuple[str, int]], **rest: object
    ) -> str:
        # Each count formatted by its own plural piece, then the sentence around them.
        counted = {name: t(language, piece, n=n) for name, (piece, n) in pieces.items()}
        return t(language, key, **counted, **rest)

    def participation(language: str, ballots: int, members: int, paper: int) -> str:
        pieces = {
            "ballots": ("council.ballots_n", ballots),
            "members": ("council.members_n", members),
        }
        return composed(language, "council.participation_n", pieces, paper=paper)

    # A sentence holding several counts agrees with each of them.
    assert participation("fr", 1, 1, 0) == "1 bulletin sur 1 membre, dont 0 sur papier"
    assert participation("fr", 3, 12, 2) == "3 bulletins sur 12 membres, dont 2 sur papier"
    assert participation("en", 1, 1, 0) == "1 ballot out of 1 member, 0 of them on paper"
    assert participation("en", 0, 2, 0) == "0 ballots out of 2 members, 0 of them on paper"

    def done(language: str, added: int, updated: int) -> str:
        pieces = {
            "added": ("actors.import_added_n", added),
            "updated": ("actors.import_updated_n", updated),
        }
        return composed(language, "actors.import_done", pieces)

    assert done("fr", 1, 1) == "Import terminé : 1 fiche ajoutée, 1 mise à jour."
    assert done("fr", 2, 3) == "Import terminé : 2 fiches ajoutées, 3 mises à jour."
    assert done("en", 1, 0) == "Import done: 1 entry added, 0 updated."
    assert done("en", 4, 2) == "Import done: 4 entries added, 2 updated."

    def gaps(language: str, n: int, answered: int) -> str:
        pieces = {"gaps": ("actors.gaps_n", n), "answered": ("actors.gaps_answered_n", answered)}
        return composed(language, "actors.gaps_count", pieces)

    assert gaps("fr", 1, 1) == "1 besoin sans acteur confirmé ; 1 a déjà un acteur."
    assert gaps("fr", 2, 5) == "2 besoins sans acteur confirmé ; 5 ont déjà un acteur."
    assert gaps("en", 1, 1) == "1 need with no confirmed actor; 1 already has one."
    assert gaps("en", 3, 2) == "3 needs with no confirmed actor; 2 already have one."

    def imported(language: str, questions: int, pages: int) -> str:
        pieces = {"pages": ("builder.imported_pages_n", pages)}
        return composed(language, "builder.imported_text", pieces, title="Enquête", n=questions)

    assert imported("fr", 1, 1) == "« Enquête » a été créé en brouillon : 1 question sur 1 page."
    assert imported("en", 11, 3) == '"Enquête" was created as a draft: 11 questions on 3 pages.'

    # A message listing missing columns agrees with how many there are.
    one = t("fr", "council.polis_columns_votes", columns="vote", n=1)
    assert one.startswith("Colonne manquante : vote. ")
    two = t("en", "council.polis_columns_votes", columns="voter-id, vote", n=2)
    assert two.startswith("Missing columns: voter-id, vote. ")
