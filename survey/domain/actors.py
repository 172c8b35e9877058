"""The directory of actors and resources: create, edit, list, merge duplicates, archive.

An entry is written from a typed ``ActorDraft`` (read from the staff form in survey/web, or
from an imported record); its checks return keyed errors per field (``InvalidActor``) so the
page shows each message next to its field with what was typed kept. Lists (services, skills,
resources) are typed one item per line; themes are separated by commas.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from survey.domain.forms import FieldError
from survey.domain.queries import actor_need_links, actors, questions
from survey.domain.staff_forms import ID, InvalidFields, Unread, field_error, typed_day
from survey.enums import ActorKind
from survey.errors import NotFound, SurveyError
from survey.models.actors import Actor, TerritoryOutline

NAME_MAX = 200
TEXT_MAX = 5000
ITEM_MAX = 300
ITEMS_MAX = 50
PAGE_SIZE = 50
KINDS = tuple(ActorKind)
LIST_FIELDS = ("services", "skills", "resources")
# The fields of the actor form, in the order of the page (for the error summary).
FIELDS = (
    "name",
    "kind",
    "services",
    "skills",
    "resources",
    "themes",
    "audience",
    "neighbourhood",
    "commune",
    "address",
    "latitude",
    "longitude",
    "hours",
    "phone",
    "email",
    "website",
    "source",
    "public",
    "consent",
    "checked_on",
)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{7,18}[0-9]$")
_WEBSITE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


class InvalidActor(InvalidFields):
    """Some fields of the actor form are invalid; ``errors`` maps field → error."""

    summary_key = "actors.form_errors"


def split_lines(text: str) -> list[str]:
    """Items typed one per line (or separated by semicolons), blanks and repeats dropped."""
    items = (" ".join(part.split()) for part in re.split(r"[\n;]", text))
    return list(dict.fromkeys(item for item in items if item))


def split_themes(text: str) -> list[str]:
    items = (" ".join(part.split()) for part in re.split(r"[,\n;]", text))
    return list(dict.fromkeys(item for item in items if item))


def parse_number(text: str) -> float | None:
    """A decimal typed with a point or a comma; ``None`` when it is not one."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


async def territory_choices() -> list[dict[str, str]]:
    """The neighbourhoods and communes of the surveys' territory questions, each code once."""
    choices: dict[str, dict[str, str]] = {}
    for value in await questions.territory_choices():
        if isinstance(value, dict) and value.get("code"):
            code = str(value["code"])
            choices.setdefault(
                code,
                {
                    "code": code,
                    "fr": str(value.get("fr") or code),
                    "en": str(value.get("en") or ""),
                },
            )
    return list(choices.values())


@dataclass(frozen=True)
class ActorDraft:
    """An entry as staff (or an imported record) describe it; texts as typed.

    ``kind`` is None when what was chosen is not one of ``KINDS``; lists hold their items
    in order; a coordinate or a day that could not be read is kept as ``Unread``."""

    name: str
    kind: ActorKind | None
    services: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    audience: str = ""
    neighbourhood: str = ""
    commune: str = ""
    address: str = ""
    latitude: float | Unread | None = None
    longitude: float | Unread | None = None
    hours: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    source: str = ""
    public: bool = False
    consent: bool = False
    checked_on: dt.date | Unread | None = None


def typed_number(text: str) -> float | Unread | None:
    """A typed number, ``None`` when blank, else ``Unread``."""
    text = text.strip()
    if not text:
        return None
    number = parse_number(text)
    return Unread(text) if number is None else number


def draft_of_record(record: Mapping[str, str]) -> ActorDraft:
    """An imported record (texts under the directory's column names) as a draft."""
    kind = str(record.get("kind", "")).strip()
    return ActorDraft(
        name=record.get("name", ""),
        kind=ActorKind(kind) if kind in KINDS else None,
        services=tuple(split_lines(record.get("services", ""))),
        skills=tuple(split_lines(record.get("skills", ""))),
        resources=tuple(split_lines(record.get("resources", ""))),
        themes=tuple(split_themes(record.get("themes", ""))),
        audience=record.get("audience", ""),
        neighbourhood=record.get("neighbourhood", ""),
        commune=record.get("commune", ""),
        address=record.get("address", ""),
        latitude=typed_number(record.get("latitude", "")),
        longitude=typed_number(record.get("longitude", "")),
        hours=record.get("hours", ""),
        phone=record.get("phone", ""),
        email=record.get("email", ""),
        website=record.get("website", ""),
        source=record.get("source", ""),
        public=bool(record.get("public")),
        consent=bool(record.get("consent")),
        checked_on=typed_day(record.get("checked_on", "")),
    )


