"""Import meetings, agenda items, matters, people and roll-call votes from the Legistar Web API.

How Legistar records map onto the public record:

- Event (a meeting) -> Hearing without a recording, on the Body named by EventBodyId/EventBodyName.
  A hearing a clerk already created for that body and date (with no Legistar id) is adopted
  instead of duplicated, so an uploaded recording and its Legistar agenda meet.
- Event item -> AgendaItem of the hearing; its EventItemMatter* fields -> Matter; its action
  (EventItemActionName, EventItemPassedFlagName) -> MatterAction.
- Votes of an event item -> one VoteEvent (motion from EventItemActionText, recorded result from
  EventItemPassedFlag) and a PersonVote per vote (VoteValueName mapped by VOTE_VALUE_NAMES).
  The threshold rule is not in Legistar: new vote events get the default, and a rule a clerk
  set is kept on re-import.
- Person -> Person (PersonFullName); Matter -> Matter; Body -> Body (size: BodyNumberOfMembers).

Every row keeps Legistar's id in its legistar_id column (a MatterAction and a VoteEvent carry
the EventItemId they come from), so importing again updates rows and never duplicates them. An
event item describes its matter as it stood at that meeting, so it only fills in what the matter
lacks; a matter record is authoritative and overwrites. A hearing's title is set when it is
created and then left to the clerks.

Each record is imported inside its own SAVEPOINT: a record that is malformed, or that refers to
something not imported, is rolled back alone and reported, and the rest go in.
"""

from hearings.legistar.client import DEFAULT_BASE_URL, LegistarUnavailable, fetch_records
from hearings.legistar.commands import legistar_cli
from hearings.legistar.importer import import_directory, import_records, sync
from hearings.legistar.records import (
    VOTE_VALUE_NAMES,
    ImportReport,
    LegistarRecord,
    Problem,
    RecordProblem,
    classify,
    read_directory,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "VOTE_VALUE_NAMES",
    "ImportReport",
    "LegistarRecord",
    "LegistarUnavailable",
    "Problem",
    "RecordProblem",
    "classify",
    "fetch_records",
    "import_directory",
    "import_records",
    "legistar_cli",
    "read_directory",
    "sync",
]
