from members.navigation import club_nav
from members.permissions import clubs_for_user


def club_navigation(request) -> dict:
    """The current club and access (set by the middleware) and the user's clubs."""
    user = getattr(request, "user", None)
    clubs = clubs_for_user(user) if user is not None and user.is_authenticated else []
    return {
        "club": getattr(request, "club", None),
        "club_access": getattr(request, "club_access", None),
        "my_clubs": clubs,
        "club_nav": club_nav(request),
    }
