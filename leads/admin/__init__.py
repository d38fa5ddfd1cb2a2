"""The staff back office for leads and newsletter subscribers.

Importing the modules registers their admins. The dashboard and the
personal-data tool are staff views of their own (``leads/staff_views.py``);
the mailing admin lives with the newsletter.
"""

from leads.admin import leads, subscribers

__all__ = ["leads", "subscribers"]
