"""Let registered applications act on behalf of users of a Django service, safely."""

__version__ = "0.1.0"
