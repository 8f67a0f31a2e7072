# The English UI keeps Norwegian date and number conventions: the data is Norwegian.
from ims.formats.nb.formats import *  # noqa: F403
