"""Imports and exports of the directory in the formats actors already live in.

Imports: a CSV file (columns mapped to fields by their names, or by staff's choice), a
GoGoCarto export (elements, with their taxonomy when the file holds it), and the
data·inclusion schema (structures and services, JSON or CSV). Every record is checked with
the rules of the actor form; one bad record refuses the whole file with a report, so a file
is never half imported. Records with an identifier in their source update the entry that
came from it instead of adding a duplicate.

Exports: CSV (the import's columns), GeoJSON (a ``FeatureCollection`` of the entries with
coordinates) and GoGoCarto-style JSON (elements and taxonomy).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from analysis.csvio import TableError, parse_table
from survey.domain.actors import (
    FIELDS,
    InvalidActor,
    clean_actor,
    draft_of_record,
    territory_bounds,
    territory_choices,
)
from survey.domain.forms import FieldError
from survey.domain.queries import actors as directory
from survey.domain.queries.actors import ActorRow
from survey.domain.responses import neutralise
from survey.enums import ActorKind
from survey.errors import SurveyError
from survey.models.actors import Actor

FORMATS = ("csv", "gogocarto", "data-inclusion")
MAX_RECORDS = 20_000
MAX_BYTES = 5 * 1024 * 1024
EXPORT_FIELDS = ("id", *FIELDS)
# Column titles a CSV may use for each field (folded: lower case, no accents or spaces).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "nom", "title", "titre", "raisonsociale", "structure"),
    "kind": ("kind", "type", "typeacteur", "categorieacteur"),
    "services": ("services", "service", "offre", "offres", "propose", "description"),
    "skills": ("skills", "competences", "competence", "savoirfaire"),
    "resources": ("resources", "ressources", "ressource", "materiel", "equipements"),
    "themes": ("themes", "theme", "categories", "categorie", "thematiques", "tags"),
    "audience": ("audience", "pourqui", "publics", "profils", "beneficiaires"),
    "neighbourhood": ("neighbourhood", "quartier", "secteur"),
    "commune": ("commune", "town", "city", "ville", "localite"),
    "address": ("address", "adresse", "rue"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lng", "lon", "long"),
    "hours": ("hours", "horaires", "quand", "when", "disponibilites"),
    "phone": ("phone", "telephone", "tel"),
    "email": ("email", "courriel", "mail", "e-mail"),
    "website": ("website", "siteweb", "site", "url"),
    "source": ("source",),
    "public": ("visible", "visibilite", "publique", "ispublic"),
    "consent": ("consent", "consentement", "accord"),
    "checked_on": ("checkedon", "dateverification", "datemaj", "misajour", "lastchecked"),
}
_TRUE = frozenset({"1", "true", "vrai", "oui", "yes", "x", "public", "publique"})
_PUBLIC_SERVICES = frozenset(
    {
        "CCAS",
        "CIAS",
        "CAF",
        "MDS",
        "FT",
        "PE",
        "ML",
        "FRANCE_SERVICES",
        "MUNI",
        "DEPT",
        "CPAM",
        "MSA",
        "PIJ_BIJ",
        "CD",
        "EPCI",
        "MDPH",
        "PMI",
        "CHRS",
        "CMP",
        "MDE",
    }
)
_DI_KINDS = {"ASSO": ActorKind.ASSOCIATION, "TIERS_LIEUX": ActorKind.THIRD_PLACE}


class ImportRefused(SurveyError):
    """The file cannot be read at all in the chosen format (one key for the whole file)."""


@dataclass
class RowError:
    row: int  # 1-based record number in the file, as a spreadsheet shows data rows
    name: str
    field: str
    error: FieldError


@dataclass
class ImportReport:
    format: str
    records: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    imported: bool = False


def _fold(text: str) -> str:
    from analysis.text import fold_accents

    return "".join(ch for ch in fold_accents(text).lower() if ch.isalnum())


def propose_mapping(columns: Iterable[str]) -> dict[str, str]:
    """Field → CSV column, guessed from the column titles: a field's own name first (the
    columns of our export), then the usual French and English titles."""
    own = {name.replace("_", ""): name for name in FIELDS}
    guesses = {_fold(s): name for name, synonyms in _SYNONYMS.items() for s in synonyms}
    mapping: dict[str, str] = {}
    for column in columns:
        folded = _fold(column)
        name = own.get(folded) or guesses.get(folded)
        if name and name not in mapping:
            mapping[name] = column
    return mapping


def _lines(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value if v not in (None, ""))
    return "" if value is None else str(value)


def _commas(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if v not in (None, ""))
    return "" if value is None else str(value)


def _number(value: Any) -> str:
    return "" if value in (None, "") else str(value)


def _truthy(value: str) -> str:
    return "1" if value.strip().lower() in _TRUE else ""


# ------------------------------------------------------------------------- readers


def read_csv(
    data: bytes, mapping: Mapping[str, str] | None = None
) -> tuple[list[dict[str, str]], ImportReport]:
    """Records of a CSV file, columns mapped to fields (proposed when not given)."""
    try:
        table = parse_table(data, max_bytes=MAX_BYTES, max_rows=MAX_RECORDS)
    except TableError as exc:
        raise ImportRefused(f"actors.import_{exc.key.replace('.', '_')}") from exc
    chosen = {
        k: v for k, v in (mapping or propose_mapping(table.header)).items() if v in table.header
    }
    report = ImportReport(format="csv", mapping=chosen, columns=list(table.header))
    report.unmapped = [c for c in table.header if c not in chosen.values() and c != "id"]
    if "name" not in chosen:
        raise ImportRefused("actors.import_no_name_column")
    records = []
    for row in table.rows:
        record = {name: row[table.header.index(column)] for name, column in chosen.items()}
        for flag in ("public", "consent"):
            if flag in record:
                record[flag] = _truthy(record[flag])
        if "services" in record:
            record["services"] = record["services"].replace(" | ", "\n")
        record.setdefault("kind", "association")
        record["kind"] = record["kind"].strip() or "association"
        records.append(record)
    return records, report


def _load_json(data: bytes) -> Any:
    if len(data) > MAX_BYTES:
        raise ImportRefused("actors.import_too_large", mb=MAX_BYTES // 2**20)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ImportRefused("actors.import_bad_json") from exc


def _taxonomy_names(taxonomy: Any) -> dict[str, str]:
    """Category id → name from a GoGoCarto taxonomy (categories, options, subcategories)."""
    names: dict[str, str] = {}
    stack = list(taxonomy if isinstance(taxonomy, list) else [taxonomy])
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        if "id" in item and isinstance(item.get("name"), str):
            names[str(item["id"])] = item["name"]
        for key in ("options", "subcategories", "children"):
            if isinstance(item.get(key), list):
                stack.extend(item[key])
    return names


def _open_hours(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{day} {hours}" for day, hours in value.items() if hours)
    return _commas(value)


def read_gogocarto(data: bytes) -> tuple[list[dict[str, str]], ImportReport]:
    """Records of a GoGoCarto export: ``{"data": [elements], "taxonomy": [...]}`` or a list."""
    document = _load_json(data)
    taxonomy: Any = []
    if isinstance(document, dict):
        taxonomy = document.get("taxonomy") or []
        elements = document.get("data", document.get("elements"))
    else:
        elements = document
    if not isinstance(elements, list):
        raise ImportRefused("actors.import_not_gogocarto")
    names = _taxonomy_names(taxonomy)
    records = []
    for element in elements[: MAX_RECORDS + 1]:
        if not isinstance(element, dict):
            raise ImportRefused("actors.import_not_gogocarto")
        given_geo, given_address = element.get("geo"), element.get("address")
        geo: dict[str, Any] = given_geo if isinstance(given_geo, dict) else {}
        address: dict[str, Any] = given_address if isinstance(given_address, dict) else {}
        categories = element.get("categories", element.get("taxonomy")) or []
        if isinstance(element.get("categoriesFull"), list):
            categories = [c.get("name") for c in element["categoriesFull"] if isinstance(c, dict)]
        themes = (
            [names.get(str(c), str(c)) for c in categories if c not in (None, "")]
            if isinstance(categories, list)
            else [str(categories)]
        )
        street = " ".join(str(address.get(k) or "") for k in ("streetAddress",)).strip()
        town = " ".join(
            str(address.get(k) or "") for k in ("postalCode", "addressLocality")
        ).strip()
        element_id = element.get("id")
        records.append(
            {
                "source_key": f"gogocarto:{element_id}" if element_id not in (None, "") else "",
                "name": str(element.get("name") or element.get("title") or ""),
                "kind": "association",
                "services": _lines(element.get("services") or element.get("description") or ""),
                "skills": _lines(element.get("skills") or ""),
                "resources": _lines(element.get("resources") or ""),
                "themes": _commas(themes),
                "audience": _commas(element.get("audience") or element.get("public") or ""),
                "commune": str(address.get("addressLocality") or ""),
                "address": ", ".join(p for p in (street, town) if p),
                "latitude": _number(geo.get("latitude", element.get("lat"))),
                "longitude": _number(geo.get("longitude", element.get("lng", element.get("long")))),
                "hours": _open_hours(element.get("openHours")),
                "phone": str(element.get("telephone") or ""),
                "email": str(element.get("email") or ""),
                "website": str(element.get("website") or ""),
                "source": str(element.get("sourceKey") or "GoGoCarto"),
            }
        )
    return records, ImportReport(format="gogocarto")


def _di_theme(slug: str) -> str:
    return slug.split("--")[-1].replace("-", " ").strip()


def _di_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    text = str(value or "").strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v) for v in parsed if v]
    return [p.strip() for p in text.split(",") if p.strip()]


def _di_records(data: bytes) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Structures and services from a data·inclusion JSON document or CSV file."""
    if data.lstrip()[:1] in (b"[", b"{"):
        document = _load_json(data)
        if isinstance(document, dict):
            structures = document.get("structures", [])
            services = document.get("services", [])
        elif isinstance(document, list):
            structures = [d for d in document if isinstance(d, dict) and "structure_id" not in d]
            services = [d for d in document if isinstance(d, dict) and "structure_id" in d]
        else:
            raise ImportRefused("actors.import_not_data_inclusion")
    else:
        try:
            table = parse_table(data, max_bytes=MAX_BYTES, max_rows=MAX_RECORDS)
        except TableError as exc:
            raise ImportRefused(f"actors.import_{exc.key.replace('.', '_')}") from exc
        rows = [dict(zip(table.header, row, strict=True)) for row in table.rows]
        structures = [r for r in rows if not r.get("structure_id")]
        services = [r for r in rows if r.get("structure_id")]
    if not isinstance(structures, list) or not isinstance(services, list):
        raise ImportRefused("actors.import_not_data_inclusion")
    if any(not isinstance(s, dict) or "nom" not in s for s in [*structures, *services]):
        raise ImportRefused("actors.import_not_data_inclusion")
    return structures, services


