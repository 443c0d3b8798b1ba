"""aiogram's parsed-response models outlive garbage collections once the bot keeps them
(bot.transport.responses): a Bot API answer never rebuilds its pydantic model (issue 13)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from aiogram.methods.base import Response
from pydantic import BaseModel

from bot.transport.responses import USED, keep_response_models


def _model(returning: Any) -> type[Any]:
    return Response[returning]  # type: ignore[no-any-return]


def test_a_kept_model_survives_collections() -> None:
    keep_response_models()
    refs = {m: weakref.ref(_model(m.__returning__)) for m in USED}
    gc.collect()

    assert all(ref() is _model(m.__returning__) for m, ref in refs.items())


def test_an_unkept_model_is_dropped_by_a_collection() -> None:
    """Why the bot keeps them: pydantic's own cache holds them weakly, so the next answer of
    that type would build the model (schema, validator) again."""

    class Probe(BaseModel):
        value: int = 0

    ref = weakref.ref(_model(Probe))
    gc.collect()

    assert ref() is None
