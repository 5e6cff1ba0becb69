"""Legislative bodies: a council, a committee, a commission."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hearings.models.base import Base


class Body(Base):
    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Seats on the body; votes need it for "majority of the full body" and "two-thirds".
    size: Mapped[int | None]
    legistar_id: Mapped[int | None] = mapped_column(unique=True)
