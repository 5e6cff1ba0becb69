"""The OpenAPI 3.1 description of the open data API (served at /api/v1/openapi.json).

Written out here rather than generated: the API is small, and a description a person wrote
says what each field means. tests/web/test_api.py checks that every route of the API is
described and every described path answers.
"""

from __future__ import annotations

_ID = {"type": "integer", "minimum": 1}
_TEXT = {"type": ["string", "null"]}
_MAYBE_ID = {"type": ["integer", "null"], "minimum": 1}
_DAY = {"type": ["string", "null"], "format": "date"}
_SECONDS = {"type": ["number", "null"], "description": "Seconds from the start of the recording"}
_REF = {"type": "object", "properties": {"id": _ID, "name": {"type": "string"}}}

SCHEMAS: dict[str, dict] = {
    "Hearing": {
        "type": "object",
        "properties": {
            "id": _ID,
            "title": {"type": "string"},
            "body": _REF,
            "date": _DAY,
            "duration": _SECONDS,
            "language": _TEXT,
            "machine_transcript": {**_TEXT, "description": "The speech model that made it"},
            "withdrawn": {"type": "boolean"},
            "url": {"type": "string", "format": "uri"},
            "lines_url": {"type": "string", "format": "uri"},
        },
    },
    "Line": {
        "type": "object",
        "properties": {
            "id": _ID,
            "hearing_id": _ID,
            "start": _SECONDS,
            "end": _SECONDS,
            "speaker": {**_TEXT, "description": "A name a clerk confirmed, else the voice label"},
            "speaker_label": _TEXT,
            "person_id": {"type": ["integer", "null"]},
            "crosstalk": {"type": "boolean"},
            "language": {
                "type": "string",
                "description": "The language the line was heard in (ISO 639-1, e.g. en, es)",
            },
            "text": {"type": "string"},
            "snippet": {**_TEXT, "description": "Search only: the text, words found in <mark>"},
            "url": {"type": "string", "format": "uri", "description": "A citable link"},
        },
    },
    "Person": {
        "type": "object",
        "properties": {"id": _ID, "name": {"type": "string"}, "title": _TEXT, "organization": _REF},
    },
    "Organization": {
        "type": "object",
        "properties": {
            "id": _ID,
            "name": {"type": "string"},
            "kind": _TEXT,
            "url": _TEXT,
            "description": _TEXT,
            "other_names": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Body": {
        "type": "object",
        "properties": {
            "id": _ID,
            "name": {"type": "string"},
            "seats": {"type": ["integer", "null"]},
            "memberships": {"type": "array", "items": {"$ref": "#/components/schemas/Membership"}},
        },
    },
    "Membership": {
        "type": "object",
        "properties": {
            "person": _REF,
            "body_id": _ID,
            "role": _TEXT,
            "seat": _TEXT,
            "start_date": _DAY,
            "end_date": _DAY,
        },
    },
    "Document": {
        "type": "object",
        "properties": {
            "id": _ID,
            "title": {"type": "string"},
            "kind": {
                "type": "string",
                "enum": ["agenda_packet", "presentation", "minutes", "written_comment", "other"],
            },
            "hearing_id": _MAYBE_ID,
            "matter_id": _MAYBE_ID,
            "testimony_id": {**_MAYBE_ID, "description": "A written comment's testimony"},
            "file_name": {"type": "string"},
            "file_type": {"type": "string", "enum": ["pdf", "docx", "png", "jpeg", "tiff"]},
            "sha256": {"type": "string"},
            "pages": {"type": ["integer", "null"]},
            "read": {"type": "boolean", "description": "Every page read and searchable"},
            "url": {"type": "string", "format": "uri"},
            "file_url": {"type": "string", "format": "uri"},
            "pages_url": {"type": "string", "format": "uri"},
        },
    },
    "DocumentPage": {
        "type": "object",
        "properties": {
            "document_id": _ID,
            "document_title": {"type": "string", "description": "In search results"},
            "number": {"type": "integer", "minimum": 1},
            "method": {
                "type": "string",
                "enum": ["text", "ocr", "unreadable"],
                "description": "text: the file's own text; ocr: read from a scan",
            },
            "text": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
        },
    },
    "Matter": {
        "type": "object",
        "properties": {
            "id": _ID,
            "file_number": _TEXT,
            "title": {"type": "string"},
            "type": _TEXT,
            "status": _TEXT,
            "introduced": _DAY,
            "summary": _TEXT,
            "body_id": {"type": ["integer", "null"]},
        },
    },
    "AgendaItem": {
        "type": "object",
        "properties": {
            "id": _ID,
            "hearing_id": _ID,
            "matter_id": {"type": ["integer", "null"]},
            "sequence": {"type": "integer"},
            "title": _TEXT,
            "start": _SECONDS,
            "end": _SECONDS,
        },
    },
    "Testimony": {
        "type": "object",
        "properties": {
            "id": _ID,
            "matter_id": _ID,
            "hearing_id": {"type": ["integer", "null"]},
            "person": _REF,
            "kind": {"type": "string", "enum": ["oral", "written", "card"]},
            "position": {
                "type": "string",
                "enum": ["support", "oppose", "neutral", "not_stated"],
                "description": "As a clerk recorded it; a machine suggestion is not_stated",
            },
            "on_behalf_of": {"type": "array", "items": _REF},
            "concerns": {"type": "array", "items": {"type": "string"}},
            "start": _SECONDS,
            "end": _SECONDS,
            "line_ids": {"type": "array", "items": _ID},
            "text": _TEXT,
        },
    },
    "VoteEvent": {
        "type": "object",
        "properties": {
            "id": _ID,
            "body_id": _ID,
            "matter_id": {"type": ["integer", "null"]},
            "hearing_id": {"type": ["integer", "null"]},
            "date": _DAY,
            "motion": {"type": "string"},
            "rule": {"type": "string", "description": "What it takes to carry"},
            "required_yes": {"type": ["integer", "null"]},
            "seats": {"type": ["integer", "null"]},
            "result": {
                "type": ["string", "null"],
                "enum": ["pass", "fail", None],
                "description": "As the votes and the rule give it",
            },  # fmt: skip
            "recorded_result": _TEXT,
            "votes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "person_id": _ID,
                        "name": {"type": "string"},
                        "vote": {"type": "string"},
                    },
                },
            },
        },
    },
}


