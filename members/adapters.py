from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """No open sign-up: logins are created through invitations and Min side
        invitations (SPEC §5, §8), bound to a Person."""
        return False
