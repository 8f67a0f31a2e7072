from .clubs import Club
from .groups import Group, GroupMember, WaitlistEntry
from .memberships import Household, Membership, MembershipCategory, PaymentMethod
from .persons import Person, PersonAccessLog
from .roles import ClubRole
from .users import User

__all__ = [
    "Club",
    "ClubRole",
    "Group",
    "GroupMember",
    "Household",
    "Membership",
    "MembershipCategory",
    "Person",
    "PaymentMethod",
    "PersonAccessLog",
    "User",
    "WaitlistEntry",
]