def _param(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or _ID,
    }


_CURSOR = _param("cursor", "The next_cursor of the page before", {"type": "string"})
_LIMIT = _param("limit", "Items a page (default 100)", {"type": "integer", "minimum": 1,
                                                         "maximum": 500})  # fmt: skip
_FILTERS = {
    "body": _param("body", "Only this body's"),
    "matter": _param("matter", "Only on this matter"),
    "person": _param("person", "Only this person's"),
    "organization": _param("organization", "Only this organization's (or on its behalf)"),
    "hearing": _param("hearing", "Only this hearing's"),
    "position": _param(
        "position",
        "Only testimony with this position",
        {"type": "string", "enum": ["support", "oppose", "neutral"]},
    ),  # fmt: skip
    "from": _param("from", "On or after this day", {"type": "string", "format": "date"}),
    "to": _param("to", "On or before this day", {"type": "string", "format": "date"}),
}


def _list(summary: str, schema: str, filters: tuple[str, ...] = (), extra=()) -> dict:
    page = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}},
            "next_cursor": {"type": ["string", "null"]},
        },
    }
    return {
        "get": {
            "summary": summary,
            "parameters": [*extra, *(_FILTERS[name] for name in filters), _CURSOR, _LIMIT],
            "responses": {
                "200": {"description": "A page", "content": {"application/json": {"schema": page}}},
                "400": {"description": "A parameter this API does not take as given"},
                "429": {"description": "Too many requests; wait and try again"},
            },
        }
    }


