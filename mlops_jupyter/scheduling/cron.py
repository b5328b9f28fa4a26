"""Cron expressions and time zones, validated and evaluated with croniter.

Five fields (``minute hour day month weekday``) as usual; a sixth, trailing field
gives seconds (croniter's convention), handy for tests and demos. Expressions that
parse but can never fire (``0 0 30 2 *``, February 30) are refused.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..exceptions import UsageError

#: The longest cron expression accepted (the CLI and the server share these bounds:
#: croniter expands every item, so 100 000 comma items cost seconds per preview).
MAX_LENGTH = 256
#: The most comma-separated items in one field (a minute field lists at most 60).
MAX_ITEMS_PER_FIELD = 60
MAX_ZONE_LENGTH = 64
PRESETS = {
    "every minute": "* * * * *",
    "every 5 minutes": "*/5 * * * *",
    "hourly": "0 * * * *",
    "daily at 02:00": "0 2 * * *",
    "weekdays at 07:00": "0 7 * * 1-5",
    "weekly on Monday 06:00": "0 6 * * 1",
    "monthly on the 1st": "0 3 1 * *",
}


def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name.

    Raises:
        UsageError: unknown zone.
    """
    if not isinstance(name, str) or not name or "\0" in name or ".." in name \
            or len(name) > MAX_ZONE_LENGTH:
        raise UsageError(f"unknown time zone {_short(name)}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(f"unknown time zone {_short(name)} (use an IANA name such as "
                         "'Europe/Paris' or 'UTC')") from None


def validate(expression: str, tz: str = "UTC") -> str:
    """Check a cron expression (and that it fires at all); returns it normalised.

    Raises:
        UsageError: malformed, or never fires (e.g. February 30).
    """
    from croniter import croniter

    if not isinstance(expression, str):
        raise UsageError("the cron expression must be a string")
    if len(expression) > MAX_LENGTH:
        raise UsageError(f"invalid cron expression {_short(expression)}: longer than "
                         f"{MAX_LENGTH} characters")
    normalised = " ".join(expression.split())
    fields = normalised.split(" ")
    if any(field.count(",") >= MAX_ITEMS_PER_FIELD for field in fields):
        raise UsageError(f"invalid cron expression {_short(expression)}: more than "
                         f"{MAX_ITEMS_PER_FIELD} items in a field")
    if normalised.startswith("@"):
        hint = _MACROS.get(normalised.lower())
        raise UsageError(f"invalid cron expression {_short(expression)}: write the fields "
                         + (f"instead of the shortcut ({normalised} is {hint!r})" if hint
                            else "'minute hour day month weekday'"))
    if len(fields) not in (5, 6):
        raise UsageError(f"invalid cron expression {_short(expression)}: expected 5 fields "
                         f"'minute hour day month weekday' (or a 6th for seconds), "
                         f"got {len(fields)}")
    problem = _range_problem(fields)
    if problem:
        raise UsageError(f"invalid cron expression {_short(expression)}: {problem}")
    if not croniter.is_valid(normalised):
        raise UsageError(f"invalid cron expression {_short(expression)}: expected 5 fields "
                         "'minute hour day month weekday' (or a 6th for seconds)")
    next_times(normalised, tz, count=1)
    return normalised


#: Each field's name and allowed range, in order (the 6th field is seconds). A weekday
#: of 7 is Sunday, as in cron.
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
          ("day of week", 0, 7), ("second", 0, 59))
_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
           "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
           "@hourly": "0 * * * *"}
_ITEM = re.compile(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?")


def _range_problem(fields: list[str]) -> str | None:
    """What is out of range in the numeric items of ``fields``, as one phrase, or None.

    Only plain numbers, ranges and steps are checked here (names such as ``mon`` and
    croniter's extensions are left to croniter), so the message names the field and
    its range instead of croniter's generic refusal.
    """
    for field, (name, low, high) in zip(fields, FIELDS):
        for item in field.split(","):
            match = _ITEM.fullmatch(item)
            if match is None:
                continue
            _, first, last, step = match.groups()
            for number in filter(None, (first, last)):
                if not low <= int(number) <= high:
                    return f"{name} {int(number)} is out of range {low}–{high}"
            if step is not None and int(step) == 0:
                return f"{name} step /0 is not allowed"
    return None


def next_times(expression: str, tz: str = "UTC", count: int = 5,
               after: datetime | None = None) -> list[datetime]:
    """The next ``count`` fire times after ``after`` (default now), as aware UTC times.

    Raises:
        UsageError: the expression never fires.
    """
    from croniter import CroniterBadDateError, croniter

    local = zone(tz)
    start = (after or datetime.now(timezone.utc)).astimezone(local)
    iterator = croniter(expression, start)
    fixed_hour = not expression.split()[1].startswith("*")
    times: list[datetime] = []
    try:
        while len(times) < count:
            moment = iterator.get_next(datetime).astimezone(timezone.utc)
            if fixed_hour and _repeated_wall_time(moment, local):
                continue
            times.append(moment)
    except CroniterBadDateError:
        raise UsageError(f"cron expression {_short(expression)} never fires "
                         "(an impossible date such as February 30?)") from None
    return times


def _short(value: object, limit: int = 60) -> str:
    """``repr`` of at most ``limit`` characters: messages never echo a whole value."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _repeated_wall_time(moment: datetime, local: ZoneInfo) -> bool:
    """True for the second occurrence of a wall-clock time the autumn DST change
    repeats (02:30 happens twice in Europe/Paris on the last Sunday of October).

    croniter fires at both; like cron, an expression with a fixed hour (a daily
    job at 02:30) fires once, while ``*``-hour expressions keep firing on elapsed
    time (an hourly job still runs every real hour).
    """
    wall = moment.astimezone(local)
    return wall.fold == 1 and wall.replace(fold=0).astimezone(timezone.utc) != moment


def ticks_between(expression: str, tz: str, start: datetime, end: datetime,
                  limit: int = 10_000) -> list[datetime]:
    """Fire times in ``(start, end]`` (at most ``limit``), aware UTC."""
    found = []
    after = start
    while len(found) < limit:
        (tick,) = next_times(expression, tz, 1, after)
        if tick > end:
            break
        found.append(tick)
        after = tick
    return found


def previous_time(expression: str, tz: str, before: datetime) -> datetime | None:
    """The latest fire time strictly before ``before`` (aware UTC), None if none."""
    from croniter import CroniterBadDateError, croniter

    local = zone(tz)
    iterator = croniter(expression, before.astimezone(local))
    fixed_hour = not expression.split()[1].startswith("*")
    try:
        for _ in range(3):
            moment = iterator.get_prev(datetime).astimezone(timezone.utc)
            if not (fixed_hour and _repeated_wall_time(moment, local)):
                return moment
    except CroniterBadDateError:
        return None
    return None
