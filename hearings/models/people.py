"""People who speak, sit or vote, and the organizations they represent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.base import Base

if TYPE_CHECKING:
    pass


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # community group, department, company, government body, union ...
    kind: Mapped[str | None] = mapped_column(String(50))
    url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)

    aliases: Mapped[list[OrganizationAlias]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )
    members: Mapped[list[Person]] = relationship(back_populates="organization")


class OrganizationAlias(Base):
    """Another name of an organization, so "ACLU-WI" and "ACLU of Wisconsin" are one."""

    __tablename__ = "organization_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    # Stored normalised (casefolded, punctuation-free) so lookups are exact matches.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    organization: Mapped[Organization] = relationship(back_populates="aliases")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Role as a citation shows it: "Chief of Staff", "Alderperson, 3rd District", "Resident".
    title: Mapped[str | None] = mapped_column(String(200))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    legistar_id: Mapped[int | None] = mapped_column(unique=True)
    # A clerk ticked that this person agreed to be recognised by voice in later hearings
    # (members of a body are recognised without it: they speak in office).
    voice_consent: Mapped[bool] = mapped_column(default=False, server_default=false())

    organization: Mapped[Organization | None] = relationship(back_populates="members")

    @property
    def display(self) -> str:
        """Return "Name, Title" as a citation names a speaker."""
        return f"{self.name}, {self.title}" if self.title else self.name
