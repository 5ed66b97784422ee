"""JSON answers encoded by orjson: the bytes DRF's JSONRenderer writes for our data, about ten times faster
(the standard library's encoder was a tenth of a case list page).

Whatever orjson does not know itself (dates and times, decimals, lazy translations) goes to DRF's
encoder, so those come out as before; an indented answer (the browsable API, `Accept: application/json;
indent=4`) or anything orjson refuses (an integer beyond 64 bits) is left to DRF's renderer. One
difference in bytes, none in values: floats under 1e-4 are written as orjson writes them (0.00001 and
1e-7, where Python writes 1e-05 and 1e-07).
"""

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer

# Dates and times through DRF's encoder ("Z" for UTC); dataclasses refused as DRF refuses them.
OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# DRF escapes these two (valid JSON, but line breaks inside a JavaScript string literal).
LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class FastJSONRenderer(JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type or "", renderer_context or {})
        if indent or not self.compact or self.ensure_ascii:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            content = orjson.dumps(data, default=self.encoder_class().default, option=OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in LINE_SEPARATORS:
            content = content.replace(raw, escaped)
        return content
