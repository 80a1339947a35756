"""Fixtures shared by the channel tests: the fake Tencent API and an HTTP client session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.channels.fake_tencent import FakeTencent


@pytest.fixture
async def fake() -> AsyncIterator[FakeTencent]:
    """The fake WeChat + WeCom API on loopback."""
    server = FakeTencent()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the code under test (closed afterwards)."""
    async with aiohttp.ClientSession() as session:
        yield session
