"""Recognising the language of suicide, self-harm or overdose in free text.

One pattern for the whole site: a consultation request that uses it is
urgent, and a blog post that uses it shows a crisis box at its top.
"""

import re

CRISIS_PATTERN = re.compile(
    r"\b(?:suicid|kill(?:ing)?\s+my\s?self|end(?:ing)?\s+(?:it\s+all|my\s+(?:own\s+)?life)"
    r"|take\s+my\s+(?:own\s+)?life|overdos|self[\s-]?harm|hurt(?:ing)?\s+my\s?self"
    r"|want(?:\s+to|na)\s+die|better\s+off\s+dead|no\s+reason\s+to\s+live"
    r"|don'?t\s+want\s+to\s+(?:live|be\s+alive))",
    re.IGNORECASE,
)


def mentions_crisis(text: str) -> bool:
    """True when free text uses the language of suicide, self-harm or overdose."""
    return bool(CRISIS_PATTERN.search(text.replace("\u2019", "'")))