def _di_day(value: Any) -> str:
    text = str(value or "").strip()
    return text[:10] if len(text) >= 10 else ""


def read_data_inclusion(data: bytes) -> tuple[list[dict[str, str]], ImportReport]:
    """Records of the data·inclusion schema: one entry per structure, its services as its
    offers; a service whose structure is not in the file becomes an entry of its own."""
    structures, services = _di_records(data)
    by_structure: dict[str, list[dict[str, Any]]] = {}
    for service in services:
        by_structure.setdefault(str(service.get("structure_id") or ""), []).append(service)
    records = []

    def record(item: Mapping[str, Any], offers: list[dict[str, Any]]) -> dict[str, str]:
        source = str(item.get("source") or "data·inclusion")
        typology = str(item.get("typologie") or "").upper()
        kind = _DI_KINDS.get(typology) or (
            ActorKind.PUBLIC_SERVICE if typology in _PUBLIC_SERVICES else ActorKind.OTHER
        )
        lines = [
            " – ".join(
                p for p in (str(o.get("nom") or ""), str(o.get("presentation_resume") or "")) if p
            )
            for o in offers
        ] or [str(item.get("presentation_resume") or "")]
        themes = [
            *_di_list(item.get("thematiques")),
            *(t for o in offers for t in _di_list(o.get("thematiques"))),
        ]
        audience = [p for o in offers for p in _di_list(o.get("profils") or o.get("publics"))]
        street = " ".join(str(item.get(k) or "") for k in ("adresse", "complement_adresse")).strip()
        town = " ".join(str(item.get(k) or "") for k in ("code_postal", "commune")).strip()
        return {
            "source_key": f"data-inclusion:{source}:{item.get('id')}" if item.get("id") else "",
            "name": str(item.get("nom") or ""),
            "kind": str(kind),
            "services": "\n".join(line for line in lines if line),
            "themes": ", ".join(dict.fromkeys(_di_theme(t) for t in themes)),
            "audience": ", ".join(dict.fromkeys(_di_theme(a) for a in audience)),
            "commune": str(item.get("commune") or ""),
            "address": ", ".join(p for p in (street, town) if p),
            "latitude": _number(item.get("latitude")),
            "longitude": _number(item.get("longitude")),
            "hours": str(item.get("horaires_ouverture") or item.get("recurrence") or ""),
            "phone": str(item.get("telephone") or ""),
            "email": str(item.get("courriel") or ""),
            "website": str(item.get("site_web") or item.get("lien_source") or ""),
            "source": source[:200],
            "checked_on": _di_day(item.get("date_maj")),
        }

    known = set()
    for structure in structures:
        key = str(structure.get("id") or "")
        known.add(key)
        records.append(record(structure, by_structure.get(key, [])))
    for key, offers in by_structure.items():
        if key not in known:
            records.extend(record(o, [o]) for o in offers)
    return records, ImportReport(format="data-inclusion")