def _one(summary: str, schema: str, key: str) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": [{"name": key, "in": "path", "required": True, "schema": _ID}],
            "responses": {
                "200": {
                    "description": summary,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                    },
                },
                "404": {"description": "Not in the public record"},
            },
        }
    }


PATHS: dict[str, dict] = {
    "/hearings": _list("Published hearings", "Hearing", ("body", "from", "to")),
    "/hearings/{hearing_id}": _one("A hearing and its agenda", "Hearing", "hearing_id"),
    "/hearings/{hearing_id}/lines": _list(
        "A hearing's transcript, line by line in order",
        "Line",
        (),
        (
            {"name": "hearing_id", "in": "path", "required": True, "schema": _ID},
            _param("speaker", "Only this voice's lines (a speaker label's id)"),
        ),
    ),  # fmt: skip
    "/lines": _list(
        "Lines with the words of q, filtered as the search page is",
        "Line",
        ("body", "hearing", "person", "organization", "matter", "position", "from", "to"),
        (_param("q", 'Words, "a phrase", OR, -word, prefix*', {"type": "string"}),),
    ),  # fmt: skip
    "/lines/{line_id}": _one("One transcript line", "Line", "line_id"),
    "/people": _list("People in the record", "Person", ("organization", "body")),
    "/people/{person_id}": _one("A person", "Person", "person_id"),
    "/organizations": _list("Organizations", "Organization"),
    "/organizations/{organization_id}": _one(
        "An organization", "Organization", "organization_id"
    ),  # fmt: skip
    "/bodies": _list("Bodies (council, committees) and their members", "Body"),
    "/bodies/{body_id}": _one("A body and its members", "Body", "body_id"),
    "/matters": _list("Matters (legislation, items)", "Matter", ("body", "hearing")),
    "/matters/{matter_id}": _one("A matter", "Matter", "matter_id"),
    "/agenda_items": _list(
        "Agenda items: when a hearing took up a matter", "AgendaItem", ("hearing", "matter")
    ),  # fmt: skip
    "/testimony": _list(
        "Testimony, with the position a clerk recorded",
        "Testimony",
        ("matter", "person", "organization", "hearing", "position"),
    ),  # fmt: skip
    "/testimony/{testimony_id}": _one("One testimony", "Testimony", "testimony_id"),
    "/export.zip": {
        "get": {
            "summary": "The whole public record in one zip: JSON lines (Popolo for people, "
            "organizations, memberships and votes) and CSV; rebuilt nightly",
            "responses": {
                "200": {"description": "The zip", "content": {"application/zip": {}}},
                "503": {"description": "Not built yet; it has been asked for"},
            },
        }
    },
    "/votes": _list(
        "Roll-call votes with each member's vote", "VoteEvent", ("matter", "body", "person")
    ),  # fmt: skip
    "/documents": _list(
        "Public documents: packets, presentations, minutes, written comments",
        "Document",
        ("body", "hearing", "matter"),
    ),
    "/documents/{document_id}": _one("A document", "Document", "document_id"),
    "/documents/{document_id}/pages": _list(
        "A document's pages in order, with their text",
        "DocumentPage",
        (),
        ({"name": "document_id", "in": "path", "required": True, "schema": _ID},),
    ),
    "/document_pages": _list(
        "Document pages with these words, best first",
        "DocumentPage",
        ("body", "hearing", "matter", "person", "organization", "position", "from", "to"),
        extra=(_param("q", "Words to find (the search page's syntax)", {"type": "string"}),),
    ),
}


def openapi_description(server: str) -> dict:
    """Return the description, with the API's own address as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hearing Record open data",
            "version": "1",
            "description": (
                "The published record of public hearings: transcripts, testimony and votes. "
                "Read-only; drafts and withheld words are never included. Lists are paged "
                "with next_cursor; requests are rate limited."
            ),
        },
        "servers": [{"url": server}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
