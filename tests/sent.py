"""Everything a page run sends to the browser, as text: every element's and block's protobuf
message walked field by field (labels, options, help, markdown, deck JSON, Plotly specs), with
each dataframe's Arrow bytes decoded to CSV and JSON re-written without ``\\u`` escapes.

The scope tests search this text, not only what the page shows: a tooltip, a hidden column, a
select box's options or a chart's data all reach the browser.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest


def sent_text(at: AppTest) -> str:
    """All strings of every message of the run's element tree, one per line."""
    out: list[str] = []
    for node in at._tree:  # the root, every block and every element
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            out.extend(_strings(proto))
    return "\n".join(out)


def _strings(message: Message) -> Iterator[str]:
    for field, value in message.ListFields():
        values = value if _repeated(field) else [value]
        for item in values:
            if isinstance(item, Message):
                yield from _strings(item)
            elif isinstance(item, str):
                yield item
                yield from _json(item)
            elif isinstance(item, bytes):
                yield _bytes(item)
            else:
                yield str(item)


def _repeated(field: FieldDescriptor) -> bool:
    if hasattr(field, "is_repeated"):  # protobuf 5.28+; ``label`` is gone from newer ones
        return bool(field.is_repeated)
    return bool(field.label == FieldDescriptor.LABEL_REPEATED)


def _json(text: str) -> Iterator[str]:
    if text[:1] in "{[":
        try:
            yield json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return


def _bytes(data: bytes) -> str:
    try:
        table = pa.ipc.open_stream(data).read_all()
    except (pa.ArrowInvalid, OSError):
        return data.decode("utf-8", errors="replace")
    frame: Any = table.to_pandas()
    return frame.to_csv() + " ".join(map(str, frame.columns))
