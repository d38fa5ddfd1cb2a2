import json

JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld(data):
    """JSON for a <script type="application/ld+json"> block that cannot end it early."""
    return json.dumps(data, ensure_ascii=False).translate(JSON_ESCAPES)