def detect_format(data: bytes, filename: str = "") -> str:
    """``csv``, ``gogocarto`` or ``data-inclusion`` from the file name and first bytes."""
    head = data.lstrip()[:1]
    if head not in (b"[", b"{"):
        text = data[:4096].decode("utf-8", errors="replace")
        return (
            "data-inclusion" if "presentation_resume" in text or "structure_id" in text else "csv"
        )
    sample = data[:200_000].decode("utf-8", errors="replace")
    if any(
        k in sample
        for k in ('"structure_id"', '"presentation_resume"', '"structures"', '"typologie"')
    ):
        return "data-inclusion"
    return "gogocarto"


# ------------------------------------------------------------------------- importing


def _place_codes(places: list[dict[str, str]]) -> dict[str, str]:
    """Folded code or label → code, so that "Le Biollay" and "biollay" both fit."""
    codes: dict[str, str] = {}
    for place in places:
        for text in (place["code"], place["fr"], place["en"]):
            if text:
                codes.setdefault(_fold(text), place["code"])
    return codes


async def import_actors(
    data: bytes,
    fmt: str = "",
    *,
    filename: str = "",
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Check every record of a file and, when all are valid, store them in one transaction."""
    fmt = fmt or detect_format(data, filename)
    if fmt not in FORMATS:
        raise ImportRefused("actors.import_bad_format")
    if len(data) > MAX_BYTES:
        raise ImportRefused("actors.import_too_large", mb=MAX_BYTES // 2**20)
    if not data.strip():
        raise ImportRefused("actors.import_empty")
    reader = {"csv": lambda d: read_csv(d, mapping), "gogocarto": read_gogocarto}
    records, report = reader.get(fmt, read_data_inclusion)(data)
    if not records:
        raise ImportRefused("actors.import_empty")
    if len(records) > MAX_RECORDS:
        raise ImportRefused("actors.import_too_many", max=MAX_RECORDS)
    report.records = len(records)
    places = await territory_choices()
    bounds = await territory_bounds()
    codes = _place_codes(places)
    cleaned: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=1):
        place = record.get("neighbourhood", "").strip()
        if place:
            record["neighbourhood"] = codes.get(_fold(place), place)
        record.setdefault("source", fmt)
        key = record.pop("source_key", "") or ""
        if key and key in seen:
            report.errors.append(
                RowError(
                    number,
                    record.get("name", ""),
                    "source_key",
                    FieldError("actors.import_duplicate", {"row": seen[key]}),
                )
            )
        if key:
            seen.setdefault(key, number)
        try:
            cleaned.append(
                (
                    key[:300],
                    clean_actor(draft_of_record(record), [p["code"] for p in places], bounds),
                )
            )
        except InvalidActor as exc:
            report.errors.extend(
                RowError(number, record.get("name", ""), name, error)
                for name, error in exc.errors.items()
            )
    if report.errors or dry_run:
        return report
    async with in_transaction():
        existing = {
            a.source_key: a for a in await Actor.filter(source_key__in=[k for k, _ in cleaned if k])
        }
        for key, values in cleaned:
            actor = existing.get(key) if key else None
            if actor is None:
                await Actor.create(source_key=key or None, **values)
                report.created += 1
            else:
                actor.update_from_dict(values)
                await actor.save()
                report.updated += 1
    report.imported = True
    return report


# ------------------------------------------------------------------------- exports


async def _live_actors() -> list[ActorRow]:
    return await directory.live_by_name()


def _csv_value(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name)
    if name in ("services", "skills", "resources"):
        return "\n".join(value or [])
    if name == "themes":
        return ", ".join(value or [])
    if name in ("public", "consent"):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


async def export_csv() -> str:
    """Every live entry as CSV, with the columns an import maps back to the same fields."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_FIELDS)
    for item in await _live_actors():
        writer.writerow([neutralise(_csv_value(item, name)) for name in EXPORT_FIELDS])
    return out.getvalue()


def safe_json(document: Any) -> str:
    """JSON whose text cannot close a ``<script>`` or open a tag wherever it is pasted."""
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _properties(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "name": item["name"],
        "kind": item["kind"],
        "services": item["services"],
        "skills": item["skills"],
        "resources": item["resources"],
        "themes": item["themes"],
        "audience": item["audience"],
        "neighbourhood": item["neighbourhood"],
        "commune": item["commune"],
        "address": item["address"],
        "hours": item["hours"],
        "phone": item["phone"],
        "email": item["email"],
        "website": item["website"],
        "public": item["public"],
    }


async def export_geojson() -> str:
    """A GeoJSON ``FeatureCollection``: one ``Point`` feature per entry with coordinates."""
    features = [
        {
            "type": "Feature",
            "id": item["id"],
            "geometry": {"type": "Point", "coordinates": [item["longitude"], item["latitude"]]},
            "properties": _properties(item),
        }
        for item in await _live_actors()
        if item["latitude"] is not None and item["longitude"] is not None
    ]
    return safe_json({"type": "FeatureCollection", "features": features})


async def export_gogocarto() -> str:
    """GoGoCarto-style JSON: elements (``data``) and the taxonomy of their themes."""
    items = await _live_actors()
    themes = list(dict.fromkeys(t for item in items for t in item["themes"]))
    ids = {theme: index for index, theme in enumerate(themes, start=1)}
    elements = []
    for item in items:
        element: dict[str, Any] = {
            "id": str(item["id"]),
            "name": item["name"],
            "categories": item["themes"],
            "categoriesFull": [{"id": ids[t], "name": t} for t in item["themes"]],
            "description": "\n".join(item["services"]),
            "skills": item["skills"],
            "resources": item["resources"],
            "audience": item["audience"],
            "address": {"streetAddress": item["address"], "addressLocality": item["commune"]},
            "telephone": item["phone"],
            "email": item["email"],
            "website": item["website"],
            "openHoursMoreInfos": item["hours"],
            "sourceKey": item["source"],
            "updatedAt": item["updated_at"].isoformat() if item["updated_at"] else None,
        }
        if item["latitude"] is not None and item["longitude"] is not None:
            element["geo"] = {"latitude": item["latitude"], "longitude": item["longitude"]}
        elements.append(element)
    taxonomy = [
        {
            "id": 0,
            "name": "Thèmes",
            "options": [{"id": ids[t], "name": t, "subcategories": []} for t in themes],
        }
    ]
    return safe_json({"ontology": "gogofull", "data": elements, "taxonomy": taxonomy})