def _text(value: str, name: str, errors: dict[str, FieldError], limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        errors[name] = field_error("actors.too_long", max=limit)
    return value


def _items(items: tuple[str, ...], name: str, errors: dict[str, FieldError]) -> list[str]:
    if len(items) > ITEMS_MAX:
        errors[name] = field_error("actors.too_many", max=ITEMS_MAX)
    elif any(len(item) > ITEM_MAX for item in items):
        errors[name] = field_error("actors.item_too_long", max=ITEM_MAX)
    return list(items)


@dataclass(frozen=True)
class Bounds:
    """The territory's box: coordinates outside it are refused (a typing slip, or latitude
    and longitude swapped, puts a point kilometres away)."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    def params(self) -> dict[str, str]:
        return {k: f"{v:.3f}" for k, v in vars(self).items()}


# Around the outlines: a quarter of their extent, at least about ten kilometres.
_MARGIN_SHARE = 0.25
_MARGIN_MIN = 0.1


def bounds_of(areas: Iterable[Mapping[str, Any]]) -> Bounds | None:
    """The box around the outlines' rings, with a margin; ``None`` without any point."""
    points = [p for a in areas for ring in a["rings"] for p in ring]
    if not points:
        return None
    lons = [float(p[0]) for p in points]
    lats = [float(p[1]) for p in points]
    lat_pad = max(_MARGIN_SHARE * (max(lats) - min(lats)), _MARGIN_MIN)
    lon_pad = max(_MARGIN_SHARE * (max(lons) - min(lons)), _MARGIN_MIN)
    return Bounds(
        min(lats) - lat_pad, max(lats) + lat_pad, min(lons) - lon_pad, max(lons) + lon_pad
    )


async def territory_bounds() -> Bounds | None:
    """The box of the newest uploaded outlines (the demo loads its own)."""
    outline = await TerritoryOutline.all().order_by("-uploaded_at", "-id").first()
    return bounds_of(outline.areas) if outline is not None else None


def _coordinates(
    draft: ActorDraft, errors: dict[str, FieldError], bounds: Bounds | None
) -> dict[str, Any]:
    values: dict[str, Any] = {"latitude": None, "longitude": None}
    given = {"latitude": draft.latitude, "longitude": draft.longitude}
    limits = {"latitude": 90.0, "longitude": 180.0}
    for name, value in given.items():
        if value is None:
            continue
        if isinstance(value, Unread) or abs(value) > limits[name]:
            errors[name] = field_error(f"actors.bad_{name}")
        else:
            values[name] = value
    if (draft.latitude is None) != (draft.longitude is None):
        missing = "latitude" if draft.latitude is None else "longitude"
        errors.setdefault(missing, field_error("actors.coordinates_pair"))
    lat, lon = values["latitude"], values["longitude"]
    if bounds is not None and lat is not None and lon is not None:
        outside = field_error("actors.outside_territory", **bounds.params())
        if not bounds.lat_min <= lat <= bounds.lat_max:
            errors["latitude"] = outside
        if not bounds.lon_min <= lon <= bounds.lon_max:
            errors["longitude"] = outside
    return values


def clean_actor(
    draft: ActorDraft, places: Iterable[str], bounds: Bounds | None = None
) -> dict[str, Any]:
    """Validated column values from a draft (the actor form or an imported row), or
    ``InvalidActor``; coordinates must lie in ``bounds`` when given."""
    errors: dict[str, FieldError] = {}
    values: dict[str, Any] = {
        "name": " ".join(_text(draft.name, "name", errors, NAME_MAX).split()),
        "audience": _text(draft.audience, "audience", errors, TEXT_MAX),
        "commune": _text(draft.commune, "commune", errors, NAME_MAX),
        "address": _text(draft.address, "address", errors, TEXT_MAX),
        "hours": _text(draft.hours, "hours", errors, TEXT_MAX),
        "source": _text(draft.source, "source", errors, NAME_MAX),
    }
    if not values["name"] and "name" not in errors:
        errors["name"] = field_error("actors.required")
    if draft.kind is None:
        errors["kind"] = field_error("actors.bad_kind")
    values["kind"] = draft.kind
    for name in (*LIST_FIELDS, "themes"):
        values[name] = _items(getattr(draft, name), name, errors)
    place = draft.neighbourhood.strip()
    if place and place not in set(places):
        errors["neighbourhood"] = field_error("actors.bad_neighbourhood")
    values["neighbourhood"] = place
    values.update(_coordinates(draft, errors, bounds))
    phone = _text(draft.phone, "phone", errors, 40)
    if phone and "phone" not in errors and not _PHONE.match(phone):
        errors["phone"] = field_error("actors.bad_phone")
    email = _text(draft.email, "email", errors, NAME_MAX)
    if email and "email" not in errors and not _EMAIL.match(email):
        errors["email"] = field_error("actors.bad_email")
    website = _text(draft.website, "website", errors, 500)
    # Only web addresses: a "javascript:" link typed or imported would run on staff pages.
    if website and "website" not in errors and not _WEBSITE.match(website):
        errors["website"] = field_error("actors.bad_website")
    values.update(phone=phone, email=email, website=website)
    values["public"] = draft.public
    values["consent"] = draft.consent
    if draft.kind == ActorKind.RESIDENT and not values["consent"]:
        errors["consent"] = field_error("actors.consent_required")
    values["checked_on"] = None
    if isinstance(draft.checked_on, Unread):
        errors["checked_on"] = field_error("actors.bad_date")
    else:
        values["checked_on"] = draft.checked_on
    if not any(values[n] for n in LIST_FIELDS) and not errors.get("services"):
        errors["services"] = field_error("actors.offer_required")
    if errors:
        raise InvalidActor(errors)
    return values


async def create_actor(draft: ActorDraft) -> Actor:
    """Add an entry to the directory from its draft."""
    places = [c["code"] for c in await territory_choices()]
    return await Actor.create(**clean_actor(draft, places, await territory_bounds()))


async def get_actor(actor_id: int) -> Actor:
    actor = await Actor.get_or_none(id=actor_id)
    if actor is None:
        raise NotFound("actors.not_found")
    return actor


async def update_actor(actor_id: int, draft: ActorDraft) -> Actor:
    """Save the edited draft of an entry."""
    actor = await get_actor(actor_id)
    places = [c["code"] for c in await territory_choices()]
    actor.update_from_dict(clean_actor(draft, places, await territory_bounds()))
    await actor.save()
    return actor


def actor_form(actor: Actor) -> dict[str, str]:
    """An entry as the strings its edit form shows."""
    return {
        "name": actor.name,
        "kind": str(actor.kind),
        "services": "\n".join(actor.services),
        "skills": "\n".join(actor.skills),
        "resources": "\n".join(actor.resources),
        "themes": ", ".join(actor.themes),
        "audience": actor.audience,
        "neighbourhood": actor.neighbourhood,
        "commune": actor.commune,
        "address": actor.address,
        "latitude": "" if actor.latitude is None else f"{actor.latitude:g}",
        "longitude": "" if actor.longitude is None else f"{actor.longitude:g}",
        "hours": actor.hours,
        "phone": actor.phone,
        "email": actor.email,
        "website": actor.website,
        "source": actor.source,
        "public": "1" if actor.public else "",
        "consent": "1" if actor.consent else "",
        "checked_on": actor.checked_on.isoformat() if actor.checked_on else "",
    }


async def set_archived(actor_id: int, archived: bool) -> Actor:
    """Archive an entry (hidden from the directory and the suggestions) or bring it back."""
    actor = await get_actor(actor_id)
    actor.archived = archived
    await actor.save(update_fields=["archived", "updated_at"])
    return actor


# ------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class Directory:
    rows: list[actors.ActorRow]
    total: int
    page: int
    pages: int
    query: str
    kind: str | None
    neighbourhood: str | None
    archived: bool
    places: list[dict[str, str]]


def _page_number(text: str) -> int:
    return min(int(text), 10_000) if text.isdigit() and 0 < len(text) < 6 and int(text) else 1


async def list_actors(
    query: str = "", kind: str = "", neighbourhood: str = "", archived: bool = False, page: str = ""
) -> Directory:
    """One page of the directory, filtered; unknown filter values show everything."""
    number = _page_number(page)
    places = await territory_choices()
    place = neighbourhood if neighbourhood in {p["code"] for p in places} else None
    words = " ".join(query.split())[:100]
    rows = await actors.page(
        archived,
        kind if kind in KINDS else None,
        place,
        words or None,
        PAGE_SIZE,
        (number - 1) * PAGE_SIZE,
    )
    total = int(rows[0]["total"]) if rows else 0
    return Directory(
        rows=rows,
        total=total,
        page=number,
        pages=max(1, -(-total // PAGE_SIZE)),
        query=words,
        kind=kind if kind in KINDS else None,
        neighbourhood=place,
        archived=archived,
        places=places,
    )


# ------------------------------------------------------------------------- merging


def _ids(values: Iterable[str]) -> list[int]:
    return list(dict.fromkeys(int(v) for v in values if ID.match(str(v).strip())))


async def merge_actors(keep: str, others: Iterable[str]) -> Actor:
    """Merge duplicates into the entry ``keep``: lists are joined, its empty fields filled
    from the others, their decisions on needs moved to it; the others are archived."""
    if not ID.match(keep.strip()):
        raise SurveyError("actors.merge_choose_kept")
    kept_id = int(keep)
    merged_ids = [i for i in _ids(others) if i != kept_id]
    if not merged_ids:
        raise SurveyError("actors.merge_choose_two")
    async with in_transaction() as tx:
        kept = await Actor.select_for_update().get_or_none(id=kept_id)
        duplicates = await Actor.select_for_update().filter(id__in=merged_ids).order_by("id")
        if kept is None or len(duplicates) != len(merged_ids):
            raise NotFound("actors.not_found")
        for other in duplicates:
            for name in (*LIST_FIELDS, "themes"):
                setattr(
                    kept, name, list(dict.fromkeys([*getattr(kept, name), *getattr(other, name)]))
                )
            for name in ("audience", "neighbourhood", "commune", "address", "hours", "phone"):
                if not getattr(kept, name):
                    setattr(kept, name, getattr(other, name))
            for name in ("email", "website", "latitude", "longitude", "checked_on"):
                if getattr(kept, name) in ("", None):
                    setattr(kept, name, getattr(other, name))
            other.archived = True
            other.merged_into_id = kept.id
            await other.save(update_fields=["archived", "merged_into_id", "updated_at"])
        await kept.save()
        await actor_need_links.move_to_actor(tx, kept.id, merged_ids)
    return kept


async def actors_by_ids(values: Iterable[str]) -> list[Actor]:
    """The entries chosen for a merge, in the order of their ids."""
    ids = _ids(values)
    return await Actor.filter(id__in=ids).order_by("id") if ids else []


# ------------------------------------------------------------- the public directory


PUBLIC_PAGE_SIZE = 30


@dataclass(frozen=True)
class PublicDirectory:
    groups: list[tuple[str, list[actors.ActorRow]]]
    places: list[dict[str, str]]
    themes: list[str]
    neighbourhood: str | None
    theme: str | None
    total: int
    page: int
    pages: int


async def public_directory(
    neighbourhood: str = "", theme: str = "", page: str = ""
) -> PublicDirectory:
    """The public entries, by neighbourhood (the territory's order), optionally filtered.

    Residents are listed by what they offer; their contact details are never shown here.
    """
    number = _page_number(page)
    places = await territory_choices()
    codes = [p["code"] for p in places]
    themes = await actors.public_themes()
    chosen_place = neighbourhood if neighbourhood in codes else None
    chosen_theme = theme if theme in themes else None
    rows = await actors.public_page(
        chosen_place, chosen_theme, codes, PUBLIC_PAGE_SIZE, (number - 1) * PUBLIC_PAGE_SIZE
    )
    groups: list[tuple[str, list[actors.ActorRow]]] = []
    for item in rows:
        if item["kind"] == ActorKind.RESIDENT:
            item["phone"] = item["website"] = item["address"] = ""
        if not groups or groups[-1][0] != item["neighbourhood"]:
            groups.append((item["neighbourhood"], []))
        groups[-1][1].append(item)
    total = int(rows[0]["total"]) if rows else 0
    return PublicDirectory(
        groups=groups,
        places=places,
        themes=themes,
        neighbourhood=chosen_place,
        theme=chosen_theme,
        total=total,
        page=number,
        pages=max(1, -(-total // PUBLIC_PAGE_SIZE)),
    )
